/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Which memory to create: checks the options against what the host offers
 * (sizes, THP policy, pools, huge tmpfs) and resolves AUTO, saying why.
 * Nothing is allocated here, so a refusal changes nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>

#include "memory-private.h"

#define SEALS_ASKED(s) ((s) != 0 && (s) != LIVEUPDATE_MEMORY_SEALS_NONE)

int lu_memory_check_size(struct liveupdate_ctx *ctx, const char *what,
			 uint64_t size, uint64_t page_size)
{
	char a[32], b[32], c[32], p[32];
	uint64_t below = size / page_size * page_size;

	if (size == 0)
		return lu_bad_arg(ctx, "%s: size is 0; give the memory's size in bytes",
				  what);
	if (size > (uint64_t)INT64_MAX)
		return lu_bad_arg(ctx, "%s: size %" PRIu64 " bytes is larger than any file "
				  "can be (%" PRId64 " bytes at most)", what, size, INT64_MAX);
	if (size % page_size == 0)
		return 0;
	if (below == 0)
		return lu_bad_arg(ctx, "%s: size %s is not a multiple of the %s page "
				  "size; the smallest valid size is %s (never rounded "
				  "by the library)", what, lu_util_fmt_size(a, sizeof(a), size),
				  lu_util_fmt_size(p, sizeof(p), page_size),
				  lu_util_fmt_size(c, sizeof(c), page_size));
	return lu_bad_arg(ctx, "%s: size %s is not a multiple of the %s page size; "
			  "the nearest valid sizes are %s and %s (never rounded by "
			  "the library)", what, lu_util_fmt_size(a, sizeof(a), size),
			  lu_util_fmt_size(p, sizeof(p), page_size),
			  lu_util_fmt_size(b, sizeof(b), below),
			  lu_util_fmt_size(c, sizeof(c), below + page_size));
}

