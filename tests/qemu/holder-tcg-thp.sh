#!/bin/sh
# QEMU hands its session to liveupdate-ctl hold and quits before the
# simulated kexec (see holder.sh), the guest RAM in transparent huge pages.
ACCEL=tcg
BACKING=thp
. "${top_srcdir:-.}/tests/qemu/holder.sh"
