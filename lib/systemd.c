/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * systemd's file descriptor store, spoken directly (no libsystemd): push an
 * fd with sd_notify's "FDSTORE=1" over $NOTIFY_SOCKET (sd_notify(3)), find
 * the fds handed back after a restart or a live update in LISTEN_FDS /
 * LISTEN_FDNAMES (sd_listen_fds(3)). systemd 261 and later carry a service's
 * store across a kexec when the unit has FileDescriptorStorePreserve=yes.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "liveupdate-private.h"

#define LISTEN_FDS_START 3

/*
 * A session's manifest goes into the store with it: its pieces' memfds,
 * each under the session's store name and this suffix (each piece says
 * which one it is), so that the process that adopts the outgoing session
 * after a restart can read and go on writing it (the kernel gives nothing
 * back from an outgoing session).
 */
#define MANIFEST_SUFFIX ".lu-manifest"
#define MANIFEST_NAME_MAX (LIVEUPDATE_FDSTORE_NAME_MAX - (int)sizeof(MANIFEST_SUFFIX) + 1)

/* Where the pieces a session's manifest makes from now on go: kept in the
 * session under store_key once it was pushed or adopted. */
struct store_place {
	char name[LIVEUPDATE_FDSTORE_NAME_MAX + 1]; /* NAME.lu-manifest */
	char *notify_socket;                         /* NULL: $NOTIFY_SOCKET */
	int no_poll, barrier_ms;
};
static const char store_key = 0;

/* sd_notify(3): printable ASCII without ':' (the LISTEN_FDNAMES separator). */
static bool fdname_valid(const char *name)
{
	size_t n = 0;

	for (const char *p = name; *p; p++, n++)
		if (*p < 0x20 || *p > 0x7e || *p == ':')
			return false;
	return n > 0 && n <= LIVEUPDATE_FDSTORE_NAME_MAX;
}

static int bad_name(struct liveupdate_ctx *ctx, const char *name)
{
	return lu_bad_arg(ctx, "fd store name '%s': 1 to %d printable ASCII "
			  "characters without ':'", name, LIVEUPDATE_FDSTORE_NAME_MAX);
}

/* $NOTIFY_SOCKET or the override into @sa; the address length, or an errno. */
static int notify_address(struct liveupdate_ctx *ctx, const char *path,
			  struct sockaddr_un *sa, socklen_t *lenp)
{
	size_t len;

	if (!path || !*path)
		return lu_fail(ctx, LU_OP_FDSTORE, -ENOTCONN,
			       "pushing to systemd's fd store: $NOTIFY_SOCKET is not set");
	if (path[0] != '/' && path[0] != '@')
		return lu_fail(ctx, LU_OP_FDSTORE, -EAFNOSUPPORT,
			       "pushing to systemd's fd store: notify socket '%s'", path);
	len = strlen(path);
	if (len >= sizeof(sa->sun_path))
		return lu_fail(ctx, LU_OP_FDSTORE, -ENAMETOOLONG,
			       "pushing to systemd's fd store: notify socket '%s'", path);
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, path, len);
	if (path[0] == '@')
		sa->sun_path[0] = '\0'; /* abstract: no terminating NUL counts */
	else
		len++;
	*lenp = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	return 0;
}

/* One datagram with @text and, when @fd >= 0, @fd in SCM_RIGHTS. */
static int notify_send(int sock, const struct sockaddr_un *sa, socklen_t salen,
		       const char *text, int fd)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	struct iovec iov = { .iov_base = (void *)text, .iov_len = strlen(text) };
	struct msghdr msg = {
		.msg_name = (void *)sa,
		.msg_namelen = salen,
		.msg_iov = &iov,
		.msg_iovlen = 1,
	};

	if (fd >= 0) {
		memset(&control, 0, sizeof(control));
		msg.msg_control = control.buf;
		msg.msg_controllen = sizeof(control.buf);
		struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	}
	while (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}

/*
 * sd_notify's BARRIER=1: send the write end of a pipe; the manager closes
 * its copy once it has handled every message sent before, which the read
 * end sees as POLLHUP.
 */
