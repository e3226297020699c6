/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cache-store: see cache-store.h. */
#include <errno.h>
#include <string.h>

#include "cache-store.h"

#define CACHE_MAGIC "LUCACHE"	/* 8 bytes with the NUL */
#define CACHE_VERSION 1

enum { SLOT_EMPTY = 0, SLOT_USED = 1, SLOT_DELETED = 2 };

struct cache_header {
	char magic[8];
	uint32_t version;
	uint32_t slot_size;
	uint64_t nslots;
	uint64_t count;
	uint8_t pad[256 - 32];	/* slots start 256-byte aligned */
};

struct cache_slot {
	uint8_t state, klen, vlen, pad;
	char key[CACHE_KEY_MAX + 1];
	char value[CACHE_VALUE_MAX + 1];
};

_Static_assert(sizeof(struct cache_header) == 256, "header size");
_Static_assert(sizeof(struct cache_slot) == 256, "slot size");

static uint64_t fnv1a(const void *p, size_t n, uint64_t h)
{
	const uint8_t *b = p;

	while (n--)
		h = (h ^ *b++) * 0x100000001b3ull;
	return h;
}

int cache_store_format(struct cache_store *c, void *region, uint64_t size)
{
	struct cache_header *h = region;

	if (size < sizeof(*h) + sizeof(struct cache_slot))
		return -EINVAL;
	memset(region, 0, size);
	memcpy(h->magic, CACHE_MAGIC, sizeof(h->magic));
	h->version = CACHE_VERSION;
	h->slot_size = sizeof(struct cache_slot);
	h->nslots = (size - sizeof(*h)) / sizeof(struct cache_slot);
	return cache_store_open(c, region, size);
}

int cache_store_open(struct cache_store *c, void *region, uint64_t size)
{
	struct cache_header *h = region;

	if (size < sizeof(*h) || memcmp(h->magic, CACHE_MAGIC, sizeof(h->magic)) ||
	    h->version != CACHE_VERSION || h->slot_size != sizeof(struct cache_slot) ||
	    h->nslots == 0 || h->nslots > (size - sizeof(*h)) / sizeof(struct cache_slot) ||
	    h->count > h->nslots)
		return -EPROTO;
	c->hdr = h;
	c->slots = (struct cache_slot *)(h + 1);
	return 0;
}

static int slot_has(const struct cache_slot *s, const char *key, size_t klen)
{
	return s->state == SLOT_USED && s->klen == klen && !memcmp(s->key, key, klen);
}

/* The slot holding @key, or -1; *freep gets the first reusable slot seen
 * on the way (or -1). Probes each slot at most once. */
static int64_t find(const struct cache_store *c, const char *key, size_t klen,
		    int64_t *freep)
{
	uint64_t n = c->hdr->nslots, i = fnv1a(key, klen, 0xcbf29ce484222325ull) % n;

	*freep = -1;
	for (uint64_t probes = 0; probes < n; probes++, i = (i + 1) % n) {
		const struct cache_slot *s = &c->slots[i];

		if (s->state == SLOT_EMPTY) {
			if (*freep < 0)
				*freep = (int64_t)i;
			return -1;
		}
		if (s->state != SLOT_USED) {
			if (*freep < 0)
				*freep = (int64_t)i;
			continue;
		}
		if (slot_has(s, key, klen))
			return (int64_t)i;
	}
	return -1;
}

int cache_store_set(struct cache_store *c, const char *key, size_t klen,
		    const char *value, size_t vlen)
{
	struct cache_slot *s;
	int64_t at, free_at;

	if (klen == 0)
		return -EINVAL;
	if (klen > CACHE_KEY_MAX || vlen > CACHE_VALUE_MAX)
		return -E2BIG;
	at = find(c, key, klen, &free_at);
	if (at < 0) {
		if (free_at < 0)
			return -ENOSPC;
		at = free_at;
		c->hdr->count++;
	}
	s = &c->slots[at];
	/* The key before the state: a slot is USED only once complete. */
	s->klen = (uint8_t)klen;
	memcpy(s->key, key, klen);
	s->vlen = (uint8_t)vlen;
	memcpy(s->value, value, vlen);
	s->state = SLOT_USED;
	return 0;
}

int cache_store_get(const struct cache_store *c, const char *key, size_t klen,
		    const char **value, size_t *vlen)
{
	int64_t free_at, at = -1;

	if (klen && klen <= CACHE_KEY_MAX)
		at = find(c, key, klen, &free_at);
	if (at < 0)
		return -ENOENT;
	*value = c->slots[at].value;
	*vlen = c->slots[at].vlen <= CACHE_VALUE_MAX ? c->slots[at].vlen : CACHE_VALUE_MAX;
	return 0;
}

int cache_store_del(struct cache_store *c, const char *key, size_t klen)
{
	int64_t free_at, at = -1;

	if (klen && klen <= CACHE_KEY_MAX)
		at = find(c, key, klen, &free_at);
	if (at < 0)
		return -ENOENT;
	c->slots[at].state = SLOT_DELETED;
	c->hdr->count--;
	return 0;
}

uint64_t cache_store_count(const struct cache_store *c)
{
	return c->hdr->count;
}

uint64_t cache_store_capacity(const struct cache_store *c)
{
	return c->hdr->nslots;
}

uint64_t cache_store_checksum(const struct cache_store *c)
{
	uint64_t sum = 0;

	/* A sum of per-entry hashes: the same entries give the same checksum
	 * wherever probing put them. */
	for (uint64_t i = 0; i < c->hdr->nslots; i++) {
		const struct cache_slot *s = &c->slots[i];
		uint64_t h;

		if (s->state != SLOT_USED || s->klen > CACHE_KEY_MAX || s->vlen > CACHE_VALUE_MAX)
			continue;
		h = fnv1a(s->key, s->klen, 0xcbf29ce484222325ull);
		h = fnv1a("=", 1, h);
		sum += fnv1a(s->value, s->vlen, h);
	}
	return sum;
}
