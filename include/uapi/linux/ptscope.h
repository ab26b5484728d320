/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * ptscope: the one ABI shared by the kernel module, the CLI, the BPF
 * tools and the tests.
 *
 * The module lives in debugfs under /sys/kernel/debug/ptscope/.  A tool
 * opens one of the session files, writes one request line and reads the
 * answer.  Each open file is its own session: two readers never share a
 * target.  See Documentation/interface.rst for the whole story.
 *
 * Request line (ASCII, at most PTSCOPE_REQ_MAX bytes, one write()):
 *
 *	pid=<N> [range=<START>-<END>] [va=<ADDR>] [coalesce] [op=<walk|translate|ptcost>]
 *	pid=<N> [range=<START>-<END>] compact [facts]
 *	kernel [range=<START>-<END>] [va=<ADDR>] [coalesce] [op=<walk|translate>]
 *
 * "kernel" walks or translates in the kernel half of the caller's own
 * top-level table (every process shares it) instead of a process's user
 * half; it takes no pid.  See PTSCOPE_HDR_KERNEL.
 * "compact" (a records walk of a process) sends PTE tables as raw
 * entries (PTSCOPE_REC_PTES) after a PTSCOPE_REC_LAYOUT that says how to
 * decode them; "facts" adds what the frames are; with "coalesce" (not
 * with facts), runs of entries.  See PTSCOPE_REQ_COMPACT.
 * Numbers are decimal or 0x-prefixed hex.  Unknown keys are rejected.
 *
 * Binary stream (the "records" file): a sequence of records, each
 * starting with struct ptscope_rec_hdr.  Every record type has a fixed
 * size given here; readers skip types they do not know by hdr.size.
 * A stream starts with one PTSCOPE_REC_HEADER.  A walk or ptcost stream
 * ends with one PTSCOPE_REC_END; a translate stream is HEADER, one LEVEL
 * per level, then XLATE.  If the walk fails midway (the target exited,
 * a fatal signal) the records produced so far are delivered and the next
 * read() fails with the errno: a walk without END is incomplete.  The
 * stream is a plain byte stream: any read size works.
 */
#ifndef _UAPI_LINUX_PTSCOPE_H
#define _UAPI_LINUX_PTSCOPE_H

#include <linux/types.h>

#define PTSCOPE_ABI_VERSION	3
#define PTSCOPE_MAGIC		0x50545343U	/* "PTSC" */
#define PTSCOPE_REQ_MAX		256
#define PTSCOPE_DEBUGFS_DIR	"/sys/kernel/debug/ptscope"
#define PTSCOPE_DEVICE		"/dev/ptscope"

/* Page-table levels, from the leaf up. */
enum ptscope_level {
	PTSCOPE_LVL_PTE = 0,
	PTSCOPE_LVL_PMD = 1,
	PTSCOPE_LVL_PUD = 2,
	PTSCOPE_LVL_P4D = 3,
	PTSCOPE_LVL_PGD = 4,
	PTSCOPE_NR_LEVELS = 5,
};

/* Record types. */
enum ptscope_rec_type {
	PTSCOPE_REC_HEADER = 1,		/* struct ptscope_header */
	PTSCOPE_REC_VMA = 2,		/* struct ptscope_vma */
	PTSCOPE_REC_LEAF = 3,		/* struct ptscope_leaf */
	PTSCOPE_REC_LEVEL = 4,		/* struct ptscope_xlate_level */
	PTSCOPE_REC_XLATE = 5,		/* struct ptscope_xlate */
	PTSCOPE_REC_COST = 6,		/* struct ptscope_cost */
	PTSCOPE_REC_END = 7,		/* struct ptscope_end */
	PTSCOPE_REC_LAYOUT = 8,		/* struct ptscope_layout (compact walks) */
	PTSCOPE_REC_PTES = 9,		/* struct ptscope_ptes (compact walks) */
};

struct ptscope_rec_hdr {
	__u16 type;			/* enum ptscope_rec_type */
	__u16 size;			/* whole record, bytes */
	__u32 reserved;
};

