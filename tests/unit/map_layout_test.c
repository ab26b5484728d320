// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side tests of the picture of `ptscope map` (tools/ptscope/map_layout.c):
 * synthetic address spaces (the maps of cat and of python3 on a Debian
 * machine, one with a 128T gap, one with a 4G reservation and a 2G heap,
 * one with 3,000 VMAs) are drawn at several sizes and the SVG is checked
 * from the file itself by tests/map_svg_check.py: exactly the size asked,
 * nothing outside, no text under 18 px at 1920x1080, no overlapping
 * texts, distinct legend colours, one element per VMA, every gap labelled.
 *
 * MAP_SVG_KEEP=DIR keeps the pictures in DIR (to render and look at).
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "svg_check.h"
#include "../../tools/ptscope/map_layout.c"

static const char *const cat_maps[] = {
	"55a5bb0a7000-55a5bb0a9000 r--p /usr/bin/cat",
	"55a5bb0a9000-55a5bb0ae000 r-xp /usr/bin/cat",
	"55a5bb0ae000-55a5bb0b1000 r--p /usr/bin/cat",
	"55a5bb0b1000-55a5bb0b2000 r--p /usr/bin/cat",
	"55a5bb0b2000-55a5bb0b3000 rw-p /usr/bin/cat",
	"55a5e0693000-55a5e06b4000 rw-p [heap]",
	"7f7437c8c000-7f7437cae000 rw-p ",
	"7f7437cae000-7f7437d05000 r--p /usr/lib/locale/C.utf8/LC_CTYPE",
	"7f7437d05000-7f7437d06000 r--p /usr/lib/locale/C.utf8/LC_NUMERIC",
	"7f7437d06000-7f7437d07000 r--p /usr/lib/locale/C.utf8/LC_TIME",
	"7f7437d07000-7f7437d08000 r--p /usr/lib/locale/C.utf8/LC_COLLATE",
	"7f7437d08000-7f7437d09000 r--p /usr/lib/locale/C.utf8/LC_MONETARY",
	"7f7437d09000-7f7437d0a000 r--p /usr/lib/locale/C.utf8/LC_MESSAGES/SYS_LC_MESSAGES",
	"7f7437d0a000-7f7437d0b000 r--p /usr/lib/locale/C.utf8/LC_PAPER",
	"7f7437d0b000-7f7437d0c000 r--p /usr/lib/locale/C.utf8/LC_NAME",
	"7f7437d0c000-7f7437d0f000 rw-p ",
	"7f7437d0f000-7f7437d35000 r--p /usr/lib/x86_64-linux-gnu/libc.so.6",
	"7f7437d35000-7f7437e8b000 r-xp /usr/lib/x86_64-linux-gnu/libc.so.6",
	"7f7437e8b000-7f7437ede000 r--p /usr/lib/x86_64-linux-gnu/libc.so.6",
	"7f7437ede000-7f7437ee2000 r--p /usr/lib/x86_64-linux-gnu/libc.so.6",
	"7f7437ee2000-7f7437ee4000 rw-p /usr/lib/x86_64-linux-gnu/libc.so.6",
	"7f7437ee4000-7f7437ef1000 rw-p ",
	"7f7437ef1000-7f7437ef2000 r--p /usr/lib/locale/C.utf8/LC_ADDRESS",
	"7f7437ef2000-7f7437ef3000 r--p /usr/lib/locale/C.utf8/LC_TELEPHONE",
	"7f7437ef3000-7f7437ef4000 r--p /usr/lib/locale/C.utf8/LC_MEASUREMENT",
	"7f7437ef4000-7f7437efb000 r--s /usr/lib/x86_64-linux-gnu/gconv/gconv-modules.cache",
	"7f7437efb000-7f7437efc000 r--p /usr/lib/locale/C.utf8/LC_IDENTIFICATION",
	"7f7437efc000-7f7437efe000 rw-p ",
	"7f7437efe000-7f7437f02000 r--p [vvar]",
	"7f7437f02000-7f7437f04000 r--p [vvar_vclock]",
	"7f7437f04000-7f7437f06000 r-xp [vdso]",
	"7f7437f06000-7f7437f07000 r--p /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
	"7f7437f07000-7f7437f2d000 r-xp /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
	"7f7437f2d000-7f7437f37000 r--p /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
	"7f7437f37000-7f7437f39000 r--p /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
	"7f7437f39000-7f7437f3b000 rw-p /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
	"7ffe08fe6000-7ffe09007000 rw-p [stack]",
	NULL
};

