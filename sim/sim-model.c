/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * liveupdate-sim's model of the Live Update Orchestrator: see sim-model.h,
 * and the kernel's kernel/liveupdate/luo_core.c, luo_session.c, luo_file.c
 * and mm/memfd_luo.c, whose checks it makes in the same order.
 *
 * THE ORDER OF THE CHECKS of an ioctl on /dev/liveupdate or on a session
 * file; the first that fails gives the errno. Only the calling process can
 * touch its own memory and fds, so the client (lu_sim_ioctl() in
 * sim-client.c) does the steps marked [client] before it sends the
 * request, and records what happened (LU_SIM_IOF_* flags, fd_errno)
 * without deciding anything; this file turns the records into errnos at
 * their place in the order.
 *
 *  1. The number out of the file's table (device: 0-1, session:
 *     0x40-0x43): EINVAL. (A session connection that CREATE/RETRIEVE never
 *     attached is no file at all: EBADF.)
 *  2. get_user() of the leading u32 size [client: SIZE_FAULT]: EFAULT.
 *  3. The command not the table's exact _IO(LIVEUPDATE_IOCTL_TYPE, nr): ENOTTY.
 *  4. Session files: PRESERVE_FD on an incoming session, RETRIEVE_FD or
 *     FINISH on an outgoing one: EINVAL (GET_NAME works on both).
 *  5. The size below the struct the kernel knows: EINVAL.
 *  6. copy_struct_from_user(): a non-zero byte past the known part
 *     [client: TAIL_NONZERO]: E2BIG; an unreadable byte there
 *     [client: TAIL_FAULT], or the known part unreadable
 *     [client: HEAD_FAULT]: EFAULT.
 *  7. The command:
 *     CREATE_SESSION: a free fd for the result [client: connects the
 *       session's connection, fd_errno]: EMFILE...; the name empty or
 *       without a NUL in 64 bytes: EINVAL; an outgoing session of that
 *       name: EEXIST; the daemon's limit of sessions: ENOMEM.
 *     RETRIEVE_SESSION: a free fd [client, as above]; no incoming session
 *       of that name: ENOENT; already retrieved and open: EINVAL.
 *     PRESERVE_FD: the token already in this session: EEXIST; the
 *       session's file set full: ENOSPC; the daemon's limit of files:
 *       ENOMEM; the fd not open [client: FILE_BADF]: EBADF; no handler
 *       (not an unlinked shmem file, or a file that cannot be sent
 *       [client: FILE_NOSEND]): ENOENT; the file preserved in any session
 *       (outgoing, or incoming and retrieved): EBUSY; a seal memfd_luo
 *       does not carry: EOPNOTSUPP; more than UINT_MAX pages: EFBIG.
 *     RETRIEVE_FD: a free fd [client: reserves the lowest free number,
 *       fd_errno]: EMFILE; the token unknown (or the session finished):
 *       ENOENT; an earlier failed retrieve of it: the same errno again.
 *     FINISH: reserved not zero: EINVAL; then every file goes, retrieved
 *       or not.
 *     GET_NAME: reserved not zero: EINVAL.
 *  8. copy_to_user() of min(size, known) bytes, the new fd in .fd
 *     [client: the fd put in the reserved number or the session's
 *     connection; an unwritable struct gives EFAULT and the new fd is
 *     closed].
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include <linux/liveupdate.h>
#include "sim-frozen.h"
#include "sim-log.h"
#include "sim-model.h"

#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020
#endif
/* seals mm/memfd_luo.c carries (MEMFD_LUO_ALL_SEALS) */
#define CARRIED_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | \
		       F_SEAL_FUTURE_WRITE | F_SEAL_EXEC)

struct sim_file {
	uint64_t token;
	int fd;                 /* the client's own open file; once retrieved, the new one */
	dev_t dev;
	ino_t ino;
	off_t pos;              /* file position at the simulated kexec */
	int status;             /* 0 not retrieved, 1 retrieved, <0 sticky errno */
};

