#!/bin/sh
# libFuzzer on the network devices' record decoder (lib/netdev-record.c),
# from valid seeds (tests/unit/fuzz-netdev-record.c says what is checked).
# See tests/fuzz-lib.sh.
. "${top_srcdir:-.}/tests/fuzz-lib.sh"
set -- "$top_srcdir/tests/unit/fuzz-netdev-record.c" "$top_srcdir/lib/netdev-record.c" \
	"$top_srcdir/util/crc32.c" -I"$top_srcdir/util" -I"$top_srcdir/lib" \
	-I"$top_srcdir/tests/unit"
fuzz_build "$FUZZ_DIR/fuzz" "$@"
$CLANG -g -DLU_NETDEV_FUZZ_SEEDS "$@" -o "$FUZZ_DIR/seeds" || exit 99
mkdir "$FUZZ_DIR/corpus" && "$FUZZ_DIR/seeds" "$FUZZ_DIR/corpus" || exit 99
fuzz_run netdev-record "$FUZZ_DIR/fuzz" "$FUZZ_DIR/corpus" 2048
echo "fuzz-netdev: no crash, leak or mismatch"
