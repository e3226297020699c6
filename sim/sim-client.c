/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* liveupdate-sim, client side: see sim-client.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/kexec.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include <linux/liveupdate.h>
#include "sim-client.h"

int lu_sim_default_socket(char *buf, size_t len)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	int n;

	if (geteuid() == 0)
		n = snprintf(buf, len, "/run/liveupdate-sim/" LU_SIM_SOCKET_NAME);
	else if (xdg && xdg[0] == '/')
		n = snprintf(buf, len, "%s/liveupdate-sim/" LU_SIM_SOCKET_NAME, xdg);
	else
		n = snprintf(buf, len, "/tmp/liveupdate-sim-%u/" LU_SIM_SOCKET_NAME,
			     (unsigned)geteuid());
	return n < 0 || (size_t)n >= len || n >= LU_SIM_PATH_MAX ? -ENAMETOOLONG : 0;
}

int lu_sim_resolve_socket(const char *explicit_path, char *buf, size_t len)
{
	char tmp[PATH_MAX], dir[PATH_MAX], *slash;
	const char *p = explicit_path;
	int n;

	if (!p || !*p)
		p = getenv(LU_SIM_ENV_SOCKET);
	if (!p || !*p) {
		int ret = lu_sim_default_socket(tmp, sizeof(tmp));

		if (ret < 0)
			return ret;
		p = tmp;
	} else if (p != tmp) {
		if (strlen(p) >= sizeof(tmp))
			return -ENAMETOOLONG;
		snprintf(tmp, sizeof(tmp), "%s", p);
	}
	/* absolute */
	if (tmp[0] != '/') {
		char cwd[PATH_MAX];

		if (!getcwd(cwd, sizeof(cwd)))
			return -errno;
		n = snprintf(dir, sizeof(dir), "%s/%s", cwd, tmp);
		if (n < 0 || (size_t)n >= sizeof(dir))
			return -ENAMETOOLONG;
		memcpy(tmp, dir, (size_t)n + 1);
	}
	/* canonical directory, when it exists */
	slash = strrchr(tmp, '/');
	if (!slash[1])
		return -EINVAL; /* a directory, not a socket name */
	*slash = '\0';
	if (realpath(tmp[0] ? tmp : "/", dir)) {
		n = snprintf(buf, len, "%s/%s", strcmp(dir, "/") ? dir : "", slash + 1);
	} else {
		*slash = '/';
		n = snprintf(buf, len, "%s", tmp);
	}
	if (n < 0 || (size_t)n >= len || n >= LU_SIM_PATH_MAX)
		return -ENAMETOOLONG;
	return 0;
}

static int fill_addr(struct sockaddr_un *sa, const char *path)
{
	size_t n = strlen(path);

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (n == 0 || n >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	memcpy(sa->sun_path, path, n);
	return 0;
}

static void set_timeout(int sock)
{
	struct timeval tv = { .tv_sec = LU_SIM_REPLY_TIMEOUT_S };

	setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

int lu_sim_send(int sock, const struct lu_sim_msg *msg, const int *fds,
		int nfds, int flags)
{
	uint8_t buf[LU_SIM_MSG_MAX];
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int) * LU_SIM_MAX_FDS)];
	} c;
	struct iovec iov;
	struct msghdr mh;
	int len = lu_sim_encode(msg, buf, sizeof(buf));

	if (len < 0)
		return len;
	if (nfds < 0 || nfds > LU_SIM_MAX_FDS)
		return -EINVAL;
	memset(&mh, 0, sizeof(mh));
	iov.iov_base = buf;
	iov.iov_len = (size_t)len;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (nfds) {
		memset(&c, 0, sizeof(c));
		mh.msg_control = c.b;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		c.h.cmsg_level = SOL_SOCKET;
		c.h.cmsg_type = SCM_RIGHTS;
		c.h.cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(&c.h), fds, sizeof(int) * (size_t)nfds);
	}
	for (;;) {
		ssize_t n = sendmsg(sock, &mh, MSG_NOSIGNAL | flags);

		if (n == len)
			return 0;
		if (n >= 0)
			return -EMSGSIZE; /* SEQPACKET: cannot happen */
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN && !(flags & MSG_DONTWAIT)) {
			/* the caller made the socket non-blocking: wait */
			struct pollfd pfd = { .fd = sock, .events = POLLOUT };

			if (poll(&pfd, 1, LU_SIM_REPLY_TIMEOUT_S * 1000) > 0)
				continue;
			return -EIO;
		}
		return -errno;
	}
}

