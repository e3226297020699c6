/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Context: lifetime, options, logging, device open, error messages. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include "unit.h"

START_TEST(test_new_ref_unref)
{
	struct liveupdate_ctx *ctx = NULL;

	ck_assert_int_eq(liveupdate_ctx_new(NULL, &ctx), 0);
	ck_assert_ptr_nonnull(ctx);
	ck_assert_str_eq(liveupdate_ctx_get_device_path(ctx), "/dev/liveupdate");
	ck_assert_ptr_eq(liveupdate_ctx_ref(ctx), ctx);
	ck_assert_ptr_eq(liveupdate_ctx_unref(ctx), ctx); /* still referenced */
	ck_assert_ptr_null(liveupdate_ctx_unref(ctx));
	ck_assert_ptr_null(liveupdate_ctx_unref(NULL));
	ck_assert_ptr_null(liveupdate_ctx_ref(NULL));
}
END_TEST

START_TEST(test_new_bad_args)
{
	struct liveupdate_ctx *ctx = (void *)0x1;
	struct {
		struct liveupdate_ctx_opts o;
		char future[16];
	} big;

	ck_assert_int_eq(liveupdate_ctx_new(NULL, NULL), -EINVAL);
	ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "ctxp is NULL"));

	/* a program built against a newer header asking for something unknown */
	memset(&big, 0, sizeof(big));
	big.o.sz = sizeof(big);
	big.future[3] = 1;
	ck_assert_int_eq(liveupdate_ctx_new(&big.o, &ctx), -EINVAL);
	ck_assert_ptr_eq(ctx, (void *)0x1); /* untouched on failure */
	ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "LIVEUPDATE_OPTS"));

	/* ... that left the new fields zero is fine */
	big.future[3] = 0;
	big.o.device_path = "/dev/other";
	ck_assert_int_eq(liveupdate_ctx_new(&big.o, &ctx), 0);
	ck_assert_str_eq(liveupdate_ctx_get_device_path(ctx), "/dev/other");
	liveupdate_ctx_unref(ctx);

	/* a size too small to even hold sz */
	big.o.sz = 2;
	ctx = NULL;
	ck_assert_int_eq(liveupdate_ctx_new(&big.o, &ctx), -EINVAL);
	ck_assert_ptr_null(ctx);

	{
		LIVEUPDATE_OPTS(liveupdate_ctx_opts, empty, .device_path = "");

		ck_assert_int_eq(liveupdate_ctx_new(&empty, &ctx), -EINVAL);
	}
}
END_TEST

START_TEST(test_old_program_opts)
{
	/* a program built when the struct had only sz: defaults apply */
	struct liveupdate_ctx_opts o = { .sz = sizeof(size_t) };
	struct liveupdate_ctx *ctx;

	o.device_path = "/must/not/be/read"; /* beyond its sz */
	ck_assert_int_eq(liveupdate_ctx_new(&o, &ctx), 0);
	ck_assert_str_eq(liveupdate_ctx_get_device_path(ctx), "/dev/liveupdate");
	liveupdate_ctx_unref(ctx);
}
END_TEST

START_TEST(test_log_env_and_fn)
{
	struct liveupdate_ctx *ctx;
	struct log_capture cap = { 0 };
	struct liveupdate_session *s;

	setenv("LIBLIVEUPDATE_LOG", "debug", 1);
	ck_assert_int_eq(liveupdate_ctx_new(NULL, &ctx), 0);
	ck_assert_int_eq(liveupdate_ctx_get_log_priority(ctx), 7);
	liveupdate_ctx_unref(ctx);
	setenv("LIBLIVEUPDATE_LOG", "4", 1);
	ck_assert_int_eq(liveupdate_ctx_new(NULL, &ctx), 0);
	ck_assert_int_eq(liveupdate_ctx_get_log_priority(ctx), 4);
	liveupdate_ctx_unref(ctx);
	setenv("LIBLIVEUPDATE_LOG", "loud", 1);
	ck_assert_int_eq(liveupdate_ctx_new(NULL, &ctx), 0);
	ck_assert_int_eq(liveupdate_ctx_get_log_priority(ctx), 3); /* default kept */
	liveupdate_ctx_unref(ctx);
	unsetenv("LIBLIVEUPDATE_LOG");
	ck_assert_int_eq(liveupdate_ctx_get_log_priority(NULL), -EINVAL);

	ctx = seam_ctx(&cap);
	liveupdate_ctx_set_log_priority(ctx, 3);
	/* misuse is logged at LOG_ERR with the reason */
	ck_assert_int_eq(liveupdate_session_create(ctx, "", &s), -EINVAL);
	ck_assert_int_eq(cap.count, 1);
	ck_assert_int_eq(cap.last_priority, 3);
	ck_assert_ptr_nonnull(strstr(cap.last, "empty"));
	/* a kernel refusal is only info: the caller may expect it */
	ck_assert_int_eq(liveupdate_session_retrieve(ctx, "absent", &s), -ENOENT);
	ck_assert_int_eq(cap.count, 1);
	liveupdate_ctx_set_log_priority(ctx, 6);
	ck_assert_int_eq(liveupdate_session_retrieve(ctx, "absent", &s), -ENOENT);
	ck_assert_int_eq(cap.count, 2);
	ck_assert_ptr_nonnull(strstr(cap.last, "cold boot"));
	/* NULL log fn silences */
	liveupdate_ctx_set_log_fn(ctx, NULL, NULL);
	ck_assert_int_eq(liveupdate_session_create(ctx, "", &s), -EINVAL);
	ck_assert_int_eq(cap.count, 2);
	liveupdate_ctx_unref(ctx);
}
END_TEST

