/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The session manifest's bytes, written: records encoded, then appended to
 * the older copy before its header (see manifest-format.h and
 * doc/manifest.md).
 */
#include <errno.h>
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

static void write_header(struct lu_manifest *m, unsigned copy)
{
	uint8_t h[LU_MF_HEADER_SIZE] = { 0 };

	memcpy(h, LU_MF_MAGIC, 8);
	lu_util_put_le16(h + 8, LU_MF_MAJOR);
	lu_util_put_le16(h + 10, LU_MF_MINOR);
	lu_util_put_le32(h + 12, LU_MF_HEADER_SIZE);
	lu_util_put_le64(h + 16, m->generation);
	lu_util_put_le64(h + 24, m->copy_size);
	lu_util_put_le32(h + 32, m->used);
	lu_util_put_le32(h + 36, (uint32_t)m->count);
	lu_util_put_le32(h + 40, m->crc);
	lu_util_put_le32(h + 60, lu_util_crc32(0, h, 60));
	/* the records it covers must be in place first */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	lu_mf_store(m->map + copy * m->copy_size, h, sizeof(h));
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

void lu_manifest_init_image(struct lu_manifest *m, uint8_t *map, size_t copy_size)
{
	memset(m, 0, sizeof(*m));
	m->map = map;
	m->copy_size = copy_size;
	m->generation = 1;
	m->crc = lu_util_crc32(0, NULL, 0);
	write_header(m, 0);
}

int lu_manifest_resume_image(struct lu_manifest *m, uint8_t *map, size_t size,
			     char *why, size_t why_len)
{
	const uint8_t *h = map + m->active * (size / 2);

	if (lu_util_get_le32(h + 12) != LU_MF_HEADER_SIZE) {
		snprintf(why, why_len, "its header takes %u bytes, this library writes "
			 "%u: a later version wrote it", lu_util_get_le32(h + 12),
			 LU_MF_HEADER_SIZE);
		return -EBADMSG;
	}
	m->map = map;
	m->copy_size = size / 2;
	/* the other copy is taken as empty: the next commit copies it all */
	m->copy_used[m->active] = m->used;
	m->copy_used[!m->active] = 0;
	return 0;
}

bool lu_manifest_fits(const struct lu_manifest *m, size_t len)
{
	return len <= m->copy_size - LU_MF_HEADER_SIZE - m->used;
}

void lu_manifest_commit(struct lu_manifest *m, const uint8_t *rec, size_t len,
			struct lu_mf_item *item)
{
	unsigned target = !m->active;
	uint8_t *dst = m->map + target * m->copy_size + LU_MF_HEADER_SIZE;
	const uint8_t *src = m->map + m->active * m->copy_size + LU_MF_HEADER_SIZE;
	uint32_t lag = m->copy_used[target];

	/* the target copy lags one update behind: catch up, then add rec */
	lu_mf_store(dst + lag, src + lag, m->used - lag);
	lu_mf_store(dst + m->used, rec, len);
	lu_manifest_link(m, item);
	m->crc = lu_util_crc32(m->crc, rec, len);
	m->used += (uint32_t)len;
	m->generation++;
	write_header(m, target);
	m->copy_used[target] = m->used;
	m->active = target;
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
	lu_util_put_le16(r, LU_MF_REC_FILE);
	lu_util_put_le32(r + 4, (uint32_t)len);
	lu_util_put_le64(r + 8, e->token);
	lu_util_put_le64(r + 16, e->size);
	lu_util_put_le64(r + 24, e->page_size);
	lu_util_put_le32(r + 32, (uint32_t)e->kind);
	lu_util_put_le32(r + 36, e->backing);
	lu_util_put_le16(r + 40, (uint16_t)label_len);
	lu_util_put_le16(r + 42, (uint16_t)e->n_meta);
	lu_util_put_le16(r + 44, LU_MF_FILE_FIXED);
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
	lu_util_put_le64(rec + 8, token);
}

int lu_mf_encode_session_meta(const char *key, const char *value,
			      uint8_t **recp, size_t *lenp)
{
	size_t kl = strlen(key), vl = strlen(value), len = pad8(12 + kl + vl);
	uint8_t *r;

	if (!lu_mf_meta_ok(key, kl, vl))
		return -EINVAL;
	r = calloc(1, len);
	if (!r)
		return -ENOMEM;
	lu_util_put_le16(r, LU_MF_REC_SESSION_META);
	lu_util_put_le32(r + 4, (uint32_t)len);
	lu_util_put_le16(r + 8, (uint16_t)kl);
	lu_util_put_le16(r + 10, (uint16_t)vl);
	memcpy(r + 12, key, kl);
	memcpy(r + 12 + kl, value, vl);
	*recp = r;
	*lenp = len;
	return 0;
}
