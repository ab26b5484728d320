// SPDX-License-Identifier: GPL-2.0
/*
 * bpfwalk_test: the walk without the module (tools/ptscope/bpfwalk.c,
 * tools/bpf/ptwalk.bpf.c) against the kernel's own answers and against
 * the module's walk of the same quiet target.
 *
 *  - a forked child maps the kinds of memory walk_test looks at (anon,
 *    private file, shared anon, zero page, THP, huge zero page,
 *    PROT_NONE, swap, hugetlb 2M and 1G where there is a pool) and then
 *    sleeps in read();
 *  - the BPF walk of each region equals /proc/PID/pagemap page for page
 *    (ptw_compare_pagemap(): present, frame, swap type and offset) and
 *    equals the module's walk leaf for leaf (va, level, raw entry, frame,
 *    flags, swap fields, map count); the whole address space too, but
 *    for map counts of pages the child still shares with this process;
 *  - translate and ptcost through BPF equal the module's;
 *  - fidelity_test's churn test runs with PTSCOPE_VIA=bpf;
 *  - with the module unloaded, the CLI's walk, translate, maps, ptcost
 *    and trace work and say "via bpf".
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest_harness.h"
#include "libptscope.h"
#include "pagemap_lib.h"

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT	21
#endif
#ifndef MAP_HUGE_SHIFT
#define MAP_HUGE_SHIFT	26
#endif

#define PAGE		PML_PAGE
#define CLI		"tools/ptscope/ptscope"
#define HUGE2M		"/sys/kernel/mm/hugepages/hugepages-2048kB"
#define MAXREG		16

int cli_bpfwalk_open(struct pts_session *s, int pid, const char *req);

struct region {
	char name[24];
	unsigned long start, end;
};

/* Set up by the child, read by the test (MAP_SHARED before the fork). */
struct layout {
	int nreg;
	struct region reg[MAXREG];
	char skipped[512];
};

static struct layout *lay;
static bool swap_on;

static void add(const char *name, void *p, size_t len)
{
	struct region *r = &lay->reg[lay->nreg++];

	snprintf(r->name, sizeof(r->name), "%s", name);
	r->start = (unsigned long)p;
	r->end = r->start + len;
}

static void skipped(const char *what)
{
	size_t n = strlen(lay->skipped);

	snprintf(lay->skipped + n, sizeof(lay->skipped) - n, "%s%s", n ? ", " : "", what);
}

static void *map_anon(size_t len, int flags)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* A 2M-aligned MADV_HUGEPAGE block: written (a THP) or only read (the huge zero page). */
static char *thp_block(bool write)
{
	char *p = map_anon(2 * PML_PMD_SIZE, MAP_PRIVATE);
	size_t i;

	if (!p)
		return NULL;
	p = (char *)(((unsigned long)p + PML_PMD_SIZE - 1) & ~(PML_PMD_SIZE - 1));
	madvise(p, PML_PMD_SIZE, MADV_HUGEPAGE);
	for (i = 0; i < PML_PMD_SIZE; i += PAGE) {
		if (write)
			p[i] = 1;
		else
			(void)*(volatile char *)(p + i);
	}
	return p;
}

