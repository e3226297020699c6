/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The systemd fd store helpers against a notify socket this test binds
 * (path and abstract), playing the service manager's part: what arrives,
 * with which fd, and what the library says when something is missing.
 */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include "unit.h"

/* The manager's side: a bound datagram socket and its $NOTIFY_SOCKET text. */
struct manager {
	int sock;
	char env[108];
	char path[108];
};

static void manager_bind(struct manager *m, bool abstract)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t len;

	memset(m, 0, sizeof(*m));
	m->sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(m->sock, 0);
	if (abstract) {
		snprintf(m->env, sizeof(m->env), "@lu-unit-notify-%d", (int)getpid());
		memcpy(sa.sun_path + 1, m->env + 1, strlen(m->env) - 1);
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(m->env));
	} else {
		snprintf(m->path, sizeof(m->path), "/tmp/lu-unit-notify-%d", (int)getpid());
		unlink(m->path);
		strcpy(m->env, m->path);
		strcpy(sa.sun_path, m->path);
		len = sizeof(sa);
	}
	ck_assert_int_eq(bind(m->sock, (struct sockaddr *)&sa, len), 0);
	setenv("NOTIFY_SOCKET", m->env, 1);
	setenv("FDSTORE", "8", 1);
}

static void manager_close(struct manager *m)
{
	close(m->sock);
	if (m->path[0])
		unlink(m->path);
	unsetenv("NOTIFY_SOCKET");
	unsetenv("FDSTORE");
}

/* One datagram: its text into @text, its fd (or -1) returned. */
static int manager_recv(struct manager *m, char *text, size_t size)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int) * 4)];
	} control;
	struct iovec iov = { .iov_base = text, .iov_len = size - 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control.buf, .msg_controllen = sizeof(control.buf),
	};
	ssize_t n = recvmsg(m->sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	int fd = -1;

	ck_assert_int_ge(n, 0);
	text[n] = '\0';
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		ck_assert_int_eq(c->cmsg_type, SCM_RIGHTS);
		ck_assert_int_eq(c->cmsg_len, CMSG_LEN(sizeof(int)));
		memcpy(&fd, CMSG_DATA(c), sizeof(int));
	}
	return fd;
}

