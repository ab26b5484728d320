// SPDX-License-Identifier: GPL-2.0
/*
 * The compact stream (request "compact") against the full one.
 *
 * A child maps one kind of memory per variant and then sleeps.  The same
 * range is walked three times: full records, "compact facts" and
 * "compact", each decoded by libptscope (pts_next() turns PTES records
 * back into leaves with the LAYOUT record the module sent).  Every field
 * of every leaf and VMA record must agree with the full walk's; without
 * facts, a PTE leaf lacks only the frame's facts (anon/file/exclusive,
 * mapcount, folio), the zero page excepted.  The full walk is itself
 * checked against pagemap and kpageflags by walk_test and folio_test.
 *
 * The child's memory is its own (mapped after the fork) and quiescent:
 * mlocked where it is present (no reclaim or compaction moves it between
 * the walks) and kept from khugepaged by MADV_NOHUGEPAGE, except the THP
 * variant, whose PMD khugepaged has nothing to do for.
 *
 * Also: what a compact entry costs on the wire (8 bytes, 16 with facts,
 * plus a 24-byte header per run; runs split where three or more empty
 * entries lie between, as pagemap shows them), and bad requests.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "guest_harness.h"
#include "libptscope.h"
#include "pagemap_lib.h"
#include "cli_lib.h"

#define PAGE		4096UL
#define HUGE		(2UL << 20)
#define NPAGES		512	/* pages per region (one PTE table's worth) */
#define MTHP_64K	"/sys/kernel/mm/transparent_hugepage/hugepages-64kB/enabled"
#define THP_ENABLED	"/sys/kernel/mm/transparent_hugepage/enabled"
#define COMPACT_UNEVICTABLE "/proc/sys/vm/compact_unevictable_allowed"

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT	21
#endif
#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif
#ifndef UFFD_FEATURE_POISON
#define UFFD_FEATURE_POISON	(1 << 14)
struct uffdio_poison {
	struct uffdio_range range;
	__u64 mode;
	__s64 updated;
};
#define UFFDIO_POISON		_IOWR(UFFDIO, 0x08, struct uffdio_poison)
#endif
#ifndef UFFD_FEATURE_RWP	/* 7.x: read-write protection */
#define UFFD_FEATURE_RWP	(1 << 17)
#define UFFDIO_REGISTER_MODE_RWP ((__u64)1 << 3)
#define UFFDIO_RWPROTECT_MODE_RWP ((__u64)1 << 0)
struct uffdio_rwprotect {
	struct uffdio_range range;
	__u64 mode;
};
#define UFFDIO_RWPROTECT	_IOWR(UFFDIO, 0x09, struct uffdio_rwprotect)
#endif

enum kind { K_ANON, K_HOLES, K_ZERO, K_FILE, K_PROTNONE, K_SWAP, K_THP, K_MTHP,
	    K_GUARD, K_SPARSE,
	    /* set up by setup_bits() */
	    K_SOFT_DIRTY, K_UFFD_WP, K_PKEY, K_SHARED, K_POISON, K_SWAP_BITS, K_RWP, K_NUMA };

struct region {
	char *p;
	size_t len;
	int kind;
	int skip;	/* set by the child: the kernel cannot give this kind */
};

/*
 * Pages of the "holes" region that are touched: runs with gaps of one to
 * five pages, so that runs are split at gaps of 3+ and joined at 1 and 2.
 */
static bool hole_touched(size_t i)
{
	static const unsigned char gap[] = { 1, 2, 3, 4, 5 };
	size_t pos = 0, k = 0;

	while (pos <= i) {
		size_t run = 7 + k * 5;

		if (i < pos + run)
			return true;
		pos += run + gap[k % 5];
		k++;
	}
	return false;
}

/*
 * Pages of the "sparse" region: single pages three empty ones apart (each
 * split saves just a record header: on_ptes() moves every run exactly
 * onto the place of the next one's header), from page 3 on, then two apart
 * in the second half (joined).
 */
static bool sparse_touched(size_t i)
{
	if (i < NPAGES / 2)
		return i % 4 == 3;
	return i % 3 == 0;
}

