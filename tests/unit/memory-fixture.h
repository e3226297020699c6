/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fixture roots for the guest memory tests: a private directory holding
 * the /sys and /proc files that lib/memory-host.c reads, written by the
 * test so that every THP policy, pool and mount combination can be set up
 * on any host. fixture_new() gives an empty root; the fixture_*() helpers
 * fill it; fixture_free() removes it.
 */
#ifndef MEMORY_FIXTURE_H
#define MEMORY_FIXTURE_H

#include <check.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define THP "/sys/kernel/mm/transparent_hugepage"

/* mkdir -p of the directory part of root/path, then write text there. */
static inline void fixture_write(const char *root, const char *path, const char *text)
{
	char full[4096];
	FILE *f;

	snprintf(full, sizeof(full), "%s%s", root, path);
	for (char *p = full + strlen(root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(full, 0755);
		*p = '/';
	}
	f = fopen(full, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

/* A policy file as the kernel writes it: every choice, the current one in
 * brackets. */
static inline void fixture_policy(const char *root, const char *path, const char *choices,
				  const char *current)
{
	char text[256] = "", word[32];
	const char *p = choices;

	while (sscanf(p, "%31s", word) == 1) {
		char item[40];

		snprintf(item, sizeof(item), strcmp(word, current) ? "%s " : "[%s] ", word);
		strcat(text, item);
		p = strstr(p, word) + strlen(word);
	}
	text[strlen(text) - 1] = '\n';
	fixture_write(root, path, text);
}

/* THP of 2 MiB with the global policy and, when not NULL, the 2 MiB one. */
static inline void fixture_thp(const char *root, const char *global, const char *per_size)
{
	fixture_write(root, THP "/hpage_pmd_size", "2097152\n");
	fixture_policy(root, THP "/shmem_enabled", "always within_size advise never deny force",
		       global);
	if (per_size)
		fixture_policy(root, THP "/hugepages-2048kB/shmem_enabled",
			       "always inherit within_size advise never", per_size);
}

/* A HugeTLB pool of kb-sized pages; the default size is 2 MiB. */
static inline void fixture_pool(const char *root, unsigned kb, unsigned total, unsigned freep,
				unsigned resv, unsigned surplus, unsigned overcommit)
{
	static const char *const names[] = { "nr_hugepages", "free_hugepages", "resv_hugepages",
					     "surplus_hugepages", "nr_overcommit_hugepages" };
	unsigned v[] = { total, freep, resv, surplus, overcommit };
	char path[160], text[32];

	for (int i = 0; i < 5; i++) {
		snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/hugepages-%ukB/%s", kb,
			 names[i]);
		snprintf(text, sizeof(text), "%u\n", v[i]);
		fixture_write(root, path, text);
	}
	fixture_write(root, "/proc/meminfo", "MemTotal:       1000000 kB\n"
		      "HugePages_Total:       0\nHugepagesize:       2048 kB\n");
}

/* /proc/self/mountinfo with these lines (each "POINT FSTYPE OPTIONS"). */
static inline void fixture_mounts(const char *root, const char *const *mounts)
{
	char text[4096] = "";

	for (int i = 0; mounts[i]; i++) {
		char point[512], type[64], opts[256], line[1024];

		ck_assert_int_eq(sscanf(mounts[i], "%511s %63s %255s", point, type, opts), 3);
		snprintf(line, sizeof(line), "%d 1 0:%d / %s rw,relatime shared:1 - %s %s %s\n",
			 20 + i, 30 + i, point, type, type, opts);
		strcat(text, line);
	}
	fixture_write(root, "/proc/self/mountinfo", text);
}

static inline char *fixture_new(void)
{
	char *root = strdup("/tmp/lu-memory-fixture.XXXXXX");

	ck_assert_ptr_nonnull(mkdtemp(root));
	return root;
}

static inline int fixture_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

static inline void fixture_free(char *root)
{
	nftw(root, fixture_rm, 16, FTW_DEPTH | FTW_PHYS);
	free(root);
}

#endif
