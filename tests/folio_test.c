// SPDX-License-Identifier: GPL-2.0
/*
 * `ptscope maps --folios` and the walk's folio fields against the
 * kernel's own answers.  A child maps
 *  - 1 MiB of 64K multi-size THP where the kernel has it (6.8+),
 *  - a 2 MiB THP mapped by one PMD,
 *  - a 2 MiB THP whose second half mprotect() made read-only: its PMD
 *    split into PTEs and its VMA in two, each half a partial folio,
 *  - 64 small pages;
 * and for each of its VMAs the folio categories ptscope prints are
 * recomputed from /proc/PID/pagemap (the frames) and /proc/kpageflags
 * (each frame's folio: COMPOUND_HEAD/TAIL), and the bytes mapped by PMDs
 * compared with the VMA's AnonHugePages in /proc/PID/smaps.  The walk's
 * JSON "folio" of every leaf there is checked against kpageflags too, and
 * maps --folios runs clean under valgrind.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <json-c/json.h>

#include "guest_harness.h"
#include "libptscope.h"
#include "pagemap_lib.h"
#include "cli_lib.h"

#define PAGE		4096UL
#define HUGE		(2UL << 20)
#define THP_ENABLED	"/sys/kernel/mm/transparent_hugepage/enabled"
#define MTHP_64K	"/sys/kernel/mm/transparent_hugepage/hugepages-64kB/enabled"
#define NSMALL		64

/* Where the child mapped its regions (shared with the test). */
struct regions {
	char *mthp, *thp, *split, *small;
	int mthp_ok;
};

static void touch(char *p, size_t bytes)
{
	size_t i;

	for (i = 0; i < bytes; i += PAGE)
		((volatile char *)p)[i] = 1;
}

/* A 2 MiB aligned block inside a mapping of twice that (PROT_NONE around it). */
static char *aligned_block(int prot)
{
	char *p = mmap(NULL, 3 * HUGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	p = (char *)(((unsigned long)p + HUGE - 1) & ~(HUGE - 1));
	return mprotect(p, HUGE, prot) ? NULL : p;
}

static int regions_fn(void *arg, int cmd)
{
	struct regions *r = arg;

	if (cmd)
		return 0;
	r->thp = aligned_block(PROT_READ | PROT_WRITE);
	r->split = aligned_block(PROT_READ | PROT_WRITE);
	r->mthp = aligned_block(PROT_NONE);
	r->small = mmap(NULL, NSMALL * PAGE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!r->thp || !r->split || !r->mthp || r->small == MAP_FAILED)
		return 1;
	if (madvise(r->thp, HUGE, MADV_HUGEPAGE) || madvise(r->split, HUGE, MADV_HUGEPAGE) ||
	    madvise(r->small, NSMALL * PAGE, MADV_NOHUGEPAGE))
		return 2;
	touch(r->thp, HUGE);
	touch(r->split, HUGE);
	touch(r->small, NSMALL * PAGE);
	if (mprotect(r->split + HUGE / 2, HUGE / 2, PROT_READ))
		return 3;
	/* 1 MiB in the middle of an aligned 2 MiB: no PMD can map it */
	r->mthp += HUGE / 4;
	if (mprotect(r->mthp, HUGE / 2, PROT_READ | PROT_WRITE))
		return 4;
	touch(r->mthp, HUGE / 2);
	return 0;
}

FIXTURE(folio) {
	struct pml_child c;
	struct regions *r;
	char thp_saved[32], mthp_saved[32];
	char pidstr[16];
	json_object *maps;
};

FIXTURE_SETUP(folio)
{
	char cur[32];
	struct run run;
	int ack;

	memset(self, 0, sizeof(*self));
	self->c.pid = -1;
	self->c.cmd_fd = self->c.ack_fd = -1;
	if (access(PTSCOPE_DEBUGFS_DIR "/records", F_OK))
		SKIP(return, "ptscope module not loaded");
	if (pml_sysfs_choice(THP_ENABLED, cur, sizeof(cur)))
		SKIP(return, "no transparent hugepages");
	if (!strcmp(cur, "never")) {
		snprintf(self->thp_saved, sizeof(self->thp_saved), "%s", cur);
		ASSERT_EQ(0, pml_write_str(THP_ENABLED, "madvise"));
	}
	if (!pml_sysfs_choice(MTHP_64K, cur, sizeof(cur)) && strcmp(cur, "always")) {
		snprintf(self->mthp_saved, sizeof(self->mthp_saved), "%s", cur);
		ASSERT_EQ(0, pml_write_str(MTHP_64K, "always"));
	}
	self->r = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->r);
	ack = pml_child_start(&self->c, regions_fn, self->r);
	ASSERT_EQ(0, ack) TH_LOG("child set-up failed at step %d", ack);
	snprintf(self->pidstr, sizeof(self->pidstr), "%d", self->c.pid);
	run_cli(&run, "maps", self->pidstr, "--folios", "--json");
	ASSERT_EQ(0, run.status) TH_LOG("stderr: %s", run.err);
	self->maps = json_tokener_parse(run.out);
	run_free(&run);
	ASSERT_NE(NULL, self->maps);
}

