/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Guest memory: host queries and AUTO's choice against fixture roots
 * (every THP policy combination, pools, mounts), sizes, seals, from_fd
 * detection, the probe and its cache, populate and its failures, preserve
 * and retrieve across a simulated kexec, and the move off HugeTLB.
 */
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include "unit.h"
#include "memory-fixture.h"
#include "memory-private.h"

#define MiB (1ull << 20)
#define SHM_DIR "/dev/shm"

/* ---- host queries ---- */

START_TEST(test_host_thp_policies)
{
	static const char *const names[] = { "never", "always", "within_size", "advise",
					     "deny", "force" };
	char *root = fixture_new();
	enum liveupdate_thp_policy pol;
	uint64_t size = 0;

	ck_assert_int_eq(liveupdate_memory_host_shmem_thp(root, 0, &pol), -ENOENT);
	ck_assert_int_eq(liveupdate_memory_host_thp_size(root, &size), -ENOENT);
	for (int i = 0; i < 6; i++) {
		fixture_thp(root, names[i], "inherit");
		ck_assert_int_eq(liveupdate_memory_host_shmem_thp(root, 0, &pol), 0);
		ck_assert_int_eq(pol, i); /* the enum follows this order */
		ck_assert_int_eq(liveupdate_memory_host_shmem_thp(root, 2 * MiB, &pol), 0);
		ck_assert_int_eq(pol, LIVEUPDATE_THP_INHERIT);
	}
	ck_assert_int_eq(liveupdate_memory_host_thp_sizes(root, NULL, 0), 1);
	fixture_policy(root, THP "/hugepages-64kB/shmem_enabled",
		       "always inherit within_size advise never", "always");
	{
		uint64_t sizes[2] = { 0, 0 };

		ck_assert_int_eq(liveupdate_memory_host_thp_sizes(root, sizes, 2), 2);
		ck_assert_uint_eq(sizes[0], 64 * 1024);
		ck_assert_uint_eq(sizes[1], 2 * MiB);
		ck_assert_int_eq(liveupdate_memory_host_thp_sizes(root, NULL, 1), -EINVAL);
	}
	ck_assert_int_eq(liveupdate_memory_host_shmem_thp(root, 64 * 1024, &pol), 0);
	ck_assert_int_eq(pol, LIVEUPDATE_THP_ALWAYS);
	fixture_thp(root, "never", "advise");
	ck_assert_int_eq(liveupdate_memory_host_shmem_thp(root, 2 * MiB, &pol), 0);
	ck_assert_int_eq(pol, LIVEUPDATE_THP_ADVISE);
	ck_assert_int_eq(liveupdate_memory_host_shmem_thp(root, 128 * 1024, &pol), -ENOENT);
	ck_assert_int_eq(liveupdate_memory_host_thp_size(root, &size), 0);
	ck_assert_uint_eq(size, 2 * MiB);
	fixture_write(root, THP "/shmem_enabled", "always never\n"); /* no brackets */
	ck_assert_int_eq(liveupdate_memory_host_shmem_thp(root, 0, &pol), -EPROTO);
	fixture_write(root, THP "/hpage_pmd_size", "2M\n");
	ck_assert_int_eq(liveupdate_memory_host_thp_size(root, &size), -EPROTO);
	ck_assert_int_eq(liveupdate_memory_host_shmem_thp(root, 0, NULL), -EINVAL);
	fixture_free(root);
}
END_TEST

