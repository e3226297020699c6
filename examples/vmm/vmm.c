/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vmm: a small KVM virtual machine monitor whose guest survives a live
 * update. The guest counts; on SIGUSR1 the VMM pauses it, preserves its RAM
 * and vCPU state in a live update session and either exits, to be started
 * again (a VMM upgrade in place: simulator), or loads the next kernel and
 * reboots into it (--kexec). Started again, it finds its session, restores
 * the guest and proves that it goes on exactly where it stopped.
 *
 * See examples/vmm/README for a walk through.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <liveupdate/liveupdate.h>

#include "../common/update.h"
#include "kvm-vm.h"
#include "vmm-handover.h"

enum { EXIT_USAGE = 2, EXIT_CONTINUITY = 3 };

struct options {
	const char *name;
	uint64_t ram_size;
	unsigned rate;		/* guest reports per second; 0: as fast as it goes */
	unsigned print_ms;
	unsigned long update_after, exit_after;
	struct example_kexec next;	/* next.kernel NULL: restart in place */
};

/* One running guest and what the proof needs. */
struct vmm {
	struct options opt;
	struct liveupdate_ctx *ctx;
	char session_name[LIVEUPDATE_SESSION_NAME_MAX + 1];
	struct preserved_memory ram;
	struct kvm_vm vm;
	uint32_t last_counter, last_checksum, updates;
	int resumed;		/* the next report is the first after a resume */
	unsigned long reports;	/* since this start or resume */
};

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static double ms(int64_t ns)
{
	return ns / 1e6;
}

/* A 64-bit hash of all guest RAM, eight bytes at a time. */
static uint64_t ram_hash(const struct preserved_memory *ram)
{
	const uint64_t *w = ram->addr;
	uint64_t h = 0xcbf29ce484222325ull;

	for (uint64_t i = 0; i < ram->size / 8; i++) {
		h = (h ^ w[i]) * 0x100000001b3ull;
		h ^= h >> 29;
	}
	return h;
}

static uint32_t guest_u32(const struct vmm *v, uint32_t addr)
{
	uint32_t x;

	memcpy(&x, (uint8_t *)v->ram.addr + addr, sizeof(x));
	return x;
}

static int cold_boot(struct vmm *v)
{
	int ret = guest_ram_create(v->ctx, v->opt.ram_size, &v->ram);

	if (ret < 0) {
		fprintf(stderr, "vmm: guest RAM: %s\n", strerror(-ret));
		return ret;
	}
	ret = kvm_vm_open(&v->vm, v->ram.addr, v->ram.size);
	if (ret == 0)
		ret = kvm_vm_cold_boot(&v->vm);
	if (ret < 0)
		return ret;
	printf("vmm: cold boot: a new guest with %llu MiB of RAM; no session \"%s\" to resume\n",
	       (unsigned long long)(v->ram.size >> 20), v->session_name);
	return 0;
}

