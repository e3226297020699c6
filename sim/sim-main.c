/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * liveupdate-sim: a userspace Live Update Orchestrator, so that programs
 * using /dev/liveupdate run without a LUO kernel. See liveupdate-sim(1).
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sim-control.h"
#include "sim-daemon.h"

#ifndef LU_SIM_PRELOAD_PATH
#define LU_SIM_PRELOAD_PATH "/usr/local/lib/libliveupdate/liveupdate-sim-preload.so"
#endif
#define PRELOAD_NAME "liveupdate-sim-preload.so"

static const char *prog = "liveupdate-sim";

static void usage(FILE *f)
{
	fprintf(f,
"Usage: %s [--socket PATH] [--verbose] COMMAND\n"
"A userspace Live Update Orchestrator: /dev/liveupdate without a LUO kernel.\n"
"\n"
"Commands:\n"
"  daemon             serve in the foreground, logging to stderr\n"
"  start [--log FILE] start a daemon in the background, unless one answers\n"
"  stop               stop the daemon (its sessions and preserved files are lost)\n"
"  status             the daemon, the device, the sessions, the reboot count\n"
"  reboot             a simulated kexec: open outgoing sessions become incoming\n"
"  run [--log FILE] [--] PROGRAM [ARGS...]\n"
"                     start the daemon if needed, then run PROGRAM with the\n"
"                     LD_PRELOAD shim: its /dev/liveupdate is the simulator's\n"
"\n"
"Options:\n"
"  -s, --socket PATH  the daemon's socket (default: $" LU_SIM_ENV_SOCKET ", else\n"
"                     $XDG_RUNTIME_DIR/liveupdate-sim/socket, /run/liveupdate-sim/socket\n"
"                     for root, /tmp/liveupdate-sim-UID/socket without XDG_RUNTIME_DIR)\n"
"  -v, --verbose      the daemon logs every request\n"
"  -h, --help         this text\n"
"  -V, --version      the version\n", prog);
}

/* Start a detached daemon; 0 once it listens. */
static int start_daemon(const char *path, const char *log_path, bool verbose, bool quiet)
{
	struct lu_sim_daemon_opts o = {
		.socket_path = path, .log_path = log_path, .detach = true, .verbose = verbose,
	};
	int ready[2], st;
	pid_t pid;
	char c;
	ssize_t n;

	if (pipe2(ready, O_CLOEXEC) < 0) {
		fprintf(stderr, "%s: pipe: %s\n", prog, strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "%s: fork: %s\n", prog, strerror(errno));
		return -1;
	}
	if (pid == 0) {
		close(ready[0]);
		setsid();
		pid = fork();
		if (pid != 0)
			_exit(pid < 0 ? 1 : 0);
		/* inherit nothing but stdio (until detached) and the ready pipe */
		if (ready[1] != 3) {
			dup2(ready[1], 3);
			close(ready[1]);
			ready[1] = 3;
		}
		close_range(4, ~0U, 0);
		if (chdir("/") < 0)
			_exit(1);
		unsetenv("LD_PRELOAD");
		o.ready_fd = ready[1];
		_exit(lu_sim_daemon_run(&o));
	}
	close(ready[1]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	do
		n = read(ready[0], &c, 1);
	while (n < 0 && errno == EINTR);
	close(ready[0]);
	if (n != 1) {
		fprintf(stderr, "%s: the daemon did not start (see above)\n", prog);
		return -1;
	}
	if (!quiet) {
		int dpid = lu_sim_ping(path, NULL);

		printf("liveupdate-sim: started, pid %d, socket %s\n", dpid, path);
	}
	return 0;
}

/* A session name fit for a terminal: anything unprintable as \xNN. */
static const char *shown(const char *name, char *buf, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < LU_SIM_NAME_LEN && name[i] && o + 5 < len; i++) {
		unsigned char ch = (unsigned char)name[i];

		if (ch >= 0x20 && ch < 0x7f && ch != '\\' && ch != '"')
			buf[o++] = (char)ch;
		else
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", ch);
	}
	buf[o] = '\0';
	return buf;
}

