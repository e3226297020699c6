/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cache-handover: where the cache's table comes from at start (its session,
 * or a new memfd) and how it is preserved for the next kernel or process.
 *
 * INTEGRATION POINTS: the memory goes through ../common/preserved-memory.c
 * (issue 8); the session name "cache-NAME" and CACHE_TOKEN_DATA are what a
 * manifest label (issue 10) replaces: "cache-data".
 */
#ifndef EXAMPLES_CACHE_HANDOVER_H
#define EXAMPLES_CACHE_HANDOVER_H

#include "../common/preserved-memory.h"
#include "cache-store.h"

#define CACHE_TOKEN_DATA 1	/* label "cache-data" once manifests exist */

/* "cache-NAME" into @buf (LIVEUPDATE_SESSION_NAME_MAX + 1 bytes); 0 or -EINVAL. */
int cache_session_name(const char *name, char *buf);

/* The table of session @session_name if the previous kernel or process
 * left one (returns 1), else a new empty one of @size bytes (returns 0;
 * always so with a NULL @ctx: no live update here);
 * or -errno. A table that comes back is checked (-EPROTO if it is not one)
 * and its session finished. */
int cache_handover_start(struct liveupdate_ctx *ctx, const char *session_name,
			 uint64_t size, struct preserved_memory *m, struct cache_store *c);

/* Preserve the table in a new outgoing session *sp, which must stay open
 * until the reboot. 0 or the library's -errno (nothing left behind). */
int cache_handover_preserve(struct liveupdate_ctx *ctx, const char *session_name,
			    struct preserved_memory *m, struct liveupdate_session **sp);

#endif
