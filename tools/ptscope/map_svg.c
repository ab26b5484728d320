// SPDX-License-Identifier: GPL-2.0
/*
 * ptscope map PID --svg FILE
 *
 * An SVG picture of the address space.  On top, the whole space as one
 * ribbon with the gaps between VMAs compressed (and their sizes written
 * under it).  Below, one block per VMA, drawn to scale as a grid of
 * cells (one cell = a fixed power-of-two number of pages, chosen so the
 * picture stays a readable size), each cell coloured by what its pages
 * are: private, shareable, huge, swapped, zero page, special; paler when
 * only some of its pages are present.
 *
 * Memory: the cells of one VMA at a time, plus a small summary per VMA
 * for the ribbon; the blocks are written to a temporary file as the walk
 * goes, and the picture is assembled when the height is known.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

const struct cli_cmd cli_cmd_map = {
	.name = "map",
	.run = cmd_map,
	.args = "PID --svg FILE",
	.summary = "draw the address space as an SVG picture",
	.help =
	"Draws the address space of process PID into FILE (\"-\": standard\n"
	"output) as SVG: an overview ribbon of the whole space with the gaps\n"
	"between VMAs compressed (gap sizes written below it), then one block\n"
	"per VMA with its range, permissions, backing and residency, and a grid\n"
	"of cells drawn to scale (one cell = 4K or a larger power of two for\n"
	"big processes) coloured by page state: private (mapcount 1),\n"
	"shareable (mapcount > 1), huge page, swapped out, shared zero page,\n"
	"special frame, or not present.  Each VMA is one <g class=\"vma\">\n"
	"element with data-start, data-end, data-perm, data-backing, data-name,\n"
	"and data-resident/-private/-shareable/-huge/-swap (bytes).\n"
	"View it in a browser, or: rsvg-convert -o map.png map.svg\n"
	"\n"
	"Options:\n"
	"      --svg FILE   where to write the picture (required)\n"
	"  -j, --json       report what was written as JSON\n"
	"\n"
	"Examples:\n"
	"  ptscope map 1234 --svg /tmp/map.svg\n"
	"  ptscope map $$ --svg - | rsvg-convert -o map.png\n",
};

#define W		1200
#define CPR		64		/* cells per row */
#define PITCH		11
#define CELL		10
#define GX		472		/* grid x: the cell pattern starts here */
#define LABEL_X		26
#define HEAD_H		226
#define BLOCK_MIN_H	46
#define COMPACT_H	15		/* one label line, beyond COMPACT_VMAS */
#define COMPACT_VMAS	120
#define GAP_H		18
#define CELL_BUDGET	8192		/* cells in the whole picture, roughly */
#define MAX_VMA_CELLS	65536
#define PAGE		4096ULL

enum cat { K_PRIV, K_SHARED, K_HUGE, K_SWAP, K_ZERO, K_SPECIAL, K_NR };

static const char *const cat_color[K_NR] = {
	[K_PRIV] = "#2e7d32", [K_SHARED] = "#1e88e5", [K_HUGE] = "#8e24aa",
	[K_SWAP] = "#ef6c00", [K_ZERO] = "#9e9e9e", [K_SPECIAL] = "#6d4c41",
};

static const char *const cat_label[K_NR] = {
	[K_PRIV] = "private (mapcount 1)",
	[K_SHARED] = "shareable (mapcount > 1)",
	[K_HUGE] = "huge page (2M/1G entry)",
	[K_SWAP] = "swapped out",
	[K_ZERO] = "shared zero page",
	[K_SPECIAL] = "special frame (vvar, PFN map)",
};

#define NOT_PRESENT_COLOR	"#e3e8ed"

static const char *backing_color(unsigned int b)
{
	switch (b) {
	case PTSCOPE_BACK_FILE:		return "#3949ab";
	case PTSCOPE_BACK_ANON:		return "#43a047";
	case PTSCOPE_BACK_HEAP:		return "#f9a825";
	case PTSCOPE_BACK_STACK:	return "#e53935";
	case PTSCOPE_BACK_SHMEM:	return "#00897b";
	case PTSCOPE_BACK_HUGETLB:	return "#8e24aa";
	case PTSCOPE_BACK_PFNMAP:	return "#6d4c41";
	default:			return "#757575";
	}
}

