// SPDX-License-Identifier: GPL-2.0
/*
 * ptscope walker core: read-only walk of another process's page tables.
 *
 * What is held, and why (Documentation/design.rst has the whole argument):
 *  - the caller pins the mm_struct (mmgrab) for the life of a session;
 *  - every chunk takes mmget_not_zero() (the target may have exited),
 *    then mmap_read_lock_killable(), and walks only inside VMAs found
 *    under that lock: PGD, P4D, PUD and PMD tables inside a VMA are freed
 *    only under the mmap write lock (free_pgtables()), except shared
 *    hugetlb PMD tables, below;
 *  - a PTE table is read under its own lock (pte_lockptr()), taken after
 *    rcu_read_lock() and checked with pmd_same() against a fresh read of
 *    the PMD, as pte_offset_map_lock() does: since 6.6 khugepaged frees
 *    PTE tables by RCU without the mmap lock;
 *  - a huge PMD (THP, hugetlb, or a PMD swap/migration entry) is read again
 *    under pmd_lock(), a PUD leaf under pud_lock(), as
 *    __pmd_trans_huge_lock() and huge_pte_lock() do: the kernel changes them
 *    under those locks, through transient states (pmdp_invalidate())
 *    that are never visible to a reader holding the lock;
 *  - a hugetlb PMD table that may be shared with other processes is read
 *    entry by entry with interrupts off, as GUP-fast does: another sharer
 *    can unshare and free it under the mmap read lock, and the unsharer
 *    waits for interrupts-off readers (huge_pmd_unshare_flush());
 *  - entries read without their lock (upper levels) are read once
 *    (READ_ONCE) into a local copy, and the next level is found from that
 *    copy;
 *  - a chunk visits at most WALK_BUDGET PTE tables or huge leaves, then
 *    drops every lock, reschedules and checks for a fatal signal.
 *
 * Nothing here writes to a page table, a page or a VMA.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include "ptscope_features.h"

#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/swap.h>
#include <linux/swapops.h>
#ifdef PTSCOPE_HAVE_SOFTLEAF
#include <linux/leafops.h>
#endif
#include <linux/hugetlb.h>
#include <linux/shmem_fs.h>
#include <linux/userfaultfd_k.h>
#include <linux/dcache.h>
#include <linux/file.h>
#include <linux/rcupdate.h>
#include <linux/minmax.h>
#include <asm/pgtable.h>

#include "walk.h"

/* Tables (or large leaves) visited per chunk before the locks are dropped. */
#define WALK_BUDGET	64
#define WALK_YIELD	2

/**
 * ptscope_paging_levels() - paging levels the MMU uses now
 *
 * Return: 5 with LA57 enabled, else 4.
 */
int ptscope_paging_levels(void)
{
	return pgtable_l5_enabled() ? 5 : 4;
}

/**
 * ptscope_user_end() - end of the user address space
 *
 * Return: the first address above user space for the paging mode in use.
 */
unsigned long ptscope_user_end(void)
{
	return TASK_SIZE_MAX;
}

/**
 * ptscope_pgd_pa() - physical address of an mm's top-level table
 * @mm: the address space
 *
 * Return: what CR3 holds (without PCID bits) while @mm runs in the kernel.
 */
unsigned long ptscope_pgd_pa(struct mm_struct *mm)
{
	return __pa(mm->pgd);
}

/**
 * ptscope_user_pgd_pa() - physical address of the PTI user top level
 * @mm: the address space
 *
 * Return: the user-mode copy of the PGD with page-table isolation, or 0.
 */
unsigned long ptscope_user_pgd_pa(struct mm_struct *mm)
{
	if (!boot_cpu_has(X86_FEATURE_PTI))
		return 0;
	return __pa(mm->pgd) + PAGE_SIZE;
}

/* Hardware bits of any entry; bit 7 is PAT on a PTE and PS above. */
static u64 decode_hw(pteval_t v, int level)
{
	u64 f = 0;

	if (v & _PAGE_PRESENT)
		f |= PTSCOPE_F_PRESENT;
	if (v & _PAGE_RW)
		f |= PTSCOPE_F_RW;
	if (v & _PAGE_USER)
		f |= PTSCOPE_F_USER;
	if (v & _PAGE_PWT)
		f |= PTSCOPE_F_PWT;
	if (v & _PAGE_PCD)
		f |= PTSCOPE_F_PCD;
	if (v & _PAGE_ACCESSED)
		f |= PTSCOPE_F_ACCESSED;
	if (v & _PAGE_DIRTY)
		f |= PTSCOPE_F_DIRTY;
	if (level == PTSCOPE_LVL_PTE) {
		if (v & _PAGE_PAT)
			f |= PTSCOPE_F_PAT;
	} else {
		if (v & _PAGE_PSE)
			f |= PTSCOPE_F_PSE;
		if ((v & _PAGE_PSE) && (v & _PAGE_PAT_LARGE))
			f |= PTSCOPE_F_PAT;
	}
	/* With PRESENT clear, the GLOBAL bit means PROT_NONE. */
	if ((v & _PAGE_GLOBAL) && (v & _PAGE_PRESENT))
		f |= PTSCOPE_F_GLOBAL;
	if (v & _PAGE_NX)
		f |= PTSCOPE_F_NX;
	return f;
}

/* Map count of one frame, as /proc/kpagecount reports it. */
static u32 frame_mapcount(struct page *page)
{
#ifdef PTSCOPE_HAVE_PAGE_MAPCOUNT
	return max(page_mapcount(page), 0);
#else
	struct folio *folio = page_folio(page);
	int mc = atomic_read(&page->_mapcount) + 1;

	if (page_mapcount_is_type(mc))
		mc = 0;
	if (folio_test_large(folio))
		mc += folio_entire_mapcount(folio);
	return max(mc, 0);
#endif
}

/*
 * The huge zero page: huge_zero_pfn and huge_zero_folio are not exported,
 * so recognise it by what only it can be.  A PMD leaf in an anonymous VMA
 * maps an anonymous THP, or the huge zero page (do_huge_pmd_anonymous_page()
 * maps it read-only on a read fault); the huge zero folio is large, not
 * anonymous and has no mapping (it belongs to no file).  A page-cache THP
 * has a mapping and never sits in an anonymous VMA.
 */
static bool is_huge_zero(struct vm_area_struct *vma, struct folio *folio,
			 int level, u64 flags)
{
	return level == PTSCOPE_LVL_PMD && vma && vma_is_anonymous(vma) &&
	       !(flags & PTSCOPE_F_WRITE) && folio_test_large(folio) &&
	       !folio_test_anon(folio) && !READ_ONCE(folio->mapping);
}

/*
 * The folio @page belongs to, into @leaf.  The caller holds the lock of
 * the entry that maps @page: splitting a mapped folio first removes every
 * entry that maps it (unmap_folio(): try_to_migrate() for anonymous,
 * try_to_unmap() for file folios, each entry under its own lock), and
 * freeing one needs it unmapped, so while the entry is held the folio is
 * neither split nor freed, and head and order are one folio's.  Hugetlb
 * folios are never split while mapped.
 */
static u64 note_folio(struct folio *folio, struct ptscope_leaf *leaf)
{
	leaf->folio_pfn = folio_pfn(folio);
	leaf->folio_order = folio_order(folio);
	return PTSCOPE_F_FOLIO;
}

/*
 * The page of a frame, or NULL if it has none online.  @sub, if not NULL,
 * is the subsection of the last frame found online during one hold of a
 * PTE table's lock (ULONG_MAX at first): a frame in the same subsection
 * is online too, and pfn_to_online_page()'s section look-up is skipped.
 * While the lock is held, the frame found online stays mapped by its
 * entry, and offlining its memory would first have to migrate it, which
 * takes this lock: the subsection stays online and its memmap in place.
 */
static struct page *frame_page(u64 pfn, unsigned long *sub)
{
	struct page *page;

