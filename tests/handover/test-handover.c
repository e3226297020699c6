/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Handing a session to a successor (lib/handover.c) on a private simulator:
 * a round trip of more files than one SCM_RIGHTS message carries, on
 * stream and seqpacket sockets; the sender's session after success and
 * after every kind of failure of the successor; hostile and truncated
 * messages to the receiver (nothing left open, a refusal sent back); the
 * argument and socket checks; a successor of another uid.
 */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "../unit/unit.h"
#include "handover-wire.h"

#define NAME "ho-vm"

/* The bytes of file k: its size and contents differ from file to file. */
static size_t file_size(int k)
{
	return 4096 + (size_t)k * 3;
}

static char *file_bytes(int k)
{
	size_t n = file_size(k);
	char *buf = malloc(n);

	ck_assert_ptr_nonnull(buf);
	for (size_t i = 0; i < n; i++)
		buf[i] = (char)(k * 31 + i);
	return buf;
}

static int make_file(int k)
{
	char *buf = file_bytes(k);
	int fd = memfd_create("ho", MFD_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, buf, file_size(k)), (ssize_t)file_size(k));
	free(buf);
	return fd;
}

static void check_file(int fd, int k)
{
	size_t n = file_size(k);
	char *want = file_bytes(k), *buf = malloc(n + 1);

	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(pread(fd, buf, n + 1, 0), (ssize_t)n);
	ck_assert_msg(memcmp(buf, want, n) == 0, "file %d differs", k);
	free(want);
	free(buf);
}

/* A session that can be handed over, with n files labelled f0 .. */
static struct liveupdate_session *handover_session(struct liveupdate_ctx *ctx,
						   const char *name, int n)
{
	LIVEUPDATE_OPTS(liveupdate_session_opts, so, .flags = LIVEUPDATE_SESSION_HANDOVER);
	struct liveupdate_session *s = NULL;
	char label[16];

	ck_assert_int_eq(liveupdate_session_create_opts(ctx, name, &so, &s), 0);
	for (int k = 0; k < n; k++) {
		LIVEUPDATE_OPTS(liveupdate_preserve_opts, po, .label = label);
		int fd = make_file(k);

		snprintf(label, sizeof(label), "f%d", k);
		ck_assert_int_eq(liveupdate_session_preserve_fd_opts(s, fd, &po, NULL), 0);
		close(fd);
	}
	return s;
}

/* Every file f0 .. f(n-1) of s, by label and by token. */
static void check_files(struct liveupdate_session *s, int n)
{
	const struct liveupdate_entry *e;
	char label[16];
	int fd;

	ck_assert_int_eq(liveupdate_session_count_entries(s), n);
	for (int k = 0; k < n; k++) {
		snprintf(label, sizeof(label), "f%d", k);
		ck_assert_int_eq(liveupdate_session_retrieve_fd_label(s, label, &fd, &e), 0);
		check_file(fd, k);
		close(fd);
		ck_assert_int_eq(liveupdate_session_retrieve_fd(s, e->token, &fd), 0);
		check_file(fd, k);
		close(fd);
	}
}

/* ---- a receiver on a thread, with a context of its own ---- */

struct receiver {
	pthread_t thread;
	int sock, ret;
	struct liveupdate_ctx *ctx;
	struct liveupdate_session *s;
};

static void *receive_main(void *arg)
{
	struct receiver *r = arg;

	r->ret = liveupdate_session_receive(r->ctx, r->sock, &r->s);
	return NULL;
}

static void receiver_start(struct receiver *r, int sock)
{
	memset(r, 0, sizeof(*r));
	r->sock = sock;
	ck_assert_int_eq(liveupdate_ctx_new(NULL, &r->ctx), 0);
	seam_attach(r->ctx);
	liveupdate_ctx_set_log_fn(r->ctx, NULL, NULL);
	ck_assert_int_eq(pthread_create(&r->thread, NULL, receive_main, r), 0);
}

static void receiver_join(struct receiver *r)
{
	ck_assert_int_eq(pthread_join(r->thread, NULL), 0);
}

