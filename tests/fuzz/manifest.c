/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target: the manifest decoder (lib/manifest-format.c) on
 * arbitrary bytes, as given and with their checksums and sequence numbers
 * made right (so that mutations reach the records). The input's first byte
 * says into how many pieces (1 to 4) the rest is cut, in equal parts.
 * Whatever decodes must be self-consistent: every entry is found by its
 * label and token, encodes to a record that decodes to the same entry, and
 * the counts agree. Built by tests/fuzz/manifest.sh.
 *
 * With -DLU_MF_FUZZ_SEEDS it is instead a program writing seed images,
 * made by the library's own writer, into the directory argv[1].
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest-format.h"

static void same_entry(const struct liveupdate_entry *a, const struct liveupdate_entry *b)
{
	assert(a->token == b->token && a->size == b->size && a->kind == b->kind &&
	       a->backing == b->backing && a->page_size == b->page_size &&
	       !strcmp(a->label, b->label) && a->n_meta == b->n_meta);
	for (size_t i = 0; i < a->n_meta; i++)
		assert(!strcmp(a->meta[i].key, b->meta[i].key) &&
		       !strcmp(a->meta[i].value, b->meta[i].value));
}

/* Encode e again and decode the record into a scratch manifest. */
static void round_trip(const struct liveupdate_entry *e)
{
	struct lu_manifest scratch = { 0 };
	struct lu_mf_item item;
	uint8_t *rec;
	size_t len, rlen;
	char why[256];

	if (lu_mf_encode_file(e, &rec, &len))
		abort(); /* whatever decodes is within the limits */
	if (lu_manifest_prepare(&scratch, rec, len, &rlen, &item, why, sizeof(why)))
		abort();
	assert(rlen == len && item.entry);
	same_entry(e, &item.entry->pub);
	lu_mf_item_free(&item);
	lu_manifest_clear(&scratch);
	free(rec);
}

#define MAX_PIECES 4
#define PIECE 512 /* bytes of a seed's pieces */

#ifndef LU_MF_FUZZ_SEEDS
/*
 * Make each piece's header checksum right, and the sequence numbers and
 * checksums of the records its lengths delimit, so that mutations reach
 * the records instead of dying at the checksums.
 */
static void repair(struct lu_mf_piece *pieces, size_t n)
{
	uint32_t seq = 1;

	for (size_t i = 0; i < n; i++) {
		uint8_t *h = pieces[i].map;
		size_t size = pieces[i].size, hs, off;

		if (size < LU_MF_HEADER_SIZE)
			continue;
		hs = lu_util_get_le32(h + 12);
		if (hs < LU_MF_HEADER_SIZE || hs % 8 || hs > size)
			continue;
		lu_util_put_le32(h + hs - 4, lu_util_crc32(0, h, hs - 4));
		for (off = hs; off + LU_MF_REC_HEADER <= size;) {
			size_t len = lu_util_get_le32(h + off + 4);

			if (len < LU_MF_REC_HEADER || len % 8 || len > size - off)
				break;
			lu_util_put_le32(h + off + 8, seq++);
			lu_util_put_le32(h + off, lu_util_crc32(0, h + off + 4, len - 4));
			off += len;
		}
	}
}

