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
 * session, as a sealed memfd labelled "liveupdate-netdevs", under @token.
 * Returns: 0, or -EINVAL (NULL argument), the errors of memfd_create(2)
 * and of liveupdate_session_preserve_fd().
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
 * in use by another process, a macvtap on another lower device, a missing
 * lower device) changes nothing and names the device in
 * liveupdate_last_error(). A failure midway deletes the devices and
 * addresses this call created and closes its fds; settings changed on
 * reused devices stay. Calling it again closes the queue fds not taken.
 * Returns: 0, or -EINVAL (NULL @set), -EEXIST (a conflict), -EBUSY (a tap
 * in use by another process), -ENODEV (a macvtap's lower device is
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
 *      otherwise (-EIO: the previous kernel's state could not be read).
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
 * to open it in that instant gets -EBUSY). Reads /proc/cmdline,
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
 * the availability is LIVEUPDATE_AVAIL_BUSY (the first one found in /proc;
 * other users' processes are visible to root only).
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