/* Hand s over on a new socket pair sp of this type to r, which takes it. */
static void hand_over(struct liveupdate_session *s, int type, struct receiver *r,
		      int sp[2])
{
	ck_assert_int_eq(socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sp), 0);
	receiver_start(r, sp[1]);
	ck_assert_int_eq(liveupdate_session_handover(s, sp[0]), 0);
	receiver_join(r);
	ck_assert_int_eq(r->ret, 0);
}

/* The kexec after r received the session: the incoming session found by
 * name in the new context (returned), files f0 .. f(n-1) by label. */
static struct liveupdate_ctx *kexec_check(struct liveupdate_ctx *ctx, struct receiver *r,
					  int n, struct liveupdate_session **inp)
{
	ctx = seam_reboot(ctx, r->s);
	liveupdate_ctx_unref(r->ctx);
	ck_assert_int_eq(liveupdate_session_retrieve(ctx, NAME, inp), 0);
	check_files(*inp, n);
	return ctx;
}

static void finish(struct liveupdate_ctx *ctx, struct liveupdate_session *in)
{
	ck_assert_int_eq(liveupdate_session_finish(in), 0);
	liveupdate_session_unref(in);
	liveupdate_ctx_unref(ctx);
}

static void round_trip(int type)
{
	struct liveupdate_ctx *ctx = seam_ctx(NULL);
	struct liveupdate_session *s, *in = NULL;
	struct receiver r;
	int sp[2], fd, fds = count_fds();
	uint64_t token;
	const char *v;

	s = handover_session(ctx, NAME, 600); /* three batches */
	ck_assert_int_eq(liveupdate_session_set_meta(s, "vmm", "old"), 0);
	/* the flag's promise: files back from the outgoing session */
	ck_assert_int_eq(liveupdate_session_retrieve_fd_label(s, "f599", &fd, NULL), 0);
	check_file(fd, 599);
	close(fd);
	hand_over(s, type, &r, sp);

	/* the sender keeps nothing but refuses changes */
	ck_assert_int_eq(liveupdate_session_preserve_fd(s, sp[0], 7), -EINVAL);
	ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "handed over"));
	ck_assert_int_eq(liveupdate_session_set_meta(s, "k", "v"), -EINVAL);
	ck_assert_int_eq(liveupdate_session_retrieve_fd_label(s, "f0", &fd, NULL), -EINVAL);
	ck_assert_int_eq(liveupdate_session_handover(s, sp[0]), -EINVAL);
	liveupdate_session_unref(s);
	ck_assert_int_eq(seam_outgoing_sessions(), 1); /* the successor holds it */

	/* the successor's session: the same one, outgoing, everything there */
	ck_assert_str_eq(liveupdate_session_get_name(r.s), NAME);
	ck_assert_int_eq(liveupdate_session_get_direction(r.s), LIVEUPDATE_SESSION_OUTGOING);
	check_files(r.s, 600);
	ck_assert_int_eq(liveupdate_session_get_meta(r.s, "vmm", &v), 0);
	ck_assert_str_eq(v, "old");
	fd = make_file(600);
	{
		LIVEUPDATE_OPTS(liveupdate_preserve_opts, po, .label = "f600");

		ck_assert_int_eq(liveupdate_session_preserve_fd_opts(r.s, fd, &po, &token), 0);
	}
	close(fd);
	ck_assert_int_eq(liveupdate_session_set_meta(r.s, "vmm", "new"), 0);
	check_files(r.s, 601);
	close(sp[0]);
	close(sp[1]);

	ctx = kexec_check(ctx, &r, 601, &in);
	ck_assert_int_eq(liveupdate_session_get_meta(in, "vmm", &v), 0);
	ck_assert_str_eq(v, "new");
	finish(ctx, in);
	ck_assert_int_eq(count_fds(), fds);
}

START_TEST(test_round_trip_stream)
{
	round_trip(SOCK_STREAM);
}
END_TEST

START_TEST(test_round_trip_seqpacket)
{
	round_trip(SOCK_SEQPACKET);
}
END_TEST

/* A session with nothing recorded has no manifest piece yet: it hands over
 * all the same, and the successor makes the first piece when it records. */
