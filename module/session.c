// SPDX-License-Identifier: GPL-2.0
/*
 * ptscope debugfs front end: per-open-file sessions.
 *
 * Each open file is one session.  The caller writes one request line
 * (see include/uapi/linux/ptscope.h) and reads the answer; writing a new
 * request starts over.  Nothing is shared between sessions, so readers
 * of different processes never interfere.
 *
 * Output is produced into a per-session buffer one walk chunk at a time,
 * under the target's mmap lock, and copied to user space after the lock
 * is dropped.  The buffer keeps what a short read() did not take, so any
 * read size works and memory use does not grow with the walk.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include "ptscope_features.h"

#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/uaccess.h>
#include <linux/capability.h>
#include <linux/ctype.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/mutex.h>
#include <linux/pid_namespace.h>
#include <linux/security.h>
#include <linux/userfaultfd_k.h>

#include "internal.h"
#include "walk.h"
#include "target.h"

#define LINE_MAX_LEN	512	/* longest text line or record we emit */
/*
 * The output buffer is sized for the request (session_buf_for()): room
 * for the largest chunk of the walk (a whole PTE table's leaves, or as
 * many as the range has pages: the walker reports a PTE table within one
 * lock hold, a VMA and a flushed run), twice that for records; BUF_SMALL
 * for a translation or ptcost.  The kernel zeroes every allocation
 * (init_on_alloc), so a one-page walk must not pay for a whole table of
 * text lines.
 */
#define BUF_SMALL	SZ_8K
#define TEXT_SLACK	SZ_16K

enum stage { ST_IDLE, ST_HEADER, ST_BODY, ST_TRAILER, ST_EOF };

struct session {
	struct mutex lock;		/* serializes read() and write() */
	const struct ptscope_file *file;
	struct pid_namespace *pid_ns;	/* the opener's: requests' PIDs */
	enum stage stage;
	int error;			/* returned once the buffer drains */

	/* the request */
	struct ptscope_target target;
	u32 op;
	u32 reqflags;
	bool binary;			/* records, else text */
	bool hide_pa;			/* table addresses withheld (lockdown) */
	unsigned long start, end, va;

	/* output not yet read */
	char *buf;
	size_t cap;			/* bytes at buf */
	size_t len, off;
	/* a PTE table's leaves, for walks that do not decode in place */
	struct ptscope_leaf *scratch;
	unsigned int scratch_n;		/* leaves at scratch */
	unsigned int table_max;		/* most leaves one PTE table can give */

	struct ptscope_walk walk;
	struct ptscope_leaf run;	/* pending coalesced run */
	bool have_run;
	struct ptscope_cost cost;
	struct ptscope_end totals;
	struct ptscope_vma vma;		/* scratch for on_vma() */
	bool vma_deposits;		/* huge PMDs here have a deposited table */
	bool kernel;			/* the kernel half (request "kernel") */
	struct ptscope_kwalk *kw;	/* its regions and table copies */
};

static const char *const level_names[] = PTSCOPE_LEVEL_NAMES;

/* Device-only operations: no record stream, no target walked. */
#define OP_VERSION	(PTSCOPE_OP_PTCOST + 1)
#define OP_FAULTS	(PTSCOPE_OP_PTCOST + 2)
#define OP_TRACK	(PTSCOPE_OP_PTCOST + 3)
#define OP_UNTRACK	(PTSCOPE_OP_PTCOST + 4)

static const char *const op_names[] = {
	[PTSCOPE_OP_WALK] = "walk",
	[PTSCOPE_OP_TRANSLATE] = "translate",
	[PTSCOPE_OP_PTCOST] = "ptcost",
	[OP_VERSION] = "version",
	[OP_FAULTS] = "faults",
	[OP_TRACK] = "track",
	[OP_UNTRACK] = "untrack",
};

static size_t room(struct session *s)
{
	return s->cap - s->len;
}

static __printf(2, 3) void out(struct session *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(s->buf + s->len, room(s), fmt, ap);
	va_end(ap);
	s->len += min_t(size_t, n, room(s) ? room(s) - 1 : 0);
}

/*
 * Every caller has made room first (the buffer is sized for the request's
 * largest piece); a record that would not fit is never written past the
 * buffer: the read fails with EOVERFLOW once what came before is read.
 */
static void out_rec(struct session *s, const void *rec, size_t size)
{
	if (size > room(s)) {
		s->error = -EOVERFLOW;
		return;
	}
	memcpy(s->buf + s->len, rec, size);
	s->len += size;
}

struct name_entry {
	u64 val;
	const char *name;
};

#define NAME_ENTRY(v, n) { .val = (v), .name = (n) },
static const struct name_entry flag_names[] = { PTSCOPE_FLAG_NAMES(NAME_ENTRY) };
static const struct name_entry backing_names[] = { PTSCOPE_BACKING_NAMES(NAME_ENTRY) };
static const struct name_entry stop_names[] = { PTSCOPE_STOP_NAMES(NAME_ENTRY) };
#undef NAME_ENTRY

static const char *lookup(const struct name_entry *t, size_t n, u64 val)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (t[i].val == val)
			return t[i].name;
	return "?";
}

static void out_flags(struct session *s, u64 flags)
{
	const char *sep = "";
	size_t i;

	for (i = 0; i < ARRAY_SIZE(flag_names); i++) {
		if (flags & flag_names[i].val) {
			out(s, "%s%s", sep, flag_names[i].name);
			sep = ",";
		}
	}
	if (!*sep)
		out(s, "-");
}

static const char *backing_name(u32 backing)
{
	return lookup(backing_names, ARRAY_SIZE(backing_names), backing);
}

static const char *stop_name(u32 stop)
{
	return lookup(stop_names, ARRAY_SIZE(stop_names), stop);
}

static void out_size(struct session *s, unsigned long bytes)
{
	if (bytes >= SZ_1G)
		out(s, "%luG", bytes >> 30);
	else if (bytes >= SZ_1M)
		out(s, "%luM", bytes >> 20);
	else
		out(s, "%luK", bytes >> 10);
}

/*
 * Text form of one leaf, or of a run of leaves:
 *
 *   <va>[-<end>] <count>x<size> <level> <entry> pfn=<pfn>[-<last>] <flags>
 *       [swap=<type>:<offset>] [marker=<bits>] [mapcount=<n>] [pkey=<k>]
 *       [folio=<size>[+<index>]]
 *
 * folio= is the first frame's folio: its size and, for a large folio, the
 * frame's index in it.
 */
