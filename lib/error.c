/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Return codes turned into sentences that say what to do, and logged. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "liveupdate-private.h"

/* Every message goes through the context's log function. */
void lu_log(const struct liveupdate_ctx *ctx, int priority, const char *file,
	    int line, const char *fn, const char *format, ...)
{
	va_list args;

	va_start(args, format);
	ctx->log_fn(ctx->log_data, priority, file, line, fn, format, args);
	va_end(args);
}

/* Filled by lu_fail(); per thread so that threads do not see each other's. */
static __thread char last_error[768];

/*
 * Meaning of each code for the core calls (device, sessions, files,
 * kexec), and for liveupdate_strerror(); calls of the features built on
 * them (memory, network devices, state, fd store) have their own tables
 * and never fall back to this one, whose words are about sessions.
 */
static const struct lu_advice generic[] = {
	{ EINVAL, "invalid argument or wrong session state: a NULL or negative "
		  "argument, an empty name or one over 63 bytes, an incoming "
		  "session used to preserve or an outgoing one to retrieve or "
		  "finish, or a session already retrieved" },
	{ ENOENT, "not found: no /dev/liveupdate (kernel without CONFIG_LIVEUPDATE "
		  "or not booted with liveupdate=on), no such incoming session or "
		  "token, a finished session, or a file the kernel cannot preserve" },
	{ EBUSY, "busy: another process holds /dev/liveupdate, or the file is "
		 "already preserved in a session" },
	{ EEXIST, "already exists: the session name or the token is already in use" },
	{ EBADF, "bad file descriptor: the fd is not open" },
	{ EIO, "the kernel could not read the state handed over by the previous "
	       "kernel; nothing can be retrieved in this boot" },
	{ EACCES, "permission denied by the device node's mode" },
	{ EPERM, "operation not permitted: kexec needs CAP_SYS_BOOT, and a "
		 "preserved memfd cannot change size" },
	{ EMFILE, "too many open files in this process: raise RLIMIT_NOFILE" },
	{ ENFILE, "too many open files in the system" },
	{ ENOMEM, "out of memory" },
	{ EOPNOTSUPP, "the memfd has a seal the kernel cannot carry over" },
	{ EFBIG, "the file is too large to preserve" },
	{ E2BIG, "the kernel does not understand a field this library sent: the "
		 "kernel is older than the request" },
	{ ENOTTY, "not a live update device or session fd" },
	{ EFAULT, "bad address passed to the kernel" },
	{ ENOEXEC, "the kernel image cannot be booted by kexec" },
	{ ECONNREFUSED, "the backend is not running" },
	{ ENODATA, "the session has no manifest: nothing was recorded in it (no "
		   "label, metadata or kind), it was created without one or by "
		   "another program, or it is an outgoing session this process "
		   "did not create; use tokens" },
	{ ENOSPC, "no space left: the session manifest has reached its limit of "
		  "64 MiB (record less, or spread the files over more sessions), "
		  "or a tmpfs is full (raise its size= option)" },
	{ EBADMSG, "damaged data: the session manifest or a network device record "
		   "is damaged, or of a format this library cannot read; files can "
		   "still be retrieved by token" },
	{ 0, NULL },
};

/* Advice for an errno in the context of one operation. */
static const struct lu_advice create_session[] = {
	{ EEXIST, "an outgoing session of that name is open in this kernel: "
		  "choose another name or close that session first" },
	{ EMFILE, "this process is out of file descriptors: raise RLIMIT_NOFILE" },
	{ 0, NULL },
};

static const struct lu_advice retrieve_session[] = {
	{ ENOENT, "no incoming session has that name: this is a cold boot, the "
		  "session was closed before the kexec, or it was already "
		  "retrieved and closed" },
	{ EINVAL, "the session is already retrieved and still open (in this or "
		  "another process): use that session fd" },
	{ 0, NULL },
};

static const struct lu_advice adopt_session[] = {
	{ EBADF, "the fd is not open" },
	{ ENOTTY, "the fd is not a live update session" },
	{ EINVAL, "the fd is not a live update session" },
	{ 0, NULL },
};

