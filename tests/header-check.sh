#!/bin/sh
# The public header must compile on its own, as strict C99/C11 and as C++,
# and keep its ABI promises: 32-bit enums, size-first option structs.
set -u
top_srcdir=${top_srcdir:-.}
CC=${CC:-cc}
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/h.c" <<'EOT'
#include <liveupdate/liveupdate.h>
#include <stddef.h>
_Static_assert(sizeof(enum liveupdate_session_direction) == 4, "enum is 32-bit");
_Static_assert(sizeof(enum liveupdate_backend) == 4, "enum is 32-bit");
_Static_assert(offsetof(struct liveupdate_ctx_opts, sz) == 0, "size first");
_Static_assert(offsetof(struct liveupdate_kexec_opts, sz) == 0, "size first");
_Static_assert(sizeof(enum liveupdate_session_flags) == 4, "enum is 32-bit");
_Static_assert(sizeof(enum liveupdate_entry_kind) == 4, "enum is 32-bit");
_Static_assert(sizeof(enum liveupdate_preserve_flags) == 4, "enum is 32-bit");
_Static_assert(offsetof(struct liveupdate_session_opts, sz) == 0, "size first");
_Static_assert(offsetof(struct liveupdate_preserve_opts, sz) == 0, "size first");
_Static_assert(sizeof(enum liveupdate_memory_backing) == 4, "enum is 32-bit");
_Static_assert(sizeof(enum liveupdate_thp_policy) == 4, "enum is 32-bit");
_Static_assert(offsetof(struct liveupdate_memory_opts, sz) == 0, "size first");
_Static_assert(offsetof(struct liveupdate_memory_move_opts, sz) == 0, "size first");
_Static_assert(offsetof(struct liveupdate_hugetlb_pool, sz) == 0, "size first");
int main(void)
{
	LIVEUPDATE_OPTS(liveupdate_ctx_opts, o, .device_path = "/dev/null");
	LIVEUPDATE_OPTS(liveupdate_kexec_opts, k);
	return !(o.sz == sizeof(o) && k.sz == sizeof(k) && k.cmdline == NULL);
}
EOT
fail=0
for std in gnu99 c11; do
	$CC -std=$std -Wall -Wextra -Werror -I"$top_srcdir/include" -c "$tmp/h.c" -o "$tmp/h.o" ||
		{ echo "header-check: FAIL: does not compile as -std=$std"; fail=1; }
done
$CC -std=gnu11 -I"$top_srcdir/include" "$tmp/h.c" -o "$tmp/h" && "$tmp/h" ||
	{ echo "header-check: FAIL: LIVEUPDATE_OPTS does not set sz"; fail=1; }
if command -v "${CXX:-g++}" >/dev/null 2>&1; then
	printf '#include <liveupdate/liveupdate.h>\nint main() { return 0; }\n' > "$tmp/h.cc"
	"${CXX:-g++}" -Wall -Werror -I"$top_srcdir/include" -c "$tmp/h.cc" -o "$tmp/hcc.o" ||
		{ echo "header-check: FAIL: does not compile as C++"; fail=1; }
else
	echo "header-check: no C++ compiler; C++ check not run"
fi
[ $fail = 0 ] && echo "header-check: public header compiles as C99, C11 and C++"
exit $fail
