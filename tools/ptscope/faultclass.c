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
	return ftc_present(p);
}

bool ft_protnone(const struct ft_pte *p)
{
	return ftc_protnone(p);
}

bool ft_swap(const struct ft_pte *p)
{
	return ftc_swap(p);
}

bool ft_writable(const struct ft_pte *p)
{
	return ftc_writable(p);
}

unsigned int ft_swap_type(uint64_t e)
{
	return ftc_swap_type(e);
}

uint64_t ft_swap_offset(uint64_t e)
{
	return (~e << 5) >> 14;
}

uint64_t ft_pfn(const struct ft_pte *p)
{
	return ftc_pfn(p);
}

bool ft_has_pfn(const struct ft_pte *p)
{
	return ft_present(p) || ft_protnone(p);
}

bool ft_same(const struct ft_pte *a, const struct ft_pte *b)
{
	return ftc_same(a, b);
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
	struct ftc_fault f = { .outcome = e->outcome, .access = e->access,
			       .backing = e->backing, .vm_flags = e->vm_flags };

	return ftc_classify(&f, &e->before, &e->after, zero_pfn, neighbours);
}
