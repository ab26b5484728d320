// SPDX-License-Identifier: GPL-2.0
/*
 * ptscope wss PID [--interval S] [--count N] [--json]
 * ptscope heatmap PID --svg FILE [--interval S] [--count N]
 *
 * The working set measured: every interval, clear the target's accessed
 * bits (/proc/PID/clear_refs), wait, walk its page tables and count the
 * present pages whose accessed bit the MMU set again: the pages the
 * process touched in the interval, per VMA and per kind of memory, and
 * the union over the intervals so far (exact per page).  heatmap keeps
 * every interval and draws them (heatmap.c).
 *
 * Reclaim ages pages by the same bits (MGLRU's page-table walks, the rmap
 * walks of kswapd and direct reclaim): when /proc/vmstat's scan counters
 * or MGLRU's generations moved during an interval, that interval says so.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "heatmap.h"
#include "map_layout.h"

#define PG		4096ULL
#define DEFAULT_COUNT	10
#define LRU_GEN_FILE	"/sys/kernel/debug/lru_gen"

#define SIDE_EFFECTS \
	"Side effects: writing 1 to /proc/PID/clear_refs clears the accessed\n" \
	"bit of every page of the process and its pages' referenced state too\n" \
	"(PG_referenced, the young flag): to reclaim, every page then looks cold,\n" \
	"unused since the clear, so sampling can make the kernel evict pages the\n" \
	"process still uses.  It also defeats whoever else reads those bits\n" \
	"(another wss, DAMON, idle page tracking).\n" \
	"\n" \
	"What it can miss: the MMU sets a leaf's accessed bit when it loads the\n" \
	"translation into a TLB; Linux clears the bits on x86 without flushing\n" \
	"the TLBs, so a page used only through a translation cached from before\n" \
	"the clear is not seen until that TLB entry goes (a context switch, a\n" \
	"flush, pressure on the TLB): the count is a lower bound, exact for a\n" \
	"page whose translation had to be loaded in the interval; a process\n" \
	"that sleeps and wakes on the same CPU keeps its TLB and can show almost\n" \
	"nothing.  --flush-tlb makes the kernel flush it.  One accessed\n" \
	"bit covers a whole huge page: a 2M leaf counts all its 512 pages.\n" \
	"Reclaim clears accessed bits by itself (MGLRU walking page tables,\n" \
	"kswapd's and direct reclaim's rmap walks): when /proc/vmstat's\n" \
	"pgscan/pgsteal/pgrefill/pgdeactivate counters or MGLRU's generations\n" \
	"(" LRU_GEN_FILE ") moved during an interval, it is marked\n" \
	"(\"reclaim_activity\": pages it aged may be missing).\n"

const struct cli_cmd cli_cmd_wss = {
	.name = "wss",
	.run = cmd_wss,
	.args = "PID [--interval S] [--count N] [--flush-tlb] [--pages] [--json]",
	.summary = "the working set: pages a process touched, per interval",
	.help =
	"Measures the working set of process PID: every interval it clears the\n"
	"accessed bits of the process's page-table entries (writing 1 to\n"
	"/proc/PID/clear_refs), waits S seconds, walks the page tables and\n"
	"counts the present pages whose accessed bit is set again: the pages the\n"
	"process touched in that interval, W(t, S) of the textbook.  Per VMA and\n"
	"per kind of memory (anon, file, shmem, stack, heap, ...), in pages and\n"
	"bytes, and the cumulative set: the pages touched in any interval so far\n"
	"(a union kept page by page).\n"
	"\n"
	SIDE_EFFECTS
	"\n"
	"Options:\n"
	"  -i, --interval S  seconds per interval, fractions allowed (default 1)\n"
	"  -n, --count N     intervals (default 10; 0: until interrupted)\n"
	"  -F, --flush-tlb   after clearing the accessed bits, clear the soft-dirty\n"
	"                    bits too (clear_refs 4): the kernel then write-protects\n"
	"                    every page and flushes the process's TLBs, so every\n"
	"                    page used in the interval is counted.  Costs: the\n"
	"                    soft-dirty bits are lost (CRIU, other trackers), and\n"
	"                    the first write to each page in an interval takes a\n"
	"                    minor fault\n"
	"  -p, --pages       also the accessed pages themselves, VMA by VMA, as\n"
	"                    runs START-END (JSON: accessed_runs, [start, end]\n"
	"                    pairs in each VMA)\n"
	"      --via module|bpf  walk through the module, or the BPF walker\n"
	"  -j, --json        JSON Lines, one object per interval: interval, pid,\n"
	"                    t0 and t1 (seconds since the first clear: this\n"
	"                    interval's clear and walk), seconds, accessed_pages,\n"
	"                    accessed_bytes, accessed_huge_pages, present_pages,\n"
	"                    cumulative_pages, cumulative_bytes, tlb_flushed,\n"
	"                    reclaim_activity,\n"
	"                    reclaim_counters ({counter: increase}), kinds ({kind:\n"
	"                    {accessed_pages, present_pages}}), and vmas: every VMA\n"
	"                    as {start, end, backing, name, accessed_pages,\n"
	"                    present_pages}\n"
	"\n"
	"Examples:\n"
	"  ptscope wss 1234                       ten intervals of one second\n"
	"  ptscope wss 1234 -i 0.2 -n 50 --json | jq .accessed_pages\n"
	"  ptscope wss 1234 --flush-tlb           every page used, at a cost\n"
	"  ptscope heatmap 1234 --svg ws.svg      the same, drawn\n",
};

const struct cli_cmd cli_cmd_heatmap = {
	.name = "heatmap",
	.run = cmd_heatmap,
	.args = "PID --svg FILE [--interval S] [--count N] [--flush-tlb] [--size WxH]",
	.summary = "draw the working set over time as an SVG heatmap",
	.help =
	"Samples process PID as 'ptscope wss' does (clear the accessed bits,\n"
	"wait S seconds, walk) and draws every interval into FILE (\"-\":\n"
	"standard output) as an SVG picture: time going down, one row per\n"
	"interval; address across, only the populated ranges (runs of VMAs\n"
	"that had a present page), the gaps between them folded to a narrow\n"
	"band labelled with their size; each range labelled with its start\n"
	"address and name.  A cell is a column of pages in one interval:\n"
	"accessed in that interval (four shades: the share of its pages\n"
	"accessed), present but not accessed, or not present.  Beside it, on\n"
	"the same time axis, a line plot of the pages accessed per interval\n"
	"and of the cumulative set.  Intervals in which reclaim ran are marked.\n"
	"\n"
	SIDE_EFFECTS
	"\n"
	"Every row is a <g class=\"row\"> (data-interval, data-t0, data-t1,\n"
	"data-accessed, data-cumulative, data-reclaim) with one <g\n"
	"class=\"vma-count\"> per VMA (data-start, data-end, data-accessed,\n"
	"data-present: exact page counts); every range a <g class=\"range\">\n"
	"(data-start, data-end), every gap label a <text class=\"gap\">.\n"
	"\n"
	"Options:\n"
	"      --svg FILE    where to write the picture (required)\n"
	"  -i, --interval S  seconds per interval, fractions allowed (default 1)\n"
	"  -n, --count N     intervals, rows (default 10; 0: until interrupted)\n"
	"  -F, --flush-tlb   flush the process's TLBs after each clear, as\n"
	"                    'wss --flush-tlb' (soft-dirty bits lost)\n"
	"      --size WxH    picture size in pixels, landscape, 640x360 to\n"
	"                    7680x4320 (default 1920x1080)\n"
	"      --via module|bpf  walk through the module, or the BPF walker\n"
	"  -j, --json        each interval as 'wss --json' prints it, then one\n"
	"                    object saying what was written (file, rows, ranges,\n"
	"                    gaps, columns)\n"
	"\n"
	"Examples:\n"
	"  ptscope heatmap 1234 --svg ws.svg -i 0.5 -n 40\n"
	"  ptscope heatmap $$ --svg - -n 3 | rsvg-convert -o ws.png\n",
};

/* ---- reclaim activity ---------------------------------------------------- */