START_TEST(test_host_hugetlb)
{
	char *root = fixture_new();
	struct liveupdate_hugetlb_pool pool = { .sz = sizeof(pool) };
	struct { size_t sz; uint64_t page_size, total; } old = { .sz = sizeof(old) };
	uint64_t sizes[4] = { 0 };

	ck_assert_int_eq(liveupdate_memory_host_hugetlb_sizes(root, sizes, 4), 0);
	ck_assert_int_eq(liveupdate_memory_host_hugetlb_pool(root, 0, &pool), -ENOENT);
	fixture_pool(root, 1048576, 2, 1, 0, 0, 0);
	fixture_pool(root, 2048, 100, 60, 10, 3, 8);
	ck_assert_int_eq(liveupdate_memory_host_hugetlb_sizes(root, sizes, 4), 2);
	ck_assert_uint_eq(sizes[0], 2 * MiB);
	ck_assert_uint_eq(sizes[1], 1024 * MiB);
	/* more than max: the count, and only max filled */
	sizes[0] = 0;
	ck_assert_int_eq(liveupdate_memory_host_hugetlb_sizes(root, sizes, 1), 2);
	ck_assert_uint_eq(sizes[0], 2 * MiB);
	ck_assert_int_eq(liveupdate_memory_host_hugetlb_pool(root, 0, &pool), 0);
	ck_assert_uint_eq(pool.page_size, 2 * MiB);
	ck_assert_uint_eq(pool.total, 100);
	ck_assert_uint_eq(pool.free, 60);
	ck_assert_uint_eq(pool.reserved, 10);
	ck_assert_uint_eq(pool.surplus, 3);
	ck_assert_uint_eq(pool.overcommit, 8);
	ck_assert_int_eq(liveupdate_memory_host_hugetlb_pool(root, 1024 * MiB, &pool), 0);
	ck_assert_uint_eq(pool.total, 2);
	ck_assert_int_eq(liveupdate_memory_host_hugetlb_pool(root, 4 * MiB, &pool), -ENOENT);
	/* an older, smaller struct: only what fits is written */
	ck_assert_int_eq(liveupdate_memory_host_hugetlb_pool(root, 0,
		(struct liveupdate_hugetlb_pool *)&old), 0);
	ck_assert_uint_eq(old.total, 100);
	fixture_free(root);
}
END_TEST

static int collect_mount(void *data, const char *path, uint64_t page_size)
{
	char *out = data;
	char line[600];

	snprintf(line, sizeof(line), "%s=%" PRIu64 ";", path, page_size);
	strcat(out, line);
	return 0;
}

START_TEST(test_host_mounts)
{
	static const char *const mounts[] = {
		"/ ext4 rw",
		"/dev/hugepages hugetlbfs rw,pagesize=2M",
		"/mnt/huge\\0401G hugetlbfs rw,pagesize=1024M",
		"/mnt/default hugetlbfs rw",
		"/run tmpfs rw,size=100k",
		"/run/liveupdate/huge tmpfs rw,huge=always",
		"/run/liveupdate/huge/inner ext4 rw",
		"/run/ws tmpfs rw,huge=within_size",
		NULL,
	};
	char *root = fixture_new(), seen[2048] = "";
	enum liveupdate_thp_policy pol;

	fixture_pool(root, 2048, 0, 0, 0, 0, 0);
	fixture_mounts(root, mounts);
	ck_assert_int_eq(liveupdate_memory_host_hugetlbfs_mounts(root, collect_mount, seen), 3);
	ck_assert_str_eq(seen, "/dev/hugepages=2097152;/mnt/huge 1G=1073741824;"
			 "/mnt/default=2097152;");
	ck_assert_int_eq(liveupdate_memory_host_tmpfs_huge(root, "/run/liveupdate/huge", &pol), 0);
	ck_assert_int_eq(pol, LIVEUPDATE_THP_ALWAYS);
	ck_assert_int_eq(liveupdate_memory_host_tmpfs_huge(root, "/run/liveupdate/huge/", &pol), 0);
	ck_assert_int_eq(liveupdate_memory_host_tmpfs_huge(root, "/run/liveupdate/hugex", &pol), 0);
	ck_assert_int_eq(pol, LIVEUPDATE_THP_NEVER); /* /run's: a prefix is not a parent */
	ck_assert_int_eq(liveupdate_memory_host_tmpfs_huge(root, "/run/ws/a/b", &pol), 0);
	ck_assert_int_eq(pol, LIVEUPDATE_THP_WITHIN_SIZE);
	ck_assert_int_eq(liveupdate_memory_host_tmpfs_huge(root, "/run/liveupdate/huge/inner/x",
							   &pol), -ENOENT);
	ck_assert_int_eq(liveupdate_memory_host_tmpfs_huge(root, "/var", &pol), -ENOENT);
	ck_assert_int_eq(liveupdate_memory_host_tmpfs_huge(root, "relative", &pol), -EINVAL);
	fixture_free(root);
}
END_TEST

