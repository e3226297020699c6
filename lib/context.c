/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The library context: configuration, logging and the device fd. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "liveupdate-private.h"

static void log_to_stderr(void *data, int priority, const char *file, int line,
			  const char *fn, const char *format, va_list args)
{
	(void)data; (void)priority; (void)file; (void)line; (void)fn;
	fputs("libliveupdate: ", stderr);
	vfprintf(stderr, format, args);
	fputc('\n', stderr);
}

void *lu_feature_data_get(struct lu_feature_data *const *list, const void *key)
{
	for (const struct lu_feature_data *d = *list; d; d = d->next)
		if (d->key == key)
			return d->data;
	return NULL;
}

int lu_feature_data_set(struct lu_feature_data **list, const void *key,
			void *data, void (*free_fn)(void *data))
{
	struct lu_feature_data *d;

	for (d = *list; d && d->key != key; d = d->next)
		;
	if (!d) {
		d = calloc(1, sizeof(*d));
		if (!d)
			return -ENOMEM;
		d->key = key;
		d->next = *list;
		*list = d;
	}
	d->data = data;
	d->free_fn = free_fn;
	return 0;
}

void lu_feature_data_free(struct lu_feature_data **list)
{
	struct lu_feature_data *d = *list, *next;

	for (; d; d = next) {
		next = d->next;
		if (d->data)
			d->free_fn(d->data);
		free(d);
	}
	*list = NULL;
}

/* "err", "info", "debug" or a number 0..7; -1 when not recognised. */
static int parse_log_priority(const char *s)
{
	static const char *const names[] = {
		"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
	};
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno == 0 && end != s && *end == '\0')
		return v >= LOG_EMERG && v <= LOG_DEBUG ? (int)v : -1;
	for (int i = 0; i < (int)(sizeof(names) / sizeof(names[0])); i++)
		if (strcasecmp(s, names[i]) == 0)
			return i;
	if (strcasecmp(s, "error") == 0)
		return LOG_ERR;
	return -1;
}

/*
 * The kernel unless the caller or, for DEFAULT only, the environment
 * (LIBLIVEUPDATE_BACKEND=sim) explicitly asks for the simulator.
 */
static int choose_backend(struct liveupdate_ctx *ctx, enum liveupdate_backend want,
			  const char *sim_socket)
{
	const char *env;

	if (want == LIVEUPDATE_BACKEND_DEFAULT) {
		env = secure_getenv("LIBLIVEUPDATE_BACKEND");
		want = LIVEUPDATE_BACKEND_KERNEL;
		if (env && strcmp(env, "sim") == 0)
			want = LIVEUPDATE_BACKEND_SIM;
		else if (env && *env && strcmp(env, "kernel") != 0)
			return lu_bad_arg(ctx, "LIBLIVEUPDATE_BACKEND=\"%s\" is neither "
					  "\"kernel\" nor \"sim\"", env);
	}
	switch (want) {
	case LIVEUPDATE_BACKEND_KERNEL:
		return 0;
	case LIVEUPDATE_BACKEND_SIM: {
		void *data;
		int ret = lu_sim_backend_new(ctx, sim_socket, &data);

		if (ret < 0)
			return ret;
		lu_ctx_set_backend(ctx, &lu_sim_backend, data);
		return 0;
	}
	default:
		return lu_bad_arg(ctx, "liveupdate_ctx_new: backend %d is unknown",
				  (int)want);
	}
}

LU_EXPORT int liveupdate_ctx_new(const struct liveupdate_ctx_opts *opts,
				 struct liveupdate_ctx **ctxp)
{
	const char *path, *env;
	struct liveupdate_ctx *ctx;
	int ret;

	if (!ctxp)
		return lu_bad_arg(NULL, "liveupdate_ctx_new: ctxp is NULL");
	if (lu_check_opts(NULL, "liveupdate_ctx_new", opts))
		return -EINVAL;
	path = lu_opts_get(opts, device_path, NULL);
	if (path && !*path)
		return lu_bad_arg(NULL, "liveupdate_ctx_new: device_path is empty; "
				  "pass NULL for " LU_DEFAULT_DEVICE);

	ctx = calloc(1, sizeof(*ctx));
	if (ctx)
		ctx->device_path = strdup(path ? path : LU_DEFAULT_DEVICE);
	if (!ctx || !ctx->device_path) {
		free(ctx);
		return lu_oom(NULL, "liveupdate_ctx_new");
	}
	ctx->refcount = 1;
	ctx->device_fd = -1;
	pthread_mutex_init(&ctx->device_lock, NULL);
	pthread_mutex_init(&ctx->feature_lock, NULL);
	ctx->log_fn = log_to_stderr;
	ctx->log_priority = LOG_ERR;
	ctx->ops = &lu_kernel_backend;

	env = secure_getenv("LIBLIVEUPDATE_LOG");
	if (env && *env) {
		int prio = parse_log_priority(env);

		if (prio >= 0)
			ctx->log_priority = prio;
		else
			lu_err(ctx, "LIBLIVEUPDATE_LOG=\"%s\" is not a syslog level "
			       "(err, info, debug or 0..7); ignored", env);
	}

	ret = choose_backend(ctx, lu_opts_get(opts, backend, LIVEUPDATE_BACKEND_DEFAULT),
			     lu_opts_get(opts, sim_socket, NULL));
	if (ret < 0) {
		liveupdate_ctx_unref(ctx);
		return ret;
	}
	/*
	 * Nobody should be simulated without knowing: the simulator is
	 * announced whatever the log priority (only a NULL log function
	 * silences it); the kernel only at debug level.
	 */
	if (ctx->ops->kind == LIVEUPDATE_BACKEND_SIM && ctx->log_fn)
		lu_log(ctx, LOG_NOTICE, __FILE__, __LINE__, __func__,
		       "using the liveupdate-sim simulator, not the kernel: "
		       "nothing survives a real reboot");
	else
		lu_dbg(ctx, "context %p: device %s, backend %s", (void *)ctx,
		       ctx->device_path, ctx->ops->name);
	*ctxp = ctx;
	return 0;
}

