// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side unit tests of the folio categories (tools/lib/folios.c) on
 * leaves built by hand: a PMD-mapped THP, 64K folios mapped whole at
 * aligned and unaligned addresses, a THP split across two VMAs, a folio
 * mapped out of order, zero-page and folio-less entries; and the text
 * mark pts_folio_str().
 */
#include <string.h>

#include "kselftest_harness.h"
#include "libptscope.h"

#define PAGE	4096ULL
#define BASE	0x7f0000000000ULL

static struct ptscope_leaf leaf(uint64_t va, unsigned int level, uint64_t pfn,
				uint64_t folio_pfn, unsigned int order, uint64_t flags)
{
	struct ptscope_leaf l = { 0 };

	l.hdr.type = PTSCOPE_REC_LEAF;
	l.hdr.size = sizeof(l);
	l.va = va;
	l.level = level;
	l.pfn = pfn;
	l.count = 1;
	l.folio_pfn = folio_pfn;
	l.folio_order = order;
	l.flags = PTSCOPE_F_PRESENT | PTSCOPE_F_PFN_VALID | flags;
	return l;
}

#define ANON	(PTSCOPE_F_FOLIO | PTSCOPE_F_ANON_PAGE)

/* Feed N PTEs mapping frames PFN.. at VA.., of the folio at FOLIO/ORDER. */
static void ptes(struct pts_folio_acc *a, uint64_t va, uint64_t pfn, unsigned int n,
		 uint64_t folio, unsigned int order)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct ptscope_leaf l = leaf(va + i * PAGE, PTSCOPE_LVL_PTE, pfn + i,
					     folio, order, ANON);

		pts_folio_acc_leaf(a, &l);
	}
}

static const struct pts_folio_cat *find(const struct pts_folio_stats *s, unsigned int order,
					unsigned int level, unsigned int shape)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->cat[i].order == order && s->cat[i].level == level &&
		    s->cat[i].shape == shape)
			return &s->cat[i];
	return NULL;
}

TEST(pmd_thp_and_aligned_64k)
{
	struct pts_folio_acc a = { 0 };
	struct ptscope_leaf l = leaf(BASE, PTSCOPE_LVL_PMD, 0x200, 0x200, 9, ANON);
	const struct pts_folio_cat *c;

	pts_folio_acc_leaf(&a, &l);
	ptes(&a, BASE + (2 << 20), 0x1000, 16, 0x1000, 4);	/* 64K aligned */
	ptes(&a, BASE + (2 << 20) + 16 * PAGE, 0x2000, 16, 0x2000, 4);
	pts_folio_acc_end_vma(&a);
	ASSERT_EQ(2, a.vma.n);
	c = find(&a.vma, 9, PTSCOPE_LVL_PMD, PTS_FS_ALIGNED);
	ASSERT_NE(NULL, c);
	EXPECT_EQ(1, c->pieces);
	EXPECT_EQ(2 << 20, c->bytes);
	c = find(&a.vma, 4, PTSCOPE_LVL_PTE, PTS_FS_ALIGNED);
	ASSERT_NE(NULL, c);
	EXPECT_EQ(2, c->pieces);
	EXPECT_EQ(128 << 10, c->bytes);
	EXPECT_EQ(PTS_FK_ANON, c->kind);
	EXPECT_EQ(2, a.total.n);
}

TEST(unaligned_partial_and_out_of_order)
{
	struct pts_folio_acc a = { 0 };
	const struct pts_folio_cat *c;

	/* a whole 64K folio at an address 4K past a 64K boundary */
	ptes(&a, BASE + PAGE, 0x1000, 16, 0x1000, 4);
	/* pages 0-7 of another, then its pages 8-15 at a gap: two pieces */
	ptes(&a, BASE + 32 * PAGE, 0x2000, 8, 0x2000, 4);
	ptes(&a, BASE + 48 * PAGE, 0x2008, 8, 0x2000, 4);
	/* pages 8-15 then 0-7 at consecutive addresses: out of order */
	ptes(&a, BASE + 64 * PAGE, 0x3008, 8, 0x3000, 4);
	ptes(&a, BASE + 72 * PAGE, 0x3000, 8, 0x3000, 4);
	pts_folio_acc_end_vma(&a);
	c = find(&a.vma, 4, PTSCOPE_LVL_PTE, PTS_FS_UNALIGNED);
	ASSERT_NE(NULL, c);
	EXPECT_EQ(1, c->pieces);
	EXPECT_EQ(64 << 10, c->bytes);
	c = find(&a.vma, 4, PTSCOPE_LVL_PTE, PTS_FS_PARTIAL);
	ASSERT_NE(NULL, c);
	EXPECT_EQ(4, c->pieces);
	EXPECT_EQ(128 << 10, c->bytes);
	EXPECT_EQ(NULL, find(&a.vma, 4, PTSCOPE_LVL_PTE, PTS_FS_ALIGNED));
}

