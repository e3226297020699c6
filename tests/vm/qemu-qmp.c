/*
 * qemu-qmp.c: the guest's QMP client (qemu-qmp.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "qemu-qmp.h"

#define REPLY_TIMEOUT_MS 120000

/* The next line QEMU sent that is not an event; -1 on EOF or timeout. */
static int read_reply(struct qmp *q, char *out, size_t cap)
{
	for (;;) {
		char *nl = memchr(q->buf, '\n', q->len);
		if (nl) {
			size_t n = nl - q->buf + 1;
			int event = !strncmp(q->buf, "{\"timestamp\"", 12);
			if (!event) {
				snprintf(out, cap, "%.*s", (int)(n - 1), q->buf);
				out[strcspn(out, "\r")] = 0;
			}
			memmove(q->buf, q->buf + n, q->len - n);
			q->len -= n;
			if (!event)
				return 0;
			continue;
		}
		if (q->len == sizeof(q->buf)) {
			snprintf(out, cap, "QMP: a line longer than %zu bytes", sizeof(q->buf));
			return -1;
		}
		struct pollfd p = { .fd = q->fd, .events = POLLIN };
		int r = poll(&p, 1, REPLY_TIMEOUT_MS);
		if (r < 0 && errno == EINTR)
			continue;
		ssize_t n = r > 0 ? read(q->fd, q->buf + q->len, sizeof(q->buf) - q->len) : 0;
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(out, cap, "QMP: %s", r == 0 ? "no reply within 120 s" :
				 n == 0 ? "QEMU closed the connection" : strerror(errno));
			return -1;
		}
		q->len += n;
	}
}

int qmp_open(struct qmp *q, const char *path, pid_t pid, int timeout_s, char *why, size_t whylen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timespec t0, now;
	char line[1024];

	q->len = 0;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (q->fd < 0) {
			snprintf(why, whylen, "socket: %s", strerror(errno));
			return -1;
		}
		if (connect(q->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			break;
		int e = errno;
		close(q->fd);
		q->fd = -1;
		clock_gettime(CLOCK_MONOTONIC, &now);
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			snprintf(why, whylen, "QEMU ended (%s %d) before it listened on %s",
				 WIFEXITED(st) ? "exit status" : "signal",
				 WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), path);
			return -1;
		}
		if (now.tv_sec - t0.tv_sec > timeout_s) {
			snprintf(why, whylen, "cannot connect to %s within %d s: %s", path,
				 timeout_s, strerror(e));
			return -1;
		}
		usleep(20000);
	}
	if (read_reply(q, line, sizeof(line)) < 0 || strncmp(line, "{\"QMP\"", 6) ||
	    qmp_cmd(q, -1, line, sizeof(line), "{\"execute\": \"qmp_capabilities\"}") < 0) {
		snprintf(why, whylen, "QMP greeting: %s", line);
		qmp_close(q);
		return -1;
	}
	return 0;
}

void qmp_close(struct qmp *q)
{
	if (q->fd >= 0)
		close(q->fd);
	q->fd = -1;
}

int qmp_cmd(struct qmp *q, int send_fd, char *reply, size_t cap, const char *fmt, ...)
{
	char text[2048];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n < 0 || n >= (int)sizeof(text)) {
		snprintf(reply, cap, "QMP: command too long");
		return -1;
	}
	struct iovec iov = { .iov_base = text, .iov_len = n };
	char ctl[CMSG_SPACE(sizeof(int))] = { 0 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (send_fd >= 0) {
		msg.msg_control = ctl;
		msg.msg_controllen = sizeof(ctl);
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &send_fd, sizeof(int));
	}
	if (sendmsg(q->fd, &msg, MSG_NOSIGNAL) != n) {
		snprintf(reply, cap, "QMP: sending %s: %s", text, strerror(errno));
		return -1;
	}
	if (read_reply(q, reply, cap) < 0)
		return -1;
	return strncmp(reply, "{\"return\"", 9) ? -1 : 0;
}

const char *qmp_str(const char *reply, const char *key, char *out, size_t cap)
{
	char pat[128];

	snprintf(pat, sizeof(pat), "\"%s\": \"", key);
	const char *p = strstr(reply, pat);
	if (!p)
		return NULL;
	p += strlen(pat);
	const char *e = strchr(p, '"');
	if (!e || (size_t)(e - p) >= cap)
		return NULL;
	memcpy(out, p, e - p);
	out[e - p] = 0;
	return out;
}
