#!/bin/sh
# examples/qemu-launcher under KVM (-cpu host), with the QEMU that make
# check-qemu builds used as an unpatched one (memory-backend-file): Debian
# 12's own QEMU 7.2 aborts with -cpu host on these hosts (MSR 0x10a).
ACCEL=kvm
. "${top_srcdir:-.}/tests/qemu/launcher.sh"
