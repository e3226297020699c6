/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Compile-time proof that lib/luo-uapi.h, the library's own copy of the
 * kernel's /dev/liveupdate uAPI, agrees with <linux/liveupdate.h>: every
 * request number, struct size and field offset. Compiling is the test.
 */
#include <stddef.h>
#include <linux/liveupdate.h>
#include "luo-uapi.h"

#define SAME(a, b) _Static_assert((a) == (b), #a " != " #b)
#define SAME_FIELD(ours, theirs, f)                                           \
	SAME(offsetof(struct ours, f), offsetof(struct theirs, f));            \
	SAME(sizeof(((struct ours *)0)->f), sizeof(((struct theirs *)0)->f))

SAME(LU_UAPI_IOCTL_TYPE, LIVEUPDATE_IOCTL_TYPE);
SAME(LU_UAPI_NAME_LEN, LIVEUPDATE_SESSION_NAME_LENGTH);

SAME(LU_UAPI_CREATE_SESSION, LIVEUPDATE_IOCTL_CREATE_SESSION);
SAME(LU_UAPI_RETRIEVE_SESSION, LIVEUPDATE_IOCTL_RETRIEVE_SESSION);
SAME(LU_UAPI_SESSION_PRESERVE_FD, LIVEUPDATE_SESSION_PRESERVE_FD);
SAME(LU_UAPI_SESSION_RETRIEVE_FD, LIVEUPDATE_SESSION_RETRIEVE_FD);
SAME(LU_UAPI_SESSION_FINISH, LIVEUPDATE_SESSION_FINISH);
SAME(LU_UAPI_SESSION_GET_NAME, LIVEUPDATE_SESSION_GET_NAME);

SAME(sizeof(struct lu_uapi_session_req), sizeof(struct liveupdate_ioctl_create_session));
SAME_FIELD(lu_uapi_session_req, liveupdate_ioctl_create_session, size);
SAME_FIELD(lu_uapi_session_req, liveupdate_ioctl_create_session, fd);
SAME_FIELD(lu_uapi_session_req, liveupdate_ioctl_create_session, name);
SAME(sizeof(struct lu_uapi_session_req), sizeof(struct liveupdate_ioctl_retrieve_session));
SAME_FIELD(lu_uapi_session_req, liveupdate_ioctl_retrieve_session, size);
SAME_FIELD(lu_uapi_session_req, liveupdate_ioctl_retrieve_session, fd);
SAME_FIELD(lu_uapi_session_req, liveupdate_ioctl_retrieve_session, name);

SAME(sizeof(struct lu_uapi_fd_req), sizeof(struct liveupdate_session_preserve_fd));
SAME_FIELD(lu_uapi_fd_req, liveupdate_session_preserve_fd, size);
SAME_FIELD(lu_uapi_fd_req, liveupdate_session_preserve_fd, fd);
SAME_FIELD(lu_uapi_fd_req, liveupdate_session_preserve_fd, token);
SAME(sizeof(struct lu_uapi_fd_req), sizeof(struct liveupdate_session_retrieve_fd));
SAME_FIELD(lu_uapi_fd_req, liveupdate_session_retrieve_fd, size);
SAME_FIELD(lu_uapi_fd_req, liveupdate_session_retrieve_fd, fd);
SAME_FIELD(lu_uapi_fd_req, liveupdate_session_retrieve_fd, token);

SAME(sizeof(struct lu_uapi_finish_req), sizeof(struct liveupdate_session_finish));
SAME_FIELD(lu_uapi_finish_req, liveupdate_session_finish, size);
SAME_FIELD(lu_uapi_finish_req, liveupdate_session_finish, reserved);

SAME(sizeof(struct lu_uapi_get_name_req), sizeof(struct liveupdate_session_get_name));
SAME_FIELD(lu_uapi_get_name_req, liveupdate_session_get_name, size);
SAME_FIELD(lu_uapi_get_name_req, liveupdate_session_get_name, reserved);
SAME_FIELD(lu_uapi_get_name_req, liveupdate_session_get_name, name);

int main(void)
{
	return 0;
}
