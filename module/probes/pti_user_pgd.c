// SPDX-License-Identifier: GPL-2.0
/*
 * PTSCOPE_HAVE_PTI_USER_PGD: the kernel is built with page-table isolation
 * (the Kconfig name changed in 6.9), so kernel_to_user_pgdp() finds the
 * user copy of the top-level table.
 */
#include <linux/mm.h>
#include <asm/pgtable.h>

pgd_t *ptscope_probe(pgd_t *pgdp);
pgd_t *ptscope_probe(pgd_t *pgdp)
{
	return kernel_to_user_pgdp(pgdp);
}
