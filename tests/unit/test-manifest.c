/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The session manifest: labels, metadata, limits, damage, opting out. */
#include <fcntl.h>
#include <stdlib.h>
#include "unit.h"
#include "liveupdate-private.h"
#include "manifest-format.h"

/* Everything a program writes, back by label after the update. */
START_TEST(test_labels_across_kexec)
{
	struct log_capture cap;
	struct liveupdate_ctx *ctx = seam_ctx(&cap);
	struct liveupdate_session *s, *in;
	const struct liveupdate_entry *e, *e2;
	struct liveupdate_meta ram_meta[] = { { "node", "0" }, { "dirty-log", "" } };
	LIVEUPDATE_OPTS(liveupdate_preserve_opts, ram, .label = "guest-ram-0",
			.kind = LIVEUPDATE_ENTRY_MEMORY, .backing = 2,
			.page_size = 2u << 20, .meta = ram_meta, .n_meta = 2);
	LIVEUPDATE_OPTS(liveupdate_preserve_opts, vcpu, .label = "vcpu-state");
	LIVEUPDATE_OPTS(liveupdate_preserve_opts, fixed, .label = "fixed",
			.flags = LIVEUPDATE_PRESERVE_TOKEN, .token = 77);
	int fds = count_fds(), m1 = pattern_memfd(8192, 1), m2 = pattern_memfd(100, 2);
	int m3 = pattern_memfd(10, 3), m4 = pattern_memfd(20, 4), fd;
	uint64_t t1 = 0, t2 = 0, t3 = 0;
	const char *k, *v;

	ck_assert_int_eq(liveupdate_session_create(ctx, "vm", &s), 0);
	ck_assert_int_eq(liveupdate_session_count_entries(s), 0);
	ck_assert_int_eq(liveupdate_session_preserve_fd_opts(s, m1, &ram, &t1), 0);
	ck_assert_int_eq(liveupdate_session_preserve_fd_opts(s, m2, &vcpu, &t2), 0);
	ck_assert_int_eq(liveupdate_session_preserve_fd_opts(s, m3, &fixed, &t3), 0);
	ck_assert_int_eq(liveupdate_session_preserve_fd(s, m4, 5), 0); /* not recorded */
	ck_assert_uint_ne(t1, t2);
	ck_assert_uint_eq(t3, 77);
	ck_assert_int_eq(liveupdate_session_set_meta(s, "vmm", "qemu"), 0);
	ck_assert_int_eq(liveupdate_session_set_meta(s, "version", "1"), 0);
	ck_assert_int_eq(liveupdate_session_set_meta(s, "version", "2"), 0);
	/* the writer sees what it wrote; a preserve by token alone records nothing */
	ck_assert_int_eq(liveupdate_session_count_entries(s), 3);
	ck_assert_int_eq(liveupdate_session_find_entry(s, "vcpu-state", &e), 0);
	ck_assert_uint_eq(e->token, t2);
	close(m1); close(m2); close(m3); close(m4);

	ctx = seam_reboot(ctx, s);
	ck_assert_int_eq(liveupdate_session_retrieve(ctx, "vm", &in), 0);
	ck_assert_int_eq(liveupdate_session_count_entries(in), 3);
	ck_assert_int_eq(liveupdate_session_retrieve_fd_label(in, "guest-ram-0", &fd, &e), 0);
	check_pattern(fd, 8192, 1);
	close(fd);
	ck_assert_str_eq(e->label, "guest-ram-0");
	ck_assert_uint_eq(e->token, t1);
	ck_assert_int_eq(e->kind, LIVEUPDATE_ENTRY_MEMORY);
	ck_assert_uint_eq(e->backing, 2);
	ck_assert_uint_eq(e->page_size, 2u << 20);
	ck_assert_uint_eq(e->size, 8192);
	ck_assert_uint_eq(e->n_meta, 2);
	ck_assert_str_eq(liveupdate_entry_get_meta(e, "node"), "0");
	ck_assert_str_eq(liveupdate_entry_get_meta(e, "dirty-log"), "");
	ck_assert_ptr_null(liveupdate_entry_get_meta(e, "nope"));
	ck_assert_int_eq(liveupdate_session_find_entry(in, "vcpu-state", &e2), 0);
	ck_assert_int_eq(e2->kind, LIVEUPDATE_ENTRY_MEMFD); /* detected */
	ck_assert_uint_eq(e2->size, 100);
	ck_assert_uint_eq(e2->page_size, 0);
	/* iteration in preserve order, the file preserved by token alone not in it */
	ck_assert_int_eq(liveupdate_session_get_entry(in, 2, &e), 0);
	ck_assert_str_eq(e->label, "fixed");
	ck_assert_int_eq(liveupdate_session_get_entry(in, 3, &e), -ENOENT);
	ck_assert_int_eq(liveupdate_session_retrieve_fd(in, 5, &fd), 0);
	check_pattern(fd, 20, 4);
	close(fd);
	/* session metadata: the last value, keys in first-set order */
	ck_assert_int_eq(liveupdate_session_get_meta(in, "version", &v), 0);
	ck_assert_str_eq(v, "2");
	ck_assert_int_eq(liveupdate_session_get_meta_at(in, 0, &k, &v), 0);
	ck_assert_str_eq(k, "vmm");
	ck_assert_int_eq(liveupdate_session_get_meta_at(in, 2, &k, &v), -ENOENT);
	ck_assert_int_eq(liveupdate_session_get_meta(in, "nope", &v), -ENOENT);
	ck_assert_int_eq(liveupdate_session_find_entry(in, "nope", &e), -ENOENT);
	ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "no file has that label"));
	fd = -5;
	ck_assert_int_eq(liveupdate_session_retrieve_fd_label(in, "nope", &fd, NULL), -ENOENT);
	ck_assert_int_eq(fd, -5);
	/* tokens still work */
	ck_assert_int_eq(liveupdate_session_retrieve_fd(in, 77, &fd), 0);
	check_pattern(fd, 10, 3);
	close(fd);
	ck_assert_int_eq(liveupdate_session_finish(in), 0);
	/* read before finishing, the manifest stays */
	ck_assert_int_eq(liveupdate_session_find_entry(in, "vcpu-state", &e), 0);
	liveupdate_session_unref(in);
	liveupdate_ctx_unref(ctx);
	ck_assert_int_eq(count_fds(), fds);
}
END_TEST

