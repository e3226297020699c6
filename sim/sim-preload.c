/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * liveupdate-sim-preload.so: an LD_PRELOAD shim that runs unmodified
 * programs against liveupdate-sim(1) instead of the kernel's
 * /dev/liveupdate.
 *
 *   open("/dev/liveupdate")   a DEVICE connection to the daemon
 *   ioctl() on a connection   forwarded, the caller's memory read and
 *                             written the kernel's way (EFAULT, E2BIG, ...)
 *   reboot(KEXEC), syscall(SYS_reboot / SYS_kexec_file_load / SYS_kexec_load)
 *                             the simulated kexec
 *   ftruncate, fallocate, posix_fallocate, write, pwrite, writev, pwritev
 *                             EPERM on a memfd preserved in an outgoing
 *                             session when the size would change, as
 *                             mm/shmem.c does for a frozen mapping
 * close() needs nothing: a session is a socket, and the daemon sees its
 * last close as a hang-up. Everything else goes to libc untouched.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/kexec.h>
#include <linux/magic.h>
#include <linux/reboot.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "sim-control.h"

#define SHIM_EXPORT __attribute__((visibility("default")))
#define DEVICE_PATH "/dev/liveupdate"
#ifndef KEXEC_FILE_DEBUG
#define KEXEC_FILE_DEBUG 0x00000008 /* Linux 6.7 */
#endif
#define KEXEC_FILE_FLAGS (KEXEC_FILE_UNLOAD | KEXEC_FILE_ON_CRASH | KEXEC_FILE_NO_INITRAMFS | \
			  KEXEC_FILE_DEBUG)
#define SHIM_PAGE 4096

/* what this shim exports besides libc's names */
SHIM_EXPORT void liveupdate_sim_preload_disable(void);
SHIM_EXPORT int liveupdate_sim_preload_active(void);
/* _FORTIFY_SOURCE's open(), declared by <fcntl.h> only when fortifying */
int __open_2(const char *p, int flags);
int __open64_2(const char *p, int flags);
int __openat_2(int dirfd, const char *p, int flags);
int __openat64_2(int dirfd, const char *p, int flags);

static bool disabled;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static char sock_path[LU_SIM_PATH_MAX];
static int sock_err;

