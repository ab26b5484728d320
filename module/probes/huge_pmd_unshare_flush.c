// SPDX-License-Identifier: GPL-2.0
/*
 * PTSCOPE_HAVE_HUGE_PMD_UNSHARE_FLUSH: the kernel has huge_pmd_unshare_flush(),
 * so a process unsharing a hugetlb PMD table waits (an IPI) for readers
 * that walk it with interrupts off, as GUP-fast does.  Without it the
 * walker refuses hugetlb PMD tables that may be shared.
 */
#include <linux/hugetlb.h>

/* Compiles only where the function is declared; nothing is referenced. */
typeof(huge_pmd_unshare_flush) *ptscope_probe_fn;
