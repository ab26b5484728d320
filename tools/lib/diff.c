// SPDX-License-Identifier: GPL-2.0
/*
 * What changed between two walks (`ptscope diff`): page by page, each 4K
 * page's entry before and after is put in one of the pts_change classes,
 * and consecutive pages with the same change become one run.  The rules
 * are in Documentation/history.rst ("What each change means").
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "libptscope.h"

#define PAGE		4096ULL

static const char *const change_names[PTS_CH_NR] = {
	[PTS_CH_NEW] = "new",
	[PTS_CH_GONE] = "gone",
	[PTS_CH_FRAME] = "frame",
	[PTS_CH_SPLIT] = "split",
	[PTS_CH_COLLAPSE] = "collapse",
	[PTS_CH_FLAGS] = "flags",
	[PTS_CH_SWAP_OUT] = "swap-out",
	[PTS_CH_SWAP_IN] = "swap-in",
};

const char *pts_change_name(unsigned int change)
{
	return change < PTS_CH_NR ? change_names[change] : "?";
}

const char *pts_vma_change_name(unsigned int change)
{
	static const char *const names[] = { "new", "gone", "changed" };

	return change < 3 ? names[change] : "?";
}

/* A walk read in address order: the leaf and the VMA at or after VA. */
struct cursor {
	const struct pts_image *img;
	size_t leaf, vma;
};

static uint64_t leaf_end(const struct ptscope_leaf *l)
{
	return l->va + pts_level_size(l->level);
}

/* What covers page VA (which never goes down between calls). */
static void state_at(struct cursor *c, uint64_t va, struct pts_page_state *st)
{
	const struct pts_image *img = c->img;
	const struct ptscope_leaf *l;

	memset(st, 0, sizeof(*st));
	while (c->vma < img->nvma && img->vma[c->vma].end <= va)
		c->vma++;
	if (c->vma < img->nvma && img->vma[c->vma].start <= va)
		st->vma = &img->vma[c->vma];
	while (c->leaf < img->nleaf && leaf_end(&img->leaf[c->leaf]) <= va)
		c->leaf++;
	if (c->leaf >= img->nleaf || img->leaf[c->leaf].va > va)
		return;
	l = &img->leaf[c->leaf];
	st->leaf = l;
	st->vma = &img->vma[img->leaf_vma[c->leaf]];
	if (l->flags & PTSCOPE_F_PFN_VALID)
		st->pfn = l->pfn + (va - l->va) / PAGE;
	if (l->flags & PTSCOPE_F_SWAP)
		st->swap_offset = l->swap_offset + (va - l->va) / PAGE;
}

/* The first page at or after VA that a leaf of C covers (~0: none). */
static uint64_t next_leaf(const struct cursor *c, uint64_t va)
{
	const struct pts_image *img = c->img;
	size_t i = c->leaf;

	while (i < img->nleaf && leaf_end(&img->leaf[i]) <= va)
		i++;
	if (i >= img->nleaf)
		return ~0ULL;
	return img->leaf[i].va > va ? img->leaf[i].va : va;
}

enum kind { K_NONE, K_MAP, K_SWAP, K_OTHER };

static enum kind kind(const struct ptscope_leaf *l)
{
	if (!l)
		return K_NONE;
	if (l->flags & PTSCOPE_F_SWAP)
		return K_SWAP;
	if (l->flags & (PTSCOPE_F_PFN_VALID | PTSCOPE_F_PRESENT))
		return K_MAP;
	return K_OTHER;
}

