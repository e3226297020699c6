/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Who holds the device: named in the error when opening it gives EBUSY. */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "liveupdate-private.h"

/*
 * On EBUSY, say who holds the device: scan /proc/<pid>/fd for links to it.
 * Best effort; other users' processes are visible only to root.
 */
void lu_name_device_holders(void *data, const char *device_path)
{
	char want[PATH_MAX], link[PATH_MAX], path[PATH_MAX];
	DIR *proc, *fds;
	struct dirent *p, *f;
	int found = 0;

	(void)data;
	if (!realpath(device_path, want))
		return;
	proc = opendir("/proc");
	if (!proc)
		return;
	while ((p = readdir(proc)) && found < 4) {
		if (p->d_name[0] < '1' || p->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fd", p->d_name);
		fds = opendir(path);
		if (!fds)
			continue;
		while ((f = readdir(fds))) {
			ssize_t n;

			snprintf(path, sizeof(path), "/proc/%s/fd/%s", p->d_name,
				 f->d_name);
			n = readlink(path, link, sizeof(link) - 1);
			if (n <= 0)
				continue;
			link[n] = '\0';
			if (strcmp(link, want) == 0) {
				char comm[64] = "?";
				FILE *c;

				snprintf(path, sizeof(path), "/proc/%s/comm", p->d_name);
				c = fopen(path, "re");
				if (c) {
					if (fgets(comm, sizeof(comm), c))
						comm[strcspn(comm, "\n")] = '\0';
					fclose(c);
				}
				lu_last_error_append(" Held by pid %s (%s).", p->d_name,
						     comm);
				found++;
				break;
			}
		}
		closedir(fds);
	}
	closedir(proc);
}
