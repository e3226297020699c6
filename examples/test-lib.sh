# Sourced by the examples' tests (examples/*/test-*.sh): a private
# liveupdate-sim (tests/sim/sim-test-lib.sh), started, with the library
# pointed at it, and wait_for.
. "${top_srcdir:-.}/tests/sim/sim-test-lib.sh"
sim_start
LIBLIVEUPDATE_BACKEND=sim
export LIBLIVEUPDATE_BACKEND

# wait_for FILE PATTERN PID: until a line of FILE matches PATTERN; fail
# (showing FILE) if PID exits or 10 s pass first.
wait_for() {
	n=0
	until grep -q -- "$2" "$1"; do
		n=$((n + 1))
		if [ $n -ge 100 ] || ! kill -0 "$3" 2>/dev/null; then
			cat "$1"
			fail "no line '$2' in $1 within 10 s"
		fi
		sleep 0.1
	done
}