/* Finished before its manifest was read: the kernel gives nothing more. */
START_TEST(test_finished_first)
{
	struct liveupdate_ctx *ctx = seam_ctx(NULL);
	struct liveupdate_session *s, *in;
	const struct liveupdate_entry *e;

	liveupdate_ctx_set_log_fn(ctx, NULL, NULL);
	ck_assert_int_eq(liveupdate_session_create(ctx, "f", &s), 0);
	ctx = seam_reboot(ctx, s);
	ck_assert_int_eq(liveupdate_session_retrieve(ctx, "f", &in), 0);
	ck_assert_int_eq(liveupdate_session_finish(in), 0);
	ck_assert_int_eq(liveupdate_session_find_entry(in, "x", &e), -ENODATA);
	ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "before liveupdate_session_finish"));
	liveupdate_session_unref(in);
	liveupdate_ctx_unref(ctx);
}
END_TEST

/* The text form, for tools. */
START_TEST(test_print)
{
	struct liveupdate_ctx *ctx = seam_ctx(NULL);
	struct liveupdate_session *s;
	struct liveupdate_meta meta[] = { { "say", "a \"b\"\n" } };
	LIVEUPDATE_OPTS(liveupdate_preserve_opts, o, .label = "disk", .meta = meta,
			.n_meta = 1, .flags = LIVEUPDATE_PRESERVE_TOKEN, .token = 9);
	int m = pattern_memfd(4096, 1), out = memfd_create("out", MFD_CLOEXEC);
	char buf[1024] = { 0 };

	liveupdate_ctx_set_log_fn(ctx, NULL, NULL);
	ck_assert_int_eq(liveupdate_session_create(ctx, "p", &s), 0);
	ck_assert_int_eq(liveupdate_session_set_meta(s, "vmm", "x"), 0);
	ck_assert_int_eq(liveupdate_session_preserve_fd_opts(s, m, &o, NULL), 0);
	ck_assert_int_eq(liveupdate_session_print_manifest(s, out), 0);
	ck_assert_int_gt(pread(out, buf, sizeof(buf) - 1, 0), 0);
	ck_assert_str_eq(buf, "session \"p\" outgoing, manifest generation 2, 1 file "
			 "recorded (files preserved by token alone are not)\n"
			 "meta \"vmm\"=\"x\"\n"
			 "file token=9 label=\"disk\" kind=memfd size=4096 "
			 "\"say\"=\"a \\\"b\\\"\\x0a\"\n");
	ck_assert_int_eq(liveupdate_session_print_manifest(s, -1), -EBADF);
	close(out);
	close(m);
	liveupdate_session_unref(s);
	liveupdate_ctx_unref(ctx);
}
END_TEST