struct cell {
	uint32_t n[K_NR];		/* pages of each kind */
};

struct vsum {
	uint64_t start, end, resident;
	uint32_t backing;
};

struct svg_ctx {
	FILE *body;
	uint64_t cell_bytes;
	bool compact;			/* many VMAs: one label line each */
	double y;			/* top of the next block */
	struct ptscope_vma vma;
	bool have_vma;
	struct cell *cells;
	size_t ncells;
	uint64_t cnt[K_NR];		/* bytes of the current VMA */
	struct vsum *vs;		/* every VMA, for the ribbon */
	size_t nvs, vcap;
	uint64_t tot[K_NR], mapped;
	int err;
};

/*
 * XML text: escape markup and replace what XML 1.0 cannot hold (control
 * characters, malformed UTF-8 in file names) with '?'.
 */
static void xml_put(FILE *f, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + len;

	while (p < e && *p) {
		unsigned char c = *p;
		int n = 0, i;

		if (c < 0x80) {
			switch (c) {
			case '&': fputs("&amp;", f); break;
			case '<': fputs("&lt;", f); break;
			case '>': fputs("&gt;", f); break;
			case '"': fputs("&quot;", f); break;
			case '\'': fputs("&apos;", f); break;
			default:
				fputc(c < 0x20 && c != '\n' && c != '\t' ? '?' : c, f);
			}
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 2;
		else if (c >= 0xe0 && c <= 0xef)
			n = 3;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 4;
		if (n && p + n <= e) {
			for (i = 1; i < n; i++)
				if ((p[i] & 0xc0) != 0x80)
					n = 0;
		} else {
			n = 0;
		}
		if (n == 3 && ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] > 0x9f) ||
			       (c == 0xef && p[1] == 0xbf && p[2] >= 0xbe)))
			n = 0;		/* overlong, surrogate, U+FFFE/FFFF */
		if (n == 4 && ((c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] > 0x8f)))
			n = 0;
		if (!n) {
			fputc('?', f);
			p++;
			continue;
		}
		fwrite(p, 1, n, f);
		p += n;
	}
}

static void xml_str(FILE *f, const char *s)
{
	xml_put(f, s, strlen(s));
}

/* The last MAX bytes of a long name (the file name matters most). */
static void xml_tail(FILE *f, const char *s, size_t max)
{
	size_t len = strlen(s);

	if (len <= max) {
		xml_put(f, s, len);
		return;
	}
	s += len - max;
	while ((*s & 0xc0) == 0x80)	/* not in the middle of a character */
		s++;
	fputs("\xe2\x80\xa6", f);	/* … */
	xml_str(f, s);
}

static enum cat leaf_cat(const struct svg_ctx *m, const struct ptscope_leaf *l)
{
	uint32_t mc;

	if (!(l->flags & PTSCOPE_F_PRESENT))
		return l->flags & PTSCOPE_F_SWAP ? K_SWAP : K_NR;
	if (l->flags & PTSCOPE_F_ZERO_PAGE)
		return K_ZERO;
	if (l->level != PTSCOPE_LVL_PTE || m->vma.backing == PTSCOPE_BACK_HUGETLB)
		return K_HUGE;
	mc = cli_mapcount(l, NULL);
	if (!mc)
		return K_SPECIAL;
	return mc == 1 ? K_PRIV : K_SHARED;
}