#define MAX_COUNTERS	48

struct reclaim_snap {
	char name[MAX_COUNTERS][64];
	unsigned long long val[MAX_COUNTERS];
	int n;
	bool lru_gen;			/* LRU_GEN_FILE was read */
	unsigned long long gens;	/* sum of its generation numbers */
};

static bool reclaim_counter(const char *name)
{
	return !strncmp(name, "pgscan", 6) || !strncmp(name, "pgsteal", 7) ||
	       !strcmp(name, "pgrefill") || !strcmp(name, "pgdeactivate");
}

static void reclaim_read(struct reclaim_snap *r)
{
	char line[256], name[64];
	unsigned long long v, a, b, c, d;
	FILE *f;

	memset(r, 0, sizeof(*r));
	f = fopen("/proc/vmstat", "re");
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %llu", name, &v) != 2 || !reclaim_counter(name) ||
		    r->n == MAX_COUNTERS)
			continue;
		snprintf(r->name[r->n], sizeof(r->name[0]), "%s", name);
		r->val[r->n++] = v;
	}
	if (f)
		fclose(f);
	/* MGLRU: a generation line is "  SEQ AGE_MS ANON FILE" */
	f = fopen(LRU_GEN_FILE, "re");
	if (!f)
		return;
	r->lru_gen = true;
	while (fgets(line, sizeof(line), f)) {
		char extra;

		if (sscanf(line, " %llu %llu %llu %llu %c", &a, &b, &c, &d, &extra) == 4)
			r->gens += a;
	}
	fclose(f);
}

