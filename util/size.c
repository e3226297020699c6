/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Sizes and counts in messages, as people read them. */
#include <inttypes.h>
#include <stdio.h>

#include "lu-util.h"

const char *lu_util_fmt_size(char *buf, size_t len, uint64_t bytes)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
	int u = -1;
	uint64_t v = bytes;

	while (v && v % 1024 == 0 && u < 3) {
		v /= 1024;
		u++;
	}
	if (u < 0 || bytes == 0)
		return lu_util_fmt_count(buf, len, bytes, "byte");
	snprintf(buf, len, "%" PRIu64 " %s", v, units[u]);
	return buf;
}

const char *lu_util_fmt_count(char *buf, size_t len, uint64_t n, const char *thing)
{
	snprintf(buf, len, "%" PRIu64 " %s%s", n, thing, n == 1 ? "" : "s");
	return buf;
}