static void text_leaf(struct session *s, const struct ptscope_leaf *l)
{
	unsigned long size = 1UL << PTSCOPE_LEVEL_SHIFT(l->level);

	out(s, "  0x%016llx", l->va);
	if (l->count > 1)
		out(s, "-0x%016llx %llux", l->va + l->count * size, l->count);
	else
		out(s, " ");
	out_size(s, size);
	out(s, " %s 0x%016llx", level_names[l->level], l->entry);
	if (l->flags & PTSCOPE_F_PFN_VALID) {
		out(s, " pfn=0x%llx", l->pfn);
		if (l->count > 1)
			out(s, "-0x%llx", l->pfn + (l->count - 1) * (size >> PAGE_SHIFT));
	}
	out(s, " ");
	out_flags(s, l->flags);
	if (l->flags & PTSCOPE_F_SWAP)
		out(s, " swap=%u:0x%llx", l->swap_type, l->swap_offset);
	if (l->flags & PTSCOPE_F_MARKER)
		out(s, " marker=0x%llx", l->swap_offset);
	if (l->mapcount)
		out(s, " mapcount=%u", l->mapcount);
	if (l->pkey)
		out(s, " pkey=%u", l->pkey);
	if (l->flags & PTSCOPE_F_FOLIO) {
		out(s, " folio=");
		out_size(s, PAGE_SIZE << l->folio_order);
		if (l->folio_order)
			out(s, "+%llu", l->pfn - l->folio_pfn);
	}
	out(s, "\n");
}

static void text_vma(struct session *s, const struct ptscope_vma *v)
{
	if (v->backing == PTSCOPE_BACK_KERNEL) {
		out(s, "region 0x%016llx-0x%016llx %s\n", v->start, v->end,
		    v->name);
		return;
	}
	out(s, "vma 0x%016llx-0x%016llx %c%c%c%c %s%s%s\n", v->start, v->end,
	    v->flags & PTSCOPE_VMA_READ ? 'r' : '-',
	    v->flags & PTSCOPE_VMA_WRITE ? 'w' : '-',
	    v->flags & PTSCOPE_VMA_EXEC ? 'x' : '-',
	    v->flags & PTSCOPE_VMA_SHARED ? 's' : 'p',
	    backing_name(v->backing), v->name[0] ? " " : "", v->name);
}

static size_t leaf_bytes(bool binary)
{
	return binary ? sizeof(struct ptscope_leaf) : LINE_MAX_LEN;
}

static size_t per_leaf(struct session *s)
{
	return leaf_bytes(s->binary);
}

/*
 * Bytes of a PTSCOPE_REC_PTES record of @n entries: with facts, or as
 * (entry, count) runs (compact coalesce), two words an entry at most.
 */
static size_t ptes_bytes(u32 reqflags, unsigned int n)
{
	bool two = reqflags & (PTSCOPE_REQ_FACTS | PTSCOPE_REQ_COALESCE);

	return sizeof(struct ptscope_ptes) + n * sizeof(u64) * (two ? 2 : 1);
}

static size_t ptes_size(struct session *s, unsigned int n)
{
	return ptes_bytes(s->reqflags, n);
}

/* Emit a leaf or a run; PTSCOPE_WALK_FULL if it does not fit. */
static int put_leaf(struct session *s, const struct ptscope_leaf *l)
{
	if (room(s) < per_leaf(s))
		return PTSCOPE_WALK_FULL;
	if (s->binary)
		out_rec(s, l, sizeof(*l));
	else
		text_leaf(s, l);
	s->totals.leaves++;
	s->totals.entries += l->count;
	return 0;
}

static int flush_run(struct session *s)
{
	int ret;

	if (!s->have_run)
		return 0;
	ret = put_leaf(s, &s->run);
	if (!ret)
		s->have_run = false;
	return ret;
}

/*
 * In a kernel walk, runs merge as ptdump merges them: equal level and
 * flags over contiguous addresses, whatever the frames.  A run whose
 * frames are not consecutive loses its frame number (no
 * PTSCOPE_F_PFN_VALID, pfn 0): no single range of frames describes it.
 */
static bool extends_krun(const struct ptscope_leaf *r, const struct ptscope_leaf *l)
{
	unsigned long size = 1UL << PTSCOPE_LEVEL_SHIFT(r->level);

	return l->level == r->level && l->va == r->va + r->count * size &&
	       (l->flags | PTSCOPE_F_PFN_VALID) == (r->flags | PTSCOPE_F_PFN_VALID);
}

static int on_vma(struct ptscope_walk *w, struct vm_area_struct *vma)
{
	struct session *s = w->priv;
	struct ptscope_vma *v = &s->vma;
	int ret;

	if (s->op == PTSCOPE_OP_PTCOST) {
		s->cost.vm_bytes += vma->vm_end - vma->vm_start;
		/*
		 * An anonymous THP (or the huge zero page) keeps a PTE table
		 * deposited for a later split; the kernel counts it in VmPTE.
		 */
		s->vma_deposits = vma_is_anonymous(vma);
		return 0;
	}
	ret = flush_run(s);
	if (ret)
		return ret;
	if (room(s) < sizeof(*v) + LINE_MAX_LEN)
		return PTSCOPE_WALK_FULL;
	ptscope_vma_describe(vma, v);
	if (s->binary)
		out_rec(s, v, sizeof(*v));
	else
		text_vma(s, v);
	s->totals.vmas++;
	return 0;
}

/* Room to go on walking: a PTE table, a VMA and a flushed run. */
static size_t chunk_bytes(bool binary, u32 op, u32 reqflags,
			  unsigned int table_max)
{
	size_t table = (table_max + 1) * leaf_bytes(binary);

	if (op == PTSCOPE_OP_PTCOST)		/* counts, emits nothing */
		return LINE_MAX_LEN;
	if (reqflags & PTSCOPE_REQ_COMPACT)
		table = ptes_bytes(reqflags, table_max) + leaf_bytes(binary);
	return table + sizeof(struct ptscope_vma) + LINE_MAX_LEN;
}

static size_t chunk_need(struct session *s)
{
	return chunk_bytes(s->binary, s->op, s->reqflags, s->table_max);
}

