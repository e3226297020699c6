/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Guest memory objects: create one (after lib/memory-choose.c decided what),
 * wrap an fd, map, preserve and retrieve.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "memory-private.h"

#define DEFAULT_NAME "liveupdate-memory"
#define NAME_MAX_LEN 249 /* memfd_create(2): 249 bytes and the NUL */
#define QEMU_SEALS (F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL)
/* What LUO carries and guest memory can live with: never write seals. */
#define ALLOWED_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | 0x0020 /* EXEC */)

struct liveupdate_memory *lu_memory_alloc(struct liveupdate_ctx *ctx)
{
	struct liveupdate_memory *mem = calloc(1, sizeof(*mem));

	if (!mem)
		return NULL;
	mem->refcount = 1;
	mem->fd = -1;
	mem->ctx = liveupdate_ctx_ref(ctx);
	return mem;
}

void lu_memory_append_reason(struct liveupdate_memory *mem, const char *fmt, ...)
{
	size_t used = strlen(mem->reason);
	va_list args;

	va_start(args, fmt);
	vsnprintf(mem->reason + used, sizeof(mem->reason) - used, fmt, args);
	va_end(args);
}

void lu_memory_prepend_reason(struct liveupdate_memory *mem, const char *prefix)
{
	size_t pl = strlen(prefix), len = strlen(mem->reason);

	if (pl >= sizeof(mem->reason))
		return;
	if (len + pl >= sizeof(mem->reason))
		len = sizeof(mem->reason) - pl - 1;
	memmove(mem->reason + pl, mem->reason, len);
	memcpy(mem->reason, prefix, pl);
	mem->reason[pl + len] = '\0';
}

static int apply_seals(struct liveupdate_ctx *ctx, struct liveupdate_memory *mem,
		       unsigned int seals, bool asked)
{
	if (seals == LIVEUPDATE_MEMORY_SEALS_NONE || seals == 0)
		return 0;
	if (fcntl(mem->fd, F_ADD_SEALS, (int)seals) == 0)
		return 0;
	if (!asked && errno == EPERM) {
		/* a tmpfs file is born with F_SEAL_SEAL: it cannot take seals */
		lu_memory_append_reason(mem, " The file has no seals: a tmpfs file "
					"cannot be sealed.");
		return 0;
	}
	return lu_fail(ctx, LU_OP_MEMORY, -errno, "liveupdate_memory_new: adding seals "
		       "0x%x", seals);
}

static int check_opts(struct liveupdate_ctx *ctx, const struct liveupdate_memory_opts *opts,
		      struct liveupdate_memory_opts *o, struct liveupdate_memory **memp)
{
	if (!ctx || !memp || !opts)
		return lu_bad_arg(ctx, "liveupdate_memory_new: %s is NULL",
				  !ctx ? "ctx" : !memp ? "memp" : "opts (at least .size is needed)");
	if (lu_check_opts(ctx, "liveupdate_memory_new", opts))
		return -EINVAL;
	memset(o, 0, sizeof(*o));
	o->sz = sizeof(*o);
	o->size = lu_opts_get(opts, size, 0);
	o->backing = lu_opts_get(opts, backing, LIVEUPDATE_MEMORY_AUTO);
	o->seals = lu_opts_get(opts, seals, 0);
	o->page_size = lu_opts_get(opts, page_size, 0);
	o->name = lu_opts_get(opts, name, NULL);
	o->populate = lu_opts_get(opts, populate, 0);
	o->populate_threads = lu_opts_get(opts, populate_threads, 0);
	o->tmpfs_path = lu_opts_get(opts, tmpfs_path, NULL);
	o->progress = lu_opts_get(opts, progress, NULL);
	o->progress_data = lu_opts_get(opts, progress_data, NULL);
	o->host_root = lu_opts_get(opts, host_root, NULL);
	if (o->name && strlen(o->name) > NAME_MAX_LEN)
		return lu_bad_arg(ctx, "liveupdate_memory_new: name \"%.20s...\" is longer "
				  "than %d bytes (memfd_create's limit); the library "
				  "never truncates: use a shorter name", o->name, NAME_MAX_LEN);
	if (o->seals != LIVEUPDATE_MEMORY_SEALS_NONE && (o->seals & ~ALLOWED_SEALS))
		return lu_bad_arg(ctx, "liveupdate_memory_new: seals 0x%x: only F_SEAL_SEAL, "
				  "F_SEAL_SHRINK, F_SEAL_GROW and F_SEAL_EXEC are accepted "
				  "(guest memory must stay writable, and the kernel carries "
				  "no other seal)", o->seals);
	if (o->tmpfs_path && o->tmpfs_path[0] != '/')
		return lu_bad_arg(ctx, "liveupdate_memory_new: tmpfs_path \"%s\" is not an "
				  "absolute path", o->tmpfs_path);
	return 0;
}

