/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The working set over time (`ptscope wss`, `ptscope heatmap`): sets of
 * pages, and the heatmap picture's layout and SVG output, with no I/O to
 * the module or /proc (the host unit test feeds it synthetic samples).
 */
#ifndef PTSCOPE_HEATMAP_H
#define PTSCOPE_HEATMAP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/*
 * A set of 4K pages, exact per page: sorted, disjoint, non-adjacent runs
 * [r[i][0], r[i][1]) of page numbers (address >> 12).  Runs added in
 * address order (as a walk yields them) extend the last run; others are
 * sorted and merged by pset_normalize().
 */
struct pset {
	uint64_t (*r)[2];
	size_t n, cap;
	bool unsorted;		/* a run was added out of order */
};

/* Add pages [FIRST, END).  0 or -ENOMEM. */
int pset_add(struct pset *s, uint64_t first, uint64_t end);
/* Sort and merge the runs (after pset_add out of order). */
void pset_normalize(struct pset *s);
/* DST = DST | SRC (both normalised first).  0 or -ENOMEM. */
int pset_union(struct pset *dst, struct pset *src);
/* Pages in S, and in S within [FIRST, END) (S normalised). */
uint64_t pset_count(const struct pset *s);
uint64_t pset_count_in(const struct pset *s, uint64_t first, uint64_t end);
bool pset_has(const struct pset *s, uint64_t page);
void pset_clear(struct pset *s);
void pset_free(struct pset *s);

/* A VMA of the heatmap: one that had a present page in some interval. */
struct hm_vma {
	uint64_t start, end;
	unsigned int backing;		/* enum ptscope_backing */
	const char *name;		/* path, [heap]..., "" for none */
};

/* One sampling interval: a row of the picture. */
struct hm_row {
	double t0, t1;			/* seconds since the first clear: the clear
					 * and the walk of this interval */
	const struct pset *acc;		/* pages with the accessed bit (present) */
	const struct pset *pres;	/* pages present at the walk */
	uint64_t accessed;		/* pages accessed in the interval */
	uint64_t cumulative;		/* pages accessed in this or an earlier one */
	bool reclaim;			/* reclaim may have aged pages meanwhile */
};

struct hm_pic {
	unsigned int pid;
	const char *comm;
	double interval;		/* seconds asked for */
	bool flushed;			/* TLBs flushed after each clear (--flush-tlb) */
	const char *version;
	int width, height;		/* pixels (map_parse_size()) */
	const struct hm_vma *v;		/* any order; overlapping ones merge */
	size_t nv;
	const struct hm_row *rows;
	size_t nrows;
};

struct hm_result {
	size_t ranges;			/* populated ranges drawn */
	size_t gaps;			/* gaps folded and labelled */
	size_t rows;
	size_t columns;			/* columns of cells, all ranges */
	size_t unlabelled;		/* ranges whose label did not fit */
};

int heatmap_svg(FILE *f, const struct hm_pic *p, struct hm_result *res);

#endif