/* PTSCOPE_REC_HEADER: first record of every stream. */
#define PTSCOPE_OP_WALK		1
#define PTSCOPE_OP_TRANSLATE	2
#define PTSCOPE_OP_PTCOST	3

struct ptscope_header {
	struct ptscope_rec_hdr hdr;
	__u32 magic;			/* PTSCOPE_MAGIC */
	__u32 abi_version;		/* PTSCOPE_ABI_VERSION */
	__u32 op;			/* PTSCOPE_OP_* */
	__u32 pid;
	__u32 paging_levels;		/* 4 or 5 */
	__u32 page_shift;		/* 12 */
	__u64 start;			/* requested range [start, end) */
	__u64 end;
	__u64 pgd_pa;			/* physical address of mm->pgd (CR3) */
	__u64 user_pgd_pa;		/* PTI user top level, or 0 if none */
	__u64 task_size;		/* end of the user address space */
	__u32 flags;			/* PTSCOPE_REQ_* */
	__u32 reserved;
	char comm[16];
};

#define PTSCOPE_REQ_COALESCE	(1U << 0)
#define PTSCOPE_REQ_COMPACT	(1U << 1)	/* request "compact" */
#define PTSCOPE_REQ_FACTS	(1U << 2)	/* request "facts" (with compact) */
/*
 * Header flags beside the request's PTSCOPE_REQ_*: what the stream can
 * and cannot tell.
 */
#define PTSCOPE_HDR_BPF		(1U << 16)	/* walked by the BPF walker (no module):
						 * see Documentation/bpfwalk.rst */
#define PTSCOPE_HDR_NO_TABLE_PA	(1U << 17)	/* physical addresses of page tables
						 * withheld (0): lockdown
						 * confidentiality */
#define PTSCOPE_HDR_NO_MAPCOUNT	(1U << 18)	/* mapcount and "exclusive" unknown */
/*
 * A walk or translation of the kernel half (request "kernel"): pid is 0,
 * comm "kernel"; start/end are the kernel addresses walked, end 0 meaning
 * the top of the address space.  Each region (direct map, vmalloc, kernel
 * image...) is a PTSCOPE_REC_VMA record with backing PTSCOPE_BACK_KERNEL
 * and the region's name, before the leaves inside it; with page-table
 * isolation, the regions of the PTI user copy follow, named "pti user
 * copy: <region>".  A kernel translation is HEADER, one VMA (the region
 * of the address), LEVELs, XLATE.  Leaves carry hardware bits, "write"
 * and "modified" only: no swap, frame-kind or map-count decoding.
 */
#define PTSCOPE_HDR_KERNEL	(1U << 19)
#define PTSCOPE_HDR_NO_FOLIO	(1U << 20)	/* folios unknown (no PTSCOPE_F_FOLIO) */

/* PTSCOPE_REC_VMA: precedes the leaves that lie inside it. */
enum ptscope_backing {
	PTSCOPE_BACK_ANON = 1,		/* private anonymous */
	PTSCOPE_BACK_FILE = 2,		/* regular file */
	PTSCOPE_BACK_SHMEM = 3,		/* shmem/tmpfs, MAP_SHARED|MAP_ANONYMOUS */
	PTSCOPE_BACK_STACK = 4,		/* the main thread's stack */
	PTSCOPE_BACK_HEAP = 5,		/* brk heap */
	PTSCOPE_BACK_VDSO = 6,		/* [vdso] */
	PTSCOPE_BACK_VVAR = 7,		/* [vvar], [vvar_vclock] */
	PTSCOPE_BACK_HUGETLB = 8,	/* hugetlbfs or MAP_HUGETLB */
	PTSCOPE_BACK_SPECIAL = 9,	/* other special mapping (named) */
	PTSCOPE_BACK_PFNMAP = 10,	/* VM_PFNMAP / VM_IO device memory */
	PTSCOPE_BACK_KERNEL = 11,	/* a region of the kernel half (named) */
};

