#!/bin/sh
# examples/qemu-launcher with Debian's own QEMU, under TCG.
ACCEL=tcg
QEMU_BIN=/usr/bin/qemu-system-x86_64
. "${top_srcdir:-.}/tests/qemu/launcher.sh"
