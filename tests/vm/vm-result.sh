#!/bin/sh
# vm-result.sh: the Automake LOG_COMPILER of tests/vm/*.vmt.
#
# Usage: vm-result.sh --out DIR [--srcdir TOP_SRCDIR] tests/vm/NAME.vmt
#
# Reports scenario NAME from the last VM run recorded in DIR by run-vm.sh
# (vm-status, vm-host.log, vm-serial.log): prints that scenario's lines of
# guest output and exits 0 (PASS), 1 (FAIL), 77 (SKIP) or 99 (ERROR: the run
# itself broke). When the whole suite could not run (no qemu, ...) the test
# is skipped, except with CI=true, where a skipped real-kernel suite fails.
# A scenario that passed in the guest and has a tests/vm/NAME.check is then
# judged on the host too: NAME.check SERIAL_LOG must exit 0.
out=tests/vm/out
srcdir=${top_srcdir:-.}
while [ $# -gt 1 ]; do
	case $1 in
	--out) out=$2; shift 2 ;;
	--srcdir) srcdir=$2; shift 2 ;;
	*) break ;;
	esac
done
[ $# -eq 1 ] || { echo "usage: vm-result.sh [--out DIR] NAME.vmt" >&2; exit 99; }
name=$(basename "$1" .vmt)
status_file=$out/vm-status
serial=$out/vm-serial.log
host=$out/vm-host.log

suite_skipped() {
	echo "$name: SKIP: the real-kernel suite did not run: $*"
	if [ "${CI:-}" = true ]; then
		echo "$name: FAIL: CI=true, and in CI the real-kernel suite must run"
		exit 1
	fi
	exit 77
}

if [ ! -r "$status_file" ]; then
	suite_skipped "no VM run recorded in $out (run 'make check-vm')"
fi
status=$(cat "$status_file")
case $status in
SKIP*) suite_skipped "${status#SKIP }" ;;
ERROR*)
	echo "$name: ERROR: ${status#ERROR }"
	[ -r "$out/vm-build.log" ] && tail -n 30 "$out/vm-build.log"
	exit 99
	;;
esac

# This scenario's lines, from the host's results and the serial console
# (strip the console's carriage returns).
lines=$(cat "$host" "$serial" 2>/dev/null | tr -d '\r' |
	grep -aE "LUTEST(-LOG)? $name ")
echo "$name: VM run: $status"
echo "$name: serial console log: $serial"
if [ -n "$lines" ]; then
	echo "$lines"
fi

verdicts=$(printf '%s\n' "$lines" | grep -aF "LUTEST $name " |
	sed -n "s/.*LUTEST $name \(PASS\|FAIL\|SKIP\).*/\1/p")
host_check=$srcdir/tests/vm/$name.check
case $verdicts in
*FAIL*) exit 1 ;;
*PASS*)
	if [ -r "$host_check" ]; then
		top_srcdir=$srcdir sh "$host_check" "$serial" ||
			{ echo "$name: FAIL: $host_check rejected the guest's output"; exit 1; }
	fi
	exit 0
	;;
*SKIP*) exit 77 ;;
esac

# Left out on purpose (LUTEST_ONLY=a,b runs only those): not a failure.
case ",${LUTEST_ONLY:-$name}," in
*",$name,"*) ;;
*) echo "$name: SKIP: not selected by LUTEST_ONLY=$LUTEST_ONLY"; exit 77 ;;
esac
echo "$name: FAIL: no result for this scenario in the guest output"
if ! grep -aq "^LUTEST-SCENARIOS.* $name\( \|\$\)" "$serial" 2>/dev/null; then
	echo "$name: it is not among the scenarios the guest was built with:"
	grep -a '^LUTEST-SCENARIOS' "$serial" 2>/dev/null
fi
echo "$name: last lines of the serial console:"
tail -n 40 "$serial" 2>/dev/null | tr -d '\r'
exit 1