static int notify_barrier(int sock, const struct sockaddr_un *sa,
			  socklen_t salen, int timeout_ms)
{
	int pipefd[2], r;
	struct pollfd pfd;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	r = notify_send(sock, sa, salen, "BARRIER=1\n", pipefd[1]);
	close(pipefd[1]);
	if (r == 0) {
		pfd = (struct pollfd){ .fd = pipefd[0], .events = 0 };
		do
			r = poll(&pfd, 1, timeout_ms);
		while (r < 0 && errno == EINTR);
		r = r < 0 ? -errno : r == 0 ? -ETIMEDOUT : 0;
	}
	close(pipefd[0]);
	return r;
}

/* Send @text (and @fd) to the notify socket named by @opts or the environment. */
static int fdstore_notify(struct liveupdate_ctx *ctx, const char *what,
			  const char *text, int fd,
			  const struct liveupdate_fdstore_opts *opts)
{
	const char *path = lu_opts_get(opts, notify_socket, NULL);
	int barrier_ms = lu_opts_get(opts, barrier_ms, 0);
	struct sockaddr_un sa;
	socklen_t salen = 0;
	int sock, r;

	if (!path)
		path = getenv("NOTIFY_SOCKET");
	r = notify_address(ctx, path, &sa, &salen);
	if (r < 0)
		return r;
	sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return lu_fail(ctx, LU_OP_FDSTORE, -errno, "%s: socket()", what);
	r = notify_send(sock, &sa, salen, text, fd);
	if (r < 0) {
		lu_fail(ctx, LU_OP_FDSTORE, r, "%s: sending to %s", what, path);
	} else if (barrier_ms > 0) {
		r = notify_barrier(sock, &sa, salen, barrier_ms);
		if (r < 0)
			lu_fail(ctx, LU_OP_FDSTORE, r,
				"%s: waiting %d ms for systemd to read it (BARRIER=1)",
				what, barrier_ms);
	}
	close(sock);
	return r;
}

static int check_opts(struct liveupdate_ctx *ctx, const char *call,
		      const struct liveupdate_fdstore_opts *opts)
{
	if (lu_check_opts(ctx, call, opts))
		return -EINVAL;
	if (lu_opts_get(opts, barrier_ms, 0) < 0)
		return lu_bad_arg(ctx, "%s: negative barrier_ms", call);
	return 0;
}

/* The store's size from $FDSTORE (systemd >= 254), 0 when it is disabled. */
static int fdstore_limit(void)
{
	const char *s = getenv("FDSTORE");
	char *end;
	unsigned long v;

	if (!s || !*s)
		return 0;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > INT_MAX)
		return 0;
	return (int)v;
}

LU_EXPORT int liveupdate_fdstore_limit(struct liveupdate_ctx *ctx)
{
	int limit = fdstore_limit();

	if (limit == 0)
		return lu_fail(ctx, LU_OP_FDSTORE, -EOPNOTSUPP,
			       "systemd's fd store: $FDSTORE is not set");
	return limit;
}

LU_EXPORT int liveupdate_fdstore_push(struct liveupdate_ctx *ctx, int fd,
				      const char *name,
				      const struct liveupdate_fdstore_opts *opts)
{
	char text[64 + LIVEUPDATE_FDSTORE_NAME_MAX];
	int r;

	if (!ctx || fd < 0 || !name)
		return lu_bad_arg(ctx, "liveupdate_fdstore_push: NULL context or name, or negative fd");
	if (!fdname_valid(name))
		return bad_name(ctx, name);
	r = check_opts(ctx, "liveupdate_fdstore_push", opts);
	if (r < 0)
		return r;
	if (fcntl(fd, F_GETFD) < 0)
		return lu_fail(ctx, LU_OP_FDSTORE, -errno, "pushing fd %d ('%s')", fd, name);
	/* not under systemd (no socket) comes before a disabled store */
	if (!lu_opts_get(opts, notify_socket, NULL) && getenv("NOTIFY_SOCKET") &&
	    fdstore_limit() == 0)
		return lu_fail(ctx, LU_OP_FDSTORE, -EOPNOTSUPP,
			       "pushing '%s' to systemd's fd store: $FDSTORE is not set", name);
	snprintf(text, sizeof(text), "FDSTORE=1\nFDNAME=%s\n%s", name,
		 lu_opts_get(opts, no_poll, 0) ? "FDPOLL=0\n" : "");
	r = fdstore_notify(ctx, "pushing to systemd's fd store", text, fd, opts);
	if (r == 0)
		lu_dbg(ctx, "pushed fd %d to systemd's fd store as '%s'", fd, name);
	return r;
}