FIXTURE_TEARDOWN(folio)
{
	pml_child_stop(&self->c);
	if (self->maps)
		json_object_put(self->maps);
	if (self->thp_saved[0])
		pml_write_str(THP_ENABLED, self->thp_saved);
	if (self->mthp_saved[0])
		pml_write_str(MTHP_64K, self->mthp_saved);
	if (self->r && self->r != MAP_FAILED)
		munmap(self->r, PAGE);
}

/* kB per folio size and shape: [order][shape] */
struct tally {
	long long kb[19][PTS_FS_NR];
	long long pmd_kb;
};

/* ptscope's categories of the VMA that starts at START. */
static int ptscope_tally(json_object *maps, unsigned long start, struct tally *t)
{
	json_object *vmas = jget(maps, "vmas");
	size_t i, j;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < json_object_array_length(vmas); i++) {
		json_object *v = json_object_array_get_idx(vmas, i), *f;

		if (jhex(v, "start") != start)
			continue;
		f = jget(v, "folios");
		if (!f)
			return -1;
		for (j = 0; j < json_object_array_length(f); j++) {
			json_object *c = json_object_array_get_idx(f, j);
			long long size = jint(c, "size");
			const char *shape = jstr(c, "shape");
			int order = __builtin_ctzll(size) - 12, s;

			if (strcmp(jstr(c, "kind"), "anon") || order < 0 || order > 18)
				return -1;
			for (s = 0; s < PTS_FS_NR; s++)
				if (!strcmp(shape, pts_folio_shape_name(s)))
					break;
			if (s == PTS_FS_NR)
				return -1;
			t->kb[order][s] += jint(c, "kb");
			if (!strcmp(jstr(c, "mapped_by"), "pmd"))
				t->pmd_kb += jint(c, "kb");
		}
		return 0;
	}
	return -1;
}

/*
 * The same from the kernel's answers: pagemap's frames, kpageflags'
 * folios; a piece is a run of pages of one folio at consecutive frames
 * and addresses; whole if it starts at the head and holds every page.
 */
static int kernel_tally(pid_t pid, unsigned long start, unsigned long end,
			struct tally *t)
{
	size_t n = (end - start) / PAGE, i, j;
	uint64_t *pm = calloc(n, 8), *pfn = calloc(n, 8), *head = calloc(n, 8),
		 *pages = calloc(n, 8);
	int ret = -1;

