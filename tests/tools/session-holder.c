/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * session-holder handover NAME SOCKET: create session NAME as below, ready
 * for a handover, and hand it over to the process listening on the Unix
 * socket SOCKET. For tests/tools/ctl-hold.sh.
 *
 * session-holder create|retrieve NAME -- CMD [ARG...]: under liveupdate-sim,
 * create session NAME with a manifest (session metadata vm=42, a labelled
 * memfd "disk0" with metadata, a labelled 4 KiB shmem memory object "ram"),
 * or retrieve incoming session NAME; then run CMD with the session fd
 * inherited and its number in $SESSION_FD, holding the session meanwhile.
 * Exits with CMD's status. For tests/tools/ctl-manifest.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <liveupdate/liveupdate.h>

static void check(int err, const char *what)
{
	if (err < 0) {
		fprintf(stderr, "session-holder: %s: %s\n", what, liveupdate_last_error());
		exit(2);
	}
}

static void fill(struct liveupdate_ctx *ctx, struct liveupdate_session *s)
{
	struct liveupdate_meta meta[] = { { "bus", "virtio" } };
	LIVEUPDATE_OPTS(liveupdate_preserve_opts, disk, .label = "disk0", .meta = meta,
			.n_meta = 1);
	LIVEUPDATE_OPTS(liveupdate_preserve_opts, ram, .label = "ram");
	LIVEUPDATE_OPTS(liveupdate_memory_opts, mo, .size = 1 << 20,
			.backing = LIVEUPDATE_MEMORY_SHMEM);
	struct liveupdate_memory *mem;
	int fd = memfd_create("disk0", MFD_CLOEXEC);

	check(fd < 0 || ftruncate(fd, 4096) < 0 ? -1 : 0, "memfd");
	check(liveupdate_session_set_meta(s, "vm", "42"), "set_meta");
	check(liveupdate_session_preserve_fd_opts(s, fd, &disk, NULL), "preserve disk0");
	check(liveupdate_memory_new(ctx, &mo, &mem), "memory_new");
	check(liveupdate_memory_preserve_opts(mem, s, &ram, NULL), "preserve ram");
	liveupdate_memory_unref(mem);
	close(fd);
}

static int handover(struct liveupdate_ctx *ctx, const char *name, const char *path)
{
	LIVEUPDATE_OPTS(liveupdate_session_opts, so, .flags = LIVEUPDATE_SESSION_HANDOVER);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct liveupdate_session *s = NULL;
	int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	check(sock < 0 || connect(sock, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -1 : 0,
	      "connect");
	check(liveupdate_session_create_opts(ctx, name, &so, &s), "create");
	fill(ctx, s);
	check(liveupdate_session_handover(s, sock), "handover");
	close(sock);
	liveupdate_session_unref(s);
	liveupdate_ctx_unref(ctx);
	return 0;
}

int main(int argc, char **argv)
{
	LIVEUPDATE_OPTS(liveupdate_ctx_opts, o, .backend = LIVEUPDATE_BACKEND_SIM);
	struct liveupdate_session *s = NULL;
	struct liveupdate_ctx *ctx = NULL;
	char num[16];
	int status, sfd;
	pid_t pid;

	if (argc == 4 && !strcmp(argv[1], "handover")) {
		check(liveupdate_ctx_new(&o, &ctx), "ctx");
		return handover(ctx, argv[2], argv[3]);
	}
	if (argc < 5 || strcmp(argv[3], "--") ||
	    (strcmp(argv[1], "create") && strcmp(argv[1], "retrieve"))) {
		fprintf(stderr, "usage: session-holder create|retrieve NAME -- CMD [ARG...]\n"
			"       session-holder handover NAME SOCKET\n");
		return 2;
	}
	check(liveupdate_ctx_new(&o, &ctx), "ctx");
	liveupdate_ctx_set_log_fn(ctx, NULL, NULL);
	if (!strcmp(argv[1], "create")) {
		check(liveupdate_session_create(ctx, argv[2], &s), "create");
		fill(ctx, s);
	} else {
		check(liveupdate_session_retrieve(ctx, argv[2], &s), "retrieve");
	}
	/* a duplicate without O_CLOEXEC for the command */
	sfd = dup(liveupdate_session_get_fd(s));
	check(sfd, "dup");
	snprintf(num, sizeof(num), "%d", sfd);
	setenv("SESSION_FD", num, 1);
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		execvp(argv[4], argv + 4);
		perror(argv[4]);
		_exit(127);
	}
	check(pid < 0 || waitpid(pid, &status, 0) != pid ? -1 : 0, "running the command");
	close(sfd);
	liveupdate_session_unref(s);
	liveupdate_ctx_unref(ctx);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 2;
}
