// SPDX-License-Identifier: GPL-2.0
/*
 * The picture of `ptscope map`: rows of folded VMAs, an overview ribbon
 * with every gap labelled, and two legends, laid out to fit WIDTHxHEIGHT.
 *
 * The layout is made in design units for a picture at least 1920x1080
 * (the requested size divided by s = min(W/1920, H/1080)) and written
 * scaled by s, so the smallest text (18 units) is 18 px or more once the
 * picture is shown at 1920x1080.  One cell is 64 KiB in every picture,
 * 128 cells a line, so two pictures compare.
 *
 * Rows: contiguous VMAs of one file (and the anonymous .bss after it)
 * form one row, "libc.so.6 x5"; reserved areas (---p) fold into the
 * row next to them and are not drawn as cells.  When the rows still do
 * not fit, rows of files next to each other fold, smallest first; then the last row says
 * how many more there are.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "libptscope.h"
#include "map_layout.h"

#define DW		1920.0		/* design width and height (minimum) */
#define DH		1080.0
#define FS		18.0		/* the smallest text */
#define EST		0.62		/* text width per character, in em */
#define PITCH		9.0		/* cell pitch; a cell is PITCH - 1 */
#define BASE_LINES	3		/* cell lines in a row of one text line */
#define TWO_LINES	5		/* cell lines in a row of two text lines */
#define ROW_PAD		5.0
#define MAX_LANES	6
#define MAX_SHIFT	240.0		/* a gap label this far from its gap at most */
#define LANE_H		26.0

static const char *const state_color[MS_NR + 1] = {
	[MS_PRIV] = "#2e7d32", [MS_SHARED] = "#1565c0", [MS_HUGE] = "#7b1fa2",
	[MS_SWAP] = "#e65100", [MS_ZERO] = "#a1887f", [MS_SPECIAL] = "#4e342e",
	[MS_NR] = "#dde3e8",
};

static const char *const state_label[MS_NR + 1] = {
	[MS_PRIV] = "private", [MS_SHARED] = "shareable", [MS_HUGE] = "huge page",
	[MS_SWAP] = "swapped out", [MS_ZERO] = "zero page", [MS_SPECIAL] = "special frame",
	[MS_NR] = "not present",
};

#define RESERVED_COLOR	"#9e9e9e"

/* Backing colours: none of them is a page-state colour. */
static const char *backing_color(unsigned int b)
{
	switch (b) {
	case PTSCOPE_BACK_FILE:		return "#fdd835";
	case PTSCOPE_BACK_ANON:		return "#f06292";
	case PTSCOPE_BACK_HEAP:		return "#00bcd4";
	case PTSCOPE_BACK_STACK:	return "#d50000";
	case PTSCOPE_BACK_SHMEM:	return "#827717";
	case PTSCOPE_BACK_HUGETLB:	return "#006064";
	default:			return "#212121";	/* vdso, vvar, pfnmap... */
	}
}

static const struct { unsigned int b; const char *label; } backing_legend[] = {
	{ PTSCOPE_BACK_FILE, "file" }, { PTSCOPE_BACK_ANON, "anon" },
	{ PTSCOPE_BACK_HEAP, "heap" }, { PTSCOPE_BACK_STACK, "stack" },
	{ PTSCOPE_BACK_SHMEM, "shmem" }, { PTSCOPE_BACK_HUGETLB, "hugetlb" },
	{ PTSCOPE_BACK_VDSO, "vdso, vvar, device" },
};

struct row {
	size_t first, last;		/* VMAs, inclusive */
	size_t nfiles;			/* files folded into the row */
	uint64_t size, reserved, drawn_bytes;
	size_t cells;			/* cells it needs */
	int lines;
	unsigned int backing;
	bool more;			/* "... N more rows" */
	double y, h;
};

struct lay {
	FILE *f;
	const struct map_pic *p;
	double s, w, h;			/* scale, design width and height */
	double grid_x, size_r, res_r, name_x, name_w;
	size_t cpl;			/* cells per line */
};

int map_parse_size(const char *str, int *w, int *h)
{
	char *end;
	long a, b;

	if (!str || *str < '0' || *str > '9')
		return -EINVAL;
	a = strtol(str, &end, 10);
	if (*end != 'x' || end[1] < '0' || end[1] > '9')
		return -EINVAL;
	b = strtol(end + 1, &end, 10);
	if (*end)
		return -EINVAL;
	if (a < 640 || b < 360 || a > 7680 || b > 4320 || a < b)
		return -ERANGE;
	*w = (int)a;
	*h = (int)b;
	return 0;
}

