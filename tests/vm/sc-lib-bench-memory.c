/*
 * bench-memory: the guest memory benchmark (opt-in; not a test: it judges
 * nothing but prints one table). Run it alone, with enough guest RAM:
 *
 *   make bench-memory
 *
 * and read the table in tests/vm/bench-memory.log. It keeps 3.3 GiB
 * preserved across the kexec, and Linux 7.3 keeps about 1.5 GiB of a 6 GiB
 * guest as KHO scratch (CMA), which neither preserved pages nor the kexec
 * image may use: hence 6G. Without being named in
 * LUTEST_ONLY it skips at once. Guest time under TCG: compare ratios, not
 * absolute figures. Every comparison alternates which side goes first and
 * repeats ROUNDS times; cells give the median and the spread (min..max).
 *
 * Stage 1: populate GiB/s (single-threaded memset, raw MADV_POPULATE_WRITE
 * on NTHREADS threads, the library's populate); the move off HugeTLB (copy
 * rate, peak extra memory, with and without release_source); library
 * against raw ioctl per PRESERVE_FD; preserve time of 256 MiB and 1 GiB in
 * 4 KiB pages and AUTO; guest RAM as one memfd, as NTHREADS memfds in one
 * session and in NTHREADS sessions.
 * Stage 2: the retrieve side of the same.
 * Stages 2 to 6: the four 256 MiB / 1 GiB objects retrieved (timed), then
 * preserved again for the next update, so that retrieve, which can only be
 * timed once per update, gets ROUNDS samples too; the last stage prints
 * the whole table.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <linux/liveupdate.h>

#include "lutest-lib.h"

#define MiB (1ull << 20)
#define ROUNDS 5
#define NOPS 300                 /* preserve/retrieve calls per round and side */
#define LAST_STAGE (1 + ROUNDS) /* one retrieve sample per update */
#define NTHREADS 2               /* the VM's vCPUs */
#define POP_SIZE (512 * MiB)
#define MOVE_SIZE (256 * MiB)
#define SPLIT_SIZE (256 * MiB)   /* guest RAM of the split test, 4 KiB pages */
#define LIB_S "bench-mem-lib"
#define RAW_S "bench-mem-raw"
#define SIZES_S "bench-mem-sizes"
#define SPLIT1_S "bench-mem-split-one"
#define SPLITN_S "bench-mem-split-1s"

static const struct { uint64_t size; enum liveupdate_memory_backing b; const char *name; } sized[] = {
	{ 256 * MiB, LIVEUPDATE_MEMORY_SHMEM, "256M-4K" },
	{ 256 * MiB, LIVEUPDATE_MEMORY_AUTO, "256M-AUTO" },
	{ 1024 * MiB, LIVEUPDATE_MEMORY_SHMEM, "1G-4K" },
	{ 1024 * MiB, LIVEUPDATE_MEMORY_AUTO, "1G-AUTO" },
};
#define NSIZED 4

/* ---- small statistics ---- */

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* "median (min..max)" of n samples, with a printf format for each. */
static const char *spread(char *buf, size_t len, double *v, int n, const char *fmt)
{
	char a[32], b[32], c[32];
	qsort(v, n, sizeof(*v), cmp_d);
	snprintf(a, sizeof(a), fmt, n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2);
	snprintf(b, sizeof(b), fmt, v[0]);
	snprintf(c, sizeof(c), fmt, v[n - 1]);
	snprintf(buf, len, "%s (%s..%s)", a, b, c);
	return buf;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_d);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Table rows: printed at once and carried from stage to stage (a stage's
 * state only reaches the next one); the last stage prints them all. */
static char rows[24][400];
static int nrows;

