/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * /dev/liveupdate conformance cases: see conformance.h. The expected
 * answers come from the kernel's source (Linux 7.3: kernel/liveupdate/
 * luo_core.c, luo_session.c, luo_file.c, mm/memfd_luo.c, mm/shmem.c,
 * fs/ioctl.c), in the order the kernel makes its checks.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conformance.h"
#include "../errname.h"


#ifndef MFD_HUGETLB
#define MFD_HUGETLB 0x0004U
#endif
#ifndef F_SEAL_SEAL
#define F_SEAL_SEAL 0x0001
#define F_SEAL_SHRINK 0x0002
#define F_SEAL_GROW 0x0004
#endif
#ifndef FALLOC_FL_KEEP_SIZE
#define FALLOC_FL_KEEP_SIZE 0x01
#define FALLOC_FL_PUNCH_HOLE 0x02
#endif

#define SIZE_A (64u * 1024)     /* the main memfd */
#define POS_A 1234              /* its file position at the kexec */
#define LATE_OFF 8192           /* a page written after PRESERVE_FD */
#define SIZE_C 8192             /* the sealed memfd */

struct conf {
	const struct lu_conf_env *env;
	const char *device;
	int stage;
	int pass, fail, skip;
};

/* ------------------------------------------------------------ reporting */

static void say(struct conf *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct conf *c, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	c->env->print(c->env->data, line);
}

static void result(struct conf *c, bool ok, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void result(struct conf *c, bool ok, const char *name, const char *fmt, ...)
{
	char detail[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	say(c, "CONF %s s%d %s: %s", ok ? "PASS" : "FAIL", c->stage, name, detail);
	if (ok)
		c->pass++;
	else
		c->fail++;
}

static void skip(struct conf *c, const char *name, const char *why)
{
	say(c, "CONF SKIP s%d %s: %s", c->stage, name, why);
	c->skip++;
}

/* rc < 0 with errno == want */
static bool expect_err(struct conf *c, const char *name, long rc, int err, int want)
{
	bool ok = rc < 0 && err == want;

	if (ok)
		result(c, true, name, "%s", errname(want));
	else if (rc < 0)
		result(c, false, name, "expected %s, got %s", errname(want), errname(err));
	else
		result(c, false, name, "expected %s, got success (%ld)", errname(want), rc);
	return ok;
}

static bool expect_ok(struct conf *c, const char *name, long rc, int err)
{
	if (rc >= 0)
		result(c, true, name, "ok");
	else
		result(c, false, name, "expected success, got %s", errname(err));
	return rc >= 0;
}

#define EXPECT_ERR(c, name, expr, want) ({ errno = 0; long r_ = (long)(expr); \
	expect_err(c, name, r_, errno, want); })
#define EXPECT_OK(c, name, expr) ({ errno = 0; long r_ = (long)(expr); \
	expect_ok(c, name, r_, errno); })
#define CHECK(c, name, cond, ...) result(c, (cond), name, __VA_ARGS__)

/* --------------------------------------------------------- raw requests */

/* Each returns a new fd / 0, or -1 with errno, as the syscall does. */
static int lc_session(int dev, unsigned long cmd, const char *name)
{
	struct liveupdate_ioctl_create_session r;

	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	snprintf((char *)r.name, sizeof(r.name), "%s", name);
	if (ioctl(dev, cmd, &r) < 0)
		return -1;
	return r.fd;
}

static int lc_create(int dev, const char *name)
{
	return lc_session(dev, LIVEUPDATE_IOCTL_CREATE_SESSION, name);
}

static int lc_retrieve(int dev, const char *name)
{
	return lc_session(dev, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, name);
}

static int lc_preserve(int s, int fd, uint64_t token)
{
	struct liveupdate_session_preserve_fd r = { .size = sizeof(r), .fd = fd, .token = token };

	return ioctl(s, LIVEUPDATE_SESSION_PRESERVE_FD, &r);
}

static int lc_retrieve_fd(int s, uint64_t token)
{
	struct liveupdate_session_preserve_fd r = { .size = sizeof(r), .fd = -1, .token = token };

	if (ioctl(s, LIVEUPDATE_SESSION_RETRIEVE_FD, &r) < 0)
		return -1;
	return r.fd;
}

static int lc_finish(int s)
{
	struct liveupdate_session_finish r = { .size = sizeof(r), .reserved = 0 };

	return ioctl(s, LIVEUPDATE_SESSION_FINISH, &r);
}

static int lc_get_name(int s, char *out)
{
	struct liveupdate_session_get_name r;

	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	if (ioctl(s, LIVEUPDATE_SESSION_GET_NAME, &r) < 0)
		return -1;
	memcpy(out, r.name, LIVEUPDATE_SESSION_NAME_LENGTH);
	out[LIVEUPDATE_SESSION_NAME_LENGTH - 1] = '\0';
	return 0;
}

/* An oversized request: the struct, then tail bytes (one non-zero at `bad`). */
static long ioctl_tail(int fd, unsigned long cmd, const void *req, size_t known,
		       size_t total, long bad)
{
	unsigned char *buf = calloc(1, total);
	uint32_t size = (uint32_t)total;
	long ret;
	int err;

	if (!buf)
		return -1;
	memcpy(buf, req, known);
	memcpy(buf, &size, sizeof(size));
	if (bad >= 0)
		buf[bad] = 0x5a;
	ret = ioctl(fd, cmd, buf);
	err = errno;
	if (ret == 0 && (cmd == LIVEUPDATE_IOCTL_CREATE_SESSION || cmd == LIVEUPDATE_IOCTL_RETRIEVE_SESSION)) {
		int32_t sfd;

		memcpy(&sfd, buf + 4, sizeof(sfd));
		ret = sfd; /* the new session fd, for the caller to close */
	}
	free(buf);
	errno = err;
	return ret;
}

