/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * How much of a shared-memory file sits in huge pages, measured: map it
 * read-only at an aligned address, read one byte of each resident block
 * (which maps a huge page with a single PMD entry), then ask
 * /proc/self/smaps what that mapping holds. Only resident blocks are
 * touched, so nothing is allocated.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "memory-private.h"

/* The fields of addr's smaps entry that count huge pages, in bytes. */
static int smaps_huge(uintptr_t addr, bool hugetlb, uint64_t *bytes)
{
	FILE *f = fopen("/proc/self/smaps", "re");
	char *line = NULL;
	size_t cap = 0;
	bool inside = false, found = false;
	uint64_t sum = 0;

	if (!f)
		return -errno;
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
		if (hugetlb ? (sscanf(line, "Shared_Hugetlb: %llu kB", &kb) == 1 ||
			       sscanf(line, "Private_Hugetlb: %llu kB", &kb) == 1)
			    : sscanf(line, "ShmemPmdMapped: %llu kB", &kb) == 1)
			sum += (uint64_t)kb * 1024;
	}
	free(line);
	fclose(f);
	if (!found)
		return -ENOENT;
	*bytes = sum;
	return 0;
}

/* Read one byte of each block whose first page is resident. */
static int touch_resident(const volatile unsigned char *p, uint64_t len, uint64_t block)
{
	const size_t window = 1u << 30; /* mincore's vector: 256 KiB per GiB */
	long page = sysconf(_SC_PAGESIZE);
	unsigned char *vec = malloc(window / (size_t)page);
	uint64_t sink = 0;

	if (!vec)
		return -ENOMEM;
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
			   uint64_t *bytes)
{
	void *base;
	size_t base_len;
	unsigned char *p;
	int ret;

	p = lu_memory_map_aligned(fd, len, block, PROT_READ, LIVEUPDATE_MEMORY_AUTO,
				  &base, &base_len);
	if (p == MAP_FAILED)
		return -errno;
	ret = touch_resident(p, len, block);
	if (!ret)
		ret = smaps_huge((uintptr_t)p, hugetlb, bytes);
	munmap(base, base_len);
	return ret;
}
