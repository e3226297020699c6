#!/bin/sh
# libFuzzer on the Kexec HandOver decoders (lib/kho.c, libfdt): the root
# FDT and the subtree blobs, LU_FUZZ_SECONDS each (default 10), seeded with
# the files captured from the test VM (tests/unit/fixtures/state). Nothing
# may crash, leak or overflow (AddressSanitizer, UndefinedBehaviorSanitizer;
# libfdt itself is the system's, not instrumented). Built here with clang;
# without clang and libFuzzer the test is skipped, or fails under CI=true.
. "${top_srcdir:-.}/tests/fuzz-lib.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/lu-fuzz-kho.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT
fixtures=$top_srcdir/tests/unit/fixtures/state

run() { # target seed-files...
	target=$1; shift
	if ! $CLANG -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-DFUZZ_"$target" -I"$top_srcdir/lib" "$top_srcdir/tests/unit/fuzz-kho.c" \
		"$top_srcdir/lib/kho.c" -lfdt -o "$work/fuzz-$target" 2>"$work/build.log"; then
		cat "$work/build.log"
		fuzz_skip "$CLANG cannot build a libFuzzer target"
	fi
	mkdir -p "$work/corpus-$target"
	for f in "$@"; do
		cp "$f" "$work/corpus-$target/$(echo "$f" | cksum | cut -d' ' -f1)"
	done
	echo "fuzzing $target for ${LU_FUZZ_SECONDS:-10} s from $# seeds"
	"$work/fuzz-$target" -max_total_time="${LU_FUZZ_SECONDS:-10}" -rss_limit_mb=2048 \
		-max_len=4096 -print_final_stats=1 -artifact_prefix="$work/$target-" \
		"$work/corpus-$target" >"$work/fuzz-$target.log" 2>&1
	rc=$?
	grep -E 'DONE|stat::number_of_executed_units' "$work/fuzz-$target.log"
	if [ $rc != 0 ]; then
		tail -n 60 "$work/fuzz-$target.log"
		for a in "$work/$target"-*; do
			[ -e "$a" ] && { echo "input $a:"; od -A d -t x1 "$a" | head -n 20; }
		done
		echo "FAIL: the fuzzer found a problem in the $target decoder (exit $rc)"
		exit 1
	fi
}

run ROOT "$fixtures"/vm-update-1/sys/kernel/debug/kho/in/fdt \
	"$fixtures"/vm-cold/sys/kernel/debug/kho/out/fdt
# blob seeds: the first byte picks the name (0 LUO, 1 kexec-metadata, 3 other)
for s in vm-cold vm-update-1; do
	d=$fixtures/$s/sys/kernel/debug/kho
	{ printf '\000'; cat "$d/out/sub_fdts/LUO"; } >"$work/luo-$s"
	{ printf '\001'; cat "$d/out/sub_fdts/kexec-metadata"; } >"$work/meta-$s"
done
{ printf '\003'; cat "$fixtures/vm-update-1/sys/kernel/debug/kho/in/fdt"; } >"$work/fdt-blob"
run BLOB "$work"/luo-* "$work"/meta-* "$work/fdt-blob"
echo "fuzz-kho: no crash, leak or inconsistency"
