// SPDX-License-Identifier: GPL-2.0
/*
 * ptscope lab, run through the CLI ($PTSCOPE_BIN, default
 * tools/ptscope/ptscope):
 *  - every lab runs (--json): each document parses, has the keys of the
 *    format, a verdict with evidence, and the system is left as it was
 *    (swap devices, zram devices and module, cgroup mount and groups,
 *    scratch files);
 *  - the verdicts follow the system, not the code: fault_around_bytes
 *    4096 leaves the clustering lab with no neighbours mapped; THP
 *    "never" takes the large pages away; with no swap device and
 *    --no-setup the paging-file and replacement labs cannot run;
 *  - a SIGTERM while the replacement lab holds its zram swap and cgroup
 *    undoes both;
 *  - names, aliases, --list and bad names; the text report;
 *  - the working-set lab (M18): W(t, tau) read from the accessed bits is,
 *    page by page, the set of pages its child read in each window, for
 *    tau = 1 and 4 ticks, A's pages in phase A, B's in phase B, both in
 *    the window spanning the switch;
 *  - -v adds evidence lines (walks, translations, counters) to every lab
 *    and keeps all the plain observations; --predict runs nothing;
 *  - where the kernel has BTF, the labs on faults run their steps under the
 *    BPF tracer: every step's traced faults equal the module's counters
 *    and minflt/majflt of the same step and the counts the lab recorded,
 *    with the classes the lab's own walks imply; --no-trace gives no
 *    trace, and with BTF hidden the labs say they ran without it.
 * Every setting a test changes is restored in its teardown.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>

#include "guest_harness.h"
#include "pagemap_lib.h"

#define FAULT_AROUND	"/sys/kernel/debug/fault_around_bytes"
#define THP_ENABLED	"/sys/kernel/mm/transparent_hugepage/enabled"
#define MAX_DOCS	32
#define NR_LABS		18

static const char *bin(void)
{
	const char *b = getenv("PTSCOPE_BIN");

	return b && *b ? b : "tools/ptscope/ptscope";
}

struct run {
	json_object *doc[MAX_DOCS];
	int n;
	int status;		/* exit status of the CLI */
	int bad_lines;		/* lines that did not parse */
	char *text;		/* the whole output */
};

static void run_free(struct run *r)
{
	int i;

	for (i = 0; i < r->n; i++)
		json_object_put(r->doc[i]);
	free(r->text);
	memset(r, 0, sizeof(*r));
}

/*
 * Run "WRAP BIN lab ARGS" (stderr to ours; WRAP: a command prefix, or ""),
 * collect its output and documents.
 */
static int vrun_lab(struct run *r, const char *wrap, const char *fmt, va_list ap)
{
	static char line[1 << 22];	/* a -v document: up to a few 100 kB */
	char args[512], cmd[1024];
	size_t len = 0, cap = 0;
	FILE *p;
	int st;

	memset(r, 0, sizeof(*r));
	vsnprintf(args, sizeof(args), fmt, ap);
	snprintf(cmd, sizeof(cmd), "%s env NO_COLOR=1 %s lab %s", wrap, bin(), args);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (fgets(line, sizeof(line), p)) {
		size_t l = strlen(line);

		if (len + l + 1 > cap) {
			cap = (len + l + 1) * 2;
			r->text = realloc(r->text, cap);
			if (!r->text)
				break;
		}
		memcpy(r->text + len, line, l + 1);
		len += l;
		if (line[0] == '{') {
			json_object *o = json_tokener_parse(line);

			if (!o)
				r->bad_lines++;
			else if (r->n < MAX_DOCS)
				r->doc[r->n++] = o;
			else
				json_object_put(o);
		}
	}
	st = pclose(p);
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
	return 0;
}

static int run_lab(struct run *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int run_lab(struct run *r, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vrun_lab(r, "", fmt, ap);
	va_end(ap);
	return ret;
}

static int run_lab_in(struct run *r, const char *wrap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int run_lab_in(struct run *r, const char *wrap, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vrun_lab(r, wrap, fmt, ap);
	va_end(ap);
	return ret;
}

static json_object *find_doc(const struct run *r, const char *id)
{
	json_object *v;
	int i;

	for (i = 0; i < r->n; i++)
		if (json_object_object_get_ex(r->doc[i], "id", &v) &&
		    !strcmp(json_object_get_string(v), id))
			return r->doc[i];
	return NULL;
}

static const char *str_of(json_object *o, const char *key)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !v)
		return NULL;
	return json_object_get_string(v);
}

/* observed.KEY as an integer; LLONG_MIN if absent. */
static long long ev_int(json_object *doc, const char *key)
{
	json_object *obs, *v;

	if (!doc || !json_object_object_get_ex(doc, "observed", &obs) ||
	    !json_object_object_get_ex(obs, key, &v) || !v)
		return LLONG_MIN;
	return json_object_get_int64(v);
}

static bool is_verdict(const char *v)
{
	return v && (!strcmp(v, "holds") || !strcmp(v, "holds with a difference") ||
		     !strcmp(v, "does not hold on Linux"));
}

/* The format of one document; a message into WHY when it is wrong. */
static bool doc_ok(json_object *d, char *why, size_t len)
{
	static const char *const keys[] = {
		"id", "name", "claim", "did", "observed", "verdict", "explanation", "status",
	};
	json_object *obs, *notes;
	const char *st = str_of(d, "status");
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!json_object_object_get_ex(d, keys[i], NULL)) {
			snprintf(why, len, "no key %s", keys[i]);
			return false;
		}
	if (!st || (strcmp(st, "ran") && strcmp(st, "cannot-run"))) {
		snprintf(why, len, "status %s", st ? st : "(null)");
		return false;
	}
	if (!strcmp(st, "cannot-run")) {
		if (!str_of(d, "reason") || !*str_of(d, "reason") || str_of(d, "verdict")) {
			snprintf(why, len, "cannot-run without a reason, or with a verdict");
			return false;
		}
		return true;
	}
	if (!is_verdict(str_of(d, "verdict")) || !str_of(d, "explanation") ||
	    strlen(str_of(d, "explanation")) < 40 || !str_of(d, "claim") ||
	    strlen(str_of(d, "did")) < 20) {
		snprintf(why, len, "verdict '%s', or explanation/claim/did missing",
			 str_of(d, "verdict") ? str_of(d, "verdict") : "(null)");
		return false;
	}
	json_object_object_get_ex(d, "observed", &obs);
	if (!json_object_is_type(obs, json_type_object) ||
	    json_object_object_length(obs) < 3 ||
	    !json_object_object_get_ex(obs, "notes", &notes) ||
	    json_object_array_length(notes) < 1) {
		snprintf(why, len, "too little evidence in observed");
		return false;
	}
	return true;
}

