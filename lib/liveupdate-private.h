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
	/* on EBUSY from open_device: append who holds the device to the
	 * thread's last error; NULL if the backend cannot tell */
	void (*name_holders)(void *data, const char *path);
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
	pthread_mutex_t memory_lock;  /* guards memory_probes */
	struct lu_memory_probe *memory_probes; /* lib/memory-probe.c's cache */
};

struct liveupdate_session {
	int refcount;                 /* atomic */
	struct liveupdate_ctx *ctx;   /* holds a reference */
	int fd;
	enum liveupdate_session_direction direction;
	bool finished;
	char name[LIVEUPDATE_SESSION_NAME_LENGTH];
	/* lib/manifest.c: NULL when there is none or it is not read yet;
	 * writable (manifest->map set) for sessions this process created */
	struct lu_manifest *manifest;
	uint64_t next_token;          /* where the library's next token search starts */
};

/* Replace the backend of a context; for tests, before any session exists. */
void lu_ctx_set_backend(struct liveupdate_ctx *ctx,
			const struct lu_backend_ops *ops, void *data);

/* Device fd, opened on first use; a negative errno on failure. */
int lu_ctx_device_fd(struct liveupdate_ctx *ctx);

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

static inline void lu_backend_name_holders(struct liveupdate_ctx *ctx)
{
	if (ctx->ops->name_holders)
		ctx->ops->name_holders(ctx->ops_data, ctx->device_path);
}

static inline void lu_backend_release(struct liveupdate_ctx *ctx)
{
	if (ctx->ops->release)
		ctx->ops->release(ctx->ops_data);
}

/* lib/device-holders.c: the processes that have @device_path open (at
 * most @max; returns how many were found), and the kernel backend's
 * name_holders, which appends " Held by pid N (comm)." for each. */
struct lu_holder {
	pid_t pid;
	char comm[64];
};
int lu_device_holders(const char *device_path, struct lu_holder *holders, int max);
void lu_name_device_holders(void *data, const char *device_path);

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

/* Reject a bad argument: -EINVAL with the reason. */
#define lu_bad_arg(ctx, ...) lu_fail(ctx, LU_OP_ARGUMENT, -EINVAL, __VA_ARGS__)

/* An allocation failed: -ENOMEM, saying what was being done. */
#define lu_oom(ctx, ...) lu_fail(ctx, LU_OP_ALLOC, -ENOMEM, __VA_ARGS__)

/* Append an extra sentence to this thread's last error (e.g. who holds the device). */
void lu_last_error_append(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

const char *lu_errno_name(int err);

/* ---- the session manifest (lib/manifest.c) ---- */

/* Give a new outgoing session its manifest: 0 or a negative errno (logged). */
int lu_session_manifest_start(struct liveupdate_session *s, size_t size);
/* Whether s has a manifest this process writes (it created s). */
bool lu_session_manifest_writable(const struct liveupdate_session *s);
/* Unmap and free the session's manifest, if any. */
void lu_session_manifest_free(struct liveupdate_session *s);

/* A file record staged for a preserve: built and allocated before the
 * kernel is asked, committed after it said yes. */
struct lu_manifest_pending {
	uint8_t *rec;
	size_t len;
	void *item;                   /* struct lu_mf_item */
};

/* Stage the record of fd (0 or a negative errno, logged), set its token,
 * commit it (cannot fail) or drop it. */
int lu_session_manifest_stage(struct liveupdate_session *s, int fd,
			      const struct liveupdate_preserve_opts *opts,
			      struct lu_manifest_pending *p);
void lu_session_manifest_set_token(struct lu_manifest_pending *p, uint64_t token);
void lu_session_manifest_commit(struct liveupdate_session *s,
				struct lu_manifest_pending *p);
void lu_session_manifest_drop(struct lu_manifest_pending *p);
/* The session's manifest, read from an incoming session on first use:
 * 0 with *mp set, or a negative errno (logged, naming call). */
int lu_session_manifest_get(struct liveupdate_session *s, const char *call,
			    struct lu_manifest **mp);
/* The first token from "from" on that the library may pick in s: not the
 * manifest's, not one the manifest lists. */
uint64_t lu_session_free_token(const struct liveupdate_session *s, uint64_t from);

/* ---- option structs ---- */

/*
 * An options struct is acceptable when its size covers at least the size
 * field and every byte past what this library knows is zero (a newer
 * program asking for something this library cannot do).
 */
bool lu_opts_valid(const void *opts, size_t user_size, size_t known_size);

#define lu_opts_has(opts, field)                                              \
	((opts) && (opts)->sz >= offsetof(__typeof__(*(opts)), field) +       \
				 sizeof((opts)->field))
#define lu_opts_get(opts, field, dflt)                                        \
	(lu_opts_has(opts, field) ? (opts)->field : (dflt))

#endif
