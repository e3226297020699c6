/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The name of an errno ("ENOENT") for test output: glibc's table, so that
 * the tests and the library (lu_errno_name) spell every code the same way.
 */
#ifndef LU_TESTS_ERRNAME_H
#define LU_TESTS_ERRNAME_H

#include <stdio.h>
#include <string.h>

static inline const char *errname(int e)
{
	static __thread char buf[32];
	const char *s;

	if (e < 0)
		e = -e;
	s = e ? strerrorname_np(e) : "0";
	if (s)
		return s;
	snprintf(buf, sizeof(buf), "errno %d", e);
	return buf;
}

#endif