/* Did reclaim run between A and B?  The counters that moved, into O. */
static bool reclaim_moved(const struct reclaim_snap *a, const struct reclaim_snap *b,
			  json_object *o, char *text, size_t len)
{
	bool moved = false;
	size_t used = 0;
	int i, j;

	if (text && len)
		*text = '\0';
	for (i = 0; i < b->n; i++) {
		for (j = 0; j < a->n && strcmp(a->name[j], b->name[i]); j++)
			;
		if (j == a->n || b->val[i] == a->val[j])
			continue;
		moved = true;
		if (o)
			jset(o, b->name[i], json_object_new_int64((int64_t)(b->val[i] - a->val[j])));
		if (text && used < len)
			used += snprintf(text + used, len - used, "%s%s +%llu", used ? ", " : "",
					 b->name[i], b->val[i] - a->val[j]);
	}
	if (a->lru_gen && b->lru_gen && a->gens != b->gens) {
		moved = true;
		if (o)
			jset(o, "lru_gen_generations", json_object_new_int64(
				     (int64_t)(b->gens - a->gens)));
		if (text && used < len)
			snprintf(text + used, len - used, "%sMGLRU generations changed",
				 used ? ", " : "");
	}
	return moved;
}

/* ---- sampling ------------------------------------------------------------ */

enum { K_NR = 16 };

struct vstat {
	uint64_t start, end;
	unsigned int backing;
	char *name;
	uint64_t accessed, present;
};

struct sampler {
	int pid;
	double interval;
	bool keep;			/* heatmap: every interval's sets */
	bool flush;			/* --flush-tlb: clear_refs 4 after 1 */
	/* the interval being measured */
	struct vstat *v;
	size_t nv, cap;
	struct pset acc, pres;
	uint64_t accessed, present, huge_accessed;
	uint64_t kind_acc[K_NR], kind_pres[K_NR];
	struct reclaim_snap before, after;
	bool reclaim;
	double t0, t1, seconds;
	/* over all intervals */
	struct pset cum;
	double start;			/* first clear */
	struct ptscope_header hdr;
};

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void vstats_clear(struct sampler *sm)
{
	size_t i;

	for (i = 0; i < sm->nv; i++)
		free(sm->v[i].name);
	sm->nv = 0;
}

static int vstat_add(struct sampler *sm, const struct ptscope_vma *r)
{
	struct vstat *v;

	if (sm->nv == sm->cap) {
		size_t cap = sm->cap ? 2 * sm->cap : 64;
		struct vstat *nv = realloc(sm->v, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		sm->v = nv;
		sm->cap = cap;
	}
	v = &sm->v[sm->nv];
	memset(v, 0, sizeof(*v));
	v->start = r->start;
	v->end = r->end;
	v->backing = r->backing;
	v->name = strndup(r->name, sizeof(r->name) - 1);
	if (!v->name)
		return -ENOMEM;
	sm->nv++;
	return 0;
}

/* A leaf inside the last VMA: its 4K pages, present and accessed. */
static int leaf(struct sampler *sm, const struct ptscope_leaf *l)
{
	struct vstat *v;
	uint64_t s, e, n;
	unsigned int k;
	int ret = 0;

	if (!sm->nv || !(l->flags & PTSCOPE_F_PRESENT))
		return 0;
	v = &sm->v[sm->nv - 1];
	s = l->va > v->start ? l->va : v->start;
	e = l->va + pts_level_size(l->level) * l->count;
	if (e > v->end || e < l->va)
		e = v->end;
	if (e <= s)
		return 0;
	n = (e - s) / PG;
	k = v->backing < K_NR ? v->backing : 0;
	v->present += n;
	sm->present += n;
	sm->kind_pres[k] += n;
	if (sm->keep)
		ret = pset_add(&sm->pres, s / PG, e / PG);
	if (!(l->flags & PTSCOPE_F_ACCESSED))
		return ret;
	v->accessed += n;
	sm->accessed += n;
	sm->kind_acc[k] += n;
	if (l->level != PTSCOPE_LVL_PTE)
		sm->huge_accessed += n;
	return ret ? ret : pset_add(&sm->acc, s / PG, e / PG);
}

/*
 * The walker can be used on PID (module or BPF, as --via says): checked
 * with a walk of one page, before anything is cleared.  0 or an exit status.
 */
static int check_target(struct sampler *sm)
{
	const struct ptscope_rec_hdr *rec;
	struct cli_stream st;
	int ret;

	ret = cli_stream_open(&st, sm->pid, "range=0x0-0x1000");
	if (ret)
		return ret;
	while ((ret = cli_stream_next(&st, &rec)) > 0)
		;
	sm->hdr = st.hdr;
	cli_stream_close(&st);
	return ret < 0 ? st.rc : 0;
}

/*
 * Clear the accessed bits ("1"); with --flush-tlb then the soft-dirty
 * bits ("4"), whose clearing write-protects every page and so makes the
 * kernel flush the process's TLBs: every access after it walks the page
 * tables and sets the accessed bit again.  In this order: a translation
 * cached between the two writes is flushed by the second.
 */
static int clear_refs(struct sampler *sm)
{
	int ret = pts_clear_refs(sm->pid, "1");

	if (!ret && sm->flush) {
		ret = pts_clear_refs(sm->pid, "4");
		if (ret == -EINVAL) {
			cli_err("--flush-tlb: this kernel refuses to clear soft-dirty bits "
				"(no CONFIG_MEM_SOFT_DIRTY?)");
			return CLI_ERR;
		}
	}
	if (!ret)
		return 0;
	if (ret == -ESRCH)
		return cli_fail(ret, sm->pid, "before the walk");
	if (ret == -EACCES || ret == -EPERM) {
		cli_err("pid %d: cannot write /proc/%d/clear_refs: %s (needs root, or the "
			"owner of the process)", sm->pid, sm->pid, strerror(-ret));
		return CLI_PERM;
	}
	cli_err("pid %d: writing /proc/%d/clear_refs: %s", sm->pid, sm->pid, strerror(-ret));
	return CLI_ERR;
}

/* Sleep until T, or until a signal asks to stop: false then. */
static bool sleep_until(double t)
{
	struct timespec ts = { .tv_sec = (time_t)t,
			       .tv_nsec = (long)((t - floor(t)) * 1e9) };

	while (!stop) {
		int r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);

		if (!r)
			return true;
		if (r != EINTR)
			return false;
	}
	return false;
}