/* ---- the trace evidence of the labs on faults ---------------------------- */

static const char *const traced_labs[] = { "m4", "m5", "m8", "m11", "m13", "m15", "m17" };
#define NR_TRACED	(sizeof(traced_labs) / sizeof(traced_labs[0]))

static bool have_btf(void)
{
	return !access("/sys/kernel/btf/vmlinux", R_OK);
}

static json_object *at(json_object *o, const char *key)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

/* O.KEY as an integer; LLONG_MIN if absent or null. */
static long long int_at(json_object *o, const char *key)
{
	json_object *v = at(o, key);

	return v ? json_object_get_int64(v) : LLONG_MIN;
}

/* A count of a step's "classes" or "claims" object: absent is 0. */
static long long count_at(json_object *step, const char *obj, const char *key)
{
	long long v = int_at(at(step, obj), key);

	return v == LLONG_MIN ? 0 : v;
}

static bool is_traced(const char *id)
{
	size_t i;

	for (i = 0; i < NR_TRACED; i++)
		if (!strcmp(id, traced_labs[i]))
			return true;
	return false;
}

/* The step of DOC's trace whose counts the lab keeps in observed.KEY. */
static json_object *step_of(json_object *doc, const char *key)
{
	json_object *steps = at(at(at(doc, "observed"), "trace"), "steps");
	size_t i;

	for (i = 0; steps && i < json_object_array_length(steps); i++) {
		json_object *st = json_object_array_get_idx(steps, i);
		const char *ca = str_of(st, "counted_as");

		if (ca && !strcmp(ca, key))
			return st;
	}
	return NULL;
}

/* The neighbours of a step's fault-around events (all in its event list). */
static long long step_neighbours(json_object *st)
{
	json_object *evs = at(st, "events");
	long long n = 0;
	size_t i;

	for (i = 0; evs && i < json_object_array_length(evs); i++) {
		long long v = int_at(json_object_array_get_idx(evs, i), "neighbours");

		n += v == LLONG_MIN ? 0 : v;
	}
	return n;
}

/*
 * Each step of DOC's trace: the traced faults equal the module's counters
 * and minflt/majflt of the same step, and the lab's own counts where it
 * kept them; every event carries its entries, class and claims.
 */
static void check_trace_steps(struct __test_metadata *_metadata, json_object *doc)
{
	const char *id = str_of(doc, "id");
	json_object *obs = at(doc, "observed"), *tr = at(obs, "trace");
	json_object *steps = at(tr, "steps"), *cls, *v;
	size_t i, j;

	ASSERT_NE(NULL, tr) TH_LOG("%s: no observed.trace (%s)", id,
				   str_of(obs, "trace_unavailable"));
	ASSERT_NE(NULL, steps);
	EXPECT_LT(0, (int)json_object_array_length(steps));
	EXPECT_EQ(0, int_at(tr, "lost"));
	EXPECT_TRUE(json_object_get_boolean(at(tr, "agrees")));
	for (i = 0; i < json_object_array_length(steps); i++) {
		json_object *st = json_object_array_get_idx(steps, i), *mod = at(st, "module");
		json_object *evs = at(st, "events"), *own;
		long long f = int_at(st, "faults"), mi = int_at(st, "minor");
		long long ma = int_at(st, "major"), events = 0;
		const char *name = str_of(st, "step"), *ca = str_of(st, "counted_as");

		ASSERT_NE(NULL, mod) TH_LOG("%s '%s': the module did not count", id, name);
		EXPECT_EQ(int_at(mod, "faults"), f) TH_LOG("%s '%s'", id, name);
		EXPECT_EQ(int_at(mod, "minor"), mi) TH_LOG("%s '%s'", id, name);
		EXPECT_EQ(int_at(mod, "major"), ma) TH_LOG("%s '%s'", id, name);
		EXPECT_EQ(int_at(st, "minflt"), mi) TH_LOG("%s '%s'", id, name);
		EXPECT_EQ(int_at(st, "majflt"), ma) TH_LOG("%s '%s'", id, name);
		EXPECT_EQ(0, int_at(st, "lost"));
		EXPECT_EQ(f, mi + ma + int_at(st, "error"));
		/* every event has a class: the classes add up to the events */
		cls = at(st, "classes");
		json_object_object_foreach(cls, k, n) {
			(void)k;
			events += json_object_get_int64(n);
		}
		EXPECT_EQ(f + int_at(st, "retry"), events) TH_LOG("%s '%s'", id, name);
		ASSERT_NE(NULL, evs);
		EXPECT_EQ(events, (long long)json_object_array_length(evs) +
			  int_at(st, "events_left_out"));
		for (j = 0; j < json_object_array_length(evs); j++) {
			json_object *e = json_object_array_get_idx(evs, j);

			EXPECT_NE(NULL, str_of(e, "address"));
			EXPECT_NE(NULL, str_of(e, "class"));
			EXPECT_NE(NULL, str_of(e, "before"));
			EXPECT_NE(NULL, str_of(e, "after"));
			EXPECT_TRUE(json_object_object_get_ex(e, "model", &v) &&
				    json_object_is_type(v, json_type_array));
		}
		if (!ca)
			continue;
		own = at(obs, ca);
		ASSERT_NE(NULL, own) TH_LOG("%s: no observed.%s", id, ca);
		EXPECT_EQ(int_at(own, "faults"), f) TH_LOG("%s '%s' vs observed.%s", id, name, ca);
		EXPECT_EQ(int_at(own, "minor"), mi) TH_LOG("%s '%s' vs observed.%s", id, name, ca);
		EXPECT_EQ(int_at(own, "major"), ma) TH_LOG("%s '%s' vs observed.%s", id, name, ca);
	}
}

/*
 * The classes of the traced faults agree with what the lab's own walks
 * saw: the reads that mapped the zero page are zero-page faults, the
 * pages copied are cow faults, the huge leaves thp faults, and so on.
 */
