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

/*
 * The manifest as text, built whole first (a failure writes nothing), then
 * written to fd. head starts the first line ("session \"x\" incoming").
 * 0, -ENOMEM, or an errno of write(2).
 */
static int print_text(const char *head, const struct lu_manifest *m, int fd)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int ret;

	if (!f)
		return -ENOMEM;
	fprintf(f, "%s, manifest generation %" PRIu64 ", %zu file%s", head,
		m->generation, m->count, m->count == 1 ? "" : "s");
	if (m->passed_over)
		fprintf(f, " (generation %" PRIu64 " damaged, not read)", m->passed_over);
	fputc('\n', f);
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
		return -ENOMEM;
	}
	ret = write_all(fd, text, len);
	free(text);
	return ret;
}

LU_EXPORT int liveupdate_session_print_manifest(struct liveupdate_session *session,
						int fd)
{
	static const char call[] = "liveupdate_session_print_manifest";
	struct lu_manifest *m;
	char *head = NULL;
	size_t len = 0;
	FILE *f;
	int ret = lu_session_manifest_get(session, call, &m);

	if (ret)
		return ret;
	f = open_memstream(&head, &len);
	if (!f)
		return lu_oom(session->ctx, "%s(\"%s\")", call, session->name);
	fputs("session ", f);
	put_quoted(f, session->name);
	fputs(session->direction == LIVEUPDATE_SESSION_OUTGOING ? " outgoing" : " incoming", f);
	if (fclose(f) || !head) {
		free(head);
		return lu_oom(session->ctx, "%s(\"%s\")", call, session->name);
	}
	ret = print_text(head, m, fd);
	free(head);
	if (ret == -ENOMEM)
		return lu_oom(session->ctx, "%s(\"%s\")", call, session->name);
	if (ret)
		return lu_fail(session->ctx, LU_OP_MANIFEST, ret, "%s(\"%s\"): writing "
			       "to fd %d", call, session->name, fd);
	return 0;
}

LU_EXPORT int liveupdate_manifest_print_fd(int manifest_fd, int out_fd)
{
	static const char call[] = "liveupdate_manifest_print_fd";
	struct lu_manifest *m = NULL;
	char why[512];
	int ret;

	if (manifest_fd < 0 || out_fd < 0)
		return lu_bad_arg(NULL, "%s: fd %d is negative", call,
				  manifest_fd < 0 ? manifest_fd : out_fd);
	ret = lu_manifest_read_fd(manifest_fd, &m, why, sizeof(why));
	if (ret == -ENOMEM)
		return lu_oom(NULL, "%s", call);
	if (ret)
		return lu_fail(NULL, LU_OP_MANIFEST, ret, "%s(fd %d): %s", call,
			       manifest_fd, why);
	ret = print_text("session (from its manifest memfd)", m, out_fd);
	lu_manifest_clear(m);
	free(m);
	if (ret == -ENOMEM)
		return lu_oom(NULL, "%s", call);
	if (ret)
		return lu_fail(NULL, LU_OP_MANIFEST, ret, "%s: writing to fd %d", call, out_fd);
	return 0;
}
