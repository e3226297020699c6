/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Size-prefixed option structs: what a caller may pass. */
#include "lu-util.h"

bool lu_util_opts_valid(const void *opts, size_t user_size, size_t known_size)
{
	const unsigned char *p = opts;

	if (user_size < sizeof(size_t))
		return false;
	for (size_t i = known_size; i < user_size; i++)
		if (p[i])
			return false;
	return true;
}
