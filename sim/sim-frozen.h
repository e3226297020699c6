/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * liveupdate-sim's frozen-file table: the (dev, ino) of every file
 * preserved in an outgoing session, in a sealed memfd that clients map
 * read-only (struct lu_sim_table in sim-proto.h), so that the shim can tell
 * without a round trip that a write cannot hit a frozen memfd. Every
 * change is made under the table's seqlock.
 */
#ifndef LIBLIVEUPDATE_SIM_FROZEN_H
#define LIBLIVEUPDATE_SIM_FROZEN_H

#include <stddef.h>
#include <stdint.h>

/* Room for @max_files files. Without it clients ask the daemon instead. */
void sim_frozen_init(size_t max_files);
/* Unmap it, telling the clients that hold it that this daemon is gone. */
void sim_frozen_fini(void);
/* The read-only fd clients map (LU_SIM_TABLE), or -1. */
int sim_frozen_fd(void);

void sim_frozen_add(uint64_t dev, uint64_t ino);
void sim_frozen_remove(uint64_t dev, uint64_t ino);
/* Nothing is outgoing any more (the simulated kexec). */
void sim_frozen_clear(void);

#endif