static void store_place_free(void *data)
{
	struct store_place *p = data;

	free(p->notify_socket);
	free(p);
}

/* Keep where s's manifest pieces go (name, opts): 0 or -ENOMEM (logged). */
static int store_place_keep(struct liveupdate_session *s, const char *name,
			    const struct liveupdate_fdstore_opts *opts, const char *call)
{
	const char *sock = lu_opts_get(opts, notify_socket, NULL);
	struct store_place *old = lu_feature_data_get(&s->features, &store_key);
	struct store_place *p = calloc(1, sizeof(*p));

	if (p && sock)
		p->notify_socket = strdup(sock);
	if (!p || (sock && !p->notify_socket) ||
	    lu_feature_data_set(&s->features, &store_key, p, store_place_free) < 0) {
		if (p)
			store_place_free(p);
		return lu_oom(s->ctx, "%s(\"%s\")", call, name);
	}
	if (old)
		store_place_free(old); /* replaced, not freed, by lu_feature_data_set */
	snprintf(p->name, sizeof(p->name), "%s" MANIFEST_SUFFIX, name);
	p->no_poll = lu_opts_get(opts, no_poll, 0);
	p->barrier_ms = lu_opts_get(opts, barrier_ms, 0);
	return 0;
}

/* Push a piece of s's manifest to where s is stored: 0 or a negative errno
 * (logged). */
static int push_piece(struct liveupdate_session *s, int fd, size_t index)
{
	const struct store_place *p = lu_feature_data_get(&s->features, &store_key);
	LIVEUPDATE_OPTS(liveupdate_fdstore_opts, o, .notify_socket = p->notify_socket,
			.no_poll = p->no_poll, .barrier_ms = p->barrier_ms);
	int r = liveupdate_fdstore_push(s->ctx, fd, p->name, &o);

	if (r < 0)
		lu_last_error_append(" (piece %zu of session \"%s\"'s manifest)", index,
				     s->name);
	return r;
}

/* The manifest made a piece after the session went into the store. */
static void push_new_piece(struct liveupdate_session *s, int fd, size_t index)
{
	if (push_piece(s, fd, index) < 0)
		lu_err(s->ctx, "session \"%s\": piece %zu of its manifest did not reach "
		       "systemd's fd store: until it does, liveupdate_fdstore_adopt_session() "
		       "refuses the session after a restart; push the session again "
		       "(liveupdate_fdstore_push_session()): %s", s->name, index,
		       liveupdate_last_error());
}

LU_EXPORT int liveupdate_fdstore_push_session(struct liveupdate_ctx *ctx,
					      struct liveupdate_session *session,
					      const char *name,
					      const struct liveupdate_fdstore_opts *opts)
{
	static const char call[] = "liveupdate_fdstore_push_session";
	int pieces[LIVEUPDATE_MANIFEST_TOKENS];
	size_t n;
	int r;

	if (!ctx || !session || !name)
		return lu_bad_arg(ctx, "%s: NULL context, session or name", call);
	if (!fdname_valid(name))
		return bad_name(ctx, name);
	r = check_opts(ctx, call, opts);
	if (r < 0)
		return r;
	if (lu_session_manifest_writable(session)) {
		if (strlen(name) > MANIFEST_NAME_MAX)
			return lu_bad_arg(ctx, "%s(\"%s\"): fd store name '%s' leaves no "
					  "room for the manifest's pieces, stored as NAME"
					  MANIFEST_SUFFIX ": use a name of at most %d bytes",
					  call, session->name, name, MANIFEST_NAME_MAX);
		n = lu_session_manifest_piece_fds(session, pieces);
		r = store_place_keep(session, name, opts, call);
		for (size_t i = 0; !r && i < n; i++)
			r = push_piece(session, pieces[i], i);
		if (r < 0)
			return r;
		lu_session_manifest_watch(session, push_new_piece);
	}
	return liveupdate_fdstore_push(ctx, session->fd, name, opts);
}

