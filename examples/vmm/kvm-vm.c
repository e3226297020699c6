/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kvm-vm: see kvm-vm.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvm-vm.h"

/*
 * The guest program, 32-bit code at GUEST_CODE_ADDR (assembled with
 * `as --32`; the source is beside each line):
 */
static const uint8_t guest_code[] = {
	0xa1, 0x00, 0x80, 0x00, 0x00,       /* loop: mov  0x8000, %eax      */
	0x40,                               /*       inc  %eax              */
	0xa3, 0x00, 0x80, 0x00, 0x00,       /*       mov  %eax, 0x8000      */
	0x8b, 0x1d, 0x04, 0x80, 0x00, 0x00, /*       mov  0x8004, %ebx      */
	0x69, 0xdb, 0x93, 0x01, 0x00, 0x01, /*       imul $0x1000193, %ebx  */
	0x31, 0xc3,                         /*       xor  %eax, %ebx        */
	0x89, 0x1d, 0x04, 0x80, 0x00, 0x00, /*       mov  %ebx, 0x8004      */
	0x69, 0xc8, 0x04, 0x10, 0x00, 0x00, /*       imul $4100, %eax, %ecx */
	0x23, 0x0d, 0x08, 0x80, 0x00, 0x00, /*       and  0x8008, %ecx      */
	0x03, 0x0d, 0x0c, 0x80, 0x00, 0x00, /*       add  0x800c, %ecx      */
	0x89, 0x01,                         /*       mov  %eax, (%ecx)      */
	0x66, 0xba, 0x10, 0x00,             /*       mov  $0x10, %dx        */
	0xef,                               /*       out  %eax, (%dx)       */
	0xeb, 0xc6,                         /*       jmp  loop              */
};

static int fail(const char *what)
{
	int err = errno;

	fprintf(stderr, "vmm: %s: %s\n", what, strerror(err));
	return -err;
}

int kvm_vm_create(struct kvm_vm *vm)
{
	int n;

	memset(vm, 0, sizeof(*vm));
	vm->vm_fd = vm->vcpu_fd = -1;
	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0)
		return fail("open /dev/kvm (is KVM available and accessible here?)");
	if (ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		fprintf(stderr, "vmm: /dev/kvm speaks another KVM API version\n");
		kvm_vm_close(vm);
		return -ENOTSUP;
	}
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IMMEDIATE_EXIT) <= 0) {
		fprintf(stderr, "vmm: KVM lacks KVM_CAP_IMMEDIATE_EXIT (Linux 4.11)\n");
		kvm_vm_close(vm);
		return -ENOTSUP;
	}
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0)
		goto err;
	vm->vcpu_fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, 0);
	if (vm->vcpu_fd < 0)
		goto err;
	n = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (n < 0)
		goto err;
	vm->run_size = (size_t)n;
	vm->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       vm->vcpu_fd, 0);
	if (vm->run == MAP_FAILED) {
		vm->run = NULL;
		goto err;
	}
	return 0;
err:
	n = fail("setting up the KVM virtual machine");
	kvm_vm_close(vm);
	return n;
}

int kvm_vm_set_ram(struct kvm_vm *vm, uint8_t *ram, uint64_t ram_size)
{
	struct kvm_userspace_memory_region region = {
		.slot = 0, .guest_phys_addr = 0,
		.memory_size = ram_size, .userspace_addr = (uintptr_t)ram,
	};

	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return fail("KVM_SET_USER_MEMORY_REGION");
	vm->ram = ram;
	vm->ram_size = ram_size;
	return 0;
}

int kvm_vm_reserve_ram(struct kvm_vm *vm, uint64_t size, uint64_t align)
{
	size_t len = (size_t)(size + align);
	void *base = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			  -1, 0);
	uint8_t *ram;
	int ret;

	if (base == MAP_FAILED)
		return fail("reserving address space for the guest RAM");
	ram = (uint8_t *)(((uintptr_t)base + align - 1) & ~(uintptr_t)(align - 1));
	ret = kvm_vm_set_ram(vm, ram, size);
	if (ret < 0) {
		munmap(base, len);
		return ret;
	}
	vm->reserved = base;
	vm->reserved_len = len;
	return 0;
}

