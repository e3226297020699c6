/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The network devices' record: bytes that cross the live update, so the
 * decoder trusts nothing. Layout (version 1, integers little-endian):
 *
 *   header, 24 bytes: "LUNETDEV", u16 version, u16 header size (24),
 *                     u32 total size, u32 device count, u32 CRC-32 of every
 *                     byte but these four
 *   each device, 92 bytes, then 18 bytes per address (see put_dev())
 *
 * One canonical encoding: unused fields and name padding are zero, so a
 * record that decodes encodes back to the same bytes (the fuzzer checks it).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lu-util.h"
#include "netdev.h"

#define MAGIC "LUNETDEV"
#define RECORD_VERSION 1
#define HEADER_SIZE 24
#define CRC_OFFSET 20
#define DEV_SIZE 92
#define ADDR_SIZE 18

#define IFF_TAP_ 0x0002u
#define IFF_TUN_ 0x0001u
#define IFF_NO_PI_ 0x1000u
#define IFF_MULTI_QUEUE_ 0x0100u

uint32_t lu_netdev_record_crc(const uint8_t *buf, size_t size)
{
	uint32_t crc = lu_util_crc32(0, buf, CRC_OFFSET);

	return lu_util_crc32(crc, buf + HEADER_SIZE, size - HEADER_SIZE);
}

bool lu_netdev_name_ok(const char *name, size_t size)
{
	size_t len = strnlen(name, size);

	if (len == 0 || len >= size || len >= LU_NETDEV_NAME_LEN)
		return false;
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (size_t i = 0; i < len; i++)
		if (name[i] == '/' || name[i] == ':' || (unsigned char)name[i] <= ' ' ||
		    name[i] == 0x7f)
			return false;
	return true;
}

/* A name field as stored: valid, or empty when @may_be_empty; zero padding. */
static bool name_field_ok(const char *f, bool may_be_empty)
{
	size_t len = strnlen(f, LU_NETDEV_NAME_LEN);

	if (len == LU_NETDEV_NAME_LEN)
		return false;
	for (size_t i = len; i < LU_NETDEV_NAME_LEN; i++)
		if (f[i])
			return false;
	return len == 0 ? may_be_empty : lu_netdev_name_ok(f, LU_NETDEV_NAME_LEN);
}

static bool addr_ok(const struct lu_netdev_addr *a)
{
	if (a->family == AF_INET) {
		for (int i = 4; i < 16; i++)
			if (a->addr[i])
				return false;
		return a->prefixlen <= 32;
	}
	return a->family == AF_INET6 && a->prefixlen <= 128;
}

#define BAD(...) (snprintf(why, why_size, __VA_ARGS__), false)