START_TEST(test_manifest_not_made_yet)
{
	struct liveupdate_ctx *ctx = seam_ctx(NULL);
	struct liveupdate_session *s, *in = NULL;
	struct receiver r;
	char label[16];
	int sp[2], fds = count_fds(), fd;

	s = handover_session(ctx, NAME, 0);
	fd = make_file(100);
	ck_assert_int_eq(liveupdate_session_preserve_fd(s, fd, 7), 0); /* no record */
	close(fd);
	hand_over(s, SOCK_STREAM, &r, sp);
	liveupdate_session_unref(s);
	ck_assert_int_eq(liveupdate_session_retrieve_fd(r.s, 7, &fd), 0);
	check_file(fd, 100);
	close(fd);
	/* 80 records: more than the first 4 KiB piece holds, so a second too */
	for (int k = 0; k < 80; k++) {
		LIVEUPDATE_OPTS(liveupdate_preserve_opts, po, .label = label);

		snprintf(label, sizeof(label), "f%d", k);
		fd = make_file(k);
		ck_assert_int_eq(liveupdate_session_preserve_fd_opts(r.s, fd, &po, NULL), 0);
		close(fd);
	}
	close(sp[0]);
	close(sp[1]);

	ctx = kexec_check(ctx, &r, 80, &in);
	ck_assert_int_eq(liveupdate_session_retrieve_fd(in, 7, &fd), 0);
	check_file(fd, 100);
	close(fd);
	finish(ctx, in);
	ck_assert_int_eq(count_fds(), fds);
}
END_TEST

/* ---- what the sender sees of a successor that fails ---- */

enum bad_successor { HANG_UP_AT_ONCE, HANG_UP_AFTER_OFFER, HANG_UP_BEFORE_ANSWER,
		     GARBAGE_ANSWER, REFUSAL, BAD_SUCCESSOR_N };

struct fake {
	pthread_t thread;
	int sock;
	enum bad_successor how;
};

/* Read what the predecessor sends (up to the offer, or all of it), then
 * misbehave. */
static void *fake_main(void *arg)
{
	struct fake *f = arg;
	uint8_t buf[LU_HO_FRAME_MAX];
	ssize_t n;

	if (f->how == HANG_UP_AFTER_OFFER)
		n = recv(f->sock, buf, LU_HO_HEADER_SIZE + LU_HO_OFFER_SIZE, MSG_WAITALL);
	else if (f->how != HANG_UP_AT_ONCE) {
		/* everything the predecessor sends: until it waits for the answer */
		struct pollfd p = { .fd = f->sock, .events = POLLIN };

		while (poll(&p, 1, 300) > 0 && (n = recv(f->sock, buf, sizeof(buf), 0)) > 0)
			;
	}
	if (f->how == GARBAGE_ANSWER)
		ck_assert_int_eq(send(f->sock, "no thanks, garbage", 18, MSG_NOSIGNAL), 18);
	if (f->how == REFUSAL)
		ck_assert_int_gt(send(f->sock, buf, lu_ho_encode_reply(EMFILE, buf),
				      MSG_NOSIGNAL), 0);
	shutdown(f->sock, SHUT_RDWR);
	return NULL;
}

START_TEST(test_sender_keeps_session_when_successor_fails)
{
	static const int expect[BAD_SUCCESSOR_N] = { 0, 0, -ECONNRESET, -EBADMSG,
						     -ECONNREFUSED };
	struct liveupdate_ctx *ctx = seam_ctx(NULL);
	struct liveupdate_session *s = handover_session(ctx, NAME, 299);
	struct receiver r;
	int sp[2], fds = count_fds(), ret;

	for (int how = 0; how < BAD_SUCCESSOR_N; how++) {
		struct fake f = { .how = (enum bad_successor)how };

		ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
		f.sock = sp[1];
		ck_assert_int_eq(pthread_create(&f.thread, NULL, fake_main, &f), 0);
		ret = liveupdate_session_handover(s, sp[0]);
		ck_assert_int_eq(pthread_join(f.thread, NULL), 0);
		close(sp[0]);
		close(sp[1]);
		/* hung up early: whichever of send and receive noticed first */
		if (expect[how])
			ck_assert_int_eq(ret, expect[how]);
		else
			ck_assert(ret == -EPIPE || ret == -ECONNRESET);
		/* intact and usable */
		ck_assert_int_eq(count_fds(), fds);
		ck_assert_int_eq(seam_outgoing_sessions(), 1);
		check_files(s, 299 + how);
		{
			LIVEUPDATE_OPTS(liveupdate_preserve_opts, po, .label = NULL);
			char label[16];
			int fd = make_file(299 + how);

			snprintf(label, sizeof(label), "f%d", 299 + how);
			po.label = label;
			ck_assert_int_eq(liveupdate_session_preserve_fd_opts(s, fd, &po, NULL), 0);
			close(fd);
		}
		fds = count_fds();
	}
	/* and a real successor then takes it */
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
	receiver_start(&r, sp[1]);
	ck_assert_int_eq(liveupdate_session_handover(s, sp[0]), 0);
	receiver_join(&r);
	ck_assert_int_eq(r.ret, 0);
	check_files(r.s, 299 + BAD_SUCCESSOR_N);
	liveupdate_session_unref(s);
	liveupdate_session_unref(r.s);
	liveupdate_ctx_unref(r.ctx);
	close(sp[0]);
	close(sp[1]);
	liveupdate_ctx_unref(ctx);
}
END_TEST