static char *dup_or_null(const char *s, bool *failed)
{
	char *d = s ? strdup(s) : NULL;

	if (s && !d)
		*failed = true;
	return d;
}

int lu_memory_build(struct liveupdate_memory *mem, const struct liveupdate_memory_opts *o,
		    const struct lu_memory_plan *plan)
{
	struct liveupdate_ctx *ctx = mem->ctx;
	bool failed = false;
	const char *failed_call;
	char s[32], p[32];
	int ret;

	mem->size = o->size;
	mem->backing = plan->backing;
	mem->page_size = plan->page_size;
	mem->populate_threads = o->populate_threads;
	mem->progress = o->progress;
	mem->progress_data = o->progress_data;
	mem->tmpfs_path = dup_or_null(plan->tmpfs_path ? plan->tmpfs_path : o->tmpfs_path,
				      &failed);
	mem->host_root = dup_or_null(o->host_root, &failed);
	if (failed)
		return lu_oom(ctx, "liveupdate_memory_new");
	mem->fd = lu_memory_create_file(plan, o->name ? o->name : DEFAULT_NAME, o->size,
					&failed_call);
	if (mem->fd < 0) {
		ret = mem->fd;
		mem->fd = -1;
		return lu_fail(ctx, LU_OP_MEMORY, ret, "liveupdate_memory_new: creating %s of "
			       "%s (%s)", lu_backing_name(plan->backing),
			       lu_util_fmt_size(s, sizeof(s), o->size),
			       plan->tmpfs_path ? "O_TMPFILE on the huge tmpfs" : "memfd_create");
	}
	ret = apply_seals(ctx, mem, o->seals ? o->seals : QEMU_SEALS,
			  o->seals != 0 && o->seals != LIVEUPDATE_MEMORY_SEALS_NONE);
	if (!ret && o->populate)
		ret = lu_memory_populate(mem, 0, "liveupdate_memory_new");
	if (ret)
		return ret;
	lu_dbg(ctx, "memory %p: fd %d, %s, %s, %s pages", (void *)mem, mem->fd,
	       lu_util_fmt_size(s, sizeof(s), mem->size), lu_backing_name(mem->backing),
	       lu_util_fmt_size(p, sizeof(p), mem->page_size));
	return 0;
}

LU_EXPORT int liveupdate_memory_new(struct liveupdate_ctx *ctx,
				    const struct liveupdate_memory_opts *opts,
				    struct liveupdate_memory **memp)
{
	struct liveupdate_memory_opts o;
	struct liveupdate_memory *mem;
	struct lu_memory_plan plan;
	int ret = check_opts(ctx, opts, &o, memp);

	if (ret)
		return ret;
	mem = lu_memory_alloc(ctx);
	if (!mem)
		return lu_oom(ctx, "liveupdate_memory_new");
	ret = lu_memory_plan(ctx, &o, mem, &plan);
	if (!ret)
		ret = lu_memory_build(mem, &o, &plan);
	if (ret) {
		liveupdate_memory_unref(mem);
		return ret;
	}
	*memp = mem;
	return 0;
}

