/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Kexec load and reboot through the backend. */
#include <fcntl.h>
#include <stdlib.h>
#include "unit.h"

START_TEST(test_load_and_reboot)
{
	struct log_capture cap;
	struct liveupdate_ctx *ctx = seam_ctx(&cap);
	struct liveupdate_session *s;
	char kernel[] = "/tmp/lu-unit-kernelXXXXXX";
	int kfd = mkstemp(kernel), fds;

	ck_assert_int_ge(kfd, 0);
	close(kfd);
	fds = count_fds();
	ck_assert_int_eq(liveupdate_kexec_reboot(ctx), -EINVAL); /* nothing loaded */
	ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "liveupdate_kexec_load"));
	{
		LIVEUPDATE_OPTS(liveupdate_kexec_opts, o, .cmdline = "console=ttyS0 stage=2",
				.initrd_path = kernel);

		ck_assert_int_eq(liveupdate_kexec_load(ctx, kernel, &o), 0);
		ck_assert_str_eq(seam_last_cmdline(), "console=ttyS0 stage=2");
	}
	/* NULL cmdline: the running kernel's */
	ck_assert_int_eq(liveupdate_kexec_load(ctx, kernel, NULL), 0);
	ck_assert_int_gt(strlen(seam_last_cmdline()), 0);
	ck_assert_int_eq(count_fds(), fds); /* image fds closed */

	ck_assert_int_eq(liveupdate_session_create(ctx, "carried", &s), 0);
	/* a simulated kexec returns 0 and the session is incoming afterwards */
	ck_assert_int_eq(liveupdate_kexec_reboot(ctx), 0);
	ck_assert_int_eq(seam_reboots(), 1);
	ck_assert_int_eq(seam_incoming_sessions(), 1);
	liveupdate_session_unref(s);
	unlink(kernel);
	liveupdate_ctx_unref(ctx);
}
END_TEST

START_TEST(test_load_errors)
{
	struct log_capture cap;
	struct liveupdate_ctx *ctx = seam_ctx(&cap);
	char big[5000];
	int fds = count_fds();

	ck_assert_int_eq(liveupdate_kexec_load(NULL, "/x", NULL), -EINVAL);
	ck_assert_int_eq(liveupdate_kexec_load(ctx, NULL, NULL), -EINVAL);
	ck_assert_int_eq(liveupdate_kexec_load(ctx, "", NULL), -EINVAL);
	ck_assert_int_eq(liveupdate_kexec_load(ctx, "/nonexistent/bzImage", NULL), -ENOENT);
	ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "/nonexistent/bzImage"));
	{
		LIVEUPDATE_OPTS(liveupdate_kexec_opts, o, .initrd_path = "/nonexistent/initrd");

		ck_assert_int_eq(liveupdate_kexec_load(ctx, "/proc/self/exe", &o), -ENOENT);
	}
	memset(big, 'a', sizeof(big));
	big[sizeof(big) - 1] = '\0';
	{
		LIVEUPDATE_OPTS(liveupdate_kexec_opts, o, .cmdline = big);

		ck_assert_int_eq(liveupdate_kexec_load(ctx, "/proc/self/exe", &o), -EINVAL);
	}
	{
		struct {
			struct liveupdate_kexec_opts o;
			long future;
		} n = { .o = { .sz = sizeof(n) }, .future = 1 };

		ck_assert_int_eq(liveupdate_kexec_load(ctx, "/proc/self/exe", &n.o), -EINVAL);
	}
	ck_assert_int_eq(liveupdate_kexec_reboot(NULL), -EINVAL);
	ck_assert_int_eq(count_fds(), fds);
	ck_assert_int_eq(seam_kexec_loads(), 0);
	liveupdate_ctx_unref(ctx);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("kexec");
	TCase *tc = tcase_create("kexec");

	tcase_add_test(tc, test_load_and_reboot);
	tcase_add_test(tc, test_load_errors);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
