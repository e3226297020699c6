/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fault-injection sweep. A whole live update lifecycle runs once cleanly to
 * count its backend calls; then, for each call n and each errno the kernel
 * can return there, it runs again with call n failing. The API call that
 * hit the fault must return exactly that errno, leave no fd behind, and
 * leave its objects usable: retrying the same step must succeed and the
 * lifecycle must complete with every byte intact. Leaked memory is caught
 * by valgrind (tests/valgrind.sh), leaked fds by counting /proc/self/fd.
 */
#include <fcntl.h>
#include <stdlib.h>
#include "unit.h"

struct lifecycle {
	struct liveupdate_ctx *ctx;
	struct liveupdate_session *a, *b, *adopted, *in;
	int m1, m2, got1, got2, adopt_fd;
	char kernel[32];
};

static int step_open(struct lifecycle *l) { return liveupdate_ctx_open_device(l->ctx); }
static int step_create_a(struct lifecycle *l) { return liveupdate_session_create(l->ctx, "a", &l->a); }
static int step_create_b(struct lifecycle *l)
{
	int ret = liveupdate_session_create(l->ctx, "b", &l->b);

	/* what an agent would hand to a client, adopted below */
	if (ret == 0)
		l->adopt_fd = fcntl(liveupdate_session_get_fd(l->b), F_DUPFD_CLOEXEC, 0);
	return ret;
}
static int step_preserve1(struct lifecycle *l) { return liveupdate_session_preserve_fd(l->a, l->m1, 1); }
static int step_preserve2(struct lifecycle *l) { return liveupdate_session_preserve_fd(l->a, l->m2, 2); }

static int step_adopt(struct lifecycle *l)
{
	return liveupdate_session_adopt(l->ctx, l->adopt_fd, &l->adopted);
}

static int step_kexec_load(struct lifecycle *l)
{
	LIVEUPDATE_OPTS(liveupdate_kexec_opts, o, .cmdline = "stage=2");

	return liveupdate_kexec_load(l->ctx, l->kernel, &o);
}

static int step_reboot(struct lifecycle *l)
{
	int ret = liveupdate_kexec_reboot(l->ctx);

	if (ret)
		return ret;
	/* the old boot's process is gone: drop its objects */
	liveupdate_session_unref(l->a);
	liveupdate_session_unref(l->b);
	liveupdate_session_unref(l->adopted);
	l->a = l->b = l->adopted = NULL;
	liveupdate_ctx_unref(l->ctx);
	ck_assert_int_eq(liveupdate_ctx_new(NULL, &l->ctx), 0);
	seam_attach(l->ctx);
	liveupdate_ctx_set_log_fn(l->ctx, NULL, NULL);
	return 0;
}

static int step_retrieve(struct lifecycle *l) { return liveupdate_session_retrieve(l->ctx, "a", &l->in); }
static int step_retrieve_fd1(struct lifecycle *l) { return liveupdate_session_retrieve_fd(l->in, 1, &l->got1); }
static int step_retrieve_fd2(struct lifecycle *l) { return liveupdate_session_retrieve_fd(l->in, 2, &l->got2); }
static int step_finish(struct lifecycle *l) { return liveupdate_session_finish(l->in); }

static int (*const steps[])(struct lifecycle *) = {
	step_open, step_create_a, step_create_b, step_preserve1, step_preserve2,
	step_adopt, step_kexec_load, step_reboot, step_retrieve,
	step_retrieve_fd1, step_retrieve_fd2, step_finish,
};

/* The errnos the kernel can return for each kind of call. */
static const int *errnos_for(enum seam_call_kind kind)
{
	static const int open_[] = { ENOENT, EBUSY, EACCES, EIO, EMFILE, ENFILE, ENOMEM, 0 };
	static const int create[] = { EEXIST, EINVAL, EMFILE, ENOMEM, EFAULT, 0 };
	static const int retrieve[] = { ENOENT, EINVAL, EMFILE, ENOMEM, 0 };
	static const int preserve[] = { EEXIST, EBADF, ENOENT, EBUSY, EOPNOTSUPP,
					EFBIG, ENOMEM, EINVAL, E2BIG, 0 };
	/* EINVAL, EBADF and EEXIST are answers of the probe, not failures */
	static const int probe[] = { ENOMEM, EFAULT, ENOTTY, 0 };
	static const int retrieve_fd[] = { ENOENT, EINVAL, EMFILE, ENOMEM, 0 };
	static const int finish[] = { EBUSY, EINVAL, 0 };
	static const int get_name[] = { EBADF, ENOTTY, EINVAL, EFAULT, 0 };
	static const int kexec_load[] = { EPERM, ENOEXEC, EBUSY, ENOMEM, EINVAL, 0 };
	static const int reboot[] = { EPERM, EINVAL, 0 };
	static const int none[] = { 0 };

	switch (kind) {
	case SEAM_OPEN: return open_;
	case SEAM_CREATE_SESSION: return create;
	case SEAM_RETRIEVE_SESSION: return retrieve;
	case SEAM_PRESERVE_FD: return preserve;
	case SEAM_PRESERVE_PROBE: return probe;
	case SEAM_RETRIEVE_FD: return retrieve_fd;
	case SEAM_FINISH: return finish;
	case SEAM_GET_NAME: return get_name;
	case SEAM_KEXEC_LOAD: return kexec_load;
	case SEAM_REBOOT: return reboot;
	default: return none; /* close: the kernel always closes */
	}
}

