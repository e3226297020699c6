# Sourced by run-vm.sh and run-vm-systemd.sh: their common arguments
# (--srcdir, --builddir, --out), the output directory, timing and logging,
# the status line the .vmt tests read, and the qemu they need. Set before
# sourcing: vm_name (in messages), vm_out (the default --out) and
# vm_help (the lines of $0 that --help prints, as for sed -n).
srcdir=.
builddir=.
out=$vm_out
while [ $# -gt 0 ]; do
	case $1 in
	--srcdir) srcdir=$2; shift 2 ;;
	--builddir) builddir=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	-h|--help) sed -n "${vm_help}p" "$0"; exit 0 ;;
	*) echo "$vm_name.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done

mkdir -p "$out" || exit 2
out=$(cd "$out" && pwd)
srcdir=$(cd "$srcdir" && pwd)
builddir=$(cd "$builddir" && pwd)
here=$srcdir/tests/vm
CC=${CC:-cc}

rm -f "$out/vm-status" "$out/vm-serial.log" "$out/vm-serial-times.log" "$out/vm-host.log" \
	"$out/vm-build.log"
: >"$out/vm-host.log"

t_start=$(date +%s.%N)
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
log() { echo "$vm_name: $*" >&2; }
# Record the outcome for the .vmt tests and stop: the tests judge, not us.
finish() { echo "$*" >"$out/vm-status"; log "$*"; exit 0; }
host_result() { echo "$*" >>"$out/vm-host.log"; }

QEMU=${LUTEST_QEMU:-qemu-system-x86_64}
command -v "$QEMU" >/dev/null ||
	finish "SKIP $QEMU not found: install it with 'apt-get install qemu-system-x86'"

# Each line of stdin, prefixed with the host's clock (seconds since the
# epoch, microseconds) when its newline arrived: bash reads a pipe one byte
# at a time, so no line waits for a buffer to fill.
stamp_lines() {
	local line
	while IFS= read -r line || [ -n "$line" ]; do
		printf '%s %s\n' "$EPOCHREALTIME" "$line"
	done
}

# Boot the array qemu_cmd under timeout: first write $out/qemu-cmd.sh, which
# re-runs it by hand ($1 says what it is), then keep qemu's own output in
# vm-build.log; sets qrc (qemu's exit status) and vm_secs. With $2, qemu's
# standard output (the serial console, when qemu_cmd sends it to stdio) is
# written to the file $2 with stamp_lines.
boot_qemu() {
	local t0
	{
		echo "#!/bin/sh"
		echo "# $1"
		printf 'timeout --kill-after=10 %s' "$VM_TIMEOUT"
		printf ' %q' "${qemu_cmd[@]}"
		echo " </dev/null"
	} >"$out/qemu-cmd.sh"
	chmod +x "$out/qemu-cmd.sh"
	t0=$(date +%s.%N)
	if [ -n "${2:-}" ]; then
		timeout --kill-after=10 "$VM_TIMEOUT" "${qemu_cmd[@]}" </dev/null 2>"$work/qemu.out" |
			stamp_lines >"$2"
		qrc=${PIPESTATUS[0]}
	else
		timeout --kill-after=10 "$VM_TIMEOUT" "${qemu_cmd[@]}" </dev/null >"$work/qemu.out" 2>&1
		qrc=$?
	fi
	vm_secs=$(elapsed "$t0")
	[ -s "$work/qemu.out" ] && sed 's/^/qemu: /' "$work/qemu.out" >>"$out/vm-build.log"
	touch "$out/vm-serial.log"
}

# What became of the VM, from qrc and the guest's end marker: sets what.
vm_outcome() {
	if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
		what="timed out after $VM_TIMEOUT s"
	elif [ "$qrc" != 0 ]; then
		what="qemu exited with status $qrc"
	elif grep -aq 'LUTEST-END' "$out/vm-serial.log"; then
		what="completed"
	else
		what="ended before LUTEST-END (guest crash or kernel panic?)"
	fi
}
