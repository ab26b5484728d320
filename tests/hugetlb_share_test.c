// SPDX-License-Identifier: GPL-2.0
/*
 * Shared hugetlb PMD tables under churn.
 *
 * Two processes that map the same hugetlb file MAP_SHARED over a whole,
 * 1 GiB-aligned gigabyte share one PMD table (huge_pmd_share()): each
 * one's PUD entry points at the same table page.  MADV_DONTNEED by either
 * unshares it (huge_pmd_unshare()) and, once the other lets go too, the
 * table is freed, all under the mmap read lock of the process that
 * zapped, which is not the lock the walker holds.  The module reads such
 * tables entry by entry with interrupts off (Documentation/design.rst,
 * "Shared hugetlb tables").
 *
 * Here both sharers zap and touch again as fast as they can while walkers
 * and translators read the first one.  Each leaf must be possible: a
 * present 2 MiB leaf at PMD level, a hugetlb frame (kpageflags HUGE)
 * inside the guest's memory, and equal to pagemap's frame whenever
 * pagemap read before and after the walk agree.  That the two really
 * shared a table is checked with translate (same PMD table address in
 * both), else the test is skipped.
 *
 * PTSCOPE_RACE_SECONDS sets the duration (default 10).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/kernel-page-flags.h>

#include "kselftest_harness.h"
#include "libptscope.h"
#include "pagemap_lib.h"

#define GB		(1UL << 30)
#define HPAGE		(2UL << 20)
#define PAGE_4K		4096UL
#define TOUCH		8		/* huge pages the sharers touch */
#define NR_HUGEPAGES	"/proc/sys/vm/nr_hugepages"

/* Map 1 GiB of shared hugetlb memory at a 1 GiB-aligned address. */
static char *map_aligned_gb(void)
{
	char *p = mmap(NULL, 2 * GB, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
		       MAP_NORESERVE, -1, 0), *a, *q;

	if (p == MAP_FAILED)
		return NULL;
	a = (char *)(((unsigned long)p + GB - 1) & ~(GB - 1));
	munmap(p, 2 * GB);
	q = mmap(a, GB, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS |
		 MAP_HUGETLB | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
	return q == a ? q : NULL;
}

/*
 * Touch some of the first TOUCH huge pages, zap them all, forever (until
 * killed).  The file keeps its pages (MADV_DONTNEED only unmaps a shared
 * mapping), so TOUCH pages is all the memory this takes.
 */
static void __attribute__((noreturn)) churn(char *p, unsigned int seed)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (;;) {
		int i;

		for (i = 0; i < TOUCH / 2; i++)
			p[(rand_r(&seed) % TOUCH) * HPAGE] = 1;
		if (rand_r(&seed) % 2)
			madvise(p, GB, MADV_DONTNEED);
	}
}

/* The PMD table address translate reports for VA in PID, or 0. */
static uint64_t pmd_table(pid_t pid, unsigned long va)
{
	struct ptw_xlate x;
	int i;

	if (ptw_translate(pid, va, &x))
		return 0;
	for (i = 0; i < x.nlv; i++)
		if (x.lv[i].level == PTSCOPE_LVL_PMD)
			return x.lv[i].table_pa;
	return 0;
}

FIXTURE(share)
{
	pid_t a, b;
	char *p;
	long saved_hugepages;
};

FIXTURE_SETUP(share)
{
	long have;
	char buf[32];

	self->a = self->b = 0;
	self->saved_hugepages = -1;
	if (access(PTSCOPE_DEBUGFS_DIR "/records", F_OK))
		SKIP(return, "ptscope module not loaded");
	have = pml_read_long(NR_HUGEPAGES);
	if (have < 0)
		SKIP(return, "no hugetlb support (%s)", NR_HUGEPAGES);
	self->saved_hugepages = have;
	snprintf(buf, sizeof(buf), "%ld", have + TOUCH);
	if (pml_write_str(NR_HUGEPAGES, buf) ||
	    pml_read_long(NR_HUGEPAGES) < have + TOUCH)
		SKIP(return, "cannot reserve %d 2 MiB huge pages", TOUCH);
	self->p = map_aligned_gb();
	if (!self->p)
		SKIP(return, "cannot map 1 GiB of shared hugetlb memory at a 1 GiB boundary");
	/* Populate one page so that the child's fork shares the table. */
	self->p[0] = 1;
	self->a = fork();
	ASSERT_LE(0, self->a);
	if (self->a == 0)
		churn(self->p, 1);
	self->b = fork();
	ASSERT_LE(0, self->b);
	if (self->b == 0)
		churn(self->p, 2);
}

FIXTURE_TEARDOWN(share)
{
	char buf[32];

	if (self->a > 0)
		kill(self->a, SIGKILL);
	if (self->b > 0)
		kill(self->b, SIGKILL);
	if (self->a > 0)
		waitpid(self->a, NULL, 0);
	if (self->b > 0)
		waitpid(self->b, NULL, 0);
	if (self->p)
		munmap(self->p, GB);
	if (self->saved_hugepages >= 0) {
		snprintf(buf, sizeof(buf), "%ld", self->saved_hugepages);
		pml_write_str(NR_HUGEPAGES, buf);
	}
}

