/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The client side of liveupdate-sim, shared by the library's simulator
 * backend (lib/backend-sim.c), the LD_PRELOAD shim and the liveupdate-sim
 * command: socket paths, connections, messages with fds, and the ioctl
 * forwarding that gives the kernel's errnos in the kernel's order. Only what
 * the library calls lives here; requests of the simulator's own programs
 * are in sim-control.h.
 *
 * Every function returns a non-negative value on success and a negative
 * errno on failure. None of them calls open(), ioctl(), write() or any other
 * function the shim wraps, so the shim can use them freely.
 */
#ifndef LIBLIVEUPDATE_SIM_CLIENT_H
#define LIBLIVEUPDATE_SIM_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sim-proto.h"

#define LU_SIM_ENV_SOCKET "LIBLIVEUPDATE_SIM_SOCKET"
#define LU_SIM_ENV_PRELOAD "LIBLIVEUPDATE_SIM_PRELOAD"
#define LU_SIM_SOCKET_NAME "socket"
#define LU_SIM_PATH_MAX 108 /* sizeof(sun_path) */

/* How long a client waits for the daemon's answer before giving up (EIO). */
#define LU_SIM_REPLY_TIMEOUT_S 30

/*
 * The default socket: /run/liveupdate-sim/socket for root, else
 * $XDG_RUNTIME_DIR/liveupdate-sim/socket, else
 * /tmp/liveupdate-sim-<uid>/socket.
 */
int lu_sim_default_socket(char *buf, size_t len);

/*
 * The socket to use: @explicit_path, else $LIBLIVEUPDATE_SIM_SOCKET, else
 * the default; made absolute, with its directory canonicalised when it
 * exists, so that every party spells it the same way.
 * Returns 0, -ENAMETOOLONG (over 107 bytes), -EINVAL (empty), -ENOMEM.
 */
int lu_sim_resolve_socket(const char *explicit_path, char *buf, size_t len);

/*
 * Connect to the daemon, check that it runs as this user or root, and say
 * HELLO in @role. For LU_SIM_ROLE_SESSION, @cookie receives the name under
 * which a CREATE/RETRIEVE_SESSION request attaches the connection.
 * Returns the connected fd (O_CLOEXEC if @cloexec), or -ENOENT / -ECONNREFUSED
 * (no daemon), -EACCES (a daemon of another user), -ENFILE (the daemon has
 * no room for another client), -EBUSY (DEVICE: already open), -EMFILE, ...
 */
int lu_sim_connect(const char *path, uint32_t role, bool cloexec, uint64_t cookie[2]);

/* Whether @fd is a connection to the daemon listening at @path: 1 or 0. */
int lu_sim_is_sim_fd(const char *path, int fd);

/*
 * Forward an ioctl made on a DEVICE or SESSION connection @fd. With @safe,
 * the caller's memory is read and written with process_vm_readv/writev,
 * so that a bad pointer gives EFAULT as in the kernel instead of a crash.
 * Returns 0 or the kernel's negative errno; -EBADF when the connection is
 * dead (the daemon closed it at a simulated reboot, or it is gone).
 */
int lu_sim_ioctl(const char *path, int fd, unsigned long request, void *arg,
		 bool safe);

/*
 * Send one message with up to LU_SIM_MAX_FDS fds (MSG_NOSIGNAL | @flags).
 * Returns 0 or -errno.
 */
int lu_sim_send(int sock, const struct lu_sim_msg *msg, const int *fds,
		int nfds, int flags);

/*
 * Receive and decode one message (MSG_CMSG_CLOEXEC | @flags), with up to
 * LU_SIM_MAX_FDS fds stored in @fds and counted in *@nfds (both may be NULL:
 * then any fd received is closed). On any failure every fd received is
 * closed. Returns 0, -ECONNRESET at end of file (or an empty message),
 * -EMSGSIZE (message or fds truncated), -EAGAIN, a decode error, -errno.
 */
int lu_sim_recv(int sock, struct lu_sim_msg *msg, int *fds, int *nfds, int flags);

/* One request and its REPLY/INFO/SESSION_INFO answer on a connected socket. */
int lu_sim_request(int sock, const struct lu_sim_msg *req, struct lu_sim_msg *reply);

/* A CONTROL round trip on a fresh connection. */
int lu_sim_call(const char *path, const struct lu_sim_msg *req,
		struct lu_sim_msg *reply);
/* The same, for requests answered by a REPLY: its errno, or the transport's. */
int lu_sim_call_reply(const char *path, const struct lu_sim_msg *req,
		      struct lu_sim_msg *reply);

/* The daemon's pid and its state in *@info (may be NULL), or -errno: "is
 * it running", and who holds its device. */
int lu_sim_ping(const char *path, struct lu_sim_info *info);

/* kexec_file_load(2) and reboot(LINUX_REBOOT_CMD_KEXEC) simulated. */
int lu_sim_kexec_load(const char *path, int kernel_fd, int initrd_fd,
		      unsigned long flags);
int lu_sim_reboot(const char *path, bool force, uint64_t *reboots);
/* Tell the daemon about a load without checking fds (kexec_load(2)). */
int lu_sim_kexec_record(const char *path, uint32_t flags);

#endif