#define PTSCOPE_VMA_READ	(1U << 0)
#define PTSCOPE_VMA_WRITE	(1U << 1)
#define PTSCOPE_VMA_EXEC	(1U << 2)
#define PTSCOPE_VMA_SHARED	(1U << 3)
#define PTSCOPE_VMA_SOFTDIRTY	(1U << 4)	/* VM_SOFTDIRTY: pagemap reports all soft-dirty */
#define PTSCOPE_VMA_HUGEPAGE	(1U << 5)	/* MADV_HUGEPAGE */
#define PTSCOPE_VMA_NOHUGEPAGE	(1U << 6)	/* MADV_NOHUGEPAGE */
#define PTSCOPE_VMA_LOCKED	(1U << 7)	/* mlock */
#define PTSCOPE_VMA_UFFD	(1U << 8)	/* registered with userfaultfd */
#define PTSCOPE_VMA_NAME_TRUNC	(1U << 9)	/* name did not fit */

#define PTSCOPE_NAME_MAX	256

struct ptscope_vma {
	struct ptscope_rec_hdr hdr;
	__u64 start;
	__u64 end;
	__u64 pgoff;			/* file offset in pages */
	__u64 ino;			/* inode number of the backing file, 0 if none */
	__u32 flags;			/* PTSCOPE_VMA_* */
	__u32 backing;			/* enum ptscope_backing */
	__u32 pagesize;			/* kernel page size of the VMA (hugetlb: 2M/1G) */
	__u32 reserved;
	char name[PTSCOPE_NAME_MAX];	/* path, or [stack] etc.; NUL-terminated */
};

/*
 * PTSCOPE_REC_LEAF: one leaf entry (or a coalesced run of them).
 *
 * Folios (ABI 3): a present entry that maps a frame the kernel manages
 * (not a VM_PFNMAP/special or device frame) has PTSCOPE_F_FOLIO, and
 * folio_pfn/folio_order describe the folio the frame belonged to while
 * the walker held the entry's page-table lock (a mapped folio is not
 * split under that lock).  The first frame of the entry is page
 * pfn - folio_pfn of its folio.  A coalesced run may span folios: like
 * mapcount, the folio fields are the first frame's.
 */

/* Hardware bits, as the MMU reads them (valid only when present). */
#define PTSCOPE_F_PRESENT	(1ULL << 0)
#define PTSCOPE_F_RW		(1ULL << 1)
#define PTSCOPE_F_USER		(1ULL << 2)
#define PTSCOPE_F_PWT		(1ULL << 3)
#define PTSCOPE_F_PCD		(1ULL << 4)
#define PTSCOPE_F_ACCESSED	(1ULL << 5)
#define PTSCOPE_F_DIRTY		(1ULL << 6)
#define PTSCOPE_F_PSE		(1ULL << 7)	/* PS: leaf at PMD/PUD level */
#define PTSCOPE_F_GLOBAL	(1ULL << 8)
#define PTSCOPE_F_PAT		(1ULL << 9)	/* bit 7 on PTEs, bit 12 on large */
#define PTSCOPE_F_NX		(1ULL << 10)
/* Kernel software bits and kernel views. */
#define PTSCOPE_F_SOFT_DIRTY	(1ULL << 16)
#define PTSCOPE_F_UFFD_WP	(1ULL << 17)
#define PTSCOPE_F_SPECIAL	(1ULL << 18)
#define PTSCOPE_F_DEVMAP	(1ULL << 19)
#define PTSCOPE_F_PROTNONE	(1ULL << 20)	/* PROT_NONE or NUMA hint */
#define PTSCOPE_F_NUMA_HINT	(1ULL << 21)	/* protnone in an accessible VMA */
#define PTSCOPE_F_WRITE		(1ULL << 22)	/* pte_write(): kernel's view */
#define PTSCOPE_F_ZERO_PAGE	(1ULL << 23)	/* maps the shared zero page */
#define PTSCOPE_F_ANON_PAGE	(1ULL << 24)	/* frame is an anonymous page */
#define PTSCOPE_F_FILE_PAGE	(1ULL << 25)	/* frame is a page-cache page */
#define PTSCOPE_F_EXCLUSIVE	(1ULL << 26)	/* frame mapped exactly once */
#define PTSCOPE_F_MODIFIED	(1ULL << 27)	/* pte_dirty(): kernel's view, Dirty
						 * or SavedDirty (6.6+) */