static bool same_file(int a, int b)
{
	struct stat sa, sb;

	ck_assert_int_eq(fstat(a, &sa), 0);
	ck_assert_int_eq(fstat(b, &sb), 0);
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static void check_push_arrives(bool abstract)
{
	struct log_capture cap;
	struct liveupdate_ctx *ctx = seam_ctx(&cap);
	struct manager m;
	char text[512];
	int ram = pattern_memfd(4096, 3), got;

	manager_bind(&m, abstract);
	ck_assert_int_eq(liveupdate_fdstore_push(ctx, ram, "guest-ram", NULL), 0);
	got = manager_recv(&m, text, sizeof(text));
	ck_assert_str_eq(text, "FDSTORE=1\nFDNAME=guest-ram\n");
	ck_assert_int_ge(got, 0);
	ck_assert(same_file(got, ram));
	ck_assert_int_ne(got, ram); /* a duplicate: the caller keeps its fd */
	check_pattern(got, 4096, 3);
	ck_assert_int_ge(fcntl(ram, F_GETFD), 0);
	close(got);
	manager_close(&m);
	close(ram);
	liveupdate_ctx_unref(ctx);
}

START_TEST(test_push_path_socket)
{
	check_push_arrives(false);
}
END_TEST

START_TEST(test_push_abstract_socket)
{
	check_push_arrives(true);
}
END_TEST

START_TEST(test_push_session_and_options)
{
	struct liveupdate_ctx *ctx = seam_ctx(NULL);
	struct liveupdate_session *s;
	struct manager m, other;
	char text[512];
	int got;

	manager_bind(&other, true);
	manager_bind(&m, false); /* $NOTIFY_SOCKET names m */
	ck_assert_int_eq(liveupdate_session_create(ctx, "vmm", &s), 0);
	{
		LIVEUPDATE_OPTS(liveupdate_fdstore_opts, o, .no_poll = 1);

		ck_assert_int_eq(liveupdate_fdstore_push_session(ctx, s, "vmm-session", &o), 0);
	}
	got = manager_recv(&m, text, sizeof(text));
	ck_assert_str_eq(text, "FDSTORE=1\nFDNAME=vmm-session\nFDPOLL=0\n");
	ck_assert(same_file(got, liveupdate_session_get_fd(s)));
	close(got);
	/* an explicit socket wins over $NOTIFY_SOCKET, and needs no $FDSTORE */
	unsetenv("FDSTORE");
	{
		LIVEUPDATE_OPTS(liveupdate_fdstore_opts, o, .notify_socket = other.env);

		ck_assert_int_eq(liveupdate_fdstore_remove(ctx, "vmm-session", &o), 0);
		ck_assert_int_eq(manager_recv(&other, text, sizeof(text)), -1);
		ck_assert_str_eq(text, "FDSTOREREMOVE=1\nFDNAME=vmm-session\n");
		ck_assert_int_eq(liveupdate_fdstore_push(ctx, 0, "stdin", &o), 0);
		close(manager_recv(&other, text, sizeof(text)));
	}
	ck_assert_int_eq(liveupdate_fdstore_push_session(ctx, NULL, "x", NULL), -EINVAL);
	liveupdate_session_unref(s);
	manager_close(&other);
	manager_close(&m);
	liveupdate_ctx_unref(ctx);
}
END_TEST

/* The manager's part of BARRIER=1: read both datagrams, drop their fds. */
static void *manager_serve_two(void *arg)
{
	struct manager *m = arg;
	struct pollfd p = { .fd = m->sock, .events = POLLIN };
	char text[512];

	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(poll(&p, 1, 10000), 1);
		int fd = manager_recv(m, text, sizeof(text));

		if (i == 1)
			ck_assert_str_eq(text, "BARRIER=1\n");
		close(fd);
	}
	return NULL;
}

START_TEST(test_barrier)
{
	struct liveupdate_ctx *ctx = seam_ctx(NULL);
	LIVEUPDATE_OPTS(liveupdate_fdstore_opts, o, .barrier_ms = 10000);
	struct manager m;
	pthread_t t;
	int fd = pattern_memfd(64, 1), fds;

	manager_bind(&m, false);
	fds = count_fds();
	ck_assert_int_eq(pthread_create(&t, NULL, manager_serve_two, &m), 0);
	ck_assert_int_eq(liveupdate_fdstore_push(ctx, fd, "synced", &o), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_int_eq(count_fds(), fds); /* the pipe is gone */

	/* nobody reads: the barrier expires, and says so */
	o.barrier_ms = 50;
	ck_assert_int_eq(liveupdate_fdstore_push(ctx, fd, "unread", &o), -ETIMEDOUT);
	ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "BARRIER"));
	ck_assert_int_eq(count_fds(), fds);
	o.barrier_ms = -1;
	ck_assert_int_eq(liveupdate_fdstore_push(ctx, fd, "x", &o), -EINVAL);
	manager_close(&m);
	close(fd);
	liveupdate_ctx_unref(ctx);
}
END_TEST