/* What a tool (liveupdate-ctl) does with a session fd it is given. */
START_TEST(test_print_adopted)
{
	struct liveupdate_ctx *ctx = seam_ctx(NULL);
	struct liveupdate_session *s, *in, *adopted;
	LIVEUPDATE_OPTS(liveupdate_preserve_opts, o, .label = "ram");
	int m = pattern_memfd(4096, 1), out[2], fd;
	char a[512] = { 0 }, b[512] = { 0 };

	liveupdate_ctx_set_log_fn(ctx, NULL, NULL);
	ck_assert_int_eq(liveupdate_session_create(ctx, "vm", &s), 0);
	ck_assert_int_eq(liveupdate_session_preserve_fd_opts(s, m, &o, NULL), 0);
	close(m);
	ctx = seam_reboot(ctx, s);
	ck_assert_int_eq(liveupdate_session_retrieve(ctx, "vm", &in), 0);
	ck_assert_int_eq(liveupdate_session_adopt(ctx, fcntl(liveupdate_session_get_fd(in),
							     F_DUPFD_CLOEXEC, 0), &adopted), 0);
	for (int i = 0; i < 2; i++) {
		out[i] = memfd_create("out", MFD_CLOEXEC);
		ck_assert_int_eq(liveupdate_session_print_manifest(i ? in : adopted, out[i]), 0);
		ck_assert_int_gt(pread(out[i], i ? b : a, 511, 0), 0);
		close(out[i]);
	}
	ck_assert_str_eq(a, b);
	ck_assert_ptr_nonnull(strstr(a, "label=\"ram\" kind=memfd size=4096"));
	liveupdate_session_unref(adopted);
	/* the same from the manifest memfd alone, but for the first line */
	ck_assert_int_eq(liveupdate_session_retrieve_fd(in, LIVEUPDATE_MANIFEST_TOKEN, &fd), 0);
	out[0] = memfd_create("out", MFD_CLOEXEC);
	memset(b, 0, sizeof(b));
	ck_assert_int_eq(liveupdate_manifest_print_fd(fd, out[0]), 0);
	ck_assert_int_gt(pread(out[0], b, 511, 0), 0);
	ck_assert_str_eq(strchr(b, ','), strchr(a, ','));
	ck_assert(!strncmp(b, "session (from this manifest memfd alone), ", 42));
	ck_assert_int_eq(liveupdate_manifest_print_fd(-1, out[0]), -EINVAL);
	ck_assert_int_eq(liveupdate_manifest_print_fd(fd, -1), -EINVAL);
	close(fd);
	fd = pattern_memfd(8192, 3); /* not a manifest */
	ck_assert_int_eq(liveupdate_manifest_print_fd(fd, out[0]), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "liveupdate_manifest_print_fd"));
	close(fd);
	close(out[0]);
	/* reading the manifest took nothing away from the owner */
	ck_assert_int_eq(liveupdate_session_retrieve_fd_label(in, "ram", &fd, NULL), 0);
	check_pattern(fd, 4096, 1);
	close(fd);
	liveupdate_session_unref(in);
	liveupdate_ctx_unref(ctx);
}
END_TEST