bool lu_netdev_check(const struct lu_netdev *d, char *why, size_t why_size)
{
	bool tap = d->kind == LU_NETDEV_TAP, mvt = d->kind == LU_NETDEV_MACVTAP;
	bool br = d->kind == LU_NETDEV_BRIDGE;
	static const uint8_t zero_mac[6];

	if (!tap && !mvt && !br)
		return BAD("unknown device kind %u", d->kind);
	if (!name_field_ok(d->name, false))
		return BAD("bad device name");
	if (d->flags & ~LU_NETDEV_FLAGS_ALL)
		return BAD("%s: unknown flags 0x%x", d->name, d->flags);
	if ((d->mac[0] & 1) || !memcmp(d->mac, zero_mac, 6))
		return BAD("%s: MAC address is not a unicast address", d->name);
	if (d->mtu < LU_NETDEV_MTU_MIN || d->mtu > LU_NETDEV_MTU_MAX)
		return BAD("%s: MTU %u out of range", d->name, d->mtu);
	if ((d->flags & LU_NETDEV_PERSIST) && !tap)
		return BAD("%s: only taps are persistent", d->name);
	if ((d->flags & LU_NETDEV_OWNED) && !br)
		return BAD("%s: only bridges are owned", d->name);

	if (tap || mvt) {
		uint32_t need = tap ? IFF_TAP_ : IFF_TAP_ | IFF_NO_PI_;

		if ((d->tun_flags & ~LU_NETDEV_TUN_FLAGS_ALL) ||
		    (d->tun_flags & IFF_TUN_) || (d->tun_flags & need) != need)
			return BAD("%s: bad tap flags 0x%x", d->name, d->tun_flags);
		if (d->queues < 1 || d->queues > LU_NETDEV_QUEUES_MAX)
			return BAD("%s: %u queues", d->name, d->queues);
		if (d->queues > 1 && !(d->tun_flags & IFF_MULTI_QUEUE_))
			return BAD("%s: %u queues without multi-queue", d->name,
				   d->queues);
	} else if (d->tun_flags || d->queues) {
		return BAD("%s: tap fields on a bridge", d->name);
	}
	if (!tap && (d->owner || d->group))
		return BAD("%s: owner on a device that is not a tap", d->name);

	if (mvt ? !name_field_ok(d->lower, false)
		: d->lower[0] || !name_field_ok(d->lower, true))
		return BAD("%s: bad lower device name", d->name);
	if (mvt) {
		/* MACVLAN_MODE_PRIVATE, VEPA, BRIDGE, PASSTHRU, SOURCE */
		uint32_t m = d->macvtap_mode;

		if (m != 1 && m != 2 && m != 4 && m != 8 && m != 16)
			return BAD("%s: macvtap mode %u", d->name, m);
	} else if (d->macvtap_mode) {
		return BAD("%s: macvtap mode on another kind", d->name);
	}

	if (d->flags & LU_NETDEV_PORT) {
		if (br)
			return BAD("%s: a bridge in a bridge", d->name);
		if (!name_field_ok(d->master, false) || !strcmp(d->master, d->name))
			return BAD("%s: bad bridge name", d->name);
		if (d->port_state > 4) /* BR_STATE_BLOCKING */
			return BAD("%s: port state %u", d->name, d->port_state);
	} else if (d->master[0] || d->port_state || d->port_priority ||
		   d->port_cost || d->port_flags || !name_field_ok(d->master, true)) {
		return BAD("%s: port fields without a bridge", d->name);
	}

	if (d->naddrs > LU_NETDEV_ADDR_MAX ||
	    (d->naddrs && !(d->flags & LU_NETDEV_OWNED)))
		return BAD("%s: %u addresses", d->name, d->naddrs);
	for (unsigned i = 0; i < d->naddrs; i++)
		if (!addr_ok(&d->addrs[i]))
			return BAD("%s: address %u is malformed", d->name, i);
	for (unsigned i = d->naddrs; i < LU_NETDEV_ADDR_MAX; i++) {
		static const struct lu_netdev_addr none;

		if (memcmp(&d->addrs[i], &none, sizeof(none)))
			return BAD("%s: data past the last address", d->name);
	}
	return true;
}

/* Names unique, every port's bridge in the record. */
static bool set_ok(const struct lu_netdev *devs, size_t n, char *why,
		   size_t why_size)
{
	for (size_t i = 0; i < n; i++) {
		bool bridge_found = !(devs[i].flags & LU_NETDEV_PORT);

		for (size_t j = 0; j < n; j++) {
			if (j != i && !strcmp(devs[i].name, devs[j].name))
				return BAD("%s: recorded twice", devs[i].name);
			if (devs[j].kind == LU_NETDEV_BRIDGE &&
			    !strcmp(devs[i].master, devs[j].name))
				bridge_found = true;
		}
		if (!bridge_found)
			return BAD("%s: its bridge %s is not in the record",
				   devs[i].name, devs[i].master);
	}
	return true;
}

static size_t dev_size(const struct lu_netdev *d)
{
	return DEV_SIZE + (size_t)d->naddrs * ADDR_SIZE;
}

static void put_dev(uint8_t *p, const struct lu_netdev *d)
{
	memset(p, 0, DEV_SIZE);
	p[0] = d->kind;
	p[1] = d->flags;
	p[2] = d->naddrs;
	p[3] = d->port_state;
	memcpy(p + 4, d->name, LU_NETDEV_NAME_LEN);
	memcpy(p + 20, d->mac, 6);
	lu_util_put_le16(p + 26, d->tun_flags);
	lu_util_put_le32(p + 28, d->mtu);
	lu_util_put_le32(p + 32, d->owner);
	lu_util_put_le32(p + 36, d->group);
	lu_util_put_le32(p + 40, d->queues);
	memcpy(p + 44, d->lower, LU_NETDEV_NAME_LEN);
	lu_util_put_le32(p + 60, d->macvtap_mode);
	memcpy(p + 64, d->master, LU_NETDEV_NAME_LEN);
	lu_util_put_le16(p + 80, d->port_priority);
	/* 82..83 reserved, zero */
	lu_util_put_le32(p + 84, d->port_cost);
	lu_util_put_le32(p + 88, d->port_flags);
	p += DEV_SIZE;
	for (unsigned i = 0; i < d->naddrs; i++, p += ADDR_SIZE) {
		p[0] = d->addrs[i].family;
		p[1] = d->addrs[i].prefixlen;
		memcpy(p + 2, d->addrs[i].addr, 16);
	}
}

