#!/bin/sh
# build-guest.sh OUT: the boot-sector guest (guest.S next to this script)
# as a 1 MiB raw disk image, for the QEMU tests and the real-kernel VM's
# scenario qemu-kexec. Needs GNU as and ld (binutils).
set -e
here=$(dirname "$0")
as --32 -o "$1.o" "$here/guest.S"
ld -m elf_i386 -Ttext 0x7c00 --oformat binary -o "$1" "$1.o"
rm -f "$1.o"
truncate -s 1M "$1"
