/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The walk's leaf writers as they were before tools/ptscope/walkfmt.c
 * (walk.c's text_vma(), text_leaf() and json_leaf() at commit 9e25993, printf per
 * field), kept as the reference the new writers must match byte for byte
 * (tests/unit/walkfmt_test.c) and as the "before" of the bench's format
 * section (tools/bench/bench.c).  Only the destination changed: a FILE
 * and colours passed in, not stdout and col().
 */
#ifndef WALKFMT_REF_H
#define WALKFMT_REF_H

#include <stdio.h>
#include <string.h>

#include <linux/ptscope.h>
#include "libptscope.h"

struct ref_out {
	FILE *f;
	bool coalesce;
	const char *yellow, *magenta, *dim, *reset;	/* "" without colour */
	const char *bold, *cyan;
	const char *vma_json, *region_json;
};

static const char *ref_sz(uint64_t bytes)
{
	static char bufs[8][16];
	static unsigned int next;
	char *b = bufs[next++ % 8];

	return pts_fmt_size(bytes, b, sizeof(bufs[0]));
}

static const char *ref_pfn_col(const struct ptscope_leaf *l, char *buf, size_t len)
{
	if (l->flags & PTSCOPE_F_SWAP)
		snprintf(buf, len, "swap %u:0x%llx", l->swap_type,
			 (unsigned long long)l->swap_offset);
	else if (l->flags & PTSCOPE_F_MARKER)
		snprintf(buf, len, "marker 0x%llx", (unsigned long long)l->swap_offset);
	else if (l->flags & PTSCOPE_F_PFN_VALID)
		snprintf(buf, len, "0x%llx", (unsigned long long)l->pfn);
	else
		snprintf(buf, len, "-");
	return buf;
}

static void ref_text_vma(const struct ref_out *w, const struct ptscope_vma *v)
{
	char perm[5];

	if (v->backing == PTSCOPE_BACK_KERNEL) {
		fprintf(w->f, "%s%sregion 0x%016llx-0x%016llx %6s %s%s\n", w->bold,
			w->cyan, (unsigned long long)v->start,
			(unsigned long long)v->end, ref_sz(v->end - v->start), v->name,
			w->reset);
		return;
	}
	fprintf(w->f, "%s%svma 0x%016llx-0x%016llx %s %6s %-7s %s%s\n", w->bold,
		w->cyan, (unsigned long long)v->start,
		(unsigned long long)v->end, pts_vma_perm(v, perm),
		ref_sz(v->end - v->start), pts_backing_name(v->backing), v->name,
		w->reset);
}

static void ref_text_leaf(const struct ref_out *w, const struct ptscope_leaf *l)
{
	uint64_t size = pts_level_size(l->level);
	char pfn[48], flags[512], count[40], mc[16], folio[32];
	const char *c = "";

	if (!(l->flags & PTSCOPE_F_PRESENT))
		c = w->yellow;
	else if (l->level != PTSCOPE_LVL_PTE)
		c = w->magenta;
	else if (l->flags & PTSCOPE_F_ZERO_PAGE)
		c = w->dim;
	if (w->coalesce)
		snprintf(count, sizeof(count), "%7llu x %-4s",
			 (unsigned long long)l->count, ref_sz(size));
	else
		snprintf(count, sizeof(count), "%4s", ref_sz(size));
	if (l->mapcount)
		snprintf(mc, sizeof(mc), "%u", l->mapcount);
	else
		snprintf(mc, sizeof(mc), "-");
	fprintf(w->f, "%s    0x%016llx %s %-4s 0x%016llx %-12s %4s %-8s %s", c,
		(unsigned long long)l->va, count, pts_level_name(l->level),
		(unsigned long long)l->entry, ref_pfn_col(l, pfn, sizeof(pfn)), mc,
		pts_folio_str(l, folio, sizeof(folio)),
		pts_flags_str(l->flags, flags, sizeof(flags)));
	if (l->pkey)
		fprintf(w->f, " pkey=%u", l->pkey);
	fprintf(w->f, "%s\n", *c ? w->reset : "");
}

/* EXPLAIN: NULL without -v, else the explanation's JSON or "null". */
static void ref_json_leaf(const struct ref_out *w, const struct ptscope_leaf *l,
			  const char *explain)
{
	uint64_t f = l->flags & ~PTSCOPE_F_PFN_VALID;
	const char *sep = "";
	int i;

	fprintf(w->f, "{\"va\":\"0x%llx\",\"size\":%llu,\"count\":%llu,\"level\":\"%s\","
		"\"entry\":\"0x%llx\",\"pfn\":", (unsigned long long)l->va,
		(unsigned long long)pts_level_size(l->level),
		(unsigned long long)l->count, pts_level_name(l->level),
		(unsigned long long)l->entry);
	if (l->flags & PTSCOPE_F_PFN_VALID)
		fprintf(w->f, "%llu", (unsigned long long)l->pfn);
	else
		fputs("null", w->f);
	fprintf(w->f, ",\"present\":%s,\"flags\":[",
		l->flags & PTSCOPE_F_PRESENT ? "true" : "false");
	for (i = 0; f; i++, f >>= 1) {
		const char *name = f & 1 ? pts_flag_name(1ULL << i) : NULL;

		if (name) {
			fprintf(w->f, "%s\"%s\"", sep, name);
			sep = ",";
		}
	}
	fputs("],\"swap\":", w->f);
	if (l->flags & PTSCOPE_F_SWAP)
		fprintf(w->f, "{\"type\":%u,\"offset\":%llu}", l->swap_type,
			(unsigned long long)l->swap_offset);
	else
		fputs("null", w->f);
	fputs(",\"folio\":", w->f);
	if (l->flags & PTSCOPE_F_FOLIO)
		fprintf(w->f, "{\"pfn\":%llu,\"size\":%llu}", (unsigned long long)l->folio_pfn,
			(unsigned long long)pts_folio_size(l));
	else
		fputs("null", w->f);
	fprintf(w->f, ",\"mapcount\":%u,\"pkey\":%u,\"vma\":%s", l->mapcount,
		l->pkey, w->vma_json ? w->vma_json : "null");
	if (w->region_json)
		fprintf(w->f, ",\"region\":%s", w->region_json);
	if (explain)
		fprintf(w->f, ",\"explain\":%s", explain);
	fputs("}\n", w->f);
}

#endif /* WALKFMT_REF_H */
