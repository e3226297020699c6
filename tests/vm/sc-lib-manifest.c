/*
 * lib-manifest: files found by label after a real kexec, through the
 * session manifest.
 *
 * Stage 1: session "lib-manifest" (manifest on by default) gets four
 * labelled memfds with metadata (one as a memory object with backing and
 * page size, one at a token the library picks, one at a fixed token), one
 * file without label, session metadata, and a write in place after
 * preserving; the reserved token and a taken label are refused. A session
 * created with LIVEUPDATE_SESSION_NO_MANIFEST holds one file by token.
 * Sessions of 500 and 5,000 labelled one-page memfds (their manifests
 * growing from the default 4 KiB piece to 4 and 8 pieces) measure lookups
 * after the update.
 * Stage 2: every file by label, contents and metadata intact; the
 * manifest printed; the session without manifest answers ENODATA and its
 * token works; the time per label lookup at 500 and 5,000 entries, side
 * by side.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>

#include "lutest-lib.h"

#define NAME "lib-manifest"
#define BARE "lib-manifest-bare"
#define RAM_SIZE (4u << 20)
#define LATE_SEED 0x1a7e

static const struct {
	const char *label;
	size_t size;
	uint64_t seed;
} files[] = {
	{ "guest-ram-0", RAM_SIZE, 0x3a01 },
	{ "vcpu-state", 64u << 10, 0x3a02 },
	{ "vhost-user-blk0", 12288, 0x3a03 },
	{ "device \"state\" 2", 100, 0x3a04 },
};
#define N_FILES (sizeof(files) / sizeof(files[0]))
static const int big[] = { 500, 5000 };

static void big_label(char *buf, size_t len, int n, int i)
{
	snprintf(buf, len, "vm-%d/page-%d", n, i);
}

/*
 * n labelled one-page memfds in one session. Each preserve is interleaved
 * with one into a session without manifest (then closed), both timed: what
 * the manifest costs per preserve on the real kernel.
 */
static void big_session(struct liveupdate_ctx *ctx, int n)
{
	LIVEUPDATE_OPTS(liveupdate_session_opts, none, .flags = LIVEUPDATE_SESSION_NO_MANIFEST);
	struct liveupdate_session *s = NULL, *shadow = NULL;
	uint64_t with_ns = 0, without_ns = 0, t0;
	char name[40], label[48];

	snprintf(name, sizeof(name), "lib-manifest-%d", n);
	LT_OK(liveupdate_session_create(ctx, name, &s));
	snprintf(name, sizeof(name), "lib-manifest-%d-shadow", n);
	LT_OK(liveupdate_session_create_opts(ctx, name, &none, &shadow));
	for (int i = 0; i < n; i++) {
		LIVEUPDATE_OPTS(liveupdate_preserve_opts, o, .label = label);
		int fd = lt_memfd("page", 4096, (uint64_t)n * 100000 + i);
		int other = lt_memfd("shadow", 4096, 1);

		big_label(label, sizeof(label), n, i);
		t0 = lt_now_ns();
		int r = liveupdate_session_preserve_fd_opts(s, fd, &o, NULL);
		with_ns += lt_now_ns() - t0;
		LT_OK(r);
		t0 = lt_now_ns();
		r = liveupdate_session_preserve_fd(shadow, other, (uint64_t)i);
		without_ns += lt_now_ns() - t0;
		LT_OK(r);
		close(fd);
		close(other);
	}
	lt_log("preserve x%d: %.1f us each with the manifest (labelled), %.1f us "
	       "without (ratio %.2f)", n, with_ns / 1e3 / n, without_ns / 1e3 / n,
	       (double)with_ns / (double)without_ns);
	liveupdate_session_unref(shadow);
	lt_keep_fd(liveupdate_session_get_fd(s));
}

