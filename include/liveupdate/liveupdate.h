/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libliveupdate: keep file descriptors (guest RAM memfds, ...) across a
 * kexec-based kernel live update, through Linux's Live Update Orchestrator
 * (/dev/liveupdate, Linux 6.19 and later).
 *
 * Conventions, for every function below:
 *   - Functions that can fail return 0 (or a non-negative value where said)
 *     on success and a negative errno on failure: the errno the kernel gave,
 *     or -EINVAL for an argument the library rejected before any system
 *     call. Objects are returned through out-parameters, which are left
 *     untouched on failure.
 *   - A failure never changes anything: no object, fd or kernel state is
 *     created, closed or altered by a call that returns an error, unless its
 *     documentation says otherwise.
 *   - liveupdate_strerror() turns any return code into a sentence;
 *     liveupdate_last_error() gives the details of the calling thread's
 *     latest failure; the context's log function gets the same text.
 *   - Objects are reference counted; *_unref() accepts NULL and returns NULL
 *     once the object is freed.
 *   - Option structs start with their size; declare them with
 *     LIVEUPDATE_OPTS() so that fields added in later versions are zero.
 */
#ifndef LIVEUPDATE_LIVEUPDATE_H
#define LIVEUPDATE_LIVEUPDATE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Major, minor and micro version of the headers the program was built with. */
#define LIVEUPDATE_VERSION_MAJOR 1
#define LIVEUPDATE_VERSION_MINOR 1
#define LIVEUPDATE_VERSION_MICRO 0

/**
 * LIVEUPDATE_SESSION_NAME_MAX - longest session name, in bytes, without the
 * terminating NUL. The kernel stores 64 bytes including the NUL; longer names
 * are rejected with -EINVAL, never truncated.
 */
#define LIVEUPDATE_SESSION_NAME_MAX 63

/**
 * LIVEUPDATE_OPTS - declare an option struct with its size set and every
 * other field zero (meaning "default"), then the given designated fields:
 *
 *   LIVEUPDATE_OPTS(liveupdate_ctx_opts, opts, .device_path = "/dev/x");
 */
#define LIVEUPDATE_OPTS(TYPE, NAME, ...)                                    \
	struct TYPE NAME = { .sz = sizeof(struct TYPE), __VA_ARGS__ }

/* ------------------------------------------------------------------------ */
/* Library context                                                          */
/* ------------------------------------------------------------------------ */

/**
 * struct liveupdate_ctx - the library context (opaque).
 *
 * Holds the configuration, the log function and, once opened, the
 * /dev/liveupdate file descriptor. The kernel lets only one process hold the
 * device at a time; sessions do not need it once created or retrieved, and a
 * context that only adopts session fds handed over by another process (an
 * agent, systemd's fd store) never opens it.
 *
 * Threads: the context may be shared between threads. A session object must
 * be used by one thread at a time; distinct sessions may be used from
 * distinct threads concurrently.
 */
struct liveupdate_ctx;

/**
 * enum liveupdate_backend - what stands behind the context: the kernel or
 * the userspace simulator (liveupdate-sim(1)).
 * @LIVEUPDATE_BACKEND_DEFAULT: the kernel, unless the environment variable
 *      LIBLIVEUPDATE_BACKEND is "sim" (then the simulator, at the socket in
 *      LIBLIVEUPDATE_SIM_SOCKET if set).
 * @LIVEUPDATE_BACKEND_KERNEL: the kernel, whatever the environment says.
 * @LIVEUPDATE_BACKEND_SIM: the simulator.
 */
enum liveupdate_backend {
	LIVEUPDATE_BACKEND_DEFAULT = 0,
	LIVEUPDATE_BACKEND_KERNEL = 1,
	LIVEUPDATE_BACKEND_SIM = 2,
	_LIVEUPDATE_BACKEND_PIN = 0x7fffffff /* keeps it 32-bit */
};

/**
 * struct liveupdate_ctx_opts - options for liveupdate_ctx_new().
 * @sz: sizeof(struct liveupdate_ctx_opts), set by LIVEUPDATE_OPTS().
 * @device_path: the device to open; NULL means "/dev/liveupdate".
 * @backend: kernel or simulator; 0 (DEFAULT) means the kernel unless the
 *      environment asks for the simulator. Production code that must never
 *      be simulated sets LIVEUPDATE_BACKEND_KERNEL.
 * @sim_socket: the simulator's socket; NULL means LIBLIVEUPDATE_SIM_SOCKET
 *      or the simulator's default: /run/liveupdate-sim/socket for root,
 *      $XDG_RUNTIME_DIR/liveupdate-sim/socket for other users, or
 *      /tmp/liveupdate-sim-UID/socket when XDG_RUNTIME_DIR is not set (the
 *      daemon keeps its directory private: mode 0700, its own user).
 *      Ignored for the kernel. See liveupdate-sim(1).
 *
 * Since: 1.0
 */
struct liveupdate_ctx_opts {
	size_t sz;
	const char *device_path;
	enum liveupdate_backend backend;
	const char *sim_socket;
	size_t :0;
};

/**
 * liveupdate_ctx_new - create a library context.
 * @opts: options, or NULL for the defaults.
 * @ctxp: where to store the new context (reference count 1).
 *
 * Does not open the device; see liveupdate_ctx_open_device(). The log
 * priority starts at LOG_ERR, or at the level named by the environment
 * variable LIBLIVEUPDATE_LOG ("err", "info", "debug" or a syslog number).
 *
 * The backend is chosen here, once: see enum liveupdate_backend. The
 * simulator is announced to the log function at LOG_NOTICE whatever the
 * log priority, so that nobody runs simulated without knowing; the kernel
 * is logged at LOG_DEBUG. With the simulator, the daemon is asked once
 * whether it answers, so that a simulator that is not running fails here.
 *
 * Returns: 0, or -EINVAL (NULL @ctxp, @opts with a bad size or unknown
 * non-zero fields from a newer library version, empty @device_path, an
 * unknown backend, LIBLIVEUPDATE_BACKEND neither "kernel" nor "sim"),
 * -ENOMEM, or for the simulator an error reaching it (-ENOENT,
 * -ECONNREFUSED: liveupdate-sim is not running; -EACCES: it runs as
 * another user).
 * Since: 1.0
 */
int liveupdate_ctx_new(const struct liveupdate_ctx_opts *opts,
		       struct liveupdate_ctx **ctxp);

/**
 * liveupdate_ctx_ref - take a reference on @ctx.
 * Returns: @ctx (NULL if @ctx is NULL).
 * Since: 1.0
 */
struct liveupdate_ctx *liveupdate_ctx_ref(struct liveupdate_ctx *ctx);

/**
 * liveupdate_ctx_unref - drop a reference on @ctx; the last one closes the
 * device fd (sessions are not affected) and frees the context.
 * Returns: NULL once freed or when @ctx is NULL, @ctx otherwise.
 * Since: 1.0
 */
struct liveupdate_ctx *liveupdate_ctx_unref(struct liveupdate_ctx *ctx);

/**
 * liveupdate_log_fn - a log function: @priority is a syslog level
 * (LOG_ERR ... LOG_DEBUG); @file, @line and @fn locate the message in the
 * library's source; @format and @args are printf-style.
 *
 * With GCC and Clang the type carries format(printf, 6, 0), so a logger
 * declared with that attribute (as -Wmissing-format-attribute asks) is
 * accepted by builds with -Werror=format.
 */
#if defined(__GNUC__) || defined(__clang__)
#define LIVEUPDATE_LOG_FORMAT_ __attribute__((format(printf, 6, 0)))
#else
#define LIVEUPDATE_LOG_FORMAT_
#endif
typedef void (*liveupdate_log_fn)(void *data, int priority, const char *file,
				  int line, const char *fn, const char *format,
				  va_list args) LIVEUPDATE_LOG_FORMAT_;
#undef LIVEUPDATE_LOG_FORMAT_

/**
 * liveupdate_ctx_set_log_fn - route the context's messages to @fn.
 * @fn: the new log function, or NULL to silence the library.
 * @data: passed to @fn as its first argument.
 *
 * The default writes "libliveupdate: <message>" to stderr.
 * Returns: nothing; a NULL @ctx is ignored.
 * Since: 1.0
 */
void liveupdate_ctx_set_log_fn(struct liveupdate_ctx *ctx, liveupdate_log_fn fn,
			       void *data);

/**
 * liveupdate_ctx_get_log_priority - the highest syslog priority still logged.
 * Returns: the priority, or -EINVAL if @ctx is NULL.
 * Since: 1.0
 */
int liveupdate_ctx_get_log_priority(const struct liveupdate_ctx *ctx);

/**
 * liveupdate_ctx_set_log_priority - log messages up to syslog @priority
 * (LOG_EMERG 0 ... LOG_DEBUG 7).
 * Returns: nothing; a NULL @ctx is ignored.
 * Since: 1.0
 */
void liveupdate_ctx_set_log_priority(struct liveupdate_ctx *ctx, int priority);

/**
 * liveupdate_ctx_open_device - open the device now, if not yet open.
 *
 * Session creation and retrieval open it on demand; call this to learn
 * early whether live update is usable here. After a simulated kexec
 * (liveupdate-sim reboot, or liveupdate_kexec_reboot() on the simulator),
 * which closes the device under the context, they open it again by
 * themselves; sessions of the previous boot are dead (-EBADF): retrieve
 * them again.
 *
 * Returns: 0 (also when already open), or
 *  -ENOENT  no device: the kernel lacks CONFIG_LIVEUPDATE or was not booted
 *           with liveupdate=on (and KHO enabled);
 *  -EBUSY   another open file holds the device (another process, or another
 *           context of this process);
 *  -EACCES  the device node's mode forbids it;
 *  -ENOTTY  the file opens but is not the live update device (a regular
 *           file, /dev/null, another driver's device: it does not answer
 *           the Live Update Orchestrator's requests);
 *  -EIO     the kernel could not read the state handed over by the previous
 *           kernel: nothing can be retrieved in this boot.
 * Since: 1.0
 */
int liveupdate_ctx_open_device(struct liveupdate_ctx *ctx);

/**
 * liveupdate_ctx_close_device - close the device fd so that another process
 * can open it. Sessions already created or retrieved keep working.
 * Returns: nothing; a NULL @ctx or a device not open is ignored.
 * Since: 1.0
 */
void liveupdate_ctx_close_device(struct liveupdate_ctx *ctx);

/**
 * liveupdate_ctx_get_backend - the backend this context uses.
 * Returns: LIVEUPDATE_BACKEND_KERNEL or LIVEUPDATE_BACKEND_SIM (never
 * DEFAULT), or 0 if @ctx is NULL.
 * Since: 1.0
 */
enum liveupdate_backend liveupdate_ctx_get_backend(const struct liveupdate_ctx *ctx);

/**
 * liveupdate_ctx_get_device_path - the path of the device this context opens.
 * Returns: the path, or NULL if @ctx is NULL.
 * Since: 1.0
 */
const char *liveupdate_ctx_get_device_path(const struct liveupdate_ctx *ctx);

/* ------------------------------------------------------------------------ */
/* Sessions                                                                 */
/* ------------------------------------------------------------------------ */

/**
 * struct liveupdate_session - a named group of preserved files (opaque).
 *
 * An OUTGOING session is created in this kernel to carry files into the
 * next one. An INCOMING session was created by the previous kernel and is
 * retrieved in this one.
 *
 * The kernel's rule, which this library cannot change: the session lives as
 * long as its file descriptor. Closing the last fd of an OUTGOING session
 * (liveupdate_session_unref() of the last reference, process exit, ...)
 * ABORTS its preservation: every file in it is unpreserved and the name is
 * freed. Closing the last fd of an INCOMING session FINISHES it: files not
 * yet retrieved are dropped. Keep outgoing session fds open across the
 * kexec reboot.
 */
struct liveupdate_session;

/**
 * enum liveupdate_session_direction - which way a session goes.
 * @LIVEUPDATE_SESSION_OUTGOING: created here, for the next kernel.
 * @LIVEUPDATE_SESSION_INCOMING: handed over by the previous kernel.
 */
enum liveupdate_session_direction {
	LIVEUPDATE_SESSION_OUTGOING = 1,
	LIVEUPDATE_SESSION_INCOMING = 2,
	_LIVEUPDATE_SESSION_DIRECTION_PIN = 0x7fffffff /* keeps it 32-bit */
};

/**
 * liveupdate_session_create - create an outgoing session.
 * @name: 1 to %LIVEUPDATE_SESSION_NAME_MAX bytes, unique among this
 *        kernel's outgoing sessions.
 * @sessionp: where to store the new session.
 *
 * Opens the device first if needed; it then stays open with the context,
 * also when the kernel refuses the request. The session gets a manifest,
 * made only once something is recorded in it (see "Manifest" below and
 * liveupdate_session_create_opts()).
 * Returns: 0, or -EINVAL (NULL/empty/too long @name, NULL pointer),
 * -EEXIST (an outgoing session of that name is open), -EMFILE, -ENOMEM,
 * or an error of liveupdate_ctx_open_device().
 * Since: 1.0
 */
int liveupdate_session_create(struct liveupdate_ctx *ctx, const char *name,
			      struct liveupdate_session **sessionp);

/**
 * liveupdate_session_retrieve - retrieve an incoming session by name.
 * @name: the name the session had in the previous kernel.
 * @sessionp: where to store the session.
 *
 * Returns: 0, or -EINVAL (bad argument, or the session was already
 * retrieved and is still open), -ENOENT (no incoming session of that name:
 * a cold boot, a session closed before the kexec, or one already finished),
 * or an error of liveupdate_ctx_open_device().
 * Since: 1.0
 */
int liveupdate_session_retrieve(struct liveupdate_ctx *ctx, const char *name,
				struct liveupdate_session **sessionp);

/**
 * liveupdate_session_adopt - wrap a session fd opened by someone else.
 * @fd: a session file descriptor, for instance received over a Unix socket
 *      from an agent or taken from systemd's fd store.
 * @sessionp: where to store the session.
 *
 * The name is read with the kernel's GET_NAME; the direction is found with a
 * request that fails without side effects. On success the session owns @fd
 * and closes it when its last reference goes; on failure @fd is left open
 * and untouched. Does not open the device.
 *
 * Returns: 0, or -EINVAL (@fd negative, NULL pointer), -EBADF (@fd is not
 * open), -ENOTTY (@fd is not a live update session).
 * Since: 1.0
 */
