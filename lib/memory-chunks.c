/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Work on a large memory range in chunks spread over several threads
 * (populate, move): each thread takes the next chunk until none is left or
 * one fails; the calling thread works too and reports progress.
 */
#include <errno.h>
#include <pthread.h>
#include <unistd.h>

#include "memory-private.h"

static void record_error(struct lu_chunks *c, int err, uint64_t off)
{
	pthread_mutex_lock(&c->lock);
	if (!c->err) {
		c->err = err;
		c->err_off = off;
	}
	pthread_mutex_unlock(&c->lock);
	__atomic_store_n(&c->stop, 1, __ATOMIC_RELAXED);
}

/* Do the next chunk; false when there is none left or the work must stop. */
static bool work_one(struct lu_chunks *c)
{
	uint64_t off, len;
	int ret;

	if (__atomic_load_n(&c->stop, __ATOMIC_RELAXED))
		return false;
	off = __atomic_fetch_add(&c->next, c->chunk, __ATOMIC_RELAXED);
	if (off >= c->total)
		return false;
	len = c->total - off < c->chunk ? c->total - off : c->chunk;
	ret = c->fn(c->arg, off, len);
	if (ret) {
		record_error(c, ret, off);
		return false;
	}
	__atomic_add_fetch(&c->done, len, __ATOMIC_RELAXED);
	return true;
}

static void *worker(void *arg)
{
	while (work_one(arg))
		;
	return NULL;
}

unsigned int lu_memory_default_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		return 1;
	return n > LU_MEMORY_MAX_THREADS ? LU_MEMORY_MAX_THREADS : (unsigned int)n;
}

int lu_run_chunks(struct liveupdate_ctx *ctx, struct lu_chunks *c, unsigned int threads)
{
	pthread_t tids[LU_MEMORY_MAX_THREADS];
	unsigned int started = 0;

	pthread_mutex_init(&c->lock, NULL);
	c->next = c->done = 0;
	c->stop = c->err = 0;
	if (!threads)
		threads = lu_memory_default_threads();
	if (threads > LU_MEMORY_MAX_THREADS)
		threads = LU_MEMORY_MAX_THREADS;
	for (unsigned int i = 1; i < threads; i++) {
		if (pthread_create(&tids[started], NULL, worker, c)) {
			lu_info(ctx, "only %u of %u threads could start", started + 1, threads);
			break;
		}
		started++;
	}
	while (work_one(c)) {
		uint64_t done = __atomic_load_n(&c->done, __ATOMIC_RELAXED);

		if (c->progress && done < c->total && c->progress(c->progress_data, done, c->total))
			record_error(c, -ECANCELED, done);
	}
	for (unsigned int i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	if (!c->err && c->progress && c->progress(c->progress_data, c->total, c->total))
		record_error(c, -ECANCELED, c->total);
	pthread_mutex_destroy(&c->lock);
	return c->err;
}
