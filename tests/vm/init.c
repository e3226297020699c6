/*
 * init.c: PID 1 of libliveupdate's real-kernel test VM.
 *
 * Boot (stage 1, or the stage named by lutest.stage=N on the kernel command
 * line): mount proc, sysfs, devtmpfs and debugfs, then run each registered
 * scenario (see lutest.h) in its own child process. Output lines on the
 * console, for tests/vm/vm-result.sh:
 *
 *   LUTEST-STAGE-BEGIN <n> <kernel release>
 *   LUTEST-LOG <scenario> s<n>: <text>
 *   LUTEST <scenario> PASS|FAIL|SKIP <message>     (once per scenario)
 *   LUTEST-STAGE-DONE <n>
 *   LUTEST-KEXEC <n> -> <n+1> ...
 *   LUTEST-END
 *
 * Scenarios that asked to continue hand their session fds to this process
 * (which copies them with pidfd_getfd()); it keeps them open, kexec_file_load()s /bzImage with an
 * initrd for the next stage and lutest.stage=<n+1>, and calls
 * reboot(LINUX_REBOOT_CMD_KEXEC). The next initrd is built here: it is
 * /payload.cpio (this program, /bzImage, /dev, /proc, /sys) followed by an
 * archive holding /payload.cpio itself (so the stage after can do the same
 * again) and /lutest-state (the scenarios' small facts for the next stage).
 * At the end: reboot(RB_AUTOBOOT); qemu runs with -no-reboot and exits.
 *
 * Kernel command line words read here:
 *   lutest.stage=N       stage number (default 1)
 *   lutest.only=a,b      run only these scenarios
 *   lutest.via=lib|raw   how the previous kernel kexec'ed into this one
 *
 * The scenarios' side (lutest.h) is lutest.c, run in each scenario's child
 * process; cpio.c writes the next initrd's archive entries.
 *
 * Built with -DLUTEST_WITH_LIB (run-vm.sh does when the library's static
 * archive exists), the live updates go through the library's
 * liveupdate_kexec_load() and liveupdate_kexec_reboot(), reported as the
 * scenario lib-kexec; raw syscalls are the fallback.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/reboot.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#ifdef LUTEST_WITH_LIB
#include <liveupdate/liveupdate.h>
#endif

#define MAX_STAGES 8
#define DEFAULT_TIMEOUT_S 180

extern const struct lt_scenario *const __start_lt_scenarios[];
extern const struct lt_scenario *const __stop_lt_scenarios[];

/* Fds held across the next kexec. */
static int *held_fds;
static size_t nheld, capheld;

/* State for the next stage ("scenario\tkey\tvalue" lines). */
static char *state_out;
static size_t state_out_len, state_out_cap;

/* ------------------------------------------------------------------ */
/* State carried to the next stage                                     */

static void state_out_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void state_out_printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int need = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (state_out_len + need + 1 > state_out_cap) {
		state_out_cap = (state_out_len + need + 1) * 2;
		state_out = realloc(state_out, state_out_cap);
		if (!state_out) {
			say("LUTEST-HARNESS out of memory");
			_exit(1);
		}
	}
	va_start(ap, fmt);
	state_out_len += vsnprintf(state_out + state_out_len, need + 1, fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------------ */
/* Files                                                               */

static char *read_file(const char *path, size_t *lenp)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap + 1);
	for (;;) {
		if (len == cap) {
			cap *= 2;
			buf = realloc(buf, cap + 1);
		}
		ssize_t r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += r;
	}
	close(fd);
	buf[len] = 0;
	if (lenp)
		*lenp = len;
	return buf;
}

/* ------------------------------------------------------------------ */
/* Running scenarios                                                   */

static int is_selected(const char *only, const char *name)
{
	if (!only || !*only)
		return 1;
	size_t nl = strlen(name);
	for (const char *p = only; *p;) {
		const char *e = strchrnul(p, ',');
		if ((size_t)(e - p) == nl && !strncmp(p, name, nl))
			return 1;
		p = *e ? e + 1 : e;
	}
	return 0;
}

