/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ptscope walker core: a read-only walk over another process's page
 * tables.  No I/O here: the walker hands decoded entries to callbacks.
 */
#ifndef PTSCOPE_WALK_H
#define PTSCOPE_WALK_H

#include <linux/types.h>
#include <linux/mm_types.h>
#include <uapi/linux/ptscope.h>

struct ptscope_walk;

/**
 * struct ptscope_walk_ops - what a walk reports, in address order
 * @vma:   called once when the walk enters a VMA (again after a resume
 *         only if the VMA changed).  Return 0 to go on, PTSCOPE_WALK_FULL
 *         to stop before this VMA.
 * @leaves_get: space for @n more leaf records, which the walker fills
 *         in address order; NULL if the caller cannot take @n more leaves
 *         now: the walk stops before them and resumes there next time.
 *         Asked before each PTE table (for all of the table's entries in
 *         the range) and before each huge leaf (@n = 1), so a PTE table is
 *         always reported whole, within one hold of the locks (a
 *         consistent picture of each 2 MiB region even if it is collapsed
 *         into a THP in between).  A binary front end hands out its
 *         output buffer here, so records are decoded in place.
 * @leaves: the walker filled the first @n records of that space with the
 *         non-empty leaf entries found (@n may be 0).  Cannot fail: the
 *         room was promised by @leaves_get.
 * @table: called once for each page-table page the walk steps into;
 *         @level is the level of the entries the table holds.
 * @region: (kernel walks) a region of the kernel half begins.
 * @ptes_get: (compact walks) space for the raw entries of a PTE table's
 *         range: @n u64s, or 2 * @n with facts; NULL if there is no room
 *         (the walk stops there, as for @leaves_get).
 * @ptes:  (compact walks) the walker filled @e with the @n entries (empty
 *         ones too) from @va on, each followed by its facts word
 *         (PTSCOPE_FACT_*, 0 for an entry not present) with facts.
 *         Huge leaves still go through @leaves_get and @leaves.
 *
 * One call per PTE table rather than per entry keeps indirect calls and
 * copies out of the per-entry path (Documentation/performance.rst).
 * All callbacks run under mmap_read_lock and rcu_read_lock: they must
 * not sleep.  @vma and @table may be NULL.
 */
struct ptscope_walk_ops {
	int (*vma)(struct ptscope_walk *w, struct vm_area_struct *vma);
	struct ptscope_leaf *(*leaves_get)(struct ptscope_walk *w,
					   unsigned int n);
	void (*leaves)(struct ptscope_walk *w, struct ptscope_leaf *leaves,
		       unsigned int n);
	void (*table)(struct ptscope_walk *w, int level, unsigned long pa);
	int (*region)(struct ptscope_walk *w, unsigned long start,
		      unsigned long end, const char *name);
	u64 *(*ptes_get)(struct ptscope_walk *w, unsigned int n);
	void (*ptes)(struct ptscope_walk *w, struct vm_area_struct *vma,
		     unsigned long va, u64 *e, unsigned int n);
};

#define PTSCOPE_WALK_FULL	1

/**
 * struct ptscope_walk - state of a resumable walk over [addr, end)
 * @mm:       target mm, pinned by the caller with mmgrab()
 * @ops:      callbacks
 * @priv:     callbacks' private data
 * @addr:     next address to visit; advanced by every chunk
 * @end:      end of the range (exclusive)
 * @vma_start: start of the last VMA announced through @ops->vma
 * @vma_end:  its end: a VMA that grew or shrank between two chunks is
 *            announced again, so that every leaf lies inside the last VMA
 *            reported
 * @last_table: last table page reported per level, so that a table
 *            shared by two VMAs is reported once
 * @done:     the range is exhausted
 * @kw:       kernel-half walk state (ptscope_kwalk_init()), else NULL
 * @start:    first address of the range (a kernel walk's passes restart there)
 * @compact:  report PTE tables raw, through @ops->ptes
 * @facts:    with @compact, a facts word per entry
 * @merge:    leaves of a PTE table that continue a run
 *            (ptscope_extends_run()) come merged into it: @ops->leaves
 *            may get runs (count > 1)
 */
struct ptscope_walk {
	struct mm_struct *mm;
	const struct ptscope_walk_ops *ops;
	void *priv;
	unsigned long addr;
	unsigned long end;
	unsigned long vma_start;
	unsigned long vma_end;
	unsigned long last_table[PTSCOPE_NR_LEVELS];
	bool done;
	struct ptscope_kwalk *kw;
	unsigned long start;
	bool compact;
	bool facts;
	bool merge;
};

void ptscope_walk_init(struct ptscope_walk *w, struct mm_struct *mm,
		       unsigned long start, unsigned long end,
		       const struct ptscope_walk_ops *ops, void *priv);
int ptscope_walk_chunk(struct ptscope_walk *w);
int ptscope_translate(struct mm_struct *mm, unsigned long va,
		      struct ptscope_xlate_level *levels, int *nr_levels,
		      struct ptscope_xlate *out);
int ptscope_paging_levels(void);
unsigned long ptscope_pgd_pa(struct mm_struct *mm);
unsigned long ptscope_user_pgd_pa(struct mm_struct *mm);
unsigned long ptscope_user_end(void);
void ptscope_vma_describe(struct vm_area_struct *vma, struct ptscope_vma *rec);
u64 ptscope_decode_hw(u64 v, int level);
u64 ptscope_pte_bits(u64 raw);
bool ptscope_extends_run(const struct ptscope_leaf *r,
			 const struct ptscope_leaf *l);
u64 ptscope_swp_decode(u64 raw, struct ptscope_leaf *leaf);
u64 ptscope_swp_bits(u64 raw);
u64 ptscope_marker_flags(unsigned long marker);

/* The compact stream's layout (compact.c). */
int ptscope_layout_init(void);
const struct ptscope_layout *ptscope_layout(void);

/*
 * The kernel half (kwalk.c).  @ops->region is called before the leaves
 * of each region of the kernel half (and, in a kernel walk, for every
 * named region even when it has none); @ops->vma is not called.
 */
#define PTSCOPE_KREGIONS_MAX	24

/**
 * struct ptscope_kregion - a region of the kernel half
 * @start: first address
 * @end:   end (exclusive), 0 for the top of the address space
 * @name:  "direct map", "vmalloc"...; empty for a gap between regions
 */
struct ptscope_kregion {
	unsigned long start;
	unsigned long end;
	char name[32];
};

struct ptscope_kwalk;

unsigned long ptscope_kernel_start(void);
int ptscope_kregions(struct ptscope_kregion *out);
struct ptscope_kwalk *ptscope_kwalk_alloc(void);
void ptscope_kwalk_free(struct ptscope_kwalk *kw);
const struct ptscope_kregion *ptscope_kwalk_region(struct ptscope_kwalk *kw,
						   unsigned long va);
void ptscope_kwalk_init(struct ptscope_walk *w, struct ptscope_kwalk *kw,
			struct mm_struct *mm, unsigned long start,
			unsigned long end, const struct ptscope_walk_ops *ops,
			void *priv);
int ptscope_kwalk_chunk(struct ptscope_walk *w);
int ptscope_ktranslate(struct mm_struct *mm, unsigned long va,
		       struct ptscope_xlate_level *levels, int *nr_levels,
		       struct ptscope_xlate *out);

#endif /* PTSCOPE_WALK_H */
