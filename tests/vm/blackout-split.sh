#!/bin/sh
# blackout-split.sh SCENARIO SERIAL_LOG: the .check of the scenarios that
# carry a paused workload across real kexecs (lib-blackout, qemu-kexec).
# Prints the blackout of each of the two live updates, split into the part
# before the reboot and the part from retrieve to resume (the guest's
# CLOCK_MONOTONIC, from the scenario's lines
#   SPLIT <variant> before-reboot <part> <ms> ... total <ms> ms
#   SPLIT <variant> after-boot <part> <ms> ... total <ms> ms
# ) and the kexec with the new kernel's boot (the host's clock: the time
# between the harness's LUTEST-KEXEC line, printed just before the reboot,
# and the new kernel's LUTEST-STAGE-BEGIN line, as run-vm.sh stamped them
# in vm-serial-times.log). The scenario's "MARK <what> <variant>" lines
# (pause, ready, retrieve, resumed) cross-check the guest's clock with the
# host's, and "<variant>: <n> MiB of RAM" gives the size. Fails when a
# part is missing.
sc=$1 log=$2
times=$(dirname "$log")/vm-serial-times.log
[ -r "$times" ] || { echo "$sc.check: no $times (run-vm.sh stamps the console)"; exit 1; }
tr -d '\r' <"$times" | awk -v sc="$sc" '
function field(name,    i) { for (i = 1; i < NF; i++) if ($i == name) return $(i + 1); return "" }
# "a 1.0 + b 2.0" from the pairs after field 6 up to "total"
function parts(    i, s) {
	s = ""
	for (i = 7; i < NF && $i != "total"; i += 2) s = s (s == "" ? "" : " + ") $i " " $(i + 1)
	return s
}
{ t = $1 * 1000; sub(/^[^ ]* /, "") }
/^LUTEST-STAGE-BEGIN / { begin[$2] = t }
/^LUTEST-KEXEC / { kexec[$2] = t; load[$2] = $6 }
$1 == "LUTEST-LOG" && $2 == sc && $3 ~ /^s[0-9]+:$/ {
	stage = substr($3, 2) + 0
	if ($4 == "MARK") mark[$6, $5] = t
	if ($4 == "SPLIT" && $6 == "before-reboot") {
		v = $5; order[++n] = v; s_of[v] = stage
		before_parts[v] = parts(); before[v] = field("total")
	}
	if ($4 == "SPLIT" && $6 == "after-boot") {
		v = $5; after_parts[v] = parts(); after[v] = field("total")
	}
	if ($6 == "MiB" && $7 == "of" && $8 == "RAM") mib[substr($4, 1, length($4) - 1)] = $5
}
END {
	if (n != 2) { print sc ".check: want 2 live updates, found " n; exit 1 }
	for (i = 1; i <= n; i++) {
		v = order[i]; s = s_of[v]
		if (!((s in kexec) && ((s + 1) in begin) && (v in after) && ((v SUBSEP "pause") in mark) &&
		      ((v SUBSEP "resumed") in mark) && ((v SUBSEP "ready") in mark) &&
		      ((v SUBSEP "retrieve") in mark))) {
			print sc ".check: " v ": a mark or a SPLIT line is missing"; exit 1
		}
		boot = begin[s + 1] - kexec[s]
		total = before[v] + boot + after[v]
		span = mark[v, "resumed"] - mark[v, "pause"]
		printf "%s: %s RAM, %s MiB, live update %d -> %d, under TCG (an emulated CPU: " \
		       "every figure inflated, the boot most):\n", sc, v, mib[v], s, s + 1
		printf "  before the reboot  %9.1f ms  %s (guest CLOCK_MONOTONIC)\n", before[v],
		       before_parts[v]
		printf "  kexec + boot       %9.1f ms  LUTEST-KEXEC to the new kernel'"'"'s " \
		       "LUTEST-STAGE-BEGIN (host clock; with the files of every other scenario " \
		       "of the run in the same kexec)\n", boot
		printf "  retrieve to resume %9.1f ms  %s (guest CLOCK_MONOTONIC)\n", after[v],
		       after_parts[v]
		printf "  blackout           %9.1f ms  (TCG)\n", total
		printf "  host clock: pause->ready %.1f ms, retrieve->resumed %.1f ms (guest: %.1f, " \
		       "%.1f); pause->resumed %.1f ms, of which not counted: %.1f ms from ready " \
		       "to the reboot (the scenario'"'"'s checks, other scenarios, the next initrd, " \
		       "the kexec load of %s ms, which a VMM does before pausing) and %.1f ms " \
		       "from the new kernel'"'"'s first line to retrieve (other scenarios)\n",
		       mark[v, "ready"] - mark[v, "pause"], mark[v, "resumed"] - mark[v, "retrieve"],
		       before[v], after[v], span, kexec[s] - mark[v, "ready"], load[s],
		       mark[v, "retrieve"] - begin[s + 1]
	}
}'
