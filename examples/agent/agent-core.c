/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* agent-core: see agent-core.h. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "../common/preserved-memory.h"
#include "agent-core.h"

/*
 * The registry, the list of ids the agent preserved: a memory object of
 * the library labelled REGISTRY_LABEL in the manifest of the session
 * "luo-agent", one id per line after a version line.
 */
#define REGISTRY_LABEL "luo-agent-registry"
#define REGISTRY_HEADER "luo-agent registry 1\n"
#define REGISTRY_SIZE 4096

static void session_name(const char *id, char *buf)
{
	snprintf(buf, LIVEUPDATE_SESSION_NAME_MAX + 1, "agent.%s", id);
}

static int registry_save(struct agent *a)
{
	struct preserved_memory m;
	size_t used;
	int ret = preserved_memory_create(a->ctx, REGISTRY_LABEL, REGISTRY_SIZE, &m);

	if (ret < 0)
		return ret;
	used = (size_t)snprintf(m.addr, REGISTRY_SIZE, "%s", REGISTRY_HEADER);
	for (size_t i = 0; i < a->nout; i++)
		used += (size_t)snprintf((char *)m.addr + used, REGISTRY_SIZE - used, "%s\n",
					 a->out[i].id);
	if (used >= REGISTRY_SIZE)
		ret = -ENOSPC;	/* 64 ids of 48 bytes fit: cannot happen */
	if (ret == 0)
		ret = liveupdate_session_create(a->ctx, AGENT_REGISTRY_SESSION, &a->registry);
	if (ret == 0)
		ret = preserved_memory_preserve(&m, a->registry, REGISTRY_LABEL);
	if (ret < 0)
		a->registry = liveupdate_session_unref(a->registry);
	preserved_memory_close(&m);
	return ret;
}

/* Take back each session the registry names. */
static int registry_load(struct agent *a, struct liveupdate_session *reg)
{
	struct preserved_memory m;
	char *p, *nl, name[LIVEUPDATE_SESSION_NAME_MAX + 1];
	int ret = preserved_memory_retrieve(reg, REGISTRY_LABEL, &m);

	if (ret < 0)
		return ret;
	p = m.addr;
	if (m.size != REGISTRY_SIZE || p[REGISTRY_SIZE - 1] != '\0' ||
	    strncmp(p, REGISTRY_HEADER, strlen(REGISTRY_HEADER))) {
		preserved_memory_close(&m);
		return -EPROTO;
	}
	for (p += strlen(REGISTRY_HEADER); (nl = strchr(p, '\n')); p = nl + 1) {
		struct agent_entry *e = &a->in[a->nin];

		*nl = '\0';
		if (!agent_id_valid(p) || a->nin == AGENT_SESSIONS_MAX) {
			fprintf(stderr, "agent: registry entry '%.60s' ignored\n", p);
			continue;
		}
		session_name(p, name);
		ret = liveupdate_session_retrieve(a->ctx, name, &e->session);
		if (ret < 0) {
			fprintf(stderr, "agent: session %s: %s\n", name, liveupdate_last_error());
			continue;
		}
		strcpy(e->id, p);
		a->nin++;
	}
	preserved_memory_close(&m);
	return 0;
}

int agent_init(struct agent *a, struct liveupdate_ctx *ctx)
{
	struct liveupdate_session *reg = NULL;
	int ret;

	memset(a, 0, sizeof(*a));
	a->ctx = ctx;
	ret = liveupdate_session_retrieve(ctx, AGENT_REGISTRY_SESSION, &reg);
	if (ret == -ENOENT)
		return 0;	/* a cold boot, or nothing was handed over */
	if (ret == 0) {
		ret = registry_load(a, reg);
		if (ret == 0)
			ret = liveupdate_session_finish(reg);
		liveupdate_session_unref(reg);
	}
	if (ret < 0)
		fprintf(stderr, "agent: taking back the previous kernel's sessions: %s\n",
			ret == -EPROTO ? "unknown registry format" : liveupdate_strerror(ret));
	return ret;
}

