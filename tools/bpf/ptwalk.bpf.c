// SPDX-License-Identifier: GPL-2.0
/*
 * ptwalk: walk one process's page tables without the module, from a
 * task_vma iterator (Documentation/bpfwalk.rst).
 *
 * The iterator calls the program once per VMA of the target with the
 * target's mmap read lock held (kernel/bpf/task_iter.c): PGD, P4D, PUD
 * and PMD tables inside a VMA are freed only under the mmap write lock,
 * so the walk stays inside VMAs and reads each table only while the
 * program sees the VMA that covers it.  It cannot take the page-table
 * spinlocks the module takes; instead:
 *  - each entry is one aligned 8-byte load (bpf_probe_read_kernel()
 *    copies aligned words), so it is a value the entry really had;
 *  - a PTE table is copied whole, then the PMD entry that points to it
 *    is read again: if it changed (khugepaged collapsed the range, the
 *    table was freed by RCU) the table is read again, up to PW_RETRIES
 *    times; a PMD entry is checked against a fresh read of its PUD entry
 *    the same way (a shared hugetlb PMD table can be unshared under the
 *    mmap read lock);
 *  - a huge PMD caught between pmdp_invalidate() and the entry that
 *    replaces it (PSE set, PRESENT and PROTNONE clear: an entry the MMU
 *    does not use, with an inverted frame) is read again, never reported.
 *
 * Tables are reached through the kernel's direct map: page_offset_base
 * plus the physical address in the entry; page_offset_base, vmemmap_base
 * and the paging mode come from exported kernel variables (typeless
 * ksyms).  A run reports at most PW_BUDGET records (see ptwalk.h) and
 * ends with a PW_CHUNK record saying where the next run starts; user
 * space re-creates the iterator until the walk is done, so the mmap lock
 * is dropped between runs, as pagemap drops it between chunks.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "ptwalk.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by user space before each run (one loaded program serves every walk). */
__u32 op = 0;				/* PTSCOPE_OP_*: 2 is translate */
__u32 pti = 0;				/* walk the PTI user copy (translate) */
__u64 resume_va = 0;
__u64 end_va = 0;
__u64 xlate_va = 0;

/* Kept across runs. */
__u64 last_vm_start = 0;
__u64 last_vm_end = 0;
__u64 last_table[5] = {};
__u32 params_sent = 0;

/* Per run. */
__u32 run_done = 0;
__u32 unstable = 0;

__u64 ptebuf[512] = {};

extern const void page_offset_base __ksym __weak;
extern const void vmemmap_base __ksym __weak;
extern const void ptrs_per_p4d __ksym __weak;
extern const void __pgtable_l5_enabled __ksym __weak;

#define E_PRESENT	(1ULL << 0)
#define E_ACCESSED	(1ULL << 5)
#define E_DIRTY		(1ULL << 6)
#define E_PSE		(1ULL << 7)
#define E_PROTNONE	(1ULL << 8)
#define E_SPECIAL	(1ULL << 9)
#define E_PFN_MASK	0x000ffffffffff000ULL
#define E_NONE_MASK	(~(E_ACCESSED | E_DIRTY))
#define PAGE_OFFSET_L4	0xffff888000000000ULL
#define PAGE_OFFSET_L5	0xff11000000000000ULL
#define VMEMMAP_L4	0xffffea0000000000ULL
#define TMPFS_MAGIC	0x01021994
#define PW_RETRIES	64
#define PW_STEPS	4096

static __u64 pob;
static __u64 vmemmap;
static __u32 levels;

static __always_inline void paging(void)
{
	__u32 v = 0;

	if (levels)
		return;
	levels = 4;
	if (&ptrs_per_p4d) {
		if (!bpf_probe_read_kernel(&v, sizeof(v), &ptrs_per_p4d) && v > 1)
			levels = 5;
	} else if (&__pgtable_l5_enabled) {
		if (!bpf_probe_read_kernel(&v, sizeof(v), &__pgtable_l5_enabled) && v)
			levels = 5;
	}
	if (&page_offset_base)
		bpf_probe_read_kernel(&pob, sizeof(pob), &page_offset_base);
	if (!pob)
		pob = levels == 5 ? PAGE_OFFSET_L5 : PAGE_OFFSET_L4;
	if (&vmemmap_base)
		bpf_probe_read_kernel(&vmemmap, sizeof(vmemmap), &vmemmap_base);
	if (!vmemmap)
		vmemmap = VMEMMAP_L4;
}