static const char *const python_maps[] = {
	"56541e73e000-56541e73f000 r--p /usr/bin/python3.11",
	"56541e73f000-56541e740000 r-xp /usr/bin/python3.11",
	"56541e740000-56541e741000 r--p /usr/bin/python3.11",
	"56541e741000-56541e742000 r--p /usr/bin/python3.11",
	"56541e742000-56541e743000 rw-p /usr/bin/python3.11",
	"565436c4b000-565436dda000 rw-p [heap]",
	"7f24d9884000-7f24d99b7000 rw-p ",
	"7f24d99c9000-7f24d99cc000 r--p /usr/lib/python3.11/lib-dynload/_struct.cpython-311-x86_64-linux-gnu.so",
	"7f24d99cc000-7f24d99d1000 r-xp /usr/lib/python3.11/lib-dynload/_struct.cpython-311-x86_64-linux-gnu.so",
	"7f24d99d1000-7f24d99d4000 r--p /usr/lib/python3.11/lib-dynload/_struct.cpython-311-x86_64-linux-gnu.so",
	"7f24d99d4000-7f24d99d5000 r--p /usr/lib/python3.11/lib-dynload/_struct.cpython-311-x86_64-linux-gnu.so",
	"7f24d99d5000-7f24d99d6000 rw-p /usr/lib/python3.11/lib-dynload/_struct.cpython-311-x86_64-linux-gnu.so",
	"7f24d99d6000-7f24d99d8000 r--p /usr/lib/python3.11/lib-dynload/binascii.cpython-311-x86_64-linux-gnu.so",
	"7f24d99d8000-7f24d99db000 r-xp /usr/lib/python3.11/lib-dynload/binascii.cpython-311-x86_64-linux-gnu.so",
	"7f24d99db000-7f24d99dd000 r--p /usr/lib/python3.11/lib-dynload/binascii.cpython-311-x86_64-linux-gnu.so",
	"7f24d99dd000-7f24d99de000 r--p /usr/lib/python3.11/lib-dynload/binascii.cpython-311-x86_64-linux-gnu.so",
	"7f24d99de000-7f24d99df000 rw-p /usr/lib/python3.11/lib-dynload/binascii.cpython-311-x86_64-linux-gnu.so",
	"7f24d99df000-7f24d99e1000 r--p /usr/lib/python3.11/lib-dynload/_sha512.cpython-311-x86_64-linux-gnu.so",
	"7f24d99e1000-7f24d99e5000 r-xp /usr/lib/python3.11/lib-dynload/_sha512.cpython-311-x86_64-linux-gnu.so",
	"7f24d99e5000-7f24d99e6000 r--p /usr/lib/python3.11/lib-dynload/_sha512.cpython-311-x86_64-linux-gnu.so",
	"7f24d99e6000-7f24d99e7000 r--p /usr/lib/python3.11/lib-dynload/_sha512.cpython-311-x86_64-linux-gnu.so",
	"7f24d99e7000-7f24d99e8000 rw-p /usr/lib/python3.11/lib-dynload/_sha512.cpython-311-x86_64-linux-gnu.so",
	"7f24d99e8000-7f24d99ea000 r--p /usr/lib/python3.11/lib-dynload/_random.cpython-311-x86_64-linux-gnu.so",
	"7f24d99ea000-7f24d99ec000 r-xp /usr/lib/python3.11/lib-dynload/_random.cpython-311-x86_64-linux-gnu.so",
	"7f24d99ec000-7f24d99ed000 r--p /usr/lib/python3.11/lib-dynload/_random.cpython-311-x86_64-linux-gnu.so",
	"7f24d99ed000-7f24d99ee000 r--p /usr/lib/python3.11/lib-dynload/_random.cpython-311-x86_64-linux-gnu.so",
	"7f24d99ee000-7f24d99ef000 rw-p /usr/lib/python3.11/lib-dynload/_random.cpython-311-x86_64-linux-gnu.so",
	"7f24d99ef000-7f24d99f2000 r--p /usr/lib/python3.11/lib-dynload/math.cpython-311-x86_64-linux-gnu.so",
	"7f24d99f2000-7f24d99fb000 r-xp /usr/lib/python3.11/lib-dynload/math.cpython-311-x86_64-linux-gnu.so",
	"7f24d99fb000-7f24d9a00000 r--p /usr/lib/python3.11/lib-dynload/math.cpython-311-x86_64-linux-gnu.so",
	"7f24d9a00000-7f24d9a01000 r--p /usr/lib/python3.11/lib-dynload/math.cpython-311-x86_64-linux-gnu.so",
	"7f24d9a01000-7f24d9a02000 rw-p /usr/lib/python3.11/lib-dynload/math.cpython-311-x86_64-linux-gnu.so",
	"7f24d9a02000-7f24d9a06000 r--p /usr/lib/x86_64-linux-gnu/liblzma.so.5.4.1",
	"7f24d9a06000-7f24d9a23000 r-xp /usr/lib/x86_64-linux-gnu/liblzma.so.5.4.1",
	"7f24d9a23000-7f24d9a2f000 r--p /usr/lib/x86_64-linux-gnu/liblzma.so.5.4.1",
	"7f24d9a2f000-7f24d9a30000 r--p /usr/lib/x86_64-linux-gnu/liblzma.so.5.4.1",
	"7f24d9a30000-7f24d9a31000 rw-p /usr/lib/x86_64-linux-gnu/liblzma.so.5.4.1",
	"7f24d9a31000-7f24d9a34000 r--p /usr/lib/python3.11/lib-dynload/_lzma.cpython-311-x86_64-linux-gnu.so",
	"7f24d9a34000-7f24d9a38000 r-xp /usr/lib/python3.11/lib-dynload/_lzma.cpython-311-x86_64-linux-gnu.so",
	"7f24d9a38000-7f24d9a3b000 r--p /usr/lib/python3.11/lib-dynload/_lzma.cpython-311-x86_64-linux-gnu.so",
	"7f24d9a3b000-7f24d9a3c000 r--p /usr/lib/python3.11/lib-dynload/_lzma.cpython-311-x86_64-linux-gnu.so",
	"7f24d9a3c000-7f24d9a3d000 rw-p /usr/lib/python3.11/lib-dynload/_lzma.cpython-311-x86_64-linux-gnu.so",
	"7f24d9a3d000-7f24d9a3f000 r--p /usr/lib/x86_64-linux-gnu/libbz2.so.1.0.4",
	"7f24d9a3f000-7f24d9a4c000 r-xp /usr/lib/x86_64-linux-gnu/libbz2.so.1.0.4",
	"7f24d9a4c000-7f24d9a4e000 r--p /usr/lib/x86_64-linux-gnu/libbz2.so.1.0.4",
	"7f24d9a4e000-7f24d9a4f000 r--p /usr/lib/x86_64-linux-gnu/libbz2.so.1.0.4",
	"7f24d9a4f000-7f24d9a50000 rw-p /usr/lib/x86_64-linux-gnu/libbz2.so.1.0.4",
	"7f24d9a50000-7f24d9a53000 r--p /usr/lib/x86_64-linux-gnu/libz.so.1.2.13",
	"7f24d9a53000-7f24d9a66000 r-xp /usr/lib/x86_64-linux-gnu/libz.so.1.2.13",
	"7f24d9a66000-7f24d9a6d000 r--p /usr/lib/x86_64-linux-gnu/libz.so.1.2.13",
	"7f24d9a6d000-7f24d9a6e000 r--p /usr/lib/x86_64-linux-gnu/libz.so.1.2.13",
	"7f24d9a6e000-7f24d9a6f000 rw-p /usr/lib/x86_64-linux-gnu/libz.so.1.2.13",
	"7f24d9a6f000-7f24d9a70000 r--p /usr/lib/python3.11/lib-dynload/_typing.cpython-311-x86_64-linux-gnu.so",
	"7f24d9a70000-7f24d9a71000 r-xp /usr/lib/python3.11/lib-dynload/_typing.cpython-311-x86_64-linux-gnu.so",
	"7f24d9a71000-7f24d9a72000 r--p /usr/lib/python3.11/lib-dynload/_typing.cpython-311-x86_64-linux-gnu.so",
	"7f24d9a72000-7f24d9a73000 r--p /usr/lib/python3.11/lib-dynload/_typing.cpython-311-x86_64-linux-gnu.so",
	"7f24d9a73000-7f24d9a74000 rw-p /usr/lib/python3.11/lib-dynload/_typing.cpython-311-x86_64-linux-gnu.so",
	"7f24d9a74000-7f24d9a75000 r--p /usr/lib/python3.11/lib-dynload/_bisect.cpython-311-x86_64-linux-gnu.so",
	"7f24d9a75000-7f24d9a77000 r-xp /usr/lib/python3.11/lib-dynload/_bisect.cpython-311-x86_64-linux-gnu.so",
	"7f24d9a77000-7f24d9a78000 r--p /usr/lib/python3.11/lib-dynload/_bisect.cpython-311-x86_64-linux-gnu.so",
	"7f24d9a78000-7f24d9a79000 r--p /usr/lib/python3.11/lib-dynload/_bisect.cpython-311-x86_64-linux-gnu.so",
	"7f24d9a79000-7f24d9a7a000 rw-p /usr/lib/python3.11/lib-dynload/_bisect.cpython-311-x86_64-linux-gnu.so",
	"7f24d9a7a000-7f24d9a7c000 r--p /usr/lib/python3.11/lib-dynload/zlib.cpython-311-x86_64-linux-gnu.so",
	"7f24d9a7c000-7f24d9a81000 r-xp /usr/lib/python3.11/lib-dynload/zlib.cpython-311-x86_64-linux-gnu.so",
	"7f24d9a81000-7f24d9a84000 r--p /usr/lib/python3.11/lib-dynload/zlib.cpython-311-x86_64-linux-gnu.so",
	"7f24d9a84000-7f24d9a85000 r--p /usr/lib/python3.11/lib-dynload/zlib.cpython-311-x86_64-linux-gnu.so",
	"7f24d9a85000-7f24d9a86000 rw-p /usr/lib/python3.11/lib-dynload/zlib.cpython-311-x86_64-linux-gnu.so",
	"7f24d9a86000-7f24d9dc7000 rw-p ",
	"7f24d9dc7000-7f24d9e1e000 r--p /usr/lib/locale/C.utf8/LC_CTYPE",
	"7f24d9e1e000-7f24d9e44000 r--p /usr/lib/x86_64-linux-gnu/libc.so.6",
	"7f24d9e44000-7f24d9f9a000 r-xp /usr/lib/x86_64-linux-gnu/libc.so.6",
	"7f24d9f9a000-7f24d9fed000 r--p /usr/lib/x86_64-linux-gnu/libc.so.6",
	"7f24d9fed000-7f24d9ff1000 r--p /usr/lib/x86_64-linux-gnu/libc.so.6",
	"7f24d9ff1000-7f24d9ff3000 rw-p /usr/lib/x86_64-linux-gnu/libc.so.6",
	"7f24d9ff3000-7f24da000000 rw-p ",
	"7f24da000000-7f24da0f5000 r--p /usr/lib/libpython3.11.so.1.0",
	"7f24da0f5000-7f24da331000 r-xp /usr/lib/libpython3.11.so.1.0",
	"7f24da331000-7f24da415000 r--p /usr/lib/libpython3.11.so.1.0",
	"7f24da415000-7f24da444000 r--p /usr/lib/libpython3.11.so.1.0",
	"7f24da444000-7f24da578000 rw-p /usr/lib/libpython3.11.so.1.0",
	"7f24da578000-7f24da5ba000 rw-p ",
	"7f24da5bb000-7f24da5bd000 r--p /usr/lib/python3.11/lib-dynload/_bz2.cpython-311-x86_64-linux-gnu.so",
	"7f24da5bd000-7f24da5bf000 r-xp /usr/lib/python3.11/lib-dynload/_bz2.cpython-311-x86_64-linux-gnu.so",
	"7f24da5bf000-7f24da5c0000 r--p /usr/lib/python3.11/lib-dynload/_bz2.cpython-311-x86_64-linux-gnu.so",
	"7f24da5c0000-7f24da5c1000 r--p /usr/lib/python3.11/lib-dynload/_bz2.cpython-311-x86_64-linux-gnu.so",
	"7f24da5c1000-7f24da5c2000 rw-p /usr/lib/python3.11/lib-dynload/_bz2.cpython-311-x86_64-linux-gnu.so",
	"7f24da5c2000-7f24da5e5000 rw-p ",
	"7f24da5e5000-7f24da5f5000 r--p /usr/lib/x86_64-linux-gnu/libm.so.6",
	"7f24da5f5000-7f24da669000 r-xp /usr/lib/x86_64-linux-gnu/libm.so.6",
	"7f24da669000-7f24da6c3000 r--p /usr/lib/x86_64-linux-gnu/libm.so.6",
	"7f24da6c3000-7f24da6c4000 r--p /usr/lib/x86_64-linux-gnu/libm.so.6",
	"7f24da6c4000-7f24da6c5000 rw-p /usr/lib/x86_64-linux-gnu/libm.so.6",
	"7f24da6c5000-7f24da6c9000 rw-p ",
	"7f24da6c9000-7f24da6d0000 r--s /usr/lib/x86_64-linux-gnu/gconv/gconv-modules.cache",
	"7f24da6d0000-7f24da6d2000 rw-p ",
	"7f24da6d2000-7f24da6d6000 r--p [vvar]",
	"7f24da6d6000-7f24da6d8000 r--p [vvar_vclock]",
	"7f24da6d8000-7f24da6da000 r-xp [vdso]",
	"7f24da6da000-7f24da6db000 r--p /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
	"7f24da6db000-7f24da701000 r-xp /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
	"7f24da701000-7f24da70b000 r--p /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
	"7f24da70b000-7f24da70d000 r--p /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
	"7f24da70d000-7f24da70f000 rw-p /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
	"7ffc338ef000-7ffc33910000 rw-p [stack]",
	NULL
};