/* Append to a reason buffer, keeping it terminated. */
static void say(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void say(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list args;

	if (used + 1 >= len)
		return;
	va_start(args, fmt);
	vsnprintf(buf + used, len - used, fmt, args);
	va_end(args);
}

/*
 * Would a memfd with MADV_HUGEPAGE on its mappings get huge pages of
 * thp_size? The global shmem_enabled, overridden for that size by its own
 * file (Linux 6.11+) unless that says inherit. why gets the policy's words.
 */
static bool shmem_thp_allows(const char *root, uint64_t thp_size, char *why, size_t len)
{
	enum liveupdate_thp_policy global = LIVEUPDATE_THP_NEVER, size_pol;
	bool has_global = !liveupdate_memory_host_shmem_thp(root, 0, &global);
	bool has_size = !liveupdate_memory_host_shmem_thp(root, thp_size, &size_pol) &&
			size_pol != LIVEUPDATE_THP_INHERIT;

	if (!has_global) {
		snprintf(why, len, "no shmem THP policy file (kernel without THP?)");
		return false;
	}
	if (global == LIVEUPDATE_THP_DENY || global == LIVEUPDATE_THP_FORCE) {
		snprintf(why, len, "shmem_enabled is '%s'", lu_thp_policy_name(global));
		return global == LIVEUPDATE_THP_FORCE;
	}
	if (has_size) {
		snprintf(why, len, "hugepages-%" PRIu64 "kB/shmem_enabled is '%s'",
			 thp_size / 1024, lu_thp_policy_name(size_pol));
		return size_pol != LIVEUPDATE_THP_NEVER;
	}
	snprintf(why, len, "shmem_enabled is '%s'", lu_thp_policy_name(global));
	return global != LIVEUPDATE_THP_NEVER;
}

/*
 * Is dir on a tmpfs mounted huge=always or huge=within_size? Checked in
 * the mount table under root and, for the file system type, on dir itself.
 */
static bool huge_tmpfs(const char *root, const char *dir, char *why, size_t len)
{
	enum liveupdate_thp_policy pol;
	struct statfs sfs;
	int ret = liveupdate_memory_host_tmpfs_huge(root, dir, &pol);

	if (ret == -ENOENT || (!ret && statfs(dir, &sfs) == 0 && sfs.f_type != TMPFS_MAGIC)) {
		snprintf(why, len, "%s is not on a tmpfs", dir);
		return false;
	}
	if (ret) {
		snprintf(why, len, "the mount table could not be read (%s)", strerror(-ret));
		return false;
	}
	if (statfs(dir, &sfs) < 0) {
		snprintf(why, len, "%s: %s", dir, strerror(errno));
		return false;
	}
	if (pol != LIVEUPDATE_THP_ALWAYS && pol != LIVEUPDATE_THP_WITHIN_SIZE) {
		snprintf(why, len, "the tmpfs at %s is mounted huge=%s, not huge=always",
			 dir, lu_thp_policy_name(pol));
		return false;
	}
	snprintf(why, len, "tmpfs at %s mounted huge=%s", dir, lu_thp_policy_name(pol));
	return true;
}

/*
 * Has the tmpfs at dir room for size bytes? Guest memory on a tmpfs that
 * fills up dies of SIGBUS when the guest touches the page past the end.
 */
static bool tmpfs_fits(const char *dir, uint64_t size, char *why, size_t len)
{
	struct statfs sfs;
	uint64_t free_bytes;
	char a[32], b[32];

	/* f_blocks 0: a tmpfs mounted without a size limit */
	if (statfs(dir, &sfs) < 0 || !sfs.f_blocks)
		return true;
	free_bytes = (uint64_t)sfs.f_bavail * (uint64_t)sfs.f_bsize;
	if (size <= free_bytes)
		return true;
	snprintf(why, len, "the tmpfs at %s has %s free, less than the %s asked for "
		 "(raise its size= option)", dir, lu_util_fmt_size(a, sizeof(a), free_bytes),
		 lu_util_fmt_size(b, sizeof(b), size));
	return false;
}

/* Pages the pool of page_size cannot give for size bytes: 0 when it can. */
static uint64_t pool_missing(const char *root, uint64_t size, uint64_t page_size,
			     struct liveupdate_hugetlb_pool *pool)
{
	uint64_t need = size / page_size, avail;

	pool->sz = sizeof(*pool);
	if (liveupdate_memory_host_hugetlb_pool(root, page_size, pool))
		return need;
	avail = pool->free > pool->reserved ? pool->free - pool->reserved : 0;
	if (pool->overcommit > pool->surplus)
		avail += pool->overcommit - pool->surplus;
	return need > avail ? need - avail : 0;
}

static int pool_too_small(struct liveupdate_ctx *ctx, uint64_t size, uint64_t missing,
			  const struct liveupdate_hugetlb_pool *pool)
{
	char ps[32], sz[32], n[32];

	return lu_fail(ctx, LU_OP_MEMORY, -ENOMEM,
		       "liveupdate_memory_new: %s of HugeTLB needs %s of %s, "
		       "the pool lacks %" PRIu64 " (nr_hugepages %" PRIu64 ", free %" PRIu64
		       ", reserved %" PRIu64 "); nothing was allocated: raise "
		       "/sys/kernel/mm/hugepages/hugepages-%" PRIu64 "kB/nr_hugepages to at "
		       "least %" PRIu64, lu_util_fmt_size(sz, sizeof(sz), size),
		       lu_util_fmt_count(n, sizeof(n), size / pool->page_size, "page"),
		       lu_util_fmt_size(ps, sizeof(ps), pool->page_size),
		       missing, pool->total, pool->free, pool->reserved,
		       pool->page_size / 1024, pool->total + missing);
}

/* The HugeTLB page size asked for (0: the default), checked against the host. */
static int hugetlb_size(struct liveupdate_ctx *ctx, const char *root, uint64_t asked,
			uint64_t *sizep)
{
	uint64_t sizes[8];
	char list[160] = "", s[32];
	int n = liveupdate_memory_host_hugetlb_sizes(root, sizes, 8);
	uint64_t ps = asked ? asked : lu_host_default_hugetlb_size(root);

	for (int i = 0; i < n && i < 8; i++) {
		if (sizes[i] == ps) {
			*sizep = ps;
			return 0;
		}
		say(list, sizeof(list), "%s%s", i ? ", " : "", lu_util_fmt_size(s, sizeof(s), sizes[i]));
	}
	if (n <= 0)
		return lu_fail(ctx, LU_OP_MEMORY, -EOPNOTSUPP, "liveupdate_memory_new: "
			       "this kernel has no HugeTLB pages (no %s/sys/kernel/mm/hugepages)",
			       root ? root : "");
	return lu_fail(ctx, LU_OP_MEMORY, -EOPNOTSUPP, "liveupdate_memory_new: no HugeTLB "
		       "pool of %s pages; this kernel has %s",
		       lu_util_fmt_size(s, sizeof(s), ps), list);
}

static int plan_hugetlb(struct liveupdate_ctx *ctx, const struct liveupdate_memory_opts *o,
			struct liveupdate_memory *mem, struct lu_memory_plan *plan)
{
	struct liveupdate_hugetlb_pool pool;
	uint64_t ps = 0, missing;
	char s[32];
	int ret = hugetlb_size(ctx, o->host_root, o->page_size, &ps);

	if (ret)
		return ret;
	ret = lu_memory_check_size(ctx, "liveupdate_memory_new(HUGETLB)", o->size, ps);
	if (ret)
		return ret;
	missing = pool_missing(o->host_root, o->size, ps, &pool);
	if (missing)
		return pool_too_small(ctx, o->size, missing, &pool);
	plan->backing = LIVEUPDATE_MEMORY_HUGETLB;
	plan->page_size = ps;
	snprintf(mem->reason, sizeof(mem->reason), "HUGETLB as asked: %s pages, the pool "
		 "has them", lu_util_fmt_size(s, sizeof(s), ps));
	return 0;
}

/* THP from a memfd if the policy allows it, else from the huge tmpfs. */
static int plan_thp(struct liveupdate_ctx *ctx, const struct liveupdate_memory_opts *o,
		    struct liveupdate_memory *mem, struct lu_memory_plan *plan)
{
	const char *dir = o->tmpfs_path ? o->tmpfs_path : LIVEUPDATE_MEMORY_TMPFS_PATH;
	char why_policy[160], why_tmpfs[200], s[32];
	uint64_t thp;
	int ret;

	if (liveupdate_memory_host_thp_size(o->host_root, &thp))
		return lu_fail(ctx, LU_OP_MEMORY, -EOPNOTSUPP, "liveupdate_memory_new: "
			       "this kernel has no transparent huge pages (no "
			       "hpage_pmd_size): use SHMEM or AUTO");
	if (o->page_size && o->page_size != thp)
		return lu_bad_arg(ctx, "liveupdate_memory_new: page_size %" PRIu64 " is "
				  "not the THP size %" PRIu64 " of this kernel; pass 0",
				  o->page_size, thp);
	ret = lu_memory_check_size(ctx, "liveupdate_memory_new(THP)", o->size, thp);
	if (ret)
		return ret;
	plan->backing = LIVEUPDATE_MEMORY_THP;
	plan->page_size = thp;
	if (shmem_thp_allows(o->host_root, thp, why_policy, sizeof(why_policy))) {
		snprintf(mem->reason, sizeof(mem->reason), "THP as asked: a memfd with "
			 "MADV_HUGEPAGE, %s pages (%s)", lu_util_fmt_size(s, sizeof(s), thp),
			 why_policy);
		return 0;
	}
	if (!SEALS_ASKED(o->seals) && huge_tmpfs(o->host_root, dir, why_tmpfs, sizeof(why_tmpfs))) {
		if (!tmpfs_fits(dir, o->size, why_tmpfs, sizeof(why_tmpfs)))
			return lu_fail(ctx, LU_OP_MEMORY, -ENOSPC, "liveupdate_memory_new: "
				       "THP for shared memory: the memfd policy says no (%s), "
				       "and %s; nothing was allocated", why_policy, why_tmpfs);
		plan->tmpfs_path = dir;
		snprintf(mem->reason, sizeof(mem->reason), "THP as asked: an unlinked file "
			 "on the %s, %s pages (the memfd policy says no: %s)", why_tmpfs,
			 lu_util_fmt_size(s, sizeof(s), thp), why_policy);
		return 0;
	}
	if (SEALS_ASKED(o->seals))
		snprintf(why_tmpfs, sizeof(why_tmpfs), "seals were asked for and a tmpfs "
			 "file cannot be sealed");
	return lu_fail(ctx, LU_OP_MEMORY, -EOPNOTSUPP, "liveupdate_memory_new: THP for "
		       "shared memory is not available here: %s, and %s. Allow it with "
		       "'echo advise > /sys/kernel/mm/transparent_hugepage/shmem_enabled', "
		       "or mount a huge tmpfs: 'mount -t tmpfs -o huge=always,mode=0700 "
		       "liveupdate-huge %s'", why_policy, why_tmpfs, dir);
}

/*
 * AUTO: HugeTLB, THP memfd, huge tmpfs, 4 KiB shmem; the first that fits.
 * Each step passed over adds its reason.
 */
static int plan_auto(struct liveupdate_ctx *ctx, const struct liveupdate_memory_opts *o,
		     struct liveupdate_memory *mem, struct lu_memory_plan *plan,
		     bool allow_hugetlb)
{
	const char *root = o->host_root;
	const char *dir = o->tmpfs_path ? o->tmpfs_path : LIVEUPDATE_MEMORY_TMPFS_PATH;
	char skipped[LU_MEMORY_REASON_MAX] = "", why[200], s[32], p[32], n[32];
	uint64_t thp = 0, ps;
	int ret;

	ret = lu_memory_check_size(ctx, "liveupdate_memory_new(AUTO)", o->size, LU_SMALL_PAGE);
	if (ret)
		return ret;

	/* 1. HugeTLB: only when the running kernel says it preserves it. */
	ps = o->page_size ? o->page_size : lu_host_default_hugetlb_size(root);
	if (!allow_hugetlb) {
		say(skipped, sizeof(skipped), " HugeTLB: the memory is being moved off it.");
	} else if (!ps || liveupdate_memory_host_hugetlb_pool(root, ps, &(struct liveupdate_hugetlb_pool){ .sz = sizeof(struct liveupdate_hugetlb_pool) })) {
		say(skipped, sizeof(skipped), " HugeTLB: no pool of %s pages here.",
		    ps ? lu_util_fmt_size(s, sizeof(s), ps) : "any");
	} else if (o->size % ps) {
		say(skipped, sizeof(skipped), " HugeTLB: %s is not a multiple of its %s pages.",
		    lu_util_fmt_size(s, sizeof(s), o->size), lu_util_fmt_size(p, sizeof(p), ps));
	} else {
		struct lu_memory_plan h = { LIVEUPDATE_MEMORY_HUGETLB, ps, NULL };
		struct liveupdate_hugetlb_pool pool;
		int probe = lu_memory_probe_plan(ctx, &h);
		uint64_t missing;

		if (probe == 0) {
			say(skipped, sizeof(skipped), " HugeTLB %s: the running kernel cannot "
			    "preserve it (asked with a throwaway session).",
			    lu_util_fmt_size(s, sizeof(s), ps));
		} else if (probe < 0) {
			say(skipped, sizeof(skipped), " HugeTLB %s: whether the kernel preserves "
			    "it is unknown (the probe failed: %s).",
			    lu_util_fmt_size(s, sizeof(s), ps), strerror(-probe));
		} else if ((missing = pool_missing(root, o->size, ps, &pool))) {
			say(skipped, sizeof(skipped), " HugeTLB %s: preservable, but the pool "
			    "lacks %s (raise /sys/kernel/mm/hugepages/"
			    "hugepages-%" PRIu64 "kB/nr_hugepages).", lu_util_fmt_size(s, sizeof(s), ps),
			    lu_util_fmt_count(n, sizeof(n), missing, "page"), ps / 1024);
		} else {
			*plan = h;
			snprintf(mem->reason, sizeof(mem->reason), "AUTO chose HUGETLB, %s "
				 "pages: the running kernel preserves it and the pool has "
				 "the pages.", lu_util_fmt_size(s, sizeof(s), ps));
			return 0;
		}
	}

	/* 2. THP on a memfd, if the shmem policy allows it. */
	if (liveupdate_memory_host_thp_size(root, &thp)) {
		thp = 0;
		say(skipped, sizeof(skipped), " THP: this kernel has none.");
	} else if (o->size % thp) {
		say(skipped, sizeof(skipped), " THP: %s is not a multiple of %s.",
		    lu_util_fmt_size(s, sizeof(s), o->size), lu_util_fmt_size(p, sizeof(p), thp));
		thp = 0;
	} else if (shmem_thp_allows(root, thp, why, sizeof(why))) {
		plan->backing = LIVEUPDATE_MEMORY_THP;
		plan->page_size = thp;
		plan->tmpfs_path = NULL;
		snprintf(mem->reason, sizeof(mem->reason), "AUTO chose THP, %s pages: a "
			 "memfd with MADV_HUGEPAGE (%s).%s%s", lu_util_fmt_size(s, sizeof(s), thp),
			 why, *skipped ? " Passed over:" : "", skipped);
		return 0;
	} else {
		say(skipped, sizeof(skipped), " THP memfd: %s.", why);
	}

	/* 3. An unlinked file on a tmpfs mounted with huge pages. */
	if (thp && SEALS_ASKED(o->seals)) {
		say(skipped, sizeof(skipped), " Huge tmpfs: seals were asked for, and a "
		    "tmpfs file cannot be sealed.");
	} else if (thp && !huge_tmpfs(root, dir, why, sizeof(why))) {
		say(skipped, sizeof(skipped), " Huge tmpfs: %s (mount one: 'mount -t tmpfs "
		    "-o huge=always,mode=0700 liveupdate-huge %s').", why, dir);
	} else if (thp && !tmpfs_fits(dir, o->size, why, sizeof(why))) {
		say(skipped, sizeof(skipped), " Huge tmpfs: %s.", why);
	} else if (thp) {
		struct lu_memory_plan t = { LIVEUPDATE_MEMORY_THP, thp, dir };
		int probe = lu_memory_probe_plan(ctx, &t);

		if (probe == 0) {
			say(skipped, sizeof(skipped), " Huge tmpfs: the running kernel cannot "
			    "preserve a file on %s.", dir);
		} else {
			*plan = t;
			snprintf(mem->reason, sizeof(mem->reason), "AUTO chose THP, %s pages: "
				 "an unlinked file on the %s%s.%s%s",
				 lu_util_fmt_size(s, sizeof(s), thp), why,
				 probe < 0 ? " (whether the kernel preserves it is not known: "
					     "the probe failed)" : "",
				 *skipped ? " Passed over:" : "", skipped);
			return 0;
		}
	}

	/* 4. 4 KiB shmem. */
	plan->backing = LIVEUPDATE_MEMORY_SHMEM;
	plan->page_size = LU_SMALL_PAGE;
	plan->tmpfs_path = NULL;
	snprintf(mem->reason, sizeof(mem->reason), "AUTO chose SHMEM, 4 KiB pages: no huge "
		 "pages that this kernel can preserve are available. Passed over:%s", skipped);
	return 0;
}

int lu_memory_plan(struct liveupdate_ctx *ctx, const struct liveupdate_memory_opts *o,
		   struct liveupdate_memory *mem, struct lu_memory_plan *plan)
{
	char s[32];
	int ret;

	memset(plan, 0, sizeof(*plan));
	switch (o->backing) {
	case LIVEUPDATE_MEMORY_AUTO:
		ret = plan_auto(ctx, o, mem, plan, true);
		if (!ret)
			lu_info(ctx, "liveupdate_memory_new(%s): %s",
				lu_util_fmt_size(s, sizeof(s), o->size), mem->reason);
		return ret;
	case LIVEUPDATE_MEMORY_SHMEM:
		if (o->page_size && o->page_size != LU_SMALL_PAGE)
			return lu_bad_arg(ctx, "liveupdate_memory_new: page_size %" PRIu64
					  " with SHMEM; pass 0 (4 KiB pages)", o->page_size);
		ret = lu_memory_check_size(ctx, "liveupdate_memory_new(SHMEM)", o->size,
					   LU_SMALL_PAGE);
		if (ret)
			return ret;
		plan->backing = LIVEUPDATE_MEMORY_SHMEM;
		plan->page_size = LU_SMALL_PAGE;
		snprintf(mem->reason, sizeof(mem->reason), "SHMEM as asked: a memfd in "
			 "4 KiB pages");
		return 0;
	case LIVEUPDATE_MEMORY_THP:
		return plan_thp(ctx, o, mem, plan);
	case LIVEUPDATE_MEMORY_HUGETLB:
		return plan_hugetlb(ctx, o, mem, plan);
	default:
		return lu_bad_arg(ctx, "liveupdate_memory_new: backing %d is unknown",
				  (int)o->backing);
	}
}

int lu_memory_plan_preservable(struct liveupdate_ctx *ctx,
			       const struct liveupdate_memory *src,
			       struct liveupdate_memory *dst, struct lu_memory_plan *plan)
{
	LIVEUPDATE_OPTS(liveupdate_memory_opts, o, .size = src->size,
			.tmpfs_path = src->tmpfs_path, .host_root = src->host_root);

	memset(plan, 0, sizeof(*plan));
	return plan_auto(ctx, &o, dst, plan, false);
}