static void check_trace_classes(struct __test_metadata *_metadata, const struct run *r,
				int fault_around)
{
	json_object *d, *st;

	d = find_doc(r, "m4");
	st = step_of(d, "faults_reads");
	ASSERT_NE(NULL, st);
	EXPECT_EQ(ev_int(d, "reads_mapping_zero_page"), count_at(st, "classes", "zero-page"));
	EXPECT_EQ(int_at(st, "faults"), count_at(st, "claims", "M4"));
	st = step_of(d, "faults_writes");
	ASSERT_NE(NULL, st);
	EXPECT_EQ(ev_int(d, "new_anon_frames_after_writes"),
		  count_at(st, "classes", "demand-zero"));
	EXPECT_EQ(int_at(st, "faults"), count_at(st, "claims", "M4"));
	st = step_of(d, "faults_write_after_read");
	ASSERT_NE(NULL, st);
	EXPECT_EQ(ev_int(d, "reads_mapping_zero_page"), count_at(st, "classes", "cow"));

	d = find_doc(r, "m11");
	st = step_of(d, "g_faults");
	ASSERT_NE(NULL, st);
	EXPECT_EQ(ev_int(d, "g_new_frames"), count_at(st, "classes", "cow"));
	st = step_of(d, "a_faults");
	ASSERT_NE(NULL, st);
	EXPECT_EQ(ev_int(d, "a_reused_without_copy"), count_at(st, "classes", "wp-reuse"));
	EXPECT_EQ(ev_int(d, "a_copied"), count_at(st, "classes", "cow"));
	EXPECT_EQ(int_at(st, "faults"), count_at(st, "claims", "M11"));

	d = find_doc(r, "m15");
	st = step_of(d, "h_faults");
	ASSERT_NE(NULL, st);
	EXPECT_EQ(ev_int(d, "huge_leaves"), count_at(st, "classes", "thp"));
	EXPECT_EQ(ev_int(d, "huge_leaves"), count_at(st, "claims", "M15"));
	st = step_of(d, "s_faults");
	ASSERT_NE(NULL, st);
	EXPECT_EQ(ev_int(d, "s_pte_entries"), count_at(st, "classes", "demand-zero"));

	d = find_doc(r, "m8");
	st = step_of(d, "faults_swapin");
	ASSERT_NE(NULL, st);
	EXPECT_EQ(int_at(st, "faults"), count_at(st, "classes", "swap-in"));
	EXPECT_EQ(int_at(st, "faults"), count_at(st, "claims", "M8"));
	st = step_of(d, "faults_after_willneed");
	ASSERT_NE(NULL, st);
	EXPECT_EQ(int_at(st, "faults"), count_at(st, "classes", "swap-in"));

	d = find_doc(r, "m13");
	EXPECT_EQ(ev_int(d, "reads_mapping_zero_page"),
		  count_at(json_object_array_get_idx(at(at(at(d, "observed"), "trace"),
							"steps"), 0), "classes", "zero-page"));

	d = find_doc(r, "m17");
	st = step_of(d, "faults");
	ASSERT_NE(NULL, st);
	EXPECT_EQ(ev_int(d, "pages_touched"), count_at(st, "classes", "file") +
		  count_at(st, "classes", "file-major") +
		  count_at(st, "classes", "fault-around"));

	/*
	 * (No M17 claim count: the scratch files are in $TMPDIR, a tmpfs in
	 * the guest, and the model ties only faults on regular files to M17.)
	 */
	d = find_doc(r, "m5");
	st = step_of(d, "file_faults");
	ASSERT_NE(NULL, st);
	EXPECT_EQ(int_at(st, "faults"), count_at(st, "classes", "fault-around") +
		  count_at(st, "classes", "file") + count_at(st, "classes", "file-major"));
	EXPECT_EQ(int_at(st, "faults"), count_at(st, "claims", "M5"));
	/*
	 * The tracer counts neighbours in the aligned 16-entry (64 KiB) window
	 * of the fault: all of them with the default fault_around_bytes where
	 * that window lies inside the VMA, as around M5's page 32.  (Not so
	 * for M17's first page, at the start of its VMA: 6.1 then maps the 16
	 * pages from the VMA's start, past that window, and the trace sees
	 * fewer neighbours than the walk.)
	 */
	if (fault_around == 65536)
		EXPECT_EQ(ev_int(d, "file_neighbours_mapped"), step_neighbours(st));
	EXPECT_GE(ev_int(find_doc(r, "m17"), "fault_around_extra"),
		  step_neighbours(step_of(find_doc(r, "m17"), "faults")));
}

/* ---- the state the labs must leave as they found it --------------------- */

struct sysstate {
	char swaps[1024];
	char zram[256];		/* zram devices and whether the module is loaded */
	char cgroup[512];	/* cgroup2 mounts, and lab groups */
	char fault_around[32];
	char thp[64];
	int tmpfiles;
};

static void append(char *buf, size_t len, const char *a, const char *b)
{
	const char *parts[2] = { a, b };
	size_t used = strlen(buf), i, n;

	for (i = 0; i < 2; i++) {
		n = strlen(parts[i]);
		if (used + n >= len)
			n = len - 1 - used;
		memcpy(buf + used, parts[i], n);
		used += n;
		buf[used] = '\0';
	}
}

static int count_tmpfiles(void)
{
	const char *dir = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	while (d && (de = readdir(d)))
		n += !strncmp(de->d_name, "ptscope-lab.", 12);
	if (d)
		closedir(d);
	return n;
}

static void snap(struct sysstate *s)
{
	char line[512], mnt[256], type[64];
	struct dirent *de;
	FILE *f;
	DIR *d;

	memset(s, 0, sizeof(*s));
	f = fopen("/proc/swaps", "re");
	while (f && fgets(line, sizeof(line), f))
		append(s->swaps, sizeof(s->swaps), line, "");
	if (f)
		fclose(f);
	snprintf(s->zram, sizeof(s->zram), "module=%d", !access("/sys/module/zram", F_OK));
	d = opendir("/sys/block");
	while (d && (de = readdir(d)))
		if (!strncmp(de->d_name, "zram", 4)) {
			append(s->zram, sizeof(s->zram), " ", de->d_name);
		}
	if (d)
		closedir(d);
	f = fopen("/proc/mounts", "re");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s %255s %63s", mnt, type) == 2 && !strcmp(type, "cgroup2")) {
			DIR *cd = opendir(mnt);

			append(s->cgroup, sizeof(s->cgroup), mnt, "");
			while (cd && (de = readdir(cd)))
				if (!strncmp(de->d_name, "ptscope-lab", 11)) {
					append(s->cgroup, sizeof(s->cgroup), " ", de->d_name);
				}
			if (cd)
				closedir(cd);
		}
	if (f)
		fclose(f);
	pml_read_str(FAULT_AROUND, s->fault_around, sizeof(s->fault_around));
	pml_read_str(THP_ENABLED, s->thp, sizeof(s->thp));
	s->tmpfiles = count_tmpfiles();
}

#define EXPECT_SAME_STATE(a, b) do {					\
	EXPECT_STREQ((a)->swaps, (b)->swaps);				\
	EXPECT_STREQ((a)->zram, (b)->zram);				\
	EXPECT_STREQ((a)->cgroup, (b)->cgroup);				\
	EXPECT_STREQ((a)->fault_around, (b)->fault_around);		\
	EXPECT_STREQ((a)->thp, (b)->thp);				\
	EXPECT_EQ((a)->tmpfiles, (b)->tmpfiles);			\
} while (0)

