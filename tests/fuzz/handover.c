/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for the handover's wire decoder (lib/handover-wire.c),
 * built by tests/fuzz/handover.sh. The first byte is the number of fds the
 * message came with, the rest the message. Whatever the bytes, the decoder
 * returns 0 or -EBADMSG with a terminated reason; a message it accepts
 * encodes back to the same bytes, and the sequence checks hold.
 * With -DLU_HO_FUZZ_SEEDS it is instead a program that writes seed
 * messages into the directory given.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handover-wire.h"

#ifndef LU_HO_FUZZ_SEEDS
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t again[LU_HO_FRAME_MAX], *buf;
	uint64_t tokens[LU_HO_BATCH_MAX];
	struct lu_ho_msg msg;
	char why[LU_HO_WHY_MAX];
	size_t len, elen = 0;
	int ret;

	if (size < 1)
		return 0;
	/* an exactly sized copy, so that reading past it is caught */
	buf = malloc(size - 1 ? size - 1 : 1);
	memcpy(buf, data + 1, size - 1);
	memset(why, 0x55, sizeof(why));
	if (size - 1 >= LU_HO_HEADER_SIZE) {
		ret = lu_ho_frame_len(buf, &len, why, sizeof(why));
		if (ret && (ret != -EBADMSG || !memchr(why, '\0', sizeof(why))))
			abort();
		if (!ret && (len < LU_HO_HEADER_SIZE || len > LU_HO_FRAME_MAX))
			abort();
	}
	memset(why, 0x55, sizeof(why));
	ret = lu_ho_decode(buf, size - 1, data[0], &msg, why, sizeof(why));
	if (ret) {
		if (ret != -EBADMSG || !memchr(why, '\0', sizeof(why)))
			abort();
		free(buf);
		return 0;
	}
	switch (msg.type) {
	case LU_HO_OFFER:
		if (data[0] != 1 || msg.offer.n_files > LU_HO_FILES_MAX ||
		    !memchr(msg.offer.name, '\0', sizeof(msg.offer.name)))
			abort();
		elen = lu_ho_encode_offer(&msg.offer, again);
		break;
	case LU_HO_BATCH:
		if (msg.batch.count == 0 || msg.batch.count > LU_HO_BATCH_MAX ||
		    data[0] != msg.batch.count)
			abort();
		for (uint32_t i = 0; i < msg.batch.count; i++)
			tokens[i] = lu_ho_batch_token(&msg.batch, i);
		elen = lu_ho_encode_batch(msg.batch.first, tokens, msg.batch.count, again);
		/* the sequence checks accept exactly the batches that fit */
		ret = lu_ho_batch_follows(&msg.batch, msg.batch.first,
					  msg.batch.first + msg.batch.count, why, sizeof(why));
		if (msg.batch.first <= UINT32_MAX - msg.batch.count && ret)
			abort();
		if (!lu_ho_batch_follows(&msg.batch, msg.batch.first + 1, UINT32_MAX,
					 why, sizeof(why)))
			abort();
		ret = lu_ho_tokens_distinct(tokens, msg.batch.count, why, sizeof(why));
		for (uint32_t i = 1; i < msg.batch.count; i++)
			if (tokens[i - 1] > tokens[i] || (!ret && tokens[i - 1] == tokens[i]))
				abort();
		break;
	case LU_HO_REPLY:
		if (data[0] != 0)
			abort();
		elen = lu_ho_encode_reply(msg.err, again);
		break;
	default:
		abort();
	}
	if (elen != size - 1 || memcmp(again, buf, elen))
		abort();
	free(buf);
	return 0;
}
#else
static void seed(const char *dir, const char *name, uint8_t nfds, const uint8_t *msg,
		 size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(&nfds, 1, 1, f) != 1 || fwrite(msg, 1, len, f) != len ||
	    fclose(f))
		exit(1);
}

int main(int argc, char **argv)
{
	struct lu_ho_offer o = { .n_files = 300, .flags = LU_HO_OFFER_MANIFEST,
				 .next_token = 42 };
	uint64_t tokens[LU_HO_BATCH_MAX];
	uint8_t buf[LU_HO_FRAME_MAX];

	if (argc != 2)
		return 2;
	strcpy(o.name, "vm-1");
	seed(argv[1], "offer", 1, buf, lu_ho_encode_offer(&o, buf));
	for (uint32_t i = 0; i < LU_HO_BATCH_MAX; i++)
		tokens[i] = i == 0 ? UINT64_C(0x4d414e4946455354) : i;
	seed(argv[1], "batch-full", LU_HO_BATCH_MAX, buf,
	     lu_ho_encode_batch(0, tokens, LU_HO_BATCH_MAX, buf));
	seed(argv[1], "batch-3", 3, buf, lu_ho_encode_batch(253, tokens, 3, buf));
	seed(argv[1], "ack", 0, buf, lu_ho_encode_reply(0, buf));
	seed(argv[1], "refusal", 0, buf, lu_ho_encode_reply(EPERM, buf));
	return 0;
}
#endif
