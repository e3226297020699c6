/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Decoders of the Kexec HandOver blobs shown in debugfs (see kho.h). The
 * bytes come from the kernel, from a copy of its files, or from a fuzzer:
 * every length and offset is checked before use, identity first.
 */
#include <errno.h>
#include <inttypes.h>
#include <libfdt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kho.h"
#include "lu-util.h"

#define MAX_SUBTREES 256

/* the reason for refusing a blob, into the caller's LU_KHO_WHY_MAX bytes */
#define fail(why, err, ...) lu_util_reason(why, LU_KHO_WHY_MAX, err, __VA_ARGS__)

/* Copy at most n bytes of src up to its NUL, non-printable bytes as '?'. */
static void printable(char *dst, size_t dstlen, const char *src, size_t n)
{
	size_t i;

	for (i = 0; i < n && i + 1 < dstlen && src[i]; i++)
		dst[i] = src[i] >= 0x20 && src[i] < 0x7f ? src[i] : '?';
	dst[i] = '\0';
}

/*
 * Every tag of the structure block, each step forward and inside it.
 * libfdt 1.6.1's fdt_check_full() loops forever on a property whose length
 * wraps its offset back (0xfffffff4, found by tests/unit/fuzz-kho.sh), so
 * this walk comes first. The header was checked by fdt_check_header().
 */
#define TAG_ALIGN(x) (((x) + FDT_TAGSIZE - 1) & ~(uint64_t)(FDT_TAGSIZE - 1))

static int check_tags(const void *buf, char *why)
{
	const uint8_t *s = (const uint8_t *)buf + fdt_off_dt_struct(buf);
	uint64_t size = fdt_size_dt_struct(buf), off = 0;

	while (off + FDT_TAGSIZE <= size) {
		uint32_t tag = fdt32_ld((const fdt32_t *)(const void *)(s + off));
		const uint8_t *nul;
		uint64_t at = off;

		off += FDT_TAGSIZE;
		switch (tag) {
		case FDT_BEGIN_NODE:
			nul = memchr(s + off, '\0', (size_t)(size - off));
			if (!nul)
				return fail(why, -EBADMSG, "corrupt FDT: the node name at "
					    "offset %" PRIu64 " is not terminated", at);
			off = TAG_ALIGN((uint64_t)(nul - s) + 1);
			break;
		case FDT_PROP:
			if (off + 8 > size)
				return fail(why, -EBADMSG, "corrupt FDT: the property at "
					    "offset %" PRIu64 " is truncated", at);
			off = TAG_ALIGN(off + 8 + fdt32_ld((const fdt32_t *)(const void *)(s + off)));
			break;
		case FDT_END_NODE:
		case FDT_NOP:
			break;
		case FDT_END:
			return 0;
		default:
			return fail(why, -EBADMSG, "corrupt FDT: unknown tag 0x%08x at "
				    "offset %" PRIu64, tag, at);
		}
		if (off > size)
			return fail(why, -EBADMSG, "corrupt FDT: the tag at offset %" PRIu64
				    " runs past the structure block (%" PRIu64 " bytes)", at, size);
	}
	return fail(why, -EBADMSG, "corrupt FDT: no end tag in its structure block");
}

/* A complete, well-formed FDT filling at most len bytes. */
static int check_fdt(const void *buf, size_t len, char *why)
{
	int err;

	if (len < sizeof(struct fdt_header))
		return fail(why, -EBADMSG, "truncated: %zu bytes, shorter than an "
			    "FDT header", len);
	if (fdt_magic(buf) != FDT_MAGIC)
		return fail(why, -EBADMSG, "not an FDT (magic 0x%08x)", fdt_magic(buf));
	if (fdt_totalsize(buf) > len)
		return fail(why, -EBADMSG, "truncated: %zu of the %u bytes its FDT "
			    "header announces", len, fdt_totalsize(buf));
	/* the kernel writes version 17; libfdt 1.6.1's fdt_check_full()
	 * dereferences NULL on some headers of versions before 16 (found by
	 * tests/fuzz/kho.sh) */
	if (fdt_version(buf) < 17)
		return fail(why, -EBADMSG, "FDT version %u, older than the 17 the "
			    "kernel writes", fdt_version(buf));
	err = fdt_check_header(buf);
	if (err)
		return fail(why, -EBADMSG, "corrupt FDT: %s", fdt_strerror(err));
	err = check_tags(buf, why);
	if (err)
		return err;
	err = fdt_check_full(buf, len);
	if (err)
		return fail(why, -EBADMSG, "corrupt FDT: %s", fdt_strerror(err));
	return 0;
}

