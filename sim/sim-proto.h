/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * liveupdate-sim's wire protocol, shared by the daemon (sim-daemon.c), the
 * library's simulator backend (backend-sim.c) and the LD_PRELOAD shim
 * (sim-preload.c).
 *
 * Transport: AF_UNIX SOCK_SEQPACKET, so one sendmsg() is one message and
 * there is no reassembly. Every message is a fixed 16-byte header followed
 * by a fixed-size body whose size depends only on the type; file
 * descriptors travel beside it as SCM_RIGHTS. Fields are in the host's byte
 * order (both ends are on the same machine) and every reserved field and
 * padding byte must be zero.
 *
 * Connections have a role, set by their first message (HELLO):
 *   DEVICE   an open /dev/liveupdate (at most one at a time: EBUSY);
 *   SESSION  a session file: attached by the device's CREATE_SESSION or
 *            RETRIEVE_SESSION, whose request names it by the random cookie
 *            the HELLO reply gave; its hang-up is the kernel's release;
 *   CONTROL  kexec load, reboot, status, frozen-size queries, stop.
 * IOCTL requests on DEVICE and SESSION connections carry, as their first
 * SCM_RIGHTS fd, the sending end of a fresh socketpair on which the daemon
 * answers: a session fd may be shared by several processes, and each must
 * get its own answer.
 *
 * lu_sim_decode() is a pure function (bytes in, message or error out) so
 * that it can be fuzzed (tests/fuzz/sim-proto.c).
 */
#ifndef LIBLIVEUPDATE_SIM_PROTO_H
#define LIBLIVEUPDATE_SIM_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define LU_SIM_MAGIC 0x4d53554cu    /* "LUSM" in a little-endian dump */
#define LU_SIM_VERSION 1
#define LU_SIM_HDR_SIZE 16
#define LU_SIM_MSG_MAX 256          /* no message is larger */
#define LU_SIM_ARG_MAX 72           /* largest ioctl struct the kernel knows */
#define LU_SIM_NAME_LEN 64
#define LU_SIM_MAX_FDS 2            /* SCM_RIGHTS fds accepted with one message */

enum lu_sim_type {
	LU_SIM_HELLO = 1,         /* -> REPLY (val = cookie for SESSION) */
	LU_SIM_IOCTL = 2,         /* -> REPLY on the reply channel */
	LU_SIM_KEXEC_LOAD = 3,    /* -> REPLY */
	LU_SIM_REBOOT = 4,        /* -> REPLY (val[0] = reboots so far) */
	LU_SIM_FROZEN = 5,        /* -> REPLY (val[0] = 1 when frozen) */
	LU_SIM_STATUS = 6,        /* -> INFO (index ~0) or SESSION_INFO or REPLY */
	LU_SIM_STOP = 7,          /* -> REPLY, then the daemon exits */
	LU_SIM_TABLE = 8,         /* -> REPLY with the frozen-file table's fd */
	LU_SIM_PEEK = 9,          /* -> REPLY with a read-only fd, val[0] = direction */
	LU_SIM_REPLY = 0x81,
	LU_SIM_INFO = 0x82,
	LU_SIM_SESSION_INFO = 0x83,
};

enum lu_sim_role {
	LU_SIM_ROLE_DEVICE = 1,
	LU_SIM_ROLE_SESSION = 2,
	LU_SIM_ROLE_CONTROL = 3,
};

/*
 * IOCTL flags: what the client saw when it read the caller's struct the
 * way the kernel does (get_user of the size, then copy_struct_from_user).
 * The daemon turns them into errnos in the kernel's order (written down
 * once, at the top of sim-model.c).
 */
#define LU_SIM_IOF_SIZE_FAULT   0x01u  /* the u32 size was unreadable (EFAULT) */
#define LU_SIM_IOF_TAIL_NONZERO 0x02u  /* a non-zero byte past what is known (E2BIG) */
#define LU_SIM_IOF_TAIL_FAULT   0x04u  /* unreadable memory in that tail (EFAULT) */
#define LU_SIM_IOF_HEAD_FAULT   0x08u  /* the known part was unreadable (EFAULT) */
#define LU_SIM_IOF_FILE_BADF    0x10u  /* PRESERVE_FD: the fd is not open */
#define LU_SIM_IOF_FILE_NOSEND  0x20u  /* PRESERVE_FD: open, but cannot be sent */
#define LU_SIM_IOF_ALL          0x3fu

/* REPLY flags */
#define LU_SIM_RF_FD            0x01u  /* an fd travels with the reply */
#define LU_SIM_RF_ALL           0x01u

/* REBOOT flags */
#define LU_SIM_REBOOT_FORCE     0x01u  /* no kexec load needed (the command line tool) */
#define LU_SIM_REBOOT_ALL       0x01u

/* KEXEC_LOAD flags: kexec_file_load(2)'s; UNLOAD forgets the loaded image */
#define LU_SIM_KEXEC_UNLOAD     0x01u
#define LU_SIM_KEXEC_ON_CRASH   0x02u
#define LU_SIM_KEXEC_ALL        0x07u  /* UNLOAD, ON_CRASH, NO_INITRAMFS */

/* SESSION_INFO state bits */
#define LU_SIM_SS_RETRIEVED     0x01u
#define LU_SIM_SS_FINISHED      0x02u
#define LU_SIM_SS_ALL           0x03u

#define LU_SIM_STATUS_DAEMON    0xffffffffu /* STATUS index: the daemon's INFO */

struct lu_sim_hello {
	uint32_t role;
};

