#!/bin/bash
# run-vm.sh: build the guest's static /init with the scenarios of tests/vm/,
# pack the initramfs, boot the live-update kernel under qemu (always under
# `timeout`), and keep the serial console log for tests/vm/vm-result.sh.
#
# Usage: run-vm.sh [--srcdir TOP_SRCDIR] [--builddir TOP_BUILDDIR] [--out DIR]
#
# Writes into DIR (default tests/vm/out):
#   vm-status      one line: "BOOTED ...", "SKIP <why>" or "ERROR <why>"
#   vm-serial.log  the guest's serial console (every stage, every kernel)
#   vm-serial-times.log  the same lines, each prefixed with the host's clock
#                  (seconds since the epoch) when it arrived
#   vm-host.log    results produced on the host (uapi-check, unbuilt scenarios)
#   vm-build.log   compiler output for the guest program
#   initrd.cpio, init, qemu-cmd.sh   to re-run the same VM by hand
# It exits 0 whenever it could record a status; the .vmt tests judge.
#
# Environment:
#   CC                    compiler for the static guest program (default cc)
#   LUTEST_BZIMAGE        use this kernel instead of fetching/building one
#   LUTEST_ONLY=a,b       run only these scenarios in the guest
#   LUTEST_VM_TIMEOUT     seconds for the whole VM run (default 420)
#   LUTEST_VM_MEM         guest memory (default 3500M: lib-blackout preserves 1 GiB
#                         of THP beside qemu-kexec's QEMU and its 256 MiB)
#   LUTEST_APPEND         extra kernel command line words
#   LUTEST_LIB_LIBS       libraries libliveupdate.a needs (default: libnl, libfdt)
#   LUTEST_QEMU_ENV       what integrations/qemu/build.sh --out wrote, for
#                         scenario qemu-kexec (default DIR/qemu.env)
#   and those of fetch-kernel.sh and build-kernel.sh.
set -uo pipefail

vm_name=run-vm vm_out=tests/vm/out vm_help=2,29
# shellcheck source=vm-common.sh
. "$(dirname "$0")/vm-common.sh"
VM_TIMEOUT=${LUTEST_VM_TIMEOUT:-420}

# --- what the host needs --------------------------------------------------
for tool in cpio timeout awk; do
	command -v "$tool" >/dev/null || finish "SKIP $tool not found: install it with 'apt-get install $tool'"
done
if ! echo 'int main(void){return 0;}' | $CC -static -x c - -o "$out/.static-probe" 2>/dev/null; then
	rm -f "$out/.static-probe"
	finish "SKIP $CC cannot link static programs: install libc6-dev"
fi
rm -f "$out/.static-probe"

# --- kernel -----------------------------------------------------------------
if [ -n "${LUTEST_BZIMAGE:-}" ]; then
	BZIMAGE=$LUTEST_BZIMAGE
	env_lines=$("$here/fetch-kernel.sh" 2>>"$out/vm-build.log") || env_lines=""
	eval "$env_lines"
else
	t0=$(date +%s.%N)
	if ! env_lines=$("$here/build-kernel.sh" 2> >(tee -a "$out/vm-build.log" >&2)); then
		if grep -q "missing for the kernel build" "$out/vm-build.log"; then
			finish "SKIP $(grep -o 'missing for the kernel build.*' "$out/vm-build.log" | tail -n1)"
		fi
		finish "ERROR could not fetch or build the kernel; see $out/vm-build.log"
	fi
	eval "$env_lines"
	BZIMAGE=$LUTEST_BZIMAGE
	log "kernel ready in $(elapsed "$t0") s: $BZIMAGE"
fi
[ -r "$BZIMAGE" ] || finish "ERROR kernel image $BZIMAGE not readable"

# --- uapi-check: the kernel's uAPI in include/uapi/ is the test kernel's ---
uapi_inc=${LUTEST_LIBC_DEV_INCLUDE:-}
if [ ! -r "$srcdir/tests/uapi-check.sh" ]; then
	host_result "LUTEST uapi-check SKIP host: tests/uapi-check.sh does not exist"
elif [ -z "$uapi_inc" ]; then
	host_result "LUTEST uapi-check FAIL host: no downloaded linux-libc-dev (fetch-kernel.sh failed)"
