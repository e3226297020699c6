#!/bin/sh
# A QEMU upgrade in place with memory-backend-liveupdate, under KVM, with a
# Linux guest (the test kernel, /init from linux-guest.c): a real guest's
# timers, interrupts and devices carry over, not only a boot sector's.
ACCEL=kvm
GUEST=linux
. "${top_srcdir:-.}/tests/qemu/upgrade.sh"
