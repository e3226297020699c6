/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Can the running kernel preserve this kind of memory? Ask it: preserve a
 * one-page file of that kind in a throwaway session, then close the
 * session, which aborts it. Answers are cached in the context; errors
 * (no device, device busy) are not, so a later call asks again.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "memory-private.h"

struct lu_memory_probe {
	struct lu_memory_probe *next;
	enum liveupdate_memory_backing backing;
	uint64_t page_size;
	char *tmpfs_path;  /* THP from a tmpfs: which one; NULL otherwise */
	int answer;        /* 1 or 0 */
};

static bool same(const struct lu_memory_probe *p, const struct lu_memory_plan *plan)
{
	if (p->backing != plan->backing || p->page_size != plan->page_size)
		return false;
	if (!p->tmpfs_path || !plan->tmpfs_path)
		return p->tmpfs_path == plan->tmpfs_path;
	return !strcmp(p->tmpfs_path, plan->tmpfs_path);
}

/* The context's cache is a list kept under this key. */
static const char cache_key = 0;

static void cache_free(void *data)
{
	struct lu_memory_probe *p = data, *next;

	for (; p; p = next) {
		next = p->next;
		free(p->tmpfs_path);
		free(p);
	}
}

/* The cached answer, or -1. */
static int cached(struct liveupdate_ctx *ctx, const struct lu_memory_plan *plan)
{
	int answer = -1;

	pthread_mutex_lock(&ctx->feature_lock);
	for (struct lu_memory_probe *p = lu_feature_data_get(&ctx->features, &cache_key);
	     p; p = p->next)
		if (same(p, plan)) {
			answer = p->answer;
			break;
		}
	pthread_mutex_unlock(&ctx->feature_lock);
	return answer;
}

void lu_memory_probe_cache_set(struct liveupdate_ctx *ctx,
			       const struct lu_memory_plan *plan, int answer)
{
	struct lu_memory_probe *p = calloc(1, sizeof(*p));

	if (!p)
		return; /* not cached: the next call asks the kernel again */
	p->backing = plan->backing;
	p->page_size = plan->page_size;
	p->answer = answer;
	if (plan->tmpfs_path && !(p->tmpfs_path = strdup(plan->tmpfs_path))) {
		free(p);
		return;
	}
	pthread_mutex_lock(&ctx->feature_lock);
	p->next = lu_feature_data_get(&ctx->features, &cache_key);
	if (lu_feature_data_set(&ctx->features, &cache_key, p, cache_free) < 0) {
		p->next = NULL;
		cache_free(p);
	}
	pthread_mutex_unlock(&ctx->feature_lock);
}

static const char *plan_label(const struct lu_memory_plan *plan, char *buf, size_t len)
{
	char s[32];

	snprintf(buf, len, "%s %s%s%s", lu_backing_name(plan->backing),
		 lu_util_fmt_size(s, sizeof(s), plan->page_size),
		 plan->tmpfs_path ? " on " : "", plan->tmpfs_path ? plan->tmpfs_path : "");
	return buf;
}

/* Ask the kernel, through a throwaway session: 1, 0 or a negative errno. */
static int ask_kernel(struct liveupdate_ctx *ctx, const struct lu_memory_plan *plan)
{
	static unsigned int counter;
	struct liveupdate_session *s = NULL;
	char name[LIVEUPDATE_SESSION_NAME_MAX + 1];
	const char *failed;
	int fd, ret;

	fd = lu_memory_create_file(plan, "liveupdate-probe", plan->page_size, &failed);
	if (fd < 0)
		return 0; /* cannot even exist here: cannot be preserved */
	snprintf(name, sizeof(name), "liveupdate-memory-probe-%d-%u", (int)getpid(),
		 __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED));
	ret = liveupdate_session_create(ctx, name, &s);
	if (ret == 0) {
		ret = liveupdate_session_preserve_fd(s, fd, 0);
		/* ENOENT: no handler for this file; EOPNOTSUPP: not as it is */
		ret = ret == 0 ? 1 : ret == -ENOENT || ret == -EOPNOTSUPP ? 0 : ret;
		liveupdate_session_unref(s); /* closing aborts: nothing stays preserved */
	}
	close(fd);
	return ret;
}

int lu_memory_probe_plan(struct liveupdate_ctx *ctx, const struct lu_memory_plan *plan)
{
	char label[160];
	int answer;

	answer = cached(ctx, plan);
	if (answer >= 0)
		return answer;
	answer = ask_kernel(ctx, plan);
	plan_label(plan, label, sizeof(label));
	if (answer < 0) {
		lu_info(ctx, "memory probe %s: could not ask the kernel (%s)", label,
			lu_errno_name(answer));
		return answer;
	}
	lu_info(ctx, "memory probe %s: the kernel %s preserve it", label,
		answer ? "can" : "cannot");
	lu_memory_probe_cache_set(ctx, plan, answer);
	return answer;
}

LU_EXPORT int liveupdate_memory_probe(struct liveupdate_ctx *ctx,
				      enum liveupdate_memory_backing backing,
				      uint64_t page_size)
{
	struct lu_memory_plan plan = { backing, page_size, NULL };
	uint64_t thp;

	if (!ctx)
		return lu_bad_arg(NULL, "liveupdate_memory_probe: ctx is NULL");
	switch (backing) {
	case LIVEUPDATE_MEMORY_SHMEM:
		if (page_size && page_size != LU_SMALL_PAGE)
			break;
		plan.page_size = LU_SMALL_PAGE;
		return lu_memory_probe_plan(ctx, &plan);
	case LIVEUPDATE_MEMORY_THP:
		if (liveupdate_memory_host_thp_size(NULL, &thp))
			return 0; /* no THP in this kernel */
		if (page_size && page_size != thp)
			break;
		plan.page_size = thp;
		return lu_memory_probe_plan(ctx, &plan);
	case LIVEUPDATE_MEMORY_HUGETLB:
		plan.page_size = page_size ? page_size : lu_host_default_hugetlb_size(NULL);
		if (!plan.page_size)
			return 0; /* no HugeTLB in this kernel */
		if (plan.page_size & (plan.page_size - 1))
			break;
		return lu_memory_probe_plan(ctx, &plan);
	default:
		return lu_bad_arg(ctx, "liveupdate_memory_probe: backing %d: probe SHMEM, "
				  "THP or HUGETLB (AUTO is a choice, not a backing)",
				  (int)backing);
	}
	return lu_bad_arg(ctx, "liveupdate_memory_probe(%s): page_size %" PRIu64 " is not "
			  "a page size of that backing; pass 0", lu_backing_name(backing),
			  page_size);
}
