/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* liveupdate-sim's wire format: see sim-proto.h. Pure functions only. */
#include <errno.h>
#include <string.h>

#include <linux/liveupdate.h>
#include "sim-proto.h"

/*
 * Layout (byte offsets). Header: magic u32 @0, version u16 @4, type u16 @6,
 * size u32 @8 (whole message), reserved u32 @12.
 */
enum {
	BODY_HELLO = 8,         /* role, reserved */
	BODY_IOCTL = 32 + LU_SIM_ARG_MAX, /* cmd, size, flags, fd_errno, cookie[2], arg */
	BODY_KEXEC_LOAD = 8,    /* flags, reserved */
	BODY_REBOOT = 8,        /* flags, reserved */
	BODY_FROZEN = 16,       /* dev, ino */
	BODY_STATUS = 8,        /* index, reserved */
	BODY_STOP = 0,
	BODY_TABLE = 0,
	BODY_PEEK = 8 + LU_SIM_NAME_LEN, /* direction, reserved, name */
	BODY_REPLY = 24 + LU_SIM_ARG_MAX, /* err, flags, val[2], arg */
	BODY_INFO = 56,         /* see put/get below; last u32 reserved */
	BODY_SESSION_INFO = 24 + LU_SIM_NAME_LEN, /* 5 u32 + reserved, name */
};

_Static_assert(LU_SIM_HDR_SIZE + BODY_IOCTL <= LU_SIM_MSG_MAX, "message size");
_Static_assert(LU_SIM_HDR_SIZE + BODY_REPLY <= LU_SIM_MSG_MAX, "message size");
_Static_assert(LU_SIM_HDR_SIZE + BODY_SESSION_INFO <= LU_SIM_MSG_MAX, "message size");

static int body_size(unsigned type)
{
	switch (type) {
	case LU_SIM_HELLO: return BODY_HELLO;
	case LU_SIM_IOCTL: return BODY_IOCTL;
	case LU_SIM_KEXEC_LOAD: return BODY_KEXEC_LOAD;
	case LU_SIM_REBOOT: return BODY_REBOOT;
	case LU_SIM_FROZEN: return BODY_FROZEN;
	case LU_SIM_STATUS: return BODY_STATUS;
	case LU_SIM_STOP: return BODY_STOP;
	case LU_SIM_TABLE: return BODY_TABLE;
	case LU_SIM_PEEK: return BODY_PEEK;
	case LU_SIM_REPLY: return BODY_REPLY;
	case LU_SIM_INFO: return BODY_INFO;
	case LU_SIM_SESSION_INFO: return BODY_SESSION_INFO;
	default: return -1;
	}
}

unsigned lu_sim_ioctl_known_size(unsigned nr)
{
	switch (nr) {
	case LIVEUPDATE_CMD_CREATE_SESSION:
		return sizeof(struct liveupdate_ioctl_create_session);
	case LIVEUPDATE_CMD_RETRIEVE_SESSION:
		return sizeof(struct liveupdate_ioctl_retrieve_session);
	case LIVEUPDATE_CMD_SESSION_PRESERVE_FD:
		return sizeof(struct liveupdate_session_preserve_fd);
	case LIVEUPDATE_CMD_SESSION_RETRIEVE_FD:
		return sizeof(struct liveupdate_session_retrieve_fd);
	case LIVEUPDATE_CMD_SESSION_FINISH:
		return sizeof(struct liveupdate_session_finish);
	case LIVEUPDATE_CMD_SESSION_GET_NAME:
		return sizeof(struct liveupdate_session_get_name);
	default:
		return 0;
	}
}

/* ---- byte access, host order, no alignment assumed ---- */

static uint16_t get16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

static int all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

static int errno_ok(int32_t e)
{
	return e >= 0 && e < 4096;
}

/* A name field: not empty, NUL-terminated, zero after the NUL. */
static int name_ok(const uint8_t *name)
{
	const uint8_t *nul = memchr(name, '\0', LU_SIM_NAME_LEN);

	return nul && nul != name && all_zero(nul, (size_t)(name + LU_SIM_NAME_LEN - nul));
}

