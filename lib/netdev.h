/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Network devices of a VMM (taps, macvtaps, their bridges) as the library
 * records them: shared by the snapshot/restore code (lib/netdev.c,
 * lib/netdev-restore.c) and the record's encoder/decoder
 * (lib/netdev-record.c). Nothing here is ABI.
 */
#ifndef LIBLIVEUPDATE_NETDEV_H
#define LIBLIVEUPDATE_NETDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LU_NETDEV_NAME_LEN 16      /* IFNAMSIZ, NUL included */
#define LU_NETDEV_MAX 64           /* devices in one record */
#define LU_NETDEV_ADDR_MAX 16      /* addresses kept per bridge */
#define LU_NETDEV_QUEUES_MAX 256   /* the kernel's MAX_TAP_QUEUES */
#define LU_NETDEV_MTU_MIN 68
#define LU_NETDEV_MTU_MAX 65535

enum lu_netdev_kind {
	LU_NETDEV_TAP = 1,      /* tun driver, IFF_TAP or IFF_TUN */
	LU_NETDEV_MACVTAP = 2,
	LU_NETDEV_BRIDGE = 3,
};

/* lu_netdev.flags */
#define LU_NETDEV_UP        0x01u  /* administratively up (IFF_UP) */
#define LU_NETDEV_PERSIST   0x02u  /* tap: TUNSETPERSIST */
#define LU_NETDEV_OWNED     0x04u  /* bridge: the VMM owns it, addresses kept */
#define LU_NETDEV_PORT      0x08u  /* a port of bridge @master */
#define LU_NETDEV_FLAGS_ALL 0x0fu

/* tun_flags a tap may carry (IFF_* of <linux/if_tun.h>) */
#define LU_NETDEV_TUN_FLAGS_ALL (0x0001u | 0x0002u | 0x1000u | 0x4000u | 0x0100u)

#define LU_NETDEV_NO_ID 0xffffffffu /* tap without owner or group */

struct lu_netdev_addr {
	uint8_t family;     /* AF_INET or AF_INET6 */
	uint8_t prefixlen;
	uint8_t addr[16];   /* AF_INET: the first 4 bytes, the rest zero */
};

struct lu_netdev {
	uint8_t kind;                      /* enum lu_netdev_kind */
	uint8_t flags;                     /* LU_NETDEV_* */
	char name[LU_NETDEV_NAME_LEN];
	uint8_t mac[6];
	uint32_t mtu;
	/* tap */
	uint16_t tun_flags;                /* IFF_TAP/TUN, NO_PI, VNET_HDR, MULTI_QUEUE */
	uint32_t owner, group;             /* LU_NETDEV_NO_ID: none */
	uint32_t queues;                   /* fds to open on restore */
	/* macvtap */
	char lower[LU_NETDEV_NAME_LEN];    /* the device it sits on */
	uint32_t macvtap_mode;             /* MACVLAN_MODE_* */
	/* bridge port (LU_NETDEV_PORT) */
	char master[LU_NETDEV_NAME_LEN];
	uint8_t port_state;                /* BR_STATE_* */
	uint16_t port_priority;
	uint32_t port_cost;
	uint32_t port_flags;               /* libnl's RTNL_BRIDGE_* flags */
	/* bridge with LU_NETDEV_OWNED */
	uint8_t naddrs;
	struct lu_netdev_addr addrs[LU_NETDEV_ADDR_MAX];
};

/* The public set (include/liveupdate/liveupdate.h), lib/netdev.c. */
struct liveupdate_netdevs {
	int refcount;                      /* atomic */
	struct liveupdate_ctx *ctx;        /* holds a reference */
	size_t n;
	struct lu_netdev devs[LU_NETDEV_MAX];
	uint32_t fds_given[LU_NETDEV_MAX]; /* add_tap_fd() calls per device */
	int *queue_fds[LU_NETDEV_MAX];     /* after restore; -1 once taken */
};

/* Close the queue fds of device @i still held by the set, forget them. */
void lu_netdev_drop_queue_fds(struct liveupdate_netdevs *set, size_t i);

/* ---- lib/netdev-nl.c: what snapshot and restore share ---- */

struct nl_sock;

/* A connected NETLINK_ROUTE socket, or NULL with *errp a negative errno. */
struct nl_sock *lu_nl_open(int *errp);

/* A libnl error (negative NLE_*) as a negative errno. */
int lu_nl_errno(int nlerr);

/* The tun driver's view of a device (IFLA_INFO_DATA of kind "tun"). */
struct lu_tun_info {
	uint8_t type;                      /* IFF_TAP or IFF_TUN */
	uint16_t tun_flags;                /* type, NO_PI, VNET_HDR, MULTI_QUEUE */
	bool persist;
	uint32_t owner, group;             /* LU_NETDEV_NO_ID: none */
	uint32_t queues;                   /* attached and disabled queues */
};

/* Query @ifindex's tun data: 0, or a negative errno (-ENODATA: not a tun). */
int lu_tun_info(int ifindex, struct lu_tun_info *info);

/* ---- lib/netdev-record.c: the preserved record, bytes <-> devices ---- */

/*
 * Encode @n devices (each valid, as lu_netdev_check() says) into a new
 * malloc()ed buffer: 0 or -ENOMEM/-EINVAL.
 */
int lu_netdev_encode(const struct lu_netdev *devs, size_t n, uint8_t **bufp,
		     size_t *sizep);

/*
 * Decode a record of untrusted bytes into a new calloc()ed array: 0,
 * -EBADMSG (malformed: a reason in @why), -EPROTONOSUPPORT (a version this
 * library does not know) or -ENOMEM. Everything is checked: the checksum,
 * every length and field, names, references between devices.
 */
int lu_netdev_decode(const uint8_t *buf, size_t size, struct lu_netdev **devsp,
		     size_t *np, char *why, size_t why_size);

/* The CRC-32 a record of @size >= 24 bytes must carry in bytes 20..23. */
uint32_t lu_netdev_record_crc(const uint8_t *buf, size_t size);

/* Whether @d is a device the record can hold; a reason in @why if not. */
bool lu_netdev_check(const struct lu_netdev *d, char *why, size_t why_size);

/* A valid interface name: 1-15 bytes, no '/', ':' or white space, not "." or "..". */
bool lu_netdev_name_ok(const char *name, size_t size);

#endif
