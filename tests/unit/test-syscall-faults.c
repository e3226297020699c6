/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fault injection below the library, at the system calls (and libnl
 * requests) of the memory, manifest, network-device, fd-store and handover
 * entry points. The program is linked with -Wl,--wrap=NAME for each call in
 * the table below (tests/unit/unit.am), so the library's own references
 * reach the wrappers here, which count the calls while a sweep is armed
 * and make the N-th fail.
 *
 * For each path: one run counts its calls; then each call fails in turn
 * with each errno it can return. Each time the entry point must fail with
 * that errno (or absorb it and succeed), fill liveupdate_last_error(),
 * leak no fd (and, under valgrind, no memory) and change nothing the
 * caller can see (each path says what that is). The network paths run in
 * a network namespace of their own (root); without one they are skipped,
 * and with CI=true that is an error.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <net/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <netlink/errno.h>
#include <netlink/cache.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>

#include "unit.h"
#include "liveupdate-private.h"
#include "netdev.h"

/* ---- the wrapped calls ---- */

enum call {
	C_MEMFD_CREATE, C_FTRUNCATE, C_FALLOCATE, C_MMAP, C_MADVISE, C_OPEN,
	C_READ, C_PREAD, C_WRITE, C_SENDMSG, C_RECVMSG, C_SOCKET, C_CONNECT,
	C_GETSOCKOPT, C_GETPEERNAME, C_FCNTL, C_FSTAT, C_NETLINK, C_COUNT
};

/* What each call can fail with (0 ends a list); netlink: libnl's NLE_*. */
static const struct {
	const char *name;
	int errs[4];
} calls[C_COUNT] = {
	[C_MEMFD_CREATE] = { "memfd_create", { EMFILE, ENFILE, ENOMEM } },
	[C_FTRUNCATE] = { "ftruncate", { EFBIG, EPERM, EIO } },
	[C_FALLOCATE] = { "fallocate", { ENOSPC, EOPNOTSUPP, EIO } },
	[C_MMAP] = { "mmap", { ENOMEM, EAGAIN, EACCES } },
	[C_MADVISE] = { "madvise", { ENOMEM, EINVAL, EFAULT } },
	[C_OPEN] = { "open", { ENOENT, EACCES, EMFILE } },
	[C_READ] = { "read", { EIO, EFAULT } },
	[C_PREAD] = { "pread", { EIO, EFAULT } },
	[C_WRITE] = { "write", { ENOSPC, EIO } },
	[C_SENDMSG] = { "sendmsg", { EAGAIN, ENOBUFS, ECONNREFUSED } },
	[C_RECVMSG] = { "recvmsg", { EAGAIN, ECONNRESET, ENOMEM } },
	[C_GETSOCKOPT] = { "getsockopt", { ENOTSOCK, ENOBUFS } },
	[C_GETPEERNAME] = { "getpeername", { ENOTCONN, ENOBUFS } },
	[C_SOCKET] = { "socket", { EMFILE, ENFILE, EACCES } },
	[C_CONNECT] = { "connect", { ECONNREFUSED, ENOENT, EACCES } },
	[C_FCNTL] = { "fcntl", { EPERM, EBUSY } },
	[C_FSTAT] = { "fstat", { ENOMEM, EOVERFLOW } },
	[C_NETLINK] = { "netlink", { NLE_NOMEM, NLE_PERM, NLE_BUSY } },
};

#define MAX_CALLS 4096

static struct {
	pthread_mutex_t lock;
	bool armed, fired;
	pthread_t owner;	/* the thread whose calls count */
	unsigned n, fail_at;
	int err;
	enum call seen[MAX_CALLS];
} f = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* Count the call; true (and *err set) when it must fail. */
static bool inject(enum call c, int *err)
{
	bool fail = false;

	/* the simulator's transport stands in for the kernel's ioctls: its
	 * faults are the backend seam's (test-faults.c) */
	if (seam_inside_backend())
		return false;
	pthread_mutex_lock(&f.lock);
	if (f.armed && pthread_equal(pthread_self(), f.owner)) {
		if (f.n < MAX_CALLS)
			f.seen[f.n] = c;
		fail = ++f.n == f.fail_at;
		if (fail) {
			f.fired = true;
			*err = f.err;
		}
	}
	pthread_mutex_unlock(&f.lock);
	return fail;
}

static void arm(unsigned fail_at, int err)
{
	pthread_mutex_lock(&f.lock);
	f.armed = true;
	f.owner = pthread_self();
	f.fired = false;
	f.n = 0;
	f.fail_at = fail_at;
	f.err = err;
	pthread_mutex_unlock(&f.lock);
}

