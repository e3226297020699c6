/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * liveupdate-sim's daemon: the event loop and the connections (see
 * sim-daemon.h). What a request means is sim-model.c's business; this file
 * reads messages, checks their framing, and sends the answers.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <linux/liveupdate.h>
#include "sim-client.h"
#include "sim-daemon.h"
#include "sim-frozen.h"
#include "sim-log.h"
#include "sim-model.h"

#define ACCEPTS_PER_ROUND 64
#define FD_RESERVE 32           /* listener, epoll, log, table, a request's fds */

static struct {
	const struct lu_sim_daemon_opts *opts;
	struct sim_limits max;
	int listen_fd;
	struct sim_conn **conns; /* every connection; each knows its slot */
	size_t nconns;
	struct sim_conn *dead;  /* dead conns not yet freed by reap_conns() */
	struct sim_conn **by_cookie; /* SESSION connections by cookie_hash() */
	size_t cookie_mask;
	/*
	 * epoll, so that the cost of a request does not grow with the number
	 * of clients: efd watches the listener and every connection for
	 * input; hup_efd every connection for hang-ups only, so that
	 * sweep_hangups() sees just the connections that closed.
	 */
	int efd, hup_efd;
	volatile sig_atomic_t stop;
} d;

static const char *role_name(uint32_t role)
{
	switch (role) {
	case LU_SIM_ROLE_DEVICE: return "device";
	case LU_SIM_ROLE_SESSION: return "session";
	case LU_SIM_ROLE_CONTROL: return "control";
	default: return "new";
	}
}

/* ---------------------------------------------------------- connections */

static size_t cookie_hash(const uint64_t cookie[2])
{
	return (size_t)lu_sim_hash64(cookie[0] ^ lu_sim_hash64(cookie[1])) & d.cookie_mask;
}

/* A SESSION connection waits for CREATE/RETRIEVE_SESSION to name its cookie. */
static void list_cookie(struct sim_conn *c)
{
	struct sim_conn **bucket = &d.by_cookie[cookie_hash(c->cookie)];

	c->same_cookie = *bucket;
	*bucket = c;
}

static void unlist_cookie(struct sim_conn *c)
{
	struct sim_conn **pp = &d.by_cookie[cookie_hash(c->cookie)];

	while (*pp && *pp != c)
		pp = &(*pp)->same_cookie;
	if (*pp)
		*pp = c->same_cookie;
}

/* A SESSION connection not attached yet, named by its HELLO cookie; or NULL. */
static struct sim_conn *pending_conn(const uint64_t cookie[2])
{
	if (!(cookie[0] | cookie[1]))
		return NULL;
	for (struct sim_conn *c = d.by_cookie[cookie_hash(cookie)]; c; c = c->same_cookie)
		if (!c->dead && !c->session && c->cookie[0] == cookie[0] &&
		    c->cookie[1] == cookie[1])
			return c;
	return NULL;
}

/* Closed now, freed at the end of the round: its events may still come. */
static void bury_conn(struct sim_conn *c)
{
	if (c->role == LU_SIM_ROLE_SESSION)
		unlist_cookie(c);
	close(c->fd); /* also takes it out of both epoll sets */
	c->fd = -1;
	c->dead = true;
	c->next_dead = d.dead;
	d.dead = c;
}

/* The kernel's release of the file behind a connection. */
static void release_conn(struct sim_conn *c, const char *why)
{
	if (c->dead)
		return;
	sim_model_release(c, why);
	bury_conn(c);
}

/* A connection the simulated kexec makes stale: closed, nothing released. */
static void drop_conn(struct sim_conn *c)
{
	if (c->dead)
		return;
	sim_model_forget(c);
	bury_conn(c);
}

/* The simulated kexec: close every device and session connection, releasing nothing. */
static void drop_stale_conns(void)
{
	for (size_t i = 0; i < d.nconns; i++)
		if (d.conns[i]->role == LU_SIM_ROLE_DEVICE ||
		    d.conns[i]->role == LU_SIM_ROLE_SESSION)
			drop_conn(d.conns[i]);
}

/* Free the dead: the last connection takes each one's slot. */
static void reap_conns(void)
{
	while (d.dead) {
		struct sim_conn *c = d.dead, *last = d.conns[--d.nconns];

		d.dead = c->next_dead;
		last->slot = c->slot;
		d.conns[c->slot] = last;
		free(c);
	}
}

/*
 * Process every hang-up that has already happened. A client's close()
 * releases its end before it returns, so a request sent after a close
 * always finds the close done here first: the kernel's release is
 * synchronous, and so is this one from the client's point of view.
 */
