/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The unit tests' backend: see seam.h. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "liveupdate-private.h"
#include "seam.h"
#include "sim-control.h"

#define MAX_CALLS 4096

static struct {
	char dir[64];              /* private directory of this process' daemon */
	char socket[LU_SIM_PATH_MAX];
	pid_t daemon;              /* 0 when not running */
	pid_t owner;               /* the process that started it */
	int held_device;           /* our own device connection, or -1 */
	/* fault injection and counting, at the seam */
	pthread_mutex_t lock;
	unsigned calls, fail_at;
	int fail_err;
	bool fired;
	enum seam_call_kind kinds[MAX_CALLS];
	unsigned kexec_loads;
	char cmdline[4096];
} s = { .held_device = -1, .lock = PTHREAD_MUTEX_INITIALIZER };

static void die(const char *what)
{
	fprintf(stderr, "seam: %s: %s\n", what, strerror(errno));
	abort();
}

static void stop_daemon(void)
{
	if (s.held_device >= 0)
		close(s.held_device);
	s.held_device = -1;
	if (s.daemon > 0 && s.owner == getpid()) {
		kill(s.daemon, SIGTERM);
		waitpid(s.daemon, NULL, 0);
	}
	s.daemon = 0;
}

static void cleanup(void)
{
	char path[128];

	if (s.owner != getpid())
		return;
	stop_daemon();
	/* the daemon leaves its lock file; the socket goes with it */
	snprintf(path, sizeof(path), "%s/socket", s.dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/socket.lock", s.dir);
	unlink(path);
	rmdir(s.dir);
}

static void start_daemon(void)
{
	const char *top = getenv("top_builddir");
	char exe[4096];
	struct timespec pause = { 0, 2 * 1000 * 1000 };

	if (!s.dir[0]) {
		strcpy(s.dir, "/tmp/lu-unit-XXXXXX");
		if (!mkdtemp(s.dir))
			die("mkdtemp");
		snprintf(s.socket, sizeof(s.socket), "%s/socket", s.dir);
		s.owner = getpid();
		atexit(cleanup);
	}
	snprintf(exe, sizeof(exe), "%s/sim/liveupdate-sim", top ? top : ".");
	s.daemon = fork();
	if (s.daemon < 0)
		die("fork");
	if (s.daemon == 0) {
		int null = open("/dev/null", O_RDWR);

		/* the daemon's own log is noise here; its errors show as test failures */
		dup2(null, 1);
		dup2(null, 2);
		execl(exe, "liveupdate-sim", "--socket", s.socket, "daemon", (char *)NULL);
		_exit(127);
	}
	s.owner = getpid();
	/* up to 10 s (a loaded machine, valgrind next door) for it to listen */
	for (int i = 0; i < 5000; i++) {
		int status;

		if (lu_sim_ping(s.socket, NULL) > 0)
			return;
		if (waitpid(s.daemon, &status, WNOHANG) == s.daemon) {
			fprintf(stderr, "seam: %s exited (status %d) before listening\n",
				exe, status);
			abort();
		}
		nanosleep(&pause, NULL);
	}
	fprintf(stderr, "seam: %s did not listen on %s\n", exe, s.socket);
	abort();
}

void seam_reset(void)
{
	stop_daemon();
	start_daemon();
	pthread_mutex_lock(&s.lock);
	s.calls = s.fail_at = s.kexec_loads = 0;
	s.fired = false;
	s.cmdline[0] = '\0';
	pthread_mutex_unlock(&s.lock);
}

void seam_kexec(void)
{
	if (lu_sim_reboot(s.socket, true, NULL) < 0)
		die("simulated kexec");
}

void seam_set_device_held(bool held)
{
	if (held && s.held_device < 0) {
		s.held_device = lu_sim_connect(s.socket, LU_SIM_ROLE_DEVICE, true, NULL);
		if (s.held_device < 0) {
			errno = -s.held_device;
			die("holding the device");
		}
	} else if (!held && s.held_device >= 0) {
		close(s.held_device);
		s.held_device = -1;
	}
}

void seam_set_device_absent(bool absent)
{
	if (absent)
		stop_daemon();
	else if (!s.daemon)
		start_daemon();
}

void seam_fail_call(unsigned n, int err)
{
	pthread_mutex_lock(&s.lock);
	s.fail_at = n ? s.calls + n : 0;
	s.fail_err = err;
	s.fired = false;
	pthread_mutex_unlock(&s.lock);
}

unsigned seam_calls(void) { return s.calls; }
enum seam_call_kind seam_call_kind(unsigned i) { return s.kinds[i - 1]; }
bool seam_fault_fired(void) { return s.fired; }
unsigned seam_kexec_loads(void) { return s.kexec_loads; }
const char *seam_last_cmdline(void) { return s.cmdline; }

void seam_count_reset(void)
{
	pthread_mutex_lock(&s.lock);
	s.calls = s.fail_at = 0;
	s.fired = false;
	pthread_mutex_unlock(&s.lock);
}

static struct lu_sim_info info(void)
{
	struct lu_sim_info i;

	memset(&i, 0, sizeof(i));
	if (s.daemon && lu_sim_ping(s.socket, &i) < 0)
		die("asking the simulator for its state");
	return i;
}

size_t seam_outgoing_sessions(void) { return info().outgoing; }
size_t seam_incoming_sessions(void) { return info().incoming; }
size_t seam_open_sessions(void) { struct lu_sim_info i = info(); return i.outgoing + i.incoming; }
bool seam_device_open(void) { return info().device_pid != 0; }
unsigned seam_reboots(void) { return (unsigned)info().reboots; }

static __thread bool inside;

bool seam_inside_backend(void) { return inside; }

/* Count the call; true when it must fail with the injected error. */
static bool inject(enum seam_call_kind kind)
{
	bool fail;

	pthread_mutex_lock(&s.lock);
	s.calls++;
	if (s.calls <= MAX_CALLS)
		s.kinds[s.calls - 1] = kind;
	fail = s.fail_at && s.calls == s.fail_at;
	if (fail)
		s.fired = true;
	pthread_mutex_unlock(&s.lock);
	return fail;
}

static enum seam_call_kind ioctl_kind(unsigned long req, void *arg)
{
	switch (req) {
	case LIVEUPDATE_IOCTL_CREATE_SESSION: return SEAM_CREATE_SESSION;
	case LIVEUPDATE_IOCTL_RETRIEVE_SESSION: return SEAM_RETRIEVE_SESSION;
	case LIVEUPDATE_SESSION_PRESERVE_FD:
		return ((struct liveupdate_session_preserve_fd *)arg)->fd < 0 ? SEAM_PRESERVE_PROBE
							      : SEAM_PRESERVE_FD;
	case LIVEUPDATE_SESSION_RETRIEVE_FD: return SEAM_RETRIEVE_FD;
	case LIVEUPDATE_SESSION_FINISH: return SEAM_FINISH;
	case LIVEUPDATE_SESSION_GET_NAME: return SEAM_GET_NAME;
	default: return SEAM_OTHER_IOCTL;
	}
}

/* The simulator backend's own data, wrapped. */
static int seam_open_device(void *inner, const char *path)
{
	int ret;

	if (inject(SEAM_OPEN))
		return -s.fail_err;
	inside = true;
	ret = lu_sim_backend.open_device(inner, path);
	inside = false;
	return ret;
}

static int seam_ioctl(void *inner, int fd, unsigned long req, void *arg)
{
	int ret;

	if (inject(ioctl_kind(req, arg)))
		return -s.fail_err;
	inside = true;
	ret = lu_sim_backend.ioctl(inner, fd, req, arg);
	inside = false;
	return ret;
}

static int seam_close(void *inner, int fd)
{
	int ret;

	inject(SEAM_CLOSE); /* never fails: the kernel always closes */
	inside = true;
	ret = lu_sim_backend.close(inner, fd);
	inside = false;
	return ret;
}

static int seam_kexec_file_load(void *inner, int kernel_fd, int initrd_fd,
				const char *cmdline, unsigned long flags)
{
	int ret;

	if (inject(SEAM_KEXEC_LOAD))
		return -s.fail_err;
	ret = lu_sim_backend.kexec_file_load(inner, kernel_fd, initrd_fd, cmdline, flags);
	if (ret == 0) {
		pthread_mutex_lock(&s.lock);
		s.kexec_loads++;
		snprintf(s.cmdline, sizeof(s.cmdline), "%s", cmdline);
		pthread_mutex_unlock(&s.lock);
	}
	return ret;
}

static int seam_reboot_kexec(void *inner)
{
	if (inject(SEAM_REBOOT))
		return -s.fail_err;
	return lu_sim_backend.reboot_kexec(inner);
}

static const struct lu_backend_ops seam_ops = {
	.name = "unit-test seam over liveupdate-sim",
	/* the rest is set below: the kernel's face (kind, advice, names in
	 * messages, holders), over the simulator's transport */
	.open_device = seam_open_device,
	.ioctl = seam_ioctl,
	.close = seam_close,
	.kexec_file_load = seam_kexec_file_load,
	.reboot_kexec = seam_reboot_kexec,
	.release = NULL, /* set below: the simulator backend's */
};

void seam_attach(struct liveupdate_ctx *ctx)
{
	static struct lu_backend_ops ops;
	void *inner;

	if (!s.daemon && !s.dir[0])
		start_daemon();
	if (lu_sim_backend_new(ctx, s.socket, &inner) < 0)
		die("setting up the simulator backend");
	ops = seam_ops;
	ops.kind = lu_kernel_backend.kind;
	ops.open_advice = lu_kernel_backend.open_advice;
	ops.open_fail_priority = lu_kernel_backend.open_fail_priority;
	ops.device_label = lu_kernel_backend.device_label;
	ops.find_holders = lu_kernel_backend.find_holders;
	ops.release = lu_sim_backend.release;
	lu_ctx_set_backend(ctx, &ops, inner);
}
