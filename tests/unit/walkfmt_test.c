// SPDX-License-Identifier: GPL-2.0
/*
 * The walk's writers (tools/ptscope/walkfmt.c) against the printf-based
 * writers they replaced (walkfmt_ref.h): the same bytes, on hand-made
 * leaves that take every flag alone and every field to its edges (levels,
 * frame, swap and marker columns, map counts, folio orders and offsets,
 * keys, counts, colour, coalesced columns, VMA, region and explanation
 * strings, strings longer than the buffer), and on 72000 random
 * leaves with random VMA lines between them (random fields, random flags
 * values: the flag-name cache is filled, hit and overwritten), in every
 * mode.
 */
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "../../tools/ptscope/walkfmt.c"
#include "walkfmt_ref.h"

enum { TEXT, TEXT_CO, JSON, NR_MODES };

struct pair {
	char *ref, *new;
	size_t ref_len, new_len;
	FILE *rf, *nf;
	struct ref_out r;
	struct wf w;
	int mode;
	const char *explain;	/* JSON: NULL, or what -v would add */
};

static const struct wf_colors colours = { "\033[33m", "\033[35m", "\033[2m", "\033[0m",
					  "\033[1m", "\033[36m" };

static void pair_open(struct __test_metadata *_metadata, struct pair *p, int mode,
		      bool colour)
{
	memset(p, 0, sizeof(*p));
	p->mode = mode;
	p->rf = open_memstream(&p->ref, &p->ref_len);
	p->nf = open_memstream(&p->new, &p->new_len);
	ASSERT_TRUE(p->rf && p->nf);
	p->r.f = p->rf;
	p->r.coalesce = mode == TEXT_CO;
	p->r.yellow = colour ? colours.yellow : "";
	p->r.magenta = colour ? colours.magenta : "";
	p->r.dim = colour ? colours.dim : "";
	p->r.reset = colour ? colours.reset : "";
	p->r.bold = colour ? colours.bold : "";
	p->r.cyan = colour ? colours.cyan : "";
	ASSERT_EQ(0, wf_init(&p->w, p->nf, mode == TEXT_CO, colour ? &colours : NULL));
}

static void pair_vma(struct pair *p, const char *vma, const char *region)
{
	p->r.vma_json = vma;
	p->r.region_json = region;
	wf_json_vma(&p->w, vma, region);
}

static void pair_leaf(struct pair *p, const struct ptscope_leaf *l)
{
	if (p->mode == JSON) {
		ref_json_leaf(&p->r, l, p->explain);
		wf_json_leaf(&p->w, l, p->explain);
	} else {
		ref_text_leaf(&p->r, l);
		wf_text_leaf(&p->w, l);
	}
}

/* Close both streams and compare; on a difference, show the first line. */
static void pair_check(struct __test_metadata *_metadata, struct pair *p,
		       const char *what)
{
	size_t i, line = 0, bol = 0;

	wf_free(&p->w);
	fclose(p->rf);
	fclose(p->nf);
	for (i = 0; i < p->ref_len && i < p->new_len && p->ref[i] == p->new[i]; i++) {
		if (p->ref[i] == '\n') {
			line++;
			bol = i + 1;
		}
	}
	if (i < p->ref_len || i < p->new_len) {
		const char *r = p->ref + bol, *n = p->new + bol;

		TH_LOG("%s (mode %d): differs at byte %zu, line %zu:\n ref %.*s\n new %.*s",
		       what, p->mode, i, line + 1,
		       (int)(strchrnul(r, '\n') - r), r, (int)(strchrnul(n, '\n') - n), n);
	}
	EXPECT_EQ(p->ref_len, p->new_len);
	EXPECT_EQ(0, memcmp(p->ref, p->new, p->ref_len < p->new_len ?
			    p->ref_len : p->new_len));
	free(p->ref);
	free(p->new);
}