/* What the library refuses, before the kernel sees anything. */
START_TEST(test_refused)
{
	struct log_capture cap;
	struct liveupdate_ctx *ctx = seam_ctx(&cap);
	struct liveupdate_session *s, *bare;
	struct liveupdate_meta dup[] = { { "k", "1" }, { "k", "2" } };
	struct liveupdate_meta nul[] = { { NULL, "1" } };
	char long_label[LIVEUPDATE_LABEL_MAX + 2];
	LIVEUPDATE_OPTS(liveupdate_preserve_opts, a, .label = "a");
	LIVEUPDATE_OPTS(liveupdate_preserve_opts, o);
	LIVEUPDATE_OPTS(liveupdate_session_opts, none, .flags = LIVEUPDATE_SESSION_NO_MANIFEST);
	int m = pattern_memfd(64, 1), m2 = pattern_memfd(64, 2);
	const struct liveupdate_entry *e;
	unsigned calls;

	ck_assert_int_eq(liveupdate_session_create(ctx, "s", &s), 0);
	ck_assert_int_eq(liveupdate_session_create_opts(ctx, "bare", &none, &bare), 0);
	ck_assert_int_eq(liveupdate_session_preserve_fd_opts(s, m, &a, NULL), 0);
	seam_count_reset();
	/* the reserved token, with or without a manifest */
	ck_assert_int_eq(liveupdate_session_preserve_fd(s, m2, LIVEUPDATE_MANIFEST_TOKEN), -EINVAL);
	ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "reserved for the session manifest"));
	ck_assert_int_eq(liveupdate_session_preserve_fd(bare, m2, LIVEUPDATE_MANIFEST_TOKEN), -EINVAL);
	ck_assert_int_eq(liveupdate_session_preserve_fd(s, m2, LIVEUPDATE_MANIFEST_TOKEN +
							LIVEUPDATE_MANIFEST_TOKENS - 1), -EINVAL);
	/* a label taken */
	ck_assert_int_eq(liveupdate_session_preserve_fd_opts(s, m2, &a, NULL), -EEXIST);
	ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "label \"a\""));
	/* labels, keys and values out of limits */
	memset(long_label, 'x', sizeof(long_label) - 1);
	long_label[sizeof(long_label) - 1] = '\0';
	o.label = long_label;
	ck_assert_int_eq(liveupdate_session_preserve_fd_opts(s, m2, &o, NULL), -EINVAL);
	o.label = "";
	ck_assert_int_eq(liveupdate_session_preserve_fd_opts(s, m2, &o, NULL), -EINVAL);
	o.label = "b";
	o.meta = dup;
	o.n_meta = 2;
	ck_assert_int_eq(liveupdate_session_preserve_fd_opts(s, m2, &o, NULL), -EINVAL);
	ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "given twice"));
	o.meta = nul;
	o.n_meta = 1;
	ck_assert_int_eq(liveupdate_session_preserve_fd_opts(s, m2, &o, NULL), -EINVAL);
	o.meta = NULL;
	ck_assert_int_eq(liveupdate_session_preserve_fd_opts(s, m2, &o, NULL), -EINVAL);
	o.n_meta = 0;
	o.flags = 0x80;
	ck_assert_int_eq(liveupdate_session_preserve_fd_opts(s, m2, &o, NULL), -EINVAL);
	o.flags = 0;
	o.kind = (enum liveupdate_entry_kind)4;
	ck_assert_int_eq(liveupdate_session_preserve_fd_opts(s, m2, &o, NULL), -EINVAL);
	o.kind = LIVEUPDATE_ENTRY_AUTO;
	o.sz = 3;
	ck_assert_int_eq(liveupdate_session_preserve_fd_opts(s, m2, &o, NULL), -EINVAL);
	o.sz = sizeof(o);
	/* labels need a manifest */
	ck_assert_int_eq(liveupdate_session_preserve_fd_opts(bare, m2, &o, NULL), -EINVAL);
	ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "LIVEUPDATE_SESSION_NO_MANIFEST"));
	ck_assert_int_eq(liveupdate_session_set_meta(bare, "k", "v"), -ENODATA);
	ck_assert_int_eq(liveupdate_session_count_entries(bare), -ENODATA);
	ck_assert_int_eq(liveupdate_session_set_meta(s, "", "v"), -EINVAL);
	calls = seam_calls();
	ck_assert_uint_eq(calls, 0); /* none reached the kernel */
	/* nothing changed: m2 was not preserved, the manifest holds one file */
	ck_assert_int_eq(liveupdate_session_count_entries(s), 1);
	ck_assert_int_eq(liveupdate_session_preserve_fd_opts(s, m2, &o, NULL), 0);
	ck_assert_int_eq(liveupdate_session_find_entry(s, "b", &e), 0);
	/* bad session options */
	none.flags = 0x10;
	ck_assert_int_eq(liveupdate_session_create_opts(ctx, "x", &none, &bare), -EINVAL);
	none.flags = 0;
	none.manifest_size = 12345;
	ck_assert_int_eq(liveupdate_session_create_opts(ctx, "x", &none, &bare), -EINVAL);
	none.manifest_size = 128u << 20;
	ck_assert_int_eq(liveupdate_session_create_opts(ctx, "x", &none, &bare), -EINVAL);
	ck_assert_int_eq(seam_outgoing_sessions(), 2);
	close(m);
	close(m2);
	liveupdate_session_unref(bare);
	liveupdate_session_unref(s);
	liveupdate_ctx_unref(ctx);
}
END_TEST

