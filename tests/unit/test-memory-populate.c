/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Map and populate (lib/memory-populate.c, lib/memory-chunks.c): progress,
 * the kernel without MADV_POPULATE_WRITE, a stop from the progress
 * function, and running out of pages (a full tmpfs, an empty HugeTLB pool)
 * as -ENOMEM with the reason, never a SIGBUS.
 */
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include "memory-unit.h"

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

/*
 * Out of memory while populating gives -ENOMEM and the reason, never a
 * SIGBUS: a 4 MiB tmpfs, mounted in a private user and mount namespace of
 * a child process, holds "THP" memory of 8 MiB.
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
		ck_assert_int_eq(liveupdate_memory_new(ctx, &o, &mem), 0);
		ret = liveupdate_memory_populate(mem, 2);
		if (ret != -ENOMEM || !strstr(liveupdate_last_error(), "could be allocated at offset") ||
		    !strstr(liveupdate_last_error(), "the tmpfs is full"))
			_exit(1);
		liveupdate_memory_unref(mem);
		o.populate = 1; /* the same, from liveupdate_memory_new */
		mem = (void *)0x1;
		if (liveupdate_memory_new(ctx, &o, &mem) != -ENOMEM || mem != (void *)0x1)
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

int main(void)
{
	Suite *s = suite_create("memory-populate");
	TCase *tc = tcase_create("memory-populate");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_map_populate);
	tcase_add_test(tc, test_populate_enomem);
	tcase_add_test(tc, test_hugetlb_reservation_fails);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
