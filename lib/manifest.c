/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The session manifest: its memfd pieces, made and preserved when there is
 * a first record and when the last piece is full, a record appended after
 * each preserve with a label, metadata or a kind
 * (liveupdate_session_preserve_fd_opts) or session metadata, and reading
 * it back after the update. The kernel is asked through session.c and
 * file.c; the bytes themselves are manifest-format.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "liveupdate-private.h"
#include "manifest-format.h"

#define MF_SEALS (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)

/* How many taken tokens a library-chosen token skips before giving up. */
#define AUTO_TOKEN_TRIES 64

/* The session's manifest is kept in its feature data under this key: NULL
 * when there is none or it is not read yet; writable for sessions this
 * process created. */
static const char manifest_key = 0;

struct lu_manifest *lu_session_manifest(const struct liveupdate_session *s)
{
	return lu_feature_data_get(&s->features, &manifest_key);
}

static void manifest_free(void *data)
{
	struct lu_manifest *m = data;

	for (size_t i = 0; i < m->n_pieces; i++) {
		munmap(m->pieces[i].map, m->pieces[i].size);
		if (m->piece_fds)
			close(m->piece_fds[i]);
	}
	free(m->pieces);
	free(m->piece_fds);
	lu_manifest_clear(m);
	free(m);
}

static int manifest_keep(struct liveupdate_session *s, struct lu_manifest *m)
{
	return lu_feature_data_set(&s->features, &manifest_key, m, manifest_free);
}

/* Give an outgoing session (new, or received without pieces) its
 * manifest, still empty: nothing is made or preserved until there is
 * something to record. 0 or -ENOMEM (logged). */
static int manifest_start(struct liveupdate_session *s, size_t first_size,
			  const char *call)
{
	struct lu_manifest *m = calloc(1, sizeof(*m));

	if (m) {
		m->writable = true;
		m->first_size = first_size;
	}
	if (!m || manifest_keep(s, m) < 0) {
		free(m);
		return lu_oom(s->ctx, "%s(\"%s\"): the manifest", call, s->name);
	}
	return 0;
}

/* Refuse a change to a session a successor took (it writes the manifest now). */
static int handed_over(struct liveupdate_session *s, const char *call)
{
	return lu_bad_arg(s->ctx, "%s(\"%s\"): the session was handed over to a "
			  "successor process: make changes there", call, s->name);
}

bool lu_session_manifest_writable(const struct liveupdate_session *s)
{
	const struct lu_manifest *m = lu_session_manifest(s);

	return m && m->writable;
}

/* The first token from `from` on that the manifest does not hold. */
static uint64_t free_token(const struct liveupdate_session *s, uint64_t from)
{
	const struct lu_manifest *m = lu_session_manifest(s);
	uint64_t t = from;

	/* the manifest knows its tokens; others' are found by the kernel */
	while (t - LIVEUPDATE_MANIFEST_TOKEN < LIVEUPDATE_MANIFEST_TOKENS ||
	       (m && lu_manifest_find_token(m, t)))
		t++;
	return t;
}

/* ---- writing ---- */

/* What to record about fd when the caller did not say: 0 or -errno. */
static int describe_fd(int fd, struct liveupdate_entry *e)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	e->size = (uint64_t)st.st_size;
	if (e->kind == LIVEUPDATE_ENTRY_AUTO) {
		/* EINVAL: a file that takes no seals, so not a memfd */
		if (fcntl(fd, F_GET_SEALS) >= 0)
			e->kind = LIVEUPDATE_ENTRY_MEMFD;
		else if (errno == EINVAL)
			e->kind = LIVEUPDATE_ENTRY_OTHER;
		else
			return -errno;
	}
	if (e->kind != LIVEUPDATE_ENTRY_MEMORY) {
		/* the format promises 0 there */
		e->backing = 0;
		e->page_size = 0;
	}
	return 0;
}

static int check_meta(struct liveupdate_ctx *ctx, const char *call,
		      const struct liveupdate_meta *meta, size_t n)
{
	if (n && !meta)
		return lu_bad_arg(ctx, "%s: n_meta is %zu but meta is NULL", call, n);
	if (n > LIVEUPDATE_META_MAX)
		return lu_bad_arg(ctx, "%s: %zu metadata pairs, over "
				  "LIVEUPDATE_META_MAX (%d)", call, n, LIVEUPDATE_META_MAX);
	for (size_t i = 0; i < n; i++) {
		if (!meta[i].key || !meta[i].value)
			return lu_bad_arg(ctx, "%s: metadata pair %zu has a NULL %s", call,
					  i, meta[i].key ? "value" : "key");
		if (!lu_mf_meta_ok(meta[i].key, strlen(meta[i].key), strlen(meta[i].value)))
			return lu_bad_arg(ctx, "%s: metadata \"%.40s\": keys take 1 to %d "
					  "bytes, values up to %d", call, meta[i].key,
					  LIVEUPDATE_META_KEY_MAX, LIVEUPDATE_META_VALUE_MAX);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(meta[i].key, meta[j].key))
				return lu_bad_arg(ctx, "%s: metadata key \"%s\" given twice",
						  call, meta[i].key);
	}
	return 0;
}

/*
 * Make sure a record of len bytes fits: add the next piece if the last one
 * is full (or there is none yet): a sealed memfd with its header written,
 * preserved at the next manifest token. 0 or a negative errno (logged);
 * a failure leaves nothing behind.
 */
