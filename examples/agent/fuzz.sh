#!/bin/sh
# A bounded libFuzzer run (LU_FUZZ_SECONDS, default 20) of the examples'
# decoders of untrusted lines: the agent's JSON requests and the cache's
# commands (examples/agent/fuzz-decoders.c), under AddressSanitizer and
# UndefinedBehaviorSanitizer. Skipped without clang and libFuzzer, a
# failure instead under CI=true.
. "${top_srcdir:=.}/tests/fuzz-lib.sh"
ex=$top_srcdir/examples
dir=$(mktemp -d "${TMPDIR:-/tmp}/lu-fuzz-examples.XXXXXX") || exit 99
trap 'rm -rf "$dir"' EXIT
srcs="$ex/agent/fuzz-decoders.c $ex/agent/agent-proto.c $ex/cache/cache-command.c $ex/cache/cache-store.c"
# shellcheck disable=SC2086
$CLANG -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all $srcs \
	-o "$dir/fuzz" 2>"$dir/cc.log" || { cat "$dir/cc.log"; fuzz_skip "$CLANG cannot build a libFuzzer target"; }
# shellcheck disable=SC2086
$CLANG -DEXAMPLES_FUZZ_SEEDS $srcs -o "$dir/seeds" && mkdir "$dir/in" && "$dir/seeds" "$dir/in" ||
	exit 99
"$dir/fuzz" -max_total_time="${LU_FUZZ_SECONDS:-20}" -max_len=4200 -rss_limit_mb=2048 \
	-print_final_stats=1 -artifact_prefix="$dir/" "$dir/in" >"$dir/run.log" 2>&1
rc=$?
grep -E '^(Done|stat::number_of_executed_units)' "$dir/run.log"
if [ $rc -ne 0 ]; then
	tail -n 40 "$dir/run.log"
	for f in "$dir"/crash-* "$dir"/leak-* "$dir"/timeout-*; do
		[ -f "$f" ] && od -c "$f" | head -n 20
	done
	echo "FAIL: the fuzzer found a problem (exit $rc)"
	exit 1
fi
echo "PASS: no crash, no undefined behaviour, every decoded request re-encodes the same"