	if (sub && (pfn >> PFN_SUBSECTION_SHIFT) == *sub)
		return pfn_to_page(pfn);
	page = pfn_to_online_page(pfn);
	if (page && sub)
		*sub = pfn >> PFN_SUBSECTION_SHIFT;
	return page;
}

/*
 * What the frame behind a present entry is: PTSCOPE_F_* bits, its map
 * count in @leaf->mapcount and its folio.  The page is not pinned: the
 * memmap entry of an online frame always exists, and the values read are
 * a snapshot, exactly as pagemap's are.
 */
static u64 decode_frame(struct vm_area_struct *vma, u64 pfn, int level,
			u64 flags, struct ptscope_leaf *leaf, unsigned long *sub)
{
	struct folio *folio;
	struct page *page;
	u64 f;

	if (is_zero_pfn(pfn)) {
		leaf->folio_pfn = pfn;
		return PTSCOPE_F_ZERO_PAGE | PTSCOPE_F_FOLIO;
	}
	/*
	 * A special entry maps no page the kernel counts, except that 7.x
	 * marks the huge zero page's PMD special too: the only special PMD
	 * an anonymous VMA can hold (insert_pmd() serves only VMAs with a
	 * fault handler).  The huge zero folio put into a file VMA (a DAX
	 * hole) is not recognised.
	 */
	if ((flags & PTSCOPE_F_SPECIAL) &&
	    !(level == PTSCOPE_LVL_PMD && vma && vma_is_anonymous(vma)))
		return 0;
	if (flags & PTSCOPE_F_DEVMAP)
		return 0;
	page = frame_page(pfn, sub);
	if (!page)
		return 0;
	folio = page_folio(page);
	if (is_huge_zero(vma, folio, level, flags))
		return PTSCOPE_F_ZERO_PAGE | note_folio(folio, leaf);
	if (flags & PTSCOPE_F_SPECIAL)
		return 0;
	f = folio_test_anon(folio) ? PTSCOPE_F_ANON_PAGE : PTSCOPE_F_FILE_PAGE;
	leaf->mapcount = frame_mapcount(page);
	if (leaf->mapcount == 1)
		f |= PTSCOPE_F_EXCLUSIVE;
	return f | note_folio(folio, leaf);
}

/*
 * The userfaultfd bit of an entry (write-protect, and on 7.x also
 * read-write protect), present or not: renamed when RWP came.
 */
#ifdef PTSCOPE_HAVE_PTE_UFFD
#define entry_uffd(pte)		pte_uffd(pte)
#define swp_entry_uffd(pte)	pte_swp_uffd(pte)
#else
#define entry_uffd(pte)		pte_uffd_wp(pte)
#define swp_entry_uffd(pte)	pte_swp_uffd_wp(pte)
#endif

/* A userfaultfd read-write-protect trap (7.x), not a NUMA hint. */
static bool entry_rwp(struct vm_area_struct *vma, pte_t pte)
{
#ifdef PTSCOPE_HAVE_UFFD_RWP
	return userfaultfd_pte_rwp(vma, pte);
#else
	return false;
#endif
}

/* Software bits that a non-present entry keeps beside its type. */
static u64 decode_swp_bits(pte_t pte)
{
	u64 f = 0;

	if (pte_swp_soft_dirty(pte))
		f |= PTSCOPE_F_SOFT_DIRTY;
	if (swp_entry_uffd(pte))
		f |= PTSCOPE_F_UFFD_WP;
	if (pte_swp_exclusive(pte))
		f |= PTSCOPE_F_SWP_EXCLUSIVE;
	return f;
}

/*
 * A uffd-wp marker (an empty entry userfaultfd write-protects) carries
 * the uffd-wp flag, as pagemap reports it (PM_UFFD_WP).  The other kinds
 * get flags of their own, from this kernel's marker definitions: the
 * bits differ between kernels (6.1 has uffd-wp only; 6.2 added
 * PTE_MARKER_SWAPIN_ERROR, later folded into PTE_MARKER_POISONED; 6.13
 * added PTE_MARKER_GUARD), so user space must not decode them.
 */
static u64 marker_bits(unsigned long marker)
{
	u64 f = marker & PTE_MARKER_UFFD_WP ? PTSCOPE_F_UFFD_WP : 0;

#ifdef PTE_MARKER_POISONED
	if (marker & PTE_MARKER_POISONED)
		f |= PTSCOPE_F_MARKER_POISON;
#endif
#ifdef PTE_MARKER_SWAPIN_ERROR
	if (marker & PTE_MARKER_SWAPIN_ERROR)
		f |= PTSCOPE_F_MARKER_POISON;
#endif
#ifdef PTE_MARKER_GUARD
	if (marker & PTE_MARKER_GUARD)
		f |= PTSCOPE_F_MARKER_GUARD;
#endif
	return f;
}

#ifdef PTSCOPE_HAVE_SOFTLEAF
/* A non-present, non-empty entry: a software leaf (swap, migration...). */
static u64 decode_nonpresent(pte_t pte, struct ptscope_leaf *leaf)
{
	softleaf_t e = softleaf_from_pte(pte);
	u64 f = decode_swp_bits(pte);

	switch (softleaf_type(e)) {
	case SOFTLEAF_MARKER:
		leaf->swap_offset = softleaf_to_marker(e);
		return f | marker_bits(leaf->swap_offset) | PTSCOPE_F_MARKER;
	case SOFTLEAF_SWAP:
		leaf->swap_type = swp_type(e);
		leaf->swap_offset = swp_offset(e);
		return f | PTSCOPE_F_SWAP;
	case SOFTLEAF_MIGRATION_READ:
	case SOFTLEAF_MIGRATION_READ_EXCLUSIVE:
	case SOFTLEAF_MIGRATION_WRITE:
		f |= PTSCOPE_F_MIGRATION;
		break;
	case SOFTLEAF_DEVICE_PRIVATE_READ:
	case SOFTLEAF_DEVICE_PRIVATE_WRITE:
		f |= PTSCOPE_F_DEVICE_PRIVATE;
		break;
	case SOFTLEAF_DEVICE_EXCLUSIVE:
		f |= PTSCOPE_F_DEVICE_EXCL;
		break;
	case SOFTLEAF_HWPOISON:
		f |= PTSCOPE_F_HWPOISON;
		break;
	default:
		return f;
	}
	leaf->pfn = softleaf_to_pfn(e);
	return f | PTSCOPE_F_PFN_VALID;
}
#else
/* A non-present, non-empty entry: swap, migration, marker... */
static u64 decode_nonpresent(pte_t pte, struct ptscope_leaf *leaf)
{
	swp_entry_t e = pte_to_swp_entry(pte);
	u64 f = decode_swp_bits(pte);

	if (is_pte_marker_entry(e)) {
		leaf->swap_offset = pte_marker_get(e);
		return f | marker_bits(leaf->swap_offset) | PTSCOPE_F_MARKER;
	}
#ifdef SWP_SWAPIN_ERROR_NUM
	/* 6.1: a page that failed to swap in, not a marker yet; SIGBUS */
	if (is_swapin_error_entry(e))
		return f | PTSCOPE_F_MARKER_POISON;
#endif
	if (is_migration_entry(e))
		f |= PTSCOPE_F_MIGRATION;
	else if (is_device_private_entry(e))
		f |= PTSCOPE_F_DEVICE_PRIVATE;
	else if (is_device_exclusive_entry(e))
		f |= PTSCOPE_F_DEVICE_EXCL;
	else if (is_hwpoison_entry(e))
		f |= PTSCOPE_F_HWPOISON;

	if (is_pfn_swap_entry(e)) {
		leaf->pfn = swp_offset_pfn(e);
		f |= PTSCOPE_F_PFN_VALID;
	} else if (!non_swap_entry(e)) {
		f |= PTSCOPE_F_SWAP;
		leaf->swap_type = swp_type(e);
		leaf->swap_offset = swp_offset(e);
	}
	return f;
}
#endif

