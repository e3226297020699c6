/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One option of the running kernel's build configuration: from
 * /proc/config.gz (CONFIG_IKCONFIG_PROC; read with zlib when the library
 * was built with it) or else /boot/config-RELEASE (Debian and most
 * distributions install it).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef HAVE_ZLIB
#include <zlib.h>
#endif

#include "state-private.h"

#define CONFIG_MAX (8u << 20) /* a kernel config is about 300 KiB */

#ifdef HAVE_ZLIB
/* Inflate a gzip file held in memory; bounded by CONFIG_MAX. */
static int gunzip(const char *gz, size_t gzlen, char **outp, size_t *outlen)
{
	size_t cap = 1u << 20;
	z_stream z = { 0 };
	char *out = malloc(cap + 1), *grown;
	int ret;

	if (!out)
		return -ENOMEM;
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
		free(out);
		return -ENOMEM;
	}
	z.next_in = (unsigned char *)gz;
	z.avail_in = (unsigned)gzlen;
	do {
		if (z.total_out == cap) {
			if (cap >= CONFIG_MAX) {
				ret = Z_BUF_ERROR;
				break;
			}
			cap *= 2;
			grown = realloc(out, cap + 1);
			if (!grown) {
				ret = Z_MEM_ERROR;
				break;
			}
			out = grown;
		}
		z.next_out = (unsigned char *)out + z.total_out;
		z.avail_out = (unsigned)(cap - z.total_out);
		ret = inflate(&z, Z_NO_FLUSH);
	} while (ret == Z_OK);
	*outlen = z.total_out;
	inflateEnd(&z);
	if (ret != Z_STREAM_END) {
		free(out);
		return ret == Z_MEM_ERROR ? -ENOMEM : -EBADMSG;
	}
	out[*outlen] = '\0';
	*outp = out;
	return 0;
}
#endif

/* 'y', 'm' or 'n' for CONFIG_<option> in a config file's text. */
static char lookup(const char *text, const char *option)
{
	char set[128], unset[128];
	const char *line = text;
	size_t slen, ulen;

	slen = (size_t)snprintf(set, sizeof(set), "CONFIG_%s=", option);
	ulen = (size_t)snprintf(unset, sizeof(unset), "# CONFIG_%s is not set", option);
	while (line && *line) {
		if (strncmp(line, set, slen) == 0)
			return line[slen] == 'y' || line[slen] == 'm' ? line[slen] : 'n';
		if (strncmp(line, unset, ulen) == 0)
			return 'n';
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return 'n'; /* not listed: its dependencies are off */
}

char lu_kernel_config(const struct lu_state_root *root, const char *release,
		      const char *option, char *source, size_t source_size,
		      char *why, size_t why_size)
{
	char boot[LU_STATE_PATH_MAX], *buf, *text;
	size_t len, tlen;
	char value;
	int err;

	err = lu_state_read(root, "/proc/config.gz", CONFIG_MAX, &buf, &len);
	if (!err) {
#ifdef HAVE_ZLIB
		err = gunzip(buf, len, &text, &tlen);
		free(buf);
		if (!err) {
			value = lookup(text, option);
			free(text);
			snprintf(source, source_size, "/proc/config.gz");
			return value;
		}
		snprintf(why, why_size, "/proc/config.gz: %s", strerror(-err));
#else
		free(buf);
		snprintf(why, why_size, "/proc/config.gz: this libliveupdate was "
			 "built without zlib and cannot read it");
#endif
	} else {
		snprintf(why, why_size, "no /proc/config.gz");
	}
	if (!release || !*release || strchr(release, '/')) {
		snprintf(why + strlen(why), why_size - strlen(why),
			 ", and the kernel release is unknown");
		return 0;
	}
	snprintf(boot, sizeof(boot), "/boot/config-%s", release);
	err = lu_state_read(root, boot, CONFIG_MAX, &text, &tlen);
	if (err) {
		snprintf(why + strlen(why), why_size - strlen(why), ", no %s (%s)",
			 boot, strerror(-err));
		return 0;
	}
	value = lookup(text, option);
	free(text);
	snprintf(source, source_size, "%s", boot);
	return value;
}
