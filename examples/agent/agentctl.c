/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * agentctl: a client of examples/agent. It shows the client's half of the
 * delegation model with one memfd holding a text:
 *
 *   agentctl subscribe ID TEXT   session from the agent, received with its
 *                                manifest; a memory object holding TEXT
 *                                preserved under a label (or, subscribed
 *                                before, found by it and rewritten); READY
 *                                hands the session back
 *   agentctl claim ID            after the update: the session back, the
 *                                text found by its label, printed, finish
 *   agentctl update [KERNEL [INITRD [CMDLINE]]]   the agent reboots
 *   agentctl list | raw JSON     the agent's ids | any message, as is
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/preserved-memory.h"
#include "agent-client.h"

/* The client labels its files in the session's manifest: the agent hands
 * the session over with it. */
#define TEXT_LABEL "agentctl-text"
#define TEXT_SIZE 4096

static int fail(const char *what, const char *why)
{
	fprintf(stderr, "agentctl: %s: %s\n", what, why);
	return 1;
}

static int subscribe(struct liveupdate_ctx *ctx, int sock, const char *id, const char *text)
{
	struct liveupdate_session *s = NULL;
	struct preserved_memory m;
	char why[AGENT_LINE_MAX];
	int link, ret;

	if (agent_subscribe(ctx, sock, id, &s, &link, why, sizeof(why)) < 0)
		return fail("SUBSCRIBE", why);
	printf("agentctl: got session \"%s\" from the agent (%ld labelled files)\n",
	       liveupdate_session_get_name(s), liveupdate_session_count_entries(s));
	/* subscribed before: the text is found by its label, and rewritten in
	 * place (writes after the preserve reach the next kernel too) */
	ret = preserved_memory_retrieve(s, TEXT_LABEL, &m);
	if (ret == 0) {
		printf("agentctl: found \"%s\" from before: \"%.*s\"\n", TEXT_LABEL,
		       (int)strnlen(m.addr, m.size), (char *)m.addr);
		snprintf(m.addr, TEXT_SIZE, "%s", text);
		preserved_memory_close(&m);
	} else if (ret == -ENOENT) {
		ret = preserved_memory_create(ctx, TEXT_LABEL, TEXT_SIZE, &m);
		if (ret == 0) {
			snprintf(m.addr, TEXT_SIZE, "%s", text);
			ret = preserved_memory_preserve(&m, s, TEXT_LABEL);
			preserved_memory_close(&m);
		}
	}
	if (ret < 0)
		why[0] = '\0';
	/* READY hands the session back; the agent keeps it until the reboot */
	if (ret == 0 && agent_ready(sock, id, s, link, why, sizeof(why)) < 0)
		ret = -1;
	liveupdate_session_unref(s);
	close(link);
	if (ret < 0)
		return fail(why[0] ? "READY" : "preserving the text",
			    why[0] ? why : liveupdate_last_error());
	printf("agentctl: preserved \"%s\" as \"%s\"; READY\n", text, TEXT_LABEL);
	return 0;
}

static int claim(struct liveupdate_ctx *ctx, int sock, const char *id)
{
	struct liveupdate_session *s = NULL;
	struct preserved_memory m;
	char why[AGENT_LINE_MAX];
	int ret;

	if (agent_request(ctx, sock, "CLAIM", id, &s, why, sizeof(why)) < 0)
		return fail("CLAIM", why);
	ret = preserved_memory_retrieve(s, TEXT_LABEL, &m);
	if (ret == 0) {
		printf("agentctl: session \"%s\" claimed; its text: \"%.*s\"\n",
		       liveupdate_session_get_name(s), (int)strnlen(m.addr, m.size),
		       (char *)m.addr);
		preserved_memory_close(&m);
		ret = liveupdate_session_finish(s);
	}
	liveupdate_session_unref(s);
	return ret < 0 ? fail("retrieving the text", liveupdate_strerror(ret)) : 0;
}

/* Send @req as it is and print the answer; 1 unless "ok":true. */
static int raw(int sock, const char *req)
{
	char reply[AGENT_LINE_MAX + 2], why[AGENT_LINE_MAX];
	int fd, ret = agent_call(sock, req, reply, sizeof(reply), &fd);

	if (ret < 0)
		return fail("talking to the agent", strerror(-ret));
	printf("%s%s\n", reply, fd >= 0 ? "  (+ an fd)" : "");
	if (fd >= 0)
		close(fd);
	return agent_reply_check(reply, why, sizeof(why)) < 0;
}

static int update(int sock, int argc, char **argv)
{
	static const char *const keys[] = { "kernel", "initrd", "cmdline" };
	char req[AGENT_LINE_MAX + 2] = "{";

	agent_json_string(req, sizeof(req), "op", "UPDATE");
	for (int i = 0; i < argc && i < 3; i++)
		if (agent_json_string(req, sizeof(req), keys[i], argv[i]) < 0)
			return fail("UPDATE", "arguments too long");
	if (agent_json_end(req, sizeof(req)) < 0)
		return fail("UPDATE", "arguments too long");
	req[strlen(req) - 1] = '\0';
	return raw(sock, req);
}

int main(int argc, char **argv)
{
	const char *sock_path = getenv("AGENT_SOCKET");
	struct liveupdate_ctx *ctx;
	char path[108];
	int sock, ret;

	if (argc < 2 || !strcmp(argv[1], "--help")) {
		fprintf(argc < 2 ? stderr : stdout,
			"usage: agentctl subscribe ID TEXT | claim ID | list | raw JSON |\n"
			"                update [KERNEL [INITRD [CMDLINE]]]\n"
			"The agent's socket: $AGENT_SOCKET, else /tmp/liveupdate-agent-UID.sock\n");
		return argc < 2 ? 2 : 0;
	}
	if (!sock_path) {
		snprintf(path, sizeof(path), "/tmp/liveupdate-agent-%u.sock", (unsigned)geteuid());
		sock_path = path;
	}
	sock = agent_connect(sock_path);
	if (sock < 0)
		return fail(sock_path, strerror(-sock));
	if (!strcmp(argv[1], "list") && argc == 2)
		ret = raw(sock, "{\"op\":\"LIST\"}");
	else if (!strcmp(argv[1], "raw") && argc == 3)
		ret = raw(sock, argv[2]);
	else if (!strcmp(argv[1], "update") && argc <= 5)
		ret = update(sock, argc - 2, argv + 2);
	else if ((!strcmp(argv[1], "subscribe") && argc == 4) ||
		 (!strcmp(argv[1], "claim") && argc == 3)) {
		/* Only for sessions handed over: this context never opens
		 * /dev/liveupdate. */
		if (liveupdate_ctx_new(NULL, &ctx) < 0)
			return fail("liveupdate_ctx_new", liveupdate_last_error());
		ret = argc == 4 ? subscribe(ctx, sock, argv[2], argv[3]) : claim(ctx, sock, argv[2]);
		liveupdate_ctx_unref(ctx);
	} else
		ret = fail(argv[1], "unknown command or wrong arguments (see --help)");
	close(sock);
	return ret;
}