static int cmd_status(const char *path)
{
	struct lu_sim_msg req = { .type = LU_SIM_STATUS }, r;
	struct lu_sim_info info;
	int ret = lu_sim_ping(path, &info), sock;

	if (ret < 0) {
		printf("liveupdate-sim: not running at %s (%s)\n", path, strerror(-ret));
		return 1;
	}
	printf("liveupdate-sim: pid %u, socket %s\n", info.pid, path);
	printf("simulated reboots: %" PRIu64 "\n", info.reboots);
	printf("kexec image loaded: %s\n", info.kexec_loaded ? "yes" : "no");
	if (info.device_pid)
		printf("device: open by pid %u\n", info.device_pid);
	else
		printf("device: not open\n");
	printf("clients: %u of %u\n", info.conns, info.max_conns);
	printf("files held: %u (limits: %u sessions, %u files, %u per session)\n",
	       info.files, info.max_sessions, info.max_files, info.max_files_per_session);
	printf("sessions: %u outgoing, %u incoming\n", info.outgoing, info.incoming);
	sock = lu_sim_connect(path, LU_SIM_ROLE_CONTROL, true, NULL);
	if (sock < 0)
		return 1;
	for (uint32_t i = 0;; i++) {
		const struct lu_sim_session_info *s = &r.u.session_info;
		char name[4 * LU_SIM_NAME_LEN + 1];

		req.u.status.index = i;
		if (lu_sim_request(sock, &req, &r) < 0 || r.type != LU_SIM_SESSION_INFO)
			break;
		printf("  %-8s \"%s\": %u file(s)", s->direction == 1 ? "outgoing" : "incoming",
		       shown(s->name, name, sizeof(name)), s->files);
		if (s->direction == 1)
			printf(", open in pid %u\n", s->pid);
		else if (s->state & LU_SIM_SS_RETRIEVED)
			printf(", retrieved by pid %u%s\n", s->pid,
			       s->state & LU_SIM_SS_FINISHED ? ", finished" : "");
		else
			printf(", not retrieved yet\n");
	}
	close(sock);
	return 0;
}

static int cmd_stop(const char *path)
{
	struct lu_sim_msg req = { .type = LU_SIM_STOP }, r;
	int ret = lu_sim_call(path, &req, &r);

	if (ret < 0) {
		fprintf(stderr, "%s: no daemon at %s: %s\n", prog, path, strerror(-ret));
		return 1;
	}
	/* gone once nothing answers */
	for (int i = 0; i < 500 && lu_sim_ping(path, NULL) > 0; i++) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };

		nanosleep(&ts, NULL);
	}
	printf("liveupdate-sim: stopped\n");
	return 0;
}

static int cmd_reboot(const char *path)
{
	struct lu_sim_info info;
	uint64_t n = 0;
	int ret = lu_sim_reboot(path, true, &n);

	if (ret < 0) {
		fprintf(stderr, "%s: reboot: %s\n", prog, strerror(-ret));
		return 1;
	}
	if (lu_sim_ping(path, &info) > 0)
		printf("liveupdate-sim: simulated kexec #%" PRIu64 ": %u session(s) carried over\n",
		       n, info.incoming);
	else
		printf("liveupdate-sim: simulated kexec #%" PRIu64 "\n", n);
	return 0;
}

/* The shim: $LIBLIVEUPDATE_SIM_PRELOAD, next to this program, installed. */
static int find_preload(char *buf, size_t len)
{
	const char *env = getenv(LU_SIM_ENV_PRELOAD);
	char exe[PATH_MAX], *slash;
	ssize_t n;

	if (env && *env) {
		if (!realpath(env, buf) || access(buf, R_OK) < 0) {
			fprintf(stderr, "%s: %s=%s: %s\n", prog, LU_SIM_ENV_PRELOAD, env,
				strerror(errno));
			return -1;
		}
		return 0;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			/* the build tree (libtool puts the module in .libs/), or beside us */
			static const char *const where[] = { "/.libs/", "/" };

			for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
				int k = snprintf(buf, len, "%s%s" PRELOAD_NAME, exe, where[i]);

				if (k > 0 && (size_t)k < len && access(buf, R_OK) == 0)
					return 0;
			}
		}
	}
	snprintf(buf, len, "%s", LU_SIM_PRELOAD_PATH);
	if (access(buf, R_OK) == 0)
		return 0;
	fprintf(stderr, "%s: cannot find the shim %s (looked beside this program and at %s); "
		"set %s\n", prog, PRELOAD_NAME, LU_SIM_PRELOAD_PATH, LU_SIM_ENV_PRELOAD);
	return -1;
}