/* The change of one page, or -1 for none. */
static int classify(const struct pts_page_state *a,
		    const struct pts_page_state *b)
{
	enum kind ka = kind(a->leaf), kb = kind(b->leaf);
	bool same_entry;

	if (ka == K_NONE && kb == K_NONE)
		return -1;
	if (ka == K_NONE)
		return PTS_CH_NEW;
	if (kb == K_NONE)
		return PTS_CH_GONE;
	same_entry = a->leaf->level == b->leaf->level &&
		     a->leaf->entry == b->leaf->entry;
	switch (ka * 4 + kb) {
	case K_MAP * 4 + K_MAP:
		if (a->leaf->level != b->leaf->level)
			return a->leaf->level > b->leaf->level ?
				PTS_CH_SPLIT : PTS_CH_COLLAPSE;
		if (a->pfn != b->pfn)
			return PTS_CH_FRAME;
		return same_entry ? -1 : PTS_CH_FLAGS;
	case K_MAP * 4 + K_SWAP:
	case K_OTHER * 4 + K_SWAP:
		return PTS_CH_SWAP_OUT;
	case K_SWAP * 4 + K_MAP:
		return PTS_CH_SWAP_IN;
	case K_SWAP * 4 + K_SWAP:
		if (same_entry)
			return -1;
		/* another slot: swapped in and out again */
		return a->leaf->swap_type != b->leaf->swap_type ||
		       a->swap_offset != b->swap_offset ?
			PTS_CH_SWAP_OUT : PTS_CH_FLAGS;
	case K_OTHER * 4 + K_MAP:
		return PTS_CH_NEW;
	case K_MAP * 4 + K_OTHER:
	case K_SWAP * 4 + K_OTHER:
		return PTS_CH_GONE;
	default:	/* marker to marker */
		return same_entry ? -1 : PTS_CH_FLAGS;
	}
}

/* ---- VMAs ---------------------------------------------------------------- */

struct vma_event {
	uint64_t addr;
	enum pts_vma_change change;
	const struct ptscope_vma *old, *new;
};

#define VMA_SAME_MASK	(~(PTSCOPE_VMA_SOFTDIRTY | PTSCOPE_VMA_NAME_TRUNC))

static bool vma_same(const struct ptscope_vma *a, const struct ptscope_vma *b)
{
	return a->start == b->start && a->end == b->end &&
	       (a->flags & VMA_SAME_MASK) == (b->flags & VMA_SAME_MASK) &&
	       a->backing == b->backing && a->pgoff == b->pgoff &&
	       a->ino == b->ino && a->pagesize == b->pagesize &&
	       !strcmp(a->name, b->name);
}

static bool overlaps(const struct ptscope_vma *v, uint64_t start, uint64_t end)
{
	return v->start < end && v->end > start;
}

/*
 * The first VMA of IMG overlapping V, or NULL: a binary search for the
 * first that ends above V's start (the VMAs are sorted and disjoint).
 */
static const struct ptscope_vma *find_overlap(const struct pts_image *img,
					      const struct ptscope_vma *v,
					      bool *exact)
{
	size_t lo = 0, hi = img->nvma;

	*exact = false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (img->vma[mid].end <= v->start)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == img->nvma || !overlaps(&img->vma[lo], v->start, v->end))
		return NULL;
	*exact = vma_same(&img->vma[lo], v);
	return &img->vma[lo];
}

static int cmp_event(const void *x, const void *y)
{
	const struct vma_event *a = x, *b = y;

	if (a->addr != b->addr)
		return a->addr < b->addr ? -1 : 1;
	return (int)a->change - (int)b->change;
}

/* The VMA changes within [START, END), sorted by address. */
static int vma_events(const struct pts_image *a, const struct pts_image *b,
		      uint64_t start, uint64_t end, struct vma_event **out,
		      size_t *n)
{
	struct vma_event *ev;
	const struct ptscope_vma *o;
	bool exact;
	size_t i;

	*n = 0;
	ev = calloc(a->nvma + b->nvma + 1, sizeof(*ev));
	if (!ev)
		return -ENOMEM;
	for (i = 0; i < b->nvma; i++) {
		const struct ptscope_vma *v = &b->vma[i];

		if (!overlaps(v, start, end))
			continue;
		o = find_overlap(a, v, &exact);
		if (exact)
			continue;
		ev[*n] = (struct vma_event){ v->start,
			o ? PTS_VMA_CHANGED : PTS_VMA_NEW, o, v };
		(*n)++;
	}
	for (i = 0; i < a->nvma; i++) {
		const struct ptscope_vma *v = &a->vma[i];

		if (!overlaps(v, start, end) || find_overlap(b, v, &exact))
			continue;
		ev[*n] = (struct vma_event){ v->start, PTS_VMA_GONE, v, NULL };
		(*n)++;
	}
	qsort(ev, *n, sizeof(*ev), cmp_event);
	*out = ev;
	return 0;
}

/* ---- the comparison --------------------------------------------------- */

