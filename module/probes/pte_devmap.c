// SPDX-License-Identifier: GPL-2.0
/*
 * PTSCOPE_HAVE_PTE_DEVMAP: entries can carry the devmap bit (ZONE_DEVICE
 * pages mapped by DAX); 7.x has neither the bit nor pte_devmap().
 */
#include <linux/mm.h>
#include <asm/pgtable.h>

int ptscope_probe(pte_t pte);
int ptscope_probe(pte_t pte)
{
	return pte_devmap(pte);
}
