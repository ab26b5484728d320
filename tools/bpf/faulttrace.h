/* SPDX-License-Identifier: GPL-2.0 */
/*
 * faulttrace: types shared by the BPF program (faulttrace.bpf.c) and its
 * user side (tools/ptscope/trace.c, "ptscope trace").
 *
 * One struct ft_event per handle_mm_fault() call of the target, sent
 * through a ring buffer when the call returns.  It carries the fault
 * (address, ip, flags, error code, outcome, latency), the VMA as it was
 * on entry, and the leaf entry for the address as the BPF program read it
 * from the page tables before and after the fault was handled.  The user
 * side classifies the fault from what changed.
 *
 * Included by BPF code after vmlinux.h (which has the __u64 types) and by
 * user code, which gets them from <linux/types.h>.
 */
#ifndef PTSCOPE_FAULTTRACE_H
#define PTSCOPE_FAULTTRACE_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define FT_COMM_LEN		16
/* The fault-around window: 16 PTEs (64 KiB), aligned. */
#define FT_WINDOW		16

/* Page-table levels, from the leaf up: the same numbers as enum ptscope_level. */
enum ft_level {
	FT_LVL_PTE = 0,
	FT_LVL_PMD = 1,
	FT_LVL_PUD = 2,
	FT_LVL_P4D = 3,
	FT_LVL_PGD = 4,
};

/* How a page-table walk for one address ended (struct ft_pte.status). */
enum ft_walk {
	FT_WALK_LEAF = 1,	/* a present leaf: a PTE, or a PMD/PUD with PS set */
	FT_WALK_NONE = 2,	/* an empty entry at "level" */
	FT_WALK_NONPRESENT = 3,	/* a non-empty, non-present entry (swap, protnone, ...) */
	FT_WALK_FAIL = 4,	/* a table could not be read */
};

/* The entry found for an address: the last one the walk read. */
struct ft_pte {
	__u64 entry;		/* raw value */
	__u8 level;		/* enum ft_level of that entry */
	__u8 status;		/* enum ft_walk */
	__u8 window;		/* non-empty PTEs in the aligned 16-entry window,
				 * when the walk reached a PTE table; else 0 */
	__u8 reserved[5];
};

/* handle_mm_fault()'s outcome, with the kernel's minflt/majflt rules. */
enum ft_outcome {
	FT_MINOR = 0,
	FT_MAJOR = 1,		/* VM_FAULT_MAJOR, or completed after a retry */
	FT_RETRY = 2,		/* VM_FAULT_RETRY: counted when it completes */
	FT_ERROR = 3,		/* VM_FAULT_ERROR: not counted as min/maj */
};

enum ft_access {
	FT_ACC_READ = 0,
	FT_ACC_WRITE = 1,
	FT_ACC_EXEC = 2,
};

/* Why the MMU faulted, from the hardware error code. */
enum ft_cause {
	FT_CAUSE_NONE = 0,	/* no error code: GUP, or the exception was not seen */
	FT_CAUSE_NOT_PRESENT = 1,
	FT_CAUSE_PROTECTION = 2,	/* X86_PF_PROT */
};

/* Who faulted. */
enum ft_mode {
	FT_MODE_USER = 0,	/* FAULT_FLAG_USER */
	FT_MODE_KERNEL = 1,	/* kernel access to user memory (copy_*_user) */
	FT_MODE_GUP = 2,	/* get_user_pages(): no pt_regs */
};

/* The VMA on entry. */
enum ft_backing {
	FT_BACK_ANON = 1,
	FT_BACK_FILE = 2,
	FT_BACK_SHMEM = 3,	/* a tmpfs/shmem file, or MAP_SHARED|MAP_ANONYMOUS */
	FT_BACK_STACK = 4,
	FT_BACK_HUGETLB = 5,
	FT_BACK_OTHER = 6,	/* special mappings (vdso, device, ...) */
};

#define FT_VMA_READ	(1U << 0)
#define FT_VMA_WRITE	(1U << 1)
#define FT_VMA_EXEC	(1U << 2)
#define FT_VMA_SHARED	(1U << 3)
#define FT_VMA_UFFD	(1U << 4)	/* registered with a userfaultfd */

/* x86 page-fault error code bits (hardware). */
#define FT_PF_PROT	(1U << 0)
#define FT_PF_WRITE	(1U << 1)
#define FT_PF_USER	(1U << 2)
#define FT_PF_RSVD	(1U << 3)
#define FT_PF_INSTR	(1U << 4)

/* x86 entry bits. */
#define FT_E_PRESENT	(1ULL << 0)
#define FT_E_RW		(1ULL << 1)
#define FT_E_USER	(1ULL << 2)
#define FT_E_ACCESSED	(1ULL << 5)
#define FT_E_DIRTY	(1ULL << 6)
#define FT_E_PSE	(1ULL << 7)
#define FT_E_PROTNONE	(1ULL << 8)	/* _PAGE_PROTNONE: global bit, when not present */
#define FT_E_SOFTW2	(1ULL << 10)	/* _PAGE_BIT_UFFD_WP */
#define FT_E_SOFT_DIRTY	(1ULL << 11)
#define FT_E_NX		(1ULL << 63)
#define FT_E_PFN_MASK	0x000ffffffffff000ULL	/* bits 12..51 */

