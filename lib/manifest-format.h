/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The session manifest's bytes (doc/manifest.md is the normative text):
 * decoding untrusted pieces, and appending records, each with its own
 * sequence number and checksum, to the last piece of a writable log.
 * Nothing here makes a system call or logs, so the fuzzer and the crash
 * test can drive it alone. Nothing here is ABI.
 */
#ifndef LIBLIVEUPDATE_MANIFEST_FORMAT_H
#define LIBLIVEUPDATE_MANIFEST_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "liveupdate/liveupdate.h"
#include "lu-util.h"

#define LU_MF_MAGIC "LU-MANIF"
#define LU_MF_MAJOR 2
#define LU_MF_MINOR 0
#define LU_MF_HEADER_SIZE 32         /* of a piece, 2.0 */
#define LU_MF_REC_HEADER 16
#define LU_MF_FILE_FIXED 56          /* fixed part of a FILE record, 2.0 */
#define LU_MF_META_FIXED 20          /* of a SESSION_META record */
#define LU_MF_REC_FILE 1
#define LU_MF_REC_SESSION_META 2
#define LU_MF_REC_MUST_UNDERSTAND 0x0001
#define LU_MF_PIECE_UNIT 4096u       /* piece sizes are multiples of this */
#define LU_MF_MAX_SIZE (64u << 20)   /* all pieces together */
#define LU_MF_DEFAULT_SIZE LU_MF_PIECE_UNIT /* the first piece */
#define LU_MF_PIECES_MAX LIVEUPDATE_MANIFEST_TOKENS

/* One file, as decoded: the public view plus the storage it points into. */
struct lu_mf_entry {
	struct liveupdate_entry pub;
	/* pub.label, pub.meta[] and their strings follow in the same block */
};

/* One piece of a manifest: a memfd's bytes, mapped. */
struct lu_mf_piece {
	uint8_t *map;
	size_t size;
};

/* The decoded manifest, and for an outgoing session the log it writes. */
struct lu_manifest {
	struct lu_mf_entry **entries;    /* in preserve order */
	size_t count, cap;
	struct lu_mf_entry **index;      /* open addressing on labels */
	struct lu_mf_entry **by_token;   /* the same on tokens */
	size_t index_slots;              /* of each: a power of two, or 0 */
	struct liveupdate_meta *session_meta; /* keys unique, in first-set order */
	size_t n_session_meta;
	uint64_t max_token;              /* largest token recorded, for auto tokens */
	bool has_token;
	uint64_t generation;             /* sequence number of the last record */
	uint64_t torn;                   /* decoded: the incomplete record after it, or 0 */
	/* writer only: the mapped pieces; records go to the last one */
	bool writable;
	struct lu_mf_piece *pieces;      /* LU_MF_PIECES_MAX slots, or NULL */
	size_t n_pieces;
	int *piece_fds;                  /* each piece's memfd (LU_MF_PIECES_MAX
					  * slots), kept so that the session can
					  * take its manifest elsewhere (lib/manifest.c) */
	/* told of each piece made (lib/manifest.c: lu_session_manifest_watch) */
	void (*piece_watch)(struct liveupdate_session *s, int fd, size_t index);
	size_t first_size;               /* of piece 0, when it is made */
	size_t used;                     /* bytes taken in the last piece (decoded too) */
	size_t total;                    /* bytes of all pieces */
};

/* A MEMORY record's backing as liveupdate_memory_backing_name() names it
 * ("thp"), or NULL for a number this library does not know. */
const char *lu_mf_backing_name(uint32_t backing);
/* Whether a MEMORY record's backing and page size are ones the library
 * reads back: SHMEM with 4 KiB pages, THP or HUGETLB with larger pages of
 * a power of two. */
bool lu_mf_memory_entry_ok(uint32_t backing, uint64_t page_size);

/* Key and value limits, shared by the encoder and the decoder. */
bool lu_mf_label_ok(const char *label, size_t len);
bool lu_mf_meta_ok(const char *key, size_t klen, size_t vlen);

/*
 * Decode the n pieces of a manifest, in token order (pieces[i] is piece
 * i). 0, -ENOMEM, or -EBADMSG with the reason in why. On success *m is
 * filled (free with lu_manifest_clear()).
 */
int lu_manifest_decode(const struct lu_mf_piece *pieces, size_t n,
		       struct lu_manifest *m, char *why, size_t why_len);
void lu_manifest_clear(struct lu_manifest *m);
/*
 * The header of a piece (c, the first size bytes of it): 0 with its
 * header size in *hsp and the piece number it states in *indexp, or
 * -EBADMSG with the reason in why (no piece of this major: magic, header
 * size, checksum, version).
 */