/*
 * The bits of a present entry, hardware and software, that the entry
 * alone decides (not the frame, not the VMA's NUMA hint).
 */
static u64 present_bits(pte_t pte, int level)
{
	u64 f = decode_hw(pte_val(pte), level) | PTSCOPE_F_PFN_VALID;

	if (pte_write(pte))
		f |= PTSCOPE_F_WRITE;
	/* Dirty or, since 6.6, SavedDirty (moved there by pte_wrprotect()). */
	if (pte_dirty(pte))
		f |= PTSCOPE_F_MODIFIED;
	if (pte_soft_dirty(pte))
		f |= PTSCOPE_F_SOFT_DIRTY;
	if (entry_uffd(pte))
		f |= PTSCOPE_F_UFFD_WP;
	if (pte_special(pte))
		f |= PTSCOPE_F_SPECIAL;
#ifdef PTSCOPE_HAVE_PTE_DEVMAP
	if (pte_devmap(pte))
		f |= PTSCOPE_F_DEVMAP;
#endif
	if (pte_protnone(pte))
		f |= PTSCOPE_F_PROTNONE;
	return f;
}

/**
 * ptscope_pte_bits() - what a present PTE's own bits say
 * @raw: the entry, present as the kernel reads it (PRESENT or PROTNONE)
 *
 * The compact stream's layout (compact.c) is derived from, and checked
 * against, this.
 *
 * Return: PTSCOPE_F_* bits, without the frame's facts and the NUMA hint.
 */
u64 ptscope_pte_bits(u64 raw)
{
	return present_bits(__pte(raw), PTSCOPE_LVL_PTE);
}

/* The frame number of a present entry (pmd_pfn() and pud_pfn() undo L1TF). */
static u64 present_pfn(u64 raw, int level)
{
	switch (level) {
	case PTSCOPE_LVL_PUD:
		return pud_pfn(__pud(raw));
	case PTSCOPE_LVL_PMD:
		return pmd_pfn(__pmd(raw));
	default:
		return pte_pfn(__pte(raw));
	}
}

/* A present entry: hardware and software bits, and the frame number. */
static u64 decode_present(struct vm_area_struct *vma, pte_t pte, int level,
			  struct ptscope_leaf *leaf, unsigned long *sub)
{
	u64 f = present_bits(pte, level);

	leaf->pfn = present_pfn(pte_val(pte), level);
	if (f & PTSCOPE_F_PROTNONE) {
		/*
		 * As handle_pte_fault() and __handle_mm_fault() decide: on
		 * 7.x a protnone entry with the uffd bit in a VM_UFFD_RWP
		 * VMA is a userfaultfd read-write-protect trap, not NUMA.
		 */
		if (vma && vma_is_accessible(vma) && !entry_rwp(vma, pte))
			f |= PTSCOPE_F_NUMA_HINT;
	}
#ifdef CONFIG_X86_INTEL_MEMORY_PROTECTION_KEYS
	leaf->pkey = pte_flags_pkey(pte_flags(pte));
#endif
	return f | decode_frame(vma, leaf->pfn, level, f, leaf, sub);
}

/*
 * Is a leaf entry present, as the kernel reads it?  A PTE is present with
 * PRESENT or PROTNONE (PROT_NONE, NUMA hint).  Above the PTE level the
 * kernel also counts PSE (pmd_present()): a huge PMD being changed by
 * pmdp_invalidate() keeps PSE while PRESENT is clear and its frame number
 * is inverted; swap and migration entries never have PSE.  The walker
 * reads huge entries under their lock and never sees that state, but a
 * leaf with PSE is never decoded as a swap entry.
 */
static bool leaf_present(u64 raw, int level)
{
	u64 bits = _PAGE_PRESENT | _PAGE_PROTNONE;

	if (level != PTSCOPE_LVL_PTE)
		bits |= _PAGE_PSE;
	return raw & bits;
}

/*
 * Decode one leaf into @leaf, every field written (it may be the output
 * buffer itself: no memset and no copy per entry).  On x86 an entry has
 * the same layout at every level (hugetlb relies on this too), so the
 * software bits are read with the PTE helpers; only the frame number
 * needs the level's own helper (pmd_pfn() and pud_pfn() undo the
 * inversion of a non-present frame number).
 */
static void decode_leaf(struct vm_area_struct *vma, u64 raw, int level,
			unsigned long va, struct ptscope_leaf *leaf,
			unsigned long *sub)
{
	pte_t pte = __pte(raw);

	BUILD_BUG_ON(sizeof(*leaf) != 72);	/* the ABI 3 record */
	leaf->hdr.type = PTSCOPE_REC_LEAF;
	leaf->hdr.size = sizeof(*leaf);
	leaf->hdr.reserved = 0;
	leaf->va = va;
	leaf->entry = raw;
	leaf->pfn = 0;
	leaf->swap_offset = 0;
	leaf->count = 1;
	leaf->folio_pfn = 0;
	leaf->mapcount = 0;
	leaf->level = level;
	leaf->pkey = 0;
	leaf->swap_type = 0;
	leaf->folio_order = 0;
	if (leaf_present(raw, level))
		leaf->flags = decode_present(vma, pte, level, leaf, sub);
	else
		leaf->flags = decode_nonpresent(pte, leaf);
}

/**
 * ptscope_swp_decode() - decode a non-present, non-empty PTE
 * @raw:  the entry
 * @leaf: its swap type and offset, marker or frame go here (only those
 *        fields are written)
 *
 * Return: PTSCOPE_F_* bits, as a walk reports them.
 */
u64 ptscope_swp_decode(u64 raw, struct ptscope_leaf *leaf)
{
	return decode_nonpresent(__pte(raw), leaf);
}

/**
 * ptscope_swp_bits() - the software bits a non-present PTE keeps
 * @raw: the entry
 *
 * Return: PTSCOPE_F_SOFT_DIRTY, _UFFD_WP, _SWP_EXCLUSIVE as set in @raw.
 */
u64 ptscope_swp_bits(u64 raw)
{
	return decode_swp_bits(__pte(raw));
}

/**
 * ptscope_marker_flags() - the flags a PTE marker's bits decode to
 * @marker: marker bits (swap_offset of a PTSCOPE_F_MARKER leaf)
 *
 * Return: PTSCOPE_F_UFFD_WP, _MARKER_POISON, _MARKER_GUARD.
 */
u64 ptscope_marker_flags(unsigned long marker)
{
	return marker_bits(marker);
}

/*
 * The facts word of a compact stream's entry (PTSCOPE_FACT_*): what the
 * frame behind a present PTE is, from decode_frame() under the same lock
 * a full walk decodes it under.  The zero page has none: a reader knows
 * it by zero_pfn.
 */
static u64 entry_facts(struct vm_area_struct *vma, pte_t pte,
		       unsigned long *sub)
{
	struct ptscope_leaf l;
	u64 pfn = pte_pfn(pte), bits = 0, f, facts;

	if (pte_special(pte))
		bits |= PTSCOPE_F_SPECIAL;
#ifdef PTSCOPE_HAVE_PTE_DEVMAP
	if (pte_devmap(pte))
		bits |= PTSCOPE_F_DEVMAP;
#endif
	l.mapcount = 0;
	l.folio_pfn = 0;
	l.folio_order = 0;
	f = decode_frame(vma, pfn, PTSCOPE_LVL_PTE, bits, &l, sub);
	if (f & PTSCOPE_F_ZERO_PAGE)
		return 0;
	facts = l.mapcount;
	if (f & PTSCOPE_F_ANON_PAGE)
		facts |= PTSCOPE_FACT_ANON;
	if (f & PTSCOPE_F_FILE_PAGE)
		facts |= PTSCOPE_FACT_FILE;
	if (f & PTSCOPE_F_EXCLUSIVE)
		facts |= PTSCOPE_FACT_EXCLUSIVE;
	if ((f & PTSCOPE_F_FOLIO) && l.folio_order <= PTSCOPE_FACT_ORDER_MASK &&
	    pfn - l.folio_pfn <= PTSCOPE_FACT_INDEX_MASK)
		facts |= PTSCOPE_FACT_FOLIO |
			 (pfn - l.folio_pfn) << PTSCOPE_FACT_INDEX_SHIFT |
			 (u64)l.folio_order << PTSCOPE_FACT_ORDER_SHIFT;
	return facts;
}

