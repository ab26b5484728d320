// SPDX-License-Identifier: GPL-2.0
/*
 * The walker against the kernel's own answers, one memory type per
 * variant: every page of a test region is compared with
 * /proc/PID/pagemap (present, frame, swap type/offset, soft-dirty,
 * exclusive, file), each frame's map count with /proc/kpagecount, every
 * VMA record with /proc/PID/maps, a few translations with pagemap and
 * /proc/kpageflags, and the coalesced walk with the plain one.  On top of
 * that each variant checks what its memory type must look like (THP: one
 * PMD leaf; PROT_NONE: protnone entries; swap: swap entries ...).
 *
 * Most regions live in a child that sets them up and then sleeps (the
 * walker reads another process); a few are in the test process itself,
 * walked with a range limited to the region.
 *
 * Also: the whole address space of a process against maps and pagemap,
 * fork + COW seen from both sides, and ptcost against VmPTE.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/kernel-page-flags.h>

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
#define THP_ENABLED	"/sys/kernel/mm/transparent_hugepage/enabled"
#define MTHP_64K	"/sys/kernel/mm/transparent_hugepage/hugepages-64kB/enabled"
#define THP_ZERO	"/sys/kernel/mm/transparent_hugepage/use_zero_page"
#define HUGE_2M		"/sys/kernel/mm/hugepages/hugepages-2048kB"
#define HUGE_1G		"/sys/kernel/mm/hugepages/hugepages-1048576kB"
#define SCRATCH		"/tmp/ptscope-walk-test"
#define FILE_PAGES	32

enum kind {
	K_ANON, K_FILE_PRIVATE, K_FILE_SHARED, K_MEMFD, K_SHARED_ANON, K_STACK,
	K_HEAP, K_THP, K_HUGE_ZERO, K_HUGETLB, K_HUGETLB_1G, K_ZERO, K_PROTNONE,
	K_SWAP, K_THP_PTE, K_MTHP,
};

/* What a page of the region must look like. */
enum expect {
	X_ANY,			/* only: agrees with pagemap */
	X_ABSENT,		/* never touched: no leaf at all */
	X_READ,			/* read: present */
	X_WRITTEN,		/* written: present, writable, dirty */
};

/* The region, in memory shared with the child that made it. */
struct region {
	unsigned long start, end;
	int sd_cleared;			/* clear_refs 4 worked before touching */
	unsigned long ino;		/* file kinds: st_ino */
	char path[256];
	char msg[256];			/* why setup failed */
	unsigned char expect[];		/* enum expect per page */
};

#define REGION_MAX_PAGES	(PML_PUD_SIZE / PAGE)
#define REGION_BYTES		(sizeof(struct region) + REGION_MAX_PAGES)

static void region_set(struct region *r, void *p, size_t npages)
{
	r->start = (unsigned long)p;
	r->end = r->start + npages * PAGE;
}

static int fail_errno(struct region *r, const char *what)
{
	int err = errno ? errno : EINVAL;

	snprintf(r->msg, sizeof(r->msg), "%s: %s", what, strerror(err));
	return err;
}

/*
 * N private anonymous pages between two PROT_NONE guard pages, so that no
 * later mapping (the test's own buffers, when the region is in the test
 * process) can merge with the region's VMA.
 */
