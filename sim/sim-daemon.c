/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * liveupdate-sim's daemon: see sim-daemon.h, and the kernel's
 * kernel/liveupdate/luo_core.c, luo_session.c, luo_file.c and
 * mm/memfd_luo.c, whose checks it makes in the same order.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/magic.h>
#include <sys/epoll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "luo-uapi.h"
#include "sim-client.h"
#include "sim-daemon.h"

#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020
#endif
/* seals mm/memfd_luo.c carries (MEMFD_LUO_ALL_SEALS) */
#define CARRIED_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | \
		       F_SEAL_FUTURE_WRITE | F_SEAL_EXEC)
#define ACCEPTS_PER_ROUND 64

struct sim_file {
	uint64_t token;
	int held;               /* the preserved open file, as the client had it */
	int reopened;           /* incoming: the retrieved file, -1 until then */
	dev_t dev;
	ino_t ino;
	off_t pos;              /* file position at the simulated kexec */
	int status;             /* 0 not retrieved, 1 retrieved, <0 sticky errno */
};

struct sim_session {
	struct sim_session *next;
	char name[LU_UAPI_NAME_LEN];
	bool incoming;
	bool retrieved;         /* incoming: a session fd is open */
	bool finished;
	struct sim_conn *conn;  /* the session's file: outgoing always, incoming once retrieved */
	pid_t pid;
	struct sim_file *files;
	size_t nfiles, cap;
};

struct sim_conn {
	int fd;
	uint32_t role;          /* 0 until HELLO */
	pid_t pid;
	uid_t uid;
	uint64_t cookie[2];     /* SESSION: the name CREATE/RETRIEVE attach it by */
	struct sim_session *session;
	bool dead;
};

static struct {
	const struct lu_sim_daemon_opts *opts;
	int listen_fd;
	struct sim_conn **conns;
	size_t nconns, max_conns;
	size_t ndead;           /* dead conns not yet freed by reap_conns() */
	/*
	 * epoll, so that the cost of a request does not grow with the number
	 * of clients: efd watches the listener and every connection for
	 * input; hup_efd every connection for hang-ups only, so that
	 * sweep_hangups() sees just the connections that closed.
	 */
	int efd, hup_efd;
	struct sim_session *sessions; /* creation order */
	size_t nsessions, max_sessions;
	size_t nfiles, max_files, max_files_per_session;
	struct sim_conn *device; /* the open /dev/liveupdate, or NULL */
	bool kexec_loaded;
	uint64_t reboots;
	dev_t memfd_dev;        /* st_dev of every memfd (the internal shmem mount) */
	struct lu_sim_table *table; /* the frozen-file table, mapped read-write */
	size_t table_len;
	int table_fd;           /* read-only, for clients */
	volatile sig_atomic_t stop;
} d;

/* ------------------------------------------------------------------ log */

static void logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logmsg(const char *fmt, ...)
{
	struct timespec ts;
	struct tm tm;
	char when[32];
	va_list ap;

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	fprintf(stderr, "liveupdate-sim[%d] %s.%03ld: ", (int)getpid(), when,
		ts.tv_nsec / 1000000);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}

#define vlog(...) do { if (d.opts->verbose) logmsg(__VA_ARGS__); } while (0)

/* A session name fit for a log line: anything unprintable as \xNN. */
static const char *shown(const char *name)
{
	static char buf[4 * LU_UAPI_NAME_LEN + 1];
	size_t o = 0;

	for (size_t i = 0; i < LU_UAPI_NAME_LEN && name[i]; i++) {
		unsigned char ch = (unsigned char)name[i];

		if (ch >= 0x20 && ch < 0x7f && ch != '\\')
			buf[o++] = (char)ch;
		else
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "\\x%02x", ch);
	}
	buf[o] = '\0';
	return buf;
}

static const char *role_name(uint32_t role)
{
	switch (role) {
	case LU_SIM_ROLE_DEVICE: return "device";
	case LU_SIM_ROLE_SESSION: return "session";
	case LU_SIM_ROLE_CONTROL: return "control";
	default: return "new";
	}
}

/* ------------------------------------------------------------- sessions */

static void publish_frozen(void);

static void drop_file(struct sim_file *f)
{
	close(f->held);
	if (f->reopened >= 0)
		close(f->reopened);
	d.nfiles--;
}

/* Unpreserve (outgoing) or finish (incoming): the files go back to userspace. */
static void drop_files(struct sim_session *s)
{
	while (s->nfiles)
		drop_file(&s->files[--s->nfiles]);
}