/* ---- AUTO ---- */

/* A context on the simulator, its log captured; HugeTLB probe answer set. */
static struct liveupdate_ctx *memory_ctx(struct log_capture *cap, int hugetlb_answer)
{
	struct liveupdate_ctx *ctx = seam_ctx(cap);
	struct lu_memory_plan h = { LIVEUPDATE_MEMORY_HUGETLB, 2 * MiB, NULL };

	if (hugetlb_answer >= 0)
		lu_memory_probe_cache_set(ctx, &h, hugetlb_answer);
	return ctx;
}

static struct liveupdate_memory *auto_new(struct liveupdate_ctx *ctx, const char *root,
					  uint64_t size, const char *tmpfs)
{
	LIVEUPDATE_OPTS(liveupdate_memory_opts, o, .size = size, .host_root = root,
			.tmpfs_path = tmpfs);
	struct liveupdate_memory *mem = NULL;

	ck_assert_int_eq(liveupdate_memory_new(ctx, &o, &mem), 0);
	return mem;
}

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

/* A real directory on a tmpfs (/dev/shm) that the fixture mounts huge=policy. */
static char *huge_dir(const char *root, const char *policy)
{
	char *dir = strdup(SHM_DIR "/lu-memory-test.XXXXXX"), line[600];
	const char *mounts[] = { "/ ext4 rw", line, NULL };

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(line, sizeof(line), "%s tmpfs rw,huge=%s", dir, policy);
	fixture_mounts(root, mounts);
	return dir;
}

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

	if (fd < 0) { /* this host has no HugeTLB at all */
		fixture_free(root);
		liveupdate_ctx_unref(ctx);
		return;
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

/* ---- explicit backings, sizes, options ---- */

static int new_err(struct liveupdate_ctx *ctx, const struct liveupdate_memory_opts *o)
{
	struct liveupdate_memory *mem = (void *)0x1;
	int fds = count_fds(), ret = liveupdate_memory_new(ctx, o, &mem);

	ck_assert_ptr_eq(mem, (void *)0x1); /* untouched */
	ck_assert_int_eq(count_fds(), fds); /* nothing left behind */
	return ret;
}

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

/* ---- map, populate ---- */

struct progress_log {
	unsigned calls;
	uint64_t last_done, total;
	unsigned stop_after; /* 0: never */
};

static int on_progress(void *data, uint64_t done, uint64_t total)
{
	struct progress_log *p = data;

	ck_assert_uint_ge(done, p->last_done);
	p->calls++;
	p->last_done = done;
	p->total = total;
	return p->stop_after && p->calls >= p->stop_after;
}

static struct liveupdate_memory *shmem_with_pattern(struct liveupdate_ctx *ctx, uint64_t size,
						    struct progress_log *p)
{
	LIVEUPDATE_OPTS(liveupdate_memory_opts, o, .size = size,
			.backing = LIVEUPDATE_MEMORY_SHMEM, .progress = on_progress,
			.progress_data = p);
	struct liveupdate_memory *mem;
	unsigned char *addr;

	ck_assert_int_eq(liveupdate_memory_new(ctx, &o, &mem), 0);
	ck_assert_int_eq(liveupdate_memory_map(mem, (void **)&addr), 0);
	for (uint64_t i = 0; i < size; i += 4096)
		addr[i + 7] = (unsigned char)(i / 4096);
	return mem;
}

static void check_mem_pattern(struct liveupdate_memory *mem)
{
	unsigned char *addr;

	ck_assert_int_eq(liveupdate_memory_map(mem, (void **)&addr), 0);
	for (uint64_t i = 0; i < liveupdate_memory_get_size(mem); i += 4096)
		ck_assert_int_eq(addr[i + 7], (unsigned char)(i / 4096));
}

START_TEST(test_map_populate)
{
	struct log_capture cap;
	struct liveupdate_ctx *ctx = memory_ctx(&cap, 0);
	struct progress_log p = { 0 };
	struct liveupdate_memory *mem = shmem_with_pattern(ctx, 136 * MiB, &p);
	void *a1, *a2;
	uint64_t huge = 1;

	ck_assert_int_eq(liveupdate_memory_map(mem, &a1), 0);
	ck_assert_int_eq(liveupdate_memory_map(mem, &a2), 0);
	ck_assert_ptr_eq(a1, a2);
	ck_assert_int_eq((uintptr_t)a1 % 4096, 0);
	ck_assert_int_eq(liveupdate_memory_populate(mem, 3), 0);
	/* 136 MiB in 64 MiB chunks: progress from this thread, then the end */
	ck_assert_uint_ge(p.calls, 1);
	ck_assert_uint_eq(p.last_done, 136 * MiB);
	ck_assert_uint_eq(p.total, 136 * MiB);
	check_mem_pattern(mem); /* contents kept */
	ck_assert_int_eq(liveupdate_memory_huge_bytes(mem, &huge), 0);
	ck_assert_uint_eq(huge, 0); /* 4 KiB pages asked for */
	/* the mapping goes, the contents stay */
	ck_assert_int_eq(liveupdate_memory_unmap(mem), 0);
	ck_assert_int_eq(liveupdate_memory_unmap(mem), 0);
	check_mem_pattern(mem);

	/* the kernel without MADV_POPULATE_WRITE: fallocate and touching */
	lu_memory_no_populate_write = 1;
	liveupdate_memory_unmap(mem);
	memset(&p, 0, sizeof(p));
	ck_assert_int_eq(liveupdate_memory_populate(mem, 2), 0);
	lu_memory_no_populate_write = 0;
	ck_assert_uint_eq(p.last_done, 136 * MiB);
	check_mem_pattern(mem);

	/* the progress function stops it */
	memset(&p, 0, sizeof(p));
	p.stop_after = 1;
	ck_assert_int_eq(liveupdate_memory_populate(mem, 1), -ECANCELED);
	ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "stopped by the progress"));
	liveupdate_memory_unref(mem);
	liveupdate_ctx_unref(ctx);
}
END_TEST

