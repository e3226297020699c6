/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * scale: the cost per operation of liveupdate-sim at two sizes, side by
 * side, through the library. A pass at size (S, F) creates S sessions in
 * all, preserves F memfds in one of them, carries them over a simulated
 * kexec, retrieves every session and every memfd (every byte checked), and
 * finishes every session; each phase is a loop of one operation. The two
 * sizes alternate in order, the daemon settles between passes, the passes
 * are repeated, and two tables show for each operation the median time per
 * operation at each size, its range over the repetitions, and the ratio of
 * the medians with its range (each repetition's big pass over its small
 * pass): wall-clock time, and CPU time of this process and the daemon,
 * which a busy machine disturbs less. Flat costs give ratios near 1.
 * Times are reported, never asserted (a shared machine varies them 3-4x);
 * correctness is.
 *
 * With -i, the daemon runs under valgrind --tool=callgrind and a third
 * table gives the instructions it executes per operation, read with
 * callgrind_control around each phase: a measure the machine's load does
 * not change. With -m MAX as well, scale fails when an operation's ratio
 * of instructions at the big size over the small one exceeds MAX.
 *
 * Usage: scale [-r REPEATS] [-i [-m MAX_RATIO]]
 *              [SMALL_SESSIONS SMALL_FILES BIG_SESSIONS BIG_FILES]
 * (with LIBLIVEUPDATE_SIM_SOCKET set). Defaults: 5 repetitions, the kernel
 * selftests' figures (2000 sessions, 500 files in one session) against the
 * daemon's limits (8192 and 8192), lowered to what the daemon's status says
 * it holds and to this process's RLIMIT_NOFILE.
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

#include <liveupdate/liveupdate.h>

#include "sim-control.h"
#include "../check-plain.h"

#define MAX_REPEATS 99
#define FILES_SESSION "scale-files"

enum op { CREATE, PRESERVE, RETRIEVE, RETRIEVE_FD, FINISH, NOPS };
static const char *const op_name[NOPS] = {
	"create-session", "preserve-fd", "retrieve-session", "retrieve-fd", "finish-session",
};

struct size {
	int sessions, files;
};

static pid_t daemon_pid;
static char sock_path[LU_SIM_PATH_MAX];
static bool count_instructions; /* -i: the daemon runs under callgrind */

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
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

	CHECK_THAT(pread(fd, page, sizeof(page), 0) == sizeof(page), "token %d: %s", i,
		   strerror(errno));
	memcpy(&got, page, sizeof(got));
	CHECK_THAT(got == i && page[100] == 'a' + i % 26,
		   "token %d came back with the wrong bytes", i);
}

/* CPU time so far of this process and the daemon, in microseconds. */
static double cpu_us(void)
{
	unsigned long long daemon_ns = 0;
	struct timespec ts;
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)daemon_pid);
	f = fopen(path, "r");
	if (!f || fscanf(f, "%llu", &daemon_ns) != 1) {
		fprintf(stderr, "scale: %s: cannot read the daemon's CPU time\n", path);
		exit(1);
	}
	fclose(f);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3 + daemon_ns / 1e3;
}

/* Instructions the daemon has executed so far (all its threads), as
 * callgrind_control reports them; 0 without -i. */
static double daemon_instructions(void)
{
	char cmd[64], line[256];
	double total = 0;
	bool seen = false;
	FILE *p;

	if (!count_instructions)
		return 0;
	snprintf(cmd, sizeof(cmd), "callgrind_control -e Ir %d 2>&1", (int)daemon_pid);
	p = popen(cmd, "r");
	while (p && fgets(line, sizeof(line), p)) {
		char digits[64] = "";
		int thread, k = 0;

		/* "   Th 1  8,863" */
		if (sscanf(line, " Th %d %63s", &thread, digits) != 2)
			continue;
		for (const char *d = digits; *d; d++)
			if (*d != ',')
				digits[k++] = *d;
		digits[k] = '\0';
		total += strtod(digits, NULL);
		seen = true;
	}
	if (!p || pclose(p) != 0 || !seen) {
		fprintf(stderr, "scale: callgrind_control -e Ir %d: no instruction count (is the "
			"daemon running under valgrind --tool=callgrind?)\n", (int)daemon_pid);
		exit(1);
	}
	return total;
}

/* One phase of n operations: its start, then its cost per operation. */
struct clock {
	double wall, cpu, instr;
};

static struct clock start(void)
{
	double instr = daemon_instructions();

	return (struct clock){ now_us(), cpu_us(), instr };
}

static void stop(struct clock c, int n, double *wall, double *cpu, double *instr)
{
	double w = now_us(), t = cpu_us();

	*instr = (daemon_instructions() - c.instr) / n;
	*cpu = (t - c.cpu) / n;
	*wall = (w - c.wall) / n;
}

