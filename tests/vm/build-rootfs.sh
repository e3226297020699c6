#!/bin/bash
# build-rootfs.sh: a Debian sid root file system with systemd as PID 1, for
# the real-systemd scenario (tests/vm/systemd/). Built once with mmdebstrap
# from Debian's archive (its own apt state inside the target: nothing in
# /etc/apt of this machine is read or changed) and cached as a tarball under
#   ${XDG_CACHE_HOME:-$HOME/.cache}/libliveupdate/rootfs/
# keyed by the suite, the variant and the package list (a change to any of
# them builds a new one; an old one is reused as long as the key matches).
#
# Output (stdout): the path of the cached tarball. Diagnostics on stderr.
# The archive this machine reaches may serve a frozen copy whose Release
# file is past its Valid-Until date (the host's own apt accepts that too),
# so the date is not checked; signatures still are.
#
# Exit status 77 when a host tool is missing (the caller turns it into a
# SKIP, or a failure under CI=true).
#
# Environment:
#   LUTEST_ROOTFS_SUITE=sid     the Debian suite
#   LUTEST_OFFLINE=1            never build; use the cached tarball or fail
#   LUTEST_ROOTFS_TIMEOUT=1200  seconds for mmdebstrap
set -euo pipefail

SUITE=${LUTEST_ROOTFS_SUITE:-sid}
VARIANT=minbase
# systemd-sysv: /sbin/init; udev: /dev/vda and friends get their device
# units, so systemd does not wait for devices it never hears about.
PACKAGES="systemd systemd-sysv udev"
ARCHIVE=http://deb.debian.org/debian
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/libliveupdate/rootfs

log() { echo "build-rootfs: $*" >&2; }
die() { echo "build-rootfs: error: $*" >&2; exit 1; }

key=$(printf '%s\n' "$SUITE" "$VARIANT" "$PACKAGES" "$ARCHIVE" | sha256sum | cut -c1-16)
tarball=$CACHE/$SUITE-$VARIANT-$key.tar
if [ -s "$tarball" ]; then
	log "cached: $tarball"
	echo "$tarball"
	exit 0
fi
[ "${LUTEST_OFFLINE:-0}" = 1 ] && die "LUTEST_OFFLINE=1 and no cached $tarball"

if ! command -v mmdebstrap >/dev/null; then
	log "mmdebstrap not found: install it with 'apt-get install mmdebstrap'"
	exit 77
fi
[ -r "$KEYRING" ] || { log "$KEYRING missing: apt-get install debian-archive-keyring"; exit 77; }
[ "$(id -u)" = 0 ] || { log "building the root file system needs root (mmdebstrap --mode=root)"; exit 77; }

mkdir -p "$CACHE"
exec 9>"$CACHE/build.lock"
timeout 1800 flock 9 || die "timed out waiting for $CACHE/build.lock"
if [ -s "$tarball" ]; then
	echo "$tarball"
	exit 0
fi

log "mmdebstrap $SUITE ($VARIANT + ${PACKAGES// /,}); a few minutes"
rm -f "$tarball.tmp"
t0=$(date +%s)
if ! timeout "${LUTEST_ROOTFS_TIMEOUT:-1200}" mmdebstrap --mode=root \
	--variant="$VARIANT" --include="${PACKAGES// /,}" \
	--keyring="$KEYRING" --format=tar \
	--aptopt='Acquire::Check-Valid-Until "false"' \
	--dpkgopt='path-exclude=/usr/share/doc/*' \
	--dpkgopt='path-exclude=/usr/share/man/*' \
	--dpkgopt='path-exclude=/usr/share/locale/*' \
	"$SUITE" "$tarball.tmp" "$ARCHIVE" >"$CACHE/build.log" 2>&1; then
	tail -n 30 "$CACHE/build.log" >&2
	rm -f "$tarball.tmp"
	die "mmdebstrap failed (log: $CACHE/build.log)"
fi
mv "$tarball.tmp" "$tarball"
log "built $tarball in $(($(date +%s) - t0)) s ($(du -h "$tarball" | cut -f1))"
echo "$tarball"
