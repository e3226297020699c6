/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Snapshot a VMM's taps, macvtaps and their bridges with libnl-route. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
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

/* One snapshot: what add() and add_tap_fd() share. */
struct snap {
	struct liveupdate_netdevs *set;
	struct nl_sock *sk;
	struct nl_cache *links;    /* AF_UNSPEC */
	struct nl_cache *ports;    /* AF_BRIDGE: the ports' settings */
	bool own_bridge;
	const char *call;
};

static int snap_fail(struct snap *s, int err, const char *name, const char *what)
{
	return lu_fail(s->set->ctx, LU_OP_NETDEV, err, "%s(\"%s\"): %s", s->call,
		       name, what);
}

static int copy_name(char dst[LU_NETDEV_NAME_LEN], struct rtnl_link *link)
{
	const char *n = rtnl_link_get_name(link);

	if (!n || !lu_netdev_name_ok(n, LU_NETDEV_NAME_LEN))
		return -EINVAL;
	memcpy(dst, n, strlen(n) + 1);
	return 0;
}

/* Name, MAC, MTU, up state: what every kind has. */
static int snap_common(struct snap *s, struct rtnl_link *link, struct lu_netdev *d)
{
	struct nl_addr *mac = rtnl_link_get_addr(link);

	if (copy_name(d->name, link) < 0)
		return snap_fail(s, -EINVAL, rtnl_link_get_name(link),
				 "the kernel gave an invalid name");
	if (!mac || nl_addr_get_len(mac) != 6)
		return snap_fail(s, -EOPNOTSUPP, d->name, "no Ethernet MAC address");
	memcpy(d->mac, nl_addr_get_binary_addr(mac), 6);
	d->mtu = rtnl_link_get_mtu(link);
	if (rtnl_link_get_flags(link) & IFF_UP)
		d->flags |= LU_NETDEV_UP;
	return 0;
}

static int snap_tap(struct snap *s, struct rtnl_link *link, struct lu_netdev *d)
{
	struct lu_tun_info t;
	int ret = lu_tun_info(rtnl_link_get_ifindex(link), &t);

	if (ret < 0)
		return snap_fail(s, ret, d->name, "reading its tun driver data");
	if (t.type != IFF_TAP)
		return snap_fail(s, -EOPNOTSUPP, d->name, "a tun (layer 3) device: "
				 "only taps can be recorded");
	d->kind = LU_NETDEV_TAP;
	d->tun_flags = t.tun_flags;
	d->owner = t.owner;
	d->group = t.group;
	d->queues = t.queues ? t.queues : 1;
	if (t.persist)
		d->flags |= LU_NETDEV_PERSIST;
	return 0;
}

static int snap_macvtap(struct snap *s, struct rtnl_link *link, struct lu_netdev *d)
{
	struct rtnl_link *lower = rtnl_link_get(s->links, rtnl_link_get_link(link));
	int ret;

	if (!lower)
		return snap_fail(s, -ENODEV, d->name, "its lower device is in another "
				 "network namespace or gone");
	ret = copy_name(d->lower, lower);
	rtnl_link_put(lower);
	if (ret < 0)
		return snap_fail(s, ret, d->name, "its lower device has a bad name");
	d->kind = LU_NETDEV_MACVTAP;
	d->macvtap_mode = rtnl_link_macvtap_get_mode(link);
	d->tun_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	d->queues = 1;
	return 0;
}

struct addr_walk {
	struct lu_netdev *d;
	int ifindex;
	bool too_many;
};

static void collect_addr(struct nl_object *obj, void *arg)
{
	struct rtnl_addr *a = (struct rtnl_addr *)obj;
	struct addr_walk *w = arg;
	struct nl_addr *local = rtnl_addr_get_local(a);
	struct lu_netdev_addr *out;
	int family = rtnl_addr_get_family(a);
	const uint8_t *bin;

	if (rtnl_addr_get_ifindex(a) != w->ifindex || !local ||
	    (family != AF_INET && family != AF_INET6))
		return;
	bin = nl_addr_get_binary_addr(local);
	if (family == AF_INET6 && bin[0] == 0xfe && (bin[1] & 0xc0) == 0x80)
		return; /* link-local: the kernel makes it again */
	if (w->d->naddrs == LU_NETDEV_ADDR_MAX) {
		w->too_many = true;
		return;
	}
	out = &w->d->addrs[w->d->naddrs++];
	out->family = (uint8_t)family;
	out->prefixlen = (uint8_t)rtnl_addr_get_prefixlen(a);
	memcpy(out->addr, bin, family == AF_INET ? 4 : 16);
}

/* Ownership is sticky: adding another port without the flag keeps it. */
static bool owned_in_set(const struct liveupdate_netdevs *set, const char *name)
{
	for (size_t i = 0; i < set->n; i++)
		if (!strcmp(set->devs[i].name, name))
			return set->devs[i].flags & LU_NETDEV_OWNED;
	return false;
}

