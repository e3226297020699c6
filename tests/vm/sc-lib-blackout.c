/*
 * lib-blackout: a guest-like workload paused, carried across a real kexec
 * and resumed, with the blackout measured and split; once with its RAM in
 * 4 KiB pages (SHMEM), once in THP.
 *
 * The workload is a thread that keeps counting in word 0 of its RAM (a
 * memory object of the library, populated and filled before it starts).
 * Stage 1 (SHMEM) and stage 2 (THP), inside the pause:
 *   pause    the counting thread is stopped and joined;
 *   preserve the RAM is preserved with the label "guest-ram";
 *   state    the counter goes into a 4 KiB "vcpu-state" object created
 *            before the pause, which is then preserved with its label.
 * The harness then loads the next kernel (a VMM does that before pausing:
 * not counted) and reboots with LINUX_REBOOT_CMD_KEXEC.
 * Stages 2 and 3, after the kexec and the new kernel's boot:
 *   retrieve the session, the RAM and the state by label, map both;
 *   resume   the counter read from the state must equal word 0 of the RAM,
 *            and the thread counts on from it; resumed = its first
 *            increment.
 * Then, outside the blackout: the thread must have started exactly from
 * the paused value, and every byte of the RAM but the counter must match
 * the checksum taken before the reboot; THP must still be huge.
 *
 * Clocks: the parts inside one kernel use CLOCK_MONOTONIC. It restarts at
 * a kexec, so the kexec and the new kernel's boot are timed on the host:
 * run-vm.sh stamps every serial line with the host's clock as it arrives
 * (vm-serial-times.log), and lib-blackout.check takes the time from the
 * harness's LUTEST-KEXEC line (printed just before the reboot) to the new
 * kernel's LUTEST-STAGE-BEGIN line, and prints the whole split. Each mark
 * waits for the console to drain (tcdrain) so that it leaves the guest
 * when it is printed.
 *
 * RAM size: 1 GiB of THP; 256 MiB of 4 KiB pages, because populating
 * 262144 pages under TCG takes 20 to 70 s, too long for every check-vm run;
 * lutest.blackout_4k_mib=N on the kernel command line (LUTEST_APPEND) sets
 * another: `make bench-kexec-blackout` runs it with 1024.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <termios.h>

#include "lutest-lib.h"

#define MiB (1ull << 20)
#define STATE_MAGIC 0x7374617465763031ull /* "statev01" */
#define RUN_COUNTS 200000	/* increments before each pause and after resume */

static const struct {
	enum liveupdate_memory_backing backing;
	const char *name, *session;
	uint64_t seed, mib;	/* RAM size unless the kernel command line says */
	const char *size_word;	/* the kernel command line's word for the size */
} variants[] = {
	{ LIVEUPDATE_MEMORY_SHMEM, "4K", "lib-blackout-4k", 0xb1a4, 256, "lutest.blackout_4k_mib=" },
	{ LIVEUPDATE_MEMORY_THP, "THP", "lib-blackout-thp", 0xb1a7, 1024, NULL },
};

/* The vCPU state a VMM would write inside the pause. */
struct vcpu_state {
	uint64_t magic, counter;
};

/* The workload: counts in word 0 of the RAM while run is set. */
struct worker {
	volatile uint64_t *ram;
	atomic_int run, resumed;
	uint64_t first; /* word 0 when the thread started */
	pthread_t thread;
};

static void *count(void *arg)
{
	struct worker *w = arg;

	w->first = w->ram[0];
	w->ram[0] = w->first + 1;
	atomic_store(&w->resumed, 1);
	while (atomic_load_explicit(&w->run, memory_order_relaxed))
		w->ram[0] = w->ram[0] + 1;
	return NULL;
}

/* Start counting; returns once the thread has made its first increment. */
static void worker_start(struct worker *w, void *ram)
{
	w->ram = ram;
	atomic_store(&w->run, 1);
	atomic_store(&w->resumed, 0);
	int r = pthread_create(&w->thread, NULL, count, w);
	LT_CHECK(r == 0, "pthread_create: %s", lt_errname(r));
	while (!atomic_load(&w->resumed))
		;
}

static void worker_stop(struct worker *w)
{
	atomic_store(&w->run, 0);
	pthread_join(w->thread, NULL);
}

/* Let the workload run until it has counted @n more. */
static void worker_run(struct worker *w, uint64_t n)
{
	uint64_t until = w->first + n;

	while (w->ram[0] < until)
		usleep(1000);
}

/* A timing mark, on the console before this returns (the host stamps it). */
static void mark(const char *what, const char *variant)
{
	lt_log("MARK %s %s", what, variant);
	tcdrain(1);
}

