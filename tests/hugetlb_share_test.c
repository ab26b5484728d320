// SPDX-License-Identifier: GPL-2.0
/*
 * Shared hugetlb PMD tables under churn.
 *
 * Two processes that map the same hugetlb file MAP_SHARED over a whole,
 * 1 GiB-aligned gigabyte share one PMD table (huge_pmd_share()): each
 * one's PUD entry points at the same table page.  The target's own
 * MADV_DONTNEED (under its mmap read lock, beside the walker) or a hole
 * punched in the file unshares it (huge_pmd_unshare()); the other sharer
 * may then unmap and so free the table, under locks the walker does not
 * hold.  The module reads such tables entry by entry with interrupts off
 * (Documentation/design.rst, "Shared hugetlb PMD tables").
 *
 * Here the target zaps and touches again, and the other sharer zaps,
 * unmaps and maps again and punches holes, as fast as they can, while
 * walkers and translators read the target.  Each leaf must be possible: a
 * present 2 MiB leaf at PMD level, a hugetlb frame (kpageflags HUGE)
 * inside the guest's memory, and equal to pagemap's frame whenever
 * pagemap read before and after the walk agree.  That the two really
 * shared a table is checked with translate (same PMD table address in
 * both), else the test is skipped.
 *
 * PTSCOPE_RACE_SECONDS sets the duration (default 10).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/falloc.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/kernel-page-flags.h>

#include "guest_harness.h"
#include "libptscope.h"
#include "pagemap_lib.h"

#define GB		(1UL << 30)
#define HPAGE		(2UL << 20)
#define PAGE_4K		4096UL
#define TOUCH		8		/* huge pages the sharers touch */
#define NR_HUGEPAGES	"/proc/sys/vm/nr_hugepages"

/* A 1 GiB-aligned free gigabyte of address space, or NULL. */
static char *aligned_gb(void)
{
	char *p = mmap(NULL, 2 * GB, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
		       MAP_NORESERVE, -1, 0), *a;

	if (p == MAP_FAILED)
		return NULL;
	a = (char *)(((unsigned long)p + GB - 1) & ~(GB - 1));
	munmap(p, 2 * GB);
	return a;
}

/* Map the whole 1 GiB hugetlb file FD at A. */
static char *map_gb(int fd, char *a)
{
	char *q = mmap(a, GB, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE |
		       MAP_FIXED, fd, 0);

	return q == a ? q : NULL;
}

/*
 * Touch some of the first TOUCH huge pages, then unmap them in one of the
 * ways that unshare or free a shared PMD table, forever (until killed):
 * MADV_DONTNEED (unshares this process's PUD entry), and, with FREE set,
 * munmap and mmap again (the last owner frees the table) and a hole
 * punched in the file (unmaps, and unshares, in every sharer).  The file
 * keeps at most TOUCH pages.
 */
static void __attribute__((noreturn)) churn(int fd, char *p, unsigned int seed,
					    bool free)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (;;) {
		int i;

		for (i = 0; i < TOUCH / 2; i++)
			p[(rand_r(&seed) % TOUCH) * HPAGE] = 1;
		switch (rand_r(&seed) % (free ? 4 : 2)) {
		case 0:
			madvise(p, GB, MADV_DONTNEED);
			break;
		case 2:
			munmap(p, GB);
			if (!map_gb(fd, p))
				_exit(1);
			break;
		case 3:
			fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				  (rand_r(&seed) % TOUCH) * HPAGE, HPAGE);
			break;
		}
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
	int fd;
	char *p;
	long saved_hugepages;
};

FIXTURE_SETUP(share)
{
	long have;
	char buf[32];

	self->a = self->b = 0;
	self->fd = -1;
	self->p = NULL;
	self->saved_hugepages = -1;
	if (access(PTSCOPE_DEBUGFS_DIR "/records", F_OK))
		SKIP(return, "ptscope module not loaded");
	have = pml_read_long(NR_HUGEPAGES);
	if (have < 0)
		SKIP(return, "no hugetlb support (%s)", NR_HUGEPAGES);
	self->saved_hugepages = have;
	snprintf(buf, sizeof(buf), "%ld", have + 2 * TOUCH);
	if (pml_write_str(NR_HUGEPAGES, buf) ||
	    pml_read_long(NR_HUGEPAGES) < have + TOUCH)
		SKIP(return, "cannot reserve %d 2 MiB huge pages", TOUCH);
	self->fd = memfd_create("ptscope-share", MFD_HUGETLB | MFD_CLOEXEC);
	if (self->fd < 0)
		SKIP(return, "memfd_create(MFD_HUGETLB): %s", strerror(errno));
	ASSERT_EQ(0, ftruncate(self->fd, GB));
	self->p = aligned_gb();
	if (!self->p || !map_gb(self->fd, self->p))
		SKIP(return, "cannot map 1 GiB of shared hugetlb memory at a 1 GiB boundary");
	/* Populate one page so that each fork starts out sharing the table. */
	self->p[0] = 1;
	/* A, the target, only zaps; B also unmaps, maps again, punches holes. */
	self->a = fork();
	ASSERT_LE(0, self->a);
	if (self->a == 0)
		churn(self->fd, self->p, 1, false);
	self->b = fork();
	ASSERT_LE(0, self->b);
	if (self->b == 0)
		churn(self->fd, self->p, 2, true);
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
	if (self->fd >= 0)
		close(self->fd);
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
	/* The folio is the leaf's own, read under the entry's lock. */
	if (!(l->flags & PTSCOPE_F_FOLIO) || l->folio_order != 9 ||
	    l->folio_pfn != l->pfn) {
		snprintf(why, len, "va 0x%llx: pfn 0x%llx: folio 0x%llx order %u (flags 0x%llx)",
			 (unsigned long long)l->va, (unsigned long long)l->pfn,
			 (unsigned long long)l->folio_pfn, l->folio_order,
			 (unsigned long long)l->flags);
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
	/*
	 * The other sharer frees tables while we check: a PMD table that
	 * translate read may be free by the time kpageflags is asked.
	 */
	ptw_xlate_check_tables = 0;
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
		ASSERT_EQ(0, ret) {
			int st = 0;

			TH_LOG("walk: %s (target: %s, status 0x%x)", strerror(-ret),
			       waitpid(self->a, &st, WNOHANG) == self->a ? "ended" : "alive",
			       st);
		}
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
