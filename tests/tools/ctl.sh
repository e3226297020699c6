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

# run EXPECTED_EXIT liveupdate-ctl-arguments...: output in $out
run() {
	want=$1; shift
	LIBLIVEUPDATE_BACKEND=kernel "$CTL" "$@" >"$out" 2>&1
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
: >"$sim_dir/device" # a file stands for a device that opens

# this boot, from the real kernel's files
json "$FIX/vm-cold" "$sim_dir/device" 0 --expect availability.reason=available \
	--expect boot.kind=cold --expect boot.liveupdate_count.value=0 \
	--expect boot.kexec_count.value=0 --expect boot.luo_abi.value=luo-v5 \
	--expect 'kho.out.missing~truncated' --expect kho.in.subtrees=[] \
	--expect host.kernel_release.value=7.3.4 --expect host.memory=null
json "$FIX/vm-update-1" "$none" 1 --expect boot.kind=live-update \
	--expect boot.previous_release.value=7.3.4 --expect boot.liveupdate_count.value=1 \
	--expect boot.kexec_count.value=1 --expect kho.in.compatible=kho-v4 \
	--expect kho.in.subtrees.0.name=LUO --expect kho.in.subtrees.0.format=null \
	--expect 'kho.in.subtrees.0.note~stale' --expect kho.in.subtrees.1.format=kexec-metadata-v1
run 1 --root "$FIX/vm-update-2" --device "$none" status
has "after live update #2 from 7.3.4"
run 0 --root "$FIX/vm-update-1" --device "$sim_dir/device" status
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
run 0 --root "$pre" --device "$sim_dir/device" preflight
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
run 0 --help

# the simulator: SIMULATED, exit 0
sim_start
LIBLIVEUPDATE_BACKEND=sim "$CTL" --root "$FIX/vm-cold" status >"$out" 2>&1 ||
	{ cat "$out"; fail "status under the simulator: exit $?"; }
has "live update:   SIMULATED (simulated)"
# (the library announces the simulator on stderr: stdout stays JSON)
LIBLIVEUPDATE_BACKEND=sim "$CTL" --root "$FIX/vm-cold" status --json >"$out" 2>"$sim_dir/err" ||
	fail "status --json under the simulator"
grep -q "liveupdate-sim simulator" "$sim_dir/err" || fail "the simulator was not announced"
$CHECK --expect availability.reason=simulated --expect availability.simulated=true \
	--expect availability.possible=true "$out" || fail "simulated JSON"
echo "liveupdate-ctl: all checks passed"
