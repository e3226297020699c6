/*
 * lib-multi: three consecutive live updates in one run, through the library.
 *
 * One 4 MiB memfd travels through all of them: stage 1 fills it; each later
 * stage retrieves it, checks every byte against the model and the checksum
 * recorded by the previous kernel, finishes, overwrites one more MiB in
 * place, and preserves the same memfd again in a new outgoing session of
 * the same name. Each stage also adds a fresh memfd for one hop. The boot id
 * must change at every stage (a real kexec happened). Stage 4 verifies and
 * passes.
 */
#define _GNU_SOURCE
#include <fcntl.h>

#include "lutest-lib.h"

#define NAME "lib-multi"
#define SIZE (4u << 20)
#define CHUNK (1u << 20)
#define BASE_SEED 0x3017
#define LAST_STAGE 4

static uint64_t chunk_seed(int stage) { return 1000 + stage; }

/* The content after stage `upto` wrote its chunk: chunk j-1 rewritten at stage j. */
static void check_model(const unsigned char *p, int upto)
{
	for (unsigned c = 0; c < SIZE / CHUNK; c++) {
		int writer = (int)c + 1;	/* stage that rewrites chunk c (2..4) */
		uint64_t seed = (writer >= 2 && writer <= upto) ? chunk_seed(writer) : 0;
		long bad;
		if (seed)
			bad = lt_verify(p + c * CHUNK, CHUNK, seed);
		else {
			/* Base pattern at its original offsets: compare against a fill. */
			static unsigned char ref[SIZE];
			static int have_ref;
			if (!have_ref) {
				lt_fill(ref, SIZE, BASE_SEED);
				have_ref = 1;
			}
			bad = memcmp(p + c * CHUNK, ref + c * CHUNK, CHUNK) ? 0 : -1;
			if (bad == 0)
				for (unsigned i = 0; i < CHUNK; i++)
					if (p[c * CHUNK + i] != ref[c * CHUNK + i]) {
						bad = i;
						break;
					}
		}
		if (bad >= 0)
			lt_fail("MiB %u byte %ld differs from what stage %d left", c, bad,
				seed ? writer : 1);
	}
}

static void boot_id(char *buf, size_t len)
{
	int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, len - 1) : -1;
	if (n <= 0)
		lt_fail("reading boot_id: %s", lt_errname(errno));
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	close(fd);
}

static int run(int stage)
{
	struct liveupdate_ctx *ctx = lt_ctx_new();
	struct liveupdate_session *in = NULL, *out = NULL;
	char id[64];
	int fd;

	boot_id(id, sizeof(id));
	if (stage == 1) {
		fd = lt_memfd("lib-multi", SIZE, BASE_SEED);
	} else {
		const char *prev = lt_state_get("boot_id");
		LT_CHECK(prev && strcmp(prev, id), "boot id %s unchanged since the last stage", id);
		LT_OK(liveupdate_session_retrieve(ctx, NAME, &in));
		uint64_t t0 = lt_now_ns();
		LT_OK(liveupdate_session_retrieve_fd(in, 1, &fd));
		double ms = (lt_now_ns() - t0) / 1e6;
		unsigned char *p = mmap(NULL, SIZE, PROT_READ, MAP_SHARED, fd, 0);
		LT_CHECK(p != MAP_FAILED, "mmap: %s", lt_errname(errno));
		uint64_t sum = lt_fnv1a(p, SIZE), want = lt_state_get_u64("sum");
		LT_CHECK(sum == want, "checksum %llx after live update %d, want %llx",
			 (unsigned long long)sum, stage - 1, (unsigned long long)want);
		check_model(p, stage - 1);
		munmap(p, SIZE);
		/* The one-hop memfd of the previous stage. */
		int hop = -1;
		LT_OK(liveupdate_session_retrieve_fd(in, 100 + stage - 1, &hop));
		lt_check_memfd(hop, 64u << 10, 500 + stage - 1, "one-hop memfd");
		close(hop);
		LT_OK(liveupdate_session_finish(in));
		liveupdate_session_unref(in);
		lt_log("live update %d: retrieved in %.2f ms, checksum %llx and every byte verified",
		       stage - 1, ms, (unsigned long long)sum);
		if (stage == LAST_STAGE) {
			close(fd);
			liveupdate_ctx_unref(ctx);
			lt_pass("3 consecutive live updates; checksums and every byte verified after each");
		}
		/* Rewrite one more MiB in place (the size must not change). */
		unsigned char *w = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		LT_CHECK(w != MAP_FAILED, "mmap: %s", lt_errname(errno));
		lt_fill(w + (stage - 1) * CHUNK, CHUNK, chunk_seed(stage));
		munmap(w, SIZE);
	}

	LT_OK(liveupdate_session_create(ctx, NAME, &out));
	LT_OK(liveupdate_session_preserve_fd(out, fd, 1));
	int hop = lt_memfd("lib-multi-hop", 64u << 10, 500 + stage);
	LT_OK(liveupdate_session_preserve_fd(out, hop, 100 + stage));
	close(hop);

	unsigned char *p = mmap(NULL, SIZE, PROT_READ, MAP_SHARED, fd, 0);
	LT_CHECK(p != MAP_FAILED, "mmap: %s", lt_errname(errno));
	check_model(p, stage);
	lt_state_put("sum", "%llu", (unsigned long long)lt_fnv1a(p, SIZE));
	munmap(p, SIZE);
	close(fd);
	lt_state_put("boot_id", "%s", id);
	lt_keep_fd(liveupdate_session_get_fd(out));
	return LT_CONTINUE;
}

LT_SCENARIO(lib_multi, "lib-multi", run, 0);