static double ms(uint64_t a, uint64_t b)
{
	return (b - a) / 1e6;
}

/* Variant v's RAM size in MiB. */
static uint64_t ram_mib(int v)
{
	const char *word = variants[v].size_word;
	char *p, buf[4096];
	int fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	close(fd);
	LT_CHECK(n > 0, "/proc/cmdline: %s", lt_errname(errno));
	buf[n] = 0;
	p = word ? strstr(buf, word) : NULL;
	if (!p)
		return variants[v].mib;
	uint64_t mib = strtoull(p + strlen(word), NULL, 10);
	LT_CHECK(mib >= 1, "%s%" PRIu64 ": want a number of MiB, at least 1", word, mib);
	return mib;
}

/* Every byte of the RAM after word 0 (the counter), in one pass of
 * 8-byte words: fast enough under TCG for 1 GiB. */
static uint64_t ram_checksum(const void *ram, uint64_t size)
{
	return lt_fnv1a64((const char *)ram + 8, size - 8);
}

static void check_huge(struct liveupdate_memory *mem, const char *when)
{
	uint64_t huge = 0, size = liveupdate_memory_get_size(mem);

	LT_OK(liveupdate_memory_huge_bytes(mem, &huge));
	LT_CHECK(huge == size, "THP %s: %" PRIu64 " of %" PRIu64 " bytes in huge pages (%s)",
		 when, huge, size, liveupdate_memory_get_reason(mem));
}

static void preserve_label(struct liveupdate_memory *mem, struct liveupdate_session *s,
			   const char *label)
{
	LIVEUPDATE_OPTS(liveupdate_preserve_opts, po, .label = label);

	LT_OK(liveupdate_memory_preserve_opts(mem, s, &po, NULL));
}

/* Set up the workload with RAM of variant v, run it, pause it, preserve it. */
static int pause_and_preserve(struct liveupdate_ctx *ctx, int v)
{
	uint64_t size = ram_mib(v) * MiB;
	LIVEUPDATE_OPTS(liveupdate_memory_opts, ro, .size = size, .backing = variants[v].backing);
	LIVEUPDATE_OPTS(liveupdate_memory_opts, so, .size = 4096,
			.backing = LIVEUPDATE_MEMORY_SHMEM);
	struct liveupdate_memory *ram = NULL, *state = NULL;
	struct liveupdate_session *s = NULL;
	struct vcpu_state *vs;
	struct worker w = { 0 };
	void *addr;

	if (variants[v].backing == LIVEUPDATE_MEMORY_THP)
		lt_write_text(LT_SHMEM_THP, "advise");
	uint64_t t0 = lt_now_ns();
	LT_OK(liveupdate_memory_new(ctx, &ro, &ram));
	LT_CHECK(liveupdate_memory_get_backing(ram) == variants[v].backing, "%s RAM: backing %d: %s",
		 variants[v].name, liveupdate_memory_get_backing(ram),
		 liveupdate_memory_get_reason(ram));
	LT_OK(liveupdate_memory_populate(ram, 2));
	LT_OK(liveupdate_memory_map(ram, &addr));
	lt_fill(addr, size, variants[v].seed);
	if (variants[v].backing == LIVEUPDATE_MEMORY_THP)
		check_huge(ram, "before the pause");
	LT_OK(liveupdate_memory_new(ctx, &so, &state));
	LT_OK(liveupdate_memory_populate(state, 1));
	LT_OK(liveupdate_memory_map(state, (void **)&vs));
	LT_OK(liveupdate_session_create(ctx, variants[v].session, &s));
	lt_log("%s: %" PRIu64 " MiB of RAM created, populated and filled in %.0f ms: %s",
	       variants[v].name, size >> 20, ms(t0, lt_now_ns()), liveupdate_memory_get_reason(ram));

	((uint64_t *)addr)[0] = 0;
	worker_start(&w, addr);
	worker_run(&w, RUN_COUNTS);

	mark("pause", variants[v].name);
	uint64_t p0 = lt_now_ns();
	worker_stop(&w);
	uint64_t p1 = lt_now_ns();
	preserve_label(ram, s, "guest-ram");
	uint64_t p2 = lt_now_ns();
	vs->magic = STATE_MAGIC;
	vs->counter = w.ram[0];
	preserve_label(state, s, "vcpu-state");
	uint64_t p3 = lt_now_ns();
	mark("ready", variants[v].name);

	lt_log("SPLIT %s before-reboot pause %.3f preserve-ram %.3f state %.3f total %.3f ms "
	       "(guest CLOCK_MONOTONIC, TCG)", variants[v].name, ms(p0, p1), ms(p1, p2),
	       ms(p2, p3), ms(p0, p3));
	lt_state_put("counter", "%" PRIu64, vs->counter);
	lt_state_put("checksum", "%" PRIu64, ram_checksum(addr, size));
	lt_state_put("size", "%" PRIu64, size);
	lt_log("%s: paused at count %" PRIu64 ", RAM checksummed", variants[v].name, vs->counter);
	liveupdate_memory_unref(ram);
	liveupdate_memory_unref(state);
	lt_keep_fd(liveupdate_session_get_fd(s));
	if (variants[v].backing == LIVEUPDATE_MEMORY_THP)
		lt_write_text(LT_SHMEM_THP, "never");
	return LT_CONTINUE;
}