struct sim_session {
	struct sim_session *prev, *next; /* creation order */
	struct sim_session *same_hash;   /* the next in its bucket of m.by_name */
	char name[LIVEUPDATE_SESSION_NAME_LENGTH];
	bool incoming;
	bool retrieved;         /* incoming: a session fd is open */
	bool finished;
	struct sim_conn *conn;  /* the session's file: outgoing always, incoming once retrieved */
	pid_t pid;
	struct sim_file *files;
	size_t nfiles, cap;
	uint32_t *by_token;     /* open addressing: index in files + 1, 0 free; 2 * cap slots */
};

static struct {
	struct sim_limits max;
	struct sim_session *sessions, *last; /* creation order */
	size_t nsessions, nincoming;
	struct sim_session **by_name;   /* buckets of sessions by name_hash() */
	size_t name_mask;
	uint64_t seed;                  /* of the hashes of names and tokens clients choose */
	struct {                        /* STATUS walks the list one index at a time */
		struct sim_session *s;
		uint32_t index;
	} cursor;
	size_t nfiles;
	/* the kernel's "preserved anywhere": outgoing files and retrieved ones */
	struct lu_sim_table *frozen, *retrieved;
	struct sim_conn *device; /* the open /dev/liveupdate, or NULL */
	bool kexec_loaded;
	uint64_t reboots;
	dev_t memfd_dev;        /* st_dev of every memfd (the internal shmem mount) */
} m;

/* A session name fit for a log line: anything unprintable as \xNN. */
static const char *shown(const char *name)
{
	static char buf[4 * LIVEUPDATE_SESSION_NAME_LENGTH + 1];
	size_t o = 0;

	for (size_t i = 0; i < LIVEUPDATE_SESSION_NAME_LENGTH && name[i]; i++) {
		unsigned char ch = (unsigned char)name[i];

		if (ch >= 0x20 && ch < 0x7f && ch != '\\')
			buf[o++] = (char)ch;
		else
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "\\x%02x", ch);
	}
	buf[o] = '\0';
	return buf;
}

/* ------------------------------------------------------------- sessions */

static size_t name_hash(const char *name)
{
	uint64_t h = 0xcbf29ce484222325ull ^ m.seed; /* FNV-1a */

	for (size_t i = 0; i < LIVEUPDATE_SESSION_NAME_LENGTH && name[i]; i++)
		h = (h ^ (unsigned char)name[i]) * 0x100000001b3ull;
	return (size_t)lu_sim_hash64(h) & m.name_mask;
}

static void drop_file(struct sim_session *s, struct sim_file *f)
{
	if (!s->incoming)
		sim_table_remove(m.frozen, (uint64_t)f->dev, (uint64_t)f->ino);
	else if (f->status > 0)
		sim_table_remove(m.retrieved, (uint64_t)f->dev, (uint64_t)f->ino);
	close(f->fd);
	m.nfiles--;
}

/* Unpreserve (outgoing) or finish (incoming): the files go back to userspace. */
static void drop_files(struct sim_session *s)
{
	while (s->nfiles) {
		s->nfiles--;
		drop_file(s, &s->files[s->nfiles]);
	}
	if (s->by_token)
		memset(s->by_token, 0, 2 * s->cap * sizeof(*s->by_token));
}

static void add_session(struct sim_session *s)
{
	struct sim_session **bucket = &m.by_name[name_hash(s->name)];

	/* appended: creation order, as the kernel's list */
	s->prev = m.last;
	if (m.last)
		m.last->next = s;
	else
		m.sessions = s;
	m.last = s;
	s->same_hash = *bucket;
	*bucket = s;
	m.nsessions++;
}