/* A manifest grows in pieces as it fills: the first of manifest_size,
 * each next one twice the last; -ENOSPC only at the 64 MiB limit. */
START_TEST(test_grows)
{
	struct liveupdate_ctx *ctx = seam_ctx(NULL);
	struct liveupdate_session *s, *in;
	LIVEUPDATE_OPTS(liveupdate_session_opts, small, .manifest_size = 4096);
	LIVEUPDATE_OPTS(liveupdate_preserve_opts, o);
	struct lu_manifest limit = { .first_size = 4096 };
	size_t n_pieces = 0, size;
	char label[32];
	int fd;

	liveupdate_ctx_set_log_fn(ctx, NULL, NULL);
	ck_assert_int_eq(liveupdate_session_create_opts(ctx, "small", &small, &s), 0);
	ck_assert_uint_eq(lu_session_manifest(s)->n_pieces, 0); /* nothing made before it is needed */
	o.label = label;
	for (int i = 0; i < 300; i++) {
		int m = pattern_memfd(16, (unsigned)i);

		snprintf(label, sizeof(label), "file-%d", i);
		ck_assert_int_eq(liveupdate_session_preserve_fd_opts(s, m, &o, NULL), 0);
		close(m);
	}
	/* 300 records of 72 bytes: pieces of 4, 8 and 16 KiB */
	ck_assert_uint_eq(lu_session_manifest(s)->n_pieces, 3);
	ck_assert_uint_eq(lu_session_manifest(s)->pieces[2].size, 16384);
	ck_assert_int_eq(liveupdate_session_set_meta(s, "k", "v"), 0);
	ctx = seam_reboot(ctx, s);
	ck_assert_int_eq(liveupdate_session_retrieve(ctx, "small", &in), 0);
	ck_assert_int_eq(liveupdate_session_count_entries(in), 300);
	ck_assert_int_eq(liveupdate_session_retrieve_fd_label(in, "file-299", &fd, NULL), 0);
	check_pattern(fd, 16, 299);
	close(fd);
	liveupdate_session_unref(in);
	liveupdate_ctx_unref(ctx);

	/* the limit: pieces double until 64 MiB in all would be passed */
	limit.pieces = calloc(LU_MF_PIECES_MAX, sizeof(*limit.pieces));
	while ((size = lu_manifest_next_piece_size(&limit, 100)) != 0) {
		lu_manifest_add_piece(&limit, NULL, size);
		n_pieces++;
	}
	ck_assert_uint_eq(n_pieces, 14); /* 4 KiB .. 32 MiB */
	ck_assert_uint_le(limit.total, LU_MF_MAX_SIZE);
	free(limit.pieces);
}
END_TEST