static char *aligned(size_t len)
{
	char *p = mmap(NULL, len + HUGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	return (char *)(((unsigned long)p + HUGE - 1) & ~(HUGE - 1));
}

/*
 * Lock what is present, fault nothing in (MLOCK_ONFAULT: plain mlock()
 * would fill the holes and break the zero page's COW): no reclaim, no
 * MGLRU aging (it skips VM_LOCKED) and, with compact_unevictable_allowed
 * 0 (the fixture sets it), no compaction moves the pages between walks.
 */
static int lock(struct region *r)
{
	return mlock2(r->p, r->len, MLOCK_ONFAULT);
}

static int setup(struct region *r)
{
	char path[] = "/tmp/ptscope-compact-XXXXXX";
	size_t i;
	int fd;

	r->len = NPAGES * PAGE;
	switch (r->kind) {
	case K_FILE:
		fd = mkstemp(path);
		if (fd < 0)
			return 1;
		unlink(path);
		if (ftruncate(fd, r->len))
			return 2;
		for (i = 0; i < NPAGES; i += 2)
			if (pwrite(fd, "x", 1, i * PAGE) != 1)
				return 3;
		r->p = mmap(NULL, r->len, PROT_READ, MAP_SHARED, fd, 0);
		close(fd);
		if (r->p == MAP_FAILED)
			return 4;
		for (i = 0; i < NPAGES; i += 2)
			(void)((volatile char *)r->p)[i * PAGE];
		return lock(r) ? 5 : 0;
	case K_THP:
		r->len = HUGE;
		r->p = aligned(HUGE);
		if (!r->p || madvise(r->p, HUGE, MADV_HUGEPAGE))
			return 6;
		memset(r->p, 1, HUGE);
		return lock(r) ? 7 : 0;
	default:
		break;
	}
	if (r->kind == K_MTHP) {
		/*
		 * 1 MiB in the middle of an aligned 2 MiB: no PMD can map it,
		 * so khugepaged leaves it; MADV_NOHUGEPAGE would forbid mTHP.
		 */
		r->len = HUGE / 2;
		r->p = aligned(HUGE);
		if (!r->p || munmap(r->p, HUGE / 4) ||
		    munmap(r->p + 3 * HUGE / 4, HUGE / 4))
			return 8;
		r->p += HUGE / 4;
	} else {
		r->p = aligned(r->len);
		if (!r->p || madvise(r->p, r->len, MADV_NOHUGEPAGE))
			return 8;
	}
	for (i = 0; i < r->len / PAGE; i++) {
		if (r->kind == K_HOLES && !hole_touched(i))
			continue;
		if (r->kind == K_SPARSE && !sparse_touched(i))
			continue;
		if (r->kind == K_ZERO)
			(void)((volatile char *)r->p)[i * PAGE];
		else
			r->p[i * PAGE] = (char)i;
	}
	switch (r->kind) {
	case K_PROTNONE:
		if (mprotect(r->p, r->len / 2, PROT_NONE))
			return 9;
		break;
	case K_SWAP:
		/* pages the kernel could not swap out stay present: still decoded */
		if (madvise(r->p, r->len, MADV_PAGEOUT))
			r->skip = 1;
		return 0;
	case K_GUARD:
		/* guard regions are refused in locked VMAs: left unlocked */
		if (madvise(r->p + 16 * PAGE, 64 * PAGE, MADV_GUARD_INSTALL))
			r->skip = 1;
		return 0;
	default:
		break;
	}
	return lock(r) ? 10 : 0;
}

/* A userfaultfd with @features, @len bytes at @p registered in @mode. */
static int uffd_register(void *p, size_t len, __u64 features, __u64 mode)
{
	struct uffdio_api api = { .api = UFFD_API, .features = features };
	struct uffdio_register reg = {
		.range = { .start = (unsigned long)p, .len = len }, .mode = mode,
	};
	int fd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);

	if (fd < 0 || ioctl(fd, UFFDIO_API, &api) ||
	    (api.features & features) != features || ioctl(fd, UFFDIO_REGISTER, &reg))
		return -1;
	return fd;	/* kept open: closing it would unregister */
}

static int uffd_wp(int fd, void *p, size_t len)
{
	struct uffdio_writeprotect wp = {
		.range = { .start = (unsigned long)p, .len = len },
		.mode = UFFDIO_WRITEPROTECT_MODE_WP,
	};

	return ioctl(fd, UFFDIO_WRITEPROTECT, &wp);
}

/* NUMA-hint entries in @r, by a walk of the caller itself. */
static int hinted(const struct region *r)
{
	unsigned long s = (unsigned long)r->p;
	struct ptw_walk w;
	size_t i;
	int n = 0;

	if (ptw_walk(getpid(), s, s + r->len, 0, &w) || w.status) {
		ptw_free(&w);
		return -1;
	}
	for (i = 0; i < w.nleaves; i++)
		n += !!(w.leaves[i].flags & PTSCOPE_F_NUMA_HINT);
	ptw_free(&w);
	return n;
}

static void *sleeper(void *arg)
{
	for (;;)
		pause();
	return arg;
}

/*
 * Entry bits the first variants do not reach: soft-dirty, uffd-wp on
 * present entries, markers and swap entries, protection keys, frames
 * mapped twice, poison markers.  Each is decoded from the layout's rules
 * in user space and must read as the module's full walk reads it.
 */
