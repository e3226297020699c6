/*
 * lib-sessions: several sessions at once, through the library.
 *
 * Stage 1 creates:
 *   lib-sess-a          two memfds (tokens 1 and 2)
 *   lib-sess-empty      no files at all
 *   lib-sess-c          a memfd with token 0, and (token 7) a memfd first
 *                       preserved in lib-sess-closed
 *   lib-sess-closed     closed (unref) before the reboot: aborted, so its
 *                       memfd is free to be preserved again and its name is
 *                       free again; absent after the reboot
 *   lib-sess-implicit   one memfd; closed without finish after the reboot
 *   lib-sess-unfinished one memfd; retrieved but never finished
 * Stage 2: lib-sess-closed is ENOENT; the others come back with their
 * files; lib-sess-implicit closed unfinished is an implicit finish (ENOENT
 * afterwards, its retrieved memfd still good); lib-sess-unfinished is
 * retrieved, its memfd read, not finished: a second retrieve is EINVAL, its
 * memfd cannot be preserved again (EBUSY), and its fd is held open across a
 * second live update together with a new outgoing session lib-sess-next.
 * Stage 3: lib-sess-unfinished is gone (ENOENT: the kernel hands over only
 * outgoing sessions); lib-sess-next arrives intact.
 */
#define _GNU_SOURCE
#include <fcntl.h>

#include "lutest-lib.h"

static struct liveupdate_session *create(struct liveupdate_ctx *ctx, const char *name)
{
	struct liveupdate_session *s = NULL;
	LT_OK(liveupdate_session_create(ctx, name, &s));
	return s;
}

static struct liveupdate_session *retrieve(struct liveupdate_ctx *ctx, const char *name)
{
	struct liveupdate_session *s = NULL;
	LT_OK(liveupdate_session_retrieve(ctx, name, &s));
	return s;
}

static void preserve_new(struct liveupdate_session *s, uint64_t token, size_t size, uint64_t seed)
{
	int fd = lt_memfd("lib-sessions", size, seed);
	LT_OK(liveupdate_session_preserve_fd(s, fd, token));
	close(fd);
}

static int get_checked(struct liveupdate_session *s, uint64_t token, size_t size, uint64_t seed)
{
	int fd = -1;
	char what[128];
	LT_OK(liveupdate_session_retrieve_fd(s, token, &fd));
	snprintf(what, sizeof(what), "%s token %llu", liveupdate_session_get_name(s),
		 (unsigned long long)token);
	lt_check_memfd(fd, size, seed, what);
	return fd;
}

static int stage1(void)
{
	struct liveupdate_ctx *ctx = lt_ctx_new();

	struct liveupdate_session *a = create(ctx, "lib-sess-a");
	preserve_new(a, 1, 1u << 20, 101);
	preserve_new(a, 2, 64u << 10, 102);

	struct liveupdate_session *empty = create(ctx, "lib-sess-empty");

	struct liveupdate_session *c = create(ctx, "lib-sess-c");
	preserve_new(c, 0, 256u << 10, 103);

	/* A session closed before the reboot: its files are unpreserved. */
	struct liveupdate_session *closed = create(ctx, "lib-sess-closed");
	int x = lt_memfd("lib-sess-x", 128u << 10, 107);
	LT_OK(liveupdate_session_preserve_fd(closed, x, 1));
	LT_ERR(liveupdate_session_preserve_fd(c, x, 7), EBUSY);
	LT_CHECK(liveupdate_session_unref(closed) == NULL, "unref");
	LT_OK(liveupdate_session_preserve_fd(c, x, 7));	/* free again */
	close(x);
	/* Its name is free again too. */
	closed = create(ctx, "lib-sess-closed");
	LT_CHECK(liveupdate_session_unref(closed) == NULL, "unref");

	struct liveupdate_session *imp = create(ctx, "lib-sess-implicit");
	preserve_new(imp, 6, 32u << 10, 106);
	struct liveupdate_session *unf = create(ctx, "lib-sess-unfinished");
	preserve_new(unf, 5, 32u << 10, 105);

	lt_keep_fd(liveupdate_session_get_fd(a));
	lt_keep_fd(liveupdate_session_get_fd(empty));
	lt_keep_fd(liveupdate_session_get_fd(c));
	lt_keep_fd(liveupdate_session_get_fd(imp));
	lt_keep_fd(liveupdate_session_get_fd(unf));
	return LT_CONTINUE;
}