static char *map_guarded(size_t n)
{
	char *p = mmap(NULL, (n + 2) * PML_PAGE, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return p;
	if (mprotect(p + PML_PAGE, n * PML_PAGE, PROT_READ | PROT_WRITE))
		return MAP_FAILED;
	return p + PML_PAGE;
}

static void write_page(char *p, size_t i)
{
	((volatile char *)p)[i * PAGE] = (char)(i + 1);
}

static void read_page(char *p, size_t i)
{
	(void)((volatile char *)p)[i * PAGE];
}

/* Clear soft-dirty bits (and VM_SOFTDIRTY) so that only later writes show. */
static int clear_soft_dirty(void)
{
	return pml_write_str("/proc/self/clear_refs", "4") ? 0 : 1;
}

/* ---- region setups, run in the target (child or self) ------------------ */

/* Private anonymous: every other page written after clearing soft-dirty. */
static int setup_anon(struct region *r, size_t n)
{
	char *p = map_guarded(n);
	size_t i;

	if (p == MAP_FAILED)
		return fail_errno(r, "mmap");
	r->sd_cleared = clear_soft_dirty();
	for (i = 0; i < n; i++) {
		if (i % 2 == 0)
			write_page(p, i);
		r->expect[i] = i % 2 ? X_ABSENT : X_WRITTEN;
	}
	region_set(r, p, n);
	return 0;
}

/* A file on the scratch ext4: pages 0-7 read, 8-11 written, rest untouched. */
static int setup_file(struct region *r, bool shared)
{
	struct stat st;
	size_t i;
	char *p;
	int fd;

	fd = open(r->path, O_RDWR);
	if (fd < 0)
		return fail_errno(r, "open");
	if (fstat(fd, &st))
		return fail_errno(r, "fstat");
	r->ino = st.st_ino;
	p = mmap(NULL, FILE_PAGES * PAGE, PROT_READ | PROT_WRITE,
		 shared ? MAP_SHARED : MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return fail_errno(r, "mmap");
	for (i = 0; i < FILE_PAGES; i++) {
		/* Fault-around may map untouched neighbours: X_ANY. */
		r->expect[i] = X_ANY;
		if (i < 8) {
			read_page(p, i);
			r->expect[i] = X_READ;
		} else if (i < 12) {
			write_page(p, i);
			r->expect[i] = X_WRITTEN;
		}
	}
	region_set(r, p, FILE_PAGES);
	return 0;
}

/* shmem: every other page written; shmem allocates on fault, so the rest stay empty. */
static int setup_shmem(struct region *r, size_t n, bool memfd)
{
	int fd = -1, flags = MAP_SHARED;
	size_t i;
	char *p;

	if (memfd) {
		fd = memfd_create("ptscope-walk", MFD_CLOEXEC);
		if (fd < 0)
			return fail_errno(r, "memfd_create");
		if (ftruncate(fd, n * PAGE))
			return fail_errno(r, "ftruncate");
	} else {
		flags |= MAP_ANONYMOUS;
	}
	p = mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE, flags, fd, 0);
	if (fd >= 0)
		close(fd);
	if (p == MAP_FAILED)
		return fail_errno(r, "mmap");
	for (i = 0; i < n; i++) {
		if (i % 2 == 0)
			write_page(p, i);
		r->expect[i] = i % 2 ? X_ABSENT : X_WRITTEN;
	}
	region_set(r, p, n);
	return 0;
}

/*
 * The main stack: a local array deep in this frame, every page written.
 * The frame must stay alive while the parent looks, so this serves the
 * parent's commands itself.
 */
static int __attribute__((noinline)) setup_stack(struct region *r)
{
	volatile char buf[48 * PAGE];
	unsigned long s = ((unsigned long)buf + PAGE - 1) & ~(PAGE - 1);
	unsigned long e = ((unsigned long)buf + sizeof(buf)) & ~(PAGE - 1);
	unsigned long a;
	size_t i = 0;

	for (a = s; a < e; a += PAGE, i++) {
		*(volatile char *)a = 1;
		r->expect[i] = X_WRITTEN;
	}
	r->start = s;
	r->end = e;
	pml_child_serve(0);
	return buf[0];
}

/* The brk heap, grown with sbrk: every other page of the new part written. */
static int setup_heap(struct region *r, size_t n)
{
	unsigned long cur = (unsigned long)sbrk(0);
	unsigned long s = (cur + PAGE - 1) & ~(PAGE - 1);
	size_t i;

	if (sbrk(s - cur + n * PAGE) == (void *)-1)
		return fail_errno(r, "sbrk");
	for (i = 0; i < n; i++) {
		if (i % 2 == 0)
			write_page((char *)s, i);
		r->expect[i] = i % 2 ? X_ABSENT : X_WRITTEN;
	}
	region_set(r, (void *)s, n);
	return 0;
}

/*
 * One 2 MiB aligned MADV_HUGEPAGE block, written: a THP if the kernel can;
 * only read (ZERO): the huge zero page.
 */
static int setup_thp(struct region *r, bool zero)
{
	size_t n = PML_PMD_SIZE / PAGE, i;
	char *p = mmap(NULL, 2 * PML_PMD_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return fail_errno(r, "mmap");
	p = (char *)(((unsigned long)p + PML_PMD_SIZE - 1) & ~(PML_PMD_SIZE - 1));
	if (madvise(p, PML_PMD_SIZE, MADV_HUGEPAGE))
		return fail_errno(r, "madvise(MADV_HUGEPAGE)");
	for (i = 0; i < n; i++) {
		if (zero) {
			read_page(p, i);
			r->expect[i] = X_READ;
		} else {
			write_page(p, i);
			r->expect[i] = X_WRITTEN;
		}
	}
	region_set(r, p, n);
	return 0;
}

/*
 * A THP mapped by PTEs: the block of setup_thp(), its second half made
 * read-only.  mprotect() splits the PMD (and the VMA), not the folio: all
 * 512 pages stay mapped, so nothing queues it for a deferred split, and
 * khugepaged cannot collapse a range two VMAs share.
 */
static int setup_thp_pte(struct region *r)
{
	size_t n = PML_PMD_SIZE / PAGE, i;
	int ret = setup_thp(r, false);

	if (ret)
		return ret;
	if (mprotect((char *)r->start + PML_PMD_SIZE / 2, PML_PMD_SIZE / 2, PROT_READ))
		return fail_errno(r, "mprotect");
	/* 6.1 leaves the PTEs of a split clean (the folio keeps Dirty) */
	for (i = 0; i < n; i++)
		r->expect[i] = X_READ;
	return 0;
}

/*
 * Multi-size THP: 1 MiB of anonymous memory, 64K aligned, in a VMA that
 * cannot hold a PMD (it covers no aligned 2 MiB), written page by page:
 * 64K folios, mapped by PTEs, where the kernel has them and can.
 */
static int setup_mthp(struct region *r)
{
	size_t n = (1UL << 20) / PAGE, i;
	char *p = mmap(NULL, 2 * PML_PMD_SIZE, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return fail_errno(r, "mmap");
	p = (char *)(((unsigned long)p + PML_PMD_SIZE - 1) & ~(PML_PMD_SIZE - 1));
	p += PML_PMD_SIZE / 4;
	if (mprotect(p, n * PAGE, PROT_READ | PROT_WRITE))
		return fail_errno(r, "mprotect");
	for (i = 0; i < n; i++) {
		write_page(p, i);
		r->expect[i] = X_WRITTEN;
	}
	region_set(r, p, n);
	return 0;
}

static int setup_hugetlb(struct region *r, unsigned long size, int shift)
{
	size_t n = size / PAGE, i;
	char *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | (shift << MAP_HUGE_SHIFT),
		       -1, 0);

	if (p == MAP_FAILED)
		return fail_errno(r, "mmap(MAP_HUGETLB)");
	write_page(p, 0);
	for (i = 0; i < n; i++)
		r->expect[i] = X_WRITTEN;
	region_set(r, p, n);
	return 0;
}

/* Read-only faults on anonymous memory map the zero page; page 5 is written. */
static int setup_zero(struct region *r, size_t n)
{
	char *p = map_guarded(n);
	size_t i;

	if (p == MAP_FAILED)
		return fail_errno(r, "mmap");
	for (i = 0; i < n; i++) {
		if (i == 5) {
			write_page(p, i);
			r->expect[i] = X_WRITTEN;
		} else {
			read_page(p, i);
			r->expect[i] = X_READ;
		}
	}
	region_set(r, p, n);
	return 0;
}

/* Written, then mprotect(PROT_NONE): the entries stay, as protnone. */
static int setup_protnone(struct region *r, size_t n)
{
	char *p = map_guarded(n);
	size_t i;

	if (p == MAP_FAILED)
		return fail_errno(r, "mmap");
	for (i = 0; i < n; i++) {
		write_page(p, i);
		r->expect[i] = X_READ;	/* present, but no longer writable */
	}
	if (mprotect(p, n * PAGE, PROT_NONE))
		return fail_errno(r, "mprotect");
	region_set(r, p, n);
	return 0;
}

/* Written with distinct contents, then MADV_PAGEOUT to the zram swap. */
static int setup_swap(struct region *r, size_t n)
{
	char *p = map_guarded(n);
	size_t i, j;

	if (p == MAP_FAILED)
		return fail_errno(r, "mmap");
	for (i = 0; i < n; i++) {
		for (j = 0; j < 64; j++)
			p[i * PAGE + j * 64] = (char)(i * 7 + j);
		r->expect[i] = X_ANY;
	}
	if (madvise(p, n * PAGE, MADV_PAGEOUT))
		return fail_errno(r, "madvise(MADV_PAGEOUT)");
	region_set(r, p, n);
	return 0;
}

static int run_setup(struct region *r, enum kind kind)
{
	/* No THP behind our back, except where the variant wants one. */
	if (kind != K_THP && kind != K_HUGE_ZERO && kind != K_THP_PTE &&
	    kind != K_MTHP && prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0))
		return fail_errno(r, "prctl(PR_SET_THP_DISABLE)");
	switch (kind) {
	case K_ANON:		return setup_anon(r, 64);
	case K_FILE_PRIVATE:	return setup_file(r, false);
	case K_FILE_SHARED:	return setup_file(r, true);
	case K_MEMFD:		return setup_shmem(r, 64, true);
	case K_SHARED_ANON:	return setup_shmem(r, 64, false);
	case K_STACK:		return setup_stack(r);
	case K_HEAP:		return setup_heap(r, 64);
	case K_THP:		return setup_thp(r, false);
	case K_HUGE_ZERO:	return setup_thp(r, true);
	case K_HUGETLB:		return setup_hugetlb(r, PML_PMD_SIZE, 21);
	case K_HUGETLB_1G:	return setup_hugetlb(r, PML_PUD_SIZE, 30);
	case K_ZERO:		return setup_zero(r, 32);
	case K_PROTNONE:	return setup_protnone(r, 32);
	case K_SWAP:		return setup_swap(r, 256);
	case K_THP_PTE:		return setup_thp_pte(r);
	case K_MTHP:		return setup_mthp(r);
	}
	return EINVAL;
}

struct child_arg {
	struct region *r;
	enum kind kind;
};

static int child_fn(void *arg, int cmd)
{
	struct child_arg *a = arg;

	return cmd ? 0 : run_setup(a->r, a->kind);
}

/* ---- environment: scratch ext4, hugetlb pool, zram swap, THP mode ------- */

static int scratch_mount(void)
{
	if (pml_sh("mkdir -p " SCRATCH " && truncate -s 32M " SCRATCH ".img && "
		   "modprobe -q loop; modprobe -q ext4; "
		   "mkfs.ext4 -q -F " SCRATCH ".img >/dev/null 2>&1 && "
		   "mount -o loop " SCRATCH ".img " SCRATCH " 2>/dev/null"))
		return -1;
	return 0;
}

static void scratch_umount(void)
{
	pml_sh("umount " SCRATCH " 2>/dev/null; rm -f " SCRATCH ".img; rmdir " SCRATCH
	       " 2>/dev/null");
}

static int make_file(const char *path, size_t npages)
{
	char page[PAGE];
	size_t i;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return -errno;
	for (i = 0; i < npages; i++) {
		memset(page, 'a' + i % 26, sizeof(page));
		if (write(fd, page, sizeof(page)) != sizeof(page)) {
			close(fd);
			return -EIO;
		}
	}
	close(fd);
	return 0;
}

/* Make sure the pool at DIR has COUNT free pages; old size into *SAVED. */
static int hugetlb_reserve(const char *dir, long count, long *saved)
{
	char path[256], val[32];
	long free_pages;

	snprintf(path, sizeof(path), "%s/nr_hugepages", dir);
	*saved = pml_read_long(path);
	if (*saved < 0)
		return -1;
	snprintf(val, sizeof(val), "%ld", *saved + count);
	pml_write_str(path, val);
	snprintf(path, sizeof(path), "%s/free_hugepages", dir);
	free_pages = pml_read_long(path);
	return free_pages >= count ? 0 : -1;
}

static void hugetlb_restore(const char *dir, long saved)
{
	char path[256], val[32];

	snprintf(path, sizeof(path), "%s/nr_hugepages", dir);
	snprintf(val, sizeof(val), "%ld", saved);
	pml_write_str(path, val);
}

static bool zram_is_swap(void)
{
	return pml_sh("grep -q '^/dev/zram0 ' /proc/swaps") == 0;
}

static int zram_swapon(char *why, size_t len)
{
	if (access("/sys/block/zram0", F_OK) &&
	    pml_sh("modprobe zram num_devices=1 >/dev/null 2>&1")) {
		snprintf(why, len, "no zram: modprobe zram failed");
		return -1;
	}
	if (access("/sys/block/zram0/disksize", W_OK)) {
		snprintf(why, len, "no /sys/block/zram0");
		return -1;
	}
	if (zram_is_swap()) {
		snprintf(why, len, "zram0 is already a swap device");
		return -1;
	}
	pml_write_str("/sys/block/zram0/reset", "1");
	if (pml_write_str("/sys/block/zram0/disksize", "64M") ||
	    pml_sh("mkswap /dev/zram0 >/dev/null 2>&1") ||
	    pml_sh("swapon /dev/zram0 >/dev/null 2>&1") || !zram_is_swap()) {
		snprintf(why, len, "cannot make zram0 a swap device (mkswap/swapon)");
		pml_write_str("/sys/block/zram0/reset", "1");
		return -1;
	}
	return 0;
}

static void zram_swapoff(void)
{
	pml_sh("swapoff /dev/zram0 >/dev/null 2>&1");
	pml_write_str("/sys/block/zram0/reset", "1");
}

/* ---- the fixture ------------------------------------------------------ */

FIXTURE(region)
{
	struct region *r;
	struct pml_child child;
	pid_t pid;
	bool scratch, zram;
	char thp_saved[32];
	char mthp_saved[32];
	long huge_saved;
	const char *huge_dir;
};

FIXTURE_VARIANT(region)
{
	enum kind kind;
	bool self;		/* region in the test process itself */
};

FIXTURE_VARIANT_ADD(region, anon) { .kind = K_ANON };
FIXTURE_VARIANT_ADD(region, anon_self) { .kind = K_ANON, .self = true };
FIXTURE_VARIANT_ADD(region, file_private) { .kind = K_FILE_PRIVATE };
FIXTURE_VARIANT_ADD(region, file_shared) { .kind = K_FILE_SHARED };
FIXTURE_VARIANT_ADD(region, memfd) { .kind = K_MEMFD };
FIXTURE_VARIANT_ADD(region, shared_anon_self) { .kind = K_SHARED_ANON, .self = true };
FIXTURE_VARIANT_ADD(region, stack) { .kind = K_STACK };
FIXTURE_VARIANT_ADD(region, heap) { .kind = K_HEAP };
FIXTURE_VARIANT_ADD(region, thp) { .kind = K_THP };
FIXTURE_VARIANT_ADD(region, huge_zero_page) { .kind = K_HUGE_ZERO };
FIXTURE_VARIANT_ADD(region, hugetlb_2m) { .kind = K_HUGETLB };
FIXTURE_VARIANT_ADD(region, hugetlb_1g) { .kind = K_HUGETLB_1G };
FIXTURE_VARIANT_ADD(region, zero_page_self) { .kind = K_ZERO, .self = true };
FIXTURE_VARIANT_ADD(region, protnone) { .kind = K_PROTNONE };
FIXTURE_VARIANT_ADD(region, swap) { .kind = K_SWAP };
FIXTURE_VARIANT_ADD(region, thp_pte_mapped) { .kind = K_THP_PTE };
FIXTURE_VARIANT_ADD(region, mthp_64k) { .kind = K_MTHP };

static void region_cleanup(FIXTURE_DATA(region) *self)
{
	pml_child_stop(&self->child);
	if (self->zram)
		zram_swapoff();
	self->zram = false;
	if (self->huge_dir)
		hugetlb_restore(self->huge_dir, self->huge_saved);
	self->huge_dir = NULL;
	if (self->thp_saved[0])
		pml_write_str(THP_ENABLED, self->thp_saved);
	self->thp_saved[0] = '\0';
	if (self->mthp_saved[0])
		pml_write_str(MTHP_64K, self->mthp_saved);
	self->mthp_saved[0] = '\0';
	if (self->scratch)
		scratch_umount();
	self->scratch = false;
	if (self->r)
		munmap(self->r, REGION_BYTES);
	self->r = NULL;
}

/* Environment for the variant; a reason in WHY when it cannot be had. */
static int prepare_env(FIXTURE_DATA(region) *self, enum kind kind,
		       char *why, size_t len)
{
	char cur[32];

	switch (kind) {
	case K_FILE_PRIVATE:
	case K_FILE_SHARED:
		if (scratch_mount()) {
			snprintf(why, len, "cannot mount a scratch ext4 on a loop device");
			return -1;
		}
		self->scratch = true;
		snprintf(self->r->path, sizeof(self->r->path), SCRATCH "/data");
		if (make_file(self->r->path, FILE_PAGES)) {
			snprintf(why, len, "cannot write a file on the scratch ext4");
			return -1;
		}
		return 0;
	case K_MTHP:
		if (pml_sysfs_choice(MTHP_64K, cur, sizeof(cur))) {
			snprintf(why, len, "no multi-size THP (%s)", MTHP_64K);
			return -1;
		}
		if (strcmp(cur, "always")) {
			snprintf(self->mthp_saved, sizeof(self->mthp_saved), "%s", cur);
			if (pml_write_str(MTHP_64K, "always")) {
				snprintf(why, len, "cannot enable 64K mTHP");
				return -1;
			}
		}
		return 0;
	case K_THP:
	case K_THP_PTE:
	case K_HUGE_ZERO:
		if (pml_sysfs_choice(THP_ENABLED, cur, sizeof(cur))) {
			snprintf(why, len, "no transparent hugepages (%s)", THP_ENABLED);
			return -1;
		}
		if (!strcmp(cur, "never")) {
			snprintf(self->thp_saved, sizeof(self->thp_saved), "%s", cur);
			if (pml_write_str(THP_ENABLED, "madvise")) {
				snprintf(why, len, "cannot set THP to madvise");
				return -1;
			}
		}
		return 0;
	case K_HUGETLB:
	case K_HUGETLB_1G:
		self->huge_dir = kind == K_HUGETLB ? HUGE_2M : HUGE_1G;
		if (access(self->huge_dir, F_OK)) {
			snprintf(why, len, "no %s hugetlb pool", kind == K_HUGETLB ? "2M" : "1G");
			self->huge_dir = NULL;
			return -1;
		}
		if (hugetlb_reserve(self->huge_dir, 1, &self->huge_saved)) {
			snprintf(why, len, "could not reserve a %s huge page at run time%s",
				 kind == K_HUGETLB ? "2M" : "1G", kind == K_HUGETLB ? "" :
				 " (boot with --mem 4096 --append 'hugepagesz=1G hugepages=1')");
			return -1;
		}
		return 0;
	case K_SWAP:
		if (zram_swapon(why, len))
			return -1;
		self->zram = true;
		return 0;
	default:
		return 0;
	}
}

FIXTURE_SETUP(region)
{
	char why[512] = "";
	int ret;

	memset(self, 0, sizeof(*self));
	self->child.pid = -1;
	self->child.cmd_fd = self->child.ack_fd = -1;
	if (access(PTSCOPE_DEBUGFS_DIR "/records", F_OK))
		SKIP(return, "ptscope module not loaded");
	self->r = mmap(NULL, REGION_BYTES, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->r);
	if (prepare_env(self, variant->kind, why, sizeof(why))) {
		region_cleanup(self);
		SKIP(return, "%s", why);
	}
	if (variant->self) {
		self->pid = getpid();
		ret = run_setup(self->r, variant->kind);
	} else {
		static struct child_arg arg;

		arg.r = self->r;
		arg.kind = variant->kind;
		ret = pml_child_start(&self->child, child_fn, &arg);
		self->pid = self->child.pid;
	}
	if (ret && variant->kind == K_HUGETLB_1G) {
		snprintf(why, sizeof(why), "1G hugetlb mapping failed: %s", self->r->msg);
		region_cleanup(self);
		SKIP(return, "%s", why);
	}
	ASSERT_EQ(0, ret) TH_LOG("region setup failed: %s", self->r->msg);
}

FIXTURE_TEARDOWN(region)
{
	region_cleanup(self);
}

/* Pages of the region whose expectation is one of the touched kinds. */
static int touched_pages(const struct region *r, size_t npages, size_t out[3])
{
	size_t i, n = 0, first = 0, last = 0;

	for (i = 0; i < npages; i++) {
		if (r->expect[i] != X_READ && r->expect[i] != X_WRITTEN)
			continue;
		if (!n++)
			first = i;
		last = i;
	}
	if (!n)
		return 0;
	out[0] = first;
	out[2] = last;
	/* a touched page near the middle */
	for (i = (first + last) / 2; i <= last; i++)
		if (r->expect[i] == X_READ || r->expect[i] == X_WRITTEN)
			break;
	out[1] = i;
	return 3;
}

/* Backing and VMA flags the variant's region must have. */
static void check_region_vma(struct __test_metadata *_metadata,
			     const struct ptw_walk *w, const struct region *r,
			     enum kind kind)
{
	static const unsigned int backing[] = {
		[K_ANON] = PTSCOPE_BACK_ANON, [K_FILE_PRIVATE] = PTSCOPE_BACK_FILE,
		[K_FILE_SHARED] = PTSCOPE_BACK_FILE, [K_MEMFD] = PTSCOPE_BACK_SHMEM,
		[K_SHARED_ANON] = PTSCOPE_BACK_SHMEM, [K_STACK] = PTSCOPE_BACK_STACK,
		[K_HEAP] = PTSCOPE_BACK_HEAP, [K_THP] = PTSCOPE_BACK_ANON,
		[K_HUGE_ZERO] = PTSCOPE_BACK_ANON,
		[K_HUGETLB] = PTSCOPE_BACK_HUGETLB, [K_HUGETLB_1G] = PTSCOPE_BACK_HUGETLB,
		[K_ZERO] = PTSCOPE_BACK_ANON, [K_PROTNONE] = PTSCOPE_BACK_ANON,
		[K_SWAP] = PTSCOPE_BACK_ANON, [K_THP_PTE] = PTSCOPE_BACK_ANON,
		[K_MTHP] = PTSCOPE_BACK_ANON,
	};
	const struct ptscope_vma *v = ptw_vma_at(w, r->start);
	bool shared = kind == K_FILE_SHARED || kind == K_MEMFD || kind == K_SHARED_ANON;

	ASSERT_NE(NULL, v) TH_LOG("no VMA record covers 0x%lx", r->start);
	/* mprotect() split the PTE-mapped THP's block into two VMAs */
	EXPECT_TRUE(v->start <= r->start &&
		    v->end >= (kind == K_THP_PTE ? (r->start + r->end) / 2 : r->end))
		TH_LOG("VMA 0x%llx-0x%llx does not cover the region 0x%lx-0x%lx",
		       (unsigned long long)v->start, (unsigned long long)v->end,
		       r->start, r->end);
	EXPECT_STREQ(pts_backing_name(backing[kind]), pts_backing_name(v->backing));
	EXPECT_EQ(shared, !!(v->flags & PTSCOPE_VMA_SHARED));
	switch (kind) {
	case K_FILE_PRIVATE:
	case K_FILE_SHARED:
		EXPECT_EQ(r->ino, v->ino);
		EXPECT_STREQ(r->path, v->name);
		break;
	case K_MEMFD:
		EXPECT_EQ(0, strncmp(v->name, "/memfd:ptscope-walk", 19))
			TH_LOG("memfd VMA named '%s'", v->name);
		break;
	case K_HUGETLB:
		EXPECT_EQ(PML_PMD_SIZE, v->pagesize);
		break;
	case K_HUGETLB_1G:
		EXPECT_EQ(PML_PUD_SIZE, v->pagesize);
		break;
	case K_THP:
	case K_HUGE_ZERO:
		EXPECT_TRUE(v->flags & PTSCOPE_VMA_HUGEPAGE);
		EXPECT_EQ(PAGE, v->pagesize);
		break;
	case K_PROTNONE:
		EXPECT_EQ(0, v->flags & (PTSCOPE_VMA_READ | PTSCOPE_VMA_WRITE |
					 PTSCOPE_VMA_EXEC));
		break;
	case K_ANON:
		if (r->sd_cleared) {
			EXPECT_EQ(0, v->flags & PTSCOPE_VMA_SOFTDIRTY)
				TH_LOG("VM_SOFTDIRTY still set after clear_refs");
		}
		break;
	default:
		EXPECT_EQ(PAGE, v->pagesize);
		break;
	}
}

/* What each touched/untouched page must look like for this memory type. */
static void check_pages(struct __test_metadata *_metadata, const struct ptw_walk *w,
			const struct region *r, enum kind kind)
{
	size_t npages = (r->end - r->start) / PAGE, i, swapped = 0;
	struct ptw_page *pg = calloc(npages, sizeof(*pg));
	uint64_t zero_pfn = 0, kf;
	long bad = 0;

	ASSERT_NE(NULL, pg);
	ptw_expand(w, r->start, npages, pg);
	for (i = 0; i < npages; i++) {
		const struct ptw_page *p = &pg[i];
		unsigned long va = r->start + i * PAGE;
		uint64_t f = p->flags;
		char fs[512];
		const char *err = NULL;

		pts_flags_str(f, fs, sizeof(fs));
		if (r->expect[i] == X_ABSENT && p->leaf >= 0)
			err = "untouched page has a leaf";
		if ((r->expect[i] == X_READ || r->expect[i] == X_WRITTEN) &&
		    (p->leaf < 0 || !(f & PTSCOPE_F_PFN_VALID) || (f & PTW_NONPRESENT)))
			err = "touched page not mapped";
		if (!err && r->expect[i] == X_WRITTEN && kind != K_PROTNONE &&
		    (!(f & PTSCOPE_F_PRESENT) || !(f & PTSCOPE_F_WRITE) ||
		     !(f & PTSCOPE_F_RW) || !(f & PTSCOPE_F_DIRTY) ||
		     !(f & PTSCOPE_F_USER)))
			err = "written page not present+user+rw+write+dirty";
		if (!err && p->leaf >= 0 && !(f & PTW_NONPRESENT)) {
			switch (kind) {
			case K_ANON:
			case K_STACK:
			case K_HEAP:
			case K_THP:
			case K_THP_PTE:
			case K_MTHP:
			case K_HUGETLB:
			case K_HUGETLB_1G:
				if (!(f & PTSCOPE_F_ANON_PAGE) || (f & PTSCOPE_F_FILE_PAGE))
					err = "not an anonymous page";
				else if (!(f & PTSCOPE_F_EXCLUSIVE) || p->mapcount != 1)
					err = "written private page not exclusive";
				else if (kind == K_ANON && r->sd_cleared &&
					 !(f & PTSCOPE_F_SOFT_DIRTY))
					err = "written after clear_refs but not soft-dirty";
				break;
			case K_FILE_PRIVATE:
				if (r->expect[i] == X_WRITTEN ? !(f & PTSCOPE_F_ANON_PAGE) :
				    !(f & PTSCOPE_F_FILE_PAGE))
					err = "private file page: read ones are page cache, written ones anonymous copies";
				else if (r->expect[i] == X_READ && (f & PTSCOPE_F_WRITE))
					err = "read-only private file page mapped writable";
				break;
			case K_FILE_SHARED:
			case K_MEMFD:
			case K_SHARED_ANON:
				if (!(f & PTSCOPE_F_FILE_PAGE) || (f & PTSCOPE_F_ANON_PAGE))
					err = "shared mapping page is not a page-cache page";
				break;
			case K_ZERO:
				if (r->expect[i] == X_READ) {
					if (!(f & PTSCOPE_F_ZERO_PAGE) || (f & PTSCOPE_F_WRITE) ||
					    (f & (PTSCOPE_F_ANON_PAGE | PTSCOPE_F_FILE_PAGE)))
						err = "read fault did not map the zero page read-only";
					else if (zero_pfn && p->pfn != zero_pfn)
						err = "zero page frames differ";
					zero_pfn = p->pfn;
				} else if (!(f & PTSCOPE_F_ANON_PAGE) || (f & PTSCOPE_F_ZERO_PAGE)) {
					err = "written page still the zero page";
				}
				break;
			case K_PROTNONE:
				if (!(f & PTSCOPE_F_PROTNONE) || (f & PTSCOPE_F_PRESENT) ||
				    (f & PTSCOPE_F_NUMA_HINT) || (f & PTSCOPE_F_WRITE))
					err = "PROT_NONE entry not protnone/!present/!numa-hint/!write";
				break;
			case K_HUGE_ZERO:
				/* not anon, not writable; pagemap says "file" too */
				if ((f & (PTSCOPE_F_WRITE | PTSCOPE_F_ANON_PAGE |
					  PTSCOPE_F_EXCLUSIVE)) || p->mapcount)
					err = "huge zero page mapped writable, anon or counted";
				break;
			case K_SWAP:
				break;
			}
		}
		if (!err && (f & PTSCOPE_F_SWAP)) {
			swapped++;
			if (kind != K_SWAP)
				err = "unexpected swap entry";
		}
		if (!err)
			continue;
		if (bad++ < 5)
			TH_LOG("page %zu va 0x%lx (level %u pfn 0x%llx %s): %s", i, va,
			       p->level, (unsigned long long)p->pfn, fs, err);
	}
	EXPECT_EQ(0, bad);

	switch (kind) {
	case K_ZERO:
		ASSERT_NE(0, zero_pfn);
		ASSERT_EQ(0, pml_kpageflags(zero_pfn, &kf));
		EXPECT_TRUE(kf & (1ULL << KPF_ZERO_PAGE))
			TH_LOG("pfn 0x%llx is not the zero page per kpageflags (0x%llx)",
			       (unsigned long long)zero_pfn, (unsigned long long)kf);
		break;
	case K_SWAP:
		EXPECT_LT(0, swapped);
		break;
	case K_THP_PTE:
	case K_MTHP: {
		/* PTEs, each frame page i % folio pages of its folio */
		unsigned int order = kind == K_MTHP ? 4 : 9;

		for (i = 0, bad = 0; i < npages; i++) {
			const struct ptscope_leaf *l = pg[i].leaf < 0 ? NULL :
						       &w->leaves[pg[i].leaf];

			if (!l || l->level != PTSCOPE_LVL_PTE ||
			    !(l->flags & PTSCOPE_F_FOLIO) || l->folio_order != order ||
			    l->pfn - l->folio_pfn != i % (1U << order)) {
				if (bad++ < 5)
					TH_LOG("page %zu: not page %zu of a %uK folio mapped by a PTE",
					       i, i % (1U << order), 4U << order);
			}
		}
		EXPECT_EQ(0, bad);
		break;
	}
	case K_THP:
	case K_HUGE_ZERO:
	case K_HUGETLB:
	case K_HUGETLB_1G: {
		unsigned int level = kind == K_HUGETLB_1G ? PTSCOPE_LVL_PUD : PTSCOPE_LVL_PMD;
		const struct ptscope_leaf *l;

		/* One leaf record covering the whole region. */
		ASSERT_LE(0, pg[0].leaf);
		l = &w->leaves[pg[0].leaf];
		EXPECT_EQ(level, l->level);
		EXPECT_EQ(r->start, l->va);
		EXPECT_EQ(1, l->count);
		EXPECT_TRUE(l->flags & PTSCOPE_F_PSE);
		EXPECT_EQ(0, l->pfn % (pts_level_size(level) / PAGE));
		EXPECT_EQ(pg[0].leaf, pg[npages - 1].leaf);
		ASSERT_EQ(0, pml_kpageflags(l->pfn, &kf));
		if (kind == K_THP) {
			EXPECT_TRUE(kf & (1ULL << KPF_THP))
				TH_LOG("kpageflags 0x%llx: not a THP", (unsigned long long)kf);
		} else if (kind == K_HUGE_ZERO) {
			/* kpageflags says it is the (huge) zero page: so must we. */
			EXPECT_TRUE(kf & (1ULL << KPF_ZERO_PAGE));
			EXPECT_TRUE(l->flags & PTSCOPE_F_ZERO_PAGE)
				TH_LOG("the huge zero page at pfn 0x%llx is not flagged zero-page",
				       (unsigned long long)l->pfn);
			EXPECT_FALSE(l->flags & (PTSCOPE_F_FILE_PAGE | PTSCOPE_F_ANON_PAGE |
						 PTSCOPE_F_EXCLUSIVE | PTSCOPE_F_WRITE));
		} else {
			EXPECT_TRUE(kf & (1ULL << KPF_HUGE))
				TH_LOG("kpageflags 0x%llx: not hugetlb", (unsigned long long)kf);
		}
		break;
	}
	default:
		break;
	}
	free(pg);
}

/* Translate the first, a middle and the last touched page against pagemap. */
static void check_translations(struct __test_metadata *_metadata,
			       const struct ptw_walk *w, const struct region *r,
			       pid_t pid, const struct pml_map *maps, int nmaps)
{
	size_t npages = (r->end - r->start) / PAGE, idx[3];
	int n = touched_pages(r, npages, idx), i;
	struct ptw_page pg;

	if (!n) {
		/* swap: the first, middle and last page */
		idx[0] = 0;
		idx[1] = npages / 2;
		idx[2] = npages - 1;
		n = 3;
	}
	for (i = 0; i < n; i++) {
		unsigned long va = r->start + idx[i] * PAGE + 0x123;
		const struct pml_map *m = pml_maps_find(maps, nmaps, va);
		struct ptw_xlate x;
		char why[256] = "";
		uint64_t pm;

		ASSERT_EQ(0, ptw_translate(pid, va, &x));
		EXPECT_EQ(0, ptw_check_xlate(&x, pid, va, why, sizeof(why)))
			TH_LOG("%s", why);
		ASSERT_EQ(0, pml_pagemap(pid, va & ~(PAGE - 1), 1, &pm));
		ptw_expand(w, va & ~(PAGE - 1), 1, &pg);
		ASSERT_NE(NULL, m);
		EXPECT_EQ(m->start, x.x.vma_start);
		EXPECT_EQ(m->end, x.x.vma_end);
		if (pm & PML_PRESENT) {
			EXPECT_EQ(PTSCOPE_STOP_OK, x.x.stop)
				TH_LOG("va 0x%lx present in pagemap, translate stops: %s",
				       va, pts_stop_name(x.x.stop));
			EXPECT_EQ(pml_pfn(pm), x.x.pa >> 12)
				TH_LOG("va 0x%lx: translate pa 0x%llx, pagemap pfn 0x%llx", va,
				       (unsigned long long)x.x.pa,
				       (unsigned long long)pml_pfn(pm));
			EXPECT_EQ(0x123, x.x.pa & (PAGE - 1));
			EXPECT_EQ(pg.level, x.x.stop_level);
		} else if (pm & PML_SWAP) {
			EXPECT_EQ(PTSCOPE_STOP_SWAP, x.x.stop);
			EXPECT_EQ(pml_swap_type(pm), x.x.leaf.swap_type);
			EXPECT_EQ(pml_swap_offset(pm), x.x.leaf.swap_offset);
		} else {
			EXPECT_NE(PTSCOPE_STOP_OK, x.x.stop);
		}
	}
}

/* The coalesced walk expands to the same pages as the plain one. */
static void check_coalesced(struct __test_metadata *_metadata,
			    const struct ptw_walk *w, const struct region *r, pid_t pid)
{
	size_t npages = (r->end - r->start) / PAGE, i;
	struct ptw_page *a = calloc(npages, sizeof(*a));
	struct ptw_page *b = calloc(npages, sizeof(*b));
	struct ptw_walk c;
	char why[256] = "";
	long bad = 0;

	ASSERT_TRUE(a && b);
	ASSERT_EQ(0, ptw_walk(pid, r->start, r->end, PTW_COALESCE, &c));
	EXPECT_EQ(0, ptw_check(&c, pid, why, sizeof(why))) TH_LOG("%s", why);
	EXPECT_EQ(PTSCOPE_REQ_COALESCE, c.hdr.flags);
	EXPECT_LE(c.nleaves, w->nleaves);
	EXPECT_EQ(w->end.entries, c.end.entries);
	ptw_expand(w, r->start, npages, a);
	ptw_expand(&c, r->start, npages, b);
	for (i = 0; i < npages; i++) {
		bool same = (a[i].leaf < 0) == (b[i].leaf < 0);

		if (same && a[i].leaf >= 0)
			same = a[i].flags == b[i].flags && a[i].level == b[i].level &&
			       (!(a[i].flags & PTSCOPE_F_PFN_VALID) || a[i].pfn == b[i].pfn) &&
			       (!(a[i].flags & PTSCOPE_F_SWAP) ||
				(a[i].swap_type == b[i].swap_type &&
				 a[i].swap_offset == b[i].swap_offset));
		if (!same && bad++ < 5)
			TH_LOG("page 0x%lx: plain pfn 0x%llx flags 0x%llx, coalesced pfn 0x%llx flags 0x%llx",
			       r->start + i * PAGE, (unsigned long long)a[i].pfn,
			       (unsigned long long)a[i].flags, (unsigned long long)b[i].pfn,
			       (unsigned long long)b[i].flags);
	}
	EXPECT_EQ(0, bad);
	ptw_free(&c);
	free(a);
	free(b);
}

TEST_F_TIMEOUT(region, matches_kernel, 120)
{
	const struct region *r = self->r;
	size_t npages = (r->end - r->start) / PAGE, i;
	struct pml_map *maps = NULL;
	struct ptw_walk w;
	char why[256] = "";
	int nmaps;

	ASSERT_LT(r->start, r->end);
	if (variant->kind == K_MTHP) {
		uint64_t pm = 0, kf = 0;

		/* The kernel's word: the first page heads a 64K folio. */
		ASSERT_EQ(0, pml_pagemap(self->pid, r->start, 1, &pm));
		if (!(pm & PML_PRESENT) || pml_kpageflags(pml_pfn(pm), &kf) ||
		    !(kf & (1ULL << KPF_COMPOUND_HEAD)))
			SKIP(return, "the kernel gave no 64K folio (kpageflags 0x%llx)",
			     (unsigned long long)kf);
	}
	if (variant->kind == K_THP || variant->kind == K_THP_PTE) {
		uint64_t pm = 0, kf = 0;

		/* The kernel's word: pagemap's frame is a THP in kpageflags. */
		ASSERT_EQ(0, pml_pagemap(self->pid, r->start, 1, &pm));
		if (!(pm & PML_PRESENT) || pml_kpageflags(pml_pfn(pm), &kf) ||
		    !(kf & (1ULL << KPF_THP)))
			SKIP(return, "the kernel did not give a THP (AnonHugePages %ld kB)",
			     pml_smaps_rollup_kb(self->pid, "AnonHugePages"));
	}
	if (variant->kind == K_HUGE_ZERO) {
		uint64_t pm[2] = { 0 }, kf = 0;

		/* Huge zero page: a zero page in kpageflags, frames contiguous. */
		ASSERT_EQ(0, pml_pagemap(self->pid, r->start, 2, pm));
		if (!(pm[0] & PML_PRESENT) || pml_kpageflags(pml_pfn(pm[0]), &kf) ||
		    !(kf & (1ULL << KPF_ZERO_PAGE)) || pml_pfn(pm[1]) != pml_pfn(pm[0]) + 1)
			SKIP(return, "the kernel did not map the huge zero page (%s = %ld)",
			     THP_ZERO, pml_read_long(THP_ZERO));
	}
	if (variant->kind == K_SWAP) {
		uint64_t *pm = calloc(npages, sizeof(*pm));
		size_t swapped = 0;

		ASSERT_NE(NULL, pm);
		ASSERT_EQ(0, pml_pagemap(self->pid, r->start, npages, pm));
		for (i = 0; i < npages; i++)
			swapped += !!(pm[i] & PML_SWAP);
		free(pm);
		if (!swapped)
			SKIP(return, "MADV_PAGEOUT swapped nothing out (pagemap)");
		TH_LOG("%zu of %zu pages swapped out", swapped, npages);
	}

	ASSERT_EQ(0, ptw_walk(self->pid, r->start, r->end, 0, &w));
	EXPECT_EQ(0, ptw_check(&w, self->pid, why, sizeof(why))) TH_LOG("%s", why);
	EXPECT_EQ(r->start, w.hdr.start);
	EXPECT_EQ(r->end, w.hdr.end);
	EXPECT_EQ(0, w.hdr.flags);

	/*
	 * Every page against pagemap, every frame against kpagecount, every
	 * present leaf's folio against kpageflags.
	 */
	EXPECT_EQ(0, ptw_compare_pagemap(&w, self->pid, r->start, npages));
	EXPECT_EQ(0, ptw_compare_kpagecount(&w, r->start, r->end));
	EXPECT_EQ(0, ptw_compare_folios(&w, r->start, r->end, NULL));

	/* Every VMA record against maps. */
	nmaps = pml_maps(self->pid, &maps);
	ASSERT_LT(0, nmaps);
	for (i = 0; i < w.nvmas; i++) {
		const struct pml_map *m = pml_maps_find(maps, nmaps, w.vmas[i].start);

		ASSERT_NE(NULL, m) TH_LOG("VMA 0x%llx not in maps",
					  (unsigned long long)w.vmas[i].start);
		EXPECT_EQ(0, ptw_compare_vma(&w.vmas[i], m, why, sizeof(why)))
			TH_LOG("%s", why);
	}
	check_region_vma(_metadata, &w, r, variant->kind);
	check_pages(_metadata, &w, r, variant->kind);
	check_translations(_metadata, &w, r, self->pid, maps, nmaps);
	check_coalesced(_metadata, &w, r, self->pid);
	free(maps);
	ptw_free(&w);
}

/* ---- a whole process -------------------------------------------------- */

static unsigned long task_size(void)
{
	return ptw_probe_paging_levels() == 5 ? (1UL << 56) - PAGE : (1UL << 47) - PAGE;
}

/*
 * Walk all of PID and compare every VMA with maps, every page with pagemap
 * and every frame with kpagecount; the number of disagreements.  Report
 * them through EXPECT when _METADATA is set, else quietly.
 */
static long whole_pass(struct __test_metadata *_metadata, pid_t pid)
{
	struct pml_map *maps = NULL;
	unsigned long top = task_size();
	struct ptw_walk w;
	char why[256] = "";
	long bad = 0, d;
	int n, j, user = 0;
	size_t i;

	if (ptw_walk(pid, 0, top, 0, &w))
		return 1;
	n = pml_maps(pid, &maps);
	if (n <= 0) {
		ptw_free(&w);
		return 1;
	}
	if (ptw_check(&w, pid, why, sizeof(why))) {
		bad++;
		if (_metadata)
			TH_LOG("%s", why);
	}
	for (j = 0; j < n; j++) {
		const struct ptscope_vma *v = NULL;

		if (maps[j].start >= top)
			continue;	/* [vsyscall] */
		user++;
		for (i = 0; i < w.nvmas; i++)
			if (w.vmas[i].start == maps[j].start)
				v = &w.vmas[i];
		if (!v) {
			bad++;
			if (_metadata)
				TH_LOG("maps 0x%lx-0x%lx %s: no VMA record",
				       maps[j].start, maps[j].end, maps[j].name);
			continue;
		}
		if (ptw_compare_vma(v, &maps[j], why, sizeof(why))) {
			bad++;
			if (_metadata)
				TH_LOG("%s", why);
		}
		d = ptw_compare_pagemap(&w, pid, maps[j].start,
					(maps[j].end - maps[j].start) / PAGE);
		if (d) {
			bad += d < 0 ? 1 : d;
			if (_metadata)
				TH_LOG("%ld pages of %s disagree with pagemap", d,
				       maps[j].name);
		}
	}
	if ((size_t)user != w.nvmas) {
		bad++;
		if (_metadata)
			TH_LOG("%d mappings in maps, %zu VMA records", user, w.nvmas);
	}
	d = ptw_compare_kpagecount(&w, 0, top);
	if (d) {
		bad += d < 0 ? 1 : d;
		if (_metadata)
			TH_LOG("%ld frames disagree with kpagecount", d);
	}
	d = ptw_compare_folios(&w, 0, top, NULL);
	if (d) {
		bad += d < 0 ? 1 : d;
		if (_metadata)
			TH_LOG("%ld leaves' folios disagree with kpageflags", d);
	}
	free(maps);
	ptw_free(&w);
	return bad;
}

/*
 * Every VMA of a live process (/bin/sleep: binary, libraries, heap,
 * stack, vdso, vvar) has one record equal to its maps line, and every
 * page of every VMA agrees with pagemap and kpagecount.
 *
 * Library pages are shared with the test itself, which maps more of libc
 * (fault-around) the first time it runs a code path: a first, silent pass
 * settles that, the second one is the test.
 */
TEST(whole_process)
{
	struct pml_child c;

	if (access(PTSCOPE_DEBUGFS_DIR "/records", F_OK))
		SKIP(return, "ptscope module not loaded");
	ASSERT_EQ(0, pml_spawn_sleeper(&c));
	ptw_verbose = 0;
	whole_pass(NULL, c.pid);
	ptw_verbose = 1;
	EXPECT_EQ(0, whole_pass(_metadata, c.pid));
	pml_child_stop(&c);
}

/* ---- page-table isolation --------------------------------------------- */

/*
 * With PTI the CPU runs user code on the user copy of the top level; the
 * kernel copy marks user entries NX so that the kernel never executes
 * user code.  translate shows the user copy, the kernel copy beside it,
 * and ptw_check_xlate() follows the chain from the user copy's address.
 */
TEST(pti_translate_shows_user_copy)
{
	static const char code[] = { 0xc3 };	/* an executable page: ret */
	struct ptw_xlate x;
	char why[256] = "";
	char *p;

	if (access(PTSCOPE_DEBUGFS_DIR "/records", F_OK))
		SKIP(return, "ptscope module not loaded");
	if (pml_pti_enabled() != 1)
		SKIP(return, "no page-table isolation in this boot (pti=on is set in one make check run)");
	p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE | PROT_EXEC,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	memcpy(p, code, sizeof(code));
	ASSERT_EQ(0, ptw_translate(getpid(), (unsigned long)p, &x));
	EXPECT_EQ(0, ptw_check_xlate(&x, getpid(), (unsigned long)p, why, sizeof(why)))
		TH_LOG("%s", why);
	ASSERT_NE(0, x.hdr.user_pgd_pa);
	EXPECT_EQ(x.hdr.pgd_pa + PAGE, x.hdr.user_pgd_pa);
	ASSERT_LT(0, x.nlv);
	EXPECT_TRUE(x.lv[0].xflags & PTSCOPE_XLATE_PTI_USER);
	EXPECT_EQ(x.hdr.user_pgd_pa, x.lv[0].table_pa);
	EXPECT_FALSE(x.lv[0].flags & PTSCOPE_F_NX)
		TH_LOG("user copy 0x%llx is NX: user code could not run",
		       (unsigned long long)x.lv[0].entry);
	EXPECT_TRUE(x.lv[0].kernel_entry & (1ULL << 63))
		TH_LOG("kernel copy 0x%llx lacks NX", (unsigned long long)x.lv[0].kernel_entry);
	EXPECT_EQ(PTSCOPE_STOP_OK, x.x.stop);
	munmap(p, PAGE);
}

/* ---- fork + COW ------------------------------------------------------- */

#define COW_PAGES	32

struct cow_view {
	uint64_t pfn, flags, pm, kpc, entry;
	uint32_t mapcount;
	int has;
};

/* Walk PID's [START, +COW_PAGES) into V; 0 or -1. */
static int cow_snapshot(pid_t pid, unsigned long start, struct cow_view *v, char *why,
			size_t len)
{
	struct ptw_page pg[COW_PAGES];
	uint64_t pm[COW_PAGES];
	struct ptw_walk w;
	int i;

	if (ptw_walk(pid, start, start + COW_PAGES * PAGE, 0, &w) ||
	    ptw_check(&w, pid, why, len) ||
	    ptw_compare_pagemap(&w, pid, start, COW_PAGES) ||
	    ptw_compare_kpagecount(&w, start, start + COW_PAGES * PAGE) ||
	    pml_pagemap(pid, start, COW_PAGES, pm)) {
		if (!why[0])
			snprintf(why, len, "walk of %d disagrees with pagemap/kpagecount", pid);
		ptw_free(&w);
		return -1;
	}
	ptw_expand(&w, start, COW_PAGES, pg);
	for (i = 0; i < COW_PAGES; i++) {
		v[i].has = pg[i].leaf >= 0;
		v[i].pfn = pg[i].pfn;
		v[i].flags = pg[i].flags;
		v[i].entry = pg[i].entry;
		v[i].mapcount = pg[i].mapcount;
		v[i].pm = pm[i];
		if (pml_kpagecount(pg[i].pfn, &v[i].kpc))
			v[i].kpc = ~0ULL;
	}
	ptw_free(&w);
	return 0;
}

/*
 * The child walks its parent and itself.  Before a write both map the
 * same frame (map count 2, not exclusive, read-only); after the child
 * writes even pages those frames differ and are exclusive on both sides
 * (map count 1), odd pages stay shared.  Map counts agree with
 * /proc/kpagecount throughout (checked inside cow_snapshot).
 */
TEST(fork_cow)
{
	struct cow_view (*v)[2][COW_PAGES];
	pid_t parent = getpid(), child;
	char *p;
	int i, st;

	if (access(PTSCOPE_DEBUGFS_DIR "/records", F_OK))
		SKIP(return, "ptscope module not loaded");
	ASSERT_EQ(0, prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0));
	v = mmap(NULL, sizeof(*v) * 2, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, v);
	p = mmap(NULL, COW_PAGES * PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	for (i = 0; i < COW_PAGES; i++)
		write_page(p, i);

	child = fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		char why[256] = "";
		int ret = 0;

		/* v[0]: before the child writes; v[1]: after. [0]=parent [1]=child */
		if (cow_snapshot(parent, (unsigned long)p, v[0][0], why, sizeof(why)) ||
		    cow_snapshot(getpid(), (unsigned long)p, v[0][1], why, sizeof(why)))
			ret = 1;
		for (i = 0; i < COW_PAGES; i += 2)
			((volatile char *)p)[i * PAGE] = 'c';
		if (!ret &&
		    (cow_snapshot(parent, (unsigned long)p, v[1][0], why, sizeof(why)) ||
		     cow_snapshot(getpid(), (unsigned long)p, v[1][1], why, sizeof(why))))
			ret = 1;
		if (ret)
			fprintf(stderr, "# child: %s\n", why);
		_exit(ret);
	}
	ASSERT_EQ(child, waitpid(child, &st, 0));
	ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0)
		TH_LOG("the walking child failed (status 0x%x)", st);

	for (i = 0; i < COW_PAGES; i++) {
		const struct cow_view *pb = &v[0][0][i], *cb = &v[0][1][i];
		const struct cow_view *pa = &v[1][0][i], *ca = &v[1][1][i];

		/* before: shared, read-only on both sides */
		ASSERT_TRUE(pb->has && cb->has);
		EXPECT_EQ(pb->pfn, cb->pfn) TH_LOG("page %d differs before any write", i);
		EXPECT_EQ(2, pb->mapcount);
		EXPECT_EQ(2, pb->kpc);
		EXPECT_FALSE(pb->flags & PTSCOPE_F_EXCLUSIVE);
		EXPECT_FALSE(cb->flags & PTSCOPE_F_EXCLUSIVE);
		EXPECT_FALSE(pb->flags & PTSCOPE_F_WRITE);
		EXPECT_FALSE(cb->flags & PTSCOPE_F_WRITE);
		EXPECT_EQ(pml_pfn(pb->pm), pml_pfn(cb->pm));
		/*
		 * The parent wrote every page before the fork: the kernel
		 * still counts them dirty (pte_dirty()), although since 6.6
		 * pte_wrprotect() has moved the hardware Dirty bit (6) into the
		 * software SavedDirty bit (58) so that no write can set it
		 * without a fault.  "modified" is that view; "dirty" the bit.
		 */
		EXPECT_TRUE(pb->flags & PTSCOPE_F_MODIFIED)
			TH_LOG("page %d written before fork, entry 0x%llx: not modified",
			       i, (unsigned long long)pb->entry);
		EXPECT_EQ(!!(pb->flags & PTSCOPE_F_DIRTY), !!(pb->entry & (1ULL << 6)));
		EXPECT_EQ(!!(pb->flags & PTSCOPE_F_MODIFIED),
			  !!(pb->entry & ((1ULL << 6) | (1ULL << 58))));
		if (i == 0)
			TH_LOG("parent's written page after fork: entry 0x%llx (%s)",
			       (unsigned long long)pb->entry,
			       pb->entry & (1ULL << 6) ? "Dirty kept" :
			       "Dirty moved to SavedDirty");
		/* after */
		ASSERT_TRUE(pa->has && ca->has);
		if (i % 2 == 0) {
			EXPECT_NE(pa->pfn, ca->pfn) TH_LOG("page %d: COW did not copy", i);
			EXPECT_EQ(pb->pfn, pa->pfn) TH_LOG("page %d: parent's frame moved", i);
			EXPECT_EQ(1, pa->mapcount);
			EXPECT_EQ(1, ca->mapcount);
			EXPECT_EQ(1, ca->kpc);
			EXPECT_TRUE(ca->flags & PTSCOPE_F_EXCLUSIVE);
			EXPECT_TRUE(ca->flags & PTSCOPE_F_WRITE);
			EXPECT_TRUE(ca->pm & PML_EXCLUSIVE);
			EXPECT_TRUE(pa->flags & PTSCOPE_F_EXCLUSIVE);
			EXPECT_TRUE(pa->pm & PML_EXCLUSIVE);
		} else {
			EXPECT_EQ(pa->pfn, ca->pfn);
			EXPECT_EQ(2, ca->mapcount);
			EXPECT_EQ(2, ca->kpc);
			EXPECT_FALSE(ca->pm & PML_EXCLUSIVE);
		}
	}
	munmap(p, COW_PAGES * PAGE);
	munmap(v, sizeof(*v) * 2);
}