static int setup_bits(struct region *r)
{
	size_t i, n = NPAGES;
	int fd;

	r->len = n * PAGE;
	switch (r->kind) {
	case K_UFFD_WP:
	case K_SHARED:
		/* shmem: uffd-wp markers on its empty entries, or two mappings */
		fd = memfd_create("ptscope-compact", 0);
		if (fd < 0 || ftruncate(fd, r->len))
			return 20;
		r->p = mmap(NULL, r->len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (r->p == MAP_FAILED)
			return 21;
		if (r->kind == K_SHARED) {
			char *q = mmap(NULL, r->len, PROT_READ | PROT_WRITE, MAP_SHARED,
				       fd, 0);

			if (q == MAP_FAILED)
				return 22;
			for (i = 0; i < n; i++)
				r->p[i * PAGE] = q[i * PAGE] = 1;
			if (mlock2(q, r->len, MLOCK_ONFAULT))
				return 23;
			close(fd);
			return lock(r) ? 24 : 0;
		}
		close(fd);
		fd = uffd_register(r->p, r->len, UFFD_FEATURE_WP_HUGETLBFS_SHMEM,
				   UFFDIO_REGISTER_MODE_WP);
		if (fd < 0) {
			r->skip = 1;
			return 0;
		}
		for (i = 0; i < n; i += 2)
			r->p[i * PAGE] = 1;
		if (uffd_wp(fd, r->p, r->len))
			return 25;
		return lock(r) ? 26 : 0;
	default:
		break;
	}
	r->p = aligned(r->len);
	if (!r->p || madvise(r->p, r->len, MADV_NOHUGEPAGE))
		return 27;
	switch (r->kind) {
	case K_PKEY: {
		int key = syscall(__NR_pkey_alloc, 0, 0);

		if (key <= 0) {
			r->skip = 1;
			return 0;
		}
		if (syscall(__NR_pkey_mprotect, r->p, r->len / 2,
			    PROT_READ | PROT_WRITE, key))
			return 28;
		break;
	}
	case K_POISON: {
		struct uffdio_poison po = {
			.range = { .start = (unsigned long)r->p + 16 * PAGE,
				   .len = 64 * PAGE },
		};

		/* fill the rest first: no missing fault may reach the idle uffd */
		for (i = 0; i < n; i++)
			if (i < 16 || i >= 80)
				r->p[i * PAGE] = 1;
		fd = uffd_register(r->p, r->len, UFFD_FEATURE_POISON,
				   UFFDIO_REGISTER_MODE_MISSING);
		if (fd < 0) {
			r->skip = 1;
			return 0;
		}
		if (ioctl(fd, UFFDIO_POISON, &po))
			return 29;
		return lock(r) ? 30 : 0;
	}
	default:
		break;
	}
	for (i = 0; i < n; i++)
		r->p[i * PAGE] = (char)i;
	switch (r->kind) {
	case K_SOFT_DIRTY:
		/* clear every soft-dirty bit, then dirty every other page */
		fd = open("/proc/self/clear_refs", O_WRONLY);
		if (fd < 0 || write(fd, "4", 1) != 1)
			return 31;
		close(fd);
		for (i = 0; i < n; i += 2)
			r->p[i * PAGE] = 2;
		break;
	case K_RWP: {
		/*
		 * 7.x: PROTNONE entries with the uffd bit in an accessible
		 * VMA registered for read-write protection: traps, not NUMA
		 * hints (PTSCOPE_PTES_UFFD_RWP and the layout's rwp_mask)
		 */
		struct uffdio_rwprotect rwp = {
			.range = { .start = (unsigned long)r->p, .len = r->len / 2 },
			.mode = UFFDIO_RWPROTECT_MODE_RWP,
		};

		fd = uffd_register(r->p, r->len, UFFD_FEATURE_RWP,
				   UFFDIO_REGISTER_MODE_RWP);
		if (fd < 0) {
			r->skip = 1;
			return 0;
		}
		if (ioctl(fd, UFFDIO_RWPROTECT, &rwp))
			return 33;
		break;
	}
	case K_NUMA: {
		/*
		 * NUMA hints: PROTNONE in an accessible VMA (PTSCOPE_PTES_ACCESSIBLE).
		 * A second thread (mm_users > 1) makes the scanner mark pages
		 * on any node; the child then runs for the scanner (it runs
		 * from the task's ticks), touching nothing.
		 */
		pthread_t t;
		int k;

		if (pthread_create(&t, NULL, sleeper, NULL))
			return 34;
		/*
		 * Until every page is a hint: the scanner skips entries that
		 * are PROTNONE already, so the region then stays as it is
		 * while the child sleeps (a half-marked one could change
		 * under the walks: skipped instead).
		 */
		for (k = 0; k < 30; k++) {
			struct timespec a, b;

			clock_gettime(CLOCK_MONOTONIC, &a);
			do
				clock_gettime(CLOCK_MONOTONIC, &b);
			while ((b.tv_sec - a.tv_sec) * 1000 +
			       (b.tv_nsec - a.tv_nsec) / 1000000 < 100);
			if (hinted(r) == NPAGES)
				return 0;
		}
		r->skip = 1;
		return 0;
	}
	case K_SWAP_BITS:
		/* uffd-wp on half, then out to swap: SWP_UFFD, _EXCLUSIVE, _SOFT_DIRTY */
		fd = uffd_register(r->p, r->len, 0, UFFDIO_REGISTER_MODE_WP);
		if (fd < 0 || uffd_wp(fd, r->p, r->len / 2)) {
			r->skip = 1;
			return 0;
		}
		if (madvise(r->p, r->len, MADV_PAGEOUT))
			r->skip = 1;
		return 0;
	default:
		break;
	}
	return lock(r) ? 32 : 0;
}

static int region_fn(void *arg, int cmd)
{
	struct region *r = arg;

	if (cmd)
		return 0;
	return r->kind >= K_SOFT_DIRTY ? setup_bits(r) : setup(r);
}

/*
 * NUMA balancing on, scanning every 100 ms (the middle two: debugfs); no
 * proactive compaction (the NUMA region is not mlocked: mlock's populate
 * would resolve the hints).
 */
#define NUMA_KNOBS	4
static const char *const numa_knobs[NUMA_KNOBS] = {
	"/proc/sys/kernel/numa_balancing",
	"/sys/kernel/debug/sched/numa_balancing/scan_delay_ms",
	"/sys/kernel/debug/sched/numa_balancing/scan_period_min_ms",
	"/proc/sys/vm/compaction_proactiveness",
};
static const char *const numa_values[NUMA_KNOBS] = { "1", "100", "100", "0" };

FIXTURE(compact) {
	struct pml_child c;
	struct region *r;
	char mthp_saved[32], thp_saved[32], cua_saved[32], numa_saved[NUMA_KNOBS][32];
	bool zram;
};

FIXTURE_VARIANT(compact) {
	int kind;
};

FIXTURE_VARIANT_ADD(compact, anon) { .kind = K_ANON };
FIXTURE_VARIANT_ADD(compact, holes) { .kind = K_HOLES };
FIXTURE_VARIANT_ADD(compact, zero) { .kind = K_ZERO };
FIXTURE_VARIANT_ADD(compact, file) { .kind = K_FILE };
FIXTURE_VARIANT_ADD(compact, protnone) { .kind = K_PROTNONE };
FIXTURE_VARIANT_ADD(compact, swap) { .kind = K_SWAP };
FIXTURE_VARIANT_ADD(compact, thp) { .kind = K_THP };
FIXTURE_VARIANT_ADD(compact, mthp_64k) { .kind = K_MTHP };
FIXTURE_VARIANT_ADD(compact, guard) { .kind = K_GUARD };
FIXTURE_VARIANT_ADD(compact, soft_dirty) { .kind = K_SOFT_DIRTY };
FIXTURE_VARIANT_ADD(compact, uffd_wp) { .kind = K_UFFD_WP };
FIXTURE_VARIANT_ADD(compact, pkey) { .kind = K_PKEY };
FIXTURE_VARIANT_ADD(compact, shared) { .kind = K_SHARED };
FIXTURE_VARIANT_ADD(compact, poison) { .kind = K_POISON };
FIXTURE_VARIANT_ADD(compact, swap_bits) { .kind = K_SWAP_BITS };
FIXTURE_VARIANT_ADD(compact, uffd_rwp) { .kind = K_RWP };
FIXTURE_VARIANT_ADD(compact, sparse) { .kind = K_SPARSE };
FIXTURE_VARIANT_ADD(compact, numa_hint) { .kind = K_NUMA };

/*
 * Put back every setting the fixture changed, and stop the child; safe to
 * call twice.  The harness runs the teardown only if the setup completed:
 * a setup that SKIPs after changing a setting must call this first (it
 * did not, and the NUMA variant's fast scanner settings, left behind by a
 * skip on 6.1, made wss_test's idle pages NUMA hints a second later).
 */
static void compact_restore(FIXTURE_DATA(compact) *self)
{
	int i;

	pml_child_stop(&self->c);
	if (self->zram)
		zram_off();
	self->zram = false;
	if (self->mthp_saved[0])
		pml_write_str(MTHP_64K, self->mthp_saved);
	if (self->thp_saved[0])
		pml_write_str(THP_ENABLED, self->thp_saved);
	if (self->cua_saved[0])
		pml_write_str(COMPACT_UNEVICTABLE, self->cua_saved);
	for (i = 0; i < NUMA_KNOBS; i++)
		if (self->numa_saved[i][0])
			pml_write_str(numa_knobs[i], self->numa_saved[i]);
	self->mthp_saved[0] = self->thp_saved[0] = self->cua_saved[0] = '\0';
	for (i = 0; i < NUMA_KNOBS; i++)
		self->numa_saved[i][0] = '\0';
}

/* SKIP from the setup once a setting may have changed. */
#define SKIP_RESTORED(why) do {			\
		compact_restore(self);		\
		SKIP(return, why);		\
	} while (0)

