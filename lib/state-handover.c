/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * This boot and the Kexec HandOver trees, from debugfs
 * (/sys/kernel/debug/kho, CONFIG_KEXEC_HANDOVER_DEBUGFS):
 *   in/   only after a kexec with handover: what the previous kernel gave;
 *   out/  what this kernel will give.
 * Facts come from blobs whose identity was checked first (kho.c). The
 * incoming LUO blob is never read: the kernel frees it once the sessions
 * are restored, but debugfs keeps showing that memory.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "state-private.h"

#define BLOB_MAX (1u << 20)
#define KHO_IN LU_KHO_DEBUGFS "/in"
#define KHO_OUT LU_KHO_DEBUGFS "/out"
#define STALE_NOTE "stale: the kernel frees the incoming LUO data once the " \
	"sessions are restored, but debugfs still shows that memory; not read"

static int visit_debugfs(void *data, struct lu_util_mount *m)
{
	bool *mounted = data;

	*mounted = strcmp(m->point, "/sys/kernel/debug") == 0 &&
		   strcmp(m->fstype, "debugfs") == 0;
	return *mounted;
}

/* Why debugfs tells nothing: not mounted, not root, or no KHO in it. */
static void debugfs_missing(const struct lu_state_root *root, int err,
			    char *why, size_t size)
{
	bool mounted = false;

	if (err == -EACCES || err == -EPERM) {
		snprintf(why, size, "reading " LU_KHO_DEBUGFS " needs root (debugfs "
			 "is mode 0700): run as root");
		return;
	}
	lu_util_mountinfo_foreach(lu_state_root_dir(root), visit_debugfs, &mounted);
	if (!mounted)
		snprintf(why, size, "debugfs is not mounted: mount -t debugfs none "
			 "/sys/kernel/debug");
	else
		snprintf(why, size, "no " LU_KHO_DEBUGFS ": the kernel lacks "
			 "CONFIG_KEXEC_HANDOVER_DEBUGFS, or Kexec HandOver is off");
}

static struct lu_state_kho_entry *add_entry(struct lu_state_kho *kho, const char *name)
{
	struct lu_state_kho_entry *e, *grown;

	grown = realloc(kho->entries, (kho->count + 1) * sizeof(*grown));
	if (!grown)
		return NULL;
	kho->entries = grown;
	e = &kho->entries[kho->count++];
	memset(e, 0, sizeof(*e));
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->size = -ENODATA;
	return e;
}

/* Identify one blob of sub_fdts/ by its compatible string or version. */
static void identify(const struct lu_state_root *root, const char *dir,
		     bool incoming, struct lu_state_kho_entry *e)
{
	char path[LU_STATE_PATH_MAX], why[LU_KHO_WHY_MAX];
	size_t len;
	char *buf;
	int err;

	snprintf(path, sizeof(path), "%s/sub_fdts/%s", dir, e->name);
	if (!e->name[0] || strchr(e->name, '/') || !strcmp(e->name, ".") ||
	    !strcmp(e->name, "..")) {
		snprintf(e->note, sizeof(e->note), "%s/sub_fdts: a subtree named \"%s\" "
			 "cannot be a file there; not read", dir, e->name);
		return;
	}
	if (incoming && strcmp(e->name, "LUO") == 0) {
		snprintf(e->note, sizeof(e->note), "%s: " STALE_NOTE, path);
		return;
	}
	err = lu_state_read(root, path, BLOB_MAX, &buf, &len);
	if (err) {
		snprintf(e->note, sizeof(e->note), "%s: %s", path, strerror(-err));
		return;
	}
	if (e->size < 0)
		e->size = (int64_t)len;
	e->format = lu_kho_identify(e->name, buf, len, why);
	if (!e->format)
		snprintf(e->note, sizeof(e->note), "%s: %s", path, why);
	else if ((int64_t)len != e->size)
		snprintf(e->note, sizeof(e->note), "%s: %zu bytes, the root FDT says "
			 "%lld", path, len, (long long)e->size);
	free(buf);
}

