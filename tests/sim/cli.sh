#!/bin/sh
# liveupdate-sim's command line: start, status, reboot, stop, run, the
# private directory and socket modes, refusals, the default socket path,
# and finding the shim.
. "${top_srcdir:-.}/tests/sim/sim-test-lib.sh"

"$SIM" --version | grep -q '^liveupdate-sim ' || fail "--version"
"$SIM" --help | grep -q 'reboot' || fail "--help"
"$SIM" bogus >/dev/null 2>&1 && fail "an unknown command succeeded"

out=$("$SIM" status) && fail "status succeeded with no daemon"
echo "$out" | grep -q "not running at $sim_dir/socket" || fail "status without daemon: $out"

# the default socket, per user
if [ "$(id -u)" = 0 ]; then
	want=/run/liveupdate-sim/socket
else
	want=/tmp/liveupdate-sim-$(id -u)/socket
fi
out=$(env -u LIBLIVEUPDATE_SIM_SOCKET -u XDG_RUNTIME_DIR "$SIM" status)
echo "$out" | grep -q "$want" || fail "default socket: expected $want in: $out"
if [ "$(id -u)" != 0 ]; then
	out=$(env -u LIBLIVEUPDATE_SIM_SOCKET XDG_RUNTIME_DIR=/xdg/run "$SIM" status)
	echo "$out" | grep -q "/xdg/run/liveupdate-sim/socket" || fail "XDG socket: $out"
fi

sim_start
out=$("$SIM" start) || fail "second start"
echo "$out" | grep -q "already running, pid $sim_pid" || fail "second start: $out"
[ "$(stat -c %a "$sim_dir")" = 700 ] || fail "directory mode $(stat -c %a "$sim_dir")"
[ "$(stat -c %a "$sim_dir/socket")" = 600 ] || fail "socket mode $(stat -c %a "$sim_dir/socket")"
"$SIM" daemon >"$sim_dir/second.log" 2>&1 && fail "a second daemon on the same socket ran"
grep -q "another liveupdate-sim daemon" "$sim_dir/second.log" || fail "second daemon: $(cat "$sim_dir/second.log")"

# a directory others can enter is refused
mkdir -m 0755 "$sim_dir/open"
"$SIM" --socket "$sim_dir/open/socket" daemon >"$sim_dir/open.log" 2>&1 &&
	fail "a daemon ran in a 0755 directory"
grep -q "refusing" "$sim_dir/open.log" || fail "0755 directory: $(cat "$sim_dir/open.log")"
[ -e "$sim_dir/open/socket" ] && fail "a socket was made in a 0755 directory"

out=$("$SIM" status) || fail "status"
echo "$out" | grep -q '^simulated reboots: 0$' || fail "status: $out"
echo "$out" | grep -q '^device: not open$' || fail "status: $out"
out=$("$SIM" reboot) || fail "reboot"
echo "$out" | grep -q 'simulated kexec #1: 0 session(s) carried over' || fail "reboot: $out"
"$SIM" status | grep -q '^simulated reboots: 1$' || fail "the reboot count"

# run: the shim, the socket, the exit status
out=$("$SIM" run -- sh -c 'echo "$LD_PRELOAD|$LIBLIVEUPDATE_SIM_SOCKET"') || fail "run"
case $out in
*/liveupdate-sim-preload.so\|$sim_dir/socket) ;;
*) fail "run's environment: $out" ;;
esac
"$SIM" run -- sh -c 'exit 7'
[ $? = 7 ] || fail "run did not pass on the exit status"
"$SIM" run -- /nonexistent/program 2>/dev/null
[ $? = 127 ] || fail "run of a missing program: not 127"
LIBLIVEUPDATE_SIM_PRELOAD=/nonexistent/shim.so "$SIM" run -- true 2>/dev/null &&
	fail "run with a missing shim succeeded"

# an open device shows in status, sessions too (a program under the shim)
"$SIM" run -- sh -c 'exec 3<>/dev/liveupdate && "$0" status' "$SIM" >"$sim_dir/st.out" ||
	fail "opening /dev/liveupdate under the shim: $(cat "$sim_dir/st.out")"
grep -q '^device: open by pid' "$sim_dir/st.out" || fail "status with the device open: $(cat "$sim_dir/st.out")"
"$SIM" run -- sh -c 'exec 3<>/dev/liveupdate 4<>/dev/liveupdate' 2>"$sim_dir/busy.err" &&
	fail "the device opened twice"
grep -q 'busy' "$sim_dir/busy.err" || fail "second open: $(cat "$sim_dir/busy.err")"

# an argument a command does not take: a usage error (2) that does nothing
for cmd in reboot status stop start daemon; do
	"$SIM" $cmd EXTRA >"$sim_dir/extra.out" 2>&1
	rc=$?
	[ $rc = 2 ] || fail "'$cmd EXTRA': exit $rc, expected 2: $(cat "$sim_dir/extra.out")"
	grep -q "unexpected argument \"EXTRA\"" "$sim_dir/extra.out" ||
		fail "'$cmd EXTRA' says: $(cat "$sim_dir/extra.out")"
done
"$SIM" status | grep -q '^simulated reboots: 1$' || fail "'reboot EXTRA' rebooted, or 'stop EXTRA' stopped"
"$SIM" bogus EXTRA 2>&1 | grep -q 'unknown command "bogus"' || fail "an unknown command with an argument"

"$SIM" stop | grep -q stopped || fail "stop"
[ -e "$sim_dir/socket" ] && fail "the socket is still there after stop"
"$SIM" status >/dev/null && fail "status after stop"

# run starts a daemon when none answers
"$SIM" run --log "$sim_dir/daemon.log" -- true || fail "run without a daemon"
sim_pid=$(sim_daemon_pid)
[ -n "$sim_pid" ] || fail "run did not start a daemon"
# no daemon: the shim's open fails as on a kernel without LUO
"$SIM" stop >/dev/null
out=$(LD_PRELOAD=$top_builddir/sim/.libs/liveupdate-sim-preload.so sh -c 'exec 3<>/dev/liveupdate' 2>&1) &&
	fail "/dev/liveupdate opened with no daemon"
# (dash says "Directory nonexistent" for ENOENT on an O_CREAT open)
echo "$out" | grep -qE 'No such file|nonexistent' || fail "no daemon: $out"
echo "$out" | grep -q 'no liveupdate-sim daemon' || fail "no warning from the shim: $out"
echo "cli: all checks passed"
