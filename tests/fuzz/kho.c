/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer targets for the Kexec HandOver decoders (lib/kho.c), built by
 * tests/fuzz/kho.sh: FUZZ_ROOT the root FDT, FUZZ_BLOB the subtree
 * blobs (the first byte picks the subtree name). Whatever the bytes, a
 * decoder returns 0 or a negative errno with a terminated reason, and what
 * it returns on success is consistent.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kho.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_why(int err, const char *why)
{
	if (err != 0 && err != -EBADMSG && err != -EPROTONOSUPPORT && err != -ENOMEM)
		abort();
	if (err && !memchr(why, '\0', LU_KHO_WHY_MAX))
		abort();
}

#ifdef FUZZ_ROOT
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* an exactly sized copy, so that reading past it is caught */
	uint8_t *buf = malloc(size ? size : 1);
	struct lu_kho_root root;
	char why[LU_KHO_WHY_MAX];
	int err;

	memcpy(buf, data, size);
	err = lu_kho_parse_root(buf, size, &root, why);
	check_why(err, why);
	if (!err) {
		if (strcmp(root.compatible, LU_KHO_ROOT_COMPATIBLE) != 0)
			abort();
		for (size_t i = 0; i < root.count; i++)
			if (!memchr(root.subtrees[i].name, '\0', LU_KHO_NAME_MAX))
				abort();
		lu_kho_root_free(&root);
	}
	free(buf);
	return 0;
}
#endif

#ifdef FUZZ_BLOB
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "LUO", "kexec-metadata", "memblock", "other" };
	char why[LU_KHO_WHY_MAX], compat[LU_KHO_COMPAT_MAX], release[LU_KHO_RELEASE_MAX];
	const char *name, *format;
	uint32_t version, count;
	uint64_t num;
	uint8_t *buf;
	int err;

	if (size < 1)
		return 0;
	name = names[data[0] % 4];
	size--;
	buf = malloc(size ? size : 1);
	memcpy(buf, data + 1, size);
	why[0] = '\0';
	format = lu_kho_identify(name, buf, size, why);
	if (!format && !memchr(why, '\0', sizeof(why)))
		abort();
	err = lu_kho_parse_luo(buf, size, compat, &num, why);
	check_why(err, why);
	if (!err && (size != 32 || strcmp(compat, LU_KHO_LUO_COMPATIBLE) != 0))
		abort();
	err = lu_kho_parse_kexec_metadata(buf, size, &version, release, &count, why);
	check_why(err, why);
	if (!err && (size != LU_KHO_KEXEC_METADATA_SIZE || !release[0] ||
		     !memchr(release, '\0', sizeof(release))))
		abort();
	free(buf);
	return 0;
}
#endif