/* The session is there: take everything back and restore the vCPU. */
static int resume(struct vmm *v, struct liveupdate_session *s, int64_t t_start)
{
	struct vmm_state st;
	int64_t t_retrieved, t_hashed, t_restored;
	int64_t pause, preserve, restart, retrieve, restore;
	uint64_t h;
	int ret;

	ret = state_load(s, &st);
	if (ret == 0)
		ret = guest_ram_retrieve(s, &v->ram);
	if (ret < 0) {
		fprintf(stderr, "vmm: session \"%s\" is there but not usable: %s\n",
			v->session_name, ret == -EPROTO ? "unknown state format" :
			liveupdate_strerror(ret));
		return ret;
	}
	ret = liveupdate_session_finish(s);
	if (ret < 0)
		fprintf(stderr, "vmm: finish: %s\n", liveupdate_last_error());
	t_retrieved = now_ns();

	h = ram_hash(&v->ram);
	t_hashed = now_ns();
	if (v->ram.size != st.ram_size || h != st.ram_hash) {
		printf("vmm: CONTINUITY BROKEN: guest RAM %llu bytes hash %016llx, "
		       "at the pause %llu bytes hash %016llx\n",
		       (unsigned long long)v->ram.size, (unsigned long long)h,
		       (unsigned long long)st.ram_size, (unsigned long long)st.ram_hash);
		return -EXIT_CONTINUITY;
	}
	ret = kvm_vm_open(&v->vm, v->ram.addr, v->ram.size);
	if (ret == 0)
		ret = kvm_vm_restore(&v->vm, &st.vcpu);
	if (ret < 0)
		return ret;
	t_restored = now_ns();

	v->last_counter = st.last_counter;
	v->last_checksum = st.last_checksum;
	v->updates = st.updates;
	v->resumed = 1;
	printf("vmm: resumed the guest from session \"%s\" (live update %u): it stopped "
	       "after reporting %u\n", v->session_name, v->updates, v->last_counter);
	printf("vmm: guest RAM intact: %llu MiB of %s, hash %016llx, the same as at the pause\n",
	       (unsigned long long)(v->ram.size >> 20),
	       liveupdate_memory_backing_name(liveupdate_memory_get_backing(v->ram.mem)),
	       (unsigned long long)h);
	printf("vmm: found by label in the session's manifest:\n");
	manifest_print(s);
	pause = st.t_paused - st.t_pause_start;
	preserve = st.t_preserve_end - st.t_preserve_start;
	restart = t_start - st.t_preserve_end;
	retrieve = t_retrieved - t_start;
	restore = t_restored - t_hashed;
	printf("vmm: blackout %.2f ms (pause to resume) = pause %.2f + preserve %.2f + "
	       "%s %.2f + retrieve %.2f + restore %.2f ms\n",
	       ms(pause + preserve + restart + retrieve + restore), ms(pause), ms(preserve),
	       st.kexec ? "reboot" : "restart", ms(restart), ms(retrieve), ms(restore));
	printf("vmm: (not counted: the guest RAM was preserved before the pause, in %.2f ms, "
	       "while the guest ran)\n", ms(st.ram_preserve_ns));
	printf("vmm: (not counted: the RAM hashes for this proof, %.2f ms at the pause "
	       "and %.2f ms now)\n", ms(st.t_preserve_start - st.t_paused), ms(t_hashed - t_retrieved));
	return 0;
}

/* Cold boot, or resume the guest of our session if there is one. */
static int start(struct vmm *v, int64_t t_start)
{
	struct liveupdate_session *s = NULL;
	int ret;

	v->reports = 0;
	v->resumed = 0;
	ret = liveupdate_ctx_open_device(v->ctx);
	if (ret < 0) {
		printf("vmm: live update is not available here, so no guest to resume and "
		       "no update possible: %s\n", liveupdate_last_error());
		return cold_boot(v);
	}
	ret = liveupdate_session_retrieve(v->ctx, v->session_name, &s);
	if (ret == -ENOENT) {
		ret = cold_boot(v);
	} else if (ret < 0) {
		fprintf(stderr, "vmm: %s\n", liveupdate_last_error());
	} else {
		ret = resume(v, s, t_start);
		liveupdate_session_unref(s);
	}
	/* Let other programs (liveupdate-ctl, an agent) open the device;
	 * the library opens it again for the next update. */
	liveupdate_ctx_close_device(v->ctx);
	return ret;
}

static void stop_guest(struct vmm *v)
{
	kvm_vm_close(&v->vm);
	preserved_memory_close(&v->ram);
}

/*
 * Pause, preserve, and hand over. Returns 1 when the guest was handed over
 * (the caller exits, or resumes in this process after a simulated kexec),
 * 0 when the update failed and the guest goes on here, -errno on a failure
 * that leaves no guest to run.
 */
