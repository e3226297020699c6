/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the header and the man pages promise, checked the way a program
 * written from them alone would find out (issue 17): the context across a
 * simulated kexec, an unreachable simulator, advice that fits the call,
 * wording, what a manifest accepts and how it reads and prints.
 */
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include "unit.h"
#include "memory-fixture.h"

#define MiB (1ull << 20)

/*
 * liveupdate_ctx_new(3): a context kept across the update opens the
 * device again by itself after a simulated kexec (liveupdate-sim reboot).
 */
START_TEST(test_context_survives_simulated_kexec)
{
	struct liveupdate_ctx *ctx = seam_ctx(NULL);
	struct liveupdate_session *out, *in, *next;

	ck_assert_int_eq(liveupdate_session_create(ctx, "carried", &out), 0);
	seam_kexec(); /* liveupdate-sim reboot, from outside the program */
	liveupdate_session_unref(out); /* dead: the previous boot's */
	ck_assert_msg(liveupdate_session_retrieve(ctx, "carried", &in) == 0,
		      "retrieve after a simulated kexec: %s", liveupdate_last_error());
	ck_assert_int_eq(liveupdate_session_get_direction(in), LIVEUPDATE_SESSION_INCOMING);
	ck_assert_int_eq(liveupdate_session_create(ctx, "next", &next), 0);
	liveupdate_session_unref(next);
	ck_assert_int_eq(liveupdate_session_finish(in), 0);
	liveupdate_session_unref(in);
	liveupdate_ctx_unref(ctx);
}
END_TEST

/* liveupdate_ctx_new(3): -ENOENT or -ECONNREFUSED when no simulator runs. */
START_TEST(test_ctx_new_without_simulator)
{
	char dir[] = "/tmp/lu-contract.XXXXXX", path[64];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct liveupdate_ctx *ctx = (void *)0x1;
	int sock;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/socket", dir);
	{
		LIVEUPDATE_OPTS(liveupdate_ctx_opts, o, .backend = LIVEUPDATE_BACKEND_SIM,
				.sim_socket = path);

		ck_assert_int_eq(liveupdate_ctx_new(&o, &ctx), -ENOENT);
		ck_assert_ptr_eq(ctx, (void *)0x1);
		ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "liveupdate-sim start"));
		/* a socket nobody listens on: a daemon that stopped */
		sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
		ck_assert_int_eq(bind(sock, (struct sockaddr *)&sa, sizeof(sa)), 0);
		ck_assert_int_eq(liveupdate_ctx_new(&o, &ctx), -ECONNREFUSED);
		ck_assert_ptr_eq(ctx, (void *)0x1);
		ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "liveupdate-sim start"));
	}
	close(sock);
	unlink(path);
	rmdir(dir);
}
END_TEST

/*
 * liveupdate_strerror(3) and liveupdate_last_error(3): the advice fits the
 * call that failed, not only the errno.
 */
