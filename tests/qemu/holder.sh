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

qemu_start old "$ram"
old_pid=$qemu_pid
wait_lines old 10
expect_backing old "$old_pid" new
old_inode=$(ram_inode "$old_pid")
[ -n "$old_inode" ] || fail "no guest RAM among the old QEMU's fds"
out=$(qmp old save ram0) || exit 1
echo "old: $out"
handover_to old "$sock" >/dev/null || { show_log old; cat "$sim_dir/holder.log"; fail "handover-to the holder"; }
expect_log old "handed over to $sock: this QEMU may quit"
wait_for "$sim_dir/holder.log" "holding session \"$session\"" "$holder_pid"
echo "holder: $(grep holding "$sim_dir/holder.log")"
qmp old cmd quit >/dev/null
qemu_wait "$old_pid"
[ "$qemu_status" = 0 ] || fail "the old QEMU exited $qemu_status after quit"
kill -0 "$holder_pid" 2>/dev/null || fail "the holder ended with the old QEMU"

"$SIM" reboot >/dev/null || fail "liveupdate-sim reboot"
qemu_start new "$ram,require-kept=on" -incoming defer
new_pid=$qemu_pid
out=$(qmp new restore ram0) || exit 1
echo "new: $out"
expect_backing new "$new_pid" kept
expect_log new "device state kept"
[ "$(ram_inode "$new_pid")" = "$old_inode" ] ||
	fail "the new QEMU maps inode $(ram_inode "$new_pid"), not the old $old_inode"
echo "new: maps the same memory (inode $old_inode)"
wait_lines new 10
qmp new cmd quit >/dev/null
qemu_wait "$new_pid"

kill -TERM "$holder_pid"
wait "$holder_pid" || fail "the holder exited $? on SIGTERM"
grep -q "^ending: letting go of 1 sessions" "$sim_dir/holder.log" ||
	{ cat "$sim_dir/holder.log"; fail "the holder did not say it let the session go"; }
check_went_on old new
echo PASS