static void account(struct svg_ctx *m, const struct ptscope_leaf *l)
{
	uint64_t size = pts_level_size(l->level), s, e, c, c_end;
	enum cat k = leaf_cat(m, l);

	if (k == K_NR || !m->have_vma)
		return;
	s = l->va > m->vma.start ? l->va : m->vma.start;
	e = l->va + size * l->count;
	if (e > m->vma.end || e < l->va)
		e = m->vma.end;
	if (e <= s)
		return;
	m->cnt[k] += e - s;
	c_end = (e - 1 - m->vma.start) / m->cell_bytes;
	for (c = (s - m->vma.start) / m->cell_bytes; c <= c_end && c < m->ncells; c++) {
		uint64_t cs = m->vma.start + c * m->cell_bytes;
		uint64_t ce = cs + m->cell_bytes;
		uint64_t a = s > cs ? s : cs, b = e < ce ? e : ce;

		m->cells[c].n[k] += (b - a) / PAGE;
	}
}

static int start_vma(struct svg_ctx *m, const struct ptscope_vma *v)
{
	uint64_t n = (v->end - v->start + m->cell_bytes - 1) / m->cell_bytes;

	memcpy(&m->vma, v, sizeof(m->vma));
	m->vma.name[sizeof(m->vma.name) - 1] = '\0';
	m->have_vma = true;
	if (n > MAX_VMA_CELLS)
		n = MAX_VMA_CELLS;
	m->ncells = n;
	free(m->cells);
	m->cells = calloc(n ? n : 1, sizeof(*m->cells));
	memset(m->cnt, 0, sizeof(m->cnt));
	if (!m->cells)
		return -ENOMEM;
	if (m->nvs == m->vcap) {
		size_t cap = m->vcap ? 2 * m->vcap : 64;
		struct vsum *vs = realloc(m->vs, cap * sizeof(*vs));

		if (!vs)
			return -ENOMEM;
		m->vs = vs;
		m->vcap = cap;
	}
	m->vs[m->nvs++] = (struct vsum){ v->start, v->end, 0, v->backing };
	return 0;
}

static double opacity(uint64_t present, uint64_t pages)
{
	double f = pages ? (double)present / pages : 1;

	return f > 0.75 ? 1.0 : f > 0.5 ? 0.8 : f > 0.25 ? 0.6 : 0.4;
}

/* One cell's look: kind (K_NR: empty) and opacity. */
static enum cat cell_look(const struct svg_ctx *m, size_t c, double *op)
{
	const struct cell *x = &m->cells[c];
	uint64_t cs = m->vma.start + c * m->cell_bytes;
	uint64_t ce = cs + m->cell_bytes > m->vma.end ? m->vma.end : cs + m->cell_bytes;
	uint64_t sum = 0;
	enum cat best = K_NR;
	int k;

	for (k = 0; k < K_NR; k++) {
		sum += x->n[k];
		if (x->n[k] && (best == K_NR || x->n[k] > x->n[best]))
			best = k;
	}
	*op = opacity(sum, (ce - cs) / PAGE);
	return best;
}

static void stat_line(FILE *f, const uint64_t *cnt, uint64_t size)
{
	uint64_t res = cnt[K_PRIV] + cnt[K_SHARED] + cnt[K_HUGE];

	const char *sep = ": ";
	int k;

	fprintf(f, "resident %s of %s (%.0f%%)", sz0(res), sz(size),
		size ? 100.0 * res / size : 0.0);
	for (k = K_PRIV; k <= K_HUGE; k++) {
		static const char *const what[] = { "private", "shareable", "huge" };

		if (cnt[k]) {
			fprintf(f, "%s%s %s", sep, sz(cnt[k]), what[k]);
			sep = ", ";
		}
	}
	if (cnt[K_SWAP])
		fprintf(f, "; %s swapped", sz(cnt[K_SWAP]));
	if (cnt[K_ZERO])
		fprintf(f, "; %s zero page", sz(cnt[K_ZERO]));
	if (cnt[K_SPECIAL])
		fprintf(f, "; %s special", sz(cnt[K_SPECIAL]));
}