/* libc's own functions, found on first use */
#define REAL(name) real_##name
#define DEFINE_REAL(ret, name, ...)                                        \
	static ret (*real_##name)(__VA_ARGS__);                            \
	static ret (*get_##name(void))(__VA_ARGS__)                        \
	{                                                                  \
		if (!real_##name)                                          \
			*(void **)&real_##name = dlsym(RTLD_NEXT, #name);  \
		return real_##name;                                        \
	}

DEFINE_REAL(int, ioctl, int, unsigned long, ...)
DEFINE_REAL(int, reboot, int)
DEFINE_REAL(long, syscall, long, ...)
DEFINE_REAL(int, ftruncate, int, off_t)
DEFINE_REAL(int, ftruncate64, int, off64_t)
DEFINE_REAL(int, fallocate, int, int, off_t, off_t)
DEFINE_REAL(int, fallocate64, int, int, off64_t, off64_t)
DEFINE_REAL(int, posix_fallocate, int, off_t, off_t)
DEFINE_REAL(int, posix_fallocate64, int, off64_t, off64_t)
DEFINE_REAL(ssize_t, write, int, const void *, size_t)
DEFINE_REAL(ssize_t, pwrite, int, const void *, size_t, off_t)
DEFINE_REAL(ssize_t, pwrite64, int, const void *, size_t, off64_t)
DEFINE_REAL(ssize_t, writev, int, const struct iovec *, int)
DEFINE_REAL(ssize_t, pwritev, int, const struct iovec *, int, off_t)
DEFINE_REAL(ssize_t, pwritev64, int, const struct iovec *, int, off64_t)
DEFINE_REAL(ssize_t, pwritev2, int, const struct iovec *, int, off_t, int)
DEFINE_REAL(ssize_t, pwritev64v2, int, const struct iovec *, int, off64_t, int)

static void init(void)
{
	sock_err = lu_sim_resolve_socket(NULL, sock_path, sizeof(sock_path));
}

static const char *path(void)
{
	pthread_once(&once, init);
	return sock_err < 0 ? NULL : sock_path;
}

/* For liveupdate-sim itself, which must never be simulated. */
SHIM_EXPORT void liveupdate_sim_preload_disable(void)
{
	disabled = true;
}

/* 1 when this process runs under the shim: a test can check before reboot(). */
SHIM_EXPORT int liveupdate_sim_preload_active(void)
{
	return !disabled;
}

static int fail(int err)
{
	errno = err;
	return -1;
}

/* ------------------------------------------------------------- the device */

static bool is_device(const char *p)
{
	return !disabled && p && strcmp(p, DEVICE_PATH) == 0;
}

static int sim_open(int flags)
{
	static bool warned;
	const char *sp = path();
	int fd;

	if (!sp)
		return fail(ENOENT);
	fd = lu_sim_connect(sp, LU_SIM_ROLE_DEVICE, flags & O_CLOEXEC, NULL);
	if (fd >= 0)
		return fd;
	if (fd == -ENOENT || fd == -ECONNREFUSED) {
		/* as a kernel without the Live Update Orchestrator */
		if (!warned) {
			warned = true;
			fprintf(stderr, "liveupdate-sim-preload: no liveupdate-sim daemon at %s "
				"(start one: liveupdate-sim start); " DEVICE_PATH " is absent\n", sp);
		}
		return fail(ENOENT);
	}
	return fail(-fd);
}

static mode_t open_mode(int flags, va_list ap)
{
	return flags & (O_CREAT | __O_TMPFILE) ? (mode_t)va_arg(ap, int) : 0;
}

#define UNPAREN(...) __VA_ARGS__

/*
 * An open() of the family (open, open64, openat, openat64) and its
 * _FORTIFY_SOURCE entry point (__open_2, ...), which takes no mode: the
 * device is simulated, every other path goes to libc's own. PARAMS are the
 * parameters before flags, ARGS their names.
 */
#define WRAP_OPEN(name, fortified, PARAMS, ARGS)                           \
	DEFINE_REAL(int, name, UNPAREN PARAMS, int, ...)                   \
	DEFINE_REAL(int, fortified, UNPAREN PARAMS, int)                   \
	SHIM_EXPORT int name(UNPAREN PARAMS, int flags, ...)               \
	{                                                                  \
		va_list ap;                                                \
		mode_t mode;                                               \
                                                                           \
		va_start(ap, flags);                                       \
		mode = open_mode(flags, ap);                               \
		va_end(ap);                                                \
		if (is_device(p))                                          \
			return sim_open(flags);                            \
		return get_##name()(UNPAREN ARGS, flags, mode);            \
	}                                                                  \
	SHIM_EXPORT int fortified(UNPAREN PARAMS, int flags)               \
	{                                                                  \
		if (is_device(p))                                          \
			return sim_open(flags);                            \
		return get_##fortified()(UNPAREN ARGS, flags);             \
	}

WRAP_OPEN(open, __open_2, (const char *p), (p))
WRAP_OPEN(open64, __open64_2, (const char *p), (p))
WRAP_OPEN(openat, __openat_2, (int dirfd, const char *p), (dirfd, p))
WRAP_OPEN(openat64, __openat64_2, (int dirfd, const char *p), (dirfd, p))

/* ------------------------------------------------------------------ ioctl */

static int sim_ioctl(int fd, unsigned long request, void *arg)
{
	const char *sp = path();
	int ret;

	if (!disabled && sp && lu_sim_is_sim_fd(sp, fd)) {
		switch (request) {
		case FIOCLEX:
		case FIONCLEX:
		case FIONBIO:
		case FIOASYNC:
			break; /* do_vfs_ioctl() handles these for every file */
		case FIOQSIZE:
			return fail(ENOTTY); /* neither a directory nor a regular file */
		default:
			ret = lu_sim_ioctl(sp, fd, request, arg, true);
			return ret < 0 ? fail(-ret) : ret;
		}
	}
	return get_ioctl()(fd, request, arg);
}

SHIM_EXPORT int ioctl(int fd, unsigned long request, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	return sim_ioctl(fd, request, arg);
}

/* ------------------------------------------------------------------ kexec */

static int sim_reboot(void)
{
	const char *sp = path();
	int ret;

	if (!sp)
		return fail(EINVAL);
	ret = lu_sim_reboot(sp, false, NULL);
	if (ret == -ENOENT || ret == -ECONNREFUSED)
		return fail(EINVAL); /* no daemon: nothing was loaded either */
	return ret < 0 ? fail(-ret) : 0;
}

static long sim_kexec_file_load(int kfd, int ifd, unsigned long cmdline_len,
				const char *cmdline, unsigned long flags)
{
	const char *sp = path();
	int ret;

	(void)cmdline;
	if (flags & ~KEXEC_FILE_FLAGS)
		return fail(EINVAL);
	if (cmdline_len && !cmdline)
		return fail(EFAULT);
	if (!sp)
		return fail(ENOENT);
	ret = lu_sim_kexec_load(sp, kfd, ifd, flags & LU_SIM_KEXEC_ALL);
	return ret < 0 ? fail(-ret) : 0;
}

SHIM_EXPORT int reboot(int howto)
{
	if (!disabled && howto == (int)LINUX_REBOOT_CMD_KEXEC)
		return sim_reboot();
	return get_reboot()(howto);
}

/* -------------------------------------------------------- frozen memfds */

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static const struct lu_sim_table *table; /* stale ones stay mapped: no unmap under readers */

/*
 * Whether (dev, ino) is preserved in an outgoing session. The daemon's
 * table answers "no" in memory; a "yes" is confirmed with the daemon,
 * which first takes in every close that happened before this call.
 */
static bool preserved(const char *sp, dev_t dev, ino_t ino)
{
	const struct lu_sim_table *t;
	int saved = errno;
	bool ret;

	pthread_mutex_lock(&table_lock);
	t = table;
	if (t && (!__atomic_load_n(&t->alive, __ATOMIC_ACQUIRE) ||
		  (kill((pid_t)t->pid, 0) < 0 && errno == ESRCH)))
		t = table = NULL; /* that daemon is gone */
	if (!t) {
		size_t len;

		t = table = lu_sim_table_get(sp, &len);
	}
	pthread_mutex_unlock(&table_lock);
	if (t && !lu_sim_table_has(t, (uint64_t)dev, (uint64_t)ino))
		ret = false;
	else
		ret = lu_sim_frozen(sp, dev, ino) == 1;
	errno = saved;
	return ret;
}

/*
 * Whether fd is a preserved memfd (shmem, unlinked, in an outgoing
 * session): the only files whose size the kernel freezes.
 */
static bool frozen(int fd, struct stat *st, int *flags)
{
	struct statfs sfs;
	const char *sp;

	if (disabled || fstat(fd, st) < 0 || !S_ISREG(st->st_mode) || st->st_nlink != 0)
		return false;
	if (fstatfs(fd, &sfs) < 0 || sfs.f_type != TMPFS_MAGIC)
		return false;
	*flags = fcntl(fd, F_GETFL);
	if (*flags < 0 || (*flags & O_ACCMODE) == O_RDONLY)
		return false; /* the kernel's own error comes first */
	sp = path();
	return sp && preserved(sp, st->st_dev, st->st_ino);
}

static int sim_ftruncate(int fd, long long len, bool *handled)
{
	struct stat st;
	int flags;

	*handled = false;
	if (len < 0 || !frozen(fd, &st, &flags) || len == st.st_size)
		return 0;
	*handled = true;
	return fail(EPERM); /* shmem_setattr(): the size of a frozen mapping */
}

SHIM_EXPORT int ftruncate(int fd, off_t len)
{
	bool handled;
	int ret = sim_ftruncate(fd, len, &handled);

	return handled ? ret : get_ftruncate()(fd, len);
}

SHIM_EXPORT int ftruncate64(int fd, off64_t len)
{
	bool handled;
	int ret = sim_ftruncate(fd, len, &handled);

	return handled ? ret : get_ftruncate64()(fd, len);
}

/* shmem_fallocate() on a frozen mapping, after vfs_fallocate()'s checks */
static bool fallocate_frozen(int fd, int mode, long long off, long long len)
{
	struct stat st;
	int flags;

	if (off < 0 || len <= 0 || off > LLONG_MAX - len)
		return false;
	if (mode & ~(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE))
		return false;
	if ((mode & FALLOC_FL_PUNCH_HOLE) && !(mode & FALLOC_FL_KEEP_SIZE))
		return false;
	return frozen(fd, &st, &flags);
}

SHIM_EXPORT int fallocate(int fd, int mode, off_t off, off_t len)
{
	if (fallocate_frozen(fd, mode, off, len))
		return fail(EPERM);
	return get_fallocate()(fd, mode, off, len);
}

SHIM_EXPORT int fallocate64(int fd, int mode, off64_t off, off64_t len)
{
	if (fallocate_frozen(fd, mode, off, len))
		return fail(EPERM);
	return get_fallocate64()(fd, mode, off, len);
}

/* posix_fallocate() calls fallocate(fd, 0, ...) and returns its errno */
SHIM_EXPORT int posix_fallocate(int fd, off_t off, off_t len)
{
	if (fallocate_frozen(fd, 0, off, len))
		return EPERM;
	return get_posix_fallocate()(fd, off, len);
}

SHIM_EXPORT int posix_fallocate64(int fd, off64_t off, off64_t len)
{
	if (fallocate_frozen(fd, 0, off, len))
		return EPERM;
	return get_posix_fallocate64()(fd, off, len);
}

/*
 * How much of a write of n bytes at pos a frozen memfd of this size takes:
 * generic_perform_write() goes page by page and shmem_write_begin() refuses
 * the first piece that ends past the end of the file. -1: write as asked.
 */
static long long write_allowed(int fd, long long pos, size_t n, bool use_pos)
{
	struct stat st;
	long long done = 0;
	int flags;

	if (n == 0 || !frozen(fd, &st, &flags))
		return -1;
	if (flags & O_APPEND)
		pos = st.st_size;
	else if (!use_pos)
		pos = lseek(fd, 0, SEEK_CUR);
	if (pos < 0 || pos + (long long)n <= st.st_size)
		return -1;
	while ((size_t)done < n) {
		long long piece = SHIM_PAGE - (pos + done) % SHIM_PAGE;

		if (piece > (long long)n - done)
			piece = (long long)n - done;
		if (pos + done + piece > st.st_size)
			break;
		done += piece;
	}
	return done;
}

SHIM_EXPORT ssize_t write(int fd, const void *buf, size_t n)
{
	long long ok = write_allowed(fd, 0, n, false);

	if (ok == 0)
		return fail(EPERM);
	return get_write()(fd, buf, ok > 0 ? (size_t)ok : n);
}

SHIM_EXPORT ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
	long long ok = off < 0 ? -1 : write_allowed(fd, off, n, true);

	if (ok == 0)
		return fail(EPERM);
	return get_pwrite()(fd, buf, ok > 0 ? (size_t)ok : n, off);
}

SHIM_EXPORT ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t off)
{
	long long ok = off < 0 ? -1 : write_allowed(fd, off, n, true);

	if (ok == 0)
		return fail(EPERM);
	return get_pwrite64()(fd, buf, ok > 0 ? (size_t)ok : n, off);
}

/* The first `keep` bytes of an iovec array, in out (at most IOV_MAX). */
static int iov_cut(const struct iovec *iov, int cnt, size_t keep, struct iovec *out)
{
	int k = 0;

	for (int i = 0; i < cnt && keep && k < IOV_MAX; i++) {
		out[k] = iov[i];
		if (out[k].iov_len > keep)
			out[k].iov_len = keep;
		keep -= out[k].iov_len;
		k++;
	}
	return k;
}

static size_t iov_total(const struct iovec *iov, int cnt)
{
	size_t n = 0;

	for (int i = 0; iov && i < cnt && i < IOV_MAX; i++)
		n += iov[i].iov_len;
	return n;
}

#define VEC_WRITE(call, pos, use_pos)                                          \
	do {                                                                   \
		long long ok_ = cnt < 0 || cnt > IOV_MAX || ((use_pos) && (pos) < 0) \
			? -1 : write_allowed(fd, (pos), iov_total(iov, cnt), (use_pos)); \
		struct iovec cut_[IOV_MAX];                                    \
		if (ok_ == 0)                                                  \
			return fail(EPERM);                                    \
		if (ok_ > 0) {                                                 \
			cnt = iov_cut(iov, cnt, (size_t)ok_, cut_);            \
			iov = cut_;                                            \
		}                                                              \
		return call;                                                   \
	} while (0)

SHIM_EXPORT ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
	VEC_WRITE(get_writev()(fd, iov, cnt), 0, false);
}