else
	uout=$(top_srcdir=$srcdir top_builddir=$builddir CC=$CC LIVEUPDATE_UAPI_INCLUDE=$uapi_inc \
		timeout 120 sh "$srcdir/tests/uapi-check.sh" 2>&1)
	urc=$?
	while IFS= read -r l; do host_result "LUTEST-LOG uapi-check host: $l"; done <<<"$uout"
	case $urc in
	0) host_result "LUTEST uapi-check PASS host: include/uapi/linux/liveupdate.h is linux-libc-dev $LUTEST_LIBC_DEV_DEBVER's" ;;
	77) host_result "LUTEST uapi-check SKIP host: tests/uapi-check.sh skipped" ;;
	*) host_result "LUTEST uapi-check FAIL host: tests/uapi-check.sh exited $urc against linux-libc-dev $LUTEST_LIBC_DEV_DEBVER" ;;
	esac
fi

# --- the guest program ------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/lutest-vm.XXXXXX") || finish "ERROR mktemp failed"
trap 'rm -rf "$work"' EXIT


sources=("$here/init.c" "$here/lutest.c" "$here/cpio.c")
# raw-ioctl scenarios, and the conformance cases shared with liveupdate-sim
# (their own compilation unit, as in make check)
# and the scenarios that drive the patched QEMU (sc-qemu-*.c, with their
# QMP client)
for f in "$here"/sc-raw-*.c "$here"/sc-conformance.c "$srcdir/tests/conformance/conformance.c" \
	"$here"/sc-qemu-*.c "$here/qemu-qmp.c"; do
	[ -e "$f" ] && sources+=("$f")
done

lib_a=""
for cand in "$builddir/lib/.libs/libliveupdate.a"; do
	[ -r "$cand" ] && lib_a=$cand && break
done
lib_sources=()
for f in "$here"/sc-lib-*.c; do
	[ -e "$f" ] && lib_sources+=("$f")
done
# sc-example-*.c run the examples' cores (examples/*/, without their main())
for f in "$here"/sc-example-*.c; do
	[ -e "$f" ] && lib_sources+=("$f")
