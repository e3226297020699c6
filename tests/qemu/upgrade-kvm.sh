#!/bin/sh
# A QEMU upgrade in place with memory-backend-liveupdate, under KVM.
ACCEL=kvm
. "${top_srcdir:-.}/tests/qemu/upgrade.sh"
