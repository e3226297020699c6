/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Which memory liveupdate_memory_new() makes (lib/memory-choose.c), against
 * fixture roots: AUTO under every THP policy combination, over a huge
 * tmpfs and a HugeTLB pool, with the kernel refusing HugeTLB; explicit
 * backings; sizes and options refused with what would be accepted.
 */
#include "memory-unit.h"

START_TEST(test_auto_policy_combinations)
{
	static const char *const global[] = { "always", "within_size", "advise", "never",
					      "deny", "force" };
	static const char *const per_size[] = { NULL, "inherit", "always", "within_size",
						"advise", "never" };
	struct log_capture cap;
	struct liveupdate_ctx *ctx = memory_ctx(&cap, 0);
	char *root = fixture_new();
	int fds = count_fds();

	liveupdate_ctx_set_log_priority(ctx, LOG_INFO); /* the choice is the last line */

	for (int g = 0; g < 6; g++) {
		for (int p = 0; p < 6; p++) {
			char *r = fixture_new();
			bool huge;
			struct liveupdate_memory *mem;

			fixture_thp(r, global[g], per_size[p]);
			/* deny and force rule over the per-size file; then an
			 * explicit per-size policy; else the global one */
			if (!strcmp(global[g], "deny") || !strcmp(global[g], "force"))
				huge = !strcmp(global[g], "force");
			else if (per_size[p] && strcmp(per_size[p], "inherit"))
				huge = strcmp(per_size[p], "never");
			else
				huge = strcmp(global[g], "never");
			mem = auto_new(ctx, r, 4 * MiB, "/nonexistent");
			ck_assert_msg(liveupdate_memory_get_backing(mem) ==
				      (huge ? LIVEUPDATE_MEMORY_THP : LIVEUPDATE_MEMORY_SHMEM),
				      "global %s, 2 MiB %s: %s", global[g],
				      per_size[p] ? per_size[p] : "(no file)",
				      liveupdate_memory_get_reason(mem));
			ck_assert_uint_eq(liveupdate_memory_get_page_size(mem),
					  huge ? 2 * MiB : 4096);
			ck_assert_ptr_nonnull(strstr(liveupdate_memory_get_reason(mem),
						     huge ? "memfd with MADV_HUGEPAGE" : "Huge tmpfs"));
			/* the choice is logged */
			ck_assert_ptr_nonnull(strstr(cap.last, "AUTO chose"));
			liveupdate_memory_unref(mem);
			fixture_free(r);
		}
	}
	ck_assert_int_eq(count_fds(), fds);
	fixture_free(root);
	liveupdate_ctx_unref(ctx);
}
END_TEST

