#!/bin/sh
# examples/agent across a simulated live update, against a private
# liveupdate-sim: two clients subscribe, preserve a text each and say
# READY; UPDATE is refused while a subscriber is not READY; the agent
# reboots (simulated kexec) and takes the sessions back; each client
# claims its own, once; hostile messages get an error, and the agent
# survives them.
. "${top_srcdir:-.}/examples/test-lib.sh"
AGENT=$top_builddir/examples/agent/agent
CTL=$top_builddir/examples/agent/agentctl
AGENT_SOCKET=$sim_dir/agent.sock
export AGENT_SOCKET
log=$sim_dir/agent.out

"$AGENT" --socket "$AGENT_SOCKET" >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; sim_cleanup' EXIT
wait_for "$log" 'serving on' "$pid"

# expect_reply JSON WANT: the agent's answer to JSON must be WANT.
expect_reply() {
	got=$("$CTL" raw "$1" 2>&1)
	[ "$got" = "$2" ] || fail "$1 answered '$got', not '$2'"
	echo "$1 -> $got"
}

"$CTL" subscribe vm1 "guest memory of vm1" || fail "subscribe vm1"
"$CTL" subscribe vm2 "guest memory of vm2" || fail "subscribe vm2"
expect_reply '{"op":"SUBSCRIBE","id":"late"}' '{"ok":true,"op":"SUBSCRIBE","id":"late"}  (+ an fd)'
expect_reply '{"op":"UPDATE"}' '{"ok":false,"op":"UPDATE","error":"a subscribed client is not READY"}'
expect_reply '{"op":"READY","id":"late"}' '{"ok":true,"op":"READY","id":"late"}'
expect_reply '{"op":"LIST"}' '{"ok":true,"op":"LIST","subscribed":"","ready":"vm1,vm2,late","claimable":""}'
# A client that subscribes again gets the same session, and must say READY again.
expect_reply '{"op":"SUBSCRIBE","id":"late"}' '{"ok":true,"op":"SUBSCRIBE","id":"late"}  (+ an fd)'
expect_reply '{"op":"LIST"}' '{"ok":true,"op":"LIST","subscribed":"late","ready":"vm1,vm2","claimable":""}'
expect_reply '{"op":"READY","id":"late"}' '{"ok":true,"op":"READY","id":"late"}'

# Hostile or malformed messages.
expect_reply '{"op":"SUBSCRIBE","id":"a","id":"b"}' '{"ok":false,"error":"duplicate member"}'
expect_reply '{"op":"SUBSCRIBE","id":"../etc"}' '{"ok":false,"error":"missing or invalid id"}'
expect_reply '{"op":"CLAIM","id":"vm1","kernel":"/x"}' '{"ok":false,"error":"kernel, initrd and cmdline go with UPDATE only"}'
expect_reply '{"op":"READY","id":"a\u0000"}' '{"ok":false,"error":"unsupported escape (see doc/agent-protocol.md)"}'
expect_reply '{"op":"LIST"} x' '{"ok":false,"error":"text after the object"}'
expect_reply '["LIST"]' '{"ok":false,"error":"expected a JSON object"}'
expect_reply '{"op":"READY","id":"nobody"}' '{"ok":false,"op":"READY","id":"nobody","error":"not subscribed"}'
# A line longer than the agent takes, sent as raw bytes (perl-base is
# in every Debian): an error answer, then the connection is closed.
got=$(perl -MIO::Socket::UNIX -e '
	my $s = IO::Socket::UNIX->new(Peer => $ARGV[0]) or die "connect: $!";
	print $s "x" x 5000; $s->shutdown(1); print while <$s>;' "$AGENT_SOCKET")
[ "$got" = '{"ok":false,"error":"message too long"}' ] ||
	fail "a 5000-byte line answered '$got'"
echo "5000-byte line -> $got"
kill -0 "$pid" || fail "the agent died"

expect_reply '{"op":"UPDATE"}' '{"ok":true,"op":"UPDATE"}'
wait_for "$log" 'session(s) to claim' "$pid"
cat "$log"
grep -q '^agent: 3 session(s) to claim' "$log" || fail "not 3 sessions back"
out=$("$CTL" claim vm2) || fail "claim vm2"
echo "$out"
case $out in *'its text: "guest memory of vm2"'*) ;; *) fail "vm2's text did not come back" ;; esac
out=$("$CTL" claim vm1) || fail "claim vm1"
echo "$out"
case $out in *'its text: "guest memory of vm1"'*) ;; *) fail "vm1's text did not come back" ;; esac
"$CTL" claim vm1 && fail "vm1 claimed twice"
expect_reply '{"op":"LIST"}' '{"ok":true,"op":"LIST","subscribed":"","ready":"","claimable":"late"}'
kill "$pid"
wait "$pid" || fail "the agent exited $? on SIGTERM"
echo "PASS: 3 sessions through the agent across a simulated kexec, each claimed once"