void agent_release(struct agent *a)
{
	for (size_t i = 0; i < a->nout; i++) {
		liveupdate_session_unref(a->out[i].session);
		if (a->out[i].link >= 0)
			close(a->out[i].link);
	}
	for (size_t i = 0; i < a->nin; i++)
		liveupdate_session_unref(a->in[i].session);
	liveupdate_session_unref(a->registry);
	memset(a, 0, sizeof(*a));
}

static struct agent_entry *find(struct agent_entry *t, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(t[i].id, id))
			return &t[i];
	return NULL;
}

/* Whether the client at the other end of @link is gone. */
static bool hung_up(int link)
{
	struct pollfd p = { .fd = link, .events = 0 }; /* POLLHUP comes anyway */

	return poll(&p, 1, 0) == 1 && p.revents & (POLLHUP | POLLERR);
}

/* A new session for @e (a handover flag: it goes to clients and back). */
static const char *create(struct agent *a, struct agent_entry *e, const char *id)
{
	LIVEUPDATE_OPTS(liveupdate_session_opts, o, .flags = LIVEUPDATE_SESSION_HANDOVER);
	char name[LIVEUPDATE_SESSION_NAME_MAX + 1];

	session_name(id, name);
	if (liveupdate_session_create_opts(a->ctx, name, &o, &e->session) < 0)
		return liveupdate_last_error();
	e->link = -1;
	return NULL;
}

/* SUBSCRIBE: the session of @id, created on first request, to hand over
 * on a new link whose client end *fdp goes with the answer. */
static const char *subscribe(struct agent *a, const char *id, int *fdp)
{
	struct agent_entry *e = find(a->out, a->nout, id);
	struct timeval tmo = { AGENT_LINK_TIMEOUT_MS / 1000, AGENT_LINK_TIMEOUT_MS % 1000 * 1000 };
	const char *err;
	int sv[2];

	if (a->registry)
		return "an update is under way";
	if (e && e->link >= 0) {
		if (!hung_up(e->link))
			return "a client holds this session: READY hands it back";
		/* that client died with it: what it preserved goes with the session */
		close(e->link);
		liveupdate_session_unref(e->session);
		err = create(a, e, id);
		if (err) {
			*e = a->out[--a->nout];
			return err;
		}
	}
	if (!e) {
		if (a->nout == AGENT_SESSIONS_MAX)
			return "too many sessions";
		e = &a->out[a->nout];
		err = create(a, e, id);
		if (err)
			return err;
		strcpy(e->id, id);
		a->nout++;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return "out of file descriptors";
	setsockopt(sv[0], SOL_SOCKET, SO_SNDTIMEO, &tmo, sizeof(tmo));
	setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof(tmo));
	e->ready = false;	/* again, for a client that subscribes again */
	e->link = sv[0];
	a->handing = e;
	*fdp = sv[1];
	return NULL;
}

void agent_sent(struct agent *a)
{
	struct agent_entry *e = a->handing;

	a->handing = NULL;
	if (!e)
		return;
	if (liveupdate_session_handover(e->session, e->link) < 0) {
		/* the client did not take it: the agent keeps it */
		fprintf(stderr, "agent: %s: %s\n", e->id, liveupdate_last_error());
		close(e->link);
		e->link = -1;
	}
}

/* READY: the client hands the session back (if it holds it). */
static const char *ready(struct agent *a, const char *id)
{
	struct agent_entry *e = find(a->out, a->nout, id);
	struct liveupdate_session *back = NULL;

	if (!e)
		return "not subscribed";
	if (e->link >= 0) {
		if (liveupdate_session_receive(a->ctx, e->link, &back) < 0)
			return liveupdate_last_error();	/* the client keeps it */
		liveupdate_session_unref(e->session);	/* the copy handed over */
		e->session = back;
		close(e->link);
		e->link = -1;
	}
	e->ready = true;
	return NULL;
}

/* CLAIM: hand the incoming session of @id over for good. */
static const char *claim(struct agent *a, const char *id, int *fdp)
{
	struct agent_entry *e = find(a->in, a->nin, id);

	if (!e)
		return "no session of that id came from the previous kernel";
	*fdp = dup(liveupdate_session_get_fd(e->session));
	if (*fdp < 0)
		return "out of file descriptors";
	/* The client's fd is the last one now: when it closes it, the
	 * session is finished. */
	liveupdate_session_unref(e->session);
	*e = a->in[--a->nin];
	return NULL;
}