START_TEST(test_auto_tmpfs)
{
	struct log_capture cap;
	struct liveupdate_ctx *ctx = memory_ctx(&cap, 0);
	char *root = fixture_new(), *dir;
	struct liveupdate_memory *mem;
	unsigned calls;

	fixture_thp(root, "never", "inherit");
	fixture_pool(root, 2048, 512, 512, 0, 0, 0);
	dir = huge_dir(root, "always");
	seam_count_reset();
	mem = auto_new(ctx, root, 4 * MiB, dir);
	ck_assert_int_eq(liveupdate_memory_get_backing(mem), LIVEUPDATE_MEMORY_THP);
	ck_assert_ptr_nonnull(strstr(liveupdate_memory_get_reason(mem), "unlinked file"));
	ck_assert_ptr_nonnull(strstr(liveupdate_memory_get_reason(mem), "cannot preserve"));
	ck_assert_ptr_nonnull(strstr(liveupdate_memory_get_reason(mem), "shmem_enabled is 'never'"));
	/* a tmpfs file takes no seals; the default ones are skipped, said */
	ck_assert_int_eq(liveupdate_memory_get_seals(mem), F_SEAL_SEAL);
	ck_assert_ptr_nonnull(strstr(liveupdate_memory_get_reason(mem), "no seals"));
	calls = seam_calls();
	ck_assert_uint_gt(calls, 0); /* the tmpfs file was probed */
	liveupdate_memory_unref(mem);
	/* the second time the probe is cached: no backend call */
	seam_count_reset();
	mem = auto_new(ctx, root, 4 * MiB, dir);
	ck_assert_uint_eq(seam_calls(), 0);
	liveupdate_memory_unref(mem);

	/* explicit seals: a tmpfs cannot take them, AUTO passes it over */
	{
		LIVEUPDATE_OPTS(liveupdate_memory_opts, o, .size = 4 * MiB, .host_root = root,
				.tmpfs_path = dir, .seals = F_SEAL_SEAL | F_SEAL_GROW);
		ck_assert_int_eq(liveupdate_memory_new(ctx, &o, &mem), 0);
		ck_assert_int_eq(liveupdate_memory_get_backing(mem), LIVEUPDATE_MEMORY_SHMEM);
		ck_assert_ptr_nonnull(strstr(liveupdate_memory_get_reason(mem), "cannot be sealed"));
		ck_assert_int_eq(liveupdate_memory_get_seals(mem), F_SEAL_SEAL | F_SEAL_GROW);
		liveupdate_memory_unref(mem);
	}
	rmdir(dir);
	free(dir);

	/* mounted without huge pages: passed over, with the mount command */
	dir = huge_dir(root, "never");
	mem = auto_new(ctx, root, 4 * MiB, dir);
	ck_assert_int_eq(liveupdate_memory_get_backing(mem), LIVEUPDATE_MEMORY_SHMEM);
	ck_assert_ptr_nonnull(strstr(liveupdate_memory_get_reason(mem), "huge=never"));
	ck_assert_ptr_nonnull(strstr(liveupdate_memory_get_reason(mem), "mount -t tmpfs"));
	liveupdate_memory_unref(mem);
	rmdir(dir);
	free(dir);
	fixture_free(root);
	liveupdate_ctx_unref(ctx);
}
END_TEST

START_TEST(test_auto_hugetlb)
{
	struct log_capture cap;
	struct liveupdate_ctx *ctx = memory_ctx(&cap, 1); /* a kernel that preserves it */
	char *root = fixture_new();
	struct liveupdate_memory *mem;
	int fd = memfd_create("probe", MFD_HUGETLB);

	if (fd < 0) {
		int err = errno;

		fixture_free(root);
		liveupdate_ctx_unref(ctx);
		SKIP_TEST("memfd_create(MFD_HUGETLB): %s: this kernel has no HugeTLB "
			  "(CONFIG_HUGETLBFS)", strerror(err));
	}
	close(fd);
	fixture_thp(root, "advise", NULL);
	fixture_pool(root, 2048, 16, 16, 0, 0, 0);
	mem = auto_new(ctx, root, 8 * MiB, NULL);
	ck_assert_int_eq(liveupdate_memory_get_backing(mem), LIVEUPDATE_MEMORY_HUGETLB);
	ck_assert_uint_eq(liveupdate_memory_get_page_size(mem), 2 * MiB);
	ck_assert_ptr_nonnull(strstr(liveupdate_memory_get_reason(mem), "AUTO chose HUGETLB"));
	ck_assert_int_eq(liveupdate_memory_get_seals(mem), F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL);
	{
		/* the simulator, like Linux 7.3, refuses it: the error says what to do */
		struct liveupdate_session *s;

		ck_assert_int_eq(liveupdate_session_create(ctx, "h", &s), 0);
		ck_assert_int_eq(liveupdate_memory_preserve(mem, s, 1), -ENOENT);
		ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "liveupdate_memory_move_to_thp"));
		liveupdate_session_unref(s);
	}
	liveupdate_memory_unref(mem);

	/* the pool lacks pages (free minus reserved, plus overcommit): THP */
	fixture_pool(root, 2048, 16, 4, 2, 1, 2);
	mem = auto_new(ctx, root, 8 * MiB, NULL);
	ck_assert_int_eq(liveupdate_memory_get_backing(mem), LIVEUPDATE_MEMORY_THP);
	ck_assert_ptr_nonnull(strstr(liveupdate_memory_get_reason(mem), "lacks 1 page"));
	liveupdate_memory_unref(mem);

	/* a size that is no multiple of the HugeTLB pages: THP, said */
	fixture_pool(root, 2048, 16, 16, 0, 0, 0);
	mem = auto_new(ctx, root, 4 * MiB + 4096, NULL);
	ck_assert_int_eq(liveupdate_memory_get_backing(mem), LIVEUPDATE_MEMORY_SHMEM);
	ck_assert_ptr_nonnull(strstr(liveupdate_memory_get_reason(mem), "not a multiple"));
	liveupdate_memory_unref(mem);
	fixture_free(root);
	liveupdate_ctx_unref(ctx);
}
END_TEST

