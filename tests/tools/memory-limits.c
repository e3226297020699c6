/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What a VMM sees when it asks for more memory than the host can give,
 * written from liveupdate_memory_new(3) and liveupdate_session_preserve_fd(3)
 * alone; for tests/tools/memory-limits.sh, which runs it in a small memory
 * cgroup and on a small huge tmpfs. Each command prints what it got and
 * exits 0 when the library kept its promise, 1 when not:
 *
 *   populate MIB [auto|shmem]    populate refused with -ENOMEM, a reason
 *                                naming the limit; a crash is a failure
 *   fits MIB                     populating what fits still works
 *   sparse MIB                   preserving a sparse memfd of MIB that
 *                                the host cannot fill is refused, -ENOMEM
 *   auto-tmpfs DIR ROOT MIB [populate]
 *                                AUTO passes over the too-small huge tmpfs
 *                                DIR (its reason says so), and every page
 *                                of the memory can be written
 *   thp-tmpfs DIR ROOT MIB       explicit THP that only DIR could give
 *                                fails -ENOSPC or -ENOMEM, with a reason
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <liveupdate/liveupdate.h>

#define MIB (1ull << 20)

static int say(const char *what, int err, const char *want_in_error)
{
	const char *msg = liveupdate_last_error();

	printf("%s: %d (%s): %s\n", what, err, err ? liveupdate_strerror(err) : "ok",
	       err ? msg : "");
	if (err != -ENOMEM && err != -ENOSPC) {
		printf("FAIL: %s: expected -ENOMEM or -ENOSPC\n", what);
		return 1;
	}
	if (want_in_error && !strstr(msg, want_in_error)) {
		printf("FAIL: %s: the error does not mention \"%s\"\n", what, want_in_error);
		return 1;
	}
	return 0;
}

static int populate(struct liveupdate_ctx *ctx, uint64_t mib, const char *kind)
{
	enum liveupdate_memory_backing b = !strcmp(kind, "shmem") ? LIVEUPDATE_MEMORY_SHMEM
								  : LIVEUPDATE_MEMORY_AUTO;
	LIVEUPDATE_OPTS(liveupdate_memory_opts, opts, .size = mib * MIB, .backing = b,
			.populate = 1);
	struct liveupdate_memory *mem = NULL;
	int err = liveupdate_memory_new(ctx, &opts, &mem);

	if (!err) {
		printf("FAIL: populating %llu MiB succeeded in a smaller memory limit\n",
		       (unsigned long long)mib);
		liveupdate_memory_unref(mem);
		return 1;
	}
	return say("liveupdate_memory_new(populate)", err, "memory");
}

static int fits(struct liveupdate_ctx *ctx, uint64_t mib)
{
	LIVEUPDATE_OPTS(liveupdate_memory_opts, opts, .size = mib * MIB,
			.backing = LIVEUPDATE_MEMORY_SHMEM, .populate = 1);
	struct liveupdate_memory *mem = NULL;
	int err = liveupdate_memory_new(ctx, &opts, &mem);

	printf("populating %llu MiB: %d %s\n", (unsigned long long)mib, err,
	       err ? liveupdate_last_error() : "");
	liveupdate_memory_unref(mem);
	return err != 0;
}

static int sparse(struct liveupdate_ctx *ctx, uint64_t mib)
{
	struct liveupdate_session *s = NULL;
	char name[64];
	int fd = memfd_create("lu-sparse", MFD_CLOEXEC), err;

	snprintf(name, sizeof(name), "memory-limits-%d", (int)getpid());
	if (fd < 0 || ftruncate(fd, (off_t)(mib * MIB)) < 0) {
		perror("memfd");
		return 1;
	}
	err = liveupdate_session_create(ctx, name, &s);
	if (err) {
		printf("FAIL: liveupdate_session_create: %s\n", liveupdate_last_error());
		return 1;
	}
	err = liveupdate_session_preserve_fd(s, fd, 1);
	if (!err) {
		printf("FAIL: a sparse memfd of %llu MiB was preserved in a smaller "
		       "memory limit\n", (unsigned long long)mib);
		return 1;
	}
	err = say("liveupdate_session_preserve_fd(sparse)", err, "hole");
	liveupdate_session_unref(s);
	close(fd);
	return err;
}

