/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Can this host live update? The device answers first (through the
 * context's backend, so the simulator and the unit tests' seam answer
 * too); when there is no device, the host's files say why: the kernel's
 * release, its build config, its command line.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "state-private.h"

/* Append a sentence to the availability text; the first reason sets the code. */
static void reason(struct liveupdate_state *st, enum liveupdate_avail avail,
		   const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void reason(struct liveupdate_state *st, enum liveupdate_avail avail,
		   const char *fmt, ...)
{
	size_t len = strlen(st->avail_text);
	va_list args;

	if (!st->avail)
		st->avail = avail;
	else if (len + 1 < sizeof(st->avail_text))
		st->avail_text[len++] = ' ';
	va_start(args, fmt);
	vsnprintf(st->avail_text + len, sizeof(st->avail_text) - len, fmt, args);
	va_end(args);
}

/* Linux 6.19 brought /dev/liveupdate: 1 older, 0 not, -1 unparsable. */
static int too_old(const char *release)
{
	int major, minor;

	if (sscanf(release, "%d.%d", &major, &minor) != 2)
		return -1;
	return major < 6 || (major == 6 && minor < 19);
}

/* Why there is no device: every reason the host's files show. */
static void explain_no_device(const struct lu_state_root *root,
			      struct liveupdate_state *st, const char *device)
{
	char value[64], source[LU_STATE_PATH_MAX] = "", why[LU_STATE_PATH_MAX] = "";
	char lu = 0, kho = 0, kho_default = 0;
	int lu_on = -1, kho_on = -1, cmd;

	if (st->kernel_release[0] && too_old(st->kernel_release) == 1)
		reason(st, LIVEUPDATE_AVAIL_KERNEL_TOO_OLD, "Linux %s is too old: "
		       "live update (/dev/liveupdate) needs Linux 6.19 or later; "
		       "boot a newer kernel.", st->kernel_release);

	lu = lu_kernel_config(root, st->kernel_release, "LIVEUPDATE", source,
			      sizeof(source), why, sizeof(why));
	if (lu) {
		kho = lu_kernel_config(root, st->kernel_release, "KEXEC_HANDOVER",
				       source, sizeof(source), why, sizeof(why));
		kho_default = lu_kernel_config(root, st->kernel_release,
					       "KEXEC_HANDOVER_ENABLE_DEFAULT", source,
					       sizeof(source), why, sizeof(why));
	}
	if (lu == 'n')
		reason(st, LIVEUPDATE_AVAIL_NO_CONFIG, "The kernel was built without "
		       "CONFIG_LIVEUPDATE (%s): build one with CONFIG_KEXEC_HANDOVER "
		       "and CONFIG_LIVEUPDATE.", source);

	cmd = lu_state_cmdline(root, "kho", value, sizeof(value));
	if (cmd == 1)
		kho_on = lu_state_kbool(value);
	if (kho_on == 0)
		reason(st, LIVEUPDATE_AVAIL_KHO_DISABLED, "Kexec HandOver is disabled "
		       "by kho=%s on the kernel command line: boot with kho=on.", value);
	else if (lu && kho == 'n')
		reason(st, LIVEUPDATE_AVAIL_KHO_DISABLED, "The kernel was built "
		       "without CONFIG_KEXEC_HANDOVER (%s).", source);
	else if (lu && kho_default == 'n' && kho_on != 1)
		reason(st, LIVEUPDATE_AVAIL_KHO_DISABLED, "Kexec HandOver is off: the "
		       "kernel has it disabled by default (no "
		       "CONFIG_KEXEC_HANDOVER_ENABLE_DEFAULT, %s) and the command "
		       "line has no kho=on: boot with kho=on.", source);

	cmd = lu_state_cmdline(root, "liveupdate", value, sizeof(value));
	if (cmd == 1)
		lu_on = lu_state_kbool(value);
	if (cmd >= 0 && lu_on != 1)
		reason(st, LIVEUPDATE_AVAIL_NO_CMDLINE, "The kernel was not booted "
		       "with liveupdate=on (/proc/cmdline%s%s): add it to the kernel "
		       "command line.", cmd == 1 ? " has liveupdate=" : "",
		       cmd == 1 ? value : "");

	if (!st->avail)
		reason(st, LIVEUPDATE_AVAIL_NO_DEVICE, "There is no %s and the host's "
		       "files do not say why%s%s%s.", device,
		       lu ? "" : " (kernel config not read: ", lu ? "" : why,
		       lu ? "" : ")");
	else if (!lu)
		reason(st, st->avail, "(Kernel config not read: %s.)", why);
}

static void busy(struct liveupdate_ctx *ctx, struct liveupdate_state *st)
{
	struct lu_holder holder;

	if (lu_backend_find_holders(ctx, &holder, 1) == 1) {
		st->holder_pid = holder.pid;
		snprintf(st->holder_comm, sizeof(st->holder_comm), "%s", holder.comm);
		reason(st, LIVEUPDATE_AVAIL_BUSY, "%s is held by pid %d (%s): only one "
		       "process can open it; ask that process for a session, or stop "
		       "it.", lu_backend_device_label(ctx), (int)holder.pid, holder.comm);
		return;
	}
	/* /proc shows other users' fds to root only; root sees every process
	 * of its PID namespace */
	reason(st, LIVEUPDATE_AVAIL_BUSY, "%s is held by another process%s: only "
	       "one process can open it; ask that process for a session, or stop "
	       "it.", lu_backend_device_label(ctx),
	       liveupdate_ctx_get_backend(ctx) != LIVEUPDATE_BACKEND_KERNEL ? ""
	       : geteuid() ? " (not visible in /proc: run as root to see which)"
	       : " (none in this PID namespace: one in another namespace or "
		 "container holds it)");
}

/* The file opens but does not answer LUO's requests (backend-kernel.c). */
static void not_the_device(struct liveupdate_ctx *ctx, struct liveupdate_state *st)
{
	const char *path = liveupdate_ctx_get_device_path(ctx);
	struct stat sb;
	bool known = stat(path, &sb) == 0;

	if (known && S_ISCHR(sb.st_mode))
		reason(st, LIVEUPDATE_AVAIL_DEVICE_ERROR, "%s is not the live update "
		       "device: it is a character device (%u:%u) that does not answer "
		       "the Live Update Orchestrator's requests; give the path of "
		       "/dev/liveupdate.", path, major(sb.st_rdev),
		       minor(sb.st_rdev));
	else
		reason(st, LIVEUPDATE_AVAIL_DEVICE_ERROR, "%s is not the live update "
		       "device: it is %s; give the path of /dev/liveupdate.",
		       path, !known ? "a file that does not answer the "
		       "Live Update Orchestrator's requests" : S_ISREG(sb.st_mode)
		       ? "a regular file, not a character device"
		       : "not a character device");
}

static void permission(struct liveupdate_ctx *ctx, struct liveupdate_state *st)
{
	struct stat sb;

	if (liveupdate_ctx_get_backend(ctx) == LIVEUPDATE_BACKEND_KERNEL &&
	    stat(liveupdate_ctx_get_device_path(ctx), &sb) == 0)
		reason(st, LIVEUPDATE_AVAIL_PERMISSION, "Permission denied opening %s "
		       "(mode %04o, owner uid %u, group gid %u): run as root or as a "
		       "user the node's mode allows.", liveupdate_ctx_get_device_path(ctx),
		       (unsigned)(sb.st_mode & 07777), (unsigned)sb.st_uid,
		       (unsigned)sb.st_gid);
	else
		reason(st, LIVEUPDATE_AVAIL_PERMISSION, "Permission denied opening %s.",
		       lu_backend_device_label(ctx));
}

int lu_state_availability(struct liveupdate_ctx *ctx,
			  const struct lu_state_root *root,
			  struct liveupdate_state *st)
{
	bool sim = liveupdate_ctx_get_backend(ctx) == LIVEUPDATE_BACKEND_SIM;
	int fd = lu_ctx_try_device(ctx);
	lu_state_set_source(st, LIVEUPDATE_FACT_AVAIL, "%s",
			    lu_backend_device_label(ctx));

	if (fd >= 0 && sim)
		reason(st, LIVEUPDATE_AVAIL_SIMULATED, "SIMULATED by liveupdate-sim "
		       "(%s): sessions can be created and, after 'liveupdate-sim "
		       "reboot', retrieved, but nothing survives a real reboot.",
		       lu_backend_device_label(ctx));
	else if (fd >= 0)
		reason(st, LIVEUPDATE_AVAIL_YES, "%s opens: sessions can be created "
		       "and, after a kexec, retrieved.", liveupdate_ctx_get_device_path(ctx));
	else if (fd == -EBUSY)
		busy(ctx, st);
	else if (fd == -EACCES || fd == -EPERM)
		permission(ctx, st);
	else if (fd == -ENOTTY && !sim)
		not_the_device(ctx, st);
	else if (fd == -ENOENT && !sim)
		explain_no_device(root, st, liveupdate_ctx_get_device_path(ctx));
	else if (fd == -ENOMEM)
		return fd;
	else
		reason(st, fd == -ENOENT ? LIVEUPDATE_AVAIL_NO_DEVICE
		       : LIVEUPDATE_AVAIL_DEVICE_ERROR, "%s", liveupdate_last_error());
	return 0;
}