/**
 * ptscope_extends_run() - does a leaf continue a run, as ptdump merges?
 * @r: the run (a leaf with count >= 1)
 * @l: the next leaf (count 1)
 *
 * Equal level, flags and protection key, at the next address, with the
 * next frame (or swap slot), or the same marker bits.
 *
 * Return: true if @l can be merged into @r (@r->count++).
 */
bool ptscope_extends_run(const struct ptscope_leaf *r,
			 const struct ptscope_leaf *l)
{
	unsigned long size = 1UL << PTSCOPE_LEVEL_SHIFT(r->level);

	if (l->level != r->level || l->flags != r->flags ||
	    l->va != r->va + r->count * size || l->pkey != r->pkey)
		return false;
	if (r->flags & PTSCOPE_F_PFN_VALID)
		return l->pfn == r->pfn + r->count * (size >> PAGE_SHIFT);
	if (r->flags & PTSCOPE_F_SWAP)
		return l->swap_type == r->swap_type &&
		       l->swap_offset == r->swap_offset + r->count;
	return l->swap_offset == r->swap_offset;
}

static void note_table(struct ptscope_walk *w, int level, unsigned long pa)
{
	if (w->last_table[level] == pa)
		return;
	w->last_table[level] = pa;
	if (w->ops->table)
		w->ops->table(w, level, pa);
}

/*
 * Entries to skip from @p (at most @n) before one that is not zero.  A
 * sparse table is mostly empty: memchr_inv() steps over a run of empty
 * entries several times faster than a test per entry.  The skip is only a
 * hint; the entry found is then read once with READ_ONCE and tested as
 * usual.
 */
static unsigned long zero_run(const void *p, unsigned long n)
{
	const u8 *q = memchr_inv(p, 0, n * sizeof(u64));

	return q ? (q - (const u8 *)p) / sizeof(u64) : n;
}

/*
 * A hugetlb PMD table that other processes may share: a MAP_SHARED hugetlb
 * VMA of 2 MiB pages that covers the whole 1 GiB a PMD table maps
 * (want_pmd_share()).  A sharer can unshare such a table and free it while
 * we hold only this mm's mmap read lock; the hugetlb VMA lock that keeps
 * it is not exported.
 */
static bool hugetlb_pmd_maybe_shared(struct vm_area_struct *vma,
				     unsigned long addr)
{
	unsigned long base = addr & PUD_MASK;

	return is_vm_hugetlb_page(vma) && (vma->vm_flags & VM_MAYSHARE) &&
	       vma_kernel_pagesize(vma) == PMD_SIZE &&
	       base >= vma->vm_start && base + PUD_SIZE <= vma->vm_end;
}

/*
 * huge_pmd_unshare_flush() waits for interrupts-off readers on every CPU
 * only through tlb_remove_table_sync_one(), which is an empty function
 * without CONFIG_MMU_GATHER_RCU_TABLE_FREE (x86: !PARAVIRT).  There the
 * only IPIs are TLB flushes sent to the CPUs in the target mm's cpumask,
 * which a walker of another process's tables is not in.
 */
#if defined(PTSCOPE_HAVE_HUGE_PMD_UNSHARE_FLUSH) && \
	IS_ENABLED(CONFIG_MMU_GATHER_RCU_TABLE_FREE)
#define PTSCOPE_SHARED_PMD_READ_SAFE 1
#endif

#ifdef PTSCOPE_SHARED_PMD_READ_SAFE
/*
 * Read one entry of a hugetlb PMD table that may be shared, as GUP-fast
 * does: with interrupts off, from a fresh read of our own PUD entry.  The
 * process that unshares the table clears its PUD entry and then, before
 * the table can be reused or freed, huge_pmd_unshare_flush() waits for
 * every CPU to take an IPI, which this one does only after we are done.
 * The entry's lock is only tried: spinning on a page-table lock with
 * interrupts off could deadlock against a holder waiting for a TLB-flush
 * IPI, so on contention interrupts are let in and the PUD read again.
 * Returns the lock held (or NULL: no table), interrupts off either way;
 * shared_pmd_unlock() ends it.
 * Hugetlb changes a PMD through none (huge_ptep_get_and_clear()), never
 * through an invalid-but-PSE state, so one READ_ONCE() sees a real entry.
 */
static spinlock_t *shared_pmd_lock(struct mm_struct *mm, pud_t *pudp,
				   unsigned long addr, pud_t *pudv, pmd_t *pmdv,
				   unsigned long *flags)
{
	for (;;) {
		pud_t pud;
		pmd_t *pmdp;
		spinlock_t *ptl;	/* the lock hugetlb changes the entry under */

		local_irq_save(*flags);
		pud = READ_ONCE(*pudp);
		*pudv = pud;
		*pmdv = __pmd(0);
		if (!pud_present(pud) || pud_leaf(pud))
			return NULL;
		pmdp = pmd_offset(&pud, addr);
		/*
		 * The lock hugetlb changes the entry under (huge_pte_lockptr()),
		 * in the table's own ptdesc: only tried, never spun on, with
		 * interrupts off.  Held, it keeps the folio mapped, so neither
		 * freed nor split while it is decoded.
		 */
		ptl = pmd_lockptr(mm, pmdp);
		if (spin_trylock(ptl)) {
			*pmdv = READ_ONCE(*pmdp);
			return ptl;
		}
		local_irq_restore(*flags);
		cpu_relax();
	}
}

static void shared_pmd_unlock(spinlock_t *ptl, unsigned long flags)
{
	if (ptl)
		spin_unlock(ptl);
	local_irq_restore(flags);
}

/* Report the entries of a PMD table that may be shared, one at a time. */
static int walk_shared_pmds(struct ptscope_walk *w, struct vm_area_struct *vma,
			    pud_t *pudp, unsigned long addr, unsigned long end,
			    int *budget)
{
	unsigned long next;

	do {
		struct ptscope_leaf *leaf = w->ops->leaves_get(w, 1);
		unsigned long flags;
		spinlock_t *ptl;	/* held while the entry is decoded */
		pud_t pud;
		pmd_t pmd;

		next = pmd_addr_end(addr, end);
		if (!leaf) {
			w->addr = addr;
			return PTSCOPE_WALK_FULL;
		}
		ptl = shared_pmd_lock(w->mm, pudp, addr, &pud, &pmd, &flags);
		if (!pmd_none(pmd))
			decode_leaf(vma, pmd_val(pmd), PTSCOPE_LVL_PMD,
				    addr & PMD_MASK, leaf, NULL);
		shared_pmd_unlock(ptl, flags);
		if (pmd_none(pmd))
			continue;
		w->ops->leaves(w, leaf, 1);
		if (--(*budget) <= 0 && next != end) {
			w->addr = next;
			return WALK_YIELD;
		}
	} while (addr = next, addr != end);
	return 0;
}
#else
/*
 * Without huge_pmd_unshare_flush() nothing makes an interrupts-off reader
 * safe against a table being unshared and freed: refuse, rather than read
 * memory that may no longer be a page table.
 */
static int walk_shared_pmds(struct ptscope_walk *w, struct vm_area_struct *vma,
			    pud_t *pudp, unsigned long addr, unsigned long end,
			    int *budget)
{
	return -EOPNOTSUPP;
}
#endif