/* ------------------------------------------------------------- helpers */

static void fill(void *buf, size_t len, uint64_t seed)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;
	unsigned char *p = buf;

	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (unsigned char)x;
	}
}

static int new_memfd(const char *name, size_t size, uint64_t seed, unsigned flags)
{
	int fd = memfd_create(name, MFD_CLOEXEC | flags);
	void *p;

	if (fd < 0)
		return -1;
	if (size && ftruncate(fd, (off_t)size) < 0) {
		close(fd);
		return -1;
	}
	if (size && seed) {
		p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED) {
			close(fd);
			return -1;
		}
		fill(p, size, seed);
		munmap(p, size);
	}
	return fd;
}

/* Whether [off, off+len) of fd holds fill(seed) from its own start. */
static bool same_as(int fd, size_t off, size_t len, uint64_t seed)
{
	unsigned char *want = malloc(len), *got = malloc(len);
	bool ok = false;
	ssize_t n;

	if (want && got) {
		fill(want, len, seed);
		n = pread(fd, got, len, (off_t)off);
		ok = n == (ssize_t)len && memcmp(want, got, len) == 0;
	}
	free(want);
	free(got);
	return ok;
}

static off_t fsize(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 ? st.st_size : -1;
}

static bool cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFD);

	return fl >= 0 && (fl & FD_CLOEXEC);
}

/*
 * Run an ioctl in a child whose fd table is full: the kernel reserves the
 * new fd before anything else, so a valid request fails with EMFILE.
 * Returns the child's errno (0 if the call succeeded, -1 on trouble).
 */
static int emfile_child(int fd, unsigned long cmd, void *req)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		struct rlimit rl;

		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur > 512) {
			rl.rlim_cur = 512;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
		while (fcntl(fd, F_DUPFD, 0) >= 0)
			;
		if (errno != EMFILE)
			_exit(254);
		if (ioctl(fd, cmd, req) == 0)
			_exit(0);
		_exit(errno > 0 && errno < 250 ? errno : 253);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) < 250 ? WEXITSTATUS(st) : -1;
}

static void keep(struct conf *c, int fd)
{
	c->env->keep_fd(c->env->data, fd);
}

/* ------------------------------------------------------------- stage 1 */