static const uint64_t u64_edges[] = {
	0, 1, 9, 10, 15, 16, 99, 100, 255, 4095, 4096, 0x7fffffffffffULL,
	0x7ffffffff000ULL, 0xffff800000000000ULL, 999999, 1000000, 9999999, 10000000,
	0xfffffffffffffULL, 0x8000000000000000ULL, 18446744073709551615ULL,
};
#define NR_EDGES (sizeof(u64_edges) / sizeof(u64_edges[0]))

/* Every named flag alone, every flag bit alone, and a few real mixtures. */
static void flags_cases(struct pair *p)
{
	static const uint64_t mixes[] = {
		0,
		PTSCOPE_F_PRESENT | PTSCOPE_F_RW | PTSCOPE_F_USER | PTSCOPE_F_ACCESSED |
		PTSCOPE_F_DIRTY | PTSCOPE_F_NX | PTSCOPE_F_WRITE | PTSCOPE_F_ANON_PAGE |
		PTSCOPE_F_EXCLUSIVE | PTSCOPE_F_MODIFIED | PTSCOPE_F_PFN_VALID |
		PTSCOPE_F_FOLIO,
		PTSCOPE_F_PRESENT | PTSCOPE_F_USER | PTSCOPE_F_ZERO_PAGE |
		PTSCOPE_F_PFN_VALID | PTSCOPE_F_SPECIAL,
		PTSCOPE_F_SWAP | PTSCOPE_F_SWP_EXCLUSIVE | PTSCOPE_F_SOFT_DIRTY,
		PTSCOPE_F_MARKER | PTSCOPE_F_MARKER_GUARD,
		PTSCOPE_F_MARKER | PTSCOPE_F_MARKER_POISON | PTSCOPE_F_UFFD_WP,
		PTSCOPE_F_MIGRATION | PTSCOPE_F_PFN_VALID | PTSCOPE_F_FOLIO,
		PTSCOPE_F_PRESENT | PTSCOPE_F_PSE | PTSCOPE_F_GLOBAL | PTSCOPE_F_PAT |
		PTSCOPE_F_PWT | PTSCOPE_F_PCD,
		PTSCOPE_F_PROTNONE | PTSCOPE_F_NUMA_HINT | PTSCOPE_F_PFN_VALID,
		~0ULL,
	};
	struct ptscope_leaf l = { .va = 0x7f0000001000ULL, .entry = 0x8000000012345867ULL,
				  .pfn = 0x12345, .count = 3, .mapcount = 1,
				  .folio_pfn = 0x12340, .folio_order = 4, .swap_type = 2,
				  .swap_offset = 0xabc };
	unsigned int i, lv;

	for (lv = 0; lv <= PTSCOPE_NR_LEVELS; lv++) {
		l.level = lv;
		for (i = 0; i < 64; i++) {
			l.flags = 1ULL << i;
			pair_leaf(p, &l);
			l.flags |= PTSCOPE_F_PRESENT;
			pair_leaf(p, &l);
		}
		for (i = 0; i < sizeof(mixes) / sizeof(mixes[0]); i++) {
			l.flags = mixes[i];
			pair_leaf(p, &l);
		}
	}
}