int lu_sim_decode(const void *buf, size_t len, struct lu_sim_msg *msg)
{
	const uint8_t *p = buf, *b;
	unsigned type;
	int bsize;

	if (!buf || len < LU_SIM_HDR_SIZE || len > LU_SIM_MSG_MAX)
		return -EBADMSG;
	if (get32(p) != LU_SIM_MAGIC)
		return -EBADMSG;
	if (get16(p + 4) != LU_SIM_VERSION)
		return -EPROTONOSUPPORT;
	if (get32(p + 8) != len || get32(p + 12) != 0)
		return -EBADMSG;
	type = get16(p + 6);
	bsize = body_size(type);
	if (bsize < 0 || (size_t)bsize != len - LU_SIM_HDR_SIZE)
		return -EPROTO;
	b = p + LU_SIM_HDR_SIZE;
	memset(msg, 0, sizeof(*msg));
	msg->type = (uint16_t)type;

	switch (type) {
	case LU_SIM_HELLO:
		msg->u.hello.role = get32(b);
		if (msg->u.hello.role < LU_SIM_ROLE_DEVICE ||
		    msg->u.hello.role > LU_SIM_ROLE_CONTROL || get32(b + 4))
			return -EBADMSG;
		return 0;
	case LU_SIM_IOCTL: {
		struct lu_sim_ioctl *io = &msg->u.ioctl;
		unsigned known;

		io->cmd = get32(b);
		io->user_size = get32(b + 4);
		io->flags = get32(b + 8);
		io->fd_errno = (int32_t)get32(b + 12);
		io->cookie[0] = get64(b + 16);
		io->cookie[1] = get64(b + 24);
		memcpy(io->arg, b + 32, LU_SIM_ARG_MAX);
		if (io->flags & ~LU_SIM_IOF_ALL || !errno_ok(io->fd_errno))
			return -EBADMSG;
		/* nothing past what the kernel knows for this number */
		known = lu_sim_ioctl_known_size(io->cmd & 0xff);
		if (!all_zero(io->arg + known, LU_SIM_ARG_MAX - known))
			return -EBADMSG;
		return 0;
	}
	case LU_SIM_KEXEC_LOAD:
		msg->u.kexec_load.flags = get32(b);
		if (msg->u.kexec_load.flags & ~LU_SIM_KEXEC_ALL || get32(b + 4))
			return -EBADMSG;
		return 0;
	case LU_SIM_REBOOT:
		msg->u.reboot.flags = get32(b);
		if (msg->u.reboot.flags & ~LU_SIM_REBOOT_ALL || get32(b + 4))
			return -EBADMSG;
		return 0;
	case LU_SIM_FROZEN:
		msg->u.frozen.dev = get64(b);
		msg->u.frozen.ino = get64(b + 8);
		return 0;
	case LU_SIM_STATUS:
		msg->u.status.index = get32(b);
		return get32(b + 4) ? -EBADMSG : 0;
	case LU_SIM_STOP:
	case LU_SIM_TABLE:
		return 0;
	case LU_SIM_PEEK:
		msg->u.peek.direction = get32(b);
		memcpy(msg->u.peek.name, b + 8, LU_SIM_NAME_LEN);
		if (msg->u.peek.direction > 2 || get32(b + 4) ||
		    !name_ok(b + 8))
			return -EBADMSG;
		return 0;
	case LU_SIM_REPLY: {
		struct lu_sim_reply *r = &msg->u.reply;

		r->err = (int32_t)get32(b);
		r->flags = get32(b + 4);
		r->val[0] = get64(b + 8);
		r->val[1] = get64(b + 16);
		memcpy(r->arg, b + 24, LU_SIM_ARG_MAX);
		if (!errno_ok(r->err) || r->flags & ~LU_SIM_RF_ALL)
			return -EBADMSG;
		return 0;
	}
	case LU_SIM_INFO: {
		struct lu_sim_info *i = &msg->u.info;

		i->pid = get32(b);
		i->device_pid = get32(b + 4);
		i->reboots = get64(b + 8);
		i->kexec_loaded = get32(b + 16);
		i->outgoing = get32(b + 20);
		i->incoming = get32(b + 24);
		i->files = get32(b + 28);
		i->conns = get32(b + 32);
		i->max_conns = get32(b + 36);
		i->max_sessions = get32(b + 40);
		i->max_files_per_session = get32(b + 44);
		i->max_files = get32(b + 48);
		if (i->kexec_loaded > 1 || get32(b + 52))
			return -EBADMSG;
		return 0;
	}
	case LU_SIM_SESSION_INFO: {
		struct lu_sim_session_info *s = &msg->u.session_info;

		s->index = get32(b);
		s->direction = get32(b + 4);
		s->state = get32(b + 8);
		s->files = get32(b + 12);
		s->pid = get32(b + 16);
		memcpy(s->name, b + 24, LU_SIM_NAME_LEN);
		if (s->direction < 1 || s->direction > 2 || s->state & ~LU_SIM_SS_ALL ||
		    get32(b + 20))
			return -EBADMSG;
		if (!name_ok(b + 24))
			return -EBADMSG;
		return 0;
	}
	}
	return -EPROTO; /* not reached: body_size() knows the same types */
}