/*
 * Report a huge PMD entry (a THP or hugetlb leaf, or a PMD swap or
 * migration entry) read under pmd_lock(), the lock the kernel changes it
 * under.  -EAGAIN if it is not one any more (split, zapped): read again.
 */
static int walk_huge_pmd(struct ptscope_walk *w, struct vm_area_struct *vma,
			 pmd_t *pmdp, unsigned long addr)
{
	struct ptscope_leaf *leaf = w->ops->leaves_get(w, 1);
	spinlock_t *ptl;	/* the lock the kernel changes the entry under */
	pmd_t pmd;

	if (!leaf) {
		w->addr = addr;
		return PTSCOPE_WALK_FULL;
	}
	ptl = pmd_lock(w->mm, pmdp);
	pmd = READ_ONCE(*pmdp);
	if (pmd_none(pmd) || (pmd_present(pmd) && !pmd_leaf(pmd))) {
		spin_unlock(ptl);
		return -EAGAIN;
	}
	/*
	 * Decode under the lock: the frame stays mapped (and the folio
	 * neither freed nor split) only while the entry cannot change.
	 */
	decode_leaf(vma, pmd_val(pmd), PTSCOPE_LVL_PMD, addr & PMD_MASK, leaf,
		    NULL);
	spin_unlock(ptl);
	w->ops->leaves(w, leaf, 1);
	return 0;
}

/*
 * The lock of the PTE table @pmd (our copy of *@pmdp) points at, taken;
 * NULL if *@pmdp no longer points at it (read the PMD entry again).
 * rcu_read_lock() (held by the caller) keeps the table and its lock from
 * being freed, and the PMD entry read again under the lock proves the
 * table is still this PMD's (pte_offset_map_lock() does the same).
 */
static spinlock_t *pte_table_lock(struct mm_struct *mm, pmd_t *pmdp, pmd_t pmd)
{
	spinlock_t *ptl = pte_lockptr(mm, &pmd);

	spin_lock(ptl);
	if (pmd_same(pmd, READ_ONCE(*pmdp)))
		return ptl;
	spin_unlock(ptl);
	return NULL;
}

/*
 * Report a PTE table's entries in [addr, end): all of them, read under the
 * table's lock (pte_table_lock()).  -EAGAIN if the table is not this
 * PMD's any more: the PMD entry is read again.
 */
static int walk_pte_table(struct ptscope_walk *w, struct vm_area_struct *vma,
			  pmd_t *pmdp, pmd_t pmd, unsigned long addr,
			  unsigned long end)
{
	struct ptscope_leaf *leaves;
	unsigned int n = 0;
	unsigned long sub = ULONG_MAX;	/* frame_page()'s, for this lock hold */
	spinlock_t *ptl;	/* the lock the kernel changes the entry under */
	pte_t *ptep;

	leaves = w->ops->leaves_get(w, (end - addr) >> PAGE_SHIFT);
	if (!leaves) {
		w->addr = addr;
		return PTSCOPE_WALK_FULL;
	}
	ptl = pte_table_lock(w->mm, pmdp, pmd);
	if (!ptl)
		return -EAGAIN;
	ptep = pte_offset_kernel(&pmd, addr);
	while (addr != end) {
		pte_t pte = ptep_get(ptep);
		unsigned long skip;

		if (!pte_none(pte)) {
			decode_leaf(vma, pte_val(pte), PTSCOPE_LVL_PTE, addr,
				    &leaves[n], &sub);
			if (w->merge && n &&
			    ptscope_extends_run(&leaves[n - 1], &leaves[n]))
				leaves[n - 1].count++;
			else
				n++;
			addr += PAGE_SIZE;
			ptep++;
			continue;
		}
		skip = 1 + zero_run(ptep + 1, ((end - addr) >> PAGE_SHIFT) - 1);
		addr += skip << PAGE_SHIFT;
		ptep += skip;
	}
	spin_unlock(ptl);
	note_table(w, PTSCOPE_LVL_PTE, pmd_pfn(pmd) << PAGE_SHIFT);
	w->ops->leaves(w, leaves, n);
	return 0;
}

/*
 * A compact walk's PTE table: its raw entries in [addr, end), copied under
 * the table's lock (each read once) into the space @ops->ptes_get() gives,
 * with a facts word after each when asked.  The same lock and pmd_same()
 * check as walk_pte_table(); -EAGAIN if the table is not this PMD's.
 */
static int walk_pte_raw(struct ptscope_walk *w, struct vm_area_struct *vma,
			pmd_t *pmdp, pmd_t pmd, unsigned long addr,
			unsigned long end)
{
	unsigned int n = (end - addr) >> PAGE_SHIFT, i;
	unsigned int stride = w->facts ? 2 : 1;
	unsigned long sub = ULONG_MAX;	/* frame_page()'s, for this lock hold */
	spinlock_t *ptl;	/* the lock the kernel changes the entry under */
	pte_t *ptep;
	u64 *e;

	e = w->ops->ptes_get(w, n);
	if (!e) {
		w->addr = addr;
		return PTSCOPE_WALK_FULL;
	}
	ptl = pte_table_lock(w->mm, pmdp, pmd);
	if (!ptl)
		return -EAGAIN;
	ptep = pte_offset_kernel(&pmd, addr);
	for (i = 0; i < n; i++) {
		pte_t pte = ptep_get(ptep + i);

		e[i * stride] = pte_val(pte);
		if (stride == 2)
			e[i * 2 + 1] = pte_present(pte) ?
				       entry_facts(vma, pte, &sub) : 0;
	}
	spin_unlock(ptl);
	note_table(w, PTSCOPE_LVL_PTE, pmd_pfn(pmd) << PAGE_SHIFT);
	w->ops->ptes(w, vma, addr, e, n);
	return 0;
}

static int walk_pmd_range(struct ptscope_walk *w, struct vm_area_struct *vma,
			  pud_t pud, unsigned long addr, unsigned long end,
			  int *budget)
{
	pmd_t *pmdp = pmd_offset(&pud, addr);
	unsigned long next;
	int ret;

	do {
		pmd_t pmd;

		next = pmd_addr_end(addr, end);
again:
		pmd = READ_ONCE(*pmdp);
		if (pmd_none(pmd)) {
			/* Jump over the empty entries that follow, if any. */
			unsigned long left = next == end ? 0 :
					     ((end - next - 1) >> PMD_SHIFT) + 1;
			unsigned long skip = zero_run(pmdp + 1, left);

			if (skip) {
				pmdp += skip;
				next = min(next + (skip << PMD_SHIFT), end);
			}
			continue;
		}
		/* pmd_present() is true for a huge PMD being invalidated. */
		if (!pmd_present(pmd) || pmd_leaf(pmd))
			ret = walk_huge_pmd(w, vma, pmdp, addr);
		else if (pmd_bad(pmd))
			continue;
		else if (w->compact)
			ret = walk_pte_raw(w, vma, pmdp, pmd, addr, next);
		else
			ret = walk_pte_table(w, vma, pmdp, pmd, addr, next);
		if (ret == -EAGAIN)
			goto again;
		if (ret)
			return ret;
		if (--(*budget) <= 0 && next != end) {
			w->addr = next;
			return WALK_YIELD;
		}
	} while (pmdp++, addr = next, addr != end);
	return 0;
}

/* A PUD leaf (1 GiB hugetlb page) under pud_lock(), as huge_pte_lock(). */
static int walk_huge_pud(struct ptscope_walk *w, struct vm_area_struct *vma,
			 pud_t *pudp, unsigned long addr)
{
	struct ptscope_leaf *leaf = w->ops->leaves_get(w, 1);
	spinlock_t *ptl;	/* the lock the kernel changes the entry under */
	pud_t pud;

	if (!leaf) {
		w->addr = addr;
		return PTSCOPE_WALK_FULL;
	}
	ptl = pud_lock(w->mm, pudp);
	pud = READ_ONCE(*pudp);
	if (pud_none(pud) || (pud_present(pud) && !pud_leaf(pud))) {
		spin_unlock(ptl);
		return -EAGAIN;
	}
	decode_leaf(vma, pud_val(pud), PTSCOPE_LVL_PUD, addr & PUD_MASK, leaf,
		    NULL);
	spin_unlock(ptl);
	w->ops->leaves(w, leaf, 1);
	return 0;
}