/*
 * Space for @n leaves.  A plain binary walk decodes them straight into
 * the output buffer; text, coalesced and ptcost walks into the scratch
 * array, from which on_leaves() formats, merges or counts them.  Room is
 * checked here, for all @n leaves and a pending run, so on_leaves()
 * cannot run out of it.
 */
static struct ptscope_leaf *on_leaves_get(struct ptscope_walk *w,
					  unsigned int n)
{
	struct session *s = w->priv;

	if (s->op == PTSCOPE_OP_PTCOST)
		return s->scratch;
	if (room(s) < (n + 1) * per_leaf(s))
		return NULL;
	if (s->binary && !(s->reqflags & PTSCOPE_REQ_COALESCE))
		return (struct ptscope_leaf *)(s->buf + s->len);
	return s->scratch;
}

/*
 * Space for a compact walk's PTE table: the entries are copied straight
 * into a PTSCOPE_REC_PTES record in the output buffer, which on_ptes()
 * then completes.
 */
static u64 *on_ptes_get(struct ptscope_walk *w, unsigned int n)
{
	struct session *s = w->priv;
	struct ptscope_ptes *p;

	/* a huge leaf's pending run goes first, in address order */
	if (flush_run(s) || room(s) < ptes_size(s, n) + per_leaf(s))
		return NULL;
	p = (struct ptscope_ptes *)(s->buf + s->len);
	/* runs are written below the entries they are made from */
	if (s->reqflags & PTSCOPE_REQ_COALESCE)
		return p->e + n;
	return p->e;
}

static bool pte_empty(u64 e)
{
	return pte_none(__pte(e));
}

/*
 * Does @e continue the run of @prev: the same bits but the next frame,
 * both present with PRESENT (a PROT_NONE frame is stored inverted)?
 */
static bool raw_extends(u64 prev, u64 e)
{
	return (e & _PAGE_PRESENT) && e == prev + PAGE_SIZE &&
	       !((e ^ prev) & ~PTE_PFN_MASK);
}

/*
 * A compact coalesced walk's PTE table: the @n entries at @e (the upper
 * half of the record's room) become (entry, count) runs from the
 * record's first word on: a run of empty entries, a run of entries that
 * differ only by the next frame, or one entry of any other kind.  Run k
 * is written at words 2k and 2k + 1 after its entries were read, and the
 * entries not yet read start at word n + k + 1 or later: never
 * overwritten.
 */
static void on_ptes_runs(struct session *s, unsigned long va, u64 *e,
			 unsigned int n, u32 flags)
{
	struct ptscope_ptes *p = (struct ptscope_ptes *)(s->buf + s->len);
	unsigned int i = 0, j, k = 0;

	while (i < n && pte_empty(e[i]))	/* the record starts at an entry */
		i++;
	if (i == n)
		return;
	p->va = va + ((unsigned long)i << PAGE_SHIFT);
	while (i < n) {
		u64 first = e[i];
		bool empty = pte_empty(first);

		for (j = i + 1; j < n; j++) {
			if (empty ? !pte_empty(e[j]) : !raw_extends(e[j - 1], e[j]))
				break;
		}
		if (empty && j == n)		/* no trailing empty run */
			break;
		p->e[2 * k] = first;
		p->e[2 * k + 1] = j - i;
		k++;
		if (!empty) {
			s->totals.leaves++;
			s->totals.entries += j - i;
		}
		i = j;
	}
	p->hdr.type = PTSCOPE_REC_PTES;
	p->hdr.size = sizeof(*p) + 2 * k * sizeof(u64);
	p->hdr.reserved = 0;
	p->count = k;
	p->flags = flags;
	s->len += p->hdr.size;
}

/*
 * The entries of a PTE table's range are in the output buffer, in a
 * record begun at s->buf + s->len: cut them into PTSCOPE_REC_PTES
 * records of runs of non-empty entries, split where three or more empty
 * ones lie between (a new record's header costs three entries).  Each
 * run moves down onto the end of the previous record: a run's new place
 * never lies after its old one, since every split saved at least a
 * header's worth of entries.
 */
static void on_ptes(struct ptscope_walk *w, struct vm_area_struct *vma,
		    unsigned long va, u64 *e, unsigned int n)
{
	struct session *s = w->priv;
	unsigned int stride = (s->reqflags & PTSCOPE_REQ_FACTS) ? 2 : 1;
	u32 flags = stride == 2 ? PTSCOPE_PTES_FACTS : 0;
	unsigned int i = 0, j, gap, present;

	BUILD_BUG_ON(sizeof(struct ptscope_ptes) > 3 * sizeof(u64));
	if (vma_is_accessible(vma))
		flags |= PTSCOPE_PTES_ACCESSIBLE;
#ifdef PTSCOPE_HAVE_UFFD_RWP
	if (userfaultfd_rwp(vma))
		flags |= PTSCOPE_PTES_UFFD_RWP;
#endif
	if (s->reqflags & PTSCOPE_REQ_COALESCE) {
		on_ptes_runs(s, va, e, n, flags | PTSCOPE_PTES_RUNS);
		return;
	}
	while (i < n) {
		struct ptscope_ptes *p = (struct ptscope_ptes *)(s->buf + s->len);

		if (pte_empty(e[i * stride])) {
			i++;
			continue;
		}
		/* the run [i, j): up to the last non-empty entry before a gap */
		present = 0;
		for (j = i, gap = 0; j < n && gap < 3; j++) {
			if (pte_empty(e[j * stride])) {
				gap++;
			} else {
				gap = 0;
				present++;
			}
		}
		j -= gap;
		memmove(p->e, &e[i * stride], (j - i) * stride * sizeof(u64));
		p->hdr.type = PTSCOPE_REC_PTES;
		p->hdr.size = ptes_size(s, j - i);
		p->hdr.reserved = 0;
		p->va = va + ((unsigned long)i << PAGE_SHIFT);
		p->count = j - i;
		p->flags = flags;
		s->len += p->hdr.size;
		s->totals.leaves += present;
		s->totals.entries += present;
		i = j;
	}
}

static void count_cost(struct session *s, const struct ptscope_leaf *l)
{
	s->cost.leaves[l->level]++;
	if (l->level == PTSCOPE_LVL_PMD && s->vma_deposits &&
	    (l->flags & PTSCOPE_F_PFN_VALID))
		s->cost.deposited++;
}

