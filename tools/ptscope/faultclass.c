// SPDX-License-Identifier: GPL-2.0
/*
 * Decoding a traced fault's entries and classifying the fault
 * (faultclass.h).
 */
#include <stdio.h>

#include "faultclass.h"
#include "libptscope.h"

const char *const ft_class_names[CL_NR] = {
	[CL_DEMAND_ZERO] = "demand-zero",
	[CL_ZERO_PAGE] = "zero-page",
	[CL_COW] = "cow",
	[CL_WP_REUSE] = "wp-reuse",
	[CL_FILE] = "file",
	[CL_FILE_MAJOR] = "file-major",
	[CL_FAULT_AROUND] = "fault-around",
	[CL_SWAP_IN] = "swap-in",
	[CL_THP] = "thp",
	[CL_NUMA_HINT] = "numa-hint",
	[CL_UFFD] = "uffd",
	[CL_RETRY] = "retry",
	[CL_SPURIOUS] = "spurious",
	[CL_ERROR] = "error",
	[CL_OTHER] = "other",
};

const char *const ft_outcome_names[4] = { "minor", "major", "retry", "error" };
const char *const ft_access_names[3] = { "read", "write", "exec" };
const char *const ft_cause_names[3] = { "none", "not-present", "protection" };
const char *const ft_mode_names[3] = { "user", "kernel", "gup" };
const char *const ft_backing_names[FT_BACK_OTHER + 1] = {
	[FT_BACK_ANON] = "anon", [FT_BACK_FILE] = "file", [FT_BACK_SHMEM] = "shmem",
	[FT_BACK_STACK] = "stack", [FT_BACK_HUGETLB] = "hugetlb",
	[FT_BACK_OTHER] = "other",
};
const char *const ft_walk_names[FT_WALK_FAIL + 1] = {
	[FT_WALK_LEAF] = "present", [FT_WALK_NONE] = "none",
	[FT_WALK_NONPRESENT] = "not-present", [FT_WALK_FAIL] = "unreadable",
};

bool ft_present(const struct ft_pte *p)
{
	return p->status == FT_WALK_LEAF;
}

bool ft_protnone(const struct ft_pte *p)
{
	return p->status == FT_WALK_NONPRESENT && (p->entry & FT_E_PROTNONE);
}

bool ft_swap(const struct ft_pte *p)
{
	return p->status == FT_WALK_NONPRESENT && !ft_protnone(p) &&
	       p->level == FT_LVL_PTE;
}

bool ft_writable(const struct ft_pte *p)
{
	return ft_present(p) && (p->entry & FT_E_RW);
}

unsigned int ft_swap_type(uint64_t e)
{
	return e >> 59;
}

uint64_t ft_swap_offset(uint64_t e)
{
	return (~e << 5) >> 14;
}

uint64_t ft_pfn(const struct ft_pte *p)
{
	uint64_t e = p->entry, mask = FT_E_PFN_MASK;

	if (ft_protnone(p))
		e = ~e;		/* L1TF: PROT_NONE entries hold the inverted frame */
	else if (!ft_present(p))
		return 0;
	if (p->level == FT_LVL_PMD)
		mask &= ~((1ULL << 21) - 1);
	else if (p->level == FT_LVL_PUD)
		mask &= ~((1ULL << 30) - 1);
	return (e & mask) >> 12;
}

bool ft_has_pfn(const struct ft_pte *p)
{
	return ft_present(p) || ft_protnone(p);
}

bool ft_same(const struct ft_pte *a, const struct ft_pte *b)
{
	return a->status == b->status && a->level == b->level &&
	       !((a->entry ^ b->entry) & ~(FT_E_ACCESSED | FT_E_DIRTY));
}

uint64_t ft_leaf_pages(const struct ft_pte *p)
{
	if (!ft_present(p))
		return 0;
	return p->level == FT_LVL_PUD ? 1ULL << 18 : p->level == FT_LVL_PMD ? 512 : 1;
}

const char *ft_entry_str(const struct ft_pte *p, char *buf, size_t len)
{
	if (p->status == FT_WALK_NONE)
		snprintf(buf, len, "%s none", pts_level_name(p->level));
	else if (p->status == FT_WALK_FAIL)
		snprintf(buf, len, "%s ?", pts_level_name(p->level));
	else
		snprintf(buf, len, "%s %#llx", pts_level_name(p->level),
			 (unsigned long long)p->entry);
	return buf;
}

const char *ft_class_str(enum ft_class cls, int neighbours, char *buf, size_t len)
{
	if (cls == CL_FAULT_AROUND)
		snprintf(buf, len, "%s +%d", ft_class_names[cls], neighbours);
	else
		snprintf(buf, len, "%s", FT_NAME(ft_class_names, cls));
	return buf;
}

bool ft_anon(const struct ft_event *e)
{
	return e->backing == FT_BACK_ANON || e->backing == FT_BACK_STACK;
}

enum ft_class ft_classify(const struct ft_event *e, uint64_t zero_pfn, int *neighbours)
{
	const struct ft_pte *b = &e->before, *a = &e->after;
	int gain = (int)a->window - (int)b->window;

	*neighbours = 0;
	if (e->outcome == FT_ERROR)
		return CL_ERROR;
	if ((e->vm_flags & FT_VMA_UFFD) &&
	    (e->outcome == FT_RETRY || ft_same(b, a)))
		return CL_UFFD;
	if (e->outcome == FT_RETRY)
		return CL_RETRY;
	if (ft_protnone(b) && (e->vm_flags & (FT_VMA_READ | FT_VMA_WRITE | FT_VMA_EXEC)))
		return CL_NUMA_HINT;
	if (ft_swap(b)) {
		if (ft_swap_type(b->entry) >= FT_MAX_SWAPFILES)
			return CL_OTHER;
		/*
		 * do_swap_page() returns without mapping when the entry
		 * changed under it or another thread is reading it in.
		 */
		if (ft_present(a))
			return CL_SWAP_IN;
		return ft_same(b, a) ? CL_SPURIOUS : CL_OTHER;
	}
	if (ft_present(a) && a->level != FT_LVL_PTE &&
	    !(ft_present(b) && b->level == a->level))
		return CL_THP;
	if (ft_present(a) && a->level == FT_LVL_PTE && zero_pfn &&
	    ft_pfn(a) == zero_pfn && !ft_present(b))
		return CL_ZERO_PAGE;
	if (!ft_present(b) && ft_present(a)) {
		if (ft_anon(e))
			return CL_DEMAND_ZERO;
		/* A private file mapping written: a copy of the page-cache page. */
		if (e->access == FT_ACC_WRITE && !(e->vm_flags & FT_VMA_SHARED) &&
		    ft_writable(a))
			return CL_COW;
		if (gain > 1) {
			*neighbours = gain - 1;
			return CL_FAULT_AROUND;
		}
		return e->outcome == FT_MAJOR ? CL_FILE_MAJOR : CL_FILE;
	}
	if (ft_present(b) && ft_present(a)) {
		if (ft_pfn(a) != ft_pfn(b))
			return ft_writable(a) ? CL_COW : CL_OTHER;
		if (!ft_writable(b) && ft_writable(a))
			return CL_WP_REUSE;
		if (ft_same(b, a))
			return CL_SPURIOUS;
		return CL_OTHER;
	}
	if (ft_same(b, a))
		return CL_SPURIOUS;
	return CL_OTHER;
}
