/*
 * lib-basic: one session, one memfd with a known pattern, through the
 * library's public API.
 *
 * Stage 1: create the session, fill an 8 MiB memfd, move its file position,
 * preserve it, then write (pwrite and through a shared mapping) after
 * preserving; record the whole file's checksum.
 * Stage 2: retrieve the session by name and the memfd by token; check size,
 * file position, every byte and the checksum; a second retrieve of the token
 * gives the same file; finish.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/stat.h>

#include "lutest-lib.h"

#define NAME "lib-basic"
#define TOKEN 0xfeedface00000001ull
#define SIZE (8u << 20)
#define SEED 0xb451c
#define POS 12345
#define LATE_OFF (3u << 20)
#define LATE_SEED 0x1a7e1
#define MAP_SEED 0x1a7e2

static int stage1(void)
{
	struct liveupdate_ctx *ctx = lt_ctx_new();
	struct liveupdate_session *s = NULL;

	LT_OK(liveupdate_session_create(ctx, NAME, &s));
	LT_CHECK(!strcmp(liveupdate_session_get_name(s), NAME), "name '%s'",
		 liveupdate_session_get_name(s));
	LT_CHECK(liveupdate_session_get_direction(s) == LIVEUPDATE_SESSION_OUTGOING,
		 "direction %d", liveupdate_session_get_direction(s));

	int fd = lt_memfd("lib-basic", SIZE, SEED);
	LT_CHECK(lseek(fd, POS, SEEK_SET) == POS, "lseek: %s", lt_errname(errno));
	uint64_t t0 = lt_now_ns();
	LT_OK(liveupdate_session_preserve_fd(s, fd, TOKEN));
	lt_log("preserved %u MiB in %.2f ms", SIZE >> 20, (lt_now_ns() - t0) / 1e6);

	/* Writes after preserving: pwrite in place, and through a mapping. */
	char page[4096];
	lt_fill(page, sizeof(page), LATE_SEED);
	LT_CHECK(pwrite(fd, page, sizeof(page), LATE_OFF) == (ssize_t)sizeof(page), "pwrite: %s",
		 lt_errname(errno));
	unsigned char *p = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	LT_CHECK(p != MAP_FAILED, "mmap: %s", lt_errname(errno));
	lt_fill(p + SIZE - 4096, 4096, MAP_SEED);
	uint64_t sum = lt_fnv1a(p, SIZE);
	munmap(p, SIZE);
	lt_state_put("sum", "%llu", (unsigned long long)sum);
	close(fd);	/* the session holds the file */

	lt_keep_fd(liveupdate_session_get_fd(s));
	return LT_CONTINUE;
}

static int stage2(void)
{
	struct liveupdate_ctx *ctx = lt_ctx_new();
	struct liveupdate_session *s = NULL;

	LT_OK(liveupdate_session_retrieve(ctx, NAME, &s));
	LT_CHECK(!strcmp(liveupdate_session_get_name(s), NAME), "name '%s'",
		 liveupdate_session_get_name(s));
	LT_CHECK(liveupdate_session_get_direction(s) == LIVEUPDATE_SESSION_INCOMING,
		 "direction %d", liveupdate_session_get_direction(s));
	LT_CHECK(liveupdate_session_is_finished(s) == 0, "finished before finish");

	int fd = -1;
	uint64_t t0 = lt_now_ns();
	LT_OK(liveupdate_session_retrieve_fd(s, TOKEN, &fd));
	lt_log("retrieved in %.2f ms", (lt_now_ns() - t0) / 1e6);
	LT_CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC, "retrieved fd is not O_CLOEXEC");

	struct stat st;
	LT_CHECK(fstat(fd, &st) == 0 && st.st_size == SIZE, "size %lld, want %u",
		 (long long)st.st_size, SIZE);
	off_t pos = lseek(fd, 0, SEEK_CUR);
	LT_CHECK(pos == POS, "file position %lld, want %d", (long long)pos, POS);

	unsigned char *p = mmap(NULL, SIZE, PROT_READ, MAP_SHARED, fd, 0);
	LT_CHECK(p != MAP_FAILED, "mmap: %s", lt_errname(errno));
	long bad = lt_verify(p, LATE_OFF, SEED);
	LT_CHECK(bad < 0, "byte %ld differs (before the page written after preserving)", bad);
	bad = lt_verify(p + LATE_OFF, 4096, LATE_SEED);
	LT_CHECK(bad < 0, "byte %ld of the page pwritten after preserving differs", bad);
	bad = lt_verify(p + SIZE - 4096, 4096, MAP_SEED);
	LT_CHECK(bad < 0, "byte %ld of the page written through mmap after preserving differs", bad);
	uint64_t sum = lt_fnv1a(p, SIZE), want = lt_state_get_u64("sum");
	LT_CHECK(sum == want, "checksum %llx, want %llx", (unsigned long long)sum,
		 (unsigned long long)want);
	munmap(p, SIZE);

	/* Retrieving the token again gives a new fd to the same file. */
	int fd2 = -1;
	LT_OK(liveupdate_session_retrieve_fd(s, TOKEN, &fd2));
	struct stat st2;
	LT_CHECK(fstat(fd2, &st2) == 0 && st2.st_ino == st.st_ino && fd2 != fd,
		 "second retrieve: fd %d ino %lu, first fd %d ino %lu", fd2,
		 (unsigned long)st2.st_ino, fd, (unsigned long)st.st_ino);
	close(fd2);

	LT_OK(liveupdate_session_finish(s));
	LT_CHECK(liveupdate_session_is_finished(s) == 1, "not finished after finish");

	/* After finish the file belongs to us: still readable and writable. */
	char b = 0x5a;
	LT_CHECK(pwrite(fd, &b, 1, 0) == 1, "pwrite after finish: %s", lt_errname(errno));
	close(fd);
	LT_CHECK(liveupdate_session_unref(s) == NULL, "unref");
	liveupdate_ctx_unref(ctx);
	lt_pass("%u MiB memfd retrieved by token, size, position, every byte and the writes "
		"made after preserving verified; finished", SIZE >> 20);
}

static int run(int stage)
{
	return stage == 1 ? stage1() : stage2();
}

LT_SCENARIO(lib_basic, "lib-basic", run, 0);