int liveupdate_session_adopt(struct liveupdate_ctx *ctx, int fd,
			     struct liveupdate_session **sessionp);

/**
 * liveupdate_session_ref - take a reference on @session.
 * Returns: @session.
 * Since: 1.0
 */
struct liveupdate_session *
liveupdate_session_ref(struct liveupdate_session *session);

/**
 * liveupdate_session_unref - drop a reference; the last one closes the
 * session fd, which aborts an outgoing session and finishes an incoming one
 * (see struct liveupdate_session).
 * Returns: NULL once freed or when @session is NULL, @session otherwise.
 * Since: 1.0
 */
struct liveupdate_session *
liveupdate_session_unref(struct liveupdate_session *session);

/**
 * liveupdate_session_get_fd - the session's file descriptor (O_CLOEXEC),
 * still owned by the session: dup() it to hand it to another process.
 * Returns: the fd, or -EINVAL if @session is NULL.
 * Since: 1.0
 */
int liveupdate_session_get_fd(const struct liveupdate_session *session);

/**
 * liveupdate_session_get_name - the session's full name, as the kernel
 * holds it (read back with GET_NAME for adopted sessions).
 * Returns: a NUL-terminated string valid while @session lives, or NULL if
 * @session is NULL.
 * Since: 1.0
 */
const char *liveupdate_session_get_name(const struct liveupdate_session *session);

/**
 * liveupdate_session_get_direction - OUTGOING or INCOMING.
 * Returns: the direction, or 0 (no direction) if @session is NULL.
 * Since: 1.0
 */
enum liveupdate_session_direction
liveupdate_session_get_direction(const struct liveupdate_session *session);

/**
 * liveupdate_session_is_finished - whether liveupdate_session_finish()
 * succeeded on this session.
 * Returns: 1 or 0, or -EINVAL if @session is NULL.
 * Since: 1.0
 */
int liveupdate_session_is_finished(const struct liveupdate_session *session);

/**
 * liveupdate_session_finish - end an incoming session's restoration.
 *
 * After it the retrieved files belong to userspace; tokens never retrieved
 * are dropped by the kernel. The session fd stays open until unref.
 * Returns: 0, or -EINVAL (@session is outgoing), -EBUSY (a file handler in
 * the kernel is not ready: retry later), or another kernel error.
 * Since: 1.0
 */
int liveupdate_session_finish(struct liveupdate_session *session);

/* ------------------------------------------------------------------------ */
/* Files                                                                    */
/* ------------------------------------------------------------------------ */

/**
 * liveupdate_session_preserve_fd - preserve a file in an outgoing session.
 * @fd: the file; the kernel (up to at least 7.3) accepts memfds and other
 *      unlinked shmem files, but not MFD_HUGETLB memfds.
 * @token: any 64-bit value unique in this session; needed to retrieve the
 *      file after the update.
 *
 * The kernel allocates and pins every page of the file now, so this costs
 * time and memory before the reboot, not during it. From then on the file's
 * size is frozen (ftruncate, fallocate, writes past the end fail with
 * EPERM); reads, writes in place and mmap keep working and later writes
 * are carried over. There is no way to unpreserve one file: close the
 * session to abort them all.
 *
 * The file is preserved by token alone: nothing is recorded in the
 * session's manifest (to find it by label, see
 * liveupdate_session_preserve_fd_opts()), and the call costs what the
 * kernel's ioctl costs.
 *
 * The kernel allocates every hole of a shmem file when it preserves it: a
 * file with more never-written bytes than this process can get
 * (MemAvailable, memory cgroup limits; holes under 16 MiB are not checked)
 * is refused with -ENOMEM before the kernel is asked.
 *
 * Returns: 0, or -EINVAL (@fd negative, incoming session, @token is one of
 * the LIVEUPDATE_MANIFEST_TOKENS from LIVEUPDATE_MANIFEST_TOKEN on),
 * -EEXIST (@token already used in this session), -EBADF (@fd not open),
 * -ENOENT (the kernel cannot preserve this kind of file), -EBUSY (the file
 * is already preserved in some session), -EOPNOTSUPP (the memfd has a seal
 * the kernel cannot carry), -EFBIG, -ENOMEM (also: a sparse file whose
 * holes this process cannot get).
 * Since: 1.0
 */
int liveupdate_session_preserve_fd(struct liveupdate_session *session, int fd,
				   uint64_t token);

/**
 * liveupdate_session_retrieve_fd - get back a file of an incoming session.
 * @token: the token the file was preserved with.
 * @fdp: where to store the new fd (O_CLOEXEC), owned by the caller.
 *
 * Retrieving the same token again gives a new fd to the same file. The
 * restored memfd keeps its contents, size, seals and file position.
 * Since 1.1, an outgoing session that keeps its files (created with
 * LIVEUPDATE_SESSION_HANDOVER, or received with
 * liveupdate_session_receive()) gives a new fd of the file preserved under
 * @token, and -ENOENT for a token it does not hold.
 * Returns: 0, or -EINVAL (@session outgoing and not keeping its files, or
 * handed over; NULL @fdp), -ENOENT (no such
 * token, or the session is finished), -EMFILE; a failed retrieve of a token
 * fails the same way every time after.
 * Since: 1.0
 */
int liveupdate_session_retrieve_fd(struct liveupdate_session *session,
				   uint64_t token, int *fdp);

/* ------------------------------------------------------------------------ */
/* Kexec                                                                    */
/* ------------------------------------------------------------------------ */

/**
 * struct liveupdate_kexec_opts - options for liveupdate_kexec_load().
 * @sz: sizeof(struct liveupdate_kexec_opts), set by LIVEUPDATE_OPTS().
 * @initrd_path: initramfs for the new kernel, or NULL for none.
 * @cmdline: the new kernel's command line; NULL means the running kernel's
 *      (/proc/cmdline).
 *
 * Since: 1.0
 */
struct liveupdate_kexec_opts {
	size_t sz;
	const char *initrd_path;
	const char *cmdline;
	size_t :0;
};

/**
 * liveupdate_kexec_load - load the next kernel with kexec_file_load(2).
 * @kernel_path: the kernel image (bzImage).
 * @opts: options, or NULL.
 *
 * Needs CAP_SYS_BOOT. The image must be signed if the kernel demands it.
 * Returns: 0, or -EINVAL (bad argument, command line over 4095 bytes), an
 * error of open(2) on the files, or of kexec_file_load(2) (-EPERM without
 * CAP_SYS_BOOT, -ENOEXEC for an image the kernel cannot boot, -EBUSY).
 * Since: 1.0
 */
int liveupdate_kexec_load(struct liveupdate_ctx *ctx, const char *kernel_path,
			  const struct liveupdate_kexec_opts *opts);

/**
 * liveupdate_kexec_reboot - reboot into the loaded kernel now.
 *
 * Outgoing sessions whose fds are open at this moment are handed over.
 * Syncs file systems first. On the real kernel it only returns on failure;
 * a simulated kexec (a simulator backend) returns 0 and the process goes on
 * as if in the new kernel.
 * Returns: a negative errno (-EINVAL when no kernel is loaded, -EPERM), or
 * 0 after a simulated kexec.
 * Since: 1.0
 */
int liveupdate_kexec_reboot(struct liveupdate_ctx *ctx);

/* ------------------------------------------------------------------------ */
/* Errors                                                                   */
/* ------------------------------------------------------------------------ */

/**
 * liveupdate_strerror - a sentence for a return code of this library, saying
 * what it means here and what to do about it.
 * @err: a return code (negative errno; the sign is ignored; 0 is success).
 *
 * Knowing only the code, it lists what the code can mean across the
 * library (-EBADMSG: a damaged session manifest or network device record;
 * -ENOSPC: a full manifest or tmpfs); liveupdate_last_error() gives the
 * advice for the call that failed, chosen by the call and the code.
 * Returns: a static string, never NULL.
 * Since: 1.0
 */
const char *liveupdate_strerror(int err);

/**
 * liveupdate_last_error - the calling thread's latest failure in detail:
 * which call, which object, the errno, and what to do (for example which
 * process holds the device on -EBUSY).
 * Returns: a thread-local string valid until this thread's next call into
 * the library; "" when no call of this thread has failed yet.
 * Since: 1.0
 */
const char *liveupdate_last_error(void);

/**
 * liveupdate_version - the library's version at run time.
 * Returns: a static string such as "1.0.0".
 * Since: 1.0
 */
const char *liveupdate_version(void);

/* ------------------------------------------------------------------------ */
/* Guest memory                                                             */
/* ------------------------------------------------------------------------ */

/**
 * struct liveupdate_memory - a shared-memory file (guest RAM) that can be
 * preserved across a live update (opaque, reference counted).
 *
 * It owns one file descriptor: a memfd, an unlinked file on a tmpfs, or a
 * HugeTLB memfd. It knows its size, the backing it actually got, its page
 * size and why that backing was chosen; it can map itself, populate its
 * pages on several threads, measure how much of it sits in huge pages, be
 * preserved in a session under a token, and be retrieved as the same kind
 * of object after the update.
 *
 * Threads: one object must be used by one thread at a time, except
 * liveupdate_memory_populate(), which runs its own threads.
 */
struct liveupdate_memory;

/* Declared in the Manifest section below; preserving memory with a label
 * takes it. */
struct liveupdate_preserve_opts;

/**
 * enum liveupdate_memory_backing - which pages back the memory.
 * @LIVEUPDATE_MEMORY_AUTO: the largest pages this kernel can preserve, in
 *      this order: HugeTLB if the kernel preserves it (asked with
 *      liveupdate_memory_probe()) and the pool has enough free pages; shmem
 *      transparent huge pages on a memfd with MADV_HUGEPAGE if the shmem THP
 *      policy allows it; an unlinked file (O_TMPFILE) on a tmpfs mounted
 *      huge=always or huge=within_size with room for the size (free space
 *      from statvfs(3); a tmpfs too small is passed over, its reason kept);
 *      4 KiB shmem. Only in options: an object always reports what it got.
 * @LIVEUPDATE_MEMORY_SHMEM: a memfd in 4 KiB pages.
 * @LIVEUPDATE_MEMORY_THP: shmem in transparent huge pages (PMD size, 2 MiB
 *      on x86-64), from a memfd or a huge tmpfs. Preserved as one entry per
 *      huge page: 512 times fewer entries than 4 KiB pages (measured at 1 GiB:
 *      50 to 250 times faster to preserve, 55 to 100 times faster to
 *      retrieve; see doc/performance.md).
 *      Under the shmem policy 'advise', a memfd gets huge pages only where
 *      they are faulted through a mapping with MADV_HUGEPAGE: populate with
 *      liveupdate_memory_populate() or through liveupdate_memory_map(), or
 *      madvise() your own mappings, and do so before preserving (pages the
 *      kernel allocates itself at preserve time are 4 KiB).
 * @LIVEUPDATE_MEMORY_HUGETLB: a HugeTLB memfd (MFD_HUGETLB) with a page
 *      size of 2 MiB or 1 GiB. Linux 7.3 cannot preserve it.
 */
enum liveupdate_memory_backing {
	LIVEUPDATE_MEMORY_AUTO = 0,
	LIVEUPDATE_MEMORY_SHMEM = 1,
	LIVEUPDATE_MEMORY_THP = 2,
	LIVEUPDATE_MEMORY_HUGETLB = 3,
	_LIVEUPDATE_MEMORY_BACKING_PIN = 0x7fffffff /* keeps it 32-bit */
};

/**
 * LIVEUPDATE_MEMORY_TMPFS_PATH - where AUTO looks for a tmpfs mounted with
 * huge pages when the options name none. The library never mounts it: the
 * administrator does, for instance with
 *   mount -t tmpfs -o huge=always,mode=0700 liveupdate-huge /run/liveupdate/huge
 * or with the systemd unit doc/run-liveupdate-huge.mount.
 */
#define LIVEUPDATE_MEMORY_TMPFS_PATH "/run/liveupdate/huge"

/**
 * LIVEUPDATE_MEMORY_SEALS_NONE - a value of liveupdate_memory_opts.seals
 * asking for no seal at all (0 means the default seals).
 */
#define LIVEUPDATE_MEMORY_SEALS_NONE 0x80000000u

/**
 * liveupdate_memory_progress_fn - called from the thread that called
 * liveupdate_memory_populate() (or liveupdate_memory_move_to_thp()) as the
 * work goes on: @done of @total bytes. Return 0 to go on, anything else to
 * stop the work (the call then returns -ECANCELED).
 */
typedef int (*liveupdate_memory_progress_fn)(void *data, uint64_t done,
					     uint64_t total);

/**
 * struct liveupdate_memory_opts - options for liveupdate_memory_new().
 * @sz: sizeof(struct liveupdate_memory_opts), set by LIVEUPDATE_OPTS().
 * @size: bytes; required. Must be a multiple of the page size of the
 *      backing (4 KiB, the THP size, or the HugeTLB page size); it is never
 *      rounded: a wrong size is rejected with the nearest valid sizes.
 * @backing: AUTO (0) or a backing to insist on.
 * @page_size: HugeTLB page size in bytes (2 MiB, 1 GiB...); 0 means the
 *      kernel's default huge page size. For SHMEM and THP it must be 0 or
 *      their page size.
 * @name: the memfd's name (shown in /proc/PID/fd); NULL means
 *      "liveupdate-memory". At most 249 bytes.
 * @seals: F_SEAL_* bits added to the memfd; 0 means the seals of QEMU's
 *      memory-backend-memfd (F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL),
 *      LIVEUPDATE_MEMORY_SEALS_NONE means none. F_SEAL_WRITE and
 *      F_SEAL_FUTURE_WRITE are refused (guest memory must stay writable).
 *      A file on a tmpfs cannot be sealed: AUTO skips the tmpfs step when
 *      seals are asked for explicitly, and with the default seals the file
 *      simply has none (liveupdate_memory_get_seals() says so).
 * @populate: non-zero: allocate every page before returning, as
 *      liveupdate_memory_populate() does.
 * @populate_threads: threads for populating; 0 means one per online CPU
 *      (at most 16).
 * @tmpfs_path: a directory on a tmpfs mounted huge=always (or
 *      within_size), for the AUTO step after THP memfds and for THP when the
 *      shmem policy does not allow huge memfds; NULL means
 *      %LIVEUPDATE_MEMORY_TMPFS_PATH, used only if it is such a mount.
 * @progress: called while populating (see liveupdate_memory_progress_fn);
 *      NULL for none.
 * @progress_data: first argument of @progress.
 * @host_root: the directory where /proc and /sys are read for the policy,
 *      the pools and the mounts; NULL means "/". For tests and containers.
 *
 * Since: 1.0
 */
