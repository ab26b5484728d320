// SPDX-License-Identifier: GPL-2.0
/*
 * ptscope snapshot and diff against the kernel's own answers:
 *  - a snapshot file holds the walk: its header names the process, the
 *    kernel and the time; its records pass the walk's structure checks and
 *    agree with /proc/PID/pagemap page by page; diff against the live,
 *    idle process finds nothing (exit 0);
 *  - a fork child writes N of the pages it shares with its parent: diff
 *    of the child's snapshots before and after finds exactly those N pages,
 *    as "frame", from the parent's frame (the test's own pagemap) to the
 *    child's new one (the child's pagemap), and nothing else there;
 *  - each kind of change where it is made: new (pages written), gone
 *    (MADV_DONTNEED), flags (mprotect: the VMA changes too), split
 *    (mprotect of half a THP), collapse (MADV_COLLAPSE), swap-out
 *    (MADV_PAGEOUT) and swap-in (read back), counted page for page;
 *  - bad input: not a snapshot, cut short, a newer version, no such
 *    process or file: a message, diff(1)'s status 2 (or the walk's), and
 *    an existing file is left as it was.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>

#include "guest_harness.h"
#include "libptscope.h"
#include "pagemap_lib.h"
#include "cli_lib.h"

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT	21
#endif
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE	25
#endif

#define PAGE		4096UL
#define HUGE		(2UL << 20)
#define X86_ACCESSED	0x20ULL		/* _PAGE_ACCESSED, on every level */

static char dir[] = "/tmp/ptscope-snap-XXXXXX";	/* mkdtemp's template */

