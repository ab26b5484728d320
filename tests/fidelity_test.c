// SPDX-License-Identifier: GPL-2.0
/*
 * Fidelity under churn: every leaf ptscope reports for a target whose
 * THPs are aged, freed, split, collapsed and migrated must be one the
 * kernel can have made.
 *
 * Two targets (forked children) own NREG 4 MiB regions of THP-backed
 * anonymous memory each.  The first ages its THPs: a write to each, then
 * MADV_COLD or MADV_FREE of the whole THP (pmdp_invalidate() under the
 * mmap read lock), in a loop, while a thread of its own spins on the other
 * CPU.  The second churns its own: whole and partial MADV_COLD/MADV_FREE
 * and mprotect (THP and PMD splits), writes (faults, NUMA-hinting faults),
 * MADV_PAGEOUT (to zram swap, set up here when no swap is active),
 * MADV_DONTNEED and refault, MADV_COLLAPSE (both Debian kernels have it,
 * 6.1 included; where it is missing, khugepaged scanning without sleeping
 * instead).  Two processes, so that the churn's mmap write locks do not
 * hold the ager up.
 * Beside it: move_pages(2) of whole regions between nodes 0 and 1 (when
 * the guest has two NUMA nodes: tools/vm/run --numa 2), compaction
 * (/proc/sys/vm/compact_memory) and NUMA balancing
 * (/proc/sys/kernel/numa_balancing, scanning every 100 ms).
 *
 * Against it, binary walks (plain and coalesced) of all regions and
 * translations of random addresses in them.  Impossible leaves:
 *
 *  - a swap entry (or a PTE marker) at PMD or PUD level: the kernel has
 *    PMD migration entries but no huge swap entries;
 *  - a frame at or beyond the end of the guest's RAM (/proc/iomem);
 *  - a swap entry while no swap is active;
 *  - a present leaf whose frame differs from pagemap's, when pagemap read
 *    just before and just after the walk agree on a present frame and no
 *    operation of the test that can change a frame (a write, pageout,
 *    DONTNEED, collapse, move_pages, compaction) ran on the region in
 *    between: otherwise the frame may have gone A -> B -> A (a freed
 *    frame is often the next one allocated) and the walk seen B.
 *
 * PTSCOPE_FIDELITY_SECONDS sets the duration (default 10).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guest_harness.h"
#include "libptscope.h"
#include "pagemap_lib.h"

#ifndef MADV_COLD
#define MADV_COLD	20
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT	21
#endif
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE	25
#endif
#define MPOL_MF_MOVE	(1 << 1)

#define MB		(1UL << 20)
#define NAREA		2		/* targets */
#define NREG		8		/* regions per target */
#define NREGS		(NAREA * NREG)
#define REG_SIZE	(4 * MB)
#define REG_PAGES	(REG_SIZE / PML_PAGE)
#define AREA_SIZE	(NREG * REG_SIZE)
#define AREA_PAGES	(AREA_SIZE / PML_PAGE)
#define MAX_REPORTS	10

/* Target operations, counted in the shared page. */
enum op {
	OP_COLD, OP_FREE, OP_COLD_PART, OP_FREE_PART, OP_MPROTECT,	/* keep frames */
	OP_WRITE, OP_PAGEOUT, OP_DONTNEED, OP_COLLAPSE,			/* change frames */
	NR_OPS,
};

static const char *const op_names[NR_OPS] = {
	"MADV_COLD", "MADV_FREE", "partial MADV_COLD", "partial MADV_FREE",
	"mprotect splits", "writes", "MADV_PAGEOUT", "MADV_DONTNEED+refault",
	"MADV_COLLAPSE",
};

/*
 * Shared between the test and the target.  A frame-changing operation on
 * region R increments start[R] before and done[R] after it; a global one
 * (compaction) gstart/gdone.  A region was quiet over a window when
 * nothing was in flight at its start and nothing started until its end.
 */
struct shared {
	unsigned long start[NREGS], done[NREGS];
	unsigned long gstart, gdone;
	unsigned long ops[NR_OPS], op_errors[NR_OPS];
	unsigned long base[NAREA];	/* each target's area */
	int collapse;			/* MADV_COLLAPSE works */
};

static struct shared *sh;
static volatile int stop;
static pid_t target[NAREA];
static uint64_t max_pfn;
static int swap_active;
static unsigned long oracle_walks;	/* completed walks with the oracle */

