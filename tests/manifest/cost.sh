#!/bin/sh
# The session manifest's cost against the raw requests, on a private
# liveupdate-sim (tests/manifest/bench.c). As a test: creating a session
# and preserving by token (the default path) must each cost at most 1.10
# times the raw request, a labelled preserve 1.25 times, fastest call
# against fastest (a minimum the machine's load cannot lower). With --bench (make bench-manifest): the
# full benchmark at 1,000 and 8,000 sessions, medians and spreads.
. "${top_srcdir:-.}/tests/sim/sim-test-lib.sh"
sim_start
if [ "${1:-}" = --bench ]; then
	shift
	"$top_builddir/tests/manifest/bench" "$@" || fail "bench"
else
	"$top_builddir/tests/manifest/bench" --judge "$@" ||
		fail "the manifest costs more than its bound over the raw requests"
fi
