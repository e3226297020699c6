#!/bin/bash
# fetch-kernel.sh: obtain the source of a Linux kernel with the Live Update
# Orchestrator (>= 6.19) and the matching uAPI headers from Debian's archive,
# without touching the machine's apt configuration.
#
# Uses a private apt state (sources, lists, cache) under
#   ${XDG_CACHE_HOME:-$HOME/.cache}/libliveupdate/
# with the suites sid and trixie-backports of deb.debian.org, picks the newest
# linux-source-X.Y with X.Y >= 6.19 (newest Debian version of it), downloads
# it and linux-libc-dev (same Debian version when offered, else the newest
# >= 6.19), and extracts both with dpkg -x.
#
# Output (stdout): shell assignments, also written to $CACHE/kernel.env:
#   LUTEST_KERNEL_DEBVER   Debian version of linux-source (e.g. 7.3.4-1~bpo13+1)
#   LUTEST_KERNEL_SERIES   X.Y
#   LUTEST_KERNEL_TAR      path of the linux-source-X.Y.tar.xz
#   LUTEST_LIBC_DEV_DEBVER Debian version of linux-libc-dev
#   LUTEST_LIBC_DEV_INCLUDE  directory holding linux/liveupdate.h
# Diagnostics go to stderr.
#
# Environment:
#   LUTEST_KERNEL_SERIES=X.Y   use this series instead of the newest
#   LUTEST_OFFLINE=1           do not contact the archive; reuse kernel.env
#   LUTEST_APT_TIMEOUT=SECS    timeout for each apt-get call (default 600)
set -euo pipefail

MIN_SERIES=6.19
ARCHIVE=http://deb.debian.org/debian
SUITES="sid trixie-backports"
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/libliveupdate
APTDIR=$CACHE/apt
APT_TIMEOUT=${LUTEST_APT_TIMEOUT:-600}

log() { echo "fetch-kernel: $*" >&2; }
die() { echo "fetch-kernel: error: $*" >&2; exit 1; }

for tool in apt-get apt-cache dpkg dpkg-deb timeout; do
	command -v "$tool" >/dev/null || die "$tool not found (Debian-based host required)"
done

mkdir -p "$CACHE"
# One fetch at a time per cache (another run may be downloading the same).
exec 9>"$CACHE/fetch.lock"
timeout 1800 flock 9 || die "timed out waiting for $CACHE/fetch.lock"

emit_env() {
	# $CACHE/kernel.env is the record of the last successful fetch.
	cat "$CACHE/kernel.env"
}

env_usable() {
	[ -r "$CACHE/kernel.env" ] || return 1
	(
		# shellcheck disable=SC1091
		. "$CACHE/kernel.env"
		[ -r "$LUTEST_KERNEL_TAR" ] &&
			[ -r "$LUTEST_LIBC_DEV_INCLUDE/linux/liveupdate.h" ]
	)
}

if [ "${LUTEST_OFFLINE:-0}" = 1 ]; then
	env_usable || die "LUTEST_OFFLINE=1 but nothing usable in $CACHE/kernel.env"
	log "offline: reusing $CACHE/kernel.env"
	emit_env
	exit 0
fi

[ -r "$KEYRING" ] || die "$KEYRING missing (apt-get install debian-archive-keyring)"

# shellcheck source=private-apt.sh
. "$(dirname "$0")/private-apt.sh"
mkdir -p "$CACHE/debs"
cat >"$APTDIR/sources.list.d/libliveupdate-kernel.sources" <<EOF
Types: deb
URIs: $ARCHIVE
Suites: $SUITES
Components: main
Signed-By: $KEYRING
EOF

log "updating private package lists ($SUITES)"
if ! apt_get update >"$APTDIR/update.log" 2>&1; then
	cat "$APTDIR/update.log" >&2
	if env_usable; then
		log "warning: archive unreachable; reusing the previous fetch"
		emit_env
		exit 0
	fi
	die "apt-get update failed (see above)"
fi

# series_ge A B: is kernel series A (X.Y) >= B?
series_ge() { dpkg --compare-versions "$1" ge "$2"; }

# newest_version PKG [MIN]: newest version of PKG offered, optionally >= MIN.
newest_version() {
	local pkg=$1 min=${2:-} best="" v
	for v in $(apt_cache madison "$pkg" 2>/dev/null | awk -F'|' '{gsub(/ /,"",$2); print $2}'); do
		if [ -n "$min" ] && ! dpkg --compare-versions "$v" ge "$min"; then
			continue
		fi
		if [ -z "$best" ] || dpkg --compare-versions "$v" gt "$best"; then
			best=$v
		fi
	done
	echo "$best"
}

