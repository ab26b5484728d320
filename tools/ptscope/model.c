// SPDX-License-Identifier: GPL-2.0
/*
 * Faults against the textbook model (model.h).
 *
 * Which claim a fault bears on, decided from its class and its entries:
 *
 *   demand-zero             M4 holds (a frame at the first touch), M13
 *   zero-page               M4, M13 with a difference (no frame: the zero page)
 *   cow of the zero page    M4, M13 with a difference (the frame at the write)
 *   cow                     M11 holds (the shared page copied)
 *   wp-reuse (private)      M11 with a difference (reused in place, no copy)
 *   file faults             M5 for reads (neighbours mapped, or why
 *                           not), M17 (file pages mapped only where
 *                           touched); files of tmpfs and shmem too
 *   swap-in                 M8 holds when major, with a difference from
 *                           the swap cache
 *   thp                     M15 holds; a first touch also M4 and M13
 *
 * Every other class (retry, spurious, error, numa-hint, uffd, other)
 * bears on no claim: a retried fault counts when it completes.
 */
#include <stdio.h>
#include <string.h>

#include "model.h"

#define PAGE_SHIFT	12
#define WINDOW_BYTES	((uint64_t)FT_WINDOW << PAGE_SHIFT)

static const struct {
	const char *id, *name, *text;
} claims[MC_NR] = {
	[MC_M4] = { "M4", "demand paging", "Memory that is committed gets a frame only "
		    "when first touched: one fault per page touched." },
	[MC_M5] = { "M5", "clustering", "A fault also brings in neighbouring pages, to "
		    "save later faults." },
	[MC_M8] = { "M8", "paging file", "A page moved to the paging file leaves an invalid "
		    "entry; touching it faults and reads it back (a hard fault)." },
	[MC_M11] = { "M11", "copy-on-write", "Shared pages become private when written: "
		     "the first write copies." },
	[MC_M13] = { "M13", "zeroed pages", "New pages are taken from a list of "
		     "pre-zeroed pages." },
	[MC_M15] = { "M15", "large pages", "Large pages (2 MiB) reduce translation "
		     "overhead for big allocations." },
	[MC_M17] = { "M17", "mapped files", "Mapping a file loads only the parts that are "
		     "used." },
};

static const char *const verdict_names[] = {
	[MV_NONE] = "no verdict",
	[MV_HOLDS] = "holds",
	[MV_DIFF] = "holds with a difference",
	[MV_NOT] = "does not hold on Linux",
};

static const char *const verdict_short[] = {
	[MV_NONE] = "-", [MV_HOLDS] = "holds", [MV_DIFF] = "diff", [MV_NOT] = "not",
};

const char *model_claim_id(enum model_claim c)
{
	return c < MC_NR ? claims[c].id : "?";
}

const char *model_claim_name(enum model_claim c)
{
	return c < MC_NR ? claims[c].name : "?";
}

const char *model_claim_text(enum model_claim c)
{
	return c < MC_NR ? claims[c].text : "?";
}

const char *model_verdict_name(enum model_verdict v)
{
	return v <= MV_NOT ? verdict_names[v] : "?";
}

void model_init(struct model *m, const struct model_env *env)
{
	memset(m, 0, sizeof(*m));
	m->env = *env;
}

static struct model_tag *tag(struct model *m, struct model_tag *tags, int *n,
			     enum model_claim c, enum model_verdict v)
{
	struct model_tag *t = &tags[(*n)++];

	t->claim = c;
	t->verdict = v;
	t->note[0] = '\0';
	m->events[c]++;
	return t;
}

#define NOTE(t, ...) snprintf((t)->note, sizeof((t)->note), __VA_ARGS__)