/* Write the current VMA's block (and the gap before it) to the body. */
static void flush_vma(struct svg_ctx *m)
{
	const struct ptscope_vma *v = &m->vma;
	uint64_t size = v->end - v->start, res;
	FILE *f = m->body;
	size_t rows, r, c;
	double gy, h;
	char perm[5];
	int k;

	if (!m->have_vma)
		return;
	m->have_vma = false;
	res = m->cnt[K_PRIV] + m->cnt[K_SHARED] + m->cnt[K_HUGE];
	m->vs[m->nvs - 1].resident = res;
	for (k = 0; k < K_NR; k++)
		m->tot[k] += m->cnt[k];
	m->mapped += size;

	if (m->nvs > 1 && v->start > m->vs[m->nvs - 2].end) {
		double mid = m->y + GAP_H / 2.0;

		fprintf(f, "<g class=\"gap\"><line x1=\"190\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
			"stroke=\"#b0bec5\" stroke-dasharray=\"4 3\"/>"
			"<text x=\"%d\" y=\"%.1f\" class=\"gap\">gap: %s unmapped</text></g>\n",
			mid, W - 20, mid, LABEL_X, mid + 4,
			sz(v->start - m->vs[m->nvs - 2].end));
		m->y += GAP_H;
	}
	rows = (m->ncells + CPR - 1) / CPR;
	gy = PITCH * (double)(long)((m->y + (m->compact ? 2 : 4) + PITCH - 1) / PITCH);
	h = gy - m->y + rows * PITCH + (m->compact ? 1 : 3);
	if (h < (m->compact ? COMPACT_H : BLOCK_MIN_H))
		h = m->compact ? COMPACT_H : BLOCK_MIN_H;

	fprintf(f, "<g class=\"vma\" data-start=\"0x%llx\" data-end=\"0x%llx\" "
		"data-perm=\"%s\" data-backing=\"%s\" data-name=\"",
		(unsigned long long)v->start, (unsigned long long)v->end,
		pts_vma_perm(v, perm), pts_backing_name(v->backing));
	xml_str(f, v->name);
	fprintf(f, "\" data-resident=\"%llu\" data-private=\"%llu\" "
		"data-shareable=\"%llu\" data-huge=\"%llu\" data-swap=\"%llu\">\n",
		(unsigned long long)res, (unsigned long long)m->cnt[K_PRIV],
		(unsigned long long)m->cnt[K_SHARED], (unsigned long long)m->cnt[K_HUGE],
		(unsigned long long)m->cnt[K_SWAP]);
	fprintf(f, "<title>0x%llx-0x%llx %s %s %s ", (unsigned long long)v->start,
		(unsigned long long)v->end, perm, sz(size), pts_backing_name(v->backing));
	xml_str(f, v->name);
	fputs("&#10;", f);
	stat_line(f, m->cnt, size);
	fputs("</title>\n", f);
	fprintf(f, "<rect x=\"16\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" class=\"blk\"/>"
		"<rect x=\"16\" y=\"%.1f\" width=\"5\" height=\"%.1f\" fill=\"%s\"/>\n",
		m->y, W - 32, h - 2, m->y, h - 2, backing_color(v->backing));
	if (m->compact) {
		fprintf(f, "<text x=\"%d\" y=\"%.1f\" class=\"small\"><tspan class=\"mono\">"
			"%012llx %s %5s</tspan> <tspan font-weight=\"bold\" fill=\"%s\">%s"
			"</tspan> ", LABEL_X, m->y + 11, (unsigned long long)v->start, perm,
			sz(size), backing_color(v->backing), pts_backing_name(v->backing));
		xml_tail(f, v->name, 36);
		fputs("</text>\n", f);
		goto grid;
	}
	fprintf(f, "<text x=\"%d\" y=\"%.1f\" class=\"mono\">%012llx-%012llx %s %s</text>\n",
		LABEL_X, m->y + 14, (unsigned long long)v->start,
		(unsigned long long)v->end, perm, sz(size));
	fprintf(f, "<text x=\"%d\" y=\"%.1f\" class=\"lbl\"><tspan font-weight=\"bold\" "
		"fill=\"%s\">%s</tspan> ", LABEL_X, m->y + 28, backing_color(v->backing),
		pts_backing_name(v->backing));
	xml_tail(f, v->name, 54);
	fprintf(f, "</text>\n<text x=\"%d\" y=\"%.1f\" class=\"small\">", LABEL_X, m->y + 41);
	stat_line(f, m->cnt, size);
	fputs("</text>\n", f);
grid:
	/* the not-present background, as a grid of cells */
	if (rows > 1)
		fprintf(f, "<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%zu\" "
			"fill=\"url(#cells)\"/>\n", GX, gy, CPR * PITCH, (rows - 1) * PITCH);
	fprintf(f, "<rect x=\"%d\" y=\"%.1f\" width=\"%zu\" height=\"%d\" "
		"fill=\"url(#cells)\"/>\n", GX, gy + (rows - 1) * PITCH,
		(m->ncells - (rows - 1) * CPR) * PITCH, PITCH);
	/* present cells, runs of equal look merged */
	for (r = 0; r < rows; r++) {
		size_t first = r * CPR, last = first + CPR;

		if (last > m->ncells)
			last = m->ncells;
		for (c = first; c < last;) {
			double op, op2;
			enum cat k1 = cell_look(m, c, &op);
			size_t n = 1;

			while (c + n < last && cell_look(m, c + n, &op2) == k1 && op2 == op)
				n++;
			if (k1 != K_NR)
				fprintf(f, "<rect x=\"%zu\" y=\"%.1f\" width=\"%zu\" "
					"height=\"%d\" fill=\"%s\"%s%s%s/>\n",
					GX + (c - first) * PITCH, gy + r * PITCH,
					n * PITCH - (PITCH - CELL), CELL, cat_color[k1],
					op < 1 ? " fill-opacity=\"" : "",
					op < 1 ? (op > 0.7 ? "0.8" : op > 0.5 ? "0.6" : "0.4") : "",
					op < 1 ? "\"" : "");
			c += n;
		}
	}
	fputs("</g>\n", f);
	m->y += h;
	if (ferror(f))
		m->err = errno ? -errno : -EIO;
}