/* Every field at its edges. */
static void field_cases(struct pair *p)
{
	static const uint64_t kinds[] = {
		PTSCOPE_F_PRESENT | PTSCOPE_F_PFN_VALID | PTSCOPE_F_FOLIO,
		PTSCOPE_F_PRESENT | PTSCOPE_F_PFN_VALID,
		PTSCOPE_F_PRESENT,
		PTSCOPE_F_SWAP,
		PTSCOPE_F_SWAP | PTSCOPE_F_MARKER,
		PTSCOPE_F_MARKER,
		PTSCOPE_F_MIGRATION | PTSCOPE_F_PFN_VALID,
		PTSCOPE_F_PRESENT | PTSCOPE_F_ZERO_PAGE | PTSCOPE_F_PFN_VALID,
	};
	static const uint32_t u32s[] = { 0, 1, 9, 10, 99, 100, 999, 1000, 9999, 10000,
					 4294967295U };
	static const uint8_t u8s[] = { 0, 1, 9, 10, 15, 99, 100, 255 };
	struct ptscope_leaf l = { .count = 1 };
	unsigned int k, i, j;

	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		l.flags = kinds[k];
		for (l.level = 0; l.level <= PTSCOPE_NR_LEVELS; l.level++) {
			for (i = 0; i < NR_EDGES; i++) {
				l.va = u64_edges[i];
				l.entry = u64_edges[NR_EDGES - 1 - i];
				l.pfn = u64_edges[(i + 3) % NR_EDGES];
				l.swap_offset = u64_edges[(i + 5) % NR_EDGES];
				l.count = u64_edges[(i + 7) % NR_EDGES];
				l.folio_pfn = u64_edges[(i + 11) % NR_EDGES];
				pair_leaf(p, &l);
			}
			for (i = 0; i < sizeof(u32s) / sizeof(u32s[0]); i++) {
				l.mapcount = u32s[i];
				pair_leaf(p, &l);
			}
			for (i = 0; i < sizeof(u8s) / sizeof(u8s[0]); i++) {
				l.pkey = u8s[i];
				l.swap_type = u8s[(i + 3) % sizeof(u8s)];
				pair_leaf(p, &l);
			}
			for (i = 0; i < 64; i++) {
				l.folio_order = i;
				for (j = i % 4; j < NR_EDGES; j += 4) {
					l.pfn = u64_edges[j];
					l.folio_pfn = u64_edges[(j + 1) % NR_EDGES];
					pair_leaf(p, &l);
					l.folio_pfn = l.pfn - (l.pfn & 511);
					pair_leaf(p, &l);
				}
			}
		}
	}
}

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* A random field: small, a power of two's neighbour, or any value. */
static uint64_t rnd_val(void)
{
	switch (rnd() % 4) {
	case 0:
		return rnd() % 1000;
	case 1:
		return (1ULL << (rnd() % 64)) - (rnd() % 2);
	case 2:
		return rnd() >> (rnd() % 64);
	default:
		return rnd();
	}
}

static void random_leaf(struct ptscope_leaf *l, uint64_t *flag_pool)
{
	memset(l, 0, sizeof(*l));
	l->va = rnd_val();
	l->entry = rnd_val();
	l->pfn = rnd_val();
	/* a few hundred distinct values, as a walk has: a cache that works */
	l->flags = rnd() % 8 ? flag_pool[rnd() % 300] : rnd();
	l->swap_offset = rnd_val();
	l->count = rnd() % 2 ? 1 : rnd_val();
	l->folio_pfn = rnd() % 2 ? l->pfn - rnd() % 512 : rnd_val();
	l->mapcount = rnd() % 2 ? rnd() % 4 : (uint32_t)rnd_val();
	l->level = rnd() % (PTSCOPE_NR_LEVELS + 1);
	l->pkey = rnd() % 3 ? 0 : rnd();
	l->swap_type = rnd();
	l->folio_order = rnd() % 3 ? rnd() % 10 : rnd() % 64;
}

/* A VMA line (text modes) between the leaves. */
static void random_vma(struct pair *p)
{
	static const char *const names[] = { "", "/usr/lib/x86_64-linux-gnu/libc.so.6",
					     "[stack]", "direct map" };
	struct ptscope_vma v = { 0 };

	v.start = rnd_val();
	v.end = rnd() % 2 ? v.start + rnd_val() : rnd_val();
	v.flags = rnd();
	v.backing = rnd() % 14;
	strcpy(v.name, names[rnd() % 4]);
	if (p->mode == JSON)
		return;
	ref_text_vma(&p->r, &v);
	wf_text_vma(&p->w, &v);
}

FIXTURE(fmt) {
	uint64_t flag_pool[300];
};

FIXTURE_SETUP(fmt)
{
	int i;

	for (i = 0; i < 300; i++)
		self->flag_pool[i] = rnd() & (rnd() | rnd());
}

FIXTURE_TEARDOWN(fmt)
{
}

