/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * preserved-memory: shared memory that survives a live update, the one
 * piece of memory handling the examples share (the VMM's guest RAM and
 * state, the cache's table, the agent's registry, agentctl's text).
 *
 * It is the library's memory helper (struct liveupdate_memory, backing
 * LIVEUPDATE_MEMORY_AUTO: the largest pages this kernel can preserve) and
 * the session's manifest: each object is preserved under a label, with its
 * backing and page size, and found again by that label after the update.
 */
#ifndef EXAMPLES_PRESERVED_MEMORY_H
#define EXAMPLES_PRESERVED_MEMORY_H

#include <stddef.h>
#include <stdint.h>

#include <liveupdate/liveupdate.h>

struct preserved_memory {
	struct liveupdate_memory *mem;	/* owns fd and the mapping */
	int fd;
	void *addr;	/* MAP_SHARED, read/write, @size bytes */
	uint64_t size;
};

/* New memory of @size bytes named @name (the memfd's name), backing chosen
 * by AUTO, mapped and populated. The first call of a process that has not
 * retrieved memory prints which backing AUTO chose and why.
 * 0 or the library's -errno. */
int preserved_memory_create(struct liveupdate_ctx *ctx, const char *name,
			    uint64_t size, struct preserved_memory *m);
/* The same with the backing asked for instead of AUTO. */
int preserved_memory_create_backing(struct liveupdate_ctx *ctx, const char *name,
				    uint64_t size, enum liveupdate_memory_backing backing,
				    struct preserved_memory *m);
/* Put it in an outgoing session under @label, recorded in the session's
 * manifest as a memory object with its backing and page size; writes
 * after this still reach the next kernel. 0 or the library's -errno. */
int preserved_memory_preserve(struct preserved_memory *m,
			      struct liveupdate_session *s, const char *label);
/* Get the memory labelled @label back from an incoming session and map
 * it. 0 or the library's -errno (-ENOENT: no such label). */
int preserved_memory_retrieve(struct liveupdate_session *s, const char *label,
			      struct preserved_memory *m);
/* Unmap and close (the session, if any, keeps the memory). */
void preserved_memory_close(struct preserved_memory *m);

/* @bytes as "64 MiB", "4 KiB", "100 bytes" (exact: no rounding) into @buf. */
const char *preserved_memory_size(char *buf, size_t len, uint64_t bytes);

#endif
