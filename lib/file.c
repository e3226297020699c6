/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Files in sessions: preserve before the update, retrieve after it; the
 * kernel's two requests. The manifest's record of each is manifest.c's. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "liveupdate-private.h"

int lu_session_preserve(struct liveupdate_session *session, int fd,
			uint64_t token, const char *call)
{
	struct liveupdate_session_preserve_fd req = { .size = sizeof(req), .fd = fd,
						      .token = token };
	struct liveupdate_ctx *ctx = session->ctx;
	int ret = lu_backend_ioctl(ctx, session->fd, LIVEUPDATE_SESSION_PRESERVE_FD, &req);

	if (ret < 0)
		return ret;
	lu_dbg(ctx, "%s: session \"%s\": preserved fd %d as token %" PRIu64,
	       call, session->name, fd, token);
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
	if (session->direction != LIVEUPDATE_SESSION_INCOMING)
		return lu_bad_arg(ctx, "liveupdate_session_retrieve_fd(\"%s\"): the "
				  "session is outgoing; files are retrieved from "
				  "sessions retrieved after the update", session->name);
	ret = lu_session_retrieve(session, token, fdp);
	if (ret < 0)
		return lu_fail(ctx, LU_OP_RETRIEVE_FD, ret,
			       "liveupdate_session_retrieve_fd(\"%s\", token %" PRIu64 ")",
			       session->name, token);
	return 0;
}
