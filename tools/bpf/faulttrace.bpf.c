// SPDX-License-Identifier: GPL-2.0
/*
 * faulttrace: follow every page fault of one process through
 * handle_mm_fault() and read the page-table entry for the faulting
 * address before and after the fault is handled.
 *
 * Hooks (the user side picks one of each pair at run time, by probing,
 * and falls back when loading or attaching fails):
 *
 *  - handle_mm_fault() entry and return: fentry/fexit, or kprobe/kretprobe;
 *  - the x86 exceptions:page_fault_user and :page_fault_kernel
 *    tracepoints, as BTF tracepoints (tp_btf) or classic ones, which give
 *    the hardware error code.  It waits in a per-thread map for the
 *    handle_mm_fault() call that follows it.
 *
 * The entry hook saves the fault and the leaf entry as it was in the
 * thread's "inflight" slot; the return hook reads the entry again and
 * sends one struct ft_event through a ring buffer, or, for a summary
 * alone (aggregate), classifies the fault itself and counts it in
 * class_hist.  Nothing is dropped silently: each loss is counted in the
 * "counters" map.
 *
 * The page tables are walked here, from mm->pgd through the kernel's
 * direct map: the next table's virtual address is page_offset_base plus
 * the physical address in the entry.  page_offset_base and the paging
 * mode (4 or 5 levels) are read from the kernel's own variables, found
 * as untyped ksyms, so one object serves both paging modes and every
 * kernel with BTF (CO-RE).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "faulttrace.h"
#include "faultclass_rules.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by the user side before load. */
const volatile __u32 targ_tgid = 0;	/* 0: every process ... */
const volatile __u32 self_tgid = 0;	/* ... but the tracer itself */
/*
 * The target is ptscope's forked child, about to exec CMD: report only
 * what happens from the exec on (see exec_done()).
 */
const volatile bool after_exec = false;
/*
 * Wake the reader only once this much is waiting in the ring buffer (0:
 * at every event); the reader also polls every 100 ms.  Waking a reader
 * per fault roughly doubled the cost of a traced fault.
 */
const volatile __u64 wakeup_bytes = 0;

/*
 * Classify each fault here and count it in class_hist instead of sending
 * an event ("ptscope trace --summary"): no ring buffer traffic, no reader
 * to wake.  zero_pfn: the shared zero page's frame (0: unknown), as the
 * user side's classification takes it.
 */
const volatile bool aggregate = false;
const volatile __u64 zero_pfn = 0;

/* With aggregate: faults per class and latency bucket (faulttrace.h). */
__u64 class_hist[CL_NR][FT_LAT_BUCKETS];

/* Paging as found on the first fault; the user side reads them too. */
__u64 paging_page_offset = 0;
__u32 paging_levels = 0;

/*
 * Set by the user side once every hook is attached, cleared before they
 * are detached.  Calls that begin while it is clear are followed but not
 * reported, so that attaching and detaching lose nothing and invent no
 * losses: a return whose entry came before the entry hook, or an entry
 * whose return hook is not attached yet, is not an event.
 */
__u32 armed = 0;

/*
 * With follow (and no targ_tgid): only the process follow_tgid, changed
 * at run time while the program is not armed (the labs follow one child
 * after another with one loaded program); 0: none.
 */
const volatile bool follow = false;
__u32 follow_tgid = 0;
/*
 * Bumped by the user side with each follow_tgid: what was in flight
 * before is nobody's now (an entry of an older generation is no entry).
 */
__u32 follow_gen = 0;

extern const void page_offset_base __ksym __weak;
extern const void ptrs_per_p4d __ksym __weak;
extern const void __pgtable_l5_enabled __ksym __weak;

