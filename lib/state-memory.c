/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The host's memory in the state: the shmem THP policy, the huge tmpfs,
 * the HugeTLB pools (the memory helpers read them under the query's root)
 * and which backings the kernel preserves (liveupdate_memory_probe(), only
 * for the running host and a device that opens: never guessed).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "state-private.h"

#define THP_ENABLED "/sys/kernel/mm/transparent_hugepage/shmem_enabled"
#define HUGEPAGES "/sys/kernel/mm/hugepages"
#define MOUNTINFO "/proc/self/mountinfo"

static void shmem_thp(const struct lu_state_root *root, struct liveupdate_state *st)
{
	enum liveupdate_thp_policy policy;
	int err = liveupdate_memory_host_shmem_thp(lu_state_root_dir(root), 0, &policy);

	st->host_memory.shmem_thp = err ? -ENODATA : (int)policy;
	if (!err)
		lu_state_set_source(st, LIVEUPDATE_FACT_SHMEM_THP, THP_ENABLED);
	else if (err == -ENOENT)
		lu_state_set_missing(st, LIVEUPDATE_FACT_SHMEM_THP, "%s: no such file: "
				     "a kernel without transparent huge pages "
				     "(CONFIG_TRANSPARENT_HUGEPAGE)", THP_ENABLED);
	else
		lu_state_set_missing(st, LIVEUPDATE_FACT_SHMEM_THP, "%s: %s", THP_ENABLED,
				     strerror(-err));
}

static void huge_tmpfs(const struct lu_state_root *root, struct liveupdate_state *st)
{
	enum liveupdate_thp_policy policy;
	char table[LU_STATE_PATH_MAX + sizeof(MOUNTINFO)];
	int err = liveupdate_memory_host_tmpfs_huge(lu_state_root_dir(root),
						    LIVEUPDATE_MEMORY_TMPFS_PATH, &policy);
	bool no_table;

	/* ENOENT says "on no tmpfs" also when there is no mount table */
	snprintf(table, sizeof(table), "%s%s", root->dir, MOUNTINFO);
	no_table = err && access(table, R_OK) < 0;
	if (no_table)
		err = -errno;
	st->host_memory.huge_tmpfs = err ? -ENODATA : (int)policy;
	if (!err)
		lu_state_set_source(st, LIVEUPDATE_FACT_HUGE_TMPFS, MOUNTINFO);
	else if (!no_table && err == -ENOENT)
		lu_state_set_missing(st, LIVEUPDATE_FACT_HUGE_TMPFS, "%s is on no tmpfs "
				     "(%s): mount one with 'liveupdate-ctl mount-huge'",
				     LIVEUPDATE_MEMORY_TMPFS_PATH, MOUNTINFO);
	else
		lu_state_set_missing(st, LIVEUPDATE_FACT_HUGE_TMPFS, "the mount table "
				     "%s could not be read (%s), so whether %s is on a "
				     "huge tmpfs is unknown", table, strerror(-err),
				     LIVEUPDATE_MEMORY_TMPFS_PATH);
}

static void hugetlb_pools(const struct lu_state_root *root, struct liveupdate_state *st)
{
	struct lu_state_host_memory *m = &st->host_memory;
	uint64_t sizes[LU_STATE_POOLS_MAX];
	int n = liveupdate_memory_host_hugetlb_sizes(lu_state_root_dir(root), sizes,
						     LU_STATE_POOLS_MAX);

	if (n <= 0) {
		lu_state_set_missing(st, LIVEUPDATE_FACT_HUGETLB, "%s: no pool: a "
				     "kernel without HugeTLB (CONFIG_HUGETLBFS)", HUGEPAGES);
		return;
	}
	for (int i = 0; i < n && i < LU_STATE_POOLS_MAX; i++) {
		struct liveupdate_hugetlb_pool *pool = &m->pools[m->n_pools];

		pool->sz = sizeof(*pool);
		if (liveupdate_memory_host_hugetlb_pool(lu_state_root_dir(root), sizes[i], pool) == 0)
			m->n_pools++;
	}
	lu_state_set_source(st, LIVEUPDATE_FACT_HUGETLB, HUGEPAGES);
}

static struct lu_state_backing *add_backing(struct liveupdate_state *st,
					    enum liveupdate_memory_backing backing,
					    uint64_t page_size)
{
	struct lu_state_host_memory *m = &st->host_memory;
	struct lu_state_backing *b = &m->backings[m->n_backings++];

	b->backing = backing;
	b->page_size = page_size;
	b->answer = -ENODATA;
	return b;
}

/* The backings to ask about: 4 KiB shmem, THP, HugeTLB per pool size. */
static void list_backings(const struct lu_state_root *root, struct liveupdate_state *st)
{
	uint64_t thp;

	add_backing(st, LIVEUPDATE_MEMORY_SHMEM, 4096);
	if (liveupdate_memory_host_thp_size(lu_state_root_dir(root), &thp) == 0)
		add_backing(st, LIVEUPDATE_MEMORY_THP, thp);
	for (size_t i = 0; i < st->host_memory.n_pools; i++)
		add_backing(st, LIVEUPDATE_MEMORY_HUGETLB, st->host_memory.pools[i].page_size);
}

/* Why nothing can be probed, or NULL when the device can be asked. */
static const char *no_probe(const struct lu_state_root *root,
			    const struct liveupdate_state *st, char *buf, size_t size)
{
	if (!root->is_host) {
		snprintf(buf, size, "not probed: the state was read from %s, not "
			 "from the running kernel", root->dir);
		return buf;
	}
	if (st->avail != LIVEUPDATE_AVAIL_YES && st->avail != LIVEUPDATE_AVAIL_SIMULATED) {
		snprintf(buf, size, "not probed: a probe needs the device, which "
			 "cannot be used (%s: see the availability)",
			 liveupdate_avail_name(st->avail));
		return buf;
	}
	return NULL;
}

static void probe(struct liveupdate_ctx *ctx, struct liveupdate_state *st)
{
	struct lu_state_host_memory *m = &st->host_memory;
	bool was_open;

	pthread_mutex_lock(&ctx->device_lock);
	was_open = ctx->device_fd >= 0;
	pthread_mutex_unlock(&ctx->device_lock);
	for (size_t i = 0; i < m->n_backings; i++) {
		struct lu_state_backing *b = &m->backings[i];
		int ret = liveupdate_memory_probe(ctx, b->backing, b->page_size);

		b->answer = ret >= 0 ? ret : -ENODATA;
		if (ret == 0)
			snprintf(b->why, sizeof(b->why), "the kernel refused to preserve "
				 "a file of this backing (liveupdate_memory_probe())");
		else if (ret < 0)
			snprintf(b->why, sizeof(b->why), "the probe failed (%s): %s",
				 strerror(-ret), liveupdate_last_error());
	}
	if (!was_open)
		liveupdate_ctx_close_device(ctx); /* leave the device as it was */
	lu_state_set_source(st, LIVEUPDATE_FACT_BACKINGS, "liveupdate_memory_probe() "
			    "on %s", lu_backend_device_label(ctx));
}

void lu_state_memory(struct liveupdate_ctx *ctx, const struct lu_state_root *root,
		     struct liveupdate_state *st)
{
	struct lu_state_host_memory *m = &st->host_memory;
	char why[LU_STATE_TEXT_MAX];

	shmem_thp(root, st);
	huge_tmpfs(root, st);
	hugetlb_pools(root, st);
	list_backings(root, st);
	if (!no_probe(root, st, why, sizeof(why))) {
		probe(ctx, st);
		return;
	}
	lu_state_set_missing(st, LIVEUPDATE_FACT_BACKINGS, "%s", why);
	for (size_t i = 0; i < m->n_backings; i++)
		snprintf(m->backings[i].why, sizeof(m->backings[i].why), "%s", why);
}

LU_EXPORT int liveupdate_state_get_shmem_thp(const struct liveupdate_state *st)
{
	return st ? st->host_memory.shmem_thp : -EINVAL;
}

LU_EXPORT int liveupdate_state_get_huge_tmpfs(const struct liveupdate_state *st)
{
	return st ? st->host_memory.huge_tmpfs : -EINVAL;
}

LU_EXPORT int liveupdate_state_get_hugetlb_pool(const struct liveupdate_state *st,
						unsigned int index,
						struct liveupdate_hugetlb_pool *pool)
{
	size_t n;

	if (!st || !pool || !pool->sz)
		return -EINVAL;
	if (index >= st->host_memory.n_pools)
		return -ENOENT;
	n = pool->sz < sizeof(*pool) ? pool->sz : sizeof(*pool);
	memcpy((char *)pool + sizeof(pool->sz),
	       (const char *)&st->host_memory.pools[index] + sizeof(pool->sz),
	       n > sizeof(pool->sz) ? n - sizeof(pool->sz) : 0);
	return 0;
}

LU_EXPORT int liveupdate_state_get_backing(const struct liveupdate_state *st,
					   unsigned int index,
					   enum liveupdate_memory_backing *backingp,
					   uint64_t *page_sizep, const char **whyp)
{
	const struct lu_state_backing *b;

	if (!st)
		return -EINVAL;
	if (index >= st->host_memory.n_backings)
		return -ENOENT;
	b = &st->host_memory.backings[index];
	if (backingp)
		*backingp = b->backing;
	if (page_sizep)
		*page_sizep = b->page_size;
	if (whyp)
		*whyp = b->why[0] ? b->why : NULL;
	return b->answer;
}