int lu_sim_encode(const struct lu_sim_msg *msg, void *buf, size_t cap)
{
	uint8_t *p = buf, *b = p + LU_SIM_HDR_SIZE;
	struct lu_sim_msg check;
	int bsize = msg ? body_size(msg->type) : -1;
	size_t len;

	if (bsize < 0 || !buf || cap < LU_SIM_HDR_SIZE + (size_t)bsize)
		return -EINVAL;
	len = LU_SIM_HDR_SIZE + (size_t)bsize;
	memset(p, 0, len);
	put32(p, LU_SIM_MAGIC);
	put16(p + 4, LU_SIM_VERSION);
	put16(p + 6, msg->type);
	put32(p + 8, (uint32_t)len);

	switch (msg->type) {
	case LU_SIM_HELLO:
		put32(b, msg->u.hello.role);
		break;
	case LU_SIM_IOCTL: {
		const struct lu_sim_ioctl *io = &msg->u.ioctl;

		put32(b, io->cmd);
		put32(b + 4, io->user_size);
		put32(b + 8, io->flags);
		put32(b + 12, (uint32_t)io->fd_errno);
		put64(b + 16, io->cookie[0]);
		put64(b + 24, io->cookie[1]);
		memcpy(b + 32, io->arg, LU_SIM_ARG_MAX);
		break;
	}
	case LU_SIM_KEXEC_LOAD:
		put32(b, msg->u.kexec_load.flags);
		break;
	case LU_SIM_REBOOT:
		put32(b, msg->u.reboot.flags);
		break;
	case LU_SIM_FROZEN:
		put64(b, msg->u.frozen.dev);
		put64(b + 8, msg->u.frozen.ino);
		break;
	case LU_SIM_STATUS:
		put32(b, msg->u.status.index);
		break;
	case LU_SIM_STOP:
	case LU_SIM_TABLE:
		break;
	case LU_SIM_PEEK:
		put32(b, msg->u.peek.direction);
		memcpy(b + 8, msg->u.peek.name, strnlen(msg->u.peek.name, LU_SIM_NAME_LEN));
		break;
	case LU_SIM_REPLY: {
		const struct lu_sim_reply *r = &msg->u.reply;

		put32(b, (uint32_t)r->err);
		put32(b + 4, r->flags);
		put64(b + 8, r->val[0]);
		put64(b + 16, r->val[1]);
		memcpy(b + 24, r->arg, LU_SIM_ARG_MAX);
		break;
	}
	case LU_SIM_INFO: {
		const struct lu_sim_info *i = &msg->u.info;

		put32(b, i->pid);
		put32(b + 4, i->device_pid);
		put64(b + 8, i->reboots);
		put32(b + 16, i->kexec_loaded);
		put32(b + 20, i->outgoing);
		put32(b + 24, i->incoming);
		put32(b + 28, i->files);
		put32(b + 32, i->conns);
		put32(b + 36, i->max_conns);
		put32(b + 40, i->max_sessions);
		put32(b + 44, i->max_files_per_session);
		put32(b + 48, i->max_files);
		break;
	}
	case LU_SIM_SESSION_INFO: {
		const struct lu_sim_session_info *s = &msg->u.session_info;
		size_t n = strnlen(s->name, LU_SIM_NAME_LEN);

		put32(b, s->index);
		put32(b + 4, s->direction);
		put32(b + 8, s->state);
		put32(b + 12, s->files);
		put32(b + 16, s->pid);
		memcpy(b + 24, s->name, n < LU_SIM_NAME_LEN ? n : LU_SIM_NAME_LEN);
		break;
	}
	}
	/* one set of rules: what does not decode is not sent */
	if (lu_sim_decode(p, len, &check) < 0)
		return -EINVAL;
	return (int)len;
}
