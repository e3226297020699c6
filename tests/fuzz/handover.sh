#!/bin/sh
# libFuzzer on the session handover's wire decoder (lib/handover-wire.c):
# every message it accepts encodes back to the same bytes, and nothing may
# crash, leak or overflow (tests/fuzz/handover.c). See tests/fuzz/fuzz-lib.sh.
. "${top_srcdir:-.}/tests/fuzz/fuzz-lib.sh"
set -- "$top_srcdir/tests/fuzz/handover.c" "$top_srcdir/lib/handover-wire.c" \
	"$top_srcdir/util/reason.c" -I"$top_srcdir/util" -I"$top_srcdir/lib"
fuzz_seeded handover LU_HO_FUZZ_SEEDS 4096 "$@"
echo "fuzz: no crash, leak or mismatch in the handover decoder"
