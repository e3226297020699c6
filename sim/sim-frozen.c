/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* liveupdate-sim's frozen-file table: see sim-frozen.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sim-daemon-private.h"
#include "sim-frozen.h"
#include "sim-proto.h"

static struct lu_sim_table *table; /* mapped read-write */
static size_t table_len;
static int table_fd = -1;          /* read-only, for clients */

static int cmp_entry(const struct lu_sim_table_entry *x, const struct lu_sim_table_entry *y)
{
	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

/* Where e is, or would go, in the sorted entries. */
static uint64_t position(const struct lu_sim_table_entry *e)
{
	uint64_t lo = 0, hi = table->count;

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (cmp_entry(&table->entries[mid], e) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The seqlock: odd while the table changes. */
static void write_begin(void)
{
	__atomic_store_n(&table->seq, table->seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

static void write_end(void)
{
	__atomic_store_n(&table->seq, table->seq + 1, __ATOMIC_RELEASE);
}

void sim_frozen_add(uint64_t dev, uint64_t ino)
{
	struct lu_sim_table_entry e = { .dev = dev, .ino = ino };
	uint64_t at;

	if (!table || table->count >= table->cap)
		return;
	at = position(&e);
	write_begin();
	memmove(&table->entries[at + 1], &table->entries[at],
		(size_t)(table->count - at) * sizeof(table->entries[0]));
	table->entries[at] = e;
	table->count++;
	write_end();
}

void sim_frozen_remove(uint64_t dev, uint64_t ino)
{
	struct lu_sim_table_entry e = { .dev = dev, .ino = ino };
	uint64_t at;

	if (!table)
		return;
	at = position(&e);
	if (at == table->count || cmp_entry(&table->entries[at], &e))
		return;
	write_begin();
	memmove(&table->entries[at], &table->entries[at + 1],
		(size_t)(table->count - at - 1) * sizeof(table->entries[0]));
	table->count--;
	write_end();
}

void sim_frozen_clear(void)
{
	if (!table)
		return;
	write_begin();
	table->count = 0;
	write_end();
}

/*
 * A memfd sealed against growing and against new writable mappings: our
 * mapping is the only writable one; clients get a read-only fd.
 */
void sim_frozen_init(size_t max_files)
{
	size_t len = sizeof(struct lu_sim_table) + max_files * sizeof(struct lu_sim_table_entry);
	char path[64];
	void *p;
	int fd;

	table_fd = -1;
	len = (len + 4095) / 4096 * 4096;
	fd = memfd_create("liveupdate-sim-frozen", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0 || ftruncate(fd, (off_t)len) < 0)
		goto fail;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		goto fail;
	table = p;
	table_len = len;
	table->magic = LU_SIM_TABLE_MAGIC;
	table->pid = (uint32_t)getpid();
	table->alive = 1;
	table->cap = (uint32_t)max_files;
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_FUTURE_WRITE) < 0)
		fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW);
	fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	table_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (table_fd < 0)
		table_fd = fd; /* no /proc: clients map it read-only all the same */
	else
		close(fd);
	return;
fail:
	/* clients then ask about every write: slower, not wrong */
	sim_log("no frozen-file table: %s", strerror(errno));
	if (fd >= 0)
		close(fd);
}

void sim_frozen_fini(void)
{
	if (table) {
		/* clients holding the map ask the next daemon for a new one */
		__atomic_store_n(&table->alive, 0, __ATOMIC_RELEASE);
		munmap(table, table_len);
		table = NULL;
	}
	if (table_fd >= 0)
		close(table_fd);
	table_fd = -1;
}

int sim_frozen_fd(void)
{
	return table_fd;
}
