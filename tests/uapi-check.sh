#!/bin/sh
# Compile tests/uapi-check.c against a <linux/liveupdate.h>: the system's,
# or the one in LIVEUPDATE_UAPI_INCLUDE (the real-kernel suite points it at
# the linux-libc-dev it downloads, and runs this check there too).
set -u
top_srcdir=${top_srcdir:-.}
CC=${CC:-cc}
inc=${LIVEUPDATE_UAPI_INCLUDE:-}
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
echo '#include <linux/liveupdate.h>' > "$tmp/probe.c"
if ! $CC ${inc:+-I"$inc"} -E "$tmp/probe.c" -o /dev/null 2>/dev/null; then
	echo "uapi-check: SKIP: no <linux/liveupdate.h> here (Debian 12's linux-libc-dev"
	echo "is 6.1); the real-kernel suite (make check-vm) runs this check against the"
	echo "linux-libc-dev of the kernel it builds."
	exit 77
fi
if $CC -std=gnu11 ${inc:+-I"$inc"} -I"$top_srcdir/lib" -c "$top_srcdir/tests/uapi-check.c" -o "$tmp/u.o"; then
	hdr=$(echo '#include <linux/liveupdate.h>' | $CC ${inc:+-I"$inc"} -E -x c - | sed -n 's/^# [0-9]* "\(.*liveupdate.h\)".*/\1/p' | head -n1)
	echo "uapi-check: lib/luo-uapi.h agrees with $hdr"
	exit 0
fi
echo "uapi-check: FAIL: lib/luo-uapi.h disagrees with the kernel's <linux/liveupdate.h>"
exit 1
