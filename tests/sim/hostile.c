/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Hostile clients against a running liveupdate-sim daemon (the socket in
 * $LIBLIVEUPDATE_SIM_SOCKET): garbage, truncated, oversized and
 * wrong-version messages, requests on the wrong kind of connection, fd
 * floods, odd reply channels, clients that never read, clients that die
 * mid-request, too many clients, random requests. After each round the
 * daemon must still answer, and at the end it must hold exactly the fds it
 * held at the start (/proc/<daemon>/fd) and no more memory than a bound.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/liveupdate.h>
#include "sim-control.h"
#include "../check-plain.h"

static const char *sock_path;
static int daemon_pid;
static uint64_t rng = 0x1234567887654321ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static int count_fds(int pid)
{
	char path[64];
	struct dirent *e;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static long rss_kb(int pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* The daemon answers, and (eventually) holds `want` fds. */
static void alive(const char *after)
{
	int pid = lu_sim_ping(sock_path, NULL);

	if (pid != daemon_pid)
		FAIL("after %s: the daemon does not answer (%s)", after,
		     pid < 0 ? strerror(-pid) : "another pid");
	else
		printf("ok: alive after %s\n", after);
	fflush(stdout);
}

static int settle_fds(int want)
{
	int n = -1;

	for (int i = 0; i < 300; i++) {
		lu_sim_ping(sock_path, NULL);
		sleep_ms(10);
		n = count_fds(daemon_pid);
		if (n == want)
			break;
	}
	return n;
}

static int raw_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	if (s >= 0 && connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(s);
		return -1;
	}
	return s;
}

/* Send raw bytes with optional fds; -errno. */
static int send_raw(int s, const void *buf, size_t len, const int *fds, int nfds)
{
	size_t clen = CMSG_SPACE(sizeof(int) * (size_t)(nfds > 0 ? nfds : 1));
	char *cbuf = calloc(1, clen);
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (nfds > 0) {
		struct cmsghdr *cm;

		mh.msg_control = cbuf;
		mh.msg_controllen = clen;
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * (size_t)nfds);
	}
	n = sendmsg(s, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	free(cbuf);
	return n < 0 ? -errno : 0;
}

/* Wait briefly for an answer or a close; true if either came. */
static int answered(int s)
{
	char buf[512];
	ssize_t n;
	struct timeval tv = { 2, 0 };

	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	n = recv(s, buf, sizeof(buf), 0);
	return n >= 0 || errno == ECONNRESET;
}

static void encode(const struct lu_sim_msg *m, uint8_t *buf, int *len)
{
	*len = lu_sim_encode(m, buf, LU_SIM_MSG_MAX);
}

/* 1. garbage on fresh connections */
static void garbage(void)
{
	uint8_t buf[LU_SIM_MSG_MAX + 64];
	int silent = 0;

	for (int i = 0; i < 300; i++) {
		int s = raw_connect();
		size_t len = 1 + rnd() % sizeof(buf);

		if (s < 0) {
			FAIL("connect: %s", strerror(errno));
			return;
		}
		for (size_t k = 0; k < len; k++)
			buf[k] = (uint8_t)rnd();
		if (i % 3 == 0) { /* a valid-looking header */
			uint32_t magic = LU_SIM_MAGIC, size = (uint32_t)len;
			uint16_t ver = 1;

			memcpy(buf, &magic, 4);
			memcpy(buf + 4, &ver, 2);
			if (len >= 12)
				memcpy(buf + 8, &size, 4);
		}
		send_raw(s, buf, len, NULL, 0);
		if (!answered(s))
			silent++;
		close(s);
	}
	if (silent)
		FAIL("garbage: %d connection(s) got neither an answer nor a close", silent);
	alive("garbage");
}

/* 2. protocol-level malformations */
static void malformed(void)
{
	struct lu_sim_msg m = { .type = LU_SIM_HELLO };
	uint8_t buf[LU_SIM_MSG_MAX], *big;
	int len, s;

	m.u.hello.role = LU_SIM_ROLE_CONTROL;
	encode(&m, buf, &len);

	/* another protocol version */
	s = raw_connect();
	buf[4] = 2;
	send_raw(s, buf, (size_t)len, NULL, 0);
	if (!answered(s))
		FAIL("wrong version: no answer");
	close(s);
	buf[4] = 1;
	/* truncated: the header says more than came */
	s = raw_connect();
	send_raw(s, buf, (size_t)len - 3, NULL, 0);
	if (!answered(s))
		FAIL("truncated: no answer");
	close(s);
	/* oversized: 64 KiB in one message */
	big = calloc(1, 65536);
	memcpy(big, buf, (size_t)len);
	s = raw_connect();
	send_raw(s, big, 65536, NULL, 0);
	if (!answered(s))
		FAIL("oversized: no answer");
	close(s);
	free(big);
	/* an empty message */
	s = raw_connect();
	send_raw(s, buf, 0, NULL, 0);
	answered(s);
	close(s);
	/* a size field of 4 GiB */
	s = raw_connect();
	{
		uint32_t huge = 0xffffffffu;

		memcpy(buf + 8, &huge, 4);
		send_raw(s, buf, (size_t)len, NULL, 0);
		memcpy(buf + 8, &(uint32_t){ (uint32_t)len }, 4);
	}
	if (!answered(s))
		FAIL("4 GiB size field: no answer");
	close(s);
	/* HELLO twice, a reply sent to the daemon, control on a fresh connection */
	s = lu_sim_connect(sock_path, LU_SIM_ROLE_CONTROL, true, NULL);
	send_raw(s, buf, (size_t)len, NULL, 0);
	answered(s);
	close(s);
	s = raw_connect();
	m.type = LU_SIM_REPLY;
	memset(&m.u, 0, sizeof(m.u));
	encode(&m, buf, &len);
	send_raw(s, buf, (size_t)len, NULL, 0);
	answered(s);
	close(s);
	s = raw_connect();
	m.type = LU_SIM_STOP;
	encode(&m, buf, &len);
	send_raw(s, buf, (size_t)len, NULL, 0); /* STOP before HELLO: refused */
	answered(s);
	close(s);
	alive("malformed messages");
}

/* PEEK with a name that is not one, a bad direction, an unknown session */
static void peeks(void)
{
	struct lu_sim_msg m = { .type = LU_SIM_PEEK };
	uint8_t buf[LU_SIM_MSG_MAX], bad[LU_SIM_MSG_MAX];
	int len, s, fd;

	memcpy(m.u.peek.name, "x", 2);
	encode(&m, buf, &len);
	for (int c = 0; c < 4; c++) {
		memcpy(bad, buf, (size_t)len);
		if (c == 0)
			memset(bad + 24, 'a', LU_SIM_NAME_LEN);  /* no NUL */
		else if (c == 1)
			bad[24 + 5] = 'z';                       /* a byte after the NUL */
		else if (c == 2)
			bad[16] = 7;                             /* direction 7 */
		else
			bad[24] = '\0';                          /* an empty name */
		s = lu_sim_connect(sock_path, LU_SIM_ROLE_CONTROL, true, NULL);
		send_raw(s, bad, (size_t)len, NULL, 0);
		if (!answered(s))
			FAIL("bad PEEK %d: no answer", c);
		close(s);
	}
	fd = lu_sim_peek(sock_path, "no-such-session", 0, NULL);
	if (fd != -ENOENT)
		FAIL("PEEK of no session: %d, expected -ENOENT", fd);
	alive("bad PEEK requests");
}

/* 3. ioctls on the wrong connection, odd reply channels, fd floods */
static void fd_abuse(void)
{
	struct lu_sim_msg m = { .type = LU_SIM_IOCTL };
	uint8_t buf[LU_SIM_MSG_MAX];
	int len, dev, ctl, fds[253], pfd[2], nul;

	dev = lu_sim_connect(sock_path, LU_SIM_ROLE_DEVICE, true, NULL);
	ctl = lu_sim_connect(sock_path, LU_SIM_ROLE_CONTROL, true, NULL);
	if (dev < 0 || ctl < 0) {
		FAIL("fd_abuse: connect: %s", strerror(-(dev < 0 ? dev : ctl)));
		return;
	}
	m.u.ioctl.cmd = LIVEUPDATE_IOCTL_CREATE_SESSION;
	m.u.ioctl.user_size = 72;
	memcpy(m.u.ioctl.arg, &(uint32_t){ 72 }, 4);
	memcpy(m.u.ioctl.arg + 8, "hostile", 8);
	encode(&m, buf, &len);

	/* no reply channel; a pipe, /dev/null, the device itself as one */
	send_raw(dev, buf, (size_t)len, NULL, 0);
	if (pipe2(pfd, O_CLOEXEC) == 0) {
		send_raw(dev, buf, (size_t)len, &pfd[1], 1);
		close(pfd[0]);
		close(pfd[1]);
	}
	nul = open("/dev/null", O_RDWR | O_CLOEXEC);
	send_raw(dev, buf, (size_t)len, &nul, 1);
	send_raw(dev, buf, (size_t)len, &dev, 1);
	/* an ioctl on a control connection, with an fd */
	send_raw(ctl, buf, (size_t)len, &nul, 1);
	close(ctl);
	/* floods: as many fds as one message can carry, many times */
	for (int i = 0; i < 253; i++)
		fds[i] = nul;
	for (int round = 0; round < 40; round++) {
		int s = raw_connect();

		send_raw(s, buf, (size_t)len, fds, 253);
		send_raw(dev, buf, (size_t)len, fds, 253);
		close(s);
	}
	close(nul);
	close(dev);
	alive("fd floods");
}

/* 4. a client that never reads its answers */
static void deaf(void)
{
	struct lu_sim_msg m = { .type = LU_SIM_STATUS };
	uint8_t buf[LU_SIM_MSG_MAX];
	int len, s = lu_sim_connect(sock_path, LU_SIM_ROLE_CONTROL, true, NULL), sent = 0;

	m.u.status.index = LU_SIM_STATUS_DAEMON;
	encode(&m, buf, &len);
	for (int i = 0; i < 20000; i++) {
		if (send_raw(s, buf, (size_t)len, NULL, 0) < 0)
			break;
		sent++;
	}
	sleep_ms(200);
	alive("a client that never reads");
	close(s);
	printf("ok: %d unread requests sent before the door closed or the buffer filled\n", sent);
}

/* 5. too many clients */
static void crowd(void)
{
	struct lu_sim_info info;
	struct rlimit rl;
	int n, *s, refused = 0, emfile = 0;

	if (lu_sim_ping(sock_path, &info) < 0)
		return;
	n = (int)info.max_conns + 20;
	/* room for that many fds here */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	s = calloc((size_t)n, sizeof(int));
	for (int i = 0; i < n; i++) {
		s[i] = lu_sim_connect(sock_path, LU_SIM_ROLE_CONTROL, true, NULL);
		if (s[i] == -ENFILE)
			refused++;
		else if (s[i] == -EMFILE)
			emfile++;
		else if (s[i] < 0)
			FAIL("crowd: client %d: %s", i, strerror(-s[i]));
	}
	if (!refused && emfile)
		printf("skip: too many clients: this process cannot open %d fds (%d EMFILE)\n",
		       n, emfile);
	else if (!refused)
		FAIL("crowd: %d clients and none refused (limit %u)", n, info.max_conns);
	else
		printf("ok: %d of %d clients refused with ENFILE (limit %u)\n", refused, n,
		       info.max_conns);
	for (int i = 0; i < n; i++)
		if (s[i] >= 0)
			close(s[i]);
	free(s);
	sleep_ms(100);
	alive("too many clients");
}

/* 6. clients that die mid-request, holding sessions and preserved files */
static void dying(void)
{
	for (int round = 0; round < 20; round++) {
		pid_t pid = fork();

		if (pid == 0) {
			char name[32];
			int dev = lu_sim_connect(sock_path, LU_SIM_ROLE_DEVICE, true, NULL);
			struct liveupdate_ioctl_create_session r = { .size = sizeof(r) };

			if (dev < 0)
				_exit(1);
			snprintf(name, sizeof(name), "dying-%d", round);
			memcpy(r.name, name, strlen(name) + 1);
			if (lu_sim_ioctl(sock_path, dev, LIVEUPDATE_IOCTL_CREATE_SESSION, &r, false) == 0) {
				int mfd = memfd_create("dying", MFD_CLOEXEC);
				struct liveupdate_session_preserve_fd f = { .size = sizeof(f), .fd = mfd, .token = 1 };

				if (ftruncate(mfd, 1 << 20) < 0)
					_exit(1);
				lu_sim_ioctl(sock_path, r.fd, LIVEUPDATE_SESSION_PRESERVE_FD, &f, false);
			}
			for (;;) { /* ask forever until killed */
				struct liveupdate_session_get_name g = { .size = sizeof(g) };

				lu_sim_ioctl(sock_path, r.fd, LIVEUPDATE_SESSION_GET_NAME, &g, false);
			}
		}
		sleep_ms(5 + (int)(rnd() % 20));
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	alive("clients killed mid-request");
}

/* 7. random requests on real device and session connections */
static void random_requests(void)
{
	int dev = lu_sim_connect(sock_path, LU_SIM_ROLE_DEVICE, true, NULL);
	uint64_t cookie[2];
	int sess = lu_sim_connect(sock_path, LU_SIM_ROLE_SESSION, true, cookie);
	int mfd = memfd_create("random", MFD_CLOEXEC);

	if (dev < 0 || sess < 0 || mfd < 0) {
		FAIL("random: setup");
		return;
	}
	for (int i = 0; i < 3000; i++) {
		struct lu_sim_msg m = { .type = LU_SIM_IOCTL };
		int target = i % 2 ? dev : sess, rc[2], fds[2], nfds = 1;
		unsigned nr;
		uint8_t raw[LU_SIM_MSG_MAX];
		int len;

		nr = (unsigned)(rnd() % 3 == 0 ? rnd() : (i % 2 ? rnd() % 2 : 0x40 + rnd() % 4));
		m.u.ioctl.cmd = rnd() % 4 ? (uint32_t)_IO(LIVEUPDATE_IOCTL_TYPE, nr & 0xff) : (uint32_t)rnd();
		m.u.ioctl.user_size = rnd() % 3 ? lu_sim_ioctl_known_size(nr & 0xff) : (uint32_t)rnd();
		m.u.ioctl.flags = rnd() % 4 ? 0 : (uint32_t)(rnd() & LU_SIM_IOF_ALL);
		m.u.ioctl.fd_errno = rnd() % 8 ? 0 : (int32_t)(rnd() % 200);
		m.u.ioctl.cookie[0] = rnd() % 2 ? cookie[0] : rnd();
		m.u.ioctl.cookie[1] = cookie[1];
		for (unsigned k = 0; k < lu_sim_ioctl_known_size(m.u.ioctl.cmd & 0xff); k++)
			m.u.ioctl.arg[k] = rnd() % 3 ? 0 : (uint8_t)rnd();
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, rc) < 0)
			break;
		fds[0] = rc[1];
		if (rnd() % 3 == 0)
			fds[nfds++] = mfd;
		len = lu_sim_encode(&m, raw, sizeof(raw));
		if (len < 0) { /* a combination that does not decode: send it raw */
			memset(raw, 0, sizeof(raw));
			len = 16 + 104;
		}
		send_raw(target, raw, (size_t)len, fds, nfds);
		close(rc[1]);
		answered(rc[0]);
		close(rc[0]);
		if (i % 500 == 499) {
			/* fresh connections now and then: the old ones may be sessions now */
			close(sess);
			sess = lu_sim_connect(sock_path, LU_SIM_ROLE_SESSION, true, cookie);
			if (sess < 0)
				break;
		}
	}
	close(mfd);
	close(sess);
	close(dev);
	alive("random requests");
}

