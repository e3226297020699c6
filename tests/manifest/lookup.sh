#!/bin/sh
# Label lookup in a session manifest at 500 and 5,000 entries, in one run
# (tests/manifest/lookup.c): prints the time per lookup and the ratio, which
# the hash index keeps near 1; fails only if a lookup is wrong. The numbers
# are recorded in doc/performance.md.
"${top_builddir:-.}/tests/manifest/lookup" ${LU_LOOKUPS:-1000000}
