/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * kvm-vm: the smallest KVM virtual machine that can be paused, saved and
 * resumed exactly: one vCPU in 32-bit flat protected mode, no interrupt
 * controller, guest RAM given by the caller (a memfd mapping).
 */
#ifndef EXAMPLES_VMM_KVM_VM_H
#define EXAMPLES_VMM_KVM_VM_H

#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

/* Guest physical addresses the guest program and the VMM agree on. */
#define GUEST_CODE_ADDR     0x1000u
#define GUEST_COUNTER_ADDR  0x8000u /* u32: incremented by the guest */
#define GUEST_CHECKSUM_ADDR 0x8004u /* u32: running checksum of the counters */
#define GUEST_RING_MASK     0x8008u /* u32: set by the VMM at cold boot */
#define GUEST_RING_BASE     0x800cu /* u32: set by the VMM at cold boot */
#define GUEST_REPORT_PORT   0x10u   /* the guest OUTs its counter here */

/* What resumes the vCPU exactly where it stopped. */
struct vcpu_state {
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_fpu fpu;
	struct kvm_vcpu_events events;
};

struct kvm_vm {
	int kvm_fd, vm_fd, vcpu_fd;
	struct kvm_run *run;
	size_t run_size;
	uint8_t *ram;
	uint64_t ram_size;
	void *reserved;		/* kvm_vm_reserve_ram()'s address space */
	size_t reserved_len;
};

/* The guest's next checksum; the VMM recomputes it to check the guest. */
static inline uint32_t guest_checksum_step(uint32_t sum, uint32_t counter)
{
	return (sum * 0x01000193u) ^ counter;
}

/* Open /dev/kvm, create the VM and its vCPU, without RAM yet (a successor
 * does this before it takes the guest over). 0 or -errno, with a message
 * on stderr. */
int kvm_vm_create(struct kvm_vm *vm);
/* Give the VM its RAM: guest physical 0 to @ram_size at @ram. 0 or -errno. */
int kvm_vm_set_ram(struct kvm_vm *vm, uint8_t *ram, uint64_t ram_size);
/*
 * A successor's RAM slot, made before the predecessor pauses the guest:
 * reserve @size bytes of address space aligned to @align and make it the
 * VM's memory now. Making a slot costs KVM time that grows with its size
 * (without the TDP MMU it allocates and zeroes reverse maps, 2 MiB per
 * GiB, and it waits for an SRCU grace period). kvm_vm_map_ram() later
 * maps the guest RAM's file over the reservation, which KVM follows
 * through its MMU notifier: nothing of the slot is made again.
 */
int kvm_vm_reserve_ram(struct kvm_vm *vm, uint64_t size, uint64_t align);
/* Map @size bytes of the file @fd over the reservation (@thp: ask for
 * huge pages, else for none, as the library does for its mappings). */
int kvm_vm_map_ram(struct kvm_vm *vm, int fd, uint64_t size, int thp);
/* Both: a VM over @ram. */
int kvm_vm_open(struct kvm_vm *vm, uint8_t *ram, uint64_t ram_size);
void kvm_vm_close(struct kvm_vm *vm);
/* Cold boot: copy the guest program into RAM and point the vCPU at it. */
int kvm_vm_cold_boot(struct kvm_vm *vm);
/* Run until the guest reports: *counter gets the value it OUTed. 0, or
 * -EINTR when a signal interrupted the guest, or another -errno. */
int kvm_vm_run(struct kvm_vm *vm, uint32_t *counter);
/* Complete the instruction in flight (the OUT) and read the vCPU's state. */
int kvm_vm_pause_save(struct kvm_vm *vm, struct vcpu_state *st);
int kvm_vm_restore(struct kvm_vm *vm, const struct vcpu_state *st);

#endif