static void remove_session(struct sim_session *s)
{
	struct sim_session **pp = &m.by_name[name_hash(s->name)];

	while (*pp != s)
		pp = &(*pp)->same_hash;
	*pp = s->same_hash;
	if (s->prev)
		s->prev->next = s->next;
	else
		m.sessions = s->next;
	if (s->next)
		s->next->prev = s->prev;
	else
		m.last = s->prev;
	m.cursor.s = NULL; /* the indexes after it move */
	if (s->conn)
		s->conn->session = NULL;
	drop_files(s);
	free(s->by_token);
	free(s->files);
	m.nsessions--;
	m.nincoming -= s->incoming;
	free(s);
}

static struct sim_session *find_session(const char *name, bool incoming)
{
	for (struct sim_session *s = m.by_name[name_hash(name)]; s; s = s->same_hash)
		if (s->incoming == incoming && strncmp(s->name, name, LIVEUPDATE_SESSION_NAME_LENGTH) == 0)
			return s;
	return NULL;
}

/* The session's file with this token, or NULL. */
static size_t token_hash(uint64_t token)
{
	return (size_t)lu_sim_hash64(token ^ m.seed);
}

static struct sim_file *find_file(struct sim_session *s, uint64_t token)
{
	size_t mask = 2 * s->cap - 1;

	if (!s->cap)
		return NULL;
	for (size_t at = token_hash(token) & mask; s->by_token[at]; at = (at + 1) & mask)
		if (s->files[s->by_token[at] - 1].token == token)
			return &s->files[s->by_token[at] - 1];
	return NULL;
}

static void index_file(struct sim_session *s, size_t i)
{
	size_t mask = 2 * s->cap - 1, at = token_hash(s->files[i].token) & mask;

	while (s->by_token[at])
		at = (at + 1) & mask;
	s->by_token[at] = (uint32_t)i + 1;
}

/* Room for one file more: the array and its index double when full. */
static int file_room(struct sim_session *s)
{
	size_t cap = s->cap ? s->cap * 2 : 8;
	struct sim_file *files;
	uint32_t *index;

	if (s->nfiles < s->cap)
		return 0;
	index = calloc(2 * cap, sizeof(*index));
	files = index ? realloc(s->files, cap * sizeof(*files)) : NULL;
	if (!files) {
		free(index);
		return ENOMEM;
	}
	free(s->by_token);
	s->files = files;
	s->by_token = index;
	s->cap = cap;
	for (size_t i = 0; i < s->nfiles; i++)
		index_file(s, i);
	return 0;
}

/* luo_preserved_files: outgoing files, and incoming ones once retrieved */
static bool file_busy(dev_t dev, ino_t ino)
{
	return sim_table_has(m.frozen, (uint64_t)dev, (uint64_t)ino) ||
	       sim_table_has(m.retrieved, (uint64_t)dev, (uint64_t)ino);
}

bool sim_model_frozen(uint64_t dev, uint64_t ino)
{
	return sim_table_has(m.frozen, dev, ino);
}

/* ------------------------------------------------------ the device and files */

int sim_model_open_device(struct sim_conn *c)
{
	/* luo_open(): one open file at a time */
	if (m.device) {
		sim_vlog("pid %d: device busy (held by pid %d)", (int)c->pid, (int)m.device->pid);
		return EBUSY;
	}
	m.device = c;
	sim_vlog("device opened by pid %d", (int)c->pid);
	return 0;
}

void sim_model_release(struct sim_conn *c, const char *why)
{
	struct sim_session *s = c->session;

	if (c == m.device) {
		m.device = NULL;
		sim_vlog("device closed by pid %d (%s)", (int)c->pid, why);
	}
	if (s) {
		if (s->incoming) {
			/* luo_session_release(): an implicit FINISH, then gone */
			sim_vlog("incoming session \"%s\" closed (%s): finished, %zu file(s) dropped",
				 shown(s->name), why, s->nfiles);
		} else {
			/* the only way to abort: every file unpreserved, the name freed */
			sim_vlog("outgoing session \"%s\" closed (%s): %zu file(s) unpreserved",
				 shown(s->name), why, s->nfiles);
		}
		remove_session(s);
	}
}

