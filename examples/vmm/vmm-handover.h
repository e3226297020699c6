/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vmm-handover: what the VMM carries across an update and under which
 * names: its session, the guest RAM, and a small state object (magic,
 * version, vCPU registers, the proof's reference values and timestamps),
 * the same for a takeover, a kexec and an exit and restart.
 * Both are the library's memory objects (../common/preserved-memory.c),
 * labelled in the session's manifest: "guest-ram" and "vmm-state".
 */
#ifndef EXAMPLES_VMM_HANDOVER_H
#define EXAMPLES_VMM_HANDOVER_H

#include <stdint.h>
#include <time.h>

#include "../common/preserved-memory.h"
#include "kvm-vm.h"

#define VMM_LABEL_RAM   "guest-ram"
#define VMM_LABEL_STATE "vmm-state"

#define VMM_STATE_MAGIC "LUVMMST"	/* 8 bytes with the NUL */
#define VMM_STATE_VERSION 2

/* How the guest left the previous VMM process. */
enum vmm_update_kind {
	VMM_UPDATE_RESTART = 0,	/* the VMM exited; simulator only */
	VMM_UPDATE_KEXEC = 1,	/* a kexec, real or simulated */
	VMM_UPDATE_TAKEOVER = 2,	/* handed over to a running successor */
};

/*
 * The state object's contents. Times are in ns on the clock named by
 * @clock: CLOCK_MONOTONIC within one kernel (a takeover, the simulator),
 * CLOCK_REALTIME across a real kexec, where the monotonic clock restarts.
 */
struct vmm_state {
	char magic[8];
	uint32_t version;
	uint32_t size;		/* sizeof(struct vmm_state) */
	uint64_t ram_size;
	uint64_t ram_hash;	/* of the whole guest RAM at the pause, if ram_hashed */
	uint32_t ram_hashed;	/* 0: --no-ram-hash */
	uint32_t last_counter;	/* the guest's last report before the pause */
	uint32_t last_checksum;	/* the VMM's own running checksum of them */
	uint32_t updates;	/* live updates this guest went through */
	uint32_t kind;		/* enum vmm_update_kind */
	uint32_t clock;		/* clockid_t of the t_ fields */
	int64_t t_pause_start, t_paused, t_hashed, t_state_written;
	struct vcpu_state vcpu;
};

static inline int64_t vmm_now(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* "vmm-NAME" into @buf (LIVEUPDATE_SESSION_NAME_MAX + 1 bytes). 0 or
 * -EINVAL when too long. */
int vmm_session_name(const char *vm_name, char *buf);

/*
 * Everything a live update needs, made while the guest runs: an outgoing
 * session that can be handed over (LIVEUPDATE_SESSION_HANDOVER), the guest
 * RAM preserved in it (the kernel pins every page: the costly part; what
 * the guest writes afterwards still reaches the next process or kernel),
 * and the state object, empty, preserved too: at the pause the VMM only
 * writes into it. 0 or the library's -errno (nothing left preserved).
 */
int vmm_prepare(struct liveupdate_ctx *ctx, const char *session_name,
		struct preserved_memory *ram, struct liveupdate_session **sp,
		struct preserved_memory *state);

int guest_ram_create(struct liveupdate_ctx *ctx, uint64_t size,
		     enum liveupdate_memory_backing backing, struct preserved_memory *ram);
int guest_ram_retrieve(struct liveupdate_session *s, struct preserved_memory *ram);

/* At the pause: copy @st into the state object and stamp t_state_written. */
void state_write(struct preserved_memory *state, const struct vmm_state *st);
/* Find the state object in @s by label, map it into @state and copy it to
 * @st once its magic, version and size are checked. 0, -EPROTO (not a
 * state this VMM understands), or -errno. */
int state_open(struct liveupdate_session *s, struct preserved_memory *state,
	       struct vmm_state *st);

/* Print the entries of @s's manifest, one line each: label, kind,
 * backing and size (part of the proof: what came back, by name). */
void manifest_print(struct liveupdate_session *s);

#endif
