// SPDX-License-Identifier: GPL-2.0
/*
 * ptscope lab: replacement and the paging file (M7, M8).  The swap and
 * the memory cgroup they need come from env.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lab.h"

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT	21
#endif

/* ---- M7: replacement ---------------------------------------------------- */

#define LRU_GEN_FILE	"/sys/kernel/debug/lru_gen"
#define MAX_GENS	8		/* MAX_NR_GENS is 4 */
#define MAX_NODES	8

struct gen_count {
	unsigned long long seq, age_ms, anon, file;
};

/* One node's generations of a memory cgroup, oldest first. */
struct node_gens {
	int nid;
	int n;
	struct gen_count g[MAX_GENS];
};

/*
 * The multi-gen LRU's generations of one memory cgroup.  Each node has
 * its own sequence numbers (its own max_seq and min_seq): they are kept
 * per node, never added across nodes.
 */
struct lru_gens {
	long memcg_id;			/* -1: not found */
	int nodes;
	struct node_gens node[MAX_NODES];
	unsigned long long anon, file;	/* summed over nodes and generations */
};

/* Is the memcg path P (as lru_gen prints it) the cgroup PATH ("/a/b")? */
static bool memcg_is(const char *p, const char *path)
{
	size_t n = strlen(p), k = strlen(path);

	return n >= k && !strcmp(p + n - k, path);
}

/* A generation line of node N: "SEQ AGE_MS ANON FILE" (marks skipped). */
static void add_gen(struct lru_gens *lg, struct node_gens *n, const char *p)
{
	unsigned long long v[4];
	char *end;
	int k;

	for (k = 0; k < 4; k++) {
		p += strspn(p, " \t");
		if (*p < '0' || *p > '9')
			return;
		v[k] = strtoull(p, &end, 10);
		p = end;
		if (*p && *p != ' ' && *p != '\t')
			p++;		/* a mark ('x': beyond min_seq) */
	}
	if (n->n == MAX_GENS)
		return;
	n->g[n->n++] = (struct gen_count){ v[0], v[1], v[2], v[3] };
	lg->anon += v[2];
	lg->file += v[3];
}

/*
 * Read the generations of the memory cgroup PATH from lru_gen (the
 * kernel's Documentation/admin-guide/mm/multigen_lru.rst): a line
 * "memcg ID PATH" per memory cgroup, then per node " node NID" and one
 * line per generation, "SEQ AGE_MS ANON FILE" (the page counts, each
 * perhaps followed by a one-character mark).  Lines of another shape are
 * skipped.  0, -ESRCH (no such memcg), or -errno of the file.
 */
static int read_lru_gens(const char *path, struct lru_gens *lg)
{
	FILE *f = fopen(LRU_GEN_FILE, "re");
	struct node_gens *cur = NULL;
	char *line = NULL, *p, *end;
	bool ours = false;
	size_t cap = 0;
	ssize_t len;

	memset(lg, 0, sizeof(*lg));
	lg->memcg_id = -1;
	if (!f)
		return -errno;
	while ((len = getline(&line, &cap, f)) > 0) {
		while (len && (line[len - 1] == '\n' || line[len - 1] == ' '))
			line[--len] = '\0';
		p = line + strspn(line, " \t");
		if (!strncmp(p, "memcg", 5) && (p[5] == ' ' || p[5] == '\t')) {
			long id = strtol(p + 5, &end, 10);

			if (ours)
				break;		/* the next memcg: ours is complete */
			end += strspn(end, " \t");
			if (memcg_is(end, path)) {
				ours = true;
				lg->memcg_id = id;
			}
			continue;
		}
		if (!ours)
			continue;
		if (!strncmp(p, "node", 4)) {
			cur = lg->nodes < MAX_NODES ? &lg->node[lg->nodes++] : NULL;
			if (cur)
				cur->nid = strtol(p + 4, NULL, 10);
			continue;
		}
		if (cur)
			add_gen(lg, cur, p);
	}
	free(line);
	fclose(f);
	return lg->memcg_id < 0 ? -ESRCH : 0;
}

