/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A session manifest as text, for people and tools (liveupdate-ctl). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "liveupdate-private.h"
#include "manifest-format.h"

/* A growing text buffer, written out once at the end. */
struct text {
	char *buf;
	size_t len, cap;
	bool oom;
};

static void add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct text *t, const char *fmt, ...)
{
	va_list args;
	int n;

	if (t->oom)
		return;
	for (;;) {
		va_start(args, fmt);
		n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, args);
		va_end(args);
		if (n >= 0 && (size_t)n < t->cap - t->len) {
			t->len += (size_t)n;
			return;
		}
		char *p = realloc(t->buf, t->cap ? 2 * t->cap + (size_t)n : 4096);

		if (!p || n < 0) {
			t->oom = true;
			return;
		}
		t->cap = t->cap ? 2 * t->cap + (size_t)n : 4096;
		t->buf = p;
	}
}

/* A label, key or value in double quotes, with ", \ and control bytes escaped. */
static void add_quoted(struct text *t, const char *s)
{
	add(t, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			add(t, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			add(t, "\\x%02x", c);
		else
			add(t, "%c", c);
	}
	add(t, "\"");
}

static void add_meta(struct text *t, const struct liveupdate_meta *meta, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		add(t, " ");
		add_quoted(t, meta[i].key);
		add(t, "=");
		add_quoted(t, meta[i].value);
	}
}

static const char *kind_name(enum liveupdate_entry_kind kind)
{
	switch (kind) {
	case LIVEUPDATE_ENTRY_MEMFD: return "memfd";
	case LIVEUPDATE_ENTRY_MEMORY: return "memory";
	default: return "other";
	}
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

LU_EXPORT int liveupdate_session_print_manifest(struct liveupdate_session *session,
						int fd)
{
	static const char call[] = "liveupdate_session_print_manifest";
	struct text t = { 0 };
	struct lu_manifest *m;
	int ret = lu_session_manifest_get(session, call, &m);

	if (ret)
		return ret;
	add(&t, "session ");
	add_quoted(&t, session->name);
	add(&t, " %s, manifest generation %" PRIu64 ", %zu file%s\n",
	    session->direction == LIVEUPDATE_SESSION_OUTGOING ? "outgoing" : "incoming",
	    m->generation, m->count, m->count == 1 ? "" : "s");
	if (m->n_session_meta) {
		add(&t, "meta");
		add_meta(&t, m->session_meta, m->n_session_meta);
		add(&t, "\n");
	}
	for (size_t i = 0; i < m->count; i++) {
		const struct liveupdate_entry *e = &m->entries[i]->pub;

		add(&t, "file token=%" PRIu64 " label=", e->token);
		add_quoted(&t, e->label);
		add(&t, " kind=%s size=%" PRIu64, kind_name(e->kind), e->size);
		if (e->kind == LIVEUPDATE_ENTRY_MEMORY)
			add(&t, " backing=%" PRIu32 " page-size=%" PRIu64, e->backing,
			    e->page_size);
		add_meta(&t, e->meta, e->n_meta);
		add(&t, "\n");
	}
	if (t.oom) {
		free(t.buf);
		return lu_oom(session->ctx, "%s(\"%s\")", call, session->name);
	}
	ret = write_all(fd, t.buf, t.len);
	free(t.buf);
	if (ret)
		return lu_fail(session->ctx, LU_OP_MANIFEST, ret, "%s(\"%s\"): writing "
			       "to fd %d", call, session->name, fd);
	return 0;
}
