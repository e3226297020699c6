# Sourced by the upgrade-*.sh tests (ACCEL, BACKING set): a QEMU upgrade
# in place under liveupdate-sim with memory-backend-liveupdate. The old
# QEMU writes its device state (its migration stream, RAM left out by
# x-ignore-shared) into a memfd kept in the session of the RAM, the
# simulated kexec turns the session into an incoming one, the old QEMU
# quits, and a new QEMU takes the same memory back by label and loads the
# state from the session. The guest's lines and RAM sums must go on.
. "${top_srcdir:-.}/tests/qemu/qemu-test-lib.sh"

echo "--- ldd $LU_QEMU"
ldd "$LU_QEMU" | grep 'libliveupdate\.so\.1 => .*/lib/\.libs/' ||
	fail "QEMU is not linked with this tree's libliveupdate.so.1"

qemu_start old "$ram"
old_pid=$qemu_pid
wait_lines old 10
expect_backing old "$old_pid" new
old_inode=$(ram_inode "$old_pid")
[ -n "$old_inode" ] || fail "no guest RAM memfd among the old QEMU's fds"

out=$(qmp old save ram0) || exit 1
echo "old: $out"
bytes=$(echo "$out" | sed -n 's/^saved: \([0-9]*\) bytes.*/\1/p')
[ -n "$bytes" ] && [ "$bytes" -gt 0 ] || fail "no device state written"
[ "$bytes" -lt 1048576 ] || fail "$bytes bytes of state for $RAM_SIZE of RAM: RAM was copied"
expect_log old "device state preserved"

"$SIM" reboot >/dev/null || fail "liveupdate-sim reboot"
qmp old cmd quit >/dev/null
qemu_wait "$old_pid"
[ "$qemu_status" = 0 ] || fail "the old QEMU exited $qemu_status after quit"

qemu_start new "$ram,require-kept=on" -incoming defer
new_pid=$qemu_pid
out=$(qmp new restore ram0) || exit 1
echo "new: $out"
expect_backing new "$new_pid" kept
expect_log new "device state kept"
[ "$(ram_inode "$new_pid")" = "$old_inode" ] ||
	fail "the new QEMU maps memfd inode $(ram_inode "$new_pid"), not the old $old_inode"
echo "new: maps the same memfd (inode $old_inode)"
wait_lines new 10
qmp new cmd quit >/dev/null
qemu_wait "$new_pid"

check_went_on old new
echo PASS
