/*
 * lib-state: the state queries and liveupdate-ctl on the real kernel.
 *
 * Stage 1 (cold boot): liveupdate_state_query() says available, cold boot,
 * no live update yet, LUO ABI luo-v5; a session with a memfd is created,
 * `liveupdate-ctl preflight` lists it (by its /proc link) and names this
 * process as the device's holder, and it is carried over. Stage 2 (after the live update): a live update from this same
 * kernel release, kexec count 1, live update #1, the incoming KHO tree
 * kho-v4 with the stale LUO blob reported but not read; the session comes
 * back. Both stages run the guest's static /liveupdate-ctl (built by
 * run-vm.sh): `status` must say "after live update #1 from RELEASE", and
 * `status --json` is printed line by line ("JSON ...") so that
 * tests/vm/lib-state.check parses it on the host with Python's json module
 * and compares it with what this scenario did. Around the kexec,
 * `liveupdate-ctl manifest --fd N` refuses the outgoing session (exit 1)
 * and prints the incoming one's manifest.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include "lutest-lib.h"

#define NAME "lib-state"
#define TOKEN 0x57a7e
#define CTL "/liveupdate-ctl"

static struct utsname uts;

/* Run liveupdate-ctl ARG...; its stdout in out; returns its exit status. */
static int ctl(char *out, size_t size, const char *arg1, const char *arg2)
{
	int p[2];
	size_t len = 0;
	ssize_t n;
	int status;
	pid_t pid;

	LT_CHECK(access(CTL, X_OK) == 0, CTL " is missing from the guest: %s",
		 lt_errname(errno));
	LT_CHECK(pipe2(p, O_CLOEXEC) == 0, "pipe: %s", lt_errname(errno));
	pid = fork();
	LT_CHECK(pid >= 0, "fork: %s", lt_errname(errno));
	if (pid == 0) {
		dup2(p[1], 1);
		execl(CTL, CTL, arg1, arg2, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	while (len + 1 < size && (n = read(p[0], out + len, size - 1 - len)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	/* every word read: the whole suite's sessions may be listed */
	LT_CHECK(len + 1 < size, "liveupdate-ctl %s printed more than %zu bytes", arg1, size);
	close(p[0]);
	LT_CHECK(waitpid(pid, &status, 0) == pid, "waitpid: %s", lt_errname(errno));
	LT_CHECK(WIFEXITED(status), "liveupdate-ctl died: status %d", status);
	return WEXITSTATUS(status);
}

/* liveupdate-ctl manifest --fd N with a duplicate of the session's fd. */
static void ctl_manifest(struct liveupdate_session *s, int want_rc, const char *want)
{
	static char out[64 * 1024];
	int fd = dup(liveupdate_session_get_fd(s)), rc; /* inherited: no O_CLOEXEC */
	char arg[32];

	LT_CHECK(fd >= 0, "dup: %s", lt_errname(errno));
	snprintf(arg, sizeof(arg), "--fd=%d", fd);
	rc = ctl(out, sizeof(out), "manifest", arg);
	close(fd);
	LT_CHECK(rc == want_rc, "liveupdate-ctl manifest %s exited %d, expected %d: %s", arg,
		 rc, want_rc, out);
	LT_CHECK(!want || strstr(out, want), "liveupdate-ctl manifest does not say \"%s\": %s",
		 want, out);
	lt_log("liveupdate-ctl manifest %s: exit %d%s%s", arg, rc, want ? ", says " : "",
	       want ? want : "");
}

/* status --json, printed for the host's check, must exit 0. */
static void print_json(void)
{
	static char out[64 * 1024];
	char *line, *save;
	int rc = ctl(out, sizeof(out), "status", "--json");

	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		lt_log("JSON %s", line);
	lt_log("JSON-END exit %d", rc);
	LT_CHECK(rc == 0, "liveupdate-ctl status --json exited %d", rc);
}

/* The probe on Linux 7.3: shmem and THP preservable, HugeTLB refused. */
static void check_backings(const struct liveupdate_state *st)
{
	enum liveupdate_memory_backing b;
	unsigned int i, hugetlb = 0;
	const char *why;
	uint64_t size;
	int ret;

	for (i = 0; (ret = liveupdate_state_get_backing(st, i, &b, &size, &why)) != -ENOENT; i++) {
		int want = b == LIVEUPDATE_MEMORY_HUGETLB ? 0 : 1;

		LT_CHECK(ret == want, "backing %s %llu: %d, expected %d (%s)",
			 liveupdate_memory_backing_name(b), (unsigned long long)size, ret,
			 want, why ? why : "");
		hugetlb += b == LIVEUPDATE_MEMORY_HUGETLB;
	}
	LT_CHECK(i >= 3 && hugetlb >= 1, "%u backings, %u HugeTLB: expected shmem, THP, "
		 "HugeTLB", i, hugetlb);
	lt_log("probed %u backings: shmem and THP preservable, HugeTLB refused", i);
}

static struct liveupdate_state *query(struct liveupdate_ctx *ctx)
{
	struct liveupdate_state *st = NULL;

	LT_OK(liveupdate_state_query(ctx, NULL, &st));
	LT_CHECK(liveupdate_state_get_avail(st) == LIVEUPDATE_AVAIL_YES, "availability %s: %s",
		 liveupdate_avail_name(liveupdate_state_get_avail(st)),
		 liveupdate_state_get_avail_text(st));
	LT_CHECK(!strcmp(liveupdate_state_get_kernel_release(st), uts.release),
		 "kernel release %s, uname says %s",
		 liveupdate_state_get_kernel_release(st), uts.release);
	LT_CHECK(liveupdate_state_get_luo_abi(st) &&
		 !strcmp(liveupdate_state_get_luo_abi(st), "luo-v5"), "LUO ABI %s: %s",
		 liveupdate_state_get_luo_abi(st),
		 liveupdate_state_get_missing(st, LIVEUPDATE_FACT_LUO_ABI));
	check_backings(st);
	return st;
}

static int stage1(void)
{
	struct liveupdate_ctx *ctx = lt_ctx_new();
	struct liveupdate_session *s = NULL;
	struct liveupdate_state *st = query(ctx);
	static char out[1024 * 1024];
	char want[128];

	LT_CHECK(liveupdate_state_get_boot(st) == LIVEUPDATE_BOOT_COLD, "boot %d: %s",
		 liveupdate_state_get_boot(st),
		 liveupdate_state_get_missing(st, LIVEUPDATE_FACT_BOOT));
	LT_CHECK(liveupdate_state_get_liveupdate_count(st) == 0, "live updates %lld",
		 (long long)liveupdate_state_get_liveupdate_count(st));
	LT_CHECK(liveupdate_state_get_kexec_count(st) == 0, "kexec count %lld",
		 (long long)liveupdate_state_get_kexec_count(st));
	LT_CHECK(liveupdate_state_get_previous_release(st) == NULL, "previous release %s",
		 liveupdate_state_get_previous_release(st));
	liveupdate_state_unref(st);

	LT_CHECK(ctl(out, sizeof(out), "status", NULL) == 0, "status: %s", out);
	LT_CHECK(strstr(out, "this boot:     cold boot"), "status says: %s", out);
	lt_log("RELEASE %s", uts.release);
	print_json();

	LT_OK(liveupdate_session_create(ctx, NAME, &s));
	/* labelled: a file preserved by token alone is not recorded */
	LIVEUPDATE_OPTS(liveupdate_preserve_opts, po, .token = TOKEN, .label = NAME,
			.flags = LIVEUPDATE_PRESERVE_TOKEN);
	LT_OK(liveupdate_session_preserve_fd_opts(s, lt_memfd(NAME, 1 << 20, 7), &po, NULL));
	/* the kernel hands out no file of an outgoing session: refused, exit 1 */
	ctl_manifest(s, 1, NULL);

	/* preflight sees the session by its /proc link, and this process
	 * holding the device (the context keeps it open) */
	ctl(out, sizeof(out), "preflight", NULL);
	snprintf(want, sizeof(want), "session " NAME " held by pid %d", (int)getpid());
	LT_CHECK(strstr(out, want), "preflight does not say \"%s\": %s", want, out);
	snprintf(want, sizeof(want), "PASS  device    held by pid %d", (int)getpid());
	LT_CHECK(strstr(out, want), "preflight does not say \"%s\": %s", want, out);
	LT_CHECK(strstr(out, "PASS  handover  this kernel hands over LUO ABI luo-v5"),
		 "preflight: %s", out);
	lt_log("preflight lists the session and the device's holder");

	lt_keep_fd(liveupdate_session_get_fd(s));
	return LT_CONTINUE;
}

static int stage2(void)
{
	struct liveupdate_ctx *ctx = lt_ctx_new();
	struct liveupdate_session *s = NULL;
	struct liveupdate_state *st = query(ctx);
	static char out[1024 * 1024];
	char want[128];
	int n, luo = -1, fd = -1;

	LT_CHECK(liveupdate_state_get_boot(st) == LIVEUPDATE_BOOT_LIVE_UPDATE, "boot %d: %s",
		 liveupdate_state_get_boot(st),
		 liveupdate_state_get_missing(st, LIVEUPDATE_FACT_BOOT));
	LT_CHECK(liveupdate_state_get_previous_release(st) &&
		 !strcmp(liveupdate_state_get_previous_release(st), uts.release),
		 "previous release %s", liveupdate_state_get_previous_release(st));
	LT_CHECK(liveupdate_state_get_liveupdate_count(st) == 1, "live updates %lld",
		 (long long)liveupdate_state_get_liveupdate_count(st));
	LT_CHECK(liveupdate_state_get_kexec_count(st) == 1, "kexec count %lld",
		 (long long)liveupdate_state_get_kexec_count(st));
	LT_CHECK(liveupdate_state_kho_compatible(st, LIVEUPDATE_KHO_IN) &&
		 !strcmp(liveupdate_state_kho_compatible(st, LIVEUPDATE_KHO_IN), "kho-v4"),
		 "incoming root %s: %s", liveupdate_state_kho_compatible(st, LIVEUPDATE_KHO_IN),
		 liveupdate_state_get_missing(st, LIVEUPDATE_FACT_KHO_IN));
	n = liveupdate_state_kho_count(st, LIVEUPDATE_KHO_IN);
	for (int i = 0; i < n; i++) {
		unsigned idx = (unsigned)i;

		lt_log("in: %s %lld bytes, format %s%s%s", liveupdate_state_kho_name(st, LIVEUPDATE_KHO_IN, idx),
		       (long long)liveupdate_state_kho_size(st, LIVEUPDATE_KHO_IN, idx),
		       liveupdate_state_kho_format(st, LIVEUPDATE_KHO_IN, idx) ?: "none",
		       liveupdate_state_kho_note(st, LIVEUPDATE_KHO_IN, idx) ? ": " : "",
		       liveupdate_state_kho_note(st, LIVEUPDATE_KHO_IN, idx) ?: "");
		if (!strcmp(liveupdate_state_kho_name(st, LIVEUPDATE_KHO_IN, idx), "LUO"))
			luo = i;
	}
	LT_CHECK(luo >= 0, "no LUO subtree in the incoming tree");
	LT_CHECK(!liveupdate_state_kho_format(st, LIVEUPDATE_KHO_IN, (unsigned)luo) &&
		 strstr(liveupdate_state_kho_note(st, LIVEUPDATE_KHO_IN, (unsigned)luo), "stale"),
		 "the incoming LUO blob was not reported as stale");
	liveupdate_state_unref(st);

	LT_CHECK(ctl(out, sizeof(out), "status", NULL) == 0, "status: %s", out);
	snprintf(want, sizeof(want), "after live update #1 from %s", uts.release);
	LT_CHECK(strstr(out, want), "status does not say \"%s\": %s", want, out);
	lt_log("status says \"%s\"", want);
	lt_log("RELEASE %s", uts.release);
	print_json();

	LT_OK(liveupdate_session_retrieve(ctx, NAME, &s));
	/* another process prints the incoming session's manifest from an fd */
	ctl_manifest(s, 0, "session \"" NAME "\" incoming");
	snprintf(want, sizeof(want), "file token=%d label=\"%s\" kind=memfd size=%d", TOKEN,
		 NAME, 1 << 20);
	ctl_manifest(s, 0, want);
	LT_OK(liveupdate_session_retrieve_fd(s, TOKEN, &fd));
	lt_check_memfd(fd, 1 << 20, 7, "the carried memfd");
	LT_OK(liveupdate_session_finish(s));
	close(fd);
	liveupdate_session_unref(s);
	liveupdate_ctx_unref(ctx);
	lt_pass("available and cold, then after live update #1 from %s; JSON printed",
		uts.release);
}

static int run(int stage)
{
	uname(&uts);
	return stage == 1 ? stage1() : stage2();
}

LT_SCENARIO(lib_state, NAME, run, 0);
