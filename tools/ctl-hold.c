/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * liveupdate-ctl hold SOCKET: take the live update sessions processes hand
 * over (liveupdate_session_handover(3)) on a Unix socket and hold them
 * until the kexec, so that those processes may end before it: a VMM that
 * saved its guest into its session and quits. Ends on SIGTERM, SIGINT or
 * SIGHUP, letting the sessions go (the kernel then drops them).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl.h"

/* How long one handover may take, each way. */
#define HOLD_TIMEOUT_S 60

static int listen_on(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int sock;

	if (!path || !*path || strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "liveupdate-ctl hold: give a socket path of 1 to %zu bytes\n",
			sizeof(sa.sun_path) - 1);
		return -1;
	}
	strcpy(sa.sun_path, path);
	sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0 || bind(sock, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(sock, 4) < 0) {
		fprintf(stderr, "liveupdate-ctl hold: cannot listen on %s: %s%s\n", path,
			strerror(errno), errno == EADDRINUSE ? " (remove it first)" : "");
		if (sock >= 0)
			close(sock);
		return -1;
	}
	return sock;
}

/* Receive one session on a new connection; NULL when it was refused. */
static struct liveupdate_session *take_one(struct liveupdate_ctx *ctx, int lsock)
{
	struct timeval tv = { .tv_sec = HOLD_TIMEOUT_S };
	struct liveupdate_session *s = NULL;
	int sock = accept4(lsock, NULL, NULL, SOCK_CLOEXEC);
	long files;

	if (sock < 0) {
		fprintf(stderr, "liveupdate-ctl hold: accept: %s\n", strerror(errno));
		return NULL;
	}
	/* a sender that stalls must not keep the others waiting for ever */
	setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(sock, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (liveupdate_session_receive(ctx, sock, &s) < 0) {
		fprintf(stderr, "liveupdate-ctl hold: a session was not received (its "
			"sender keeps it): %s\n", liveupdate_last_error());
		s = NULL;
	} else {
		files = liveupdate_session_count_entries(s);
		printf("holding session \"%s\" (%ld labelled files)\n",
		       liveupdate_session_get_name(s), files < 0 ? 0 : files);
		fflush(stdout);
	}
	close(sock);
	return s;
}

int ctl_hold(const struct ctl *c, const char *path)
{
	LIVEUPDATE_OPTS(liveupdate_ctx_opts, ctx_opts, .device_path = c->device);
	struct liveupdate_session **held = NULL, **grown, *s;
	struct pollfd pfd[2] = { { .events = POLLIN }, { .events = POLLIN } };
	struct liveupdate_ctx *ctx = NULL;
	size_t n = 0, i;
	sigset_t sigs;
	int ret = CTL_ERROR;

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &sigs, NULL) < 0 ||
	    (pfd[1].fd = signalfd(-1, &sigs, SFD_CLOEXEC)) < 0) {
		fprintf(stderr, "liveupdate-ctl hold: signalfd: %s\n", strerror(errno));
		return CTL_ERROR;
	}
	if (liveupdate_ctx_new(&ctx_opts, &ctx) < 0) {
		fprintf(stderr, "liveupdate-ctl hold: %s\n", liveupdate_last_error());
		goto out;
	}
	pfd[0].fd = listen_on(path);
	if (pfd[0].fd < 0)
		goto out;
	printf("listening on %s\n", path);
	fflush(stdout);
	for (;;) {
		if (poll(pfd, 2, -1) < 0 && errno != EINTR) {
			fprintf(stderr, "liveupdate-ctl hold: poll: %s\n", strerror(errno));
			break;
		}
		if (pfd[1].revents) {
			ret = 0;
			break;
		}
		if (!pfd[0].revents)
			continue;
		/* room first: a session received must never be dropped for it */
		grown = realloc(held, (n + 1) * sizeof(*held));
		if (!grown) {
			fprintf(stderr, "liveupdate-ctl hold: out of memory\n");
			break;
		}
		held = grown;
		s = take_one(ctx, pfd[0].fd);
		if (s)
			held[n++] = s;
	}
	printf("ending: letting go of %zu sessions\n", n);
	close(pfd[0].fd);
	unlink(path);
	for (i = 0; i < n; i++)
		liveupdate_session_unref(held[i]);
	free(held);
out:
	liveupdate_ctx_unref(ctx);
	close(pfd[1].fd);
	return ret;
}