/* The frame of the 4 KiB page at E's address in leaf P (a subpage if huge). */
static uint64_t page_pfn(const struct ft_event *e, const struct ft_pte *p)
{
	uint64_t idx = e->address >> PAGE_SHIFT;

	if (p->level == FT_LVL_PMD)
		return ft_pfn(p) + (idx & 511);
	if (p->level == FT_LVL_PUD)
		return ft_pfn(p) + (idx & ((1ULL << 18) - 1));
	return ft_pfn(p);
}

/*
 * Is P the huge zero page?  By its frame only: a read of a read-only
 * VMA, or any read with use_zero_page off, maps a THP of its own
 * read-only (do_huge_pmd_anonymous_page()).
 */
static bool huge_zero(const struct model *m, const struct ft_pte *p)
{
	return ft_present(p) && p->level == FT_LVL_PMD && m->env.huge_zero_pfn &&
	       ft_pfn(p) == m->env.huge_zero_pfn;
}

/* Entries that appeared in the 16-entry window with this fault. */
static int window_gain(const struct ft_event *e)
{
	int before = e->before.level == FT_LVL_PTE ? e->before.window : 0;

	return (int)e->after.window - before;
}

/*
 * Empty entries around the page faulted on that fault-around could fill:
 * the aligned 16-entry window, inside the VMA, less the page itself and
 * the entries already there (the window count before the fault).
 */
static int empty_neighbours(const struct ft_event *e)
{
	uint64_t lo = e->address & ~(WINDOW_BYTES - 1), hi = lo + WINDOW_BYTES;
	int inside;

	if (e->before.level != FT_LVL_PTE && e->before.status != FT_WALK_NONE)
		return 0;
	if (lo < e->vm_start)
		lo = e->vm_start;
	if (hi > e->vm_end)
		hi = e->vm_end;
	inside = hi > lo ? (int)((hi - lo) >> PAGE_SHIFT) : 0;
	inside -= 1 + e->before.window;
	return inside > 0 ? inside : 0;
}

/* First touch of anonymous memory: demand-zero, zero-page, or a THP. */
static void first_touch(struct model *m, const struct ft_event *e, enum ft_class cls,
			struct model_tag *tags, int *n)
{
	const struct ft_pte *a = &e->after;
	uint64_t pages = ft_leaf_pages(a);
	bool zero = cls == CL_ZERO_PAGE || (cls == CL_THP && huge_zero(m, a));
	int gain = window_gain(e);
	struct model_tag *t;

	/* A large folio (6.8+ mTHP): one fault gave several pages frames. */
	if (cls == CL_DEMAND_ZERO && gain > 1) {
		pages = gain;
		m->m4_large++;
	}
	m->m4_first++;
	m->m4_pages += pages;
	m->m13_first++;
	if (zero) {
		m->m4_zero++;
		m->m13_zero++;
	} else {
		m->m13_new++;
	}
	t = tag(m, tags, n, MC_M4, cls == CL_DEMAND_ZERO && pages == 1 ? MV_HOLDS : MV_DIFF);
	if (cls == CL_DEMAND_ZERO && pages > 1) {
		NOTE(t, "first touch: %llu pages got frames in this one fault (a large "
		     "folio), the others untouched", (unsigned long long)pages);
	} else if (cls == CL_THP) {
		m->m4_huge++;
		NOTE(t, "first touch: %llu pages at once, one fault for a %s page",
		     (unsigned long long)pages, a->level == FT_LVL_PUD ? "1 GiB" : "2 MiB");
	} else if (zero) {
		NOTE(t, "first touch was a read: the shared zero page, read-only; no "
		     "frame of its own until written");
	} else {
		NOTE(t, "first touch: a frame of its own now (pfn %#llx)",
		     (unsigned long long)ft_pfn(a));
	}
	t = tag(m, tags, n, MC_M13, MV_DIFF);
	if (zero)
		NOTE(t, "a read sees zeros through the shared %szero page (pfn %#llx): no "
		     "frame taken", cls == CL_THP ? "huge " : "", (unsigned long long)ft_pfn(a));
	else
		NOTE(t, "a new frame that reads zero (pfn %#llx), cleared when allocated "
		     "for this fault (or when freed, with init_on_free): Linux keeps no "
		     "pre-zeroed list", (unsigned long long)ft_pfn(a));
}