static __always_inline int entry_none(__u64 e)
{
	return !(e & E_NONE_MASK);
}

/* Read one entry of the table at physical address TABLE. */
static __always_inline int read_entry(__u64 table, __u64 idx, __u64 *e)
{
	*e = 0;
	return bpf_probe_read_kernel(e, sizeof(*e), (void *)(pob + table + (idx & 511) * 8));
}

/*
 * Does a table entry read again still point to the same table?  The
 * accessed bit of a non-leaf entry changes under us (the MMU sets it,
 * MGLRU's aging and MADV_COLD clear it: pmdp_test_and_clear_young()):
 * that does not change which table it points to.
 */
static __always_inline int same_table(__u64 a, __u64 b)
{
	return !((a ^ b) & ~(E_ACCESSED | E_DIRTY));
}

static __always_inline __u64 idx_of(__u64 va, int lvl)
{
	return (va >> (12 + 9 * lvl)) & 511;
}

struct pw_walkstate ws = {};

struct walkctx {
	struct seq_file *seq;
};

static __always_inline void emit(struct seq_file *seq, __u8 type, __u8 level,
				 __u8 facts, __u64 va, __u64 entry, __u64 aux,
				 __u64 aux2, __u32 r2)
{
	struct pw_rec r = {
		.type = type, .level = level, .facts = facts, .reserved2 = r2,
		.va = va, .entry = entry, .aux = aux, .aux2 = aux2,
	};

	bpf_seq_write(seq, &r, sizeof(r));
}

static __always_inline void note_table(struct walkctx *c, int level, __u64 pa)
{
	if (level < 0 || level > 4)
		return;
	if (last_table[level] == pa)
		return;
	last_table[level] = pa;
	emit(c->seq, PW_TABLE, level, 0, ws.va, pa, 0, 0, 0);
	if (ws.budget)
		ws.budget--;
}

/* Frame of a leaf entry (a non-present one holds it inverted). */
static __always_inline __u64 leaf_pfn(__u64 e, int level)
{
	__u64 mask = E_PFN_MASK;

	if (!(e & E_PRESENT))
		e = ~e;
	if (level == 1)
		mask &= ~((1ULL << 21) - 1);
	else if (level == 2)
		mask &= ~((1ULL << 30) - 1);
	return (e & mask) >> 12;
}

/* Fields that only some kernels have (CO-RE flavours). */
struct page___v61 {
	atomic_t compound_mapcount;	/* 6.1: in the first tail page */
} __attribute__((preserve_access_index));

struct folio___v66 {
	atomic_t _entire_mapcount;	/* 6.2 and later */
} __attribute__((preserve_access_index));

/* The VMA being walked is hugetlb (6.1's page_mapcount() asks). */
__u32 cur_hugetlb = 0;

#define PAGE_MAPCOUNT_RESERVE	(-128)

/*
 * What the struct page of a present leaf's frame says: PW_P_* in the low
 * byte, the frame's map count (as /proc/kpagecount, module/walk.c
 * frame_mapcount()) from bit 8, or PW_P_NO_MAPCOUNT.  A global function:
 * the verifier checks it once, not at every call.  Read without the page
 * table lock: a snapshot of a frame that may be unmapped meanwhile.
 */