START_TEST(test_push_errors)
{
	struct liveupdate_ctx *ctx = seam_ctx(NULL);
	struct manager m;
	char name[LIVEUPDATE_FDSTORE_NAME_MAX + 2];
	int fd = pattern_memfd(64, 1), closed = 900; /* never opened here */

	ck_assert_int_lt(fcntl(closed, F_GETFD), 0);
	/* not under systemd */
	unsetenv("NOTIFY_SOCKET");
	ck_assert_int_eq(liveupdate_fdstore_push(ctx, fd, "a", NULL), -ENOTCONN);
	ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "NotifyAccess"));
	ck_assert_int_eq(liveupdate_fdstore_remove(ctx, "a", NULL), -ENOTCONN);

	manager_bind(&m, false);
	/* the store is disabled: systemd sets no $FDSTORE */
	unsetenv("FDSTORE");
	ck_assert_int_eq(liveupdate_fdstore_push(ctx, fd, "a", NULL), -EOPNOTSUPP);
	ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "FileDescriptorStoreMax="));
	ck_assert_int_eq(liveupdate_fdstore_limit(ctx), -EOPNOTSUPP);
	setenv("FDSTORE", "0", 1);
	ck_assert_int_eq(liveupdate_fdstore_push(ctx, fd, "a", NULL), -EOPNOTSUPP);
	setenv("FDSTORE", "12", 1);
	ck_assert_int_eq(liveupdate_fdstore_limit(ctx), 12);

	/* names systemd would refuse or split */
	ck_assert_int_eq(liveupdate_fdstore_push(ctx, fd, "", NULL), -EINVAL);
	ck_assert_int_eq(liveupdate_fdstore_push(ctx, fd, "a:b", NULL), -EINVAL);
	ck_assert_int_eq(liveupdate_fdstore_push(ctx, fd, "a\nFDSTOREREMOVE=1", NULL), -EINVAL);
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	ck_assert_int_eq(liveupdate_fdstore_push(ctx, fd, name, NULL), -EINVAL);
	name[LIVEUPDATE_FDSTORE_NAME_MAX] = '\0';
	ck_assert_int_eq(liveupdate_fdstore_push(ctx, fd, name, NULL), 0);
	close(manager_recv(&m, (char[512]){ 0 }, 512));

	ck_assert_int_eq(liveupdate_fdstore_push(ctx, -1, "a", NULL), -EINVAL);
	ck_assert_int_eq(liveupdate_fdstore_push(ctx, closed, "a", NULL), -EBADF);
	ck_assert_int_eq(liveupdate_fdstore_push(NULL, fd, "a", NULL), -EINVAL);
	ck_assert_int_eq(liveupdate_fdstore_push(ctx, fd, NULL, NULL), -EINVAL);
	{
		struct liveupdate_fdstore_opts o = { .sz = 1 };

		ck_assert_int_eq(liveupdate_fdstore_push(ctx, fd, "a", &o), -EINVAL);
	}
	/* sockets this library cannot talk to, or that are gone */
	setenv("NOTIFY_SOCKET", "vsock:2:1234", 1);
	ck_assert_int_eq(liveupdate_fdstore_push(ctx, fd, "a", NULL), -EAFNOSUPPORT);
	setenv("NOTIFY_SOCKET", "/nonexistent/notify", 1);
	ck_assert_int_eq(liveupdate_fdstore_push(ctx, fd, "a", NULL), -ENOENT);
	ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "/nonexistent/notify"));
	manager_close(&m);
	setenv("NOTIFY_SOCKET", m.path, 1);
	setenv("FDSTORE", "8", 1);
	ck_assert_int_eq(liveupdate_fdstore_push(ctx, fd, "a", NULL), -ENOENT);
	unsetenv("NOTIFY_SOCKET");
	unsetenv("FDSTORE");
	close(fd);
	liveupdate_ctx_unref(ctx);
}
END_TEST

/*
 * Two fds passed as systemd passes them, at 100 and 101: LISTEN_FDS counts
 * from 3, so 97 placeholders named "pad" come first. Fds 3 to 99 are left
 * alone (Check and valgrind may hold some of them).
 */
#define PASSED_AT 100