static int make_room(struct liveupdate_session *s, const char *call, size_t len)
{
	struct liveupdate_ctx *ctx = s->ctx;
	struct lu_manifest *m = lu_session_manifest(s);
	size_t size = lu_manifest_next_piece_size(m, len);
	uint64_t token = LIVEUPDATE_MANIFEST_TOKEN + m->n_pieces;
	uint8_t *map = MAP_FAILED;
	int fd, ret;

	if (lu_manifest_fits(m, len))
		return 0;
	if (!size)
		return lu_fail(ctx, LU_OP_MANIFEST, -ENOSPC, "%s(\"%s\"): a %zu-byte "
			       "record does not fit: the manifest holds %zu bytes in %zu "
			       "pieces, and a session's manifest takes at most %u bytes "
			       "in %u pieces", call, s->name, len, m->total, m->n_pieces,
			       LU_MF_MAX_SIZE, LU_MF_PIECES_MAX);
	if (!m->pieces && !(m->pieces = calloc(LU_MF_PIECES_MAX, sizeof(*m->pieces))))
		return lu_oom(ctx, "%s(\"%s\"): the manifest", call, s->name);
	if (!m->piece_fds && !(m->piece_fds = calloc(LU_MF_PIECES_MAX, sizeof(int))))
		return lu_oom(ctx, "%s(\"%s\"): the manifest", call, s->name);
	fd = memfd_create("liveupdate-manifest", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0 || ftruncate(fd, (off_t)size) < 0 ||
	    fcntl(fd, F_ADD_SEALS, MF_SEALS) < 0 ||
	    (map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) == MAP_FAILED) {
		ret = lu_fail(ctx, LU_OP_MANIFEST, -errno, "%s(\"%s\"): making the "
			      "manifest's %zu-byte piece %zu", call, s->name, size,
			      m->n_pieces);
		goto fail;
	}
	lu_mf_piece_init(map, (unsigned)m->n_pieces);
	ret = lu_session_preserve(s, fd, token, call);
	if (ret < 0) {
		ret = lu_fail(ctx, LU_OP_PRESERVE_FD, ret, "%s(\"%s\"): preserving "
			      "piece %zu of its manifest as token %#" PRIx64, call,
			      s->name, m->n_pieces, token);
		goto fail;
	}
	/* the session holds the file, the mapping its pages; the fd is kept
	 * for whoever holds the session next (the fd store, a successor) */
	m->piece_fds[m->n_pieces] = fd;
	lu_manifest_add_piece(m, map, size);
	lu_dbg(ctx, "session \"%s\": manifest piece of %zu bytes at token %#" PRIx64,
	       s->name, size, token);
	if (m->piece_watch)
		m->piece_watch(s, fd, m->n_pieces - 1);
	return 0;
fail:
	if (map != MAP_FAILED)
		munmap(map, size);
	if (fd >= 0)
		close(fd);
	return ret;
}

/* A file record staged for a preserve: built and allocated before the
 * kernel is asked, committed after it said yes. */
struct lu_manifest_pending {
	uint8_t *rec;
	size_t len;
	struct lu_mf_item *item;
};

static void manifest_drop(struct lu_manifest_pending *p);

/* Stage the record of fd (0 or a negative errno, logged), set its token,
 * commit it (cannot fail) or drop it. */
static int manifest_stage(struct liveupdate_session *s, int fd,
			  const struct liveupdate_preserve_opts *opts,
			  struct lu_manifest_pending *p)
{
	static const char call[] = "liveupdate_session_preserve_fd_opts";
	struct liveupdate_ctx *ctx = s->ctx;
	struct lu_manifest *m = lu_session_manifest(s);
	struct liveupdate_entry e = {
		.label = lu_opts_get(opts, label, NULL),
		.kind = lu_opts_get(opts, kind, LIVEUPDATE_ENTRY_AUTO),
		.backing = lu_opts_get(opts, backing, 0),
		.page_size = lu_opts_get(opts, page_size, 0),
		.meta = lu_opts_get(opts, meta, NULL),
		.n_meta = lu_opts_get(opts, n_meta, 0),
	};
	struct lu_mf_item *item;
	char why[256];
	size_t len;
	int ret;

	memset(p, 0, sizeof(*p));
	/* the token alone says all there is to say: record nothing */
	if (!e.label && !e.n_meta && e.kind == LIVEUPDATE_ENTRY_AUTO)
		return 0;
	if (!e.label)
		e.label = "";
	ret = check_meta(ctx, call, e.meta, e.n_meta);
	if (ret)
		return ret;
	if (lu_manifest_find(m, e.label))
		return lu_fail(ctx, LU_OP_MANIFEST, -EEXIST, "%s(\"%s\", label \"%s\")",
			       call, s->name, e.label);
	ret = describe_fd(fd, &e);
	if (ret)
		return lu_fail(ctx, LU_OP_MANIFEST, ret, "%s(\"%s\", fd %d): looking at "
			       "the file to record it", call, s->name, fd);
	ret = lu_mf_encode_file(&e, &p->rec, &p->len);
	if (ret == -ENOMEM)
		return lu_oom(ctx, "%s(\"%s\")", call, s->name);
	if (ret)
		return lu_bad_arg(ctx, "%s: the record of label \"%s\" is out of limits",
				  call, e.label);
	ret = make_room(s, call, p->len);
	if (ret) {
		manifest_drop(p);
		return ret;
	}
	item = calloc(1, sizeof(*item));
	ret = item ? lu_manifest_prepare(m, p->rec, p->len, &len, item, why, sizeof(why))
		   : -ENOMEM;
	p->item = item;
	if (ret) {
		manifest_drop(p);
		return ret == -ENOMEM ? lu_oom(ctx, "%s(\"%s\")", call, s->name)
				      : lu_fail(ctx, LU_OP_MANIFEST, ret, "%s(\"%s\"): %s",
						call, s->name, why);
	}
	return 0;
}

