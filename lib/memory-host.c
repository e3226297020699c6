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

static const char *const policy_names[] = {
	[LIVEUPDATE_THP_NEVER] = "never",
	[LIVEUPDATE_THP_ALWAYS] = "always",
	[LIVEUPDATE_THP_WITHIN_SIZE] = "within_size",
	[LIVEUPDATE_THP_ADVISE] = "advise",
	[LIVEUPDATE_THP_DENY] = "deny",
	[LIVEUPDATE_THP_FORCE] = "force",
	[LIVEUPDATE_THP_INHERIT] = "inherit",
};

LU_EXPORT const char *liveupdate_thp_policy_name(enum liveupdate_thp_policy policy)
{
	if ((unsigned)policy < sizeof(policy_names) / sizeof(policy_names[0]))
		return policy_names[policy];
	return NULL;
}

const char *lu_thp_policy_name(enum liveupdate_thp_policy policy)
{
	const char *name = liveupdate_thp_policy_name(policy);

	return name ? name : "unknown";
}

LU_EXPORT const char *liveupdate_memory_backing_name(enum liveupdate_memory_backing backing)
{
	static const char *const names[] = {
		[LIVEUPDATE_MEMORY_AUTO] = "auto",
		[LIVEUPDATE_MEMORY_SHMEM] = "shmem",
		[LIVEUPDATE_MEMORY_THP] = "thp",
		[LIVEUPDATE_MEMORY_HUGETLB] = "hugetlb",
	};

	if ((unsigned)backing < sizeof(names) / sizeof(names[0]))
		return names[backing];
	return NULL;
}

const char *lu_backing_name(enum liveupdate_memory_backing backing)
{
	switch (backing) {
	case LIVEUPDATE_MEMORY_AUTO: return "AUTO";
	case LIVEUPDATE_MEMORY_SHMEM: return "SHMEM";
	case LIVEUPDATE_MEMORY_THP: return "THP";
	case LIVEUPDATE_MEMORY_HUGETLB: return "HUGETLB";
	default: return "unknown";
	}
}

bool lu_memory_backing_valid(uint32_t backing, uint64_t page_size)
{
	switch (backing) {
	case LIVEUPDATE_MEMORY_SHMEM:
		return page_size == LU_SMALL_PAGE;
	case LIVEUPDATE_MEMORY_THP:
	case LIVEUPDATE_MEMORY_HUGETLB:
		return page_size > LU_SMALL_PAGE && !(page_size & (page_size - 1));
	default:
		return false;
	}
}

const char *lu_fmt_size(char *buf, size_t len, uint64_t bytes)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
	int u = -1;
	uint64_t v = bytes;

	while (v && v % 1024 == 0 && u < 3) {
		v /= 1024;
		u++;
	}
	if (u < 0 || bytes == 0)
		snprintf(buf, len, "%" PRIu64 " byte%s", bytes, LU_PLURAL(bytes));
	else
		snprintf(buf, len, "%" PRIu64 " %s", v, units[u]);
	return buf;
}

