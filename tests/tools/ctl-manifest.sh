#!/bin/sh
# liveupdate-ctl manifest under liveupdate-sim: by name it peeks at the
# manifest of an outgoing and, after a simulated kexec, an incoming session
# without retrieving anything (the owner still retrieves every file after);
# by --fd it prints an incoming session's manifest, and for an outgoing
# session says why it cannot. Bad arguments exit 2.
. "${top_srcdir:-.}/tests/sim/sim-test-lib.sh"
CTL=$top_builddir/tools/liveupdate-ctl
HOLD=$top_builddir/tests/tools/session-holder
out=$sim_dir/out
has() { grep -qF -- "$2" "$1" || { cat "$1"; fail "no '$2' in $1"; }; }

# usage errors: nothing to read, both, a bad fd, by name off the simulator
for args in "manifest" "manifest --fd 3 vm-1" "manifest --fd x" "status --fd 3"; do
	# shellcheck disable=SC2086
	LIBLIVEUPDATE_BACKEND=sim "$CTL" $args >"$out" 2>&1; rc=$?
	[ "$rc" = 2 ] || { cat "$out"; fail "liveupdate-ctl $args: exit $rc, expected 2"; }
done
LIBLIVEUPDATE_BACKEND=kernel "$CTL" manifest vm-1 >"$out" 2>&1; rc=$?
[ "$rc" = 2 ] || fail "manifest NAME on the kernel: exit $rc, expected 2"
has "$out" "pass a session fd with --fd N"

sim_start
export LIBLIVEUPDATE_BACKEND=sim
"$CTL" manifest vm-1 >"$out" 2>&1; rc=$?
[ "$rc" = 1 ] || { cat "$out"; fail "manifest of no session: exit $rc, expected 1"; }
has "$out" "no session of that name"

# an outgoing session: by name (peek) prints it, by fd says why not; then
# the simulated kexec, the session held open
"$HOLD" create vm-1 -- sh -c '
	"$1" manifest vm-1 >"$2/out-name" 2>&1 || exit 11
	"$1" manifest --fd "$SESSION_FD" >"$2/out-fd" 2>&1; echo "exit $?" >>"$2/out-fd"
	"$3" reboot >/dev/null || exit 12
' sh "$CTL" "$sim_dir" "$SIM" >"$out" 2>&1 || { cat "$out"; fail "the outgoing part: exit $?"; }
cat "$sim_dir/out-name"
has "$sim_dir/out-name" 'session "vm-1" outgoing (liveupdate-sim)'
has "$sim_dir/out-name" 'session (from this manifest memfd alone), manifest generation'
has "$sim_dir/out-name" 'meta "vm"="42"'
has "$sim_dir/out-name" 'label="disk0" kind=memfd size=4096 "bus"="virtio"'
has "$sim_dir/out-name" 'label="ram" kind=memory size=1048576 backing=shmem page-size=4096'
has "$sim_dir/out-fd" "is an outgoing session: the kernel hands out no file"
has "$sim_dir/out-fd" "exit 1"

# incoming: by name (peek, twice: it takes nothing away), then by fd
"$CTL" manifest vm-1 >"$out" 2>&1 || { cat "$out"; fail "manifest vm-1 after the kexec"; }
has "$out" 'session "vm-1" incoming (liveupdate-sim)'
has "$out" 'label="ram" kind=memory'
"$CTL" manifest vm-1 >"$out" 2>&1 || fail "a second peek"
# the peeks retrieved nothing: the session is still waiting for its owner
"$SIM" status >"$out" 2>&1
has "$out" "sessions: 0 outgoing, 1 incoming"
grep -q "retrieved" "$sim_dir/daemon.log" && { cat "$sim_dir/daemon.log"; fail "a peek retrieved"; }
"$HOLD" retrieve vm-1 -- sh -c '"$1" manifest --fd "$SESSION_FD"' sh "$CTL" >"$out" 2>&1 ||
	{ cat "$out"; fail "manifest --fd of the incoming session"; }
cat "$out"
has "$out" 'session "vm-1" incoming, manifest generation'
has "$out" 'label="disk0" kind=memfd size=4096 "bus"="virtio"'
echo "liveupdate-ctl manifest: all checks passed"
