#!/bin/bash
# run-vm-systemd.sh: the real-systemd scenario. Boots Debian sid's systemd
# as PID 1 on the live-update kernel (qemu, TCG, always under `timeout`),
# lets the test service put guest RAM and a session into systemd's fd
# store, has the operator unit load the next kernel and run `systemctl
# kexec`, and checks in the second boot that systemd handed both back.
#
# Usage: run-vm-systemd.sh [--srcdir TOP_SRCDIR] [--builddir TOP_BUILDDIR] [--out DIR]
#
# Writes into DIR (default tests/vm/out/systemd), like run-vm.sh:
#   vm-status      "BOOTED ...", "SKIP <why>" or "ERROR <why>"
#   vm-serial.log  the serial console of both boots (kernel, systemd, units)
#   vm-host.log    systemd's LUO lines picked from the console, as log lines
#   vm-build.log   rootfs, compiler and qemu output
#   qemu-cmd.sh    re-runs the same VM by hand (rootfs.img is kept)
# It exits 0 whenever it could record a status; tests/vm/vm-result.sh judges.
#
# Environment: CC, LUTEST_BZIMAGE, LUTEST_VM_MEM (default 1G),
# LUTEST_SYSTEMD_TIMEOUT (seconds for the VM, default 600), LUTEST_APPEND,
# LUTEST_SYSTEMD_LOG_LEVEL (systemd's, default debug: the restore side of
# LUO logs at debug level only),
# and those of build-rootfs.sh, fetch-kernel.sh and build-kernel.sh.
set -uo pipefail

vm_name=run-vm-systemd vm_out=tests/vm/out/systemd vm_help=2,21
# shellcheck source=vm-common.sh
. "$(dirname "$0")/vm-common.sh"
VM_TIMEOUT=${LUTEST_SYSTEMD_TIMEOUT:-600}

for tool in mkfs.ext4 tar timeout awk; do
	command -v "$tool" >/dev/null || finish "SKIP $tool not found"
done
lib_a=$builddir/lib/.libs/libliveupdate.a
[ -r "$lib_a" ] ||
	finish "ERROR $lib_a missing: configure with static libraries enabled, then make"

# --- kernel (the same cached build as run-vm.sh) ------------------------------
if [ -n "${LUTEST_BZIMAGE:-}" ]; then
	BZIMAGE=$LUTEST_BZIMAGE
else
	env_lines=$("$here/build-kernel.sh" 2>>"$out/vm-build.log") ||
		finish "ERROR could not fetch or build the kernel; see $out/vm-build.log"
	eval "$env_lines"
	BZIMAGE=$LUTEST_BZIMAGE
fi
[ -r "$BZIMAGE" ] || finish "ERROR kernel image $BZIMAGE not readable"

# --- root file system: Debian sid with systemd, cached ------------------------
t0=$(date +%s.%N)
tarball=$("$here/build-rootfs.sh" 2>>"$out/vm-build.log")
rc=$?
if [ $rc = 77 ]; then
	finish "SKIP $(grep '^build-rootfs:' "$out/vm-build.log" | tail -n1 | sed 's/^build-rootfs: //')"
elif [ $rc != 0 ]; then
	finish "ERROR could not build the Debian root file system; see $out/vm-build.log"
fi
rootfs_secs=$(elapsed "$t0")

work=$(mktemp -d "${TMPDIR:-/tmp}/lutest-sd.XXXXXX") || finish "ERROR mktemp failed"
trap 'rm -rf "$work"' EXIT

log "compiling lutest-sd"
if ! timeout 300 $CC -static -O2 -g -Wall -Wextra -std=gnu11 -pthread \
	-I"$srcdir/include" -o "$work/lutest-sd" "$here/systemd/lutest-sd.c" "$lib_a" \
	>>"$out/vm-build.log" 2>&1; then
	finish "ERROR lutest-sd did not compile; see $out/vm-build.log"
fi

