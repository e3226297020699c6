/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Handing an outgoing session to a successor process over a connected Unix
 * socket: liveupdate_session_handover() sends the session fd and its kept
 * files (the manifest's pieces among them), liveupdate_session_receive() takes
 * them, checks them and answers. The predecessor changes nothing until the
 * answer says yes; the successor says yes only to what it fully checked.
 * The bytes are handover-wire.c's; the manifest is adopted by manifest.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "liveupdate-private.h"
#include "handover-wire.h"

/* One message as it arrived: its bytes and the fds that came with them. */
struct frame {
	uint8_t buf[LU_HO_FRAME_MAX];
	size_t len;
	int fds[LU_HO_BATCH_MAX];
	unsigned nfds;
};

static void frame_close_fds(struct frame *f)
{
	for (unsigned i = 0; i < f->nfds; i++)
		close(f->fds[i]);
	f->nfds = 0;
}

/*
 * Whether sock is a connected Unix stream or seqpacket socket whose peer
 * runs as this process's user: 0 with *seqpacket set, or a negative errno
 * (logged).
 */
static int check_socket(struct liveupdate_ctx *ctx, const char *call, int sock,
			bool *seqpacket)
{
	struct sockaddr_un sa;
	struct ucred cred;
	socklen_t len = sizeof(int);
	int domain, type;

	if (getsockopt(sock, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0 ||
	    (len = sizeof(int), getsockopt(sock, SOL_SOCKET, SO_TYPE, &type, &len) < 0))
		return lu_fail(ctx, LU_OP_HANDOVER, -errno, "%s: fd %d", call, sock);
	if (domain != AF_UNIX || (type != SOCK_STREAM && type != SOCK_SEQPACKET))
		return lu_fail(ctx, LU_OP_HANDOVER, -EPROTOTYPE, "%s: fd %d is a socket "
			       "of domain %d and type %d", call, sock, domain, type);
	len = sizeof(sa);
	if (getpeername(sock, (struct sockaddr *)&sa, &len) < 0)
		return lu_fail(ctx, LU_OP_HANDOVER, -errno, "%s: fd %d", call, sock);
	len = sizeof(cred);
	if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return lu_fail(ctx, LU_OP_HANDOVER, -errno, "%s: fd %d: the peer's "
			       "credentials", call, sock);
	if (cred.uid != geteuid())
		return lu_fail(ctx, LU_OP_HANDOVER, -EPERM, "%s: the peer, pid %d, runs "
			       "as uid %u, this process as uid %u", call, (int)cred.pid,
			       (unsigned)cred.uid, (unsigned)geteuid());
	*seqpacket = type == SOCK_SEQPACKET;
	return 0;
}

int lu_ho_send_frame(int sock, const uint8_t *buf, size_t len, const int *fds,
		     unsigned nfds)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int) * LU_HO_BATCH_MAX)];
	} c;
	size_t off = 0;

	while (off < len) {
		struct iovec iov = { (void *)(buf + off), len - off };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t n;

		if (off == 0 && nfds) {
			struct cmsghdr *cm;

			memset(&c, 0, sizeof(c));
			mh.msg_control = c.b;
			mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
			cm = CMSG_FIRSTHDR(&mh);
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_RIGHTS;
			cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
			memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
		}
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		off += (size_t)n; /* a stream may take part of it */
	}
	return 0;
}

/*
 * Read up to cap bytes into buf, taking the fds that come with them into
 * f: the number of bytes (0 at the end of the stream), or a negative
 * errno with the reason in why.
 */
static ssize_t recv_some(int sock, struct frame *f, uint8_t *buf, size_t cap,
			 int flags, char *why, size_t why_len)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int) * LU_HO_BATCH_MAX)];
	} c;
	struct iovec iov = { buf, cap };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = c.b, .msg_controllen = sizeof(c.b) };
	int ret = 0;
	ssize_t n;

	do
		n = recvmsg(sock, &mh, flags | MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		ret = -errno;
		snprintf(why, why_len, "receiving");
		return ret;
	}
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < k; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(fd));
			if (f->nfds < LU_HO_BATCH_MAX) {
				f->fds[f->nfds++] = fd;
			} else {
				close(fd);
				ret = -EBADMSG;
				snprintf(why, why_len, "more than %u fds with one message",
					 LU_HO_BATCH_MAX);
			}
		}
	}
	if (!ret && mh.msg_flags & MSG_CTRUNC) {
		ret = -EMFILE;
		snprintf(why, why_len, "fds were lost on the way: this process has no "
			 "room for them");
	}
	if (!ret && mh.msg_flags & MSG_TRUNC) {
		ret = -EBADMSG;
		snprintf(why, why_len, "a message over %zu bytes", cap);
	}
	return ret ? ret : n;
}

