#!/bin/sh
# libFuzzer on the Kexec HandOver decoders (lib/kho.c, libfdt): the root
# FDT and the subtree blobs, LU_FUZZ_SECONDS each (default 10), seeded with
# the files captured from the test VM (tests/unit/fixtures/state). Nothing
# may crash, leak or overflow (AddressSanitizer, UndefinedBehaviorSanitizer;
# libfdt itself is the system's, not instrumented). Built here with clang;
# without clang and libFuzzer the test is skipped, or fails under CI=true.
. "${top_srcdir:-.}/tests/fuzz/fuzz-lib.sh"
fixtures=$top_srcdir/tests/unit/fixtures/state

run() { # target seed-files...
	target=$1; shift
	fuzz_build "$FUZZ_DIR/fuzz-$target" -DFUZZ_"$target" -I"$top_srcdir/lib" \
		-I"$top_srcdir/util" "$top_srcdir/tests/fuzz/kho.c" "$top_srcdir/lib/kho.c" \
		"$top_srcdir/util/reason.c" -lfdt
	mkdir -p "$FUZZ_DIR/corpus-$target"
	for f in "$@"; do
		cp "$f" "$FUZZ_DIR/corpus-$target/$(echo "$f" | cksum | cut -d' ' -f1)"
	done
	LU_FUZZ_SECONDS=${LU_FUZZ_SECONDS:-10} \
		fuzz_run "$target" "$FUZZ_DIR/fuzz-$target" "$FUZZ_DIR/corpus-$target" 4096
}

# kho-hostile/: inputs that once hung or crashed a decoder, run first
run ROOT "$fixtures"/vm-update-1/sys/kernel/debug/kho/in/fdt \
	"$fixtures"/vm-cold/sys/kernel/debug/kho/out/fdt \
	"$top_srcdir"/tests/unit/fixtures/kho-hostile/*
# blob seeds: the first byte picks the name (0 LUO, 1 kexec-metadata, 3 other)
for s in vm-cold vm-update-1; do
	d=$fixtures/$s/sys/kernel/debug/kho
	{ printf '\000'; cat "$d/out/sub_fdts/LUO"; } >"$FUZZ_DIR/luo-$s"
	{ printf '\001'; cat "$d/out/sub_fdts/kexec-metadata"; } >"$FUZZ_DIR/meta-$s"
done
{ printf '\003'; cat "$fixtures/vm-update-1/sys/kernel/debug/kho/in/fdt"; } >"$FUZZ_DIR/fdt-blob"
run BLOB "$FUZZ_DIR"/luo-* "$FUZZ_DIR"/meta-* "$FUZZ_DIR/fdt-blob"
echo "fuzz-kho: no crash, leak or inconsistency"
