/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* preserved-memory: see preserved-memory.h (INTEGRATION POINT, issue 8). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "preserved-memory.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

static int map_fd(struct preserved_memory *m, int populate)
{
	m->addr = mmap(NULL, m->size, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd, 0);
	if (m->addr == MAP_FAILED) {
		m->addr = NULL;
		return -errno;
	}
	/* Allocate every page now, not in the guest's first touch; preserving
	 * pins them all anyway. Touch them by hand on kernels before 5.14. */
	if (populate && madvise(m->addr, m->size, MADV_POPULATE_WRITE) < 0) {
		volatile uint8_t *p = m->addr;

		for (uint64_t off = 0; off < m->size; off += 4096)
			p[off] = p[off];
	}
	return 0;
}

int preserved_memory_create(const char *name, uint64_t size, struct preserved_memory *m)
{
	int ret;

	m->size = size;
	m->fd = memfd_create(name, MFD_CLOEXEC);
	if (m->fd < 0)
		return -errno;
	if (ftruncate(m->fd, (off_t)size) < 0) {
		ret = -errno;
		goto err;
	}
	ret = map_fd(m, 1);
	if (ret < 0)
		goto err;
	return 0;
err:
	close(m->fd);
	m->fd = -1;
	return ret;
}

int preserved_memory_preserve(struct preserved_memory *m,
			      struct liveupdate_session *s, uint64_t token)
{
	return liveupdate_session_preserve_fd(s, m->fd, token);
}

int preserved_memory_retrieve(struct liveupdate_session *s, uint64_t token,
			      struct preserved_memory *m)
{
	struct stat st;
	int ret;

	ret = liveupdate_session_retrieve_fd(s, token, &m->fd);
	if (ret < 0)
		return ret;
	if (fstat(m->fd, &st) < 0) {
		ret = -errno;
		goto err;
	}
	if (st.st_size <= 0) {
		ret = -ENODATA;
		goto err;
	}
	m->size = (uint64_t)st.st_size;
	ret = map_fd(m, 0);
	if (ret < 0)
		goto err;
	return 0;
err:
	close(m->fd);
	m->fd = -1;
	return ret;
}

void preserved_memory_close(struct preserved_memory *m)
{
	if (m->addr)
		munmap(m->addr, m->size);
	if (m->fd >= 0)
		close(m->fd);
	m->addr = NULL;
	m->fd = -1;
}