static void manifest_set_token(struct lu_manifest_pending *p, uint64_t token)
{
	struct lu_mf_item *item = p->item;

	lu_mf_set_token(p->rec, token);
	item->entry->pub.token = token;
}

static void manifest_commit(struct liveupdate_session *s,
			    struct lu_manifest_pending *p)
{
	lu_manifest_commit(lu_session_manifest(s), p->rec, p->len, p->item);
	manifest_drop(p);
}

static void manifest_drop(struct lu_manifest_pending *p)
{
	if (p->item)
		lu_mf_item_free(p->item);
	free(p->item);
	free(p->rec);
	memset(p, 0, sizeof(*p));
}

LU_EXPORT int liveupdate_session_create(struct liveupdate_ctx *ctx,
					const char *name,
					struct liveupdate_session **sessionp)
{
	return liveupdate_session_create_opts(ctx, name, NULL, sessionp);
}

LU_EXPORT int liveupdate_session_create_opts(struct liveupdate_ctx *ctx,
					     const char *name,
					     const struct liveupdate_session_opts *opts,
					     struct liveupdate_session **sessionp)
{
	static const char call[] = "liveupdate_session_create_opts";
	uint32_t flags = lu_opts_get(opts, flags, 0);
	size_t size = lu_opts_get(opts, manifest_size, 0);
	struct liveupdate_session *s;
	int ret;

	if (!sessionp)
		return lu_bad_arg(ctx, "%s: sessionp is NULL", call);
	if (lu_check_opts(ctx, call, opts))
		return -EINVAL;
	if (flags & ~(uint32_t)(LIVEUPDATE_SESSION_NO_MANIFEST |
				LIVEUPDATE_SESSION_HANDOVER))
		return lu_bad_arg(ctx, "%s: unknown flags %#x", call, flags);
	if (!size)
		size = LU_MF_DEFAULT_SIZE;
	if (!(flags & LIVEUPDATE_SESSION_NO_MANIFEST) &&
	    (size % LU_MF_PIECE_UNIT || size > LU_MF_MAX_SIZE))
		return lu_bad_arg(ctx, "%s: manifest_size %zu (the manifest's first "
				  "piece) is not a multiple of %u up to %u", call, size,
				  LU_MF_PIECE_UNIT, LU_MF_MAX_SIZE);
	ret = lu_session_open(ctx, name, &s, true);
	if (ret)
		return ret;
	/* the manifest's pieces, made later, are kept and handed over too */
	s->keep_files = flags & LIVEUPDATE_SESSION_HANDOVER;
	if (!(flags & LIVEUPDATE_SESSION_NO_MANIFEST)) {
		ret = manifest_start(s, size, call);
		if (ret) {
			liveupdate_session_unref(s); /* aborts: nothing is left */
			return ret;
		}
	}
	*sessionp = s;
	return 0;
}

/*
 * Holes below this are not checked: the kernel takes longer to fill them
 * than the check takes, and they matter only on a host already out of
 * memory.
 */
#define HOLES_CHECKED_FROM (16ull << 20)

/*
 * The kernel allocates every hole of a shmem file when it preserves it: a
 * sparse file larger than the memory left would end in the OOM killer in
 * the middle of the preparation. -ENOMEM (logged) before that, or 0.
 */
static int check_holes(struct liveupdate_session *session, int fd, const char *call)
{
	uint64_t allocated, holes, room;
	char why[256], a[32], b[32], c[32];
	struct statfs sfs;
	struct stat st;

	if (fstat(fd, &st) < 0 || (S_ISREG(st.st_mode) && fstatfs(fd, &sfs) < 0))
		return lu_fail(session->ctx, LU_OP_PRESERVE_FD, -errno, "%s(\"%s\", fd %d): "
			       "looking at the file", call, session->name, fd);
	if (!S_ISREG(st.st_mode) || sfs.f_type != TMPFS_MAGIC)
		return 0; /* not shmem: the kernel's own checks answer */
	allocated = (uint64_t)st.st_blocks * 512;
	holes = (uint64_t)st.st_size > allocated ? (uint64_t)st.st_size - allocated : 0;
	if (holes < HOLES_CHECKED_FROM)
		return 0;
	room = lu_util_memory_room(NULL, why, sizeof(why));
	if (holes <= room)
		return 0;
	return lu_fail(session->ctx, LU_OP_MEMORY, -ENOMEM, "%s(\"%s\", fd %d): the file "
		       "is %s, %s of it never written (holes), and the kernel allocates "
		       "every hole when it preserves a file, but this process can get "
		       "only %s (%s); nothing was preserved: preserve a smaller file, "
		       "raise the limit, or free memory", call, session->name, fd,
		       lu_util_fmt_size(a, sizeof(a), (uint64_t)st.st_size),
		       lu_util_fmt_size(b, sizeof(b), holes),
		       lu_util_fmt_size(c, sizeof(c), room), why);
}

