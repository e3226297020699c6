/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cache-store: a key-value hash table that lives entirely inside one
 * memory region (no pointers), so that the region can be preserved across
 * a live update and used again as it is. Fixed 256-byte slots, open
 * addressing with linear probing, tombstones for deletions.
 */
#ifndef EXAMPLES_CACHE_STORE_H
#define EXAMPLES_CACHE_STORE_H

#include <stddef.h>
#include <stdint.h>

#define CACHE_KEY_MAX 63
#define CACHE_VALUE_MAX 187

struct cache_store {
	struct cache_header *hdr;
	struct cache_slot *slots;
};

/* Make @region (@size bytes, zeroed or not) an empty table. 0, or -EINVAL
 * when it is too small for one slot. */
int cache_store_format(struct cache_store *c, void *region, uint64_t size);
/* Use a table formatted earlier (by the previous process or kernel): its
 * header must be right and fit in @size. 0 or -EPROTO. */
int cache_store_open(struct cache_store *c, void *region, uint64_t size);

/* 0, -EINVAL (empty key), -E2BIG (key or value too long), -ENOSPC (full). */
int cache_store_set(struct cache_store *c, const char *key, size_t klen,
		    const char *value, size_t vlen);
/* 0 with *value (not NUL-terminated) and *vlen, or -ENOENT. */
int cache_store_get(const struct cache_store *c, const char *key, size_t klen,
		    const char **value, size_t *vlen);
/* 0 or -ENOENT. */
int cache_store_del(struct cache_store *c, const char *key, size_t klen);
uint64_t cache_store_count(const struct cache_store *c);
uint64_t cache_store_capacity(const struct cache_store *c);
/* A hash of every key and value, independent of where they sit. */
uint64_t cache_store_checksum(const struct cache_store *c);

#endif
