/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * For the test programs that drive the library on liveupdate-sim without
 * Check (tests/sim/scale, tests/manifest/sample): stop at the first failed
 * call, saying which and why, and a quiet context on the simulator.
 */
#ifndef LU_TESTS_SIM_CTX_H
#define LU_TESTS_SIM_CTX_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <liveupdate/liveupdate.h>

#define CHECK(expr)                                                             \
	do {                                                                    \
		int r_ = (expr);                                                \
		if (r_ < 0) {                                                   \
			fprintf(stderr, "%s: %s: %s\n",                         \
				program_invocation_short_name, #expr,           \
				liveupdate_last_error());                       \
			exit(1);                                                \
		}                                                               \
	} while (0)

static inline struct liveupdate_ctx *sim_ctx(void)
{
	LIVEUPDATE_OPTS(liveupdate_ctx_opts, o, .backend = LIVEUPDATE_BACKEND_SIM);
	struct liveupdate_ctx *ctx;

	CHECK(liveupdate_ctx_new(&o, &ctx));
	liveupdate_ctx_set_log_fn(ctx, NULL, NULL);
	return ctx;
}

#endif