/*
 * A fault that mapped a page of a file from an empty entry: a file
 * system's, or shmem's (tmpfs, and MAP_SHARED|MAP_ANONYMOUS, which is a
 * shmem file too).
 */
static void file_fault(struct model *m, const struct ft_event *e, enum ft_class cls,
		       int nb, struct model_tag *tags, int *n)
{
	bool major = e->outcome == FT_MAJOR;
	int empty = empty_neighbours(e);
	struct model_tag *t;

	(void)cls;
	/*
	 * Fault-around runs on read faults only (do_read_fault()), over
	 * fault_around_bytes: the tracer counts the neighbours in a 64 KiB
	 * window, so M5 is judged only when that is the window (the
	 * default), or when fault-around is off.
	 */
	if (e->access != FT_ACC_WRITE &&
	    (m->env.fault_around_bytes < 0 || m->env.fault_around_bytes <= 4096 ||
	     m->env.fault_around_bytes == (long long)WINDOW_BYTES)) {
		m->m5_faults++;
		if (empty || nb) {
			m->m5_eligible++;
			m->m5_with += nb > 0;
			m->m5_neighbours += nb;
			if (nb > 0) {
				t = tag(m, tags, n, MC_M5, MV_HOLDS);
				NOTE(t, "+%d neighbours mapped with it, from the page cache", nb);
			} else if (m->env.fault_around_bytes >= 0 &&
				   m->env.fault_around_bytes <= 4096) {
				t = tag(m, tags, n, MC_M5, MV_NOT);
				NOTE(t, "fault-around is off (fault_around_bytes %lld): the page "
				     "alone, %d empty neighbours left empty",
				     m->env.fault_around_bytes, empty);
			} else {
				t = tag(m, tags, n, MC_M5, MV_DIFF);
				NOTE(t, "no neighbour mapped: fault-around maps only pages already "
				     "in the page cache (%d neighbours were empty)", empty);
			}
		}
	}
	m->m17_faults++;
	m->m17_pages += 1 + nb;
	m->m17_major += major;
	m->m17_neighbours += nb;
	if (nb > 0 && major) {
		/* filemap_fault()'s read-around may have read them just now */
		t = tag(m, tags, n, MC_M17, MV_DIFF);
		NOTE(t, "the page touched was read from the file, and %d untouched "
		     "neighbours mapped with it (read ahead by this fault, or cached "
		     "before: the trace cannot tell)", nb);
	} else if (nb > 0) {
		t = tag(m, tags, n, MC_M17, MV_DIFF);
		NOTE(t, "the page touched and %d untouched neighbours already cached", nb);
	} else {
		t = tag(m, tags, n, MC_M17, MV_HOLDS);
		NOTE(t, "only the page touched is mapped%s",
		     major ? ", read from the file now (major)" : ", from the page cache");
	}
}

static void ro_swapin_add(struct model *m, const struct ft_event *e)
{
	unsigned int i = m->ro_swapin_next++ % (sizeof(m->ro_swapin) / sizeof(m->ro_swapin[0]));

	m->ro_swapin[i].pid = e->pid;
	m->ro_swapin[i].page = (e->address >> PAGE_SHIFT) + 1;
}

/* Was E's page mapped read-only by a swap-in this trace saw?  Forget it. */
static bool ro_swapin_take(struct model *m, const struct ft_event *e)
{
	uint64_t page = (e->address >> PAGE_SHIFT) + 1;
	size_t i;

	for (i = 0; i < sizeof(m->ro_swapin) / sizeof(m->ro_swapin[0]); i++) {
		if (m->ro_swapin[i].page == page && m->ro_swapin[i].pid == e->pid) {
			m->ro_swapin[i].page = 0;
			return true;
		}
	}
	return false;
}