	memset(t, 0, sizeof(*t));
	if (!pm || !pfn || !head || !pages || pml_pagemap(pid, start, n, pm))
		goto out;
	for (i = 0; i < n; i++) {
		if (!(pm[i] & PML_PRESENT))
			goto out;	/* every page of these regions is touched */
		pfn[i] = pml_pfn(pm[i]);
	}
	if (pml_kpf_folios(pfn, n, head, pages))
		goto out;
	for (i = 0; i < n; i = j) {
		unsigned long va = start + i * PAGE;
		int order = __builtin_ctzll(pages[i]), shape;

		for (j = i + 1; j < n && head[j] == head[i] && pfn[j] == pfn[j - 1] + 1; j++)
			;
		if (pfn[i] != head[i] || j - i != pages[i])
			shape = PTS_FS_PARTIAL;
		else if (va & (pages[i] * PAGE - 1))
			shape = PTS_FS_UNALIGNED;
		else
			shape = PTS_FS_ALIGNED;
		if (order > 18)
			goto out;
		t->kb[order][shape] += (j - i) * 4;
	}
	t->pmd_kb = -1;
	ret = 0;
out:
	free(pm);
	free(pfn);
	free(head);
	free(pages);
	return ret;
}

/* AnonHugePages of the VMA at START in /proc/PID/smaps, kB, or -1. */
static long smaps_anonhuge(pid_t pid, unsigned long start)
{
	return pml_smaps_vma_kb(pid, start, "AnonHugePages");
}

static void check_vma(struct __test_metadata *_metadata, FIXTURE_DATA(folio) *self,
		      const char *what, unsigned long start, unsigned long end)
{
	struct tally p, k;
	long bad = 0;
	int o, s;

	ASSERT_EQ(0, ptscope_tally(self->maps, start, &p))
		TH_LOG("%s: no folio categories for the VMA at 0x%lx", what, start);
	ASSERT_EQ(0, kernel_tally(self->c.pid, start, end, &k))
		TH_LOG("%s: pagemap/kpageflags unreadable or a page not present", what);
	for (o = 0; o <= 18; o++)
		for (s = 0; s < PTS_FS_NR; s++) {
			if (p.kb[o][s] == k.kb[o][s])
				continue;
			bad++;
			TH_LOG("%s: %lluK folios, %s: ptscope %lld kB, kpageflags %lld kB",
			       what, 4ULL << o, pts_folio_shape_name(s), p.kb[o][s],
			       k.kb[o][s]);
		}
	EXPECT_EQ(0, bad);
	EXPECT_EQ(smaps_anonhuge(self->c.pid, start), p.pmd_kb)
		TH_LOG("%s: bytes mapped by PMDs differ from smaps AnonHugePages", what);
	for (o = 0; o <= 18; o++)
		for (s = 0; s < PTS_FS_NR; s++)
			if (k.kb[o][s])
				TH_LOG("%s: %lluK %s %lld kB", what, 4ULL << o,
				       pts_folio_shape_name(s), k.kb[o][s]);
}

/* Each region's VMA(s): ptscope's categories equal the kernel's. */
TEST_F_TIMEOUT(folio, maps_folios_match_kpageflags, 120)
{
	struct regions *r = self->r;
	unsigned long split = (unsigned long)r->split;

	check_vma(_metadata, self, "thp", (unsigned long)r->thp,
		  (unsigned long)r->thp + HUGE);
	check_vma(_metadata, self, "split thp, first half", split, split + HUGE / 2);
	check_vma(_metadata, self, "split thp, second half", split + HUGE / 2, split + HUGE);
	check_vma(_metadata, self, "small pages", (unsigned long)r->small,
		  (unsigned long)r->small + NSMALL * PAGE);
	check_vma(_metadata, self, "mthp", (unsigned long)r->mthp,
		  (unsigned long)r->mthp + HUGE / 2);
}

