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
#include <poll.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <liveupdate/liveupdate.h>

#include "../common/update.h"
#include "kvm-vm.h"
#include "vmm-handover.h"
#include "vmm-takeover.h"

enum { EXIT_USAGE = 2, EXIT_CONTINUITY = 3 };

struct options {
	const char *name;
	uint64_t ram_size;
	enum liveupdate_memory_backing backing;
	unsigned rate;		/* guest reports per second; 0: as fast as it goes */
	unsigned print_ms;
	unsigned long update_after, exit_after;
	int hash_ram;		/* hash all guest RAM at the pause and the resume */
	const char *listen_path, *takeover_path;
	struct example_kexec next;	/* next.kernel NULL: restart in place */
};

/* This process's side of the blackout, printed at the guest's first report
 * after the resume with the predecessor's side from the state object. */
struct resume_stamps {
	struct vmm_state st;	/* the predecessor's stamps */
	int64_t t_received;	/* the session is this process's */
	int64_t t_found, t_hashed;	/* RAM and state found and mapped; hashed */
	int64_t t_restored;	/* the vCPU is loaded: the next KVM_RUN resumes */
};

/* One running guest and what the proof needs. */
struct vmm {
	struct options opt;
	struct liveupdate_ctx *ctx;
	char session_name[LIVEUPDATE_SESSION_NAME_MAX + 1];
	struct preserved_memory ram;
	struct kvm_vm vm;
	/* The outgoing session with RAM and state preserved, made before any
	 * update (vmm_prepare) or received from the predecessor. */
	struct liveupdate_session *session;
	struct preserved_memory state;
	struct takeover_listener listener;
	int predecessor;	/* its socket, closed once the guest runs here */
	uint32_t last_counter, last_checksum, updates;
	int resumed;		/* the next report is the first after a resume */
	struct resume_stamps stamps;
	unsigned long reports;	/* since this start or resume */
};

static double ms(int64_t ns)
{
	return ns / 1e6;
}

/* The clock of the blackout's stamps: the monotonic clock restarts at a
 * real kexec, the wall clock does not. */
static clockid_t update_clock(const struct vmm *v, enum vmm_update_kind kind)
{
	return kind == VMM_UPDATE_KEXEC &&
	       liveupdate_ctx_get_backend(v->ctx) == LIVEUPDATE_BACKEND_KERNEL
		       ? CLOCK_REALTIME : CLOCK_MONOTONIC;
}