static void on_leaves(struct ptscope_walk *w, struct ptscope_leaf *l,
		      unsigned int n)
{
	struct session *s = w->priv;
	unsigned int i;

	if ((void *)l == s->buf + s->len) {	/* decoded in place */
		s->len += n * sizeof(*l);
		s->totals.leaves += n;
		s->totals.entries += n;
		return;
	}
	for (i = 0; i < n; i++, l++) {
		if (s->op == PTSCOPE_OP_PTCOST) {
			count_cost(s, l);
		} else if (!(s->reqflags & PTSCOPE_REQ_COALESCE)) {
			put_leaf(s, l);
		} else if (s->have_run && ptscope_extends_run(&s->run, l)) {
			s->run.count += l->count;
		} else if (s->kernel && s->have_run && extends_krun(&s->run, l)) {
			s->run.count++;
			s->run.flags &= ~PTSCOPE_F_PFN_VALID;
			s->run.pfn = 0;
		} else {
			flush_run(s);
			s->run = *l;
			s->have_run = true;
		}
	}
}

static void on_table(struct ptscope_walk *w, int level, unsigned long pa)
{
	struct session *s = w->priv;

	s->cost.tables[level]++;
}

/* A region of the kernel half: a VMA record with PTSCOPE_BACK_KERNEL. */
static int on_region(struct ptscope_walk *w, unsigned long start,
		     unsigned long end, const char *name)
{
	struct session *s = w->priv;
	struct ptscope_vma *v = &s->vma;
	int ret;

	ret = flush_run(s);
	if (ret)
		return ret;
	if (room(s) < sizeof(*v) + LINE_MAX_LEN)
		return PTSCOPE_WALK_FULL;
	memset(v, 0, sizeof(*v));
	v->hdr.type = PTSCOPE_REC_VMA;
	v->hdr.size = sizeof(*v);
	v->start = start;
	v->end = end;
	v->backing = PTSCOPE_BACK_KERNEL;
	v->pagesize = PAGE_SIZE;
	strscpy(v->name, name, sizeof(v->name));
	if (s->binary)
		out_rec(s, v, sizeof(*v));
	else
		text_vma(s, v);
	s->totals.vmas++;
	return 0;
}

static const struct ptscope_walk_ops session_walk_ops = {
	.vma		= on_vma,
	.leaves_get	= on_leaves_get,
	.leaves		= on_leaves,
	.table		= on_table,
	.region		= on_region,
	.ptes_get	= on_ptes_get,
	.ptes		= on_ptes,
};

static void emit_header(struct session *s)
{
	struct mm_struct *mm = s->target.mm;
	struct ptscope_header h = {
		.hdr = { .type = PTSCOPE_REC_HEADER, .size = sizeof(h) },
		.magic = PTSCOPE_MAGIC,
		.abi_version = PTSCOPE_ABI_VERSION,
		.op = s->op,
		.pid = s->target.pid,
		.paging_levels = ptscope_paging_levels(),
		.page_shift = PAGE_SHIFT,
		.start = s->start,
		.end = s->end,
		.pgd_pa = s->hide_pa ? 0 : ptscope_pgd_pa(mm),
		.user_pgd_pa = s->hide_pa ? 0 : ptscope_user_pgd_pa(mm),
		.task_size = ptscope_user_end(),
		.flags = s->reqflags | (s->hide_pa ? PTSCOPE_HDR_NO_TABLE_PA : 0) |
			 (s->kernel ? PTSCOPE_HDR_KERNEL : 0),
	};

	memcpy(h.comm, s->target.comm, sizeof(h.comm));
	if (s->binary) {
		out_rec(s, &h, sizeof(h));
		if (s->reqflags & PTSCOPE_REQ_COMPACT)
			out_rec(s, ptscope_layout(), sizeof(struct ptscope_layout));
		return;
	}
	if (s->kernel)
		out(s, "# ptscope %s: the kernel half, %u-level paging, ",
		    op_names[s->op], h.paging_levels);
	else
		out(s, "# ptscope %s: pid %d (%s), %u-level paging, ",
		    op_names[s->op], h.pid, s->target.comm, h.paging_levels);
	if (s->hide_pa)
		out(s, "table addresses withheld (lockdown)");
	else
		out(s, "pgd at pa 0x%llx", h.pgd_pa);
	if (h.user_pgd_pa)
		out(s, " (PTI user pgd 0x%llx)", h.user_pgd_pa);
	out(s, "\n");
	if (s->op == PTSCOPE_OP_WALK)
		out(s, "# va [-end count x] size level entry pfn flags %s\n",
		    "[swap=type:offset] [mapcount=n]");
}

static void text_xlate(struct session *s, struct ptscope_xlate_level *lv,
		       int n, struct ptscope_xlate *x)
{
	int i;

	out(s, "va 0x%016llx\n", x->va);
	for (i = 0; i < n; i++) {
		out(s, "%-3s index %3u ", level_names[lv[i].level], lv[i].index);
		if (s->hide_pa)
			out(s, "table_pa %14s entry_pa %14s ", "-", "-");
		else
			out(s, "table_pa 0x%012llx entry_pa 0x%012llx ",
			    lv[i].table_pa, lv[i].entry_pa);
		out(s, "entry 0x%016llx%s ", lv[i].entry,
		    lv[i].folded ? " (folded)" : "");
		out_flags(s, lv[i].flags);
		if (lv[i].xflags & PTSCOPE_XLATE_PTI_USER)
			out(s, " (PTI user copy; kernel copy 0x%016llx)",
			    lv[i].kernel_entry);
		out(s, "\n");
	}
	if (x->vma_end)
		out(s, "vma 0x%016llx-0x%016llx\n", x->vma_start, x->vma_end);
	if (x->stop == PTSCOPE_STOP_OK)
		out(s, "pa 0x%llx (%s leaf, pfn 0x%llx)\n", x->pa,
		    level_names[x->stop_level], x->leaf.pfn);
	else if (x->stop == PTSCOPE_STOP_NO_VMA)
		out(s, "stop no-vma: no VMA covers this address, no table was read\n");
	else
		out(s, "stop %s at %s\n", stop_name(x->stop),
		    level_names[x->stop_level]);
	if (x->stop != PTSCOPE_STOP_NO_VMA && x->stop != PTSCOPE_STOP_EMPTY &&
	    x->stop != PTSCOPE_STOP_BAD) {
		out(s, "leaf");
		text_leaf(s, &x->leaf);
	}
}

