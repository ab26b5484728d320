// SPDX-License-Identifier: GPL-2.0
/*
 * PTSCOPE_HAVE_SOFTLEAF: non-present entries are "software leaf" entries
 * (<linux/leafops.h>, as in 7.x), decoded with softleaf_from_pte() and the
 * softleaf_is_*() tests; before, with pte_to_swp_entry() and the
 * is_*_entry() tests of <linux/swapops.h>.
 */
/* The headers walk.c includes first: on 7.2 leafops.h needs them. */
#include <linux/mm.h>
#include <linux/swap.h>
#include <linux/swapops.h>
#include <linux/leafops.h>

unsigned long ptscope_probe(pte_t pte);
unsigned long ptscope_probe(pte_t pte)
{
	softleaf_t e = softleaf_from_pte(pte);

	switch (softleaf_type(e)) {
	case SOFTLEAF_MARKER:
		return softleaf_to_marker(e);
	case SOFTLEAF_MIGRATION_READ_EXCLUSIVE:
	case SOFTLEAF_DEVICE_EXCLUSIVE:
	case SOFTLEAF_HWPOISON:
		return softleaf_to_pfn(e);
	default:
		return 0;
	}
}
