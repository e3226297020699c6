/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * liveupdate-sim, control side: requests that only the simulator's own
 * programs make (the command, the shim, the tests). See sim-control.c.
 */
#ifndef LIBLIVEUPDATE_SIM_CONTROL_H
#define LIBLIVEUPDATE_SIM_CONTROL_H

#include "sim-client.h"

/* Whether the file (dev, ino) is preserved in an outgoing session: 1 or 0. */
int lu_sim_frozen(const char *path, dev_t dev, ino_t ino);

/*
 * The frozen-file table (see struct lu_sim_table): lu_sim_table_get() maps
 * the daemon's table read-only (*lenp bytes; munmap() it when done) or
 * returns NULL with errno set. lu_sim_table_has() looks (dev, ino) up
 * consistently with the daemon's writes: 1 listed, 0 not.
 */
const struct lu_sim_table *lu_sim_table_get(const char *path, size_t *lenp);
int lu_sim_table_has(const struct lu_sim_table *t, uint64_t dev, uint64_t ino);

/*
 * PEEK: a read-only fd of the manifest memfd session @name holds, whatever
 * its direction (@direction 0: the incoming one if any, 1 outgoing, 2
 * incoming; the one found in *@directionp), without retrieving anything;
 * or -errno (-ENOENT no such session, -ENODATA no manifest).
 */
int lu_sim_peek(const char *path, const char *name, uint32_t direction,
		uint32_t *directionp);

#endif