int lu_sim_recv(int sock, struct lu_sim_msg *msg, int *fds, int *nfds, int flags)
{
	uint8_t buf[LU_SIM_MSG_MAX];
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int) * LU_SIM_MAX_FDS)];
	} c;
	int got[LU_SIM_MAX_FDS * 2], ngot = 0, ret;
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr mh;
	struct cmsghdr *cm;
	ssize_t n;

	if (nfds)
		*nfds = 0;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = c.b;
	mh.msg_controllen = sizeof(c.b);
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | flags);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EWOULDBLOCK && !(flags & MSG_DONTWAIT) ? -EIO : -errno;

	/* collect every fd that came, whatever happens next */
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		size_t k;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS ||
		    cm->cmsg_len < CMSG_LEN(0))
			continue;
		k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (ngot < (int)(sizeof(got) / sizeof(got[0])))
				got[ngot++] = fd;
			else
				close(fd);
		}
	}

	if (n == 0)
		ret = -ECONNRESET;
	else if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
		ret = -EMSGSIZE;
	else if (ngot > LU_SIM_MAX_FDS || (ngot && !fds))
		ret = -EMSGSIZE;
	else
		ret = lu_sim_decode(buf, (size_t)n, msg);
	if (ret < 0) {
		for (int i = 0; i < ngot; i++)
			close(got[i]);
		return ret;
	}
	if (fds)
		memcpy(fds, got, sizeof(int) * (size_t)ngot);
	if (nfds)
		*nfds = ngot;
	return 0;
}

int lu_sim_connect(const char *path, uint32_t role, bool cloexec, uint64_t cookie[2])
{
	struct lu_sim_msg m = { .type = LU_SIM_HELLO }, r;
	struct sockaddr_un sa;
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	int sock, ret, got;

	ret = fill_addr(&sa, path);
	if (ret < 0)
		return ret;
	sock = socket(AF_UNIX, SOCK_SEQPACKET | (cloexec ? SOCK_CLOEXEC : 0), 0);
	if (sock < 0)
		return -errno;
	while (connect(sock, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno == EINTR)
			continue;
		ret = -errno;
		goto fail;
	}
	/* only a daemon of this user, or root's, is trusted */
	if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0) {
		ret = -errno;
		goto fail;
	}
	if (cred.uid != geteuid() && cred.uid != 0) {
		ret = -EACCES;
		goto fail;
	}
	set_timeout(sock);
	m.u.hello.role = role;
	/*
	 * A daemon without room answers ENFILE and hangs up at once, maybe
	 * before our HELLO arrives: its answer is read even if sending failed.
	 */
	ret = lu_sim_send(sock, &m, NULL, 0, 0);
	got = lu_sim_recv(sock, &r, NULL, NULL, 0);
	/* a close with our HELLO unread: ECONNRESET once, then the queued answer */
	if (got == -ECONNRESET)
		got = lu_sim_recv(sock, &r, NULL, NULL, MSG_DONTWAIT);
	if (got == 0)
		ret = 0;
	else if (ret == 0 || ret == -EPIPE)
		ret = -ECONNRESET;
	if (ret < 0)
		goto fail;
	if (r.type != LU_SIM_REPLY) {
		ret = -EPROTO;
		goto fail;
	}
	if (r.u.reply.err) {
		ret = -r.u.reply.err;
		goto fail;
	}
	if (cookie) {
		cookie[0] = r.u.reply.val[0];
		cookie[1] = r.u.reply.val[1];
	}
	return sock;
fail:
	close(sock);
	return ret;
}

int lu_sim_request(int sock, const struct lu_sim_msg *req, struct lu_sim_msg *reply)
{
	int ret = lu_sim_send(sock, req, NULL, 0, 0);

	if (ret < 0)
		return ret == -EPIPE || ret == -ECONNRESET ? -ECONNRESET : ret;
	ret = lu_sim_recv(sock, reply, NULL, NULL, 0);
	if (ret < 0)
		return ret;
	if (reply->type != LU_SIM_REPLY && reply->type != LU_SIM_INFO &&
	    reply->type != LU_SIM_SESSION_INFO)
		return -EPROTO;
	return 0;
}

int lu_sim_call(const char *path, const struct lu_sim_msg *req,
		struct lu_sim_msg *reply)
{
	int sock = lu_sim_connect(path, LU_SIM_ROLE_CONTROL, true, NULL), ret;