static void disarm(void)
{
	pthread_mutex_lock(&f.lock);
	f.armed = false;
	pthread_mutex_unlock(&f.lock);
}

/* visible: the linker checks the wrappers against shared libraries too */
#define WRAPPER __attribute__((visibility("default")))

#define WRAP(type, fail_value, name, c, params, args)                        \
	type __real_##name params;                                           \
	WRAPPER type __wrap_##name params;                                   \
	type __wrap_##name params                                            \
	{                                                                    \
		int e;                                                       \
		if (inject(c, &e)) {                                         \
			errno = e;                                           \
			return fail_value;                                   \
		}                                                            \
		return __real_##name args;                                   \
	}

WRAP(int, -1, memfd_create, C_MEMFD_CREATE, (const char *n, unsigned int fl), (n, fl))
WRAP(int, -1, ftruncate, C_FTRUNCATE, (int fd, off_t len), (fd, len))
WRAP(int, -1, fallocate, C_FALLOCATE, (int fd, int mode, off_t o, off_t len),
     (fd, mode, o, len))
WRAP(void *, MAP_FAILED, mmap, C_MMAP, (void *a, size_t len, int prot, int fl, int fd,
					off_t o), (a, len, prot, fl, fd, o))
WRAP(int, -1, madvise, C_MADVISE, (void *a, size_t len, int advice), (a, len, advice))
WRAP(ssize_t, -1, read, C_READ, (int fd, void *buf, size_t n), (fd, buf, n))
WRAP(ssize_t, -1, pread, C_PREAD, (int fd, void *buf, size_t n, off_t o), (fd, buf, n, o))
WRAP(ssize_t, -1, write, C_WRITE, (int fd, const void *buf, size_t n), (fd, buf, n))
WRAP(ssize_t, -1, sendmsg, C_SENDMSG, (int fd, const struct msghdr *m, int fl), (fd, m, fl))
WRAP(ssize_t, -1, recvmsg, C_RECVMSG, (int fd, struct msghdr *m, int fl), (fd, m, fl))
WRAP(int, -1, getsockopt, C_GETSOCKOPT, (int fd, int level, int name, void *v,
					  socklen_t *l), (fd, level, name, v, l))
WRAP(int, -1, getpeername, C_GETPEERNAME, (int fd, struct sockaddr *a, socklen_t *l),
     (fd, a, l))
WRAP(int, -1, socket, C_SOCKET, (int d, int t, int p), (d, t, p))
WRAP(int, -1, connect, C_CONNECT, (int fd, const struct sockaddr *a, socklen_t l),
     (fd, a, l))
WRAP(int, -1, fstat, C_FSTAT, (int fd, struct stat *st), (fd, st))

int __real_open(const char *path, int flags, ...);
WRAPPER int __wrap_open(const char *path, int flags, ...);
int __wrap_open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;
	int e;

	if (flags & (O_CREAT | __O_TMPFILE)) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	if (inject(C_OPEN, &e)) {
		errno = e;
		return -1;
	}
	return __real_open(path, flags, mode);
}

int __real_fcntl(int fd, int cmd, ...);
WRAPPER int __wrap_fcntl(int fd, int cmd, ...);
int __wrap_fcntl(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;
	int e;

	va_start(ap, cmd);
	arg = va_arg(ap, void *); /* every fcntl argument fits a pointer */
	va_end(ap);
	if (inject(C_FCNTL, &e)) {
		errno = e;
		return -1;
	}
	return __real_fcntl(fd, cmd, arg);
}

/* libnl's requests fail with -NLE_*, as libnl returns them */
#define WRAP_NL(name, params, args)                                          \
	int __real_##name params;                                            \
	WRAPPER int __wrap_##name params;                                    \
	int __wrap_##name params                                             \
	{                                                                    \
		int e;                                                       \
		return inject(C_NETLINK, &e) ? -e : __real_##name args;      \
	}

WRAP_NL(nl_connect, (struct nl_sock *sk, int proto), (sk, proto))
WRAP_NL(nl_send_auto, (struct nl_sock *sk, struct nl_msg *m), (sk, m))
WRAP_NL(nl_recvmsgs_default, (struct nl_sock *sk), (sk))
WRAP_NL(nl_cache_refill, (struct nl_sock *sk, struct nl_cache *c), (sk, c))
WRAP_NL(rtnl_link_alloc_cache, (struct nl_sock *sk, int family, struct nl_cache **c),
	(sk, family, c))
