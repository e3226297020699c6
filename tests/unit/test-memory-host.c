/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the host offers for guest memory (lib/memory-host.c), read from
 * fixture roots: every THP policy file, HugeTLB pools and sizes, and the
 * hugetlbfs and tmpfs mounts.
 */
#include "memory-unit.h"

static int collect_mount(void *data, const char *path, uint64_t page_size)
{
	char *out = data;
	char line[600];

	snprintf(line, sizeof(line), "%s=%" PRIu64 ";", path, page_size);
	strcat(out, line);
	return 0;
}

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

int main(void)
{
	Suite *s = suite_create("memory-host");
	TCase *tc = tcase_create("memory-host");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_host_thp_policies);
	tcase_add_test(tc, test_host_hugetlb);
	tcase_add_test(tc, test_host_mounts);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