static int update(struct vmm *v, int64_t *t_rebooted)
{
	struct liveupdate_session *s = NULL;
	struct preserved_memory state_mem = { .fd = -1 };
	struct vmm_state st = { .magic = VMM_STATE_MAGIC, .version = VMM_STATE_VERSION,
				.size = sizeof(st) };
	int64_t t0;
	int ret;

	/* While the guest still runs, outside the blackout: load the next
	 * kernel, and preserve the guest RAM, the costly part (the kernel
	 * pins every page now; what the guest writes later still reaches the
	 * next kernel). */
	if (example_update_load(v->ctx, &v->opt.next, "vmm") < 0)
		return 0;
	t0 = now_ns();
	ret = liveupdate_session_create(v->ctx, v->session_name, &s);
	if (ret == 0)
		ret = guest_ram_preserve(s, &v->ram);
	if (ret < 0)
		goto failed;
	st.ram_preserve_ns = now_ns() - t0;

	st.t_pause_start = now_ns();
	ret = kvm_vm_pause_save(&v->vm, &st.vcpu);
	if (ret < 0)
		return ret;
	st.t_paused = now_ns();
	st.ram_size = v->ram.size;
	st.ram_hash = ram_hash(&v->ram);
	st.last_counter = v->last_counter;
	st.last_checksum = v->last_checksum;
	st.updates = v->updates + 1;
	st.kexec = v->opt.next.kernel != NULL;
	st.t_preserve_start = now_ns();
	ret = state_save(v->ctx, s, &st, &state_mem);
	if (ret < 0)
		goto failed;
	((struct vmm_state *)state_mem.addr)->t_preserve_end = now_ns();
	preserved_memory_close(&state_mem);
	printf("vmm: paused the guest after it reported %u; RAM (%llu MiB) and vCPU "
	       "state preserved in session \"%s\"\n", v->last_counter,
	       (unsigned long long)(v->ram.size >> 20), v->session_name);
	fflush(stdout);

	/* The kernel: does not return. The simulator: returns 0, and the
	 * session is now an incoming one, held by liveupdate-sim. */
	ret = liveupdate_kexec_reboot(v->ctx);
	if (ret < 0)
		goto failed;
	liveupdate_session_unref(s);	/* a dead fd of the previous boot */
	stop_guest(v);	/* what the old process's exit or the reboot would do */
	*t_rebooted = now_ns();
	return 1;
failed:
	printf("vmm: update failed, the guest goes on: %s\n", liveupdate_last_error());
	liveupdate_session_unref(s);	/* aborts what was preserved */
	return 0;
}

static void report(struct vmm *v, uint32_t counter, int64_t *next_print)
{
	uint32_t want_sum = guest_checksum_step(v->last_checksum, counter);
	uint32_t guest_sum = guest_u32(v, GUEST_CHECKSUM_ADDR);
	int64_t now;

	if (counter != v->last_counter + 1 || guest_sum != want_sum) {
		printf("vmm: CONTINUITY BROKEN: the guest reported %u (checksum %08x) "
		       "after %u; expected %u (checksum %08x)\n", counter, guest_sum,
		       v->last_counter, v->last_counter + 1, want_sum);
		exit(EXIT_CONTINUITY);
	}
	if (v->resumed) {
		printf("guest: %u follows %u: no gap, no repeat; its running checksum in "
		       "RAM, %08x, is right\n", counter, v->last_counter, guest_sum);
		v->resumed = 0;
	}
	v->last_counter = counter;
	v->last_checksum = want_sum;
	v->reports++;
	now = now_ns();
	if (now >= *next_print) {
		printf("guest: counter %u, checksum %08x\n", counter, guest_sum);
		fflush(stdout);
		*next_print = now + (int64_t)v->opt.print_ms * 1000000;
	}
}

/* Sleep until the next report is due, for a steady rate; signals cut it short. */
static void pace(const struct vmm *v, struct timespec *next)
{
	if (!v->opt.rate)
		return;
	next->tv_nsec += 1000000000 / v->opt.rate;
	while (next->tv_nsec >= 1000000000) {
		next->tv_nsec -= 1000000000;
		next->tv_sec++;
	}
	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, next, NULL);
}

static int run(struct vmm *v)
{
	int64_t next_print = 0, t_rebooted = 0;
	struct timespec next;
	uint32_t counter;
	int ret;

	clock_gettime(CLOCK_MONOTONIC, &next);
	for (;;) {
		if (example_stop_requested) {
			printf("vmm: stopped; the guest reported %u\n", v->last_counter);
			return 0;
		}
		if (v->opt.exit_after && v->reports >= v->opt.exit_after) {
			printf("vmm: %lu reports since the start, as asked; the guest reported %u\n",
			       v->reports, v->last_counter);
			return 0;
		}
		if (v->opt.update_after && v->reports == v->opt.update_after) {
			v->opt.update_after = 0;	/* once per process */
			example_update_requested = 1;
		}
		if (example_update_requested) {
			example_update_requested = 0;
			ret = update(v, &t_rebooted);
			if (ret < 0)
				return 1;
			if (ret == 1 && !v->opt.next.kernel) {
				printf("vmm: handed over; exiting. Start the (new) VMM again with "
				       "the same --name to resume the guest\n");
				return 0;
			}
			if (ret == 1) {
				printf("vmm: simulated kexec done: this process plays the VMM "
				       "started in the new kernel\n");
				ret = start(v, t_rebooted);
				if (ret < 0)
					return ret == -EXIT_CONTINUITY ? EXIT_CONTINUITY : 1;
			}
			/* The rate restarts from now, not from before the pause. */
			clock_gettime(CLOCK_MONOTONIC, &next);
		}
		ret = kvm_vm_run(&v->vm, &counter);
		if (ret == -EINTR)
			continue;
		if (ret < 0)
			return 1;
		report(v, counter, &next_print);
		pace(v, &next);
	}
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vmm [OPTIONS]\n"
		"A KVM guest that counts, and survives a live update (SIGUSR1).\n"
		"  -n, --name NAME        the VM's name; its session is vmm-NAME (default vm0)\n"
		"  -m, --ram-mb N         guest RAM in MiB, a power of two >= 2 (default 64)\n"
		"  -r, --rate N           guest reports per second, 0 for full speed (default 1000)\n"
		"  -p, --print-ms N       print the counter every N ms (default 500)\n"
		"  -u, --update-after N   update by itself after N reports\n"
		"  -x, --exit-after N     exit after N reports\n"
		"  -k, --kexec KERNEL     update = load KERNEL and reboot into it (default:\n"
		"                         hand over and exit, to be started again: simulator)\n"
		"  -i, --initrd FILE      with --kexec: the new kernel's initramfs\n"
		"  -c, --cmdline STRING   with --kexec: its command line (default: this one's)\n"
		"Exit status: 0, 1 on an error, 2 on bad usage, 3 if the guest's continuity broke.\n");
}

