#!/bin/sh
# A QEMU handing its session over to a new QEMU (see handover.sh).
ACCEL=tcg
. "${top_srcdir:-.}/tests/qemu/handover.sh"