static void remove_session(struct sim_session *s)
{
	struct sim_session **pp;
	bool frozen_files = !s->incoming && s->nfiles;

	for (pp = &d.sessions; *pp; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	drop_files(s);
	free(s->files);
	free(s);
	d.nsessions--;
	if (frozen_files)
		publish_frozen();
}

static size_t count_sessions(bool incoming)
{
	size_t n = 0;

	for (struct sim_session *s = d.sessions; s; s = s->next)
		n += s->incoming == incoming;
	return n;
}

static struct sim_session *find_session(const char *name, bool incoming)
{
	for (struct sim_session *s = d.sessions; s; s = s->next)
		if (s->incoming == incoming && strncmp(s->name, name, LU_UAPI_NAME_LEN) == 0)
			return s;
	return NULL;
}

/* luo_preserved_files: outgoing files, and incoming ones once retrieved */
static bool file_busy(dev_t dev, ino_t ino)
{
	for (struct sim_session *s = d.sessions; s; s = s->next)
		for (size_t i = 0; i < s->nfiles; i++)
			if (s->files[i].dev == dev && s->files[i].ino == ino &&
			    (!s->incoming || s->files[i].status > 0))
				return true;
	return false;
}

static bool file_frozen(dev_t dev, ino_t ino)
{
	for (struct sim_session *s = d.sessions; s; s = s->next)
		for (size_t i = 0; !s->incoming && i < s->nfiles; i++)
			if (s->files[i].dev == dev && s->files[i].ino == ino)
				return true;
	return false;
}

/* ------------------------------------------------------- the frozen table */

static int cmp_entry(const void *a, const void *b)
{
	const struct lu_sim_table_entry *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

/* Rewrite the table: every file of every outgoing session (a seqlock). */
static void publish_frozen(void)
{
	struct lu_sim_table *t = d.table;
	uint64_t n = 0;

	if (!t)
		return;
	__atomic_store_n(&t->seq, t->seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	for (struct sim_session *s = d.sessions; s; s = s->next)
		for (size_t i = 0; !s->incoming && i < s->nfiles && n < t->cap; i++) {
			t->entries[n].dev = (uint64_t)s->files[i].dev;
			t->entries[n].ino = (uint64_t)s->files[i].ino;
			n++;
		}
	qsort(t->entries, n, sizeof(t->entries[0]), cmp_entry);
	t->count = n;
	__atomic_store_n(&t->seq, t->seq + 1, __ATOMIC_RELEASE);
}

/*
 * One file more, the common case: put it in its sorted place instead of
 * rebuilding and sorting the whole table, so that preserving stays flat as
 * the number of preserved files grows. Falls back to a rebuild when full.
 */
static void publish_frozen_add(dev_t dev, ino_t ino)
{
	struct lu_sim_table *t = d.table;
	struct lu_sim_table_entry e = { .dev = (uint64_t)dev, .ino = (uint64_t)ino };
	uint64_t lo = 0, hi;

	if (!t)
		return;
	if (t->count >= t->cap) {
		publish_frozen();
		return;
	}
	hi = t->count;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (cmp_entry(&t->entries[mid], &e) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	__atomic_store_n(&t->seq, t->seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	memmove(&t->entries[lo + 1], &t->entries[lo],
		(size_t)(t->count - lo) * sizeof(t->entries[0]));
	t->entries[lo] = e;
	t->count++;
	__atomic_store_n(&t->seq, t->seq + 1, __ATOMIC_RELEASE);
}

/*
 * A memfd sealed against growing and against new writable mappings: our
 * mapping is the only writable one; clients get a read-only fd.
 */
static void create_table(void)
{
	size_t len = sizeof(struct lu_sim_table) + d.max_files * sizeof(struct lu_sim_table_entry);
	char path[64];
	void *p;
	int fd;

	d.table_fd = -1;
	len = (len + 4095) / 4096 * 4096;
	fd = memfd_create("liveupdate-sim-frozen", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0 || ftruncate(fd, (off_t)len) < 0)
		goto fail;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		goto fail;
	d.table = p;
	d.table_len = len;
	d.table->magic = LU_SIM_TABLE_MAGIC;
	d.table->pid = (uint32_t)getpid();
	d.table->alive = 1;
	d.table->cap = (uint32_t)d.max_files;
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_FUTURE_WRITE) < 0)
		fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW);
	fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	d.table_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (d.table_fd < 0)
		d.table_fd = fd; /* no /proc: clients map it read-only all the same */
	else
		close(fd);
	return;
fail:
	/* clients then ask about every write: slower, not wrong */
	logmsg("no frozen-file table: %s", strerror(errno));
	if (fd >= 0)
		close(fd);
}

/* ---------------------------------------------------------- connections */

/* The kernel's release of the file behind a connection. */
static void release_conn(struct sim_conn *c, const char *why)
{
	struct sim_session *s = c->session;

	if (c->dead)
		return;
	if (c == d.device) {
		d.device = NULL;
		vlog("device closed by pid %d (%s)", (int)c->pid, why);
	}
	if (s) {
		if (s->incoming) {
			/* luo_session_release(): an implicit FINISH, then gone */
			vlog("incoming session \"%s\" closed (%s): finished, %zu file(s) dropped",
			     shown(s->name), why, s->nfiles);
		} else {
			/* the only way to abort: every file unpreserved, the name freed */
			vlog("outgoing session \"%s\" closed (%s): %zu file(s) unpreserved",
			     shown(s->name), why, s->nfiles);
		}
		s->conn = NULL;
		remove_session(s);
		c->session = NULL;
	}
	close(c->fd); /* also takes it out of both epoll sets */
	c->fd = -1;
	c->dead = true;
	d.ndead++;
}

/* A connection the simulated kexec makes stale: closed, nothing released. */
static void drop_conn(struct sim_conn *c)
{
	if (c->dead)
		return;
	if (c->session)
		c->session->conn = NULL;
	c->session = NULL;
	close(c->fd);
	c->fd = -1;
	c->dead = true;
	d.ndead++;
}

static void reap_conns(void)
{
	size_t j = 0;

	if (!d.ndead)
		return;
	d.ndead = 0;

	for (size_t i = 0; i < d.nconns; i++) {
		if (d.conns[i]->dead)
			free(d.conns[i]);
		else
			d.conns[j++] = d.conns[i];
	}
	d.nconns = j;
}

/*
 * Process every hang-up that has already happened. A client's close()
 * releases its end before it returns, so a request sent after a close
 * always finds the close done here first: the kernel's release is
 * synchronous, and so is this one from the client's point of view.
 */
static void sweep_hangups(void)
{
	struct epoll_event ev[64];
	int n;

	do {
		n = epoll_wait(d.hup_efd, ev, 64, 0);
		for (int i = 0; i < n; i++) {
			struct sim_conn *c = ev[i].data.ptr;

			/* released connections leave the set: this loop ends */
			if (!c->dead)
				release_conn(c, "hang-up");
		}
	} while (n == 64);
}

static struct sim_conn *find_pending(const uint64_t cookie[2])
{
	for (size_t i = 0; i < d.nconns; i++) {
		struct sim_conn *c = d.conns[i];

		if (!c->dead && c->role == LU_SIM_ROLE_SESSION && !c->session &&
		    (c->cookie[0] | c->cookie[1]) &&
		    c->cookie[0] == cookie[0] && c->cookie[1] == cookie[1])
			return c;
	}
	return NULL;
}

/* ---------------------------------------------------------------- replies */

/* Send a reply; false when the peer cannot take it (gone, or not reading). */
static bool send_reply(int sock, const struct lu_sim_msg *r, int fd)
{
	int ret = lu_sim_send(sock, r, &fd, fd >= 0 ? 1 : 0, MSG_DONTWAIT);

	if (ret < 0)
		vlog("reply on fd %d not sent: %s", sock, strerror(-ret));
	return ret == 0;
}

static void reply_err(struct sim_conn *c, int replyfd, int err)
{
	struct lu_sim_msg r = { .type = LU_SIM_REPLY };

	r.u.reply.err = err;
	if (replyfd >= 0)
		send_reply(replyfd, &r, -1);
	else if (!send_reply(c->fd, &r, -1))
		release_conn(c, "not reading its replies");
}

/* -------------------------------------------------------------- ioctls */

static uint32_t arg32(const struct lu_sim_ioctl *io, size_t off)
{
	uint32_t v;

	memcpy(&v, io->arg + off, sizeof(v));
	return v;
}

/* The framing both ioctl tables share, after the table lookup. */
static int check_frame(const struct lu_sim_ioctl *io, unsigned known)
{
	if (io->user_size < known)
		return EINVAL;
	/* copy_struct_from_user(): the tail first, then the known part */
	if (io->flags & LU_SIM_IOF_TAIL_NONZERO)
		return E2BIG;
	if (io->flags & (LU_SIM_IOF_TAIL_FAULT | LU_SIM_IOF_HEAD_FAULT))
		return EFAULT;
	return 0;
}

/* luo_core.c: luo_ioctl() and what it dispatches to */
static int device_ioctl(struct sim_conn *c, const struct lu_sim_ioctl *io,
			struct lu_sim_reply *out)
{
	unsigned nr = io->cmd & 0xff;
	const char *name = (const char *)io->arg + offsetof(struct lu_uapi_session_req, name);
	struct sim_session *s;
	struct sim_conn *target;
	size_t len;
	int err;

	(void)out; /* the struct goes back as it came; the client fills in fd */
	if (nr >= 2)
		return EINVAL;       /* out of the table */
	if (io->flags & LU_SIM_IOF_SIZE_FAULT)
		return EFAULT;       /* get_user(size) */
	if (io->cmd != (uint32_t)_IO(LU_UAPI_IOCTL_TYPE, nr))
		return ENOTTY;       /* -ENOIOCTLCMD, as vfs_ioctl() reports it */
	err = check_frame(io, sizeof(struct lu_uapi_session_req));
	if (err)
		return err;
	if (io->fd_errno)
		return io->fd_errno; /* get_unused_fd_flags() comes first */

	if (nr == LU_UAPI_NR_CREATE_SESSION) {
		/* luo_session_create() */
		len = strnlen(name, LU_UAPI_NAME_LEN);
		if (len == 0 || len > LU_UAPI_NAME_LEN - 1)
			return EINVAL;
		if (find_session(name, false))
			return EEXIST;
		if (d.nsessions >= d.max_sessions)
			return ENOMEM;
		target = find_pending(io->cookie);
		if (!target)
			return EPROTO;
		s = calloc(1, sizeof(*s));
		if (!s)
			return ENOMEM;
		memcpy(s->name, name, len);
		s->conn = target;
		s->pid = target->pid;
		/* append: creation order, as the kernel's list */
		{
			struct sim_session **pp = &d.sessions;

			while (*pp)
				pp = &(*pp)->next;
			*pp = s;
		}
		d.nsessions++;
		target->session = s;
		vlog("pid %d created outgoing session \"%s\"", (int)c->pid, shown(s->name));
		return 0;
	}

	/* luo_session_retrieve(): no check of the name, only a lookup */
	s = find_session(name, true);
	if (!s)
		return ENOENT;
	if (s->retrieved)
		return EINVAL;
	target = find_pending(io->cookie);
	if (!target)
		return EPROTO;
	s->retrieved = true;
	s->conn = target;
	s->pid = target->pid;
	target->session = s;
	vlog("pid %d retrieved incoming session \"%s\" (%zu file(s))", (int)c->pid,
	     shown(s->name), s->nfiles);
	return 0;
}

/*
 * A preservable file: shmem, unlinked (memfd_luo_can_preserve()). Asked
 * without waking up the file's file system where possible (statx with
 * AT_STATX_DONT_SYNC; statfs only for an unlinked file outside the memfd
 * mount), so that a client's FUSE file cannot stall the daemon.
 */
static bool can_preserve(int fd, struct stat *st)
{
	struct statx sx;
	struct statfs sfs;

	if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC,
		  STATX_TYPE | STATX_NLINK | STATX_INO | STATX_SIZE, &sx) < 0)
		return false;
	if (!S_ISREG(sx.stx_mode) || sx.stx_nlink != 0)
		return false;
	memset(st, 0, sizeof(*st));
	st->st_mode = sx.stx_mode;
	st->st_dev = makedev(sx.stx_dev_major, sx.stx_dev_minor);
	st->st_ino = sx.stx_ino;
	st->st_size = (off_t)sx.stx_size;
	if (d.memfd_dev && st->st_dev == d.memfd_dev)
		return true;    /* the kernel's internal shmem mount: a memfd */
	return fstatfs(fd, &sfs) == 0 && sfs.f_type == TMPFS_MAGIC;
}

