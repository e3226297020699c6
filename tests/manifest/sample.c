/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sample: manifests written by the library, for the independent reader
 * (reader.py). Under liveupdate-sim, it fills a few sessions (one plain,
 * one whose last record it then damages, one of an unknown major version,
 * one damaged beyond reading, one in three pieces), does a simulated
 * kexec, and writes for each session DIR/NAME.P.img (the bytes of manifest
 * piece P, retrieved by token) and DIR/NAME.expected (what
 * liveupdate_session_print_manifest() prints, or "error EBADMSG").
 *
 * Usage: sample DIR   (with LIBLIVEUPDATE_SIM_SOCKET set)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "liveupdate-private.h"
#include "manifest-format.h"
#include "../check-plain.h"

static const char *const names[] = { "plain", "torn", "future", "broken", "pieces" };
#define N_SESSIONS (sizeof(names) / sizeof(names[0]))

static void preserve(struct liveupdate_session *s, const char *label, size_t size,
		     const struct liveupdate_preserve_opts *base)
{
	struct liveupdate_preserve_opts o = *base;
	int fd = memfd_create("sample", MFD_CLOEXEC);

	CHECK_THAT(fd >= 0 && ftruncate(fd, (off_t)size) == 0, "a memfd of %zu bytes: %s", size,
		   strerror(errno));
	o.label = label;
	CHECK(liveupdate_session_preserve_fd_opts(s, fd, &o, NULL));
	close(fd);
}

/* The same contents in every session: every field and escape in use. */
static void fill(struct liveupdate_session *s)
{
	struct liveupdate_meta ram_meta[] = { { "node", "0" }, { "dirty", "" } };
	struct liveupdate_meta odd_meta[] = { { "quote", "say \"hi\"\\" },
					      { "line", "a\nb\tc" }, { "utf8", "\xc3\xa9t\xc3\xa9" },
					      /* not UTF-8, cut short, a surrogate, C1, overlong */
					      { "bytes", "\xff\xc3(\xed\xa0\x80\xc2\x85\xc0\xaf" } };
	LIVEUPDATE_OPTS(liveupdate_preserve_opts, ram, .kind = LIVEUPDATE_ENTRY_MEMORY,
			.backing = 2, .page_size = 2u << 20, .meta = ram_meta, .n_meta = 2);
	LIVEUPDATE_OPTS(liveupdate_preserve_opts, odd, .meta = odd_meta, .n_meta = 4,
			.flags = LIVEUPDATE_PRESERVE_TOKEN, .token = UINT64_MAX);
	LIVEUPDATE_OPTS(liveupdate_preserve_opts, plain);
	LIVEUPDATE_OPTS(liveupdate_preserve_opts, other, .kind = LIVEUPDATE_ENTRY_OTHER,
			.flags = LIVEUPDATE_PRESERVE_TOKEN, .token = 0);
	char label[LIVEUPDATE_LABEL_MAX + 1];

	CHECK(liveupdate_session_set_meta(s, "vmm", "sample"));
	preserve(s, "guest-ram-0", 1u << 20, &ram);
	preserve(s, "vcpu-state", 8192, &plain);
	CHECK(liveupdate_session_set_meta(s, "version", "1"));
	preserve(s, "odd \"label\"", 3, &odd);
	preserve(s, NULL, 4096, &plain); /* no label */
	memset(label, 'L', LIVEUPDATE_LABEL_MAX);
	label[LIVEUPDATE_LABEL_MAX] = '\0';
	preserve(s, label, 1, &other);
	CHECK(liveupdate_session_set_meta(s, "version", "2"));
	preserve(s, "last", 12288, &plain);
}

/* Enough more files to fill the first pieces of a small manifest. */
static void fill_pieces(struct liveupdate_session *s)
{
	LIVEUPDATE_OPTS(liveupdate_preserve_opts, plain);
	char label[32];

	for (int i = 0; i < 200; i++) {
		snprintf(label, sizeof(label), "extra-%d", i);
		preserve(s, label, 64, &plain);
	}
	if (lu_session_manifest(s)->n_pieces != 3)
		exit(1);
}