/* Arguments the library refuses before anything else: 0 or -EINVAL. */
static int check_preserve(struct liveupdate_session *session, int fd,
			  const struct liveupdate_preserve_opts *opts,
			  const char *call)
{
	struct liveupdate_ctx *ctx = session->ctx;
	const char *label = lu_opts_get(opts, label, NULL);
	uint32_t flags = lu_opts_get(opts, flags, 0);
	enum liveupdate_entry_kind kind = lu_opts_get(opts, kind, LIVEUPDATE_ENTRY_AUTO);
	uint32_t backing = lu_opts_get(opts, backing, 0);
	uint64_t page_size = lu_opts_get(opts, page_size, 0);

	if (lu_check_opts(ctx, call, opts))
		return -EINVAL;
	if (fd < 0)
		return lu_bad_arg(ctx, "%s(\"%s\"): fd %d is negative", call,
				  session->name, fd);
	if (session->direction != LIVEUPDATE_SESSION_OUTGOING)
		return lu_bad_arg(ctx, "%s(\"%s\"): the session is incoming; preserve "
				  "files in a session created with "
				  "liveupdate_session_create()", call, session->name);
	if (session->handed_over)
		return handed_over(session, call);
	if (flags & ~(uint32_t)LIVEUPDATE_PRESERVE_TOKEN)
		return lu_bad_arg(ctx, "%s: unknown flags %#x", call, flags);
	if ((flags & LIVEUPDATE_PRESERVE_TOKEN) &&
	    lu_opts_get(opts, token, 0) - LIVEUPDATE_MANIFEST_TOKEN < LIVEUPDATE_MANIFEST_TOKENS)
		return lu_bad_arg(ctx, "%s(\"%s\"): token %#" PRIx64 " is reserved for "
				  "the session manifest (LIVEUPDATE_MANIFEST_TOKEN and "
				  "the %d after it): use another token", call,
				  session->name, lu_opts_get(opts, token, 0),
				  LIVEUPDATE_MANIFEST_TOKENS - 1);
	if ((uint32_t)kind > LIVEUPDATE_ENTRY_OTHER)
		return lu_bad_arg(ctx, "%s: unknown kind %u", call, (unsigned)kind);
	/* what liveupdate_memory_retrieve_label() could not read back */
	if (kind == LIVEUPDATE_ENTRY_MEMORY && !lu_mf_memory_entry_ok(backing, page_size))
		return lu_bad_arg(ctx, "%s(\"%s\"): kind MEMORY with backing %" PRIu32
				  " and page size %" PRIu64 ": give the memory's own, as "
				  "liveupdate_memory_get_backing() and _get_page_size() "
				  "say (SHMEM with 4096, THP or HUGETLB with their huge "
				  "page size), or preserve it with "
				  "liveupdate_memory_preserve_opts(), which fills them in",
				  call, session->name, backing, page_size);
	if (kind != LIVEUPDATE_ENTRY_MEMORY && (backing || page_size))
		return lu_bad_arg(ctx, "%s(\"%s\"): backing %" PRIu32 " and page size %"
				  PRIu64 " are recorded for kind MEMORY only: leave them 0",
				  call, session->name, backing, page_size);
	if (label && (!*label || strlen(label) > LIVEUPDATE_LABEL_MAX))
		return lu_bad_arg(ctx, "%s(\"%s\"): a label takes 1 to %d bytes",
				  call, session->name, LIVEUPDATE_LABEL_MAX);
	if ((label || lu_opts_get(opts, n_meta, 0)) &&
	    !lu_session_manifest_writable(session))
		return lu_bad_arg(ctx, "%s(\"%s\"): a label or metadata needs a "
				  "manifest, and this session has none (created with "
				  "LIVEUPDATE_SESSION_NO_MANIFEST, or adopted)", call,
				  session->name);
	return 0;
}

LU_EXPORT int liveupdate_session_preserve_fd_opts(struct liveupdate_session *session,
						  int fd,
						  const struct liveupdate_preserve_opts *opts,
						  uint64_t *tokenp)
{
	static const char call[] = "liveupdate_session_preserve_fd_opts";
	struct lu_manifest_pending pending = { 0 };
	bool auto_token = !(lu_opts_get(opts, flags, 0) & LIVEUPDATE_PRESERVE_TOKEN);
	uint64_t token = auto_token ? 0 : lu_opts_get(opts, token, 0);
	struct liveupdate_ctx *ctx;
	int ret, tries = 0;

	if (!session)
		return lu_bad_arg(NULL, "%s: session is NULL", call);
	ctx = session->ctx;
	ret = check_preserve(session, fd, opts, call);
	if (!ret)
		ret = check_holes(session, fd, call);
	if (ret)
		return ret;
	if (lu_session_manifest_writable(session)) {
		ret = manifest_stage(session, fd, opts, &pending);
		if (ret)
			return ret;
	}
	if (auto_token)
		token = free_token(session, session->next_token);
	for (;;) {
		ret = lu_session_preserve(session, fd, token, call);
		if (ret != -EEXIST || !auto_token || ++tries == AUTO_TOKEN_TRIES)
			break;
		/* taken outside the manifest: the kernel checks tokens first,
		 * so nothing happened; try the next free one */
		token = free_token(session, token + 1);
	}
	if (ret < 0) {
		manifest_drop(&pending);
		return lu_fail(ctx, LU_OP_PRESERVE_FD, ret, "%s(\"%s\", fd %d, token "
			       "%" PRIu64 "%s)", call, session->name, fd, token,
			       auto_token ? ", chosen by the library" : "");
	}
	if (auto_token)
		session->next_token = token + 1;
	if (pending.rec) {
		manifest_set_token(&pending, token);
		manifest_commit(session, &pending);
	}
	if (tokenp)
		*tokenp = token;
	return 0;
}

LU_EXPORT int liveupdate_session_preserve_fd(struct liveupdate_session *session,
					     int fd, uint64_t token)
{
	LIVEUPDATE_OPTS(liveupdate_preserve_opts, opts,
			.flags = LIVEUPDATE_PRESERVE_TOKEN, .token = token);

	return liveupdate_session_preserve_fd_opts(session, fd, &opts, NULL);
}