SHIM_EXPORT ssize_t pwritev(int fd, const struct iovec *iov, int cnt, off_t off)
{
	VEC_WRITE(get_pwritev()(fd, iov, cnt, off), off, true);
}

SHIM_EXPORT ssize_t pwritev64(int fd, const struct iovec *iov, int cnt, off64_t off)
{
	VEC_WRITE(get_pwritev64()(fd, iov, cnt, off), off, true);
}

SHIM_EXPORT ssize_t pwritev2(int fd, const struct iovec *iov, int cnt, off_t off, int fl)
{
	VEC_WRITE(get_pwritev2()(fd, iov, cnt, off, fl), off, off != -1);
}

SHIM_EXPORT ssize_t pwritev64v2(int fd, const struct iovec *iov, int cnt, off64_t off, int fl)
{
	VEC_WRITE(get_pwritev64v2()(fd, iov, cnt, off, fl), off, off != -1);
}

/* ---------------------------------------------------------------- syscall */

static bool reboot_magic_ok(long m1, long m2)
{
	return (unsigned)m1 == LINUX_REBOOT_MAGIC1 &&
	       ((unsigned)m2 == LINUX_REBOOT_MAGIC2 || (unsigned)m2 == LINUX_REBOOT_MAGIC2A ||
		(unsigned)m2 == LINUX_REBOOT_MAGIC2B || (unsigned)m2 == LINUX_REBOOT_MAGIC2C);
}

