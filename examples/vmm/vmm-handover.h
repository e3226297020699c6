/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vmm-handover: what the VMM carries across an update and under which
 * names: its session, the guest RAM, and a small state memfd (magic,
 * version, vCPU registers, the proof's reference values and timestamps).
 * Both are the library's memory objects (../common/preserved-memory.c),
 * labelled in the session's manifest: "guest-ram" and "vmm-state".
 */
#ifndef EXAMPLES_VMM_HANDOVER_H
#define EXAMPLES_VMM_HANDOVER_H

#include <stdint.h>

#include "../common/preserved-memory.h"
#include "kvm-vm.h"

#define VMM_LABEL_RAM   "guest-ram"
#define VMM_LABEL_STATE "vmm-state"

#define VMM_STATE_MAGIC "LUVMMST"	/* 8 bytes with the NUL */
#define VMM_STATE_VERSION 1

/* The state memfd's contents. Times are CLOCK_REALTIME in ns: they must
 * mean the same thing in the next process and the next kernel. */
struct vmm_state {
	char magic[8];
	uint32_t version;
	uint32_t size;		/* sizeof(struct vmm_state) */
	uint64_t ram_size;
	uint64_t ram_hash;	/* of the whole guest RAM at the pause */
	uint32_t last_counter;	/* the guest's last report before the pause */
	uint32_t last_checksum;	/* the VMM's own running checksum of them */
	uint32_t updates;	/* live updates this guest went through */
	uint32_t kexec;		/* 1: handed over by a kexec, 0: by a restart */
	int64_t ram_preserve_ns;	/* before the pause, not in the blackout */
	int64_t t_pause_start, t_paused, t_preserve_start, t_preserve_end;
	struct vcpu_state vcpu;
};

/* "vmm-NAME" into @buf (LIVEUPDATE_SESSION_NAME_MAX + 1 bytes). 0 or
 * -EINVAL when too long. */
int vmm_session_name(const char *vm_name, char *buf);

int guest_ram_create(struct liveupdate_ctx *ctx, uint64_t size, struct preserved_memory *ram);
int guest_ram_preserve(struct liveupdate_session *s, struct preserved_memory *ram);
int guest_ram_retrieve(struct liveupdate_session *s, struct preserved_memory *ram);

/* Write @st into a new state memfd and preserve it in @s; @mem keeps the
 * mapping so that fields written later (t_preserve_end) reach the next
 * process. 0 or -errno. */
int state_save(struct liveupdate_ctx *ctx, struct liveupdate_session *s,
	       const struct vmm_state *st, struct preserved_memory *mem);
/* Retrieve the state memfd from @s and check its magic, version and size.
 * 0, -EPROTO (not a state this VMM understands), or -errno. */
int state_load(struct liveupdate_session *s, struct vmm_state *st);

/* Print the entries of @s's manifest, one line each: label, kind,
 * backing and size (part of the proof: what came back, by name). */
void manifest_print(struct liveupdate_session *s);

#endif