static int was_active(const char *name)
{
	size_t nl = strlen(name);
	for (const char *p = state_in; p && *p;) {
		const char *end = strchrnul(p, '\n');
		if (!strncmp(p, "-\tactive\t", 9) && (size_t)(end - p - 9) == nl &&
		    !strncmp(p + 9, name, nl))
			return 1;
		p = *end ? end + 1 : end;
	}
	return 0;
}

/*
 * Runs one stage of a scenario; returns LT_PASS/FAIL/SKIP/CONTINUE.
 *
 * The child reports on a pipe, one line per message: "S<key>\t<value>"
 * (state for the next stage), "F<fd>" (an fd to hold across the live
 * update: PID 1 copies it with pidfd_getfd(), so the test kernel needs no
 * Unix sockets), "E" (end; the child then waits for PID 1's ack so that its
 * fds stay valid until copied).
 */
static int handle_line(const struct lt_scenario *sc, int pidfd, char *line, int *ended)
{
	switch (line[0]) {
	case 'S':
		state_out_printf("%s\t%s\n", sc->name, line + 1);
		return 0;
	case 'F': {
		int fd = atoi(line + 1);
		int copy = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
		if (copy < 0) {
			say("LUTEST-HARNESS %s: pidfd_getfd(%d): %s", sc->name, fd, strerror(errno));
			return -1;
		}
		push_int(&held_fds, &nheld, &capheld, copy);
		return 0;
	}
	case 'E':
		*ended = 1;
		return 0;
	}
	say("LUTEST-HARNESS %s: bad message '%s'", sc->name, line);
	return -1;
}

static int run_scenario(const struct lt_scenario *sc, int stage)
{
	int up[2], ack[2];
	int tmo = sc->timeout_s > 0 ? sc->timeout_s : DEFAULT_TIMEOUT_S;
	uint64_t t0 = lt_now_ns();

	if (pipe2(up, O_CLOEXEC) < 0 || pipe2(ack, O_CLOEXEC) < 0) {
		say("LUTEST %s FAIL s%d: harness: pipe: %s", sc->name, stage, strerror(errno));
		return LT_FAIL;
	}
	pid_t pid = fork();
	if (pid < 0) {
		say("LUTEST %s FAIL s%d: harness: fork: %s", sc->name, stage, strerror(errno));
		return LT_FAIL;
	}
	if (pid == 0) {
		close(up[0]);
		close(ack[1]);
		/* Other scenarios' held fds are none of this one's business. */
		for (size_t i = 0; i < nheld; i++)
			close(held_fds[i]);
		lt_run_stage(sc, stage, up[1], ack[0]);
	}
	close(up[1]);
	close(ack[0]);
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		say("LUTEST-HARNESS pidfd_open: %s", strerror(errno));

	/* Collect the child's messages until it closes its end. */
	size_t held_before = nheld, state_before = state_out_len;
	int timed_out = 0, ended = 0, broken = 0;
	char buf[8192];
	size_t blen = 0;
	for (;;) {
		int64_t left_ms = (int64_t)tmo * 1000 - (int64_t)((lt_now_ns() - t0) / 1000000);
		if (left_ms <= 0) {
			timed_out = 1;
			break;
		}
		struct pollfd pfd = { .fd = up[0], .events = POLLIN };
		int pr = poll(&pfd, 1, (int)left_ms);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr == 0) {
			timed_out = 1;
			break;
		}
		ssize_t n = read(up[0], buf + blen, sizeof(buf) - 1 - blen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		blen += n;
		char *p = buf, *nl;
		while ((nl = memchr(p, '\n', buf + blen - p))) {
			*nl = 0;
			if (handle_line(sc, pidfd, p, &ended) < 0)
				broken = 1;
			p = nl + 1;
		}
		blen = buf + blen - p;
		memmove(buf, p, blen);
		if (blen == sizeof(buf) - 1) {
			say("LUTEST-HARNESS %s: message too long", sc->name);
			broken = 1;
			blen = 0;
		}
		if (ended) {
			/* Every fd is copied: let the child exit. */
			if (write(ack[1], "k", 1) < 0)
				broken = 1;
			ended = 0;
		}
	}
	if (timed_out)
		kill(pid, SIGKILL);
	close(up[0]);
	close(ack[1]);
	if (pidfd >= 0)
		close(pidfd);

	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	double secs = (lt_now_ns() - t0) / 1e9;
	int r;
	if (timed_out) {
		say("LUTEST %s FAIL s%d: timed out after %d s", sc->name, stage, tmo);
		r = LT_FAIL;
	} else if (WIFSIGNALED(st)) {
		const char *sig = sigabbrev_np(WTERMSIG(st));
		say("LUTEST %s FAIL s%d: crashed: killed by signal SIG%s", sc->name, stage, sig ? sig : "?");
		r = LT_FAIL;
	} else {
		r = WEXITSTATUS(st);
		if (r != LT_PASS && r != LT_FAIL && r != LT_SKIP && r != LT_CONTINUE) {
			say("LUTEST %s FAIL s%d: exited with status %d", sc->name, stage, r);
			r = LT_FAIL;
		} else if (r == LT_CONTINUE && broken) {
			say("LUTEST %s FAIL s%d: harness could not take over its fds", sc->name, stage);
			r = LT_FAIL;
		}
	}
	say("LUTEST-LOG %s s%d: stage took %.3f s", sc->name, stage, secs);
	if (r != LT_CONTINUE) {
		/* Nothing of a finished scenario crosses the live update. */
		for (size_t i = held_before; i < nheld; i++)
			close(held_fds[i]);
		nheld = held_before;
		state_out_len = state_before;
		if (state_out)
			state_out[state_out_len] = 0;
	}
	return r;
}

