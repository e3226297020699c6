/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * scale: the cost per operation of liveupdate-sim at two sizes, side by
 * side, through the library. A pass at size (S, F) creates S sessions in
 * all, preserves F memfds in one of them, carries them over a simulated
 * kexec, retrieves every memfd (every byte checked) and then retrieves and
 * finishes every session. The two sizes alternate in order, the passes are
 * repeated, and the table shows for each operation the median time per
 * operation at each size, its range over the repetitions, and the ratio
 * of the medians with its range (each repetition's big pass over its small
 * pass). Flat costs give ratios near 1. Timing is reported, never
 * asserted; correctness is.
 *
 * Usage: scale [-r REPEATS] [SMALL_SESSIONS SMALL_FILES BIG_SESSIONS BIG_FILES]
 * (with LIBLIVEUPDATE_SIM_SOCKET set). Defaults: 5 repetitions, the kernel
 * selftests' figures (2000 sessions, 500 files in one session) against the
 * daemon's limits (8192 and 8192), lowered to what the daemon's status says
 * it can hold.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <liveupdate/liveupdate.h>

#include "sim-control.h"

#define MAX_REPEATS 99
#define FILES_SESSION "scale-files"

enum op { CREATE, PRESERVE, RETRIEVE, RETRIEVE_FD, FINISH, NOPS };
static const char *const op_name[NOPS] = {
	"create-session", "preserve-fd", "retrieve-session", "retrieve-fd", "finish-session",
};

struct size {
	int sessions, files;
};

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

#define CHECK(expr)                                                             \
	do {                                                                    \
		int r_ = (expr);                                                \
		if (r_ < 0) {                                                   \
			fprintf(stderr, "scale: %s: %s\n", #expr,               \
				liveupdate_last_error());                       \
			exit(1);                                                \
		}                                                               \
	} while (0)

static struct liveupdate_ctx *sim_ctx(void)
{
	LIVEUPDATE_OPTS(liveupdate_ctx_opts, o, .backend = LIVEUPDATE_BACKEND_SIM);
	struct liveupdate_ctx *ctx;

	CHECK(liveupdate_ctx_new(&o, &ctx));
	liveupdate_ctx_set_log_fn(ctx, NULL, NULL);
	return ctx;
}

static void session_name(char *buf, size_t len, int i)
{
	if (i == 0)
		snprintf(buf, len, FILES_SESSION);
	else
		snprintf(buf, len, "scale-%05d", i);
}

/* A memfd whose page says which token it is. */
static int pattern_file(int i)
{
	int fd = memfd_create("scale", MFD_CLOEXEC);
	char page[4096];

	memset(page, 'a' + i % 26, sizeof(page));
	memcpy(page, &i, sizeof(i));
	if (fd < 0 || pwrite(fd, page, sizeof(page), 0) != sizeof(page)) {
		fprintf(stderr, "scale: memfd %d: %s\n", i, strerror(errno));
		exit(1);
	}
	return fd;
}

static void check_file(int fd, int i)
{
	char page[4096];
	int got;

	if (pread(fd, page, sizeof(page), 0) != sizeof(page)) {
		fprintf(stderr, "scale: token %d: %s\n", i, strerror(errno));
		exit(1);
	}
	memcpy(&got, page, sizeof(got));
	if (got != i || page[100] != 'a' + i % 26) {
		fprintf(stderr, "scale: token %d came back with the wrong bytes\n", i);
		exit(1);
	}
}

/* One pass at size sz: us[op] gets the mean microseconds per operation. */
static void pass(struct size sz, double us[NOPS])
{
	struct liveupdate_session **sessions = calloc((size_t)sz.sessions, sizeof(*sessions));
	struct liveupdate_ctx *ctx = sim_ctx();
	double t;
	char name[32];

	if (!sessions)
		exit(1);
	memset(us, 0, sizeof(double) * NOPS);
	for (int i = 0; i < sz.sessions; i++) {
		session_name(name, sizeof(name), i);
		t = now_us();
		CHECK(liveupdate_session_create(ctx, name, &sessions[i]));
		us[CREATE] += now_us() - t;
	}
	for (int i = 0; i < sz.files; i++) {
		int fd = pattern_file(i);

		t = now_us();
		CHECK(liveupdate_session_preserve_fd(sessions[0], fd, (uint64_t)i));
		us[PRESERVE] += now_us() - t;
		close(fd); /* the simulator holds it now, as the kernel would */
	}

	CHECK(liveupdate_kexec_load(ctx, "/proc/self/exe", NULL));
	CHECK(liveupdate_kexec_reboot(ctx));
	/* the previous "boot": its objects and their dead fds go */
	for (int i = 0; i < sz.sessions; i++)
		liveupdate_session_unref(sessions[i]);
	liveupdate_ctx_unref(ctx);
	ctx = sim_ctx();

	for (int i = 0; i < sz.sessions; i++) {
		struct liveupdate_session *s;

		session_name(name, sizeof(name), i);
		t = now_us();
		CHECK(liveupdate_session_retrieve(ctx, name, &s));
		us[RETRIEVE] += now_us() - t;
		for (int k = 0; i == 0 && k < sz.files; k++) {
			int fd;

			t = now_us();
			CHECK(liveupdate_session_retrieve_fd(s, (uint64_t)k, &fd));
			us[RETRIEVE_FD] += now_us() - t;
			check_file(fd, k);
			close(fd);
		}
		t = now_us();
		CHECK(liveupdate_session_finish(s));
		us[FINISH] += now_us() - t;
		liveupdate_session_unref(s);
	}
	liveupdate_ctx_unref(ctx);
	free(sessions);
	for (int op = 0; op < NOPS; op++)
		us[op] /= op == PRESERVE || op == RETRIEVE_FD ? sz.files : sz.sessions;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* median, min and max of v[0..n) (sorted in place) */
static void stats(double *v, int n, double out[3])
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	out[0] = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	out[1] = v[0];
	out[2] = v[n - 1];
}

