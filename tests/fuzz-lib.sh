# Sourced by the libFuzzer tests (tests/*/fuzz*.sh): fuzz_skip, and CLANG
# set to a clang that can build a libFuzzer target, or the test skipped
# (failed under CI=true) saying what to install.
: "${top_srcdir:=.}"
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
