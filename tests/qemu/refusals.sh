#!/bin/sh
# memory-backend-liveupdate refuses what would lose or fake a guest, under
# liveupdate-sim: require-kept=on on a cold start; a QEMU killed before the
# kexec (its session dies with it: nothing claims success after); a new
# QEMU whose RAM size differs from the kept memory's.
ACCEL=tcg
. "${top_srcdir:-.}/tests/qemu/qemu-test-lib.sh"

# expect_refusal NAME PATTERN: NAME's QEMU exited non-zero saying PATTERN.
expect_refusal() {
	qemu_wait "$qemu_pid"
	[ "$qemu_status" != 0 ] || { show_log "$1"; fail "$1: QEMU started (exit 0)"; }
	expect_log "$1" "$2"
}

# The guard on a cold start.
qemu_start guard "$ram,require-kept=on" -incoming defer
expect_refusal guard "no such incoming session.*require-kept=on refuses fresh memory"

# Killed after saving, before the kexec: the session is gone with it.
qemu_start killed "$ram"
wait_lines killed 5
qmp killed save ram0 >/dev/null
kill -9 "$qemu_pid"
qemu_wait "$qemu_pid"
"$SIM" reboot >/dev/null || fail "liveupdate-sim reboot"
qemu_start after-kill "$ram,require-kept=on" -incoming defer
expect_refusal after-kill "no such incoming session"

# A cold start without the guard gets new memory, and says so.
qemu_start cold "$ram"
wait_lines cold 5
expect_log cold "ram0': new $RAM_BYTES bytes"
qmp cold save ram0 >/dev/null
"$SIM" reboot >/dev/null || fail "liveupdate-sim reboot"
qmp cold cmd quit >/dev/null
qemu_wait "$qemu_pid"

# The kept memory has 256 MiB; a QEMU asking for 128 MiB is refused.
RAM_SIZE=128M
qemu_start wrong-size "memory-backend-liveupdate,id=ram0,size=128M,session=$session,require-kept=on" \
	-incoming defer
expect_refusal wrong-size "the kept memory has $RAM_BYTES bytes but size=134217728 was given"
echo PASS
