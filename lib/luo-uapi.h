/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The kernel's /dev/liveupdate uAPI, written out in this project's own words
 * because Debian stable's linux-libc-dev (6.1) has no <linux/liveupdate.h>.
 * tests/uapi-check.c asserts at compile time that every number, size and
 * offset here equals the kernel header's, wherever one is available.
 *
 * Every request struct starts with a u32 size; the kernel rejects a size
 * below the fields it needs with EINVAL and non-zero bytes beyond what it
 * knows with E2BIG.
 */
#ifndef LIBLIVEUPDATE_LUO_UAPI_H
#define LIBLIVEUPDATE_LUO_UAPI_H

#include <stdint.h>
#include <sys/ioctl.h>

#define LU_UAPI_IOCTL_TYPE 0xBA
#define LU_UAPI_NAME_LEN 64 /* bytes, including the NUL */

/* request numbers (the nr part of the ioctl command) */
enum {
	LU_UAPI_NR_CREATE_SESSION = 0x00,  /* on /dev/liveupdate */
	LU_UAPI_NR_RETRIEVE_SESSION = 0x01,
	LU_UAPI_NR_SESSION_PRESERVE_FD = 0x40, /* on a session fd */
	LU_UAPI_NR_SESSION_RETRIEVE_FD = 0x41,
	LU_UAPI_NR_SESSION_FINISH = 0x42,
	LU_UAPI_NR_SESSION_GET_NAME = 0x43,
};

/* create and retrieve session share one layout */
struct lu_uapi_session_req {
	uint32_t size;
	int32_t fd;             /* out: the session fd */
	uint8_t name[LU_UAPI_NAME_LEN]; /* in: NUL-terminated */
};

/* preserve and retrieve fd share one layout */
struct lu_uapi_fd_req {
	uint32_t size;
	int32_t fd;             /* in for preserve, out for retrieve */
	uint64_t token __attribute__((aligned(8)));
};

struct lu_uapi_finish_req {
	uint32_t size;
	uint32_t reserved;      /* must be 0 */
};

struct lu_uapi_get_name_req {
	uint32_t size;
	uint32_t reserved;      /* must be 0 */
	uint8_t name[LU_UAPI_NAME_LEN]; /* out */
};

#define LU_UAPI_CREATE_SESSION _IO(LU_UAPI_IOCTL_TYPE, LU_UAPI_NR_CREATE_SESSION)
#define LU_UAPI_RETRIEVE_SESSION _IO(LU_UAPI_IOCTL_TYPE, LU_UAPI_NR_RETRIEVE_SESSION)
#define LU_UAPI_SESSION_PRESERVE_FD _IO(LU_UAPI_IOCTL_TYPE, LU_UAPI_NR_SESSION_PRESERVE_FD)
#define LU_UAPI_SESSION_RETRIEVE_FD _IO(LU_UAPI_IOCTL_TYPE, LU_UAPI_NR_SESSION_RETRIEVE_FD)
#define LU_UAPI_SESSION_FINISH _IO(LU_UAPI_IOCTL_TYPE, LU_UAPI_NR_SESSION_FINISH)
#define LU_UAPI_SESSION_GET_NAME _IO(LU_UAPI_IOCTL_TYPE, LU_UAPI_NR_SESSION_GET_NAME)

_Static_assert(sizeof(struct lu_uapi_session_req) == 72, "session req layout");
_Static_assert(sizeof(struct lu_uapi_fd_req) == 16, "fd req layout");
_Static_assert(sizeof(struct lu_uapi_finish_req) == 8, "finish req layout");
_Static_assert(sizeof(struct lu_uapi_get_name_req) == 72, "get_name req layout");

#endif
