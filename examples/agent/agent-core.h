/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * agent-core: the delegation model's daemon side, without its sockets'
 * event loop: it owns /dev/liveupdate, creates a session per client id
 * ("agent.ID") and hands it to the client with its manifest
 * (liveupdate_session_handover() on a socketpair whose other end goes with
 * the answer), takes it back the same way at READY, remembers which ids it
 * holds in a registry of its own (session "luo-agent"), and after the
 * reboot takes them all back and hands each to the client that claims it.
 */
#ifndef EXAMPLES_AGENT_CORE_H
#define EXAMPLES_AGENT_CORE_H

#include <stdbool.h>
#include <stddef.h>

#include <liveupdate/liveupdate.h>

#include "agent-proto.h"

#define AGENT_SESSIONS_MAX 16
#define AGENT_REGISTRY_SESSION "luo-agent"

struct agent_entry {
	char id[AGENT_ID_MAX + 1];
	struct liveupdate_session *session;
	/* while the client holds the session: the agent's end of the link it
	 * was handed over on, and comes back on at READY; else -1 */
	int link;
	bool ready;
};

struct agent {
	struct liveupdate_ctx *ctx;
	struct agent_entry out[AGENT_SESSIONS_MAX];	/* for the next kernel */
	struct agent_entry in[AGENT_SESSIONS_MAX];	/* from the previous one */
	size_t nout, nin;
	struct liveupdate_session *registry;	/* outgoing, once prepared */
	struct agent_entry *handing;	/* hand over once the answer is sent */
};

/* How long the agent waits for a client on a link before it gives up (the
 * session stays, or stays the client's). */
#define AGENT_LINK_TIMEOUT_MS 5000

/* Start: take back what the previous kernel's agent handed over, if
 * anything. 0 or -errno (with a message on stderr). */
int agent_init(struct agent *a, struct liveupdate_ctx *ctx);
void agent_release(struct agent *a);

/*
 * Answer one request line (AGENT_LINE_MAX bytes at most, untrusted):
 * @reply (AGENT_LINE_MAX + 2 bytes) gets the answer line ("...\n"), *fdp
 * an fd to send with it (the caller closes it after sending) or -1: a
 * session fd (CLAIM), or the client's end of the link its session is
 * handed over on (SUBSCRIBE), after which the caller calls agent_sent().
 * Returns 1 for an UPDATE, with no reply written: *update holds it, and
 * the caller loads the kernel, calls agent_prepare(), answers with
 * agent_reply() and reboots. Else 0.
 */
int agent_handle(struct agent *a, const char *line, size_t len, char *reply,
		 size_t reply_size, int *fdp, struct agent_request *update);

/* After the answer to a request is sent: hand over the session the answer
 * announced, if any (a client that does not take it within
 * AGENT_LINK_TIMEOUT_MS leaves it with the agent). */
void agent_sent(struct agent *a);

/* A reply without payload: {"ok":...,"op":OP[,"id":ID][,"error":ERR]}. */
void agent_reply(char *reply, size_t reply_size, const char *op, const char *id,
		 const char *err);

/* Send @reply on @sock, with @passfd as SCM_RIGHTS unless it is -1. 0 or -1. */
int agent_send(int sock, const char *reply, int passfd);

/* Before the reboot: every subscribed id must be READY; write the registry
 * and preserve it. 0, or -EBUSY (with *why), or -errno. */
int agent_prepare(struct agent *a, const char **why);

/* The session fds to keep open across the reboot: the registry's and each
 * subscribed one's. Returns how many (at most @max). */
size_t agent_handover_fds(const struct agent *a, int *fds, size_t max);

#endif
