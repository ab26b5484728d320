// SPDX-License-Identifier: GPL-2.0
/*
 * ptscope kernel-half walker: the kernel's part of the page tables, read
 * from the caller's own top-level table.
 *
 * init_mm, swapper_pg_dir and get_online_mems() are not exported.  Every
 * process's top level shares the kernel half: pgd_alloc() copies the
 * kernel entries of swapper_pg_dir into each new top level (pgd_ctor()),
 * and x86-64 never changes them afterwards except to add entries: the
 * vmalloc area's lower tables are preallocated at boot
 * (preallocate_vmalloc_pages()), the kernel image, modules and fixmap
 * share the last top-level entry, set up at boot, and hot-added memory's
 * new top-level entries are copied into every top level
 * (sync_global_pgds()).  So the kernel half of the writer's mm->pgd
 * (pinned with mmgrab() for the session) is the kernel's, and the tables
 * below it are the kernel's own.  One slot is per process: with
 * page-table isolation, a process that uses modify_ldt() has its LDT
 * mapped in the "ldt remap" slot of its own top level, whose tables are
 * freed only when the mm is torn down (free_ldt_pgtables()); each chunk
 * holds mmget_not_zero() on the mm for that (a session written by a
 * process that has since exited answers -ESRCH).
 *
 * Nothing here takes a lock the kernel changes these tables under: their
 * writers (set_memory_*() / change_page_attr, vmalloc and ioremap, the
 * hotplug code) use init_mm's page_table_lock, cpa_lock or none at all.
 * Instead, each chunk runs with interrupts off and reads each table this
 * way:
 *
 *  - the table is copied whole with copy_from_kernel_nofault() (8-byte
 *    loads, so no entry is torn), then every entry it was found through
 *    is read again, from its parent up to the top level (no-fault loads),
 *    and each must still hold the value it was found with, else the walk
 *    starts again from the top at that address.  The entries decoded are
 *    those of the copy: a table that was reachable from the top level
 *    while it was copied;
 *
 *  - a split of a large mapping (set_memory_*(), __split_large_page())
 *    fills a new table and then installs it in the parent entry: the old
 *    large entry or the new table pointer is read, each consistent; no
 *    table is freed;
 *
 *  - the kernel frees a kernel page table only after clearing or
 *    replacing the entry that pointed to it and flushing the TLB of every
 *    CPU: pmd_free_pte_page() and pud_free_pmd_page() (huge vmalloc /
 *    ioremap mappings replacing smaller ones: clear, then
 *    flush_tlb_kernel_range(), then free_page()), and the collapse of
 *    split direct-map or text mappings into large ones on kernels that
 *    have it (the large entry is written, flush_tlb_all(), then the old
 *    tables are freed).  Where the flush is an IPI to every CPU
 *    (on_each_cpu(..., wait=1)), this CPU answers it only after the chunk
 *    re-enables interrupts: no table read in the chunk can be freed
 *    before that.  Where the CPU broadcasts TLB flushes without IPIs
 *    (AMD INVLPGB, used by 6.15+ kernels), the re-check of the chain
 *    still holds: an entry above the table was cleared or replaced before
 *    it was freed, so a table freed under the copy fails the re-check.
 *    That entry need not be the parent: pud_free_pmd_page() clears the
 *    PUD entry and frees the PTE tables while the PMD table still points
 *    at them, which is why the whole chain is read again;
 *
 *  - memory hot-remove (remove_pagetable(): the direct map and vmemmap
 *    of removed memory) is the exception: free_pte_table() and its
 *    siblings free an empty table before clearing the entry that points
 *    to it, and flush only at the end.  The table was empty (that is why
 *    it is freed), so a copy made before its page is reused reads as
 *    empty; one made in the window after reuse and before the clear
 *    could read foreign data.  No exported lock keeps hot-remove away
 *    (get_online_mems() is not exported).  The window is short but not
 *    bounded (in 6.12 free_pte_table() frees, then takes
 *    init_mm.page_table_lock, then clears: an interrupt there, or a
 *    contended lock, widens it), on a path that runs only on memory
 *    hot-remove.  The no-fault copy keeps it from faulting
 *    (debug_pagealloc unmaps freed pages from the direct map), and an
 *    entry of such a copy that points beyond RAM (high_memory) is never
 *    followed (table_ok()): the walk ends with -EFAULT rather than read
 *    what may be device memory;
 *
 *  - chunks are bounded (KWALK_BUDGET tables copied, KWALK_PTRS leaves
 *    decoded), then interrupts come back on; the leaves are formatted or
 *    merged only then, and between chunks the walk reschedules and stops
 *    on a fatal signal.
 *
 * The walk never writes to a table and never dereferences a mapped page.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include "ptscope_features.h"

#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/uaccess.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <asm/pgtable.h>
#include <asm/fixmap.h>
#include <asm/cpu_entry_area.h>
#ifdef CONFIG_KASAN
#include <asm/kasan.h>
#endif

#include "walk.h"

/* Tables copied per chunk (interrupts off) before interrupts come back. */
#define KWALK_BUDGET	64
#define KWALK_YIELD	2
#define KWALK_PTRS	512

