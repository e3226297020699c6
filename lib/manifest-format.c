/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The session manifest's bytes, read: see manifest-format.h and doc/manifest.md. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest-format.h"

static int bad(char *why, size_t why_len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int bad(char *why, size_t why_len, const char *fmt, ...)
{
	va_list args;

	if (why_len) {
		va_start(args, fmt);
		vsnprintf(why, why_len, fmt, args);
		va_end(args);
	}
	return -EBADMSG;
}

/* ---- limits ---- */

static bool text_ok(const char *s, size_t len)
{
	return !memchr(s, '\0', len);
}

bool lu_mf_label_ok(const char *label, size_t len)
{
	return len <= LIVEUPDATE_LABEL_MAX && text_ok(label, len);
}

bool lu_mf_meta_ok(const char *key, size_t klen, size_t vlen)
{
	return klen >= 1 && klen <= LIVEUPDATE_META_KEY_MAX &&
	       vlen <= LIVEUPDATE_META_VALUE_MAX && text_ok(key, klen);
}

/* ---- the label index ---- */

static uint64_t label_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */

	while (*s)
		h = (h ^ (uint8_t)*s++) * 0x100000001b3ull;
	return h;
}

static uint64_t token_hash(uint64_t t)
{
	t ^= t >> 33; /* murmur3's finalizer: spreads sequential tokens */
	t *= 0xff51afd7ed558ccdull;
	t ^= t >> 33;
	return t;
}

static void index_put(struct lu_mf_entry **slots, size_t n, uint64_t hash,
		      struct lu_mf_entry *e)
{
	size_t i = hash & (n - 1);

	while (slots[i])
		i = (i + 1) & (n - 1);
	slots[i] = e;
}

const struct liveupdate_entry *lu_manifest_find(const struct lu_manifest *m,
						const char *label)
{
	size_t n = m->index_slots, i;

	if (!n || !*label)
		return NULL;
	for (i = label_hash(label) & (n - 1); m->index[i]; i = (i + 1) & (n - 1))
		if (!strcmp(m->index[i]->pub.label, label))
			return &m->index[i]->pub;
	return NULL;
}

const struct liveupdate_entry *lu_manifest_find_token(const struct lu_manifest *m,
						      uint64_t token)
{
	size_t n = m->index_slots, i;

	if (!n)
		return NULL;
	for (i = token_hash(token) & (n - 1); m->by_token[i]; i = (i + 1) & (n - 1))
		if (m->by_token[i]->pub.token == token)
			return &m->by_token[i]->pub;
	return NULL;
}

const char *lu_manifest_session_meta(const struct lu_manifest *m, const char *key)
{
	for (size_t i = 0; i < m->n_session_meta; i++)
		if (!strcmp(m->session_meta[i].key, key))
			return m->session_meta[i].value;
	return NULL;
}

/* Room for one more entry, in the list and in the index (load <= 1/2). */
static int reserve_entry(struct lu_manifest *m)
{
	if (m->count == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 16;
		struct lu_mf_entry **e = realloc(m->entries, cap * sizeof(*e));

		if (!e)
			return -ENOMEM;
		m->entries = e;
		m->cap = cap;
	}
	if (2 * (m->count + 1) > m->index_slots) {
		size_t n = m->index_slots ? 2 * m->index_slots : 32;
		struct lu_mf_entry **slots = calloc(n, sizeof(*slots));
		struct lu_mf_entry **by_token = calloc(n, sizeof(*by_token));

		if (!slots || !by_token) {
			free(slots);
			free(by_token);
			return -ENOMEM;
		}
		for (size_t i = 0; i < m->count; i++) {
			struct lu_mf_entry *e = m->entries[i];

			if (e->pub.label[0])
				index_put(slots, n, label_hash(e->pub.label), e);
			index_put(by_token, n, token_hash(e->pub.token), e);
		}
		free(m->index);
		free(m->by_token);
		m->index = slots;
		m->by_token = by_token;
		m->index_slots = n;
	}
	return 0;
}

static int reserve_session_meta(struct lu_manifest *m)
{
	struct liveupdate_meta *p = realloc(m->session_meta,
					    (m->n_session_meta + 1) * sizeof(*p));

	if (!p)
		return -ENOMEM;
	m->session_meta = p;
	return 0;
}

/* ---- records ---- */

static char *copy_text(char **dst, const uint8_t *src, size_t len)
{
	char *s = *dst;

	memcpy(s, src, len);
	s[len] = '\0';
	*dst += len + 1;
	return s;
}

static int parse_file(struct lu_manifest *m, const uint8_t *r, size_t len,
		      struct lu_mf_item *item, char *why, size_t why_len)
{
	size_t fixed, label_len, n_meta, off, text = 0;
	struct liveupdate_meta *meta;
	struct lu_mf_entry *e;
	char *s;

