/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* In-process mock of /dev/liveupdate for unit tests: see mock-kernel.h. */
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "liveupdate-private.h"
#include "mock-kernel.h"

#define MAX_SESSIONS 64
#define MAX_FILES 64
#define MAX_CALLS 4096

/* seals the kernel's memfd handler can carry over */
#define CARRIED_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | \
		       F_SEAL_WRITE | F_SEAL_FUTURE_WRITE | 0x0020 /* EXEC */)

struct mock_file {
	uint64_t token;
	int held_fd;            /* the kernel's reference to the file */
	dev_t dev;
	ino_t ino;
};

struct mock_session {
	bool used;
	bool incoming;
	bool finished;
	int fd;                 /* an open session fd, or -1 */
	ino_t ino;              /* identity of the open session file (a memfd) */
	char name[LU_UAPI_NAME_LEN];
	struct mock_file files[MAX_FILES];
	size_t nfiles;
};

static struct {
	struct mock_session sessions[MAX_SESSIONS];
	int device_fd;          /* -1 when the device is not open */
	ino_t device_ino;
	bool device_held, device_absent;
	bool kexec_loaded;
	unsigned kexec_loads, reboots;
	char cmdline[4096];
	/* fault injection */
	unsigned calls, fail_at;
	int fail_err;
	bool fired;
	enum mock_call_kind kinds[MAX_CALLS];
} m;

static void drop_files(struct mock_session *s)
{
	for (size_t i = 0; i < s->nfiles; i++)
		close(s->files[i].held_fd);
	s->nfiles = 0;
}

static void drop_session(struct mock_session *s)
{
	drop_files(s);
	memset(s, 0, sizeof(*s));
	s->fd = -1;
}

void mock_reset(void)
{
	for (size_t i = 0; i < MAX_SESSIONS; i++)
		if (m.sessions[i].used)
			drop_session(&m.sessions[i]);
	memset(&m, 0, sizeof(m));
	m.device_fd = -1;
	for (size_t i = 0; i < MAX_SESSIONS; i++)
		m.sessions[i].fd = -1;
}

void mock_kexec(void)
{
	/* fds of the old boot keep their inodes, which now match nothing */
	m.device_fd = -1;
	m.device_ino = 0;
	for (size_t i = 0; i < MAX_SESSIONS; i++) {
		struct mock_session *s = &m.sessions[i];

		if (!s->used)
			continue;
		/* only open outgoing sessions cross the kexec */
		if (s->incoming || s->fd < 0) {
			drop_session(s);
			continue;
		}
		s->fd = -1;
		s->ino = 0;
		s->incoming = true;
	}
	m.kexec_loaded = false;
}

void mock_set_device_held(bool held) { m.device_held = held; }
void mock_set_device_absent(bool absent) { m.device_absent = absent; }

void mock_fail_call(unsigned n, int err)
{
	m.fail_at = n ? m.calls + n : 0;
	m.fail_err = err;
	m.fired = false;
}

unsigned mock_calls(void) { return m.calls; }
enum mock_call_kind mock_call_kind(unsigned i) { return m.kinds[i - 1]; }
void mock_count_reset(void) { m.calls = 0; m.fail_at = 0; m.fired = false; }
bool mock_fault_fired(void) { return m.fired; }
bool mock_device_open(void) { return m.device_fd >= 0; }
unsigned mock_kexec_loads(void) { return m.kexec_loads; }
unsigned mock_reboots(void) { return m.reboots; }
const char *mock_last_cmdline(void) { return m.cmdline; }

static size_t count_sessions(int want_incoming)
{
	size_t n = 0;

	for (size_t i = 0; i < MAX_SESSIONS; i++)
		if (m.sessions[i].used &&
		    (want_incoming < 0 || m.sessions[i].incoming == want_incoming))
			n++;
	return n;
}

size_t mock_open_sessions(void) { return count_sessions(-1); }
size_t mock_outgoing_sessions(void) { return count_sessions(0); }
size_t mock_incoming_sessions(void) { return count_sessions(1); }

