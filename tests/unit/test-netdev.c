/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Network devices, snapshot and restore, in a network namespace of this
 * test's own (unshare(CLONE_NEWNET): needs root). Without the privilege it
 * is skipped (exit 77), saying why; with CI=true that is an error.
 *
 * The world: bridge lu-br0 (MAC, MTU 1400, two addresses, up), tap lu-tap0
 * (4 queues, vnet_hdr, MAC, MTU 1400, up, port of lu-br0 with cost,
 * priority and hairpin), tap lu-tap1 (persistent, owner 1000, group 100,
 * MTU 9000, down). Fixtures use iproute2's ip and bridge commands.
 */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <net/if.h>
#include <linux/if_tun.h>

#include "unit.h"
#include "liveupdate-private.h"
#include "netdev.h"

#define QUEUES 4

static int queue_fd[QUEUES];

static void sh(const char *fmt, ...)
{
	char cmd[512];
	va_list args;

	va_start(args, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, args);
	va_end(args);
	ck_assert_msg(system(cmd) == 0, "command failed: %s", cmd);
}

static int tap_queue(const char *name, short flags)
{
	struct ifreq ifr = { 0 };
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_flags = flags;
	ck_assert_msg(ioctl(fd, TUNSETIFF, &ifr) == 0, "TUNSETIFF %s: %s", name,
		      strerror(errno));
	return fd;
}

#define MQ_FLAGS (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_MULTI_QUEUE)

static void make_world(void)
{
	sh("ip link add lu-br0 type bridge");
	sh("ip link set lu-br0 address 02:00:00:00:b0:01 mtu 1400");
	sh("ip addr add 10.66.0.1/24 dev lu-br0");
	sh("ip addr add 2001:db8:66::1/64 dev lu-br0 nodad");
	sh("ip link set lu-br0 up");
	for (int q = 0; q < QUEUES; q++)
		queue_fd[q] = tap_queue("lu-tap0", MQ_FLAGS);
	sh("ip link set lu-tap0 address 02:00:00:00:a0:01 mtu 1400 master lu-br0 up");
	sh("bridge link set dev lu-tap0 cost 7 priority 9 hairpin on");
	sh("ip tuntap add lu-tap1 mode tap user 1000 group 100");
	sh("ip link set lu-tap1 address 02:00:00:00:a0:02 mtu 9000");
}

static void close_queues(void)
{
	for (int q = 0; q < QUEUES; q++) {
		if (queue_fd[q] >= 0)
			close(queue_fd[q]);
		queue_fd[q] = -1;
	}
}

static void delete_all(void)
{
	close_queues();
	ck_assert_int_eq(system("for d in lu-tap0 lu-tap1 lu-br0 lu-mvt0 lu-dum0; do "
				"ip link del $d 2>/dev/null; done; true"), 0);
}

/* Each test starts from an empty namespace, whatever the last one left. */
static void clean_slate(void)
{
	for (int q = 0; q < QUEUES; q++)
		queue_fd[q] = -1;
	delete_all();
}

static struct liveupdate_ctx *quiet_ctx(void)
{
	struct liveupdate_ctx *ctx;

	ck_assert_int_eq(liveupdate_ctx_new(NULL, &ctx), 0);
	liveupdate_ctx_set_log_fn(ctx, NULL, NULL);
	return ctx;
}

/* What the VMM would record: the tap by its fds, the other tap by name. */
static struct liveupdate_netdevs *snapshot(struct liveupdate_ctx *ctx)
{
	LIVEUPDATE_OPTS(liveupdate_netdev_opts, o, .flags = LIVEUPDATE_NETDEV_OWN_BRIDGE);
	struct liveupdate_netdevs *set;

	ck_assert_int_eq(liveupdate_netdevs_new(ctx, &set), 0);
	for (int q = 0; q < QUEUES; q++)
		ck_assert_msg(liveupdate_netdevs_add_tap_fd(set, queue_fd[q], &o) == 0,
			      "%s", liveupdate_last_error());
	ck_assert_msg(liveupdate_netdevs_add(set, "lu-tap1", NULL) == 0, "%s",
		      liveupdate_last_error());
	ck_assert_int_eq(liveupdate_netdevs_get_count(set), 3);
	return set;
}

