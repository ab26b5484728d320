// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side tests of `ptscope wss` and `ptscope heatmap`'s pure parts
 * (tools/ptscope/heatmap.c):
 *  - page sets: runs added in and out of order, unions, counts in a range,
 *    against a plain bitmap of the same pages (random operations);
 *  - the picture: synthetic samples of a process with two phases (region A
 *    touched, then region B) and the mappings of cat, one of them past a
 *    128T gap, drawn at several sizes and with 1, 12 and 400 rows, checked
 *    from the SVG by tests/heatmap_svg_check.py: axes, one row per
 *    interval going down, every populated range labelled with its start
 *    address, every gap with its size, each row's counts per VMA exactly
 *    the pages the samples hold, cells coloured as their pages were.
 *
 * HEATMAP_SVG_KEEP=DIR keeps the pictures in DIR (to render and look at).
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "svg_check.h"
#include "../../tools/ptscope/heatmap.c"

/* ---- page sets ---------------------------------------------------------- */

#define BITS	4096

static uint64_t bitmap_count(const unsigned char *b, uint64_t a, uint64_t e)
{
	uint64_t n = 0;

	for (; a < e; a++)
		n += b[a];
	return n;
}

TEST(pset_matches_a_bitmap)
{
	static unsigned char ref[BITS], ref2[BITS];
	struct pset s = { 0 }, t = { 0 };
	unsigned int seed = 12345;
	int round, i;

	for (round = 0; round < 200; round++) {
		bool ordered = round % 2;
		uint64_t next = 0;

		memset(ref, 0, sizeof(ref));
		memset(ref2, 0, sizeof(ref2));
		pset_clear(&s);
		pset_clear(&t);
		for (i = 0; i < 40; i++) {
			uint64_t a, len, k;

			if (ordered) {
				a = next + rand_r(&seed) % 40;
				if (a >= BITS - 1)
					break;
			} else {
				a = rand_r(&seed) % (BITS - 1);
			}
			len = 1 + rand_r(&seed) % 30;
			if (a + len > BITS)
				len = BITS - a;
			ASSERT_EQ(0, pset_add(&s, a, a + len));
			for (k = a; k < a + len; k++)
				ref[k] = 1;
			next = a + len;
			a = rand_r(&seed) % (BITS - 1);
			len = 1 + rand_r(&seed) % 50;
			if (a + len > BITS)
				len = BITS - a;
			ASSERT_EQ(0, pset_add(&t, a, a + len));
			for (k = a; k < a + len; k++)
				ref2[k] = 1;
		}
		pset_normalize(&s);
		EXPECT_EQ(bitmap_count(ref, 0, BITS), pset_count(&s));
		/* runs sorted, disjoint and not touching */
		for (i = 1; i < (int)s.n; i++)
			ASSERT_LT(s.r[i - 1][1], s.r[i][0]);
		for (i = 0; i < 50; i++) {
			uint64_t a = rand_r(&seed) % BITS, e = a + rand_r(&seed) % (BITS - a + 1);

			ASSERT_EQ(bitmap_count(ref, a, e), pset_count_in(&s, a, e));
			ASSERT_EQ(ref[a], pset_has(&s, a));
		}
		ASSERT_EQ(0, pset_union(&s, &t));
		for (i = 0; i < BITS; i++)
			ref[i] |= ref2[i];
		EXPECT_EQ(bitmap_count(ref, 0, BITS), pset_count(&s));
		for (i = 0; i < BITS; i++)
			ASSERT_EQ(ref[i], pset_has(&s, i)) TH_LOG("round %d page %d", round, i);
	}
	pset_free(&s);
	pset_free(&t);
}

TEST(pset_edges)
{
	struct pset s = { 0 }, e = { 0 };

	EXPECT_EQ(0, pset_count(&s));
	EXPECT_EQ(0, pset_count_in(&s, 0, 100));
	EXPECT_FALSE(pset_has(&s, 0));
	ASSERT_EQ(0, pset_add(&s, 10, 10));		/* empty: nothing */
	EXPECT_EQ(0, s.n);
	ASSERT_EQ(0, pset_add(&s, 10, 20));
	ASSERT_EQ(0, pset_add(&s, 20, 30));		/* touching: one run */
	ASSERT_EQ(0, pset_add(&s, 15, 25));		/* inside */
	EXPECT_EQ(1, s.n);
	EXPECT_EQ(20, pset_count(&s));
	ASSERT_EQ(0, pset_union(&s, &e));		/* with nothing */
	EXPECT_EQ(20, pset_count(&s));
	ASSERT_EQ(0, pset_union(&e, &s));		/* into nothing */
	EXPECT_EQ(20, pset_count(&e));
	/* 2^52 pages: the top of a 5-level address space */
	ASSERT_EQ(0, pset_add(&s, (1ULL << 44) - 1, 1ULL << 44));
	EXPECT_EQ(21, pset_count(&s));
	EXPECT_TRUE(pset_has(&s, (1ULL << 44) - 1));
	pset_free(&s);
	pset_free(&e);
}

/* ---- the picture --------------------------------------------------------- */

