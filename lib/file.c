/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Files in sessions: preserve before the update, retrieve after it. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "liveupdate-private.h"

/* How many taken tokens a library-chosen token skips before giving up. */
#define AUTO_TOKEN_TRIES 64

static int kernel_preserve(struct liveupdate_session *session, int fd,
			   uint64_t token, const char *call)
{
	struct liveupdate_session_preserve_fd req = { .size = sizeof(req), .fd = fd, .token = token };
	struct liveupdate_ctx *ctx = session->ctx;
	int ret = lu_backend_ioctl(ctx, session->fd, LIVEUPDATE_SESSION_PRESERVE_FD, &req);

	if (ret < 0)
		return ret;
	lu_dbg(ctx, "%s: session \"%s\": preserved fd %d as token %" PRIu64,
	       call, session->name, fd, token);
	return 0;
}

/* Arguments the library refuses before anything else: 0 or -EINVAL. */
static int check_preserve(struct liveupdate_session *session, int fd,
			  const struct liveupdate_preserve_opts *opts,
			  const char *call)
{
	struct liveupdate_ctx *ctx = session->ctx;
	const char *label = lu_opts_get(opts, label, NULL);
	uint32_t flags = lu_opts_get(opts, flags, 0);

	if (opts && !lu_opts_valid(opts, opts->sz, sizeof(*opts)))
		return lu_bad_arg(ctx, "%s: opts->sz is %zu, or fields this library "
				  "(%s) does not know are set; declare options with "
				  "LIVEUPDATE_OPTS()", call, opts->sz, liveupdate_version());
	if (fd < 0)
		return lu_bad_arg(ctx, "%s(\"%s\"): fd %d is negative", call,
				  session->name, fd);
	if (session->direction != LIVEUPDATE_SESSION_OUTGOING)
		return lu_bad_arg(ctx, "%s(\"%s\"): the session is incoming; preserve "
				  "files in a session created with "
				  "liveupdate_session_create()", call, session->name);
	if (flags & ~(uint32_t)LIVEUPDATE_PRESERVE_TOKEN)
		return lu_bad_arg(ctx, "%s: unknown flags %#x", call, flags);
	if ((flags & LIVEUPDATE_PRESERVE_TOKEN) &&
	    lu_opts_get(opts, token, 0) == LIVEUPDATE_MANIFEST_TOKEN)
		return lu_bad_arg(ctx, "%s(\"%s\"): token %#" PRIx64 " is reserved for "
				  "the session manifest (LIVEUPDATE_MANIFEST_TOKEN): "
				  "use another token", call, session->name,
				  LIVEUPDATE_MANIFEST_TOKEN);
	if ((uint32_t)lu_opts_get(opts, kind, 0) > LIVEUPDATE_ENTRY_OTHER)
		return lu_bad_arg(ctx, "%s: unknown kind %u", call,
				  (unsigned)lu_opts_get(opts, kind, 0));
	if (label && (!*label || strlen(label) > LIVEUPDATE_LABEL_MAX))
		return lu_bad_arg(ctx, "%s(\"%s\"): a label takes 1 to %d bytes",
				  call, session->name, LIVEUPDATE_LABEL_MAX);
	if ((label || lu_opts_get(opts, n_meta, 0)) &&
	    !(lu_session_manifest_writable(session)))
		return lu_bad_arg(ctx, "%s(\"%s\"): a label or metadata needs a "
				  "manifest, and this session has none (created with "
				  "LIVEUPDATE_SESSION_NO_MANIFEST, or adopted)", call,
				  session->name);
	return 0;
}

LU_EXPORT int liveupdate_session_preserve_fd_opts(struct liveupdate_session *session,
						  int fd,
						  const struct liveupdate_preserve_opts *opts,
						  uint64_t *tokenp)
{
	static const char call[] = "liveupdate_session_preserve_fd_opts";
	struct lu_manifest_pending pending = { 0 };
	bool auto_token = !(lu_opts_get(opts, flags, 0) & LIVEUPDATE_PRESERVE_TOKEN);
	uint64_t token = auto_token ? 0 : lu_opts_get(opts, token, 0);
	struct liveupdate_ctx *ctx;
	int ret, tries = 0;

	if (!session)
		return lu_bad_arg(NULL, "%s: session is NULL", call);
	ctx = session->ctx;
	ret = check_preserve(session, fd, opts, call);
	if (ret)
		return ret;
	if (lu_session_manifest_writable(session)) {
		ret = lu_session_manifest_stage(session, fd, opts, &pending);
		if (ret)
			return ret;
	}
	if (auto_token)
		token = lu_session_free_token(session, session->next_token);
	for (;;) {
		ret = kernel_preserve(session, fd, token, call);
		if (ret != -EEXIST || !auto_token || ++tries == AUTO_TOKEN_TRIES)
			break;
		/* taken outside the manifest: the kernel checks tokens first,
		 * so nothing happened; try the next free one */
		token = lu_session_free_token(session, token + 1);
	}
	if (ret < 0) {
		lu_session_manifest_drop(&pending);
		return lu_fail(ctx, LU_OP_PRESERVE_FD, ret, "%s(\"%s\", fd %d, token "
			       "%" PRIu64 "%s)", call, session->name, fd, token,
			       auto_token ? ", chosen by the library" : "");
	}
	if (auto_token)
		session->next_token = token + 1;
	if (pending.rec) {
		lu_session_manifest_set_token(&pending, token);
		lu_session_manifest_commit(session, &pending);
	}
	if (tokenp)
		*tokenp = token;
	return 0;
}

LU_EXPORT int liveupdate_session_preserve_fd(struct liveupdate_session *session,
					     int fd, uint64_t token)
{
	LIVEUPDATE_OPTS(liveupdate_preserve_opts, opts,
			.flags = LIVEUPDATE_PRESERVE_TOKEN, .token = token);

	return liveupdate_session_preserve_fd_opts(session, fd, &opts, NULL);
}

LU_EXPORT int liveupdate_session_retrieve_fd(struct liveupdate_session *session,
					     uint64_t token, int *fdp)
{
	struct liveupdate_session_retrieve_fd req = { .size = sizeof(req), .fd = -1, .token = token };
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
	ret = lu_backend_ioctl(ctx, session->fd, LIVEUPDATE_SESSION_RETRIEVE_FD, &req);
	if (ret < 0)
		return lu_fail(ctx, LU_OP_RETRIEVE_FD, ret,
			       "liveupdate_session_retrieve_fd(\"%s\", token %" PRIu64 ")",
			       session->name, token);
	lu_dbg(ctx, "session \"%s\": retrieved token %" PRIu64 " as fd %d",
	       session->name, token, req.fd);
	*fdp = req.fd;
	return 0;
}