/* Non-present but non-empty entries. */
#define PTSCOPE_F_SWAP		(1ULL << 32)	/* swap entry: swap_type/swap_offset */
#define PTSCOPE_F_MIGRATION	(1ULL << 33)	/* migration entry (pfn valid) */
#define PTSCOPE_F_DEVICE_PRIVATE (1ULL << 34)	/* device-private entry (pfn valid) */
#define PTSCOPE_F_DEVICE_EXCL	(1ULL << 35)	/* device-exclusive entry (pfn valid) */
#define PTSCOPE_F_HWPOISON	(1ULL << 36)	/* hwpoison entry (pfn valid) */
#define PTSCOPE_F_MARKER	(1ULL << 37)	/* PTE marker (marker bits in swap_offset) */
#define PTSCOPE_F_SWP_EXCLUSIVE	(1ULL << 38)	/* swap entry marked exclusive */
#define PTSCOPE_F_PFN_VALID	(1ULL << 39)	/* pfn field holds a frame number */
#define PTSCOPE_F_FOLIO		(1ULL << 40)	/* folio_pfn/folio_order valid */
/*
 * The kind of a PTE marker (with PTSCOPE_F_MARKER), decided by the module
 * with the running kernel's own definitions: the marker bits kept in
 * swap_offset differ between kernels, do not decode them.  A uffd-wp
 * marker has PTSCOPE_F_UFFD_WP.
 */
#define PTSCOPE_F_MARKER_POISON	(1ULL << 41)	/* poisoned: UFFDIO_POISON, or a
						 * swap-in error; an access
						 * raises SIGBUS */
#define PTSCOPE_F_MARKER_GUARD	(1ULL << 42)	/* guard region (MADV_GUARD_INSTALL,
						 * 6.13+): an access raises
						 * SIGSEGV */

struct ptscope_leaf {
	struct ptscope_rec_hdr hdr;
	__u64 va;			/* first virtual address */
	__u64 entry;			/* raw entry value of the first entry */
	__u64 pfn;			/* frame number (PTSCOPE_F_PFN_VALID) */
	__u64 flags;			/* PTSCOPE_F_* */
	__u64 swap_offset;		/* swap offset or marker bits */
	__u64 count;			/* entries in this run (1 unless coalesced) */
	__u64 folio_pfn;		/* head frame of the first frame's folio */
	__u32 mapcount;			/* map count of the first frame (kpagecount) */
	__u8 level;			/* enum ptscope_level */
	__u8 pkey;			/* protection key */
	__u8 swap_type;
	__u8 folio_order;		/* the folio is PAGE_SIZE << folio_order bytes */
};

/* Size in bytes of one entry at a leaf level. */
#define PTSCOPE_LEVEL_SHIFT(lvl)	(12 + 9 * (lvl))

/*
 * PTSCOPE_REC_LEVEL: one step of a translation, top level first.  @flags
 * holds the hardware bits of a present entry (a table pointer or a leaf);
 * a non-present entry has none (its swap or marker bits are decoded in
 * the XLATE record's leaf).  With page-table isolation the top level has
 * two copies: @entry is the user copy, the one the CPU walks in user
 * mode, and @kernel_entry the kernel copy (the same table pointer, NX set
 * on user entries), with PTSCOPE_XLATE_PTI_USER in @xflags.
 */
#define PTSCOPE_XLATE_PTI_USER	(1U << 0)	/* @entry read from the PTI user copy */

struct ptscope_xlate_level {
	struct ptscope_rec_hdr hdr;
	__u32 level;			/* enum ptscope_level */
	__u32 index;			/* index into the table */
	__u64 table_pa;			/* physical address of the table */
	__u64 entry_pa;			/* physical address of the entry */
	__u64 entry;			/* raw entry value */
	__u64 flags;			/* PTSCOPE_F_* decoded from the entry */
	__u32 folded;			/* level folded into the one above (4-level P4D) */
	__u32 xflags;			/* PTSCOPE_XLATE_* */
	__u64 kernel_entry;		/* PTI: the kernel copy of @entry */
};