static int preserve_fd(struct sim_session *s, const struct lu_sim_ioctl *io, int *file)
{
	uint64_t token;
	struct sim_file *f;
	struct stat st;
	int seals;

	memcpy(&token, io->arg + offsetof(struct lu_uapi_fd_req, token), sizeof(token));
	/* luo_preserve_file(), in its order */
	for (size_t i = 0; i < s->nfiles; i++)
		if (s->files[i].token == token)
			return EEXIST;
	if (s->nfiles >= d.max_files_per_session)
		return ENOSPC;          /* the file set's blocks are full */
	if (d.nfiles >= d.max_files)
		return ENOMEM;
	if (io->flags & LU_SIM_IOF_FILE_BADF)
		return EBADF;
	if (*file < 0 || !can_preserve(*file, &st))
		return ENOENT;          /* no handler for this file */
	if (file_busy(st.st_dev, st.st_ino))
		return EBUSY;
	/* memfd_luo_preserve() */
	seals = fcntl(*file, F_GET_SEALS);
	if (seals > 0 && (seals & ~CARRIED_SEALS))
		return EOPNOTSUPP;
	if (((uint64_t)st.st_size + 4095) / 4096 > UINT_MAX)
		return EFBIG;
	if (s->nfiles == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		struct sim_file *n = realloc(s->files, cap * sizeof(*n));

		if (!n)
			return ENOMEM;
		s->files = n;
		s->cap = cap;
	}
	f = &s->files[s->nfiles++];
	memset(f, 0, sizeof(*f));
	f->token = token;
	f->held = *file;        /* zero copy: the client's own open file */
	f->reopened = -1;
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	d.nfiles++;
	*file = -1;             /* kept */
	/* before the answer: frozen when the ioctl returns */
	publish_frozen_add(st.st_dev, st.st_ino);
	vlog("session \"%s\": preserved token %" PRIu64 " (inode %lu, %lld bytes)",
	     shown(s->name), token, (unsigned long)st.st_ino, (long long)st.st_size);
	return 0;
}