#define TMPFS_MAGIC		0x01021994
#define VM_READ_BIT		0x00000001UL
#define VM_WRITE_BIT		0x00000002UL
#define VM_EXEC_BIT		0x00000004UL
#define VM_SHARED_BIT		0x00000008UL
#define VM_GROWSDOWN_BIT	0x00000100UL
#define VM_HUGETLB_BIT		0x00400000UL
#define PAGE_OFFSET_L4		0xffff888000000000ULL
#define PAGE_OFFSET_L5		0xff11000000000000ULL
/* pte_none(): the KNL erratum may leave A and D set in an empty entry. */
#define ENTRY_NONE_MASK		(~(FT_E_ACCESSED | FT_E_DIRTY))

/* The error code of the last hardware fault of each thread. */
struct exc {
	__u64 address;
	__u32 error_code;
	__u32 reserved;
};

/* A handle_mm_fault() call between entry and return. */
struct inflight {
	__u64 owner;		/* (follow_gen << 32) | TID of the thread whose
				 * fault this is, 0: free (see slot_find());
				 * first: the rest is cleared without it */
	__u64 ts;
	__u64 address;
	__u64 ip;
	__u64 pgd;		/* mm->pgd: the vma may be gone at return */
	__u64 vm_start;
	__u64 vm_end;
	__u64 vm_pgoff;
	__u32 flags;
	__u32 error_code;
	__u32 vm_flags;
	__u8 cause;
	__u8 mode;
	__u8 backing;
	__u8 ignore;		/* began while not armed */
	__u8 window;		/* count the PTE window (see walk_from()) */
	__u8 reserved[3];
	__u64 pmd_table;	/* the PMD table of the entry walk, or 0 */
	struct ft_pte before;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, struct exc);
} exceptions SEC(".maps");

/*
 * Each thread's fault between entry and return, in a slot of an array
 * found from its TID (slot_find()): an array look-up is a few
 * instructions, where a hash map keyed by TID took a hash, a bucket lock
 * and an element to allocate and free per fault, and task local storage
 * a lock and a look-up per hook.  Threads handle one fault at a time.
 */
#define INFLIGHT_SLOTS	8192
#define INFLIGHT_PROBES	4

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, INFLIGHT_SLOTS);
	__type(key, __u32);
	__type(value, struct inflight);
} inflight SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FT_NR_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

static __always_inline void count_add(__u32 idx, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);

	if (v)
		*v += n;
}

static __always_inline void count(__u32 idx)
{
	count_add(idx, 1);
}

/*
 * Has the current task exec'd since it was forked?  fork() copies the
 * parent's self_exec_id into the child's parent_exec_id (and, as part of
 * the task, into its self_exec_id); begin_new_exec() increments
 * self_exec_id at the exec's point of no return, when the new program's
 * address space has replaced the old one.  Threads that CMD starts later
 * inherit both from its (exec'd) main thread, so they differ too.  No
 * event to catch, no race: the task's own fields say it.
 */
static __always_inline bool exec_done(bool btf)
{
	struct task_struct *task;

	if (btf) {
		task = bpf_get_current_task_btf();
		return task->self_exec_id != task->parent_exec_id;
	}
	task = (struct task_struct *)bpf_get_current_task();
	return BPF_CORE_READ(task, self_exec_id) != BPF_CORE_READ(task, parent_exec_id);
}

/*
 * Kernel memory the hooks read: BTF-typed pointers (fentry/fexit and BTF
 * tracepoints: BTF true) are read directly, as the verifier allows, where
 * each bpf_probe_read_kernel() would be a helper call; the kprobe and
 * classic tracepoint programs (BTF false) take the helper.  BTF is a
 * constant in each program: the other branch is compiled out.
 */
#define RD(btf, direct, ...) ((btf) ? (direct) : BPF_CORE_READ(__VA_ARGS__))

static __always_inline bool is_target(__u64 pid_tgid, bool btf)
{
	__u32 tgid = pid_tgid >> 32;

	if (targ_tgid)
		return tgid == targ_tgid && (!after_exec || exec_done(btf));
	if (follow)
		return tgid == *(volatile __u32 *)&follow_tgid;
	return tgid != self_tgid;
}