int model_event(struct model *m, const struct ft_event *e, enum ft_class cls,
		int neighbours, struct model_tag *tags)
{
	const struct ft_pte *b = &e->before, *a = &e->after;
	struct model_tag *t;
	int n = 0;

	switch (cls) {
	case CL_DEMAND_ZERO:
	case CL_ZERO_PAGE:
		/* A first touch finds an empty entry (not, e.g., a migration entry). */
		if (b->status == FT_WALK_NONE)
			first_touch(m, e, cls, tags, &n);
		break;
	case CL_THP:
		m->m15_huge++;
		m->m15_pages += ft_leaf_pages(a);
		t = tag(m, tags, &n, MC_M15, MV_HOLDS);
		NOTE(t, "one fault mapped %s with one %s entry (%llu pages)",
		     a->level == FT_LVL_PUD ? "1 GiB" : "2 MiB", a->level == FT_LVL_PUD ?
		     "PUD" : "PMD", (unsigned long long)ft_leaf_pages(a));
		if (ft_anon(e) && b->status == FT_WALK_NONE)
			first_touch(m, e, cls, tags, &n);
		break;
	case CL_COW:
		if ((ft_present(b) && b->level == FT_LVL_PTE && m->env.zero_pfn &&
		     ft_pfn(b) == m->env.zero_pfn) || huge_zero(m, b)) {
			m->m4_second++;
			m->m13_new++;
			m->m13_zero_cow++;
			t = tag(m, tags, &n, MC_M4, MV_DIFF);
			NOTE(t, "the frame comes at the first write (pfn %#llx): the read "
			     "before mapped the %szero page", (unsigned long long)ft_pfn(a),
			     b->level == FT_LVL_PMD ? "huge " : "");
			t = tag(m, tags, &n, MC_M13, MV_DIFF);
			NOTE(t, "a zeroed frame replaces the %szero page",
			     b->level == FT_LVL_PMD ? "huge " : "");
			break;
		}
		m->m11_written++;
		m->m11_copied++;
		t = tag(m, tags, &n, MC_M11, MV_HOLDS);
		if (ft_present(b)) {
			NOTE(t, "the write copied the shared page: pfn %#llx -> %#llx, writable",
			     (unsigned long long)page_pfn(e, b), (unsigned long long)ft_pfn(a));
			break;
		}
		NOTE(t, "a write to a private file mapping: a private copy of the "
		     "page-cache page (pfn %#llx)", (unsigned long long)ft_pfn(a));
		if (e->backing == FT_BACK_FILE || e->backing == FT_BACK_SHMEM) {
			m->m17_faults++;
			m->m17_pages++;
			m->m17_major += e->outcome == FT_MAJOR;
			t = tag(m, tags, &n, MC_M17, MV_HOLDS);
			NOTE(t, "only the page touched is mapped");
		}
		break;
	case CL_WP_REUSE:
		if (e->vm_flags & FT_VMA_SHARED)
			break;	/* dirty tracking of a shared mapping, not COW */
		/*
		 * Write-protected by clear_refs (soft-dirty tracking: the
		 * bit was cleared with the write bit), or by a read
		 * swap-in (6.1 maps even an exclusive page read-only):
		 * never shared, not copy-on-write.
		 */
		if (ft_present(b) && b->level == FT_LVL_PTE &&
		    !(b->entry & FT_E_SOFT_DIRTY) && (a->entry & FT_E_SOFT_DIRTY))
			break;
		if (ro_swapin_take(m, e))
			break;
		m->m11_written++;
		m->m11_reused++;
		t = tag(m, tags, &n, MC_M11, MV_DIFF);
		NOTE(t, "write-protected but not shared (any more): made writable in place, "
		     "no copy (pfn %#llx)", (unsigned long long)ft_pfn(a));
		break;
	case CL_FILE:
	case CL_FILE_MAJOR:
	case CL_FAULT_AROUND:
		if (e->backing == FT_BACK_FILE || e->backing == FT_BACK_SHMEM)
			file_fault(m, e, cls, neighbours, tags, &n);
		break;
	case CL_SWAP_IN:
		if (e->access == FT_ACC_READ && b->level == FT_LVL_PTE && !ft_writable(a))
			ro_swapin_add(m, e);
		m->m8_swapins++;
		if (e->outcome == FT_MAJOR) {
			m->m8_major++;
			t = tag(m, tags, &n, MC_M8, MV_HOLDS);
			NOTE(t, "read back from swap (type %u, offset %#llx): a hard fault",
			     ft_swap_type(b->entry), (unsigned long long)ft_swap_offset(b->entry));
		} else {
			t = tag(m, tags, &n, MC_M8, MV_DIFF);
			NOTE(t, "found in the swap cache (type %u, offset %#llx): a soft fault, "
			     "no I/O", ft_swap_type(b->entry),
			     (unsigned long long)ft_swap_offset(b->entry));
		}
		break;
	default:
		break;
	}
	return n;
}

