/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Move memory off HugeTLB (which Linux 7.3 cannot preserve) into new
 * memory that the kernel can preserve, THP when the host allows it. The
 * copy runs in chunks on several threads; each destination chunk is
 * populated first (a clean -ENOMEM instead of a SIGBUS), holes of a shmem
 * source stay holes, and with release_source each copied source chunk goes
 * back to the pool at once, so the move needs little extra memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "memory-private.h"

#define CHUNK (64ull << 20)

struct move_arg {
	struct liveupdate_memory *src, *dst;
	unsigned char *from, *to;
	bool release;
};

/*
 * Whether the page at p holds data, so that holes of a shmem source stay
 * holes. mincore() sees the page cache of shmem, but only the page tables
 * of HugeTLB: a HugeTLB source is copied whole (reading a hole of it takes
 * a page from the pool for a moment; release_source gives it back).
 */
static bool resident(const struct move_arg *a, const unsigned char *p)
{
	unsigned char v = 0;

	if (a->src->backing == LIVEUPDATE_MEMORY_HUGETLB)
		return true;
	return mincore((void *)p, 1, &v) == 0 ? v & 1 : true;
}

static int copy_fn(void *arg, uint64_t off, uint64_t len)
{
	struct move_arg *a = arg;
	uint64_t step = a->src->page_size;
	int ret;

	for (uint64_t o = off; o < off + len; o += step) {
		uint64_t n = off + len - o < step ? off + len - o : step;

		if (!resident(a, a->from + o))
			continue; /* a hole stays a hole */
		ret = lu_memory_populate_chunk(a->dst, a->to, o, n);
		if (ret)
			return ret;
		memcpy(a->to + o, a->from + o, (size_t)n);
	}
	if (a->release && fallocate(a->src->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				    (off_t)off, (off_t)len) < 0)
		return -errno;
	return 0;
}

static int map_both(struct move_arg *a, void **bases, size_t *lens)
{
	a->from = lu_memory_map_aligned(a->src->fd, a->src->size, a->src->page_size,
					PROT_READ, LIVEUPDATE_MEMORY_AUTO, &bases[0], &lens[0]);
	if (a->from == MAP_FAILED)
		return -errno;
	a->to = lu_memory_map_aligned(a->dst->fd, a->dst->size, a->dst->page_size,
				      PROT_READ | PROT_WRITE, a->dst->backing, &bases[1], &lens[1]);
	if (a->to == MAP_FAILED) {
		int err = -errno;

		munmap(bases[0], lens[0]);
		return err;
	}
	return 0;
}

LU_EXPORT int liveupdate_memory_move_to_thp(struct liveupdate_memory *src,
					    const struct liveupdate_memory_move_opts *opts,
					    struct liveupdate_memory **dstp)
{
	struct liveupdate_ctx *ctx = src ? src->ctx : NULL;
	struct move_arg a = { .src = src };
	struct lu_chunks c = { 0 };
	struct lu_memory_plan plan;
	void *bases[2];
	size_t lens[2];
	char prefix[64];
	int ret;

	if (!src || !dstp)
		return lu_bad_arg(ctx, "liveupdate_memory_move_to_thp: %s is NULL",
				  src ? "dstp" : "src");
	if (lu_check_opts(ctx, "liveupdate_memory_move_to_thp", opts))
		return -EINVAL;
	if (!src->size)
		return lu_bad_arg(ctx, "liveupdate_memory_move_to_thp: the memory is empty");
	a.release = lu_opts_get(opts, release_source, 0);
	a.dst = lu_memory_alloc(ctx);
	if (!a.dst)
		return lu_oom(ctx, "liveupdate_memory_move_to_thp");
	ret = lu_memory_plan_preservable(ctx, src, a.dst, &plan);
	if (!ret) {
		LIVEUPDATE_OPTS(liveupdate_memory_opts, o, .size = src->size,
				.tmpfs_path = src->tmpfs_path, .host_root = src->host_root,
				.populate_threads = src->populate_threads);
		if (src->size % plan.page_size)
			ret = lu_memory_check_size(ctx, "liveupdate_memory_move_to_thp",
						   src->size, plan.page_size);
		else
			ret = lu_memory_build(a.dst, &o, &plan);
	}
	if (!ret)
		ret = map_both(&a, bases, lens);
	if (ret) {
		liveupdate_memory_unref(a.dst);
		return ret < 0 && ret != -EINVAL && ret != -ENOMEM && ret != -EOPNOTSUPP
			? lu_fail(ctx, LU_OP_MEMORY, ret, "liveupdate_memory_move_to_thp: "
				  "mapping the memory") : ret;
	}
	c.total = src->size;
	c.chunk = CHUNK < src->page_size ? src->page_size : CHUNK / src->page_size * src->page_size;
	c.fn = copy_fn;
	c.arg = &a;
	c.progress = lu_opts_get(opts, progress, NULL);
	c.progress_data = lu_opts_get(opts, progress_data, NULL);
	ret = lu_run_chunks(ctx, &c, lu_opts_get(opts, threads, 0));
	munmap(bases[0], lens[0]);
	munmap(bases[1], lens[1]);
	if (ret) {
		ret = lu_memory_explain(a.dst, "liveupdate_memory_move_to_thp", ret, c.err_off,
					c.done);
		liveupdate_memory_unref(a.dst);
		return ret;
	}
	snprintf(prefix, sizeof(prefix), "moved from %s: ", lu_backing_name(src->backing));
	lu_memory_prepend_reason(a.dst, prefix);
	lu_info(ctx, "liveupdate_memory_move_to_thp: %s", a.dst->reason);
	*dstp = a.dst;
	return 0;
}
