/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the header and the man pages promise, checked the way a program
 * written from them alone would find out (issue 17): the context across a
 * simulated kexec, an unreachable simulator, advice that fits the call,
 * wording, what a manifest accepts and how it reads and prints.
 */
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include "unit.h"

#define MiB (1ull << 20)

/*
 * liveupdate_ctx_new(3): a context kept across the update opens the
 * device again by itself after a simulated kexec (liveupdate-sim reboot).
 */
START_TEST(test_context_survives_simulated_kexec)
{
	struct liveupdate_ctx *ctx = seam_ctx(NULL);
	struct liveupdate_session *out, *in, *next;

	ck_assert_int_eq(liveupdate_session_create(ctx, "carried", &out), 0);
	seam_kexec(); /* liveupdate-sim reboot, from outside the program */
	liveupdate_session_unref(out); /* dead: the previous boot's */
	ck_assert_msg(liveupdate_session_retrieve(ctx, "carried", &in) == 0,
		      "retrieve after a simulated kexec: %s", liveupdate_last_error());
	ck_assert_int_eq(liveupdate_session_get_direction(in), LIVEUPDATE_SESSION_INCOMING);
	ck_assert_int_eq(liveupdate_session_create(ctx, "next", &next), 0);
	liveupdate_session_unref(next);
	ck_assert_int_eq(liveupdate_session_finish(in), 0);
	liveupdate_session_unref(in);
	liveupdate_ctx_unref(ctx);
}
END_TEST

/* liveupdate_ctx_new(3): -ENOENT or -ECONNREFUSED when no simulator runs. */
START_TEST(test_ctx_new_without_simulator)
{
	char dir[] = "/tmp/lu-contract.XXXXXX", path[64];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct liveupdate_ctx *ctx = (void *)0x1;
	int sock;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/socket", dir);
	{
		LIVEUPDATE_OPTS(liveupdate_ctx_opts, o, .backend = LIVEUPDATE_BACKEND_SIM,
				.sim_socket = path);

		ck_assert_int_eq(liveupdate_ctx_new(&o, &ctx), -ENOENT);
		ck_assert_ptr_eq(ctx, (void *)0x1);
		ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "liveupdate-sim start"));
		/* a socket nobody listens on: a daemon that stopped */
		sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
		ck_assert_int_eq(bind(sock, (struct sockaddr *)&sa, sizeof(sa)), 0);
		ck_assert_int_eq(liveupdate_ctx_new(&o, &ctx), -ECONNREFUSED);
		ck_assert_ptr_eq(ctx, (void *)0x1);
		ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "liveupdate-sim start"));
	}
	close(sock);
	unlink(path);
	rmdir(dir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("contract");
	TCase *tc = tcase_create("contract");

	tcase_add_test(tc, test_context_survives_simulated_kexec);
	tcase_add_test(tc, test_ctx_new_without_simulator);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
