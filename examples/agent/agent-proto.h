/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * agent-proto: the agent's messages (doc/agent-protocol.md): one JSON
 * object per line, at most AGENT_LINE_MAX bytes, members whose values are
 * strings or booleans. The decoder is strict (anything else is refused,
 * with a reason) because its input comes from other processes.
 */
#ifndef EXAMPLES_AGENT_PROTO_H
#define EXAMPLES_AGENT_PROTO_H

#include <stdbool.h>
#include <stddef.h>

#define AGENT_LINE_MAX 4096	/* bytes per message, without the newline */
#define AGENT_ID_MAX 48		/* [A-Za-z0-9._-], not starting with '.' */
#define AGENT_PATH_MAX 255
#define AGENT_MEMBERS_MAX 8

enum agent_op {
	AGENT_OP_SUBSCRIBE,	/* {"op":"SUBSCRIBE","id":ID}   -> + link, session handed over on it */
	AGENT_OP_READY,		/* {"op":"READY","id":ID}        the client preserved all, hands it back */
	AGENT_OP_UPDATE,	/* {"op":"UPDATE"[,"kernel":P,"initrd":P,"cmdline":S]} */
	AGENT_OP_CLAIM,		/* {"op":"CLAIM","id":ID}        -> + incoming session fd */
	AGENT_OP_LIST,		/* {"op":"LIST"}                 -> ids by state */
};

struct agent_request {
	enum agent_op op;
	char id[AGENT_ID_MAX + 1];
	char kernel[AGENT_PATH_MAX + 1];	/* "" when absent */
	char initrd[AGENT_PATH_MAX + 1];
	char cmdline[AGENT_LINE_MAX];
};

/* One decoded member: its key and its value (unescaped, NUL-terminated, or
 * "true"/"false" with is_bool set). */
struct agent_member {
	char key[16];
	char value[AGENT_LINE_MAX];
	bool is_bool;
};

/* Decode one line (no newline) into at most AGENT_MEMBERS_MAX members.
 * Returns the number of members, or -1 with *why set to a static reason. */
int agent_json_decode(const char *line, size_t len, struct agent_member *m,
		      const char **why);

/* Decode a request; 0, or -1 with *why. */
int agent_request_decode(const char *line, size_t len, struct agent_request *req,
			 const char **why);

/* Append "key":"value" (escaped) or "key":true to the object being built
 * in @buf (of @size bytes), which starts as "{"; agent_json_end() closes
 * it with "}\n". Return -1 once it would not fit (the message is then
 * useless), 0 otherwise. */
int agent_json_string(char *buf, size_t size, const char *key, const char *value);
int agent_json_bool(char *buf, size_t size, const char *key, bool value);
int agent_json_end(char *buf, size_t size);

/* A valid id: 1 to AGENT_ID_MAX bytes of [A-Za-z0-9._-], not starting with '.'. */
bool agent_id_valid(const char *id);

#endif