/* PTSCOPE_REC_XLATE: the outcome of a translation. */
enum ptscope_stop {
	PTSCOPE_STOP_OK = 0,		/* reached a present leaf: pa valid */
	PTSCOPE_STOP_NO_VMA = 1,	/* no VMA covers the address: no table was
					 * read, no LEVEL record; stop_level is
					 * meaningless */
	PTSCOPE_STOP_EMPTY = 2,		/* entry at stop_level is empty */
	PTSCOPE_STOP_NOT_PRESENT = 3,	/* non-present, non-swap entry */
	PTSCOPE_STOP_SWAP = 4,		/* swap entry at stop_level */
	PTSCOPE_STOP_MIGRATION = 5,	/* migration entry */
	PTSCOPE_STOP_MARKER = 6,	/* PTE marker */
	PTSCOPE_STOP_BAD = 7,		/* corrupt table entry */
	PTSCOPE_STOP_DEVICE = 8,	/* device-private/exclusive entry */
	PTSCOPE_STOP_HWPOISON = 9,	/* hardware-poisoned page */
};

struct ptscope_xlate {
	struct ptscope_rec_hdr hdr;
	__u64 va;
	__u64 pa;			/* valid when stop == PTSCOPE_STOP_OK */
	__u32 stop;			/* enum ptscope_stop */
	__u32 stop_level;		/* level of the last entry read */
	__u64 vma_start;		/* covering VMA, or 0/0 */
	__u64 vma_end;
	struct ptscope_leaf leaf;	/* the leaf (or last entry) decoded */
};

/* PTSCOPE_REC_COST: page-table pages reachable from the VMAs. */
struct ptscope_cost {
	struct ptscope_rec_hdr hdr;
	__u64 tables[PTSCOPE_NR_LEVELS];	/* table pages holding entries of each level */
	__u64 entries[PTSCOPE_NR_LEVELS];	/* non-empty entries at each level */
	__u64 leaves[PTSCOPE_NR_LEVELS];	/* leaf entries at each level */
	__u64 pgtables_bytes;		/* the kernel's own count (VmPTE) */
	__u64 vm_bytes;			/* total size of the VMAs walked */
	__u64 pgd_pages;		/* pages in the top-level allocation (2 with PTI) */
	__u64 deposited;		/* PTE tables deposited for anonymous THPs,
					 * one per huge PMD; counted in VmPTE */
};

/*
 * The compact stream (request "compact", records only, a process walk;
 * with "coalesce" see PTSCOPE_PTES_RUNS).  PTE tables are sent as their
 * raw entries: a
 * PTSCOPE_REC_PTES record per run of entries of one table (runs are split
 * at three or more empty entries), 8 bytes per entry, 16 with "facts".
 * Huge leaves (PMD, PUD) stay PTSCOPE_REC_LEAF records, as do all leaves
 * of other walks.  The stream is HEADER, LAYOUT, then VMA, PTES and LEAF
 * records in address order, then END, whose counts are those of the full
 * walk (leaves = entries = non-empty entries).
 *
 * PTSCOPE_REC_LAYOUT says how this kernel encodes an entry, as the module
 * was built to decode it, so that a reader decodes exactly as the module
 * would, with no knowledge of the kernel (libptscope's pts_next() does):
 *
 *  - entry e is empty if (e & none_mask) == 0; else present (a PTE the
 *    kernel calls present: PRESENT or PROTNONE) if (e & present_mask);
 *  - a present entry: flags = PTSCOPE_F_PFN_VALID | the flags of every
 *    rule r of the first nr_present rules with (e & r.mask) == r.value;
 *    pfn = (e' & pfn_mask) >> 12, where e' is ~e if pfn_invert_unless is
 *    not 0 and (e & pfn_invert_unless) == 0 (the frame of a PROTNONE
 *    entry is stored inverted, L1TF), else e; pkey =
 *    (e & pkey_mask) >> pkey_shift; PTSCOPE_F_ZERO_PAGE | PTSCOPE_F_FOLIO,
 *    folio_pfn = pfn if pfn == zero_pfn; PTSCOPE_F_NUMA_HINT if
 *    PTSCOPE_F_PROTNONE, PTSCOPE_PTES_ACCESSIBLE, and not both
 *    PTSCOPE_PTES_UFFD_RWP and (e & rwp_mask);
 *  - a non-present entry: flags = the flags of every rule of the next
 *    nr_swp rules that matches; type = (e >> swp_type_shift) &
 *    (2^swp_type_bits - 1); offset = ((e ^ swp_offset_xor) >>
 *    swp_offset_shift) & (2^swp_offset_bits - 1); flags |=
 *    type_flags[type] (none for type 0, offset 0 with
 *    PTSCOPE_LAYOUT_SWP0_NONE), then: PTSCOPE_F_SWAP: swap_type = type,
 *    swap_offset = offset; PTSCOPE_F_PFN_VALID: pfn = offset &
 *    swp_pfn_mask; PTSCOPE_F_MARKER: swap_offset = offset & marker_mask,
 *    flags |= marker_flags[b] for every bit b set in it.
 *
 * Everything else of the leaf (va, entry, level PTE, count 1) is plain.
 * Without "facts" the frame's own facts are not sent: no
 * PTSCOPE_F_ANON_PAGE, _FILE_PAGE, _EXCLUSIVE, mapcount or folio (but the
 * zero page).  With "facts" each entry is followed by a facts word:
 */
