/* SPDX-License-Identifier: GPL-2.0 */
/*
 * audit_rules.c: the rules of `ptscope audit`, on records alone (no I/O):
 * each present leaf checked against its VMA, the findings merged into
 * runs, the memory type decoded from the PAT bits, and the two copies of
 * a top-level entry compared under page-table isolation.  audit.c feeds
 * it a walk; tests/unit/audit_test.c feeds it hand-made records.
 */
#ifndef PTSCOPE_AUDIT_RULES_H
#define PTSCOPE_AUDIT_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/ptscope.h>

enum aud_kind {
	AUD_WX,			/* writable and executable */
	AUD_WIDER,		/* wider than the VMA allows */
	AUD_CACHE,		/* not write-back: uncached, write-combining... */
	AUD_EXEC_ANON,		/* executable anonymous memory */
	AUD_PTI,		/* PTI copies of a top-level entry differ */
	AUD_NR
};

/* "writable-executable", ... (the JSON "finding"). */
const char *aud_kind_name(enum aud_kind k);

/*
 * How the PAT, PCD and PWT bits of an entry select a memory type.
 * AUD_PAT_LINUX: the layout Linux programs into the PAT MSR when the CPU
 * has PAT (arch/x86/mm/pat/memtype.c, pat_bp_init(), the same in 6.1,
 * 6.12 and 7.3): index PAT<<2|PCD<<1|PWT = WB WC UC- UC WB WP UC- WT.
 * AUD_PAT_NONE: no PAT (the CPU has none, or nopat): the two legacy bits,
 * PCD<<1|PWT = WB WT UC- UC, the firmware's reset layout.
 */
enum aud_pat { AUD_PAT_LINUX, AUD_PAT_NONE };

/*
 * The memory type of a present leaf's flags: "WB", "WC", "UC-", "UC",
 * "WP" or "WT"; *IDX the PAT index (PAT<<2|PCD<<1|PWT).
 */
const char *aud_memtype(unsigned long long flags, enum aud_pat pat, int *idx);

/* The VMA a leaf lies in, as the walk's VMA record gives it. */
struct aud_vma {
	unsigned int flags;		/* PTSCOPE_VMA_* */
	unsigned int backing;		/* enum ptscope_backing */
	const char *name;
};

struct aud_hit {
	enum aud_kind kind;
	char detail[512];
};

/*
 * The findings of one leaf record (present leaves only): up to AUD_NR in
 * HITS; returns their number.
 */
int aud_check_leaf(const struct aud_vma *v, const struct ptscope_leaf *l,
		   enum aud_pat pat, struct aud_hit *hits);

/*
 * Under page-table isolation, a top-level entry's user copy UENTRY (what
 * the CPU walks in user mode) and kernel copy KENTRY.  The kernel writes
 * both alike but for NX, which it sets in the kernel copy of a present
 * user entry (pti_set_user_pgtbl()); the CPU sets Accessed in each copy
 * on its own.  Returns true and DETAIL when they differ otherwise.
 */
bool aud_check_pti(unsigned long long uentry, unsigned long long kentry,
		   char *detail, size_t len);

/* A run of findings: [va, va + count * size). */
struct aud_finding {
	unsigned long long va;
	unsigned long long count;	/* entries */
	unsigned long long size;	/* bytes per entry */
	enum aud_kind kind;
	char detail[512];
};

/* The findings so far, runs merged: one open run per kind. */
struct aud_list {
	struct aud_finding *v;
	size_t n, cap;
	long open[AUD_NR];		/* index of the open run of each kind, or -1 */
};

void aud_list_init(struct aud_list *a);
/*
 * A finding of COUNT entries of SIZE bytes from VA: merged into the open
 * run of its kind when it continues it (contiguous, same detail).
 * 0, or -ENOMEM.
 */
int aud_add(struct aud_list *a, unsigned long long va, unsigned long long count,
	    unsigned long long size, enum aud_kind kind, const char *detail);
/* Sort the runs by address (then kind), for output. */
void aud_sort(struct aud_list *a);
void aud_list_free(struct aud_list *a);

#endif /* PTSCOPE_AUDIT_RULES_H */
