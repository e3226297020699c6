/*
 * lutest-sd: the real-systemd scenario's programs, one static binary run
 * by the units of tests/vm/systemd/ inside a VM whose PID 1 is Debian's
 * systemd.
 *
 *   lutest-sd service   lutest-fdstore.service. Without fds from systemd:
 *                       make "guest RAM" with the library's memory helper
 *                       (liveupdate_memory_new, AUTO) and an outgoing
 *                       session holding a "device state" memfd, push both
 *                       to the fd store. With them (after the kexec): wrap
 *                       the RAM with liveupdate_memory_from_fd, check every
 *                       byte.
 *   lutest-sd luosession  lutest-luosession.service (LUOSession=vmm, systemd
 *                       262): the session systemd made for the unit; keep a
 *                       memfd in it, and after the kexec check it.
 *   lutest-sd limits    lutest-limits.service (FileDescriptorStoreMax=1) and
 *   lutest-sd nostore   lutest-nostore.service (no store): what the library
 *                       and systemd say to one fd too many, and to a push
 *                       into a disabled store (first boot only).
 *   lutest-sd manifest  lutest-manifest.service, whose two ExecStart= lines
 *                       play a service and its restart: the first labels
 *                       guest RAM in a session and pushes the session (its
 *                       manifest with it); the second adopts the outgoing
 *                       session from the store, finds the label and labels
 *                       more (a new manifest piece among them). After the
 *                       kexec: every label of both, byte-exact.
 *   lutest-sd kexec     lutest-kexec.service, the operator: load the next
 *                       kernel (lutest.stage=2), then `systemctl kexec`.
 *
 * Lines on stdout (the units send them to the console):
 *   LUTEST-LOG systemd-fdstore s<stage>: <what happened>
 *   LUTEST systemd-fdstore PASS|FAIL s<stage>: <message>   (PASS only in s2)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <unistd.h>

#include <liveupdate/liveupdate.h>

#define SCENARIO "systemd-fdstore"
#define RAM_NAME "guest-ram"            /* a memory object, kept by systemd's session */
#define SESSION_FDNAME "vmm-session"    /* our own session, carried as itself */
#define SESSION_NAME "lutest-vmm"
#define STATE_TOKEN 7
#define RAM_SIZE (32u << 20)
#define STATE_SIZE (4u << 20)
#define RAM_SEED 0x5eed0001u
#define STATE_SEED 0x5eed0002u
#define STAGE1_OK "/run/lutest-stage1-ok"

static int stage = 1;
static const char *scenario = SCENARIO;

