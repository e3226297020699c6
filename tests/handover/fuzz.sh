#!/bin/sh
# libFuzzer on the session handover's wire decoder (lib/handover-wire.c):
# every message it accepts encodes back to the same bytes, and nothing may
# crash, leak or overflow (tests/handover/fuzz-handover.c). See
# tests/fuzz-lib.sh.
. "${top_srcdir:-.}/tests/fuzz-lib.sh"
set -- "$top_srcdir/tests/handover/fuzz-handover.c" "$top_srcdir/lib/handover-wire.c" \
	"$top_srcdir/util/reason.c" -I"$top_srcdir/util" -I"$top_srcdir/lib"
fuzz_build "$FUZZ_DIR/fuzz" "$@"
$CLANG -g -O1 -DLU_HO_FUZZ_SEEDS "$@" -o "$FUZZ_DIR/seeds" || exit 99
mkdir "$FUZZ_DIR/corpus" && "$FUZZ_DIR/seeds" "$FUZZ_DIR/corpus" || exit 99
fuzz_run handover "$FUZZ_DIR/fuzz" "$FUZZ_DIR/corpus" 4096
echo "fuzz: no crash, leak or mismatch in the handover decoder"
