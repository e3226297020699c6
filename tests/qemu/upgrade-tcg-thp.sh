#!/bin/sh
# A QEMU upgrade in place with memory-backend-liveupdate, under TCG, the
# guest RAM in transparent huge pages.
ACCEL=tcg
BACKING=thp
. "${top_srcdir:-.}/tests/qemu/upgrade.sh"