	if (sock < 0)
		return sock;
	ret = lu_sim_request(sock, req, reply);
	close(sock);
	return ret;
}

int lu_sim_ping(const char *path, struct lu_sim_info *info)
{
	struct lu_sim_msg m = { .type = LU_SIM_STATUS }, r;
	int ret;

	m.u.status.index = LU_SIM_STATUS_DAEMON;
	ret = lu_sim_call(path, &m, &r);
	if (ret < 0)
		return ret;
	if (r.type != LU_SIM_INFO)
		return r.type == LU_SIM_REPLY && r.u.reply.err ? -r.u.reply.err : -EPROTO;
	if (info)
		*info = r.u.info;
	return (int)r.u.info.pid;
}

int lu_sim_call_reply(const char *path, const struct lu_sim_msg *req,
		      struct lu_sim_msg *reply)
{
	int ret = lu_sim_call(path, req, reply);

	if (ret < 0)
		return ret;
	if (reply->type != LU_SIM_REPLY)
		return -EPROTO;
	return -reply->u.reply.err;
}

int lu_sim_kexec_record(const char *path, uint32_t flags)
{
	struct lu_sim_msg m = { .type = LU_SIM_KEXEC_LOAD }, r;

	m.u.kexec_load.flags = flags;
	return lu_sim_call_reply(path, &m, &r);
}

int lu_sim_kexec_load(const char *path, int kernel_fd, int initrd_fd,
		      unsigned long flags)
{
	if (flags & ~(unsigned long)LU_SIM_KEXEC_ALL)
		return -EINVAL;
	/* the kernel's first checks: the fds it will read */
	if (!(flags & LU_SIM_KEXEC_UNLOAD)) {
		if (kernel_fd < 0 || fcntl(kernel_fd, F_GETFD) < 0)
			return -EBADF;
		if (!(flags & KEXEC_FILE_NO_INITRAMFS) &&
		    (initrd_fd < 0 || fcntl(initrd_fd, F_GETFD) < 0))
			return -EBADF;
	}
	return lu_sim_kexec_record(path, (uint32_t)flags);
}

int lu_sim_reboot(const char *path, bool force, uint64_t *reboots)
{
	struct lu_sim_msg m = { .type = LU_SIM_REBOOT }, r;
	int ret;

	m.u.reboot.flags = force ? LU_SIM_REBOOT_FORCE : 0;
	ret = lu_sim_call_reply(path, &m, &r);
	if (ret == 0 && reboots)
		*reboots = r.u.reply.val[0];
	return ret;
}

