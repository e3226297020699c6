/*
 * harness.h: what the guest's PID 1 (init.c), the scenarios' runtime
 * (lutest.c) and the cpio writer (cpio.c) share. Scenarios use lutest.h.
 */
#ifndef LUTEST_HARNESS_H
#define LUTEST_HARNESS_H

#include <stddef.h>

#include "lutest.h"

/* One line on the console, never split (lutest.c). */
void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Every byte or -1, retrying EINTR. */
int write_all(int fd, const void *buf, size_t len);
/* Append v to a growing array; out of memory ends the harness. */
void push_int(int **arr, size_t *n, size_t *cap, int v);

/* This stage's /lutest-state ("scenario\tkey\tvalue" lines), read by PID 1. */
extern char *state_in;

/*
 * In a scenario's child process: run one stage of sc, reporting to PID 1
 * on report_fd (state lines, fds to hold, the end) and waiting on ack_fd
 * until PID 1 has copied the fds. Exits with the stage's LT_* code.
 */
__attribute__((noreturn)) void lt_run_stage(const struct lt_scenario *sc, int stage,
					    int report_fd, int ack_fd);

/* One newc cpio entry, a regular file, or the trailer when data is NULL
 * (cpio.c). Returns 0 or -1 with errno. */
int cpio_entry(int fd, unsigned ino, const char *name, const void *data, size_t len);

#endif