FIXTURE_SETUP(compact)
{
	char cur[32];
	int ack;

	memset(self, 0, sizeof(*self));
	self->c.pid = -1;
	self->c.cmd_fd = self->c.ack_fd = -1;
	if (access(PTSCOPE_DEBUGFS_DIR "/records", F_OK))
		SKIP(return, "ptscope module not loaded");
	if (variant->kind == K_THP) {
		if (pml_sysfs_choice(THP_ENABLED, cur, sizeof(cur)))
			SKIP(return, "no transparent hugepages");
		if (!strcmp(cur, "never")) {
			snprintf(self->thp_saved, sizeof(self->thp_saved), "%s", cur);
			ASSERT_EQ(0, pml_write_str(THP_ENABLED, "madvise"));
		}
	}
	if (variant->kind == K_MTHP) {
		if (pml_sysfs_choice(MTHP_64K, cur, sizeof(cur)))
			SKIP(return, "no multi-size THP on this kernel (6.8+)");
		if (strcmp(cur, "always")) {
			snprintf(self->mthp_saved, sizeof(self->mthp_saved), "%s", cur);
			ASSERT_EQ(0, pml_write_str(MTHP_64K, "always"));
		}
	}
	if (!pml_read_str(COMPACT_UNEVICTABLE, cur, sizeof(cur)) && strcmp(cur, "0")) {
		snprintf(self->cua_saved, sizeof(self->cua_saved), "%s", cur);
		ASSERT_EQ(0, pml_write_str(COMPACT_UNEVICTABLE, "0"));
	}
	if (variant->kind == K_NUMA) {
		int i;

		if (access("/sys/devices/system/node/node1", F_OK))
			SKIP_RESTORED("one NUMA node (tools/vm/run --numa 2 gives two)");
		if (access(numa_knobs[0], W_OK))
			SKIP_RESTORED("no NUMA balancing (kernel.numa_balancing)");
		for (i = 0; i < NUMA_KNOBS; i++) {
			if (pml_read_str(numa_knobs[i], cur, sizeof(cur)))
				continue;
			snprintf(self->numa_saved[i], sizeof(self->numa_saved[i]), "%s", cur);
			ASSERT_EQ(0, pml_write_str(numa_knobs[i], numa_values[i]));
		}
	}
	if (variant->kind == K_SWAP || variant->kind == K_SWAP_BITS) {
		if (zram_on())
			SKIP_RESTORED("no zram swap device");
		self->zram = true;
	}
	self->r = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		       -1, 0);
	ASSERT_NE(MAP_FAILED, self->r);
	self->r->kind = variant->kind;
	ack = pml_child_start(&self->c, region_fn, self->r);
	ASSERT_EQ(0, ack) TH_LOG("child set-up failed at step %d", ack);
	if (self->r->skip)
		SKIP_RESTORED("the kernel cannot give this kind of memory here");
}