__noinline __u64 page_facts(__u64 e, int level)
{
	__u64 page, head, info = 0, flags = 0, mapping = 0;
	__u64 psize = bpf_core_type_size(struct page);
	__u64 pghead = bpf_core_enum_value(enum pageflags, PG_head);
	__u32 off_info, off_map, off_flags, off_mc;
	int mc = 0, extra = 0;
	__u64 f = PW_P_READ;

	if (!(e & (E_PRESENT | E_PROTNONE | (level ? E_PSE : 0))))
		return 0;
	page = vmemmap + leaf_pfn(e, level) * psize;
	if (bpf_core_field_exists(struct page, compound_head))
		off_info = bpf_core_field_offset(struct page, compound_head);
	else
		off_info = 8;
	off_map = bpf_core_field_offset(struct page, mapping);
	/* first in every kernel; memdesc_flags_t (7.x) is no CO-RE match for a long */
	off_flags = 0;
	off_mc = bpf_core_field_offset(struct page, _mapcount);
	if (bpf_probe_read_kernel(&info, sizeof(info), (void *)(page + off_info)))
		return 0;
	head = page;
	if (info & 1) {
		__u64 m = info - 1;

		/* A pointer to the head, or (HVO, 7.x) a mask to apply. */
		head = m > page ? (page & m) : m;
	}
	if (bpf_probe_read_kernel(&flags, sizeof(flags), (void *)(head + off_flags)) ||
	    bpf_probe_read_kernel(&mapping, sizeof(mapping), (void *)(head + off_map)) ||
	    bpf_probe_read_kernel(&mc, sizeof(mc), (void *)(page + off_mc)))
		return 0;
	if (mapping & 1)
		f |= PW_P_ANON;
	if (!mapping)
		f |= PW_P_NOMAPPING;
	mc += 1;
	if (mc < PAGE_MAPCOUNT_RESERVE + 1)
		mc = 0;		/* a page type, not a count */
	if ((info & 1) || (flags & (1ULL << pghead))) {
		f |= PW_P_LARGE;
		if (bpf_core_field_exists(struct folio___v66, _entire_mapcount)) {
			if (bpf_probe_read_kernel(&extra, sizeof(extra), (void *)(head +
				bpf_core_field_offset(struct folio___v66, _entire_mapcount))))
				return f | PW_P_NO_MAPCOUNT;
			mc += extra + 1;
		} else if (bpf_core_field_exists(struct page___v61, compound_mapcount)) {
			/* 6.1 __page_mapcount(): file THPs count in _mapcount */
			if ((mapping & 1) || cur_hugetlb) {
				if (bpf_probe_read_kernel(&extra, sizeof(extra), (void *)(head +
					psize + bpf_core_field_offset(struct page___v61,
								      compound_mapcount))))
					return f | PW_P_NO_MAPCOUNT;
				mc += extra + 1;
			}
		} else {
			return f | PW_P_NO_MAPCOUNT;
		}
	}
	if (mc < 0)
		mc = 0;
	return f | ((__u64)mc << 8);
}

static __always_inline void emit_leaf(struct walkctx *c, __u64 va, __u64 e, int level)
{
	__u64 pf = page_facts(e, level);

	emit(c->seq, PW_LEAF, level, pf & 0xff, va, e, pf >> 8, 0, 0);
	if (ws.budget)
		ws.budget--;
}

static long pte_cb(__u64 i, void *data)
{
	struct walkctx *c = data;
	__u32 idx = ws.pte_from + (__u32)i;
	__u64 e;

	if (idx >= ws.pte_to || idx >= 512)
		return 1;
	if (!ws.budget) {
		ws.va = ws.pte_va + ((__u64)idx << 12);
		ws.stop = 1;
		return 1;
	}
	barrier_var(idx);
	idx &= 511;
	e = ptebuf[idx];
	if (!entry_none(e))
		emit_leaf(c, ws.pte_va + ((__u64)idx << 12), e, 0);
	return 0;
}

static __always_inline __u64 lvl_end(__u64 va, int lvl, __u64 end)
{
	__u64 size = 1ULL << (12 + 9 * lvl);
	__u64 next = (va & ~(size - 1)) + size;

	return next < end && next ? next : end;
}

/*
 * One step of the walk at ws.va: down to the first empty entry, leaf or
 * PTE table, report it and move ws.va past it.
 */
