/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The session manifest: its memfd, created and preserved with the session,
 * records appended after each preserve, and reading it back after the
 * update. The bytes themselves are manifest-format.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "liveupdate-private.h"
#include "manifest-format.h"

#define MF_SEALS (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)

int lu_session_manifest_start(struct liveupdate_session *s, size_t first_size)
{
	struct lu_manifest *m = calloc(1, sizeof(*m));

	/* nothing is made or preserved until there is something to record */
	if (!m)
		return lu_oom(s->ctx, "liveupdate_session_create(\"%s\"): the manifest",
			      s->name);
	m->writable = true;
	m->first_size = first_size;
	s->manifest = m;
	return 0;
}

bool lu_session_manifest_writable(const struct liveupdate_session *s)
{
	return s->manifest && s->manifest->writable;
}

void lu_session_manifest_free(struct liveupdate_session *s)
{
	struct lu_manifest *m = s->manifest;

	if (!m)
		return;
	for (size_t i = 0; i < m->n_pieces; i++)
		munmap(m->pieces[i].map, m->pieces[i].size);
	free(m->pieces);
	lu_manifest_clear(m);
	free(m);
	s->manifest = NULL;
}

uint64_t lu_session_free_token(const struct liveupdate_session *s, uint64_t from)
{
	uint64_t t = from;

	/* the manifest knows its tokens; others' are found by the kernel */
	while (t - LIVEUPDATE_MANIFEST_TOKEN < LIVEUPDATE_MANIFEST_TOKENS ||
	       (s->manifest && lu_manifest_find_token(s->manifest, t)))
		t++;
	return t;
}

/* ---- writing ---- */

/* What to record about fd when the caller did not say. */
static void describe_fd(int fd, struct liveupdate_entry *e)
{
	struct stat st;

	if (fstat(fd, &st) == 0)
		e->size = (uint64_t)st.st_size;
	if (e->kind == LIVEUPDATE_ENTRY_AUTO)
		e->kind = fcntl(fd, F_GET_SEALS) >= 0 ? LIVEUPDATE_ENTRY_MEMFD
						      : LIVEUPDATE_ENTRY_OTHER;
	if (e->kind != LIVEUPDATE_ENTRY_MEMORY) {
		/* the format promises 0 there */
		e->backing = 0;
		e->page_size = 0;
	}
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
	struct lu_manifest *m = s->manifest;
	size_t size = lu_manifest_next_piece_size(m, len);
	uint64_t token = LIVEUPDATE_MANIFEST_TOKEN + m->n_pieces;
	struct liveupdate_session_preserve_fd req = { .size = sizeof(req), .token = token };
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
	req.fd = fd;
	ret = lu_backend_ioctl(ctx, s->fd, LIVEUPDATE_SESSION_PRESERVE_FD, &req);
	if (ret < 0) {
		ret = lu_fail(ctx, LU_OP_PRESERVE_FD, ret, "%s(\"%s\"): preserving "
			      "piece %zu of its manifest as token %#" PRIx64, call,
			      s->name, m->n_pieces, token);
		goto fail;
	}
	close(fd); /* the session holds the file, the mapping its pages */
	lu_manifest_add_piece(m, map, size);
	lu_dbg(ctx, "session \"%s\": manifest piece of %zu bytes at token %#" PRIx64,
	       s->name, size, token);
	return 0;
fail:
	if (map != MAP_FAILED)
		munmap(map, size);
	if (fd >= 0)
		close(fd);
	return ret;
}

int lu_session_manifest_stage(struct liveupdate_session *s, int fd,
			      const struct liveupdate_preserve_opts *opts,
			      struct lu_manifest_pending *p)
{
	static const char call[] = "liveupdate_session_preserve_fd_opts";
	struct liveupdate_ctx *ctx = s->ctx;
	struct lu_manifest *m = s->manifest;
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
	describe_fd(fd, &e);
	ret = lu_mf_encode_file(&e, &p->rec, &p->len);
	if (ret == -ENOMEM)
		return lu_oom(ctx, "%s(\"%s\")", call, s->name);
	if (ret)
		return lu_bad_arg(ctx, "%s: the record of label \"%s\" is out of limits",
				  call, e.label);
	ret = make_room(s, call, p->len);
	if (ret) {
		lu_session_manifest_drop(p);
		return ret;
	}
	item = calloc(1, sizeof(*item));
	ret = item ? lu_manifest_prepare(m, p->rec, p->len, &len, item, why, sizeof(why))
		   : -ENOMEM;
	p->item = item;
	if (ret) {
		lu_session_manifest_drop(p);
		return ret == -ENOMEM ? lu_oom(ctx, "%s(\"%s\")", call, s->name)
				      : lu_fail(ctx, LU_OP_MANIFEST, ret, "%s(\"%s\"): %s",
						call, s->name, why);
	}
	return 0;
}

void lu_session_manifest_set_token(struct lu_manifest_pending *p, uint64_t token)
{
	struct lu_mf_item *item = p->item;

	lu_mf_set_token(p->rec, token);
	item->entry->pub.token = token;
}

void lu_session_manifest_commit(struct liveupdate_session *s,
				struct lu_manifest_pending *p)
{
	lu_manifest_commit(s->manifest, p->rec, p->len, p->item);
	lu_session_manifest_drop(p);
}

void lu_session_manifest_drop(struct lu_manifest_pending *p)
{
	if (p->item)
		lu_mf_item_free(p->item);
	free(p->item);
	free(p->rec);
	memset(p, 0, sizeof(*p));
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
	m = session->manifest;
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

		if (fstat(fds[mapped], &st) < 0)
			st.st_size = 0;
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
		struct liveupdate_session_retrieve_fd req = {
			.size = sizeof(req), .fd = -1, .token = LIVEUPDATE_MANIFEST_TOKEN + n };

		ret = lu_backend_ioctl(ctx, s->fd, LIVEUPDATE_SESSION_RETRIEVE_FD, &req);
		if (ret < 0)
			break;
		fds[n] = req.fd;
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
	int fds[LU_MF_PIECES_MAX];
	struct lu_manifest *m;
	char why[512];
	int ret, n;

	if (!s)
		return lu_bad_arg(NULL, "%s: session is NULL", call);
	ctx = s->ctx;
	if (s->manifest) {
		*mp = s->manifest;
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
			    "or the manifest was damaged", call, s->name, m->torn);
	lu_dbg(ctx, "session \"%s\": manifest of %" PRIu64 " records, %zu files",
	       s->name, m->generation, m->count);
	s->manifest = m;
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
