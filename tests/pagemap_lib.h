/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pagemap_lib: the kernel's own answers about a process's memory (the
 * oracles the walker tests compare ptscope with), plus helpers that run a
 * ptscope walk/translate/ptcost through libptscope and turn the record
 * stream into something a test can index per 4K page.
 *
 * Oracles: /proc/PID/pagemap, /proc/kpagecount, /proc/kpageflags,
 * /proc/PID/status (VmPTE), /proc/PID/smaps_rollup, /proc/PID/maps,
 * /proc/iomem (highest RAM frame).
 *
 * Conventions: functions return 0 or a negative errno unless said
 * otherwise; diagnostics go to stderr as TAP comments ("# ...").
 * This file is linked into every test program: its names all start with
 * pml_ (kernel oracles, child targets) or ptw_ (ptscope helpers).
 */
#ifndef PAGEMAP_LIB_H
#define PAGEMAP_LIB_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/ptscope.h>

#define PML_PAGE		4096UL
#define PML_PMD_SIZE		(2UL << 20)
#define PML_PUD_SIZE		(1UL << 30)

/* /proc/PID/pagemap entry bits (Documentation/admin-guide/mm/pagemap.rst). */
#define PML_PFN_MASK		((1ULL << 55) - 1)
#define PML_SOFT_DIRTY		(1ULL << 55)
#define PML_EXCLUSIVE		(1ULL << 56)
#define PML_UFFD_WP		(1ULL << 57)
#define PML_FILE		(1ULL << 61)
#define PML_SWAP		(1ULL << 62)
#define PML_PRESENT		(1ULL << 63)

static inline uint64_t pml_pfn(uint64_t e)
{
	return e & PML_PFN_MASK;
}

static inline unsigned int pml_swap_type(uint64_t e)
{
	return e & 0x1f;
}

static inline uint64_t pml_swap_offset(uint64_t e)
{
	return (e & PML_PFN_MASK) >> 5;
}

/* NPAGES pagemap entries of PID (0: self) from START (page aligned). */
int pml_pagemap(pid_t pid, unsigned long start, size_t npages, uint64_t *out);
/* /proc/kpagecount and /proc/kpageflags of one frame. */
int pml_kpagecount(uint64_t pfn, uint64_t *count);
int pml_kpageflags(uint64_t pfn, uint64_t *flags);
/* "Key:   N kB" from /proc/PID/status or smaps_rollup; -errno if absent. */
long pml_status_kb(pid_t pid, const char *key);
long pml_smaps_rollup_kb(pid_t pid, const char *key);
/* "Key:   N kB" of the VMA that starts at START in /proc/PID/smaps; -1. */
long pml_smaps_vma_kb(pid_t pid, unsigned long start, const char *key);
/* One past the highest frame of "System RAM" in /proc/iomem; 0 if unknown. */
uint64_t pml_max_pfn(void);
/*
 * Page-table isolation in this boot: the kernel lists the "pti" CPU flag
 * (X86_FEATURE_PTI) in /proc/cpuinfo, also when forced with pti=on on a
 * CPU that Meltdown does not affect.  1, 0, or -1 if unknown.
 */
int pml_pti_enabled(void);

/* One line of /proc/PID/maps. */
struct pml_map {
	unsigned long start, end, offset, ino;
	char perms[5];
	char name[PATH_MAX];
};

/* All mappings of PID; returns the count (*maps malloc'ed) or -errno. */
int pml_maps(pid_t pid, struct pml_map **maps);
const struct pml_map *pml_maps_find(const struct pml_map *m, int n,
				    unsigned long addr);

/*
 * The folio of each of N frames as /proc/kpageflags tells it
 * (COMPOUND_HEAD/TAIL): its head frame and its number of pages.
 */
int pml_kpf_folios(const uint64_t *pfns, size_t n, uint64_t *head, uint64_t *pages);

