/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the unit tests put behind the library's backend seam: a private
 * liveupdate-sim daemon (the simulator the conformance suite holds to the
 * kernel's answers, so the unit tests need no second model of the kernel),
 * reached through the simulator backend, with a thin layer on top that
 * counts every backend call and can make one of them fail.
 *
 * Fault injection: seam_fail_call(n, err) makes the n-th backend call from
 * now on (1-based) fail with -err without reaching the simulator.
 *
 * Each test process gets its own daemon, in its own directory; seam_reset()
 * restarts it (a cold boot: no sessions, no faults).
 */
#ifndef SEAM_H
#define SEAM_H

#include <stdbool.h>
#include <stddef.h>

struct liveupdate_ctx;

/* What a backend call was, for fault-injection sweeps. */
enum seam_call_kind {
	SEAM_OPEN,
	SEAM_CREATE_SESSION,
	SEAM_RETRIEVE_SESSION,
	SEAM_PRESERVE_FD,
	SEAM_PRESERVE_PROBE,   /* PRESERVE_FD with fd -1: adopt's direction probe */
	SEAM_RETRIEVE_FD,
	SEAM_FINISH,
	SEAM_GET_NAME,
	SEAM_CLOSE,
	SEAM_KEXEC_LOAD,
	SEAM_REBOOT,
	SEAM_OTHER_IOCTL,
};

/* A fresh daemon: cold boot, no sessions; no faults, counters zero. */
void seam_reset(void);
/* Put the simulator, through the counting and failing layer, behind ctx. */
void seam_attach(struct liveupdate_ctx *ctx);
/*
 * A kexec from outside the library: open outgoing sessions become
 * incoming, everything else is dropped; fds of the old boot are dead (the
 * caller must still close them to keep its fd table clean).
 */
void seam_kexec(void);
/* Another client holds the device (our open then gets EBUSY). */
void seam_set_device_held(bool held);
/* No device at all (the daemon stops; ENOENT), or back (a new cold boot). */
void seam_set_device_absent(bool absent);

void seam_fail_call(unsigned n, int err);
/* Backend calls made since reset/seam_count_reset, and the kind of each. */
unsigned seam_calls(void);
enum seam_call_kind seam_call_kind(unsigned i); /* 1-based */
void seam_count_reset(void);
/*
 * Whether this thread is inside a backend call (the simulator's transport,
 * standing in for the kernel's ioctls): system-call fault injection below
 * the library leaves those calls alone, their faults are the seam's.
 */
bool seam_inside_backend(void);
/* Whether the injected fault was consumed. */
bool seam_fault_fired(void);

/* The simulator's state, for leak checks. */
size_t seam_open_sessions(void);
size_t seam_outgoing_sessions(void);
size_t seam_incoming_sessions(void);
bool seam_device_open(void);
unsigned seam_reboots(void);
/* kexec loads that reached the simulator, and the last command line given. */
unsigned seam_kexec_loads(void);
const char *seam_last_cmdline(void);

#endif