static long step_cb(__u64 i, void *data)
{
	struct walkctx *c = data;
	__u64 va = ws.va, table = ws.pgd, e = 0, pud = 0, pmd = 0, e2;

	if (va >= ws.end) {
		ws.stop = 2;
		return 1;
	}
	if (ws.budget < 8) {
		ws.stop = 1;
		return 1;
	}
	{
		table = ws.pgd;
		if (read_entry(table, idx_of(va, levels - 1), &e))
			goto fail;
		if (entry_none(e) || !(e & E_PRESENT)) {
			ws.va = lvl_end(va, levels - 1, ws.end);
			return 0;
		}
		if (levels == 5) {
			table = e & E_PFN_MASK;
			note_table(c, 3, table);
			if (read_entry(table, idx_of(va, 3), &e))
				goto fail;
			if (entry_none(e) || !(e & E_PRESENT)) {
				ws.va = lvl_end(va, 3, ws.end);
				return 0;
			}
		}
		/* e: the P4D entry, pointing to a PUD table */
		table = e & E_PFN_MASK;
		note_table(c, 2, table);
		if (read_entry(table, idx_of(va, 2), &pud))
			goto fail;
		if (entry_none(pud)) {
			ws.va = lvl_end(va, 2, ws.end);
			return 0;
		}
		if (!(pud & E_PRESENT) || (pud & E_PSE)) {
			emit_leaf(c, va & ~((1ULL << 30) - 1), pud, 2);
			ws.va = lvl_end(va, 2, ws.end);
			return 0;
		}
		table = pud & E_PFN_MASK;
		note_table(c, 1, table);
		if (read_entry(table, idx_of(va, 1), &pmd))
			goto fail;
		/* The PMD table must still be this PUD's. */
		if (read_entry(e & E_PFN_MASK, idx_of(va, 2), &e2))
			goto fail;
		if (!same_table(e2, pud))
			goto again;	/* unshared, freed: read again */
		if (entry_none(pmd)) {
			ws.va = lvl_end(va, 1, ws.end);
			return 0;
		}
		if ((pmd & E_PSE) && !(pmd & (E_PRESENT | E_PROTNONE)))
			goto again;	/* being invalidated: read again */
		if (!(pmd & E_PRESENT) || (pmd & E_PSE)) {
			ws.retries = 0;
			emit_leaf(c, va & ~((1ULL << 21) - 1), pmd, 1);
			ws.va = lvl_end(va, 1, ws.end);
			return 0;
		}
		/* A PTE table: copy it, then check it is still this PMD's. */
		if (bpf_probe_read_kernel(ptebuf, sizeof(ptebuf),
					  (void *)(pob + (pmd & E_PFN_MASK))))
			goto fail;
		if (read_entry(table, idx_of(va, 1), &e2))
			goto fail;
		if (!same_table(e2, pmd))
			goto again;
		note_table(c, 0, pmd & E_PFN_MASK);
		ws.pte_va = va & ~((1ULL << 21) - 1);
		ws.pte_from = idx_of(va, 0);
		ws.pte_to = ((lvl_end(va, 1, ws.end) - ws.pte_va) >> 12);
		ws.retries = 0;
		bpf_loop(512, pte_cb, c, 0);
		if (ws.stop)
			return 1;
		ws.va = lvl_end(va, 1, ws.end);
		return 0;
	}
again:
	/* Read the entries again, from the top, in the next step... */
	if (++ws.retries < PW_RETRIES)
		return 0;
	/*
	 * ...unless they kept changing: end the run here, so that the mmap lock
	 * is dropped, and let the next run read them again.
	 */
	unstable = 1;
	ws.stop = 1;
	return 1;
fail:
	ws.stop = 3;
	return 1;
}

static __always_inline void emit_vma(struct seq_file *seq, struct vm_area_struct *vma)
{
	struct file *file = BPF_CORE_READ(vma, vm_file);
	const struct vm_operations_struct *ops = BPF_CORE_READ(vma, vm_ops);
	struct mm_struct *mm = BPF_CORE_READ(vma, vm_mm);
	__u64 vm_flags = 0, ino = 0;
	__u8 facts = 0;

	bpf_core_read(&vm_flags, sizeof(vm_flags), &vma->vm_flags);
	if (file) {
		facts |= PW_V_FILE;
		ino = BPF_CORE_READ(file, f_inode, i_ino);
		if (BPF_CORE_READ(file, f_inode, i_sb, s_magic) == TMPFS_MAGIC)
			facts |= PW_V_SHMEM;
	} else if (ops && BPF_CORE_READ(ops, name)) {
		facts |= PW_V_OPS_NAME;
	}
	if (ops)
		facts |= PW_V_OPS;
	if (bpf_core_field_exists(vma->vm_userfaultfd_ctx.ctx) &&
	    BPF_CORE_READ(vma, vm_userfaultfd_ctx.ctx))
		facts |= PW_V_UFFD;
	emit(seq, PW_VMA, 0, facts, BPF_CORE_READ(vma, vm_start),
	     BPF_CORE_READ(vma, vm_end), BPF_CORE_READ(vma, vm_pgoff), ino, 0);
	emit(seq, PW_VMA2, 0, 0, BPF_CORE_READ(mm, start_brk), BPF_CORE_READ(mm, brk),
	     BPF_CORE_READ(mm, start_stack), vm_flags, 0);
}

struct xlctx {
	struct seq_file *seq;
	__u64 pgd;
	__u64 va;
};

/*
 * translate: one attempt at one address, top level first; 1 when done, 0
 * to start again (a table changed under us: user space keeps the steps
 * after the last PW_STEP of level 7).
 */
