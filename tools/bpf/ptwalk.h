/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ptwalk: records the BPF page-table walker (ptwalk.bpf.c) writes into
 * its task_vma iterator's seq_file, read by tools/ptscope/bpfwalk.c,
 * which turns them into the module's record stream
 * (include/uapi/linux/ptscope.h).  See Documentation/bpfwalk.rst.
 *
 * One iterator run walks at most PW_BUDGET records' worth of entries
 * from resume_va, inside the one VMA that holds resume_va (or the first
 * one above it), under the mmap read lock the iterator holds while the
 * program sees that VMA; it ends with a PW_CHUNK record that says where
 * the next run starts.  Every other VMA of the run is skipped.
 *
 * Included by BPF code after vmlinux.h and by user code.
 */
#ifndef PTSCOPE_PTWALK_H
#define PTSCOPE_PTWALK_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Records per iterator run (each 32 bytes): well under the 32 KiB seq buffer. */
#define PW_BUDGET	640

enum pw_type {
	PW_VMA = 1,	/* va = vm_start, entry = vm_end, aux = vm_pgoff,
			 * aux2 = inode number; facts: PW_V_* */
	PW_VMA2 = 2,	/* va = mm->start_brk, entry = mm->brk,
			 * aux = mm->start_stack, aux2 = raw vm_flags */
	PW_LEAF = 3,	/* va, level, entry = raw entry, aux = map count;
			 * facts: PW_P_* */
	PW_TABLE = 4,	/* a table walked: level of its entries, entry = its pa */
	PW_STEP = 5,	/* translate: one level; entry = raw, aux = table pa,
			 * reserved2 = index, aux2 = the PTI kernel copy (PGD)
			 * or the map count (a leaf); facts: PW_P_* */
	PW_CHUNK = 6,	/* end of a run: va = where the next one starts
			 * (0: the walk is done) */
	PW_PARAMS = 7,	/* va = page_offset_base, entry = pgd pa,
			 * aux = paging levels */
};

/* Facts of a VMA (PW_VMA.facts). */
#define PW_V_FILE	(1U << 0)	/* vm_file set */
#define PW_V_SHMEM	(1U << 1)	/* its file is on tmpfs/shmem */
#define PW_V_OPS_NAME	(1U << 2)	/* no file, vm_ops->name set */
#define PW_V_UFFD	(1U << 3)	/* registered with userfaultfd */
#define PW_V_OPS	(1U << 7)	/* vm_ops set: not vma_is_anonymous() */

/* Facts of a leaf's frame (PW_LEAF.facts), read from its struct page. */
#define PW_P_READ	(1U << 0)	/* struct page read */
#define PW_P_ANON	(1U << 1)	/* folio->mapping has PAGE_MAPPING_ANON */
#define PW_P_LARGE	(1U << 2)	/* a large folio (compound) */
#define PW_P_NOMAPPING	(1U << 3)	/* folio->mapping is NULL */
#define PW_P_NO_MAPCOUNT (1U << 4)	/* the map count could not be read */

/* PW_STEP.facts */
#define PW_S_RETRY_FAILED (1U << 0)	/* the parent kept changing */

/* PW_CHUNK.facts */
#define PW_C_UNSTABLE	(1U << 0)	/* a table kept changing: entries
					 * of it were not reported */
#define PW_C_FAILED	(1U << 1)	/* a table could not be read */

struct pw_rec {
	__u8 type;	/* enum pw_type */
	__u8 level;	/* enum ptscope_level */
	__u8 facts;
	__u8 reserved;
	__u32 reserved2;
	__u64 va;
	__u64 entry;
	__u64 aux;
	__u64 aux2;
};

/*
 * The walk's state lives in a global, not on the stack: the verifier
 * then sees unknown values in each bpf_loop() callback and checks it
 * once, instead of once per budget value.
 */
struct pw_walkstate {
	__u64 va;		/* next address */
	__u64 end;
	__u64 pgd;		/* physical address of the top level */
	__u32 budget;		/* records left */
	__u32 retries;		/* reads of the current entry that changed */
	__u32 stop;		/* 1: budget used; 2: range done; 3: failed */
	/* a PTE table being reported */
	__u64 pte_va;		/* va of its first entry */
	__u32 pte_from;
	__u32 pte_to;
};

#endif /* PTSCOPE_PTWALK_H */