int lu_host_path(char *buf, size_t len, const char *root, const char *path)
{
	int n;

	if (!root || !*root || !strcmp(root, "/"))
		root = "";
	n = snprintf(buf, len, "%s%s", root, path);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int lu_host_read(const char *root, const char *path, char *buf, size_t len)
{
	char full[4096];
	ssize_t n;
	size_t got = 0;
	int fd, ret = lu_host_path(full, sizeof(full), root, path);

	if (ret)
		return ret;
	fd = open(full, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (got + 1 < len && (n = read(fd, buf + got, len - 1 - got)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	return ret;
}

/* "always within_size advise [never] deny force": the bracketed word. */
static int parse_policy(const char *text, enum liveupdate_thp_policy *policyp)
{
	const char *open_br = strchr(text, '['), *close_br;

	if (!open_br || !(close_br = strchr(open_br, ']')))
		return -EPROTO;
	for (size_t i = 0; i < sizeof(policy_names) / sizeof(policy_names[0]); i++) {
		size_t n = strlen(policy_names[i]);

		if ((size_t)(close_br - open_br - 1) == n &&
		    !strncmp(open_br + 1, policy_names[i], n)) {
			*policyp = (enum liveupdate_thp_policy)i;
			return 0;
		}
	}
	return -EPROTO;
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
	ret = lu_host_read(root, path, text, sizeof(text));
	if (ret)
		return ret;
	return parse_policy(text, policyp);
}

/* A decimal number alone in a file under root. */
static int read_u64(const char *root, const char *path, uint64_t *v)
{
	char text[64], *end;
	int ret = lu_host_read(root, path, text, sizeof(text));

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
	if (lu_host_path(dir, sizeof(dir), root, path))
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

	if (lu_host_read(root, "/proc/meminfo", text, sizeof(text)))
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

/* Undo the octal escapes of /proc/self/mountinfo (\040 for a space). */
static void unescape(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' &&
		    s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
}

struct mount_entry {
	char *point;   /* unescaped */
	char *fstype;
	char *options; /* super options, comma separated */
};

/* Split one mountinfo line in place; false when it does not parse. */
static bool parse_mount_line(char *line, struct mount_entry *m)
{
	char *fields[6], *save = NULL, *tok, *dash;
	int n = 0;

	dash = strstr(line, " - ");
	if (!dash)
		return false;
	*dash = '\0';
	for (tok = strtok_r(line, " ", &save); tok && n < 6; tok = strtok_r(NULL, " ", &save))
		fields[n++] = tok;
	if (n < 5)
		return false;
	m->point = fields[4];
	unescape(m->point);
	save = NULL;
	m->fstype = strtok_r(dash + 3, " ", &save);
	tok = strtok_r(NULL, " ", &save);          /* the source */
	m->options = tok ? strtok_r(NULL, " \n", &save) : NULL;
	if (!m->fstype || !m->options)
		return false;
	return true;
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

typedef int (*mount_visit_fn)(void *data, struct mount_entry *m);

/* Call fn for each parsed line of <root>/proc/self/mountinfo. */
static int for_each_mount(const char *root, mount_visit_fn fn, void *data)
{
	char path[4096], *line = NULL;
	size_t cap = 0;
	FILE *f;
	int ret = lu_host_path(path, sizeof(path), root, "/proc/self/mountinfo");

	if (ret)
		return ret;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		struct mount_entry m;

		if (parse_mount_line(line, &m) && fn(data, &m))
			break;
	}
	free(line);
	fclose(f);
	return 0;
}

struct hugetlbfs_walk {
	const char *root;
	liveupdate_memory_mount_fn fn;
	void *data;
	int count;
};

static int visit_hugetlbfs(void *data, struct mount_entry *m)
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
	ret = for_each_mount(root, visit_hugetlbfs, &w);
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

static int visit_tmpfs(void *data, struct mount_entry *m)
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
	if (w->is_tmpfs && mount_option(m->options, "huge", opt, sizeof(opt))) {
		for (size_t i = 0; i < sizeof(policy_names) / sizeof(policy_names[0]); i++)
			if (!strcmp(opt, policy_names[i]))
				w->policy = (enum liveupdate_thp_policy)i;
	}
	return 0;
}

LU_EXPORT int liveupdate_memory_host_tmpfs_huge(const char *root, const char *path,
						enum liveupdate_thp_policy *policyp)
{
	struct tmpfs_walk w = { .path = path };
	int ret;

	if (!path || path[0] != '/' || !policyp)
		return -EINVAL;
	ret = for_each_mount(root, visit_tmpfs, &w);
	if (ret)
		return ret;
	if (!w.found || !w.is_tmpfs)
		return -ENOENT;
	*policyp = w.policy;
	return 0;
}
