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

LU_EXPORT int liveupdate_kexec_load(struct liveupdate_ctx *ctx,
				    const char *kernel_path,
				    const struct liveupdate_kexec_opts *opts)
{
	const char *initrd, *cmdline;
	char *proc_cmdline = NULL;
	int kfd, ifd = -1, ret;
	unsigned long flags = 0;

	if (!ctx || !kernel_path || !*kernel_path)
		return lu_bad_arg(ctx, "liveupdate_kexec_load: %s",
				  !ctx ? "ctx is NULL" : "kernel_path is NULL or empty");
	if (lu_check_opts(ctx, "liveupdate_kexec_load", opts))
		return -EINVAL;
	initrd = lu_opts_get(opts, initrd_path, NULL);
	cmdline = lu_opts_get(opts, cmdline, NULL);
	if (!cmdline) {
		/* room for the newline the kernel ends it with and the NUL */
		ret = lu_util_read_cmdline(NULL, CMDLINE_MAX - 2, &proc_cmdline);
		if (ret < 0)
			return lu_fail(ctx, LU_OP_KEXEC_LOAD, ret == -EFBIG ? -E2BIG : ret,
				       "liveupdate_kexec_load: reading /proc/cmdline");
		cmdline = proc_cmdline;
	} else if (strlen(cmdline) >= CMDLINE_MAX) {
		return lu_bad_arg(ctx, "liveupdate_kexec_load: the command line is "
				  "%zu bytes, more than %d", strlen(cmdline),
				  CMDLINE_MAX - 1);
	}

	kfd = open(kernel_path, O_RDONLY | O_CLOEXEC);
	if (kfd < 0) {
		ret = lu_fail(ctx, LU_OP_KEXEC_LOAD, -errno,
			      "liveupdate_kexec_load: opening %s", kernel_path);
		goto out;
	}
	if (initrd) {
		ifd = open(initrd, O_RDONLY | O_CLOEXEC);
		if (ifd < 0) {
			ret = -errno;
			close(kfd);
			ret = lu_fail(ctx, LU_OP_KEXEC_LOAD, ret,
				      "liveupdate_kexec_load: opening %s", initrd);
			goto out;
		}
	} else {
		flags |= KEXEC_FILE_NO_INITRAMFS;
	}
	ret = lu_backend_kexec_file_load(ctx, kfd, ifd, cmdline, flags);
	close(kfd);
	if (ifd >= 0)
		close(ifd);
	if (ret < 0) {
		ret = lu_fail(ctx, LU_OP_KEXEC_LOAD, ret,
			      "liveupdate_kexec_load(%s)", kernel_path);
		goto out;
	}
	lu_info(ctx, "loaded %s%s%s for kexec, command line \"%s\"", kernel_path,
		initrd ? " with " : "", initrd ? initrd : "", cmdline);
out:
	free(proc_cmdline);
	return ret;
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
