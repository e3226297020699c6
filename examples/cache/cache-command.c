/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cache-command: see cache-command.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cache-command.h"

/* The next space-separated word of [*p, end): its start and length. */
static size_t word(const char **p, const char *end, const char **w)
{
	const char *s = *p;

	while (s < end && *s == ' ')
		s++;
	*w = s;
	while (s < end && *s != ' ')
		s++;
	*p = s;
	return (size_t)(s - *w);
}

static int is(const char *w, size_t n, const char *cmd)
{
	return n == strlen(cmd) && !memcmp(w, cmd, n);
}

enum cache_action cache_command(struct cache_store *c, const char *line, size_t len,
				char *reply, size_t reply_size)
{
	const char *p = line, *end = line + len, *cmd, *key, *rest, *value;
	size_t ncmd, nkey, nrest, vlen;
	int ret;

	if (len > CACHE_LINE_MAX) {
		snprintf(reply, reply_size, "ERROR line longer than %d bytes", CACHE_LINE_MAX);
		return CACHE_GO_ON;
	}
	for (size_t i = 0; i < len; i++)
		if (line[i] < 0x20 || line[i] > 0x7e) {
			snprintf(reply, reply_size, "ERROR byte %zu is not printable ASCII", i);
			return CACHE_GO_ON;
		}
	ncmd = word(&p, end, &cmd);
	nkey = word(&p, end, &key);
	if (p < end)
		p++;	/* the value starts after exactly one space */
	rest = p;
	nrest = (size_t)(end - p);

	if (is(cmd, ncmd, "SET") && nkey) {
		ret = cache_store_set(c, key, nkey, rest, nrest);
		snprintf(reply, reply_size, "%s", ret == 0 ? "OK" :
			 ret == -E2BIG ? "ERROR key over 63 or value over 187 bytes" :
			 "ERROR the cache is full");
	} else if ((is(cmd, ncmd, "GET") || is(cmd, ncmd, "DEL")) && nkey && !nrest) {
		if (cmd[0] == 'D')
			ret = cache_store_del(c, key, nkey);
		else
			ret = cache_store_get(c, key, nkey, &value, &vlen);
		if (ret < 0)
			snprintf(reply, reply_size, "NOT_FOUND");
		else if (cmd[0] == 'D')
			snprintf(reply, reply_size, "OK");
		else
			snprintf(reply, reply_size, "VALUE %.*s", (int)vlen, value);
	} else if (is(cmd, ncmd, "COUNT") && !nkey) {
		snprintf(reply, reply_size, "COUNT %" PRIu64 " CHECKSUM %016" PRIx64,
			 cache_store_count(c), cache_store_checksum(c));
	} else if (is(cmd, ncmd, "UPDATE") && !nkey) {
		snprintf(reply, reply_size, "OK updating");
		return CACHE_UPDATE;
	} else if (is(cmd, ncmd, "QUIT") && !nkey) {
		snprintf(reply, reply_size, "OK bye");
		return CACHE_QUIT;
	} else {
		snprintf(reply, reply_size, "ERROR unknown command or wrong arguments: "
			 "SET KEY VALUE, GET KEY, DEL KEY, COUNT, UPDATE, QUIT");
	}
	return CACHE_GO_ON;
}
