/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The liveupdate-sim(1) backend. Placeholder until the simulator lands. */
#include <errno.h>

#include "liveupdate-private.h"

int lu_sim_backend_new(struct liveupdate_ctx *ctx, const char *socket,
		       void **datap)
{
	(void)socket; (void)datap;
	return lu_fail(ctx, LU_OP_ARGUMENT, -EOPNOTSUPP,
		       "the simulator backend is not part of this build yet");
}

const struct lu_backend_ops lu_sim_backend = { .name = "sim" };