static void stage1_device(struct conf *c, int dev)
{
	struct liveupdate_ioctl_create_session r;
	long ret;
	int fd;

	/* luo_open(): one open file at a time */
	EXPECT_ERR(c, "open-exclusive", open(c->device, O_RDWR | O_CLOEXEC), EBUSY);

	/* framing: size below the struct (EINVAL), then luo_ioctl()'s table */
	memset(&r, 0, sizeof(r));
	snprintf((char *)r.name, sizeof(r.name), "conf-frame");
	r.size = 0;
	EXPECT_ERR(c, "dev-size-0", ioctl(dev, LIVEUPDATE_IOCTL_CREATE_SESSION, &r), EINVAL);
	r.size = 4;
	EXPECT_ERR(c, "dev-size-4", ioctl(dev, LIVEUPDATE_IOCTL_CREATE_SESSION, &r), EINVAL);
	r.size = sizeof(r) - 1;
	EXPECT_ERR(c, "dev-size-71", ioctl(dev, LIVEUPDATE_IOCTL_CREATE_SESSION, &r), EINVAL);
	r.size = sizeof(r) - 1;
	EXPECT_ERR(c, "dev-retrieve-size-71", ioctl(dev, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, &r), EINVAL);
	EXPECT_ERR(c, "dev-tail-nonzero",
		   ioctl_tail(dev, LIVEUPDATE_IOCTL_CREATE_SESSION, &r, sizeof(r), 80, 75), E2BIG);
	/* nothing was created by the refused request */
	fd = lc_create(dev, "conf-frame");
	EXPECT_OK(c, "dev-tail-nonzero-no-session", fd);
	if (fd >= 0)
		close(fd);
	ret = ioctl_tail(dev, LIVEUPDATE_IOCTL_CREATE_SESSION, &r, sizeof(r), 80, -1);
	EXPECT_OK(c, "dev-tail-zero", ret);
	if (ret >= 0)
		close((int)ret);
	ret = ioctl_tail(dev, LIVEUPDATE_IOCTL_CREATE_SESSION, &r, sizeof(r), 3 * 4096 + 100, -1);
	EXPECT_OK(c, "dev-tail-zero-pages", ret);
	if (ret >= 0)
		close((int)ret);
	ret = ioctl_tail(dev, LIVEUPDATE_IOCTL_CREATE_SESSION, &r, sizeof(r), 3 * 4096 + 100, 3 * 4096 + 99);
	expect_err(c, "dev-tail-nonzero-far", ret, errno, E2BIG);
	if (ret >= 0)
		close((int)ret);

	/* bad pointers: the size is read (EFAULT) after the table lookup */
	EXPECT_ERR(c, "dev-null-arg", ioctl(dev, LIVEUPDATE_IOCTL_CREATE_SESSION, NULL), EFAULT);
	EXPECT_ERR(c, "dev-null-arg-out-of-table", ioctl(dev, _IO(LIVEUPDATE_IOCTL_TYPE, 0x02), NULL),
		   EINVAL);
	{
		/* a struct at the end of a page, its tail in the next, unmapped one */
		long pg = sysconf(_SC_PAGESIZE);
		unsigned char *p = mmap(NULL, (size_t)pg * 2, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED) {
			skip(c, "dev-tail-efault", "mmap failed");
		} else {
			struct liveupdate_ioctl_create_session *at = (void *)(p + pg - sizeof(r));

			munmap(p + pg, (size_t)pg);
			memcpy(at, &r, sizeof(r));
			at->size = sizeof(r) + 200;
			EXPECT_ERR(c, "dev-tail-efault", ioctl(dev, LIVEUPDATE_IOCTL_CREATE_SESSION, at), EFAULT);
			/* read-only: read fine, the answer cannot be written back */
			at->size = sizeof(r);
			snprintf((char *)at->name, sizeof(at->name), "conf-rofault");
			mprotect(p, (size_t)pg, PROT_READ);
			EXPECT_ERR(c, "dev-copyout-efault", ioctl(dev, LIVEUPDATE_IOCTL_CREATE_SESSION, at),
				   EFAULT);
			munmap(p, (size_t)pg);
			/* the session whose fd could not be returned was released */
			fd = lc_create(dev, "conf-rofault");
			EXPECT_OK(c, "dev-copyout-efault-released", fd);
			if (fd >= 0)
				close(fd);
		}
	}

	/* unknown commands: EINVAL out of the table, ENOTTY for a near miss */
	r.size = sizeof(r);
	EXPECT_ERR(c, "dev-nr-2", ioctl(dev, _IO(LIVEUPDATE_IOCTL_TYPE, 0x02), &r), EINVAL);
	EXPECT_ERR(c, "dev-nr-session-cmd", ioctl(dev, LIVEUPDATE_SESSION_PRESERVE_FD, &r), EINVAL);
	EXPECT_ERR(c, "dev-nr-ff", ioctl(dev, _IO(LIVEUPDATE_IOCTL_TYPE, 0xff), &r), EINVAL);
	EXPECT_ERR(c, "dev-cmd-dir-bits",
		   ioctl(dev, _IOWR(LIVEUPDATE_IOCTL_TYPE, 0x00, struct liveupdate_ioctl_create_session), &r), ENOTTY);
	EXPECT_ERR(c, "dev-cmd-other-type", ioctl(dev, _IO('X', 0x01), &r), ENOTTY);
	EXPECT_ERR(c, "dev-fionread", ioctl(dev, FIONREAD, &r), EINVAL);

	/* names: luo_session_create() checks them, retrieve only looks up */
	EXPECT_ERR(c, "create-empty-name", lc_create(dev, ""), EINVAL);
	memset(&r, 'a', sizeof(r));
	r.size = sizeof(r);
	r.fd = 0;
	EXPECT_ERR(c, "create-unterminated-name", ioctl(dev, LIVEUPDATE_IOCTL_CREATE_SESSION, &r), EINVAL);
	EXPECT_ERR(c, "retrieve-unterminated-name", ioctl(dev, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, &r), ENOENT);
	EXPECT_ERR(c, "retrieve-empty-name", lc_retrieve(dev, ""), ENOENT);
	EXPECT_ERR(c, "retrieve-cold-boot", lc_retrieve(dev, "conf-main"), ENOENT);
	{
		char n63[64];

		memset(n63, 'n', 63);
		n63[63] = '\0';
		fd = lc_create(dev, n63);
		if (EXPECT_OK(c, "create-63-bytes", fd)) {
			char got[LIVEUPDATE_SESSION_NAME_LENGTH];

			CHECK(c, "get-name-63-bytes", lc_get_name(fd, got) == 0 &&
			      strcmp(got, n63) == 0, "the full name comes back");
			close(fd);
		}
	}

	/* EMFILE: the new fd is reserved first */
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	snprintf((char *)r.name, sizeof(r.name), "conf-emfile");
	ret = emfile_child(dev, LIVEUPDATE_IOCTL_CREATE_SESSION, &r);
	if (ret < 0)
		skip(c, "create-emfile", "could not fill the fd table in a child");
	else
		CHECK(c, "create-emfile", ret == EMFILE, "expected EMFILE, got %s",
		      errname((int)ret));
}

