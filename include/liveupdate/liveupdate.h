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
#define LIVEUPDATE_VERSION_MINOR 0
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
 * is logged at LOG_DEBUG.
 *
 * Returns: 0, or -EINVAL (NULL @ctxp, @opts with a bad size or unknown
 * non-zero fields from a newer library version, empty @device_path, an
 * unknown backend, LIBLIVEUPDATE_BACKEND neither "kernel" nor "sim"),
 * -ENOMEM, or for the simulator an error reaching it (-ENOENT,
 * -ECONNREFUSED: liveupdate-sim is not running).
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
 */
typedef void (*liveupdate_log_fn)(void *data, int priority, const char *file,
				  int line, const char *fn, const char *format,
				  va_list args);

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
 * early whether live update is usable here.
 *
 * Returns: 0 (also when already open), or
 *  -ENOENT  no device: the kernel lacks CONFIG_LIVEUPDATE or was not booted
 *           with liveupdate=on (and KHO enabled);
 *  -EBUSY   another open file holds the device (another process, or another
 *           context of this process);
 *  -EACCES  the device node's mode forbids it;
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
 * also when the kernel refuses the request.
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
 * Returns: 0, or -EINVAL (@fd negative, incoming session), -EEXIST
 * (@token already used in this session), -EBADF (@fd not open), -ENOENT
 * (the kernel cannot preserve this kind of file), -EBUSY (the file is
 * already preserved in some session), -EOPNOTSUPP (the memfd has a seal
 * the kernel cannot carry), -EFBIG, -ENOMEM.
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
 * Returns: 0, or -EINVAL (@session outgoing, NULL @fdp), -ENOENT (no such
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
 * liveupdate_fdstore_push_session - store @session's fd under @name.
 *
 * systemd recognises a session fd and carries the session itself over a
 * live update; the session must not be named "systemd". Push an OUTGOING
 * session, and push it again after every change of name. The session stays
 * the caller's.
 * Returns: as liveupdate_fdstore_push(), -EINVAL for a NULL @session.
 * Since: 1.0
 */
int liveupdate_fdstore_push_session(struct liveupdate_ctx *ctx,
				    struct liveupdate_session *session,
				    const char *name,
				    const struct liveupdate_fdstore_opts *opts);

/**
 * liveupdate_fdstore_remove - drop every fd named @name from the store
 * (sd_notify "FDSTOREREMOVE=1"), for instance a finished incoming session.
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
 * first start, a cold boot, or nothing carried over), -EBADF (the fd
 * systemd announced is closed).
 * Since: 1.0
 */
int liveupdate_fdstore_get(struct liveupdate_ctx *ctx, const char *name,
			   int *fdp);

/**
 * liveupdate_fdstore_adopt_session - liveupdate_fdstore_get() then
 * liveupdate_session_adopt(): the session systemd carried over and passed
 * back under @name, ready for liveupdate_session_retrieve_fd().
 *
 * systemd keeps its own copy of the session fd in the store: after
 * liveupdate_session_finish(), liveupdate_fdstore_remove() it.
 * Returns: 0, or the errors of both calls (-ENOENT: no fd of that name;
 * -ENOTTY: the fd is not a session).
 * Since: 1.0
 */
int liveupdate_fdstore_adopt_session(struct liveupdate_ctx *ctx,
				     const char *name,
				     struct liveupdate_session **sessionp);

/* ------------------------------------------------------------------------ */
/* Errors                                                                   */
/* ------------------------------------------------------------------------ */

/**
 * liveupdate_strerror - a sentence for a return code of this library, saying
 * what it means here and what to do about it.
 * @err: a return code (negative errno; the sign is ignored; 0 is success).
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

#ifdef __cplusplus
}
#endif

#endif /* LIVEUPDATE_LIVEUPDATE_H */
