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

start_old
save_old
"$SIM" reboot >/dev/null || fail "liveupdate-sim reboot"
quit_qemu old "$old_pid"

qemu_start new "$ram,require-kept=on" -incoming defer
new_pid=$qemu_pid
resume_new
echo PASS