static void stage1_session_framing(struct conf *c, int s)
{
	struct liveupdate_session_preserve_fd f = { .size = sizeof(f), .fd = -1, .token = 0 };
	struct liveupdate_session_get_name g;
	struct liveupdate_session_finish fin = { .size = sizeof(fin) };
	unsigned char raw[LIVEUPDATE_SESSION_NAME_LENGTH];

	EXPECT_ERR(c, "sess-nr-44", ioctl(s, _IO(LIVEUPDATE_IOCTL_TYPE, 0x44), &f), EINVAL);
	EXPECT_ERR(c, "sess-nr-3f", ioctl(s, _IO(LIVEUPDATE_IOCTL_TYPE, 0x3f), &f), EINVAL);
	EXPECT_ERR(c, "sess-nr-device-cmd", ioctl(s, LIVEUPDATE_IOCTL_CREATE_SESSION, &f), EINVAL);
	EXPECT_ERR(c, "sess-cmd-dir-bits",
		   ioctl(s, _IOW(LIVEUPDATE_IOCTL_TYPE, 0x40, struct liveupdate_session_preserve_fd), &f), ENOTTY);
	EXPECT_ERR(c, "sess-cmd-other-type", ioctl(s, _IO('X', 0x43), &f), ENOTTY);
	EXPECT_ERR(c, "sess-null-arg", ioctl(s, LIVEUPDATE_SESSION_GET_NAME, NULL), EFAULT);
	EXPECT_ERR(c, "sess-null-arg-wrong-direction", ioctl(s, LIVEUPDATE_SESSION_RETRIEVE_FD, NULL), EFAULT);
	/* direction before size: luo_ioctl_type_valid() comes first */
	EXPECT_ERR(c, "out-retrieve-fd", lc_retrieve_fd(s, 1), EINVAL);
	EXPECT_ERR(c, "out-finish", lc_finish(s), EINVAL);
	f.size = 0;
	EXPECT_ERR(c, "out-retrieve-fd-size-0", ioctl(s, LIVEUPDATE_SESSION_RETRIEVE_FD, &f), EINVAL);
	f.size = sizeof(f);
	EXPECT_ERR(c, "out-retrieve-fd-tail-direction-first",
		   ioctl_tail(s, LIVEUPDATE_SESSION_RETRIEVE_FD, &f, sizeof(f), 24, 20), EINVAL);
	fin.size = 4;
	EXPECT_ERR(c, "out-finish-size-4", ioctl(s, LIVEUPDATE_SESSION_FINISH, &fin), EINVAL);
	/* PRESERVE_FD framing */
	f.size = 12;
	f.fd = -1;
	EXPECT_ERR(c, "preserve-size-12", ioctl(s, LIVEUPDATE_SESSION_PRESERVE_FD, &f), EINVAL);
	f.size = sizeof(f);
	EXPECT_ERR(c, "preserve-tail-nonzero",
		   ioctl_tail(s, LIVEUPDATE_SESSION_PRESERVE_FD, &f, sizeof(f), 24, 16), E2BIG);
	/* GET_NAME */
	memset(&g, 0, sizeof(g));
	g.size = sizeof(g);
	memset(g.name, 0xaa, sizeof(g.name));
	if (EXPECT_OK(c, "get-name", ioctl(s, LIVEUPDATE_SESSION_GET_NAME, &g))) {
		size_t n = strlen("conf-main");

		CHECK(c, "get-name-value", memcmp(g.name, "conf-main", n + 1) == 0,
		      "\"%.*s\"", (int)n, (char *)g.name);
		/*
		 * strscpy() copies a word at a time: zeros after the NUL to the
		 * end of that word, the caller's bytes after it.
		 */
		size_t w = (n + 1 + sizeof(long) - 1) / sizeof(long) * sizeof(long);

		memset(raw, 0, sizeof(raw));
		CHECK(c, "get-name-zero-to-word-end", memcmp(g.name + n + 1, raw, w - n - 1) == 0,
		      "bytes %zu..%zu zero", n + 1, w - 1);
		memset(raw, 0xaa, sizeof(raw));
		CHECK(c, "get-name-keeps-tail", memcmp(g.name + w, raw, sizeof(raw) - w) == 0,
		      "bytes %zu..63 untouched", w);
	}
	g.reserved = 1;
	EXPECT_ERR(c, "get-name-reserved", ioctl(s, LIVEUPDATE_SESSION_GET_NAME, &g), EINVAL);
	g.reserved = 0;
	g.size = 8;
	EXPECT_ERR(c, "get-name-size-8", ioctl(s, LIVEUPDATE_SESSION_GET_NAME, &g), EINVAL);
	g.size = sizeof(g);
	EXPECT_ERR(c, "get-name-tail-nonzero",
		   ioctl_tail(s, LIVEUPDATE_SESSION_GET_NAME, &g, sizeof(g), 80, 79), E2BIG);
}

static void stage1_frozen(struct conf *c, int a)
{
	char buf[4096];
	unsigned char *p;
	int ret;

	EXPECT_ERR(c, "frozen-ftruncate-grow", ftruncate(a, SIZE_A * 2), EPERM);
	EXPECT_ERR(c, "frozen-ftruncate-shrink", ftruncate(a, SIZE_A / 2), EPERM);
	EXPECT_OK(c, "frozen-ftruncate-same-size", ftruncate(a, SIZE_A));
	EXPECT_ERR(c, "frozen-fallocate", fallocate(a, 0, 0, 4096), EPERM);
	EXPECT_ERR(c, "frozen-fallocate-grow", fallocate(a, 0, 0, SIZE_A * 2), EPERM);
	EXPECT_ERR(c, "frozen-fallocate-keep-size", fallocate(a, FALLOC_FL_KEEP_SIZE, 0, 4096),
		   EPERM);
	EXPECT_ERR(c, "frozen-fallocate-punch-hole",
		   fallocate(a, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4096), EPERM);
	EXPECT_ERR(c, "fallocate-punch-without-keep-size",
		   fallocate(a, FALLOC_FL_PUNCH_HOLE, 0, 4096), EOPNOTSUPP);
	ret = posix_fallocate(a, 0, SIZE_A * 2);
	CHECK(c, "frozen-posix-fallocate", ret == EPERM, "expected EPERM, got %s", errname(ret));
	memset(buf, 0x77, sizeof(buf));
	EXPECT_ERR(c, "frozen-pwrite-at-eof", pwrite(a, buf, 10, SIZE_A), EPERM);
	EXPECT_ERR(c, "frozen-pwrite-past-eof", pwrite(a, buf, 10, SIZE_A * 4), EPERM);
	lseek(a, 0, SEEK_END);
	EXPECT_ERR(c, "frozen-write-at-eof", write(a, buf, 1), EPERM);
	lseek(a, POS_A, SEEK_SET);
	/* in place: allowed, and carried over */
	fill(buf, sizeof(buf), 2);
	ret = (int)pwrite(a, buf, sizeof(buf), LATE_OFF);
	CHECK(c, "frozen-pwrite-in-place", ret == (int)sizeof(buf), "pwrite returned %d (%s)",
	      ret, errname(ret < 0 ? errno : 0));
	p = mmap(NULL, SIZE_A, PROT_READ | PROT_WRITE, MAP_SHARED, a, 0);
	if (p == MAP_FAILED) {
		result(c, false, "frozen-mmap-write", "mmap: %s", errname(errno));
	} else {
		p[SIZE_A - 1] = 0xee;
		munmap(p, SIZE_A);
		result(c, true, "frozen-mmap-write", "ok");
	}
	CHECK(c, "frozen-size-unchanged", fsize(a) == SIZE_A, "size %lld", (long long)fsize(a));
	CHECK(c, "frozen-seals-hidden", fcntl(a, F_GET_SEALS) == F_SEAL_SEAL,
	      "F_GET_SEALS %d (a memfd without MFD_ALLOW_SEALING has F_SEAL_SEAL only)",
	      fcntl(a, F_GET_SEALS));
}

