/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internals of the state queries (liveupdate_state_query()): the object,
 * and the helpers its files share. One job per file:
 *   state.c               the object, the query, the getters
 *   state-read.c          reading files under the query's root, bounded,
 *                         and each fact's source or why it is missing
 *   state-availability.c  can this host live update, and if not why
 *   kernel-config.c       one option of the kernel's build config
 *   state-handover.c      this boot and the KHO trees, from debugfs
 *   kho.c                 the blob decoders (libfdt)
 *   state-memory.c        the host's memory: THP, pools, what is preservable
 */
#ifndef LIBLIVEUPDATE_STATE_PRIVATE_H
#define LIBLIVEUPDATE_STATE_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "liveupdate-private.h"
#include "kho.h"

#define LU_STATE_FACTS (LIVEUPDATE_FACT_BACKINGS + 1)
#define LU_STATE_TEXT_MAX 1024
#define LU_STATE_PATH_MAX 256
#define LU_KHO_DEBUGFS "/sys/kernel/debug/kho"

struct lu_state_fact {
	char source[LU_STATE_PATH_MAX]; /* "" when unknown */
	char missing[LU_STATE_TEXT_MAX]; /* "" when known */
};

/* One handed-over blob of a KHO tree. */
struct lu_state_kho_entry {
	char name[LU_KHO_NAME_MAX];
	int64_t size;                   /* -ENODATA when unknown */
	const char *format;             /* static; NULL: see note */
	char note[LU_STATE_TEXT_MAX];
};

struct lu_state_kho {
	char compatible[LU_KHO_COMPAT_MAX]; /* "" when unknown */
	size_t count;
	struct lu_state_kho_entry *entries;
};

#define LU_STATE_POOLS_MAX 8
#define LU_STATE_BACKINGS_MAX (2 + LU_STATE_POOLS_MAX)

/* One backing of liveupdate_state_get_backing(). */
struct lu_state_backing {
	enum liveupdate_memory_backing backing;
	uint64_t page_size;
	int answer;                     /* 1, 0, or -ENODATA: unknown */
	char why[LU_STATE_TEXT_MAX];    /* "" when preservable */
};

/* The host's memory (state-memory.c). */
struct lu_state_host_memory {
	int shmem_thp;                  /* enum liveupdate_thp_policy, or -ENODATA */
	int huge_tmpfs;                 /* the same, or -ENODATA */
	size_t n_pools;
	struct liveupdate_hugetlb_pool pools[LU_STATE_POOLS_MAX];
	size_t n_backings;
	struct lu_state_backing backings[LU_STATE_BACKINGS_MAX];
};

struct liveupdate_state {
	int refcount;                   /* atomic */
	enum liveupdate_avail avail;
	char avail_text[LU_STATE_TEXT_MAX];
	pid_t holder_pid;               /* 0: none known */
	char holder_comm[64];
	enum liveupdate_boot boot;
	char kernel_release[LU_KHO_RELEASE_MAX];
	char previous_release[LU_KHO_RELEASE_MAX];
	int64_t kexec_count;            /* -ENODATA when unknown */
	int64_t liveupdate_count;       /* -ENODATA when unknown */
	char luo_abi[LU_KHO_COMPAT_MAX];
	struct lu_state_fact facts[LU_STATE_FACTS];
	struct lu_state_kho kho_in, kho_out;
	struct lu_state_host_memory host_memory;
};

/* The query's root: "" for "/", else the directory without trailing '/'. */
struct lu_state_root {
	char dir[LU_STATE_PATH_MAX];
	bool is_host; /* the running system: uname(2) may stand in for /proc */
};

/* The root for util's readers: NULL for the running system. */
static inline const char *lu_state_root_dir(const struct lu_state_root *root)
{
	return root->dir[0] ? root->dir : NULL;
}

/* ---- state-read.c ---- */
void lu_state_set_source(struct liveupdate_state *st, enum liveupdate_fact f,
			 const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void lu_state_set_missing(struct liveupdate_state *st, enum liveupdate_fact f,
			  const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/*
 * Read the file at @path (as seen on the host) under @root to its end, at
 * most @max bytes (debugfs blobs say 0 in stat(), so the size is what a
 * read gives): 0 and a malloc'd buffer (NUL-terminated past *lenp), or a
 * negative errno; -EFBIG when the file holds more than @max bytes.
 */
int lu_state_read(const struct lu_state_root *root, const char *path,
		  size_t max, char **bufp, size_t *lenp);
/* The first line of a small text file, without its newline. */
int lu_state_read_line(const struct lu_state_root *root, const char *path,
		       char *buf, size_t size);
/* stat(2) under @root: 0 or a negative errno. */
int lu_state_stat(const struct lu_state_root *root, const char *path,
		  struct stat *st);
/* opendir(3) under @root, NULL with errno set. */
DIR *lu_state_opendir(const struct lu_state_root *root,
		      const char *path);
/* The value of the last "@key=" word of /proc/cmdline: 1 found, 0 not
 * found, negative errno when /proc/cmdline cannot be read. */
int lu_state_cmdline(const struct lu_state_root *root, const char *key,
		     char *value, size_t size);
/* A kernel boolean as kstrtobool() reads it: 1, 0, or -1 when not one. */
int lu_state_kbool(const char *value);

/* ---- kernel-config.c ---- */
/*
 * CONFIG_@option of the running kernel (release @release), from
 * /proc/config.gz or /boot/config-@release: 'y', 'm', 'n' (not set or not
 * listed), or 0 when no config could be read (why in @why). @source gets
 * the file read.
 */
char lu_kernel_config(const struct lu_state_root *root, const char *release,
		      const char *option, char *source, size_t source_size,
		      char *why, size_t why_size);

/* ---- state-availability.c ---- */
int lu_state_availability(struct liveupdate_ctx *ctx,
			  const struct lu_state_root *root,
			  struct liveupdate_state *st);

/* ---- state-handover.c ---- */
int lu_state_handover(const struct lu_state_root *root,
		      struct liveupdate_state *st);

/* ---- state-memory.c ---- */
/* Fill st->host_memory; probes the device only for the running host and
 * when the availability says it opens. */
void lu_state_memory(struct liveupdate_ctx *ctx, const struct lu_state_root *root,
		     struct liveupdate_state *st);

#endif