	if (len < LU_MF_FILE_FIXED)
		return bad(why, why_len, "file record of %zu bytes, shorter than "
			   "its %u-byte fixed part", len, LU_MF_FILE_FIXED);
	fixed = lu_util_get_le16(r + 44);
	label_len = lu_util_get_le16(r + 40);
	n_meta = lu_util_get_le16(r + 42);
	if (fixed < LU_MF_FILE_FIXED || fixed % 8 || fixed > len)
		return bad(why, why_len, "file record: label offset %zu outside "
			   "%u..%zu", fixed, LU_MF_FILE_FIXED, len);
	if (label_len > len - fixed || !lu_mf_label_ok((const char *)r + fixed, label_len))
		return bad(why, why_len, "file record: label of %zu bytes overruns "
			   "the record, is over %d bytes or holds a NUL", label_len,
			   LIVEUPDATE_LABEL_MAX);
	if (n_meta > LIVEUPDATE_META_MAX)
		return bad(why, why_len, "file record: %zu metadata pairs, over %d",
			   n_meta, LIVEUPDATE_META_MAX);
	off = fixed + label_len;
	for (size_t i = 0; i < n_meta; i++) {
		size_t kl, vl;

		if (len - off < 4)
			return bad(why, why_len, "file record: metadata pair %zu overruns "
				   "the record", i);
		kl = lu_util_get_le16(r + off);
		vl = lu_util_get_le16(r + off + 2);
		if (kl + vl > len - off - 4 ||
		    !lu_mf_meta_ok((const char *)r + off + 4, kl, vl) ||
		    memchr(r + off + 4 + kl, '\0', vl))
			return bad(why, why_len, "file record: metadata pair %zu: key of "
				   "%zu bytes, value of %zu: overruns the record, out of "
				   "limits or holds a NUL", i, kl, vl);
		for (size_t j = 0, o = fixed + label_len; j < i; j++) {
			size_t jk = lu_util_get_le16(r + o), jv = lu_util_get_le16(r + o + 2);

			if (jk == kl && !memcmp(r + o + 4, r + off + 4, kl))
				return bad(why, why_len, "file record: metadata key "
					   "\"%.*s\" appears twice", (int)kl, r + off + 4);
			o += 4 + jk + jv;
		}
		text += kl + vl + 2;
		off += 4 + kl + vl;
	}

	e = malloc(sizeof(*e) + n_meta * sizeof(*meta) + label_len + 1 + text);
	if (!e)
		return -ENOMEM;
	meta = (struct liveupdate_meta *)(e + 1);
	s = (char *)(meta + n_meta);
	memset(&e->pub, 0, sizeof(e->pub));
	e->pub.token = lu_util_get_le64(r + 8);
	e->pub.size = lu_util_get_le64(r + 16);
	e->pub.page_size = lu_util_get_le64(r + 24);
	e->pub.kind = (enum liveupdate_entry_kind)lu_util_get_le32(r + 32);
	e->pub.backing = lu_util_get_le32(r + 36);
	e->pub.label = copy_text(&s, r + fixed, label_len);
	e->pub.meta = n_meta ? meta : NULL;
	e->pub.n_meta = n_meta;
	off = fixed + label_len;
	for (size_t i = 0; i < n_meta; i++) {
		size_t kl = lu_util_get_le16(r + off), vl = lu_util_get_le16(r + off + 2);

		meta[i].key = copy_text(&s, r + off + 4, kl);
		meta[i].value = copy_text(&s, r + off + 4 + kl, vl);
		off += 4 + kl + vl;
	}

	if (reserve_entry(m)) {
		free(e);
		return -ENOMEM;
	}
	item->entry = e;
	return 0;
}

static int parse_session_meta(struct lu_manifest *m, const uint8_t *r, size_t len,
			      struct lu_mf_item *item, char *why, size_t why_len)
{
	size_t kl, vl;

	if (len < 12)
		return bad(why, why_len, "session metadata record of %zu bytes", len);
	kl = lu_util_get_le16(r + 8);
	vl = lu_util_get_le16(r + 10);
	if (kl + vl > len - 12 || !lu_mf_meta_ok((const char *)r + 12, kl, vl) ||
	    memchr(r + 12 + kl, '\0', vl))
		return bad(why, why_len, "session metadata record: key of %zu bytes, "
			   "value of %zu: overruns the record, out of limits or holds "
			   "a NUL", kl, vl);
	item->key = strndup((const char *)r + 12, kl);
	item->value = strndup((const char *)r + 12 + kl, vl);
	if (!item->key || !item->value || reserve_session_meta(m)) {
		lu_mf_item_free(item);
		return -ENOMEM;
	}
	return 0;
}

