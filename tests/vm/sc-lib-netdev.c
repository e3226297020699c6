/*
 * lib-netdev: a VM's network devices across a real live update.
 *
 * Stage 1 makes what a VMM would have: bridge lubr0 (MAC, MTU 1400, up,
 * an address the VMM owns) and a multi-queue vnet_hdr tap lutap0 with two
 * queues (MAC, MTU 1400, up, port of lubr0), records them from the tap's
 * queue fds, and preserves the record in session lib-netdev.
 * Stage 2 (a new kernel: no tap, no bridge) retrieves the record, checks
 * that it is the one preserved (same bytes), restores, checks the two queue
 * fds are attached to lutap0, then snapshots the devices again: the new
 * record must equal the old one byte for byte, i.e. field by field.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>

#include "lutest-lib.h"

#define TOKEN 0x4e4554ull

static const uint8_t tap_mac[6] = { 0x02, 0x4c, 0x55, 0x00, 0x0a, 0x01 };
static const uint8_t br_mac[6] = { 0x02, 0x4c, 0x55, 0x00, 0x0b, 0x01 };

static void ifreq_for(struct ifreq *ifr, const char *name)
{
	memset(ifr, 0, sizeof(*ifr));
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", name);
}

static void sock_ioctl(unsigned long req, struct ifreq *ifr, const char *what)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (s < 0 || ioctl(s, req, ifr) < 0)
		lt_fail("%s on %s: %s", what, ifr->ifr_name, lt_errname(errno));
	close(s);
}

/* MAC, MTU, up: with the plain socket ioctls, not the code under test. */
static void set_link(const char *name, const uint8_t mac[6], int mtu)
{
	struct ifreq ifr;

	ifreq_for(&ifr, name);
	ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
	memcpy(ifr.ifr_hwaddr.sa_data, mac, 6);
	sock_ioctl(SIOCSIFHWADDR, &ifr, "SIOCSIFHWADDR");
	ifreq_for(&ifr, name);
	ifr.ifr_mtu = mtu;
	sock_ioctl(SIOCSIFMTU, &ifr, "SIOCSIFMTU");
	ifreq_for(&ifr, name);
	sock_ioctl(SIOCGIFFLAGS, &ifr, "SIOCGIFFLAGS");
	ifr.ifr_flags |= IFF_UP;
	sock_ioctl(SIOCSIFFLAGS, &ifr, "SIOCSIFFLAGS");
}

static int tap_queue(const char *name)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		lt_skip("/dev/net/tun: %s (kernel without CONFIG_TUN?)", lt_errname(errno));
	ifreq_for(&ifr, name);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_MULTI_QUEUE;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		lt_fail("TUNSETIFF %s: %s", name, lt_errname(errno));
	return fd;
}

static void make_devices(int q[2])
{
	struct ifreq ifr;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (s < 0 || ioctl(s, SIOCBRADDBR, "lubr0") < 0)
		lt_skip("creating bridge lubr0: %s (kernel without CONFIG_BRIDGE?)",
			lt_errname(errno));
	close(s);
	q[0] = tap_queue("lutap0");
	q[1] = tap_queue("lutap0");
	set_link("lutap0", tap_mac, 1400);
	ifreq_for(&ifr, "lubr0");
	ifr.ifr_ifindex = (int)if_nametoindex("lutap0");
	sock_ioctl(SIOCBRADDIF, &ifr, "SIOCBRADDIF");
	set_link("lubr0", br_mac, 1400);
	ifreq_for(&ifr, "lubr0");
	sin->sin_family = AF_INET;
	inet_pton(AF_INET, "10.77.0.1", &sin->sin_addr);
	sock_ioctl(SIOCSIFADDR, &ifr, "SIOCSIFADDR");
}

static void encode(struct liveupdate_netdevs *set, void **buf, size_t *size)
{
	LT_OK(liveupdate_netdevs_encode(set, buf, size));
}

