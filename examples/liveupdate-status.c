/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * liveupdate-status: can this machine do a kernel live update, and if not,
 * why not? Exit status 0 when /dev/liveupdate can be opened, 1 otherwise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <liveupdate/liveupdate.h>

/* Whether the running kernel's command line holds word (e.g. "liveupdate=on"). */
static int cmdline_has(const char *word)
{
	char buf[4096], *tok, *save;
	FILE *f = fopen("/proc/cmdline", "re");
	size_t n;

	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	for (tok = strtok_r(buf, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save))
		if (strcmp(tok, word) == 0)
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	struct liveupdate_ctx *ctx;
	struct utsname u;
	int major = 0, minor = 0, ret;

	(void)argc; (void)argv;
	printf("libliveupdate %s\n", liveupdate_version());
	if (uname(&u) == 0) {
		sscanf(u.release, "%d.%d", &major, &minor);
		printf("kernel:      %s (%s)\n", u.release,
		       major > 6 || (major == 6 && minor >= 19)
			       ? "new enough: live update exists since 6.19"
			       : "too old: live update needs Linux 6.19 or later");
	}
	printf("cmdline:     liveupdate=on %s\n",
	       cmdline_has("liveupdate=on") == 1 ? "present" : "absent");

	ret = liveupdate_ctx_new(NULL, &ctx);
	if (ret < 0) {
		fprintf(stderr, "liveupdate_ctx_new: %s\n", liveupdate_strerror(ret));
		return 1;
	}
	liveupdate_ctx_set_log_fn(ctx, NULL, NULL); /* we print the reason ourselves */
	printf("backend:     %s\n", liveupdate_ctx_get_backend(ctx) == LIVEUPDATE_BACKEND_SIM
	       ? "liveupdate-sim, the userspace simulator (LIBLIVEUPDATE_BACKEND=sim)"
	       : "the kernel");
	printf("device:      %s\n", liveupdate_ctx_get_device_path(ctx));
	ret = liveupdate_ctx_open_device(ctx);
	if (ret == 0 && liveupdate_ctx_get_backend(ctx) == LIVEUPDATE_BACKEND_SIM)
		printf("live update: SIMULATED: the simulator answered; sessions can be "
		       "created and, after 'liveupdate-sim reboot', retrieved, but "
		       "nothing survives a real reboot\n");
	else if (ret == 0)
		printf("live update: AVAILABLE: the device opened; sessions can be "
		       "created and, after a kexec, retrieved\n");
	else
		printf("live update: NOT AVAILABLE here\nwhy:         %s\n",
		       liveupdate_last_error());
	liveupdate_ctx_unref(ctx);
	return ret == 0 ? 0 : 1;
}