/* Lower the big size to what the daemon says it holds (one client spare). */
static void fit(struct size *big)
{
	char path[LU_SIM_PATH_MAX];
	struct lu_sim_info info;
	int sessions, files;

	if (lu_sim_resolve_socket(NULL, path, sizeof(path)) < 0 || lu_sim_ping(path, &info) < 0) {
		fprintf(stderr, "scale: no liveupdate-sim daemon answers\n");
		exit(1);
	}
	sessions = (int)(info.max_sessions < info.max_conns - 4 ? info.max_sessions
								 : info.max_conns - 4);
	files = (int)(info.max_files_per_session < info.max_files ? info.max_files_per_session
								   : info.max_files);
	if (big->sessions > sessions || big->files > files) {
		printf("the daemon's limits (%u clients, %u sessions, %u files, %u per session): "
		       "%d sessions and %d files instead of %d and %d\n", info.max_conns,
		       info.max_sessions, info.max_files, info.max_files_per_session,
		       big->sessions < sessions ? big->sessions : sessions,
		       big->files < files ? big->files : files, big->sessions, big->files);
		if (big->sessions > sessions)
			big->sessions = sessions;
		if (big->files > files)
			big->files = files;
	}
}

int main(int argc, char **argv)
{
	struct size small = { 2000, 500 }, big = { 8192, 8192 };
	static double us[2][NOPS][MAX_REPEATS], ratio[NOPS][MAX_REPEATS];
	int repeats = 5, opt;
	struct rlimit rl;

	while ((opt = getopt(argc, argv, "r:")) != -1) {
		if (opt != 'r')
			goto usage;
		repeats = atoi(optarg);
	}
	if (argc - optind == 4) {
		small = (struct size){ atoi(argv[optind]), atoi(argv[optind + 1]) };
		big = (struct size){ atoi(argv[optind + 2]), atoi(argv[optind + 3]) };
	} else if (argc != optind) {
		goto usage;
	}
	if (repeats < 1 || repeats > MAX_REPEATS || small.sessions < 1 || small.files < 1 ||
	    big.sessions < 1 || big.files < 1)
		goto usage;
	/* one fd per session, as with the kernel */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	fit(&big);
	if (small.sessions > big.sessions)
		small.sessions = big.sessions;
	if (small.files > big.files)
		small.files = big.files;

	for (int r = 0; r < repeats; r++) {
		double one[2][NOPS];

		/* alternate which size goes first: neither always runs warm */
		for (int k = 0; k < 2; k++) {
			int which = (k + r) % 2;

			pass(which ? big : small, one[which]);
		}
		for (int op = 0; op < NOPS; op++) {
			us[0][op][r] = one[0][op];
			us[1][op][r] = one[1][op];
			ratio[op][r] = one[1][op] / one[0][op];
		}
	}

	printf("liveupdate-sim, microseconds per operation, median [min-max] of %d "
	       "repetitions, sizes in alternating order\n", repeats);
	printf("%-16s %8d sessions   %8d sessions   ratio\n", "", small.sessions, big.sessions);
	printf("%-16s %8d files      %8d files      big/small\n", "", small.files, big.files);
	for (int op = 0; op < NOPS; op++) {
		double a[3], b[3], q[3];

		stats(us[0][op], repeats, a);
		stats(us[1][op], repeats, b);
		stats(ratio[op], repeats, q);
		printf("%-16s %6.1f [%5.1f-%5.1f] %6.1f [%5.1f-%5.1f]  %4.2f [%4.2f-%4.2f]\n",
		       op_name[op], a[0], a[1], a[2], b[0], b[1], b[2], b[0] / a[0], q[1], q[2]);
	}
	return 0;
usage:
	fprintf(stderr, "usage: scale [-r REPEATS] "
		"[SMALL_SESSIONS SMALL_FILES BIG_SESSIONS BIG_FILES]\n");
	return 2;
}
