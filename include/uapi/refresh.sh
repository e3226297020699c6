#!/bin/sh
# refresh.sh SOURCE: copy the kernel's <linux/liveupdate.h> into this folder
# byte for byte, and record where it came from in include/uapi/SOURCE.
#
# SOURCE is a kernel source tree (the tree's own `make headers` prepares
# it in a temporary build directory, so the copy is what the kernel ships to
# userspace, byte for byte as in linux-libc-dev),
# an installed header directory (linux/liveupdate.h in it, as linux-libc-dev
# ships it) or an installed header file. The library, the simulator and the
# raw-ioctl tests take every ioctl number and request struct from this copy;
# tests/uapi-check.sh checks that nothing else defines them and that the copy
# is unchanged since this script wrote it.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
[ $# = 1 ] || { echo "usage: $0 KERNEL_TREE|INCLUDE_DIR|liveupdate.h" >&2; exit 2; }
src=$1
for cand in "$src/include/uapi/linux/liveupdate.h" "$src/linux/liveupdate.h" "$src"; do
	[ -f "$cand" ] && { hdr=$cand; break; }
done
[ -n "${hdr:-}" ] || { echo "refresh.sh: no liveupdate.h under $src" >&2; exit 1; }
grep -q LIVEUPDATE_IOCTL_TYPE "$hdr" ||
	{ echo "refresh.sh: $hdr is not the kernel's liveupdate uAPI" >&2; exit 1; }
version=unknown
if [ -f "$src/Makefile" ]; then
	version=$(make -s -C "$src" kernelversion 2>/dev/null) || version=unknown
fi
if [ "$hdr" = "$src/include/uapi/linux/liveupdate.h" ]; then
	obj=$(mktemp -d) && trap 'rm -rf "$obj"' EXIT
	make -s -C "$src" O="$obj" ARCH=x86 headers >/dev/null
	hdr=$obj/usr/include/linux/liveupdate.h
fi
cp "$hdr" "$here/linux/liveupdate.h"
{
	echo "# Written by include/uapi/refresh.sh; checked by tests/uapi-check.sh."
	echo "# file sha256 kernel-version origin"
	echo "linux/liveupdate.h $(sha256sum "$here/linux/liveupdate.h" | cut -d' ' -f1) $version $(basename "$src")"
} > "$here/SOURCE"
echo "refresh.sh: include/uapi/linux/liveupdate.h from $hdr (Linux $version)"
