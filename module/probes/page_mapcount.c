// SPDX-License-Identifier: GPL-2.0
/* PTSCOPE_HAVE_PAGE_MAPCOUNT: page_mapcount() exists (gone in 6.12). */
#include <linux/mm.h>

int ptscope_probe(struct page *page);
int ptscope_probe(struct page *page)
{
	return page_mapcount(page);
}
