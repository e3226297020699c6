#!/bin/sh
# A program that declares its log function with a printf format attribute
# (as -Wmissing-format-attribute asks) passes it to the library in a build
# with -Werror=format: liveupdate_log_fn must carry the same attribute.
set -u
top_srcdir=${top_srcdir:-.}
CC=${CC:-cc}
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/logger.c" <<'EOT'
#include <stdarg.h>
#include <stdio.h>
#include <liveupdate/liveupdate.h>

static void vmm_log(void *data, int priority, const char *file, int line,
		    const char *fn, const char *format, va_list args)
	__attribute__((format(printf, 6, 0)));

static void vmm_log(void *data, int priority, const char *file, int line,
		    const char *fn, const char *format, va_list args)
{
	(void)data; (void)priority; (void)file; (void)line; (void)fn;
	vfprintf(stderr, format, args);
}

int main(void)
{
	struct liveupdate_ctx *ctx = NULL;
	liveupdate_log_fn fn = vmm_log;

	liveupdate_ctx_set_log_fn(ctx, vmm_log, NULL); /* NULL ctx: ignored */
	return fn == NULL;
}
EOT
flags="-Wformat -Werror=format -Wmissing-format-attribute -Werror"
fail=0
# shellcheck disable=SC2086 # flags is a list
$CC -std=gnu11 -Wall -Wextra $flags -I"$top_srcdir/include" -c "$tmp/logger.c" \
	-o "$tmp/logger.o" ||
	{ echo "log-format-check: FAIL: a logger with format(printf, 6, 0) is" \
	       "refused with $flags"; fail=1; }
[ $fail = 0 ] && echo "log-format-check: PASS"
exit $fail
