// SPDX-License-Identifier: GPL-2.0
/*
 * PTSCOPE_HAVE_SOFTLEAF: non-present entries are "software leaf" entries
 * (<linux/leafops.h>, as in 7.x), decoded with softleaf_from_pte() and the
 * softleaf_is_*() tests; before, with pte_to_swp_entry() and the
 * is_*_entry() tests of <linux/swapops.h>.
 */
#include <linux/mm.h>
#include <linux/leafops.h>

bool ptscope_probe(pte_t pte);
bool ptscope_probe(pte_t pte)
{
	softleaf_t e = softleaf_from_pte(pte);

	return softleaf_has_pfn(e) || softleaf_is_marker(e);
}
