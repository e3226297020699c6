#!/bin/sh
# liveupdate-ctl end to end: status (text and JSON, the JSON checked with
# Python's json module against doc/state-json.md), kho and preflight on the
# fixture trees of tests/unit/fixtures/state, its exit codes, and
# `status` under a private liveupdate-sim, which must say SIMULATED.
. "${top_srcdir:-.}/tests/sim/sim-test-lib.sh"
CTL=$top_builddir/tools/liveupdate-ctl
FIX=$top_srcdir/tests/unit/fixtures/state
CHECK="python3 $top_srcdir/tests/tools/check-state-json.py"
command -v python3 >/dev/null || {
	[ "${CI:-}" = true ] && { echo "FAIL: python3 missing (CI=true)"; exit 1; }
	echo "SKIP: python3 not found (apt-get install python3)"; exit 77
}
out=$sim_dir/out

# run EXPECTED_EXIT liveupdate-ctl-arguments...: output in $out; under the
# simulator's shim, where /dev/liveupdate answers as the kernel's device
run() {
	want=$1; shift
	LIBLIVEUPDATE_BACKEND=kernel "$SIM" run -- "$CTL" "$@" >"$out" 2>&1
	rc=$?
	[ "$rc" = "$want" ] || { cat "$out"; fail "liveupdate-ctl $*: exit $rc, expected $want"; }
}
has() { grep -qF -- "$1" "$out" || { cat "$out"; fail "no '$1' in the output"; }; }
json() { # fixture device expected-exit expectations...
	root=$1 dev=$2 want=$3; shift 3
	run "$want" --root "$root" --device "$dev" status --json
	$CHECK "$@" "$out" || fail "status --json on $root"
}

none=$sim_dir/no-such-device
luo=/dev/liveupdate # the shim's: a device that opens
sim_start

# this boot, from the real kernel's files
json "$FIX/vm-cold" "$luo" 0 --expect availability.reason=available \
	--expect boot.kind=cold --expect boot.liveupdate_count.value=0 \
	--expect boot.kexec_count.value=0 --expect boot.luo_abi.value=luo-v5 \
	--expect 'kho.out.missing~truncated' --expect kho.in.subtrees=[] \
	--expect host.kernel_release.value=7.3.4 --expect host.memory.shmem_thp.value=advise \
	--expect host.memory.huge_tmpfs.value=always \
	--expect host.memory.hugetlb_pools.0.page_size=2097152 \
	--expect host.memory.hugetlb_pools.0.free=3 --expect host.memory.backings.1.backing=thp \
	--expect host.memory.backings.2.backing=hugetlb --expect host.memory.backings.0.preservable=null \
	--expect 'host.memory.backings.0.why~not probed: the state was read from' \
	--expect 'host.memory.probe.missing~not probed'
json "$FIX/vm-update-1" "$none" 1 --expect boot.kind=live-update \
	--expect boot.previous_release.value=7.3.4 --expect boot.liveupdate_count.value=1 \
	--expect boot.kexec_count.value=1 --expect kho.in.compatible=kho-v4 \
	--expect kho.in.subtrees.0.name=LUO --expect kho.in.subtrees.0.format=null \
	--expect 'kho.in.subtrees.0.note~stale' --expect kho.in.subtrees.1.format=kexec-metadata-v1
run 1 --root "$FIX/vm-update-2" --device "$none" status
has "after live update #2 from 7.3.4"
# a root without a mount table: that it could not be read, not "no tmpfs"
run 1 --root "$FIX/too-old" --device "$none" status
has "huge tmpfs:       unknown: the mount table $FIX/too-old/proc/self/mountinfo could not be read"
run 0 --root "$FIX/vm-update-1" --device "$luo" status
has "after live update #1 from 7.3.4"
has "live update:   AVAILABLE (available)"
run 0 --root "$FIX/vm-update-1" kho
has "stale: the kernel frees"
has "kexec-metadata-v1"

# every reason the files give, in JSON
for pair in too-old:kernel-too-old no-config:no-config kho-off:kho-disabled \
	kho-default-off:kho-disabled no-cmdline:no-cmdline unknown:no-device; do
	json "$FIX/${pair%%:*}" "$none" 1 --expect "availability.reason=${pair#*:}" \
		--expect availability.possible=false
done
json "$FIX/unknown" "$none" 1 --expect boot.kind=unknown \
	--expect 'boot.missing~debugfs is not mounted'

