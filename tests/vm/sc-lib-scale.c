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
 * Stage 1: first, the session manifest's cost (doc/performance.md): at
 * 1,000 and 10,000 sessions, passes that create the sessions with
 * liveupdate_session_create() (manifest on, the default) and preserve
 * one-page memfds in the first 1,000 of them, by token, then with a label
 * (the first makes the manifest's first piece), against passes making the
 * same requests with raw ioctls; passes alternate (library first, then raw
 * first), close their sessions, and repeat MF_ROUNDS times: median per call
 * of each pass, then the median and range over the passes, for both sides,
 * and the fastest call of each side (what TCG's and the host's stalls
 * cannot lower).
 * Then preserve 500 one-page memfds (page i filled with seed i) in one
 * session (shadow: 500 more in a raw session); create 2000 empty sessions
 * (shadow: 2000 raw).
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

/* ---- the manifest's cost: library passes against raw passes ---- */

#define MF_ROUNDS 5
#define MF_PRESERVING 1000

enum mf_op { MF_CREATE, MF_PRESERVE, MF_FIRST_LABEL, MF_LABEL, MF_NOPS };
static const char *const mf_name[MF_NOPS] = {
	"create session", "preserve by token", "first labelled preserve",
	"labelled preserve",
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* The median of n ns (sorted in place), in us. */
static double median_us(uint64_t *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_u64);
	return (n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2) / 1e3;
}

/* One pass at n sessions, library or raw: the median us per call of each
 * op, and the fastest call into fast[] (kept when faster than before). */
static void mf_pass(struct liveupdate_ctx *ctx, int dev, int n, int lib, double us[MF_NOPS],
		    double fast[MF_NOPS])
{
	static uint64_t ns[MF_NOPS][10000];
	struct liveupdate_session **s = calloc((size_t)n, sizeof(*s));
	int *fds = calloc((size_t)n, sizeof(*fds)), p = n < MF_PRESERVING ? n : MF_PRESERVING;
	char name[48], label[16];

	LT_CHECK(s && fds && n <= 10000, "mf_pass(%d)", n);
	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "lib-scale-mf-%d", i);
		uint64_t t0 = lt_now_ns();
		if (lib)
			LT_OK(liveupdate_session_create(ctx, name, &s[i]));
		else
			fds[i] = raw_session(dev, LIVEUPDATE_IOCTL_CREATE_SESSION, name);
		ns[MF_CREATE][i] = lt_now_ns() - t0;
	}
	for (int op = MF_PRESERVE; op < MF_NOPS; op++) {
		snprintf(label, sizeof(label), "file-%d", op);
		for (int i = 0; i < p; i++) {
			LIVEUPDATE_OPTS(liveupdate_preserve_opts, o, .label = label);
			struct liveupdate_session_preserve_fd pf = {
				.size = sizeof(pf), .fd = lt_memfd("mf", 4096, (uint64_t)i),
				.token = (uint64_t)op };
			int r;
			uint64_t t0 = lt_now_ns();
			if (!lib)
				r = ioctl(fds[i], LIVEUPDATE_SESSION_PRESERVE_FD, &pf) ? -errno : 0;
			else if (op == MF_PRESERVE)
				r = liveupdate_session_preserve_fd(s[i], pf.fd, pf.token);
			else
				r = liveupdate_session_preserve_fd_opts(s[i], pf.fd, &o, NULL);
			ns[op][i] = lt_now_ns() - t0;
			LT_CHECK(r == 0, "%s %s %d: %s", lib ? "library" : "raw", mf_name[op], i,
				 lt_errname(-r));
			close(pf.fd);
		}
	}
	for (int i = 0; i < n; i++) {
		if (lib)
			liveupdate_session_unref(s[i]); /* aborts it */
		else
			close(fds[i]);
	}
	free(s);
	free(fds);
	for (int op = 0; op < MF_NOPS; op++) {
		us[op] = median_us(ns[op], op == MF_CREATE ? n : p);
		fast[op] = ns[op][0] / 1e3 < fast[op] ? ns[op][0] / 1e3 : fast[op];
	}
}

/* The least, median and largest of a few values (a sorted copy). */
static void spread(const double *v, int n, double out[3])
{
	double s[MF_ROUNDS];
	memcpy(s, v, sizeof(s));
	for (int i = 1; i < n; i++)	/* insertion sort: a handful of rounds */
		for (int j = i; j > 0 && s[j - 1] > s[j]; j--) {
			double t = s[j];
			s[j] = s[j - 1];
			s[j - 1] = t;
		}
	out[0] = s[0];
	out[1] = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	out[2] = s[n - 1];
}

