#!/bin/sh
# A QEMU upgrade in place with memory-backend-liveupdate, under KVM, the
# guest RAM in transparent huge pages.
ACCEL=kvm
BACKING=thp
. "${top_srcdir:-.}/tests/qemu/upgrade.sh"