/*
 * 9. STATUS by index, in any order, while sessions close: always the
 * sessions in creation order (the daemon walks its list from where the
 * last STATUS stopped, and must forget that place when a session goes).
 */
static void status_any_order(void)
{
	enum { N = 40 };
	int dev = lu_sim_connect(sock_path, LU_SIM_ROLE_DEVICE, true, NULL), fd[N], base;
	struct lu_sim_info info;
	int bad = 0;

	if (dev < 0 || lu_sim_ping(sock_path, &info) < 0) {
		FAIL("status: setup");
		return;
	}
	base = (int)(info.outgoing + info.incoming);
	for (int k = 0; k < N; k++) {
		struct liveupdate_ioctl_create_session req = { .size = sizeof(req) };

		snprintf((char *)req.name, sizeof(req.name), "status-%02d", k);
		fd[k] = lu_sim_ioctl(sock_path, dev, LIVEUPDATE_IOCTL_CREATE_SESSION, &req, false) < 0
			? -1 : req.fd;
		if (fd[k] < 0)
			bad++;
	}
	for (int round = 0; round < 400 && !bad; round++) {
		struct lu_sim_msg m = { .type = LU_SIM_STATUS }, r;
		int idx = (int)(rnd() % (N + 2)), rank = idx, k;
		char want[LU_SIM_NAME_LEN];

		if (rnd() % 8 == 0) {
			k = (int)(rnd() % N);
			if (fd[k] >= 0)
				close(fd[k]);
			fd[k] = -1;
		}
		/* the idx-th open one of ours, after the ones already there */
		for (k = 0; k < N && (fd[k] < 0 || rank-- > 0); k++)
			;
		snprintf(want, sizeof(want), "status-%02d", k);
		m.u.status.index = (uint32_t)(base + idx);
		if (lu_sim_call(sock_path, &m, &r) < 0)
			bad++;
		else if (k < N && (r.type != LU_SIM_SESSION_INFO ||
				   strcmp(r.u.session_info.name, want) != 0))
			bad++;
		else if (k == N && (r.type != LU_SIM_REPLY || r.u.reply.err != ENOENT))
			bad++;
		if (bad)
			FAIL("status: index %d after %d round(s): not \"%s\"", idx, round,
			     k < N ? want : "ENOENT");
	}
	for (int k = 0; k < N; k++)
		if (fd[k] >= 0)
			close(fd[k]);
	close(dev);
	if (!bad)
		printf("ok: STATUS in random order matched the creation order\n");
	alive("status in random order");
}

