#!/bin/sh
# The public header must compile on its own, as strict C99/C11 and as C++,
# and keep its ABI promises for every enum and option struct it defines:
# enums are 32-bit; option structs (those with a size_t sz member or a
# size_t :0 tail) start with size_t sz, end with size_t :0, and
# LIVEUPDATE_OPTS() sets sz. The lists come from the header itself (through
# the preprocessor, so order, comments and layout do not matter): a new
# enum or option struct is checked without being named here.
set -u
top_srcdir=${top_srcdir:-.}
CC=${CC:-cc}
header=$top_srcdir/include/liveupdate/liveupdate.h
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
fail=0

printf '#include <liveupdate/liveupdate.h>\n' > "$tmp/only.c"
$CC -E -P -I"$top_srcdir/include" "$tmp/only.c" > "$tmp/pp.c" ||
	{ echo "header-check: FAIL: the preprocessor cannot read the header"; exit 1; }

# One line per definition, tab-separated: "enum NAME", "opts NAME FIRST
# LAST" (its first and last member declarations) or "struct NAME" (any
# other struct).
awk 'BEGIN { RS = "\001" }
{
	s = $0
	gsub(/[ \t\n]+/, " ", s)
	while (match(s, /(enum|struct) liveupdate_[a-z0-9_]+ ?\{[^}]*\}/)) {
		def = substr(s, RSTART, RLENGTH)
		s = substr(s, RSTART + RLENGTH)
		split(def, w, " ")
		name = w[2]; sub(/\{.*/, "", name)
		if (w[1] == "enum") { print "enum\t" name; continue }
		body = def; sub(/^[^{]*\{ ?/, "", body); sub(/ ?\}$/, "", body)
		n = split(body, m, / ?; ?/)
		while (n > 0 && m[n] == "") n--
		first = m[1]; last = m[n]
		if (body ~ /(^|; ?)size_t sz;/ || last ~ /^size_t ?: ?0$/)
			print "opts\t" name "\t" first "\t" last
		else
			print "struct\t" name
	}
}' "$tmp/pp.c" > "$tmp/defs"

# Guard against a parse that misses definitions: the header's own count.
want=$(grep -cE '^[[:space:]]*(enum|struct)[[:space:]]+liveupdate_[a-z0-9_]+[[:space:]]*\{' "$header")
got=$(wc -l < "$tmp/defs")
if [ "$got" -ne "$want" ] || [ "$got" -eq 0 ]; then
	echo "header-check: FAIL: parsed $got enum and struct definitions, the header has $want"
	exit 1
fi

{
	echo '#include <liveupdate/liveupdate.h>'
	echo '#include <stddef.h>'
	awk '$1 == "enum" { printf "_Static_assert(sizeof(enum %s) == 4, \"enum %s is not 32-bit\");\n", $2, $2 }
	     $1 == "opts" { printf "_Static_assert(offsetof(struct %s, sz) == 0, \"struct %s: sz is not first\");\n", $2, $2 }' "$tmp/defs"
	echo 'int main(void)'
	echo '{'
	awk '$1 == "opts" { printf "\t{ LIVEUPDATE_OPTS(%s, o); if (o.sz != sizeof(o)) return 1; }\n", $2 }' "$tmp/defs"
	echo '	return 0;'
	echo '}'
} > "$tmp/h.c"

# What a static assertion cannot see: sz declared first, the size_t :0 tail.
tab=$(printf '\t')
while IFS=$tab read -r kind name first last; do
	[ "$kind" = opts ] || continue
	[ "$first" = "size_t sz" ] ||
		{ echo "header-check: FAIL: struct $name starts with '$first', not 'size_t sz'"; fail=1; }
	[ "$(printf %s "$last" | tr -d ' ')" = "size_t:0" ] ||
		{ echo "header-check: FAIL: struct $name ends with '$last', not 'size_t :0'"; fail=1; }
done < "$tmp/defs"

for std in gnu99 c11; do
	$CC -std=$std -Wall -Wextra -Werror -I"$top_srcdir/include" -c "$tmp/h.c" -o "$tmp/h.o" ||
		{ echo "header-check: FAIL: does not compile as -std=$std, or an assertion above failed"; fail=1; }
done
$CC -std=gnu11 -I"$top_srcdir/include" "$tmp/h.c" -o "$tmp/h" 2>/dev/null && "$tmp/h" ||
	{ echo "header-check: FAIL: LIVEUPDATE_OPTS does not set sz"; fail=1; }
if command -v "${CXX:-g++}" >/dev/null 2>&1; then
	printf '#include <liveupdate/liveupdate.h>\nint main() { return 0; }\n' > "$tmp/h.cc"
	"${CXX:-g++}" -Wall -Werror -I"$top_srcdir/include" -c "$tmp/h.cc" -o "$tmp/hcc.o" ||
		{ echo "header-check: FAIL: does not compile as C++"; fail=1; }
else
	echo "header-check: no C++ compiler; C++ check not run"
fi
echo "header-check: $(grep -c '^enum' "$tmp/defs") enums: $(awk '$1 == "enum" { printf " %s", $2 }' "$tmp/defs")"
echo "header-check: $(grep -c '^opts' "$tmp/defs") option structs: $(awk '$1 == "opts" { printf " %s", $2 }' "$tmp/defs")"
echo "header-check: other structs: $(awk '$1 == "struct" { printf " %s", $2 }' "$tmp/defs")"
[ $fail = 0 ] && echo "header-check: public header compiles as C99, C11 and C++"
exit $fail