static const struct lu_netdev *dev(const struct liveupdate_netdevs *set,
				   const char *name)
{
	for (size_t i = 0; i < set->n; i++)
		if (!strcmp(set->devs[i].name, name))
			return &set->devs[i];
	ck_abort_msg("%s is not in the set", name);
	return NULL;
}

#define SAME(field) ck_assert_msg(x->field == y->field, "%s: " #field " %lld, " \
				  "now %lld", x->name, (long long)x->field,     \
				  (long long)y->field)

/* Field by field, so that a difference says which. */
static void assert_same(const struct liveupdate_netdevs *a,
			const struct liveupdate_netdevs *b)
{
	ck_assert_uint_eq(a->n, b->n);
	for (size_t i = 0; i < a->n; i++) {
		const struct lu_netdev *x = &a->devs[i], *y = dev(b, x->name);

		SAME(kind);
		SAME(flags);
		ck_assert_msg(!memcmp(x->mac, y->mac, 6), "%s: MAC", x->name);
		SAME(mtu);
		SAME(tun_flags);
		SAME(owner);
		SAME(group);
		SAME(queues);
		ck_assert_str_eq(x->lower, y->lower);
		SAME(macvtap_mode);
		ck_assert_str_eq(x->master, y->master);
		SAME(port_state);
		SAME(port_priority);
		SAME(port_cost);
		SAME(port_flags);
		SAME(naddrs);
		ck_assert_msg(!memcmp(x->addrs, y->addrs, sizeof(x->addrs)),
			      "%s: addresses", x->name);
	}
}

/* Take the restored queues as the VMM would; they become the world's. */
static void take_queues(struct liveupdate_netdevs *set)
{
	ck_assert_int_eq(liveupdate_netdevs_get_queues(set, "lu-tap0"), QUEUES);
	ck_assert_int_eq(liveupdate_netdevs_get_queues(set, "lu-tap1"), 1);
	ck_assert_int_eq(liveupdate_netdevs_get_queues(set, "lu-br0"), 0);
	for (int q = 0; q < QUEUES; q++) {
		struct ifreq ifr = { 0 };

		ck_assert_int_eq(liveupdate_netdevs_take_queue_fd(set, "lu-tap0", q,
								  &queue_fd[q]), 0);
		ck_assert_int_eq(ioctl(queue_fd[q], TUNGETIFF, &ifr), 0);
		ck_assert_str_eq(ifr.ifr_name, "lu-tap0");
		ck_assert_int_eq(ifr.ifr_flags & MQ_FLAGS, MQ_FLAGS);
	}
	ck_assert_int_eq(liveupdate_netdevs_take_queue_fd(set, "lu-tap0", 0,
							  &queue_fd[0]), -ENOENT);
}

/* Restore @set into whatever is there now, then compare with a new snapshot. */
static void restore_and_compare(struct liveupdate_ctx *ctx,
				struct liveupdate_netdevs *set)
{
	struct liveupdate_netdevs *now;

	ck_assert_msg(liveupdate_netdevs_restore(set) == 0, "%s",
		      liveupdate_last_error());
	take_queues(set);
	now = snapshot(ctx);
	assert_same(set, now);
	liveupdate_netdevs_unref(now);
}

