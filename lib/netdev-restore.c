/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Recreate recorded network devices with libnl-route (and TUNSETIFF for
 * taps): check everything first, then act; undo what this call created if
 * an action fails.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <net/if.h>
#include <linux/if_tun.h>
#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/macvtap.h>

#include "liveupdate-private.h"
#include "netdev.h"

struct added_addr {
	int ifindex;
	const struct lu_netdev_addr *addr;
};

struct restore {
	struct liveupdate_netdevs *set;
	struct nl_sock *sk;
	struct nl_cache *links;
	bool created[LU_NETDEV_MAX];
	/* queues this process still has from an earlier restore: kept */
	bool ours[LU_NETDEV_MAX];
	int *fds[LU_NETDEV_MAX];
	struct added_addr added[LU_NETDEV_MAX * LU_NETDEV_ADDR_MAX];
	size_t nadded;
};

__attribute__((format(printf, 4, 5)))
static int fail(struct restore *r, int err, const char *name, const char *fmt, ...)
{
	char what[300];
	va_list args;

	va_start(args, fmt);
	vsnprintf(what, sizeof(what), fmt, args);
	va_end(args);
	return lu_fail(r->set->ctx, LU_OP_NETDEV, err,
		       "liveupdate_netdevs_restore: %s: %s", name, what);
}

static const char *kind_type(const struct lu_netdev *d)
{
	return d->kind == LU_NETDEV_TAP ? "tun"
	       : d->kind == LU_NETDEV_MACVTAP ? "macvtap" : "bridge";
}

static const struct lu_netdev *in_set(const struct restore *r, const char *name)
{
	for (size_t i = 0; i < r->set->n; i++)
		if (!strcmp(r->set->devs[i].name, name))
			return &r->set->devs[i];
	return NULL;
}

static int refill(struct restore *r)
{
	int ret = nl_cache_refill(r->sk, r->links);

	return ret < 0 ? fail(r, lu_nl_errno(ret), "(all)", "listing network "
			      "devices") : 0;
}

static int ifindex_of(struct restore *r, const char *name)
{
	return rtnl_link_name2i(r->links, name);
}

/* ---- check: nothing is changed here ---- */

/*
 * How many queues of tap or macvtap @name this process has attached: its
 * fds of /dev/net/tun and /dev/tapN that TUNGETIFF says belong to @name
 * (the set's own and those the caller took from an earlier restore).
 */
static unsigned own_queues(const char *name)
{
	DIR *dir = opendir("/proc/self/fd");
	char path[64], link[PATH_MAX];
	struct dirent *e;
	unsigned n = 0;

	if (!dir)
		return 0;
	while ((e = readdir(dir))) {
		struct ifreq ifr;
		int fd = atoi(e->d_name);
		ssize_t len;

		if (e->d_name[0] < '0' || e->d_name[0] > '9' || fd == dirfd(dir))
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		len = readlink(path, link, sizeof(link) - 1);
		if (len <= 0)
			continue;
		link[len] = '\0';
		if (strcmp(link, "/dev/net/tun") && strncmp(link, "/dev/tap", 8))
			continue;
		memset(&ifr, 0, sizeof(ifr));
		if (ioctl(fd, TUNGETIFF, &ifr) == 0 &&
		    !strncmp(ifr.ifr_name, name, sizeof(ifr.ifr_name)))
			n++;
	}
	closedir(dir);
	return n;
}

static int check_tap(struct restore *r, const struct lu_netdev *d, int ifindex)
{
	struct lu_tun_info t;
	int ret = lu_tun_info(ifindex, &t);
	unsigned own;

	if (ret < 0)
		return fail(r, ret, d->name, "reading its tun driver data");
	if ((t.tun_flags & LU_NETDEV_TUN_FLAGS_ALL) != d->tun_flags)
		return fail(r, -EEXIST, d->name, "exists with tap flags 0x%x, the "
			    "record has 0x%x (IFF_TUN 0x1, IFF_TAP 0x2, "
			    "IFF_MULTI_QUEUE 0x100, IFF_NO_PI 0x1000, "
			    "IFF_VNET_HDR 0x4000)", t.tun_flags, d->tun_flags);
	own = own_queues(d->name);
	if (t.queues > own)
		return fail(r, -EBUSY, d->name, "exists with %u queue(s) attached "
			    "by another process%s", t.queues - own, own ? " (and "
			    "some by this one, from an earlier restore)" : "");
	r->ours[d - r->set->devs] = own > 0;
	return 0;
}

