/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * liveupdate-ctl preflight: what to check right before `kexec -e` (or
 * liveupdate_kexec_reboot()). Each check prints PASS, WARN or FAIL; any
 * FAIL makes the exit status 1.
 */
#include <dirent.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"

#define SESSION_LINK "anon_inode:[luo_session]"

struct tally {
	int fail, warn;
};

static void check(struct tally *t, const char *verdict, const char *what,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void check(struct tally *t, const char *verdict, const char *what,
		  const char *fmt, ...)
{
	va_list args;

	t->fail += verdict[0] == 'F';
	t->warn += verdict[0] == 'W';
	printf("%-4s  %-9s ", verdict, what);
	va_start(args, fmt);
	vprintf(fmt, args);
	va_end(args);
	putchar('\n');
}

static void device(struct tally *t, const struct liveupdate_state *st)
{
	const char *text = liveupdate_state_get_avail_text(st);
	int pid = liveupdate_state_get_holder_pid(st);

	switch (liveupdate_state_get_avail(st)) {
	case LIVEUPDATE_AVAIL_YES:
		check(t, "PASS", "device", "%s", text);
		break;
	case LIVEUPDATE_AVAIL_BUSY:
		/* the VMM or agent that owns the sessions holds it: as it should */
		if (pid > 0)
			check(t, "PASS", "device", "held by pid %d (%s), which owns its "
			      "sessions", pid, liveupdate_state_get_holder_comm(st));
		else
			check(t, "PASS", "device", "%s", text);
		break;
	case LIVEUPDATE_AVAIL_SIMULATED:
		check(t, "WARN", "device", "%s A kexec carries nothing over.", text);
		break;
	default:
		check(t, "FAIL", "device", "%s", text);
	}
}

static void kexec_loaded(struct tally *t, const char *root)
{
	char path[PATH_MAX], value[16] = "";
	FILE *f;

	snprintf(path, sizeof(path), "%s/sys/kernel/kexec_loaded", root ? root : "");
	f = fopen(path, "re");
	if (f) {
		if (!fgets(value, sizeof(value), f))
			value[0] = '\0';
		fclose(f);
	}
	if (value[0] == '1')
		check(t, "PASS", "kexec", "a kernel is loaded "
		      "(/sys/kernel/kexec_loaded is 1)");
	else if (value[0] == '0')
		check(t, "FAIL", "kexec", "no kernel is loaded (/sys/kernel/kexec_loaded "
		      "is 0): load one with 'kexec -s -l IMAGE --initrd FILE "
		      "--reuse-cmdline' or liveupdate_kexec_load()");
	else
		check(t, "WARN", "kexec", "cannot tell whether a kernel is loaded: "
		      "/sys/kernel/kexec_loaded cannot be read");
}

static void handover(struct tally *t, const struct liveupdate_state *st)
{
	const char *abi = liveupdate_state_get_luo_abi(st);

	if (abi)
		check(t, "PASS", "handover", "this kernel hands over LUO ABI %s; the "
		      "next kernel must speak the same, or it panics at boot (%s)", abi,
		      liveupdate_state_get_source(st, LIVEUPDATE_FACT_LUO_ABI));
	else
		check(t, "WARN", "handover", "the LUO ABI cannot be checked: %s",
		      liveupdate_state_get_missing(st, LIVEUPDATE_FACT_LUO_ABI));
}

/* Print the sessions of one process; how many. */
static int process_sessions(const char *root, const char *pid)
{
	char path[PATH_MAX], link[PATH_MAX], comm[64] = "?";
	struct dirent *d;
	int n = 0;
	DIR *fds;
	FILE *f;

	snprintf(path, sizeof(path), "%s/proc/%s/comm", root, pid);
	f = fopen(path, "re");
	if (f) {
		if (fgets(comm, sizeof(comm), f))
			comm[strcspn(comm, "\n")] = '\0';
		fclose(f);
	}
	snprintf(path, sizeof(path), "%s/proc/%s/fd", root, pid);
	fds = opendir(path);
	if (!fds)
		return 0;
	while ((d = readdir(fds))) {
		ssize_t len;

		snprintf(path, sizeof(path), "%s/proc/%s/fd/%s", root, pid, d->d_name);
		len = readlink(path, link, sizeof(link) - 1);
		if (len <= 0)
			continue;
		link[len] = '\0';
		if (strncmp(link, SESSION_LINK, strlen(SESSION_LINK)) != 0)
			continue;
		printf("                session%s held by pid %s (%s), fd %s\n",
		       link + strlen(SESSION_LINK), pid, comm, d->d_name);
		n++;
	}
	closedir(fds);
	return n;
}

static void sessions(struct tally *t, const char *root, bool simulated)
{
	char path[PATH_MAX];
	struct dirent *d;
	int n = 0;
	DIR *proc;

	if (simulated) {
		check(t, "WARN", "sessions", "simulated sessions are not visible in /proc");
		return;
	}
	snprintf(path, sizeof(path), "%s/proc", root ? root : "");
	proc = opendir(path);
	if (!proc) {
		check(t, "WARN", "sessions", "cannot read %s", path);
		return;
	}
	printf("      sessions  open session fds (carried over if still open at "
	       "the kexec):\n");
	while ((d = readdir(proc)))
		if (d->d_name[0] >= '1' && d->d_name[0] <= '9')
			n += process_sessions(root ? root : "", d->d_name);
	closedir(proc);
	if (n)
		check(t, "PASS", "sessions", "%d session fd(s) open%s", n,
		      geteuid() ? " (other users' processes are visible to root only)" : "");
	else
		check(t, "WARN", "sessions", "no process holds a live update session%s: "
		      "nothing will be carried over", geteuid() ? " that this user can see" : "");
}

int ctl_preflight(const struct ctl *c)
{
	struct tally t = { 0, 0 };

	device(&t, c->state);
	kexec_loaded(&t, c->root);
	handover(&t, c->state);
	sessions(&t, c->root, liveupdate_ctx_get_backend(c->ctx) == LIVEUPDATE_BACKEND_SIM);
	printf("preflight: %d failed, %d warning(s)\n", t.fail, t.warn);
	return t.fail ? CTL_NOT_POSSIBLE : CTL_POSSIBLE;
}