int lu_sim_is_sim_fd(const char *path, int fd)
{
	struct sockaddr_un sa;
	socklen_t len = sizeof(sa);
	struct stat st, a, b;
	char peer[sizeof(sa.sun_path) + 1];
	size_t n;

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode))
		return 0;
	memset(&sa, 0, sizeof(sa));
	if (getpeername(fd, (struct sockaddr *)&sa, &len) < 0 ||
	    sa.sun_family != AF_UNIX || len <= offsetof(struct sockaddr_un, sun_path) ||
	    !sa.sun_path[0])
		return 0;
	n = len - offsetof(struct sockaddr_un, sun_path);
	if (n > sizeof(sa.sun_path))
		n = sizeof(sa.sun_path);
	memcpy(peer, sa.sun_path, n);
	peer[n] = '\0';
	if (strcmp(peer, path) == 0)
		return 1;
	/* another spelling of the same socket file */
	return stat(peer, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

/* ---- the caller's memory, touched the way the kernel does ---- */

/*
 * Copy n bytes from or to the caller's memory. With @safe through
 * process_vm_readv/writev, so that an unmapped address gives a short count
 * (the kernel's EFAULT) instead of a crash; where those are refused
 * (ENOSYS, EPERM) there is no way to check, and the caller is trusted.
 * Returns how many bytes were copied.
 */
static size_t user_copy(void *dst, const void *src, size_t n, bool safe, bool to_user)
{
	struct iovec ours = { .iov_base = to_user ? (void *)src : dst, .iov_len = n };
	struct iovec theirs = { .iov_base = to_user ? dst : (void *)src, .iov_len = n };
	ssize_t k;

	if (n == 0)
		return 0;
	if (safe) {
		k = to_user ? process_vm_writev(getpid(), &ours, 1, &theirs, 1, 0)
			    : process_vm_readv(getpid(), &ours, 1, &theirs, 1, 0);
		if (k >= 0 || (errno != ENOSYS && errno != EPERM))
			return k < 0 ? 0 : (size_t)k;
	}
	memcpy(dst, src, n);
	return n;
}

/*
 * The tail past what the kernel knows, scanned in order like
 * check_zeroed_user(): LU_SIM_IOF_TAIL_NONZERO at the first non-zero byte,
 * LU_SIM_IOF_TAIL_FAULT at the first unreadable one, 0 if all zero.
 */
static uint32_t scan_tail(const uint8_t *p, size_t n, bool safe)
{
	uint8_t chunk[4096];

	while (n) {
		size_t want = sizeof(chunk) - ((uintptr_t)p % sizeof(chunk)), got;

		if (want > n)
			want = n;
		got = user_copy(chunk, p, want, safe, false);
		for (size_t i = 0; i < got; i++)
			if (chunk[i])
				return LU_SIM_IOF_TAIL_NONZERO;
		if (got < want)
			return LU_SIM_IOF_TAIL_FAULT;
		p += want;
		n -= want;
	}
	return 0;
}

/*
 * Read the caller's struct as the kernel would, recording in io->flags what
 * happened (the daemon turns that into errnos, in its order): the size,
 * the tail past the known part, the known part. Returns the size read, 0
 * when unreadable.
 */
static uint32_t read_request(struct lu_sim_ioctl *io, const void *arg, unsigned known,
			     bool safe)
{
	uint32_t usize;

	if (!known)
		return 0;       /* no command has this number: nothing is read */
	if (user_copy(&usize, arg, sizeof(usize), safe, false) != sizeof(usize)) {
		io->flags |= LU_SIM_IOF_SIZE_FAULT;
		return 0;
	}
	io->user_size = usize;
	if (usize > known)
		io->flags |= scan_tail((const uint8_t *)arg + known, usize - known, safe);
	if (user_copy(io->arg, arg, usize < known ? usize : known, safe, false) !=
	    (usize < known ? usize : known)) {
		io->flags |= LU_SIM_IOF_HEAD_FAULT;
		memset(io->arg, 0, sizeof(io->arg));
	}
	return usize;
}

/* What the daemon needs from this process besides the struct. */
struct ioctl_extras {
	int sess;               /* CREATE/RETRIEVE_SESSION: the new session's connection */
	int file;               /* PRESERVE_FD: the caller's file, sent along */
	int slot;               /* RETRIEVE_FD: the fd number the result will take */
};

/*
 * Get what the command would need, whether or not the daemon will get as
 * far as using it: failures are recorded for the daemon to report in the
 * kernel's order (fd_errno, LU_SIM_IOF_FILE_BADF), never decided here.
 */
static void prepare(const char *path, int fd, struct lu_sim_ioctl *io, unsigned nr,
		    uint32_t usize, struct ioctl_extras *x)
{
	size_t fd_end = offsetof(struct liveupdate_session_preserve_fd, fd) + sizeof(int32_t);
	int32_t want;

	switch (nr) {
	case LIVEUPDATE_CMD_CREATE_SESSION:
	case LIVEUPDATE_CMD_RETRIEVE_SESSION:
		/* the new session's file: a connection of its own */
		x->sess = lu_sim_connect(path, LU_SIM_ROLE_SESSION, true, io->cookie);
		if (x->sess < 0)
			io->fd_errno = -x->sess < 4096 ? -x->sess : EIO;
		break;
	case LIVEUPDATE_CMD_SESSION_PRESERVE_FD:
		/* only a number that was read names a file */
		if (io->flags & (LU_SIM_IOF_SIZE_FAULT | LU_SIM_IOF_HEAD_FAULT) || usize < fd_end)
			break;
		memcpy(&want, io->arg + offsetof(struct liveupdate_session_preserve_fd, fd), sizeof(want));
		if (want < 0 || fcntl(want, F_GETFD) < 0)
			io->flags |= LU_SIM_IOF_FILE_BADF;
		else
			x->file = want;
		break;
	case LIVEUPDATE_CMD_SESSION_RETRIEVE_FD:
		/*
		 * The kernel reserves the new fd first: EMFILE before anything,
		 * and the lowest free number, which this placeholder holds.
		 */
		x->slot = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		if (x->slot < 0)
			io->fd_errno = errno;
		break;
	}
}

/*
 * Send the request with its reply channel (and the file to preserve), and
 * wait for the answer. Returns 0 with *reply and *rfd (the fd that came
 * back, or -1), or a negative errno: -EBADF when the daemon hung up (a
 * session of an earlier boot, or no daemon).
 */
static int exchange(int fd, struct lu_sim_msg *m, int file, struct lu_sim_msg *reply, int *rfd)
{
	int rc[2], fds[2], nfds = 0, got[LU_SIM_MAX_FDS], ngot = 0, ret;

	*rfd = -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, rc) < 0)
		return -errno;
	set_timeout(rc[0]);
	fds[nfds++] = rc[1];
	if (file >= 0)
		fds[nfds++] = file;
	ret = lu_sim_send(fd, m, fds, nfds, 0);
	if (ret < 0 && file >= 0 && ret != -EPIPE && ret != -ECONNRESET && ret != -ENOTCONN) {
		/* a file that cannot travel (io_uring, ...) has no handler */
		m->u.ioctl.flags |= LU_SIM_IOF_FILE_NOSEND;
		ret = lu_sim_send(fd, m, fds, 1, 0);
	}
	close(rc[1]);
	if (ret == 0)
		ret = lu_sim_recv(rc[0], reply, got, &ngot, 0);
	close(rc[0]);
	if (ret < 0)
		return ret == -EPIPE || ret == -ECONNRESET || ret == -ENOTCONN ? -EBADF : ret;
	if (reply->type != LU_SIM_REPLY || ngot > 1 ||
	    (ngot != 0) != !!(reply->u.reply.flags & LU_SIM_RF_FD)) {
		for (int i = 0; i < ngot; i++)
			close(got[i]);
		return -EPROTO;
	}
	if (ngot)
		*rfd = got[0];
	return 0;
}

