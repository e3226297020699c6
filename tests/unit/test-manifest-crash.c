/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Crash safety of the manifest: a child process makes one update of a
 * session's manifest and is killed at a random byte of it (its stores are
 * made byte by byte, in random order within each store, as a CPU may
 * reorder them); or a child makes updates in a loop and is killed at a
 * random moment. After a simulated kexec, the session's manifest must read
 * back as exactly the state before the interrupted update or the state
 * after it: never torn, never an error.
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include "unit.h"
#include "manifest-format.h"

#define BYTE_RUNS 150
#define ASYNC_RUNS 12

static unsigned rnd(unsigned n)
{
	return (unsigned)random() % n;
}

/* ---- the crashing store: the child's lu_mf_store ---- */

static long kill_at, stored;

static void crashing_store(void *dst, const void *src, size_t len)
{
	uint8_t *d = dst;
	const uint8_t *s = src;
	size_t *order = malloc(len * sizeof(*order));

	if (!order)
		abort();
	for (size_t i = 0; i < len; i++)
		order[i] = i;
	for (size_t i = len; i > 1; i--) { /* Fisher-Yates */
		size_t j = (size_t)random() % i, t = order[i - 1];

		order[i - 1] = order[j];
		order[j] = t;
	}
	for (size_t i = 0; i < len; i++) {
		if (stored++ == kill_at)
			raise(SIGKILL);
		d[order[i]] = s[order[i]];
	}
	free(order);
}

/* ---- the state as text, to compare whole manifests ---- */

static void add(char **buf, size_t *len, const char *s)
{
	size_t n = strlen(s);

	*buf = realloc(*buf, *len + n + 1);
	ck_assert_ptr_nonnull(*buf);
	memcpy(*buf + *len, s, n + 1);
	*len += n;
}

static char *state_text(struct liveupdate_session *s)
{
	const struct liveupdate_entry *e;
	const char *k, *v;
	char line[512], *buf = NULL;
	size_t len = 0;
	long n = liveupdate_session_count_entries(s);

	add(&buf, &len, "");
	if (n == -ENODATA && liveupdate_session_get_direction(s) ==
			     LIVEUPDATE_SESSION_INCOMING)
		return buf; /* nothing was recorded: no manifest file was made */
	ck_assert_msg(n >= 0, "reading the manifest: %s", liveupdate_last_error());
	for (size_t i = 0; liveupdate_session_get_entry(s, i, &e) == 0; i++) {
		snprintf(line, sizeof(line), "file %s %llu %d %llu", e->label,
			 (unsigned long long)e->token, e->kind, (unsigned long long)e->size);
		add(&buf, &len, line);
		for (size_t j = 0; j < e->n_meta; j++) {
			snprintf(line, sizeof(line), " %s=%s", e->meta[j].key, e->meta[j].value);
			add(&buf, &len, line);
		}
		add(&buf, &len, "\n");
	}
	for (size_t i = 0; liveupdate_session_get_meta_at(s, i, &k, &v) == 0; i++) {
		snprintf(line, sizeof(line), "meta %s=%s\n", k, v);
		add(&buf, &len, line);
	}
	return buf;
}

/* ---- one update, the same on the session and on its reference ---- */

struct update {
	int kind;              /* 0: preserve a labelled file, 1: set session metadata */
	char label[32];
	uint64_t token;
	struct liveupdate_meta meta[3];
	char keys[3][8], values[3][16];
	size_t n_meta;
};

static void random_update(struct update *u, int serial)
{
	memset(u, 0, sizeof(*u));
	u->kind = (int)rnd(3) == 0;
	snprintf(u->label, sizeof(u->label), "file-%d", serial);
	u->token = 1000 + (uint64_t)serial;
	u->n_meta = u->kind ? 1 : rnd(4);
	for (size_t i = 0; i < u->n_meta; i++) {
		/* a session key is new or replaces one of a few */
		snprintf(u->keys[i], sizeof(u->keys[i]), u->kind ? "s%u" : "k%zu",
			 u->kind ? rnd(3) : (unsigned)i);
		snprintf(u->values[i], sizeof(u->values[i]), "v%d-%u", serial, rnd(1000));
		u->meta[i].key = u->keys[i];
		u->meta[i].value = u->values[i];
	}
}

static int apply(struct liveupdate_session *s, const struct update *u)
{
	LIVEUPDATE_OPTS(liveupdate_preserve_opts, o, .label = u->label,
			.flags = LIVEUPDATE_PRESERVE_TOKEN, .token = u->token,
			.meta = u->meta, .n_meta = u->n_meta);
	int fd, ret;

	if (u->kind)
		return liveupdate_session_set_meta(s, u->meta[0].key, u->meta[0].value);
	fd = pattern_memfd(64 + u->token % 64, (unsigned)u->token);
	ret = liveupdate_session_preserve_fd_opts(s, fd, &o, NULL);
	close(fd);
	return ret;
}

static struct liveupdate_ctx *new_ctx(void)
{
	struct liveupdate_ctx *ctx;

	ck_assert_int_eq(liveupdate_ctx_new(NULL, &ctx), 0);
	seam_attach(ctx);
	liveupdate_ctx_set_log_fn(ctx, NULL, NULL);
	return ctx;
}

/* The manifest of the incoming session name, as text. */
static char *read_back(struct liveupdate_ctx *ctx, const char *name)
{
	struct liveupdate_session *in;
	char *text;

	ck_assert_int_eq(liveupdate_session_retrieve(ctx, name, &in), 0);
	text = state_text(in);
	liveupdate_session_unref(in);
	return text;
}