static int stage2(void)
{
	struct liveupdate_ctx *ctx = lt_ctx_new();
	struct liveupdate_session *s = NULL;

	LT_ERR(liveupdate_session_retrieve(ctx, "lib-sess-closed", &s), ENOENT);

	struct liveupdate_session *a = retrieve(ctx, "lib-sess-a");
	close(get_checked(a, 1, 1u << 20, 101));
	close(get_checked(a, 2, 64u << 10, 102));
	LT_OK(liveupdate_session_finish(a));
	liveupdate_session_unref(a);

	struct liveupdate_session *empty = retrieve(ctx, "lib-sess-empty");
	int fd = -1;
	LT_ERR(liveupdate_session_retrieve_fd(empty, 0, &fd), ENOENT);
	LT_OK(liveupdate_session_finish(empty));
	liveupdate_session_unref(empty);

	struct liveupdate_session *c = retrieve(ctx, "lib-sess-c");
	close(get_checked(c, 0, 256u << 10, 103));
	close(get_checked(c, 7, 128u << 10, 107));
	LT_OK(liveupdate_session_finish(c));
	liveupdate_session_unref(c);

	/* Closing a retrieved session without finish finishes it. */
	struct liveupdate_session *imp = retrieve(ctx, "lib-sess-implicit");
	int ifd = get_checked(imp, 6, 32u << 10, 106);
	LT_CHECK(liveupdate_session_unref(imp) == NULL, "unref");
	LT_ERR(liveupdate_session_retrieve(ctx, "lib-sess-implicit", &s), ENOENT);
	lt_check_memfd(ifd, 32u << 10, 106, "memfd of the implicitly finished session");
	close(ifd);

	/* Retrieved, not finished, and held across the next live update. */
	struct liveupdate_session *unf = retrieve(ctx, "lib-sess-unfinished");
	int ufd = get_checked(unf, 5, 32u << 10, 105);
	LT_ERR(liveupdate_session_retrieve(ctx, "lib-sess-unfinished", &s), EINVAL);
	LT_CHECK(liveupdate_session_is_finished(unf) == 0, "finished?");

	struct liveupdate_session *next = create(ctx, "lib-sess-next");
	LT_ERR(liveupdate_session_preserve_fd(next, ufd, 1), EBUSY);
	close(ufd);
	preserve_new(next, 1, 512u << 10, 108);

	lt_keep_fd(liveupdate_session_get_fd(unf));
	lt_keep_fd(liveupdate_session_get_fd(next));
	return LT_CONTINUE;
}

static int stage3(void)
{
	struct liveupdate_ctx *ctx = lt_ctx_new();
	struct liveupdate_session *s = NULL;

	LT_ERR(liveupdate_session_retrieve(ctx, "lib-sess-unfinished", &s), ENOENT);
	LT_ERR(liveupdate_session_retrieve(ctx, "lib-sess-a", &s), ENOENT);
	struct liveupdate_session *next = retrieve(ctx, "lib-sess-next");
	close(get_checked(next, 1, 512u << 10, 108));
	LT_OK(liveupdate_session_finish(next));
	liveupdate_session_unref(next);
	liveupdate_ctx_unref(ctx);
	lt_pass("6 sessions (one empty, one closed before the reboot, one closed unfinished, "
		"one held unfinished across a second live update) behaved as the kernel says");
}

static int run(int stage)
{
	switch (stage) {
	case 1: return stage1();
	case 2: return stage2();
	default: return stage3();
	}
}

LT_SCENARIO(lib_sessions, "lib-sessions", run, 0);