START_TEST(test_auto_hugetlb_refused_by_kernel)
{
	struct log_capture cap;
	struct liveupdate_ctx *ctx = memory_ctx(&cap, -1); /* ask the simulator */
	char *root = fixture_new();
	struct liveupdate_memory *mem;
	int fd = memfd_create("probe", MFD_HUGETLB);

	if (fd >= 0)
		close(fd);
	fixture_thp(root, "never", NULL);
	fixture_pool(root, 2048, 16, 16, 0, 0, 0);
	mem = auto_new(ctx, root, 8 * MiB, "/nonexistent");
	ck_assert_int_eq(liveupdate_memory_get_backing(mem), LIVEUPDATE_MEMORY_SHMEM);
	ck_assert_ptr_nonnull(strstr(liveupdate_memory_get_reason(mem),
				     fd >= 0 ? "cannot preserve" : "HugeTLB"));
	ck_assert_int_eq(seam_open_sessions(), 0); /* the probe's session is gone */
	liveupdate_memory_unref(mem);
	liveupdate_ctx_unref(ctx);

	/* the kernel cannot be asked (here: no fd left for the session): AUTO
	 * goes on without HugeTLB, says so, and asks again next time */
	ctx = memory_ctx(&cap, -1);
	if (fd >= 0) {
		seam_count_reset();
		seam_fail_call(2, EMFILE); /* the probe session's creation */
		mem = auto_new(ctx, root, 8 * MiB, "/nonexistent");
		ck_assert(seam_fault_fired());
		ck_assert_int_eq(liveupdate_memory_get_backing(mem), LIVEUPDATE_MEMORY_SHMEM);
		ck_assert_ptr_nonnull(strstr(liveupdate_memory_get_reason(mem), "probe failed"));
		liveupdate_memory_unref(mem);
		seam_count_reset();
		mem = auto_new(ctx, root, 8 * MiB, "/nonexistent");
		ck_assert_uint_gt(seam_calls(), 0); /* not cached */
		ck_assert_ptr_nonnull(strstr(liveupdate_memory_get_reason(mem), "cannot preserve"));
		liveupdate_memory_unref(mem);
	}
	fixture_free(root);
	liveupdate_ctx_unref(ctx);
}
END_TEST