/* ------------------------------------------------------------------ */
/* Kexec into the next stage                                           */

static int build_next_initrd(const char *path)
{
	size_t plen;
	char *payload = read_file("/payload.cpio", &plen);
	if (!payload) {
		say("LUTEST-HARNESS cannot read /payload.cpio: %s", strerror(errno));
		return -1;
	}
	int fd = open(path, O_CREAT | O_TRUNC | O_RDWR | O_CLOEXEC, 0600);
	int ok = fd >= 0 &&
		 !write_all(fd, payload, plen) &&
		 !cpio_entry(fd, 900001, "payload.cpio", payload, plen) &&
		 !cpio_entry(fd, 900002, "lutest-state", state_out ? state_out : "", state_out_len) &&
		 !cpio_entry(fd, 0, "TRAILER!!!", NULL, 0);
	free(payload);
	if (!ok) {
		say("LUTEST-HARNESS cannot write %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	/* kexec_file_load() refuses a file open for writing (ETXTBSY). */
	close(fd);
	return open(path, O_RDONLY | O_CLOEXEC);
}

static char *next_cmdline(int next_stage, const char *via)
{
	char *cur = read_file("/proc/cmdline", NULL);
	if (!cur)
		return NULL;
	size_t cap = strlen(cur) + 96;
	char *out = malloc(cap), *o = out;
	*o = 0;
	for (char *tok = strtok(cur, " \t\n"); tok; tok = strtok(NULL, " \t\n")) {
		if (!strncmp(tok, "lutest.stage=", 13) || !strncmp(tok, "lutest.via=", 11))
			continue;
		o += sprintf(o, "%s%s", o == out ? "" : " ", tok);
	}
	sprintf(o, "%slutest.stage=%d lutest.via=%s", o == out ? "" : " ", next_stage, via);
	free(cur);
	return out;
}

#define NEXT_INITRD "/lutest-next-initrd"

#ifdef LUTEST_WITH_LIB
/*
 * The library's own kexec: liveupdate_kexec_load() + liveupdate_kexec_reboot().
 * Reported as scenario lib-kexec; on failure the raw path below takes over
 * so that the other scenarios still get their live update.
 */
static void lib_kexec(int stage)
{
	int next = stage + 1;
	char *cmdline = next_cmdline(next, "lib");
	struct liveupdate_ctx *ctx = NULL;
	int r = cmdline ? liveupdate_ctx_new(NULL, &ctx) : -ENOMEM;
	if (r < 0) {
		say("LUTEST lib-kexec FAIL s%d: liveupdate_ctx_new: %s", stage, strerror(-r));
		free(cmdline);
		return;
	}
	LIVEUPDATE_OPTS(liveupdate_kexec_opts, o, .initrd_path = NEXT_INITRD, .cmdline = cmdline);
	uint64_t t0 = lt_now_ns();
	r = liveupdate_kexec_load(ctx, "/bzImage", &o);
	uint64_t t1 = lt_now_ns();
	if (r < 0) {
		say("LUTEST lib-kexec FAIL s%d: liveupdate_kexec_load: %s (%s); falling back to raw "
		    "kexec_file_load", stage, strerror(-r), liveupdate_last_error());
	} else {
		say("LUTEST-KEXEC %d -> %d liveupdate_kexec_load %.1f ms, %zu fd(s) held, cmdline: %s",
		    stage, next, (t1 - t0) / 1e6, nheld, cmdline);
		r = liveupdate_kexec_reboot(ctx);
		say("LUTEST lib-kexec FAIL s%d: liveupdate_kexec_reboot returned %d (%s); falling "
		    "back to raw reboot", stage, r, liveupdate_last_error());
	}
	liveupdate_ctx_unref(ctx);
	free(cmdline);
}
#endif

static int do_kexec(int stage)
{
	int next = stage + 1;
	int ifd = build_next_initrd(NEXT_INITRD);
	if (ifd < 0)
		return -1;
#ifdef LUTEST_WITH_LIB
	close(ifd);
	lib_kexec(stage);
	ifd = open(NEXT_INITRD, O_RDONLY | O_CLOEXEC);
#endif
	char *cmdline = next_cmdline(next, "raw");
	if (!cmdline) {
		say("LUTEST-HARNESS cannot read /proc/cmdline");
		return -1;
	}
	int kfd = open("/bzImage", O_RDONLY | O_CLOEXEC);
	if (ifd < 0 || kfd < 0) {
		say("LUTEST-HARNESS cannot open /bzImage or the next initrd: %s", strerror(errno));
		return -1;
	}
	uint64_t t0 = lt_now_ns();
	long r = syscall(SYS_kexec_file_load, kfd, ifd, strlen(cmdline) + 1, cmdline, 0UL);
	uint64_t t1 = lt_now_ns();
	if (r < 0) {
		say("LUTEST-HARNESS kexec_file_load: %s", strerror(errno));
		return -1;
	}
	close(kfd);
	close(ifd);
	say("LUTEST-KEXEC %d -> %d kexec_file_load %.1f ms, %zu fd(s) held, cmdline: %s", stage, next,
	    (t1 - t0) / 1e6, nheld, cmdline);
	sync();
	reboot(LINUX_REBOOT_CMD_KEXEC);
	say("LUTEST-HARNESS reboot(LINUX_REBOOT_CMD_KEXEC): %s", strerror(errno));
	return -1;
}

/* ------------------------------------------------------------------ */

static void setup_system(void)
{
	mkdir("/proc", 0755);
	mkdir("/sys", 0755);
	mkdir("/dev", 0755);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	int con = open("/dev/console", O_RDWR | O_NOCTTY);
	if (con >= 0) {
		dup2(con, 0);
		dup2(con, 1);
		dup2(con, 2);
		if (con > 2)
			close(con);
	}
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	struct rlimit rl = { 65536, 65536 };
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		say("LUTEST-HARNESS setrlimit(NOFILE): %s", strerror(errno));
	setvbuf(stdout, NULL, _IOLBF, 0);
}

static void the_end(int stage, const char *via)
{
#ifdef LUTEST_WITH_LIB
	if (stage == 1)
		say("LUTEST lib-kexec SKIP s1: no live update in this run");
	else if (via && !strcmp(via, "lib"))
		say("LUTEST lib-kexec PASS s%d: all %d live updates of this run went through "
		    "liveupdate_kexec_load() + liveupdate_kexec_reboot()", stage, stage - 1);
#else
	(void)stage;
	(void)via;
#endif
	say("LUTEST-END");
	sync();
	if (getpid() == 1)
		reboot(RB_AUTOBOOT);
	exit(0);
}

int main(void)
{
	setup_system();

	char *cmdline = read_file("/proc/cmdline", NULL);
	int stage = 1;
	char *only = NULL, *via = NULL;
	if (cmdline) {
		for (char *tok = strtok(cmdline, " \t\n"); tok; tok = strtok(NULL, " \t\n")) {
			if (!strncmp(tok, "lutest.stage=", 13))
				stage = atoi(tok + 13);
			else if (!strncmp(tok, "lutest.only=", 12))
				only = tok + 12;
			else if (!strncmp(tok, "lutest.via=", 11))
				via = tok + 11;
		}
	}
	lt_stage = stage;

	struct utsname u;
	uname(&u);
	struct stat st;
	say("LUTEST-STAGE-BEGIN %d %s %s /dev/liveupdate:%s", stage, u.release, u.machine,
	    stat("/dev/liveupdate", &st) == 0 ? "present" : "absent");

	if (stage > 1) {
		state_in = read_file("/lutest-state", NULL);
		if (!state_in) {
			say("LUTEST-HARNESS stage %d without /lutest-state", stage);
			the_end(stage, via);
		}
	}

	size_t nsc = __stop_lt_scenarios - __start_lt_scenarios;
	int any_continue = 0;
	if (stage == 1) {
		char list[4096] = "";
		size_t o = 0;
		for (size_t i = 0; i < nsc; i++)
			if (is_selected(only, __start_lt_scenarios[i]->name))
				o += snprintf(list + o, o < sizeof(list) ? sizeof(list) - o : 0, " %s",
					      __start_lt_scenarios[i]->name);
#ifdef LUTEST_WITH_LIB
		say("LUTEST-SCENARIOS%s lib-kexec", list);
#else
		say("LUTEST-SCENARIOS%s", list);
#endif
	}
	for (size_t i = 0; i < nsc; i++) {
		const struct lt_scenario *sc = __start_lt_scenarios[i];
		if (stage == 1 ? !is_selected(only, sc->name) : !was_active(sc->name))
			continue;
		int r = run_scenario(sc, stage);
		if (r == LT_CONTINUE) {
			if (stage >= MAX_STAGES) {
				say("LUTEST %s FAIL s%d: wants more than %d stages", sc->name, stage,
				    MAX_STAGES);
				continue;
			}
			state_out_printf("-\tactive\t%s\n", sc->name);
			any_continue = 1;
		}
	}
	say("LUTEST-STAGE-DONE %d", stage);

	if (any_continue && do_kexec(stage) < 0) {
		/* Every scenario still waiting for the live update has failed. */
		for (const char *p = state_out; p && *p;) {
			const char *end = strchrnul(p, '\n');
			if (!strncmp(p, "-\tactive\t", 9))
				say("LUTEST %.*s FAIL s%d: the live update (kexec) to stage %d failed",
				    (int)(end - p - 9), p + 9, stage, stage + 1);
			p = *end ? end + 1 : end;
		}
	}
	the_end(stage, via);
	return 0;
}