static void pass_fds(int a, int b, const char *names)
{
	char pid[32], all[1024] = "";

	ck_assert_int_eq(dup2(a, PASSED_AT), PASSED_AT);
	ck_assert_int_eq(dup2(b, PASSED_AT + 1), PASSED_AT + 1);
	for (int i = 3; i < PASSED_AT; i++)
		strcat(all, "pad:");
	strcat(all, names);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	setenv("LISTEN_PID", pid, 1);
	setenv("LISTEN_FDS", "99", 1);
	setenv("LISTEN_FDNAMES", all, 1);
}

static void unpass_fds(void)
{
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
}

START_TEST(test_get_by_name)
{
	struct liveupdate_ctx *ctx = seam_ctx(NULL);
	int ram = pattern_memfd(4096, 9), other = pattern_memfd(64, 1), fd = -1;

	pass_fds(ram, other, "guest-ram:notes");
	fcntl(PASSED_AT, F_SETFD, 0); /* as inherited: no FD_CLOEXEC */
	ck_assert_int_eq(liveupdate_fdstore_get(ctx, "guest-ram", &fd), 0);
	ck_assert_int_eq(fd, PASSED_AT);
	ck_assert_int_ne(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
	ck_assert(same_file(fd, ram));
	check_pattern(fd, 4096, 9);
	/* the environment stays: a second lookup finds it again */
	ck_assert_int_eq(liveupdate_fdstore_get(ctx, "guest-ram", &fd), 0);
	ck_assert_int_eq(liveupdate_fdstore_get(ctx, "notes", &fd), 0);
	ck_assert_int_eq(fd, PASSED_AT + 1);
	ck_assert_int_eq(liveupdate_fdstore_get(ctx, "guest", &fd), -ENOENT);
	ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "no fd named 'guest'"));
	ck_assert_int_eq(liveupdate_fdstore_get(ctx, "a:b", &fd), -EINVAL);
	ck_assert_int_eq(liveupdate_fdstore_get(ctx, NULL, &fd), -EINVAL);
	ck_assert_int_eq(liveupdate_fdstore_get(ctx, "x", NULL), -EINVAL);
	/* announced but closed */
	close(PASSED_AT + 1);
	ck_assert_int_eq(liveupdate_fdstore_get(ctx, "notes", &fd), -EBADF);
	/* fds meant for another process (our parent's LISTEN_PID) */
	setenv("LISTEN_PID", "1", 1);
	ck_assert_int_eq(liveupdate_fdstore_get(ctx, "guest-ram", &fd), -ENOENT);
	ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "LISTEN_PID"));
	/* a malformed count is named as such, not blamed on LISTEN_PID */
	{
		static const char *const bad[] = { "abc", "0", "-1", "", "3x" };
		char pid[32], want[64];

		snprintf(pid, sizeof(pid), "%d", (int)getpid());
		setenv("LISTEN_PID", pid, 1);
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			setenv("LISTEN_FDS", bad[i], 1);
			fd = -1;
			ck_assert_int_eq(liveupdate_fdstore_get(ctx, "guest-ram", &fd), -ENOENT);
			ck_assert_int_eq(fd, -1);
			snprintf(want, sizeof(want), "LISTEN_FDS=\"%s\" is not a positive", bad[i]);
			ck_assert_msg(strstr(liveupdate_last_error(), want), "LISTEN_FDS=%s: %s",
				      bad[i], liveupdate_last_error());
			ck_assert_ptr_null(strstr(liveupdate_last_error(), "LISTEN_PID"));
		}
		setenv("LISTEN_FDS", "99", 1);
		unsetenv("LISTEN_PID");
		ck_assert_int_eq(liveupdate_fdstore_get(ctx, "guest-ram", &fd), -ENOENT);
		ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "LISTEN_PID is not"));
	}
	/* fewer names than fds, and none at all */
	pass_fds(ram, other, "guest-ram");
	ck_assert_int_eq(liveupdate_fdstore_get(ctx, "notes", &fd), -ENOENT);
	unsetenv("LISTEN_FDNAMES");
	ck_assert_int_eq(liveupdate_fdstore_get(ctx, "guest-ram", &fd), -ENOENT);
	unpass_fds();
	ck_assert_int_eq(liveupdate_fdstore_get(ctx, "guest-ram", &fd), -ENOENT);
	ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "LISTEN_FDS is not set"));
	close(PASSED_AT);
	close(PASSED_AT + 1);
	close(ram);
	close(other);
	liveupdate_ctx_unref(ctx);
}
END_TEST

