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

int guest_ram_create(struct liveupdate_ctx *ctx, uint64_t size, struct preserved_memory *ram)
{
	return preserved_memory_create(ctx, VMM_LABEL_RAM, size, ram);
}

int guest_ram_preserve(struct liveupdate_session *s, struct preserved_memory *ram)
{
	return preserved_memory_preserve(ram, s, VMM_LABEL_RAM);
}

int guest_ram_retrieve(struct liveupdate_session *s, struct preserved_memory *ram)
{
	return preserved_memory_retrieve(s, VMM_LABEL_RAM, ram);
}

int state_save(struct liveupdate_ctx *ctx, struct liveupdate_session *s,
	       const struct vmm_state *st, struct preserved_memory *mem)
{
	int ret = preserved_memory_create(ctx, VMM_LABEL_STATE, 4096, mem);

	if (ret < 0)
		return ret;
	memcpy(mem->addr, st, sizeof(*st));
	ret = preserved_memory_preserve(mem, s, VMM_LABEL_STATE);
	if (ret < 0)
		preserved_memory_close(mem);
	return ret;
}

int state_load(struct liveupdate_session *s, struct vmm_state *st)
{
	struct preserved_memory mem;
	int ret = preserved_memory_retrieve(s, VMM_LABEL_STATE, &mem);

	if (ret < 0)
		return ret;
	ret = -EPROTO;
	if (mem.size >= sizeof(*st)) {
		memcpy(st, mem.addr, sizeof(*st));
		if (!memcmp(st->magic, VMM_STATE_MAGIC, sizeof(st->magic)) &&
		    st->version == VMM_STATE_VERSION && st->size == sizeof(*st))
			ret = 0;
	}
	preserved_memory_close(&mem);
	return ret;
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
