/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The state snapshot: liveupdate_state_query() and its getters. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "state-private.h"

static void kernel_release(const struct lu_state_root *root, struct liveupdate_state *st)
{
	static const char osrelease[] = "/proc/sys/kernel/osrelease";
	struct utsname u;
	int err;

	err = lu_state_read_line(root, osrelease, st->kernel_release,
				 sizeof(st->kernel_release));
	if (!err && st->kernel_release[0]) {
		lu_state_set_source(st, LIVEUPDATE_FACT_KERNEL_RELEASE, osrelease);
	} else if (root->is_host && uname(&u) == 0) {
		snprintf(st->kernel_release, sizeof(st->kernel_release), "%s", u.release);
		lu_state_set_source(st, LIVEUPDATE_FACT_KERNEL_RELEASE, "uname(2)");
	} else {
		st->kernel_release[0] = '\0';
		lu_state_set_missing(st, LIVEUPDATE_FACT_KERNEL_RELEASE, "%s: %s",
				     osrelease, err ? strerror(-err) : "empty");
	}
}

static int set_root(struct liveupdate_ctx *ctx, const char *dir,
		    struct lu_state_root *root)
{
	struct stat sb;
	size_t len;

	if (!dir || strcmp(dir, "/") == 0) {
		root->dir[0] = '\0';
		root->is_host = true;
		return 0;
	}
	len = strlen(dir);
	while (len > 1 && dir[len - 1] == '/')
		len--;
	if (!len || len >= sizeof(root->dir) - 64)
		return lu_bad_arg(ctx, "liveupdate_state_query: root \"%s\" is empty "
				  "or longer than %zu bytes", dir, sizeof(root->dir) - 64);
	if (stat(dir, &sb) < 0)
		return lu_fail(ctx, LU_OP_STATE, -errno, "liveupdate_state_query: "
			       "root directory %s", dir);
	if (!S_ISDIR(sb.st_mode))
		return lu_fail(ctx, LU_OP_STATE, -ENOTDIR, "liveupdate_state_query: "
			       "root directory %s", dir);
	memcpy(root->dir, dir, len);
	root->dir[len] = '\0';
	root->is_host = false;
	return 0;
}

static void state_free(struct liveupdate_state *st)
{
	free(st->kho_in.entries);
	free(st->kho_out.entries);
	free(st);
}

LU_EXPORT int liveupdate_state_query(struct liveupdate_ctx *ctx,
				     const struct liveupdate_state_opts *opts,
				     struct liveupdate_state **statep)
{
	struct lu_state_root root;
	struct liveupdate_state *st;
	int err;

	if (!ctx || !statep)
		return lu_bad_arg(ctx, "liveupdate_state_query: %s is NULL",
				  ctx ? "statep" : "ctx");
	if (lu_check_opts(ctx, "liveupdate_state_query", opts))
		return -EINVAL;
	err = set_root(ctx, lu_opts_get(opts, root, NULL), &root);
	if (err)
		return err;
	st = calloc(1, sizeof(*st));
	if (!st)
		return lu_oom(ctx, "liveupdate_state_query");
	st->refcount = 1;
	st->kexec_count = -ENODATA;
	st->liveupdate_count = -ENODATA;
	kernel_release(&root, st);
	err = lu_state_availability(ctx, &root, st);
	if (!err)
		err = lu_state_handover(&root, st);
	if (err) {
		state_free(st);
		return lu_oom(ctx, "liveupdate_state_query");
	}
	lu_state_memory(ctx, &root, st);
	lu_dbg(ctx, "state: %s; boot %d", liveupdate_avail_name(st->avail), (int)st->boot);
	*statep = st;
	return 0;
}

LU_EXPORT struct liveupdate_state *liveupdate_state_ref(struct liveupdate_state *st)
{
	if (st)
		__atomic_add_fetch(&st->refcount, 1, __ATOMIC_RELAXED);
	return st;
}

LU_EXPORT struct liveupdate_state *liveupdate_state_unref(struct liveupdate_state *st)
{
	if (!st)
		return NULL;
	if (__atomic_sub_fetch(&st->refcount, 1, __ATOMIC_ACQ_REL) > 0)
		return st;
	state_free(st);
	return NULL;
}

LU_EXPORT enum liveupdate_avail
liveupdate_state_get_avail(const struct liveupdate_state *st)
{
	return st ? st->avail : (enum liveupdate_avail)0;
}

LU_EXPORT const char *liveupdate_state_get_avail_text(const struct liveupdate_state *st)
{
	return st ? st->avail_text : NULL;
}