/* Push, "restart" with what the manager received, find and adopt it again. */
START_TEST(test_session_round_trip)
{
	struct liveupdate_ctx *ctx = seam_ctx(NULL);
	struct liveupdate_session *s, *back = NULL, *none = NULL;
	struct manager m;
	char text[512];
	int ram = pattern_memfd(4096, 5), stored_ram, stored_session;

	manager_bind(&m, true);
	ck_assert_int_eq(liveupdate_session_create(ctx, "round-trip", &s), 0);
	ck_assert_int_eq(liveupdate_fdstore_push(ctx, ram, "guest-ram", NULL), 0);
	ck_assert_int_eq(liveupdate_fdstore_push_session(ctx, s, "vmm-session", NULL), 0);
	stored_ram = manager_recv(&m, text, sizeof(text));
	stored_session = manager_recv(&m, text, sizeof(text));
	ck_assert_str_eq(text, "FDSTORE=1\nFDNAME=vmm-session\n");

	pass_fds(stored_ram, stored_session, "guest-ram:vmm-session");
	close(stored_ram);
	close(stored_session);
	ck_assert_int_eq(liveupdate_fdstore_adopt_session(ctx, "vmm-session", &back), 0);
	ck_assert_str_eq(liveupdate_session_get_name(back), "round-trip");
	/* the session holds its own copy of the fd passed, which is closed */
	ck_assert_int_lt(fcntl(PASSED_AT + 1, F_GETFD), 0);
	ck_assert_int_ge(liveupdate_session_get_fd(back), 0);
	/* a memfd is no session: the fd is left open, the message names it */
	ck_assert_int_lt(liveupdate_fdstore_adopt_session(ctx, "guest-ram", &none), 0);
	ck_assert_ptr_null(none);
	ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "guest-ram"));
	ck_assert_int_ge(fcntl(PASSED_AT, F_GETFD), 0);
	ck_assert_int_eq(liveupdate_fdstore_adopt_session(ctx, "none", &none), -ENOENT);
	ck_assert_int_eq(liveupdate_fdstore_adopt_session(ctx, "x", NULL), -EINVAL);
	unpass_fds();
	liveupdate_session_unref(back);
	liveupdate_session_unref(s);
	close(PASSED_AT);
	close(ram);
	manager_close(&m);
	liveupdate_ctx_unref(ctx);
}
END_TEST

/* Label files "f0", "f1", ... from *next on until the manifest has made
 * want pieces, each file a 64-byte memfd of its own pattern. */
static void label_until_pieces(struct liveupdate_session *s, int *next, long want_files)
{
	for (; *next < want_files; (*next)++) {
		char label[32];
		LIVEUPDATE_OPTS(liveupdate_preserve_opts, o, .label = label);
		int fd = pattern_memfd(64, (unsigned)*next);

		snprintf(label, sizeof(label), "file-with-a-longer-label-%d", *next);
		ck_assert_int_eq(liveupdate_session_preserve_fd_opts(s, fd, &o, NULL), 0);
		close(fd);
	}
}

/* Every file labelled so far found by label in s: the manifest's entry,
 * and (incoming s) the file itself. */