/* Number of paging levels; *pob = page_offset_base. */
static __always_inline int paging(__u64 *pob)
{
	__u64 base = 0;
	__u32 v = 0;
	int levels = 4;

	if (paging_levels) {
		*pob = paging_page_offset;
		return paging_levels;
	}
	if (&ptrs_per_p4d) {
		if (!bpf_probe_read_kernel(&v, sizeof(v), &ptrs_per_p4d) && v > 1)
			levels = 5;
	} else if (&__pgtable_l5_enabled) {
		if (!bpf_probe_read_kernel(&v, sizeof(v), &__pgtable_l5_enabled) && v)
			levels = 5;
	}
	if (&page_offset_base)
		bpf_probe_read_kernel(&base, sizeof(base), &page_offset_base);
	if (!base)
		base = levels == 5 ? PAGE_OFFSET_L5 : PAGE_OFFSET_L4;
	paging_page_offset = base;
	paging_levels = levels;
	*pob = base;
	return levels;
}

/*
 * Walk the page tables for ADDR from TABLE (a kernel virtual address), a
 * table of level TOP (the PGD: paging() - 1; a PMD table: FT_LVL_PMD),
 * down to a leaf or to an empty or non-present entry.  With WINDOW, also
 * count the non-empty PTEs in the aligned 16-entry window around ADDR
 * (one read of 128 bytes rather than 8).  *PMD_TABLE (if not NULL): the
 * PMD table the walk read an entry of, else 0.
 */
static __always_inline void walk_from(__u64 table, int top, __u64 addr, struct ft_pte *out,
				      bool window, __u64 *pmd_table)
{
	__u64 win[FT_WINDOW];
	__u64 e = 0, pob = 0;
	int levels = paging(&pob);
	int i, j, n;

	out->entry = 0;
	out->status = FT_WALK_FAIL;
	out->level = top == levels - 1 ? FT_LVL_PGD : top;
	out->window = 0;
	if (pmd_table)
		*pmd_table = 0;
	if (!table)
		return;
#pragma unroll
	for (i = 4; i >= 0; i--) {
		__u64 idx = (addr >> (12 + 9 * i)) & 511;

		if (i > top)
			continue;
		out->level = i == levels - 1 ? FT_LVL_PGD : i;
		if (i == FT_LVL_PMD && pmd_table)
			*pmd_table = table;
		if (i == 0 && window) {
			if (bpf_probe_read_kernel(win, sizeof(win),
						  (void *)(table + (idx & ~15ULL) * 8)))
				return;
			e = win[idx & 15];
			n = 0;
#pragma unroll
			for (j = 0; j < FT_WINDOW; j++)
				if (win[j] & ENTRY_NONE_MASK)
					n++;
			out->window = n;
		} else if (bpf_probe_read_kernel(&e, sizeof(e), (void *)(table + idx * 8))) {
			return;
		}
		out->entry = e;
		if (!(e & ENTRY_NONE_MASK)) {
			out->status = FT_WALK_NONE;
			return;
		}
		if (!(e & FT_E_PRESENT)) {
			out->status = FT_WALK_NONPRESENT;
			return;
		}
		if (i == 0 || (i <= 2 && (e & FT_E_PSE))) {
			out->status = FT_WALK_LEAF;
			return;
		}
		table = pob + (e & FT_E_PFN_MASK);
	}
}

/* The whole walk, from mm->pgd (a kernel virtual address). */
static __always_inline void walk(__u64 pgd, __u64 addr, struct ft_pte *out, bool window,
				 __u64 *pmd_table)
{
	__u64 pob;

	walk_from(pgd, paging(&pob) - 1, addr, out, window, pmd_table);
}

/*
 * The entry for ST's address after the fault returned RET.  Unless the
 * fault dropped the mmap (or VMA) lock (VM_FAULT_RETRY, _COMPLETED), its
 * caller still holds it: tables above the PTE level are freed only under
 * the write lock (free_pgtables()), so the PMD table the entry walk
 * found is still the one in use, and the walk starts there, reading the
 * PMD entry again (the fault may have filled or replaced it).
 */
