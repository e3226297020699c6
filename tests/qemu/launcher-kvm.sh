#!/bin/sh
# examples/qemu-launcher with Debian's own QEMU, under KVM (-cpu host).
ACCEL=kvm
QEMU_BIN=/usr/bin/qemu-system-x86_64
. "${top_srcdir:-.}/tests/qemu/launcher.sh"
