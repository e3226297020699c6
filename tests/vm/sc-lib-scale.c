/*
 * lib-scale: 500 memfds in one session and 2000 sessions, through the
 * library, with the time each phase takes (guest time under TCG: compare
 * ratios, not absolute figures).
 *
 * Stage 1: preserve 500 one-page memfds (page i filled with seed i) in one
 * session; create 2000 empty sessions.
 * Stage 2: retrieve and check the 500 memfds, finish; retrieve and finish
 * the 2000 sessions.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>

#include "lutest-lib.h"

#define NFILES 500
#define NSESSIONS 2000
#define FILES_SESSION "lib-scale-files"

static void sname(char *buf, size_t len, int i)
{
	snprintf(buf, len, "lib-scale-%04d", i);
}

static double per_us(uint64_t ns, int n)
{
	return ns / 1e3 / n;
}

static int stage1(void)
{
	struct liveupdate_ctx *ctx = lt_ctx_new();
	struct liveupdate_session *files = NULL;
	int fds[NFILES];

	LT_OK(liveupdate_session_create(ctx, FILES_SESSION, &files));
	for (int i = 0; i < NFILES; i++)
		fds[i] = lt_memfd("lib-scale", 4096, 7000 + i);
	uint64_t t0 = lt_now_ns();
	for (int i = 0; i < NFILES; i++)
		LT_OK(liveupdate_session_preserve_fd(files, fds[i], i));
	uint64_t t_pres = lt_now_ns() - t0;
	for (int i = 0; i < NFILES; i++)
		close(fds[i]);
	lt_keep_fd(liveupdate_session_get_fd(files));

	t0 = lt_now_ns();
	for (int i = 0; i < NSESSIONS; i++) {
		struct liveupdate_session *s = NULL;
		char n[32];
		sname(n, sizeof(n), i);
		LT_OK(liveupdate_session_create(ctx, n, &s));
		lt_keep_fd(liveupdate_session_get_fd(s));
	}
	uint64_t t_create = lt_now_ns() - t0;

	lt_log("TIME preserve %d one-page memfds: %.1f ms total, %.1f us each", NFILES,
	       t_pres / 1e6, per_us(t_pres, NFILES));
	lt_log("TIME create %d sessions: %.1f ms total, %.1f us each", NSESSIONS, t_create / 1e6,
	       per_us(t_create, NSESSIONS));
	lt_state_put("preserve_us", "%.1f", per_us(t_pres, NFILES));
	lt_state_put("create_us", "%.1f", per_us(t_create, NSESSIONS));
	return LT_CONTINUE;
}

static int stage2(void)
{
	struct liveupdate_ctx *ctx = lt_ctx_new();
	struct liveupdate_session *files = NULL;
	static int fds[NFILES];

	LT_OK(liveupdate_session_retrieve(ctx, FILES_SESSION, &files));
	uint64_t t0 = lt_now_ns();
	for (int i = 0; i < NFILES; i++)
		LT_OK(liveupdate_session_retrieve_fd(files, i, &fds[i]));
	uint64_t t_retr = lt_now_ns() - t0;
	for (int i = 0; i < NFILES; i++) {
		char what[64];
		snprintf(what, sizeof(what), "memfd token %d", i);
		lt_check_memfd(fds[i], 4096, 7000 + i, what);
		close(fds[i]);
	}
	LT_OK(liveupdate_session_finish(files));
	liveupdate_session_unref(files);

	t0 = lt_now_ns();
	for (int i = 0; i < NSESSIONS; i++) {
		struct liveupdate_session *s = NULL;
		char n[32];
		sname(n, sizeof(n), i);
		LT_OK(liveupdate_session_retrieve(ctx, n, &s));
		LT_OK(liveupdate_session_finish(s));
		liveupdate_session_unref(s);
	}
	uint64_t t_sess = lt_now_ns() - t0;

	lt_log("TIME retrieve %d memfds: %.1f ms total, %.1f us each", NFILES, t_retr / 1e6,
	       per_us(t_retr, NFILES));
	lt_log("TIME retrieve+finish+close %d sessions: %.1f ms total, %.1f us each", NSESSIONS,
	       t_sess / 1e6, per_us(t_sess, NSESSIONS));
	liveupdate_ctx_unref(ctx);
	char pres[32], create[32];	/* lt_state_get() reuses one buffer */
	snprintf(pres, sizeof(pres), "%s", lt_state_get("preserve_us"));
	snprintf(create, sizeof(create), "%s", lt_state_get("create_us"));
	lt_pass("%d memfds (preserve %s us, retrieve %.1f us each) and %d sessions (create %s us, "
		"retrieve+finish %.1f us each) carried over", NFILES, pres,
		per_us(t_retr, NFILES), NSESSIONS, create,
		per_us(t_sess, NSESSIONS));
}

static int run(int stage)
{
	return stage == 1 ? stage1() : stage2();
}

LT_SCENARIO(lib_scale, "lib-scale", run, 300);
