/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reading the host's files under a root directory, so that tests point the
 * readers at a fixture tree instead of /proc and /sys.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lu-util.h"

int lu_util_path_under(char *buf, size_t len, const char *root, const char *path)
{
	int n;

	if (!root || !strcmp(root, "/"))
		root = "";
	n = snprintf(buf, len, "%s%s", root, path);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int lu_util_read_under(const char *root, const char *path, size_t max,
		       char **bufp, size_t *lenp)
{
	char full[8192];
	size_t len = 0, cap = 4096;
	char *buf, *grown;
	ssize_t n;
	int fd, err;

	err = lu_util_path_under(full, sizeof(full), root, path);
	if (err)
		return err;
	fd = open(full, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	buf = malloc(cap + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	/* read one byte past max to tell "exactly max" from "more" */
	for (;;) {
		if (len == cap) {
			if (cap > max) {
				err = -EFBIG;
				break;
			}
			cap *= 2;
			grown = realloc(buf, cap + 1);
			if (!grown) {
				err = -ENOMEM;
				break;
			}
			buf = grown;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (!err && len > max)
		err = -EFBIG;
	if (err) {
		free(buf);
		return err;
	}
	buf[len] = '\0';
	*bufp = buf;
	*lenp = len;
	return 0;
}

int lu_util_read_cmdline(const char *root, size_t max, char **bufp)
{
	size_t len;
	char *buf;
	int err = lu_util_read_under(root, "/proc/cmdline", max, &buf, &len);

	if (err)
		return err;
	buf[strcspn(buf, "\n")] = '\0';
	*bufp = buf;
	return 0;
}
