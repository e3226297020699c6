/*
 * qemu-kexec: a QEMU guest kept running across real kexecs by the patched
 * QEMU (integrations/qemu/: memory-backend-liveupdate, which links
 * libliveupdate.so.1), nested in this VM under TCG; once with the guest
 * RAM in 4 KiB pages (backing=shmem), once in THP (backing=thp).
 *
 * run-vm.sh puts the QEMU, its shared libraries, its firmware and the
 * boot-sector guest of tests/qemu/guest.S into /qemu (qemu-payload.sh).
 * The guest prints "L=<line> S=<sum of a 64 KiB region> OK" at each timer
 * tick (tests/qemu/guest.S says how); the sums are recomputed here.
 *
 * Stage 1 (4K) and stage 2 (THP): QEMU starts with new memory ("new" in
 * its log), the guest counts; then, as doc/qemu.md says, x-ignore-shared,
 * migrate into a memfd (the pause) and keep that memfd in the RAM's
 * session (save-state). The state must be under 1 MiB (the RAM was not
 * copied). The guest's last line and a checksum of all 256 MiB of its
 * RAM (read through QEMU's memfd, the guest stopped) go to the next stage;
 * the RAM must be all in huge pages with THP, none with 4 KiB pages.
 * QEMU stays, holding its session, until the harness kexecs.
 * Stages 2 and 3: a new QEMU with require-kept=on, -S and -incoming defer
 * takes the memory back by label ("kept" in its log) and loads the state
 * kept in the session; the RAM checksum must be the one before the kexec,
 * the RAM in the same pages;
 * then cont, and the guest's lines must go on from the next number, every
 * sum right, without a boot.
 *
 * Downtime, split as lib-blackout's (blackout-split.sh, from the SPLIT and
 * MARK lines): before the reboot (migrate, keep the state), the kexec and
 * the new kernel's boot (host clock), QEMU's start and the restore to
 * cont. The RAM checksum between the restore and cont is not counted.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "lutest.h"
#include "qemu-qmp.h"

#define QDIR "/qemu"
#define QEMU QDIR "/qemu-system-x86_64"
#define WORK "/tmp/qemu-kexec"
#define RAM_BYTES (256ull << 20)
#define STATE_MAX (1ull << 20)
#define HUGE_PAGE (2ull << 20)
#define LINES_BEFORE 10	/* lines the guest prints before each pause */
#define LINES_AFTER 10	/* and after each resume */

static const struct {
	const char *name, *backing, *session;
} variants[] = {
	{ "4K", "shmem", "qemu-kexec-4k" },
	{ "THP", "thp", "qemu-kexec-thp" },
};

/* The QEMU this stage runs. */
static struct {
	pid_t pid;
	char name[16], serial[64], log[64], qmp[64];
	struct qmp q;
} vm = { .pid = -1, .q = { .fd = -1 } };

/* Fail the scenario: QEMU's log into ours, and QEMU gone. */
__attribute__((noreturn, format(printf, 1, 2))) static void vm_fail(const char *fmt, ...)
{
	char msg[2048], line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	FILE *f = vm.name[0] ? fopen(vm.log, "re") : NULL;
	while (f && fgets(line, sizeof(line), f))
		lt_log("qemu %s: %s", vm.name, line);
	if (f)
		fclose(f);
	if (vm.pid > 0)
		kill(vm.pid, SIGKILL);
	lt_fail("%s", msg);
}

#define VM_CHECK(cond, ...)						\
	do {								\
		if (!(cond))						\
			vm_fail(__VA_ARGS__);				\
	} while (0)

static double ms(uint64_t a, uint64_t b)
{
	return (b - a) / 1e6;
}

/* A timing mark, on the console before this returns (the host stamps it). */
static void mark(const char *what, const char *variant)
{
	lt_log("MARK %s %s", what, variant);
	tcdrain(1);
}

/* The whole file (NUL-terminated), or NULL. */
static char *slurp(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t len = 0, cap = 65536;
	char *buf = malloc(cap + 1);
	ssize_t n;

	if (fd < 0 || !buf) {
		if (fd >= 0)
			close(fd);
		free(buf);
		return NULL;
	}
	while ((n = read(fd, buf + len, cap - len)) > 0) {
		len += n;
		if (len == cap && !(buf = realloc(buf, (cap *= 2) + 1)))
			break;
	}
	close(fd);
	if (buf)
		buf[len] = 0;
	return buf;
}

/* Start QEMU on variant v's RAM; after an update, with the memory and the
 * state kept (stopped until cont). Returns once QMP answers. */