static void sweep_hangups(void)
{
	struct epoll_event ev[64];
	int n;

	do {
		n = epoll_wait(d.hup_efd, ev, 64, 0);
		for (int i = 0; i < n; i++) {
			struct sim_conn *c = ev[i].data.ptr;

			/* released connections leave the set: this loop ends */
			if (!c->dead)
				release_conn(c, "hang-up");
		}
	} while (n == 64);
}

/* ---------------------------------------------------------------- replies */

/* Send a reply; false when the peer cannot take it (gone, or not reading). */
static bool send_reply(int sock, const struct lu_sim_msg *r, int fd)
{
	int ret = lu_sim_send(sock, r, &fd, fd >= 0 ? 1 : 0, MSG_DONTWAIT);

	if (ret < 0)
		sim_vlog("reply on fd %d not sent: %s", sock, strerror(-ret));
	return ret == 0;
}

static void reply_err(struct sim_conn *c, int replyfd, int err)
{
	struct lu_sim_msg r = { .type = LU_SIM_REPLY };

	r.u.reply.err = err;
	if (replyfd >= 0)
		send_reply(replyfd, &r, -1);
	else if (!send_reply(c->fd, &r, -1))
		release_conn(c, "not reading its replies");
}

static void handle_control(struct sim_conn *c, const struct lu_sim_msg *m)
{
	struct lu_sim_msg r = { .type = LU_SIM_REPLY };

	switch (m->type) {
	case LU_SIM_KEXEC_LOAD:
		sim_model_kexec_load(c, m->u.kexec_load.flags);
		break;
	case LU_SIM_REBOOT:
		r.u.reply.err = sim_model_reboot(c, m->u.reboot.flags, &r.u.reply.val[0]);
		/* every device and session file of the old boot is dead */
		if (!r.u.reply.err)
			drop_stale_conns();
		break;
	case LU_SIM_FROZEN:
		r.u.reply.val[0] = sim_model_frozen(m->u.frozen.dev, m->u.frozen.ino);
		break;
	case LU_SIM_STATUS:
		sim_model_status(m->u.status.index, &r);
		if (r.type == LU_SIM_INFO)
			r.u.info.conns = (uint32_t)d.nconns;
		break;
	case LU_SIM_STOP:
		sim_log("pid %d asks the daemon to stop", (int)c->pid);
		d.stop = 1;
		break;
	case LU_SIM_PEEK: {
		int fd = -1;

		r.u.reply.err = sim_model_peek(&m->u.peek, &fd, &r.u.reply.val[0]);
		if (r.u.reply.err)
			break;
		r.u.reply.flags = LU_SIM_RF_FD;
		if (!send_reply(c->fd, &r, fd))
			release_conn(c, "not reading its replies");
		close(fd);
		return;
	}
	case LU_SIM_TABLE:
		if (sim_frozen_fd() < 0) {
			r.u.reply.err = ENOSYS;
			break;
		}
		r.u.reply.flags = LU_SIM_RF_FD;
		if (!send_reply(c->fd, &r, sim_frozen_fd()))
			release_conn(c, "not reading its replies");
		return;
	}
	if (!send_reply(c->fd, &r, -1))
		release_conn(c, "not reading its replies");
}

/* An ioctl: the model answers, on the request's own reply channel. */
static void handle_ioctl(struct sim_conn *c, const struct lu_sim_ioctl *io,
			 int replyfd, int file)
{
	struct lu_sim_msg r = { .type = LU_SIM_REPLY };
	int out_fd = -1, err;

	memcpy(r.u.reply.arg, io->arg, sizeof(r.u.reply.arg));
	err = sim_model_ioctl(c, io, pending_conn(io->cookie), &r.u.reply, &file, &out_fd);
	r.u.reply.err = err;
	if (!err && out_fd >= 0)
		r.u.reply.flags |= LU_SIM_RF_FD;
	else
		out_fd = -1;
	sim_vlog("pid %d %s ioctl 0x%08x size %u: %s", (int)c->pid, role_name(c->role),
		 io->cmd, io->user_size, err ? strerror(err) : "ok");
	send_reply(replyfd, &r, out_fd);
	if (file >= 0)
		close(file);
}

/* --------------------------------------------------------------- messages */

