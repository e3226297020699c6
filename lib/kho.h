/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Decoders of what Kexec HandOver (KHO) shows in debugfs: the root FDT and
 * the subtree blobs this library knows (LUO's struct luo_ser, the
 * kexec-metadata struct, memblock's FDT). Pure functions over a buffer, so
 * that they can be fuzzed; lib/kho.c is the only user of libfdt.
 *
 * Every decoder checks the blob's identity (FDT header and compatible
 * string, or the struct's compatible/version field) before it reads any
 * other field. On failure they return a negative errno and put the reason,
 * without the file name (the caller adds it), in why[LU_KHO_WHY_MAX]:
 *   -EBADMSG          truncated or corrupt (not what it claims to be)
 *   -EPROTONOSUPPORT  well formed, but a compatible or version this library
 *                     does not know: nothing more is read
 *   -ENOMEM
 */
#ifndef LIBLIVEUPDATE_KHO_H
#define LIBLIVEUPDATE_KHO_H

#include <stddef.h>
#include <stdint.h>

#define LU_KHO_WHY_MAX 160
#define LU_KHO_COMPAT_MAX 64
#define LU_KHO_NAME_MAX 64

/* Compatible strings and versions of Linux 7.3. */
#define LU_KHO_ROOT_COMPATIBLE "kho-v4"
#define LU_KHO_LUO_COMPATIBLE "luo-v5"
#define LU_KHO_KEXEC_METADATA_VERSION 1
#define LU_KHO_KEXEC_METADATA_SIZE 73 /* packed u32, char[65], u32 */
#define LU_KHO_RELEASE_MAX 65

/* One subnode of the root FDT: a handed-over subtree. */
struct lu_kho_subtree {
	char name[LU_KHO_NAME_MAX];
	uint64_t size;      /* "blob-size"; valid when has_size */
	int has_size;
};

struct lu_kho_root {
	char compatible[LU_KHO_COMPAT_MAX];
	size_t count;
	struct lu_kho_subtree *subtrees; /* malloc'd; lu_kho_root_free() */
};

/* The root FDT (compatible "kho-v4"). */
int lu_kho_parse_root(const void *buf, size_t len, struct lu_kho_root *root,
		      char *why);
void lu_kho_root_free(struct lu_kho_root *root);

/* LUO's struct luo_ser ("luo-v5"): the live update number it carries. */
int lu_kho_parse_luo(const void *buf, size_t len, char *compatible,
		     uint64_t *liveupdate_num, char *why);

/* struct kho_kexec_metadata (version 1). */
int lu_kho_parse_kexec_metadata(const void *buf, size_t len, uint32_t *version,
				char release[LU_KHO_RELEASE_MAX],
				uint32_t *kexec_count, char *why);

/*
 * Any subtree blob, by name: the format it was verified to have (a static
 * string such as "luo-v5", "kexec-metadata-v1", "memblock-v1"), or NULL
 * with the reason in why (unknown, stale or corrupt: nothing is guessed).
 */
const char *lu_kho_identify(const char *name, const void *buf, size_t len,
			    char *why);

#endif
