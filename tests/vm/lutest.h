/*
 * lutest.h: the scenario side of the real-kernel VM test harness.
 *
 * The harness (init.c) is PID 1 of the test VM. It runs every scenario in
 * stages: stage 1 in the first kernel, stage 2 after the first live update
 * (kexec), and so on. Each stage of a scenario runs in a child process; the
 * scenario ends the stage with one of
 *
 *   lt_pass()/lt_fail()/lt_skip()   final verdict, printed as
 *                                   "LUTEST <name> PASS|FAIL|SKIP <message>"
 *   return LT_CONTINUE              run me again after the next live update
 *
 * Before returning LT_CONTINUE, a scenario hands the file descriptors that
 * must survive the reboot (its outgoing session fds) to the harness with
 * lt_keep_fd(): the harness holds them across reboot(LINUX_REBOOT_CMD_KEXEC).
 * Small facts for the next stage (checksums, counts) go through
 * lt_state_put()/lt_state_get(); they travel in the next stage's initrd,
 * not through the Live Update Orchestrator.
 */
#ifndef LUTEST_H
#define LUTEST_H

#include <stddef.h>
#include <stdint.h>

enum {
	LT_PASS = 0,
	LT_FAIL = 1,
	LT_CONTINUE = 10,
	LT_SKIP = 77,
};

struct lt_scenario {
	const char *name;	/* [a-z0-9-]+, also the .vmt test's name */
	int (*run)(int stage);	/* returns LT_CONTINUE or calls lt_pass... */
	int timeout_s;		/* per stage; 0: default */
};

/* Register a scenario: LT_SCENARIO(raw_smoke, "raw-smoke", fn, 0); */
#define LT_SCENARIO(id, sname, fn, tmo)					\
	static const struct lt_scenario lt_sc_##id = { sname, fn, tmo };	\
	static const struct lt_scenario *const lt_scp_##id		\
	__attribute__((used, section("lt_scenarios"), aligned(sizeof(void *)))) = &lt_sc_##id

/* Current stage (1-based) and scenario name, in a scenario's process. */
extern int lt_stage;
extern const char *lt_name;

/* Output, one line each on the console. */
void lt_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
__attribute__((noreturn, format(printf, 1, 2))) void lt_pass(const char *fmt, ...);
__attribute__((noreturn, format(printf, 1, 2))) void lt_fail(const char *fmt, ...);
__attribute__((noreturn, format(printf, 1, 2))) void lt_skip(const char *fmt, ...);

#define LT_CHECK(cond, ...)						\
	do {								\
		if (!(cond))						\
			lt_fail_at(__FILE__, __LINE__, #cond, __VA_ARGS__); \
	} while (0)
__attribute__((noreturn, format(printf, 4, 5)))
void lt_fail_at(const char *file, int line, const char *cond, const char *fmt, ...);

/* Expect a call to fail with exactly this errno (rc < 0 or rc == -1). */
#define LT_EXPECT_ERRNO(expr, want)					\
	do {								\
		errno = 0;						\
		long lt_rc_ = (long)(expr);				\
		int lt_e_ = errno;					\
		if (lt_rc_ >= 0 || lt_e_ != (want))			\
			lt_fail_at(__FILE__, __LINE__, #expr,		\
				   "expected %s, got rc=%ld errno=%s",	\
				   lt_errname(want), lt_rc_, lt_errname(lt_e_)); \
		lt_log("ok: %s -> %s", #expr, lt_errname(want));	\
	} while (0)

/* Hold fd across the next live update (only used with LT_CONTINUE). */
void lt_keep_fd(int fd);

/* Key/value facts carried to this scenario's next stage. */
void lt_state_put(const char *key, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *lt_state_get(const char *key);	/* NULL when absent */
uint64_t lt_state_get_u64(const char *key);	/* fails the scenario if absent */

/* Helpers. */
uint64_t lt_now_ns(void);			/* CLOCK_MONOTONIC */
const char *lt_errname(int e);			/* "ENOENT" ... */
void lt_fill(void *buf, size_t len, uint64_t seed);
/* Offset of the first byte differing from lt_fill(seed), or -1. */
long lt_verify(const void *buf, size_t len, uint64_t seed);
uint64_t lt_fnv1a(const void *buf, size_t len);
/* The same hash over 8-byte words (a tail shorter than 8 is left out):
 * eight times fewer steps, for RAM-sized buffers under TCG. */
uint64_t lt_fnv1a64(const void *buf, size_t len);
/* The policy of transparent huge pages for shared memory (memfds). */
#define LT_SHMEM_THP "/sys/kernel/mm/transparent_hugepage/shmem_enabled"
/* Write text into the file path (sysfs); fails the scenario otherwise. */
void lt_write_text(const char *path, const char *text);
/* Whole-file helpers for memfds: map, fill/verify/checksum, unmap. */
int lt_fd_fill(int fd, size_t len, uint64_t seed);
long lt_fd_verify(int fd, size_t len, uint64_t seed);	/* -2 on map error */
uint64_t lt_fd_fnv1a(int fd, size_t len);

#endif