static long xlate_cb(__u64 i, void *data)
{
	struct xlctx *x = data;
	__u64 table = x->pgd, e = 0, ke = 0, e2 = 0, va = x->va;
	__u64 parent_table = 0, parent_entry = 0;
	int lvl;

	if (i)
		emit(x->seq, PW_STEP, 7, PW_S_RETRY_FAILED, va, 0, 0, 0, 0);
	for (lvl = 4; lvl >= 0; lvl--) {
		__u64 idx;
		__u64 facts = 0;

		if (lvl == 3 && levels == 4)
			continue;
		idx = idx_of(va, lvl == 4 ? levels - 1 : lvl);
		ke = 0;
		if (read_entry(table, idx, &e))
			return 1;
		if (lvl == 4 && pti) {
			ke = e;
			if (read_entry(table + 4096, idx, &e))
				return 1;
		}
		if (lvl <= 1 && parent_table) {
			/* the table read must still be the parent's */
			if (read_entry(parent_table, idx_of(va, lvl + 1), &e2))
				return 1;
			if (!same_table(e2, parent_entry))
				return 0;
		}
		if (lvl == 1 && (e & E_PSE) && !(e & (E_PRESENT | E_PROTNONE)))
			return 0;
		if (lvl <= 2 && !entry_none(e) &&
		    (lvl == 0 || !(e & E_PRESENT) || (e & E_PSE)))
			facts = page_facts(e, lvl);
		emit(x->seq, PW_STEP, lvl, facts & 0xff, va, e,
		     lvl == 4 && pti ? table + 4096 : table, lvl == 4 ? ke : facts >> 8, idx);
		if (entry_none(e) || !(e & E_PRESENT))
			return 1;
		if (lvl <= 2 && (lvl == 0 || (e & E_PSE)))
			return 1;
		parent_table = table;
		parent_entry = e;
		table = e & E_PFN_MASK;
	}
	return 1;
}

SEC("iter/task_vma")
int walk_vma(struct bpf_iter__task_vma *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct vm_area_struct *vma = ctx->vma;
	struct task_struct *task = ctx->task;
	struct walkctx c = {};
	__u64 start, end, pgd;

	if (!vma || !task || run_done)
		return 0;
	paging();
	start = vma->vm_start;
	end = vma->vm_end;
	{
		__u64 vm_flags = 0;

		bpf_core_read(&vm_flags, sizeof(vm_flags), &vma->vm_flags);
		cur_hugetlb = !!(vm_flags & 0x00400000UL);	/* VM_HUGETLB */
	}
	pgd = (__u64)BPF_CORE_READ(vma, vm_mm, pgd);
	if (!params_sent) {
		params_sent = 1;
		emit(seq, PW_PARAMS, 0, 0, pob, pgd - pob, levels, 0, 0);
	}
	if (op == 2) {
		if (xlate_va < start || xlate_va >= end)
			return 0;
		run_done = 1;
		emit_vma(seq, vma);
		{
			struct xlctx x = { .seq = seq, .pgd = pgd - pob, .va = xlate_va };

			bpf_loop(PW_RETRIES, xlate_cb, &x, 0);
		}
		emit(seq, PW_CHUNK, 0, 0, 0, 0, 0, 0, 0);
		return 0;
	}
	if (end <= resume_va)
		return 0;
	run_done = 1;
	if (start >= end_va) {
		emit(seq, PW_CHUNK, 0, 0, 0, 0, 0, 0, 0);
		return 0;
	}
	if (start != last_vm_start || end != last_vm_end) {
		emit_vma(seq, vma);
		last_vm_start = start;
		last_vm_end = end;
	}
	c.seq = seq;
	ws.retries = 0;
	ws.stop = 0;
	ws.va = start > resume_va ? start : resume_va;
	ws.end = end < end_va ? end : end_va;
	ws.pgd = pgd - pob;
	ws.budget = PW_BUDGET;
	unstable = 0;
	bpf_loop(PW_STEPS, step_cb, &c, 0);
	if (ws.stop == 3) {
		emit(seq, PW_CHUNK, 0, PW_C_FAILED, 0, 0, 0, 0, 0);
		return 0;
	}
	if (ws.stop == 2 || ws.va >= ws.end)
		ws.va = ws.end;
	/* next: ws.va; 0 once past the range */
	emit(seq, PW_CHUNK, 0, unstable ? PW_C_UNSTABLE : 0,
	     ws.va >= end_va ? 0 : ws.va, 0, 0, 0, 0);
	return 0;
}