static void check_labels(struct liveupdate_session *s, int n, bool files)
{
	ck_assert_int_eq(liveupdate_session_count_entries(s), n);
	for (int i = 0; i < n; i++) {
		const struct liveupdate_entry *e;
		char label[32];
		int fd;

		snprintf(label, sizeof(label), "file-with-a-longer-label-%d", i);
		ck_assert_int_eq(liveupdate_session_find_entry(s, label, &e), 0);
		ck_assert_int_eq(e->size, 64);
		if (!files)
			continue;
		ck_assert_int_eq(liveupdate_session_retrieve_fd_label(s, label, &fd, NULL), 0);
		check_pattern(fd, 64, (unsigned)i);
		close(fd);
	}
}

/* The fds a manager received: the pieces (named NAME.lu-manifest) and the
 * session, in the order they came. */
struct stored {
	int fd[8];
	char name[8][64];
	int n;
};

static void manager_take(struct manager *m, struct stored *st)
{
	char text[512];
	struct pollfd p = { .fd = m->sock, .events = POLLIN };

	while (poll(&p, 1, 0) == 1) {
		int fd = manager_recv(m, text, sizeof(text));

		ck_assert_int_lt(st->n, 8);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(sscanf(text, "FDSTORE=1\nFDNAME=%63[^\n]", st->name[st->n]), 1);
		st->fd[st->n++] = fd;
	}
}

/* Pass the stored fds whose index is in use[] (-1 ends it) as systemd
 * would after a restart, from PASSED_AT on. */
static void pass_stored(const struct stored *st, const int *use)
{
	char pid[32], names[2048] = "";
	int n = 0;

	for (int i = 3; i < PASSED_AT; i++)
		strcat(names, "pad:");
	for (; use[n] >= 0; n++) {
		ck_assert_int_eq(dup2(st->fd[use[n]], PASSED_AT + n), PASSED_AT + n);
		strcat(names, st->name[use[n]]);
		strcat(names, ":");
	}
	names[strlen(names) - 1] = '\0';
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	setenv("LISTEN_PID", pid, 1);
	snprintf(pid, sizeof(pid), "%d", PASSED_AT - 3 + n);
	setenv("LISTEN_FDS", pid, 1);
	setenv("LISTEN_FDNAMES", names, 1);
}

static void close_passed(int n)
{
	for (int i = 0; i < n; i++)
		close(PASSED_AT + i);
	unpass_fds();
}

/*
 * A session's manifest goes into the store with it: pushed with the
 * session, and each piece made afterwards too; after a "restart" the
 * adopted outgoing session lists its files by label and goes on labelling
 * (its new pieces into the store as well), and after the kexec every
 * label of both processes is there. Missing and damaged pieces are refused
 * with a message, the session's fd left for a tokens-only adoption.
 */