#define KV(r, side, k, val) do {					\
	(r)->side[(r)->n##side].key = (k);				\
	(r)->side[(r)->n##side++].v = (val);				\
} while (0)

/* Why M4 holds only with a difference, naming only what was seen. */
static void m4_difference(const struct model *m, char *buf, size_t len)
{
	size_t n = snprintf(buf, len, "frames come at the first touch, but");
	const char *sep = "";

	if (m->m4_zero && n < len) {
		n += snprintf(buf + n, len - n, " %llu first reads mapped the shared zero "
			      "page (no frame until a write)", (unsigned long long)m->m4_zero);
		sep = ";";
	}
	if (m->m4_second && n < len) {
		n += snprintf(buf + n, len - n, "%s %llu writes after such a read took a "
			      "frame in a second fault each", sep,
			      (unsigned long long)m->m4_second);
		sep = ";";
	}
	if (m->m4_huge && n < len) {
		n += snprintf(buf + n, len - n, "%s %llu faults mapped a whole huge page at "
			      "once", sep, (unsigned long long)m->m4_huge);
		sep = ";";
	}
	if (m->m4_large && n < len)
		snprintf(buf + n, len - n, "%s %llu writes gave frames to untouched pages "
			 "too (large folios)", sep, (unsigned long long)m->m4_large);
}

static void report_m4(const struct model *m, struct model_result *r)
{
	uint64_t faults = m->m4_first + m->m4_second;

	KV(r, predicted, "pages", m->m4_pages);
	KV(r, predicted, "faults", m->m4_pages);
	KV(r, observed, "faults", faults);
	KV(r, observed, "first_touch", m->m4_first);
	KV(r, observed, "zero_page", m->m4_zero);
	KV(r, observed, "write_after_zero_page", m->m4_second);
	KV(r, observed, "huge", m->m4_huge);
	KV(r, observed, "large_folio", m->m4_large);
	r->verdict = !m->m4_zero && !m->m4_second && !m->m4_huge && !m->m4_large ?
		     MV_HOLDS : MV_DIFF;
	snprintf(r->predicted_text, sizeof(r->predicted_text),
		 "%llu faults for %llu pages first touched",
		 (unsigned long long)m->m4_pages, (unsigned long long)m->m4_pages);
	snprintf(r->observed_text, sizeof(r->observed_text),
		 "%llu faults: %llu first touches (%llu zero page, %llu huge), %llu writes "
		 "after a zero-page read", (unsigned long long)faults,
		 (unsigned long long)m->m4_first, (unsigned long long)m->m4_zero,
		 (unsigned long long)m->m4_huge, (unsigned long long)m->m4_second);
	if (r->verdict == MV_HOLDS)
		snprintf(r->evidence, sizeof(r->evidence), "every page got its frame at its "
			 "first touch, in a fault of its own, and each entry was empty before");
	else
		m4_difference(m, r->evidence, sizeof(r->evidence));
}

static void report_m13(const struct model *m, struct model_result *r)
{
	KV(r, predicted, "zeroed_frames", m->m13_first);
	KV(r, observed, "new_frames", m->m13_new);
	KV(r, observed, "zero_page", m->m13_zero);
	KV(r, observed, "zero_page_copies", m->m13_zero_cow);
	r->verdict = MV_DIFF;
	snprintf(r->predicted_text, sizeof(r->predicted_text),
		 "%llu pre-zeroed frames for %llu first touches",
		 (unsigned long long)m->m13_first, (unsigned long long)m->m13_first);
	snprintf(r->observed_text, sizeof(r->observed_text),
		 "%llu new frames (%llu replacing the zero page), %llu reads on the zero page",
		 (unsigned long long)m->m13_new, (unsigned long long)m->m13_zero_cow,
		 (unsigned long long)m->m13_zero);
	snprintf(r->evidence, sizeof(r->evidence), "%llu reads took no frame at all (the "
		 "shared zero page); the new frames read zero, but the trace cannot see where "
		 "they were zeroed: Linux clears a frame when it allocates it for the fault "
		 "(lab M13 shows freed dirty frames handed out again)",
		 (unsigned long long)m->m13_zero);
}

static void report_m11(const struct model *m, struct model_result *r)
{
	KV(r, predicted, "copies", m->m11_written);
	KV(r, observed, "copies", m->m11_copied);
	KV(r, observed, "reused", m->m11_reused);
	r->verdict = m->m11_copied == m->m11_written ? MV_HOLDS : MV_DIFF;
	snprintf(r->predicted_text, sizeof(r->predicted_text),
		 "%llu copies for %llu writes to write-protected private pages",
		 (unsigned long long)m->m11_written, (unsigned long long)m->m11_written);
	snprintf(r->observed_text, sizeof(r->observed_text),
		 "%llu copied to a new frame, %llu reused in place",
		 (unsigned long long)m->m11_copied, (unsigned long long)m->m11_reused);
	if (r->verdict == MV_HOLDS)
		snprintf(r->evidence, sizeof(r->evidence), "each write to a shared page gave "
			 "the writer a new, writable frame");
	else
		snprintf(r->evidence, sizeof(r->evidence), "%llu written pages were no longer "
			 "shared (the other process had exited or copied them already): Linux "
			 "made them writable in place without copying",
			 (unsigned long long)m->m11_reused);
}

static void report_m5(const struct model *m, struct model_result *r)
{
	KV(r, predicted, "faults_with_neighbours", m->m5_eligible);
	KV(r, observed, "faults", m->m5_faults);
	KV(r, observed, "faults_with_neighbours", m->m5_with);
	KV(r, observed, "neighbours", m->m5_neighbours);
	r->verdict = m->m5_with == m->m5_eligible ? MV_HOLDS : m->m5_with ? MV_DIFF : MV_NOT;
	snprintf(r->predicted_text, sizeof(r->predicted_text),
		 "neighbours mapped by each of %llu file faults with room around them",
		 (unsigned long long)m->m5_eligible);
	snprintf(r->observed_text, sizeof(r->observed_text),
		 "%llu of them mapped %llu neighbours", (unsigned long long)m->m5_with,
		 (unsigned long long)m->m5_neighbours);
	snprintf(r->evidence, sizeof(r->evidence), "fault-around maps the neighbours "
		 "already in the page cache, in the aligned window of fault_around_bytes "
		 "(%lld when last read); %llu faults found none to map%s",
		 m->env.fault_around_bytes, (unsigned long long)(m->m5_eligible - m->m5_with),
		 m->env.fault_around_bytes >= 0 && m->env.fault_around_bytes <= 4096 ?
		 " (fault-around is off)" : "");
}

static void report_m17(const struct model *m, struct model_result *r)
{
	KV(r, predicted, "pages_mapped", m->m17_faults);
	KV(r, observed, "pages_mapped", m->m17_pages);
	KV(r, observed, "faults", m->m17_faults);
	KV(r, observed, "major", m->m17_major);
	KV(r, observed, "neighbours", m->m17_neighbours);
	r->verdict = m->m17_pages == m->m17_faults ? MV_HOLDS : MV_DIFF;
	snprintf(r->predicted_text, sizeof(r->predicted_text),
		 "%llu file pages mapped, one per fault", (unsigned long long)m->m17_faults);
	snprintf(r->observed_text, sizeof(r->observed_text),
		 "%llu pages mapped by %llu faults (%llu read from the file)",
		 (unsigned long long)m->m17_pages, (unsigned long long)m->m17_faults,
		 (unsigned long long)m->m17_major);
	if (r->verdict == MV_HOLDS)
		snprintf(r->evidence, sizeof(r->evidence), "only the pages touched got "
			 "entries");
	else
		snprintf(r->evidence, sizeof(r->evidence), "%llu untouched neighbours were "
			 "mapped too (fault-around maps what is in the page cache%s)",
			 (unsigned long long)m->m17_neighbours, m->m17_major ?
			 "; the major faults' read-around may have read some of them just "
			 "now: the trace cannot see reads ahead" : ": nothing was read for "
			 "them");
}

static void report_m8(const struct model *m, struct model_result *r)
{
	KV(r, predicted, "major", m->m8_swapins);
	KV(r, observed, "major", m->m8_major);
	KV(r, observed, "swap_cache", m->m8_swapins - m->m8_major);
	r->verdict = m->m8_major == m->m8_swapins ? MV_HOLDS : MV_DIFF;
	snprintf(r->predicted_text, sizeof(r->predicted_text),
		 "%llu hard faults for %llu swapped-out pages touched",
		 (unsigned long long)m->m8_swapins, (unsigned long long)m->m8_swapins);
	snprintf(r->observed_text, sizeof(r->observed_text),
		 "%llu major, %llu minor from the swap cache", (unsigned long long)m->m8_major,
		 (unsigned long long)(m->m8_swapins - m->m8_major));
	if (r->verdict == MV_HOLDS)
		snprintf(r->evidence, sizeof(r->evidence), "each swap entry touched was read "
			 "back in a major fault");
	else
		snprintf(r->evidence, sizeof(r->evidence), "%llu swapped-out pages were still "
			 "in the swap cache (read ahead, or not yet freed after writing): their "
			 "faults were minor", (unsigned long long)(m->m8_swapins - m->m8_major));
}

static void report_m15(const struct model *m, struct model_result *r)
{
	KV(r, predicted, "faults_saved", m->m15_pages - m->m15_huge);
	KV(r, observed, "huge_leaves", m->m15_huge);
	KV(r, observed, "pages", m->m15_pages);
	r->verdict = MV_HOLDS;
	snprintf(r->predicted_text, sizeof(r->predicted_text),
		 "one fault and one entry per large page");
	snprintf(r->observed_text, sizeof(r->observed_text),
		 "%llu huge leaves mapped %llu pages", (unsigned long long)m->m15_huge,
		 (unsigned long long)m->m15_pages);
	snprintf(r->evidence, sizeof(r->evidence), "%llu faults and %llu entries fewer than "
		 "with 4 KiB pages", (unsigned long long)(m->m15_pages - m->m15_huge),
		 (unsigned long long)(m->m15_pages - m->m15_huge));
}

/*
 * "1 faults" -> "1 fault": the sentences above are written for counts
 * other than one; their nouns have their singular here.
 */
static void singular(char *s)
{
	static const char *const words[][2] = {
		{ "faults", "fault" }, { "writes", "write" }, { "pages", "page" },
		{ "copies", "copy" }, { "frames", "frame" }, { "reads", "read" },
		{ "entries", "entry" }, { "neighbours", "neighbour" },
		{ "touches", "touch" }, { "leaves", "leaf" }, { "events", "event" },
	};
	char *p;
	size_t i;

	for (p = s; (p = strstr(p, "1 ")); p += 2) {
		if (p > s && (p[-1] >= '0' && p[-1] <= '9'))
			continue;
		for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
			size_t lp = strlen(words[i][0]), ls = strlen(words[i][1]);
			char *w = p + 2;

			/* "first touches", "huge leaves": a word may come between */
			if (!strncmp(w, "first ", 6) || !strncmp(w, "huge ", 5))
				w = strchr(w, ' ') + 1;
			if (strncmp(w, words[i][0], lp) || (w[lp] >= 'a' && w[lp] <= 'z'))
				continue;
			memcpy(w, words[i][1], ls);
			memmove(w + ls, w + lp, strlen(w + lp) + 1);
			break;
		}
	}
}

