/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libliveupdate end to end on liveupdate-sim (run by tests/sim/library.sh
 * against a private daemon, $LIBLIVEUPDATE_SIM_SOCKET): backend selection,
 * the whole API across simulated reboots, session fds passed between
 * processes with SCM_RIGHTS, processes dying mid-way, and a VMM restarting
 * in place while its guest memory stays in RAM.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "liveupdate/liveupdate.h"
#include "../check-util.h"
#include "../count-fds.h"

/* A context on the simulator, logging into *cap when given. */
static struct liveupdate_ctx *sim_ctx(struct log_capture *cap)
{
	LIVEUPDATE_OPTS(liveupdate_ctx_opts, o, .backend = LIVEUPDATE_BACKEND_SIM);
	struct liveupdate_ctx *ctx = NULL;

	ck_assert_int_eq(liveupdate_ctx_new(&o, &ctx), 0);
	ck_assert_int_eq(liveupdate_ctx_get_backend(ctx), LIVEUPDATE_BACKEND_SIM);
	if (cap) {
		memset(cap, 0, sizeof(*cap));
		liveupdate_ctx_set_log_fn(ctx, capture_log, cap);
		liveupdate_ctx_set_log_priority(ctx, 7);
	} else {
		liveupdate_ctx_set_log_fn(ctx, NULL, NULL);
	}
	return ctx;
}

static void kexec(struct liveupdate_ctx *ctx)
{
	LIVEUPDATE_OPTS(liveupdate_kexec_opts, o, .cmdline = "liveupdate-sim test");

	ck_assert_int_eq(liveupdate_kexec_load(ctx, "/proc/self/exe", &o), 0);
	ck_assert_int_eq(liveupdate_kexec_reboot(ctx), 0);
}

static void send_fd(int sock, int fd)
{
	char c = 'f';
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(int))]; } u;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b,
			     .msg_controllen = sizeof(u.b) };

	memset(&u, 0, sizeof(u));
	u.h.cmsg_level = SOL_SOCKET;
	u.h.cmsg_type = SCM_RIGHTS;
	u.h.cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(&u.h), &fd, sizeof(int));
	ck_assert_int_eq(sendmsg(sock, &mh, 0), 1);
}

static int recv_fd(int sock)
{
	char c;
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(int))]; } u;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b,
			     .msg_controllen = sizeof(u.b) };
	int fd = -1;

	if (recvmsg(sock, &mh, MSG_CMSG_CLOEXEC) != 1 || !CMSG_FIRSTHDR(&mh))
		return -1;
	memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&mh)), sizeof(int));
	return fd;
}

static void put_byte(int fd, char c)
{
	ck_assert_int_eq(write(fd, &c, 1), 1);
}

static char get_byte(int fd)
{
	char c = 0;

	return read(fd, &c, 1) == 1 ? c : 0;
}

/* ------------------------------------------------------------------ tests */

START_TEST(test_backend_selection)
{
	struct liveupdate_ctx *ctx = NULL;
	char *saved = getenv("LIBLIVEUPDATE_BACKEND") ? strdup(getenv("LIBLIVEUPDATE_BACKEND")) : NULL;

	unsetenv("LIBLIVEUPDATE_BACKEND");
	ck_assert_int_eq(liveupdate_ctx_new(NULL, &ctx), 0);
	ck_assert_int_eq(liveupdate_ctx_get_backend(ctx), LIVEUPDATE_BACKEND_KERNEL);
	liveupdate_ctx_unref(ctx);

	setenv("LIBLIVEUPDATE_BACKEND", "sim", 1);
	{
		/* announced on stderr even at the default log priority */
		int saved_err = dup(2), out = memfd_create("stderr", MFD_CLOEXEC);
		char buf[512] = "";

		ck_assert_int_ge(out, 0);
		ck_assert_int_eq(dup2(out, 2), 2);
		ck_assert_int_eq(liveupdate_ctx_new(NULL, &ctx), 0);
		dup2(saved_err, 2);
		close(saved_err);
		ck_assert_int_ge(pread(out, buf, sizeof(buf) - 1, 0), 0);
		close(out);
		ck_assert_msg(strstr(buf, "liveupdate-sim simulator, not the kernel"),
			      "no announcement on stderr: \"%s\"", buf);
	}
	ck_assert_int_eq(liveupdate_ctx_get_backend(ctx), LIVEUPDATE_BACKEND_SIM);
	liveupdate_ctx_unref(ctx);
	{
		/* production code that asks for the kernel gets it, whatever the environment */
		LIVEUPDATE_OPTS(liveupdate_ctx_opts, o, .backend = LIVEUPDATE_BACKEND_KERNEL);

		ck_assert_int_eq(liveupdate_ctx_new(&o, &ctx), 0);
		ck_assert_int_eq(liveupdate_ctx_get_backend(ctx), LIVEUPDATE_BACKEND_KERNEL);
		liveupdate_ctx_unref(ctx);
	}
	/* a misspelt request is an error, not a silent choice */
	setenv("LIBLIVEUPDATE_BACKEND", "simulator", 1);
	ck_assert_int_eq(liveupdate_ctx_new(NULL, &ctx), -EINVAL);

	if (saved)
		setenv("LIBLIVEUPDATE_BACKEND", saved, 1);
	else
		unsetenv("LIBLIVEUPDATE_BACKEND");
	free(saved);
}
END_TEST