LU_EXPORT int liveupdate_session_set_meta(struct liveupdate_session *session,
					  const char *key, const char *value)
{
	static const char call[] = "liveupdate_session_set_meta";
	struct liveupdate_meta pair = { key, value };
	struct lu_manifest *m;
	struct lu_mf_item item;
	uint8_t *rec;
	size_t len, rlen;
	char why[256];
	int ret;

	if (!session)
		return lu_bad_arg(NULL, "%s: session is NULL", call);
	ret = check_meta(session->ctx, call, &pair, 1);
	if (ret)
		return ret;
	if (session->direction != LIVEUPDATE_SESSION_OUTGOING)
		return lu_bad_arg(session->ctx, "%s(\"%s\"): the session is incoming; "
				  "its metadata was written before the update",
				  call, session->name);
	if (session->handed_over)
		return handed_over(session, call);
	m = lu_session_manifest(session);
	if (!lu_session_manifest_writable(session))
		return lu_fail(session->ctx, LU_OP_MANIFEST, -ENODATA, "%s(\"%s\")",
			       call, session->name);
	if (!lu_manifest_session_meta(m, key) && m->n_session_meta >= LIVEUPDATE_META_MAX)
		return lu_bad_arg(session->ctx, "%s(\"%s\"): the session already has "
				  "%d metadata keys, the most a manifest holds",
				  call, session->name, LIVEUPDATE_META_MAX);
	ret = lu_mf_encode_session_meta(key, value, &rec, &len);
	if (ret)
		return lu_oom(session->ctx, "%s(\"%s\")", call, session->name);
	ret = make_room(session, call, len);
	if (ret) {
		free(rec);
		return ret;
	}
	ret = lu_manifest_prepare(m, rec, len, &rlen, &item, why, sizeof(why));
	if (ret) {
		free(rec);
		return ret == -ENOMEM ? lu_oom(session->ctx, "%s", call)
				      : lu_fail(session->ctx, LU_OP_MANIFEST, ret,
						"%s: %s", call, why);
	}
	lu_manifest_commit(m, rec, len, &item);
	free(rec);
	return 0;
}

/* ---- a session handed over by another process ---- */

/* The state word of a handover: how many pieces (bits 0-15) and the size
 * of the first one, made or to make, in LU_MF_PIECE_UNITs (bits 16-47);
 * the rest is zero. */
#define STATE_PIECES(w) ((w) & 0xffff)
#define STATE_FIRST_UNITS(w) ((w) >> 16)

void lu_session_manifest_state(const struct liveupdate_session *s,
			       struct lu_manifest_state *st)
{
	const struct lu_manifest *m = lu_session_manifest(s);

	st->present = m && m->writable;
	st->word = st->present ? (uint64_t)m->n_pieces |
				 (uint64_t)(m->first_size / LU_MF_PIECE_UNIT) << 16 : 0;
}

/* Map the n pieces at fds writable into pieces, and duplicate their fds
 * into own: 0 or a negative errno (logged), nothing left mapped or open. */
static int map_pieces(struct liveupdate_session *s, const char *call, const int *fds,
		      size_t n, struct lu_mf_piece *pieces, int *own)
{
	for (size_t i = 0; i < n; i++) {
		struct stat st;

		/* the same pages the predecessor wrote and the kernel keeps */
		pieces[i].map = fstat(fds[i], &st) < 0 ? MAP_FAILED
			: mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE,
			       MAP_SHARED, fds[i], 0);
		if (pieces[i].map != MAP_FAILED) {
			pieces[i].size = (size_t)st.st_size;
			own[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 0);
		}
		if (pieces[i].map == MAP_FAILED || own[i] < 0) {
			int ret = lu_fail(s->ctx, LU_OP_MANIFEST, -errno, "%s(\"%s\"): "
					  "taking piece %zu of the manifest", call, s->name, i);

			if (pieces[i].map != MAP_FAILED)
				munmap(pieces[i].map, pieces[i].size);
			while (i--) {
				munmap(pieces[i].map, pieces[i].size);
				close(own[i]);
			}
			return ret;
		}
	}
	return 0;
}

/*
 * Take for writing the manifest whose n pieces are at fds, in order (they
 * stay the caller's: the manifest keeps duplicates), its first piece of
 * first_size bytes when it is made. from says where they came from, for
 * messages. 0 or a negative errno (logged).
 */
static int adopt_pieces(struct liveupdate_session *s, const int *fds, size_t n,
			size_t first_size, const char *from, const char *call)
{
	struct liveupdate_ctx *ctx = s->ctx;
	struct lu_mf_piece *pieces = NULL;
	struct lu_manifest *m = NULL;
	int *own = NULL;
	char why[512];
	int ret;

	if (n == 0) /* nothing recorded yet: this process makes the first piece */
		return manifest_start(s, first_size, call);
	ret = lu_manifest_read_fds(fds, n, &m, why, sizeof(why));
	if (ret == -ENOMEM)
		return lu_oom(ctx, "%s(\"%s\")", call, s->name);
	if (ret)
		return lu_fail(ctx, LU_OP_MANIFEST, ret, "%s(\"%s\"): the manifest %s: %s",
			       call, s->name, from, why);
	pieces = calloc(LU_MF_PIECES_MAX, sizeof(*pieces));
	own = calloc(LU_MF_PIECES_MAX, sizeof(*own));
	if (!pieces || !own) {
		ret = lu_oom(ctx, "%s(\"%s\"): the manifest", call, s->name);
		goto fail;
	}
	ret = map_pieces(s, call, fds, n, pieces, own);
	if (ret)
		goto fail;
	ret = lu_manifest_resume(m, pieces, n, first_size, why, sizeof(why));
	if (ret) {
		while (n--) {
			munmap(pieces[n].map, pieces[n].size);
			close(own[n]);
		}
		ret = lu_fail(ctx, LU_OP_MANIFEST, ret, "%s(\"%s\"): the manifest %s: %s",
			      call, s->name, from, why);
		goto fail;
	}
	m->piece_fds = own;
	pieces = NULL; /* m's now */
	own = NULL;
	lu_dbg(ctx, "session \"%s\": manifest of %zu pieces adopted, record %" PRIu64
	       " next at offset %zu", s->name, m->n_pieces, m->generation + 1, m->used);
	if (manifest_keep(s, m) < 0) {
		ret = lu_oom(ctx, "%s(\"%s\")", call, s->name);
		goto fail;
	}
	return 0;
fail:
	free(pieces);
	free(own);
	manifest_free(m);
	return ret;
}