/* One leaf of the shared region: 0, or 1 with WHY. */
static int check_leaf(const struct ptscope_leaf *l, unsigned long start,
		      uint64_t max_pfn, char *why, size_t len)
{
	uint64_t kf = 0;

	if (l->va < start || l->va >= start + GB)
		return 0;
	if (l->level != PTSCOPE_LVL_PMD || !(l->flags & PTSCOPE_F_PRESENT) ||
	    !(l->flags & PTSCOPE_F_PSE) || (l->flags & PTSCOPE_F_SWAP)) {
		snprintf(why, len, "va 0x%llx: level %u entry 0x%llx is no present 2 MiB leaf",
			 (unsigned long long)l->va, l->level, (unsigned long long)l->entry);
		return 1;
	}
	if (l->pfn > max_pfn || l->pfn % 512) {
		snprintf(why, len, "va 0x%llx: pfn 0x%llx outside RAM or unaligned",
			 (unsigned long long)l->va, (unsigned long long)l->pfn);
		return 1;
	}
	if (pml_kpageflags(l->pfn, &kf) || !(kf & (1ULL << KPF_HUGE))) {
		snprintf(why, len, "va 0x%llx: pfn 0x%llx is not a hugetlb page (kpageflags 0x%llx)",
			 (unsigned long long)l->va, (unsigned long long)l->pfn,
			 (unsigned long long)kf);
		return 1;
	}
	return 0;
}

TEST_F_TIMEOUT(share, churn_reads_are_possible, 180)
{
	const char *env = getenv("PTSCOPE_RACE_SECONDS");
	int seconds = env ? atoi(env) : 10;
	unsigned long start = (unsigned long)self->p;
	uint64_t max_pfn = pml_max_pfn();
	long walks = 0, leaves = 0, compared = 0, xlates = 0, shared = 0, bad = 0;
	int ret;
	uint64_t *pm;
	time_t end;
	char why[256] = "";

	ASSERT_LT(0, max_pfn);
	end = time(NULL) + seconds;
	pm = calloc(GB / PAGE_4K, sizeof(*pm));
	ASSERT_NE(NULL, pm);
	while (time(NULL) < end) {
		uint64_t before[512], after[512];
		uint64_t ta, tb;
		struct ptw_walk w;
		struct ptw_xlate x;
		unsigned long va;
		size_t i;

		/* Shared right now?  Both PUD entries name one PMD table. */
		ta = pmd_table(self->a, start);
		tb = pmd_table(self->b, start);
		shared += ta && ta == tb;

		/* pagemap before and after the walk, for each huge page */
		ret = pml_pagemap(self->a, start, GB / PAGE_4K, pm);
		ASSERT_EQ(0, ret) TH_LOG("pagemap: %s", strerror(-ret));
		for (i = 0; i < 512; i++)
			before[i] = pm[i * 512];
		ret = ptw_walk(self->a, start, start + GB, 0, &w);
		ASSERT_EQ(0, ret) TH_LOG("walk: %s", strerror(-ret));
		ret = pml_pagemap(self->a, start, GB / PAGE_4K, pm);
		ASSERT_EQ(0, ret) TH_LOG("pagemap: %s", strerror(-ret));
		for (i = 0; i < 512; i++)
			after[i] = pm[i * 512];
		walks++;
		if (ptw_check(&w, self->a, why, sizeof(why))) {
			bad++;
			TH_LOG("walk: %s", why);
		}
		for (i = 0; i < w.nleaves; i++) {
			const struct ptscope_leaf *l = &w.leaves[i];
			size_t k = (l->va - start) / HPAGE;

			leaves++;
			if (check_leaf(l, start, max_pfn, why, sizeof(why))) {
				if (bad++ < 5)
					TH_LOG("%s", why);
				continue;
			}
			/* If pagemap saw the same frame before and after, so must we. */
			if (l->va < start || k >= 512 || before[k] != after[k] ||
			    !(before[k] & PML_PRESENT))
				continue;
			compared++;
			if (pml_pfn(before[k]) != l->pfn && bad++ < 5)
				TH_LOG("va 0x%llx: pfn 0x%llx, pagemap before and after 0x%llx",
				       (unsigned long long)l->va, (unsigned long long)l->pfn,
				       (unsigned long long)pml_pfn(before[k]));
		}
		ptw_free(&w);

		/* A translation of a random huge page: the same rules. */
		va = start + (rand() % 512) * HPAGE + 0x1234;
		ret = ptw_translate(self->a, va, &x);
		ASSERT_EQ(0, ret) TH_LOG("translate: %s", strerror(-ret));
		{
			xlates++;
			if (ptw_check_xlate(&x, self->a, va, why, sizeof(why))) {
				if (bad++ < 5)
					TH_LOG("translate: %s", why);
			} else if (x.x.stop == PTSCOPE_STOP_OK &&
				   check_leaf(&x.x.leaf, start, max_pfn, why, sizeof(why))) {
				if (bad++ < 5)
					TH_LOG("translate: %s", why);
			}
		}
	}
	TH_LOG("%ld walks, %ld leaves, %ld translations, %ld pagemap agreements, "
	       "table shared at %ld of the checks", walks, leaves, xlates, compared, shared);
	free(pm);
	ASSERT_EQ(0, bad);
	ASSERT_LT(0, walks);
	if (!shared)
		SKIP(return, "the two processes never shared a PMD table");
}

TEST_HARNESS_MAIN