LU_EXPORT int liveupdate_fdstore_remove(struct liveupdate_ctx *ctx,
					const char *name,
					const struct liveupdate_fdstore_opts *opts)
{
	char text[64 + LIVEUPDATE_FDSTORE_NAME_MAX];
	int r;

	if (!ctx || !name)
		return lu_bad_arg(ctx, "liveupdate_fdstore_remove: NULL context or name");
	if (!fdname_valid(name))
		return bad_name(ctx, name);
	r = check_opts(ctx, "liveupdate_fdstore_remove", opts);
	if (r < 0)
		return r;
	snprintf(text, sizeof(text), "FDSTOREREMOVE=1\nFDNAME=%s\n", name);
	r = fdstore_notify(ctx, "removing from systemd's fd store", text, -1, opts);
	if (r < 0 || strlen(name) > MANIFEST_NAME_MAX)
		return r;
	/* a session's manifest pieces, if name is a session's */
	snprintf(text, sizeof(text), "FDSTOREREMOVE=1\nFDNAME=%s" MANIFEST_SUFFIX "\n", name);
	return fdstore_notify(ctx, "removing from systemd's fd store", text, -1, opts);
}

/*
 * LISTEN_FDS for this process: how many fds from 3 on; 0 when none, with
 * why in @why (unset, malformed, or meant for another process).
 */
static int listen_fds(char *why, size_t len)
{
	const char *pid = getenv("LISTEN_PID"), *n = getenv("LISTEN_FDS");
	char *end;
	long v;

	if (!n) {
		snprintf(why, len, "LISTEN_FDS is not set");
		return 0;
	}
	if (!pid) {
		snprintf(why, len, "LISTEN_FDS is set but LISTEN_PID is not");
		return 0;
	}
	errno = 0;
	v = strtol(pid, &end, 10);
	if (errno || !*pid || *end || v != (long)getpid()) {
		/* meant for another process (our parent) */
		snprintf(why, len, "LISTEN_PID=\"%.32s\" is not this process (pid "
			 "%d)", pid, (int)getpid());
		return 0;
	}
	errno = 0;
	v = strtol(n, &end, 10);
	if (errno || !*n || *end || v <= 0 || v > INT_MAX - LISTEN_FDS_START) {
		snprintf(why, len, "LISTEN_FDS=\"%.32s\" is not a positive number of "
			 "fds (systemd sets one when it passes fds)", n);
		return 0;
	}
	return (int)v;
}

/*
 * The fds systemd passed under name: up to max of their numbers into fds,
 * FD_CLOEXEC set on each; how many there are (may exceed max), or a
 * negative errno (logged). n is listen_fds()'s count.
 */
static int listen_named(struct liveupdate_ctx *ctx, const char *name, int n,
			int *fds, int max)
{
	const char *names = getenv("LISTEN_FDNAMES");
	size_t len = strlen(name);
	int found = 0;

	for (int i = 0; names && *names && i < n; i++) {
		const char *end = strchr(names, ':');
		size_t l = end ? (size_t)(end - names) : strlen(names);

		if (l == len && memcmp(names, name, len) == 0 && found++ < max) {
			int fd = LISTEN_FDS_START + i, flags = fcntl(fd, F_GETFD);

			if (flags < 0)
				return lu_fail(ctx, LU_OP_FDSTORE_GET, -errno,
					       "fd %d named '%s' from systemd", fd, name);
			/* as sd_listen_fds(3): not inherited by our children */
			if (!(flags & FD_CLOEXEC) &&
			    fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0)
				return lu_fail(ctx, LU_OP_FDSTORE_GET, -errno,
					       "fd %d named '%s' from systemd: setting "
					       "FD_CLOEXEC", fd, name);
			fds[found - 1] = fd;
		}
		if (!end)
			break;
		names = end + 1;
	}
	return found;
}