static int stage1(void)
{
	struct liveupdate_ctx *ctx = lt_ctx_new();
	struct liveupdate_session *s = NULL, *bare = NULL;
	LIVEUPDATE_OPTS(liveupdate_session_opts, none, .flags = LIVEUPDATE_SESSION_NO_MANIFEST);
	struct liveupdate_meta ram_meta[] = { { "numa-node", "0" }, { "hugepages", "no" } };
	struct liveupdate_meta vcpu_meta[] = { { "vcpus", "2" } };
	struct liveupdate_meta blk_meta[] = { { "path", "/var/lib/vm/disk.img" }, { "queues", "4" } };
	LIVEUPDATE_OPTS(liveupdate_preserve_opts, o);
	uint64_t token;
	int fd[N_FILES];

	LT_OK(liveupdate_session_create(ctx, NAME, &s));
	LT_OK(liveupdate_session_set_meta(s, "vmm", "lutest"));
	LT_OK(liveupdate_session_set_meta(s, "guest", "vm-1"));
	for (size_t i = 0; i < N_FILES; i++) {
		fd[i] = lt_memfd(files[i].label, files[i].size, files[i].seed);
		o.label = files[i].label;
		o.kind = i == 0 ? LIVEUPDATE_ENTRY_MEMORY : LIVEUPDATE_ENTRY_AUTO;
		o.backing = i == 0 ? 1 : 0;
		o.page_size = i == 0 ? 4096 : 0;
		o.meta = i == 0 ? ram_meta : i == 1 ? vcpu_meta : i == 2 ? blk_meta : NULL;
		o.n_meta = i == 0 ? 2 : i == 1 ? 1 : i == 2 ? 2 : 0;
		o.flags = i == 2 ? LIVEUPDATE_PRESERVE_TOKEN : 0;
		o.token = 0xb10c;
		LT_OK(liveupdate_session_preserve_fd_opts(s, fd[i], &o, &token));
		lt_log("preserved \"%s\" as token %" PRIu64, files[i].label, token);
	}
	/* what the library refuses */
	int extra = lt_memfd("extra", 4096, 0x3a05);
	o.label = "vcpu-state";
	o.flags = 0;
	o.meta = NULL;
	o.n_meta = 0;
	o.kind = LIVEUPDATE_ENTRY_AUTO;
	LT_ERR(liveupdate_session_preserve_fd_opts(s, extra, &o, NULL), EEXIST);
	LT_ERR(liveupdate_session_preserve_fd(s, extra, LIVEUPDATE_MANIFEST_TOKEN), EINVAL);
	LT_ERR(liveupdate_session_preserve_fd(s, extra, LIVEUPDATE_MANIFEST_TOKEN +
					       LIVEUPDATE_MANIFEST_TOKENS - 1), EINVAL);
	LT_OK(liveupdate_session_preserve_fd(s, extra, 7)); /* by token: not recorded */
	close(extra);
	/* a write in place after preserving is carried over */
	unsigned char *p = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd[0], 0);
	LT_CHECK(p != MAP_FAILED, "mmap: %s", lt_errname(errno));
	lt_fill(p + RAM_SIZE / 2, 4096, LATE_SEED);
	lt_state_put("ram_sum", "%llu", (unsigned long long)lt_fnv1a(p, RAM_SIZE));
	munmap(p, RAM_SIZE);
	for (size_t i = 0; i < N_FILES; i++)
		close(fd[i]);
	lt_keep_fd(liveupdate_session_get_fd(s));

	LT_OK(liveupdate_session_create_opts(ctx, BARE, &none, &bare));
	int b = lt_memfd("bare", 4096, 0x3a06);
	LT_OK(liveupdate_session_preserve_fd(bare, b, 0));
	close(b);
	LT_ERR(liveupdate_session_count_entries(bare), ENODATA);
	lt_keep_fd(liveupdate_session_get_fd(bare));

	for (size_t i = 0; i < sizeof(big) / sizeof(big[0]); i++)
		big_session(ctx, big[i]);
	return LT_CONTINUE;
}

/* Every label of a big session, looked up ROUNDS times: ns per lookup. */
static double lookup_ns(struct liveupdate_session *s, int n, double *first_ms)
{
	enum { ROUNDS = 20 };
	const struct liveupdate_entry *e;
	char (*labels)[48] = calloc((size_t)n, sizeof(*labels));
	uint64_t t0 = lt_now_ns();

	LT_CHECK(liveupdate_session_count_entries(s) == n, "%ld entries, want %d",
		 liveupdate_session_count_entries(s), n);
	*first_ms = (lt_now_ns() - t0) / 1e6; /* retrieve, check, index */
	LT_CHECK(labels, "out of memory");
	for (int i = 0; i < n; i++) /* a scattered order */
		big_label(labels[i], sizeof(labels[i]), n, (int)(((long)i * 7919) % n));
	t0 = lt_now_ns();
	for (int r = 0; r < ROUNDS; r++)
		for (int i = 0; i < n; i++)
			LT_OK(liveupdate_session_find_entry(s, labels[i], &e));
	double ns = (double)(lt_now_ns() - t0) / ((double)ROUNDS * n);
	free(labels);
	return ns;
}

