# Sourced by the QEMU tests (tests/qemu/*.sh): a private liveupdate-sim
# (examples/test-lib.sh), the QEMU built by integrations/qemu/build.sh
# (make check-qemu writes tests/qemu/out/qemu.env), the boot-sector guest
# (guest.S), and helpers to start QEMUs on it and read what it printed.
# Set ACCEL=tcg or kvm before sourcing, and BACKING=shmem (the default)
# or thp for the guest RAM of memory-backend-liveupdate ($ram below).
. "${top_srcdir:-.}/examples/test-lib.sh"

# Every QEMU and holder a test starts (track_pid) is killed at exit, before
# the simulator goes, also when the test fails or is interrupted midway.
test_pids=
track_pid() { test_pids="$test_pids $1"; }
qemu_cleanup() {
	for p in $test_pids; do
		# a launcher's QEMU first: it would outlive its parent
		pkill -9 -P "$p" 2>/dev/null
		kill -9 "$p" 2>/dev/null
	done
	sim_cleanup
}
trap qemu_cleanup EXIT

# skip_or_fail REASON: a skip, or a failure under CI=true.
skip_or_fail() {
	[ "${CI:-}" = true ] && fail "$1 (CI=true: a skip is a failure)"
	echo "SKIP: $1"
	exit 77
}

# The QEMU to run: the patched one (the default), or QEMU_BIN.
if [ -z "${QEMU_BIN:-}" ]; then
	env_file=$top_builddir/tests/qemu/out/qemu.env
	[ -r "$env_file" ] || skip_or_fail "no $env_file: run make check-qemu (it builds QEMU first)"
	. "$env_file"
	QEMU_BIN=$LU_QEMU QEMU_DATA=$LU_QEMU_DATA
fi
[ -x "$QEMU_BIN" ] || skip_or_fail "$QEMU_BIN is not built or installed"
QMP="python3 $top_srcdir/tests/qemu/qmp.py"
# The tree's library, not an installed one.
LD_LIBRARY_PATH=$top_builddir/lib/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export LD_LIBRARY_PATH

case ${ACCEL:-tcg} in
tcg) accel_args="-accel tcg" ;;
kvm)
	[ -c /dev/kvm ] && [ -r /dev/kvm ] && [ -w /dev/kvm ] ||
		skip_or_fail "/dev/kvm is missing or not read-write"
	# The default CPU model never reaches the boot sector on these hosts,
	# and QEMU aborts setting MSR 0x10a (IA32_ARCH_CAPABILITIES) when the
	# host's hypervisor does not offer it: leave that one out.
	accel_args="-accel kvm -cpu host,arch-capabilities=off" ;;
*) fail "ACCEL=$ACCEL: tcg or kvm" ;;
esac

# The guest: a boot sector on a 1 MiB raw disk, or with GUEST=linux the
# test kernel (make check-vm's, tests/qemu/out/kernel.env) and an
# initramfs whose /init (linux-guest.c) does the same.
guest_img=$sim_dir/guest.img
as --32 -o "$sim_dir/guest.o" "$top_srcdir/tests/qemu/guest.S" &&
	ld -m elf_i386 -Ttext 0x7c00 --oformat binary -o "$guest_img" "$sim_dir/guest.o" &&
	truncate -s 1M "$guest_img" || fail "cannot build the boot-sector guest"
if [ "${GUEST:-}" = linux ]; then
	kernel_env=$top_builddir/tests/qemu/out/kernel.env
	[ -r "$kernel_env" ] || skip_or_fail "no $kernel_env: make check-qemu builds the test kernel first"
	. "$kernel_env"
	[ -r "$LUTEST_BZIMAGE" ] || skip_or_fail "no test kernel at $LUTEST_BZIMAGE"
	mkdir -p "$sim_dir/initrd/dev"
	${CC:-cc} -static -O2 -o "$sim_dir/initrd/init" "$top_srcdir/tests/qemu/linux-guest.c" ||
		fail "cannot build the Linux guest's /init"
	(cd "$sim_dir/initrd" && find . | cpio -o -H newc -R 0:0 --quiet) >"$sim_dir/initrd.cpio" ||
		fail "cannot build the Linux guest's initramfs"
	guest_args="-kernel $LUTEST_BZIMAGE -initrd $sim_dir/initrd.cpio -append console=ttyS0"