TEST_F(fmt, hand_made_leaves)
{
	static const char *const vmas[] = {
		NULL,
		"{\"start\":\"0x1000\",\"end\":\"0x2000\",\"perm\":\"rw-p\",\"backing\":\"anon\","
		"\"name\":null,\"pagesize\":4096}",
	};
	struct pair p;
	int mode, colour, v;

	for (mode = 0; mode < NR_MODES; mode++) {
		for (colour = 0; colour < 2; colour++) {
			for (v = 0; v < 4; v++) {
				if (mode != JSON && v)
					continue;
				pair_open(_metadata, &p, mode, colour);
				pair_vma(&p, vmas[v & 1], v & 2 ? "\"direct map\"" : NULL);
				p.explain = v == 3 ? "{\"kind\":\"swap\",\"text\":\"x\"}" :
					    v == 1 ? "null" : NULL;
				flags_cases(&p);
				/* colour depends on flags and level alone */
				if (!colour)
					field_cases(&p);
				pair_check(_metadata, &p, "hand-made leaves");
			}
		}
	}
}

TEST_F(fmt, random_leaves)
{
	struct ptscope_leaf l;
	struct pair p;
	int mode, colour, i;

	for (mode = 0; mode < NR_MODES; mode++) {
		for (colour = 0; colour < 2; colour++) {
			pair_open(_metadata, &p, mode, colour);
			pair_vma(&p, "{\"start\":\"0x7f0000000000\",\"name\":\"/usr/lib/x\"}",
				 colour ? "\"vmalloc\"" : NULL);
			for (i = 0; i < 12000; i++) {
				if (rnd() % 200 == 0)
					random_vma(&p);
				random_leaf(&l, self->flag_pool);
				pair_leaf(&p, &l);
			}
			pair_check(_metadata, &p, "random leaves");
		}
	}
}

/* Strings around and beyond the buffer's size, and the rare lines. */
TEST_F(fmt, long_strings)
{
	static const size_t lens[] = { 1, 100, WF_BUF_SIZE / 2 - 2000, WF_BUF_SIZE / 2,
				       WF_BUF_SIZE - 1, WF_BUF_SIZE, 3 * WF_BUF_SIZE + 7 };
	struct ptscope_leaf l;
	struct pair p;
	unsigned int i, j;
	char *s;

	s = malloc(3 * WF_BUF_SIZE + 8);
	ASSERT_NE(NULL, s);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		memset(s, 'a' + i, lens[i]);
		s[lens[i]] = '\0';
		pair_open(_metadata, &p, JSON, false);
		pair_vma(&p, s, i % 2 ? s : NULL);
		p.explain = i % 3 ? s : NULL;
		for (j = 0; j < 8; j++) {
			random_leaf(&l, self->flag_pool);
			pair_leaf(&p, &l);
		}
		/* a rare line (an empty range, a VMA) between the leaves */
		fprintf(p.rf, "%s|%u\n", s, i);
		wf_printf(&p.w, "%s|%u\n", s, i);
		fputs(s, p.rf);
		wf_put(&p.w, s, strlen(s));
		random_leaf(&l, self->flag_pool);
		pair_leaf(&p, &l);
		pair_check(_metadata, &p, "long strings");
	}
	free(s);
}

/* The JSON of a VMA, as walk --json printed it before the move. */
TEST(vma_json)
{
	struct ptscope_vma v = { .start = 0x7f0000000000ULL, .end = 0x7f0000200000ULL,
				 .backing = PTSCOPE_BACK_FILE, .pagesize = 4096 };
	char *s;

	strcpy(v.name, "/usr/lib/a \"b\"\\c\td/e");
	s = wf_vma_json(&v);
	ASSERT_NE(NULL, s);
	EXPECT_STREQ("{\"start\":\"0x7f0000000000\",\"end\":\"0x7f0000200000\","
		     "\"perm\":\"---p\",\"backing\":\"file\","
		     "\"name\":\"/usr/lib/a \\\"b\\\"\\\\c\\td/e\",\"pagesize\":4096}", s);
	free(s);
	s = wf_region_json(&v);
	ASSERT_NE(NULL, s);
	EXPECT_STREQ("\"/usr/lib/a \\\"b\\\"\\\\c\\td/e\"", s);
	free(s);
}

TEST_HARNESS_MAIN