static __always_inline void walk_after(const struct inflight *st, __u32 ret,
				       struct ft_pte *out)
{
	__u32 dropped = bpf_core_enum_value(enum vm_fault_reason, VM_FAULT_RETRY);

	if (bpf_core_enum_value_exists(enum vm_fault_reason, VM_FAULT_COMPLETED))
		dropped |= bpf_core_enum_value(enum vm_fault_reason, VM_FAULT_COMPLETED);
	if (st->pmd_table && !(ret & dropped))
		walk_from(st->pmd_table, FT_LVL_PMD, st->address, out, st->window, NULL);
	else
		walk(st->pgd, st->address, out, st->window, NULL);
}

static __always_inline int on_exception(__u64 address, __u64 error_code, bool btf)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct exc x = {};

	if (!is_target(id, btf) || (__s64)address < 0)
		return 0;
	count(FT_CNT_EXCEPTIONS);
	/* The error code only goes into events. */
	if (aggregate)
		return 0;
	x.address = address;
	x.error_code = error_code;
	bpf_map_update_elem(&exceptions, &tid, &x, BPF_ANY);
	return 0;
}

static __always_inline __u8 vma_backing(struct vm_area_struct *vma, __u64 vm_flags,
					 __u64 start, __u64 end, bool btf)
{
	struct file *file = RD(btf, vma->vm_file, vma, vm_file);
	unsigned long stack;

	if (vm_flags & VM_HUGETLB_BIT)
		return FT_BACK_HUGETLB;
	if (file)
		return RD(btf, file->f_inode->i_sb->s_magic, file, f_inode, i_sb, s_magic) ==
		       TMPFS_MAGIC ? FT_BACK_SHMEM : FT_BACK_FILE;
	if (RD(btf, vma->vm_ops, vma, vm_ops))
		return FT_BACK_OTHER;
	if (vm_flags & VM_GROWSDOWN_BIT)
		return FT_BACK_STACK;
	stack = RD(btf, vma->vm_mm->start_stack, vma, vm_mm, start_stack);
	if (start <= stack && stack < end)
		return FT_BACK_STACK;
	return FT_BACK_ANON;
}

/*
 * The in-flight slot of thread TID: one of INFLIGHT_PROBES slots from
 * TID on, owned by (follow_gen << 32) | TID.  With CLAIM and none owned
 * yet, take a free slot, or one an earlier generation left (the process
 * followed before: nobody's now), atomically: threads whose TIDs share a
 * slot may fault at the same time on two CPUs.  NULL if none (all taken
 * by faults in flight: counted as a loss).  *OWNED: the slot was already
 * the thread's (a fault whose return was never seen).
 */
static __always_inline struct inflight *slot_find(__u32 tid, bool claim, bool *owned)
{
	__u64 gen = *(volatile __u32 *)&follow_gen, me = gen << 32 | tid, o;
	struct inflight *s;
	__u32 k, idx;

	*owned = false;
#pragma unroll
	for (k = 0; k < INFLIGHT_PROBES; k++) {
		idx = (tid + k) & (INFLIGHT_SLOTS - 1);
		s = bpf_map_lookup_elem(&inflight, &idx);
		if (s && *(volatile __u64 *)&s->owner == me) {
			*owned = true;
			return s;
		}
	}
	if (!claim)
		return NULL;
#pragma unroll
	for (k = 0; k < INFLIGHT_PROBES; k++) {
		idx = (tid + k) & (INFLIGHT_SLOTS - 1);
		s = bpf_map_lookup_elem(&inflight, &idx);
		if (!s)
			continue;
		o = *(volatile __u64 *)&s->owner;
		if ((!o || o >> 32 != gen) &&
		    __sync_val_compare_and_swap(&s->owner, o, me) == o)
			return s;
	}
	return NULL;
}