/*
 * Withhold where the tables are (lockdown confidentiality): their
 * addresses, and the frame bits of the entries that point at them (all
 * levels above the last; the last too if it is corrupt).  The leaf's
 * frame is a user page's, which pagemap shows.
 */
static void withhold_tables(struct ptscope_xlate_level *lv, int n,
			    struct ptscope_xlate *x)
{
	int i;

	for (i = 0; i < n; i++) {
		lv[i].table_pa = 0;
		lv[i].entry_pa = 0;
		if (i < n - 1 || x->stop == PTSCOPE_STOP_BAD) {
			lv[i].entry &= ~PTE_PFN_MASK;
			lv[i].kernel_entry &= ~PTE_PFN_MASK;
		}
	}
	if (x->stop == PTSCOPE_STOP_BAD)
		x->leaf.entry &= ~PTE_PFN_MASK;
}

/**
 * ptscope_tables_withheld() - are the page tables' addresses withheld?
 *
 * Under lockdown "confidentiality" the kernel keeps root from learning
 * where its own memory lies (no /proc/kcore, no BPF or kprobe reads of
 * kernel memory), while pagemap still shows the frames of user pages.
 * ptscope follows that line on every path: the entries and frames of
 * user pages stay, the physical addresses of the page tables and the
 * frame bits of the entries that point at tables are withheld.  The
 * kernel logs the denial as access to /proc/kcore, the same rule.
 *
 * Return: true to withhold them.
 */
bool ptscope_tables_withheld(void)
{
	return security_locked_down(LOCKDOWN_KCORE) != 0;
}

/* A translation's levels and outcome, as text or records. */
static void put_xlate(struct session *s, struct ptscope_xlate_level *lv,
		      int n, struct ptscope_xlate *x)
{
	int i;

	if (!s->binary) {
		text_xlate(s, lv, n, x);
		return;
	}
	for (i = 0; i < n; i++)
		out_rec(s, &lv[i], sizeof(lv[i]));
	out_rec(s, x, sizeof(*x));
}

/*
 * A kernel translation: the region of the address (a VMA record), then
 * the levels and the outcome, the region's bounds in vma_start/vma_end.
 */
static int do_ktranslate(struct session *s)
{
	struct ptscope_xlate_level lv[PTSCOPE_NR_LEVELS];
	const struct ptscope_kregion *r;
	struct ptscope_xlate x;
	int n, ret;

	r = ptscope_kwalk_region(s->kw, s->va);
	if (!r)
		return -ERANGE;
	ret = ptscope_ktranslate(s->target.mm, s->va, lv, &n, &x);
	if (ret)
		return ret;
	x.vma_start = r->start;
	x.vma_end = r->end;
	ret = on_region(&s->walk, r->start, r->end,
			r->name[0] ? r->name : "unnamed");
	if (ret)
		return -ENOSPC;
	put_xlate(s, lv, n, &x);
	return 0;
}

static int do_translate(struct session *s)
{
	struct ptscope_xlate_level lv[PTSCOPE_NR_LEVELS];
	struct ptscope_xlate x;
	int n, ret;

	if (s->kernel)
		return do_ktranslate(s);
	ret = ptscope_translate(s->target.mm, s->va, lv, &n, &x);
	if (ret)
		return ret;
	if (s->hide_pa)
		withhold_tables(lv, n, &x);
	put_xlate(s, lv, n, &x);
	return 0;
}

static void emit_trailer(struct session *s)
{
	struct ptscope_cost *c = &s->cost;
	int i;

	if (s->op == PTSCOPE_OP_PTCOST) {
		c->hdr.type = PTSCOPE_REC_COST;
		c->hdr.size = sizeof(*c);
		c->tables[PTSCOPE_LVL_PGD] = 1;
		c->pgd_pages = ptscope_user_pgd_pa(s->target.mm) ? 2 : 1;
		c->pgtables_bytes = mm_pgtables_bytes(s->target.mm);
		for (i = 0; i < PTSCOPE_NR_LEVELS; i++)
			c->entries[i] = c->leaves[i] +
					(i ? c->tables[i - 1] : 0);
		/*
		 * With 4-level paging the P4D level is folded into the PGD:
		 * the PGD's entries point at PUD tables, and there is no P4D
		 * table or entry of its own.
		 */
		if (ptscope_paging_levels() == 4) {
			c->entries[PTSCOPE_LVL_PGD] = c->leaves[PTSCOPE_LVL_PGD] +
						      c->tables[PTSCOPE_LVL_PUD];
			c->entries[PTSCOPE_LVL_P4D] = 0;
			c->tables[PTSCOPE_LVL_P4D] = 0;
		}
		if (s->binary) {
			out_rec(s, c, sizeof(*c));
		} else {
			out(s, "level tables entries leaves\n");
			for (i = PTSCOPE_NR_LEVELS - 1; i >= 0; i--) {
				if (i == PTSCOPE_LVL_P4D &&
				    ptscope_paging_levels() == 4)
					continue;
				out(s, "%-5s %6llu %7llu %6llu\n", level_names[i],
				    c->tables[i], c->entries[i], c->leaves[i]);
			}
			out(s, "deposited_pte_tables %llu\n", c->deposited);
			out(s, "table_bytes_pte_pmd_pud %llu\n",
			    (c->tables[0] + c->tables[1] + c->tables[2] +
			     c->deposited) * PAGE_SIZE);
			out(s, "pgtables_bytes %llu\n", c->pgtables_bytes);
			out(s, "pgd_pages %llu\n", c->pgd_pages);
			out(s, "vm_bytes %llu\n", c->vm_bytes);
		}
	}
	if (s->binary) {
		s->totals.hdr.type = PTSCOPE_REC_END;
		s->totals.hdr.size = sizeof(s->totals);
		out_rec(s, &s->totals, sizeof(s->totals));
	} else if (s->op == PTSCOPE_OP_WALK) {
		out(s, "# %llu vmas, %llu lines, %llu entries\n",
		    s->totals.vmas, s->totals.leaves, s->totals.entries);
	}
}

