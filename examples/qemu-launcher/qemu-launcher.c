/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * qemu-launcher: keep the guest RAM of an unpatched QEMU across a live
 * update, from outside QEMU.
 *
 *   qemu-launcher --session NAME --size BYTES [--label LABEL] -- QEMU ARGS...
 *
 * The launcher holds the live update session NAME. Before the update it
 * allocates the guest RAM through the library (backing AUTO); after it,
 * it takes the same memory back by label from the incoming session of
 * that name, with the device state the previous QEMU left there. It
 * preserves the RAM at once and starts QEMU on it:
 *
 *   -object memory-backend-file,id=LABEL,size=BYTES,share=on,
 *           mem-path=/proc/self/fd/N
 *   -machine memory-backend=LABEL
 *   [-incoming defer]       (after an update)
 *
 * After an update, load the kept device state on QEMU's monitor: set the
 * migration capability x-ignore-shared, then `migrate-incoming fd:M` (M
 * is printed at the start: the state memfd, inherited).
 *
 * To update: x-ignore-shared on, then migrate into the launcher's empty
 * state memfd /proc/PID/fd/S (printed at the start), for instance opened
 * and passed with getfd, then `migrate fd:NAME` (x-ignore-shared leaves
 * the shared RAM out of the stream: only the device state is written);
 * wait until the migration is completed, then SIGUSR1 to the launcher: it
 * keeps the state in the session. Quit QEMU; the launcher holds the session until
 * the kexec (SIGTERM before that drops it). Start the launcher again, with
 * the same arguments, in the next kernel.
 *
 * If QEMU ends before the state was kept, the launcher ends too, with
 * QEMU's status: the session closes, and nothing claims a saved guest.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* memfd_create */
#endif
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <liveupdate/liveupdate.h>

#include "../common/preserved-memory.h"

#define STATE_LABEL "qemu-device-state"
#define BUSY_TRIES 200	/* EBUSY: a kernel file handler not ready yet */

static volatile sig_atomic_t keep_state, stop;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		keep_state = 1;
	else
		stop = 1;
}

struct launch {
	const char *session, *label;
	uint64_t size;
	char **qemu_argv;
	struct liveupdate_ctx *ctx;
	struct liveupdate_session *in, *out;
	struct preserved_memory ram;
	int state_in;	/* the kept device state, or -1 */
	int state_out;	/* the memfd QEMU saves into */
};

static int die_lib(const char *what, int ret)
{
	fprintf(stderr, "qemu-launcher: %s: %s (%s)\n", what, liveupdate_last_error(),
		strerror(-ret));
	return ret;
}

/* After an update: the RAM and the device state back from the incoming
 * session, which is then finished (what nobody took is dropped). */
static int take_kept(struct launch *l)
{
	const struct liveupdate_entry *entry;
	int ret, tries = 0;

	ret = liveupdate_session_find_entry(l->in, l->label, &entry);
	if (ret < 0)
		return die_lib("no kept guest RAM in the incoming session", ret);
	if (entry->size != l->size) {
		fprintf(stderr, "qemu-launcher: the kept guest RAM has %" PRIu64
			" bytes, --size %" PRIu64 " was given: start with --size %" PRIu64 "\n",
			entry->size, l->size, entry->size);
		return -EINVAL;
	}
	ret = preserved_memory_retrieve(l->in, l->label, &l->ram);
	if (ret < 0)
		return die_lib("cannot retrieve the guest RAM", ret);
	ret = liveupdate_session_retrieve_fd_label(l->in, STATE_LABEL, &l->state_in, NULL);
	if (ret < 0)
		return die_lib("the incoming session kept no device state", ret);
	while ((ret = liveupdate_session_finish(l->in)) == -EBUSY && ++tries < BUSY_TRIES)
		usleep(10000);
	if (ret < 0)
		return die_lib("cannot finish the incoming session", ret);
	printf("qemu-launcher: kept %" PRIu64 " bytes of guest RAM ('%s', backing %s) "
	       "and the device state from session '%s'\n", l->size, l->label,
	       liveupdate_memory_backing_name(liveupdate_memory_get_backing(l->ram.mem)),
	       l->session);
	return 0;
}

static int setup(struct launch *l)
{
	int ret, tries = 0;

	ret = liveupdate_ctx_new(NULL, &l->ctx);
	if (ret < 0)
		return die_lib("libliveupdate", ret);
	ret = liveupdate_session_retrieve(l->ctx, l->session, &l->in);
	if (ret < 0 && ret != -ENOENT)
		return die_lib("cannot retrieve the session", ret);
	if (l->in) {
		ret = take_kept(l);
	} else {
		ret = preserved_memory_create(l->ctx, l->label, l->size, &l->ram);
		if (ret < 0)
			return die_lib("cannot allocate the guest RAM", ret);
		printf("qemu-launcher: new %" PRIu64 " bytes of guest RAM ('%s', backing %s)\n",
		       l->size, l->label,
		       liveupdate_memory_backing_name(liveupdate_memory_get_backing(l->ram.mem)));
	}
	if (ret < 0)
		return ret;
	ret = liveupdate_session_create(l->ctx, l->session, &l->out);
	if (ret < 0)
		return die_lib("cannot create the session", ret);
	while ((ret = preserved_memory_preserve(&l->ram, l->out, l->label)) == -EBUSY &&
	       ++tries < BUSY_TRIES)
		usleep(10000);
	if (ret < 0)
		return die_lib("cannot preserve the guest RAM", ret);
	/* The session lives on without the device: let others have it. */
	liveupdate_ctx_close_device(l->ctx);
	l->state_out = memfd_create(STATE_LABEL, MFD_CLOEXEC);
	if (l->state_out < 0) {
		perror("qemu-launcher: memfd_create");
		return -errno;
	}
	return 0;
}

