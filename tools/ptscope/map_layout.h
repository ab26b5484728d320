/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The picture of `ptscope map`: layout and SVG output, with no I/O to the
 * module (the host unit test feeds it synthetic address spaces).
 */
#ifndef PTSCOPE_MAP_LAYOUT_H
#define PTSCOPE_MAP_LAYOUT_H

#include <stdint.h>
#include <stdio.h>
#include <stdbool.h>

/* Page state of a cell; MS_NR: no page present. */
enum map_state { MS_PRIV, MS_SHARED, MS_HUGE, MS_SWAP, MS_ZERO, MS_SPECIAL, MS_NR };

#define MAP_CELL_BYTES		(64ULL << 10)	/* one cell, in every picture */
#define MAP_CELLS_PER_LINE	128		/* one line of cells = 8 MiB */
#define MAP_MAX_CELLS		16384		/* cells kept per VMA (1 GiB) */
#define MAP_DEFAULT_W		1920
#define MAP_DEFAULT_H		1080

/* A cell's look: its state in the low nibble, how full in the high one (1-4). */
#define MAP_LOOK(state, q)	((uint8_t)((state) | ((q) << 4)))
#define MAP_LOOK_STATE(l)	((l) & 0xf)
#define MAP_LOOK_FILL(l)	((l) >> 4)

struct map_vma {
	uint64_t start, end;		/* drawn part (clipped to --range) */
	char perm[5];			/* "r-xp" */
	unsigned int backing;		/* enum ptscope_backing */
	char *name;			/* path, [heap]..., "" for none */
	uint64_t bytes[MS_NR];		/* bytes in each state */
	uint8_t *cell;			/* MAP_LOOK of each cell */
	size_t ncells;			/* min(ceil(size / cell), MAP_MAX_CELLS) */
};

struct map_pic {
	unsigned int pid;
	const char *comm;
	int paging_levels;
	const char *version;
	const char *select;		/* what --range/--vma chose, or NULL */
	int width, height;
	const struct map_vma *v;
	size_t n;
};

struct map_result {
	size_t rows;			/* rows drawn */
	size_t hidden_vmas;		/* VMAs in no drawn row (too many rows) */
	size_t truncated;		/* rows whose cells did not all fit */
	size_t gaps;			/* gaps labelled */
};

int map_parse_size(const char *s, int *w, int *h);
bool map_reserved(const struct map_vma *v);
int map_svg(FILE *out, const struct map_pic *p, struct map_result *res);
/* S as XML text (markup escaped, what XML cannot hold replaced by '?'). */
void map_xml_text(FILE *f, const char *s);
/* Estimated width of S at font size FS (DejaVu Sans's advances, roughly). */
double map_text_width(const char *s, double fs);

#endif
