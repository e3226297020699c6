/*
 * conformance: tests/conformance/conformance.c against the real kernel, the
 * same raw-ioctl cases `make check` runs against liveupdate-sim, so that
 * any difference between the simulator and the kernel fails one or the
 * other. Stage 1 before the kexec (session fds handed to PID 1), stage 2
 * after it. Every case is one "CONF PASS|FAIL|SKIP" log line.
 */
#define _GNU_SOURCE
#include <errno.h>

#include "lutest.h"

#include "../conformance/conformance.h"

static void vm_keep(void *data, int fd)
{
	(void)data;
	lt_keep_fd(fd);
}

static void vm_print(void *data, const char *line)
{
	(void)data;
	lt_log("%s", line);
}

static int run(int stage)
{
	const struct lu_conf_env env = { vm_keep, vm_print, NULL };
	int f1, f2;

	if (stage == 1) {
		f1 = lu_conformance_stage(1, "/dev/liveupdate", &env);
		if (f1 < 0)
			lt_fail("stage 1 could not run (see the log)");
		lt_state_put("s1-failed", "%d", f1);
		return LT_CONTINUE;
	}
	f1 = (int)lt_state_get_u64("s1-failed");
	f2 = lu_conformance_stage(2, "/dev/liveupdate", &env);
	if (f2 < 0)
		lt_fail("stage 2 could not run (see the log); %d failure(s) before the kexec", f1);
	if (f1 || f2)
		lt_fail("%d case(s) failed before the kexec, %d after (the CONF FAIL lines)", f1, f2);
	lt_pass("every conformance case answered as expected, before and after the kexec");
}

LT_SCENARIO(conformance, "conformance", run, 120);
