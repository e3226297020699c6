/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The daemon's (dev, ino) tables (sim/sim-frozen.c) against a plain list:
 * random adds and removes on small tables full of collisions, every answer
 * checked three ways (the daemon's lookup, the clients' seqlock reader
 * lu_sim_table_has() on a read-only mapping of the shared table, and the
 * list), and the layout's promise that each entry is found from its home
 * slot without crossing a free one.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim-control.h"
#include "sim-daemon-private.h"
#include "sim-frozen.h"
#include "../check-plain.h"

#define MAX_FILES 40
#define KEYS 197 /* more keys than room (half the slots): adds meet a full table too */
#define ROUNDS 20000

static uint64_t rng = 0x9e3779b97f4a7c15ull;

/* sim-frozen.c logs through the daemon's logger */
void sim_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Every entry is reachable: no free slot between its home and itself. */
static int probes_reach(const struct lu_sim_table *t)
{
	uint32_t mask = t->cap - 1;
	uint64_t used = 0;

	for (uint32_t at = 0; at < t->cap; at++) {
		const struct lu_sim_table_entry *e = &t->entries[at];

		if (!e->dev && !e->ino)
			continue;
		used++;
		for (uint32_t p = lu_sim_table_slot(e->dev, e->ino, t->cap); p != at;
		     p = (p + 1) & mask)
			if (!t->entries[p].dev && !t->entries[p].ino)
				return 0;
	}
	return used == t->count;
}

static void exercise(struct lu_sim_table *t, const struct lu_sim_table *view)
{
	int listed[KEYS] = { 0 }, n = 0;

	for (int round = 0; round < ROUNDS; round++) {
		int k = (int)(rnd() % KEYS);
		/* few devices, so that (dev, ino) pairs share inode numbers */
		uint64_t dev = 1 + (uint64_t)(k % 3), ino = 1 + (uint64_t)(k / 3);

		if (rnd() % 64 == 0) {
			sim_table_clear(t);
			for (int i = 0; i < KEYS; i++)
				listed[i] = 0;
			n = 0;
		} else if (rnd() % 2) {
			sim_table_add(t, dev, ino);
			if (!listed[k] && n < (int)(t->cap / 2)) {
				listed[k] = 1;
				n++;
			}
		} else {
			sim_table_remove(t, dev, ino);
			n -= listed[k];
			listed[k] = 0;
		}
		CHECK_THAT(t->count == (uint64_t)n,
			   "round %d, key %d: count", round, k);
		CHECK_THAT(!(t->seq & 1), "round %d, key %d: seqlock left odd", round, k);
		for (int i = 0; i < KEYS; i++) {
			uint64_t d = 1 + (uint64_t)(i % 3), in = 1 + (uint64_t)(i / 3);

			CHECK_THAT(sim_table_has(t, d, in) == listed[i],
				   "round %d, key %d: daemon's lookup", round, i);
			CHECK_THAT(lu_sim_table_has(view, d, in) == listed[i],
				   "round %d, key %d: clients' lookup", round, i);
		}
		CHECK_THAT(probes_reach(t),
			   "round %d, key %d: an entry out of its probe run", round, k);
	}
}

int main(void)
{
	struct lu_sim_table *priv = sim_table_new(MAX_FILES), *shared;
	const struct lu_sim_table *view;
	struct stat st;
	int fd;

	if (!priv) {
		printf("FAIL: sim_table_new\n");
		return 1;
	}
	exercise(priv, priv);
	sim_table_free(priv);

	shared = sim_frozen_init(MAX_FILES);
	fd = sim_frozen_fd();
	if (!shared || fd < 0 || fstat(fd, &st) < 0) {
		printf("skip: no shared table here\n");
		sim_frozen_fini();
		return 77;
	}
	view = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (view == MAP_FAILED) {
		printf("FAIL: mmap of the shared table\n");
		return 1;
	}
	exercise(shared, view);
	munmap((void *)view, (size_t)st.st_size);
	sim_frozen_fini();
	printf("ok: %d rounds of adds and removes, twice\n", ROUNDS);
	return 0;
}
