#!/bin/sh
# qemu-payload.sh DEST QEMU_ENV BUILDDIR SRCDIR: put the patched QEMU into
# the guest's tree DEST, for scenario qemu-kexec (sc-qemu-kexec.c):
#   DEST/qemu/qemu-system-x86_64   stripped
#   DEST/qemu/lib/                 the shared libraries it needs, as ldd
#                                  resolves them with BUILDDIR's
#                                  libliveupdate.so.1 first
#   DEST/lib64/ld-linux-x86-64.so.2  its program interpreter
#   DEST/qemu/share/               the firmware a pc machine loads
#                                  (SeaBIOS, the vapic option ROM)
#   DEST/qemu/guest.img            the boot-sector guest (tests/qemu/guest.S)
# QEMU_ENV is what integrations/qemu/build.sh --out wrote (LU_QEMU, LU_QEMU_DATA).
# Prints ldd's line for libliveupdate.so.1 and exits 0, or exits 1 with the
# reason on stderr.
set -eu
dest=$1 env_file=$2 builddir=$3 srcdir=$4
die() { echo "$*" >&2; exit 1; }

[ -r "$env_file" ] || die "no $env_file: integrations/qemu/build.sh did not build QEMU"
# shellcheck disable=SC1090 # written by build.sh
. "$env_file"
[ -x "$LU_QEMU" ] || die "$LU_QEMU is not built"
mkdir -p "$dest/qemu/lib" "$dest/qemu/share" "$dest/lib64"
strip -o "$dest/qemu/qemu-system-x86_64" "$LU_QEMU" || die "strip $LU_QEMU failed"

interp=$(readelf -l "$LU_QEMU" | sed -n 's/.*program interpreter: \(.*\)]/\1/p')
[ "$interp" = /lib64/ld-linux-x86-64.so.2 ] || die "$LU_QEMU's interpreter is '$interp'"
cp -L "$interp" "$dest/lib64/"
libs=$(LD_LIBRARY_PATH=$builddir/lib/.libs ldd "$LU_QEMU") || die "ldd $LU_QEMU failed"
echo "$libs" | grep -q "libliveupdate\.so\.1 => $builddir/lib/\.libs/" ||
	die "$LU_QEMU does not resolve this tree's libliveupdate.so.1: $libs"
echo "$libs" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | while read -r lib; do
	cp -L "$lib" "$dest/qemu/lib/"
done
[ -e "$dest/qemu/lib/libliveupdate.so.1" ] || die "libliveupdate.so.1 not copied"
echo "ldd $LU_QEMU (host):$(echo "$libs" | grep 'libliveupdate\.so\.1 =>')"

# LU_QEMU_DATA is "-L DIR -L DIR ..."
for fw in bios-256k.bin kvmvapic.bin; do
	found=
	for dir in $LU_QEMU_DATA; do
		[ "$dir" = -L ] && continue
		[ -r "$dir/$fw" ] && found=$dir/$fw && break
	done
	[ -n "$found" ] || die "no $fw in $LU_QEMU_DATA (apt-get install seabios qemu-system-data)"
	cp -L "$found" "$dest/qemu/share/"
done
sh "$srcdir/tests/qemu/build-guest.sh" "$dest/qemu/guest.img" ||
	die "cannot build the boot-sector guest (binutils)"
