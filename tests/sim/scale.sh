#!/bin/sh
# tests/sim/scale once (one repetition): the kernel selftests' figures and
# the daemon's limits, across a simulated kexec with every byte checked.
# Checks that it runs and prints its table, and that the daemon ends with
# the fds it started with; the times are shown, never judged (the machine
# may be shared). For numbers to compare, see doc/performance.md.
. "${top_srcdir:-.}/tests/sim/sim-test-lib.sh"

# quiet daemon: this measures, it does not debug
"$SIM" start --log "$sim_dir/daemon.log" >/dev/null || fail "liveupdate-sim start"
sim_pid=$(sim_daemon_pid)
fds0=$(sim_fds)

"$top_builddir/tests/sim/scale" -r 1 >"$sim_dir/table" 2>"$sim_dir/stderr" ||
	{ cat "$sim_dir/table" "$sim_dir/stderr"; fail "scale"; }
cat "$sim_dir/table"
for op in create-session preserve-fd retrieve-session retrieve-fd finish-session; do
	grep -q "^$op  *[0-9]" "$sim_dir/table" || fail "no line for $op in the table"
done
sim_expect_fds "$fds0"