LU_EXPORT int liveupdate_fdstore_get(struct liveupdate_ctx *ctx,
				     const char *name, int *fdp)
{
	char why[160];
	int n, r;

	if (!ctx || !name || !fdp)
		return lu_bad_arg(ctx, "liveupdate_fdstore_get: NULL argument");
	if (!fdname_valid(name))
		return bad_name(ctx, name);
	n = listen_fds(why, sizeof(why));
	if (n == 0)
		return lu_fail(ctx, LU_OP_FDSTORE_GET, -ENOENT,
			       "no fd named '%s' from systemd: %s", name, why);
	r = listen_named(ctx, name, n, fdp, 1);
	if (r != 0)
		return r < 0 ? r : 0;
	return lu_fail(ctx, LU_OP_FDSTORE_GET, -ENOENT,
		       "no fd named '%s' among the %d from systemd (LISTEN_FDNAMES=%s)",
		       name, n, getenv("LISTEN_FDNAMES") ? getenv("LISTEN_FDNAMES") : "");
}

/*
 * The manifest of outgoing session s, stored as name: its pieces from the
 * store, taken for writing, and the pieces it makes from now on pushed
 * there too. 0 or a negative errno (logged).
 */
static int adopt_manifest(struct liveupdate_session *s, const char *name,
			  const char *call)
{
	char piece_name[LIVEUPDATE_FDSTORE_NAME_MAX + 1], why[160];
	int fds[LIVEUPDATE_MANIFEST_TOKENS];
	int n = 0, r;

	if (strlen(name) > MANIFEST_NAME_MAX)
		return lu_fail(s->ctx, LU_OP_FDSTORE_GET, -ENODATA, "%s(\"%s\"): fd "
			       "store name '%s' leaves no room for the manifest's pieces",
			       call, name, name);
	snprintf(piece_name, sizeof(piece_name), "%s" MANIFEST_SUFFIX, name);
	r = listen_fds(why, sizeof(why));
	if (r > 0)
		n = listen_named(s->ctx, piece_name, r, fds, LIVEUPDATE_MANIFEST_TOKENS);
	if (n < 0)
		return n;
	r = lu_session_manifest_adopt_pieces(s, fds, (size_t)n, "from systemd's fd store",
					     call);
	if (r == 0)
		r = store_place_keep(s, name, NULL, call);
	if (r < 0)
		return r;
	lu_session_manifest_watch(s, push_new_piece);
	for (int i = 0; i < n && i < LIVEUPDATE_MANIFEST_TOKENS; i++)
		close(fds[i]); /* the manifest has its own */
	return 0;
}

LU_EXPORT int liveupdate_fdstore_adopt_session(struct liveupdate_ctx *ctx,
					       const char *name,
					       struct liveupdate_session **sessionp)
{
	static const char call[] = "liveupdate_fdstore_adopt_session";
	struct liveupdate_session *s;
	int fd, dup, r;

	if (!sessionp)
		return lu_bad_arg(ctx, "%s: NULL sessionp", call);
	r = liveupdate_fdstore_get(ctx, name, &fd);
	if (r < 0)
		return r;
	/* a copy, so that a failure leaves systemd's fd as it was */
	dup = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (dup < 0)
		return lu_fail(ctx, LU_OP_FDSTORE_GET, -errno, "%s(\"%s\"): fd %d", call,
			       name, fd);
	r = liveupdate_session_adopt(ctx, dup, &s);
	if (r < 0) {
		close(dup);
		lu_last_error_append(" (fd %d named '%s' from systemd's fd store)", fd, name);
		return r;
	}
	if (s->direction == LIVEUPDATE_SESSION_OUTGOING) {
		r = adopt_manifest(s, name, call);
		if (r < 0) {
			liveupdate_session_unref(s);
			lu_last_error_append(" The session itself is intact: "
					     "liveupdate_fdstore_get() and "
					     "liveupdate_session_adopt() take it without "
					     "its manifest (files by token only).");
			return r;
		}
	}
	close(fd); /* the session's is dup now */
	*sessionp = s;
	return 0;
}
