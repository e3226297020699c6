/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Sessions: create, retrieve, adopt, finish, names, directions, lifetime. */
#include <fcntl.h>
#include <pthread.h>
#include "unit.h"

START_TEST(test_create_and_close_aborts)
{
	struct log_capture cap;
	struct liveupdate_ctx *ctx = seam_ctx(&cap);
	struct liveupdate_session *s = NULL, *again = NULL;
	int fds = count_fds();

	ck_assert_int_eq(liveupdate_session_create(ctx, "vm-1", &s), 0);
	ck_assert_str_eq(liveupdate_session_get_name(s), "vm-1");
	ck_assert_int_eq(liveupdate_session_get_direction(s), LIVEUPDATE_SESSION_OUTGOING);
	ck_assert_int_ge(liveupdate_session_get_fd(s), 0);
	ck_assert_int_eq(liveupdate_session_is_finished(s), 0);
	ck_assert_int_eq(count_fds(), fds + 2); /* device + session */
	ck_assert_int_eq(seam_outgoing_sessions(), 1);

	ck_assert_int_eq(liveupdate_session_create(ctx, "vm-1", &again), -EEXIST);
	ck_assert_ptr_null(again);
	ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "choose another name"));
	ck_assert_int_eq(count_fds(), fds + 2);

	/* ref keeps it open; the last unref closes it: the kernel aborts it */
	ck_assert_ptr_eq(liveupdate_session_ref(s), s);
	ck_assert_ptr_eq(liveupdate_session_unref(s), s);
	ck_assert_int_eq(seam_outgoing_sessions(), 1);
	ck_assert_ptr_null(liveupdate_session_unref(s));
	ck_assert_int_eq(seam_outgoing_sessions(), 0);
	ck_assert_int_eq(count_fds(), fds + 1);
	/* the name is free again */
	ck_assert_int_eq(liveupdate_session_create(ctx, "vm-1", &s), 0);
	liveupdate_session_unref(s);
	ck_assert_ptr_null(liveupdate_session_unref(NULL));
	ck_assert_ptr_null(liveupdate_session_ref(NULL));
	liveupdate_ctx_unref(ctx);
	ck_assert_int_eq(count_fds(), fds);
}
END_TEST

START_TEST(test_names)
{
	struct log_capture cap;
	struct liveupdate_ctx *ctx = seam_ctx(&cap);
	struct liveupdate_session *s = NULL;
	char name[80];
	int calls;

	memset(name, 'n', sizeof(name));
	name[63] = '\0'; /* 63 bytes: the longest the kernel stores */
	ck_assert_int_eq(liveupdate_session_create(ctx, name, &s), 0);
	ck_assert_str_eq(liveupdate_session_get_name(s), name);
	ck_assert_int_eq(strlen(liveupdate_session_get_name(s)), 63);
	liveupdate_session_unref(s);
	s = NULL;

	seam_count_reset();
	calls = (int)seam_calls();
	name[63] = 'n';
	name[64] = '\0'; /* 64 bytes: rejected, never truncated */
	ck_assert_int_eq(liveupdate_session_create(ctx, name, &s), -EINVAL);
	ck_assert_ptr_nonnull(strstr(cap.last, "longer than 63"));
	name[79] = '\0';
	memset(name, 'x', 79);
	ck_assert_int_eq(liveupdate_session_retrieve(ctx, name, &s), -EINVAL);
	ck_assert_int_eq(liveupdate_session_create(ctx, "", &s), -EINVAL);
	ck_assert_int_eq(liveupdate_session_create(ctx, NULL, &s), -EINVAL);
	ck_assert_int_eq(liveupdate_session_create(ctx, "ok", NULL), -EINVAL);
	ck_assert_int_eq(liveupdate_session_create(NULL, "ok", &s), -EINVAL);
	ck_assert_int_eq(liveupdate_session_retrieve(NULL, "ok", &s), -EINVAL);
	ck_assert_ptr_null(s);
	/* rejected before any system call */
	ck_assert_int_eq((int)seam_calls(), calls);
	ck_assert_int_eq(seam_outgoing_sessions(), 0);
	liveupdate_ctx_unref(ctx);
}
END_TEST

