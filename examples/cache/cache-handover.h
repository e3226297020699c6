/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cache-handover: where the cache's table comes from at start (its session,
 * or a new memfd) and how it is preserved for the next kernel or process.
 * The table is a memory object of the library (../common/preserved-memory.c)
 * in session "cache-NAME", under the manifest label "cache-data".
 */
#ifndef EXAMPLES_CACHE_HANDOVER_H
#define EXAMPLES_CACHE_HANDOVER_H

#include "../common/preserved-memory.h"
#include "cache-store.h"

#define CACHE_LABEL_DATA "cache-data"

/* "cache-NAME" into @buf (LIVEUPDATE_SESSION_NAME_MAX + 1 bytes); 0 or -EINVAL. */
int cache_session_name(const char *name, char *buf);

/* The table of session @session_name if the previous kernel or process
 * left one (returns 1), else a new empty one of @size bytes (returns 0;
 * always so with a NULL @session_name: no live update here);
 * or -errno. A table that comes back is checked (-EPROTO if it is not one)
 * and its session finished. */
int cache_handover_start(struct liveupdate_ctx *ctx, const char *session_name,
			 uint64_t size, struct preserved_memory *m, struct cache_store *c);

/* Preserve the table in a new outgoing session *sp, which must stay open
 * until the reboot. 0 or the library's -errno (nothing left behind). */
int cache_handover_preserve(struct liveupdate_ctx *ctx, const char *session_name,
			    struct preserved_memory *m, struct liveupdate_session **sp);

#endif
