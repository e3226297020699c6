/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * How much of a shared-memory file sits in huge pages, measured: map it
 * read-only at an aligned address, read one byte of each resident block
 * (which maps a huge page with a single PMD entry), then ask
 * /proc/self/smaps what that mapping holds. Only resident blocks are
 * touched, so nothing is allocated. HugeTLB is simpler: every page of it is
 * huge, and hugetlbfs counts the pages a file holds in its block count.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "memory-private.h"

/* ShmemPmdMapped of addr's smaps entry, in bytes. */
static int smaps_huge(uintptr_t addr, uint64_t *bytes)
{
	FILE *f = fopen("/proc/self/smaps", "re");
	char buf[256], *line = NULL;
	size_t cap = 0;
	bool inside = false, found = false;
	uint64_t sum = 0;

	if (!f)
		return -errno;
	/*
	 * The kernel builds smaps one mapping at a time, walking its pages, for
	 * as many mappings as a read asks bytes: small reads, and stopping at
	 * the mapping's last line, keep it from walking the guest RAM mapped
	 * after this one (lu_memory_map_aligned() places it low for that).
	 */
	setvbuf(f, buf, _IOFBF, sizeof(buf));
	while (getline(&line, &cap, f) > 0) {
		unsigned long long kb;
		uintptr_t start, end;

		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " ", &start, &end) == 2 &&
		    strchr(line, ' ') > strchr(line, '-')) {
			if (inside)
				break;
			inside = start == addr;
			found |= inside;
			continue;
		}
		if (!inside)
			continue;
		if (sscanf(line, "ShmemPmdMapped: %llu kB", &kb) == 1)
			sum += (uint64_t)kb * 1024;
		if (strncmp(line, "VmFlags:", 8) == 0)
			break;
	}
	free(line);
	fclose(f);
	if (!found)
		return -ENOENT;
	*bytes = sum;
	return 0;
}

/* Read one byte of each of the first max_blocks blocks (0: all) whose
 * first page is resident. */
static int touch_resident(const volatile unsigned char *p, uint64_t len, uint64_t block,
			  uint64_t max_blocks)
{
	const size_t window = 1u << 30; /* mincore's vector: 256 KiB per GiB */
	long page = sysconf(_SC_PAGESIZE);
	unsigned char *vec = malloc(window / (size_t)page);
	uint64_t sink = 0;

	if (!vec)
		return -ENOMEM;
	if (max_blocks && len > max_blocks * block)
		len = max_blocks * block;
	for (uint64_t off = 0; off < len; off += window) {
		size_t n = len - off < window ? (size_t)(len - off) : window;

		if (mincore((void *)(p + off), n, vec) < 0) {
			int err = -errno;

			free(vec);
			return err;
		}
		for (size_t b = 0; b < n; b += block < window ? (size_t)block : window)
			if (vec[b / (size_t)page] & 1)
				sink += p[off + b];
	}
	free(vec);
	__asm__ volatile("" : : "r"(sink));
	return 0;
}

int lu_memory_measure_huge(int fd, uint64_t len, uint64_t block, bool hugetlb,
			   uint64_t max_blocks, uint64_t *bytes)
{
	void *base;
	size_t base_len;
	unsigned char *p;
	struct stat st;
	int ret;

	if (hugetlb) {
		if (fstat(fd, &st) < 0)
			return -errno;
		*bytes = (uint64_t)st.st_blocks * 512;
		return 0;
	}
	p = lu_memory_map_aligned(fd, len, block, PROT_READ, LIVEUPDATE_MEMORY_AUTO,
				  &base, &base_len);
	if (p == MAP_FAILED)
		return -errno;
	ret = touch_resident(p, len, block, max_blocks);
	if (!ret)
		ret = smaps_huge((uintptr_t)p, bytes);
	munmap(base, base_len);
	return ret;
}

/*
 * Shmem detection looks at the first blocks only: its cost is bounded,
 * whatever the size of the memory.
 */
#define DETECT_BLOCKS 16

void lu_memory_measure_backing(struct liveupdate_memory *mem)
{
	uint64_t huge = 0, thp = 0;
	char a[32], b[32], c[32], d[32];
	int err = 0;

	if (mem->backing != LIVEUPDATE_MEMORY_AUTO)
		return;
	/* only the blocks looked at are mapped: smaps walks every page of a
	 * shmem mapping, 50 ms for 1 GiB */
	if (liveupdate_memory_host_thp_size(mem->host_root, &thp) == 0 && thp && mem->size)
		err = lu_memory_measure_huge(mem->fd, mem->size < DETECT_BLOCKS * thp ?
					     mem->size : DETECT_BLOCKS * thp,
					     thp, false, DETECT_BLOCKS, &huge);
	if (!err && huge) {
		mem->backing = LIVEUPDATE_MEMORY_THP;
		mem->page_size = thp;
		snprintf(mem->reason, sizeof(mem->reason), "detected THP: shmem with %s in "
			 "%s huge pages among its first %s (measured; "
			 "liveupdate_memory_huge_bytes() counts the whole %s)",
			 lu_util_fmt_size(a, sizeof(a), huge), lu_util_fmt_size(b, sizeof(b), thp),
			 lu_util_fmt_size(c, sizeof(c), DETECT_BLOCKS * thp),
			 lu_util_fmt_size(d, sizeof(d), mem->size));
		return;
	}
	mem->backing = LIVEUPDATE_MEMORY_SHMEM;
	mem->page_size = LU_SMALL_PAGE;
	if (err)
		snprintf(mem->reason, sizeof(mem->reason), "taken for SHMEM: shmem whose "
			 "pages could not be measured (%s); liveupdate_memory_huge_bytes() "
			 "measures again", strerror(-err));
	else
		snprintf(mem->reason, sizeof(mem->reason), "detected SHMEM: shmem with no "
			 "huge page among its first %s (measured)",
			 lu_util_fmt_size(a, sizeof(a), DETECT_BLOCKS * (thp ? thp : 2 << 20)));
}
