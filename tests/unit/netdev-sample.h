/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A valid set of recorded network devices (an owned bridge with two
 * addresses, a multi-queue tap on it, a macvtap), for the record's unit
 * test and the fuzzer's seeds.
 */
#ifndef NETDEV_SAMPLE_H
#define NETDEV_SAMPLE_H

#include <string.h>
#include <sys/socket.h>

#include "netdev.h"

static inline size_t netdev_sample(struct lu_netdev d[3])
{
	memset(d, 0, 3 * sizeof(*d));
	d[0] = (struct lu_netdev){
		.kind = LU_NETDEV_BRIDGE, .flags = LU_NETDEV_UP | LU_NETDEV_OWNED,
		.name = "br0", .mac = { 2, 0, 0, 0, 0xb, 1 }, .mtu = 1400,
		.naddrs = 2,
		.addrs = { { AF_INET, 24, { 10, 0, 0, 1 } },
			   { AF_INET6, 64, { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } } },
	};
	d[1] = (struct lu_netdev){
		.kind = LU_NETDEV_TAP, .flags = LU_NETDEV_UP | LU_NETDEV_PORT,
		.name = "tap0", .mac = { 2, 0, 0, 0, 0xa, 1 }, .mtu = 1400,
		.tun_flags = 0x0002 | 0x1000 | 0x4000 | 0x0100, .owner = 1000,
		.group = LU_NETDEV_NO_ID, .queues = 4, .master = "br0",
		.port_state = 3, .port_priority = 32, .port_cost = 100,
		.port_flags = 0x10,
	};
	d[2] = (struct lu_netdev){
		.kind = LU_NETDEV_MACVTAP, .name = "mvt0",
		.mac = { 2, 0, 0, 0, 0xc, 1 }, .mtu = 1500,
		.tun_flags = 0x0002 | 0x1000 | 0x4000, .queues = 1,
		.lower = "eth0", .macvtap_mode = 4,
	};
	return 3;
}

#endif