/* 8. a client of another user is refused (root only: needs setuid) */
static void other_user(const char *dir)
{
	pid_t pid;
	int st;

	if (geteuid() != 0) {
		printf("skip: other-user refusal needs root\n");
		return;
	}
	/* open the private directory for this one test only */
	chmod(dir, 0711);
	chmod(sock_path, 0666);
	pid = fork();
	if (pid == 0) {
		if (setgid(65534) < 0 || setuid(65534) < 0)
			_exit(2);
		_exit(lu_sim_connect(sock_path, LU_SIM_ROLE_CONTROL, true, NULL) >= 0 ? 1 : 0);
	}
	waitpid(pid, &st, 0);
	chmod(sock_path, 0600);
	chmod(dir, 0700);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		FAIL("a client of uid 65534 was not refused (status %d)", st);
	else
		printf("ok: a client of uid 65534 refused\n");
	alive("another user's client");
}

int main(int argc, char **argv)
{
	char dir[LU_SIM_PATH_MAX], *slash;
	int fds0, fds1;
	long rss0, rss1;

	signal(SIGPIPE, SIG_IGN);
	sock_path = getenv(LU_SIM_ENV_SOCKET);
	if (!sock_path) {
		fprintf(stderr, "hostile: set %s\n", LU_SIM_ENV_SOCKET);
		return 99;
	}
	daemon_pid = lu_sim_ping(sock_path, NULL);
	if (daemon_pid <= 0) {
		fprintf(stderr, "hostile: no daemon at %s\n", sock_path);
		return 99;
	}
	if (argc > 1)
		rng = strtoull(argv[1], NULL, 0) | 1;
	snprintf(dir, sizeof(dir), "%s", sock_path);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	fds0 = settle_fds(-1);
	rss0 = rss_kb(daemon_pid);
	printf("daemon pid %d: %d fds, %ld kB at the start\n", daemon_pid, fds0, rss0);

	garbage();
	malformed();
	peeks();
	fd_abuse();
	deaf();
	crowd();
	dying();
	random_requests();
	status_any_order();
	other_user(dir);

	fds1 = settle_fds(fds0);
	rss1 = rss_kb(daemon_pid);
	printf("daemon: %d fds, %ld kB at the end\n", fds1, rss1);
	if (fds1 != fds0)
		FAIL("the daemon holds %d fds, %d at the start: a leak", fds1, fds0);
	if (rss0 > 0 && rss1 > rss0 + 16 * 1024)
		FAIL("the daemon grew from %ld kB to %ld kB", rss0, rss1);
	printf("hostile: the daemon survived everything\n");
	return 0;
}
