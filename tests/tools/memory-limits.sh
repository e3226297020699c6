#!/bin/sh
# Memory a host cannot give is refused with -ENOMEM and a reason, never a
# crash: populating and preserving a sparse memfd in a memory cgroup of
# 256 MiB (v2, or v1's memory controller), and AUTO/THP memory larger than
# a 16 MiB huge tmpfs (liveupdate-ctl mount-huge, private mount namespace).
# Nothing here faults in more than the cgroup's 256 MiB, fixed or not.
. "${top_srcdir:-.}/tests/sim/sim-test-lib.sh"
CTL=$top_builddir/tools/liveupdate-ctl
PROG=$top_builddir/tests/tools/memory-limits
[ "$(id -u)" = 0 ] || skip "needs root (a memory cgroup, mount(2))"
LIMIT=$((256 << 20))

# A memory cgroup of its own: v2 under the root, else v1 under ours.
cg=
if grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
	grep -qw memory /sys/fs/cgroup/cgroup.subtree_control ||
		echo +memory >/sys/fs/cgroup/cgroup.subtree_control ||
		skip "cannot enable the memory controller for child cgroups"
	cg=/sys/fs/cgroup/lutest-memlimits-$$
	mkdir "$cg" || skip "cannot create $cg"
	echo "$LIMIT" >"$cg/memory.max"
	[ -e "$cg/memory.swap.max" ] && echo 0 >"$cg/memory.swap.max"
elif [ -d /sys/fs/cgroup/memory ]; then
	self=$(sed -n 's/^[0-9]*:memory:\(.*\)$/\1/p' /proc/self/cgroup)
	cg=/sys/fs/cgroup/memory${self%/}/lutest-memlimits-$$
	mkdir "$cg" || skip "cannot create $cg"
	echo "$LIMIT" >"$cg/memory.limit_in_bytes"
	[ -e "$cg/memory.memsw.limit_in_bytes" ] &&
		echo "$LIMIT" >"$cg/memory.memsw.limit_in_bytes"
else
	skip "no memory cgroup controller (neither cgroup v2 nor v1)"
fi
cleanup_cg() { rmdir "$cg" 2>/dev/null; sim_cleanup; }
trap cleanup_cg EXIT

in_cgroup() {
	sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$cg" "$@"
}

sim_start
export LIBLIVEUPDATE_BACKEND=sim
out=$sim_dir/out
expect_ok() {
	rc=0
	"$@" >"$out" 2>&1 || rc=$?
	cat "$out"
	[ "$rc" = 0 ] || fail "$* (exit $rc; over 128: killed by signal $((rc - 128)))"
}

echo "== memory cgroup $cg, limit 256 MiB"
expect_ok in_cgroup "$PROG" populate 1024 shmem
grep -q "memory cgroup" "$out" || fail "the refusal does not name the memory cgroup"
expect_ok in_cgroup "$PROG" populate 71680 auto
expect_ok in_cgroup "$PROG" sparse 1024
expect_ok in_cgroup "$PROG" fits 64

echo "== a 16 MiB huge tmpfs"
[ -e /sys/kernel/mm/transparent_hugepage/hpage_pmd_size ] ||
	skip "this kernel has no transparent huge pages"
command -v unshare >/dev/null || skip "unshare(1) not found (util-linux)"
unshare -m true 2>/dev/null || skip "unshare -m refused: no CAP_SYS_ADMIN here"
host=$(sim_host_thp_never)
dir=$sim_dir/huge
expect_ok unshare -m sh -c '
	"$1" mount-huge --size 16m "$2" || exit 3
	"$3" auto-tmpfs "$2" "$4" 64 || exit $?
	"$3" auto-tmpfs "$2" "$4" 64 populate || exit $?
	"$3" thp-tmpfs "$2" "$4" 64
' sh "$CTL" "$dir" "$PROG" "$host"
echo "PASS"
