/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The session manifest's bytes, written: records encoded, then appended to
 * the last piece of the log (see manifest-format.h and doc/manifest.md).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest-format.h"

static void plain_store(void *dst, const void *src, size_t len)
{
	memcpy(dst, src, len);
}

void (*lu_mf_store)(void *dst, const void *src, size_t len) = plain_store;

static size_t pad8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

/* ---- writing ---- */

void lu_mf_piece_init(uint8_t *map, unsigned index)
{
	uint8_t h[LU_MF_HEADER_SIZE] = { 0 };

	memcpy(h, LU_MF_MAGIC, 8);
	lu_util_put_le16(h + 8, LU_MF_MAJOR);
	lu_util_put_le16(h + 10, LU_MF_MINOR);
	lu_util_put_le32(h + 12, LU_MF_HEADER_SIZE);
	lu_util_put_le32(h + 16, index);
	lu_util_put_le32(h + LU_MF_HEADER_SIZE - 4, lu_util_crc32(0, h, LU_MF_HEADER_SIZE - 4));
	lu_mf_store(map, h, sizeof(h));
}

static size_t round_unit(size_t n)
{
	return (n + LU_MF_PIECE_UNIT - 1) / LU_MF_PIECE_UNIT * LU_MF_PIECE_UNIT;
}

size_t lu_manifest_next_piece_size(const struct lu_manifest *m, size_t len)
{
	size_t size = m->n_pieces ? 2 * m->pieces[m->n_pieces - 1].size : m->first_size;
	size_t need = round_unit(LU_MF_HEADER_SIZE + len);

	if (size < need)
		size = need;
	if (m->n_pieces == LU_MF_PIECES_MAX || size > LU_MF_MAX_SIZE - m->total)
		return 0;
	return size;
}

void lu_manifest_add_piece(struct lu_manifest *m, uint8_t *map, size_t size)
{
	m->pieces[m->n_pieces++] = (struct lu_mf_piece){ map, size };
	m->used = LU_MF_HEADER_SIZE;
	m->total += size;
}

int lu_manifest_resume(struct lu_manifest *m, struct lu_mf_piece *pieces, size_t n,
		       size_t first_size, char *why, size_t why_len)
{
	if (m->torn) {
		snprintf(why, why_len, "record %" PRIu64 " is incomplete: appending "
			 "after it would hide it", m->torn);
		return -EBADMSG;
	}
	m->writable = true;
	m->pieces = pieces;
	m->n_pieces = n;
	m->first_size = first_size;
	m->total = 0;
	for (size_t i = 0; i < n; i++)
		m->total += pieces[i].size;
	return 0;
}

bool lu_manifest_fits(const struct lu_manifest *m, size_t len)
{
	return m->n_pieces && len <= m->pieces[m->n_pieces - 1].size - m->used;
}

void lu_manifest_commit(struct lu_manifest *m, uint8_t *rec, size_t len,
			struct lu_mf_item *item)
{
	uint8_t *dst = m->pieces[m->n_pieces - 1].map + m->used;

	lu_util_put_le32(rec + 8, (uint32_t)(m->generation + 1));
	lu_util_put_le32(rec, lu_util_crc32(0, rec + 4, len - 4));
	/* one store: until its last byte lands the record reads as torn */
	lu_mf_store(dst, rec, len);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	lu_manifest_link(m, item);
	m->used += len;
	m->generation++;
}

/* ---- encoding ---- */

static void put_text(uint8_t **p, const char *s, size_t len)
{
	memcpy(*p, s, len);
	*p += len;
}

int lu_mf_encode_file(const struct liveupdate_entry *e, uint8_t **recp,
		      size_t *lenp)
{
	size_t label_len = strlen(e->label), len = LU_MF_FILE_FIXED + label_len;
	uint8_t *r, *p;

	if (!lu_mf_label_ok(e->label, label_len) || e->n_meta > LIVEUPDATE_META_MAX)
		return -EINVAL;
	for (size_t i = 0; i < e->n_meta; i++) {
		size_t kl = strlen(e->meta[i].key), vl = strlen(e->meta[i].value);

		if (!lu_mf_meta_ok(e->meta[i].key, kl, vl))
			return -EINVAL;
		len += 4 + kl + vl;
	}
	len = pad8(len);
	r = calloc(1, len);
	if (!r)
		return -ENOMEM;
	lu_util_put_le32(r + 4, (uint32_t)len);
	lu_util_put_le16(r + 12, LU_MF_REC_FILE);
	lu_util_put_le64(r + 16, e->token);
	lu_util_put_le64(r + 24, e->size);
	lu_util_put_le64(r + 32, e->page_size);
	lu_util_put_le32(r + 40, (uint32_t)e->kind);
	lu_util_put_le32(r + 44, e->backing);
	lu_util_put_le16(r + 48, (uint16_t)label_len);
	lu_util_put_le16(r + 50, (uint16_t)e->n_meta);
	lu_util_put_le16(r + 52, LU_MF_FILE_FIXED);
	p = r + LU_MF_FILE_FIXED;
	put_text(&p, e->label, label_len);
	for (size_t i = 0; i < e->n_meta; i++) {
		size_t kl = strlen(e->meta[i].key), vl = strlen(e->meta[i].value);

		lu_util_put_le16(p, (uint16_t)kl);
		lu_util_put_le16(p + 2, (uint16_t)vl);
		p += 4;
		put_text(&p, e->meta[i].key, kl);
		put_text(&p, e->meta[i].value, vl);
	}
	*recp = r;
	*lenp = len;
	return 0;
}

void lu_mf_set_token(uint8_t *rec, uint64_t token)
{
	lu_util_put_le64(rec + 16, token);
}

int lu_mf_encode_session_meta(const char *key, const char *value,
			      uint8_t **recp, size_t *lenp)
{
	size_t kl = strlen(key), vl = strlen(value), len = pad8(LU_MF_META_FIXED + kl + vl);
	uint8_t *r;

	if (!lu_mf_meta_ok(key, kl, vl))
		return -EINVAL;
	r = calloc(1, len);
	if (!r)
		return -ENOMEM;
	lu_util_put_le32(r + 4, (uint32_t)len);
	lu_util_put_le16(r + 12, LU_MF_REC_SESSION_META);
	lu_util_put_le16(r + 16, (uint16_t)kl);
	lu_util_put_le16(r + 18, (uint16_t)vl);
	memcpy(r + LU_MF_META_FIXED, key, kl);
	memcpy(r + LU_MF_META_FIXED + kl, value, vl);
	*recp = r;
	*lenp = len;
	return 0;
}