int model_report(const struct model *m, struct model_result out[MC_NR])
{
	static void (*const fn[MC_NR])(const struct model *, struct model_result *) = {
		[MC_M4] = report_m4, [MC_M5] = report_m5, [MC_M8] = report_m8,
		[MC_M11] = report_m11, [MC_M13] = report_m13, [MC_M15] = report_m15,
		[MC_M17] = report_m17,
	};
	int c, n = 0;

	for (c = 0; c < MC_NR; c++) {
		if (!m->events[c])
			continue;
		memset(&out[n], 0, sizeof(out[n]));
		out[n].claim = c;
		out[n].events = m->events[c];
		fn[c](m, &out[n]);
		singular(out[n].predicted_text);
		singular(out[n].observed_text);
		singular(out[n].evidence);
		n++;
	}
	return n;
}

const char *model_tags_str(const struct model_tag *tags, int n, char *buf, size_t len)
{
	size_t used = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < n && used < len; i++)
		used += snprintf(buf + used, len - used, "%s%s:%s", i ? " " : "",
				 model_claim_id(tags[i].claim), verdict_short[tags[i].verdict]);
	if (!n)
		snprintf(buf, len, "-");
	return buf;
}

json_object *model_tags_json(const struct model_tag *tags, int n)
{
	json_object *a = json_object_new_array();
	int i;

	for (i = 0; i < n; i++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "claim",
				       json_object_new_string(model_claim_id(tags[i].claim)));
		json_object_object_add(o, "verdict",
				       json_object_new_string(model_verdict_name(tags[i].verdict)));
		json_object_object_add(o, "note", json_object_new_string(tags[i].note));
		json_object_array_add(a, o);
	}
	return a;
}