/* Kill the writer at a random byte of one update. */
START_TEST(test_kill_at_random_byte)
{
	int outcomes[3] = { 0 }; /* old, new, killed before writing */
	struct liveupdate_ctx *ctx;
	long max_bytes = 400;

	srandom(0x5eed);
	seam_reset();
	ctx = new_ctx();
	for (int run = 0; run < BYTE_RUNS; run++) {
		struct liveupdate_session *s, *ref;
		char name[32], refname[32], *old, *new, *got;
		int n0 = (int)rnd(6), pipefd[2], status;
		struct update u;
		bool done = false;
		char c;
		pid_t pid;

		snprintf(name, sizeof(name), "crash-%d", run);
		snprintf(refname, sizeof(refname), "ref-%d", run);
		ck_assert_int_eq(liveupdate_session_create(ctx, name, &s), 0);
		ck_assert_int_eq(liveupdate_session_create(ctx, refname, &ref), 0);
		for (int i = 0; i < n0; i++) {
			random_update(&u, 100 * run + i);
			ck_assert_int_eq(apply(s, &u), 0);
			ck_assert_int_eq(apply(ref, &u), 0);
		}
		old = state_text(s);
		random_update(&u, 100 * run + 99);
		ck_assert_int_eq(apply(ref, &u), 0);
		new = state_text(ref);
		liveupdate_session_unref(ref);

		kill_at = rnd((unsigned)max_bytes);
		ck_assert_int_eq(pipe(pipefd), 0);
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			close(pipefd[0]);
			stored = 0;
			lu_mf_store = crashing_store;
			if (apply(s, &u) == 0)
				(void)!write(pipefd[1], "d", 1);
			_exit(0);
		}
		close(pipefd[1]);
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		done = read(pipefd[0], &c, 1) == 1;
		close(pipefd[0]);
		ck_assert(done || (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL));

		seam_kexec();
		liveupdate_session_unref(s);
		liveupdate_ctx_unref(ctx);
		ctx = new_ctx();
		got = read_back(ctx, name);
		if (!strcmp(got, new)) {
			outcomes[1]++;
		} else {
			ck_assert_msg(!strcmp(got, old), "run %d, killed at byte %ld: "
				      "neither the old nor the new state:\n%s--- old:\n%s"
				      "--- new:\n%s", run, kill_at, got, old, new);
			ck_assert_msg(!done, "run %d: the update completed, the old "
				      "state came back", run);
			outcomes[kill_at == 0 ? 2 : 0]++;
		}
		free(old);
		free(new);
		free(got);
	}
	liveupdate_ctx_unref(ctx);
	printf("killed at a random byte, %d runs: old state %d, new state %d, "
	       "killed before the first byte %d; never torn\n", BYTE_RUNS,
	       outcomes[0], outcomes[1], outcomes[2]);
	ck_assert_int_gt(outcomes[0], 10); /* killed inside an update */
	ck_assert_int_gt(outcomes[1], 10);
}
END_TEST

/* Kill a writer busy updating at a random moment, from outside. */
START_TEST(test_kill_at_random_time)
{
	struct liveupdate_ctx *ctx;

	srandom(0xcafe);
	seam_reset();
	ctx = new_ctx();
	for (int run = 0; run < ASYNC_RUNS; run++) {
		struct liveupdate_session *s, *in;
		struct timespec pause = { 0, (long)(1 + rnd(30)) * 1000 * 1000 };
		const struct liveupdate_entry *e;
		int pipefd[2], last = -1, i;
		char name[32];
		long n;
		pid_t pid;

		snprintf(name, sizeof(name), "busy-%d", run);
		ck_assert_int_eq(liveupdate_session_create(ctx, name, &s), 0);
		ck_assert_int_eq(pipe(pipefd), 0);
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			close(pipefd[0]);
			for (i = 0; i < 1000; i++) {
				char label[16], value[16];
				struct liveupdate_meta meta[] = { { "n", value } };
				LIVEUPDATE_OPTS(liveupdate_preserve_opts, o, .label = label,
						.meta = meta, .n_meta = 1);
				int fd = pattern_memfd(16, (unsigned)i);

				snprintf(label, sizeof(label), "f%d", i);
				snprintf(value, sizeof(value), "%d", i);
				if (liveupdate_session_preserve_fd_opts(s, fd, &o, NULL))
					break;
				close(fd);
				(void)!write(pipefd[1], &i, sizeof(i));
			}
			_exit(0);
		}
		close(pipefd[1]);
		nanosleep(&pause, NULL);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		while (read(pipefd[0], &i, sizeof(i)) == sizeof(i))
			last = i;
		close(pipefd[0]);

		seam_kexec();
		liveupdate_session_unref(s);
		liveupdate_ctx_unref(ctx);
		ctx = new_ctx();
		ck_assert_int_eq(liveupdate_session_retrieve(ctx, name, &in), 0);
		n = liveupdate_session_count_entries(in);
		if (n == -ENODATA && last == -1)
			n = 0; /* killed before its first record: no manifest file */
		ck_assert_msg(n == last + 1 || n == last + 2, "run %d: %ld files in the "
			      "manifest, %d updates completed: %s", run, n, last + 1,
			      liveupdate_last_error());
		for (i = 0; i < n; i++) {
			char label[16], value[16];

			snprintf(label, sizeof(label), "f%d", i);
			snprintf(value, sizeof(value), "%d", i);
			ck_assert_int_eq(liveupdate_session_get_entry(in, (size_t)i, &e), 0);
			ck_assert_str_eq(e->label, label);
			ck_assert_str_eq(liveupdate_entry_get_meta(e, "n"), value);
		}
		liveupdate_session_unref(in);
	}
	liveupdate_ctx_unref(ctx);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("manifest-crash");
	TCase *tc = tcase_create("crash");

	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_kill_at_random_byte);
	tcase_add_test(tc, test_kill_at_random_time);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
