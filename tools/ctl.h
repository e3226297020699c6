/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* liveupdate-ctl: what its subcommands share. */
#ifndef LIVEUPDATE_CTL_H
#define LIVEUPDATE_CTL_H

#include <stdbool.h>
#include <stdio.h>

#include <liveupdate/liveupdate.h>

/* Exit codes a rollout can act on. */
enum {
	CTL_POSSIBLE = 0,    /* live update possible / all checks passed */
	CTL_NOT_POSSIBLE = 1,
	CTL_ERROR = 2,       /* bad usage, or the query itself failed */
};

struct ctl {
	struct liveupdate_ctx *ctx;
	struct liveupdate_state *state;
	const char *root;    /* --root, NULL for "/" */
	const char *device;  /* --device, NULL for /dev/liveupdate */
};

/* "Linux 7.3.4" facts: printf-style value, then "(source)" or the reason. */
void ctl_fact(const struct liveupdate_state *st, const char *label,
	      enum liveupdate_fact fact, const char *value);

/* liveupdate-ctl mount-huge [--size SIZE] [--mode MODE] [PATH] */
struct ctl_mount_opts {
	const char *size;    /* NULL: tmpfs's default (half the RAM) */
	const char *mode;    /* NULL: 0700 */
	const char *path;    /* NULL: LIVEUPDATE_MEMORY_TMPFS_PATH */
};
int ctl_mount_huge(const struct ctl_mount_opts *o);

/* liveupdate-ctl manifest (--fd N | NAME) */
int ctl_manifest(const struct ctl *c, const char *fd_arg, const char *name);

/* liveupdate-ctl hold SOCKET */
int ctl_hold(const struct ctl *c, const char *path);

int ctl_status_text(const struct ctl *c);
int ctl_status_json(const struct ctl *c, FILE *out);
int ctl_kho(const struct ctl *c);
int ctl_preflight(const struct ctl *c);

/* Exit code of `status` for this state. */
int ctl_status_code(const struct liveupdate_state *st);

#endif