int lu_mf_piece_number(const uint8_t *c, size_t size, size_t *hsp, unsigned *indexp,
		       char *why, size_t why_len);
/*
 * Map the n manifest memfds fds (its pieces, in order) read-only and
 * decode them (lib/manifest.c): 0 and a malloc'd *mp (lu_manifest_clear()
 * then free()), or -ENOMEM, or -EBADMSG or an errno of mmap(2) with the
 * reason in why. The fds stay the caller's.
 */
int lu_manifest_read_fds(const int *fds, size_t n, struct lu_manifest **mp,
			 char *why, size_t why_len);

/* The entry with this label, or NULL; labels are hashed: O(1). */
const struct liveupdate_entry *lu_manifest_find(const struct lu_manifest *m,
						const char *label);
const struct liveupdate_entry *lu_manifest_find_token(const struct lu_manifest *m,
						      uint64_t token);
const char *lu_manifest_session_meta(const struct lu_manifest *m, const char *key);

/* ---- writing ---- */

/* Write the header of piece number index into map (zeroed, at least
 * LU_MF_HEADER_SIZE bytes). */
void lu_mf_piece_init(uint8_t *map, unsigned index);
/*
 * The size of the piece to add so that a record of len bytes fits: the
 * first piece's size, then twice the last one's, in LU_MF_PIECE_UNIT
 * steps, at least what the record needs; 0 when the manifest would pass
 * LU_MF_MAX_SIZE or LU_MF_PIECES_MAX pieces.
 */
size_t lu_manifest_next_piece_size(const struct lu_manifest *m, size_t len);
/* Take a new piece (initialized, and preserved by the caller): records
 * now go there. m->pieces has room for LU_MF_PIECES_MAX. */
void lu_manifest_add_piece(struct lu_manifest *m, uint8_t *map, size_t size);

/*
 * Continue the decoded log m (another process wrote it so far: a session
 * handed over) in pieces, its n pieces mapped writable, piece 0 first:
 * records go on where the last piece's end (m->used, from decoding), the
 * next sequence number after m->generation. The pieces array
 * (LU_MF_PIECES_MAX slots, n of them set) becomes m's. 0, or -EBADMSG with
 * the reason in why when this writer must not append to it (a torn last
 * record: the writer handing it over was in the middle of one, or it is
 * damaged).
 */
int lu_manifest_resume(struct lu_manifest *m, struct lu_mf_piece *pieces, size_t n,
		       size_t first_size, char *why, size_t why_len);

/* A FILE record; the caller frees *recp. 0, -ENOMEM or -EINVAL (limits). */
int lu_mf_encode_file(const struct liveupdate_entry *e, uint8_t **recp,
		      size_t *lenp);
/* Change the token of an encoded FILE record. */
void lu_mf_set_token(uint8_t *rec, uint64_t token);
/* A SESSION_META record for one key. */
int lu_mf_encode_session_meta(const char *key, const char *value,
			      uint8_t **recp, size_t *lenp);

/* Whether a record of len bytes still fits in the last piece. */
bool lu_manifest_fits(const struct lu_manifest *m, size_t len);

/*
 * A record parsed and its memory allocated, ready to be linked into a
 * manifest: exactly one of entry or key is set.
 */
struct lu_mf_item {
	struct lu_mf_entry *entry;
	char *key, *value;
};

/*
 * Parse one record (rec points at its header; avail bytes remain) into
 * *item and make room for it in m: 0, -ENOMEM, or -EBADMSG with the reason
 * in why; *lenp gets the record's length. An unknown record type that may
 * be skipped gives 0 with an empty item.
 */
int lu_manifest_prepare(struct lu_manifest *m, const uint8_t *rec, size_t avail,
			size_t *lenp, struct lu_mf_item *item, char *why,
			size_t why_len);
void lu_mf_item_free(struct lu_mf_item *item);
/* Link a prepared item into m (room was made by lu_manifest_prepare()). */
void lu_manifest_link(struct lu_manifest *m, struct lu_mf_item *item);

/*
 * Append a prepared record to the last piece and link its item: cannot
 * fail once lu_manifest_prepare() succeeded and lu_manifest_fits() said
 * yes. Its sequence number and checksum are set here (rec is changed):
 * until its last byte is stored, a reader takes it for a torn tail and
 * reads the state before it.
 */
void lu_manifest_commit(struct lu_manifest *m, uint8_t *rec, size_t len,
			struct lu_mf_item *item);

/* Every store into the image goes through this (tests replace it to crash
 * the writer at chosen bytes); memcpy by default. */
extern void (*lu_mf_store)(void *dst, const void *src, size_t len);

#endif