/*
 * memfd_luo_retrieve(): in the kernel a new file with the old contents,
 * size, seals and position, O_RDWR | O_LARGEFILE. Here: a new open file of
 * the same memory (reopened through /proc), at the saved position.
 */
static int retrieve_file(struct sim_file *f)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", f->held);
	fd = open(path, O_RDWR | O_CLOEXEC | O_LARGEFILE);
	if (fd < 0)
		fd = fcntl(f->held, F_DUPFD_CLOEXEC, 0); /* no /proc: share the old one */
	if (fd < 0)
		return -ENOMEM;
	lseek(fd, f->pos, SEEK_SET);
	f->reopened = fd;
	return 0;
}

/* luo_session.c: luo_session_ioctl() and the commands */
static int session_ioctl(struct sim_conn *c, const struct lu_sim_ioctl *io,
			 struct lu_sim_reply *out, int *file, int *out_fd)
{
	struct sim_session *s = c->session;
	unsigned nr = io->cmd & 0xff;
	bool want_incoming;
	unsigned known;
	int err;

	if (!s)
		return EBADF;   /* a session connection never attached: no file */
	if (nr < LU_UAPI_NR_SESSION_PRESERVE_FD || nr > LU_UAPI_NR_SESSION_GET_NAME)
		return EINVAL;
	if (io->flags & LU_SIM_IOF_SIZE_FAULT)
		return EFAULT;
	if (io->cmd != (uint32_t)_IO(LU_UAPI_IOCTL_TYPE, nr))
		return ENOTTY;
	want_incoming = nr == LU_UAPI_NR_SESSION_RETRIEVE_FD || nr == LU_UAPI_NR_SESSION_FINISH;
	/* luo_ioctl_type_valid(): "retrieved" marks an incoming session */
	if (nr != LU_UAPI_NR_SESSION_GET_NAME && s->incoming != want_incoming)
		return EINVAL;
	known = lu_sim_ioctl_known_size(nr);
	err = check_frame(io, known);
	if (err)
		return err;

