// SPDX-License-Identifier: GPL-2.0
/*
 * The rules of `ptscope audit` (audit_rules.h); Documentation/audit.rst
 * is the user's side of each finding.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libptscope.h"
#include "audit_rules.h"

/* x86-64 top-level entry bits (arch/x86/include/asm/pgtable_types.h) */
#define X86_PRESENT	(1ULL << 0)
#define X86_USER	(1ULL << 2)
#define X86_ACCESSED	(1ULL << 5)
#define X86_NX		(1ULL << 63)

static const char *const kind_names[AUD_NR] = {
	[AUD_WX] = "writable-executable",
	[AUD_WIDER] = "wider-than-vma",
	[AUD_CACHE] = "memory-type",
	[AUD_EXEC_ANON] = "executable-anonymous",
	[AUD_PTI] = "pti-mismatch",
};

const char *aud_kind_name(enum aud_kind k)
{
	return k < AUD_NR ? kind_names[k] : "unknown";
}

const char *aud_memtype(unsigned long long flags, enum aud_pat pat, int *idx)
{
	/* index PAT<<2|PCD<<1|PWT; see audit_rules.h for where they come from */
	static const char *const linux_layout[8] = {
		"WB", "WC", "UC-", "UC", "WB", "WP", "UC-", "WT"
	};
	static const char *const legacy[4] = { "WB", "WT", "UC-", "UC" };
	int i = (flags & PTSCOPE_F_PAT ? 4 : 0) | (flags & PTSCOPE_F_PCD ? 2 : 0) |
		(flags & PTSCOPE_F_PWT ? 1 : 0);

	if (idx)
		*idx = i;
	return pat == AUD_PAT_LINUX ? linux_layout[i] : legacy[i & 3];
}

static const char *memtype_words(const char *t)
{
	if (!strcmp(t, "UC"))
		return "uncached";
	if (!strcmp(t, "UC-"))
		return "uncached (UC-: the MTRRs may make it write-combining)";
	if (!strcmp(t, "WC"))
		return "write-combining";
	if (!strcmp(t, "WT"))
		return "write-through";
	if (!strcmp(t, "WP"))
		return "write-protected";
	return "write-back, through an index Linux leaves unused";
}

static void vma_desc(const struct aud_vma *v, char *buf, size_t len)
{
	snprintf(buf, len, "%c%c%c%c %s%s%s",
		 v->flags & PTSCOPE_VMA_READ ? 'r' : '-',
		 v->flags & PTSCOPE_VMA_WRITE ? 'w' : '-',
		 v->flags & PTSCOPE_VMA_EXEC ? 'x' : '-',
		 v->flags & PTSCOPE_VMA_SHARED ? 's' : 'p',
		 pts_backing_name(v->backing),
		 v->name && *v->name ? " " : "", v->name ? v->name : "");
}

/*
 * Anonymous memory: private anonymous, stack, heap, and the shared
 * memory that no file name reaches (MAP_SHARED|MAP_ANONYMOUS, memfd,
 * SysV), not a file of a tmpfs.
 */
static bool anon_vma(const struct aud_vma *v)
{
	static const char *const anon_shmem[] = {
		"/dev/zero", "/memfd:", "/SYSV", "[anon_shmem"
	};
	size_t i;

	if (v->backing == PTSCOPE_BACK_ANON || v->backing == PTSCOPE_BACK_STACK ||
	    v->backing == PTSCOPE_BACK_HEAP)
		return true;
	if (v->backing != PTSCOPE_BACK_SHMEM || !v->name)
		return false;
	for (i = 0; i < sizeof(anon_shmem) / sizeof(anon_shmem[0]); i++)
		if (!strncmp(v->name, anon_shmem[i], strlen(anon_shmem[i])))
			return true;
	return false;
}

int aud_check_leaf(const struct aud_vma *v, const struct ptscope_leaf *l,
		   enum aud_pat pat, struct aud_hit *hits)
{
	unsigned long long f = l->flags;
	bool exec = !(f & PTSCOPE_F_NX), writable = f & PTSCOPE_F_RW;
	const char *type;
	char vd[160];
	int n = 0, idx;