/* ---- fixture: the CLI with "lab", settings saved and restored ------------ */

FIXTURE(lab) {
	struct sysstate before;
	char fault_around[32];
	char thp[32];
	/* swap devices turned off by the no-swap test, to turn on again */
	char swapped_off[4][128];
	int nswapped_off;
};

FIXTURE_SETUP(lab)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "%s lab --help >/dev/null 2>&1", bin());
	if (pml_sh("%s", cmd))
		TH_LOG("'%s lab' is missing: wire cmd_lab into tools/ptscope/main.c "
		       "(or set PTSCOPE_BIN)", bin());
	ASSERT_EQ(0, pml_sh("%s", cmd));
	pml_read_str(FAULT_AROUND, self->fault_around, sizeof(self->fault_around));
	pml_sysfs_choice(THP_ENABLED, self->thp, sizeof(self->thp));
	self->nswapped_off = 0;
	snap(&self->before);
}

FIXTURE_TEARDOWN(lab)
{
	int i;

	if (self->fault_around[0])
		pml_write_str(FAULT_AROUND, self->fault_around);
	if (self->thp[0])
		pml_write_str(THP_ENABLED, self->thp);
	for (i = 0; i < self->nswapped_off; i++)
		swapon(self->swapped_off[i], 0);
}

/*
 * M7's generation counts of the multi-gen LRU (/sys/kernel/debug/lru_gen),
 * where it is on: read for the lab's own memory cgroup before and after
 * the pressure.  What is exact: the generations listed are consecutive
 * sequence numbers, at most MAX_NR_GENS (4), older ones no younger; the
 * oldest and youngest sequence numbers never go back.  What is near: the
 * anonymous pages over the generations are the LRU's sizes, which
 * memory.stat's active_anon + inactive_anon also count, but memory.stat's
 * per-CPU counters are flushed lazily (64 pages per CPU behind at most
 * before a read flushes them), and a page just faulted may wait in a
 * per-CPU batch (31 pages) before it is on a list: within 256 pages.
 * Before the pressure the cgroup holds F and M, 2048 pages written since
 * the child joined it; after it, at most memory.max (4096 pages), and
 * at least the pages of F, M and L the walk found present.
 */
static void check_m7_gens(struct __test_metadata *_metadata, json_object *d)
{
	const char *side[2] = { "before", "after" };
	json_object *lg = at(at(d, "observed"), "lru_gen");
	long long first[2][8], last[2][8], nid[2][8], anon[2], present;
	int nn[2] = { 0, 0 }, k, a, b;
	char buf[64] = "";
	size_t i, j, n;

	pml_read_str("/sys/kernel/mm/lru_gen/enabled", buf, sizeof(buf));
	if (!(strtoul(buf, NULL, 0) & 1)) {
		EXPECT_EQ(NULL, lg);
		EXPECT_NE(NULL, str_of(at(d, "observed"), "lru_gen_unavailable"));
		TH_LOG("m7: no multi-gen LRU (lru_gen/enabled '%s'): %s", buf,
		       str_of(at(d, "observed"), "lru_gen_unavailable"));
		return;
	}
	ASSERT_NE(NULL, lg) TH_LOG("m7: %s", str_of(at(d, "observed"), "lru_gen_unavailable"));
	EXPECT_NE(NULL, strstr(str_of(lg, "memcg_path"), "/ptscope-lab."));
	EXPECT_LE(1, int_at(lg, "nodes"));
	for (k = 0; k < 2; k++) {
		json_object *s = at(lg, side[k]), *nodes = at(s, "nodes");
		long long sum = 0, stat = int_at(s, "memory_stat_lru_anon_pages");

		ASSERT_NE(NULL, nodes);
		/* each node's own sequence: consecutive, older no younger */
		for (j = 0; j < json_object_array_length(nodes) && j < 8; j++) {
			json_object *no = json_object_array_get_idx(nodes, j);
			json_object *g = at(no, "generations");

			ASSERT_NE(NULL, g);
			n = json_object_array_length(g);
			EXPECT_GE(4, n) TH_LOG("m7 %s node %lld", side[k], int_at(no, "node"));
			for (i = 0; i < n; i++) {
				json_object *e = json_object_array_get_idx(g, i);

				sum += int_at(e, "anon");
				if (i) {
					json_object *p = json_object_array_get_idx(g, i - 1);

					EXPECT_EQ(int_at(p, "seq") + 1, int_at(e, "seq"));
					EXPECT_GE(int_at(p, "age_ms"), int_at(e, "age_ms"));
				}
			}
			if (!n)
				continue;
			nid[k][nn[k]] = int_at(no, "node");
			first[k][nn[k]] = int_at(json_object_array_get_idx(g, 0), "seq");
			last[k][nn[k]] = int_at(json_object_array_get_idx(g, n - 1), "seq");
			nn[k]++;
		}
		EXPECT_LE(1, nn[k]) TH_LOG("m7 %s: no node has generations", side[k]);
		EXPECT_EQ(sum, int_at(s, "anon_pages"));
		anon[k] = sum;
		EXPECT_LE(0, stat);
		EXPECT_GE(256, llabs(sum - stat))
			TH_LOG("m7 %s: %lld anon pages in the generations, %lld by memory.stat",
			       side[k], sum, stat);
	}
	/* a node's oldest and youngest never go back */
	for (a = 0; a < nn[0]; a++)
		for (b = 0; b < nn[1]; b++)
			if (nid[0][a] == nid[1][b]) {
				EXPECT_LE(first[0][a], first[1][b]);
				EXPECT_LE(last[0][a], last[1][b]);
				TH_LOG("m7: node %lld: generations %lld-%lld -> %lld-%lld",
				       nid[0][a], first[0][a], last[0][a], first[1][b],
				       last[1][b]);
			}
	EXPECT_LE(2048 - 64, anon[0]);
	EXPECT_GE(2048 + 256, anon[0]);
	present = ev_int(d, "f_present") + ev_int(d, "m_present") + ev_int(d, "l_present");
	EXPECT_GE(4096 + 64, anon[1]);
	EXPECT_LE(present - 128, anon[1]);
	TH_LOG("m7: anon pages %lld -> %lld (%lld present)", anon[0], anon[1], present);
}