/* Read exactly want bytes of a stream into f: 0, or a negative errno (why). */
static int recv_exact(int sock, struct frame *f, size_t want, int flags,
		      char *why, size_t why_len)
{
	while (f->len < want) {
		ssize_t n = recv_some(sock, f, f->buf + f->len, want - f->len, flags,
				      why, why_len);

		if (n < 0)
			return (int)n;
		if (n == 0) {
			snprintf(why, why_len, "the other process hung up after %zu bytes "
				 "of a message", f->len);
			return -ECONNRESET;
		}
		f->len += (size_t)n;
	}
	return 0;
}

/* Receive one whole frame into f (empty on entry): 0, or a negative errno
 * (why), with f's fds closed. */
static int recv_frame(int sock, bool seqpacket, struct frame *f, int flags,
		      char *why, size_t why_len)
{
	size_t len;
	ssize_t n;
	int ret;

	f->len = 0;
	f->nfds = 0;
	if (seqpacket) {
		n = recv_some(sock, f, f->buf, sizeof(f->buf), flags, why, why_len);
		ret = n < 0 ? (int)n : 0;
		if (n == 0) {
			snprintf(why, why_len, "the other process hung up");
			ret = -ECONNRESET;
		}
		f->len = n > 0 ? (size_t)n : 0;
	} else {
		ret = recv_exact(sock, f, LU_HO_HEADER_SIZE, flags, why, why_len);
		if (!ret)
			ret = lu_ho_frame_len(f->buf, &len, why, why_len);
		if (!ret)
			ret = recv_exact(sock, f, len, flags, why, why_len);
	}
	if (ret)
		frame_close_fds(f);
	return ret;
}

/* Receive and decode one frame of the given type: 0 with *msg, or a
 * negative errno (why), with f's fds closed. */
static int recv_msg(int sock, bool seqpacket, enum lu_ho_type type, struct frame *f,
		    struct lu_ho_msg *msg, int flags, char *why, size_t why_len)
{
	int ret = recv_frame(sock, seqpacket, f, flags, why, why_len);

	if (!ret)
		ret = lu_ho_decode(f->buf, f->len, f->nfds, msg, why, why_len);
	if (!ret && msg->type != type) {
		snprintf(why, why_len, "a message of type %u where type %u belongs",
			 (unsigned)msg->type, (unsigned)type);
		ret = -EBADMSG;
	}
	if (ret)
		frame_close_fds(f);
	return ret;
}

/* ---- the predecessor ---- */

/* Send the offer and every kept file: 0 or a negative errno (not logged). */
static int send_session(struct liveupdate_session *s, int sock)
{
	struct lu_ho_offer offer = { .n_files = (uint32_t)s->n_kept,
				     .next_token = s->next_token };
	struct lu_manifest_state mst;
	uint8_t buf[LU_HO_FRAME_MAX];
	uint64_t tokens[LU_HO_BATCH_MAX];
	int fds[LU_HO_BATCH_MAX];
	int ret;

	memcpy(offer.name, s->name, sizeof(offer.name));
	lu_session_manifest_state(s, &mst);
	offer.flags = mst.present ? LU_HO_OFFER_MANIFEST : 0;
	offer.manifest_state = mst.word;
	ret = lu_ho_send_frame(sock, buf, lu_ho_encode_offer(&offer, buf), &s->fd, 1);
	for (size_t first = 0; !ret && first < s->n_kept; first += LU_HO_BATCH_MAX) {
		uint32_t count = (uint32_t)(s->n_kept - first < LU_HO_BATCH_MAX
						    ? s->n_kept - first : LU_HO_BATCH_MAX);

		for (uint32_t i = 0; i < count; i++) {
			tokens[i] = s->kept[first + i].token;
			fds[i] = s->kept[first + i].fd;
		}
		ret = lu_ho_send_frame(sock, buf, lu_ho_encode_batch((uint32_t)first, tokens,
							       count, buf),
				 fds, count);
	}
	return ret;
}

/*
 * After a failed send: the refusal the successor may have sent before it
 * hung up, so that the caller learns why. 0 with *err, or -1.
 */
static int pending_refusal(int sock, bool seqpacket, uint32_t *err)
{
	struct frame f;
	struct lu_ho_msg msg;
	char why[LU_HO_WHY_MAX];

	if (recv_msg(sock, seqpacket, LU_HO_REPLY, &f, &msg, MSG_DONTWAIT, why,
		     sizeof(why)) || !msg.err)
		return -1;
	*err = msg.err;
	return 0;
}

