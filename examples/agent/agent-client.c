/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* agent-client: see agent-client.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent-client.h"
#include "../common/unix-socket.h"

int agent_connect(const char *path)
{
	return example_unix_connect(path);
}

/* Keep the first fd that comes, close any other. */
static void take_fds(struct msghdr *msg, int *fdp)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		int *fds = (int *)CMSG_DATA(c);
		size_t n;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			if (*fdp < 0)
				*fdp = fds[i];
			else
				close(fds[i]);
		}
	}
}

/* Send one request line (the newline added): 0 or -errno. */
static int send_line(int sock, const char *request)
{
	char line[AGENT_LINE_MAX + 2];
	int n = snprintf(line, sizeof(line), "%s\n", request);

	if (n < 0 || (size_t)n >= sizeof(line))
		return -EMSGSIZE;
	if (send(sock, line, (size_t)n, MSG_NOSIGNAL) != n)
		return -errno ? -errno : -EIO;
	return 0;
}

/* Read one answer line and the fd that came with it, as agent_call(). */
static int read_reply(int sock, char *reply, size_t reply_size, int *fdp)
{
	size_t used = 0;

	*fdp = -1;
	while (used + 1 < reply_size) {
		union {
			char buf[CMSG_SPACE(4 * sizeof(int))];
			struct cmsghdr align;
		} control;
		struct iovec iov = { reply + used, reply_size - 1 - used };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
				      .msg_control = control.buf,
				      .msg_controllen = sizeof(control.buf) };
		ssize_t got = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
		char *nl;

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		take_fds(&msg, fdp);
		used += (size_t)got;
		reply[used] = '\0';
		nl = memchr(reply, '\n', used);
		if (nl) {
			*nl = '\0';
			return nl + 1 == reply + used ? 0 : -EPROTO;
		}
	}
	if (*fdp >= 0)
		close(*fdp);
	*fdp = -1;
	return -EPROTO;
}

int agent_call(int sock, const char *request, char *reply, size_t reply_size, int *fdp)
{
	int ret = send_line(sock, request);

	*fdp = -1;
	return ret < 0 ? ret : read_reply(sock, reply, reply_size, fdp);
}

int agent_reply_check(const char *reply, char *why, size_t why_size)
{
	struct agent_member m[AGENT_MEMBERS_MAX];
	const char *err = "malformed reply";
	int n = agent_json_decode(reply, strlen(reply), m, &err);
	int ok = 0;

	for (int i = 0; i < n; i++) {
		if (!strcmp(m[i].key, "ok") && m[i].is_bool && !strcmp(m[i].value, "true"))
			ok = 1;
		if (!strcmp(m[i].key, "error") && !m[i].is_bool)
			err = m[i].value;
	}
	if (ok)
		return 0;
	snprintf(why, why_size, "%s", n < 0 ? "malformed reply" : err);
	return -1;
}

/* {"op":OP,"id":ID} into req (AGENT_LINE_MAX bytes), without newline:
 * 0, or -1 with why. */
static int build(char *req, const char *op, const char *id, char *why, size_t why_size)
{
	snprintf(req, AGENT_LINE_MAX, "{");
	if (agent_json_string(req, AGENT_LINE_MAX, "op", op) < 0 ||
	    agent_json_string(req, AGENT_LINE_MAX, "id", id) < 0 ||
	    agent_json_end(req, AGENT_LINE_MAX) < 0) {
		snprintf(why, why_size, "request too long");
		return -1;
	}
	req[strlen(req) - 1] = '\0';	/* send_line adds the newline */
	return 0;
}

int agent_request(struct liveupdate_ctx *ctx, int sock, const char *op, const char *id,
		  struct liveupdate_session **sp, char *why, size_t why_size)
{
	char req[AGENT_LINE_MAX], reply[AGENT_LINE_MAX + 2];
	int fd, ret;

	if (build(req, op, id, why, why_size) < 0)
		return -1;
	ret = agent_call(sock, req, reply, sizeof(reply), &fd);
	if (ret < 0) {
		snprintf(why, why_size, "talking to the agent: %s", strerror(-ret));
		return -1;
	}
	if (agent_reply_check(reply, why, why_size) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!sp) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	if (fd < 0) {
		snprintf(why, why_size, "the agent sent no session fd");
		return -1;
	}
	ret = liveupdate_session_adopt(ctx, fd, sp);
	if (ret < 0) {
		snprintf(why, why_size, "adopting the session fd: %s", liveupdate_last_error());
		close(fd);
		return -1;
	}
	return 0;
}

int agent_subscribe(struct liveupdate_ctx *ctx, int sock, const char *id,
		    struct liveupdate_session **sp, int *linkp, char *why, size_t why_size)
{
	char req[AGENT_LINE_MAX], reply[AGENT_LINE_MAX + 2];
	int link, ret;

	if (build(req, "SUBSCRIBE", id, why, why_size) < 0)
		return -1;
	ret = agent_call(sock, req, reply, sizeof(reply), &link);
	if (ret < 0) {
		snprintf(why, why_size, "talking to the agent: %s", strerror(-ret));
		return -1;
	}
	if (agent_reply_check(reply, why, why_size) < 0 || link < 0) {
		if (link >= 0)
			close(link);
		else
			snprintf(why, why_size, "the agent sent no link");
		return -1;
	}
	if (liveupdate_session_receive(ctx, link, sp) < 0) {
		snprintf(why, why_size, "receiving the session: %s", liveupdate_last_error());
		close(link);
		return -1;
	}
	*linkp = link;
	return 0;
}

int agent_ready(int sock, const char *id, struct liveupdate_session *s, int link,
		char *why, size_t why_size)
{
	char req[AGENT_LINE_MAX], reply[AGENT_LINE_MAX + 2];
	int fd, ret;

	if (build(req, "READY", id, why, why_size) < 0)
		return -1;
	/* the agent takes the session back as it reads READY, then answers */
	ret = send_line(sock, req);
	if (ret == 0 && liveupdate_session_handover(s, link) < 0) {
		snprintf(why, why_size, "handing the session back: %s", liveupdate_last_error());
		return -1;
	}
	if (ret == 0)
		ret = read_reply(sock, reply, sizeof(reply), &fd);
	if (ret < 0) {
		snprintf(why, why_size, "talking to the agent: %s", strerror(-ret));
		return -1;
	}
	if (fd >= 0)
		close(fd);
	return agent_reply_check(reply, why, why_size);
}