/**
 * struct ptscope_kwalk - state of a kernel-half walk
 * @regions: the kernel half cut into regions, in address order; the gaps
 *           between the named ones have an empty name
 * @nr:      regions in @regions
 * @pass:    0: the kernel copy of the top level; 1: the PTI user copy
 * @announced: index of the last region reported in this pass, or -1
 * @retries: parent re-checks that failed (tables changed under the walk)
 * @name:    the region reported in this chunk (named for the PTI pass)
 * @rstart:  its start
 * @rend:    its end
 * @region_at: where among @leaves it comes, or -1 if none this chunk
 * @nleaves: leaves decoded in this chunk
 * @leaves:  the chunk's leaves, decoded with interrupts off and handed to
 *           the callbacks (formatted, merged) once they are back on
 * @copy:    one table copy per level
 * @up:      the entries the table being read was found through, top
 *           level first (@up[d] points into the live table of depth d)
 * @upv:     the values they held then
 */
struct ptscope_kwalk {
	struct ptscope_kregion regions[PTSCOPE_KREGIONS_MAX];
	int nr;
	int pass;
	int announced;
	unsigned long retries;
	char name[PTSCOPE_NAME_MAX];
	unsigned long rstart, rend;
	int region_at;
	unsigned int nleaves;
	struct ptscope_leaf leaves[KWALK_PTRS];
	u64 copy[PTSCOPE_NR_LEVELS][KWALK_PTRS];
	const u64 *up[PTSCOPE_NR_LEVELS];
	u64 upv[PTSCOPE_NR_LEVELS];
};

/**
 * ptscope_kernel_start() - first address of the kernel half
 *
 * Return: the lowest canonical kernel address of the paging mode in use.
 */
unsigned long ptscope_kernel_start(void)
{
	return ~((1UL << __VIRTUAL_MASK_SHIFT) - 1);
}

/* min() of two ends, 0 meaning the top of the address space. */
static unsigned long end_min(unsigned long a, unsigned long b)
{
	return a - 1 < b - 1 ? a : b;
}

