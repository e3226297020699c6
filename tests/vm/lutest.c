/*
 * lutest.c: the scenarios' runtime in the guest (the API of lutest.h):
 * console lines and verdicts, patterns and checksums, fds and small facts
 * handed to PID 1 for the next stage, and the child process that runs one
 * stage of a scenario (lt_run_stage()).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "../errname.h"

int lt_stage;
const char *lt_name = "-";
char *state_in;

/* Child side: pipes to and from PID 1, and the fds to hand over. */
static int lt_pipe_w = -1, lt_ack_r = -1;
static int *keep_fds;
static size_t nkeep, capkeep;

/* ------------------------------------------------------------------ */
/* Output                                                              */

static void out_line(const char *prefix, const char *fmt, va_list ap)
{
	char buf[4096];
	int n = snprintf(buf, sizeof(buf), "%s", prefix);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(buf) - 2)
		n += vsnprintf(buf + n, sizeof(buf) - 2 - n, fmt, ap);
	if ((size_t)n > sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	/* One line per write: no newline inside a message. */
	for (int i = 0; i < n; i++)
		if (buf[i] == '\n' || buf[i] == '\r')
			buf[i] = ' ';
	buf[n++] = '\n';
	fflush(stdout);
	for (int off = 0; off < n;) {
		ssize_t w = write(1, buf + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += w;
	}
}

void say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	out_line("", fmt, ap);
	va_end(ap);
}

void lt_log(const char *fmt, ...)
{
	char prefix[128];
	va_list ap;
	snprintf(prefix, sizeof(prefix), "LUTEST-LOG %s s%d: ", lt_name, lt_stage);
	va_start(ap, fmt);
	out_line(prefix, fmt, ap);
	va_end(ap);
}

static __attribute__((noreturn)) void verdict(const char *what, int code, const char *fmt, va_list ap)
{
	char prefix[128];
	snprintf(prefix, sizeof(prefix), "LUTEST %s %s s%d: ", lt_name, what, lt_stage);
	out_line(prefix, fmt, ap);
	_exit(code);
}

void lt_pass(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	verdict("PASS", LT_PASS, fmt, ap);
}

void lt_fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	verdict("FAIL", LT_FAIL, fmt, ap);
}

void lt_skip(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	verdict("SKIP", LT_SKIP, fmt, ap);
}

void lt_fail_at(const char *file, int line, const char *cond, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	lt_fail("%s:%d: %s: %s", file, line, cond, msg);
}

/* ------------------------------------------------------------------ */
/* Helpers                                                             */

uint64_t lt_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

const char *lt_errname(int e)
{
	return errname(e);
}

static inline uint64_t mix64(uint64_t x)
{
	/* splitmix64 finaliser */
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* Byte i of the pattern is byte (i % 8) of mix64(seed * K + i / 8). */
static inline uint64_t pattern_word(uint64_t seed, size_t word)
{
	return mix64(seed * 0x100000001b3ull + word);
}

void lt_fill(void *buf, size_t len, uint64_t seed)
{
	unsigned char *p = buf;
	size_t words = len / 8, i;
	for (i = 0; i < words; i++) {
		uint64_t w = pattern_word(seed, i);
		memcpy(p + i * 8, &w, 8);
	}
	if (len % 8) {
		uint64_t w = pattern_word(seed, i);
		memcpy(p + i * 8, &w, len % 8);
	}
}

long lt_verify(const void *buf, size_t len, uint64_t seed)
{
	const unsigned char *p = buf;
	size_t words = len / 8, i;
	for (i = 0; i < words; i++) {
		uint64_t w = pattern_word(seed, i), got;
		memcpy(&got, p + i * 8, 8);
		if (got != w) {
			for (size_t b = 0; b < 8; b++)
				if (((unsigned char *)&w)[b] != p[i * 8 + b])
					return (long)(i * 8 + b);
		}
	}
	if (len % 8) {
		uint64_t w = pattern_word(seed, i);
		for (size_t b = 0; b < len % 8; b++)
			if (((unsigned char *)&w)[b] != p[i * 8 + b])
				return (long)(i * 8 + b);
	}
	return -1;
}

uint64_t lt_fnv1a(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

uint64_t lt_fnv1a64(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint64_t h = 0xcbf29ce484222325ull, w;

	for (size_t i = 0; i + 8 <= len; i += 8) {
		memcpy(&w, p + i, 8);
		h ^= w;
		h *= 0x100000001b3ull;
	}
	return h;
}

void lt_write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? write(fd, text, strlen(text)) : -1;

	if (n != (ssize_t)strlen(text))
		lt_fail("writing '%s' to %s: %s", text, path, strerror(errno));
	close(fd);
}

static void *map_fd(int fd, size_t len, int prot)
{
	if (len == 0)
		return NULL;
	void *p = mmap(NULL, len, prot, MAP_SHARED, fd, 0);
	return p == MAP_FAILED ? NULL : p;
}

int lt_fd_fill(int fd, size_t len, uint64_t seed)
{
	if (len == 0)
		return 0;
	void *p = map_fd(fd, len, PROT_READ | PROT_WRITE);
	if (!p)
		return -1;
	lt_fill(p, len, seed);
	munmap(p, len);
	return 0;
}

long lt_fd_verify(int fd, size_t len, uint64_t seed)
{
	if (len == 0)
		return -1;
	void *p = map_fd(fd, len, PROT_READ);
	if (!p)
		return -2;
	long r = lt_verify(p, len, seed);
	munmap(p, len);
	return r;
}

uint64_t lt_fd_fnv1a(int fd, size_t len)
{
	if (len == 0)
		return lt_fnv1a("", 0);
	void *p = map_fd(fd, len, PROT_READ);
	if (!p)
		lt_fail("mmap for checksum: %s", strerror(errno));
	uint64_t h = lt_fnv1a(p, len);
	munmap(p, len);
	return h;
}

void push_int(int **arr, size_t *n, size_t *cap, int v)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		*arr = realloc(*arr, *cap * sizeof(int));
		if (!*arr) {
			say("LUTEST-HARNESS out of memory");
			_exit(1);
		}
	}
	(*arr)[(*n)++] = v;
}