void sim_model_forget(struct sim_conn *c)
{
	if (c->session)
		c->session->conn = NULL;
	c->session = NULL;
	if (c == m.device)
		m.device = NULL;
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
			struct sim_conn *target)
{
	unsigned nr = io->cmd & 0xff;
	const char *name = (const char *)io->arg + offsetof(struct liveupdate_ioctl_create_session, name);
	struct sim_session *s;
	size_t len;
	int err;

	/* the struct goes back as it came; the client fills in fd */
	if (nr >= 2)
		return EINVAL;       /* out of the table */
	if (io->flags & LU_SIM_IOF_SIZE_FAULT)
		return EFAULT;       /* get_user(size) */
	if (io->cmd != (uint32_t)_IO(LIVEUPDATE_IOCTL_TYPE, nr))
		return ENOTTY;       /* -ENOIOCTLCMD, as vfs_ioctl() reports it */
	err = check_frame(io, sizeof(struct liveupdate_ioctl_create_session));
	if (err)
		return err;
	if (io->fd_errno)
		return io->fd_errno; /* get_unused_fd_flags() comes first */

	if (nr == LIVEUPDATE_CMD_CREATE_SESSION) {
		/* luo_session_create() */
		len = strnlen(name, LIVEUPDATE_SESSION_NAME_LENGTH);
		if (len == 0 || len > LIVEUPDATE_SESSION_NAME_LENGTH - 1)
			return EINVAL;
		if (find_session(name, false))
			return EEXIST;
		if (m.nsessions >= m.max.sessions)
			return ENOMEM;
		if (!target)
			return EPROTO;
		s = calloc(1, sizeof(*s));
		if (!s)
			return ENOMEM;
		memcpy(s->name, name, len);
		s->conn = target;
		s->pid = target->pid;
		add_session(s);
		target->session = s;
		sim_vlog("pid %d created outgoing session \"%s\"", (int)c->pid, shown(s->name));
		return 0;
	}

	/* luo_session_retrieve(): no check of the name, only a lookup */
	s = find_session(name, true);
	if (!s)
		return ENOENT;
	if (s->retrieved)
		return EINVAL;
	if (!target)
		return EPROTO;
	s->retrieved = true;
	s->conn = target;
	s->pid = target->pid;
	target->session = s;
	sim_vlog("pid %d retrieved incoming session \"%s\" (%zu file(s))", (int)c->pid,
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
	if (m.memfd_dev && st->st_dev == m.memfd_dev)
		return true;    /* the kernel's internal shmem mount: a memfd */
	return fstatfs(fd, &sfs) == 0 && sfs.f_type == TMPFS_MAGIC;
}

static int preserve_fd(struct sim_session *s, const struct lu_sim_ioctl *io, int *file)
{
	uint64_t token;
	struct sim_file *f;
	struct stat st;
	int seals;

	memcpy(&token, io->arg + offsetof(struct liveupdate_session_preserve_fd, token), sizeof(token));
	/* luo_preserve_file(), in its order */
	if (find_file(s, token))
		return EEXIST;
	if (s->nfiles >= m.max.files_per_session)
		return ENOSPC;          /* the file set's blocks are full */
	if (m.nfiles >= m.max.files)
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
	if (file_room(s))
		return ENOMEM;
	f = &s->files[s->nfiles];
	memset(f, 0, sizeof(*f));
	f->token = token;
	f->fd = *file;          /* zero copy: the client's own open file */
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	index_file(s, s->nfiles++);
	m.nfiles++;
	*file = -1;             /* kept */
	/* before the answer: frozen when the ioctl returns */
	sim_table_add(m.frozen, (uint64_t)st.st_dev, (uint64_t)st.st_ino);
	sim_vlog("session \"%s\": preserved token %" PRIu64 " (inode %lu, %lld bytes)",
		 shown(s->name), token, (unsigned long)st.st_ino, (long long)st.st_size);
	return 0;
}

/*
 * memfd_luo_retrieve(): in the kernel a new file with the old contents,
 * size, seals and position, O_RDWR | O_LARGEFILE. Here: a new open file of
 * the same memory (reopened through /proc), at the saved position. It
 * replaces the old one, which nobody needs any more: one fd per file.
 */
static int retrieve_file(struct sim_file *f)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", f->fd);
	fd = open(path, O_RDWR | O_CLOEXEC | O_LARGEFILE);
	if (fd < 0)
		fd = fcntl(f->fd, F_DUPFD_CLOEXEC, 0); /* no /proc: share the old one */
	if (fd < 0)
		return -ENOMEM;
	lseek(fd, f->pos, SEEK_SET);
	close(f->fd);
	f->fd = fd;
	return 0;
}

