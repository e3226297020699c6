/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * liveupdate-ctl mount-huge: mount the tmpfs with transparent huge pages
 * that LIVEUPDATE_MEMORY_AUTO looks for (the same mount as
 * doc/run-liveupdate-huge.mount), for hosts whose shmem THP policy gives
 * memfds no huge pages. The library itself never mounts anything.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "ctl.h"
#include "lu-util.h"

/* tmpfs's size=: a number with an optional k, m, g, t, p, e or %. */
static bool valid_size(const char *s)
{
	const char *p = s;

	while (isdigit((unsigned char)*p))
		p++;
	if (p == s)
		return false;
	if (*p && strchr("kKmMgGtTpPeE%", *p))
		p++;
	return *p == '\0' && strtoull(s, NULL, 10) > 0;
}

static bool valid_mode(const char *s, unsigned long *mode)
{
	char *end;

	if (!*s || strspn(s, "01234567") != strlen(s))
		return false;
	*mode = strtoul(s, &end, 8);
	return *mode <= 07777;
}

/* mkdir -p, for an absolute path. */
static int mkdir_p(const char *path)
{
	char buf[PATH_MAX];

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;

			*p = '\0';
			if (mkdir(buf, 0755) < 0 && errno != EEXIST)
				return -errno;
			*p = c;
			if (!c)
				break;
		}
	}
	return 0;
}

struct mounted_at {
	const char *path;
	char *what;
	size_t size;
	int found;
};

static int visit_mount(void *data, struct lu_util_mount *m)
{
	struct mounted_at *w = data;

	if (!strcmp(m->point, w->path)) {
		snprintf(w->what, w->size, "%s (type %s)", m->source, m->fstype);
		w->found = 1;
	}
	return 0; /* on to the end: the last mount there wins */
}

/* What is mounted at @path (the last mount there wins): 1 and a
 * description, 0 when nothing, or a negative errno. */
static int mounted_at(const char *path, char *what, size_t size)
{
	struct mounted_at w = { path, what, size, 0 };
	int err = lu_util_mountinfo_foreach(NULL, visit_mount, &w);

	return err ? err : w.found;
}

int ctl_mount_huge(const struct ctl_mount_opts *o)
{
	const char *path = o->path ? o->path : LIVEUPDATE_MEMORY_TMPFS_PATH;
	char options[128], what[PATH_MAX + 80], real[PATH_MAX];
	enum liveupdate_thp_policy policy;
	unsigned long mode = 0700;
	int err;

	if (path[0] != '/') {
		fprintf(stderr, "liveupdate-ctl mount-huge: %s: give an absolute path\n", path);
		return CTL_ERROR;
	}
	if (o->size && !valid_size(o->size)) {
		fprintf(stderr, "liveupdate-ctl mount-huge: --size %s: give bytes with an "
			"optional k, m, g suffix, or a percentage of RAM (50%%)\n", o->size);
		return CTL_ERROR;
	}
	if (o->mode && !valid_mode(o->mode, &mode)) {
		fprintf(stderr, "liveupdate-ctl mount-huge: --mode %s: give octal "
			"permissions, 0700 for instance\n", o->mode);
		return CTL_ERROR;
	}
	err = mkdir_p(path);
	if (err || !realpath(path, real)) {
		fprintf(stderr, "liveupdate-ctl mount-huge: creating %s: %s\n", path,
			strerror(err ? -err : errno));
		return CTL_NOT_POSSIBLE;
	}
	err = mounted_at(real, what, sizeof(what));
	if (err < 0) {
		fprintf(stderr, "liveupdate-ctl mount-huge: reading /proc/self/mountinfo: "
			"%s\n", strerror(-err));
		return CTL_NOT_POSSIBLE;
	}
	if (err) {
		fprintf(stderr, "liveupdate-ctl mount-huge: %s is already a mount point: "
			"%s is mounted there; unmount it first (umount %s) or pick "
			"another path\n", real, what, real);
		return CTL_NOT_POSSIBLE;
	}
	snprintf(options, sizeof(options), "huge=always,mode=%04lo%s%s", mode,
		 o->size ? ",size=" : "", o->size ? o->size : "");
	if (mount("liveupdate-huge", real, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  options) < 0) {
		err = errno;
		fprintf(stderr, "liveupdate-ctl mount-huge: mount -t tmpfs -o %s "
			"liveupdate-huge %s: %s%s\n", options, real, strerror(err),
			err == EPERM ? " (run as root)" : err == EINVAL ? " (a kernel "
			"without transparent huge pages for tmpfs?)" : "");
		return CTL_NOT_POSSIBLE;
	}
	if (liveupdate_memory_host_tmpfs_huge(NULL, real, &policy) != 0 ||
	    policy != LIVEUPDATE_THP_ALWAYS) {
		fprintf(stderr, "liveupdate-ctl mount-huge: %s was mounted but the mount "
			"table does not show huge=always there\n", real);
		return CTL_NOT_POSSIBLE;
	}
	printf("mounted liveupdate-huge on %s: tmpfs, %s,nosuid,nodev,noexec\n", real, options);
	return CTL_POSSIBLE;
}
