#!/bin/sh
# libFuzzer on the network devices' record decoder (lib/netdev-record.c),
# from valid seeds (tests/fuzz/netdev-record.c says what is checked).
# See tests/fuzz/fuzz-lib.sh.
. "${top_srcdir:-.}/tests/fuzz/fuzz-lib.sh"
set -- "$top_srcdir/tests/fuzz/netdev-record.c" "$top_srcdir/lib/netdev-record.c" \
	"$top_srcdir/util/crc32.c" -I"$top_srcdir/util" -I"$top_srcdir/lib" \
	-I"$top_srcdir/tests/unit"
fuzz_seeded netdev-record LU_NETDEV_FUZZ_SEEDS 2048 "$@"
echo "fuzz-netdev: no crash, leak or mismatch"
