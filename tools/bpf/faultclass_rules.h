/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fault classes and the rules that give a traced fault its class,
 * from the entry before and after it and a few facts of the fault: one
 * copy, compiled into both the BPF program (faulttrace.bpf.c, which
 * classifies in the kernel for "ptscope trace --summary") and user space
 * (faultclass.c's ft_classify(), for every event of the ring buffer), so
 * that the two can never disagree.
 *
 * Included after faulttrace.h.  No libc, no kernel headers: plain
 * arithmetic on the types faulttrace.h defines.
 */
#ifndef PTSCOPE_FAULTCLASS_RULES_H
#define PTSCOPE_FAULTCLASS_RULES_H

#define FTC_INLINE static inline __attribute__((always_inline))

enum ft_class {
	CL_DEMAND_ZERO, CL_ZERO_PAGE, CL_COW, CL_WP_REUSE, CL_FILE, CL_FILE_MAJOR,
	CL_FAULT_AROUND, CL_SWAP_IN, CL_THP, CL_NUMA_HINT, CL_UFFD, CL_RETRY,
	CL_SPURIOUS, CL_ERROR, CL_OTHER, CL_NR
};

/*
 * Swap types at or above this are not swap devices but migration,
 * device, hwpoison and marker entries (MAX_SWAPFILES is 22 or 23 on the
 * kernels we know; no system has that many swap devices).
 */
#define FT_MAX_SWAPFILES	22

/* What the rules look at in a fault, besides its two entries. */
struct ftc_fault {
	__u8 outcome;		/* enum ft_outcome */
	__u8 access;		/* enum ft_access */
	__u8 backing;		/* enum ft_backing */
	__u32 vm_flags;		/* FT_VMA_* */
};

FTC_INLINE int ftc_present(const struct ft_pte *p)
{
	return p->status == FT_WALK_LEAF;
}

FTC_INLINE int ftc_protnone(const struct ft_pte *p)
{
	return p->status == FT_WALK_NONPRESENT && (p->entry & FT_E_PROTNONE);
}

FTC_INLINE int ftc_swap(const struct ft_pte *p)
{
	return p->status == FT_WALK_NONPRESENT && !ftc_protnone(p) &&
	       p->level == FT_LVL_PTE;
}

FTC_INLINE int ftc_writable(const struct ft_pte *p)
{
	return ftc_present(p) && (p->entry & FT_E_RW);
}

FTC_INLINE unsigned int ftc_swap_type(__u64 e)
{
	return e >> 59;
}

FTC_INLINE __u64 ftc_pfn(const struct ft_pte *p)
{
	__u64 e = p->entry, mask = FT_E_PFN_MASK;

	if (ftc_protnone(p))
		e = ~e;		/* L1TF: PROT_NONE entries hold the inverted frame */
	else if (!ftc_present(p))
		return 0;
	if (p->level == FT_LVL_PMD)
		mask &= ~((1ULL << 21) - 1);
	else if (p->level == FT_LVL_PUD)
		mask &= ~((1ULL << 30) - 1);
	return (e & mask) >> 12;
}

FTC_INLINE int ftc_same(const struct ft_pte *a, const struct ft_pte *b)
{
	return a->status == b->status && a->level == b->level &&
	       !((a->entry ^ b->entry) & ~(FT_E_ACCESSED | FT_E_DIRTY));
}

FTC_INLINE int ftc_anon(const struct ftc_fault *f)
{
	return f->backing == FT_BACK_ANON || f->backing == FT_BACK_STACK;
}

/*
 * The class of fault F, whose leaf entry was B before and A after;
 * ZERO_PFN is the shared zero page's frame (0: unknown).  *NEIGHBOURS:
 * for fault-around, the pages mapped besides the one faulted on (from
 * the 16-entry window counts), else 0.
 */
FTC_INLINE enum ft_class ftc_classify(const struct ftc_fault *f, const struct ft_pte *b,
				      const struct ft_pte *a, __u64 zero_pfn, int *neighbours)
{
	int gain = (int)a->window - (int)b->window;

	*neighbours = 0;
	if (f->outcome == FT_ERROR)
		return CL_ERROR;
	if ((f->vm_flags & FT_VMA_UFFD) &&
	    (f->outcome == FT_RETRY || ftc_same(b, a)))
		return CL_UFFD;
	if (f->outcome == FT_RETRY)
		return CL_RETRY;
	if (ftc_protnone(b) && (f->vm_flags & (FT_VMA_READ | FT_VMA_WRITE | FT_VMA_EXEC)))
		return CL_NUMA_HINT;
	if (ftc_swap(b)) {
		if (ftc_swap_type(b->entry) >= FT_MAX_SWAPFILES)
			return CL_OTHER;
		/*
		 * do_swap_page() returns without mapping when the entry
		 * changed under it or another thread is reading it in.
		 */
		if (ftc_present(a))
			return CL_SWAP_IN;
		return ftc_same(b, a) ? CL_SPURIOUS : CL_OTHER;
	}
	if (ftc_present(a) && a->level != FT_LVL_PTE &&
	    !(ftc_present(b) && b->level == a->level))
		return CL_THP;
	if (ftc_present(a) && a->level == FT_LVL_PTE && zero_pfn &&
	    ftc_pfn(a) == zero_pfn && !ftc_present(b))
		return CL_ZERO_PAGE;
	if (!ftc_present(b) && ftc_present(a)) {
		if (ftc_anon(f))
			return CL_DEMAND_ZERO;
		/* A private file mapping written: a copy of the page-cache page. */
		if (f->access == FT_ACC_WRITE && !(f->vm_flags & FT_VMA_SHARED) &&
		    ftc_writable(a))
			return CL_COW;
		if (gain > 1) {
			*neighbours = gain - 1;
			return CL_FAULT_AROUND;
		}
		return f->outcome == FT_MAJOR ? CL_FILE_MAJOR : CL_FILE;
	}
	if (ftc_present(b) && ftc_present(a)) {
		if (ftc_pfn(a) != ftc_pfn(b))
			return ftc_writable(a) ? CL_COW : CL_OTHER;
		if (!ftc_writable(b) && ftc_writable(a))
			return CL_WP_REUSE;
		if (ftc_same(b, a))
			return CL_SPURIOUS;
		return CL_OTHER;
	}
	if (ftc_same(b, a))
		return CL_SPURIOUS;
	return CL_OTHER;
}

#endif /* PTSCOPE_FAULTCLASS_RULES_H */
