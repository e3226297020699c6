/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* /proc/self/mountinfo, line by line (proc(5)). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lu-util.h"

/* Undo the octal escapes of mountinfo (\040 for a space) in place. */
static void unescape(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' &&
		    s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
}

bool lu_util_mountinfo_parse(char *line, struct lu_util_mount *m)
{
	char *fields[6], *save = NULL, *tok, *dash;
	int n = 0;

	/* optional fields end with " - ", then fstype, source, options */
	dash = strstr(line, " - ");
	if (!dash)
		return false;
	*dash = '\0';
	for (tok = strtok_r(line, " ", &save); tok && n < 6; tok = strtok_r(NULL, " ", &save))
		fields[n++] = tok;
	if (n < 5)
		return false;
	m->point = fields[4];
	save = NULL;
	m->fstype = strtok_r(dash + 3, " ", &save);
	m->source = m->fstype ? strtok_r(NULL, " ", &save) : NULL;
	m->options = m->source ? strtok_r(NULL, " \n", &save) : NULL;
	if (!m->options)
		return false;
	unescape(m->point);
	unescape(m->source);
	return true;
}

int lu_util_mountinfo_foreach(const char *root,
			      int (*fn)(void *data, struct lu_util_mount *m),
			      void *data)
{
	char path[4096], *line = NULL;
	size_t cap = 0;
	FILE *f;
	int ret = lu_util_path_under(path, sizeof(path), root, "/proc/self/mountinfo");

	if (ret)
		return ret;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		struct lu_util_mount m;

		if (lu_util_mountinfo_parse(line, &m) && fn(data, &m))
			break;
	}
	free(line);
	fclose(f);
	return 0;
}
