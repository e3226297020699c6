/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Can the kernel preserve this kind of memory (lib/memory-probe.c): the
 * probe's session calls, its cache, and errors that are not cached.
 */
#include "memory-unit.h"

START_TEST(test_probe_cache)
{
	struct log_capture cap;
	struct liveupdate_ctx *ctx = memory_ctx(&cap, -1);
	int fds;

	ck_assert_int_eq(liveupdate_ctx_open_device(ctx), 0);
	fds = count_fds();
	seam_count_reset();
	ck_assert_int_eq(liveupdate_memory_probe(ctx, LIVEUPDATE_MEMORY_SHMEM, 0), 1);
	ck_assert_uint_ge(seam_calls(), 3); /* create, preserve, close */
	ck_assert_int_eq(seam_call_kind(1), SEAM_CREATE_SESSION);
	ck_assert_int_eq(seam_call_kind(2), SEAM_PRESERVE_FD);
	ck_assert_int_eq(seam_open_sessions(), 0);
	ck_assert_int_eq(count_fds(), fds);
	seam_count_reset();
	ck_assert_int_eq(liveupdate_memory_probe(ctx, LIVEUPDATE_MEMORY_SHMEM, 4096), 1);
	ck_assert_uint_eq(seam_calls(), 0); /* cached */
	ck_assert_int_eq(liveupdate_memory_probe(ctx, LIVEUPDATE_MEMORY_THP, 0), 1);
	if (liveupdate_memory_host_hugetlb_sizes(NULL, NULL, 0) > 0) {
		/* the simulator, like Linux 7.3, refuses HugeTLB */
		ck_assert_int_eq(liveupdate_memory_probe(ctx, LIVEUPDATE_MEMORY_HUGETLB, 0), 0);
		seam_count_reset();
		ck_assert_int_eq(liveupdate_memory_probe(ctx, LIVEUPDATE_MEMORY_HUGETLB, 0), 0);
		ck_assert_uint_eq(seam_calls(), 0);
	}
	ck_assert_int_eq(seam_open_sessions(), 0);
	ck_assert_int_eq(count_fds(), fds);
	/* errors are not cached: the next call asks again */
	{
		struct liveupdate_ctx *c2 = memory_ctx(NULL, -1);

		liveupdate_ctx_set_log_fn(c2, NULL, NULL);
		seam_count_reset();
		seam_fail_call(2, EMFILE); /* the session's creation (after the open) */
		ck_assert_int_eq(liveupdate_memory_probe(c2, LIVEUPDATE_MEMORY_SHMEM, 0), -EMFILE);
		ck_assert(seam_fault_fired());
		ck_assert_int_eq(liveupdate_memory_probe(c2, LIVEUPDATE_MEMORY_SHMEM, 0), 1);
		liveupdate_ctx_unref(c2);
	}
	ck_assert_int_eq(liveupdate_memory_probe(ctx, LIVEUPDATE_MEMORY_AUTO, 0), -EINVAL);
	ck_assert_int_eq(liveupdate_memory_probe(ctx, LIVEUPDATE_MEMORY_SHMEM, 8192), -EINVAL);
	ck_assert_int_eq(liveupdate_memory_probe(NULL, LIVEUPDATE_MEMORY_SHMEM, 0), -EINVAL);
	liveupdate_ctx_unref(ctx);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("memory-probe");
	TCase *tc = tcase_create("memory-probe");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_probe_cache);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