/* Subtrees from sub_fdts/ itself, when the root FDT cannot be read. */
static int list_dir(const struct lu_state_root *root, const char *dir,
		    struct lu_state_kho *kho)
{
	char path[LU_STATE_PATH_MAX];
	struct dirent *d;
	DIR *dp;

	snprintf(path, sizeof(path), "%s/sub_fdts", dir);
	dp = lu_state_opendir(root, path);
	if (!dp)
		return 0;
	while ((d = readdir(dp)) && kho->count < 256) {
		if (d->d_name[0] == '.')
			continue;
		if (!add_entry(kho, d->d_name)) {
			closedir(dp);
			return -ENOMEM;
		}
	}
	closedir(dp);
	return 0;
}

static int read_tree(const struct lu_state_root *root, struct liveupdate_state *st,
		     enum liveupdate_fact fact, const char *dir, struct lu_state_kho *kho)
{
	char path[LU_STATE_PATH_MAX], why[LU_KHO_WHY_MAX];
	struct lu_kho_root tree;
	size_t len;
	char *buf;
	int err;

	snprintf(path, sizeof(path), "%s/fdt", dir);
	err = lu_state_read(root, path, BLOB_MAX, &buf, &len);
	if (err) {
		lu_state_set_missing(st, fact, "%s: %s", path, strerror(-err));
	} else {
		err = lu_kho_parse_root(buf, len, &tree, why);
		free(buf);
		if (err == -ENOMEM)
			return err;
		if (err)
			lu_state_set_missing(st, fact, "%s: %s", path, why);
	}
	if (err) {
		err = list_dir(root, dir, kho);
	} else {
		lu_state_set_source(st, fact, "%s", path);
		snprintf(kho->compatible, sizeof(kho->compatible), "%s", tree.compatible);
		for (size_t i = 0; i < tree.count && !err; i++) {
			struct lu_state_kho_entry *e = add_entry(kho, tree.subtrees[i].name);

			if (!e)
				err = -ENOMEM;
			else if (tree.subtrees[i].has_size &&
				 tree.subtrees[i].size <= INT64_MAX)
				e->size = (int64_t)tree.subtrees[i].size;
		}
		lu_kho_root_free(&tree);
	}
	for (size_t i = 0; i < kho->count && !err; i++)
		identify(root, dir, kho == &st->kho_in, &kho->entries[i]);
	return err;
}

/* Previous release and kexec count from a kexec-metadata blob. */
static void kexec_metadata(const struct lu_state_root *root,
			   struct liveupdate_state *st, bool incoming)
{
	const char *path = incoming ? KHO_IN "/sub_fdts/kexec-metadata"
				    : KHO_OUT "/sub_fdts/kexec-metadata";
	char release[LU_KHO_RELEASE_MAX], why[LU_KHO_WHY_MAX];
	uint32_t version, count;
	size_t len;
	char *buf;
	int err;

	err = lu_state_read(root, path, BLOB_MAX, &buf, &len);
	if (err) {
		lu_state_set_missing(st, LIVEUPDATE_FACT_KEXEC_COUNT, "%s: %s", path,
				     strerror(-err));
	} else {
		err = lu_kho_parse_kexec_metadata(buf, len, &version, release, &count, why);
		free(buf);
		if (err)
			lu_state_set_missing(st, LIVEUPDATE_FACT_KEXEC_COUNT, "%s: %s",
					     path, why);
	}
	if (err) {
		if (incoming)
			lu_state_set_missing(st, LIVEUPDATE_FACT_PREVIOUS_RELEASE, "%s",
					     st->facts[LIVEUPDATE_FACT_KEXEC_COUNT].missing);
		return;
	}
	if (incoming) {
		snprintf(st->previous_release, sizeof(st->previous_release), "%s", release);
		lu_state_set_source(st, LIVEUPDATE_FACT_PREVIOUS_RELEASE, "%s", path);
		st->kexec_count = count;
	} else if (count == 0) {
		lu_state_set_missing(st, LIVEUPDATE_FACT_KEXEC_COUNT, "%s: a kexec "
				     "count of 0 for the next kernel is impossible", path);
		return;
	} else {
		st->kexec_count = count - 1; /* out/ holds the next kernel's */
	}
	lu_state_set_source(st, LIVEUPDATE_FACT_KEXEC_COUNT, "%s", path);
}