START_TEST(test_session_manifest_travels)
{
	struct liveupdate_ctx *ctx = seam_ctx(NULL);
	struct liveupdate_session *s, *back = NULL, *in;
	struct stored st = { .n = 0 };
	struct manager m;
	int next = 0, bogus = pattern_memfd(4096, 7);
	char text[512];

	manager_bind(&m, false);
	ck_assert_int_eq(liveupdate_session_create(ctx, "carry", &s), 0);
	label_until_pieces(s, &next, 2);
	ck_assert_int_eq(liveupdate_fdstore_push_session(ctx, s, "vmm", NULL), 0);
	manager_take(&m, &st);
	ck_assert_int_eq(st.n, 2); /* piece 0, then the session */
	ck_assert_str_eq(st.name[0], "vmm.lu-manifest");
	ck_assert_str_eq(st.name[1], "vmm");
	ck_assert(same_file(st.fd[1], liveupdate_session_get_fd(s)));
	/* the manifest grows a piece after the push: it follows by itself */
	label_until_pieces(s, &next, 60);
	manager_take(&m, &st);
	ck_assert_int_eq(st.n, 3);
	ck_assert_str_eq(st.name[2], "vmm.lu-manifest");

	/* a restart: the store gives back the session and both pieces, the
	 * pieces in another order than they were made */
	pass_stored(&st, (const int[]){ 1, 2, 0, -1 });
	ck_assert_int_eq(liveupdate_fdstore_adopt_session(ctx, "vmm", &back), 0);
	ck_assert_int_eq(liveupdate_session_get_direction(back), LIVEUPDATE_SESSION_OUTGOING);
	check_labels(back, next, false);
	for (int i = 0; i < 3; i++) /* the session and its manifest have their own */
		ck_assert_int_lt(fcntl(PASSED_AT + i, F_GETFD), 0);
	unpass_fds();
	/* it goes on labelling, growing a third piece, which goes to the store */
	label_until_pieces(back, &next, 150);
	manager_take(&m, &st);
	ck_assert_int_eq(st.n, 4);
	ck_assert_str_eq(st.name[3], "vmm.lu-manifest");
	check_labels(back, next, false);
	liveupdate_session_unref(back);

	/* pieces missing (one not passed): refused, the session fd left open */
	pass_stored(&st, (const int[]){ 1, 0, 3, -1 });
	back = NULL;
	ck_assert_int_eq(liveupdate_fdstore_adopt_session(ctx, "vmm", &back), -ENODATA);
	ck_assert_ptr_null(back);
	ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "liveupdate_session_adopt()"));
	ck_assert_int_ge(fcntl(PASSED_AT, F_GETFD), 0);
	close_passed(3);
	pass_stored(&st, (const int[]){ 1, 0, 2, -1 }); /* the kernel has a third */
	ck_assert_int_eq(liveupdate_fdstore_adopt_session(ctx, "vmm", &back), -ENODATA);
	ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "pieces are missing"));
	close_passed(3);
	/* a damaged piece: another memfd under the pieces' name */
	st.fd[5] = bogus;
	strcpy(st.name[5], "vmm.lu-manifest");
	pass_stored(&st, (const int[]){ 1, 0, 2, 5, -1 });
	ck_assert_int_eq(liveupdate_fdstore_adopt_session(ctx, "vmm", &back), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "no magic"));
	close_passed(4);
	/* a store name too long to add the pieces' suffix to */
	{
		char name[LIVEUPDATE_FDSTORE_NAME_MAX + 1];

		memset(name, 'n', sizeof(name) - 1);
		name[sizeof(name) - 1] = '\0';
		ck_assert_int_eq(liveupdate_fdstore_push_session(ctx, s, name, NULL), -EINVAL);
		ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "at most 243 bytes"));
	}
	/* removing the session removes its pieces too */
	ck_assert_int_eq(liveupdate_fdstore_remove(ctx, "vmm", NULL), 0);
	ck_assert_int_eq(manager_recv(&m, text, sizeof(text)), -1);
	ck_assert_str_eq(text, "FDSTOREREMOVE=1\nFDNAME=vmm\n");
	ck_assert_int_eq(manager_recv(&m, text, sizeof(text)), -1);
	ck_assert_str_eq(text, "FDSTOREREMOVE=1\nFDNAME=vmm.lu-manifest\n");

	/* the kexec: every label, the first process's and the second's */
	for (int i = 0; i < st.n; i++)
		if (i != 5)
			close(st.fd[i]);
	ctx = seam_reboot(ctx, s);
	ck_assert_int_eq(liveupdate_session_retrieve(ctx, "carry", &in), 0);
	check_labels(in, next, true);
	liveupdate_session_unref(in);
	close(bogus);
	manager_close(&m);
	liveupdate_ctx_unref(ctx);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("systemd");
	TCase *tc = tcase_create("fdstore");

	tcase_add_test(tc, test_push_path_socket);
	tcase_add_test(tc, test_push_abstract_socket);
	tcase_add_test(tc, test_push_session_and_options);
	tcase_add_test(tc, test_barrier);
	tcase_add_test(tc, test_push_errors);
	tcase_add_test(tc, test_get_by_name);
	tcase_add_test(tc, test_session_round_trip);
	tcase_add_test(tc, test_session_manifest_travels);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
