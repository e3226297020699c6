#!/bin/sh
# libFuzzer on the simulator's message decoder (sim/sim-proto.c): every
# input that decodes must encode back to the same bytes, and nothing may
# crash, leak or overflow. See tests/fuzz-lib.sh.
. "${top_srcdir:-.}/tests/fuzz-lib.sh"
set -- "$top_srcdir/tests/sim/fuzz-proto.c" "$top_srcdir/sim/sim-proto.c" \
	-I"$top_srcdir/include/uapi" -I"$top_srcdir/lib" -I"$top_srcdir/sim"
fuzz_build "$FUZZ_DIR/fuzz" "$@"
$CLANG -g -O1 -DLU_SIM_FUZZ_SEEDS "$@" -o "$FUZZ_DIR/seeds" || exit 99
mkdir "$FUZZ_DIR/corpus" && "$FUZZ_DIR/seeds" "$FUZZ_DIR/corpus" || exit 99
fuzz_run proto "$FUZZ_DIR/fuzz" "$FUZZ_DIR/corpus" 512
echo "fuzz: no crash, leak or mismatch"