FIXTURE_TEARDOWN(compact)
{
	compact_restore(self);
	if (self->r && self->r != MAP_FAILED)
		munmap(self->r, PAGE);
}

/* The full walk's leaf as a compact walk without facts sends it. */
static struct ptscope_leaf without_facts(struct ptscope_leaf l)
{
	if (l.level != PTSCOPE_LVL_PTE || (l.flags & PTSCOPE_F_ZERO_PAGE))
		return l;
	l.flags &= ~(PTSCOPE_F_ANON_PAGE | PTSCOPE_F_FILE_PAGE | PTSCOPE_F_EXCLUSIVE |
		     PTSCOPE_F_FOLIO);
	l.mapcount = 0;
	l.folio_pfn = 0;
	l.folio_order = 0;
	return l;
}

static void print_leaf(const char *what, const struct ptscope_leaf *l)
{
	char f[512];

	fprintf(stderr, "#   %-8s va 0x%llx entry 0x%llx pfn 0x%llx %s swap %u:0x%llx "
		"mapcount %u pkey %u folio 0x%llx/%u count %llu level %u\n", what,
		(unsigned long long)l->va, (unsigned long long)l->entry,
		(unsigned long long)l->pfn, pts_flags_str(l->flags, f, sizeof(f)),
		l->swap_type, (unsigned long long)l->swap_offset, l->mapcount, l->pkey,
		(unsigned long long)l->folio_pfn, l->folio_order,
		(unsigned long long)l->count, l->level);
}

/* Every record of walk B equals walk A's (A's facts dropped if !FACTS). */
static int same_walk(const struct ptw_walk *a, const struct ptw_walk *b, bool facts)
{
	size_t i, bad = 0;

	if (a->nvmas != b->nvmas || a->nleaves != b->nleaves) {
		fprintf(stderr, "# %zu vmas %zu leaves, compact %zu vmas %zu leaves\n",
			a->nvmas, a->nleaves, b->nvmas, b->nleaves);
		return -1;
	}
	for (i = 0; i < a->nvmas; i++)
		if (memcmp(&a->vmas[i], &b->vmas[i], sizeof(a->vmas[i]))) {
			fprintf(stderr, "# VMA record %zu differs\n", i);
			bad++;
		}
	for (i = 0; i < a->nleaves; i++) {
		struct ptscope_leaf x = facts ? a->leaves[i] : without_facts(a->leaves[i]);

		if (memcmp(&x, &b->leaves[i], sizeof(x)) ||
		    a->leaf_vma[i] != b->leaf_vma[i]) {
			if (bad++ < 5) {
				print_leaf("full", &x);
				print_leaf("compact", &b->leaves[i]);
			}
		}
	}
	if (a->end.vmas != b->end.vmas || a->end.leaves != b->end.leaves ||
	    a->end.entries != b->end.entries) {
		fprintf(stderr, "# END differs\n");
		bad++;
	}
	return bad ? -1 : 0;
}

