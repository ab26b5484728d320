// SPDX-License-Identifier: GPL-2.0
/*
 * Page sets, and the picture of `ptscope heatmap`: time going down (one
 * row per sampling interval), the populated address ranges across (VMAs
 * that had a present page, the gaps between them folded to a narrow band
 * and labelled with their size), each cell coloured by what its pages did
 * in that interval (accessed, present but not accessed, not present);
 * beside it, on the same time axis, the working set's size per interval
 * and the cumulative set as a line plot.
 *
 * Laid out in design units for 1920x1080 (as map_layout.c, whose text
 * helpers it uses: no text under 18 px once shown at 1920x1080) and
 * written scaled to the size asked.
 *
 * Every row is a <g class="row"> with data-interval, data-t0, data-t1,
 * data-accessed, data-cumulative and data-reclaim, holding one empty
 * <g class="vma-count"> per VMA (data-start, data-end, data-accessed,
 * data-present: exact page counts) and its cells; every range a
 * <g class="range"> with data-start, data-end and its label
 * <text class="range-label">; every gap a <text class="gap"> with
 * data-start and data-end.  tests/heatmap_svg_check.py reads them.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "libptscope.h"
#include "heatmap.h"
#include "map_layout.h"

/* ---- page sets ---------------------------------------------------------- */

int pset_add(struct pset *s, uint64_t first, uint64_t end)
{
	if (end <= first)
		return 0;
	if (s->n && !s->unsorted) {
		uint64_t *last = s->r[s->n - 1];

		if (first >= last[0] && first <= last[1]) {
			if (end > last[1])
				last[1] = end;
			return 0;
		}
		if (first < last[0])
			s->unsorted = true;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		uint64_t (*r)[2] = realloc(s->r, cap * sizeof(*r));

		if (!r)
			return -ENOMEM;
		s->r = r;
		s->cap = cap;
	}
	s->r[s->n][0] = first;
	s->r[s->n][1] = end;
	s->n++;
	return 0;
}

static int cmp_run(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;

	return x[0] < y[0] ? -1 : x[0] > y[0];
}

void pset_normalize(struct pset *s)
{
	size_t i, k = 0;

	if (!s->unsorted)
		return;
	qsort(s->r, s->n, sizeof(*s->r), cmp_run);
	for (i = 0; i < s->n; i++) {
		if (k && s->r[i][0] <= s->r[k - 1][1]) {
			if (s->r[i][1] > s->r[k - 1][1])
				s->r[k - 1][1] = s->r[i][1];
			continue;
		}
		s->r[k][0] = s->r[i][0];
		s->r[k][1] = s->r[i][1];
		k++;
	}
	s->n = k;
	s->unsorted = false;
}

int pset_union(struct pset *dst, struct pset *src)
{
	struct pset out = { 0 };
	size_t i = 0, j = 0;
	int ret = 0;

	pset_normalize(dst);
	pset_normalize(src);
	if (!src->n)
		return 0;
	while (!ret && (i < dst->n || j < src->n)) {
		const uint64_t *r;

		if (j >= src->n || (i < dst->n && dst->r[i][0] <= src->r[j][0]))
			r = dst->r[i++];
		else
			r = src->r[j++];
		ret = pset_add(&out, r[0], r[1]);
	}
	if (ret) {
		pset_free(&out);
		return ret;
	}
	pset_free(dst);
	*dst = out;
	return 0;
}

uint64_t pset_count(const struct pset *s)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < s->n; i++)
		n += s->r[i][1] - s->r[i][0];
	return n;
}

/* Index of the first run that ends after PAGE. */
static size_t first_run(const struct pset *s, uint64_t page)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->r[mid][1] <= page)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

uint64_t pset_count_in(const struct pset *s, uint64_t first, uint64_t end)
{
	uint64_t n = 0;
	size_t i;

	for (i = first_run(s, first); i < s->n && s->r[i][0] < end; i++) {
		uint64_t a = s->r[i][0] > first ? s->r[i][0] : first;
		uint64_t b = s->r[i][1] < end ? s->r[i][1] : end;

		if (b > a)
			n += b - a;
	}
	return n;
}

