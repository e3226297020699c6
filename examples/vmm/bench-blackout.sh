#!/bin/bash
# make bench-blackout: the guest's blackout in a VMM takeover against
# today's exit and restart, both through liveupdate-sim, for a 4 GiB KVM
# guest (examples/vmm) in two backings: AUTO, which takes THP from a huge
# tmpfs (mounted, as root, in a private mount namespace at the path AUTO
# looks at, /run/liveupdate/huge: nothing changes on the host), and SHMEM
# (4 KiB pages). One guest per backing goes through BENCH_ROUNDS updates
# of each kind, alternating which kind comes first in each pair; each
# resumed VMM prints its blackout (pause to resume, CLOCK_MONOTONIC) and
# its parts. Prints median, IQR, min and max of each side.
# A benchmark, not a test: nothing fails on a time.
#
#   examples/vmm/bench-blackout.sh [--builddir DIR]
#   BENCH_RAM_MB=4096 BENCH_ROUNDS=20 (each kind, per backing)
set -u
builddir=.
if [ "${1:-}" = --builddir ]; then
	builddir=$2
	shift 2
fi
builddir=$(cd "$builddir" && pwd) || exit 2
VMM=$builddir/examples/vmm/vmm
SIM=$builddir/sim/liveupdate-sim
RAM_MB=${BENCH_RAM_MB:-4096}
ROUNDS=${BENCH_ROUNDS:-20}

die() { echo "bench-blackout: $*" >&2; exit 1; }

# --- inside: one backing's series (the script runs itself for each) -------
series() { # BACKING WORK: one guest, ROUNDS takeovers and ROUNDS restarts
	local backing=$1 work=$2 cur=0 pid n kind new
	local s=$work/vmm.sock
	local -a args=(--name bench --ram-mb "$RAM_MB" --backing "$backing" --rate 1000
		--print-ms 3600000 --no-ram-hash --listen "$s")
	pids=
	trap 'for p in $pids; do kill $p 2>/dev/null; done' EXIT
	trap 'exit 1' INT TERM
	# wait_for FILE TEXT PID: until FILE has TEXT (120 s: a cold 4 GiB boot)
	wait_for() {
		local i=0
		until grep -qs -- "$2" "$1"; do
			i=$((i + 1))
			[ $i -lt 2400 ] && kill -0 "$3" 2>/dev/null ||
				{ cat "$1" >&2; die "no '$2' in $1"; }
			sleep 0.05
		done
	}
	"$VMM" "${args[@]}" >"$work/0.out" 2>&1 &
	pid=$!
	pids="$pids $pid"
	wait_for "$work/0.out" 'listening for a successor' $pid
	grep '^vmm: memory "guest-ram"' "$work/0.out" | cut -c1-160
	for n in $(seq 1 $((2 * ROUNDS))); do
		# pairs (takeover, restart), (restart, takeover), ...
		if [ $(((n - 1) / 2 % 2)) = $(((n - 1) % 2)) ]; then kind=takeover; else kind=restart; fi
		sleep 0.2	# the guest runs between updates
		if [ $kind = takeover ]; then
			"$VMM" "${args[@]}" --take-over "$s" >"$work/$n.out" 2>&1 &
			new=$!
			pids="$pids $new"
			wait "$pid" || die "vmm $cur exited $? at a takeover: $(cat "$work/$cur.out")"
		else
			kill -USR1 "$pid"
			wait "$pid" || die "vmm $cur exited $? at a restart: $(cat "$work/$cur.out")"
			"$VMM" "${args[@]}" >"$work/$n.out" 2>&1 &
			new=$!
			pids="$pids $new"
		fi
		wait_for "$work/$n.out" '^vmm: blackout' $new
		grep -q 'no gap, no repeat' "$work/$n.out" || die "continuity: $(cat "$work/$n.out")"
		echo "$kind $(grep '^vmm: blackout' "$work/$n.out")" >>"$work/results"
		pid=$new cur=$n
	done
	kill "$pid"
	wait "$pid"
	[ $? = 0 ] || die "the last VMM exited $?: $(cat "$work/$cur.out")"
}

