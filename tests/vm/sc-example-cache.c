/*
 * example-cache: the cache example's table across a real kexec, through
 * its own code (examples/cache: cache-store, cache-command,
 * cache-handover), as the cache server runs it.
 *
 * Stage 1: a new 8 MiB table (no session yet: cache_handover_start says
 * "new"), 20000 keys set, 1000 deleted, preserved in session "cache-vm";
 * then, as a server does until the reboot, one more key set after
 * preserving. Stage 2: cache_handover_start takes the table back from the
 * session; count, checksum, samples, the late key and the protocol's
 * answers verified.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdlib.h>

#include "lutest-lib.h"
#include "../../examples/cache/cache-command.h"
#include "../../examples/cache/cache-handover.h"

#define SESSION "cache-vm"
#define KEYS 20000

static void ask(struct cache_store *c, const char *line, const char *want)
{
	char reply[CACHE_LINE_MAX];

	cache_command(c, line, strlen(line), reply, sizeof(reply));
	LT_CHECK(!strcmp(reply, want), "'%s' answered '%s', want '%s'", line, reply, want);
}

static int stage1(void)
{
	struct liveupdate_ctx *ctx = lt_ctx_new();
	struct liveupdate_session *s = NULL;
	struct preserved_memory m;
	struct cache_store c;
	char k[32], v[64];

	int r = cache_handover_start(ctx, SESSION, 8u << 20, &m, &c);
	LT_CHECK(r == 0, "cache_handover_start: %d (want 0: a new table): %s", r,
		 liveupdate_last_error());
	for (int i = 0; i < KEYS; i++) {
		snprintf(k, sizeof(k), "key%d", i);
		snprintf(v, sizeof(v), "value %d of the old kernel", i);
		LT_OK(cache_store_set(&c, k, strlen(k), v, strlen(v)));
	}
	for (int i = 0; i < KEYS; i += 20) {
		snprintf(k, sizeof(k), "key%d", i);
		LT_OK(cache_store_del(&c, k, strlen(k)));
	}
	LT_CHECK(cache_store_count(&c) == KEYS - KEYS / 20, "count %" PRIu64,
		 cache_store_count(&c));
	uint64_t t0 = lt_now_ns();
	LT_OK(cache_handover_preserve(ctx, SESSION, &m, &s));
	lt_log("preserved %" PRIu64 " keys (%" PRIu64 " MiB table) in %.2f ms",
	       cache_store_count(&c), m.size >> 20, (lt_now_ns() - t0) / 1e6);
	ask(&c, "SET late set after preserving", "OK");
	lt_state_put("count", "%" PRIu64, cache_store_count(&c));
	lt_state_put("sum", "%" PRIu64, cache_store_checksum(&c));
	preserved_memory_close(&m);	/* the session holds the memfd */
	lt_keep_fd(liveupdate_session_get_fd(s));
	return LT_CONTINUE;
}

static int stage2(void)
{
	struct liveupdate_ctx *ctx = lt_ctx_new();
	struct preserved_memory m;
	struct cache_store c;
	char want[96];

	uint64_t t0 = lt_now_ns();
	int r = cache_handover_start(ctx, SESSION, 8u << 20, &m, &c);
	LT_CHECK(r == 1, "cache_handover_start: %d (want 1: the table back): %s", r,
		 liveupdate_last_error());
	lt_log("table back in %.2f ms", (lt_now_ns() - t0) / 1e6);
	LT_CHECK(cache_store_count(&c) == lt_state_get_u64("count"), "count %" PRIu64
		 ", want %" PRIu64, cache_store_count(&c), lt_state_get_u64("count"));
	LT_CHECK(cache_store_checksum(&c) == lt_state_get_u64("sum"), "checksum changed");
	ask(&c, "GET key0", "NOT_FOUND");
	ask(&c, "GET key19999", "VALUE value 19999 of the old kernel");
	ask(&c, "GET late", "VALUE set after preserving");
	snprintf(want, sizeof(want), "COUNT %" PRIu64 " CHECKSUM %016" PRIx64,
		 cache_store_count(&c), cache_store_checksum(&c));
	ask(&c, "COUNT", want);
	ask(&c, "SET new in the new kernel", "OK");
	preserved_memory_close(&m);
	/* The session was finished: it is gone now. */
	LT_CHECK(cache_handover_start(ctx, SESSION, 4096 * 2, &m, &c) == 0,
		 "the session is still there after finish");
	preserved_memory_close(&m);
	liveupdate_ctx_unref(ctx);
	lt_pass("%" PRIu64 " keys back after the live update: count, checksum, samples, "
		"a key set after preserving, and the protocol's answers", lt_state_get_u64("count"));
}

static int run(int stage)
{
	return stage == 1 ? stage1() : stage2();
}

LT_SCENARIO(example_cache, "example-cache", run, 0);
