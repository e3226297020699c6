#!/bin/sh
# libFuzzer on the examples' decoders of untrusted lines: the agent's JSON
# requests and the cache's commands (tests/fuzz/examples.c). See
# tests/fuzz/fuzz-lib.sh.
. "${top_srcdir:-.}/tests/fuzz/fuzz-lib.sh"
ex=$top_srcdir/examples
set -- "$top_srcdir/tests/fuzz/examples.c" -I"$ex" "$ex/agent/agent-proto.c" \
	"$ex/cache/cache-command.c" "$ex/cache/cache-store.c"
fuzz_seeded examples EXAMPLES_FUZZ_SEEDS 4200 "$@"
echo "PASS: no crash, no undefined behaviour, every decoded request re-encodes the same"
