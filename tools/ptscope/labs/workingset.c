// SPDX-License-Identifier: GPL-2.0
/*
 * ptscope lab: the working set over time (M18): W(t, tau), the pages a
 * process used in the last tau, measured with the accessed bits (clear
 * with clear_refs, let the child run, walk), for a child with two phases.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "lab.h"

#define M18_CHUNK	16	/* pages read per tick */
#define M18_REGION	32	/* pages of A, and of B: two chunks each */
#define M18_PHASE	6	/* ticks in A, then in B */
#define M18_TICKS	(2 * M18_PHASE)
#define M18_SCRATCH	64	/* pages zapped to flush the child's TLB */

/* The first page (of A and B, 0..63) that tick K reads. */
static size_t tick_first(size_t k)
{
	return (k < M18_PHASE ? 0 : M18_REGION) + (k % 2) * M18_CHUNK;
}

/*
 * One tick of the child: flush its TLB, then read its chunk.  The flush:
 * Linux clears accessed bits on x86 without flushing the TLB, and the MMU
 * sets the bit only when it loads a translation, so a read through a
 * translation still cached from an earlier tick would leave the bit clear.
 * MADV_DONTNEED of 64 present pages (more than the kernel's 33-page
 * ceiling for flushing page by page) flushes the child's whole TLB.
 */
static int tick(struct lab_ctx *c, struct lab_child *ch, uint64_t ab, uint64_t scratch,
		size_t k)
{
	if (lab_c_touch(c, ch, scratch, M18_SCRATCH, LAB_PAGE, LAB_WRITE, 1) < 0 ||
	    lab_c_madvise(c, ch, scratch, M18_SCRATCH * LAB_PAGE, MADV_DONTNEED) ||
	    lab_c_touch(c, ch, ab + tick_first(k) * LAB_PAGE, M18_CHUNK, LAB_PAGE,
			LAB_READ, 0) < 0)
		return -1;
	return 0;
}

/* Pages of the child's other VMAs (code, stack, libraries) accessed now. */
static long others_accessed(struct lab_ctx *c, pid_t pid, uint64_t ab, uint64_t scratch)
{
	struct lab_walk w;
	long n = 0;
	size_t i;

	if (lab_walk(c, pid, 0, 0, &w))
		return -1;
	for (i = 0; i < w.nleaves; i++) {
		const struct ptscope_leaf *l = &w.leaves[i];
		uint64_t end = l->va + pts_level_size(l->level) * (l->count ? l->count : 1);

		if (!(l->flags & PTSCOPE_F_PRESENT) || !(l->flags & PTSCOPE_F_ACCESSED))
			continue;
		if ((l->va < ab + 2 * M18_REGION * LAB_PAGE && end > ab) ||
		    (l->va < scratch + M18_SCRATCH * LAB_PAGE && end > scratch))
			continue;
		n += (end - l->va) / LAB_PAGE;
	}
	lab_walk_free(&w);
	return n;
}

struct m18_run {
	size_t tau, nwin;
	long w[M18_TICKS], model[M18_TICKS], a[M18_TICKS], b[M18_TICKS];
	long wrong;			/* pages where the bits and the model differ */
	long others;			/* the last window: the child's other pages */
};

/* Run the 12 ticks, sampling W every TAU ticks. */
static int run_tau(struct lab_ctx *c, struct lab_child *ch, uint64_t ab, uint64_t scratch,
		   struct m18_run *r)
{
	struct lab_page p[2 * M18_REGION];
	bool used[2 * M18_REGION];
	size_t k, i;
	int ret;