if [ -n "${LUTEST_KERNEL_SERIES:-}" ]; then
	SERIES=$LUTEST_KERNEL_SERIES
	series_ge "$SERIES" "$MIN_SERIES" || die "LUTEST_KERNEL_SERIES=$SERIES is older than $MIN_SERIES"
else
	SERIES=""
	for pkg in $(apt_cache pkgnames linux-source- | grep -E '^linux-source-[0-9]+\.[0-9]+$' || true); do
		s=${pkg#linux-source-}
		series_ge "$s" "$MIN_SERIES" || continue
		if [ -z "$SERIES" ] || dpkg --compare-versions "$s" gt "$SERIES"; then
			SERIES=$s
		fi
	done
	[ -n "$SERIES" ] || die "no linux-source-X.Y >= $MIN_SERIES offered by $SUITES"
fi

DEBVER=$(newest_version "linux-source-$SERIES")
[ -n "$DEBVER" ] || die "linux-source-$SERIES is not offered by $SUITES"
log "kernel: linux-source-$SERIES $DEBVER"

# linux-libc-dev: the kernel's own Debian version if offered, else newest >= MIN.
LIBC_VER=""
if apt_cache madison linux-libc-dev | awk -F'|' '{gsub(/ /,"",$2); print $2}' | grep -qxF "$DEBVER"; then
	LIBC_VER=$DEBVER
else
	LIBC_VER=$(newest_version linux-libc-dev "$MIN_SERIES~")
	[ -n "$LIBC_VER" ] || die "no linux-libc-dev >= $MIN_SERIES offered by $SUITES"
	log "warning: linux-libc-dev $DEBVER not offered; using $LIBC_VER"
fi
log "headers: linux-libc-dev $LIBC_VER"

# Debian versions contain ':' and '~'; keep directory names plain.
safe() { printf '%s' "$1" | tr ':~' '_-'; }

# fetch_extract PKG VERSION DESTDIR: download PKG=VERSION and dpkg -x it.
fetch_extract() {
	local pkg=$1 ver=$2 dest=$3 deb
	if [ -e "$dest/.extracted" ]; then
		log "$pkg $ver already extracted in $dest"
		return 0
	fi
	rm -rf "$dest" "$dest.tmp"
	local dl=$CACHE/debs/$(safe "$pkg-$ver")
	rm -rf "$dl"
	mkdir -p "$dl"
	log "downloading $pkg=$ver"
	(cd "$dl" && apt_get download "$pkg=$ver" >&2) || die "apt-get download $pkg=$ver failed"
	deb=$(ls "$dl"/*.deb 2>/dev/null | head -n1)
	[ -n "$deb" ] || die "apt-get download $pkg=$ver produced no .deb"
	log "extracting $(basename "$deb")"
	mkdir -p "$dest.tmp"
	dpkg -x "$deb" "$dest.tmp" || die "dpkg -x $deb failed"
	touch "$dest.tmp/.extracted"
	mv "$dest.tmp" "$dest"
	# The extracted tree holds everything the build needs.
	rm -rf "$dl"
}

SRC_PKG_DIR=$CACHE/pkg/linux-source-$(safe "$DEBVER")
LIBC_DIR=$CACHE/pkg/linux-libc-dev-$(safe "$LIBC_VER")
fetch_extract "linux-source-$SERIES" "$DEBVER" "$SRC_PKG_DIR"
fetch_extract linux-libc-dev "$LIBC_VER" "$LIBC_DIR"

TAR=$(ls "$SRC_PKG_DIR"/usr/src/linux-source-"$SERIES".tar.* 2>/dev/null | head -n1)
[ -n "$TAR" ] || die "no usr/src/linux-source-$SERIES.tar.* in $SRC_PKG_DIR"
INC=$LIBC_DIR/usr/include
[ -r "$INC/linux/liveupdate.h" ] || die "$INC/linux/liveupdate.h missing from linux-libc-dev $LIBC_VER"

cat >"$CACHE/kernel.env.tmp" <<EOF
LUTEST_KERNEL_DEBVER='$DEBVER'
LUTEST_KERNEL_SERIES='$SERIES'
LUTEST_KERNEL_TAR='$TAR'
LUTEST_LIBC_DEV_DEBVER='$LIBC_VER'
LUTEST_LIBC_DEV_INCLUDE='$INC'
EOF
mv "$CACHE/kernel.env.tmp" "$CACHE/kernel.env"
emit_env