/* The first string of the root node's "compatible", or -EBADMSG. */
static int root_compatible(const void *fdt, char *out, char *why)
{
	int plen = 0;
	const char *p = fdt_getprop(fdt, 0, "compatible", &plen);

	if (!p || plen <= 0)
		return fail(why, -EBADMSG, "the FDT's root has no compatible string");
	if (!memchr(p, '\0', (size_t)plen))
		return fail(why, -EBADMSG, "the FDT's compatible string is not terminated");
	printable(out, LU_KHO_COMPAT_MAX, p, (size_t)plen);
	return 0;
}

static int read_subtrees(const void *fdt, struct lu_kho_root *root, char *why)
{
	int node, count = 0;

	fdt_for_each_subnode(node, fdt, 0)
		count++;
	if (node != -FDT_ERR_NOTFOUND)
		return fail(why, -EBADMSG, "corrupt FDT: %s", fdt_strerror(node));
	if (count > MAX_SUBTREES)
		return fail(why, -EBADMSG, "%d subtrees, more than the %d this "
			    "library accepts", count, MAX_SUBTREES);
	root->subtrees = calloc((size_t)count + 1, sizeof(*root->subtrees));
	if (!root->subtrees)
		return fail(why, -ENOMEM, "out of memory");
	fdt_for_each_subnode(node, fdt, 0) {
		struct lu_kho_subtree *t = &root->subtrees[root->count++];
		int nlen = 0, plen = 0;
		const char *name = fdt_get_name(fdt, node, &nlen);
		const void *size = fdt_getprop(fdt, node, "blob-size", &plen);

		printable(t->name, sizeof(t->name), name ? name : "?",
			  name && nlen > 0 ? (size_t)nlen : 1);
		/* a u64 in the kernel's byte order, not the FDT's big endian */
		if (size && plen == (int)sizeof(t->size)) {
			memcpy(&t->size, size, sizeof(t->size));
			t->has_size = 1;
		}
	}
	return 0;
}

int lu_kho_parse_root(const void *buf, size_t len, struct lu_kho_root *root,
		      char *why)
{
	int err;

	memset(root, 0, sizeof(*root));
	err = check_fdt(buf, len, why);
	if (!err)
		err = root_compatible(buf, root->compatible, why);
	if (err)
		return err;
	if (strcmp(root->compatible, LU_KHO_ROOT_COMPATIBLE) != 0)
		return fail(why, -EPROTONOSUPPORT, "compatible \"%s\", not the \""
			    LU_KHO_ROOT_COMPATIBLE "\" this library reads",
			    root->compatible);
	err = read_subtrees(buf, root, why);
	if (err)
		lu_kho_root_free(root);
	return err;
}

void lu_kho_root_free(struct lu_kho_root *root)
{
	free(root->subtrees);
	root->subtrees = NULL;
	root->count = 0;
}

/* struct luo_ser: char compatible[8]; u64 liveupdate_num, sessions_pa, flbs_pa */
#define LUO_COMPAT_LEN 8
#define LUO_SER_SIZE (LUO_COMPAT_LEN + 3 * 8)

