/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * How much memory this process can still get, asked before allocating a
 * lot of it (populate, or the kernel filling a sparse file's holes when
 * it preserves it): a refusal with the numbers beats the OOM killer.
 * The room is MemAvailable, lowered by the headroom of every memory
 * cgroup above the process (v2: memory.max - memory.current; v1:
 * memory.limit_in_bytes - memory.usage_in_bytes), each plus its inactive
 * file cache, which the kernel reclaims before it runs out.
 */
#include <errno.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lu-util.h"

/* One cgroup version's files, relative to the mount of its hierarchy. */
struct cg_files {
	const char *limit, *usage, *inactive_key;
};

static const struct cg_files cg_v2 = { "memory.max", "memory.current", "inactive_file" };
static const struct cg_files cg_v1 = { "memory.limit_in_bytes", "memory.usage_in_bytes",
				       "total_inactive_file" };

/* "<key> <number>" in a memory.stat text; 0 when absent. */
static uint64_t stat_value(const char *text, const char *key)
{
	size_t n = strlen(key);

	for (const char *p = text; p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, key, n) && p[n] == ' ')
			return strtoull(p + n + 1, NULL, 10);
	return 0;
}

/* Whether a comma-separated list of controllers names the memory one. */
static bool names_memory(const char *list)
{
	size_t n = strlen("memory");

	for (const char *p = list; p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (!strncmp(p, "memory", n) && (p[n] == ',' || !p[n]))
			return true;
	return false;
}

/* A whole small file under root, NUL-terminated in buf; false if unread. */
static bool read_text(const char *root, const char *path, char *buf, size_t len)
{
	char *text;
	size_t n;

	if (lu_util_read_under(root, path, len - 1, &text, &n))
		return false;
	memcpy(buf, text, n + 1);
	free(text);
	return true;
}

/* A number alone in a file; false when absent, unreadable or "max". */
static bool read_limit(const char *root, const char *path, uint64_t *v)
{
	char text[64], *end;

	if (!read_text(root, path, text, sizeof(text)) || !strncmp(text, "max", 3))
		return false;
	errno = 0;
	*v = strtoull(text, &end, 10);
	return !errno && end != text;
}

/*
 * Walk from the cgroup dir (under the hierarchy mounted at mnt) up to the
 * mount's root, lowering *room to the smallest headroom found.
 */
static void walk_cgroup(const char *root, const char *mnt, const char *dir,
			const struct cg_files *f, uint64_t *room, char *why, size_t len)
{
	char path[1024], text[8192], a[32], b[32];
	size_t end = strlen(dir);

	while (end > 0 && dir[end - 1] == '/')
		end--;
	for (;;) {
		uint64_t limit, usage, headroom;
		int n = snprintf(path, sizeof(path), "%s%.*s/", mnt, (int)end, dir);
		size_t base = (size_t)n;

		if (n < 0 || base + 32 >= sizeof(path))
			return;
		strcpy(path + base, f->limit);
		if (read_limit(root, path, &limit)) {
			strcpy(path + base, f->usage);
			if (!read_limit(root, path, &usage))
				usage = 0;
			headroom = limit > usage ? limit - usage : 0;
			strcpy(path + base, "memory.stat");
			if (read_text(root, path, text, sizeof(text)))
				headroom += stat_value(text, f->inactive_key);
			if (headroom < *room) {
				*room = headroom;
				snprintf(why, len, "the memory cgroup %.*s: %s %s, %s %s",
					 end ? (int)end : 1, end ? dir : "/", f->limit,
					 lu_util_fmt_size(a, sizeof(a), limit), f->usage,
					 lu_util_fmt_size(b, sizeof(b), usage));
			}
		}
		if (end == 0)
			return;
		while (end > 0 && dir[end - 1] != '/')
			end--;
		while (end > 0 && dir[end - 1] == '/')
			end--;
	}
}

/* The cgroups of this process, from <root>/proc/self/cgroup. */
static void cgroup_room(const char *root, uint64_t *room, char *why, size_t len)
{
	char text[4096], ctl[64];
	const char *v2_mnt;

	if (!read_text(root, "/proc/self/cgroup", text, sizeof(text)))
		return;
	/* v2 at /sys/fs/cgroup; on hybrid hosts at .../unified, where the
	 * memory controller is not (v1 has it) */
	v2_mnt = read_text(root, "/sys/fs/cgroup/cgroup.controllers", ctl, sizeof(ctl))
		 ? "/sys/fs/cgroup" : "/sys/fs/cgroup/unified";
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		char *ctrl = strchr(line, ':'), *dir = ctrl ? strchr(ctrl + 1, ':') : NULL;

		if (!dir)
			continue;
		*dir++ = '\0';
		ctrl++;
		if (!strcmp(line, "0") && !*ctrl)
			walk_cgroup(root, v2_mnt, dir, &cg_v2, room, why, len);
		else if (names_memory(ctrl))
			walk_cgroup(root, "/sys/fs/cgroup/memory", dir, &cg_v1, room, why, len);
	}
}

uint64_t lu_util_memory_room(const char *root, char *why, size_t len)
{
	uint64_t room = UINT64_MAX;
	unsigned long long kb;
	char text[8192], a[32];
	const char *line;

	snprintf(why, len, "nothing limits it");
	if (read_text(root, "/proc/meminfo", text, sizeof(text)) &&
	    (line = strstr(text, "MemAvailable:")) &&
	    sscanf(line, "MemAvailable: %llu kB", &kb) == 1) {
		room = (uint64_t)kb * 1024;
		snprintf(why, len, "MemAvailable in /proc/meminfo is %s",
			 lu_util_fmt_size(a, sizeof(a), room));
	}
	cgroup_room(root, &room, why, len);
	return room;
}