WRAP_NL(rtnl_addr_alloc_cache, (struct nl_sock *sk, struct nl_cache **c), (sk, c))
WRAP_NL(rtnl_link_add, (struct nl_sock *sk, struct rtnl_link *l, int fl), (sk, l, fl))
WRAP_NL(rtnl_link_change, (struct nl_sock *sk, struct rtnl_link *o,
			   struct rtnl_link *c, int fl), (sk, o, c, fl))
WRAP_NL(rtnl_addr_add, (struct nl_sock *sk, struct rtnl_addr *a, int fl), (sk, a, fl))

/* ---- the paths ---- */

/* What a path works on; each path's setup fills what it needs. */
struct world {
	struct liveupdate_ctx *ctx;
	struct liveupdate_session *session;
	struct liveupdate_memory *mem;
	struct liveupdate_netdevs *set;
	int fd;
	long entries;      /* manifest entries before the call */
	int notify;        /* the fake service manager's socket */
	char notify_path[108];
	/* handover: the socket pair (ours, the peer's) and the peer, a thread
	 * with a context of its own that receives or sends the session */
	int sock[2];
	pthread_t peer;
	int peer_ret;
	struct liveupdate_ctx *peer_ctx;
	struct liveupdate_session *peer_session;
	void *out;         /* the call's out-parameter, NULL until it succeeds */
};

struct path {
	const char *name;
	void (*setup)(struct world *w);
	int (*call)(struct world *w);
	/* after a failure: assert that nothing the caller sees changed */
	void (*unchanged)(struct world *w);
	/* free what setup made and what a successful call returned */
	void (*teardown)(struct world *w);
	/* calls whose failure the path may absorb by a documented fallback
	 * (bits 1 << enum call); any other must fail the entry point */
	unsigned absorbable;
};

#define BIT(c) (1u << (c))
/* AUTO reads the host's files and probes the kernel with a throwaway
 * memfd: when either fails it says so in the reason and goes on */
#define AUTO_FALLBACKS (BIT(C_OPEN) | BIT(C_READ) | BIT(C_MEMFD_CREATE) | \
			BIT(C_FTRUNCATE) | BIT(C_MMAP) | BIT(C_FSTAT) | \
			BIT(C_FCNTL) | BIT(C_MADVISE))

static int memfd_of(size_t size)
{
	int fd = memfd_create("lu-fault", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, (off_t)size), 0);
	return fd;
}

static void base_setup(struct world *w)
{
	memset(w, 0, sizeof(*w));
	w->fd = w->notify = w->sock[0] = w->sock[1] = -1;
	w->ctx = seam_ctx(NULL);
	liveupdate_ctx_set_log_fn(w->ctx, NULL, NULL);
	/* the context keeps the device open once used: open it before the
	 * fds are counted */
	ck_assert_int_eq(liveupdate_ctx_open_device(w->ctx), 0);
}

static void with_session(struct world *w)
{
	base_setup(w);
	ck_assert_int_eq(liveupdate_session_create(w->ctx, "faults", &w->session), 0);
	w->entries = liveupdate_session_count_entries(w->session);
}

static void teardown_all(struct world *w)
{
	if (w->fd >= 0)
		close(w->fd);
	if (w->notify >= 0) {
		close(w->notify);
		unlink(w->notify_path);
		unsetenv("NOTIFY_SOCKET");
		unsetenv("FDSTORE");
	}
	liveupdate_netdevs_unref(w->set);
	liveupdate_memory_unref(w->mem);
	liveupdate_session_unref(w->session);
	liveupdate_ctx_unref(w->ctx);
}

static void out_untouched(struct world *w)
{
	ck_assert_ptr_null(w->out);
}

/* memory: a populated SHMEM object (memfd_create, ftruncate, seals, populate) */
static int memory_new(struct world *w)
{
	LIVEUPDATE_OPTS(liveupdate_memory_opts, o, .size = 2 << 20,
			.backing = LIVEUPDATE_MEMORY_SHMEM, .populate = 1,
			.populate_threads = 1);

	return liveupdate_memory_new(w->ctx, &o, (struct liveupdate_memory **)&w->out);
}

/* memory: AUTO, which asks the host and the kernel what it can preserve */
static int memory_new_auto(struct world *w)
{
	LIVEUPDATE_OPTS(liveupdate_memory_opts, o, .size = 2 << 20,
			.backing = LIVEUPDATE_MEMORY_AUTO);

	return liveupdate_memory_new(w->ctx, &o, (struct liveupdate_memory **)&w->out);
}

static void memory_new_teardown(struct world *w)
{
	liveupdate_memory_unref(w->out);
	teardown_all(w);
}