int lu_kho_parse_luo(const void *buf, size_t len, char *compatible,
		     uint64_t *liveupdate_num, char *why)
{
	static const char want[LUO_COMPAT_LEN] = LU_KHO_LUO_COMPATIBLE;
	const char *p = buf;
	char fdt_why[LU_KHO_WHY_MAX];

	if (len >= LUO_COMPAT_LEN && memcmp(p, want, LUO_COMPAT_LEN) == 0) {
		if (len != LUO_SER_SIZE)
			return fail(why, -EBADMSG, "%zu bytes, not the %d of a "
				    LU_KHO_LUO_COMPATIBLE " struct luo_ser", len,
				    LUO_SER_SIZE);
		memcpy(liveupdate_num, p + LUO_COMPAT_LEN, sizeof(*liveupdate_num));
		snprintf(compatible, LU_KHO_COMPAT_MAX, "%s", LU_KHO_LUO_COMPATIBLE);
		return 0;
	}
	/* Linux 6.19 wrote an FDT (compatible "luo-v1") here */
	if (check_fdt(buf, len, fdt_why) == 0 &&
	    root_compatible(buf, compatible, fdt_why) == 0)
		return fail(why, -EPROTONOSUPPORT, "an FDT with compatible \"%s\", "
			    "not the " LU_KHO_LUO_COMPATIBLE " struct this library "
			    "reads", compatible);
	if (len >= LUO_COMPAT_LEN && memcmp(p, "luo-v", 5) == 0 &&
	    memchr(p, '\0', LUO_COMPAT_LEN)) {
		printable(compatible, LU_KHO_COMPAT_MAX, p, LUO_COMPAT_LEN);
		return fail(why, -EPROTONOSUPPORT, "compatible \"%s\", not the \""
			    LU_KHO_LUO_COMPATIBLE "\" this library reads", compatible);
	}
	compatible[0] = '\0';
	return fail(why, -EBADMSG, "no LUO compatible string in its first bytes: "
		    "not LUO data");
}

/* struct kho_kexec_metadata: u32 version; char previous_release[65]; u32 kexec_count */
int lu_kho_parse_kexec_metadata(const void *buf, size_t len, uint32_t *version,
				char release[LU_KHO_RELEASE_MAX],
				uint32_t *kexec_count, char *why)
{
	const char *p = buf;
	const char *rel = p + 4;

	if (len < sizeof(*version))
		return fail(why, -EBADMSG, "truncated: %zu bytes, no version field", len);
	memcpy(version, p, sizeof(*version));
	if (*version != LU_KHO_KEXEC_METADATA_VERSION)
		return fail(why, -EPROTONOSUPPORT, "version %u, not the %d this "
			    "library reads", *version, LU_KHO_KEXEC_METADATA_VERSION);
	if (len != LU_KHO_KEXEC_METADATA_SIZE)
		return fail(why, -EBADMSG, "%zu bytes, not the %d of version %d",
			    len, LU_KHO_KEXEC_METADATA_SIZE,
			    LU_KHO_KEXEC_METADATA_VERSION);
	if (!memchr(rel, '\0', LU_KHO_RELEASE_MAX) || !rel[0])
		return fail(why, -EBADMSG, "the kernel release is empty or not "
			    "terminated");
	printable(release, LU_KHO_RELEASE_MAX, rel, LU_KHO_RELEASE_MAX);
	memcpy(kexec_count, rel + LU_KHO_RELEASE_MAX, sizeof(*kexec_count));
	return 0;
}

const char *lu_kho_identify(const char *name, const void *buf, size_t len,
			    char *why)
{
	char compat[LU_KHO_COMPAT_MAX], release[LU_KHO_RELEASE_MAX];
	uint64_t num;
	uint32_t version, count;

	if (strcmp(name, "LUO") == 0)
		return lu_kho_parse_luo(buf, len, compat, &num, why) ? NULL
			: LU_KHO_LUO_COMPATIBLE;
	if (strcmp(name, "kexec-metadata") == 0)
		return lu_kho_parse_kexec_metadata(buf, len, &version, release,
						   &count, why) ? NULL
			: "kexec-metadata-v1";
	if (check_fdt(buf, len, why) || root_compatible(buf, compat, why))
		return NULL;
	if (strcmp(compat, "memblock-v1") == 0)
		return "memblock-v1";
	fail(why, -EPROTONOSUPPORT, "an FDT with compatible \"%s\", a format this "
	     "library does not know", compat);
	return NULL;
}