/* Count the call; true when it must fail with the injected error. */
static bool inject(enum mock_call_kind kind)
{
	m.calls++;
	if (m.calls <= MAX_CALLS)
		m.kinds[m.calls - 1] = kind;
	if (m.fail_at && m.calls == m.fail_at) {
		m.fired = true;
		return true;
	}
	return false;
}

static ino_t fd_ino(int fd)
{
	struct stat st;

	return fd >= 0 && fstat(fd, &st) == 0 ? st.st_ino : 0;
}

/* Sessions are told apart by their file, so dup()ed fds work as in Linux. */
static struct mock_session *session_by_fd(int fd)
{
	ino_t ino = fd_ino(fd);

	for (size_t i = 0; ino && i < MAX_SESSIONS; i++)
		if (m.sessions[i].used && m.sessions[i].fd >= 0 &&
		    m.sessions[i].ino == ino)
			return &m.sessions[i];
	return NULL;
}

static bool is_device(int fd)
{
	return m.device_fd >= 0 && fd_ino(fd) == m.device_ino;
}

/* Whether this process still has an fd on the file with inode ino. */
static bool ino_still_open(ino_t ino)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	bool found = false;

	if (!d)
		return false;
	while (!found && (e = readdir(d)))
		if (e->d_name[0] != '.' && atoi(e->d_name) != dirfd(d))
			found = fd_ino(atoi(e->d_name)) == ino;
	closedir(d);
	return found;
}

static struct mock_session *session_slot(void)
{
	for (size_t i = 0; i < MAX_SESSIONS; i++)
		if (!m.sessions[i].used)
			return &m.sessions[i];
	return NULL;
}