bool map_reserved(const struct map_vma *v)
{
	return !strncmp(v->perm, "---", 3);
}

/* XML text: markup escaped, what XML 1.0 cannot hold replaced by '?'. */
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
				fputc(c < 0x20 ? '?' : c, f);
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

/* Characters as a reader counts them (UTF-8 continuation bytes not). */
static size_t nchars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += (*s & 0xc0) != 0x80;
	return n;
}

/* Roughly DejaVu Sans's advance widths, in em; never under EST. */
static double char_em(unsigned char c)
{
	if (c >= 0x80)
		return 0.8;
	if (strchr("mwMW@", c))
		return 1.0;
	if (c >= 'A' && c <= 'Z')
		return 0.78;
	if (c >= '0' && c <= '9')
		return 0.66;
	return EST;
}

static double text_w(const char *s, double fs)
{
	double w = 0;

	for (; *s; s++)
		if ((*s & 0xc0) != 0x80)
			w += char_em(*s);
	return w * fs;
}

/* How many characters of S fit in MAXW at size FS (at S's mean width). */
static size_t fit_chars(const char *s, double fs, double maxw)
{
	size_t n = nchars(s);
	double em = n ? text_w(s, 1) / n : EST;

	return (size_t)(maxw / (fs * em));
}

/*
 * S in at most MAX characters: its start and its end around an ellipsis
 * ("binascii.cpyâ¦x86_64-linux-gnu.so"): a file name's start
 * names it, its end says what it is.
 */
static void mid_fit(char *buf, size_t len, const char *s, size_t max)
{
	size_t n = nchars(s), head, skip, i;
	const char *p = s, *t;

	if (n <= max || max < 4) {
		snprintf(buf, len, "%s", s);
		return;
	}
	head = (max - 1) * 3 / 5;
	skip = n - (max - 1);
	for (i = 0; i < head; i++) {
		p++;
		while ((*p & 0xc0) == 0x80)
			p++;
	}
	for (t = p, i = 0; i < skip; i++) {
		t++;
		while ((*t & 0xc0) == 0x80)
			t++;
	}
	snprintf(buf, len, "%.*s\xe2\x80\xa6%s", (int)(p - s), s, t);
}

static const char *fmt(uint64_t bytes, char *buf)
{
	return pts_fmt_size(bytes, buf, 16);
}

/* <text> at design (X, Y), font size FS design units. */
static void text(struct lay *l, double x, double y, double fs, const char *attrs,
		 const char *str)
{
	fprintf(l->f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%.2f\"%s%s>", x * l->s,
		y * l->s, fs * l->s, attrs ? " " : "", attrs ? attrs : "");
	xml_str(l->f, str);
	fputs("</text>\n", l->f);
}

/* <text> cut at its end (with an ellipsis) to be at most MAXW wide. */
static void text_fit(struct lay *l, double x, double y, double fs, const char *attrs,
		     const char *str, double maxw)
{
	size_t max = fit_chars(str, fs, maxw), n = 0;
	char buf[600];
	const char *p;

	if (nchars(str) <= max || max < 2) {
		text(l, x, y, fs, attrs, str);
		return;
	}
	for (p = str; *p && n < max - 1; n++) {
		p++;
		while ((*p & 0xc0) == 0x80)
			p++;
	}
	snprintf(buf, sizeof(buf), "%.*s\xe2\x80\xa6", (int)(p - str), str);
	text(l, x, y, fs, attrs, buf);
}

static void rect(struct lay *l, double x, double y, double w, double h, const char *fill,
		 const char *extra)
{
	fprintf(l->f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\"%s%s/>",
		x * l->s, y * l->s, w * l->s, h * l->s, fill, extra ? " " : "",
		extra ? extra : "");
}

static const char *base_name(const char *name)
{
	const char *b = strrchr(name, '/');

	return b && b[1] ? b + 1 : name;
}

/* A row of a file: runs of them fold when the rows do not fit. */
static bool is_file(const struct map_vma *v)
{
	return v->backing == PTSCOPE_BACK_FILE;
}

static size_t vma_cells(const struct map_vma *v)
{
	return map_reserved(v) ? 0 : v->ncells;
}

