/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * scale: the kernel selftests' stress figures against liveupdate-sim,
 * through the library: NFILES memfds in one session and NSESSIONS
 * sessions, preserved, carried over a simulated kexec, retrieved and every
 * byte checked. Prints the time per operation; tests/sim/scale.sh runs it
 * at two sizes and prints the ratios side by side. Timing is reported,
 * never asserted; correctness is.
 *
 * Usage: scale NSESSIONS NFILES   (with LIBLIVEUPDATE_SIM_SOCKET set)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <liveupdate/liveupdate.h>

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

#define CHECK(expr)                                                             \
	do {                                                                    \
		int r_ = (expr);                                                \
		if (r_ < 0) {                                                   \
			fprintf(stderr, "scale: %s: %s\n", #expr,               \
				liveupdate_last_error());                       \
			exit(1);                                                \
		}                                                               \
	} while (0)

static struct liveupdate_ctx *sim_ctx(void)
{
	LIVEUPDATE_OPTS(liveupdate_ctx_opts, o, .backend = LIVEUPDATE_BACKEND_SIM);
	struct liveupdate_ctx *ctx;

	CHECK(liveupdate_ctx_new(&o, &ctx));
	liveupdate_ctx_set_log_fn(ctx, NULL, NULL);
	return ctx;
}

int main(int argc, char **argv)
{
	int nsessions = argc > 2 ? atoi(argv[1]) : 2000;
	int nfiles = argc > 2 ? atoi(argv[2]) : 500;
	struct liveupdate_session **sessions, *files;
	struct liveupdate_ctx *ctx;
	struct rlimit rl;
	double t, create_us, preserve_us, retrieve_us, reopen_us;
	char name[32];

	/* one fd per session and per file, as with the kernel */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	sessions = calloc((size_t)nsessions, sizeof(*sessions));
	if (!sessions)
		return 1;
	ctx = sim_ctx();

	CHECK(liveupdate_session_create(ctx, "scale-files", &files));
	preserve_us = 0;
	for (int i = 0; i < nfiles; i++) {
		int fd = memfd_create("scale", MFD_CLOEXEC);
		char page[4096];

		memset(page, 'a' + i % 26, sizeof(page));
		memcpy(page, &i, sizeof(i));
		if (fd < 0 || pwrite(fd, page, sizeof(page), 0) != sizeof(page))
			return 1;
		t = now_us();
		CHECK(liveupdate_session_preserve_fd(files, fd, (uint64_t)i));
		preserve_us += now_us() - t;
		close(fd); /* the simulator holds it now, as the kernel would */
	}
	t = now_us();
	for (int i = 0; i < nsessions; i++) {
		snprintf(name, sizeof(name), "scale-%05d", i);
		CHECK(liveupdate_session_create(ctx, name, &sessions[i]));
	}
	create_us = now_us() - t;

	CHECK(liveupdate_kexec_load(ctx, "/proc/self/exe", NULL));
	CHECK(liveupdate_kexec_reboot(ctx));
	/* the previous "boot": its objects and their dead fds go */
	for (int i = 0; i < nsessions; i++)
		liveupdate_session_unref(sessions[i]);
	liveupdate_session_unref(files);
	liveupdate_ctx_unref(ctx);
	ctx = sim_ctx();

	CHECK(liveupdate_session_retrieve(ctx, "scale-files", &files));
	retrieve_us = 0;
	for (int i = 0; i < nfiles; i++) {
		char page[4096];
		int fd, got;

		t = now_us();
		CHECK(liveupdate_session_retrieve_fd(files, (uint64_t)i, &fd));
		retrieve_us += now_us() - t;
		if (pread(fd, page, sizeof(page), 0) != sizeof(page))
			return 1;
		memcpy(&got, page, sizeof(got));
		if (got != i || page[100] != 'a' + i % 26) {
			fprintf(stderr, "scale: token %d came back with the wrong bytes\n", i);
			return 1;
		}
		close(fd);
	}
	CHECK(liveupdate_session_finish(files));
	liveupdate_session_unref(files);

	t = now_us();
	for (int i = 0; i < nsessions; i++) {
		struct liveupdate_session *s;

		snprintf(name, sizeof(name), "scale-%05d", i);
		CHECK(liveupdate_session_retrieve(ctx, name, &s));
		CHECK(liveupdate_session_finish(s));
		liveupdate_session_unref(s);
	}
	reopen_us = now_us() - t;
	liveupdate_ctx_unref(ctx);
	free(sessions);

	/* one line the script reads: sizes, then microseconds per operation */
	printf("%d %d %.1f %.1f %.1f %.1f\n", nsessions, nfiles,
	       preserve_us / nfiles, create_us / nsessions, retrieve_us / nfiles,
	       reopen_us / nsessions);
	return 0;
}
