/*
 * cpio.c: the newc cpio writer with which the guest's PID 1 builds the
 * next stage's initrd (init.c, build_next_initrd()).
 */
#include <stdio.h>
#include <string.h>

#include "harness.h"

int cpio_entry(int fd, unsigned ino, const char *name, const void *data, size_t len)
{
	char hdr[111 + 256];
	static const char zeros[4];
	size_t namesize = strlen(name) + 1;
	int n = snprintf(hdr, sizeof(hdr),
			 "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
			 ino, data ? 0100644 : 0, 0, 0, 1, 0, (unsigned)len, 0, 0, 0, 0,
			 (unsigned)namesize, 0);
	if (n != 110)
		return -1;
	memcpy(hdr + 110, name, namesize);
	size_t hlen = 110 + namesize;
	size_t pad = (4 - hlen % 4) % 4;
	memset(hdr + hlen, 0, pad);
	if (write_all(fd, hdr, hlen + pad))
		return -1;
	if (len && write_all(fd, data, len))
		return -1;
	if (len % 4 && write_all(fd, zeros, 4 - len % 4))
		return -1;
	return 0;
}
