/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Files: preserve before a (simulated) kexec, retrieve after it. */
#include <fcntl.h>
#include <stdlib.h>
#include "unit.h"

START_TEST(test_preserve_retrieve)
{
	struct log_capture cap;
	struct liveupdate_ctx *ctx = seam_ctx(&cap);
	struct liveupdate_session *s, *in;
	int fds = count_fds();
	int m1 = pattern_memfd(8192, 1), m2 = pattern_memfd(100, 2), fd, fd2;

	ck_assert_int_eq(liveupdate_session_create(ctx, "guest", &s), 0);
	ck_assert_int_eq(liveupdate_session_preserve_fd(s, m1, 0), 0); /* 0 is a token */
	ck_assert_int_eq(liveupdate_session_preserve_fd(s, m2, UINT64_MAX), 0);
	close(m1);
	close(m2);
	ctx = seam_reboot(ctx, s);
	ck_assert_int_eq(liveupdate_session_retrieve(ctx, "guest", &in), 0);
	ck_assert_int_eq(liveupdate_session_retrieve_fd(in, 0, &fd), 0);
	check_pattern(fd, 8192, 1);
	ck_assert_int_eq(fcntl(fd, F_GETFD), FD_CLOEXEC);
	/* a second retrieve gives another fd to the same file */
	ck_assert_int_eq(liveupdate_session_retrieve_fd(in, 0, &fd2), 0);
	ck_assert_int_ne(fd, fd2);
	close(fd2);
	ck_assert_int_eq(liveupdate_session_retrieve_fd(in, UINT64_MAX, &fd2), 0);
	check_pattern(fd2, 100, 2);
	close(fd2);
	fd2 = -5;
	ck_assert_int_eq(liveupdate_session_retrieve_fd(in, 42, &fd2), -ENOENT);
	ck_assert_int_eq(fd2, -5); /* untouched on failure */
	ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "token 42"));
	/* wrong direction: preserving into an incoming session */
	ck_assert_int_eq(liveupdate_session_preserve_fd(in, fd, 1), -EINVAL);
	ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "incoming"));
	ck_assert_int_eq(liveupdate_session_finish(in), 0);
	ck_assert_int_eq(liveupdate_session_retrieve_fd(in, 0, &fd2), -ENOENT);
	/* the file is the process' own now */
	check_pattern(fd, 8192, 1);
	close(fd);
	liveupdate_session_unref(in);
	liveupdate_ctx_unref(ctx);
	ck_assert_int_eq(count_fds(), fds);
}
END_TEST

START_TEST(test_preserve_errors)
{
	struct log_capture cap;
	struct liveupdate_ctx *ctx = seam_ctx(&cap);
	struct liveupdate_session *s, *other;
	int m = pattern_memfd(4096, 3), devnull, huge, fd;
	unsigned calls;

	ck_assert_int_eq(liveupdate_session_create(ctx, "s", &s), 0);
	ck_assert_int_eq(liveupdate_session_create(ctx, "other", &other), 0);
	ck_assert_int_eq(liveupdate_session_preserve_fd(s, m, 1), 0);
	/* duplicate token */
	ck_assert_int_eq(liveupdate_session_preserve_fd(s, m, 1), -EEXIST);
	/* the same file again, here or in another session */
	ck_assert_int_eq(liveupdate_session_preserve_fd(s, m, 2), -EBUSY);
	ck_assert_int_eq(liveupdate_session_preserve_fd(other, m, 1), -EBUSY);
	ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "already preserved"));
	/* not preservable */
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	ck_assert_int_eq(liveupdate_session_preserve_fd(s, devnull, 3), -ENOENT);
	ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "HugeTLB"));
	close(devnull);
	huge = memfd_create("huge", MFD_CLOEXEC | MFD_HUGETLB);
	if (huge >= 0) { /* needs hugetlbfs in the kernel */
		ck_assert_int_eq(liveupdate_session_preserve_fd(s, huge, 4), -ENOENT);
		close(huge);
	}
	ck_assert_int_eq(liveupdate_session_preserve_fd(s, liveupdate_session_get_fd(other), 5),
			 -ENOENT);
	/* closed fd */
	fd = pattern_memfd(10, 4);
	close(fd);
	ck_assert_int_eq(liveupdate_session_preserve_fd(s, fd, 6), -EBADF);
	/* rejected before any system call */
	seam_count_reset();
	calls = seam_calls();
	ck_assert_int_eq(liveupdate_session_preserve_fd(s, -1, 7), -EINVAL);
	ck_assert_int_eq(liveupdate_session_preserve_fd(NULL, m, 7), -EINVAL);
	ck_assert_int_eq(liveupdate_session_retrieve_fd(s, 1, &fd), -EINVAL); /* outgoing */
	ck_assert_int_eq(liveupdate_session_retrieve_fd(s, 1, NULL), -EINVAL);
	ck_assert_int_eq(liveupdate_session_retrieve_fd(NULL, 1, &fd), -EINVAL);
	ck_assert_int_eq(seam_calls(), calls);
	close(m);
	liveupdate_session_unref(other);
	liveupdate_session_unref(s);
	liveupdate_ctx_unref(ctx);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("file");
	TCase *tc = tcase_create("file");

	tcase_add_test(tc, test_preserve_retrieve);
	tcase_add_test(tc, test_preserve_errors);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
