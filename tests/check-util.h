/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers shared by the Check-based tests (tests/unit, tests/sim). */
#ifndef LU_TESTS_CHECK_UTIL_H
#define LU_TESTS_CHECK_UTIL_H

#include <check.h>
#include <stdio.h>
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

/* Run a suite; the process' exit status: 0 when every test passed. */
static inline int run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

#endif
