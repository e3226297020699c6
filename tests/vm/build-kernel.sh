#!/bin/bash
# build-kernel.sh: build a small x86-64 bzImage with the Live Update
# Orchestrator, from the source fetched by fetch-kernel.sh and the config
# fragment tests/vm/kernel.config, and cache it.
#
# The .config is the fragment alone plus `make olddefconfig`; every line of
# the fragment must survive into the final .config or the build fails.
# The result is cached under
#   ${XDG_CACHE_HOME:-$HOME/.cache}/libliveupdate/bzImage/<debver>-<sha>/
# keyed by the kernel's Debian version and the fragment's sha256, so only the
# first run pays for the build. Source and objects live in the cache too,
# never in the git work tree.
#
# Output (stdout): LUTEST_BZIMAGE='<path>' plus the lines of fetch-kernel.sh.
# Diagnostics go to stderr.
#
# Environment: those of fetch-kernel.sh, and
#   LUTEST_KERNEL_JOBS=N            make -jN (default: nproc)
#   LUTEST_KERNEL_BUILD_TIMEOUT=S   timeout of the build (default 3600)
#   LUTEST_KERNEL_KEEP_TREE=0       remove source and objects after a build
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
FRAGMENT=$HERE/kernel.config
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/libliveupdate
JOBS=${LUTEST_KERNEL_JOBS:-$(nproc)}
BUILD_TIMEOUT=${LUTEST_KERNEL_BUILD_TIMEOUT:-3600}

log() { echo "build-kernel: $*" >&2; }
die() { echo "build-kernel: error: $*" >&2; exit 1; }

[ -r "$FRAGMENT" ] || die "$FRAGMENT missing"

ENV_LINES=$("$HERE/fetch-kernel.sh") || die "fetch-kernel.sh failed"
eval "$ENV_LINES"

safe() { printf '%s' "$1" | tr ':~' '_-'; }
FRAG_SHA=$(sha256sum "$FRAGMENT" | cut -c1-16)
KEY=$(safe "$LUTEST_KERNEL_DEBVER")-$FRAG_SHA
OUT=$CACHE/bzImage/$KEY

emit() {
	echo "$ENV_LINES"
	echo "LUTEST_BZIMAGE='$OUT/bzImage'"
}

if [ -s "$OUT/bzImage" ]; then
	log "cached: $OUT/bzImage (linux $LUTEST_KERNEL_DEBVER, fragment $FRAG_SHA)"
	emit
	exit 0
fi

# Host tools a kernel build needs; say what to install rather than fail late.
missing=""
for tool in make gcc ld flex bison bc perl tar xz; do
	command -v "$tool" >/dev/null || missing="$missing $tool"
done
[ -r /usr/include/gelf.h ] || missing="$missing libelf-dev"
[ -r /usr/include/openssl/ssl.h ] || missing="$missing libssl-dev"
if [ -n "$missing" ]; then
	die "missing for the kernel build:$missing (apt-get install build-essential flex bison bc libelf-dev libssl-dev xz-utils)"
fi

mkdir -p "$CACHE"
# One kernel build at a time on this machine (2 shared cores).
exec 8>"$CACHE/build.lock"
if ! flock -n 8; then
	log "another kernel build holds $CACHE/build.lock; waiting"
	timeout "$BUILD_TIMEOUT" flock 8 || die "timed out waiting for the build lock"
fi
if [ -s "$OUT/bzImage" ]; then	# built by whoever held the lock
	log "cached: $OUT/bzImage"
	emit
	exit 0
fi

SRCROOT=$CACHE/src/$(safe "$LUTEST_KERNEL_DEBVER")
SRC=$SRCROOT/linux-source-$LUTEST_KERNEL_SERIES
BUILD=$CACHE/build/$(safe "$LUTEST_KERNEL_DEBVER")

if [ ! -e "$SRCROOT/.extracted" ]; then
	log "extracting $LUTEST_KERNEL_TAR"
	rm -rf "$SRCROOT" "$SRCROOT.tmp"
	mkdir -p "$SRCROOT.tmp"
	timeout 1200 tar -C "$SRCROOT.tmp" -xf "$LUTEST_KERNEL_TAR" || die "extracting $LUTEST_KERNEL_TAR failed"
	touch "$SRCROOT.tmp/.extracted"
	mv "$SRCROOT.tmp" "$SRCROOT"
fi
[ -r "$SRC/Makefile" ] || die "$SRC/Makefile missing"

mkdir -p "$BUILD"
# Fragment only; olddefconfig fills in every default.
grep -E '^(CONFIG_[A-Za-z0-9_]+=|# CONFIG_[A-Za-z0-9_]+ is not set)' "$FRAGMENT" >"$BUILD/.config"
log "make olddefconfig (O=$BUILD)"
timeout 600 make -s -C "$SRC" O="$BUILD" ARCH=x86_64 olddefconfig >"$BUILD/olddefconfig.log" 2>&1 ||
	{ cat "$BUILD/olddefconfig.log" >&2; die "make olddefconfig failed"; }

# Every fragment line must have survived olddefconfig unchanged.
bad=0
while IFS= read -r line; do
	case $line in
	CONFIG_*=*) opt=${line%%=*} ;;
	"# CONFIG_"*" is not set") opt=${line#\# }; opt=${opt%% *} ;;
	*) continue ;;
	esac
	if ! grep -qxF -- "$line" "$BUILD/.config"; then
		got=$(grep -E "^$opt=|^# $opt is not set" "$BUILD/.config" || echo "(absent: dependencies unmet or no such option)")
		log "config mismatch: wanted '$line', got '$got'"
		bad=1
	fi
done <"$FRAGMENT"
[ "$bad" = 0 ] || die "the kernel did not accept tests/vm/kernel.config (see above)"

log "make -j$JOBS bzImage (linux $LUTEST_KERNEL_DEBVER; a few minutes; log: $BUILD/build.log)"
start=$(date +%s)
if ! timeout "$BUILD_TIMEOUT" make -C "$SRC" O="$BUILD" ARCH=x86_64 -j"$JOBS" bzImage >"$BUILD/build.log" 2>&1; then
	tail -n 40 "$BUILD/build.log" >&2
	die "kernel build failed (full log: $BUILD/build.log)"
fi
log "built in $(( $(date +%s) - start )) s"

mkdir -p "$OUT.tmp"
cp "$BUILD/arch/x86/boot/bzImage" "$OUT.tmp/bzImage"
cp "$BUILD/.config" "$OUT.tmp/config"
cp "$FRAGMENT" "$OUT.tmp/kernel.config"
rm -rf "$OUT"
mv "$OUT.tmp" "$OUT"

if [ "${LUTEST_KERNEL_KEEP_TREE:-1}" = 0 ]; then
	rm -rf "$BUILD" "$SRCROOT"
fi
log "bzImage: $OUT/bzImage ($(stat -c %s "$OUT/bzImage") bytes)"
emit
