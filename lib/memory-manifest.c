/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Memory objects as first-class manifest entries: preserved with kind
 * LIVEUPDATE_ENTRY_MEMORY, their backing and page size (and the caller's
 * label and metadata), found again by label with the backing recorded.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "manifest-format.h"
#include "memory-private.h"

LU_EXPORT int liveupdate_memory_preserve_opts(struct liveupdate_memory *mem,
					      struct liveupdate_session *session,
					      const struct liveupdate_preserve_opts *opts,
					      uint64_t *tokenp)
{
	static const char call[] = "liveupdate_memory_preserve_opts";
	LIVEUPDATE_OPTS(liveupdate_preserve_opts, o);
	enum liveupdate_memory_backing backing;
	uint64_t page_size;
	int ret;

	if (!mem || !session)
		return lu_bad_arg(mem ? mem->ctx : NULL, "%s: %s is NULL", call,
				  mem ? "session" : "mem");
	if (lu_check_opts(mem->ctx, call, opts))
		return -EINVAL;
	backing = liveupdate_memory_get_backing(mem);
	page_size = liveupdate_memory_get_page_size(mem);
	o.label = lu_opts_get(opts, label, NULL);
	o.flags = lu_opts_get(opts, flags, 0);
	o.token = lu_opts_get(opts, token, 0);
	o.meta = lu_opts_get(opts, meta, NULL);
	o.n_meta = lu_opts_get(opts, n_meta, 0);
	o.kind = lu_opts_get(opts, kind, LIVEUPDATE_ENTRY_AUTO);
	o.backing = lu_opts_get(opts, backing, 0);
	o.page_size = lu_opts_get(opts, page_size, 0);
	/* kind, backing and page size are the object's: the options may
	 * repeat them, not contradict them */
	if (o.kind != LIVEUPDATE_ENTRY_AUTO && o.kind != LIVEUPDATE_ENTRY_MEMORY)
		return lu_bad_arg(mem->ctx, "%s: opts->kind is %d: a memory object is "
				  "recorded as LIVEUPDATE_ENTRY_MEMORY; leave kind 0",
				  call, (int)o.kind);
	if ((o.backing && o.backing != (uint32_t)backing) ||
	    (o.page_size && o.page_size != page_size))
		return lu_bad_arg(mem->ctx, "%s: opts say backing %" PRIu32 ", page size %"
				  PRIu64 ", but the memory is %s with pages of %" PRIu64
				  " bytes; leave backing and page_size 0", call, o.backing,
				  o.page_size, lu_backing_name(backing), page_size);
	o.kind = LIVEUPDATE_ENTRY_MEMORY;
	o.backing = (uint32_t)backing;
	o.page_size = page_size;
	ret = liveupdate_session_preserve_fd_opts(session, mem->fd, &o, tokenp);
	if (ret == -ENOENT && backing == LIVEUPDATE_MEMORY_HUGETLB)
		lu_last_error_append(". To keep this memory, copy it into memory the kernel "
				     "can preserve with liveupdate_memory_move_to_thp().");
	return ret;
}

LU_EXPORT int liveupdate_memory_preserve(struct liveupdate_memory *mem,
					 struct liveupdate_session *session,
					 uint64_t token)
{
	LIVEUPDATE_OPTS(liveupdate_preserve_opts, opts, .flags = LIVEUPDATE_PRESERVE_TOKEN,
			.token = token);

	return liveupdate_memory_preserve_opts(mem, session, &opts, NULL);
}

/*
 * The backing a MEMORY entry records, if the file agrees: HugeTLB must be
 * a hugetlbfs file of that page size, SHMEM and THP a shmem file (not
 * measured: the manifest saves the retrieve that cost). 0, or -EBADMSG.
 */
static int take_recorded(struct liveupdate_memory *mem, const struct liveupdate_entry *e)
{
	bool hugetlb = e->backing == LIVEUPDATE_MEMORY_HUGETLB;
	char s[32];

	if (hugetlb ? mem->backing != LIVEUPDATE_MEMORY_HUGETLB || mem->page_size != e->page_size
		    : mem->backing != LIVEUPDATE_MEMORY_AUTO)
		return -EBADMSG;
	mem->backing = (enum liveupdate_memory_backing)e->backing;
	mem->page_size = e->page_size;
	snprintf(mem->reason, sizeof(mem->reason), "from the manifest: %s, %s pages, "
		 "recorded when \"%s\" was preserved", lu_backing_name(mem->backing),
		 lu_util_fmt_size(s, sizeof(s), mem->page_size), e->label);
	return 0;
}

LU_EXPORT int liveupdate_memory_retrieve_label(struct liveupdate_session *session,
					       const char *label,
					       struct liveupdate_memory **memp)
{
	static const char call[] = "liveupdate_memory_retrieve_label";
	const struct liveupdate_entry *e;
	struct liveupdate_memory *mem;
	int fd, ret;

	if (!session || !label || !memp)
		return lu_bad_arg(session ? session->ctx : NULL, "%s: %s is NULL", call,
				  !session ? "session" : !label ? "label" : "memp");
	ret = liveupdate_session_find_entry(session, label, &e);
	if (ret)
		return ret;
	/* checked before the retrieve, which the kernel allows only once */
	if (e->kind == LIVEUPDATE_ENTRY_MEMORY && !lu_mf_memory_entry_ok(e->backing, e->page_size))
		return lu_fail(session->ctx, LU_OP_MANIFEST, -EBADMSG, "%s(\"%s\"): the "
			       "manifest records backing %" PRIu32 " with pages of %" PRIu64
			       " bytes, which this library does not know; retrieve it by "
			       "token (%" PRIu64 ") with liveupdate_memory_retrieve()", call,
			       label, e->backing, e->page_size, e->token);
	ret = liveupdate_session_retrieve_fd(session, e->token, &fd);
	if (ret)
		return ret;
	ret = lu_memory_wrap_fd(session->ctx, fd, &mem);
	if (ret) {
		close(fd);
		return ret;
	}
	if (e->kind != LIVEUPDATE_ENTRY_MEMORY) {
		lu_memory_measure_backing(mem); /* as liveupdate_memory_from_fd() */
	} else if (take_recorded(mem, e)) {
		/* keep the memory: what the file is beats what the manifest says */
		lu_memory_measure_backing(mem);
		lu_log_cond(session->ctx, LOG_WARNING, "%s(\"%s\"): the manifest says %s, but the file is %s: "
			"using what the file is", call, label,
			lu_backing_name((enum liveupdate_memory_backing)e->backing),
			lu_backing_name(mem->backing));
		lu_memory_prepend_reason(mem, "the manifest's backing does not match the "
					 "file: ");
	}
	*memp = mem;
	return 0;
}