START_TEST(test_bad_sizes)
{
	struct log_capture cap;
	struct liveupdate_ctx *ctx = memory_ctx(&cap, 0);
	char *root = fixture_new();

	fixture_thp(root, "advise", NULL);
	fixture_pool(root, 2048, 16, 16, 0, 0, 0);
	{
		LIVEUPDATE_OPTS(liveupdate_memory_opts, o, .host_root = root,
				.backing = LIVEUPDATE_MEMORY_THP, .size = 3 * MiB);
		ck_assert_int_eq(new_err(ctx, &o), -EINVAL);
		ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "3 MiB is not a multiple of "
					     "the 2 MiB page size; the nearest valid sizes are "
					     "2 MiB and 4 MiB"));
		ck_assert_ptr_nonnull(strstr(cap.last, "nearest valid sizes"));
		o.size = MiB;
		ck_assert_int_eq(new_err(ctx, &o), -EINVAL);
		ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "smallest valid size is 2 MiB"));
		o.size = 0;
		ck_assert_int_eq(new_err(ctx, &o), -EINVAL);
		ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "size is 0"));
		o.backing = LIVEUPDATE_MEMORY_SHMEM;
		o.size = 5000;
		ck_assert_int_eq(new_err(ctx, &o), -EINVAL);
		ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "4 KiB and 8 KiB"));
		o.backing = LIVEUPDATE_MEMORY_AUTO;
		ck_assert_int_eq(new_err(ctx, &o), -EINVAL);
		o.backing = LIVEUPDATE_MEMORY_HUGETLB;
		o.size = 2 * MiB + 4096;
		ck_assert_int_eq(new_err(ctx, &o), -EINVAL);
		ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "2 MiB and 4 MiB"));
	}
	fixture_free(root);
	liveupdate_ctx_unref(ctx);
}
END_TEST

START_TEST(test_hugetlb_pool_too_small)
{
	struct log_capture cap;
	struct liveupdate_ctx *ctx = memory_ctx(&cap, 0);
	char *root = fixture_new();
	LIVEUPDATE_OPTS(liveupdate_memory_opts, o, .host_root = root,
			.backing = LIVEUPDATE_MEMORY_HUGETLB, .size = 20 * MiB);

	fixture_pool(root, 2048, 8, 7, 1, 0, 0);
	ck_assert_int_eq(new_err(ctx, &o), -ENOMEM);
	ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "needs 10 pages of 2 MiB, the "
				     "pool lacks 4"));
	ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "nothing was allocated"));
	ck_assert_ptr_nonnull(strstr(liveupdate_last_error(),
				     "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages to at "
				     "least 12"));
	/* a page size this host has no pool for: the sizes it has */
	o.page_size = 1024 * MiB;
	o.size = 1024 * MiB;
	ck_assert_int_eq(new_err(ctx, &o), -EOPNOTSUPP);
	ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "this kernel has 2 MiB"));
	fixture_free(root);
	liveupdate_ctx_unref(ctx);
}
END_TEST

START_TEST(test_bad_options)
{
	struct log_capture cap;
	struct liveupdate_ctx *ctx = memory_ctx(&cap, 0);
	char *root = fixture_new(), name[300];
	struct liveupdate_memory *mem;

	fixture_thp(root, "never", NULL);
	{
		LIVEUPDATE_OPTS(liveupdate_memory_opts, o, .host_root = root, .size = 4 * MiB);

		ck_assert_int_eq(liveupdate_memory_new(ctx, NULL, &mem), -EINVAL);
		ck_assert_int_eq(liveupdate_memory_new(ctx, &o, NULL), -EINVAL);
		ck_assert_int_eq(liveupdate_memory_new(NULL, &o, &mem), -EINVAL);
		o.backing = 7;
		ck_assert_int_eq(new_err(ctx, &o), -EINVAL);
		ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "backing 7 is unknown"));
		o.backing = LIVEUPDATE_MEMORY_THP;
		o.tmpfs_path = "/nonexistent";
		ck_assert_int_eq(new_err(ctx, &o), -EOPNOTSUPP);
		ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "echo advise"));
		ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "mount -t tmpfs"));
		o.tmpfs_path = "relative/dir";
		ck_assert_int_eq(new_err(ctx, &o), -EINVAL);
		o.tmpfs_path = NULL;
		o.backing = LIVEUPDATE_MEMORY_SHMEM;
		o.page_size = 2 * MiB;
		ck_assert_int_eq(new_err(ctx, &o), -EINVAL);
		o.page_size = 0;
		o.seals = F_SEAL_WRITE;
		ck_assert_int_eq(new_err(ctx, &o), -EINVAL);
		ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "writable"));
		o.seals = 0;
		memset(name, 'n', sizeof(name));
		name[sizeof(name) - 1] = '\0';
		o.name = name;
		ck_assert_int_eq(new_err(ctx, &o), -EINVAL);
		o.name = NULL;
		o.sz = sizeof(o) + 8; /* a newer program's field, set */
		{
			char big[sizeof(o) + 8];

			memcpy(big, &o, sizeof(o));
			memset(big + sizeof(o), 1, 8);
			ck_assert_int_eq(new_err(ctx, (void *)big), -EINVAL);
		}
	}
	fixture_free(root);
	liveupdate_ctx_unref(ctx);
}
END_TEST