struct ft_event {
	__u64 ts;		/* bpf_ktime_get_ns() (CLOCK_MONOTONIC) on entry */
	__u64 latency;		/* ns in handle_mm_fault() */
	__u64 address;
	__u64 ip;		/* from the fault's pt_regs; 0 if none (GUP) */
	__u64 vm_start;
	__u64 vm_end;
	__u64 vm_pgoff;
	__u32 pid;		/* tgid */
	__u32 tid;
	__u32 flags;		/* FAULT_FLAG_* as passed */
	__u32 ret;		/* vm_fault_t */
	__u32 error_code;	/* valid if cause != FT_CAUSE_NONE */
	__u32 vm_flags;		/* FT_VMA_* */
	__u8 outcome;		/* enum ft_outcome */
	__u8 access;		/* enum ft_access */
	__u8 cause;		/* enum ft_cause */
	__u8 mode;		/* enum ft_mode */
	__u8 backing;		/* enum ft_backing */
	__u8 reserved[3];
	char comm[FT_COMM_LEN];
	struct ft_pte before;
	struct ft_pte after;
};

/* Counters (a per-CPU array map, "counters"), summed by the user side. */
enum ft_counter {
	FT_CNT_CALLS,		/* handle_mm_fault() calls of the target seen on entry */
	FT_CNT_FAULTS,		/* ... that returned without VM_FAULT_RETRY */
	FT_CNT_MINOR,
	FT_CNT_MAJOR,
	FT_CNT_RETRY,
	FT_CNT_ERROR,
	FT_CNT_EXCEPTIONS,	/* page_fault_user/kernel on user addresses */
	FT_CNT_EVENTS,		/* events submitted to the ring buffer (or, when
				 * aggregating, counted in class_hist) */
	/* Losses: */
	FT_CNT_LOST_RINGBUF,	/* ring buffer full: event dropped */
	FT_CNT_LOST_NO_ENTRY,	/* a return without its entry (entry missed) */
	FT_CNT_LOST_NO_EXIT,	/* an entry whose return never came (kretprobe miss) */
	FT_CNT_LOST_MAP_FULL,	/* no in-flight slot for the thread: fault not
				 * followed (its return counts in
				 * FT_CNT_LOST_NO_ENTRY too) */
	/* Not a loss: */
	FT_CNT_INFLIGHT,	/* calls between entry and return now: +1 at
				 * entry, -1 at return, on any CPU (the sum
				 * over CPUs counts) */
	FT_NR_COUNTERS,
};

/*
 * Latency histogram of each fault class, for "ptscope trace --summary"
 * (the BPF side classifies and counts; no event goes through the ring
 * buffer).  Log-linear buckets: latencies below FT_LAT_SUB ns exactly,
 * above that FT_LAT_SUB buckets per power of two, so a bucket is at most
 * 1/FT_LAT_SUB (0.8%) of its values wide.  Latencies of 2^FT_LAT_MAX_BIT
 * ns (about 37 minutes) and more share the last bucket.
 */
#define FT_LAT_SUB_BITS		7
#define FT_LAT_SUB		(1U << FT_LAT_SUB_BITS)
#define FT_LAT_MAX_BIT		41
#define FT_LAT_BUCKETS		((FT_LAT_MAX_BIT - FT_LAT_SUB_BITS + 1) * FT_LAT_SUB)

/* The bucket of a latency of NS nanoseconds. */
static inline __attribute__((always_inline)) __u32 ft_lat_bucket(__u64 ns)
{
	__u64 x = ns;
	__u32 o = 0;

	if (ns < FT_LAT_SUB)
		return ns;
	/* o = the highest bit set (no clz instruction in BPF) */
	if (x >> 32) {
		x >>= 32;
		o += 32;
	}
	if (x >> 16) {
		x >>= 16;
		o += 16;
	}
	if (x >> 8) {
		x >>= 8;
		o += 8;
	}
	if (x >> 4) {
		x >>= 4;
		o += 4;
	}
	if (x >> 2) {
		x >>= 2;
		o += 2;
	}
	if (x >> 1)
		o += 1;
	if (o >= FT_LAT_MAX_BIT)
		return FT_LAT_BUCKETS - 1;
	return (o - FT_LAT_SUB_BITS + 1) * FT_LAT_SUB +
	       ((ns >> (o - FT_LAT_SUB_BITS)) & (FT_LAT_SUB - 1));
}

/* The smallest latency of bucket B; *WIDTH: how many it holds. */
static inline __u64 ft_lat_lo(__u32 b, __u64 *width)
{
	__u32 o = b / FT_LAT_SUB + FT_LAT_SUB_BITS - 1;

	if (b < FT_LAT_SUB) {
		*width = 1;
		return b;
	}
	*width = 1ULL << (o - FT_LAT_SUB_BITS);
	return (__u64)(FT_LAT_SUB + b % FT_LAT_SUB) << (o - FT_LAT_SUB_BITS);
}

#endif /* PTSCOPE_FAULTTRACE_H */
