// SPDX-License-Identifier: GPL-2.0
/*
 * PTSCOPE_HAVE_PTE_UFFD: the userfaultfd bit of an entry is read with
 * pte_uffd() and pte_swp_uffd() (it serves write protection and, since
 * 7.x, read-write protection); before, with pte_uffd_wp() and
 * pte_swp_uffd_wp().
 */
#include <linux/mm.h>
#include <asm/pgtable.h>

int ptscope_probe(pte_t pte);
int ptscope_probe(pte_t pte)
{
	return pte_uffd(pte) | pte_swp_uffd(pte);
}
