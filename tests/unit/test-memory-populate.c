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

/* Enter a mount namespace of this process' own, where it may mount: as
 * root, a private one; else in a user namespace where it is root (files
 * it creates need a mapped owner). */
static bool private_mount_namespace(void)
{
	char uid[32], gid[32];

	if (geteuid() == 0)
		return unshare(CLONE_NEWNS) == 0 &&
		       mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) == 0;
	snprintf(uid, sizeof(uid), "0 %d 1\n", (int)getuid());
	snprintf(gid, sizeof(gid), "0 %d 1\n", (int)getgid());
	return unshare(CLONE_NEWUSER | CLONE_NEWNS) == 0 &&
	       write_file("/proc/self/uid_map", uid) &&
	       write_file("/proc/self/setgroups", "deny") &&
	       write_file("/proc/self/gid_map", gid);
}

/* The cgroup2 hierarchy's mount point, or false. */
static bool cgroup2_mount(char *out, size_t len)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	char line[1024], point[256];
	bool found = false;

	while (f && !found && fgets(line, sizeof(line), f))
		found = strstr(line, " - cgroup2 ") &&
			sscanf(line, "%*s %*s %*s %*s %255s", point) == 1 &&
			(size_t)snprintf(out, len, "%s", point) < len;
	if (f)
		fclose(f);
	return found;
}

/*
 * Put this process in a new cgroup that may reserve no 2 MiB HugeTLB page
 * (hugetlb.2MB.rsvd.max = 0): to the process, the pool is empty, while the
 * host's pool is left alone. Needs root and cgroup2 with the hugetlb
 * controller. Fills @cg with the new cgroup, @home with the one to go back
 * to; false with @why when it cannot.
 */
static bool enter_cgroup_without_hugetlb(char *cg, char *home, size_t len, char *why,
					 size_t why_len)
{
	char root[256], path[1100], line[512] = "";
	FILE *f = fopen("/proc/self/cgroup", "r");

	while (f && fgets(line, sizeof(line), f) && strncmp(line, "0::", 3))
		;
	if (f)
		fclose(f);
	line[strcspn(line, "\n")] = '\0';
	if (geteuid() != 0 || !cgroup2_mount(root, sizeof(root)) || strncmp(line, "0::", 3)) {
		snprintf(why, why_len, "not root, or no cgroup2 hierarchy");
		return false;
	}
	snprintf(home, len, "%s%s", root, line + 3);
	snprintf(cg, len, "%s/lu-test-hugetlb-%d", root, (int)getpid());
	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", root);
	if (!write_file(path, "+hugetlb") || (mkdir(cg, 0755) < 0 && errno != EEXIST)) {
		snprintf(why, why_len, "%s: no hugetlb controller (%s)", root, strerror(errno));
		return false;
	}
	snprintf(path, sizeof(path), "%s/hugetlb.2MB.rsvd.max", cg);
	if (!write_file(path, "0")) {
		snprintf(why, why_len, "hugetlb.2MB.rsvd.max: %s (Linux 5.7 or later)",
			 strerror(errno));
		rmdir(cg);
		return false;
	}
	snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
	if (!write_file(path, "0")) {
		snprintf(why, why_len, "moving into the cgroup: %s", strerror(errno));
		rmdir(cg);
		return false;
	}
	return true;
}

static void leave_cgroup(const char *cg, const char *home)
{
	char path[1100];

	snprintf(path, sizeof(path), "%s/cgroup.procs", home);
	ck_assert_msg(write_file(path, "0"), "%s: %s", path, strerror(errno));
	ck_assert_msg(rmdir(cg) == 0, "rmdir %s: %s", cg, strerror(errno));
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

		if (!private_mount_namespace() ||
		    mount("small", dir, "tmpfs", 0, "size=4M") < 0) {
			fprintf(stderr, "a private mount namespace: %s\n", strerror(errno));
			_exit(77);
		}
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
	if (WEXITSTATUS(status) == 77)
		SKIP_TEST("cannot mount a small tmpfs in a namespace of its own: run as root, "
			  "or allow user namespaces (sysctl kernel.unprivileged_userns_clone=1)");
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

/* HugeTLB whose pool the fixture says is big enough, on a host whose real
 * pool is empty (or, as root, in a cgroup that may reserve no page of it):
 * mapping and populating fail with the pool named. */
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
	char cg[1024] = "", home[1024], why[512];

	if (fd >= 0)
		close(fd);
	if (fd < 0 || liveupdate_memory_host_hugetlb_pool(NULL, 2 * MiB, &real)) {
		fixture_free(root);
		liveupdate_ctx_unref(ctx);
		SKIP_TEST("this kernel has no HugeTLB pool of 2 MiB pages");
	}
	if (real.free + real.overcommit > 0 &&
	    !enter_cgroup_without_hugetlb(cg, home, sizeof(cg), why, sizeof(why))) {
		fixture_free(root);
		liveupdate_ctx_unref(ctx);
		SKIP_TEST("this host's HugeTLB pool has pages, and no cgroup can hide them: %s",
			  why);
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
	if (cg[0])
		leave_cgroup(cg, home);
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