/* Both sides at n sessions; the create and token-preserve ratios go to state. */
static void manifest_cost(struct liveupdate_ctx *ctx, int dev, int n)
{
	double lib[MF_NOPS][MF_ROUNDS], raw[MF_NOPS][MF_ROUNDS], ratio[MF_NOPS][MF_ROUNDS];
	double fast[2][MF_NOPS] = { { 1e30, 1e30, 1e30, 1e30 }, { 1e30, 1e30, 1e30, 1e30 } };
	char key[32];

	for (int r = 0; r < MF_ROUNDS; r++) {
		double l[MF_NOPS], w[MF_NOPS];
		for (int side = 0; side < 2; side++) {
			if (side == r % 2)
				mf_pass(ctx, dev, n, 1, l, fast[0]);
			else
				mf_pass(ctx, dev, n, 0, w, fast[1]);
		}
		for (int op = 0; op < MF_NOPS; op++) {
			lib[op][r] = l[op];
			raw[op][r] = w[op];
			ratio[op][r] = l[op] / w[op];
		}
	}
	for (int op = 0; op < MF_NOPS; op++) {
		double l[3], w[3], q[3];
		spread(lib[op], MF_ROUNDS, l);
		spread(raw[op], MF_ROUNDS, w);
		spread(ratio[op], MF_ROUNDS, q);
		lt_log("TIME manifest cost, %d sessions, %s (preserves in %d), %d rounds "
		       "alternating, median us per call: library %.1f (%.1f..%.1f), raw %.1f "
		       "(%.1f..%.1f), library/raw %.3f (%.3f..%.3f); fastest call %.1f/%.1f = "
		       "%.3f", n, mf_name[op], n < MF_PRESERVING ? n : MF_PRESERVING, MF_ROUNDS,
		       l[1], l[0], l[2], w[1], w[0], w[2], l[1] / w[1], q[0], q[2],
		       fast[0][op], fast[1][op], fast[0][op] / fast[1][op]);
		snprintf(key, sizeof(key), "mf_%d_%d", n, op);
		lt_state_put(key, "%.2f", l[1] / w[1]);
	}
}

static int stage1(void)
{
	struct liveupdate_ctx *ctx = lt_ctx_new();
	struct liveupdate_session *files = NULL;
	static int fds[NFILES], rfds[NFILES];
	uint64_t lib_ns = 0, raw_ns = 0, t0;

	LT_OK(liveupdate_session_create(ctx, FILES_SESSION, &files));
	int dev = device_fd();
	manifest_cost(ctx, dev, 1000);
	manifest_cost(ctx, dev, 10000);
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

	/* the default: a manifest, made only once something is recorded */
	lib_ns = raw_ns = 0;
	for (int i = 0; i < NSESSIONS; i++) {
		struct liveupdate_session *s = NULL;
		char n[48];
		sname(n, sizeof(n), "lib", i);
		t0 = lt_now_ns();
		int r = liveupdate_session_create(ctx, n, &s);
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

	char pres[32], create[32], mf[4][32];	/* lt_state_get() reuses one buffer */
	snprintf(pres, sizeof(pres), "%s", lt_state_get("preserve_memfd"));
	snprintf(create, sizeof(create), "%s", lt_state_get("create_session"));
	snprintf(mf[0], sizeof(mf[0]), "%s", lt_state_get("mf_1000_0"));
	snprintf(mf[1], sizeof(mf[1]), "%s", lt_state_get("mf_1000_1"));
	snprintf(mf[2], sizeof(mf[2]), "%s", lt_state_get("mf_10000_0"));
	snprintf(mf[3], sizeof(mf[3]), "%s", lt_state_get("mf_10000_1"));
	lt_pass("%d memfds and %d sessions carried over; us per op, library/raw ioctl: "
		"preserve memfd %s, create session %s, retrieve memfd %.1f/%.1f, "
		"retrieve+finish+close session %.1f/%.1f; with the manifest on, "
		"library/raw medians: create %s and preserve by token %s at 1000 "
		"sessions, %s and %s at 10000", NFILES, NSESSIONS, pres, create,
		mem_lib, mem_raw, per_us(lib_ns, NSESSIONS), per_us(raw_ns, NSESSIONS),
		mf[0], mf[1], mf[2], mf[3]);
}

static int run(int stage)
{
	return stage == 1 ? stage1() : stage2();
}

LT_SCENARIO(lib_scale, "lib-scale", run, 600);