static int check_macvtap(struct restore *r, const struct lu_netdev *d,
			 struct rtnl_link *link)
{
	int lower = ifindex_of(r, d->lower);

	if (rtnl_link_get_link(link) != lower || !lower)
		return fail(r, -EEXIST, d->name, "exists as a macvtap on another "
			    "device than %s", d->lower);
	if (rtnl_link_macvtap_get_mode(link) != d->macvtap_mode)
		return fail(r, -EEXIST, d->name, "exists as a macvtap of mode %u, "
			    "the record has %u", rtnl_link_macvtap_get_mode(link),
			    d->macvtap_mode);
	r->ours[d - r->set->devs] = own_queues(d->name) > 0;
	return 0;
}

static int check_device(struct restore *r, const struct lu_netdev *d)
{
	struct rtnl_link *link = rtnl_link_get_by_name(r->links, d->name);
	const char *type;
	int ret = 0;

	if (!link) {
		if (d->kind == LU_NETDEV_MACVTAP && !ifindex_of(r, d->lower) &&
		    !in_set(r, d->lower))
			return fail(r, -ENODEV, d->name, "its lower device %s does "
				    "not exist", d->lower);
		return 0;
	}
	type = rtnl_link_get_type(link);
	if (!type || strcmp(type, kind_type(d)))
		ret = fail(r, -EEXIST, d->name, "the name is taken by a %s%s "
			   "device; the record has a %s", type ? type : "",
			   type ? "" : "kindless (physical?)",
			   d->kind == LU_NETDEV_TAP ? "tap" : kind_type(d));
	else if (d->kind == LU_NETDEV_TAP)
		ret = check_tap(r, d, rtnl_link_get_ifindex(link));
	else if (d->kind == LU_NETDEV_MACVTAP)
		ret = check_macvtap(r, d, link);
	rtnl_link_put(link);
	return ret;
}

/* ---- act ---- */

static struct nl_addr *mac_addr(const struct lu_netdev *d)
{
	return nl_addr_build(AF_LLC, d->mac, 6);
}

