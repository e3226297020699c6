/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* update: see update.h. */
#include <errno.h>
#include <stdio.h>

#include "update.h"

volatile sig_atomic_t example_update_requested, example_stop_requested;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		example_update_requested = 1;
	else
		example_stop_requested = 1;
}

void example_catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };	/* no SA_RESTART */

	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
}

int example_update_load(struct liveupdate_ctx *ctx, const struct example_kexec *k,
			const char *prog)
{
	LIVEUPDATE_OPTS(liveupdate_kexec_opts, opts, .initrd_path = k->initrd,
			.cmdline = k->cmdline);
	int ret;

	if (!k->kernel && liveupdate_ctx_get_backend(ctx) != LIVEUPDATE_BACKEND_SIM) {
		printf("%s: update refused: restarting in place keeps memory only with the "
		       "simulator (LIBLIVEUPDATE_BACKEND=sim); with the kernel, give "
		       "--kexec KERNEL to update the kernel\n", prog);
		return -EOPNOTSUPP;
	}
	ret = liveupdate_kexec_load(ctx, k->kernel ? k->kernel : "/proc/self/exe", &opts);
	if (ret < 0)
		printf("%s: update failed: %s\n", prog, liveupdate_last_error());
	return ret;
}