#define PTSCOPE_FACT_MAPCOUNT	0xffffffffULL		/* bits 0-31: mapcount */
#define PTSCOPE_FACT_INDEX_SHIFT 32			/* bits 32-51: page index in */
#define PTSCOPE_FACT_INDEX_MASK	0xfffffULL		/* the folio: pfn - folio_pfn */
#define PTSCOPE_FACT_ORDER_SHIFT 52			/* bits 52-57: folio_order */
#define PTSCOPE_FACT_ORDER_MASK	0x3fULL
#define PTSCOPE_FACT_ANON	(1ULL << 58)		/* PTSCOPE_F_ANON_PAGE */
#define PTSCOPE_FACT_FILE	(1ULL << 59)		/* PTSCOPE_F_FILE_PAGE */
#define PTSCOPE_FACT_EXCLUSIVE	(1ULL << 60)		/* PTSCOPE_F_EXCLUSIVE */
#define PTSCOPE_FACT_FOLIO	(1ULL << 61)		/* PTSCOPE_F_FOLIO: index, order */

/* Type 0, offset 0 is no entry at all (7.x softleaf_type()): no type flags. */
#define PTSCOPE_LAYOUT_SWP0_NONE	(1U << 0)

#define PTSCOPE_LAYOUT_RULES_MAX	64
#define PTSCOPE_LAYOUT_TYPES		32	/* 2^swp_type_bits at most */
#define PTSCOPE_LAYOUT_MARKER_BITS	16

struct ptscope_layout_rule {
	__u64 mask;
	__u64 value;
	__u64 flags;			/* PTSCOPE_F_* set on a match */
};

struct ptscope_layout {
	struct ptscope_rec_hdr hdr;
	__u32 nr_present;		/* rules[0..nr_present) */
	__u32 nr_swp;			/* rules[nr_present..+nr_swp) */
	__u64 none_mask;
	__u64 present_mask;
	__u64 pfn_mask;
	__u64 pfn_invert_unless;
	__u64 pkey_mask;
	__u64 rwp_mask;
	__u64 zero_pfn;
	__u64 swp_offset_xor;
	__u64 swp_pfn_mask;
	__u64 marker_mask;
	__u32 pkey_shift;
	__u32 swp_type_shift;
	__u32 swp_type_bits;
	__u32 swp_offset_shift;
	__u32 swp_offset_bits;
	__u32 flags;			/* PTSCOPE_LAYOUT_* */
	__u64 type_flags[PTSCOPE_LAYOUT_TYPES];
	__u64 marker_flags[PTSCOPE_LAYOUT_MARKER_BITS];
	struct ptscope_layout_rule rules[PTSCOPE_LAYOUT_RULES_MAX];
};

/* PTSCOPE_REC_PTES: a run of raw entries of one PTE table. */
#define PTSCOPE_PTES_FACTS	(1U << 0)	/* a facts word after each entry */
#define PTSCOPE_PTES_ACCESSIBLE	(1U << 1)	/* the VMA is accessible: PROTNONE is
						 * a NUMA hint */
