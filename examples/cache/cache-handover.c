/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cache-handover: see cache-handover.h. */
#include <errno.h>
#include <stdio.h>

#include "cache-handover.h"

int cache_session_name(const char *name, char *buf)
{
	int n = snprintf(buf, LIVEUPDATE_SESSION_NAME_MAX + 1, "cache-%s", name);

	return n > 0 && n <= LIVEUPDATE_SESSION_NAME_MAX ? 0 : -EINVAL;
}

static int start_empty(struct liveupdate_ctx *ctx, uint64_t size,
		       struct preserved_memory *m, struct cache_store *c)
{
	int ret = preserved_memory_create(ctx, CACHE_LABEL_DATA, size, m);

	if (ret < 0)
		return ret;
	ret = cache_store_format(c, m->addr, m->size);
	if (ret < 0)
		preserved_memory_close(m);
	return ret;
}

int cache_handover_start(struct liveupdate_ctx *ctx, const char *session_name,
			 uint64_t size, struct preserved_memory *m, struct cache_store *c)
{
	struct liveupdate_session *s = NULL;
	int ret = session_name ? liveupdate_session_retrieve(ctx, session_name, &s) : -ENOENT;

	if (ret == -ENOENT)
		return start_empty(ctx, size, m, c);
	if (ret < 0)
		return ret;
	ret = preserved_memory_retrieve(s, CACHE_LABEL_DATA, m);
	if (ret == 0) {
		ret = cache_store_open(c, m->addr, m->size);
		if (ret < 0)
			preserved_memory_close(m);
	}
	if (ret == 0)
		ret = liveupdate_session_finish(s);
	liveupdate_session_unref(s);
	return ret < 0 ? ret : 1;
}

int cache_handover_preserve(struct liveupdate_ctx *ctx, const char *session_name,
			    struct preserved_memory *m, struct liveupdate_session **sp)
{
	struct liveupdate_session *s = NULL;
	int ret = liveupdate_session_create(ctx, session_name, &s);

	if (ret == 0)
		ret = preserved_memory_preserve(m, s, CACHE_LABEL_DATA);
	if (ret < 0) {
		liveupdate_session_unref(s);	/* aborts it */
		return ret;
	}
	*sp = s;
	return 0;
}