/* ---- what the receiver does with hostile messages ---- */

static void send_raw(int sock, const void *buf, size_t len, const int *fds, unsigned nfds)
{
	ck_assert_int_eq(lu_ho_send_frame(sock, buf, len, fds, nfds), 0);
}

enum hostile { GARBAGE, TRUNCATED_HEADER, TRUNCATED_OFFER, OFFER_WITHOUT_FD,
	       OFFER_OF_A_PIPE, WRONG_NAME, REPLY_FIRST, EOF_AFTER_OFFER,
	       BATCH_OUT_OF_ORDER, BATCH_MISSING_FD, DUPLICATE_TOKENS,
	       BATCH_PAST_OFFER, MANIFEST_MISSING, MANIFEST_STATE_UNKNOWN, HOSTILE_N };

/* Write the hostile messages of case h into sock, then close it. */
static void write_hostile(int sock, enum hostile h, int session_fd, int file_fd)
{
	struct lu_ho_offer o = { .n_files = 2, .next_token = 1 };
	uint64_t tokens[2] = { 5, 6 };
	uint8_t buf[LU_HO_FRAME_MAX];
	int fds[2] = { file_fd, file_fd }, pipefd[2];
	size_t len;

	strcpy(o.name, h == WRONG_NAME ? "not-" NAME : NAME);
	if (h == MANIFEST_MISSING || h == MANIFEST_STATE_UNKNOWN) {
		o.n_files = 0;
		o.flags = LU_HO_OFFER_MANIFEST;
		/* missing: one piece of 4 KiB announced, none sent; unknown:
		 * a first piece of no size */
		o.manifest_state = h == MANIFEST_STATE_UNKNOWN ? 1 : 1 | UINT64_C(1) << 16;
	}
	len = lu_ho_encode_offer(&o, buf);
	switch (h) {
	case GARBAGE:
		send_raw(sock, "GET / HTTP/1.0\r\n\r\n", 18, NULL, 0);
		break;
	case TRUNCATED_HEADER:
		send_raw(sock, buf, 10, &session_fd, 1);
		break;
	case TRUNCATED_OFFER:
		send_raw(sock, buf, len - 1, &session_fd, 1);
		break;
	case OFFER_WITHOUT_FD:
		send_raw(sock, buf, len, NULL, 0);
		break;
	case OFFER_OF_A_PIPE:
		ck_assert_int_eq(pipe2(pipefd, O_CLOEXEC), 0);
		send_raw(sock, buf, len, pipefd, 1);
		close(pipefd[0]);
		close(pipefd[1]);
		break;
	case REPLY_FIRST:
		send_raw(sock, buf, lu_ho_encode_reply(0, buf), NULL, 0);
		break;
	default:
		send_raw(sock, buf, len, &session_fd, 1);
		break;
	}
	if (h == BATCH_OUT_OF_ORDER)
		send_raw(sock, buf, lu_ho_encode_batch(1, tokens, 1, buf), fds, 1);
	if (h == BATCH_MISSING_FD)
		send_raw(sock, buf, lu_ho_encode_batch(0, tokens, 2, buf), fds, 1);
	if (h == DUPLICATE_TOKENS) {
		tokens[1] = tokens[0];
		send_raw(sock, buf, lu_ho_encode_batch(0, tokens, 2, buf), fds, 2);
	}
	if (h == BATCH_PAST_OFFER) {
		send_raw(sock, buf, lu_ho_encode_batch(0, tokens, 1, buf), fds, 1);
		send_raw(sock, buf, lu_ho_encode_batch(1, tokens, 2, buf), fds, 2);
	}
	shutdown(sock, SHUT_WR);
}