static int stage1(struct conf *c)
{
	int dev, s, other, dupd, empty, two, impl, aborted, closed;
	int a, b, cfd, dz, e, f, g, h, i, j, k, x;
	char path[64];
	pid_t pid;

	dev = open(c->device, O_RDWR | O_CLOEXEC);
	if (dev < 0) {
		say(c, "CONF FAIL s1 open-device: %s: %s", c->device, errname(errno));
		return -1;
	}
	result(c, true, "open-device", "ok");
	stage1_device(c, dev);

	{
		int lowest = dup(dev);

		close(lowest);
		s = lc_create(dev, "conf-main");
		if (!EXPECT_OK(c, "create", s)) {
			close(dev);
			return -1;
		}
		CHECK(c, "create-lowest-free-fd", s == lowest, "fd %d, lowest free %d", s, lowest);
	}
	CHECK(c, "session-fd-cloexec", cloexec(s), "FD_CLOEXEC set");
	EXPECT_ERR(c, "create-duplicate-name", lc_create(dev, "conf-main"), EEXIST);
	stage1_session_framing(c, s);

	/* the main memfd: pattern 1, position POS_A */
	a = new_memfd("conf-a", SIZE_A, 1, 0);
	b = new_memfd("conf-b", 4096, 9, 0);
	x = new_memfd("conf-x", 4096, 9, 0);
	if (a < 0 || b < 0 || x < 0) {
		say(c, "CONF FAIL s1 memfd_create: %s", errname(errno));
		return -1;
	}
	lseek(a, POS_A, SEEK_SET);
	{
		struct liveupdate_session_preserve_fd f2 = { .size = sizeof(f2), .fd = x, .token = 20 };

		/* refused with E2BIG: not preserved, so it can be preserved now */
		ioctl_tail(s, LIVEUPDATE_SESSION_PRESERVE_FD, &f2, sizeof(f2), 32, 31);
		EXPECT_OK(c, "preserve-after-e2big", lc_preserve(s, x, 20));
	}
	EXPECT_OK(c, "preserve", lc_preserve(s, a, 1));
	/* luo_preserve_file(): token, then fd, then handler, then busy */
	EXPECT_ERR(c, "preserve-token-used", lc_preserve(s, b, 1), EEXIST);
	EXPECT_ERR(c, "preserve-token-before-badf", lc_preserve(s, -1, 1), EEXIST);
	EXPECT_ERR(c, "preserve-same-file", lc_preserve(s, a, 2), EBUSY);
	{
		int d2 = dup(a);

		EXPECT_ERR(c, "preserve-dup-of-file", lc_preserve(s, d2, 3), EBUSY);
		close(d2);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", a);
		d2 = open(path, O_RDWR | O_CLOEXEC);
		if (d2 < 0) {
			skip(c, "preserve-same-inode-reopened", "cannot reopen through /proc");
		} else {
			EXPECT_ERR(c, "preserve-same-inode-reopened", lc_preserve(s, d2, 4), EBUSY);
			close(d2);
		}
		d2 = dup(b);
		close(d2);
		EXPECT_ERR(c, "preserve-closed-fd", lc_preserve(s, d2, 5), EBADF);
	}
	EXPECT_ERR(c, "preserve-fd-minus-1", lc_preserve(s, -1, 5), EBADF);
	{
		int null = open("/dev/null", O_RDWR | O_CLOEXEC), pfd[2];

		if (null < 0) {
			skip(c, "preserve-dev-null", "no /dev/null");
		} else {
			EXPECT_ERR(c, "preserve-dev-null", lc_preserve(s, null, 6), ENOENT);
			close(null);
		}
		EXPECT_ERR(c, "preserve-session-fd", lc_preserve(s, s, 6), ENOENT);
		EXPECT_ERR(c, "preserve-device-fd", lc_preserve(s, dev, 6), ENOENT);
		if (pipe2(pfd, O_CLOEXEC) == 0) {
			EXPECT_ERR(c, "preserve-pipe", lc_preserve(s, pfd[1], 6), ENOENT);
			close(pfd[0]);
			close(pfd[1]);
		}
		null = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
		if (null >= 0) {
			EXPECT_ERR(c, "preserve-linked-file", lc_preserve(s, null, 6), ENOENT);
			close(null);
		}
		null = memfd_create("conf-huge", MFD_CLOEXEC | MFD_HUGETLB);
		if (null < 0) {
			skip(c, "preserve-hugetlb", "no MFD_HUGETLB memfd here");
		} else {
			EXPECT_ERR(c, "preserve-hugetlb", lc_preserve(s, null, 6), ENOENT);
			close(null);
		}
	}
	/* sealed: the seals are carried, and the ones memfd_luo knows are all of them */
	cfd = new_memfd("conf-c", SIZE_C, 4, MFD_ALLOW_SEALING);
	if (cfd >= 0 && fcntl(cfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) == 0) {
		EXPECT_OK(c, "preserve-sealed", lc_preserve(s, cfd, 10));
		CHECK(c, "seals-unchanged-by-preserve",
		      fcntl(cfd, F_GET_SEALS) == (F_SEAL_SHRINK | F_SEAL_GROW), "F_GET_SEALS %d",
		      fcntl(cfd, F_GET_SEALS));
	} else {
		result(c, false, "preserve-sealed", "memfd/seals: %s", errname(errno));
	}
	dz = new_memfd("conf-zero", 0, 0, 0);
	EXPECT_OK(c, "preserve-zero-size-token-0", lc_preserve(s, dz, 0));
	stage1_frozen(c, a);

	/* another session: tokens are per session, files are not */
	other = lc_create(dev, "conf-other");
	e = new_memfd("conf-e", 4096, 3, 0);
	if (EXPECT_OK(c, "create-second-session", other)) {
		EXPECT_ERR(c, "preserve-busy-in-other-session", lc_preserve(other, a, 1), EBUSY);
		EXPECT_OK(c, "preserve-token-per-session", lc_preserve(other, e, 1));
	}

	/* closing an outgoing session aborts it: unfrozen, unbusy, name free */
	aborted = lc_create(dev, "conf-abort");
	f = new_memfd("conf-f", 4096, 5, 0);
	if (EXPECT_OK(c, "create-to-abort", aborted) &&
	    EXPECT_OK(c, "preserve-to-abort", lc_preserve(aborted, f, 1))) {
		EXPECT_ERR(c, "abort-frozen-before", ftruncate(f, 8192), EPERM);
		close(aborted);
		EXPECT_OK(c, "abort-unfreezes", ftruncate(f, 8192));
		aborted = lc_create(dev, "conf-abort");
		if (EXPECT_OK(c, "abort-frees-name", aborted)) {
			EXPECT_OK(c, "abort-frees-file", lc_preserve(aborted, f, 1));
			close(aborted);
		}
	}
	closed = lc_create(dev, "conf-closed");
	g = new_memfd("conf-g", 4096, 6, 0);
	if (EXPECT_OK(c, "create-closed-before-kexec", closed)) {
		lc_preserve(closed, g, 1);
		close(closed);
	}

	/* the last close counts: dup, fork */
	dupd = lc_create(dev, "conf-dup");
	h = new_memfd("conf-h", 4096, 7, 0);
	if (EXPECT_OK(c, "create-dup", dupd)) {
		int d2 = dup(dupd);
		char got[LIVEUPDATE_SESSION_NAME_LENGTH];

		lc_preserve(dupd, h, 7);
		close(dupd);
		dupd = d2;
		CHECK(c, "dup-keeps-session", lc_get_name(dupd, got) == 0 &&
		      strcmp(got, "conf-dup") == 0, "alive through its dup");
		EXPECT_ERR(c, "dup-keeps-name", lc_create(dev, "conf-dup"), EEXIST);
	}
	pid = fork();
	if (pid == 0) {
		close(s);
		_exit(0);
	}
	if (pid > 0) {
		char got[LIVEUPDATE_SESSION_NAME_LENGTH];

		waitpid(pid, NULL, 0);
		CHECK(c, "child-exit-keeps-session", lc_get_name(s, got) == 0,
		      "a child closing its copy and exiting does not release it");
	}

	empty = lc_create(dev, "conf-empty");
	EXPECT_OK(c, "create-empty-session", empty);
	two = lc_create(dev, "conf-two");
	i = new_memfd("conf-i", 4096, 11, 0);
	j = new_memfd("conf-j", 4096, 12, 0);
	if (EXPECT_OK(c, "create-two-files", two)) {
		lc_preserve(two, i, 1);
		lc_preserve(two, j, 2);
	}
	impl = lc_create(dev, "conf-implicit");
	k = new_memfd("conf-k", 4096, 13, 0);
	if (EXPECT_OK(c, "create-implicit-finish", impl))
		lc_preserve(impl, k, 1);

	/* the device's close touches no session */
	close(dev);
	dev = open(c->device, O_RDWR | O_CLOEXEC);
	if (EXPECT_OK(c, "reopen-device", dev)) {
		EXPECT_ERR(c, "device-close-keeps-sessions", lc_create(dev, "conf-main"), EEXIST);
		close(dev);
	}

	/* across the kexec: the session fds; our copies of the memfds go */
	keep(c, s);
	if (other >= 0)
		keep(c, other);
	if (dupd >= 0)
		keep(c, dupd);
	if (empty >= 0)
		keep(c, empty);
	if (two >= 0)
		keep(c, two);
	if (impl >= 0)
		keep(c, impl);
	int mem[] = { a, b, x, cfd, dz, e, f, g, h, i, j, k };
	for (size_t n = 0; n < sizeof(mem) / sizeof(mem[0]); n++)
		if (mem[n] >= 0)
			close(mem[n]);
	return 0;
}