void lt_keep_fd(int fd)
{
	push_int(&keep_fds, &nkeep, &capkeep, fd);
}

int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		len -= w;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* State carried to the next stage                                     */

/* Child to PID 1: one line per message ("S<key>\t<value>", "F<fd>", "E"). */
static void send_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void send_line(const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= (int)sizeof(buf) - 1)
		lt_fail("harness: message to PID 1 too long");
	buf[n++] = '\n';
	if (write_all(lt_pipe_w, buf, n) < 0)
		lt_fail("harness: write to PID 1: %s", strerror(errno));
}

void lt_state_put(const char *key, const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	int n = snprintf(line, sizeof(line), "%s\t", key);
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(line) || strpbrk(line + strlen(key) + 1, "\t\n") || strpbrk(key, "\t\n"))
		lt_fail("harness: bad state entry for key %s", key);
	send_line("S%s", line);
}

const char *lt_state_get(const char *key)
{
	static char value[2048];
	const char *found = NULL, *found_end = NULL;
	size_t nl = strlen(lt_name), kl = strlen(key);

	/* Lines are "scenario\tkey\tvalue"; the last one for a key wins. */
	for (const char *p = state_in; p && *p;) {
		const char *end = strchrnul(p, '\n');
		if ((size_t)(end - p) >= nl + kl + 2 && !strncmp(p, lt_name, nl) && p[nl] == '\t' &&
		    !strncmp(p + nl + 1, key, kl) && p[nl + 1 + kl] == '\t') {
			found = p + nl + kl + 2;
			found_end = end;
		}
		p = *end ? end + 1 : end;
	}
	if (!found)
		return NULL;
	size_t vl = found_end - found;
	if (vl >= sizeof(value))
		vl = sizeof(value) - 1;
	memcpy(value, found, vl);
	value[vl] = 0;
	return value;
}

uint64_t lt_state_get_u64(const char *key)
{
	const char *v = lt_state_get(key);
	char *end;
	if (!v)
		lt_fail("state from the previous stage lacks '%s'", key);
	errno = 0;
	uint64_t r = strtoull(v, &end, 0);
	if (errno || *end)
		lt_fail("state '%s' is not a number: '%s'", key, v);
	return r;
}

/* ------------------------------------------------------------------ */
/* One stage of a scenario, in its own process                         */

void lt_run_stage(const struct lt_scenario *sc, int stage, int report_fd, int ack_fd)
{
	lt_pipe_w = report_fd;
	lt_ack_r = ack_fd;
	lt_name = sc->name;
	lt_stage = stage;
	signal(SIGPIPE, SIG_IGN);
	int r = sc->run(stage);
	switch (r) {
	case LT_CONTINUE: {
		for (size_t i = 0; i < nkeep; i++)
			send_line("F%d", keep_fds[i]);
		send_line("E");
		char c;
		while (read(lt_ack_r, &c, 1) < 0 && errno == EINTR)
			;
		lt_log("stage done, %zu fd(s) handed to PID 1 for the live update", nkeep);
		_exit(LT_CONTINUE);
	}
	case LT_PASS:
		lt_pass("ok");
	case LT_SKIP:
		lt_skip("skipped");
	default:
		lt_fail("scenario returned %d", r);
	}
}
