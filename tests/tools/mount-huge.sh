#!/bin/sh
# liveupdate-ctl mount-huge in a private mount namespace (unshare -m, root):
# it mounts a huge=always tmpfs, refuses a second mount there and bad
# options; then liveupdate_memory_new() with AUTO, on a host whose shmem
# THP policy is "never" (a root directory saying so, its proc the real
# one), takes THP from that tmpfs. The probe asks a private liveupdate-sim.
. "${top_srcdir:-.}/tests/sim/sim-test-lib.sh"
CTL=$top_builddir/tools/liveupdate-ctl
AUTO=$top_builddir/tests/tools/memory-auto
[ "$(id -u)" = 0 ] || skip "needs root (mount(2) in a private mount namespace)"
command -v unshare >/dev/null || skip "unshare(1) not found (util-linux)"
unshare -m true 2>/dev/null || skip "unshare -m refused: no CAP_SYS_ADMIN here"
[ -e /sys/kernel/mm/transparent_hugepage/hpage_pmd_size ] ||
	skip "this kernel has no transparent huge pages"

out=$sim_dir/out
# usage errors exit 2 and touch nothing
for bad in "--size 12x" "--size 0" "--mode 0800" "--mode rw"; do
	# shellcheck disable=SC2086
	"$CTL" mount-huge $bad "$sim_dir/never" >"$out" 2>&1; rc=$?
	[ "$rc" = 2 ] || { cat "$out"; fail "mount-huge $bad: exit $rc, expected 2"; }
done
[ ! -e "$sim_dir/never" ] || fail "a refused mount-huge created its directory"
"$CTL" mount-huge relative/path >"$out" 2>&1; rc=$?
[ "$rc" = 2 ] || fail "mount-huge with a relative path: exit $rc, expected 2"
"$CTL" status --size 1M >"$out" 2>&1; rc=$?
[ "$rc" = 2 ] || fail "status --size: exit $rc, expected 2"

host=$(sim_host_thp_never)

sim_start
dir=$sim_dir/run/liveupdate/huge
LIBLIVEUPDATE_BACKEND=sim unshare -m sh -c '
	set -e
	"$1" mount-huge --size 64M --mode 0750 "$2"
	grep -q " $2 .* - tmpfs liveupdate-huge .*huge=always" /proc/self/mountinfo
	grep -q " $2 .*size=65536k,mode=750" /proc/self/mountinfo
	if "$1" mount-huge "$2" 2>"$4/again"; then exit 10; else echo "again: exit $?"; fi
	"$3" "$2" "$4/host"
' sh "$CTL" "$dir" "$AUTO" "$sim_dir" >"$out" 2>&1 || { cat "$out"; fail "mount-huge in a private namespace"; }
cat "$out"
grep -q "^mounted liveupdate-huge on $dir: tmpfs, huge=always,mode=0750,size=64M" "$out" ||
	fail "mount-huge did not say what it mounted"
grep -q "^again: exit 1" "$out" || fail "a second mount-huge at the same place did not exit 1"
grep -q "already a mount point: liveupdate-huge (type tmpfs) is mounted there" "$sim_dir/again" ||
	{ cat "$sim_dir/again"; fail "the refusal does not say what is mounted"; }
grep -q "^thp $(cat /sys/kernel/mm/transparent_hugepage/hpage_pmd_size) $dir/" "$out" ||
	fail "AUTO did not take THP from the huge tmpfs"
grep -q "$dir" "$out" || fail "the reason does not name the tmpfs"
# the namespace is gone: nothing stays mounted on the host
grep -q " $dir " /proc/self/mountinfo && fail "the mount leaked out of the namespace"
echo "mount-huge: all checks passed"