/* Does V (contiguous with the row's last VMA) join row R? */
static bool joins(const struct map_pic *p, const struct row *r, const struct map_vma *v)
{
	const struct map_vma *last = &p->v[r->last], *key = NULL;
	size_t i;

	if (v->start != last->end)
		return false;
	if (map_reserved(v))
		return true;
	for (i = r->first; i <= r->last && !key; i++)
		if (!map_reserved(&p->v[i]))
			key = &p->v[i];
	if (!key)
		return true;		/* a reservation before it */
	if (!strcmp(key->name, v->name) && key->backing == v->backing)
		return true;
	/* the .bss after a file's data */
	return !*v->name && v->backing == PTSCOPE_BACK_ANON && key->backing == PTSCOPE_BACK_FILE &&
	       !map_reserved(last) && last->backing == PTSCOPE_BACK_FILE;
}

static void row_add(const struct map_pic *p, struct row *r, size_t i)
{
	const struct map_vma *v = &p->v[i];

	r->last = i;
	r->size += v->end - v->start;
	if (map_reserved(v))
		r->reserved += v->end - v->start;
	r->cells += vma_cells(v);
	if (r->backing == ~0U && !map_reserved(v))
		r->backing = v->backing;
}

static size_t make_rows(const struct map_pic *p, struct row *rows)
{
	size_t i, n = 0;

	for (i = 0; i < p->n; i++) {
		if (n && joins(p, &rows[n - 1], &p->v[i])) {
			row_add(p, &rows[n - 1], i);
			continue;
		}
		rows[n] = (struct row){ .first = i, .last = i, .backing = ~0U, .nfiles = 1 };
		rows[n].last = i;
		rows[n].size = rows[n].reserved = 0;
		rows[n].cells = 0;
		row_add(p, &rows[n], i);
		rows[n].last = i;
		n++;
	}
	return n;
}

/* The row's key VMA: its first that is not a reservation. */
static const struct map_vma *row_key(const struct map_pic *p, const struct row *r)
{
	size_t i;

	for (i = r->first; i <= r->last; i++)
		if (!map_reserved(&p->v[i]))
			return &p->v[i];
	return &p->v[r->first];
}

/*
 * Fold rows of files (libraries, locale files) into their neighbours until
 * N rows fit in FIT: each time the two next to each other that make the
 * smallest row, so the big files (libc, the program) keep a row of their own.
 */
static size_t fold_files(const struct map_pic *p, struct row *rows, size_t n, size_t fit)
{
	while (n > fit) {
		size_t i, best = n;
		uint64_t bsize = 0;

		for (i = 0; i + 1 < n; i++) {
			uint64_t size = rows[i].size + rows[i + 1].size;

			if (!is_file(row_key(p, &rows[i])) || !is_file(row_key(p, &rows[i + 1])))
				continue;
			if (best == n || size < bsize) {
				best = i;
				bsize = size;
			}
		}
		if (best == n)
			break;
		rows[best].last = rows[best + 1].last;
		rows[best].size += rows[best + 1].size;
		rows[best].reserved += rows[best + 1].reserved;
		rows[best].cells += rows[best + 1].cells;
		rows[best].nfiles += rows[best + 1].nfiles;
		memmove(&rows[best + 1], &rows[best + 2], (n - best - 2) * sizeof(*rows));
		n--;
	}
	return n;
}

/*
 * The row's label: its name, "+N files", "xN" (VMAs), then the notes
 * "(2M ---p)" and "(24M drawn)".  On one line in MAXW, the name cut to
 * fit; with TWO, the notes go to a second line (NOTE) and the name keeps
 * more of itself.  Returns whether everything fits on one line uncut.
 */
