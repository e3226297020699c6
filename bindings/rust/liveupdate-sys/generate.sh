#!/bin/sh
# Regenerate src/bindings.rs from the public header with bindgen, always
# with the same flags, so that the committed bindings are exactly what
# these tools make of the header (tests/rust-bindings-check.sh compares).
#   generate.sh            rewrite src/bindings.rs
#   generate.sh OUTPUT     write OUTPUT instead
# Needs bindgen 0.60.1 and rustfmt 1.5.1 (Debian 12: packages bindgen and
# rustfmt); other versions format differently, so they are refused.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
out=${1:-$here/src/bindings.rs}
BINDGEN=${BINDGEN:-bindgen}
RUSTFMT=${RUSTFMT:-/usr/bin/rustfmt}
want_bindgen="bindgen 0.60.1"
want_rustfmt="rustfmt 1.5.1"

have=$("$BINDGEN" --version 2>/dev/null) || {
	echo "generate.sh: no $BINDGEN: install $want_bindgen (apt-get install bindgen)" >&2
	exit 2
}
[ "$have" = "$want_bindgen" ] || {
	echo "generate.sh: $BINDGEN is '$have'; the bindings are made with $want_bindgen" >&2
	exit 2
}
case $("$RUSTFMT" --version 2>/dev/null) in
"$want_rustfmt"*) ;;
*)
	echo "generate.sh: $RUSTFMT is not $want_rustfmt (apt-get install rustfmt, or set RUSTFMT)" >&2
	exit 2
	;;
esac

# Every declaration of the header, enum values without the enum's name,
# no doc comments (the header and the man pages are the reference; their
# indented examples would become doctests), layout tests kept.
tmp=$(mktemp "${TMPDIR:-/tmp}/lu-bindings.XXXXXX")
trap 'rm -f "$tmp"' EXIT
RUSTFMT=$RUSTFMT "$BINDGEN" "$top/include/liveupdate/liveupdate.h" \
	--allowlist-file '.*/liveupdate/liveupdate\.h' \
	--no-prepend-enum-name --size_t-is-usize --no-doc-comments \
	--rust-target 1.47 -o "$tmp" -- -I"$top/include"
cat "$tmp" > "$out"
rm -f "$tmp"
trap - EXIT
