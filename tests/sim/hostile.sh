#!/bin/sh
# Hostile clients against a private daemon (tests/sim/hostile.c): it must
# survive all of them and end with the fds it started with.
. "${top_srcdir:-.}/tests/sim/sim-test-lib.sh"

sim_start
"$top_builddir/tests/sim/hostile" "${LU_HOSTILE_SEED:-0x5eed}" || fail "hostile clients"
[ "$(sim_daemon_pid)" = "$sim_pid" ] || fail "the daemon is gone"
