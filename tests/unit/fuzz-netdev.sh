#!/bin/sh
# The network devices' record decoder under libFuzzer, with AddressSanitizer
# and UndefinedBehaviorSanitizer, for LU_FUZZ_SECONDS (default 20) from
# valid seeds (tests/unit/fuzz-netdev-record.c says what is checked).
# Needs clang and libFuzzer (Debian: clang libclang-rt-14-dev): skipped
# without them, an error under CI=true.
: "${top_srcdir:=.}"
unavailable() {
	[ "${CI:-}" = true ] && { echo "ERROR (CI=true): $1; apt-get install clang libclang-rt-14-dev"; exit 99; }
	echo "SKIP: $1 (apt-get install clang libclang-rt-14-dev)"
	exit 77
}
clang=$(command -v "${CLANG:-clang}" || command -v clang-14) || unavailable "no clang"
dir=$(mktemp -d "${TMPDIR:-/tmp}/lu-fuzz-netdev.XXXXXX") || exit 99
trap 'rm -rf "$dir"' EXIT
files="$top_srcdir/tests/unit/fuzz-netdev-record.c $top_srcdir/lib/netdev-record.c"
inc="-I$top_srcdir/lib -I$top_srcdir/tests/unit"
# shellcheck disable=SC2086
$clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all $inc \
	$files -o "$dir/fuzz" 2>"$dir/cc.log" || { cat "$dir/cc.log"; unavailable "$clang builds no libFuzzer target"; }
# shellcheck disable=SC2086
$clang -g -DLU_NETDEV_FUZZ_SEEDS $inc $files -o "$dir/seeds" && mkdir "$dir/in" &&
	"$dir/seeds" "$dir/in" || exit 99
"$dir/fuzz" -max_total_time="${LU_FUZZ_SECONDS:-20}" -max_len=2048 -rss_limit_mb=2048 \
	-print_final_stats=1 -artifact_prefix="$dir/" "$dir/in" >"$dir/log" 2>&1
rc=$?
grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss_mb)' "$dir/log"
[ $rc = 0 ] && { echo "fuzz-netdev: no crash, leak or mismatch"; exit 0; }
tail -n 40 "$dir/log"
for a in "$dir"/crash-* "$dir"/leak-* "$dir"/timeout-* "$dir"/oom-*; do
	[ -e "$a" ] && od -A d -t x1 "$a" | head -n 20
done
echo "FAIL: the fuzzer found a problem (exit $rc)"
exit 1
