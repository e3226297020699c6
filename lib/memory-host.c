/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the host offers for guest memory: the shmem THP policy, the HugeTLB
 * pools and the hugetlbfs and tmpfs mounts, read from /sys and /proc under
 * a root directory ("/" unless tests or containers say otherwise).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "memory-private.h"

#define THP_DIR "/sys/kernel/mm/transparent_hugepage"
#define HUGETLB_DIR "/sys/kernel/mm/hugepages"

/* A small file under root into buf, NUL-terminated (its trailing newline
 * kept): 0, -EFBIG when it does not fit, or a negative errno. */
static int read_small(const char *root, const char *path, char *buf, size_t len)
{
	size_t n;
	char *data;
	int ret = lu_util_read_under(root, path, len - 1, &data, &n);

	if (ret)
		return ret;
	memcpy(buf, data, n + 1);
	free(data);
	return 0;
}

/* "always within_size advise [never] deny force": the bracketed word. */
static int parse_policy(const char *text, enum liveupdate_thp_policy *policyp)
{
	const char *open_br = strchr(text, '['), *close_br;

	if (!open_br || !(close_br = strchr(open_br, ']')))
		return -EPROTO;
	return lu_thp_policy_parse(open_br + 1, (size_t)(close_br - open_br - 1),
				   policyp) ? 0 : -EPROTO;
}

LU_EXPORT int liveupdate_memory_host_shmem_thp(const char *root, uint64_t page_size,
					       enum liveupdate_thp_policy *policyp)
{
	char path[128], text[256];
	int ret;

	if (!policyp || (page_size && page_size % 1024))
		return -EINVAL;
	if (page_size)
		snprintf(path, sizeof(path), THP_DIR "/hugepages-%" PRIu64 "kB/shmem_enabled",
			 page_size / 1024);
	else
		snprintf(path, sizeof(path), THP_DIR "/shmem_enabled");
	ret = read_small(root, path, text, sizeof(text));
	if (ret)
		return ret;
	return parse_policy(text, policyp);
}

/* A decimal number alone in a file under root. */
static int read_u64(const char *root, const char *path, uint64_t *v)
{
	char text[64], *end;
	int ret = read_small(root, path, text, sizeof(text));

	if (ret)
		return ret;
	errno = 0;
	*v = strtoull(text, &end, 10);
	if (errno || end == text || (*end && *end != '\n'))
		return -EPROTO;
	return 0;
}

LU_EXPORT int liveupdate_memory_host_thp_size(const char *root, uint64_t *bytes)
{
	uint64_t v;
	int ret;

	if (!bytes)
		return -EINVAL;
	ret = read_u64(root, THP_DIR "/hpage_pmd_size", &v);
	if (ret)
		return ret;
	if (!v)
		return -EPROTO;
	*bytes = v;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The sizes of the hugepages-<N>kB directories of path, smallest first. */
static int list_sizes(const char *root, const char *path, uint64_t *sizes, size_t max)
{
	uint64_t found[64];
	char dir[4096];
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	if (!sizes && max)
		return -EINVAL;
	if (lu_util_path_under(dir, sizeof(dir), root, path))
		return -ENAMETOOLONG;
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d)) && n < sizeof(found) / sizeof(found[0])) {
		unsigned long long kb;
		char tail;

		if (sscanf(de->d_name, "hugepages-%llukB%c", &kb, &tail) == 1 && kb)
			found[n++] = (uint64_t)kb * 1024;
	}
	closedir(d);
	qsort(found, n, sizeof(found[0]), cmp_u64);
	for (size_t i = 0; i < n && i < max; i++)
		sizes[i] = found[i];
	return (int)n;
}

LU_EXPORT int liveupdate_memory_host_hugetlb_sizes(const char *root, uint64_t *sizes,
						   size_t max)
{
	return list_sizes(root, HUGETLB_DIR, sizes, max);
}

LU_EXPORT int liveupdate_memory_host_thp_sizes(const char *root, uint64_t *sizes, size_t max)
{
	return list_sizes(root, THP_DIR, sizes, max);
}

uint64_t lu_host_default_hugetlb_size(const char *root)
{
	char text[8192];
	const char *line;
	unsigned long long kb;

	if (read_small(root, "/proc/meminfo", text, sizeof(text)))
		return 0;
	line = strstr(text, "Hugepagesize:");
	if (!line || sscanf(line, "Hugepagesize: %llu kB", &kb) != 1)
		return 0;
	return (uint64_t)kb * 1024;
}

LU_EXPORT int liveupdate_memory_host_hugetlb_pool(const char *root, uint64_t page_size,
						  struct liveupdate_hugetlb_pool *pool)
{
	static const struct {
		const char *file;
		size_t offset;
	} fields[] = {
		{ "nr_hugepages", offsetof(struct liveupdate_hugetlb_pool, total) },
		{ "free_hugepages", offsetof(struct liveupdate_hugetlb_pool, free) },
		{ "resv_hugepages", offsetof(struct liveupdate_hugetlb_pool, reserved) },
		{ "surplus_hugepages", offsetof(struct liveupdate_hugetlb_pool, surplus) },
		{ "nr_overcommit_hugepages", offsetof(struct liveupdate_hugetlb_pool, overcommit) },
	};
	struct liveupdate_hugetlb_pool got = { .sz = sizeof(got) };
	size_t want;

