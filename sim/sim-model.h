/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * liveupdate-sim's model of the Live Update Orchestrator: sessions, their
 * files, and every check the kernel makes, in the kernel's order (the order
 * is written down at the top of sim-model.c). Requests come in already
 * decoded; answers are positive errnos. No socket I/O here.
 */
#ifndef LIBLIVEUPDATE_SIM_MODEL_H
#define LIBLIVEUPDATE_SIM_MODEL_H

#include "sim-daemon-private.h"
#include "sim-proto.h"

/* Start empty with these limits. Returns 0 or -ENOMEM. */
int sim_model_init(const struct sim_limits *limits);
/* Release every session and file (the daemon stops). */
void sim_model_fini(void);

/* luo_open(): @c becomes the open device. 0 or EBUSY. */
int sim_model_open_device(struct sim_conn *c);

/*
 * The kernel's release of the file behind @c (the client closed it, or it
 * misbehaved): the device is closed, an outgoing session unpreserves its
 * files, an incoming one is finished.
 */
void sim_model_release(struct sim_conn *c, const char *why);

/* @c goes stale at the simulated kexec: forgotten, nothing released. */
void sim_model_forget(struct sim_conn *c);

/*
 * An ioctl on a DEVICE or SESSION connection. @out holds the caller's
 * struct (as it came) and gets what the kernel writes back. *@file: the
 * file to preserve or -1; set to -1 when the model keeps it. *@out_fd: a
 * file to send back (not to be closed: the model keeps it). @pending: the
 * SESSION connection not attached yet that the request's cookie names (the
 * file CREATE/RETRIEVE_SESSION attach the session to), or NULL. Returns 0
 * or a positive errno.
 */
int sim_model_ioctl(struct sim_conn *c, const struct lu_sim_ioctl *io,
		    struct sim_conn *pending, struct lu_sim_reply *out, int *file,
		    int *out_fd);

/* kexec_file_load() recorded (LU_SIM_KEXEC_* flags). */
void sim_model_kexec_load(struct sim_conn *c, uint32_t flags);
/*
 * reboot(KEXEC): 0 and the simulated kexec done (the caller then closes
 * every device and session connection with sim_model_forget()), or EINVAL
 * (nothing loaded).
 */
int sim_model_reboot(struct sim_conn *c, uint32_t flags, uint64_t *reboots);

/* Whether (dev, ino) is preserved in an outgoing session. */
bool sim_model_frozen(uint64_t dev, uint64_t ino);

/* STATUS: the daemon's INFO (index LU_SIM_STATUS_DAEMON) or one session's. */
void sim_model_status(uint32_t index, struct lu_sim_msg *r);
/* PEEK: 0 and a read-only fd (the caller's to close), or a positive errno. */
int sim_model_peek(const struct lu_sim_peek *pk, int *fdp, uint64_t *direction);

/* For the log line at stop. */
size_t sim_model_sessions(void);
size_t sim_model_files(void);

#endif
