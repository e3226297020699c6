/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cache-command: the cache's text protocol, one command per line, one
 * answer line per command (see examples/cache/README):
 *
 *   SET KEY VALUE   -> OK              GET KEY   -> VALUE VALUE | NOT_FOUND
 *   DEL KEY         -> OK | NOT_FOUND  COUNT     -> COUNT N CHECKSUM HEX
 *   UPDATE          -> OK updating     QUIT      -> OK bye
 *   anything else   -> ERROR why
 *
 * KEY is 1 to 63 printable ASCII bytes without spaces; VALUE, the rest of
 * the line, 0 to 187 printable ASCII bytes.
 */
#ifndef EXAMPLES_CACHE_COMMAND_H
#define EXAMPLES_CACHE_COMMAND_H

#include <stddef.h>

#include "cache-store.h"

#define CACHE_LINE_MAX 512	/* bytes, without the newline */

enum cache_action { CACHE_GO_ON, CACHE_UPDATE, CACHE_QUIT };

/* Run one command: @line (@len bytes, no newline, untrusted) against @c;
 * write the NUL-terminated answer, without newline, into @reply (at least
 * CACHE_LINE_MAX bytes). */
enum cache_action cache_command(struct cache_store *c, const char *line, size_t len,
				char *reply, size_t reply_size);

#endif