bool pset_has(const struct pset *s, uint64_t page)
{
	size_t i = first_run(s, page);

	return i < s->n && s->r[i][0] <= page;
}

void pset_clear(struct pset *s)
{
	s->n = 0;
	s->unsorted = false;
}

void pset_free(struct pset *s)
{
	free(s->r);
	memset(s, 0, sizeof(*s));
}

/* ---- the picture -------------------------------------------------------- */

#define DW		1920.0
#define DH		1080.0
#define FS		18.0		/* the smallest text */
#define PG		4096ULL
#define GAP_W		18.0		/* a folded gap */
#define MIN_RANGE_W	6.0		/* the narrowest range */
#define LANE_H		46.0		/* a range label: address and name */
#define MAX_LANES	6
#define GAP_LANE_H	24.0
#define PLOT_W		380.0
#define MAX_ROW_H	60.0

/* Cell colours: none of them is a line colour of the plot. */
static const char *const acc_color[4] = { "#ffcc80", "#fb8c00", "#e53935", "#8e0000" };
#define PRESENT_COLOR	"#90a4ae"
#define ABSENT_COLOR	"#eceff1"
#define GAP_COLOR	"#ffffff"
#define LINE_ACC	"#1565c0"
#define LINE_CUM	"#2e7d32"
#define RECLAIM_COLOR	"#6a1b9a"

struct range {
	size_t first, last;		/* VMAs, inclusive */
	uint64_t p0, p1;		/* pages [p0, p1) */
	double x, w;			/* design units */
	size_t nbins;
};

struct hl {
	FILE *f;
	const struct hm_pic *p;
	double s, w, h;
	double gx0, gx1, gy0, gy1, rh;	/* the grid, row height */
	double px0, px1;		/* the plot */
	struct hm_vma *v;		/* sorted, merged */
	size_t nv;
	struct range *r;
	size_t nr;
};

static void put_text(struct hl *l, double x, double y, double fs, const char *attrs,
		     const char *str)
{
	fprintf(l->f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%.2f\"%s%s>", x * l->s,
		y * l->s, fs * l->s, attrs ? " " : "", attrs ? attrs : "");
	map_xml_text(l->f, str);
	fputs("</text>\n", l->f);
}

/* STR cut at its end (with an ellipsis) to be at most MAXW wide. */
static void put_text_fit(struct hl *l, double x, double y, double fs, const char *attrs,
			 const char *str, double maxw)
{
	char buf[300];
	size_t n;

	snprintf(buf, sizeof(buf), "%s", str);
	n = strlen(buf);
	while (n > 1 && map_text_width(buf, fs) > maxw) {
		/* drop a whole UTF-8 character, then add the ellipsis */
		do
			n--;
		while (n > 0 && (buf[n] & 0xc0) == 0x80);
		snprintf(buf + n, sizeof(buf) - n, "\xe2\x80\xa6");
		if (map_text_width(buf, fs) <= maxw)
			break;
	}
	put_text(l, x, y, fs, attrs, buf);
}

static void put_rect(struct hl *l, double x, double y, double w, double h,
		     const char *fill, const char *extra)
{
	fprintf(l->f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\"%s%s/>",
		x * l->s, y * l->s, w * l->s, h * l->s, fill, extra ? " " : "",
		extra ? extra : "");
}

static void put_line(struct hl *l, double x1, double y1, double x2, double y2,
		     const char *color, double width, const char *extra)
{
	fprintf(l->f, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"%s\" "
		"stroke-width=\"%.2f\"%s%s/>\n", x1 * l->s, y1 * l->s, x2 * l->s, y2 * l->s,
		color, width * l->s, extra ? " " : "", extra ? extra : "");
}

static const char *hm_size(uint64_t bytes, char *buf)
{
	return pts_fmt_size(bytes, buf, 16);
}