	if (!(f & PTSCOPE_F_PRESENT) || !(f & PTSCOPE_F_USER))
		return 0;
	vma_desc(v, vd, sizeof(vd));
	if (writable && exec) {
		hits[n].kind = AUD_WX;
		snprintf(hits[n++].detail, sizeof(hits[0].detail),
			 "writable and executable: rw set, nx clear (VMA %s)", vd);
	}
	if (!(v->flags & (PTSCOPE_VMA_READ | PTSCOPE_VMA_WRITE | PTSCOPE_VMA_EXEC))) {
		hits[n].kind = AUD_WIDER;
		snprintf(hits[n++].detail, sizeof(hits[0].detail),
			 "present in a VMA that allows no access (VMA %s)", vd);
	} else if ((writable && !(v->flags & PTSCOPE_VMA_WRITE)) ||
		   (exec && !(v->flags & PTSCOPE_VMA_EXEC))) {
		hits[n].kind = AUD_WIDER;
		snprintf(hits[n++].detail, sizeof(hits[0].detail), "%s%s%s (VMA %s)",
			 writable && !(v->flags & PTSCOPE_VMA_WRITE) ?
			 "writable (rw) in a VMA without write permission" : "",
			 writable && !(v->flags & PTSCOPE_VMA_WRITE) &&
			 exec && !(v->flags & PTSCOPE_VMA_EXEC) ? "; " : "",
			 exec && !(v->flags & PTSCOPE_VMA_EXEC) ?
			 "user-executable (nx clear) in a VMA without exec permission" : "",
			 vd);
	}
	type = aud_memtype(f, pat, &idx);
	if (idx) {
		hits[n].kind = AUD_CACHE;
		snprintf(hits[n++].detail, sizeof(hits[0].detail),
			 "%s: %s (PAT index %d = pat %d, pcd %d, pwt %d, %s layout) "
			 "(VMA %s)", type, memtype_words(type), idx, idx >> 2,
			 (idx >> 1) & 1, idx & 1,
			 pat == AUD_PAT_LINUX ? "Linux's PAT" : "no-PAT", vd);
	}
	if (exec && anon_vma(v)) {
		hits[n].kind = AUD_EXEC_ANON;
		snprintf(hits[n++].detail, sizeof(hits[0].detail),
			 "executable page of anonymous memory: code made at run "
			 "time (VMA %s)", vd);
	} else if (exec && (f & PTSCOPE_F_ANON_PAGE) &&
		   v->backing == PTSCOPE_BACK_FILE) {
		hits[n].kind = AUD_EXEC_ANON;
		snprintf(hits[n++].detail, sizeof(hits[0].detail),
			 "executable anonymous (copied-on-write) page in a file "
			 "mapping: the file's code was changed in memory (VMA %s)", vd);
	}
	return n;
}

bool aud_check_pti(unsigned long long uentry, unsigned long long kentry,
		   char *detail, size_t len)
{
	unsigned long long want_nx = (uentry & (X86_PRESENT | X86_USER)) ==
				     (X86_PRESENT | X86_USER) ? X86_NX : 0;
	unsigned long long diff = (uentry ^ kentry) & ~X86_ACCESSED;

	/* NX: set in the kernel copy of a present user entry, else equal */
	if (want_nx && !(uentry & X86_NX)) {
		if (kentry & X86_NX)
			diff &= ~X86_NX;
		else
			diff |= X86_NX;		/* the kernel copy lacks it */
	}
	if (!diff)
		return false;
	snprintf(detail, len, "the top-level entry's copies differ in bits 0x%llx "
		 "beyond the expected NX: user copy 0x%llx, kernel copy 0x%llx",
		 diff, uentry, kentry);
	return true;
}

void aud_list_init(struct aud_list *a)
{
	int k;

	memset(a, 0, sizeof(*a));
	for (k = 0; k < AUD_NR; k++)
		a->open[k] = -1;
}

int aud_add(struct aud_list *a, unsigned long long va, unsigned long long count,
	    unsigned long long size, enum aud_kind kind, const char *detail)
{
	struct aud_finding *r;

	if (a->open[kind] >= 0) {
		r = &a->v[a->open[kind]];
		if (r->size == size && r->va + r->count * r->size == va &&
		    !strcmp(r->detail, detail)) {
			r->count += count;
			return 0;
		}
	}
	if (a->n == a->cap) {
		size_t cap = a->cap ? 2 * a->cap : 16;
		struct aud_finding *v = realloc(a->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		a->v = v;
		a->cap = cap;
	}
	r = &a->v[a->n];
	r->va = va;
	r->count = count;
	r->size = size;
	r->kind = kind;
	snprintf(r->detail, sizeof(r->detail), "%s", detail);
	a->open[kind] = a->n++;
	return 0;
}

static int by_va(const void *x, const void *y)
{
	const struct aud_finding *a = x, *b = y;

	if (a->va != b->va)
		return a->va < b->va ? -1 : 1;
	return (int)a->kind - (int)b->kind;
}

void aud_sort(struct aud_list *a)
{
	int k;

	if (a->n)
		qsort(a->v, a->n, sizeof(a->v[0]), by_va);
	for (k = 0; k < AUD_NR; k++)
		a->open[k] = -1;
}

void aud_list_free(struct aud_list *a)
{
	free(a->v);
	aud_list_init(a);
}