START_TEST(test_roundtrip)
{
	int fds = count_fds();
	struct liveupdate_ctx *ctx = sim_ctx(NULL);
	struct liveupdate_session *s, *in;
	int m1 = pattern_memfd(1 << 20, 1), m2 = pattern_memfd(4096, 2), fd;

	ck_assert_int_eq(liveupdate_session_create(ctx, "lib-roundtrip", &s), 0);
	ck_assert_int_eq(liveupdate_session_create(ctx, "lib-roundtrip", &in), -EEXIST);
	ck_assert_int_eq(liveupdate_session_preserve_fd(s, m1, 1), 0);
	ck_assert_int_eq(liveupdate_session_preserve_fd(s, m2, 2), 0);
	ck_assert_int_eq(liveupdate_session_preserve_fd(s, m2, 3), -EBUSY);
	ck_assert_int_eq(liveupdate_session_retrieve(ctx, "lib-roundtrip", &in), -ENOENT);
	close(m1);
	close(m2);

	kexec(ctx);
	/* the previous boot's session fd is dead */
	ck_assert_int_eq(liveupdate_session_preserve_fd(s, 0, 9), -EBADF);
	liveupdate_session_unref(s);

	ck_assert_int_eq(liveupdate_session_retrieve(ctx, "lib-roundtrip", &in), 0);
	ck_assert_int_eq(liveupdate_session_get_direction(in), LIVEUPDATE_SESSION_INCOMING);
	ck_assert_int_eq(liveupdate_session_retrieve_fd(in, 1, &fd), 0);
	ck_assert(has_pattern(fd, 1 << 20, 1));
	close(fd);
	ck_assert_int_eq(liveupdate_session_retrieve_fd(in, 2, &fd), 0);
	ck_assert(has_pattern(fd, 4096, 2));
	close(fd);
	ck_assert_int_eq(liveupdate_session_retrieve_fd(in, 5, &fd), -ENOENT);
	ck_assert_int_eq(liveupdate_session_finish(in), 0);
	ck_assert_int_eq(liveupdate_session_is_finished(in), 1);
	ck_assert_int_eq(liveupdate_session_retrieve_fd(in, 1, &fd), -ENOENT);
	liveupdate_session_unref(in);
	ck_assert_int_eq(liveupdate_session_retrieve(ctx, "lib-roundtrip", &in), -ENOENT);
	liveupdate_ctx_unref(ctx);
	ck_assert_int_eq(count_fds(), fds);
}
END_TEST

START_TEST(test_reboot_needs_load)
{
	struct log_capture cap;
	struct liveupdate_ctx *ctx = sim_ctx(&cap);

	ck_assert_int_eq(liveupdate_kexec_reboot(ctx), -EINVAL);
	kexec(ctx);
	/* the load is used up by the reboot, as kexec's image is */
	ck_assert_int_eq(liveupdate_kexec_reboot(ctx), -EINVAL);
	ck_assert_ptr_nonnull(strstr(cap.all, "simulated kexec"));
	liveupdate_ctx_unref(ctx);
}
END_TEST

