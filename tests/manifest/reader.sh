#!/bin/sh
# The manifest format as documented (doc/manifest.md), checked from the
# outside: manifests written by the library under liveupdate-sim (plain, a
# torn last record, an unknown major version, a damaged record with records
# after it, one in three pieces) are read
# by tests/manifest/reader.py, written from the document alone, and must
# read exactly as the library reads them.
. "${top_srcdir:-.}/tests/sim/sim-test-lib.sh"

PYTHON=${PYTHON:-python3}
if ! command -v "$PYTHON" >/dev/null 2>&1; then
	[ "${CI:-}" = true ] && { echo "ERROR (CI=true): no $PYTHON (apt-get install python3)"; exit 99; }
	echo "SKIP: no $PYTHON (apt-get install python3)"
	exit 77
fi
sim_start
out=$sim_dir/out
mkdir "$out" || exit 99
"$top_builddir/tests/manifest/sample" "$out" || fail "sample"
n=0
for exp in "$out"/*.expected; do
	name=$(basename "$exp" .expected)
	# its pieces in order: NAME.0.img, NAME.1.img, ...
	set --
	p=0
	while [ -f "$out/$name.$p.img" ]; do
		set -- "$@" "$out/$name.$p.img"
		p=$((p + 1))
	done
	"$PYTHON" "$top_srcdir/tests/manifest/reader.py" "$name" "$@" \
		>"$out/$name.got" 2>"$out/$name.why" || fail "reader.py on $name"
	if ! cmp -s "$exp" "$out/$name.got"; then
		diff -u "$exp" "$out/$name.got"
		fail "reader.py reads session $name otherwise than the library"
	fi
	echo "$name ($p pieces): both read: $(head -n 1 "$exp") $(cat "$out/$name.why")"
	n=$((n + 1))
done
[ "$n" = 5 ] || fail "$n manifests written, 5 expected"
echo "the independent reader agrees with the library on $n manifests"