if [ "${1:-}" = --series ]; then	# BACKING WORK [huge]: in the namespace
	shift
	if [ "${3:-}" = huge ]; then
		mount -t tmpfs -o mode=0755 bench-run /run &&
			mkdir -p /run/liveupdate/huge &&
			mount -t tmpfs -o huge=always,mode=0700,size=$((RAM_MB + 256))m \
				bench-huge /run/liveupdate/huge || die "cannot mount a huge tmpfs"
	fi
	series "$1" "$2"
	exit
fi

# --- outside: checks, the simulator, both series, the table ---------------
[ $# = 0 ] || die "usage: $0 [--builddir DIR]"
[ -x "$VMM" ] || die "examples/vmm/vmm is not built (x86-64 only)"
[ -c /dev/kvm ] && [ -r /dev/kvm ] && [ -w /dev/kvm ] || die "/dev/kvm is not usable here"
avail=$(awk '/^MemAvailable:/ { print int($2 / 1024) }' /proc/meminfo)
[ "$avail" -gt $((RAM_MB + 1024)) ] ||
	die "$RAM_MB MiB of guest RAM asked for, $avail MiB available: set BENCH_RAM_MB lower"
work=$(mktemp -d "${TMPDIR:-/tmp}/bench-blackout.XXXXXX") || exit 2
LIBLIVEUPDATE_SIM_SOCKET=$work/sim.sock
export LIBLIVEUPDATE_SIM_SOCKET LIBLIVEUPDATE_BACKEND=sim
child=
cleanup() {
	[ -n "$child" ] && kill "$child" 2>/dev/null && wait "$child" 2>/dev/null
	"$SIM" stop >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
"$SIM" start --log "$work/sim.log" >/dev/null || die "liveupdate-sim did not start"

echo "bench-blackout: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)), Linux $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "a ${RAM_MB} MiB guest, $ROUNDS takeovers and $ROUNDS exits and restarts per backing, alternating, on liveupdate-sim"
for b in auto shmem; do
	mkdir "$work/$b"
	if [ $b = auto ] && [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then
		echo "--- backing auto (a huge tmpfs at /run/liveupdate/huge, in a private mount namespace)"
		unshare -m --propagation private bash "$0" --builddir "$builddir" --series auto \
			"$work/$b" huge &
	else
		[ $b = auto ] && echo "--- backing auto (not root: no huge tmpfs, AUTO takes what this host gives)"
		[ $b = shmem ] && echo "--- backing shmem (4 KiB pages)"
		bash "$0" --builddir "$builddir" --series $b "$work/$b" &
	fi
	child=$!
	wait $child || die "the $b series failed"
	child=
done

# The table: blackout (pause to resume) and the median of each part.
# quantiles: median, p25, p75, min, max of the numbers on stdin
quantiles() {
	sort -g | awk '{ v[NR] = $1 }
		function q(f) { return v[int(f * (NR - 1) + 0.5) + 1] }
		END { printf "%.3f %.3f %.3f %.3f %.3f", q(0.5), q(0.25), q(0.75), v[1], v[NR] }'
}
echo
printf '%-7s %-9s %3s %8s %17s %8s %8s   %s\n' backing update n median IQR min max \
	'medians of the parts: pause + state + handover + restore + resume'
for b in auto shmem; do
	for kind in takeover restart; do
		# KIND vmm: blackout T ms (...) = pause P + state S + handover H (...) + restore R + resume U ms
		sed -n "s/^$kind vmm: blackout \([0-9.]*\) ms .* = pause \([0-9.]*\) + state \([0-9.]*\) + handover \([0-9.]*\) (.*) + restore \([0-9.]*\) + resume \([0-9.]*\) ms$/\1 \2 \3 \4 \5 \6/p" \
			"$work/$b/results" >"$work/$b/$kind"
		f=$work/$b/$kind
		set -- $(cut -d' ' -f1 "$f" | quantiles)
		printf '%-7s %-9s %3d %8.3f %8.3f..%-8.3f %8.3f %8.3f   ' $b $kind "$(wc -l <"$f")" \
			"$1" "$2" "$3" "$4" "$5"
		for col in 2 3 4 5 6; do
			printf '%s%s' "$(cut -d' ' -f$col "$f" | quantiles | cut -d' ' -f1)" \
				"$([ $col = 6 ] && echo ' ms' || echo ' + ')"
		done
		echo
	done
done
echo "(milliseconds, CLOCK_MONOTONIC on one host for both kinds; IQR: 25th..75th percentile)"
