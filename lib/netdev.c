/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The set of network devices: its lifetime, its record in bytes or in a
 * session (a sealed memfd), and the queue fds handed out after a restore.
 * Snapshot: lib/netdev-snapshot.c; restore: lib/netdev-restore.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "liveupdate-private.h"
#include "netdev.h"

#define RECORD_LABEL "liveupdate-netdevs"

static struct liveupdate_netdevs *set_alloc(struct liveupdate_ctx *ctx)
{
	struct liveupdate_netdevs *set = calloc(1, sizeof(*set));

	if (!set)
		return NULL;
	set->refcount = 1;
	set->ctx = liveupdate_ctx_ref(ctx);
	return set;
}

LU_EXPORT int liveupdate_netdevs_new(struct liveupdate_ctx *ctx,
				     struct liveupdate_netdevs **setp)
{
	struct liveupdate_netdevs *set;

	if (!ctx || !setp)
		return lu_bad_arg(ctx, "liveupdate_netdevs_new: %s is NULL",
				  ctx ? "setp" : "ctx");
	set = set_alloc(ctx);
	if (!set)
		return lu_oom(ctx, "liveupdate_netdevs_new");
	*setp = set;
	return 0;
}

LU_EXPORT struct liveupdate_netdevs *
liveupdate_netdevs_ref(struct liveupdate_netdevs *set)
{
	if (set)
		__atomic_add_fetch(&set->refcount, 1, __ATOMIC_RELAXED);
	return set;
}

void lu_netdev_drop_queue_fds(struct liveupdate_netdevs *set, size_t i)
{
	if (!set->queue_fds[i])
		return;
	for (uint32_t q = 0; q < set->devs[i].queues; q++)
		if (set->queue_fds[i][q] >= 0)
			close(set->queue_fds[i][q]);
	free(set->queue_fds[i]);
	set->queue_fds[i] = NULL;
}

LU_EXPORT struct liveupdate_netdevs *
liveupdate_netdevs_unref(struct liveupdate_netdevs *set)
{
	if (!set)
		return NULL;
	if (__atomic_sub_fetch(&set->refcount, 1, __ATOMIC_ACQ_REL) > 0)
		return set;
	for (size_t i = 0; i < LU_NETDEV_MAX; i++)
		lu_netdev_drop_queue_fds(set, i);
	liveupdate_ctx_unref(set->ctx);
	free(set);
	return NULL;
}

LU_EXPORT int liveupdate_netdevs_get_count(const struct liveupdate_netdevs *set)
{
	return set ? (int)set->n : -EINVAL;
}

LU_EXPORT const char *
liveupdate_netdevs_get_name(const struct liveupdate_netdevs *set,
			    unsigned int index)
{
	return set && index < set->n ? set->devs[index].name : NULL;
}

static int find(const struct liveupdate_netdevs *set, const char *call,
		const char *name)
{
	for (size_t i = 0; i < set->n; i++)
		if (!strcmp(set->devs[i].name, name))
			return (int)i;
	return lu_fail(set->ctx, LU_OP_NETDEV, -ENODEV, "%s(\"%s\"): the set has "
		       "no device of that name", call, name);
}

LU_EXPORT int liveupdate_netdevs_get_queues(const struct liveupdate_netdevs *set,
					    const char *name)
{
	int i;

	if (!set || !name)
		return lu_bad_arg(set ? set->ctx : NULL, "liveupdate_netdevs_get_"
				  "queues: %s is NULL", set ? "name" : "set");
	i = find(set, "liveupdate_netdevs_get_queues", name);
	if (i < 0)
		return i;
	return set->queue_fds[i] ? (int)set->devs[i].queues : 0;
}

LU_EXPORT int liveupdate_netdevs_take_queue_fd(struct liveupdate_netdevs *set,
					       const char *name,
					       unsigned int queue, int *fdp)
{
	const char *call = "liveupdate_netdevs_take_queue_fd";
	int i;

	if (!set || !name || !fdp)
		return lu_bad_arg(set ? set->ctx : NULL, "%s: %s is NULL", call,
				  !set ? "set" : !name ? "name" : "fdp");
	i = find(set, call, name);
	if (i < 0)
		return i;
	if (!set->queue_fds[i] || queue >= set->devs[i].queues ||
	    set->queue_fds[i][queue] < 0)
		return lu_fail(set->ctx, LU_OP_NETDEV, -ENOENT, "%s(\"%s\", queue "
			       "%u): no such queue fd (%s)", call, name, queue,
			       !set->queue_fds[i] ? "not restored, or a bridge"
			       : queue >= set->devs[i].queues ? "out of range"
			       : "already taken");
	*fdp = set->queue_fds[i][queue];
	set->queue_fds[i][queue] = -1;
	return 0;
}

LU_EXPORT int liveupdate_netdevs_encode(const struct liveupdate_netdevs *set,
					void **bufp, size_t *sizep)
{
	uint8_t *buf;
	size_t size;
	int ret;

	if (!set || !bufp || !sizep)
		return lu_bad_arg(set ? set->ctx : NULL, "liveupdate_netdevs_encode: "
				  "%s is NULL", !set ? "set" : !bufp ? "bufp" : "sizep");
	ret = lu_netdev_encode(set->devs, set->n, &buf, &size);
	if (ret == -ENOMEM)
		return lu_oom(set->ctx, "liveupdate_netdevs_encode");
	if (ret < 0) /* the snapshot checks every device: never here */
		return lu_fail(set->ctx, LU_OP_NETDEV, -EPROTO,
			       "liveupdate_netdevs_encode: a device does not fit "
			       "the record");
	*bufp = buf;
	*sizep = size;
	return 0;
}