#define PTSCOPE_PTES_UFFD_RWP	(1U << 2)	/* the VMA is registered for userfaultfd
						 * read-write protection (7.x) */
#define PTSCOPE_PTES_RUNS	(1U << 3)	/* "compact coalesce": e[] holds count
						 * (entry, n) pairs, see below */

struct ptscope_ptes {
	struct ptscope_rec_hdr hdr;
	__u64 va;			/* address of e[0] */
	__u32 count;			/* entries (some may be empty) */
	__u32 flags;			/* PTSCOPE_PTES_* */
	__u64 e[];			/* count entries, or count (entry, facts) pairs */
};

/*
 * "compact coalesce" (no facts): each PTE table's entries as runs, one
 * PTSCOPE_REC_PTES record with PTSCOPE_PTES_RUNS per table, its pairs
 * (entry, n) covering consecutive addresses from va on: n empty entries,
 * or n entries equal to entry but for the frame, which goes up by one
 * each (PRESENT entries only: runs merge as ptdump merges entries), or
 * one entry (n = 1) of any other kind.  A reader decodes each pair into
 * one leaf of count n (the full walk's "coalesce" also merges on the
 * frames' facts and across tables; this one does not look at frames).
 * Leading and trailing empty runs are left out.  END's leaves counts the
 * runs, entries the non-empty entries.
 */

/* PTSCOPE_REC_END: last record. */
struct ptscope_end {
	struct ptscope_rec_hdr hdr;
	__s32 status;			/* 0 (errors are returned by read()) */
	__u32 reserved;
	__u64 vmas;			/* VMA records emitted */
	__u64 leaves;			/* leaf records emitted */
	__u64 entries;			/* leaf entries covered */
};

/*
 * Names used in every text form (debugfs text views, CLI text and JSON).
 * X(bit, "name") lists; expand with a macro of your own.
 */
#define PTSCOPE_FLAG_NAMES(X)					\
	X(PTSCOPE_F_PRESENT, "present")				\
	X(PTSCOPE_F_RW, "rw")					\
	X(PTSCOPE_F_USER, "user")				\
	X(PTSCOPE_F_PWT, "pwt")					\
	X(PTSCOPE_F_PCD, "pcd")					\
	X(PTSCOPE_F_ACCESSED, "accessed")			\
	X(PTSCOPE_F_DIRTY, "dirty")				\
	X(PTSCOPE_F_PSE, "pse")					\
	X(PTSCOPE_F_GLOBAL, "global")				\
	X(PTSCOPE_F_PAT, "pat")					\
	X(PTSCOPE_F_NX, "nx")					\
	X(PTSCOPE_F_SOFT_DIRTY, "soft-dirty")			\
	X(PTSCOPE_F_UFFD_WP, "uffd-wp")				\
	X(PTSCOPE_F_SPECIAL, "special")				\
	X(PTSCOPE_F_DEVMAP, "devmap")				\
	X(PTSCOPE_F_PROTNONE, "protnone")			\
	X(PTSCOPE_F_NUMA_HINT, "numa-hint")			\
	X(PTSCOPE_F_WRITE, "write")				\
	X(PTSCOPE_F_ZERO_PAGE, "zero-page")			\
	X(PTSCOPE_F_ANON_PAGE, "anon")				\
	X(PTSCOPE_F_FILE_PAGE, "file")				\
	X(PTSCOPE_F_EXCLUSIVE, "exclusive")			\
	X(PTSCOPE_F_MODIFIED, "modified")			\
	X(PTSCOPE_F_SWAP, "swap")				\
	X(PTSCOPE_F_MIGRATION, "migration")			\
	X(PTSCOPE_F_DEVICE_PRIVATE, "device-private")		\
	X(PTSCOPE_F_DEVICE_EXCL, "device-exclusive")		\
	X(PTSCOPE_F_HWPOISON, "hwpoison")			\
	X(PTSCOPE_F_MARKER, "marker")				\
	X(PTSCOPE_F_SWP_EXCLUSIVE, "swp-exclusive")		\
	X(PTSCOPE_F_MARKER_POISON, "marker-poison")		\
	X(PTSCOPE_F_MARKER_GUARD, "marker-guard")

