/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Helpers written once for lib/, tools/ and the tests: a convenience
 * library (util/libluutil.la), never installed; built with hidden
 * visibility, so nothing here is exported by libliveupdate.so.
 */
#ifndef LU_UTIL_H
#define LU_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- util/crc32.c ---- */

/* CRC-32 as in zlib and IEEE 802.3 (reflected 0xEDB88320), so any language
 * has it at hand: crc is the CRC of the bytes before buf, 0 to start. */
uint32_t lu_util_crc32(uint32_t crc, const void *buf, size_t len);

/* ---- little-endian fields of the formats the library writes ---- */

static inline uint16_t lu_util_get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t lu_util_get_le32(const uint8_t *p)
{
	return lu_util_get_le16(p) | (uint32_t)lu_util_get_le16(p + 2) << 16;
}

static inline uint64_t lu_util_get_le64(const uint8_t *p)
{
	return lu_util_get_le32(p) | (uint64_t)lu_util_get_le32(p + 4) << 32;
}

static inline void lu_util_put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void lu_util_put_le32(uint8_t *p, uint32_t v)
{
	lu_util_put_le16(p, (uint16_t)v);
	lu_util_put_le16(p + 2, (uint16_t)(v >> 16));
}

static inline void lu_util_put_le64(uint8_t *p, uint64_t v)
{
	lu_util_put_le32(p, (uint32_t)v);
	lu_util_put_le32(p + 4, (uint32_t)(v >> 32));
}

/* ---- util/size.c ---- */

/* "2 MiB", "1 GiB", "4 KiB", "1 byte", "3145729 bytes": a size as people
 * read it, exact (a unit only when it divides the size). buf. */
const char *lu_util_fmt_size(char *buf, size_t len, uint64_t bytes);
/* "1 page", "512 pages": n things, singular for one. buf. */
const char *lu_util_fmt_count(char *buf, size_t len, uint64_t n, const char *thing);

/* ---- util/memory-room.c ---- */

/* The bytes this process can still allocate, as the host under root
 * ("/" when NULL) says: MemAvailable, lowered by the headroom of each
 * memory cgroup above the process (v2 and v1), each plus its inactive file
 * cache. UINT64_MAX when nothing says; the tightest limit is described in
 * why. */
uint64_t lu_util_memory_room(const char *root, char *why, size_t len);

/* ---- util/opts.c ---- */

/* Whether an option struct of user_size bytes (its sz) is one this
 * library reads: at least sz itself, and zero past the known_size bytes
 * it knows (an unknown field set would be silently ignored otherwise). */
bool lu_util_opts_valid(const void *opts, size_t user_size, size_t known_size);

/* ---- util/root-file.c: the host's files under a root directory ---- */

/* "<root><path>" in buf; root NULL, "" or "/" is the real root.
 * 0, or -ENAMETOOLONG if it does not fit. */
int lu_util_path_under(char *buf, size_t len, const char *root, const char *path);
/* The whole file <root><path>, at most max bytes: 0 with *bufp (malloc'd,
 * NUL-terminated) and *lenp, -EFBIG when it is longer, or a negative errno. */
int lu_util_read_under(const char *root, const char *path, size_t max,
		       char **bufp, size_t *lenp);
/* The kernel command line (<root>/proc/cmdline, at most max bytes) without
 * its newline: 0 with *bufp (malloc'd), or a negative errno (-EFBIG). */
int lu_util_read_cmdline(const char *root, size_t max, char **bufp);

/* ---- util/mountinfo.c ---- */

/* One line of /proc/self/mountinfo, split in place; point and source
 * with their octal escapes (\040 for a space) undone. */
struct lu_util_mount {
	char *point;
	char *fstype;
	char *source;
	char *options; /* the super block's, comma separated */
};
/* Split line; false when it does not parse. */
bool lu_util_mountinfo_parse(char *line, struct lu_util_mount *m);
/* Call fn for each mount of <root>/proc/self/mountinfo, in order, until it
 * returns non-zero: 0, or a negative errno when the file does not open. */
int lu_util_mountinfo_foreach(const char *root,
			      int (*fn)(void *data, struct lu_util_mount *m),
			      void *data);

/* util/reason.c: write a decoder's reason for refusing its input into why
 * (why_len bytes, always terminated) and return err. */
int lu_util_reason(char *why, size_t why_len, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