# The image: the cached tree plus our units, made without mounting anything.
t0=$(date +%s.%N)
root=$work/root
mkdir -p "$root"
tar --numeric-owner -xf "$tarball" -C "$root" || finish "ERROR extracting $tarball failed"
install -m 0755 "$work/lutest-sd" "$here/systemd/lutest-report" "$root/usr/local/bin/"
install -m 0644 "$BZIMAGE" "$root/boot/vmlinuz"
mkdir -p "$root/etc/systemd/system/multi-user.target.wants" "$root/usr/local/bin" "$root/boot"
for u in lutest-fdstore lutest-luosession lutest-manifest lutest-limits lutest-nostore lutest-kexec lutest-report; do
	install -m 0644 "$here/systemd/$u.service" "$root/etc/systemd/system/"
	ln -sf "/etc/systemd/system/$u.service" "$root/etc/systemd/system/multi-user.target.wants/"
done
echo 0123456789abcdef0123456789abcdef >"$root/etc/machine-id"
echo lutest >"$root/etc/hostname"
ln -sf /usr/lib/systemd/system/multi-user.target "$root/etc/systemd/system/default.target"
# nothing waits at a login prompt
ln -sf /dev/null "$root/etc/systemd/system/serial-getty@ttyS0.service"
ln -sf /dev/null "$root/etc/systemd/system/getty@tty1.service"
# a persistent journal, so that the second boot can read the first's
mkdir -p "$root/var/log/journal"
rm -f "$out/rootfs.img"
if ! mkfs.ext4 -q -F -L lutest-root -d "$root" "$out/rootfs.img" 768M >>"$out/vm-build.log" 2>&1; then
	finish "ERROR mkfs.ext4 -d failed; see $out/vm-build.log"
fi
log "rootfs ready in $rootfs_secs s (cached tree) + $(elapsed "$t0") s (image)"

# --- boot -----------------------------------------------------------------------
cmdline="console=ttyS0 root=/dev/vda rw liveupdate=on panic=-1 loglevel=4"
# systemd's debug messages on the console: the restore side of LUO logs at
# debug level only
cmdline="$cmdline systemd.log_target=console systemd.log_color=0"
cmdline="$cmdline systemd.log_level=${LUTEST_SYSTEMD_LOG_LEVEL:-debug}"
cmdline="$cmdline systemd.show_status=1 lutest.stage=1"
[ -n "${LUTEST_APPEND:-}" ] && cmdline="$cmdline $LUTEST_APPEND"
qemu_cmd=("$QEMU" -accel tcg -m "${LUTEST_VM_MEM:-1G}" -smp 2 -no-reboot -nographic -nodefaults
	-serial "file:$out/vm-serial.log" -append "$cmdline" -kernel "$BZIMAGE"
	-drive "file=$out/rootfs.img,if=virtio,format=raw")
log "booting systemd on linux ${LUTEST_KERNEL_DEBVER:-?} (timeout $VM_TIMEOUT s)"
boot_qemu "re-run the last systemd VM by hand (the image keeps the first boot's changes)"

# systemd's own words about LUO and the services' fd stores, for the tests' logs
tr -d '\r' <"$out/vm-serial.log" |
	grep -a -E 'LUO|luo:|lutest-(fdstore|luosession|manifest|limits|nostore).service: (Added|Restored|Passing|Releasing|Got notification|Hit|Cannot store)|LUO session|Rebooting with kexec|systemctl kexec' |
	grep -avE 'LUTEST|^systemd-(journald|udevd).service: Added' | awk '{ sc = "systemd-fdstore" }
		/lutest-(limits|nostore)/ { sc = "systemd-limits" }
		/lutest-luosession|session .vmm./ { sc = "systemd-luosession" }
		/lutest-manifest|lutest-labels|labelled/ { sc = "systemd-manifest" }
		{ print "LUTEST-LOG " sc " console: " $0 }' >>"$out/vm-host.log"

vm_outcome
finish "BOOTED $what; qemu status $qrc; vm ${vm_secs} s; total $(elapsed "$t_start") s; kernel ${LUTEST_KERNEL_DEBVER:-$BZIMAGE}; rootfs $(basename "$tarball")"