/* What a shared-memory fd is: HUGETLB with its page size, or shmem, whose
 * kind of pages lu_memory_measure_backing() finds out. */
static int detect(struct liveupdate_memory *mem)
{
	struct statfs sfs;
	struct stat st;
	char a[32];

	if (fstat(mem->fd, &st) < 0 || fstatfs(mem->fd, &sfs) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	mem->size = (uint64_t)st.st_size;
	if (sfs.f_type == HUGETLBFS_MAGIC) {
		mem->backing = LIVEUPDATE_MEMORY_HUGETLB;
		mem->page_size = (uint64_t)st.st_blksize;
		snprintf(mem->reason, sizeof(mem->reason), "detected HUGETLB: a hugetlbfs "
			 "file with %s pages", lu_util_fmt_size(a, sizeof(a), mem->page_size));
		return 0;
	}
	if (sfs.f_type != TMPFS_MAGIC)
		return -EINVAL;
	mem->backing = LIVEUPDATE_MEMORY_AUTO; /* not measured yet */
	return 0;
}

int lu_memory_wrap_fd(struct liveupdate_ctx *ctx, int fd, struct liveupdate_memory **memp)
{
	struct liveupdate_memory *mem;
	int ret;

	if (!ctx || !memp)
		return lu_bad_arg(ctx, "liveupdate_memory_from_fd: %s is NULL",
				  ctx ? "memp" : "ctx");
	if (fd < 0)
		return lu_bad_arg(ctx, "liveupdate_memory_from_fd: fd %d is negative", fd);
	mem = lu_memory_alloc(ctx);
	if (!mem)
		return lu_oom(ctx, "liveupdate_memory_from_fd(fd %d)", fd);
	mem->fd = fd;
	ret = detect(mem);
	if (ret) {
		mem->fd = -1; /* the caller's, untouched */
		liveupdate_memory_unref(mem);
		if (ret == -EINVAL)
			return lu_bad_arg(ctx, "liveupdate_memory_from_fd(fd %d): not a "
					  "shared memory file (a memfd, a tmpfs or a "
					  "hugetlbfs file)", fd);
		return lu_fail(ctx, LU_OP_MEMORY, ret, "liveupdate_memory_from_fd(fd %d)", fd);
	}
	*memp = mem;
	return 0;
}

LU_EXPORT int liveupdate_memory_from_fd(struct liveupdate_ctx *ctx, int fd,
					struct liveupdate_memory **memp)
{
	struct liveupdate_memory *mem;
	int ret = lu_memory_wrap_fd(ctx, fd, memp ? &mem : NULL);

	if (ret)
		return ret;
	lu_memory_measure_backing(mem);
	lu_dbg(ctx, "memory %p from fd %d: %s", (void *)mem, fd, mem->reason);
	*memp = mem;
	return 0;
}

LU_EXPORT struct liveupdate_memory *liveupdate_memory_ref(struct liveupdate_memory *mem)
{
	if (mem)
		__atomic_add_fetch(&mem->refcount, 1, __ATOMIC_RELAXED);
	return mem;
}

LU_EXPORT struct liveupdate_memory *liveupdate_memory_unref(struct liveupdate_memory *mem)
{
	if (!mem)
		return NULL;
	if (__atomic_sub_fetch(&mem->refcount, 1, __ATOMIC_ACQ_REL) > 0)
		return mem;
	liveupdate_memory_unmap(mem);
	if (mem->fd >= 0)
		close(mem->fd);
	liveupdate_ctx_unref(mem->ctx);
	free(mem->tmpfs_path);
	free(mem->host_root);
	free(mem);
	return NULL;
}

LU_EXPORT int liveupdate_memory_get_fd(const struct liveupdate_memory *mem)
{
	return mem ? mem->fd : -EINVAL;
}

LU_EXPORT uint64_t liveupdate_memory_get_size(const struct liveupdate_memory *mem)
{
	return mem ? mem->size : 0;
}

LU_EXPORT enum liveupdate_memory_backing
liveupdate_memory_get_backing(const struct liveupdate_memory *mem)
{
	if (!mem)
		return LIVEUPDATE_MEMORY_AUTO;
	return mem->backing;
}

LU_EXPORT uint64_t liveupdate_memory_get_page_size(const struct liveupdate_memory *mem)
{
	if (!mem)
		return 0;
	return mem->page_size;
}

LU_EXPORT int liveupdate_memory_get_seals(const struct liveupdate_memory *mem)
{
	int seals;

	if (!mem)
		return -EINVAL;
	seals = fcntl(mem->fd, F_GET_SEALS);
	return seals < 0 ? -errno : seals;
}

LU_EXPORT const char *liveupdate_memory_get_reason(const struct liveupdate_memory *mem)
{
	if (!mem)
		return NULL;
	return mem->reason;
}

LU_EXPORT int liveupdate_memory_map(struct liveupdate_memory *mem, void **addrp)
{
	void *addr;

	if (!mem || !addrp)
		return lu_bad_arg(mem ? mem->ctx : NULL, "liveupdate_memory_map: %s is NULL",
				  mem ? "addrp" : "mem");
	if (!mem->addr) {
		if (!mem->size)
			return lu_bad_arg(mem->ctx, "liveupdate_memory_map: the memory is "
					  "empty (size 0)");
		addr = lu_memory_map_aligned(mem->fd, mem->size, mem->page_size,
					     PROT_READ | PROT_WRITE, mem->backing,
					     &mem->reserved, &mem->reserved_len);
		if (addr == MAP_FAILED)
			return lu_memory_map_failed(mem, "liveupdate_memory_map", -errno);
		mem->addr = addr;
	}
	*addrp = mem->addr;
	return 0;
}

LU_EXPORT int liveupdate_memory_unmap(struct liveupdate_memory *mem)
{
	if (!mem)
		return lu_bad_arg(NULL, "liveupdate_memory_unmap: mem is NULL");
	if (mem->addr) {
		/* the file mapping sits inside the reservation: one munmap for both */
		munmap(mem->reserved, mem->reserved_len);
		mem->addr = NULL;
		mem->reserved = NULL;
		mem->reserved_len = 0;
	}
	return 0;
}

LU_EXPORT int liveupdate_memory_huge_bytes(struct liveupdate_memory *mem, uint64_t *bytes)
{
	uint64_t block;
	char s[32];
	int ret;

	if (!mem || !bytes)
		return lu_bad_arg(mem ? mem->ctx : NULL, "liveupdate_memory_huge_bytes: %s is "
				  "NULL", mem ? "bytes" : "mem");
	if (mem->backing == LIVEUPDATE_MEMORY_HUGETLB)
		block = mem->page_size;
	else if (liveupdate_memory_host_thp_size(mem->host_root, &block)) {
		*bytes = 0; /* no THP in this kernel: nothing can be huge */
		return 0;
	}
	if (!mem->size) {
		*bytes = 0;
		return 0;
	}
	ret = lu_memory_measure_huge(mem->fd, mem->size, block,
				     mem->backing == LIVEUPDATE_MEMORY_HUGETLB, 0, bytes);
	if (ret)
		return lu_fail(mem->ctx, LU_OP_MEMORY, ret, "liveupdate_memory_huge_bytes: "
			       "measuring %s", lu_util_fmt_size(s, sizeof(s), mem->size));
	return 0;
}

LU_EXPORT int liveupdate_memory_retrieve(struct liveupdate_session *session,
					 uint64_t token, struct liveupdate_memory **memp)
{
	int fd, ret;

	if (!session || !memp)
		return lu_bad_arg(session ? session->ctx : NULL, "liveupdate_memory_retrieve: "
				  "%s is NULL", session ? "memp" : "session");
	ret = liveupdate_session_retrieve_fd(session, token, &fd);
	if (ret)
		return ret;
	ret = liveupdate_memory_from_fd(session->ctx, fd, memp);
	if (ret)
		close(fd);
	return ret;
}
