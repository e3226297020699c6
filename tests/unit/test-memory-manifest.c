/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Memory objects as manifest entries (lib/memory-manifest.c): preserved
 * with label, backing and page size, options that contradict the object
 * refused, and found again by label across a simulated kexec, the file
 * winning over a manifest that disagrees.
 */
#include "memory-unit.h"

/* An entry of the incoming session's manifest, by label. */
static const struct liveupdate_entry *entry_of(struct liveupdate_session *in, const char *label)
{
	const struct liveupdate_entry *e = NULL;

	ck_assert_int_eq(liveupdate_session_find_entry(in, label, &e), 0);
	ck_assert_int_eq(e->kind, LIVEUPDATE_ENTRY_MEMORY);
	return e;
}

START_TEST(test_preserve_label)
{
	struct log_capture cap;
	struct liveupdate_ctx *ctx = memory_ctx(&cap, 0);
	char *root = fixture_new();
	struct liveupdate_meta meta[] = { { "numa-node", "1" } };
	struct liveupdate_session *s, *in;
	struct progress_log p = { 0 };
	struct liveupdate_memory *ram = shmem_with_pattern(ctx, 8 * MiB, &p), *thp, *back;
	const struct liveupdate_entry *e;
	uint64_t token = 0;
	int fd;
	LIVEUPDATE_OPTS(liveupdate_memory_opts, o, .host_root = root, .size = 4 * MiB,
			.backing = LIVEUPDATE_MEMORY_THP);
	LIVEUPDATE_OPTS(liveupdate_preserve_opts, po, .label = "ram0", .meta = meta,
			.n_meta = 1);

	/* THP as the object says (this host's memfd may hold no huge page) */
	fixture_thp(root, "advise", NULL);
	ck_assert_int_eq(liveupdate_memory_new(ctx, &o, &thp), 0);
	ck_assert_int_eq(liveupdate_session_create(ctx, "guest", &s), 0);

	/* options that contradict the object are refused, nothing recorded */
	po.kind = LIVEUPDATE_ENTRY_MEMFD;
	ck_assert_int_eq(liveupdate_memory_preserve_opts(ram, s, &po, NULL), -EINVAL);
	po.kind = LIVEUPDATE_ENTRY_MEMORY;
	po.backing = LIVEUPDATE_MEMORY_THP;
	ck_assert_int_eq(liveupdate_memory_preserve_opts(ram, s, &po, NULL), -EINVAL);
	ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "but the memory is SHMEM"));
	po.backing = 0;
	po.page_size = 2 * MiB;
	ck_assert_int_eq(liveupdate_memory_preserve_opts(ram, s, &po, NULL), -EINVAL);
	ck_assert_int_eq(liveupdate_session_count_entries(s), 0);
	ck_assert_int_eq(liveupdate_memory_preserve_opts(NULL, s, &po, NULL), -EINVAL);

	/* repeating them is fine */
	po.backing = LIVEUPDATE_MEMORY_SHMEM;
	po.page_size = 4096;
	ck_assert_int_eq(liveupdate_memory_preserve_opts(ram, s, &po, &token), 0);
	ck_assert_uint_ne(token, 0);
	LIVEUPDATE_OPTS(liveupdate_preserve_opts, tp, .label = "ram1");
	ck_assert_int_eq(liveupdate_memory_preserve_opts(thp, s, &tp, NULL), 0);
	/* the token call records the kind too */
	liveupdate_memory_unref(ram);
	ram = shmem_with_pattern(ctx, 4 * MiB, &p);
	ck_assert_int_eq(liveupdate_memory_preserve(ram, s, 77), 0);
	/* a manifest that disagrees with the file; a backing the library
	 * could not read back is refused when written */
	fd = pattern_memfd(1 << 20, 3);
	LIVEUPDATE_OPTS(liveupdate_preserve_opts, lie, .label = "lie",
			.kind = LIVEUPDATE_ENTRY_MEMORY, .backing = LIVEUPDATE_MEMORY_HUGETLB,
			.page_size = 2 * MiB);
	ck_assert_int_eq(liveupdate_session_preserve_fd_opts(s, fd, &lie, NULL), 0);
	close(fd);
	fd = pattern_memfd(1 << 20, 4);
	lie.label = "future";
	lie.backing = 9;
	ck_assert_int_eq(liveupdate_session_preserve_fd_opts(s, fd, &lie, NULL), -EINVAL);
	close(fd);
	liveupdate_memory_unref(ram);
	liveupdate_memory_unref(thp);
	ctx = seam_reboot(ctx, s);
	ck_assert_int_eq(liveupdate_session_retrieve(ctx, "guest", &in), 0);
	e = entry_of(in, "ram0");
	ck_assert_uint_eq(e->backing, LIVEUPDATE_MEMORY_SHMEM);
	ck_assert_uint_eq(e->page_size, 4096);
	ck_assert_uint_eq(e->token, token);
	ck_assert_str_eq(liveupdate_entry_get_meta(e, "numa-node"), "1");
	e = entry_of(in, "ram1");
	ck_assert_uint_eq(e->backing, LIVEUPDATE_MEMORY_THP);
	ck_assert_uint_eq(e->page_size, 2 * MiB);
	ck_assert_int_eq(liveupdate_session_get_entry(in, 2, &e), 0);
	ck_assert_int_eq(e->kind, LIVEUPDATE_ENTRY_MEMORY);
	ck_assert_uint_eq(e->token, 77);
	ck_assert_uint_eq(e->backing, LIVEUPDATE_MEMORY_SHMEM);

	ck_assert_int_eq(liveupdate_memory_retrieve_label(in, "nope", &back), -ENOENT);
	ck_assert_int_eq(liveupdate_memory_retrieve_label(in, NULL, &back), -EINVAL);
	ck_assert_int_eq(liveupdate_memory_retrieve_label(in, "ram0", &back), 0);
	ck_assert_int_eq(liveupdate_memory_get_backing(back), LIVEUPDATE_MEMORY_SHMEM);
	ck_assert_ptr_nonnull(strstr(liveupdate_memory_get_reason(back), "from the manifest"));
	check_mem_pattern(back);
	liveupdate_memory_unref(back);
	/* the recorded THP, not measured */
	ck_assert_int_eq(liveupdate_memory_retrieve_label(in, "ram1", &back), 0);
	ck_assert_int_eq(liveupdate_memory_get_backing(back), LIVEUPDATE_MEMORY_THP);
	ck_assert_uint_eq(liveupdate_memory_get_page_size(back), 2 * MiB);
	ck_assert_uint_eq(liveupdate_memory_get_size(back), 4 * MiB);
	liveupdate_memory_unref(back);
	/* the file wins over a manifest that disagrees */
	ck_assert_int_eq(liveupdate_memory_retrieve_label(in, "lie", &back), 0);
	ck_assert_int_eq(liveupdate_memory_get_backing(back), LIVEUPDATE_MEMORY_SHMEM);
	ck_assert_ptr_nonnull(strstr(liveupdate_memory_get_reason(back), "does not match"));
	liveupdate_memory_unref(back);
	ck_assert_int_eq(liveupdate_session_find_entry(in, "future", &e), -ENOENT);
	ck_assert_int_eq(liveupdate_session_finish(in), 0);
	liveupdate_session_unref(in);
	liveupdate_ctx_unref(ctx);
	fixture_free(root);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("memory-manifest");
	TCase *tc = tcase_create("memory-manifest");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_preserve_label);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
