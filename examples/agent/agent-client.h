/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * agent-client: the client side of the delegation model. A program that
 * does not own /dev/liveupdate asks the agent for a session, receives it
 * with its manifest (liveupdate_session_receive()), preserves and labels
 * its files in it and says READY, handing it back to the agent; after the
 * reboot it CLAIMs the session back and retrieves its files by label.
 */
#ifndef EXAMPLES_AGENT_CLIENT_H
#define EXAMPLES_AGENT_CLIENT_H

#include <stddef.h>

#include <liveupdate/liveupdate.h>

#include "agent-proto.h"

/* A connection to the agent's socket; the fd or -errno. */
int agent_connect(const char *path);

/* Send one request line (without newline) and read the answer line into
 * @reply (AGENT_LINE_MAX + 2 bytes, NUL-terminated, newline removed) and
 * the fd that came with it into *fdp (-1 if none). 0 or -errno. */
int agent_call(int sock, const char *request, char *reply, size_t reply_size, int *fdp);

/* 0 if @reply says "ok":true, else -1 with its "error" in @why. */
int agent_reply_check(const char *reply, char *why, size_t why_size);

/* {"op":OP,"id":ID} and its answer; *sp gets the session fd the agent
 * sent, adopted (CLAIM). 0, or -1 with @why. */
int agent_request(struct liveupdate_ctx *ctx, int sock, const char *op, const char *id,
		  struct liveupdate_session **sp, char *why, size_t why_size);

/* SUBSCRIBE: *sp gets the session of @id, received with its manifest on
 * the link that came with the answer (*linkp: keep it for READY). 0, or
 * -1 with @why. */
int agent_subscribe(struct liveupdate_ctx *ctx, int sock, const char *id,
		    struct liveupdate_session **sp, int *linkp, char *why, size_t why_size);

/* READY: hand @s back to the agent on @link (s is the agent's again: unref
 * it, close the link). 0, or -1 with @why (then s is still the caller's). */
int agent_ready(int sock, const char *id, struct liveupdate_session *s, int link,
		char *why, size_t why_size);

#endif