/* Produce the next piece of output into the empty buffer. */
static int produce(struct session *s)
{
	int ret;

	/*
	 * The kernel half is walked at read time: a lockdown raised to
	 * confidentiality after the request was written stops it there.
	 */
	if (s->kernel && (s->stage == ST_HEADER || s->stage == ST_BODY) &&
	    ptscope_tables_withheld())
		return -EPERM;
	switch (s->stage) {
	case ST_HEADER:
		emit_header(s);
		s->stage = ST_BODY;
		if (s->op == PTSCOPE_OP_TRANSLATE) {
			ret = do_translate(s);
			if (ret)
				return ret;
			s->stage = ST_TRAILER;
		}
		return 0;
	case ST_BODY:
		/* The buffer is sized to take at least one chunk: never spin. */
		if (room(s) < chunk_need(s))
			return -EOVERFLOW;
		while (!s->walk.done && room(s) >= chunk_need(s)) {
			if (s->kernel)
				ret = ptscope_kwalk_chunk(&s->walk);
			else
				ret = ptscope_walk_chunk(&s->walk);
			if (ret)
				return ret;
		}
		if (s->walk.done && !flush_run(s))
			s->stage = ST_TRAILER;
		return 0;
	case ST_TRAILER:
		if (s->op != PTSCOPE_OP_TRANSLATE)
			emit_trailer(s);
		s->stage = ST_EOF;
		return 0;
	default:
		return 0;
	}
}

static const char usage[] =
	"ptscope: write a request to this file first, then read it, e.g.\n"
	"  exec 3<>/sys/kernel/debug/ptscope/walk; echo pid=$PID >&3; cat <&3\n"
	"Requests: pid=N [range=START-END] [coalesce] (walk), pid=N va=ADDR\n"
	"(translate), pid=N (ptcost); kernel [range=START-END] [coalesce] or\n"
	"kernel va=ADDR: the kernel half.  /dev/ptscope also takes op=walk|translate|\n"
	"ptcost|version|faults|track|untrack and format=text|records.\n"
	"See Documentation/interface.rst.\n";

static ssize_t session_read(struct file *file, char __user *ubuf,
			    size_t count, loff_t *ppos)
{
	struct session *s = file->private_data;
	ssize_t done = 0;
	int ret = 0;

	if (mutex_lock_interruptible(&s->lock))
		return -EINTR;
	if (s->stage == ST_IDLE) {
		if (s->binary) {
			ret = -ENODATA;
			goto out;
		}
		ret = simple_read_from_buffer(ubuf, count, ppos, usage,
					      sizeof(usage) - 1);
		goto out;
	}
	while (count) {
		size_t n;

		if (s->off == s->len) {
			s->off = 0;
			s->len = 0;
			if (s->error || s->stage == ST_EOF)
				break;
			ret = produce(s);
			if (ret) {
				/* Deliver what was produced, then the error. */
				s->error = ret;
				ret = 0;
			}
			continue;
		}
		n = min(count, s->len - s->off);
		if (copy_to_user(ubuf + done, s->buf + s->off, n)) {
			ret = -EFAULT;
			break;
		}
		s->off += n;
		done += n;
		count -= n;
	}
	if (!done && !ret && s->error)
		ret = s->error;
out:
	mutex_unlock(&s->lock);
	return done ? done : ret;
}

/* Numbers: decimal, or hex with 0x.  No sign, no octal. */
static int parse_ulong(const char *str, unsigned long *val)
{
	unsigned int base = 10;
	unsigned long long v;

	if (str[0] == '0' && (str[1] == 'x' || str[1] == 'X')) {
		base = 16;
		str += 2;
	}
	/* kstrtoull() skips a leading '+': the request syntax has no sign. */
	if (!isxdigit(*str) || kstrtoull(str, base, &v))
		return -EINVAL;
	*val = v;
	return 0;
}

enum { FMT_UNSET, FMT_TEXT, FMT_RECORDS };

struct request {
	long pid;
	u32 op;
	u32 flags;
	int format;
	unsigned long start, end, va;
	bool have_range, have_va;
	bool kernel;
};