static void row(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void row(const char *fmt, ...)
{
	char key[16];
	va_list ap;
	if (nrows == 24)
		lt_fail("too many rows");
	va_start(ap, fmt);
	vsnprintf(rows[nrows], sizeof(rows[0]), fmt, ap);
	va_end(ap);
	lt_log("BENCH %s", rows[nrows]);
	snprintf(key, sizeof(key), "row%02d", nrows);
	lt_state_put(key, "%s", rows[nrows++]);
}

/* Pass key on to the next stage unchanged; its value, or NULL. */
static const char *carry(const char *key)
{
	static char v[2048];
	const char *got = lt_state_get(key);
	if (!got)
		return NULL;
	snprintf(v, sizeof(v), "%s", got);
	lt_state_put(key, "%s", v);
	return v;
}

static void carry_rows(void)
{
	char key[16];
	const char *v;
	for (nrows = 0; nrows < 24; nrows++) {
		snprintf(key, sizeof(key), "row%02d", nrows);
		if (!(v = carry(key)))
			break;
		snprintf(rows[nrows], sizeof(rows[0]), "%s", v);
	}
}

static uint64_t meminfo_kb(const char *key)
{
	char buf[8192], *p;
	int fd = open("/proc/meminfo", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	close(fd);
	LT_CHECK(n > 0, "/proc/meminfo");
	buf[n] = 0;
	p = strstr(buf, key);
	LT_CHECK(p, "%s not in /proc/meminfo", key);
	return strtoull(p + strlen(key) + 1, NULL, 10);
}

static void write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	LT_CHECK(fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text),
		 "writing %s: %s", path, lt_errname(errno));
	close(fd);
}

static struct liveupdate_memory *mem_new(struct liveupdate_ctx *ctx, uint64_t size,
					 enum liveupdate_memory_backing b)
{
	LIVEUPDATE_OPTS(liveupdate_memory_opts, o, .size = size, .backing = b);
	struct liveupdate_memory *m = NULL;
	LT_OK(liveupdate_memory_new(ctx, &o, &m));
	return m;
}

/* ---- populate ---- */

struct raw_pop { unsigned char *addr; size_t len; int err; };

static void *raw_pop_thread(void *arg)
{
	struct raw_pop *r = arg;
	if (madvise(r->addr, r->len, MADV_POPULATE_WRITE) < 0)
		r->err = errno;
	return NULL;
}

/* GiB/s of one populate method on fresh AUTO memory. */
static double populate_once(struct liveupdate_ctx *ctx, int method)
{
	struct liveupdate_memory *m = mem_new(ctx, POP_SIZE, LIVEUPDATE_MEMORY_AUTO);
	unsigned char *addr;
	uint64_t t0;

	LT_OK(liveupdate_memory_map(m, (void **)&addr));
	t0 = lt_now_ns();
	if (method == 0) {
		memset(addr, 0, POP_SIZE);
	} else if (method == 1) {
		pthread_t t[NTHREADS];
		struct raw_pop r[NTHREADS];
		for (int i = 0; i < NTHREADS; i++) {
			r[i] = (struct raw_pop){ addr + i * (POP_SIZE / NTHREADS), POP_SIZE / NTHREADS, 0 };
			pthread_create(&t[i], NULL, raw_pop_thread, &r[i]);
		}
		for (int i = 0; i < NTHREADS; i++) {
			pthread_join(t[i], NULL);
			LT_CHECK(!r[i].err, "MADV_POPULATE_WRITE: %s", lt_errname(r[i].err));
		}
	} else {
		LT_OK(liveupdate_memory_populate(m, NTHREADS));
	}
	double secs = (lt_now_ns() - t0) / 1e9;
	liveupdate_memory_unref(m);
	return POP_SIZE / (double)(1ull << 30) / secs;
}

static void bench_populate(struct liveupdate_ctx *ctx)
{
	static const char *const names[] = { "memset, 1 thread", "raw MADV_POPULATE_WRITE",
					     "liveupdate_memory_populate" };
	double v[3][ROUNDS], med[3];
	char s[80];

	for (int r = 0; r < ROUNDS; r++)
		for (int k = 0; k < 3; k++) {
			int method = (k + r) % 3; /* each method takes each place in turn */
			v[method][r] = populate_once(ctx, method);
		}
	for (int m = 0; m < 3; m++)
		med[m] = median(v[m], ROUNDS);
	for (int m = 0; m < 3; m++) {
		spread(s, sizeof(s), v[m], ROUNDS, "%.2f");
		row("populate %u MiB AUTO | %s%s | GiB/s %s | vs raw %.2fx", (unsigned)(POP_SIZE >> 20),
		    names[m], m ? ", " "2 threads" : "", s, med[m] / med[1]);
	}
}

