/*
 * lib-handover: a live session handed from one process to another on the
 * real kernel (liveupdate_session_handover / liveupdate_session_receive),
 * then carried across a kexec by the successor.
 *
 * Stage 1: a child process, the predecessor, creates session
 * "lib-handover" (LIVEUPDATE_SESSION_HANDOVER) with two memory objects of
 * the library, labelled and filled, and 301 memfds by token (more than
 * one SCM_RIGHTS message carries). Before the real handover it tries
 * three that must fail and leave its session intact: a successor that
 * dies after reading part of the offer, one running as another uid
 * (refused on both sides, SO_PEERCRED), and one that refuses it (its fd
 * limit leaves no room for the files); after each, its files are found by
 * label, byte-exact, and after the first it preserves more. Then it
 * hands the session to this stage's process over a socketpair and exits.
 * The successor (this process, which never held the session before)
 * finds every file by label, byte-exact, labels one more memory object,
 * and keeps the session fd for the kexec: the session crosses the update
 * in the successor's hands alone.
 * Stage 2: the new kernel's session has every label, byte-exact, and the
 * session metadata of both processes.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "lutest-lib.h"

#define NAME "lib-handover"
#define OTHER_UID 65534

static const struct {
	const char *label;
	uint64_t size, seed;
	int by_predecessor; /* 0: labelled by the successor */
} files[] = {
	{ "guest-ram", 8u << 20, 0x40a1, 1 },
	{ "vcpu-state", 64u << 10, 0x40a2, 1 },
	{ "after-a-failed-handover", 12288, 0x40a3, 1 },
	{ "successor-state", 256u << 10, 0x40a4, 0 },
};
#define N_FILES (sizeof(files) / sizeof(files[0]))
#define TOKEN_FILE 77
#define TOKEN_SEED 0x40a5
/* More files than one SCM_RIGHTS message carries (253): two batches. */
#define MANY 300
#define MANY_TOKEN 1000

/* A memory object of the library, filled, preserved under its label. */
static void preserve_memory(struct liveupdate_ctx *ctx, struct liveupdate_session *s,
			    size_t i)
{
	LIVEUPDATE_OPTS(liveupdate_memory_opts, mo, .size = files[i].size,
			.backing = LIVEUPDATE_MEMORY_AUTO, .name = files[i].label);
	LIVEUPDATE_OPTS(liveupdate_preserve_opts, po, .label = files[i].label);
	struct liveupdate_memory *mem = NULL;
	void *p;

	LT_OK(liveupdate_memory_new(ctx, &mo, &mem));
	LT_OK(liveupdate_memory_map(mem, &p));
	lt_fill(p, files[i].size, files[i].seed);
	LT_OK(liveupdate_memory_preserve_opts(mem, s, &po, NULL));
	liveupdate_memory_unref(mem);
}

/* Every file labelled so far (up to n) found by label, byte-exact. */
static void check_labels(struct liveupdate_session *s, size_t n, const char *who)
{
	for (size_t i = 0; i < n; i++) {
		struct liveupdate_memory *mem = NULL;
		void *p;
		long bad;

		LT_OK(liveupdate_memory_retrieve_label(s, files[i].label, &mem));
		LT_CHECK(liveupdate_memory_get_size(mem) == files[i].size, "%s: %s is %" PRIu64
			 " bytes", who, files[i].label, liveupdate_memory_get_size(mem));
		LT_OK(liveupdate_memory_map(mem, &p));
		bad = lt_verify(p, files[i].size, files[i].seed);
		LT_CHECK(bad < 0, "%s: %s: byte %ld differs", who, files[i].label, bad);
		liveupdate_memory_unref(mem);
	}
	LT_CHECK(liveupdate_session_count_entries(s) == (long)n, "%s: %ld entries, want %zu",
		 who, liveupdate_session_count_entries(s), n);
	lt_log("%s: %zu labelled files found, byte-exact", who, n);
}

/* The MANY files by token, each with its own contents. */
static void check_many(struct liveupdate_session *s, const char *who)
{
	for (int i = 0; i < MANY; i++) {
		int fd;

		LT_OK(liveupdate_session_retrieve_fd(s, MANY_TOKEN + i, &fd));
		lt_check_memfd(fd, 4096, MANY_TOKEN + i, who);
		close(fd);
	}
	lt_log("%s: %d more files by token, byte-exact", who, MANY);
}

/* What the predecessor put in besides its labels: the files by token and
 * its metadata. */