/* A session fd passed to another process keeps the session alive. */
START_TEST(test_scm_rights_handover)
{
	struct liveupdate_ctx *ctx = sim_ctx(NULL);
	struct liveupdate_session *s;
	int sv[2], m1 = pattern_memfd(8192, 11), fd, st;
	pid_t pid;

	ck_assert_int_eq(liveupdate_session_create(ctx, "lib-handover", &s), 0);
	ck_assert_int_eq(liveupdate_session_preserve_fd(s, m1, 1), 0);
	close(m1);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct liveupdate_ctx *c2 = sim_ctx(NULL);
		struct liveupdate_session *a;
		int sfd = recv_fd(sv[1]), m2 = pattern_memfd(8192, 12), ok;

		ok = sfd >= 0 && liveupdate_session_adopt(c2, sfd, &a) == 0 &&
		     liveupdate_session_get_direction(a) == LIVEUPDATE_SESSION_OUTGOING &&
		     strcmp(liveupdate_session_get_name(a), "lib-handover") == 0 &&
		     liveupdate_session_preserve_fd(a, m2, 2) == 0;
		close(m2);
		put_byte(sv[1], ok ? 'k' : 'x');
		get_byte(sv[1]); /* the parent has rebooted */
		if (ok)
			liveupdate_session_unref(a);
		liveupdate_ctx_unref(c2);
		_exit(ok ? 0 : 1);
	}
	send_fd(sv[0], liveupdate_session_get_fd(s));
	/* our fd goes: only the child holds the session now */
	liveupdate_session_unref(s);
	ck_assert_int_eq(get_byte(sv[0]), 'k');
	kexec(ctx);
	put_byte(sv[0], 'r');
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(sv[0]);
	close(sv[1]);

	ck_assert_int_eq(liveupdate_session_retrieve(ctx, "lib-handover", &s), 0);
	ck_assert_int_eq(liveupdate_session_retrieve_fd(s, 1, &fd), 0);
	ck_assert(has_pattern(fd, 8192, 11));
	close(fd);
	ck_assert_int_eq(liveupdate_session_retrieve_fd(s, 2, &fd), 0);
	ck_assert(has_pattern(fd, 8192, 12)); /* preserved by the child, which is gone */
	close(fd);
	ck_assert_int_eq(liveupdate_session_finish(s), 0);
	liveupdate_session_unref(s);
	liveupdate_ctx_unref(ctx);
}
END_TEST

/* A process killed while holding the only fd: its session is aborted. */
START_TEST(test_process_dies)
{
	struct liveupdate_ctx *ctx;
	struct liveupdate_session *s;
	int sv[2];
	pid_t pid;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct liveupdate_ctx *c = sim_ctx(NULL);
		struct liveupdate_session *cs;
		int m = pattern_memfd(4096, 3);

		if (liveupdate_session_create(c, "lib-dies", &cs) == 0 &&
		    liveupdate_session_preserve_fd(cs, m, 1) == 0)
			put_byte(sv[1], 'k');
		else
			put_byte(sv[1], 'x');
		liveupdate_ctx_close_device(c); /* the device is not needed any more */
		put_byte(sv[1], 'c');
		for (;;)
			pause();
	}
	ctx = sim_ctx(NULL);
	{
		char k = get_byte(sv[0]), closed = get_byte(sv[0]);
		int busy = liveupdate_session_create(ctx, "lib-dies", &s);

		kill(pid, SIGKILL);
		ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
		ck_assert_int_eq(k, 'k');
		ck_assert_int_eq(closed, 'c');
		ck_assert_int_eq(busy, -EEXIST);
	}
	/* the kernel's release ran when the process died: the name is free */
	ck_assert_int_eq(liveupdate_session_create(ctx, "lib-dies", &s), 0);
	liveupdate_session_unref(s);
	kexec(ctx);
	ck_assert_int_eq(liveupdate_session_retrieve(ctx, "lib-dies", &s), -ENOENT);
	close(sv[0]);
	close(sv[1]);
	liveupdate_ctx_unref(ctx);
}
END_TEST

