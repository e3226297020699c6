/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Loading the next kernel and rebooting into it. */
#include <errno.h>
#include <fcntl.h>
#include <linux/kexec.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "liveupdate-private.h"

#define CMDLINE_MAX 4096            /* bytes with the NUL; x86's COMMAND_LINE_SIZE is 2048+ */

/* The running kernel's command line, without the trailing newline. */
static int read_proc_cmdline(char *buf, size_t len)
{
	int fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return (int)n;
	}
	close(fd);
	if ((size_t)n == len - 1)
		return -E2BIG;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

LU_EXPORT int liveupdate_kexec_load(struct liveupdate_ctx *ctx,
				    const char *kernel_path,
				    const struct liveupdate_kexec_opts *opts)
{
	const char *initrd, *cmdline;
	char proc_cmdline[CMDLINE_MAX];
	int kfd, ifd = -1, ret;
	unsigned long flags = 0;

	if (!ctx || !kernel_path || !*kernel_path)
		return lu_bad_arg(ctx, "liveupdate_kexec_load: %s",
				  !ctx ? "ctx is NULL" : "kernel_path is NULL or empty");
	if (opts && !lu_opts_valid(opts, opts->sz, sizeof(*opts)))
		return lu_bad_arg(ctx, "liveupdate_kexec_load: opts->sz is %zu, or "
				  "fields this library does not know are set; "
				  "declare options with LIVEUPDATE_OPTS()", opts->sz);
	initrd = lu_opts_get(opts, initrd_path, NULL);
	cmdline = lu_opts_get(opts, cmdline, NULL);
	if (!cmdline) {
		ret = read_proc_cmdline(proc_cmdline, sizeof(proc_cmdline));
		if (ret < 0)
			return lu_fail(ctx, LU_OP_KEXEC_LOAD, ret,
				       "liveupdate_kexec_load: reading /proc/cmdline");
		cmdline = proc_cmdline;
	} else if (strlen(cmdline) >= CMDLINE_MAX) {
		return lu_bad_arg(ctx, "liveupdate_kexec_load: the command line is "
				  "%zu bytes, more than %d", strlen(cmdline),
				  CMDLINE_MAX - 1);
	}

	kfd = open(kernel_path, O_RDONLY | O_CLOEXEC);
	if (kfd < 0)
		return lu_fail(ctx, LU_OP_KEXEC_LOAD, -errno,
			       "liveupdate_kexec_load: opening %s", kernel_path);
	if (initrd) {
		ifd = open(initrd, O_RDONLY | O_CLOEXEC);
		if (ifd < 0) {
			ret = -errno;
			close(kfd);
			return lu_fail(ctx, LU_OP_KEXEC_LOAD, ret,
				       "liveupdate_kexec_load: opening %s", initrd);
		}
	} else {
		flags |= KEXEC_FILE_NO_INITRAMFS;
	}
	ret = lu_backend_kexec_file_load(ctx, kfd, ifd, cmdline, flags);
	close(kfd);
	if (ifd >= 0)
		close(ifd);
	if (ret < 0)
		return lu_fail(ctx, LU_OP_KEXEC_LOAD, ret,
			       "liveupdate_kexec_load(%s)", kernel_path);
	lu_info(ctx, "loaded %s%s%s for kexec, command line \"%s\"", kernel_path,
		initrd ? " with " : "", initrd ? initrd : "", cmdline);
	return 0;
}

LU_EXPORT int liveupdate_kexec_reboot(struct liveupdate_ctx *ctx)
{
	int ret;

	if (!ctx)
		return lu_bad_arg(NULL, "liveupdate_kexec_reboot: ctx is NULL");
	lu_info(ctx, "rebooting into the loaded kernel");
	ret = lu_backend_reboot_kexec(ctx);
	/*
	 * A simulated kexec returns 0: the process goes on in the "new" boot,
	 * where the old boot's device fd is dead; the next call reopens it.
	 */
	if (ret == 0) {
		liveupdate_ctx_close_device(ctx);
		return 0;
	}
	return lu_fail(ctx, LU_OP_KEXEC_REBOOT, ret, "liveupdate_kexec_reboot");
}