/* memory: mapping an object */
static void memory_setup(struct world *w)
{
	LIVEUPDATE_OPTS(liveupdate_memory_opts, o, .size = 1 << 20,
			.backing = LIVEUPDATE_MEMORY_SHMEM);

	with_session(w);
	ck_assert_int_eq(liveupdate_memory_new(w->ctx, &o, &w->mem), 0);
}

static int memory_map(struct world *w)
{
	return liveupdate_memory_map(w->mem, &w->out);
}

static void memory_map_unchanged(struct world *w)
{
	void *addr = NULL;

	out_untouched(w);
	/* a later map works: the failure left no half-made mapping */
	ck_assert_int_eq(liveupdate_memory_map(w->mem, &addr), 0);
	ck_assert_ptr_nonnull(addr);
	liveupdate_memory_unmap(w->mem);
}

static void memory_map_teardown(struct world *w)
{
	if (w->out)
		liveupdate_memory_unmap(w->mem);
	teardown_all(w);
}

/* memory and manifest: preserving an object with a label */
static int memory_preserve(struct world *w)
{
	LIVEUPDATE_OPTS(liveupdate_preserve_opts, o, .label = "ram");

	return liveupdate_memory_preserve_opts(w->mem, w->session, &o, NULL);
}

static void entries_unchanged(struct world *w)
{
	const struct liveupdate_entry *e;

	ck_assert_int_eq(liveupdate_session_count_entries(w->session), w->entries);
	ck_assert_int_eq(liveupdate_session_find_entry(w->session, "ram", &e), -ENOENT);
	ck_assert_int_eq(liveupdate_session_find_entry(w->session, "liveupdate-netdevs",
						       &e), -ENOENT);
}

/* memory after the update: an object retrieved by token */
static void incoming_memory_setup(struct world *w)
{
	memory_setup(w);
	ck_assert_int_eq(liveupdate_memory_preserve(w->mem, w->session, 7), 0);
	w->ctx = seam_reboot(w->ctx, w->session);
	liveupdate_memory_unref(w->mem);
	w->mem = NULL;
	ck_assert_int_eq(liveupdate_session_retrieve(w->ctx, "faults", &w->session), 0);
}

static int memory_retrieve(struct world *w)
{
	return liveupdate_memory_retrieve(w->session, 7,
					  (struct liveupdate_memory **)&w->out);
}

static void memory_still_there(struct world *w)
{
	struct liveupdate_memory *mem;

	out_untouched(w);
	ck_assert_msg(liveupdate_memory_retrieve(w->session, 7, &mem) == 0,
		      "after the fault: %s", liveupdate_last_error());
	ck_assert_uint_eq(liveupdate_memory_get_size(mem), 1 << 20);
	liveupdate_memory_unref(mem);
}

/* manifest: a file with a label and metadata (the first record: its
 * first piece is made and preserved; creating a session makes nothing) */
static void file_setup(struct world *w)
{
	with_session(w);
	w->fd = memfd_of(4096);
}

static int preserve_labelled(struct world *w)
{
	static const struct liveupdate_meta meta[] = { { "k", "v" } };
	LIVEUPDATE_OPTS(liveupdate_preserve_opts, o, .label = "ram", .meta = meta,
			.n_meta = 1);

	return liveupdate_session_preserve_fd_opts(w->session, w->fd, &o, NULL);
}

/* manifest, read side: the manifest of a session retrieved after a kexec */
static void incoming_setup(struct world *w)
{
	LIVEUPDATE_OPTS(liveupdate_preserve_opts, o, .label = "ram");

	file_setup(w);
	ck_assert_int_eq(liveupdate_session_preserve_fd_opts(w->session, w->fd, &o,
							     NULL), 0);
	w->ctx = seam_reboot(w->ctx, w->session);
	ck_assert_int_eq(liveupdate_session_retrieve(w->ctx, "faults", &w->session), 0);
}

static int find_entry(struct world *w)
{
	return liveupdate_session_find_entry(w->session, "ram",
					     (const struct liveupdate_entry **)&w->out);
}

static void entry_still_found(struct world *w)
{
	const struct liveupdate_entry *e;

	out_untouched(w);
	ck_assert_msg(liveupdate_session_find_entry(w->session, "ram", &e) == 0,
		      "after the fault: %s", liveupdate_last_error());
	ck_assert_uint_eq(e->size, 4096);
}

/* network devices: the record, preserved and retrieved (no privilege) */
static void record_setup(struct world *w)
{
	with_session(w);
	ck_assert_int_eq(liveupdate_netdevs_new(w->ctx, &w->set), 0);
}

static int netdevs_preserve(struct world *w)
{
	return liveupdate_netdevs_preserve(w->set, w->session, 42);
}

