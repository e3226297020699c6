/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * liveupdate-sim's tables of files by (dev, ino), in the layout of struct
 * lu_sim_table (sim-proto.h): an open-addressing hash table changed under
 * its seqlock, so that a change costs the same however full it is.
 *
 * The frozen-file table lists every file preserved in an outgoing session,
 * in a sealed memfd that clients map read-only, so that the shim can tell
 * without a round trip that a write cannot hit a frozen memfd. The model
 * keeps a private table of the same kind for the incoming files already
 * retrieved (the other half of the kernel's "preserved anywhere" check).
 */
#ifndef LIBLIVEUPDATE_SIM_FROZEN_H
#define LIBLIVEUPDATE_SIM_FROZEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim-proto.h"

/*
 * The frozen-file table, with room for @max_files files: in a shared memfd,
 * or in private memory when that fails (clients then ask the daemon about
 * every write: slower, not wrong). NULL when out of memory.
 */
struct lu_sim_table *sim_frozen_init(size_t max_files);
/* Unmap it, telling the clients that hold it that this daemon is gone. */
void sim_frozen_fini(void);
/* The read-only fd clients map (LU_SIM_TABLE), or -1. */
int sim_frozen_fd(void);

/* A private table with room for @max files, or NULL; freed with sim_table_free(). */
struct lu_sim_table *sim_table_new(size_t max);
void sim_table_free(struct lu_sim_table *t);

/* (dev, ino) is never { 0, 0 }; a file listed twice is listed once. */
void sim_table_add(struct lu_sim_table *t, uint64_t dev, uint64_t ino);
void sim_table_remove(struct lu_sim_table *t, uint64_t dev, uint64_t ino);
bool sim_table_has(const struct lu_sim_table *t, uint64_t dev, uint64_t ino);
void sim_table_clear(struct lu_sim_table *t);

#endif