static int create_link(struct restore *r, size_t i, struct rtnl_link *link)
{
	const struct lu_netdev *d = &r->set->devs[i];
	struct nl_addr *mac = mac_addr(d);
	int ret;

	if (!link || !mac) {
		rtnl_link_put(link);
		nl_addr_put(mac);
		return lu_oom(r->set->ctx, "liveupdate_netdevs_restore: %s", d->name);
	}
	rtnl_link_set_name(link, d->name);
	rtnl_link_set_addr(link, mac);
	rtnl_link_set_mtu(link, d->mtu);
	ret = rtnl_link_add(r->sk, link, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_link_put(link);
	nl_addr_put(mac);
	if (ret < 0)
		return fail(r, lu_nl_errno(ret), d->name, "creating the %s: %s",
			    kind_type(d), nl_geterror(ret));
	r->created[i] = true;
	return refill(r);
}

static int create_macvtap(struct restore *r, size_t i)
{
	const struct lu_netdev *d = &r->set->devs[i];
	struct rtnl_link *link = rtnl_link_macvtap_alloc();
	int lower = ifindex_of(r, d->lower);

	if (!lower) {
		rtnl_link_put(link);
		return fail(r, -ENODEV, d->name, "its lower device %s is gone",
			    d->lower);
	}
	if (link) {
		rtnl_link_set_link(link, lower);
		rtnl_link_macvtap_set_mode(link, d->macvtap_mode);
	}
	return create_link(r, i, link);
}

static int *new_fd_array(uint32_t n)
{
	int *fds = malloc(n * sizeof(*fds));

	for (uint32_t q = 0; fds && q < n; q++)
		fds[q] = -1;
	return fds;
}

/* Open the queues: /dev/net/tun for a tap, /dev/tapN for a macvtap. */
static int open_queues(struct restore *r, size_t i)
{
	const struct lu_netdev *d = &r->set->devs[i];
	bool tap = d->kind == LU_NETDEV_TAP;
	char path[32] = "/dev/net/tun";
	struct ifreq ifr;

	r->fds[i] = new_fd_array(d->queues);
	if (!r->fds[i])
		return lu_oom(r->set->ctx, "liveupdate_netdevs_restore: %s", d->name);
	if (!tap)
		snprintf(path, sizeof(path), "/dev/tap%d", ifindex_of(r, d->name));
	for (uint32_t q = 0; q < d->queues; q++) {
		int fd = open(path, O_RDWR | O_CLOEXEC);

		if (fd < 0)
			return fail(r, -errno, d->name, "opening %s for queue %u",
				    path, q);
		r->fds[i][q] = fd;
		memset(&ifr, 0, sizeof(ifr));
		memcpy(ifr.ifr_name, d->name, strlen(d->name) + 1);
		ifr.ifr_flags = (short)d->tun_flags;
		if (ioctl(fd, TUNSETIFF, &ifr) < 0)
			return fail(r, -errno, d->name, "TUNSETIFF for queue %u", q);
		if (tap && q == 0 && !ifindex_of(r, d->name))
			r->created[i] = true;
	}
	if (!tap)
		return 0;
	if ((d->owner != LU_NETDEV_NO_ID &&
	     ioctl(r->fds[i][0], TUNSETOWNER, (unsigned long)d->owner) < 0) ||
	    (d->group != LU_NETDEV_NO_ID &&
	     ioctl(r->fds[i][0], TUNSETGROUP, (unsigned long)d->group) < 0) ||
	    ioctl(r->fds[i][0], TUNSETPERSIST,
		  (unsigned long)!!(d->flags & LU_NETDEV_PERSIST)) < 0)
		return fail(r, -errno, d->name, "setting owner, group or persistence");
	return refill(r);
}

/* MAC, MTU, bridge, up state, as recorded. */
static int configure(struct restore *r, const struct lu_netdev *d)
{
	struct rtnl_link *orig = rtnl_link_get_by_name(r->links, d->name);
	struct rtnl_link *ch = rtnl_link_alloc();
	struct nl_addr *mac = mac_addr(d);
	int ret = -ENOMEM;

	if (orig && ch && mac) {
		rtnl_link_set_addr(ch, mac);
		rtnl_link_set_mtu(ch, d->mtu);
		/* 0 takes a leftover out of a bridge it was not recorded in */
		rtnl_link_set_master(ch, d->flags & LU_NETDEV_PORT
					 ? ifindex_of(r, d->master) : 0);
		if (d->flags & LU_NETDEV_UP)
			rtnl_link_set_flags(ch, IFF_UP);
		else
			rtnl_link_unset_flags(ch, IFF_UP);
		ret = rtnl_link_change(r->sk, orig, ch, 0);
		ret = ret < 0 ? fail(r, lu_nl_errno(ret), d->name, "setting MAC, "
				     "MTU, bridge and up state: %s",
				     nl_geterror(ret)) : 0;
	} else if (!orig) {
		ret = fail(r, -ENODEV, d->name, "vanished while being restored");
	} else {
		ret = lu_oom(r->set->ctx, "liveupdate_netdevs_restore: %s", d->name);
	}
	nl_addr_put(mac);
	rtnl_link_put(ch);
	rtnl_link_put(orig);
	return ret;
}

struct addr_seek {
	int ifindex;
	const struct lu_netdev_addr *want;
	bool found;
};

static void match_addr(struct nl_object *obj, void *arg)
{
	struct rtnl_addr *a = (struct rtnl_addr *)obj;
	struct addr_seek *s = arg;
	struct nl_addr *local = rtnl_addr_get_local(a);
	size_t len = s->want->family == AF_INET ? 4 : 16;

	if (rtnl_addr_get_ifindex(a) == s->ifindex && local &&
	    rtnl_addr_get_family(a) == s->want->family &&
	    rtnl_addr_get_prefixlen(a) == s->want->prefixlen &&
	    nl_addr_get_len(local) == len &&
	    !memcmp(nl_addr_get_binary_addr(local), s->want->addr, len))
		s->found = true;
}

static struct rtnl_addr *route_addr(int ifindex, const struct lu_netdev_addr *x)
{
	struct rtnl_addr *a = rtnl_addr_alloc();
	struct nl_addr *local = nl_addr_build(x->family, x->addr,
					      x->family == AF_INET ? 4 : 16);

	if (a && local) {
		nl_addr_set_prefixlen(local, x->prefixlen);
		rtnl_addr_set_ifindex(a, ifindex);
		rtnl_addr_set_local(a, local);
	} else {
		rtnl_addr_put(a);
		a = NULL;
	}
	nl_addr_put(local);
	return a;
}

/* An owned bridge's addresses: add those missing. */
static int add_addresses(struct restore *r, const struct lu_netdev *d)
{
	struct addr_seek s = { .ifindex = ifindex_of(r, d->name) };
	struct nl_cache *addrs;
	int ret = rtnl_addr_alloc_cache(r->sk, &addrs);

	if (ret < 0)
		return fail(r, lu_nl_errno(ret), d->name, "listing its addresses");
	for (unsigned k = 0; ret == 0 && k < d->naddrs; k++) {
		struct rtnl_addr *a;

		s.want = &d->addrs[k];
		s.found = false;
		nl_cache_foreach(addrs, match_addr, &s);
		if (s.found)
			continue;
		a = route_addr(s.ifindex, s.want);
		ret = a ? rtnl_addr_add(r->sk, a, 0) : -NLE_NOMEM;
		rtnl_addr_put(a);
		if (ret < 0)
			ret = fail(r, lu_nl_errno(ret), d->name, "adding address "
				   "%u: %s", k, nl_geterror(ret));
		else
			r->added[r->nadded++] = (struct added_addr){ s.ifindex, s.want };
	}
	nl_cache_free(addrs);
	return ret;
}

/* The port's settings in its bridge, where they differ from the record. */
static int configure_port(struct restore *r, const struct lu_netdev *d,
			  struct nl_cache *ports)
{
	struct rtnl_link *orig = rtnl_link_get(ports, ifindex_of(r, d->name));
	struct rtnl_link *ch = rtnl_link_alloc();
	uint32_t cost = 0;
	bool state;
	int ret = 0;

	if (!orig || !ch) {
		rtnl_link_put(orig);
		rtnl_link_put(ch);
		return orig ? lu_oom(r->set->ctx, "liveupdate_netdevs_restore") : 0;
	}
	rtnl_link_bridge_get_cost(orig, &cost);
	state = rtnl_link_bridge_get_port_state(orig) != d->port_state;
	if (state || cost != d->port_cost ||
	    rtnl_link_bridge_get_priority(orig) != d->port_priority ||
	    (uint32_t)rtnl_link_bridge_get_flags(orig) != d->port_flags) {
		rtnl_link_set_family(ch, AF_BRIDGE);
		rtnl_link_bridge_set_priority(ch, d->port_priority);
		rtnl_link_bridge_set_cost(ch, d->port_cost);
		rtnl_link_bridge_unset_flags(ch, ~d->port_flags);
		rtnl_link_bridge_set_flags(ch, d->port_flags);
		if (state)
			rtnl_link_bridge_set_port_state(ch, d->port_state);
		ret = rtnl_link_change(r->sk, orig, ch, 0);
		if (ret == -NLE_BUSY && state) {
			/* STP is on: the bridge decides the port's state */
			lu_info(r->set->ctx, "liveupdate_netdevs_restore: %s: the "
				"bridge runs STP, which sets the port state", d->name);
			ret = 0;
		}
		if (ret < 0)
			ret = fail(r, lu_nl_errno(ret), d->name, "setting its port "
				   "settings in bridge %s: %s", d->master,
				   nl_geterror(ret));
	}
	rtnl_link_put(orig);
	rtnl_link_put(ch);
	return ret;
}

static int configure_ports(struct restore *r)
{
	struct nl_cache *ports;
	int ret = rtnl_link_alloc_cache(r->sk, AF_BRIDGE, &ports);

	if (ret < 0)
		return fail(r, lu_nl_errno(ret), "(ports)", "reading bridge ports");
	for (size_t i = 0; ret == 0 && i < r->set->n; i++)
		if (r->set->devs[i].flags & LU_NETDEV_PORT)
			ret = configure_port(r, &r->set->devs[i], ports);
	nl_cache_free(ports);
	return ret;
}

static int act(struct restore *r)
{
	struct liveupdate_netdevs *set = r->set;
	int ret = 0;

	/* bridges, then taps, then macvtaps (whose lower may be either) */
	for (size_t i = 0; ret == 0 && i < set->n; i++)
		if (set->devs[i].kind == LU_NETDEV_BRIDGE &&
		    !ifindex_of(r, set->devs[i].name))
			ret = create_link(r, i, rtnl_link_bridge_alloc());
	for (size_t i = 0; ret == 0 && i < set->n; i++)
		if (set->devs[i].kind == LU_NETDEV_TAP && !r->ours[i])
			ret = open_queues(r, i);
	for (size_t i = 0; ret == 0 && i < set->n; i++) {
		if (set->devs[i].kind != LU_NETDEV_MACVTAP)
			continue;
		if (!ifindex_of(r, set->devs[i].name))
			ret = create_macvtap(r, i);
		if (ret == 0 && !r->ours[i])
			ret = open_queues(r, i);
	}
	/* ports first: a bridge's MTU follows its ports until set */
	for (size_t i = 0; ret == 0 && i < set->n; i++)
		if (set->devs[i].kind != LU_NETDEV_BRIDGE)
			ret = configure(r, &set->devs[i]);
	for (size_t i = 0; ret == 0 && i < set->n; i++)
		if (set->devs[i].kind == LU_NETDEV_BRIDGE) {
			ret = configure(r, &set->devs[i]);
			if (ret == 0 && (set->devs[i].flags & LU_NETDEV_OWNED))
				ret = add_addresses(r, &set->devs[i]);
		}
	if (ret == 0)
		ret = configure_ports(r);
	return ret;
}

/* After a failure: close our fds, delete what we created, in reverse. */
static void undo(struct restore *r)
{
	struct liveupdate_netdevs *set = r->set;

	for (size_t i = 0; i < set->n; i++) {
		for (uint32_t q = 0; r->fds[i] && q < set->devs[i].queues; q++)
			if (r->fds[i][q] >= 0)
				close(r->fds[i][q]);
		free(r->fds[i]);
		r->fds[i] = NULL;
	}
	while (r->nadded) {
		struct added_addr *x = &r->added[--r->nadded];
		struct rtnl_addr *a = route_addr(x->ifindex, x->addr);

		if (a)
			rtnl_addr_delete(r->sk, a, 0);
		rtnl_addr_put(a);
	}
	for (size_t i = set->n; i-- > 0;) {
		struct rtnl_link *link;

		if (!r->created[i] || !(link = rtnl_link_alloc()))
			continue;
		rtnl_link_set_name(link, set->devs[i].name);
		rtnl_link_delete(r->sk, link);
		rtnl_link_put(link);
	}
}

LU_EXPORT int liveupdate_netdevs_restore(struct liveupdate_netdevs *set)
{
	struct restore *r;
	int ret;

	if (!set)
		return lu_bad_arg(NULL, "liveupdate_netdevs_restore: set is NULL");
	r = calloc(1, sizeof(*r));
	if (!r)
		return lu_oom(set->ctx, "liveupdate_netdevs_restore");
	r->set = set;
	r->sk = lu_nl_open(&ret);
	if (!r->sk) {
		free(r);
		return lu_fail(set->ctx, LU_OP_NETDEV, ret, "liveupdate_netdevs_"
			       "restore: opening a netlink socket");
	}
	ret = rtnl_link_alloc_cache(r->sk, AF_UNSPEC, &r->links);
	if (ret < 0)
		ret = fail(r, lu_nl_errno(ret), "(all)", "listing network devices");
	for (size_t i = 0; ret == 0 && i < set->n; i++)
		ret = check_device(r, &set->devs[i]);
	if (ret == 0) {
		ret = act(r);
		if (ret < 0)
			undo(r);
	}
	if (ret == 0) {
		/* new queues replace the set's (all taken: -1); kept ones stay */
		for (size_t i = 0; i < set->n; i++)
			if (r->fds[i]) {
				lu_netdev_drop_queue_fds(set, i);
				set->queue_fds[i] = r->fds[i];
			}
		lu_dbg(set->ctx, "restored %zu network devices", set->n);
	}
	if (r->links)
		nl_cache_free(r->links);
	nl_socket_free(r->sk);
	free(r);
	return ret;
}