static int child_fn(void *arg, int cmd)
{
	char *p;
	size_t i;
	int fd;

	(void)arg;
	if (cmd)
		return 0;
	p = map_anon(64 * PAGE, MAP_PRIVATE);
	if (p) {
		for (i = 0; i < 64; i++)
			p[i * PAGE] = i;
		add("anon", p, 64 * PAGE);
	}
	p = map_anon(16 * PAGE, MAP_PRIVATE);
	if (p) {
		for (i = 0; i < 16; i++)
			(void)*(volatile char *)(p + i * PAGE);
		p[5 * PAGE] = 1;
		add("zero_page", p, 16 * PAGE);
	}
	p = map_anon(8 * PAGE, MAP_SHARED);
	if (p) {
		memset(p, 1, 8 * PAGE);
		add("shared_anon", p, 8 * PAGE);
	}
	fd = open("/proc/self/exe", O_RDONLY);
	if (fd >= 0) {
		p = mmap(NULL, 16 * PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
		close(fd);
		if (p != MAP_FAILED) {
			for (i = 0; i < 16; i += 2)
				(void)*(volatile char *)(p + i * PAGE);
			add("file_private", p, 16 * PAGE);
		}
	}
	p = map_anon(8 * PAGE, MAP_PRIVATE);
	if (p) {
		memset(p, 1, 8 * PAGE);
		if (!mprotect(p, 8 * PAGE, PROT_NONE))
			add("protnone", p, 8 * PAGE);
	}
	p = thp_block(true);
	if (p)
		add("thp", p, PML_PMD_SIZE);
	p = thp_block(false);
	if (p)
		add("huge_zero_page", p, PML_PMD_SIZE);
	if (swap_on) {
		p = map_anon(16 * PAGE, MAP_PRIVATE);
		if (p) {
			for (i = 0; i < 16 * PAGE; i += 64)
				p[i] = (char)(i * 7);
			if (!madvise(p, 16 * PAGE, MADV_PAGEOUT))
				add("swap", p, 16 * PAGE);
		}
	} else {
		skipped("swap (no zram swap)");
	}
	p = mmap(NULL, PML_PMD_SIZE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | (21 << MAP_HUGE_SHIFT), -1, 0);
	if (p != MAP_FAILED) {
		p[0] = 1;
		add("hugetlb_2m", p, PML_PMD_SIZE);
	} else {
		skipped("hugetlb 2M (no pool)");
	}
	p = mmap(NULL, PML_PUD_SIZE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | (30 << MAP_HUGE_SHIFT), -1, 0);
	if (p != MAP_FAILED) {
		p[0] = 1;
		add("hugetlb_1g", p, PML_PUD_SIZE);
	} else {
		skipped("hugetlb 1G (no pool: boot with hugepagesz=1G hugepages=1)");
	}
	return 0;
}

static bool zram_swapon(void)
{
	if (!pml_sh("grep -q '^/dev/zram0 ' /proc/swaps"))
		return false;	/* someone else's: leave it */
	if (access("/sys/block/zram0", F_OK) &&
	    pml_sh("modprobe zram num_devices=1 >/dev/null 2>&1"))
		return false;
	pml_write_str("/sys/block/zram0/reset", "1");
	if (pml_write_str("/sys/block/zram0/disksize", "16M") ||
	    pml_sh("mkswap /dev/zram0 >/dev/null 2>&1 && swapon /dev/zram0 >/dev/null 2>&1")) {
		pml_write_str("/sys/block/zram0/reset", "1");
		return false;
	}
	return true;
}

static void zram_swapoff(void)
{
	pml_sh("swapoff /dev/zram0 >/dev/null 2>&1");
	pml_write_str("/sys/block/zram0/reset", "1");
}

/* Leaf flags the BPF walk reports as the module does (all of them). */
static int leaves_differ(const struct ptscope_leaf *a, const struct ptscope_leaf *b,
			 bool mapcount, char *why, size_t len)
{
	/* The BPF walker does not read folios (PTSCOPE_HDR_NO_FOLIO). */
	uint64_t mask = ~(uint64_t)PTSCOPE_F_FOLIO;

	if (!mapcount)
		mask &= ~(uint64_t)PTSCOPE_F_EXCLUSIVE;

	if (a->va != b->va || a->level != b->level || a->entry != b->entry ||
	    ((a->flags ^ b->flags) & mask) || a->count != b->count ||
	    (a->flags & PTSCOPE_F_PFN_VALID && a->pfn != b->pfn) ||
	    a->swap_type != b->swap_type || a->swap_offset != b->swap_offset ||
	    a->pkey != b->pkey || (mapcount && a->mapcount != b->mapcount)) {
		snprintf(why, len, "va 0x%llx: module %s 0x%llx pfn 0x%llx flags 0x%llx mc %u; "
			 "bpf %s 0x%llx pfn 0x%llx flags 0x%llx mc %u",
			 (unsigned long long)a->va, pts_level_name(a->level),
			 (unsigned long long)a->entry, (unsigned long long)a->pfn,
			 (unsigned long long)a->flags, a->mapcount, pts_level_name(b->level),
			 (unsigned long long)b->entry, (unsigned long long)b->pfn,
			 (unsigned long long)b->flags, b->mapcount);
		return 1;
	}
	return 0;
}

static int vmas_differ(const struct ptscope_vma *a, const struct ptscope_vma *b,
		       char *why, size_t len)
{
	if (a->start != b->start || a->end != b->end || a->pgoff != b->pgoff ||
	    a->ino != b->ino || a->flags != b->flags || a->backing != b->backing ||
	    a->pagesize != b->pagesize || strcmp(a->name, b->name)) {
		snprintf(why, len, "vma 0x%llx-0x%llx: module %s %.200s flags 0x%x ps %u ino %llu; "
			 "bpf 0x%llx-0x%llx %s %.200s flags 0x%x ps %u ino %llu",
			 (unsigned long long)a->start, (unsigned long long)a->end,
			 pts_backing_name(a->backing), a->name, a->flags, a->pagesize,
			 (unsigned long long)a->ino, (unsigned long long)b->start,
			 (unsigned long long)b->end, pts_backing_name(b->backing), b->name,
			 b->flags, b->pagesize, (unsigned long long)b->ino);
		return 1;
	}
	return 0;
}

/* The end of user space, as the walker's header gives it. */
static unsigned long user_end(void)
{
	return ptw_probe_paging_levels() == 5 ? (1UL << 56) - PAGE : (1UL << 47) - PAGE;
}

static int walk_via(bool bpf, pid_t pid, unsigned long s, unsigned long e,
		    unsigned int flags, struct ptw_walk *w)
{
	int ret;

	ptw_open_hook = bpf ? cli_bpfwalk_open : NULL;
	ret = ptw_walk(pid, s, e, flags, w);
	ptw_open_hook = NULL;
	return ret;
}

/* Module and BPF walks of [S, E): 0, or the number of differences. */
static long compare_walks(struct __test_metadata *_metadata, pid_t pid,
			  unsigned long s, unsigned long e, unsigned int flags,
			  bool mapcount)
{
	struct ptw_walk m, b;
	char why[1024];
	long bad = 0;
	size_t i;

	ASSERT_EQ(0, walk_via(false, pid, s, e, flags, &m));
	ASSERT_EQ(0, walk_via(true, pid, s, e, flags, &b));
	EXPECT_TRUE(b.hdr.flags & PTSCOPE_HDR_BPF);
	EXPECT_EQ(0, ptw_check(&b, pid, why, sizeof(why))) TH_LOG("bpf stream: %s", why);
	EXPECT_EQ(m.hdr.paging_levels, b.hdr.paging_levels);
	EXPECT_EQ(m.hdr.pgd_pa, b.hdr.pgd_pa);
	EXPECT_EQ(m.hdr.user_pgd_pa, b.hdr.user_pgd_pa);
	EXPECT_EQ(m.hdr.task_size, b.hdr.task_size);
	EXPECT_EQ(m.nvmas, b.nvmas);
	EXPECT_EQ(m.nleaves, b.nleaves);
	for (i = 0; i < m.nvmas && i < b.nvmas; i++) {
		if (vmas_differ(&m.vmas[i], &b.vmas[i], why, sizeof(why)) && bad++ < 5)
			TH_LOG("%s", why);
	}
	for (i = 0; i < m.nleaves && i < b.nleaves; i++) {
		if (leaves_differ(&m.leaves[i], &b.leaves[i],
				  mapcount && !(b.hdr.flags & PTSCOPE_HDR_NO_MAPCOUNT),
				  why, sizeof(why)) && bad++ < 5)
			TH_LOG("%s", why);
	}
	ptw_free(&m);
	ptw_free(&b);
	return bad;
}

FIXTURE(target) {
	struct pml_child child;
	long saved_2m;
	bool zram;
};

FIXTURE_SETUP(target)
{
	struct pts_version v;

	if (access("/sys/kernel/btf/vmlinux", R_OK))
		SKIP(return, "no kernel BTF: the BPF walker cannot run");
	if (pts_read_version(&v))
		SKIP(return, "the module is not loaded: nothing to compare with");
	lay = mmap(NULL, sizeof(*lay), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, lay);
	memset(lay, 0, sizeof(*lay));
	self->saved_2m = pml_read_long(HUGE2M "/nr_hugepages");
	if (self->saved_2m >= 0) {
		char v[32];

		snprintf(v, sizeof(v), "%ld", self->saved_2m + 1);
		pml_write_str(HUGE2M "/nr_hugepages", v);
	}
	self->zram = swap_on = zram_swapon();
	ASSERT_LE(0, pml_child_start(&self->child, child_fn, NULL));
	if (lay->skipped[0])
		TH_LOG("not set up: %s", lay->skipped);
}

FIXTURE_TEARDOWN(target)
{
	char v[32];

	pml_child_stop(&self->child);
	if (self->zram)
		zram_swapoff();
	if (self->saved_2m >= 0) {
		snprintf(v, sizeof(v), "%ld", self->saved_2m);
		pml_write_str(HUGE2M "/nr_hugepages", v);
	}
	if (lay)
		munmap(lay, sizeof(*lay));
}

/* Each region: BPF walk == pagemap, and == the module's walk. */
TEST_F_TIMEOUT(target, walk_equals_pagemap_and_module, 300)
{
	pid_t pid = self->child.pid;
	int i;

	for (i = 0; i < lay->nreg; i++) {
		const struct region *r = &lay->reg[i];
		struct ptw_walk b;
		long bad;

		ASSERT_EQ(0, walk_via(true, pid, r->start, r->end, 0, &b));
		EXPECT_LT(0, (long)b.nleaves) TH_LOG("%s: no leaf", r->name);
		bad = ptw_compare_pagemap(&b, pid, r->start, (r->end - r->start) / PAGE);
		EXPECT_EQ(0, bad) TH_LOG("%s: %ld pages differ from pagemap", r->name, bad);
		ptw_free(&b);
		bad = compare_walks(_metadata, pid, r->start, r->end, 0, true);
		EXPECT_EQ(0, bad) TH_LOG("%s: %ld differences from the module", r->name, bad);
		bad = compare_walks(_metadata, pid, r->start, r->end, PTW_COALESCE, true);
		EXPECT_EQ(0, bad) TH_LOG("%s (coalesced): %ld differences", r->name, bad);
		TH_LOG("%s: compared", r->name);
	}
	/* The whole space; map counts of pages shared with us may change. */
	EXPECT_EQ(0, compare_walks(_metadata, pid, 0, user_end(), 0, false));
}

/* translate and ptcost through BPF == the module's. */
TEST_F_TIMEOUT(target, translate_and_ptcost_equal_module, 300)
{
	pid_t pid = self->child.pid;
	struct ptscope_cost cm, cb;
	struct ptscope_end em, eb;
	char why[256];
	int i, k, l;

	for (i = 0; i < lay->nreg; i++) {
		const struct region *r = &lay->reg[i];
		unsigned long va[3] = { r->start, r->start + (r->end - r->start) / 2 + 123,
					r->end - 1 };

		for (k = 0; k < 3; k++) {
			struct ptw_xlate m, b;

			ASSERT_EQ(0, ptw_translate(pid, va[k], &m));
			ptw_open_hook = cli_bpfwalk_open;
			ASSERT_EQ(0, ptw_translate(pid, va[k], &b));
			ptw_open_hook = NULL;
			EXPECT_EQ(0, ptw_check_xlate(&b, pid, va[k], why, sizeof(why)))
				TH_LOG("%s 0x%lx: %s", r->name, va[k], why);
			EXPECT_EQ(m.nlv, b.nlv) TH_LOG("%s 0x%lx", r->name, va[k]);
			for (l = 0; l < m.nlv && l < b.nlv; l++) {
				const struct ptscope_xlate_level *x = &m.lv[l], *y = &b.lv[l];

				EXPECT_TRUE(x->level == y->level && x->index == y->index &&
					    x->table_pa == y->table_pa && x->entry_pa == y->entry_pa &&
					    x->entry == y->entry && x->flags == y->flags &&
					    x->folded == y->folded && x->xflags == y->xflags &&
					    x->kernel_entry == y->kernel_entry)
					TH_LOG("%s 0x%lx level %d: module %s 0x%llx, bpf %s 0x%llx",
					       r->name, va[k], l, pts_level_name(x->level),
					       (unsigned long long)x->entry,
					       pts_level_name(y->level), (unsigned long long)y->entry);
			}
			EXPECT_EQ(m.x.stop, b.x.stop) TH_LOG("%s 0x%lx", r->name, va[k]);
			EXPECT_EQ(m.x.stop_level, b.x.stop_level);
			EXPECT_EQ(m.x.pa, b.x.pa);
			EXPECT_EQ(m.x.vma_start, b.x.vma_start);
			EXPECT_EQ(m.x.vma_end, b.x.vma_end);
			EXPECT_EQ(0, leaves_differ(&m.x.leaf, &b.x.leaf, true, why, sizeof(why)))
				TH_LOG("%s 0x%lx: %s", r->name, va[k], why);
		}
	}
	/* outside every VMA */
	{
		struct ptw_xlate m, b;

		ASSERT_EQ(0, ptw_translate(pid, 0x1000, &m));
		ptw_open_hook = cli_bpfwalk_open;
		ASSERT_EQ(0, ptw_translate(pid, 0x1000, &b));
		ptw_open_hook = NULL;
		EXPECT_EQ(PTSCOPE_STOP_NO_VMA, b.x.stop);
		EXPECT_EQ(m.x.stop, b.x.stop);
		EXPECT_EQ(0, b.nlv);
	}

	ASSERT_EQ(0, ptw_ptcost(pid, &cm, &em));
	ptw_open_hook = cli_bpfwalk_open;
	ASSERT_EQ(0, ptw_ptcost(pid, &cb, &eb));
	ptw_open_hook = NULL;
	for (l = 0; l < PTSCOPE_NR_LEVELS; l++) {
		EXPECT_EQ(cm.tables[l], cb.tables[l]) TH_LOG("tables[%s]", pts_level_name(l));
		EXPECT_EQ(cm.entries[l], cb.entries[l]) TH_LOG("entries[%s]", pts_level_name(l));
		EXPECT_EQ(cm.leaves[l], cb.leaves[l]) TH_LOG("leaves[%s]", pts_level_name(l));
	}
	EXPECT_EQ(cm.pgtables_bytes, cb.pgtables_bytes);
	EXPECT_EQ(cm.vm_bytes, cb.vm_bytes);
	EXPECT_EQ(cm.pgd_pages, cb.pgd_pages);
	EXPECT_EQ(cm.deposited, cb.deposited);
}

/* fidelity_test's churn test, on walks and translations through BPF. */
TEST(churn_through_bpf_has_no_impossible_leaf)
{
	int st;

	if (access("/sys/kernel/btf/vmlinux", R_OK))
		SKIP(return, "no kernel BTF");
	if (access("build/tests/fidelity_test", X_OK))
		SKIP(return, "build/tests/fidelity_test not found (run from the source tree)");
	fflush(stdout);
	fflush(stderr);
	st = system("PTSCOPE_VIA=bpf PTSCOPE_FIDELITY_SECONDS=${PTSCOPE_FIDELITY_SECONDS:-5} "
		    "build/tests/fidelity_test -t leaves_of_a_churning_thp_target_are_possible "
		    ">/tmp/bpfwalk_churn.log 2>&1");
	pml_sh("sed 's/^/#   /' /tmp/bpfwalk_churn.log >&2");
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st));
}

