#!/bin/sh
# examples/vmm taken over by new VMM processes, against a private
# liveupdate-sim: a guest started with --listen is taken over three times
# in a row (each new VMM --take-over PATH --listen PATH), survives
# successors that die at each step of the handover, that cannot finish
# it (too few fds: refused while receiving, or unable to restore after
# the library's acknowledgement) and one of another uid, and is then carried through a simulated kexec by the last
# successor, with the session it received. The counter must go on without
# a gap or a repeat and the RAM hash must match at every resume; the VMMs
# check it and exit 3 otherwise. A new VMM with no VMM to take over from
# fails with a clear error. Needs /dev/kvm (skipped without it, failed
# without it under CI=true) and python3 for the dying successors.
VMM=${top_builddir:-.}/examples/vmm/vmm
: "${top_builddir:=.}"
DIES=${top_srcdir:-.}/examples/vmm/successor-dies.py

if [ ! -x "$VMM" ]; then
	echo "SKIP: examples/vmm is not built (x86-64 with <linux/kvm.h> only)"
	exit 77
fi
. "${top_srcdir:-.}/examples/test-lib.sh"
[ -c /dev/kvm ] && [ -r /dev/kvm ] && [ -w /dev/kvm ] ||
	skip "/dev/kvm is missing or not read-write for $(id -un)"
command -v python3 >/dev/null || skip "no python3 (apt-get install python3)"

# The socket lives in a directory others may enter (the other-uid case).
sock_dir=$(mktemp -d "${TMPDIR:-/tmp}/lu-takeover.XXXXXX") || exit 99
chmod 755 "$sock_dir"
S=$sock_dir/vmm.sock
pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	rm -rf "$sock_dir"
	sim_cleanup
}
trap cleanup EXIT

# start_vmm N ARGS...: VMM number N in the background, output in $sim_dir/N.out
start_vmm() {
	vmm_n=$1; shift
	echo "--- vmm $* (vmm $vmm_n)"
	"$VMM" --name t --rate 2000 --print-ms 100000 "$@" >"$sim_dir/$vmm_n.out" 2>&1 &
	eval "pid$vmm_n=$!"
	pids="$pids $!"
}
out() { cat "$sim_dir/$1.out"; }
expect() { # N TEXT: VMM N printed a line with TEXT
	grep -q -- "$2" "$sim_dir/$1.out" || { out "$1"; fail "vmm $1 did not print '$2'"; }
}
pid() { eval "echo \$pid$1"; }
# end N WANT: VMM N exits with status WANT
end() {
	wait "$(pid "$1")"
	rc=$?
	[ "$rc" = "$2" ] || { out "$1"; fail "vmm $1 exited $rc, not $2"; }
}
# the counter vmm N reported at its last takeover's pause
paused_at() {
	sed -n 's/.*paused the guest after it reported \([0-9]*\) and handed.*/\1/p' "$sim_dir/$1.out" | tail -n 1
}

# No VMM to take over from: a clear error, nothing started.
"$VMM" --take-over "$sock_dir/nobody-listens" >"$sim_dir/m.out" 2>&1
rc=$?
cat "$sim_dir/m.out"
[ "$rc" = 1 ] || fail "--take-over with nobody listening exited $rc, not 1"
grep -q "no VMM listens there.*start the running VMM with --listen" "$sim_dir/m.out" ||
	fail "no clear error for --take-over with nobody listening"

start_vmm 0 --listen "$S"
wait_for "$sim_dir/0.out" 'listening for a successor' "$pid0"
expect 0 'cold boot'

# Three takeovers in a row; each successor listens on the same path.
prev=0
for k in 1 2 3; do
	wait_for "$sim_dir/$prev.out" 'guest: counter' "$(pid $prev)"
	sleep 0.3
	start_vmm $k --take-over "$S" --listen "$S"
	wait_for "$sim_dir/$k.out" 'listening for a successor' "$(pid $k)"
	end $prev 0
	out $prev
	expect $prev 'handed it over to pid'
	at=$(paused_at $prev)
	[ -n "$at" ] || fail "vmm $prev did not say where it paused the guest"
	wait_for "$sim_dir/$k.out" "guest: $((at + 1)) follows $at: no gap" "$(pid $k)"
	expect $k "took the guest over from pid $(pid $prev)"
	expect $k "live update $k): it stopped after reporting $at"
	expect $k 'guest RAM intact'
	expect $k '"guest-ram": memory'
	expect $k '"vmm-state": memory'
	wait_for "$sim_dir/$k.out" 'blackout .* ms (pause to resume, CLOCK_MONOTONIC) = pause .* + state .* + handover .* (takeover) + restore .* + resume' "$(pid $k)"
	grep '^vmm: blackout' "$sim_dir/$k.out"
	prev=$k
