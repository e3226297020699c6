#!/bin/sh
# The kernel's uAPI is used verbatim: every ioctl number and request struct
# of the library, the simulator and the raw-ioctl tests comes from
# include/uapi/linux/liveupdate.h, the kernel's header copied unchanged by
# include/uapi/refresh.sh. Fails when
#   1. the copy differs from what refresh.sh recorded (edited by hand);
#   2. a file that issues or decodes these ioctls does not compile against
#      the copy (another liveupdate.h would be found first);
#   3. anything else defines the ioctl type, a request number or a request
#      struct of its own (a paraphrase);
#   4. a kernel header is at hand (LIVEUPDATE_UAPI_INCLUDE: the real-kernel
#      suite and .ci/run point it at the linux-libc-dev of the test kernel;
#      or the system's) and the copy is not byte for byte the same.
set -u
top_srcdir=${top_srcdir:-.}
CC=${CC:-cc}
copy=$top_srcdir/include/uapi/linux/liveupdate.h
fail=0
bad() { echo "uapi-check: FAIL: $*"; fail=1; }

# 1. unchanged since refresh.sh wrote it
want=$(sed -n 's|^linux/liveupdate.h \([0-9a-f]*\) \([^ ]*\) .*|\1|p' "$top_srcdir/include/uapi/SOURCE")
from=$(sed -n 's|^linux/liveupdate.h [0-9a-f]* \([^ ]*\) .*|Linux \1|p' "$top_srcdir/include/uapi/SOURCE")
have=$(sha256sum "$copy" | cut -d' ' -f1)
if [ "$want" = "$have" ]; then
	echo "uapi-check: include/uapi/linux/liveupdate.h is the kernel's ($from), unchanged"
else
	bad "include/uapi/linux/liveupdate.h was changed by hand (sha256 $have, include/uapi/SOURCE says $want): refresh it with include/uapi/refresh.sh KERNEL_TREE"
fi

# 2. the users compile against the copy (-MM lists the header they got)
users=$(cd "$top_srcdir" && grep -l 'LIVEUPDATE_IOCTL_\|LIVEUPDATE_SESSION_[A-Z_]*FD\b\|LIVEUPDATE_CMD_\|struct liveupdate_session_\(preserve_fd\|retrieve_fd\|finish\|get_name\)\b' \
	lib/*.c sim/*.c tests/conformance/*.c tests/vm/sc-raw-*.c tests/sim/*.c tests/unit/*.c 2>/dev/null)
[ -n "$users" ] || bad "no source file uses <linux/liveupdate.h>: the check looks in the wrong place"
n=0
for f in $users; do
	deps=$($CC -MM -I"$top_srcdir/include/uapi" -I"$top_srcdir/include" \
		-I"$top_srcdir/util" -I"$top_srcdir/lib" -I"$top_srcdir/sim" \
		-I"${top_builddir:-.}" -D_GNU_SOURCE "$top_srcdir/$f" 2>&1) ||
		{ bad "$f does not preprocess: $deps"; continue; }
	case $deps in
	*include/uapi/linux/liveupdate.h*) n=$((n + 1)) ;;
	*) bad "$f does not take its uAPI from include/uapi/linux/liveupdate.h" ;;
	esac
done
echo "uapi-check: $n files take the uAPI from the copy"

# 3. no paraphrase anywhere else
own=$(cd "$top_srcdir" && grep -n -E \
	'_IO[RW]*\( *0x[bB][aA]|define +[A-Z_]*IOCTL_TYPE|define +LIVEUPDATE_(CMD|IOCTL|SESSION_(PRESERVE|RETRIEVE|FINISH|GET))|struct +liveupdate_(ioctl_[a-z_]+|session_(preserve_fd|retrieve_fd|finish|get_name)) *\{' \
	-r lib sim tools tests examples include/liveupdate 2>/dev/null)
if [ -n "$own" ]; then
	bad "the uAPI is defined again outside include/uapi/ (use <linux/liveupdate.h>):"
	echo "$own"
fi

# 4. byte for byte the kernel's, where a kernel header is at hand
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
inc=${LIVEUPDATE_UAPI_INCLUDE:-}
echo '#include <linux/liveupdate.h>' > "$tmp/probe.c"
kernel=$($CC ${inc:+-I"$inc"} -E "$tmp/probe.c" 2>/dev/null |
	sed -n 's/^# [0-9]* "\(.*linux\/liveupdate.h\)".*/\1/p' | head -n1)
if [ -z "$kernel" ]; then
	echo "uapi-check: no kernel <linux/liveupdate.h> on this machine to compare with (Debian 12's linux-libc-dev is 6.1); .ci/run and make check-vm compare with the test kernel's"
elif cmp -s "$kernel" "$copy"; then
	echo "uapi-check: the copy is byte for byte $kernel"
else
	bad "the copy differs from $kernel: refresh it with include/uapi/refresh.sh $(dirname "$(dirname "$kernel")")"
	diff -u "$kernel" "$copy" | head -40
fi
exit $fail