/* a low mapping, a thread with its guard page, and 128T of nothing */
static const char *const gap128t_maps[] = {
	"10000-11000 rw-p ",
	"55d000000000-55d000001000 r--p /usr/bin/prog",
	"55d000001000-55d000003000 r-xp /usr/bin/prog",
	"55d000003000-55d000004000 rw-p /usr/bin/prog",
	"55d000800000-55d000a00000 rw-p [heap]",
	"7f0000000000-7f0000001000 ---p ",
	"7f0000001000-7f0000801000 rw-p ",
	"7f0000801000-7f0000802000 r--p /usr/lib/x86_64-linux-gnu/libc.so.6",
	"7f0000802000-7f0000902000 r-xp /usr/lib/x86_64-linux-gnu/libc.so.6",
	"7ffffffde000-7ffffffff000 rw-p [stack]",
	"ffffffff000000-ffffffff001000 rw-p /dev/shm/far",	/* 5-level */
	NULL
};

/* big: a 4G reservation with 2G of it usable, a 1.5G heap, arenas and 64M */
static const char *const big_maps[] = {
	"555500000000-555500001000 r-xp /usr/bin/big",
	"555500001000-555560001000 rw-p [heap]",
	"7e0000000000-7e0080000000 rw-p ",
	"7e0080000000-7e0100000000 ---p ",
	"7fba94dff000-7fba98000000 ---p ",	/* thread arenas, then 64M */
	"7fba98000000-7fba98021000 rw-p ",
	"7fba98021000-7fba9c000000 ---p ",
	"7fba9c000000-7fba9c021000 rw-p ",
	"7fba9c021000-7fbaa0000000 ---p ",
	"7fbaa0000000-7fbaa4000000 rw-p ",
	"7ffd00000000-7ffd00021000 rw-p [stack]",
	NULL
};

