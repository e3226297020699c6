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
 * also when the kernel refuses the request. The session gets a manifest of
 * 256 KiB (see "Manifest" below and liveupdate_session_create_opts()).
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
 * In a session with a manifest, the file is recorded there (without a
 * label; see liveupdate_session_preserve_fd_opts()).
 *
 * Returns: 0, or -EINVAL (@fd negative, incoming session, @token is
 * LIVEUPDATE_MANIFEST_TOKEN), -EEXIST (@token already used in this
 * session), -EBADF (@fd not open), -ENOENT (the kernel cannot preserve
 * this kind of file), -EBUSY (the file is already preserved in some
 * session), -EOPNOTSUPP (the memfd has a seal the kernel cannot carry),
 * -EFBIG, -ENOMEM, -ENOSPC (the session's manifest is full).
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
/* Manifest                                                                 */
/* ------------------------------------------------------------------------ */

/*
 * The kernel cannot list what a session holds. Sessions created with
 * liveupdate_session_create() therefore carry a manifest: a small memfd,
 * preserved under the reserved token LIVEUPDATE_MANIFEST_TOKEN, that lists
 * every file preserved through this library with its label, token, kind,
 * size and key/value metadata, plus key/value metadata of the session. It
 * is rewritten in place after each preserve, in two copies with a
 * generation number, so that a crash or a kexec in the middle of an update
 * leaves the previous state readable. After the update, files are found by
 * label. The byte format is documented in doc/manifest.md.
 *
 * Sessions created with LIVEUPDATE_SESSION_NO_MANIFEST, by other programs
 * or by earlier versions work by token alone: the manifest calls then fail
 * with -ENODATA and the token calls are unaffected.
 */

/**
 * LIVEUPDATE_MANIFEST_TOKEN - the token of the manifest memfd in a session
 * ("MANIFEST" in ASCII, big-endian). Preserving a file of your own under it
 * fails with -EINVAL, in every session.
 */
#define LIVEUPDATE_MANIFEST_TOKEN UINT64_C(0x4d414e4946455354)

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
 */
enum liveupdate_session_flags {
	LIVEUPDATE_SESSION_NO_MANIFEST = 1u << 0,
	_LIVEUPDATE_SESSION_FLAGS_PIN = 0x7fffffff /* keeps it 32-bit */
};

/**
 * struct liveupdate_session_opts - options for liveupdate_session_create_opts().
 * @sz: sizeof(struct liveupdate_session_opts), set by LIVEUPDATE_OPTS().
 * @flags: enum liveupdate_session_flags, or 0.
 * @manifest_size: bytes of the manifest memfd, which holds two copies of
 *      the manifest; 0 means 256 KiB: room for 500 files with 200 bytes of
 *      label and metadata each, or about 2,000 with labels of up to 16
 *      bytes and no metadata (5,000 of those need 1 MiB). A multiple of
 *      8 KiB, up to 64 MiB. The kernel pins it like any preserved memfd,
 *      and its size cannot change after creation.
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
 * @opts: options, or NULL for the defaults (a manifest of 256 KiB).
 * @sessionp: where to store the new session.
 *
 * liveupdate_session_create() is this call with NULL @opts. With a
 * manifest, the manifest memfd is created and preserved at once; if that
 * fails, the session is closed again and nothing is left behind.
 *
 * Returns: 0, the errors of liveupdate_session_create(), or -EINVAL (bad
 * @opts: size, unknown flags or fields, @manifest_size out of range), or an
 * error preserving the manifest memfd (-ENOMEM, -EMFILE).
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
 * @backing: for LIVEUPDATE_ENTRY_MEMORY, the memory object's backing.
 * @page_size: for LIVEUPDATE_ENTRY_MEMORY, its page size in bytes.
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
	uint32_t backing;
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
	uint32_t backing;
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
 * Everything is checked before the kernel is asked: a refused call changes
 * nothing. Once the kernel has preserved the file, recording it cannot fail.
 * liveupdate_session_preserve_fd() records its files too (without label).
 * In a session without manifest, @label and @meta are refused, and @kind,
 * @backing and @page_size are not recorded anywhere.
 *
 * Returns: 0, the errors of liveupdate_session_preserve_fd(), or -EINVAL
 * (bad @opts, an unknown @kind, a label or metadata out of limits,
 * duplicate keys, a label or metadata in a session without manifest, the
 * token LIVEUPDATE_MANIFEST_TOKEN), -EEXIST (the label is already used in
 * this session), -ENOSPC (the manifest is full: create the session with a
 * larger manifest_size).
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
 * Each call takes room in the manifest, also when it replaces a value.
 * Returns: 0, or -EINVAL (NULL or out-of-limit argument, incoming session,
 * a new key beyond LIVEUPDATE_META_MAX), -ENODATA (no manifest), -ENOSPC
 * (the manifest is full), -ENOMEM.
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
 * manifest), -EBADMSG (the manifest is damaged or of an unknown format
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
 * liveupdate_session_count_entries - how many files the manifest lists.
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
 * the session's name and metadata, then one line per file (token, label,
 * kind, size, metadata). For tools such as `liveupdate-ctl manifest`: adopt
 * a session fd with liveupdate_session_adopt() and print it.
 * Returns: 0, or the errors of liveupdate_session_get_meta() but -ENOENT,
 * or a negative errno of write(2).
 * Since: 1.0
 */
int liveupdate_session_print_manifest(struct liveupdate_session *session, int fd);

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
