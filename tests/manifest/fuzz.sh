#!/bin/sh
# libFuzzer on the session manifest's decoder (lib/manifest-format.c), from
# seed images made by the library's own writer: whatever decodes is
# self-consistent (tests/manifest/fuzz-manifest.c). See tests/fuzz-lib.sh.
. "${top_srcdir:-.}/tests/fuzz-lib.sh"
set -- "$top_srcdir/tests/manifest/fuzz-manifest.c" "$top_srcdir/lib/manifest-format.c" \
	"$top_srcdir/lib/manifest-write.c" "$top_srcdir/util/crc32.c" \
	-I"$top_srcdir/include" -I"$top_srcdir/util" -I"$top_srcdir/lib"
fuzz_build "$FUZZ_DIR/fuzz" "$@"
$CLANG -g -O1 -DLU_MF_FUZZ_SEEDS "$@" -o "$FUZZ_DIR/seeds" || exit 99
mkdir "$FUZZ_DIR/corpus" && "$FUZZ_DIR/seeds" "$FUZZ_DIR/corpus" || exit 99
fuzz_run manifest "$FUZZ_DIR/fuzz" "$FUZZ_DIR/corpus" 4096
echo "fuzz: no crash, leak or inconsistency in the manifest decoder"