static int stage1(void)
{
	struct liveupdate_ctx *ctx = lt_ctx_new();
	struct liveupdate_netdevs *set = NULL;
	struct liveupdate_session *s = NULL;
	LIVEUPDATE_OPTS(liveupdate_netdev_opts, o, .flags = LIVEUPDATE_NETDEV_OWN_BRIDGE);
	void *buf;
	size_t size;
	int q[2];

	make_devices(q);
	LT_OK(liveupdate_netdevs_new(ctx, &set));
	LT_OK(liveupdate_netdevs_add_tap_fd(set, q[0], &o));
	LT_OK(liveupdate_netdevs_add_tap_fd(set, q[1], &o));
	LT_CHECK(liveupdate_netdevs_get_count(set) == 2, "count %d",
		 liveupdate_netdevs_get_count(set));
	encode(set, &buf, &size);
	lt_state_put("record-size", "%zu", size);
	lt_state_put("record-fnv", "%llu", (unsigned long long)lt_fnv1a(buf, size));
	lt_log("recorded lutap0 and lubr0 in %zu bytes", size);
	free(buf);

	LT_OK(liveupdate_session_create(ctx, "lib-netdev", &s));
	LT_OK(liveupdate_netdevs_preserve(set, s, TOKEN));
	liveupdate_netdevs_unref(set);
	lt_keep_fd(liveupdate_session_get_fd(s));
	return LT_CONTINUE;
}

static int stage2(void)
{
	struct liveupdate_ctx *ctx = lt_ctx_new();
	struct liveupdate_netdevs *set = NULL, *again = NULL;
	struct liveupdate_session *s = NULL;
	void *buf, *buf2;
	size_t size, size2;
	struct ifreq ifr;
	int fd;

	LT_CHECK(if_nametoindex("lutap0") == 0 && if_nametoindex("lubr0") == 0,
		 "the new kernel already has the devices");
	LT_OK(liveupdate_session_retrieve(ctx, "lib-netdev", &s));
	LT_OK(liveupdate_netdevs_retrieve(s, TOKEN, &set));
	encode(set, &buf, &size);
	LT_CHECK(size == lt_state_get_u64("record-size") &&
		 lt_fnv1a(buf, size) == lt_state_get_u64("record-fnv"),
		 "the retrieved record differs from the preserved one");

	LT_OK(liveupdate_netdevs_restore(set));
	LT_CHECK(liveupdate_netdevs_get_queues(set, "lutap0") == 2, "queues %d",
		 liveupdate_netdevs_get_queues(set, "lutap0"));
	for (unsigned qi = 0; qi < 2; qi++) {
		LT_OK(liveupdate_netdevs_take_queue_fd(set, "lutap0", qi, &fd));
		memset(&ifr, 0, sizeof(ifr));
		LT_CHECK(ioctl(fd, TUNGETIFF, &ifr) == 0 &&
			 !strcmp(ifr.ifr_name, "lutap0") &&
			 (ifr.ifr_flags & IFF_VNET_HDR) && (ifr.ifr_flags & IFF_MULTI_QUEUE),
			 "queue %u: not a vnet_hdr multi-queue fd of lutap0", qi);
		lt_log("queue %u: fd %d attached to %s", qi, fd, ifr.ifr_name);
		/* keep the queues open: they are what the snapshot counts */
	}

	LIVEUPDATE_OPTS(liveupdate_netdev_opts, o, .flags = LIVEUPDATE_NETDEV_OWN_BRIDGE);
	LT_OK(liveupdate_netdevs_new(ctx, &again));
	LT_OK(liveupdate_netdevs_add(again, "lutap0", &o));
	encode(again, &buf2, &size2);
	if (size2 != size || memcmp(buf, buf2, size)) {
		for (size_t i = 0; i < size && i < size2; i++)
			if (((uint8_t *)buf)[i] != ((uint8_t *)buf2)[i])
				lt_log("byte %zu: recorded 0x%02x, now 0x%02x", i,
				       ((uint8_t *)buf)[i], ((uint8_t *)buf2)[i]);
		lt_fail("the restored devices differ from the record (%zu vs %zu bytes)",
			size, size2);
	}
	free(buf);
	free(buf2);
	LT_OK(liveupdate_session_finish(s));
	liveupdate_session_unref(s);
	liveupdate_netdevs_unref(set);
	liveupdate_netdevs_unref(again);
	lt_pass("lutap0 (2 queues, MAC, MTU 1400, up) on lubr0 (MAC, MTU, address) "
		"recreated after the live update, identical to the record");
}

static int run(int stage)
{
	return stage == 1 ? stage1() : stage2();
}

LT_SCENARIO(lib_netdev, "lib-netdev", run, 60);
