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

int lu_session_manifest_start(struct liveupdate_session *s, size_t size)
{
	struct liveupdate_ctx *ctx = s->ctx;
	struct liveupdate_session_preserve_fd req = {
		.size = sizeof(req), .token = LIVEUPDATE_MANIFEST_TOKEN };
	struct lu_manifest *m = calloc(1, sizeof(*m));
	uint8_t *map = MAP_FAILED;
	int fd, ret;

	if (!m)
		return lu_oom(ctx, "liveupdate_session_create(\"%s\"): the manifest",
			      s->name);
	fd = memfd_create("liveupdate-manifest", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0 || ftruncate(fd, (off_t)size) < 0 ||
	    fcntl(fd, F_ADD_SEALS, MF_SEALS) < 0 ||
	    (map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) == MAP_FAILED) {
		ret = lu_fail(ctx, LU_OP_MANIFEST, -errno, "liveupdate_session_create"
			      "(\"%s\"): making its %zu-byte manifest memfd", s->name,
			      size);
		goto fail;
	}
	lu_manifest_init_image(m, map, size / 2);
	req.fd = fd;
	ret = lu_backend_ioctl(ctx, s->fd, LIVEUPDATE_SESSION_PRESERVE_FD, &req);
	if (ret < 0) {
		ret = lu_fail(ctx, LU_OP_PRESERVE_FD, ret, "liveupdate_session_create"
			      "(\"%s\"): preserving its manifest as token %#" PRIx64,
			      s->name, LIVEUPDATE_MANIFEST_TOKEN);
		goto fail;
	}
	close(fd); /* the session holds the file, the mapping its pages */
	s->manifest = m;
	lu_dbg(ctx, "session \"%s\": manifest of %zu bytes at token %#" PRIx64,
	       s->name, size, LIVEUPDATE_MANIFEST_TOKEN);
	return 0;
fail:
	if (map != MAP_FAILED)
		munmap(map, size);
	if (fd >= 0)
		close(fd);
	free(m);
	return ret;
}

bool lu_session_manifest_writable(const struct liveupdate_session *s)
{
	return s->manifest && s->manifest->map;
}

void lu_session_manifest_free(struct liveupdate_session *s)
{
	struct lu_manifest *m = s->manifest;

	if (!m)
		return;
	if (m->map)
		munmap(m->map, 2 * m->copy_size);
	lu_manifest_clear(m);
	free(m);
	s->manifest = NULL;
}

uint64_t lu_session_free_token(const struct liveupdate_session *s, uint64_t from)
{
	uint64_t t = from;

	/* the manifest knows its tokens; others' are found by the kernel */
	while (t == LIVEUPDATE_MANIFEST_TOKEN ||
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

static int no_room(struct liveupdate_session *s, const char *call, size_t len)
{
	const struct lu_manifest *m = s->manifest;

	return lu_fail(s->ctx, LU_OP_MANIFEST, -ENOSPC, "%s(\"%s\"): a %zu-byte "
		       "record does not fit: the manifest holds %u of %zu bytes", call,
		       s->name, len, m->used, m->copy_size - LU_MF_HEADER_SIZE);
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
	if (!lu_manifest_fits(m, p->len)) {
		ret = no_room(s, call, p->len);
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
	if (!m || !m->map)
		return lu_fail(session->ctx, LU_OP_MANIFEST, -ENODATA, "%s(\"%s\")",
			       call, session->name);
	if (!lu_manifest_session_meta(m, key) && m->n_session_meta >= LIVEUPDATE_META_MAX)
		return lu_bad_arg(session->ctx, "%s(\"%s\"): the session already has "
				  "%d metadata keys, the most a manifest holds",
				  call, session->name, LIVEUPDATE_META_MAX);
	ret = lu_mf_encode_session_meta(key, value, &rec, &len);
	if (ret)
		return lu_oom(session->ctx, "%s(\"%s\")", call, session->name);
	if (!lu_manifest_fits(m, len)) {
		free(rec);
		return no_room(session, call, len);
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

/*
 * The session's manifest, read from the incoming session on first use.
 * 0 with *mp set, or a negative errno (logged).
 */
int lu_manifest_read_fd(int fd, struct lu_manifest **mp, char *why, size_t why_len)
{
	struct lu_manifest *m;
	struct stat st;
	uint8_t *map;
	int ret;

	if (fstat(fd, &st) < 0)
		st.st_size = 0;
	if (st.st_size <= 0 || (uint64_t)st.st_size > LU_MF_MAX_SIZE) {
		snprintf(why, why_len, "the manifest memfd has %lld bytes, not 1 to %u",
			 (long long)st.st_size, LU_MF_MAX_SIZE);
		return -EBADMSG;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		ret = -errno;
		snprintf(why, why_len, "mapping the manifest memfd: %s", strerror(-ret));
		return ret;
	}
	m = calloc(1, sizeof(*m));
	ret = m ? lu_manifest_decode(map, (size_t)st.st_size, m, why, why_len) : -ENOMEM;
	munmap(map, (size_t)st.st_size);
	if (ret) {
		free(m);
		return ret;
	}
	*mp = m;
	return 0;
}

int lu_session_manifest_get(struct liveupdate_session *s, const char *call,
			    struct lu_manifest **mp)
{
	struct liveupdate_ctx *ctx;
	struct liveupdate_session_retrieve_fd req = {
		.size = sizeof(req), .fd = -1, .token = LIVEUPDATE_MANIFEST_TOKEN };
	struct lu_manifest *m;
	char why[512];
	int ret;

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
	ret = lu_backend_ioctl(ctx, s->fd, LIVEUPDATE_SESSION_RETRIEVE_FD, &req);
	if (ret == -ENOENT && s->finished)
		return lu_fail(ctx, LU_OP_MANIFEST, -ENODATA, "%s(\"%s\"): the session "
			       "is finished, and the kernel hands out no file after "
			       "that, the manifest included: read the manifest before "
			       "liveupdate_session_finish()", call, s->name);
	if (ret == -ENOENT)
		return lu_fail(ctx, LU_OP_MANIFEST, -ENODATA, "%s(\"%s\"): no file at "
			       "token %#" PRIx64, call, s->name, LIVEUPDATE_MANIFEST_TOKEN);
	if (ret < 0)
		return lu_fail(ctx, LU_OP_RETRIEVE_FD, ret, "%s(\"%s\"): retrieving "
			       "the manifest (token %#" PRIx64 ")", call, s->name,
			       LIVEUPDATE_MANIFEST_TOKEN);
	ret = lu_manifest_read_fd(req.fd, &m, why, sizeof(why));
	close(req.fd);
	if (ret == -ENOMEM)
		return lu_oom(ctx, "%s(\"%s\")", call, s->name);
	if (ret)
		return lu_fail(ctx, LU_OP_MANIFEST, ret, "%s(\"%s\"): the manifest: %s",
			       call, s->name, why);
	lu_dbg(ctx, "session \"%s\": manifest generation %" PRIu64 ", %zu files",
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
