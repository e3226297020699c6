/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * State queries against fixture trees (tests/unit/fixtures/state): every
 * availability reason, this boot from KHO files captured in the test VM,
 * debugfs missing or unreadable, and hostile blobs made from the captured
 * ones. The device answers through the seam (a private liveupdate-sim
 * with the kernel's face).
 */
#include <fcntl.h>
#include <pwd.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "unit.h"

#define KHO "/sys/kernel/debug/kho"

static char fixtures[512];

static const char *fixture(const char *name)
{
	static char path[600];

	snprintf(path, sizeof(path), "%s/%s", fixtures, name);
	return path;
}

/* Query root with a context whose device is present, absent, or @ctx. */
static struct liveupdate_state *query_ctx(struct liveupdate_ctx *ctx, const char *root)
{
	LIVEUPDATE_OPTS(liveupdate_state_opts, opts, .root = root);
	struct liveupdate_state *st = NULL;

	ck_assert_int_eq(liveupdate_state_query(ctx, &opts, &st), 0);
	ck_assert_ptr_nonnull(st);
	return st;
}

static struct liveupdate_state *query(const char *root, bool device)
{
	struct liveupdate_ctx *ctx = seam_ctx(NULL);
	struct liveupdate_state *st;

	liveupdate_ctx_set_log_fn(ctx, NULL, NULL);
	if (!device)
		seam_set_device_absent(true);
	st = query_ctx(ctx, root);
	liveupdate_ctx_unref(ctx);
	return st;
}

#define ck_contains(hay, needle)                                              \
	do {                                                                  \
		const char *h_ = (hay);                                       \
		ck_assert_msg(h_ && strstr(h_, needle), "\"%s\" not in \"%s\"", \
			      needle, h_ ? h_ : "(null)");                    \
	} while (0)

START_TEST(test_cold_boot)
{
	struct liveupdate_state *st = query(fixture("vm-cold"), true);

	ck_assert_int_eq(liveupdate_state_get_avail(st), LIVEUPDATE_AVAIL_YES);
	ck_assert_str_eq(liveupdate_avail_name(liveupdate_state_get_avail(st)), "available");
	ck_assert_int_eq(liveupdate_state_get_boot(st), LIVEUPDATE_BOOT_COLD);
	ck_assert_str_eq(liveupdate_state_get_kernel_release(st), "7.3.4");
	ck_assert_str_eq(liveupdate_state_get_source(st, LIVEUPDATE_FACT_KERNEL_RELEASE),
			 "/proc/sys/kernel/osrelease");
	ck_assert_int_eq(liveupdate_state_get_kexec_count(st), 0);
	ck_assert_int_eq(liveupdate_state_get_liveupdate_count(st), 0);
	ck_assert_str_eq(liveupdate_state_get_source(st, LIVEUPDATE_FACT_LIVEUPDATE_COUNT),
			 KHO "/out/sub_fdts/LUO");
	ck_assert_ptr_null(liveupdate_state_get_missing(st, LIVEUPDATE_FACT_LIVEUPDATE_COUNT));
	ck_assert_str_eq(liveupdate_state_get_luo_abi(st), "luo-v5");
	ck_assert_ptr_null(liveupdate_state_get_previous_release(st));
	ck_contains(liveupdate_state_get_missing(st, LIVEUPDATE_FACT_PREVIOUS_RELEASE),
		    "cold boot");
	ck_assert_int_eq(liveupdate_state_kho_count(st, LIVEUPDATE_KHO_IN), 0);
	/* the kernel's out/fdt is truncated: named, then sub_fdts/ listed */
	ck_assert_ptr_null(liveupdate_state_kho_compatible(st, LIVEUPDATE_KHO_OUT));
	ck_contains(liveupdate_state_get_missing(st, LIVEUPDATE_FACT_KHO_OUT),
		    KHO "/out/fdt: truncated: 233 of the 285 bytes");
	ck_assert_int_eq(liveupdate_state_kho_count(st, LIVEUPDATE_KHO_OUT), 2);
	for (unsigned i = 0; i < 2; i++) {
		const char *name = liveupdate_state_kho_name(st, LIVEUPDATE_KHO_OUT, i);

		ck_assert_ptr_nonnull(liveupdate_state_kho_format(st, LIVEUPDATE_KHO_OUT, i));
		ck_assert_ptr_null(liveupdate_state_kho_note(st, LIVEUPDATE_KHO_OUT, i));
		ck_assert_int_eq(liveupdate_state_kho_size(st, LIVEUPDATE_KHO_OUT, i),
				 strcmp(name, "LUO") == 0 ? 32 : 73);
	}
	ck_assert_ptr_null(liveupdate_state_kho_name(st, LIVEUPDATE_KHO_OUT, 2));
	ck_assert_int_eq(liveupdate_state_kho_size(st, LIVEUPDATE_KHO_OUT, 2), -EINVAL);
	ck_assert_ptr_null(liveupdate_state_unref(st));
}
END_TEST

/* An entry of a KHO tree by name; -1 when absent. */
static int entry(const struct liveupdate_state *st, enum liveupdate_kho_side side,
		 const char *name)
{
	int n = liveupdate_state_kho_count(st, side);

	for (int i = 0; i < n; i++)
		if (strcmp(liveupdate_state_kho_name(st, side, (unsigned)i), name) == 0)
			return i;
	return -1;
}

static void check_after_update(const char *fixture_name, int n)
{
	struct liveupdate_state *st = query(fixture(fixture_name), true);
	int luo, meta;

	ck_assert_int_eq(liveupdate_state_get_boot(st), LIVEUPDATE_BOOT_LIVE_UPDATE);
	ck_assert_str_eq(liveupdate_state_get_previous_release(st), "7.3.4");
	ck_assert_str_eq(liveupdate_state_get_source(st, LIVEUPDATE_FACT_PREVIOUS_RELEASE),
			 KHO "/in/sub_fdts/kexec-metadata");
	ck_assert_int_eq(liveupdate_state_get_kexec_count(st), n);
	ck_assert_int_eq(liveupdate_state_get_liveupdate_count(st), n);
	ck_assert_str_eq(liveupdate_state_kho_compatible(st, LIVEUPDATE_KHO_IN), "kho-v4");
	ck_assert_str_eq(liveupdate_state_get_source(st, LIVEUPDATE_FACT_KHO_IN), KHO "/in/fdt");
	ck_assert_int_eq(liveupdate_state_kho_count(st, LIVEUPDATE_KHO_IN), 2);
	luo = entry(st, LIVEUPDATE_KHO_IN, "LUO");
	meta = entry(st, LIVEUPDATE_KHO_IN, "kexec-metadata");
	ck_assert_int_ge(luo, 0);
	ck_assert_int_ge(meta, 0);
	/* freed memory: name and size, no format, never read */
	ck_assert_ptr_null(liveupdate_state_kho_format(st, LIVEUPDATE_KHO_IN, (unsigned)luo));
	ck_contains(liveupdate_state_kho_note(st, LIVEUPDATE_KHO_IN, (unsigned)luo), "stale");
	ck_assert_int_eq(liveupdate_state_kho_size(st, LIVEUPDATE_KHO_IN, (unsigned)luo), 32);
	ck_assert_str_eq(liveupdate_state_kho_format(st, LIVEUPDATE_KHO_IN, (unsigned)meta),
			 "kexec-metadata-v1");
	ck_assert_int_eq(liveupdate_state_kho_size(st, LIVEUPDATE_KHO_IN, (unsigned)meta), 73);
	/* out/fdt is absent after a live update */
	ck_contains(liveupdate_state_get_missing(st, LIVEUPDATE_FACT_KHO_OUT),
		    KHO "/out/fdt: No such file");
	ck_assert_int_eq(liveupdate_state_kho_count(st, LIVEUPDATE_KHO_OUT), 2);
	liveupdate_state_unref(st);
}

START_TEST(test_after_live_update)
{
	check_after_update("vm-update-1", 1);
	check_after_update("vm-update-2", 2);
}
END_TEST

static const struct {
	const char *fixture;
	enum liveupdate_avail avail;
	const char *text;
} reasons[] = {
	{ "too-old", LIVEUPDATE_AVAIL_KERNEL_TOO_OLD, "Linux 6.12.48+deb13-amd64 is too old" },
	{ "no-config", LIVEUPDATE_AVAIL_NO_CONFIG, "without CONFIG_LIVEUPDATE (/boot/config-7.3.4-distro)" },
#ifdef HAVE_ZLIB
	{ "config-gz", LIVEUPDATE_AVAIL_NO_CONFIG, "without CONFIG_LIVEUPDATE (/proc/config.gz)" },
#else
	{ "config-gz", LIVEUPDATE_AVAIL_NO_DEVICE, "built without zlib" },
#endif
	{ "kho-off", LIVEUPDATE_AVAIL_KHO_DISABLED, "kho=off" },
	{ "kho-default-off", LIVEUPDATE_AVAIL_KHO_DISABLED, "no kho=on" },
	{ "no-cmdline", LIVEUPDATE_AVAIL_NO_CMDLINE, "not booted with liveupdate=on" },
	{ "unknown", LIVEUPDATE_AVAIL_NO_DEVICE, "do not say why" },
};

/* Without a device, the host's files give the reason. */
START_TEST(test_reason_from_files)
{
	struct liveupdate_state *st = query(fixture(reasons[_i].fixture), false);

	ck_assert_msg(liveupdate_state_get_avail(st) == reasons[_i].avail,
		      "%s: %s (%s)", reasons[_i].fixture,
		      liveupdate_avail_name(liveupdate_state_get_avail(st)),
		      liveupdate_state_get_avail_text(st));
	ck_contains(liveupdate_state_get_avail_text(st), reasons[_i].text);
	ck_assert_int_eq(liveupdate_state_get_holder_pid(st), -ENOENT);
	liveupdate_state_unref(st);
}
END_TEST

/* The device's answer wins over the files: they say nothing is wrong here. */
START_TEST(test_busy_names_holder)
{
	char path[] = "/tmp/lu-unit-stateXXXXXX";
	int fd = mkstemp(path);
	LIVEUPDATE_OPTS(liveupdate_ctx_opts, o, .device_path = path);
	struct liveupdate_ctx *ctx;
	struct liveupdate_state *st;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(liveupdate_ctx_new(&o, &ctx), 0);
	seam_reset();
	seam_attach(ctx);
	seam_set_device_held(true);
	liveupdate_ctx_set_log_fn(ctx, NULL, NULL);
	st = query_ctx(ctx, fixture("vm-cold"));
	ck_assert_int_eq(liveupdate_state_get_avail(st), LIVEUPDATE_AVAIL_BUSY);
	ck_assert_int_eq(liveupdate_state_get_holder_pid(st), getpid());
	ck_assert_ptr_nonnull(liveupdate_state_get_holder_comm(st));
	ck_contains(liveupdate_state_get_avail_text(st), "held by pid");
	liveupdate_state_unref(st);
	liveupdate_ctx_unref(ctx);
	close(fd);
	unlink(path);
}
END_TEST

START_TEST(test_device_errors)
{
	static const struct {
		int err;
		enum liveupdate_avail avail;
	} cases[] = {
		{ EACCES, LIVEUPDATE_AVAIL_PERMISSION },
		{ EPERM, LIVEUPDATE_AVAIL_PERMISSION },
		{ EIO, LIVEUPDATE_AVAIL_DEVICE_ERROR },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct liveupdate_ctx *ctx = seam_ctx(NULL);
		struct liveupdate_state *st;

		liveupdate_ctx_set_log_fn(ctx, NULL, NULL);
		seam_fail_call(1, cases[i].err);
		st = query_ctx(ctx, fixture("vm-cold"));
		ck_assert_int_eq(liveupdate_state_get_avail(st), cases[i].avail);
		liveupdate_state_unref(st);
		liveupdate_ctx_unref(ctx);
	}
}
END_TEST

/* A device this context already holds is available; it stays open. */
START_TEST(test_device_already_open)
{
	struct liveupdate_ctx *ctx = seam_ctx(NULL);
	struct liveupdate_state *st;

	ck_assert_int_eq(liveupdate_ctx_open_device(ctx), 0);
	st = query_ctx(ctx, fixture("vm-cold"));
	ck_assert_int_eq(liveupdate_state_get_avail(st), LIVEUPDATE_AVAIL_YES);
	ck_assert(seam_device_open());
	liveupdate_state_unref(st);
	liveupdate_ctx_close_device(ctx);
	/* ... and one the query opened itself is closed again */
	st = query_ctx(ctx, fixture("vm-cold"));
	ck_assert(!seam_device_open());
	liveupdate_state_unref(st);
	liveupdate_ctx_unref(ctx);
}
END_TEST

START_TEST(test_debugfs_missing)
{
	struct liveupdate_state *st = query(fixture("unknown"), false);

	ck_assert_int_eq(liveupdate_state_get_boot(st), LIVEUPDATE_BOOT_UNKNOWN);
	ck_contains(liveupdate_state_get_missing(st, LIVEUPDATE_FACT_BOOT),
		    "debugfs is not mounted: mount -t debugfs");
	ck_contains(liveupdate_state_get_missing(st, LIVEUPDATE_FACT_LIVEUPDATE_COUNT),
		    "debugfs is not mounted");
	ck_assert_int_eq(liveupdate_state_get_liveupdate_count(st), -ENODATA);
	ck_assert_ptr_null(liveupdate_state_get_source(st, LIVEUPDATE_FACT_BOOT));
	liveupdate_state_unref(st);

	st = query(fixture("debugfs-no-kho"), false);
	ck_assert_int_eq(liveupdate_state_get_boot(st), LIVEUPDATE_BOOT_UNKNOWN);
	ck_contains(liveupdate_state_get_missing(st, LIVEUPDATE_FACT_BOOT),
		    "CONFIG_KEXEC_HANDOVER_DEBUGFS");
	liveupdate_state_unref(st);
}
END_TEST

/* ---- trees made at run time ---- */

static void put(const char *root, const char *rel, const void *buf, size_t len)
{
	char path[1024], *slash;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (slash = strchr(path + strlen(root) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(path, 0755);
		*slash = '/';
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

/* A fixture file's bytes (at most 4 KiB). */
static size_t get(const char *fixture_name, const char *rel, unsigned char *buf)
{
	char path[1024];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", fixture(fixture_name), rel);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	n = read(fd, buf, 4096);
	ck_assert_int_gt(n, 0);
	close(fd);
	return (size_t)n;
}

static const char *const vm_files[] = {
	"proc/cmdline", "proc/sys/kernel/osrelease", "proc/self/mountinfo",
	"sys/kernel/debug/kho/in/fdt", "sys/kernel/debug/kho/in/sub_fdts/LUO",
	"sys/kernel/debug/kho/in/sub_fdts/kexec-metadata",
	"sys/kernel/debug/kho/out/sub_fdts/LUO",
	"sys/kernel/debug/kho/out/sub_fdts/kexec-metadata",
};

/* A private copy of vm-update-1 to damage. */
static char *copy_vm_tree(void)
{
	char *root = strdup("/tmp/lu-unit-stateXXXXXX");
	unsigned char buf[4096];

	ck_assert_ptr_nonnull(mkdtemp(root));
	for (size_t i = 0; i < sizeof(vm_files) / sizeof(vm_files[0]); i++)
		put(root, vm_files[i], buf, get("vm-update-1", vm_files[i], buf));
	return root;
}

static void remove_tree(char *root)
{
	char cmd[1100];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	ck_assert_int_eq(system(cmd), 0);
	free(root);
}

/* Replace the first occurrence of @from by @to (same length) in a file. */
static void patch(const char *root, const char *rel, const char *from, const char *to)
{
	unsigned char buf[4096];
	size_t len = get("vm-update-1", rel, buf);

	for (size_t i = 0; i + strlen(from) <= len; i++)
		if (memcmp(buf + i, from, strlen(from)) == 0) {
			memcpy(buf + i, to, strlen(to));
			put(root, rel, buf, len);
			return;
		}
	ck_abort_msg("%s not in %s", from, rel);
}

#define IN_FDT "sys/kernel/debug/kho/in/fdt"
#define IN_META "sys/kernel/debug/kho/in/sub_fdts/kexec-metadata"
#define OUT_LUO "sys/kernel/debug/kho/out/sub_fdts/LUO"

START_TEST(test_hostile_root_fdt)
{
	char *root = copy_vm_tree();
	unsigned char buf[4096];
	size_t len = get("vm-update-1", IN_FDT, buf);
	struct liveupdate_state *st;

	/* truncated */
	put(root, IN_FDT, buf, 100);
	st = query(root, true);
	ck_assert_ptr_null(liveupdate_state_kho_compatible(st, LIVEUPDATE_KHO_IN));
	ck_contains(liveupdate_state_get_missing(st, LIVEUPDATE_FACT_KHO_IN),
		    KHO "/in/fdt: truncated: 100 of the 285 bytes");
	/* the boot facts do not depend on the root FDT */
	ck_assert_int_eq(liveupdate_state_get_liveupdate_count(st), 1);
	liveupdate_state_unref(st);

	/* an unknown root compatible: nothing more is read from it */
	patch(root, IN_FDT, "kho-v4", "kho-v9");
	st = query(root, true);
	ck_contains(liveupdate_state_get_missing(st, LIVEUPDATE_FACT_KHO_IN),
		    "compatible \"kho-v9\"");
	liveupdate_state_unref(st);

	/* a header of FDT version 6: libfdt 1.6.1's full check crashes on
	 * some of those, so they are refused before it (found by fuzzing) */
	{
		unsigned char old[4096];

		memcpy(old, buf, len);
		old[0x17] = 6;
		old[0x1b] = 0;
		put(root, IN_FDT, old, len);
		st = query(root, true);
		ck_contains(liveupdate_state_get_missing(st, LIVEUPDATE_FACT_KHO_IN),
			    "FDT version 6");
		liveupdate_state_unref(st);
	}

	/* corrupt structure block; then garbage */
	buf[0x40] ^= 0xff;
	put(root, IN_FDT, buf, len);
	st = query(root, true);
	ck_contains(liveupdate_state_get_missing(st, LIVEUPDATE_FACT_KHO_IN),
		    KHO "/in/fdt: corrupt FDT");
	liveupdate_state_unref(st);
	for (size_t i = 0; i < len; i++)
		buf[i] = (unsigned char)(i * 131 + 7);
	put(root, IN_FDT, buf, len);
	st = query(root, true);
	ck_contains(liveupdate_state_get_missing(st, LIVEUPDATE_FACT_KHO_IN), "not an FDT");
	liveupdate_state_unref(st);
	remove_tree(root);
}
END_TEST

/* A subtree whose name would leave sub_fdts/ is never opened. */
START_TEST(test_hostile_subtree_name)
{
	char *root = copy_vm_tree();
	struct liveupdate_state *st;
	int i;

	/* "kexec-metadata" becomes a path of the same length */
	patch(root, IN_FDT, "kexec-metadata", "../../../fdt/x");
	st = query(root, true);
	i = entry(st, LIVEUPDATE_KHO_IN, "../../../fdt/x");
	ck_assert_int_ge(i, 0);
	ck_assert_ptr_null(liveupdate_state_kho_format(st, LIVEUPDATE_KHO_IN, (unsigned)i));
	ck_contains(liveupdate_state_kho_note(st, LIVEUPDATE_KHO_IN, (unsigned)i),
		    "cannot be a file there; not read");
	liveupdate_state_unref(st);
	remove_tree(root);
}
END_TEST

START_TEST(test_hostile_blobs)
{
	char *root = copy_vm_tree();
	unsigned char buf[4096];
	struct liveupdate_state *st;
	size_t len;

	/* kexec-metadata of an unknown version, then without a NUL, then short */
	len = get("vm-update-1", IN_META, buf);
	buf[0] = 2;
	put(root, IN_META, buf, len);
	st = query(root, true);
	ck_assert_ptr_null(liveupdate_state_get_previous_release(st));
	ck_contains(liveupdate_state_get_missing(st, LIVEUPDATE_FACT_PREVIOUS_RELEASE),
		    KHO "/in/sub_fdts/kexec-metadata: version 2");
	ck_assert_int_eq(liveupdate_state_get_kexec_count(st), -ENODATA);
	liveupdate_state_unref(st);
	buf[0] = 1;
	memset(buf + 4, 'x', 65);
	put(root, IN_META, buf, len);
	st = query(root, true);
	ck_contains(liveupdate_state_get_missing(st, LIVEUPDATE_FACT_PREVIOUS_RELEASE),
		    "not terminated");
	liveupdate_state_unref(st);
	put(root, IN_META, buf, 40);
	st = query(root, true);
	ck_contains(liveupdate_state_get_missing(st, LIVEUPDATE_FACT_KEXEC_COUNT),
		    "40 bytes, not the 73");
	liveupdate_state_unref(st);

	/* LUO: another ABI version; garbage; truncated; a live update number 0 */
	patch(root, OUT_LUO, "luo-v5", "luo-v6");
	st = query(root, true);
	ck_assert_str_eq(liveupdate_state_get_luo_abi(st), "luo-v6");
	ck_contains(liveupdate_state_get_missing(st, LIVEUPDATE_FACT_LIVEUPDATE_COUNT),
		    "compatible \"luo-v6\"");
	liveupdate_state_unref(st);
	len = get("vm-update-1", "sys/kernel/debug/kho/in/sub_fdts/LUO", buf);
	put(root, OUT_LUO, buf, len); /* the stale bytes, where valid ones belong */
	st = query(root, true);
	ck_assert_ptr_null(liveupdate_state_get_luo_abi(st));
	ck_contains(liveupdate_state_get_missing(st, LIVEUPDATE_FACT_LUO_ABI),
		    KHO "/out/sub_fdts/LUO: no LUO compatible string");
	liveupdate_state_unref(st);
	len = get("vm-update-1", OUT_LUO, buf);
	put(root, OUT_LUO, buf, 12);
	st = query(root, true);
	ck_contains(liveupdate_state_get_missing(st, LIVEUPDATE_FACT_LIVEUPDATE_COUNT),
		    "12 bytes, not the 32");
	liveupdate_state_unref(st);
	memset(buf + 8, 0, 8);
	put(root, OUT_LUO, buf, len);
	st = query(root, true);
	ck_contains(liveupdate_state_get_missing(st, LIVEUPDATE_FACT_LIVEUPDATE_COUNT),
		    "live update number 0 is impossible");
	liveupdate_state_unref(st);
	remove_tree(root);
}
END_TEST

/* debugfs is root's: another user is told so. */
START_TEST(test_not_root)
{
	char *root = copy_vm_tree();
	char dir[1100];
	pid_t pid;
	int status;

	snprintf(dir, sizeof(dir), "%s/sys/kernel/debug", root);
	ck_assert_int_eq(chmod(dir, geteuid() == 0 ? 0700 : 0), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		LIVEUPDATE_OPTS(liveupdate_ctx_opts, o, .device_path = "/nonexistent",
				.backend = LIVEUPDATE_BACKEND_KERNEL);
		struct liveupdate_ctx *ctx;
		struct liveupdate_state *st;
		const char *why;

		/* no seam here: its daemon is root's */
		if (geteuid() == 0 && setresuid(65534, 65534, 65534) < 0)
			_exit(3);
		if (liveupdate_ctx_new(&o, &ctx) < 0)
			_exit(4);
		liveupdate_ctx_set_log_fn(ctx, NULL, NULL);
		st = query_ctx(ctx, root);
		why = liveupdate_state_get_missing(st, LIVEUPDATE_FACT_BOOT);
		_exit(why && strstr(why, "needs root") &&
		      liveupdate_state_get_boot(st) == LIVEUPDATE_BOOT_UNKNOWN ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d", status);
	chmod(dir, 0755);
	remove_tree(root);
}
END_TEST

START_TEST(test_bad_args)
{
	struct liveupdate_ctx *ctx = seam_ctx(NULL);
	struct liveupdate_state *st = (void *)0x1;
	struct {
		struct liveupdate_state_opts o;
		char future[8];
	} big;

	liveupdate_ctx_set_log_fn(ctx, NULL, NULL);
	ck_assert_int_eq(liveupdate_state_query(NULL, NULL, &st), -EINVAL);
	ck_assert_int_eq(liveupdate_state_query(ctx, NULL, NULL), -EINVAL);
	memset(&big, 0, sizeof(big));
	big.o.sz = sizeof(big);
	big.future[1] = 1;
	ck_assert_int_eq(liveupdate_state_query(ctx, &big.o, &st), -EINVAL);
	{
		LIVEUPDATE_OPTS(liveupdate_state_opts, o, .root = "/nonexistent/lu-root");

		ck_assert_int_eq(liveupdate_state_query(ctx, &o, &st), -ENOENT);
		ck_contains(liveupdate_last_error(), "/nonexistent/lu-root");
	}
	{
		LIVEUPDATE_OPTS(liveupdate_state_opts, o, .root = "/dev/null");

		ck_assert_int_eq(liveupdate_state_query(ctx, &o, &st), -ENOTDIR);
	}
	ck_assert_ptr_eq(st, (void *)0x1); /* untouched on failure */

	ck_assert_int_eq(liveupdate_state_get_avail(NULL), 0);
	ck_assert_ptr_null(liveupdate_state_get_avail_text(NULL));
	ck_assert_int_eq(liveupdate_state_get_holder_pid(NULL), -EINVAL);
	ck_assert_ptr_null(liveupdate_state_get_holder_comm(NULL));
	ck_assert_int_eq(liveupdate_state_get_boot(NULL), LIVEUPDATE_BOOT_UNKNOWN);
	ck_assert_int_eq(liveupdate_state_get_kexec_count(NULL), -EINVAL);
	ck_assert_int_eq(liveupdate_state_get_liveupdate_count(NULL), -EINVAL);
	ck_assert_ptr_null(liveupdate_state_get_source(NULL, LIVEUPDATE_FACT_BOOT));
	ck_assert_int_eq(liveupdate_state_kho_count(NULL, LIVEUPDATE_KHO_IN), -EINVAL);
	ck_assert_ptr_null(liveupdate_state_ref(NULL));
	ck_assert_ptr_null(liveupdate_state_unref(NULL));

	st = query_ctx(ctx, fixture("vm-cold"));
	ck_assert_ptr_null(liveupdate_state_get_source(st, (enum liveupdate_fact)99));
	ck_assert_ptr_null(liveupdate_state_get_missing(st, (enum liveupdate_fact)-1));
	ck_assert_int_eq(liveupdate_state_kho_count(st, (enum liveupdate_kho_side)3), -EINVAL);
	ck_assert_ptr_eq(liveupdate_state_ref(st), st);
	ck_assert_ptr_eq(liveupdate_state_unref(st), st);
	ck_assert_ptr_null(liveupdate_state_unref(st));
	liveupdate_ctx_unref(ctx);

	for (int a = LIVEUPDATE_AVAIL_YES; a <= LIVEUPDATE_AVAIL_DEVICE_ERROR; a++)
		ck_assert_ptr_nonnull(liveupdate_avail_name((enum liveupdate_avail)a));
	ck_assert_ptr_null(liveupdate_avail_name((enum liveupdate_avail)0));
	ck_assert_ptr_null(liveupdate_avail_name((enum liveupdate_avail)11));
}
END_TEST

/* Backing @index: its answer, checking its backing and page size. */
static int backing(const struct liveupdate_state *st, unsigned int index,
		   enum liveupdate_memory_backing want, uint64_t page_size, const char **why)
{
	enum liveupdate_memory_backing b = 0;
	uint64_t size = 0;
	int ret = liveupdate_state_get_backing(st, index, &b, &size, why);

	ck_assert_int_eq(b, want);
	ck_assert_uint_eq(size, page_size);
	return ret;
}

START_TEST(test_host_memory_fixture)
{
	struct liveupdate_state *st = query(fixture("vm-cold"), true);
	struct liveupdate_hugetlb_pool pool = { .sz = sizeof(pool) };
	const char *why;

	ck_assert_int_eq(liveupdate_state_get_shmem_thp(st), LIVEUPDATE_THP_ADVISE);
	ck_contains(liveupdate_state_get_source(st, LIVEUPDATE_FACT_SHMEM_THP), "shmem_enabled");
	ck_assert_int_eq(liveupdate_state_get_huge_tmpfs(st), LIVEUPDATE_THP_ALWAYS);
	ck_assert_int_eq(liveupdate_state_get_hugetlb_pool(st, 0, &pool), 0);
	ck_assert_uint_eq(pool.page_size, 2u << 20);
	ck_assert_uint_eq(pool.total, 4);
	ck_assert_uint_eq(pool.free, 3);
	ck_assert_int_eq(liveupdate_state_get_hugetlb_pool(st, 1, &pool), -ENOENT);
	/* a fixture root is never probed: unknown, and why */
	ck_assert_int_eq(backing(st, 0, LIVEUPDATE_MEMORY_SHMEM, 4096, &why), -ENODATA);
	ck_contains(why, "not probed: the state was read from");
	ck_assert_int_eq(backing(st, 1, LIVEUPDATE_MEMORY_THP, 2u << 20, NULL), -ENODATA);
	ck_assert_int_eq(backing(st, 2, LIVEUPDATE_MEMORY_HUGETLB, 2u << 20, NULL), -ENODATA);
	ck_assert_int_eq(liveupdate_state_get_backing(st, 3, NULL, NULL, NULL), -ENOENT);
	ck_assert_ptr_null(liveupdate_state_get_source(st, LIVEUPDATE_FACT_BACKINGS));
	ck_contains(liveupdate_state_get_missing(st, LIVEUPDATE_FACT_BACKINGS), "not probed");
	/* a caller's older, shorter pool struct gets only what fits */
	memset(&pool, 0, sizeof(pool));
	pool.sz = offsetof(struct liveupdate_hugetlb_pool, free);
	ck_assert_int_eq(liveupdate_state_get_hugetlb_pool(st, 0, &pool), 0);
	ck_assert_uint_eq(pool.total, 4);
	ck_assert_uint_eq(pool.free, 0);
	pool.sz = 0;
	ck_assert_int_eq(liveupdate_state_get_hugetlb_pool(st, 0, &pool), -EINVAL);
	liveupdate_state_unref(st);

	/* a root without /sys/kernel/mm: no THP, no pool, only 4 KiB shmem;
	 * without a mount table: that it could not be read, not "no tmpfs" */
	st = query(fixture("too-old"), true);
	ck_assert_int_eq(liveupdate_state_get_shmem_thp(st), -ENODATA);
	ck_contains(liveupdate_state_get_missing(st, LIVEUPDATE_FACT_SHMEM_THP), "shmem_enabled");
	ck_assert_int_eq(liveupdate_state_get_huge_tmpfs(st), -ENODATA);
	ck_contains(liveupdate_state_get_missing(st, LIVEUPDATE_FACT_HUGE_TMPFS),
		    "/proc/self/mountinfo could not be read (No such file or directory)");
	ck_assert_ptr_null(strstr(liveupdate_state_get_missing(st, LIVEUPDATE_FACT_HUGE_TMPFS),
				  "no tmpfs"));
	ck_assert_int_eq(liveupdate_state_get_hugetlb_pool(st, 0, &pool), -EINVAL);
	pool.sz = sizeof(pool);
	ck_assert_int_eq(liveupdate_state_get_hugetlb_pool(st, 0, &pool), -ENOENT);
	ck_contains(liveupdate_state_get_missing(st, LIVEUPDATE_FACT_HUGETLB), "no pool");
	ck_assert_int_eq(backing(st, 0, LIVEUPDATE_MEMORY_SHMEM, 4096, NULL), -ENODATA);
	ck_assert_int_eq(liveupdate_state_get_backing(st, 1, NULL, NULL, NULL), -ENOENT);
	liveupdate_state_unref(st);
}
END_TEST

START_TEST(test_host_memory_probe)
{
	struct liveupdate_ctx *ctx = seam_ctx(NULL);
	struct liveupdate_state *st;
	const char *why = "";

	/* the running host and a device that opens: probed, then closed again */
	liveupdate_ctx_set_log_fn(ctx, NULL, NULL);
	st = query_ctx(ctx, NULL);
	ck_assert_int_eq(backing(st, 0, LIVEUPDATE_MEMORY_SHMEM, 4096, &why), 1);
	ck_assert_ptr_null(why);
	ck_contains(liveupdate_state_get_source(st, LIVEUPDATE_FACT_BACKINGS),
		    "liveupdate_memory_probe()");
	ck_assert(!seam_device_open());
	liveupdate_state_unref(st);
	liveupdate_ctx_unref(ctx);

	/* no device: not probed, never guessed */
	ctx = seam_ctx(NULL);
	liveupdate_ctx_set_log_fn(ctx, NULL, NULL);
	seam_set_device_absent(true);
	st = query_ctx(ctx, NULL);
	ck_assert_int_eq(backing(st, 0, LIVEUPDATE_MEMORY_SHMEM, 4096, &why), -ENODATA);
	ck_contains(why, "not probed: a probe needs the device");
	liveupdate_state_unref(st);
	liveupdate_ctx_unref(ctx);

	ck_assert_int_eq(liveupdate_state_get_shmem_thp(NULL), -EINVAL);
	ck_assert_int_eq(liveupdate_state_get_backing(NULL, 0, NULL, NULL, NULL), -EINVAL);
	ck_assert_str_eq(liveupdate_thp_policy_name(LIVEUPDATE_THP_WITHIN_SIZE), "within_size");
	ck_assert_ptr_null(liveupdate_thp_policy_name((enum liveupdate_thp_policy)7));
	ck_assert_str_eq(liveupdate_memory_backing_name(LIVEUPDATE_MEMORY_THP), "thp");
	ck_assert_ptr_null(liveupdate_memory_backing_name((enum liveupdate_memory_backing)4));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("state");
	TCase *tc = tcase_create("state");
	const char *top = getenv("top_srcdir");

	snprintf(fixtures, sizeof(fixtures), "%s/tests/unit/fixtures/state", top ? top : ".");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_cold_boot);
	tcase_add_test(tc, test_after_live_update);
	tcase_add_loop_test(tc, test_reason_from_files, 0, sizeof(reasons) / sizeof(reasons[0]));
	tcase_add_test(tc, test_busy_names_holder);
	tcase_add_test(tc, test_device_errors);
	tcase_add_test(tc, test_device_already_open);
	tcase_add_test(tc, test_debugfs_missing);
	tcase_add_test(tc, test_hostile_root_fdt);
	tcase_add_test(tc, test_hostile_subtree_name);
	tcase_add_test(tc, test_hostile_blobs);
	tcase_add_test(tc, test_not_root);
	tcase_add_test(tc, test_bad_args);
	tcase_add_test(tc, test_host_memory_fixture);
	tcase_add_test(tc, test_host_memory_probe);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