LU_EXPORT int liveupdate_netdevs_decode(struct liveupdate_ctx *ctx,
					const void *buf, size_t size,
					struct liveupdate_netdevs **setp)
{
	struct liveupdate_netdevs *set;
	struct lu_netdev *devs;
	char why[200] = "";
	size_t n;
	int ret;

	if (!ctx || !buf || !setp)
		return lu_bad_arg(ctx, "liveupdate_netdevs_decode: %s is NULL",
				  !ctx ? "ctx" : !buf ? "buf" : "setp");
	ret = lu_netdev_decode(buf, size, &devs, &n, why, sizeof(why));
	if (ret == -ENOMEM)
		return lu_oom(ctx, "liveupdate_netdevs_decode");
	if (ret < 0)
		return lu_fail(ctx, LU_OP_NETDEV, ret, "liveupdate_netdevs_decode("
			       "%zu bytes): %s", size, why);
	set = set_alloc(ctx);
	if (!set) {
		free(devs);
		return lu_oom(ctx, "liveupdate_netdevs_decode");
	}
	memcpy(set->devs, devs, n * sizeof(*devs));
	set->n = n;
	free(devs);
	*setp = set;
	return 0;
}

/* The record in a sealed memfd: nobody changes it while it is preserved. */
static int record_memfd(const void *buf, size_t size)
{
	int fd = memfd_create(RECORD_LABEL, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	size_t done = 0;

	if (fd < 0)
		return -errno;
	while (done < size) {
		ssize_t n = write(fd, (const char *)buf + done, size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int err = n < 0 ? -errno : -EIO;

			close(fd);
			return err;
		}
		done += (size_t)n;
	}
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE |
				   F_SEAL_SEAL) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

LU_EXPORT int liveupdate_netdevs_preserve(const struct liveupdate_netdevs *set,
					  struct liveupdate_session *session,
					  uint64_t token)
{
	LIVEUPDATE_OPTS(liveupdate_preserve_opts, opts,
			.flags = LIVEUPDATE_PRESERVE_TOKEN, .token = token);
	void *buf;
	size_t size;
	int fd, ret;

	if (!set || !session)
		return lu_bad_arg(set ? set->ctx : NULL, "liveupdate_netdevs_"
				  "preserve: %s is NULL", set ? "session" : "set");
	/* labelled where the session has a manifest to label it in */
	if (lu_session_manifest_writable(session))
		opts.label = RECORD_LABEL;
	ret = liveupdate_netdevs_encode(set, &buf, &size);
	if (ret < 0)
		return ret;
	fd = record_memfd(buf, size);
	free(buf);
	if (fd < 0)
		return lu_fail(set->ctx, LU_OP_NETDEV, fd, "liveupdate_netdevs_"
			       "preserve(token %" PRIu64 "): making the record's "
			       "memfd", token);
	ret = liveupdate_session_preserve_fd_opts(session, fd, &opts, NULL);
	close(fd);

	if (ret == 0)
		lu_dbg(set->ctx, "preserved %zu network devices (%zu bytes) as "
		       "token %" PRIu64, set->n, size, token);
	return ret;
}

/* The whole memfd, read from offset 0 whatever its file position. */
static int read_record(int fd, uint8_t **bufp, size_t *sizep)
{
	struct stat st;
	uint8_t *buf;
	size_t done = 0;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (st.st_size <= 0 || st.st_size > (1 << 20))
		return -EBADMSG;
	buf = malloc((size_t)st.st_size);
	if (!buf)
		return -ENOMEM;
	while (done < (size_t)st.st_size) {
		ssize_t n = pread(fd, buf + done, (size_t)st.st_size - done,
				  (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int err = n < 0 ? -errno : -EBADMSG;

			free(buf);
			return err;
		}
		done += (size_t)n;
	}
	*bufp = buf;
	*sizep = done;
	return 0;
}

LU_EXPORT int liveupdate_netdevs_retrieve(struct liveupdate_session *session,
					  uint64_t token,
					  struct liveupdate_netdevs **setp)
{
	struct liveupdate_ctx *ctx;
	uint8_t *buf = NULL;
	size_t size = 0;
	int fd, ret;

	if (!session || !setp)
		return lu_bad_arg(session ? session->ctx : NULL, "liveupdate_"
				  "netdevs_retrieve: %s is NULL",
				  session ? "setp" : "session");
	ctx = session->ctx;
	ret = liveupdate_session_retrieve_fd(session, token, &fd);
	if (ret < 0)
		return ret;
	ret = read_record(fd, &buf, &size);
	close(fd);
	if (ret == -ENOMEM)
		return lu_oom(ctx, "liveupdate_netdevs_retrieve");
	if (ret < 0)
		return lu_fail(ctx, LU_OP_NETDEV, ret, "liveupdate_netdevs_retrieve"
			       "(token %" PRIu64 "): reading the record", token);
	ret = liveupdate_netdevs_decode(ctx, buf, size, setp);
	free(buf);
	return ret;
}
