/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lookup: time per label lookup in a session manifest of 500 entries (the
 * kernel's stress figure) and of 5,000, in one run. Each manifest is
 * written by the library's writer, as a session writes it, and read back
 * by its decoder, as the first manifest call of an incoming session does;
 * the lookups are those of liveupdate_session_find_entry(). Sizes
 * alternate, each measured REPEATS times; prints the median and spread
 * per size and the ratio of the medians. Timing is reported, never
 * asserted; that every lookup finds its own entry is.
 *
 * Usage: lookup [LOOKUPS]   (per measurement; default 1000000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "manifest-format.h"
#include "../check-plain.h"

#define REPEATS 7
static const size_t sizes[] = { 500, 5000 };
#define N_SIZES (sizeof(sizes) / sizeof(sizes[0]))

struct bench {
	size_t n;
	struct lu_manifest m;
	char **queries;         /* labels in a random order, repeated */
	double ns[REPEATS];
};

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void label_of(char *buf, size_t len, size_t i)
{
	snprintf(buf, len, "vm-%zu/guest-ram-%zu", i % 7, i);
}

/* n entries, written and read back as a session would. */
static void build(struct bench *b, size_t n, size_t lookups)
{
	struct lu_mf_piece piece = { .size = LU_MF_HEADER_SIZE + n * 96 };
	struct lu_manifest w = { .pieces = calloc(LU_MF_PIECES_MAX, sizeof(*w.pieces)) };
	char label[64], why[256];

	piece.map = calloc(1, piece.size);
	if (!piece.map || !w.pieces)
		FAIL("out of memory");
	lu_mf_piece_init(piece.map, 0);
	lu_manifest_add_piece(&w, piece.map, piece.size);
	for (size_t i = 0; i < n; i++) {
		struct liveupdate_entry e = { .label = label, .token = i,
					      .kind = LIVEUPDATE_ENTRY_MEMFD, .size = 4096 };
		struct lu_mf_item item;
		uint8_t *rec;
		size_t len, rlen;

		label_of(label, sizeof(label), i);
		if (lu_mf_encode_file(&e, &rec, &len) || !lu_manifest_fits(&w, len) ||
		    lu_manifest_prepare(&w, rec, len, &rlen, &item, why, sizeof(why)))
			FAIL("writing the manifest");
		lu_manifest_commit(&w, rec, len, &item);
		free(rec);
	}
	free(w.pieces);
	lu_manifest_clear(&w);
	if (lu_manifest_decode(&piece, 1, &b->m, why, sizeof(why)))
		FAIL("%s", why);
	free(piece.map);
	if (b->m.count != n)
		FAIL("entries lost");
	b->n = n;
	b->queries = malloc(lookups * sizeof(*b->queries));
	if (!b->queries)
		FAIL("out of memory");
	for (size_t q = 0; q < lookups; q++)
		b->queries[q] = (char *)b->m.entries[(size_t)random() % n]->pub.label;
}

static double measure(const struct bench *b, size_t lookups)
{
	double t = now_ns();

	for (size_t q = 0; q < lookups; q++) {
		const struct liveupdate_entry *e = lu_manifest_find(&b->m, b->queries[q]);

		if (!e || e->label != b->queries[q])
			FAIL("a lookup found the wrong entry");
	}
	return (now_ns() - t) / (double)lookups;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	size_t lookups = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
	struct bench b[N_SIZES];
	double median[N_SIZES];

	srandom(42);
	for (size_t s = 0; s < N_SIZES; s++)
		build(&b[s], sizes[s], lookups);
	for (size_t s = 0; s < N_SIZES; s++)
		measure(&b[s], lookups / 10); /* warm up */
	for (int r = 0; r < REPEATS; r++)
		for (size_t k = 0; k < N_SIZES; k++) {
			size_t s = r % 2 ? N_SIZES - 1 - k : k; /* alternate the order */

			b[s].ns[r] = measure(&b[s], lookups);
		}
	printf("label lookup, ns per lookup (%zu lookups x %d runs, alternating)\n",
	       lookups, REPEATS);
	for (size_t s = 0; s < N_SIZES; s++) {
		qsort(b[s].ns, REPEATS, sizeof(double), cmp);
		median[s] = b[s].ns[REPEATS / 2];
		printf("  %5zu entries: median %6.1f  min %6.1f  max %6.1f\n", b[s].n,
		       median[s], b[s].ns[0], b[s].ns[REPEATS - 1]);
	}
	printf("ratio %zu/%zu entries: %.2f\n", sizes[1], sizes[0], median[1] / median[0]);
	for (size_t s = 0; s < N_SIZES; s++) {
		lu_manifest_clear(&b[s].m);
		free(b[s].queries);
	}
	return 0;
}