/* What the entry hook keeps of fault ST: the VMA, the cause, the entry before. */
static __always_inline void fill_entry(struct inflight *st, struct vm_area_struct *vma,
				       __u64 address, __u32 flags, struct pt_regs *regs,
				       __u32 tid, bool btf)
{
	struct exc *x;
	__u64 vm_flags = 0;

	st->ts = bpf_ktime_get_ns();
	st->address = address;
	st->flags = flags;
	st->pgd = (__u64)RD(btf, vma->vm_mm->pgd, vma, vm_mm, pgd);
	st->vm_start = RD(btf, vma->vm_start, vma, vm_start);
	st->vm_end = RD(btf, vma->vm_end, vma, vm_end);
	st->vm_pgoff = RD(btf, vma->vm_pgoff, vma, vm_pgoff);
	if (btf)
		vm_flags = vma->vm_flags;
	else
		bpf_core_read(&vm_flags, sizeof(vm_flags), &vma->vm_flags);
	if (vm_flags & VM_READ_BIT)
		st->vm_flags |= FT_VMA_READ;
	if (vm_flags & VM_WRITE_BIT)
		st->vm_flags |= FT_VMA_WRITE;
	if (vm_flags & VM_EXEC_BIT)
		st->vm_flags |= FT_VMA_EXEC;
	if (vm_flags & VM_SHARED_BIT)
		st->vm_flags |= FT_VMA_SHARED;
	if (bpf_core_field_exists(vma->vm_userfaultfd_ctx.ctx) &&
	    RD(btf, vma->vm_userfaultfd_ctx.ctx, vma, vm_userfaultfd_ctx.ctx))
		st->vm_flags |= FT_VMA_UFFD;
	st->backing = vma_backing(vma, vm_flags, st->vm_start, st->vm_end, btf);

	st->cause = FT_CAUSE_NONE;
	if (aggregate) {
		/* Neither the cause nor the ip is in a class. */
	} else if (!regs) {
		st->mode = FT_MODE_GUP;
	} else {
		st->mode = flags & bpf_core_enum_value(enum fault_flag, FAULT_FLAG_USER) ?
			   FT_MODE_USER : FT_MODE_KERNEL;
		st->ip = RD(btf, regs->ip, regs, ip);
		x = bpf_map_lookup_elem(&exceptions, &tid);
		if (x && x->address == address) {
			st->error_code = x->error_code;
			st->cause = x->error_code & FT_PF_PROT ?
				    FT_CAUSE_PROTECTION : FT_CAUSE_NOT_PRESENT;
		}
	}

	/*
	 * The window only tells fault-around apart (file faults): a summary
	 * of anonymous faults does without it.
	 */
	st->window = !aggregate || !(st->backing == FT_BACK_ANON ||
				     st->backing == FT_BACK_STACK);
	walk(st->pgd, address, &st->before, st->window, &st->pmd_table);
}

static __always_inline int on_entry(struct vm_area_struct *vma, __u64 address,
				    __u32 flags, struct pt_regs *regs, bool btf)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct inflight *st;
	bool owned;

	if (!is_target(id, btf))
		return 0;
	st = slot_find((__u32)id, true, &owned);
	if (!st) {
		/* every slot taken: the fault is not followed */
		if (armed) {
			count(FT_CNT_CALLS);
			count(FT_CNT_LOST_MAP_FULL);
		}
		return 0;
	}
	/* One task handles one fault at a time: a leftover lost its return. */
	if (armed && owned && !st->ignore)
		count(FT_CNT_LOST_NO_EXIT);
	if (!owned)
		count(FT_CNT_INFLIGHT);
	/* All but the owner, which another thread may be testing. */
	__builtin_memset((char *)st + sizeof(st->owner), 0, sizeof(*st) - sizeof(st->owner));
	if (!armed) {
		st->ignore = 1;
		return 0;
	}
	count(FT_CNT_CALLS);
	fill_entry(st, vma, address, flags, regs, (__u32)id, btf);
	return 0;
}