done

# goes_on WHO: vmm 3 says once more that the guest goes on with it
failed_takeovers=0
goes_on() {
	i=0
	until [ "$(grep -c 'the guest goes on here after a' "$sim_dir/3.out")" -gt $failed_takeovers ]; do
		i=$((i + 1))
		[ $i -lt 100 ] && kill -0 "$pid3" || { out 3; fail "vmm 3 did not go on after $1"; }
		sleep 0.1
	done
	failed_takeovers=$((failed_takeovers + 1))
}

# Successors that die: before saying ready (the guest is not even paused),
# right after it, after the offer's first bytes, and after everything but
# the answer. The VMM keeps its guest and its session each time.
for step in greeting 0 16 all; do
	echo "--- a successor that dies ($step)"
	python3 "$DIES" "$S" "$step" || fail "the dying successor ($step) did not get that far"
	if [ "$step" = greeting ]; then
		wait_for "$sim_dir/3.out" "did not get ready" "$pid3"
	else
		goes_on "a successor that died ($step)"
	fi
	kill -0 "$pid3" || { out 3; fail "vmm 3 died with its successor ($step)"; }
done

# Real successors that cannot finish for want of file descriptors, with
# more and more of them: first the library refuses the session while
# receiving its files; then it has the session (the library acknowledged
# it) but the successor cannot retrieve the guest RAM, says so, and the
# old VMM resumes its guest without the session. Both must happen, and the
# guest goes on in the old VMM each time.
refused= unrestored=
for nofile in 8 9 10 11 12 13 14 15 16; do
	echo "--- a successor with $nofile file descriptors"
	prlimit --nofile=$nofile:$nofile "$VMM" --take-over "$S" >"$sim_dir/f$nofile.out" 2>&1
	rc=$?
	cat "$sim_dir/f$nofile.out"
	[ "$rc" = 1 ] || fail "a successor with $nofile fds exited $rc, not 1"
	grep -q 'taking the guest over' "$sim_dir/f$nofile.out" || continue	# not that far
	goes_on "a successor with $nofile fds"
	case $(grep 'the guest goes on here after a' "$sim_dir/3.out" | tail -n 1) in
	*'the successor refused it'*) refused=$nofile ;;
	*'took the session but could not restore the guest'*) unrestored=$nofile; break ;;
	*) out 3; fail "vmm 3 says something else of a successor with $nofile fds" ;;
	esac
done
[ -n "$refused" ] && [ -n "$unrestored" ] ||
	fail "no refusal ('$refused') or no failure after the acknowledgement ('$unrestored') seen"
echo "refused by a successor with $refused fds; one with $unrestored could not restore the guest"
grep 'did not get ready\|the guest goes on here' "$sim_dir/3.out"

# A successor of another user is refused before the guest pauses (the
# handover tests' peer as that successor: a program of the build tree
# that uid can run; the kernel backend, as no simulator of uid 0 is in
# its reach, and the VMM refuses before the library is asked anything).
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	chmod 777 "$S"
	LIBLIVEUPDATE_BACKEND=kernel setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$top_builddir/tests/handover/peer" take "$S" >"$sim_dir/u.out" 2>&1 &&
		{ cat "$sim_dir/u.out"; fail "a successor of uid 65534 received the session"; }
	cat "$sim_dir/u.out"
	wait_for "$sim_dir/3.out" 'refused a successor on .*runs as uid 65534, this VMM as uid 0; the guest was not paused' "$pid3"
	echo "a successor of uid 65534 is refused"
else
	echo "not root: no successor of another uid to try"
fi

# The last successor takes the guest over with the session it received
# from vmm 3 through a (simulated) kexec: one code path for both updates.
start_vmm 4 --take-over "$S" --kexec /proc/self/exe --update-after 1000 --exit-after 1500
end 3 0
end 4 0
out 4
at=$(paused_at 3)
expect 4 "guest: $((at + 1)) follows $at: no gap"
expect 4 'simulated kexec done'
expect 4 'live update 5)'
expect 4 'blackout .* (kexec and retrieve)'
last=$(sed -n 's/.*as asked; the guest reported \([0-9]*\)$/\1/p' "$sim_dir/4.out")
[ "$last" = $((at + 2500)) ] || fail "the guest ends at '$last', not $at + 1000 + 1500"
[ -e "$S" ] && fail "$S is left behind by the last VMM"
"$SIM" status | grep -qx "sessions: 0 outgoing, 0 incoming" ||
	fail "sessions left in the simulator: $("$SIM" status)"
echo "PASS: the guest counted from 1 to $last across 4 takeovers and a kexec, through successors that died, could not finish or ran as another uid"