static int retrieve_fd(struct sim_session *s, const struct lu_sim_ioctl *io, int *out_fd)
{
	uint64_t token;
	struct sim_file *f;
	int err;

	if (io->fd_errno)
		return io->fd_errno; /* get_unused_fd_flags() comes first */
	memcpy(&token, io->arg + offsetof(struct liveupdate_session_preserve_fd, token), sizeof(token));
	f = find_file(s, token);
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
		sim_table_add(m.retrieved, (uint64_t)f->dev, (uint64_t)f->ino);
		sim_vlog("session \"%s\": retrieved token %" PRIu64, shown(s->name), token);
	}
	*out_fd = f->fd;
	return 0;
}

int sim_model_peek(const struct lu_sim_peek *pk, int *fdp, uint64_t *direction)
{
	struct sim_session *s = NULL;
	struct sim_file *f;
	char path[64];
	int fd;

	if (pk->direction != 1)
		s = find_session(pk->name, true);
	if (!s && pk->direction != 2)
		s = find_session(pk->name, false);
	if (!s)
		return ENOENT;
	f = find_file(s, LU_SIM_MANIFEST_TOKEN);
	if (!f || f->fd < 0)
		return ENODATA;
	/* a new open file, read-only: the peeker can neither write the file
	 * nor move the session's file position */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", f->fd);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_LARGEFILE);
	if (fd < 0)
		return errno == ENOENT ? ENOSYS : errno; /* no /proc: no peek */
	*fdp = fd;
	*direction = s->incoming ? 2 : 1;
	sim_vlog("session \"%s\": peeked at its manifest", shown(s->name));
	return 0;
}

static int get_name(struct sim_session *s, const struct lu_sim_ioctl *io,
		    struct lu_sim_reply *out)
{
	size_t off = offsetof(struct liveupdate_session_get_name, name), len, words;

	if (arg32(io, offsetof(struct liveupdate_session_get_name, reserved)))
		return EINVAL;
	/*
	 * strscpy() copies a word at a time: the name, its NUL, zeros to
	 * the end of that word; the bytes after it stay the caller's.
	 */
	len = strlen(s->name) + 1;
	words = (len + sizeof(long) - 1) / sizeof(long) * sizeof(long);
	memset(out->arg + off, 0, words < LIVEUPDATE_SESSION_NAME_LENGTH ? words : LIVEUPDATE_SESSION_NAME_LENGTH);
	memcpy(out->arg + off, s->name, len);
	return 0;
}

/* luo_session.c: luo_session_ioctl() and the commands */
static int session_ioctl(struct sim_conn *c, const struct lu_sim_ioctl *io,
			 struct lu_sim_reply *out, int *file, int *out_fd)
{
	struct sim_session *s = c->session;
	unsigned nr = io->cmd & 0xff;
	bool want_incoming;
	int err;