/* ------------------------------------------------------------- stage 2 */

static void stage2_main(struct conf *c, int dev)
{
	struct liveupdate_ioctl_create_session r;
	struct liveupdate_session_preserve_fd f = { .size = sizeof(f), .fd = -1, .token = 1 };
	struct liveupdate_session_finish fin = { .size = sizeof(fin) };
	int s, a, a2, cfd, dz, nm, next;
	char got[LIVEUPDATE_SESSION_NAME_LENGTH];
	unsigned char last;
	long ret;

	memset(&r, 0, sizeof(r));
	r.size = sizeof(r) - 1;
	snprintf((char *)r.name, sizeof(r.name), "conf-main");
	EXPECT_ERR(c, "in-retrieve-size-71", ioctl(dev, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, &r), EINVAL);
	r.size = sizeof(r);
	EXPECT_ERR(c, "in-retrieve-tail-nonzero",
		   ioctl_tail(dev, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, &r, sizeof(r), 80, 72), E2BIG);
	s = lc_retrieve(dev, "conf-main");
	if (!EXPECT_OK(c, "retrieve-session", s))
		return;
	CHECK(c, "in-session-fd-cloexec", cloexec(s), "FD_CLOEXEC set");
	EXPECT_ERR(c, "retrieve-session-while-open", lc_retrieve(dev, "conf-main"), EINVAL);
	CHECK(c, "in-get-name", lc_get_name(s, got) == 0 && strcmp(got, "conf-main") == 0,
	      "\"%s\"", got);

	/* direction first */
	nm = new_memfd("conf-new", 4096, 21, 0);
	EXPECT_ERR(c, "in-preserve", lc_preserve(s, nm, 50), EINVAL);
	f.size = 0;
	EXPECT_ERR(c, "in-preserve-size-0", ioctl(s, LIVEUPDATE_SESSION_PRESERVE_FD, &f), EINVAL);
	f.size = sizeof(f);
	f.fd = nm;
	EXPECT_ERR(c, "in-preserve-tail-direction-first",
		   ioctl_tail(s, LIVEUPDATE_SESSION_PRESERVE_FD, &f, sizeof(f), 24, 20), EINVAL);
	f.size = 8;
	EXPECT_ERR(c, "in-retrieve-fd-size-8", ioctl(s, LIVEUPDATE_SESSION_RETRIEVE_FD, &f), EINVAL);
	f.size = sizeof(f);
	f.token = 1;
	EXPECT_ERR(c, "in-retrieve-fd-tail-nonzero",
		   ioctl_tail(s, LIVEUPDATE_SESSION_RETRIEVE_FD, &f, sizeof(f), 24, 23), E2BIG);
	EXPECT_ERR(c, "in-retrieve-fd-unknown-token", lc_retrieve_fd(s, 99), ENOENT);
	ret = emfile_child(s, LIVEUPDATE_SESSION_RETRIEVE_FD, &f);
	if (ret < 0)
		skip(c, "in-retrieve-fd-emfile", "could not fill the fd table in a child");
	else
		CHECK(c, "in-retrieve-fd-emfile", ret == EMFILE, "expected EMFILE, got %s",
		      errname((int)ret));

	{
		int lowest = dup(dev);

		close(lowest);
		a = lc_retrieve_fd(s, 1);
		CHECK(c, "retrieve-fd-lowest-free-fd", a == lowest, "fd %d, lowest free %d", a,
		      lowest);
	}
	if (EXPECT_OK(c, "retrieve-fd", a)) {
		int fl = fcntl(a, F_GETFL);

		CHECK(c, "in-fd-cloexec", cloexec(a), "FD_CLOEXEC set");
		CHECK(c, "in-fd-rdwr", fl >= 0 && (fl & O_ACCMODE) == O_RDWR, "flags 0%o", fl);
		CHECK(c, "in-size", fsize(a) == SIZE_A, "%lld bytes", (long long)fsize(a));
		CHECK(c, "in-position", lseek(a, 0, SEEK_CUR) == POS_A, "position %lld",
		      (long long)lseek(a, 0, SEEK_CUR));
		CHECK(c, "in-contents", same_as(a, 0, LATE_OFF, 1) &&
		      same_as(a, LATE_OFF, 4096, 2), "pattern, and the page written after preserving");
		CHECK(c, "in-mmap-write-carried", pread(a, &last, 1, SIZE_A - 1) == 1 && last == 0xee,
		      "the byte written through mmap after preserving");
		CHECK(c, "in-seals", fcntl(a, F_GET_SEALS) == F_SEAL_SEAL, "F_GET_SEALS %d",
		      fcntl(a, F_GET_SEALS));
		a2 = lc_retrieve_fd(s, 1);
		if (EXPECT_OK(c, "retrieve-fd-again", a2)) {
			struct stat s1, s2;

			fstat(a, &s1);
			fstat(a2, &s2);
			lseek(a2, 100, SEEK_SET);
			CHECK(c, "retrieve-fd-again-same-file", s1.st_ino == s2.st_ino &&
			      lseek(a, 0, SEEK_CUR) == 100, "one open file, one position");
			close(a2);
		}
		/* the new kernel's memfd is not frozen */
		EXPECT_OK(c, "in-not-frozen", ftruncate(a, SIZE_A + 4096));
		ftruncate(a, SIZE_A);
		/* retrieved, not finished: still LUO's */
		next = lc_create(dev, "conf-next");
		if (EXPECT_OK(c, "create-outgoing-after-kexec", next)) {
			EXPECT_ERR(c, "in-busy-before-finish", lc_preserve(next, a, 1), EBUSY);
			close(next);
		}
	}
	cfd = lc_retrieve_fd(s, 10);
	if (EXPECT_OK(c, "retrieve-sealed", cfd)) {
		CHECK(c, "in-sealed-seals", fcntl(cfd, F_GET_SEALS) == (F_SEAL_SHRINK | F_SEAL_GROW),
		      "F_GET_SEALS %d", fcntl(cfd, F_GET_SEALS));
		CHECK(c, "in-sealed-contents", fsize(cfd) == SIZE_C && same_as(cfd, 0, SIZE_C, 4),
		      "size and pattern");
		close(cfd);
	}
	dz = lc_retrieve_fd(s, 0);
	if (EXPECT_OK(c, "retrieve-zero-size-token-0", dz)) {
		CHECK(c, "in-zero-size", fsize(dz) == 0, "size %lld", (long long)fsize(dz));
		close(dz);
	}
	/* names: incoming and outgoing lists are separate */
	next = lc_create(dev, "conf-main");
	if (EXPECT_OK(c, "create-name-of-incoming", next))
		close(next);

	fin.reserved = 1;
	EXPECT_ERR(c, "finish-reserved", ioctl(s, LIVEUPDATE_SESSION_FINISH, &fin), EINVAL);
	fin.reserved = 0;
	fin.size = 4;
	EXPECT_ERR(c, "finish-size-4", ioctl(s, LIVEUPDATE_SESSION_FINISH, &fin), EINVAL);
	fin.size = sizeof(fin);
	EXPECT_ERR(c, "finish-tail-nonzero", ioctl_tail(s, LIVEUPDATE_SESSION_FINISH, &fin, sizeof(fin), 16, 12),
		   E2BIG);
	EXPECT_OK(c, "finish", lc_finish(s));
	EXPECT_OK(c, "finish-again", lc_finish(s));
	EXPECT_ERR(c, "after-finish-retrieve-fd", lc_retrieve_fd(s, 1), ENOENT);
	EXPECT_ERR(c, "after-finish-retrieve-fd-never-retrieved", lc_retrieve_fd(s, 20), ENOENT);
	CHECK(c, "after-finish-get-name", lc_get_name(s, got) == 0, "works");
	EXPECT_ERR(c, "after-finish-retrieve-session", lc_retrieve(dev, "conf-main"), EINVAL);
	if (a >= 0) {
		next = lc_create(dev, "conf-next");
		if (EXPECT_OK(c, "create-outgoing-after-finish", next)) {
			EXPECT_OK(c, "after-finish-preserve-again", lc_preserve(next, a, 1));
			close(next);
		}
		CHECK(c, "after-finish-contents", same_as(a, 0, LATE_OFF, 1), "still there");
		close(a);
	}
	close(s);
	EXPECT_ERR(c, "retrieve-session-after-close", lc_retrieve(dev, "conf-main"), ENOENT);
	if (nm >= 0)
		close(nm);
}

