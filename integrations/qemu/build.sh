#!/bin/bash
# build.sh: build a qemu-system-x86_64 with memory-backend-liveupdate from
# Debian's QEMU source and the patch series next to this script, against
# this tree's libliveupdate, and cache the binary.
#
#   integrations/qemu/build.sh --builddir DIR [--out FILE]
#
# --builddir is libliveupdate's build directory (configured and built); its
# library is installed (make install DESTDIR=...) into the cache for QEMU's
# pkg-config. The binary is cached in
#   ${XDG_CACHE_HOME:-~/.cache}/libliveupdate/qemu/<version>-<key>/
# where <key> hashes the patches, the configure flags and the library's
# ABI (its header and version script): a change to any of them builds
# again, incrementally, in one source and build tree per QEMU version. Prints (and writes to --out) shell assignments:
#   LU_QEMU         the binary
#   LU_QEMU_VERSION Debian's version of the source
#   LU_QEMU_DATA    -L directories for the firmware (Debian's seabios and
#                   qemu-system-data: the +ds source ships no firmware)
#
# The source comes from Debian's archive through a private apt state (the
# machine's apt configuration is neither read nor changed): trixie's
# qemu 10.0.x, else sid's 10.2.x; meson >= 1.5 from bookworm-backports,
# unpacked, when the system's is older.
#
# Environment: LU_QEMU_DEBVER=VERSION picks a source version;
# LU_QEMU_OFFLINE=1 uses what was fetched before; LUTEST_APT_TIMEOUT as in
# tests/vm/fetch-kernel.sh.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
ARCHIVE=http://deb.debian.org/debian
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/libliveupdate/qemu
APTDIR=$CACHE/apt
APT_TIMEOUT=${LUTEST_APT_TIMEOUT:-600}
MESON_MIN=1.5.0
# A minimal x86-64 system emulator: KVM and TCG, no UI, no extras; no
# debug information (-g costs about a quarter of the compile time).
CONFIGURE_FLAGS=(--target-list=x86_64-softmmu --without-default-features
	--enable-kvm --enable-tcg --enable-liveupdate --disable-install-blobs
	--disable-docs --disable-debug-info --python=/usr/bin/python3)

log() { echo "qemu-build: $*" >&2; }
die() { echo "qemu-build: error: $*" >&2; exit 1; }

BUILDDIR= OUT=
while [ $# -gt 0 ]; do
	case $1 in
	--builddir) BUILDDIR=$(cd "$2" && pwd); shift 2 ;;
	--out) OUT=$2; shift 2 ;;
	*) die "unknown argument $1 (usage: build.sh --builddir DIR [--out FILE])" ;;
	esac
done
[ -n "$BUILDDIR" ] || die "--builddir DIR (libliveupdate's build directory) is required"
[ -e "$BUILDDIR/lib/libliveupdate.la" ] ||
	die "$BUILDDIR/lib/libliveupdate.la missing: build libliveupdate first (make)"
for tool in apt-get apt-cache dpkg dpkg-source git ninja pkg-config sha256sum flock /usr/bin/time; do
	command -v "$tool" >/dev/null || die "$tool not found (run .ci/setup --deps)"
done

mkdir -p "$CACHE"
exec 9>"$CACHE/build.lock"
timeout 3600 flock 9 || die "timed out waiting for $CACHE/build.lock"

# ---- private apt state: QEMU's source, meson ----
# shellcheck source=../../tests/vm/private-apt.sh
. "$TOP/tests/vm/private-apt.sh"
mkdir -p "$CACHE/dl"
cat >"$APTDIR/sources.list.d/libliveupdate-qemu.sources" <<EOF
Types: deb-src
URIs: $ARCHIVE
Suites: trixie sid
Components: main
Signed-By: $KEYRING

Types: deb
URIs: $ARCHIVE
Suites: bookworm-backports
Components: main
Signed-By: $KEYRING
EOF

if [ "${LU_QEMU_OFFLINE:-0}" != 1 ]; then
	[ -r "$KEYRING" ] || die "$KEYRING missing (apt-get install debian-archive-keyring)"
	log "updating private package lists"
	apt_get update >"$APTDIR/update.log" 2>&1 ||
		{ cat "$APTDIR/update.log" >&2; die "apt-get update failed"; }