/* Tokens the library picks skip those taken, by it or by someone else. */
START_TEST(test_auto_tokens)
{
	struct liveupdate_ctx *ctx = seam_ctx(NULL);
	struct liveupdate_session *s, *adopted;
	uint64_t t = 0;
	int m[4], dup;

	liveupdate_ctx_set_log_fn(ctx, NULL, NULL);
	for (int i = 0; i < 4; i++)
		m[i] = pattern_memfd(16, (unsigned)i);
	ck_assert_int_eq(liveupdate_session_create(ctx, "auto", &s), 0);
	ck_assert_int_eq(liveupdate_session_preserve_fd(s, m[0], 2), 0);
	ck_assert_int_eq(liveupdate_session_preserve_fd_opts(s, m[1], NULL, &t), 0);
	ck_assert_uint_eq(t, 1);
	ck_assert_int_eq(liveupdate_session_preserve_fd_opts(s, m[2], NULL, &t), 0);
	ck_assert_uint_eq(t, 3); /* 2 is taken: the kernel said EEXIST */
	/* an adopted outgoing session has no manifest here: the kernel's
	 * EEXIST steers the choice past 1, 2 and 3 */
	dup = fcntl(liveupdate_session_get_fd(s), F_DUPFD_CLOEXEC, 0);
	ck_assert_int_eq(liveupdate_session_adopt(ctx, dup, &adopted), 0);
	ck_assert_int_eq(liveupdate_session_preserve_fd_opts(adopted, m[3], NULL, &t), 0);
	ck_assert_uint_eq(t, 4);
	ck_assert_int_eq(liveupdate_session_count_entries(adopted), -ENODATA);
	for (int i = 0; i < 4; i++)
		close(m[i]);
	liveupdate_session_unref(adopted);
	liveupdate_session_unref(s);
	liveupdate_ctx_unref(ctx);
}
END_TEST

/* Write bytes into a piece of the session's manifest, as damage would. */
static void scribble(struct liveupdate_session *s, size_t piece, size_t off,
		     const void *bytes, size_t len)
{
	memcpy(lu_session_manifest(s)->pieces[piece].map + off, bytes, len);
}

/* A damaged last record reads as torn (the state before it, with a
 * warning); a damaged record with records after it, or a damaged piece
 * header: EBADMSG, and tokens still work. */
