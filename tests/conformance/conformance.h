/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * /dev/liveupdate conformance: what the kernel answers to every request and
 * misuse, in raw ioctls (no libliveupdate). The same cases run
 *   - against liveupdate-sim, under its LD_PRELOAD shim, in `make check`
 *     (tests/conformance/conformance-sim.c, simulated kexec), and
 *   - against the real kernel in `make check-vm` (tests/vm/sc-conformance.c,
 *     real kexec),
 * so that any difference between the simulator and the kernel fails a test.
 *
 * Stage 1 runs before the kexec: it creates sessions, preserves memfds,
 * checks every error it can provoke, and hands the session fds that must
 * survive to env->keep_fd() (they must stay open until the kexec: the
 * suite never closes them). Stage 2 runs after it: retrieves and checks.
 * Every case prints one line through env->print():
 *   CONF PASS|FAIL|SKIP s<stage> <case>: <detail>
 * and each stage ends with "CONF s<stage>: N passed, N failed, N skipped".
 *
 * Self-contained: libc and the kernel's <linux/liveupdate.h> only (no
 * libliveupdate).
 */
#ifndef LU_CONFORMANCE_H
#define LU_CONFORMANCE_H

#include <stdint.h>
#include <sys/ioctl.h>
#include <linux/liveupdate.h> /* the kernel's, as copied in include/uapi/ */

struct lu_conf_env {
	void (*keep_fd)(void *data, int fd);        /* hold fd across the kexec */
	void (*print)(void *data, const char *line); /* one line, no newline */
	void *data;
};

/*
 * Run one stage (1: before the kexec, 2: after) against the device at
 * device_path. Returns the number of failed cases (0: all passed), or -1
 * when the stage could not run at all (no device: a line says why).
 */
int lu_conformance_stage(int stage, const char *device_path,
			 const struct lu_conf_env *env);

#endif
