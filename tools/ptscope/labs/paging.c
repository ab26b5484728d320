// SPDX-License-Identifier: GPL-2.0
/*
 * ptscope lab: paging (M4 demand paging, M5 clustering, M6 placement,
 * M13 zeroed pages, M15 large pages, M17 mapped files).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lab.h"

#define ANON_RW		(MAP_PRIVATE | MAP_ANONYMOUS)
#define RW		(PROT_READ | PROT_WRITE)

static size_t distinct_pfns(const struct lab_page *p, size_t n)
{
	size_t i, j, k = 0;

	for (i = 0; i < n; i++) {
		if (!p[i].present)
			continue;
		for (j = 0; j < i; j++)
			if (p[j].present && p[j].pfn == p[i].pfn)
				break;
		k += j == i;
	}
	return k;
}

static size_t count_flag(const struct lab_page *p, size_t n, uint64_t flag)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		k += p[i].present && (p[i].flags & flag);
	return k;
}

/* "pages 3-5, 9" style list of pages with an entry, into BUF. */
static const char *page_list(const struct lab_page *p, size_t n, char *buf, size_t len)
{
	size_t i = 0, used = 0;

	buf[0] = '\0';
	while (i < n && used < len) {
		size_t j;

		if (!p[i].mapped) {
			i++;
			continue;
		}
		for (j = i; j + 1 < n && p[j + 1].mapped; j++)
			;
		if (j > i)
			used += snprintf(buf + used, len - used, "%s%zu-%zu", used ? ", " : "", i, j);
		else
			used += snprintf(buf + used, len - used, "%s%zu", used ? ", " : "", i);
		i = j + 1;
	}
	if (!used)
		snprintf(buf, len, "none");
	return buf;
}

static json_object *pfn_array(const struct lab_page *p, size_t n)
{
	json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_object_array_add(a, p[i].present ? cli_json_hex(p[i].pfn) : NULL);
	return a;
}

/* ---- M4: demand paging -------------------------------------------------- */

static int run_m4(struct lab_ctx *c)
{
	enum { N = 64, K = 16 };
	struct lab_page p0[N], p1[N], p2[N], p3[N];
	struct lab_faults f0, f1, f2, f3, dr, dw, dc;
	struct lab_child ch;
	uint64_t base, zero_pfn = 0;
	size_t any0, zero_read, new_w, distinct_w, untouched, distinct_all;
	bool one_per_page;
	char b1[128], b2[128];
	int ret = -1, i;

	if (lab_child_start(c, &ch))
		return -1;
	lab_step(c, "In a child: mmap %d pages of anonymous memory (MADV_NOHUGEPAGE) and "
		 "walked them.", N);
	base = lab_c_anon(c, &ch, N * LAB_PAGE, LAB_PAGE, MADV_NOHUGEPAGE);
	if (!base || lab_pages(c, ch.pid, base, N, p0, NULL) ||
	    lab_faults(c, &ch, &f0))
		goto out;
	lab_trace_follow(c, &ch);
	lab_step(c, "Read one byte of pages 0-%d; walked; counted faults.", K - 1);
	if (lab_c_touch(c, &ch, base, K, LAB_PAGE, LAB_READ, 0) < 0 ||
	    lab_faults(c, &ch, &f1) || lab_pages(c, ch.pid, base, N, p1, NULL))
		goto out;
	lab_trace_step(c, "faults_reads", "read pages 0-%d", K - 1);
	lab_step(c, "Wrote one byte of pages %d-%d; walked; counted faults.", K, 2 * K - 1);
	if (lab_c_touch(c, &ch, base + K * LAB_PAGE, K, LAB_PAGE, LAB_WRITE, 1) < 0 ||
	    lab_faults(c, &ch, &f2) || lab_pages(c, ch.pid, base, N, p2, NULL))
		goto out;
	lab_trace_step(c, "faults_writes", "wrote pages %d-%d", K, 2 * K - 1);
	lab_step(c, "Wrote pages 0-%d (read before); walked; counted faults.", K - 1);
	if (lab_c_touch(c, &ch, base, K, LAB_PAGE, LAB_WRITE, 2) < 0 ||
	    lab_faults(c, &ch, &f3) || lab_pages(c, ch.pid, base, N, p3, NULL))
		goto out;
	lab_trace_step(c, "faults_write_after_read", "wrote pages 0-%d, read before",
		       K - 1);
	lab_faults_sub(&f1, &f0, &dr);
	lab_faults_sub(&f2, &f1, &dw);
	lab_faults_sub(&f3, &f2, &dc);

	any0 = lab_count_any(p0, N);
	zero_read = count_flag(p1, K, PTSCOPE_F_ZERO_PAGE);
	for (i = 0; i < K; i++)
		if (p1[i].flags & PTSCOPE_F_ZERO_PAGE)
			zero_pfn = p1[i].pfn;
	new_w = count_flag(p2 + K, K, PTSCOPE_F_ANON_PAGE);
	distinct_w = distinct_pfns(p2 + K, K);
	untouched = lab_count_any(p3 + 2 * K, N - 2 * K);
	distinct_all = distinct_pfns(p3, 2 * K);
	one_per_page = dr.v[PTSCOPE_FC_FAULTS] == K && dw.v[PTSCOPE_FC_FAULTS] == K &&
		       dc.v[PTSCOPE_FC_FAULTS] == K;

	lab_ev_int(c, "pages", N);
	lab_ev_int(c, "entries_after_mmap", any0);
	lab_ev_int(c, "entries_after_reads", lab_count_any(p1, N));
	lab_ev_int(c, "reads_mapping_zero_page", zero_read);
	lab_ev_hex(c, "zero_page_pfn", zero_pfn);
	lab_ev_int(c, "distinct_frames_after_reads", distinct_pfns(p1, K));
	lab_ev_int(c, "new_anon_frames_after_writes", new_w);
	lab_ev_int(c, "distinct_frames_written", distinct_w);
	lab_ev_int(c, "entries_untouched_pages", untouched);
	lab_ev(c, "faults_reads", lab_faults_json(&dr));
	lab_ev(c, "faults_writes", lab_faults_json(&dw));
	lab_ev(c, "faults_write_after_read", lab_faults_json(&dc));
	lab_ev(c, "frames_written", pfn_array(p2 + K, K));

	lab_note(c, "after mmap: %zu entries for %d pages: the mapping exists, its entries "
		 "do not", any0, N);
	lab_note(c, "reading %d pages: %s; %zu entries appeared, %zu of them map the shared "
		 "zero page (pfn 0x%llx): %zu distinct frame%s", K,
		 lab_faults_str(&dr, b1, sizeof(b1)), lab_count_any(p1, N), zero_read,
		 (unsigned long long)zero_pfn, distinct_pfns(p1, K),
		 distinct_pfns(p1, K) == 1 ? "" : "s");
	lab_note(c, "writing %d other pages: %s; %zu new anonymous frames, %zu distinct",
		 K, lab_faults_str(&dw, b2, sizeof(b2)), new_w, distinct_w);
	lab_note(c, "writing the %d pages read before: %s (%lld protection: the zero page "
		 "was mapped read-only); now %zu distinct frames for %d pages", K,
		 lab_faults_str(&dc, b1, sizeof(b1)), dc.v[PTSCOPE_FC_PROTECTION],
		 distinct_all, 2 * K);
	lab_note(c, "the %d pages never touched still have %zu entries", N - 2 * K, untouched);

	lab_summary(c, "0 entries before touch; %lld/%lld/%lld faults per %d pages; reads -> "
		    "zero page x%zu", dr.v[PTSCOPE_FC_FAULTS], dw.v[PTSCOPE_FC_FAULTS],
		    dc.v[PTSCOPE_FC_FAULTS], K, zero_read);
	if (any0 || untouched)
		lab_verdict(c, LAB_V_NOT, "Entries existed for pages that were never touched: "
			    "memory was not given frames on demand.");
	else if (zero_read)
		lab_verdict(c, LAB_V_DIFF, "Frames are given on first touch, one fault per page%s, "
			    "and untouched pages have no entry at all (not even an 'invalid' one: "
			    "the VMA alone says the memory exists). A first READ does not allocate: "
			    "it maps the one shared zero page read-only; the first WRITE allocates "
			    "a zeroed frame (a second fault if the page was read first: a "
			    "copy-on-write from the zero page).",
			    one_per_page ? "" : " (close to: see the counts)");
	else
		lab_verdict(c, LAB_V_HOLDS, "Frames are given on first touch, one fault per page; "
			    "untouched pages have no entry.");
	ret = 0;
out:
	lab_child_stop(&ch);
	return ret;
}

