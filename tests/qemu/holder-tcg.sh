#!/bin/sh
# QEMU hands its session to liveupdate-ctl hold and quits before the
# simulated kexec (see holder.sh).
ACCEL=tcg
. "${top_srcdir:-.}/tests/qemu/holder.sh"
