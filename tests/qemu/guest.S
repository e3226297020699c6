/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * guest.S: a boot sector that proves its RAM and its machine carried on.
 *
 * At each BIOS timer tick (IRQ0, about 18 Hz: the PIT, the PIC and the
 * interrupt path must keep working) it takes 64 steps over a 64 KiB region
 * at 0x10000: step n writes the word (n * 40503) & 0xffff at word n % 32768
 * and updates a running sum of the region kept in RAM. Then it adds the
 * whole region up again and prints, on COM1,
 *     L=<line> S=<region sum> OK      (or BAD when the sums differ)
 * in hexadecimal. After a cold start it prints BOOT first. If its RAM or
 * its registers were lost, the lines restart, stop, or say BAD.
 *
 * Built with GNU as (--32) and ld --oformat binary; loaded at 0x7c00.
 */
	.code16
	.set LINE,  0x500		/* dword: lines printed */
	.set SUM,   0x504		/* dword: running sum of the region */
	.set STEP,  0x508		/* dword: steps taken */
	.set TICK,  0x50c		/* dword: the last BIOS tick seen */
	.set BIOS_TICKS, 0x46c		/* the BIOS data area's tick counter */
	.set REGION_SEG, 0x1000
	.set COM1, 0x3f8

	.text
	.globl _start
_start:
	cli
	xorw	%ax, %ax
	movw	%ax, %ds
	movw	%ax, %ss
	movw	$0x7000, %sp
	ljmp	$0, $cold
cold:
	movw	$REGION_SEG, %ax
	movw	%ax, %es
	xorw	%di, %di		/* the region and the counters start at 0 */
	xorw	%ax, %ax
	movw	$0x8000, %cx
	cld
	rep stosw
	movl	$0, LINE
	movl	$0, SUM
	movl	$0, STEP
	movl	BIOS_TICKS, %eax
	movl	%eax, TICK
	movw	$boot_msg, %si
	call	puts

main:
	sti
	hlt				/* until the next interrupt */
	cli
	movl	BIOS_TICKS, %eax
	cmpl	%eax, TICK
	je	main
	movl	%eax, TICK

	movw	$64, %cx
step:
	movl	STEP, %eax
	incl	%eax
	movl	%eax, STEP
	movl	%eax, %ebx
	andl	$0x7fff, %ebx
	shlw	$1, %bx			/* byte offset of word n % 32768 */
	imull	$40503, %eax, %edx
	movzwl	%dx, %edx
	movzwl	%es:(%bx), %eax
	subl	%eax, SUM
	addl	%edx, SUM
	movw	%dx, %es:(%bx)
	loop	step

	xorl	%eax, %eax		/* add the whole region up again */
	xorw	%bx, %bx
	movw	$0x8000, %cx
verify:
	movzwl	%es:(%bx), %edx
	addl	%edx, %eax
	addw	$2, %bx
	loop	verify
	pushl	%eax

	incl	LINE
	movw	$line_msg, %si
	call	puts
	movl	LINE, %eax
	call	puthex
	movw	$sum_msg, %si
	call	puts
	popl	%eax
	pushl	%eax
	call	puthex
	popl	%eax
	movw	$ok_msg, %si
	cmpl	%eax, SUM
	je	1f
	movw	$bad_msg, %si
1:	call	puts
	jmp	main

/* puts: the NUL-terminated string at %si. */
puts:
	lodsb
	testb	%al, %al
	jz	1f
	call	putc
	jmp	puts
1:	ret

/* puthex: %eax as 8 hexadecimal digits. */
puthex:
	movw	$8, %cx
1:	roll	$4, %eax
	pushl	%eax
	andb	$0xf, %al
	addb	$'0', %al
	cmpb	$'9', %al
	jbe	2f
	addb	$('a' - '9' - 1), %al
2:	call	putc
	popl	%eax
	loop	1b
	ret

/* putc: %al on COM1, once its transmitter is empty. */
putc:
	pushw	%dx
	pushw	%ax
	movw	$(COM1 + 5), %dx
1:	inb	%dx, %al
	testb	$0x20, %al
	jz	1b
	popw	%ax
	movw	$COM1, %dx
	outb	%al, %dx
	popw	%dx
	ret

boot_msg: .asciz "BOOT\r\n"
line_msg: .asciz "L="
sum_msg:  .asciz " S="
ok_msg:   .asciz " OK\r\n"
bad_msg:  .asciz " BAD\r\n"

	.org 510
	.word 0xaa55
