#!/bin/sh
# make check gate: the tree names one version everywhere: configure.ac's
# AC_INIT (the library's and liveupdate.pc's), NEWS's newest heading (a
# release, or the next one marked "(unreleased)"), the man pages' .TH lines
# and, in a checkout (release tarballs carry no debian/),
# debian/changelog's upstream version.
srcdir=${top_srcdir:-.}
fix="configure.ac (AC_INIT), NEWS (its newest heading, released or '(unreleased)'), the man pages' .TH lines and debian/changelog (dch -v VERSION-1) name one version: the first change after a release moves them together"
status=0

want=$(sed -n 's/^AC_INIT(\[[^]]*\], *\[\([^]]*\)\].*/\1/p' "$srcdir/configure.ac")
if [ -z "$want" ]; then
	echo "FAIL: no version in configure.ac's AC_INIT([libliveupdate], [VERSION], ...)"
	exit 1
fi
echo "configure.ac: $want"

# same WHERE VERSION: VERSION is configure.ac's.
same() {
	if [ "$2" = "$want" ]; then
		echo "ok: $1: $2"
	else
		echo "FAIL: $1 says '$2', configure.ac '$want': $fix"
		status=1
	fi
}

# The changes of the next release gather under a first heading that says
# "(unreleased)": from the first change after a release, the tree builds as
# that next version (so that packages built from it say so).
same "NEWS (newest heading)" "$(sed -n '/^libliveupdate [0-9]/{s/^libliveupdate \([^ ]*\).*/\1/p;q;}' "$srcdir/NEWS")"
unreleased=$(grep -n '^libliveupdate [0-9].*(unreleased)' "$srcdir/NEWS")
case $unreleased in
""|1:*) ;;
*) echo "FAIL: NEWS: an (unreleased) heading below a released one ($unreleased): it goes first, or the release names it in configure.ac"; status=1 ;;
esac

for page in "$srcdir"/man/*.[1-8]; do
	th=$(sed -n 's/^\.TH[^"]*"libliveupdate \([^"]*\)".*/\1/p' "$page")
	# a one-line ".so" alias has no .TH of its own
	[ -z "$th" ] && grep -q '^\.so ' "$page" && continue
	same "man/${page##*/} (.TH)" "$th"
done

changelog=$srcdir/debian/changelog
if [ -f "$changelog" ]; then
	# "libliveupdate (EPOCH:UPSTREAM-REVISION) ..." on the first line
	same "debian/changelog" "$(sed -n '1s/^[^ ]* (\([0-9]*:\)\{0,1\}\(.*\)-[^-]*).*/\2/p' "$changelog")"
else
	echo "no debian/changelog here (a release tarball): compared the others only"
fi
exit $status