LU_EXPORT int liveupdate_session_handover(struct liveupdate_session *session, int sock)
{
	static const char call[] = "liveupdate_session_handover";
	struct liveupdate_ctx *ctx;
	struct lu_ho_msg msg;
	struct frame f;
	char why[LU_HO_WHY_MAX];
	bool seqpacket;
	uint32_t err;
	int ret;

	if (!session)
		return lu_bad_arg(NULL, "%s: session is NULL", call);
	ctx = session->ctx;
	if (sock < 0)
		return lu_bad_arg(ctx, "%s(\"%s\"): socket fd %d is negative", call,
				  session->name, sock);
	if (session->direction != LIVEUPDATE_SESSION_OUTGOING)
		return lu_bad_arg(ctx, "%s(\"%s\"): the session is incoming: after the "
				  "update, another process retrieves it by name", call,
				  session->name);
	if (session->handed_over)
		return lu_bad_arg(ctx, "%s(\"%s\"): the session was handed over already",
				  call, session->name);
	if (!session->keep_files)
		return lu_bad_arg(ctx, "%s(\"%s\"): the session does not keep its files: "
				  "create it with LIVEUPDATE_SESSION_HANDOVER", call,
				  session->name);
	if (session->n_kept > LU_HO_FILES_MAX)
		return lu_fail(ctx, LU_OP_HANDOVER, -EMSGSIZE, "%s(\"%s\"): %zu files, "
			       "over the %u a handover takes", call, session->name,
			       session->n_kept, LU_HO_FILES_MAX);
	ret = check_socket(ctx, call, sock, &seqpacket);
	if (ret)
		return ret;

	ret = send_session(session, sock);
	if (ret && pending_refusal(sock, seqpacket, &err) == 0)
		return lu_fail(ctx, LU_OP_HANDOVER, -ECONNREFUSED, "%s(\"%s\"): the "
			       "successor refused it: %s (%s)", call, session->name,
			       lu_errno_name((int)err), strerror((int)err));
	if (ret)
		return lu_fail(ctx, LU_OP_HANDOVER, ret, "%s(\"%s\"): sending it",
			       call, session->name);
	ret = recv_msg(sock, seqpacket, LU_HO_REPLY, &f, &msg, 0, why, sizeof(why));
	if (ret)
		return lu_fail(ctx, LU_OP_HANDOVER, ret, "%s(\"%s\"): waiting for the "
			       "successor's answer: %s", call, session->name, why);
	if (msg.err)
		return lu_fail(ctx, LU_OP_HANDOVER, -ECONNREFUSED, "%s(\"%s\"): the "
			       "successor refused it: %s (%s)", call, session->name,
			       lu_errno_name((int)msg.err), strerror((int)msg.err));
	/* the successor holds it: let go of everything but our copy of the fd */
	session->handed_over = true;
	lu_session_drop_kept(session);
	lu_dbg(ctx, "session \"%s\": handed over", session->name);
	return 0;
}

/* ---- the successor ---- */

/* Tell the predecessor no (best effort: it may be gone). */
static void refuse(int sock, int err)
{
	uint8_t buf[LU_HO_FRAME_MAX];

	lu_ho_send_frame(sock, buf, lu_ho_encode_reply((uint32_t)(err < 0 ? -err : err), buf),
		   NULL, 0);
}

/* The files of the offer, batch after batch, into kept[] (fds now owned
 * there, *n_kept of them): 0 or a negative errno (why). */
static int recv_files(int sock, bool seqpacket, uint32_t n_files,
		      struct lu_kept_file *kept, size_t *n_kept, char *why,
		      size_t why_len)
{
	uint64_t *tokens = malloc((n_files ? n_files : 1) * sizeof(*tokens));
	struct lu_ho_msg msg;
	struct frame f;
	int ret = 0;

	if (!tokens)
		return -ENOMEM;
	*n_kept = 0;
	while (!ret && *n_kept < n_files) {
		ret = recv_msg(sock, seqpacket, LU_HO_BATCH, &f, &msg, 0, why, why_len);
		if (!ret)
			ret = lu_ho_batch_follows(&msg.batch, (uint32_t)*n_kept, n_files,
						  why, why_len);
		if (ret) {
			frame_close_fds(&f);
			break;
		}
		for (uint32_t i = 0; i < msg.batch.count; i++) {
			uint64_t t = lu_ho_batch_token(&msg.batch, i);

			tokens[*n_kept] = t;
			kept[(*n_kept)++] = (struct lu_kept_file){ t, f.fds[i] };
		}
	}
	if (!ret)
		ret = lu_ho_tokens_distinct(tokens, n_files, why, why_len);
	free(tokens);
	return ret;
}