static void hostile_messages(int type)
{
	static const int expect[HOSTILE_N] = {
		[GARBAGE] = -EBADMSG, [TRUNCATED_HEADER] = -ECONNRESET,
		[TRUNCATED_OFFER] = -ECONNRESET, [OFFER_WITHOUT_FD] = -EBADMSG,
		[OFFER_OF_A_PIPE] = -EPROTO, [WRONG_NAME] = -EPROTO,
		[REPLY_FIRST] = -EBADMSG, [EOF_AFTER_OFFER] = -ECONNRESET,
		[BATCH_OUT_OF_ORDER] = -EBADMSG, [BATCH_MISSING_FD] = -EBADMSG,
		[DUPLICATE_TOKENS] = -EBADMSG, [BATCH_PAST_OFFER] = -EBADMSG,
		[MANIFEST_MISSING] = -EBADMSG, [MANIFEST_STATE_UNKNOWN] = -EBADMSG,
	};
	struct liveupdate_ctx *ctx = seam_ctx(NULL);
	struct liveupdate_session *s = handover_session(ctx, NAME, 0), *got = NULL;
	int file = make_file(0);
	uint8_t buf[LU_HO_FRAME_MAX];
	struct lu_ho_msg msg;
	char why[LU_HO_WHY_MAX];
	ssize_t n;

	for (int h = 0; h < HOSTILE_N; h++) {
		int sp[2], fds;

		/* a stream truncated at 10 bytes of a seqpacket is just a short message */
		if (type == SOCK_SEQPACKET && (h == TRUNCATED_HEADER || h == TRUNCATED_OFFER))
			continue;
		ck_assert_int_eq(socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sp), 0);
		write_hostile(sp[0], (enum hostile)h, liveupdate_session_get_fd(s), file);
		fds = count_fds();
		ck_assert_msg(liveupdate_session_receive(ctx, sp[1], &got) == expect[h],
			      "case %d: %s", h, liveupdate_last_error());
		ck_assert_ptr_null(got);
		ck_assert_int_eq(count_fds(), fds); /* nothing left open */
		ck_assert_int_eq(seam_outgoing_sessions(), 1);
		/* the refusal went back, with the errno */
		n = recv(sp[0], buf, sizeof(buf), 0);
		ck_assert_int_gt(n, 0);
		ck_assert_int_eq(lu_ho_decode(buf, (size_t)n, 0, &msg, why, sizeof(why)), 0);
		ck_assert_int_eq(msg.type, LU_HO_REPLY);
		ck_assert_int_eq(-(int)msg.err, expect[h]);
		close(sp[0]);
		close(sp[1]);
	}
	/* the session itself was never touched */
	check_files(s, 0);
	close(file);
	liveupdate_session_unref(s);
	liveupdate_ctx_unref(ctx);
}

START_TEST(test_hostile_messages_stream)
{
	hostile_messages(SOCK_STREAM);
}
END_TEST

START_TEST(test_hostile_messages_seqpacket)
{
	hostile_messages(SOCK_SEQPACKET);
}
END_TEST

/* ---- arguments and sockets ---- */