	r->nwin = 0;
	r->wrong = 0;
	for (k = 0; k < M18_TICKS; k++) {
		if (k % r->tau == 0) {
			ret = pts_clear_refs(ch->pid, "1");
			if (ret)
				return lab_fail(c, "cannot write /proc/%d/clear_refs: %s",
						ch->pid, strerror(-ret));
			memset(used, 0, sizeof(used));
		}
		if (tick(c, ch, ab, scratch, k))
			return -1;
		for (i = 0; i < M18_CHUNK; i++)
			used[tick_first(k) + i] = true;
		if ((k + 1) % r->tau)
			continue;
		if (lab_pages(c, ch->pid, ab, 2 * M18_REGION, p, NULL))
			return -1;
		r->w[r->nwin] = r->a[r->nwin] = r->b[r->nwin] = r->model[r->nwin] = 0;
		for (i = 0; i < 2 * M18_REGION; i++) {
			bool acc = p[i].present && (p[i].flags & PTSCOPE_F_ACCESSED);

			r->w[r->nwin] += acc;
			r->model[r->nwin] += used[i];
			if (i < M18_REGION)
				r->a[r->nwin] += acc;
			else
				r->b[r->nwin] += acc;
			r->wrong += acc != used[i];
		}
		if (k + 1 == M18_TICKS)
			r->others = others_accessed(c, ch->pid, ab, scratch);
		r->nwin++;
	}
	return 0;
}

static json_object *longs(const long *v, size_t n)
{
	json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_int64(v[i]));
	return a;
}

/* "16 16 16 ..." into BUF. */
static const char *list(const long *v, size_t n, char *buf, size_t len)
{
	size_t i, used = 0;

	*buf = '\0';
	for (i = 0; i < n && used < len; i++)
		used += snprintf(buf + used, len - used, "%s%ld", i ? " " : "", v[i]);
	return buf;
}