struct lu_sim_ioctl {
	uint32_t cmd;             /* the ioctl request, as the kernel sees it */
	uint32_t user_size;       /* the struct's size field */
	uint32_t flags;           /* LU_SIM_IOF_* */
	int32_t fd_errno;         /* errno of allocating the result's fd (EMFILE), or 0 */
	uint64_t cookie[2];       /* CREATE/RETRIEVE_SESSION: the SESSION connection */
	uint8_t arg[LU_SIM_ARG_MAX]; /* min(user_size, known) bytes, zero-padded */
};

struct lu_sim_kexec_load {
	uint32_t flags;
};

struct lu_sim_reboot {
	uint32_t flags;
};

struct lu_sim_frozen {
	uint64_t dev, ino;
};

struct lu_sim_status {
	uint32_t index;
};

/*
 * PEEK: a read-only fd (a new open of the file) of what the named session
 * holds at the manifest's token, whatever its direction or state, without
 * retrieving it: for `liveupdate-ctl manifest NAME`. direction 0 takes the
 * incoming session of that name if there is one, else the outgoing one.
 * Errors: ENOENT no such session, ENODATA nothing at that token.
 */
#define LU_SIM_MANIFEST_TOKEN 0x4d414e4946455354ull /* LIVEUPDATE_MANIFEST_TOKEN */
struct lu_sim_peek {
	uint32_t direction;       /* 0 either, 1 outgoing, 2 incoming */
	char name[LU_SIM_NAME_LEN]; /* NUL-terminated, not empty */
};

struct lu_sim_reply {
	int32_t err;              /* 0 or a positive errno */
	uint32_t flags;           /* LU_SIM_RF_* */
	uint64_t val[2];
	uint8_t arg[LU_SIM_ARG_MAX]; /* IOCTL: the struct as the kernel writes it back */
};

struct lu_sim_info {
	uint32_t pid;             /* the daemon's */
	uint32_t device_pid;      /* who opened the device, 0 if nobody */
	uint64_t reboots;         /* simulated kexecs so far */
	uint32_t kexec_loaded;    /* 0 or 1 */
	uint32_t outgoing, incoming; /* sessions */
	uint32_t files;           /* preserved files held */
	uint32_t conns, max_conns;
	uint32_t max_sessions, max_files_per_session, max_files;
};

struct lu_sim_session_info {
	uint32_t index;
	uint32_t direction;       /* 1 outgoing, 2 incoming */
	uint32_t state;           /* LU_SIM_SS_* */
	uint32_t files;
	uint32_t pid;             /* process that created/retrieved it, 0 if none */
	char name[LU_SIM_NAME_LEN]; /* NUL-terminated */
};

/*
 * The frozen-file table: a sealed memfd the daemon keeps up to date and
 * clients map read-only (LU_SIM_TABLE), so that the shim can tell in
 * memory that a file is not preserved, without a round trip. A seqlock:
 * seq is odd while the daemon rewrites it; readers retry until they see
 * the same even value before and after. entries[] is an open-addressing
 * hash table: cap is a power of two, a file (dev, ino) sits at
 * lu_sim_table_slot() or in the first free slots after it (wrapping
 * around), { 0, 0 } is a free slot (no shmem file has inode 0), and the
 * daemon keeps at least half of the slots free, so that a lookup ends at
 * the first free slot it meets, after a few probes.
 */
#define LU_SIM_TABLE_MAGIC 0x4854534cu  /* "LSTH": the hashed layout */
struct lu_sim_table_entry {
	uint64_t dev, ino;
};
struct lu_sim_table {
	uint32_t magic;
	uint32_t pid;             /* the daemon's */
	uint32_t alive;           /* 0 once the daemon has stopped */
	uint32_t cap;             /* slots in entries[]: a power of two */
	uint64_t seq;
	uint64_t count;           /* files listed */
	struct lu_sim_table_entry entries[];
};

/* A 64-bit mix (splitmix64's finaliser): every input bit moves every output bit. */
static inline uint64_t lu_sim_hash64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* Where the table's probe for (dev, ino) starts. */
static inline uint32_t lu_sim_table_slot(uint64_t dev, uint64_t ino, uint32_t cap)
{
	return (uint32_t)(lu_sim_hash64(ino ^ lu_sim_hash64(dev)) & (cap - 1));
}

struct lu_sim_msg {
	uint16_t type;            /* enum lu_sim_type */
	union {
		struct lu_sim_hello hello;
		struct lu_sim_ioctl ioctl;
		struct lu_sim_kexec_load kexec_load;
		struct lu_sim_reboot reboot;
		struct lu_sim_frozen frozen;
		struct lu_sim_status status;
		struct lu_sim_peek peek;
		struct lu_sim_reply reply;
		struct lu_sim_info info;
		struct lu_sim_session_info session_info;
	} u;
};

/*
 * Decode one message: 0 and *msg filled, or a negative errno:
 * -EBADMSG (too short, bad magic, size field or reserved bytes, a field out
 * of range), -EPROTONOSUPPORT (another protocol version), -EPROTO (unknown
 * type, or a body of the wrong size for its type). Never reads outside
 * [buf, buf + len), never allocates.
 */
int lu_sim_decode(const void *buf, size_t len, struct lu_sim_msg *msg);

/*
 * Encode a message into buf (at least LU_SIM_MSG_MAX bytes): its length,
 * or -EINVAL when msg would not decode (unknown type, bad field).
 */
int lu_sim_encode(const struct lu_sim_msg *msg, void *buf, size_t cap);

/*
 * The kernel's ioctl table: for a request number, the size of the struct
 * the kernel knows (and, being 7.3, also the minimum it accepts), or 0 for
 * a number no LUO file accepts.
 */
unsigned lu_sim_ioctl_known_size(unsigned nr);

#endif