	switch (nr) {
	case LU_UAPI_NR_SESSION_FINISH:
		if (arg32(io, offsetof(struct lu_uapi_finish_req, reserved)))
			return EINVAL;
		vlog("session \"%s\": finished, %zu file(s) handed over", shown(s->name), s->nfiles);
		drop_files(s);  /* never-retrieved tokens are dropped */
		s->finished = true;
		return 0;
	case LU_UAPI_NR_SESSION_PRESERVE_FD:
		return preserve_fd(s, io, file);
	case LU_UAPI_NR_SESSION_RETRIEVE_FD: {
		uint64_t token;
		struct sim_file *f = NULL;

		if (io->fd_errno)
			return io->fd_errno; /* get_unused_fd_flags() comes first */
		memcpy(&token, io->arg + offsetof(struct lu_uapi_fd_req, token), sizeof(token));
		for (size_t i = 0; i < s->nfiles && !f; i++)
			if (s->files[i].token == token)
				f = &s->files[i];
		if (!f)
			return ENOENT;
		if (f->status < 0)
			return -f->status; /* a failed retrieve is sticky */
		if (f->status == 0) {
			err = retrieve_file(f);
			if (err < 0) {
				f->status = err;
				return -err;
			}
			f->status = 1;
			vlog("session \"%s\": retrieved token %" PRIu64, shown(s->name), token);
		}
		*out_fd = f->reopened;
		return 0;
	}
	case LU_UAPI_NR_SESSION_GET_NAME: {
		size_t off = offsetof(struct lu_uapi_get_name_req, name), len, words;

		if (arg32(io, offsetof(struct lu_uapi_get_name_req, reserved)))
			return EINVAL;
		/*
		 * strscpy() copies a word at a time: the name, its NUL, zeros to
		 * the end of that word; the bytes after it stay the caller's.
		 */
		len = strlen(s->name) + 1;
		words = (len + sizeof(long) - 1) / sizeof(long) * sizeof(long);
		memset(out->arg + off, 0, words < LU_UAPI_NAME_LEN ? words : LU_UAPI_NAME_LEN);
		memcpy(out->arg + off, s->name, len);
		return 0;
	}
	}
	return EINVAL;
}

static void handle_ioctl(struct sim_conn *c, const struct lu_sim_ioctl *io,
			 int replyfd, int file)
{
	struct lu_sim_msg r = { .type = LU_SIM_REPLY };
	int out_fd = -1, err;

	memcpy(r.u.reply.arg, io->arg, sizeof(r.u.reply.arg));
	if (c->role == LU_SIM_ROLE_DEVICE)
		err = device_ioctl(c, io, &r.u.reply);
	else
		err = session_ioctl(c, io, &r.u.reply, &file, &out_fd);
	r.u.reply.err = err;
	if (!err && out_fd >= 0)
		r.u.reply.flags |= LU_SIM_RF_FD;
	else
		out_fd = -1;
	vlog("pid %d %s ioctl 0x%08x size %u: %s", (int)c->pid, role_name(c->role),
	     io->cmd, io->user_size, err ? strerror(err) : "ok");
	send_reply(replyfd, &r, out_fd);
	if (file >= 0)
		close(file);
}

/* ------------------------------------------------------- control requests */

static void simulated_kexec(void)
{
	struct sim_session *s, *next;
	size_t carried = 0, files = 0;

	/* what the previous boot handed over and nobody finished: gone */
	for (s = d.sessions; s; s = next) {
		next = s->next;
		if (s->incoming) {
			if (s->conn)
				s->conn->session = NULL;
			remove_session(s);
		}
	}
	/* open outgoing sessions: frozen (position saved), now incoming */
	for (s = d.sessions; s; s = s->next) {
		for (size_t i = 0; i < s->nfiles; i++) {
			off_t pos = lseek(s->files[i].held, 0, SEEK_CUR);

			s->files[i].pos = pos < 0 ? 0 : pos;
			s->files[i].status = 0;
		}
		s->incoming = true;
		s->retrieved = false;
		s->finished = false;
		s->pid = 0;
		carried++;
		files += s->nfiles;
	}
	/* every device and session file of the old boot is dead */
	for (size_t i = 0; i < d.nconns; i++)
		if (d.conns[i]->role == LU_SIM_ROLE_DEVICE ||
		    d.conns[i]->role == LU_SIM_ROLE_SESSION)
			drop_conn(d.conns[i]);
	d.device = NULL;
	d.kexec_loaded = false;
	d.reboots++;
	publish_frozen(); /* nothing is outgoing any more */
	logmsg("simulated kexec #%" PRIu64 ": %zu session(s) with %zu file(s) carried over",
	       d.reboots, carried, files);
}