int lu_manifest_prepare(struct lu_manifest *m, const uint8_t *rec, size_t avail,
			size_t *lenp, struct lu_mf_item *item, char *why,
			size_t why_len)
{
	size_t len;
	unsigned type;

	memset(item, 0, sizeof(*item));
	if (avail < LU_MF_REC_HEADER)
		return bad(why, why_len, "a record header overruns the records");
	type = lu_util_get_le16(rec);
	len = lu_util_get_le32(rec + 4);
	if (len < LU_MF_REC_HEADER || len % 8 || len > avail)
		return bad(why, why_len, "record of type %u has length %zu (a multiple "
			   "of 8 from 8 to the %zu bytes left)", type, len, avail);
	*lenp = len;
	switch (type) {
	case LU_MF_REC_FILE:
		return parse_file(m, rec, len, item, why, why_len);
	case LU_MF_REC_SESSION_META:
		return parse_session_meta(m, rec, len, item, why, why_len);
	default:
		if (lu_util_get_le16(rec + 2) & LU_MF_REC_MUST_UNDERSTAND)
			return bad(why, why_len, "record type %u is unknown to this "
				   "library and marked must-understand: a newer "
				   "libliveupdate wrote this manifest", type);
		return 0; /* a later minor version's addition: skip it */
	}
}

void lu_mf_item_free(struct lu_mf_item *item)
{
	free(item->entry);
	free(item->key);
	free(item->value);
	memset(item, 0, sizeof(*item));
}

void lu_manifest_link(struct lu_manifest *m, struct lu_mf_item *item)
{
	if (item->entry) {
		struct lu_mf_entry *e = item->entry;

		m->entries[m->count++] = e;
		if (e->pub.label[0])
			index_put(m->index, m->index_slots, label_hash(e->pub.label), e);
		index_put(m->by_token, m->index_slots, token_hash(e->pub.token), e);
		if (!m->has_token || e->pub.token > m->max_token)
			m->max_token = e->pub.token;
		m->has_token = true;
	} else if (item->key) {
		size_t i;

		for (i = 0; i < m->n_session_meta; i++)
			if (!strcmp(m->session_meta[i].key, item->key))
				break;
		if (i < m->n_session_meta) {
			free((char *)m->session_meta[i].key);
			free((char *)m->session_meta[i].value);
		} else {
			m->n_session_meta++;
		}
		m->session_meta[i].key = item->key;
		m->session_meta[i].value = item->value;
	}
	memset(item, 0, sizeof(*item));
}

void lu_manifest_clear(struct lu_manifest *m)
{
	for (size_t i = 0; i < m->count; i++)
		free(m->entries[i]);
	for (size_t i = 0; i < m->n_session_meta; i++) {
		free((char *)m->session_meta[i].key);
		free((char *)m->session_meta[i].value);
	}
	free(m->entries);
	free(m->index);
	free(m->by_token);
	free(m->session_meta);
	memset(m, 0, sizeof(*m));
}

/* What a writer guarantees and a reader must not assume. */
static int check_unique(const struct lu_manifest *m, const struct liveupdate_entry *e,
			char *why, size_t why_len)
{
	if (e->token == LIVEUPDATE_MANIFEST_TOKEN)
		return bad(why, why_len, "a file record has the manifest's own token");
	if (lu_manifest_find_token(m, e->token))
		return bad(why, why_len, "token %llu appears twice",
			   (unsigned long long)e->token);
	if (lu_manifest_find(m, e->label))
		return bad(why, why_len, "label \"%s\" appears twice", e->label);
	return 0;
}

/* ---- MEMORY records ---- */

const char *lu_mf_backing_name(uint32_t backing)
{
	static const char *const names[] = {
		[LIVEUPDATE_MEMORY_AUTO] = "auto",
		[LIVEUPDATE_MEMORY_SHMEM] = "shmem",
		[LIVEUPDATE_MEMORY_THP] = "thp",
		[LIVEUPDATE_MEMORY_HUGETLB] = "hugetlb",
	};

	return backing < sizeof(names) / sizeof(names[0]) ? names[backing] : NULL;
}

bool lu_mf_memory_entry_ok(uint32_t backing, uint64_t page_size)
{
	switch (backing) {
	case LIVEUPDATE_MEMORY_SHMEM:
		return page_size == 4096;
	case LIVEUPDATE_MEMORY_THP:
	case LIVEUPDATE_MEMORY_HUGETLB:
		return page_size > 4096 && !(page_size & (page_size - 1));
	default:
		return false;
	}
}

/* ---- copies ---- */

struct copy_header {
	unsigned major, minor;
	size_t header_size;
	uint64_t generation;
	uint32_t used, count, crc;
	bool header_ok;       /* all but the records' checksum held */
};

