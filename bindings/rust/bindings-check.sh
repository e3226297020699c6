#!/bin/sh
# Gate: the committed Rust bindings (bindings/rust/liveupdate-sys/src/
# bindings.rs) are exactly what generate.sh makes of the header now, so a
# header change cannot leave them stale. Fix a failure with
# `make rust-bindings` (or generate.sh) and commit the result.
# Without the pinned bindgen and rustfmt: a skip (77), a failure under CI=true.
: "${top_srcdir:=.}"
gen=$top_srcdir/bindings/rust/liveupdate-sys/generate.sh
committed=$top_srcdir/bindings/rust/liveupdate-sys/src/bindings.rs
out=$(mktemp "${TMPDIR:-/tmp}/lu-bindings-check.XXXXXX") || exit 99
trap 'rm -f "$out"' EXIT
sh "$gen" "$out"
case $? in
0) ;;
2)
	echo "SKIP: generate.sh cannot run here (above); apt-get install bindgen rustfmt"
	[ "${CI:-}" = true ] && { echo "FAIL: CI=true: a skipped test is a failure"; exit 1; }
	exit 77
	;;
*) echo "FAIL: generate.sh failed"; exit 1 ;;
esac
if ! diff -u "$committed" "$out"; then
	echo "FAIL: $committed is stale: run 'make rust-bindings' and commit it"
	exit 1
fi
echo "PASS: the Rust bindings match include/liveupdate/liveupdate.h"