/*
 * Run the lifecycle with call fail_at (0: none) failing with err. Returns
 * the number of backend calls made.
 */
static unsigned run_lifecycle(unsigned fail_at, int err, int *faults_seen)
{
	struct lifecycle l = { .adopt_fd = -1, .got1 = -1, .got2 = -1 };
	int fds0 = count_fds(), kfd;
	unsigned calls;

	strcpy(l.kernel, "/tmp/lu-faultsXXXXXX");
	kfd = mkstemp(l.kernel);
	ck_assert_int_ge(kfd, 0);
	close(kfd);
	l.m1 = pattern_memfd(5000, 11);
	l.m2 = pattern_memfd(3, 12);
	seam_reset();
	ck_assert_int_eq(liveupdate_ctx_new(NULL, &l.ctx), 0);
	seam_attach(l.ctx);
	liveupdate_ctx_set_log_fn(l.ctx, NULL, NULL);
	seam_fail_call(fail_at, err);

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		int before = count_fds();
		bool device_was_open = seam_device_open();
		int ret = steps[i](&l);

		if (ret == 0)
			continue;
		ck_assert_msg(seam_fault_fired(), "step %zu failed with %d (%s) without "
			      "an injected fault: %s", i, ret, liveupdate_strerror(ret),
			      liveupdate_last_error());
		ck_assert_msg(ret == -err, "step %zu: injected -%d, API returned %d",
			      i, err, ret);
		/* the device, opened on demand, stays open: not a leak */
		ck_assert_msg(count_fds() == before + (seam_device_open() && !device_was_open),
			      "step %zu leaked an fd on -%d", i, err);
		ck_assert_str_ne(liveupdate_last_error(), "");
		(*faults_seen)++;
		/* usable afterwards: the same step now succeeds */
		ret = steps[i](&l);
		ck_assert_msg(ret == 0, "step %zu retry after -%d: %d: %s", i, err, ret,
			      liveupdate_last_error());
	}

	check_pattern(l.got1, 5000, 11);
	check_pattern(l.got2, 3, 12);
	ck_assert_int_eq(liveupdate_session_is_finished(l.in), 1);
	calls = seam_calls();
	close(l.got1);
	close(l.got2);
	close(l.m1);
	close(l.m2);
	liveupdate_session_unref(l.in);
	liveupdate_ctx_unref(l.ctx);
	unlink(l.kernel);
	/* "b" was carried over but never retrieved: it waits, as in Linux */
	ck_assert_int_eq(seam_outgoing_sessions(), 0);
	ck_assert_int_eq(seam_incoming_sessions(), 1);
	ck_assert_int_eq(count_fds(), fds0);
	return calls;
}

START_TEST(test_sweep)
{
	int faults = 0, runs = 0;
	unsigned total = run_lifecycle(0, 0, &faults);
	enum seam_call_kind kinds[256];

	ck_assert_int_eq(faults, 0);
	ck_assert_int_gt(total, 10);
	ck_assert_int_lt(total, 256);
	for (unsigned n = 1; n <= total; n++)
		kinds[n - 1] = seam_call_kind(n);
	/* rerun the clean lifecycle's kinds (the retry adds calls later on) */
	for (unsigned n = 1; n <= total; n++) {
		for (const int *e = errnos_for(kinds[n - 1]); *e; e++) {
			int before = faults;

			run_lifecycle(n, *e, &faults);
			ck_assert_msg(faults == before + 1,
				      "call %u (kind %d) failing with %d was not reported",
				      n, kinds[n - 1], *e);
			runs++;
		}
	}
	printf("fault sweep: %u backend calls in the lifecycle, %d injected faults, "
	       "all returned, no fd leaked, every step retried fine\n", total, runs);
	ck_assert_int_gt(runs, 40);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("faults");
	TCase *tc = tcase_create("faults");

	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_sweep);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
