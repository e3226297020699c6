/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers shared by the Check-based tests (tests/unit, tests/sim). */
#ifndef LU_TESTS_CHECK_UTIL_H
#define LU_TESTS_CHECK_UTIL_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "liveupdate/liveupdate.h"

/* Collects the library's log lines of one context: the last one, and all. */
struct log_capture {
	int count;
	int last_priority;
	char last[1024];
	char all[4096];
};

static inline void capture_log(void *data, int priority, const char *file,
			       int line, const char *fn, const char *format,
			       va_list args)
{
	struct log_capture *c = data;
	size_t len = strlen(c->all);

	(void)file; (void)line; (void)fn;
	c->count++;
	c->last_priority = priority;
	vsnprintf(c->last, sizeof(c->last), format, args);
	if (len < sizeof(c->all) - 2)
		snprintf(c->all + len, sizeof(c->all) - len, "%s\n", c->last);
}

static inline unsigned char pattern_byte(size_t i, unsigned seed)
{
	return (unsigned char)(seed + i * 31 + (i >> 12));
}

/* A memfd of len bytes filled with a pattern derived from seed. */
static inline int pattern_memfd(size_t len, unsigned seed)
{
	int fd = memfd_create("lu-test", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	unsigned char buf[4096];

	ck_assert_int_ge(fd, 0);
	for (size_t off = 0; off < len; off += sizeof(buf)) {
		size_t n = len - off < sizeof(buf) ? len - off : sizeof(buf);

		for (size_t i = 0; i < n; i++)
			buf[i] = pattern_byte(off + i, seed);
		ck_assert_int_eq(pwrite(fd, buf, n, (off_t)off), (ssize_t)n);
	}
	return fd;
}

/* 1 when fd is exactly len bytes of pattern_memfd(len, seed), else 0. */
static inline int has_pattern(int fd, size_t len, unsigned seed)
{
	unsigned char buf[4096];
	struct stat st;

	if (fstat(fd, &st) < 0 || (size_t)st.st_size != len)
		return 0;
	for (size_t off = 0; off < len; off += sizeof(buf)) {
		size_t n = len - off < sizeof(buf) ? len - off : sizeof(buf);

		if (pread(fd, buf, n, (off_t)off) != (ssize_t)n)
			return 0;
		for (size_t i = 0; i < n; i++)
			if (buf[i] != pattern_byte(off + i, seed))
				return 0;
	}
	return 1;
}

static inline void check_pattern(int fd, size_t len, unsigned seed)
{
	ck_assert_msg(has_pattern(fd, len, seed),
		      "fd %d does not hold the %zu-byte pattern %u", fd, len, seed);
}

/*
 * Tests that cannot run on this host: SKIP_TEST("why") says why and
 * returns from the test; run_suite() then exits 77, which automake reports
 * as SKIP, unless a test failed. Under CI=true a skip is a failure. The
 * count is in shared memory, so that it crosses Check's fork.
 */
static unsigned *skipped_tests;

#define SKIP_TEST(...)                                                          \
	do {                                                                    \
		char why_[1024];                                                \
                                                                                \
		snprintf(why_, sizeof(why_), __VA_ARGS__);                      \
		ck_assert_msg(!getenv("CI") || strcmp(getenv("CI"), "true"),    \
			      "%s: cannot run here (CI=true: a skip is a failure)", \
			      why_);                                            \
		printf("SKIP: %s: %s\n", __func__, why_);                      \
		fflush(stdout);                                                 \
		if (skipped_tests)                                              \
			__atomic_add_fetch(skipped_tests, 1, __ATOMIC_SEQ_CST); \
		return;                                                         \
	} while (0)

/* Run a suite; the process' exit status: 0 when every test passed, 77 when
 * none failed and some could not run (SKIP_TEST), else 1. */
static inline int run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	skipped_tests = mmap(NULL, sizeof(*skipped_tests), PROT_READ | PROT_WRITE,
			     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (skipped_tests == MAP_FAILED)
		skipped_tests = NULL;
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	if (!failed && skipped_tests && *skipped_tests) {
		printf("SKIP: %u test(s) could not run on this host (see above)\n", *skipped_tests);
		return 77;
	}
	return failed ? 1 : 0;
}

#endif
