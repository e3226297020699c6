#!/bin/sh
# libFuzzer on the session manifest's decoder (lib/manifest-format.c) for
# LU_FUZZ_SECONDS (default 20), from seed images made by the library's own
# writer: no crash, leak, overflow or undefined behaviour (ASan, UBSan), and
# whatever decodes is self-consistent (tests/manifest/fuzz-manifest.c).
# Needs clang with libFuzzer (Debian: clang libclang-rt-14-dev): skipped
# without, an error under CI=true.
: "${top_srcdir:=.}"
need() {
	[ "${CI:-}" = true ] && { echo "ERROR (CI=true): $1 -- apt-get install clang libclang-rt-14-dev"; exit 99; }
	echo "SKIP: $1 (apt-get install clang libclang-rt-14-dev)"
	exit 77
}
cc=${CLANG:-$(command -v clang clang-14 clang-15 clang-16 2>/dev/null | head -n 1)}
[ -n "$cc" ] || need "no clang"
dir=$(mktemp -d "${TMPDIR:-/tmp}/lu-mf-fuzz.XXXXXX") || exit 99
trap 'rm -rf "$dir"' EXIT
set -- "$top_srcdir/tests/manifest/fuzz-manifest.c" "$top_srcdir/lib/manifest-format.c" \
	"$top_srcdir/lib/manifest-write.c" \
	-I"$top_srcdir/include" -I"$top_srcdir/lib"
fuzzer="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all"
echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return d && n; }' >"$dir/probe.c"
$cc $fuzzer "$dir/probe.c" -o "$dir/probe" 2>/dev/null || need "$cc cannot build a libFuzzer target"
$cc $fuzzer "$@" -o "$dir/fuzz" || exit 99
"$cc" -g -O1 -DLU_MF_FUZZ_SEEDS "$@" -o "$dir/seeds" || exit 99
mkdir "$dir/corpus" && "$dir/seeds" "$dir/corpus" || exit 99
echo "fuzzing the manifest decoder for ${LU_FUZZ_SECONDS:-20} s from $(ls "$dir/corpus" | wc -l) seeds"
"$dir/fuzz" -max_total_time="${LU_FUZZ_SECONDS:-20}" -rss_limit_mb=2048 -max_len=4096 \
	-print_final_stats=1 -artifact_prefix="$dir/" "$dir/corpus" >"$dir/fuzz.log" 2>&1
rc=$?
grep -E 'DONE|stat::number_of_executed_units|stat::peak_rss_mb' "$dir/fuzz.log"
if [ $rc != 0 ]; then
	tail -n 60 "$dir/fuzz.log"
	for a in "$dir"/crash-* "$dir"/leak-* "$dir"/oom-* "$dir"/timeout-*; do
		[ -e "$a" ] && { echo "input $a:"; od -A d -t x1 "$a" | head -n 20; }
	done
	echo "FAIL: the fuzzer found a problem in the manifest decoder (exit $rc)"
	exit 1
fi
echo "fuzz: no crash, leak or inconsistency in the manifest decoder"