/*
 * One interval: clear, wait, walk.  0, or an exit status; *DONE when a
 * signal cut the wait short (nothing measured).
 */
static int sample(struct sampler *sm, bool *done)
{
	const struct ptscope_rec_hdr *rec;
	struct cli_stream st;
	int ret, err = 0;

	*done = false;
	vstats_clear(sm);
	pset_clear(&sm->acc);
	pset_clear(&sm->pres);
	sm->accessed = sm->present = sm->huge_accessed = 0;
	memset(sm->kind_acc, 0, sizeof(sm->kind_acc));
	memset(sm->kind_pres, 0, sizeof(sm->kind_pres));
	reclaim_read(&sm->before);
	ret = clear_refs(sm);
	if (ret)
		return ret;
	sm->t0 = now();
	if (!sm->start)
		sm->start = sm->t0;
	if (!sleep_until(sm->t0 + sm->interval)) {
		*done = true;
		return 0;
	}
	sm->t1 = now();
	/*
	 * Coalesced: a run holds entries with equal flags, the accessed bit
	 * among them, so the counts stay exact per page, and the walk costs
	 * the target less (make bench: 1.37x a smaps read per interval
	 * instead of 2.35x, Documentation/performance.rst).
	 */
	ret = cli_stream_open(&st, sm->pid, "coalesce");
	if (ret)
		return ret;
	sm->hdr = st.hdr;
	while (!err && (ret = cli_stream_next(&st, &rec)) > 0) {
		if (rec->type == PTSCOPE_REC_VMA)
			err = vstat_add(sm, (const void *)rec);
		else if (rec->type == PTSCOPE_REC_LEAF)
			err = leaf(sm, (const void *)rec);
	}
	cli_stream_close(&st);
	if (ret < 0)
		return st.rc;
	if (err) {
		cli_err("out of memory");
		return CLI_ERR;
	}
	reclaim_read(&sm->after);
	sm->reclaim = reclaim_moved(&sm->before, &sm->after, NULL, NULL, 0);
	sm->seconds = sm->t1 - sm->t0;
	pset_normalize(&sm->acc);
	pset_normalize(&sm->pres);
	if (pset_union(&sm->cum, &sm->acc)) {
		cli_err("out of memory");
		return CLI_ERR;
	}
	return 0;
}

/* ---- output --------------------------------------------------------------- */

/*
 * The accessed runs inside V, clipped to it: CB(ARG, START, END) for each,
 * in order.  *K: the first run that may still matter (VMAs come in order).
 */
static void vma_runs(const struct pset *acc, const struct vstat *v, size_t *k,
		     void (*cb)(void *arg, uint64_t start, uint64_t end), void *arg)
{
	uint64_t a = v->start / PG, e = v->end / PG;
	size_t i;

	while (*k < acc->n && acc->r[*k][1] <= a)
		(*k)++;
	for (i = *k; i < acc->n && acc->r[i][0] < e; i++)
		cb(arg, (acc->r[i][0] > a ? acc->r[i][0] : a) * PG,
		   (acc->r[i][1] < e ? acc->r[i][1] : e) * PG);
}

