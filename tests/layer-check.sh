#!/bin/sh
# Layer gate, run by `make check`: lib/'s files call downward only, and no
# files of lib/, sim/, tools/ or util/ call each other in a circle. The
# graph is read from the objects the build made: a file calls another when
# its object uses a symbol the other's object defines (nm). It fails on any
# cycle, on a call from a lower layer of lib/ to a higher one, and on a
# source file of lib/ that LAYERS does not place; each offending edge is
# printed with the symbols that make it. HACKING explains the layers.
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

# "caller callee symbol" for each call between two source files of DIR,
# read from its objects (libtool's and automake's per-target names are
# mapped back to the source file).
calls() {
	dir=$1
	for o in "$top_builddir/$dir"/.libs/*.o "$top_builddir/$dir"/*.o; do
		[ -e "$o" ] || continue
		f=${o##*/}; f=${f%.o}
		while [ ! -e "$top_srcdir/$dir/$f.c" ] && [ "${f#*-}" != "$f" ]; do f=${f#*-}; done
		[ -e "$top_srcdir/$dir/$f.c" ] || continue
		$NM "$o" | awk -v f="$f" '
			$1 == "U" { print f, "U", $2 }
			NF == 3 && $2 ~ /^[TDBRC]$/ { print f, "D", $3 }'
	done | sort -u | awk '
		$2 == "D" { def[$3] = $1; next }
		{ use[n++] = $1 " " $3 }
		END { for (i = 0; i < n; i++) { split(use[i], u, " ")
			if ((u[2] in def) && def[u[2]] != u[1]) print u[1], def[u[2]], u[2] } }' | sort
}

# The files tsort finds in a loop, from "caller callee symbol" lines.
loops() {
	awk '{ print $2, $1 }' | sort -u | tsort 2>&1 >/dev/null |
		sed -n 's/^tsort: //p' | grep -v 'input contains a loop' | sort -u
}

ls "$top_builddir"/lib/.libs/*.o "$top_builddir"/lib/*.o >/dev/null 2>&1 ||
	{ echo "layer-check: no objects under $top_builddir/lib: build first"; exit 99; }
edges=$(calls lib)
[ -n "$edges" ] || { echo "layer-check: nm read no calls from $top_builddir/lib's objects"; exit 99; }

# Every source file of lib/ has a place.
for c in "$top_srcdir"/lib/*.c; do
	f=${c##*/}; f=${f%.c}
	[ -n "$(rank_of "$f")" ] || err "lib/$f.c has no layer: add it to LAYERS in $0 and to HACKING"
done

# Cycles: tsort names a loop's files.
loop=$(echo "$edges" | loops)
[ -z "$loop" ] || err "cycles through these files of lib/: $(echo $loop)"

# Upward calls, per LAYERS.
upward=$(echo "$edges" | while read -r from to sym; do
	rf=$(rank_of "$from"); rt=$(rank_of "$to")
	[ -n "$rf" ] && [ -n "$rt" ] && [ "$rt" -gt "$rf" ] && echo "lib/$from.c -> lib/$to.c ($sym)"
done)
[ -z "$upward" ] || { err "calls from a lower layer to a higher one:"; echo "$upward"; }

# The other programs' folders: no cycles (their files have no layers).
for dir in sim tools util; do
	other=$(calls $dir)
	[ -n "$other" ] || { err "nm read no calls from $top_builddir/$dir's objects: build first"; continue; }
	loop=$(echo "$other" | loops)
	[ -z "$loop" ] || err "cycles through these files of $dir/: $(echo $loop)"
done

[ $fail = 0 ] && echo "layer-check: $(echo "$edges" | awk '{ print $1, $2 }' | sort -u | wc -l) calls between lib/'s files, all downward, no cycle; none in sim/, tools/, util/ either"
exit $fail
