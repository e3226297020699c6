/*
 * lib-misuse: every misuse listed in shared/research/luo-kernel-semantics.md,
 * asserting the exact errno the library returns on the real kernel (and,
 * for the size freeze, the errno of the plain system calls).
 *
 * Stage 1 (outgoing side): no incoming session on a cold boot, missing
 * device, second open of the device, bad names, duplicate name, duplicate
 * token, double preservation, unsupported fds, bad fds, MFD_HUGETLB memfd,
 * resizing a preserved memfd, incoming-only calls on an outgoing session,
 * adopting things that are not sessions.
 * Stage 2 (incoming side): closed session absent, double retrieve, preserve
 * into an incoming session, unknown token (twice: sticky), re-preserving a
 * retrieved memfd before finish, finished session, second open again.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/falloc.h>

#include "lutest-lib.h"

#define OUT "lib-mis-out"
#define EMPTY "lib-mis-empty"
#define DUP "lib-mis-dup"
#define MSIZE (64u << 10)

static int unused_fd(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	LT_CHECK(fd >= 0, "open /dev/null");
	close(fd);
	return fd;	/* closed: a bad fd */
}

static int stage1(void)
{
	struct liveupdate_ctx *ctx = lt_ctx_new(), *ctx2 = lt_ctx_new();
	struct liveupdate_session *s = NULL;

	/* Cold boot: nothing to retrieve. */
	LT_ERR(liveupdate_session_retrieve(ctx, "lib-mis-nothing", &s), ENOENT);

	/* No such device. */
	{
		struct liveupdate_ctx *c = NULL;
		LIVEUPDATE_OPTS(liveupdate_ctx_opts, o, .device_path = "/dev/no-liveupdate");
		LT_OK(liveupdate_ctx_new(&o, &c));
		LT_ERR(liveupdate_ctx_open_device(c), ENOENT);
		liveupdate_ctx_unref(c);
	}

	/* The device is exclusive: a second open is EBUSY until the first closes. */
	LT_OK(liveupdate_ctx_open_device(ctx));
	LT_ERR(liveupdate_ctx_open_device(ctx2), EBUSY);
	LT_ERR(liveupdate_session_create(ctx2, "lib-mis-busy", &s), EBUSY);
	liveupdate_ctx_close_device(ctx);
	LT_OK(liveupdate_ctx_open_device(ctx2));
	LT_ERR(liveupdate_ctx_open_device(ctx), EBUSY);
	liveupdate_ctx_close_device(ctx2);
	liveupdate_ctx_unref(ctx2);

	/* Names. */
	char n64[65], n63[64];
	memset(n64, 'n', 64);
	n64[64] = 0;
	memset(n63, 'm', 63);
	n63[63] = 0;
	LT_ERR(liveupdate_session_create(ctx, "", &s), EINVAL);
	LT_ERR(liveupdate_session_create(ctx, NULL, &s), EINVAL);
	LT_ERR(liveupdate_session_create(ctx, n64, &s), EINVAL);
	LT_OK(liveupdate_session_create(ctx, n63, &s));
	LT_CHECK(!strcmp(liveupdate_session_get_name(s), n63), "63-byte name read back wrong");
	liveupdate_session_unref(s);

	/* Duplicate name. */
	struct liveupdate_session *dup = NULL, *out = NULL;
	LT_OK(liveupdate_session_create(ctx, DUP, &dup));
	LT_ERR(liveupdate_session_create(ctx, DUP, &s), EEXIST);

	/* Duplicate token; double preservation (same and other session). */
	LT_OK(liveupdate_session_create(ctx, OUT, &out));
	int m1 = lt_memfd("m1", MSIZE, 41), m2 = lt_memfd("m2", MSIZE, 42);
	LT_OK(liveupdate_session_preserve_fd(out, m1, 7));
	LT_ERR(liveupdate_session_preserve_fd(out, m2, 7), EEXIST);
	LT_ERR(liveupdate_session_preserve_fd(out, m1, 8), EBUSY);
	LT_ERR(liveupdate_session_preserve_fd(dup, m1, 7), EBUSY);
	/* Token 0 is a token like any other. */
	LT_OK(liveupdate_session_preserve_fd(dup, m2, 0));

	/* Files the kernel cannot preserve. */
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	int pipefd[2];
	LT_CHECK(pipe2(pipefd, O_CLOEXEC) == 0, "pipe: %s", lt_errname(errno));
	LT_ERR(liveupdate_session_preserve_fd(out, devnull, 20), ENOENT);
	LT_ERR(liveupdate_session_preserve_fd(out, pipefd[0], 21), ENOENT);
	LT_ERR(liveupdate_session_preserve_fd(out, liveupdate_session_get_fd(dup), 22), ENOENT);
	LT_ERR(liveupdate_session_preserve_fd(out, unused_fd(), 23), EBADF);
	LT_ERR(liveupdate_session_preserve_fd(out, -1, 24), EINVAL);
	int huge = memfd_create("huge", MFD_CLOEXEC | MFD_HUGETLB);
	LT_CHECK(huge >= 0, "memfd_create(MFD_HUGETLB): %s", lt_errname(errno));
	LT_ERR(liveupdate_session_preserve_fd(out, huge, 25), ENOENT);
	close(huge);
	close(devnull);
	close(pipefd[0]);
	close(pipefd[1]);

	/* A preserved memfd's size is frozen; writes in place still work. */
	LT_EXPECT_ERRNO(ftruncate(m1, 2 * MSIZE), EPERM);
	LT_EXPECT_ERRNO(ftruncate(m1, MSIZE / 2), EPERM);
	LT_EXPECT_ERRNO(fallocate(m1, 0, 0, 4096), EPERM);
	LT_EXPECT_ERRNO(fallocate(m1, FALLOC_FL_KEEP_SIZE, MSIZE, 4096), EPERM);
	LT_EXPECT_ERRNO(pwrite(m1, "x", 1, MSIZE), EPERM);
	char page[4096];
	lt_fill(page, sizeof(page), 41);	/* same bytes as already there */
	LT_CHECK(pwrite(m1, page, sizeof(page), 0) == (ssize_t)sizeof(page),
		 "pwrite in place: %s", lt_errname(errno));

	/* Calls for incoming sessions on an outgoing one. */
	int fd = -1;
	LT_ERR(liveupdate_session_retrieve_fd(out, 7, &fd), EINVAL);
	LT_ERR(liveupdate_session_finish(out), EINVAL);

	/* Adopting. */
	struct liveupdate_session *ad = NULL;
	int d = dup3(liveupdate_session_get_fd(out), 100, O_CLOEXEC);
	LT_CHECK(d >= 0, "dup: %s", lt_errname(errno));
	LT_OK(liveupdate_session_adopt(ctx, d, &ad));
	LT_CHECK(liveupdate_session_get_direction(ad) == LIVEUPDATE_SESSION_OUTGOING,
		 "adopted outgoing session has direction %d", liveupdate_session_get_direction(ad));
	LT_CHECK(!strcmp(liveupdate_session_get_name(ad), OUT), "adopted name '%s'",
		 liveupdate_session_get_name(ad));
	liveupdate_session_unref(ad);	/* closes the dup only */
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	LT_ERR(liveupdate_session_adopt(ctx, devnull, &ad), ENOTTY);
	close(devnull);
	LT_ERR(liveupdate_session_adopt(ctx, m2, &ad), ENOTTY);
	LT_ERR(liveupdate_session_adopt(ctx, unused_fd(), &ad), EBADF);
	LT_ERR(liveupdate_session_adopt(ctx, -1, &ad), EINVAL);

	/* The adopted dup is closed, and the token probe changed nothing. */
	LT_ERR(liveupdate_session_preserve_fd(out, m1, 9), EBUSY);
	close(m1);
	close(m2);

	struct liveupdate_session *empty = NULL;
	LT_OK(liveupdate_session_create(ctx, EMPTY, &empty));

	/* DUP is closed: aborted, so absent after the reboot. */
	liveupdate_session_unref(dup);
	lt_keep_fd(liveupdate_session_get_fd(out));
	lt_keep_fd(liveupdate_session_get_fd(empty));
	return LT_CONTINUE;
}