static void handle_control(struct sim_conn *c, const struct lu_sim_msg *m)
{
	struct lu_sim_msg r = { .type = LU_SIM_REPLY };

	switch (m->type) {
	case LU_SIM_KEXEC_LOAD:
		if (m->u.kexec_load.flags & LU_SIM_KEXEC_ON_CRASH)
			break;  /* the crash kernel: not what a kexec reboot runs */
		d.kexec_loaded = !(m->u.kexec_load.flags & LU_SIM_KEXEC_UNLOAD);
		vlog("pid %d: kexec image %s", (int)c->pid, d.kexec_loaded ? "loaded" : "unloaded");
		break;
	case LU_SIM_REBOOT:
		/* kernel_kexec(): nothing loaded, EINVAL */
		if (!(m->u.reboot.flags & LU_SIM_REBOOT_FORCE) && !d.kexec_loaded) {
			r.u.reply.err = EINVAL;
			break;
		}
		logmsg("pid %d asks for a kexec reboot%s", (int)c->pid,
		       m->u.reboot.flags & LU_SIM_REBOOT_FORCE ? " (liveupdate-sim reboot)" : "");
		simulated_kexec();
		r.u.reply.val[0] = d.reboots;
		break;
	case LU_SIM_FROZEN:
		r.u.reply.val[0] = file_frozen((dev_t)m->u.frozen.dev, (ino_t)m->u.frozen.ino);
		break;
	case LU_SIM_STATUS: {
		uint32_t idx = m->u.status.index, i = 0;

		if (idx == LU_SIM_STATUS_DAEMON) {
			struct lu_sim_info *info = &r.u.info;

			r.type = LU_SIM_INFO;
			info->pid = (uint32_t)getpid();
			info->device_pid = d.device ? (uint32_t)d.device->pid : 0;
			info->reboots = d.reboots;
			info->kexec_loaded = d.kexec_loaded;
			info->outgoing = (uint32_t)count_sessions(false);
			info->incoming = (uint32_t)count_sessions(true);
			info->files = (uint32_t)d.nfiles;
			info->conns = (uint32_t)d.nconns;
			info->max_conns = (uint32_t)d.max_conns;
			info->max_sessions = (uint32_t)d.max_sessions;
			info->max_files_per_session = (uint32_t)d.max_files_per_session;
			info->max_files = (uint32_t)d.max_files;
			break;
		}
		r.u.reply.err = ENOENT;
		for (struct sim_session *s = d.sessions; s; s = s->next, i++) {
			struct lu_sim_session_info *si = &r.u.session_info;

			if (i != idx)
				continue;
			memset(&r, 0, sizeof(r));
			r.type = LU_SIM_SESSION_INFO;
			si->index = i;
			si->direction = s->incoming ? 2 : 1;
			si->state = (s->retrieved ? LU_SIM_SS_RETRIEVED : 0) |
				    (s->finished ? LU_SIM_SS_FINISHED : 0);
			si->files = (uint32_t)s->nfiles;
			si->pid = s->conn ? (uint32_t)s->pid : 0;
			memcpy(si->name, s->name, sizeof(si->name));
			break;
		}
		break;
	}
	case LU_SIM_STOP:
		logmsg("pid %d asks the daemon to stop", (int)c->pid);
		d.stop = 1;
		break;
	case LU_SIM_TABLE:
		if (d.table_fd < 0) {
			r.u.reply.err = ENOSYS;
			break;
		}
		r.u.reply.flags = LU_SIM_RF_FD;
		if (!send_reply(c->fd, &r, d.table_fd))
			release_conn(c, "not reading its replies");
		return;
	}
	if (!send_reply(c->fd, &r, -1))
		release_conn(c, "not reading its replies");
}

/* --------------------------------------------------------------- messages */

/* An unguessable, non-zero name for a session connection. */
static void new_cookie(uint64_t cookie[2])
{
	static uint64_t counter;
	struct timespec ts;

	if (getrandom(cookie, 2 * sizeof(uint64_t), GRND_NONBLOCK) != 2 * sizeof(uint64_t)) {
		/* no entropy source: unique at least (the socket is private anyway) */
		clock_gettime(CLOCK_MONOTONIC, &ts);
		cookie[0] = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
		cookie[1] = ++counter ^ ((uint64_t)getpid() << 32);
	}
	if (!(cookie[0] | cookie[1]))
		cookie[1] = 1;
}

static void handle_hello(struct sim_conn *c, const struct lu_sim_msg *m)
{
	struct lu_sim_msg r = { .type = LU_SIM_REPLY };
	bool keep = true;

	switch (m->u.hello.role) {
	case LU_SIM_ROLE_DEVICE:
		/* luo_open(): one open file at a time */
		if (d.device) {
			r.u.reply.err = EBUSY;
			keep = false;
			vlog("pid %d: device busy (held by pid %d)", (int)c->pid, (int)d.device->pid);
			break;
		}
		d.device = c;
		vlog("device opened by pid %d", (int)c->pid);
		break;
	case LU_SIM_ROLE_SESSION:
		new_cookie(c->cookie);
		r.u.reply.val[0] = c->cookie[0];
		r.u.reply.val[1] = c->cookie[1];
		break;
	case LU_SIM_ROLE_CONTROL:
		break;
	}
	c->role = m->u.hello.role;
	if (!send_reply(c->fd, &r, -1) || !keep)
		release_conn(c, keep ? "not reading its replies" : "refused");
}

