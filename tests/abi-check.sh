#!/bin/sh
# ABI gate, run by `make check`: the shared library exports exactly the
# symbols of libliveupdate.map, each in a version node; every export carries
# the liveupdate_ prefix, is declared in the public header with a comment
# that says since when and what it returns, and is documented in a man page;
# the SONAME is libliveupdate.so.1; and `nm -D --defined-only` of the
# library, as symbol@@VERSION, is exactly tests/abi-exports.txt (a new
# export adds its line there in the same commit; nothing else changes it).
set -u
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
READELF=${READELF:-readelf}
so=$top_builddir/lib/.libs/libliveupdate.so
map=$top_srcdir/libliveupdate.map
header=$top_srcdir/include/liveupdate/liveupdate.h
fail=0
err() { echo "abi-check: FAIL: $*"; fail=1; }

[ -e "$so" ] || { echo "abi-check: $so not built (configure --disable-shared?)"; exit 99; }

soname=$($READELF -d "$so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = libliveupdate.so.1 ] || err "SONAME is '$soname', must stay libliveupdate.so.1 (see configure.ac)"

# Defined, global, default-visibility dynamic symbols, as name@@VERSION.
exports=$($READELF --dyn-syms -W "$so" | awk '
	$5 != "LOCAL" && $7 != "UND" && $6 == "DEFAULT" && $8 != "" { print $8 }' |
	grep -v '^LIBLIVEUPDATE_[0-9.]*$' | sort -u)
[ -n "$exports" ] || err "no exported symbols found"

nodes=$(sed -n 's/^\(LIBLIVEUPDATE_[0-9.]*\) *{.*/\1/p' "$map")
mapsyms=$(sed -e 's,/\*.*\*/,,' "$map" | awk '
	/^\/\*/,/\*\// { next }
	/global:/ { g = 1; next } /local:/ { g = 0; next }
	g && /^[ \t]*[a-z_0-9]+;/ { gsub(/[ \t;]/, ""); print }' | sort -u)

for e in $exports; do
	name=${e%%@*}
	ver=${e#*@}; ver=${ver#@}
	case $e in
	*@*) ;;
	*) err "$name is exported without a version node: add it to $map"; continue ;;
	esac
	echo "$nodes" | grep -qx "$ver" || err "$name has version $ver, which is no node of the map"
	case $name in liveupdate_*) ;; *) err "$name lacks the liveupdate_ prefix" ;; esac
	echo "$mapsyms" | grep -qx "$name" || err "$name is exported but not listed in the map"
	grep -q "\b$name\b *(" "$header" || err "$name is not declared in $header"
	# its comment block in the header says since when and what it returns
	doc=$(awk -v n="$name" '/^\/\*\*/ { doc = "" } { doc = doc $0 "\n" }
		!/^ \*/ && $0 ~ "(^|[ *])" n " *\\(" { print doc; exit }' "$header")
	case $doc in *"Since: "*) ;; *) err "$name: no 'Since:' in its header comment" ;; esac
	case $doc in *"Returns"*) ;; *) err "$name: no 'Returns' in its header comment" ;; esac
	if ! grep -rqw -- "$name" "$top_srcdir"/man/*.3 2>/dev/null; then
		err "$name is not documented in any man/*.3 page"
	fi
done
for s in $mapsyms; do
	echo "$exports" | grep -q "^$s@" || err "$s is in the map but the library does not export it"
done
# Every liveupdate_ function the header declares must be exported.
for d in $(grep -o '\bliveupdate_[a-z_0-9]*(' "$header" | tr -d '(' | sort -u); do
	echo "$mapsyms" | grep -qx "$d" || err "$d is declared in the header but not in the map"
done

# Only what the library uses goes into it: no function of the simulator's
# own programs (daemon, command, shim, sim-control.c) may be defined in the
# .so; the library links only the protocol and client (sim-proto, sim-client).
NM=${NM:-nm}
sim_only=$(for o in "$top_builddir"/sim/*.o "$top_builddir"/sim/.libs/*.o; do
	case $o in *sim-client.o|*sim-proto.o|*"*.o") continue ;; esac
	$NM --defined-only "$o" | awk '$2 == "T" { print $3 }'
done | sort -u)
[ -n "$sim_only" ] || err "no simulator objects found under $top_builddir/sim to compare with"
in_so=$($NM --defined-only "$so" | awk '{ print $3 }' | sort -u)
leaked=$(printf '%s\n' "$in_so" | grep -Fx "$sim_only")
[ -z "$leaked" ] || err "simulator-only functions in $so: $(echo $leaked)"

# The list committed in the tree is the ABI: the same names, the same nodes.
list=$top_srcdir/tests/abi-exports.txt
dynsyms=$($NM -D --defined-only "$so" | awk '{ print $3 }' | LC_ALL=C sort)
abidiff=$(printf '%s\n' "$dynsyms" | diff "$list" - | grep '^[<>]')
[ -z "$abidiff" ] || err "exports differ from $list (< only in the list, > only in the .so): $(echo $abidiff)"

n=$(echo "$exports" | wc -l)
[ $fail = 0 ] && echo "abi-check: $n exports, all versioned ($nodes), declared and documented, as tests/abi-exports.txt lists them; SONAME $soname; none of the simulator's $(echo "$sim_only" | wc -l) own functions in the .so"
exit $fail