/* Everything up to the acknowledgement: 0 with *sp, or a negative errno
 * (logged) with nothing left open. */
static int receive_session(struct liveupdate_ctx *ctx, const char *call, int sock,
			   bool seqpacket, struct liveupdate_session **sp)
{
	struct liveupdate_session *s = NULL;
	struct lu_kept_file *kept = NULL;
	struct lu_manifest_state mst;
	struct lu_ho_msg msg;
	struct frame f;
	char why[LU_HO_WHY_MAX];
	size_t n_kept = 0;
	int ret;

	ret = recv_msg(sock, seqpacket, LU_HO_OFFER, &f, &msg, 0, why, sizeof(why));
	if (ret)
		return lu_fail(ctx, LU_OP_HANDOVER, ret, "%s: the offer: %s", call, why);
	ret = liveupdate_session_adopt(ctx, f.fds[0], &s);
	if (ret) {
		close(f.fds[0]);
		return lu_fail(ctx, LU_OP_HANDOVER, -EPROTO, "%s: the fd offered is no "
			       "live update session this context can use (%s)", call,
			       lu_errno_name(ret));
	}
	if (s->direction != LIVEUPDATE_SESSION_OUTGOING ||
	    strcmp(s->name, msg.offer.name)) {
		ret = lu_fail(ctx, LU_OP_HANDOVER, -EPROTO, "%s: the offer announced "
			      "outgoing session \"%s\" and came with %s session \"%s\"",
			      call, msg.offer.name,
			      s->direction == LIVEUPDATE_SESSION_OUTGOING ? "outgoing"
									  : "incoming",
			      s->name);
		goto fail;
	}
	kept = calloc(msg.offer.n_files ? msg.offer.n_files : 1, sizeof(*kept));
	if (!kept) {
		ret = lu_oom(ctx, "%s(\"%s\"): %u files", call, s->name,
			     msg.offer.n_files);
		goto fail;
	}
	ret = recv_files(sock, seqpacket, msg.offer.n_files, kept, &n_kept, why,
			 sizeof(why));
	if (ret) {
		ret = ret == -ENOMEM ? lu_oom(ctx, "%s(\"%s\")", call, s->name)
				     : lu_fail(ctx, LU_OP_HANDOVER, ret, "%s(\"%s\"): "
					       "the files: %s", call, s->name, why);
		goto fail;
	}
	lu_session_take_kept(s, kept, n_kept);
	kept = NULL;
	s->next_token = msg.offer.next_token;
	mst.present = msg.offer.flags & LU_HO_OFFER_MANIFEST;
	mst.word = msg.offer.manifest_state;
	ret = lu_session_manifest_adopt(s, &mst, call);
	if (ret)
		goto fail;
	*sp = s;
	return 0;
fail:
	for (size_t i = 0; i < n_kept && kept; i++)
		close(kept[i].fd);
	free(kept);
	liveupdate_session_unref(s); /* our copy: the predecessor holds its own */
	return ret;
}

LU_EXPORT int liveupdate_session_receive(struct liveupdate_ctx *ctx, int sock,
					 struct liveupdate_session **sessionp)
{
	static const char call[] = "liveupdate_session_receive";
	struct liveupdate_session *s = NULL;
	uint8_t buf[LU_HO_FRAME_MAX];
	bool seqpacket;
	int ret;

	if (!ctx || !sessionp)
		return lu_bad_arg(ctx, "%s: %s is NULL", call, ctx ? "sessionp" : "ctx");
	if (sock < 0)
		return lu_bad_arg(ctx, "%s: socket fd %d is negative", call, sock);
	ret = check_socket(ctx, call, sock, &seqpacket);
	if (ret == -EPERM)
		refuse(sock, ret);
	if (ret)
		return ret;
	ret = receive_session(ctx, call, sock, seqpacket, &s);
	if (ret) {
		refuse(sock, ret);
		return ret;
	}
	ret = lu_ho_send_frame(sock, buf, lu_ho_encode_reply(0, buf), NULL, 0);
	if (ret) {
		liveupdate_session_unref(s);
		return lu_fail(ctx, LU_OP_HANDOVER, ret, "%s: acknowledging: the "
			       "predecessor keeps the session", call);
	}
	lu_dbg(ctx, "session \"%s\": received with %zu files", s->name, s->n_kept);
	*sessionp = s;
	return 0;
}