/* Run CMD (a shell command line); its exit status, its output in OUT. */
static int run_cli(const char *cmd, char *out, size_t len)
{
	FILE *f = popen(cmd, "r");
	size_t n = 0;
	int st;

	out[0] = '\0';
	if (!f)
		return -1;
	while (n + 1 < len && fgets(out + n, len - n, f))
		n += strlen(out + n);
	while (fgetc(f) != EOF)
		;
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char ko_path[512];

static int module_load(void)
{
	int fd = open(ko_path, O_RDONLY | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, "", 0) ? -errno : 0;
	close(fd);
	return ret;
}

static bool module_loaded(void)
{
	struct pts_version v;

	return pts_read_version(&v) == 0;
}

FIXTURE(unloaded) {
	struct pml_child sleeper;
};

FIXTURE_SETUP(unloaded)
{
	struct utsname u;

	uname(&u);
	snprintf(ko_path, sizeof(ko_path), "build/%s/ptscope.ko", u.release);
	if (access("/sys/kernel/btf/vmlinux", R_OK))
		SKIP(return, "no kernel BTF");
	if (access(ko_path, R_OK) || access(CLI, X_OK))
		SKIP(return, "%s or %s not found (run from the source tree)", ko_path, CLI);
	if (!module_loaded())
		SKIP(return, "the module is not loaded");
	ASSERT_EQ(0, pml_spawn_sleeper(&self->sleeper));
	ASSERT_EQ(0, syscall(SYS_delete_module, "ptscope", O_NONBLOCK))
		TH_LOG("rmmod ptscope: %s", strerror(errno));
}

FIXTURE_TEARDOWN(unloaded)
{
	pml_child_stop(&self->sleeper);
	if (!module_loaded() && module_load())
		TH_LOG("could not load %s again", ko_path);
}

/* Without the module, walk, translate, maps and ptcost go through BPF and say so. */
TEST_F_TIMEOUT(unloaded, cli_works_without_the_module, 300)
{
	static const char *const cmds[] = { "walk %d", "walk --coalesce -j %d",
		"translate %d 0x%lx", "maps %d", "ptcost %d", "map --svg /dev/null %d" };
	char cmd[256], out[8192];
	unsigned long va = 0;
	struct pml_map *maps;
	int i, n, rc;

	ASSERT_FALSE(module_loaded());
	n = pml_maps(self->sleeper.pid, &maps);
	ASSERT_LT(0, n);
	va = maps[0].start;
	free(maps);
	for (i = 0; i < (int)(sizeof(cmds) / sizeof(cmds[0])); i++) {
		n = snprintf(cmd, sizeof(cmd), CLI " ");
		snprintf(cmd + n, sizeof(cmd) - n, cmds[i], self->sleeper.pid, va);
		strcat(cmd, " 2>&1");
		rc = run_cli(cmd, out, sizeof(out));
		EXPECT_EQ(0, rc) TH_LOG("%s: exit %d: %.300s", cmd, rc, out);
		if (!strstr(cmd, " -j") && !strstr(cmd, "--svg"))
			EXPECT_NE(NULL, strstr(out, "via bpf")) TH_LOG("%s: no 'via bpf' in %.300s",
								  cmd, out);
	}
	/* asking for the module says why not */
	snprintf(cmd, sizeof(cmd), CLI " walk --via module %d 2>&1", self->sleeper.pid);
	EXPECT_NE(0, run_cli(cmd, out, sizeof(out)));
	/* the tracer never needed the module */
	rc = run_cli(CLI " trace -- /bin/true 2>&1", out, sizeof(out));
	EXPECT_EQ(0, rc) TH_LOG("trace: exit %d: %.300s", rc, out);
}

TEST_HARNESS_MAIN