struct liveupdate_memory_opts {
	size_t sz;
	uint64_t size;
	enum liveupdate_memory_backing backing;
	unsigned int seals;
	uint64_t page_size;
	const char *name;
	int populate;
	unsigned int populate_threads;
	const char *tmpfs_path;
	liveupdate_memory_progress_fn progress;
	void *progress_data;
	const char *host_root;
	size_t :0;
};

/**
 * liveupdate_memory_new - allocate guest memory that can survive a live
 * update.
 * @opts: options; required (at least @size).
 * @memp: where to store the new object (reference count 1).
 *
 * For AUTO the choice and its reason are logged at LOG_INFO and kept for
 * liveupdate_memory_get_reason(). A HugeTLB pool too small for @size fails
 * before anything is allocated, naming the missing page count and the
 * sysfs file to raise. With @populate, memory other than HugeTLB is
 * first compared with what this process can get: MemAvailable of
 * /proc/meminfo, lowered by the headroom of each memory cgroup above it
 * (v2 memory.max - memory.current, v1 memory.limit_in_bytes -
 * memory.usage_in_bytes, plus its inactive file cache); more than that
 * fails with -ENOMEM, naming the numbers, before a page is allocated,
 * instead of a visit from the OOM killer. THP asked for that only a huge
 * tmpfs with too little free space could give fails with -ENOSPC.
 * Asking AUTO may open the device (for the HugeTLB
 * probe); it then stays open with the context, as after
 * liveupdate_session_create().
 *
 * Returns: 0, or -EINVAL (NULL argument, bad options, a size that is zero
 * or not a multiple of the page size: the message gives the nearest valid
 * sizes), -ENOMEM (HugeTLB pool too small, @populate asking for more than
 * this process can get, out of memory while populating: the message says
 * which and what to do), -ENOSPC (THP only from a huge tmpfs without room
 * for @size), -EOPNOTSUPP (the backing asked for is not available here:
 * no THP for shmem, no such HugeTLB page size),
 * -ECANCELED (the progress function stopped the populate), or an error of
 * memfd_create(2), open(2), ftruncate(2) or fcntl(2).
 * Since: 1.0
 */
int liveupdate_memory_new(struct liveupdate_ctx *ctx,
			  const struct liveupdate_memory_opts *opts,
			  struct liveupdate_memory **memp);

/**
 * liveupdate_memory_from_fd - wrap a shared-memory fd, for instance one
 * retrieved with liveupdate_session_retrieve_fd().
 * @fd: a memfd, a file on a tmpfs, or a file on hugetlbfs.
 * @memp: where to store the object.
 *
 * The backing is detected: hugetlbfs gives HUGETLB with its page size;
 * shmem gives THP when huge pages back part of its first 16 huge-page-sized
 * blocks (measured as with liveupdate_memory_huge_bytes(), but bounded),
 * SHMEM otherwise. That is measured here, once (under a millisecond
 * whatever the size: only those blocks are looked at); the getters then
 * only read what the object holds. liveupdate_memory_retrieve_label() takes
 * the backing from the manifest and measures nothing. On success the object
 * owns @fd and closes it with its last reference; on failure @fd is left
 * open and untouched.
 *
 * Returns: 0, or -EINVAL (NULL pointer, negative @fd, @fd not a shared
 * memory file), -EBADF, -ENOMEM.
 * Since: 1.0
 */
int liveupdate_memory_from_fd(struct liveupdate_ctx *ctx, int fd,
			      struct liveupdate_memory **memp);

/**
 * liveupdate_memory_ref - take a reference on @mem.
 * Returns: @mem.
 * Since: 1.0
 */
struct liveupdate_memory *liveupdate_memory_ref(struct liveupdate_memory *mem);

/**
 * liveupdate_memory_unref - drop a reference; the last one unmaps the
 * object's mapping and closes its fd (the memory itself lives on while a
 * session preserves it or another mapping or fd uses it).
 * Returns: NULL once freed or when @mem is NULL, @mem otherwise.
 * Since: 1.0
 */
struct liveupdate_memory *liveupdate_memory_unref(struct liveupdate_memory *mem);

/**
 * liveupdate_memory_get_fd - the memory's file descriptor (O_CLOEXEC), still
 * owned by the object: dup() it to keep it beyond the object.
 * Returns: the fd, or -EINVAL if @mem is NULL.
 * Since: 1.0
 */
int liveupdate_memory_get_fd(const struct liveupdate_memory *mem);

/**
 * liveupdate_memory_get_size - the size in bytes.
 * Returns: the size, or 0 if @mem is NULL.
 * Since: 1.0
 */
uint64_t liveupdate_memory_get_size(const struct liveupdate_memory *mem);

/**
 * liveupdate_memory_get_backing - the backing the object actually got
 * (never AUTO).
 * Returns: SHMEM, THP or HUGETLB, or AUTO (0) if @mem is NULL.
 * Since: 1.0
 */
enum liveupdate_memory_backing
liveupdate_memory_get_backing(const struct liveupdate_memory *mem);

/**
 * liveupdate_memory_get_page_size - the page size of the backing: 4096 for
 * SHMEM, the THP size for THP, the HugeTLB page size for HUGETLB.
 * Returns: bytes, or 0 if @mem is NULL.
 * Since: 1.0
 */
uint64_t liveupdate_memory_get_page_size(const struct liveupdate_memory *mem);

/**
 * liveupdate_memory_get_seals - the seals the file has (F_GET_SEALS).
 * Returns: the F_SEAL_* bits, or a negative errno.
 * Since: 1.0
 */
int liveupdate_memory_get_seals(const struct liveupdate_memory *mem);

/**
 * liveupdate_memory_get_reason - why the object has its backing: for AUTO
 * each step that was passed over and why, then what was taken; for
 * liveupdate_memory_from_fd() what was detected and how.
 * Returns: a sentence valid while @mem lives, or NULL if @mem is NULL.
 * Since: 1.0
 */
const char *liveupdate_memory_get_reason(const struct liveupdate_memory *mem);

/**
 * liveupdate_memory_map - map the whole memory, shared and read-write, at
 * an address aligned to its page size (so huge pages can be mapped as
 * such), with MADV_HUGEPAGE for THP. A second call returns the same
 * mapping.
 * @addrp: where to store the address.
 * Returns: 0, or -EINVAL, or an error of mmap(2) (-ENOMEM: for HugeTLB the
 * pool cannot reserve the pages).
 * Since: 1.0
 */
int liveupdate_memory_map(struct liveupdate_memory *mem, void **addrp);

/**
 * liveupdate_memory_unmap - remove the mapping made by
 * liveupdate_memory_map(); the contents stay in the file.
 * Returns: 0 (also when not mapped), or -EINVAL if @mem is NULL.
 * Since: 1.0
 */
int liveupdate_memory_unmap(struct liveupdate_memory *mem);

/**
 * liveupdate_memory_populate - allocate every page now, on @threads threads.
 * @threads: 0 means the object's populate_threads option, else one per
 *      online CPU (at most 16).
 *
 * Uses MADV_POPULATE_WRITE (Linux 5.14) on the object's mapping (or a
 * temporary one), split in chunks across the threads; on kernels without
 * it, fallocate(2) then a read-and-rewrite of one byte per page. Contents
 * are kept, but nothing else may write the memory meanwhile. Pages not yet
 * allocated that this process cannot get (see liveupdate_memory_new():
 * MemAvailable and memory cgroup limits) fail with -ENOMEM before the
 * first one is allocated. Running out of memory on the way gives -ENOMEM
 * with the offset and the reason (pool exhausted, tmpfs full), never
 * SIGBUS. The progress function of the options is called from this thread.
 *
 * Returns: 0, or -EINVAL, -ENOMEM, -ECANCELED (the progress function said
 * stop), -EHWPOISON, or an error of mmap(2).
 * Since: 1.0
 */
int liveupdate_memory_populate(struct liveupdate_memory *mem,
			       unsigned int threads);

/**
 * liveupdate_memory_huge_bytes - how many bytes are backed by huge pages,
 * measured. Shmem: the memory is mapped read-only at an aligned address,
 * each resident huge-page-sized block (mincore(2)) is read once, which
 * maps a huge page with one PMD entry, and ShmemPmdMapped of that mapping
 * is read from /proc/self/smaps; nothing is allocated, and smaller
 * multi-size THP folios are not counted. HugeTLB: the pages the file holds
 * (its block count in fstat(2)), all of them huge.
 * @bytes: where to store the count.
 * Returns: 0, or -EINVAL, or an error of mmap(2), mincore(2) or reading
 * /proc/self/smaps.
 * Since: 1.0
 */
int liveupdate_memory_huge_bytes(struct liveupdate_memory *mem,
				 uint64_t *bytes);

/**
 * liveupdate_memory_preserve - preserve the memory in an outgoing session.
 * @token: the token to retrieve it with after the update.
 *
 * liveupdate_memory_preserve_opts() with this token and no label: the
 * session's manifest records it as LIVEUPDATE_ENTRY_MEMORY with its backing
 * and page size. From then on its size is frozen, and every page not yet
 * allocated is allocated now (in 4 KiB pages for a THP memfd under the
 * policy 'advise': populate first).
 * Returns: what liveupdate_session_preserve_fd() returns; -ENOENT for
 * HugeTLB on kernels that cannot preserve it.
 * Since: 1.0
 */
int liveupdate_memory_preserve(struct liveupdate_memory *mem,
			       struct liveupdate_session *session,
			       uint64_t token);

/**
 * liveupdate_memory_preserve_opts - preserve the memory in an outgoing
 * session as a manifest entry of kind LIVEUPDATE_ENTRY_MEMORY, with its
 * backing and page size, and the label, metadata and token of @opts.
 * @opts: as for liveupdate_session_preserve_fd_opts(), or NULL (no label,
 *      a token chosen by the library). @opts->kind, ->backing and
 *      ->page_size are filled from @mem: leave them 0 (values equal to the
 *      object's are accepted, others refused).
 * @tokenp: where to store the token used, or NULL.
 *
 * Find it after the update with liveupdate_memory_retrieve_label().
 * Returns: 0, or -EINVAL (NULL @mem or @session, bad @opts, a kind,
 * backing or page size that contradicts @mem), or the errors of
 * liveupdate_session_preserve_fd_opts(); -ENOENT for HugeTLB on kernels
 * that cannot preserve it.
 * Since: 1.0
 */
int liveupdate_memory_preserve_opts(struct liveupdate_memory *mem,
				    struct liveupdate_session *session,
				    const struct liveupdate_preserve_opts *opts,
				    uint64_t *tokenp);

/**
 * liveupdate_memory_retrieve_label - get back memory of an incoming session
 * by its manifest label, as an object.
 * @label: the label it was preserved with.
 * @memp: where to store the object.
 *
 * For an entry of kind LIVEUPDATE_ENTRY_MEMORY the object has the backing
 * and page size the manifest recorded, without measuring the pages (cheap
 * in the guest's pause), once the file agrees: HugeTLB must be a hugetlbfs
 * file of that page size, SHMEM and THP a shmem file. When it does not, the
 * file wins: the backing is detected, a warning is logged and
 * liveupdate_memory_get_reason() says so. Other kinds (a memfd preserved
 * with liveupdate_session_preserve_fd_opts()) are detected as by
 * liveupdate_memory_from_fd().
 * Returns: 0, or -EINVAL (NULL argument), -EBADMSG (the entry records a
 * backing this library does not know: nothing is retrieved; use the
 * token), or the errors of liveupdate_session_find_entry(),
 * liveupdate_session_retrieve_fd() and liveupdate_memory_from_fd().
 * Since: 1.0
 */
int liveupdate_memory_retrieve_label(struct liveupdate_session *session,
				     const char *label,
				     struct liveupdate_memory **memp);

/**
 * liveupdate_memory_retrieve - get back memory of an incoming session as
 * an object, its backing detected as by liveupdate_memory_from_fd().
 * @token: the token it was preserved with.
 * @memp: where to store the object.
 * Returns: 0, or an error of liveupdate_session_retrieve_fd() or
 * liveupdate_memory_from_fd().
 * Since: 1.0
 */
int liveupdate_memory_retrieve(struct liveupdate_session *session,
			       uint64_t token, struct liveupdate_memory **memp);

/**
 * liveupdate_memory_probe - ask the running kernel whether it can preserve
 * memory of this backing.
 * @backing: SHMEM, THP or HUGETLB.
 * @page_size: for HUGETLB the page size (0: the default huge page size);
 *      0 otherwise.
 *
 * Creates a throwaway session, preserves a file of one page of that
 * backing (not populated) in it, then closes the session, which aborts it:
 * nothing is left behind except the device fd, which stays open with the
 * context. The answer is cached in the context; errors are not.
 * Returns: 1 (preservable), 0 (not: the kernel has no handler for it, or
 * such a file cannot be created here), or a negative errno (-EINVAL, or the
 * device could not be opened or the session created).
 * Since: 1.0
 */
int liveupdate_memory_probe(struct liveupdate_ctx *ctx,
			    enum liveupdate_memory_backing backing,
			    uint64_t page_size);

/**
 * struct liveupdate_memory_move_opts - options for
 * liveupdate_memory_move_to_thp().
 * @sz: sizeof(struct liveupdate_memory_move_opts), set by LIVEUPDATE_OPTS().
 * @threads: copying threads; 0 means one per online CPU (at most 16).
 * @release_source: non-zero: give each copied chunk of the source back to
 *      the HugeTLB pool at once (fallocate PUNCH_HOLE), so the move needs
 *      one chunk of extra memory instead of a second copy of the whole
 *      memory; the source is then destroyed as the copy goes, also if the
 *      copy fails. Holes of a shmem source stay holes; a HugeTLB source is
 *      copied whole.
 * @progress: called from the calling thread; NULL for none.
 * @progress_data: first argument of @progress.
 *
 * Since: 1.0
 */
