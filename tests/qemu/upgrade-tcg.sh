#!/bin/sh
# A QEMU upgrade in place with memory-backend-liveupdate, under TCG.
ACCEL=tcg
. "${top_srcdir:-.}/tests/qemu/upgrade.sh"
