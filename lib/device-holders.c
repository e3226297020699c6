/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Who holds the device: named in the error when opening it gives EBUSY. */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "liveupdate-private.h"

/* Whether process @pid (a /proc entry name) has @want open. */
static int holds(const char *pid, const char *want)
{
	char link[PATH_MAX], path[PATH_MAX];
	struct dirent *f;
	int found = 0;
	DIR *fds;

	snprintf(path, sizeof(path), "/proc/%s/fd", pid);
	fds = opendir(path);
	if (!fds)
		return 0;
	while (!found && (f = readdir(fds))) {
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/%s/fd/%s", pid, f->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		found = strcmp(link, want) == 0;
	}
	closedir(fds);
	return found;
}

/*
 * Scan /proc/<pid>/fd for links to the device. Best effort; other users'
 * processes are visible only to root.
 */
int lu_device_holders(void *data, const char *device_path,
		      struct lu_holder *holders, int max)
{
	char want[PATH_MAX];
	struct dirent *p;
	int found = 0;
	DIR *proc;

	(void)data;
	if (!realpath(device_path, want))
		return 0;
	proc = opendir("/proc");
	if (!proc)
		return 0;
	while ((p = readdir(proc)) && found < max) {
		if (p->d_name[0] < '1' || p->d_name[0] > '9' || !holds(p->d_name, want))
			continue;
		holders[found].pid = (pid_t)atoi(p->d_name);
		lu_holder_comm(&holders[found]);
		found++;
	}
	closedir(proc);
	return found;
}

void lu_holder_comm(struct lu_holder *h)
{
	char path[64];
	FILE *c;

	snprintf(h->comm, sizeof(h->comm), "?");
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)h->pid);
	c = fopen(path, "re");
	if (!c)
		return;
	if (fgets(h->comm, sizeof(h->comm), c))
		h->comm[strcspn(h->comm, "\n")] = '\0';
	fclose(c);
}

void lu_name_device_holders(struct liveupdate_ctx *ctx)
{
	struct lu_holder holders[4];
	int n = lu_backend_find_holders(ctx, holders, 4);

	for (int i = 0; i < n; i++)
		lu_last_error_append(" Held by pid %d (%s).", (int)holders[i].pid,
				     holders[i].comm);
}
