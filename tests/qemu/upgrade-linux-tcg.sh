#!/bin/sh
# A QEMU upgrade in place with memory-backend-liveupdate and a Linux guest
# (the test kernel, /init from linux-guest.c): a real guest's timers,
# interrupts and devices carry over, not only a boot sector's. Under TCG;
# upgrade-linux-kvm.sh is the same under KVM.
ACCEL=tcg
GUEST=linux
. "${top_srcdir:-.}/tests/qemu/upgrade.sh"
