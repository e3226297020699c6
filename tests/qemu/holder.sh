# Sourced by holder-tcg.sh (ACCEL, BACKING set): QEMU quits before the
# kexec. The old QEMU saves its guest into its session and hands the
# session to a holder (liveupdate-ctl hold), then quits; the session
# outlives it in the holder through a simulated kexec, and a new QEMU
# finds the memory "kept" and the state there.
. "${top_srcdir:-.}/tests/qemu/qemu-test-lib.sh"

sock=$sim_dir/hold.sock
"$top_builddir/tools/liveupdate-ctl" hold "$sock" >"$sim_dir/holder.log" 2>&1 &
holder_pid=$!
track_pid "$holder_pid"
wait_for "$sim_dir/holder.log" "listening on $sock" "$holder_pid"

start_old
save_old
handover_to old "$sock" >/dev/null || { show_log old; cat "$sim_dir/holder.log"; fail "handover-to the holder"; }
expect_log old "handed over to $sock: this QEMU may quit"
wait_for "$sim_dir/holder.log" "holding session \"$session\"" "$holder_pid"
echo "holder: $(grep holding "$sim_dir/holder.log")"
quit_qemu old "$old_pid"
kill -0 "$holder_pid" 2>/dev/null || fail "the holder ended with the old QEMU"

"$SIM" reboot >/dev/null || fail "liveupdate-sim reboot"
qemu_start new "$ram,require-kept=on" -incoming defer
new_pid=$qemu_pid
resume_new

kill -TERM "$holder_pid"
wait "$holder_pid" || fail "the holder exited $? on SIGTERM"
grep -q "^ending: letting go of 1 sessions" "$sim_dir/holder.log" ||
	{ cat "$sim_dir/holder.log"; fail "the holder did not say it let the session go"; }
echo PASS