static int parse_token(struct request *r, char *tok)
{
	char *val = strchr(tok, '=');
	unsigned long v;

	if (val)
		*val++ = '\0';
	if (!strcmp(tok, "coalesce") && !val) {
		r->flags |= PTSCOPE_REQ_COALESCE;
		return 0;
	}
	if (!strcmp(tok, "compact") && !val) {
		r->flags |= PTSCOPE_REQ_COMPACT;
		return 0;
	}
	if (!strcmp(tok, "facts") && !val) {
		r->flags |= PTSCOPE_REQ_FACTS;
		return 0;
	}
	if (!strcmp(tok, "kernel") && !val) {
		if (r->kernel)
			return -EINVAL;
		r->kernel = true;
		return 0;
	}
	if (!val || !*val)
		return -EINVAL;
	if (!strcmp(tok, "pid")) {
		if (parse_ulong(val, &v) || v < 1 || v > PID_MAX_LIMIT)
			return -EINVAL;
		r->pid = v;
	} else if (!strcmp(tok, "va")) {
		if (parse_ulong(val, &r->va))
			return -EINVAL;
		r->have_va = true;
	} else if (!strcmp(tok, "range")) {
		char *dash = strchr(val, '-');

		if (!dash)
			return -EINVAL;
		*dash++ = '\0';
		if (parse_ulong(val, &r->start) || parse_ulong(dash, &r->end))
			return -EINVAL;
		r->have_range = true;
	} else if (!strcmp(tok, "op")) {
		u32 i;

		for (i = 1; i < ARRAY_SIZE(op_names); i++)
			if (!strcmp(val, op_names[i]))
				break;
		if (i == ARRAY_SIZE(op_names) || r->op)
			return -EINVAL;
		r->op = i;
	} else if (!strcmp(tok, "format")) {
		if (r->format)
			return -EINVAL;
		if (!strcmp(val, "text"))
			r->format = FMT_TEXT;
		else if (!strcmp(val, "records"))
			r->format = FMT_RECORDS;
		else
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	return 0;
}

/*
 * The addresses of a kernel request: in the kernel half.  Without a range
 * the whole half, up to the top (end 0).  A range's end is rounded up to
 * a page; one that rounds past the top means the top.
 */
static int parse_kernel_range(struct request *r)
{
	unsigned long kstart = ptscope_kernel_start();

	if (r->op == PTSCOPE_OP_PTCOST)
		return -EINVAL;
	if (r->have_va && r->va < kstart)
		return -ERANGE;
	if (!r->have_range) {
		r->start = kstart;
		r->end = 0;
		return 0;
	}
	if (r->end <= r->start)
		return -ERANGE;
	r->start = round_down(r->start, PAGE_SIZE);
	r->end = round_up(r->end, PAGE_SIZE);
	if (r->start < kstart)
		return -ERANGE;
	return 0;
}

/*
 * Parse and check a request.  -EINVAL: malformed, unknown or repeated
 * key, missing pid, a key the operation does not take, an operation or
 * format the debugfs file does not serve; -ERANGE: an address beyond
 * user space, or an empty or reversed range.
 */
static int parse_request(const struct ptscope_file *pf, char *line,
			 struct request *r)
{
	unsigned long user_end = ptscope_user_end();
	bool records;
	char *tok;
	int ret;

	memset(r, 0, sizeof(*r));
	while ((tok = strsep(&line, " \t\n")) != NULL) {
		if (!*tok)
			continue;
		ret = parse_token(r, tok);
		if (ret)
			return ret;
	}
	if (r->op > PTSCOPE_OP_PTCOST) {
		/* version, faults: nothing else; track, untrack: a pid */
		if (!pf->device || r->format || r->flags || r->have_va ||
		    r->have_range || r->kernel)
			return -EINVAL;
		if ((r->op == OP_TRACK || r->op == OP_UNTRACK) != !!r->pid)
			return -EINVAL;
		return 0;
	}
	records = r->format == FMT_RECORDS;
	if (!pf->device && r->format && pf->binary != records)
		return -EINVAL;
	if (!r->pid == !r->kernel)
		return -EINVAL;
	if (!r->op)
		r->op = pf->op ? pf->op :
			(r->have_va ? PTSCOPE_OP_TRANSLATE : PTSCOPE_OP_WALK);
	if (pf->op && r->op != pf->op)
		return -EINVAL;
	if (r->op == PTSCOPE_OP_TRANSLATE && !r->have_va)
		return -EINVAL;
	if (r->op != PTSCOPE_OP_TRANSLATE && r->have_va)
		return -EINVAL;
	if (r->op != PTSCOPE_OP_WALK && (r->have_range || r->flags))
		return -EINVAL;
	/* compact: a records walk of a process; facts with it, not with coalesce */
	if ((r->flags & PTSCOPE_REQ_FACTS) && !(r->flags & PTSCOPE_REQ_COMPACT))
		return -EINVAL;
	if ((r->flags & PTSCOPE_REQ_COMPACT) &&
	    (!(r->format ? records : pf->binary) || r->kernel))
		return -EINVAL;
	if ((r->flags & PTSCOPE_REQ_FACTS) && (r->flags & PTSCOPE_REQ_COALESCE))
		return -EINVAL;
	if ((r->flags & PTSCOPE_REQ_COMPACT) && !ptscope_layout())
		return -EOPNOTSUPP;
	if (r->kernel)
		return parse_kernel_range(r);
	if (r->have_va && r->va >= user_end)
		return -ERANGE;
	if (!r->have_range) {
		r->start = 0;
		r->end = user_end;
	}
	r->start = round_down(r->start, PAGE_SIZE);
	r->end = r->end > user_end ? r->end : round_up(r->end, PAGE_SIZE);
	if (r->start >= r->end || r->end > user_end)
		return -ERANGE;
	return 0;
}

/*
 * The output buffer a request needs (see BUF_SMALL), and the scratch
 * array for a walk whose leaves are not decoded in place.  Kept for the
 * next request if big enough; a session that only reads records never
 * pays for a text walk's buffer.
 */
static int session_buf(struct session *s, size_t need, unsigned int scratch)
{
	struct ptscope_leaf *l = NULL;
	char *buf = NULL;

	/* both first: if either fails, nothing has changed */
	if (s->cap < need) {
		buf = kvmalloc(need, GFP_KERNEL);
		if (!buf)
			return -ENOMEM;
	}
	if (s->scratch_n < scratch) {
		l = kvmalloc_array(scratch, sizeof(*l), GFP_KERNEL);
		if (!l) {
			kvfree(buf);
			return -ENOMEM;
		}
	}
	if (buf) {
		/* what is not read yet stays, should the request still fail */
		if (s->len)
			memcpy(buf, s->buf, s->len);
		kvfree(s->buf);
		s->buf = buf;
		s->cap = need;
	}
	if (l) {
		kvfree(s->scratch);
		s->scratch = l;
		s->scratch_n = scratch;
	}
	return 0;
}

/*
 * What session_buf() must give request @r, read as records if @binary;
 * *@table_max is the most leaves one PTE table of its range can give.
 * Made before the session is reset: a request the memory cannot be found
 * for fails with ENOMEM and changes nothing.
 */
static int session_buf_for(struct session *s, const struct request *r,
			   bool binary, unsigned int *table_max)
{
	bool in_place = binary && !(r->flags & PTSCOPE_REQ_COALESCE) &&
			r->op == PTSCOPE_OP_WALK && !r->kernel;
	size_t need = BUF_SMALL, chunk;

	*table_max = PTRS_PER_PTE;
	if (!r->kernel)
		*table_max = min_t(unsigned long, PTRS_PER_PTE,
				   (r->end - r->start) >> PAGE_SHIFT);
	chunk = chunk_bytes(binary, r->op, r->flags, *table_max);
	if (r->op == PTSCOPE_OP_WALK)
		need = binary ? 2 * chunk : chunk + TEXT_SLACK;
	/* the first piece: the header, and a compact stream's layout */
	need = max(need, sizeof(struct ptscope_header) + LINE_MAX_LEN +
		   ((r->flags & PTSCOPE_REQ_COMPACT) ?
		    sizeof(struct ptscope_layout) : 0));
	return session_buf(s, need, in_place ? 0 : *table_max);
}

static void session_reset(struct session *s)
{
	ptscope_target_put(&s->target);
	ptscope_kwalk_free(s->kw);
	s->kw = NULL;
	s->kernel = false;
	s->stage = ST_IDLE;
	s->error = 0;
	s->len = 0;
	s->off = 0;
	s->have_run = false;
	memset(&s->cost, 0, sizeof(s->cost));
	memset(&s->totals, 0, sizeof(s->totals));
}

/*
 * The device's operations without a walk: version and faults answer
 * with the text of the debugfs file of that name, track and untrack act
 * at once and answer nothing.  CAP_SYS_ADMIN is checked at each
 * request, as for walks: a session passed to a process without it
 * answers nothing.  The session is taken first, so that a write that
 * fails (-EINTR included) has changed nothing.
 */
static int device_op(struct file *file, struct session *s,
		     const struct request *r)
{
	int ret;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (mutex_lock_interruptible(&s->lock))
		return -EINTR;
	ret = session_buf(s, r->op == OP_FAULTS ? PTSCOPE_FAULTS_TEXT_MAX :
			  BUF_SMALL, 0);
	if (!ret && (r->op == OP_TRACK || r->op == OP_UNTRACK))
		ret = ptscope_faults_ctl(file, s->pid_ns, r->op == OP_TRACK,
					 r->pid);
	if (ret) {
		mutex_unlock(&s->lock);
		return ret;
	}
	session_reset(s);
	s->op = r->op;
	if (r->op == OP_VERSION)
		s->len = ptscope_version_text(s->buf, s->cap);
	else if (r->op == OP_FAULTS)
		s->len = ptscope_faults_text(s->buf, s->cap);
	s->stage = ST_EOF;
	mutex_unlock(&s->lock);
	return 0;
}

/**
 * kernel_target() - the target of a kernel request: the caller's own mm
 * @file: the session's file
 * @t:    filled with the caller's mm (mmgrab()), pid 0, comm "kernel"
 * @kwp:  the kernel walk's state, allocated here
 *
 * The kernel half of every top-level table is the same (kwalk.c), so the
 * caller's own is read.  Refused under lockdown "confidentiality": the
 * kernel half shows where the kernel's code, data and every frame of the
 * direct map lie (the KASLR offsets), which that level keeps from root
 * (the /proc/kcore rule, LOCKDOWN_KCORE, as for the table addresses).
 *
 * Return: 0, -EPERM (not CAP_SYS_ADMIN, or lockdown), -ENXIO (a caller
 * without an mm), -ENOMEM.
 */
static int kernel_target(struct file *file, struct ptscope_target *t,
			 struct ptscope_kwalk **kwp)
{
	struct mm_struct *mm = current->mm;
	int ret;

	if (!capable(CAP_SYS_ADMIN) ||
	    !file_ns_capable(file, &init_user_ns, CAP_SYS_ADMIN))
		return -EPERM;
	ret = security_locked_down(LOCKDOWN_KCORE);
	if (ret)
		return ret;
	if (!mm)
		return -ENXIO;
	*kwp = ptscope_kwalk_alloc();
	if (!*kwp)
		return -ENOMEM;
	mmgrab(mm);
	t->mm = mm;
	t->pid = 0;
	strscpy(t->comm, "kernel", sizeof(t->comm));
	return 0;
}

static ssize_t session_write(struct file *file, const char __user *ubuf,
			     size_t count, loff_t *ppos)
{
	struct session *s = file->private_data;
	char line[PTSCOPE_REQ_MAX];
	struct ptscope_target t = {};
	struct ptscope_kwalk *kw = NULL;
	unsigned int table_max;
	struct request r;
	bool binary;
	int ret;

	if (!count || count >= sizeof(line))
		return -EINVAL;
	if (copy_from_user(line, ubuf, count))
		return -EFAULT;
	line[count] = '\0';
	if (strlen(line) != count)
		return -EINVAL;
	ret = parse_request(s->file, line, &r);
	if (ret)
		return ret;
	if (r.op > PTSCOPE_OP_PTCOST)
		return device_op(file, s, &r) ?: count;
	if (r.kernel) {
		ret = kernel_target(file, &t, &kw);
		if (ret)
			return ret;
	} else {
		ret = ptscope_target_get(file, s->pid_ns, r.pid, &t);
		if (ret)
			return ret;
	}

	binary = r.format ? r.format == FMT_RECORDS : s->file->binary;
	if (mutex_lock_interruptible(&s->lock)) {
		ptscope_target_put(&t);
		ptscope_kwalk_free(kw);
		return -EINTR;
	}
	ret = session_buf_for(s, &r, binary, &table_max);
	if (ret) {
		mutex_unlock(&s->lock);
		ptscope_target_put(&t);
		ptscope_kwalk_free(kw);
		return ret;
	}
	session_reset(s);
	s->table_max = table_max;
	s->target = t;
	s->kernel = r.kernel;
	s->kw = kw;
	s->op = r.op;
	s->reqflags = r.flags;
	s->binary = binary;
	s->hide_pa = ptscope_tables_withheld();
	s->start = r.start;
	s->end = r.end;
	s->va = r.va;
	if (kw)
		ptscope_kwalk_init(&s->walk, kw, t.mm, r.start, r.end,
				   &session_walk_ops, s);
	else
		ptscope_walk_init(&s->walk, t.mm, r.start, r.end,
				  &session_walk_ops, s);
	s->walk.compact = r.flags & PTSCOPE_REQ_COMPACT;
	s->walk.merge = !kw && (r.flags & PTSCOPE_REQ_COALESCE) &&
			!(r.flags & PTSCOPE_REQ_COMPACT);
	s->walk.facts = r.flags & PTSCOPE_REQ_FACTS;
	s->stage = ST_HEADER;
	mutex_unlock(&s->lock);
	return count;
}

static int open_common(struct file *file, const struct ptscope_file *pf)
{
	struct session *s;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	mutex_init(&s->lock);
	s->file = pf;
	s->binary = pf->binary;
	s->pid_ns = ptscope_opener_ns();
	file->private_data = s;
	return nonseekable_open(file_inode(file), file);
}

static int session_open(struct inode *inode, struct file *file)
{
	return open_common(file, inode->i_private);
}

/* /dev/ptscope: every operation, the request chooses the view. */
static const struct ptscope_file device_file = {
	.name = "ptscope", .op = 0, .binary = false, .device = true,
};

static int device_open(struct inode *inode, struct file *file)
{
	return open_common(file, &device_file);
}

static int session_release(struct inode *inode, struct file *file)
{
	struct session *s = file->private_data;

	ptscope_target_put(&s->target);
	ptscope_kwalk_free(s->kw);
	put_pid_ns(s->pid_ns);
	mutex_destroy(&s->lock);
	kvfree(s->scratch);
	kvfree(s->buf);
	kfree(s);
	return 0;
}

const struct file_operations ptscope_session_fops = {
	.owner		= THIS_MODULE,
	.open		= session_open,
	.read		= session_read,
	.write		= session_write,
	.release	= session_release,
};

const struct file_operations ptscope_device_fops = {
	.owner		= THIS_MODULE,
	.open		= device_open,
	.read		= session_read,
	.write		= session_write,
	.release	= session_release,
};