static void list_ids(const struct agent_entry *t, size_t n, bool ready, char *buf,
		     size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && used < size; i++)
		if (t[i].ready == ready)
			used += (size_t)snprintf(buf + used, size - used, "%s%s",
						 used ? "," : "", t[i].id);
}

int agent_prepare(struct agent *a, const char **why)
{
	int ret;

	for (size_t i = 0; i < a->nout; i++)
		if (!a->out[i].ready) {
			*why = "a subscribed client is not READY";
			return -EBUSY;
		}
	if (a->registry)
		return 0;
	ret = registry_save(a);
	if (ret < 0)
		*why = liveupdate_last_error();
	return ret;
}

size_t agent_handover_fds(const struct agent *a, int *fds, size_t max)
{
	size_t n = 0;

	if (a->registry && n < max)
		fds[n++] = liveupdate_session_get_fd(a->registry);
	for (size_t i = 0; i < a->nout && n < max; i++)
		fds[n++] = liveupdate_session_get_fd(a->out[i].session);
	return n;
}

int agent_send(int sock, const char *reply, int passfd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = { (void *)reply, strlen(reply) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (passfd >= 0) {
		struct cmsghdr *c;

		msg.msg_control = control.buf;
		msg.msg_controllen = sizeof(control.buf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &passfd, sizeof(int));
	}
	return sendmsg(sock, &msg, MSG_NOSIGNAL) == (ssize_t)iov.iov_len ? 0 : -1;
}

void agent_reply(char *reply, size_t reply_size, const char *op, const char *id,
		 const char *err)
{
	int bad;

	snprintf(reply, reply_size, "{");
	bad = agent_json_bool(reply, reply_size, "ok", err == NULL);
	if (op)
		bad |= agent_json_string(reply, reply_size, "op", op);
	if (id && id[0])
		bad |= agent_json_string(reply, reply_size, "id", id);
	if (err)
		bad |= agent_json_string(reply, reply_size, "error", err);
	bad |= agent_json_end(reply, reply_size);
	if (bad)	/* an error message too long for one line */
		snprintf(reply, reply_size, "{\"ok\":false,\"error\":\"reply too long\"}\n");
}

static void list_reply(const struct agent *a, char *reply, size_t reply_size)
{
	char ids[AGENT_SESSIONS_MAX * (AGENT_ID_MAX + 1) + 1];

	snprintf(reply, reply_size, "{");
	agent_json_bool(reply, reply_size, "ok", true);
	agent_json_string(reply, reply_size, "op", "LIST");
	list_ids(a->out, a->nout, false, ids, sizeof(ids));
	agent_json_string(reply, reply_size, "subscribed", ids);
	list_ids(a->out, a->nout, true, ids, sizeof(ids));
	agent_json_string(reply, reply_size, "ready", ids);
	list_ids(a->in, a->nin, false, ids, sizeof(ids));
	agent_json_string(reply, reply_size, "claimable", ids);
	agent_json_end(reply, reply_size);
}

int agent_handle(struct agent *a, const char *line, size_t len, char *reply,
		 size_t reply_size, int *fdp, struct agent_request *update)
{
	static const char *const names[] = { "SUBSCRIBE", "READY", "UPDATE", "CLAIM", "LIST" };
	struct agent_request req;
	const char *err = NULL;

	*fdp = -1;
	if (agent_request_decode(line, len, &req, &err) < 0) {
		agent_reply(reply, reply_size, NULL, NULL, err);
		return 0;
	}
	switch (req.op) {
	case AGENT_OP_SUBSCRIBE:
		err = subscribe(a, req.id, fdp);
		break;
	case AGENT_OP_READY:
		err = ready(a, req.id);
		break;
	case AGENT_OP_CLAIM:
		err = claim(a, req.id, fdp);
		break;
	case AGENT_OP_UPDATE:
		*update = req;
		return 1;
	case AGENT_OP_LIST:
		list_reply(a, reply, reply_size);
		return 0;
	}
	agent_reply(reply, reply_size, names[req.op], req.id, err);
	return 0;
}
