// SPDX-License-Identifier: GPL-2.0
/*
 * The picture of `ptscope trace --svg FILE` (trace_svg.h).
 *
 * Time runs across, addresses up.  Only the address ranges where faults
 * happened are drawn: the faulting pages, sorted, are cut into ranges at
 * their biggest gaps (at least TSVG_MIN_FOLD, as many as the height
 * allows); each range is a band with a linear address scale, its first
 * and last address written on the left, what it holds on the right, and
 * every gap between two bands folded and labelled with its size.  The
 * bands' heights follow the square root of the pages that faulted in
 * them, with a minimum that holds two labels.
 *
 * One mark per fault, coloured by class; the marks of one class that
 * fall on the same TSVG_Q x TSVG_Q pixels are drawn once (they would
 * cover each other anyway), so the file stays bounded by the plot's area.
 * The rarest classes are drawn last, on top.
 *
 * Memory: the events kept (at most CAP, 24 bytes each; past CAP a uniform
 * random sample of all of them, "reservoir sampling", so the picture
 * still covers the whole trace) and at the end one 16-bit mask per
 * TSVG_Q x TSVG_Q cell of the plot.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "libptscope.h"
#include "trace_svg.h"

#define FS		18.0		/* the smallest text, px */
#define EM		0.62		/* text width per character, in em */
#define MARGIN		20.0
#define LEFT_W		210.0		/* address labels */
#define RIGHT_W		360.0		/* what a band holds */
#define MIN_BAND	48.0		/* two labels */
#define GAP_H		30.0		/* a fold between two bands */
#define MAX_BANDS	16
#define TSVG_MIN_FOLD	(256ULL << 10)	/* smaller gaps stay inside a band */
#define TSVG_Q		2		/* mark grid, px */
#define MARK		4.0		/* mark size, px */
#define PAGE_MASK_4K	(~0xfffULL)

static const char *const class_color[CL_NR] = {
	[CL_DEMAND_ZERO] = "#2e7d32", [CL_ZERO_PAGE] = "#9ccc65", [CL_COW] = "#d50000",
	[CL_WP_REUSE] = "#ff6f00", [CL_FILE] = "#1e88e5", [CL_FILE_MAJOR] = "#1a237e",
	[CL_FAULT_AROUND] = "#00bfa5", [CL_SWAP_IN] = "#8e24aa", [CL_THP] = "#f9a825",
	[CL_NUMA_HINT] = "#6d4c41", [CL_UFFD] = "#ad1457", [CL_RETRY] = "#9e9e9e",
	[CL_SPURIOUS] = "#78909c", [CL_ERROR] = "#000000", [CL_OTHER] = "#827717",
};

static const char *const backing_word[FT_BACK_OTHER + 1] = {
	[0] = "?", [FT_BACK_ANON] = "anon", [FT_BACK_FILE] = "file",
	[FT_BACK_SHMEM] = "shmem", [FT_BACK_STACK] = "stack",
	[FT_BACK_HUGETLB] = "hugetlb", [FT_BACK_OTHER] = "special",
};

void tsvg_init(struct tsvg *s, size_t cap)
{
	memset(s, 0, sizeof(*s));
	s->cap = cap ? cap : TSVG_MAX_EVENTS;
	s->rnd = 0x9e3779b97f4a7c15ULL;
}

void tsvg_free(struct tsvg *s)
{
	free(s->ev);
	s->ev = NULL;
	s->n = s->alloc = 0;
}

/* xorshift64*: the sample's choice, the same on every run. */
static uint64_t rnd_next(struct tsvg *s)
{
	s->rnd ^= s->rnd >> 12;
	s->rnd ^= s->rnd << 25;
	s->rnd ^= s->rnd >> 27;
	return s->rnd * 0x2545f4914f6cdd1dULL;
}