/* Small file helpers (sysfs, procfs).  pml_read_str strips the newline. */
int pml_read_str(const char *path, char *buf, size_t len);
int pml_write_str(const char *path, const char *s);
long pml_read_long(const char *path);
/* The bracketed choice of a sysfs selector ("always [madvise] never"). */
int pml_sysfs_choice(const char *path, char *buf, size_t len);
/* Run a shell command quietly; its exit status, or -1. */
int pml_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Child targets: a forked process that sets up some memory, reports, and
 * then sleeps until told to do something else or to exit, so that the
 * parent can read it while it is quiescent.
 *
 * FN(ARG, CMD) runs in the child: first with CMD 0 (setup), then once per
 * pml_child_cmd().  Its return value (0..255) is the acknowledgement the
 * parent gets.  A FN that must keep its stack frame alive (the stack test)
 * calls pml_child_serve() itself instead of returning.
 */
struct pml_child {
	pid_t pid;
	int cmd_fd;		/* parent -> child */
	int ack_fd;		/* child -> parent */
};

typedef int (*pml_child_fn)(void *arg, int cmd);

/* Fork and run FN(ARG, 0); returns its ack (>= 0) or -errno. */
int pml_child_start(struct pml_child *c, pml_child_fn fn, void *arg);
/* Send CMD (1..255); returns the child's ack or -errno. */
int pml_child_cmd(struct pml_child *c, int cmd);
/* SIGKILL and reap; safe on a never-started or stopped child. */
void pml_child_stop(struct pml_child *c);
/*
 * A freshly exec'ed /bin/sleep, waited for until it sleeps in
 * clock_nanosleep: a target that shares no anonymous page with the test
 * (a forked child shares its parent's pages copy-on-write, and the
 * parent's own writes then change their map counts under the test).
 */
int pml_spawn_sleeper(struct pml_child *c);
/* In the child: acknowledge STATUS, then serve commands; never returns. */
void pml_child_serve(int status) __attribute__((noreturn));

/* ---- ptscope ---------------------------------------------------------- */

/* Leaf flags that mean "not present" (pagemap reports these as swapped). */
#define PTW_NONPRESENT	(PTSCOPE_F_SWAP | PTSCOPE_F_MIGRATION |		\
			 PTSCOPE_F_DEVICE_PRIVATE | PTSCOPE_F_DEVICE_EXCL |	\
			 PTSCOPE_F_HWPOISON | PTSCOPE_F_MARKER)

/* Print the disagreements found by the ptw_compare_*() helpers (default 1). */
extern int ptw_verbose;

/* A walk, as records. */
struct ptw_walk {
	struct ptscope_header hdr;
	struct ptscope_end end;
	bool have_hdr, have_end;
	int status;			/* 0, or the -errno that ended the stream */
	struct ptscope_vma *vmas;
	size_t nvmas;
	struct ptscope_leaf *leaves;
	size_t nleaves;
	size_t *leaf_vma;		/* index of the VMA record before each leaf */
	size_t nother;			/* records of any other type */
	size_t nlayout;			/* PTSCOPE_REC_LAYOUT (compact walks) */
};

/* What covers one 4K page, expanded from the leaf records. */
struct ptw_page {
	long leaf;			/* index into ptw_walk.leaves, -1: none */
	unsigned int level;
	uint64_t flags;
	uint64_t entry;
	uint64_t pfn;			/* frame of this 4K page (PFN_VALID) */
	unsigned int swap_type;
	uint64_t swap_offset;		/* swap offset of this page (SWAP) */
	uint32_t mapcount;		/* map count of the record's first frame */
	bool first;			/* this page is that first frame */
};

#define PTW_COALESCE	1
#define PTW_COMPACT	2	/* the compact stream, decoded by pts_next() */
#define PTW_FACTS	4	/* with PTW_COMPACT: and the frames' facts */

/*
 * When set, ptw_walk(), ptw_translate() and ptw_ptcost() open their
 * session with it (PID and the request keys after "pid=N") instead of
 * the module's records file: bpfwalk_test and fidelity_test set it to
 * the BPF walker (cli_bpfwalk_open()).
 */
struct pts_session;
extern int (*ptw_open_hook)(struct pts_session *s, int pid, const char *req);

/* Walk [START, END) of PID through the records file. */
int ptw_walk(pid_t pid, unsigned long start, unsigned long end,
	     unsigned int flags, struct ptw_walk *w);
void ptw_free(struct ptw_walk *w);
/*
 * Structure of a complete stream: header fields, every leaf inside the
 * VMA record before it and inside the requested range, leaves in
 * ascending order, END counts equal to what was received, status 0.
 * Returns 0 or -1 with the first problem in WHY.
 */
