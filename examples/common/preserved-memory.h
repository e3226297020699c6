/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * preserved-memory: a shared memfd mapping that survives a live update, the
 * one piece of memory handling the examples share (the VMM's guest RAM and
 * state, the cache's table, the agent's registry).
 *
 * INTEGRATION POINT (issue 8): these four functions are what the library's
 * memory helper does (liveupdate_memory_new with LIVEUPDATE_MEMORY_AUTO,
 * liveupdate_memory_get_fd/map/preserve/retrieve). Once it is merged, their
 * bodies become calls to it and struct preserved_memory wraps a
 * struct liveupdate_memory; the callers do not change.
 */
#ifndef EXAMPLES_PRESERVED_MEMORY_H
#define EXAMPLES_PRESERVED_MEMORY_H

#include <stdint.h>

#include <liveupdate/liveupdate.h>

struct preserved_memory {
	int fd;
	void *addr;	/* MAP_SHARED, read/write, @size bytes */
	uint64_t size;
};

/* A new memfd of @size bytes, mapped and populated. 0 or -errno. */
int preserved_memory_create(const char *name, uint64_t size, struct preserved_memory *m);
/* Put it in an outgoing session under @token; writes after this still
 * reach the next kernel. 0 or the library's -errno. */
int preserved_memory_preserve(struct preserved_memory *m,
			      struct liveupdate_session *s, uint64_t token);
/* Get it back from an incoming session and map it. 0 or -errno. */
int preserved_memory_retrieve(struct liveupdate_session *s, uint64_t token,
			      struct preserved_memory *m);
/* Unmap and close (the session, if any, keeps the file). */
void preserved_memory_close(struct preserved_memory *m);

#endif
