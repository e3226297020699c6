#!/bin/sh
# LOG_COMPILER of the unit tests: run each under valgrind's memcheck when it
# is installed (required when CI=true), failing on any error or leak, with
# Check's fork mode off so that valgrind sees the tests themselves.
set -u
if [ -n "${VALGRIND:-}" ] && [ -x "$VALGRIND" ]; then
	CK_FORK=no exec "$VALGRIND" --quiet --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=definite,indirect,possible --show-leak-kinds=definite,indirect,possible \
		--track-fds=no --suppressions="${top_srcdir:-.}/tests/valgrind.supp" "$@"
fi
if [ "${CI:-}" = true ]; then
	echo "valgrind is required in CI (apt-get install valgrind) and was not found at configure time"
	exit 99
fi
echo "note: valgrind not found; running without leak checking (apt-get install valgrind)"
exec "$@"