static void run_json(void *arg, uint64_t start, uint64_t end)
{
	json_object *p = json_object_new_array();

	json_object_array_add(p, cli_json_hex(start));
	json_object_array_add(p, cli_json_hex(end));
	json_object_array_add(arg, p);
}

static void run_text(void *arg, uint64_t start, uint64_t end)
{
	int *n = arg;

	printf("%s0x%llx-0x%llx", (*n)++ % 4 ? "  " : "\n      ",
	       (unsigned long long)start, (unsigned long long)end);
}

static json_object *interval_json(struct sampler *sm, unsigned long i, bool pages)
{
	json_object *o = json_object_new_object(), *k = json_object_new_object();
	json_object *vmas = json_object_new_array(), *rc = json_object_new_object();
	uint64_t cum = pset_count(&sm->cum);
	size_t j, run = 0;
	unsigned int b;

	pset_normalize(&sm->acc);
	jset(o, "interval", json_object_new_int64(i));
	jset(o, "pid", json_object_new_int(sm->pid));
	jset(o, "t0", json_object_new_double(round((sm->t0 - sm->start) * 1000) / 1000));
	jset(o, "t1", json_object_new_double(round((sm->t1 - sm->start) * 1000) / 1000));
	jset(o, "seconds", json_object_new_double(round(sm->seconds * 1000) / 1000));
	jset(o, "accessed_pages", json_object_new_int64(sm->accessed));
	jset(o, "accessed_bytes", json_object_new_int64(sm->accessed * PG));
	jset(o, "accessed_huge_pages", json_object_new_int64(sm->huge_accessed));
	jset(o, "present_pages", json_object_new_int64(sm->present));
	jset(o, "cumulative_pages", json_object_new_int64(cum));
	jset(o, "cumulative_bytes", json_object_new_int64(cum * PG));
	jset(o, "tlb_flushed", json_object_new_boolean(sm->flush));
	jset(o, "reclaim_activity", json_object_new_boolean(sm->reclaim));
	reclaim_moved(&sm->before, &sm->after, rc, NULL, 0);
	jset(o, "reclaim_counters", rc);
	for (b = 0; b < K_NR; b++) {
		json_object *e;

		if (!sm->kind_pres[b])
			continue;
		e = json_object_new_object();
		jset(e, "accessed_pages", json_object_new_int64(sm->kind_acc[b]));
		jset(e, "present_pages", json_object_new_int64(sm->kind_pres[b]));
		jset(k, pts_backing_name(b), e);
	}
	jset(o, "kinds", k);
	for (j = 0; j < sm->nv; j++) {
		const struct vstat *v = &sm->v[j];
		json_object *e = json_object_new_object();

		jset(e, "start", cli_json_hex(v->start));
		jset(e, "end", cli_json_hex(v->end));
		jset(e, "backing", json_object_new_string(pts_backing_name(v->backing)));
		jset(e, "name", *v->name ? json_object_new_string(v->name) : NULL);
		jset(e, "accessed_pages", json_object_new_int64(v->accessed));
		jset(e, "present_pages", json_object_new_int64(v->present));
		if (pages) {
			json_object *runs = json_object_new_array();

			vma_runs(&sm->acc, v, &run, run_json, runs);
			jset(e, "accessed_runs", runs);
		}
		json_object_array_add(vmas, e);
	}
	jset(o, "vmas", vmas);
	cli_via_json(sm->hdr.flags, o);
	return o;
}

