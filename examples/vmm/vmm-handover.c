/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vmm-handover: see vmm-handover.h (INTEGRATION POINTS, issues 8 and 10). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vmm-handover.h"

int vmm_session_name(const char *vm_name, char *buf)
{
	int n = snprintf(buf, LIVEUPDATE_SESSION_NAME_MAX + 1, "vmm-%s", vm_name);

	return n > 0 && n <= LIVEUPDATE_SESSION_NAME_MAX ? 0 : -EINVAL;
}

int guest_ram_create(uint64_t size, struct preserved_memory *ram)
{
	return preserved_memory_create("guest-ram", size, ram);
}

int guest_ram_preserve(struct liveupdate_session *s, struct preserved_memory *ram)
{
	return preserved_memory_preserve(ram, s, VMM_TOKEN_RAM);
}

int guest_ram_retrieve(struct liveupdate_session *s, struct preserved_memory *ram)
{
	return preserved_memory_retrieve(s, VMM_TOKEN_RAM, ram);
}

int state_save(struct liveupdate_session *s, const struct vmm_state *st,
	       struct preserved_memory *mem)
{
	int ret = preserved_memory_create("vmm-state", 4096, mem);

	if (ret < 0)
		return ret;
	memcpy(mem->addr, st, sizeof(*st));
	ret = preserved_memory_preserve(mem, s, VMM_TOKEN_STATE);
	if (ret < 0)
		preserved_memory_close(mem);
	return ret;
}

int state_load(struct liveupdate_session *s, struct vmm_state *st)
{
	struct preserved_memory mem;
	int ret = preserved_memory_retrieve(s, VMM_TOKEN_STATE, &mem);

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