struct liveupdate_memory_move_opts {
	size_t sz;
	unsigned int threads;
	int release_source;
	liveupdate_memory_progress_fn progress;
	void *progress_data;
	size_t :0;
};

/**
 * liveupdate_memory_move_to_thp - copy memory that the kernel cannot
 * preserve (HugeTLB) into new memory that it can: THP if possible (a huge
 * memfd or the object's huge tmpfs), else 4 KiB shmem, with the reason.
 * @src: the memory to copy; nothing may write it during the move (pause the
 *      guest).
 * @opts: options, or NULL.
 * @dstp: where to store the new object, with the same size and contents;
 *      the VMM switches to it and preserves it.
 * Returns: 0, or -EINVAL, -ENOMEM, -ECANCELED, or an error of
 * liveupdate_memory_new() or of mmap(2).
 * Since: 1.0
 */
int liveupdate_memory_move_to_thp(struct liveupdate_memory *src,
				  const struct liveupdate_memory_move_opts *opts,
				  struct liveupdate_memory **dstp);

/*
 * The host's memory, read now. liveupdate_memory_host_*() read one fact
 * from sysfs, procfs or the mount table at each call, under a root
 * directory (tests and containers point them elsewhere), and need no
 * context or device. liveupdate_state_get_shmem_thp(), _get_huge_tmpfs(),
 * _get_hugetlb_pool() and _get_backing() (State queries, below) report the
 * same facts as one liveupdate_state_query() saw them, next to whether the
 * kernel preserves each backing, which needs the device. Use the state for
 * one consistent report (liveupdate-ctl status); use these functions for a
 * single fact now, e.g. to choose a backing yourself.
 */

/**
 * enum liveupdate_thp_policy - a shmem transparent huge page policy, as in
 * /sys/kernel/mm/transparent_hugepage/shmem_enabled and its per-size
 * hugepages-<N>kB/shmem_enabled files, or a tmpfs huge= mount option.
 */
enum liveupdate_thp_policy {
	LIVEUPDATE_THP_NEVER = 0,
	LIVEUPDATE_THP_ALWAYS = 1,
	LIVEUPDATE_THP_WITHIN_SIZE = 2,
	LIVEUPDATE_THP_ADVISE = 3,
	LIVEUPDATE_THP_DENY = 4,
	LIVEUPDATE_THP_FORCE = 5,
	LIVEUPDATE_THP_INHERIT = 6,
	_LIVEUPDATE_THP_POLICY_PIN = 0x7fffffff /* keeps it 32-bit */
};

/**
 * liveupdate_memory_host_shmem_thp - the shmem THP policy.
 * @root: where /sys is read; NULL means "/".
 * @page_size: 0 for the global policy, or a THP size in bytes for that
 *      size's own policy (which may be INHERIT: then the global one rules).
 * @policyp: where to store the policy.
 * Returns: 0, or -ENOENT (no such file: a kernel without THP, or no such
 * size), -EINVAL (NULL @policyp), -EPROTO (unreadable content), or an error
 * of open(2).
 * Since: 1.0
 */
int liveupdate_memory_host_shmem_thp(const char *root, uint64_t page_size,
				     enum liveupdate_thp_policy *policyp);

/**
 * liveupdate_memory_host_thp_size - the PMD-sized transparent huge page
 * size (/sys/kernel/mm/transparent_hugepage/hpage_pmd_size).
 * @root: where /sys is read; NULL means "/".
 * Returns: 0 and *@bytes, or -ENOENT (no THP), -EINVAL, -EPROTO.
 * Since: 1.0
 */
int liveupdate_memory_host_thp_size(const char *root, uint64_t *bytes);

/**
 * liveupdate_memory_host_thp_sizes - the transparent huge page sizes that
 * have their own policy files (multi-size THP, Linux 6.8+: the directories
 * hugepages-<N>kB of /sys/kernel/mm/transparent_hugepage), smallest first;
 * pass each to liveupdate_memory_host_shmem_thp().
 * @root: where /sys is read; NULL means "/".
 * @sizes: array of @max entries filled with sizes in bytes (may be NULL
 *      when @max is 0).
 * Returns: how many sizes exist (also when more than @max), 0 on kernels
 * without per-size policies, or -EINVAL.
 * Since: 1.0
 */
int liveupdate_memory_host_thp_sizes(const char *root, uint64_t *sizes, size_t max);

/**
 * liveupdate_memory_host_hugetlb_sizes - the HugeTLB page sizes of this
 * kernel (directories of /sys/kernel/mm/hugepages), smallest first.
 * @root: where /sys is read; NULL means "/".
 * @sizes: array of @max entries filled with sizes in bytes (may be NULL
 *      when @max is 0).
 * Returns: how many sizes exist (also when more than @max), 0 when HugeTLB
 * is absent, or -EINVAL.
 * Since: 1.0
 */
int liveupdate_memory_host_hugetlb_sizes(const char *root, uint64_t *sizes,
					 size_t max);

/**
 * struct liveupdate_hugetlb_pool - one HugeTLB pool, as
 * liveupdate_memory_host_hugetlb_pool() fills it. Counts are in pages.
 * @sz: set by the caller to sizeof(struct liveupdate_hugetlb_pool); the
 *      library fills only the fields that fit.
 * @page_size: bytes per page.
 * @total: nr_hugepages.
 * @free: free_hugepages (reserved ones included).
 * @reserved: resv_hugepages (promised to mappings, not yet faulted).
 * @surplus: surplus_hugepages (allocated beyond nr_hugepages).
 * @overcommit: nr_overcommit_hugepages (how many surplus pages may exist).
 *
 * Since: 1.0
 */
struct liveupdate_hugetlb_pool {
	size_t sz;
	uint64_t page_size;
	uint64_t total;
	uint64_t free;
	uint64_t reserved;
	uint64_t surplus;
	uint64_t overcommit;
	size_t :0;
};

/**
 * liveupdate_memory_host_hugetlb_pool - the pool of one HugeTLB page size.
 * @root: where /sys and /proc are read; NULL means "/".
 * @page_size: bytes; 0 means the default huge page size (Hugepagesize in
 *      /proc/meminfo).
 * @pool: filled up to @pool->sz.
 * Returns: 0, or -ENOENT (no pool of that size), -EINVAL, -EPROTO.
 * Since: 1.0
 */
int liveupdate_memory_host_hugetlb_pool(const char *root, uint64_t page_size,
					struct liveupdate_hugetlb_pool *pool);

/**
 * liveupdate_memory_mount_fn - called for each mount found; return 0 to go
 * on, anything else to stop.
 */
typedef int (*liveupdate_memory_mount_fn)(void *data, const char *path,
					  uint64_t page_size);

/**
 * liveupdate_memory_host_hugetlbfs_mounts - list the hugetlbfs mounts
 * (/proc/self/mountinfo) with their page size.
 * @root: where /proc is read; NULL means "/" (the mount points are given as
 *      the mount table says, without @root).
 * @fn: called for each mount.
 * Returns: the number of mounts passed to @fn, or -EINVAL, or an error of
 * open(2).
 * Since: 1.0
 */
int liveupdate_memory_host_hugetlbfs_mounts(const char *root,
					    liveupdate_memory_mount_fn fn,
					    void *data);

/**
 * liveupdate_memory_host_tmpfs_huge - the huge= option of the tmpfs that
 * holds @path.
 * @root: where /proc is read; NULL means "/".
 * @path: an absolute path.
 * @policyp: NEVER when the mount has no huge= option.
 * Returns: 0, or -ENOENT (@path is on no tmpfs), -EINVAL, or an error of
 * open(2).
 * Since: 1.0
 */
int liveupdate_memory_host_tmpfs_huge(const char *root, const char *path,
				      enum liveupdate_thp_policy *policyp);

/**
 * liveupdate_thp_policy_name - a policy as the sysfs files and mount
 * options write it: "never", "always", "within_size", "advise", "deny",
 * "force", "inherit".
 * Returns: a static string, or NULL for a value this library does not know.
 * Since: 1.0
 */
const char *liveupdate_thp_policy_name(enum liveupdate_thp_policy policy);

/**
 * liveupdate_memory_backing_name - a short stable name for @backing, as in
 * liveupdate-ctl's output and manifests printed as text: "auto", "shmem",
 * "thp", "hugetlb".
 * Returns: a static string, or NULL for a value this library does not know.
 * Since: 1.0
 */
const char *liveupdate_memory_backing_name(enum liveupdate_memory_backing backing);

/* ------------------------------------------------------------------------ */
/* Manifest                                                                 */
/* ------------------------------------------------------------------------ */

/*
 * The kernel cannot list what a session holds. Sessions created with
 * liveupdate_session_create() therefore carry a manifest: an append-only
 * log, in memfds preserved under the reserved tokens from
 * LIVEUPDATE_MANIFEST_TOKEN on, that lists every file preserved through
 * this library with a label, metadata or a kind (label, token, kind, size
 * and key/value metadata), plus key/value metadata of the session. A file
 * preserved by token alone is not recorded: its token says all there is.
 * Nothing is made before the first record, so creating a session costs
 * what the kernel's ioctl costs; the first record makes a 4 KiB piece, and
 * a full piece is followed by one twice as large, up to 64 MiB in all.
 * Each update appends a record with its own sequence number and checksum,
 * so that a crash or a kexec in the middle of an update leaves the
 * previous state readable: a torn last record is not read, which is
 * logged at LOG_WARNING and said by liveupdate_session_print_manifest()
 * ("(record N incomplete, not read)"); the file stays retrievable by
 * token. After the update, files are found by label.
 * The byte format is documented in doc/manifest.md.
 *
 * Sessions created with LIVEUPDATE_SESSION_NO_MANIFEST, by other programs
 * or by earlier versions work by token alone: the manifest calls then fail
 * with -ENODATA and the token calls are unaffected.
 */

/**
 * LIVEUPDATE_MANIFEST_TOKEN - the token of the manifest's first memfd in a
 * session ("MANIFEST" in ASCII, big-endian); its further pieces take the
 * tokens after it. LIVEUPDATE_MANIFEST_TOKENS - how many tokens, from
 * LIVEUPDATE_MANIFEST_TOKEN on, are reserved for it. Preserving a file of
 * your own under one of them fails with -EINVAL, in every session.
 */
#define LIVEUPDATE_MANIFEST_TOKEN UINT64_C(0x4d414e4946455354)
#define LIVEUPDATE_MANIFEST_TOKENS 64

/** Longest label, metadata key and metadata value, in bytes (no NUL). */
#define LIVEUPDATE_LABEL_MAX 127
#define LIVEUPDATE_META_KEY_MAX 63
#define LIVEUPDATE_META_VALUE_MAX 1023
/** Most metadata pairs per file, and per session. */
#define LIVEUPDATE_META_MAX 32

/**
 * enum liveupdate_session_flags - flags of struct liveupdate_session_opts.
 * @LIVEUPDATE_SESSION_NO_MANIFEST: create the session without a manifest:
 *      files are then found by token only.
 * @LIVEUPDATE_SESSION_HANDOVER: (since 1.1) keep the session ready to be
 *      handed to a successor process (liveupdate_session_handover()): the
 *      library keeps a duplicate of every fd preserved in it, the manifest
 *      memfd included, because the kernel gives no file back from an
 *      outgoing session. The cost is one open fd per preserved file, until
 *      the session is handed over or closed: mind RLIMIT_NOFILE when a
 *      session holds thousands of files. Such a session also gives its
 *      files back by token and label (liveupdate_session_retrieve_fd() on
 *      the outgoing session returns a new fd of the preserved file). An
 *      older library refuses the flag with -EINVAL.
 */
enum liveupdate_session_flags {
	LIVEUPDATE_SESSION_NO_MANIFEST = 1u << 0,
	LIVEUPDATE_SESSION_HANDOVER = 1u << 1,
	_LIVEUPDATE_SESSION_FLAGS_PIN = 0x7fffffff /* keeps it 32-bit */
};

/**
 * struct liveupdate_session_opts - options for liveupdate_session_create_opts().
 * @sz: sizeof(struct liveupdate_session_opts), set by LIVEUPDATE_OPTS().
 * @flags: enum liveupdate_session_flags, or 0.
 * @manifest_size: bytes of the manifest's first piece, made with its first
 *      record; 0 means 4 KiB (about 50 files with short labels). A multiple
 *      of 4 KiB, up to 64 MiB. Not a limit: when a piece is full, the next
 *      one is made twice as large, up to 64 MiB in all. The kernel pins the
 *      pieces like any preserved memfd.
 *
 * Since: 1.0
 */
struct liveupdate_session_opts {
	size_t sz;
	uint32_t flags;
	size_t manifest_size;
	size_t :0;
};

/**
 * liveupdate_session_create_opts - create an outgoing session, with options.
 * @name: as for liveupdate_session_create().
 * @opts: options, or NULL for the defaults (a manifest, made when there
 *      is something to record).
 * @sessionp: where to store the new session.
 *
 * liveupdate_session_create() is this call with NULL @opts. The manifest's
 * first piece is made by the first call that records something
 * (liveupdate_session_preserve_fd_opts() with a label, metadata or a kind,
 * liveupdate_session_set_meta()), which fails cleanly if it cannot.
 *
 * Returns: 0, the errors of liveupdate_session_create(), or -EINVAL (bad
 * @opts: size, unknown flags or fields, @manifest_size out of range).
 * Since: 1.0
 */
int liveupdate_session_create_opts(struct liveupdate_ctx *ctx, const char *name,
				   const struct liveupdate_session_opts *opts,
				   struct liveupdate_session **sessionp);

/**
 * enum liveupdate_entry_kind - what a manifest entry is.
 * @LIVEUPDATE_ENTRY_AUTO: (preserve option only) let the library look:
 *      MEMFD for a memfd or other shmem file, OTHER otherwise.
 * @LIVEUPDATE_ENTRY_MEMFD: a memfd.
 * @LIVEUPDATE_ENTRY_MEMORY: a memory object (guest RAM and the like),
 *      described by a backing (a value of the memory helpers' enum, stored
 *      as given) and a page size.
 * @LIVEUPDATE_ENTRY_OTHER: any other file.
 *
 * A manifest written by a later version may hold values not listed here:
 * treat them as OTHER.
 */