static int cmp_vma(const void *a, const void *b)
{
	const struct hm_vma *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* The VMAs sorted, overlapping ones (a VMA that changed) merged. */
static int sort_vmas(struct hl *l)
{
	const struct hm_pic *p = l->p;
	size_t i, k = 0;

	l->v = calloc(p->nv ? p->nv : 1, sizeof(*l->v));
	if (!l->v)
		return -ENOMEM;
	memcpy(l->v, p->v, p->nv * sizeof(*l->v));
	qsort(l->v, p->nv, sizeof(*l->v), cmp_vma);
	for (i = 0; i < p->nv; i++) {
		if (l->v[i].end <= l->v[i].start)
			continue;
		if (k && l->v[i].start < l->v[k - 1].end) {
			if (l->v[i].end > l->v[k - 1].end)
				l->v[k - 1].end = l->v[i].end;
			continue;
		}
		l->v[k++] = l->v[i];
	}
	l->nv = k;
	return 0;
}

/* Ranges: runs of VMAs that touch each other. */
static int make_ranges(struct hl *l)
{
	size_t i;

	l->r = calloc(l->nv ? l->nv : 1, sizeof(*l->r));
	if (!l->r)
		return -ENOMEM;
	for (i = 0; i < l->nv; i++) {
		if (l->nr && l->v[i].start == l->v[l->r[l->nr - 1].last].end) {
			l->r[l->nr - 1].last = i;
			l->r[l->nr - 1].p1 = l->v[i].end / PG;
			continue;
		}
		l->r[l->nr] = (struct range){ .first = i, .last = i,
			.p0 = l->v[i].start / PG, .p1 = (l->v[i].end + PG - 1) / PG };
		l->nr++;
	}
	return 0;
}

static void place_ranges(struct hl *l)
{
	double gw = l->gx1 - l->gx0, extra, x = l->gx0, minw = MIN_RANGE_W, gapw = GAP_W;
	uint64_t total = 0;
	size_t i;

	for (i = 0; i < l->nr; i++)
		total += l->r[i].p1 - l->r[i].p0;
	if (l->nr * minw + (l->nr ? l->nr - 1 : 0) * gapw > gw / 2) {
		double k = gw / 2 / (l->nr * minw + (l->nr ? l->nr - 1 : 0) * gapw);

		minw *= k;
		gapw *= k;
	}
	extra = gw - l->nr * minw - (l->nr ? l->nr - 1 : 0) * gapw;
	for (i = 0; i < l->nr; i++) {
		struct range *r = &l->r[i];
		uint64_t pages = r->p1 - r->p0;

		if (i)
			x += gapw;
		r->x = x;
		r->w = minw + (total ? extra * (double)pages / total : 0);
		/* a column is at least one design unit wide, at most one page */
		r->nbins = (size_t)r->w;
		if (r->nbins < 1)
			r->nbins = 1;
		if (r->nbins > pages)
			r->nbins = pages;
		x += r->w;
	}
}

/* Pages [*A, *B) of column C of range R. */
static void bin_pages(const struct range *r, size_t c, uint64_t *a, uint64_t *b)
{
	uint64_t pages = r->p1 - r->p0;

	*a = r->p0 + pages * c / r->nbins;
	*b = r->p0 + pages * (c + 1) / r->nbins;
}

/* A cell's colour: 0-3 accessed (by share), 4 present, 5 not present. */
static int cell_look(const struct hm_row *row, uint64_t a, uint64_t b)
{
	uint64_t acc = row->acc ? pset_count_in(row->acc, a, b) : 0;
	uint64_t pres = row->pres ? pset_count_in(row->pres, a, b) : 0;
	double q;

	if (acc) {
		q = (double)acc / (double)(b - a);
		return q > 0.75 ? 3 : q > 0.5 ? 2 : q > 0.25 ? 1 : 0;
	}
	return pres ? 4 : 5;
}

static const char *look_color(int k)
{
	return k < 4 ? acc_color[k] : k == 4 ? PRESENT_COLOR : ABSENT_COLOR;
}

static const char *base_name(const char *name)
{
	const char *b = strrchr(name, '/');

	return b && b[1] ? b + 1 : name;
}

static void range_name(const struct hl *l, const struct range *r, char *buf, size_t len)
{
	const struct hm_vma *k = &l->v[r->first];
	size_t i, n = r->last - r->first + 1;

	for (i = r->first; i <= r->last && !*k->name; i++)
		if (*l->v[i].name)
			k = &l->v[i];
	if (*k->name)
		snprintf(buf, len, "%s", base_name(k->name));
	else
		snprintf(buf, len, "[%s]", pts_backing_name(k->backing));
	if (n > 1)
		snprintf(buf + strlen(buf), len - strlen(buf), " \xc3\x97%zu", n);
}

struct lab_box { double x0, x1; int lane; };

/* The lowest lane where [X, X + W) overlaps no label; -1 if none. */
static int free_lane(const struct lab_box *b, size_t n, double x, double w, int lanes)
{
	int lane;
	size_t i;

	for (lane = 0; lane < lanes; lane++) {
		for (i = 0; i < n; i++)
			if (b[i].lane == lane && x < b[i].x1 + 10 && b[i].x0 < x + w + 10)
				break;
		if (i == n)
			return lane;
	}
	return -1;
}

/* A range's label: its start address and name, WIDTH wide, placed at X. */
static void label_box(const struct hl *l, const struct range *r, char *addr, char *name,
		      double *x, double *w)
{
	const double maxw = 300;

	snprintf(addr, 24, "0x%llx", (unsigned long long)(r->p0 * PG));
	range_name(l, r, name, 200);
	*w = map_text_width(addr, FS);
	if (*w < maxw && map_text_width(name, FS) > *w)
		*w = map_text_width(name, FS) > maxw ? maxw : map_text_width(name, FS);
	*x = r->x + *w > l->gx1 ? l->gx1 - *w : r->x;
}

/*
 * The range labels above the grid (Y0: top of the lanes), each in the
 * lowest lane where it fits.  DRY: draw nothing, return the lanes used.
 */
static int range_labels(struct hl *l, double y0, int lanes, struct hm_result *res,
			bool dry)
{
	struct lab_box *b = calloc(l->nr ? l->nr : 1, sizeof(*b));
	char addr[24], name[200], title[320];
	size_t i, nb = 0;
	int used = 1;

	for (i = 0; i < l->nr; i++) {
		struct range *r = &l->r[i];
		double w, x;
		int lane;

		label_box(l, r, addr, name, &x, &w);
		lane = b ? free_lane(b, nb, x, w, lanes) : -1;
		if (lane >= 0) {
			b[nb++] = (struct lab_box){ x, x + w, lane };
			if (lane + 1 > used)
				used = lane + 1;
		}
		if (dry)
			continue;
		fprintf(l->f, "<g class=\"range\" data-start=\"0x%llx\" data-end=\"0x%llx\" "
			"data-vmas=\"%zu\"><title>", (unsigned long long)(r->p0 * PG),
			(unsigned long long)(r->p1 * PG), r->last - r->first + 1);
		snprintf(title, sizeof(title), "0x%llx-0x%llx %s",
			 (unsigned long long)(r->p0 * PG), (unsigned long long)(r->p1 * PG), name);
		map_xml_text(l->f, title);
		fputs("</title>\n", l->f);
		put_rect(l, r->x, l->gy0 - 8, r->w, 6, "#37474f", "class=\"range-bar\"");
		fputc('\n', l->f);
		if (lane < 0) {
			res->unlabelled++;
			fputs("</g>\n", l->f);
			continue;
		}
		{
			double ty = y0 + lane * LANE_H;
			char attrs[96];

			snprintf(attrs, sizeof(attrs), "class=\"range-label\" data-start=\"0x%llx\" "
				 "font-family=\"DejaVu Sans Mono, monospace\"",
				 (unsigned long long)(r->p0 * PG));
			put_text(l, x, ty + 18, FS, attrs, addr);
			put_text_fit(l, x, ty + 40, FS, "class=\"range-name\"", name, w);
			/* a leader from the label down to the range's start */
			put_line(l, r->x + 0.5, ty + 44, r->x + 0.5, l->gy0 - 8, "#90a4ae", 1, NULL);
		}
		fputs("</g>\n", l->f);
	}
	free(b);
	return used;
}

/*
 * Folded gaps: a band through the grid and the size under it.  DRY: draw
 * nothing, return the lanes the labels need (at most LANES).
 */
static int gaps(struct hl *l, double y0, int lanes, struct hm_result *res, bool dry)
{
	struct lab_box *b = calloc(l->nr ? l->nr : 1, sizeof(*b));
	size_t i, nb = 0;
	int used = 1;
	char sz[16];

	for (i = 1; i < l->nr; i++) {
		const struct range *a = &l->r[i - 1], *c = &l->r[i];
		double x0 = a->x + a->w, x1 = c->x, cx = (x0 + x1) / 2, w, lx;
		char attrs[128];
		int lane;

		if (!dry) {
			put_rect(l, x0, l->gy0, x1 - x0, l->gy1 - l->gy0, GAP_COLOR,
				 "class=\"gap-band\"");
			fputc('\n', l->f);
			put_line(l, cx, l->gy0, cx, l->gy1, "#b0bec5", 1,
				 "stroke-dasharray=\"4 4\"");
		}
		hm_size((c->p0 - a->p1) * PG, sz);
		w = map_text_width(sz, FS);
		lx = cx - w / 2 < l->gx0 ? l->gx0 : cx + w / 2 > l->gx1 ? l->gx1 - w : cx - w / 2;
		lane = b ? free_lane(b, nb, lx, w, lanes) : -1;
		if (lane < 0)
			continue;
		b[nb++] = (struct lab_box){ lx, lx + w, lane };
		if (lane + 1 > used)
			used = lane + 1;
		if (dry)
			continue;
		if (lane)
			put_line(l, cx, l->gy1, lx + w / 2, y0 + lane * GAP_LANE_H + 2, "#b0bec5",
				 1, NULL);
		snprintf(attrs, sizeof(attrs), "class=\"gap\" data-start=\"0x%llx\" "
			 "data-end=\"0x%llx\"", (unsigned long long)(a->p1 * PG),
			 (unsigned long long)(c->p0 * PG));
		put_text(l, lx, y0 + lane * GAP_LANE_H + 18, FS, attrs, sz);
		res->gaps++;
	}
	free(b);
	return used;
}

/* One row: its counts per VMA, then its cells, runs of one colour merged. */
static void draw_row(struct hl *l, size_t ri, struct hm_result *res)
{
	const struct hm_row *row = &l->p->rows[ri];
	double y = l->gy0 + ri * l->rh;
	size_t i, c;

	fprintf(l->f, "<g class=\"row\" data-interval=\"%zu\" data-t0=\"%.3f\" data-t1=\"%.3f\" "
		"data-accessed=\"%llu\" data-cumulative=\"%llu\" data-reclaim=\"%d\">\n",
		ri + 1, row->t0, row->t1, (unsigned long long)row->accessed,
		(unsigned long long)row->cumulative, row->reclaim);
	for (i = 0, c = 0; i < l->nv; i++) {
		uint64_t a = l->v[i].start / PG, b = (l->v[i].end + PG - 1) / PG;
		const struct range *r;
		double x0, x1;

		while (c + 1 < l->nr && l->r[c].last < i)
			c++;
		r = &l->r[c];
		x0 = r->x + r->w * (double)(a - r->p0) / (double)(r->p1 - r->p0);
		x1 = r->x + r->w * (double)(b - r->p0) / (double)(r->p1 - r->p0);
		fprintf(l->f, "<g class=\"vma-count\" data-start=\"0x%llx\" data-end=\"0x%llx\" "
			"data-accessed=\"%llu\" data-present=\"%llu\" data-x0=\"%.2f\" "
			"data-x1=\"%.2f\"/>\n",
			(unsigned long long)l->v[i].start, (unsigned long long)l->v[i].end,
			(unsigned long long)(row->acc ? pset_count_in(row->acc, a, b) : 0),
			(unsigned long long)(row->pres ? pset_count_in(row->pres, a, b) : 0),
			x0 * l->s, x1 * l->s);
	}
	for (i = 0; i < l->nr; i++) {
		const struct range *r = &l->r[i];
		double cw = r->w / r->nbins;

		for (c = 0; c < r->nbins;) {
			uint64_t a, b;
			size_t n = 1;
			int k;

			bin_pages(r, c, &a, &b);
			k = cell_look(row, a, b);
			while (c + n < r->nbins) {
				bin_pages(r, c + n, &a, &b);
				if (cell_look(row, a, b) != k)
					break;
				n++;
			}
			put_rect(l, r->x + c * cw, y, n * cw, l->rh > 3 ? l->rh - 1 : l->rh,
				 look_color(k), NULL);
			fputc('\n', l->f);
			c += n;
		}
	}
	if (row->reclaim)
		put_rect(l, l->gx0 - 12, y, 6, l->rh > 3 ? l->rh - 1 : l->rh, RECLAIM_COLOR,
			 "class=\"reclaim-mark\"");
	fputs("</g>\n", l->f);
	res->rows++;
}

/* 1, 2 or 5 times a power of ten, at least V (and 1). */
static uint64_t nice_max(uint64_t v)
{
	uint64_t m = 1;

	while (m < v) {
		if (m * 2 >= v)
			return m * 2;
		if (m * 5 >= v)
			return m * 5;
		m *= 10;
	}
	return m;
}

/* The time axis on the left of the grid: interval numbers and seconds. */
static void time_axis(struct hl *l)
{
	const struct hm_pic *p = l->p;
	size_t i, every = (size_t)ceil(24.0 / l->rh);
	char buf[48];

	if (every < 1)
		every = 1;
	fputs("<g class=\"axis\" data-axis=\"time\">\n", l->f);
	put_text(l, 20, l->gy0 - 54, FS, "font-weight=\"bold\" class=\"axis-title\"",
		 "interval,");
	put_text(l, 20, l->gy0 - 32, FS, "font-weight=\"bold\" class=\"axis-title\"",
		 "time (s) \xe2\x86\x93");
	put_line(l, l->gx0 - 2, l->gy0, l->gx0 - 2, l->gy1, "#263238", 1.5, NULL);
	for (i = 0; i < p->nrows; i += every) {
		double y = l->gy0 + (i + 0.5) * l->rh;

		snprintf(buf, sizeof(buf), "%zu", i + 1);
		put_text(l, 20, y + 6, FS, "class=\"tick\"", buf);
		snprintf(buf, sizeof(buf), "%.1f", p->rows[i].t1);
		put_text(l, l->gx0 - 20, y + 6, FS, "class=\"tick\" text-anchor=\"end\"", buf);
		put_line(l, l->gx0 - 8, y, l->gx0 - 2, y, "#263238", 1, NULL);
	}
	fputs("</g>\n", l->f);
}

/* The working set's size per interval, on the same time axis. */
static void plot(struct hl *l)
{
	const struct hm_pic *p = l->p;
	uint64_t max = 1, top;
	double pw = l->px1 - l->px0;
	char buf[64], sz[16];
	size_t i;
	int k;

	for (i = 0; i < p->nrows; i++) {
		if (p->rows[i].cumulative > max)
			max = p->rows[i].cumulative;
		if (p->rows[i].accessed > max)
			max = p->rows[i].accessed;
	}
	top = nice_max(max);
	fputs("<g class=\"plot\">\n", l->f);
	put_rect(l, l->px0, l->gy0, pw, l->gy1 - l->gy0, "#fafafa",
		 "stroke=\"#cfd8dc\" class=\"plot-area\"");
	fputc('\n', l->f);
	fputs("<g class=\"axis\" data-axis=\"pages\">\n", l->f);
	put_line(l, l->px0, l->gy1, l->px1, l->gy1, "#263238", 1.5, NULL);
	put_line(l, l->px0, l->gy0, l->px0, l->gy1, "#263238", 1.5, NULL);
	for (k = 0; k <= 2; k++) {
		double x = l->px0 + pw * k / 2;
		char attrs[96];

		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)(top * k / 2));
		snprintf(attrs, sizeof(attrs), "class=\"tick\" data-value=\"%llu\" "
			 "text-anchor=\"%s\"", (unsigned long long)(top * k / 2),
			 k == 0 ? "start" : k == 1 ? "middle" : "end");
		put_line(l, x, l->gy1, x, l->gy1 + 6, "#263238", 1, NULL);
		put_text(l, x, l->gy1 + 26, FS, attrs, buf);
	}
	snprintf(buf, sizeof(buf), "pages accessed (max %s)", hm_size(top * PG, sz));
	put_text_fit(l, l->px0, l->gy1 + 50, FS, "font-weight=\"bold\" class=\"axis-title\"",
		     buf, pw);
	fputs("</g>\n", l->f);
	put_text_fit(l, l->px0, l->gy0 - 32, FS, "font-weight=\"bold\" class=\"plot-title\"",
		     "working set per interval", pw);
	put_line(l, l->px0, l->gy0 - 16, l->px0 + 28, l->gy0 - 16, LINE_ACC, 3, NULL);
	put_text(l, l->px0 + 34, l->gy0 - 10, FS, "class=\"plot-key\"", "interval");
	put_line(l, l->px0 + 130, l->gy0 - 16, l->px0 + 158, l->gy0 - 16, LINE_CUM, 3,
		 "stroke-dasharray=\"6 4\"");
	put_text(l, l->px0 + 164, l->gy0 - 10, FS, "class=\"plot-key\"", "cumulative");
	for (k = 0; k < 2; k++) {
		fprintf(l->f, "<polyline class=\"%s\" fill=\"none\" stroke=\"%s\" "
			"stroke-width=\"%.2f\"%s points=\"", k ? "wss-cumulative" : "wss-line",
			k ? LINE_CUM : LINE_ACC, 2.5 * l->s,
			k ? " stroke-dasharray=\"6 4\"" : "");
		for (i = 0; i < p->nrows; i++) {
			uint64_t v = k ? p->rows[i].cumulative : p->rows[i].accessed;

			fprintf(l->f, "%s%.2f,%.2f", i ? " " : "",
				(l->px0 + pw * (double)v / top) * l->s,
				(l->gy0 + (i + 0.5) * l->rh) * l->s);
		}
		fputs("\"/>\n", l->f);
		for (i = 0; i < p->nrows && l->rh >= 6; i++) {
			uint64_t v = k ? p->rows[i].cumulative : p->rows[i].accessed;

			fprintf(l->f, "<circle class=\"%s\" cx=\"%.2f\" cy=\"%.2f\" r=\"%.2f\" "
				"fill=\"%s\"/>\n", k ? "wss-point-cum" : "wss-point",
				(l->px0 + pw * (double)v / top) * l->s,
				(l->gy0 + (i + 0.5) * l->rh) * l->s, 3.5 * l->s,
				k ? LINE_CUM : LINE_ACC);
		}
	}
	fputs("</g>\n", l->f);
}

