/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * liveupdate-sim's daemon: the simulated Live Update Orchestrator. It owns
 * every session and holds every preserved memfd (the clients' own open
 * files, received with SCM_RIGHTS: nothing is copied), and answers the
 * protocol of sim-proto.h on one Unix socket. Single-threaded, epoll-driven,
 * every table bounded.
 */
#ifndef LIBLIVEUPDATE_SIM_DAEMON_H
#define LIBLIVEUPDATE_SIM_DAEMON_H

#include <stdbool.h>

/* Hard ceilings; the daemon lowers them to fit its RLIMIT_NOFILE. */
#define LU_SIM_MAX_CONNS (8192 + 64)   /* clients: every session, the device, 63 more */
#define LU_SIM_MAX_SESSIONS 8192       /* outgoing + incoming: 4x the kernel selftest */
#define LU_SIM_MAX_FILES_PER_SESSION 8192 /* then ENOSPC (the kernel selftest: 5000) */
#define LU_SIM_MAX_FILES 16384         /* held files in all sessions; then ENOMEM */

struct lu_sim_daemon_opts {
	const char *socket_path;  /* absolute, as lu_sim_resolve_socket() gives */
	int ready_fd;             /* gets one byte once listening, then closed; -1 */
	const char *log_path;     /* with detach: append the log here; NULL: /dev/null */
	bool detach;              /* once listening: stdio to /dev/null (log to log_path) */
	bool verbose;             /* log every request */
};

/*
 * Create the socket's directory if needed (0700; an existing one must be a
 * directory of this user with no group or other access), take its lock,
 * listen, and serve until STOP, SIGTERM or SIGINT. Returns the process exit
 * status (0 after a clean stop); the reason for a failure is on stderr.
 */
int lu_sim_daemon_run(const struct lu_sim_daemon_opts *opts);

#endif
