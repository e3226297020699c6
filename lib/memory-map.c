/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The file behind guest memory and its mapping: create the file a plan
 * names, map it at an aligned address with the backing's THP advice, and
 * explain a mapping that failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/memfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "memory-private.h"

unsigned int lu_hugetlb_memfd_flags(uint64_t page_size)
{
	return MFD_HUGETLB | ((unsigned)__builtin_ctzll(page_size) << MFD_HUGE_SHIFT);
}

int lu_memory_create_file(const struct lu_memory_plan *plan, const char *name,
			  uint64_t size, const char **failed)
{
	int fd;

	*failed = plan->tmpfs_path ? "open(O_TMPFILE) on the huge tmpfs" : "memfd_create";
	if (plan->tmpfs_path)
		fd = open(plan->tmpfs_path, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	else if (plan->backing == LIVEUPDATE_MEMORY_HUGETLB)
		fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING |
				  lu_hugetlb_memfd_flags(plan->page_size));
	else
		fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)size) < 0) {
		int err = -errno;

		*failed = "ftruncate";
		close(fd);
		return err;
	}
	return fd;
}

/* 4 GiB: above a non-PIE program and its heap, below PIE programs, their
 * heap and every mmap() */
#define MEASURE_VIEW_ADDR ((uintptr_t)1 << 32)

void *lu_memory_map_aligned(int fd, uint64_t len, uint64_t align, int prot,
			    enum liveupdate_memory_backing backing,
			    void **basep, size_t *base_lenp)
{
	size_t span = (size_t)len + (size_t)align;
	uintptr_t start;
	void *base, *addr;

	/* Reserve enough address space to place the file on an aligned
	 * address, so that huge pages can be mapped whole. A read-only view is
	 * for measuring with smaps, which walks the pages of every mapping
	 * listed before it (by address): it goes below the program's mappings
	 * when that space is free. */
	base = MAP_FAILED;
	if (!(prot & PROT_WRITE))
		base = mmap((void *)MEASURE_VIEW_ADDR, span, PROT_NONE, MAP_PRIVATE |
			    MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
	if (base == MAP_FAILED)
		base = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
			    MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		return MAP_FAILED;
	start = ((uintptr_t)base + align - 1) & ~((uintptr_t)align - 1);
	/* a read-only view (measuring) must not reserve HugeTLB pages */
	addr = mmap((void *)start, (size_t)len, prot,
		    MAP_SHARED | MAP_FIXED | (prot & PROT_WRITE ? 0 : MAP_NORESERVE), fd, 0);
	if (addr == MAP_FAILED) {
		int err = errno;

		munmap(base, span);
		errno = err;
		return MAP_FAILED;
	}
	/* Under shmem_enabled=advise, only mappings that ask get huge pages;
	 * 4 KiB memory asks for none, so that it really is 4 KiB. */
	if (backing == LIVEUPDATE_MEMORY_THP)
		madvise(addr, (size_t)len, MADV_HUGEPAGE);
	else if (backing == LIVEUPDATE_MEMORY_SHMEM)
		madvise(addr, (size_t)len, MADV_NOHUGEPAGE);
	*basep = base;
	*base_lenp = span;
	return addr;
}

int lu_memory_map_failed(struct liveupdate_memory *mem, const char *call, int err)
{
	char s[32], ps[32], n[32];

	lu_util_fmt_size(s, sizeof(s), mem->size);
	lu_util_fmt_size(ps, sizeof(ps), mem->page_size);
	/* a shared HugeTLB mapping reserves its pages at mmap time */
	if (err == -ENOMEM && mem->backing == LIVEUPDATE_MEMORY_HUGETLB)
		return lu_fail(mem->ctx, LU_OP_MEMORY, err, "%s: mapping %s of HugeTLB: the "
			       "pool cannot reserve its %s of %s; raise "
			       "/sys/kernel/mm/hugepages/hugepages-%" PRIu64 "kB/nr_hugepages",
			       call, s, lu_util_fmt_count(n, sizeof(n), mem->size / mem->page_size,
							  "page"), ps, mem->page_size / 1024);
	return lu_fail(mem->ctx, LU_OP_MEMORY, err, "%s: mmap of %s (%s)", call, s,
		       lu_backing_name(mem->backing));
}

