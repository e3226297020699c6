/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One process of a session handover, for tests/handover/sim.sh: written from
 * <liveupdate/liveupdate.h> alone, against the shared library, as a VMM
 * would be. The arguments are steps run in order on one current session;
 * the first failing step ends the program with status 1, saying why.
 *
 *   create NAME N      a session with LIVEUPDATE_SESSION_HANDOVER, N memfds
 *                      labelled file-0 .. file-N-1, session metadata
 *   add LABEL          preserve one more memfd under LABEL
 *   give PATH          listen on the Unix socket PATH (stream), hand the
 *                      session over to the first client, check that the
 *                      session now refuses changes, drop it
 *   give-refused PATH  the same, but the handover must fail: then check
 *                      that the session is intact (its files, a new
 *                      preserve), and keep it
 *   take PATH          connect to PATH and receive the session
 *   expect N           the manifest lists N files (its own pieces aside)
 *   label LABEL        the file labelled LABEL is there, byte-exact, by
 *                      label and by token
 *   files K            the same for file-0 .. file-K-1
 *   meta               the session metadata the creator set is there
 *   kexec              load this program as the "kernel" and reboot (on
 *                      liveupdate-sim: a simulated kexec)
 *   retrieve NAME      the incoming session NAME, after the kexec
 *   finish             finish the incoming session
 *   raw-take PATH K    connect and read K bytes (or "all"), then exit
 *                      without answering: a successor that dies midway
 *   say TEXT           print TEXT (the script waits for it)
 *   pause PATH         print "paused" and wait until the file PATH exists
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <liveupdate/liveupdate.h>

static struct liveupdate_ctx *ctx;
static struct liveupdate_session *session;
static const char *self;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "peer[%d]: ", (int)getpid());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (last error: %s)\n", liveupdate_last_error());
	exit(1);
}

#define MUST(expr)                                                            \
	do {                                                                  \
		int r_ = (expr);                                              \
		if (r_ < 0)                                                   \
			die("%s: %s", #expr, liveupdate_strerror(r_));        \
	} while (0)

/* The size and bytes of the file labelled label: different for each label. */
static uint32_t label_hash(const char *label)
{
	uint32_t h = 2166136261u;

	for (; *label; label++)
		h = (h ^ (uint8_t)*label) * 16777619u;
	return h;
}

static size_t label_size(const char *label)
{
	return 4096 + label_hash(label) % 8192;
}

static uint8_t label_byte(const char *label, size_t i)
{
	return (uint8_t)(label_hash(label) + i * 7 + i / 251);
}

static void add(const char *label)
{
	LIVEUPDATE_OPTS(liveupdate_preserve_opts, po, .label = label);
	size_t size = label_size(label);
	uint8_t *buf = malloc(size);
	int fd = memfd_create(label, MFD_CLOEXEC);

	if (!buf || fd < 0)
		die("memfd for %s", label);
	for (size_t i = 0; i < size; i++)
		buf[i] = label_byte(label, i);
	if (write(fd, buf, size) != (ssize_t)size)
		die("writing %s", label);
	MUST(liveupdate_session_preserve_fd_opts(session, fd, &po, NULL));
	close(fd);
	free(buf);
}

static void check_bytes(const char *label, int fd, const char *how)
{
	size_t size = label_size(label);
	uint8_t *buf = malloc(size + 1);
	struct stat st;

	if (!buf || fstat(fd, &st) < 0 || (size_t)st.st_size != size)
		die("%s (%s): size %lld, not %zu", label, how, (long long)st.st_size, size);
	if (pread(fd, buf, size + 1, 0) != (ssize_t)size)
		die("%s (%s): short read", label, how);
	for (size_t i = 0; i < size; i++)
		if (buf[i] != label_byte(label, i))
			die("%s (%s): byte %zu differs", label, how, i);
	free(buf);
}

/* label, by label and (outgoing or before finish) by token, byte-exact */
static void expect_label(const char *label)
{
	const struct liveupdate_entry *e;
	int fd, fd2;

	MUST(liveupdate_session_retrieve_fd_label(session, label, &fd, &e));
	check_bytes(label, fd, "by label");
	close(fd);
	MUST(liveupdate_session_retrieve_fd(session, e->token, &fd2));
	check_bytes(label, fd2, "by token");
	close(fd2);
}

static int unix_socket(const char *path, struct sockaddr_un *sa)
{
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (s < 0 || strlen(path) >= sizeof(sa->sun_path))
		die("socket %s", path);
	strcpy(sa->sun_path, path);
	return s;
}

/* listen on path, accept one client */
static int accept_one(const char *path)
{
	struct sockaddr_un sa;
	struct timeval limit = { .tv_sec = 60 };
	int l = unix_socket(path, &sa), c;

	/* a successor that never comes must not leave this process behind */
	setsockopt(l, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit));
	unlink(path);
	if (bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(l, 1) < 0)
		die("listening on %s: %s", path, strerror(errno));
	printf("listening\n");
	fflush(stdout);
	c = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		die("accept: %s", strerror(errno));
	close(l);
	unlink(path);
	return c;
}

static int connect_to(const char *path)
{
	struct sockaddr_un sa;
	int s = unix_socket(path, &sa);

	/* the other side may not listen yet */
	for (int i = 0; connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0; i++) {
		if (i == 200)
			die("connecting to %s: %s", path, strerror(errno));
		usleep(25000);
	}
	return s;
}

