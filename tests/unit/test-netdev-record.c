/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The network devices' record: encode and decode agree, every corruption
 * is refused, and the record crosses a (simulated) kexec in a session.
 * Needs no privilege: no device is touched.
 */
#include <stdlib.h>

#include "unit.h"
#include "liveupdate-private.h"
#include "netdev-sample.h"

static struct liveupdate_netdevs *sample_set(struct liveupdate_ctx *ctx)
{
	struct liveupdate_netdevs *set;

	ck_assert_int_eq(liveupdate_netdevs_new(ctx, &set), 0);
	set->n = netdev_sample(set->devs);
	return set;
}

/* The record's CRC-32 (bytes 20..23) made right again after an edit. */
static void fix_crc(uint8_t *buf, size_t size)
{
	uint32_t crc = lu_netdev_record_crc(buf, size);

	for (int i = 0; i < 4; i++)
		buf[20 + i] = (uint8_t)(crc >> (8 * i));
}

START_TEST(test_roundtrip)
{
	struct liveupdate_ctx *ctx;
	struct liveupdate_netdevs *set, *back;
	void *buf, *buf2;
	size_t size, size2;

	ck_assert_int_eq(liveupdate_ctx_new(NULL, &ctx), 0);
	set = sample_set(ctx);
	ck_assert_int_eq(liveupdate_netdevs_encode(set, &buf, &size), 0);
	ck_assert_int_eq(liveupdate_netdevs_decode(ctx, buf, size, &back), 0);
	ck_assert_int_eq(liveupdate_netdevs_get_count(back), 3);
	ck_assert_str_eq(liveupdate_netdevs_get_name(back, 1), "tap0");
	ck_assert_ptr_null(liveupdate_netdevs_get_name(back, 3));
	ck_assert_mem_eq(back->devs, set->devs, 3 * sizeof(set->devs[0]));
	ck_assert_int_eq(liveupdate_netdevs_encode(back, &buf2, &size2), 0);
	ck_assert_uint_eq(size2, size);
	ck_assert_mem_eq(buf2, buf, size);
	/* not restored yet: no queue fds */
	ck_assert_int_eq(liveupdate_netdevs_get_queues(back, "tap0"), 0);
	ck_assert_int_eq(liveupdate_netdevs_get_queues(back, "nope"), -ENODEV);
	int fd = -7;
	ck_assert_int_eq(liveupdate_netdevs_take_queue_fd(back, "tap0", 0, &fd), -ENOENT);
	ck_assert_int_eq(fd, -7);
	free(buf);
	free(buf2);
	ck_assert_ptr_null(liveupdate_netdevs_unref(back));
	ck_assert_ptr_null(liveupdate_netdevs_unref(set));
	liveupdate_ctx_unref(ctx);
}
END_TEST