/*
 * Programs that call the kernel through syscall(2): the same requests are
 * simulated. Six arguments are forwarded whatever the call, as glibc's
 * syscall() itself does.
 */
SHIM_EXPORT long syscall(long nr, ...)
{
	long a[6];
	va_list ap;

	va_start(ap, nr);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);

	if (!disabled) {
		switch (nr) {
		case SYS_reboot:
			if ((unsigned)a[2] != LINUX_REBOOT_CMD_KEXEC)
				break;
			if (!reboot_magic_ok(a[0], a[1]))
				return fail(EINVAL);
			return sim_reboot();
		case SYS_kexec_file_load:
			return sim_kexec_file_load((int)a[0], (int)a[1], (unsigned long)a[2],
						   (const char *)a[3], (unsigned long)a[4]);
#ifdef SYS_kexec_load
		case SYS_kexec_load: {
			/* nr_segments 0 unloads; the segments themselves are not read */
			const char *sp = path();
			uint32_t fl = (unsigned long)a[1] == 0 ? LU_SIM_KEXEC_UNLOAD : 0;
			int ret;

			if (a[3] & KEXEC_ON_CRASH)
				fl |= LU_SIM_KEXEC_ON_CRASH;
			if (!sp)
				return fail(ENOENT);
			ret = lu_sim_kexec_record(sp, fl);
			return ret < 0 ? fail(-ret) : 0;
		}
#endif
		case SYS_ioctl:
			return sim_ioctl((int)a[0], (unsigned long)a[1], (void *)a[2]);
#ifdef SYS_open
		case SYS_open:
			if (is_device((const char *)a[0]))
				return sim_open((int)a[1]);
			break;
#endif
		case SYS_openat:
			if (is_device((const char *)a[1]))
				return sim_open((int)a[2]);
			break;
		case SYS_ftruncate:
			return ftruncate((int)a[0], (off_t)a[1]);
		case SYS_fallocate:
			return fallocate((int)a[0], (int)a[1], (off_t)a[2], (off_t)a[3]);
		case SYS_write:
			return write((int)a[0], (const void *)a[1], (size_t)a[2]);
		case SYS_pwrite64:
			return pwrite((int)a[0], (const void *)a[1], (size_t)a[2], (off_t)a[3]);
		}
	}
	return get_syscall()(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}