int tsvg_add(struct tsvg *s, uint64_t t_ns, uint64_t addr, int cls, int backing)
{
	struct tsvg_ev e = { .t_ns = t_ns, .addr = addr,
			     .cls = cls >= 0 && cls < CL_NR ? cls : CL_OTHER,
			     .backing = backing >= 0 && backing <= FT_BACK_OTHER ? backing : 0 };
	uint64_t j;

	s->count[e.cls]++;
	s->seen++;
	if (s->n < s->cap) {
		if (s->n == s->alloc) {
			size_t a = s->alloc ? 2 * s->alloc : 1024;
			struct tsvg_ev *p;

			if (a > s->cap)
				a = s->cap;
			p = realloc(s->ev, a * sizeof(*p));
			if (!p)
				return -ENOMEM;
			s->ev = p;
			s->alloc = a;
		}
		s->ev[s->n++] = e;
		return 0;
	}
	/* Event number SEEN replaces a kept one with probability CAP / SEEN. */
	j = rnd_next(s) % s->seen;
	if (j < s->cap)
		s->ev[j] = e;
	return 0;
}

/* ---- output helpers ------------------------------------------------------ */

/* XML text: markup escaped; control and non-ASCII bytes as '?'. */
static void xml_str(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char c = *s;

		switch (c) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&apos;", f); break;
		default:
			fputc(c < 0x20 || c >= 0x7f ? '?' : c, f);
		}
	}
}

/* Width of S at size FS, a little over DejaVu Sans's (digits and capitals wider). */
static double text_w(const char *s, double fs)
{
	double w = 0;

	for (; *s; s++) {
		unsigned char c = *s;

		if (strchr("mwMW@", c))
			w += 1.0;
		else if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
			w += 0.7;
		else
			w += EM;
	}
	return w * fs;
}

/* <text>, cut with "..." to at most MAXW px wide (0: no limit). */
static void text(FILE *f, double x, double y, double fs, const char *attrs, const char *s,
		 double maxw)
{
	char buf[640];

	snprintf(buf, sizeof(buf), "%s", s);
	if (maxw > 0 && text_w(buf, fs) > maxw) {
		size_t n = strlen(buf);

		while (n > 3 && text_w(buf, fs) > maxw) {
			n--;
			memcpy(buf + n - 3, "...", 4);
		}
	}
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%.0f\"%s%s>", x, y, fs,
		attrs ? " " : "", attrs ? attrs : "");
	xml_str(f, buf);
	fputs("</text>\n", f);
}

static char *size_str(uint64_t bytes, char *buf)
{
	return pts_fmt_size(bytes, buf, 16);
}

/* ---- ranges ------------------------------------------------------------ */

