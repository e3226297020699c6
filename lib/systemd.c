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

LU_EXPORT int liveupdate_fdstore_push_session(struct liveupdate_ctx *ctx,
					      struct liveupdate_session *session,
					      const char *name,
					      const struct liveupdate_fdstore_opts *opts)
{
	if (!session)
		return lu_bad_arg(ctx, "liveupdate_fdstore_push_session: NULL session");
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

LU_EXPORT int liveupdate_fdstore_get(struct liveupdate_ctx *ctx,
				     const char *name, int *fdp)
{
	const char *names = getenv("LISTEN_FDNAMES");
	char why[160];
	size_t len;
	int n, i;

	if (!ctx || !name || !fdp)
		return lu_bad_arg(ctx, "liveupdate_fdstore_get: NULL argument");
	if (!fdname_valid(name))
		return bad_name(ctx, name);
	n = listen_fds(why, sizeof(why));
	if (n == 0)
		return lu_fail(ctx, LU_OP_FDSTORE_GET, -ENOENT,
			       "no fd named '%s' from systemd: %s", name, why);
	len = strlen(name);
	for (i = 0; names && *names && i < n; i++) {
		const char *end = strchr(names, ':');
		size_t l = end ? (size_t)(end - names) : strlen(names);

		if (l == len && memcmp(names, name, len) == 0) {
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
			*fdp = fd;
			return 0;
		}
		if (!end)
			break;
		names = end + 1;
	}
	return lu_fail(ctx, LU_OP_FDSTORE_GET, -ENOENT,
		       "no fd named '%s' among the %d from systemd (LISTEN_FDNAMES=%s)",
		       name, n, getenv("LISTEN_FDNAMES") ? getenv("LISTEN_FDNAMES") : "");
}

LU_EXPORT int liveupdate_fdstore_adopt_session(struct liveupdate_ctx *ctx,
					       const char *name,
					       struct liveupdate_session **sessionp)
{
	int fd, r;

	if (!sessionp)
		return lu_bad_arg(ctx, "liveupdate_fdstore_adopt_session: NULL sessionp");
	r = liveupdate_fdstore_get(ctx, name, &fd);
	if (r < 0)
		return r;
	r = liveupdate_session_adopt(ctx, fd, sessionp);
	if (r < 0)
		lu_last_error_append(" (fd %d named '%s' from systemd's fd store)", fd, name);
	return r;
}
