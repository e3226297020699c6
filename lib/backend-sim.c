/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The liveupdate-sim(1) backend: the library talks to the simulator's
 * daemon instead of the kernel. Only used when asked for explicitly
 * (LIVEUPDATE_BACKEND_SIM, or LIBLIVEUPDATE_BACKEND=sim with the default).
 *
 * Without the LD_PRELOAD shim, nothing stops the program from growing a
 * preserved memfd: the kernel's frozen-size rule is the shim's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "liveupdate-private.h"
#include "sim-client.h"

struct sim_backend {
	struct liveupdate_ctx *ctx;   /* not a reference: the context owns us */
	char socket[LU_SIM_PATH_MAX];
	char label[LU_SIM_PATH_MAX + 32];
};

static int sim_open_device(void *data, const char *path)
{
	struct sim_backend *b = data;
	int fd = lu_sim_connect(b->socket, LU_SIM_ROLE_DEVICE, true, NULL);

	(void)path; /* the simulator has one device */
	return fd == -ECONNREFUSED ? -ENOENT : fd; /* no daemon: no device */
}

static const char *sim_device_label(void *data, const char *path)
{
	struct sim_backend *b = data;

	(void)path;
	return b->label;
}

static const struct lu_advice sim_open_advice[] = {
	{ ENOENT, "no liveupdate-sim daemon answers at the socket: start one with "
		  "'liveupdate-sim start', or point LIBLIVEUPDATE_SIM_SOCKET at it" },
	{ ECONNREFUSED, "the socket is there but no liveupdate-sim daemon listens on "
			"it (it stopped): start one with 'liveupdate-sim start'" },
	{ EBUSY, "another open file holds the simulated device (it allows one, as "
		 "the kernel does): close it or ask its owner for a session fd" },
	{ EACCES, "the liveupdate-sim daemon at that socket runs as another user" },
	{ 0, NULL },
};

static int sim_ioctl(void *data, int fd, unsigned long request, void *arg)
{
	struct sim_backend *b = data;

	if (lu_sim_is_sim_fd(b->socket, fd))
		return lu_sim_ioctl(b->socket, fd, request, arg, false);
	/* not the simulator's: whatever the kernel says about this fd */
	return lu_kernel_backend.ioctl(NULL, fd, request, arg);
}

static int sim_close(void *data, int fd)
{
	(void)data;
	/* a plain close: the daemon sees the hang-up of the last copy as the
	 * kernel's release */
	return lu_kernel_backend.close(NULL, fd);
}

static int sim_kexec_file_load(void *data, int kernel_fd, int initrd_fd,
			       const char *cmdline, unsigned long flags)
{
	struct sim_backend *b = data;
	int ret;

	(void)cmdline;
	ret = lu_sim_kexec_load(b->socket, kernel_fd, initrd_fd, flags);
	if (ret == 0)
		lu_info(b->ctx, "liveupdate-sim: kexec image recorded (not loaded: the kexec "
			"is simulated)");
	return ret == -ENOENT || ret == -ECONNREFUSED ? -ENOENT : ret;
}

static int sim_reboot_kexec(void *data)
{
	struct sim_backend *b = data;
	struct liveupdate_ctx *ctx = b->ctx;
	uint64_t n = 0;
	int ret = lu_sim_reboot(b->socket, false, &n);

	if (ret == -ENOENT || ret == -ECONNREFUSED)
		return -EINVAL; /* no daemon, so nothing loaded either */
	if (ret < 0)
		return ret;
	lu_info(ctx, "liveupdate-sim: simulated kexec #%llu done; session fds of the "
		"previous boot are dead (close them), retrieve the sessions again",
		(unsigned long long)n);
	return 0;
}

static int sim_find_holders(void *data, const char *path,
			    struct lu_holder *holders, int max)
{
	struct sim_backend *b = data;
	struct lu_sim_info info;

	(void)path;
	if (max < 1 || lu_sim_ping(b->socket, &info) < 0 || !info.device_pid)
		return 0;
	holders[0].pid = (pid_t)info.device_pid;
	lu_holder_comm(&holders[0]);
	return 1;
}

static void sim_release(void *data)
{
	free(data);
}

const struct lu_backend_ops lu_sim_backend = {
	.name = "sim",
	.kind = LIVEUPDATE_BACKEND_SIM,
	.open_advice = sim_open_advice,
	.open_fail_priority = LOG_ERR,
	.device_label = sim_device_label,
	.find_holders = sim_find_holders,
	.open_device = sim_open_device,
	.ioctl = sim_ioctl,
	.close = sim_close,
	.kexec_file_load = sim_kexec_file_load,
	.reboot_kexec = sim_reboot_kexec,
	.release = sim_release,
};

int lu_sim_backend_new(struct liveupdate_ctx *ctx, const char *socket,
		       void **datap)
{
	struct sim_backend *b = calloc(1, sizeof(*b));
	int ret;

	if (!b)
		return lu_oom(ctx, "liveupdate_ctx_new");
	ret = lu_sim_resolve_socket(socket, b->socket, sizeof(b->socket));
	if (ret < 0) {
		free(b);
		return lu_fail(ctx, LU_OP_ARGUMENT, ret,
			       "liveupdate_ctx_new: the simulator's socket path \"%s\"",
			       socket ? socket : "(default)");
	}
	/* an unreachable simulator fails here, not at the first session call */
	ret = lu_sim_connect(b->socket, LU_SIM_ROLE_CONTROL, true, NULL);
	if (ret < 0) {
		ret = lu_fail_open(ctx, &lu_sim_backend, ret, "liveupdate_ctx_new: "
				   "connecting to liveupdate-sim at %s", b->socket);
		free(b);
		return ret;
	}
	close(ret);
	b->ctx = ctx;
	snprintf(b->label, sizeof(b->label), "liveupdate-sim's device at %s", b->socket);
	lu_info(ctx, "liveupdate-sim backend: socket %s", b->socket);
	*datap = b;
	return 0;
}
