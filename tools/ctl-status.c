/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* liveupdate-ctl status: the state for a person. */
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
	/* filled once the memory queries (THP policy, hugetlb pools,
	 * preservable backings) are part of the state */
	printf("  %-17s not reported by this version\n", "memory:");
	return code;
}