/* ---- M5: clustering ------------------------------------------------------ */

static int run_m5(struct lab_ctx *c)
{
	enum { N = 64, T = 32 };
	struct lab_page pf[N], pa[N], pc[N];
	struct lab_faults f0, f1, f2, f3, df, da, dc;
	struct lab_child ch;
	uint64_t file, anon, cold = 0;
	long long fab;
	long cached, cold_cached = -1;
	size_t nf, na, nc = 0, lo, hi;
	int fd, cfd, ret = -1;
	char path[256], cpath[256], list[256];
	bool have_cold;

	fab = lab_read_ll("/sys/kernel/debug/fault_around_bytes");
	fd = lab_tmpfile(c, N * LAB_PAGE, true, path, sizeof(path));
	if (fd < 0)
		return -1;
	cfd = lab_cold_file(c, N * LAB_PAGE, cpath, sizeof(cpath));
	have_cold = cfd >= 0;
	cached = lab_cached_pages(fd, N * LAB_PAGE);
	if (lab_child_start(c, &ch))
		goto out;
	lab_step(c, "Wrote a %d-page scratch file (%s), so all its pages are in the page cache "
		 "(%ld cached); a child mapped it read-only.", N, path, cached);
	file = lab_c_mmap(c, &ch, 0, N * LAB_PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
	anon = lab_c_anon(c, &ch, N * LAB_PAGE, LAB_PAGE, MADV_NOHUGEPAGE);
	if (!file || !anon || lab_faults(c, &ch, &f0))
		goto out;
	lab_trace_follow(c, &ch);
	lab_step(c, "The child read one byte of page %d of the file; walked the whole mapping; "
		 "counted faults.", T);
	if (lab_c_touch(c, &ch, file + T * LAB_PAGE, 1, LAB_PAGE, LAB_READ, 0) < 0 ||
	    lab_faults(c, &ch, &f1) || lab_pages(c, ch.pid, file, N, pf, NULL))
		goto out;
	lab_trace_step(c, "file_faults", "read page %d of the cached file", T);
	lab_step(c, "The same with %d pages of anonymous memory: wrote page %d, walked.", N, T);
	if (lab_c_touch(c, &ch, anon + T * LAB_PAGE, 1, LAB_PAGE, LAB_WRITE, 1) < 0 ||
	    lab_faults(c, &ch, &f2) || lab_pages(c, ch.pid, anon, N, pa, NULL))
		goto out;
	lab_trace_step(c, "anon_faults", "wrote page %d of anonymous memory", T);
	if (have_cold) {
		lab_step(c, "Mapped a file whose pages are not in the page cache (%s, dropped "
			 "with POSIX_FADV_DONTNEED), read page %d, walked, and counted its pages "
			 "in the page cache (mincore).", cpath, T);
		cold = lab_c_mmap(c, &ch, 0, N * LAB_PAGE, PROT_READ, MAP_PRIVATE, cfd, 0);
		if (!cold || lab_c_touch(c, &ch, cold + T * LAB_PAGE, 1, LAB_PAGE, LAB_READ, 0) < 0 ||
		    lab_faults(c, &ch, &f3) || lab_pages(c, ch.pid, cold, N, pc, NULL))
			goto out;
		lab_trace_step(c, "cold_faults", "mapped the cold file, read page %d", T);
		cold_cached = lab_cached_pages(cfd, N * LAB_PAGE);
		nc = lab_count_present(pc, N);
		lab_faults_sub(&f3, &f2, &dc);
	}
	lab_faults_sub(&f1, &f0, &df);
	lab_faults_sub(&f2, &f1, &da);
	nf = lab_count_present(pf, N);
	na = lab_count_present(pa, N);
	for (lo = 0; lo < N && !pf[lo].present; lo++)
		;
	for (hi = N; hi > 0 && !pf[hi - 1].present; hi--)
		;

	lab_ev_int(c, "fault_around_bytes", fab);
	lab_ev_int(c, "file_pages_cached", cached);
	lab_ev_int(c, "file_entries_after_one_fault", nf);
	lab_ev_int(c, "file_neighbours_mapped", nf ? (int64_t)nf - 1 : 0);
	lab_ev_int(c, "file_window_first_page", nf ? (int64_t)lo : -1);
	lab_ev_int(c, "file_window_last_page", nf ? (int64_t)hi - 1 : -1);
	lab_ev(c, "file_faults", lab_faults_json(&df));
	lab_ev_int(c, "anon_entries_after_one_fault", na);
	lab_ev_int(c, "anon_neighbours_mapped", na ? (int64_t)na - 1 : 0);
	lab_ev(c, "anon_faults", lab_faults_json(&da));
	if (have_cold) {
		lab_ev_str(c, "cold_file", cpath);
		lab_ev_int(c, "cold_entries_after_one_fault", nc);
		lab_ev_int(c, "cold_pages_read_into_cache", cold_cached);
		lab_ev(c, "cold_faults", lab_faults_json(&dc));
	}
	lab_note(c, "fault_around_bytes is %lld (%lld page%s)", fab, fab > 0 ? fab / 4096 : 0,
		 fab / 4096 == 1 ? "" : "s");
	lab_note(c, "file: one read of page %d: %lld fault%s, %zu entr%s now: page%s %s "
		 "(%zu neighbour%s mapped%s)", T, df.v[PTSCOPE_FC_FAULTS],
		 df.v[PTSCOPE_FC_FAULTS] == 1 ? "" : "s", nf, nf == 1 ? "y" : "ies",
		 nf == 1 ? "" : "s", page_list(pf, N, list, sizeof(list)), nf ? nf - 1 : 0,
		 nf == 2 ? "" : "s", nf > 1 ? ", all already in the page cache" : "");
	lab_note(c, "anonymous: one write of page %d: %lld fault%s, %zu entr%s: page%s %s", T,
		 da.v[PTSCOPE_FC_FAULTS], da.v[PTSCOPE_FC_FAULTS] == 1 ? "" : "s", na,
		 na == 1 ? "y" : "ies", na == 1 ? "" : "s", page_list(pa, N, list, sizeof(list)));
	if (have_cold)
		lab_note(c, "cold file: one read of page %d: %lld major fault%s; %ld page%s of "
			 "the file came into the page cache (%s), %zu %s mapped", T,
			 dc.v[PTSCOPE_FC_MAJOR], dc.v[PTSCOPE_FC_MAJOR] == 1 ? "" : "s",
			 cold_cached, cold_cached == 1 ? "" : "s",
			 cold_cached > 1 ? "read-ahead" : "no read-ahead on this file system",
			 nc, nc == 1 ? "is" : "are");
	else
		lab_note(c, "no file outside the page cache was found: read-ahead not shown");

	lab_summary(c, "1 file fault -> %zu entr%s (fault_around_bytes %lld); 1 anon fault "
		    "-> %zu", nf, nf == 1 ? "y" : "ies", fab, na);
	if (nf > 1)
		lab_verdict(c, LAB_V_DIFF, "A read fault on a file mapping also maps the "
			    "neighbouring pages that are already in the page cache -- "
			    "fault-around, up to fault_around_bytes (%lld bytes here), in the "
			    "aligned window around the fault, never past the VMA or a page-table "
			    "boundary -- so later touches cost no fault. It maps, it does not "
			    "read: bringing pages in from disk is read-ahead, a separate mechanism "
			    "on the page cache (%s). Anonymous memory gets no clustering: one "
			    "page per fault%s.", fab,
			    have_cold ? (cold_cached > 1 ? "above, one fault read several pages" :
					 "here the file system read only the page asked for") :
			    "not observed here",
			    na > 1 ? " (here more: THP or mTHP is on)" :
			    ", unless a whole huge page is allocated under THP");
	else
		lab_verdict(c, LAB_V_NOT, "No neighbours mapped: each fault mapped only the page "
			    "it was for (fault_around_bytes is %lld: fault-around is %s), so every "
			    "page of the file costs its own fault. Read-ahead can still bring "
			    "neighbours into the page cache, but it does not map them.", fab,
			    fab >= 0 && fab <= 4096 ? "off" : "on but mapped nothing");
	ret = 0;
out:
	lab_child_stop(&ch);
	close(fd);
	if (cfd >= 0)
		close(cfd);
	return ret;
}

/* ---- M6: placement ----------------------------------------------------- */

/* Runs of neighbouring frames (pfn +1 or -1 from one page to the next). */
static size_t runs_of(const struct lab_page *p, size_t n, size_t *longest, size_t *asc,
		      size_t *desc)
{
	size_t i, runs = 0, cur = 0;

	*longest = *asc = *desc = 0;
	for (i = 0; i < n; i++) {
		bool up = i && p[i].present && p[i - 1].present && p[i].pfn == p[i - 1].pfn + 1;
		bool down = i && p[i].present && p[i - 1].present && p[i].pfn + 1 == p[i - 1].pfn;

		*asc += up;
		*desc += down;
		if (up || down) {
			cur++;
		} else {
			runs++;
			cur = 1;
		}
		if (cur > *longest)
			*longest = cur;
	}
	return runs;
}

static bool in_set(uint64_t pfn, const uint64_t *set, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (set[i] == pfn)
			return true;
	return false;
}

static int run_m6(struct lab_ctx *c)
{
	enum { NA = 256, NB = 32, STRIDE = 8 };
	struct lab_page pa[NA], pb[NB], pc[NB];
	uint64_t freed[NB], freed2[NB], a, b, cc = 0;
	size_t runs, longest, asc, desc, reuse = 0, lifo = 0, reuse_c = 0, asc_b, desc_b,
	       runs_b, long_b;
	struct lab_child ch;
	int ncpu = lab_ncpus(), ret = -1, i;
	double contig, adjacent, same_cpu, other_cpu = -1;
	char b1[64];

	if (lab_child_start(c, &ch))
		return -1;
	lab_step(c, "Pinned a child to CPU 0; it wrote %d pages of fresh anonymous memory "
		 "(MADV_NOHUGEPAGE) in address order; walked them.", NA);
	a = lab_c_anon(c, &ch, NA * LAB_PAGE, LAB_PAGE, MADV_NOHUGEPAGE);
	b = lab_c_anon(c, &ch, NB * LAB_PAGE, LAB_PAGE, MADV_NOHUGEPAGE);
	if (ncpu > 1)
		cc = lab_c_anon(c, &ch, NB * LAB_PAGE, LAB_PAGE, MADV_NOHUGEPAGE);
	if (!a || !b || (ncpu > 1 && !cc) || lab_c_cpu(c, &ch, 0) ||
	    lab_c_touch(c, &ch, a, NA, LAB_PAGE, LAB_WRITE, 1) < 0 ||
	    lab_pages(c, ch.pid, a, NA, pa, NULL))
		goto out;
	runs = runs_of(pa, NA, &longest, &asc, &desc);
	for (i = 0; i < NB; i++) {
		freed[i] = pa[i * STRIDE].pfn;
		freed2[i] = pa[i * STRIDE + STRIDE / 2].pfn;
	}
	lab_step(c, "Freed every %dth page (%d frames, MADV_DONTNEED) and at once, still on "
		 "CPU 0, wrote %d pages of a new region; walked it.", STRIDE, NB, NB);
	if (lab_c_free_touch(c, &ch, a, NB, STRIDE * LAB_PAGE, -1, b, NB, LAB_WRITE, 1) < 0 ||
	    lab_pages(c, ch.pid, b, NB, pb, NULL))
		goto out;
	for (i = 0; i < NB; i++) {
		reuse += in_set(pb[i].pfn, freed, NB);
		lifo += pb[i].pfn == freed[NB - 1 - i];
	}
	runs_b = runs_of(pb, NB, &long_b, &asc_b, &desc_b);
	if (ncpu > 1) {
		lab_step(c, "Freed %d other frames on CPU 0, moved to CPU 1 and wrote %d pages "
			 "of a third region; walked it.", NB, NB);
		if (lab_c_free_touch(c, &ch, a + STRIDE / 2 * LAB_PAGE, NB, STRIDE * LAB_PAGE, 1,
				     cc, NB, LAB_WRITE, 1) < 0 ||
		    lab_pages(c, ch.pid, cc, NB, pc, NULL))
			goto out;
		for (i = 0; i < NB; i++)
			reuse_c += in_set(pc[i].pfn, freed2, NB);
		other_cpu = (double)reuse_c / NB;
	}
	contig = (double)asc / (NA - 1);
	adjacent = (double)(asc + desc) / (NA - 1);
	same_cpu = (double)reuse / NB;

	lab_ev_int(c, "pages", NA);
	lab_ev_int(c, "consecutive_pairs", asc);
	lab_ev_int(c, "descending_pairs", desc);
	lab_ev_double(c, "consecutive_fraction", contig);
	lab_ev_double(c, "adjacent_fraction", adjacent);
	lab_ev_int(c, "runs", runs);
	lab_ev_int(c, "longest_run", longest);
	lab_ev_hex(c, "first_pfn", pa[0].pfn);
	lab_ev(c, "frames_first_32", pfn_array(pa, 32));
	lab_ev_int(c, "freed_frames", NB);
	lab_ev_int(c, "reused_same_cpu", reuse);
	lab_ev_int(c, "reused_in_reverse_free_order", lifo);
	lab_ev_int(c, "new_region_consecutive_pairs", asc_b);
	{
		json_object *fr = json_object_new_array(), *nb = pfn_array(pb, NB);

		for (i = 0; i < NB; i++)
			json_object_array_add(fr, cli_json_hex(freed[i]));
		lab_ev(c, "freed", fr);
		lab_ev(c, "new_region_frames", nb);
	}
	if (ncpu > 1)
		lab_ev_int(c, "reused_other_cpu", reuse_c);

	lab_note(c, "%d pages written in address order: of %d neighbour pairs, %zu got the "
		 "next frame up (%.0f%%) and %zu the next frame down (%.0f%%); %zu runs of "
		 "neighbouring frames, the longest %zu pages", NA, NA - 1, asc, 100 * contig,
		 desc, 100.0 * desc / (NA - 1), runs, longest);
	lab_vnote(c, "first frames: 0x%llx 0x%llx 0x%llx 0x%llx ...",
		  (unsigned long long)pa[0].pfn, (unsigned long long)pa[1].pfn,
		  (unsigned long long)pa[2].pfn, (unsigned long long)pa[3].pfn);
	lab_note(c, "after freeing %d scattered frames on CPU 0, the next %d pages on CPU 0 "
		 "got %zu of them back, %zu in exactly the reverse order of freeing (last "
		 "freed, first reused); %zu consecutive pairs in the new region", NB, NB,
		 reuse, lifo, asc_b);
	if (ncpu > 1)
		lab_note(c, "%d frames freed on CPU 0, then %d pages written on CPU 1: %zu of "
			 "them reused", NB, NB, reuse_c);
	else
		lab_note(c, "one CPU only: the per-CPU part was not tested");
	(void)runs_b;
	(void)long_b;
	(void)desc_b;

	snprintf(b1, sizeof(b1), "%s", ncpu > 1 ? "" : " (1 CPU)");
	lab_summary(c, "fresh: %.0f%% next frame up, %.0f%% down; %zu/%d freed frames reused "
		    "at once%s%s", 100 * contig, 100.0 * desc / (NA - 1), reuse, NB,
		    ncpu > 1 ? (reuse_c * 4 < NB ? ", not from another CPU" :
				", also on another CPU") : "", b1);
	if (same_cpu >= 0.5)
		lab_verdict(c, LAB_V_DIFF, "A page gets the frame at the head of a free list, "
			    "but the list is the CPU's own (the per-CPU page lists in front of "
			    "the buddy allocator) and it is last-in first-out: the frames freed "
			    "last, still warm in the cache, come back first%s. Fresh frames come "
			    "from the buddy allocator in blocks, so consecutive pages get "
			    "neighbouring frames only in stretches (%.0f%% of neighbour pairs "
			    "here%s); after frees and reuse, consecutive pages get scattered "
			    "frames.",
			    ncpu > 1 && other_cpu < 0.25 ? ", and only on the CPU that freed "
			    "them" : "", 100 * adjacent,
			    desc > asc ? ", mostly in descending order" : "");
	else if (contig >= 0.9)
		lab_verdict(c, LAB_V_HOLDS, "Frames were handed out in address order, as from "
			    "one list of free frames.");
	else
		lab_verdict(c, LAB_V_NOT, "Frames were neither handed out in order nor reused "
			    "from the head of a list: placement looks unordered.");
	ret = 0;
out:
	lab_child_stop(&ch);
	return ret;
}

/* ---- M13: zeroed pages --------------------------------------------------- */

/* The kernel's "mem auto-init: ..." boot line, if still in the log. */
static bool mem_auto_init(char *buf, size_t len)
{
	int n = klogctl(10, NULL, 0);		/* SYSLOG_ACTION_SIZE_BUFFER */
	char *log, *p, *e;
	bool found = false;

	if (n <= 0)
		return false;
	log = malloc(n + 1);
	if (!log)
		return false;
	n = klogctl(3, log, n);			/* SYSLOG_ACTION_READ_ALL */
	if (n > 0) {
		log[n] = '\0';
		p = strstr(log, "mem auto-init:");
		if (p) {
			e = strchr(p, '\n');
			snprintf(buf, len, "%.*s", e ? (int)(e - p) : (int)strlen(p), p);
			found = true;
		}
	}
	free(log);
	return found;
}

static int run_m13(struct lab_ctx *c)
{
	enum { N = 32 };
	struct lab_page pr[N], pd1[N], pd2[N], pw[N];
	struct lab_child ch;
	uint64_t r, d, zero_pfn;
	int64_t nonzero_new, nonzero_cow, pattern_bad;
	size_t zero_maps, distinct_r, reuse = 0;
	bool have_init, init_free = false;
	char init[160] = "";
	int ret = -1, i;

	have_init = mem_auto_init(init, sizeof(init));
	if (have_init)
		init_free = strstr(init, "heap free:on") != NULL;
	if (lab_child_start(c, &ch))
		return -1;
	lab_step(c, "Pinned a child to CPU 0; it read %d pages of fresh anonymous memory; "
		 "walked them.", N);
	r = lab_c_anon(c, &ch, N * LAB_PAGE, LAB_PAGE, MADV_NOHUGEPAGE);
	d = lab_c_anon(c, &ch, N * LAB_PAGE, LAB_PAGE, MADV_NOHUGEPAGE);
	if (!r || !d || lab_c_cpu(c, &ch, 0))
		goto out;
	lab_trace_follow(c, &ch);
	if (lab_c_touch(c, &ch, r, N, LAB_PAGE, LAB_READ, 0) < 0 ||
	    lab_pages(c, ch.pid, r, N, pr, NULL))
		goto out;
	lab_trace_step(c, NULL, "read %d fresh pages", N);
	zero_maps = count_flag(pr, N, PTSCOPE_F_ZERO_PAGE);
	distinct_r = distinct_pfns(pr, N);
	zero_pfn = pr[0].pfn;
	lab_step(c, "Filled %d other pages with 0xa5 bytes; walked (their frames); freed them "
		 "(MADV_DONTNEED) and at once wrote one byte to each again, checking that the "
		 "other 4095 bytes read zero; walked.", N);
	pattern_bad = lab_c_touch(c, &ch, d, N, LAB_PAGE, LAB_FILL, 0xa5);
	if (pattern_bad < 0 || lab_pages(c, ch.pid, d, N, pd1, NULL))
		goto out;
	lab_trace_step(c, NULL, "filled %d other pages with 0xa5", N);
	nonzero_new = lab_c_free_touch(c, &ch, d, N, LAB_PAGE, -1, d, N, LAB_WRITE_CHECK, 1);
	if (nonzero_new < 0 || lab_pages(c, ch.pid, d, N, pd2, NULL))
		goto out;
	lab_trace_step(c, NULL, "freed them and wrote them again at once");
	for (i = 0; i < N; i++) {
		int j;

		for (j = 0; j < N; j++)
			if (pd2[i].present && pd1[j].present && pd2[i].pfn == pd1[j].pfn) {
				reuse++;
				break;
			}
	}
	lab_step(c, "Wrote the %d pages that were read first, checking the rest of each "
		 "page reads zero; walked.", N);
	nonzero_cow = lab_c_touch(c, &ch, r, N, LAB_PAGE, LAB_WRITE_CHECK, 1);
	if (nonzero_cow < 0 || lab_pages(c, ch.pid, r, N, pw, NULL))
		goto out;
	lab_trace_step(c, NULL, "wrote the %d pages read first", N);

	lab_ev_int(c, "pages", N);
	lab_ev_int(c, "reads_mapping_zero_page", zero_maps);
	lab_ev_int(c, "distinct_frames_after_reads", distinct_r);
	lab_ev_hex(c, "zero_page_pfn", zero_pfn);
	lab_ev_int(c, "frames_reused_after_free", reuse);
	lab_ev_int(c, "nonzero_bytes_in_new_pages", nonzero_new);
	lab_ev_int(c, "nonzero_bytes_after_cow_from_zero_page", nonzero_cow);
	lab_ev_int(c, "new_frames_after_writes", distinct_pfns(pw, N));
	lab_ev(c, "frames_filled", pfn_array(pd1, 8));
	lab_ev(c, "frames_after_free", pfn_array(pd2, 8));
	lab_ev_str(c, "mem_auto_init", have_init ? init : NULL);
	lab_note(c, "%zu of %d read pages map the zero page; %zu distinct frame%s (pfn "
		 "0x%llx)", zero_maps, N, distinct_r, distinct_r == 1 ? "" : "s",
		 (unsigned long long)zero_pfn);
	lab_note(c, "after freeing the %d pages full of 0xa5 and touching them again, %zu of "
		 "the new frames are frames that held 0xa5 a moment before; non-zero bytes "
		 "found in the new pages: %lld", N, reuse, (long long)nonzero_new);
	lab_vnote(c, "filled: 0x%llx 0x%llx 0x%llx ...; after free: 0x%llx 0x%llx 0x%llx ...",
		  (unsigned long long)pd1[0].pfn, (unsigned long long)pd1[1].pfn,
		  (unsigned long long)pd1[2].pfn, (unsigned long long)pd2[0].pfn,
		  (unsigned long long)pd2[1].pfn, (unsigned long long)pd2[2].pfn);
	lab_note(c, "writing the pages that mapped the zero page gave %zu new frames, "
		 "non-zero bytes: %lld", distinct_pfns(pw, N), (long long)nonzero_cow);
	lab_note(c, "kernel log: %s", have_init ? init : "no 'mem auto-init' line left");

	lab_summary(c, "reads -> 1 zero frame; %zu/%d just-freed dirty frames reused, "
		    "read zero", reuse, N);
	if (nonzero_new || nonzero_cow)
		lab_verdict(c, LAB_V_NOT, "New anonymous pages did not read as zero: %lld "
			    "non-zero bytes.", (long long)(nonzero_new + nonzero_cow));
	else if (reuse && !init_free)
		lab_verdict(c, LAB_V_NOT, "There is no list of pre-zeroed pages: the frames "
			    "freed a moment ago, still full of 0xa5, were handed out again and "
			    "read zero, so they were cleared when allocated for the fault "
			    "(clear_page() in the fault path, or __GFP_ZERO with init_on_alloc). "
			    "Reads of never-written memory do not even take a frame: they map "
			    "the single shared zero page read-only, and the first write replaces "
			    "it with a zeroed private frame.");
	else
		lab_verdict(c, LAB_V_DIFF, "New pages read zero and reads map one shared zero "
			    "frame; %s", init_free ? "with init_on_free the kernel zeroes frames "
			    "when they are freed, which is close to a pre-zeroed pool" :
			    "where the zeroing happened could not be seen (no freed frame was "
			    "reused)");
	ret = 0;
out:
	lab_child_stop(&ch);
	return ret;
}

/* ---- M15: large pages ----------------------------------------------------- */

static int run_m15(struct lab_ctx *c)
{
	const uint64_t len = 4 * LAB_PMD_SIZE, n = len / LAB_PAGE;
	struct ptscope_cost c0, c1, c2;
	struct lab_faults f0, f1, f2, dh, ds;
	struct lab_xlate xh, xs;
	struct lab_walk wh, ws;
	struct lab_child ch;
	char thp[32] = "?", defrag[32] = "?", b1[128], b2[128], lbuf[512];
	uint64_t h, s;
	size_t i, huge = 0, pte_h = 0, pte_s = 0;
	int64_t d_pte_h, d_pte_s, d_dep;
	int ret = -1;

	memset(&wh, 0, sizeof(wh));
	memset(&ws, 0, sizeof(ws));
	lab_sysfs_choice("/sys/kernel/mm/transparent_hugepage/enabled", thp, sizeof(thp));
	lab_sysfs_choice("/sys/kernel/mm/transparent_hugepage/defrag", defrag, sizeof(defrag));
	if (lab_child_start(c, &ch))
		return -1;
	lab_step(c, "In a child: two 8 MiB anonymous regions aligned to 2 MiB, H with "
		 "MADV_HUGEPAGE and S with MADV_NOHUGEPAGE (THP is '%s', defrag '%s').",
		 thp, defrag);
	h = lab_c_anon(c, &ch, len, LAB_PMD_SIZE, MADV_HUGEPAGE);
	s = lab_c_anon(c, &ch, len, LAB_PMD_SIZE, MADV_NOHUGEPAGE);
	if (!h || !s || lab_ptcost(c, ch.pid, &c0, NULL) || lab_faults(c, &ch, &f0))
		goto out;
	lab_trace_follow(c, &ch);
	lab_step(c, "Wrote every page of H; walked H, ptcost, counted faults; the same for S.");
	if (lab_c_touch(c, &ch, h, n, LAB_PAGE, LAB_WRITE, 1) < 0 ||
	    lab_faults(c, &ch, &f1) || lab_ptcost(c, ch.pid, &c1, NULL) ||
	    lab_walk(c, ch.pid, h, h + len, &wh))
		goto out;
	lab_trace_step(c, "h_faults", "wrote every page of H (MADV_HUGEPAGE)");
	if (lab_c_touch(c, &ch, s, n, LAB_PAGE, LAB_WRITE, 1) < 0 ||
	    lab_faults(c, &ch, &f2) || lab_ptcost(c, ch.pid, &c2, NULL) ||
	    lab_walk(c, ch.pid, s, s + len, &ws))
		goto out;
	lab_trace_step(c, "s_faults", "wrote every page of S (MADV_NOHUGEPAGE)");
	lab_step(c, "Translated the first address of H and of S.");
	if (lab_translate(c, ch.pid, h, &xh) || lab_translate(c, ch.pid, s, &xs))
		goto out;
	for (i = 0; i < wh.nleaves; i++) {
		if (wh.leaves[i].level == PTSCOPE_LVL_PMD && (wh.leaves[i].flags & PTSCOPE_F_PSE))
			huge++;
		else if (wh.leaves[i].level == PTSCOPE_LVL_PTE)
			pte_h++;
	}
	for (i = 0; i < ws.nleaves; i++)
		pte_s += ws.leaves[i].level == PTSCOPE_LVL_PTE;
	lab_faults_sub(&f1, &f0, &dh);
	lab_faults_sub(&f2, &f1, &ds);
	d_pte_h = (int64_t)c1.tables[PTSCOPE_LVL_PTE] - (int64_t)c0.tables[PTSCOPE_LVL_PTE];
	d_pte_s = (int64_t)c2.tables[PTSCOPE_LVL_PTE] - (int64_t)c1.tables[PTSCOPE_LVL_PTE];
	d_dep = (int64_t)c1.deposited - (int64_t)c0.deposited;

	lab_ev_str(c, "thp_enabled", thp);
	lab_ev_str(c, "thp_defrag", defrag);
	lab_ev_int(c, "huge_leaves", huge);
	lab_ev_int(c, "h_pte_entries", pte_h);
	lab_ev_int(c, "s_pte_entries", pte_s);
	lab_ev(c, "h_faults", lab_faults_json(&dh));
	lab_ev(c, "s_faults", lab_faults_json(&ds));
	lab_ev_int(c, "h_pte_tables_added", d_pte_h);
	lab_ev_int(c, "s_pte_tables_added", d_pte_s);
	lab_ev_int(c, "h_deposited_tables_added", d_dep);
	lab_ev_str(c, "h_translation_stops_at", pts_level_name(xh.x.stop_level));
	lab_ev_str(c, "s_translation_stops_at", pts_level_name(xs.x.stop_level));
	if (huge)
		for (i = 0; i < wh.nleaves; i++)
			if (wh.leaves[i].level == PTSCOPE_LVL_PMD) {
				lab_ev(c, "h_first_huge_leaf", lab_leaf_json(&wh.leaves[i]));
				lab_note(c, "H: %s", lab_leaf_str(&wh.leaves[i], lbuf, sizeof(lbuf)));
				break;
			}
	lab_note(c, "H (MADV_HUGEPAGE): %zu pmd leaves with the PS bit (2 MiB each) and %zu "
		 "pte entries; %s; %+lld pte tables, %+lld deposited",
		 huge, pte_h, lab_faults_str(&dh, b1, sizeof(b1)), (long long)d_pte_h,
		 (long long)d_dep);
	lab_note(c, "S (MADV_NOHUGEPAGE): %zu pte entries; %s; %+lld pte tables", pte_s,
		 lab_faults_str(&ds, b2, sizeof(b2)), (long long)d_pte_s);
	lab_note(c, "translating H stops at the %s level (%d table reads), S at the %s level "
		 "(%d)", pts_level_name(xh.x.stop_level), xh.nlv,
		 pts_level_name(xs.x.stop_level), xs.nlv);

	lab_summary(c, "THP %s: %zu x 2M leaves; %lld vs %lld faults for 8 MiB", thp, huge,
		    dh.v[PTSCOPE_FC_FAULTS], ds.v[PTSCOPE_FC_FAULTS]);
	if (!huge)
		lab_verdict(c, LAB_V_NOT, "With transparent huge pages '%s', the 8 MiB region "
			    "asked for huge pages and got %zu 4 KiB entries, one fault each: on "
			    "this system large pages are not used for big allocations (only "
			    "hugetlbfs, reserved up front, would give them).", thp, pte_h);
	else if (d_dep > 0)
		lab_verdict(c, LAB_V_DIFF, "Large pages are transparent (THP): an aligned "
			    "anonymous region gets a 2 MiB page per fault, mapped by one PMD entry "
			    "with the PS bit instead of 512 PTEs, and a translation one level "
			    "shorter (and one TLB entry instead of 512). But the PTE table is not "
			    "saved: the kernel allocates one anyway and deposits it with each huge "
			    "PMD (%lld here, counted in VmPTE), so that it can split the huge page "
			    "later without allocating. With THP 'never' the same region gets 4 "
			    "KiB pages.", (long long)d_dep);
	else
		lab_verdict(c, LAB_V_HOLDS, "A 2 MiB page replaces 512 PTEs and one PTE table "
			    "with one PMD entry (PS bit), one fault and one TLB entry; the "
			    "translation is one level shorter.");
	ret = 0;
out:
	lab_walk_free(&wh);
	lab_walk_free(&ws);
	lab_child_stop(&ch);
	return ret;
}

/* ---- M17: mapped files larger than memory --------------------------------- */

static int run_m17(struct lab_ctx *c)
{
	enum { TOUCH = 16, WRITTEN = 64 };
	struct lab_faults f0, f1, d;
	struct lab_walk w;
	struct lab_child ch;
	long long memtotal = -1;
	uint64_t len, npages, base, entries = 0, step;
	long cached;
	size_t i;
	int fd, ret = -1;
	char path[256], b1[128];
	static char data[WRITTEN * 4096];
	json_object *touched;

	memset(&w, 0, sizeof(w));
	{
		char line[128];
		FILE *f = fopen("/proc/meminfo", "re");

		while (f && fgets(line, sizeof(line), f))
			if (sscanf(line, "MemTotal: %lld", &memtotal) == 1)
				break;
		if (f)
			fclose(f);
	}
	if (memtotal <= 0)
		return lab_cannot(c, "cannot read MemTotal from /proc/meminfo");
	len = ((uint64_t)memtotal * 1024 * 2 + LAB_PMD_SIZE - 1) & ~(LAB_PMD_SIZE - 1);
	npages = len / LAB_PAGE;
	fd = lab_tmpfile(c, len, false, path, sizeof(path));
	if (fd < 0)
		return -1;
	memset(data, 0x42, sizeof(data));
	if (pwrite(fd, data, sizeof(data), 0) != (ssize_t)sizeof(data)) {
		close(fd);
		return lab_fail(c, "writing the scratch file: %s", strerror(errno));
	}
	if (lab_child_start(c, &ch))
		goto out;
	lab_step(c, "Made a sparse %s file (%s), twice this machine's memory (MemTotal %s), "
		 "with data in its first %d pages; a child mapped all of it read-only.",
		 sz(len), path, sz((uint64_t)memtotal * 1024), WRITTEN);
	base = lab_c_mmap(c, &ch, 0, len, PROT_READ, MAP_SHARED, fd, 0);
	if (!base || lab_faults(c, &ch, &f0))
		goto out;
	lab_trace_follow(c, &ch);
	step = npages / TOUCH;
	lab_step(c, "The child read one byte in each of %d pages spread over the file "
		 "(every %s); walked the whole mapping; counted faults and page-cache pages.",
		 TOUCH, sz(step * LAB_PAGE));
	if (lab_c_touch(c, &ch, base, TOUCH, step * LAB_PAGE, LAB_READ, 0) < 0 ||
	    lab_faults(c, &ch, &f1) || lab_walk(c, ch.pid, base, base + len, &w))
		goto out;
	lab_trace_step(c, "faults", "read %d pages spread over the file", TOUCH);
	lab_faults_sub(&f1, &f0, &d);
	for (i = 0; i < w.nleaves; i++)
		entries += w.leaves[i].count ? w.leaves[i].count : 1;
	cached = lab_cached_pages(fd, len);
	touched = json_object_new_array();
	for (i = 0; i < w.nleaves && i < 32; i++)
		json_object_array_add(touched, cli_json_hex((w.leaves[i].va - base) / LAB_PAGE));

	lab_ev_int(c, "file_bytes", len);
	lab_ev_int(c, "file_pages", npages);
	lab_ev_int(c, "memtotal_kb", memtotal);
	lab_ev_int(c, "pages_touched", TOUCH);
	lab_ev_int(c, "entries", entries);
	lab_ev_int(c, "fault_around_extra", entries > TOUCH ? entries - TOUCH : 0);
	lab_ev(c, "entry_pages", touched);
	lab_ev_int(c, "page_cache_pages", cached);
	lab_ev(c, "faults", lab_faults_json(&d));
	lab_note(c, "file of %s (%llu pages) mapped in full, %.1fx the memory", sz(len),
		 (unsigned long long)npages, (double)len / ((double)memtotal * 1024));
	lab_note(c, "%d pages read: %s; the mapping now has %llu entries (%.4f%% of its "
		 "pages), %llu more than the pages read", TOUCH, lab_faults_str(&d, b1, sizeof(b1)),
		 (unsigned long long)entries, 100.0 * entries / npages,
		 (unsigned long long)(entries > TOUCH ? entries - TOUCH : 0));
	lab_note(c, "the file has %ld pages in the page cache (the %d written + those read)",
		 cached, WRITTEN);

	lab_summary(c, "%s file: %d pages read -> %llu entries, %ld cached", sz(len), TOUCH,
		    (unsigned long long)entries, cached);
	if (entries > npages / 2)
		lab_verdict(c, LAB_V_NOT, "Most of the file got entries although few pages "
			    "were read.");
	else if (entries > TOUCH)
		lab_verdict(c, LAB_V_DIFF, "Mapping the file costs nothing until it is touched: "
			    "only pages read have entries, and only they (and read-ahead) are "
			    "loaded, so a file larger than memory can be mapped. Linux maps a "
			    "little more than what was touched: fault-around also maps neighbours "
			    "already in the page cache (%llu extra entries here, next to the "
			    "written pages). Under pressure, clean file pages are simply dropped "
			    "and read again on the next fault.",
			    (unsigned long long)(entries - TOUCH));
	else
		lab_verdict(c, LAB_V_HOLDS, "Only the pages touched have entries; the rest of "
			    "the file costs neither frames nor entries.");
	ret = 0;
out:
	lab_walk_free(&w);
	lab_child_stop(&ch);
	close(fd);
	return ret;
}

/* ---- the labs ---------------------------------------------------------- */

const struct lab lab_m4 = {
	.id = "m4", .name = "demand-paging",
	.aliases = (const char *const[]){ "demand-zero", NULL },
	.claim = "Demand paging: memory that is committed gets a frame only when first "
		 "touched; until then its entry is invalid.",
	.questions = (const char *const[]){
		"Right after mmap of 64 pages, how many page-table entries will the "
		  "64 pages have?",
		"Reading 16 untouched pages: how many faults, and how many "
		  "different frames?",
		"Writing a page that was only read before: will it fault again, and "
		  "of which kind (not-present or protection)?",
		NULL,
	},
	.run = run_m4,
};

const struct lab lab_m5 = {
	.id = "m5", .name = "clustering",
	.aliases = (const char *const[]){ "fault-around", NULL },
	.claim = "Clustering: a fault also brings in neighbouring pages, to save later faults.",
	.questions = (const char *const[]){
		"One byte of page 32 of a file already in the page cache is read: "
		  "how many pages of the mapping will have an entry afterwards, and "
		  "after how many faults?",
		"The same read in 64 pages of anonymous memory: how many entries?",
		NULL,
	},
	.run = run_m5,
};

const struct lab lab_m6 = {
	.id = "m6", .name = "placement",
	.aliases = (const char *const[]){ "frame-allocation", "first-free", NULL },
	.claim = "Placement: the first free frame is used.",
	.questions = (const char *const[]){
		"256 pages written in address order: will neighbouring pages get "
		  "neighbouring frames?",
		"32 pages are freed and 32 new pages written at once on the same "
		  "CPU: will the new pages get the freed frames, and in which order?",
		NULL,
	},
	.run = run_m6,
};

const struct lab lab_m13 = {
	.id = "m13", .name = "zeroed-pages",
	.aliases = (const char *const[]){ "zero-page", "pre-zeroed", NULL },
	.claim = "New pages are taken from a list of pre-zeroed pages.",
	.questions = (const char *const[]){
		"Reading 32 fresh anonymous pages: how many different frames will "
		  "they use?",
		"Pages filled with 0xa5 are freed and written again at once: will "
		  "the rest of each page read 0xa5 or zero, and on which frames?",
		NULL,
	},
	.run = run_m13,
};

const struct lab lab_m15 = {
	.id = "m15", .name = "large-pages",
	.aliases = (const char *const[]){ "thp", "huge-pages", NULL },
	.claim = "Large pages (2 MiB) reduce translation overhead for big allocations.",
	.questions = (const char *const[]){
		"8 MiB marked MADV_HUGEPAGE is written page by page: how many "
		  "faults, and at which level will the leaf entries be?",
		"The same 8 MiB with MADV_NOHUGEPAGE: how many faults and how many "
		  "PTE tables?",
		NULL,
	},
	.run = run_m15,
};

const struct lab lab_m17 = {
	.id = "m17", .name = "mapped-files",
	.aliases = (const char *const[]){ "mmap-large-file", "mapped-file-io", NULL },
	.claim = "Mapped file I/O: mapping a file larger than memory loads only the parts "
		 "that are used.",
	.questions = (const char *const[]){
		"A file twice the size of memory is mapped whole and 16 pages of it "
		  "are read: how many entries will the mapping have?",
		"How many pages of the file will be in the page cache afterwards?",
		NULL,
	},
	.run = run_m17,
};