static bool row_label(const struct map_pic *p, const struct row *r, char *buf, char *note2,
		      size_t len, double maxw, bool two)
{
	const struct map_vma *k = row_key(p, r);
	size_t nv = r->last - r->first + 1, max;
	char name[96], note[80] = "", extra[80] = "", a[16], b[16], full[64], *q = note, *x = extra;
	const char *nm;
	bool fits;

	*note2 = '\0';
	if (r->more) {
		snprintf(buf, len, "\xe2\x80\xa6 %zu more VMAs: use --range or --vma", nv);
		return true;
	}
	if (r->reserved == r->size)
		nm = "reserved (---p)";
	else if (*k->name)
		nm = base_name(k->name);
	else
		nm = k->backing == PTSCOPE_BACK_ANON ? "[anon]" : pts_backing_name(k->backing);
	if (r->nfiles > 1)
		q += snprintf(q, note + sizeof(note) - q, " +%zu file%s", r->nfiles - 1,
			      r->nfiles > 2 ? "s" : "");
	if (nv > 1)
		snprintf(q, note + sizeof(note) - q, " \xc3\x97%zu", nv);
	if (r->reserved && r->reserved != r->size)
		x += snprintf(x, extra + sizeof(extra) - x, " (%s ---p)", fmt(r->reserved, a));
	if (r->drawn_bytes < r->size - r->reserved)
		snprintf(x, extra + sizeof(extra) - x, " (%s drawn)", fmt(r->drawn_bytes, b));
	if (r->nfiles > 1) {
		/* "libfoo" of libfoo.so.1: the start of a name says more here */
		const char *dot = strchr(nm + 1, '.');
		int n = dot ? (int)(dot - nm) : (int)strlen(nm);

		snprintf(full, sizeof(full), "%.*s", n, nm);
		nm = full;
	}
	fits = text_w(nm, FS) + text_w(note, FS) + text_w(extra, FS) <= maxw;
	if (two && *extra && !fits) {
		snprintf(note2, len, "%s", extra + 1);
		*extra = '\0';
	} else if (!fits && r->reserved && r->reserved != r->size &&
		   fit_chars(nm, FS, maxw - text_w(note, FS) - text_w(extra, FS)) < 10) {
		/* the name matters more than the size of the reservations */
		*extra = '\0';
		if (r->drawn_bytes < r->size - r->reserved)
			snprintf(extra, sizeof(extra), " (%s drawn)", fmt(r->drawn_bytes, b));
	}
	max = fit_chars(nm, FS, maxw - text_w(note, FS) - text_w(extra, FS));
	mid_fit(name, sizeof(name), nm, max < 4 ? 4 : max);
	snprintf(buf, len, "%s%s%s", name, note, extra);
	return fits;
}

static void vma_open(struct lay *l, const struct map_vma *v, bool drawn)
{
	char a[16];

	fprintf(l->f, "<g class=\"vma\" data-start=\"0x%llx\" data-end=\"0x%llx\" "
		"data-perm=\"%s\" data-backing=\"%s\" data-name=\"",
		(unsigned long long)v->start, (unsigned long long)v->end, v->perm,
		pts_backing_name(v->backing));
	xml_str(l->f, v->name);
	fprintf(l->f, "\" data-resident=\"%llu\" data-private=\"%llu\" data-shareable=\"%llu\" "
		"data-huge=\"%llu\" data-swap=\"%llu\" data-drawn=\"%d\"><title>0x%llx-0x%llx %s %s %s ",
		(unsigned long long)(v->bytes[MS_PRIV] + v->bytes[MS_SHARED] + v->bytes[MS_HUGE]),
		(unsigned long long)v->bytes[MS_PRIV], (unsigned long long)v->bytes[MS_SHARED],
		(unsigned long long)v->bytes[MS_HUGE], (unsigned long long)v->bytes[MS_SWAP],
		drawn, (unsigned long long)v->start, (unsigned long long)v->end, v->perm,
		fmt(v->end - v->start, a), pts_backing_name(v->backing));
	xml_str(l->f, v->name);
	fputs("</title>\n", l->f);
}

/* Each VMA of the row as a <g class="vma">, with its cells when drawn. */
static void draw_vmas(struct lay *l, const struct row *r)
{
	const struct map_pic *p = l->p;
	size_t cap = r->more ? 0 : (size_t)r->lines * l->cpl, pos = 0, i, c;

	for (i = r->first; i <= r->last; i++) {
		const struct map_vma *v = &p->v[i];

		vma_open(l, v, !r->more);
		for (c = 0; c < vma_cells(v) && pos < cap;) {
			size_t col = pos % l->cpl, n = 1;
			uint8_t look = v->cell[c];
			unsigned int st = MAP_LOOK_STATE(look), q = MAP_LOOK_FILL(look);
			char op[40] = "";

			while (c + n < vma_cells(v) && col + n < l->cpl &&
			       pos + n < cap && v->cell[c + n] == look)
				n++;
			double x = l->grid_x + col * PITCH, y = r->y + 3 + (pos / l->cpl) * PITCH;

			/* some pages present: the cell filled to their share, from below */
			if (st < MS_NR && q && q < 4) {
				rect(l, x, y, n * PITCH - 1, PITCH - 1, state_color[MS_NR], NULL);
				snprintf(op, sizeof(op), "class=\"part\"");
				rect(l, x, y + (PITCH - 1) * (4 - q) / 4, n * PITCH - 1,
				     (PITCH - 1) * q / 4, state_color[st], op);
			} else {
				rect(l, x, y, n * PITCH - 1, PITCH - 1,
				     state_color[st < MS_NR ? st : MS_NR], NULL);
			}
			fputc('\n', l->f);
			c += n;
			pos += n;
		}
		fputs("</g>\n", l->f);
	}
}