/* A fresh file for the device or a session: one inode each. */
static int new_fd(void)
{
	int fd = memfd_create("mock-luo", MFD_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static int mock_open_device_locked(void *data, const char *path)
{
	(void)data; (void)path;
	if (inject(MOCK_OPEN))
		return -m.fail_err;
	if (m.device_absent)
		return -ENOENT;
	if (m.device_held || m.device_fd >= 0)
		return -EBUSY;
	m.device_fd = new_fd();
	m.device_ino = fd_ino(m.device_fd);
	return m.device_fd;
}

/* Request framing as the kernel does it: size first, unknown tail zero. */
static int check_size(const void *arg, size_t min, size_t known)
{
	uint32_t size;

	memcpy(&size, arg, sizeof(size));
	if (size < min)
		return -EINVAL;
	for (size_t i = known; i < size; i++)
		if (((const unsigned char *)arg)[i])
			return -E2BIG;
	return 0;
}

static int device_ioctl(unsigned long req, void *arg)
{
	struct lu_uapi_session_req *r = arg;
	struct mock_session *s = NULL;
	int ret, fd;

	ret = check_size(arg, sizeof(*r), sizeof(*r));
	if (ret)
		return ret;
	if (!memchr(r->name, '\0', sizeof(r->name)) || !r->name[0])
		return -EINVAL;
	for (size_t i = 0; i < MAX_SESSIONS; i++) {
		struct mock_session *c = &m.sessions[i];

		if (c->used && c->incoming == (req == LU_UAPI_RETRIEVE_SESSION) &&
		    strcmp(c->name, (char *)r->name) == 0)
			s = c;
	}
	if (req == LU_UAPI_CREATE_SESSION) {
		if (s)
			return -EEXIST;
		s = session_slot();
		if (!s)
			return -ENOMEM;
		fd = new_fd();
		if (fd < 0)
			return fd;
		s->used = true;
		memcpy(s->name, r->name, sizeof(s->name));
	} else {
		if (!s)
			return -ENOENT;
		if (s->fd >= 0)
			return -EINVAL;
		fd = new_fd();
		if (fd < 0)
			return fd;
	}
	s->fd = fd;
	s->ino = fd_ino(fd);
	r->fd = fd;
	return 0;
}

static int preserve(struct mock_session *s, struct lu_uapi_fd_req *r)
{
	struct statfs sfs;
	struct stat st;
	int seals;

	for (size_t i = 0; i < s->nfiles; i++)
		if (s->files[i].token == r->token)
			return -EEXIST;
	if (r->fd < 0 || fstat(r->fd, &st) < 0)
		return -EBADF;
	if (session_by_fd(r->fd) || is_device(r->fd))
		return -ENOENT; /* anon inodes in the kernel: no handler */
	if (fstatfs(r->fd, &sfs) < 0 || sfs.f_type != TMPFS_MAGIC ||
	    !S_ISREG(st.st_mode) || st.st_nlink != 0)
		return -ENOENT;
	for (size_t i = 0; i < MAX_SESSIONS; i++)
		for (size_t j = 0; j < m.sessions[i].nfiles; j++)
			if (m.sessions[i].files[j].dev == st.st_dev &&
			    m.sessions[i].files[j].ino == st.st_ino)
				return -EBUSY;
	seals = fcntl(r->fd, F_GET_SEALS);
	if (seals > 0 && (seals & ~CARRIED_SEALS))
		return -EOPNOTSUPP;
	if (s->nfiles == MAX_FILES)
		return -ENOMEM;
	s->files[s->nfiles].held_fd = fcntl(r->fd, F_DUPFD_CLOEXEC, 0);
	if (s->files[s->nfiles].held_fd < 0)
		return -errno;
	s->files[s->nfiles].token = r->token;
	s->files[s->nfiles].dev = st.st_dev;
	s->files[s->nfiles].ino = st.st_ino;
	s->nfiles++;
	return 0;
}

static int session_ioctl(struct mock_session *s, unsigned long req, void *arg)
{
	int ret;

	switch (req) {
	case LU_UAPI_SESSION_PRESERVE_FD:
	case LU_UAPI_SESSION_RETRIEVE_FD: {
		struct lu_uapi_fd_req *r = arg;
		bool want_incoming = req == LU_UAPI_SESSION_RETRIEVE_FD;

		if (s->incoming != want_incoming)
			return -EINVAL;
		ret = check_size(arg, sizeof(*r), sizeof(*r));
		if (ret)
			return ret;
		if (!want_incoming)
			return preserve(s, r);
		if (s->finished)
			return -ENOENT;
		for (size_t i = 0; i < s->nfiles; i++) {
			if (s->files[i].token != r->token)
				continue;
			r->fd = fcntl(s->files[i].held_fd, F_DUPFD_CLOEXEC, 0);
			return r->fd < 0 ? -errno : 0;
		}
		return -ENOENT;
	}
	case LU_UAPI_SESSION_FINISH: {
		struct lu_uapi_finish_req *r = arg;

		if (!s->incoming)
			return -EINVAL;
		ret = check_size(arg, sizeof(*r), sizeof(*r));
		if (ret)
			return ret;
		if (r->reserved)
			return -EINVAL;
		drop_files(s); /* the files now belong to userspace */
		s->finished = true;
		return 0;
	}
	case LU_UAPI_SESSION_GET_NAME: {
		struct lu_uapi_get_name_req *r = arg;

		ret = check_size(arg, sizeof(*r), sizeof(*r));
		if (ret)
			return ret;
		if (r->reserved)
			return -EINVAL;
		memcpy(r->name, s->name, sizeof(r->name));
		return 0;
	}
	default:
		return -ENOTTY;
	}
}

static enum mock_call_kind ioctl_kind(unsigned long req, void *arg)
{
	switch (req) {
	case LU_UAPI_CREATE_SESSION: return MOCK_CREATE_SESSION;
	case LU_UAPI_RETRIEVE_SESSION: return MOCK_RETRIEVE_SESSION;
	case LU_UAPI_SESSION_PRESERVE_FD:
		return ((struct lu_uapi_fd_req *)arg)->fd < 0 ? MOCK_PRESERVE_PROBE
							      : MOCK_PRESERVE_FD;
	case LU_UAPI_SESSION_RETRIEVE_FD: return MOCK_RETRIEVE_FD;
	case LU_UAPI_SESSION_FINISH: return MOCK_FINISH;
	case LU_UAPI_SESSION_GET_NAME: return MOCK_GET_NAME;
	default: return MOCK_OTHER_IOCTL;
	}
}

static int mock_ioctl_locked(void *data, int fd, unsigned long req, void *arg)
{
	struct mock_session *s;

	(void)data;
	if (inject(ioctl_kind(req, arg)))
		return -m.fail_err;
	if (is_device(fd)) {
		if (req != LU_UAPI_CREATE_SESSION && req != LU_UAPI_RETRIEVE_SESSION)
			return _IOC_NR(req) > LU_UAPI_NR_RETRIEVE_SESSION ? -EINVAL
									 : -ENOTTY;
		return device_ioctl(req, arg);
	}
	s = session_by_fd(fd);
	if (s)
		return session_ioctl(s, req, arg);
	if (fd < 0 || fcntl(fd, F_GETFD) < 0)
		return -EBADF;
	return -ENOTTY; /* some other kind of file */
}

static int mock_close_locked(void *data, int fd)
{
	struct mock_session *s = session_by_fd(fd);
	bool device = is_device(fd);
	ino_t ino = fd_ino(fd);
	int ret;

	(void)data;
	inject(MOCK_CLOSE);
	ret = close(fd) < 0 ? -errno : 0;
	/* the kernel acts on the last close of the file only */
	if (ino && ino_still_open(ino))
		return ret;
	if (device) {
		m.device_fd = -1;
	} else if (s) {
		/* outgoing: abort; incoming: implicit finish, then gone */
		drop_session(s);
	}
	return ret;
}

static int mock_kexec_file_load_locked(void *data, int kernel_fd, int initrd_fd,
				const char *cmdline, unsigned long flags)
{
	(void)data; (void)flags;
	if (inject(MOCK_KEXEC_LOAD))
		return -m.fail_err;
	if (fcntl(kernel_fd, F_GETFD) < 0 || (initrd_fd >= 0 && fcntl(initrd_fd, F_GETFD) < 0))
		return -EBADF;
	snprintf(m.cmdline, sizeof(m.cmdline), "%s", cmdline);
	m.kexec_loaded = true;
	m.kexec_loads++;
	return 0;
}

static int mock_reboot_kexec_locked(void *data)
{
	(void)data;
	if (inject(MOCK_REBOOT))
		return -m.fail_err;
	if (!m.kexec_loaded)
		return -EINVAL;
	m.reboots++;
	mock_kexec();
	return 0;
}

/* The kernel serialises these; so does the mock, for threaded tests. */
static pthread_mutex_t mock_lock = PTHREAD_MUTEX_INITIALIZER;
#define LOCKED(call) ({ int r_; pthread_mutex_lock(&mock_lock); r_ = (call); \
			pthread_mutex_unlock(&mock_lock); r_; })

static int mock_open_device(void *d, const char *p) { return LOCKED(mock_open_device_locked(d, p)); }
static int mock_ioctl(void *d, int fd, unsigned long r, void *a) { return LOCKED(mock_ioctl_locked(d, fd, r, a)); }
static int mock_close(void *d, int fd) { return LOCKED(mock_close_locked(d, fd)); }
static int mock_kexec_file_load(void *d, int k, int i, const char *c, unsigned long f)
{
	return LOCKED(mock_kexec_file_load_locked(d, k, i, c, f));
}
static int mock_reboot_kexec(void *d) { return LOCKED(mock_reboot_kexec_locked(d)); }

static const struct lu_backend_ops mock_ops = {
	.name = "unit-test mock",
	.open_device = mock_open_device,
	.ioctl = mock_ioctl,
	.close = mock_close,
	.kexec_file_load = mock_kexec_file_load,
	.reboot_kexec = mock_reboot_kexec,
};

void mock_attach(struct liveupdate_ctx *ctx)
{
	lu_ctx_set_backend(ctx, &mock_ops, NULL);
}
