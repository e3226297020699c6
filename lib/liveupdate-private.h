/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Internals shared by the library's source files. Nothing here is ABI. */
#ifndef LIBLIVEUPDATE_PRIVATE_H
#define LIBLIVEUPDATE_PRIVATE_H

#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>
#include <syslog.h>

#include "liveupdate/liveupdate.h"
#include <linux/liveupdate.h>
#include "lu-util.h"

#define LU_EXPORT __attribute__((visibility("default")))

#define LU_DEFAULT_DEVICE "/dev/liveupdate"

/* What to do about an errno, in the context of one operation (lib/error.c). */
struct lu_advice {
	int err;              /* positive errno; 0 ends a list */
	const char *text;
};

/*
 * The backend seam: every interaction with the kernel goes through one of
 * these calls, so that tests can put the simulator, or a layer that injects
 * faults, in the kernel's place. Each returns a non-negative value on
 * success and a negative errno on failure, never -1 with errno. The library
 * calls them through the lu_backend_*() wrappers below.
 */
/* A process that holds the device open. */
struct lu_holder {
	pid_t pid;
	char comm[64];
};

struct lu_backend_ops {
	const char *name;
	enum liveupdate_backend kind; /* what liveupdate_ctx_get_backend() says */
	/* what to do when open_device fails, by errno, and how loud: the
	 * kernel's answers are LOG_INFO (callers probe whether live update
	 * works here); a simulator that was asked for and is not there is
	 * LOG_ERR */
	const struct lu_advice *open_advice;
	int open_fail_priority;
	/* the device as a person should read it in messages: its path, ... */
	const char *(*device_label)(void *data, const char *path);
	/* who holds the device (open_device gave EBUSY): fill up to max
	 * holders, return how many were found; NULL if the backend cannot tell */
	int (*find_holders)(void *data, const char *path,
			    struct lu_holder *holders, int max);
	/* open the device read-write, O_CLOEXEC: fd */
	int (*open_device)(void *data, const char *path);
	/* a <linux/liveupdate.h> request on a device or session fd */
	int (*ioctl)(void *data, int fd, unsigned long request, void *arg);
	/* close a device or session fd */
	int (*close)(void *data, int fd);
	/* kexec_file_load(2); initrd_fd -1 for none */
	int (*kexec_file_load)(void *data, int kernel_fd, int initrd_fd,
			       const char *cmdline, unsigned long flags);
	/* sync(2) and reboot(2) into the loaded kernel; 0 after a simulated one */
	int (*reboot_kexec)(void *data);
	/* free data when the context goes; NULL if there is nothing to free */
	void (*release)(void *data);
};

extern const struct lu_backend_ops lu_kernel_backend;

/*
 * lib/backend-sim.c: the liveupdate-sim(1) daemon behind the seam. Set up
 * its data for a context: socket NULL means LIBLIVEUPDATE_SIM_SOCKET or the
 * simulator's default path. Returns 0 or a negative errno (logged).
 */
extern const struct lu_backend_ops lu_sim_backend;
int lu_sim_backend_new(struct liveupdate_ctx *ctx, const char *socket,
		       void **datap);

/*
 * Data a feature keeps in an object of the core (a context's memory probe
 * cache, a session's manifest), found by the feature's own key (the address
 * of one of its statics) and freed with the object by the feature's
 * free_fn: the core knows no feature.
 */
struct lu_feature_data {
	struct lu_feature_data *next;
	const void *key;
	void *data;
	void (*free_fn)(void *data);
};
/* The data kept under key, or NULL. */
void *lu_feature_data_get(struct lu_feature_data *const *list, const void *key);
/* Keep data under key, replacing (not freeing) what was there: 0 or -ENOMEM. */
int lu_feature_data_set(struct lu_feature_data **list, const void *key,
			void *data, void (*free_fn)(void *data));
/* Free everything kept in list, each with its free_fn (the object's end). */
void lu_feature_data_free(struct lu_feature_data **list);

struct liveupdate_ctx {
	int refcount;                 /* atomic */
	pthread_mutex_t device_lock;  /* guards device_fd */
	int device_fd;                /* -1 until opened */
	char *device_path;
	liveupdate_log_fn log_fn;
	void *log_data;
	int log_priority;
	const struct lu_backend_ops *ops;
	void *ops_data;
	pthread_mutex_t feature_lock; /* guards features */
	struct lu_feature_data *features; /* what features keep per context */
};