static void draw_row(struct lay *l, const struct row *r)
{
	const struct map_pic *p = l->p;
	char label[160], note[160], a[16], addr[24];
	uint64_t res = 0;
	double ty = r->y + 22;
	size_t i;
	int k;

	for (i = r->first; i <= r->last; i++)
		for (k = MS_PRIV; k <= MS_HUGE; k++)
			res += p->v[i].bytes[k];
	fputs("<g class=\"row\">\n", l->f);
	if (!r->more) {
		rect(l, 20, r->y + 3, 10, r->h - 6,
		     r->backing == ~0U ? RESERVED_COLOR : backing_color(r->backing),
		     "class=\"bar\"");
		snprintf(addr, sizeof(addr), "%012llx", (unsigned long long)p->v[r->first].start);
		text(l, 38, ty, FS, "font-family=\"DejaVu Sans Mono, monospace\" class=\"addr\"", addr);
	}
	row_label(p, r, label, note, sizeof(label), r->more ? l->res_r - 38 : l->name_w,
		  r->lines >= TWO_LINES);
	text(l, r->more ? 38 : l->name_x, ty, FS, "class=\"name\"", label);
	if (*note)
		text_fit(l, l->name_x, ty + 22, FS, "class=\"note\"", note, l->name_w);
	if (!r->more) {
		text(l, l->size_r, ty, FS, "text-anchor=\"end\" class=\"size\"", fmt(r->size, a));
		text(l, l->res_r, ty, FS, "text-anchor=\"end\" class=\"res\"", res ? fmt(res, a) : "0");
	}
	draw_vmas(l, r);
	fputs("</g>\n", l->f);
}

struct lab { double x0, x1; int lane; };

/* Place a label of width W near IDEAL in the lowest free lane, least moved. */
static bool place(struct lab *placed, size_t np, double w, double ideal, double xmin,
		  double xmax, struct lab *out)
{
	double best = 1e18, bx = 0;
	int lane, bl = -1;
	size_t i, j;

	for (lane = 0; lane < MAX_LANES; lane++) {
		for (i = 0; i <= 2 * np; i++) {
			double x = i == 0 ? ideal : (i & 1) ? placed[(i - 1) / 2].x1 + 10 :
				   placed[(i - 1) / 2].x0 - 10 - w, cost;

			if (x < xmin)
				x = xmin;
			if (x + w > xmax)
				x = xmax - w;
			cost = (x > ideal ? x - ideal : ideal - x) + lane * 60;
			if (cost >= best || cost - lane * 60 > MAX_SHIFT)
				continue;
			for (j = 0; j < np; j++)
				if (placed[j].lane == lane && x < placed[j].x1 + 8 &&
				    placed[j].x0 < x + w + 8)
					break;
			if (j < np)
				continue;
			best = cost;
			bx = x;
			bl = lane;
		}
	}
	if (bl < 0)
		return false;
	*out = (struct lab){ bx, bx + w, bl };
	return true;
}

struct gap { uint64_t start, end; double x; };

static int cmp_gap(const void *a, const void *b)
{
	const struct gap *x = a, *y = b;
	uint64_t sx = x->end - x->start, sy = y->end - y->start;

	return sx < sy ? 1 : sx > sy ? -1 : x->start < y->start ? -1 : 1;
}

