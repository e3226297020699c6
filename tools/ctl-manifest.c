/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * liveupdate-ctl manifest: a session's manifest as text, from a session fd
 * the caller passes (--fd N), or under liveupdate-sim from a session name.
 * By name it never retrieves the session (closing a retrieved session
 * would finish it): the simulator hands out a read-only fd of the
 * manifest memfd instead (its PEEK request).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#ifndef CTL_NO_SIM /* built against an installed library: no simulator client */
#include "sim-control.h"
_Static_assert(LU_SIM_MANIFEST_TOKEN == LIVEUPDATE_MANIFEST_TOKEN, "the manifest token");
#endif

static int fail(int code, const char *what)
{
	fprintf(stderr, "liveupdate-ctl manifest: %s%s%s\n", what, what[0] ? ": " : "",
		liveupdate_last_error());
	return code;
}

/* The exit code for an error of the library: unreadable manifests are 1. */
static int code_of(int err)
{
	return err == -ENODATA || err == -EBADMSG || err == -ENOENT ? CTL_NOT_POSSIBLE
								      : CTL_ERROR;
}

static int by_fd(struct liveupdate_ctx *ctx, const char *arg)
{
	struct liveupdate_session *s = NULL;
	char *end;
	long fd = strtol(arg, &end, 10);
	int err;

	if (!*arg || *end || fd < 0 || fd > 1 << 20) {
		fprintf(stderr, "liveupdate-ctl manifest: --fd %s: give a file descriptor "
			"number\n", arg);
		return CTL_ERROR;
	}
	err = liveupdate_session_adopt(ctx, (int)fd, &s);
	if (err)
		return fail(CTL_ERROR, "");
	err = liveupdate_session_print_manifest(s, STDOUT_FILENO);
	if (err == -ENODATA &&
	    liveupdate_session_get_direction(s) == LIVEUPDATE_SESSION_OUTGOING)
		fprintf(stderr, "liveupdate-ctl manifest: fd %ld is an outgoing session: "
			"the kernel hands out no file of an outgoing session, so only "
			"the process that writes its manifest can read it (under "
			"liveupdate-sim: liveupdate-ctl manifest NAME)\n", fd);
	else if (err)
		fail(0, "");
	/* closes fd: the session ends only if no one else holds it (see the man page) */
	liveupdate_session_unref(s);
	return err ? code_of(err) : CTL_POSSIBLE;
}

static int by_name(struct liveupdate_ctx *ctx, const char *name)
{
#ifdef CTL_NO_SIM
	(void)ctx;
	fprintf(stderr, "liveupdate-ctl manifest %s: this build has no simulator "
		"client; pass --fd N\n", name);
	return CTL_ERROR;
#else
	uint32_t direction = 0;
	char socket[128];
	int fd, err;

	if (liveupdate_ctx_get_backend(ctx) != LIVEUPDATE_BACKEND_SIM) {
		fprintf(stderr, "liveupdate-ctl manifest %s: by name only under "
			"liveupdate-sim (LIBLIVEUPDATE_BACKEND=sim); on the kernel, pass "
			"a session fd with --fd N (retrieving the session here would "
			"finish it)\n", name);
		return CTL_ERROR;
	}
	fd = lu_sim_resolve_socket(NULL, socket, sizeof(socket));
	if (fd == 0)
		fd = lu_sim_peek(socket, name, 0, &direction);
	if (fd < 0) {
		fprintf(stderr, "liveupdate-ctl manifest %s: %s\n", name,
			fd == -ENOENT ? "the simulator has no session of that name"
			: fd == -ENODATA ? "the session has no manifest (created with "
					   "LIVEUPDATE_SESSION_NO_MANIFEST or by another program)"
			: strerror(-fd));
		return fd == -ENOENT || fd == -ENODATA ? CTL_NOT_POSSIBLE : CTL_ERROR;
	}
	printf("session \"%s\" %s (liveupdate-sim)\n", name,
	       direction == 1 ? "outgoing" : "incoming");
	fflush(stdout);
	err = liveupdate_manifest_print_fd(fd, STDOUT_FILENO);
	close(fd);
	return err ? fail(code_of(err), name) : CTL_POSSIBLE;
#endif
}

int ctl_manifest(const struct ctl *c, const char *fd_arg, const char *name)
{
	LIVEUPDATE_OPTS(liveupdate_ctx_opts, opts, .device_path = c->device);
	struct liveupdate_ctx *ctx = NULL;
	int ret;

	if (!fd_arg == !name) {
		fprintf(stderr, "liveupdate-ctl manifest: give either --fd N or a session "
			"NAME (under liveupdate-sim)\n");
		return CTL_ERROR;
	}
	if (liveupdate_ctx_new(&opts, &ctx) < 0)
		return fail(CTL_ERROR, "");
	ret = fd_arg ? by_fd(ctx, fd_arg) : by_name(ctx, name);
	liveupdate_ctx_unref(ctx);
	return ret;
}
