/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The real kernel behind the backend seam: plain system calls. */
#include <errno.h>
#include <fcntl.h>
#include <linux/reboot.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "liveupdate-private.h"

static int kernel_open_device(void *data, const char *path)
{
	int fd;

	(void)data;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* A file that opens is not yet the device. LUO reads a request's size
	 * before anything else, so a NULL request gets EFAULT from it, and
	 * ENOTTY (or EINVAL) from a regular file, /dev/null or another driver. */
	if (ioctl(fd, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, NULL) == 0 || errno != EFAULT) {
		close(fd);
		return -ENOTTY;
	}
	return fd;
}

static int kernel_ioctl(void *data, int fd, unsigned long request, void *arg)
{
	int ret;

	(void)data;
	ret = ioctl(fd, request, arg);
	return ret < 0 ? -errno : ret;
}

static int kernel_close(void *data, int fd)
{
	(void)data;
	/* Linux closes the fd even when close() reports an error. */
	return close(fd) < 0 && errno != EINTR ? -errno : 0;
}

static int kernel_kexec_file_load(void *data, int kernel_fd, int initrd_fd,
				  const char *cmdline, unsigned long flags)
{
	(void)data;
#ifdef SYS_kexec_file_load
	/* the cmdline length counts the NUL */
	long ret = syscall(SYS_kexec_file_load, kernel_fd, initrd_fd,
			   strlen(cmdline) + 1, cmdline, flags);
	return ret < 0 ? -errno : 0;
#else
	(void)kernel_fd; (void)initrd_fd; (void)cmdline; (void)flags;
	return -ENOSYS;
#endif
}

static int kernel_reboot_kexec(void *data)
{
	(void)data;
	sync();
	syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2,
		LINUX_REBOOT_CMD_KEXEC, NULL);
	return -errno;
}

static const char *kernel_device_label(void *data, const char *path)
{
	(void)data;
	return path;
}

static const struct lu_advice kernel_open_advice[] = {
	{ ENOENT, "the kernel has no live update device: it needs CONFIG_LIVEUPDATE "
		  "and CONFIG_KEXEC_HANDOVER (Linux 6.19+) and the boot options "
		  "liveupdate=on and kho=on (unless KHO is enabled by default)" },
	{ EBUSY, "another open file holds the device (the kernel allows one): stop "
		 "that process or ask it for a session fd, then retry" },
	{ EACCES, "the device node's mode does not allow this user; run as root "
		  "or change the node's owner" },
	{ ENOTTY, "that file is not the live update device: it opens, but does "
		  "not answer the Live Update Orchestrator's requests (a regular "
		  "file, /dev/null or another driver's device); give the path of "
		  "/dev/liveupdate" },
	{ EIO, "the state handed over by the previous kernel could not be read, "
	       "so nothing can be retrieved in this boot" },
	{ 0, NULL },
};

const struct lu_backend_ops lu_kernel_backend = {
	.name = "kernel",
	.kind = LIVEUPDATE_BACKEND_KERNEL,
	.open_advice = kernel_open_advice,
	.open_fail_priority = LOG_INFO,
	.device_label = kernel_device_label,
	.find_holders = lu_device_holders,
	.open_device = kernel_open_device,
	.ioctl = kernel_ioctl,
	.close = kernel_close,
	.kexec_file_load = kernel_kexec_file_load,
	.reboot_kexec = kernel_reboot_kexec,
};