/* ---- moving off HugeTLB ---- */

struct peak { uint64_t base_kb, min_kb; };

static uint64_t free_kb(void)
{
	/* free memory plus free HugeTLB pages: what the move may use */
	return meminfo_kb("MemFree:") + meminfo_kb("HugePages_Free:") * 2048;
}

static int track_peak(void *data, uint64_t done, uint64_t total)
{
	struct peak *p = data;
	uint64_t f = free_kb();
	(void)done; (void)total;
	if (f < p->min_kb)
		p->min_kb = f;
	return 0;
}

static void bench_move(struct liveupdate_ctx *ctx)
{
	char text[32];
	void *addr;

	snprintf(text, sizeof(text), "%llu", (unsigned long long)(MOVE_SIZE / (2 * MiB)));
	write_text("/proc/sys/vm/nr_hugepages", text);
	for (int release = 0; release < 2; release++) {
		double rate[ROUNDS], extra[ROUNDS];
		char s1[80], s2[80];
		for (int r = 0; r < ROUNDS; r++) {
			struct liveupdate_memory *h = mem_new(ctx, MOVE_SIZE, LIVEUPDATE_MEMORY_HUGETLB), *d;
			struct peak p;
			LIVEUPDATE_OPTS(liveupdate_memory_move_opts, o, .threads = NTHREADS,
					.release_source = release, .progress = track_peak,
					.progress_data = &p);
			LT_OK(liveupdate_memory_map(h, &addr));
			lt_fill(addr, MOVE_SIZE, 77 + r);
			LT_OK(liveupdate_memory_unmap(h));
			p.base_kb = p.min_kb = free_kb();
			uint64_t t0 = lt_now_ns();
			LT_OK(liveupdate_memory_move_to_thp(h, &o, &d));
			double secs = (lt_now_ns() - t0) / 1e9;
			track_peak(&p, 0, 0);
			rate[r] = MOVE_SIZE / (double)(1ull << 30) / secs;
			extra[r] = (double)(p.base_kb - p.min_kb) / 1024;
			LT_CHECK(lt_fd_verify(liveupdate_memory_get_fd(d), MOVE_SIZE, 77 + r) == -1,
				 "moved memory differs");
			liveupdate_memory_unref(d);
			liveupdate_memory_unref(h);
		}
		spread(s1, sizeof(s1), rate, ROUNDS, "%.2f");
		spread(s2, sizeof(s2), extra, ROUNDS, "%.0f");
		row("move %u MiB HugeTLB -> THP | %s | GiB/s %s = %.0f s per 100 GiB | peak extra MiB %s",
		    (unsigned)(MOVE_SIZE >> 20), release ? "release_source" : "keep source", s1,
		    100 / median(rate, ROUNDS), s2);
	}
	write_text("/proc/sys/vm/nr_hugepages", "0");
}

/* ---- library against raw ioctl, per operation ---- */

static int dev_fd(void)
{
	char path[64], target[64];
	for (int fd = 3; fd < 1024; fd++) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		ssize_t n = readlink(path, target, sizeof(target) - 1);
		if (n > 0 && (target[n] = 0, !strcmp(target, "/dev/liveupdate")))
			return fd;
	}
	lt_fail("the library's /dev/liveupdate fd not found");
}

static int raw_session(int dev, unsigned long req, const char *name)
{
	struct liveupdate_ioctl_create_session cs = { .size = sizeof(cs) };
	snprintf((char *)cs.name, sizeof(cs.name), "%s", name);
	LT_CHECK(ioctl(dev, req, &cs) == 0, "raw session %s: %s", name, lt_errname(errno));
	return cs.fd;
}