static int count_flag(const struct ptw_walk *w, uint64_t flag)
{
	size_t i;
	int n = 0;

	for (i = 0; i < w->nleaves; i++)
		n += !!(w->leaves[i].flags & flag);
	return n;
}

/* The full walk has what the variant is about: the comparison is not vacuous. */
static void check_kind(struct __test_metadata *_metadata, int kind,
		       const struct ptw_walk *w)
{
	switch (kind) {
	case K_ZERO:
		EXPECT_EQ(NPAGES, count_flag(w, PTSCOPE_F_ZERO_PAGE));
		break;
	case K_FILE:
		EXPECT_EQ(NPAGES / 2, count_flag(w, PTSCOPE_F_FILE_PAGE));
		break;
	case K_PROTNONE:
		EXPECT_EQ(NPAGES / 2, count_flag(w, PTSCOPE_F_PROTNONE));
		break;
	case K_SWAP:
		EXPECT_LT(0, count_flag(w, PTSCOPE_F_SWAP))
			TH_LOG("MADV_PAGEOUT swapped nothing out (no swap area?)");
		break;
	case K_THP:
		EXPECT_LT(0, count_flag(w, PTSCOPE_F_PSE))
			TH_LOG("the kernel gave no THP");
		break;
	case K_MTHP: {
		size_t i;
		int big = 0;

		for (i = 0; i < w->nleaves; i++)
			big += w->leaves[i].folio_order == 4;
		EXPECT_LT(0, big) TH_LOG("no 64K folio");
		break;
	}
	case K_GUARD:
		EXPECT_EQ(64, count_flag(w, PTSCOPE_F_MARKER_GUARD));
		break;
	case K_SOFT_DIRTY:
		EXPECT_EQ(NPAGES / 2, count_flag(w, PTSCOPE_F_SOFT_DIRTY));
		break;
	case K_UFFD_WP:
		EXPECT_EQ(NPAGES, count_flag(w, PTSCOPE_F_UFFD_WP));
		EXPECT_EQ(NPAGES / 2, count_flag(w, PTSCOPE_F_MARKER));
		break;
	case K_PKEY: {
		size_t i;
		int keyed = 0;

		for (i = 0; i < w->nleaves; i++)
			keyed += w->leaves[i].pkey != 0;
		EXPECT_EQ(NPAGES / 2, keyed);
		break;
	}
	case K_SHARED: {
		size_t i;
		int twice = 0;

		for (i = 0; i < w->nleaves; i++)
			twice += w->leaves[i].mapcount == 2;
		EXPECT_EQ(NPAGES, twice);
		break;
	}
	case K_POISON:
		EXPECT_EQ(64, count_flag(w, PTSCOPE_F_MARKER_POISON));
		break;
	case K_SPARSE: {
		size_t i;
		int want = 0;

		for (i = 0; i < NPAGES; i++)
			want += sparse_touched(i);
		EXPECT_EQ(want, count_flag(w, PTSCOPE_F_ANON_PAGE));
		break;
	}
	case K_NUMA:
		EXPECT_EQ(NPAGES, count_flag(w, PTSCOPE_F_NUMA_HINT));
		break;
	case K_RWP:
		EXPECT_EQ(NPAGES / 2, count_flag(w, PTSCOPE_F_PROTNONE));
		EXPECT_EQ(0, count_flag(w, PTSCOPE_F_NUMA_HINT));
		break;
	case K_SWAP_BITS: {
		size_t i;
		int wp = 0;

		for (i = 0; i < w->nleaves; i++)
			wp += (w->leaves[i].flags & (PTSCOPE_F_SWAP | PTSCOPE_F_UFFD_WP)) ==
			      (PTSCOPE_F_SWAP | PTSCOPE_F_UFFD_WP);
		EXPECT_LT(0, wp) TH_LOG("no uffd-wp swap entry");
		EXPECT_LT(0, count_flag(w, PTSCOPE_F_SWP_EXCLUSIVE));
		break;
	}
	default:
		EXPECT_LT(0, count_flag(w, PTSCOPE_F_ANON_PAGE));
		break;
	}
}

TEST_F(compact, decodes_as_the_full_walk)
{
	unsigned long s = (unsigned long)self->r->p, e = s + self->r->len;
	struct ptw_walk full, cf, c;
	char why[256];

	ASSERT_EQ(0, ptw_walk(self->c.pid, s, e, 0, &full));
	ASSERT_EQ(0, ptw_walk(self->c.pid, s, e, PTW_COMPACT | PTW_FACTS, &cf));
	ASSERT_EQ(0, ptw_walk(self->c.pid, s, e, PTW_COMPACT, &c));
	ASSERT_EQ(0, ptw_check(&full, self->c.pid, why, sizeof(why))) TH_LOG("%s", why);
	ASSERT_EQ(0, ptw_check(&cf, self->c.pid, why, sizeof(why))) TH_LOG("%s", why);
	ASSERT_EQ(0, ptw_check(&c, self->c.pid, why, sizeof(why))) TH_LOG("%s", why);
	check_kind(_metadata, self->r->kind, &full);
	EXPECT_EQ(PTSCOPE_REQ_COMPACT | PTSCOPE_REQ_FACTS, cf.hdr.flags & 0xffff);
	EXPECT_EQ(0, same_walk(&full, &cf, true)) TH_LOG("compact facts != full");
	EXPECT_EQ(0, same_walk(&full, &c, false)) TH_LOG("compact != full");
	ptw_free(&full);
	ptw_free(&cf);
	ptw_free(&c);
}

