/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cache: an in-memory key-value store whose table lives in a memfd that
 * survives a live update. It answers a line protocol (cache-command.h) on
 * a Unix socket; on UPDATE or SIGUSR1 it preserves the table and hands it
 * over (exits, or reboots into the next kernel with --kexec); started again
 * it serves the same keys. `cache --client` sends lines and prints answers.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <liveupdate/liveupdate.h>

#include "../common/unix-socket.h"
#include "../common/update.h"
#include "cache-command.h"
#include "cache-handover.h"

struct server {
	const char *socket_path;
	char session_name[LIVEUPDATE_SESSION_NAME_MAX + 1];
	uint64_t size;
	struct example_kexec next;
	struct liveupdate_ctx *ctx;
	struct preserved_memory mem;
	struct cache_store store;
	int listen_fd, client_fd;
	char buf[CACHE_LINE_MAX + 1];
	size_t used;
};

static int listen_on(const char *path)
{
	struct sockaddr_un a;
	int fd;

	if (example_unix_address(path, &a) < 0) {
		fprintf(stderr, "cache: socket path too long: %s\n", path);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	unlink(path);	/* the previous version's socket */
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 8) < 0) {
		fprintf(stderr, "cache: listening on %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* The table: back from the session, or new. */
static int start(struct server *sv)
{
	int ret = liveupdate_ctx_open_device(sv->ctx);

	if (ret < 0)
		printf("cache: live update is not available here, so no table to take "
		       "back and no update possible: %s\n", liveupdate_last_error());
	ret = cache_handover_start(sv->ctx, ret < 0 ? NULL : sv->session_name, sv->size,
				   &sv->mem, &sv->store);
	liveupdate_ctx_close_device(sv->ctx);	/* for others until the update */
	if (ret < 0) {
		fprintf(stderr, "cache: %s\n", ret == -EPROTO ? "the preserved table is not "
			"one this version understands" : liveupdate_strerror(ret));
		return ret;
	}
	printf("cache: %s: %" PRIu64 " keys (capacity %" PRIu64 "), checksum %016" PRIx64 "\n",
	       ret == 1 ? "table taken back from the previous process or kernel" :
	       "new empty table", cache_store_count(&sv->store),
	       cache_store_capacity(&sv->store), cache_store_checksum(&sv->store));
	return 0;
}

/* Preserve the table and reboot. 1: handed over (restart in place: exit;
 * simulated kexec: go on with the table taken back), 0: failed, serving on. */
static int update(struct server *sv)
{
	struct liveupdate_session *s = NULL;
	int ret;

	if (example_update_load(sv->ctx, &sv->next, "cache") < 0)
		return 0;
	ret = cache_handover_preserve(sv->ctx, sv->session_name, &sv->mem, &s);
	if (ret < 0) {
		printf("cache: update failed, serving on: %s\n", liveupdate_last_error());
		return 0;
	}
	printf("cache: %" PRIu64 " keys preserved in session \"%s\", checksum %016" PRIx64 "\n",
	       cache_store_count(&sv->store), sv->session_name, cache_store_checksum(&sv->store));
	fflush(stdout);
	ret = liveupdate_kexec_reboot(sv->ctx);	/* the kernel: no return */
	liveupdate_session_unref(s);
	if (ret < 0) {
		printf("cache: reboot failed, serving on: %s\n", liveupdate_last_error());
		return 0;
	}
	preserved_memory_close(&sv->mem);
	if (!sv->next.kernel)
		return 1;
	printf("cache: simulated kexec done: this process plays the cache started in "
	       "the new kernel\n");
	return start(sv) < 0 ? -1 : 1;
}

static void drop_client(struct server *sv)
{
	if (sv->client_fd >= 0)
		close(sv->client_fd);
	sv->client_fd = -1;
	sv->used = 0;
}

static int send_line(int fd, const char *s)
{
	char out[CACHE_LINE_MAX + 2];
	int n = snprintf(out, sizeof(out), "%s\n", s);

	return send(fd, out, (size_t)n, MSG_NOSIGNAL) == n ? 0 : -1;
}

/* Read what the client sent and answer every complete line. */
static enum cache_action serve_client(struct server *sv)
{
	char reply[CACHE_LINE_MAX];
	enum cache_action act = CACHE_GO_ON;
	ssize_t n = read(sv->client_fd, sv->buf + sv->used, sizeof(sv->buf) - sv->used);
	char *nl;

	if (n <= 0) {
		if (n < 0 && errno == EINTR)
			return CACHE_GO_ON;
		drop_client(sv);
		return CACHE_GO_ON;
	}
	sv->used += (size_t)n;
	while (act == CACHE_GO_ON && (nl = memchr(sv->buf, '\n', sv->used))) {
		size_t len = (size_t)(nl - sv->buf);

		act = cache_command(&sv->store, sv->buf, len, reply, sizeof(reply));
		memmove(sv->buf, nl + 1, sv->used - len - 1);
		sv->used -= len + 1;
		if (send_line(sv->client_fd, reply) < 0)
			act = CACHE_QUIT;
	}
	if (act == CACHE_GO_ON && sv->used == sizeof(sv->buf)) {
		send_line(sv->client_fd, "ERROR line too long");
		act = CACHE_QUIT;
	}
	if (act != CACHE_GO_ON)
		drop_client(sv);
	return act;
}

static int serve(struct server *sv)
{
	for (;;) {
		/* One client at a time: the next one waits in the backlog. */
		struct pollfd p = { sv->client_fd >= 0 ? sv->client_fd : sv->listen_fd, POLLIN, 0 };
		int ret;

		if (example_stop_requested) {
			printf("cache: stopped with %" PRIu64 " keys\n", cache_store_count(&sv->store));
			return 0;
		}
		if (example_update_requested) {
			example_update_requested = 0;
			drop_client(sv);
			ret = update(sv);
			if (ret < 0)
				return 1;
			if (ret == 1 && !sv->next.kernel) {
				printf("cache: handed over; exiting. Start the (new) cache again "
				       "to serve the same keys\n");
				return 0;
			}
			continue;
		}
		ret = poll(&p, 1, -1);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret < 0)
			return 1;
		if (sv->client_fd >= 0) {
			if (serve_client(sv) == CACHE_UPDATE)
				example_update_requested = 1;
		} else {
			sv->client_fd = accept4(sv->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		}
	}
}

/* --client: send each line (arguments, or stdin), print each answer. */
static int client(const char *path, char **lines, int nlines)
{
	char line[CACHE_LINE_MAX + 2];
	FILE *in, *out;
	int fd = example_unix_connect(path), i = 0, bad = 0;

	if (fd < 0) {
		fprintf(stderr, "cache: connecting to %s: %s (is the cache running?)\n",
			path, strerror(-fd));
		return 1;
	}
	in = fdopen(fd, "r");
	out = fdopen(dup(fd), "w");
	if (!in || !out)
		return 1;
	for (;;) {
		if (nlines) {
			if (i == nlines)
				break;
			snprintf(line, sizeof(line), "%s\n", lines[i++]);
		} else if (!fgets(line, sizeof(line), stdin)) {
			break;
		}
		if (fputs(line, out) < 0 || fflush(out) < 0 || !fgets(line, sizeof(line), in)) {
			fprintf(stderr, "cache: the cache closed the connection\n");
			return 1;
		}
		fputs(line, stdout);
		bad |= !strncmp(line, "ERROR", 5);
	}
	fclose(out);
	fclose(in);
	return bad;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: cache [OPTIONS]                     serve\n"
		"       cache --client [OPTIONS] [LINE...]  send lines (or stdin), print answers\n"
		"  -n, --name NAME       the cache's name; its session is cache-NAME (default c0)\n"
		"  -s, --socket PATH     the socket (default /tmp/liveupdate-cache-NAME.sock)\n"
		"  -m, --size-mb N       table size in MiB for a new table (default 4)\n"
		"  -k, --kexec KERNEL    update = load KERNEL and reboot into it (default:\n"
		"                        hand over and exit, to be started again: simulator)\n"
		"  -i, --initrd FILE     with --kexec: the new kernel's initramfs\n"
		"  -c, --cmdline STRING  with --kexec: its command line\n"
		"Commands: SET KEY VALUE, GET KEY, DEL KEY, COUNT, UPDATE, QUIT.\n"
		"Exit status of --client: 1 if an answer was an ERROR or the cache is gone.\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "client", no_argument, NULL, 'C' }, { "name", required_argument, NULL, 'n' },
		{ "socket", required_argument, NULL, 's' },
		{ "size-mb", required_argument, NULL, 'm' },
		{ "kexec", required_argument, NULL, 'k' },
		{ "initrd", required_argument, NULL, 'i' },
		{ "cmdline", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' }, { 0 }
	};
	struct server sv = { .size = 4u << 20, .listen_fd = -1, .client_fd = -1,
			     .mem.fd = -1 };
	const char *name = "c0";
	char path[108];
	int is_client = 0, c, ret;
	char *end;

	while ((c = getopt_long(argc, argv, "Cn:s:m:k:i:c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'C': is_client = 1; break;
		case 'n': name = optarg; break;
		case 's': sv.socket_path = optarg; break;
		case 'm':
			sv.size = strtoull(optarg, &end, 10) << 20;
			if (*end || sv.size == 0 || sv.size > (1ull << 30)) {
				fprintf(stderr, "cache: --size-mb: 1 to 1024\n");
				return 2;
			}
			break;
		case 'k': sv.next.kernel = optarg; break;
		case 'i': sv.next.initrd = optarg; break;
		case 'c': sv.next.cmdline = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!sv.socket_path) {
		snprintf(path, sizeof(path), "/tmp/liveupdate-cache-%s.sock", name);
		sv.socket_path = path;
	}
	if (is_client)
		return client(sv.socket_path, argv + optind, argc - optind);
	if (optind < argc || cache_session_name(name, sv.session_name) < 0) {
		usage(stderr);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	example_catch_signals();
	ret = liveupdate_ctx_new(NULL, &sv.ctx);
	if (ret < 0) {
		fprintf(stderr, "cache: %s\n", liveupdate_last_error());
		return 1;
	}
	ret = 1;
	if (start(&sv) == 0) {
		sv.listen_fd = listen_on(sv.socket_path);
		if (sv.listen_fd >= 0) {
			printf("cache: serving on %s\n", sv.socket_path);
			ret = serve(&sv);
			close(sv.listen_fd);
		}
	}
	drop_client(&sv);
	preserved_memory_close(&sv.mem);
	liveupdate_ctx_unref(sv.ctx);
	return ret;
}