static void incoming_record_setup(struct world *w)
{
	record_setup(w);
	ck_assert_int_eq(liveupdate_netdevs_preserve(w->set, w->session, 42), 0);
	w->ctx = seam_reboot(w->ctx, w->session);
	ck_assert_int_eq(liveupdate_session_retrieve(w->ctx, "faults", &w->session), 0);
}

static int netdevs_retrieve(struct world *w)
{
	return liveupdate_netdevs_retrieve(w->session, 42,
					   (struct liveupdate_netdevs **)&w->out);
}

static void record_still_there(struct world *w)
{
	struct liveupdate_netdevs *set;

	out_untouched(w);
	ck_assert_msg(liveupdate_netdevs_retrieve(w->session, 42, &set) == 0,
		      "after the fault: %s", liveupdate_last_error());
	liveupdate_netdevs_unref(set);
}

static void netdevs_out_teardown(struct world *w)
{
	liveupdate_netdevs_unref(w->out);
	teardown_all(w);
}

/* network devices in this test's namespace: snapshot and restore */
static void tap_setup(struct world *w)
{
	record_setup(w);
	ck_assert_int_eq(system("ip tuntap add lu-ftap0 mode tap && "
				"ip link add lu-fbr0 type bridge && "
				"ip link set lu-ftap0 master lu-fbr0"), 0);
}

static int netdevs_add(struct world *w)
{
	return liveupdate_netdevs_add(w->set, "lu-ftap0", NULL);
}

static void set_empty(struct world *w)
{
	ck_assert_int_eq(liveupdate_netdevs_get_count(w->set), 0);
}

static void delete_devices(void)
{
	ck_assert_int_eq(system("ip link del lu-ftap0 2>/dev/null; "
				"ip link del lu-fbr0 2>/dev/null; true"), 0);
}

static void tap_teardown(struct world *w)
{
	delete_devices();
	teardown_all(w);
}

static void restore_setup(struct world *w)
{
	tap_setup(w);
	ck_assert_int_eq(liveupdate_netdevs_add(w->set, "lu-ftap0", NULL), 0);
	delete_devices();
}

static int netdevs_restore(struct world *w)
{
	return liveupdate_netdevs_restore(w->set);
}

static void nothing_created(struct world *w)
{
	ck_assert_uint_eq(if_nametoindex("lu-ftap0"), 0);
	ck_assert_uint_eq(if_nametoindex("lu-fbr0"), 0);
	ck_assert_int_eq(liveupdate_netdevs_get_queues(w->set, "lu-ftap0"), 0);
}

/* fd store: a push to a fake service manager */
static void manager_setup(struct world *w)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	base_setup(w);
	w->fd = memfd_of(4096);
	w->notify = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(w->notify, 0);
	snprintf(w->notify_path, sizeof(w->notify_path), "/tmp/lu-fault-notify-%d",
		 (int)getpid());
	unlink(w->notify_path);
	strcpy(sa.sun_path, w->notify_path);
	ck_assert_int_eq(bind(w->notify, (struct sockaddr *)&sa, sizeof(sa)), 0);
	setenv("NOTIFY_SOCKET", w->notify_path, 1);
	setenv("FDSTORE", "8", 1);
}

static int fdstore_push(struct world *w)
{
	return liveupdate_fdstore_push(w->ctx, w->fd, "ram", NULL);
}

/* fd store: the fd passed back by systemd (LISTEN_FDS at fd 100) */
#define PASSED_AT 100

/* The environment systemd sets for n fds from PASSED_AT on named passed
 * (colon-separated), after placeholders for fds 3 to PASSED_AT - 1. */
static void pass_env(const char *passed, int n)
{
	char pid[32], names[512] = "";

	for (int i = 3; i < PASSED_AT; i++)
		strcat(names, "pad:");
	strcat(names, passed);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	setenv("LISTEN_PID", pid, 1);
	snprintf(pid, sizeof(pid), "%d", PASSED_AT - 3 + n);
	setenv("LISTEN_FDS", pid, 1);
	setenv("LISTEN_FDNAMES", names, 1);
}

static void passed_setup(struct world *w)
{
	base_setup(w);
	w->fd = memfd_of(4096);
	ck_assert_int_eq(dup3(w->fd, PASSED_AT, 0), PASSED_AT); /* inherited: no CLOEXEC */
	pass_env("ram", 1);
}

static int fdstore_get(struct world *w)
{
	static int fd;
	int ret = liveupdate_fdstore_get(w->ctx, "ram", &fd);

	if (ret == 0)
		w->out = &fd;
	return ret;
}

