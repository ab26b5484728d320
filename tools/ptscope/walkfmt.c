// SPDX-License-Identifier: GPL-2.0
/*
 * The writers of `ptscope walk` and `ptscope walk --json` (walkfmt.h), and
 * the JSON of a VMA record (cli_json_vma(), here so that tools/bench can
 * build the walk's JSON lines exactly as the CLI does).
 *
 * A leaf line is written field by field into the buffer: hexadecimal and
 * decimal numbers by hand, names and sizes from tables made once.  Each
 * function mirrors a printf() format of the writers it replaced; the
 * format is in the comment above it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "walkfmt.h"

/* ---- JSON of a VMA (json-c: its name needs escaping) ------------------ */

json_object *cli_json_hex(uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)v);
	return json_object_new_string(buf);
}

json_object *cli_json_vma(const struct ptscope_vma *v)
{
	json_object *o = json_object_new_object();
	char perm[5];

	jset(o, "start", cli_json_hex(v->start));
	jset(o, "end", cli_json_hex(v->end));
	jset(o, "perm", json_object_new_string(pts_vma_perm(v, perm)));
	jset(o, "backing", json_object_new_string(pts_backing_name(v->backing)));
	jset(o, "name", v->name[0] ?
	     json_object_new_string_len(v->name, strnlen(v->name, sizeof(v->name))) :
	     NULL);
	jset(o, "pagesize", json_object_new_int64(v->pagesize));
	return o;
}

void jset(json_object *o, const char *key, json_object *val)
{
	json_object_object_add(o, key, val);
}

static char *json_dup(json_object *o)
{
	char *s = o ? strdup(json_object_to_json_string_ext(o,
			JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)) : NULL;

	json_object_put(o);
	return s;
}

char *wf_vma_json(const struct ptscope_vma *v)
{
	return json_dup(cli_json_vma(v));
}

char *wf_region_json(const struct ptscope_vma *v)
{
	return json_dup(json_object_new_string(v->name));
}

/* ---- the buffer ---------------------------------------------------------- */

static struct wf *on_stdout;

int wf_init(struct wf *w, FILE *f, bool coalesce, const struct wf_colors *c)
{
	static const struct wf_colors none = { "", "", "", "", "", "" };
	unsigned int i;

	memset(w, 0, sizeof(*w));
	w->f = f;
	w->coalesce = coalesce;
	w->c = c ? *c : none;
	w->buf = malloc(WF_BUF_SIZE);
	w->flags = calloc(WF_FLAG_SLOTS, sizeof(*w->flags));
	if (!w->buf || !w->flags) {
		free(w->buf);
		free(w->flags);
		return -ENOMEM;
	}
	for (i = 0; i < PTSCOPE_NR_LEVELS; i++) {
		pts_fmt_size(pts_level_size(i), w->lsize[i], sizeof(w->lsize[i]));
		w->lsize_len[i] = strlen(w->lsize[i]);
	}
	for (i = 0; i < PTSCOPE_NR_LEVELS; i++) {
		w->lname[i] = pts_level_name(i);
		w->lname_len[i] = strlen(w->lname[i]);
	}
	for (i = 0; i < PTSCOPE_NR_LEVELS; i++) {
		/* " %4s %-4s 0x", or after the count " x %-4s %-4s 0x" */
		snprintf(w->lpart[i], sizeof(w->lpart[i]), coalesce ? " x %-4s %-4s 0x" :
			 " %4s %-4s 0x", w->lsize[i], w->lname[i]);
		w->lpart_len[i] = strlen(w->lpart[i]);
	}
	w->reset_len = strlen(w->c.reset);
	for (i = 0; i < WF_ORDERS; i++) {
		pts_fmt_size(4096ULL << i, w->osize[i], sizeof(w->osize[i]));
		w->osize_len[i] = strlen(w->osize[i]);
	}
	if (f == stdout)
		on_stdout = w;
	return 0;
}

void wf_flush(struct wf *w)
{
	if (w->len)
		fwrite_unlocked(w->buf, 1, w->len, w->f);
	w->len = 0;
}