static int stage2(void)
{
	struct liveupdate_ctx *ctx = lt_ctx_new();
	struct liveupdate_session *s = NULL, *bare = NULL, *bs[2];
	const struct liveupdate_entry *e;
	const char *v;
	int fd;

	LT_OK(liveupdate_session_retrieve(ctx, NAME, &s));
	LT_CHECK(liveupdate_session_count_entries(s) == N_FILES, "%ld entries",
		 liveupdate_session_count_entries(s));
	for (size_t i = 0; i < N_FILES; i++) {
		LT_OK(liveupdate_session_retrieve_fd_label(s, files[i].label, &fd, &e));
		if (i == 0) {
			LT_CHECK(lt_fd_fnv1a(fd, RAM_SIZE) == lt_state_get_u64("ram_sum"),
				 "guest RAM checksum differs after the update");
			LT_CHECK(e->kind == LIVEUPDATE_ENTRY_MEMORY && e->backing == 1 &&
				 e->page_size == 4096, "guest-ram-0: kind %d backing %u page %llu",
				 e->kind, e->backing, (unsigned long long)e->page_size);
			LT_CHECK(!strcmp(liveupdate_entry_get_meta(e, "numa-node") ?: "", "0") &&
				 !strcmp(liveupdate_entry_get_meta(e, "hugepages") ?: "", "no"),
				 "guest-ram-0: metadata lost");
		} else {
			lt_check_memfd(fd, files[i].size, files[i].seed, files[i].label);
			LT_CHECK(e->kind == LIVEUPDATE_ENTRY_MEMFD, "%s: kind %d",
				 files[i].label, e->kind);
		}
		LT_CHECK(e->size == files[i].size, "%s: size %llu", files[i].label,
			 (unsigned long long)e->size);
		close(fd);
	}
	LT_OK(liveupdate_session_find_entry(s, "vhost-user-blk0", &e));
	LT_CHECK(e->token == 0xb10c && e->n_meta == 2 &&
		 !strcmp(liveupdate_entry_get_meta(e, "path") ?: "", "/var/lib/vm/disk.img"),
		 "vhost-user-blk0: token %llu, %zu metadata pairs",
		 (unsigned long long)e->token, e->n_meta);
	LT_OK(liveupdate_session_get_meta(s, "guest", &v));
	LT_CHECK(!strcmp(v, "vm-1"), "session metadata guest=%s", v);
	LT_ERR(liveupdate_session_find_entry(s, "no-such-label", &e), ENOENT);
	LT_OK(liveupdate_session_retrieve_fd(s, 7, &fd)); /* by token still */
	lt_check_memfd(fd, 4096, 0x3a05, "token 7");
	close(fd);
	/* the manifest as liveupdate-ctl would print it */
	int text = memfd_create("text", MFD_CLOEXEC);
	char buf[4096] = { 0 };
	LT_OK(liveupdate_session_print_manifest(s, text));
	LT_CHECK(pread(text, buf, sizeof(buf) - 1, 0) > 0, "reading the printed manifest");
	close(text);
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
		lt_log("%s", line);
	LT_OK(liveupdate_session_finish(s));
	liveupdate_session_unref(s);

	LT_OK(liveupdate_session_retrieve(ctx, BARE, &bare));
	LT_ERR(liveupdate_session_count_entries(bare), ENODATA);
	LT_OK(liveupdate_session_retrieve_fd(bare, 0, &fd));
	lt_check_memfd(fd, 4096, 0x3a06, "token 0 of the session without manifest");
	close(fd);
	liveupdate_session_unref(bare);

	double ns[2], first[2], again;
	for (int i = 0; i < 2; i++) {
		char name[32];

		snprintf(name, sizeof(name), "lib-manifest-%d", big[i]);
		LT_OK(liveupdate_session_retrieve(ctx, name, &bs[i]));
	}
	for (int rep = 0; rep < 2; rep++) /* the second pass is the one kept */
		for (int k = 0; k < 2; k++) {
			int i = rep ? 1 - k : k;

			ns[i] = lookup_ns(bs[i], big[i], rep ? &again : &first[i]);
		}
	for (int i = 0; i < 2; i++) {
		char label[48];

		big_label(label, sizeof(label), big[i], big[i] - 1);
		LT_OK(liveupdate_session_retrieve_fd_label(bs[i], label, &fd, NULL));
		lt_check_memfd(fd, 4096, (uint64_t)big[i] * 100000 + big[i] - 1, label);
		close(fd);
		LT_OK(liveupdate_session_finish(bs[i]));
		liveupdate_session_unref(bs[i]);
	}
	lt_log("manifest read and indexed: %.2f ms at %d entries, %.2f ms at %d",
	       first[0], big[0], first[1], big[1]);
	lt_log("lookup by label: %.0f ns at %d entries, %.0f ns at %d: ratio %.2f",
	       ns[0], big[0], ns[1], big[1], ns[1] / ns[0]);
	liveupdate_ctx_unref(ctx);
	lt_pass("%zu labelled files found by label with metadata intact after a real "
		"kexec; lookup %.0f/%.0f ns at %d/%d entries (ratio %.2f)", N_FILES,
		ns[0], ns[1], big[0], big[1], ns[1] / ns[0]);
}

static int run(int stage)
{
	return stage == 1 ? stage1() : stage2();
}

LT_SCENARIO(lib_manifest, "lib-manifest", run, 300);