START_TEST(test_open_device)
{
	struct log_capture cap;
	struct liveupdate_ctx *ctx = seam_ctx(&cap);
	int fds = count_fds();

	ck_assert_int_eq(liveupdate_ctx_open_device(NULL), -EINVAL);
	seam_set_device_absent(true);
	ck_assert_int_eq(liveupdate_ctx_open_device(ctx), -ENOENT);
	ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "liveupdate=on"));
	ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "ENOENT"));
	seam_set_device_absent(false);
	seam_set_device_held(true);
	ck_assert_int_eq(liveupdate_ctx_open_device(ctx), -EBUSY);
	ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "another open file"));
	/* nothing leaked: the one more fd is the other holder's, kept by this test */
	ck_assert_int_eq(count_fds(), fds + 1);
	seam_set_device_held(false);
	ck_assert_int_eq(liveupdate_ctx_open_device(ctx), 0);
	ck_assert(seam_device_open());
	ck_assert_int_eq(liveupdate_ctx_open_device(ctx), 0); /* idempotent */
	ck_assert_int_eq(count_fds(), fds + 1);
	liveupdate_ctx_close_device(ctx);
	ck_assert(!seam_device_open());
	ck_assert_int_eq(count_fds(), fds);
	liveupdate_ctx_close_device(ctx); /* no-op */
	liveupdate_ctx_close_device(NULL);
	ck_assert_int_eq(liveupdate_ctx_open_device(ctx), 0);
	liveupdate_ctx_unref(ctx); /* closes it */
	ck_assert(!seam_device_open());
	ck_assert_int_eq(count_fds(), fds);
}
END_TEST

/* The real kernel path: a device that does not exist. */
START_TEST(test_real_backend_missing_device)
{
	LIVEUPDATE_OPTS(liveupdate_ctx_opts, o, .device_path = "/nonexistent/liveupdate");
	struct liveupdate_ctx *ctx;
	struct liveupdate_session *s = NULL;

	ck_assert_int_eq(liveupdate_ctx_new(&o, &ctx), 0);
	liveupdate_ctx_set_log_fn(ctx, NULL, NULL);
	ck_assert_int_eq(liveupdate_ctx_open_device(ctx), -ENOENT);
	ck_assert_int_eq(liveupdate_session_create(ctx, "x", &s), -ENOENT);
	ck_assert_ptr_null(s);
	liveupdate_ctx_unref(ctx);
}
END_TEST

/* EBUSY names the process that holds the device, when /proc shows it. */
START_TEST(test_busy_names_holder)
{
	char path[] = "/tmp/lu-unit-devXXXXXX";
	int fd = mkstemp(path);
	LIVEUPDATE_OPTS(liveupdate_ctx_opts, o, .device_path = path);
	struct liveupdate_ctx *ctx;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(liveupdate_ctx_new(&o, &ctx), 0);
	seam_reset();
	seam_attach(ctx);
	seam_set_device_held(true);
	liveupdate_ctx_set_log_fn(ctx, NULL, NULL);
	ck_assert_int_eq(liveupdate_ctx_open_device(ctx), -EBUSY);
	/* this very process has the file open: it must be named */
	{
		char want[64];

		snprintf(want, sizeof(want), "pid %d (", (int)getpid());
		ck_assert_msg(strstr(liveupdate_last_error(), want),
			      "no holder in: %s", liveupdate_last_error());
	}
	liveupdate_ctx_unref(ctx);
	close(fd);
	unlink(path);
}
END_TEST

START_TEST(test_strerror)
{
	static const int codes[] = { EINVAL, ENOENT, EBUSY, EEXIST, EBADF, EIO,
				     EACCES, EPERM, EMFILE, ENOMEM, EOPNOTSUPP,
				     EFBIG, E2BIG, ENOTTY, ENOEXEC, EPROTO, 12345 };

	ck_assert_str_eq(liveupdate_strerror(0), "success");
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		const char *a = liveupdate_strerror(-codes[i]);

		ck_assert_ptr_nonnull(a);
		ck_assert_int_gt(strlen(a), 5);
		ck_assert_str_eq(a, liveupdate_strerror(codes[i]));
	}
	ck_assert_ptr_nonnull(strstr(liveupdate_strerror(-ENOENT), "liveupdate=on"));
	ck_assert_str_eq(liveupdate_version(), PACKAGE_VERSION);
}
END_TEST

static void *thread_last_error_len(void *arg)
{
	(void)arg;
	return (void *)(uintptr_t)strlen(liveupdate_last_error());
}

START_TEST(test_last_error_is_per_thread)
{
	pthread_t t;
	void *len;

	ck_assert_int_eq(liveupdate_ctx_new(NULL, NULL), -EINVAL);
	ck_assert_str_ne(liveupdate_last_error(), "");
	/* another thread does not see this thread's failure */
	ck_assert_int_eq(pthread_create(&t, NULL, thread_last_error_len, NULL), 0);
	ck_assert_int_eq(pthread_join(t, &len), 0);
	ck_assert_int_eq((uintptr_t)len, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("context");
	TCase *tc = tcase_create("context");

	tcase_add_test(tc, test_new_ref_unref);
	tcase_add_test(tc, test_new_bad_args);
	tcase_add_test(tc, test_old_program_opts);
	tcase_add_test(tc, test_log_env_and_fn);
	tcase_add_test(tc, test_open_device);
	tcase_add_test(tc, test_real_backend_missing_device);
	tcase_add_test(tc, test_busy_names_holder);
	tcase_add_test(tc, test_strerror);
	tcase_add_test(tc, test_last_error_is_per_thread);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
