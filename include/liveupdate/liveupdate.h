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