START_TEST(test_roundtrip)
{
	struct liveupdate_ctx *ctx = quiet_ctx();
	struct liveupdate_netdevs *set, *decoded;
	int fds = count_fds();
	void *buf;
	size_t size;

	make_world();
	set = snapshot(ctx);
	ck_assert_int_eq(dev(set, "lu-tap0")->port_cost, 7);
	ck_assert_int_eq(dev(set, "lu-tap1")->owner, 1000);
	ck_assert_int_eq(dev(set, "lu-br0")->naddrs, 2);
	/* ownership is sticky: adding a port again without the flag keeps it */
	ck_assert_int_eq(liveupdate_netdevs_add(set, "lu-tap0", NULL), 0);
	ck_assert_int_eq(dev(set, "lu-br0")->naddrs, 2);
	ck_assert_int_eq(dev(set, "lu-tap0")->queues, QUEUES);
	ck_assert_int_eq(liveupdate_netdevs_encode(set, &buf, &size), 0);
	ck_assert_int_eq(liveupdate_netdevs_decode(ctx, buf, size, &decoded), 0);
	free(buf);
	delete_all();
	ck_assert_uint_eq(if_nametoindex("lu-br0"), 0);

	restore_and_compare(ctx, decoded);
	/* idempotent: again, over the devices just restored */
	close_queues();
	restore_and_compare(ctx, decoded);
	delete_all();
	liveupdate_netdevs_unref(decoded);
	liveupdate_netdevs_unref(set);
	ck_assert_int_eq(count_fds(), fds);
	liveupdate_ctx_unref(ctx);
}
END_TEST

START_TEST(test_partial_leftovers)
{
	struct liveupdate_ctx *ctx = quiet_ctx();
	struct liveupdate_netdevs *set;

	make_world();
	set = snapshot(ctx);
	close_queues();
	/* lu-tap0 is gone with its fds; the bridge lost an address and is
	 * down with another MTU; the persistent lu-tap1 stays, but up and
	 * in the bridge */
	sh("ip link del lu-tap0 2>/dev/null; true");
	sh("ip addr del 10.66.0.1/24 dev lu-br0");
	sh("ip link set lu-br0 down mtu 1500");
	sh("ip link set lu-tap1 master lu-br0 up");
	restore_and_compare(ctx, set);
	delete_all();
	liveupdate_netdevs_unref(set);
	liveupdate_ctx_unref(ctx);
}
END_TEST

/* A conflict fails, names the device, and creates nothing. */
static void expect_conflict(const char *setup, int err, const char *name)
{
	struct liveupdate_ctx *ctx = quiet_ctx();
	struct liveupdate_netdevs *set;

	make_world();
	set = snapshot(ctx);
	delete_all();
	sh("%s", setup);
	ck_assert_int_eq(liveupdate_netdevs_restore(set), -err);
	ck_assert_msg(strstr(liveupdate_last_error(), name), "%s",
		      liveupdate_last_error());
	ck_assert_uint_eq(if_nametoindex("lu-br0"), 0);
	ck_assert(strcmp(name, "lu-tap0") == 0 || if_nametoindex("lu-tap0") == 0);
	ck_assert_int_eq(liveupdate_netdevs_get_queues(set, "lu-tap0"), 0);
	liveupdate_netdevs_unref(set);
	delete_all();
	liveupdate_ctx_unref(ctx);
}

START_TEST(test_conflict_kind)
{
	expect_conflict("ip link add lu-tap1 type bridge", EEXIST, "lu-tap1");
}
END_TEST

START_TEST(test_conflict_flags)
{
	/* lu-tap1 was recorded without vnet_hdr */
	expect_conflict("ip tuntap add lu-tap1 mode tap vnet_hdr", EEXIST, "lu-tap1");
}
END_TEST