/* A THP split across two VMAs: partial in each, never joined across them. */
TEST(split_across_vmas)
{
	struct pts_folio_acc a = { 0 };
	const struct pts_folio_cat *c;

	ptes(&a, BASE, 0x400, 256, 0x400, 9);
	pts_folio_acc_end_vma(&a);
	c = find(&a.vma, 9, PTSCOPE_LVL_PTE, PTS_FS_PARTIAL);
	ASSERT_NE(NULL, c);
	EXPECT_EQ(1 << 20, c->bytes);
	pts_folio_acc_next_vma(&a);
	ptes(&a, BASE + (1 << 20), 0x500, 256, 0x400, 9);
	pts_folio_acc_end_vma(&a);
	c = find(&a.vma, 9, PTSCOPE_LVL_PTE, PTS_FS_PARTIAL);
	ASSERT_NE(NULL, c);
	EXPECT_EQ(1, c->pieces);
	c = find(&a.total, 9, PTSCOPE_LVL_PTE, PTS_FS_PARTIAL);
	ASSERT_NE(NULL, c);
	EXPECT_EQ(2, c->pieces);
	EXPECT_EQ(2 << 20, c->bytes);
}

/* Zero-page entries are one folio each; entries without a folio end a piece. */
TEST(zero_page_and_no_folio)
{
	struct pts_folio_acc a = { 0 };
	struct ptscope_leaf z = leaf(BASE, PTSCOPE_LVL_PTE, 0x99, 0x99, 0,
				     PTSCOPE_F_FOLIO | PTSCOPE_F_ZERO_PAGE);
	struct ptscope_leaf sp = leaf(BASE + 8 * PAGE, PTSCOPE_LVL_PTE, 0x5008, 0, 0,
				      PTSCOPE_F_SPECIAL);
	const struct pts_folio_cat *c;

	pts_folio_acc_leaf(&a, &z);
	z.va += PAGE;
	pts_folio_acc_leaf(&a, &z);
	ptes(&a, BASE + 4 * PAGE, 0x5000, 4, 0x5000, 4);
	pts_folio_acc_leaf(&a, &sp);
	ptes(&a, BASE + 12 * PAGE, 0x500c, 4, 0x5000, 4);
	pts_folio_acc_end_vma(&a);
	c = find(&a.vma, 0, PTSCOPE_LVL_PTE, PTS_FS_ALIGNED);
	ASSERT_NE(NULL, c);
	EXPECT_EQ(PTS_FK_ZERO, c->kind);
	EXPECT_EQ(2, c->pieces);
	c = find(&a.vma, 4, PTSCOPE_LVL_PTE, PTS_FS_PARTIAL);
	ASSERT_NE(NULL, c);
	EXPECT_EQ(2, c->pieces);
	EXPECT_EQ(32 << 10, c->bytes);
}

TEST(folio_mark)
{
	struct ptscope_leaf l = leaf(BASE, PTSCOPE_LVL_PTE, 0x1003, 0x1000, 4, ANON);
	char buf[32];

	EXPECT_STREQ("64K+3", pts_folio_str(&l, buf, sizeof(buf)));
	EXPECT_EQ(65536, pts_folio_size(&l));
	l.folio_order = 0;
	l.folio_pfn = l.pfn;
	EXPECT_STREQ("4K", pts_folio_str(&l, buf, sizeof(buf)));
	l.flags &= ~PTSCOPE_F_FOLIO;
	EXPECT_STREQ("-", pts_folio_str(&l, buf, sizeof(buf)));
	EXPECT_EQ(0, pts_folio_size(&l));
}

TEST_HARNESS_MAIN
