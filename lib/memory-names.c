/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Names of backings and THP policies: for people (messages, logs) and as
 * the sysfs files and mount options write them. */
#include <string.h>

#include "manifest-format.h"
#include "memory-private.h"

static const char *const policy_names[] = {
	[LIVEUPDATE_THP_NEVER] = "never",
	[LIVEUPDATE_THP_ALWAYS] = "always",
	[LIVEUPDATE_THP_WITHIN_SIZE] = "within_size",
	[LIVEUPDATE_THP_ADVISE] = "advise",
	[LIVEUPDATE_THP_DENY] = "deny",
	[LIVEUPDATE_THP_FORCE] = "force",
	[LIVEUPDATE_THP_INHERIT] = "inherit",
};

LU_EXPORT const char *liveupdate_thp_policy_name(enum liveupdate_thp_policy policy)
{
	if ((unsigned)policy < sizeof(policy_names) / sizeof(policy_names[0]))
		return policy_names[policy];
	return NULL;
}

const char *lu_thp_policy_name(enum liveupdate_thp_policy policy)
{
	const char *name = liveupdate_thp_policy_name(policy);

	return name ? name : "unknown";
}

LU_EXPORT const char *liveupdate_memory_backing_name(enum liveupdate_memory_backing backing)
{
	/* the names manifest printouts use too */
	return lu_mf_backing_name((uint32_t)backing);
}

const char *lu_backing_name(enum liveupdate_memory_backing backing)
{
	switch (backing) {
	case LIVEUPDATE_MEMORY_AUTO: return "AUTO";
	case LIVEUPDATE_MEMORY_SHMEM: return "SHMEM";
	case LIVEUPDATE_MEMORY_THP: return "THP";
	case LIVEUPDATE_MEMORY_HUGETLB: return "HUGETLB";
	default: return "unknown";
	}
}

bool lu_thp_policy_parse(const char *word, size_t len,
			 enum liveupdate_thp_policy *policyp)
{
	for (size_t i = 0; i < sizeof(policy_names) / sizeof(policy_names[0]); i++) {
		if (strlen(policy_names[i]) == len && !strncmp(word, policy_names[i], len)) {
			*policyp = (enum liveupdate_thp_policy)i;
			return true;
		}
	}
	return false;
}