static int stage2(void)
{
	struct liveupdate_ctx *ctx = lt_ctx_new(), *ctx2 = lt_ctx_new();
	struct liveupdate_session *s = NULL, *in = NULL, *again = NULL;
	int fd = -1;

	/* Second open after the update too. */
	LT_OK(liveupdate_ctx_open_device(ctx));
	LT_ERR(liveupdate_ctx_open_device(ctx2), EBUSY);
	liveupdate_ctx_unref(ctx2);

	LT_ERR(liveupdate_session_retrieve(ctx, DUP, &s), ENOENT);
	LT_ERR(liveupdate_session_retrieve(ctx, "lib-mis-never", &s), ENOENT);
	LT_OK(liveupdate_session_retrieve(ctx, OUT, &in));
	LT_ERR(liveupdate_session_retrieve(ctx, OUT, &s), EINVAL);
	LT_CHECK(liveupdate_session_get_direction(in) == LIVEUPDATE_SESSION_INCOMING, "direction");

	/* Preserving into an incoming session. */
	int m = lt_memfd("m3", MSIZE, 43);
	LT_ERR(liveupdate_session_preserve_fd(in, m, 1), EINVAL);
	close(m);

	/* Unknown token: ENOENT, and again. */
	LT_ERR(liveupdate_session_retrieve_fd(in, 999, &fd), ENOENT);
	LT_ERR(liveupdate_session_retrieve_fd(in, 999, &fd), ENOENT);
	LT_ERR(liveupdate_session_retrieve_fd(in, 20, &fd), ENOENT);	/* refused in stage 1 */

	LT_OK(liveupdate_session_retrieve_fd(in, 7, &fd));
	lt_check_memfd(fd, MSIZE, 41, "memfd token 7");

	/* Adopting an incoming session fd. */
	struct liveupdate_session *ad = NULL;
	int d = dup3(liveupdate_session_get_fd(in), 100, O_CLOEXEC);
	LT_OK(liveupdate_session_adopt(ctx, d, &ad));
	LT_CHECK(liveupdate_session_get_direction(ad) == LIVEUPDATE_SESSION_INCOMING,
		 "adopted incoming session has direction %d", liveupdate_session_get_direction(ad));
	liveupdate_session_unref(ad);

	/* A retrieved memfd cannot go into a new session before finish... */
	LT_OK(liveupdate_session_create(ctx, "lib-mis-again", &again));
	LT_ERR(liveupdate_session_preserve_fd(again, fd, 1), EBUSY);

	/* Finished session. */
	LT_OK(liveupdate_session_finish(in));
	LT_ERR(liveupdate_session_retrieve_fd(in, 7, &d), ENOENT);
	LT_ERR(liveupdate_session_retrieve_fd(in, 999, &d), ENOENT);
	LT_OK(liveupdate_session_finish(in));	/* the kernel: nothing left, 0 */
	LT_ERR(liveupdate_session_retrieve(ctx, OUT, &s), EINVAL);	/* still open */
	liveupdate_session_unref(in);
	LT_ERR(liveupdate_session_retrieve(ctx, OUT, &s), ENOENT);

	/* ... and can after it: the file belongs to us now. */
	LT_OK(liveupdate_session_preserve_fd(again, fd, 1));
	liveupdate_session_unref(again);
	close(fd);

	struct liveupdate_session *empty = NULL;
	LT_OK(liveupdate_session_retrieve(ctx, EMPTY, &empty));
	LT_ERR(liveupdate_session_retrieve_fd(empty, 0, &fd), ENOENT);
	LT_OK(liveupdate_session_finish(empty));
	liveupdate_session_unref(empty);
	liveupdate_ctx_unref(ctx);
	lt_pass("every misuse gave the documented errno on the real kernel");
}

static int run(int stage)
{
	return stage == 1 ? stage1() : stage2();
}

LT_SCENARIO(lib_misuse, "lib-misuse", run, 0);