START_TEST(test_explicit_thp)
{
	struct log_capture cap;
	struct liveupdate_ctx *ctx = memory_ctx(&cap, 0);
	char *root = fixture_new(), *dir;
	struct liveupdate_memory *mem;
	LIVEUPDATE_OPTS(liveupdate_memory_opts, o, .host_root = root, .size = 4 * MiB,
			.backing = LIVEUPDATE_MEMORY_THP);

	/* a kernel without THP: refused, and AUTO says it has none */
	fixture_write(root, "/proc/self/mountinfo", "");
	ck_assert_int_eq(new_err(ctx, &o), -EOPNOTSUPP);
	ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "no transparent huge pages"));
	mem = auto_new(ctx, root, 4 * MiB, NULL);
	ck_assert_ptr_nonnull(strstr(liveupdate_memory_get_reason(mem), "THP: this kernel has none"));
	liveupdate_memory_unref(mem);

	/* policy advise: a THP memfd, as asked */
	fixture_thp(root, "advise", NULL);
	ck_assert_int_eq(liveupdate_memory_new(ctx, &o, &mem), 0);
	ck_assert_int_eq(liveupdate_memory_get_backing(mem), LIVEUPDATE_MEMORY_THP);
	ck_assert_ptr_nonnull(strstr(liveupdate_memory_get_reason(mem), "THP as asked: a memfd"));
	ck_assert_int_eq(liveupdate_memory_get_seals(mem), F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL);
	liveupdate_memory_unref(mem);
	o.page_size = 4 * MiB;
	ck_assert_int_eq(new_err(ctx, &o), -EINVAL);
	ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "not the THP size"));
	o.page_size = 2 * MiB; /* its own size is fine */
	ck_assert_int_eq(liveupdate_memory_new(ctx, &o, &mem), 0);
	liveupdate_memory_unref(mem);

	/* policy never: the huge tmpfs, as asked; but not with seals */
	fixture_thp(root, "never", NULL);
	dir = huge_dir(root, "within_size");
	o.tmpfs_path = dir;
	ck_assert_int_eq(liveupdate_memory_new(ctx, &o, &mem), 0);
	ck_assert_int_eq(liveupdate_memory_get_backing(mem), LIVEUPDATE_MEMORY_THP);
	ck_assert_ptr_nonnull(strstr(liveupdate_memory_get_reason(mem), "huge=within_size"));
	liveupdate_memory_unref(mem);
	o.seals = F_SEAL_SHRINK;
	ck_assert_int_eq(new_err(ctx, &o), -EOPNOTSUPP);
	ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "seals were asked for"));
	rmdir(dir);
	free(dir);
	fixture_free(root);
	liveupdate_ctx_unref(ctx);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("memory-choose");
	TCase *tc = tcase_create("memory-choose");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_auto_policy_combinations);
	tcase_add_test(tc, test_auto_tmpfs);
	tcase_add_test(tc, test_auto_hugetlb);
	tcase_add_test(tc, test_auto_hugetlb_refused_by_kernel);
	tcase_add_test(tc, test_bad_sizes);
	tcase_add_test(tc, test_hugetlb_pool_too_small);
	tcase_add_test(tc, test_bad_options);
	tcase_add_test(tc, test_explicit_thp);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
