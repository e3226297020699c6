/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Populate: allocate every page of the memory now, in chunks spread over
 * several threads (lib/memory-chunks.c), with MADV_POPULATE_WRITE (Linux
 * 5.14), or on older kernels fallocate(2) then one read-and-rewrite per
 * page. Running out of pages is an error code with the offset, never a
 * SIGBUS.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "memory-private.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

/* Per grab: coarse enough to be cheap, fine enough to balance the threads
 * and report progress. */
#define CHUNK (64ull << 20)

/* Older kernels: allocate with fallocate (clean errors), then fault the
 * pages in by rewriting one byte of each with its own value. */
static int touch_chunk(struct liveupdate_memory *mem, unsigned char *addr,
		       uint64_t off, uint64_t len)
{
	volatile unsigned char *p = addr + off;
	uint64_t step = mem->backing == LIVEUPDATE_MEMORY_HUGETLB ? mem->page_size
								  : LU_SMALL_PAGE;

	if (fallocate(mem->fd, 0, (off_t)off, (off_t)len) < 0 &&
	    errno != EPERM && errno != EOPNOTSUPP) /* EPERM: preserved, size frozen */
		return -errno;
	for (uint64_t i = 0; i < len; i += step)
		p[i] = p[i];
	return 0;
}

int lu_memory_no_populate_write;

int lu_memory_populate_chunk(struct liveupdate_memory *mem, unsigned char *addr,
			     uint64_t off, uint64_t len)
{
	int *no_madvise = &lu_memory_no_populate_write;

	if (!__atomic_load_n(no_madvise, __ATOMIC_RELAXED)) {
		for (;;) {
			if (madvise(addr + off, (size_t)len, MADV_POPULATE_WRITE) == 0)
				return 0;
			if (errno != EINTR && errno != EAGAIN)
				break;
		}
		if (errno != EINVAL)
			return -errno;
		__atomic_store_n(no_madvise, 1, __ATOMIC_RELAXED);
		lu_dbg(mem->ctx, "no MADV_POPULATE_WRITE in this kernel: populating with "
		       "fallocate and touching");
	}
	return touch_chunk(mem, addr, off, len);
}

int lu_memory_explain(struct liveupdate_memory *mem, const char *call, int err,
		      uint64_t off, uint64_t done)
{
	char o[32], ps[32];

	lu_util_fmt_size(o, sizeof(o), off);
	lu_util_fmt_size(ps, sizeof(ps), mem->page_size);
	if (err == -ECANCELED)
		return lu_fail(mem->ctx, LU_OP_MEMORY, err, "%s: stopped by the progress "
			       "function after %s", call, lu_util_fmt_size(o, sizeof(o), done));
	if (err == -EFAULT || err == -ENOMEM || err == -ENOSPC) {
		/* EFAULT is what MADV_POPULATE_WRITE says where a fault would
		 * have been a SIGBUS: no page could be had */
		const char *why = mem->backing == LIVEUPDATE_MEMORY_HUGETLB
			? "the HugeTLB pool ran out of pages: raise nr_hugepages"
			: mem->tmpfs_path && err != -ENOMEM
			? "the tmpfs is full, or memory ran out: raise its size= option"
			: "the system is out of memory (or the memory cgroup limit "
			  "was reached)";
		return lu_fail(mem->ctx, LU_OP_MEMORY, -ENOMEM, "%s: no %s page could be "
			       "allocated at offset %s (%s: %s); pages before it stay "
			       "allocated", call, ps, o, lu_errno_name(err), why);
	}
	return lu_fail(mem->ctx, LU_OP_MEMORY, err, "%s: at offset %s", call, o);
}

struct populate_arg {
	struct liveupdate_memory *mem;
	unsigned char *addr;
};

static int populate_fn(void *arg, uint64_t off, uint64_t len)
{
	struct populate_arg *a = arg;

	return lu_memory_populate_chunk(a->mem, a->addr, off, len);
}

/*
 * Refuse, before the first page, what the host cannot give: faulting past
 * a memory cgroup's limit or the host's memory ends in the OOM killer,
 * not in an error. HugeTLB comes from its pool, checked when planned.
 */
static int check_room(struct liveupdate_memory *mem, const char *call)
{
	uint64_t allocated, need, room;
	char why[256], a[32], b[32], c[32];
	struct stat st;

	if (mem->backing == LIVEUPDATE_MEMORY_HUGETLB)
		return 0;
	if (fstat(mem->fd, &st) < 0)
		return lu_fail(mem->ctx, LU_OP_MEMORY, -errno, "%s: fstat of the memory",
			       call);
	allocated = (uint64_t)st.st_blocks * 512;
	need = mem->size > allocated ? mem->size - allocated : 0;
	room = need ? lu_util_memory_room(mem->host_root, why, sizeof(why)) : UINT64_MAX;
	if (need <= room)
		return 0;
	return lu_fail(mem->ctx, LU_OP_MEMORY, -ENOMEM, "%s: populating %s of %s "
		       "needs %s more, but this process can get only %s (%s); nothing "
		       "was allocated: ask for less memory, raise the limit, or free "
		       "memory", call, lu_util_fmt_size(a, sizeof(a), mem->size),
		       lu_backing_name(mem->backing), lu_util_fmt_size(b, sizeof(b), need),
		       lu_util_fmt_size(c, sizeof(c), room), why);
}

int lu_memory_populate(struct liveupdate_memory *mem, unsigned int threads,
		       const char *call)
{
	struct populate_arg arg = { .mem = mem };
	struct lu_chunks c = { 0 };
	void *base = NULL;
	size_t base_len = 0;
	int ret;

	if (!mem->size)
		return 0;
	ret = check_room(mem, call);
	if (ret)
		return ret;
	arg.addr = mem->addr;
	if (!arg.addr) {
		arg.addr = lu_memory_map_aligned(mem->fd, mem->size, mem->page_size,
						 PROT_READ | PROT_WRITE, mem->backing,
						 &base, &base_len);
		if (arg.addr == MAP_FAILED)
			return lu_memory_map_failed(mem, call, -errno);
	}
	c.total = mem->size;
	c.chunk = CHUNK < mem->page_size ? mem->page_size : CHUNK / mem->page_size * mem->page_size;
	c.fn = populate_fn;
	c.arg = &arg;
	c.progress = mem->progress;
	c.progress_data = mem->progress_data;
	ret = lu_run_chunks(mem->ctx, &c, threads ? threads : mem->populate_threads);
	if (base)
		munmap(base, base_len);
	return ret ? lu_memory_explain(mem, call, ret, c.err_off, c.done) : 0;
}

LU_EXPORT int liveupdate_memory_populate(struct liveupdate_memory *mem,
					 unsigned int threads)
{
	if (!mem)
		return lu_bad_arg(NULL, "liveupdate_memory_populate: mem is NULL");
	return lu_memory_populate(mem, threads, "liveupdate_memory_populate");
}