/*
 * One pass at size sz: wall[op] and cpu[op] get the microseconds per
 * operation, instr[op] the daemon's instructions per operation (with -i).
 * Each phase is a loop of that operation only: the memfds are made before
 * and checked after.
 */
static void pass(struct size sz, double wall[NOPS], double cpu[NOPS], double instr[NOPS])
{
	struct liveupdate_session **sessions = calloc((size_t)sz.sessions, sizeof(*sessions));
	int *fds = calloc((size_t)sz.files, sizeof(*fds));
	struct liveupdate_ctx *ctx = sim_ctx();
	struct clock c;
	char name[32];

	if (!sessions || !fds)
		exit(1);
	/* the daemon's costs, not the session manifest's (and 8192 sessions
	 * with a manifest each would hold 8192 more files) */
	LIVEUPDATE_OPTS(liveupdate_session_opts, no_manifest,
			.flags = LIVEUPDATE_SESSION_NO_MANIFEST);

	c = start();
	for (int i = 0; i < sz.sessions; i++) {
		session_name(name, sizeof(name), i);
		CHECK(liveupdate_session_create_opts(ctx, name, &no_manifest, &sessions[i]));
	}
	stop(c, sz.sessions, &wall[CREATE], &cpu[CREATE], &instr[CREATE]);
	for (int i = 0; i < sz.files; i++)
		fds[i] = pattern_file(i);
	c = start();
	for (int i = 0; i < sz.files; i++)
		CHECK(liveupdate_session_preserve_fd(sessions[0], fds[i], (uint64_t)i));
	stop(c, sz.files, &wall[PRESERVE], &cpu[PRESERVE], &instr[PRESERVE]);
	for (int i = 0; i < sz.files; i++)
		close(fds[i]); /* the simulator holds them now, as the kernel would */

	CHECK(liveupdate_kexec_load(ctx, "/proc/self/exe", NULL));
	CHECK(liveupdate_kexec_reboot(ctx));
	/* the previous "boot": its objects and their dead fds go */
	for (int i = 0; i < sz.sessions; i++)
		liveupdate_session_unref(sessions[i]);
	liveupdate_ctx_unref(ctx);
	ctx = sim_ctx();

	c = start();
	for (int i = 0; i < sz.sessions; i++) {
		session_name(name, sizeof(name), i);
		CHECK(liveupdate_session_retrieve(ctx, name, &sessions[i]));
	}
	stop(c, sz.sessions, &wall[RETRIEVE], &cpu[RETRIEVE], &instr[RETRIEVE]);
	c = start();
	for (int i = 0; i < sz.files; i++)
		CHECK(liveupdate_session_retrieve_fd(sessions[0], (uint64_t)i, &fds[i]));
	stop(c, sz.files, &wall[RETRIEVE_FD], &cpu[RETRIEVE_FD], &instr[RETRIEVE_FD]);
	for (int i = 0; i < sz.files; i++) {
		check_file(fds[i], i);
		close(fds[i]);
	}
	/* the session with the files hands them all over: not a per-session cost */
	CHECK(liveupdate_session_finish(sessions[0]));
	c = start();
	for (int i = 1; i < sz.sessions; i++)
		CHECK(liveupdate_session_finish(sessions[i]));
	stop(c, sz.sessions - 1, &wall[FINISH], &cpu[FINISH], &instr[FINISH]);
	for (int i = 0; i < sz.sessions; i++)
		liveupdate_session_unref(sessions[i]);
	liveupdate_ctx_unref(ctx);
	free(sessions);
	free(fds);
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

/*
 * Lower the big size to what the daemon says it holds (sessions take
 * clients; a few clients spare) and to this process's fds (a session and a
 * memfd each).
 */
static void fit(struct size *big)
{
	struct lu_sim_info info;
	struct rlimit rl;
	struct size was = *big;
	int ret;

	if (lu_sim_resolve_socket(NULL, sock_path, sizeof(sock_path)) < 0 ||
	    (ret = lu_sim_ping(sock_path, &info)) < 0) {
		fprintf(stderr, "scale: no liveupdate-sim daemon answers\n");
		exit(1);
	}
	daemon_pid = (pid_t)ret;
	if (big->sessions > (int)info.max_sessions)
		big->sessions = (int)info.max_sessions;
	if (big->sessions > (int)info.max_conns - 4)
		big->sessions = (int)info.max_conns - 4;
	if (big->files > (int)info.max_files_per_session)
		big->files = (int)info.max_files_per_session;
	if (big->files > (int)info.max_files)
		big->files = (int)info.max_files;
	/* one fd per session and per memfd, as with the kernel */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    (rlim_t)big->sessions + (rlim_t)big->files + 64 > rl.rlim_cur) {
		big->sessions = big->sessions < (int)rl.rlim_cur / 2 - 32 ? big->sessions
									   : (int)rl.rlim_cur / 2 - 32;
		big->files = (int)rl.rlim_cur - 64 - big->sessions;
	}
	if (big->sessions != was.sessions || big->files != was.files)
		printf("%d sessions and %d files instead of %d and %d: the daemon holds %u "
		       "clients, %u sessions, %u files, %u per session; this process %llu fds\n",
		       big->sessions, big->files, was.sessions, was.files, info.max_conns,
		       info.max_sessions, info.max_files, info.max_files_per_session,
		       (unsigned long long)rl.rlim_cur);
}