#define PTSCOPE_LEVEL_NAMES { "pte", "pmd", "pud", "p4d", "pgd" }

#define PTSCOPE_BACKING_NAMES(X)				\
	X(PTSCOPE_BACK_ANON, "anon")				\
	X(PTSCOPE_BACK_FILE, "file")				\
	X(PTSCOPE_BACK_SHMEM, "shmem")				\
	X(PTSCOPE_BACK_STACK, "stack")				\
	X(PTSCOPE_BACK_HEAP, "heap")				\
	X(PTSCOPE_BACK_VDSO, "vdso")				\
	X(PTSCOPE_BACK_VVAR, "vvar")				\
	X(PTSCOPE_BACK_HUGETLB, "hugetlb")			\
	X(PTSCOPE_BACK_SPECIAL, "special")			\
	X(PTSCOPE_BACK_PFNMAP, "pfnmap")				\
	X(PTSCOPE_BACK_KERNEL, "kernel")

#define PTSCOPE_STOP_NAMES(X)					\
	X(PTSCOPE_STOP_OK, "ok")				\
	X(PTSCOPE_STOP_NO_VMA, "no-vma")			\
	X(PTSCOPE_STOP_EMPTY, "empty")				\
	X(PTSCOPE_STOP_NOT_PRESENT, "not-present")		\
	X(PTSCOPE_STOP_SWAP, "swap")				\
	X(PTSCOPE_STOP_MIGRATION, "migration")			\
	X(PTSCOPE_STOP_MARKER, "marker")			\
	X(PTSCOPE_STOP_BAD, "bad")				\
	X(PTSCOPE_STOP_DEVICE, "device")			\
	X(PTSCOPE_STOP_HWPOISON, "hwpoison")

/*
 * Fault counters (the "faults" file).  Write "track pid=N" or
 * "untrack pid=N"; read a first line with the return probe's misses, for
 * all processes (faults it could not follow: too many in flight), then
 * one line per tracked process:
 *
 *	missed=N
 *	pid=N comm=NAME state=alive|exited|exec-privileged <counter>=<value>...
 *
 * in the order below.  "faults" counts every handle_mm_fault() call that
 * did not ask for a retry; minor + major + error == faults, and minor and
 * major follow the kernel's own rules for minflt/majflt.  The access,
 * cause, mode and vma counters each split "faults".  "exceptions" counts
 * hardware page-fault exceptions on user addresses (the x86
 * page_fault_user/page_fault_kernel tracepoints).
 */
#define PTSCOPE_FAULT_COUNTERS(X)				\
	X(FAULTS, "faults")					\
	X(MINOR, "minor")					\
	X(MAJOR, "major")					\
	X(RETRY, "retry")					\
	X(ERROR, "error")					\
	X(READ, "read")						\
	X(WRITE, "write")					\
	X(EXEC, "exec")						\
	X(NOT_PRESENT, "not_present")				\
	X(PROTECTION, "protection")				\
	X(NO_CAUSE, "no_cause")					\
	X(USER, "user")						\
	X(KERNEL, "kernel")					\
	X(GUP, "gup")						\
	X(VMA_ANON, "anon")					\
	X(VMA_FILE, "file")					\
	X(VMA_SHMEM, "shmem")					\
	X(VMA_STACK, "stack")					\
	X(VMA_HUGETLB, "hugetlb")				\
	X(VMA_OTHER, "other")					\
	X(EXCEPTIONS, "exceptions")				\
	X(EXC_USER, "exceptions_user")				\
	X(EXC_KERNEL, "exceptions_kernel")

#define PTSCOPE_FC_ENUM(name, str) PTSCOPE_FC_##name,
enum ptscope_fault_counter {
	PTSCOPE_FAULT_COUNTERS(PTSCOPE_FC_ENUM)
	PTSCOPE_NR_FAULT_COUNTERS
};
#undef PTSCOPE_FC_ENUM

#define PTSCOPE_TRACK_MAX	64	/* processes tracked at once */

#endif /* _UAPI_LINUX_PTSCOPE_H */