/* An unguessable, non-zero name for a session connection. */
static void new_cookie(uint64_t cookie[2])
{
	static uint64_t counter;
	struct timespec ts;

	if (getrandom(cookie, 2 * sizeof(uint64_t), GRND_NONBLOCK) != 2 * sizeof(uint64_t)) {
		/* no entropy source: unique at least (the socket is private anyway) */
		clock_gettime(CLOCK_MONOTONIC, &ts);
		cookie[0] = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
		cookie[1] = ++counter ^ ((uint64_t)getpid() << 32);
	}
	if (!(cookie[0] | cookie[1]))
		cookie[1] = 1;
}

static void handle_hello(struct sim_conn *c, const struct lu_sim_msg *m)
{
	struct lu_sim_msg r = { .type = LU_SIM_REPLY };
	bool keep = true;

	switch (m->u.hello.role) {
	case LU_SIM_ROLE_DEVICE:
		r.u.reply.err = sim_model_open_device(c);
		keep = !r.u.reply.err;
		break;
	case LU_SIM_ROLE_SESSION:
		new_cookie(c->cookie);
		c->role = LU_SIM_ROLE_SESSION;
		list_cookie(c);
		r.u.reply.val[0] = c->cookie[0];
		r.u.reply.val[1] = c->cookie[1];
		break;
	case LU_SIM_ROLE_CONTROL:
		break;
	}
	c->role = m->u.hello.role;
	if (!send_reply(c->fd, &r, -1) || !keep)
		release_conn(c, keep ? "not reading its replies" : "refused");
}

