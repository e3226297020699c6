/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The messages of a session handover (lib/handover.c) as bytes: encoded for
 * the predecessor, decoded from untrusted bytes for the successor. Nothing
 * here makes a system call or logs, so the fuzzer drives it alone
 * (tests/handover/fuzz-handover.c). Nothing here is ABI.
 *
 * Every message is a frame: a 16-byte header (magic "LUHO", version,
 * type, payload length, a reserved zero), then its payload, all integers
 * little-endian:
 *   OFFER  the session: the number of files, flags (whether it has a
 *          manifest), the next token the library picks, a word of the
 *          manifest's state (manifest.c's to give and check), the name (64
 *          bytes, NUL-terminated); carries 1 fd, the session's.
 *   BATCH  files: the index of the first, how many (1 to LU_HO_BATCH_MAX),
 *          their tokens; carries one fd per token, in the same order.
 *   REPLY  the successor's answer: 0 (it has the session) or the positive
 *          errno of its refusal.
 * The predecessor sends OFFER and the BATCHes in order, the successor one
 * REPLY.
 */
#ifndef LIBLIVEUPDATE_HANDOVER_WIRE_H
#define LIBLIVEUPDATE_HANDOVER_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define LU_HO_MAGIC "LUHO"
#define LU_HO_VERSION 1
#define LU_HO_HEADER_SIZE 16
#define LU_HO_NAME_SIZE 64
#define LU_HO_OFFER_SIZE (24 + LU_HO_NAME_SIZE)
#define LU_HO_OFFER_MANIFEST 1u   /* offer flag: the session has a manifest */
#define LU_HO_REPLY_SIZE 8
/* The most fds one SCM_RIGHTS message carries (the kernel's SCM_MAX_FD). */
#define LU_HO_BATCH_MAX 253
/* The most files a session handed over may hold. */
#define LU_HO_FILES_MAX (1u << 20)
/* The largest frame: a full BATCH. */
#define LU_HO_FRAME_MAX (LU_HO_HEADER_SIZE + 8 + 8 * LU_HO_BATCH_MAX)
#define LU_HO_WHY_MAX 160

enum lu_ho_type {
	LU_HO_OFFER = 1,
	LU_HO_BATCH = 2,
	LU_HO_REPLY = 3,
};

struct lu_ho_offer {
	uint32_t n_files;
	uint32_t flags;
	uint64_t next_token;
	uint64_t manifest_state;
	char name[LU_HO_NAME_SIZE];
};

struct lu_ho_batch {
	uint32_t first, count;
	const uint8_t *tokens;   /* count little-endian u64, in the frame */
};

/* A decoded frame: type says which member is set. */
struct lu_ho_msg {
	enum lu_ho_type type;
	struct lu_ho_offer offer;
	struct lu_ho_batch batch;
	uint32_t err;            /* REPLY */
};

/* Encoders: write the whole frame into buf (LU_HO_FRAME_MAX bytes) and
 * return its length. */
size_t lu_ho_encode_offer(const struct lu_ho_offer *o, uint8_t *buf);
size_t lu_ho_encode_batch(uint32_t first, const uint64_t *tokens, uint32_t count,
			  uint8_t *buf);
size_t lu_ho_encode_reply(uint32_t err, uint8_t *buf);

/*
 * The length of the frame whose header is hdr (LU_HO_HEADER_SIZE bytes):
 * 0 with *lenp set, or -EBADMSG with the reason in why (not a handover
 * frame, another version, an impossible length).
 */
int lu_ho_frame_len(const uint8_t *hdr, size_t *lenp, char *why, size_t why_len);

/*
 * Decode one whole frame of len bytes that arrived with nfds fds:
 * 0 with *msg set (a BATCH's tokens point into buf), or -EBADMSG with the
 * reason in why. Checks every field and that the fds match the type.
 */
int lu_ho_decode(const uint8_t *buf, size_t len, unsigned nfds,
		 struct lu_ho_msg *msg, char *why, size_t why_len);

/* Token i of a decoded batch. */
uint64_t lu_ho_batch_token(const struct lu_ho_batch *b, uint32_t i);

/*
 * Whether batch b follows received files of an offer of n_files: it must
 * start at index received and not go past n_files. 0 or -EBADMSG (why).
 */
int lu_ho_batch_follows(const struct lu_ho_batch *b, uint32_t received,
			uint32_t n_files, char *why, size_t why_len);

/* Whether n tokens are distinct (tokens is reordered): 0 or -EBADMSG (why). */
int lu_ho_tokens_distinct(uint64_t *tokens, size_t n, char *why, size_t why_len);

/* lib/handover.c, the socket side (also for tests that play a hostile
 * peer): send a whole frame of len bytes on sock, nfds fds (at most
 * LU_HO_BATCH_MAX) with its first byte; 0 or a negative errno. */
int lu_ho_send_frame(int sock, const uint8_t *buf, size_t len, const int *fds,
		     unsigned nfds);

#endif