int lu_session_manifest_adopt(struct liveupdate_session *s,
			      const struct lu_manifest_state *state, const char *call)
{
	uint64_t units = STATE_FIRST_UNITS(state->word);
	size_t n = (size_t)STATE_PIECES(state->word);
	int fds[LU_MF_PIECES_MAX];

	if (!state->present)
		return 0; /* created without one: tokens only, as before */
	if (n > LU_MF_PIECES_MAX || !units || units > LU_MF_MAX_SIZE / LU_MF_PIECE_UNIT)
		return lu_fail(s->ctx, LU_OP_HANDOVER, -EBADMSG, "%s(\"%s\"): the offer "
			       "announced a manifest with a state this library does not "
			       "know (%#" PRIx64 ")", call, s->name, state->word);
	/* every piece announced came, and none past them */
	for (size_t i = 0; i <= n && i < LU_MF_PIECES_MAX; i++) {
		int fd = lu_session_kept_fd(s, LIVEUPDATE_MANIFEST_TOKEN + i);

		if ((fd < 0) == (i < n))
			return lu_fail(s->ctx, LU_OP_HANDOVER, -EBADMSG, "%s(\"%s\"): the "
				       "offer announced a manifest of %zu pieces and %s at "
				       "token %#" PRIx64, call, s->name, n,
				       fd < 0 ? "no file came" : "another file came",
				       LIVEUPDATE_MANIFEST_TOKEN + i);
		if (i < n)
			fds[i] = fd;
	}
	return adopt_pieces(s, fds, n, (size_t)units * LU_MF_PIECE_UNIT, "handed over",
			    call);
}

/* Put the pieces at fds[n] (in any order) in order into ordered
 * (LU_MF_PIECES_MAX slots): 0 or a negative errno (logged). */
static int order_pieces(struct liveupdate_session *s, const int *fds, size_t n,
			int *ordered, const char *from, const char *call)
{
	uint8_t hdr[LU_MF_PIECE_UNIT];
	char why[256];

	for (size_t i = 0; i < LU_MF_PIECES_MAX; i++)
		ordered[i] = -1;
	for (size_t i = 0; i < n; i++) {
		ssize_t got = pread(fds[i], hdr, sizeof(hdr), 0);
		unsigned index = 0;
		size_t hs;
		int ret = got < 0 ? -errno
			: lu_mf_piece_number(hdr, (size_t)got, &hs, &index, why, sizeof(why));

		if (ret == 0 && (index >= LU_MF_PIECES_MAX || ordered[index] >= 0)) {
			snprintf(why, sizeof(why), "it says it is piece %u, %s", index,
				 index >= LU_MF_PIECES_MAX ? "past the last there can be"
							   : "as another does");
			ret = -EBADMSG;
		}
		if (ret)
			return lu_fail(s->ctx, LU_OP_MANIFEST, ret, "%s(\"%s\"): fd %d, "
				       "given as a piece of the session's manifest: %s", call,
				       s->name, fds[i], ret == -EBADMSG ? why : "reading it");
		ordered[index] = fds[i];
	}
	for (size_t i = 0; i < n; i++)
		if (ordered[i] < 0)
			return lu_fail(s->ctx, LU_OP_MANIFEST, -ENODATA, "%s(\"%s\"): %zu "
				       "pieces of its manifest %s, but not piece %zu: pieces "
				       "are missing", call, s->name, n, from, i);
	return 0;
}

int lu_session_manifest_adopt_pieces(struct liveupdate_session *s, const int *fds,
				     size_t n, const char *from, const char *call)
{
	int ordered[LU_MF_PIECES_MAX];
	struct stat st;
	int ret;

	if (n > LU_MF_PIECES_MAX)
		return lu_fail(s->ctx, LU_OP_MANIFEST, -EBADMSG, "%s(\"%s\"): %zu "
			       "pieces of its manifest %s, over the %u there can be",
			       call, s->name, n, from, LU_MF_PIECES_MAX);
	ret = order_pieces(s, fds, n, ordered, from, call);
	/* the kernel holds exactly these: a piece at each of their tokens,
	 * none at the next */
	for (size_t i = 0; !ret && i <= n && i < LU_MF_PIECES_MAX; i++) {
		ret = lu_session_token_taken(s, LIVEUPDATE_MANIFEST_TOKEN + i);
		if (ret < 0)
			return lu_fail(s->ctx, LU_OP_MANIFEST, ret, "%s(\"%s\"): asking the "
				       "kernel for the manifest's token %#" PRIx64, call,
				       s->name, LIVEUPDATE_MANIFEST_TOKEN + i);
		ret = ret == (i < n) ? 0 : -ENODATA;
		if (ret)
			return lu_fail(s->ctx, LU_OP_MANIFEST, ret, "%s(\"%s\"): %zu pieces "
				       "of its manifest %s, but the kernel holds %s piece %zu "
				       "(token %#" PRIx64 "): %s", call, s->name, n, from,
				       i < n ? "no" : "a", i, LIVEUPDATE_MANIFEST_TOKEN + i,
				       i < n ? "they are not this session's"
					     : "pieces are missing");
	}
	if (ret)
		return ret;
	if (n && fstat(ordered[0], &st) < 0)
		return lu_fail(s->ctx, LU_OP_MANIFEST, -errno, "%s(\"%s\"): piece 0 of "
			       "its manifest", call, s->name);
	return adopt_pieces(s, ordered, n, n ? (size_t)st.st_size : LU_MF_DEFAULT_SIZE,
			    from, call);
}

