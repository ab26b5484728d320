/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The writers of `ptscope walk` (text) and `ptscope walk --json` (JSON
 * Lines): leaf lines formatted by hand into one large buffer that goes to
 * its FILE in one fwrite() when full.  No printf per field: numbers are
 * converted by hand, the names of a flags value are made once per value
 * (a small cache) and copied after that.  The output is byte for byte what
 * the printf-based writers printed (tests/unit/walkfmt_test.c compares
 * them); Documentation/performance.rst has the figures.
 *
 * Also built into tools/bench/bench, which times these writers against
 * one fwrite() of the same bytes.
 */
#ifndef PTSCOPE_WALKFMT_H
#define PTSCOPE_WALKFMT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <linux/ptscope.h>
#include "libptscope.h"

#define WF_BUF_SIZE	(128 * 1024)
#define WF_FLAG_SLOTS	64		/* flags values cached (direct-mapped) */
#define WF_FLAGS_TEXT	512		/* as pts_flags_str() got it in walk.c */
#define WF_FLAGS_JSON	768		/* ["present","rw",...]: all names fit */
#define WF_ORDERS	32		/* folio orders with a cached size */

/* Colour escapes of the text lines: "" each without colour. */
struct wf_colors {
	const char *yellow;		/* not present */
	const char *magenta;		/* huge (not a PTE) */
	const char *dim;		/* the zero page */
	const char *reset;
	const char *bold, *cyan;	/* a VMA or region line */
};

struct wf_flagstr {
	uint64_t flags;
	bool valid;
	uint16_t text_len, json_len;
	char text[WF_FLAGS_TEXT];	/* pts_flags_str(flags) */
	char json[WF_FLAGS_JSON];	/* the JSON array of the names */
	/* text: the folio column of a single-page folio (or none), then text */
	uint16_t tail0_len;
	char tail0[WF_FLAGS_TEXT + 16];
};

struct wf {
	FILE *f;
	char *buf;			/* WF_BUF_SIZE bytes */
	size_t len;			/* bytes waiting in buf */
	bool coalesce;			/* text: "COUNT x SIZE" column */
	struct wf_colors c;
	struct wf_flagstr *flags;	/* WF_FLAG_SLOTS */
	/* per level: pts_fmt_size() of its entry size, and its length */
	char lsize[PTSCOPE_NR_LEVELS][8];
	uint8_t lsize_len[PTSCOPE_NR_LEVELS];
	char osize[WF_ORDERS][8];	/* per folio order, the same */
	uint8_t osize_len[WF_ORDERS];
	const char *lname[PTSCOPE_NR_LEVELS];	/* pts_level_name() */
	uint8_t lname_len[PTSCOPE_NR_LEVELS];
	/* text: per level, what follows the address (or the count) up to the entry */
	char lpart[PTSCOPE_NR_LEVELS][32];
	uint8_t lpart_len[PTSCOPE_NR_LEVELS];
	size_t reset_len;
	const char *vma, *region;	/* JSON: the current VMA's (wf_json_vma) */
	size_t vma_len, region_len;
};

/*
 * Set W up to write to F (coalesced text lines if COALESCE, colours C or
 * none if C is NULL).  0, or -ENOMEM.  While W writes to stdout, every
 * message of the CLI (cli_err...) first writes W's buffer out, so output
 * and messages keep their order.
 */
int wf_init(struct wf *w, FILE *f, bool coalesce, const struct wf_colors *c);
/* Write out what waits (one fwrite) and free W. */
void wf_free(struct wf *w);
/* Write out what waits: one fwrite() of the buffer. */
void wf_flush(struct wf *w);
/* Flush the writer on stdout, if there is one (main.c, before a message). */
void wf_flush_stdout(void);

/* Bytes, and a formatted line, for the lines that are rare (VMAs...). */
void wf_put(struct wf *w, const char *s, size_t len);
void wf_printf(struct wf *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A text VMA line ("vma START-END perm size backing name"), or a region's. */
void wf_text_vma(struct wf *w, const struct ptscope_vma *v);
/*
 * A text leaf line: address, size (or COUNT x SIZE), level, raw entry,
 * frame (or swap/marker), map count, folio, flags and pkey, as
 * `ptscope walk` prints it.
 */
void wf_text_leaf(struct wf *w, const struct ptscope_leaf *l);
/*
 * The JSON of the VMA the next leaves are in: VMA its object serialised
 * (wf_vma_json(); NULL: "vma":null), REGION the region's name as a JSON
 * string (wf_region_json(); NULL: no "region" key).  W keeps the
 * pointers: they must live until the next call.
 */
void wf_json_vma(struct wf *w, const char *vma, const char *region);
/*
 * A JSON Lines leaf object, in the current VMA; EXPLAIN the explanation's
 * object serialised (NULL: no "explain" key; "null" for none).
 */
void wf_json_leaf(struct wf *w, const struct ptscope_leaf *l, const char *explain);

/* cli_json_vma(V) as one line of JSON, and V's name as a JSON string (malloc). */
char *wf_vma_json(const struct ptscope_vma *v);
char *wf_region_json(const struct ptscope_vma *v);

#endif /* PTSCOPE_WALKFMT_H */
