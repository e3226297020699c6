#!/bin/sh
# tests/sim/scale once (one repetition): the kernel selftests' figures and
# the daemon's limits, across a simulated kexec with every byte checked;
# the daemon must end with the fds it started with. It judges what HACKING
# claims, that a request costs the daemon the same at 8192 sessions as at
# 2000: a shared machine varies times 3-4x between repetitions, so the
# judge is the instructions the daemon executes per operation, counted by
# valgrind --tool=callgrind, at most LU_SCALE_MAX_RATIO (default 1.5) times
# the small size's. Times are shown, never judged (doc/performance.md has
# numbers to compare). Without valgrind the test is skipped, and fails
# under CI=true.
. "${top_srcdir:-.}/tests/sim/sim-test-lib.sh"

vg=${VALGRIND:-valgrind}
if ! command -v "$vg" >/dev/null 2>&1 || ! command -v callgrind_control >/dev/null 2>&1; then
	[ "${CI:-}" = true ] && { echo "ERROR (CI=true): valgrind is required (apt-get install valgrind)"; exit 99; }
	echo "SKIP: no valgrind to count the daemon's instructions (apt-get install valgrind)"
	exit 77
fi

# the daemon under callgrind, quiet: this measures, it does not debug
"$vg" --tool=callgrind --callgrind-out-file="$sim_dir/callgrind.out" \
	"$SIM" daemon 2>"$sim_dir/daemon.log" &
sim_pid=$!
n=0
until "$SIM" status >/dev/null 2>&1; do
	n=$((n + 1))
	[ $n -lt 300 ] && kill -0 "$sim_pid" 2>/dev/null || fail "the daemon did not start under callgrind"
	sleep 0.1
done
fds0=$(sim_fds)

"$top_builddir/tests/sim/scale" -r 1 -i -m "${LU_SCALE_MAX_RATIO:-1.5}" \
	>"$sim_dir/table" 2>"$sim_dir/stderr"
rc=$?
cat "$sim_dir/table"
grep -v '^libliveupdate: using the liveupdate-sim simulator' "$sim_dir/stderr"
[ $rc = 0 ] || fail "scale (exit $rc)"
for op in create-session preserve-fd retrieve-session retrieve-fd finish-session; do
	[ "$(grep -c "^$op  *[0-9]" "$sim_dir/table")" = 3 ] || fail "no line for $op in each table"
done
sim_expect_fds "$fds0"