static void check_unlabelled(struct liveupdate_session *s, const char *who)
{
	const char *v;
	int fd;

	LT_OK(liveupdate_session_retrieve_fd(s, TOKEN_FILE, &fd));
	lt_check_memfd(fd, 4096, TOKEN_SEED, who);
	close(fd);
	check_many(s, who);
	LT_OK(liveupdate_session_get_meta(s, "written-by", &v));
	LT_CHECK(!strcmp(v, "predecessor"), "%s: metadata written-by=%s", who, v);
}

/* A successor that reads part of the offer and dies. */
static void dying_successor(int sock)
{
	char buf[20];

	if (recv(sock, buf, sizeof(buf), MSG_WAITALL) != (ssize_t)sizeof(buf))
		_exit(2);
	_exit(0); /* gone midway: the socket closes, no answer */
}

/* A successor without room for the files (RLIMIT_NOFILE): the kernel
 * drops the fds that do not fit (MSG_CTRUNC), and it must refuse. */
static void crowded_successor(int sock)
{
	struct rlimit rl = { 64, 64 };
	struct liveupdate_ctx *ctx = NULL;
	struct liveupdate_session *got = NULL;
	int r;

	if (setrlimit(RLIMIT_NOFILE, &rl) < 0 || liveupdate_ctx_new(NULL, &ctx) < 0)
		_exit(3);
	r = liveupdate_session_receive(ctx, sock, &got);
	lt_log("successor with 64 fds: %d (%s)", r, liveupdate_last_error());
	_exit(r == -EMFILE ? 0 : 4);
}

static void reap(pid_t pid, const char *who)
{
	int st;

	LT_CHECK(waitpid(pid, &st, 0) == pid, "waitpid %s", who);
	LT_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: status %#x", who, st);
}

/* Hand s to successor, run in a child on a socketpair: what the handover
 * returned, once the child exited 0. */
static int hand_to(struct liveupdate_session *s, void (*successor)(int sock),
		   const char *who)
{
	int sv[2], r;
	pid_t pid;

	LT_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0, "socketpair");
	pid = fork();
	LT_CHECK(pid >= 0, "fork");
	if (pid == 0) {
		close(sv[0]);
		successor(sv[1]);
	}
	close(sv[1]);
	r = liveupdate_session_handover(s, sv[0]);
	lt_log("predecessor, to %s: %d (%s)", who, r, r ? liveupdate_last_error() : "ok");
	close(sv[0]);
	reap(pid, who);
	return r;
}

/* An abstract socket name of this scenario's own. */
static socklen_t other_uid_address(struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	snprintf(sa->sun_path + 1, sizeof(sa->sun_path) - 1, "lutest-handover-%d", (int)getpid());
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
			   strlen(sa->sun_path + 1));
}

/* The successor of another uid: it refuses, and so does the predecessor. */
static void try_other_uid(struct liveupdate_session *s)
{
	struct sockaddr_un sa;
	socklen_t len = other_uid_address(&sa);
	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), c;
	pid_t pid;

	LT_CHECK(lfd >= 0 && bind(lfd, (struct sockaddr *)&sa, len) == 0 && listen(lfd, 1) == 0,
		 "listening: %s", lt_errname(errno));
	pid = fork();
	LT_CHECK(pid >= 0, "fork");
	if (pid == 0) {
		struct liveupdate_ctx *ctx = NULL;
		struct liveupdate_session *got = NULL;
		int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (setresgid(OTHER_UID, OTHER_UID, OTHER_UID) < 0 ||
		    setresuid(OTHER_UID, OTHER_UID, OTHER_UID) < 0 ||
		    connect(sock, (struct sockaddr *)&sa, len) < 0 ||
		    liveupdate_ctx_new(NULL, &ctx) < 0)
			_exit(3);
		_exit(liveupdate_session_receive(ctx, sock, &got) == -EPERM ? 0 : 4);
	}
	c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	LT_CHECK(c >= 0, "accept: %s", lt_errname(errno));
	LT_ERR(liveupdate_session_handover(s, c), EPERM);
	lt_log("predecessor: uid %d refused: %s", OTHER_UID, liveupdate_last_error());
	close(c);
	close(lfd);
	reap(pid, "the successor of another uid (it must refuse too)");
}

