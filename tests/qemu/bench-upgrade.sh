#!/bin/sh
# make bench-qemu: tests/qemu/bench-upgrade.py (memory-backend-liveupdate
# under liveupdate-sim, with a simulated kexec and handed over to a new
# QEMU, against cpr-transfer) with the QEMU make check-qemu built, a private
# simulator and the boot-sector guest. BENCH_RUNS runs of each (default 5);
# ACCEL=tcg or kvm (default: kvm).
ACCEL=${ACCEL:-kvm}
. "${top_srcdir:-.}/tests/qemu/qemu-test-lib.sh"
# In the background and tracked, so that a signal to this script reaches
# the exit trap at once, which kills the benchmark's QEMUs too (the
# benchmark kills them itself when it ends).
# shellcheck disable=SC2086
python3 "$top_srcdir/tests/qemu/bench-upgrade.py" --qemu "$QEMU_BIN" --sim "$SIM" \
	--image "$guest_img" --dir "$sim_dir" --runs "${BENCH_RUNS:-5}" \
	--label "$ACCEL" -- $QEMU_DATA $accel_args &
bench_pid=$!
track_pid "$bench_pid"
wait "$bench_pid" || fail "the benchmark failed"