static void check(const struct lu_mf_piece *pieces, size_t n)
{
	struct lu_manifest m;
	char why[512];
	int ret = lu_manifest_decode(pieces, n, &m, why, sizeof(why));

	if (ret) {
		assert(ret == -EBADMSG || ret == -ENOMEM);
		assert(ret != -EBADMSG || why[0]);
		return;
	}
	assert(m.generation >= m.count);
	for (size_t i = 0; i < m.count; i++) {
		const struct liveupdate_entry *e = &m.entries[i]->pub;

		assert(lu_manifest_find_token(&m, e->token) == e);
		assert(!e->label[0] || lu_manifest_find(&m, e->label) == e);
		round_trip(e);
	}
	for (size_t i = 0; i < m.n_session_meta; i++)
		assert(lu_manifest_session_meta(&m, m.session_meta[i].key) ==
		       m.session_meta[i].value);
	lu_manifest_clear(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lu_mf_piece pieces[MAX_PIECES];
	size_t n, part;
	uint8_t *copy;

	if (size < 1)
		return 0;
	n = 1 + data[0] % MAX_PIECES;
	part = (size - 1) / n;
	copy = malloc(size);
	if (!copy)
		return 0;
	memcpy(copy, data + 1, size - 1);
	/* each piece in its own allocation, so that overruns are caught */
	for (size_t i = 0; i < n; i++) {
		pieces[i].size = part;
		pieces[i].map = malloc(part ? part : 1);
		if (pieces[i].map)
			memcpy(pieces[i].map, copy + i * part, part);
		else
			n = i;
	}
	if (n) {
		check(pieces, n);
		repair(pieces, n);
		check(pieces, n);
	}
	for (size_t i = 0; i < n; i++)
		free(pieces[i].map);
	free(copy);
	return 0;
}
#else
/* A seed: the piece count byte, then the pieces, all of one size. */
static void save(const char *dir, int n, const struct lu_manifest *m)
{
	char path[4096];
	uint8_t count = (uint8_t)(m->n_pieces - 1);
	FILE *f;

	snprintf(path, sizeof(path), "%s/seed-%d", dir, n);
	f = fopen(path, "w");
	if (!f || fwrite(&count, 1, 1, f) != 1)
		exit(1);
	for (size_t i = 0; i < m->n_pieces; i++)
		if (fwrite(m->pieces[i].map, 1, PIECE, f) != PIECE)
			exit(1);
	if (fclose(f))
		exit(1);
}

/* Append a record the way a session does, adding pieces of PIECE bytes. */
static void add(struct lu_manifest *m, uint8_t *rec, size_t len)
{
	struct lu_mf_item item;
	size_t rlen;
	char why[256];

	if (!lu_manifest_fits(m, len)) {
		uint8_t *map = calloc(1, PIECE);

		if (!map || m->n_pieces == MAX_PIECES)
			exit(1);
		lu_mf_piece_init(map, (unsigned)m->n_pieces);
		lu_manifest_add_piece(m, map, PIECE);
	}
	if (!lu_manifest_fits(m, len) ||
	    lu_manifest_prepare(m, rec, len, &rlen, &item, why, sizeof(why)))
		exit(1);
	lu_manifest_commit(m, rec, len, &item);
	free(rec);
}

int main(int argc, char **argv)
{
	struct liveupdate_meta meta[] = { { "node", "1" }, { "k", "" } };
	struct liveupdate_entry e = { .label = "ram", .token = 1, .size = 4096,
				      .kind = LIVEUPDATE_ENTRY_MEMORY, .backing = 2,
				      .page_size = 2u << 20, .meta = meta, .n_meta = 2 };
	struct lu_manifest m = { .pieces = calloc(LU_MF_PIECES_MAX, sizeof(*m.pieces)) };
	uint8_t *rec;
	size_t len;
	int n = 0;

	if (argc != 2 || !m.pieces)
		return 2;
	if (lu_mf_encode_file(&e, &rec, &len))
		return 1;
	add(&m, rec, len);
	save(argv[1], n++, &m);                          /* one file */
	if (lu_mf_encode_session_meta("vmm", "qemu", &rec, &len))
		return 1;
	add(&m, rec, len);
	e.label = "";
	e.token = 7;
	e.kind = LIVEUPDATE_ENTRY_MEMFD;
	e.n_meta = 0;
	if (lu_mf_encode_file(&e, &rec, &len))
		return 1;
	add(&m, rec, len);
	save(argv[1], n++, &m);                          /* three records */
	for (int i = 0; m.n_pieces < 3; i++) {
		char label[16];

		snprintf(label, sizeof(label), "f%d", i);
		e.label = label;
		e.token = 100 + (uint64_t)i;
		if (lu_mf_encode_file(&e, &rec, &len))
			return 1;
		add(&m, rec, len);
	}
	save(argv[1], n++, &m);                          /* three pieces */
	for (size_t i = 0; i < m.n_pieces; i++)
		free(m.pieces[i].map);
	free(m.pieces);
	lu_manifest_clear(&m);
	return 0;
}
#endif