static void give(const char *path)
{
	int sock = accept_one(path), fd, ret;

	MUST(liveupdate_session_handover(session, sock));
	close(sock);
	/* the header: changes and files are the successor's now */
	ret = liveupdate_session_preserve_fd(session, 0, 999);
	if (ret != -EINVAL)
		die("preserve after the handover: %d, not -EINVAL", ret);
	ret = liveupdate_session_retrieve_fd_label(session, "file-0", &fd, NULL);
	if (ret != -EINVAL && ret != -ENOENT)
		die("retrieve after the handover: %d", ret);
	session = liveupdate_session_unref(session);
	printf("handed over\n");
	fflush(stdout);
}

static void give_refused(const char *path)
{
	int sock = accept_one(path);
	long before = liveupdate_session_count_entries(session), after;
	int ret = liveupdate_session_handover(session, sock);

	close(sock);
	if (ret >= 0)
		die("the handover succeeded; it should have failed");
	printf("failed: %s\n", liveupdate_last_error());
	/* intact and usable */
	after = liveupdate_session_count_entries(session);
	if (after != before)
		die("%ld files after the failed handover, %ld before", after, before);
	expect_label("file-0");
	add("after-failed-handover");
	printf("intact\n");
	fflush(stdout);
}

static void take(const char *path)
{
	int sock = connect_to(path);

	if (session)
		die("take: a session is already held");
	MUST(liveupdate_session_receive(ctx, sock, &session));
	close(sock);
	if (liveupdate_session_get_direction(session) != LIVEUPDATE_SESSION_OUTGOING)
		die("the session received is not outgoing");
	printf("received %s\n", liveupdate_session_get_name(session));
	fflush(stdout);
}

static void raw_take(const char *path, const char *count)
{
	int sock = connect_to(path);
	long want = strcmp(count, "all") ? atol(count) : -1, got = 0;
	char buf[4096];

	while (want < 0 || got < want) {
		size_t n = want < 0 || want - got > (long)sizeof(buf) ? sizeof(buf)
								      : (size_t)(want - got);
		ssize_t r = recv(sock, buf, n, want < 0 ? MSG_DONTWAIT : 0);

		if (r <= 0 && want < 0 && errno == EAGAIN && got > 0)
			break; /* everything the predecessor sent */
		if (r < 0 && errno == EAGAIN) {
			usleep(20000);
			continue;
		}
		if (r <= 0)
			break;
		got += r;
	}
	printf("read %ld bytes, dying\n", got);
	fflush(stdout);
	_exit(0);
}

static void expect(long n)
{
	long count = liveupdate_session_count_entries(session);

	MUST(count);
	if (count != n)
		die("the manifest lists %ld files, not %ld", count, n);
}

int main(int argc, char **argv)
{
	self = argv[0];
	MUST(liveupdate_ctx_new(NULL, &ctx));
	liveupdate_ctx_set_log_fn(ctx, NULL, NULL);
	for (int i = 1; i < argc; i++) {
		const char *step = argv[i];
		const char *arg = i + 1 < argc ? argv[i + 1] : "";

		if (!strcmp(step, "create") && i + 2 < argc) {
			LIVEUPDATE_OPTS(liveupdate_session_opts, so,
					.flags = LIVEUPDATE_SESSION_HANDOVER);
			long n = atol(argv[i + 2]);
			char label[32];

			MUST(liveupdate_session_create_opts(ctx, arg, &so, &session));
			MUST(liveupdate_session_set_meta(session, "vmm", "predecessor"));
			for (long k = 0; k < n; k++) {
				snprintf(label, sizeof(label), "file-%ld", k);
				add(label);
			}
			i += 2;
		} else if (!strcmp(step, "add") && *arg) {
			add(arg);
			i++;
		} else if (!strcmp(step, "give") && *arg) {
			give(arg);
			i++;
		} else if (!strcmp(step, "give-refused") && *arg) {
			give_refused(arg);
			i++;
		} else if (!strcmp(step, "take") && *arg) {
			take(arg);
			i++;
		} else if (!strcmp(step, "raw-take") && i + 2 < argc) {
			raw_take(arg, argv[i + 2]);
		} else if (!strcmp(step, "expect") && *arg) {
			expect(atol(arg));
			i++;
		} else if (!strcmp(step, "label") && *arg) {
			expect_label(arg);
			i++;
		} else if (!strcmp(step, "files") && *arg) {
			/* file-0 .. file-K-1, byte-exact */
			char label[32];

			for (long k = 0; k < atol(arg); k++) {
				snprintf(label, sizeof(label), "file-%ld", k);
				expect_label(label);
			}
			i++;
		} else if (!strcmp(step, "meta")) {
			const char *v;

			MUST(liveupdate_session_get_meta(session, "vmm", &v));
			if (strcmp(v, "predecessor"))
				die("session metadata vmm=%s", v);
		} else if (!strcmp(step, "kexec")) {
			MUST(liveupdate_kexec_load(ctx, self, NULL));
			MUST(liveupdate_kexec_reboot(ctx));
			/* the old boot's session is dead: drop it */
			session = liveupdate_session_unref(session);
			printf("rebooted\n");
			fflush(stdout);
		} else if (!strcmp(step, "retrieve") && *arg) {
			MUST(liveupdate_session_retrieve(ctx, arg, &session));
			i++;
		} else if (!strcmp(step, "finish")) {
			MUST(liveupdate_session_finish(session));
		} else if (!strcmp(step, "pause") && *arg) {
			printf("paused\n");
			fflush(stdout);
			for (int k = 0; access(arg, F_OK) < 0; k++) {
				if (k == 1200)
					die("%s did not appear in 60 s", arg);
				usleep(50000);
			}
			i++;
		} else if (!strcmp(step, "say") && *arg) {
			printf("%s\n", arg);
			fflush(stdout);
			i++;
		} else {
			die("unknown or incomplete step \"%s\"", step);
		}
	}
	liveupdate_session_unref(session);
	liveupdate_ctx_unref(ctx);
	return 0;
}