START_TEST(test_damage)
{
	struct log_capture cap;
	struct liveupdate_ctx *ctx = seam_ctx(&cap);
	struct liveupdate_session *s, *in;
	LIVEUPDATE_OPTS(liveupdate_preserve_opts, o, .label = "one",
			.flags = LIVEUPDATE_PRESERVE_TOKEN, .token = 1);
	int m1 = pattern_memfd(16, 1), m2 = pattern_memfd(16, 2), fd;
	const struct liveupdate_entry *e;
	uint8_t junk = 0xa5;

	for (int run = 0; run < 3; run++) {
		char name[8];

		snprintf(name, sizeof(name), "d%d", run);
		ck_assert_int_eq(liveupdate_session_create(ctx, name, &s), 0);
		o.label = "one";
		o.token = 1;
		close(m1);
		m1 = pattern_memfd(16, 1);
		ck_assert_int_eq(liveupdate_session_preserve_fd_opts(s, m1, &o, NULL), 0);
		o.label = "two";
		o.token = 2;
		close(m2);
		m2 = pattern_memfd(16, 2);
		ck_assert_int_eq(liveupdate_session_preserve_fd_opts(s, m2, &o, NULL), 0);
		/* records of 64 bytes from offset 32: the second one's label,
		 * the first one's label, the piece header */
		scribble(s, 0, run == 0 ? 32 + 64 + 57 : run == 1 ? 32 + 57 : 20, &junk, 1);
		ctx = seam_reboot(ctx, s);
		ck_assert_int_eq(liveupdate_session_retrieve(ctx, name, &in), 0);
		if (run == 0) {
			memset(&cap, 0, sizeof(cap));
			liveupdate_ctx_set_log_fn(ctx, capture_log, &cap);
			liveupdate_ctx_set_log_priority(ctx, LOG_WARNING);
			ck_assert_int_eq(liveupdate_session_count_entries(in), 1);
			ck_assert_ptr_nonnull(strstr(cap.all, "record 2 is incomplete"));
			ck_assert_int_eq(cap.last_priority, LOG_WARNING);
			ck_assert_int_eq(liveupdate_session_find_entry(in, "one", &e), 0);
			ck_assert_int_eq(liveupdate_session_find_entry(in, "two", &e), -ENOENT);
		} else {
			ck_assert_int_eq(liveupdate_session_find_entry(in, "one", &e), -EBADMSG);
			ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), run == 1
						     ? "records follow it"
						     : "header checksum mismatch"));
			ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "retrieved by token"));
		}
		ck_assert_int_eq(liveupdate_session_retrieve_fd(in, 2, &fd), 0);
		check_pattern(fd, 16, 2);
		close(fd);
		liveupdate_session_unref(in);
	}
	close(m1);
	close(m2);
	liveupdate_ctx_unref(ctx);
}
END_TEST

/* A manifest of a format this library does not know: refused by name. */
START_TEST(test_unknown_version)
{
	struct liveupdate_ctx *ctx = seam_ctx(NULL);
	struct liveupdate_session *s, *in;
	LIVEUPDATE_OPTS(liveupdate_preserve_opts, o, .label = "x");
	int m = pattern_memfd(16, 1);
	uint8_t h[LU_MF_HEADER_SIZE];
	uint32_t crc;
	long n;

	liveupdate_ctx_set_log_fn(ctx, NULL, NULL);
	ck_assert_int_eq(liveupdate_session_create(ctx, "v", &s), 0);
	ck_assert_int_eq(liveupdate_session_preserve_fd_opts(s, m, &o, NULL), 0);
	close(m);
	memcpy(h, lu_session_manifest(s)->pieces[0].map, sizeof(h));
	h[8] = 3; /* major 3 */
	crc = lu_util_crc32(0, h, LU_MF_HEADER_SIZE - 4);
	memcpy(h + LU_MF_HEADER_SIZE - 4, &crc, 4); /* little-endian host */
	scribble(s, 0, 0, h, sizeof(h));
	ctx = seam_reboot(ctx, s);
	ck_assert_int_eq(liveupdate_session_retrieve(ctx, "v", &in), 0);
	n = liveupdate_session_count_entries(in);
	ck_assert_int_eq(n, -EBADMSG);
	ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "format version 3.0"));
	liveupdate_session_unref(in);
	liveupdate_ctx_unref(ctx);
}
END_TEST