static bool write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	bool ok = f && fputs(text, f) >= 0;

	return f && !fclose(f) && ok;
}

/* Enter a user and mount namespace where this process is root (files it
 * creates need a mapped owner). */
static bool map_ids_in_new_namespace(void)
{
	char uid[32], gid[32];

	snprintf(uid, sizeof(uid), "0 %d 1\n", (int)getuid());
	snprintf(gid, sizeof(gid), "0 %d 1\n", (int)getgid());
	return unshare(CLONE_NEWUSER | CLONE_NEWNS) == 0 &&
	       write_file("/proc/self/uid_map", uid) &&
	       write_file("/proc/self/setgroups", "deny") &&
	       write_file("/proc/self/gid_map", gid);
}

/*
 * Out of memory while populating gives -ENOMEM and the reason, never a
 * SIGBUS: a 4 MiB tmpfs, mounted in a private user and mount namespace of
 * a child process, refuses "THP" memory of 8 MiB at once (-ENOSPC), and
 * holds 4 MiB until a file of 2 MiB takes half of it.
 */
START_TEST(test_populate_enomem)
{
	char dir[] = "/tmp/lu-memory-small.XXXXXX";
	int status;
	pid_t pid;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	pid = fork();
	if (pid == 0) {
		struct liveupdate_ctx *ctx;
		struct liveupdate_memory *mem;
		char *root, line[300];
		const char *mounts[] = { line, NULL };
		LIVEUPDATE_OPTS(liveupdate_memory_opts, o, .size = 8 * MiB,
				.backing = LIVEUPDATE_MEMORY_THP, .tmpfs_path = dir);
		int ret;

		if (!map_ids_in_new_namespace() ||
		    mount("small", dir, "tmpfs", 0, "size=4M") < 0)
			_exit(77);
		ck_assert_int_eq(liveupdate_ctx_new(NULL, &ctx), 0);
		liveupdate_ctx_set_log_fn(ctx, NULL, NULL);
		root = fixture_new();
		fixture_thp(root, "never", NULL);
		snprintf(line, sizeof(line), "%s tmpfs rw,size=4096k,huge=always", dir);
		fixture_mounts(root, mounts);
		o.host_root = root;
		mem = (void *)0x1;
		if (liveupdate_memory_new(ctx, &o, &mem) != -ENOSPC || mem != (void *)0x1 ||
		    !strstr(liveupdate_last_error(), "free, less than the 8 MiB"))
			_exit(3);
		o.size = 4 * MiB;
		ck_assert_int_eq(liveupdate_memory_new(ctx, &o, &mem), 0);
		snprintf(line, sizeof(line), "%s/filler", dir);
		ret = open(line, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
		if (ret < 0 || fallocate(ret, 0, 0, 2 * MiB) < 0)
			_exit(4);
		close(ret);
		ret = liveupdate_memory_populate(mem, 2);
		if (ret != -ENOMEM || !strstr(liveupdate_last_error(), "could be allocated at offset") ||
		    !strstr(liveupdate_last_error(), "the tmpfs is full"))
			_exit(1);
		liveupdate_memory_unref(mem);
		o.populate = 1; /* from liveupdate_memory_new: refused before */
		mem = (void *)0x1;
		if (liveupdate_memory_new(ctx, &o, &mem) != -ENOSPC || mem != (void *)0x1)
			_exit(2);
		fixture_free(root);
		liveupdate_ctx_unref(ctx);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	rmdir(dir);
	ck_assert_msg(WIFEXITED(status), "child died of signal %d (a SIGBUS?)",
		      WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	if (WEXITSTATUS(status) == 77) {
		fprintf(stderr, "test_populate_enomem: no user namespace here: not run\n");
		return;
	}
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

/* HugeTLB whose pool the fixture says is big enough, on a host whose real
 * pool is empty: mapping and populating fail with the pool named. */
START_TEST(test_hugetlb_reservation_fails)
{
	struct log_capture cap;
	struct liveupdate_ctx *ctx = memory_ctx(&cap, 0);
	struct liveupdate_hugetlb_pool real = { .sz = sizeof(real) };
	char *root = fixture_new();
	struct liveupdate_memory *mem;
	LIVEUPDATE_OPTS(liveupdate_memory_opts, o, .host_root = root, .size = 4 * MiB,
			.backing = LIVEUPDATE_MEMORY_HUGETLB);
	void *addr = (void *)0x1;
	int fd = memfd_create("probe", MFD_HUGETLB);

	if (fd >= 0)
		close(fd);
	if (fd < 0 || liveupdate_memory_host_hugetlb_pool(NULL, 2 * MiB, &real) ||
	    real.free + real.overcommit > 0) {
		fprintf(stderr, "test_hugetlb_reservation_fails: this host has HugeTLB "
			"pages (or none at all): not run\n");
		fixture_free(root);
		liveupdate_ctx_unref(ctx);
		return;
	}
	fixture_pool(root, 2048, 4, 4, 0, 0, 0);
	ck_assert_int_eq(liveupdate_memory_new(ctx, &o, &mem), 0);
	ck_assert_int_eq(liveupdate_memory_map(mem, &addr), -ENOMEM);
	ck_assert_ptr_eq(addr, (void *)0x1);
	ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "cannot reserve its 2 pages of 2 MiB"));
	ck_assert_int_eq(liveupdate_memory_populate(mem, 2), -ENOMEM);
	ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "hugepages-2048kB/nr_hugepages"));
	liveupdate_memory_unref(mem);
	/* populate from liveupdate_memory_new: the object is not made */
	o.populate = 1;
	ck_assert_int_eq(new_err(ctx, &o), -ENOMEM);
	fixture_free(root);
	liveupdate_ctx_unref(ctx);
}
END_TEST