/*
 * The transport of one ioctl; the order of the kernel's checks, and which
 * of them need this process, is written down at the top of sim-model.c.
 */
int lu_sim_ioctl(const char *path, int fd, unsigned long request, void *arg,
		 bool safe)
{
	struct lu_sim_msg m = { .type = LU_SIM_IOCTL }, r;
	struct lu_sim_ioctl *io = &m.u.ioctl;
	unsigned cmd = (unsigned)request; /* the kernel takes an unsigned int */
	unsigned nr = _IOC_NR(cmd), known = lu_sim_ioctl_known_size(nr);
	struct ioctl_extras x = { .sess = -1, .file = -1, .slot = -1 };
	uint32_t usize;
	int32_t newfd;
	int ret, rfd = -1;

	io->cmd = cmd;
	usize = read_request(io, arg, known, safe);
	if (known)
		prepare(path, fd, io, nr, usize, &x);
	ret = exchange(fd, &m, x.file, &r, &rfd);
	if (ret < 0)
		goto out;
	if (r.u.reply.err) {
		ret = -r.u.reply.err;
		goto out;
	}

	/* the new fd goes into the struct the kernel copies back */
	if (nr == LIVEUPDATE_CMD_CREATE_SESSION || nr == LIVEUPDATE_CMD_RETRIEVE_SESSION) {
		newfd = x.sess;
		memcpy(r.u.reply.arg + offsetof(struct liveupdate_ioctl_create_session, fd), &newfd, 4);
	} else if (nr == LIVEUPDATE_CMD_SESSION_RETRIEVE_FD) {
		if (rfd < 0 || x.slot < 0) {
			ret = -EPROTO;
			goto out;
		}
		/* into the reserved slot: the number the kernel would give */
		if (dup3(rfd, x.slot, O_CLOEXEC) < 0) {
			ret = -errno;
			goto out;
		}
		close(rfd);
		rfd = x.slot;
		x.slot = -1;
		newfd = rfd;
		memcpy(r.u.reply.arg + offsetof(struct liveupdate_session_preserve_fd, fd), &newfd, 4);
	}
	/* min(user size, known size) bytes, as copy_to_user() of the kernel's */
	if (user_copy(arg, r.u.reply.arg, usize < known ? usize : known, safe, true) !=
	    (usize < known ? usize : known)) {
		ret = -EFAULT;
		goto out;
	}
	/* the new fd now belongs to the caller */
	x.sess = -1;
	rfd = -1;
	ret = 0;
out:
	if (x.sess >= 0)
		close(x.sess);
	if (rfd >= 0)
		close(rfd);
	if (x.slot >= 0)
		close(x.slot);
	return ret;
}
