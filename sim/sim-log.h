/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* liveupdate-sim's daemon log: one line per event on stderr, with the time. */
#ifndef LIBLIVEUPDATE_SIM_LOG_H
#define LIBLIVEUPDATE_SIM_LOG_H

#include <stdbool.h>

/* Log every request too (liveupdate-sim --verbose). */
extern bool sim_verbose;

void sim_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define sim_vlog(...) do { if (sim_verbose) sim_log(__VA_ARGS__); } while (0)

#endif