/* Sessions without a manifest: opted out, or someone else's. */
START_TEST(test_no_manifest)
{
	struct liveupdate_ctx *ctx = seam_ctx(NULL);
	struct liveupdate_session *s, *in;
	LIVEUPDATE_OPTS(liveupdate_session_opts, none, .flags = LIVEUPDATE_SESSION_NO_MANIFEST);
	int m = pattern_memfd(16, 1), fd, fds = count_fds();
	const struct liveupdate_entry *e;

	liveupdate_ctx_set_log_fn(ctx, NULL, NULL);
	ck_assert_int_eq(liveupdate_session_create_opts(ctx, "raw", &none, &s), 0);
	ck_assert_int_eq(liveupdate_session_preserve_fd(s, m, 0), 0);
	ck_assert_int_eq(liveupdate_session_count_entries(s), -ENODATA);
	ctx = seam_reboot(ctx, s);
	ck_assert_int_eq(liveupdate_session_retrieve(ctx, "raw", &in), 0);
	ck_assert_int_eq(liveupdate_session_find_entry(in, "x", &e), -ENODATA);
	ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "no file at token"));
	ck_assert_int_eq(liveupdate_session_retrieve_fd(in, 0, &fd), 0);
	check_pattern(fd, 16, 1);
	close(fd);
	close(m);
	liveupdate_session_unref(in);
	liveupdate_ctx_unref(ctx);
	ck_assert_int_eq(count_fds(), fds - 1);
}
END_TEST

/* Creating a session makes no manifest file; a failure while making the
 * first piece (at the first labelled preserve) changes nothing. */
START_TEST(test_first_piece_fails_cleanly)
{
	struct liveupdate_ctx *ctx = seam_ctx(NULL);
	struct liveupdate_session *s = NULL, *other;
	LIVEUPDATE_OPTS(liveupdate_preserve_opts, o, .label = "a");
	LIVEUPDATE_OPTS(liveupdate_session_opts, none, .flags = LIVEUPDATE_SESSION_NO_MANIFEST);
	int m = pattern_memfd(16, 1), fds;

	liveupdate_ctx_set_log_fn(ctx, NULL, NULL);
	ck_assert_int_eq(liveupdate_ctx_open_device(ctx), 0);
	seam_count_reset();
	ck_assert_int_eq(liveupdate_session_create(ctx, "f", &s), 0);
	ck_assert_uint_eq(seam_calls(), 1); /* the create, as raw */
	fds = count_fds();
	seam_fail_call(1, ENOMEM); /* 1: the first piece's preserve */
	ck_assert_int_eq(liveupdate_session_preserve_fd_opts(s, m, &o, NULL), -ENOMEM);
	ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "piece 0 of its manifest"));
	ck_assert_int_eq(count_fds(), fds);
	ck_assert_int_eq(liveupdate_session_count_entries(s), 0);
	/* the file is not preserved: another session takes it */
	ck_assert_int_eq(liveupdate_session_create_opts(ctx, "other", &none, &other), 0);
	ck_assert_int_eq(liveupdate_session_preserve_fd(other, m, 1), 0);
	liveupdate_session_unref(other);
	ck_assert_int_eq(liveupdate_session_preserve_fd_opts(s, m, &o, NULL), 0);
	ck_assert_int_eq(liveupdate_session_count_entries(s), 1);
	close(m);
	liveupdate_session_unref(s);
	liveupdate_ctx_unref(ctx);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("manifest");
	TCase *tc = tcase_create("manifest");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_labels_across_kexec);
	tcase_add_test(tc, test_finished_first);
	tcase_add_test(tc, test_print);
	tcase_add_test(tc, test_print_adopted);
	tcase_add_test(tc, test_refused);
	tcase_add_test(tc, test_grows);
	tcase_add_test(tc, test_auto_tokens);
	tcase_add_test(tc, test_damage);
	tcase_add_test(tc, test_unknown_version);
	tcase_add_test(tc, test_no_manifest);
	tcase_add_test(tc, test_first_piece_fails_cleanly);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