static const char *clock_name(uint32_t clock)
{
	return clock == CLOCK_REALTIME ? "CLOCK_REALTIME" : "CLOCK_MONOTONIC";
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
	int ret = guest_ram_create(v->ctx, v->opt.ram_size, v->opt.backing, &v->ram);

	if (ret < 0) {
		fprintf(stderr, "vmm: guest RAM: %s\n", liveupdate_last_error());
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

/*
 * The session is this process's (retrieved after a kexec or a restart, or
 * received from the predecessor): find RAM and state by label, check them,
 * load the vCPU. An incoming session is finished; a received one is
 * outgoing and stays, with its state object, for the next update.
 */
static int resume(struct vmm *v, struct liveupdate_session *s)
{
	struct resume_stamps *t = &v->stamps;
	struct vmm_state *st = &t->st;
	struct preserved_memory state;
	bool incoming = liveupdate_session_get_direction(s) == LIVEUPDATE_SESSION_INCOMING;
	clockid_t clock;
	uint64_t h = 0;
	int ret;

	ret = state_open(s, &state, st);
	if (ret == 0)
		ret = guest_ram_retrieve(s, &v->ram);
	if (ret < 0) {
		fprintf(stderr, "vmm: session \"%s\" is there but not usable: %s\n",
			v->session_name, ret == -EPROTO ? "unknown state format" :
			liveupdate_last_error());
		preserved_memory_close(&state);
		return ret;
	}
	clock = (clockid_t)st->clock;
	if (incoming) {
		preserved_memory_close(&state);
		ret = liveupdate_session_finish(s);
		if (ret < 0)
			fprintf(stderr, "vmm: finish: %s\n", liveupdate_last_error());
	} else {
		v->session = liveupdate_session_ref(s);
		v->state = state;
	}
	t->t_found = vmm_now(clock);

	if (st->ram_hashed)
		h = ram_hash(&v->ram);
	t->t_hashed = vmm_now(clock);
	if (v->ram.size != st->ram_size || (st->ram_hashed && h != st->ram_hash)) {
		printf("vmm: CONTINUITY BROKEN: guest RAM %llu bytes hash %016llx, "
		       "at the pause %llu bytes hash %016llx\n",
		       (unsigned long long)v->ram.size, (unsigned long long)h,
		       (unsigned long long)st->ram_size, (unsigned long long)st->ram_hash);
		return -EXIT_CONTINUITY;
	}
	/* a successor made its VM, vCPU and RAM slot before the pause */
	ret = v->vm.reserved ? kvm_vm_map_ram(&v->vm, v->ram.fd, v->ram.size,
					      liveupdate_memory_get_backing(v->ram.mem) ==
					      LIVEUPDATE_MEMORY_THP)
			     : kvm_vm_open(&v->vm, v->ram.addr, v->ram.size);
	if (ret == 0)
		ret = kvm_vm_restore(&v->vm, &st->vcpu);
	if (ret < 0)
		return ret;
	t->t_restored = vmm_now(clock);

	v->last_counter = st->last_counter;
	v->last_checksum = st->last_checksum;
	v->updates = st->updates;
	v->resumed = 1;
	printf("vmm: resumed the guest from session \"%s\" (live update %u): it stopped "
	       "after reporting %u\n", v->session_name, v->updates, v->last_counter);
	if (st->ram_hashed)
		printf("vmm: guest RAM intact: %llu MiB of %s, hash %016llx, the same as at "
		       "the pause\n", (unsigned long long)(v->ram.size >> 20),
		       liveupdate_memory_backing_name(liveupdate_memory_get_backing(v->ram.mem)),
		       (unsigned long long)h);
	else
		printf("vmm: guest RAM: %llu MiB of %s, not hashed (--no-ram-hash)\n",
		       (unsigned long long)(v->ram.size >> 20),
		       liveupdate_memory_backing_name(liveupdate_memory_get_backing(v->ram.mem)));
	printf("vmm: found by label in the session's manifest:\n");
	manifest_print(s);
	return 0;
}

/* At the guest's first report after a resume: the blackout and its parts. */
static void print_blackout(const struct resume_stamps *t, int64_t t_resumed)
{
	static const char *const how[] = {
		[VMM_UPDATE_RESTART] = "exit, restart and retrieve",
		[VMM_UPDATE_KEXEC] = "kexec and retrieve",
		[VMM_UPDATE_TAKEOVER] = "takeover",
	};
	const struct vmm_state *st = &t->st;
	int64_t hashes = (st->t_hashed - st->t_paused) + (t->t_hashed - t->t_found);
	int64_t pause = st->t_paused - st->t_pause_start;
	int64_t state = st->t_state_written - st->t_hashed;
	int64_t handover = t->t_received - st->t_state_written;
	int64_t restore = (t->t_found - t->t_received) + (t->t_restored - t->t_hashed);
	int64_t run = t_resumed - t->t_restored;

	printf("vmm: blackout %.3f ms (pause to resume, %s) = pause %.3f + state %.3f + "
	       "handover %.3f (%s) + restore %.3f + resume %.3f ms\n",
	       ms(t_resumed - st->t_pause_start - hashes), clock_name(st->clock), ms(pause),
	       ms(state), ms(handover), st->kind <= VMM_UPDATE_TAKEOVER ? how[st->kind] : "?",
	       ms(restore), ms(run));
	if (st->ram_hashed)
		printf("vmm: (not counted: the RAM hashes for this proof, %.2f ms at the pause "
		       "and %.2f ms at the resume)\n", ms(st->t_hashed - st->t_paused),
		       ms(t->t_hashed - t->t_found));
}

/* Cold boot, or resume the guest of our session if there is one. */
static int start(struct vmm *v)
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
	/* an incoming session came through a kexec, or the simulator's restart */
	v->stamps.t_received = vmm_now(update_clock(v, VMM_UPDATE_KEXEC));
	if (ret == -ENOENT) {
		ret = cold_boot(v);
	} else if (ret < 0) {
		fprintf(stderr, "vmm: %s\n", liveupdate_last_error());
	} else {
		ret = resume(v, s);
		liveupdate_session_unref(s);
	}
	/* Let other programs (liveupdate-ctl, an agent) open the device;
	 * the library opens it again for the next update. */
	liveupdate_ctx_close_device(v->ctx);
	return ret;
}

/*
 * Take the guest over from the VMM listening at --take-over PATH: create
 * the VM and vCPU first, so that the predecessor pauses its guest only
 * once this process is ready, then connect and receive the session.
 */
static int take_over(struct vmm *v)
{
	struct liveupdate_session *s = NULL;
	uint64_t ram_size, align;
	pid_t peer;
	int sock, ret;

	ret = kvm_vm_create(&v->vm);
	if (ret < 0)
		return ret;
	sock = takeover_connect(v->opt.takeover_path, &peer);
	if (sock < 0)
		return sock;
	ret = takeover_hear(sock, &ram_size, &align);
	if (ret < 0) {
		fprintf(stderr, "vmm: --take-over %s: pid %d did not offer a guest: %s\n",
			v->opt.takeover_path, (int)peer,
			ret == -EBADMSG ? "it speaks no takeover protocol of this VMM"
					: strerror(-ret));
		close(sock);
		return ret;
	}
	ret = kvm_vm_reserve_ram(&v->vm, ram_size, align);
	if (ret == 0)
		ret = takeover_ready(sock);
	if (ret < 0) {
		close(sock);
		return ret;
	}
	printf("vmm: VM, vCPU and a %llu MiB RAM slot made; taking the guest over from "
	       "pid %d on %s\n", (unsigned long long)(ram_size >> 20), (int)peer,
	       v->opt.takeover_path);
	ret = liveupdate_session_receive(v->ctx, sock, &s);
	v->stamps.t_received = vmm_now(update_clock(v, VMM_UPDATE_TAKEOVER));
	if (ret < 0) {
		fprintf(stderr, "vmm: the takeover failed, pid %d keeps the guest: %s\n",
			(int)peer, liveupdate_last_error());
		close(sock);
		return ret;
	}
	/* the session's name is the predecessor's: keep it */
	snprintf(v->session_name, sizeof(v->session_name), "%s", liveupdate_session_get_name(s));
	ret = resume(v, s);
	liveupdate_session_unref(s);
	/* a failure to say so is the predecessor's death: then we go on */
	takeover_send_restored(sock, ret == 0);
	if (ret < 0) {
		fprintf(stderr, "vmm: could not restore the guest: pid %d resumes it\n", (int)peer);
		close(sock);
		return ret;
	}
	ret = takeover_wait_verdict(sock);
	if (ret <= 0) {
		if (ret == 0)
			fprintf(stderr, "vmm: pid %d gave up waiting and runs the guest\n",
				(int)peer);
		else
			fprintf(stderr, "vmm: waiting for pid %d's verdict: %s\n", (int)peer,
				strerror(-ret));
		close(sock);
		return ret < 0 ? ret : -ECANCELED;
	}
	v->predecessor = sock;
	/* its socket leads nowhere now, unless this process listens there */
	if (!v->opt.listen_path || strcmp(v->opt.listen_path, v->opt.takeover_path))
		unlink(v->opt.takeover_path);
	printf("vmm: took the guest over from pid %d\n", (int)peer);
	return 0;
}

static void stop_guest(struct vmm *v)
{
	kvm_vm_close(&v->vm);
	preserved_memory_close(&v->state);
	liveupdate_session_unref(v->session);	/* aborts it unless handed on */
	v->session = NULL;
	preserved_memory_close(&v->ram);
}

/* The session, the RAM in it and the state object, before any pause. */
static int prepare(struct vmm *v)
{
	int64_t t0 = vmm_now(CLOCK_MONOTONIC);
	int ret;

	if (v->session)
		return 0;
	ret = vmm_prepare(v->ctx, v->session_name, &v->ram, &v->session, &v->state);
	if (ret < 0) {
		printf("vmm: cannot prepare the update, the guest goes on: %s\n",
		       liveupdate_last_error());
		return ret;
	}
	printf("vmm: session \"%s\" ready for an update: guest RAM and the state object "
	       "preserved in %.2f ms while the guest runs\n", v->session_name,
	       ms(vmm_now(CLOCK_MONOTONIC) - t0));
	liveupdate_ctx_close_device(v->ctx);	/* as start() does */
	return 0;
}

/*
 * The guest is paused and its state written: hand the session to the
 * successor on @sock and let it run the guest once it restored it.
 * 1 when it runs the guest, 0 when this process goes on with it.
 */
static int hand_to_successor(struct vmm *v, int sock, pid_t peer, int64_t t_pause_start,
			     clockid_t clock)
{
	const char *why;
	int ret;

	ret = liveupdate_session_handover(v->session, sock);
	if (ret < 0) {
		takeover_send_verdict(sock, false);
		printf("vmm: the takeover by pid %d failed, the guest goes on here after "
		       "a %.2f ms pause: %s\n", (int)peer,
		       ms(vmm_now(clock) - t_pause_start), liveupdate_last_error());
		return 0;
	}
	ret = takeover_wait_restored(sock);
	if (ret == 1 && takeover_send_verdict(sock, true) == 0) {
		printf("vmm: paused the guest after it reported %u and handed it over to "
		       "pid %d\n", v->last_counter, (int)peer);
		return 1;
	}
	takeover_send_verdict(sock, false);
	why = ret == 1 ? "hung up before it could run the guest" :
	      ret == 0 ? "could not restore the guest" : "did not restore it in time";
	/* The session is the successor's now (it closes its copy as it
	 * exits): drop ours; the next update makes a new one. */
	printf("vmm: pid %d took the session but %s: the guest goes on here after a "
	       "%.2f ms pause, without a session until the next update\n", (int)peer,
	       why, ms(vmm_now(clock) - t_pause_start));
	liveupdate_session_unref(v->session);
	v->session = NULL;
	preserved_memory_close(&v->state);
	return 0;
}

/*
 * Pause, write the state, and hand the guest on: to the successor on
 * @sock (a takeover), or by a kexec (real or simulated) that the next
 * process or kernel retrieves from. Returns 1 when the guest was handed
 * on (the caller exits, or resumes in this process after a simulated
 * kexec), 0 when the update failed and the guest goes on here, -errno on
 * a failure that leaves no guest to run.
 */
static int update(struct vmm *v, enum vmm_update_kind kind, int sock, pid_t peer)
{
	clockid_t clock = update_clock(v, kind);
	struct vmm_state st = { .magic = VMM_STATE_MAGIC, .version = VMM_STATE_VERSION,
				.size = sizeof(st), .kind = kind, .clock = (uint32_t)clock };
	int ret;

	/* Outside the blackout: load the next kernel; the session, RAM and
	 * state object are ready already when listening. */
	if (kind != VMM_UPDATE_TAKEOVER && example_update_load(v->ctx, &v->opt.next, "vmm") < 0)
		return 0;
	if (prepare(v) < 0)
		return 0;

	st.t_pause_start = vmm_now(clock);
	ret = kvm_vm_pause_save(&v->vm, &st.vcpu);
	if (ret < 0)
		return ret;
	st.t_paused = vmm_now(clock);
	st.ram_size = v->ram.size;
	st.ram_hashed = v->opt.hash_ram;
	if (st.ram_hashed)
		st.ram_hash = ram_hash(&v->ram);
	st.last_counter = v->last_counter;
	st.last_checksum = v->last_checksum;
	st.updates = v->updates + 1;
	st.t_hashed = vmm_now(clock);
	state_write(&v->state, &st);

	if (kind == VMM_UPDATE_TAKEOVER)
		return hand_to_successor(v, sock, peer, st.t_pause_start, clock);
	printf("vmm: paused the guest after it reported %u; RAM (%llu MiB) and vCPU "
	       "state preserved in session \"%s\"\n", v->last_counter,
	       (unsigned long long)(v->ram.size >> 20), v->session_name);
	fflush(stdout);
	/* The kernel: does not return. The simulator: returns 0, and the
	 * session is now an incoming one, held by liveupdate-sim. */
	ret = liveupdate_kexec_reboot(v->ctx);
	if (ret < 0) {
		printf("vmm: update failed, the guest goes on: %s\n", liveupdate_last_error());
		return 0;
	}
	stop_guest(v);	/* what the old process's exit or the reboot would do */
	return 1;
}

/* A successor connected to --listen's socket: once it is ready, hand the
 * guest over to it. 1 when it runs the guest, 0 when this process goes
 * on with it, -errno when there is no guest left to run. */
static int serve_successor(struct vmm *v)
{
	uint64_t align;
	pid_t peer;
	int sock = takeover_accept(&v->listener, &peer);
	int ret;

	if (sock == -EAGAIN || sock == -EPERM)
		return 0;
	if (sock < 0) {
		printf("vmm: accepting a successor on %s: %s\n", v->listener.path,
		       strerror(-sock));
		return 0;
	}
	ret = prepare(v);
	if (ret == 0) {
		align = liveupdate_memory_get_page_size(v->ram.mem);
		ret = takeover_greet(sock, v->ram.size, align > (2u << 20) ? align : 2u << 20);
		if (ret < 0)
			printf("vmm: pid %d connected but did not get ready (%s); the guest was "
			       "not paused\n", (int)peer, strerror(-ret));
	}
	if (ret == 0)
		ret = update(v, VMM_UPDATE_TAKEOVER, sock, peer);
	else
		ret = 0;
	if (ret == 1)
		takeover_wait_hangup(sock);
	close(sock);
	return ret;
}

static void report(struct vmm *v, uint32_t counter, int64_t *next_print)
{
	uint32_t want_sum = guest_checksum_step(v->last_checksum, counter);
	uint32_t guest_sum = guest_u32(v, GUEST_CHECKSUM_ADDR);
	int64_t now = v->resumed ? vmm_now((clockid_t)v->stamps.st.clock) : 0;

	if (counter != v->last_counter + 1 || guest_sum != want_sum) {
		printf("vmm: CONTINUITY BROKEN: the guest reported %u (checksum %08x) "
		       "after %u; expected %u (checksum %08x)\n", counter, guest_sum,
		       v->last_counter, v->last_counter + 1, want_sum);
		exit(EXIT_CONTINUITY);
	}
	if (v->resumed) {
		printf("guest: %u follows %u: no gap, no repeat; its running checksum in "
		       "RAM, %08x, is right\n", counter, v->last_counter, guest_sum);
		print_blackout(&v->stamps, now);
		v->resumed = 0;
		if (v->predecessor >= 0) {	/* it may exit now */
			close(v->predecessor);
			v->predecessor = -1;
		}
	}
	v->last_counter = counter;
	v->last_checksum = want_sum;
	v->reports++;
	now = vmm_now(CLOCK_MONOTONIC);
	if (now >= *next_print) {
		printf("guest: counter %u, checksum %08x\n", counter, guest_sum);
		fflush(stdout);
		*next_print = now + (int64_t)v->opt.print_ms * 1000000;
	}
}

/* Wait until the next report is due, for a steady rate, or until a
 * successor connects (when listening); signals cut it short. */
static void pace(const struct vmm *v, struct timespec *next)
{
	struct pollfd pfd = { .fd = v->listener.fd, .events = POLLIN };
	struct timespec now, left = { 0, 0 };

	if (v->opt.rate) {
		next->tv_nsec += 1000000000 / v->opt.rate;
		while (next->tv_nsec >= 1000000000) {
			next->tv_nsec -= 1000000000;
			next->tv_sec++;
		}
	}
	if (v->listener.fd < 0) {
		if (v->opt.rate)
			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, next, NULL);
		return;
	}
	if (v->opt.rate) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		left.tv_sec = next->tv_sec - now.tv_sec;
		left.tv_nsec = next->tv_nsec - now.tv_nsec;
		if (left.tv_nsec < 0) {
			left.tv_nsec += 1000000000;
			left.tv_sec--;
		}
		if (left.tv_sec < 0)
			left = (struct timespec){ 0, 0 };
	}
	ppoll(&pfd, 1, &left, NULL);
}