	if (!s)
		return EBADF;   /* a session connection never attached: no file */
	if (nr < LIVEUPDATE_CMD_SESSION_PRESERVE_FD || nr > LIVEUPDATE_CMD_SESSION_GET_NAME)
		return EINVAL;
	if (io->flags & LU_SIM_IOF_SIZE_FAULT)
		return EFAULT;
	if (io->cmd != (uint32_t)_IO(LIVEUPDATE_IOCTL_TYPE, nr))
		return ENOTTY;
	want_incoming = nr == LIVEUPDATE_CMD_SESSION_RETRIEVE_FD || nr == LIVEUPDATE_CMD_SESSION_FINISH;
	/* luo_ioctl_type_valid(): "retrieved" marks an incoming session */
	if (nr != LIVEUPDATE_CMD_SESSION_GET_NAME && s->incoming != want_incoming)
		return EINVAL;
	err = check_frame(io, lu_sim_ioctl_known_size(nr));
	if (err)
		return err;

	switch (nr) {
	case LIVEUPDATE_CMD_SESSION_FINISH:
		if (arg32(io, offsetof(struct liveupdate_session_finish, reserved)))
			return EINVAL;
		sim_vlog("session \"%s\": finished, %zu file(s) handed over", shown(s->name),
			 s->nfiles);
		drop_files(s);  /* never-retrieved tokens are dropped */
		s->finished = true;
		return 0;
	case LIVEUPDATE_CMD_SESSION_PRESERVE_FD:
		return preserve_fd(s, io, file);
	case LIVEUPDATE_CMD_SESSION_RETRIEVE_FD:
		return retrieve_fd(s, io, out_fd);
	case LIVEUPDATE_CMD_SESSION_GET_NAME:
		return get_name(s, io, out);
	}
	return EINVAL;
}

int sim_model_ioctl(struct sim_conn *c, const struct lu_sim_ioctl *io,
		    struct sim_conn *pending, struct lu_sim_reply *out, int *file,
		    int *out_fd)
{
	if (c->role == LU_SIM_ROLE_DEVICE)
		return device_ioctl(c, io, pending);
	return session_ioctl(c, io, out, file, out_fd);
}

/* ------------------------------------------------------------ the kexec */

static void simulated_kexec(void)
{
	struct sim_session *s, *next;
	size_t carried = 0, files = 0;

	/* what the previous boot handed over and nobody finished: gone */
	for (s = m.sessions; s; s = next) {
		next = s->next;
		if (s->incoming)
			remove_session(s);
	}
	/* nothing is outgoing any more */
	sim_table_clear(m.frozen);
	/* open outgoing sessions: frozen (position saved), now incoming */
	for (s = m.sessions; s; s = s->next) {
		for (size_t i = 0; i < s->nfiles; i++) {
			off_t pos = lseek(s->files[i].fd, 0, SEEK_CUR);

			s->files[i].pos = pos < 0 ? 0 : pos;
			s->files[i].status = 0;
		}
		s->incoming = true;
		m.nincoming++;
		s->retrieved = false;
		s->finished = false;
		s->pid = 0;
		carried++;
		files += s->nfiles;
	}
	/* the daemon closes every device and session file of the old boot */
	m.device = NULL;
	m.kexec_loaded = false;
	m.reboots++;
	sim_log("simulated kexec #%" PRIu64 ": %zu session(s) with %zu file(s) carried over",
		m.reboots, carried, files);
}

void sim_model_kexec_load(struct sim_conn *c, uint32_t flags)
{
	if (flags & LU_SIM_KEXEC_ON_CRASH)
		return;  /* the crash kernel: not what a kexec reboot runs */
	m.kexec_loaded = !(flags & LU_SIM_KEXEC_UNLOAD);
	sim_vlog("pid %d: kexec image %s", (int)c->pid, m.kexec_loaded ? "loaded" : "unloaded");
}

