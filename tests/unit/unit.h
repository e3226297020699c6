/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers shared by the unit tests. */
#ifndef UNIT_H
#define UNIT_H

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "liveupdate/liveupdate.h"
#include "seam.h"
#include "../count-fds.h"

/* Collects the library's log lines of one context. */
struct log_capture {
	int count;
	int last_priority;
	char last[1024];
};

static inline void capture_log(void *data, int priority, const char *file,
			       int line, const char *fn, const char *format,
			       va_list args)
{
	struct log_capture *c = data;

	(void)file; (void)line; (void)fn;
	c->count++;
	c->last_priority = priority;
	vsnprintf(c->last, sizeof(c->last), format, args);
}

/* A context on a freshly started simulator (see seam.h) that logs into *cap. */
static inline struct liveupdate_ctx *seam_ctx(struct log_capture *cap)
{
	struct liveupdate_ctx *ctx = NULL;

	seam_reset();
	ck_assert_int_eq(liveupdate_ctx_new(NULL, &ctx), 0);
	seam_attach(ctx);
	if (cap) {
		memset(cap, 0, sizeof(*cap));
		liveupdate_ctx_set_log_fn(ctx, capture_log, cap);
		liveupdate_ctx_set_log_priority(ctx, 7);
	}
	return ctx;
}

/* A memfd of len bytes filled with a pattern derived from seed. */
static inline int pattern_memfd(size_t len, unsigned seed)
{
	int fd = memfd_create("unit", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	unsigned char buf[4096];

	ck_assert_int_ge(fd, 0);
	for (size_t off = 0; off < len; off += sizeof(buf)) {
		size_t n = len - off < sizeof(buf) ? len - off : sizeof(buf);

		for (size_t i = 0; i < n; i++)
			buf[i] = (unsigned char)(seed + (off + i) * 31);
		ck_assert_int_eq(pwrite(fd, buf, n, (off_t)off), (ssize_t)n);
	}
	return fd;
}

/* Assert that fd holds exactly the pattern pattern_memfd(len, seed) wrote. */
static inline void check_pattern(int fd, size_t len, unsigned seed)
{
	unsigned char *buf = malloc(len);

	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(pread(fd, buf, len, 0), (ssize_t)len);
	for (size_t i = 0; i < len; i++)
		ck_assert_int_eq(buf[i], (unsigned char)(seed + i * 31));
	free(buf);
}

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
