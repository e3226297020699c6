/*
 * example-rust: the Rust example (bindings/rust/examples/ram-keeper, a
 * static program in the initramfs, built by bindings/rust/build-static.sh)
 * keeps 32 MiB of stamped memory across a real kexec, through the
 * `liveupdate` crate.
 *
 * Stage 1: /ram-keeper prepare runs until it says "READY <session fd>"; the
 * session fd is copied with pidfd_getfd() (as PID 1 copies a scenario's)
 * and handed to PID 1; then ram-keeper's stdin closes and it exits, its own
 * session fd with it: the copy keeps the session. Stage 2: /ram-keeper
 * resume finds the memory by label, checks every page and the checksum
 * recorded in the manifest, and finishes the session.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lutest.h"

#define KEEPER "/ram-keeper"
#define SESSION "rust-vm"

/*
 * Start KEEPER with ARGV, its stdout and stderr read through *outp and its
 * stdin a pipe whose write end is *holdp.
 */
static pid_t keeper(char *const argv[], FILE **outp, int *holdp)
{
	int in[2], out[2];
	pid_t pid;

	LT_CHECK(pipe2(in, O_CLOEXEC) == 0 && pipe2(out, O_CLOEXEC) == 0, "pipe: %s",
		 lt_errname(errno));
	pid = fork();
	LT_CHECK(pid >= 0, "fork: %s", lt_errname(errno));
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(out[1], 2);
		execv(KEEPER, argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	*holdp = in[1];
	*outp = fdopen(out[0], "r");
	LT_CHECK(*outp, "fdopen: %s", lt_errname(errno));
	return pid;
}

/* Log KEEPER's lines up to one starting with WANT (NULL: to the end). */
static char *log_until(FILE *out, const char *want, char *line, size_t size)
{
	while (fgets(line, (int)size, out)) {
		line[strcspn(line, "\n")] = '\0';
		lt_log("%s", line);
		if (want && !strncmp(line, want, strlen(want)))
			return line;
	}
	return NULL;
}

static void wait_ok(pid_t pid, const char *what)
{
	int status;

	LT_CHECK(waitpid(pid, &status, 0) == pid, "waitpid: %s", lt_errname(errno));
	LT_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		 "ram-keeper %s ended with status 0x%x", what, status);
}

static int stage1(void)
{
	char line[512];
	FILE *out;
	int hold, fd, pidfd, copy;

	if (access(KEEPER, X_OK) != 0)
		lt_skip(KEEPER " is not in the initramfs: the host has no Rust toolchain "
			"(apt-get install rustc cargo; see tests/vm/out/vm-build.log)");
	char *const argv[] = { KEEPER, "prepare", SESSION, "32", NULL };
	pid_t pid = keeper(argv, &out, &hold);
	LT_CHECK(log_until(out, "READY ", line, sizeof(line)), "ram-keeper prepare said no READY");
	LT_CHECK(sscanf(line, "READY %d", &fd) == 1, "a READY line without an fd: %s", line);
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	LT_CHECK(pidfd >= 0, "pidfd_open: %s", lt_errname(errno));
	copy = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	LT_CHECK(copy >= 0, "pidfd_getfd(%d): %s", fd, lt_errname(errno));
	close(pidfd);
	close(hold); /* ram-keeper may go: the copy holds the session */
	log_until(out, NULL, line, sizeof(line));
	fclose(out);
	wait_ok(pid, "prepare");
	lt_keep_fd(copy);
	return LT_CONTINUE;
}

static int stage2(void)
{
	char line[512];
	FILE *out;
	int hold;

	char *const argv[] = { KEEPER, "resume", SESSION, NULL };
	pid_t pid = keeper(argv, &out, &hold);
	close(hold);
	char *said = log_until(out, "ram-keeper: 32 MiB", line, sizeof(line));
	LT_CHECK(said && strstr(said, "byte-exact"), "ram-keeper resume did not say byte-exact");
	log_until(out, NULL, line, sizeof(line));
	fclose(out);
	wait_ok(pid, "resume");
	lt_pass("the Rust example's 32 MiB came back by label, every page and the "
		"checksum as before the kexec, and a write after preserving");
}

static int run(int stage)
{
	return stage == 1 ? stage1() : stage2();
}

LT_SCENARIO(example_rust, "example-rust", run, 0);