struct liveupdate_session {
	int refcount;                 /* atomic */
	struct liveupdate_ctx *ctx;   /* holds a reference */
	int fd;
	enum liveupdate_session_direction direction;
	bool finished;
	char name[LIVEUPDATE_SESSION_NAME_LENGTH];
	struct lu_feature_data *features; /* what features keep per session */
	uint64_t next_token;          /* where the library's next token search starts */
	/* Kept files: with keep_files, a duplicate of every fd preserved in
	 * the session (the kernel gives none back from an outgoing session),
	 * so that it can be handed to a successor process; in preserve order. */
	bool keep_files;
	bool handed_over;             /* a successor took it: nothing more here */
	struct lu_kept_file *kept;
	size_t n_kept, kept_cap;
};

/* A file of an outgoing session that keeps its files: its token and the
 * library's own duplicate of its fd. */
struct lu_kept_file {
	uint64_t token;
	int fd;
};

/* lib/session.c: CREATE_SESSION (create) or RETRIEVE_SESSION for name:
 * 0 with *sessionp set, or a negative errno (logged). */
int lu_session_open(struct liveupdate_ctx *ctx, const char *name,
		    struct liveupdate_session **sessionp, bool create);
/* lib/file.c: the kernel's PRESERVE_FD and RETRIEVE_FD on a session, for
 * the calls around them: 0 or the kernel's negative errno, not logged. */
int lu_session_preserve(struct liveupdate_session *session, int fd,
			uint64_t token, const char *call);
int lu_session_retrieve(struct liveupdate_session *session, uint64_t token,
			int *fdp);
/* lib/session.c: whether the kernel holds a file at token in the outgoing
 * session (the same probe as the direction's: a preserve of fd -1, refused
 * with EEXIST when the token is taken, EBADF when not, changing nothing):
 * 1, 0, or a negative errno (not logged). */
int lu_session_token_taken(struct liveupdate_session *session, uint64_t token);
/* lib/session.c: the kept fd of token (the library's; do not close), or -1. */
int lu_session_kept_fd(const struct liveupdate_session *session, uint64_t token);
/* lib/session.c: close every kept fd (the session was handed over, or goes). */
void lu_session_drop_kept(struct liveupdate_session *session);
/* lib/session.c: a received session takes files[n] (malloc'd, fds open) as its
 * kept files, and keeps every file preserved from now on. */
void lu_session_take_kept(struct liveupdate_session *session,
			  struct lu_kept_file *files, size_t n);

/* Replace the backend of a context; for tests, before any session exists. */
void lu_ctx_set_backend(struct liveupdate_ctx *ctx,
			const struct lu_backend_ops *ops, void *data);

/* Device fd, opened on first use; a negative errno on failure. */
int lu_ctx_device_fd(struct liveupdate_ctx *ctx);
/* After a request on dev failed with EBADF: if dev is still open here, the
 * device was closed under the context (liveupdate-sim's simulated kexec);
 * forget it so that lu_ctx_device_fd() opens it again. true if so. */
bool lu_ctx_device_gone(struct liveupdate_ctx *ctx, int dev);
/* Whether the device opens: 0 (left as it was: open or closed) or the
 * negative errno of opening it (logged). */
int lu_ctx_try_device(struct liveupdate_ctx *ctx);

/* ---- calls through the backend seam ---- */
static inline int lu_backend_open_device(struct liveupdate_ctx *ctx)
{
	return ctx->ops->open_device(ctx->ops_data, ctx->device_path);
}

static inline int lu_backend_ioctl(struct liveupdate_ctx *ctx, int fd,
				   unsigned long request, void *arg)
{
	return ctx->ops->ioctl(ctx->ops_data, fd, request, arg);
}

static inline int lu_backend_close(struct liveupdate_ctx *ctx, int fd)
{
	return ctx->ops->close(ctx->ops_data, fd);
}

static inline int lu_backend_kexec_file_load(struct liveupdate_ctx *ctx,
					     int kernel_fd, int initrd_fd,
					     const char *cmdline,
					     unsigned long flags)
{
	return ctx->ops->kexec_file_load(ctx->ops_data, kernel_fd, initrd_fd,
					 cmdline, flags);
}

static inline int lu_backend_reboot_kexec(struct liveupdate_ctx *ctx)
{
	return ctx->ops->reboot_kexec(ctx->ops_data);
}