static const struct { uint64_t start, end; unsigned int backing; const char *name; } cat[] = {
	{ 0x55a5bb0a7000, 0x55a5bb0a9000, PTSCOPE_BACK_FILE, "/usr/bin/cat" },
	{ 0x55a5bb0a9000, 0x55a5bb0ae000, PTSCOPE_BACK_FILE, "/usr/bin/cat" },
	{ 0x55a5bb0ae000, 0x55a5bb0b1000, PTSCOPE_BACK_FILE, "/usr/bin/cat" },
	{ 0x55a5e0693000, 0x55a5e06b4000, PTSCOPE_BACK_HEAP, "[heap]" },
	{ 0x7f7437c00000, 0x7f7437d00000, PTSCOPE_BACK_ANON, "" },	/* region A */
	{ 0x7f7437e00000, 0x7f7437e40000, PTSCOPE_BACK_ANON, "" },	/* region B */
	{ 0x7f7437f0f000, 0x7f7437f35000, PTSCOPE_BACK_FILE, "/usr/lib/x86_64-linux-gnu/libc.so.6" },
	{ 0x7f7437f35000, 0x7f743808b000, PTSCOPE_BACK_FILE, "/usr/lib/x86_64-linux-gnu/libc.so.6" },
	{ 0x7f743808b000, 0x7f74380de000, PTSCOPE_BACK_FILE, "/usr/lib/x86_64-linux-gnu/libc.so.6" },
	{ 0x7f74380fe000, 0x7f7438102000, PTSCOPE_BACK_VVAR, "[vvar]" },
	{ 0x7f7438104000, 0x7f7438106000, PTSCOPE_BACK_VDSO, "[vdso]" },
	{ 0x7ffe08fe6000, 0x7ffe09007000, PTSCOPE_BACK_STACK, "[stack]" },
	/* past a 128T gap: a hint above 47 bits */
	{ 0xfffe00000000000, 0xfffe00000010000, PTSCOPE_BACK_ANON, "" },
};
#define NCAT	(sizeof(cat) / sizeof(cat[0]))
#define REG_A	4
#define REG_B	5

struct samples {
	struct hm_vma v[NCAT];
	struct hm_row *rows;
	struct pset *acc, *pres;
	size_t n;
};

/*
 * N intervals: every VMA fully present except the stack (its top half);
 * the first half of the rows read every 3rd page of A, the rest every 2nd
 * page of B; every row a few pages of libc's code and the stack's top.
 */
static void make_samples(struct samples *s, size_t n)
{
	struct pset cum = { 0 };
	size_t i, k;

	memset(s, 0, sizeof(*s));
	for (k = 0; k < NCAT; k++)
		s->v[k] = (struct hm_vma){ cat[k].start, cat[k].end, cat[k].backing, cat[k].name };
	s->n = n;
	s->rows = calloc(n, sizeof(*s->rows));
	s->acc = calloc(n, sizeof(*s->acc));
	s->pres = calloc(n, sizeof(*s->pres));
	for (i = 0; i < n; i++) {
		bool phase_a = i < (n + 1) / 2;
		uint64_t p;

		for (k = 0; k < NCAT; k++) {
			uint64_t a = cat[k].start / PG, e = cat[k].end / PG;

			if (cat[k].backing == PTSCOPE_BACK_STACK)
				a = e - (e - a) / 2;
			pset_add(&s->pres[i], a, e);
		}
		k = phase_a ? REG_A : REG_B;
		for (p = cat[k].start / PG; p < cat[k].end / PG; p += phase_a ? 3 : 2)
			pset_add(&s->acc[i], p, p + 1);
		pset_add(&s->acc[i], cat[7].start / PG + 5, cat[7].start / PG + 9);
		pset_add(&s->acc[i], cat[11].end / PG - 2, cat[11].end / PG);
		pset_normalize(&s->acc[i]);
		pset_union(&cum, &s->acc[i]);
		s->rows[i] = (struct hm_row){ .t0 = i * 0.5, .t1 = i * 0.5 + 0.5,
			.acc = &s->acc[i], .pres = &s->pres[i],
			.accessed = pset_count(&s->acc[i]), .cumulative = pset_count(&cum),
			.reclaim = i == 1 };
	}
	pset_free(&cum);
}

static void free_samples(struct samples *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		pset_free(&s->acc[i]);
		pset_free(&s->pres[i]);
	}
	free(s->rows);
	free(s->acc);
	free(s->pres);
}

static const char *check_script(void)
{
	return checker_path("heatmap_svg_check.py");
}