done
if [ ${#lib_sources[@]} -gt 0 ]; then
	for f in common/preserved-memory.c common/update.c common/unix-socket.c \
		cache/cache-store.c cache/cache-command.c cache/cache-handover.c agent/agent-proto.c \
		agent/agent-core.c agent/agent-client.c; do
		[ -e "$srcdir/examples/$f" ] && lib_sources+=("$srcdir/examples/$f")
	done
fi
if [ ${#lib_sources[@]} -gt 0 ]; then
	if [ -n "$lib_a" ] && [ -r "$srcdir/include/liveupdate/liveupdate.h" ]; then
		sources+=("${lib_sources[@]}")
	else
		for f in "${lib_sources[@]}"; do
			case $f in "$here"/sc-*) ;; *) continue ;; esac
			n=$(basename "$f" .c); n=${n#sc-}
			host_result "LUTEST $n FAIL host: not built into the guest: lib/.libs/libliveupdate.a missing (configure with static libraries enabled, then make)"
		done
		host_result "LUTEST lib-kexec FAIL host: not built into the guest: lib/.libs/libliveupdate.a missing"
	fi
fi

cflags=(-static -O2 -g -Wall -Wextra -std=gnu11 -pthread -fmacro-prefix-map="$here/"= -I"$here" -I"$srcdir/include/uapi")
libs=()
if [ ${#lib_sources[@]} -gt 0 ] && [ -n "$lib_a" ] && [ -r "$srcdir/include/liveupdate/liveupdate.h" ]; then
	cflags+=(-I"$srcdir/include" -DLUTEST_WITH_LIB)
	# the static library's own dependencies (libnl, libfdt, zlib): from make check-vm
	# shellcheck disable=SC2206
	libs+=("$lib_a" ${LUTEST_LIB_LIBS:--lnl-route-3 -lnl-3 -lfdt})
fi
log "compiling the guest /init (${#sources[@]} source files)"
if ! timeout 300 $CC "${cflags[@]}" -o "$out/init" "${sources[@]}" "${libs[@]}" >>"$out/vm-build.log" 2>&1; then
	cat "$out/vm-build.log" >&2
	finish "ERROR the guest program did not compile; see $out/vm-build.log"
fi

# --- initramfs: payload.cpio, then an archive holding payload.cpio ----------
mkdir -p "$work/payload/dev" "$work/payload/proc" "$work/payload/sys" "$work/wrap"
cp "$out/init" "$work/payload/init"
# liveupdate-ctl, static, for the scenarios that run it (lib-state)
if [ ${#libs[@]} -gt 0 ] && [ -r "$srcdir/tools/liveupdate-ctl.c" ]; then
	log "compiling the guest /liveupdate-ctl"
	# shellcheck disable=SC2206
	# (the guest has the kernel: no simulator client, as in installcheck)
	if ! timeout 300 $CC -static -O2 -std=gnu11 -pthread -I"$srcdir/include" -I"$srcdir/util" -DCTL_NO_SIM \
		-o "$work/payload/liveupdate-ctl" "$srcdir"/tools/*.c "${libs[@]}" \
		>>"$out/vm-build.log" 2>&1; then
		cat "$out/vm-build.log" >&2
		finish "ERROR the guest's liveupdate-ctl did not compile; see $out/vm-build.log"
	fi
fi
# ram-keeper, the Rust example, static, for scenario example-rust (which
# skips, saying why, when the host has no Rust toolchain)
if [ -r "$srcdir/bindings/rust/build-static.sh" ]; then
	log "building the guest /ram-keeper (Rust)"
	sh "$srcdir/bindings/rust/build-static.sh" "$srcdir" "$builddir" \
		"$work/payload/ram-keeper" >>"$out/vm-build.log" 2>&1
	case $? in
	0) ;;
	2) log "no Rust toolchain: scenario example-rust will skip" ;;
	*)
		tail -n 30 "$out/vm-build.log" >&2
		finish "ERROR the guest's ram-keeper did not build; see $out/vm-build.log"
		;;
	esac
fi
# the patched QEMU, its libraries and firmware, for scenario qemu-kexec
# (make check-vm has integrations/qemu/build.sh write LUTEST_QEMU_ENV)
case ",${LUTEST_ONLY:-qemu-kexec}," in
*,qemu-kexec,*)
	if why=$(sh "$here/qemu-payload.sh" "$work/payload" "${LUTEST_QEMU_ENV:-$out/qemu.env}" \
		"$builddir" "$srcdir" 2>&1); then
		host_result "LUTEST-LOG qemu-kexec host: $why"
		log "the patched QEMU is in the guest's /qemu ($(du -sh "$work/payload/qemu" | cut -f1))"
	elif [ "${CI:-}" = true ]; then
		host_result "LUTEST qemu-kexec FAIL host: $why (CI=true: a skip is a failure)"
	else
		host_result "LUTEST qemu-kexec SKIP host: $why"
	fi
	;;
esac
cp "$BZIMAGE" "$work/payload/bzImage"
(cd "$work/payload" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) \
	>"$work/wrap/payload.cpio" || finish "ERROR cpio failed"
(cd "$work/wrap" && echo payload.cpio | cpio -o -H newc -R 0:0 --quiet) >"$work/wrap.cpio" ||
	finish "ERROR cpio failed"
cat "$work/wrap/payload.cpio" "$work/wrap.cpio" >"$out/initrd.cpio"

# --- boot ---------------------------------------------------------------------
cmdline="console=ttyS0 liveupdate=on panic=-1 loglevel=4 lutest.stage=1"
[ -n "${LUTEST_ONLY:-}" ] && cmdline="$cmdline lutest.only=$LUTEST_ONLY"
[ -n "${LUTEST_APPEND:-}" ] && cmdline="$cmdline $LUTEST_APPEND"
qemu_cmd=("$QEMU" -accel tcg -m "${LUTEST_VM_MEM:-3500M}" -smp 2 -no-reboot -nographic -nodefaults
	-chardev "stdio,id=console,signal=off,logfile=$out/vm-serial.log" -serial chardev:console
	-append "$cmdline"
	-kernel "$BZIMAGE" -initrd "$out/initrd.cpio")
log "booting linux ${LUTEST_KERNEL_DEBVER:-?} under qemu (timeout $VM_TIMEOUT s)"
# the console goes to vm-serial.log as it is, and through stamp_lines to
# vm-serial-times.log: the host's clock spans the kexecs (lib-blackout.check)
boot_qemu "re-run the last check-vm VM by hand" "$out/vm-serial-times.log"

stages=$(grep -ac '^LUTEST-STAGE-DONE' "$out/vm-serial.log")
vm_outcome
log "VM $what: $stages stage(s) in $vm_secs s; total $(elapsed "$t_start") s; serial log: $out/vm-serial.log"
finish "BOOTED $what; qemu status $qrc; $stages stage(s); vm ${vm_secs} s; total $(elapsed "$t_start") s; kernel ${LUTEST_KERNEL_DEBVER:-$BZIMAGE}"
