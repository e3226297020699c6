/*
 * lib-memory: guest memory through the library's memory helpers, on the
 * real kernel, across a live update.
 *
 * Stage 1 (shmem THP policy at the kernel's default 'never'):
 *  - HugeTLB: the probe says the kernel cannot preserve it, preserving an
 *    explicit HUGETLB object gives -ENOENT, AUTO passes it over and says
 *    why; a pool too small fails before allocating, naming the pages;
 *  - AUTO is still huge: it takes a tmpfs mounted huge=always at the
 *    default path (mounted here, as root; the library never mounts);
 *  - with the policy at 'advise', AUTO takes a THP memfd;
 *  - HugeTLB memory is moved into preservable memory with the move helper;
 *  - everything populated, measured huge (the library's huge_bytes and
 *    ShmemHugePages in /proc/meminfo), filled and preserved.
 * Stage 2: each object is retrieved as a memory object with the right
 * backing, still huge (huge_bytes, ShmemHugePages), byte-exact; the
 * session's manifest lists each as kind MEMORY with its backing and page
 * size, and the THP memfd, preserved with a label, is found by that label.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "lutest-lib.h"

#define SESSION "lib-memory"
#define MiB (1ull << 20)
#define THP_SYS "/sys/kernel/mm/transparent_hugepage/shmem_enabled"

static const struct {
	uint64_t token, size, seed;
	enum liveupdate_memory_backing backing;
	const char *what;
	const char *label; /* preserved with liveupdate_memory_preserve_opts() */
} objs[] = {
	{ 1, 64 * MiB, 0x7e1, LIVEUPDATE_MEMORY_THP, "AUTO, policy never: huge tmpfs file" },
	{ 2, 128 * MiB, 0x7e2, LIVEUPDATE_MEMORY_THP, "AUTO, policy advise: THP memfd",
	  "guest-ram" },
	{ 3, 8 * MiB, 0x7e3, LIVEUPDATE_MEMORY_SHMEM, "SHMEM" },
	{ 4, 16 * MiB, 0x7e4, LIVEUPDATE_MEMORY_THP, "moved off HugeTLB" },
};
#define NOBJS (sizeof(objs) / sizeof(objs[0]))

static void write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	LT_CHECK(fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text),
		 "writing '%s' to %s: %s", text, path, lt_errname(errno));
	close(fd);
}