static void vm_start(const char *name, int v, int after_update)
{
	char ram[256], why[256];

	mkdir("/tmp", 01777);
	mkdir(WORK, 0700);
	snprintf(vm.name, sizeof(vm.name), "%s", name);
	snprintf(vm.serial, sizeof(vm.serial), WORK "/%s.serial", name);
	snprintf(vm.log, sizeof(vm.log), WORK "/%s.log", name);
	snprintf(vm.qmp, sizeof(vm.qmp), WORK "/%s.qmp", name);
	snprintf(ram, sizeof(ram), "memory-backend-liveupdate,id=ram0,size=%llu,session=%s,"
		 "backing=%s%s", RAM_BYTES, variants[v].session, variants[v].backing,
		 after_update ? ",require-kept=on" : "");
	unlink(vm.qmp);
	char serial[128], qmp[128];
	snprintf(serial, sizeof(serial), "file:%s", vm.serial);
	snprintf(qmp, sizeof(qmp), "unix:%s,server=on,wait=off", vm.qmp);
	const char *argv[] = {
		QEMU, "-L", QDIR "/share", "-accel", "tcg,tb-size=64", "-nodefaults", "-display", "none",
		"-machine", "pc,memory-backend=ram0", "-m", "256M", "-object", ram,
		"-drive", "file=" QDIR "/guest.img,format=raw,if=ide",
		"-serial", serial, "-qmp", qmp,
		/* after an update only: stopped, the state to come by QMP */
		after_update ? "-S" : NULL, "-incoming", "defer", NULL,
	};

	vm.pid = fork();
	LT_CHECK(vm.pid >= 0, "fork: %s", lt_errname(errno));
	if (vm.pid == 0) {
		int out = open(vm.log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
		/* qmp_open() reports the exit status, the log the rest */
		if (out < 0 || in < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
			_exit(126);
		setenv("LD_LIBRARY_PATH", QDIR "/lib", 1);
		execv(QEMU, (char **)argv);
		fprintf(stderr, "exec %s: %s\n", QEMU, strerror(errno));
		_exit(127);
	}
	if (qmp_open(&vm.q, vm.qmp, vm.pid, 300, why, sizeof(why)) < 0)
		vm_fail("QEMU %s: %s", name, why);
}

/* Quit QEMU and wait for it. */
static void vm_quit(void)
{
	char reply[512];
	int st;

	qmp_cmd(&vm.q, -1, reply, sizeof(reply), "{\"execute\": \"quit\"}");
	qmp_close(&vm.q);
	while (waitpid(vm.pid, &st, 0) < 0 && errno == EINTR)
		;
	vm.pid = -1;
}

/* QMP command that must succeed; its reply in reply. */
#define VM_QMP(reply, fd, ...)						\
	do {								\
		if (qmp_cmd(&vm.q, fd, reply, sizeof(reply), __VA_ARGS__) < 0) \
			vm_fail("QEMU %s: %s: %s", vm.name, #__VA_ARGS__, reply); \
	} while (0)

static void wait_migration(void)
{
	char reply[4096], status[32];

	for (int i = 0; i < 60000; i++) {
		VM_QMP(reply, -1, "{\"execute\": \"query-migrate\"}");
		if (!qmp_str(reply, "status", status, sizeof(status)))
			status[0] = 0;
		if (!strcmp(status, "completed"))
			return;
		VM_CHECK(strcmp(status, "failed") && strcmp(status, "cancelled"),
			 "QEMU %s: migration %s: %s", vm.name, status, reply);
		usleep(5000);
	}
	vm_fail("QEMU %s: migration not completed within 5 minutes", vm.name);
}

static void ignore_shared(void)
{
	char reply[512];

	VM_QMP(reply, -1, "{\"execute\": \"migrate-set-capabilities\", \"arguments\": "
	       "{\"capabilities\": [{\"capability\": \"x-ignore-shared\", \"state\": true}]}}");
}

/* QEMU's log has a line with this text; that line goes into ours. */
static void expect_log(const char *text)
{
	char *log = slurp(vm.log), *p = log ? strstr(log, text) : NULL;

	VM_CHECK(p, "QEMU %s: no '%s' in its log", vm.name, text);
	while (p > log && p[-1] != '\n')
		p--;
	lt_log("qemu %s: %.*s", vm.name, (int)strcspn(p, "\n"), p);
	free(log);
}

/* ShmemPmdMapped of this process, in bytes: the guest RAM mapped by
 * ram_checksum() is its only shared memory. */
static uint64_t pmd_mapped(void)
{
	FILE *f = fopen("/proc/self/smaps_rollup", "re");
	char line[256];
	unsigned long long kb = 0;
	int found = 0;

	while (f && !found && fgets(line, sizeof(line), f))
		found = sscanf(line, "ShmemPmdMapped: %llu kB", &kb) == 1;
	if (f)
		fclose(f);
	VM_CHECK(found, "no ShmemPmdMapped in /proc/self/smaps_rollup");
	return kb << 10;
}

/*
 * The guest RAM, read through QEMU's memfd (the guest stopped): its
 * checksum, and in *huge how much of it the kernel mapped with whole huge
 * pages (read at a 2 MiB-aligned address, each huge page maps with one PMD).
 */
static uint64_t ram_checksum(uint64_t *huge)
{
	char dir[64], path[320];
	uint64_t sum = 0;
	int found = 0;
	struct dirent *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", vm.pid);
	DIR *dp = opendir(dir);
	VM_CHECK(dp, "%s: %s", dir, lt_errname(errno));
	while (!found && (d = readdir(dp))) {
		struct stat st;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		/* a file without a name ("/memfd:ram0 (deleted)" as created,
		 * "/ (deleted)" as the kernel gives it back after a kexec) */
		if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink ||
		    (uint64_t)st.st_size != RAM_BYTES)
			continue;
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		char *room = mmap(NULL, RAM_BYTES + HUGE_PAGE, PROT_NONE,
				  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		void *at = (void *)(((uintptr_t)room + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
		void *p = fd >= 0 && room != MAP_FAILED ?
			mmap(at, RAM_BYTES, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0) : MAP_FAILED;
		VM_CHECK(p != MAP_FAILED, "mapping QEMU's RAM %s: %s", path, lt_errname(errno));
		sum = lt_fnv1a64(p, RAM_BYTES);
		*huge = pmd_mapped();
		munmap(room, RAM_BYTES + HUGE_PAGE);
		close(fd);
		found = 1;
	}
	closedir(dp);
	VM_CHECK(found, "QEMU %s has no memfd of %llu bytes (its guest RAM)", vm.name, RAM_BYTES);
	return sum;
}

/* Variant v's RAM is in the pages it asked for: all huge, or none. */
static void check_pages(int v, uint64_t huge, const char *when)
{
	int thp = !strcmp(variants[v].backing, "thp");

	VM_CHECK(huge == (thp ? RAM_BYTES : 0), "%s %s: %llu of %llu bytes of guest RAM in huge "
		 "pages", variants[v].name, when, (unsigned long long)huge, RAM_BYTES);
}

/* The sum of the guest's region after line n, computed as guest.S does:
 * step k (1, 2, ...) writes (k * 40503) & 0xffff at word k % 32768, 64
 * steps per line. */
static uint32_t region_sum(uint64_t n)
{
	int64_t steps = 64 * (int64_t)n;
	uint32_t sum = 0;

	for (int64_t w = 0; w < 32768; w++) {
		int64_t k = steps - (((steps - w) % 32768) + 32768) % 32768;
		if (k >= 1)
			sum += (uint32_t)((k * 40503) & 0xffff);
	}
	return sum;
}

/*
 * Check the guest's output text: complete lines only, each "L=n S=s OK",
 * consecutive from first (0: any), the first and the last sum the ones
 * their numbers imply. Returns the last line's number and sets *tail to
 * the text after the last newline (a line the pause cut).
 */
static uint64_t check_lines(const char *text, uint64_t first, const char **tail)
{
	uint64_t prev = 0, n = 0, count = 0;
	uint32_t s = 0;
	const char *p = text, *nl;

	for (; (nl = strchr(p, '\n')); p = nl + 1) {
		char ok[8] = "";
		int len = (int)(nl - p);
		if (len && p[len - 1] == '\r')
			len--;
		if (len == 4 && !strncmp(p, "BOOT", 4)) {
			VM_CHECK(first == 0, "the guest booted again after the update");
			continue;
		}
		VM_CHECK(sscanf(p, "L=%8" SCNx64 " S=%8" SCNx32 " %3s", &n, &s, ok) == 3 &&
			 !strcmp(ok, "OK"), "the guest printed '%.*s'", len, p);
		if (count == 0) {
			VM_CHECK(!first || n == first, "the guest's first line is %" PRIu64 ", want %"
				 PRIu64, n, first);
			VM_CHECK(s == region_sum(n), "line %" PRIu64 ": sum %08x, want %08x", n, s,
				 region_sum(n));
		} else {
			VM_CHECK(n == prev + 1, "line %" PRIu64 " follows line %" PRIu64, n, prev);
		}
		prev = n;
		count++;
	}
	VM_CHECK(count > 0, "the guest printed no line");
	VM_CHECK(s == region_sum(n), "line %" PRIu64 ": sum %08x, want %08x", n, s, region_sum(n));
	*tail = p;
	return n;
}

/* Until the guest printed @lines complete lines. */
static void wait_lines(uint64_t lines)
{
	for (int i = 0; i < 3000; i++) {
		char *text = slurp(vm.serial);
		uint64_t n = 0;
		for (const char *p = text; p && (p = strstr(p, "L=")); p++)
			n += strchr(p, '\n') != NULL;
		free(text);
		if (n >= lines)
			return;
		usleep(100000);
	}
	vm_fail("QEMU %s: the guest printed fewer than %" PRIu64 " lines in 300 s", vm.name, lines);
}

/* Start variant v's guest, let it count, save it into its session. */
static int run_and_save(int v)
{
	char reply[1024], old[16];
	const char *tail;
	struct stat st;

	if (!strcmp(variants[v].backing, "thp"))
		lt_write_text(LT_SHMEM_THP, "advise");
	snprintf(old, sizeof(old), "%s-old", variants[v].name);
	uint64_t t0 = lt_now_ns();
	vm_start(old, v, 0);
	expect_log("'ram0': new 268435456 bytes, backing ");
	wait_lines(LINES_BEFORE);
	lt_log("%s: %llu MiB of RAM given to QEMU: started, and the guest printed %d lines, in %.0f ms",
	       variants[v].name, RAM_BYTES >> 20, LINES_BEFORE, ms(t0, lt_now_ns()));

	int state = memfd_create("qemu-device-state", MFD_CLOEXEC);
	VM_CHECK(state >= 0, "memfd_create: %s", lt_errname(errno));
	ignore_shared();
	VM_QMP(reply, state, "{\"execute\": \"getfd\", \"arguments\": {\"fdname\": \"lu-state\"}}");
	mark("pause", variants[v].name);
	uint64_t p0 = lt_now_ns();
	VM_QMP(reply, -1, "{\"execute\": \"migrate\", \"arguments\": {\"uri\": \"fd:lu-state\"}}");
	wait_migration();
	uint64_t p1 = lt_now_ns();
	VM_QMP(reply, state, "{\"execute\": \"getfd\", \"arguments\": {\"fdname\": \"lu-keep\"}}");
	VM_QMP(reply, -1, "{\"execute\": \"qom-set\", \"arguments\": {\"path\": \"/objects/ram0\", "
	       "\"property\": \"save-state\", \"value\": \"lu-keep\"}}");
	uint64_t p2 = lt_now_ns();
	mark("ready", variants[v].name);
	lt_log("SPLIT %s before-reboot migrate %.1f keep-state %.1f total %.1f ms "
	       "(guest CLOCK_MONOTONIC, TCG)", variants[v].name, ms(p0, p1), ms(p1, p2), ms(p0, p2));

	VM_CHECK(fstat(state, &st) == 0 && st.st_size > 0, "no device state written");
	VM_CHECK((uint64_t)st.st_size < STATE_MAX, "%lld bytes of device state for %llu MiB of "
		 "RAM: the RAM was copied", (long long)st.st_size, RAM_BYTES >> 20);
	close(state);
	expect_log("device state preserved");
	char *text = slurp(vm.serial);
	VM_CHECK(text, "%s: %s", vm.serial, lt_errname(errno));
	uint64_t last = check_lines(text, 0, &tail);
	VM_CHECK(!strchr(tail, '\t'), "the guest printed a tab");
	uint64_t huge, sum = ram_checksum(&huge);
	check_pages(v, huge, "before the kexec");
	lt_state_put("line", "%" PRIu64, last);
	lt_state_put("tail", "%s", tail);
	lt_state_put("ram", "%" PRIu64, sum);
	lt_log("%s: paused after line %" PRIu64 ", %lld bytes of device state kept in session "
	       "'%s'; RAM checksum %#" PRIx64 ", %llu MiB of it in huge pages; QEMU holds the "
	       "session until the kexec", variants[v].name, last, (long long)st.st_size,
	       variants[v].session, sum, (unsigned long long)huge >> 20);
	free(text);
	qmp_close(&vm.q);
	return LT_CONTINUE;
}

/* Take variant v's guest back after the kexec and prove it went on. */
static void restore_and_check(int v)
{
	char reply[1024], uri[128], name[16];
	const char *tail;
	uint64_t line = lt_state_get_u64("line"), sum = lt_state_get_u64("ram");
	const char *cut = lt_state_get("tail");
	char *before = strdup(cut ? cut : "");

	snprintf(name, sizeof(name), "%s-new", variants[v].name);
	mark("retrieve", variants[v].name);
	uint64_t r0 = lt_now_ns();
	vm_start(name, v, 1);
	uint64_t r1 = lt_now_ns();
	VM_QMP(reply, -1, "{\"execute\": \"qom-get\", \"arguments\": {\"path\": \"/objects/ram0\", "
	       "\"property\": \"incoming-state\"}}");
	VM_CHECK(qmp_str(reply, "return", uri, sizeof(uri)) && uri[0],
		 "the session kept no device state: %s", reply);
	ignore_shared();
	VM_QMP(reply, -1, "{\"execute\": \"migrate-incoming\", \"arguments\": {\"uri\": \"%s\"}}", uri);
	wait_migration();
	uint64_t r2 = lt_now_ns();
	uint64_t huge, now = ram_checksum(&huge);
	uint64_t r3 = lt_now_ns();
	VM_QMP(reply, -1, "{\"execute\": \"cont\"}");
	uint64_t r4 = lt_now_ns();
	mark("resumed", variants[v].name);
	lt_log("SPLIT %s after-boot qemu-start %.1f restore %.1f cont %.1f total %.1f ms "
	       "(guest CLOCK_MONOTONIC, TCG; not counted: the test's RAM checksum before cont, "
	       "%.0f ms)", variants[v].name, ms(r0, r1), ms(r1, r2), ms(r3, r4),
	       ms(r0, r2) + ms(r3, r4), ms(r2, r3));
	expect_log("'ram0': kept 268435456 bytes, backing ");
	expect_log("device state kept");
	VM_CHECK(now == sum, "%s: RAM checksum %#" PRIx64 " after the update, %#" PRIx64
		 " before", variants[v].name, now, sum);
	check_pages(v, huge, "after the kexec");

	wait_lines(LINES_AFTER);
	char *after = slurp(vm.serial);
	VM_CHECK(after, "%s: %s", vm.serial, lt_errname(errno));
	char *text = malloc(strlen(before) + strlen(after) + 1);
	strcpy(stpcpy(text, before), after);
	uint64_t last = check_lines(text, line + 1, &tail);
	lt_log("%s: the guest went on: line %" PRIu64 " before the kexec, lines %" PRIu64
	       " to %" PRIu64 " after, every sum right; the RAM checksum %#" PRIx64 " unchanged, "
	       "%llu MiB of it in huge pages", variants[v].name, line, line + 1, last, sum,
	       (unsigned long long)huge >> 20);
	free(text);
	free(after);
	free(before);
	vm_quit();
}

/* The QEMU in /qemu links libliveupdate.so.1 from /qemu/lib (ld.so --list,
 * which is what ldd runs). */
static void check_linked(void)
{
	int p[2];
	char out[4096] = "";
	size_t len = 0;
	ssize_t n;

	LT_CHECK(pipe2(p, O_CLOEXEC) == 0, "pipe: %s", lt_errname(errno));
	pid_t pid = fork();
	LT_CHECK(pid >= 0, "fork: %s", lt_errname(errno));
	if (pid == 0) {
		dup2(p[1], 1);
		setenv("LD_LIBRARY_PATH", QDIR "/lib", 1);
		execl("/lib64/ld-linux-x86-64.so.2", "ld.so", "--list", QEMU, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	while (len < sizeof(out) - 1 && (n = read(p[0], out + len, sizeof(out) - 1 - len)) > 0)
		len += n;
	out[len] = 0;
	close(p[0]);
	waitpid(pid, NULL, 0);
	char *l = strstr(out, "libliveupdate.so.1 => ");
	LT_CHECK(l, "ld.so --list %s shows no libliveupdate.so.1: %s", QEMU, out);
	lt_log("ldd %s: %.*s", QEMU, (int)strcspn(l, "\n"), l);
}

static int run(int stage)
{
	if (stage == 1) {
		if (access(QEMU, X_OK) < 0)
			lt_skip("no %s in the guest (run-vm.sh says why on the host)", QEMU);
		check_linked();
		return run_and_save(0);
	}
	restore_and_check(stage - 2);
	if (stage == 2)
		return run_and_save(1);
	lt_pass("a QEMU guest went on across two real kexecs, RAM in 4 KiB pages then THP: "
		"memory kept by label, device state from the session, lines and RAM checksums "
		"unbroken");
}

LT_SCENARIO(qemu_kexec, "qemu-kexec", run, 600);