/* "node 0: gen 5 (12.3 s old) 1024 anon 0 file, gen 6 ...; node 1: ..." */
static const char *lru_gens_str(const struct lru_gens *lg, char *buf, size_t len)
{
	size_t o = 0;
	int i, k;

	buf[0] = '\0';
	for (k = 0; k < lg->nodes && o < len; k++) {
		const struct node_gens *n = &lg->node[k];

		o += snprintf(buf + o, len - o, "%snode %d: ", k ? "; " : "", n->nid);
		for (i = 0; i < n->n && o < len; i++)
			o += snprintf(buf + o, len - o, "%sgen %llu (%.1f s old) %llu anon %llu file",
				      i ? ", " : "", n->g[i].seq, n->g[i].age_ms / 1e3,
				      n->g[i].anon, n->g[i].file);
	}
	return buf;
}

/* The cgroup's anonymous pages on the LRU, by memory.stat; -1 if unknown. */
static long long lru_anon_pages(void)
{
	long long a = lab_env_cgroup_stat("memory.stat", "active_anon");
	long long i = lab_env_cgroup_stat("memory.stat", "inactive_anon");

	return a < 0 || i < 0 ? -1 : (a + i) / (long long)LAB_PAGE;
}

static json_object *lru_gens_json(const struct lru_gens *lg, long long stat_anon)
{
	json_object *o = json_object_new_object(), *nodes = json_object_new_array();
	int i, k;

	for (k = 0; k < lg->nodes; k++) {
		json_object *no = json_object_new_object(), *a = json_object_new_array();

		for (i = 0; i < lg->node[k].n; i++) {
			const struct gen_count *gc = &lg->node[k].g[i];
			json_object *g = json_object_new_object();

			jset(g, "seq", json_object_new_int64(gc->seq));
			jset(g, "age_ms", json_object_new_int64(gc->age_ms));
			jset(g, "anon", json_object_new_int64(gc->anon));
			jset(g, "file", json_object_new_int64(gc->file));
			json_object_array_add(a, g);
		}
		jset(no, "node", json_object_new_int(lg->node[k].nid));
		jset(no, "generations", a);
		json_object_array_add(nodes, no);
	}
	jset(o, "nodes", nodes);
	jset(o, "anon_pages", json_object_new_int64(lg->anon));
	jset(o, "file_pages", json_object_new_int64(lg->file));
	jset(o, "memory_stat_lru_anon_pages", json_object_new_int64(stat_anon));
	return o;
}

/*
 * "node 0: oldest 0 -> 3, youngest 3 -> 6; node 1: ..." for the nodes
 * that have generations before (A) and after (B).  False if none.
 */
static bool gens_span(const struct lru_gens *a, char *buf, size_t len,
		      const struct lru_gens *b)
{
	size_t o = 0;
	int i, k;

	buf[0] = '\0';
	for (i = 0; i < a->nodes; i++) {
		const struct node_gens *na = &a->node[i], *nb = NULL;

		for (k = 0; k < b->nodes; k++)
			if (b->node[k].nid == na->nid)
				nb = &b->node[k];
		if (!na->n || !nb || !nb->n || o >= len)
			continue;
		o += snprintf(buf + o, len - o, "%snode %d: oldest %llu -> %llu, youngest "
			      "%llu -> %llu", o ? "; " : "", na->nid, na->g[0].seq,
			      nb->g[0].seq, na->g[na->n - 1].seq, nb->g[nb->n - 1].seq);
	}
	return o > 0;
}

static void region_stats(const struct lab_page *p, size_t n, size_t *present,
			 size_t *swapped, size_t *accessed)
{
	size_t i;

	*present = *swapped = *accessed = 0;
	for (i = 0; i < n; i++) {
		*present += p[i].present;
		*swapped += p[i].swap;
		*accessed += p[i].present && (p[i].flags & PTSCOPE_F_ACCESSED);
	}
}

