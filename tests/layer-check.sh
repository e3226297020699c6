#!/bin/sh
# Layer gate, run by `make check`: lib/'s files call downward only. The
# graph is read from the objects the build made: a file calls another when
# its object uses a symbol the other's object defines (nm). It fails on any
# cycle, on a call from a lower layer to a higher one, and on a source file
# that LAYERS does not place; each offending edge is printed with the
# symbols that make it. HACKING explains the layers.
set -u
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
NM=${NM:-nm}

# From the ground up: a file may call only files listed before it (on an
# earlier line, or to its left on the same line). The core talks to the
# backend; every feature stands on the core and on the features before it.
LAYERS='
core:     error device-holders backend-kernel backend-sim context session file kexec
manifest: manifest-format manifest-write manifest manifest-print
handover: handover-wire handover
memory:   memory-names memory-host memory-map memory-chunks memory-probe memory-choose memory-measure memory-populate memory memory-move memory-manifest
state:    kho state-read kernel-config state-availability state-handover state-memory state
netdev:   netdev-record netdev-nl netdev netdev-snapshot netdev-restore
systemd:  systemd
'
fail=0
err() { echo "layer-check: FAIL: $*"; fail=1; }

rank_of() {
	echo "$LAYERS" | tr -s ' \t\n' '\n' | grep -v ':$' | grep -nx -- "$1" | cut -d: -f1
}

objdir=
for d in "$top_builddir/lib/.libs" "$top_builddir/lib"; do
	ls "$d"/*.o >/dev/null 2>&1 && { objdir=$d; break; }
done
[ -n "$objdir" ] || { echo "layer-check: no objects under $top_builddir/lib: build first"; exit 99; }

# "file D symbol" for each definition, "file U symbol" for each use.
syms=$(for o in "$objdir"/*.o; do
	f=${o##*/}; f=${f%.o}; f=${f#libliveupdate_internal_la-}
	$NM "$o" | awk -v f="$f" '
		$1 == "U" { print f, "U", $2 }
		NF == 3 && $2 ~ /^[TDBRC]$/ { print f, "D", $3 }'
done)
[ -n "$syms" ] || { echo "layer-check: nm read nothing from $objdir/*.o"; exit 99; }

# Every source file of lib/ has a place.
for c in "$top_srcdir"/lib/*.c; do
	f=${c##*/}; f=${f%.c}
	[ -n "$(rank_of "$f")" ] || err "lib/$f.c has no layer: add it to LAYERS in $0 and to HACKING"
done

# "caller callee symbol" for each call between two files.
edges=$(echo "$syms" | awk '
	$2 == "D" { def[$3] = $1; next }
	{ use[n++] = $1 " " $3 }
	END { for (i = 0; i < n; i++) { split(use[i], u, " ")
		if ((u[2] in def) && def[u[2]] != u[1]) print u[1], def[u[2]], u[2] } }' | sort)

# Cycles: tsort names a loop's files.
loops=$(echo "$edges" | awk '{ print $2, $1 }' | sort -u | tsort 2>&1 >/dev/null |
	sed -n 's/^tsort: //p' | grep -v 'input contains a loop' | sort -u)
[ -z "$loops" ] || err "cycles through these files of lib/: $(echo $loops)"

# Upward calls, per LAYERS.
upward=$(echo "$edges" | while read -r from to sym; do
	rf=$(rank_of "$from"); rt=$(rank_of "$to")
	[ -n "$rf" ] && [ -n "$rt" ] && [ "$rt" -gt "$rf" ] && echo "lib/$from.c -> lib/$to.c ($sym)"
done)
[ -z "$upward" ] || { err "calls from a lower layer to a higher one:"; echo "$upward"; }

[ $fail = 0 ] && echo "layer-check: $(echo "$edges" | awk '{ print $1, $2 }' | sort -u | wc -l) calls between $(ls "$objdir"/*.o | wc -l) objects of lib/, all downward, no cycle"
exit $fail
