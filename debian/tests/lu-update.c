/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The autopkgtest's program (debian/tests/update-across-sim), built against
 * the installed libliveupdate-dev with pkg-config alone.
 *
 *   lu-update version                 the library's version at run time
 *   lu-update preserve NAME READY     preserve a memfd holding a known
 *                                     pattern in session NAME, create the
 *                                     file READY, then keep the session open
 *                                     until standard input closes
 *   lu-update retrieve NAME           after the update: the same bytes back
 */
#define _GNU_SOURCE
#include <liveupdate/liveupdate.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define TOKEN 42
#define SIZE (1 << 20)

static unsigned char pattern(size_t i)
{
	return (unsigned char)(i * 31 + 7);
}

static void check(int rc, const char *what)
{
	if (rc < 0) {
		printf("lu-update: %s: %s: %s\n", what, strerror(-rc),
		       liveupdate_last_error());
		exit(1);
	}
}

static void fail(const char *what)
{
	printf("lu-update: %s: %s\n", what, strerror(errno));
	exit(1);
}

static unsigned char *map(int fd, int prot)
{
	void *p = mmap(NULL, SIZE, prot, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		fail("mmap");
	return p;
}

static void preserve(struct liveupdate_ctx *ctx, const char *name,
		     const char *ready)
{
	struct liveupdate_session *s;
	unsigned char *p;
	char buf[64];
	int fd;

	fd = memfd_create("lu-update", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, SIZE) < 0)
		fail("memfd");
	p = map(fd, PROT_READ | PROT_WRITE);
	for (size_t i = 0; i < SIZE; i++)
		p[i] = pattern(i);
	munmap(p, SIZE);
	check(liveupdate_session_create(ctx, name, &s), "liveupdate_session_create");
	check(liveupdate_session_preserve_fd(s, fd, TOKEN),
	      "liveupdate_session_preserve_fd");
	close(fd);
	fd = open(ready, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		fail(ready);
	close(fd);
	printf("lu-update: preserved %d bytes in session %s\n", SIZE, name);
	fflush(stdout);
	/* Closing an outgoing session aborts its preservation: hold it
	 * until the update is over. */
	while (read(STDIN_FILENO, buf, sizeof(buf)) > 0)
		;
}

static void retrieve(struct liveupdate_ctx *ctx, const char *name)
{
	struct liveupdate_session *s;
	unsigned char *p;
	struct stat st;
	int fd;

	check(liveupdate_session_retrieve(ctx, name, &s),
	      "liveupdate_session_retrieve");
	check(liveupdate_session_retrieve_fd(s, TOKEN, &fd),
	      "liveupdate_session_retrieve_fd");
	if (fstat(fd, &st) < 0)
		fail("fstat");
	if (st.st_size != SIZE) {
		printf("lu-update: retrieved %lld bytes, preserved %d\n",
		       (long long)st.st_size, SIZE);
		exit(1);
	}
	p = map(fd, PROT_READ);
	for (size_t i = 0; i < SIZE; i++) {
		if (p[i] != pattern(i)) {
			printf("lu-update: byte %zu is %u after the update, was %u\n",
			       i, p[i], pattern(i));
			exit(1);
		}
	}
	munmap(p, SIZE);
	close(fd);
	check(liveupdate_session_finish(s), "liveupdate_session_finish");
	liveupdate_session_unref(s);
	printf("lu-update: the %d bytes of session %s came back intact\n",
	       SIZE, name);
}

int main(int argc, char **argv)
{
	struct liveupdate_ctx *ctx;

	if (argc == 2 && strcmp(argv[1], "version") == 0) {
		printf("%s\n", liveupdate_version());
		return 0;
	}
	if (!((argc == 4 && strcmp(argv[1], "preserve") == 0) ||
	      (argc == 3 && strcmp(argv[1], "retrieve") == 0))) {
		fprintf(stderr, "usage: lu-update version | preserve NAME READY | retrieve NAME\n");
		return 2;
	}
	check(liveupdate_ctx_new(NULL, &ctx), "liveupdate_ctx_new");
	if (argc == 4)
		preserve(ctx, argv[2], argv[3]);
	else
		retrieve(ctx, argv[2]);
	liveupdate_ctx_unref(ctx);
	return 0;
}
