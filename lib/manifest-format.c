/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The session manifest's bytes, read: see manifest-format.h and doc/manifest.md. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest-format.h"

/* a damaged manifest: the reason into why (why_len may be 0), -EBADMSG */
#define bad(why, why_len, ...) lu_util_reason(why, why_len, -EBADMSG, __VA_ARGS__)

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
	fixed = lu_util_get_le16(r + 52);
	label_len = lu_util_get_le16(r + 48);
	n_meta = lu_util_get_le16(r + 50);
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
	e->pub.token = lu_util_get_le64(r + 16);
	e->pub.size = lu_util_get_le64(r + 24);
	e->pub.page_size = lu_util_get_le64(r + 32);
	e->pub.kind = (enum liveupdate_entry_kind)lu_util_get_le32(r + 40);
	e->pub.backing = lu_util_get_le32(r + 44);
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

	if (len < LU_MF_META_FIXED)
		return bad(why, why_len, "session metadata record of %zu bytes", len);
	kl = lu_util_get_le16(r + 16);
	vl = lu_util_get_le16(r + 18);
	if (kl + vl > len - LU_MF_META_FIXED ||
	    !lu_mf_meta_ok((const char *)r + LU_MF_META_FIXED, kl, vl) ||
	    memchr(r + LU_MF_META_FIXED + kl, '\0', vl))
		return bad(why, why_len, "session metadata record: key of %zu bytes, "
			   "value of %zu: overruns the record, out of limits or holds "
			   "a NUL", kl, vl);
	item->key = strndup((const char *)r + LU_MF_META_FIXED, kl);
	item->value = strndup((const char *)r + LU_MF_META_FIXED + kl, vl);
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
	type = lu_util_get_le16(rec + 12);
	len = lu_util_get_le32(rec + 4);
	if (len < LU_MF_REC_HEADER || len % 8 || len > avail)
		return bad(why, why_len, "record of type %u has length %zu (a multiple "
			   "of 8 from %u to the %zu bytes left)", type, len,
			   LU_MF_REC_HEADER, avail);
	*lenp = len;
	switch (type) {
	case LU_MF_REC_FILE:
		return parse_file(m, rec, len, item, why, why_len);
	case LU_MF_REC_SESSION_META:
		return parse_session_meta(m, rec, len, item, why, why_len);
	default:
		if (lu_util_get_le16(rec + 14) & LU_MF_REC_MUST_UNDERSTAND)
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
	if (e->token - LIVEUPDATE_MANIFEST_TOKEN < LIVEUPDATE_MANIFEST_TOKENS)
		return bad(why, why_len, "a file record has one of the manifest's tokens");
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

/* ---- the log ---- */

int lu_mf_piece_number(const uint8_t *c, size_t size, size_t *hsp, unsigned *indexp,
		       char *why, size_t why_len)
{
	unsigned major, minor;
	size_t hs;

	if (size < LU_MF_HEADER_SIZE || memcmp(c, LU_MF_MAGIC, 8))
		return bad(why, why_len, "no magic \"" LU_MF_MAGIC "\"");
	major = lu_util_get_le16(c + 8);
	minor = lu_util_get_le16(c + 10);
	hs = lu_util_get_le32(c + 12);
	if (hs < LU_MF_HEADER_SIZE || hs % 8 || hs > size)
		return bad(why, why_len, "header size %zu", hs);
	if (lu_util_crc32(0, c, hs - 4) != lu_util_get_le32(c + hs - 4))
		return bad(why, why_len, "header checksum mismatch");
	if (major != LU_MF_MAJOR)
		return bad(why, why_len, "format version %u.%u; this library reads "
			   "%u.x: %s libliveupdate wrote it", major, minor, LU_MF_MAJOR,
			   major > LU_MF_MAJOR ? "a newer" : "an older");
	*hsp = hs;
	*indexp = (unsigned)lu_util_get_le32(c + 16);
	return 0;
}

/*
 * Check a piece's header: 0 if it is a piece of this major with this
 * index (*hsp gets its header size), else -EBADMSG with the reason in why.
 */
static int read_piece_header(const struct lu_mf_piece *p, size_t index,
			     size_t *hsp, char *why, size_t why_len)
{
	unsigned said;
	int ret = lu_mf_piece_number(p->map, p->size, hsp, &said, why, why_len);

	if (!ret && said != index)
		return bad(why, why_len, "it says it is piece %u", said);
	return ret;
}

/* Whether the record at r (avail bytes left in its piece) is whole: its
 * length fits, its checksum matches and it has sequence number seq. */
static bool record_whole(const uint8_t *r, size_t avail, uint32_t seq)
{
	size_t len;

	if (avail < LU_MF_REC_HEADER)
		return false;
	len = lu_util_get_le32(r + 4);
	return len >= LU_MF_REC_HEADER && len % 8 == 0 && len <= avail &&
	       lu_util_get_le32(r + 8) == seq && lu_util_crc32(0, r + 4, len - 4) == lu_util_get_le32(r);
}

/*
 * After a record that is not whole at off of the last piece: a torn tail
 * is the last thing ever written there, so a whole record with a later
 * sequence number after it means damage instead.
 */
static bool later_record(const struct lu_mf_piece *p, size_t off, uint32_t seq)
{
	for (; off + LU_MF_REC_HEADER <= p->size; off += 8) {
		uint32_t s = lu_util_get_le32(p->map + off + 8);

		if (s > seq && s - seq < p->size / LU_MF_REC_HEADER &&
		    record_whole(p->map + off, p->size - off, s))
			return true;
	}
	return false;
}

/* Link the record at rec into m: 0, or a negative errno (why says). */
static int take_record(struct lu_manifest *m, const uint8_t *rec, size_t len,
		       char *why, size_t why_len)
{
	struct lu_mf_item item;
	size_t rlen;
	int ret = lu_manifest_prepare(m, rec, len, &rlen, &item, why, why_len);

	if (ret == 0 && item.entry)
		ret = check_unique(m, &item.entry->pub, why, why_len);
	if (ret < 0) {
		lu_mf_item_free(&item);
		return ret;
	}
	lu_manifest_link(m, &item);
	return 0;
}

/* Walk piece i's records into m: 0, 1 if the log ended torn, or -errno. */
static int walk_piece(struct lu_manifest *m, const struct lu_mf_piece *p, size_t i,
		      bool last, char *why, size_t why_len)
{
	char reason[160];
	size_t off = 0;
	int ret = read_piece_header(p, i, &off, reason, sizeof(reason));

	if (ret)
		return bad(why, why_len, "piece %zu: %s", i, reason);
	while (off + LU_MF_REC_HEADER <= p->size) {
		const uint8_t *r = p->map + off;
		uint32_t seq = (uint32_t)m->generation + 1;

		if (lu_util_get_le64(r) == 0)
			break; /* never written: the piece's records end */
		if (!record_whole(r, p->size - off, seq)) {
			if (!last || later_record(p, off, seq))
				return bad(why, why_len, "piece %zu: record %u at offset "
					   "%zu is damaged (bad length, sequence number "
					   "or checksum) and records follow it", i,
					   (unsigned)seq, off);
			m->torn = seq; /* a torn last record: that update never happened */
			m->used = off;
			return 1;
		}
		ret = take_record(m, r, lu_util_get_le32(r + 4), why, why_len);
		if (ret)
			return ret;
		m->generation = seq;
		off += lu_util_get_le32(r + 4);
	}
	m->used = off; /* where a writer would append, in the last piece */
	return 0;
}

int lu_manifest_decode(const struct lu_mf_piece *pieces, size_t n,
		       struct lu_manifest *m, char *why, size_t why_len)
{
	int ret = 0;

	memset(m, 0, sizeof(*m));
	if (n == 0 || n > LU_MF_PIECES_MAX)
		return bad(why, why_len, "%zu pieces, not 1 to %u", n, LU_MF_PIECES_MAX);
	for (size_t i = 0; i < n && ret == 0; i++) {
		ret = walk_piece(m, &pieces[i], i, i + 1 == n, why, why_len);
		if (ret < 0) {
			lu_manifest_clear(m);
			return ret;
		}
	}
	return 0;
}