void wf_flush_stdout(void)
{
	if (on_stdout)
		wf_flush(on_stdout);
}

void wf_free(struct wf *w)
{
	if (!w->buf)
		return;
	wf_flush(w);
	if (on_stdout == w)
		on_stdout = NULL;
	free(w->buf);
	free(w->flags);
	w->buf = NULL;
	w->flags = NULL;
}

/* Room for N more bytes (N <= WF_BUF_SIZE): where to write them. */
static inline char *room(struct wf *w, size_t n)
{
	if (WF_BUF_SIZE - w->len < n)
		wf_flush(w);
	return w->buf + w->len;
}

static inline void done(struct wf *w, const char *end)
{
	w->len = end - w->buf;
}

void wf_put(struct wf *w, const char *s, size_t len)
{
	while (len) {
		size_t n;

		if (w->len == WF_BUF_SIZE)
			wf_flush(w);
		n = WF_BUF_SIZE - w->len;
		if (n > len)
			n = len;
		memcpy(w->buf + w->len, s, n);
		w->len += n;
		s += n;
		len -= n;
	}
}

void wf_printf(struct wf *w, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(w->buf + w->len, WF_BUF_SIZE - w->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < WF_BUF_SIZE - w->len) {
		w->len += n;
		return;
	}
	/* it did not fit: longer than the room left, or than the buffer */
	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	wf_put(w, s, n);
	free(s);
}

/* ---- numbers and strings --------------------------------------------------- */

static const char dec2[200] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

/*
 * Eight hex digits of V (its low 32 bits) as eight bytes: each nibble
 * spread into a byte (most significant first after the swap), then
 * '0' + n, or 'a' + n - 10 where n >= 10, in all eight bytes at once.
 */
static inline uint64_t hex8(uint32_t v)
{
	uint64_t x = v, ge10;

	x = (x | x << 16) & 0x0000ffff0000ffffULL;
	x = (x | x << 8) & 0x00ff00ff00ff00ffULL;
	x = (x | x << 4) & 0x0f0f0f0f0f0f0f0fULL;
	x = __builtin_bswap64(x);
	ge10 = ((x + 0x0606060606060606ULL) >> 4) & 0x0101010101010101ULL;
	return x + 0x3030303030303030ULL + ge10 * ('a' - '0' - 10);
}

/* %016llx */
static inline char *put_hex16(char *p, uint64_t v)
{
	uint64_t hi = hex8(v >> 32), lo = hex8(v);

	memcpy(p, &hi, 8);
	memcpy(p + 8, &lo, 8);
	return p + 16;
}

/* %llx */
static inline char *put_hex(char *p, uint64_t v)
{
	int n = v ? (64 - __builtin_clzll(v) + 3) / 4 : 1;
	char tmp[16];

	put_hex16(tmp, v);
	memcpy(p, tmp + 16 - n, n);
	return p + n;
}

/* %llu into the 20 bytes before END: the first digit. */
static inline char *dec_back(char *end, uint64_t v)
{
	char *q = end;

	while (v >= 100) {
		unsigned int r = v % 100;

		v /= 100;
		q -= 2;
		memcpy(q, dec2 + 2 * r, 2);
	}
	if (v >= 10) {
		q -= 2;
		memcpy(q, dec2 + 2 * v, 2);
	} else {
		*--q = '0' + v;
	}
	return q;
}

/* %llu */
static inline char *put_dec(char *p, uint64_t v)
{
	char tmp[20], *q = dec_back(tmp + sizeof(tmp), v);
	size_t n = tmp + sizeof(tmp) - q;

	memcpy(p, q, n);
	return p + n;
}