enum liveupdate_entry_kind {
	LIVEUPDATE_ENTRY_AUTO = 0,
	LIVEUPDATE_ENTRY_MEMFD = 1,
	LIVEUPDATE_ENTRY_MEMORY = 2,
	LIVEUPDATE_ENTRY_OTHER = 3,
	_LIVEUPDATE_ENTRY_KIND_PIN = 0x7fffffff /* keeps it 32-bit */
};

/**
 * struct liveupdate_meta - one metadata pair: NUL-terminated key (1 to
 * LIVEUPDATE_META_KEY_MAX bytes) and value (0 to LIVEUPDATE_META_VALUE_MAX).
 */
struct liveupdate_meta {
	const char *key;
	const char *value;
};

/**
 * enum liveupdate_preserve_flags - flags of struct liveupdate_preserve_opts.
 * @LIVEUPDATE_PRESERVE_TOKEN: use the token in the options instead of
 *      letting the library choose one.
 */
enum liveupdate_preserve_flags {
	LIVEUPDATE_PRESERVE_TOKEN = 1u << 0,
	_LIVEUPDATE_PRESERVE_FLAGS_PIN = 0x7fffffff /* keeps it 32-bit */
};

/**
 * struct liveupdate_preserve_opts - options for
 * liveupdate_session_preserve_fd_opts().
 * @sz: sizeof(struct liveupdate_preserve_opts), set by LIVEUPDATE_OPTS().
 * @label: the file's name in the manifest, unique in the session, 1 to
 *      LIVEUPDATE_LABEL_MAX bytes; NULL for none (found by token only).
 * @flags: enum liveupdate_preserve_flags, or 0.
 * @token: the token, when @flags has LIVEUPDATE_PRESERVE_TOKEN; otherwise
 *      the library picks one not used in the session.
 * @kind: what to record; 0 (AUTO) lets the library look at the file.
 * @backing: for LIVEUPDATE_ENTRY_MEMORY, the memory object's backing:
 *      SHMEM, THP or HUGETLB (not AUTO); 0 for other kinds.
 * @page_size: for LIVEUPDATE_ENTRY_MEMORY, its page size in bytes: 4096
 *      for SHMEM, a larger power of two for THP and HUGETLB; 0 for other
 *      kinds. Anything else is refused (-EINVAL), as
 *      liveupdate_memory_retrieve_label() could not read it back.
 * @meta: @n_meta metadata pairs with distinct keys (at most
 *      LIVEUPDATE_META_MAX), or NULL.
 * @n_meta: the number of pairs in @meta.
 *
 * Since: 1.0
 */
struct liveupdate_preserve_opts {
	size_t sz;
	const char *label;
	uint32_t flags;
	uint64_t token;
	enum liveupdate_entry_kind kind;
	enum liveupdate_memory_backing backing;
	uint64_t page_size;
	const struct liveupdate_meta *meta;
	size_t n_meta;
	size_t :0;
};

/**
 * struct liveupdate_entry - one file of a manifest, owned by the library.
 * @label: its label; "" for a file preserved without one.
 * @token: its token.
 * @kind: MEMFD, MEMORY or OTHER (never AUTO).
 * @backing: for MEMORY, the backing given when it was preserved; else 0.
 * @page_size: for MEMORY, the page size given; else 0.
 * @size: the file's size in bytes when it was preserved.
 * @meta: its @n_meta metadata pairs, or NULL.
 * @n_meta: the number of pairs.
 *
 * Entries are returned as const pointers valid while the session lives.
 * Later versions may append fields: never allocate or copy this struct.
 */
struct liveupdate_entry {
	const char *label;
	uint64_t token;
	enum liveupdate_entry_kind kind;
	enum liveupdate_memory_backing backing;
	uint64_t page_size;
	uint64_t size;
	const struct liveupdate_meta *meta;
	size_t n_meta;
};

/**
 * liveupdate_session_preserve_fd_opts - preserve a file with a label and
 * metadata, recorded in the session's manifest.
 * @fd: the file, as for liveupdate_session_preserve_fd().
 * @opts: options, or NULL (no label, a token chosen by the library).
 * @tokenp: where to store the token used, or NULL.
 *
 * Everything is checked, and room made in the manifest (a new piece made
 * and preserved when the last one is full), before the kernel is asked: a
 * refused call changes nothing. Once the kernel has preserved the file,
 * recording it cannot fail. A call without label, metadata or kind (and
 * liveupdate_session_preserve_fd()) records nothing.
 * In a session without manifest, @label and @meta are refused, and @kind,
 * @backing and @page_size are not recorded anywhere.
 *
 * Returns: 0, the errors of liveupdate_session_preserve_fd(), or -EINVAL
 * (bad @opts, an unknown @kind, a MEMORY @backing and @page_size that
 * cannot be read back, a label or metadata out of limits,
 * duplicate keys, a label or metadata in a session without manifest, the
 * token LIVEUPDATE_MANIFEST_TOKEN), -EEXIST (the label is already used in
 * this session), -ENOSPC (the manifest reached its 64 MiB limit), an
 * error making or preserving a new piece of the manifest (-ENOMEM,
 * -EMFILE), or an error of fstat(2) or fcntl(2) on @fd (its size and
 * seals are recorded; nothing is preserved then).
 * Since: 1.0
 */
int liveupdate_session_preserve_fd_opts(struct liveupdate_session *session, int fd,
					const struct liveupdate_preserve_opts *opts,
					uint64_t *tokenp);

/**
 * liveupdate_session_set_meta - set a metadata pair of an outgoing session
 * in its manifest (replacing the value of an existing key).
 * @key: 1 to LIVEUPDATE_META_KEY_MAX bytes.
 * @value: 0 to LIVEUPDATE_META_VALUE_MAX bytes.
 *
 * Each call appends a record to the manifest, also when it replaces a value.
 * Returns: 0, or -EINVAL (NULL or out-of-limit argument, incoming session,
 * a new key beyond LIVEUPDATE_META_MAX), -ENODATA (no manifest), -ENOSPC
 * (the manifest reached its 64 MiB limit), -ENOMEM, or an error preserving
 * a new piece of the manifest.
 * Since: 1.0
 */
int liveupdate_session_set_meta(struct liveupdate_session *session,
				const char *key, const char *value);

/**
 * liveupdate_session_get_meta - a metadata value of the session.
 * @valuep: where to store the value, valid while @session lives.
 *
 * On an incoming session the manifest is read (once) by the first manifest
 * call, which must come before liveupdate_session_finish(): after it the
 * kernel hands out no file, the manifest included (-ENODATA). Reading it
 * takes nothing away: the token can still be retrieved.
 * Returns: 0, or -ENOENT (no such key), -ENODATA (the session has no
 * manifest: nothing was recorded in it, or it was created without one),
 * -EBADMSG (the manifest is damaged or of an unknown format
 * version: liveupdate_last_error() says why; tokens still work), -EINVAL
 * (NULL argument), -ENOMEM, or an error retrieving the manifest memfd.
 * Since: 1.0
 */
int liveupdate_session_get_meta(struct liveupdate_session *session,
				const char *key, const char **valuep);

/**
 * liveupdate_session_get_meta_at - the session's metadata pair number
 * @index (0-based, in the order keys were first set), to list them all.
 * @keyp: where to store the key; @valuep: where to store the value.
 * Returns: 0, or -ENOENT (@index is past the last pair), or the errors of
 * liveupdate_session_get_meta().
 * Since: 1.0
 */
int liveupdate_session_get_meta_at(struct liveupdate_session *session,
				   size_t index, const char **keyp,
				   const char **valuep);

/**
 * liveupdate_session_count_entries - how many files the manifest lists:
 * those preserved with a label, metadata or a kind (a file preserved by
 * token alone is not recorded).
 * Returns: the count (>= 0), or the errors of liveupdate_session_get_meta()
 * but -ENOENT.
 * Since: 1.0
 */
long liveupdate_session_count_entries(struct liveupdate_session *session);

/**
 * liveupdate_session_get_entry - the manifest's entry number @index
 * (0-based, in preserve order), to iterate over the files.
 * @entryp: where to store the entry, valid while @session lives.
 * Returns: 0, or -ENOENT (@index is past the last entry), or the errors of
 * liveupdate_session_get_meta().
 * Since: 1.0
 */
int liveupdate_session_get_entry(struct liveupdate_session *session, size_t index,
				 const struct liveupdate_entry **entryp);

/**
 * liveupdate_session_find_entry - the manifest entry with this label, in
 * constant time (a hash index built when the manifest is read).
 * @entryp: where to store the entry, valid while @session lives.
 * Returns: 0, or -ENOENT (no file has this label), or the errors of
 * liveupdate_session_get_meta().
 * Since: 1.0
 */
int liveupdate_session_find_entry(struct liveupdate_session *session,
				  const char *label,
				  const struct liveupdate_entry **entryp);

/**
 * liveupdate_session_retrieve_fd_label - get back a file of an incoming
 * session by label: liveupdate_session_find_entry() then
 * liveupdate_session_retrieve_fd() of its token.
 * @fdp: where to store the new fd (O_CLOEXEC), owned by the caller.
 * @entryp: where to store the entry, or NULL.
 * Returns: 0, or the errors of both calls.
 * Since: 1.0
 */
int liveupdate_session_retrieve_fd_label(struct liveupdate_session *session,
					 const char *label, int *fdp,
					 const struct liveupdate_entry **entryp);

/**
 * liveupdate_entry_get_meta - the value of a metadata key of an entry.
 * Returns: the value, or NULL when @entry has no such key or an argument
 * is NULL.
 * Since: 1.0
 */
const char *liveupdate_entry_get_meta(const struct liveupdate_entry *entry,
				      const char *key);

/**
 * liveupdate_session_print_manifest - write the manifest as text to @fd:
 * the session's name, the number of records and of files recorded (the
 * line says that files preserved by token alone are not), its metadata,
 * then one line per file (token, label, kind, size, metadata). For tools such as `liveupdate-ctl manifest`: adopt
 * a session fd with liveupdate_session_adopt() and print it.
 * Returns: 0, or the errors of liveupdate_session_get_meta() but -ENOENT,
 * or a negative errno of write(2).
 * Since: 1.0
 */
int liveupdate_session_print_manifest(struct liveupdate_session *session, int fd);

/**
 * liveupdate_manifest_print_fd - write a manifest memfd's contents as text
 * to @out_fd, as liveupdate_session_print_manifest() does, from the memfd
 * itself (mapped read-only; its first line says "session (from this
 * manifest memfd alone)" instead of the session's name and direction): the
 * records of the manifest's first piece, the memfd at
 * LIVEUPDATE_MANIFEST_TOKEN (a manifest that outgrew it continues in the
 * memfds at the next tokens). For tools that got the memfd without the
 * session, such as `liveupdate-ctl manifest NAME` under liveupdate-sim(1),
 * which peeks at it.
 * @manifest_fd: the manifest's first memfd (read access is enough); stays
 *      the caller's.
 * Returns: 0, or -EINVAL (a negative fd), -EBADMSG (not a manifest, damaged,
 * or of an unknown format version: liveupdate_last_error() says why),
 * -ENOMEM, or a negative errno of mmap(2) or write(2).
 * Since: 1.0
 */
int liveupdate_manifest_print_fd(int manifest_fd, int out_fd);

/* ------------------------------------------------------------------------ */
/* Handing a session to a successor process                                 */
/* ------------------------------------------------------------------------ */

/*
 * A VMM that restarts itself (a new binary, same kernel) hands its live
 * session to the new process instead of closing it: the session stays
 * outgoing, nothing is aborted, unpinned or preserved again, and the
 * successor goes on exactly as the kernel update path would: it finds the
 * files by label or token, preserves and labels more, hands the session
 * over again, or loads and reboots into the next kernel.
 *
 * The predecessor calls liveupdate_session_handover() on a session created
 * with LIVEUPDATE_SESSION_HANDOVER (or itself received); the successor
 * calls liveupdate_session_receive() on the other end of a connected Unix
 * socket (SOCK_STREAM or SOCK_SEQPACKET). What travels: the session fd and
 * the fd of every file preserved in it with its token (SCM_RIGHTS, in
 * batches of at most 253 fds), the manifest's pieces among them. The kernel's
 * session is the same open file, then held by both processes; the sender
 * lets go of its copy when it closes it, which aborts nothing while the
 * successor holds one.
 *
 * Both ends check the other's user (SO_PEERCRED): a process of another
 * effective uid is refused with -EPERM before anything is sent. Both calls
 * block; to bound the wait, set SO_RCVTIMEO and SO_SNDTIMEO on the socket.
 * The successor trusts its predecessor about which file has which token,
 * as it trusts it with the guest: the uid check is the gate.
 */

/**
 * liveupdate_session_handover - send an outgoing session to a successor
 * process and give it up once the successor has it.
 * @session: an outgoing session created with LIVEUPDATE_SESSION_HANDOVER,
 *      or received with liveupdate_session_receive().
 * @sock: a connected AF_UNIX socket (SOCK_STREAM or SOCK_SEQPACKET) whose
 *      peer calls liveupdate_session_receive(); it stays the caller's and
 *      may be used for anything else afterwards.
 *
 * Sends the session, its files and its manifest, then waits for the
 * successor's acknowledgement, which it sends once it has received and
 * checked everything. Only then is the session handed over: the library
 * closes its duplicates of the files, and every call that would change
 * the session or give a file back (preserve, set_meta, retrieve_fd,
 * handover) fails with -EINVAL saying so; the successor holds it.
 * liveupdate_session_unref() then only closes this process's copy of the
 * session fd: the kernel does not abort a session another process holds.
 *
 * When the call fails, the session is exactly as before and usable: the
 * successor refused (-ECONNREFUSED, with its reason in
 * liveupdate_last_error()), died or hung up (-ECONNRESET, -EPIPE), sent
 * something that is not an acknowledgement (-EBADMSG), or a socket
 * timeout expired (-EAGAIN). The one case the sender cannot tell apart:
 * a timeout that expires after the successor sent its acknowledgement;
 * without a timeout on the socket it cannot happen.
 *
 * Returns: 0, or -EINVAL (NULL @session, a negative @sock, an incoming
 * session, one created without LIVEUPDATE_SESSION_HANDOVER, or one already
 * handed over), -ENOTSOCK or -EPROTOTYPE (@sock is no Unix stream or
 * seqpacket socket), -ENOTCONN, -EPERM (the peer runs as another user), the
 * failures above, or another negative errno of sendmsg(2) or recvmsg(2).
 * Since: 1.1
 */
