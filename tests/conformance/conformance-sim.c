/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The conformance suite against liveupdate-sim: run it under the shim,
 *
 *   liveupdate-sim run -- tests/conformance/conformance-sim
 *
 * Stage 1, then a simulated kexec (kexec_file_load() + reboot(KEXEC), which
 * the shim turns into the daemon's kexec: the process goes on), then
 * stage 2. A few cases only a simulator can show are added ("SIM" lines).
 * Exit status: 0 all passed, 1 a case failed, 99 not run (no shim).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kexec.h>
#include <linux/reboot.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "conformance.h"

#define MAX_KEEP 64

static int kept[MAX_KEEP], nkept;
static int sim_fail;

static void keep_fd(void *data, int fd)
{
	(void)data;
	if (nkept < MAX_KEEP)
		kept[nkept++] = fd;
}

static void print_line(void *data, const char *line)
{
	(void)data;
	printf("%s\n", line);
	fflush(stdout);
}

static void sim_result(int ok, const char *name, const char *detail)
{
	printf("SIM %s %s: %s\n", ok ? "PASS" : "FAIL", name, detail);
	fflush(stdout);
	if (!ok)
		sim_fail++;
}

int main(int argc, char **argv)
{
	const struct lu_conf_env env = { keep_fd, print_line, NULL };
	const char *device = argc > 1 ? argv[1] : "/dev/liveupdate";
	int (*active)(void);
	int f1, f2, kfd;
	long r;

	/* never reboot a real machine: only run under the shim */
	*(void **)&active = dlsym(RTLD_DEFAULT, "liveupdate_sim_preload_active");
	if (!active || !active()) {
		fprintf(stderr, "conformance-sim: not running under liveupdate-sim's shim; "
			"run it as: liveupdate-sim run -- %s\n", argv[0]);
		return 99;
	}

	f1 = lu_conformance_stage(1, device, &env);
	if (f1 < 0)
		return 1;

	/* kernel_kexec(): nothing loaded, EINVAL */
	errno = 0;
	r = reboot(LINUX_REBOOT_CMD_KEXEC);
	sim_result(r < 0 && errno == EINVAL, "reboot-without-kexec-load",
		   r < 0 ? strerror(errno) : "succeeded");
	kfd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	errno = 0;
	r = syscall(SYS_kexec_file_load, kfd, -1, 1UL, "", (unsigned long)KEXEC_FILE_NO_INITRAMFS);
	sim_result(r == 0, "kexec-file-load", r < 0 ? strerror(errno) : "recorded");
	close(kfd);
	errno = 0;
	r = reboot(LINUX_REBOOT_CMD_KEXEC);
	sim_result(r == 0, "reboot", r < 0 ? strerror(errno) : "simulated kexec, the process goes on");

	/* the previous boot's session fds are dead: EBADF, then closed */
	if (nkept) {
		struct liveupdate_session_get_name g = { .size = sizeof(g) };

		errno = 0;
		r = ioctl(kept[0], LIVEUPDATE_SESSION_GET_NAME, &g);
		sim_result(r < 0 && errno == EBADF, "old-boot-session-fd-dead",
			   r < 0 ? strerror(errno) : "still answers");
	}
	for (int i = 0; i < nkept; i++)
		close(kept[i]);
	errno = 0;
	r = reboot(LINUX_REBOOT_CMD_KEXEC);
	sim_result(r < 0 && errno == EINVAL, "kexec-load-consumed-by-reboot",
		   r < 0 ? strerror(errno) : "succeeded");

	f2 = lu_conformance_stage(2, device, &env);
	printf("conformance-sim: %s\n", f1 || f2 || sim_fail ? "FAILED" : "all passed");
	return f1 || f2 || sim_fail ? 1 : 0;
}