/* Any single flipped bit, any truncation, any extra byte: refused. */
START_TEST(test_corruption)
{
	struct liveupdate_ctx *ctx;
	struct liveupdate_netdevs *set, *back = NULL;
	uint8_t *buf;
	size_t size;

	ck_assert_int_eq(liveupdate_ctx_new(NULL, &ctx), 0);
	liveupdate_ctx_set_log_fn(ctx, NULL, NULL);
	set = sample_set(ctx);
	ck_assert_int_eq(liveupdate_netdevs_encode(set, (void **)&buf, &size), 0);
	for (size_t i = 0; i < size * 8; i++) {
		buf[i / 8] ^= (uint8_t)(1u << (i % 8));
		int ret = liveupdate_netdevs_decode(ctx, buf, size, &back);
		ck_assert_msg(ret == -EBADMSG || ret == -EPROTONOSUPPORT,
			      "bit %zu flipped: %d", i, ret);
		buf[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
	for (size_t n = 0; n < size; n++)
		ck_assert_int_eq(liveupdate_netdevs_decode(ctx, buf, n, &back), -EBADMSG);
	buf = realloc(buf, size + 1);
	buf[size] = 0;
	ck_assert_int_eq(liveupdate_netdevs_decode(ctx, buf, size + 1, &back), -EBADMSG);
	ck_assert_ptr_null(back);
	free(buf);
	liveupdate_netdevs_unref(set);
	liveupdate_ctx_unref(ctx);
}
END_TEST

/* A right checksum does not make a bad field good. */
START_TEST(test_bad_fields)
{
	struct liveupdate_ctx *ctx;
	struct liveupdate_netdevs *set, *back = NULL;
	const size_t dev1 = 24 + 92 + 2 * 18; /* the tap, after the bridge */
	static const struct { size_t off; uint8_t val; int err; const char *what; } cases[] = {
		{ 8, 2, -EPROTONOSUPPORT, "version 2" },
		{ 16, 9, -EBADMSG, "device count" },
		{ 24 + 0, 9, -EBADMSG, "bridge kind" },
		{ 24 + 2, 17, -EBADMSG, "17 addresses" },
		{ 24 + 4, 0, -EBADMSG, "empty name" },
		{ 24 + 5, '/', -EBADMSG, "name with a slash" },
		{ 24 + 19, 'x', -EBADMSG, "name not terminated" },
		{ 24 + 20, 1, -EBADMSG, "multicast MAC" },
		{ 24 + 30, 1, -EBADMSG, "MTU over 65535" },
		{ 24 + 92, 7, -EBADMSG, "address family" },
		{ dev1 + 1, 0xff, -EBADMSG, "flags" },
		{ dev1 + 3, 5, -EBADMSG, "port state" },
		{ dev1 + 40, 0, -EBADMSG, "0 queues" },
		{ dev1 + 41, 1, -EBADMSG, "260 queues" },
		{ dev1 + 26, 0x03, -EBADMSG, "tun and tap" },
		{ dev1 + 64, 'c', -EBADMSG, "a bridge not in the record" },
		{ dev1 + 82, 1, -EBADMSG, "reserved bytes" },
		{ dev1 + 4, 0, -EBADMSG, "tap renamed br0: two devices of one name" },
	};

	ck_assert_int_eq(liveupdate_ctx_new(NULL, &ctx), 0);
	liveupdate_ctx_set_log_fn(ctx, NULL, NULL);
	set = sample_set(ctx);
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		uint8_t *buf;
		size_t size;

		ck_assert_int_eq(liveupdate_netdevs_encode(set, (void **)&buf, &size), 0);
		buf[cases[c].off] = cases[c].val;
		if (c == sizeof(cases) / sizeof(cases[0]) - 1)
			memcpy(buf + cases[c].off, "br0", 4);
		fix_crc(buf, size);
		ck_assert_msg(liveupdate_netdevs_decode(ctx, buf, size, &back) == cases[c].err,
			      "%s: %s", cases[c].what, liveupdate_last_error());
		ck_assert_ptr_null(back);
		free(buf);
	}
	/* what EBADMSG means here, not libc's "Bad message" */
	ck_assert_ptr_nonnull(strstr(liveupdate_strerror(-EBADMSG), "record"));
	liveupdate_netdevs_unref(set);
	liveupdate_ctx_unref(ctx);
}
END_TEST

START_TEST(test_bad_args)
{
	struct liveupdate_ctx *ctx;
	struct liveupdate_netdevs *set;
	LIVEUPDATE_OPTS(liveupdate_netdev_opts, o, .flags = 0x80);
	int p[2];

	ck_assert_int_eq(liveupdate_ctx_new(NULL, &ctx), 0);
	liveupdate_ctx_set_log_fn(ctx, NULL, NULL);
	ck_assert_int_eq(liveupdate_netdevs_new(NULL, &set), -EINVAL);
	ck_assert_int_eq(liveupdate_netdevs_new(ctx, NULL), -EINVAL);
	ck_assert_int_eq(liveupdate_netdevs_new(ctx, &set), 0);
	ck_assert_int_eq(liveupdate_netdevs_add(set, NULL, NULL), -EINVAL);
	ck_assert_int_eq(liveupdate_netdevs_add(set, "", NULL), -EINVAL);
	ck_assert_int_eq(liveupdate_netdevs_add(set, "a/b", NULL), -EINVAL);
	ck_assert_int_eq(liveupdate_netdevs_add(set, "sixteen-bytes-xx", NULL), -EINVAL);
	ck_assert_int_eq(liveupdate_netdevs_add(set, "lo", &o), -EINVAL);
	ck_assert_int_eq(liveupdate_netdevs_add_tap_fd(set, -1, NULL), -EINVAL);
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(liveupdate_netdevs_add_tap_fd(set, p[0], NULL), -ENOTTY);
	close(p[0]);
	close(p[1]);
	ck_assert_int_eq(liveupdate_netdevs_get_count(set), 0);
	ck_assert_int_eq(liveupdate_netdevs_get_count(NULL), -EINVAL);
	ck_assert_int_eq(liveupdate_netdevs_restore(NULL), -EINVAL);
	ck_assert_int_eq(liveupdate_netdevs_decode(ctx, NULL, 0, &set), -EINVAL);
	ck_assert_ptr_null(liveupdate_netdevs_unref(NULL));
	liveupdate_netdevs_unref(set);
	liveupdate_ctx_unref(ctx);
}
END_TEST

/* Preserved in a session as a memfd, retrieved after a simulated kexec. */
START_TEST(test_session)
{
	struct log_capture cap;
	struct liveupdate_ctx *ctx = seam_ctx(&cap);
	struct liveupdate_netdevs *set = sample_set(ctx), *back;
	struct liveupdate_session *s, *in;
	const struct liveupdate_entry *entry;

	ck_assert_int_eq(liveupdate_session_create(ctx, "vmm", &s), 0);
	ck_assert_int_eq(liveupdate_netdevs_preserve(set, s, 77), 0);
	ck_assert_int_eq(liveupdate_netdevs_preserve(set, s, 77), -EEXIST);
	/* the label is the session's one set: a second under another token */
	ck_assert_int_eq(liveupdate_netdevs_preserve(set, s, 79), -EEXIST);
	ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "liveupdate-netdevs"));
	ctx = seam_reboot(ctx, s);
	ck_assert_int_eq(liveupdate_session_retrieve(ctx, "vmm", &in), 0);
	ck_assert_int_eq(liveupdate_netdevs_retrieve(in, 78, &back), -ENOENT);
	/* found by the label its documentation gives, as a memfd */
	ck_assert_msg(liveupdate_session_find_entry(in, "liveupdate-netdevs", &entry) == 0,
		      "%s", liveupdate_last_error());
	ck_assert_uint_eq(entry->token, 77);
	ck_assert_int_eq(entry->kind, LIVEUPDATE_ENTRY_MEMFD);
	ck_assert_int_eq(liveupdate_session_count_entries(in), 1);
	ck_assert_int_eq(liveupdate_netdevs_retrieve(in, entry->token, &back), 0);
	liveupdate_netdevs_unref(back);
	ck_assert_int_eq(liveupdate_netdevs_retrieve(in, 77, &back), 0);
	ck_assert_int_eq(liveupdate_netdevs_get_count(back), 3);
	ck_assert_mem_eq(back->devs, set->devs, 3 * sizeof(set->devs[0]));
	liveupdate_netdevs_unref(back);
	liveupdate_session_unref(in);
	liveupdate_netdevs_unref(set);
	liveupdate_ctx_unref(ctx);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("netdev-record");
	TCase *tc = tcase_create("record");

	tcase_add_test(tc, test_roundtrip);
	tcase_add_test(tc, test_corruption);
	tcase_add_test(tc, test_bad_fields);
	tcase_add_test(tc, test_bad_args);
	tcase_add_test(tc, test_session);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