/* ---- ptcost ------------------------------------------------------------ */

enum shape { S_SMALL, S_SPARSE, S_HOLES, S_THP };

FIXTURE(ptcost)
{
	struct pml_child child;
	char thp_saved[32];
};

FIXTURE_VARIANT(ptcost)
{
	enum shape shape;
};

FIXTURE_VARIANT_ADD(ptcost, small) { .shape = S_SMALL };
FIXTURE_VARIANT_ADD(ptcost, sparse_64m) { .shape = S_SPARSE };
FIXTURE_VARIANT_ADD(ptcost, munmap_holes) { .shape = S_HOLES };
FIXTURE_VARIANT_ADD(ptcost, thp) { .shape = S_THP };

/*
 * S_SPARSE: 64 MiB touched (one page in 32) across 2 GiB, plus a page at
 * a high address (above 47 bits where 5-level paging allows it).
 * S_HOLES: 64 MiB touched, then every other 4 MiB unmapped (tables freed).
 * S_THP: two THPs and a huge zero page, which keep deposited PTE tables.
 */
static int shape_fn(void *arg, int cmd)
{
	enum shape shape = *(enum shape *)arg;
	unsigned long big = 2UL << 30, mb64 = 64UL << 20, i;
	char *p;

	if (cmd)
		return 0;
	if (shape != S_THP && prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0))
		return errno;
	switch (shape) {
	case S_SMALL:
		return 0;
	case S_SPARSE:
		p = mmap(NULL, big, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p == MAP_FAILED)
			return errno;
		for (i = 0; i < big; i += 32 * PAGE)
			p[i] = 1;
		p = mmap((void *)(1UL << 50), PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return errno;
		p[0] = 1;
		return 0;
	case S_HOLES:
		p = mmap(NULL, mb64, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return errno;
		for (i = 0; i < mb64; i += PAGE)
			p[i] = 1;
		for (i = 0; i < mb64; i += 8UL << 20)
			if (munmap(p + i, 4UL << 20))
				return errno;
		return 0;
	case S_THP:
		p = mmap(NULL, 4 * PML_PMD_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return errno;
		p = (char *)(((unsigned long)p + PML_PMD_SIZE - 1) & ~(PML_PMD_SIZE - 1));
		if (madvise(p, 3 * PML_PMD_SIZE, MADV_HUGEPAGE))
			return errno;
		p[0] = 1;
		p[PML_PMD_SIZE] = 1;
		(void)((volatile char *)p)[2 * PML_PMD_SIZE];
		return 0;
	}
	return EINVAL;
}

FIXTURE_SETUP(ptcost)
{
	static enum shape shape;
	char cur[32];

	memset(self, 0, sizeof(*self));
	self->child.pid = -1;
	self->child.cmd_fd = self->child.ack_fd = -1;
	if (access(PTSCOPE_DEBUGFS_DIR "/records", F_OK))
		SKIP(return, "ptscope module not loaded");
	if (variant->shape == S_THP) {
		if (pml_sysfs_choice(THP_ENABLED, cur, sizeof(cur)))
			SKIP(return, "no transparent hugepages");
		if (!strcmp(cur, "never")) {
			snprintf(self->thp_saved, sizeof(self->thp_saved), "%s", cur);
			pml_write_str(THP_ENABLED, "madvise");
		}
	}
	shape = variant->shape;
	ASSERT_EQ(0, pml_child_start(&self->child, shape_fn, &shape));
}

FIXTURE_TEARDOWN(ptcost)
{
	pml_child_stop(&self->child);
	if (self->thp_saved[0])
		pml_write_str(THP_ENABLED, self->thp_saved);
}

/*
 * Entries in use per level.  Each table below a level hangs off exactly one
 * entry of it (a leaf is an entry too), so entries = leaves + tables one
 * level down; with 4-level paging the P4D is folded into the PGD, which
 * then points at the PUD tables, and there is no P4D row.  Independently
 * of that arithmetic, each level has at least as many entries in use as
 * there are distinct indexes at that level among the walked leaves.
 */
static void check_cost_entries(struct __test_metadata *_metadata,
			       const struct ptscope_cost *c, const struct ptw_walk *w)
{
	int l5 = w->hdr.paging_levels == 5, i;
	unsigned int shift[PTSCOPE_NR_LEVELS] = { 12, 21, 30, 39, l5 ? 48 : 39 };
	uint64_t distinct[PTSCOPE_NR_LEVELS] = { 0 }, last[PTSCOPE_NR_LEVELS];
	size_t k;

	memset(last, 0xff, sizeof(last));
	for (k = 0; k < w->nleaves; k++) {
		for (i = w->leaves[k].level; i < PTSCOPE_NR_LEVELS; i++) {
			uint64_t idx = w->leaves[k].va >> shift[i];

			if (idx != last[i])	/* leaves come in address order */
				distinct[i]++;
			last[i] = idx;
		}
	}
	for (i = PTSCOPE_LVL_PTE; i < PTSCOPE_NR_LEVELS; i++) {
		uint64_t below = 0;

		if (i == PTSCOPE_LVL_P4D && !l5) {
			EXPECT_EQ(0, c->entries[i]) TH_LOG("4-level paging: a p4d row");
			EXPECT_EQ(0, c->tables[i]);
			continue;
		}
		if (i > 0)
			below = c->tables[i == PTSCOPE_LVL_PGD && !l5 ?
					  PTSCOPE_LVL_PUD : i - 1];
		EXPECT_EQ(c->leaves[i] + below, c->entries[i])
			TH_LOG("level %d: entries %llu, leaves %llu + tables below %llu", i,
			       (unsigned long long)c->entries[i],
			       (unsigned long long)c->leaves[i], (unsigned long long)below);
		EXPECT_LE(distinct[i], c->entries[i])
			TH_LOG("level %d: %llu entries in use, but leaves lie under %llu", i,
			       (unsigned long long)c->entries[i],
			       (unsigned long long)distinct[i]);
	}
}

/*
 * ptcost against VmPTE: the kernel's own count is reported unchanged, the
 * PTE+PMD+PUD tables the walk found plus the deposited ones add up to it,
 * the leaves equal a walk's, vm_bytes is the size of the maps lines.
 */
TEST_F_TIMEOUT(ptcost, matches_vmpte, 60)
{
	pid_t pid = self->child.pid;
	unsigned long top = task_size(), vm = 0;
	struct ptscope_cost c;
	struct ptscope_end e;
	struct pml_map *maps = NULL;
	struct ptw_walk w;
	long vmpte;
	int n, i;

	if (variant->shape == S_THP) {
		long kb = pml_smaps_rollup_kb(pid, "AnonHugePages");

		if (kb < 2 * (long)(PML_PMD_SIZE >> 10))
			SKIP(return, "the kernel did not give THPs (AnonHugePages %ld kB)", kb);
	}
	ASSERT_EQ(0, ptw_ptcost(pid, &c, &e));
	vmpte = pml_status_kb(pid, "VmPTE");
	ASSERT_LT(0, vmpte);
	EXPECT_EQ(0, e.status);
	EXPECT_EQ((uint64_t)vmpte * 1024, c.pgtables_bytes);
	EXPECT_EQ((uint64_t)vmpte * 1024,
		  (c.tables[PTSCOPE_LVL_PTE] + c.tables[PTSCOPE_LVL_PMD] +
		   c.tables[PTSCOPE_LVL_PUD] + c.deposited) * PAGE)
		TH_LOG("tables pte %llu pmd %llu pud %llu deposited %llu, VmPTE %ld kB",
		       (unsigned long long)c.tables[PTSCOPE_LVL_PTE],
		       (unsigned long long)c.tables[PTSCOPE_LVL_PMD],
		       (unsigned long long)c.tables[PTSCOPE_LVL_PUD],
		       (unsigned long long)c.deposited, vmpte);
	EXPECT_EQ(1, c.tables[PTSCOPE_LVL_PGD]);
	if (variant->shape == S_THP) {
		EXPECT_LE((uint64_t)pml_smaps_rollup_kb(pid, "AnonHugePages") / 2048,
			  c.deposited);
	} else {
		EXPECT_EQ(0, c.deposited);
	}

	ASSERT_EQ(0, ptw_walk(pid, 0, top, 0, &w));
	EXPECT_EQ(w.end.leaves, c.leaves[PTSCOPE_LVL_PTE] + c.leaves[PTSCOPE_LVL_PMD] +
				c.leaves[PTSCOPE_LVL_PUD]);
	check_cost_entries(_metadata, &c, &w);
	n = pml_maps(pid, &maps);
	ASSERT_LT(0, n);
	for (i = 0; i < n; i++)
		if (maps[i].start < top)
			vm += maps[i].end - maps[i].start;
	EXPECT_EQ(vm, c.vm_bytes);
	free(maps);
	ptw_free(&w);
}

TEST_HARNESS_MAIN