static const struct lu_advice preserve_fd[] = {
	{ EEXIST, "the token is already used in this session: pick a new token" },
	{ EBADF, "the fd is not open" },
	{ ENOENT, "the kernel cannot preserve this kind of file: use a memfd "
		  "without MFD_HUGETLB (HugeTLB memory cannot be preserved yet) "
		  "or another unlinked shmem file" },
	{ EBUSY, "this file is already preserved, in this or another session" },
	{ EOPNOTSUPP, "the memfd has a seal other than SEAL, SHRINK, GROW, WRITE, "
		      "FUTURE_WRITE or EXEC" },
	{ EINVAL, "the session is incoming: files can only be added to a session "
		  "created in this kernel" },
	{ 0, NULL },
};

static const struct lu_advice retrieve_fd[] = {
	{ ENOENT, "no file with that token in this session, or the session is "
		  "finished" },
	{ EINVAL, "the session is outgoing: files are retrieved from incoming "
		  "sessions after the update" },
	{ EMFILE, "this process is out of file descriptors: raise RLIMIT_NOFILE" },
	{ 0, NULL },
};

static const struct lu_advice finish[] = {
	{ EBUSY, "a file handler in the kernel is not ready yet: retry later" },
	{ EINVAL, "only incoming sessions can be finished" },
	{ 0, NULL },
};

static const struct lu_advice kexec_load[] = {
	{ EPERM, "loading a kernel needs CAP_SYS_BOOT (run as root), and lockdown "
		 "may demand a signed image" },
	{ ENOEXEC, "the file is not a kernel image this kernel can kexec (a bzImage "
		   "for x86)" },
	{ EBUSY, "another kexec load is in progress" },
	{ 0, NULL },
};

static const struct lu_advice kexec_reboot[] = {
	{ EINVAL, "no kernel is loaded: call liveupdate_kexec_load() first" },
	{ EPERM, "rebooting needs CAP_SYS_BOOT" },
	{ 0, NULL },
};

static const struct lu_advice manifest[] = {
	{ EBADMSG, "the session manifest is damaged or of a format version this "
		   "library cannot read; files can still be retrieved by token" },
	{ EEXIST, "the label is already used in this session: labels are unique" },
	{ ENOENT, "no file has that label, or no such metadata key, in the "
		  "session manifest" },
	{ 0, NULL },
};

static const struct lu_advice netdev[] = {
	{ EPERM, "changing network devices needs CAP_NET_ADMIN in their network "
		 "namespace" },
	{ EEXIST, "a device of that name exists with another kind or "
		  "configuration: delete or rename it, then restore again" },
	{ EBUSY, "the tap is attached to another process's fds: stop that "
		 "process or make it close them" },
	{ ENODEV, "no such network device in this network namespace" },
	{ EOPNOTSUPP, "only taps, macvtaps and the bridges they are ports of "
		      "can be recorded" },
	{ EBADMSG, "the network device record is corrupted or was not made by "
		   "liveupdate_netdevs_encode()" },
	{ EPROTONOSUPPORT, "the record was written by a newer libliveupdate: "
			   "restore with that version" },
	{ E2BIG, "a set of network devices holds at most 64 devices, a bridge "
		 "keeps at most 16 addresses: preserve the others in another set" },
	{ ENOTTY, "the fd is not a tap or macvtap queue" },
	{ EBADFD, "the tap fd is not attached to a device" },
	{ ENOENT, "no /dev/net/tun (load the tun module) or no /dev/tapN node "
		  "for the macvtap (mount devtmpfs on /dev)" },
	{ EACCES, "/dev/net/tun or the macvtap's /dev/tapN is not open to this "
		  "user: restore as root (CAP_NET_ADMIN)" },
	{ 0, NULL },
};