START_TEST(test_advice_fits_the_call)
{
	struct liveupdate_ctx *ctx = seam_ctx(NULL);
	struct liveupdate_memory *mem = NULL;
	char path[64];
	void *addr;
	int fd, ro;

	/* EBADMSG is a damaged manifest or record here, not libc's words */
	ck_assert_ptr_nonnull(strstr(liveupdate_strerror(-EBADMSG), "manifest"));

	/* a size no file can have: about the size, not session names */
	{
		LIVEUPDATE_OPTS(liveupdate_memory_opts, o, .size = UINT64_MAX - 4095,
				.backing = LIVEUPDATE_MEMORY_SHMEM);

		ck_assert_int_eq(liveupdate_memory_new(ctx, &o, &mem), -EINVAL);
		ck_assert_ptr_null(strstr(liveupdate_last_error(), "session"));
		ck_assert_ptr_nonnull(strstr(liveupdate_last_error(), "larger than"));
	}

	/* mapping a read-only fd: about how the fd was opened, not a device */
	fd = memfd_create("lu-contract", MFD_CLOEXEC);
	ck_assert_int_eq(ftruncate(fd, 4096), 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ro = open(path, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(ro, 0);
	ck_assert_int_eq(liveupdate_memory_from_fd(ctx, ro, &mem), 0);
	ck_assert_int_eq(liveupdate_memory_map(mem, &addr), -EACCES);
	ck_assert_msg(!strstr(liveupdate_last_error(), "device") &&
		      strstr(liveupdate_last_error(), "O_RDWR"),
		      "advice: %s", liveupdate_last_error());
	liveupdate_memory_unref(mem); /* closes ro */
	close(fd);
	liveupdate_ctx_unref(ctx);
}
END_TEST

/* Messages are sentences: "1 page", "1 byte", a full stop between two. */
START_TEST(test_wording)
{
	struct liveupdate_ctx *ctx = seam_ctx(NULL);
	struct liveupdate_memory *mem = NULL;
	char *root = fixture_new();

	{
		LIVEUPDATE_OPTS(liveupdate_memory_opts, o, .size = 1,
				.backing = LIVEUPDATE_MEMORY_SHMEM);

		ck_assert_int_eq(liveupdate_memory_new(ctx, &o, &mem), -EINVAL);
		ck_assert_msg(strstr(liveupdate_last_error(), "size 1 byte ") &&
			      !strstr(liveupdate_last_error(), "1 bytes"),
			      "%s", liveupdate_last_error());
	}
	{
		LIVEUPDATE_OPTS(liveupdate_memory_opts, o, .size = 2 * MiB,
				.backing = LIVEUPDATE_MEMORY_HUGETLB, .host_root = root);

		fixture_pool(root, 2048, 0, 0, 0, 0, 0);
		ck_assert_int_eq(liveupdate_memory_new(ctx, &o, &mem), -ENOMEM);
		ck_assert_msg(strstr(liveupdate_last_error(), "needs 1 page of 2 MiB") &&
			      !strstr(liveupdate_last_error(), "1 pages"),
			      "%s", liveupdate_last_error());
	}
	fixture_free(root);
	liveupdate_ctx_unref(ctx);
}
END_TEST

/* One more page in the host's 2 MiB HugeTLB pool for the test, or false. */
static bool hugetlb_page_lent(long *before)
{
	FILE *f = fopen("/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", "r+");
	long now = -1;

	if (!f || fscanf(f, "%ld", before) != 1) {
		if (f)
			fclose(f);
		return false;
	}
	rewind(f);
	fprintf(f, "%ld\n", *before + 1);
	fclose(f);
	f = fopen("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", "r");
	if (f && fscanf(f, "%ld", &now) != 1)
		now = -1;
	if (f)
		fclose(f);
	return now >= 1;
}

static void hugetlb_page_return(long before)
{
	FILE *f = fopen("/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", "w");

	ck_assert_ptr_nonnull(f);
	fprintf(f, "%ld\n", before);
	fclose(f);
}

/* liveupdate_memory_preserve(3) of HugeTLB memory the kernel refuses. */
START_TEST(test_wording_hugetlb_refusal)
{
	struct liveupdate_ctx *ctx = seam_ctx(NULL);
	struct liveupdate_memory *mem = NULL;
	struct liveupdate_session *s;
	const char *ci = getenv("CI");
	long before = 0;
	int ret;

	if (!hugetlb_page_lent(&before)) {
		if (before)
			hugetlb_page_return(before);
		ck_assert_msg(!(ci && !strcmp(ci, "true")), "no 2 MiB HugeTLB page to "
			      "lend (not root, or no HugeTLB): cannot run under CI=true");
		fprintf(stderr, "test_wording_hugetlb_refusal: no HugeTLB page: not run\n");
		liveupdate_ctx_unref(ctx);
		return;
	}
	{
		LIVEUPDATE_OPTS(liveupdate_memory_opts, o, .size = 2 * MiB,
				.backing = LIVEUPDATE_MEMORY_HUGETLB);

		ret = liveupdate_memory_new(ctx, &o, &mem);
	}
	if (ret == 0) {
		ck_assert_int_eq(liveupdate_session_create(ctx, "hugetlb", &s), 0);
		ret = liveupdate_memory_preserve(mem, s, 1);
		liveupdate_session_unref(s);
		liveupdate_memory_unref(mem);
	}
	hugetlb_page_return(before);
	ck_assert_msg(ret == -ENOENT, "%d: %s", ret, liveupdate_last_error());
	ck_assert_msg(strstr(liveupdate_last_error(), ". To keep this memory") &&
		      !strstr(liveupdate_last_error(), "file To keep"),
		      "%s", liveupdate_last_error());
	liveupdate_ctx_unref(ctx);
}
END_TEST

/*
 * liveupdate_session_preserve_fd_opts(3): a MEMORY entry the library could
 * not read back after the update is refused, and nothing is preserved.
 */
START_TEST(test_memory_entry_must_read_back)
{
	static const struct { uint32_t backing; uint64_t page_size; } bad[] = {
		{ 99, 4096 }, { LIVEUPDATE_MEMORY_AUTO, 0 }, { LIVEUPDATE_MEMORY_SHMEM, 0 },
		{ LIVEUPDATE_MEMORY_THP, 3 * MiB }, { LIVEUPDATE_MEMORY_HUGETLB, 4096 },
	};
	struct liveupdate_ctx *ctx = seam_ctx(NULL);
	struct liveupdate_session *s;
	int fd = memfd_create("lu-contract", MFD_CLOEXEC);
	uint64_t token;

	ck_assert_int_eq(ftruncate(fd, 4096), 0);
	ck_assert_int_eq(liveupdate_session_create(ctx, "entries", &s), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		LIVEUPDATE_OPTS(liveupdate_preserve_opts, o, .label = "guest-ram",
				.kind = LIVEUPDATE_ENTRY_MEMORY, .backing = bad[i].backing,
				.page_size = bad[i].page_size);

		ck_assert_msg(liveupdate_session_preserve_fd_opts(s, fd, &o, &token) == -EINVAL,
			      "backing %u, page size %llu accepted", bad[i].backing,
			      (unsigned long long)bad[i].page_size);
		ck_assert_int_eq(liveupdate_session_count_entries(s), 0);
	}
	{
		/* backing and page size on another kind would be dropped */
		LIVEUPDATE_OPTS(liveupdate_preserve_opts, o, .kind = LIVEUPDATE_ENTRY_MEMFD,
				.backing = LIVEUPDATE_MEMORY_SHMEM, .page_size = 4096);

		ck_assert_int_eq(liveupdate_session_preserve_fd_opts(s, fd, &o, &token), -EINVAL);
	}
	{
		LIVEUPDATE_OPTS(liveupdate_preserve_opts, o, .label = "guest-ram",
				.kind = LIVEUPDATE_ENTRY_MEMORY,
				.backing = LIVEUPDATE_MEMORY_SHMEM, .page_size = 4096);

		ck_assert_int_eq(liveupdate_session_preserve_fd_opts(s, fd, &o, &token), 0);
		ck_assert_int_eq(liveupdate_session_count_entries(s), 1);
	}
	liveupdate_session_unref(s);
	close(fd);
	liveupdate_ctx_unref(ctx);
}
END_TEST

/* The whole of a small fd's contents, NUL-terminated, in buf. */
static void read_back(int fd, char *buf, size_t len)
{
	ssize_t n = pread(fd, buf, len - 1, 0);

	ck_assert_int_ge(n, 0);
	buf[n] = '\0';
}

/*
 * liveupdate_session_preserve_fd_opts(3), doc/manifest.md: when the last
 * record of the manifest is incomplete (torn, or damaged since), the state
 * before it is read and the loss is logged at LOG_WARNING and shown by the
 * manifest's printout.
 */
START_TEST(test_torn_last_record_is_told)
{
	struct liveupdate_ctx *ctx = seam_ctx(NULL);
	struct liveupdate_session *s, *in;
	const struct liveupdate_entry *e;
	struct log_capture cap;
	int m1 = pattern_memfd(16, 1), m2 = pattern_memfd(16, 2), mf, out;
	uint8_t flip;
	char text[2048];

	ck_assert_int_eq(liveupdate_session_create(ctx, "vm", &s), 0);
	{
		LIVEUPDATE_OPTS(liveupdate_preserve_opts, o, .label = "one");

		ck_assert_int_eq(liveupdate_session_preserve_fd_opts(s, m1, &o, NULL), 0);
		o.label = "two";
		ck_assert_int_eq(liveupdate_session_preserve_fd_opts(s, m2, &o, NULL), 0);
	}
	ctx = seam_reboot(ctx, s);
	ck_assert_int_eq(liveupdate_session_retrieve(ctx, "vm", &in), 0);

	/* the last record (record 2, after the 32-byte piece header and
	 * record 1's 64 bytes), a byte of its label flipped */
	ck_assert_int_eq(liveupdate_session_retrieve_fd(in, LIVEUPDATE_MANIFEST_TOKEN, &mf), 0);
	ck_assert_int_eq(pread(mf, &flip, 1, 32 + 64 + 56), 1);
	flip ^= 0x01;
	ck_assert_int_eq(pwrite(mf, &flip, 1, 32 + 64 + 56), 1);
	close(mf);

	memset(&cap, 0, sizeof(cap));
	liveupdate_ctx_set_log_fn(ctx, capture_log, &cap);
	liveupdate_ctx_set_log_priority(ctx, LOG_WARNING);
	ck_assert_int_eq(liveupdate_session_find_entry(in, "one", &e), 0);
	ck_assert_int_eq(liveupdate_session_find_entry(in, "two", &e), -ENOENT);
	ck_assert_msg(strstr(cap.all, "record 2 is incomplete"),
		      "nothing logged at LOG_WARNING: \"%s\"", cap.all);
	out = memfd_create("lu-print", MFD_CLOEXEC);
	ck_assert_int_eq(liveupdate_session_print_manifest(in, out), 0);
	read_back(out, text, sizeof(text));
	ck_assert_msg(strstr(text, "(record 2 incomplete, not read)"), "%s", text);
	close(out);
	liveupdate_session_unref(in);
	close(m1);
	close(m2);
	liveupdate_ctx_unref(ctx);
}
END_TEST

/*
 * liveupdate_session_print_manifest(3): the backing by name; printable
 * UTF-8 as it is, every other byte of a label or value as \xHH.
 */
START_TEST(test_print_manifest)
{
	struct liveupdate_ctx *ctx = seam_ctx(NULL);
	struct liveupdate_session *s;
	struct liveupdate_meta meta[] = { { "note", "caf\xc3\xa9\n\xff\xc2\x85\"\\" } };
	int fd = memfd_create("lu-contract", MFD_CLOEXEC), out;
	char text[2048];

	ck_assert_int_eq(ftruncate(fd, 2 * MiB), 0);
	ck_assert_int_eq(liveupdate_session_create(ctx, "printed", &s), 0);
	{
		LIVEUPDATE_OPTS(liveupdate_preserve_opts, o, .label = "ram\xfe",
				.kind = LIVEUPDATE_ENTRY_MEMORY, .backing = LIVEUPDATE_MEMORY_THP,
				.page_size = 2 * MiB, .meta = meta, .n_meta = 1);

		ck_assert_int_eq(liveupdate_session_preserve_fd_opts(s, fd, &o, NULL), 0);
	}
	out = memfd_create("lu-print", MFD_CLOEXEC);
	ck_assert_int_eq(liveupdate_session_print_manifest(s, out), 0);
	read_back(out, text, sizeof(text));
	ck_assert_msg(strstr(text, " backing=thp page-size=2097152"), "%s", text);
	ck_assert_msg(strstr(text, "label=\"ram\\xfe\""), "%s", text);
	ck_assert_msg(strstr(text, "\"note\"=\"caf\xc3\xa9\\x0a\\xff\\xc2\\x85\\\"\\\\\""),
		      "%s", text);
	close(out);
	liveupdate_session_unref(s);
	close(fd);
	liveupdate_ctx_unref(ctx);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("contract");
	TCase *tc = tcase_create("contract");

	tcase_add_test(tc, test_context_survives_simulated_kexec);
	tcase_add_test(tc, test_ctx_new_without_simulator);
	tcase_add_test(tc, test_advice_fits_the_call);
	tcase_add_test(tc, test_wording);
	tcase_add_test(tc, test_wording_hugetlb_refusal);
	tcase_add_test(tc, test_memory_entry_must_read_back);
	tcase_add_test(tc, test_torn_last_record_is_told);
	tcase_add_test(tc, test_print_manifest);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