static double legend(struct hl *l, double y)
{
	static const char *const labels[] = {
		"accessed: \xe2\x89\xa4" "25% of the column's pages", "\xe2\x89\xa4" "50%",
		"\xe2\x89\xa4" "75%", "more", "present, not accessed", "not present",
	};
	double x = 20;
	int k;

	put_text(l, x, y, FS, "font-weight=\"bold\" class=\"legend\"", "Cells:");
	x += map_text_width("Cells:", FS) + 14;
	for (k = 0; k < 6; k++) {
		double w = 26 + map_text_width(labels[k], FS) + 24;

		put_rect(l, x, y - 15, 18, 18, look_color(k), k < 4 ?
			 "class=\"chip\" data-look=\"accessed\"" : k == 4 ?
			 "class=\"chip\" data-look=\"present\"" :
			 "class=\"chip\" data-look=\"absent\"");
		put_text(l, x + 26, y, FS, "class=\"legend\"", labels[k]);
		x += w;
	}
	put_rect(l, x, y - 15, 6, 18, RECLAIM_COLOR, "class=\"chip\" data-look=\"reclaim\"");
	put_text_fit(l, x + 14, y, FS, "class=\"legend\"", "reclaim ran in the interval",
		     l->w - 20 - x - 14);
	return y + 30;
}

