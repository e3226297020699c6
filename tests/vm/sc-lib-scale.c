/*
 * lib-scale: 500 memfds in one session and 2000 sessions, through the
 * library, with the time each phase takes, next to the same work done with
 * raw ioctls (guest time under TCG: compare ratios, not absolute figures).
 *
 * The kernel looks session names up linearly, so an operation costs more
 * the more sessions exist: to compare fairly, every library call is
 * interleaved with the equivalent raw ioctl on a shadow object (same
 * device fd, same list sizes), and each side's calls are timed separately.
 *
 * Stage 1: preserve 500 one-page memfds (page i filled with seed i) in one
 * session (shadow: 500 more in a raw session); create 2000 empty sessions
 * without manifest (shadow: 2000 raw).
 * Stage 2: retrieve and check the 500 memfds, finish; retrieve and finish
 * the 2000 sessions; the shadows likewise with raw ioctls.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>

#include <linux/liveupdate.h>

#include "lutest-lib.h"

#define NFILES 500
#define NSESSIONS 2000
#define FILES_SESSION "lib-scale-files"
#define RAW_FILES_SESSION "lib-scale-raw-files"

static void sname(char *buf, size_t len, const char *kind, int i)
{
	snprintf(buf, len, "lib-scale-%s-%04d", kind, i);
}

static double per_us(uint64_t ns, int n)
{
	return ns / 1e3 / n;
}

/* The library's device fd, found in /proc/self/fd (the API hides it). */
static int device_fd(void)
{
	char path[64], target[64];
	for (int fd = 3; fd < 1024; fd++) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		ssize_t n = readlink(path, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = 0;
		if (!strcmp(target, "/dev/liveupdate"))
			return fd;
	}
	lt_fail("the library's /dev/liveupdate fd not found in /proc/self/fd");
}

static int raw_session(int dev, unsigned long req, const char *name)
{
	struct liveupdate_ioctl_create_session cs = { .size = sizeof(cs) };
	snprintf((char *)cs.name, sizeof(cs.name), "%s", name);
	if (ioctl(dev, req, &cs) < 0)
		lt_fail("raw %s session %s: %s",
			req == LIVEUPDATE_IOCTL_CREATE_SESSION ? "create" : "retrieve", name,
			lt_errname(errno));
	return cs.fd;
}

static void report(const char *what, int n, uint64_t lib_ns, uint64_t raw_ns)
{
	lt_log("TIME %s x%d: library %.1f us each, raw ioctl %.1f us each (library/raw %.2f)",
	       what, n, per_us(lib_ns, n), per_us(raw_ns, n), (double)lib_ns / raw_ns);
	char key[64];
	snprintf(key, sizeof(key), "%s", what);
	for (char *p = key; *p; p++)
		if (*p == ' ')
			*p = '_';
	lt_state_put(key, "%.1f/%.1f", per_us(lib_ns, n), per_us(raw_ns, n));
}

static int stage1(void)
{
	struct liveupdate_ctx *ctx = lt_ctx_new();
	struct liveupdate_session *files = NULL;
	static int fds[NFILES], rfds[NFILES];
	uint64_t lib_ns = 0, raw_ns = 0, t0;

	LT_OK(liveupdate_session_create(ctx, FILES_SESSION, &files));
	int dev = device_fd();
	int rfiles = raw_session(dev, LIVEUPDATE_IOCTL_CREATE_SESSION, RAW_FILES_SESSION);
	for (int i = 0; i < NFILES; i++) {
		fds[i] = lt_memfd("lib-scale", 4096, 7000 + i);
		rfds[i] = lt_memfd("lib-scale-raw", 4096, 9000 + i);
	}
	for (int i = 0; i < NFILES; i++) {
		t0 = lt_now_ns();
		int r = liveupdate_session_preserve_fd(files, fds[i], i);
		lib_ns += lt_now_ns() - t0;
		LT_OK(r);
		struct liveupdate_session_preserve_fd pf = { .size = sizeof(pf), .fd = rfds[i], .token = i };
		t0 = lt_now_ns();
		r = ioctl(rfiles, LIVEUPDATE_SESSION_PRESERVE_FD, &pf);
		raw_ns += lt_now_ns() - t0;
		LT_CHECK(r == 0, "raw PRESERVE_FD %d: %s", i, lt_errname(errno));
	}
	report("preserve memfd", NFILES, lib_ns, raw_ns);
	for (int i = 0; i < NFILES; i++) {
		close(fds[i]);
		close(rfds[i]);
	}
	lt_keep_fd(liveupdate_session_get_fd(files));
	lt_keep_fd(rfiles);

	/* raw sessions have no manifest: compare like with like (and 2000
	 * manifests of 256 KiB would pin half the VM's memory) */
	LIVEUPDATE_OPTS(liveupdate_session_opts, no_manifest,
			.flags = LIVEUPDATE_SESSION_NO_MANIFEST);
	lib_ns = raw_ns = 0;
	for (int i = 0; i < NSESSIONS; i++) {
		struct liveupdate_session *s = NULL;
		char n[48];
		sname(n, sizeof(n), "lib", i);
		t0 = lt_now_ns();
		int r = liveupdate_session_create_opts(ctx, n, &no_manifest, &s);
		lib_ns += lt_now_ns() - t0;
		LT_OK(r);
		lt_keep_fd(liveupdate_session_get_fd(s));
		sname(n, sizeof(n), "raw", i);
		t0 = lt_now_ns();
		int fd = raw_session(dev, LIVEUPDATE_IOCTL_CREATE_SESSION, n);
		raw_ns += lt_now_ns() - t0;
		lt_keep_fd(fd);
	}
	report("create session", NSESSIONS, lib_ns, raw_ns);
	return LT_CONTINUE;
}

