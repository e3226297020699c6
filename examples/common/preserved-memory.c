/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* preserved-memory: see preserved-memory.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "preserved-memory.h"

/* Whether this process has already said which backing AUTO chose, or got
 * memory back (with the backing it had): said once is enough. */
static int told;

const char *preserved_memory_size(char *buf, size_t len, uint64_t bytes)
{
	static const char *const units[] = { "bytes", "KiB", "MiB", "GiB", "TiB" };
	unsigned u = 0;

	while (u < 4 && bytes >= 1024 && bytes % 1024 == 0) {
		bytes /= 1024;
		u++;
	}
	snprintf(buf, len, "%" PRIu64 " %s", bytes, units[u]);
	return buf;
}

/* Fill in fd, addr and size from m->mem, mapping it. */
static int adopt(struct preserved_memory *m)
{
	int ret;

	m->fd = liveupdate_memory_get_fd(m->mem);
	m->size = liveupdate_memory_get_size(m->mem);
	ret = m->size ? liveupdate_memory_map(m->mem, &m->addr) : -ENODATA;
	if (ret < 0)
		preserved_memory_close(m);
	return ret;
}

int preserved_memory_create(struct liveupdate_ctx *ctx, const char *name,
			    uint64_t size, struct preserved_memory *m)
{
	return preserved_memory_create_backing(ctx, name, size, LIVEUPDATE_MEMORY_AUTO, m);
}

int preserved_memory_create_backing(struct liveupdate_ctx *ctx, const char *name,
				    uint64_t size, enum liveupdate_memory_backing backing,
				    struct preserved_memory *m)
{
	/* populate: every page now, not at the guest's first touch (the
	 * kernel pins them all when preserving anyway, and THP under the
	 * policy 'advise' needs it to get huge pages). */
	LIVEUPDATE_OPTS(liveupdate_memory_opts, opts, .size = size,
			.backing = backing, .name = name, .populate = 1);
	int ret;

	*m = (struct preserved_memory){ .fd = -1 };
	ret = liveupdate_memory_new(ctx, &opts, &m->mem);
	if (ret < 0)
		return ret;
	if (!told) {	/* the first object is the big one */
		char a[32], b[32];

		printf("%s: memory \"%s\": %s of %s (%s pages), %s: %s\n",
		       program_invocation_short_name, name,
		       preserved_memory_size(a, sizeof(a), size),
		       liveupdate_memory_backing_name(liveupdate_memory_get_backing(m->mem)),
		       preserved_memory_size(b, sizeof(b), liveupdate_memory_get_page_size(m->mem)),
		       backing == LIVEUPDATE_MEMORY_AUTO ? "chosen by the library (AUTO)"
							 : "as asked",
		       liveupdate_memory_get_reason(m->mem));
		told = 1;
	}
	return adopt(m);
}

/* The manifest records the object's kind, backing and page size itself. */
int preserved_memory_preserve(struct preserved_memory *m,
			      struct liveupdate_session *s, const char *label)
{
	LIVEUPDATE_OPTS(liveupdate_preserve_opts, opts, .label = label);

	return liveupdate_memory_preserve_opts(m->mem, s, &opts, NULL);
}

int preserved_memory_retrieve(struct liveupdate_session *s, const char *label,
			      struct preserved_memory *m)
{
	int ret;

	*m = (struct preserved_memory){ .fd = -1 };
	ret = liveupdate_memory_retrieve_label(s, label, &m->mem);
	told = 1;
	return ret < 0 ? ret : adopt(m);
}

void preserved_memory_close(struct preserved_memory *m)
{
	liveupdate_memory_unref(m->mem);	/* unmaps and closes */
	*m = (struct preserved_memory){ .fd = -1 };
}
