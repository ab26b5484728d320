// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side tests of the picture of `ptscope trace --svg`
 * (tools/ptscope/trace_svg.c): synthetic faults (a process's start-up:
 * binary, heap, libraries, stack; a 5-level far mapping; more ranges than
 * fit; more faults than are kept; none at all) are drawn, written beside
 * the JSON Lines that `ptscope trace --json` would print for them, and
 * the SVG is checked against that JSON by tests/trace_svg_check.py: the
 * legend's classes and counts, the time axis, every range labelled and
 * every fold, every fault's mark where its time and address put it.
 *
 * TRACE_SVG_KEEP=DIR keeps the pictures in DIR (to render and look at).
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "svg_check.h"
#include "../../tools/ptscope/faultclass.c"
#include "../../tools/ptscope/trace_svg.c"

struct synth {
	uint64_t t_ns, addr;
	int cls, backing;
};

static unsigned int rnd(unsigned int *seed)
{
	*seed = *seed * 1103515245 + 12345;
	return (*seed >> 16) & 0x7fff;
}

static const char *check_script(void)
{
	return checker_path("trace_svg_check.py");
}


/*
 * Feed EV[N] to a picture that keeps CAP events, write the SVG and the
 * JSON Lines, run the checker: its exit status.
 */
static int draw_and_check(struct __test_metadata *_metadata, const char *tag,
			  const struct synth *ev, size_t n, size_t cap, uint64_t dur_ns,
			  uint64_t lost, struct tsvg_result *res)
{
	char svg[PATH_MAX], js[PATH_MAX], cmd[3 * PATH_MAX + 16];
	const char *keep = getenv("TRACE_SVG_KEEP");
	struct tsvg_pic pic = { .what = "pid 4242 (synthetic)", .duration_ns = dur_ns,
				.lost = lost, .version = "test" };
	struct tsvg s;
	size_t i;
	FILE *f;
	int st, k, first = 1;

	if (keep && *keep) {
		snprintf(svg, sizeof(svg), "%s/%s.svg", keep, tag);
		snprintf(js, sizeof(js), "%s/%s.json", keep, tag);
	} else {
		snprintf(svg, sizeof(svg), "/tmp/trace-svg-test-%d-%s.svg", getpid(), tag);
		snprintf(js, sizeof(js), "/tmp/trace-svg-test-%d-%s.json", getpid(), tag);
	}
	tsvg_init(&s, cap);
	f = fopen(js, "w");
	if (!f)
		return -1;
	for (i = 0; i < n; i++) {
		if (tsvg_add(&s, ev[i].t_ns, ev[i].addr, ev[i].cls, ev[i].backing)) {
			fclose(f);
			return -1;
		}
		fprintf(f, "{\"time\":%llu.%09llu,\"address\":\"0x%llx\",\"class\":\"%s\"}\n",
			(unsigned long long)(ev[i].t_ns / 1000000000),
			(unsigned long long)(ev[i].t_ns % 1000000000),
			(unsigned long long)ev[i].addr, ft_class_names[ev[i].cls]);
	}
	fprintf(f, "{\"summary\":{\"classes\":{");
	for (k = 0; k < CL_NR; k++)
		if (s.count[k]) {
			fprintf(f, "%s\"%s\":{\"count\":%llu}", first ? "" : ",", ft_class_names[k],
				(unsigned long long)s.count[k]);
			first = 0;
		}
	fprintf(f, "},\"events\":%zu}}\n", n);
	fclose(f);
	EXPECT_EQ(n < s.cap ? n : s.cap, s.n);
	EXPECT_EQ(n, s.seen);
	f = fopen(svg, "w");
	if (!f)
		return -1;
	EXPECT_EQ(0, tsvg_write(f, &s, &pic, res));
	EXPECT_EQ(0, fclose(f));
	tsvg_free(&s);
	snprintf(cmd, sizeof(cmd), "python3 %s %s %s", check_script(), svg, js);
	st = system(cmd);
	if (!(keep && *keep)) {
		unlink(svg);
		unlink(js);
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* A region's faults: COUNT pages of [START, START + PAGES * 4K) over [T0, T1). */
static size_t region(struct synth *ev, size_t n, unsigned int *seed, uint64_t start,
		     uint64_t pages, size_t count, uint64_t t0, uint64_t t1, int cls,
		     int cls2, int backing)
{
	size_t i;

	for (i = 0; i < count; i++) {
		struct synth *e = &ev[n + i];

		e->addr = start + (uint64_t)(rnd(seed) % pages) * 4096 + rnd(seed) % 4096;
		e->t_ns = t0 + (t1 - t0) * i / count;
		e->cls = rnd(seed) % 4 ? cls : cls2;
		e->backing = backing;
	}
	return n + count;
}

/* A process starting: binary, heap, libraries, anonymous memory, stack. */
static size_t build_startup(struct synth *ev)
{
	unsigned int seed = 7;
	size_t n = 0;

	n = region(ev, n, &seed, 0x55a5bb0a7000ULL, 12, 20, 0, 20000000, CL_FILE,
		   CL_FAULT_AROUND, FT_BACK_FILE);
	n = region(ev, n, &seed, 0x55a5e0693000ULL, 33, 60, 10000000, 900000000,
		   CL_DEMAND_ZERO, CL_ZERO_PAGE, FT_BACK_ANON);
	n = region(ev, n, &seed, 0x7f7437d0f000ULL, 400, 150, 5000000, 300000000, CL_FILE,
		   CL_FAULT_AROUND, FT_BACK_FILE);
	n = region(ev, n, &seed, 0x7f7437ee2000ULL, 16, 30, 30000000, 400000000, CL_COW,
		   CL_WP_REUSE, FT_BACK_FILE);
	n = region(ev, n, &seed, 0x7f7430000000ULL, 2048, 900, 300000000, 2400000000ULL,
		   CL_DEMAND_ZERO, CL_COW, FT_BACK_ANON);
	n = region(ev, n, &seed, 0x7ffe08fe6000ULL, 33, 12, 0, 2000000000, CL_DEMAND_ZERO,
		   CL_DEMAND_ZERO, FT_BACK_STACK);
	/* one of each rare class */
	ev[n++] = (struct synth){ 1200000000, 0x7f7430004000ULL, CL_SWAP_IN, FT_BACK_ANON };
	ev[n++] = (struct synth){ 1300000000, 0x7f7430100000ULL, CL_THP, FT_BACK_ANON };
	ev[n++] = (struct synth){ 1400000000, 0x7f7430180000ULL, CL_ERROR, FT_BACK_ANON };
	ev[n++] = (struct synth){ 1500000000, 0x7f7437d10000ULL, CL_FILE_MAJOR, FT_BACK_FILE };
	return n;
}

TEST(startup)
{
	static struct synth ev[2000];
	struct tsvg_result res;
	size_t n = build_startup(ev);

	if (!have_python())
		SKIP(return, "no python3 to check the SVG");
	EXPECT_EQ(0, draw_and_check(_metadata, "startup", ev, n, 0, 2500000000ULL, 0, &res));
	/* binary, heap, anon, libraries, libc's data (268K above them), stack */
	EXPECT_EQ(6, res.ranges);
	EXPECT_EQ(0, res.dropped);
	EXPECT_EQ(n, res.drawn);
}

/* 64 regions 1G apart and a 5-level address: not every gap folds. */
TEST(more_ranges_than_fit)
{
	static struct synth ev[4000];
	struct tsvg_result res;
	unsigned int seed = 3;
	size_t n = 0;
	int i;

	if (!have_python())
		SKIP(return, "no python3 to check the SVG");
	for (i = 0; i < 64; i++)
		n = region(ev, n, &seed, 0x7f0000000000ULL + ((uint64_t)i << 30) +
			   ((uint64_t)i * i << 20), 4 + i, 40, i * 10000000ULL, 700000000ULL + i * 10000000ULL,
			   i % 2 ? CL_FILE : CL_DEMAND_ZERO, CL_UFFD, i % 2 ? FT_BACK_FILE :
			   FT_BACK_ANON);
	ev[n++] = (struct synth){ 5000000, 0xffffffff000000ULL, CL_NUMA_HINT, FT_BACK_SHMEM };
	EXPECT_EQ(0, draw_and_check(_metadata, "many", ev, n, 0, 1400000000ULL, 3, &res));
	/* as many ranges as the height holds (10 at 1920x1080), not 65 */
	EXPECT_LE(8, res.ranges);
	EXPECT_GT(65, res.ranges);
}

/* More faults than the picture keeps: a uniform sample, and it says so. */
TEST(more_faults_than_kept)
{
	static struct synth ev[20000];
	struct tsvg_result res;
	unsigned int seed = 11;
	size_t n = 0, early = 0;
	struct tsvg s;
	int i;

	n = region(ev, n, &seed, 0x7f0000000000ULL, 4096, 10000, 0, 5000000000ULL,
		   CL_DEMAND_ZERO, CL_COW, FT_BACK_ANON);
	n = region(ev, n, &seed, 0x7f1000000000ULL, 256, 10000, 0, 5000000000ULL,
		   CL_FILE, CL_FAULT_AROUND, FT_BACK_FILE);
	/* the sample: CAP events, from the whole trace */
	tsvg_init(&s, 1000);
	for (i = 0; i < (int)n; i++)
		ASSERT_EQ(0, tsvg_add(&s, ev[i].t_ns, ev[i].addr, ev[i].cls, ev[i].backing));
	ASSERT_EQ(1000, s.n);
	EXPECT_EQ(n, s.seen);
	for (i = 0; i < (int)s.n; i++)
		early += s.ev[i].t_ns < 2500000000ULL;
	/* about half before the middle of the trace (binomial, sd 16) */
	EXPECT_LT(400, early);
	EXPECT_GT(600, early);
	tsvg_free(&s);
	if (!have_python())
		SKIP(return, "no python3 to check the SVG");
	EXPECT_EQ(0, draw_and_check(_metadata, "dropped", ev, n, 1000, 5000000000ULL, 0, &res));
	EXPECT_EQ(1000, res.drawn);
	EXPECT_EQ(n - 1000, res.dropped);
}

TEST(no_fault)
{
	struct tsvg_result res;

	if (!have_python())
		SKIP(return, "no python3 to check the SVG");
	EXPECT_EQ(0, draw_and_check(_metadata, "empty", NULL, 0, 0, 1000000000ULL, 0, &res));
	EXPECT_EQ(0, res.ranges);
	EXPECT_EQ(0, res.marks);
}

/* One fault, in a trace of 50 us: one range of one page, one mark. */
TEST(one_fault_short_trace)
{
	struct synth ev[1] = { { 20000, 0x7ffe08fe7123ULL, CL_ZERO_PAGE, FT_BACK_STACK } };
	struct tsvg_result res;

	if (!have_python())
		SKIP(return, "no python3 to check the SVG");
	EXPECT_EQ(0, draw_and_check(_metadata, "one", ev, 1, 0, 50000, 0, &res));
	EXPECT_EQ(1, res.ranges);
	EXPECT_EQ(1, res.marks);
}

/* Gaps under 256K stay inside a range; one of 256K folds. */
TEST(fold_threshold)
{
	struct synth ev[4] = {
		{ 0, 0x10000000, CL_DEMAND_ZERO, FT_BACK_ANON },
		{ 1, 0x10000000 + 4096 + (256 << 10) - 4096, CL_DEMAND_ZERO, FT_BACK_ANON },
		{ 2, 0x20000000, CL_DEMAND_ZERO, FT_BACK_ANON },
		{ 3, 0x20000000 + 4096 + (256 << 10), CL_DEMAND_ZERO, FT_BACK_ANON },
	};
	struct band b[MAX_BANDS];
	struct tsvg s;
	int i;

	tsvg_init(&s, 0);
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, tsvg_add(&s, ev[i].t_ns, ev[i].addr, ev[i].cls, ev[i].backing));
	ASSERT_EQ(3, make_bands(&s, b, MAX_BANDS));
	EXPECT_EQ(0x10000000, b[0].start);
	EXPECT_EQ(0x10000000 + (256 << 10) + 4096, b[0].end);
	EXPECT_EQ(2, b[0].pages);
	EXPECT_EQ(0x20000000, b[1].start);
	EXPECT_EQ(0x20000000 + 4096, b[1].end);
	EXPECT_EQ(0x20000000 + 4096 + (256 << 10), b[2].start);
	/* with room for two bands only the biggest gap folds */
	ASSERT_EQ(2, make_bands(&s, b, 2));
	EXPECT_EQ(0x20000000, b[1].start);
	tsvg_free(&s);
}

TEST_HARNESS_MAIN