/* The overview ribbon: VMAs to scale, gaps compressed. */
static void ribbon(FILE *f, const struct svg_ctx *m)
{
	const double x0 = 20, rw = W - 40, ry = 106, rh = 26;
	double gapw = 14, minw = 2, fixed, extra, x = x0, last_label = -1e9;
	uint64_t total = 0;
	size_t i, ngaps = 0;

	for (i = 0; i < m->nvs; i++) {
		total += m->vs[i].end - m->vs[i].start;
		if (i && m->vs[i].start > m->vs[i - 1].end)
			ngaps++;
	}
	fixed = m->nvs * minw + ngaps * gapw;
	if (fixed > rw / 2) {
		minw *= rw / 2 / fixed;
		gapw *= rw / 2 / fixed;
	}
	extra = rw - m->nvs * minw - ngaps * gapw;
	fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" class=\"h2\">The whole address space, "
		"low to high addresses: VMAs to scale, the gaps between them "
		"compressed (sizes below); bar height = resident share</text>\n",
		x0, ry - 8);
	fprintf(f, "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" "
		"fill=\"#f5f5f5\"/>\n", x0, ry, rw, rh);
	for (i = 0; i < m->nvs; i++) {
		const struct vsum *v = &m->vs[i];
		uint64_t size = v->end - v->start;
		double w = minw + (total ? extra * size / total : 0);
		double fh = size ? rh * (double)v->resident / size : 0;

		if (i && v->start > m->vs[i - 1].end) {
			double mx = x + gapw / 2;

			fprintf(f, "<path class=\"ribbon-gap\" d=\"M%.1f %.1f l%.1f %.1f "
				"M%.1f %.1f l%.1f %.1f\" stroke=\"#90a4ae\" fill=\"none\"/>\n",
				mx - gapw * 0.3, ry + rh, gapw * 0.3, -rh,
				mx, ry + rh, gapw * 0.3, -rh);
			if (mx - last_label > 44) {
				fprintf(f, "<text x=\"%.1f\" y=\"%.0f\" class=\"tick\" "
					"text-anchor=\"middle\">%s</text>\n", mx,
					ry + rh + 12, sz(v->start - m->vs[i - 1].end));
				last_label = mx;
			}
			x += gapw;
		}
		fprintf(f, "<rect class=\"ribbon-vma\" x=\"%.2f\" y=\"%.0f\" width=\"%.2f\" "
			"height=\"%.0f\" fill=\"%s\" fill-opacity=\"0.3\"/>",
			x, ry, w, rh, backing_color(v->backing));
		if (fh > 0)
			fprintf(f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" "
				"fill=\"%s\"/>", x, ry + rh - fh, w, fh,
				backing_color(v->backing));
		fputc('\n', f);
		x += w;
	}
	if (m->nvs) {
		fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" class=\"tick\">0x%llx</text>\n",
			x0, ry + rh + 24, (unsigned long long)m->vs[0].start);
		fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" class=\"tick\" text-anchor=\"end\">"
			"0x%llx</text>\n", x0 + rw, ry + rh + 24,
			(unsigned long long)m->vs[m->nvs - 1].end);
	}
}

