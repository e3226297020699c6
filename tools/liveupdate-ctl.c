/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * liveupdate-ctl: can this host live update, did it just do one, what did
 * the previous kernel hand over, is it ready for `kexec -e`. See
 * liveupdate-ctl(1).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: liveupdate-ctl [--root DIR] [--device PATH] COMMAND [OPTIONS]\n"
		"\n"
		"Commands:\n"
		"  status [--json]  whether a live update is possible here, this boot, the host\n"
		"  kho              the Kexec HandOver trees (received and to be handed over)\n"
		"  preflight        checks to run before kexec -e\n"
		"  mount-huge [--size SIZE] [--mode MODE] [PATH]\n"
		"                   mount a tmpfs with huge=always at PATH (default\n"
		"                   " LIVEUPDATE_MEMORY_TMPFS_PATH ") for guest memory\n"
		"  manifest --fd N  the manifest of the session fd N (passed by the caller)\n"
		"  manifest NAME    under liveupdate-sim: the manifest of session NAME\n"
		"  hold SOCKET      hold the sessions processes hand over on the Unix\n"
		"                   socket SOCKET until the kexec (or SIGTERM)\n"
		"\n"
		"Options:\n"
		"  --root DIR       read /proc, /sys and /boot under DIR (a copy of a host's files)\n"
		"  --device PATH    the live update device (default /dev/liveupdate)\n"
		"  -h, --help       this text\n"
		"  -V, --version    the library's version\n"
		"\n"
		"Exit status: 0 live update possible (or every check passed), 1 not possible\n"
		"(or a check failed), 2 error.\n");
}

/* Commands that take one argument after them. */
static bool takes_arg(const char *cmd)
{
	return !strcmp(cmd, "mount-huge") || !strcmp(cmd, "manifest") ||
	       !strcmp(cmd, "hold");
}

static int query(struct ctl *c)
{
	LIVEUPDATE_OPTS(liveupdate_state_opts, opts, .root = c->root);
	LIVEUPDATE_OPTS(liveupdate_ctx_opts, ctx_opts, .device_path = c->device);
	int err = liveupdate_ctx_new(&ctx_opts, &c->ctx);

	if (err < 0) {
		fprintf(stderr, "liveupdate-ctl: %s\n", liveupdate_last_error());
		return CTL_ERROR;
	}
	/* failures to open the device are part of the answer, not noise */
	liveupdate_ctx_set_log_fn(c->ctx, NULL, NULL);
	err = liveupdate_state_query(c->ctx, &opts, &c->state);
	if (err < 0) {
		fprintf(stderr, "liveupdate-ctl: %s\n", liveupdate_last_error());
		return CTL_ERROR;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option top[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "device", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "json", no_argument, NULL, 'j' },
		{ "size", required_argument, NULL, 's' },
		{ "mode", required_argument, NULL, 'm' },
		{ "fd", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl c = { 0 };
	struct ctl_mount_opts mount_opts = { 0 };
	const char *cmd = NULL, *arg = NULL, *fd_arg = NULL;
	int opt, json = 0, ret;

	/* options may come before or after the command */
	while (optind < argc) {
		opt = getopt_long(argc, argv, "+hV", top, NULL);
		if (opt == -1) {
			if (cmd && !arg && takes_arg(cmd)) {
				arg = argv[optind++];
				continue;
			}
			if (cmd) {
				fprintf(stderr, "liveupdate-ctl: unexpected argument '%s'\n",
					argv[optind]);
				return CTL_ERROR;
			}
			cmd = argv[optind++];
			continue;
		}
		switch (opt) {
		case 'r':
			c.root = optarg;
			break;
		case 'd':
			c.device = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 's':
			mount_opts.size = optarg;
			break;
		case 'm':
			mount_opts.mode = optarg;
			break;
		case 'f':
			fd_arg = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("liveupdate-ctl (libliveupdate) %s\n", liveupdate_version());
			return 0;
		default:
			usage(stderr);
			return CTL_ERROR;
		}
	}
	if (!cmd) {
		usage(stderr);
		return CTL_ERROR;
	}
	if ((mount_opts.size || mount_opts.mode) && strcmp(cmd, "mount-huge")) {
		fprintf(stderr, "liveupdate-ctl: --size and --mode go with 'mount-huge'\n");
		return CTL_ERROR;
	}
	if (c.root && (!strcmp(cmd, "mount-huge") || !strcmp(cmd, "manifest") ||
		       !strcmp(cmd, "hold"))) {
		fprintf(stderr, "liveupdate-ctl: --root goes with 'status', 'kho' and "
			"'preflight'\n");
		return CTL_ERROR;
	}
	if (c.device && !strcmp(cmd, "mount-huge")) {
		fprintf(stderr, "liveupdate-ctl: --device does not go with 'mount-huge'\n");
		return CTL_ERROR;
	}
	if (fd_arg && strcmp(cmd, "manifest")) {
		fprintf(stderr, "liveupdate-ctl: --fd goes with 'manifest'\n");
		return CTL_ERROR;
	}
	if (!strcmp(cmd, "manifest"))
		return ctl_manifest(&c, fd_arg, arg);
	if (!strcmp(cmd, "hold"))
		return ctl_hold(&c, arg);
	if (!strcmp(cmd, "mount-huge")) {
		mount_opts.path = arg;
		return ctl_mount_huge(&mount_opts);
	}
	if (strcmp(cmd, "status") && strcmp(cmd, "kho") && strcmp(cmd, "preflight")) {
		fprintf(stderr, "liveupdate-ctl: unknown command '%s'\n", cmd);
		usage(stderr);
		return CTL_ERROR;
	}
	if (json && strcmp(cmd, "status")) {
		fprintf(stderr, "liveupdate-ctl: --json goes with 'status'\n");
		return CTL_ERROR;
	}
	ret = query(&c);
	if (ret == 0) {
		if (!strcmp(cmd, "status"))
			ret = json ? ctl_status_json(&c, stdout) : ctl_status_text(&c);
		else if (!strcmp(cmd, "kho"))
			ret = ctl_kho(&c);
		else
			ret = ctl_preflight(&c);
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "liveupdate-ctl: writing the output: %s\n", strerror(errno));
		ret = CTL_ERROR;
	}
	liveupdate_state_unref(c.state);
	liveupdate_ctx_unref(c.ctx);
	return ret;
}
