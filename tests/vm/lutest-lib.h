/*
 * lutest-lib.h: helpers for VM scenarios written against libliveupdate's
 * public API (include/liveupdate/liveupdate.h), linked statically.
 */
#ifndef LUTEST_LIB_H
#define LUTEST_LIB_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <liveupdate/liveupdate.h>

#include "lutest.h"

/* The library's messages go to the console as this scenario's log lines. */
static inline void lt_lib_log(void *data, int priority, const char *file, int line,
			      const char *fn, const char *format, va_list args)
{
	char msg[1024];
	(void)data;
	(void)file;
	(void)line;
	(void)fn;
	vsnprintf(msg, sizeof(msg), format, args);
	lt_log("libliveupdate[%d]: %s", priority, msg);
}

static inline struct liveupdate_ctx *lt_ctx_new(void)
{
	struct liveupdate_ctx *ctx = NULL;
	int r = liveupdate_ctx_new(NULL, &ctx);
	if (r < 0)
		lt_fail("liveupdate_ctx_new: %s (%s)", lt_errname(-r), liveupdate_last_error());
	liveupdate_ctx_set_log_fn(ctx, lt_lib_log, NULL);
	return ctx;
}

/* A library call that must succeed. */
#define LT_OK(expr)							\
	do {								\
		int lt_r_ = (expr);					\
		if (lt_r_ < 0)						\
			lt_fail_at(__FILE__, __LINE__, #expr, "returned -%s: %s", \
				   lt_errname(-lt_r_), liveupdate_last_error()); \
	} while (0)

/* A library call that must fail with exactly -want. */
#define LT_ERR(expr, want)						\
	do {								\
		int lt_r_ = (expr);					\
		if (lt_r_ != -(want))					\
			lt_fail_at(__FILE__, __LINE__, #expr,		\
				   "expected -%s, got %s%s (%s)", lt_errname(want), \
				   lt_r_ < 0 ? "-" : "",		\
				   lt_r_ < 0 ? lt_errname(-lt_r_) : "success", \
				   lt_r_ < 0 ? liveupdate_last_error() : ""); \
		lt_log("ok: %s -> -%s", #expr, lt_errname(want));	\
	} while (0)

/* A memfd of @size bytes holding lt_fill(@seed). */
static inline int lt_memfd(const char *name, size_t size, uint64_t seed)
{
	int fd = memfd_create(name, MFD_CLOEXEC);
	if (fd < 0)
		lt_fail("memfd_create(%s): %s", name, lt_errname(errno));
	if (ftruncate(fd, (off_t)size) < 0)
		lt_fail("ftruncate(%s, %zu): %s", name, size, lt_errname(errno));
	if (lt_fd_fill(fd, size, seed) < 0)
		lt_fail("filling %s: %s", name, lt_errname(errno));
	return fd;
}

/* Fails unless fd is exactly @size bytes of lt_fill(@seed). */
static inline void lt_check_memfd(int fd, size_t size, uint64_t seed, const char *what)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		lt_fail("%s: fstat: %s", what, lt_errname(errno));
	if (st.st_size != (off_t)size)
		lt_fail("%s: size %lld, want %zu", what, (long long)st.st_size, size);
	long bad = lt_fd_verify(fd, size, seed);
	if (bad == -2)
		lt_fail("%s: mmap: %s", what, lt_errname(errno));
	if (bad >= 0)
		lt_fail("%s: byte %ld of %zu differs from the pattern", what, bad, size);
}

#endif