int liveupdate_session_handover(struct liveupdate_session *session, int sock);

/**
 * liveupdate_session_receive - receive a session a predecessor hands over
 * with liveupdate_session_handover().
 * @ctx: the context the session will belong to; it needs no device (the
 *      session fd comes from the predecessor). On the simulator, the same
 *      liveupdate-sim daemon as the predecessor's.
 * @sock: a connected AF_UNIX socket (SOCK_STREAM or SOCK_SEQPACKET) whose
 *      peer calls liveupdate_session_handover(); it stays the caller's.
 * @sessionp: where to store the session.
 *
 * The session received is outgoing and keeps its files: its name is the
 * predecessor's; liveupdate_session_retrieve_fd() and
 * liveupdate_session_retrieve_fd_label() give new fds of the files the
 * predecessor preserved; the manifest calls list them; it can preserve and
 * label more, be handed over again with liveupdate_session_handover(), or
 * go through liveupdate_kexec_reboot(), after which
 * liveupdate_session_retrieve() finds it by name as usual. Everything is
 * received and checked before the acknowledgement goes back; a message that
 * is truncated, malformed, out of order or hostile, or a predecessor that
 * hangs up midway, makes the call fail with nothing left open and a refusal
 * sent back (when the socket still takes it), so the predecessor keeps its
 * session.
 *
 * Returns: 0, or -EINVAL (NULL @ctx or @sessionp, a negative @sock),
 * -ENOTSOCK or -EPROTOTYPE (@sock is no Unix stream or seqpacket socket),
 * -ENOTCONN, -EPERM (the peer runs as another user), -EBADMSG (a malformed
 * message; liveupdate_last_error() says which and why), -ECONNRESET (the
 * predecessor hung up before sending everything), -EPROTO (what came is no
 * outgoing session, or the session's name differs from the one announced),
 * -EMFILE (this process cannot take that many fds: raise RLIMIT_NOFILE),
 * -ENOMEM, the errors of reading the manifest (-EBADMSG), or another
 * negative errno of recvmsg(2) or sendmsg(2).
 * Since: 1.1
 */
int liveupdate_session_receive(struct liveupdate_ctx *ctx, int sock,
			       struct liveupdate_session **sessionp);

/* ------------------------------------------------------------------------ */
/* State queries                                                            */
/* ------------------------------------------------------------------------ */

/**
 * struct liveupdate_state - what this host says about live update (opaque):
 * whether a live update is possible and why not, whether this boot came
 * from one, what the previous kernel handed over (Kexec HandOver, read from
 * debugfs) and the host's kernel.
 *
 * It is a snapshot taken by liveupdate_state_query() and read with the
 * getters below; it never changes afterwards. Opaque rather than a struct
 * the caller allocates, because it holds strings and lists whose sizes the
 * caller cannot know, and so that later versions can add facts (the host's
 * memory, for a start) as new getters without changing anything a program
 * already uses.
 *
 * Every fact comes with the file it was read from or, when it is unknown,
 * a sentence saying why (liveupdate_state_get_source(),
 * liveupdate_state_get_missing()).
 */
struct liveupdate_state;

/**
 * struct liveupdate_state_opts - options for liveupdate_state_query().
 * @sz: sizeof(struct liveupdate_state_opts), set by LIVEUPDATE_OPTS().
 * @root: the directory that stands for "/" when reading /proc, /sys and
 *      /boot; NULL means "/". Tests and post-mortem analysis point it at a
 *      copy of those files. The device is always the context's.
 *
 * Since: 1.0
 */
struct liveupdate_state_opts {
	size_t sz;
	const char *root;
	size_t :0;
};

/**
 * enum liveupdate_avail - whether a live update is possible here, and if
 * not, the first reason found (liveupdate_state_get_avail_text() gives
 * every reason found, with the fix).
 * @LIVEUPDATE_AVAIL_YES: the device opened: sessions can be created.
 * @LIVEUPDATE_AVAIL_SIMULATED: the context uses liveupdate-sim(1) and it
 *      answered: sessions work, nothing survives a real reboot.
 * @LIVEUPDATE_AVAIL_KERNEL_TOO_OLD: the kernel is older than 6.19.
 * @LIVEUPDATE_AVAIL_NO_CONFIG: the kernel was built without
 *      CONFIG_LIVEUPDATE (read from /proc/config.gz or /boot/config-RELEASE).
 * @LIVEUPDATE_AVAIL_KHO_DISABLED: Kexec HandOver is off (kho=off, or built
 *      without CONFIG_KEXEC_HANDOVER or with it disabled by default).
 * @LIVEUPDATE_AVAIL_NO_CMDLINE: the kernel was not booted with
 *      liveupdate=on.
 * @LIVEUPDATE_AVAIL_BUSY: another process holds the device (see
 *      liveupdate_state_get_holder_pid()).
 * @LIVEUPDATE_AVAIL_PERMISSION: the device node's mode forbids opening it.
 * @LIVEUPDATE_AVAIL_NO_DEVICE: there is no device, for a reason the library
 *      could not tell.
 * @LIVEUPDATE_AVAIL_DEVICE_ERROR: the device exists but opening it failed
 *      otherwise (-EIO: the previous kernel's state could not be read), or
 *      the file is not the live update device (-ENOTTY: a regular file,
 *      /dev/null; the text says what it is).
 */
enum liveupdate_avail {
	LIVEUPDATE_AVAIL_YES = 1,
	LIVEUPDATE_AVAIL_SIMULATED = 2,
	LIVEUPDATE_AVAIL_KERNEL_TOO_OLD = 3,
	LIVEUPDATE_AVAIL_NO_CONFIG = 4,
	LIVEUPDATE_AVAIL_KHO_DISABLED = 5,
	LIVEUPDATE_AVAIL_NO_CMDLINE = 6,
	LIVEUPDATE_AVAIL_BUSY = 7,
	LIVEUPDATE_AVAIL_PERMISSION = 8,
	LIVEUPDATE_AVAIL_NO_DEVICE = 9,
	LIVEUPDATE_AVAIL_DEVICE_ERROR = 10,
	_LIVEUPDATE_AVAIL_PIN = 0x7fffffff /* keeps it 32-bit */
};

/**
 * enum liveupdate_boot - how this kernel was started.
 * @LIVEUPDATE_BOOT_UNKNOWN: debugfs could not be read (see
 *      liveupdate_state_get_missing()).
 * @LIVEUPDATE_BOOT_COLD: a cold boot (or a kexec without handover).
 * @LIVEUPDATE_BOOT_LIVE_UPDATE: a kexec in which the previous kernel handed
 *      state over (debugfs shows /sys/kernel/debug/kho/in).
 */
enum liveupdate_boot {
	LIVEUPDATE_BOOT_UNKNOWN = 0,
	LIVEUPDATE_BOOT_COLD = 1,
	LIVEUPDATE_BOOT_LIVE_UPDATE = 2,
	_LIVEUPDATE_BOOT_PIN = 0x7fffffff /* keeps it 32-bit */
};

/**
 * enum liveupdate_fact - a fact of a struct liveupdate_state, to ask where
 * it came from or why it is missing.
 * @LIVEUPDATE_FACT_AVAIL: availability.
 * @LIVEUPDATE_FACT_KERNEL_RELEASE: the running kernel's release.
 * @LIVEUPDATE_FACT_BOOT: cold boot or live update.
 * @LIVEUPDATE_FACT_PREVIOUS_RELEASE: the previous kernel's release.
 * @LIVEUPDATE_FACT_KEXEC_COUNT: kexecs since the last cold boot.
 * @LIVEUPDATE_FACT_LIVEUPDATE_COUNT: live updates since the last cold boot.
 * @LIVEUPDATE_FACT_LUO_ABI: the Live Update Orchestrator's ABI string.
 * @LIVEUPDATE_FACT_KHO_IN: the handover tree this kernel received.
 * @LIVEUPDATE_FACT_KHO_OUT: the handover tree this kernel will hand over.
 * @LIVEUPDATE_FACT_SHMEM_THP: the shmem THP policy
 *      (liveupdate_state_get_shmem_thp()).
 * @LIVEUPDATE_FACT_HUGE_TMPFS: the huge tmpfs at
 *      LIVEUPDATE_MEMORY_TMPFS_PATH (liveupdate_state_get_huge_tmpfs()).
 * @LIVEUPDATE_FACT_HUGETLB: the HugeTLB pools
 *      (liveupdate_state_get_hugetlb_pool()).
 * @LIVEUPDATE_FACT_BACKINGS: which memory backings the kernel preserves
 *      (liveupdate_state_get_backing()): the device probed, or why nothing
 *      was probed.
 */
enum liveupdate_fact {
	LIVEUPDATE_FACT_AVAIL = 0,
	LIVEUPDATE_FACT_KERNEL_RELEASE = 1,
	LIVEUPDATE_FACT_BOOT = 2,
	LIVEUPDATE_FACT_PREVIOUS_RELEASE = 3,
	LIVEUPDATE_FACT_KEXEC_COUNT = 4,
	LIVEUPDATE_FACT_LIVEUPDATE_COUNT = 5,
	LIVEUPDATE_FACT_LUO_ABI = 6,
	LIVEUPDATE_FACT_KHO_IN = 7,
	LIVEUPDATE_FACT_KHO_OUT = 8,
	LIVEUPDATE_FACT_SHMEM_THP = 9,
	LIVEUPDATE_FACT_HUGE_TMPFS = 10,
	LIVEUPDATE_FACT_HUGETLB = 11,
	LIVEUPDATE_FACT_BACKINGS = 12,
	_LIVEUPDATE_FACT_PIN = 0x7fffffff /* keeps it 32-bit */
};

/**
 * enum liveupdate_kho_side - which handover tree.
 * @LIVEUPDATE_KHO_IN: what the previous kernel handed over
 *      (/sys/kernel/debug/kho/in; only after a live update).
 * @LIVEUPDATE_KHO_OUT: what this kernel will hand over
 *      (/sys/kernel/debug/kho/out).
 */
enum liveupdate_kho_side {
	LIVEUPDATE_KHO_IN = 1,
	LIVEUPDATE_KHO_OUT = 2,
	_LIVEUPDATE_KHO_SIDE_PIN = 0x7fffffff /* keeps it 32-bit */
};

/**
 * liveupdate_state_query - take a snapshot of this host's live update state.
 * @ctx: the context whose device (and backend) is tried.
 * @opts: options, or NULL for the defaults.
 * @statep: where to store the new state (reference count 1).
 *
 * Opens the context's device if it is not open yet and closes it again, so
 * that the answer is the one a program would get (another process trying
 * to open it in that instant gets -EBUSY); on the running host, with the
 * device open, it also asks the kernel which memory backings it preserves
 * (liveupdate_state_get_backing(): a throwaway session per backing, once
 * per context). Reads /proc/cmdline,
 * /proc/sys/kernel/osrelease, the kernel config when present, and
 * /sys/kernel/debug/kho/ (debugfs, root only). Every blob there is
 * identified by its compatible string or version before any other field is
 * read; unknown, corrupt and stale ones (in/sub_fdts/LUO, which the kernel
 * frees at boot) are reported by name and size only, with the reason.
 * Missing files and unreadable blobs are not errors: they become "missing"
 * facts that say why.
 *
 * Returns: 0, or -EINVAL (NULL @ctx or @statep, bad @opts), -ENOENT or
 * -ENOTDIR (@root is not a directory), -ENOMEM.
 * Since: 1.0
 */
int liveupdate_state_query(struct liveupdate_ctx *ctx,
			   const struct liveupdate_state_opts *opts,
			   struct liveupdate_state **statep);

/**
 * liveupdate_state_ref - take a reference on @state.
 * Returns: @state (NULL if @state is NULL).
 * Since: 1.0
 */
struct liveupdate_state *liveupdate_state_ref(struct liveupdate_state *state);

/**
 * liveupdate_state_unref - drop a reference on @state; the last frees it.
 * Returns: NULL once freed or when @state is NULL, @state otherwise.
 * Since: 1.0
 */
struct liveupdate_state *liveupdate_state_unref(struct liveupdate_state *state);

/**
 * liveupdate_state_get_avail - whether a live update is possible here.
 * Returns: an enum liveupdate_avail value, or 0 if @state is NULL.
 * Since: 1.0
 */
enum liveupdate_avail liveupdate_state_get_avail(const struct liveupdate_state *state);

/**
 * liveupdate_state_get_avail_text - the availability as a sentence: what
 * was found and, when a live update is not possible, how to fix it.
 * Returns: a string valid while @state lives, or NULL if @state is NULL.
 * Since: 1.0
 */
const char *liveupdate_state_get_avail_text(const struct liveupdate_state *state);

/**
 * liveupdate_avail_name - a short stable name for @avail, as in
 * liveupdate-ctl's JSON output: "available", "simulated",
 * "kernel-too-old", "no-config", "kho-disabled", "no-cmdline", "busy",
 * "permission-denied", "no-device", "device-error".
 * Returns: a static string, or NULL for a value this library does not know.
 * Since: 1.0
 */
const char *liveupdate_avail_name(enum liveupdate_avail avail);

/**
 * liveupdate_state_get_holder_pid - the process holding the device when
 * the availability is LIVEUPDATE_AVAIL_BUSY (on the kernel, the first one
 * found in /proc: other users' processes are visible to root only; under
 * liveupdate-sim, the one the simulator knows).
 * Returns: the pid, or -ENOENT when no holder is known, -EINVAL if @state
 * is NULL.
 * Since: 1.0
 */
int liveupdate_state_get_holder_pid(const struct liveupdate_state *state);

/**
 * liveupdate_state_get_holder_comm - the command name (/proc/PID/comm) of
 * the process liveupdate_state_get_holder_pid() names.
 * Returns: a string valid while @state lives, or NULL when no holder is
 * known or @state is NULL.
 * Since: 1.0
 */
const char *liveupdate_state_get_holder_comm(const struct liveupdate_state *state);

/**
 * liveupdate_state_get_boot - cold boot or after a live update.
 * Returns: an enum liveupdate_boot value (UNKNOWN when debugfs could not be
 * read, or when @state is NULL).
 * Since: 1.0
 */