static int snap_bridge(struct snap *s, struct rtnl_link *link, struct lu_netdev *d)
{
	struct addr_walk w = { .d = d, .ifindex = rtnl_link_get_ifindex(link) };
	struct nl_cache *addrs;
	int ret;

	d->kind = LU_NETDEV_BRIDGE;
	if (!s->own_bridge && !owned_in_set(s->set, d->name))
		return 0;
	d->flags |= LU_NETDEV_OWNED;
	ret = rtnl_addr_alloc_cache(s->sk, &addrs);
	if (ret < 0)
		return snap_fail(s, lu_nl_errno(ret), d->name, "listing its addresses");
	nl_cache_foreach(addrs, collect_addr, &w);
	nl_cache_free(addrs);
	if (w.too_many)
		return snap_fail(s, -E2BIG, d->name, "more than 16 addresses");
	return 0;
}

/* The port's settings in its bridge, as libnl's AF_BRIDGE view gives them. */
static int snap_port(struct snap *s, struct rtnl_link *link, struct lu_netdev *d,
		     struct rtnl_link *master)
{
	struct rtnl_link *port;
	uint32_t cost = 0;
	int ret;

	if (copy_name(d->master, master) < 0)
		return snap_fail(s, -EINVAL, d->name, "its bridge has a bad name");
	d->flags |= LU_NETDEV_PORT;
	if (!s->ports) {
		ret = rtnl_link_alloc_cache(s->sk, AF_BRIDGE, &s->ports);
		if (ret < 0)
			return snap_fail(s, lu_nl_errno(ret), d->name,
					 "reading the bridge ports");
	}
	port = rtnl_link_get(s->ports, rtnl_link_get_ifindex(link));
	if (!port)
		return 0; /* the bridge's defaults then */
	ret = rtnl_link_bridge_get_port_state(port);
	d->port_state = ret > 0 ? (uint8_t)ret : 0;
	ret = rtnl_link_bridge_get_priority(port);
	d->port_priority = ret > 0 ? (uint16_t)ret : 0;
	if (rtnl_link_bridge_get_cost(port, &cost) == 0)
		d->port_cost = cost;
	ret = rtnl_link_bridge_get_flags(port);
	d->port_flags = ret > 0 ? (uint32_t)ret : 0;
	rtnl_link_put(port);
	return 0;
}

static struct lu_netdev *slot_for(struct liveupdate_netdevs *set, const char *name)
{
	for (size_t i = 0; i < set->n; i++)
		if (!strcmp(set->devs[i].name, name))
			return &set->devs[i];
	return set->n < LU_NETDEV_MAX ? &set->devs[set->n] : NULL;
}

/* Snapshot @name into the set; its bridge too. @fd_flags: from TUNGETIFF. */
static int snap_device(struct snap *s, const char *name, int fd_flags)
{
	struct liveupdate_netdevs *set = s->set;
	struct rtnl_link *link = rtnl_link_get_by_name(s->links, name);
	struct rtnl_link *master = NULL;
	struct lu_netdev d = { 0 }, *slot;
	const char *type;
	char why[160];
	int ret;

	if (!link)
		return snap_fail(s, -ENODEV, name, "no such network device in this "
				 "network namespace");
	type = rtnl_link_get_type(link);
	ret = snap_common(s, link, &d);
	if (ret == 0 && type && !strcmp(type, "tun"))
		ret = snap_tap(s, link, &d);
	else if (ret == 0 && type && !strcmp(type, "macvtap"))
		ret = snap_macvtap(s, link, &d);
	else if (ret == 0 && type && !strcmp(type, "bridge"))
		ret = snap_bridge(s, link, &d);
	else if (ret == 0)
		ret = snap_fail(s, -EOPNOTSUPP, name, type ? "neither a tap, a macvtap "
				"nor a bridge" : "a device without a link kind (a "
				"physical device?): only taps, macvtaps and bridges");
	if (ret == 0 && rtnl_link_get_master(link) > 0) {
		master = rtnl_link_get(s->links, rtnl_link_get_master(link));
		type = master ? rtnl_link_get_type(master) : NULL;
		if (d.kind == LU_NETDEV_BRIDGE || !type || strcmp(type, "bridge"))
			ret = snap_fail(s, -EOPNOTSUPP, name, "a port of a device "
					"that is not a bridge, or a bridge in another "
					"device");
		else
			ret = snap_port(s, link, &d, master);
	}
	if (ret == 0 && fd_flags >= 0 && d.kind == LU_NETDEV_MACVTAP)
		d.tun_flags = (uint16_t)(fd_flags & LU_NETDEV_TUN_FLAGS_ALL);
	rtnl_link_put(link);

	slot = ret == 0 ? slot_for(set, d.name) : NULL;
	if (ret == 0 && !slot)
		ret = snap_fail(s, -E2BIG, name, "the set already holds 64 devices");
	if (ret == 0) {
		size_t i = (size_t)(slot - set->devs);
		uint32_t given = i < set->n ? set->fds_given[i] : 0;

		if (fd_flags >= 0)
			given++;
		/* a macvtap's queue flags are known from its fds only */
		if (fd_flags < 0 && i < set->n && d.kind == LU_NETDEV_MACVTAP &&
		    slot->kind == LU_NETDEV_MACVTAP)
			d.tun_flags = slot->tun_flags;
		if (d.queues && d.queues < given)
			d.queues = given;
		set->fds_given[i] = given; /* undone with the rest on failure */
		if (d.queues > 1)
			d.tun_flags |= IFF_MULTI_QUEUE;
		if (!lu_netdev_check(&d, why, sizeof(why)))
			ret = snap_fail(s, -EOPNOTSUPP, name, why);
	}
	if (ret == 0) {
		if (slot == &set->devs[set->n])
			set->n++;
		*slot = d;
		lu_dbg(set->ctx, "%s: recorded %s", s->call, d.name);
	}
	if (ret == 0 && master) {
		char bridge[LU_NETDEV_NAME_LEN];

		memcpy(bridge, d.master, sizeof(bridge));
		ret = snap_device(s, bridge, -1);
	}
	if (master)
		rtnl_link_put(master);
	return ret;
}

