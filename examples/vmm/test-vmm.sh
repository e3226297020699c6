#!/bin/sh
# examples/vmm across simulated live updates, against a private
# liveupdate-sim: three VMM upgrades in place (the process exits and a new
# one resumes the guest), one triggered by SIGUSR1, then one simulated kexec
# driven by the VMM itself. The guest's counter must go on without a gap or
# a repeat through all of them; the VMM checks every report and the RAM
# hash, and exits 3 if continuity breaks. Needs /dev/kvm: skipped without
# it, failed without it under CI=true.
VMM=${top_builddir:-.}/examples/vmm/vmm

if [ ! -x "$VMM" ]; then
	echo "SKIP: examples/vmm is not built (x86-64 with <linux/kvm.h> only)"
	exit 77
fi
if [ ! -c /dev/kvm ] || [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
	why="/dev/kvm is missing or not read-write for $(id -un)"
	[ "${CI:-}" = true ] && { echo "FAIL: $why (CI=true: the CI machines have KVM)"; exit 1; }
	echo "SKIP: $why"
	exit 77
fi
. "${top_srcdir:-.}/examples/test-lib.sh"
out=$sim_dir/vmm.out

# run_vmm WANT_STATUS ARGS...: run the VMM, show and keep its output.
run_vmm() {
	want=$1; shift
	echo "--- vmm $*"
	"$VMM" --name t --rate 0 --print-ms 100000 "$@" >"$out" 2>&1
	rc=$?
	cat "$out"
	[ "$rc" = "$want" ] || fail "vmm $* exited $rc, not $want"
}
expect() {
	grep -q -- "$1" "$out" || fail "no line '$1' in the VMM's output"
}
# The last counter the guest reported in this run.
last_counter() {
	sed -n 's/.*the guest reported \([0-9]*\).*/\1/p; s/.*paused the guest after it reported \([0-9]*\);.*/\1/p' "$out" | tail -n 1
}

run_vmm 0 --update-after 2000
expect 'cold boot'
expect 'paused the guest after it reported 2000;'
expect 'handed over; exiting'

run_vmm 0 --update-after 3000
expect 'live update 1): it stopped after reporting 2000'
expect 'guest RAM intact'
expect 'guest: 2001 follows 2000: no gap, no repeat'
expect 'paused the guest after it reported 5000;'

# An update asked for from outside, at any moment.
echo "--- vmm (SIGUSR1 after its first report)"
"$VMM" --name t --rate 2000 --print-ms 100000 >"$out" 2>&1 &
pid=$!
wait_for "$out" 'guest: 5001 follows' "$pid"
sleep 0.3
kill -USR1 "$pid"
wait "$pid" || fail "the VMM exited $? after SIGUSR1"
cat "$out"
expect 'live update 2)'
expect 'handed over; exiting'
paused=$(last_counter)
[ -n "$paused" ] && [ "$paused" -gt 5001 ] || fail "paused at '$paused', not after 5001"

# The VMM loads "the next kernel" and reboots; the simulator returns, and
# the same process resumes its guest as the VMM of the new kernel would.
run_vmm 0 --kexec /proc/self/exe --update-after 1000 --exit-after 1500
expect "it stopped after reporting $paused"
expect 'live update 4)'
expect 'simulated kexec done'
expect 'blackout .* ms (pause to resume, CLOCK_MONOTONIC) = pause .* + state .* + handover .* (kexec and retrieve) + restore'
[ "$(last_counter)" = $((paused + 2500)) ] ||
	fail "the guest ends at $(last_counter), not $paused + 1000 + 1500"

# Without a session the next start is a cold boot.
run_vmm 0 --exit-after 10
expect 'cold boot'
# The proof can fail: change one byte of the guest's RAM while the
# simulator holds it (the guest's counter, at 0x8000); the next VMM must
# refuse to resume and exit 3.
run_vmm 0 --update-after 100
ram=
for fd in /proc/"$sim_pid"/fd/*; do
	case $(readlink "$fd") in *memfd:guest-ram*) ram=$fd ;; esac
done
[ -n "$ram" ] || fail "the simulator holds no guest-ram memfd"
printf 'X' | dd of="$ram" bs=1 seek=32768 conv=notrunc 2>/dev/null || fail "cannot write $ram"
run_vmm 3 --exit-after 10
expect 'CONTINUITY BROKEN: guest RAM'

echo "PASS: the guest counted from 1 to $((paused + 2500)) across 4 live updates without a gap or a repeat"
