#!/bin/sh
# libFuzzer on the session manifest's decoder (lib/manifest-format.c), from
# seed images made by the library's own writer: whatever decodes is
# self-consistent (tests/fuzz/manifest.c). See tests/fuzz/fuzz-lib.sh.
. "${top_srcdir:-.}/tests/fuzz/fuzz-lib.sh"
set -- "$top_srcdir/tests/fuzz/manifest.c" "$top_srcdir/lib/manifest-format.c" \
	"$top_srcdir/lib/manifest-write.c" "$top_srcdir/util/crc32.c" "$top_srcdir/util/reason.c" \
	-I"$top_srcdir/include" -I"$top_srcdir/util" -I"$top_srcdir/lib"
fuzz_seeded manifest LU_MF_FUZZ_SEEDS 4096 "$@"
echo "fuzz: no crash, leak or inconsistency in the manifest decoder"
