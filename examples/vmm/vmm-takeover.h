/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vmm-takeover: the sockets of a takeover. A running VMM listens on a Unix
 * socket (--listen PATH); a new VMM (--take-over PATH) creates its VM and
 * vCPU, then connects. The library's liveupdate_session_handover() and
 * liveupdate_session_receive() carry the session over that connection;
 * this file adds what the VMMs say around it: who may connect, how long the
 * old one waits, the guest RAM's size before the pause (so that the
 * successor makes its RAM slot while the guest still runs), and after the
 * library's acknowledgement whether the successor could restore the guest
 * and the old one's verdict, so that exactly one process runs the guest:
 *
 *   old VMM                              new VMM (VM and vCPU made)
 *                                  <---  connect
 *   accept, check the uid
 *   RAM size and alignment         --->  reserve, make the RAM slot
 *                                  <---  ready
 *   pause, write the state
 *   liveupdate_session_handover()  <-->  liveupdate_session_receive()
 *                                        find RAM and state, map, restore
 *                                  <---  restored (or failed)
 *   verdict: go (or no)            --->  resume (or exit)
 *   exit once the new one hangs up <---  hang up after the first report
 *
 * The old VMM resumes the guest itself when anything before its verdict
 * fails or takes longer than TAKEOVER_TIMEOUT_MS, and says no.
 */
#ifndef EXAMPLES_VMM_TAKEOVER_H
#define EXAMPLES_VMM_TAKEOVER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* How long the old VMM waits for its successor, guest paused, before it
 * gives up and resumes the guest itself. */
#define TAKEOVER_TIMEOUT_MS 5000

struct takeover_listener {
	int fd;			/* -1: not listening */
	const char *path;
	dev_t dev;		/* the socket file this process bound */
	ino_t ino;
};

/* Listen at @path (non-blocking). The socket is bound to a temporary name
 * beside it and renamed over @path, so that @path always answers: the
 * predecessor's socket until this rename, ours after it. 0 or -errno,
 * with a message on stderr. */
int takeover_listen(struct takeover_listener *l, const char *path);
/* Accept a waiting successor: its connected socket (timeouts set), or
 * -EAGAIN when none waits, -EPERM when it runs as another user (refused
 * and closed here, before the guest pauses; said on stdout), -errno. */
int takeover_accept(struct takeover_listener *l, pid_t *peer_pid);
/* Stop listening. @remove_path: remove @path if it is still the socket this
 * process bound; never after a takeover, where the successor may be
 * renaming its own socket over it at this very moment. */
void takeover_unlisten(struct takeover_listener *l, bool remove_path);

/* The successor: connect to the VMM listening at @path. The connected
 * socket, or -errno with a message on stderr that says what to do. */
int takeover_connect(const char *path, pid_t *peer_pid);

/* The old VMM, before the pause: tell the successor the guest RAM's size
 * and alignment, and wait until it is ready. 0, or -errno (-ECONNRESET:
 * it hung up; -EAGAIN: it did not answer in time). */
int takeover_greet(int sock, uint64_t ram_size, uint64_t align);
/* The successor: the predecessor's greeting. 0 or -errno (-EBADMSG: not
 * a VMM of this protocol). */
int takeover_hear(int sock, uint64_t *ram_size, uint64_t *align);
/* The successor: its RAM slot is made, the predecessor may pause. */
int takeover_ready(int sock);

/* The successor, once it holds the session: whether it restored the guest
 * (found RAM and state, mapped them, loaded the vCPU). 0 or -errno. */
int takeover_send_restored(int sock, bool ok);
/* The old VMM, after liveupdate_session_handover() returned 0: 1 when the
 * successor restored the guest, 0 when it failed or hung up, -EAGAIN when
 * it did not answer in time, -errno. */
int takeover_wait_restored(int sock);
/* The old VMM: @go true when the successor runs the guest (this process
 * exits), false when this process resumes it. 0 or -errno. */
int takeover_send_verdict(int sock, bool go);
/* The successor, after it restored the guest: 1 when it runs the guest
 * (the predecessor said so, or died, which leaves the guest to nobody
 * else), 0 when the predecessor runs it (it gave up waiting), -errno. */
int takeover_wait_verdict(int sock);
/* The old VMM, after the verdict go: wait (bounded) until the successor
 * hangs up, which it does once its guest runs, so that this process's
 * teardown does not compete with the resume for the CPUs. */
void takeover_wait_hangup(int sock);

#endif
