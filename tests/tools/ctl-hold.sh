#!/bin/sh
# liveupdate-ctl hold under liveupdate-sim: it takes a session another
# process hands over and holds it after that process has ended, through a
# simulated kexec (the session is then found incoming, its files listed);
# a sender that sends garbage is refused and the holder goes on; SIGTERM
# ends it, saying how many sessions it lets go. Bad arguments exit 2.
. "${top_srcdir:-.}/tests/sim/sim-test-lib.sh"
CTL=$top_builddir/tools/liveupdate-ctl
SENDER=$top_builddir/tests/tools/session-holder
out=$sim_dir/out
sock=$sim_dir/hold.sock
has() { grep -qF -- "$2" "$1" || { cat "$1"; fail "no '$2' in $1"; }; }

"$CTL" hold >"$out" 2>&1; rc=$?
[ "$rc" = 2 ] || { cat "$out"; fail "hold without a socket: exit $rc, expected 2"; }
: >"$sim_dir/taken"
"$CTL" hold "$sim_dir/taken" >"$out" 2>&1; rc=$?
[ "$rc" = 2 ] || { cat "$out"; fail "hold on an existing path: exit $rc, expected 2"; }
has "$out" "(remove it first)"
"$CTL" --root / hold "$sock" >"$out" 2>&1; rc=$?
[ "$rc" = 2 ] || { cat "$out"; fail "hold --root: exit $rc, expected 2"; }

sim_start
export LIBLIVEUPDATE_BACKEND=sim
"$CTL" hold "$sock" >"$sim_dir/hold.log" 2>&1 &
hold_pid=$!
trap 'kill "$hold_pid" 2>/dev/null; sim_cleanup' EXIT
n=0
until grep -q "^listening on $sock" "$sim_dir/hold.log"; do
	n=$((n + 1))
	[ $n -lt 100 ] && kill -0 "$hold_pid" 2>/dev/null ||
		{ cat "$sim_dir/hold.log"; kill "$hold_pid"; fail "hold did not start listening"; }
	sleep 0.1
done

# garbage instead of a session: refused, and the holder goes on
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(b"x" * 64); s.recv(100)' \
	"$sock" 2>/dev/null
"$SENDER" handover vm-1 "$sock" >"$out" 2>&1 ||
	{ cat "$out" "$sim_dir/hold.log"; kill "$hold_pid"; fail "handing vm-1 over"; }
sleep 0.2
has "$sim_dir/hold.log" "a session was not received (its sender keeps it)"
has "$sim_dir/hold.log" 'holding session "vm-1" (2 labelled files)'
# the sender has ended: the session lives on in the holder
"$SIM" status >"$out" 2>&1
has "$out" "sessions: 1 outgoing, 0 incoming"

"$SIM" reboot >/dev/null || fail "liveupdate-sim reboot"
"$CTL" manifest vm-1 >"$out" 2>&1 || { cat "$out"; fail "manifest vm-1 after the kexec"; }
has "$out" 'session "vm-1" incoming'
has "$out" 'label="disk0" kind=memfd size=4096'
has "$out" 'label="ram" kind=memory size=1048576'

kill -TERM "$hold_pid"
wait "$hold_pid" || fail "hold exited $? on SIGTERM"
has "$sim_dir/hold.log" "ending: letting go of 1 sessions"
[ -e "$sock" ] && fail "hold left its socket $sock behind"
echo "liveupdate-ctl hold: all checks passed"