	if (!pool || pool->sz < offsetof(struct liveupdate_hugetlb_pool, page_size) +
				sizeof(uint64_t))
		return -EINVAL;
	if (!page_size)
		page_size = lu_host_default_hugetlb_size(root);
	if (!page_size || page_size % 1024)
		return page_size ? -EINVAL : -ENOENT;
	got.page_size = page_size;
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		char path[160];
		int ret;

		snprintf(path, sizeof(path), HUGETLB_DIR "/hugepages-%" PRIu64 "kB/%s",
			 page_size / 1024, fields[i].file);
		ret = read_u64(root, path, (uint64_t *)((char *)&got + fields[i].offset));
		if (ret)
			return ret;
	}
	want = pool->sz < sizeof(got) ? pool->sz : sizeof(got);
	memcpy((char *)pool + sizeof(size_t), (char *)&got + sizeof(size_t),
	       want - sizeof(size_t));
	return 0;
}

/* The value of option name= in a comma-separated list, copied into buf. */
static bool mount_option(const char *options, const char *name, char *buf, size_t len)
{
	size_t n = strlen(name);

	for (const char *p = options; p && *p;) {
		const char *end = strchr(p, ',');
		size_t l = end ? (size_t)(end - p) : strlen(p);

		if (l > n && !strncmp(p, name, n) && p[n] == '=') {
			snprintf(buf, len, "%.*s", (int)(l - n - 1), p + n + 1);
			return true;
		}
		p = end ? end + 1 : NULL;
	}
	return false;
}

/* "2M", "1G", "1024k", "2097152" in bytes; 0 when it does not parse. */
static uint64_t parse_size_option(const char *s)
{
	char *end;
	uint64_t v = strtoull(s, &end, 10);

	switch (*end) {
	case 'k': case 'K': return v << 10;
	case 'm': case 'M': return v << 20;
	case 'g': case 'G': return v << 30;
	case '\0': return v;
	default: return 0;
	}
}

struct hugetlbfs_walk {
	const char *root;
	liveupdate_memory_mount_fn fn;
	void *data;
	int count;
};

static int visit_hugetlbfs(void *data, struct lu_util_mount *m)
{
	struct hugetlbfs_walk *w = data;
	uint64_t size = 0;
	char opt[32];

	if (strcmp(m->fstype, "hugetlbfs"))
		return 0;
	if (mount_option(m->options, "pagesize", opt, sizeof(opt)))
		size = parse_size_option(opt);
	if (!size)
		size = lu_host_default_hugetlb_size(w->root);
	w->count++;
	return w->fn(w->data, m->point, size);
}

LU_EXPORT int liveupdate_memory_host_hugetlbfs_mounts(const char *root,
						      liveupdate_memory_mount_fn fn,
						      void *data)
{
	struct hugetlbfs_walk w = { root, fn, data, 0 };
	int ret;

	if (!fn)
		return -EINVAL;
	ret = lu_util_mountinfo_foreach(root, visit_hugetlbfs, &w);
	return ret ? ret : w.count;
}

struct tmpfs_walk {
	const char *path;
	size_t best_len;   /* longest mount point holding path so far */
	bool found, is_tmpfs;
	enum liveupdate_thp_policy policy;
};

/* Whether mount point mp holds path: equal, or a parent directory of it. */
static bool holds(const char *mp, const char *path, size_t *lenp)
{
	size_t n = strlen(mp);

	if (!strcmp(mp, "/")) {
		*lenp = 1;
		return true;
	}
	if (strncmp(mp, path, n) || (path[n] != '\0' && path[n] != '/'))
		return false;
	*lenp = n;
	return true;
}

static int visit_tmpfs(void *data, struct lu_util_mount *m)
{
	struct tmpfs_walk *w = data;
	char opt[32];
	size_t len;

	/* the last of the longest matches wins: later mounts cover earlier ones */
	if (!holds(m->point, w->path, &len) || len < w->best_len)
		return 0;
	w->best_len = len;
	w->found = true;
	w->is_tmpfs = !strcmp(m->fstype, "tmpfs");
	w->policy = LIVEUPDATE_THP_NEVER;
	if (w->is_tmpfs && mount_option(m->options, "huge", opt, sizeof(opt)))
		lu_thp_policy_parse(opt, strlen(opt), &w->policy);
	return 0;
}

LU_EXPORT int liveupdate_memory_host_tmpfs_huge(const char *root, const char *path,
						enum liveupdate_thp_policy *policyp)
{
	struct tmpfs_walk w = { .path = path };
	int ret;

	if (!path || path[0] != '/' || !policyp)
		return -EINVAL;
	ret = lu_util_mountinfo_foreach(root, visit_tmpfs, &w);
	if (ret)
		return ret;
	if (!w.found || !w.is_tmpfs)
		return -ENOENT;
	*policyp = w.policy;
	return 0;
}