/* A child that inherited the fd and exits does not end the session. */
START_TEST(test_child_exit_keeps_session)
{
	struct liveupdate_ctx *ctx = sim_ctx(NULL);
	struct liveupdate_session *s;
	int m = pattern_memfd(4096, 4);
	pid_t pid;

	ck_assert_int_eq(liveupdate_session_create(ctx, "lib-inherit", &s), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(0);
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
	ck_assert_int_eq(liveupdate_session_preserve_fd(s, m, 1), 0);
	close(m);
	liveupdate_session_unref(s);
	liveupdate_ctx_unref(ctx);
}
END_TEST

START_TEST(test_device_exclusive)
{
	struct liveupdate_ctx *a = sim_ctx(NULL), *b = sim_ctx(NULL);
	struct liveupdate_session *s;

	ck_assert_int_eq(liveupdate_ctx_open_device(a), 0);
	ck_assert_int_eq(liveupdate_ctx_open_device(b), -EBUSY);
	ck_assert_int_eq(liveupdate_session_create(b, "lib-busy", &s), -EBUSY);
	liveupdate_ctx_close_device(a);
	ck_assert_int_eq(liveupdate_ctx_open_device(b), 0);
	ck_assert_int_eq(liveupdate_ctx_open_device(a), -EBUSY);
	liveupdate_ctx_unref(b);
	ck_assert_int_eq(liveupdate_ctx_open_device(a), 0);
	liveupdate_ctx_unref(a);
}
END_TEST

START_TEST(test_adopt)
{
	struct liveupdate_ctx *ctx = sim_ctx(NULL), *other = sim_ctx(NULL);
	struct liveupdate_session *s, *a;
	int fd, null = open("/dev/null", O_RDWR | O_CLOEXEC);

	ck_assert_int_eq(liveupdate_session_create(ctx, "lib-adopt", &s), 0);
	fd = dup(liveupdate_session_get_fd(s));
	ck_assert_int_eq(liveupdate_session_adopt(other, fd, &a), 0);
	ck_assert_int_eq(liveupdate_session_get_direction(a), LIVEUPDATE_SESSION_OUTGOING);
	ck_assert_str_eq(liveupdate_session_get_name(a), "lib-adopt");
	ck_assert_int_eq(liveupdate_session_adopt(other, null, &a), -ENOTTY);
	close(null);
	liveupdate_session_unref(s); /* a still holds the session */
	kexec(ctx);
	liveupdate_session_unref(a);
	ck_assert_int_eq(liveupdate_session_retrieve(ctx, "lib-adopt", &s), 0);
	fd = dup(liveupdate_session_get_fd(s));
	ck_assert_int_eq(liveupdate_session_adopt(other, fd, &a), 0);
	ck_assert_int_eq(liveupdate_session_get_direction(a), LIVEUPDATE_SESSION_INCOMING);
	liveupdate_session_unref(a);
	liveupdate_session_unref(s);
	ck_assert_int_eq(liveupdate_session_retrieve(ctx, "lib-adopt", &s), -ENOENT);
	liveupdate_ctx_unref(other);
	liveupdate_ctx_unref(ctx);
}
END_TEST

START_TEST(test_no_daemon)
{
	LIVEUPDATE_OPTS(liveupdate_ctx_opts, o, .backend = LIVEUPDATE_BACKEND_SIM,
			.sim_socket = "/nonexistent/liveupdate-sim/socket");
	struct liveupdate_ctx *ctx = (void *)0x1;

	/* as the header says: at liveupdate_ctx_new, not at the first session */
	ck_assert_int_eq(liveupdate_ctx_new(&o, &ctx), -ENOENT);
	ck_assert_ptr_eq(ctx, (void *)0x1);
	/* the advice is the simulator's, not the kernel's */
	ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "liveupdate-sim start"));
	ck_assert_ptr_null(strstr(liveupdate_last_error(), "CONFIG_LIVEUPDATE"));
}
END_TEST

/*
 * A VMM upgrading itself in place: the old process preserves the guest's
 * RAM, "reboots" and is gone; the new one finds the RAM as it was.
 */
START_TEST(test_vmm_restart_in_place)
{
	const size_t ram = 4 << 20;
	struct liveupdate_ctx *ctx;
	struct liveupdate_session *s;
	int st, fd;
	pid_t old = fork();

	ck_assert_int_ge(old, 0);
	if (old == 0) {
		struct liveupdate_ctx *c = sim_ctx(NULL);
		struct liveupdate_session *vm;
		LIVEUPDATE_OPTS(liveupdate_kexec_opts, o, .cmdline = "vmm");
		int guest = pattern_memfd(ram, 42), ok;

		ok = liveupdate_session_create(c, "vmm-guest", &vm) == 0 &&
		     liveupdate_session_preserve_fd(vm, guest, 0x6e6d) == 0 &&
		     liveupdate_kexec_load(c, "/proc/self/exe", &o) == 0 &&
		     liveupdate_kexec_reboot(c) == 0;
		close(guest);
		if (ok)
			liveupdate_session_unref(vm);
		liveupdate_ctx_unref(c);
		_exit(ok ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(old, &st, 0), old);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* the new VMM */
	ctx = sim_ctx(NULL);
	ck_assert_int_eq(liveupdate_session_retrieve(ctx, "vmm-guest", &s), 0);
	ck_assert_int_eq(liveupdate_session_retrieve_fd(s, 0x6e6d, &fd), 0);
	ck_assert(has_pattern(fd, ram, 42));
	ck_assert_int_eq(liveupdate_session_finish(s), 0);
	liveupdate_session_unref(s);
	close(fd);
	liveupdate_ctx_unref(ctx);
}
END_TEST

int main(void)
{
	Suite *suite = suite_create("liveupdate-sim: the library end to end");
	TCase *tc = tcase_create("sim");

	if (!getenv("LIBLIVEUPDATE_SIM_SOCKET")) {
		fprintf(stderr, "test-sim-lib: run it through tests/sim/library.sh\n");
		return 99;
	}
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_backend_selection);
	tcase_add_test(tc, test_roundtrip);
	tcase_add_test(tc, test_reboot_needs_load);
	tcase_add_test(tc, test_scm_rights_handover);
	tcase_add_test(tc, test_process_dies);
	tcase_add_test(tc, test_child_exit_keeps_session);
	tcase_add_test(tc, test_device_exclusive);
	tcase_add_test(tc, test_adopt);
	tcase_add_test(tc, test_no_daemon);
	tcase_add_test(tc, test_vmm_restart_in_place);
	suite_add_tcase(suite, tc);
	return run_suite(suite);
}
