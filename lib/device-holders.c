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
int lu_device_holders(const char *device_path, struct lu_holder *holders, int max)
{
	char want[PATH_MAX], path[PATH_MAX];
	struct dirent *p;
	int found = 0;
	DIR *proc;

	if (!realpath(device_path, want))
		return 0;
	proc = opendir("/proc");
	if (!proc)
		return 0;
	while ((p = readdir(proc)) && found < max) {
		struct lu_holder *h = &holders[found];
		FILE *c;

		if (p->d_name[0] < '1' || p->d_name[0] > '9' || !holds(p->d_name, want))
			continue;
		h->pid = (pid_t)atoi(p->d_name);
		snprintf(h->comm, sizeof(h->comm), "?");
		snprintf(path, sizeof(path), "/proc/%s/comm", p->d_name);
		c = fopen(path, "re");
		if (c) {
			if (fgets(h->comm, sizeof(h->comm), c))
				h->comm[strcspn(h->comm, "\n")] = '\0';
			fclose(c);
		}
		found++;
	}
	closedir(proc);
	return found;
}

/* On EBUSY, append " Held by pid N (comm)." for each holder found. */
void lu_name_device_holders(void *data, const char *device_path)
{
	struct lu_holder holders[4];
	int n = lu_device_holders(device_path, holders, 4);

	(void)data;
	for (int i = 0; i < n; i++)
		lu_last_error_append(" Held by pid %d (%s).", (int)holders[i].pid,
				     holders[i].comm);
}