/* The fd of one datagram the fake service manager got. */
static int recv_fd(int sock)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} c;
	char buf[256];
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = c.b,
			     .msg_controllen = sizeof(c.b) };
	int fd;

	ck_assert_int_gt(recvmsg(sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC), 0);
	ck_assert_ptr_nonnull(CMSG_FIRSTHDR(&mh));
	memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&mh)), sizeof(fd));
	return fd;
}

static void passed_teardown(struct world *w)
{
	close(PASSED_AT);
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	teardown_all(w);
}

/* fd store: an outgoing session and its manifest's piece passed back by
 * systemd after a restart (at PASSED_AT + 1 and PASSED_AT) */
static void stored_session_setup(struct world *w)
{
	LIVEUPDATE_OPTS(liveupdate_preserve_opts, o, .label = "ram");
	int piece, session;

	manager_setup(w);
	ck_assert_int_eq(liveupdate_session_create(w->ctx, "faults", &w->session), 0);
	ck_assert_int_eq(liveupdate_session_preserve_fd_opts(w->session, w->fd, &o, NULL), 0);
	ck_assert_int_eq(liveupdate_fdstore_push_session(w->ctx, w->session, "vmm", NULL), 0);
	piece = recv_fd(w->notify);
	session = recv_fd(w->notify);
	ck_assert_int_eq(dup3(piece, PASSED_AT, 0), PASSED_AT);
	ck_assert_int_eq(dup3(session, PASSED_AT + 1, 0), PASSED_AT + 1);
	close(piece);
	close(session);
	pass_env("vmm.lu-manifest:vmm", 2);
}

static int adopt_stored(struct world *w)
{
	return liveupdate_fdstore_adopt_session(w->ctx, "vmm",
						(struct liveupdate_session **)&w->out);
}

/* A failure leaves what systemd passed open, for another try. */
static void stored_untouched(struct world *w)
{
	out_untouched(w);
	ck_assert_int_ge(fcntl(PASSED_AT, F_GETFD), 0);
	ck_assert_int_ge(fcntl(PASSED_AT + 1, F_GETFD), 0);
}

static void stored_session_teardown(struct world *w)
{
	liveupdate_session_unref(w->out);
	close(PASSED_AT + 1);
	passed_teardown(w);
}

static void manager_got_nothing(struct world *w)
{
	char buf[256];

	ck_assert_int_lt(recv(w->notify, buf, sizeof(buf), MSG_DONTWAIT), 0);
}

/* handover: a session with a labelled file, handed over on a socket pair
 * to (or from) a peer thread; the peer is joined inside the call, so that
 * what it holds is settled when the sweep counts fds */
static void handover_session_setup(struct world *w)
{
	LIVEUPDATE_OPTS(liveupdate_session_opts, so, .flags = LIVEUPDATE_SESSION_HANDOVER);
	LIVEUPDATE_OPTS(liveupdate_preserve_opts, o, .label = "ram");

	base_setup(w);
	ck_assert_int_eq(liveupdate_session_create_opts(w->ctx, "faults", &so,
							&w->session), 0);
	w->fd = memfd_of(4096);
	ck_assert_int_eq(liveupdate_session_preserve_fd_opts(w->session, w->fd, &o,
							     NULL), 0);
	w->entries = liveupdate_session_count_entries(w->session);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, w->sock), 0);
	ck_assert_int_eq(liveupdate_ctx_new(NULL, &w->peer_ctx), 0);
	seam_attach(w->peer_ctx);
	liveupdate_ctx_set_log_fn(w->peer_ctx, NULL, NULL);
}

/* s still gives its file by label */
static void session_intact(struct liveupdate_session *s)
{
	const struct liveupdate_entry *e;
	int fd;

	ck_assert_msg(liveupdate_session_retrieve_fd_label(s, "ram", &fd, &e) == 0,
		      "after the fault: %s", liveupdate_last_error());
	ck_assert_uint_eq(e->size, 4096);
	close(fd);
}

static void *peer_receive(void *arg)
{
	struct world *w = arg;

	w->peer_ret = liveupdate_session_receive(w->peer_ctx, w->sock[1], &w->peer_session);
	return NULL;
}

static int handover(struct world *w)
{
	int ret;

	ck_assert_int_eq(pthread_create(&w->peer, NULL, peer_receive, w), 0);
	ret = liveupdate_session_handover(w->session, w->sock[0]);
	shutdown(w->sock[0], SHUT_RDWR); /* a peer still waiting sees the end */
	ck_assert_int_eq(pthread_join(w->peer, NULL), 0);
	if (ret < 0 && w->peer_ret == 0) {
		/* the acknowledgement was sent but not read here: the peer's
		 * copy goes, the sender keeps the session (as documented) */
		liveupdate_session_unref(w->peer_session);
		w->peer_session = NULL;
	}
	return ret;
}

