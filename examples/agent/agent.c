/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * agent: a daemon that owns /dev/liveupdate for its clients (the
 * delegation model; doc/agent-protocol.md). Clients connect to its Unix
 * socket, SUBSCRIBE to be handed a session with its manifest, preserve
 * and label their files in it and say READY, handing it back; UPDATE loads the next kernel and reboots; the agent started
 * in the new kernel takes every session back and hands each to the client
 * that CLAIMs it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "../common/unix-socket.h"
#include "../common/update.h"
#include "agent-core.h"

#define CLIENTS_MAX 32

struct conn {
	int fd;
	size_t used;
	char buf[AGENT_LINE_MAX + 1];
};

static int listen_on(const char *path)
{
	struct sockaddr_un a;
	mode_t old;
	int fd;

	if (example_unix_address(path, &a) < 0) {
		fprintf(stderr, "agent: socket path too long\n");
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	unlink(path);
	old = umask(077);	/* the socket is for this user (and root) only */
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 16) < 0) {
		fprintf(stderr, "agent: listening on %s: %s\n", path, strerror(errno));
		umask(old);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	umask(old);
	return fd;
}

/* Only this user and root may talk to the agent: it can reboot the host. */
static int peer_allowed(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 &&
	       (cred.uid == 0 || cred.uid == geteuid());
}

/* UPDATE: load the kernel, preserve the registry, answer, reboot. On the
 * simulator the reboot returns and the agent takes everything back. */
static void update(struct agent *a, int fd, const struct agent_request *req)
{
	struct example_kexec next = { req->kernel[0] ? req->kernel : NULL,
				      req->initrd[0] ? req->initrd : NULL,
				      req->cmdline[0] ? req->cmdline : NULL };
	char reply[AGENT_LINE_MAX + 2];
	struct liveupdate_ctx *ctx = a->ctx;
	const char *why = NULL;
	int ret = example_update_load(ctx, &next, "agent");

	if (ret == -EOPNOTSUPP)
		why = "the kernel needs a kernel to kexec: give \"kernel\"";
	else if (ret < 0)
		why = liveupdate_last_error();
	else if (agent_prepare(a, &why) < 0)
		printf("agent: update refused: %s\n", why);
	agent_reply(reply, sizeof(reply), "UPDATE", NULL, why);
	agent_send(fd, reply, -1);
	if (why)
		return;
	printf("agent: rebooting with %zu client session(s)\n", a->nout);
	fflush(stdout);
	if (liveupdate_kexec_reboot(ctx) < 0) {	/* the kernel: no return */
		printf("agent: reboot failed: %s\n", liveupdate_last_error());
		a->registry = liveupdate_session_unref(a->registry);	/* abort */
		return;
	}
	printf("agent: simulated kexec done: taking the sessions back\n");
	agent_release(a);
	if (agent_init(a, ctx) == 0)
		printf("agent: %zu session(s) to claim\n", a->nin);
}

static void drop(struct conn *c)
{
	close(c->fd);
	c->fd = -1;
	c->used = 0;
}

/* Answer every complete line a client sent; drop it on a line too long. */
static void serve(struct agent *a, struct conn *c)
{
	char reply[AGENT_LINE_MAX + 2];
	struct agent_request req;
	ssize_t n = read(c->fd, c->buf + c->used, sizeof(c->buf) - c->used);
	char *nl;
	int fd;

	if (n <= 0) {
		if (n == 0 || errno != EINTR)
			drop(c);
		return;
	}
	c->used += (size_t)n;
	while (c->fd >= 0 && (nl = memchr(c->buf, '\n', c->used))) {
		size_t len = (size_t)(nl - c->buf);

		if (agent_handle(a, c->buf, len, reply, sizeof(reply), &fd, &req) == 1) {
			update(a, c->fd, &req);
		} else {
			if (agent_send(c->fd, reply, fd) < 0)
				drop(c);
			if (fd >= 0)
				close(fd);
			agent_sent(a);	/* a SUBSCRIBE's handover */
		}
		if (c->fd >= 0) {
			memmove(c->buf, nl + 1, c->used - len - 1);
			c->used -= len + 1;
		}
	}
	if (c->fd >= 0 && c->used == sizeof(c->buf)) {
		agent_reply(reply, sizeof(reply), NULL, NULL, "message too long");
		agent_send(c->fd, reply, -1);
		drop(c);
	}
}

static void accept_client(int lfd, struct conn *conns)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	if (!peer_allowed(fd)) {
		close(fd);
		return;
	}
	for (int i = 0; i < CLIENTS_MAX; i++)
		if (conns[i].fd < 0) {
			conns[i].fd = fd;
			conns[i].used = 0;
			return;
		}
	close(fd);	/* full: the client sees the connection closed */
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' }, { 0 }
	};
	static struct conn conns[CLIENTS_MAX];
	struct liveupdate_ctx *ctx;
	struct agent a;
	char path[108];
	const char *sock = NULL;
	int c, lfd;

	while ((c = getopt_long(argc, argv, "s:h", longopts, NULL)) != -1) {
		if (c == 's') {
			sock = optarg;
		} else {
			fprintf(c == 'h' ? stdout : stderr,
				"usage: agent [--socket PATH]   (default /tmp/liveupdate-agent-UID.sock)\n"
				"Owns /dev/liveupdate and hands sessions to its clients; see "
				"doc/agent-protocol.md.\n");
			return c == 'h' ? 0 : 2;
		}
	}
	if (!sock) {
		snprintf(path, sizeof(path), "/tmp/liveupdate-agent-%u.sock", (unsigned)geteuid());
		sock = path;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	example_catch_signals();
	signal(SIGPIPE, SIG_IGN);
	if (liveupdate_ctx_new(NULL, &ctx) < 0 || liveupdate_ctx_open_device(ctx) < 0) {
		fprintf(stderr, "agent: %s\n", liveupdate_last_error());
		return 1;
	}
	if (agent_init(&a, ctx) < 0)
		return 1;
	lfd = listen_on(sock);
	if (lfd < 0)
		return 1;
	printf("agent: serving on %s; %zu session(s) from the previous kernel to claim\n",
	       sock, a.nin);
	for (int i = 0; i < CLIENTS_MAX; i++)
		conns[i].fd = -1;
	while (!example_stop_requested) {
		struct pollfd p[CLIENTS_MAX + 1] = { { lfd, POLLIN, 0 } };

		for (int i = 0; i < CLIENTS_MAX; i++)
			p[i + 1] = (struct pollfd){ conns[i].fd, POLLIN, 0 };
		if (poll(p, CLIENTS_MAX + 1, -1) < 0)
			continue;	/* EINTR: look at example_stop_requested */
		for (int i = 0; i < CLIENTS_MAX; i++)
			if (conns[i].fd >= 0 && p[i + 1].revents)
				serve(&a, &conns[i]);
		if (p[0].revents & POLLIN)
			accept_client(lfd, conns);
	}
	printf("agent: stopping; the sessions it held are closed (outgoing ones aborted)\n");
	for (int i = 0; i < CLIENTS_MAX; i++)
		if (conns[i].fd >= 0)
			close(conns[i].fd);
	close(lfd);
	unlink(sock);
	agent_release(&a);
	liveupdate_ctx_unref(ctx);
	return 0;
}