static inline const char *lu_backend_device_label(struct liveupdate_ctx *ctx)
{
	return ctx->ops->device_label(ctx->ops_data, ctx->device_path);
}

static inline int lu_backend_find_holders(struct liveupdate_ctx *ctx,
					  struct lu_holder *holders, int max)
{
	return ctx->ops->find_holders
		? ctx->ops->find_holders(ctx->ops_data, ctx->device_path, holders, max)
		: 0;
}

static inline void lu_backend_release(struct liveupdate_ctx *ctx)
{
	if (ctx->ops->release)
		ctx->ops->release(ctx->ops_data);
}

/* lib/device-holders.c: the kernel backend's find_holders, the processes
 * that have @device_path open as /proc shows them; a holder's comm from
 * /proc ("?" when unreadable); and, on EBUSY, " Held by pid N (comm)."
 * appended to the thread's last error for each holder the backend finds. */
int lu_device_holders(void *data, const char *device_path,
		      struct lu_holder *holders, int max);
void lu_holder_comm(struct lu_holder *h);
void lu_name_device_holders(struct liveupdate_ctx *ctx);

/* ---- logging ---- */
void lu_log(const struct liveupdate_ctx *ctx, int priority, const char *file,
	    int line, const char *fn, const char *format, ...)
	__attribute__((format(printf, 6, 7)));

#define lu_log_cond(ctx, prio, ...)                                          \
	do {                                                                  \
		const struct liveupdate_ctx *lu_c_ = (ctx);                   \
		if (lu_c_ && lu_c_->log_fn && lu_c_->log_priority >= (prio))  \
			lu_log(lu_c_, prio, __FILE__, __LINE__, __func__,     \
			       __VA_ARGS__);                                  \
	} while (0)

#define lu_dbg(ctx, ...) lu_log_cond(ctx, LOG_DEBUG, __VA_ARGS__)
#define lu_info(ctx, ...) lu_log_cond(ctx, LOG_INFO, __VA_ARGS__)
#define lu_err(ctx, ...) lu_log_cond(ctx, LOG_ERR, __VA_ARGS__)

/* ---- errors ---- */

/* What was being done when an error happened: selects the advice given. */
enum lu_op {
	LU_OP_ARGUMENT,    /* the library rejected an argument */
	LU_OP_ALLOC,       /* the library ran out of memory */
	LU_OP_OPEN_DEVICE, /* advice: the backend's open_advice */
	LU_OP_CREATE_SESSION,
	LU_OP_RETRIEVE_SESSION,
	LU_OP_ADOPT_SESSION,
	LU_OP_PRESERVE_FD,
	LU_OP_RETRIEVE_FD,
	LU_OP_FINISH,
	LU_OP_KEXEC_LOAD,
	LU_OP_KEXEC_REBOOT,
	LU_OP_MEMORY,      /* guest memory helpers (lib/memory*.c) */
	LU_OP_NETDEV,      /* network devices: snapshot, record, restore */
	LU_OP_STATE,       /* liveupdate_state_query() */
	LU_OP_FDSTORE,     /* lib/systemd.c: a message to systemd's notify socket */
	LU_OP_FDSTORE_GET, /* lib/systemd.c: an fd from LISTEN_FDS */
	LU_OP_MANIFEST,    /* the session manifest (lib/manifest.c) */
	LU_OP_HANDOVER,    /* a session handed to a successor (lib/handover.c) */
};

/*
 * Record a failure: sets this thread's liveupdate_last_error() to
 * "<what>: <errno name>: <advice for op and err>" and logs it (LOG_ERR for
 * rejected arguments, which are programming errors, and for running out of
 * memory; LOG_INFO for the kernel's answers, which the caller may well
 * expect). Returns err.
 */
int lu_fail(const struct liveupdate_ctx *ctx, enum lu_op op, int err,
	    const char *what_fmt, ...) __attribute__((format(printf, 4, 5)));

/* lu_fail() for opening a backend's device (or reaching it) before it is
 * the context's: ops's open advice and priority. */