static void sender_keeps_session(struct world *w)
{
	ck_assert_int_eq(liveupdate_session_count_entries(w->session), w->entries);
	session_intact(w->session);
}

static void handover_teardown(struct world *w)
{
	if (w->out) /* received, after a fault absorbed or none */
		session_intact(w->out);
	liveupdate_session_unref(w->peer_session);
	liveupdate_session_unref(w->out);
	liveupdate_ctx_unref(w->peer_ctx);
	close(w->sock[0]);
	close(w->sock[1]);
	teardown_all(w);
}

static void *peer_send(void *arg)
{
	struct world *w = arg;

	w->peer_ret = liveupdate_session_handover(w->session, w->sock[1]);
	return NULL;
}

static int receive(struct world *w)
{
	int ret;

	ck_assert_int_eq(pthread_create(&w->peer, NULL, peer_send, w), 0);
	ret = liveupdate_session_receive(w->ctx, w->sock[0],
					 (struct liveupdate_session **)&w->out);
	shutdown(w->sock[0], SHUT_RDWR);
	ck_assert_int_eq(pthread_join(w->peer, NULL), 0);
	return ret;
}

/* a receiver that fails leaves the predecessor its session */
static void predecessor_keeps_session(struct world *w)
{
	out_untouched(w);
	ck_assert_int_lt(w->peer_ret, 0);
	sender_keeps_session(w);
}

static const struct path paths[] = {
	/* default seals a tmpfs file refuses are left out (the reason says
	 * so); MADV_POPULATE_WRITE falls back to touching the pages; the
	 * room check before populating reads /proc/meminfo and the memory
	 * cgroups' files, absent on many hosts: unread, no limit is known */
	{ "liveupdate_memory_new", base_setup, memory_new, out_untouched,
	  memory_new_teardown, BIT(C_FCNTL) | BIT(C_MADVISE) | BIT(C_OPEN) | BIT(C_READ) },
	{ "liveupdate_memory_new (AUTO)", base_setup, memory_new_auto, out_untouched,
	  memory_new_teardown, AUTO_FALLBACKS },
	/* the backing is measured on a read-only view; when that cannot be
	 * done the object is taken for SHMEM and the reason says why */
	{ "liveupdate_memory_retrieve", incoming_memory_setup, memory_retrieve,
	  memory_still_there, memory_new_teardown,
	  BIT(C_OPEN) | BIT(C_READ) | BIT(C_MMAP) },
	/* huge-page advice on the mapping is a hint */
	{ "liveupdate_memory_map", memory_setup, memory_map, memory_map_unchanged,
	  memory_map_teardown, BIT(C_MADVISE) },
	{ "liveupdate_memory_preserve_opts", memory_setup, memory_preserve,
	  entries_unchanged, teardown_all, 0 },
	{ "liveupdate_session_preserve_fd_opts", file_setup, preserve_labelled,
	  entries_unchanged, teardown_all, 0 },
	{ "liveupdate_session_find_entry", incoming_setup, find_entry,
	  entry_still_found, teardown_all, 0 },
	{ "liveupdate_netdevs_preserve", record_setup, netdevs_preserve,
	  entries_unchanged, teardown_all, 0 },
	{ "liveupdate_netdevs_retrieve", incoming_record_setup, netdevs_retrieve,
	  record_still_there, netdevs_out_teardown, 0 },
	{ "liveupdate_fdstore_push", manager_setup, fdstore_push,
	  manager_got_nothing, teardown_all, 0 },
	{ "liveupdate_fdstore_get", passed_setup, fdstore_get, out_untouched,
	  passed_teardown, 0 },
	{ "liveupdate_fdstore_adopt_session (outgoing, with its manifest)",
	  stored_session_setup, adopt_stored, stored_untouched, stored_session_teardown, 0 },
	{ "liveupdate_session_handover", handover_session_setup, handover,
	  sender_keeps_session, handover_teardown, 0 },
	{ "liveupdate_session_receive", handover_session_setup, receive,
	  predecessor_keeps_session, handover_teardown, 0 },
};

static const struct path netns_paths[] = {
	{ "liveupdate_netdevs_add", tap_setup, netdevs_add, set_empty, tap_teardown, 0 },
	{ "liveupdate_netdevs_restore", restore_setup, netdevs_restore,
	  nothing_created, tap_teardown, 0 },
};

static unsigned injected, absorbed;

