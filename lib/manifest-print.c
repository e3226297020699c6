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

/* A label, key or value in double quotes, with ", \ and control bytes escaped. */
static void put_quoted(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void put_meta(FILE *f, const struct liveupdate_meta *meta, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		fputc(' ', f);
		put_quoted(f, meta[i].key);
		fputc('=', f);
		put_quoted(f, meta[i].value);
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
	struct lu_manifest *m;
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int ret = lu_session_manifest_get(session, call, &m);

	if (ret)
		return ret;
	/* the whole text first: a failure writes nothing */
	f = open_memstream(&text, &len);
	if (!f)
		return lu_oom(session->ctx, "%s(\"%s\")", call, session->name);
	fputs("session ", f);
	put_quoted(f, session->name);
	fprintf(f, " %s, manifest generation %" PRIu64 ", %zu file%s\n",
		session->direction == LIVEUPDATE_SESSION_OUTGOING ? "outgoing" : "incoming",
		m->generation, m->count, m->count == 1 ? "" : "s");
	if (m->n_session_meta) {
		fputs("meta", f);
		put_meta(f, m->session_meta, m->n_session_meta);
		fputc('\n', f);
	}
	for (size_t i = 0; i < m->count; i++) {
		const struct liveupdate_entry *e = &m->entries[i]->pub;

		fprintf(f, "file token=%" PRIu64 " label=", e->token);
		put_quoted(f, e->label);
		fprintf(f, " kind=%s size=%" PRIu64, kind_name(e->kind), e->size);
		if (e->kind == LIVEUPDATE_ENTRY_MEMORY)
			fprintf(f, " backing=%" PRIu32 " page-size=%" PRIu64, e->backing,
				e->page_size);
		put_meta(f, e->meta, e->n_meta);
		fputc('\n', f);
	}
	if (fclose(f) || !text) {
		free(text);
		return lu_oom(session->ctx, "%s(\"%s\")", call, session->name);
	}
	ret = write_all(fd, text, len);
	free(text);
	if (ret)
		return lu_fail(session->ctx, LU_OP_MANIFEST, ret, "%s(\"%s\"): writing "
			       "to fd %d", call, session->name, fd);
	return 0;
}