/* Retrieve variant v's workload, resume it, then prove its continuity. */
static void retrieve_and_resume(int v)
{
	struct liveupdate_memory *ram = NULL, *state = NULL;
	struct liveupdate_session *s = NULL;
	struct liveupdate_ctx *ctx;
	struct vcpu_state *vs;
	struct worker w = { 0 };
	uint64_t counter = lt_state_get_u64("counter"), size = lt_state_get_u64("size");
	void *addr;

	mark("retrieve", variants[v].name);
	uint64_t r0 = lt_now_ns();
	ctx = lt_ctx_new();
	LT_OK(liveupdate_session_retrieve(ctx, variants[v].session, &s));
	LT_OK(liveupdate_memory_retrieve_label(s, "guest-ram", &ram));
	LT_OK(liveupdate_memory_retrieve_label(s, "vcpu-state", &state));
	uint64_t r1 = lt_now_ns();
	LT_OK(liveupdate_memory_map(ram, &addr));
	LT_OK(liveupdate_memory_map(state, (void **)&vs));
	uint64_t r2 = lt_now_ns();
	LT_CHECK(vs->magic == STATE_MAGIC && vs->counter == ((uint64_t *)addr)[0],
		 "%s: state (magic %#" PRIx64 ", counter %" PRIu64 ") does not match word 0 of "
		 "the RAM (%" PRIu64 ")", variants[v].name, vs->magic, vs->counter,
		 ((uint64_t *)addr)[0]);
	worker_start(&w, addr);
	uint64_t r3 = lt_now_ns();
	mark("resumed", variants[v].name);

	lt_log("SPLIT %s after-boot retrieve %.3f map %.3f resume %.3f total %.3f ms "
	       "(guest CLOCK_MONOTONIC, TCG)", variants[v].name, ms(r0, r1), ms(r1, r2),
	       ms(r2, r3), ms(r0, r3));
	worker_run(&w, RUN_COUNTS);
	worker_stop(&w);
	LT_CHECK(w.first == counter, "%s: the counter resumed from %" PRIu64 ", paused at %"
		 PRIu64, variants[v].name, w.first, counter);
	LT_CHECK(w.ram[0] >= counter + RUN_COUNTS, "%s: the counter did not go on", variants[v].name);
	LT_CHECK(liveupdate_memory_get_size(ram) == size, "%s: RAM size %" PRIu64 ", want %" PRIu64,
		 variants[v].name, liveupdate_memory_get_size(ram), size);
	uint64_t sum = ram_checksum(addr, size);
	LT_CHECK(sum == lt_state_get_u64("checksum"), "%s: RAM checksum %#" PRIx64 " differs "
		 "from the one taken at the pause", variants[v].name, sum);
	if (variants[v].backing == LIVEUPDATE_MEMORY_THP)
		check_huge(ram, "after the update");
	lt_log("%s: resumed from count %" PRIu64 " exactly, counted on to %" PRIu64 "; RAM "
	       "checksum %#" PRIx64 " byte-exact", variants[v].name, counter, w.ram[0], sum);
	liveupdate_memory_unref(ram);
	liveupdate_memory_unref(state);
	LT_OK(liveupdate_session_finish(s));
	liveupdate_session_unref(s);
	liveupdate_ctx_unref(ctx);
}

static int run(int stage)
{
	if (stage == 1)
		return pause_and_preserve(lt_ctx_new(), 0);
	retrieve_and_resume(stage - 2);
	if (stage == 2)
		return pause_and_preserve(lt_ctx_new(), 1);
	lt_pass("4 KiB and THP RAM: the counter resumed exactly where it paused and the RAM "
		"is byte-exact after each live update (split: SPLIT lines and "
		"lib-blackout.check)");
}

LT_SCENARIO(lib_blackout, "lib-blackout", run, 240);