enum liveupdate_boot liveupdate_state_get_boot(const struct liveupdate_state *state);

/**
 * liveupdate_state_get_kernel_release - the running kernel's release, as
 * uname -r prints it.
 * Returns: a string valid while @state lives, or NULL when unknown.
 * Since: 1.0
 */
const char *liveupdate_state_get_kernel_release(const struct liveupdate_state *state);

/**
 * liveupdate_state_get_previous_release - after a live update, the release
 * of the kernel that handed over (from kho/in/sub_fdts/kexec-metadata).
 * Returns: a string valid while @state lives, or NULL when unknown (a cold
 * boot, debugfs not readable, an unknown format).
 * Since: 1.0
 */
const char *liveupdate_state_get_previous_release(const struct liveupdate_state *state);

/**
 * liveupdate_state_get_kexec_count - kexecs with handover since the last
 * cold boot (0 after a cold boot), from KHO's kexec-metadata.
 * Returns: the count, or -ENODATA when unknown, -EINVAL if @state is NULL.
 * Since: 1.0
 */
int64_t liveupdate_state_get_kexec_count(const struct liveupdate_state *state);

/**
 * liveupdate_state_get_liveupdate_count - live updates since the last cold
 * boot (0 after a cold boot): the live update number the Live Update
 * Orchestrator will hand to the next kernel (kho/out/sub_fdts/LUO), minus
 * one.
 * Returns: the count, or -ENODATA when unknown, -EINVAL if @state is NULL.
 * Since: 1.0
 */
int64_t liveupdate_state_get_liveupdate_count(const struct liveupdate_state *state);

/**
 * liveupdate_state_get_luo_abi - the Live Update Orchestrator's ABI string
 * of this kernel, such as "luo-v5" (Linux 7.3). A kernel only accepts a
 * live update from a kernel with the same string.
 * Returns: a string valid while @state lives, or NULL when unknown.
 * Since: 1.0
 */
const char *liveupdate_state_get_luo_abi(const struct liveupdate_state *state);

/**
 * liveupdate_state_get_source - where a fact was read from.
 * Returns: a path as seen on the host ("/sys/kernel/debug/kho/in/fdt", not
 * prefixed with the query's root) or a description ("uname(2)", "the
 * device"), valid while @state lives; NULL when the fact is unknown, when
 * @fact is unknown to this library or @state is NULL.
 * Since: 1.0
 */
const char *liveupdate_state_get_source(const struct liveupdate_state *state,
					enum liveupdate_fact fact);

/**
 * liveupdate_state_get_missing - why a fact is unknown, naming the file
 * and what to do ("debugfs is not mounted: mount -t debugfs none
 * /sys/kernel/debug", "reading debugfs needs root", "PATH: truncated ...").
 * Returns: a sentence valid while @state lives, or NULL when the fact is
 * known (or @state is NULL, or @fact unknown to this library).
 * Since: 1.0
 */
const char *liveupdate_state_get_missing(const struct liveupdate_state *state,
					 enum liveupdate_fact fact);

/**
 * liveupdate_state_kho_compatible - the compatible string of a handover
 * tree's root FDT, such as "kho-v4".
 * Returns: a string valid while @state lives, or NULL when that tree is
 * absent or unreadable (liveupdate_state_get_missing() with
 * LIVEUPDATE_FACT_KHO_IN or _OUT says why).
 * Since: 1.0
 */
const char *liveupdate_state_kho_compatible(const struct liveupdate_state *state,
					    enum liveupdate_kho_side side);

/**
 * liveupdate_state_kho_count - the number of subtrees (handed-over blobs)
 * of a handover tree: the root FDT's subnodes or, when the root FDT cannot
 * be read, the files of its sub_fdts directory.
 * Returns: the count (0 when the tree is absent), or -EINVAL (NULL @state,
 * unknown @side).
 * Since: 1.0
 */
int liveupdate_state_kho_count(const struct liveupdate_state *state,
			       enum liveupdate_kho_side side);

/**
 * liveupdate_state_kho_name - the name of subtree @index of a handover
 * tree ("LUO", "kexec-metadata", "memblock", ...).
 * Returns: a string valid while @state lives, or NULL (bad argument, @index
 * out of range).
 * Since: 1.0
 */
const char *liveupdate_state_kho_name(const struct liveupdate_state *state,
				      enum liveupdate_kho_side side,
				      unsigned int index);

/**
 * liveupdate_state_kho_size - the size in bytes of subtree @index: its
 * "blob-size" in the root FDT, or the bytes its debugfs file holds when
 * the root FDT cannot be read.
 * Returns: the size, or -ENODATA when unknown, -EINVAL (bad argument,
 * @index out of range).
 * Since: 1.0
 */
int64_t liveupdate_state_kho_size(const struct liveupdate_state *state,
				  enum liveupdate_kho_side side,
				  unsigned int index);

/**
 * liveupdate_state_kho_format - the format subtree @index was verified to
 * have by its compatible string or version: "luo-v5",
 * "kexec-metadata-v1", "memblock-v1".
 * Returns: a static string, or NULL when the blob is unknown, corrupt or
 * stale (liveupdate_state_kho_note() says which) or on a bad argument.
 * Since: 1.0
 */
const char *liveupdate_state_kho_format(const struct liveupdate_state *state,
					enum liveupdate_kho_side side,
					unsigned int index);

/**
 * liveupdate_state_kho_note - why subtree @index has no format, naming its
 * file: an unknown compatible or version, a truncated or corrupt blob, or
 * a stale one (in/sub_fdts/LUO: the kernel frees it at boot, debugfs still
 * shows the memory; it is never read).
 * Returns: a sentence valid while @state lives, or NULL when the format is
 * known (or on a bad argument).
 * Since: 1.0
 */
const char *liveupdate_state_kho_note(const struct liveupdate_state *state,
				      enum liveupdate_kho_side side,
				      unsigned int index);

/* The host's memory, as the state saw it (types: Guest memory, above). */
/**
 * liveupdate_state_get_shmem_thp - the global shmem transparent huge page
 * policy (/sys/kernel/mm/transparent_hugepage/shmem_enabled), which decides
 * whether a memfd can get huge pages (see liveupdate_memory_host_shmem_thp()).
 * Returns: an enum liveupdate_thp_policy value (>= 0), or -ENODATA when
 * unknown (liveupdate_state_get_missing() with LIVEUPDATE_FACT_SHMEM_THP
 * says why), -EINVAL if @state is NULL.
 * Since: 1.0
 */
int liveupdate_state_get_shmem_thp(const struct liveupdate_state *state);

/**
 * liveupdate_state_get_huge_tmpfs - the huge= option of the tmpfs that
 * holds LIVEUPDATE_MEMORY_TMPFS_PATH, where LIVEUPDATE_MEMORY_AUTO looks
 * for huge pages when the shmem policy gives a memfd none (`liveupdate-ctl
 * mount-huge` mounts one there).
 * Returns: an enum liveupdate_thp_policy value (NEVER: a tmpfs without
 * huge=, such as /run itself), or -ENODATA when the path is on no tmpfs
 * or the mount table (/proc/self/mountinfo) could
 * not be read (LIVEUPDATE_FACT_HUGE_TMPFS says which), -EINVAL if @state is
 * NULL.
 * Since: 1.0
 */
int liveupdate_state_get_huge_tmpfs(const struct liveupdate_state *state);

/**
 * liveupdate_state_get_hugetlb_pool - HugeTLB pool number @index (smallest
 * page size first), as liveupdate_memory_host_hugetlb_pool() reads it.
 * @pool: filled up to @pool->sz (set it to sizeof(*pool)).
 * Returns: 0, or -ENOENT (@index is past the last pool; none when the
 * kernel has no HugeTLB: LIVEUPDATE_FACT_HUGETLB says why), -EINVAL (NULL
 * argument, @pool->sz 0).
 * Since: 1.0
 */
int liveupdate_state_get_hugetlb_pool(const struct liveupdate_state *state,
				      unsigned int index,
				      struct liveupdate_hugetlb_pool *pool);

/**
 * liveupdate_state_get_backing - whether the kernel can preserve memory of
 * backing number @index: SHMEM (4 KiB) first, then THP (its PMD size) when
 * the kernel has THP, then HUGETLB once per pool size.
 * @backingp: where to store the backing, or NULL.
 * @page_sizep: where to store its page size in bytes, or NULL.
 * @whyp: where to store, unless it is preservable, why not or why it is
 *      unknown (valid while @state lives), else NULL; or NULL.
 *
 * The query asks the kernel with liveupdate_memory_probe() (a throwaway
 * session per backing, answers cached in the context) only when it reads
 * the running host and the device opens: with a root directory, or when
 * the device is busy, absent or refused, nothing is probed and the answer
 * is unknown, never guessed. A device the query opened for probing is
 * closed again before it returns.
 * Returns: 1 (preservable), 0 (not), -ENODATA (unknown: not probed, or the
 * probe failed; *@whyp says why), -ENOENT (@index is past the last
 * backing), -EINVAL (NULL @state).
 * Since: 1.0
 */
int liveupdate_state_get_backing(const struct liveupdate_state *state,
				 unsigned int index,
				 enum liveupdate_memory_backing *backingp,
				 uint64_t *page_sizep, const char **whyp);

/* ------------------------------------------------------------------------ */
/* Network devices                                                          */
/* ------------------------------------------------------------------------ */

/**
 * struct liveupdate_netdevs - the network devices of a VMM (opaque): taps
 * and macvtaps, and the bridges they are ports of, as a snapshot taken
 * before the update and recreated after it.
 *
 * Before the update: liveupdate_netdevs_new(), then
 * liveupdate_netdevs_add() for each device name (or
 * liveupdate_netdevs_add_tap_fd() for each tap fd the VMM holds), then
 * liveupdate_netdevs_preserve() into an outgoing session. After it:
 * liveupdate_netdevs_retrieve(), liveupdate_netdevs_restore(), and
 * liveupdate_netdevs_take_queue_fd() for each queue of each tap.
 *
 * What is recorded: for every device its name, MAC address, MTU and
 * administrative up state; for a tap its flags (IFF_VNET_HDR,
 * IFF_MULTI_QUEUE, IFF_NO_PI), owner, group, persistence and number of
 * queues; for a macvtap its lower device and mode; for a port its bridge
 * and the port's STP state, priority, cost and flags; for a bridge the
 * VMM owns (%LIVEUPDATE_NETDEV_OWN_BRIDGE), its IPv4 and IPv6 addresses
 * (IPv6 link-local ones excepted: the kernel makes them again). A
 * snapshot needs no privilege; a restore needs CAP_NET_ADMIN in the
 * network namespace. At most 64 devices, 256 queues per tap, 16 addresses
 * per bridge.
 *
 * Since: 1.0
 */
struct liveupdate_netdevs;

/**
 * enum liveupdate_netdev_flags - flags of struct liveupdate_netdev_opts.
 * @LIVEUPDATE_NETDEV_OWN_BRIDGE: the VMM owns the bridge of this device:
 *      its addresses are recorded and restored too. Without it, the bridge
 *      is recreated if missing but its addresses are left to whoever
 *      manages them. Once a bridge of the set is owned, it stays owned.
 */
enum liveupdate_netdev_flags {
	LIVEUPDATE_NETDEV_OWN_BRIDGE = 1u << 0,
	_LIVEUPDATE_NETDEV_FLAGS_PIN = 0x7fffffff /* keeps it 32-bit */
};

/**
 * struct liveupdate_netdev_opts - options for liveupdate_netdevs_add().
 * @sz: sizeof(struct liveupdate_netdev_opts), set by LIVEUPDATE_OPTS().
 * @flags: LIVEUPDATE_NETDEV_* flags, 0 for none.
 *
 * Since: 1.0
 */
struct liveupdate_netdev_opts {
	size_t sz;
	unsigned int flags;
	size_t :0;
};

/**
 * liveupdate_netdevs_new - an empty set of network devices.
 * @setp: where to store the new set (reference count 1).
 * Returns: 0, or -EINVAL (NULL argument), -ENOMEM.
 * Since: 1.0
 */
int liveupdate_netdevs_new(struct liveupdate_ctx *ctx,
			   struct liveupdate_netdevs **setp);

/**
 * liveupdate_netdevs_ref - take a reference on @set.
 * Returns: @set.
 * Since: 1.0
 */
struct liveupdate_netdevs *liveupdate_netdevs_ref(struct liveupdate_netdevs *set);

/**
 * liveupdate_netdevs_unref - drop a reference; the last one closes the
 * queue fds not taken and frees the set. Devices are left as they are.
 * Returns: NULL once freed or when @set is NULL, @set otherwise.
 * Since: 1.0
 */
struct liveupdate_netdevs *liveupdate_netdevs_unref(struct liveupdate_netdevs *set);

/**
 * liveupdate_netdevs_add - snapshot the device @name now, and its bridge
 * if it is a bridge port.
 * @name: a tap, macvtap or bridge of the caller's network namespace.
 * @opts: options, or NULL.
 *
 * Adding a device already in the set snapshots it again. The number of
 * queues of a tap is the number of fds attached to it (at least one). For
 * a macvtap added by name the queues are assumed to use IFF_VNET_HDR, as
 * QEMU does: add its fds to record what they use.
 * Returns: 0, or -EINVAL (bad argument, bad @opts), -ENODEV (no such
 * device), -EOPNOTSUPP (a device of another kind, a tun (layer 3) device,
 * a port of something that is not a bridge), -E2BIG (over 64 devices, or
 * over 16 addresses on an owned bridge), -ENOMEM, or a netlink error.
 * Since: 1.0
 */
int liveupdate_netdevs_add(struct liveupdate_netdevs *set, const char *name,
			   const struct liveupdate_netdev_opts *opts);

/**
 * liveupdate_netdevs_add_tap_fd - snapshot the tap or macvtap that @fd is
 * attached to (TUNGETIFF), as liveupdate_netdevs_add() does.
 * @fd: a queue fd of a tap (from /dev/net/tun) or a macvtap (/dev/tapN).
 * @opts: options, or NULL.
 *
 * Give every queue fd of a device: the device then gets at least as many
 * queues on restore, with the flags of these fds.
 * Returns: 0, or the errors of liveupdate_netdevs_add(), and -EBADF (@fd
 * not open), -ENOTTY or -EBADFD (@fd is not an attached tap queue).
 * Since: 1.0
 */