static void get_dev(const uint8_t *p, struct lu_netdev *d)
{
	memset(d, 0, sizeof(*d));
	d->kind = p[0];
	d->flags = p[1];
	d->naddrs = p[2];
	d->port_state = p[3];
	memcpy(d->name, p + 4, LU_NETDEV_NAME_LEN);
	memcpy(d->mac, p + 20, 6);
	d->tun_flags = lu_util_get_le16(p + 26);
	d->mtu = lu_util_get_le32(p + 28);
	d->owner = lu_util_get_le32(p + 32);
	d->group = lu_util_get_le32(p + 36);
	d->queues = lu_util_get_le32(p + 40);
	memcpy(d->lower, p + 44, LU_NETDEV_NAME_LEN);
	d->macvtap_mode = lu_util_get_le32(p + 60);
	memcpy(d->master, p + 64, LU_NETDEV_NAME_LEN);
	d->port_priority = lu_util_get_le16(p + 80);
	d->port_cost = lu_util_get_le32(p + 84);
	d->port_flags = lu_util_get_le32(p + 88);
}

int lu_netdev_encode(const struct lu_netdev *devs, size_t n, uint8_t **bufp,
		     size_t *sizep)
{
	size_t size = HEADER_SIZE, off = HEADER_SIZE;
	char why[128];
	uint8_t *buf;

	if (n > LU_NETDEV_MAX || !set_ok(devs, n, why, sizeof(why)))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (!lu_netdev_check(&devs[i], why, sizeof(why)))
			return -EINVAL;
		size += dev_size(&devs[i]);
	}
	buf = calloc(1, size);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, MAGIC, 8);
	lu_util_put_le16(buf + 8, RECORD_VERSION);
	lu_util_put_le16(buf + 10, HEADER_SIZE);
	lu_util_put_le32(buf + 12, (uint32_t)size);
	lu_util_put_le32(buf + 16, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		put_dev(buf + off, &devs[i]);
		off += dev_size(&devs[i]);
	}
	lu_util_put_le32(buf + CRC_OFFSET, lu_netdev_record_crc(buf, size));
	*bufp = buf;
	*sizep = size;
	return 0;
}

#undef BAD
#define BAD(...) (snprintf(why, why_size, __VA_ARGS__), -EBADMSG)

int lu_netdev_decode(const uint8_t *buf, size_t size, struct lu_netdev **devsp,
		     size_t *np, char *why, size_t why_size)
{
	struct lu_netdev *devs;
	size_t n, off = HEADER_SIZE;

	if (size < HEADER_SIZE || memcmp(buf, MAGIC, 8))
		return BAD("not a network device record (no \"%s\" header)", MAGIC);
	if (lu_util_get_le16(buf + 8) != RECORD_VERSION) {
		snprintf(why, why_size, "record version %u; this library reads "
			 "version %u", lu_util_get_le16(buf + 8), RECORD_VERSION);
		return -EPROTONOSUPPORT;
	}
	if (lu_util_get_le16(buf + 10) != HEADER_SIZE || lu_util_get_le32(buf + 12) != size)
		return BAD("record size %u, header size %u: truncated or padded",
			   lu_util_get_le32(buf + 12), lu_util_get_le16(buf + 10));
	if (lu_util_get_le32(buf + CRC_OFFSET) != lu_netdev_record_crc(buf, size))
		return BAD("record checksum mismatch: the record is corrupted");
	n = lu_util_get_le32(buf + 16);
	if (n > LU_NETDEV_MAX)
		return BAD("%zu devices, at most %d", n, LU_NETDEV_MAX);

	devs = calloc(n ? n : 1, sizeof(*devs));
	if (!devs)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const uint8_t *p = buf + off;

		if (size - off < DEV_SIZE ||
		    size - off - DEV_SIZE < (size_t)p[2] * ADDR_SIZE ||
		    p[2] > LU_NETDEV_ADDR_MAX || lu_util_get_le16(p + 82)) {
			free(devs);
			return BAD("device %zu overruns the record or is malformed", i);
		}
		get_dev(p, &devs[i]);
		p += DEV_SIZE;
		for (unsigned a = 0; a < devs[i].naddrs; a++, p += ADDR_SIZE) {
			devs[i].addrs[a].family = p[0];
			devs[i].addrs[a].prefixlen = p[1];
			memcpy(devs[i].addrs[a].addr, p + 2, 16);
		}
		off += dev_size(&devs[i]);
		if (!lu_netdev_check(&devs[i], why, why_size)) {
			free(devs);
			return -EBADMSG;
		}
	}
	if (off != size) {
		free(devs);
		return BAD("%zu bytes after the last device", size - off);
	}
	if (!set_ok(devs, n, why, why_size)) {
		free(devs);
		return -EBADMSG;
	}
	*devsp = devs;
	*np = n;
	return 0;
}