/* LUO's ABI and the live update count, from out/sub_fdts/LUO. */
static void luo(const struct lu_state_root *root, struct liveupdate_state *st)
{
	const char *path = KHO_OUT "/sub_fdts/LUO";
	char compat[LU_KHO_COMPAT_MAX] = "", why[LU_KHO_WHY_MAX];
	uint64_t num;
	size_t len;
	char *buf;
	int err;

	err = lu_state_read(root, path, BLOB_MAX, &buf, &len);
	if (err) {
		snprintf(why, sizeof(why), "%s", strerror(-err));
	} else {
		err = lu_kho_parse_luo(buf, len, compat, &num, why);
		free(buf);
	}
	if (!err && (num == 0 || num > INT64_MAX)) {
		snprintf(why, sizeof(why), "live update number %llu is impossible",
			 (unsigned long long)num);
		err = -EBADMSG;
	}
	if (err) {
		lu_state_set_missing(st, LIVEUPDATE_FACT_LIVEUPDATE_COUNT, "%s: %s",
				     path, why);
		if (err != -EPROTONOSUPPORT || !compat[0])
			lu_state_set_missing(st, LIVEUPDATE_FACT_LUO_ABI, "%s: %s",
					     path, why);
	}
	if (compat[0]) {
		snprintf(st->luo_abi, sizeof(st->luo_abi), "%s", compat);
		lu_state_set_source(st, LIVEUPDATE_FACT_LUO_ABI, "%s", path);
	}
	if (err)
		return;
	st->liveupdate_count = (int64_t)num - 1; /* the next update's number */
	lu_state_set_source(st, LIVEUPDATE_FACT_LIVEUPDATE_COUNT, "%s", path);
}

int lu_state_handover(const struct lu_state_root *root, struct liveupdate_state *st)
{
	char why[LU_STATE_TEXT_MAX];
	struct stat sb;
	int err;

	err = lu_state_stat(root, LU_KHO_DEBUGFS, &sb);
	if (err) {
		debugfs_missing(root, err, why, sizeof(why));
		for (int f = LIVEUPDATE_FACT_BOOT; f <= LIVEUPDATE_FACT_KHO_OUT; f++)
			lu_state_set_missing(st, f, "%s", why);
		return 0;
	}
	err = lu_state_stat(root, KHO_IN, &sb);
	st->boot = err ? LIVEUPDATE_BOOT_COLD : LIVEUPDATE_BOOT_LIVE_UPDATE;
	lu_state_set_source(st, LIVEUPDATE_FACT_BOOT, "%s", KHO_IN);
	if (st->boot == LIVEUPDATE_BOOT_COLD) {
		lu_state_set_missing(st, LIVEUPDATE_FACT_PREVIOUS_RELEASE, "a cold "
				     "boot has no previous kernel (no %s)", KHO_IN);
		lu_state_set_missing(st, LIVEUPDATE_FACT_KHO_IN, "a cold boot: "
				     "nothing was handed over (no %s)", KHO_IN);
	}
	kexec_metadata(root, st, st->boot == LIVEUPDATE_BOOT_LIVE_UPDATE);
	luo(root, st);
	err = 0;
	if (st->boot == LIVEUPDATE_BOOT_LIVE_UPDATE)
		err = read_tree(root, st, LIVEUPDATE_FACT_KHO_IN, KHO_IN, &st->kho_in);
	if (!err)
		err = read_tree(root, st, LIVEUPDATE_FACT_KHO_OUT, KHO_OUT, &st->kho_out);
	return err;
}