static int walk_pud_range(struct ptscope_walk *w, struct vm_area_struct *vma,
			  p4d_t p4d, unsigned long addr, unsigned long end,
			  int *budget)
{
	pud_t *pudp = pud_offset(&p4d, addr);
	unsigned long next;
	int ret;

	do {
		pud_t pud;

		next = pud_addr_end(addr, end);
again:
		pud = READ_ONCE(*pudp);
		if (pud_none(pud))
			continue;
		if (!pud_present(pud) || pud_leaf(pud)) {
			ret = walk_huge_pud(w, vma, pudp, addr);
			if (ret == -EAGAIN)
				goto again;
			if (ret)
				return ret;
			if (--(*budget) <= 0 && next != end) {
				w->addr = next;
				return WALK_YIELD;
			}
			continue;
		}
		if (pud_bad(pud))
			continue;
		note_table(w, PTSCOPE_LVL_PMD, pud_pfn(pud) << PAGE_SHIFT);
		if (hugetlb_pmd_maybe_shared(vma, addr))
			ret = walk_shared_pmds(w, vma, pudp, addr, next, budget);
		else
			ret = walk_pmd_range(w, vma, pud, addr, next, budget);
		if (ret)
			return ret;
		if (*budget <= 0 && next != end) {
			w->addr = next;
			return WALK_YIELD;
		}
	} while (pudp++, addr = next, addr != end);
	return 0;
}

static int walk_range(struct ptscope_walk *w, struct vm_area_struct *vma,
		      unsigned long addr, unsigned long end, int *budget)
{
	pgd_t *pgdp = pgd_offset(w->mm, addr);
	unsigned long next;
	int ret;

	do {
		pgd_t pgd = READ_ONCE(*pgdp);
		p4d_t *p4dp;
		unsigned long p4d_next, a;

		next = pgd_addr_end(addr, end);
		if (pgd_none(pgd) || pgd_bad(pgd))
			continue;
		if (pgtable_l5_enabled())
			note_table(w, PTSCOPE_LVL_P4D, pgd_pfn(pgd) << PAGE_SHIFT);
		/* With 4 levels, p4d_offset() folds onto our copy of the PGD. */
		p4dp = p4d_offset(&pgd, addr);
		a = addr;
		do {
			p4d_t p4d = READ_ONCE(*p4dp);

			p4d_next = p4d_addr_end(a, next);
			if (p4d_none(p4d) || p4d_bad(p4d))
				continue;
			note_table(w, PTSCOPE_LVL_PUD, p4d_pfn(p4d) << PAGE_SHIFT);
			ret = walk_pud_range(w, vma, p4d, a, p4d_next, budget);
			if (ret)
				return ret;
		} while (p4dp++, a = p4d_next, a != next);
	} while (pgdp++, addr = next, addr != end);
	return 0;
}

/**
 * ptscope_walk_init() - prepare a resumable walk
 * @w:     walk state to fill
 * @mm:    target address space, pinned with mmgrab() by the caller
 * @start: first address
 * @end:   end of the range (exclusive)
 * @ops:   callbacks
 * @priv:  callbacks' private data
 */
void ptscope_walk_init(struct ptscope_walk *w, struct mm_struct *mm,
		       unsigned long start, unsigned long end,
		       const struct ptscope_walk_ops *ops, void *priv)
{
	int i;

	memset(w, 0, sizeof(*w));
	w->mm = mm;
	w->ops = ops;
	w->priv = priv;
	w->addr = start;
	w->end = end;
	w->vma_start = ULONG_MAX;
	for (i = 0; i < PTSCOPE_NR_LEVELS; i++)
		w->last_table[i] = ULONG_MAX;
}

static int walk_vmas(struct ptscope_walk *w)
{
	int budget = WALK_BUDGET;
	int ret;

	while (w->addr < w->end) {
		struct vm_area_struct *vma = find_vma(w->mm, w->addr);
		unsigned long end;

		if (!vma || vma->vm_start >= w->end)
			break;
		if (w->addr < vma->vm_start)
			w->addr = vma->vm_start;
		if (vma->vm_start != w->vma_start || vma->vm_end != w->vma_end) {
			if (w->ops->vma) {
				ret = w->ops->vma(w, vma);
				if (ret)
					return ret;
			}
			w->vma_start = vma->vm_start;
			w->vma_end = vma->vm_end;
		}
		end = min(vma->vm_end, w->end);
		ret = walk_range(w, vma, w->addr, end, &budget);
		if (ret)
			return ret;
		w->addr = end;
		if (budget <= 0)
			return WALK_YIELD;
	}
	w->addr = w->end;
	w->done = true;
	return 0;
}

/**
 * ptscope_walk_chunk() - walk one bounded chunk under the mmap lock
 * @w: walk state from ptscope_walk_init()
 *
 * Takes a reference on the address space and its mmap lock, reports
 * entries from @w->addr on until a callback says it is full, the budget
 * of one chunk is used, or the range ends (then @w->done is set).  The
 * locks are dropped before returning.
 *
 * Context: process context; may sleep.
 * Return: 0, -ESRCH if the target has exited, -EINTR on a fatal signal.
 */
int ptscope_walk_chunk(struct ptscope_walk *w)
{
	struct mm_struct *mm = w->mm;
	int ret;

	if (w->done)
		return 0;
	if (fatal_signal_pending(current))
		return -EINTR;
	if (!mmget_not_zero(mm))
		return -ESRCH;
	ret = mmap_read_lock_killable(mm);
	if (ret)
		goto out_put;
	rcu_read_lock();
	ret = walk_vmas(w);
	rcu_read_unlock();
	mmap_read_unlock(mm);
out_put:
	mmput(mm);
	cond_resched();
	return ret < 0 ? ret : 0;
}

/*
 * One step of a translation.  Hardware bit names are given only to a
 * present entry: in a non-present one the same bits hold a swap type and
 * offset, a marker or the inverted frame of a PROT_NONE entry.
 */
static int xlate_step(struct ptscope_xlate_level *lv, int level,
		      unsigned long table_pa, unsigned int index, u64 entry,
		      bool folded)
{
	bool leaf = level != PTSCOPE_LVL_PGD && level != PTSCOPE_LVL_P4D &&
		    (level == PTSCOPE_LVL_PTE || (entry & _PAGE_PSE));

	memset(lv, 0, sizeof(*lv));
	lv->hdr.type = PTSCOPE_REC_LEVEL;
	lv->hdr.size = sizeof(*lv);
	lv->level = level;
	lv->index = index;
	lv->table_pa = table_pa;
	lv->entry_pa = table_pa + index * sizeof(u64);
	lv->entry = entry;
	if (leaf ? leaf_present(entry, level) : (entry & _PAGE_PRESENT))
		lv->flags = decode_hw(entry, level);
	lv->folded = folded;
	return 1;
}

static void xlate_stop(struct ptscope_xlate *out, int level, u32 why)
{
	out->stop = why;
	out->stop_level = level;
}

