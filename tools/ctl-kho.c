/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* liveupdate-ctl kho: the Kexec HandOver trees, received and outgoing. */
#include <inttypes.h>
#include <stdio.h>

#include "ctl.h"

/* 1 when the tree could be read, 0 otherwise. */
static int tree(const struct liveupdate_state *st, enum liveupdate_kho_side side,
		enum liveupdate_fact fact, const char *title)
{
	const char *compat = liveupdate_state_kho_compatible(st, side);
	int n = liveupdate_state_kho_count(st, side);

	printf("%s:\n", title);
	if (compat)
		printf("  root:   %s  (%s)\n", compat, liveupdate_state_get_source(st, fact));
	else
		printf("  root:   unknown: %s\n", liveupdate_state_get_missing(st, fact));
	for (int i = 0; i < n; i++) {
		unsigned idx = (unsigned)i;
		int64_t size = liveupdate_state_kho_size(st, side, idx);
		const char *format = liveupdate_state_kho_format(st, side, idx);
		const char *note = liveupdate_state_kho_note(st, side, idx);

		printf("  %-16s ", liveupdate_state_kho_name(st, side, idx));
		if (size >= 0)
			printf("%8" PRId64 " bytes  ", size);
		else
			printf("%8s bytes  ", "?");
		printf("%s\n", format ? format : "format not known");
		if (note)
			printf("  %-16s   %s\n", "", note);
	}
	return compat || n > 0;
}

int ctl_kho(const struct ctl *c)
{
	const struct liveupdate_state *st = c->state;
	int ok;

	if (liveupdate_state_get_boot(st) == LIVEUPDATE_BOOT_UNKNOWN) {
		printf("Kexec HandOver: unknown: %s\n",
		       liveupdate_state_get_missing(st, LIVEUPDATE_FACT_KHO_OUT));
		return CTL_NOT_POSSIBLE;
	}
	if (liveupdate_state_get_boot(st) == LIVEUPDATE_BOOT_COLD)
		printf("handed over by the previous kernel: nothing (a cold boot)\n");
	else
		tree(st, LIVEUPDATE_KHO_IN, LIVEUPDATE_FACT_KHO_IN,
		     "handed over by the previous kernel (in)");
	ok = tree(st, LIVEUPDATE_KHO_OUT, LIVEUPDATE_FACT_KHO_OUT,
		  "to be handed over by this kernel (out)");
	return ok ? CTL_POSSIBLE : CTL_NOT_POSSIBLE;
}