START_TEST(test_arguments)
{
	struct liveupdate_ctx *ctx = seam_ctx(NULL);
	struct liveupdate_session *plain = NULL, *s, *in = NULL, *got = NULL;
	int sp[2], pfd[2], lone;

	s = handover_session(ctx, NAME, 1);
	ck_assert_int_eq(liveupdate_session_create(ctx, "plain", &plain), 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
	ck_assert_int_eq(pipe2(pfd, O_CLOEXEC), 0);
	lone = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_eq(liveupdate_session_handover(NULL, sp[0]), -EINVAL);
	ck_assert_int_eq(liveupdate_session_handover(s, -1), -EINVAL);
	ck_assert_int_eq(liveupdate_session_handover(plain, sp[0]), -EINVAL);
	ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "LIVEUPDATE_SESSION_HANDOVER"));
	/* without the flag, the 1.0 answer stays */
	{
		int fd;

		ck_assert_int_eq(liveupdate_session_retrieve_fd(plain, 1, &fd), -EINVAL);
		ck_assert_int_eq(liveupdate_session_retrieve_fd(s, 12345, &fd), -ENOENT);
	}
	ck_assert_int_eq(liveupdate_session_handover(s, pfd[0]), -ENOTSOCK);
	ck_assert_int_eq(liveupdate_session_handover(s, lone), -ENOTCONN);
	ck_assert_int_eq(liveupdate_session_receive(NULL, sp[1], &got), -EINVAL);
	ck_assert_int_eq(liveupdate_session_receive(ctx, sp[1], NULL), -EINVAL);
	ck_assert_int_eq(liveupdate_session_receive(ctx, -1, &got), -EINVAL);
	ck_assert_int_eq(liveupdate_session_receive(ctx, pfd[0], &got), -ENOTSOCK);
	close(sp[0]);
	close(sp[1]);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sp), 0);
	ck_assert_int_eq(liveupdate_session_handover(s, sp[0]), -EPROTOTYPE);
	ck_assert_int_eq(liveupdate_session_receive(ctx, sp[1], &got), -EPROTOTYPE);
	ck_assert_ptr_null(got);
	close(sp[0]);
	close(sp[1]);
	close(pfd[0]);
	close(pfd[1]);
	close(lone);
	/* an incoming session is the next boot's: retrieved by name */
	liveupdate_session_unref(plain);
	ctx = seam_reboot(ctx, s);
	ck_assert_int_eq(liveupdate_session_retrieve(ctx, NAME, &in), 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
	ck_assert_int_eq(liveupdate_session_handover(in, sp[0]), -EINVAL);
	close(sp[0]);
	close(sp[1]);
	liveupdate_session_unref(in);
	liveupdate_ctx_unref(ctx);
}
END_TEST

/* A successor of another uid: both ends refuse (needs root to switch). */
START_TEST(test_other_uid)
{
	struct liveupdate_ctx *ctx;
	struct liveupdate_session *s;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t salen;
	pid_t pid;
	int l, c, status;

	if (geteuid() != 0) {
		fprintf(stderr, "test_other_uid: not root, cannot run a process of "
			"another uid: not run\n");
		return;
	}
	ctx = seam_ctx(NULL);
	s = handover_session(ctx, NAME, 2);
	/* abstract: no file another uid could not reach */
	snprintf(sa.sun_path + 1, sizeof(sa.sun_path) - 1, "lu-ho-test-%d", (int)getpid());
	salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
			    strlen(sa.sun_path + 1));
	l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_eq(bind(l, (struct sockaddr *)&sa, salen), 0);
	ck_assert_int_eq(listen(l, 1), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct liveupdate_ctx *cctx;
		struct liveupdate_session *got = NULL;
		int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (setgid(65534) || setuid(65534) ||
		    connect(sock, (struct sockaddr *)&sa, salen) ||
		    liveupdate_ctx_new(NULL, &cctx))
			_exit(10);
		_exit(liveupdate_session_receive(cctx, sock, &got) == -EPERM && !got ? 0 : 11);
	}
	c = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	ck_assert_int_ge(c, 0);
	ck_assert_int_eq(liveupdate_session_handover(s, c), -EPERM);
	ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "runs as uid 65534"));
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_int_eq(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0);
	check_files(s, 2);
	close(c);
	close(l);
	liveupdate_session_unref(s);
	liveupdate_ctx_unref(ctx);
}
END_TEST

int main(void)
{
	Suite *suite = suite_create("handover");
	TCase *tc = tcase_create("handover");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_round_trip_stream);
	tcase_add_test(tc, test_round_trip_seqpacket);
	tcase_add_test(tc, test_manifest_not_made_yet);
	tcase_add_test(tc, test_sender_keeps_session_when_successor_fails);
	tcase_add_test(tc, test_hostile_messages_stream);
	tcase_add_test(tc, test_hostile_messages_seqpacket);
	tcase_add_test(tc, test_arguments);
	tcase_add_test(tc, test_other_uid);
	suite_add_tcase(suite, tc);
	sr = srunner_create(suite);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