static unsigned int rnd(unsigned int *seed)
{
	*seed = *seed * 1103515245 + 12345;
	return (*seed >> 16) & 0x7fff;
}

static unsigned int backing_of(const char *name)
{
	if (!*name)
		return PTSCOPE_BACK_ANON;
	if (!strcmp(name, "[heap]"))
		return PTSCOPE_BACK_HEAP;
	if (!strcmp(name, "[stack]"))
		return PTSCOPE_BACK_STACK;
	if (!strcmp(name, "[vdso]"))
		return PTSCOPE_BACK_VDSO;
	if (!strncmp(name, "[vvar", 5))
		return PTSCOPE_BACK_VVAR;
	if (!strncmp(name, "/dev/shm/", 9))
		return PTSCOPE_BACK_SHMEM;
	return PTSCOPE_BACK_FILE;
}

/* VMAs from maps lines, cells filled with made-up but plausible states. */
static size_t build(const char *const *lines, struct map_vma **out)
{
	unsigned int seed = 42;
	struct map_vma *v;
	size_t n = 0, i, c;

	while (lines[n])
		n++;
	v = calloc(n, sizeof(*v));
	for (i = 0; i < n; i++) {
		unsigned long long s, e;
		char perm[8], name[256] = "";

		sscanf(lines[i], "%llx-%llx %7s %255[^\n]", &s, &e, perm, name);
		v[i].start = s;
		v[i].end = e;
		memcpy(v[i].perm, perm, 4);
		v[i].name = strdup(name);
		v[i].backing = backing_of(name);
		v[i].ncells = (e - s + MAP_CELL_BYTES - 1) / MAP_CELL_BYTES;
		if (v[i].ncells > MAP_MAX_CELLS)
			v[i].ncells = MAP_MAX_CELLS;
		v[i].cell = calloc(v[i].ncells, 1);
		for (c = 0; c < v[i].ncells; c++) {
			unsigned int r = rnd(&seed) % 100, st = MS_NR, q = 1 + rnd(&seed) % 4;

			if (map_reserved(&v[i]))
				break;
			if (v[i].backing == PTSCOPE_BACK_VVAR || v[i].backing == PTSCOPE_BACK_VDSO)
				st = MS_SPECIAL;
			else if (v[i].backing == PTSCOPE_BACK_FILE && perm[1] != 'w')
				st = r < 60 ? MS_SHARED : r < 70 ? MS_PRIV : MS_NR;
			else
				st = r < 55 ? MS_PRIV : r < 60 ? MS_SWAP : r < 64 ? MS_ZERO :
				     r < 66 ? MS_HUGE : MS_NR;
			v[i].cell[c] = st == MS_NR ? MAP_LOOK(MS_NR, 0) : MAP_LOOK(st, q);
			if (st < MS_NR)
				v[i].bytes[st] += (e - s < MAP_CELL_BYTES ? e - s : MAP_CELL_BYTES) *
						  q / 4 / 4096 * 4096 + 4096;
		}
	}
	*out = v;
	return n;
}