static int parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno || end == s || *end || *s == '-' || *out > max ? -1 : 0;
}

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "ram-mb", required_argument, NULL, 'm' },
		{ "rate", required_argument, NULL, 'r' },
		{ "print-ms", required_argument, NULL, 'p' },
		{ "update-after", required_argument, NULL, 'u' },
		{ "exit-after", required_argument, NULL, 'x' },
		{ "kexec", required_argument, NULL, 'k' },
		{ "initrd", required_argument, NULL, 'i' },
		{ "cmdline", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	unsigned long n;
	int c;

	*o = (struct options){ .name = "vm0", .ram_size = 64u << 20, .rate = 1000,
			       .print_ms = 500 };
	while ((c = getopt_long(argc, argv, "n:m:r:p:u:x:k:i:c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'n': o->name = optarg; break;
		case 'm':
			if (parse_ulong(optarg, 2048, &n) || n < 2 || (n & (n - 1)))
				goto bad;
			o->ram_size = (uint64_t)n << 20;
			break;
		case 'r':
			if (parse_ulong(optarg, 1000000, &n))
				goto bad;
			o->rate = (unsigned)n;
			break;
		case 'p':
			if (parse_ulong(optarg, 3600000, &n))
				goto bad;
			o->print_ms = (unsigned)n;
			break;
		case 'u':
			if (parse_ulong(optarg, ~0ul, &o->update_after))
				goto bad;
			break;
		case 'x':
			if (parse_ulong(optarg, ~0ul, &o->exit_after))
				goto bad;
			break;
		case 'k': o->next.kernel = optarg; break;
		case 'i': o->next.initrd = optarg; break;
		case 'c': o->next.cmdline = optarg; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (optind == argc)
		return 0;
	fprintf(stderr, "vmm: unexpected argument '%s'\n", argv[optind]);
	return -1;
bad:
	fprintf(stderr, "vmm: bad value '%s' for -%c (see --help)\n", optarg, c);
	return -1;
}

int main(int argc, char **argv)
{
	struct vmm v = { .ram.fd = -1 };
	int64_t t_start = now_ns();
	int ret;

	v.vm.kvm_fd = v.vm.vm_fd = v.vm.vcpu_fd = -1;
	if (parse_options(argc, argv, &v.opt) < 0)
		return EXIT_USAGE;
	if (vmm_session_name(v.opt.name, v.session_name) < 0) {
		fprintf(stderr, "vmm: --name '%s' is too long for a session name\n", v.opt.name);
		return EXIT_USAGE;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	example_catch_signals();

	ret = liveupdate_ctx_new(NULL, &v.ctx);
	if (ret < 0) {
		fprintf(stderr, "vmm: %s\n", liveupdate_last_error());
		return 1;
	}
	printf("vmm: pid %d, live update through %s\n", (int)getpid(),
	       liveupdate_ctx_get_backend(v.ctx) == LIVEUPDATE_BACKEND_SIM
		       ? "liveupdate-sim, the simulator" : "the kernel");
	ret = start(&v, t_start);
	if (ret == 0)
		ret = run(&v);
	else
		ret = ret == -EXIT_CONTINUITY ? EXIT_CONTINUITY : 1;
	stop_guest(&v);
	liveupdate_ctx_unref(v.ctx);
	return ret;
}
