/*
 * raw-kho-dump: print every Kexec HandOver debugfs file base64-encoded on
 * the console, on a cold boot and after one and two live updates (a session
 * with a memfd is carried each time), so that tests/unit/fixtures/state can
 * be captured again from a new kernel (see its README and capture.sh).
 * It fails when a stage captured less than those fixtures hold (the files
 * listed below), or when a file it lists cannot be read whole.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/liveupdate.h>

#include "lutest.h"

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* What tests/unit/fixtures/state and its readers need from each stage. */
static const char *const every_stage[] = { "out/sub_fdts/LUO", "out/sub_fdts/kexec-metadata",
					   "out/scratch_len", "out/scratch_phys", NULL };
static const char *const cold_boot[] = { "out/fdt", NULL };
static const char *const after_update[] = { "in/fdt", "in/sub_fdts/LUO",
					    "in/sub_fdts/kexec-metadata", NULL };

/* The files dumped in this stage. */
static char dumped[64][64];
static int ndumped;

static void require(const char *const *files)
{
	for (; *files; files++) {
		int i = 0;

		while (i < ndumped && strcmp(dumped[i], *files))
			i++;
		LT_CHECK(i < ndumped, "captured %d file(s), not %s (the fixtures need it)", ndumped,
			 *files);
	}
}

static void dump(const char *rel)
{
	char path[600], line[100];
	static unsigned char buf[1 << 20];
	size_t len = 0;
	ssize_t n;
	snprintf(path, sizeof(path), "/sys/kernel/debug/kho/%s", rel);
	int fd = open(path, O_RDONLY);
	LT_CHECK(fd >= 0, "open %s: %s", path, lt_errname(errno));
	while ((n = read(fd, buf + len, sizeof(buf) - len)) > 0)
		len += n;
	LT_CHECK(n == 0, "%s: %s", path, n < 0 ? lt_errname(errno) : "larger than 1 MiB");
	close(fd);
	LT_CHECK(ndumped < 64 && strlen(rel) < sizeof(dumped[0]), "%s: too many files", rel);
	strcpy(dumped[ndumped++], rel);
	lt_log("DUMP-BEGIN %s %zu", rel, len);
	for (size_t i = 0; i < len; i += 57) {
		size_t k = 0, m = len - i < 57 ? len - i : 57;
		for (size_t j = 0; j < m; j += 3) {
			unsigned v = buf[i + j] << 16;
			if (j + 1 < m) v |= buf[i + j + 1] << 8;
			if (j + 2 < m) v |= buf[i + j + 2];
			line[k++] = b64[(v >> 18) & 63];
			line[k++] = b64[(v >> 12) & 63];
			line[k++] = j + 1 < m ? b64[(v >> 6) & 63] : '=';
			line[k++] = j + 2 < m ? b64[v & 63] : '=';
		}
		line[k] = 0;
		lt_log("DUMP-DATA %s %s", rel, line);
	}
	lt_log("DUMP-END %s", rel);
}

static void dump_dir(const char *dir)
{
	char path[256], rel[520];
	snprintf(path, sizeof(path), "/sys/kernel/debug/kho/%s", dir);
	DIR *d = opendir(path);
	if (!d) {
		lt_log("DUMP-NODIR %s %s", dir, lt_errname(errno));
		return; /* in/ is absent on a cold boot; require() judges */
	}
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || !strcmp(e->d_name, "sub_fdts"))
			continue;
		snprintf(rel, sizeof(rel), "%s/%s", dir, e->d_name);
		dump(rel);
	}
	closedir(d);
}

static int run(int stage)
{
	dump_dir("out");
	dump_dir("out/sub_fdts");
	dump_dir("in");
	dump_dir("in/sub_fdts");
	require(every_stage);
	require(stage == 1 ? cold_boot : after_update);
	if (stage >= 3)
		lt_pass("dumped %d files", ndumped);
	int dev = open("/dev/liveupdate", O_RDWR | O_CLOEXEC);
	LT_CHECK(dev >= 0, "open: %s", lt_errname(errno));
	struct liveupdate_ioctl_create_session cs = { .size = sizeof(cs) };
	snprintf((char *)cs.name, sizeof(cs.name), "kho-dump-%d", stage);
	LT_CHECK(ioctl(dev, LIVEUPDATE_IOCTL_CREATE_SESSION, &cs) == 0, "create: %s", lt_errname(errno));
	int mfd = memfd_create("d", MFD_CLOEXEC);
	LT_CHECK(ftruncate(mfd, 65536) == 0, "ftruncate");
	struct liveupdate_session_preserve_fd pf = { .size = sizeof(pf), .fd = mfd, .token = 7 };
	LT_CHECK(ioctl(cs.fd, LIVEUPDATE_SESSION_PRESERVE_FD, &pf) == 0, "preserve: %s", lt_errname(errno));
	close(mfd);
	close(dev);
	lt_keep_fd(cs.fd);
	return LT_CONTINUE;
}

LT_SCENARIO(raw_kho_dump, "raw-kho-dump", run, 0);
