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

/*
 * The bytes of the printable UTF-8 character that starts s, or 0 for a
 * byte that starts none: a control character (C0, DEL, C1), a byte that is
 * not UTF-8, an overlong form, a surrogate, a code point past U+10FFFF.
 * s is NUL-terminated, and a NUL ends any sequence.
 */
static size_t printable_utf8(const unsigned char *s)
{
	size_t len;
	uint32_t cp;

	if (s[0] >= 0x20 && s[0] < 0x7f)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1fu;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0fu;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07u;
	else
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3fu);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp < 0xa0))
		return 0;
	return len;
}

/*
 * A label, key or value in double quotes. One rule: printable UTF-8 as it
 * is, but " and \ as \" and \\; every other byte as \xHH.
 */
static void put_quoted(FILE *f, const char *text)
{
	const unsigned char *s = (const unsigned char *)text;

	fputc('"', f);
	while (*s) {
		size_t n = printable_utf8(s);

		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if (n)
			fwrite(s, 1, n, f);
		else
			fprintf(f, "\\x%02x", *s);
		s += n ? n : 1;
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

/* The backing by name ("thp"); a number this library does not know as is. */
static void put_backing(FILE *f, uint32_t backing, uint64_t page_size)
{
	const char *name = lu_mf_backing_name(backing);

	if (name)
		fprintf(f, " backing=%s", name);
	else
		fprintf(f, " backing=%" PRIu32, backing);
	fprintf(f, " page-size=%" PRIu64, page_size);
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
	fprintf(f, "%s, manifest generation %" PRIu64 ", %zu file%s recorded (files "
		"preserved by token alone are not)", head, m->generation, m->count,
		m->count == 1 ? "" : "s");
	if (m->torn)
		fprintf(f, " (record %" PRIu64 " incomplete, not read)", m->torn);
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
			put_backing(f, e->backing, e->page_size);
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
	ret = lu_manifest_read_fds(&manifest_fd, 1, &m, why, sizeof(why));
	if (ret == -ENOMEM)
		return lu_oom(NULL, "%s", call);
	if (ret)
		return lu_fail(NULL, LU_OP_MANIFEST, ret, "%s(fd %d): %s", call,
			       manifest_fd, why);
	ret = print_text("session (from this manifest memfd alone)", m, out_fd);
	lu_manifest_clear(m);
	free(m);
	if (ret == -ENOMEM)
		return lu_oom(NULL, "%s", call);
	if (ret)
		return lu_fail(NULL, LU_OP_MANIFEST, ret, "%s: writing to fd %d", call, out_fd);
	return 0;
}
