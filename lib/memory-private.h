/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Internals of the guest memory helpers (lib/memory*.c). Nothing here is ABI. */
#ifndef LIBLIVEUPDATE_MEMORY_PRIVATE_H
#define LIBLIVEUPDATE_MEMORY_PRIVATE_H

#include <stdint.h>

#include "liveupdate-private.h"

#define LU_MEMORY_REASON_MAX 1024
#define LU_MEMORY_MAX_THREADS 16
#define LU_SMALL_PAGE 4096u

struct liveupdate_memory {
	int refcount;                 /* atomic */
	struct liveupdate_ctx *ctx;   /* holds a reference */
	int fd;
	uint64_t size;
	enum liveupdate_memory_backing backing;
	uint64_t page_size;
	void *addr;                   /* liveupdate_memory_map(); NULL if not */
	void *reserved;               /* the aligned reservation around addr */
	size_t reserved_len;
	unsigned int populate_threads;
	liveupdate_memory_progress_fn progress;
	void *progress_data;
	char *tmpfs_path;             /* the huge tmpfs used or offered; may be NULL */
	char *host_root;              /* NULL for "/" */
	char reason[LU_MEMORY_REASON_MAX];
};

/* What liveupdate_memory_new() is to create, once AUTO has been decided. */
struct lu_memory_plan {
	enum liveupdate_memory_backing backing;
	uint64_t page_size;
	const char *tmpfs_path;       /* THP from an O_TMPFILE there, or NULL */
};

/* ---- lib/memory-names.c ---- */

/* Name of a policy, as the sysfs files write it ("unknown" if none). */
const char *lu_thp_policy_name(enum liveupdate_thp_policy policy);
/* The policy named by the len bytes at word: true and *policyp, or false. */
bool lu_thp_policy_parse(const char *word, size_t len,
			 enum liveupdate_thp_policy *policyp);
/* "SHMEM", "THP", "HUGETLB", "AUTO": a backing in messages. */
const char *lu_backing_name(enum liveupdate_memory_backing backing);

/* ---- lib/memory-host.c ---- */

/* The default HugeTLB page size (Hugepagesize in /proc/meminfo), or 0. */
uint64_t lu_host_default_hugetlb_size(const char *root);

/* ---- lib/memory-map.c ---- */

/* The memfd_create() flags for a HugeTLB page size. */
unsigned int lu_hugetlb_memfd_flags(uint64_t page_size);
/* Create the file of a plan, size bytes, no seals: the fd (O_CLOEXEC) or a
 * negative errno (not logged: callers say what it was for, *failed names
 * the system call that failed). */
int lu_memory_create_file(const struct lu_memory_plan *plan, const char *name,
			  uint64_t size, const char **failed);
/* Map fd (len bytes) shared at an address aligned to align, with the THP
 * advice for the backing. The whole reservation to unmap goes to basep
 * and base_lenp. The address or MAP_FAILED (errno set). */
void *lu_memory_map_aligned(int fd, uint64_t len, uint64_t align, int prot,
			    enum liveupdate_memory_backing backing,
			    void **basep, size_t *base_lenp);
/* A failed mmap of the whole memory, explained (HugeTLB reservations). */
int lu_memory_map_failed(struct liveupdate_memory *mem, const char *call, int err);

/* ---- lib/memory-choose.c ---- */

/* Decide what to create for opts (AUTO resolved), writing why into
 * mem->reason; 0 or a negative errno (logged). Allocates nothing. */
int lu_memory_plan(struct liveupdate_ctx *ctx,
		   const struct liveupdate_memory_opts *opts,
		   struct liveupdate_memory *mem, struct lu_memory_plan *plan);
/* Whether size is a multiple of page_size; -EINVAL with the nearest valid
 * sizes otherwise. */
int lu_memory_check_size(struct liveupdate_ctx *ctx, const char *what,
			 uint64_t size, uint64_t page_size);
/* The same plan without HugeTLB, for moving memory off it. */
int lu_memory_plan_preservable(struct liveupdate_ctx *ctx,
			       const struct liveupdate_memory *src,
			       struct liveupdate_memory *dst,
			       struct lu_memory_plan *plan);