static void interval_text(struct sampler *sm, unsigned long i, bool brief, bool pages)
{
	uint64_t cum = pset_count(&sm->cum);
	size_t j, idle = 0, k = 0;
	unsigned int b;
	char why[512];
	const char *sep = "";

	printf("%sinterval %lu%s (%.2f-%.2f s): %s%llu pages%s (%s) accessed of %llu present",
	       col(C_BOLD), i, col(C_RESET), sm->t0 - sm->start, sm->t1 - sm->start,
	       col(C_GREEN), (unsigned long long)sm->accessed, col(C_RESET),
	       sz0(sm->accessed * PG), (unsigned long long)sm->present);
	if (sm->huge_accessed)
		printf(" (%llu in huge pages)", (unsigned long long)sm->huge_accessed);
	printf("; cumulative %llu pages (%s)\n", (unsigned long long)cum, sz0(cum * PG));
	if (sm->reclaim) {
		reclaim_moved(&sm->before, &sm->after, NULL, why, sizeof(why));
		printf("  %sreclaim ran meanwhile (%s): pages it aged lost their accessed bit "
		       "and may be missing%s\n", col(C_YELLOW), why, col(C_RESET));
	}
	if (brief)
		return;
	printf("  by kind:");
	for (b = 0; b < K_NR; b++) {
		if (!sm->kind_pres[b])
			continue;
		printf("%s %s %llu (%s)", sep, pts_backing_name(b),
		       (unsigned long long)sm->kind_acc[b], sz0(sm->kind_acc[b] * PG));
		sep = ",";
	}
	printf("\n");
	for (j = 0; j < sm->nv; j++) {
		const struct vstat *v = &sm->v[j];

		if (!v->accessed) {
			idle += v->present > 0;
			continue;
		}
		printf("  0x%012llx-0x%012llx %-7s %7llu of %7llu pages %6s  %s",
		       (unsigned long long)v->start, (unsigned long long)v->end,
		       pts_backing_name(v->backing), (unsigned long long)v->accessed,
		       (unsigned long long)v->present, sz0(v->accessed * PG), v->name);
		if (pages) {
			int n = 0;

			vma_runs(&sm->acc, v, &k, run_text, &n);
		}
		putchar('\n');
	}
	if (idle)
		printf("  %s%zu VMA%s with present pages, none accessed%s\n", col(C_DIM), idle,
		       idle == 1 ? "" : "s", col(C_RESET));
}

/* ---- options --------------------------------------------------------------- */

static int parse_interval(const struct cli_cmd *cmd, const char *s, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(s, &end);
	if (!*s || *end || errno || !isfinite(*v) || *v < 0.001 || *v > 86400)
		return cli_usage_err(cmd, "invalid interval '%s': seconds, from 0.001 to 86400 "
				     "(fractions allowed, e.g. 0.2)", s);
	return 0;
}

static int parse_count(const struct cli_cmd *cmd, const char *s, unsigned long *v)
{
	uint64_t n;

	if (pts_parse_u64(s, &n, 0) || n > 1000000)
		return cli_usage_err(cmd, "invalid count '%s': a number of intervals, 0 "
				     "(until interrupted) to 1000000", s);
	*v = (unsigned long)n;
	return 0;
}

struct opts {
	double interval;
	unsigned long count;
	const char *svg;
	int width, height;
	int pid;
	bool pages;
	bool flush;
};

/* -1: go on with O; else the exit status to return now (0 after --help). */
static int parse(const struct cli_cmd *cmd, int argc, char **argv, struct opts *o,
		 bool heatmap)
{
	enum { OPT_SVG = OPT_FIRST_LOCAL, OPT_SIZE };
	static const struct option longopts[] = {
		{ "interval", required_argument, NULL, 'i' },
		{ "pages", no_argument, NULL, 'p' },
		{ "flush-tlb", no_argument, NULL, 'F' },
		{ "count", required_argument, NULL, 'n' },
		{ "svg", required_argument, NULL, OPT_SVG },
		{ "size", required_argument, NULL, OPT_SIZE },
		CLI_COMMON_LONGOPTS,
		CLI_VIA_LONGOPT,
		{ NULL, 0, NULL, 0 }
	};
	static const char *const args[] = { "PID", NULL };
	int c, ret;

	o->interval = 1;
	o->count = DEFAULT_COUNT;
	o->width = MAP_DEFAULT_W;
	o->height = MAP_DEFAULT_H;
	o->pages = false;
	o->flush = false;
	while ((c = getopt_long(argc, argv, "i:n:pF" CLI_COMMON_SHORTOPTS, longopts,
				NULL)) != -1) {
		switch (c) {
		case 'F':
			o->flush = true;
			continue;
		case 'p':
			if (heatmap)
				return cli_usage_err(cmd, "--pages is wss's");
			o->pages = true;
			continue;
		case 'i':
			ret = parse_interval(cmd, optarg, &o->interval);
			if (ret)
				return ret;
			continue;
		case 'n':
			ret = parse_count(cmd, optarg, &o->count);
			if (ret)
				return ret;
			continue;
		case OPT_SVG:
			if (!heatmap)
				return cli_usage_err(cmd, "--svg is heatmap's: ptscope heatmap PID "
						     "--svg FILE");
			o->svg = optarg;
			continue;
		case OPT_SIZE:
			if (!heatmap)
				return cli_usage_err(cmd, "--size is heatmap's");
			ret = map_parse_size(optarg, &o->width, &o->height);
			if (ret == -ERANGE)
				return cli_usage_err(cmd, "invalid size '%s': landscape (WIDTH >= "
						     "HEIGHT), from 640x360 to 7680x4320", optarg);
			if (ret)
				return cli_usage_err(cmd, "invalid size '%s': expected WIDTHxHEIGHT "
						     "in pixels, e.g. 1920x1080", optarg);
			continue;
		}
		ret = cli_common_opt(c, optarg, cmd);
		if (ret >= 0)
			return ret;
	}
	ret = cli_want_args(cmd, argc, argv, args);
	if (ret)
		return ret;
	ret = cli_parse_pid(cmd, argv[optind], &o->pid);
	if (ret)
		return ret;
	if (heatmap && (!o->svg || !*o->svg))
		return cli_usage_err(cmd, "missing --svg FILE (\"-\" for standard output)");
	return -1;
}

