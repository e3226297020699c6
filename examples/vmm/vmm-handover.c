/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vmm-handover: see vmm-handover.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vmm-handover.h"

int vmm_session_name(const char *vm_name, char *buf)
{
	int n = snprintf(buf, LIVEUPDATE_SESSION_NAME_MAX + 1, "vmm-%s", vm_name);

	return n > 0 && n <= LIVEUPDATE_SESSION_NAME_MAX ? 0 : -EINVAL;
}

int guest_ram_create(struct liveupdate_ctx *ctx, uint64_t size,
		     enum liveupdate_memory_backing backing, struct preserved_memory *ram)
{
	return preserved_memory_create_backing(ctx, VMM_LABEL_RAM, size, backing, ram);
}

int guest_ram_retrieve(struct liveupdate_session *s, struct preserved_memory *ram)
{
	return preserved_memory_retrieve(s, VMM_LABEL_RAM, ram);
}

int vmm_prepare(struct liveupdate_ctx *ctx, const char *session_name,
		struct preserved_memory *ram, struct liveupdate_session **sp,
		struct preserved_memory *state)
{
	LIVEUPDATE_OPTS(liveupdate_session_opts, so, .flags = LIVEUPDATE_SESSION_HANDOVER);
	struct liveupdate_session *s = NULL;
	int ret;

	*state = (struct preserved_memory){ .fd = -1 };
	ret = liveupdate_session_create_opts(ctx, session_name, &so, &s);
	if (ret == 0)
		ret = preserved_memory_preserve(ram, s, VMM_LABEL_RAM);
	if (ret == 0)
		ret = preserved_memory_create(ctx, VMM_LABEL_STATE, 4096, state);
	if (ret == 0)
		ret = preserved_memory_preserve(state, s, VMM_LABEL_STATE);
	if (ret < 0) {
		preserved_memory_close(state);
		liveupdate_session_unref(s);	/* aborts what was preserved */
		return ret;
	}
	*sp = s;
	return 0;
}

void state_write(struct preserved_memory *state, const struct vmm_state *st)
{
	struct vmm_state *out = state->addr;

	memcpy(out, st, sizeof(*st));
	out->t_state_written = vmm_now((clockid_t)st->clock);
}

int state_open(struct liveupdate_session *s, struct preserved_memory *state,
	       struct vmm_state *st)
{
	int ret = preserved_memory_retrieve(s, VMM_LABEL_STATE, state);

	if (ret < 0)
		return ret;
	if (state->size >= sizeof(*st)) {
		memcpy(st, state->addr, sizeof(*st));
		if (!memcmp(st->magic, VMM_STATE_MAGIC, sizeof(st->magic)) &&
		    st->version == VMM_STATE_VERSION && st->size == sizeof(*st))
			return 0;
	}
	preserved_memory_close(state);
	return -EPROTO;
}

static const char *kind_name(enum liveupdate_entry_kind kind)
{
	switch (kind) {
	case LIVEUPDATE_ENTRY_MEMFD: return "memfd";
	case LIVEUPDATE_ENTRY_MEMORY: return "memory";
	default: return "other";
	}
}

void manifest_print(struct liveupdate_session *s)
{
	const struct liveupdate_entry *e;
	char size[32], page[32];

	for (size_t i = 0; liveupdate_session_get_entry(s, i, &e) == 0; i++) {
		preserved_memory_size(size, sizeof(size), e->size);
		preserved_memory_size(page, sizeof(page), e->page_size);
		if (e->kind == LIVEUPDATE_ENTRY_MEMORY)
			printf("vmm:   \"%s\": memory, %s, %s in %s pages\n", e->label,
			       size, liveupdate_memory_backing_name(e->backing), page);
		else
			printf("vmm:   \"%s\": %s, %s\n", e->label, kind_name(e->kind), size);
	}
}