fi

# The newest offered source version matching a glob ('' when none).
newest_src() {
	apt_cache showsrc qemu 2>/dev/null | sed -n 's/^Version: //p' |
		while read -r v; do case $v in $1) echo "$v" ;; esac; done |
		sort -V | tail -n 1
}
DEBVER=${LU_QEMU_DEBVER:-$(newest_src '1:10.0.*')}
[ -n "$DEBVER" ] || DEBVER=$(newest_src '1:10.2.*')
[ -n "$DEBVER" ] || die "neither qemu 10.0.x nor 10.2.x is offered by trixie or sid"
UPVER=${DEBVER#*:}
UPVER=${UPVER%%+*}
VERDIR=$CACHE/$(printf '%s' "${DEBVER#*:}" | tr ':~' '_-')
log "QEMU source: qemu $DEBVER"

# ---- the cache key ----
abi_hash=$(cat "$TOP/include/liveupdate/liveupdate.h" "$TOP/libliveupdate.map" |
	sha256sum | cut -c1-16)
series_hash=$(while read -r p; do
		case $p in ''|'#'*) continue ;; esac
		cat "$HERE/$p"
	done <"$HERE/series" | sha256sum | cut -c1-16)
key=$(echo "$DEBVER ${CONFIGURE_FLAGS[*]} $abi_hash $series_hash" | sha256sum | cut -c1-12)
DEST=$VERDIR-$key
emit() {
	local env
	env="LU_QEMU='$DEST/qemu-system-x86_64'
LU_QEMU_VERSION='$DEBVER'
LU_QEMU_DATA='-L /usr/share/seabios -L /usr/share/qemu'"
	echo "$env"
	[ -z "$OUT" ] || echo "$env" >"$OUT"
}
if [ -x "$DEST/qemu-system-x86_64" ]; then
	log "cached: $DEST/qemu-system-x86_64"
	emit
	exit 0
fi
t_start=$SECONDS

# ---- meson ----
meson_ok() { [ -n "$1" ] && dpkg --compare-versions "$1" ge "$MESON_MIN"; }
MESON_PY=
if ! meson_ok "$(meson --version 2>/dev/null || true)"; then
	mdir=$CACHE/meson
	if [ ! -e "$mdir/.extracted" ]; then
		mver=$(apt_cache madison meson | awk -F'|' '$3 ~ /bookworm-backports/ {gsub(/ /,"",$2); print $2}' | head -n 1)
		meson_ok "$mver" || die "meson >= $MESON_MIN not offered by bookworm-backports"
		rm -rf "$mdir" && mkdir -p "$mdir"
		(cd "$CACHE/dl" && rm -f meson_*.deb && apt_get download "meson=$mver" >&2) ||
			die "apt-get download meson=$mver failed"
		dpkg -x "$CACHE"/dl/meson_*.deb "$mdir"
		touch "$mdir/.extracted"
	fi
	MESON_PY=$mdir/usr/lib/python3/dist-packages
fi

# ---- the source: one git tree per version, patched in place ----
# Files the series does not touch keep their times, so that a change of
# the series rebuilds only what it changes.
SRC=$VERDIR/src
if [ ! -e "$SRC/.git" ]; then
	rm -rf "$SRC" "$VERDIR/src.tmp"
	mkdir -p "$VERDIR/dl"
	(cd "$VERDIR/dl" && apt_get source --download-only "qemu=$DEBVER" >&2) ||
		die "apt-get source qemu=$DEBVER failed"
	log "unpacking"
	dpkg-source --no-check -x "$VERDIR"/dl/qemu_*.dsc "$VERDIR/src.tmp" >&2
	git -C "$VERDIR/src.tmp" init -q
	git -C "$VERDIR/src.tmp" add -A -f
	git -C "$VERDIR/src.tmp" -c user.name=build.sh -c user.email=build.sh@localhost \
		commit -q -m "Debian qemu $DEBVER"
	git -C "$VERDIR/src.tmp" tag base
	mv "$VERDIR/src.tmp" "$SRC"
	rm -rf "$VERDIR/dl" "$VERDIR"/qemu_*
