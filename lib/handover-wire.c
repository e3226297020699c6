/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The handover's messages as bytes: see handover-wire.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handover-wire.h"
#include "lu-util.h"

#define bad(why, why_len, ...) lu_util_reason(why, why_len, -EBADMSG, __VA_ARGS__)

static size_t put_header(uint8_t *buf, enum lu_ho_type type, size_t payload)
{
	memcpy(buf, LU_HO_MAGIC, 4);
	lu_util_put_le16(buf + 4, LU_HO_VERSION);
	lu_util_put_le16(buf + 6, (uint16_t)type);
	lu_util_put_le32(buf + 8, (uint32_t)payload);
	lu_util_put_le32(buf + 12, 0);
	return LU_HO_HEADER_SIZE + payload;
}

size_t lu_ho_encode_offer(const struct lu_ho_offer *o, uint8_t *buf)
{
	uint8_t *p = buf + LU_HO_HEADER_SIZE;

	lu_util_put_le32(p, o->n_files);
	lu_util_put_le32(p + 4, o->flags);
	lu_util_put_le64(p + 8, o->next_token);
	lu_util_put_le64(p + 16, o->manifest_state);
	memset(p + 24, 0, LU_HO_NAME_SIZE);
	memcpy(p + 24, o->name, strnlen(o->name, LU_HO_NAME_SIZE - 1));
	return put_header(buf, LU_HO_OFFER, LU_HO_OFFER_SIZE);
}

size_t lu_ho_encode_batch(uint32_t first, const uint64_t *tokens, uint32_t count,
			  uint8_t *buf)
{
	uint8_t *p = buf + LU_HO_HEADER_SIZE;

	lu_util_put_le32(p, first);
	lu_util_put_le32(p + 4, count);
	for (uint32_t i = 0; i < count; i++)
		lu_util_put_le64(p + 8 + 8 * (size_t)i, tokens[i]);
	return put_header(buf, LU_HO_BATCH, 8 + 8 * (size_t)count);
}

size_t lu_ho_encode_reply(uint32_t err, uint8_t *buf)
{
	lu_util_put_le32(buf + LU_HO_HEADER_SIZE, err);
	lu_util_put_le32(buf + LU_HO_HEADER_SIZE + 4, 0);
	return put_header(buf, LU_HO_REPLY, LU_HO_REPLY_SIZE);
}

int lu_ho_frame_len(const uint8_t *hdr, size_t *lenp, char *why, size_t why_len)
{
	uint32_t payload = lu_util_get_le32(hdr + 8);

	if (memcmp(hdr, LU_HO_MAGIC, 4))
		return bad(why, why_len, "not a handover message (no \"%s\" magic)",
			   LU_HO_MAGIC);
	if (lu_util_get_le16(hdr + 4) != LU_HO_VERSION)
		return bad(why, why_len, "handover protocol version %u, this library "
			   "speaks %u: use the same library version on both sides",
			   lu_util_get_le16(hdr + 4), LU_HO_VERSION);
	if (lu_util_get_le32(hdr + 12))
		return bad(why, why_len, "a reserved header field is not zero");
	if (payload > LU_HO_FRAME_MAX - LU_HO_HEADER_SIZE)
		return bad(why, why_len, "a %u-byte message, over the %u bytes of "
			   "the largest", payload, LU_HO_FRAME_MAX - LU_HO_HEADER_SIZE);
	*lenp = LU_HO_HEADER_SIZE + payload;
	return 0;
}

static int decode_offer(const uint8_t *p, size_t n, struct lu_ho_offer *o,
			char *why, size_t why_len)
{
	if (n != LU_HO_OFFER_SIZE)
		return bad(why, why_len, "an offer of %zu bytes, not %u", n,
			   LU_HO_OFFER_SIZE);
	o->n_files = lu_util_get_le32(p);
	o->flags = lu_util_get_le32(p + 4);
	o->next_token = lu_util_get_le64(p + 8);
	o->manifest_state = lu_util_get_le64(p + 16);
	if (o->flags & ~LU_HO_OFFER_MANIFEST)
		return bad(why, why_len, "unknown offer flags %#x", o->flags);
	if (o->n_files > LU_HO_FILES_MAX)
		return bad(why, why_len, "an offer of %u files, over the %u a "
			   "handover takes", o->n_files, LU_HO_FILES_MAX);
	if (!p[24] || !memchr(p + 24, '\0', LU_HO_NAME_SIZE))
		return bad(why, why_len, "the session name is empty or not "
			   "terminated");
	/* what follows the NUL must be zero too: one spelling per name */
	for (size_t i = strlen((const char *)p + 24); i < LU_HO_NAME_SIZE; i++)
		if (p[24 + i])
			return bad(why, why_len, "bytes after the session name's end");
	memcpy(o->name, p + 24, LU_HO_NAME_SIZE);
	return 0;
}

