#!/bin/sh
# make installcheck: build every example again from its sources, out of
# the tree, against the installed header and library with nothing but
# `pkg-config --cflags --libs liveupdate`, and run each one's --help.
#
#   build-installed.sh SRCDIR NAME SOURCE... [-- NAME SOURCE...]...
#
# Environment: CC, PKG_CONFIG, PKG_CONFIG_PATH (the installed .pc file's
# directory), DESTDIR (a staged install: pkg-config's paths get it in front).
srcdir=$1
shift
: "${CC:=cc}" "${PKG_CONFIG:=pkg-config}"
if [ -n "${DESTDIR:-}" ]; then
	PKG_CONFIG_SYSROOT_DIR=$DESTDIR
	export PKG_CONFIG_SYSROOT_DIR
fi
flags=$($PKG_CONFIG --cflags --libs liveupdate) || exit 1
libdir=$($PKG_CONFIG --variable=libdir liveupdate) || exit 1
out=$(mktemp -d "${TMPDIR:-/tmp}/lu-installcheck.XXXXXX") || exit 1
trap 'rm -rf "$out"' EXIT

build() {
	name=$1
	shift
	srcs=
	for s in "$@"; do srcs="$srcs $srcdir/$s"; done
	# shellcheck disable=SC2086
	if ! $CC -Wall -Wextra -o "$out/$name" $srcs $flags \
		-Wl,-rpath,"${DESTDIR:-}$libdir" 2>"$out/cc.log"; then
		cat "$out/cc.log"
		echo "installcheck: FAIL: examples/$name does not build against the installed library"
		exit 1
	fi
	if ! "$out/$name" --help >/dev/null; then
		echo "installcheck: FAIL: the installed build of examples/$name does not run"
		exit 1
	fi
	echo "installcheck: examples/$name builds with pkg-config alone and runs"
}

set -- "$@" --
prog=
while [ $# -gt 0 ]; do
	if [ "$1" = -- ]; then
		[ -n "$prog" ] && build $prog
		prog=
	else
		prog="$prog $1"
	fi
	shift
done