static const struct lu_advice memory[] = {
	{ ENOMEM, "not enough memory, or not enough pages in the HugeTLB pool: "
		  "free memory, raise the pool, or ask for a smaller size" },
	{ ENOSPC, "the tmpfs is full: raise its size= mount option" },
	{ EINVAL, "the size is larger than a file can be, or the file refuses the "
		  "request: ask for a smaller size" },
	{ EFBIG, "the size is larger than a file can be here (RLIMIT_FSIZE, or the "
		 "file system's maximum): ask for a smaller size" },
	{ EACCES, "the fd is not open for reading and writing: open the memory "
		  "O_RDWR to map or populate it" },
	{ EPERM, "the memory is preserved: its size is frozen until the update" },
	{ EOPNOTSUPP, "this kind of memory is not available on this host: use "
		      "LIVEUPDATE_MEMORY_AUTO, which says what it chose and why" },
	{ ECANCELED, "the progress function asked to stop" },
	{ 0, NULL },
};

static const struct lu_advice state[] = {
	{ ENOENT, "the root directory given to the state query does not exist" },
	{ ENOTDIR, "the root given to the state query is not a directory" },
	{ EACCES, "the root directory given to the state query cannot be read" },
	{ 0, NULL },
};

static const struct lu_advice fdstore[] = {
	{ ENOTCONN, "not started by systemd, or the unit has NotifyAccess=none: "
		    "set Type=notify or NotifyAccess=main in the unit" },
	{ EOPNOTSUPP, "the unit's fd store is disabled: set FileDescriptorStoreMax= "
		      "(and FileDescriptorStorePreserve=yes to keep it across a "
		      "live update; systemd 261 or later)" },
	{ EAFNOSUPPORT, "only path and abstract ('@') notify sockets are supported" },
	{ ENOENT, "the notify socket does not exist: the service manager is gone" },
	{ ECONNREFUSED, "nobody listens on the notify socket: the service manager "
			"is gone" },
	{ EBADF, "the fd to push is not open" },
	{ ETIMEDOUT, "systemd did not read the message in time (it may be busy); "
		     "the fd may still be stored" },
	{ 0, NULL },
};

static const struct lu_advice fdstore_get[] = {
	{ ENOENT, "systemd passed no fd of that name: a first start or a cold "
		  "boot, a unit without FileDescriptorStorePreserve=yes, an fd "
		  "systemd could not carry over (see its journal), or the fds "
		  "were already taken by a parent process" },
	{ EBADF, "the fd systemd announced is not open: something closed it" },
	{ 0, NULL },
};

static const struct lu_advice handover[] = {
	{ EPERM, "the process at the other end of the socket runs as another "
		 "user: hand sessions over only between processes of one uid" },
	{ ENOTSOCK, "pass a connected Unix socket (SOCK_STREAM or SOCK_SEQPACKET)" },
	{ EPROTOTYPE, "pass a connected Unix socket (SOCK_STREAM or SOCK_SEQPACKET)" },
	{ ENOTCONN, "connect the socket to the other process first" },
	{ ECONNRESET, "the other process hung up or died midway; the predecessor "
		      "keeps the session" },
	{ EPIPE, "the other process hung up or died midway; the predecessor "
		 "keeps the session" },
	{ ECONNREFUSED, "the successor refused the session; the predecessor keeps "
			"it" },
	{ EBADMSG, "the other end does not speak this library's handover "
		   "protocol, or the message was damaged: nothing was taken" },
	{ EMFILE, "this process is out of file descriptors: raise RLIMIT_NOFILE "
		  "(every preserved file travels as an fd)" },
	{ EAGAIN, "the socket's timeout expired (SO_RCVTIMEO, SO_SNDTIMEO)" },
	{ 0, NULL },
};

/* Whether an operation's errors may take the generic table's advice. */
static bool core_op(enum lu_op op)
{
	return op <= LU_OP_KEXEC_REBOOT || op == LU_OP_MANIFEST;
}