/* What the kernel gave, so that the comparison above is not vacuous. */
TEST_F(folio, regions_have_the_folios_asked_for)
{
	struct regions *r = self->r;
	struct tally p;

	/* the kernel's word first: a SKIP after a failed EXPECT would hide it */
	if (smaps_anonhuge(self->c.pid, (unsigned long)r->thp) != 2048)
		SKIP(return, "the kernel gave no THP here (AnonHugePages %ld kB)",
		     smaps_anonhuge(self->c.pid, (unsigned long)r->thp));
	ASSERT_EQ(0, ptscope_tally(self->maps, (unsigned long)r->small, &p));
	EXPECT_EQ(NSMALL * 4, p.kb[0][PTS_FS_ALIGNED]);
	ASSERT_EQ(0, ptscope_tally(self->maps, (unsigned long)r->thp, &p));
	EXPECT_EQ(2048, p.pmd_kb);
	EXPECT_EQ(2048, p.kb[9][PTS_FS_ALIGNED]);
	ASSERT_EQ(0, ptscope_tally(self->maps, (unsigned long)r->split, &p));
	EXPECT_EQ(1024, p.kb[9][PTS_FS_PARTIAL]) TH_LOG("half a THP, mapped by PTEs");
	EXPECT_EQ(0, p.pmd_kb);
}

/* Multi-size THP, where the kernel has it: 16 aligned 64K folios. */
TEST_F(folio, mthp_region_has_64k_folios)
{
	struct tally p;

	if (access(MTHP_64K, F_OK))
		SKIP(return, "no multi-size THP on this kernel (6.8+)");
	ASSERT_EQ(0, ptscope_tally(self->maps, (unsigned long)self->r->mthp, &p));
	EXPECT_EQ(1024, p.kb[4][PTS_FS_ALIGNED]) TH_LOG("16 aligned 64K folios");
}

/* walk --json: every leaf's folio in the regions against kpageflags. */
TEST_F(folio, walk_json_folio_matches_kpageflags)
{
	struct regions *r = self->r;
	json_object **v;
	struct run run;
	char range[64];
	int n, i, checked = 0, bad = 0;

	snprintf(range, sizeof(range), "0x%lx-0x%lx", (unsigned long)r->mthp,
		 (unsigned long)r->mthp + HUGE / 2);
	run_cli(&run, "walk", self->pidstr, "--range", range, "--json");
	ASSERT_EQ(0, run.status) TH_LOG("stderr: %s", run.err);
	n = json_lines(run.out, &v);
	for (i = 0; i < n; i++) {
		json_object *f = jget(v[i], "folio");
		uint64_t pfn = jint(v[i], "pfn"), head = 0, pages = 0;

		ASSERT_NE(NULL, f);
		ASSERT_EQ(0, pml_kpf_folios(&pfn, 1, &head, &pages));
		checked++;
		if ((uint64_t)jint(f, "pfn") != head ||
		    (uint64_t)jint(f, "size") != pages * PAGE) {
			if (bad++ < 5)
				TH_LOG("va %s: folio %lld x %lld, kpageflags 0x%llx x %llu pages",
				       jstr(v[i], "va"), jint(f, "pfn"), jint(f, "size"),
				       (unsigned long long)head, (unsigned long long)pages);
		}
	}
	json_lines_free(v, n);
	run_free(&run);
	EXPECT_EQ(256, checked);
	EXPECT_EQ(0, bad);
}

/* maps --folios, text and JSON, under valgrind: no error, no leak. */
TEST_F_TIMEOUT(folio, valgrind_clean_maps_folios, 600)
{
	char *argv[] = { "valgrind", "--error-exitcode=99", "--leak-check=full",
			 "--errors-for-leak-kinds=definite,indirect,possible", "-q",
			 (char *)cli(), "maps", self->pidstr, "--folios", NULL, NULL };
	struct run r;

	if (pml_sh("command -v valgrind >/dev/null"))
		SKIP(return, "no valgrind");
	run_prog(&r, NULL, argv);
	EXPECT_EQ(0, r.status) TH_LOG("valgrind: %s", r.err);
	run_free(&r);
	argv[9] = "--json";
	run_prog(&r, NULL, argv);
	EXPECT_EQ(0, r.status) TH_LOG("valgrind: %s", r.err);
	run_free(&r);
}

TEST_HARNESS_MAIN