/* Read one message from c and act on it. */
static void serve(struct sim_conn *c)
{
	struct lu_sim_msg m;
	int fds[LU_SIM_MAX_FDS], nfds = 0, ret;

	ret = lu_sim_recv(c->fd, &m, fds, &nfds, MSG_DONTWAIT);
	if (ret == -EAGAIN)
		return;
	if (ret == -ECONNRESET || ret == -ENOTCONN) {
		release_conn(c, "end of file");
		return;
	}
	/* what came before this message must be settled first */
	sweep_hangups();
	if (c->dead) {
		for (int i = 0; i < nfds; i++)
			close(fds[i]);
		return;
	}
	if (ret < 0) {
		/* malformed: an error reply, or the door for who cannot take it */
		vlog("pid %d %s connection: bad message: %s", (int)c->pid, role_name(c->role),
		     strerror(-ret));
		if (c->role == 0 || c->role == LU_SIM_ROLE_CONTROL) {
			reply_err(c, -1, ret == -EPROTONOSUPPORT ? EPROTONOSUPPORT : EPROTO);
			release_conn(c, "protocol error");
		} else {
			reply_err(c, -1, EPROTO);
		}
		return;
	}

	switch (c->role) {
	case 0:
		if (m.type == LU_SIM_HELLO && nfds == 0) {
			handle_hello(c, &m);
			break;
		}
		reply_err(c, -1, EPROTO);
		release_conn(c, "no HELLO");
		break;
	case LU_SIM_ROLE_DEVICE:
	case LU_SIM_ROLE_SESSION: {
		struct stat st;

		/* an ioctl, its reply channel first, maybe the file to preserve */
		if (m.type != LU_SIM_IOCTL || nfds < 1 || fstat(fds[0], &st) < 0 ||
		    !S_ISSOCK(st.st_mode) ||
		    (nfds == 2 && (m.u.ioctl.cmd & 0xff) != LU_UAPI_NR_SESSION_PRESERVE_FD)) {
			reply_err(c, nfds >= 1 ? fds[0] : -1, EPROTO);
			break;
		}
		handle_ioctl(c, &m.u.ioctl, fds[0], nfds == 2 ? fds[1] : -1);
		fds[1] = -1; /* consumed */
		nfds = 1;
		break;
	}
	case LU_SIM_ROLE_CONTROL:
		if (nfds || m.type == LU_SIM_HELLO || m.type == LU_SIM_IOCTL ||
		    m.type >= LU_SIM_REPLY) {
			reply_err(c, -1, EPROTO);
			release_conn(c, "protocol error");
			break;
		}
		handle_control(c, &m);
		break;
	}
	for (int i = 0; i < nfds; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

static void accept_clients(void)
{
	for (int k = 0; k < ACCEPTS_PER_ROUND; k++) {
		struct ucred cred;
		socklen_t len = sizeof(cred);
		struct sim_conn *c;
		int fd = accept4(d.listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				logmsg("accept: %s", strerror(errno));
			return;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
		    (cred.uid != geteuid() && cred.uid != 0)) {
			logmsg("refused a client of uid %d: only uid %d and root may connect",
			       (int)cred.uid, (int)geteuid());
			close(fd);
			continue;
		}
		c = d.nconns < d.max_conns ? calloc(1, sizeof(*c)) : NULL;
		if (!c) {
			struct lu_sim_msg r = { .type = LU_SIM_REPLY };

			r.u.reply.err = ENFILE;
			send_reply(fd, &r, -1);
			close(fd);
			vlog("refused pid %d: %zu clients already", (int)cred.pid, d.nconns);
			continue;
		}
		c->fd = fd;
		c->pid = cred.pid;
		c->uid = cred.uid;
		{
			struct epoll_event in = { .events = EPOLLIN | EPOLLRDHUP, .data.ptr = c };
			struct epoll_event hup = { .events = EPOLLRDHUP, .data.ptr = c };

			if (epoll_ctl(d.efd, EPOLL_CTL_ADD, fd, &in) < 0 ||
			    epoll_ctl(d.hup_efd, EPOLL_CTL_ADD, fd, &hup) < 0) {
				logmsg("epoll_ctl: %s; client of pid %d refused", strerror(errno),
				       (int)cred.pid);
				close(fd); /* leaves whichever set it had joined */
				free(c);
				continue;
			}
		}
		d.conns[d.nconns++] = c;
	}
}

/* -------------------------------------------------------------- set-up */

static int private_dir(const char *dir)
{
	struct stat st;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		logmsg("cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	if (lstat(dir, &st) < 0) {
		logmsg("%s: %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077)) {
		logmsg("refusing %s: the socket's directory must be a directory owned by "
		       "uid %d with mode 0700 (it is %s, owner %d, mode %04o)", dir,
		       (int)geteuid(), S_ISDIR(st.st_mode) ? "a directory" : "not a directory",
		       (int)st.st_uid, (unsigned)(st.st_mode & 07777));
		return -1;
	}
	return 0;
}

static void on_signal(int sig)
{
	(void)sig;
	d.stop = 1;
}

static void set_limits(void)
{
	struct rlimit rl;
	size_t nofile = 1024;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rlim_t want = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > 65536 ? 65536
										    : rl.rlim_max;

		if (rl.rlim_cur < want) {
			rl.rlim_cur = want;
			setrlimit(RLIMIT_NOFILE, &rl);
			getrlimit(RLIMIT_NOFILE, &rl);
		}
		nofile = rl.rlim_cur;
	}
	if (nofile < 128)
		nofile = 128;
	/* a quarter of the fds for clients, the rest (two per file) for files */
	d.max_conns = nofile / 4 < LU_SIM_MAX_CONNS ? nofile / 4 : LU_SIM_MAX_CONNS;
	d.max_files = (nofile - d.max_conns - 32) / 2;
	if (d.max_files > LU_SIM_MAX_FILES)
		d.max_files = LU_SIM_MAX_FILES;
	d.max_files_per_session = LU_SIM_MAX_FILES_PER_SESSION;
	d.max_sessions = LU_SIM_MAX_SESSIONS;
}

static void shutdown_all(void)
{
	for (size_t i = 0; i < d.nconns; i++)
		drop_conn(d.conns[i]);
	reap_conns();
	while (d.sessions)
		remove_session(d.sessions);
}

int lu_sim_daemon_run(const struct lu_sim_daemon_opts *opts)
{
	char dir[LU_SIM_PATH_MAX + 8], lockpath[LU_SIM_PATH_MAX + 8];
	struct sockaddr_un sa;
	struct sigaction sact;
	sigset_t block, empty;
	int lock_fd, status = 1;
	char *slash;
	mode_t old_umask;

	memset(&d, 0, sizeof(d));
	d.opts = opts;
	d.listen_fd = -1;
	d.efd = d.hup_efd = -1;
	signal(SIGPIPE, SIG_IGN);
	set_limits();
	create_table();
	{
		int probe = memfd_create("liveupdate-sim-probe", MFD_CLOEXEC);
		struct stat st;

		if (probe >= 0 && fstat(probe, &st) == 0)
			d.memfd_dev = st.st_dev;
		if (probe >= 0)
			close(probe);
	}

	if (strlen(opts->socket_path) >= sizeof(sa.sun_path) || opts->socket_path[0] != '/') {
		logmsg("socket path \"%s\" must be absolute and under %zu bytes",
		       opts->socket_path, sizeof(sa.sun_path));
		return 1;
	}
	snprintf(dir, sizeof(dir), "%s", opts->socket_path);
	slash = strrchr(dir, '/');
	*slash = '\0';
	if (private_dir(dir[0] ? dir : "/") < 0)
		return 1;

	/* one daemon per socket */
	snprintf(lockpath, sizeof(lockpath), "%s.lock", opts->socket_path);
	lock_fd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (lock_fd < 0) {
		logmsg("%s: %s", lockpath, strerror(errno));
		return 1;
	}
	if (flock(lock_fd, LOCK_EX | LOCK_NB) < 0) {
		logmsg("another liveupdate-sim daemon serves %s", opts->socket_path);
		close(lock_fd);
		return 1;
	}

	d.conns = calloc(d.max_conns, sizeof(*d.conns));
	if (!d.conns) {
		logmsg("out of memory");
		goto out;
	}
	d.efd = epoll_create1(EPOLL_CLOEXEC);
	d.hup_efd = epoll_create1(EPOLL_CLOEXEC);
	if (d.efd < 0 || d.hup_efd < 0) {
		logmsg("epoll_create1: %s", strerror(errno));
		goto out;
	}
	d.listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (d.listen_fd < 0) {
		logmsg("socket: %s", strerror(errno));
		goto out;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, opts->socket_path, strlen(opts->socket_path));
	unlink(opts->socket_path); /* a stale socket: we hold the lock */
	old_umask = umask(0177);
	if (bind(d.listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		umask(old_umask);
		logmsg("bind %s: %s", opts->socket_path, strerror(errno));
		goto out;
	}
	umask(old_umask);
	chmod(opts->socket_path, 0600);
	if (listen(d.listen_fd, 64) < 0) {
		logmsg("listen: %s", strerror(errno));
		goto out_unlink;
	}
	{
		/* data.ptr NULL: the listener */
		struct epoll_event in = { .events = EPOLLIN, .data.ptr = NULL };

		if (epoll_ctl(d.efd, EPOLL_CTL_ADD, d.listen_fd, &in) < 0) {
			logmsg("epoll_ctl: %s", strerror(errno));
			goto out_unlink;
		}
	}

	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, NULL);
	sigemptyset(&empty);
	memset(&sact, 0, sizeof(sact));
	sact.sa_handler = on_signal;
	sigaction(SIGTERM, &sact, NULL);
	sigaction(SIGINT, &sact, NULL);

	if (opts->detach) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		int log = opts->log_path ? open(opts->log_path, O_WRONLY | O_CREAT | O_APPEND |
						O_CLOEXEC, 0600) : -1;

		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(log >= 0 ? log : null, 2);
			close(null);
		}
		if (log >= 0)
			close(log);
	}
	logmsg("listening on %s (limits: %zu clients, %zu sessions, %zu files, %zu per session)",
	       opts->socket_path, d.max_conns, d.max_sessions, d.max_files,
	       d.max_files_per_session);
	if (opts->ready_fd >= 0) {
		ssize_t w;

		do
			w = write(opts->ready_fd, "r", 1);
		while (w < 0 && errno == EINTR);
		close(opts->ready_fd);
	}

	while (!d.stop) {
		struct epoll_event ev[64];
		bool listener = false;
		int n = epoll_pwait(d.efd, ev, 64, -1, &empty);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			logmsg("epoll_wait: %s", strerror(errno));
			break;
		}
		/* hang-ups first: a close happened before anything sent after it */
		sweep_hangups();
		for (int i = 0; i < n && !d.stop; i++) {
			struct sim_conn *c = ev[i].data.ptr;

			if (!c)
				listener = true;
			else if (!c->dead && (ev[i].events & EPOLLIN))
				serve(c);
			else if (!c->dead && (ev[i].events & (EPOLLHUP | EPOLLERR)))
				release_conn(c, "hang-up");
		}
		/* freed only now: this round's events may still point at them */
		reap_conns();
		if (listener)
			accept_clients();
	}
	logmsg("stopping: %zu session(s), %zu file(s) released", d.nsessions, d.nfiles);
	status = 0;
out_unlink:
	unlink(opts->socket_path);
out:
	shutdown_all();
	if (d.listen_fd >= 0)
		close(d.listen_fd);
	free(d.conns);
	if (d.efd >= 0)
		close(d.efd);
	if (d.hup_efd >= 0)
		close(d.hup_efd);
	if (d.table) {
		/* clients holding the map ask the next daemon for a new one */
		__atomic_store_n(&d.table->alive, 0, __ATOMIC_RELEASE);
		munmap(d.table, d.table_len);
	}
	if (d.table_fd >= 0)
		close(d.table_fd);
	close(lock_fd); /* the lock file stays: unlinking it would race a new daemon */
	return status;
}
