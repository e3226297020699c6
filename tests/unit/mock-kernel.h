/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An in-process stand-in for the kernel's /dev/liveupdate behind the
 * library's backend seam, for unit tests. It follows
 * shared/research/luo-kernel-semantics.md for what the library can
 * observe: exclusive device, session names, tokens, directions, close
 * semantics, and a simulated kexec. Its session and device fds are real
 * fds (from eventfd), so fd leaks show in /proc/self/fd.
 *
 * Fault injection: mock_fail_call(n, err) makes the n-th backend call
 * from now on (1-based) fail with -err without doing anything.
 */
#ifndef MOCK_KERNEL_H
#define MOCK_KERNEL_H

#include <stdbool.h>
#include <stddef.h>

struct liveupdate_ctx;

/* What a backend call was, for fault-injection sweeps. */
enum mock_call_kind {
	MOCK_OPEN,
	MOCK_CREATE_SESSION,
	MOCK_RETRIEVE_SESSION,
	MOCK_PRESERVE_FD,
	MOCK_PRESERVE_PROBE,   /* PRESERVE_FD with fd -1: adopt's direction probe */
	MOCK_RETRIEVE_FD,
	MOCK_FINISH,
	MOCK_GET_NAME,
	MOCK_CLOSE,
	MOCK_KEXEC_LOAD,
	MOCK_REBOOT,
	MOCK_OTHER_IOCTL,
};

/* Reset the whole mock kernel: cold boot, no sessions, no faults. */
void mock_reset(void);
/* Put the mock behind ctx. */
void mock_attach(struct liveupdate_ctx *ctx);
/*
 * Simulated kexec: outgoing sessions whose fds are open become incoming,
 * everything else is dropped; fds of the old "boot" become stale (closing
 * them has no effect on the new state) -- the caller must still close them
 * to keep this process's fd table clean.
 */
void mock_kexec(void);
/* Another process grabs the device (open then EBUSY for us). */
void mock_set_device_held(bool held);
/* Make the device absent (ENOENT), as on a kernel without LUO. */
void mock_set_device_absent(bool absent);

void mock_fail_call(unsigned n, int err);
/* Backend calls made since reset/mock_count_reset, and the kind of each. */
unsigned mock_calls(void);
enum mock_call_kind mock_call_kind(unsigned i); /* 1-based */
void mock_count_reset(void);
/* Whether the injected fault was consumed. */
bool mock_fault_fired(void);

/* Open session and preserved-file counts, for leak checks. */
size_t mock_open_sessions(void);
size_t mock_outgoing_sessions(void);
size_t mock_incoming_sessions(void);
bool mock_device_open(void);
unsigned mock_kexec_loads(void);
unsigned mock_reboots(void);
const char *mock_last_cmdline(void);

#endif