/* The ribbon and its gap labels; returns the bottom of the labels. */
static double ribbon(struct lay *l, double y, size_t *ngaps_out, size_t *dropped)
{
	const struct map_pic *p = l->p;
	double x0 = 20, rw = l->w - 40, rh = 30, gapw = 18, minw = 2, extra, x = x0;
	double fixed, bottom = y + rh;
	struct gap *gaps = calloc(p->n ? p->n : 1, sizeof(*gaps));
	struct lab *labs = calloc(p->n ? p->n : 1, sizeof(*labs));
	uint64_t total = 0;
	size_t i, ng = 0, nl = 0;
	char a[16];

	*ngaps_out = *dropped = 0;
	if (!gaps || !labs) {
		free(gaps);
		free(labs);
		return bottom;
	}
	for (i = 0; i < p->n; i++) {
		total += p->v[i].end - p->v[i].start;
		if (i && p->v[i].start > p->v[i - 1].end)
			ng++;
	}
	fixed = p->n * minw + ng * gapw;
	if (fixed > rw / 2) {
		minw *= rw / 2 / fixed;
		gapw *= rw / 2 / fixed;
	}
	extra = rw - p->n * minw - ng * gapw;
	rect(l, x0, y, rw, rh, "#ffffff", "stroke=\"#cfd8dc\"");
	fputc('\n', l->f);
	ng = 0;
	for (i = 0; i < p->n; i++) {
		const struct map_vma *v = &p->v[i];
		double w = minw + (total ? extra * (double)(v->end - v->start) / total : 0);

		if (i && v->start > p->v[i - 1].end) {
			gaps[ng++] = (struct gap){ p->v[i - 1].end, v->start, x + gapw / 2 };
			fprintf(l->f, "<path class=\"ribbon-gap\" d=\"M%.2f %.2f l%.2f %.2f M%.2f %.2f "
				"l%.2f %.2f\" stroke=\"#607d8b\" stroke-width=\"%.2f\" fill=\"none\"/>\n",
				(x + gapw * 0.2) * l->s, (y + rh) * l->s, gapw * 0.3 * l->s, -rh * l->s,
				(x + gapw * 0.5) * l->s, (y + rh) * l->s, gapw * 0.3 * l->s, -rh * l->s,
				1.5 * l->s);
			x += gapw;
		}
		rect(l, x, y, w, rh, map_reserved(v) ? RESERVED_COLOR : backing_color(v->backing),
		     "class=\"ribbon-vma\"");
		fputc('\n', l->f);
		x += w;
	}
	qsort(gaps, ng, sizeof(*gaps), cmp_gap);
	for (i = 0; i < ng; i++) {
		const char *s = fmt(gaps[i].end - gaps[i].start, a);
		double w = text_w(s, FS);
		struct lab lb;
		char attrs[128];

		if (!place(labs, nl, w, gaps[i].x - w / 2, x0, x0 + rw, &lb)) {
			(*dropped)++;
			continue;
		}
		labs[nl++] = lb;
		fprintf(l->f, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" "
			"stroke=\"#90a4ae\" stroke-width=\"%.2f\"/>\n", gaps[i].x * l->s,
			(y + rh) * l->s, (lb.x0 + w / 2) * l->s,
			(y + rh + 4 + lb.lane * LANE_H) * l->s, l->s);
		snprintf(attrs, sizeof(attrs), "class=\"gap\" data-start=\"0x%llx\" data-end=\"0x%llx\"",
			 (unsigned long long)gaps[i].start, (unsigned long long)gaps[i].end);
		text(l, lb.x0, y + rh + 4 + lb.lane * LANE_H + 18, FS, attrs, s);
		if (y + rh + 4 + (lb.lane + 1) * LANE_H > bottom)
			bottom = y + rh + 4 + (lb.lane + 1) * LANE_H;
	}
	*ngaps_out = nl;
	free(gaps);
	free(labs);
	return bottom;
}

/* A legend line: TITLE then colour chips; wraps; returns the next baseline. */
static double legend(struct lay *l, double y, const char *title, const char *const *colors,
		     const char *const *labels, size_t n, const char *tail)
{
	double x = 20;
	size_t i;

	text(l, x, y, FS, "font-weight=\"bold\" class=\"legend\"", title);
	x += text_w(title, FS) + 14;
	for (i = 0; i < n; i++) {
		double w = 26 + text_w(labels[i], FS) + 28;

		if (x + w > l->w - 20) {
			x = 20 + 30;
			y += 28;
		}
		rect(l, x, y - 15, 18, 18, colors[i], "class=\"chip\"");
		text(l, x + 26, y, FS, "class=\"legend\"", labels[i]);
		x += w;
	}
	if (tail) {
		if (x + text_w(tail, FS) > l->w - 20) {
			x = 20 + 30;
			y += 28;
		}
		text_fit(l, x, y, FS, "class=\"legend\"", tail, l->w - 20 - x);
	}
	return y + 30;
}