/* Draw N rows at SIZE, check with the expectations of the phases. */
static int draw_and_check(size_t n, const char *size, struct hm_result *res)
{
	char svg[PATH_MAX], exp[] = "/tmp/heatmap-test-XXXXXX", cmd[3 * PATH_MAX];
	struct hm_pic pic = { .pid = 4242, .comm = "phases", .interval = 0.5,
			      .version = "test" };
	const char *keep = getenv("HEATMAP_SVG_KEEP");
	struct samples s;
	size_t half = (n + 1) / 2;
	FILE *f;
	int fd, st;

	make_samples(&s, n);
	pic.v = s.v;
	pic.nv = NCAT;
	pic.rows = s.rows;
	pic.nrows = n;
	if (map_parse_size(size, &pic.width, &pic.height))
		return -1;
	if (keep && *keep)
		snprintf(svg, sizeof(svg), "%s/heatmap-%zu-%s.svg", keep, n, size);
	else
		snprintf(svg, sizeof(svg), "/tmp/heatmap-test-%d-%zu-%s.svg", getpid(), n, size);
	fd = mkstemp(exp);
	if (fd < 0)
		return -1;
	f = fdopen(fd, "w");
	/* A: 256 pages, every 3rd read (86); B: 64 pages, every 2nd (32) */
	fprintf(f, "1-%zu %llx %llx 86 256\n", half, (unsigned long long)cat[REG_A].start,
		(unsigned long long)cat[REG_A].end);
	fprintf(f, "1-%zu %llx %llx 0 64\n", half, (unsigned long long)cat[REG_B].start,
		(unsigned long long)cat[REG_B].end);
	if (n > half) {
		fprintf(f, "%zu- %llx %llx 0 256\n", half + 1,
			(unsigned long long)cat[REG_A].start, (unsigned long long)cat[REG_A].end);
		fprintf(f, "%zu- %llx %llx 32 64\n", half + 1,
			(unsigned long long)cat[REG_B].start, (unsigned long long)cat[REG_B].end);
	}
	fprintf(f, "1- %llx %llx 2 16\n", (unsigned long long)cat[11].start,
		(unsigned long long)cat[11].end);
	fclose(f);
	f = fopen(svg, "w");
	if (!f)
		return -1;
	st = heatmap_svg(f, &pic, res);
	if (fclose(f) || st)
		return -1;
	snprintf(cmd, sizeof(cmd), "python3 %s %s %zu %s", check_script(), svg, n, exp);
	st = system(cmd);
	unlink(exp);
	if (!(keep && *keep))
		unlink(svg);
	free_samples(&s);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

TEST(heatmap_checked_from_the_svg)
{
	static const char *const sizes[] = { "1920x1080", "1280x720", "3840x2160" };
	static const size_t rows[] = { 12, 1, 2, 40 };
	struct hm_result res;
	size_t i, j;

	if (!have_python())
		SKIP(return, "no python3");
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (j = 0; j < sizeof(rows) / sizeof(rows[0]); j++) {
			EXPECT_EQ(0, draw_and_check(rows[j], sizes[i], &res))
				TH_LOG("%zu rows at %s", rows[j], sizes[i]);
			EXPECT_EQ(rows[j], res.rows);
			/* cat's binary, heap, A, B, libc, vvar, vdso, stack, the far one */
			EXPECT_EQ(9, res.ranges);
			EXPECT_EQ(8, res.gaps);
			EXPECT_EQ(0, res.unlabelled);
		}
	}
}

/* 400 rows: thinner than a pixel each, still one row element per interval. */
TEST(heatmap_many_rows)
{
	struct hm_result res;

	if (!have_python())
		SKIP(return, "no python3");
	EXPECT_EQ(0, draw_and_check(400, "1920x1080", &res));
	EXPECT_EQ(400, res.rows);
}

static size_t count_of(const char *s, const char *needle)
{
	size_t n = 0;

	while ((s = strstr(s, needle))) {
		n++;
		s++;
	}
	return n;
}

/* Many small ranges: labels that cannot be placed are counted, not drawn over. */
TEST(heatmap_many_ranges)
{
	struct hm_vma v[300];
	struct pset acc = { 0 }, pres = { 0 };
	struct hm_row row = { .t0 = 0, .t1 = 1, .acc = &acc, .pres = &pres };
	struct hm_pic pic = { .pid = 1, .comm = "many", .interval = 1, .version = "test",
			      .width = 1920, .height = 1080, .v = v, .nv = 300,
			      .rows = &row, .nrows = 1 };
	struct hm_result res;
	char *buf = NULL;
	size_t len = 0, i;
	FILE *f;

	for (i = 0; i < 300; i++) {
		v[299 - i] = (struct hm_vma){ 0x10000000ULL + i * 0x100000,
			0x10000000ULL + i * 0x100000 + 0x4000, PTSCOPE_BACK_ANON, "" };
		pset_add(&pres, (0x10000000ULL + i * 0x100000) / PG,
			 (0x10000000ULL + i * 0x100000) / PG + 4);
		pset_add(&acc, (0x10000000ULL + i * 0x100000) / PG,
			 (0x10000000ULL + i * 0x100000) / PG + 1);
	}
	row.accessed = row.cumulative = 300;
	f = open_memstream(&buf, &len);
	ASSERT_NE(NULL, f);
	ASSERT_EQ(0, heatmap_svg(f, &pic, &res));
	fclose(f);
	EXPECT_EQ(300, res.ranges);
	EXPECT_GT(res.unlabelled, 0);
	EXPECT_EQ(300 - res.unlabelled, count_of(buf, "class=\"range-label\""));
	free(buf);
	pset_free(&acc);
	pset_free(&pres);
}

TEST_HARNESS_MAIN