/*
 * One round of NOPS calls on each side, interleaved call by call (which side
 * goes first alternates with each call and each round), each call timed
 * alone: the median us per call of the round for the library and for the
 * raw ioctl (a median, as TCG and the shared host add rare huge stalls).
 */
static double call_ns[2][NOPS];

/* One side of a preserve comparison: a library session, or a raw session fd. */
struct preserver {
	struct liveupdate_session *lib;
	int raw;
};

static int preserve_one(const struct preserver *p, int fd, uint64_t token)
{
	struct liveupdate_session_preserve_fd pf = { .size = sizeof(pf), .fd = fd, .token = token };

	if (p->lib)
		return liveupdate_session_preserve_fd(p->lib, fd, token);
	return ioctl(p->raw, LIVEUPDATE_SESSION_PRESERVE_FD, &pf) == 0 ? 0 : -errno;
}

/* Side 0 against side 1, as above: the median us per call of each. */
static void preserve_round(const struct preserver side[2], int r, double *l, double *w)
{
	static int fds[2][NOPS];
	for (int i = 0; i < NOPS; i++)
		for (int k = 0; k < 2; k++)
			fds[k][i] = lt_memfd("bench-op", 4096, i);
	for (int i = 0; i < NOPS; i++)
		for (int k = 0; k < 2; k++) {
			int which = (i + r + k) % 2, ret;
			uint64_t token = (uint64_t)r * NOPS + i, t0 = lt_now_ns();

			ret = preserve_one(&side[which], fds[which][i], token);
			call_ns[which][i] = lt_now_ns() - t0;
			LT_CHECK(ret == 0, "preserve (side %d): %s", which, lt_errname(-ret));
		}
	for (int i = 0; i < NOPS; i++)
		for (int k = 0; k < 2; k++)
			close(fds[k][i]);
	*l = median(call_ns[0], NOPS) / 1e3;
	*w = median(call_ns[1], NOPS) / 1e3;
}

static void retrieve_round(struct liveupdate_session *lib, int raw, int r, double *l, double *w)
{
	for (int i = 0; i < NOPS; i++)
		for (int k = 0; k < 2; k++) {
			int use_lib = (i + r + k) % 2 == 0, fd = -1;
			uint64_t token = (uint64_t)r * NOPS + i, t0 = lt_now_ns();
			if (use_lib) {
				int ret = liveupdate_session_retrieve_fd(lib, token, &fd);
				call_ns[0][i] = lt_now_ns() - t0;
				LT_OK(ret);
			} else {
				struct liveupdate_session_retrieve_fd rf = { .size = sizeof(rf), .token = token };
				int ret = ioctl(raw, LIVEUPDATE_SESSION_RETRIEVE_FD, &rf);
				call_ns[1][i] = lt_now_ns() - t0;
				LT_CHECK(ret == 0, "raw retrieve: %s", lt_errname(errno));
				fd = rf.fd;
			}
			close(fd);
		}
	*l = median(call_ns[0], NOPS) / 1e3;
	*w = median(call_ns[1], NOPS) / 1e3;
}

static void report_ops(const char *what, const char *a, const char *b,
		       double lib[ROUNDS], double raw[ROUNDS])
{
	double ratio[ROUNDS];
	char s1[80], s2[80], s3[80];
	for (int r = 0; r < ROUNDS; r++)
		ratio[r] = lib[r] / raw[r];
	row("%s x%d, %d rounds, calls interleaved | us per call (median of each round): %s %s, %s %s | "
	    "%s/%s %s", what, NOPS, ROUNDS, a, spread(s1, sizeof(s1), lib, ROUNDS, "%.1f"),
	    b, spread(s2, sizeof(s2), raw, ROUNDS, "%.1f"), a, b,
	    spread(s3, sizeof(s3), ratio, ROUNDS, "%.3f"));
}

