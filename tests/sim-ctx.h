/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * For the test programs that drive the library on liveupdate-sim without
 * Check (tests/sim/scale, tests/manifest/sample and bench): stop at the
 * first failed call, saying which and why, a quiet context on the
 * simulator, and waiting for the daemon to settle between passes.
 */
#ifndef LU_TESTS_SIM_CTX_H
#define LU_TESTS_SIM_CTX_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <time.h>

#include <liveupdate/liveupdate.h>

#include "sim-control.h"

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

/*
 * Between passes: the daemon at sock_path has taken in every hang-up and
 * released every file, and the kernel has had a moment for the work
 * closing thousands of fds leaves behind, so that no pass pays for the one
 * before. (Needs sim/libsim-control.la.)
 */
static inline void sim_settle(const char *sock_path)
{
	struct timespec pause = { 0, 100 * 1000 * 1000 };
	struct lu_sim_info info;

	for (int i = 0; i < 100; i++) {
		if (lu_sim_ping(sock_path, &info) < 0) {
			fprintf(stderr, "%s: the daemon is gone\n",
				program_invocation_short_name);
			exit(1);
		}
		if (info.conns <= 1 && !info.files && !info.outgoing && !info.incoming)
			break;
		nanosleep(&pause, NULL);
	}
	nanosleep(&pause, NULL);
}

#endif