static void note(const char *fmt, ...)
{
	va_list ap;

	printf("LUTEST-LOG %s s%d: ", scenario, stage);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void verdict(int pass, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printf("LUTEST %s %s s%d: %s\n", scenario, pass ? "PASS" : "FAIL", stage, msg);
	fflush(stdout);
}

static void fail(const char *what, int r)
{
	verdict(0, "%s: %s (%s)", what, strerror(-r), liveupdate_last_error());
	exit(1);
}

static void lib_log(void *data, int priority, const char *file, int line,
		    const char *fn, const char *format, va_list args)
{
	char msg[1024];

	(void)data, (void)file, (void)line, (void)fn;
	vsnprintf(msg, sizeof(msg), format, args);
	note("libliveupdate[%d]: %s", priority, msg);
}

/* Byte i of the pattern for @seed: cheap, and differs for every seed. */
static uint8_t pattern(uint64_t i, uint32_t seed)
{
	uint64_t x = (i >> 3) * 0x9e3779b97f4a7c15ull ^ seed;

	x ^= x >> 29;
	return (uint8_t)(x >> (8 * (i & 7)));
}

static uint8_t *map(int fd, size_t size, int prot)
{
	void *p = mmap(NULL, size, prot, MAP_SHARED, fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

static int pattern_memfd(const char *name, size_t size, uint32_t seed)
{
	int fd = memfd_create(name, MFD_CLOEXEC);
	uint8_t *p;

	if (fd < 0 || ftruncate(fd, (off_t)size) < 0)
		fail(name, -errno);
	p = map(fd, size, PROT_READ | PROT_WRITE);
	if (!p)
		fail(name, -errno);
	for (size_t i = 0; i < size; i++)
		p[i] = pattern(i, seed);
	munmap(p, size);
	return fd;
}

static void show_memory(const char *what, struct liveupdate_memory *mem)
{
	note("%s: %llu MiB of %s (%llu KiB pages): %s", what,
	     (unsigned long long)(liveupdate_memory_get_size(mem) >> 20),
	     liveupdate_memory_backing_name(liveupdate_memory_get_backing(mem)),
	     (unsigned long long)(liveupdate_memory_get_page_size(mem) >> 10),
	     liveupdate_memory_get_reason(mem));
}

/* Guest RAM as a VMM makes it: the memory helper with AUTO, patterned. */
static struct liveupdate_memory *guest_ram_new(struct liveupdate_ctx *ctx)
{
	LIVEUPDATE_OPTS(liveupdate_memory_opts, o, .size = RAM_SIZE,
			.backing = LIVEUPDATE_MEMORY_AUTO, .name = RAM_NAME);
	struct liveupdate_memory *mem = NULL;
	uint8_t *p;
	int r;

	r = liveupdate_memory_new(ctx, &o, &mem);
	if (r < 0)
		fail("liveupdate_memory_new", r);
	r = liveupdate_memory_map(mem, (void **)&p);
	if (r < 0)
		fail("liveupdate_memory_map", r);
	for (size_t i = 0; i < RAM_SIZE; i++)
		p[i] = pattern(i, RAM_SEED);
	show_memory("guest RAM made by liveupdate_memory_new(AUTO)", mem);
	return mem;
}

/* Every byte against the pattern; a FAIL verdict and exit if not. */
static void check_bytes(const char *what, const uint8_t *p, size_t size, uint32_t seed)
{
	for (size_t i = 0; i < size; i++)
		if (p[i] != pattern(i, seed)) {
			verdict(0, "%s: byte %zu of %zu differs", what, i, size);
			exit(1);
		}
	note("%s: all %zu bytes intact", what, size);
}

/* Every byte of @fd against the pattern; a FAIL verdict and exit if not. */
static void check_memfd(const char *what, int fd, size_t size, uint32_t seed)
{
	struct stat st;
	uint8_t *p;

	if (fstat(fd, &st) < 0)
		fail(what, -errno);
	if ((size_t)st.st_size != size) {
		verdict(0, "%s: %lld bytes, want %zu", what, (long long)st.st_size, size);
		exit(1);
	}
	p = map(fd, size, PROT_READ);
	if (!p)
		fail(what, -errno);
	check_bytes(what, p, size, seed);
	munmap(p, size);
}

/* The same through the memory object's own mapping. */
static void check_memory(const char *what, struct liveupdate_memory *mem, size_t size,
			 uint32_t seed)
{
	uint8_t *p;
	int r;

	if (liveupdate_memory_get_size(mem) != size) {
		verdict(0, "%s: %llu bytes, want %zu", what,
			(unsigned long long)liveupdate_memory_get_size(mem), size);
		exit(1);
	}
	r = liveupdate_memory_map(mem, (void **)&p);
	if (r < 0)
		fail("liveupdate_memory_map", r);
	check_bytes(what, p, size, seed);
}

static int stage_from_cmdline(void)
{
	char buf[4096] = "";
	FILE *f = fopen("/proc/cmdline", "r");

	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = '\0';
		fclose(f);
	}
	return strstr(buf, "lutest.stage=2") ? 2 : 1;
}

static void show_fd(const char *what, int fd)
{
	char path[64], link[256];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = '\0';
	note("%s: fd %d -> %s", what, fd, link);
}

static struct liveupdate_ctx *new_ctx(void)
{
	struct liveupdate_ctx *ctx = NULL;
	int r = liveupdate_ctx_new(NULL, &ctx);

	if (r < 0)
		fail("liveupdate_ctx_new", r);
	liveupdate_ctx_set_log_fn(ctx, lib_log, NULL);
	note("LISTEN_FDS=%s LISTEN_FDNAMES=%s", getenv("LISTEN_FDS") ?: "(unset)",
	     getenv("LISTEN_FDNAMES") ?: "(unset)");
	return ctx;
}

/* The session systemd passed as @fdname, said out loud. */
static struct liveupdate_session *adopt(struct liveupdate_ctx *ctx, const char *fdname)
{
	struct liveupdate_session *s = NULL;
	int r = liveupdate_fdstore_adopt_session(ctx, fdname, &s);

	if (r < 0)
		fail("liveupdate_fdstore_adopt_session", r);
	show_fd(fdname, liveupdate_session_get_fd(s));
	note("'%s' is session '%s', %s", fdname, liveupdate_session_get_name(s),
	     liveupdate_session_get_direction(s) == LIVEUPDATE_SESSION_INCOMING
		     ? "incoming" : "outgoing");
	return s;
}

/* After the update: finish incoming session @s and drop systemd's copy of
 * it (@fdname) from the store. */
static void finish_and_remove(struct liveupdate_ctx *ctx, struct liveupdate_session *s,
			      const char *fdname)
{
	int r = liveupdate_session_finish(s);

	if (r < 0)
		fail("liveupdate_session_finish", r);
	r = liveupdate_fdstore_remove(ctx, fdname, NULL);
	if (r < 0)
		fail("liveupdate_fdstore_remove", r);
}

/*
 * After the update: check the memfd at @token of incoming session @s, finish
 * @s and drop systemd's copy of it (@fdname) from the store.
 */
static void take_back(struct liveupdate_ctx *ctx, struct liveupdate_session *s,
		      const char *fdname, uint64_t token, size_t size, uint32_t seed)
{
	char what[128];
	int fd, r;

	r = liveupdate_session_retrieve_fd(s, token, &fd);
	if (r < 0)
		fail("liveupdate_session_retrieve_fd", r);
	snprintf(what, sizeof(what), "'%s' token %llu", fdname, (unsigned long long)token);
	check_memfd(what, fd, size, seed);
	close(fd);
	finish_and_remove(ctx, s, fdname);
}

/* Before the update: guest RAM and a session into the fd store. */
static int service_first_start(struct liveupdate_ctx *ctx)
{
	LIVEUPDATE_OPTS(liveupdate_fdstore_opts, sync, .barrier_ms = 10000);
	struct liveupdate_session *session = NULL;
	struct liveupdate_memory *mem;
	int ram, state, r, limit;

	limit = liveupdate_fdstore_limit(ctx);
	if (limit < 0)
		fail("liveupdate_fdstore_limit", limit);
	note("fd store limit (FileDescriptorStoreMax=): %d; NOTIFY_SOCKET=%s",
	     limit, getenv("NOTIFY_SOCKET"));
	mem = guest_ram_new(ctx);
	ram = liveupdate_memory_get_fd(mem);
	state = pattern_memfd("device-state", STATE_SIZE, STATE_SEED);

	r = liveupdate_session_create(ctx, SESSION_NAME, &session);
	if (r < 0)
		fail("liveupdate_session_create", r);
	r = liveupdate_session_preserve_fd(session, state, STATE_TOKEN);
	if (r < 0)
		fail("liveupdate_session_preserve_fd", r);
	/* systemd-shutdown opens /dev/liveupdate itself: let go of it */
	liveupdate_ctx_close_device(ctx);
	show_fd("guest RAM", ram);
	show_fd("our session", liveupdate_session_get_fd(session));

	r = liveupdate_fdstore_push(ctx, ram, RAM_NAME, &sync);
	if (r < 0)
		fail("liveupdate_fdstore_push(" RAM_NAME ")", r);
	r = liveupdate_fdstore_push_session(ctx, session, SESSION_FDNAME, &sync);
	if (r < 0)
		fail("liveupdate_fdstore_push_session(" SESSION_FDNAME ")", r);
	note("pushed '%s' (%u MiB memory object) and '%s' (session '%s', %u MiB memfd at token %d)",
	     RAM_NAME, RAM_SIZE >> 20, SESSION_FDNAME, SESSION_NAME,
	     STATE_SIZE >> 20, STATE_TOKEN);
	close(open(STAGE1_OK, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
	/* the verdict comes after the update; this is only the first half */
	note("guest RAM and session '%s' are in systemd's fd store", SESSION_NAME);
	/* systemd holds duplicates: ours may go */
	liveupdate_session_unref(session);
	close(state);
	liveupdate_memory_unref(mem);	/* unmaps, closes ram */
	return 0;
}

/* After the update: both back by name, every byte checked. */
static int service_after_update(struct liveupdate_ctx *ctx, int ram)
{
	struct liveupdate_session *session;
	struct liveupdate_memory *mem = NULL;
	int r;

	show_fd("guest RAM from systemd", ram);
	r = liveupdate_memory_from_fd(ctx, ram, &mem);
	if (r < 0)
		fail("liveupdate_memory_from_fd", r);
	show_memory("guest RAM wrapped by liveupdate_memory_from_fd", mem);
	check_memory("guest RAM '" RAM_NAME "'", mem, RAM_SIZE, RAM_SEED);
	liveupdate_memory_unref(mem);	/* closes ram */
	session = adopt(ctx, SESSION_FDNAME);
	take_back(ctx, session, SESSION_FDNAME, STATE_TOKEN, STATE_SIZE, STATE_SEED);
	verdict(1, "after the kexec systemd handed back '%s' (%u MiB) and session '%s' "
		"(%u MiB at token %d): every byte intact", RAM_NAME, RAM_SIZE >> 20,
		liveupdate_session_get_name(session), STATE_SIZE >> 20, STATE_TOKEN);
	liveupdate_session_unref(session);
	return 0;
}

static int run_service(void)
{
	struct liveupdate_ctx *ctx = new_ctx();
	int ram = -1, r;

	r = liveupdate_fdstore_get(ctx, RAM_NAME, &ram);
	if (r == -ENOENT && stage == 1)
		r = service_first_start(ctx);
	else if (r == -ENOENT)
		fail("after the kexec, systemd passed no '" RAM_NAME "'", r);
	else if (r < 0)
		fail("liveupdate_fdstore_get(" RAM_NAME ")", r);
	else if (stage == 1)
		fail("a cold boot, yet systemd passed '" RAM_NAME "'", -EEXIST);
	else
		r = service_after_update(ctx, ram);
	liveupdate_ctx_unref(ctx);
	return r < 0;
}

/*
 * LUOSession=vmm: systemd creates the session when the unit starts and
 * passes it as "vmm"; the service never opens /dev/liveupdate.
 */
#define LUO_FDNAME "vmm"
#define LUO_TOKEN 1
#define LUO_SIZE (2u << 20)
#define LUO_SEED 0x5eed0003u
#define LUO_STAGE1_OK "/run/lutest-luosession-ok"

static int run_luosession(void)
{
	struct liveupdate_ctx *ctx;
	struct liveupdate_session *s;
	int fd, r;

	scenario = "systemd-luosession";
	ctx = new_ctx();
	s = adopt(ctx, LUO_FDNAME);
	if (stage == 1) {
		fd = pattern_memfd("luo-state", LUO_SIZE, LUO_SEED);
		r = liveupdate_session_preserve_fd(s, fd, LUO_TOKEN);
		if (r < 0)
			fail("liveupdate_session_preserve_fd", r);
		close(fd);
		note("preserved %u MiB at token %d in the session systemd made for us",
		     LUO_SIZE >> 20, LUO_TOKEN);
		close(open(LUO_STAGE1_OK, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
	} else {
		/* removed from the store: the next start gets a fresh session */
		take_back(ctx, s, LUO_FDNAME, LUO_TOKEN, LUO_SIZE, LUO_SEED);
		verdict(1, "LUOSession=%s: session '%s' came back with %u MiB at token %d intact",
			LUO_FDNAME, liveupdate_session_get_name(s), LUO_SIZE >> 20, LUO_TOKEN);
	}
	liveupdate_session_unref(s);
	liveupdate_ctx_unref(ctx);
	return 0;
}

/*
 * systemd-manifest: a session's manifest in the fd store with it. Each
 * ExecStart= of lutest-manifest.service runs this once; /run (empty in
 * every boot) says which run this is.
 */
#define MF_FDNAME "labelled"
#define MF_SESSION "lutest-labels"
#define MF_RAM_LABEL "guest-ram"
#define MF_RAM_SIZE (4u << 20)
#define MF_RAM_SEED 0x5eed0011u
#define MF_SMALL 80           /* labels enough to make a second manifest piece */
#define MF_SMALL_SEED 0x5eed0100u
#define MF_DONE "/run/lutest-manifest-done"

static void mf_label(struct liveupdate_session *s, int fd, const char *label)
{
	LIVEUPDATE_OPTS(liveupdate_preserve_opts, o, .label = label);
	int r = liveupdate_session_preserve_fd_opts(s, fd, &o, NULL);

	if (r < 0)
		fail("liveupdate_session_preserve_fd_opts", r);
}

static void mf_small_label(char *buf, size_t size, int i)
{
	snprintf(buf, size, "labelled-after-the-restart-%d", i);
}

/* The first start: guest RAM labelled in a session, pushed with its manifest. */
static void manifest_first(struct liveupdate_ctx *ctx)
{
	LIVEUPDATE_OPTS(liveupdate_fdstore_opts, sync, .barrier_ms = 10000);
	struct liveupdate_session *s = NULL;
	int fd = pattern_memfd("guest-ram", MF_RAM_SIZE, MF_RAM_SEED), r;

	r = liveupdate_session_create(ctx, MF_SESSION, &s);
	if (r < 0)
		fail("liveupdate_session_create", r);
	mf_label(s, fd, MF_RAM_LABEL);
	close(fd);
	liveupdate_ctx_close_device(ctx);
	r = liveupdate_fdstore_push_session(ctx, s, MF_FDNAME, &sync);
	if (r < 0)
		fail("liveupdate_fdstore_push_session", r);
	note("first start: '%s' labelled in session '%s', pushed as '%s' with its manifest",
	     MF_RAM_LABEL, MF_SESSION, MF_FDNAME);
	liveupdate_session_unref(s);
}

/* The restart: the outgoing session from the store, its manifest working. */
static void manifest_restart(struct liveupdate_ctx *ctx, struct liveupdate_session *s)
{
	LIVEUPDATE_OPTS(liveupdate_fdstore_opts, sync, .barrier_ms = 10000);
	const struct liveupdate_entry *e;
	char label[64];
	int fd, r;

	r = liveupdate_session_find_entry(s, MF_RAM_LABEL, &e);
	if (r < 0)
		fail("liveupdate_session_find_entry after the restart", r);
	if (e->size != MF_RAM_SIZE || liveupdate_session_count_entries(s) != 1)
		fail("the manifest after the restart", -EBADMSG);
	note("restart: the outgoing session's manifest lists '%s' (%llu bytes, token %llu)",
	     MF_RAM_LABEL, (unsigned long long)e->size, (unsigned long long)e->token);
	for (int i = 0; i < MF_SMALL; i++) {
		mf_small_label(label, sizeof(label), i);
		fd = pattern_memfd("small", 4096, MF_SMALL_SEED + i);
		mf_label(s, fd, label);
		close(fd);
	}
	/* the new piece went to the store as it was made; the barrier makes
	 * sure systemd read it before this process exits */
	r = liveupdate_fdstore_push_session(ctx, s, MF_FDNAME, &sync);
	if (r < 0)
		fail("liveupdate_fdstore_push_session", r);
	note("restart: labelled %d more files (%ld entries now)", MF_SMALL,
	     liveupdate_session_count_entries(s));
}

/* After the kexec: every label, byte-exact; finish, drop it from the store. */
static void manifest_after_update(struct liveupdate_ctx *ctx, struct liveupdate_session *s)
{
	char label[64];
	int fd, r;

	r = liveupdate_session_retrieve_fd_label(s, MF_RAM_LABEL, &fd, NULL);
	if (r < 0)
		fail("liveupdate_session_retrieve_fd_label(" MF_RAM_LABEL ")", r);
	check_memfd(MF_RAM_LABEL, fd, MF_RAM_SIZE, MF_RAM_SEED);
	close(fd);
	for (int i = 0; i < MF_SMALL; i++) {
		mf_small_label(label, sizeof(label), i);
		r = liveupdate_session_retrieve_fd_label(s, label, &fd, NULL);
		if (r < 0)
			fail("liveupdate_session_retrieve_fd_label", r);
		check_memfd(label, fd, 4096, MF_SMALL_SEED + i);
		close(fd);
	}
	if (liveupdate_session_count_entries(s) != MF_SMALL + 1)
		fail("the manifest after the kexec", -EBADMSG);
	finish_and_remove(ctx, s, MF_FDNAME);
	verdict(1, "a session pushed with its manifest, adopted outgoing after a restart "
		"(label found, %d more labelled, a new manifest piece pushed), came back "
		"after the kexec with all %d labels, byte-exact", MF_SMALL, MF_SMALL + 1);
}

static int run_manifest(void)
{
	struct liveupdate_ctx *ctx;
	struct liveupdate_session *s = NULL;
	int fd, r;

	scenario = "systemd-manifest";
	if (access(MF_DONE, F_OK) == 0)
		return 0; /* the second run after the kexec: nothing left to do */
	ctx = new_ctx();
	r = liveupdate_fdstore_get(ctx, MF_FDNAME, &fd);
	if (r == -ENOENT && stage == 1) {
		manifest_first(ctx);
		liveupdate_ctx_unref(ctx);
		return 0;
	}
	if (r < 0)
		fail("liveupdate_fdstore_get(" MF_FDNAME ")", r);
	s = adopt(ctx, MF_FDNAME);
	if (stage == 1)
		manifest_restart(ctx, s);
	else
		manifest_after_update(ctx, s);
	close(open(MF_DONE, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
	liveupdate_session_unref(s);
	liveupdate_ctx_unref(ctx);
	return 0;
}

/* The names `systemd-analyze fdstore UNIT` lists, space-separated. */
static void store_names(const char *unit, char *out, size_t size)
{
	char cmd[256], line[512], name[256], type[32];
	unsigned major, minor;
	FILE *p;

	/* without NOTIFY_SOCKET: systemd-analyze would talk to our unit */
	snprintf(cmd, sizeof(cmd), "env -u NOTIFY_SOCKET systemd-analyze fdstore %s 2>&1", unit);
	out[0] = '\0';
	p = popen(cmd, "r");
	if (!p)
		fail("popen(systemd-analyze)", -errno);
	while (fgets(line, sizeof(line), p)) {
		note("systemd-analyze fdstore %s: %s", unit, strtok(line, "\n") ?: "");
		/* "NAME TYPE MAJOR:MINOR ...": an entry; anything else is not */
		if (sscanf(line, "%255s %31s %u:%u", name, type, &major, &minor) == 4 &&
		    strlen(out) + strlen(name) + 2 < size) {
			strcat(out, " ");
			strcat(out, name);
		}
	}
	pclose(p);
}

/* FileDescriptorStoreMax=1: the second fd is dropped, and only systemd knows. */
static int run_limits(void)
{
	LIVEUPDATE_OPTS(liveupdate_fdstore_opts, sync, .barrier_ms = 10000);
	struct liveupdate_ctx *ctx;
	char names[512];
	int a, b, ra, rb;

	scenario = "systemd-limits";
	ctx = new_ctx();
	note("liveupdate_fdstore_limit() = %d", liveupdate_fdstore_limit(ctx));
	a = pattern_memfd("first", 4096, 1);
	b = pattern_memfd("second", 4096, 2);
	ra = liveupdate_fdstore_push(ctx, a, "first", &sync);
	rb = liveupdate_fdstore_push(ctx, b, "second", &sync);
	note("push 'first' = %d, push 'second' (over FileDescriptorStoreMax=1) = %d", ra, rb);
	store_names("lutest-limits.service", names, sizeof(names));
	if (liveupdate_fdstore_limit(ctx) != 1 || ra || rb || strcmp(names, " first"))
		verdict(0, "limit %d, pushes %d/%d, store holds:%s (want 1, 0/0, ' first')",
			liveupdate_fdstore_limit(ctx), ra, rb, names);
	else
		verdict(1, "over the limit the push succeeds and systemd drops the fd "
			"(no answer; store holds only 'first')");
	close(a);
	close(b);
	liveupdate_ctx_unref(ctx);
	return 0;
}

/* No FileDescriptorStoreMax=: the library refuses; forced, systemd drops it. */
static int run_nostore(void)
{
	struct liveupdate_ctx *ctx;
	char names[512];
	int fd, r, forced;

	scenario = "systemd-limits";
	ctx = new_ctx();
	fd = pattern_memfd("unwanted", 4096, 3);
	r = liveupdate_fdstore_push(ctx, fd, "unwanted", NULL);
	note("push without a store = %d (%s)", r, liveupdate_last_error());
	{
		/* naming the socket skips the library's $FDSTORE check */
		LIVEUPDATE_OPTS(liveupdate_fdstore_opts, o, .barrier_ms = 10000,
				.notify_socket = getenv("NOTIFY_SOCKET"));

		forced = liveupdate_fdstore_push(ctx, fd, "unwanted", &o);
	}
	note("the same push sent anyway = %d", forced);
	store_names("lutest-nostore.service", names, sizeof(names));
	if (r != -EOPNOTSUPP || forced || names[0])
		verdict(0, "push %d (want -EOPNOTSUPP), forced %d, store holds:%s", r,
			forced, names);
	else
		note("a disabled store: the library says -EOPNOTSUPP; systemd drops a forced push");
	close(fd);
	liveupdate_ctx_unref(ctx);
	return 0;
}

/* The operator: load the next kernel, then ask systemd for the kexec. */
static int run_kexec(const char *kernel)
{
	LIVEUPDATE_OPTS(liveupdate_kexec_opts, kopts);
	struct liveupdate_ctx *ctx = NULL;
	char cmdline[4096] = "", *p;
	FILE *f;
	int r;

	if (access(STAGE1_OK, F_OK) < 0) {
		verdict(0, "the service did not fill the fd store; not updating");
		sync();
		reboot(RB_AUTOBOOT);
		return 1;
	}
	if (access(LUO_STAGE1_OK, F_OK) < 0) {
		scenario = "systemd-luosession";
		verdict(0, "lutest-luosession.service did not fill its session");
		scenario = SCENARIO;
	}
	f = fopen("/proc/cmdline", "r");
	if (!f || !fgets(cmdline, sizeof(cmdline) - 32, f))
		fail("reading /proc/cmdline", -EIO);
	fclose(f);
	cmdline[strcspn(cmdline, "\n")] = '\0';
	p = strstr(cmdline, "lutest.stage=1");
	if (!p)
		fail("no lutest.stage=1 on the command line", -EINVAL);
	p[strlen("lutest.stage=")] = '2';
	r = liveupdate_ctx_new(NULL, &ctx);
	if (r < 0)
		fail("liveupdate_ctx_new", r);
	kopts.cmdline = cmdline;
	r = liveupdate_kexec_load(ctx, kernel, &kopts);
	if (r < 0)
		fail("liveupdate_kexec_load", r);
	liveupdate_ctx_unref(ctx);
	note("loaded %s with \"%s\"; running systemctl kexec", kernel, cmdline);
	execl("/usr/bin/systemctl", "systemctl", "kexec", (char *)NULL);
	fail("exec systemctl", -errno);
	return 1;
}

int main(int argc, char **argv)
{
	stage = stage_from_cmdline();
	if (argc >= 2 && !strcmp(argv[1], "service"))
		return run_service();
	if (argc >= 2 && !strcmp(argv[1], "manifest"))
		return run_manifest();
	if (argc >= 2 && !strcmp(argv[1], "luosession"))
		return run_luosession();
	if (argc >= 2 && !strcmp(argv[1], "limits"))
		return run_limits();
	if (argc >= 2 && !strcmp(argv[1], "nostore"))
		return run_nostore();
	if (argc >= 2 && !strcmp(argv[1], "kexec"))
		return run_kexec(argc >= 3 ? argv[2] : "/boot/vmlinuz");
	fprintf(stderr, "usage: lutest-sd service | manifest | luosession | limits | nostore | kexec [KERNEL]\n");
	return 2;
}
