#!/bin/sh
# The conformance suite (tests/conformance/, raw ioctls) against a private
# liveupdate-sim daemon, run through `liveupdate-sim run` and its shim:
# stage 1, a simulated kexec, stage 2. The same cases run against the real
# kernel in `make check-vm` (tests/vm/sc-conformance.c).
. "${top_srcdir:-.}/tests/sim/sim-test-lib.sh"

sim_start
fds0=$(sim_fds)
out=$sim_dir/conformance.out
"$SIM" run -- "$top_builddir/tests/conformance/conformance-sim" >"$out" 2>&1
rc=$?
cat "$out"
[ "$rc" = 0 ] || fail "conformance-sim exited $rc"
grep -q '^CONF PASS s2 ' "$out" || fail "stage 2 did not run"
if grep -q 'FAIL' "$out"; then
	fail "$(grep -c FAIL "$out") failing case(s)"
fi
echo "$(grep -c '^CONF PASS' "$out") conformance cases passed, $(grep -c '^CONF SKIP' "$out") skipped"
"$SIM" status | grep -q 'simulated reboots: 1' || fail "the reboot was not counted"
sim_expect_fds "$fds0"
