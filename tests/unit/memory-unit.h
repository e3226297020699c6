/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the guest memory tests (tests/unit/test-memory-*.c) share: a
 * context on the simulator with the HugeTLB probe's answer set, AUTO
 * objects, a real directory on a huge tmpfs, a creation that must fail and
 * change nothing, and memory holding a pattern. The fixture roots of /sys
 * and /proc files are in memory-fixture.h.
 */
#ifndef MEMORY_UNIT_H
#define MEMORY_UNIT_H

#include <fcntl.h>
#include "unit.h"
#include "memory-fixture.h"
#include "memory-private.h"

#define MiB (1ull << 20)
#define SHM_DIR "/dev/shm"

/* A context on the simulator, its log captured; HugeTLB probe answer set. */
static inline struct liveupdate_ctx *memory_ctx(struct log_capture *cap, int hugetlb_answer)
{
	struct liveupdate_ctx *ctx = seam_ctx(cap);
	struct lu_memory_plan h = { LIVEUPDATE_MEMORY_HUGETLB, 2 * MiB, NULL };

	if (hugetlb_answer >= 0)
		lu_memory_probe_cache_set(ctx, &h, hugetlb_answer);
	return ctx;
}

static inline struct liveupdate_memory *auto_new(struct liveupdate_ctx *ctx, const char *root,
					  uint64_t size, const char *tmpfs)
{
	LIVEUPDATE_OPTS(liveupdate_memory_opts, o, .size = size, .host_root = root,
			.tmpfs_path = tmpfs);
	struct liveupdate_memory *mem = NULL;

	ck_assert_int_eq(liveupdate_memory_new(ctx, &o, &mem), 0);
	return mem;
}

/* A real directory on a tmpfs (/dev/shm) that the fixture mounts huge=policy. */
static inline char *huge_dir(const char *root, const char *policy)
{
	char *dir = strdup(SHM_DIR "/lu-memory-test.XXXXXX"), line[600];
	const char *mounts[] = { "/ ext4 rw", line, NULL };

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(line, sizeof(line), "%s tmpfs rw,huge=%s", dir, policy);
	fixture_mounts(root, mounts);
	return dir;
}

static inline int new_err(struct liveupdate_ctx *ctx, const struct liveupdate_memory_opts *o)
{
	struct liveupdate_memory *mem = (void *)0x1;
	int fds = count_fds(), ret = liveupdate_memory_new(ctx, o, &mem);

	ck_assert_ptr_eq(mem, (void *)0x1); /* untouched */
	ck_assert_int_eq(count_fds(), fds); /* nothing left behind */
	return ret;
}

struct progress_log {
	unsigned calls;
	uint64_t last_done, total;
	unsigned stop_after; /* 0: never */
};

static inline int on_progress(void *data, uint64_t done, uint64_t total)
{
	struct progress_log *p = data;

	ck_assert_uint_ge(done, p->last_done);
	p->calls++;
	p->last_done = done;
	p->total = total;
	return p->stop_after && p->calls >= p->stop_after;
}

static inline struct liveupdate_memory *shmem_with_pattern(struct liveupdate_ctx *ctx, uint64_t size,
						    struct progress_log *p)
{
	LIVEUPDATE_OPTS(liveupdate_memory_opts, o, .size = size,
			.backing = LIVEUPDATE_MEMORY_SHMEM, .progress = on_progress,
			.progress_data = p);
	struct liveupdate_memory *mem;
	unsigned char *addr;

	ck_assert_int_eq(liveupdate_memory_new(ctx, &o, &mem), 0);
	ck_assert_int_eq(liveupdate_memory_map(mem, (void **)&addr), 0);
	for (uint64_t i = 0; i < size; i += 4096)
		addr[i + 7] = (unsigned char)(i / 4096);
	return mem;
}

static inline void check_mem_pattern(struct liveupdate_memory *mem)
{
	unsigned char *addr;

	ck_assert_int_eq(liveupdate_memory_map(mem, (void **)&addr), 0);
	for (uint64_t i = 0; i < liveupdate_memory_get_size(mem); i += 4096)
		ck_assert_int_eq(addr[i + 7], (unsigned char)(i / 4096));
}

#endif