static void legend(FILE *f, const struct svg_ctx *m)
{
	static const struct { unsigned int b; const char *name; } backs[] = {
		{ PTSCOPE_BACK_FILE, "file" }, { PTSCOPE_BACK_ANON, "anon" },
		{ PTSCOPE_BACK_HEAP, "heap" }, { PTSCOPE_BACK_STACK, "stack" },
		{ PTSCOPE_BACK_SHMEM, "shmem" }, { PTSCOPE_BACK_HUGETLB, "hugetlb" },
		{ PTSCOPE_BACK_VDSO, "vdso/vvar/special" },
	};
	double x = 20, y = 176;
	size_t i;
	int k;

	fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" class=\"lbl\" font-weight=\"bold\">"
		"Page state:</text>\n", x, y + 10);
	x += 78;
	for (k = 0; k <= K_NR; k++) {
		const char *c = k < K_NR ? cat_color[k] : NOT_PRESENT_COLOR;
		const char *l = k < K_NR ? cat_label[k] : "not present";

		fprintf(f, "<rect x=\"%.0f\" y=\"%.0f\" width=\"%d\" height=\"%d\" "
			"fill=\"%s\"/><text x=\"%.0f\" y=\"%.0f\" class=\"lbl\">%s</text>\n",
			x, y + 1, CELL, CELL, c, x + 14, y + 10, l);
		x += 14 + strlen(l) * 6.6 + 12;
	}
	x = 20;
	y += 18;
	fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" class=\"lbl\" font-weight=\"bold\">"
		"Backing:</text>\n", x, y + 10);
	x += 78;
	for (i = 0; i < sizeof(backs) / sizeof(backs[0]); i++) {
		fprintf(f, "<rect x=\"%.0f\" y=\"%.0f\" width=\"5\" height=\"%d\" "
			"fill=\"%s\"/><text x=\"%.0f\" y=\"%.0f\" class=\"lbl\">%s</text>\n",
			x, y + 1, CELL, backing_color(backs[i].b), x + 9, y + 10,
			backs[i].name);
		x += 9 + strlen(backs[i].name) * 6.6 + 12;
	}
	fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" class=\"small\">A paler cell: only some "
		"of its pages are present.  One cell = %s; %d cells per row = %s.</text>\n",
		x + 10, y + 10, sz(m->cell_bytes), CPR, sz(m->cell_bytes * CPR));
}