fi
if [ "$(cat "$SRC/.git/lu-series" 2>/dev/null)" != "$series_hash" ]; then
	rm -f "$SRC/.git/lu-series"
	# Files the previous series changed and the new one leaves as they
	# were get their old times back.
	saved=$(mktemp -d)
	git -C "$SRC" ls-files -m -o --exclude-standard >"$saved/list"
	while read -r f; do
		mkdir -p "$saved/t/$(dirname "$f")" && cp -p "$SRC/$f" "$saved/t/$f"
	done <"$saved/list"
	git -C "$SRC" reset -q --hard refs/tags/base
	git -C "$SRC" clean -q -fdx
	while read -r p; do
		case $p in ''|'#'*) continue ;; esac
		git -C "$SRC" apply --whitespace=nowarn "$HERE/$p" ||
			die "patch $p does not apply to qemu $DEBVER"
	done <"$HERE/series"
	while read -r f; do
		cmp -s "$saved/t/$f" "$SRC/$f" 2>/dev/null && touch -r "$saved/t/$f" "$SRC/$f"
	done <"$saved/list"
	rm -rf "$saved"
	echo "$series_hash" >"$SRC/.git/lu-series"
fi

# ---- libliveupdate, installed where QEMU's pkg-config finds it ----
LIBINST=$VERDIR/libliveupdate
rm -rf "$LIBINST.tmp"
make -s -C "$BUILDDIR" install DESTDIR="$LIBINST.tmp" >&2 || die "make install of libliveupdate failed"
pc=$(find "$LIBINST.tmp" -name liveupdate.pc | head -n 1)
[ -n "$pc" ] || die "make install wrote no liveupdate.pc"
prefix=$(sed -n 's/^prefix=//p' "$pc")
rm -rf "$LIBINST"
mv "$LIBINST.tmp" "$LIBINST"
pc=$LIBINST${pc#"$LIBINST.tmp"}
sed -i "s|^prefix=.*|prefix=$LIBINST$prefix|" "$pc"
export PKG_CONFIG_PATH=$(dirname "$pc")

# ---- configure (when the flags change) and build ----
BLD=$VERDIR/build
export PYTHONPATH=${MESON_PY}${PYTHONPATH:+:$PYTHONPATH}
flags="${CONFIGURE_FLAGS[*]} pc=$PKG_CONFIG_PATH"
if [ ! -e "$BLD/build.ninja" ] || [ "$(cat "$BLD/.lu-flags" 2>/dev/null)" != "$flags" ]; then
	rm -rf "$BLD" && mkdir -p "$BLD"
	log "configuring: ${CONFIGURE_FLAGS[*]}"
	(cd "$BLD" && "$SRC/configure" "${CONFIGURE_FLAGS[@]}") >"$VERDIR/configure.log" 2>&1 ||
		{ tail -n 40 "$VERDIR/configure.log" >&2; die "configure failed (log: $VERDIR/configure.log)"; }
	grep -E '^ +libliveupdate +: YES' "$VERDIR/configure.log" >&2 ||
		die "configure did not find libliveupdate"
	echo "$flags" >"$BLD/.lu-flags"
fi
log "building qemu-system-x86_64 (ninja -j2, log: $VERDIR/build.log)"
# The CPU time says what the build costs on a machine shared with others.
/usr/bin/time -f '%U s user, %S s system' -o "$VERDIR/build.time" \
	nice -n 10 ninja -C "$BLD" -j2 qemu-system-x86_64 >"$VERDIR/build.log" 2>&1 ||
	{ grep -E ' error|FAILED' "$VERDIR/build.log" | head -n 40 >&2; die "build failed (log: $VERDIR/build.log)"; }

rm -rf "$DEST.tmp" && mkdir -p "$DEST.tmp"
cp "$BLD/qemu-system-x86_64" "$DEST.tmp/"
echo "built in $((SECONDS - t_start)) s wall ($(cat "$VERDIR/build.time") for ninja)" \
	"from qemu $DEBVER" >"$DEST.tmp/build-info"
rm -rf "$DEST" && mv "$DEST.tmp" "$DEST"
log "built in $((SECONDS - t_start)) s: $DEST/qemu-system-x86_64"
emit
