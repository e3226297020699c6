#!/bin/bash
# make check-deb: the Debian packages of debian/ built, checked and tested
# as a host installs them, one Automake-style result (OUT/STEP.trs and
# .log, counted by .ci/run) per step:
#   build        dpkg-buildpackage -us -uc -b in a copy of the checkout's
#                files (edits included, build outputs left out); the build
#                fails when the exports differ from debian/libliveupdate1.symbols
#   lintian      no error or warning (each override justified in debian/)
#   install      dpkg -i of the .debs in a fresh Debian 12 root
#   autopkgtest-NAME  each test of debian/tests/control, run in that root
#                as autopkgtest runs it: from the source tree, with
#                AUTOPKGTEST_TMP, as an unprivileged user unless needs-root,
#                failing on stderr output unless allow-stderr; in its own
#                mount, PID and network namespaces
# The fresh root is a copy of a base root made once with mmdebstrap: Debian
# 12 (minbase) plus the packages' dependencies and the tests' Depends,
# cached under ${XDG_CACHE_HOME:-$HOME/.cache}/libliveupdate/deb-root keyed
# by that list, so a dependency missing from debian/control fails here.
# The .debs are left in OUT.
#
#   tests/deb/run.sh SRCDIR OUT
#
# Environment: CI=true turns a step that cannot run (no root, no network for
# the first base root) into a failure instead of a skip; LUTEST_OFFLINE=1
# never runs mmdebstrap.
set -uo pipefail