int ptw_check(const struct ptw_walk *w, pid_t pid, char *why, size_t len);
/* Per-page view of [START, START + NPAGES * 4K). */
void ptw_expand(const struct ptw_walk *w, unsigned long start, size_t npages,
		struct ptw_page *out);
/* The last VMA record covering VA, or NULL. */
const struct ptscope_vma *ptw_vma_at(const struct ptw_walk *w, unsigned long va);
/*
 * The pagemap entry (present, swapped, pfn or swap type/offset,
 * soft-dirty, exclusive, file, uffd-wp) that fs/proc/task_mmu.c computes
 * for a page covered by P in VMA V; *MASK gets the bits that can be
 * compared.
 */
uint64_t ptw_expected_pagemap(const struct ptw_page *p,
			      const struct ptscope_vma *v, uint64_t *mask);
/*
 * Compare every page of [START, +NPAGES) with PID's pagemap.  Returns the
 * number of pages that disagree (the first few are printed), -errno if
 * pagemap could not be read.
 */
long ptw_compare_pagemap(const struct ptw_walk *w, pid_t pid,
			 unsigned long start, size_t npages);
/* Compare each leaf's map count with /proc/kpagecount; count of mismatches. */
long ptw_compare_kpagecount(const struct ptw_walk *w, unsigned long start,
			    unsigned long end);
/*
 * Each present leaf's folio (head frame, size) against /proc/kpageflags
 * (COMPOUND_HEAD/TAIL), in [START, END); *NR_FOLIO (optional) gets the
 * number of leaves compared.  Count of mismatches, or -errno.
 */
long ptw_compare_folios(const struct ptw_walk *w, unsigned long start,
			unsigned long end, long *nr_folio);
/*
 * A VMA record against the maps line with the same start: end, rwxp/s,
 * offset, inode, name, and the backing kind the name implies.  0 or -1
 * with WHY.
 */
int ptw_compare_vma(const struct ptscope_vma *v, const struct pml_map *m,
		    char *why, size_t len);
/* The backing a maps name implies, or 0 when the name cannot tell. */
unsigned int ptw_backing_from_maps(const struct pml_map *m);

/* One translation. */
struct ptw_xlate {
	struct ptscope_header hdr;
	struct ptscope_xlate_level lv[PTSCOPE_NR_LEVELS];
	int nlv;
	struct ptscope_xlate x;
	bool have_hdr, have_x;
	size_t nother;
};

int ptw_translate(pid_t pid, unsigned long va, struct ptw_xlate *x);
/*
 * The level chain of a translation: top table is the header's pgd_pa,
 * each table is the frame of the entry above (or the same table when
 * folded), indexes from VA, entry_pa = table_pa + 8 * index, the last
 * entry is the leaf's, and PTE/PMD tables are page-table pages in
 * /proc/kpageflags.  0 or -1 with WHY.
 */
int ptw_check_xlate(const struct ptw_xlate *x, pid_t pid, unsigned long va,
		    char *why, size_t len);
/*
 * Whether ptw_check_xlate() also asks /proc/kpageflags that each PTE/PMD
 * table is still a page-table page (default 1).  A test whose tables are
 * freed while it runs (shared hugetlb tables unshared and unmapped) turns
 * it off: by the time kpageflags is read the table may rightly be gone.
 */
extern int ptw_xlate_check_tables;

/* ptcost of PID; END is optional. */
int ptw_ptcost(pid_t pid, struct ptscope_cost *c, struct ptscope_end *end);

/* The paging levels the MMU uses, probed with a high mmap hint (4 or 5). */
int ptw_probe_paging_levels(void);

/*
 * Wait (up to TIMEOUT_MS) until PID is blocked in read() of its FD, as
 * /proc/PID/syscall shows: a workload that waits there for its next
 * command takes no fault meanwhile, so fault counters read then (the
 * module's, minflt/majflt) agree.  0, or -errno (-ETIMEDOUT).
 */
int pml_wait_blocked_read(pid_t pid, int fd, int timeout_ms);

#endif /* PAGEMAP_LIB_H */
