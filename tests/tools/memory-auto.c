/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * memory-auto TMPFS_DIR HOST_ROOT: liveupdate_memory_new() with AUTO for
 * 4 MiB, the huge tmpfs option and the host root given; prints the
 * backing, its page size and the file (/proc/self/fd link: a memfd shows
 * as /memfd:NAME), then the reason. For tests/tools/mount-huge.sh.
 */
#include <stdio.h>
#include <unistd.h>

#include <liveupdate/liveupdate.h>

int main(int argc, char **argv)
{
	struct liveupdate_memory *mem = NULL;
	struct liveupdate_ctx *ctx = NULL;
	char link[64], file[4096] = "?";
	int err;

	if (argc != 3) {
		fprintf(stderr, "usage: memory-auto TMPFS_DIR HOST_ROOT\n");
		return 2;
	}
	LIVEUPDATE_OPTS(liveupdate_memory_opts, opts, .size = 4u << 20,
			.tmpfs_path = argv[1], .host_root = argv[2]);
	err = liveupdate_ctx_new(NULL, &ctx);
	if (!err)
		err = liveupdate_memory_new(ctx, &opts, &mem);
	if (err) {
		fprintf(stderr, "memory-auto: %s\n", liveupdate_last_error());
		liveupdate_ctx_unref(ctx);
		return 1;
	}
	snprintf(link, sizeof(link), "/proc/self/fd/%d", liveupdate_memory_get_fd(mem));
	if (readlink(link, file, sizeof(file) - 1) < 0)
		perror(link);
	printf("%s %llu %s\n%s\n",
	       liveupdate_memory_backing_name(liveupdate_memory_get_backing(mem)),
	       (unsigned long long)liveupdate_memory_get_page_size(mem), file,
	       liveupdate_memory_get_reason(mem));
	liveupdate_memory_unref(mem);
	liveupdate_ctx_unref(ctx);
	return 0;
}
