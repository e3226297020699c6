/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench: what the session manifest costs, against the raw requests, on
 * liveupdate-sim. A library pass creates N sessions with
 * liveupdate_session_create() (manifest on, the default), then in the
 * first P of them (P = N up to 2,000: the daemon holds 11,712 files)
 * preserves a one-page memfd by token alone (liveupdate_session_preserve_fd,
 * the default path), then one with a label (the session's first record,
 * which makes and preserves the manifest's first piece), then another one
 * with a label (a record appended to that piece). A raw pass makes the
 * same requests through the backend alone (the sessions' and files' own
 * requests, no library logic, no manifest). Each call is timed by itself;
 * a pass gives the median time per call of each operation, and its
 * fastest call. Passes alternate (library first, then raw first), the
 * daemon settles between them, and they repeat: each line gives, for both
 * sides, the median over the repetitions and its range, and the ratio of
 * the medians with the range of each repetition's ratio. The memory the
 * manifests pin is reported too.
 *
 * With --judge the fastest call of each side over all repetitions (what
 * the machine's load cannot lower: these machines vary 3 to 4 times
 * between repetitions) is compared, and the program fails when the default
 * path, creating a session or preserving a file by token, costs more than
 * 1.10 times the raw request, or a labelled preserve once the first piece
 * exists more than 1.25 times (it adds two system calls, fstat and fcntl,
 * to describe the file, and the record's write: about 3 us, a tenth of the
 * simulator's request, less of the kernel's). The first labelled preserve
 * of a session also makes and preserves the manifest's first piece: about
 * one more request, reported and not judged.
 *
 * Usage: bench [--judge] [-r REPEATS] [N...]   (LIBLIVEUPDATE_SIM_SOCKET set)
 * Defaults: 5 repetitions of 1,000 and 8,000 sessions (the simulator holds
 * 8,192; the real kernel's 10,000 are measured by the VM scenario
 * lib-scale); --judge: 9 repetitions of 300.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "liveupdate-private.h"
#include "manifest-format.h"
#include "../check-plain.h"

#define MAX_REPEATS 99
#define MAX_PRESERVING 2000

enum op { CREATE, PRESERVE, FIRST_LABEL, LABEL, NOPS };
static const char *const op_name[NOPS] = {
	"create session", "preserve by token", "first labelled preserve",
	"labelled preserve",
};
/* the most library/raw --judge allows; 0: not judged */
static const double bound[NOPS] = { 1.10, 1.10, 0, 1.25 };

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int page_memfd(void)
{
	int fd = memfd_create("bench", MFD_CLOEXEC);

	if (fd < 0 || ftruncate(fd, 4096) < 0 || pwrite(fd, "x", 1, 0) != 1) {
		perror("bench: memfd");
		exit(1);
	}
	return fd;
}

static char sock_path[LU_SIM_PATH_MAX];

static void session_name(char *buf, size_t len, int i)
{
	snprintf(buf, len, "bench-%d", i);
}

/* The us each call of one pass took, per operation. */
struct pass {
	double *call[NOPS];
	int n[NOPS];
};

/* One library pass: the calls' times into t, manifest bytes pinned. */
static size_t lib_pass(struct liveupdate_ctx *ctx, int n, struct pass *t)
{
	struct liveupdate_session **s = calloc((size_t)n, sizeof(*s));
	int p = n < MAX_PRESERVING ? n : MAX_PRESERVING;
	size_t pinned = 0;
	char name[32], label[32];

	if (!s)
		exit(1);
	for (int i = 0; i < n; i++) {
		double t0;

		session_name(name, sizeof(name), i);
		t0 = now_us();
		CHECK(liveupdate_session_create(ctx, name, &s[i]));
		t->call[CREATE][i] = now_us() - t0;
	}
	t->n[CREATE] = n;
	for (int op = PRESERVE; op < NOPS; op++) {
		for (int i = 0; i < p; i++) {
			LIVEUPDATE_OPTS(liveupdate_preserve_opts, o, .label = label);
			int fd = page_memfd();
			double t0;

			snprintf(label, sizeof(label), "file-%d", op);
			t0 = now_us();
			if (op == PRESERVE)
				CHECK(liveupdate_session_preserve_fd(s[i], fd, 1));
			else
				CHECK(liveupdate_session_preserve_fd_opts(s[i], fd, &o, NULL));
			t->call[op][i] = now_us() - t0;
			close(fd);
		}
		t->n[op] = p;
	}
	for (int i = 0; i < n; i++) {
		pinned += lu_session_manifest(s[i])->total;
		liveupdate_session_unref(s[i]);
	}
	free(s);
	return pinned;
}

/* The same requests through the backend alone. */
static void raw_pass(struct liveupdate_ctx *ctx, int n, struct pass *t)
{
	int *fds = calloc((size_t)n, sizeof(*fds)), dev = lu_ctx_device_fd(ctx);
	int p = n < MAX_PRESERVING ? n : MAX_PRESERVING;

	if (!fds || dev < 0)
		exit(1);
	for (int i = 0; i < n; i++) {
		struct liveupdate_ioctl_create_session req = { .size = sizeof(req) };
		double t0;

		session_name((char *)req.name, sizeof(req.name), i);
		t0 = now_us();
		CHECK(lu_backend_ioctl(ctx, dev, LIVEUPDATE_IOCTL_CREATE_SESSION, &req));
		t->call[CREATE][i] = now_us() - t0;
		fds[i] = req.fd;
	}
	t->n[CREATE] = n;
	for (int op = PRESERVE; op < NOPS; op++) {
		for (int i = 0; i < p; i++) {
			struct liveupdate_session_preserve_fd req = {
				.size = sizeof(req), .fd = page_memfd(), .token = (uint64_t)op };
			double t0 = now_us();

			CHECK(lu_backend_ioctl(ctx, fds[i], LIVEUPDATE_SESSION_PRESERVE_FD, &req));
			t->call[op][i] = now_us() - t0;
			close(req.fd);
		}
		t->n[op] = p;
	}
	for (int i = 0; i < n; i++)
		lu_backend_close(ctx, fds[i]);
	free(fds);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median of n values (sorted in place). */
static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double least(const double *v, int n)
{
	double m = v[0];

	for (int i = 1; i < n; i++)
		m = v[i] < m ? v[i] : m;
	return m;
}

static double most(const double *v, int n)
{
	double m = v[0];

	for (int i = 1; i < n; i++)
		m = v[i] > m ? v[i] : m;
	return m;
}

/* Repeat both passes at n sessions; print; 1 if --judge finds a ratio over BOUND. */
static int measure(struct liveupdate_ctx *ctx, int n, int repeats, int judge)
{
	double lib[NOPS][MAX_REPEATS], raw[NOPS][MAX_REPEATS], ratio[NOPS][MAX_REPEATS];
	double best[2][NOPS];
	struct pass t[2];
	size_t pinned = 0;
	int over = 0;

	for (int side = 0; side < 2; side++)
		for (int op = 0; op < NOPS; op++) {
			t[side].call[op] = calloc((size_t)n, sizeof(double));
			if (!t[side].call[op])
				exit(1);
			best[side][op] = 1e30;
		}
	for (int r = 0; r < repeats; r++) {
		for (int side = 0; side < 2; side++) {
			sim_settle(sock_path);
			if (side == r % 2)
				pinned = lib_pass(ctx, n, &t[0]);
			else
				raw_pass(ctx, n, &t[1]);
		}
		for (int op = 0; op < NOPS; op++) {
			for (int side = 0; side < 2; side++) {
				double fastest = least(t[side].call[op], t[side].n[op]);

				best[side][op] = fastest < best[side][op] ? fastest : best[side][op];
			}
			lib[op][r] = median(t[0].call[op], t[0].n[op]);
			raw[op][r] = median(t[1].call[op], t[1].n[op]);
			ratio[op][r] = lib[op][r] / raw[op][r];
		}
	}
	printf("%d sessions (preserves in %d of them), %d repetitions, order alternating; "
	       "us per call: median of a pass, median (min..max) over the passes; fastest "
	       "call of all passes\n", n, n < MAX_PRESERVING ? n : MAX_PRESERVING, repeats);
	for (int op = 0; op < NOPS; op++) {
		double fast = best[0][op] / best[1][op];
		double lo[2] = { least(lib[op], repeats), least(raw[op], repeats) };
		double hi[2] = { most(lib[op], repeats), most(raw[op], repeats) };
		double rlo = least(ratio[op], repeats), rhi = most(ratio[op], repeats);
		double ml = median(lib[op], repeats), mr = median(raw[op], repeats);

		bool bad = judge && bound[op] && fast > bound[op];

		printf("  %-23s library %6.1f (%.1f..%.1f)  raw %6.1f (%.1f..%.1f)  "
		       "library/raw %.3f (%.3f..%.3f); fastest %.1f/%.1f = %.3f%s\n",
		       op_name[op], ml, lo[0], hi[0], mr, lo[1], hi[1], ml / mr, rlo, rhi,
		       best[0][op], best[1][op], fast, bad ? "  OVER" : "");
		over |= bad;
	}
	for (int side = 0; side < 2; side++)
		for (int op = 0; op < NOPS; op++)
			free(t[side].call[op]);
	printf("  manifest memory pinned after the pass: %zu KiB in all, %.1f KiB per "
	       "session (each of the first %d has two labelled files)\n", pinned >> 10,
	       pinned / 1024.0 / n, n < MAX_PRESERVING ? n : MAX_PRESERVING);
	return over;
}

int main(int argc, char **argv)
{
	struct liveupdate_ctx *ctx;
	struct rlimit rl;
	int judge = 0, repeats = 0, sizes[8], n_sizes = 0, over = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--judge"))
			judge = 1;
		else if (!strcmp(argv[i], "-r") && i + 1 < argc)
			repeats = atoi(argv[++i]);
		else if (atoi(argv[i]) > 0 && n_sizes < 8)
			sizes[n_sizes++] = atoi(argv[i]);
		else {
			fprintf(stderr, "usage: bench [--judge] [-r REPEATS] [N...]\n");
			return 2;
		}
	}
	if (!repeats)
		repeats = judge ? 9 : 5;
	if (repeats > MAX_REPEATS) {
		fprintf(stderr, "bench: at most %d repetitions\n", MAX_REPEATS);
		return 2;
	}
	if (!n_sizes) {
		sizes[n_sizes++] = judge ? 300 : 1000;
		if (!judge)
			sizes[n_sizes++] = 8000;
	}
	/* a session is an fd here and in the daemon */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (lu_sim_resolve_socket(NULL, sock_path, sizeof(sock_path)) < 0) {
		fprintf(stderr, "bench: no simulator socket (LIBLIVEUPDATE_SIM_SOCKET)\n");
		return 2;
	}
	ctx = sim_ctx();
	for (int i = 0; i < n_sizes; i++)
		over |= measure(ctx, sizes[i], repeats, judge);
	liveupdate_ctx_unref(ctx);
	if (judge)
		printf("%s: library/raw, fastest call against fastest: within %.2f for "
		       "create and preserve by token, %.2f for a labelled preserve\n",
		       over ? "FAIL" : "ok", bound[CREATE], bound[LABEL]);
	return over;
}