int map_svg(FILE *f, const struct map_pic *p, struct map_result *res)
{
	struct lay l = { .f = f, .p = p };
	struct row *rows = calloc(p->n ? p->n : 1, sizeof(*rows));
	const char *colors[MS_NR + 1 + 8], *labels[MS_NR + 1 + 8];
	uint64_t tot[MS_NR] = { 0 }, mapped = 0, resident;
	double y, avail, rows_y, footer_y;
	size_t nr, fit, i, ngaps, dropped, spare;
	int digits = 12;
	double gw;
	char buf[512], a[16], b[16], c[16], d[16], e[16];
	int k;

	if (!rows)
		return -ENOMEM;
	memset(res, 0, sizeof(*res));
	/* shown to fit 1920x1080, the picture is scaled by 1 / s */
	l.s = (double)p->width / DW > (double)p->height / DH ? (double)p->width / DW :
	      (double)p->height / DH;
	l.w = p->width / l.s;
	l.h = p->height / l.s;
	/* the columns: start, name, size, resident, then the cells */
	for (i = 0; i < p->n; i++)
		while (p->v[i].start >> (4 * digits) && digits < 16)
			digits++;
	l.name_x = 38 + digits * FS * 0.6 + 16;
	gw = (l.w - 20 - (l.name_x + 16 * FS * 0.8 + 84 + 104 + 16)) / PITCH;
	l.cpl = gw >= MAP_CELLS_PER_LINE ? MAP_CELLS_PER_LINE : gw < 16 ? 16 : (size_t)gw / 16 * 16;
	l.grid_x = l.w - 20 - l.cpl * PITCH;
	l.res_r = l.grid_x - 16;
	l.size_r = l.res_r - 104;
	l.name_w = l.size_r - 84 - l.name_x;

	for (i = 0; i < p->n; i++) {
		mapped += p->v[i].end - p->v[i].start;
		for (k = 0; k < MS_NR; k++)
			tot[k] += p->v[i].bytes[k];
	}
	resident = tot[MS_PRIV] + tot[MS_SHARED] + tot[MS_HUGE];

	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		"viewBox=\"0 0 %d %d\" font-family=\"DejaVu Sans, Verdana, sans-serif\">\n",
		p->width, p->height, p->width, p->height);
	fprintf(f, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", p->width, p->height);
	snprintf(buf, sizeof(buf), "ptscope map: pid %u (%s)%s%s", p->pid, p->comm,
		 p->select ? ", " : "", p->select ? p->select : "");
	text_fit(&l, 20, 42, 32, "font-weight=\"bold\" class=\"title\"", buf, l.w - 40);

	/* rows first, to know how many there are */
	nr = make_rows(p, rows);
	rows_y = 0;	/* set below */
	snprintf(buf, sizeof(buf), "%zu VMAs, %s mapped; %s resident: %s private, %s shareable, "
		 "%s in huge pages; %s swapped out", p->n, fmt(mapped, a), fmt(resident, b),
		 fmt(tot[MS_PRIV], c), fmt(tot[MS_SHARED], d), fmt(tot[MS_HUGE], e),
		 tot[MS_SWAP] ? fmt(tot[MS_SWAP], a) : "0");
	text_fit(&l, 20, 76, 20, "class=\"summary\"", buf, l.w - 40);
	if (p->n)
		snprintf(buf, sizeof(buf), "Address space 0x%llx-0x%llx: VMAs to scale, %s "
			 "compressed, sizes below",
			 (unsigned long long)p->v[0].start, (unsigned long long)p->v[p->n - 1].end,
			 p->select ? "what lies between" : "gaps");
	else
		snprintf(buf, sizeof(buf), "No VMA to draw");
	y = ribbon(&l, 120, &ngaps, &dropped) + 30;
	if (dropped)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf),
			 " (%zu too many to label)", dropped);
	text_fit(&l, 20, 110, FS, "class=\"caption\"", buf, l.w - 40);

	for (k = 0; k <= MS_NR; k++) {
		colors[k] = state_color[k];
		labels[k] = state_label[k];
	}
	snprintf(buf, sizeof(buf), "a cell filled in part: only some of its pages present; "
		 "1 cell = 64K, 1 line = %s", fmt(l.cpl * MAP_CELL_BYTES, a));
	y = legend(&l, y, "Page state (cells):", colors, labels, MS_NR + 1, buf);
	for (i = 0; i < sizeof(backing_legend) / sizeof(backing_legend[0]); i++) {
		colors[i] = backing_color(backing_legend[i].b);
		labels[i] = backing_legend[i].label;
	}
	colors[i] = RESERVED_COLOR;
	labels[i++] = "reserved ---p (not drawn as cells)";
	y = legend(&l, y, "Backing (bar, ribbon):", colors, labels, i, NULL);

	/* the column heads */
	text(&l, 38, y + 4, FS, "font-weight=\"bold\" class=\"head\"", "start");
	text(&l, l.name_x, y + 4, FS, "font-weight=\"bold\" class=\"head\"", "name, \xc3\x97N VMAs");
	text(&l, l.size_r, y + 4, FS, "font-weight=\"bold\" text-anchor=\"end\" class=\"head\"",
	     "size");
	text(&l, l.res_r, y + 4, FS, "font-weight=\"bold\" text-anchor=\"end\" class=\"head\"",
	     "resident");
	text(&l, l.grid_x, y + 4, FS, "font-weight=\"bold\" class=\"head\"",
	     "pages (1 cell = 64K)");
	rows_y = y + 12;
	footer_y = l.h - 12;
	avail = footer_y - 28 - rows_y;
	fit = avail > 0 ? (size_t)(avail / (BASE_LINES * PITCH + ROW_PAD)) : 0;
	if (!fit)
		fit = 1;
	if (nr > fit)
		nr = fold_files(p, rows, nr, fit);
	if (nr > fit) {
		/* the last row stands for all the rows that do not fit */
		rows[fit - 1].last = rows[nr - 1].last;
		rows[fit - 1].more = true;
		nr = fit;
	}
	for (i = 0; i < nr; i++)
		rows[i].lines = rows[i].more ? 1 : BASE_LINES;
	/* spare height: first a second text line for the labels too long */
	spare = (size_t)((avail - nr * (BASE_LINES * PITCH + ROW_PAD)) / PITCH);
	for (i = 0; i < nr && spare >= TWO_LINES - BASE_LINES; i++) {
		struct row *r = &rows[i];
		char l1[160], l2[160];

		if (r->more)
			continue;
		/* as if cut: the note is as long */
		r->drawn_bytes = r->cells > BASE_LINES * l.cpl ? r->size - r->reserved - 1 :
				 r->size - r->reserved;
		if (row_label(p, r, l1, l2, sizeof(l1), l.name_w, false))
			continue;
		r->lines = TWO_LINES;
		spare -= TWO_LINES - BASE_LINES;
	}
	/* then more lines for the rows whose cells need them, biggest first */
	while (spare) {
		size_t best = nr;
		long need, bneed = 0;

		for (i = 0; i < nr; i++) {
			if (rows[i].more)
				continue;
			need = (long)((rows[i].cells + l.cpl - 1) / l.cpl) -
			       rows[i].lines;
			if (need > bneed) {
				bneed = need;
				best = i;
			}
		}
		if (best == nr)
			break;
		rows[best].lines++;
		spare--;
	}
	y = rows_y;
	for (i = 0; i < nr; i++) {
		struct row *r = &rows[i];
		size_t cap = (size_t)r->lines * l.cpl, pos = 0, j;

		r->h = r->more ? BASE_LINES * PITCH + ROW_PAD : r->lines * PITCH + ROW_PAD;
		r->y = y;
		r->drawn_bytes = 0;
		for (j = r->first; j <= r->last; j++) {
			const struct map_vma *v = &p->v[j];
			size_t nc = vma_cells(v), take;
			uint64_t bytes;

			if (!nc)
				continue;
			take = cap > pos ? (cap - pos < nc ? cap - pos : nc) : 0;
			bytes = take == nc && v->ncells * MAP_CELL_BYTES >= v->end - v->start ?
				v->end - v->start : take * MAP_CELL_BYTES;
			r->drawn_bytes += bytes;
			pos += nc;
		}
		if (r->drawn_bytes < r->size - r->reserved && !r->more)
			res->truncated++;
		if (r->more)
			res->hidden_vmas = r->last - r->first + 1;
		if (i % 2)
			rect(&l, 14, y, l.w - 28, r->h, "#f4f6f8", NULL);
		draw_row(&l, r);
		y += r->h;
	}
	res->rows = nr;
	res->gaps = ngaps;

	snprintf(buf, sizeof(buf), "ptscope %s, %d-level paging, the live page tables.  "
		 "Resident: mapped by a present entry, zero page and special frames left out "
		 "(as RSS)", p->version, p->paging_levels);
	text_fit(&l, 20, footer_y, FS, "class=\"footer\"", buf, l.w - 40);
	fputs("</svg>\n", f);
	free(rows);
	return ferror(f) ? -EIO : 0;
}

/* For the other pictures (heatmap.c): the same escaping and text widths. */
void map_xml_text(FILE *f, const char *s)
{
	xml_str(f, s);
}

double map_text_width(const char *s, double fs)
{
	return text_w(s, fs);
}
