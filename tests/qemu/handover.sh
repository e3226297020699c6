# Sourced by handover-tcg.sh and handover-tcg-thp.sh (ACCEL, BACKING
# set): a QEMU upgrade in place without a kexec: the old QEMU saves its guest
# into its session and hands the session over (handover-to) to a new QEMU
# that listens for it (receive-from), then quits; the new QEMU takes the
# same memory and the device state from the session, which stays
# outgoing. First the refusals: handover-to while the guest runs, and a
# successor that dies midway, after which the old QEMU still has its
# session and its guest, which goes on there until the real handover.
. "${top_srcdir:-.}/tests/qemu/qemu-test-lib.sh"

sock=$sim_dir/handover.sock

start_old

echo "--- refused: handover-to while the guest runs"
out=$(handover_to old "$sock" 2>&1) && fail "handover-to accepted while the guest runs: $out"
echo "$out" | grep -q "holds no state of the stopped guest" || fail "handover-to: $out"
echo "old: $out"

echo "--- refused: the successor dies midway"
save_old
python3 - "$sim_dir/dying.sock" >"$sim_dir/dying.log" 2>&1 <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(1)
print("listening", flush=True)
c, _ = s.accept()
got = c.recv(16)   # the start of the session, then gone without a word
print("read %d bytes, dying" % len(got), flush=True)
PY
dying_pid=$!
track_pid "$dying_pid"
wait_for "$sim_dir/dying.log" listening "$dying_pid"
out=$(handover_to old "$sim_dir/dying.sock" 2>&1) && fail "handover-to a dying successor succeeded: $out"
echo "old: $out"
echo "$out" | grep -q "not handed over, this QEMU keeps it" || fail "handover-to: $out"
wait "$dying_pid"
grep -q "^read [1-9][0-9]* bytes" "$sim_dir/dying.log" ||
	{ cat "$sim_dir/dying.log"; fail "the dying successor received nothing"; }
qmp old cmd cont >/dev/null
n=$(lines old)
wait_lines old $((n + 10))
echo "old: the guest went on in the old QEMU after the failed handover ($n -> $(lines old) lines)"

echo "--- the handover to a new QEMU"
qemu_start new "$ram,require-kept=on,receive-from=$sock" -incoming defer
new_pid=$qemu_pid
wait_for "$sim_dir/new.log" "waiting up to" "$new_pid"
save_old
expect_log old "device state preserved as 'qemu-device-state.1'"
handover_to old "$sock" >/dev/null || { show_log old; show_log new; fail "handover-to the new QEMU"; }
expect_log old "handed over to $sock: this QEMU may quit"
quit_qemu old "$old_pid"
"$SIM" status | grep -q "^simulated reboots: 0$" ||
	{ "$SIM" status; fail "a simulated kexec happened"; }
echo "no kexec: liveupdate-sim counts 0 reboots"
resume_new running

echo "--- the new QEMU saves into the session it received and hands it on"
"$top_builddir/tools/liveupdate-ctl" hold "$sim_dir/hold.sock" >"$sim_dir/holder.log" 2>&1 &
holder_pid=$!
track_pid "$holder_pid"
wait_for "$sim_dir/holder.log" "listening on" "$holder_pid"
out=$(qmp new save ram0) || exit 1
echo "new: $out"
expect_log new "device state preserved as 'qemu-device-state.2'"
handover_to new "$sim_dir/hold.sock" >/dev/null || { show_log new; fail "handover-to the holder"; }
wait_for "$sim_dir/holder.log" "holding session \"$session\" (4 labelled files)" "$holder_pid"
echo "holder: $(grep holding "$sim_dir/holder.log")"
quit_qemu new "$new_pid"
check_went_on old new
echo PASS
