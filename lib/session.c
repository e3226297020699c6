/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Sessions: open, retrieve, adopt, finish, and their lifetime. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "liveupdate-private.h"

static struct liveupdate_session *session_alloc(struct liveupdate_ctx *ctx)
{
	struct liveupdate_session *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->refcount = 1;
	s->fd = -1;
	s->next_token = 1;
	s->ctx = liveupdate_ctx_ref(ctx);
	return s;
}

int lu_session_kept_fd(const struct liveupdate_session *session, uint64_t token)
{
	for (size_t i = 0; i < session->n_kept; i++)
		if (session->kept[i].token == token)
			return session->kept[i].fd;
	return -1;
}

void lu_session_drop_kept(struct liveupdate_session *session)
{
	for (size_t i = 0; i < session->n_kept; i++)
		close(session->kept[i].fd);
	free(session->kept);
	session->kept = NULL;
	session->n_kept = session->kept_cap = 0;
}

void lu_session_take_kept(struct liveupdate_session *session,
			  struct lu_kept_file *files, size_t n)
{
	lu_session_drop_kept(session);
	session->kept = files;
	session->n_kept = session->kept_cap = n;
	session->keep_files = true;
}

/* Free a session object that never got an fd, or whose fd is closed. */
static void session_free(struct liveupdate_session *s)
{
	lu_session_drop_kept(s);
	lu_feature_data_free(&s->features);
	liveupdate_ctx_unref(s->ctx);
	free(s);
}

/* What the kernel accepts as a session name: 0 or -EINVAL (logged). */
static int check_session_name(const struct liveupdate_ctx *ctx, const char *name)
{
	size_t len;

	if (!name)
		return lu_bad_arg(ctx, "session name is NULL");
	len = strnlen(name, LIVEUPDATE_SESSION_NAME_LENGTH);
	if (len == 0)
		return lu_bad_arg(ctx, "session name is empty");
	if (len > LIVEUPDATE_SESSION_NAME_MAX)
		return lu_bad_arg(ctx, "session name \"%.20s...\" is longer than %d "
				  "bytes; the kernel cannot store it and this "
				  "library never truncates: use a shorter name",
				  name, LIVEUPDATE_SESSION_NAME_MAX);
	return 0;
}

/*
 * CREATE_SESSION or RETRIEVE_SESSION on the device: the kernel declares two
 * structs with one layout, so one request fills either.
 */
union session_req {
	struct liveupdate_ioctl_create_session create;
	struct liveupdate_ioctl_retrieve_session retrieve;
};
_Static_assert(sizeof(struct liveupdate_ioctl_create_session) ==
	       sizeof(struct liveupdate_ioctl_retrieve_session) &&
	       offsetof(struct liveupdate_ioctl_create_session, fd) ==
	       offsetof(struct liveupdate_ioctl_retrieve_session, fd) &&
	       offsetof(struct liveupdate_ioctl_create_session, name) ==
	       offsetof(struct liveupdate_ioctl_retrieve_session, name),
	       "create and retrieve session requests share a layout");

int lu_session_open(struct liveupdate_ctx *ctx, const char *name,
			struct liveupdate_session **sessionp, bool create)
{
	const char *call = create ? "liveupdate_session_create"
				  : "liveupdate_session_retrieve";
	union session_req req;
	struct liveupdate_session *s;
	int dev, ret;

	if (!ctx || !sessionp)
		return lu_bad_arg(ctx, "%s: %s is NULL", call,
				  ctx ? "sessionp" : "ctx");
	ret = check_session_name(ctx, name);
	if (ret)
		return ret;