static int run(struct vmm *v)
{
	int64_t next_print = 0;
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
		ret = 0;
		if (example_update_requested) {
			example_update_requested = 0;
			ret = update(v, v->opt.next.kernel ? VMM_UPDATE_KEXEC : VMM_UPDATE_RESTART,
				     -1, 0);
			if (ret == 1 && !v->opt.next.kernel) {
				printf("vmm: handed over; exiting. Start the (new) VMM again with "
				       "the same --name to resume the guest\n");
				return 0;
			}
			if (ret == 1) {
				printf("vmm: simulated kexec done: this process plays the VMM "
				       "started in the new kernel\n");
				ret = start(v);
				if (ret == 0 && v->listener.fd >= 0)
					prepare(v);	/* the next takeover's session */
				if (ret < 0)
					return ret == -EXIT_CONTINUITY ? EXIT_CONTINUITY : 1;
			}
			clock_gettime(CLOCK_MONOTONIC, &next);	/* the rate restarts */
		} else if (v->listener.fd >= 0) {
			ret = serve_successor(v);
			if (ret == 1) {
				printf("vmm: the successor runs the guest; exiting\n");
				takeover_unlisten(&v->listener, false);
				return 0;
			}
		}
		if (ret < 0)
			return 1;
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
		"A KVM guest that counts, and survives a live update: a takeover by a new VMM\n"
		"process, a kexec, or (simulator) an exit and restart.\n"
		"  -n, --name NAME        the VM's name; its session is vmm-NAME (default vm0)\n"
		"  -m, --ram-mb N         guest RAM in MiB, a power of two from 2 to 4096 (the\n"
		"                         32-bit guest addresses 4 GiB; default 64)\n"
		"  -b, --backing NAME     guest RAM backing: auto (default: the largest pages\n"
		"                         this kernel can preserve), shmem (4 KiB), thp, hugetlb\n"
		"  -r, --rate N           guest reports per second, 0 for full speed (default 1000)\n"
		"  -p, --print-ms N       print the counter every N ms (default 500)\n"
		"  -l, --listen PATH      let a new VMM take the guest over: listen on the Unix\n"
		"                         socket PATH (the session, guest RAM and state object\n"
		"                         are made and preserved now, while the guest runs)\n"
		"  -t, --take-over PATH   do not boot a guest: create the VM and vCPU, connect to\n"
		"                         the VMM listening on PATH and take its guest over\n"
		"                         (give --listen PATH too, to be taken over in turn)\n"
		"  -H, --no-ram-hash      do not hash all guest RAM at the pause and the resume\n"
		"                         (for large guests; the counter and the guest's checksum\n"
		"                         are still checked at every report)\n"
		"  -u, --update-after N   update by itself (SIGUSR1) after N reports\n"
		"  -x, --exit-after N     exit after N reports\n"
		"  -k, --kexec KERNEL     on SIGUSR1, load KERNEL and reboot into it (default:\n"
		"                         hand the session to the simulator and exit, to be\n"
		"                         started again; simulator only)\n"
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

static int parse_backing(const char *s, enum liveupdate_memory_backing *out)
{
	static const enum liveupdate_memory_backing all[] = {
		LIVEUPDATE_MEMORY_AUTO, LIVEUPDATE_MEMORY_SHMEM, LIVEUPDATE_MEMORY_THP,
		LIVEUPDATE_MEMORY_HUGETLB,
	};

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (!strcasecmp(s, liveupdate_memory_backing_name(all[i]))) {
			*out = all[i];
			return 0;
		}
	}
	return -1;
}

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "ram-mb", required_argument, NULL, 'm' },
		{ "backing", required_argument, NULL, 'b' },
		{ "rate", required_argument, NULL, 'r' },
		{ "print-ms", required_argument, NULL, 'p' },
		{ "listen", required_argument, NULL, 'l' },
		{ "take-over", required_argument, NULL, 't' },
		{ "no-ram-hash", no_argument, NULL, 'H' },
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
			       .print_ms = 500, .hash_ram = 1 };
	while ((c = getopt_long(argc, argv, "n:m:b:r:p:l:t:Hu:x:k:i:c:h", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'n': o->name = optarg; break;
		case 'm':
			if (parse_ulong(optarg, 4096, &n) || n < 2 || (n & (n - 1)))
				goto bad;
			o->ram_size = (uint64_t)n << 20;
			break;
		case 'b':
			if (parse_backing(optarg, &o->backing))
				goto bad;
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
		case 'l': o->listen_path = optarg; break;
		case 't': o->takeover_path = optarg; break;
		case 'H': o->hash_ram = 0; break;
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
	struct vmm v = { .ram.fd = -1, .state.fd = -1, .listener.fd = -1, .predecessor = -1 };
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
	ret = v.opt.takeover_path ? take_over(&v) : start(&v);
	if (ret == 0 && v.opt.listen_path) {
		ret = takeover_listen(&v.listener, v.opt.listen_path);
		if (ret == 0 && prepare(&v) == 0)	/* else tried again at the takeover */
			printf("vmm: listening for a successor on %s (vmm --take-over %s)\n",
			       v.opt.listen_path, v.opt.listen_path);
	}
	if (ret == 0)
		ret = run(&v);
	else
		ret = ret == -EXIT_CONTINUITY ? EXIT_CONTINUITY : 1;
	takeover_unlisten(&v.listener, true);
	stop_guest(&v);
	liveupdate_ctx_unref(v.ctx);
	return ret;
}
