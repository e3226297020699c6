#!/bin/sh
# QEMU keeps its session in systemd's fd store (fdstore=on) and quits
# before the simulated kexec (see fdstore.sh).
ACCEL=tcg
. "${top_srcdir:-.}/tests/qemu/fdstore.sh"