int lu_fail_open(const struct liveupdate_ctx *ctx, const struct lu_backend_ops *ops,
		 int err, const char *what_fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Reject a bad argument: -EINVAL with the reason. */
#define lu_bad_arg(ctx, ...) lu_fail(ctx, LU_OP_ARGUMENT, -EINVAL, __VA_ARGS__)

/* An allocation failed: -ENOMEM, saying what was being done. */
#define lu_oom(ctx, ...) lu_fail(ctx, LU_OP_ALLOC, -ENOMEM, __VA_ARGS__)

/* Append an extra sentence to this thread's last error (e.g. who holds the device). */
void lu_last_error_append(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

const char *lu_errno_name(int err);

/* ---- the session manifest (lib/manifest.c) ---- */

/* The session's manifest as it stands: NULL when there is none or it is
 * not read yet. */
struct lu_manifest *lu_session_manifest(const struct liveupdate_session *s);
/* Whether s has a manifest this process writes (it created s). */
bool lu_session_manifest_writable(const struct liveupdate_session *s);
/* The session's manifest, read from an incoming session on first use:
 * 0 with *mp set, or a negative errno (logged, naming call). */
int lu_session_manifest_get(struct liveupdate_session *s, const char *call,
			    struct lu_manifest **mp);
/*
 * The manifest's part of a handover (lib/handover.c): its files travel as
 * the session's kept files (at its tokens); the rest of what the successor
 * needs is this state. lu_session_manifest_state gives the session's;
 * lu_session_manifest_adopt takes the manifest of a received session, from
 * that state and its kept files, for writing: 0 (also when it has none) or
 * a negative errno (logged, naming call; -EBADMSG for a state or files
 * that do not fit).
 */
struct lu_manifest_state {
	bool present;      /* the session has a manifest it writes */
	uint64_t word;     /* the rest of its state, manifest.c's to define */
};
void lu_session_manifest_state(const struct liveupdate_session *s,
			       struct lu_manifest_state *st);
int lu_session_manifest_adopt(struct liveupdate_session *s,
			      const struct lu_manifest_state *st, const char *call);
/*
 * The manifest of an outgoing session whose pieces came some other way
 * (lib/systemd.c: systemd's fd store): fds[n], in any order, taken for
 * writing (the manifest keeps duplicates) once each says which piece it
 * is and the kernel holds a piece at each of their tokens and none past
 * them; n = 0 gives the session an empty manifest. from says where they
 * came from, for messages. 0, or a negative errno (logged, naming call):
 * -ENODATA when pieces are missing, -EBADMSG for a damaged one.
 */
int lu_session_manifest_adopt_pieces(struct liveupdate_session *s, const int *fds,
				     size_t n, const char *from, const char *call);
/* The pieces of s's manifest, when this process writes it: their fds in
 * order into fds (LIVEUPDATE_MANIFEST_TOKENS slots; they stay the
 * manifest's), how many. */
size_t lu_session_manifest_piece_fds(const struct liveupdate_session *s, int *fds);
/* Have fn told of each piece s's manifest makes from now on (the fd stays
 * the manifest's); one watcher per session, NULL for none. Nothing
 * happens for a session whose manifest this process does not write. */
void lu_session_manifest_watch(struct liveupdate_session *s,
			       void (*fn)(struct liveupdate_session *s, int fd,
					  size_t index));
/* The first token from "from" on that the library may pick in s: not the
 * manifest's, not one the manifest lists. */
uint64_t lu_session_free_token(const struct liveupdate_session *s, uint64_t from);

/* ---- option structs ---- */

/*
 * The check of every call that takes an options struct: 0 when opts is
 * NULL or acceptable (lu_util_opts_valid: its size covers at least the
 * size field and every byte past what this library knows is zero), else
 * -EINVAL, saying so for call. ctx may be NULL.
 */
#define lu_check_opts(ctx, call, opts)                                        \
	((opts) && !lu_util_opts_valid((opts), (opts)->sz, sizeof(*(opts)))   \
		 ? lu_bad_arg(ctx, "%s: opts->sz is %zu, or fields this "     \
			      "library (%s) does not know are set; declare "  \
			      "options with LIVEUPDATE_OPTS()", call,         \
			      (opts)->sz, liveupdate_version())               \
		 : 0)

#define lu_opts_has(opts, field)                                              \
	((opts) && (opts)->sz >= offsetof(__typeof__(*(opts)), field) +       \
				 sizeof((opts)->field))
#define lu_opts_get(opts, field, dflt)                                        \
	(lu_opts_has(opts, field) ? (opts)->field : (dflt))

#endif