static void catch_stop(struct sigaction *old)
{
	struct sigaction sa = { .sa_handler = on_stop };

	stop = 0;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old[0]);
	sigaction(SIGTERM, &sa, &old[1]);
}

static void release_stop(const struct sigaction *old)
{
	sigaction(SIGINT, &old[0], NULL);
	sigaction(SIGTERM, &old[1], NULL);
}

static void sampler_free(struct sampler *sm)
{
	vstats_clear(sm);
	free(sm->v);
	pset_free(&sm->acc);
	pset_free(&sm->pres);
	pset_free(&sm->cum);
}

/* ---- wss -------------------------------------------------------------------- */

int cmd_wss(int argc, char **argv)
{
	const struct cli_cmd *cmd = &cli_cmd_wss;
	struct sampler sm = { 0 };
	struct sigaction old[2];
	uint64_t wmin = UINT64_MAX, wmax = 0;
	unsigned long i, n = 0;
	struct opts o;
	int ret;

	ret = parse(cmd, argc, argv, &o, false);
	if (ret >= 0)
		return ret;
	sm.pid = o.pid;
	sm.interval = o.interval;
	sm.flush = o.flush;
	ret = check_target(&sm);
	if (ret)
		return ret;
	if (!cli.json)
		printf("%s# ptscope wss: pid %u (%s), intervals of %.3g s: the present pages "
		       "whose accessed bit was set again after clear_refs%s%s\n", col(C_DIM),
		       sm.hdr.pid, sm.hdr.comm, o.interval, o.flush ? " (and a TLB flush)" :
		       " (no TLB flush: a lower bound, see --help)", col(C_RESET));
	if (!cli.json)
		cli_via_note(sm.hdr.flags);
	catch_stop(old);
	for (i = 1; !o.count || i <= o.count; i++) {
		bool done;

		ret = sample(&sm, &done);
		if (ret || done)
			break;
		n++;
		if (sm.accessed < wmin)
			wmin = sm.accessed;
		if (sm.accessed > wmax)
			wmax = sm.accessed;
		if (cli.json)
			cli_json_print(interval_json(&sm, i, o.pages), false);
		else
			interval_text(&sm, i, false, o.pages);
		fflush(stdout);
	}
	release_stop(old);
	if (!cli.json && n)
		printf("%s# %lu interval%s: %llu-%llu pages accessed per interval (%s-%s); "
		       "%llu pages (%s) in all%s\n", col(C_DIM), n, n == 1 ? "" : "s",
		       (unsigned long long)wmin, (unsigned long long)wmax, sz0(wmin * PG),
		       sz0(wmax * PG), (unsigned long long)pset_count(&sm.cum),
		       sz0(pset_count(&sm.cum) * PG), col(C_RESET));
	sampler_free(&sm);
	return ret;
}

/* ---- heatmap ---------------------------------------------------------------- */

struct hm_data {
	struct hm_row *rows;
	struct pset *acc, *pres;	/* one per row */
	size_t n, cap;
	struct hm_vma *v;		/* VMAs with a present page, as seen */
	size_t nv, vcap;
};