/* A copy that is not valid (torn, damaged, never written): 0, the reason in why. */
#define not_valid(why, why_len, ...) (bad(why, why_len, __VA_ARGS__), 0)

/*
 * Read one copy's header: 1 if it is a readable copy of this major, 0 if
 * not (reason in why), -EBADMSG if it is intact but of an unknown major.
 */
static int read_copy(const uint8_t *c, size_t size, struct copy_header *h,
		     char *why, size_t why_len)
{
	if (size < LU_MF_HEADER_SIZE || memcmp(c, LU_MF_MAGIC, 8))
		return not_valid(why, why_len, "no magic \"" LU_MF_MAGIC "\"");
	h->major = lu_util_get_le16(c + 8);
	h->minor = lu_util_get_le16(c + 10);
	h->header_size = lu_util_get_le32(c + 12);
	if (h->header_size < LU_MF_HEADER_SIZE || h->header_size % 8 ||
	    h->header_size > size)
		return not_valid(why, why_len, "header size %zu", h->header_size);
	if (lu_util_crc32(0, c, h->header_size - 4) != lu_util_get_le32(c + h->header_size - 4))
		return not_valid(why, why_len, "header checksum mismatch (torn or damaged)");
	if (h->major != LU_MF_MAJOR)
		return bad(why, why_len, "format version %u.%u; this library reads "
			   "%u.x: a newer libliveupdate wrote it", h->major, h->minor,
			   LU_MF_MAJOR);
	h->generation = lu_util_get_le64(c + 16);
	h->used = lu_util_get_le32(c + 32);
	h->count = lu_util_get_le32(c + 36);
	h->crc = lu_util_get_le32(c + 40);
	if (lu_util_get_le64(c + 24) != size)
		return not_valid(why, why_len, "copy size %llu, the file holds two of %zu",
				 (unsigned long long)lu_util_get_le64(c + 24), size);
	if (h->generation == 0 || h->used > size - h->header_size)
		return not_valid(why, why_len, "generation %llu, %u bytes of records",
				 (unsigned long long)h->generation, h->used);
	h->header_ok = true;
	if (lu_util_crc32(0, c + h->header_size, h->used) != h->crc)
		return not_valid(why, why_len, "records checksum mismatch (torn or damaged)");
	return 1;
}

int lu_manifest_decode(const uint8_t *buf, size_t len, struct lu_manifest *m,
		       char *why, size_t why_len)
{
	struct copy_header h[2];
	char reason[2][160];
	int ok[2], best;
	size_t size = len / 2, off;
	const uint8_t *rec;

	memset(m, 0, sizeof(*m));
	memset(h, 0, sizeof(h));
	if (len % 2 || size < LU_MF_HEADER_SIZE)
		return bad(why, why_len, "the manifest file has %zu bytes, not two "
			   "copies of at least %u", len, LU_MF_HEADER_SIZE);
	for (int i = 0; i < 2; i++) {
		ok[i] = read_copy(buf + i * size, size, &h[i], reason[i], sizeof(reason[i]));
		if (ok[i] < 0)
			return bad(why, why_len, "copy %d: %s", i, reason[i]);
	}
	if (!ok[0] && !ok[1])
		return bad(why, why_len, "no valid copy: copy 0: %s; copy 1: %s",
			   reason[0], reason[1]);
	if (ok[0] && ok[1] && h[0].generation == h[1].generation)
		return bad(why, why_len, "both copies claim generation %llu",
			   (unsigned long long)h[0].generation);
	best = !ok[0] || (ok[1] && h[1].generation > h[0].generation);

	rec = buf + best * size + h[best].header_size;
	for (off = 0; off < h[best].used;) {
		struct lu_mf_item item;
		size_t rlen;
		int ret = lu_manifest_prepare(m, rec + off, h[best].used - off, &rlen,
					      &item, why, why_len);

		if (ret == 0 && item.entry)
			ret = check_unique(m, &item.entry->pub, why, why_len);
		if (ret < 0) {
			lu_mf_item_free(&item);
			lu_manifest_clear(m);
			return ret;
		}
		lu_manifest_link(m, &item);
		off += rlen;
	}
	if (m->count != h[best].count) {
		size_t n = m->count;

		lu_manifest_clear(m);
		return bad(why, why_len, "header counts %u files, the records %zu",
			   h[best].count, n);
	}
	m->generation = h[best].generation;
	m->active = (unsigned)best;
	m->used = h[best].used;
	m->crc = h[best].crc;
	/* a newer copy whose header is whole but not its records: the older
	 * state is read (a crash may leave that), and the reader says so */
	if (!ok[!best] && h[!best].header_ok && h[!best].generation > h[best].generation)
		m->passed_over = h[!best].generation;
	return 0;
}
