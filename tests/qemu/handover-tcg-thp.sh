#!/bin/sh
# A QEMU handing its session over to a new QEMU (see handover.sh), the
# guest RAM in transparent huge pages.
ACCEL=tcg
BACKING=thp
. "${top_srcdir:-.}/tests/qemu/handover.sh"
