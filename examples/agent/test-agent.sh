#!/bin/sh
# examples/agent across a simulated live update, against a private
# liveupdate-sim: two clients subscribe (each handed its session with its
# manifest), label a text each and say READY (handing it back); one
# subscribes again and finds its text by label; UPDATE is refused while a
# subscriber is not READY; the agent reboots (simulated kexec) and takes
# the sessions back; each client claims its own, once, and finds its text
# by label; hostile messages get an error, and the agent survives them.
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
# A client that subscribes again (restarted) gets the session with its
# manifest: it finds its text by label and rewrites it.
out=$("$CTL" subscribe vm1 "vm1, written again") || fail "subscribe vm1 again"
echo "$out"
case $out in *'(1 labelled files)'*'found "agentctl-text" from before: "guest memory of vm1"'*) ;;
	*) fail "vm1's label did not come back with its session" ;; esac
expect_reply '{"op":"SUBSCRIBE","id":"late"}' '{"ok":true,"op":"SUBSCRIBE","id":"late"}  (+ an fd)'
expect_reply '{"op":"UPDATE"}' '{"ok":false,"op":"UPDATE","error":"a subscribed client is not READY"}'

# A client that takes its session (it acknowledges the handover on the link,
# as liveupdate_session_receive() would) and dies holding it: while it
# lives, SUBSCRIBE of its id is refused; once it is gone, the agent makes a
# new session for the id (what the dead client held went with it).
"$CTL" subscribe doomed "labelled, then lost" || fail "subscribe doomed"
python3 - "$AGENT_SOCKET" "$CTL" <<'PY' || fail "the client that dies holding its session"
import array, socket, struct, subprocess, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(b'{"op":"SUBSCRIBE","id":"doomed"}\n')
msg, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(4))
fds = array.array("i")
for level, kind, data in anc:
    fds.frombytes(data[:4])
link = socket.socket(fileno=fds[0])
offer, anc, _, _ = link.recvmsg(4096, socket.CMSG_SPACE(4 * 253))
assert offer[:4] == b"LUHO", offer[:16]
n_files = struct.unpack_from("<I", offer, 16)[0]
got = 0
while got < n_files:
    batch = link.recv(4096)
    got += struct.unpack_from("<I", batch, 20)[0]
link.send(b"LUHO" + struct.pack("<HHIIII", 1, 3, 8, 0, 0, 0))
out = subprocess.run([sys.argv[2], "raw", '{"op":"SUBSCRIBE","id":"doomed"}'],
                     capture_output=True, text=True).stdout
print("while the client holds it:", out.strip())
assert "a client holds this session" in out, out
PY
out=$("$CTL" subscribe doomed "a new session") || fail "subscribe doomed again"
echo "$out"
case $out in *'(0 labelled files)'*) ;; *) fail "not a new session for doomed" ;; esac
expect_reply '{"op":"READY","id":"late"}' '{"ok":true,"op":"READY","id":"late"}'
expect_reply '{"op":"LIST"}' '{"ok":true,"op":"LIST","subscribed":"","ready":"vm1,vm2,late,doomed","claimable":""}'
# A client that subscribes again gets the same session, and must say READY again.
expect_reply '{"op":"SUBSCRIBE","id":"late"}' '{"ok":true,"op":"SUBSCRIBE","id":"late"}  (+ an fd)'
expect_reply '{"op":"LIST"}' '{"ok":true,"op":"LIST","subscribed":"late","ready":"vm1,vm2,doomed","claimable":""}'
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
grep -q '^agent: 4 session(s) to claim' "$log" || fail "not 4 sessions back"
out=$("$CTL" claim vm2) || fail "claim vm2"
echo "$out"
case $out in *'its text: "guest memory of vm2"'*) ;; *) fail "vm2's text did not come back" ;; esac
out=$("$CTL" claim vm1) || fail "claim vm1"
echo "$out"
case $out in *'its text: "vm1, written again"'*) ;; *) fail "vm1's text did not come back" ;; esac
"$CTL" claim vm1 && fail "vm1 claimed twice"
expect_reply '{"op":"LIST"}' '{"ok":true,"op":"LIST","subscribed":"","ready":"","claimable":"late,doomed"}'
kill "$pid"
wait "$pid" || fail "the agent exited $? on SIGTERM"
echo "PASS: 4 sessions through the agent across a simulated kexec, each claimed once"
