/*
 * example-agent: the agent example's delegation model across a real kexec,
 * through its own code (examples/agent: agent-core, agent-client,
 * agent-proto). The scenario's process is the agent (it owns
 * /dev/liveupdate); a child process is the client, on a socketpair, and
 * never opens the device.
 *
 * Stage 1: the client SUBSCRIBEs "vm1" and "vm2", receives each session
 * with its manifest (the agent hands it over: liveupdate_session_handover
 * on a link that comes with the answer), preserves a 4 MiB memory object
 * with a pattern in each under a label, and says READY, handing the
 * session back; the agent preserves its registry ("luo-agent") and keeps
 * its session fds across the kexec (the harness does the kexec the agent
 * daemon would do). Stage 2: the agent takes back the registry and both
 * sessions; the client CLAIMs each, finds its memory by label, verifies
 * every byte and finishes it; a second CLAIM is refused.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "lutest-lib.h"
#include "../../examples/agent/agent-client.h"
#include "../../examples/agent/agent-core.h"
#include "../../examples/common/preserved-memory.h"

#define SIZE (4u << 20)
static const char *const ids[] = { "vm1", "vm2" };

/* The agent's side: answer the client until it hangs up. */
static void serve(struct agent *a, int sock)
{
	static char buf[AGENT_LINE_MAX + 1], reply[AGENT_LINE_MAX + 2];
	struct agent_request req;
	size_t used = 0;
	char *nl;
	int fd;

	for (;;) {
		ssize_t n = read(sock, buf + used, sizeof(buf) - used);

		if (n <= 0)
			return;
		used += (size_t)n;
		while ((nl = memchr(buf, '\n', used))) {
			size_t len = (size_t)(nl - buf);

			LT_CHECK(agent_handle(a, buf, len, reply, sizeof(reply), &fd, &req) == 0,
				 "an UPDATE request in this scenario");
			LT_CHECK(agent_send(sock, reply, fd) == 0, "sending: %s", lt_errname(errno));
			if (fd >= 0)
				close(fd);
			agent_sent(a);
			memmove(buf, nl + 1, used - len - 1);
			used -= len + 1;
		}
	}
}

/* The client's side, in a child: 0 or a failure line number. */
static int client_stage1(int sock)
{
	struct liveupdate_ctx *ctx;
	char why[AGENT_LINE_MAX];

	if (liveupdate_ctx_new(NULL, &ctx) < 0)
		return __LINE__;
	for (int i = 0; i < 2; i++) {
		struct liveupdate_session *s = NULL;
		struct preserved_memory m;
		int link;

		if (agent_subscribe(ctx, sock, ids[i], &s, &link, why, sizeof(why)) < 0) {
			lt_log("client: SUBSCRIBE %s: %s", ids[i], why);
			return __LINE__;
		}
		lt_log("client: received session %s", liveupdate_session_get_name(s));
		if (preserved_memory_create(ctx, ids[i], SIZE, &m) < 0)
			return __LINE__;
		lt_fill(m.addr, SIZE, 0xa9e47 + i);
		if (preserved_memory_preserve(&m, s, ids[i]) < 0) {
			lt_log("client: preserve: %s", liveupdate_last_error());
			return __LINE__;
		}
		preserved_memory_close(&m);
		if (agent_ready(sock, ids[i], s, link, why, sizeof(why)) < 0) {
			lt_log("client: READY %s: %s", ids[i], why);
			return __LINE__;
		}
		liveupdate_session_unref(s);	/* the agent holds it again */
		close(link);
	}
	liveupdate_ctx_unref(ctx);
	return 0;
}

static int client_stage2(int sock)
{
	struct liveupdate_ctx *ctx;
	char why[AGENT_LINE_MAX];

	if (liveupdate_ctx_new(NULL, &ctx) < 0)
		return __LINE__;
	for (int i = 1; i >= 0; i--) {
		struct liveupdate_session *s = NULL;
		struct preserved_memory m;
		long bad;

		if (agent_request(ctx, sock, "CLAIM", ids[i], &s, why, sizeof(why)) < 0) {
			lt_log("client: CLAIM %s: %s", ids[i], why);
			return __LINE__;
		}
		if (preserved_memory_retrieve(s, ids[i], &m) < 0 || m.size != SIZE) {
			lt_log("client: retrieve: %s", liveupdate_last_error());
			return __LINE__;
		}
		bad = lt_verify(m.addr, SIZE, 0xa9e47 + i);
		preserved_memory_close(&m);
		if (bad >= 0) {
			lt_log("client: %s: byte %ld differs", ids[i], bad);
			return __LINE__;
		}
		if (liveupdate_session_finish(s) < 0)
			return __LINE__;
		lt_log("client: claimed %s, 4 MiB found by label and verified, finished",
		       liveupdate_session_get_name(s));
		liveupdate_session_unref(s);
	}
	if (agent_request(ctx, sock, "CLAIM", "vm1", NULL, why, sizeof(why)) == 0)
		return __LINE__;
	lt_log("client: a second CLAIM of vm1: %s", why);
	liveupdate_ctx_unref(ctx);
	return 0;
}

/* Run the client in a child on a socketpair while this process serves. */
static void with_client(struct agent *a, int (*client)(int))
{
	int sv[2], status;
	pid_t pid;

	LT_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0, "socketpair");
	pid = fork();
	LT_CHECK(pid >= 0, "fork: %s", lt_errname(errno));
	if (pid == 0) {
		int line;

		close(sv[0]);
		line = client(sv[1]);
		if (line)
			lt_log("client: failed at %s:%d", __FILE__, line);
		_exit(line ? 1 : 0);
	}
	close(sv[1]);
	serve(a, sv[0]);
	close(sv[0]);
	LT_CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
		 WEXITSTATUS(status) == 0, "the client failed (status %#x; see its log)", status);
}

static int stage1(void)
{
	struct liveupdate_ctx *ctx = lt_ctx_new();
	struct agent a;
	const char *why = NULL;
	int fds[AGENT_SESSIONS_MAX + 1];

	LT_OK(agent_init(&a, ctx));
	LT_CHECK(a.nin == 0, "%zu sessions to claim at a cold boot", a.nin);
	with_client(&a, client_stage1);
	LT_CHECK(a.nout == 2 && a.out[0].ready && a.out[1].ready, "not 2 READY sessions");
	LT_CHECK(agent_prepare(&a, &why) == 0, "agent_prepare: %s", why);
	size_t n = agent_handover_fds(&a, fds, AGENT_SESSIONS_MAX + 1);
	LT_CHECK(n == 3, "%zu session fds to hand over, want 3", n);
	for (size_t i = 0; i < n; i++)
		lt_keep_fd(fds[i]);
	return LT_CONTINUE;
}

static int stage2(void)
{
	struct liveupdate_ctx *ctx = lt_ctx_new();
	struct agent a;

	LT_OK(agent_init(&a, ctx));
	LT_CHECK(a.nin == 2, "%zu sessions back, want 2", a.nin);
	with_client(&a, client_stage2);
	LT_CHECK(a.nin == 0, "%zu sessions left unclaimed", a.nin);
	agent_release(&a);
	liveupdate_ctx_unref(ctx);
	lt_pass("2 sessions handed to a client by the agent with their manifests, labelled "
		"by the client and handed back, carried by the agent's registry across the "
		"kexec, claimed, found by label, verified and finished");
}

static int run(int stage)
{
	return stage == 1 ? stage1() : stage2();
}

LT_SCENARIO(example_agent, "example-agent", run, 0);