static int keep_vma(struct hm_data *d, const struct vstat *v)
{
	size_t i;

	for (i = 0; i < d->nv; i++)
		if (d->v[i].start == v->start && d->v[i].end == v->end &&
		    !strcmp(d->v[i].name, v->name))
			return 0;
	if (d->nv == d->vcap) {
		size_t cap = d->vcap ? 2 * d->vcap : 64;
		struct hm_vma *nv = realloc(d->v, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		d->v = nv;
		d->vcap = cap;
	}
	d->v[d->nv] = (struct hm_vma){ v->start, v->end, v->backing, strdup(v->name) };
	if (!d->v[d->nv].name)
		return -ENOMEM;
	d->nv++;
	return 0;
}

/* Keep the interval just measured (its sets move into D). */
static int keep_row(struct hm_data *d, struct sampler *sm)
{
	size_t i;
	int ret;

	if (d->n == d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 32;
		struct hm_row *r = realloc(d->rows, cap * sizeof(*r));
		struct pset *a, *p;

		if (!r)
			return -ENOMEM;
		d->rows = r;
		a = realloc(d->acc, cap * sizeof(*a));
		if (!a)
			return -ENOMEM;
		d->acc = a;
		p = realloc(d->pres, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		d->pres = p;
		d->cap = cap;
	}
	for (i = 0; i < sm->nv; i++) {
		if (!sm->v[i].present)
			continue;
		ret = keep_vma(d, &sm->v[i]);
		if (ret)
			return ret;
	}
	d->acc[d->n] = sm->acc;
	d->pres[d->n] = sm->pres;
	memset(&sm->acc, 0, sizeof(sm->acc));
	memset(&sm->pres, 0, sizeof(sm->pres));
	d->rows[d->n] = (struct hm_row){
		.t0 = sm->t0 - sm->start, .t1 = sm->t1 - sm->start,
		.accessed = sm->accessed, .cumulative = pset_count(&sm->cum),
		.reclaim = sm->reclaim,
	};
	d->n++;
	return 0;
}

static void hm_data_free(struct hm_data *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		pset_free(&d->acc[i]);
		pset_free(&d->pres[i]);
	}
	for (i = 0; i < d->nv; i++)
		free((char *)d->v[i].name);
	free(d->rows);
	free(d->acc);
	free(d->pres);
	free(d->v);
}

int cmd_heatmap(int argc, char **argv)
{
	const struct cli_cmd *cmd = &cli_cmd_heatmap;
	struct sampler sm = { .keep = true };
	struct hm_data d = { 0 };
	struct hm_pic pic = { 0 };
	struct hm_result res;
	struct sigaction old[2];
	bool to_stdout;
	unsigned long i;
	struct opts o;
	FILE *out;
	int ret;

	ret = parse(cmd, argc, argv, &o, true);
	if (ret >= 0)
		return ret;
	to_stdout = !strcmp(o.svg, "-");
	if (to_stdout && cli.json)
		return cli_usage_err(cmd, "--json and --svg - both want standard output");
	sm.pid = o.pid;
	sm.interval = o.interval;
	sm.flush = o.flush;
	ret = check_target(&sm);
	if (ret)
		return ret;
	catch_stop(old);
	for (i = 1; !o.count || i <= o.count; i++) {
		bool done;

		ret = sample(&sm, &done);
		if (ret || done)
			break;
		if (cli.json)
			cli_json_print(interval_json(&sm, i, false), false);
		else if (!to_stdout)
			interval_text(&sm, i, true, false);
		fflush(stdout);
		if (keep_row(&d, &sm)) {
			cli_err("out of memory");
			ret = CLI_ERR;
			break;
		}
	}
	release_stop(old);
	if (ret && !d.n)
		goto out;
	if (!d.n) {
		cli_err("interrupted before the first interval ended: nothing to draw");
		ret = CLI_ERR;
		goto out;
	}
	for (i = 0; i < d.n; i++) {
		d.rows[i].acc = &d.acc[i];
		d.rows[i].pres = &d.pres[i];
	}
	pic.pid = sm.hdr.pid;
	pic.comm = sm.hdr.comm;
	pic.interval = o.interval;
	pic.flushed = o.flush;
	pic.version = PTSCOPE_CLI_VERSION;
	pic.width = o.width;
	pic.height = o.height;
	pic.v = d.v;
	pic.nv = d.nv;
	pic.rows = d.rows;
	pic.nrows = d.n;
	out = to_stdout ? stdout : fopen(o.svg, "we");
	if (!out) {
		cli_err("cannot write %s: %s", o.svg, strerror(errno));
		ret = CLI_ERR;
		goto out;
	}
	{
		int w = heatmap_svg(out, &pic, &res);

		if (!to_stdout && fclose(out) && !w)
			w = -errno;
		if (w) {
			cli_err("writing %s: %s", o.svg, strerror(-w));
			if (!to_stdout)
				unlink(o.svg);
			ret = CLI_ERR;
			goto out;
		}
	}
	if (to_stdout)
		goto out;
	if (cli.json) {
		json_object *j = json_object_new_object();

		jset(j, "file", json_object_new_string(o.svg));
		jset(j, "pid", json_object_new_int(sm.pid));
		jset(j, "rows", json_object_new_int64(res.rows));
		jset(j, "ranges", json_object_new_int64(res.ranges));
		jset(j, "gaps", json_object_new_int64(res.gaps));
		jset(j, "columns", json_object_new_int64(res.columns));
		jset(j, "unlabelled_ranges", json_object_new_int64(res.unlabelled));
		jset(j, "width", json_object_new_int64(o.width));
		jset(j, "height", json_object_new_int64(o.height));
		cli_json_print(j, false);
	} else {
		printf("wrote %s: pid %u (%s), %zu rows of %.3g s, %zu populated ranges, "
		       "%zu gaps folded\n", o.svg, sm.hdr.pid, sm.hdr.comm, res.rows,
		       o.interval, res.ranges, res.gaps);
	}
out:
	hm_data_free(&d);
	sampler_free(&sm);
	return ret;
}