/* Prints the table; returns the highest ratio of the medians, big/small. */
static double print_table(const char *what, const char *unit, int repeats, struct size small,
			  struct size big, double us[2][NOPS][MAX_REPEATS])
{
	double worst = 0;

	printf("%s: %s per operation, median [min-max] of %d repetitions\n", what, unit,
	       repeats);
	printf("%-16s %8d sessions   %8d sessions   ratio\n", "", small.sessions, big.sessions);
	printf("%-16s %8d files      %8d files      big/small\n", "", small.files, big.files);
	for (int op = 0; op < NOPS; op++) {
		double a[3], b[3], q[3], ratio[MAX_REPEATS];

		/* each repetition's pair, run back to back */
		for (int r = 0; r < repeats; r++)
			ratio[r] = us[1][op][r] / us[0][op][r];
		stats(us[0][op], repeats, a);
		stats(us[1][op], repeats, b);
		stats(ratio, repeats, q);
		printf("%-16s %6.1f [%5.1f-%5.1f] %6.1f [%5.1f-%5.1f]  %4.2f [%4.2f-%4.2f]\n",
		       op_name[op], a[0], a[1], a[2], b[0], b[1], b[2], b[0] / a[0], q[1], q[2]);
		if (b[0] / a[0] > worst)
			worst = b[0] / a[0];
	}
	return worst;
}

int main(int argc, char **argv)
{
	struct size small = { 2000, 500 }, big = { 8192, 8192 };
	/* [wall, CPU or instructions][small or big][operation][repetition] */
	static double us[3][2][NOPS][MAX_REPEATS];
	double max_ratio = 0, worst;
	int repeats = 5, opt;

	while ((opt = getopt(argc, argv, "r:im:")) != -1) {
		if (opt == 'r')
			repeats = atoi(optarg);
		else if (opt == 'i')
			count_instructions = true;
		else if (opt == 'm')
			max_ratio = atof(optarg);
		else
			goto usage;
	}
	if (max_ratio && (!count_instructions || max_ratio < 1))
		goto usage;
	if (argc - optind == 4) {
		small = (struct size){ atoi(argv[optind]), atoi(argv[optind + 1]) };
		big = (struct size){ atoi(argv[optind + 2]), atoi(argv[optind + 3]) };
	} else if (argc != optind) {
		goto usage;
	}
	if (repeats < 1 || repeats > MAX_REPEATS || small.sessions < 2 || small.files < 1 ||
	    big.sessions < 1 || big.files < 1)
		goto usage;
	fit(&big);
	if (small.sessions > big.sessions)
		small.sessions = big.sessions;
	if (small.files > big.files)
		small.files = big.files;

	for (int r = 0; r < repeats; r++) {
		/* alternate which size goes first: neither always runs warm */
		for (int k = 0; k < 2; k++) {
			int which = (k + r) % 2;
			double wall[NOPS], cpu[NOPS], instr[NOPS];

			sim_settle(sock_path);
			pass(which ? big : small, wall, cpu, instr);
			for (int op = 0; op < NOPS; op++) {
				us[0][which][op][r] = wall[op];
				us[1][which][op][r] = cpu[op];
				us[2][which][op][r] = instr[op];
			}
		}
	}
	print_table("liveupdate-sim, wall-clock time", "microseconds", repeats, small, big, us[0]);
	print_table("CPU time of this process and the daemon (without waiting for a CPU)",
		    "microseconds", repeats, small, big, us[1]);
	if (!count_instructions)
		return 0;
	worst = print_table("the daemon (valgrind --tool=callgrind)", "instructions", repeats,
			    small, big, us[2]);
	if (max_ratio && worst > max_ratio) {
		fprintf(stderr, "scale: FAIL: an operation costs the daemon %.2fx the instructions "
			"at %d sessions and %d files that it costs at %d and %d (at most %.2fx "
			"allowed): a lookup that grows with the tables?\n", worst, big.sessions,
			big.files, small.sessions, small.files, max_ratio);
		return 1;
	}
	return 0;
usage:
	fprintf(stderr, "usage: scale [-r REPEATS] [-i [-m MAX_RATIO]] "
		"[SMALL_SESSIONS SMALL_FILES BIG_SESSIONS BIG_FILES]\n");
	return 2;
}