/* 3,000 small VMAs, every other one a gap: far more than fit. */
static size_t build_many(struct map_vma **out)
{
	static char *lines[3001];
	static char buf[3000][96];
	size_t i;

	for (i = 0; i < 3000; i++) {
		unsigned long long s = 0x7f0000000000ULL + i * 0x3000ULL * (1 + i % 7);

		snprintf(buf[i], sizeof(buf[i]), "%llx-%llx rw-p %s", s, s + 0x2000,
			 i % 3 ? "" : "/usr/lib/libmany.so.1");
		lines[i] = buf[i];
	}
	lines[i] = NULL;
	return build((const char *const *)lines, out);
}

static void free_vmas(struct map_vma *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].cell);
	}
	free(v);
}

static const char *check_script(void)
{
	return checker_path("map_svg_check.py");
}

/* Draw VMAS at SIZE into a file, run the checker on it; its exit status. */
static int draw_and_check(struct __test_metadata *_metadata, const char *tag,
			  struct map_vma *v, size_t n, const char *size, bool all_gaps,
			  struct map_result *res)
{
	char svg[PATH_MAX], maps[] = "/tmp/map-layout-test-XXXXXX", cmd[3 * PATH_MAX];
	struct map_pic pic = { .pid = 4242, .comm = tag, .paging_levels = 4,
			       .version = "test", .v = v, .n = n };
	const char *keep = getenv("MAP_SVG_KEEP");
	FILE *f;
	size_t i;
	int fd, st;

