/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vmm-takeover: see vmm-takeover.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "vmm-takeover.h"
#include "../common/unix-socket.h"

enum { READY = 'R', RESTORED = 'K', FAILED = 'F', VERDICT_GO = 'Y', VERDICT_NO = 'N' };

#define GREETING_MAGIC "LUVMMTO"	/* 8 bytes with the NUL */

struct greeting {
	char magic[8];
	uint64_t ram_size, align;
};

static int send_byte(int sock, char b)
{
	return send(sock, &b, 1, MSG_NOSIGNAL) == 1 ? 0 : -errno;
}

/* One byte into *b: 1, 0 at the end of the stream, or -errno. */
static int recv_byte(int sock, char *b)
{
	ssize_t n;

	do
		n = recv(sock, b, 1, 0);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : (int)n;
}

static int unix_address(const char *path, struct sockaddr_un *sa)
{
	int ret = example_unix_address(path, sa);

	if (ret < 0)
		fprintf(stderr, "vmm: socket path '%s' is longer than the %zu bytes a Unix "
			"socket address holds\n", path, sizeof(sa->sun_path) - 1);
	return ret;
}

int takeover_listen(struct takeover_listener *l, const char *path)
{
	char tmp[sizeof(((struct sockaddr_un *)0)->sun_path) + 32];
	struct sockaddr_un sa;
	struct stat st;
	int fd, ret;

	l->fd = -1;
	l->path = path;
	snprintf(tmp, sizeof(tmp), "%s.%d", path, (int)getpid());
	ret = unix_address(tmp, &sa);
	if (ret < 0)
		return ret;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	unlink(tmp);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 4) < 0 ||
	    stat(tmp, &st) < 0 || rename(tmp, path) < 0) {
		ret = -errno;
		fprintf(stderr, "vmm: cannot listen on %s: %s\n", path, strerror(-ret));
		unlink(tmp);
		close(fd);
		return ret;
	}
	l->fd = fd;
	l->dev = st.st_dev;
	l->ino = st.st_ino;
	return 0;
}

int takeover_accept(struct takeover_listener *l, pid_t *peer_pid)
{
	struct timeval tv = { TAKEOVER_TIMEOUT_MS / 1000, TAKEOVER_TIMEOUT_MS % 1000 * 1000 };
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int c = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);

	if (c < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		close(c);
		return -errno;
	}
	/* The library refuses another user too, but only after the pause:
	 * refuse here, and the guest never stops for it. */
	if (cred.uid != geteuid()) {
		printf("vmm: refused a successor on %s: pid %d runs as uid %u, this VMM as "
		       "uid %u; the guest was not paused\n", l->path, (int)cred.pid,
		       (unsigned)cred.uid, (unsigned)geteuid());
		close(c);
		return -EPERM;
	}
	/* bounded: a successor that hangs must not keep the guest paused */
	if (setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0) {
		close(c);
		return -errno;
	}
	*peer_pid = cred.pid;
	return c;
}

void takeover_unlisten(struct takeover_listener *l, bool remove_path)
{
	struct stat st;

	if (l->fd < 0)
		return;
	if (remove_path && stat(l->path, &st) == 0 && st.st_dev == l->dev && st.st_ino == l->ino)
		unlink(l->path);
	close(l->fd);
	l->fd = -1;
}

int takeover_connect(const char *path, pid_t *peer_pid)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int fd = example_unix_connect(path), ret;

	if (fd < 0) {
		ret = fd;
		if (ret == -ENOENT || ret == -ECONNREFUSED)
			fprintf(stderr, "vmm: --take-over %s: no VMM listens there (%s); start "
				"the running VMM with --listen %s, or leave out --take-over for "
				"a new guest\n", path, strerror(-ret), path);
		else
			fprintf(stderr, "vmm: --take-over %s: connect: %s\n", path,
				strerror(-ret));
		return ret;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	*peer_pid = cred.pid;
	return fd;
}

int takeover_greet(int sock, uint64_t ram_size, uint64_t align)
{
	struct greeting g = { .magic = GREETING_MAGIC, .ram_size = ram_size, .align = align };
	char b;
	int ret;

	if (send(sock, &g, sizeof(g), MSG_NOSIGNAL) != (ssize_t)sizeof(g))
		return -errno;
	ret = recv_byte(sock, &b);
	if (ret == 0)
		return -ECONNRESET;
	if (ret < 0)
		return ret == -EWOULDBLOCK ? -EAGAIN : ret;
	return b == READY ? 0 : -EBADMSG;
}

int takeover_hear(int sock, uint64_t *ram_size, uint64_t *align)
{
	struct greeting g;
	ssize_t n;

	do
		n = recv(sock, &g, sizeof(g), MSG_WAITALL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n != (ssize_t)sizeof(g) || memcmp(g.magic, GREETING_MAGIC, sizeof(g.magic)) ||
	    !g.ram_size || !g.align || (g.align & (g.align - 1)))
		return -EBADMSG;
	*ram_size = g.ram_size;
	*align = g.align;
	return 0;
}

int takeover_ready(int sock)
{
	return send_byte(sock, READY);
}

int takeover_send_restored(int sock, bool ok)
{
	return send_byte(sock, ok ? RESTORED : FAILED);
}

int takeover_wait_restored(int sock)
{
	char b;
	int ret = recv_byte(sock, &b);

	if (ret == -EWOULDBLOCK)
		return -EAGAIN;
	if (ret <= 0)
		return ret == 0 || ret == -ECONNRESET ? 0 : ret;
	return b == RESTORED;
}

int takeover_send_verdict(int sock, bool go)
{
	return send_byte(sock, go ? VERDICT_GO : VERDICT_NO);
}

int takeover_wait_verdict(int sock)
{
	char v;
	int ret = recv_byte(sock, &v);

	/* gone after handing over: the guest is ours alone */
	if (ret == 0 || ret == -ECONNRESET)
		return 1;
	if (ret < 0)
		return ret;
	return v == VERDICT_GO ? 1 : v == VERDICT_NO ? 0 : -EBADMSG;
}

void takeover_wait_hangup(int sock)
{
	char b;

	while (recv_byte(sock, &b) > 0)
		;
}