size_t lu_session_manifest_piece_fds(const struct liveupdate_session *s, int *fds)
{
	const struct lu_manifest *m = lu_session_manifest(s);

	if (!m || !m->writable)
		return 0;
	for (size_t i = 0; i < m->n_pieces; i++)
		fds[i] = m->piece_fds[i];
	return m->n_pieces;
}

void lu_session_manifest_watch(struct liveupdate_session *s,
			       void (*fn)(struct liveupdate_session *s, int fd, size_t index))
{
	struct lu_manifest *m = lu_session_manifest(s);

	if (m && m->writable)
		m->piece_watch = fn;
}

/* ---- reading ---- */

int lu_manifest_read_fds(const int *fds, size_t n, struct lu_manifest **mp,
			 char *why, size_t why_len)
{
	struct lu_mf_piece pieces[LU_MF_PIECES_MAX] = { { 0 } };
	struct lu_manifest *m = NULL;
	size_t mapped = 0, total = 0;
	int ret = 0;

	if (n > LU_MF_PIECES_MAX) {
		snprintf(why, why_len, "%zu pieces, over %u", n, LU_MF_PIECES_MAX);
		return -EBADMSG;
	}
	for (; mapped < n; mapped++) {
		struct stat st;
		struct lu_mf_piece *p = &pieces[mapped];

		if (fstat(fds[mapped], &st) < 0) {
			ret = -errno;
			snprintf(why, why_len, "fstat of manifest piece %zu: %s", mapped,
				 strerror(-ret));
			break;
		}
		total += (size_t)st.st_size;
		if (st.st_size <= 0 || total > LU_MF_MAX_SIZE) {
			snprintf(why, why_len, "manifest piece %zu has %lld bytes: not "
				 "1 to %u bytes in all", mapped, (long long)st.st_size,
				 LU_MF_MAX_SIZE);
			ret = -EBADMSG;
			break;
		}
		p->size = (size_t)st.st_size;
		p->map = mmap(NULL, p->size, PROT_READ, MAP_SHARED, fds[mapped], 0);
		if (p->map == MAP_FAILED) {
			ret = -errno;
			snprintf(why, why_len, "mapping manifest piece %zu: %s", mapped,
				 strerror(-ret));
			break;
		}
	}
	if (ret == 0) {
		m = calloc(1, sizeof(*m));
		ret = m ? lu_manifest_decode(pieces, n, m, why, why_len) : -ENOMEM;
	}
	while (mapped--)
		munmap(pieces[mapped].map, pieces[mapped].size);
	if (ret) {
		free(m);
		return ret;
	}
	*mp = m;
	return 0;
}

/* Retrieve the incoming session's manifest pieces into fds (up to
 * LU_MF_PIECES_MAX): how many, or a negative errno (logged). */
static int retrieve_pieces(struct liveupdate_session *s, const char *call, int *fds)
{
	struct liveupdate_ctx *ctx = s->ctx;
	int n, ret = 0;

	for (n = 0; n < LU_MF_PIECES_MAX; n++) {
		ret = lu_session_retrieve(s, LIVEUPDATE_MANIFEST_TOKEN + n, &fds[n]);
		if (ret < 0)
			break;
	}
	if (n > 0 && (ret == 0 || ret == -ENOENT))
		return n; /* the pieces end at the first token not there */
	while (n--)
		close(fds[n]);
	if (ret == -ENOENT && s->finished)
		return lu_fail(ctx, LU_OP_MANIFEST, -ENODATA, "%s(\"%s\"): the session "
			       "is finished, and the kernel hands out no file after "
			       "that, the manifest included: read the manifest before "
			       "liveupdate_session_finish()", call, s->name);
	if (ret == -ENOENT)
		return lu_fail(ctx, LU_OP_MANIFEST, -ENODATA, "%s(\"%s\"): no file at "
			       "token %#" PRIx64 ": nothing was recorded in it (a "
			       "preserve by token alone records nothing), or it was "
			       "created without a manifest", call, s->name,
			       LIVEUPDATE_MANIFEST_TOKEN);
	return lu_fail(ctx, LU_OP_RETRIEVE_FD, ret, "%s(\"%s\"): retrieving the "
		       "manifest (token %#" PRIx64 ")", call, s->name,
		       LIVEUPDATE_MANIFEST_TOKEN);
}

int lu_session_manifest_get(struct liveupdate_session *s, const char *call,
			    struct lu_manifest **mp)
{
	struct liveupdate_ctx *ctx;
	struct lu_manifest *m;
	int fds[LU_MF_PIECES_MAX];
	char why[512];
	int ret, n;