srcdir=$(cd "${1:?usage: run.sh SRCDIR OUT}" && pwd) || exit 1
out=${2:?usage: run.sh SRCDIR OUT}
mkdir -p "$out" && out=$(cd "$out" && pwd) || exit 1
rm -f "$out"/*.trs "$out"/*.log "$out"/*.deb

SUITE=bookworm
VARIANT=minbase
MIRRORS=("deb http://deb.debian.org/debian $SUITE $SUITE-updates main"
	"deb http://deb.debian.org/debian-security $SUITE-security main")
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/libliveupdate/deb-root

work=$(mktemp -d "${TMPDIR:-/tmp}/lu-deb.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
status=0

# result STEP PASS|FAIL|SKIP [MESSAGE]: the step's .trs; its .log is
# already written. A SKIP under CI=true is a failure.
result() {
	local step=$1 res=$2
	[ "$res" = SKIP ] && [ "${CI:-}" = true ] && res=FAIL
	[ $# -gt 2 ] && echo "$3" >>"$out/$step.log"
	printf ':test-result: %s\n:global-test-result: %s\n:recheck: %s\n:copy-in-global-log: %s\n' \
		"$res" "$res" "$([ "$res" = PASS ] && echo no || echo yes)" \
		"$([ "$res" = PASS ] && echo no || echo yes)" >"$out/$step.trs"
	echo "$res: $step${3:+ ($3)}"
	[ "$res" = FAIL ] && status=1
	return 0
}

# Everything after the build is left out once a step fails.
finish() { exit $status; }

# ---- build -----------------------------------------------------------------
src=$work/src
mkdir "$src"
if ! git -C "$srcdir" rev-parse --git-dir >/dev/null 2>&1 || [ ! -d "$srcdir/debian" ]; then
	: >"$out/build.log"
	result build SKIP "needs a git checkout with debian/ (release tarballs carry no debian/)"
	finish
fi
git -C "$srcdir" ls-files -z --cached --others --exclude-standard |
	(cd "$srcdir" && tar --null -T - --ignore-failed-read -cf - 2>/dev/null) |
	tar -xf - -C "$src"
t0=$SECONDS
if (cd "$src" && DEB_BUILD_OPTIONS="nocheck noautodbgsym parallel=$(nproc)" \
	timeout 1800 dpkg-buildpackage -us -uc -b) >"$out/build.log" 2>&1; then
	result build PASS "$((SECONDS - t0)) s"
else
	tail -n 40 "$out/build.log"
	result build FAIL "dpkg-buildpackage failed: $out/build.log"
	finish
fi
cp "$work"/*.deb "$out"/
changes=$(echo "$work"/*.changes)

# ---- lintian ---------------------------------------------------------------
t0=$SECONDS
if lintian -I --pedantic --fail-on error,warning "$changes" >"$out/lintian.log" 2>&1; then
	result lintian PASS "$((SECONDS - t0)) s"
else
	cat "$out/lintian.log"
	result lintian FAIL "lintian reports errors or warnings"
fi

# ---- the base root ---------------------------------------------------------
# test_field FIELD: that field of every stanza of debian/tests/control, one
# stanza a line ("" for none); continuation lines joined, comments dropped.
test_field() {
	awk -v field="$1" '
		/^#/ { next }
		/^[ \t]*$/ { if (in_stanza) print val; in_stanza = 0; val = ""; cur = ""; next }
		/^[ \t]/ { if (cur == tolower(field)) val = val " " $0; next }
		{ in_stanza = 1; cur = tolower(substr($0, 1, index($0, ":") - 1))
		  if (cur == tolower(field)) val = substr($0, index($0, ":") + 1) }
		END { if (in_stanza) print val }' "$src/debian/tests/control" |
		sed 's/^[ \t]*//; s/[ \t]*$//; s/[ \t][ \t]*/ /g'
}
ours=$(cd "$work" && for d in *.deb; do dpkg-deb -f "$d" Package; done)
# Package names of a Depends field: first alternative, no versions.
dep_names() { tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/\[.*\]//; s/:any//; s/[ \t]//g' | grep -v '^$'; }
packages=$({
	for d in "$work"/*.deb; do dpkg-deb -f "$d" Depends | dep_names; done
	test_field Depends | dep_names | grep -v '^@$'
} | grep -vxF "$ours" | sort -u | tr '\n' ' ')
packages=${packages% }

base_root() {
	local key tarball
	key=$(printf '%s\n' "$SUITE" "$VARIANT" "${MIRRORS[@]}" "$packages" | sha256sum | cut -c1-16)
	tarball=$CACHE/$SUITE-$key.tar
	if [ -s "$tarball" ]; then
		echo "$tarball"
		return 0
	fi
	if [ "${LUTEST_OFFLINE:-0}" = 1 ]; then
		echo "LUTEST_OFFLINE=1 and no cached $tarball" >&2
		return 77
	fi
	if ! command -v mmdebstrap >/dev/null || [ ! -r "$KEYRING" ]; then
		echo "mmdebstrap or $KEYRING missing: apt-get install mmdebstrap debian-archive-keyring" >&2
		return 77
	fi
	mkdir -p "$CACHE"
	exec 9>"$CACHE/build.lock"
	timeout 1800 flock 9 || { echo "timed out waiting for $CACHE/build.lock" >&2; return 1; }
	if [ ! -s "$tarball" ]; then
		echo "mmdebstrap $SUITE ($VARIANT + $packages)" >&2
		# The archive may serve a frozen copy past its Release file's
		# Valid-Until date; signatures are still checked.
		if ! timeout 1200 mmdebstrap --mode=root --variant="$VARIANT" \
			--include="${packages// /,}" --keyring="$KEYRING" --format=tar \
			--aptopt='Acquire::Check-Valid-Until "false"' \
			"$SUITE" "$tarball.tmp" "${MIRRORS[@]}" >"$CACHE/build.log" 2>&1; then
			tail -n 30 "$CACHE/build.log" >&2
			rm -f "$tarball.tmp"
			exec 9>&-
			return 1
		fi
		mv "$tarball.tmp" "$tarball"
		# a changed list replaces the old root (about 450 MB each)
		find "$CACHE" -maxdepth 1 -name "$SUITE-*.tar" ! -name "${tarball##*/}" -delete
	fi
	exec 9>&-
	echo "$tarball"
}

# ---- install ---------------------------------------------------------------
if [ "$(id -u)" != 0 ]; then
	: >"$out/install.log"
	result install SKIP "installing into a root file system needs root"
	finish
fi
t0=$SECONDS
tarball=$(base_root 2>"$out/install.log")
rc=$?
if [ $rc != 0 ]; then
	cat "$out/install.log"
	result install "$([ $rc = 77 ] && echo SKIP || echo FAIL)" "no base root: $out/install.log"
	finish
fi
root=$work/root
mkdir "$root"
# in_root CMD...: CMD in the fresh root, in namespaces of its own that end
# with it (its mounts, any process it leaves behind, no network).
in_root() {
	timeout 900 unshare --mount --pid --net --ipc --uts --fork \
		--mount-proc="$root/proc" chroot "$root" "$@"
}
if tar -xf "$tarball" -C "$root" &&
	mkdir "$root/srv/debs" && cp "$work"/*.deb "$root/srv/debs/" &&
	in_root sh -c 'dpkg -i /srv/debs/*.deb' >>"$out/install.log" 2>&1; then
	result install PASS "$((SECONDS - t0)) s, base root $(basename "$tarball")"
else
	cat "$out/install.log"
	result install FAIL "dpkg -i in a fresh $SUITE root: $out/install.log"
	finish
fi

# ---- autopkgtest -----------------------------------------------------------
# The source tree the tests run from, as autopkgtest unpacks it.
mkdir -p "$root/srv/src/debian"
cp -a "$src/debian/tests" "$src/debian/control" "$root/srv/src/debian/"
mapfile -t commands < <(test_field Test-Command)
mapfile -t names < <(test_field Features | sed -n 's/.*test-name=\([^ ,]*\).*/\1/p;t;s/.*//p')
mapfile -t restrictions < <(test_field Restrictions)
mapfile -t tests < <(test_field Tests)
n=0
for i in "${!commands[@]}"; do
	restr=" ${restrictions[$i]//,/ } "
	if [ -n "${tests[$i]}" ]; then
		echo "tests/deb/run.sh runs Test-Command stanzas only: ${tests[$i]}" >"$out/autopkgtest-control.log"
		result autopkgtest-control FAIL "Tests: stanzas are not supported here"
		continue
	fi
	n=$((n + 1))
	name=${names[$i]:-command$n}
	step=autopkgtest-$name
	user=()
	[[ $restr == *" needs-root "* ]] || user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	tmp=$(mktemp -d "$root/tmp/autopkgtest.XXXXXX")
	[ ${#user[@]} = 0 ] || chown 65534:65534 "$tmp"
	t0=$SECONDS
	rc=0
	in_root "${user[@]}" env -i PATH=/usr/local/bin:/usr/bin:/bin \
		HOME=/nonexistent AUTOPKGTEST_TMP="${tmp#"$root"}" \
		sh -c "cd /srv/src && ${commands[$i]}" >"$out/$step.log" 2>"$work/stderr" || rc=$?
	if [ -s "$work/stderr" ]; then
		{ echo "--- stderr:"; cat "$work/stderr"; } >>"$out/$step.log"
	fi
	if [ $rc != 0 ]; then
		cat "$out/$step.log"
		result "$step" FAIL "exit status $rc"
	elif [ -s "$work/stderr" ] && [[ $restr != *" allow-stderr "* ]]; then
		cat "$out/$step.log"
		result "$step" FAIL "output on stderr"
	else
		result "$step" PASS "$((SECONDS - t0)) s"
	fi
done
[ $n -gt 0 ] || result autopkgtest FAIL "debian/tests/control has no test"
finish