int liveupdate_netdevs_add_tap_fd(struct liveupdate_netdevs *set, int fd,
				  const struct liveupdate_netdev_opts *opts);

/**
 * liveupdate_netdevs_get_count - how many devices the set holds (bridges
 * included).
 * Returns: the count, or -EINVAL if @set is NULL.
 * Since: 1.0
 */
int liveupdate_netdevs_get_count(const struct liveupdate_netdevs *set);

/**
 * liveupdate_netdevs_get_name - the name of device @index (0 to count - 1).
 * Returns: a string valid while @set lives, or NULL (NULL @set, @index out
 * of range).
 * Since: 1.0
 */
const char *liveupdate_netdevs_get_name(const struct liveupdate_netdevs *set,
					unsigned int index);

/**
 * liveupdate_netdevs_encode - the set as a record of bytes (versioned,
 * checksummed), for callers that carry it themselves.
 * @bufp: where to store a malloc()ed buffer, which the caller free()s.
 * @sizep: where to store its size.
 * Returns: 0, or -EINVAL (NULL argument), -ENOMEM.
 * Since: 1.0
 */
int liveupdate_netdevs_encode(const struct liveupdate_netdevs *set, void **bufp,
			      size_t *sizep);

/**
 * liveupdate_netdevs_decode - a set from a record made by
 * liveupdate_netdevs_encode(), checked field by field: untrusted bytes are
 * safe to give.
 * @setp: where to store the new set.
 * Returns: 0, or -EINVAL (NULL argument), -EBADMSG (not a record, corrupted,
 * truncated, or a field out of range: liveupdate_last_error() says which),
 * -EPROTONOSUPPORT (a record version this library does not read), -ENOMEM.
 * Since: 1.0
 */
int liveupdate_netdevs_decode(struct liveupdate_ctx *ctx, const void *buf,
			      size_t size, struct liveupdate_netdevs **setp);

/**
 * liveupdate_netdevs_preserve - preserve the set's record in an outgoing
 * session, as a sealed memfd under @token, labelled "liveupdate-netdevs"
 * in the session's manifest (find it after the update with
 * liveupdate_session_find_entry(); a session without manifest records no
 * label), so a session holds one set.
 * Returns: 0, or -EINVAL (NULL argument), -EEXIST (@token, or the label:
 * the session already holds a set), the errors of memfd_create(2) and of
 * liveupdate_session_preserve_fd_opts().
 * Since: 1.0
 */
int liveupdate_netdevs_preserve(const struct liveupdate_netdevs *set,
				struct liveupdate_session *session,
				uint64_t token);

/**
 * liveupdate_netdevs_retrieve - get back a set preserved under @token in
 * an incoming session.
 * @setp: where to store the new set (of the session's context).
 * Returns: 0, or -EINVAL (NULL argument), the errors of
 * liveupdate_session_retrieve_fd() and of liveupdate_netdevs_decode().
 * Since: 1.0
 */
int liveupdate_netdevs_retrieve(struct liveupdate_session *session,
				uint64_t token, struct liveupdate_netdevs **setp);

/**
 * liveupdate_netdevs_restore - recreate the set's devices with their
 * recorded configuration, and open their queues.
 *
 * Devices that exist with the right kind and flags are reused (their MAC,
 * MTU, bridge, port settings and up state are set as recorded); missing
 * ones are created: bridges with rtnetlink, taps with TUNSETIFF (then
 * owner, group and persistence), macvtaps with rtnetlink on their lower
 * device. Everything is checked before anything is changed: a conflict
 * (a name taken by another kind of device, a tap with other flags, a tap
 * with queues attached by another process, a macvtap on another lower
 * device, a missing lower device) changes nothing (the set keeps its queue
 * fds) and names the device in liveupdate_last_error(). A failure midway
 * deletes the devices and addresses this call created and closes its fds;
 * settings changed on reused devices stay.
 *
 * Calling it again is safe: a tap or macvtap whose queues this process
 * still has from an earlier restore (held by the set, or taken and still
 * open) keeps them and is only reconfigured; the set's untaken fds stay
 * available to liveupdate_netdevs_take_queue_fd(). Devices with no queue of
 * this process get new queues, and a missing device is created again.
 * Returns: 0, or -EINVAL (NULL @set), -EEXIST (a conflict), -EBUSY (a tap
 * with queues attached by another process), -ENODEV (a macvtap's lower device is
 * missing), -EPERM (no CAP_NET_ADMIN), -EACCES (/dev/net/tun or /dev/tapN
 * not open to this user), -ENOENT (no /dev/net/tun, or no
 * /dev/tapN node for a macvtap), -ENOMEM, or another netlink or ioctl error.
 * Since: 1.0
 */
int liveupdate_netdevs_restore(struct liveupdate_netdevs *set);

/**
 * liveupdate_netdevs_get_queues - how many queue fds a restored tap or
 * macvtap has (0 for a bridge, or before liveupdate_netdevs_restore()).
 * Returns: the count, or -EINVAL (NULL argument), -ENODEV (no device
 * @name in the set).
 * Since: 1.0
 */
int liveupdate_netdevs_get_queues(const struct liveupdate_netdevs *set,
				  const char *name);

/**
 * liveupdate_netdevs_take_queue_fd - take queue @queue's fd of the restored
 * tap or macvtap @name; the caller owns it (O_CLOEXEC).
 * @fdp: where to store the fd.
 * Returns: 0, or -EINVAL (NULL argument), -ENODEV (no device @name in the
 * set), -ENOENT (no such queue, not restored yet, or already taken).
 * Since: 1.0
 */
int liveupdate_netdevs_take_queue_fd(struct liveupdate_netdevs *set,
				     const char *name, unsigned int queue,
				     int *fdp);

/* ------------------------------------------------------------------------ */
/* systemd fd store                                                         */
/* ------------------------------------------------------------------------ */

/*
 * A service keeps fds in systemd's file descriptor store, by name, and gets
 * them back when it starts again. With FileDescriptorStorePreserve=yes in
 * the unit, systemd 261 and later also carry the store across a kexec live
 * update: memfds in its own session "systemd", and a session fd pushed by
 * the service as that session itself. These calls speak the protocol of
 * sd_notify(3) and sd_listen_fds(3) directly; libsystemd is not needed.
 * See doc/systemd.md.
 */

/** LIVEUPDATE_FDSTORE_NAME_MAX - longest fd store name (FDNAME=), in bytes. */
#define LIVEUPDATE_FDSTORE_NAME_MAX 255

/**
 * struct liveupdate_fdstore_opts - options for the fd store calls.
 * @sz: sizeof(struct liveupdate_fdstore_opts), set by LIVEUPDATE_OPTS().
 * @notify_socket: the socket to talk to; NULL means $NOTIFY_SOCKET. A path,
 *      or "@name" for an abstract socket.
 * @no_poll: nonzero sends FDPOLL=0: systemd does not drop the fd when it
 *      sees POLLHUP or POLLERR on it.
 * @barrier_ms: when positive, wait up to this many milliseconds until
 *      systemd has read the message (sd_notify's BARRIER=1), so that a
 *      kexec started right after cannot overtake it. 0: do not wait.
 */
struct liveupdate_fdstore_opts {
	size_t sz;
	const char *notify_socket;
	int no_poll;
	int barrier_ms;
	size_t :0;
};

/**
 * liveupdate_fdstore_push - store a duplicate of @fd in the service's fd
 * store under @name (sd_notify "FDSTORE=1", "FDNAME=").
 * @fd: any open fd: a memfd, or a session fd (see
 *      liveupdate_fdstore_push_session()). The caller keeps @fd.
 * @name: 1 to %LIVEUPDATE_FDSTORE_NAME_MAX printable ASCII bytes without ':'.
 *
 * systemd sends no answer: an fd beyond FileDescriptorStoreMax=, or from a
 * process systemd does not accept notifications from, is closed and only
 * logged in its journal ("Hit fd store limit."). Check the limit with
 * liveupdate_fdstore_limit(). An fd already in the store is not added twice.
 * When @opts names no socket, the call needs $NOTIFY_SOCKET and $FDSTORE
 * (which systemd 254 and later set when the store is enabled).
 *
 * Returns: 0 once sent (and read, with @barrier_ms), or -EINVAL (bad
 * argument), -EBADF (@fd not open), -ENOTCONN (no $NOTIFY_SOCKET: not
 * under systemd, or NotifyAccess=none), -EOPNOTSUPP (no $FDSTORE: the
 * store is disabled), -EAFNOSUPPORT (a notify socket other than a path or
 * "@abstract"), -ETIMEDOUT (the barrier expired), or an error of
 * sendmsg(2) (-ECONNREFUSED, -ENOENT: the manager is gone).
 * Since: 1.0
 */
int liveupdate_fdstore_push(struct liveupdate_ctx *ctx, int fd,
			    const char *name,
			    const struct liveupdate_fdstore_opts *opts);

/**
 * liveupdate_fdstore_push_session - store @session's fd under @name, with
 * its manifest.
 *
 * systemd recognises a session fd and carries the session itself over a
 * live update; the session must not be named "systemd". Push an OUTGOING
 * session, and push it again after every change of name. The session stays
 * the caller's.
 *
 * Since 1.1, the manifest goes with the session when this process writes
 * it (it created the session, received it with liveupdate_session_receive()
 * or adopted it with liveupdate_fdstore_adopt_session()): each of its
 * pieces' memfds is pushed under "@name.lu-manifest" before the session,
 * and each piece the manifest makes later follows by itself (a failure
 * there is logged at LOG_ERR; pushing the session again repairs it, as
 * systemd does not store an fd twice). So @name takes at most 243 bytes
 * for such a session, and the session takes 1 + its pieces (usually 2)
 * of the store's FileDescriptorStoreMax= entries. At a kexec systemd logs
 * that it cannot preserve the pieces ("will be lost across kexec": they
 * are preserved in the session already); the next kernel reads the
 * manifest from the session itself.
 * Returns: as liveupdate_fdstore_push(), -EINVAL for a NULL @session or a
 * @name too long for its manifest's pieces.
 * Since: 1.0; the manifest since 1.1
 */
int liveupdate_fdstore_push_session(struct liveupdate_ctx *ctx,
				    struct liveupdate_session *session,
				    const char *name,
				    const struct liveupdate_fdstore_opts *opts);

/**
 * liveupdate_fdstore_remove - drop every fd named @name from the store
 * (sd_notify "FDSTOREREMOVE=1"), for instance a finished incoming session.
 * Since 1.1 it also drops those named "@name.lu-manifest" (a session's
 * manifest pieces, see liveupdate_fdstore_push_session()) when @name is
 * short enough to have them.
 * Returns: 0 once sent, or the errors of liveupdate_fdstore_push() that
 * concern the socket.
 * Since: 1.0
 */
int liveupdate_fdstore_remove(struct liveupdate_ctx *ctx, const char *name,
			      const struct liveupdate_fdstore_opts *opts);

/**
 * liveupdate_fdstore_limit - how many fds the service may store
 * (FileDescriptorStoreMax=, from $FDSTORE).
 * Returns: the limit (> 0), or -EOPNOTSUPP when $FDSTORE is unset: the
 * store is disabled or the process was not started by systemd >= 254.
 * Since: 1.0
 */
int liveupdate_fdstore_limit(struct liveupdate_ctx *ctx);

/**
 * liveupdate_fdstore_get - find the fd systemd passed under @name after a
 * restart or a live update (LISTEN_FDS, LISTEN_FDNAMES, LISTEN_PID).
 * @fdp: where to store the fd. It belongs to the process (it was inherited):
 *      close it when done. The call sets FD_CLOEXEC on it and leaves the
 *      environment alone, so it can be called again; with several fds of
 *      one name, the first is returned.
 *
 * Returns: 0, or -EINVAL (bad argument), -ENOENT (no fd of that name: a
 * first start, a cold boot, or nothing carried over; also when LISTEN_FDS
 * is unset or not a positive number, or LISTEN_PID is unset or another
 * process's: liveupdate_last_error() says which), -EBADF (the fd systemd
 * announced is closed), or another error of fcntl(2) setting FD_CLOEXEC.
 * Since: 1.0
 */
int liveupdate_fdstore_get(struct liveupdate_ctx *ctx, const char *name,
			   int *fdp);

/**
 * liveupdate_fdstore_adopt_session - liveupdate_fdstore_get() then
 * liveupdate_session_adopt(): the session systemd carried over and passed
 * back under @name, ready for liveupdate_session_retrieve_fd().
 *
 * The session holds its own duplicate of the fd systemd passed, which is
 * closed on success and left open on failure. systemd keeps its own copy
 * of the session fd in the store: after liveupdate_session_finish(),
 * liveupdate_fdstore_remove() it.
 *
 * An incoming session (after the kexec) reads its manifest from the kernel
 * as a retrieved one does. Since 1.1, an OUTGOING session (the service
 * restarted before the update) comes back with its manifest too, from the
 * pieces liveupdate_fdstore_push_session() stored beside it: the
 * manifest's listing and lookups by label work, and the process goes on
 * preserving and labelling, its new pieces pushed to the store as they
 * are made (one process writes a manifest at a time: the one that pushed
 * must be gone). Its files themselves stay in the kernel until the update
 * (liveupdate_session_retrieve_fd() refuses on an outgoing session). A
 * session pushed without a manifest gets an empty one. The pieces are
 * checked against the tokens the kernel holds for the session; if any is
 * missing (a full store, a push by a library before 1.1) or damaged, the
 * call fails and says so; liveupdate_fdstore_get() and
 * liveupdate_session_adopt() still take the session without its manifest
 * (files by token).
 * Returns: 0, or the errors of both calls (-ENOENT: no fd of that name;
 * -ENOTTY: the fd is not a session), or for an outgoing session -ENODATA
 * (pieces of its manifest missing from the store) or -EBADMSG (a piece
 * damaged, or not this session's manifest).
 * Since: 1.0; the manifest of an outgoing session since 1.1
 */
int liveupdate_fdstore_adopt_session(struct liveupdate_ctx *ctx,
				     const char *name,
				     struct liveupdate_session **sessionp);

#ifdef __cplusplus
}
#endif

#endif /* LIVEUPDATE_LIVEUPDATE_H */