	if (!s)
		return lu_bad_arg(NULL, "%s: session is NULL", call);
	ctx = s->ctx;
	m = lu_session_manifest(s);
	if (m) {
		*mp = m;
		return 0;
	}
	if (s->direction != LIVEUPDATE_SESSION_INCOMING)
		return lu_fail(ctx, LU_OP_MANIFEST, -ENODATA, "%s(\"%s\"): the session "
			       "is outgoing and was not created with a manifest by this "
			       "process", call, s->name);
	n = retrieve_pieces(s, call, fds);
	if (n < 0)
		return n;
	ret = lu_manifest_read_fds(fds, (size_t)n, &m, why, sizeof(why));
	while (n--)
		close(fds[n]);
	if (ret == -ENOMEM)
		return lu_oom(ctx, "%s(\"%s\")", call, s->name);
	if (ret)
		return lu_fail(ctx, LU_OP_MANIFEST, ret, "%s(\"%s\"): the manifest: %s",
			       call, s->name, why);
	if (m->torn)
		lu_log_cond(ctx, LOG_WARNING, "%s(\"%s\"): the manifest's record %"
			    PRIu64 " is incomplete, so the state before it is read: the "
			    "process was killed or the kernel updated while it was "
			    "written (that preserve or metadata is missing from the "
			    "manifest; its file, if preserved, is still there by token), "
			    "or the manifest was damaged (liveupdate_session_print_manifest() "
			    "says so too)", call, s->name, m->torn);
	lu_dbg(ctx, "session \"%s\": manifest of %" PRIu64 " records, %zu files",
	       s->name, m->generation, m->count);
	if (manifest_keep(s, m) < 0) {
		manifest_free(m);
		return lu_oom(ctx, "%s(\"%s\")", call, s->name);
	}
	*mp = m;
	return 0;
}

LU_EXPORT int liveupdate_session_get_meta(struct liveupdate_session *session,
					  const char *key, const char **valuep)
{
	static const char call[] = "liveupdate_session_get_meta";
	struct lu_manifest *m;
	const char *v;
	int ret;

	if (!key || !valuep)
		return lu_bad_arg(session ? session->ctx : NULL, "%s: %s is NULL",
				  call, key ? "valuep" : "key");
	ret = lu_session_manifest_get(session, call, &m);
	if (ret)
		return ret;
	v = lu_manifest_session_meta(m, key);
	if (!v)
		return lu_fail(session->ctx, LU_OP_MANIFEST, -ENOENT,
			       "%s(\"%s\", \"%s\")", call, session->name, key);
	*valuep = v;
	return 0;
}

LU_EXPORT int liveupdate_session_get_meta_at(struct liveupdate_session *session,
					     size_t index, const char **keyp,
					     const char **valuep)
{
	static const char call[] = "liveupdate_session_get_meta_at";
	struct lu_manifest *m;
	int ret;

	if (!keyp || !valuep)
		return lu_bad_arg(session ? session->ctx : NULL, "%s: %s is NULL",
				  call, keyp ? "valuep" : "keyp");
	ret = lu_session_manifest_get(session, call, &m);
	if (ret)
		return ret;
	if (index >= m->n_session_meta)
		return -ENOENT; /* the end of a listing: not worth a message */
	*keyp = m->session_meta[index].key;
	*valuep = m->session_meta[index].value;
	return 0;
}

LU_EXPORT long liveupdate_session_count_entries(struct liveupdate_session *session)
{
	struct lu_manifest *m;
	int ret = lu_session_manifest_get(session, "liveupdate_session_count_entries", &m);

	return ret ? ret : (long)m->count;
}

LU_EXPORT int liveupdate_session_get_entry(struct liveupdate_session *session,
					   size_t index,
					   const struct liveupdate_entry **entryp)
{
	static const char call[] = "liveupdate_session_get_entry";
	struct lu_manifest *m;
	int ret;

	if (!entryp)
		return lu_bad_arg(session ? session->ctx : NULL, "%s: entryp is NULL",
				  call);
	ret = lu_session_manifest_get(session, call, &m);
	if (ret)
		return ret;
	if (index >= m->count)
		return -ENOENT; /* the end of an iteration: not worth a message */
	*entryp = &m->entries[index]->pub;
	return 0;
}

LU_EXPORT int liveupdate_session_find_entry(struct liveupdate_session *session,
					    const char *label,
					    const struct liveupdate_entry **entryp)
{
	static const char call[] = "liveupdate_session_find_entry";
	const struct liveupdate_entry *e;
	struct lu_manifest *m;
	int ret;

	if (!label || !*label || !entryp)
		return lu_bad_arg(session ? session->ctx : NULL, "%s: %s", call,
				  !label ? "label is NULL" : !*label ? "label is empty"
								     : "entryp is NULL");
	ret = lu_session_manifest_get(session, call, &m);
	if (ret)
		return ret;
	e = lu_manifest_find(m, label);
	if (!e)
		return lu_fail(session->ctx, LU_OP_MANIFEST, -ENOENT,
			       "%s(\"%s\", label \"%s\")", call, session->name, label);
	*entryp = e;
	return 0;
}

LU_EXPORT int liveupdate_session_retrieve_fd_label(struct liveupdate_session *session,
						   const char *label, int *fdp,
						   const struct liveupdate_entry **entryp)
{
	const struct liveupdate_entry *e;
	int ret;

	if (!fdp)
		return lu_bad_arg(session ? session->ctx : NULL,
				  "liveupdate_session_retrieve_fd_label: fdp is NULL");
	ret = liveupdate_session_find_entry(session, label, &e);
	if (ret)
		return ret;
	ret = liveupdate_session_retrieve_fd(session, e->token, fdp);
	if (ret == 0 && entryp)
		*entryp = e;
	return ret;
}

LU_EXPORT const char *liveupdate_entry_get_meta(const struct liveupdate_entry *entry,
						const char *key)
{
	if (!entry || !key)
		return NULL;
	for (size_t i = 0; i < entry->n_meta; i++)
		if (!strcmp(entry->meta[i].key, key))
			return entry->meta[i].value;
	return NULL;
}