# preflight: a loaded kernel and a process holding two sessions
pre=$sim_dir/pre
cp -r "$FIX/vm-update-1" "$pre"
mkdir -p "$pre/sys/kernel" "$pre/proc/4242/fd"
echo 1 >"$pre/sys/kernel/kexec_loaded"
echo qemu-vm >"$pre/proc/4242/comm"
ln -s "anon_inode:[luo_session] vm-42" "$pre/proc/4242/fd/7"
ln -s "anon_inode:[luo_session] vm-43" "$pre/proc/4242/fd/8"
ln -s "/dev/null" "$pre/proc/4242/fd/0"
run 0 --root "$pre" --device "$luo" preflight
has "session vm-42 held by pid 4242 (qemu-vm), fd 7"
has "PASS  sessions  2 session fd(s) open"
has "preflight: 0 failed"
echo 0 >"$pre/sys/kernel/kexec_loaded"
run 1 --root "$pre" --device "$none" preflight
has "FAIL  kexec"
has "FAIL  device"

# usage errors exit 2
run 2 frobnicate
run 2 kho --json
run 2 --root /nonexistent/dir status
# every command refuses what it does not take
run 2 status EXTRA
run 2 kho EXTRA
run 2 preflight EXTRA
run 2 mount-huge /a /b
run 2 manifest a b
run 2 --root "$pre" mount-huge /proc/lu-no-such-dir-$$
[ -e /proc/lu-no-such-dir-$$ ] && fail "mount-huge with --root made a directory"
run 2 --device /dev/null mount-huge /proc/lu-no-such-dir-$$
run 2 --root "$pre" manifest some-session
run 0 --help

# a file that opens but is not the device: not possible (1), and why
: >"$sim_dir/file"
run 1 --root "$FIX/vm-cold" --device "$sim_dir/file" status
has "NOT AVAILABLE (device-error)"
has "$sim_dir/file is not the live update device: it is a regular file, not a character device"
run 1 --root "$FIX/vm-cold" --device /dev/null status --json
$CHECK --expect availability.reason=device-error --expect availability.possible=false \
	--expect 'availability.text~/dev/null is not the live update device: it is a character device (1:3)' \
	"$out" || fail "status --json with /dev/null as the device"
run 1 --root "$pre" --device /dev/null preflight
has "FAIL  device    /dev/null is not the live update device"

# the simulator's device held by another process: its pid, in text and JSON
"$SIM" run -- sh -c 'exec 3<>/dev/liveupdate; echo held; exec sleep 60' >"$sim_dir/held" &
holder=$!
for i in $(seq 100); do grep -q held "$sim_dir/held" && break; sleep 0.1; done
LIBLIVEUPDATE_BACKEND=sim "$CTL" --root "$pre" preflight >"$out" 2>&1
has "PASS  device    held by pid $holder (sleep), which owns its sessions"
LIBLIVEUPDATE_BACKEND=sim "$CTL" --root "$FIX/vm-cold" status --json >"$out" 2>/dev/null
$CHECK --expect availability.reason=busy --expect availability.simulated=true \
	--expect availability.holder.pid=$holder --expect availability.holder.command=sleep \
	"$out" || fail "status --json with the simulator's device held"
kill $holder; wait $holder 2>/dev/null

# the simulator: SIMULATED, exit 0
LIBLIVEUPDATE_BACKEND=sim "$CTL" --root "$FIX/vm-cold" status >"$out" 2>&1 ||
	{ cat "$out"; fail "status under the simulator: exit $?"; }
has "live update:   SIMULATED (simulated)"
# (the library announces the simulator on stderr: stdout stays JSON)
LIBLIVEUPDATE_BACKEND=sim "$CTL" --root "$FIX/vm-cold" status --json >"$out" 2>"$sim_dir/err" ||
	fail "status --json under the simulator"
grep -q "liveupdate-sim simulator" "$sim_dir/err" || fail "the simulator was not announced"
$CHECK --expect availability.reason=simulated --expect availability.simulated=true \
	--expect availability.possible=true "$out" || fail "simulated JSON"
# on the running host the simulator is probed: it preserves a 4 KiB memfd
LIBLIVEUPDATE_BACKEND=sim "$CTL" status --json >"$out" 2>"$sim_dir/err" ||
	fail "status --json under the simulator, host root"
$CHECK --expect host.memory.backings.0.backing=shmem \
	--expect host.memory.backings.0.preservable=true --expect host.memory.backings.0.why=null \
	--expect 'host.memory.probe.source~liveupdate_memory_probe()' "$out" ||
	fail "the simulator was not probed"
echo "liveupdate-ctl: all checks passed"
