/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * update: the part of a live update every example does the same way:
 * load the next kernel before the blackout, reboot into it after.
 */
#ifndef EXAMPLES_UPDATE_H
#define EXAMPLES_UPDATE_H

#include <signal.h>

#include <liveupdate/liveupdate.h>

/* Set by SIGUSR1 (update now) and SIGTERM/SIGINT (stop), caught by
 * example_catch_signals() without SA_RESTART, so that a blocking call
 * (KVM_RUN, poll) returns EINTR and the main loop looks at them. */
extern volatile sig_atomic_t example_update_requested, example_stop_requested;
void example_catch_signals(void);

/* The next kernel, or NULL for a restart in place: the program hands its
 * sessions over and exits, and its next version retrieves them. That
 * keeps the memory only on the simulator (the kernel keeps sessions only
 * across a kexec). */
struct example_kexec {
	const char *kernel, *initrd, *cmdline;
};

/* Load the next kernel (for a restart in place on the simulator, a
 * stand-in file the simulator does not read). 0, -EOPNOTSUPP for a restart
 * in place on the kernel, or the library's error; prints why on failure. */
int example_update_load(struct liveupdate_ctx *ctx, const struct example_kexec *k,
			const char *prog);

#endif