/*
 * The library's own cost against the raw ioctl, on a session without a
 * manifest (the raw side keeps none either); then what keeping the manifest
 * adds to each preserve: a library session with one against one without.
 */
static void ops(struct liveupdate_ctx *ctx, int stage)
{
	LIVEUPDATE_OPTS(liveupdate_session_opts, plain, .flags = LIVEUPDATE_SESSION_NO_MANIFEST);
	struct liveupdate_session *lib = NULL, *with_manifest = NULL;
	double l[ROUNDS], w[ROUNDS];
	int dev, raw;

	if (stage == 1) {
		LT_OK(liveupdate_session_create_opts(ctx, LIB_S, &plain, &lib));
		dev = dev_fd();
		raw = raw_session(dev, LIVEUPDATE_IOCTL_CREATE_SESSION, RAW_S);
	} else {
		LT_OK(liveupdate_session_retrieve(ctx, LIB_S, &lib));
		dev = dev_fd();
		raw = raw_session(dev, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, RAW_S);
	}
	for (int r = 0; r < ROUNDS; r++) {
		if (stage == 1) {
			const struct preserver side[2] = { { lib, -1 }, { NULL, raw } };

			preserve_round(side, r, &l[r], &w[r]);
		} else {
			retrieve_round(lib, raw, r, &l[r], &w[r]);
		}
	}
	report_ops(stage == 1 ? "PRESERVE_FD one-page memfd" : "RETRIEVE_FD one-page memfd",
		   "library", "raw ioctl", l, w);
	if (stage == 1) {
		struct liveupdate_session *scratch = NULL;

		LT_OK(liveupdate_session_create(ctx, LIB_S "-manifest", &with_manifest));
		LT_OK(liveupdate_session_create_opts(ctx, LIB_S "-plain", &plain, &scratch));
		for (int r = 0; r < ROUNDS; r++) {
			const struct preserver side[2] = { { with_manifest, -1 }, { scratch, -1 } };

			preserve_round(side, r, &l[r], &w[r]);
		}
		report_ops("PRESERVE_FD one-page memfd, the manifest's cost", "with manifest",
			   "without", l, w);
		liveupdate_session_unref(with_manifest);
		liveupdate_session_unref(scratch);
		lt_keep_fd(liveupdate_session_get_fd(lib));
		lt_keep_fd(raw);
	} else {
		close(raw);
		liveupdate_session_unref(lib);
	}
}

/* ---- 4 KiB against AUTO, 256 MiB and 1 GiB ---- */

static uint64_t entries(struct liveupdate_memory *m)
{
	uint64_t huge = 0, size = liveupdate_memory_get_size(m);
	LT_OK(liveupdate_memory_huge_bytes(m, &huge));
	return huge / (2 * MiB) + (size - huge) / 4096;
}

static void sizes_stage1(struct liveupdate_ctx *ctx)
{
	struct liveupdate_memory *m[NSIZED];
	struct liveupdate_session *keep = NULL;
	double t[NSIZED][ROUNDS + 1];

	for (int i = 0; i < NSIZED; i++) {
		m[i] = mem_new(ctx, sized[i].size, sized[i].b);
		LT_OK(liveupdate_memory_populate(m[i], NTHREADS));
		void *addr;
		LT_OK(liveupdate_memory_map(m[i], &addr));
		lt_fill(addr, 4096, 500 + i);
		lt_fill((char *)addr + sized[i].size - 4096, 4096, 600 + i);
		LT_OK(liveupdate_memory_unmap(m[i]));
	}
	/* ROUNDS aborted preserves, each object's place rotating, then the kept one */
	for (int r = 0; r <= ROUNDS; r++) {
		struct liveupdate_session *s = NULL;
		char name[48];
		snprintf(name, sizeof(name), "bench-mem-try-%d", r);
		LT_OK(liveupdate_session_create(ctx, r < ROUNDS ? name : SIZES_S, &s));
		for (int k = 0; k < NSIZED; k++) {
			int i = (k + r) % NSIZED;
			uint64_t t0 = lt_now_ns();
			LT_OK(liveupdate_memory_preserve(m[i], s, i));
			t[i][r] = (lt_now_ns() - t0) / 1e6;
		}
		if (r < ROUNDS)
			liveupdate_session_unref(s); /* aborts */
		else
			keep = s;
	}
	for (int i = 0; i < NSIZED; i++) {
		char s[80];
		char key[32];
		snprintf(key, sizeof(key), "pre-%s", sized[i].name);
		lt_state_put(key, "%s|%" PRIu64 "|%.3f", spread(s, sizeof(s), t[i], ROUNDS + 1, "%.2f"),
			     entries(m[i]), median(t[i], ROUNDS + 1));
		lt_log("%s: %s", sized[i].name, liveupdate_memory_get_reason(m[i]));
		liveupdate_memory_unref(m[i]);
	}
	lt_keep_fd(liveupdate_session_get_fd(keep));
}