static uint64_t meminfo_kb(const char *key)
{
	char buf[8192], *p;
	int fd = open("/proc/meminfo", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	close(fd);
	LT_CHECK(n > 0, "/proc/meminfo: %s", lt_errname(errno));
	buf[n] = 0;
	p = strstr(buf, key);
	LT_CHECK(p, "%s not in /proc/meminfo", key);
	return strtoull(p + strlen(key) + 1, NULL, 10);
}

static const char *policy_now(void)
{
	static char buf[128];
	int fd = open(THP_SYS, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	close(fd);
	buf[n > 0 ? n - 1 : 0] = 0;
	return buf;
}

static void check_huge(struct liveupdate_memory *mem, const char *what)
{
	uint64_t huge = 0, size = liveupdate_memory_get_size(mem);

	LT_OK(liveupdate_memory_huge_bytes(mem, &huge));
	LT_CHECK(huge == size, "%s: %" PRIu64 " of %" PRIu64 " bytes in huge pages (%s)", what,
		 huge, size, liveupdate_memory_get_reason(mem));
	lt_log("%s: huge_bytes %" PRIu64 " MiB of %" PRIu64 " MiB", what, huge >> 20, size >> 20);
}

/* Populate, fill through the object's own mapping, then unmap. */
static void fill(struct liveupdate_memory *mem, uint64_t seed)
{
	void *addr;

	LT_OK(liveupdate_memory_populate(mem, 2));
	LT_OK(liveupdate_memory_map(mem, &addr));
	lt_fill(addr, liveupdate_memory_get_size(mem), seed);
	LT_OK(liveupdate_memory_unmap(mem));
}

static struct liveupdate_memory *new_mem(struct liveupdate_ctx *ctx,
					 enum liveupdate_memory_backing b, uint64_t size)
{
	LIVEUPDATE_OPTS(liveupdate_memory_opts, o, .size = size, .backing = b);
	struct liveupdate_memory *mem = NULL;

	LT_OK(liveupdate_memory_new(ctx, &o, &mem));
	lt_log("new %s %" PRIu64 " MiB: backing %d: %s", b ? "explicit" : "AUTO", size >> 20,
	       liveupdate_memory_get_backing(mem), liveupdate_memory_get_reason(mem));
	return mem;
}

/* HugeTLB: refused by the kernel, passed over by AUTO, pool checked early. */
static struct liveupdate_memory *hugetlb_cases(struct liveupdate_ctx *ctx,
					       struct liveupdate_session *s)
{
	LIVEUPDATE_OPTS(liveupdate_memory_opts, big, .size = 64 * MiB,
			.backing = LIVEUPDATE_MEMORY_HUGETLB);
	struct liveupdate_memory *h, *mem = NULL;
	void *addr;

	write_text("/proc/sys/vm/nr_hugepages", "8");
	LT_CHECK(liveupdate_memory_probe(ctx, LIVEUPDATE_MEMORY_HUGETLB, 0) == 0,
		 "the probe says HugeTLB is preservable on this kernel");
	LT_CHECK(liveupdate_memory_probe(ctx, LIVEUPDATE_MEMORY_SHMEM, 0) == 1, "SHMEM probe");
	LT_CHECK(liveupdate_memory_probe(ctx, LIVEUPDATE_MEMORY_THP, 0) == 1, "THP probe");

	LT_ERR(liveupdate_memory_new(ctx, &big, &mem), ENOMEM);
	LT_CHECK(strstr(liveupdate_last_error(), "the pool lacks 24") &&
		 strstr(liveupdate_last_error(), "hugepages-2048kB/nr_hugepages"),
		 "pool message: %s", liveupdate_last_error());
	LT_CHECK(meminfo_kb("HugePages_Free:") == 8, "the refused request took pages");

	h = new_mem(ctx, LIVEUPDATE_MEMORY_HUGETLB, 16 * MiB);
	LT_CHECK(liveupdate_memory_get_backing(h) == LIVEUPDATE_MEMORY_HUGETLB, "backing");
	LT_OK(liveupdate_memory_populate(h, 2));
	check_huge(h, "HugeTLB 16 MiB");
	LT_ERR(liveupdate_memory_preserve(h, s, 99), ENOENT);
	LT_CHECK(strstr(liveupdate_last_error(), "liveupdate_memory_move_to_thp"),
		 "the refusal does not point to the move: %s", liveupdate_last_error());

	/* AUTO with a pool that would do: passed over, and said why */
	mem = new_mem(ctx, LIVEUPDATE_MEMORY_AUTO, 4 * MiB);
	LT_CHECK(liveupdate_memory_get_backing(mem) != LIVEUPDATE_MEMORY_HUGETLB &&
		 strstr(liveupdate_memory_get_reason(mem), "cannot preserve"),
		 "AUTO: %s", liveupdate_memory_get_reason(mem));
	liveupdate_memory_unref(mem);

	/* guest RAM already on HugeTLB: moved off it before the update */
	LT_OK(liveupdate_memory_map(h, &addr));
	lt_fill(addr, 16 * MiB, objs[3].seed);
	LT_OK(liveupdate_memory_unmap(h));
	return h;
}

static int stage1(void)
{
	struct liveupdate_ctx *ctx = lt_ctx_new();
	struct liveupdate_session *s = NULL;
	struct liveupdate_memory *mem[NOBJS], *h;
	LIVEUPDATE_OPTS(liveupdate_memory_move_opts, mo, .release_source = 1);
	uint64_t shmem_huge0 = meminfo_kb("ShmemHugePages:");

	liveupdate_ctx_set_log_priority(ctx, LOG_INFO);
	lt_log("shmem_enabled: %s", policy_now());
	LT_CHECK(strstr(policy_now(), "[never]"), "the guest kernel's default policy is not never");
	LT_OK(liveupdate_session_create(ctx, SESSION, &s));
	h = hugetlb_cases(ctx, s);

	/* policy never, no huge tmpfs: AUTO is 4 KiB and says how to do better
	 * (another scenario of this boot may have mounted one: unmount it) */
	while (umount2(LIVEUPDATE_MEMORY_TMPFS_PATH, MNT_DETACH) == 0)
		;
	mem[0] = new_mem(ctx, LIVEUPDATE_MEMORY_AUTO, 4 * MiB);
	LT_CHECK(liveupdate_memory_get_backing(mem[0]) == LIVEUPDATE_MEMORY_SHMEM &&
		 strstr(liveupdate_memory_get_reason(mem[0]), "mount -t tmpfs"),
		 "AUTO without huge tmpfs: %s", liveupdate_memory_get_reason(mem[0]));
	liveupdate_memory_unref(mem[0]);

	/* policy never, huge tmpfs at the default path: AUTO is huge */
	mkdir("/run", 0755);
	mkdir("/run/liveupdate", 0755);
	mkdir(LIVEUPDATE_MEMORY_TMPFS_PATH, 0700);
	LT_CHECK(mount("liveupdate-huge", LIVEUPDATE_MEMORY_TMPFS_PATH, "tmpfs", 0,
		       "huge=always,mode=0700") == 0, "mount: %s", lt_errname(errno));
	mem[0] = new_mem(ctx, LIVEUPDATE_MEMORY_AUTO, objs[0].size);

	/* policy advise: AUTO takes a THP memfd */
	write_text(THP_SYS, "advise");
	mem[1] = new_mem(ctx, LIVEUPDATE_MEMORY_AUTO, objs[1].size);
	LT_CHECK(strstr(liveupdate_memory_get_reason(mem[1]), "memfd with MADV_HUGEPAGE"),
		 "AUTO under advise: %s", liveupdate_memory_get_reason(mem[1]));
	mem[2] = new_mem(ctx, LIVEUPDATE_MEMORY_SHMEM, objs[2].size);
	uint64_t t0 = lt_now_ns();
	LT_OK(liveupdate_memory_move_to_thp(h, &mo, &mem[3]));
	lt_log("moved 16 MiB off HugeTLB in %.2f ms: %s", (lt_now_ns() - t0) / 1e6,
	       liveupdate_memory_get_reason(mem[3]));
	LT_CHECK(meminfo_kb("HugePages_Free:") == 8, "the source pages went back to the pool");
	liveupdate_memory_unref(h);

	for (size_t i = 0; i < NOBJS; i++) {
		LT_CHECK(liveupdate_memory_get_backing(mem[i]) == objs[i].backing,
			 "%s: backing %d: %s", objs[i].what, liveupdate_memory_get_backing(mem[i]),
			 liveupdate_memory_get_reason(mem[i]));
		if (i != 3)
			fill(mem[i], objs[i].seed);
		if (objs[i].backing == LIVEUPDATE_MEMORY_THP)
			check_huge(mem[i], objs[i].what);
		t0 = lt_now_ns();
		if (objs[i].label) {
			LIVEUPDATE_OPTS(liveupdate_preserve_opts, po, .label = objs[i].label,
					.flags = LIVEUPDATE_PRESERVE_TOKEN, .token = objs[i].token);

			LT_OK(liveupdate_memory_preserve_opts(mem[i], s, &po, NULL));
		} else {
			LT_OK(liveupdate_memory_preserve(mem[i], s, objs[i].token));
		}
		lt_log("%s: preserved %" PRIu64 " MiB in %.2f ms", objs[i].what,
		       objs[i].size >> 20, (lt_now_ns() - t0) / 1e6);
	}
	uint64_t shmem_huge = meminfo_kb("ShmemHugePages:") - shmem_huge0;
	LT_CHECK(shmem_huge * 1024 >= objs[0].size + objs[1].size + objs[3].size,
		 "ShmemHugePages grew by %" PRIu64 " kB only", shmem_huge);
	lt_log("ShmemHugePages: +%" PRIu64 " MiB", shmem_huge >> 10);
	for (size_t i = 0; i < NOBJS; i++)
		liveupdate_memory_unref(mem[i]);
	write_text(THP_SYS, "never");
	lt_keep_fd(liveupdate_session_get_fd(s));
	return LT_CONTINUE;
}

/* The manifest's entry of object i: kind MEMORY, its backing and page size. */
static void check_entry(struct liveupdate_session *s, size_t i)
{
	uint64_t page = objs[i].backing == LIVEUPDATE_MEMORY_THP ? 2 * MiB : 4096;
	const struct liveupdate_entry *e = NULL;
	long n = liveupdate_session_count_entries(s);

	for (long k = 0; k < n; k++) {
		LT_OK(liveupdate_session_get_entry(s, (size_t)k, &e));
		if (e->token == objs[i].token)
			break;
		e = NULL;
	}
	LT_CHECK(e, "%s: token %" PRIu64 " not in the manifest (%ld entries)", objs[i].what,
		 objs[i].token, n);
	LT_CHECK(e->kind == LIVEUPDATE_ENTRY_MEMORY && e->backing == (uint32_t)objs[i].backing &&
		 e->page_size == page, "%s: manifest entry kind %d backing %u page size %"
		 PRIu64, objs[i].what, e->kind, e->backing, e->page_size);
	LT_CHECK(!strcmp(e->label, objs[i].label ? objs[i].label : ""), "%s: label \"%s\"",
		 objs[i].what, e->label);
	lt_log("%s: manifest entry \"%s\" kind MEMORY, backing %s, page size %" PRIu64,
	       objs[i].what, e->label, liveupdate_memory_backing_name(objs[i].backing), page);
}

static int stage2(void)
{
	struct liveupdate_ctx *ctx = lt_ctx_new();
	struct liveupdate_session *s = NULL;
	uint64_t huge_total = 0;

	lt_log("shmem_enabled in the new kernel: %s", policy_now());
	LT_OK(liveupdate_session_retrieve(ctx, SESSION, &s));
	for (size_t i = 0; i < NOBJS; i++) {
		struct liveupdate_memory *mem = NULL;
		uint64_t t0 = lt_now_ns();

		check_entry(s, i);
		if (objs[i].label)
			LT_OK(liveupdate_memory_retrieve_label(s, objs[i].label, &mem));
		else
			LT_OK(liveupdate_memory_retrieve(s, objs[i].token, &mem));
		lt_log("%s: retrieved in %.2f ms: %s", objs[i].what, (lt_now_ns() - t0) / 1e6,
		       liveupdate_memory_get_reason(mem));
		LT_CHECK(liveupdate_memory_get_backing(mem) == objs[i].backing,
			 "%s: retrieved as backing %d: %s", objs[i].what,
			 liveupdate_memory_get_backing(mem), liveupdate_memory_get_reason(mem));
		LT_CHECK(liveupdate_memory_get_size(mem) == objs[i].size, "%s: size", objs[i].what);
		if (objs[i].backing == LIVEUPDATE_MEMORY_THP) {
			check_huge(mem, objs[i].what);
			huge_total += objs[i].size;
		}
		lt_check_memfd(liveupdate_memory_get_fd(mem), objs[i].size, objs[i].seed,
			       objs[i].what);
		liveupdate_memory_unref(mem);
	}
	uint64_t shmem_huge = meminfo_kb("ShmemHugePages:");
	LT_CHECK(shmem_huge * 1024 >= huge_total, "ShmemHugePages %" PRIu64 " kB after the "
		 "update, want %" PRIu64 " MiB", shmem_huge, huge_total >> 20);
	LT_OK(liveupdate_session_finish(s));
	liveupdate_session_unref(s);
	liveupdate_ctx_unref(ctx);
	lt_pass("HugeTLB refused (probe and preserve) and passed over by AUTO with its reason; "
		"AUTO huge under policy never (huge tmpfs) and advise (THP memfd); HugeTLB "
		"moved to THP; after the update every object came back with its backing, "
		"huge (huge_bytes, ShmemHugePages %" PRIu64 " MiB) and byte-exact",
		shmem_huge >> 10);
}

static int run(int stage)
{
	return stage == 1 ? stage1() : stage2();
}

LT_SCENARIO(lib_memory, "lib-memory", run, 0);