/* Damage one session's manifest in place before the kexec. */
static void damage(struct liveupdate_session *s, const char *name)
{
	struct lu_manifest *m = lu_session_manifest(s);
	uint8_t *first = m->pieces[0].map;

	if (!strcmp(name, "torn")) {
		/* a byte of the last record: as if the update never finished */
		m->pieces[m->n_pieces - 1].map[m->used - 8] ^= 0x01;
	} else if (!strcmp(name, "future")) {
		uint32_t crc;

		first[8] = 3; /* major 3, checksum made right again */
		crc = lu_util_crc32(0, first, LU_MF_HEADER_SIZE - 4);
		for (int i = 0; i < 4; i++)
			first[LU_MF_HEADER_SIZE - 4 + i] = (uint8_t)(crc >> (8 * i));
	} else if (!strcmp(name, "broken")) {
		first[LU_MF_HEADER_SIZE + 20] ^= 0xff; /* the first record */
	}
}

static void save(const char *dir, const char *name, const char *suffix,
		 const void *buf, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.%s", dir, name, suffix);
	f = fopen(path, "w");
	CHECK_THAT(f && fwrite(buf, 1, len, f) == len && !fclose(f), "writing %s: %s", path,
		   strerror(errno));
}

int main(int argc, char **argv)
{
	struct liveupdate_session *out[N_SESSIONS], *in;
	struct liveupdate_ctx *ctx;

	if (argc != 2) {
		fprintf(stderr, "usage: sample DIR\n");
		return 2;
	}
	ctx = sim_ctx();
	for (size_t i = 0; i < N_SESSIONS; i++) {
		LIVEUPDATE_OPTS(liveupdate_session_opts, o, .manifest_size = 4096);

		CHECK(liveupdate_session_create_opts(ctx, names[i], &o, &out[i]));
		fill(out[i]);
		if (!strcmp(names[i], "pieces"))
			fill_pieces(out[i]);
		damage(out[i], names[i]);
	}
	CHECK(liveupdate_kexec_load(ctx, "/proc/self/exe", NULL));
	CHECK(liveupdate_kexec_reboot(ctx));
	for (size_t i = 0; i < N_SESSIONS; i++)
		liveupdate_session_unref(out[i]);
	liveupdate_ctx_unref(ctx);
	ctx = sim_ctx();

	for (size_t i = 0; i < N_SESSIONS; i++) {
		int fd, text = memfd_create("text", MFD_CLOEXEC), ret;
		char buf[65536], suffix[16];
		ssize_t n;
		off_t size;
		void *img;

		CHECK(liveupdate_session_retrieve(ctx, names[i], &in));
		/* every piece, until the first token not there */
		for (int p = 0; liveupdate_session_retrieve_fd(in, LIVEUPDATE_MANIFEST_TOKEN + p,
							      &fd) == 0; p++) {
			size = lseek(fd, 0, SEEK_END);
			img = mmap(NULL, (size_t)size, PROT_READ, MAP_SHARED, fd, 0);
			if (img == MAP_FAILED)
				return 1;
			snprintf(suffix, sizeof(suffix), "%d.img", p);
			save(argv[1], names[i], suffix, img, (size_t)size);
			munmap(img, (size_t)size);
			close(fd);
		}
		ret = liveupdate_session_print_manifest(in, text);
		if (ret == -EBADMSG) {
			save(argv[1], names[i], "expected", "error EBADMSG\n", 14);
		} else {
			CHECK(ret);
			n = pread(text, buf, sizeof(buf), 0);
			if (n <= 0)
				return 1;
			save(argv[1], names[i], "expected", buf, (size_t)n);
		}
		close(text);
		liveupdate_session_unref(in);
	}
	liveupdate_ctx_unref(ctx);
	return 0;
}