/*
 * Stages 2 .. LAST_STAGE: retrieve the four objects (timed; the order
 * rotates), check them, finish, and except in the last stage preserve
 * them again for the next update: one retrieve sample per update.
 */
static char samples[NSIZED][400]; /* this stage's list of retrieve times */

static void sizes_stage_n(struct liveupdate_ctx *ctx, int stage)
{
	struct liveupdate_session *s = NULL;
	int fds[NSIZED];
	char key[32];

	LT_OK(liveupdate_session_retrieve(ctx, SIZES_S, &s));
	for (int k = 0; k < NSIZED; k++) {
		int i = (k + stage) % NSIZED;
		uint64_t t0 = lt_now_ns();
		LT_OK(liveupdate_session_retrieve_fd(s, i, &fds[i]));
		double ms = (lt_now_ns() - t0) / 1e6;
		struct liveupdate_memory *m = NULL;
		int dup_fd = fcntl(fds[i], F_DUPFD_CLOEXEC, 0);
		t0 = lt_now_ns();
		LT_OK(liveupdate_memory_from_fd(ctx, dup_fd, &m));
		liveupdate_memory_get_backing(m); /* measured here, at first use */
		lt_log("%s: retrieve_fd %.2f ms, backing detection %.2f ms: %s", sized[i].name, ms,
		       (lt_now_ns() - t0) / 1e6, liveupdate_memory_get_reason(m));
		unsigned char *p;
		LT_OK(liveupdate_memory_map(m, (void **)&p));
		LT_CHECK(lt_verify(p, 4096, 500 + i) < 0 &&
			 lt_verify(p + sized[i].size - 4096, 4096, 600 + i) < 0, "%s differs", sized[i].name);
		liveupdate_memory_unref(m);
		snprintf(key, sizeof(key), "ret-%s", sized[i].name);
		const char *prev = lt_state_get(key);
		snprintf(samples[i], sizeof(samples[i]), "%s%s%.3f", prev ? prev : "",
			 prev ? "," : "", ms);
		lt_state_put(key, "%s", samples[i]);
		snprintf(key, sizeof(key), "pre-%s", sized[i].name);
		carry(key);
	}
	LT_OK(liveupdate_session_finish(s));
	liveupdate_session_unref(s);
	if (stage < LAST_STAGE) {
		LT_OK(liveupdate_session_create(ctx, SIZES_S, &s));
		for (int i = 0; i < NSIZED; i++)
			LT_OK(liveupdate_session_preserve_fd(s, fds[i], i));
		lt_keep_fd(liveupdate_session_get_fd(s));
	}
	for (int i = 0; i < NSIZED; i++)
		close(fds[i]);
}