/* ---- lib/memory.c ---- */

/* Fill mem (from lu_memory_alloc) as planned: file, seals, populate. 0 or a
 * negative errno (logged); mem is then the caller's to unref. */
int lu_memory_build(struct liveupdate_memory *mem, const struct liveupdate_memory_opts *o,
		    const struct lu_memory_plan *plan);

/* A new object around nothing yet (fd -1), holding a ctx reference. */
struct liveupdate_memory *lu_memory_alloc(struct liveupdate_ctx *ctx);
void lu_memory_prepend_reason(struct liveupdate_memory *mem, const char *prefix);
/* liveupdate_memory_from_fd() without measuring: HUGETLB is known from the
 * file system, shmem stays AUTO for the caller to settle (from the manifest,
 * or with lu_memory_measure_backing()). Errors as liveupdate_memory_from_fd(). */
int lu_memory_wrap_fd(struct liveupdate_ctx *ctx, int fd, struct liveupdate_memory **memp);
void lu_memory_append_reason(struct liveupdate_memory *mem, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- lib/memory-measure.c ---- */

/* Huge bytes of fd (len bytes): see liveupdate_memory_huge_bytes(); shmem
 * only in the first max_blocks blocks when max_blocks is not 0. */
int lu_memory_measure_huge(int fd, uint64_t len, uint64_t block, bool hugetlb,
			   uint64_t max_blocks, uint64_t *bytes);
/* A wrapped shmem fd (lu_memory_wrap_fd) has backing AUTO until this looks
 * at its first pages and sets THP or SHMEM, with the reason. */
void lu_memory_measure_backing(struct liveupdate_memory *mem);

/* ---- lib/memory-probe.c ---- */

/* The probe, for a plan (THP from a tmpfs included): 1, 0 or a negative
 * errno; cached in the context. */
int lu_memory_probe_plan(struct liveupdate_ctx *ctx,
			 const struct lu_memory_plan *plan);
/* Tests: record an answer as if the kernel had given it. */
void lu_memory_probe_cache_set(struct liveupdate_ctx *ctx,
			       const struct lu_memory_plan *plan, int answer);

/* ---- lib/memory-chunks.c ---- */

/* A range worked on in chunks by several threads. */
struct lu_chunks {
	/* set by the caller */
	uint64_t total, chunk;
	int (*fn)(void *arg, uint64_t off, uint64_t len); /* 0 or -errno */
	void *arg;
	liveupdate_memory_progress_fn progress;           /* may be NULL */
	void *progress_data;
	/* filled by lu_run_chunks() */
	uint64_t next, done;  /* atomic */
	int stop;             /* atomic */
	pthread_mutex_t lock; /* guards err, err_off */
	int err;
	uint64_t err_off;
};

/* Run c->fn over [0, total) on threads threads (0: one per online CPU, at
 * most LU_MEMORY_MAX_THREADS); the calling thread works and reports
 * progress. Returns 0 or the first error (-ECANCELED when progress said
 * stop), with c->err_off where it happened. */
int lu_run_chunks(struct liveupdate_ctx *ctx, struct lu_chunks *c, unsigned int threads);
unsigned int lu_memory_default_threads(void);

/* ---- lib/memory-populate.c ---- */

/* Allocate the pages of [off, off + len) of mem through its mapping at
 * addr: MADV_POPULATE_WRITE, or fallocate and touching. 0 or -errno. */
int lu_memory_populate_chunk(struct liveupdate_memory *mem, unsigned char *addr,
			     uint64_t off, uint64_t len);
/* Set once MADV_POPULATE_WRITE was refused as unknown (atomic); tests set
 * it to exercise the fallback. */
extern int lu_memory_no_populate_write;
/* liveupdate_memory_populate() for call (named in its errors). */
int lu_memory_populate(struct liveupdate_memory *mem, unsigned int threads,
		       const char *call);
/* The error of a failed populate or copy, explained and recorded. */
int lu_memory_explain(struct liveupdate_memory *mem, const char *call, int err,
		      uint64_t off, uint64_t done);

#endif
