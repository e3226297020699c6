# Sourced by launcher-tcg.sh and launcher-kvm.sh (ACCEL and QEMU_BIN set):
# the same QEMU upgrade in place under liveupdate-sim as upgrade.sh, for a
# QEMU without memory-backend-liveupdate, through examples/qemu-launcher:
# the launcher holds the session, gives QEMU the guest RAM as an inherited
# memfd (memory-backend-file, share=on, x-ignore-shared) and an empty memfd
# to save its device state into, and keeps that state on SIGUSR1.
. "${top_srcdir:-.}/tests/qemu/qemu-test-lib.sh"
launcher=$top_builddir/examples/qemu-launcher/qemu-launcher
[ -x "$launcher" ] || fail "$launcher is not built"
LAUNCHER="$launcher --session $session --size $RAM_BYTES --"

ignore_shared='{"capabilities": [{"capability": "x-ignore-shared", "state": true}]}'
# qemu_of NAME: the pid of the QEMU the launcher NAME started.
qemu_of() { sed -n 's/^qemu-launcher: QEMU pid \([0-9]*\);.*/\1/p' "$sim_dir/$1.log"; }

qemu_start old ""
launcher_old=$qemu_pid
wait_lines old 10
expect_log old "new $RAM_BYTES bytes of guest RAM"
qemu_old=$(qemu_of old)
old_inode=$(ram_inode "$qemu_old")
[ -n "$old_inode" ] || fail "no guest RAM memfd among the old QEMU's fds"
state_file=$(sed -n 's/.*state with x-ignore-shared on into \([^,]*\),.*/\1/p' "$sim_dir/old.log")
[ -n "$state_file" ] || fail "the launcher named no file to save into"

qmp old save-into "$state_file"
kill -USR1 "$launcher_old"
wait_for "$sim_dir/old.log" "device state kept" "$launcher_old"
expect_log old "device state kept"
bytes=$(sed -n 's/.*device state kept (\([0-9]*\) bytes).*/\1/p' "$sim_dir/old.log")
[ "$bytes" -lt 1048576 ] || fail "$bytes bytes of state for $RAM_SIZE of RAM: RAM was copied"

"$SIM" reboot >/dev/null || fail "liveupdate-sim reboot"
qmp old cmd quit >/dev/null
wait_for "$sim_dir/old.log" "holding session" "$launcher_old"
kill "$launcher_old"
qemu_wait "$launcher_old"

qemu_start new ""
launcher_new=$qemu_pid
wait_for "$sim_dir/new.log" "migrate-incoming fd:" "$launcher_new"
in_fd=$(sed -n 's/.*`migrate-incoming fd:\([0-9]*\)`.*/\1/p' "$sim_dir/new.log")
qmp new cmd migrate-set-capabilities "$ignore_shared" >/dev/null
qmp new cmd migrate-incoming "{\"uri\": \"fd:$in_fd\"}" >/dev/null
qmp new wait
wait_lines new 10
expect_log new "kept $RAM_BYTES bytes of guest RAM"
[ "$(ram_inode "$(qemu_of new)")" = "$old_inode" ] ||
	fail "the new QEMU maps another memfd than the old one (inode $old_inode)"
echo "new: maps the same memfd (inode $old_inode)"
qmp new cmd quit >/dev/null
qemu_wait "$launcher_new"

check_went_on old new
echo PASS
