# Sourced by fdstore-tcg.sh (ACCEL, BACKING set): QEMU under systemd keeps
# its session in the service's fd store (fdstore=on) and quits before the
# kexec; the store (fdstore-fake.py: systemd's side of the protocol) holds
# the session until the simulated kexec; after it, the session retrieved
# as systemd does is passed to the new QEMU (LISTEN_FDS), which takes the
# memory back "kept", the state too, drops the finished session from the
# store and puts the next one in. Refused: fdstore=on without a store.
. "${top_srcdir:-.}/tests/qemu/qemu-test-lib.sh"

notify=$sim_dir/notify
FAKE="python3 $top_srcdir/tests/qemu/fdstore-fake.py"
$FAKE serve "$notify" >"$sim_dir/store.log" 2>&1 &
store_pid=$!
track_pid "$store_pid"
wait_for "$sim_dir/store.log" serving "$store_pid"

echo "--- refused: fdstore=on without systemd's fd store"
qemu_start nostore "$ram,fdstore=on"
qemu_wait "$qemu_pid"
[ "$qemu_status" != 0 ] || fail "fdstore=on without a store: QEMU started"
expect_log nostore "fdstore=on: cannot keep session '$session' in systemd's fd store"

export NOTIFY_SOCKET="$notify" FDSTORE=16
start_old ,fdstore=on
expect_log old "session '$session' kept in systemd's fd store"
wait_for "$sim_dir/store.log" "stored $session" "$store_pid"
save_old
quit_qemu old "$old_pid"
"$SIM" status | grep -q "^sessions: 1 outgoing" ||
	{ "$SIM" status; fail "the session did not outlive QEMU in the store"; }
echo "the session outlives the old QEMU in the fd store"

"$SIM" reboot >/dev/null || fail "liveupdate-sim reboot"
LAUNCHER="$FAKE exec $session --"
qemu_start new "$ram,fdstore=on,require-kept=on" -incoming defer
new_pid=$qemu_pid
LAUNCHER=
wait_for "$sim_dir/store.log" "removed $session" "$store_pid"
grep -c "^stored $session$" "$sim_dir/store.log" | grep -q "^2$" ||
	{ cat "$sim_dir/store.log"; fail "the next session was not put in the store"; }
echo "store: the session taken from it removed once finished, the next one stored"
resume_new
echo PASS