/*
 * "compact coalesce": every run, entry by entry, is the plain compact
 * walk's entries (the same bits, the frame one up each time), and runs
 * are as long as they can be within a PTE table.
 */
TEST_F(compact, coalesced_runs_are_the_entries)
{
	unsigned long s = (unsigned long)self->r->p, e = s + self->r->len;
	struct ptw_walk c, r;
	char why[256];
	size_t i, j = 0;
	uint64_t k;

	ASSERT_EQ(0, ptw_walk(self->c.pid, s, e, PTW_COMPACT, &c));
	ASSERT_EQ(0, ptw_walk(self->c.pid, s, e, PTW_COMPACT | PTW_COALESCE, &r));
	ASSERT_EQ(0, ptw_check(&r, self->c.pid, why, sizeof(why))) TH_LOG("%s", why);
	EXPECT_EQ(c.end.entries, r.end.entries);
	for (i = 0; i < r.nleaves; i++) {
		const struct ptscope_leaf *run = &r.leaves[i];
		uint64_t size = pts_level_size(run->level);

		for (k = 0; k < run->count; k++, j++) {
			struct ptscope_leaf want, got = *run;

			ASSERT_LT(j, c.nleaves) TH_LOG("more entries in runs than in the walk");
			want = c.leaves[j];
			got.va += k * size;
			got.count = 1;
			if (k) {
				got.entry += k * size;
				got.pfn += k * (size >> 12);
			}
			if (memcmp(&want, &got, sizeof(want))) {
				print_leaf("entry", &want);
				print_leaf("run", &got);
				ASSERT_TRUE(0) TH_LOG("run %zu, entry %llu differs", i,
						       (unsigned long long)k);
			}
		}
		/* maximal: the next run does not continue this one in its table */
		if (i + 1 < r.nleaves && run->level == PTSCOPE_LVL_PTE) {
			const struct ptscope_leaf *nx = &r.leaves[i + 1];
			uint64_t end = run->va + run->count * 4096;

			EXPECT_FALSE(nx->level == PTSCOPE_LVL_PTE && nx->va == end &&
				     end % HUGE && (nx->entry & 1) &&
				     nx->entry == run->entry + run->count * 4096)
				TH_LOG("runs at 0x%llx and 0x%llx should be one",
				       (unsigned long long)run->va, (unsigned long long)nx->va);
		}
	}
	EXPECT_EQ(c.nleaves, j);
	fprintf(stderr, "# %zu entries in %zu runs\n", c.nleaves, r.nleaves);
	ptw_free(&c);
	ptw_free(&r);
}

/*
 * The raw stream: PTES records, what they cost per entry, and where runs
 * split, against pagemap (an empty page has a zero entry there).
 */