static int write_svg(FILE *out, struct svg_ctx *m, const struct ptscope_header *h)
{
	uint64_t res = m->tot[K_PRIV] + m->tot[K_SHARED] + m->tot[K_HUGE];
	double height = m->y + 30;
	char buf[65536];
	size_t n;

	fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%.0f\" "
		"viewBox=\"0 0 %d %.0f\" font-family=\"DejaVu Sans, Verdana, sans-serif\">\n",
		W, height, W, height);
	fprintf(out, "<defs><pattern id=\"cells\" x=\"%d\" y=\"0\" width=\"%d\" height=\"%d\" "
		"patternUnits=\"userSpaceOnUse\"><rect width=\"%d\" height=\"%d\" "
		"fill=\"%s\"/></pattern>\n<style>\n"
		"text{fill:#263238;font-size:11px}\n"
		".title{font-size:20px;font-weight:bold}\n"
		".h2{font-size:12px;font-weight:bold}\n"
		".mono{font-family:'DejaVu Sans Mono',monospace;font-size:11px}\n"
		".small{font-size:10px;fill:#546e7a}\n"
		".tick{font-size:9.5px;fill:#546e7a}\n"
		".gap{font-size:10px;fill:#78909c;font-style:italic}\n"
		".blk{fill:#fafbfc;stroke:#e0e4e8}\n"
		"</style></defs>\n", GX, PITCH, PITCH, CELL, CELL, NOT_PRESENT_COLOR);
	fprintf(out, "<rect width=\"%d\" height=\"%.0f\" fill=\"#ffffff\"/>\n", W, height);
	fprintf(out, "<text x=\"20\" y=\"32\" class=\"title\">ptscope map: pid %u (", h->pid);
	xml_str(out, h->comm);
	fprintf(out, ")</text>\n<text x=\"20\" y=\"54\" class=\"h2\">%zu VMAs, %s mapped; "
		"%s resident: %s private, %s shareable, %s in huge pages; %s swapped; "
		"%s zero page</text>\n", m->nvs, sz0(m->mapped), sz0(res),
		sz0(m->tot[K_PRIV]), sz0(m->tot[K_SHARED]), sz0(m->tot[K_HUGE]),
		sz0(m->tot[K_SWAP]), sz0(m->tot[K_ZERO]));
	fprintf(out, "<text x=\"20\" y=\"72\" class=\"small\">%u-level paging; read from "
		"the live page tables by the ptscope module.  Resident = mapped by a "
		"present entry (zero page and special frames excluded, as in RSS).</text>\n",
		h->paging_levels);
	ribbon(out, m);
	legend(out, m);
	fprintf(out, "<text x=\"20\" y=\"%d\" class=\"h2\">%s</text>\n", HEAD_H - 8,
		m->compact ? "Each VMA: start, permissions, size, backing, name (hover: more)" :
		"Each VMA: range, permissions, size / backing, name / residency");
	fprintf(out, "<text x=\"%d\" y=\"%d\" class=\"h2\">Its pages, to scale: one cell "
		"= %s, low addresses first</text>\n", GX, HEAD_H - 8, sz(m->cell_bytes));

	rewind(m->body);
	while ((n = fread(buf, 1, sizeof(buf), m->body)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			return -errno;
	if (ferror(m->body))
		return -EIO;
	fprintf(out, "<text x=\"20\" y=\"%.0f\" class=\"small\">ptscope %s</text>\n"
		"</svg>\n", height - 10, PTSCOPE_CLI_VERSION);
	return ferror(out) ? -EIO : 0;
}

/*
 * Cell size: a power of two of pages keeping the picture near CELL_BUDGET;
 * and whether there are so many VMAs that each gets a single label line.
 */
static uint64_t choose_cell(int pid, uint64_t task_size, bool *compact)
{
	uint64_t pages = 0, vmas = 0, cell = PAGE;
	char path[64], line[512];
	unsigned long long s, e;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return 512 * PAGE;
	while (fgets(line, sizeof(line), f)) {
		size_t len = strlen(line);

		while (len && line[len - 1] != '\n' && fgets(line, sizeof(line), f))
			len = strlen(line);
		if (sscanf(line, "%llx-%llx", &s, &e) == 2 && e > s && e <= task_size) {
			pages += (e - s) / PAGE;
			vmas++;
		}
	}
	fclose(f);
	*compact = vmas > COMPACT_VMAS;
	/* sum of ceil(pages/cell) <= pages/cell + vmas */
	while (pages / (cell / PAGE) + vmas > CELL_BUDGET && cell < (1ULL << 40))
		cell <<= 1;
	return cell;
}

int cmd_map(int argc, char **argv)
{
	enum { OPT_SVG = OPT_FIRST_LOCAL };
	static const struct option longopts[] = {
		{ "svg", required_argument, NULL, OPT_SVG },
		CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	static const char *const args[] = { "PID", NULL };
	const struct cli_cmd *cmd = &cli_cmd_map;
	const struct ptscope_rec_hdr *rec;
	struct svg_ctx m = { 0 };
	const char *file = NULL;
	struct cli_stream st;
	int c, ret, pid, rc = CLI_OK;
	bool to_stdout;
	FILE *out;

	while ((c = getopt_long(argc, argv, CLI_COMMON_SHORTOPTS, longopts,
				NULL)) != -1) {
		if (c == OPT_SVG) {
			file = optarg;
			continue;
		}
		ret = cli_common_opt(c, optarg, cmd);
		if (ret >= 0)
			return ret;
	}
	ret = cli_want_args(cmd, argc, argv, args);
	if (ret)
		return ret;
	ret = cli_parse_pid(cmd, argv[optind], &pid);
	if (ret)
		return ret;
	if (!file || !*file)
		return cli_usage_err(cmd, "missing --svg FILE (\"-\" for standard output)");
	to_stdout = !strcmp(file, "-");

	cli_self_frames_init();
	ret = cli_stream_open(&st, pid, "%s", "");
	if (ret) {
		cli_self_frames_free();
		return ret;
	}
	m.cell_bytes = choose_cell(pid, st.hdr.task_size, &m.compact);
	m.y = HEAD_H;
	m.body = tmpfile();
	if (!m.body) {
		cli_err("cannot create a temporary file: %s", strerror(errno));
		cli_stream_close(&st);
		return CLI_ERR;
	}
	while ((ret = cli_stream_next(&st, &rec)) > 0 && !m.err) {
		if (rec->type == PTSCOPE_REC_VMA) {
			flush_vma(&m);
			m.err = start_vma(&m, (const void *)rec);
		} else if (rec->type == PTSCOPE_REC_LEAF) {
			account(&m, (const void *)rec);
		}
	}
	cli_stream_close(&st);
	cli_self_frames_free();
	if (ret < 0) {
		rc = st.rc;
		goto out;
	}
	flush_vma(&m);
	if (m.err) {
		cli_err("building the picture: %s", strerror(-m.err));
		rc = CLI_ERR;
		goto out;
	}
	out = to_stdout ? stdout : fopen(file, "we");
	if (!out) {
		cli_err("cannot write %s: %s", file, strerror(errno));
		rc = CLI_ERR;
		goto out;
	}
	ret = write_svg(out, &m, &st.hdr);
	if (!to_stdout && fclose(out) && !ret)
		ret = -errno;
	if (ret) {
		cli_err("writing %s: %s", file, strerror(-ret));
		if (!to_stdout)
			unlink(file);
		rc = CLI_ERR;
		goto out;
	}
	if (to_stdout)
		goto out;
	if (cli.json) {
		json_object *o = json_object_new_object();

		jset(o, "file", json_object_new_string(file));
		jset(o, "pid", json_object_new_int(st.hdr.pid));
		jset(o, "vmas", json_object_new_int64(m.nvs));
		jset(o, "cell_bytes", json_object_new_int64(m.cell_bytes));
		jset(o, "height", json_object_new_int64((int64_t)m.y + 30));
		cli_json_print(o, true);
	} else {
		printf("wrote %s: pid %u (%s), %zu VMAs, one cell = %s\n", file,
		       st.hdr.pid, st.hdr.comm, m.nvs, sz(m.cell_bytes));
	}
out:
	fclose(m.body);
	free(m.cells);
	free(m.vs);
	return rc;
}
