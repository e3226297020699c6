/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* liveupdate-ctl status: the state for a person. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "ctl.h"

int ctl_status_code(const struct liveupdate_state *st)
{
	enum liveupdate_avail a = liveupdate_state_get_avail(st);

	return a == LIVEUPDATE_AVAIL_YES || a == LIVEUPDATE_AVAIL_SIMULATED
		? CTL_POSSIBLE : CTL_NOT_POSSIBLE;
}

void ctl_fact(const struct liveupdate_state *st, const char *label,
	      enum liveupdate_fact fact, const char *value)
{
	const char *source = liveupdate_state_get_source(st, fact);

	if (value && source)
		printf("  %-17s %s  (%s)\n", label, value, source);
	else if (value)
		printf("  %-17s %s\n", label, value);
	else
		printf("  %-17s unknown: %s\n", label,
		       liveupdate_state_get_missing(st, fact));
}

static void count_fact(const struct liveupdate_state *st, const char *label,
		       enum liveupdate_fact fact, int64_t n)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRId64, n);
	ctl_fact(st, label, fact, n >= 0 ? buf : NULL);
}

static void this_boot(const struct liveupdate_state *st)
{
	int64_t updates = liveupdate_state_get_liveupdate_count(st);
	const char *prev = liveupdate_state_get_previous_release(st);

	switch (liveupdate_state_get_boot(st)) {
	case LIVEUPDATE_BOOT_COLD:
		printf("this boot:     cold boot (nothing was handed over)\n");
		break;
	case LIVEUPDATE_BOOT_LIVE_UPDATE:
		printf("this boot:     after live update #");
		if (updates >= 0)
			printf("%" PRId64, updates);
		else
			printf("?");
		printf(" from %s\n", prev ? prev : "an unknown kernel");
		break;
	default:
		printf("this boot:     unknown: %s\n",
		       liveupdate_state_get_missing(st, LIVEUPDATE_FACT_BOOT));
		return;
	}
	ctl_fact(st, "previous kernel:", LIVEUPDATE_FACT_PREVIOUS_RELEASE, prev);
	count_fact(st, "kexec count:", LIVEUPDATE_FACT_KEXEC_COUNT,
		   liveupdate_state_get_kexec_count(st));
	count_fact(st, "live updates:", LIVEUPDATE_FACT_LIVEUPDATE_COUNT, updates);
	ctl_fact(st, "LUO ABI:", LIVEUPDATE_FACT_LUO_ABI,
		 liveupdate_state_get_luo_abi(st));
}

static void handed_over(const struct liveupdate_state *st)
{
	const char *compat = liveupdate_state_kho_compatible(st, LIVEUPDATE_KHO_IN);
	int n = liveupdate_state_kho_count(st, LIVEUPDATE_KHO_IN);

	if (liveupdate_state_get_boot(st) != LIVEUPDATE_BOOT_LIVE_UPDATE)
		return;
	if (compat)
		printf("handed over:   %s tree with %d subtree(s) (%s; details: "
		       "liveupdate-ctl kho)\n", compat, n,
		       liveupdate_state_get_source(st, LIVEUPDATE_FACT_KHO_IN));
	else
		printf("handed over:   unknown: %s\n",
		       liveupdate_state_get_missing(st, LIVEUPDATE_FACT_KHO_IN));
}

/* "2 MiB", "1 GiB", "4 KiB": page sizes as people read them. */
static const char *page_size(char *buf, size_t size, uint64_t bytes)
{
	static const char *const units[] = { "bytes", "KiB", "MiB", "GiB" };
	unsigned int u = 0;

	while (u + 1 < 4 && bytes >= 1024 && bytes % 1024 == 0) {
		bytes /= 1024;
		u++;
	}
	snprintf(buf, size, "%" PRIu64 " %s", bytes, units[u]);
	return buf;
}

static void policy_fact(const struct liveupdate_state *st, const char *label,
			enum liveupdate_fact fact, int policy)
{
	ctl_fact(st, label, fact, policy >= 0
		 ? liveupdate_thp_policy_name((enum liveupdate_thp_policy)policy) : NULL);
}

static void hugetlb_pools(const struct liveupdate_state *st)
{
	struct liveupdate_hugetlb_pool pool = { .sz = sizeof(pool) };
	char size[32];
	unsigned int i;

	for (i = 0; liveupdate_state_get_hugetlb_pool(st, i, &pool) == 0; i++)
		printf("  %-17s %s: %" PRIu64 " pages, %" PRIu64 " free  (%s)\n",
		       i ? "" : "hugetlb pools:", page_size(size, sizeof(size), pool.page_size),
		       pool.total, pool.free,
		       liveupdate_state_get_source(st, LIVEUPDATE_FACT_HUGETLB));
	if (!i)
		ctl_fact(st, "hugetlb pools:", LIVEUPDATE_FACT_HUGETLB, NULL);
}

static void backings(const struct liveupdate_state *st)
{
	enum liveupdate_memory_backing backing;
	const char *why, *source = liveupdate_state_get_source(st, LIVEUPDATE_FACT_BACKINGS);
	uint64_t bytes;
	char size[32];
	int ret;

	printf("  %-17s %s\n", "preservable:", source ? source
	       : liveupdate_state_get_missing(st, LIVEUPDATE_FACT_BACKINGS));
	for (unsigned int i = 0;
	     (ret = liveupdate_state_get_backing(st, i, &backing, &bytes, &why)) != -ENOENT; i++)
		printf("    %-7s %-8s %s%s%s\n", liveupdate_memory_backing_name(backing),
		       page_size(size, sizeof(size), bytes),
		       ret == 1 ? "yes" : ret == 0 ? "no" : "unknown",
		       ret == 0 && why ? ": " : "", ret == 0 && why ? why : "");
}

static void memory(const struct liveupdate_state *st)
{
	policy_fact(st, "shmem THP:", LIVEUPDATE_FACT_SHMEM_THP,
		    liveupdate_state_get_shmem_thp(st));
	policy_fact(st, "huge tmpfs:", LIVEUPDATE_FACT_HUGE_TMPFS,
		    liveupdate_state_get_huge_tmpfs(st));
	hugetlb_pools(st);
	backings(st);
}

int ctl_status_text(const struct ctl *c)
{
	const struct liveupdate_state *st = c->state;
	enum liveupdate_avail a = liveupdate_state_get_avail(st);
	int code = ctl_status_code(st);

	printf("libliveupdate %s\n", liveupdate_version());
	printf("live update:   %s (%s)\n", code == CTL_POSSIBLE
	       ? (a == LIVEUPDATE_AVAIL_SIMULATED ? "SIMULATED" : "AVAILABLE")
	       : "NOT AVAILABLE", liveupdate_avail_name(a));
	printf("  %s\n", liveupdate_state_get_avail_text(st));
	this_boot(st);
	handed_over(st);
	printf("host:\n");
	ctl_fact(st, "kernel:", LIVEUPDATE_FACT_KERNEL_RELEASE,
		 liveupdate_state_get_kernel_release(st));
	memory(st);
	return code;
}
