/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The assertion style of the test programs written without Check
 * (tests/sim, tests/manifest): stop at the first failure, saying where and
 * why, with exit status 1.
 *
 *   CHECK(call)               a library call that must not return < 0
 *   CHECK_THAT(cond, fmt...)  a condition, and what its failure means
 *   FAIL(fmt...)              a failure found otherwise
 *
 * And sim_ctx(): a quiet context on liveupdate-sim.
 */
#ifndef LU_TESTS_CHECK_PLAIN_H
#define LU_TESTS_CHECK_PLAIN_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <liveupdate/liveupdate.h>
#include "sim-control.h"

__attribute__((noreturn, format(printf, 3, 4)))
static inline void check_failed(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s: FAIL: %s:%d: ", program_invocation_short_name, file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

#define FAIL(...) check_failed(__FILE__, __LINE__, __VA_ARGS__)

#define CHECK_THAT(cond, ...)                                                   \
	do {                                                                    \
		if (!(cond))                                                    \
			FAIL(__VA_ARGS__);                                      \
	} while (0)

#define CHECK(expr)                                                             \
	do {                                                                    \
		int r_ = (expr);                                                \
		if (r_ < 0)                                                     \
			FAIL("%s: %s", #expr, liveupdate_last_error());         \
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
		CHECK_THAT(lu_sim_ping(sock_path, &info) >= 0, "the daemon is gone");
		if (info.conns <= 1 && !info.files && !info.outgoing && !info.incoming)
			break;
		nanosleep(&pause, NULL);
	}
	nanosleep(&pause, NULL);
}

#endif