static const struct lu_advice *const by_op[] = {
	[LU_OP_ARGUMENT] = NULL,
	[LU_OP_ALLOC] = NULL,
	[LU_OP_OPEN_DEVICE] = NULL, /* the backend's: its ops->open_advice */
	[LU_OP_CREATE_SESSION] = create_session,
	[LU_OP_RETRIEVE_SESSION] = retrieve_session,
	[LU_OP_ADOPT_SESSION] = adopt_session,
	[LU_OP_PRESERVE_FD] = preserve_fd,
	[LU_OP_RETRIEVE_FD] = retrieve_fd,
	[LU_OP_FINISH] = finish,
	[LU_OP_KEXEC_LOAD] = kexec_load,
	[LU_OP_KEXEC_REBOOT] = kexec_reboot,
	[LU_OP_MANIFEST] = manifest,
	[LU_OP_NETDEV] = netdev,
	[LU_OP_MEMORY] = memory,
	[LU_OP_STATE] = state,
	[LU_OP_FDSTORE] = fdstore,
	[LU_OP_FDSTORE_GET] = fdstore_get,
	[LU_OP_HANDOVER] = handover,
};

static const char *lookup(const struct lu_advice *list, int err)
{
	for (; list && list->err; list++)
		if (list->err == err)
			return list->text;
	return NULL;
}

const char *lu_errno_name(int err)
{
	const char *name = strerrorname_np(err < 0 ? -err : err);

	return name ? name : "errno";
}

LU_EXPORT const char *liveupdate_strerror(int err)
{
	const char *text;

	if (err == 0)
		return "success";
	if (err < 0)
		err = -err;
	text = lookup(generic, err);
	if (!text)
		text = strerrordesc_np(err); /* static, unlike strerror() */
	return text ? text : "unknown error code";
}

LU_EXPORT const char *liveupdate_last_error(void)
{
	return last_error;
}

void lu_last_error_append(const char *fmt, ...)
{
	size_t len = strlen(last_error);
	va_list args;

	va_start(args, fmt);
	vsnprintf(last_error + len, sizeof(last_error) - len, fmt, args);
	va_end(args);
}

/* lu_fail(); opener: the backend whose open advice and priority apply. */
static int fail_v(const struct liveupdate_ctx *ctx, enum lu_op op,
		  const struct lu_backend_ops *opener, int err, const char *what_fmt,
		  va_list args)
{
	const struct lu_advice *list = opener ? opener->open_advice : by_op[op];
	const char *advice = lookup(list, -err);
	int len;

	if (!advice && core_op(op))
		advice = lookup(generic, -err);
	len = vsnprintf(last_error, sizeof(last_error), what_fmt, args);
	if (len < 0 || (size_t)len >= sizeof(last_error))
		len = (int)strlen(last_error);
	if (op == LU_OP_ARGUMENT && err == -EINVAL)
		; /* the message says what is wrong with the argument */
	else if (advice)
		snprintf(last_error + len, sizeof(last_error) - (size_t)len,
			 ": %s (%s): %s", strerror(-err), lu_errno_name(err), advice);
	else
		snprintf(last_error + len, sizeof(last_error) - (size_t)len,
			 ": %s (%s)", strerror(-err), lu_errno_name(err));
	if (op == LU_OP_ARGUMENT || op == LU_OP_ALLOC)
		lu_err(ctx, "%s", last_error);
	else if (opener && ctx)
		lu_log_cond(ctx, opener->open_fail_priority, "%s", last_error);
	else
		lu_info(ctx, "%s", last_error);
	return err;
}

int lu_fail(const struct liveupdate_ctx *ctx, enum lu_op op, int err,
	    const char *what_fmt, ...)
{
	va_list args;
	int ret;

	va_start(args, what_fmt);
	ret = fail_v(ctx, op, op == LU_OP_OPEN_DEVICE && ctx ? ctx->ops : NULL, err,
		     what_fmt, args);
	va_end(args);
	return ret;
}

int lu_fail_open(const struct liveupdate_ctx *ctx, const struct lu_backend_ops *ops,
		 int err, const char *what_fmt, ...)
{
	va_list args;
	int ret;

	va_start(args, what_fmt);
	ret = fail_v(ctx, LU_OP_OPEN_DEVICE, ops, err, what_fmt, args);
	va_end(args);
	return ret;
}
