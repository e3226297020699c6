/*
 * qemu-qmp.h: a small QMP client for the guest's scenarios that drive a
 * QEMU (sc-qemu-kexec.c): one command at a time over QEMU's unix socket,
 * optionally passing a file descriptor (SCM_RIGHTS, for getfd). Replies
 * are QMP's one-line JSON objects; events are skipped.
 */
#ifndef LUTEST_QEMU_QMP_H
#define LUTEST_QEMU_QMP_H

#include <stddef.h>
#include <sys/types.h>

struct qmp {
	int fd;
	char buf[16384];	/* what was read but not yet returned */
	size_t len;
};

/* Connect to the socket path of QEMU pid, a child of the caller (retried
 * until it listens, while it lives, up to timeout_s; an ended QEMU is
 * reaped), read the greeting and enter command mode. 0, or -1 with the
 * reason in why. */
int qmp_open(struct qmp *q, const char *path, pid_t pid, int timeout_s, char *why, size_t whylen);
void qmp_close(struct qmp *q);

/*
 * Run one command, its JSON text made from fmt (send_fd >= 0 is passed
 * with it). The reply's line goes into reply. Returns 0 for a "return",
 * -1 for an "error" (reply holds it) or a broken connection (reply says so).
 */
int qmp_cmd(struct qmp *q, int send_fd, char *reply, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* The string value of "key": "..." in a reply line (no escapes), or NULL. */
const char *qmp_str(const char *reply, const char *key, char *out, size_t cap);

#endif
