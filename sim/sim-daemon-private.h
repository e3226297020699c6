/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * liveupdate-sim's daemon, inside: the types its parts share.
 *   sim-daemon.c  the event loop and the connections (struct sim_conn);
 *   sim-model.c   the model of the kernel's checks (sim-model.h);
 *   sim-frozen.c  the table of preserved files published to clients
 *                 (sim-frozen.h);
 *   sim-log.c     the log (sim-log.h).
 * The event loop calls the model, the model the table, and all of them the
 * log: never the other way round.
 */
#ifndef LIBLIVEUPDATE_SIM_DAEMON_PRIVATE_H
#define LIBLIVEUPDATE_SIM_DAEMON_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct sim_session;

/* One client connection: an open device, a session file, or a control client. */
struct sim_conn {
	int fd;
	uint32_t role;          /* 0 until HELLO */
	pid_t pid;
	uid_t uid;
	uint64_t cookie[2];     /* SESSION: the name CREATE/RETRIEVE attach it by */
	struct sim_session *session;
	bool dead;
	/* the daemon's indexes */
	size_t slot;                  /* in the table of connections */
	struct sim_conn *same_cookie; /* SESSION: next in its bucket of pending ones */
	struct sim_conn *next_dead;   /* dead, waiting for the end of the round */
};

/* The daemon's limits, fixed at start from RLIMIT_NOFILE. */
struct sim_limits {
	size_t conns, sessions, files, files_per_session;
};

#endif