static unsigned long ld(unsigned long *p)
{
	return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

static void inc(unsigned long *p)
{
	__atomic_fetch_add(p, 1, __ATOMIC_SEQ_CST);
}

/*
 * Pin the calling thread to CPU (when there are two or more).  The target
 * changes its THPs on CPU 0 while a thread of its own keeps its mm loaded
 * on CPU 1, where the walkers run: each change of a huge PMD then waits
 * for a TLB-flush IPI to CPU 1, and the walkers there see the entry in the
 * middle of the change far more often (under TCG, whose single host
 * thread runs one vCPU at a time, the change waits for CPU 1's slice).
 */
static void pin(int cpu)
{
	cpu_set_t set;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* ---- the target ------------------------------------------------------- */

/* In the target: a write and an mprotect of the same region exclude each other. */
static pthread_mutex_t wlock[NREGS];

/* Region R (0..NREGS - 1): NREG regions of each target in turn. */
static char *reg_addr(int r)
{
	return (char *)sh->base[r / NREG] + (r % NREG) * REG_SIZE;
}

/* One write every STEP bytes. */
static void write_pages_step(char *p, size_t len, size_t step)
{
	size_t i;

	/* Never an all-zero page: a split may map those to the zero page. */
	for (i = 0; i < len; i += step)
		((volatile char *)p)[i] = 0x5a;
}

static void write_pages(char *p, size_t len)
{
	write_pages_step(p, len, PML_PAGE);
}

/*
 * One operation on region R.  Accesses are frame-changing operations too:
 * a NUMA-hinting fault may migrate the page.
 */
static void target_op(int r, int op, unsigned int *seed)
{
	char *p = reg_addr(r);
	size_t part = (1 + rand_r(seed) % 255) * PML_PAGE;
	char *q = p + (rand_r(seed) % (REG_PAGES - 256)) * PML_PAGE;
	int ret = 0;

	if (op >= OP_WRITE)
		inc(&sh->start[r]);
	switch (op) {
	case OP_COLD:
		ret = madvise(p, REG_SIZE, MADV_COLD);
		break;
	case OP_FREE:
		ret = madvise(p, REG_SIZE, MADV_FREE);
		break;
	case OP_COLD_PART:
		ret = madvise(q, part, MADV_COLD);
		break;
	case OP_FREE_PART:
		ret = madvise(q, part, MADV_FREE);
		break;
	case OP_MPROTECT:
		/* not while the ager writes to the region */
		pthread_mutex_lock(&wlock[r]);
		ret = mprotect(q, part, PROT_READ);
		if (!ret)
			ret = mprotect(q, part, PROT_READ | PROT_WRITE);
		pthread_mutex_unlock(&wlock[r]);
		break;
	case OP_WRITE:
		write_pages(p, REG_SIZE);
		break;
	case OP_PAGEOUT:
		ret = madvise(p, REG_SIZE, MADV_PAGEOUT);
		break;
	case OP_DONTNEED:
		ret = madvise(q, part, MADV_DONTNEED);
		write_pages(q, part);
		break;
	case OP_COLLAPSE:
		if (sh->collapse)
			ret = madvise(p, REG_SIZE, MADV_COLLAPSE);
		break;
	}
	if (op >= OP_WRITE)
		inc(&sh->done[r]);
	inc(&sh->ops[op]);
	/* EAGAIN/EINVAL from MADV_COLLAPSE when a THP cannot be made: fine */
	if (ret && op != OP_COLLAPSE)
		inc(&sh->op_errors[op]);
}

/*
 * Ager: make each THP young and dirty (one write per 2 MiB), then
 * MADV_COLD or MADV_FREE it whole, which invalidates the huge PMD and
 * sets it again, old and clean, under the mmap read lock.
 */
static void *ager(void *arg)
{
	unsigned int seed = getpid() * 31 + (unsigned long)arg;
	int r, n;

	pin(0);
	for (n = 0;; n++) {
		r = n % NREG;
		pthread_mutex_lock(&wlock[r]);
		inc(&sh->start[r]);
		write_pages_step(reg_addr(r), REG_SIZE, PML_PMD_SIZE);
		inc(&sh->done[r]);
		pthread_mutex_unlock(&wlock[r]);
		target_op(r, n / NREG % 2 ? OP_FREE : OP_COLD, &seed);
	}
	return NULL;
}

/*
 * Spinner: keeps the target's mm loaded on another CPU, as a busy thread
 * of a real program does, so that changing a huge PMD needs a TLB-flush
 * IPI there (the time between pmdp_invalidate() and the new entry then
 * includes an IPI round trip).  It touches none of the regions.
 */
static void *spinner(void *arg)
{
	volatile unsigned long n = 0;

	(void)arg;
	pin(1);
	for (;;)
		n++;
	return NULL;
}

/* Churner: splits, writes, pageouts, refaults and collapses. */
static void *churner(void *arg)
{
	/* Weights: collapse often enough that most of the area stays huge. */
	static const int pick[] = {
		OP_COLD, OP_FREE, OP_COLD_PART, OP_FREE_PART, OP_MPROTECT, OP_WRITE, OP_WRITE,
		OP_PAGEOUT, OP_DONTNEED, OP_COLLAPSE, OP_COLLAPSE, OP_COLLAPSE,
		OP_COLLAPSE, OP_COLLAPSE,
	};
	unsigned int seed = getpid() * 37 + (unsigned long)arg;

	pin(0);
	for (;;)
		target_op(NREG + rand_r(&seed) % NREG,
			  pick[rand_r(&seed) % (sizeof(pick) / sizeof(pick[0]))], &seed);
	return NULL;
}

/*
 * Target AREA: 0 ages its THPs (ager, and a spinner on the other CPU),
 * as a program that only reads and writes its memory; 1 churns its own
 * (splits, pageouts, collapses...).  Two processes, so that the churn's
 * mmap write locks do not hold the ager up.
 */
static void __attribute__((noreturn)) run_target(int area)
{
	char *p = mmap(NULL, AREA_SIZE + 2 * MB, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), *a;
	pthread_t th;
	int i;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (i = 0; i < NREGS; i++)
		pthread_mutex_init(&wlock[i], NULL);
	if (p == MAP_FAILED)
		_exit(1);
	a = (char *)(((unsigned long)p + 2 * MB - 1) & ~(2 * MB - 1));
	madvise(a, AREA_SIZE, MADV_HUGEPAGE);
	write_pages(a, AREA_SIZE);
	if (area) {
		sh->collapse = !madvise(a, 2 * MB, MADV_COLLAPSE) || errno != EINVAL;
		__atomic_store_n(&sh->base[area], (unsigned long)a, __ATOMIC_SEQ_CST);
		churner(NULL);
	}
	__atomic_store_n(&sh->base[area], (unsigned long)a, __ATOMIC_SEQ_CST);
	pthread_create(&th, NULL, spinner, NULL);
	ager(NULL);
	_exit(0);
}

/* ---- zram swap, so that MADV_PAGEOUT makes swap entries ---------------- */

static int swap_was_set_up, zram_was_loaded;

static long swap_total_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "SwapTotal: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* A version-1 swap header, as mkswap writes it (4K pages). */
static int write_swap_header(const char *dev, unsigned long bytes)
{
	unsigned char page[4096] = { 0 };
	uint32_t info[3] = { 1, bytes / 4096 - 1, 0 };	/* version, last_page, bad */
	int fd = open(dev, O_WRONLY | O_CLOEXEC);
	int ret = 0;

	if (fd < 0)
		return -errno;
	memcpy(page + 1024, info, sizeof(info));
	memcpy(page + sizeof(page) - 10, "SWAPSPACE2", 10);
	if (pwrite(fd, page, sizeof(page), 0) != sizeof(page) || fsync(fd))
		ret = -EIO;
	close(fd);
	return ret;
}

/* Swap on a 256 MiB zram device, if there is no swap yet; 1 if set up. */
static int zram_swap_on(void)
{
	if (swap_total_kb() != 0)
		return 0;
	if (access("/sys/block/zram0", F_OK)) {
		if (pml_sh("modprobe zram num_devices=1 >/dev/null 2>&1") != 0)
			return 0;
		zram_was_loaded = 1;
	}
	if (pml_read_long("/sys/block/zram0/disksize") != 0)
		return 0;
	if (pml_write_str("/sys/block/zram0/disksize", "256M"))
		goto reset;
	if (write_swap_header("/dev/zram0", 256 * MB) || swapon("/dev/zram0", 0))
		goto reset;
	return 1;
reset:
	pml_write_str("/sys/block/zram0/reset", "1");
	return 0;
}

static void zram_swap_off(void)
{
	if (swap_was_set_up) {
		swapoff("/dev/zram0");
		pml_write_str("/sys/block/zram0/reset", "1");
	}
	if (zram_was_loaded)
		pml_sh("rmmod zram >/dev/null 2>&1");
	swap_was_set_up = zram_was_loaded = 0;
}

/* ---- knobs, saved and restored ------------------------------------------ */

struct knob {
	const char *path;
	const char *val;
	char old[64];
	int set;
};

static struct knob knobs[] = {
	{ .path = "/proc/sys/kernel/numa_balancing", .val = "1" },
	{ .path = "/sys/kernel/debug/sched/numa_balancing/scan_delay_ms", .val = "100" },
	{ .path = "/sys/kernel/debug/sched/numa_balancing/scan_period_min_ms", .val = "100" },
	{ .path = "/sys/kernel/mm/transparent_hugepage/khugepaged/scan_sleep_millisecs", .val = "0" },
	{ .path = "/sys/kernel/mm/transparent_hugepage/khugepaged/alloc_sleep_millisecs", .val = "0" },
};
#define KNOB_NUMA	0
#define KNOB_KHUGEPAGED	3

static void knob_set(struct knob *k)
{
	if (pml_read_str(k->path, k->old, sizeof(k->old)))
		return;
	k->set = !pml_write_str(k->path, k->val);
}

static void knobs_restore(void)
{
	size_t i;

	for (i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++)
		if (knobs[i].set)
			pml_write_str(knobs[i].path, knobs[i].old);
}

/* ---- the test's own memory, and clean-up that survives a kill ---------- */

/*
 * The churn is for the targets.  The test's own buffers (walk records,
 * pagemap copies) are allocated and faulted during it: as THPs, each
 * fault zeroes 2 MiB, and NUMA balancing (turned on here) keeps moving
 * them between the nodes.  Under TCG with the host busy that made the
 * test's own threads spend tens of seconds in page allocation ("soft
 * lockup - CPU#1 stuck for 22s! [fidelity_test]" in clear_page_erms()
 * from vma_alloc_folio() and migrate_misplaced_page(), seen on 6.1 in
 * make check) and the test outlived its timeout.  So: no THP for the
 * test's own mm (the targets are forked before), and a task memory
 * policy without MPOL_F_MOF, which NUMA balancing skips (vma_policy_mof()).
 * Threads created afterwards inherit the policy.
 */
#define MPOL_PREFERRED_MODE	1	/* MPOL_PREFERRED, <linux/mempolicy.h> */

static void own_memory_quiet(void)
{
	unsigned long node0 = 1;

	prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
	syscall(SYS_set_mempolicy, MPOL_PREFERRED_MODE, &node0, 8 * sizeof(node0));
}

/*
 * A test stopped by the harness's timeout is killed (SIGKILL) and its own
 * clean-up never runs: the tests after it would find the knobs changed
 * and zram swap on (lab_test then failed its "nothing changed" check).
 * A guardian process, forked once everything is set up, waits for the
 * test to close a pipe (its death closes it too), then restores both.
 */
static int guard_fd = -1;
static pid_t guardian = -1;

static void guard(void)
{
	int p[2];
	char c;

	if (pipe2(p, O_CLOEXEC))
		return;
	guardian = fork();
	if (guardian == 0) {
		close(p[1]);
		while (read(p[0], &c, 1) > 0)
			;
		knobs_restore();
		zram_swap_off();
		_exit(0);
	}
	close(p[0]);
	if (guardian < 0) {
		close(p[1]);
		return;
	}
	guard_fd = p[1];
}

/* Undo the set-up: through the guardian if there is one. */
static void unguard(void)
{
	if (guardian > 0) {
		close(guard_fd);
		waitpid(guardian, NULL, 0);
		guardian = -1;
		swap_was_set_up = zram_was_loaded = 0;
		return;
	}
	knobs_restore();
	zram_swap_off();
}

/* ---- the checks --------------------------------------------------------- */

struct stats {
	long walks, translations, leaves, pages_compared, impossible;
	long huge, pmd_migration, numa_hint, swap, not_quiet, xlate_compared;
	long errors;
};

static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;
static char reports[MAX_REPORTS][320];
static int nreports;
static char last_error[256];

static void impossible(struct stats *st, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void impossible(struct stats *st, const char *fmt, ...)
{
	va_list ap;

	st->impossible++;
	pthread_mutex_lock(&report_lock);
	if (nreports < MAX_REPORTS) {
		va_start(ap, fmt);
		vsnprintf(reports[nreports++], sizeof(reports[0]), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&report_lock);
}

static void note_error(struct stats *st, const char *what, int err)
{
	st->errors++;
	pthread_mutex_lock(&report_lock);
	snprintf(last_error, sizeof(last_error), "%s: %s", what, strerror(-err));
	pthread_mutex_unlock(&report_lock);
}

/* The frame-change counters at the start of a window. */
struct window {
	unsigned long start[NREGS], done[NREGS], gstart, gdone;
};

static void window_open(struct window *w)
{
	int r;

	w->gstart = ld(&sh->gstart);
	w->gdone = ld(&sh->gdone);
	for (r = 0; r < NREGS; r++) {
		w->start[r] = ld(&sh->start[r]);
		w->done[r] = ld(&sh->done[r]);
	}
}

/* Quiet regions since window_open(): bit R set. */
static unsigned int window_close(const struct window *w)
{
	unsigned int quiet = 0;
	int r;

	if (w->gstart != w->gdone || ld(&sh->gstart) != w->gstart)
		return 0;
	for (r = 0; r < NREGS; r++)
		if (w->start[r] == w->done[r] && ld(&sh->start[r]) == w->start[r])
			quiet |= 1U << r;
	return quiet;
}

static void describe(const struct ptscope_leaf *l, char *buf, size_t len)
{
	char f[512];

	snprintf(buf, len, "%s leaf va=0x%llx entry=0x%llx pfn=0x%llx count=%llu flags=%s swap=%u:0x%llx",
		 pts_level_name(l->level), (unsigned long long)l->va,
		 (unsigned long long)l->entry, (unsigned long long)l->pfn,
		 (unsigned long long)l->count, pts_flags_str(l->flags, f, sizeof(f)),
		 l->swap_type, (unsigned long long)l->swap_offset);
}

/* Checks that need nothing but the leaf itself. */
static void check_leaf(struct stats *st, const struct ptscope_leaf *l, const char *how)
{
	uint64_t frames = l->count * (pts_level_size(l->level) / PML_PAGE);
	char d[700];

	st->leaves++;
	if (l->level > PTSCOPE_LVL_PTE && (l->flags & PTSCOPE_F_PFN_VALID) &&
	    !(l->flags & PTW_NONPRESENT))
		st->huge++;
	if (l->level > PTSCOPE_LVL_PTE && (l->flags & PTSCOPE_F_MIGRATION))
		st->pmd_migration++;
	if (l->flags & PTSCOPE_F_NUMA_HINT)
		st->numa_hint++;
	if (l->flags & PTSCOPE_F_SWAP)
		st->swap++;
	if (l->level > PTSCOPE_LVL_PTE &&
	    (l->flags & (PTSCOPE_F_SWAP | PTSCOPE_F_MARKER))) {
		describe(l, d, sizeof(d));
		impossible(st, "%s: swap entry or marker at %s level: %s", how,
			   pts_level_name(l->level), d);
	} else if ((l->flags & PTSCOPE_F_SWAP) && !swap_active) {
		describe(l, d, sizeof(d));
		impossible(st, "%s: swap entry with no swap active: %s", how, d);
	}
	if ((l->flags & PTSCOPE_F_PFN_VALID) && l->pfn + frames > max_pfn) {
		describe(l, d, sizeof(d));
		impossible(st, "%s: frames 0x%llx-0x%llx beyond the last RAM frame 0x%llx: %s",
			   how, (unsigned long long)l->pfn,
			   (unsigned long long)(l->pfn + frames - 1),
			   (unsigned long long)max_pfn - 1, d);
	}
}

/* Is P (pagemap before) = Q (after) a present frame? Its PFN, or -1. */
static int64_t stable_frame(uint64_t p, uint64_t q)
{
	if (p != q || !(p & PML_PRESENT))
		return -1;
	return pml_pfn(p);
}

/*
 * One walk of the whole area; with ORACLE, pagemap is read before and
 * after it and the frames compared.  Without, only the checks that need
 * nothing but the leaf, as often as possible.
 */
static void walk_once(struct stats *st, int area, int coalesce, int oracle,
		      uint64_t *before, uint64_t *after, struct ptw_page *pages)
{
	const char *how = coalesce ? "coalesced walk" : "walk";
	unsigned long base = sh->base[area];
	pid_t pid = target[area];
	struct ptw_walk w;
	struct window win;
	unsigned int quiet = 0;
	int ret;
	size_t i;

	window_open(&win);
	if (oracle) {
		ret = pml_pagemap(pid, base, AREA_PAGES, before);
		if (ret) {
			note_error(st, "pagemap", ret);
			return;
		}
	}
	ret = ptw_walk(pid, base, base + AREA_SIZE, coalesce ? PTW_COALESCE : 0, &w);
	if (ret || w.status) {
		note_error(st, "walk", ret ? ret : w.status);
		ptw_free(&w);
		return;
	}
	if (oracle) {
		ret = pml_pagemap(pid, base, AREA_PAGES, after);
		quiet = window_close(&win);
		if (ret) {
			note_error(st, "pagemap", ret);
			ptw_free(&w);
			return;
		}
	}
	st->walks++;
	for (i = 0; i < w.nleaves; i++)
		check_leaf(st, &w.leaves[i], how);
	if (!oracle) {
		ptw_free(&w);
		return;
	}
	inc(&oracle_walks);
	ptw_expand(&w, base, AREA_PAGES, pages);
	for (i = 0; i < AREA_PAGES; i++) {
		const struct ptw_page *p = &pages[i];
		int64_t pfn = stable_frame(before[i], after[i]);
		char d[700];

		if (pfn < 0 || p->leaf < 0 || !(p->flags & PTSCOPE_F_PFN_VALID) ||
		    (p->flags & PTW_NONPRESENT))
			continue;
		if (!(quiet & (1U << (area * NREG + i / REG_PAGES)))) {
			st->not_quiet++;
			continue;
		}
		st->pages_compared++;
		if (p->pfn == (uint64_t)pfn)
			continue;
		describe(&w.leaves[p->leaf], d, sizeof(d));
		impossible(st, "%s: page 0x%lx has frame 0x%llx, pagemap before and after 0x%llx: %s",
			   how, base + i * PML_PAGE, (unsigned long long)p->pfn,
			   (unsigned long long)pfn, d);
	}
	ptw_free(&w);
}

/* One translation of a random address in the area; ORACLE as above. */
static void translate_once(struct stats *st, int oracle, unsigned int *seed)
{
	int area = rand_r(seed) % NAREA;
	pid_t pid = target[area];
	unsigned long page = rand_r(seed) % AREA_PAGES;
	unsigned long va = sh->base[area] + page * PML_PAGE + rand_r(seed) % PML_PAGE;
	unsigned long pva = va & ~(PML_PAGE - 1);
	const struct ptscope_xlate *x;
	uint64_t before = 0, after = 0;
	struct ptw_xlate xl;
	struct window win;
	unsigned int quiet = 0;
	int64_t pfn;
	char d[700];
	int ret;

	window_open(&win);
	if (oracle) {
		ret = pml_pagemap(pid, pva, 1, &before);
		if (ret) {
			note_error(st, "pagemap", ret);
			return;
		}
	}
	ret = ptw_translate(pid, va, &xl);
	if (ret || !xl.have_x) {
		note_error(st, "translate", ret ? ret : -EPROTO);
		return;
	}
	if (oracle) {
		ret = pml_pagemap(pid, pva, 1, &after);
		quiet = window_close(&win);
		if (ret) {
			note_error(st, "pagemap", ret);
			return;
		}
	}
	st->translations++;
	x = &xl.x;
	if (x->stop == PTSCOPE_STOP_NO_VMA || x->stop == PTSCOPE_STOP_EMPTY ||
	    x->stop == PTSCOPE_STOP_BAD)
		return;
	check_leaf(st, &x->leaf, "translate");
	if (x->stop == PTSCOPE_STOP_SWAP && x->stop_level > PTSCOPE_LVL_PTE) {
		describe(&x->leaf, d, sizeof(d));
		impossible(st, "translate 0x%lx: stopped at a swap entry at %s level: %s",
			   va, pts_level_name(x->stop_level), d);
	}
	if (x->stop != PTSCOPE_STOP_OK)
		return;
	if (x->pa >> 12 >= max_pfn) {
		describe(&x->leaf, d, sizeof(d));
		impossible(st, "translate 0x%lx: pa 0x%llx beyond the end of RAM: %s", va,
			   (unsigned long long)x->pa, d);
	}
	pfn = oracle ? stable_frame(before, after) : -1;
	if (pfn < 0)
		return;
	if (!(quiet & (1U << (area * NREG + page / REG_PAGES)))) {
		st->not_quiet++;
		return;
	}
	st->xlate_compared++;
	if (x->pa >> 12 != (uint64_t)pfn) {
		describe(&x->leaf, d, sizeof(d));
		impossible(st, "translate 0x%lx: pa 0x%llx, pagemap before and after frame 0x%llx: %s",
			   va, (unsigned long long)x->pa, (unsigned long long)pfn, d);
	}
}

/* ---- the workers ------------------------------------------------------- */

/*
 * Walkers with the pagemap oracle (plain, coalesced, translations), the
 * same without it (many more samples of each entry), then the mover and
 * the compactor.
 */
enum {
	W_WALK, W_COALESCE, W_XLATE, W_FAST_WALK, W_FAST_XLATE,
	W_MOVE, W_COMPACT, NWORKERS
};

struct worker {
	int kind;
	struct stats st;
	long ops, moved, move_failed;
	const char *skipped;		/* why this worker did nothing */
};

static void *walker(void *arg)
{
	struct worker *wk = arg;
	uint64_t *before = calloc(AREA_PAGES, sizeof(*before));
	uint64_t *after = calloc(AREA_PAGES, sizeof(*after));
	struct ptw_page *pages = calloc(AREA_PAGES, sizeof(*pages));
	unsigned int seed = wk->kind * 7919;

	if (!before || !after || !pages) {
		wk->st.errors++;
		goto out;
	}
	pin(1);
	while (!stop) {
		int oracle = wk->kind < W_FAST_WALK;

		if (wk->kind == W_XLATE || wk->kind == W_FAST_XLATE)
			translate_once(&wk->st, oracle, &seed);
		else
			walk_once(&wk->st, wk->ops % NAREA, wk->kind == W_COALESCE, oracle,
				  before, after, pages);
		wk->ops++;
	}
out:
	free(before);
	free(after);
	free(pages);
	return NULL;
}

static int two_nodes(void)
{
	return !access("/sys/devices/system/node/node1", F_OK);
}

/* move_pages(2) of one region at a time, alternately to node 1 and 0. */
static void *mover(void *arg)
{
	struct worker *wk = arg;
	void **pages = calloc(REG_PAGES, sizeof(*pages));
	int *nodes = calloc(REG_PAGES, sizeof(*nodes));
	int *status = calloc(REG_PAGES, sizeof(*status));
	unsigned int to[NREGS] = { 0 };
	long r = 0;
	size_t i;

	if (!two_nodes()) {
		wk->skipped = "one NUMA node (tools/vm/run --numa 2 gives two): no move_pages";
		goto out;
	}
	if (!pages || !nodes || !status) {
		wk->st.errors++;
		goto out;
	}
	while (!stop) {
		int node = to[r] ^= 1;
		long ret;

		for (i = 0; i < REG_PAGES; i++) {
			pages[i] = reg_addr(r) + i * PML_PAGE;
			nodes[i] = node;
		}
		inc(&sh->start[r]);
		ret = syscall(SYS_move_pages, target[r / NREG], REG_PAGES, pages, nodes, status,
			      MPOL_MF_MOVE);
		inc(&sh->done[r]);
		if (ret < 0) {
			wk->move_failed++;
			pthread_mutex_lock(&report_lock);
			snprintf(last_error, sizeof(last_error), "move_pages: %s",
				 strerror(errno));
			pthread_mutex_unlock(&report_lock);
		} else {
			for (i = 0; i < REG_PAGES; i++)
				wk->moved += status[i] == node;
		}
		wk->ops++;
		r = (r + 1) % NREGS;
		usleep(10000);	/* leave the CPUs to the walkers too */
	}
out:
	free(pages);
	free(nodes);
	free(status);
	return NULL;
}

/*
 * Compaction of all zones, then again once a walk with the oracle has
 * completed (compaction is global: while it runs no region is quiet).
 */
static void *compactor(void *arg)
{
	struct worker *wk = arg;
	const char *f = "/proc/sys/vm/compact_memory";
	unsigned long seen;

	if (access(f, W_OK)) {
		wk->skipped = "no /proc/sys/vm/compact_memory: no compaction";
		return NULL;
	}
	while (!stop) {
		inc(&sh->gstart);
		pml_write_str(f, "1");
		inc(&sh->gdone);
		wk->ops++;
		seen = ld(&oracle_walks);
		while (!stop && ld(&oracle_walks) == seen)
			usleep(20000);
	}
	return NULL;
}

/*
 * Seconds since the test began, for the phase lines: a run that is
 * stopped by the harness's timeout shows which phase it was in.
 */
static double since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) + (t.tv_nsec - t0->tv_nsec) / 1e9;
}

TEST(leaves_of_a_churning_thp_target_are_possible)
{
	const char *env = getenv("PTSCOPE_FIDELITY_SECONDS");
	int seconds = env && atoi(env) > 0 ? atoi(env) : 10, i;
	void *(*fn[NWORKERS])(void *) = {
		walker, walker, walker, walker, walker, mover, compactor
	};
	struct worker w[NWORKERS];
	pthread_t th[NWORKERS];
	struct stats t = { 0 };
	char ops[512] = "";
	size_t n = 0;
	int swapped;

	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	max_pfn = pml_max_pfn();
	ASSERT_GT(max_pfn, 0);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, sh);
	memset(sh, 0, sizeof(*sh));
	/*
	 * Start from free, compacted memory: after other tests the page
	 * cache can fill it, and every THP the target (re)makes or
	 * move_pages() moves then waits for reclaim and compaction, which
	 * leaves the walkers a few walks in a whole run.
	 */
	sync();
	pml_write_str("/proc/sys/vm/drop_caches", "3");
	pml_write_str("/proc/sys/vm/compact_memory", "1");
	TH_LOG("%.1f s: caches dropped, memory compacted", since(&t0));
	swap_was_set_up = zram_swap_on();
	swap_active = swap_total_kb() > 0;
	for (i = 0; i < (int)(sizeof(knobs) / sizeof(knobs[0])); i++)
		if (i != KNOB_KHUGEPAGED && i != KNOB_KHUGEPAGED + 1)
			knob_set(&knobs[i]);

	for (i = 0; i < NAREA; i++) {
		target[i] = fork();
		ASSERT_GE(target[i], 0);
		if (!target[i])
			run_target(i);
		while (!__atomic_load_n(&sh->base[i], __ATOMIC_SEQ_CST)) {
			if (waitpid(target[i], NULL, WNOHANG) == target[i])
				break;
			usleep(10000);
		}
		ASSERT_NE(0, sh->base[i]) TH_LOG("target %d could not set up its memory", i);
	}
	if (!sh->collapse) {
		/* no MADV_COLLAPSE (before 6.1): khugepaged collapses instead */
		knob_set(&knobs[KNOB_KHUGEPAGED]);
		knob_set(&knobs[KNOB_KHUGEPAGED + 1]);
	}

	own_memory_quiet();
	guard();
	TH_LOG("%.1f s: swap and targets set up", since(&t0));
	stop = 0;
	memset(w, 0, sizeof(w));
	for (i = 0; i < NWORKERS; i++) {
		w[i].kind = i;
		ASSERT_EQ(0, pthread_create(&th[i], NULL, fn[i], &w[i]));
	}
	sleep(seconds);
	stop = 1;
	TH_LOG("%.1f s: churn over, stopping the workers", since(&t0));
	for (i = 0; i < NWORKERS; i++)
		pthread_join(th[i], NULL);
	TH_LOG("%.1f s: workers stopped", since(&t0));
	for (i = 0; i < NAREA; i++) {
		kill(target[i], SIGKILL);
		waitpid(target[i], NULL, 0);
	}
	swapped = swap_was_set_up;
	TH_LOG("%.1f s: targets reaped", since(&t0));
	unguard();
	TH_LOG("%.1f s: knobs restored, swap off", since(&t0));

	for (i = 0; i < W_MOVE; i++) {
		struct stats *s = &w[i].st;

		t.walks += s->walks;
		t.translations += s->translations;
		t.leaves += s->leaves;
		t.pages_compared += s->pages_compared;
		t.xlate_compared += s->xlate_compared;
		t.not_quiet += s->not_quiet;
		t.impossible += s->impossible;
		t.huge += s->huge;
		t.pmd_migration += s->pmd_migration;
		t.numa_hint += s->numa_hint;
		t.swap += s->swap;
		t.errors += s->errors;
	}
	for (i = 0; i < NR_OPS; i++)
		n += snprintf(ops + n, sizeof(ops) - n, "%s%lu %s", i ? ", " : "",
			      sh->ops[i], op_names[i]);
	TH_LOG("%d s: target ops: %s%s", seconds, ops,
	       sh->collapse ? "" : " (no MADV_COLLAPSE: khugepaged scanning without sleeping instead)");
	TH_LOG("%ld move_pages calls moving %ld pages (%ld failed)%s%s; %ld compactions%s%s; NUMA balancing %s",
	       w[W_MOVE].ops, w[W_MOVE].moved, w[W_MOVE].move_failed,
	       w[W_MOVE].skipped ? ": " : "", w[W_MOVE].skipped ? w[W_MOVE].skipped : "",
	       w[W_COMPACT].ops,
	       w[W_COMPACT].skipped ? ": " : "", w[W_COMPACT].skipped ? w[W_COMPACT].skipped : "",
	       knobs[KNOB_NUMA].set ? "on" : "not available");
	TH_LOG("seen: %ld huge leaves, %ld PMD migration entries, %ld numa-hint leaves, %ld swap entries (swap: %s)",
	       t.huge, t.pmd_migration, t.numa_hint, t.swap,
	       swapped ? "zram, set up for the test" :
	       swap_active ? "already active" : "none");
	TH_LOG("%ld walks, %ld translations: %ld leaves checked, %ld pages and %ld translations compared with pagemap (%ld skipped: frames changing), %ld errors",
	       t.walks, t.translations, t.leaves, t.pages_compared, t.xlate_compared,
	       t.not_quiet, t.errors);
	TH_LOG("%ld impossible leaves", t.impossible);
	for (i = 0; i < nreports; i++)
		TH_LOG("impossible: %s", reports[i]);
	if (t.errors)
		TH_LOG("last error: %s", last_error);
	EXPECT_EQ(0, t.impossible);
	EXPECT_EQ(0, t.errors);
	EXPECT_GT(t.walks, 0);
	EXPECT_GT(t.translations, 0);
	/*
	 * Not an assertion: whether a region stays quiet over a walk depends
	 * on scheduling (walk_test compares every page with pagemap).
	 */
	if (!t.pages_compared)
		TH_LOG("note: no page could be compared with pagemap (no region stayed quiet over a walk)");
}

int cli_bpfwalk_open(struct pts_session *s, int pid, const char *req);

/*
 * PTSCOPE_VIA=bpf: every walk and translation goes through the BPF walker
 * (tools/ptscope/bpfwalk.c) instead of the module: bpfwalk_test runs the
 * churn test so.
 */
static void __attribute__((constructor)) fidelity_via(void)
{
	const char *via = getenv("PTSCOPE_VIA");

	struct pts_session s;

	if (!via || strcmp(via, "bpf"))
		return;
	ptw_open_hook = cli_bpfwalk_open;
	/*
	 * Load the program (the verifier takes seconds under TCG) before the
	 * churn starts, with one translation of this process.
	 */
	if (!cli_bpfwalk_open(&s, getpid(), "va=0x400000"))
		pts_close(&s);
}

/* The harness stops a test after 30 s: allow for PTSCOPE_FIDELITY_SECONDS. */
static void __attribute__((constructor(KSELFTEST_PRIO_TEST + 1))) fidelity_timeout(void)
{
	const char *env = getenv("PTSCOPE_FIDELITY_SECONDS");

	_leaves_of_a_churning_thp_target_are_possible_object.timeout =
		120 + 2 * (env ? atoi(env) : 10);
}

TEST_HARNESS_MAIN