static int run_m7(struct lab_ctx *c)
{
	enum { NF = 1024, NM = 1024, NL = 3072, CHUNK = 256 };
	const uint64_t limit = 16ULL << 20;
	static struct lab_page pf[NF], pm[NM], pl[NL];
	size_t f_pres, f_swap, f_acc, m_pres, m_swap, m_acc, l_pres, l_swap, l_acc;
	char why[256], path[64], lru[32] = "?", mglru[32] = "", gbuf[1024];
	struct lru_gens g0, g1;
	long long stat0 = -1, stat1 = -1;
	const char *cgpath;
	bool gens = false;
	int gerr = 0;
	struct lab_child ch;
	uint64_t f, m, l;
	double pF, pM;
	int ret = -1;

	if (lab_env_swap(c, why, sizeof(why)))
		return c->status == LAB_ERROR ? -1 : lab_cannot(c, "%s", why);
	if (!lab_read_str("/sys/kernel/mm/lru_gen/enabled", mglru, sizeof(mglru)))
		snprintf(lru, sizeof(lru), "%s", strtoul(mglru, NULL, 0) & 1 ?
			 "multi-gen LRU" : "active/inactive lists");
	else
		snprintf(lru, sizeof(lru), "active/inactive lists");
	if (lab_child_start(c, &ch))
		return -1;
	if (lab_env_cgroup(c, ch.pid, limit, why, sizeof(why))) {
		lab_child_stop(&ch);
		return c->status == LAB_ERROR ? -1 : lab_cannot(c, "%s", why);
	}
	lab_step(c, "Put a child in a memory cgroup limited to %s (memory.max), with swap "
		 "available.", sz(limit));
	f = lab_c_anon(c, &ch, NF * LAB_PAGE, LAB_PAGE, MADV_NOHUGEPAGE);
	m = lab_c_anon(c, &ch, NM * LAB_PAGE, LAB_PAGE, MADV_NOHUGEPAGE);
	l = lab_c_anon(c, &ch, NL * LAB_PAGE, LAB_PAGE, MADV_NOHUGEPAGE);
	if (!f || !m || !l)
		goto out;
	lab_step(c, "It wrote region F (%s) first, then region M (%s).", sz(NF * LAB_PAGE),
		 sz(NM * LAB_PAGE));
	if (lab_c_touch(c, &ch, f, NF, LAB_PAGE, LAB_WRITE, 1) < 0 ||
	    lab_c_touch(c, &ch, m, NM, LAB_PAGE, LAB_WRITE, 1) < 0)
		goto out;
	lab_step(c, "Cleared its accessed bits (echo 1 > clear_refs), had it read F again, "
		 "and walked F and M.");
	snprintf(path, sizeof(path), "/proc/%d/clear_refs", ch.pid);
	if (lab_write_str(path, "1")) {
		lab_fail(c, "cannot write %s", path);
		goto out;
	}
	if (lab_c_touch(c, &ch, f, NF, LAB_PAGE, LAB_READ, 0) < 0 ||
	    lab_pages(c, ch.pid, f, NF, pf, NULL) || lab_pages(c, ch.pid, m, NM, pm, NULL))
		goto out;
	region_stats(pf, NF, &f_pres, &f_swap, &f_acc);
	region_stats(pm, NM, &m_pres, &m_swap, &m_acc);
	lab_note(c, "before the pressure: F %zu/%d pages present, %zu with the accessed bit; "
		 "M %zu/%d present, %zu accessed", f_pres, NF, f_acc, m_pres, NM, m_acc);
	lab_ev_int(c, "f_accessed_before", f_acc);
	lab_ev_int(c, "m_accessed_before", m_acc);
	/* the multi-gen LRU's own view of the cgroup, where the kernel shows it */
	cgpath = lab_env_cgroup_path();
	if (mglru[0] && (strtoul(mglru, NULL, 0) & 1) && cgpath) {
		gerr = read_lru_gens(cgpath, &g0);
		stat0 = lru_anon_pages();
		gens = !gerr;
		if (gens) {
			lab_step(c, "Read the generations of its memory cgroup (memcg %ld, %s) from "
				 "%s.", g0.memcg_id, cgpath, LRU_GEN_FILE);
			lab_note(c, "multi-gen LRU before the pressure: %s; %llu anonymous pages "
				 "in all (memory.stat: %lld on the LRU)",
				 lru_gens_str(&g0, gbuf, sizeof(gbuf)), g0.anon, stat0);
		}
	}
	lab_step(c, "It wrote region L (%s) in %s chunks, reading and writing F again after "
		 "each chunk: %s in all, over the limit, so the kernel must evict; walked F, M "
		 "and L.", sz(NL * LAB_PAGE), sz(CHUNK * LAB_PAGE),
		 sz((NF + NM + NL) * LAB_PAGE));
	if (lab_c_pressure(c, &ch, l, NL, CHUNK, f, NF) ||
	    lab_pages(c, ch.pid, f, NF, pf, NULL) || lab_pages(c, ch.pid, m, NM, pm, NULL) ||
	    lab_pages(c, ch.pid, l, NL, pl, NULL))
		goto out;
	if (gens) {
		gerr = read_lru_gens(cgpath, &g1);
		stat1 = lru_anon_pages();
		gens = !gerr;
	}
	region_stats(pf, NF, &f_pres, &f_swap, &f_acc);
	region_stats(pm, NM, &m_pres, &m_swap, &m_acc);
	region_stats(pl, NL, &l_pres, &l_swap, &l_acc);
	pF = (double)f_pres / NF;
	pM = (double)m_pres / NM;

	lab_ev_str(c, "lru", lru);
	lab_ev_int(c, "memory_max", limit);
	lab_ev(c, "swap_devices", lab_env_swaps_json());
	lab_ev_int(c, "f_present", f_pres);
	lab_ev_int(c, "f_swapped", f_swap);
	lab_ev_int(c, "m_present", m_pres);
	lab_ev_int(c, "m_swapped", m_swap);
	lab_ev_int(c, "l_present", l_pres);
	lab_ev_int(c, "l_swapped", l_swap);
	lab_ev_double(c, "f_present_fraction", pF);
	lab_ev_double(c, "m_present_fraction", pM);
	lab_ev_int(c, "cgroup_swap_bytes", lab_env_cgroup_stat("memory.stat", "swap") >= 0 ?
		   lab_env_cgroup_stat("memory.stat", "swap") : -1);
	lab_ev_int(c, "cgroup_max_events", lab_env_cgroup_stat("memory.events", "max"));
	lab_note(c, "after writing L under the %s limit: F (loaded first, used since) %zu/%d "
		 "present, %zu swapped out; M (loaded second, not used since) %zu/%d present, "
		 "%zu swapped out; L (newest) %zu/%d present, %zu swapped out",
		 sz(limit), f_pres, NF, f_swap, m_pres, NM, m_swap, l_pres, NL, l_swap);
	lab_note(c, "replacement: %s (/sys/kernel/mm/lru_gen/enabled: %s)", lru,
		 mglru[0] ? mglru : "absent");
	if (gens) {
		json_object *o = json_object_new_object();

		jset(o, "file", json_object_new_string(LRU_GEN_FILE));
		jset(o, "memcg_id", json_object_new_int64(g0.memcg_id));
		jset(o, "memcg_path", json_object_new_string(cgpath));
		jset(o, "nodes", json_object_new_int(g0.nodes));
		jset(o, "before", lru_gens_json(&g0, stat0));
		jset(o, "after", lru_gens_json(&g1, stat1));
		lab_ev(c, "lru_gen", o);
		lab_note(c, "multi-gen LRU after the pressure: %s; %llu anonymous pages in all "
			 "(memory.stat: %lld on the LRU)", lru_gens_str(&g1, gbuf, sizeof(gbuf)),
			 g1.anon, stat1);
		if (gens_span(&g0, gbuf, sizeof(gbuf), &g1))
			lab_note(c, "generations: %s. "
				 "Reclaim evicts from the oldest generation only; aging walks the "
				 "page tables and moves a page whose accessed bit it finds set to "
				 "the youngest. So the oldest generation holds the pages not found "
				 "accessed for longest, not the pages loaded first: M's (idle since "
				 "written) rather than F's (read after every chunk). The counts do "
				 "not say which page is in which generation; the walk above shows "
				 "which were evicted", gbuf);
	} else {
		const char *why_not = !(mglru[0] && (strtoul(mglru, NULL, 0) & 1)) ?
			"the multi-gen LRU is off or absent" : !cgpath ? "the lab's cgroup has no path" :
			gerr == -ESRCH ? "the lab's memory cgroup is not in " LRU_GEN_FILE :
			"cannot read " LRU_GEN_FILE;

		lab_ev_str(c, "lru_gen_unavailable", why_not);
		lab_note(c, "no generation counts: %s", why_not);
	}

	if (!f_swap && !m_swap && !l_swap) {
		lab_cannot(c, "no page was evicted: the memory limit built no pressure");
		ret = 0;
		goto out;
	}
	lab_summary(c, "first-loaded but used F kept %.0f%%, unused M kept %.0f%% (%s)",
		    100 * pF, 100 * pM, lru);
	if (pF > pM + 0.2)
		lab_verdict(c, LAB_V_NOT, "Not first in, first out: the pages loaded first but "
			    "used again survived, the pages loaded later and left alone were "
			    "evicted. Linux keeps LRU lists per memory cgroup and node (here the "
			    "%s), not a FIFO per process, and ages pages by the accessed bit the "
			    "MMU sets: reclaim clears it and evicts pages not referenced since. "
			    "Evicted anonymous pages went to swap (their entries became swap "
			    "entries).", lru);
	else if (pM > pF + 0.2)
		lab_verdict(c, LAB_V_HOLDS, "The pages loaded first were evicted first although "
			    "they were still in use: first in, first out.");
	else
		lab_verdict(c, LAB_V_DIFF, "Neither order stood out: pages loaded first and used "
			    "(%.0f%% kept) and pages loaded later and unused (%.0f%% kept) were "
			    "evicted alike. Linux ages pages by the accessed bit on LRU lists (%s); "
			    "with this little pressure the difference did not show.",
			    100 * pF, 100 * pM, lru);
	ret = 0;
out:
	lab_child_stop(&ch);
	lab_env_cgroup_remove();
	return ret;
}