	s = session_alloc(ctx);
	if (!s)
		return lu_oom(ctx, "%s(\"%s\")", call, name);
	for (int attempt = 0;; attempt++) {
		dev = lu_ctx_device_fd(ctx);
		if (dev < 0) {
			session_free(s);
			return dev;
		}
		memset(&req, 0, sizeof(req));
		req.create.size = sizeof(req);
		memcpy(req.create.name, name, strlen(name) + 1);
		ret = lu_backend_ioctl(ctx, dev, create ? LIVEUPDATE_IOCTL_CREATE_SESSION
							: LIVEUPDATE_IOCTL_RETRIEVE_SESSION, &req);
		/* a simulated kexec closed the device under the context: once more */
		if (ret != -EBADF || attempt || !lu_ctx_device_gone(ctx, dev))
			break;
	}
	if (ret < 0) {
		session_free(s);
		return lu_fail(ctx, create ? LU_OP_CREATE_SESSION
					   : LU_OP_RETRIEVE_SESSION,
			       ret, "%s(\"%s\")", call, name);
	}
	s->fd = req.create.fd;
	s->direction = create ? LIVEUPDATE_SESSION_OUTGOING
			      : LIVEUPDATE_SESSION_INCOMING;
	memcpy(s->name, name, strlen(name) + 1);
	lu_dbg(ctx, "%s session \"%s\": fd %d", create ? "created" : "retrieved",
	       name, s->fd);
	*sessionp = s;
	return 0;
}

LU_EXPORT int liveupdate_session_retrieve(struct liveupdate_ctx *ctx,
					  const char *name,
					  struct liveupdate_session **sessionp)
{
	return lu_session_open(ctx, name, sessionp, false);
}

/*
 * Which way does a session fd go? The kernel has no query, but PRESERVE_FD
 * is refused with EINVAL on an incoming session before anything else is
 * looked at, while on an outgoing one an fd of -1 fails with EBADF (or
 * EEXIST when the token is taken) and changes nothing. RETRIEVE_FD and
 * FINISH cannot serve: a failed retrieve is sticky, and finish finishes.
 */
static int probe_token(struct liveupdate_ctx *ctx, int fd, uint64_t token)
{
	struct liveupdate_session_preserve_fd req = { .size = sizeof(req), .fd = -1,
						      .token = token };

	return lu_backend_ioctl(ctx, fd, LIVEUPDATE_SESSION_PRESERVE_FD, &req);
}

static int probe_direction(struct liveupdate_ctx *ctx, int fd,
			   enum liveupdate_session_direction *dir)
{
	int ret = probe_token(ctx, fd, 0);

	switch (ret) {
	case -EINVAL:
		*dir = LIVEUPDATE_SESSION_INCOMING;
		return 0;
	case -EBADF:
	case -EEXIST:
		*dir = LIVEUPDATE_SESSION_OUTGOING;
		return 0;
	case 0: /* the kernel preserved fd -1?  Never: do not trust this fd. */
		return -EPROTO;
	default:
		return ret;
	}
}

int lu_session_token_taken(struct liveupdate_session *session, uint64_t token)
{
	int ret = probe_token(session->ctx, session->fd, token);

	switch (ret) {
	case -EEXIST:
		return 1;
	case -EBADF:
		return 0;
	case 0: /* as in probe_direction(): never */
		return -EPROTO;
	default:
		return ret;
	}
}

LU_EXPORT int liveupdate_session_adopt(struct liveupdate_ctx *ctx, int fd,
				       struct liveupdate_session **sessionp)
{
	struct liveupdate_session_get_name req;
	struct liveupdate_session *s;
	int ret;

	if (!ctx || !sessionp)
		return lu_bad_arg(ctx, "liveupdate_session_adopt: %s is NULL",
				  ctx ? "sessionp" : "ctx");
	if (fd < 0)
		return lu_bad_arg(ctx, "liveupdate_session_adopt: fd %d is negative",
				  fd);

	memset(&req, 0, sizeof(req));
	req.size = sizeof(req);
	ret = lu_backend_ioctl(ctx, fd, LIVEUPDATE_SESSION_GET_NAME, &req);
	if (ret < 0)
		return lu_fail(ctx, LU_OP_ADOPT_SESSION, ret,
			       "liveupdate_session_adopt(fd %d): reading its name", fd);
	/* A name that fills the buffer would have to be cut: refuse it instead. */
	if (!memchr(req.name, '\0', sizeof(req.name)) || !req.name[0])
		return lu_fail(ctx, LU_OP_ADOPT_SESSION, -EPROTO,
			       "liveupdate_session_adopt(fd %d): the session name "
			       "returned is empty or not terminated", fd);