/* The error the entry point should give for an injected one. */
static int expected(enum call c, int err)
{
	if (c == C_NETLINK)
		return lu_nl_errno(-err);
	/* MADV_POPULATE_WRITE's EFAULT is a page that could not be had
	 * (SIGBUS on access): the populate path says out of memory */
	if (c == C_MADVISE && err == EFAULT)
		return -ENOMEM;
	return -err;
}

static void sweep(const struct path *p)
{
	struct world w;
	enum call seen[MAX_CALLS];
	unsigned n;
	unsigned before = absorbed;
	int base, fds, ret;

	/* count the path's calls */
	p->setup(&w);
	arm(0, 0);
	ret = p->call(&w);
	disarm();
	ck_assert_msg(ret == 0, "%s without faults: %s", p->name, liveupdate_last_error());
	n = f.n < MAX_CALLS ? f.n : MAX_CALLS;
	printf("%s: %u calls\n", p->name, n);
	memcpy(seen, f.seen, n * sizeof(seen[0]));
	p->teardown(&w);
	ck_assert_msg(n > 0, "%s makes none of the wrapped calls", p->name);

	for (unsigned i = 1; i <= n; i++) {
		for (const int *err = calls[seen[i - 1]].errs; *err; err++) {
			base = count_fds();
			p->setup(&w);
			fds = count_fds();
			arm(i, *err);
			ret = p->call(&w);
			disarm();
			if (!f.fired) { /* a shorter path this time: nothing to judge */
				p->teardown(&w);
				continue;
			}
			injected++;
			if (ret == 0) {
				/* the library went another way (a fallback): only
				 * where the path has one, and it leaks nothing */
				ck_assert_msg(p->absorbable & BIT(seen[i - 1]),
					      "%s, call %u (%s) failing with %d: "
					      "swallowed, the call succeeded", p->name, i,
					      calls[seen[i - 1]].name, *err);
				absorbed++;
				printf("  absorbed: call %u (%s) failing with %s\n", i,
				       calls[seen[i - 1]].name, strerror(*err));
				p->teardown(&w);
				ck_assert_msg(count_fds() == base, "%s, call %u (%s) "
					      "absorbed: %d fds leaked", p->name, i,
					      calls[seen[i - 1]].name, count_fds() - base);
				continue;
			}
			ck_assert_msg(ret == expected(seen[i - 1], *err),
				      "%s, call %u (%s) failing with %d: returned %d (%s)",
				      p->name, i, calls[seen[i - 1]].name, *err, ret,
				      liveupdate_last_error());
			ck_assert_msg(liveupdate_last_error()[0], "%s, call %u (%s): "
				      "no advice", p->name, i, calls[seen[i - 1]].name);
			ck_assert_msg(count_fds() == fds, "%s, call %u (%s) failing with "
				      "%d: %d fds leaked", p->name, i, calls[seen[i - 1]].name,
				      *err, count_fds() - fds);
			p->unchanged(&w);
			p->teardown(&w);
			ck_assert_int_eq(count_fds(), base);
		}
	}
	printf("%s: %u calls, %u faults absorbed by a fallback\n", p->name, n,
	       absorbed - before);
}

START_TEST(test_sweep)
{
	sweep(&paths[_i]);
}
END_TEST

START_TEST(test_sweep_netns)
{
	sweep(&netns_paths[_i]);
}
END_TEST

START_TEST(test_report)
{
	/* run last, in this process (CK_FORK=no under valgrind and here) */
	printf("system call and netlink faults injected: %u (%u absorbed by a "
	       "fallback, the others failed the call as they should)\n", injected,
	       absorbed);
	ck_assert_uint_gt(injected, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("syscall-faults");
	TCase *tc = tcase_create("sweep");
	const char *ci = getenv("CI");

	/* one process: the count of injected faults adds up across tests */
	setenv("CK_FORK", "no", 1);
	tcase_add_loop_test(tc, test_sweep, 0, (int)(sizeof(paths) / sizeof(paths[0])));
	if (unshare(CLONE_NEWNET) == 0 &&
	    system("ip link add lu-fprobe type bridge && ip link del lu-fprobe") == 0) {
		tcase_add_loop_test(tc, test_sweep_netns, 0,
				    (int)(sizeof(netns_paths) / sizeof(netns_paths[0])));
	} else if (ci && !strcmp(ci, "true")) {
		printf("ERROR (CI=true): no network namespace with bridges and taps "
		       "(root, iproute2, modprobe bridge tun): the netlink paths "
		       "cannot be swept\n");
		return 99;
	} else {
		printf("SKIP (part): no network namespace of our own (needs root): "
		       "the netlink paths are not swept\n");
	}
	tcase_add_test(tc, test_report);
	tcase_set_timeout(tc, 600);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