	ASSERT_EQ(0, map_parse_size(size, &pic.width, &pic.height));
	if (keep && *keep)
		snprintf(svg, sizeof(svg), "%s/%s-%s.svg", keep, tag, size);
	else
		snprintf(svg, sizeof(svg), "/tmp/map-layout-test-%d-%s-%s.svg", getpid(), tag, size);
	fd = mkstemp(maps);
	ASSERT_GE(fd, 0);
	f = fdopen(fd, "w");
	for (i = 0; i < n; i++)
		fprintf(f, "%llx %llx\n", (unsigned long long)v[i].start,
			(unsigned long long)v[i].end);
	fclose(f);
	f = fopen(svg, "w");
	ASSERT_NE(NULL, f);
	ASSERT_EQ(0, map_svg(f, &pic, res));
	ASSERT_EQ(0, fclose(f));
	snprintf(cmd, sizeof(cmd), "python3 %s %s %s %s", check_script(), svg, size,
		 all_gaps ? maps : "-");
	st = system(cmd);
	unlink(maps);
	if (!(keep && *keep))
		unlink(svg);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}


static const char *const sizes[] = { "1920x1080", "1280x720", "1024x768", "3840x2160", "640x360" };

TEST(parse_size)
{
	int w = 0, h = 0;

	EXPECT_EQ(0, map_parse_size("1920x1080", &w, &h));
	EXPECT_EQ(1920, w);
	EXPECT_EQ(1080, h);
	EXPECT_EQ(-EINVAL, map_parse_size("1920", &w, &h));
	EXPECT_EQ(-EINVAL, map_parse_size("1920x", &w, &h));
	EXPECT_EQ(-EINVAL, map_parse_size("x1080", &w, &h));
	EXPECT_EQ(-EINVAL, map_parse_size("1920X1080", &w, &h));
	EXPECT_EQ(-EINVAL, map_parse_size("1920x1080px", &w, &h));
	EXPECT_EQ(-EINVAL, map_parse_size("-1920x1080", &w, &h));
	EXPECT_EQ(-ERANGE, map_parse_size("1080x1920", &w, &h));	/* portrait */
	EXPECT_EQ(-ERANGE, map_parse_size("320x200", &w, &h));
	EXPECT_EQ(-ERANGE, map_parse_size("99999x1080", &w, &h));
	EXPECT_EQ(-ERANGE, map_parse_size("99999999999999999999x1080", &w, &h));
}