/* Every lab runs, with a verdict and evidence; nothing is left behind. */
TEST_F_TIMEOUT(lab, all_labs_run, 600)
{
	struct sysstate after;
	struct run r;
	char why[128];
	int i;

	ASSERT_EQ(0, run_lab(&r, "--json"));
	EXPECT_EQ(0, r.status);
	EXPECT_EQ(0, r.bad_lines);
	EXPECT_EQ(NR_LABS, r.n);
	for (i = 0; i < r.n; i++) {
		const char *id = str_of(r.doc[i], "id");

		if (!doc_ok(r.doc[i], why, sizeof(why)))
			TH_LOG("%s: %s", id, why);
		EXPECT_TRUE(doc_ok(r.doc[i], why, sizeof(why)));
		/* in the guest every prerequisite can be made */
		if (strcmp(str_of(r.doc[i], "status"), "ran"))
			TH_LOG("%s cannot run: %s", id, str_of(r.doc[i], "reason"));
		EXPECT_STREQ("ran", str_of(r.doc[i], "status"));
		TH_LOG("%-4s %-24s %s", id, str_of(r.doc[i], "verdict"),
		       str_of(r.doc[i], "summary"));
	}
	/* the labs on faults traced their steps (where the kernel has BTF) */
	for (i = 0; i < r.n; i++) {
		const char *id = str_of(r.doc[i], "id");
		json_object *obs = at(r.doc[i], "observed");

		if (!is_traced(id)) {
			EXPECT_EQ(NULL, at(obs, "trace")) TH_LOG("%s", id);
			EXPECT_EQ(NULL, at(obs, "trace_unavailable")) TH_LOG("%s", id);
		} else if (have_btf()) {
			check_trace_steps(_metadata, r.doc[i]);
		} else {
			EXPECT_NE(NULL, str_of(obs, "trace_unavailable")) TH_LOG("%s", id);
		}
	}
	if (have_btf())
		check_trace_classes(_metadata, &r, atoi(self->fault_around));
	/* evidence the flips below turn around */
	EXPECT_GT(ev_int(find_doc(&r, "m8"), "swap_entries_after_pageout"), 0);
	EXPECT_GT(ev_int(find_doc(&r, "m7"), "m_swapped") +
		  ev_int(find_doc(&r, "m7"), "f_swapped"), 0);
	check_m7_gens(_metadata, find_doc(&r, "m7"));
	if (atoi(self->fault_around) > 4096)
		EXPECT_GT(ev_int(find_doc(&r, "m5"), "file_neighbours_mapped"), 0);
	run_free(&r);
	snap(&after);
	EXPECT_SAME_STATE(&self->before, &after);
}

/*
 * M3's verdict is decided by entries it prints, and does not depend on
 * luck: the accessed bit is cleared by clear_refs and set again by a read
 * that must walk the tables (Linux clears it on x86 without a TLB flush,
 * so a read of a page still in the TLB need not set it: the old
 * experiment said "does not hold" now and then).  Every run: the same
 * verdict, every check ok, and each check lists its entries; the
 * accessed check's say A=1, then 0 after clear_refs, then 1 after the
 * first read.  The text report shows the same entries.
 */
#define M3_RUNS		5

TEST_F_TIMEOUT(lab, entry_bits_verdict_is_decided_by_printed_entries, 600)
{
	static const char *const names[] = { "frame-number", "valid", "valid-cleared",
					     "read-write", "dirty", "accessed", "user",
					     "same-frame" };
	static const int acc_bits[] = { 1, 0, 0, 1 };
	json_object *obs, *checks, *ck, *ents, *v;
	struct run r;
	size_t i, j;
	int run;

	for (run = 0; run < M3_RUNS; run++) {
		json_object *d;

		ASSERT_EQ(0, run_lab(&r, "m3 --json"));
		ASSERT_EQ(1, r.n);
		d = find_doc(&r, "m3");
		EXPECT_STREQ("ran", str_of(d, "status"));
		EXPECT_STREQ("holds with a difference", str_of(d, "verdict")) {
			TH_LOG("run %d: %s", run, str_of(d, "explanation"));
		}
		ASSERT_TRUE(json_object_object_get_ex(d, "observed", &obs));
		ASSERT_TRUE(json_object_object_get_ex(obs, "checks", &checks)) {
			TH_LOG("run %d: no observed.checks: which entries decided?", run);
		}
		ASSERT_EQ(sizeof(names) / sizeof(names[0]), json_object_array_length(checks));
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			ck = json_object_array_get_idx(checks, i);
			EXPECT_STREQ(names[i], str_of(ck, "check"));
			ASSERT_TRUE(json_object_object_get_ex(ck, "ok", &v));
			EXPECT_TRUE(json_object_get_boolean(v)) {
				TH_LOG("run %d: check %s failed: %s", run, names[i],
				       json_object_to_json_string(ck));
			}
			ASSERT_TRUE(json_object_object_get_ex(ck, "entries", &ents));
			EXPECT_LT(0, (int)json_object_array_length(ents));
			for (j = 0; j < json_object_array_length(ents); j++) {
				json_object *e = json_object_array_get_idx(ents, j);

				EXPECT_NE(NULL, str_of(e, "va"));
				EXPECT_TRUE(json_object_object_get_ex(e, "entry", NULL));
				EXPECT_TRUE(json_object_object_get_ex(e, "accessed", NULL));
				EXPECT_TRUE(json_object_object_get_ex(e, "dirty", NULL));
			}
			if (strcmp(names[i], "accessed"))
				continue;
			ASSERT_EQ(4, json_object_array_length(ents));
			for (j = 0; j < 4; j++) {
				json_object *e = json_object_array_get_idx(ents, j);

				ASSERT_TRUE(json_object_object_get_ex(e, "accessed", &v));
				EXPECT_EQ(acc_bits[j], json_object_get_boolean(v)) {
					TH_LOG("run %d: %s", run, json_object_to_json_string(e));
				}
			}
		}
		run_free(&r);
	}
	/* The text report names the entries too. */
	ASSERT_EQ(0, run_lab(&r, "m3"));
	EXPECT_NE(NULL, strstr(r.text, "check accessed: ok: written 0x"));
	EXPECT_NE(NULL, strstr(r.text, "kernel-filled-after-first-read 0x"));
	run_free(&r);
}