START_TEST(test_kexec_retrieve_finish)
{
	struct log_capture cap;
	struct liveupdate_ctx *ctx = seam_ctx(&cap);
	struct liveupdate_session *a, *b, *gone, *in = NULL, *in2 = NULL;
	int fds = count_fds();

	ck_assert_int_eq(liveupdate_session_create(ctx, "a", &a), 0);
	ck_assert_int_eq(liveupdate_session_create(ctx, "b", &b), 0);
	ck_assert_int_eq(liveupdate_session_create(ctx, "gone", &gone), 0);
	liveupdate_session_unref(gone); /* closed before the reboot: aborted */
	/* before any kexec, nothing is incoming */
	ck_assert_int_eq(liveupdate_session_retrieve(ctx, "a", &in), -ENOENT);

	seam_kexec();
	/* the old process' objects go; closing stale fds changes nothing */
	liveupdate_session_unref(a);
	liveupdate_session_unref(b);
	liveupdate_ctx_unref(ctx);
	ck_assert_int_eq(count_fds(), fds);
	ck_assert_int_eq(seam_incoming_sessions(), 2);

	ck_assert_int_eq(liveupdate_ctx_new(NULL, &ctx), 0);
	seam_attach(ctx);
	liveupdate_ctx_set_log_fn(ctx, NULL, NULL);
	ck_assert_int_eq(liveupdate_session_retrieve(ctx, "gone", &in), -ENOENT);
	ck_assert_int_eq(liveupdate_session_retrieve(ctx, "a", &in), 0);
	ck_assert_int_eq(liveupdate_session_get_direction(in), LIVEUPDATE_SESSION_INCOMING);
	ck_assert_str_eq(liveupdate_session_get_name(in), "a");
	/* already retrieved and open: the kernel says EINVAL */
	ck_assert_int_eq(liveupdate_session_retrieve(ctx, "a", &in2), -EINVAL);
	ck_assert_ptr_null(in2);
	/* an incoming name does not collide with a new outgoing one */
	ck_assert_int_eq(liveupdate_session_create(ctx, "a", &in2), 0);
	ck_assert_int_eq(liveupdate_session_finish(in2), -EINVAL); /* outgoing */
	ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "outgoing"));
	liveupdate_session_unref(in2);

	ck_assert_int_eq(liveupdate_session_finish(in), 0);
	ck_assert_int_eq(liveupdate_session_is_finished(in), 1);
	liveupdate_session_unref(in);
	ck_assert_int_eq(liveupdate_session_retrieve(ctx, "a", &in), -ENOENT);

	/* closing an incoming session finishes it: gone afterwards */
	ck_assert_int_eq(liveupdate_session_retrieve(ctx, "b", &in), 0);
	liveupdate_session_unref(in);
	ck_assert_int_eq(liveupdate_session_retrieve(ctx, "b", &in), -ENOENT);
	ck_assert_int_eq(seam_incoming_sessions(), 0);
	liveupdate_ctx_unref(ctx);
	ck_assert_int_eq(count_fds(), fds);
	ck_assert_int_eq(liveupdate_session_finish(NULL), -EINVAL);
	ck_assert_int_eq(liveupdate_session_is_finished(NULL), -EINVAL);
	ck_assert_int_eq(liveupdate_session_get_fd(NULL), -EINVAL);
	ck_assert_ptr_null(liveupdate_session_get_name(NULL));
	ck_assert_int_eq(liveupdate_session_get_direction(NULL), 0);
}
END_TEST