#define DRAW_ALL(tag, lines, want_rows_max)					\
	do {									\
		struct map_vma *v;						\
		struct map_result res;						\
		size_t n = build(lines, &v), i;					\
										\
		if (!have_python())						\
			SKIP(return, "no python3 to check the SVG");		\
		for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {	\
			EXPECT_EQ(0, draw_and_check(_metadata, tag, v, n,	\
						    sizes[i], true, &res))	\
				TH_LOG("%s at %s", tag, sizes[i]);		\
			EXPECT_EQ(0, res.hidden_vmas);				\
			EXPECT_GE(want_rows_max, res.rows);			\
		}								\
		free_vmas(v, n);						\
	} while (0)

TEST(cat_fits)
{
	DRAW_ALL("cat", cat_maps, 37);
}

/* one row per VMA was 104 rows: now it fits, nothing left out */
TEST(python_fits)
{
	DRAW_ALL("python3", python_maps, 30);
}

/* the biggest gap (128T) is labelled, with all the others */
TEST(gap_128t_labelled)
{
	DRAW_ALL("gap128t", gap128t_maps, 11);
}

/* a VMA bigger than its row: drawn in part, and the row says so */
TEST(big_vmas_cut_and_said)
{
	struct map_vma *v;
	struct map_result res;
	size_t n = build(big_maps, &v);

	if (!have_python())
		SKIP(return, "no python3 to check the SVG");
	EXPECT_EQ(0, draw_and_check(_metadata, "big", v, n, "1920x1080", true, &res));
	EXPECT_EQ(3, res.truncated);
	free_vmas(v, n);
}

/* far too many VMAs: the last row counts those left out; still fits */
TEST(many_vmas_fit)
{
	struct map_vma *v;
	struct map_result res;
	size_t n = build_many(&v);

	if (!have_python())
		SKIP(return, "no python3 to check the SVG");
	EXPECT_EQ(0, draw_and_check(_metadata, "many", v, n, "1920x1080", false, &res));
	EXPECT_LT(0, res.hidden_vmas);
	EXPECT_LT(0, res.gaps);
	free_vmas(v, n);
}

TEST_HARNESS_MAIN
