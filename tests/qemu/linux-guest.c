/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * linux-guest: /init of a Linux guest that does what tests/qemu/guest.S
 * does, as a program of a real kernel: every 55 ms (a kernel timer, the
 * guest's clock and its interrupts) it takes 64 steps over a 64 KiB
 * region (step n writes (n * 40503) & 0xffff at word n % 32768) keeping a
 * running sum, adds the region up again and prints on the serial console
 *     L=<line> S=<region sum> OK      (or BAD)
 * in hexadecimal, after BOOT once. Built static; the only file of its
 * initramfs.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mount.h>
#include <time.h>
#include <unistd.h>

static uint16_t region[32768];

int main(void)
{
	struct timespec next;
	uint32_t sum = 0, step = 0, line = 0;
	int fd;

	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	fd = open("/dev/ttyS0", O_WRONLY | O_NOCTTY);
	if (fd < 0)
		fd = open("/dev/console", O_WRONLY | O_NOCTTY);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	printf("BOOT\r\n");
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (;;) {
		uint32_t check = 0;

		for (int i = 0; i < 64; i++) {
			uint16_t *w = &region[++step % 32768];
			uint16_t v = (uint16_t)(step * 40503u);

			sum += v - *w;
			*w = v;
		}
		for (int i = 0; i < 32768; i++)
			check += region[i];
		printf("L=%08x S=%08x %s\r\n", ++line, check, check == sum ? "OK" : "BAD");
		next.tv_nsec += 55 * 1000 * 1000;
		if (next.tv_nsec >= 1000000000) {
			next.tv_nsec -= 1000000000;
			next.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
	}
}