/* The last stage: the rows of 4 KiB against AUTO. */
static void sizes_rows(void)
{
	double ret[NSIZED][ROUNDS], rmed[NSIZED], pmed[NSIZED];
	char pres[NSIZED][80], rs[NSIZED][80], key[32];
	uint64_t ent[NSIZED];

	for (int i = 0; i < NSIZED; i++) {
		int n = 0;
		snprintf(key, sizeof(key), "pre-%s", sized[i].name);
		const char *v = lt_state_get(key);
		LT_CHECK(v && sscanf(v, "%79[^|]|%" SCNu64 "|%lf", pres[i], &ent[i], &pmed[i]) == 3,
			 "state %s", key);
		for (const char *p = samples[i]; *p && n < ROUNDS; n++) {
			ret[i][n] = strtod(p, (char **)&p);
			if (*p == ',')
				p++;
		}
		LT_CHECK(n == ROUNDS, "%s: %d retrieve samples", sized[i].name, n);
		rmed[i] = median(ret[i], n);
		spread(rs[i], sizeof(rs[i]), ret[i], n, "%.2f");
	}
	for (int i = 0; i < NSIZED; i += 2)
		row("%s: 4 KiB vs AUTO | entries %" PRIu64 " vs %" PRIu64 " | preserve ms (median of %d) "
		    "%s vs %s = %.0fx | retrieve ms (median of %d updates) %s vs %s = %.0fx",
		    sized[i].name, ent[i], ent[i + 1], ROUNDS + 1, pres[i], pres[i + 1],
		    pmed[i] / pmed[i + 1], ROUNDS, rs[i], rs[i + 1], rmed[i] / rmed[i + 1]);
}

/* ---- guest RAM split in NTHREADS memfds ---- */

static void split_stage1(struct liveupdate_ctx *ctx)
{
	struct liveupdate_session *one = NULL, *many = NULL;
	LT_OK(liveupdate_session_create(ctx, SPLIT1_S, &one));
	LT_OK(liveupdate_session_create(ctx, SPLITN_S, &many));
	struct liveupdate_memory *m = mem_new(ctx, SPLIT_SIZE, LIVEUPDATE_MEMORY_SHMEM);
	LT_OK(liveupdate_memory_populate(m, NTHREADS));
	LT_OK(liveupdate_memory_preserve(m, one, 0));
	liveupdate_memory_unref(m);
	for (int i = 0; i < NTHREADS; i++) {
		struct liveupdate_session *s = NULL;
		char name[48];
		m = mem_new(ctx, SPLIT_SIZE / NTHREADS, LIVEUPDATE_MEMORY_SHMEM);
		LT_OK(liveupdate_memory_populate(m, 1));
		LT_OK(liveupdate_memory_preserve(m, many, i));
		liveupdate_memory_unref(m);
		m = mem_new(ctx, SPLIT_SIZE / NTHREADS, LIVEUPDATE_MEMORY_SHMEM);
		LT_OK(liveupdate_memory_populate(m, 1));
		snprintf(name, sizeof(name), "bench-mem-split-ns-%d", i);
		LT_OK(liveupdate_session_create(ctx, name, &s));
		LT_OK(liveupdate_memory_preserve(m, s, 0));
		liveupdate_memory_unref(m);
		lt_keep_fd(liveupdate_session_get_fd(s));
	}
	lt_keep_fd(liveupdate_session_get_fd(one));
	lt_keep_fd(liveupdate_session_get_fd(many));
}

struct split_job { struct liveupdate_ctx *ctx; int session_fd; int index; int own_session; int err; };

static void *split_thread(void *arg)
{
	struct split_job *j = arg;
	struct liveupdate_session *s = NULL;
	int sfd = j->session_fd;
	if (j->own_session) {
		char name[48];
		snprintf(name, sizeof(name), "bench-mem-split-ns-%d", j->index);
		j->err = liveupdate_session_retrieve(j->ctx, name, &s);
		if (j->err)
			return NULL;
		sfd = liveupdate_session_get_fd(s);
	}
	/* raw on a shared session fd: the library's session object is one thread's */
	struct liveupdate_session_retrieve_fd rf = { .size = sizeof(rf), .token = j->own_session ? 0 : j->index };
	if (ioctl(sfd, LIVEUPDATE_SESSION_RETRIEVE_FD, &rf) < 0)
		j->err = -errno;
	else
		close(rf.fd);
	liveupdate_session_unref(s);
	return NULL;
}