else
	guest_args="-drive file=$guest_img,format=raw,if=ide"
fi

RAM_SIZE=256M
RAM_BYTES=268435456
session=qemu-test-$$

# THP for shmem needs the host's shmem THP policy, or else a tmpfs mounted
# huge=always at the path the library looks at (/run/liveupdate/huge): a
# private one, in a mount namespace of each QEMU (QEMU_WRAP), so that the
# host and the tests running beside this one see no change.
QEMU_WRAP=
case ${BACKING:=shmem} in
shmem) ;;
thp)
	case $(cat /sys/kernel/mm/transparent_hugepage/shmem_enabled 2>/dev/null) in
	*"[always]"*|*"[within_size]"*|*"[advise]"*|*"[force]"*) ;;
	*)
		command -v unshare >/dev/null || skip_or_fail "unshare (util-linux) is missing"
		cat >"$sim_dir/huge-ns.sh" <<'NS'
mount -t tmpfs -o mode=0755 lu-test-run /run &&
	mkdir -p /run/liveupdate/huge &&
	mount -t tmpfs -o huge=always,size=320M,mode=0700 liveupdate-huge /run/liveupdate/huge ||
	{ echo "huge-ns.sh: cannot mount a huge tmpfs in the test's mount namespace" >&2; exit 1; }
exec "$@"
NS
		unshare --mount --propagation private true 2>/dev/null ||
			skip_or_fail "no private mount namespace here (unshare --mount): no huge tmpfs for THP"
		QEMU_WRAP="unshare --mount --propagation private sh $sim_dir/huge-ns.sh" ;;
	esac ;;
*) fail "BACKING=$BACKING: shmem or thp" ;;
esac
ram="memory-backend-liveupdate,id=ram0,size=$RAM_SIZE,session=$session,backing=$BACKING"

# qemu_start NAME RAM-OBJECT-OPTIONS [QEMU ARGS...]: start a QEMU whose
# RAM is the object ram0 (-object ...,id=ram0,<options>), serial output in
# $sim_dir/NAME.serial, QMP at $sim_dir/NAME.qmp, its log in NAME.log.
# With empty options, $LAUNCHER (a command prefix) provides the RAM.
qemu_start() {
	qs_name=$1
	if [ -n "$2" ]; then
		qs_ram=$2
		shift 2
		set -- -machine memory-backend=ram0 -object "$qs_ram" "$@"
	else
		shift 2
	fi
	rm -f "$sim_dir/$qs_name.serial" "$sim_dir/$qs_name.qmp"
	# shellcheck disable=SC2086
	$QEMU_WRAP ${LAUNCHER:-} "$QEMU_BIN" ${QEMU_DATA:-} $accel_args -nodefaults -display none \
		-machine pc -m $RAM_SIZE \
		$guest_args \
		-serial file:"$sim_dir/$qs_name.serial" \
		-qmp unix:"$sim_dir/$qs_name.qmp",server=on,wait=off \
		"$@" >"$sim_dir/$qs_name.log" 2>&1 &
	qemu_pid=$!
	track_pid "$qemu_pid"
	echo "--- $qs_name: pid $qemu_pid: ${LAUNCHER:-} $QEMU_BIN $*"
}