static inline char *put_str(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

#define PUT_LIT(p, lit)	put_str(p, lit, sizeof(lit) - 1)

static inline char *pad(char *p, size_t have, size_t width)
{
	if (have >= width)
		return p;
	memset(p, ' ', width - have);
	return p + width - have;
}

/* %-Ns */
static inline char *put_left(char *p, const char *s, size_t n, size_t width)
{
	return pad(put_str(p, s, n), n, width);
}

/* %Ns */
static inline char *put_right(char *p, const char *s, size_t n, size_t width)
{
	return put_str(pad(p, n, width), s, n);
}

/* The names of a flags value, made at its first use. */
static const struct wf_flagstr *flagstr(struct wf *w, uint64_t flags)
{
	struct wf_flagstr *e = &w->flags[(flags * 0x9e3779b97f4a7c15ULL) >> 58];
	uint64_t f = flags & ~PTSCOPE_F_PFN_VALID;
	char *p;
	int i;

	_Static_assert(WF_FLAG_SLOTS == 64, "the hash takes 6 bits");
	if (e->valid && e->flags == flags)
		return e;
	pts_flags_str(flags, e->text, sizeof(e->text));
	e->text_len = strlen(e->text);
	p = e->json;
	*p++ = '[';
	for (i = 0; f; i++, f >>= 1) {
		const char *name = f & 1 ? pts_flag_name(1ULL << i) : NULL;

		if (!name)
			continue;
		if (p > e->json + 1)
			*p++ = ',';
		*p++ = '"';
		p = put_str(p, name, strlen(name));
		*p++ = '"';
	}
	*p++ = ']';
	e->json_len = p - e->json;
	/* the folio column ("%-8s" of "4K" or "-"), a space and the names */
	p = e->tail0;
	if (flags & PTSCOPE_F_FOLIO)
		p = put_left(p, w->osize[0], w->osize_len[0], 8);
	else
		p = put_left(p, "-", 1, 8);
	*p++ = ' ';
	p = put_str(p, e->text, e->text_len);
	e->tail0_len = p - e->tail0;
	e->flags = flags;
	e->valid = true;
	return e;
}

/* ---- text --------------------------------------------------------------- */

void wf_text_vma(struct wf *w, const struct ptscope_vma *v)
{
	char perm[5], size[16];

	pts_fmt_size(v->end - v->start, size, sizeof(size));
	if (v->backing == PTSCOPE_BACK_KERNEL) {
		wf_printf(w, "%s%sregion 0x%016llx-0x%016llx %6s %s%s\n", w->c.bold,
			  w->c.cyan, (unsigned long long)v->start,
			  (unsigned long long)v->end, size, v->name, w->c.reset);
		return;
	}
	wf_printf(w, "%s%svma 0x%016llx-0x%016llx %s %6s %-7s %s%s\n", w->c.bold,
		  w->c.cyan, (unsigned long long)v->start,
		  (unsigned long long)v->end, pts_vma_perm(v, perm), size,
		  pts_backing_name(v->backing), v->name, w->c.reset);
}

/*
 * The frame column: "swap %u:0x%llx", "marker 0x%llx", "0x%llx" or "-",
 * then %-12s.
 */
static inline char *put_pfn_col(char *p, const struct ptscope_leaf *l)
{
	char *s = p;

	if (l->flags & PTSCOPE_F_SWAP) {
		p = PUT_LIT(p, "swap ");
		p = put_dec(p, l->swap_type);
		p = PUT_LIT(p, ":0x");
		p = put_hex(p, l->swap_offset);
	} else if (l->flags & PTSCOPE_F_MARKER) {
		p = PUT_LIT(p, "marker 0x");
		p = put_hex(p, l->swap_offset);
	} else if (l->flags & PTSCOPE_F_PFN_VALID) {
		p = PUT_LIT(p, "0x");
		p = put_hex(p, l->pfn);
	} else {
		*p++ = '-';
	}
	return pad(p, p - s, 12);
}

/* The folio column: pts_folio_str(), then %-8s. */
static inline char *put_folio_col(char *p, const struct wf *w,
				  const struct ptscope_leaf *l)
{
	char *s = p;

	if (!(l->flags & PTSCOPE_F_FOLIO)) {
		*p++ = '-';
	} else if (l->folio_order < WF_ORDERS) {
		p = put_str(p, w->osize[l->folio_order], w->osize_len[l->folio_order]);
		if (l->folio_order) {
			*p++ = '+';
			p = put_dec(p, l->pfn - l->folio_pfn);
		}
	} else {
		char folio[32];

		pts_folio_str(l, folio, sizeof(folio));
		p = put_str(p, folio, strlen(folio));
	}
	return pad(p, p - s, 8);
}

/*
 * "%s    0x%016llx %s %-4s 0x%016llx %-12s %4s %-8s %s" colour, va, size
 * ("%4s", or "%7llu x %-4s" with the count), level, entry, frame, map
 * count ("-" for none), folio, flags; " pkey=%u" if a key; the colour's
 * reset and a newline.
 */
void wf_text_leaf(struct wf *w, const struct ptscope_leaf *l)
{
	const struct wf_flagstr *fs = flagstr(w, l->flags);
	const char *c = "";
	size_t clen;
	char *p;

	if (!(l->flags & PTSCOPE_F_PRESENT))
		c = w->c.yellow;
	else if (l->level != PTSCOPE_LVL_PTE)
		c = w->c.magenta;
	else if (l->flags & PTSCOPE_F_ZERO_PAGE)
		c = w->c.dim;
	clen = strlen(c);

	p = room(w, 1024 + clen + w->reset_len);
	p = put_str(p, c, clen);
	p = PUT_LIT(p, "    0x");
	p = put_hex16(p, l->va);
	if (w->coalesce) {
		char tmp[20], *q = dec_back(tmp + sizeof(tmp), l->count);

		*p++ = ' ';
		p = put_right(p, q, tmp + sizeof(tmp) - q, 7);
	}
	if (l->level < PTSCOPE_NR_LEVELS) {
		p = put_str(p, w->lpart[l->level], w->lpart_len[l->level]);
	} else {
		const char *size, *name = lvl(l->level);
		char sbuf[16];

		size = pts_fmt_size(pts_level_size(l->level), sbuf, sizeof(sbuf));
		if (w->coalesce) {
			p = PUT_LIT(p, " x ");
			p = put_left(p, size, strlen(size), 4);
		} else {
			*p++ = ' ';
			p = put_right(p, size, strlen(size), 4);
		}
		*p++ = ' ';
		p = put_left(p, name, strlen(name), 4);
		p = PUT_LIT(p, " 0x");
	}
	p = put_hex16(p, l->entry);
	*p++ = ' ';
	p = put_pfn_col(p, l);
	if (l->mapcount < 10) {
		memcpy(p, "    ", 4);
		p[4] = l->mapcount ? '0' + l->mapcount : '-';
		p += 5;
	} else {
		char tmp[20], *q = dec_back(tmp + sizeof(tmp), l->mapcount);

		*p++ = ' ';
		p = put_right(p, q, tmp + sizeof(tmp) - q, 4);
	}
	*p++ = ' ';
	if (!(l->flags & PTSCOPE_F_FOLIO) || !l->folio_order) {
		p = put_str(p, fs->tail0, fs->tail0_len);
	} else {
		p = put_folio_col(p, w, l);
		*p++ = ' ';
		p = put_str(p, fs->text, fs->text_len);
	}
	if (l->pkey) {
		p = PUT_LIT(p, " pkey=");
		p = put_dec(p, l->pkey);
	}
	if (*c)
		p = put_str(p, w->c.reset, w->reset_len);
	*p++ = '\n';
	done(w, p);
}

/* ---- JSON ----------------------------------------------------------------- */

/*
 * {"va":"0x%llx","size":%llu,"count":%llu,"level":"%s","entry":"0x%llx",
 * "pfn":%llu|null,"present":true|false,"flags":[...],
 * "swap":{"type":%u,"offset":%llu}|null,"folio":{"pfn":%llu,"size":%llu}|null,
 * "mapcount":%u,"pkey":%u,"vma":VMA|null[,"region":REGION][,"explain":EXPLAIN]}
 */
void wf_json_leaf(struct wf *w, const struct ptscope_leaf *l, const char *explain)
{
	const struct wf_flagstr *fs = flagstr(w, l->flags);
	bool known = l->level < PTSCOPE_NR_LEVELS;
	const char *name = known ? w->lname[l->level] : lvl(l->level);
	size_t nlen = known ? w->lname_len[l->level] : strlen(name);
	size_t xlen = explain ? strlen(explain) : 0;
	size_t tail = w->vma_len + w->region_len + xlen + 32;
	char *p;

	p = room(w, 1536 + (tail < WF_BUF_SIZE / 2 ? tail : 0));
	p = PUT_LIT(p, "{\"va\":\"0x");
	p = put_hex(p, l->va);
	p = PUT_LIT(p, "\",\"size\":");
	p = put_dec(p, pts_level_size(l->level));
	p = PUT_LIT(p, ",\"count\":");
	p = put_dec(p, l->count);
	p = PUT_LIT(p, ",\"level\":\"");
	p = put_str(p, name, nlen);
	p = PUT_LIT(p, "\",\"entry\":\"0x");
	p = put_hex(p, l->entry);
	p = PUT_LIT(p, "\",\"pfn\":");
	if (l->flags & PTSCOPE_F_PFN_VALID)
		p = put_dec(p, l->pfn);
	else
		p = PUT_LIT(p, "null");
	if (l->flags & PTSCOPE_F_PRESENT)
		p = PUT_LIT(p, ",\"present\":true,\"flags\":");
	else
		p = PUT_LIT(p, ",\"present\":false,\"flags\":");
	p = put_str(p, fs->json, fs->json_len);
	p = PUT_LIT(p, ",\"swap\":");
	if (l->flags & PTSCOPE_F_SWAP) {
		p = PUT_LIT(p, "{\"type\":");
		p = put_dec(p, l->swap_type);
		p = PUT_LIT(p, ",\"offset\":");
		p = put_dec(p, l->swap_offset);
		*p++ = '}';
	} else {
		p = PUT_LIT(p, "null");
	}
	p = PUT_LIT(p, ",\"folio\":");
	if (l->flags & PTSCOPE_F_FOLIO) {
		p = PUT_LIT(p, "{\"pfn\":");
		p = put_dec(p, l->folio_pfn);
		p = PUT_LIT(p, ",\"size\":");
		p = put_dec(p, pts_folio_size(l));
		*p++ = '}';
	} else {
		p = PUT_LIT(p, "null");
	}
	p = PUT_LIT(p, ",\"mapcount\":");
	p = put_dec(p, l->mapcount);
	p = PUT_LIT(p, ",\"pkey\":");
	p = put_dec(p, l->pkey);
	p = PUT_LIT(p, ",\"vma\":");
	if (tail >= WF_BUF_SIZE / 2) {
		/* long strings (a long explanation): piece by piece */
		done(w, p);
		wf_put(w, w->vma ? w->vma : "null", w->vma ? w->vma_len : 4);
		if (w->region) {
			wf_put(w, ",\"region\":", 10);
			wf_put(w, w->region, w->region_len);
		}
		if (explain) {
			wf_put(w, ",\"explain\":", 11);
			wf_put(w, explain, xlen);
		}
		wf_put(w, "}\n", 2);
		return;
	}
	if (w->vma)
		p = put_str(p, w->vma, w->vma_len);
	else
		p = PUT_LIT(p, "null");
	if (w->region) {
		p = PUT_LIT(p, ",\"region\":");
		p = put_str(p, w->region, w->region_len);
	}
	if (explain) {
		p = PUT_LIT(p, ",\"explain\":");
		p = put_str(p, explain, xlen);
	}
	p = PUT_LIT(p, "}\n");
	done(w, p);
}

void wf_json_vma(struct wf *w, const char *vma, const char *region)
{
	w->vma = vma;
	w->vma_len = vma ? strlen(vma) : 0;
	w->region = region;
	w->region_len = region ? strlen(region) : 0;
}