/* The outcome of a walk that ended at a leaf (present or not). */
static void xlate_leaf(struct vm_area_struct *vma, struct ptscope_xlate *out,
		       u64 raw, int level, unsigned long va)
{
	unsigned long size = 1UL << PTSCOPE_LEVEL_SHIFT(level);
	struct ptscope_leaf *leaf = &out->leaf;
	u64 f;

	decode_leaf(vma, raw, level, va & ~(size - 1), leaf, NULL);
	f = leaf->flags;
	out->stop_level = level;
	if (leaf_present(raw, level)) {
		out->stop = PTSCOPE_STOP_OK;
		out->pa = ((u64)leaf->pfn << PAGE_SHIFT) | (va & (size - 1));
	} else if (f & PTSCOPE_F_SWAP) {
		out->stop = PTSCOPE_STOP_SWAP;
	} else if (f & PTSCOPE_F_MIGRATION) {
		out->stop = PTSCOPE_STOP_MIGRATION;
	} else if (f & PTSCOPE_F_MARKER) {
		out->stop = PTSCOPE_STOP_MARKER;
	} else if (f & (PTSCOPE_F_DEVICE_PRIVATE | PTSCOPE_F_DEVICE_EXCL)) {
		out->stop = PTSCOPE_STOP_DEVICE;
	} else if (f & PTSCOPE_F_HWPOISON) {
		out->stop = PTSCOPE_STOP_HWPOISON;
	} else {
		out->stop = PTSCOPE_STOP_NOT_PRESENT;
	}
}

/*
 * The top-level step.  With page-table isolation the CPU runs user mode on
 * the user copy of the PGD (the page after mm->pgd); report that one, and
 * the kernel copy beside it.  Both point to the same lower tables.
 */
static pgd_t xlate_pgd(struct mm_struct *mm, unsigned long va,
		       struct ptscope_xlate_level *lv)
{
	pgd_t *pgdp = pgd_offset(mm, va);
	pgd_t pgd = READ_ONCE(*pgdp);

	xlate_step(lv, PTSCOPE_LVL_PGD, __pa(mm->pgd), pgd_index(va),
		   pgd_val(pgd), false);
#ifdef PTSCOPE_HAVE_PTI_USER_PGD
	if (boot_cpu_has(X86_FEATURE_PTI)) {
		pgd_t upgd = READ_ONCE(*kernel_to_user_pgdp(pgdp));

		lv->kernel_entry = pgd_val(pgd);
		lv->xflags |= PTSCOPE_XLATE_PTI_USER;
		lv->entry = pgd_val(upgd);
		lv->table_pa = __pa(mm->pgd) + PAGE_SIZE;
		lv->entry_pa = lv->table_pa + lv->index * sizeof(u64);
		lv->flags = lv->entry & _PAGE_PRESENT ?
			    decode_hw(lv->entry, PTSCOPE_LVL_PGD) : 0;
		pgd = upgd;
	}
#endif
	return pgd;
}

/*
 * Walk one address down to its leaf, reading each level the way the walk
 * does: huge entries under their lock, a PTE under its table's lock with
 * the PMD re-checked, a possibly shared hugetlb PMD with interrupts off.
 * Return: -EAGAIN if a table changed under us (start again), else 0.
 */
static int xlate_walk(struct mm_struct *mm, struct vm_area_struct *vma,
		      unsigned long va, struct ptscope_xlate_level *lv,
		      int *n, struct ptscope_xlate *out)
{
	bool l5 = pgtable_l5_enabled();
	pud_t *pudp;
	pmd_t *pmdp;
	spinlock_t *ptl;	/* the lock the kernel changes the entry under */
	spinlock_t *held = NULL;	/* held while the leaf is decoded */
	pgd_t pgd;
	p4d_t p4d;
	pud_t pud;
	pmd_t pmd;
	pte_t pte;

	*n = 0;
	pgd = xlate_pgd(mm, va, &lv[(*n)++]);
	if (l5) {
		if (pgd_none(pgd)) {
			xlate_stop(out, PTSCOPE_LVL_PGD, PTSCOPE_STOP_EMPTY);
			return 0;
		}
		if (pgd_bad(pgd)) {
			xlate_stop(out, PTSCOPE_LVL_PGD, PTSCOPE_STOP_BAD);
			return 0;
		}
		p4d = READ_ONCE(*p4d_offset(&pgd, va));
		*n += xlate_step(&lv[*n], PTSCOPE_LVL_P4D,
				 pgd_pfn(pgd) << PAGE_SHIFT, p4d_index(va),
				 p4d_val(p4d), false);
	} else {
		/* Folded: the PGD entry is the P4D entry. */
		p4d = READ_ONCE(*p4d_offset(&pgd, va));
		*n += xlate_step(&lv[*n], PTSCOPE_LVL_P4D, lv[0].table_pa,
				 pgd_index(va), p4d_val(p4d), true);
		lv[*n - 1].flags = lv[0].flags;
	}
	if (p4d_none(p4d)) {
		xlate_stop(out, l5 ? PTSCOPE_LVL_P4D : PTSCOPE_LVL_PGD,
			   PTSCOPE_STOP_EMPTY);
		return 0;
	}
	if (p4d_bad(p4d)) {
		xlate_stop(out, PTSCOPE_LVL_P4D, PTSCOPE_STOP_BAD);
		return 0;
	}

	pudp = pud_offset(&p4d, va);
	pud = READ_ONCE(*pudp);
	if (!pud_none(pud) && (!pud_present(pud) || pud_leaf(pud))) {
		ptl = pud_lock(mm, pudp);
		pud = READ_ONCE(*pudp);
		if (pud_present(pud) && !pud_leaf(pud)) {
			spin_unlock(ptl);
			return -EAGAIN;
		}
		held = ptl;
	}
	*n += xlate_step(&lv[*n], PTSCOPE_LVL_PUD, p4d_pfn(p4d) << PAGE_SHIFT,
			 pud_index(va), pud_val(pud), false);
	if (pud_none(pud)) {
		xlate_stop(out, PTSCOPE_LVL_PUD, PTSCOPE_STOP_EMPTY);
		goto out;
	}
	if (!pud_present(pud) || pud_leaf(pud)) {
		xlate_leaf(vma, out, pud_val(pud), PTSCOPE_LVL_PUD, va);
		goto out;
	}
	if (pud_bad(pud)) {
		xlate_stop(out, PTSCOPE_LVL_PUD, PTSCOPE_STOP_BAD);
		return 0;
	}

	pmdp = pmd_offset(&pud, va);
	if (hugetlb_pmd_maybe_shared(vma, va)) {
#ifdef PTSCOPE_SHARED_PMD_READ_SAFE
		unsigned long flags;
		spinlock_t *sptl;	/* held while the entry is decoded */
		pud_t pud2;

		/* The PMD entry must come from the table the PUD step shows. */
		sptl = shared_pmd_lock(mm, pudp, va, &pud2, &pmd, &flags);
		if (!pud_same(pud2, pud)) {
			shared_pmd_unlock(sptl, flags);
			return -EAGAIN;
		}
		*n += xlate_step(&lv[*n], PTSCOPE_LVL_PMD,
				 pud_pfn(pud) << PAGE_SHIFT, pmd_index(va),
				 pmd_val(pmd), false);
		if (pmd_none(pmd))
			xlate_stop(out, PTSCOPE_LVL_PMD, PTSCOPE_STOP_EMPTY);
		else
			xlate_leaf(vma, out, pmd_val(pmd), PTSCOPE_LVL_PMD, va);
		shared_pmd_unlock(sptl, flags);
		return 0;
#else
		return -EOPNOTSUPP;
#endif
	} else {
		pmd = READ_ONCE(*pmdp);
		if (!pmd_none(pmd) && (!pmd_present(pmd) || pmd_leaf(pmd))) {
			ptl = pmd_lock(mm, pmdp);
			pmd = READ_ONCE(*pmdp);
			if (pmd_present(pmd) && !pmd_leaf(pmd)) {
				spin_unlock(ptl);
				return -EAGAIN;
			}
			held = ptl;
		}
	}
	*n += xlate_step(&lv[*n], PTSCOPE_LVL_PMD, pud_pfn(pud) << PAGE_SHIFT,
			 pmd_index(va), pmd_val(pmd), false);
	if (pmd_none(pmd)) {
		xlate_stop(out, PTSCOPE_LVL_PMD, PTSCOPE_STOP_EMPTY);
		goto out;
	}
	if (!pmd_present(pmd) || pmd_leaf(pmd)) {
		xlate_leaf(vma, out, pmd_val(pmd), PTSCOPE_LVL_PMD, va);
		goto out;
	}
	if (pmd_bad(pmd)) {
		xlate_stop(out, PTSCOPE_LVL_PMD, PTSCOPE_STOP_BAD);
		return 0;
	}

	ptl = pte_lockptr(mm, &pmd);
	spin_lock(ptl);
	if (!pmd_same(pmd, READ_ONCE(*pmdp))) {
		spin_unlock(ptl);
		return -EAGAIN;
	}
	held = ptl;
	pte = ptep_get(pte_offset_kernel(&pmd, va));
	*n += xlate_step(&lv[*n], PTSCOPE_LVL_PTE, pmd_pfn(pmd) << PAGE_SHIFT,
			 pte_index(va), pte_val(pte), false);
	if (pte_none(pte))
		xlate_stop(out, PTSCOPE_LVL_PTE, PTSCOPE_STOP_EMPTY);
	else
		xlate_leaf(vma, out, pte_val(pte), PTSCOPE_LVL_PTE, va);
out:
	/* The leaf's frame was decoded while its entry could not change. */
	if (held)
		spin_unlock(held);
	return 0;
}