static int snapshot(struct liveupdate_netdevs *set, const char *call,
		    const char *name, int fd_flags,
		    const struct liveupdate_netdev_opts *opts)
{
	struct snap s = { .set = set, .call = call };
	uint32_t saved_given[LU_NETDEV_MAX];
	struct lu_netdev *saved;
	size_t saved_n;
	int ret;

	if (lu_check_opts(set->ctx, call, opts))
		return -EINVAL;
	if (lu_opts_get(opts, flags, 0) & ~(unsigned)LIVEUPDATE_NETDEV_OWN_BRIDGE)
		return lu_bad_arg(set->ctx, "%s(\"%s\"): unknown flags %#x", call, name,
				  lu_opts_get(opts, flags, 0));
	s.own_bridge = lu_opts_get(opts, flags, 0) & LIVEUPDATE_NETDEV_OWN_BRIDGE;
	/* A failure changes nothing: keep a copy of the devices. */
	saved = malloc(sizeof(set->devs));
	if (!saved)
		return lu_oom(set->ctx, "%s(\"%s\")", call, name);
	s.sk = lu_nl_open(&ret);
	if (!s.sk) {
		free(saved);
		return lu_fail(set->ctx, LU_OP_NETDEV, ret, "%s(\"%s\"): opening a "
			       "netlink socket", call, name);
	}
	ret = rtnl_link_alloc_cache(s.sk, AF_UNSPEC, &s.links);
	if (ret < 0) {
		nl_socket_free(s.sk);
		free(saved);
		return lu_fail(set->ctx, LU_OP_NETDEV, lu_nl_errno(ret),
			       "%s(\"%s\"): listing network devices", call, name);
	}
	memcpy(saved, set->devs, sizeof(set->devs));
	memcpy(saved_given, set->fds_given, sizeof(saved_given));
	saved_n = set->n;
	ret = snap_device(&s, name, fd_flags);
	if (ret < 0) {
		memcpy(set->devs, saved, sizeof(set->devs));
		memcpy(set->fds_given, saved_given, sizeof(saved_given));
		set->n = saved_n;
	}
	if (s.ports)
		nl_cache_free(s.ports);
	nl_cache_free(s.links);
	nl_socket_free(s.sk);
	free(saved);
	return ret;
}

LU_EXPORT int liveupdate_netdevs_add(struct liveupdate_netdevs *set,
				     const char *name,
				     const struct liveupdate_netdev_opts *opts)
{
	if (!set || !name)
		return lu_bad_arg(set ? set->ctx : NULL,
				  "liveupdate_netdevs_add: %s is NULL",
				  set ? "name" : "set");
	if (!lu_netdev_name_ok(name, LU_NETDEV_NAME_LEN))
		return lu_bad_arg(set->ctx, "liveupdate_netdevs_add(\"%.20s\"): not "
				  "a valid interface name (1 to 15 bytes, no '/', "
				  "':' or space)", name);
	return snapshot(set, "liveupdate_netdevs_add", name, -1, opts);
}

LU_EXPORT int liveupdate_netdevs_add_tap_fd(struct liveupdate_netdevs *set,
					    int fd,
					    const struct liveupdate_netdev_opts *opts)
{
	struct ifreq ifr;
	char name[LU_NETDEV_NAME_LEN];

	if (!set)
		return lu_bad_arg(NULL, "liveupdate_netdevs_add_tap_fd: set is NULL");
	if (fd < 0)
		return lu_bad_arg(set->ctx, "liveupdate_netdevs_add_tap_fd: fd %d is "
				  "negative", fd);
	memset(&ifr, 0, sizeof(ifr));
	if (ioctl(fd, TUNGETIFF, &ifr) < 0)
		return lu_fail(set->ctx, LU_OP_NETDEV, -errno,
			       "liveupdate_netdevs_add_tap_fd(fd %d): TUNGETIFF "
			       "(is it an attached tap or macvtap queue?)", fd);
	memcpy(name, ifr.ifr_name, sizeof(name));
	name[sizeof(name) - 1] = '\0';
	return snapshot(set, "liveupdate_netdevs_add_tap_fd", name,
			ifr.ifr_flags & 0xffff, opts);
}
