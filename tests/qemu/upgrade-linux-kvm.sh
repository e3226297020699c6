#!/bin/sh
# A QEMU upgrade in place with memory-backend-liveupdate and a Linux guest
# under KVM (-cpu host): the test kernel and /init from linux-guest.c, so
# that a real guest's devices, timers and interrupts under KVM (the
# in-kernel irqchip, kvmclock) are shown to carry over.
#
# Not run by make check-qemu (make check-qemu-linux-kvm runs it): where
# /dev/kvm comes from kvm_pvm (a software hypervisor, for hosts that are
# themselves VMs without nested hardware virtualization, made for PVM guest
# kernels), this kernel, not one, took 483 s to decompress itself, against
# 1.1 s under TCG, and had not reached its init after 20 minutes. There it
# cannot run, and says why.
ACCEL=kvm
GUEST=linux
if [ -d /sys/module/kvm_pvm ]; then
	. "${top_srcdir:-.}/tests/qemu/qemu-test-lib.sh"
	skip_or_fail "/dev/kvm is kvm_pvm here (software virtualization for PVM guest kernels): this kernel boots some 400 times slower than under TCG"
fi
. "${top_srcdir:-.}/tests/qemu/upgrade.sh"
