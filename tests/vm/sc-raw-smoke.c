/*
 * raw-smoke: the harness's own smoke test, in raw ioctls (no library).
 *
 * Stage 1: open /dev/liveupdate, create a session, fill a memfd with a
 * pattern, preserve it, overwrite one page after preserving, hand the
 * session fd to PID 1 for the live update.
 * Stage 2: retrieve the session and the memfd by token, check the size and
 * every byte (including the page written after preserving), finish.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/liveupdate.h>

#include "lutest.h"

#define SESSION "lutest-raw-smoke"
#define TOKEN 0x5eed0001ull
#define SIZE (16u << 20)
#define SEED 0xabcdef
#define LATE_OFF (5u << 20)	/* a page rewritten after PRESERVE_FD */
#define LATE_SEED 0x1a7e

static int stage1(void)
{
	int dev = open("/dev/liveupdate", O_RDWR | O_CLOEXEC);
	LT_CHECK(dev >= 0, "open /dev/liveupdate: %s", lt_errname(errno));

	struct liveupdate_ioctl_create_session cs = { .size = sizeof(cs) };
	strcpy((char *)cs.name, SESSION);
	LT_CHECK(ioctl(dev, LIVEUPDATE_IOCTL_CREATE_SESSION, &cs) == 0, "CREATE_SESSION: %s",
		 lt_errname(errno));

	int mfd = memfd_create("raw-smoke", MFD_CLOEXEC);
	LT_CHECK(mfd >= 0, "memfd_create: %s", lt_errname(errno));
	LT_CHECK(ftruncate(mfd, SIZE) == 0, "ftruncate: %s", lt_errname(errno));
	LT_CHECK(lt_fd_fill(mfd, SIZE, SEED) == 0, "fill: %s", lt_errname(errno));

	struct liveupdate_session_preserve_fd pf = { .size = sizeof(pf), .fd = mfd, .token = TOKEN };
	uint64_t t0 = lt_now_ns();
	LT_CHECK(ioctl(cs.fd, LIVEUPDATE_SESSION_PRESERVE_FD, &pf) == 0, "PRESERVE_FD: %s",
		 lt_errname(errno));
	lt_log("preserved %u MiB in %.2f ms", SIZE >> 20, (lt_now_ns() - t0) / 1e6);

	/* A write after preserving must be carried over too. */
	char page[4096];
	lt_fill(page, sizeof(page), LATE_SEED);
	LT_CHECK(pwrite(mfd, page, sizeof(page), LATE_OFF) == sizeof(page), "pwrite: %s",
		 lt_errname(errno));
	close(mfd);
	close(dev);	/* closing the device does not touch the session */

	lt_keep_fd(cs.fd);
	return LT_CONTINUE;
}

static int stage2(void)
{
	int dev = open("/dev/liveupdate", O_RDWR | O_CLOEXEC);
	LT_CHECK(dev >= 0, "open /dev/liveupdate: %s", lt_errname(errno));

	struct liveupdate_ioctl_retrieve_session rs = { .size = sizeof(rs) };
	strcpy((char *)rs.name, SESSION);
	LT_CHECK(ioctl(dev, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, &rs) == 0, "RETRIEVE_SESSION: %s",
		 lt_errname(errno));

	struct liveupdate_session_retrieve_fd rf = { .size = sizeof(rf), .token = TOKEN };
	uint64_t t0 = lt_now_ns();
	LT_CHECK(ioctl(rs.fd, LIVEUPDATE_SESSION_RETRIEVE_FD, &rf) == 0, "RETRIEVE_FD: %s",
		 lt_errname(errno));
	lt_log("retrieved in %.2f ms", (lt_now_ns() - t0) / 1e6);

	struct stat st;
	LT_CHECK(fstat(rf.fd, &st) == 0, "fstat: %s", lt_errname(errno));
	LT_CHECK(st.st_size == SIZE, "size %lld, want %u", (long long)st.st_size, SIZE);

	unsigned char *p = mmap(NULL, SIZE, PROT_READ, MAP_SHARED, rf.fd, 0);
	LT_CHECK(p != MAP_FAILED, "mmap: %s", lt_errname(errno));
	long bad = lt_verify(p, LATE_OFF, SEED);
	LT_CHECK(bad < 0, "byte %ld differs before the late page", bad);
	bad = lt_verify(p + LATE_OFF, 4096, LATE_SEED);
	LT_CHECK(bad < 0, "byte %ld of the page written after preserving differs", bad);
	/* The rest: the original pattern at its original offsets. */
	unsigned char *ref = malloc(SIZE);
	LT_CHECK(ref != NULL, "malloc");
	lt_fill(ref, SIZE, SEED);
	LT_CHECK(memcmp(p + LATE_OFF + 4096, ref + LATE_OFF + 4096, SIZE - LATE_OFF - 4096) == 0,
		 "bytes after the late page differ");
	free(ref);
	munmap(p, SIZE);

	struct liveupdate_session_finish fin = { .size = sizeof(fin) };
	LT_CHECK(ioctl(rs.fd, LIVEUPDATE_SESSION_FINISH, &fin) == 0, "FINISH: %s",
		 lt_errname(errno));
	close(rf.fd);
	close(rs.fd);
	close(dev);
	lt_pass("%u MiB memfd carried across the live update, every byte verified", SIZE >> 20);
}

static int run(int stage)
{
	return stage == 1 ? stage1() : stage2();
}

LT_SCENARIO(raw_smoke, "raw-smoke", run, 0);
