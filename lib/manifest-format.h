/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The session manifest's bytes (doc/manifest.md is the normative text):
 * decoding untrusted images, and appending records to a writable image
 * with the double-buffered, generation-numbered update. Nothing here makes
 * a system call or logs, so the fuzzer and the crash test can drive it
 * alone. Nothing here is ABI.
 */
#ifndef LIBLIVEUPDATE_MANIFEST_FORMAT_H
#define LIBLIVEUPDATE_MANIFEST_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "liveupdate/liveupdate.h"
#include "lu-util.h"

#define LU_MF_MAGIC "LU-MANIF"
#define LU_MF_MAJOR 1
#define LU_MF_MINOR 0
#define LU_MF_HEADER_SIZE 64
#define LU_MF_REC_HEADER 8
#define LU_MF_FILE_FIXED 48          /* fixed part of a FILE record, 1.0 */
#define LU_MF_REC_FILE 1
#define LU_MF_REC_SESSION_META 2
#define LU_MF_REC_MUST_UNDERSTAND 0x0001
#define LU_MF_MIN_SIZE (8u << 10)
#define LU_MF_MAX_SIZE (64u << 20)
#define LU_MF_DEFAULT_SIZE (256u << 10)

/* One file, as decoded: the public view plus the storage it points into. */
struct lu_mf_entry {
	struct liveupdate_entry pub;
	/* pub.label, pub.meta[] and their strings follow in the same block */
};

/* The decoded manifest, and for an outgoing session the image it writes. */
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
	/* the state of the image (decoded or written) */
	uint64_t generation;
	uint64_t passed_over;            /* decoded: the generation of a newer copy
					  * with damaged records, not read; or 0 */
	uint32_t used;                   /* bytes of records in the newest copy */
	uint32_t crc;                    /* CRC-32 of those bytes */
	/* writer only: the mapped file, two copies of copy_size bytes */
	uint8_t *map;
	size_t copy_size;
	unsigned active;                 /* copy holding the newest generation (decoded too) */
	uint32_t copy_used[2];           /* records each copy holds */
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
 * Decode an image (the whole memfd). 0, -ENOMEM, or -EBADMSG with the
 * reason in why. On success *m is filled (free with lu_manifest_clear()).
 */
int lu_manifest_decode(const uint8_t *buf, size_t len, struct lu_manifest *m,
		       char *why, size_t why_len);
void lu_manifest_clear(struct lu_manifest *m);
/*
 * Map the manifest memfd fd read-only and decode it (lib/manifest.c): 0 and
 * a malloc'd *mp (lu_manifest_clear() then free()), or -ENOMEM, or -EBADMSG
 * or an errno of mmap(2) with the reason in why. fd stays the caller's.
 */
int lu_manifest_read_fd(int fd, struct lu_manifest **mp, char *why, size_t why_len);

/* The entry with this label, or NULL; labels are hashed: O(1). */
const struct liveupdate_entry *lu_manifest_find(const struct lu_manifest *m,
						const char *label);
const struct liveupdate_entry *lu_manifest_find_token(const struct lu_manifest *m,
						      uint64_t token);
const char *lu_manifest_session_meta(const struct lu_manifest *m, const char *key);

/* ---- writing ---- */

/* Start an empty image in map (2 * copy_size bytes, zeroed): generation 1. */
void lu_manifest_init_image(struct lu_manifest *m, uint8_t *map, size_t copy_size);

/*
 * Continue writing a decoded image (another process wrote it so far): map
 * is the whole file, size bytes, mapped writable. 0, or -EBADMSG with the
 * reason when this writer cannot append to it (another header size).
 */
int lu_manifest_resume_image(struct lu_manifest *m, uint8_t *map, size_t size,
			     char *why, size_t why_len);

/* A FILE record; the caller frees *recp. 0, -ENOMEM or -EINVAL (limits). */
int lu_mf_encode_file(const struct liveupdate_entry *e, uint8_t **recp,
		      size_t *lenp);
/* Change the token of an encoded FILE record. */
void lu_mf_set_token(uint8_t *rec, uint64_t token);
/* A SESSION_META record for one key. */
int lu_mf_encode_session_meta(const char *key, const char *value,
			      uint8_t **recp, size_t *lenp);

/* Whether a record of len bytes still fits (in both copies). */
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
 * Write a prepared record into the image and link its item: cannot fail
 * once lu_manifest_prepare() succeeded and lu_manifest_fits() said yes. The
 * record goes to the inactive copy, then that copy's header with the next
 * generation: a crash at any byte leaves the previous state readable.
 */
void lu_manifest_commit(struct lu_manifest *m, const uint8_t *rec, size_t len,
			struct lu_mf_item *item);

/* Every store into the image goes through this (tests replace it to crash
 * the writer at chosen bytes); memcpy by default. */
extern void (*lu_mf_store)(void *dst, const void *src, size_t len);

#endif