static int decode_batch(const uint8_t *p, size_t n, struct lu_ho_batch *b,
			char *why, size_t why_len)
{
	if (n < 8)
		return bad(why, why_len, "a batch of %zu bytes, under its 8-byte head", n);
	b->first = lu_util_get_le32(p);
	b->count = lu_util_get_le32(p + 4);
	b->tokens = p + 8;
	if (b->count == 0 || b->count > LU_HO_BATCH_MAX)
		return bad(why, why_len, "a batch of %u files, not 1 to %u", b->count,
			   LU_HO_BATCH_MAX);
	if (n != 8 + 8 * (size_t)b->count)
		return bad(why, why_len, "a batch of %u files in %zu bytes, not %zu",
			   b->count, n, 8 + 8 * (size_t)b->count);
	return 0;
}

int lu_ho_decode(const uint8_t *buf, size_t len, unsigned nfds,
		 struct lu_ho_msg *msg, char *why, size_t why_len)
{
	const uint8_t *p = buf + LU_HO_HEADER_SIZE;
	unsigned want_fds;
	size_t flen;
	int ret;

	memset(msg, 0, sizeof(*msg));
	if (len < LU_HO_HEADER_SIZE)
		return bad(why, why_len, "a %zu-byte message, under the %u-byte "
			   "header", len, LU_HO_HEADER_SIZE);
	ret = lu_ho_frame_len(buf, &flen, why, why_len);
	if (ret)
		return ret;
	if (flen != len)
		return bad(why, why_len, "a message of %zu bytes whose header says %zu",
			   len, flen);
	msg->type = (enum lu_ho_type)lu_util_get_le16(buf + 6);
	switch (msg->type) {
	case LU_HO_OFFER:
		ret = decode_offer(p, len - LU_HO_HEADER_SIZE, &msg->offer, why, why_len);
		want_fds = 1;
		break;
	case LU_HO_BATCH:
		ret = decode_batch(p, len - LU_HO_HEADER_SIZE, &msg->batch, why, why_len);
		want_fds = msg->batch.count;
		break;
	case LU_HO_REPLY:
		if (len - LU_HO_HEADER_SIZE != LU_HO_REPLY_SIZE)
			return bad(why, why_len, "a reply of %zu bytes, not %u",
				   len - LU_HO_HEADER_SIZE, LU_HO_REPLY_SIZE);
		msg->err = lu_util_get_le32(p);
		if (lu_util_get_le32(p + 4) || msg->err > 4095)
			return bad(why, why_len, "a reply with errno %u or a reserved "
				   "field set", msg->err);
		want_fds = 0;
		break;
	default:
		return bad(why, why_len, "message type %u is none of offer, batch, "
			   "reply", (unsigned)msg->type);
	}
	if (ret)
		return ret;
	if (nfds != want_fds)
		return bad(why, why_len, "a message of type %u with %u fds, not %u",
			   (unsigned)msg->type, nfds, want_fds);
	return 0;
}

uint64_t lu_ho_batch_token(const struct lu_ho_batch *b, uint32_t i)
{
	return lu_util_get_le64(b->tokens + 8 * (size_t)i);
}

int lu_ho_batch_follows(const struct lu_ho_batch *b, uint32_t received,
			uint32_t n_files, char *why, size_t why_len)
{
	if (b->first != received)
		return bad(why, why_len, "a batch from file %u, after %u files",
			   b->first, received);
	if (b->count > n_files - received)
		return bad(why, why_len, "a batch of %u files after %u, past the %u "
			   "announced", b->count, received, n_files);
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int lu_ho_tokens_distinct(uint64_t *tokens, size_t n, char *why, size_t why_len)
{
	qsort(tokens, n, sizeof(*tokens), cmp_u64);
	for (size_t i = 1; i < n; i++)
		if (tokens[i] == tokens[i - 1])
			return bad(why, why_len, "token %llu is given twice",
				   (unsigned long long)tokens[i]);
	return 0;
}