/* fault_around_bytes = 4096: the clustering lab sees no neighbours mapped. */
TEST_F_TIMEOUT(lab, clustering_follows_fault_around, 300)
{
	struct run on, off;
	json_object *d;

	if (!self->fault_around[0])
		SKIP(return, "no %s", FAULT_AROUND);
	if (atoi(self->fault_around) <= 4096)
		ASSERT_EQ(0, pml_write_str(FAULT_AROUND, "65536"));
	ASSERT_EQ(0, run_lab(&on, "clustering --json"));
	ASSERT_EQ(0, pml_write_str(FAULT_AROUND, "4096"));
	ASSERT_EQ(0, run_lab(&off, "m5 --json"));
	pml_write_str(FAULT_AROUND, self->fault_around);

	ASSERT_EQ(1, on.n);
	ASSERT_EQ(1, off.n);
	d = find_doc(&on, "m5");
	EXPECT_STREQ("ran", str_of(d, "status"));
	EXPECT_GT(ev_int(d, "file_neighbours_mapped"), 0);
	EXPECT_GT(ev_int(d, "fault_around_bytes"), 4096);
	EXPECT_STRNE("does not hold on Linux", str_of(d, "verdict"));
	d = find_doc(&off, "m5");
	EXPECT_STREQ("ran", str_of(d, "status"));
	EXPECT_EQ(4096, ev_int(d, "fault_around_bytes"));
	EXPECT_EQ(0, ev_int(d, "file_neighbours_mapped"));
	EXPECT_EQ(1, ev_int(d, "file_entries_after_one_fault"));
	EXPECT_STREQ("does not hold on Linux", str_of(d, "verdict"));
	/* the traced fault says the same: fault-around, then a plain file fault */
	if (have_btf()) {
		json_object *st = step_of(find_doc(&on, "m5"), "file_faults");

		ASSERT_NE(NULL, st);
		EXPECT_EQ(1, count_at(st, "classes", "fault-around"));
		EXPECT_EQ(ev_int(find_doc(&on, "m5"), "file_neighbours_mapped"),
			  step_neighbours(st));
		st = step_of(d, "file_faults");
		ASSERT_NE(NULL, st);
		EXPECT_EQ(0, count_at(st, "classes", "fault-around"));
		EXPECT_EQ(int_at(st, "faults"), count_at(st, "classes", "file") +
			  count_at(st, "classes", "file-major"));
		EXPECT_EQ(0, step_neighbours(st));
	}
	TH_LOG("fault-around on: %s", str_of(find_doc(&on, "m5"), "summary"));
	TH_LOG("fault-around off: %s", str_of(d, "summary"));
	run_free(&on);
	run_free(&off);
}

/* THP "never": the large-page lab gets no huge leaves and a new verdict. */
TEST_F_TIMEOUT(lab, large_pages_follow_thp, 300)
{
	struct run on, off;
	json_object *d;

	if (!self->thp[0])
		SKIP(return, "no transparent huge pages");
	ASSERT_EQ(0, pml_write_str(THP_ENABLED, "madvise"));
	ASSERT_EQ(0, run_lab(&on, "large-pages --json"));
	ASSERT_EQ(0, pml_write_str(THP_ENABLED, "never"));
	ASSERT_EQ(0, run_lab(&off, "m15 --json"));
	pml_write_str(THP_ENABLED, self->thp);

	ASSERT_EQ(1, on.n);
	ASSERT_EQ(1, off.n);
	d = find_doc(&on, "m15");
	EXPECT_STREQ("ran", str_of(d, "status"));
	EXPECT_GT(ev_int(d, "huge_leaves"), 0);
	EXPECT_STRNE("does not hold on Linux", str_of(d, "verdict"));
	d = find_doc(&off, "m15");
	EXPECT_STREQ("ran", str_of(d, "status"));
	EXPECT_EQ(0, ev_int(d, "huge_leaves"));
	EXPECT_EQ(2048, ev_int(d, "h_pte_entries"));
	EXPECT_STREQ("does not hold on Linux", str_of(d, "verdict"));
	/* the traced faults: huge ones with THP, one per page without */
	if (have_btf()) {
		json_object *st = step_of(find_doc(&on, "m15"), "h_faults");

		ASSERT_NE(NULL, st);
		EXPECT_EQ(ev_int(find_doc(&on, "m15"), "huge_leaves"),
			  count_at(st, "classes", "thp"));
		st = step_of(d, "h_faults");
		ASSERT_NE(NULL, st);
		EXPECT_EQ(0, count_at(st, "classes", "thp"));
		EXPECT_EQ(0, count_at(st, "claims", "M15"));
		EXPECT_EQ(ev_int(d, "h_pte_entries"), count_at(st, "classes", "demand-zero"));
	}
	TH_LOG("THP madvise: %s", str_of(find_doc(&on, "m15"), "summary"));
	TH_LOG("THP never: %s", str_of(d, "summary"));
	run_free(&on);
	run_free(&off);
}

/* No swap device, --no-setup: the swap labs cannot run (and say why). */
TEST_F_TIMEOUT(lab, no_swap_cannot_run, 120)
{
	struct sysstate after;
	char line[256], dev[128];
	const char *ids[] = { "m7", "m8" };
	struct run r;
	FILE *f;
	size_t i;

	/* turn off any swap device (put back in the teardown) */
	f = fopen("/proc/swaps", "re");
	if (f && fgets(line, sizeof(line), f))
		while (fgets(line, sizeof(line), f) && self->nswapped_off < 4)
			if (sscanf(line, "%127s", dev) == 1) {
				if (swapoff(dev))
					SKIP(return, "cannot swapoff %s", dev);
				snprintf(self->swapped_off[self->nswapped_off++],
					 sizeof(self->swapped_off[0]), "%s", dev);
			}
	if (f)
		fclose(f);
	snap(&self->before);
	ASSERT_EQ(0, run_lab(&r, "paging-file replacement --no-setup --json"));
	EXPECT_EQ(0, r.status);
	ASSERT_EQ(2, r.n);
	for (i = 0; i < 2; i++) {
		json_object *d = find_doc(&r, ids[i]);

		ASSERT_NE(NULL, d);
		EXPECT_STREQ("cannot-run", str_of(d, "status"));
		EXPECT_EQ(NULL, str_of(d, "verdict"));
		EXPECT_NE(NULL, strstr(str_of(d, "reason"), "swap"));
		TH_LOG("%s: cannot run: %s", ids[i], str_of(d, "reason"));
	}
	run_free(&r);
	/* the text: the reason a space apart from its label */
	ASSERT_EQ(0, run_lab(&r, "paging-file --no-setup"));
	ASSERT_NE(NULL, r.text);
	EXPECT_NE(NULL, strstr(r.text, "\n  cannot run  no swap device")) TH_LOG("%s", r.text);
	run_free(&r);
	snap(&after);
	EXPECT_SAME_STATE(&self->before, &after);
}

/* A SIGTERM while the zram swap and the cgroup exist undoes both. */
TEST_F_TIMEOUT(lab, signal_restores_everything, 120)
{
	struct sysstate after;
	bool seen = false;
	pid_t pid;
	int i, st;

	{
		const char *nl = strchr(self->before.swaps, '\n');

		if (nl && nl[1])
			SKIP(return, "a swap device is active: the lab would make none");
	}
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 1);
		execlp(bin(), bin(), "lab", "replacement", (char *)NULL);
		_exit(127);
	}
	/* wait until the lab has made its swap device and moved its child */
	for (i = 0; i < 1200 && !seen; i++) {
		struct sysstate s;

		usleep(50000);
		snap(&s);
		seen = strcmp(s.swaps, self->before.swaps) && strstr(s.cgroup, "ptscope-lab");
	}
	kill(pid, SIGTERM);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_TRUE(seen);
	EXPECT_TRUE(WIFSIGNALED(st));
	if (WIFSIGNALED(st))
		EXPECT_EQ(SIGTERM, WTERMSIG(st));
	snap(&after);
	EXPECT_SAME_STATE(&self->before, &after);
}

