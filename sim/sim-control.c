/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * liveupdate-sim, control side: requests that only the simulator's own
 * programs make (the command, the LD_PRELOAD shim, the tests), never the
 * library. Kept out of sim-client.c so that libliveupdate.so carries none
 * of them.
 */
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim-control.h"

int lu_sim_frozen(const char *path, dev_t dev, ino_t ino)
{
	struct lu_sim_msg m = { .type = LU_SIM_FROZEN }, r;
	int ret;

	m.u.frozen.dev = (uint64_t)dev;
	m.u.frozen.ino = (uint64_t)ino;
	ret = lu_sim_call_reply(path, &m, &r);
	return ret < 0 ? ret : r.u.reply.val[0] != 0;
}

/* A request whose reply carries one fd: the fd, or -errno; *r the reply. */
static int call_fd(const char *path, const struct lu_sim_msg *m, struct lu_sim_msg *r)
{
	int sock, fd = -1, nfds = 0, ret;

	sock = lu_sim_connect(path, LU_SIM_ROLE_CONTROL, true, NULL);
	if (sock < 0)
		return sock;
	ret = lu_sim_send(sock, m, NULL, 0, 0);
	if (ret == 0)
		ret = lu_sim_recv(sock, r, &fd, &nfds, 0);
	close(sock);
	if (ret == 0 && (r->type != LU_SIM_REPLY || r->u.reply.err || nfds != 1))
		ret = r->type == LU_SIM_REPLY && r->u.reply.err ? -r->u.reply.err : -EPROTO;
	if (ret < 0) {
		if (nfds == 1)
			close(fd);
		return ret;
	}
	return fd;
}

const struct lu_sim_table *lu_sim_table_get(const char *path, size_t *lenp)
{
	struct lu_sim_msg m = { .type = LU_SIM_TABLE }, r;
	const struct lu_sim_table *t;
	int fd = call_fd(path, &m, &r);
	struct stat st;
	void *p;

	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	if (fstat(fd, &st) < 0 || st.st_size < (off_t)sizeof(*t)) {
		close(fd);
		errno = EPROTO;
		return NULL;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return NULL;
	t = p;
	if (t->magic != LU_SIM_TABLE_MAGIC || !t->cap || (t->cap & (t->cap - 1)) ||
	    sizeof(*t) + (uint64_t)t->cap * sizeof(t->entries[0]) > (uint64_t)st.st_size) {
		munmap(p, (size_t)st.st_size);
		errno = EPROTO;
		return NULL;
	}
	*lenp = (size_t)st.st_size;
	return t;
}

int lu_sim_peek(const char *path, const char *name, uint32_t direction,
		uint32_t *directionp)
{
	struct lu_sim_msg m = { .type = LU_SIM_PEEK }, r;
	int fd;

	if (!name || !*name || strlen(name) >= LU_SIM_NAME_LEN || direction > 2)
		return -EINVAL;
	m.u.peek.direction = direction;
	memcpy(m.u.peek.name, name, strlen(name) + 1);
	fd = call_fd(path, &m, &r);
	if (fd < 0)
		return fd;
	if (r.u.reply.val[0] < 1 || r.u.reply.val[0] > 2) {
		close(fd);
		return -EPROTO;
	}
	if (directionp)
		*directionp = (uint32_t)r.u.reply.val[0];
	return fd;
}

int lu_sim_table_has(const struct lu_sim_table *t, uint64_t dev, uint64_t ino)
{
	uint32_t cap = t->cap, mask = cap - 1;

	for (;;) {
		uint64_t seq = __atomic_load_n(&t->seq, __ATOMIC_ACQUIRE);
		uint32_t at = lu_sim_table_slot(dev, ino, cap);
		int found = 0;

		if (seq & 1) {
			sched_yield(); /* the daemon is rewriting it */
			continue;
		}
		/* at most cap probes: a torn read must not loop for ever */
		for (uint32_t n = 0; n < cap; n++, at = (at + 1) & mask) {
			uint64_t d = __atomic_load_n(&t->entries[at].dev, __ATOMIC_RELAXED);
			uint64_t i = __atomic_load_n(&t->entries[at].ino, __ATOMIC_RELAXED);

			if (d == dev && i == ino) {
				found = 1;
				break;
			}
			if (!d && !i)
				break;
		}
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&t->seq, __ATOMIC_RELAXED) == seq)
			return found;
	}
}
