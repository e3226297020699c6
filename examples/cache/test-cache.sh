#!/bin/sh
# examples/cache across simulated live updates, against a private
# liveupdate-sim: 2000 keys survive two restarts in place (UPDATE over the
# socket, then SIGUSR1) and one simulated kexec the cache drives itself;
# the count, the checksum and sample values must come back unchanged, and
# malformed or oversized lines get an ERROR without harm.
. "${top_srcdir:-.}/examples/test-lib.sh"
CACHE=$top_builddir/examples/cache/cache
sock=$sim_dir/cache.sock
log=$sim_dir/cache.out

# start_cache ARGS...: start the server in the background, wait until it serves.
start_cache() {
	: >"$log"
	"$CACHE" --name t --socket "$sock" "$@" >>"$log" 2>&1 &
	pid=$!
	wait_for "$log" 'serving on' "$pid"
	cat "$log"
}
ask() {
	"$CACHE" --client --socket "$sock" "$@"
}
expect_answer() {
	got=$(ask "$1") || true
	[ "$got" = "$2" ] || fail "'$1' answered '$got', not '$2'"
	echo "$1 -> $got"
}
# wait_exit: the server must exit 0 after handing over.
wait_exit() {
	wait "$pid" || { cat "$log"; fail "the cache exited $?"; }
	cat "$log"
	grep -q 'handed over; exiting' "$log" || fail "the cache did not hand over"
}

start_cache
grep -q 'new empty table' "$log" || fail "not a new table at the first start"
awk 'BEGIN { for (i = 1; i <= 2000; i++) printf "SET key%d value of key %d\n", i, i }' |
	ask >/dev/null || fail "SET of 2000 keys"
expect_answer "DEL key2000" "OK"
expect_answer "GET key2000" "NOT_FOUND"
count=$(ask COUNT) || fail COUNT
echo "before: $count"
case $count in "COUNT 1999 CHECKSUM "*) ;; *) fail "COUNT answered '$count'" ;; esac

# Hostile lines: answered with ERROR, the connection or the server unharmed.
long=$(awk 'BEGIN { while (n++ < 600) printf "x" }')
expect_answer "$long" "ERROR line too long"
expect_answer "SET" "ERROR unknown command or wrong arguments: SET KEY VALUE, GET KEY, DEL KEY, COUNT, UPDATE, QUIT"
expect_answer "GET a b" "ERROR unknown command or wrong arguments: SET KEY VALUE, GET KEY, DEL KEY, COUNT, UPDATE, QUIT"
expect_answer "SET $(awk 'BEGIN { while (n++ < 64) printf "k" }') v" "ERROR key over 63 or value over 187 bytes"
[ "$(ask COUNT)" = "$count" ] || fail "the table changed after bad commands"

expect_answer UPDATE "OK updating"
wait_exit

start_cache
grep -q 'table taken back' "$log" || fail "the table did not come back after UPDATE"
[ "$(ask COUNT)" = "$count" ] || fail "after UPDATE: $(ask COUNT), before: $count"
expect_answer "GET key1234" "VALUE value of key 1234"
kill -USR1 "$pid"
wait_exit

start_cache --kexec /proc/self/exe
[ "$(ask COUNT)" = "$count" ] || fail "after SIGUSR1: $(ask COUNT), before: $count"
expect_answer UPDATE "OK updating"
wait_for "$log" 'simulated kexec done' "$pid"
wait_for "$log" 'serving on' "$pid"
[ "$(ask COUNT)" = "$count" ] || fail "after the simulated kexec: $(ask COUNT), before: $count"
expect_answer "GET key1" "VALUE value of key 1"
kill "$pid"
wait "$pid" || fail "the cache exited $? on SIGTERM"
cat "$log"
echo "PASS: 1999 keys, $count, through 3 simulated live updates"