/**
 * ptscope_translate() - walk one address from the top-level table down
 * @mm:        target address space, pinned by the caller
 * @va:        user virtual address
 * @levels:    PTSCOPE_NR_LEVELS slots for the steps, top level first
 * @nr_levels: number of steps filled in
 * @out:       outcome: physical address, or where and why the walk stopped
 *
 * Outside every VMA no table is read (there the tables may be freed under
 * the mmap read lock): the outcome is PTSCOPE_STOP_NO_VMA with no step.
 *
 * Context: process context; takes and drops the mmap lock.
 * Return: 0 (the outcome is in @out), -ESRCH if the target has exited,
 * -EINTR on a fatal signal, -EOPNOTSUPP for a shared hugetlb table on a
 * kernel that gives no safe way to read it.
 */
int ptscope_translate(struct mm_struct *mm, unsigned long va,
		      struct ptscope_xlate_level *levels, int *nr_levels,
		      struct ptscope_xlate *out)
{
	struct vm_area_struct *vma;
	int ret;

	memset(out, 0, sizeof(*out));
	out->hdr.type = PTSCOPE_REC_XLATE;
	out->hdr.size = sizeof(*out);
	out->va = va;
	*nr_levels = 0;

	if (!mmget_not_zero(mm))
		return -ESRCH;
	ret = mmap_read_lock_killable(mm);
	if (ret)
		goto out_put;
	vma = find_vma(mm, va);
	if (!vma || va < vma->vm_start) {
		xlate_stop(out, PTSCOPE_LVL_PGD, PTSCOPE_STOP_NO_VMA);
	} else {
		out->vma_start = vma->vm_start;
		out->vma_end = vma->vm_end;
		rcu_read_lock();
		do {
			ret = xlate_walk(mm, vma, va, levels, nr_levels, out);
		} while (ret == -EAGAIN);
		rcu_read_unlock();
		if (ret)
			*nr_levels = 0;
	}
	mmap_read_unlock(mm);
out_put:
	mmput(mm);
	return ret;
}

static void vma_name(struct vm_area_struct *vma, struct ptscope_vma *rec)
{
	char *p;

	p = d_path(&vma->vm_file->f_path, rec->name, sizeof(rec->name));
	if (IS_ERR(p)) {
		strscpy(rec->name, vma->vm_file->f_path.dentry->d_name.name,
			sizeof(rec->name));
		rec->flags |= PTSCOPE_VMA_NAME_TRUNC;
		return;
	}
	memmove(rec->name, p, strlen(p) + 1);
}

/**
 * ptscope_vma_describe() - fill a VMA record
 * @vma: the VMA, with the mmap lock held
 * @rec: record to fill
 *
 * Context: mmap lock held; does not sleep.
 */
void ptscope_vma_describe(struct vm_area_struct *vma, struct ptscope_vma *rec)
{
	struct mm_struct *mm = vma->vm_mm;
	unsigned long fl = vma->vm_flags;

	memset(rec, 0, sizeof(*rec));
	rec->hdr.type = PTSCOPE_REC_VMA;
	rec->hdr.size = sizeof(*rec);
	rec->start = vma->vm_start;
	rec->end = vma->vm_end;
	rec->pgoff = vma->vm_pgoff;
	rec->pagesize = vma_kernel_pagesize(vma);
	if (fl & VM_READ)
		rec->flags |= PTSCOPE_VMA_READ;
	if (fl & VM_WRITE)
		rec->flags |= PTSCOPE_VMA_WRITE;
	if (fl & VM_EXEC)
		rec->flags |= PTSCOPE_VMA_EXEC;
	if (fl & VM_MAYSHARE)
		rec->flags |= PTSCOPE_VMA_SHARED;
	if (VM_SOFTDIRTY && (fl & VM_SOFTDIRTY))
		rec->flags |= PTSCOPE_VMA_SOFTDIRTY;
	if (fl & VM_HUGEPAGE)
		rec->flags |= PTSCOPE_VMA_HUGEPAGE;
	if (fl & VM_NOHUGEPAGE)
		rec->flags |= PTSCOPE_VMA_NOHUGEPAGE;
	if (fl & VM_LOCKED)
		rec->flags |= PTSCOPE_VMA_LOCKED;
	if (userfaultfd_armed(vma))
		rec->flags |= PTSCOPE_VMA_UFFD;

	if (vma->vm_file)
		rec->ino = file_inode(vma->vm_file)->i_ino;

	if (is_vm_hugetlb_page(vma)) {
		rec->backing = PTSCOPE_BACK_HUGETLB;
		if (vma->vm_file)
			vma_name(vma, rec);
	} else if (!vma->vm_file && vma->vm_ops && vma->vm_ops->name) {
		/*
		 * Before the VM_PFNMAP test: [vvar] and [vvar_vclock] are
		 * special mappings with VM_PFNMAP | VM_IO set.
		 */
		const char *name = vma->vm_ops->name(vma);

		rec->backing = PTSCOPE_BACK_SPECIAL;
		if (name) {
			strscpy(rec->name, name, sizeof(rec->name));
			if (!strcmp(name, "[vdso]"))
				rec->backing = PTSCOPE_BACK_VDSO;
			else if (!strncmp(name, "[vvar", 5))
				rec->backing = PTSCOPE_BACK_VVAR;
		}
	} else if (fl & (VM_PFNMAP | VM_IO)) {
		rec->backing = PTSCOPE_BACK_PFNMAP;
		if (vma->vm_file)
			vma_name(vma, rec);
	} else if (vma->vm_file) {
		rec->backing = shmem_mapping(vma->vm_file->f_mapping) ?
			       PTSCOPE_BACK_SHMEM : PTSCOPE_BACK_FILE;
		vma_name(vma, rec);
	} else if (vma->vm_start <= mm->brk && vma->vm_end >= mm->start_brk) {
		rec->backing = PTSCOPE_BACK_HEAP;
		strscpy(rec->name, "[heap]", sizeof(rec->name));
	} else if (vma->vm_start <= mm->start_stack &&
		   vma->vm_end >= mm->start_stack) {
		rec->backing = PTSCOPE_BACK_STACK;
		strscpy(rec->name, "[stack]", sizeof(rec->name));
	} else {
		rec->backing = PTSCOPE_BACK_ANON;
	}
}

/**
 * ptscope_decode_hw() - the hardware bits of an entry, as PTSCOPE_F_*
 * @v:     raw entry
 * @level: its level (bit 7 is PAT in a PTE, PS above)
 *
 * Return: the PTSCOPE_F_* hardware bits (the kernel-half walker's decoding).
 */
u64 ptscope_decode_hw(u64 v, int level)
{
	return decode_hw(v, level);
}