/* The predecessor, in a child process: exits 0 once the session is handed over. */
static void predecessor(int sock)
{
	LIVEUPDATE_OPTS(liveupdate_session_opts, so, .flags = LIVEUPDATE_SESSION_HANDOVER);
	struct liveupdate_ctx *ctx = lt_ctx_new();
	struct liveupdate_session *s = NULL;
	int fd, r;

	LT_OK(liveupdate_session_create_opts(ctx, NAME, &so, &s));
	LT_OK(liveupdate_session_set_meta(s, "written-by", "predecessor"));
	preserve_memory(ctx, s, 0);
	preserve_memory(ctx, s, 1);
	fd = lt_memfd("by-token", 4096, TOKEN_SEED);
	LT_OK(liveupdate_session_preserve_fd(s, fd, TOKEN_FILE));
	close(fd);
	for (int i = 0; i < MANY; i++) {
		fd = lt_memfd("many", 4096, MANY_TOKEN + i);
		LT_OK(liveupdate_session_preserve_fd(s, fd, MANY_TOKEN + i));
		close(fd);
	}
	/* the device is not needed to hand over: leave it to the successor */
	liveupdate_ctx_close_device(ctx);

	r = hand_to(s, dying_successor, "a successor that dies midway");
	LT_CHECK(r == -ECONNRESET || r == -EPIPE, "returned %d", r);
	check_labels(s, 2, "predecessor after a successor died");
	preserve_memory(ctx, s, 2); /* and it still writes */
	try_other_uid(s);
	check_labels(s, 3, "predecessor after another uid was refused");
	r = hand_to(s, crowded_successor, "a successor without room for the fds");
	LT_CHECK(r == -ECONNREFUSED, "returned %d", r);
	check_labels(s, 3, "predecessor after a successor without room refused");

	LT_OK(liveupdate_session_handover(s, sock));
	LT_ERR(liveupdate_session_preserve_fd(s, 0, 1), EINVAL); /* the successor's now */
	lt_log("predecessor: handed over; exiting");
	liveupdate_session_unref(s);
	liveupdate_ctx_unref(ctx);
	_exit(0);
}

static int stage1(void)
{
	struct liveupdate_ctx *ctx;
	struct liveupdate_session *s = NULL;
	int sv[2];
	pid_t pid;

	LT_CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0, "socketpair");
	pid = fork(); /* before this process holds anything of the library */
	LT_CHECK(pid >= 0, "fork");
	if (pid == 0) {
		close(sv[0]);
		predecessor(sv[1]);
	}
	close(sv[1]);
	ctx = lt_ctx_new();
	LT_OK(liveupdate_session_receive(ctx, sv[0], &s));
	close(sv[0]);
	reap(pid, "the predecessor");
	LT_CHECK(!strcmp(liveupdate_session_get_name(s), NAME) &&
		 liveupdate_session_get_direction(s) == LIVEUPDATE_SESSION_OUTGOING,
		 "received session \"%s\"", liveupdate_session_get_name(s));
	check_labels(s, 3, "successor");
	check_unlabelled(s, "successor");
	preserve_memory(ctx, s, 3);
	LT_OK(liveupdate_session_set_meta(s, "kexec-by", "successor"));
	check_labels(s, N_FILES, "successor after labelling one more");
	lt_keep_fd(liveupdate_session_get_fd(s));
	return LT_CONTINUE;
}

static int stage2(void)
{
	struct liveupdate_ctx *ctx = lt_ctx_new();
	struct liveupdate_session *s = NULL;
	const char *v;

	LT_OK(liveupdate_session_retrieve(ctx, NAME, &s));
	check_labels(s, N_FILES, "new kernel");
	for (size_t i = 0; i < N_FILES; i++) {
		const struct liveupdate_entry *e;

		LT_OK(liveupdate_session_find_entry(s, files[i].label, &e));
		LT_CHECK(e->kind == LIVEUPDATE_ENTRY_MEMORY, "%s: kind %d", files[i].label,
			 e->kind);
	}
	check_unlabelled(s, "new kernel");
	LT_OK(liveupdate_session_get_meta(s, "kexec-by", &v));
	LT_CHECK(!strcmp(v, "successor"), "metadata kexec-by=%s", v);
	LT_OK(liveupdate_session_finish(s));
	liveupdate_session_unref(s);
	liveupdate_ctx_unref(ctx);
	lt_pass("a session with %zu labelled memory objects and %d files by token handed "
		"from one process to another (after a successor that died, one of another "
		"uid and one without room for the fds left it intact), labelled further by the successor and carried across a real "
		"kexec by it: every file byte-exact", N_FILES, MANY + 1);
}

static int run(int stage)
{
	return stage == 1 ? stage1() : stage2();
}

LT_SCENARIO(lib_handover, "lib-handover", run, 300);
