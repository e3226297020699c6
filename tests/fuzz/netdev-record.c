/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for the network devices' record decoder
 * (lib/netdev-record.c), run by tests/fuzz/netdev-record.sh. Whatever the
 * bytes, as given and with their checksum made right: no crash, no read
 * outside them (ASan), every device decoded passes the record's own
 * checks, and what decodes encodes back to exactly the same bytes. Built with -DLU_NETDEV_FUZZ_SEEDS instead, it writes the
 * seed corpus: valid records of 0 to 3 devices.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netdev.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void decode_and_check(const uint8_t *data, size_t size)
{
	struct lu_netdev *devs;
	char why[200];
	uint8_t *out;
	size_t n, out_size;
	int ret = lu_netdev_decode(data, size, &devs, &n, why, sizeof(why));

	if (ret == -EBADMSG || ret == -EPROTONOSUPPORT || ret == -ENOMEM)
		return;
	if (ret != 0)
		abort();
	for (size_t i = 0; i < n; i++)
		if (!lu_netdev_check(&devs[i], why, sizeof(why)))
			abort();
	if (lu_netdev_encode(devs, n, &out, &out_size) != 0 || out_size != size ||
	    memcmp(out, data, size))
		abort(); /* decode and encode disagree */
	free(out);
	free(devs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *fixed;
	uint32_t crc;

	decode_and_check(data, size);
	/* and past the checksum, which random bytes hardly ever match */
	if (size < 24 || !(fixed = malloc(size)))
		return 0;
	memcpy(fixed, data, size);
	crc = lu_netdev_record_crc(fixed, size);
	for (int i = 0; i < 4; i++)
		fixed[20 + i] = (uint8_t)(crc >> (8 * i));
	decode_and_check(fixed, size);
	free(fixed);
	return 0;
}

#ifdef LU_NETDEV_FUZZ_SEEDS
#include "netdev-sample.h"

int main(int argc, char **argv)
{
	struct lu_netdev d[3];

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	netdev_sample(d);
	/* 0 devices; the macvtap alone; the bridge; all three */
	static const size_t first[] = { 0, 2, 0, 0 }, count[] = { 0, 1, 1, 3 };
	for (int s = 0; s < 4; s++) {
		char path[4096];
		uint8_t *buf;
		size_t size;
		FILE *f;

		if (lu_netdev_encode(d + first[s], count[s], &buf, &size) != 0)
			return 1;
		snprintf(path, sizeof(path), "%s/seed-%d", argv[1], s);
		f = fopen(path, "wb");
		if (!f || fwrite(buf, 1, size, f) != size || fclose(f) != 0) {
			perror(path);
			return 1;
		}
		free(buf);
	}
	return 0;
}
#endif
