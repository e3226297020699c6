/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libnl helpers shared by the network device snapshot and restore: the
 * socket, libnl's errors as errnos, and the tun driver's link data, which
 * libnl-route does not parse (it knows no "tun" link type), read here from
 * the raw RTM_GETLINK answer with libnl's attribute parser.
 */
#include <errno.h>
#include <string.h>
#include <linux/if_link.h>
#include <linux/if_tun.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "netdev.h"

struct nl_sock *lu_nl_open(int *errp)
{
	struct nl_sock *sk = nl_socket_alloc();
	int ret;

	if (!sk) {
		*errp = -ENOMEM;
		return NULL;
	}
	ret = nl_connect(sk, NETLINK_ROUTE);
	if (ret < 0) {
		nl_socket_free(sk);
		*errp = lu_nl_errno(ret);
		return NULL;
	}
	return sk;
}

int lu_nl_errno(int nlerr)
{
	static const int map[][2] = {
		{ NLE_INTR, EINTR }, { NLE_AGAIN, EAGAIN }, { NLE_NOMEM, ENOMEM },
		{ NLE_EXIST, EEXIST }, { NLE_INVAL, EINVAL }, { NLE_RANGE, ERANGE },
		{ NLE_MSGSIZE, EMSGSIZE }, { NLE_OPNOTSUPP, EOPNOTSUPP },
		{ NLE_AF_NOSUPPORT, EAFNOSUPPORT }, { NLE_OBJ_NOTFOUND, ENODEV },
		{ NLE_NODEV, ENODEV }, { NLE_BUSY, EBUSY }, { NLE_NOACCESS, EACCES },
		{ NLE_PERM, EPERM }, { NLE_NOADDR, EADDRNOTAVAIL },
	};

	if (nlerr < 0)
		nlerr = -nlerr;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (map[i][0] == nlerr)
			return -map[i][1];
	return -EIO;
}

struct tun_query {
	struct lu_tun_info *info;
	int ret;
};

static uint32_t u32_or(struct nlattr *a, uint32_t dflt)
{
	return a ? nla_get_u32(a) : dflt;
}

static int parse_tun(struct nl_msg *msg, void *arg)
{
	struct tun_query *q = arg;
	struct lu_tun_info *t = q->info;
	struct nlattr *tb[IFLA_MAX + 1], *li[IFLA_INFO_MAX + 1];
	struct nlattr *td[IFLA_TUN_MAX + 1];

	q->ret = -ENODATA;
	if (nlmsg_parse(nlmsg_hdr(msg), sizeof(struct ifinfomsg), tb, IFLA_MAX,
			NULL) < 0 || !tb[IFLA_LINKINFO] ||
	    nla_parse_nested(li, IFLA_INFO_MAX, tb[IFLA_LINKINFO], NULL) < 0 ||
	    !li[IFLA_INFO_KIND] || strcmp(nla_get_string(li[IFLA_INFO_KIND]), "tun") ||
	    !li[IFLA_INFO_DATA] ||
	    nla_parse_nested(td, IFLA_TUN_MAX, li[IFLA_INFO_DATA], NULL) < 0 ||
	    !td[IFLA_TUN_TYPE])
		return NL_STOP;
	memset(t, 0, sizeof(*t));
	t->type = nla_get_u8(td[IFLA_TUN_TYPE]);
	t->tun_flags = t->type;
	if (td[IFLA_TUN_PI] && !nla_get_u8(td[IFLA_TUN_PI]))
		t->tun_flags |= IFF_NO_PI;
	if (td[IFLA_TUN_VNET_HDR] && nla_get_u8(td[IFLA_TUN_VNET_HDR]))
		t->tun_flags |= IFF_VNET_HDR;
	if (td[IFLA_TUN_MULTI_QUEUE] && nla_get_u8(td[IFLA_TUN_MULTI_QUEUE]))
		t->tun_flags |= IFF_MULTI_QUEUE;
	t->persist = td[IFLA_TUN_PERSIST] && nla_get_u8(td[IFLA_TUN_PERSIST]);
	/* the kernel leaves owner and group out when there are none */
	t->owner = u32_or(td[IFLA_TUN_OWNER], LU_NETDEV_NO_ID);
	t->group = u32_or(td[IFLA_TUN_GROUP], LU_NETDEV_NO_ID);
	t->queues = u32_or(td[IFLA_TUN_NUM_QUEUES], 0) +
		    u32_or(td[IFLA_TUN_NUM_DISABLED_QUEUES], 0);
	q->ret = 0;
	return NL_STOP;
}

int lu_tun_info(int ifindex, struct lu_tun_info *info)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex };
	struct tun_query q = { .info = info, .ret = -ENODATA };
	struct nl_msg *msg;
	struct nl_sock *sk;
	int ret;

	sk = lu_nl_open(&ret);
	if (!sk)
		return ret;
	msg = nlmsg_alloc_simple(RTM_GETLINK, 0);
	if (!msg) {
		nl_socket_free(sk);
		return -ENOMEM;
	}
	ret = nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO);
	nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, parse_tun, &q);
	if (ret >= 0)
		ret = nl_send_auto(sk, msg);
	if (ret >= 0)
		ret = nl_recvmsgs_default(sk);
	nlmsg_free(msg);
	nl_socket_free(sk);
	return ret < 0 ? lu_nl_errno(ret) : q.ret;
}
