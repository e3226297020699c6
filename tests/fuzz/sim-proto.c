/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for liveupdate-sim's message decoder (tests/fuzz/sim-proto.sh).
 * Whatever the bytes: no crash, no read outside them (ASan), and a message
 * that decodes encodes back to exactly the same bytes (one set of rules).
 * Built with -DLU_SIM_FUZZ_SEEDS instead, it writes one valid message of
 * every type into a directory: the fuzzer's seed corpus.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/liveupdate.h>
#include "sim-proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lu_sim_msg m;
	uint8_t out[LU_SIM_MSG_MAX];
	int ret = lu_sim_decode(data, size, &m), n;

	if (ret == 0) {
		n = lu_sim_encode(&m, out, sizeof(out));
		if (n != (int)size || memcmp(out, data, size) != 0)
			abort(); /* decode and encode disagree */
		if (m.type == LU_SIM_IOCTL &&
		    lu_sim_ioctl_known_size(m.u.ioctl.cmd & 0xff) > LU_SIM_ARG_MAX)
			abort();
	} else if (ret != -EBADMSG && ret != -EPROTO && ret != -EPROTONOSUPPORT) {
		abort();
	}
	return 0;
}

#ifdef LU_SIM_FUZZ_SEEDS
static void put(const char *dir, int i, const struct lu_sim_msg *m)
{
	uint8_t buf[LU_SIM_MSG_MAX];
	char path[4096];
	int n = lu_sim_encode(m, buf, sizeof(buf));
	FILE *f;

	if (n < 0) {
		fprintf(stderr, "seed %d does not encode\n", i);
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/seed-%02d", dir, i);
	f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, (size_t)n, f) != (size_t)n || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	struct lu_sim_msg m;
	int i = 0;

	if (argc != 2)
		return 2;
	memset(&m, 0, sizeof(m));
	m.type = LU_SIM_HELLO;
	for (uint32_t r = 1; r <= 3; r++) {
		m.u.hello.role = r;
		put(argv[1], i++, &m);
	}
	memset(&m, 0, sizeof(m));
	m.type = LU_SIM_IOCTL;
	m.u.ioctl.cmd = LIVEUPDATE_IOCTL_CREATE_SESSION;
	m.u.ioctl.user_size = 72;
	memcpy(m.u.ioctl.arg, "\x48\0\0\0\0\0\0\0vm-1", 12);
	m.u.ioctl.cookie[0] = 0x1122334455667788ull;
	put(argv[1], i++, &m);
	m.u.ioctl.cmd = LIVEUPDATE_SESSION_PRESERVE_FD;
	m.u.ioctl.user_size = 16;
	memset(m.u.ioctl.arg, 0, sizeof(m.u.ioctl.arg));
	m.u.ioctl.flags = LU_SIM_IOF_FILE_BADF;
	put(argv[1], i++, &m);
	memset(&m, 0, sizeof(m));
	m.type = LU_SIM_KEXEC_LOAD;
	m.u.kexec_load.flags = LU_SIM_KEXEC_UNLOAD;
	put(argv[1], i++, &m);
	memset(&m, 0, sizeof(m));
	m.type = LU_SIM_REBOOT;
	m.u.reboot.flags = LU_SIM_REBOOT_FORCE;
	put(argv[1], i++, &m);
	memset(&m, 0, sizeof(m));
	m.type = LU_SIM_FROZEN;
	m.u.frozen.ino = 42;
	put(argv[1], i++, &m);
	memset(&m, 0, sizeof(m));
	m.type = LU_SIM_STATUS;
	m.u.status.index = LU_SIM_STATUS_DAEMON;
	put(argv[1], i++, &m);
	memset(&m, 0, sizeof(m));
	m.type = LU_SIM_STOP;
	put(argv[1], i++, &m);
	m.type = LU_SIM_TABLE;
	put(argv[1], i++, &m);
	memset(&m, 0, sizeof(m));
	m.type = LU_SIM_REPLY;
	m.u.reply.err = ENOENT;
	m.u.reply.flags = LU_SIM_RF_FD;
	put(argv[1], i++, &m);
	memset(&m, 0, sizeof(m));
	m.type = LU_SIM_INFO;
	m.u.info.pid = 1;
	m.u.info.kexec_loaded = 1;
	put(argv[1], i++, &m);
	memset(&m, 0, sizeof(m));
	m.type = LU_SIM_SESSION_INFO;
	m.u.session_info.direction = 2;
	snprintf(m.u.session_info.name, sizeof(m.u.session_info.name), "vm-guest-ram");
	put(argv[1], i++, &m);
	return 0;
}
#endif