static int stage2(void)
{
	struct liveupdate_ctx *ctx = lt_ctx_new();
	struct liveupdate_session *files = NULL;
	static int fds[NFILES], rfds[NFILES];
	uint64_t lib_ns = 0, raw_ns = 0, t0;

	LT_OK(liveupdate_session_retrieve(ctx, FILES_SESSION, &files));
	int dev = device_fd();
	int rfiles = raw_session(dev, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, RAW_FILES_SESSION);
	for (int i = 0; i < NFILES; i++) {
		t0 = lt_now_ns();
		int r = liveupdate_session_retrieve_fd(files, i, &fds[i]);
		lib_ns += lt_now_ns() - t0;
		LT_OK(r);
		struct liveupdate_session_retrieve_fd rf = { .size = sizeof(rf), .token = i };
		t0 = lt_now_ns();
		r = ioctl(rfiles, LIVEUPDATE_SESSION_RETRIEVE_FD, &rf);
		raw_ns += lt_now_ns() - t0;
		LT_CHECK(r == 0, "raw RETRIEVE_FD %d: %s", i, lt_errname(errno));
		rfds[i] = rf.fd;
	}
	report("retrieve memfd", NFILES, lib_ns, raw_ns);
	double mem_lib = per_us(lib_ns, NFILES), mem_raw = per_us(raw_ns, NFILES);
	for (int i = 0; i < NFILES; i++) {
		char what[64];
		snprintf(what, sizeof(what), "memfd token %d", i);
		lt_check_memfd(fds[i], 4096, 7000 + i, what);
		lt_check_memfd(rfds[i], 4096, 9000 + i, what);
		close(fds[i]);
		close(rfds[i]);
	}
	LT_OK(liveupdate_session_finish(files));
	liveupdate_session_unref(files);
	close(rfiles);	/* implicit finish */

	/* raw sessions have no manifest: compare like with like (and 2000
	 * manifests of 256 KiB would pin half the VM's memory) */
	LIVEUPDATE_OPTS(liveupdate_session_opts, no_manifest,
			.flags = LIVEUPDATE_SESSION_NO_MANIFEST);
	lib_ns = raw_ns = 0;
	for (int i = 0; i < NSESSIONS; i++) {
		struct liveupdate_session *s = NULL;
		char n[48];
		sname(n, sizeof(n), "lib", i);
		t0 = lt_now_ns();
		int r = liveupdate_session_retrieve(ctx, n, &s);
		if (r == 0)
			r = liveupdate_session_finish(s);
		liveupdate_session_unref(s);
		lib_ns += lt_now_ns() - t0;
		LT_OK(r);
		sname(n, sizeof(n), "raw", i);
		t0 = lt_now_ns();
		int fd = raw_session(dev, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, n);
		struct liveupdate_session_finish fin = { .size = sizeof(fin) };
		r = ioctl(fd, LIVEUPDATE_SESSION_FINISH, &fin);
		close(fd);
		raw_ns += lt_now_ns() - t0;
		LT_CHECK(r == 0, "raw FINISH %s: %s", n, lt_errname(errno));
	}
	report("retrieve+finish+close session", NSESSIONS, lib_ns, raw_ns);
	liveupdate_ctx_unref(ctx);

	char pres[32], create[32];	/* lt_state_get() reuses one buffer */
	snprintf(pres, sizeof(pres), "%s", lt_state_get("preserve_memfd"));
	snprintf(create, sizeof(create), "%s", lt_state_get("create_session"));
	lt_pass("%d memfds and %d sessions carried over; us per op, library/raw ioctl: "
		"preserve memfd %s, create session %s, retrieve memfd %.1f/%.1f, "
		"retrieve+finish+close session %.1f/%.1f", NFILES, NSESSIONS, pres, create,
		mem_lib, mem_raw, per_us(lib_ns, NSESSIONS), per_us(raw_ns, NSESSIONS));
}

static int run(int stage)
{
	return stage == 1 ? stage1() : stage2();
}

LT_SCENARIO(lib_scale, "lib-scale", run, 300);