/* Read one message from c and act on it. */
static void serve(struct sim_conn *c)
{
	struct lu_sim_msg m;
	int fds[LU_SIM_MAX_FDS], nfds = 0, ret;

	ret = lu_sim_recv(c->fd, &m, fds, &nfds, MSG_DONTWAIT);
	if (ret == -EAGAIN)
		return;
	if (ret == -ECONNRESET || ret == -ENOTCONN) {
		release_conn(c, "end of file");
		return;
	}
	/* what came before this message must be settled first */
	sweep_hangups();
	if (c->dead) {
		for (int i = 0; i < nfds; i++)
			close(fds[i]);
		return;
	}
	if (ret < 0) {
		/* malformed: an error reply, or the door for who cannot take it */
		sim_vlog("pid %d %s connection: bad message: %s", (int)c->pid, role_name(c->role),
		     strerror(-ret));
		if (c->role == 0 || c->role == LU_SIM_ROLE_CONTROL) {
			reply_err(c, -1, ret == -EPROTONOSUPPORT ? EPROTONOSUPPORT : EPROTO);
			release_conn(c, "protocol error");
		} else {
			reply_err(c, -1, EPROTO);
		}
		return;
	}

	switch (c->role) {
	case 0:
		if (m.type == LU_SIM_HELLO && nfds == 0) {
			handle_hello(c, &m);
			break;
		}
		reply_err(c, -1, EPROTO);
		release_conn(c, "no HELLO");
		break;
	case LU_SIM_ROLE_DEVICE:
	case LU_SIM_ROLE_SESSION: {
		struct stat st;

		/* an ioctl, its reply channel first, maybe the file to preserve */
		if (m.type != LU_SIM_IOCTL || nfds < 1 || fstat(fds[0], &st) < 0 ||
		    !S_ISSOCK(st.st_mode) ||
		    (nfds == 2 && (m.u.ioctl.cmd & 0xff) != LIVEUPDATE_CMD_SESSION_PRESERVE_FD)) {
			reply_err(c, nfds >= 1 ? fds[0] : -1, EPROTO);
			break;
		}
		handle_ioctl(c, &m.u.ioctl, fds[0], nfds == 2 ? fds[1] : -1);
		fds[1] = -1; /* consumed */
		nfds = 1;
		break;
	}
	case LU_SIM_ROLE_CONTROL:
		if (nfds || m.type == LU_SIM_HELLO || m.type == LU_SIM_IOCTL ||
		    m.type >= LU_SIM_REPLY) {
			reply_err(c, -1, EPROTO);
			release_conn(c, "protocol error");
			break;
		}
		handle_control(c, &m);
		break;
	}
	for (int i = 0; i < nfds; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

static void accept_clients(void)
{
	for (int k = 0; k < ACCEPTS_PER_ROUND; k++) {
		struct ucred cred;
		socklen_t len = sizeof(cred);
		struct sim_conn *c;
		int fd = accept4(d.listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				sim_log("accept: %s", strerror(errno));
			return;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
		    (cred.uid != geteuid() && cred.uid != 0)) {
			sim_log("refused a client of uid %d: only uid %d and root may connect",
			       (int)cred.uid, (int)geteuid());
			close(fd);
			continue;
		}
		c = d.nconns < d.max.conns ? calloc(1, sizeof(*c)) : NULL;
		if (!c) {
			struct lu_sim_msg r = { .type = LU_SIM_REPLY };

			r.u.reply.err = ENFILE;
			send_reply(fd, &r, -1);
			close(fd);
			sim_vlog("refused pid %d: %zu clients already", (int)cred.pid, d.nconns);
			continue;
		}
		c->fd = fd;
		c->pid = cred.pid;
		c->uid = cred.uid;
		{
			struct epoll_event in = { .events = EPOLLIN | EPOLLRDHUP, .data.ptr = c };
			struct epoll_event hup = { .events = EPOLLRDHUP, .data.ptr = c };

			if (epoll_ctl(d.efd, EPOLL_CTL_ADD, fd, &in) < 0 ||
			    epoll_ctl(d.hup_efd, EPOLL_CTL_ADD, fd, &hup) < 0) {
				sim_log("epoll_ctl: %s; client of pid %d refused", strerror(errno),
				       (int)cred.pid);
				close(fd); /* leaves whichever set it had joined */
				free(c);
				continue;
			}
		}
		c->slot = d.nconns;
		d.conns[d.nconns++] = c;
	}
}

/* -------------------------------------------------------------- set-up */

static int private_dir(const char *dir)
{
	struct stat st;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		sim_log("cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	if (lstat(dir, &st) < 0) {
		sim_log("%s: %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077)) {
		sim_log("refusing %s: the socket's directory must be a directory owned by "
		       "uid %d with mode 0700 (it is %s, owner %d, mode %04o)", dir,
		       (int)geteuid(), S_ISDIR(st.st_mode) ? "a directory" : "not a directory",
		       (int)st.st_uid, (unsigned)(st.st_mode & 07777));
		return -1;
	}
	return 0;
}

static void on_signal(int sig)
{
	(void)sig;
	d.stop = 1;
}

static void set_limits(void)
{
	struct rlimit rl;
	size_t nofile = 1024;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rlim_t want = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > 65536 ? 65536
										    : rl.rlim_max;

		if (rl.rlim_cur < want) {
			rl.rlim_cur = want;
			setrlimit(RLIMIT_NOFILE, &rl);
			getrlimit(RLIMIT_NOFILE, &rl);
		}
		nofile = rl.rlim_cur;
	}
	if (nofile < 128)
		nofile = 128;
	/*
	 * One fd per client and one per preserved file, FD_RESERVE for the
	 * daemon's own and those in flight: at most half for clients.
	 */
	d.max.conns = (nofile - FD_RESERVE) / 2;
	if (d.max.conns > LU_SIM_MAX_CONNS)
		d.max.conns = LU_SIM_MAX_CONNS;
	d.max.files = nofile - FD_RESERVE - d.max.conns;
	if (d.max.files > LU_SIM_MAX_FILES)
		d.max.files = LU_SIM_MAX_FILES;
	d.max.files_per_session = LU_SIM_MAX_FILES_PER_SESSION;
	d.max.sessions = LU_SIM_MAX_SESSIONS;
}

static void shutdown_all(void)
{
	for (size_t i = 0; i < d.nconns; i++)
		drop_conn(d.conns[i]);
	reap_conns();
	sim_model_fini();
}

int lu_sim_daemon_run(const struct lu_sim_daemon_opts *opts)
{
	char dir[LU_SIM_PATH_MAX + 8], lockpath[LU_SIM_PATH_MAX + 8];
	struct sockaddr_un sa;
	struct sigaction sact;
	sigset_t block, empty;
	int lock_fd, status = 1;
	char *slash;
	mode_t old_umask;

	memset(&d, 0, sizeof(d));
	d.opts = opts;
	d.listen_fd = -1;
	d.efd = d.hup_efd = -1;
	sim_verbose = opts->verbose;
	signal(SIGPIPE, SIG_IGN);
	set_limits();

	if (strlen(opts->socket_path) >= sizeof(sa.sun_path) || opts->socket_path[0] != '/') {
		sim_log("socket path \"%s\" must be absolute and under %zu bytes",
		       opts->socket_path, sizeof(sa.sun_path));
		return 1;
	}
	snprintf(dir, sizeof(dir), "%s", opts->socket_path);
	slash = strrchr(dir, '/');
	*slash = '\0';
	if (private_dir(dir[0] ? dir : "/") < 0)
		return 1;

	/* one daemon per socket */
	snprintf(lockpath, sizeof(lockpath), "%s.lock", opts->socket_path);
	lock_fd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (lock_fd < 0) {
		sim_log("%s: %s", lockpath, strerror(errno));
		return 1;
	}
	if (flock(lock_fd, LOCK_EX | LOCK_NB) < 0) {
		sim_log("another liveupdate-sim daemon serves %s", opts->socket_path);
		close(lock_fd);
		return 1;
	}

	for (d.cookie_mask = 15; d.cookie_mask < d.max.conns; d.cookie_mask = 2 * d.cookie_mask + 1)
		;
	d.conns = calloc(d.max.conns, sizeof(*d.conns));
	d.by_cookie = calloc(d.cookie_mask + 1, sizeof(*d.by_cookie));
	if (!d.conns || !d.by_cookie || sim_model_init(&d.max) < 0) {
		sim_log("out of memory");
		goto out;
	}
	d.efd = epoll_create1(EPOLL_CLOEXEC);
	d.hup_efd = epoll_create1(EPOLL_CLOEXEC);
	if (d.efd < 0 || d.hup_efd < 0) {
		sim_log("epoll_create1: %s", strerror(errno));
		goto out;
	}
	d.listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (d.listen_fd < 0) {
		sim_log("socket: %s", strerror(errno));
		goto out;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, opts->socket_path, strlen(opts->socket_path));
	unlink(opts->socket_path); /* a stale socket: we hold the lock */
	old_umask = umask(0177);
	if (bind(d.listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		umask(old_umask);
		sim_log("bind %s: %s", opts->socket_path, strerror(errno));
		goto out;
	}
	umask(old_umask);
	chmod(opts->socket_path, 0600);
	if (listen(d.listen_fd, 64) < 0) {
		sim_log("listen: %s", strerror(errno));
		goto out_unlink;
	}
	{
		/* data.ptr NULL: the listener */
		struct epoll_event in = { .events = EPOLLIN, .data.ptr = NULL };

		if (epoll_ctl(d.efd, EPOLL_CTL_ADD, d.listen_fd, &in) < 0) {
			sim_log("epoll_ctl: %s", strerror(errno));
			goto out_unlink;
		}
	}

	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, NULL);
	sigemptyset(&empty);
	memset(&sact, 0, sizeof(sact));
	sact.sa_handler = on_signal;
	sigaction(SIGTERM, &sact, NULL);
	sigaction(SIGINT, &sact, NULL);

	if (opts->detach) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		int log = opts->log_path ? open(opts->log_path, O_WRONLY | O_CREAT | O_APPEND |
						O_CLOEXEC, 0600) : -1;

		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(log >= 0 ? log : null, 2);
			close(null);
		}
		if (log >= 0)
			close(log);
	}
	sim_log("listening on %s (limits: %zu clients, %zu sessions, %zu files, %zu per session)",
	       opts->socket_path, d.max.conns, d.max.sessions, d.max.files,
	       d.max.files_per_session);
	if (opts->ready_fd >= 0) {
		ssize_t w;

		do
			w = write(opts->ready_fd, "r", 1);
		while (w < 0 && errno == EINTR);
		close(opts->ready_fd);
	}

	while (!d.stop) {
		struct epoll_event ev[64];
		bool listener = false;
		int n = epoll_pwait(d.efd, ev, 64, -1, &empty);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			sim_log("epoll_wait: %s", strerror(errno));
			break;
		}
		/* hang-ups first: a close happened before anything sent after it */
		sweep_hangups();
		for (int i = 0; i < n && !d.stop; i++) {
			struct sim_conn *c = ev[i].data.ptr;

			if (!c)
				listener = true;
			else if (!c->dead && (ev[i].events & EPOLLIN))
				serve(c);
			else if (!c->dead && (ev[i].events & (EPOLLHUP | EPOLLERR)))
				release_conn(c, "hang-up");
		}
		/* freed only now: this round's events may still point at them */
		reap_conns();
		if (listener)
			accept_clients();
	}
	sim_log("stopping: %zu session(s), %zu file(s) released", sim_model_sessions(), sim_model_files());
	status = 0;
out_unlink:
	unlink(opts->socket_path);
out:
	shutdown_all();
	if (d.listen_fd >= 0)
		close(d.listen_fd);
	free(d.conns);
	free(d.by_cookie);
	if (d.efd >= 0)
		close(d.efd);
	if (d.hup_efd >= 0)
		close(d.hup_efd);
	close(lock_fd); /* the lock file stays: unlinking it would race a new daemon */
	return status;
}