/* ---- from_fd, probe, preserve and retrieve, move ---- */

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

/* An entry of the incoming session's manifest, by label. */
static const struct liveupdate_entry *entry_of(struct liveupdate_session *in, const char *label)
{
	const struct liveupdate_entry *e = NULL;

	ck_assert_int_eq(liveupdate_session_find_entry(in, label, &e), 0);
	ck_assert_int_eq(e->kind, LIVEUPDATE_ENTRY_MEMORY);
	return e;
}

START_TEST(test_preserve_label)
{
	struct log_capture cap;
	struct liveupdate_ctx *ctx = memory_ctx(&cap, 0);
	char *root = fixture_new();
	struct liveupdate_meta meta[] = { { "numa-node", "1" } };
	struct liveupdate_session *s, *in;
	struct progress_log p = { 0 };
	struct liveupdate_memory *ram = shmem_with_pattern(ctx, 8 * MiB, &p), *thp, *back;
	const struct liveupdate_entry *e;
	uint64_t token = 0;
	int fd;
	LIVEUPDATE_OPTS(liveupdate_memory_opts, o, .host_root = root, .size = 4 * MiB,
			.backing = LIVEUPDATE_MEMORY_THP);
	LIVEUPDATE_OPTS(liveupdate_preserve_opts, po, .label = "ram0", .meta = meta,
			.n_meta = 1);

	/* THP as the object says (this host's memfd may hold no huge page) */
	fixture_thp(root, "advise", NULL);
	ck_assert_int_eq(liveupdate_memory_new(ctx, &o, &thp), 0);
	ck_assert_int_eq(liveupdate_session_create(ctx, "guest", &s), 0);

	/* options that contradict the object are refused, nothing recorded */
	po.kind = LIVEUPDATE_ENTRY_MEMFD;
	ck_assert_int_eq(liveupdate_memory_preserve_opts(ram, s, &po, NULL), -EINVAL);
	po.kind = LIVEUPDATE_ENTRY_MEMORY;
	po.backing = LIVEUPDATE_MEMORY_THP;
	ck_assert_int_eq(liveupdate_memory_preserve_opts(ram, s, &po, NULL), -EINVAL);
	ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "but the memory is SHMEM"));
	po.backing = 0;
	po.page_size = 2 * MiB;
	ck_assert_int_eq(liveupdate_memory_preserve_opts(ram, s, &po, NULL), -EINVAL);
	ck_assert_int_eq(liveupdate_session_count_entries(s), 0);
	ck_assert_int_eq(liveupdate_memory_preserve_opts(NULL, s, &po, NULL), -EINVAL);

	/* repeating them is fine */
	po.backing = LIVEUPDATE_MEMORY_SHMEM;
	po.page_size = 4096;
	ck_assert_int_eq(liveupdate_memory_preserve_opts(ram, s, &po, &token), 0);
	ck_assert_uint_ne(token, 0);
	LIVEUPDATE_OPTS(liveupdate_preserve_opts, tp, .label = "ram1");
	ck_assert_int_eq(liveupdate_memory_preserve_opts(thp, s, &tp, NULL), 0);
	/* the token call records the kind too */
	liveupdate_memory_unref(ram);
	ram = shmem_with_pattern(ctx, 4 * MiB, &p);
	ck_assert_int_eq(liveupdate_memory_preserve(ram, s, 77), 0);
	/* a manifest that disagrees with the file; a backing the library
	 * could not read back is refused when written */
	fd = pattern_memfd(1 << 20, 3);
	LIVEUPDATE_OPTS(liveupdate_preserve_opts, lie, .label = "lie",
			.kind = LIVEUPDATE_ENTRY_MEMORY, .backing = LIVEUPDATE_MEMORY_HUGETLB,
			.page_size = 2 * MiB);
	ck_assert_int_eq(liveupdate_session_preserve_fd_opts(s, fd, &lie, NULL), 0);
	close(fd);
	fd = pattern_memfd(1 << 20, 4);
	lie.label = "future";
	lie.backing = 9;
	ck_assert_int_eq(liveupdate_session_preserve_fd_opts(s, fd, &lie, NULL), -EINVAL);
	close(fd);
	liveupdate_memory_unref(ram);
	liveupdate_memory_unref(thp);
	ctx = seam_reboot(ctx, s);
	ck_assert_int_eq(liveupdate_session_retrieve(ctx, "guest", &in), 0);
	e = entry_of(in, "ram0");
	ck_assert_uint_eq(e->backing, LIVEUPDATE_MEMORY_SHMEM);
	ck_assert_uint_eq(e->page_size, 4096);
	ck_assert_uint_eq(e->token, token);
	ck_assert_str_eq(liveupdate_entry_get_meta(e, "numa-node"), "1");
	e = entry_of(in, "ram1");
	ck_assert_uint_eq(e->backing, LIVEUPDATE_MEMORY_THP);
	ck_assert_uint_eq(e->page_size, 2 * MiB);
	ck_assert_int_eq(liveupdate_session_get_entry(in, 2, &e), 0);
	ck_assert_int_eq(e->kind, LIVEUPDATE_ENTRY_MEMORY);
	ck_assert_uint_eq(e->token, 77);
	ck_assert_uint_eq(e->backing, LIVEUPDATE_MEMORY_SHMEM);

	ck_assert_int_eq(liveupdate_memory_retrieve_label(in, "nope", &back), -ENOENT);
	ck_assert_int_eq(liveupdate_memory_retrieve_label(in, NULL, &back), -EINVAL);
	ck_assert_int_eq(liveupdate_memory_retrieve_label(in, "ram0", &back), 0);
	ck_assert_int_eq(liveupdate_memory_get_backing(back), LIVEUPDATE_MEMORY_SHMEM);
	ck_assert_ptr_nonnull(strstr(liveupdate_memory_get_reason(back), "from the manifest"));
	check_mem_pattern(back);
	liveupdate_memory_unref(back);
	/* the recorded THP, not measured */
	ck_assert_int_eq(liveupdate_memory_retrieve_label(in, "ram1", &back), 0);
	ck_assert_int_eq(liveupdate_memory_get_backing(back), LIVEUPDATE_MEMORY_THP);
	ck_assert_uint_eq(liveupdate_memory_get_page_size(back), 2 * MiB);
	ck_assert_uint_eq(liveupdate_memory_get_size(back), 4 * MiB);
	liveupdate_memory_unref(back);
	/* the file wins over a manifest that disagrees */
	ck_assert_int_eq(liveupdate_memory_retrieve_label(in, "lie", &back), 0);
	ck_assert_int_eq(liveupdate_memory_get_backing(back), LIVEUPDATE_MEMORY_SHMEM);
	ck_assert_ptr_nonnull(strstr(liveupdate_memory_get_reason(back), "does not match"));
	liveupdate_memory_unref(back);
	ck_assert_int_eq(liveupdate_session_find_entry(in, "future", &e), -ENOENT);
	ck_assert_int_eq(liveupdate_session_finish(in), 0);
	liveupdate_session_unref(in);
	liveupdate_ctx_unref(ctx);
	fixture_free(root);
}
END_TEST

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
	Suite *s = suite_create("memory");
	TCase *tc = tcase_create("memory");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_host_thp_policies);
	tcase_add_test(tc, test_host_hugetlb);
	tcase_add_test(tc, test_host_mounts);
	tcase_add_test(tc, test_auto_policy_combinations);
	tcase_add_test(tc, test_auto_tmpfs);
	tcase_add_test(tc, test_auto_hugetlb);
	tcase_add_test(tc, test_auto_hugetlb_refused_by_kernel);
	tcase_add_test(tc, test_bad_sizes);
	tcase_add_test(tc, test_hugetlb_pool_too_small);
	tcase_add_test(tc, test_bad_options);
	tcase_add_test(tc, test_seals_and_getters);
	tcase_add_test(tc, test_explicit_thp);
	tcase_add_test(tc, test_map_populate);
	tcase_add_test(tc, test_populate_enomem);
	tcase_add_test(tc, test_hugetlb_reservation_fails);
	tcase_add_test(tc, test_from_fd);
	tcase_add_test(tc, test_probe_cache);
	tcase_add_test(tc, test_preserve_retrieve);
	tcase_add_test(tc, test_preserve_label);
	tcase_add_test(tc, test_move);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
