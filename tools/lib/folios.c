// SPDX-License-Identifier: GPL-2.0
/*
 * Folio categories of a mapping (`ptscope maps --folios`), from the leaf
 * records of a plain walk, in address order: which folio sizes back it,
 * mapped whole or in part, by one huge entry or by PTEs, at an address
 * aligned to the folio's size or not (tools/mm/thpmaps' categories).
 *
 * The entries that map consecutive pages of one folio at consecutive
 * addresses form one piece.  A piece that maps every page of its folio,
 * from its first, is "whole"; a whole piece whose address is a multiple
 * of the folio's size is "aligned" (one larger entry could map it).  Any
 * other piece is "partial": the folio is split across VMAs (mprotect,
 * mremap), partly unmapped (MADV_DONTNEED) or mapped out of order.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "libptscope.h"

static const char *const kind_names[] = {
	[PTS_FK_ANON] = "anon", [PTS_FK_FILE] = "file",
	[PTS_FK_ZERO] = "zero", [PTS_FK_OTHER] = "other",
};

static const char *const shape_names[] = {
	[PTS_FS_ALIGNED] = "aligned", [PTS_FS_UNALIGNED] = "unaligned",
	[PTS_FS_PARTIAL] = "partial",
};

const char *pts_folio_kind_name(unsigned int kind)
{
	return kind < PTS_FK_NR ? kind_names[kind] : "?";
}

const char *pts_folio_shape_name(unsigned int shape)
{
	return shape < PTS_FS_NR ? shape_names[shape] : "?";
}

static unsigned int leaf_kind(const struct ptscope_leaf *l)
{
	if (l->flags & PTSCOPE_F_ZERO_PAGE)
		return PTS_FK_ZERO;
	if (l->flags & PTSCOPE_F_ANON_PAGE)
		return PTS_FK_ANON;
	if (l->flags & PTSCOPE_F_FILE_PAGE)
		return PTS_FK_FILE;
	return PTS_FK_OTHER;
}

static int cat_cmp(const void *a, const void *b)
{
	const struct pts_folio_cat *x = a, *y = b;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	if (x->level != y->level)
		return x->level > y->level ? -1 : 1;
	if (x->shape != y->shape)
		return x->shape < y->shape ? -1 : 1;
	return 0;
}

static int add_cat(struct pts_folio_stats *s, const struct pts_folio_cat *c)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		struct pts_folio_cat *d = &s->cat[i];

		if (!cat_cmp(d, c)) {
			d->pieces += c->pieces;
			d->bytes += c->bytes;
			return 0;
		}
	}
	if (s->n == PTS_FOLIO_CATS_MAX)
		return -ENOSPC;
	s->cat[s->n++] = *c;
	qsort(s->cat, s->n, sizeof(s->cat[0]), cat_cmp);
	return 0;
}

/* The pending piece is complete: count it in the VMA's categories. */
static void flush_piece(struct pts_folio_acc *a)
{
	struct pts_folio_cat c = { 0 };
	uint64_t nr;

	if (!a->pages)
		return;
	nr = 1ULL << a->order;
	c.kind = a->kind;
	c.order = a->order;
	c.level = a->level;
	if (a->first_index || a->pages != nr)
		c.shape = PTS_FS_PARTIAL;
	else if (a->va & ((nr << 12) - 1))
		c.shape = PTS_FS_UNALIGNED;
	else
		c.shape = PTS_FS_ALIGNED;
	c.pieces = 1;
	c.bytes = a->pages << 12;
	if (add_cat(&a->vma, &c))
		a->dropped++;
	a->pages = 0;
}

void pts_folio_acc_leaf(struct pts_folio_acc *a, const struct ptscope_leaf *l)
{
	uint64_t per = pts_level_size(l->level) >> 12;
	uint64_t pages = per * l->count;

	if (!(l->flags & PTSCOPE_F_FOLIO) || !(l->flags & PTSCOPE_F_PFN_VALID)) {
		flush_piece(a);
		return;
	}
	/* The next pages of the pending piece's folio, at the next address? */
	if (a->pages && l->folio_pfn == a->folio_pfn && l->level == a->level &&
	    l->folio_order == a->order && l->va == a->next_va &&
	    l->pfn == a->next_pfn && leaf_kind(l) == a->kind) {
		a->pages += pages;
	} else {
		flush_piece(a);
		a->kind = leaf_kind(l);
		a->order = l->folio_order;
		a->level = l->level;
		a->folio_pfn = l->folio_pfn;
		a->first_index = l->pfn - l->folio_pfn;
		a->va = l->va;
		a->pages = pages;
	}
	a->next_va = l->va + (pages << 12);
	a->next_pfn = l->pfn + pages;
}

void pts_folio_acc_end_vma(struct pts_folio_acc *a)
{
	size_t i;

	flush_piece(a);
	for (i = 0; i < a->vma.n; i++)
		if (add_cat(&a->total, &a->vma.cat[i]))
			a->dropped++;
}

void pts_folio_acc_next_vma(struct pts_folio_acc *a)
{
	a->pages = 0;
	memset(&a->vma, 0, sizeof(a->vma));
}