int kvm_vm_map_ram(struct kvm_vm *vm, int fd, uint64_t size, int thp)
{
	if (!vm->reserved || size != vm->ram_size) {
		fprintf(stderr, "vmm: guest RAM of %llu bytes, but the VM's slot was made for "
			"%llu\n", (unsigned long long)size, (unsigned long long)vm->ram_size);
		return -EPROTO;
	}
	if (mmap(vm->ram, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		 fd, 0) == MAP_FAILED)
		return fail("mapping the guest RAM into the VM's slot");
	madvise(vm->ram, (size_t)size, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	return 0;
}

int kvm_vm_open(struct kvm_vm *vm, uint8_t *ram, uint64_t ram_size)
{
	int ret = kvm_vm_create(vm);

	if (ret == 0 && (ret = kvm_vm_set_ram(vm, ram, ram_size)) < 0)
		kvm_vm_close(vm);
	return ret;
}

void kvm_vm_close(struct kvm_vm *vm)
{
	if (vm->run)
		munmap(vm->run, vm->run_size);
	if (vm->vcpu_fd >= 0)
		close(vm->vcpu_fd);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	if (vm->reserved)
		munmap(vm->reserved, vm->reserved_len);
	vm->reserved = NULL;
	vm->run = NULL;
	vm->kvm_fd = vm->vm_fd = vm->vcpu_fd = -1;
}

static void flat_segment(struct kvm_segment *s, uint16_t selector, uint8_t type)
{
	memset(s, 0, sizeof(*s));
	s->base = 0;
	s->limit = 0xffffffff;
	s->selector = selector;
	s->type = type;
	s->present = 1;
	s->db = 1;
	s->s = 1;
	s->g = 1;
}

static void put_u32(struct kvm_vm *vm, uint32_t addr, uint32_t v)
{
	memcpy(vm->ram + addr, &v, sizeof(v));
}

int kvm_vm_cold_boot(struct kvm_vm *vm)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs = { .rflags = 2, .rip = GUEST_CODE_ADDR };

	memcpy(vm->ram + GUEST_CODE_ADDR, guest_code, sizeof(guest_code));
	put_u32(vm, GUEST_COUNTER_ADDR, 0);
	put_u32(vm, GUEST_CHECKSUM_ADDR, 0);
	/* The guest writes each counter somewhere in the upper half of RAM. */
	put_u32(vm, GUEST_RING_MASK, (uint32_t)(vm->ram_size / 2 - 1) & ~3u);
	put_u32(vm, GUEST_RING_BASE, (uint32_t)(vm->ram_size / 2));

	if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &sregs) < 0)
		return fail("KVM_GET_SREGS");
	flat_segment(&sregs.cs, 0x08, 0xb); /* code: execute/read, accessed */
	flat_segment(&sregs.ds, 0x10, 0x3); /* data: read/write, accessed */
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	sregs.cr0 |= 1; /* protected mode, no paging */
	if (ioctl(vm->vcpu_fd, KVM_SET_SREGS, &sregs) < 0)
		return fail("KVM_SET_SREGS");
	if (ioctl(vm->vcpu_fd, KVM_SET_REGS, &regs) < 0)
		return fail("KVM_SET_REGS");
	return 0;
}

int kvm_vm_run(struct kvm_vm *vm, uint32_t *counter)
{
	struct kvm_run *run = vm->run;

	if (ioctl(vm->vcpu_fd, KVM_RUN, 0) < 0) {
		if (errno == EINTR)
			return -EINTR;
		return fail("KVM_RUN");
	}
	if (run->exit_reason == KVM_EXIT_IO && run->io.direction == KVM_EXIT_IO_OUT &&
	    run->io.port == GUEST_REPORT_PORT && run->io.size == 4 && run->io.count == 1) {
		memcpy(counter, (uint8_t *)run + run->io.data_offset, 4);
		return 0;
	}
	fprintf(stderr, "vmm: unexpected exit from the guest: reason %u\n",
		run->exit_reason);
	return -EIO;
}

int kvm_vm_pause_save(struct kvm_vm *vm, struct vcpu_state *st)
{
	/* After an I/O exit the guest's state is complete only once KVM_RUN
	 * has been entered again: do that without running the guest. */
	vm->run->immediate_exit = 1;
	if (ioctl(vm->vcpu_fd, KVM_RUN, 0) == 0 || errno != EINTR) {
		vm->run->immediate_exit = 0;
		return fail("KVM_RUN with immediate_exit");
	}
	vm->run->immediate_exit = 0;
	memset(st, 0, sizeof(*st));
	if (ioctl(vm->vcpu_fd, KVM_GET_REGS, &st->regs) < 0)
		return fail("KVM_GET_REGS");
	if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &st->sregs) < 0)
		return fail("KVM_GET_SREGS");
	if (ioctl(vm->vcpu_fd, KVM_GET_FPU, &st->fpu) < 0)
		return fail("KVM_GET_FPU");
	if (ioctl(vm->vcpu_fd, KVM_GET_VCPU_EVENTS, &st->events) < 0)
		return fail("KVM_GET_VCPU_EVENTS");
	return 0;
}

int kvm_vm_restore(struct kvm_vm *vm, const struct vcpu_state *st)
{
	struct kvm_vcpu_events events = st->events;

	if (ioctl(vm->vcpu_fd, KVM_SET_SREGS, &st->sregs) < 0)
		return fail("KVM_SET_SREGS");
	if (ioctl(vm->vcpu_fd, KVM_SET_REGS, &st->regs) < 0)
		return fail("KVM_SET_REGS");
	if (ioctl(vm->vcpu_fd, KVM_SET_FPU, &st->fpu) < 0)
		return fail("KVM_SET_FPU");
	if (ioctl(vm->vcpu_fd, KVM_SET_VCPU_EVENTS, &events) < 0)
		return fail("KVM_SET_VCPU_EVENTS");
	return 0;
}
