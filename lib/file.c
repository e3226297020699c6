/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Files in sessions: preserve before the update, retrieve after it; the
 * kernel's two requests. The manifest's record of each is manifest.c's. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "liveupdate-private.h"

/*
 * Room for one more kept file and its duplicate fd, made before the kernel
 * is asked so that keeping it cannot fail afterwards: the duplicate, or a
 * negative errno (nothing changed).
 */
static int keep_prepare(struct liveupdate_session *s, int fd)
{
	int dup;

	if (s->n_kept == s->kept_cap) {
		size_t cap = s->kept_cap ? 2 * s->kept_cap : 16;
		struct lu_kept_file *k = realloc(s->kept, cap * sizeof(*k));

		if (!k)
			return -ENOMEM;
		s->kept = k;
		s->kept_cap = cap;
	}
	dup = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	return dup < 0 ? -errno : dup;
}

int lu_session_preserve(struct liveupdate_session *session, int fd,
			uint64_t token, const char *call)
{
	struct liveupdate_session_preserve_fd req = { .size = sizeof(req), .fd = fd,
						      .token = token };
	struct liveupdate_ctx *ctx = session->ctx;
	int kept = -1, ret;

	if (session->keep_files) {
		kept = keep_prepare(session, fd);
		/* a bad fd is the kernel's to name (EBADF in its order) */
		if (kept < 0 && kept != -EBADF)
			return kept;
	}
	ret = lu_backend_ioctl(ctx, session->fd, LIVEUPDATE_SESSION_PRESERVE_FD, &req);
	if (ret < 0) {
		if (kept >= 0)
			close(kept);
		return ret;
	}
	if (kept >= 0)
		session->kept[session->n_kept++] = (struct lu_kept_file){ token, kept };
	lu_dbg(ctx, "%s: session \"%s\": preserved fd %d as token %" PRIu64,
	       call, session->name, fd, token);
	return 0;
}

/* An outgoing session that keeps its files gives a new fd of a kept one,
 * as retrieving it after the update would: 0 or a negative errno (logged). */
static int retrieve_kept(struct liveupdate_session *session, uint64_t token,
			 int *fdp)
{
	static const char call[] = "liveupdate_session_retrieve_fd";
	int kept = lu_session_kept_fd(session, token), fd;

	if (session->handed_over)
		return lu_bad_arg(session->ctx, "%s(\"%s\"): the session was handed "
				  "over to a successor, which holds its files now",
				  call, session->name);
	if (kept < 0)
		return lu_fail(session->ctx, LU_OP_RETRIEVE_FD, -ENOENT,
			       "%s(\"%s\", token %" PRIu64 "): no file of this "
			       "session has that token", call, session->name, token);
	fd = fcntl(kept, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return lu_fail(session->ctx, LU_OP_RETRIEVE_FD, -errno,
			       "%s(\"%s\", token %" PRIu64 ")", call, session->name,
			       token);
	*fdp = fd;
	return 0;
}

int lu_session_retrieve(struct liveupdate_session *session, uint64_t token,
			int *fdp)
{
	struct liveupdate_session_retrieve_fd req = { .size = sizeof(req), .fd = -1,
						      .token = token };
	int ret = lu_backend_ioctl(session->ctx, session->fd,
				   LIVEUPDATE_SESSION_RETRIEVE_FD, &req);

	if (ret < 0)
		return ret;
	lu_dbg(session->ctx, "session \"%s\": retrieved token %" PRIu64 " as fd %d",
	       session->name, token, req.fd);
	*fdp = req.fd;
	return 0;
}

LU_EXPORT int liveupdate_session_retrieve_fd(struct liveupdate_session *session,
					     uint64_t token, int *fdp)
{
	struct liveupdate_ctx *ctx;
	int ret;

	if (!session || !fdp)
		return lu_bad_arg(session ? session->ctx : NULL,
				  "liveupdate_session_retrieve_fd: %s is NULL",
				  session ? "fdp" : "session");
	ctx = session->ctx;
	if (session->direction != LIVEUPDATE_SESSION_INCOMING && session->keep_files)
		return retrieve_kept(session, token, fdp);
	if (session->direction != LIVEUPDATE_SESSION_INCOMING)
		return lu_bad_arg(ctx, "liveupdate_session_retrieve_fd(\"%s\"): the "
				  "session is outgoing; files are retrieved from "
				  "sessions retrieved after the update, or from one "
				  "that keeps its files (LIVEUPDATE_SESSION_HANDOVER)",
				  session->name);
	ret = lu_session_retrieve(session, token, fdp);
	if (ret < 0)
		return lu_fail(ctx, LU_OP_RETRIEVE_FD, ret,
			       "liveupdate_session_retrieve_fd(\"%s\", token %" PRIu64 ")",
			       session->name, token);
	return 0;
}
