/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* liveupdate-sim's tables of files by (dev, ino): see sim-frozen.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sim-daemon-private.h"
#include "sim-frozen.h"
#include "sim-log.h"

static struct lu_sim_table *frozen; /* mapped read-write, or private memory */
static size_t frozen_len;           /* 0 when private */
static int frozen_fd = -1;          /* read-only, for clients */

/* Bytes for a table of @max files: at least twice as many slots. */
static size_t table_size(size_t max, uint32_t *cap)
{
	*cap = 16;
	while (*cap < 2 * max)
		*cap *= 2;
	return sizeof(struct lu_sim_table) + (size_t)*cap * sizeof(struct lu_sim_table_entry);
}

static void table_init(struct lu_sim_table *t, uint32_t cap)
{
	t->magic = LU_SIM_TABLE_MAGIC;
	t->pid = (uint32_t)getpid();
	t->alive = 1;
	t->cap = cap;
}

/* The seqlock: odd while the table changes. */
static void write_begin(struct lu_sim_table *t)
{
	__atomic_store_n(&t->seq, t->seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

static void write_end(struct lu_sim_table *t)
{
	__atomic_store_n(&t->seq, t->seq + 1, __ATOMIC_RELEASE);
}

static bool is_free(const struct lu_sim_table_entry *e)
{
	return !e->dev && !e->ino;
}

/* The slot holding (dev, ino), or the free slot where it would go. */
static uint32_t find(const struct lu_sim_table *t, uint64_t dev, uint64_t ino)
{
	uint32_t at = lu_sim_table_slot(dev, ino, t->cap);

	while (!is_free(&t->entries[at]) &&
	       (t->entries[at].dev != dev || t->entries[at].ino != ino))
		at = (at + 1) & (t->cap - 1);
	return at;
}

bool sim_table_has(const struct lu_sim_table *t, uint64_t dev, uint64_t ino)
{
	return !is_free(&t->entries[find(t, dev, ino)]);
}

void sim_table_add(struct lu_sim_table *t, uint64_t dev, uint64_t ino)
{
	uint32_t at = find(t, dev, ino);

	/* the callers' limits keep it at most half full */
	if (!is_free(&t->entries[at]) || t->count >= t->cap / 2)
		return;
	write_begin(t);
	t->entries[at].dev = dev;
	t->entries[at].ino = ino;
	t->count++;
	write_end(t);
}

/*
 * Backward-shift deletion: the entries after the hole that would no
 * longer be found past it move back into it, so that no lookup ever stops
 * early and no tombstone piles up.
 */
void sim_table_remove(struct lu_sim_table *t, uint64_t dev, uint64_t ino)
{
	uint32_t mask = t->cap - 1, hole = find(t, dev, ino), at = hole;

	if (is_free(&t->entries[hole]))
		return;
	write_begin(t);
	for (;;) {
		struct lu_sim_table_entry *e;
		uint32_t home;

		at = (at + 1) & mask;
		e = &t->entries[at];
		if (is_free(e))
			break;
		home = lu_sim_table_slot(e->dev, e->ino, t->cap);
		/* stays if its home lies cyclically in (hole, at] */
		if (((at - home) & mask) < ((at - hole) & mask))
			continue;
		t->entries[hole] = *e;
		hole = at;
	}
	t->entries[hole].dev = 0;
	t->entries[hole].ino = 0;
	t->count--;
	write_end(t);
}

void sim_table_clear(struct lu_sim_table *t)
{
	if (!t->count)
		return;
	write_begin(t);
	memset(t->entries, 0, (size_t)t->cap * sizeof(t->entries[0]));
	t->count = 0;
	write_end(t);
}

struct lu_sim_table *sim_table_new(size_t max)
{
	uint32_t cap;
	struct lu_sim_table *t = calloc(1, table_size(max, &cap));

	if (t)
		table_init(t, cap);
	return t;
}

void sim_table_free(struct lu_sim_table *t)
{
	free(t);
}

/*
 * A memfd sealed against growing and against new writable mappings: our
 * mapping is the only writable one; clients get a read-only fd.
 */
struct lu_sim_table *sim_frozen_init(size_t max_files)
{
	uint32_t cap;
	size_t len = (table_size(max_files, &cap) + 4095) / 4096 * 4096;
	char path[64];
	void *p;
	int fd;

	frozen_fd = -1;
	fd = memfd_create("liveupdate-sim-frozen", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0 || ftruncate(fd, (off_t)len) < 0)
		goto fail;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		goto fail;
	frozen = p;
	frozen_len = len;
	table_init(frozen, cap);
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_FUTURE_WRITE) < 0)
		fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW);
	fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	frozen_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (frozen_fd < 0)
		frozen_fd = fd; /* no /proc: clients map it read-only all the same */
	else
		close(fd);
	return frozen;
fail:
	/* clients then ask about every write: slower, not wrong */
	sim_log("no shared frozen-file table: %s", strerror(errno));
	if (fd >= 0)
		close(fd);
	frozen = sim_table_new(max_files);
	return frozen;
}

void sim_frozen_fini(void)
{
	if (frozen && frozen_len) {
		/* clients holding the map ask the next daemon for a new one */
		__atomic_store_n(&frozen->alive, 0, __ATOMIC_RELEASE);
		munmap(frozen, frozen_len);
	} else {
		sim_table_free(frozen);
	}
	frozen = NULL;
	frozen_len = 0;
	if (frozen_fd >= 0)
		close(frozen_fd);
	frozen_fd = -1;
}

int sim_frozen_fd(void)
{
	return frozen_fd;
}
