/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers shared by the unit tests. */
#ifndef UNIT_H
#define UNIT_H

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "liveupdate/liveupdate.h"
#include "seam.h"
#include "../check-util.h"
#include "../count-fds.h"

/* A context on a freshly started simulator (see seam.h) that logs into *cap. */
static inline struct liveupdate_ctx *seam_ctx(struct log_capture *cap)
{
	struct liveupdate_ctx *ctx = NULL;

	seam_reset();
	ck_assert_int_eq(liveupdate_ctx_new(NULL, &ctx), 0);
	seam_attach(ctx);
	if (cap) {
		memset(cap, 0, sizeof(*cap));
		liveupdate_ctx_set_log_fn(ctx, capture_log, cap);
		liveupdate_ctx_set_log_priority(ctx, 7);
	}
	return ctx;
}

#endif