static int cmd_run(const char *path, const char *log_path, bool verbose, char **argv)
{
	char preload[PATH_MAX], *ld;
	const char *old = getenv("LD_PRELOAD");
	size_t need;

	if (!argv[0]) {
		fprintf(stderr, "%s: run: no program given\n", prog);
		return 2;
	}
	if (find_preload(preload, sizeof(preload)) < 0)
		return 1;
	if (lu_sim_ping(path, NULL) <= 0 && start_daemon(path, log_path, verbose, true) < 0)
		return 1;
	need = strlen(preload) + (old ? strlen(old) + 1 : 0) + 1;
	ld = malloc(need);
	if (!ld)
		return 1;
	if (old && *old && !strstr(old, preload))
		snprintf(ld, need, "%s:%s", preload, old);
	else if (old && *old)
		snprintf(ld, need, "%s", old);
	else
		snprintf(ld, need, "%s", preload);
	if (setenv("LD_PRELOAD", ld, 1) < 0 || setenv(LU_SIM_ENV_SOCKET, path, 1) < 0) {
		fprintf(stderr, "%s: setenv: %s\n", prog, strerror(errno));
		return 1;
	}
	free(ld);
	execvp(argv[0], argv);
	fprintf(stderr, "%s: %s: %s\n", prog, argv[0], strerror(errno));
	return errno == ENOENT ? 127 : 126;
}

static bool known_command(const char *cmd)
{
	static const char *const commands[] = {
		"daemon", "start", "stop", "status", "reboot", "run",
	};

	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(cmd, commands[i]))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "log", required_argument, NULL, 'l' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *socket_opt = NULL, *log_path = NULL, *cmd = NULL;
	char path[LU_SIM_PATH_MAX];
	bool verbose = false;
	void (*disable)(void);
	int c, ret;

	/* never simulate the simulator */
	*(void **)&disable = dlsym(RTLD_DEFAULT, "liveupdate_sim_preload_disable");
	if (disable)
		disable();

	/* options before and after the command; "run" stops at its program */
	for (int pass = 0; pass < 2; pass++) {
		while ((c = getopt_long(argc, argv, "+s:l:vhV", opts, NULL)) != -1) {
			switch (c) {
			case 's': socket_opt = optarg; break;
			case 'l': log_path = optarg; break;
			case 'v': verbose = true; break;
			case 'h': usage(stdout); return 0;
			case 'V': printf("liveupdate-sim %s\n", PACKAGE_VERSION); return 0;
			default: usage(stderr); return 2;
			}
		}
		if (pass == 0) {
			if (optind >= argc) {
				usage(stderr);
				return 2;
			}
			cmd = argv[optind];
			argv += optind;
			argc -= optind;
			optind = 0; /* glibc: start over, at argv[1] */
		}
	}
	ret = lu_sim_resolve_socket(socket_opt, path, sizeof(path));
	if (ret < 0) {
		fprintf(stderr, "%s: socket path: %s\n", prog, strerror(-ret));
		return 1;
	}
	if (log_path && log_path[0] != '/') {
		fprintf(stderr, "%s: --log needs an absolute path\n", prog);
		return 2;
	}

	if (!known_command(cmd)) {
		fprintf(stderr, "%s: unknown command \"%s\"\n", prog, cmd);
		usage(stderr);
		return 2;
	}
	/* only run takes arguments (its program's) */
	if (strcmp(cmd, "run") && optind < argc) {
		fprintf(stderr, "%s: %s: unexpected argument \"%s\"\n", prog, cmd,
			argv[optind]);
		usage(stderr);
		return 2;
	}
	if (strcmp(cmd, "daemon") == 0) {
		struct lu_sim_daemon_opts o = {
			.socket_path = path, .ready_fd = -1, .verbose = verbose,
		};

		unsetenv("LD_PRELOAD");
		return lu_sim_daemon_run(&o);
	}
	if (strcmp(cmd, "start") == 0) {
		int pid = lu_sim_ping(path, NULL);

		if (pid > 0) {
			printf("liveupdate-sim: already running, pid %d, socket %s\n", pid, path);
			return 0;
		}
		return start_daemon(path, log_path, verbose, false) < 0;
	}
	if (strcmp(cmd, "stop") == 0)
		return cmd_stop(path);
	if (strcmp(cmd, "status") == 0)
		return cmd_status(path);
	if (strcmp(cmd, "reboot") == 0)
		return cmd_reboot(path);
	return cmd_run(path, log_path, verbose, argv + optind);
}
