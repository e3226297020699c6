#!/bin/sh
# libFuzzer on the simulator's message decoder (sim/sim-proto.c), for a
# bounded time (LU_FUZZ_SECONDS, default 20): every input that decodes must
# encode back to the same bytes, and nothing may crash, leak or overflow
# (AddressSanitizer, UndefinedBehaviorSanitizer). Built here with clang,
# whatever compiler built the project. Without clang and libFuzzer (Debian:
# clang and libclang-rt-14-dev) the test is skipped, or fails under CI=true.
: "${top_srcdir:=.}"
skip() {
	if [ "${CI:-}" = true ]; then
		echo "ERROR (CI=true): $* -- apt-get install clang libclang-rt-14-dev"
		exit 99
	fi
	echo "SKIP: $* (apt-get install clang libclang-rt-14-dev)"
	exit 77
}
CLANG=${CLANG:-}
if [ -z "$CLANG" ]; then
	for c in clang clang-14 clang-15 clang-16; do
		command -v "$c" >/dev/null 2>&1 && CLANG=$c && break
	done
fi
[ -n "$CLANG" ] || skip "clang not found"
work=$(mktemp -d "${TMPDIR:-/tmp}/lu-fuzz.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT
src="$top_srcdir/tests/sim/fuzz-proto.c $top_srcdir/sim/sim-proto.c"
if ! $CLANG -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-I"$top_srcdir/lib" -I"$top_srcdir/sim" $src -o "$work/fuzz-proto" 2>"$work/build.log"; then
	cat "$work/build.log"
	skip "$CLANG cannot build a libFuzzer target"
fi
$CLANG -g -O1 -DLU_SIM_FUZZ_SEEDS -I"$top_srcdir/lib" -I"$top_srcdir/sim" $src -o "$work/seeds" ||
	exit 99
mkdir "$work/corpus" && "$work/seeds" "$work/corpus" || exit 99
echo "fuzzing the decoder for ${LU_FUZZ_SECONDS:-20} s from $(ls "$work/corpus" | wc -l) seeds"
"$work/fuzz-proto" -max_total_time="${LU_FUZZ_SECONDS:-20}" -rss_limit_mb=2048 \
	-max_len=512 -print_final_stats=1 -artifact_prefix="$work/" "$work/corpus" \
	>"$work/fuzz.log" 2>&1
rc=$?
grep -E 'DONE|stat::number_of_executed_units|stat::peak_rss_mb' "$work/fuzz.log"
if [ $rc != 0 ]; then
	tail -n 60 "$work/fuzz.log"
	for a in "$work"/crash-* "$work"/leak-* "$work"/oom-* "$work"/timeout-*; do
		[ -e "$a" ] && { echo "input $a:"; od -A d -t x1 "$a" | head -n 20; }
	done
	echo "FAIL: the fuzzer found a problem (exit $rc)"
	exit 1
fi
echo "fuzz: no crash, leak or mismatch"
