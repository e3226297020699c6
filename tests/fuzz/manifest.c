/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target: the manifest decoder (lib/manifest-format.c) on
 * arbitrary bytes, as given and with their checksums made right (so that
 * mutations reach the records). Whatever decodes must be self-consistent: every entry
 * is found by its label and token, encodes to a record that decodes to the
 * same entry, and the counts agree. Built by tests/fuzz/manifest.sh.
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

#ifndef LU_MF_FUZZ_SEEDS
/*
 * Make both copies' checksums right where the header's sizes allow, so
 * that mutations reach the records instead of dying at the checksums.
 */
static void repair(uint8_t *img, size_t size)
{
	size_t copy = size / 2;

	for (int c = 0; c < 2 && copy >= LU_MF_HEADER_SIZE; c++) {
		uint8_t *h = img + c * copy;
		size_t hs = lu_util_get_le32(h + 12), used = lu_util_get_le32(h + 32);

		if (hs < LU_MF_HEADER_SIZE || hs % 8 || hs > copy)
			continue;
		if (used <= copy - hs)
			lu_util_put_le32(h + 40, lu_util_crc32(0, h + hs, used));
		lu_util_put_le32(h + hs - 4, lu_util_crc32(0, h, hs - 4));
	}
}

static void check(const uint8_t *data, size_t size)
{
	struct lu_manifest m;
	char why[512];
	int ret = lu_manifest_decode(data, size, &m, why, sizeof(why));

	if (ret) {
		assert(ret == -EBADMSG || ret == -ENOMEM);
		assert(ret != -EBADMSG || why[0]);
		return;
	}
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
	uint8_t *fixed = malloc(size ? size : 1);

	check(data, size);
	if (!fixed)
		return 0;
	memcpy(fixed, data, size);
	repair(fixed, size);
	check(fixed, size);
	free(fixed);
	return 0;
}
#else
static void save(const char *dir, int n, const uint8_t *buf, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/seed-%d", dir, n);
	f = fopen(path, "w");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f))
		exit(1);
}

/* Append a record the way a session does. */
static void add(struct lu_manifest *m, uint8_t *rec, size_t len)
{
	struct lu_mf_item item;
	size_t rlen;
	char why[256];

	if (!lu_manifest_fits(m, len) ||
	    lu_manifest_prepare(m, rec, len, &rlen, &item, why, sizeof(why)))
		exit(1);
	lu_manifest_commit(m, rec, len, &item);
	free(rec);
}

int main(int argc, char **argv)
{
	static uint8_t image[2 * 1024];
	struct liveupdate_meta meta[] = { { "node", "1" }, { "k", "" } };
	struct liveupdate_entry e = { .label = "ram", .token = 1, .size = 4096,
				      .kind = LIVEUPDATE_ENTRY_MEMORY, .backing = 2,
				      .page_size = 2u << 20, .meta = meta, .n_meta = 2 };
	struct lu_manifest m;
	uint8_t *rec;
	size_t len;
	int n = 0;

	if (argc != 2)
		return 2;
	lu_manifest_init_image(&m, image, sizeof(image) / 2);
	save(argv[1], n++, image, sizeof(image));       /* empty */
	if (lu_mf_encode_file(&e, &rec, &len))
		return 1;
	add(&m, rec, len);
	save(argv[1], n++, image, sizeof(image));       /* one file, in copy 1 */
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
	save(argv[1], n++, image, sizeof(image));       /* both copies used */
	lu_manifest_clear(&m);
	return 0;
}
#endif