static int cmp_region(const void *a, const void *b)
{
	const struct ptscope_kregion *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static void add_region(struct ptscope_kregion *r, int *n, unsigned long start,
		       unsigned long end, const char *name)
{
	if (*n >= PTSCOPE_KREGIONS_MAX || start < ptscope_kernel_start() ||
	    (end && end <= start))
		return;
	r[*n].start = start;
	r[*n].end = end;
	strscpy(r[*n].name, name, sizeof(r[*n].name));
	(*n)++;
}

/**
 * ptscope_kregions() - the regions of the kernel half, as this kernel lays it out
 * @out: PTSCOPE_KREGIONS_MAX slots
 *
 * Bounds from the kernel's own macros and exported variables (with KASLR
 * page_offset_base, vmalloc_base and vmemmap_base move at boot).  A region
 * whose end is not given by the kernel (the direct map, vmemmap) runs to
 * the next region, as ptdump's markers do.  Every address of the kernel
 * half falls in exactly one region; the gaps have an empty name.  The last
 * region's end is 0: the top of the address space.
 *
 * Return: the number of regions.
 */
int ptscope_kregions(struct ptscope_kregion *out)
{
	struct ptscope_kregion named[PTSCOPE_KREGIONS_MAX];
	unsigned long at = ptscope_kernel_start();
	int n = 0, nr = 0, i;

	add_region(named, &n, GUARD_HOLE_BASE_ADDR, GUARD_HOLE_END_ADDR,
		   "guard hole");
	add_region(named, &n, LDT_BASE_ADDR, LDT_END_ADDR, "ldt remap");
	add_region(named, &n, PAGE_OFFSET, 0, "direct map");
	add_region(named, &n, VMALLOC_START, VMALLOC_END + 1, "vmalloc");
	add_region(named, &n, VMEMMAP_START, 0, "vmemmap");
#ifdef CONFIG_KASAN
	add_region(named, &n, KASAN_SHADOW_START, KASAN_SHADOW_END,
		   "kasan shadow");
#endif
	add_region(named, &n, CPU_ENTRY_AREA_BASE,
		   CPU_ENTRY_AREA_BASE + CPU_ENTRY_AREA_MAP_SIZE,
		   "cpu entry area");
#ifdef CONFIG_X86_ESPFIX64
	add_region(named, &n, ESPFIX_BASE_ADDR, ESPFIX_BASE_ADDR + P4D_SIZE,
		   "espfix");
#endif
#ifdef CONFIG_EFI
	add_region(named, &n, EFI_VA_END, EFI_VA_START, "efi");
#endif
	add_region(named, &n, __START_KERNEL_map, MODULES_VADDR, "kernel image");
	add_region(named, &n, MODULES_VADDR, MODULES_END, "modules");
	add_region(named, &n, FIXADDR_TOT_START, FIXADDR_TOP + PAGE_SIZE,
		   "fixmap");
	sort(named, n, sizeof(named[0]), cmp_region, NULL);

	for (i = 0; i < n && nr < PTSCOPE_KREGIONS_MAX - 1; i++) {
		struct ptscope_kregion r = named[i];
		unsigned long next = i + 1 < n ? named[i + 1].start : 0;

		if (r.start < at)	/* overlaps the one before: cut */
			r.start = at;
		if (!r.end || end_min(r.end, next) != r.end)
			r.end = next;
		if (r.end && r.end <= r.start)
			continue;
		if (r.start > at)
			add_region(out, &nr, at, r.start, "");
		out[nr++] = r;
		at = r.end;
		if (!at)
			return nr;
	}
	add_region(out, &nr, at, 0, "");
	return nr;
}

/**
 * ptscope_kwalk_alloc() - state for a kernel-half walk or translation
 *
 * Return: the state (free with ptscope_kwalk_free()), or NULL.
 */
struct ptscope_kwalk *ptscope_kwalk_alloc(void)
{
	struct ptscope_kwalk *kw = kvzalloc(sizeof(*kw), GFP_KERNEL);

	if (kw)
		kw->nr = ptscope_kregions(kw->regions);
	return kw;
}

void ptscope_kwalk_free(struct ptscope_kwalk *kw)
{
	kvfree(kw);
}

/**
 * ptscope_kwalk_region() - the region of a kernel address
 * @kw: state from ptscope_kwalk_alloc()
 * @va: kernel address
 *
 * Return: the region that holds @va, or NULL below the kernel half.
 */
const struct ptscope_kregion *ptscope_kwalk_region(struct ptscope_kwalk *kw,
						   unsigned long va)
{
	int i;

	for (i = 0; i < kw->nr; i++)
		if (va >= kw->regions[i].start &&
		    (!kw->regions[i].end || va < kw->regions[i].end))
			return &kw->regions[i];
	return NULL;
}

/* The top-level table a pass reads: the kernel copy, or the PTI user copy. */
static pgd_t *pass_pgd(struct mm_struct *mm, int pass)
{
#ifdef PTSCOPE_HAVE_PTI_USER_PGD
	if (pass)
		return kernel_to_user_pgdp(mm->pgd);
#endif
	return mm->pgd;
}

/* Shift of one entry of @level; with 4 levels the PGD is the P4D. */
static unsigned int level_shift(int level)
{
	return level == PTSCOPE_LVL_PGD ? PGDIR_SHIFT : PTSCOPE_LEVEL_SHIFT(level);
}

static int child_level(int level)
{
	if (level == PTSCOPE_LVL_PGD && !pgtable_l5_enabled())
		return PTSCOPE_LVL_PUD;
	return level - 1;
}

static unsigned long level_end(unsigned long addr, int level, unsigned long end)
{
	unsigned long size = 1UL << level_shift(level);
	unsigned long b = (addr + size) & ~(size - 1);

	return b - 1 < end - 1 ? b : end;
}

/* A leaf: a PTE, or a PMD or PUD with PS set (present or not). */
static bool is_leaf(u64 e, int level)
{
	return level == PTSCOPE_LVL_PTE ||
	       ((level == PTSCOPE_LVL_PMD || level == PTSCOPE_LVL_PUD) &&
		((e & _PAGE_PSE) || !(e & _PAGE_PRESENT)));
}

/*
 * A kernel leaf: the hardware bits, with "write" and "modified" for RW
 * and Dirty.  A non-present kernel entry (set_memory_np(), debug_pagealloc)
 * is not a swap entry: it gets no flag and no frame.
 */
static void kdecode(u64 raw, int level, unsigned long va,
		    struct ptscope_leaf *l)
{
	memset(l, 0, sizeof(*l));
	l->hdr.type = PTSCOPE_REC_LEAF;
	l->hdr.size = sizeof(*l);
	l->va = va;
	l->entry = raw;
	l->count = 1;
	l->level = level;
	if (!(raw & _PAGE_PRESENT))
		return;
	l->flags = ptscope_decode_hw(raw, level) | PTSCOPE_F_PFN_VALID;
	if (level == PTSCOPE_LVL_PUD)
		l->pfn = pud_pfn(__pud(raw));
	else if (level == PTSCOPE_LVL_PMD)
		l->pfn = pmd_pfn(__pmd(raw));
	else
		l->pfn = pte_pfn(__pte(raw));
	/*
	 * The hardware bits themselves: pte_write() would also count Dirty
	 * without RW as writable (the shadow-stack encoding of user pages),
	 * which a kernel entry made read-only after being written is not.
	 */
	if (raw & _PAGE_RW)
		l->flags |= PTSCOPE_F_WRITE;
	if (raw & _PAGE_DIRTY)
		l->flags |= PTSCOPE_F_MODIFIED;
}

/* An empty entry (Knights Landing may set A and D in one). */
static bool kempty(u64 e)
{
	return !(e & ~(u64)_PAGE_KNL_ERRATUM_MASK);
}

/* The kernel address of the table an entry points to. */
static const void *table_of(u64 e)
{
	return __va(e & PTE_PFN_MASK);
}

/*
 * Does an entry point at a table the walk may read?  Every kernel page
 * table is in RAM, below high_memory (kept up to date by memory
 * hot-add).  A pointer beyond it can only come from a table copied while
 * it was being freed and reused (the hot-remove window above), and
 * __va() of it may land in the vmalloc/ioremap area: a "table" read
 * there could be device registers, whose reads have side effects.
 */
static bool table_ok(u64 e)
{
	return table_of(e) < high_memory;
}

/*
 * Note the region of @addr before its first leaf, for the callbacks after
 * the chunk: one region per chunk (FULL stops the chunk before a second).
 */
static int announce(struct ptscope_walk *w, unsigned long addr)
{
	struct ptscope_kwalk *kw = w->kw;
	const struct ptscope_kregion *r = ptscope_kwalk_region(kw, addr);
	const char *name;
	int idx;

	if (!r)
		return 0;
	idx = r - kw->regions;
	if (idx == kw->announced)
		return 0;
	if (kw->region_at >= 0)
		return PTSCOPE_WALK_FULL;
	name = r->name[0] ? r->name : "unnamed";
	if (kw->pass)
		snprintf(kw->name, sizeof(kw->name), "pti user copy: %s", name);
	else
		strscpy(kw->name, name, sizeof(kw->name));
	kw->rstart = r->start;
	kw->rend = r->end;
	kw->region_at = kw->nleaves;
	kw->announced = idx;
	return 0;
}

/* Room for @n more leaves in this chunk (a PTE table's are kept together). */
static struct ptscope_leaf *leaves_get(struct ptscope_kwalk *kw, unsigned int n)
{
	if (kw->nleaves + n > KWALK_PTRS)
		return NULL;
	kw->nleaves += n;
	return &kw->leaves[kw->nleaves - n];
}

/* Report one large (or non-present) leaf at a PMD or PUD. */
static int put_one(struct ptscope_walk *w, u64 e, int level,
		   unsigned long addr)
{
	struct ptscope_leaf *l;
	int ret;

	if (w->kw->nleaves + 1 > KWALK_PTRS)
		return PTSCOPE_WALK_FULL;
	ret = announce(w, addr);
	if (ret)
		return ret;
	l = leaves_get(w->kw, 1);
	kdecode(e, level, addr & ~((1UL << level_shift(level)) - 1), l);
	return 0;
}

/* Report a PTE table's non-empty entries in [addr, end), all at once. */
static int put_ptes(struct ptscope_walk *w, const u64 *t, unsigned long addr,
		    unsigned long end)
{
	unsigned int i = pte_index(addr), last, n = 0, k;
	struct ptscope_leaf *l;
	int ret;

	last = i + ((end - addr) >> PAGE_SHIFT);
	for (k = i; k < last; k++)
		n += !kempty(t[k]);
	if (!n)
		return 0;
	if (w->kw->nleaves + n > KWALK_PTRS)
		return PTSCOPE_WALK_FULL;
	ret = announce(w, addr);
	if (ret)
		return ret;
	l = leaves_get(w->kw, n);
	n = 0;
	for (k = i; k < last; k++, addr += PAGE_SIZE)
		if (!kempty(t[k]))
			kdecode(t[k], PTSCOPE_LVL_PTE, addr, &l[n++]);
	return 0;
}

/*
 * Are the @depth entries a table was found through still as they were?
 * Read from the parent up: a table is freed only after an entry above it
 * (its parent, or any ancestor when a whole subtree goes, as in
 * pud_free_pmd_page(), which frees the PTE tables while the PMD table
 * still points at them) was cleared or replaced.  Checking the parent
 * alone misses the second case where no IPI holds the free back (INVLPGB).
 */
static int chain_same(const u64 *const *up, const u64 *upv, int depth)
{
	u64 now;

	while (depth-- > 0) {
		if (get_kernel_nofault(now, up[depth]))
			return -EFAULT;
		if (now != upv[depth])
			return -EAGAIN;
	}
	return 0;
}

/*
 * Copy the table at @table, found through the @depth entries of kw->up
 * (0 for the top level, which is the caller's own), and check that they
 * all still hold what they held.  -EAGAIN if one changed, -EFAULT if the
 * table could not be read.
 */
static int copy_table(struct ptscope_kwalk *kw, u64 *copy, const void *table,
		      int depth)
{
	if (copy_from_kernel_nofault(copy, table, PAGE_SIZE))
		return -EFAULT;
	return chain_same(kw->up, kw->upv, depth);
}

/*
 * Walk [addr, end) of the table at @table (of @level), found through the
 * @depth entries of kw->up.  Progress is kept in w->addr: after an -EAGAIN the
 * caller starts again from the top there.
 */
static int kwalk_table(struct ptscope_walk *w, int level, const void *table,
		       int depth, unsigned long addr, unsigned long end,
		       int *budget)
{
	struct ptscope_kwalk *kw = w->kw;
	u64 *t = kw->copy[level];
	unsigned long next;
	int ret;

	ret = copy_table(kw, t, table, depth);
	if (ret)
		return ret;
	(*budget)--;
	if (level == PTSCOPE_LVL_PTE) {
		ret = put_ptes(w, t, addr, end);
		if (!ret)
			w->addr = end;
		return ret;
	}
	do {
		unsigned int i = (addr >> level_shift(level)) & (KWALK_PTRS - 1);
		u64 e = t[i];

		next = level_end(addr, level, end);
		if (kempty(e)) {
			w->addr = next;
			continue;
		}
		if (is_leaf(e, level)) {
			ret = put_one(w, e, level, addr);
		} else if (!(e & _PAGE_PRESENT)) {
			ret = 0;	/* a non-present P4D/PGD entry: nothing */
		} else if (!table_ok(e)) {
			ret = chain_same(kw->up, kw->upv, depth) ?: -EFAULT;
		} else {
			kw->up[depth] = (const u64 *)table + i;
			kw->upv[depth] = e;
			ret = kwalk_table(w, child_level(level), table_of(e),
					  depth + 1, addr, next, budget);
		}
		if (ret)
			return ret;
		w->addr = next;
		if (*budget <= 0 && next != end)
			return KWALK_YIELD;
	} while (addr = next, addr != end);
	return 0;
}

/* Walk from w->addr to the end of its region (or of the walk). */
static int kwalk_some(struct ptscope_walk *w, int *budget)
{
	struct ptscope_kwalk *kw = w->kw;
	const struct ptscope_kregion *r;
	unsigned long end;
	int ret;

	r = ptscope_kwalk_region(kw, w->addr);
	if (!r)
		return -ERANGE;
	/* Named regions are shown even when empty, as ptdump's markers are. */
	if (r->name[0] && kw->pass == 0) {
		ret = announce(w, w->addr);
		if (ret)
			return ret;
	}
	end = end_min(r->end, w->end);
	ret = kwalk_table(w, PTSCOPE_LVL_PGD, pass_pgd(w->mm, kw->pass), 0,
			  w->addr, end, budget);
	if (ret == -EAGAIN) {
		kw->retries++;
		return 0;
	}
	if (ret)
		return ret;
	w->addr = end;
	return 0;
}

/* Next pass (the PTI user copy), or the end of the walk. */
static void kwalk_pass_done(struct ptscope_walk *w)
{
	struct ptscope_kwalk *kw = w->kw;

#ifdef PTSCOPE_HAVE_PTI_USER_PGD
	if (kw->pass == 0 && boot_cpu_has(X86_FEATURE_PTI)) {
		kw->pass = 1;
		kw->announced = -1;
		w->addr = w->start;
		return;
	}
#endif
	w->done = true;
}

/**
 * ptscope_kwalk_init() - prepare a walk of the kernel half
 * @w:     walk state to fill
 * @kw:    state from ptscope_kwalk_alloc(), owned by the caller
 * @mm:    the caller's own address space, pinned with mmgrab()
 * @start: first kernel address
 * @end:   end (exclusive; 0: the top of the address space)
 * @ops:   callbacks; @ops->region is required
 * @priv:  callbacks' private data
 */
void ptscope_kwalk_init(struct ptscope_walk *w, struct ptscope_kwalk *kw,
			struct mm_struct *mm, unsigned long start,
			unsigned long end, const struct ptscope_walk_ops *ops,
			void *priv)
{
	ptscope_walk_init(w, mm, start, end, ops, priv);
	w->kw = kw;
	w->start = start;
	kw->pass = 0;
	kw->announced = -1;
	kw->retries = 0;
}

/* Hand @n of the chunk's leaves from @from on to the callbacks. */
static bool replay_leaves(struct ptscope_walk *w, unsigned int from,
			  unsigned int n)
{
	struct ptscope_leaf *l;

	if (!n)
		return true;
	l = w->ops->leaves_get(w, n);
	if (!l)
		return false;
	if (l != &w->kw->leaves[from])
		memcpy(l, &w->kw->leaves[from], n * sizeof(*l));
	w->ops->leaves(w, l, n);
	return true;
}

/*
 * The chunk's region and leaves, in order, to the callbacks, with
 * interrupts on (a text view formats them, coalescing merges them).  The
 * caller's room for a chunk (a PTE table of leaves and a region) always
 * holds them: false would be a bug.
 */
static bool replay(struct ptscope_walk *w)
{
	struct ptscope_kwalk *kw = w->kw;
	unsigned int at = kw->region_at < 0 ? kw->nleaves : kw->region_at;

	if (!replay_leaves(w, 0, at))
		return false;
	if (kw->region_at >= 0 &&
	    w->ops->region(w, kw->rstart, kw->rend, kw->name))
		return false;
	return replay_leaves(w, at, kw->nleaves - at);
}

/**
 * ptscope_kwalk_chunk() - walk one bounded chunk of the kernel half
 * @w: walk state from ptscope_kwalk_init()
 *
 * Interrupts are off while the chunk reads tables and decodes at most
 * KWALK_PTRS leaves (see the top of this file); the leaves and the region
 * go to the callbacks once interrupts are on again.  The caller must have
 * room for KWALK_PTRS leaves and a region.
 *
 * Context: process context; may sleep.
 * Return: 0 (the callbacks may have stopped the chunk: call again),
 * -EINTR on a fatal signal, -ESRCH if the mm has exited (the session was
 * written by a process that is gone), -EFAULT if a table could not be
 * read.
 */
int ptscope_kwalk_chunk(struct ptscope_walk *w)
{
	int budget = KWALK_BUDGET;
	unsigned long flags;
	int ret = 0;

	if (w->done)
		return 0;
	if (fatal_signal_pending(current))
		return -EINTR;
	/* The LDT remap slot's tables live until the mm is torn down. */
	if (!mmget_not_zero(w->mm))
		return -ESRCH;
	w->kw->nleaves = 0;
	w->kw->region_at = -1;
	local_irq_save(flags);
	while (!w->done && budget > 0) {
		ret = kwalk_some(w, &budget);
		if (ret)
			break;
		if (w->addr == w->end || (w->end && w->addr > w->end) ||
		    (!w->end && !w->addr))
			kwalk_pass_done(w);
	}
	local_irq_restore(flags);
	mmput(w->mm);
	if (!replay(w) && ret >= 0)
		ret = -ENOSPC;
	cond_resched();
	if (ret == KWALK_YIELD || ret == PTSCOPE_WALK_FULL)
		ret = 0;
	return ret;
}

/* One step of a kernel translation. */
static void kstep(struct ptscope_xlate_level *lv, int level, u64 table_pa,
		  unsigned int index, u64 e, bool folded)
{
	memset(lv, 0, sizeof(*lv));
	lv->hdr.type = PTSCOPE_REC_LEVEL;
	lv->hdr.size = sizeof(*lv);
	lv->level = level;
	lv->index = index;
	lv->table_pa = table_pa;
	lv->entry_pa = table_pa + index * sizeof(u64);
	lv->entry = e;
	if (e & _PAGE_PRESENT)
		lv->flags = ptscope_decode_hw(e, level);
	lv->folded = folded;
}

/* The walk of one address, interrupts off.  -EAGAIN: start again. */
static int ktranslate_once(struct mm_struct *mm, unsigned long va,
			   struct ptscope_xlate_level *lv, int *n,
			   struct ptscope_xlate *out)
{
	const u64 *tp = (const u64 *)mm->pgd, *up[PTSCOPE_NR_LEVELS];
	int level = PTSCOPE_LVL_PGD, depth = 0, ret;
	u64 upv[PTSCOPE_NR_LEVELS], e;

	*n = 0;
	for (;;) {
		unsigned int i = (va >> level_shift(level)) & (KWALK_PTRS - 1);

		if (get_kernel_nofault(e, tp + i))
			return -EFAULT;
		ret = chain_same(up, upv, depth);
		if (ret)
			return ret;
		kstep(&lv[(*n)++], level, __pa(tp), i, e, false);
		if (level == PTSCOPE_LVL_PGD && !pgtable_l5_enabled()) {
			/* Folded: the PGD entry is the P4D entry. */
			kstep(&lv[*n], PTSCOPE_LVL_P4D, __pa(tp), i, e, true);
			(*n)++;
		}
		out->stop_level = level;
		if (kempty(e)) {
			out->stop = PTSCOPE_STOP_EMPTY;
			return 0;
		}
		if (is_leaf(e, level)) {
			unsigned long size = 1UL << level_shift(level);

			kdecode(e, level, va & ~(size - 1), &out->leaf);
			if (e & _PAGE_PRESENT) {
				out->stop = PTSCOPE_STOP_OK;
				out->pa = ((u64)out->leaf.pfn << PAGE_SHIFT) |
					  (va & (size - 1));
			} else {
				out->stop = PTSCOPE_STOP_NOT_PRESENT;
			}
			return 0;
		}
		if (!(e & _PAGE_PRESENT)) {
			out->stop = PTSCOPE_STOP_BAD;
			return 0;
		}
		if (!table_ok(e))	/* see table_ok(): never read it */
			return -EFAULT;
		up[depth] = tp + i;
		upv[depth++] = e;
		tp = table_of(e);
		level = child_level(level);
	}
}

/**
 * ptscope_ktranslate() - walk one kernel address down to its leaf
 * @mm:        the caller's own address space, pinned
 * @va:        kernel address
 * @levels:    PTSCOPE_NR_LEVELS slots for the steps, top level first
 * @nr_levels: number of steps filled in
 * @out:       outcome; vma_start/vma_end hold the address's region
 *
 * The kernel copy of the top level is read: the one the CPU walks in
 * kernel mode.  Interrupts are off during the walk, and each entry is
 * checked against a fresh read of every entry above it, as
 * ptscope_kwalk_chunk().
 *
 * Return: 0, -ESRCH if the mm has exited, -EBUSY if the tables kept
 * changing, -EFAULT if a table could not be read.
 */
int ptscope_ktranslate(struct mm_struct *mm, unsigned long va,
		       struct ptscope_xlate_level *levels, int *nr_levels,
		       struct ptscope_xlate *out)
{
	unsigned long flags;
	int ret, tries = 0;

	if (!mmget_not_zero(mm))
		return -ESRCH;
	do {
		memset(out, 0, sizeof(*out));
		out->hdr.type = PTSCOPE_REC_XLATE;
		out->hdr.size = sizeof(*out);
		out->va = va;
		local_irq_save(flags);
		ret = ktranslate_once(mm, va, levels, nr_levels, out);
		local_irq_restore(flags);
		if (ret == -EAGAIN)
			cond_resched();
	} while (ret == -EAGAIN && ++tries < 1000);
	mmput(mm);
	if (ret)
		*nr_levels = 0;
	return ret == -EAGAIN ? -EBUSY : ret;
}
