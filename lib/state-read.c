/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading the host's files for the state queries, under the query's root,
 * and recording where each fact came from or why it is missing. */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "state-private.h"

int lu_state_read(const struct lu_state_root *root, const char *path,
		  size_t max, char **bufp, size_t *lenp)
{
	return lu_util_read_under(root->dir, path, max, bufp, lenp);
}

int lu_state_read_line(const struct lu_state_root *root, const char *path,
		       char *out, size_t size)
{
	char *buf;
	size_t len;
	int err = lu_state_read(root, path, 64 * 1024, &buf, &len);

	if (err)
		return err;
	buf[strcspn(buf, "\n")] = '\0';
	snprintf(out, size, "%s", buf);
	free(buf);
	return 0;
}

int lu_state_stat(const struct lu_state_root *root, const char *path,
		  struct stat *st)
{
	char full[2 * LU_STATE_PATH_MAX];
	int err = lu_util_path_under(full, sizeof(full), root->dir, path);

	if (err)
		return err;
	return stat(full, st) < 0 ? -errno : 0;
}

DIR *lu_state_opendir(const struct lu_state_root *root, const char *path)
{
	char full[2 * LU_STATE_PATH_MAX];
	int err = lu_util_path_under(full, sizeof(full), root->dir, path);

	if (err) {
		errno = -err;
		return NULL;
	}
	return opendir(full);
}

int lu_state_cmdline(const struct lu_state_root *root, const char *key,
		     char *value, size_t size)
{
	size_t klen = strlen(key);
	char *buf, *tok, *save;
	int found = 0, err;

	err = lu_util_read_cmdline(root->dir, 64 * 1024, &buf);
	if (err)
		return err;
	/* the kernel applies each occurrence in turn: the last one wins */
	for (tok = strtok_r(buf, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save)) {
		if (strncmp(tok, key, klen) == 0 && tok[klen] == '=') {
			snprintf(value, size, "%s", tok + klen + 1);
			found = 1;
		}
	}
	free(buf);
	return found;
}

int lu_state_kbool(const char *v)
{
	switch (v[0]) {
	case 'y': case 'Y': case '1':
		return 1;
	case 'n': case 'N': case '0':
		return 0;
	case 'o': case 'O':
		if (v[1] == 'n' || v[1] == 'N')
			return 1;
		if (v[1] == 'f' || v[1] == 'F')
			return 0;
	}
	return -1;
}

static const char *const avail_names[] = {
	[LIVEUPDATE_AVAIL_YES] = "available",
	[LIVEUPDATE_AVAIL_SIMULATED] = "simulated",
	[LIVEUPDATE_AVAIL_KERNEL_TOO_OLD] = "kernel-too-old",
	[LIVEUPDATE_AVAIL_NO_CONFIG] = "no-config",
	[LIVEUPDATE_AVAIL_KHO_DISABLED] = "kho-disabled",
	[LIVEUPDATE_AVAIL_NO_CMDLINE] = "no-cmdline",
	[LIVEUPDATE_AVAIL_BUSY] = "busy",
	[LIVEUPDATE_AVAIL_PERMISSION] = "permission-denied",
	[LIVEUPDATE_AVAIL_NO_DEVICE] = "no-device",
	[LIVEUPDATE_AVAIL_DEVICE_ERROR] = "device-error",
};

static void set_text(char *dst, size_t size, const char *fmt, va_list args)
{
	vsnprintf(dst, size, fmt, args);
}

void lu_state_set_source(struct liveupdate_state *st, enum liveupdate_fact f,
			 const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	set_text(st->facts[f].source, sizeof(st->facts[f].source), fmt, args);
	va_end(args);
	st->facts[f].missing[0] = '\0';
}

void lu_state_set_missing(struct liveupdate_state *st, enum liveupdate_fact f,
			  const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	set_text(st->facts[f].missing, sizeof(st->facts[f].missing), fmt, args);
	va_end(args);
	st->facts[f].source[0] = '\0';
}

LU_EXPORT const char *liveupdate_avail_name(enum liveupdate_avail avail)
{
	if ((unsigned)avail >= sizeof(avail_names) / sizeof(avail_names[0]))
		return NULL;
	return avail_names[avail];
}