static int stage2(struct conf *c)
{
	int dev, s, fd, k;

	dev = open(c->device, O_RDWR | O_CLOEXEC);
	if (dev < 0) {
		say(c, "CONF FAIL s2 open-device: %s: %s", c->device, errname(errno));
		return -1;
	}
	result(c, true, "open-device", "ok");
	EXPECT_ERR(c, "open-exclusive", open(c->device, O_RDWR | O_CLOEXEC), EBUSY);
	EXPECT_ERR(c, "retrieve-closed-before-kexec", lc_retrieve(dev, "conf-closed"), ENOENT);
	EXPECT_ERR(c, "retrieve-aborted", lc_retrieve(dev, "conf-abort"), ENOENT);
	EXPECT_ERR(c, "retrieve-never-created", lc_retrieve(dev, "conf-nosuch"), ENOENT);
	stage2_main(c, dev);

	s = lc_retrieve(dev, "conf-other");
	if (EXPECT_OK(c, "retrieve-other", s)) {
		fd = lc_retrieve_fd(s, 1);
		CHECK(c, "in-other-contents", fd >= 0 && same_as(fd, 0, 4096, 3), "pattern 3");
		if (fd >= 0)
			close(fd);
		close(s);
	}
	s = lc_retrieve(dev, "conf-dup");
	if (EXPECT_OK(c, "retrieve-dup-carried", s)) {
		fd = lc_retrieve_fd(s, 7);
		CHECK(c, "in-dup-contents", fd >= 0 && same_as(fd, 0, 4096, 7), "pattern 7");
		if (fd >= 0)
			close(fd);
		close(s);
	}
	s = lc_retrieve(dev, "conf-empty");
	if (EXPECT_OK(c, "retrieve-empty", s)) {
		EXPECT_ERR(c, "empty-retrieve-fd", lc_retrieve_fd(s, 0), ENOENT);
		EXPECT_OK(c, "empty-finish", lc_finish(s));
		close(s);
	}
	s = lc_retrieve(dev, "conf-two");
	if (EXPECT_OK(c, "retrieve-two", s)) {
		fd = lc_retrieve_fd(s, 1);
		EXPECT_OK(c, "two-retrieve-first", fd);
		EXPECT_OK(c, "two-finish", lc_finish(s));
		EXPECT_ERR(c, "two-unretrieved-dropped", lc_retrieve_fd(s, 2), ENOENT);
		CHECK(c, "two-retrieved-kept", fd >= 0 && same_as(fd, 0, 4096, 11), "pattern 11");
		if (fd >= 0)
			close(fd);
		close(s);
	}
	s = lc_retrieve(dev, "conf-implicit");
	if (EXPECT_OK(c, "retrieve-implicit", s)) {
		k = lc_retrieve_fd(s, 1);
		EXPECT_OK(c, "implicit-retrieve-fd", k);
		close(s);
		EXPECT_ERR(c, "implicit-finish-on-close", lc_retrieve(dev, "conf-implicit"), ENOENT);
		CHECK(c, "implicit-file-kept", k >= 0 && same_as(k, 0, 4096, 13), "pattern 13");
		if (k >= 0)
			close(k);
	}
	close(dev);
	return 0;
}

int lu_conformance_stage(int stage, const char *device_path,
			 const struct lu_conf_env *env)
{
	struct conf c = { .env = env, .device = device_path, .stage = stage };
	int ret;

	if (stage == 1)
		ret = stage1(&c);
	else if (stage == 2)
		ret = stage2(&c);
	else
		ret = -1;
	say(&c, "CONF s%d: %d passed, %d failed, %d skipped", stage, c.pass, c.fail, c.skip);
	return ret < 0 ? -1 : c.fail;
}
