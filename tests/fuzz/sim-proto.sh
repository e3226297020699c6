#!/bin/sh
# libFuzzer on the simulator's message decoder (sim/sim-proto.c): every
# input that decodes must encode back to the same bytes, and nothing may
# crash, leak or overflow. See tests/fuzz/fuzz-lib.sh.
. "${top_srcdir:-.}/tests/fuzz/fuzz-lib.sh"
set -- "$top_srcdir/tests/fuzz/sim-proto.c" "$top_srcdir/sim/sim-proto.c" \
	-I"$top_srcdir/include/uapi" -I"$top_srcdir/lib" -I"$top_srcdir/sim"
fuzz_seeded proto LU_SIM_FUZZ_SEEDS 512 "$@"
echo "fuzz: no crash, leak or mismatch"