/* Names, aliases, --list, a bad name, and the text report. */
static size_t arr_len(json_object *o, const char *key)
{
	json_object *a;

	if (!o || !json_object_object_get_ex(o, key, &a) ||
	    !json_object_is_type(a, json_type_array))
		return 0;
	return json_object_array_length(a);
}

static size_t notes_len(json_object *doc)
{
	json_object *obs;

	if (!doc || !json_object_object_get_ex(doc, "observed", &obs))
		return 0;
	return arr_len(obs, "notes");
}

/*
 * -v: every lab shows the evidence it read (walks with their raw entries
 * and frames, translations, page-table costs, fault counters and their
 * deltas) under "evidence", and keeps every plain observation.  Each
 * evidence line of a present PTE gives the raw entry and its frame: bits
 * 12-51 of the one must be the other.  (The child is gone when the lab
 * ends, so its frames cannot be compared with its pagemap here; walk_test
 * compares the walk with pagemap.)
 */
TEST_F_TIMEOUT(lab, verbose_adds_evidence, 900)
{
	struct run plain, verb;
	size_t checked = 0;
	int i;

	ASSERT_EQ(0, run_lab(&plain, "--json"));
	ASSERT_EQ(0, run_lab(&verb, "-v --json"));
	EXPECT_EQ(0, verb.status);
	EXPECT_EQ(0, verb.bad_lines);
	ASSERT_EQ(NR_LABS, plain.n);
	ASSERT_EQ(NR_LABS, verb.n);
	for (i = 0; i < NR_LABS; i++) {
		const char *id = str_of(plain.doc[i], "id");
		json_object *v = find_doc(&verb, id), *ev, *e;
		size_t j;

		ASSERT_NE(NULL, v) TH_LOG("%s missing from the -v run", id);
		EXPECT_FALSE(json_object_object_get_ex(plain.doc[i], "evidence", &e))
			TH_LOG("%s: evidence without -v", id);
		EXPECT_EQ(notes_len(plain.doc[i]), notes_len(v))
			TH_LOG("%s: -v changed the observations", id);
		EXPECT_GE(arr_len(v, "evidence"), 1) TH_LOG("%s: no evidence with -v", id);
		if (!json_object_object_get_ex(v, "evidence", &ev))
			continue;
		/* the trace: a line per step, then at most 16 of its events */
		if (is_traced(id) && have_btf()) {
			json_object *steps = at(at(at(v, "observed"), "trace"), "steps");
			size_t nstep = 0, nev = 0, more = 0, k;

			for (j = 0; j < arr_len(v, "evidence"); j++) {
				const char *line = json_object_get_string(
					json_object_array_get_idx(ev, j));

				if (!strncmp(line, "trace of step '", 15)) {
					nstep++;
					nev = 0;
				} else if (nstep && !strncmp(line, "  0x", 4)) {
					EXPECT_GE(16, ++nev) TH_LOG("%s: %s", id, line);
				} else if (strstr(line, "more events of this step")) {
					more++;
				}
			}
			ASSERT_NE(NULL, steps);
			EXPECT_EQ(json_object_array_length(steps), nstep) TH_LOG("%s", id);
			for (k = 0; k < json_object_array_length(steps); k++) {
				json_object *st = json_object_array_get_idx(steps, k);

				more -= int_at(st, "faults") + int_at(st, "retry") > 16;
			}
			EXPECT_EQ(0, more)
				TH_LOG("%s: a step over 16 events says how many more", id);
		}
		for (j = 0; j < arr_len(v, "evidence"); j++) {
			const char *line = json_object_get_string(json_object_array_get_idx(ev, j));
			unsigned long long entry, pfn;
			const char *p = strstr(line, " pte entry=0x");

			if (!p || sscanf(p, " pte entry=0x%llx pfn=0x%llx", &entry, &pfn) != 2)
				continue;
			EXPECT_EQ(pfn, (entry & 0x000ffffffffff000ULL) >> 12)
				TH_LOG("%s: %s", id, line);
			checked++;
		}
	}
	TH_LOG("%zu present PTEs in the evidence: raw entry and frame agree", checked);
	EXPECT_GT(checked, 0);
	run_free(&plain);
	run_free(&verb);

	/* the text: the same sections, and an evidence section with -v */
	ASSERT_EQ(0, run_lab(&plain, "m3"));
	ASSERT_EQ(0, run_lab(&verb, "m3 -v"));
	ASSERT_NE(NULL, plain.text);
	ASSERT_NE(NULL, verb.text);
	EXPECT_EQ(NULL, strstr(plain.text, "\n  evidence  "));
	EXPECT_NE(NULL, strstr(verb.text, "\n  evidence  - "));
	EXPECT_NE(NULL, strstr(verb.text, "walk of pid "));
	EXPECT_NE(NULL, strstr(verb.text, " pte entry=0x"));
	EXPECT_NE(NULL, strstr(verb.text, "faults of pid "));
	{
		static const char *const labels[] = {
			"\n  claim     ", "\n  did       1.", "\n  observed  - ",
			"\n  verdict   ", "\n  linux     ",
		};
		size_t k;

		for (k = 0; k < sizeof(labels) / sizeof(labels[0]); k++) {
			EXPECT_NE(NULL, strstr(plain.text, labels[k]));
			EXPECT_NE(NULL, strstr(verb.text, labels[k]));
		}
	}
	run_free(&plain);
	run_free(&verb);

	/* --predict: no lab runs, no verdict */
	ASSERT_EQ(0, run_lab(&plain, "--predict"));
	EXPECT_EQ(0, plain.status);
	EXPECT_EQ(NULL, strstr(plain.text, "# running"));
	EXPECT_EQ(NULL, strstr(plain.text, "verdict"));
	run_free(&plain);
}

/*
 * A kernel without BTF: the labs on faults run as before and say that
 * they ran without the tracer.  BTF is hidden from one run by a tmpfs over
 * /sys/kernel/btf in a mount namespace of its own.
 */
/* observed.KEY as an array of integers into V (at most N): its length, or -1. */
static int ev_ints(json_object *doc, const char *key, long long *v, int n)
{
	json_object *a = at(at(doc, "observed"), key);
	int i, len;

	if (!a || !json_object_is_type(a, json_type_array))
		return -1;
	len = (int)json_object_array_length(a);
	for (i = 0; i < len && i < n; i++)
		v[i] = json_object_get_int64(json_object_array_get_idx(a, i));
	return len;
}