struct differ {
	const struct pts_diff_ops *ops;
	void *arg;
	struct vma_event *ev;
	size_t nev, next_ev;
	struct pts_diff_run run;
	bool have_run;
};

static int emit_vmas_upto(struct differ *d, uint64_t va)
{
	int ret;

	for (; d->next_ev < d->nev && d->ev[d->next_ev].addr <= va; d->next_ev++) {
		const struct vma_event *e = &d->ev[d->next_ev];

		if (!d->ops->vma)
			continue;
		ret = d->ops->vma(e->change, e->old, e->new, d->arg);
		if (ret)
			return ret;
	}
	return 0;
}

static int flush(struct differ *d)
{
	int ret;

	if (!d->have_run)
		return 0;
	d->have_run = false;
	ret = emit_vmas_upto(d, d->run.va);
	if (ret)
		return ret;
	return d->ops->run ? d->ops->run(&d->run, d->arg) : 0;
}

static int level_of(const struct pts_page_state *s)
{
	return s->leaf ? s->leaf->level : -1;
}

/* Does page VA with this change extend the current run? */
static bool extends(const struct differ *d, uint64_t va, int change,
		    const struct pts_page_state *a,
		    const struct pts_page_state *b)
{
	const struct pts_diff_run *r = &d->run;

	return d->have_run && (int)r->change == change &&
	       r->va + r->pages * PAGE == va &&
	       r->old.vma == a->vma && r->new.vma == b->vma &&
	       level_of(&r->old) == level_of(a) &&
	       level_of(&r->new) == level_of(b);
}

/* The range a walk covers: its header's (none in a header of zeroes). */
static void narrow(const struct pts_image *img, uint64_t *start, uint64_t *end)
{
	if (img->hdr.end <= img->hdr.start)
		return;
	if (img->hdr.start > *start)
		*start = img->hdr.start;
	if (img->hdr.end < *end)
		*end = img->hdr.end;
}

bool pts_diff_range(const struct pts_image *a, const struct pts_image *b,
		    uint64_t *start, uint64_t *end)
{
	narrow(a, start, end);
	narrow(b, start, end);
	return *start < *end;
}

int pts_diff(const struct pts_image *a, const struct pts_image *b,
	     uint64_t start, uint64_t end, const struct pts_diff_ops *ops,
	     void *arg)
{
	struct cursor ca = { .img = a }, cb = { .img = b };
	struct differ d = { .ops = ops, .arg = arg };
	struct pts_page_state sa, sb;
	uint64_t va;
	int ret;

	if (!pts_diff_range(a, b, &start, &end))
		return 0;
	start &= ~(PAGE - 1);
	ret = vma_events(a, b, start, end, &d.ev, &d.nev);
	if (ret)
		return ret;
	va = start;
	while (va < end) {
		int change;

		state_at(&ca, va, &sa);
		state_at(&cb, va, &sb);
		if (!sa.leaf && !sb.leaf) {
			uint64_t na = next_leaf(&ca, va), nb = next_leaf(&cb, va);

			va = na < nb ? na : nb;
			continue;
		}
		/* the same huge leaf on both sides: skip it whole */
		if (sa.leaf && sb.leaf && sa.leaf->level && sa.leaf->va == sb.leaf->va &&
		    sa.leaf->level == sb.leaf->level &&
		    sa.leaf->entry == sb.leaf->entry &&
		    sa.leaf->pfn == sb.leaf->pfn) {
			va = leaf_end(sa.leaf);
			continue;
		}
		change = classify(&sa, &sb);
		if (change >= 0 && !extends(&d, va, change, &sa, &sb)) {
			ret = flush(&d);
			if (ret)
				goto out;
			d.run = (struct pts_diff_run){ .va = va, .pages = 0,
				.change = change, .old = sa, .new = sb };
			d.have_run = true;
		}
		if (change >= 0)
			d.run.pages++;
		else if (d.have_run) {
			ret = flush(&d);
			if (ret)
				goto out;
		}
		if (va + PAGE < va)
			break;
		va += PAGE;
	}
	ret = flush(&d);
	if (!ret)
		ret = emit_vmas_upto(&d, ~0ULL);
out:
	free(d.ev);
	return ret;
}