START_TEST(test_adopt)
{
	struct log_capture cap;
	struct liveupdate_ctx *ctx = seam_ctx(&cap);
	struct liveupdate_ctx *client;
	struct liveupdate_session *owner, *adopted = NULL, *in;
	int fd, fds, devnull;

	ck_assert_int_eq(liveupdate_session_create(ctx, "handed-over", &owner), 0);
	ck_assert_int_eq(liveupdate_session_preserve_fd(owner, fd = pattern_memfd(100, 1), 7), 0);
	close(fd);
	fds = count_fds();

	/* a client context that never opens the device */
	ck_assert_int_eq(liveupdate_ctx_new(NULL, &client), 0);
	seam_attach(client);
	fd = fcntl(liveupdate_session_get_fd(owner), F_DUPFD_CLOEXEC, 0);
	ck_assert_int_eq(liveupdate_session_adopt(client, fd, &adopted), 0);
	ck_assert_str_eq(liveupdate_session_get_name(adopted), "handed-over");
	ck_assert_int_eq(liveupdate_session_get_direction(adopted), LIVEUPDATE_SESSION_OUTGOING);
	ck_assert_int_eq(liveupdate_session_get_fd(adopted), fd);
	/* the probe did not add anything: token 7 still the only one */
	ck_assert_int_eq(liveupdate_session_preserve_fd(adopted, fd = pattern_memfd(10, 2), 8), 0);
	close(fd);
	liveupdate_session_unref(adopted);
	/* the adopted fd is closed (token 8's file is held by the simulator) */
	ck_assert_int_eq(count_fds(), fds);

	/* bad fds: rejected, left open */
	adopted = NULL;
	ck_assert_int_eq(liveupdate_session_adopt(client, -1, &adopted), -EINVAL);
	ck_assert_int_eq(liveupdate_session_adopt(client, 1000, &adopted), -EBADF);
	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ck_assert_int_eq(liveupdate_session_adopt(client, devnull, &adopted), -ENOTTY);
	ck_assert_int_ge(fcntl(devnull, F_GETFD), 0); /* still open */
	close(devnull);
	ck_assert_int_eq(liveupdate_session_adopt(client, 0, NULL), -EINVAL);
	ck_assert_int_eq(liveupdate_session_adopt(NULL, 0, &adopted), -EINVAL);
	ck_assert_ptr_null(adopted);

	/* after a kexec, an adopted incoming session is seen as incoming */
	seam_kexec();
	liveupdate_session_unref(owner);
	liveupdate_ctx_unref(ctx);
	ck_assert_int_eq(liveupdate_ctx_new(NULL, &ctx), 0);
	seam_attach(ctx);
	ck_assert_int_eq(liveupdate_session_retrieve(ctx, "handed-over", &in), 0);
	fd = fcntl(liveupdate_session_get_fd(in), F_DUPFD_CLOEXEC, 0);
	ck_assert_int_eq(liveupdate_session_adopt(client, fd, &adopted), 0);
	ck_assert_int_eq(liveupdate_session_get_direction(adopted), LIVEUPDATE_SESSION_INCOMING);
	{
		int got;

		ck_assert_int_eq(liveupdate_session_retrieve_fd(adopted, 7, &got), 0);
		close(got);
		ck_assert_int_eq(liveupdate_session_retrieve_fd(adopted, 8, &got), 0);
		close(got);
	}
	liveupdate_session_unref(adopted);
	liveupdate_session_unref(in);
	liveupdate_ctx_unref(client);
	liveupdate_ctx_unref(ctx);
}
END_TEST

/* Distinct sessions from distinct threads, one shared context. */
struct worker {
	struct liveupdate_ctx *ctx;
	int id;
	int result;
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	struct liveupdate_session *s;
	char name[32];

	w->result = 0;
	for (int i = 0; i < 20 && !w->result; i++) {
		snprintf(name, sizeof(name), "t%d-%d", w->id, i);
		w->result = liveupdate_session_create(w->ctx, name, &s);
		if (w->result)
			break;
		if (strcmp(liveupdate_session_get_name(s), name))
			w->result = -EPROTO;
		liveupdate_session_unref(s);
	}
	return NULL;
}

START_TEST(test_threads)
{
	struct liveupdate_ctx *ctx = seam_ctx(NULL);
	struct worker w[2] = { { ctx, 0, -1 }, { ctx, 1, -1 } };
	pthread_t t[2];

	/* both race from the start: on the lazy device open, the context's
	 * reference count and the simulator's device fd */
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, worker_run, &w[i]), 0);
	for (int i = 0; i < 2; i++) {
		pthread_join(t[i], NULL);
		ck_assert_int_eq(w[i].result, 0);
	}
	liveupdate_ctx_unref(ctx);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("session");
	TCase *tc = tcase_create("session");

	tcase_add_test(tc, test_create_and_close_aborts);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_kexec_retrieve_finish);
	tcase_add_test(tc, test_adopt);
	tcase_add_test(tc, test_threads);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
