#!/bin/sh
# libliveupdate end to end on the simulator (LIBLIVEUPDATE_BACKEND=sim):
# tests/sim/test-sim-lib.c against a private daemon, under valgrind when
# it is installed (tests/valgrind.sh).
. "${top_srcdir:-.}/tests/sim/sim-test-lib.sh"

sim_start
fds0=$(sim_fds)
$SHELL "$top_srcdir/tests/valgrind.sh" "$top_builddir/tests/sim/test-sim-lib" ||
	fail "test-sim-lib"
sim_expect_fds "$fds0"