TEST_F(compact, runs_and_bytes_per_entry)
{
	unsigned long s = (unsigned long)self->r->p, e = s + self->r->len;
	size_t np = self->r->len / PAGE, i, runs = 0, entries = 0, gap = 0, count_want = 0;
	size_t last = 0;
	uint64_t *pm = calloc(np, sizeof(*pm));
	const struct pml_map *last_map = NULL;
	struct pml_map *maps = NULL;
	int facts, nmaps;

	ASSERT_NE(NULL, pm);
	ASSERT_EQ(0, pml_pagemap(self->c.pid, s, np, pm));
	if (self->r->kind == K_THP && (pm[0] & PML_PRESENT))
		SKIP(free(pm); return, "a PMD leaf: no PTE table");
	/*
	 * The runs the module should send: pagemap-visible pages, split at
	 * three or more empty ones and at VMA boundaries; each run goes from
	 * its first to its last such page.
	 */
	nmaps = pml_maps(self->c.pid, &maps);
	ASSERT_LT(0, nmaps);
	for (i = 0; i < np; i++) {
		const struct pml_map *m = pml_maps_find(maps, nmaps, s + i * PAGE);
		bool full = pm[i] & (PML_PRESENT | PML_SWAP);

		if ((self->r->kind == K_GUARD || self->r->kind == K_POISON) &&
		    i >= 16 && i < 80)
			full = true;	/* markers: not in pagemap's bits */
		if (self->r->kind == K_UFFD_WP)
			full = true;	/* uffd-wp markers on the empty pages */
		if (!full) {
			gap++;
			continue;
		}
		/* a run never spans two VMAs or two PTE tables */
		if (!entries || gap >= 3 || m != last_map ||
		    (s + i * PAGE) / HUGE != (s + last * PAGE) / HUGE) {
			runs++;
			count_want += 1;
		} else {
			count_want += gap + 1;
		}
		last_map = m;
		last = i;
		gap = 0;
		entries++;
	}
	free(maps);
	for (facts = 0; facts < 2; facts++) {
		struct pts_session ss;
		const struct ptscope_rec_hdr *h;
		size_t bytes = 0, nrec = 0, count = 0, layouts = 0;
		char buf[64 * 1024];
		size_t have = 0, off;
		ssize_t n;
		int fd;

		ASSERT_EQ(0, pts_open(&ss, "records"));
		ASSERT_EQ(0, pts_request(&ss, "pid=%d range=0x%lx-0x%lx compact%s",
					 self->c.pid, s, e, facts ? " facts" : ""));
		fd = ss.fd;
		while ((n = read(fd, buf + have, sizeof(buf) - have)) > 0) {
			have += n;
			for (off = 0; have - off >= sizeof(*h);) {
				h = (const void *)(buf + off);
				if (have - off < h->size)
					break;
				if (h->type == PTSCOPE_REC_PTES) {
					const struct ptscope_ptes *p = (const void *)h;

					bytes += h->size;
					nrec++;
					count += p->count;
					EXPECT_EQ(facts ? PTSCOPE_PTES_FACTS : 0,
						  p->flags & PTSCOPE_PTES_FACTS);
				}
				layouts += h->type == PTSCOPE_REC_LAYOUT;
				off += h->size;
			}
			memmove(buf, buf + off, have - off);
			have -= off;
		}
		ASSERT_EQ(0, n) TH_LOG("read: %s", strerror(errno));
		pts_close(&ss);
		EXPECT_EQ(1, layouts);
		EXPECT_EQ(runs, nrec) TH_LOG("%s: %zu runs by pagemap, %zu PTES records",
					     facts ? "facts" : "plain", runs, nrec);
		/* each run: a 24-byte header, 8 (16) bytes per entry, gaps < 3 */
		EXPECT_EQ(nrec * sizeof(struct ptscope_ptes) + count * 8 * (facts + 1), bytes);
		EXPECT_EQ(count_want, count);
		fprintf(stderr, "# %s: %zu entries in %zu runs, %zu bytes: %.2f per entry\n",
			facts ? "compact facts" : "compact", entries, nrec, bytes,
			entries ? (double)bytes / entries : 0.0);
	}
	free(pm);
}

/*
 * Walks of one page: the session buffer is sized by the range, and the
 * first piece (the header, and a compact stream's 2 KiB layout) must fit
 * too.  It did not: a one-page compact walk wrote past a 2 KiB buffer
 * (caught by hardened usercopy as the record was read).
 */
TEST_F(compact, one_page_walks)
{
	static const char *const more[] = { "", " coalesce", " compact", " compact facts",
					     " compact coalesce" };
	unsigned long s = (unsigned long)self->r->p;
	struct ptw_walk w;
	char why[256];
	size_t i;

	for (i = 0; i < sizeof(more) / sizeof(more[0]); i++) {
		unsigned int fl = i == 1 ? PTW_COALESCE : i == 2 ? PTW_COMPACT :
				  i == 3 ? PTW_COMPACT | PTW_FACTS :
				  i == 4 ? PTW_COMPACT | PTW_COALESCE : 0;

		ASSERT_EQ(0, ptw_walk(self->c.pid, s, s + PAGE, fl, &w)) TH_LOG("%s", more[i]);
		EXPECT_EQ(0, w.status) TH_LOG("one page%s: %s", more[i], strerror(-w.status));
		EXPECT_EQ(0, ptw_check(&w, self->c.pid, why, sizeof(why)))
			TH_LOG("one page%s: %s", more[i], why);
		ptw_free(&w);
	}
}

/* Bad requests: refused with EINVAL, and the session still works after. */
TEST(compact_bad_requests)
{
	static const char *const bad[] = {
		"facts", "compact facts coalesce", "compact op=ptcost", "compact va=0x1000",
	};
	struct pts_session s;
	size_t i;

	if (access(PTSCOPE_DEBUGFS_DIR "/records", F_OK))
		SKIP(return, "ptscope module not loaded");
	ASSERT_EQ(0, pts_open(&s, "records"));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *req = bad[i];

		EXPECT_EQ(-EINVAL, pts_request(&s, "pid=%d %s", getpid(), req))
			TH_LOG("pid=N %s", req);
	}
	EXPECT_EQ(-EINVAL, pts_request(&s, "kernel compact"));
	EXPECT_EQ(0, pts_request(&s, "pid=%d compact", getpid()));
	pts_close(&s);
	/* the text view has no compact form */
	ASSERT_EQ(0, pts_open(&s, "walk"));
	EXPECT_EQ(-EINVAL, pts_request(&s, "pid=%d compact", getpid()));
	pts_close(&s);
}

TEST_HARNESS_MAIN
