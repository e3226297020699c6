/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A decoder's reason for refusing its input, for the caller's message. */
#include <stdarg.h>
#include <stdio.h>

#include "lu-util.h"

int lu_util_reason(char *why, size_t why_len, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, why_len, fmt, ap);
	va_end(ap);
	return err;
}
