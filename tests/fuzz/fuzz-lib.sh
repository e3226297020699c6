# Sourced by the libFuzzer tests (tests/fuzz/*.sh). Each decoder of bytes
# that may be hostile has a target; this file builds and runs them the same
# way: clang with AddressSanitizer and UndefinedBehaviorSanitizer, a seed
# corpus, LU_FUZZ_SECONDS of fuzzing, and on a finding the fuzzer's log and
# the input that made it. Without clang and libFuzzer a test is skipped,
# and fails under CI=true, saying what to install.
: "${top_srcdir:=.}"
FUZZ_FLAGS="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all"

fuzz_skip() {
	if [ "${CI:-}" = true ]; then
		echo "ERROR (CI=true): $* -- apt-get install clang libclang-rt-14-dev"
		exit 99
	fi
	echo "SKIP: $* (apt-get install clang libclang-rt-14-dev)"
	exit 77
}

CLANG=${CLANG:-}
for c in clang clang-14 clang-15 clang-16; do
	[ -z "$CLANG" ] && command -v "$c" >/dev/null 2>&1 && CLANG=$c
done
[ -n "$CLANG" ] || fuzz_skip "clang not found"

# A private work directory, removed on exit: $FUZZ_DIR.
FUZZ_DIR=$(mktemp -d "${TMPDIR:-/tmp}/lu-fuzz.XXXXXX") || exit 99
trap 'rm -rf "$FUZZ_DIR"' EXIT

# fuzz_build OUTPUT CLANG-ARGS...: a libFuzzer target, or skip.
fuzz_build() {
	out=$1; shift
	# shellcheck disable=SC2086
	if ! $CLANG $FUZZ_FLAGS "$@" -o "$out" 2>"$FUZZ_DIR/build.log"; then
		cat "$FUZZ_DIR/build.log"
		fuzz_skip "$CLANG cannot build a libFuzzer target"
	fi
}

# fuzz_run NAME TARGET CORPUS-DIR MAX-LEN: fuzz for LU_FUZZ_SECONDS (default
# 20); returns on success, exits 1 with the evidence on a finding.
fuzz_run() {
	name=$1 target=$2 corpus=$3 max_len=$4
	echo "fuzzing $name for ${LU_FUZZ_SECONDS:-20} s from $(ls "$corpus" | wc -l) seeds"
	# -timeout: an input that takes 10 s is a hang, reported as such
	"$target" -max_total_time="${LU_FUZZ_SECONDS:-20}" -timeout=10 -rss_limit_mb=2048 \
		-max_len="$max_len" -print_final_stats=1 \
		-artifact_prefix="$FUZZ_DIR/$name-" "$corpus" >"$FUZZ_DIR/$name.log" 2>&1
	rc=$?
	grep -E 'DONE|stat::number_of_executed_units|stat::peak_rss_mb' "$FUZZ_DIR/$name.log"
	[ $rc = 0 ] && return 0
	tail -n 60 "$FUZZ_DIR/$name.log"
	for a in "$FUZZ_DIR/$name"-*; do
		[ -e "$a" ] && { echo "input $a:"; od -A d -t x1 "$a" | head -n 20; }
	done
	echo "FAIL: the fuzzer found a problem in $name (exit $rc)"
	exit 1
}

# fuzz_seeded NAME SEEDS-MACRO MAX-LEN CLANG-ARGS...: a target whose
# sources, built with -DSEEDS-MACRO instead, write its seed corpus into a
# directory: build both, make the corpus, fuzz (fuzz_run).
fuzz_seeded() {
	name=$1 seeds=$2 len=$3
	shift 3
	fuzz_build "$FUZZ_DIR/fuzz" "$@"
	$CLANG -g -O1 -D"$seeds" "$@" -o "$FUZZ_DIR/seeds" || exit 99
	mkdir "$FUZZ_DIR/corpus" && "$FUZZ_DIR/seeds" "$FUZZ_DIR/corpus" || exit 99
	fuzz_run "$name" "$FUZZ_DIR/fuzz" "$FUZZ_DIR/corpus" "$len"
}