static double split_threads(struct liveupdate_ctx *ctx, int session_fd, int own)
{
	pthread_t t[NTHREADS];
	struct split_job j[NTHREADS];
	uint64_t t0 = lt_now_ns();
	for (int i = 0; i < NTHREADS; i++) {
		j[i] = (struct split_job){ ctx, session_fd, i, own, 0 };
		pthread_create(&t[i], NULL, split_thread, &j[i]);
	}
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(t[i], NULL);
		LT_CHECK(!j[i].err, "split retrieve %d: %s", i, lt_errname(-j[i].err));
	}
	return (lt_now_ns() - t0) / 1e6;
}

static void split_stage2(struct liveupdate_ctx *ctx)
{
	struct liveupdate_session *one = NULL, *many = NULL;
	double ms_one, ms_1s, ms_ns;
	int fd;

	LT_OK(liveupdate_session_retrieve(ctx, SPLIT1_S, &one));
	LT_OK(liveupdate_session_retrieve(ctx, SPLITN_S, &many));
	uint64_t t0 = lt_now_ns();
	LT_OK(liveupdate_session_retrieve_fd(one, 0, &fd));
	ms_one = (lt_now_ns() - t0) / 1e6;
	close(fd);
	ms_1s = split_threads(ctx, liveupdate_session_get_fd(many), 0);
	ms_ns = split_threads(ctx, -1, 1);
	liveupdate_session_unref(one);
	liveupdate_session_unref(many);
	row("guest RAM %u MiB, 4 KiB pages, retrieve wall ms | 1 memfd %.1f | %d memfds, %d threads, "
	    "1 session %.1f (%.2fx) | %d sessions %.1f (%.2fx)", (unsigned)(SPLIT_SIZE >> 20), ms_one,
	    NTHREADS, NTHREADS, ms_1s, ms_one / ms_1s, NTHREADS, ms_ns, ms_one / ms_ns);
}

/* ---- the scenario ---- */

static bool asked_for(void)
{
	char buf[2048];
	int fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = 0;
	char *only = strstr(buf, "lutest.only=");
	return only && strstr(only, "bench-memory");
}

static void mount_huge_tmpfs(void)
{
	mkdir("/run", 0755);
	mkdir("/run/liveupdate", 0755);
	mkdir(LIVEUPDATE_MEMORY_TMPFS_PATH, 0700);
	LT_CHECK(mount("liveupdate-huge", LIVEUPDATE_MEMORY_TMPFS_PATH, "tmpfs", 0,
		       "huge=always,mode=0700,size=90%") == 0, "mount: %s", lt_errname(errno));
}

static int run(int stage)
{
	struct liveupdate_ctx *ctx;

	if (stage == 1 && !asked_for())
		lt_skip("opt-in benchmark: make bench-memory");
	ctx = lt_ctx_new();
	if (stage == 1) {
		mount_huge_tmpfs(); /* the guest kernel's shmem THP policy is 'never' */
		bench_populate(ctx);
		bench_move(ctx);
		ops(ctx, 1);
		sizes_stage1(ctx);
		split_stage1(ctx);
		return LT_CONTINUE;
	}
	carry_rows();
	if (stage == 2) {
		ops(ctx, 2);
		split_stage2(ctx);
	}
	sizes_stage_n(ctx, stage);
	if (stage < LAST_STAGE) {
		liveupdate_ctx_unref(ctx);
		return LT_CONTINUE;
	}
	sizes_rows();
	liveupdate_ctx_unref(ctx);
	lt_log("BENCH ==== the whole table (guest time under TCG, %d vCPUs) ====", NTHREADS);
	for (int i = 0; i < nrows; i++)
		lt_log("BENCH %s", rows[i]);
	lt_pass("benchmark done; the table is in the BENCH lines above");
}

LT_SCENARIO(bench_memory, "bench-memory", run, 900);