/* The thread is done with slot ST (read everything it needs first). */
static __always_inline void slot_free(struct inflight *st)
{
	*(volatile __u64 *)&st->owner = 0;
}

/* FAULT_FLAG_* of the fault: read, write or exec. */
static __always_inline __u8 fault_access(__u32 flags)
{
	if (flags & bpf_core_enum_value(enum fault_flag, FAULT_FLAG_INSTRUCTION))
		return FT_ACC_EXEC;
	if (flags & bpf_core_enum_value(enum fault_flag, FAULT_FLAG_WRITE))
		return FT_ACC_WRITE;
	return FT_ACC_READ;
}

/* What classify_count() takes. */
struct agg_in {
	struct ftc_fault f;
	struct ft_pte before;
	struct ft_pte after;
	__u64 latency;
};

/*
 * Classify fault IN and count it in class_hist.  A global function: the
 * verifier checks it once, for any input, not once for each way the
 * walks before it can end (which on 6.1 made the program too complex to
 * load).
 */
__noinline int classify_count(const struct agg_in *in)
{
	__u32 b;
	int cls, nb;

	if (!in)
		return -1;
	b = ft_lat_bucket(in->latency);
	cls = ftc_classify(&in->f, &in->before, &in->after, zero_pfn, &nb);
	if (cls >= 0 && cls < CL_NR && b < FT_LAT_BUCKETS)
		__sync_fetch_and_add(&class_hist[cls][b], 1);
	return cls;
}

/* The fault ST returned: classify it and count it in class_hist. */
static __always_inline int aggregate_fault(struct inflight *st, __u32 ret, __u8 outcome)
{
	struct agg_in in = {};

	in.latency = bpf_ktime_get_ns() - st->ts;
	in.f.outcome = outcome;
	in.f.access = fault_access(st->flags);
	in.f.backing = st->backing;
	in.f.vm_flags = st->vm_flags;
	in.before = st->before;
	/* A retry is one whatever the entry: no walk. */
	if (outcome != FT_RETRY)
		walk_after(st, ret, &in.after);
	else
		in.after = st->before;
	slot_free(st);
	classify_count(&in);
	count(FT_CNT_EVENTS);
	return 0;
}

static __always_inline int on_return(__u32 ret, bool btf)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct inflight *st;
	struct ft_event *e;
	__u32 vm_fault_error;
	__u8 outcome;
	bool owned;

	if (!is_target(id, btf))
		return 0;
	st = slot_find(tid, false, &owned);
	if (!st) {
		if (armed)
			count(FT_CNT_LOST_NO_ENTRY);
		return 0;
	}
	count_add(FT_CNT_INFLIGHT, -1);
	if (st->ignore) {
		slot_free(st);
		return 0;
	}

	/* mm_account_fault(): the kernel's minflt/majflt rules. */
	vm_fault_error = bpf_core_enum_value(enum vm_fault_reason, VM_FAULT_OOM) |
			 bpf_core_enum_value(enum vm_fault_reason, VM_FAULT_SIGBUS) |
			 bpf_core_enum_value(enum vm_fault_reason, VM_FAULT_SIGSEGV) |
			 bpf_core_enum_value(enum vm_fault_reason, VM_FAULT_HWPOISON) |
			 bpf_core_enum_value(enum vm_fault_reason, VM_FAULT_HWPOISON_LARGE) |
			 bpf_core_enum_value(enum vm_fault_reason, VM_FAULT_FALLBACK);
	if (ret & bpf_core_enum_value(enum vm_fault_reason, VM_FAULT_RETRY)) {
		outcome = FT_RETRY;
		count(FT_CNT_RETRY);
	} else {
		count(FT_CNT_FAULTS);
		if (ret & vm_fault_error) {
			outcome = FT_ERROR;
			count(FT_CNT_ERROR);
		} else if ((ret & bpf_core_enum_value(enum vm_fault_reason, VM_FAULT_MAJOR)) ||
			   (st->flags & bpf_core_enum_value(enum fault_flag, FAULT_FLAG_TRIED))) {
			outcome = FT_MAJOR;
			count(FT_CNT_MAJOR);
		} else {
			outcome = FT_MINOR;
			count(FT_CNT_MINOR);
		}
	}

	if (aggregate)
		return aggregate_fault(st, ret, outcome);

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(FT_CNT_LOST_RINGBUF);
		slot_free(st);
		return 0;
	}
	e->ts = st->ts;
	e->latency = bpf_ktime_get_ns() - st->ts;
	e->address = st->address;
	e->ip = st->ip;
	e->vm_start = st->vm_start;
	e->vm_end = st->vm_end;
	e->vm_pgoff = st->vm_pgoff;
	e->pid = id >> 32;
	e->tid = tid;
	e->flags = st->flags;
	e->ret = ret;
	e->error_code = st->error_code;
	e->vm_flags = st->vm_flags;
	e->outcome = outcome;
	e->access = fault_access(st->flags);
	e->cause = st->cause;
	e->mode = st->mode;
	e->backing = st->backing;
	__builtin_memset(e->reserved, 0, sizeof(e->reserved));
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->before = st->before;
	walk_after(st, ret, &e->after);
	slot_free(st);
	bpf_ringbuf_submit(e, wakeup_bytes &&
			      bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) < wakeup_bytes ?
			      BPF_RB_NO_WAKEUP : BPF_RB_FORCE_WAKEUP);
	count(FT_CNT_EVENTS);
	return 0;
}