/* Write one byte in every 4 KiB page: a memory on a full tmpfs dies here. */
static int touch_all(struct liveupdate_memory *mem)
{
	uint64_t size = liveupdate_memory_get_size(mem);
	volatile unsigned char *p;
	void *addr;
	int err = liveupdate_memory_map(mem, &addr);

	if (err) {
		printf("FAIL: liveupdate_memory_map: %s\n", liveupdate_last_error());
		return 1;
	}
	p = addr;
	for (uint64_t off = 0; off < size; off += 4096)
		p[off] = 1;
	printf("wrote every page of %llu MiB\n", (unsigned long long)(size / MIB));
	return 0;
}

static int auto_tmpfs(struct liveupdate_ctx *ctx, const char *dir, const char *root,
		      uint64_t mib, int populate_it)
{
	LIVEUPDATE_OPTS(liveupdate_memory_opts, opts, .size = mib * MIB, .tmpfs_path = dir,
			.host_root = root, .populate = populate_it);
	struct liveupdate_memory *mem = NULL;
	char link[64], file[4096] = "";
	const char *reason;
	int err = liveupdate_memory_new(ctx, &opts, &mem);

	if (err) {
		printf("FAIL: AUTO%s: %s\n", populate_it ? " with populate" : "",
		       liveupdate_last_error());
		return 1;
	}
	reason = liveupdate_memory_get_reason(mem);
	snprintf(link, sizeof(link), "/proc/self/fd/%d", liveupdate_memory_get_fd(mem));
	if (readlink(link, file, sizeof(file) - 1) < 0)
		perror(link);
	printf("AUTO chose %s (%s): %s\n",
	       liveupdate_memory_backing_name(liveupdate_memory_get_backing(mem)), file,
	       reason);
	err = 0;
	if (!strncmp(file, dir, strlen(dir))) {
		printf("FAIL: AUTO put %llu MiB on the too-small tmpfs %s\n",
		       (unsigned long long)mib, dir);
		err = 1;
	} else if (!strstr(reason, dir) || !strstr(reason, "free")) {
		printf("FAIL: the reason does not say why %s was passed over\n", dir);
		err = 1;
	}
	err |= touch_all(mem);
	liveupdate_memory_unref(mem);
	return err;
}

static int thp_tmpfs(struct liveupdate_ctx *ctx, const char *dir, const char *root,
		     uint64_t mib)
{
	LIVEUPDATE_OPTS(liveupdate_memory_opts, opts, .size = mib * MIB,
			.backing = LIVEUPDATE_MEMORY_THP, .tmpfs_path = dir, .host_root = root);
	struct liveupdate_memory *mem = NULL;
	int err = liveupdate_memory_new(ctx, &opts, &mem);

	if (!err) {
		printf("FAIL: THP of %llu MiB created on the too-small tmpfs %s\n",
		       (unsigned long long)mib, dir);
		touch_all(mem);
		liveupdate_memory_unref(mem);
		return 1;
	}
	return say("liveupdate_memory_new(THP)", err, dir);
}

int main(int argc, char **argv)
{
	struct liveupdate_ctx *ctx = NULL;
	const char *cmd = argc > 1 ? argv[1] : "";
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (liveupdate_ctx_new(NULL, &ctx)) {
		printf("FAIL: liveupdate_ctx_new: %s\n", liveupdate_last_error());
		return 1;
	}
	if (!strcmp(cmd, "populate") && argc >= 3)
		ret = populate(ctx, strtoull(argv[2], NULL, 10), argc > 3 ? argv[3] : "auto");
	else if (!strcmp(cmd, "fits") && argc == 3)
		ret = fits(ctx, strtoull(argv[2], NULL, 10));
	else if (!strcmp(cmd, "sparse") && argc == 3)
		ret = sparse(ctx, strtoull(argv[2], NULL, 10));
	else if (!strcmp(cmd, "auto-tmpfs") && argc >= 5)
		ret = auto_tmpfs(ctx, argv[2], argv[3], strtoull(argv[4], NULL, 10),
				 argc > 5 && !strcmp(argv[5], "populate"));
	else if (!strcmp(cmd, "thp-tmpfs") && argc == 5)
		ret = thp_tmpfs(ctx, argv[2], argv[3], strtoull(argv[4], NULL, 10));
	else {
		fprintf(stderr, "usage: see the comment at the top of memory-limits.c\n");
		ret = 2;
	}
	liveupdate_ctx_unref(ctx);
	return ret;
}