/* QEMU's command line: the user's, then the RAM and the migration setup. */
static pid_t start_qemu(struct launch *l)
{
	char obj[512], mach[160];
	size_t n = 0, argc = 0;
	char **argv;
	pid_t pid;

	while (l->qemu_argv[argc])
		argc++;
	argv = calloc(argc + 7, sizeof(*argv));
	if (!argv)
		return -ENOMEM;
	snprintf(obj, sizeof(obj), "memory-backend-file,id=%s,size=%" PRIu64
		 ",share=on,mem-path=/proc/self/fd/%d", l->label, l->size, l->ram.fd);
	snprintf(mach, sizeof(mach), "memory-backend=%s", l->label);
	for (n = 0; n < argc; n++)
		argv[n] = l->qemu_argv[n];
	argv[n++] = "-object";
	argv[n++] = obj;
	argv[n++] = "-machine";
	argv[n++] = mach;
	if (l->state_in >= 0) {
		argv[n++] = "-incoming";
		argv[n++] = "defer";
	}
	pid = fork();
	if (pid == 0) {
		/* QEMU inherits the RAM and the kept state at their numbers. */
		int fds[] = { l->ram.fd, l->state_in };

		for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
			if (fds[i] >= 0)
				fcntl(fds[i], F_SETFD, 0);
		execvp(argv[0], argv);
		fprintf(stderr, "qemu-launcher: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	free(argv);
	if (pid < 0)
		return -errno;
	if (l->state_in >= 0)
		printf("qemu-launcher: load the kept device state with x-ignore-shared on "
		       "and `migrate-incoming fd:%d`\n", l->state_in);
	printf("qemu-launcher: QEMU pid %d; save its device state with x-ignore-shared on "
	       "into /proc/%d/fd/%d, then SIGUSR1 to pid %d\n", (int)pid, (int)getpid(),
	       l->state_out, (int)getpid());
	return pid;
}

static int keep_device_state(struct launch *l)
{
	LIVEUPDATE_OPTS(liveupdate_preserve_opts, opts, .label = STATE_LABEL);
	struct stat st;
	int ret;

	if (fstat(l->state_out, &st) < 0 || st.st_size == 0) {
		printf("qemu-launcher: no device state written yet (into /proc/%d/fd/%d)\n",
		       (int)getpid(), l->state_out);
		return -ENODATA;
	}
	ret = liveupdate_session_preserve_fd_opts(l->out, l->state_out, &opts, NULL);
	if (ret < 0)
		return die_lib("cannot keep the device state", ret);
	printf("qemu-launcher: device state kept (%lld bytes) in session '%s'\n",
	       (long long)st.st_size, l->session);
	fflush(stdout);
	return 0;
}

/* Until QEMU ends; then, with the state kept, until the kexec. */
static int supervise(struct launch *l, pid_t pid)
{
	int status, kept = 0;

	for (;;) {
		if (keep_state) {
			keep_state = 0;
			if (!kept)
				kept = keep_device_state(l) == 0;
		}
		if (stop) {
			printf("qemu-launcher: stopped: session '%s' is dropped\n", l->session);
			if (pid > 0) {
				kill(pid, SIGTERM);
				waitpid(pid, &status, 0);
			}
			return 1;
		}
		if (pid > 0 && waitpid(pid, &status, WNOHANG) == pid) {
			pid = 0;
			if (!kept) {
				printf("qemu-launcher: QEMU ended before its state was kept: "
				       "nothing is left for an update\n");
				return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
			}
			printf("qemu-launcher: QEMU ended; holding session '%s' until the kexec\n",
			       l->session);
		}
		usleep(100000);	/* signals cut it short */
	}
}

static void usage(FILE *f)
{
	fprintf(f, "usage: qemu-launcher --session NAME --size BYTES [--label LABEL] "
		   "-- QEMU [ARGS...]\n"
		   "Guest RAM and device state of an unpatched QEMU, kept across a live update.\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "session", required_argument, NULL, 's' },
		{ "size", required_argument, NULL, 'm' },
		{ "label", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct launch l = { .label = "ram0", .state_in = -1, .state_out = -1 };
	struct sigaction sa = { .sa_handler = on_signal };	/* no SA_RESTART */
	char *end;
	pid_t pid;
	int c;

	while ((c = getopt_long(argc, argv, "+s:m:l:h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			l.session = optarg;
			break;
		case 'm':
			errno = 0;
			l.size = strtoull(optarg, &end, 0);
			if (errno || *end || !l.size) {
				fprintf(stderr, "qemu-launcher: --size %s: a number of bytes\n",
					optarg);
				return 2;
			}
			break;
		case 'l':
			l.label = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!l.session || !l.size || optind >= argc) {
		usage(stderr);
		return 2;
	}
	l.qemu_argv = argv + optind;
	setvbuf(stdout, NULL, _IOLBF, 0);	/* a log read as it is written */
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	if (setup(&l) < 0)
		return 1;
	pid = start_qemu(&l);
	if (pid < 0)
		return 1;
	return supervise(&l, pid);
}
