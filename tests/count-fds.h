/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Open fds of this process, for the Check-based tests' leak checks. */
#ifndef COUNT_FDS_H
#define COUNT_FDS_H

#include <check.h>
#include <dirent.h>

static inline int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the DIR's own fd */
}

#endif
