/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The memory object (lib/memory.c): seals and getters, wrapping an fd of
 * each kind (from_fd detects the backing; lib/memory-measure.c counts its
 * huge pages), and preserve and retrieve by token across a simulated kexec.
 */
#include "memory-unit.h"

START_TEST(test_seals_and_getters)
{
	struct log_capture cap;
	struct liveupdate_ctx *ctx = memory_ctx(&cap, 0);
	char *root = fixture_new();
	struct liveupdate_memory *mem;
	LIVEUPDATE_OPTS(liveupdate_memory_opts, o, .host_root = root, .size = MiB,
			.backing = LIVEUPDATE_MEMORY_SHMEM, .name = "guest-ram");
	char link[64], target[128];

	ck_assert_int_eq(liveupdate_memory_new(ctx, &o, &mem), 0);
	ck_assert_int_eq(liveupdate_memory_get_seals(mem), F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL);
	ck_assert_uint_eq(liveupdate_memory_get_size(mem), MiB);
	ck_assert_int_eq(fcntl(liveupdate_memory_get_fd(mem), F_GETFD), FD_CLOEXEC);
	snprintf(link, sizeof(link), "/proc/self/fd/%d", liveupdate_memory_get_fd(mem));
	target[readlink(link, target, sizeof(target) - 1)] = '\0';
	ck_assert_ptr_nonnull(strstr(target, "guest-ram"));
	ck_assert_ptr_eq(liveupdate_memory_ref(mem), mem);
	ck_assert_ptr_eq(liveupdate_memory_unref(mem), mem);
	ck_assert_ptr_null(liveupdate_memory_unref(mem));
	o.seals = LIVEUPDATE_MEMORY_SEALS_NONE;
	ck_assert_int_eq(liveupdate_memory_new(ctx, &o, &mem), 0);
	ck_assert_int_eq(liveupdate_memory_get_seals(mem), 0);
	liveupdate_memory_unref(mem);
	/* NULL objects */
	ck_assert_ptr_null(liveupdate_memory_unref(NULL));
	ck_assert_int_eq(liveupdate_memory_get_fd(NULL), -EINVAL);
	ck_assert_uint_eq(liveupdate_memory_get_size(NULL), 0);
	ck_assert_int_eq(liveupdate_memory_get_backing(NULL), LIVEUPDATE_MEMORY_AUTO);
	ck_assert_ptr_null(liveupdate_memory_get_reason(NULL));
	ck_assert_int_eq(liveupdate_memory_unmap(NULL), -EINVAL);
	fixture_free(root);
	liveupdate_ctx_unref(ctx);
}
END_TEST

START_TEST(test_from_fd)
{
	struct log_capture cap;
	struct liveupdate_ctx *ctx = memory_ctx(&cap, 0);
	struct liveupdate_memory *mem = (void *)0x1;
	int fd = pattern_memfd(3 * 4096, 5), devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	int huge = memfd_create("huge", MFD_CLOEXEC | MFD_HUGETLB);
	int tmp = open(SHM_DIR, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	ck_assert_int_eq(liveupdate_memory_from_fd(ctx, devnull, &mem), -EINVAL);
	ck_assert_ptr_eq(mem, (void *)0x1);
	ck_assert_int_eq(fcntl(devnull, F_GETFD), FD_CLOEXEC); /* still open */
	ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "not a shared memory file"));
	ck_assert_int_eq(liveupdate_memory_from_fd(ctx, -1, &mem), -EINVAL);
	ck_assert_int_eq(liveupdate_memory_from_fd(ctx, fd, NULL), -EINVAL);
	close(devnull);

	ck_assert_int_eq(liveupdate_memory_from_fd(ctx, fd, &mem), 0);
	ck_assert_int_eq(liveupdate_memory_get_backing(mem), LIVEUPDATE_MEMORY_SHMEM);
	ck_assert_uint_eq(liveupdate_memory_get_size(mem), 3 * 4096);
	ck_assert_ptr_nonnull(strstr(liveupdate_memory_get_reason(mem), "detected SHMEM"));
	ck_assert_int_eq(liveupdate_memory_get_fd(mem), fd);
	liveupdate_memory_unref(mem); /* closes fd */
	ck_assert_int_eq(fcntl(fd, F_GETFD), -1);

	if (tmp >= 0) {
		ck_assert_int_eq(ftruncate(tmp, 2 * MiB), 0);
		ck_assert_int_eq(liveupdate_memory_from_fd(ctx, tmp, &mem), 0);
		ck_assert_int_eq(liveupdate_memory_get_backing(mem), LIVEUPDATE_MEMORY_SHMEM);
		liveupdate_memory_unref(mem);
	}
	if (huge >= 0) {
		ck_assert_int_eq(ftruncate(huge, 4 * MiB), 0);
		ck_assert_int_eq(liveupdate_memory_from_fd(ctx, huge, &mem), 0);
		ck_assert_int_eq(liveupdate_memory_get_backing(mem), LIVEUPDATE_MEMORY_HUGETLB);
		ck_assert_uint_eq(liveupdate_memory_get_page_size(mem), 2 * MiB);
		ck_assert_ptr_nonnull(strstr(liveupdate_memory_get_reason(mem), "hugetlbfs"));
		{
			uint64_t bytes = 1;

			ck_assert_int_eq(liveupdate_memory_huge_bytes(mem, &bytes), 0);
			ck_assert_uint_eq(bytes, 0); /* no page allocated yet */
		}
		liveupdate_memory_unref(mem);
	}
	liveupdate_ctx_unref(ctx);
}
END_TEST

START_TEST(test_preserve_retrieve)
{
	struct log_capture cap;
	struct liveupdate_ctx *ctx = memory_ctx(&cap, 0);
	struct liveupdate_session *s, *in;
	struct progress_log p = { 0 };
	struct liveupdate_memory *mem = shmem_with_pattern(ctx, 8 * MiB, &p), *back;
	int fds = count_fds();

	ck_assert_int_eq(liveupdate_session_create(ctx, "guest", &s), 0);
	ck_assert_int_eq(liveupdate_memory_preserve(mem, s, 42), 0);
	ck_assert_int_eq(liveupdate_memory_preserve(mem, s, 43), -EBUSY);
	ck_assert_int_eq(liveupdate_memory_preserve(NULL, s, 43), -EINVAL);
	liveupdate_memory_unref(mem);
	ctx = seam_reboot(ctx, s);
	ck_assert_int_eq(liveupdate_session_retrieve(ctx, "guest", &in), 0);
	ck_assert_int_eq(liveupdate_memory_retrieve(in, 7, &back), -ENOENT);
	ck_assert_int_eq(liveupdate_memory_retrieve(in, 42, &back), 0);
	ck_assert_int_eq(liveupdate_memory_get_backing(back), LIVEUPDATE_MEMORY_SHMEM);
	ck_assert_uint_eq(liveupdate_memory_get_size(back), 8 * MiB);
	check_mem_pattern(back);
	ck_assert_int_eq(liveupdate_session_finish(in), 0);
	liveupdate_memory_unref(back);
	liveupdate_session_unref(in);
	liveupdate_ctx_unref(ctx);
	ck_assert_int_le(count_fds(), fds);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("memory-object");
	TCase *tc = tcase_create("memory");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_seals_and_getters);
	tcase_add_test(tc, test_from_fd);
	tcase_add_test(tc, test_preserve_retrieve);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