/* A child process attaches a queue to @name and holds it until killed. */
static pid_t hold_queue_elsewhere(const char *name, short flags)
{
	int ready[2];
	pid_t pid;
	char c;

	ck_assert_int_eq(pipe(ready), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct ifreq ifr = { 0 };
		int fd = open("/dev/net/tun", O_RDWR);

		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
		ifr.ifr_flags = flags;
		if (fd < 0 || ioctl(fd, TUNSETIFF, &ifr) < 0)
			_exit(1);
		if (write(ready[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(ready[1]);
	ck_assert_int_eq(read(ready[0], &c, 1), 1);
	close(ready[0]);
	return pid;
}

START_TEST(test_conflict_busy)
{
	struct liveupdate_ctx *ctx = quiet_ctx();
	struct liveupdate_netdevs *set;
	pid_t other;

	make_world();
	set = snapshot(ctx);
	delete_all();
	other = hold_queue_elsewhere("lu-tap0", MQ_FLAGS);
	ck_assert_int_eq(liveupdate_netdevs_restore(set), -EBUSY);
	ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "lu-tap0"));
	ck_assert_uint_eq(if_nametoindex("lu-br0"), 0);
	ck_assert_uint_eq(if_nametoindex("lu-tap1"), 0);
	kill(other, SIGKILL);
	waitpid(other, NULL, 0);
	liveupdate_netdevs_unref(set);
	delete_all();
	liveupdate_ctx_unref(ctx);
}
END_TEST

/*
 * Restore twice, as a VMM that took one queue and restores again: the
 * taps stay (a non-persistent one too), the queues this process has are
 * kept, and the set still hands out the fds it holds. Another process's
 * queue is a conflict that changes nothing and says so.
 */
START_TEST(test_restore_again)
{
	struct liveupdate_ctx *ctx = quiet_ctx();
	struct liveupdate_netdevs *set;
	int taken = -1, more = -1, fds;
	pid_t other;

	/* two non-persistent taps, recorded by their fds */
	for (int q = 0; q < QUEUES; q++)
		queue_fd[q] = tap_queue("lu-tap0", MQ_FLAGS);
	ck_assert_int_eq(liveupdate_netdevs_new(ctx, &set), 0);
	ck_assert_int_eq(liveupdate_netdevs_add_tap_fd(set, queue_fd[0], NULL), 0);
	more = tap_queue("lu-tap1", IFF_TAP | IFF_NO_PI);
	ck_assert_int_eq(liveupdate_netdevs_add_tap_fd(set, more, NULL), 0);
	close(more);
	close_queues();
	ck_assert_uint_eq(if_nametoindex("lu-tap1"), 0);
	fds = count_fds();

	ck_assert_msg(liveupdate_netdevs_restore(set) == 0, "%s", liveupdate_last_error());
	ck_assert_int_eq(liveupdate_netdevs_take_queue_fd(set, "lu-tap0", 0, &taken), 0);
	ck_assert_msg(liveupdate_netdevs_restore(set) == 0, "second restore: %s",
		      liveupdate_last_error());
	ck_assert_uint_ne(if_nametoindex("lu-tap0"), 0);
	ck_assert_uint_ne(if_nametoindex("lu-tap1"), 0);
	ck_assert_int_eq(liveupdate_netdevs_get_queues(set, "lu-tap0"), QUEUES);
	ck_assert_int_eq(liveupdate_netdevs_take_queue_fd(set, "lu-tap0", 0, &more), -ENOENT);
	ck_assert_int_eq(count_fds(), fds + QUEUES + 1); /* nothing opened twice */

	/* another process's queue: -EBUSY, the truth, and nothing changed */
	other = hold_queue_elsewhere("lu-tap0", MQ_FLAGS);
	ck_assert_int_eq(liveupdate_netdevs_restore(set), -EBUSY);
	ck_assert_msg(strstr(liveupdate_last_error(), "lu-tap0: exists with 1 queue(s) "
			     "attached by another process"), "%s", liveupdate_last_error());
	kill(other, SIGKILL);
	waitpid(other, NULL, 0);
	ck_assert_uint_ne(if_nametoindex("lu-tap1"), 0);
	ck_assert_int_eq(count_fds(), fds + QUEUES + 1);
	ck_assert_int_eq(liveupdate_netdevs_take_queue_fd(set, "lu-tap1", 0, &more), 0);
	ck_assert_int_eq(liveupdate_netdevs_take_queue_fd(set, "lu-tap0", 1, &queue_fd[1]), 0);
	close(more);
	close(taken);
	liveupdate_netdevs_unref(set);
	ck_assert_int_eq(count_fds(), fds + 1);
	close_queues();
	ck_assert_int_eq(count_fds(), fds);
	liveupdate_ctx_unref(ctx);
}
END_TEST

/* A failure midway deletes what the call created. */
START_TEST(test_undo)
{
	struct liveupdate_ctx *ctx = quiet_ctx();
	struct liveupdate_netdevs *set;

	make_world();
	set = snapshot(ctx);
	delete_all();
	sh("ip link add lu-br0 type bridge"); /* reused, so not deleted */
	/* a tap's MTU cannot exceed 65521: configuring lu-tap1 fails late */
	set->devs[2].mtu = 65535;
	ck_assert_str_eq(set->devs[2].name, "lu-tap1");
	ck_assert_int_lt(liveupdate_netdevs_restore(set), 0);
	ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "lu-tap1"));
	ck_assert_uint_eq(if_nametoindex("lu-tap0"), 0);
	ck_assert_uint_eq(if_nametoindex("lu-tap1"), 0);
	ck_assert_uint_ne(if_nametoindex("lu-br0"), 0);
	ck_assert_int_eq(liveupdate_netdevs_get_queues(set, "lu-tap0"), 0);
	liveupdate_netdevs_unref(set);
	delete_all();
	liveupdate_ctx_unref(ctx);
}
END_TEST