static int run_m18(struct lab_ctx *c)
{
	struct m18_run r1 = { .tau = 1 }, r4 = { .tau = 4 };
	char b1[160], b2[160];
	struct lab_child ch;
	uint64_t ab, scratch;
	bool follows, grows;
	size_t i;
	int ret = -1;

	if (lab_child_start(c, &ch))
		return -1;
	lab_step(c, "The child mapped region A and region B (%d pages each, no huge pages) and "
		 "wrote them, so every page is present.", M18_REGION);
	ab = lab_c_anon(c, &ch, 2 * M18_REGION * LAB_PAGE, LAB_PAGE, MADV_NOHUGEPAGE);
	scratch = lab_c_anon(c, &ch, M18_SCRATCH * LAB_PAGE, LAB_PAGE, -1);
	if (!ab || !scratch ||
	    lab_c_touch(c, &ch, ab, 2 * M18_REGION, LAB_PAGE, LAB_WRITE, 1) < 0)
		goto out;
	lab_step(c, "Its program, one tick at a time: %d ticks reading %d pages of A each "
		 "(the two halves in turn), then %d ticks reading B the same way; before "
		 "each tick it flushes its TLB (MADV_DONTNEED of %d scratch pages), so "
		 "that every read loads its translation.", M18_PHASE, M18_CHUNK, M18_PHASE,
		 M18_SCRATCH);
	lab_step(c, "Ran the program with tau = 1 tick: cleared the accessed bits (echo 1 > "
		 "/proc/CHILD/clear_refs) before every tick and walked A and B after it.");
	if (run_tau(c, &ch, ab, scratch, &r1))
		goto out;
	lab_step(c, "Ran it again with tau = 4 ticks: cleared every 4 ticks, walked after "
		 "each 4th; at the last window also walked the whole child.");
	if (run_tau(c, &ch, ab, scratch, &r4))
		goto out;

	lab_ev_int(c, "tick_pages", M18_CHUNK);
	lab_ev_int(c, "region_pages", M18_REGION);
	lab_ev_int(c, "phase_ticks", M18_PHASE);
	lab_ev(c, "w_tau1", longs(r1.w, r1.nwin));
	lab_ev(c, "model_tau1", longs(r1.model, r1.nwin));
	lab_ev(c, "a_tau1", longs(r1.a, r1.nwin));
	lab_ev(c, "b_tau1", longs(r1.b, r1.nwin));
	lab_ev(c, "w_tau4", longs(r4.w, r4.nwin));
	lab_ev(c, "model_tau4", longs(r4.model, r4.nwin));
	lab_ev(c, "a_tau4", longs(r4.a, r4.nwin));
	lab_ev(c, "b_tau4", longs(r4.b, r4.nwin));
	lab_ev_int(c, "pages_differing", r1.wrong + r4.wrong);
	lab_ev_int(c, "others_accessed", r4.others);

	lab_note(c, "W(t, 1) = %s pages (the reference string: %s)",
		 list(r1.w, r1.nwin, b1, sizeof(b1)), list(r1.model, r1.nwin, b2, sizeof(b2)));
	for (i = 0; i < r4.nwin; i++)
		lab_note(c, "tau = 4, ticks %zu-%zu: W = %ld pages (A %ld, B %ld; the reference "
			 "string: %ld)", 4 * i + 1, 4 * i + 4, r4.w[i], r4.a[i], r4.b[i],
			 r4.model[i]);
	lab_note(c, "W(t, 4) = %s pages (the reference string: %s)",
		 list(r4.w, r4.nwin, b1, sizeof(b1)), list(r4.model, r4.nwin, b2, sizeof(b2)));
	lab_note(c, "page by page, the accessed bits and the pages read differ in %ld page%s",
		 r1.wrong + r4.wrong, r1.wrong + r4.wrong == 1 ? "" : "s");
	if (r4.others >= 0)
		lab_note(c, "besides A and B, the child's own code, stack and libraries: %ld "
			 "pages accessed in the last 4 ticks (in W too; not counted above)",
			 r4.others);

	/* the phases: A's pages only while it reads A, B's only in B */
	follows = true;
	for (i = 0; i < r1.nwin; i++) {
		if (i < M18_PHASE ? r1.b[i] : r1.a[i])
			follows = false;
	}
	grows = r4.nwin == 3 && r4.w[1] > r4.w[0] && r4.w[1] > r4.w[2];
	for (i = 0; i < r4.nwin; i++)
		grows = grows && r4.w[i] >= r1.w[4 * i + 3];
	lab_summary(c, "W(t,1) = %ld pages; W(t,4) = %s (A then A+B then B); %ld pages differ",
		    r1.w[0], list(r4.w, r4.nwin, b1, sizeof(b1)), r1.wrong + r4.wrong);
	if (!r1.wrong && !r4.wrong && follows)
		lab_verdict(c, LAB_V_DIFF, "W(t, tau) is what the accessed bits show: cleared, "
			    "then set by the MMU on every page used since, exactly the pages of "
			    "the reference string, for both values of tau. It follows the phases "
			    "(A's pages, then B's), is larger for the larger tau%s, and at the "
			    "window spanning the switch holds both localities. The differences: "
			    "Linux keeps no working set per process and does not replace by it "
			    "(it ages pages on LRU lists or MGLRU generations by these same bits, "
			    "M7); W is sampled, each window starting at a clear_refs (jumping "
			    "windows, not a sliding one); one bit covers a whole huge page; the "
			    "bit is set only when a translation is loaded into the TLB, and Linux "
			    "clears it without a TLB flush, so the child flushed its TLB before "
			    "each tick (a context switch does on a CPU without PCID); clearing "
			    "the bits also tells reclaim that every page is cold.",
			    grows ? "" : " (not here: see the counts)");
	else
		lab_verdict(c, LAB_V_NOT, "The accessed bits did not show the pages the child "
			    "used in the window: %ld pages differ%s. Reclaim clears the same "
			    "bits (an interval with memory pressure), and a read through a "
			    "translation still in the TLB sets none.", r1.wrong + r4.wrong,
			    follows ? "" : ", and the other phase's pages showed up");
	ret = 0;
out:
	lab_child_stop(&ch);
	return ret;
}

const struct lab lab_m18 = {
	.id = "m18", .name = "working-set-window",
	.aliases = (const char *const[]){ "wss", "tau", NULL },
	.claim = "The working set W(t, tau) is the set of pages used in the last tau: it "
		 "follows the program's phases, and grows with tau.",
	.questions = (const char *const[]){
		"The child reads 16 pages a tick, the two halves of a 32-page region A in "
		  "turn for 6 ticks, then region B the same way. How many pages will "
		  "W(t, tau) hold for tau = 1 tick, and for tau = 4 ticks?",
		"With tau = 4 ticks, what will the window that spans the switch from A to "
		  "B hold?",
		NULL,
	},
	.run = run_m18,
};
