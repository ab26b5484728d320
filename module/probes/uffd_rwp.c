// SPDX-License-Identifier: GPL-2.0
/*
 * PTSCOPE_HAVE_UFFD_RWP: userfaultfd read-write protection (7.x): a
 * protnone entry with the uffd bit in a VM_UFFD_RWP VMA is an RWP trap
 * (do_uffd_rwp()), not a NUMA hinting entry (do_numa_page()).
 */
#include <linux/mm.h>
#include <linux/userfaultfd_k.h>

bool ptscope_probe(struct vm_area_struct *vma, pte_t pte);
bool ptscope_probe(struct vm_area_struct *vma, pte_t pte)
{
	return userfaultfd_pte_rwp(vma, pte);
}