int sim_model_reboot(struct sim_conn *c, uint32_t flags, uint64_t *reboots)
{
	/* kernel_kexec(): nothing loaded, EINVAL */
	if (!(flags & LU_SIM_REBOOT_FORCE) && !m.kexec_loaded)
		return EINVAL;
	sim_log("pid %d asks for a kexec reboot%s", (int)c->pid,
		flags & LU_SIM_REBOOT_FORCE ? " (liveupdate-sim reboot)" : "");
	simulated_kexec();
	*reboots = m.reboots;
	return 0;
}

/* --------------------------------------------------------------- status */

void sim_model_status(uint32_t idx, struct lu_sim_msg *r)
{
	struct sim_session *s = m.sessions;
	uint32_t i = 0;

	if (idx == LU_SIM_STATUS_DAEMON) {
		struct lu_sim_info *info = &r->u.info;

		r->type = LU_SIM_INFO;
		info->pid = (uint32_t)getpid();
		info->device_pid = m.device ? (uint32_t)m.device->pid : 0;
		info->reboots = m.reboots;
		info->kexec_loaded = m.kexec_loaded;
		info->outgoing = (uint32_t)(m.nsessions - m.nincoming);
		info->incoming = (uint32_t)m.nincoming;
		info->files = (uint32_t)m.nfiles;
		info->max_conns = (uint32_t)m.max.conns;
		info->max_sessions = (uint32_t)m.max.sessions;
		info->max_files_per_session = (uint32_t)m.max.files_per_session;
		info->max_files = (uint32_t)m.max.files;
		return;
	}
	r->u.reply.err = ENOENT;
	if (m.cursor.s && m.cursor.index <= idx) {
		s = m.cursor.s;
		i = m.cursor.index;
	}
	for (; s; s = s->next, i++) {
		struct lu_sim_session_info *si = &r->u.session_info;

		if (i != idx)
			continue;
		m.cursor.s = s;
		m.cursor.index = i;
		memset(r, 0, sizeof(*r));
		r->type = LU_SIM_SESSION_INFO;
		si->index = i;
		si->direction = s->incoming ? 2 : 1;
		si->state = (s->retrieved ? LU_SIM_SS_RETRIEVED : 0) |
			    (s->finished ? LU_SIM_SS_FINISHED : 0);
		si->files = (uint32_t)s->nfiles;
		si->pid = s->conn ? (uint32_t)s->pid : 0;
		memcpy(si->name, s->name, sizeof(si->name));
		break;
	}
}

size_t sim_model_sessions(void)
{
	return m.nsessions;
}

size_t sim_model_files(void)
{
	return m.nfiles;
}

/* ---------------------------------------------------------- start, stop */

int sim_model_init(const struct sim_limits *limits)
{
	int probe = memfd_create("liveupdate-sim-probe", MFD_CLOEXEC);
	struct stat st;

	size_t buckets = 16;

	memset(&m, 0, sizeof(m));
	m.max = *limits;
	if (probe >= 0 && fstat(probe, &st) == 0)
		m.memfd_dev = st.st_dev;
	if (probe >= 0)
		close(probe);
	while (buckets < 2 * m.max.sessions)
		buckets *= 2;
	m.name_mask = buckets - 1;
	/* a client cannot pick names or tokens that all land in one bucket */
	if (getrandom(&m.seed, sizeof(m.seed), GRND_NONBLOCK) != sizeof(m.seed))
		m.seed = (uint64_t)getpid() * 0x9e3779b97f4a7c15ull ^ (uint64_t)time(NULL);
	m.by_name = calloc(buckets, sizeof(*m.by_name));
	m.frozen = sim_frozen_init(m.max.files);
	m.retrieved = sim_table_new(m.max.files);
	if (!m.by_name || !m.frozen || !m.retrieved) {
		sim_model_fini();
		return -ENOMEM;
	}
	return 0;
}

void sim_model_fini(void)
{
	while (m.sessions)
		remove_session(m.sessions);
	free(m.by_name);
	m.by_name = NULL;
	sim_frozen_fini();
	sim_table_free(m.retrieved);
	m.retrieved = NULL;
}