/* ---- M8: the paging file ------------------------------------------------- */

static int run_m8(struct lab_ctx *c)
{
	enum { N = 32, H = 16 };
	struct lab_page p0[N], p1[N], p2[N], p3[N], p4[N];
	struct lab_faults f0, f1, f2, f3, d1, d3;
	struct lab_child ch;
	char why[256], buf[512];
	uint64_t r;
	int64_t bad1, bad2;
	size_t swapped, present_after, still_swap, i;
	int ret = -1, ra;

	if (lab_env_swap(c, why, sizeof(why)))
		return c->status == LAB_ERROR ? -1 : lab_cannot(c, "%s", why);
	if (lab_child_start(c, &ch))
		return -1;
	lab_step(c, "Pinned a child to CPU 0; it filled %d anonymous pages with 0x5a; walked.",
		 N);
	r = lab_c_anon(c, &ch, N * LAB_PAGE, LAB_PAGE, MADV_NOHUGEPAGE);
	if (!r || lab_c_cpu(c, &ch, 0))
		goto out;
	lab_trace_follow(c, &ch);
	if (lab_c_touch(c, &ch, r, N, LAB_PAGE, LAB_FILL, 0x5a) < 0 ||
	    lab_pages(c, ch.pid, r, N, p0, NULL))
		goto out;
	lab_trace_step(c, NULL, "filled %d pages", N);
	lab_step(c, "Had the kernel reclaim them to swap (MADV_PAGEOUT); walked.");
	ra = lab_c_madvise(c, &ch, r, N * LAB_PAGE, MADV_PAGEOUT);
	if (ra) {
		if (strstr(c->reason, "Invalid argument")) {
			c->status = LAB_RAN;
			ret = lab_cannot(c, "this kernel has no MADV_PAGEOUT");
		}
		goto out;
	}
	if (lab_pages(c, ch.pid, r, N, p1, NULL))
		goto out;
	swapped = lab_count_swap(p1, N);
	lab_trace_step(c, NULL, "MADV_PAGEOUT");
	lab_step(c, "It read pages 0-%d and checked their contents; walked; counted faults.",
		 H - 1);
	if (lab_faults(c, &ch, &f0))
		goto out;
	bad1 = lab_c_touch(c, &ch, r, H, LAB_PAGE, LAB_CHECK_VALUE, 0x5a);
	if (bad1 < 0 || lab_faults(c, &ch, &f1) || lab_pages(c, ch.pid, r, N, p2, NULL))
		goto out;
	lab_trace_step(c, "faults_swapin", "read pages 0-%d back", H - 1);
	lab_step(c, "It asked for pages %d-%d in advance (MADV_WILLNEED: read into the swap "
		 "cache, not mapped); walked; then read them; counted faults; walked.", H, N - 1);
	if (lab_c_madvise(c, &ch, r + H * LAB_PAGE, (N - H) * LAB_PAGE, MADV_WILLNEED) ||
	    lab_pages(c, ch.pid, r, N, p3, NULL) || lab_faults(c, &ch, &f2))
		goto out;
	/* let the read-ahead finish before the touch */
	usleep(100000);
	if (lab_faults(c, &ch, &f2))
		goto out;
	lab_trace_step(c, NULL, "MADV_WILLNEED on pages %d-%d", H, N - 1);
	bad2 = lab_c_touch(c, &ch, r + H * LAB_PAGE, N - H, LAB_PAGE, LAB_CHECK_VALUE, 0x5a);
	if (bad2 < 0 || lab_faults(c, &ch, &f3) || lab_pages(c, ch.pid, r, N, p4, NULL))
		goto out;
	lab_trace_step(c, "faults_after_willneed", "read pages %d-%d", H, N - 1);
	lab_faults_sub(&f1, &f0, &d1);
	lab_faults_sub(&f3, &f2, &d3);
	present_after = lab_count_present(p2, H);
	still_swap = lab_count_swap(p3 + H, N - H);

	lab_ev(c, "swap_devices", lab_env_swaps_json());
	lab_ev_int(c, "pages", N);
	lab_ev_int(c, "present_before", lab_count_present(p0, N));
	lab_ev_int(c, "swap_entries_after_pageout", swapped);
	lab_ev_int(c, "present_after_pageout", lab_count_present(p1, N));
	if (p1[0].mapped)
		lab_ev(c, "entry_after_pageout", json_object_new_string(
			       p1[0].swap ? "swap" : p1[0].present ? "present" : "other"));
	{
		json_object *a = json_object_new_array();

		for (i = 0; i < N && i < 8; i++) {
			json_object *o = json_object_new_object();

			jset(o, "page", json_object_new_int((int)i));
			jset(o, "swap", json_object_new_boolean(p1[i].swap));
			jset(o, "swap_type", json_object_new_int((int)p1[i].swap_type));
			jset(o, "swap_offset", cli_json_hex(p1[i].swap_offset));
			json_object_array_add(a, o);
		}
		lab_ev(c, "swap_entries", a);
	}
	lab_ev(c, "faults_swapin", lab_faults_json(&d1));
	lab_ev_int(c, "bytes_wrong_after_swapin", bad1 + bad2);
	lab_ev_int(c, "swap_entries_after_willneed", still_swap);
	lab_ev(c, "faults_after_willneed", lab_faults_json(&d3));
	lab_ev_int(c, "present_at_end", lab_count_present(p4, N));

	lab_note(c, "before: %zu/%d pages present (page 0: frame 0x%llx)",
		 lab_count_present(p0, N), N, (unsigned long long)p0[0].pfn);
	lab_note(c, "after MADV_PAGEOUT: %zu/%d entries are swap entries, %zu present; page 0's "
		 "entry: %s", swapped, N, lab_count_present(p1, N),
		 p1[0].swap ? (snprintf(buf, sizeof(buf), "not present, swap type %u, offset "
					"0x%llx", p1[0].swap_type,
					(unsigned long long)p1[0].swap_offset), buf) :
		 p1[0].mapped ? "present" : "empty");
	lab_note(c, "reading %d swapped pages: %s; %zu present again, %lld bytes differ from "
		 "what was written", H, lab_faults_str(&d1, buf, sizeof(buf)), present_after,
		 (long long)bad1);
	lab_note(c, "after MADV_WILLNEED the other %d pages still have swap entries (%zu); "
		 "reading them: %s", N - H, still_swap, lab_faults_str(&d3, buf, sizeof(buf)));

	lab_summary(c, "%zu/%d swap entries; swap-in: %lld major; from swap cache: %lld "
		    "major, %lld minor", swapped, N, d1.v[PTSCOPE_FC_MAJOR],
		    d3.v[PTSCOPE_FC_MAJOR], d3.v[PTSCOPE_FC_MINOR]);
	if (!swapped && lab_count_present(p1, N) == N) {
		lab_cannot(c, "the kernel kept every page in memory (MADV_PAGEOUT reclaimed "
			   "nothing): nothing to observe");
		ret = 0;
		goto out;
	}
	if (bad1 || bad2)
		lab_verdict(c, LAB_V_NOT, "The data read back from swap was not what was "
			    "written.");
	else if (swapped && d1.v[PTSCOPE_FC_MAJOR] > 0)
		lab_verdict(c, LAB_V_DIFF, "A page moved out leaves a non-present entry, but not "
			    "an empty 'invalid' one: it holds a swap entry -- which swap device "
			    "(type) and where on it (offset) -- so no separate table is needed to "
			    "find the page. Touching it is a major fault that reads it back and "
			    "maps a new frame. If the page is still (or already) in the swap "
			    "cache, as after MADV_WILLNEED or read-ahead, the fault is minor: "
			    "%lld minor and %lld major here.", d3.v[PTSCOPE_FC_MINOR],
			    d3.v[PTSCOPE_FC_MAJOR]);
	else if (swapped)
		lab_verdict(c, LAB_V_DIFF, "Pages moved out leave swap entries (type and "
			    "offset), but reading them back took no major fault here.");
	else
		lab_verdict(c, LAB_V_HOLDS, "Pages moved out left empty entries and were read "
			    "back on a fault.");
	ret = 0;
out:
	lab_child_stop(&ch);
	return ret;
}

/* ---- the labs ---------------------------------------------------------- */

const struct lab lab_m7 = {
	.id = "m7", .name = "replacement",
	.aliases = (const char *const[]){ "lru", "fifo", NULL },
	.claim = "Replacement: first in, first out within the process's working set.",
	.questions = (const char *const[]){
		"Region F was loaded first and is used again, region M was loaded "
		  "later and left idle. Under memory pressure, which of the two keeps "
		  "more of its pages?",
		"What will the entries of the evicted pages hold?",
		NULL,
	},
	.run = run_m7,
};

const struct lab lab_m8 = {
	.id = "m8", .name = "paging-file",
	.aliases = (const char *const[]){ "swap", "pagefile", NULL },
	.claim = "A page moved to the paging file leaves an invalid entry; touching it faults "
		 "and reads it back (a hard fault).",
	.questions = (const char *const[]){
		"After MADV_PAGEOUT of 32 pages, what will their entries hold: "
		  "nothing, or something?",
		"Reading a page back from swap: a minor or a major fault? And after "
		  "MADV_WILLNEED first?",
		NULL,
	},
	.run = run_m8,
};

