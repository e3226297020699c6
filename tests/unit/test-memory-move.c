/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The move off HugeTLB (lib/memory-move.c): contents kept, the source
 * released or not, progress and its stop, refusals.
 */
#include "memory-unit.h"

START_TEST(test_move)
{
	struct log_capture cap;
	struct liveupdate_ctx *ctx = memory_ctx(&cap, 0);
	struct progress_log p = { 0 };
	struct liveupdate_memory *src = shmem_with_pattern(ctx, 72 * MiB, &p), *dst;
	LIVEUPDATE_OPTS(liveupdate_memory_move_opts, o, .threads = 2, .progress = on_progress,
			.progress_data = &p);
	unsigned char *addr;

	ck_assert_int_eq(liveupdate_memory_move_to_thp(src, &o, &dst), 0);
	ck_assert_ptr_nonnull(strstr(liveupdate_memory_get_reason(dst), "moved from SHMEM"));
	ck_assert_uint_eq(liveupdate_memory_get_size(dst), 72 * MiB);
	ck_assert_uint_eq(p.last_done, 72 * MiB);
	check_mem_pattern(dst);
	check_mem_pattern(src); /* kept without release_source */
	liveupdate_memory_unref(dst);

	o.release_source = 1;
	memset(&p, 0, sizeof(p));
	ck_assert_int_eq(liveupdate_memory_move_to_thp(src, &o, &dst), 0);
	check_mem_pattern(dst);
	ck_assert_int_eq(liveupdate_memory_map(src, (void **)&addr), 0);
	ck_assert_int_eq(addr[7 + 4096], 0); /* punched out */
	liveupdate_memory_unref(dst);

	p.stop_after = 1;
	p.calls = 0;
	p.last_done = 0;
	dst = (void *)0x1;
	ck_assert_int_eq(liveupdate_memory_move_to_thp(src, &o, &dst), -ECANCELED);
	ck_assert_ptr_eq(dst, (void *)0x1);
	ck_assert_int_eq(liveupdate_memory_move_to_thp(NULL, &o, &dst), -EINVAL);
	o.sz = 3; /* not an options struct */
	ck_assert_int_eq(liveupdate_memory_move_to_thp(src, &o, &dst), -EINVAL);
	{
		struct liveupdate_memory *empty;
		int fd = memfd_create("empty", MFD_CLOEXEC);

		ck_assert_int_eq(liveupdate_memory_from_fd(ctx, fd, &empty), 0);
		ck_assert_int_eq(liveupdate_memory_move_to_thp(empty, NULL, &dst), -EINVAL);
		ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "empty"));
		liveupdate_memory_unref(empty);
	}
	liveupdate_memory_unref(src);
	liveupdate_ctx_unref(ctx);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("memory-move");
	TCase *tc = tcase_create("memory-move");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_move);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