START_TEST(test_many_queues)
{
	struct liveupdate_ctx *ctx = quiet_ctx();
	struct liveupdate_netdevs *set;
	int fds[LU_NETDEV_QUEUES_MAX], n = LU_NETDEV_QUEUES_MAX;

	for (int q = 0; q < n; q++)
		fds[q] = tap_queue("lu-tap0", MQ_FLAGS);
	sh("ip link set lu-tap0 mtu 1280 up");
	ck_assert_int_eq(liveupdate_netdevs_new(ctx, &set), 0);
	ck_assert_int_eq(liveupdate_netdevs_add(set, "lu-tap0", NULL), 0);
	for (int q = 0; q < n; q++)
		close(fds[q]);
	ck_assert_uint_eq(if_nametoindex("lu-tap0"), 0);
	ck_assert_msg(liveupdate_netdevs_restore(set) == 0, "%s",
		      liveupdate_last_error());
	ck_assert_int_eq(liveupdate_netdevs_get_queues(set, "lu-tap0"), n);
	for (int q = 0; q < n; q++)
		ck_assert_int_eq(liveupdate_netdevs_take_queue_fd(set, "lu-tap0", q,
								  &fds[q]), 0);
	struct liveupdate_netdevs *now;
	ck_assert_int_eq(liveupdate_netdevs_new(ctx, &now), 0);
	ck_assert_int_eq(liveupdate_netdevs_add(now, "lu-tap0", NULL), 0);
	assert_same(set, now);
	for (int q = 0; q < n; q++)
		close(fds[q]);
	liveupdate_netdevs_unref(now);
	liveupdate_netdevs_unref(set);
	liveupdate_ctx_unref(ctx);
}
END_TEST

/* A macvtap queue without vnet_hdr, as its fd says. */
static int macvtap_queue(const char *name)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
	char path[32];
	int fd;

	snprintf(path, sizeof(path), "/dev/tap%u", if_nametoindex(name));
	fd = open(path, O_RDWR | O_CLOEXEC);
	ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
	ck_assert_int_eq(ioctl(fd, TUNSETIFF, &ifr), 0);
	return fd;
}

#define MACVTAP_PAIR "ip link add lu-dum0 type veth peer name lu-dum1 2>/dev/null && " \
	"ip link add link lu-dum0 name lu-mvt0 type macvtap mode bridge 2>/dev/null"