# qemu_wait PID: wait up to 20 s for a QEMU (or launcher) started here to
# end; its exit status in $qemu_status.
qemu_wait() {
	n=0
	while kill -0 "$1" 2>/dev/null && [ $n -lt 200 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	kill -0 "$1" 2>/dev/null && { kill -9 "$1"; fail "process $1 did not end"; }
	wait "$1"
	qemu_status=$?
}

# qmp NAME ARGS...: tests/qemu/qmp.py on NAME's socket.
qmp() {
	qmp_name=$1
	shift
	$QMP "$sim_dir/$qmp_name.qmp" "$@" || { show_log "$qmp_name"; fail "qmp $qmp_name $*"; }
}

show_log() {
	echo "--- $1.log:"
	cat "$sim_dir/$1.log"
}

# expect_log NAME PATTERN: NAME's log has a line matching PATTERN.
expect_log() {
	grep -q -- "$2" "$sim_dir/$1.log" || { show_log "$1"; fail "$1: no line '$2' in its log"; }
	echo "$1: $(grep -- "$2" "$sim_dir/$1.log" | head -n 1)"
}

# wait_lines NAME N: until the guest printed N lines on NAME's serial port.
wait_lines() {
	n=0
	while [ "$(cat "$sim_dir/$1.serial" 2>/dev/null | grep -c '^L=')" -lt "$2" ]; do
		n=$((n + 1))
		[ $n -lt 900 ] || { show_log "$1"; fail "$1: the guest printed fewer than $2 lines in 90 s"; }
		sleep 0.1
	done
}

# The line numbers (decimal) the guest printed, first and last.
first_line() { printf '%d\n' "0x$(sed -n 's/^L=\([0-9a-f]*\) .*/\1/p' "$sim_dir/$1.serial" | head -n 1)"; }
last_line() { printf '%d\n' "0x$(sed -n 's/^L=\([0-9a-f]*\) .*/\1/p' "$sim_dir/$1.serial" | tail -n 1)"; }

# check_serial NAME: every line OK and consecutive, and the first and the
# last line's region sum the one its line number implies (computed here,
# independently of the guest).
check_serial() {
	python3 - "$sim_dir/$1.serial" <<'PY' || fail "$1: the guest's output is broken"
import re, sys
def region_sum(n):
    steps = 64 * n
    return sum((k * 40503) & 0xffff
               for k in (steps - ((steps - p) % 32768) for p in range(32768))
               if k >= 1) & 0xffffffff
prev = last = None
for line in open(sys.argv[1], errors="replace"):
    # A line cut short when QEMU was stopped or quit is not the guest's fault.
    if not line.startswith("L=") or not line.endswith("\n"):
        continue
    line = line.strip()
    m = re.fullmatch(r"L=([0-9a-f]{8}) S=([0-9a-f]{8}) (OK|BAD)", line)
    if not m:
        sys.exit("malformed line: %r" % line)
    n, s = int(m.group(1), 16), int(m.group(2), 16)
    if m.group(3) != "OK":
        sys.exit("the guest found its region changed: %r" % line)
    if prev is not None and n != prev + 1:
        sys.exit("line %d follows line %d" % (n, prev))
    if (prev is None and s != region_sum(n)):
        sys.exit("line %d: region sum %08x, expected %08x" % (n, s, region_sum(n)))
    prev, last = n, s
if prev is None:
    sys.exit("no line at all")
if last != region_sum(prev):
    sys.exit("line %d: region sum %08x, expected %08x" % (prev, last, region_sum(prev)))
PY
}

# check_went_on OLD NEW: what the guest printed in OLD and then in NEW is
# one output, as if nothing had happened (a line cut by the pause ends in
# NEW): every line, no gap, no repeat, no boot in NEW, and the sums right.
check_went_on() {
	grep -q BOOT "$sim_dir/$2.serial" && fail "the guest booted again in $2"
	cat "$sim_dir/$1.serial" "$sim_dir/$2.serial" >"$sim_dir/$1+$2.serial"
	check_serial "$1+$2"
	echo "the guest went on: lines $(first_line "$1") to $(last_line "$1") in $1," \
		"$(first_line "$2") to $(last_line "$2") in $2, RAM sums right"
}

# ram_inode PID: the device and inode of the file QEMU maps as guest RAM:
# the regular file of its size (a session received holds other memfds,
# its manifest's too; a file of a huge tmpfs has no memfd name).
ram_inode() {
	for f in /proc/"$1"/fd/*; do
		set -- "$1" $(stat -L -c '%s %d:%i %F' "$f" 2>/dev/null)
		[ "$2" = "$RAM_BYTES" ] && [ "$4 $5" = "regular file" ] && { echo "$3"; return; }
	done
}
# expect_backing NAME PID new|kept: NAME's log says the RAM is new or kept
# with the backing asked for ($BACKING); with thp, the guest RAM is mapped
# in huge pages (ShmemPmdMapped), so the THP came back, not 4 KiB pages.
expect_backing() {
	expect_log "$1" "ram0': $3 $RAM_BYTES bytes, backing $BACKING,"
	[ "$BACKING" = thp ] || return 0
	eb_kb=$(sed -n 's/^ShmemPmdMapped: *\([0-9]*\) kB/\1/p' /proc/"$2"/smaps_rollup)
	[ "${eb_kb:-0}" -gt 0 ] || fail "$1: no guest RAM mapped in huge pages (ShmemPmdMapped ${eb_kb:-?} kB)"
	echo "$1: $eb_kb kB of guest RAM mapped in huge pages"
}

# handover_to NAME PATH: qom-set ram0's handover-to on NAME; the error's
# last line on failure.
handover_to() {
	ht_out=$($QMP "$sim_dir/$1.qmp" cmd qom-set \
		"{\"path\": \"/objects/ram0\", \"property\": \"handover-to\", \"value\": \"$2\"}" 2>&1)
	ht_status=$?
	echo "$ht_out" | tail -n 1
	return $ht_status
}

# lines NAME: how many lines the guest printed on NAME's serial port.
lines() { grep -c '^L=' "$sim_dir/$1.serial"; }

# The steps every upgrade test shares. start_old [RAM-OPTIONS]: the old
# QEMU ($old_pid) on new memory ($ram plus RAM-OPTIONS), its guest running,
# the RAM file in $old_inode.
start_old() {
	qemu_start old "$ram${1:-}"
	old_pid=$qemu_pid
	wait_lines old 10
	expect_backing old "$old_pid" new
	old_inode=$(ram_inode "$old_pid")
	[ -n "$old_inode" ] || fail "no guest RAM file among the old QEMU's fds"
}

# save_old: the old QEMU's device state into its session: written (no
# RAM: under 1 MiB) and preserved, the guest stopped.
save_old() {
	so_out=$($QMP "$sim_dir/old.qmp" save ram0 2>&1) || { echo "$so_out"; show_log old; fail "qmp old save ram0"; }
	echo "old: $so_out"
	so_bytes=$(echo "$so_out" | sed -n 's/^saved: \([0-9]*\) bytes.*/\1/p')
	[ -n "$so_bytes" ] && [ "$so_bytes" -gt 0 ] || fail "no device state written"
	[ "$so_bytes" -lt 1048576 ] || fail "$so_bytes bytes of state for $RAM_SIZE of RAM: RAM was copied"
	expect_log old "device state preserved"
}

# quit_qemu NAME PID: quit over QMP, exit status 0.
quit_qemu() {
	qmp "$1" cmd quit >/dev/null
	qemu_wait "$2"
	[ "$qemu_status" = 0 ] || fail "the $1 QEMU exited $qemu_status after quit"
}

# resume_new [running]: the new QEMU ($new_pid, started with -incoming
# defer) loads the kept state, maps the old QEMU's RAM file "kept" with the
# same backing, and its guest goes on; then (unless "running") it quits and
# the guest's output of both QEMUs is checked as one.
resume_new() {
	rn_out=$($QMP "$sim_dir/new.qmp" restore ram0 2>&1) || { echo "$rn_out"; show_log new; fail "qmp new restore ram0"; }
	echo "new: $rn_out"
	expect_backing new "$new_pid" kept
	expect_log new "device state kept"
	[ "$(ram_inode "$new_pid")" = "$old_inode" ] ||
		fail "the new QEMU maps file $(ram_inode "$new_pid"), not the old $old_inode"
	echo "new: maps the same file as the old QEMU ($old_inode)"
	wait_lines new 10
	[ "${1:-}" = running ] && return
	quit_qemu new "$new_pid"
	check_went_on old new
}