LU_EXPORT enum liveupdate_backend
liveupdate_ctx_get_backend(const struct liveupdate_ctx *ctx)
{
	return ctx ? ctx->ops->kind : (enum liveupdate_backend)0;
}

LU_EXPORT struct liveupdate_ctx *liveupdate_ctx_ref(struct liveupdate_ctx *ctx)
{
	if (ctx)
		__atomic_add_fetch(&ctx->refcount, 1, __ATOMIC_RELAXED);
	return ctx;
}

LU_EXPORT struct liveupdate_ctx *liveupdate_ctx_unref(struct liveupdate_ctx *ctx)
{
	if (!ctx)
		return NULL;
	if (__atomic_sub_fetch(&ctx->refcount, 1, __ATOMIC_ACQ_REL) > 0)
		return ctx;
	liveupdate_ctx_close_device(ctx);
	lu_backend_release(ctx);
	lu_feature_data_free(&ctx->features);
	pthread_mutex_destroy(&ctx->feature_lock);
	pthread_mutex_destroy(&ctx->device_lock);
	free(ctx->device_path);
	free(ctx);
	return NULL;
}

LU_EXPORT void liveupdate_ctx_set_log_fn(struct liveupdate_ctx *ctx,
					 liveupdate_log_fn fn, void *data)
{
	if (!ctx)
		return;
	ctx->log_fn = fn;
	ctx->log_data = data;
}

LU_EXPORT int liveupdate_ctx_get_log_priority(const struct liveupdate_ctx *ctx)
{
	return ctx ? ctx->log_priority : -EINVAL;
}

LU_EXPORT void liveupdate_ctx_set_log_priority(struct liveupdate_ctx *ctx,
					       int priority)
{
	if (ctx)
		ctx->log_priority = priority;
}

LU_EXPORT const char *
liveupdate_ctx_get_device_path(const struct liveupdate_ctx *ctx)
{
	return ctx ? ctx->device_path : NULL;
}

void lu_ctx_set_backend(struct liveupdate_ctx *ctx,
			const struct lu_backend_ops *ops, void *data)
{
	lu_backend_release(ctx);
	ctx->ops = ops;
	ctx->ops_data = data;
	lu_dbg(ctx, "context %p: backend %s", (void *)ctx, ops->name);
}

int lu_ctx_device_fd(struct liveupdate_ctx *ctx)
{
	int fd;

	pthread_mutex_lock(&ctx->device_lock);
	fd = ctx->device_fd;
	if (fd < 0) {
		fd = lu_backend_open_device(ctx);
		if (fd >= 0) {
			ctx->device_fd = fd;
			lu_dbg(ctx, "opened %s (fd %d, backend %s)",
			       lu_backend_device_label(ctx), fd, ctx->ops->name);
		}
	}
	pthread_mutex_unlock(&ctx->device_lock);
	if (fd < 0) {
		lu_fail(ctx, LU_OP_OPEN_DEVICE, fd, "opening %s",
			lu_backend_device_label(ctx));
		if (fd == -EBUSY)
			lu_name_device_holders(ctx);
	}
	return fd;
}

bool lu_ctx_device_gone(struct liveupdate_ctx *ctx, int dev)
{
	bool gone = false;

	pthread_mutex_lock(&ctx->device_lock);
	/* still open here although the request said EBADF: the other end is
	 * gone, as liveupdate-sim does to every connection at a kexec */
	if (ctx->device_fd == dev && fcntl(dev, F_GETFD) >= 0) {
		lu_backend_close(ctx, dev);
		ctx->device_fd = -1;
		gone = true;
	}
	pthread_mutex_unlock(&ctx->device_lock);
	if (gone)
		lu_info(ctx, "%s closed this context's device fd %d (a simulated kexec "
			"does that): opening it again", lu_backend_device_label(ctx), dev);
	return gone;
}

int lu_ctx_try_device(struct liveupdate_ctx *ctx)
{
	bool was_open;
	int fd;

	pthread_mutex_lock(&ctx->device_lock);
	was_open = ctx->device_fd >= 0;
	pthread_mutex_unlock(&ctx->device_lock);
	if (was_open)
		return 0;
	fd = lu_ctx_device_fd(ctx);
	if (fd < 0)
		return fd;
	liveupdate_ctx_close_device(ctx);
	return 0;
}

LU_EXPORT int liveupdate_ctx_open_device(struct liveupdate_ctx *ctx)
{
	int fd;

	if (!ctx)
		return lu_bad_arg(NULL, "liveupdate_ctx_open_device: ctx is NULL");
	fd = lu_ctx_device_fd(ctx);
	return fd < 0 ? fd : 0;
}

LU_EXPORT void liveupdate_ctx_close_device(struct liveupdate_ctx *ctx)
{
	if (!ctx)
		return;
	pthread_mutex_lock(&ctx->device_lock);
	if (ctx->device_fd >= 0) {
		lu_backend_close(ctx, ctx->device_fd);
		lu_dbg(ctx, "closed %s", ctx->device_path);
		ctx->device_fd = -1;
	}
	pthread_mutex_unlock(&ctx->device_lock);
}

LU_EXPORT const char *liveupdate_version(void)
{
	return PACKAGE_VERSION;
}
