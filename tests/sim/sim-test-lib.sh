# Sourced by the simulator's tests (tests/sim/*.sh): a private
# liveupdate-sim daemon with its own socket in a temporary directory, gone
# at exit. Needs top_builddir (set by `make check`).
: "${top_builddir:=.}" "${top_srcdir:=.}"
SIM=$top_builddir/sim/liveupdate-sim
sim_dir=$(mktemp -d "${TMPDIR:-/tmp}/lu-sim-test.XXXXXX") || exit 99
LIBLIVEUPDATE_SIM_SOCKET=$sim_dir/socket
export LIBLIVEUPDATE_SIM_SOCKET
unset LIBLIVEUPDATE_BACKEND LD_PRELOAD
sim_pid=

sim_cleanup() {
	"$SIM" stop >/dev/null 2>&1
	if [ -n "$sim_pid" ] && kill -0 "$sim_pid" 2>/dev/null; then
		kill "$sim_pid" 2>/dev/null
	fi
	rm -rf "$sim_dir"
}
trap sim_cleanup EXIT
trap 'exit 99' INT TERM

fail() {
	echo "FAIL: $*"
	if [ -s "$sim_dir/daemon.log" ]; then
		echo "--- the daemon's log (last 40 lines):"
		tail -n 40 "$sim_dir/daemon.log"
	fi
	exit 1
}

# A test that cannot run here: a skip (exit 77), a failure under CI=true.
skip() {
	[ "${CI:-}" = true ] && { echo "FAIL: $* (CI=true)"; exit 1; }
	echo "SKIP: $*"; exit 77
}

# A host root for the memory helpers (host_root) under $sim_dir/host:
# shmem THP "never", so that only a huge tmpfs gives THP; the real /proc.
# Prints its path.
sim_host_thp_never() {
	thp_dir=$sim_dir/host/sys/kernel/mm/transparent_hugepage
	mkdir -p "$thp_dir"
	cat /sys/kernel/mm/transparent_hugepage/hpage_pmd_size >"$thp_dir/hpage_pmd_size"
	echo "always within_size advise [never] deny force" >"$thp_dir/shmem_enabled"
	ln -s /proc "$sim_dir/host/proc"
	echo "$sim_dir/host"
}

sim_daemon_pid() {
	"$SIM" status 2>/dev/null | sed -n 's/^liveupdate-sim: pid \([0-9]*\),.*/\1/p'
}

sim_start() {
	"$SIM" --verbose start --log "$sim_dir/daemon.log" >/dev/null ||
		fail "liveupdate-sim start"
	sim_pid=$(sim_daemon_pid)
	[ -n "$sim_pid" ] || fail "no daemon pid in liveupdate-sim status"
}

# The daemon's open fds (after a status request, which settles earlier
# hang-ups; its own connection may stay open a moment after it exits, so
# the count is read until two readings 50 ms apart agree).
sim_fds() {
	"$SIM" status >/dev/null 2>&1
	prev=-1 n=0
	while [ "$n" -lt 40 ]; do
		now=$(ls "/proc/$sim_pid/fd" | wc -l)
		[ "$now" = "$prev" ] && break
		prev=$now
		sleep 0.05
		n=$((n + 1))
	done
	echo "$now"
}

# Fail unless the daemon comes back to $1 open fds within 5 s: the last
# clients' hang-ups may still be on their way.
sim_expect_fds() {
	n=0
	while [ "$n" -lt 50 ]; do
		now=$(sim_fds)
		[ "$now" = "$1" ] && { echo "the daemon holds $now fds, as before"; return 0; }
		sleep 0.1
		n=$((n + 1))
	done
	fail "the daemon holds $now fds, $1 before: a leak"
}
