#!/bin/sh
# The kernel selftests' stress figures (2000 sessions, 500 memfds in one
# session) against liveupdate-sim through the library, then twice as many,
# across a simulated kexec with every byte checked; the time per operation
# at both sizes side by side. Flat costs give ratios near 1; the kernel's
# own session-name check is linear, so its create ratio grows with count.
. "${top_srcdir:-.}/tests/sim/sim-test-lib.sh"

# quiet daemon: this measures, it does not debug
"$SIM" start --log "$sim_dir/daemon.log" >/dev/null || fail "liveupdate-sim start"
sim_pid=$(sim_daemon_pid)
fds0=$(sim_fds)

# 4000 sessions need 4000 fds in this process and in the daemon (a quarter
# of whose fds go to clients): halve the sizes where the fd limit is low.
s=2000 f=500
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt 18000 ]; then
	s=$((hard / 9)) f=$((hard / 36))
	echo "RLIMIT_NOFILE hard limit $hard: $s sessions and $f files instead of 2000 and 500"
fi
one=$("$top_builddir/tests/sim/scale" $s $f) || fail "scale $s $f"
two=$("$top_builddir/tests/sim/scale" $((2 * s)) $((2 * f))) || fail "scale $((2 * s)) $((2 * f))"
echo "$one" "$two" | awk '{
	printf "liveupdate-sim, us per operation   %8s %8s   ratio\n", $1 "/" $2, $7 "/" $8
	split("preserve-memfd create-session retrieve-memfd retrieve+finish-session", name, " ")
	for (i = 1; i <= 4; i++)
		printf "  %-32s %8.1f %8.1f   %5.2f\n", name[i], $(2 + i), $(8 + i),
			($(2 + i) > 0 ? $(8 + i) / $(2 + i) : 0)
}'
sim_expect_fds "$fds0"