static const char *path(const char *name)
{
	static char buf[4][256];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

static void snap(struct __test_metadata *_metadata, pid_t pid, const char *file)
{
	char pidstr[16];
	struct run r;

	snprintf(pidstr, sizeof(pidstr), "%d", pid);
	run_cli(&r, "snapshot", pidstr, "-o", file);
	EXPECT_EQ(0, r.status) TH_LOG("snapshot: %s", r.err);
	run_free(&r);
}

/* A snapshot file loaded through the library; 0 or -errno. */
static int load(const char *file, struct pts_snap_hdr *h, struct pts_image *img)
{
	struct pts_session s;
	int ret;

	ret = pts_snap_open(&s, file, h);
	if (ret)
		return ret;
	ret = pts_image_load(img, &s, NULL);
	pts_close(&s);
	return ret;
}

/* The image as the test library's walk, for its checks against pagemap. */
static void as_ptw(const struct pts_image *img, struct ptw_walk *w)
{
	size_t i;

	memset(w, 0, sizeof(*w));
	w->hdr = img->hdr;
	w->end = img->end;
	w->have_hdr = w->have_end = true;
	w->nvmas = img->nvma;
	w->vmas = malloc((img->nvma + 1) * sizeof(*w->vmas));
	memcpy(w->vmas, img->vma, img->nvma * sizeof(*w->vmas));
	w->nleaves = img->nleaf;
	w->leaves = malloc((img->nleaf + 1) * sizeof(*w->leaves));
	w->leaf_vma = malloc((img->nleaf + 1) * sizeof(*w->leaf_vma));
	memcpy(w->leaves, img->leaf, img->nleaf * sizeof(*w->leaves));
	for (i = 0; i < img->nleaf; i++)
		w->leaf_vma[i] = img->leaf_vma[i];
}

/* ---- the diff's JSON, page by page ---------------------------------- */

struct change_count {
	long pages[PTS_CH_NR];
	long aged;		/* "flags" pages whose accessed bit alone was cleared */
	long vma_changes;
	long other;		/* pages changed outside the ranges asked */
};

static int change_of(const char *name)
{
	unsigned int i;

	for (i = 0; i < PTS_CH_NR; i++)
		if (!strcmp(pts_change_name(i), name))
			return i;
	return -1;
}

/*
 * Run diff A B --json; count the pages of each change inside
 * [START, END); the rest into ->other.  Returns diff's exit status.
 */
static int diff_json(struct __test_metadata *_metadata, const char *a, const char *b,
		     unsigned long start, unsigned long end, struct change_count *c,
		     json_object ***runs, int *nruns)
{
	json_object **v;
	struct run r;
	int n, i, status;

	memset(c, 0, sizeof(*c));
	run_cli(&r, "diff", a, b, "--json");
	status = r.status;
	EXPECT_TRUE(status == 0 || status == 1) TH_LOG("diff: %d %s", status, r.err);
	n = json_lines(r.out, &v);
	for (i = 0; i < n; i++) {
		unsigned long va;
		int ch;

		ASSERT_NE(NULL, v[i]) TH_LOG("line %d of diff --json does not parse", i);
		if (jget(v[i], "vma_change")) {
			c->vma_changes++;
			continue;
		}
		if (jget(v[i], "summary"))
			continue;
		va = jhex(v[i], "va");
		ch = change_of(jstr(v[i], "change") ?: "");
		ASSERT_LE(0, ch);
		/*
		 * The kernel may clear accessed bits at any time (reclaim's
		 * aging: MGLRU walks page tables): those are not the test's.
		 */
		if (ch == PTS_CH_FLAGS &&
		    (jhex(jget(v[i], "old"), "entry") ^ jhex(jget(v[i], "new"), "entry")) ==
		    X86_ACCESSED) {
			c->aged += jint(v[i], "count");
			continue;
		}
		if (va >= start && va < end)
			c->pages[ch] += jint(v[i], "count");
		else
			c->other += jint(v[i], "count");
	}
	if (runs) {
		*runs = v;
		*nruns = n;
	} else {
		json_lines_free(v, n);
	}
	run_free(&r);
	return status;
}

static long only(const struct change_count *c, int ch)
{
	long rest = 0;
	int i;

	for (i = 0; i < PTS_CH_NR; i++)
		if (i != ch)
			rest += c->pages[i];
	return rest;
}

FIXTURE(snap)
{
	int unused;
};

FIXTURE_SETUP(snap)
{
	if (access(PTSCOPE_DEBUGFS_DIR "/records", F_OK) && access(PTSCOPE_DEVICE, F_OK))
		SKIP(return, "ptscope module not loaded");
	if (access(cli(), X_OK))
		SKIP(return, "%s not built", cli());
	ASSERT_NE(NULL, mkdtemp(dir));
	/* the test's own library pages, mapped before any walk */
	populate_self();
}

FIXTURE_TEARDOWN(snap)
{
	pml_sh("rm -rf %s", dir);
	strcpy(dir + strlen(dir) - 6, "XXXXXX");
}

/* A snapshot is the walk: header, structure, pagemap; and diff of it
 * against the same idle process is empty. */
TEST_F(snap, is_the_walk)
{
	struct pml_child c;
	struct pts_snap_hdr h;
	struct pts_image img;
	struct ptw_walk w;
	struct utsname u;
	char why[256], live[32];
	struct change_count cc;
	time_t before, after;
	struct run r;
	uint64_t img_first_page;
	int status;
	size_t i;

	ASSERT_EQ(0, pml_spawn_sleeper(&c));
	before = time(NULL);
	snap(_metadata, c.pid, path("a.pts"));
	after = time(NULL);
	ASSERT_EQ(0, load(path("a.pts"), &h, &img));
	ASSERT_EQ(0, uname(&u));
	EXPECT_EQ(0, memcmp(h.magic, PTS_SNAP_MAGIC, 8));
	EXPECT_EQ(PTS_SNAP_VERSION, h.version);
	EXPECT_EQ((uint32_t)c.pid, h.pid);
	EXPECT_STREQ("sleep", h.comm);
	EXPECT_STREQ(u.release, h.kernel);
	EXPECT_TRUE(h.time_sec >= before && h.time_sec <= after);
	EXPECT_EQ((uint32_t)c.pid, img.hdr.pid);
	EXPECT_EQ(img.end.vmas, img.nvma);
	EXPECT_EQ(img.end.leaves, img.nleaf);
	EXPECT_LT(0, img.nleaf);

	img_first_page = img.leaf[0].va;
	as_ptw(&img, &w);
	EXPECT_EQ(0, ptw_check(&w, c.pid, why, sizeof(why))) TH_LOG("%s", why);
	for (i = 0; i < w.nvmas; i++) {
		const struct ptscope_vma *v = &w.vmas[i];

		if (v->backing == PTSCOPE_BACK_PFNMAP || v->backing == PTSCOPE_BACK_VVAR)
			continue;
		EXPECT_EQ(0, ptw_compare_pagemap(&w, c.pid, v->start,
						 (v->end - v->start) / PAGE))
			TH_LOG("VMA %s at 0x%llx", v->name, (unsigned long long)v->start);
	}
	ptw_free(&w);
	pts_image_free(&img);

	/*
	 * The idle sleeper now: no change but accessed bits the kernel's
	 * aging may have cleared (7.3 was seen to, in an idle guest).
	 */
	snprintf(live, sizeof(live), "pid:%d", c.pid);
	status = diff_json(_metadata, path("a.pts"), live, 0, ~0UL, &cc, NULL, NULL);
	EXPECT_EQ(0, only(&cc, -1));
	EXPECT_EQ(0, cc.vma_changes);
	EXPECT_EQ(cc.aged ? 1 : 0, status);
	TH_LOG("accessed bits cleared by the kernel meanwhile: %ld pages", cc.aged);
	/* a snapshot of one page is compared on that page only */
	{
		char range[64];

		snprintf(range, sizeof(range), "0x%llx+4K",
			 (unsigned long long)img_first_page);
		run_cli(&r, "snapshot", live + 4, "--range", range, "-o", path("one.pts"));
		EXPECT_EQ(0, r.status) TH_LOG("%s", r.err);
		run_free(&r);
		run_cli(&r, "diff", path("one.pts"), live);
		EXPECT_TRUE(r.status == 0 || r.status == 1) TH_LOG("%s", r.err);
		EXPECT_NE(NULL, strstr(r.out, "# compared ")) TH_LOG("%s", r.out);
		run_free(&r);
		diff_json(_metadata, path("one.pts"), live, 0, ~0UL, &cc, NULL, NULL);
		EXPECT_EQ(0, only(&cc, -1));
		EXPECT_GE(1, cc.aged);
	}
	/* the BPF walker's snapshot (no module) has the same entries */
	run_cli(&r, "snapshot", live + 4, "--via", "bpf", "-o", path("bpf.pts"));
	if (r.status == 0) {
		status = diff_json(_metadata, path("a.pts"), path("bpf.pts"), 0, ~0UL,
				   &cc, NULL, NULL);
		EXPECT_EQ(0, only(&cc, -1));
		EXPECT_EQ(0, cc.vma_changes);
	} else {
		TH_LOG("no BPF walker here (%s): not compared", r.err);
	}
	run_free(&r);
	run_cli(&r, "diff", path("a.pts"), path("a.pts"));
	EXPECT_EQ(0, r.status);
	EXPECT_EQ(NULL, strstr(r.out, "\n    0x")) TH_LOG("%s", r.out);
	EXPECT_NE(NULL, strstr(r.out, "# vmas: 0 new, 0 gone, 0 changed")) TH_LOG("%s", r.out);
	run_free(&r);
	run_cli(&r, "diff", path("a.pts"), path("a.pts"), "--json");
	EXPECT_EQ(0, r.status);
	EXPECT_NE(NULL, strstr(r.out, "{\"summary\":")) TH_LOG("%s", r.out);
	EXPECT_EQ(NULL, strstr(r.out, "\"change\""));
	run_free(&r);
	pml_child_stop(&c);
}

/* ---- a fork child writes N shared pages ------------------------------ */

#define FORK_PAGES	96
#define FORK_N		20	/* every 3rd page from page 10 */

static char *fork_region;

static bool fork_written(int i)
{
	return i >= 10 && (i - 10) % 3 == 0 && (i - 10) / 3 < FORK_N;
}

static int fork_fn(void *arg, int cmd)
{
	int i;

	(void)arg;
	if (cmd == 1)
		for (i = 0; i < FORK_PAGES; i++)
			if (fork_written(i))
				fork_region[i * PAGE] = 0x77;
	return 0;
}

TEST_F(snap, fork_child_writes_n_shared_pages)
{
	uint64_t parent[FORK_PAGES], child[FORK_PAGES];
	unsigned long start, end;
	struct change_count cc;
	json_object **runs;
	struct pml_child c;
	int i, n, k, seen = 0;

	fork_region = mmap(NULL, FORK_PAGES * PAGE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, fork_region);
	/* 4K pages only: a written THP would be split, not just copied */
	ASSERT_EQ(0, madvise(fork_region, FORK_PAGES * PAGE, MADV_NOHUGEPAGE));
	for (i = 0; i < FORK_PAGES; i++)
		fork_region[i * PAGE] = 1;
	start = (unsigned long)fork_region;
	end = start + FORK_PAGES * PAGE;
	ASSERT_LE(0, pml_child_start(&c, fork_fn, NULL));
	snap(_metadata, c.pid, path("before.pts"));
	ASSERT_EQ(0, pml_child_cmd(&c, 1));
	snap(_metadata, c.pid, path("after.pts"));
	/* the parent (this test) still maps every page: its frames are the old ones */
	ASSERT_EQ(0, pml_pagemap(0, start, FORK_PAGES, parent));
	ASSERT_EQ(0, pml_pagemap(c.pid, start, FORK_PAGES, child));

	EXPECT_EQ(1, diff_json(_metadata, path("before.pts"), path("after.pts"),
			       start, end, &cc, &runs, &n));
	EXPECT_EQ(FORK_N, cc.pages[PTS_CH_FRAME]);
	EXPECT_EQ(0, only(&cc, PTS_CH_FRAME));
	TH_LOG("changes outside the region (the child's stack and data): %ld pages",
	       cc.other);
	/* each run: exactly the written pages, from the parent's frame to the child's */
	for (k = 0; k < n; k++) {
		json_object *o = runs[k], *old = jget(o, "old"), *new = jget(o, "new");
		unsigned long va = jhex(o, "va");
		long cnt = jint(o, "count"), p;

		if (!jget(o, "change") || va < start || va >= end)
			continue;
		for (p = 0; p < cnt; p++) {
			i = (va - start) / PAGE + p;
			EXPECT_TRUE(fork_written(i)) TH_LOG("page %d changed", i);
		}
		seen += cnt;
		EXPECT_EQ(1, cnt) TH_LOG("written pages are 3 apart: one run each");
		i = (va - start) / PAGE;
		ASSERT_NE(NULL, old);
		ASSERT_NE(NULL, new);
		EXPECT_EQ(pml_pfn(parent[i]), (uint64_t)jint(old, "pfn"));
		EXPECT_EQ(pml_pfn(child[i]), (uint64_t)jint(new, "pfn"));
		EXPECT_NE(jint(old, "pfn"), jint(new, "pfn"));
		EXPECT_TRUE(jhas_flag(new, "dirty") && jhas_flag(new, "rw"));
		EXPECT_FALSE(jhas_flag(old, "rw")) TH_LOG("after fork: write-protected");
	}
	EXPECT_EQ(FORK_N, seen);
	json_lines_free(runs, n);
	pml_child_stop(&c);
	munmap(fork_region, FORK_PAGES * PAGE);
}

/* ---- each kind where it is made --------------------------------------- */

enum { K_ANON = 64, K_SWAP = 16 };

struct kinds {
	char *anon;		/* 64 pages: 0..31 written */
	char *thp;		/* 2 MiB aligned, a THP (split) */
	char *col;		/* 2 MiB aligned, 4K pages (collapse) */
	char *swap;		/* 16 pages written */
	bool thp_ok, col_ok, swap_ok;
};

static char *aligned_2m(void)
{
	char *p = mmap(NULL, 2 * HUGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	return (char *)(((unsigned long)p + HUGE - 1) & ~(HUGE - 1));
}

static int kinds_fn(void *arg, int cmd)
{
	struct kinds *k = arg;
	volatile char sum = 0;
	unsigned long i;

	switch (cmd) {
	case 0:
		k->anon = mmap(NULL, K_ANON * PAGE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		k->swap = mmap(NULL, K_SWAP * PAGE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		k->thp = aligned_2m();
		k->col = aligned_2m();
		if (k->anon == MAP_FAILED || k->swap == MAP_FAILED || !k->thp || !k->col)
			return 1;
		madvise(k->anon, K_ANON * PAGE, MADV_NOHUGEPAGE);
		madvise(k->swap, K_SWAP * PAGE, MADV_NOHUGEPAGE);
		madvise(k->thp, HUGE, MADV_HUGEPAGE);
		madvise(k->col, HUGE, MADV_NOHUGEPAGE);
		for (i = 0; i < 32; i++)
			k->anon[i * PAGE] = 1;
		for (i = 0; i < K_SWAP; i++)
			k->swap[i * PAGE] = 0x5a;
		memset(k->thp, 2, HUGE);
		for (i = 0; i < HUGE / PAGE; i++)
			k->col[i * PAGE] = 3;
		return 0;
	case 1:
		for (i = 32; i < 36; i++)		/* new: 4 */
			k->anon[i * PAGE] = 1;
		madvise(k->anon, 3 * PAGE, MADV_DONTNEED);	/* gone: 3 */
		mprotect(k->anon + 8 * PAGE, 2 * PAGE, PROT_READ);	/* flags: 2 */
		/* split: the PMD of the whole THP goes (the VMA splits) */
		mprotect(k->thp + HUGE / 2, HUGE / 2, PROT_READ);
		/* collapse: 512 PTEs into one PMD */
		madvise(k->col, HUGE, MADV_HUGEPAGE);
		k->col_ok = !madvise(k->col, HUGE, MADV_COLLAPSE);
		/* swap-out: 16 */
		k->swap_ok = !madvise(k->swap, K_SWAP * PAGE, MADV_PAGEOUT);
		return k->col_ok | k->swap_ok << 1;
	case 2:
		for (i = 0; i < K_SWAP; i++)		/* swap-in: 16 */
			sum += k->swap[i * PAGE];
		return sum == (char)(0x5a * K_SWAP) ? 0 : 1;
	}
	return 1;
}

/* The level of the leaf covering VA in a snapshot, or -1. */
static int level_at(const char *file, unsigned long va, uint64_t flags_any)
{
	struct pts_snap_hdr h;
	struct pts_image img;
	int level = -1;
	size_t i;

	if (load(file, &h, &img))
		return -1;
	for (i = 0; i < img.nleaf; i++) {
		const struct ptscope_leaf *l = &img.leaf[i];

		if (va >= l->va && va < l->va + pts_level_size(l->level) &&
		    (!flags_any || (l->flags & flags_any)))
			level = l->level;
	}
	pts_image_free(&img);
	return level;
}

static long swapped_pages(pid_t pid, unsigned long start, size_t n)
{
	uint64_t pm[64];
	long k = 0;
	size_t i;

	if (n > 64 || pml_pagemap(pid, start, n, pm))
		return -1;
	for (i = 0; i < n; i++)
		k += !!(pm[i] & PML_SWAP);
	return k;
}

TEST_F(snap, each_kind_of_change)
{
	struct kinds *kp, k;
	unsigned long anon, thp, col, swp;
	struct change_count cc;
	bool zram = false, thp_ok;
	struct pml_child c;
	int ack;

	if (access("/proc/swaps", F_OK) == 0 &&
	    pml_sh("test $(wc -l </proc/swaps) -gt 1") != 0)
		zram = zram_on() == 0;
	/* shared: the child reports where it mapped its regions */
	kp = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, kp);
	ASSERT_EQ(0, pml_child_start(&c, kinds_fn, kp));
	k = *kp;
	anon = (unsigned long)k.anon;
	thp = (unsigned long)k.thp;
	col = (unsigned long)k.col;
	swp = (unsigned long)k.swap;
	snap(_metadata, c.pid, path("a.pts"));
	thp_ok = level_at(path("a.pts"), thp, 0) == PTSCOPE_LVL_PMD;
	ack = pml_child_cmd(&c, 1);
	ASSERT_LE(0, ack);
	snap(_metadata, c.pid, path("b.pts"));

	/* new, gone, flags in the 4K region; the mprotect split its VMA */
	diff_json(_metadata, path("a.pts"), path("b.pts"), anon, anon + K_ANON * PAGE,
		  &cc, NULL, NULL);
	EXPECT_EQ(4, cc.pages[PTS_CH_NEW]);
	EXPECT_EQ(3, cc.pages[PTS_CH_GONE]);
	EXPECT_EQ(2, cc.pages[PTS_CH_FLAGS]);
	EXPECT_EQ(9, only(&cc, -1));
	EXPECT_LE(2, cc.vma_changes) TH_LOG("mprotect split two VMAs");

	/* split: every page of the THP, same frames, now PTEs */
	diff_json(_metadata, path("a.pts"), path("b.pts"), thp, thp + HUGE, &cc, NULL, NULL);
	if (thp_ok) {
		EXPECT_EQ((long)(HUGE / PAGE), cc.pages[PTS_CH_SPLIT]);
		EXPECT_EQ(0, only(&cc, PTS_CH_SPLIT));
		EXPECT_EQ(PTSCOPE_LVL_PTE, level_at(path("b.pts"), thp, 0));
	} else {
		TH_LOG("no THP here (transparent_hugepage never?): split not checked");
	}

	/* collapse: 512 4K pages into one PMD */
	diff_json(_metadata, path("a.pts"), path("b.pts"), col, col + HUGE, &cc, NULL, NULL);
	if (ack & 1) {
		EXPECT_EQ(PTSCOPE_LVL_PMD, level_at(path("b.pts"), col, 0));
		EXPECT_EQ((long)(HUGE / PAGE), cc.pages[PTS_CH_COLLAPSE]);
		EXPECT_EQ(0, only(&cc, PTS_CH_COLLAPSE));
	} else {
		TH_LOG("MADV_COLLAPSE failed here: collapse not checked");
		EXPECT_EQ(0, only(&cc, -1));
	}

	/* swap-out, then swap-in: what pagemap says is swapped */
	diff_json(_metadata, path("a.pts"), path("b.pts"), swp, swp + K_SWAP * PAGE,
		  &cc, NULL, NULL);
	if (ack & 2 && swapped_pages(c.pid, swp, K_SWAP) == K_SWAP) {
		EXPECT_EQ(K_SWAP, cc.pages[PTS_CH_SWAP_OUT]);
		EXPECT_EQ(0, only(&cc, PTS_CH_SWAP_OUT));
		ASSERT_EQ(0, pml_child_cmd(&c, 2));
		snap(_metadata, c.pid, path("c.pts"));
		EXPECT_EQ(0, swapped_pages(c.pid, swp, K_SWAP));
		diff_json(_metadata, path("b.pts"), path("c.pts"), swp,
			  swp + K_SWAP * PAGE, &cc, NULL, NULL);
		EXPECT_EQ(K_SWAP, cc.pages[PTS_CH_SWAP_IN]);
		EXPECT_EQ(0, only(&cc, PTS_CH_SWAP_IN));
	} else {
		TH_LOG("no swap (zram %s): swap-out and swap-in not checked",
		       zram ? "on" : "unavailable");
		EXPECT_EQ(0, only(&cc, -1));
	}
	pml_child_stop(&c);
	munmap(kp, PAGE);
	if (zram)
		zram_off();
}

/* ---- bad input ---------------------------------------------------------- */

static void write_file(const char *file, const void *p, size_t n)
{
	int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd >= 0) {
		if (write(fd, p, n) != (ssize_t)n)
			perror("write");
		close(fd);
	}
}

static char *read_file(const char *file, size_t *n)
{
	int fd = open(file, O_RDONLY);

	*n = 0;
	if (fd < 0)
		return NULL;
	{
		char *s = slurp(fd);

		*n = s ? strlen(s) : 0;
		return s;
	}
}

static void expect_fail(struct __test_metadata *_metadata, int status,
			const char *msg, const char *a1, const char *a2, const char *a3)
{
	struct run r;

	run_cli(&r, a1, a2, a3);
	EXPECT_EQ(status, r.status) TH_LOG("%s %s %s: %s", a1, a2, a3 ?: "", r.err);
	EXPECT_NE(NULL, strstr(r.err, msg)) TH_LOG("%s %s: wanted \"%s\" in: %s",
						    a1, a2, msg, r.err);
	EXPECT_EQ(0, (int)strlen(r.out)) TH_LOG("stdout: %s", r.out);
	run_free(&r);
}

TEST_F(snap, bad_input)
{
	struct pts_snap_hdr h;
	struct pml_child c;
	struct stat st;
	char *buf, pidstr[16];
	size_t n;
	struct run r;

	ASSERT_EQ(0, pml_spawn_sleeper(&c));
	snprintf(pidstr, sizeof(pidstr), "%d", c.pid);
	snap(_metadata, c.pid, path("good.pts"));

	write_file(path("text"), "hello\n", 6);
	expect_fail(_metadata, 2, "not a ptscope snapshot", "diff", path("text"),
		    path("good.pts"));
	expect_fail(_metadata, 2, "No such file", "diff", path("good.pts"),
		    path("missing"));
	/* cut short: half the file */
	ASSERT_EQ(0, stat(path("good.pts"), &st));
	{
		int fd = open(path("good.pts"), O_RDONLY);
		char *all = malloc(st.st_size);

		ASSERT_EQ(st.st_size, read(fd, all, st.st_size));
		close(fd);
		write_file(path("half.pts"), all, st.st_size / 2);
		/* a newer version than this ptscope's */
		memcpy(&h, all, sizeof(h));
		h.version = PTS_SNAP_VERSION + 1;
		memcpy(all, &h, sizeof(h));
		write_file(path("newer.pts"), all, st.st_size);
		free(all);
	}
	expect_fail(_metadata, 2, "cut short", "diff", path("half.pts"), path("good.pts"));
	expect_fail(_metadata, 2, "newer", "diff", path("newer.pts"), path("good.pts"));
	expect_fail(_metadata, 2, "PID", "diff", "pid:abc", path("good.pts"));
	expect_fail(_metadata, 2, "-o FILE", "snapshot", pidstr, NULL);
	run_cli(&r, "snapshot", pidstr, "-o", "-", "--json");
	EXPECT_EQ(2, r.status);
	EXPECT_NE(NULL, strstr(r.err, "standard output")) TH_LOG("%s", r.err);
	run_free(&r);

	/* no such process: status 5, and the existing file is kept */
	write_file(path("keep"), "keep", 4);
	pml_child_stop(&c);
	run_cli(&r, "snapshot", pidstr, "-o", path("keep"));
	EXPECT_EQ(5, r.status) TH_LOG("%s", r.err);
	EXPECT_NE(NULL, strstr(r.err, "no such process"));
	run_free(&r);
	buf = read_file(path("keep"), &n);
	EXPECT_STREQ("keep", buf ?: "");
	free(buf);
	ASSERT_EQ(0, pml_sh("test $(ls %s | wc -l) -eq 5", dir)) TH_LOG("a file was left");
	/* a directory that does not exist */
	run_cli(&r, "snapshot", "1", "-o", path("no/such/dir"));
	EXPECT_EQ(1, r.status);
	EXPECT_NE(NULL, strstr(r.err, "No such file"));
	run_free(&r);
}

TEST_HARNESS_MAIN