	s = session_alloc(ctx);
	if (!s)
		return lu_oom(ctx, "liveupdate_session_adopt(fd %d)", fd);
	ret = probe_direction(ctx, fd, &s->direction);
	if (ret < 0) {
		session_free(s);
		return lu_fail(ctx, LU_OP_ADOPT_SESSION, ret,
			       "liveupdate_session_adopt(fd %d): finding its direction",
			       fd);
	}
	memcpy(s->name, req.name, sizeof(s->name));
	s->fd = fd;
	lu_dbg(ctx, "adopted %s session \"%s\": fd %d",
	       s->direction == LIVEUPDATE_SESSION_INCOMING ? "incoming" : "outgoing",
	       s->name, fd);
	*sessionp = s;
	return 0;
}

LU_EXPORT struct liveupdate_session *
liveupdate_session_ref(struct liveupdate_session *session)
{
	if (session)
		__atomic_add_fetch(&session->refcount, 1, __ATOMIC_RELAXED);
	return session;
}

LU_EXPORT struct liveupdate_session *
liveupdate_session_unref(struct liveupdate_session *session)
{
	struct liveupdate_ctx *ctx;

	if (!session)
		return NULL;
	if (__atomic_sub_fetch(&session->refcount, 1, __ATOMIC_ACQ_REL) > 0)
		return session;
	ctx = session->ctx;
	/* The kernel aborts an outgoing session and finishes an incoming one
	 * when the last copy of its fd closes: a successor holds one. */
	lu_dbg(ctx, "closing %s session \"%s\" (fd %d)%s",
	       session->direction == LIVEUPDATE_SESSION_OUTGOING ? "outgoing"
								 : "incoming",
	       session->name, session->fd,
	       session->handed_over ? ": its successor holds it"
	       : session->direction == LIVEUPDATE_SESSION_OUTGOING
		       ? ": its preservation is aborted unless another process "
			 "holds it" : "");
	lu_backend_close(ctx, session->fd);
	session_free(session);
	return NULL;
}

LU_EXPORT int liveupdate_session_get_fd(const struct liveupdate_session *session)
{
	return session ? session->fd : -EINVAL;
}

LU_EXPORT const char *
liveupdate_session_get_name(const struct liveupdate_session *session)
{
	return session ? session->name : NULL;
}

LU_EXPORT enum liveupdate_session_direction
liveupdate_session_get_direction(const struct liveupdate_session *session)
{
	return session ? session->direction : (enum liveupdate_session_direction)0;
}

LU_EXPORT int
liveupdate_session_is_finished(const struct liveupdate_session *session)
{
	return session ? session->finished : -EINVAL;
}

LU_EXPORT int liveupdate_session_finish(struct liveupdate_session *session)
{
	struct liveupdate_session_finish req = { .size = sizeof(req), .reserved = 0 };
	struct liveupdate_ctx *ctx;
	int ret;

	if (!session)
		return lu_bad_arg(NULL, "liveupdate_session_finish: session is NULL");
	ctx = session->ctx;
	if (session->direction != LIVEUPDATE_SESSION_INCOMING)
		return lu_bad_arg(ctx, "liveupdate_session_finish(\"%s\"): the "
				  "session is outgoing; only sessions retrieved "
				  "after an update can be finished (close an "
				  "outgoing session to abort it)", session->name);
	ret = lu_backend_ioctl(ctx, session->fd, LIVEUPDATE_SESSION_FINISH, &req);
	if (ret < 0)
		return lu_fail(ctx, LU_OP_FINISH, ret,
			       "liveupdate_session_finish(\"%s\")", session->name);
	session->finished = true;
	lu_dbg(ctx, "finished session \"%s\"", session->name);
	return 0;
}