START_TEST(test_macvtap)
{
	struct liveupdate_ctx *ctx = quiet_ctx();
	struct liveupdate_netdevs *set, *now;
	struct ifreq ifr = { 0 };
	int fd;

	if (system(MACVTAP_PAIR)) {
		/* load the modules (when they are modules), then once more */
		delete_all();
		sh("modprobe -q veth; modprobe -q macvtap; true");
		if (system(MACVTAP_PAIR)) {
			delete_all();
			liveupdate_ctx_unref(ctx);
			SKIP_TEST("no veth or macvtap in this kernel, even after modprobe "
				  "(CONFIG_VETH, CONFIG_MACVTAP)");
		}
	}
	sh("ip link set lu-mvt0 address 02:00:00:00:c0:01 mtu 1400 up");
	fd = macvtap_queue("lu-mvt0");
	ck_assert_int_eq(liveupdate_netdevs_new(ctx, &set), 0);
	ck_assert_int_eq(liveupdate_netdevs_add_tap_fd(set, fd, NULL), 0);
	/* by name again: the flags seen on the fd stay */
	ck_assert_int_eq(liveupdate_netdevs_add(set, "lu-mvt0", NULL), 0);
	ck_assert_int_eq(dev(set, "lu-mvt0")->tun_flags, IFF_TAP | IFF_NO_PI);
	close(fd);
	sh("ip link del lu-mvt0");
	ck_assert_msg(liveupdate_netdevs_restore(set) == 0, "%s",
		      liveupdate_last_error());
	ck_assert_int_eq(liveupdate_netdevs_take_queue_fd(set, "lu-mvt0", 0, &fd), 0);
	ck_assert_int_eq(ioctl(fd, TUNGETIFF, &ifr), 0);
	ck_assert_int_eq(ifr.ifr_flags & (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR),
			 IFF_TAP | IFF_NO_PI);
	ck_assert_int_eq(liveupdate_netdevs_new(ctx, &now), 0);
	ck_assert_int_eq(liveupdate_netdevs_add_tap_fd(now, fd, NULL), 0);
	assert_same(set, now);
	close(fd);
	liveupdate_netdevs_unref(now);
	/* its lower device gone: a clear error, nothing made */
	sh("ip link del lu-mvt0; ip link del lu-dum0");
	ck_assert_uint_eq(if_nametoindex("lu-mvt0"), 0);
	ck_assert_int_eq(liveupdate_netdevs_restore(set), -ENODEV);
	ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "lu-dum0"));
	ck_assert_uint_eq(if_nametoindex("lu-mvt0"), 0);
	liveupdate_netdevs_unref(set);
	liveupdate_ctx_unref(ctx);
}
END_TEST

START_TEST(test_refused)
{
	struct liveupdate_ctx *ctx = quiet_ctx();
	struct liveupdate_netdevs *set;

	ck_assert_int_eq(liveupdate_netdevs_new(ctx, &set), 0);
	ck_assert_int_eq(liveupdate_netdevs_add(set, "lu-none", NULL), -ENODEV);
	ck_assert_int_eq(liveupdate_netdevs_add(set, "lo", NULL), -EOPNOTSUPP);
	sh("ip tuntap add lu-tun0 mode tun");
	ck_assert_int_eq(liveupdate_netdevs_add(set, "lu-tun0", NULL), -EOPNOTSUPP);
	sh("ip link del lu-tun0");
	ck_assert_int_eq(liveupdate_netdevs_get_count(set), 0);
	liveupdate_netdevs_unref(set);
	liveupdate_ctx_unref(ctx);
}
END_TEST

static int skip(const char *why)
{
	if (getenv("CI") && !strcmp(getenv("CI"), "true")) {
		printf("ERROR (CI=true): %s: CI must run this test as root\n", why);
		return 99;
	}
	printf("SKIP: %s\n", why);
	return 77;
}

int main(void)
{
	Suite *s = suite_create("netdev");
	TCase *tc = tcase_create("netns");
	char why[256];

	if (unshare(CLONE_NEWNET) < 0) {
		snprintf(why, sizeof(why), "unshare(CLONE_NEWNET): %s: a network "
			 "namespace of its own needs root (CAP_SYS_ADMIN)",
			 strerror(errno));
		return skip(why);
	}
	if (access("/dev/net/tun", R_OK | W_OK) < 0)
		return skip("no /dev/net/tun (modprobe tun)");
	if (system("ip link add lu-probe type bridge && ip link del lu-probe"))
		return skip("cannot make a bridge with ip(8): install iproute2, "
			    "modprobe bridge");
	tcase_add_test(tc, test_roundtrip);
	tcase_add_test(tc, test_partial_leftovers);
	tcase_add_test(tc, test_conflict_kind);
	tcase_add_test(tc, test_conflict_flags);
	tcase_add_test(tc, test_conflict_busy);
	tcase_add_test(tc, test_restore_again);
	tcase_add_test(tc, test_undo);
	tcase_add_test(tc, test_many_queues);
	tcase_add_test(tc, test_macvtap);
	tcase_add_test(tc, test_refused);
	tcase_add_checked_fixture(tc, clean_slate, NULL);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