static json_object *kv_json(const struct model_kv *kv, int n, const char *text)
{
	json_object *o = json_object_new_object();
	int i;

	for (i = 0; i < n; i++)
		json_object_object_add(o, kv[i].key, json_object_new_int64(kv[i].v));
	json_object_object_add(o, "text", json_object_new_string(text));
	return o;
}

json_object *model_report_json(const struct model_result *r, int n)
{
	json_object *a = json_object_new_array();
	int i;

	for (i = 0; i < n; i++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "claim",
				       json_object_new_string(model_claim_id(r[i].claim)));
		json_object_object_add(o, "name",
				       json_object_new_string(model_claim_name(r[i].claim)));
		json_object_object_add(o, "model",
				       json_object_new_string(model_claim_text(r[i].claim)));
		json_object_object_add(o, "predicted", kv_json(r[i].predicted, r[i].npredicted,
							       r[i].predicted_text));
		json_object_object_add(o, "observed", kv_json(r[i].observed, r[i].nobserved,
							      r[i].observed_text));
		json_object_object_add(o, "verdict",
				       json_object_new_string(model_verdict_name(r[i].verdict)));
		json_object_object_add(o, "events", json_object_new_int64(r[i].events));
		json_object_object_add(o, "evidence", json_object_new_string(r[i].evidence));
		json_object_array_add(a, o);
	}
	return a;
}