int heatmap_svg(FILE *f, const struct hm_pic *p, struct hm_result *res)
{
	struct hl l = { .f = f, .p = p };
	uint64_t maxacc = 0, pages = 0, cum = 0;
	double lanes_y, gap_y, legend_y;
	char buf[600], a[16], b[16], c[16];
	int lanes, glanes;
	size_t i;
	int ret;

	memset(res, 0, sizeof(*res));
	l.s = (double)p->width / DW > (double)p->height / DH ? (double)p->width / DW :
	      (double)p->height / DH;
	l.w = p->width / l.s;
	l.h = p->height / l.s;
	ret = sort_vmas(&l);
	if (!ret)
		ret = make_ranges(&l);
	if (ret) {
		free(l.v);
		free(l.r);
		return ret;
	}
	for (i = 0; i < l.nv; i++)
		pages += (l.v[i].end - l.v[i].start) / PG;
	for (i = 0; i < p->nrows; i++) {
		if (p->rows[i].accessed > maxacc)
			maxacc = p->rows[i].accessed;
		cum = p->rows[i].cumulative;
	}
	/* lanes for the range labels: as many as the ranges need, at most 6 */
	lanes = l.nr > MAX_LANES ? MAX_LANES : l.nr ? (int)l.nr : 1;
	l.gx0 = 150;
	l.px1 = l.w - 30;
	l.px0 = l.px1 - PLOT_W;
	l.gx1 = l.px0 - 50;
	place_ranges(&l);
	lanes = range_labels(&l, 0, lanes, res, true);
	glanes = gaps(&l, 0, 5, res, true);
	lanes_y = 100;
	l.gy0 = lanes_y + lanes * LANE_H + 20;
	if (l.gy0 < 190)
		l.gy0 = 190;		/* room for the time axis's title */
	legend_y = l.h - 46;
	gap_y = legend_y - 30 - glanes * GAP_LANE_H - 8;
	l.gy1 = gap_y - 4;
	/* the plot's tick labels and title sit under the grid's bottom too */
	if (l.gy1 > legend_y - 30 - 60)
		l.gy1 = legend_y - 30 - 60;
	l.rh = p->nrows ? (l.gy1 - l.gy0) / p->nrows : l.gy1 - l.gy0;
	if (l.rh > MAX_ROW_H) {
		l.rh = MAX_ROW_H;
		l.gy1 = l.gy0 + l.rh * p->nrows;
	}
	gap_y = l.gy1 + 4;

	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		"viewBox=\"0 0 %d %d\" font-family=\"DejaVu Sans, Verdana, sans-serif\" "
		"data-rows=\"%zu\" data-interval=\"%.3f\" data-tlb-flushed=\"%d\">\n",
		p->width, p->height, p->width, p->height, p->nrows, p->interval, p->flushed);
	fprintf(f, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", p->width, p->height);
	snprintf(buf, sizeof(buf), "ptscope heatmap: pid %u (%s), %zu interval%s of %.3g s",
		 p->pid, p->comm, p->nrows, p->nrows == 1 ? "" : "s", p->interval);
	put_text_fit(&l, 20, 42, 32, "font-weight=\"bold\" class=\"title\"", buf, l.w - 40);
	snprintf(buf, sizeof(buf), "Pages accessed again after clear_refs: at most %llu (%s) in "
		 "an interval, %llu (%s) in all; %zu populated range%s (%s), gaps folded",
		 (unsigned long long)maxacc, hm_size(maxacc * PG, a), (unsigned long long)cum,
		 hm_size(cum * PG, b), l.nr, l.nr == 1 ? "" : "s", hm_size(pages * PG, c));
	put_text_fit(&l, 20, 76, 20, "class=\"summary\"", buf, l.w - 40);

	time_axis(&l);
	range_labels(&l, lanes_y, lanes, res, false);
	gaps(&l, gap_y, glanes, res, false);
	for (i = 0; i < p->nrows; i++)
		draw_row(&l, i, res);
	for (i = 0; i < l.nr; i++)
		res->columns += l.r[i].nbins;
	plot(&l);
	legend(&l, legend_y);
	snprintf(buf, sizeof(buf), "One accessed bit per leaf: a huge page counts all its "
		 "pages. %s ptscope %s", p->flushed ?
		 "TLBs flushed after each clear (--flush-tlb): every page used is seen." :
		 "Cleared without a TLB flush: pages used via cached translations are missed.",
		 p->version);
	put_text_fit(&l, 20, l.h - 12, FS, "class=\"footer\"", buf, l.w - 40);
	fputs("</svg>\n", f);
	res->ranges = l.nr;
	free(l.v);
	free(l.r);
	return ferror(f) ? -EIO : 0;
}