LU_EXPORT int liveupdate_state_get_holder_pid(const struct liveupdate_state *st)
{
	if (!st)
		return -EINVAL;
	return st->holder_pid > 0 ? (int)st->holder_pid : -ENOENT;
}

LU_EXPORT const char *liveupdate_state_get_holder_comm(const struct liveupdate_state *st)
{
	return st && st->holder_pid > 0 ? st->holder_comm : NULL;
}

LU_EXPORT enum liveupdate_boot liveupdate_state_get_boot(const struct liveupdate_state *st)
{
	return st ? st->boot : LIVEUPDATE_BOOT_UNKNOWN;
}

static const char *nonempty(const struct liveupdate_state *st, const char *s)
{
	return st && s[0] ? s : NULL;
}

LU_EXPORT const char *
liveupdate_state_get_kernel_release(const struct liveupdate_state *st)
{
	return st ? nonempty(st, st->kernel_release) : NULL;
}

LU_EXPORT const char *
liveupdate_state_get_previous_release(const struct liveupdate_state *st)
{
	return st ? nonempty(st, st->previous_release) : NULL;
}

LU_EXPORT int64_t liveupdate_state_get_kexec_count(const struct liveupdate_state *st)
{
	return st ? st->kexec_count : -EINVAL;
}

LU_EXPORT int64_t liveupdate_state_get_liveupdate_count(const struct liveupdate_state *st)
{
	return st ? st->liveupdate_count : -EINVAL;
}

LU_EXPORT const char *liveupdate_state_get_luo_abi(const struct liveupdate_state *st)
{
	return st ? nonempty(st, st->luo_abi) : NULL;
}

static const struct lu_state_fact *fact(const struct liveupdate_state *st,
					enum liveupdate_fact f)
{
	return st && (unsigned)f < LU_STATE_FACTS ? &st->facts[f] : NULL;
}

LU_EXPORT const char *liveupdate_state_get_source(const struct liveupdate_state *st,
						  enum liveupdate_fact f)
{
	const struct lu_state_fact *x = fact(st, f);

	return x ? nonempty(st, x->source) : NULL;
}

LU_EXPORT const char *liveupdate_state_get_missing(const struct liveupdate_state *st,
						   enum liveupdate_fact f)
{
	const struct lu_state_fact *x = fact(st, f);

	return x ? nonempty(st, x->missing) : NULL;
}

static const struct lu_state_kho *side_of(const struct liveupdate_state *st,
					  enum liveupdate_kho_side side)
{
	if (!st)
		return NULL;
	if (side == LIVEUPDATE_KHO_IN)
		return &st->kho_in;
	if (side == LIVEUPDATE_KHO_OUT)
		return &st->kho_out;
	return NULL;
}

static const struct lu_state_kho_entry *entry(const struct liveupdate_state *st,
					      enum liveupdate_kho_side side,
					      unsigned int index)
{
	const struct lu_state_kho *kho = side_of(st, side);

	return kho && index < kho->count ? &kho->entries[index] : NULL;
}

LU_EXPORT const char *liveupdate_state_kho_compatible(const struct liveupdate_state *st,
						      enum liveupdate_kho_side side)
{
	const struct lu_state_kho *kho = side_of(st, side);

	return kho ? nonempty(st, kho->compatible) : NULL;
}

LU_EXPORT int liveupdate_state_kho_count(const struct liveupdate_state *st,
					 enum liveupdate_kho_side side)
{
	const struct lu_state_kho *kho = side_of(st, side);

	return kho ? (int)kho->count : -EINVAL;
}

LU_EXPORT const char *liveupdate_state_kho_name(const struct liveupdate_state *st,
						enum liveupdate_kho_side side,
						unsigned int index)
{
	const struct lu_state_kho_entry *e = entry(st, side, index);

	return e ? e->name : NULL;
}

LU_EXPORT int64_t liveupdate_state_kho_size(const struct liveupdate_state *st,
					    enum liveupdate_kho_side side,
					    unsigned int index)
{
	const struct lu_state_kho_entry *e = entry(st, side, index);

	return e ? e->size : -EINVAL;
}

LU_EXPORT const char *liveupdate_state_kho_format(const struct liveupdate_state *st,
						  enum liveupdate_kho_side side,
						  unsigned int index)
{
	const struct lu_state_kho_entry *e = entry(st, side, index);

	return e ? e->format : NULL;
}

LU_EXPORT const char *liveupdate_state_kho_note(const struct liveupdate_state *st,
						enum liveupdate_kho_side side,
						unsigned int index)
{
	const struct lu_state_kho_entry *e = entry(st, side, index);

	return e ? nonempty(st, e->note) : NULL;
}