/* ---- handle_mm_fault(vma, address, flags, regs) ---------------------- */

SEC("fentry/handle_mm_fault")
int BPF_PROG(hmf_fentry, struct vm_area_struct *vma, unsigned long address,
	     unsigned int flags, struct pt_regs *regs)
{
	return on_entry(vma, address, flags, regs, true);
}

SEC("fexit/handle_mm_fault")
int BPF_PROG(hmf_fexit, struct vm_area_struct *vma, unsigned long address,
	     unsigned int flags, struct pt_regs *regs, vm_fault_t ret)
{
	return on_return(ret, true);
}

SEC("kprobe/handle_mm_fault")
int BPF_KPROBE(hmf_kprobe, struct vm_area_struct *vma, unsigned long address,
	       unsigned int flags, struct pt_regs *regs)
{
	return on_entry(vma, address, flags, regs, false);
}

SEC("kretprobe/handle_mm_fault")
int BPF_KRETPROBE(hmf_kretprobe, unsigned int ret)
{
	return on_return(ret, false);
}

/* ---- exceptions:page_fault_user/kernel(address, regs, error_code) ---- */

SEC("tp_btf/page_fault_user")
int BPF_PROG(pf_user_btf, unsigned long address, struct pt_regs *regs,
	     unsigned long error_code)
{
	return on_exception(address, error_code, true);
}

SEC("tp_btf/page_fault_kernel")
int BPF_PROG(pf_kernel_btf, unsigned long address, struct pt_regs *regs,
	     unsigned long error_code)
{
	return on_exception(address, error_code, true);
}

/*
 * A classic tracepoint's record is laid out as its format file says
 * (events/exceptions/page_fault_user/format), which is the tracing ABI:
 * the user side checks those offsets before it chooses these programs.
 * Not the kernel's trace_event_raw_x86_exceptions type through CO-RE:
 * 7.x's BTF no longer carries it.
 */
struct pf_tp_record {
	__u64 common;		/* common_type, _flags, _preempt_count, _pid */
	__u64 address;		/* offset 8 */
	__u64 ip;		/* offset 16 */
	__u64 error_code;	/* offset 24 */
};

SEC("tracepoint/exceptions/page_fault_user")
int pf_user_tp(struct pf_tp_record *ctx)
{
	return on_exception(ctx->address, ctx->error_code, false);
}

SEC("tracepoint/exceptions/page_fault_kernel")
int pf_kernel_tp(struct pf_tp_record *ctx)
{
	return on_exception(ctx->address, ctx->error_code, false);
}