/*
 * M18: the child reads 16 pages a tick, the halves of 32-page region A in
 * turn for 6 ticks, then of B.  The accessed bits must show exactly that:
 * W(t, 1) = 16 every tick (A's pages first, then B's), W(t, 4) = 32 (A),
 * 64 (A's 32 and B's 32: the switch), 32 (B); no page differs from the
 * pages read.  Run twice: the same numbers (not luck with the TLB).
 */
TEST_F_TIMEOUT(lab, working_set_window_follows_phases, 300)
{
	static const long long w4[] = { 32, 64, 32 }, a4[] = { 32, 32, 0 }, b4[] = { 0, 32, 32 };
	long long v[16], m[16];
	struct run r;
	int run, i;

	for (run = 0; run < 2; run++) {
		json_object *d;

		ASSERT_EQ(0, run_lab(&r, "m18 --json"));
		EXPECT_EQ(0, r.status);
		ASSERT_EQ(1, r.n);
		d = find_doc(&r, "m18");
		ASSERT_NE(NULL, d);
		EXPECT_STREQ("ran", str_of(d, "status"));
		EXPECT_STREQ("holds with a difference", str_of(d, "verdict"))
			TH_LOG("%s", str_of(d, "explanation"));
		EXPECT_EQ(0, ev_int(d, "pages_differing"));
		ASSERT_EQ(12, ev_ints(d, "w_tau1", v, 16));
		ASSERT_EQ(12, ev_ints(d, "model_tau1", m, 16));
		for (i = 0; i < 12; i++) {
			EXPECT_EQ(16, v[i]) TH_LOG("tick %d", i + 1);
			EXPECT_EQ(m[i], v[i]);
		}
		ASSERT_EQ(12, ev_ints(d, "a_tau1", v, 16));
		for (i = 0; i < 12; i++)
			EXPECT_EQ(i < 6 ? 16 : 0, v[i]) TH_LOG("tick %d: A", i + 1);
		ASSERT_EQ(3, ev_ints(d, "w_tau4", v, 16));
		ASSERT_EQ(3, ev_ints(d, "model_tau4", m, 16));
		for (i = 0; i < 3; i++) {
			EXPECT_EQ(w4[i], v[i]) TH_LOG("window %d", i + 1);
			EXPECT_EQ(m[i], v[i]);
		}
		ASSERT_EQ(3, ev_ints(d, "a_tau4", v, 16));
		for (i = 0; i < 3; i++)
			EXPECT_EQ(a4[i], v[i]) TH_LOG("window %d: A", i + 1);
		ASSERT_EQ(3, ev_ints(d, "b_tau4", v, 16));
		for (i = 0; i < 3; i++)
			EXPECT_EQ(b4[i], v[i]) TH_LOG("window %d: B", i + 1);
		/* the child's own code and stack were used too */
		EXPECT_GT(ev_int(d, "others_accessed"), 0);
		TH_LOG("run %d: %s; others %lld", run + 1, str_of(d, "summary"),
		       ev_int(d, "others_accessed"));
		run_free(&r);
	}
}

TEST_F_TIMEOUT(lab, trace_falls_back_without_btf, 120)
{
	json_object *obs, *notes;
	const char *why, *last;
	struct run r;

	if (!have_btf())
		SKIP(return, "no BTF here: every run falls back (all_labs_run checks it)");
	ASSERT_EQ(0, run_lab_in(&r, "unshare -m sh -c 'mount -t tmpfs ptscope-no-btf "
				"/sys/kernel/btf && exec \"$@\"' sh", "m4 --json"));
	EXPECT_EQ(0, r.status);
	ASSERT_EQ(1, r.n);
	EXPECT_STREQ("ran", str_of(r.doc[0], "status"));
	EXPECT_TRUE(is_verdict(str_of(r.doc[0], "verdict")));
	obs = at(r.doc[0], "observed");
	EXPECT_EQ(NULL, at(obs, "trace"));
	why = str_of(obs, "trace_unavailable");
	ASSERT_NE(NULL, why);
	EXPECT_NE(NULL, strstr(why, "BTF")) TH_LOG("%s", why);
	notes = at(obs, "notes");
	ASSERT_NE(NULL, notes);
	last = json_object_get_string(json_object_array_get_idx(notes,
					json_object_array_length(notes) - 1));
	EXPECT_EQ(0, strncmp("trace: not used: ", last, 17)) TH_LOG("%s", last);
	/* the lab's own counts are still there */
	EXPECT_NE(NULL, at(obs, "faults_reads"));
	TH_LOG("%s", last);
	run_free(&r);
}

TEST_F_TIMEOUT(lab, names_and_text, 120)
{
	struct run r;
	char *p;
	int n = 0;

	ASSERT_EQ(0, run_lab(&r, "--list --json"));
	EXPECT_EQ(0, r.status);
	EXPECT_EQ(NR_LABS, r.n);
	run_free(&r);

	ASSERT_EQ(0, run_lab(&r, "no-such-lab 2>/dev/null"));
	EXPECT_EQ(2, r.status);
	run_free(&r);

	/* --no-trace: no trace evidence, no word about the tracer */
	ASSERT_EQ(0, run_lab(&r, "cow M11 copy-on-write --no-trace --json"));
	EXPECT_EQ(0, r.status);
	ASSERT_EQ(1, r.n);
	EXPECT_STREQ("m11", str_of(r.doc[0], "id"));
	{
		json_object *obs = at(r.doc[0], "observed"), *notes = at(obs, "notes");
		size_t i;

		EXPECT_STREQ("ran", str_of(r.doc[0], "status"));
		EXPECT_EQ(NULL, at(obs, "trace"));
		EXPECT_EQ(NULL, at(obs, "trace_unavailable"));
		for (i = 0; notes && i < json_object_array_length(notes); i++)
			EXPECT_NE(0, strncmp("trace:", json_object_get_string(
				json_object_array_get_idx(notes, i)), 6));
	}
	run_free(&r);

	ASSERT_EQ(0, run_lab(&r, "demand-paging"));
	EXPECT_EQ(0, r.status);
	ASSERT_NE(NULL, r.text);
	for (p = r.text; (p = strstr(p, "\n  verdict ")); p++)
		n++;
	EXPECT_EQ(1, n);
	EXPECT_NE(NULL, strstr(r.text, "== M4 demand-paging =="));
	EXPECT_NE(NULL, strstr(r.text, "== Verdicts"));
	EXPECT_NE(NULL, strstr(r.text, "\nm4 "));
	run_free(&r);
}

TEST_HARNESS_MAIN