struct band {
	uint64_t start, end;		/* [start, end): first page to last + 4K */
	uint64_t pages;			/* distinct pages with a fault */
	uint64_t faults;		/* events drawn in it */
	uint64_t back[FT_BACK_OTHER + 1];
	double top, bottom;		/* px */
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

struct gap {
	uint64_t size;
	size_t after;			/* index of the page before it */
};

static int cmp_gap(const void *a, const void *b)
{
	const struct gap *x = a, *y = b;

	if (x->size != y->size)
		return x->size < y->size ? 1 : -1;
	return x->after < y->after ? -1 : x->after > y->after;
}

/*
 * The bands of the kept events: at most MAXB, cut at the biggest gaps of
 * TSVG_MIN_FOLD or more.  Returns how many (0 if no event), -ENOMEM.
 */
static int make_bands(const struct tsvg *s, struct band *b, int maxb)
{
	uint64_t *pg;
	struct gap *gaps;
	bool *cut;
	size_t n = s->n, m = 0, ng = 0, i;
	int nb = 0;

	if (!n)
		return 0;
	pg = malloc(n * sizeof(*pg));
	gaps = malloc(n * sizeof(*gaps));
	cut = calloc(n, sizeof(*cut));
	if (!pg || !gaps || !cut) {
		free(pg);
		free(gaps);
		free(cut);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++)
		pg[i] = s->ev[i].addr & PAGE_MASK_4K;
	qsort(pg, n, sizeof(*pg), cmp_u64);
	for (i = 0; i < n; i++)
		if (!m || pg[i] != pg[m - 1])
			pg[m++] = pg[i];
	for (i = 0; i + 1 < m; i++) {
		uint64_t g = pg[i + 1] - pg[i] - 4096;

		if (g >= TSVG_MIN_FOLD)
			gaps[ng++] = (struct gap){ g, i };
	}
	qsort(gaps, ng, sizeof(*gaps), cmp_gap);
	for (i = 0; i < ng && (int)i < maxb - 1; i++)
		cut[gaps[i].after] = true;
	memset(b, 0, maxb * sizeof(*b));
	b[0].start = pg[0];
	for (i = 0; i < m; i++) {
		b[nb].pages++;
		b[nb].end = pg[i] + 4096;
		if (cut[i] && i + 1 < m) {
			nb++;
			b[nb].start = pg[i + 1];
		}
	}
	nb++;
	free(pg);
	free(gaps);
	free(cut);
	return nb;
}

static int band_of(const struct band *b, int nb, uint64_t addr)
{
	int lo = 0, hi = nb - 1;

	addr &= PAGE_MASK_4K;
	while (lo < hi) {
		int mid = (lo + hi + 1) / 2;

		if (b[mid].start <= addr)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

/* "anon", or "file+anon" when a second backing has a fifth of the faults. */
static void band_what(const struct band *b, char *buf, size_t len)
{
	int first = 0, second = 0, k;

	for (k = 1; k <= FT_BACK_OTHER; k++)
		if (b->back[k] > b->back[first])
			first = k;
	for (k = 1; k <= FT_BACK_OTHER; k++)
		if (k != first && b->back[k] > b->back[second])
			second = k;
	if (second && b->back[second] * 5 >= b->faults)
		snprintf(buf, len, "%s+%s", backing_word[first], backing_word[second]);
	else
		snprintf(buf, len, "%s", backing_word[first]);
}

/* ---- the picture --------------------------------------------------------- */

/* A step of 1, 2 or 5 x 10^k giving about 8 ticks over SECS. */
static double tick_step(double secs, int *decimals)
{
	double raw = secs / 8, mag = pow(10, floor(log10(raw))), step;

	if (raw <= 2 * mag)
		step = 2 * mag;
	else if (raw <= 5 * mag)
		step = 5 * mag;
	else
		step = 10 * mag;
	if (raw <= mag)
		step = mag;
	*decimals = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
	return step;
}

int tsvg_write(FILE *f, const struct tsvg *s, const struct tsvg_pic *p,
	       struct tsvg_result *res)
{
	const double W = TSVG_W, H = TSVG_H;
	double px0 = MARGIN + LEFT_W, px1 = W - MARGIN - RIGHT_W, py0, py1, y, x;
	double secs = p->duration_ns / 1e9, step, span;
	struct band b[MAX_BANDS];
	uint16_t *grid = NULL;
	int nb, maxb, i, k, cols, rows, decimals, order[CL_NR], nord = 0;
	uint64_t drawn_cls[CL_NR] = { 0 };
	char buf[600], sz[16];
	size_t e;

	memset(res, 0, sizeof(*res));
	if (secs < 1e-3)
		secs = 1e-3;
	res->drawn = s->n;
	res->dropped = s->seen - s->n;

	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		"viewBox=\"0 0 %d %d\" font-family=\"DejaVu Sans, Verdana, sans-serif\" "
		"data-faults=\"%llu\" data-drawn=\"%zu\" data-dropped=\"%llu\" "
		"data-lost=\"%llu\" data-duration=\"%.9f\">\n",
		TSVG_W, TSVG_H, TSVG_W, TSVG_H, (unsigned long long)s->seen, s->n,
		(unsigned long long)(s->seen - s->n), (unsigned long long)p->lost,
		p->duration_ns / 1e9);
	fprintf(f, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", TSVG_W, TSVG_H);
	snprintf(buf, sizeof(buf), "ptscope trace: %s, %.2f s, %llu fault%s", p->what,
		 p->duration_ns / 1e9, (unsigned long long)s->seen, s->seen == 1 ? "" : "s");
	text(f, MARGIN, 42, 32, "font-weight=\"bold\" class=\"title\"", buf, W - 2 * MARGIN);
	text(f, MARGIN, 74, 20, "class=\"caption\"",
	     "Each fault is a mark at its time (across) and address (up), coloured by its "
	     "class; address ranges with no fault are folded", W - 2 * MARGIN);

	/* the legend: every class seen, with its count (of all faults) */
	y = 108;
	x = MARGIN;
	text(f, x, y, FS, "font-weight=\"bold\" class=\"legend\"", "Class (faults):", 0);
	x += text_w("Class (faults):", FS) + 14;
	for (k = 0; k < CL_NR; k++) {
		double w;

		if (!s->count[k])
			continue;
		snprintf(buf, sizeof(buf), "%s %llu", ft_class_names[k],
			 (unsigned long long)s->count[k]);
		w = 26 + text_w(buf, FS) + 26;
		if (x + w > W - MARGIN) {
			x = MARGIN + 30;
			y += 28;
		}
		fprintf(f, "<g class=\"legend-class\" data-class=\"%s\" data-count=\"%llu\">",
			ft_class_names[k], (unsigned long long)s->count[k]);
		fprintf(f, "<rect class=\"chip\" x=\"%.1f\" y=\"%.1f\" width=\"18\" height=\"18\" "
			"fill=\"%s\"/>", x, y - 15, class_color[k]);
		text(f, x + 26, y, FS, "class=\"legend\"", buf, 0);
		fputs("</g>\n", f);
		x += w;
	}
	if (!s->seen)
		text(f, x, y, FS, "class=\"legend\"", "none", 0);
	y += 28;
	if (s->seen > s->n || p->lost) {
		size_t o = 0;

		if (s->seen > s->n)
			o = snprintf(buf, sizeof(buf), "Drawn: %zu of the %llu faults, a uniform "
				     "sample (%llu not drawn; the legend counts all of them, "
				     "the ranges those drawn)",
				     s->n, (unsigned long long)s->seen,
				     (unsigned long long)(s->seen - s->n));
		if (p->lost)
			snprintf(buf + o, sizeof(buf) - o, "%sthe tracer lost %llu event%s "
				 "(neither drawn nor counted)", o ? "; " : "",
				 (unsigned long long)p->lost, p->lost == 1 ? "" : "s");
		text(f, MARGIN, y, FS, "class=\"note\" fill=\"#b71c1c\"", buf, W - 2 * MARGIN);
		y += 28;
	}
	/* column heads */
	y += 8;
	text(f, px0 - 8, y, FS, "font-weight=\"bold\" text-anchor=\"end\" class=\"head\"",
	     "address", 0);
	text(f, px1 + 12, y, FS, "font-weight=\"bold\" class=\"head\"",
	     "range: backing, span, faults", RIGHT_W - 12);
	py0 = y + 14;
	py1 = H - 70;

	maxb = (int)((py1 - py0 + GAP_H) / (MIN_BAND + GAP_H));
	if (maxb > MAX_BANDS)
		maxb = MAX_BANDS;
	if (maxb < 1)
		maxb = 1;
	nb = make_bands(s, b, maxb);
	if (nb < 0)
		return nb;
	res->ranges = nb;

	/* heights: a minimum each, the rest by the square root of the pages */
	if (nb) {
		double avail = py1 - py0 - (nb - 1) * GAP_H - nb * MIN_BAND, wsum = 0;

		for (i = 0; i < nb; i++)
			wsum += sqrt((double)b[i].pages);
		y = py0;
		for (i = nb - 1; i >= 0; i--) {
			b[i].top = y;
			b[i].bottom = y + MIN_BAND + (avail > 0 ? avail * sqrt((double)b[i].pages) /
						      wsum : 0);
			y = b[i].bottom + GAP_H;
		}
		for (e = 0; e < s->n; e++) {
			struct band *bb = &b[band_of(b, nb, s->ev[e].addr)];

			bb->faults++;
			bb->back[s->ev[e].backing]++;
		}
	}

	/* the bands, the folds, the tick lines */
	step = tick_step(secs, &decimals);
	for (i = nb - 1; i >= 0; i--) {
		char what[32];

		fprintf(f, "<g class=\"range\" data-start=\"0x%llx\" data-end=\"0x%llx\" "
			"data-pages=\"%llu\" data-faults=\"%llu\">\n",
			(unsigned long long)b[i].start, (unsigned long long)b[i].end,
			(unsigned long long)b[i].pages, (unsigned long long)b[i].faults);
		fprintf(f, "<rect class=\"band\" x=\"%.1f\" y=\"%.2f\" width=\"%.1f\" "
			"height=\"%.2f\" fill=\"#f5f7f9\" stroke=\"#b0bec5\"/>\n", px0, b[i].top,
			px1 - px0, b[i].bottom - b[i].top);
		snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)b[i].end);
		text(f, px0 - 8, b[i].top + 15, FS, "text-anchor=\"end\" class=\"addr\"", buf, 0);
		snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)b[i].start);
		text(f, px0 - 8, b[i].bottom - 3, FS, "text-anchor=\"end\" class=\"addr\"", buf, 0);
		band_what(&b[i], what, sizeof(what));
		snprintf(buf, sizeof(buf), "%s, %s, %llu fault%s", what,
			 size_str(b[i].end - b[i].start, sz), (unsigned long long)b[i].faults,
			 b[i].faults == 1 ? "" : "s");
		text(f, px1 + 12, (b[i].top + b[i].bottom) / 2 + 6, FS, "class=\"what\"", buf,
		     RIGHT_W - 12);
		fputs("</g>\n", f);
		if (i > 0) {
			double z0 = b[i].bottom, z1 = b[i - 1].top;

			fprintf(f, "<path class=\"fold\" d=\"M%.1f %.2f H%.1f M%.1f %.2f H%.1f\" "
				"stroke=\"#90a4ae\" stroke-dasharray=\"6 4\" fill=\"none\"/>\n",
				px0, z0 + 8, px1, px0, z1 - 8, px1);
			snprintf(buf, sizeof(buf), "gap %s",
				 size_str(b[i].start - b[i - 1].end, sz));
			fprintf(f, "<text x=\"%.1f\" y=\"%.2f\" font-size=\"%.0f\" "
				"text-anchor=\"end\" class=\"gap\" data-start=\"0x%llx\" "
				"data-end=\"0x%llx\" fill=\"#546e7a\">", px0 - 8,
				(z0 + z1) / 2 + 6, FS, (unsigned long long)b[i - 1].end,
				(unsigned long long)b[i].start);
			xml_str(f, buf);
			fputs("</text>\n", f);
		}
	}
	if (!nb) {
		fprintf(f, "<rect class=\"band\" x=\"%.1f\" y=\"%.2f\" width=\"%.1f\" "
			"height=\"%.2f\" fill=\"#f5f7f9\" stroke=\"#b0bec5\"/>\n", px0, py0,
			px1 - px0, py1 - py0);
		text(f, (px0 + px1) / 2, (py0 + py1) / 2, 24,
		     "text-anchor=\"middle\" class=\"empty\"", "no fault was traced", 0);
	}
	/* the time axis */
	fprintf(f, "<g class=\"axis\" data-axis=\"time\" data-unit=\"s\">\n");
	fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#37474f\"/>\n",
		px0, py1 + 4, px1, py1 + 4);
	for (k = 0; k * step <= secs * (1 + 1e-9) && k < 100; k++) {
		double tx = px0 + k * step / secs * (px1 - px0);

		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
			"stroke=\"#cfd8dc\"/>\n", tx, py0, tx, py1 + 10);
		snprintf(buf, sizeof(buf), "%.*f", decimals, k * step);
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%.0f\" text-anchor=\"middle\" "
			"class=\"tick\" data-value=\"%.9g\">%s</text>\n", tx, py1 + 30, FS, k * step,
			buf);
	}
	text(f, (px0 + px1) / 2, H - 12, 20,
	     "text-anchor=\"middle\" font-weight=\"bold\" class=\"axis-title\"",
	     "time since the trace began (s)", 0);
	fputs("</g>\n", f);
	snprintf(buf, sizeof(buf), "ptscope %s", p->version ? p->version : "");
	text(f, W - MARGIN, H - 12, FS, "text-anchor=\"end\" class=\"footer\"", buf, 0);

	/* the marks: one per fault, those of a class on one cell together */
	cols = (int)ceil((px1 - px0) / TSVG_Q);
	rows = (int)ceil((py1 - py0) / TSVG_Q);
	if (nb) {
		grid = calloc((size_t)cols * rows, sizeof(*grid));
		if (!grid)
			return -ENOMEM;
	}
	for (e = 0; e < s->n && nb; e++) {
		const struct tsvg_ev *v = &s->ev[e];
		const struct band *bb = &b[band_of(b, nb, v->addr)];
		double frac = ((double)((v->addr & PAGE_MASK_4K) - bb->start) + 2048) /
			      (double)(bb->end - bb->start);
		double my = bb->bottom - frac * (bb->bottom - bb->top);
		double mx = px0 + v->t_ns / 1e9 / secs * (px1 - px0);
		int cx, cy;

		if (my < bb->top + MARK / 2 + 1)
			my = bb->top + MARK / 2 + 1;
		if (my > bb->bottom - MARK / 2 - 1)
			my = bb->bottom - MARK / 2 - 1;
		cx = (int)((mx - px0) / TSVG_Q);
		cy = (int)((my - py0) / TSVG_Q);
		cx = cx < 0 ? 0 : cx >= cols ? cols - 1 : cx;
		cy = cy < 0 ? 0 : cy >= rows ? rows - 1 : cy;
		grid[(size_t)cy * cols + cx] |= 1U << v->cls;
		drawn_cls[v->cls]++;
	}
	/* most frequent class first: the rare ones on top */
	for (k = 0; k < CL_NR; k++)
		if (drawn_cls[k])
			order[nord++] = k;
	for (i = 0; i < nord; i++)
		for (k = i + 1; k < nord; k++)
			if (drawn_cls[order[k]] > drawn_cls[order[i]]) {
				int t = order[i];

				order[i] = order[k];
				order[k] = t;
			}
	span = MARK / 2;
	for (i = 0; i < nord; i++) {
		int c = order[i], cx, cy;

		fprintf(f, "<g class=\"faults\" data-class=\"%s\" data-drawn=\"%llu\" fill=\"%s\">\n",
			ft_class_names[c], (unsigned long long)drawn_cls[c], class_color[c]);
		for (cy = 0; cy < rows; cy++)
			for (cx = 0; cx < cols; cx++) {
				double mx, my;

				if (!(grid[(size_t)cy * cols + cx] & (1U << c)))
					continue;
				mx = px0 + (cx + 0.5) * TSVG_Q;
				my = py0 + (cy + 0.5) * TSVG_Q;
				if (mx - span < px0)
					mx = px0 + span;
				if (mx + span > px1)
					mx = px1 - span;
				fprintf(f, "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\"/>",
					mx - span, my - span, MARK, MARK);
				if (!(++res->marks % 8))
					fputc('\n', f);
			}
		fputs("\n</g>\n", f);
	}
	fputs("</svg>\n", f);
	free(grid);
	return ferror(f) ? -EIO : 0;
}
