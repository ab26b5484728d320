// SPDX-License-Identifier: GPL-2.0
/*
 * tools/bench/bench: ptscope performance benchmark (run as root in a guest
 * with ptscope.ko loaded; tools/bench/run-host boots one).
 *
 *   bench [--dense MiB] [--sizes MiB,MiB,...] [--reps N] [--out DIR]
 *         [--cli PATH] [--fault-mib MiB] [--fault-rounds N]
 *         [--wss-mib MiB] [--wss-interval S] [--wss-rounds N]
 *         [--fmt-mib MiB] [--sections walk,faults,memory,sparse,wss,format]
 *
 * Sections: dense walk (records, walk text, CLI --json, pagemap,
 * PAGEMAP_SCAN, the compact stream), sparse vs packed, scaling, fault-path
 * overhead (with the floor of an fentry/fexit tracer: empty programs),
 * memory, what working-set sampling costs the target (wss), the CLI's text
 * and JSON writers against one fwrite() of their output (format).
 * Prints a table, writes DIR/results.csv and DIR/scaling.svg.  Targets
 * are reported as met or missed; a missed target never fails the run.
 *
 * Internal: bench workload ANON_MIB FILE FILE_MIB ROUNDS TRACK RESULT
 * (the fault-heavy workload, timed by itself).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <linux/types.h>
#include <linux/ptscope.h>
#include "libptscope.h"
#include "walkfmt.h"
#include "walkfmt_ref.h"
#include "benchfloor.skel.h"

/* PAGEMAP_SCAN UAPI (linux/fs.h, 6.7+), in case the host headers lack it. */
#ifndef PAGEMAP_SCAN
struct page_region {
	__u64 start;
	__u64 end;
	__u64 categories;
};

struct pm_scan_arg {
	__u64 size;
	__u64 flags;
	__u64 start;
	__u64 end;
	__u64 walk_end;
	__u64 vec;
	__u64 vec_len;
	__u64 max_pages;
	__u64 category_inverted;
	__u64 category_mask;
	__u64 category_anyof_mask;
	__u64 return_mask;
};

#define PAGEMAP_SCAN		_IOWR('f', 16, struct pm_scan_arg)
#define PAGE_IS_WPALLOWED	(1 << 0)
#define PAGE_IS_WRITTEN		(1 << 1)
#define PAGE_IS_FILE		(1 << 2)
#define PAGE_IS_PRESENT		(1 << 3)
#define PAGE_IS_SWAPPED		(1 << 4)
#define PAGE_IS_PFNZERO		(1 << 5)
#define PAGE_IS_HUGE		(1 << 6)
#define PAGE_IS_SOFT_DIRTY	(1 << 7)
#endif

#define PAGE		4096UL
#define MIB		(1024UL * 1024)
#define READ_BUF	(1024 * 1024)
#define MAX_REPS	64
#define MAX_SIZES	16

static const char *out_dir = ".";
static const char *cli = "tools/ptscope/ptscope";
static const char *self_path;
static int reps = 5;
static FILE *csv;
static char *rbuf;

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "bench: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(2);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* ---- statistics ------------------------------------------------------- */

struct stat3 {
	double med, min, max;
	int n;
};

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static struct stat3 stats(const double *v, int n)
{
	double s[MAX_REPS];
	struct stat3 r = { 0, 0, 0, n };

	if (n <= 0)
		return r;
	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_dbl);
	r.min = s[0];
	r.max = s[n - 1];
	r.med = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	return r;
}

static void csv_row(const char *section, const char *name, double param,
		    struct stat3 st, const char *unit, const char *extra)
{
	fprintf(csv, "%s,%s,%g,%.6g,%.6g,%.6g,%d,%s,%s\n", section, name, param,
		st.med, st.min, st.max, st.n, unit, extra ? extra : "");
	fflush(csv);
}

/* ---- targets ------------------------------------------------------------ */

struct target {
	pid_t pid;
	int go;			/* write end: closing it lets the child exit */
	uint64_t start, end;	/* the mapping */
	uint64_t pages;		/* resident pages placed */
	bool whole;		/* walks cover the whole process, not the mapping */
};

enum layout { DENSE, SPARSE };

#define SPARSE_PAGES	1000
#define SPARSE_SPAN	(64ULL << 40)	/* 64 TiB: the widest span */

static void target_child(enum layout lay, size_t bytes, int rep, int go)
{
	uint64_t msg[3];
	char *p;
	size_t i;
	int fd;

	/*
	 * Drop what was inherited, above all the "go" pipes of targets
	 * spawned before: holding one would keep that target alive after the
	 * parent closes its end, and stop_target() would wait forever.
	 */
	for (fd = 3; fd < 1024; fd++)
		if (fd != rep && fd != go)
			close(fd);

	if (lay == SPARSE) {
		/* SPARSE_PAGES pages spread evenly over a span of BYTES */
		uint64_t span = bytes ? bytes : SPARSE_SPAN;
		uint64_t stride = (span / SPARSE_PAGES) & ~(PAGE - 1);

		p = mmap(NULL, span, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p == MAP_FAILED)
			_exit(3);
		madvise(p, span, MADV_NOHUGEPAGE);
		for (i = 0; i < SPARSE_PAGES; i++)
			p[i * stride] = 1;
		msg[1] = (uint64_t)(uintptr_t)p + span;
		msg[2] = SPARSE_PAGES;
	} else {
		p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p == MAP_FAILED)
			_exit(3);
		madvise(p, bytes, MADV_NOHUGEPAGE);
		for (i = 0; i < bytes; i += PAGE)
			p[i] = (char)(i >> 12);
		msg[1] = (uint64_t)(uintptr_t)p + bytes;
		msg[2] = bytes / PAGE;
	}
	msg[0] = (uint64_t)(uintptr_t)p;
	if (write(rep, msg, sizeof(msg)) != sizeof(msg))
		_exit(4);
	close(rep);
	/* Wait until the parent closes its end. */
	while (read(go, msg, 1) > 0)
		;
	_exit(0);
}

static struct target spawn_target(enum layout lay, size_t bytes)
{
	int rp[2], gp[2];
	uint64_t msg[3];
	struct target t;

	if (pipe(rp) || pipe(gp))
		die("pipe: %s", strerror(errno));
	t.pid = fork();
	if (t.pid < 0)
		die("fork: %s", strerror(errno));
	if (t.pid == 0) {
		close(rp[0]);
		close(gp[1]);
		target_child(lay, bytes, rp[1], gp[0]);
	}
	close(rp[1]);
	close(gp[0]);
	if (read(rp[0], msg, sizeof(msg)) != sizeof(msg))
		die("target did not start (layout %d, %zu bytes)", lay, bytes);
	close(rp[0]);
	t.go = gp[1];
	t.start = msg[0];
	t.end = msg[1];
	t.pages = msg[2];
	t.whole = false;
	return t;
}

static void stop_target(struct target *t)
{
	close(t->go);
	waitpid(t->pid, NULL, 0);
}

/* ---- walk methods --------------------------------------------------------- */

static int open_session(const char *file, const struct target *t,
			const char *more)
{
	char path[256], req[128];
	int fd, n;

	snprintf(path, sizeof(path), "%s/%s", pts_dir(), file);
	fd = open(path, O_RDWR);
	if (fd < 0)
		die("%s: %s", path, strerror(errno));
	if (t->whole)
		n = snprintf(req, sizeof(req), "pid=%d%s", t->pid, more);
	else
		n = snprintf(req, sizeof(req), "pid=%d range=0x%" PRIx64 "-0x%" PRIx64 "%s",
			     t->pid, t->start, t->end, more);
	if (write(fd, req, n) != n)
		die("%s: request: %s", path, strerror(errno));
	return fd;
}

/* Non-empty entries of a compact stream's PTES record (not decoded). */
static uint64_t ptes_entries(const struct ptscope_ptes *p, uint64_t none_mask)
{
	unsigned int stride = p->flags & PTSCOPE_PTES_FACTS ? 2 : 1, i;
	uint64_t n = 0;

	if (p->flags & PTSCOPE_PTES_RUNS) {
		for (i = 0; i < p->count; i++)
			n += p->e[2 * i] & none_mask ? p->e[2 * i + 1] : 0;
		return n;
	}
	for (i = 0; i < p->count; i++)
		n += !!(p->e[i * stride] & none_mask);
	return n;
}

/* (a) binary records: leaf entries (sum of counts, or non-empty raw entries). */
static uint64_t read_records(const struct target *t, const char *more)
{
	int fd = open_session("records", t, more);
	size_t have = 0, off;
	uint64_t entries = 0, none_mask = ~0ULL;
	ssize_t n;

	for (;;) {
		n = read(fd, rbuf + have, READ_BUF - have);
		if (n < 0)
			die("records read: %s", strerror(errno));
		if (n == 0)
			break;
		have += n;
		off = 0;
		while (have - off >= sizeof(struct ptscope_rec_hdr)) {
			const struct ptscope_rec_hdr *h = (const void *)(rbuf + off);

			if (h->size < sizeof(*h))
				die("records: bad record size %u", h->size);
			if (have - off < h->size)
				break;
			if (h->type == PTSCOPE_REC_LEAF)
				entries += ((const struct ptscope_leaf *)h)->count;
			else if (h->type == PTSCOPE_REC_LAYOUT)
				none_mask = ((const struct ptscope_layout *)h)->none_mask;
			else if (h->type == PTSCOPE_REC_PTES)
				entries += ptes_entries((const void *)h, none_mask);
			off += h->size;
		}
		memmove(rbuf, rbuf + off, have - off);
		have -= off;
	}
	close(fd);
	return entries;
}

static uint64_t m_records(const struct target *t)
{
	return read_records(t, "");
}

/* (a') the same, coalesced: runs of equal entries on consecutive frames. */
static uint64_t m_records_coalesce(const struct target *t)
{
	return read_records(t, " coalesce");
}

/* (a'') the compact stream: raw entries, 8 bytes each (16 with facts). */
static uint64_t m_compact(const struct target *t)
{
	return read_records(t, " compact");
}

static uint64_t m_compact_facts(const struct target *t)
{
	return read_records(t, " compact facts");
}

/* (a''') compact coalesce: (entry, n) runs of equal entries, consecutive frames. */
static uint64_t m_compact_coalesce(const struct target *t)
{
	return read_records(t, " compact coalesce");
}

/* (b) text walk: leaf lines (they start with two spaces). */
static uint64_t m_text(const struct target *t)
{
	int fd = open_session("walk", t, "");
	uint64_t lines = 0;
	int col = 0, c0 = 0, c1 = 0;
	ssize_t n, i;

	while ((n = read(fd, rbuf, READ_BUF)) > 0) {
		for (i = 0; i < n; i++) {
			char c = rbuf[i];

			if (c == '\n') {
				col = 0;
				continue;
			}
			if (col == 0)
				c0 = c;
			else if (col == 1)
				c1 = c;
			else if (col == 2 && c0 == ' ' && c1 == ' ')
				lines++;
			col++;
		}
	}
	if (n < 0)
		die("walk read: %s", strerror(errno));
	close(fd);
	return lines;
}

static long last_cli_maxrss_kb;

/*
 * `ptscope walk PID --range R [--json] > OUT`, fork to exit; dies if it
 * fails.  Its peak RSS in *MAXRSS_KB if not NULL.
 */
static void run_cli_walk(const struct target *t, const char *out, bool json,
			 long *maxrss_kb)
{
	char pid[16], range[64];
	struct rusage ru;
	int status;
	pid_t c;

	snprintf(pid, sizeof(pid), "%d", t->pid);
	snprintf(range, sizeof(range), "0x%" PRIx64 "-0x%" PRIx64, t->start, t->end);
	c = fork();
	if (c < 0)
		die("fork: %s", strerror(errno));
	if (c == 0) {
		int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (fd < 0)
			_exit(126);
		dup2(fd, 1);
		execl(cli, cli, "walk", pid, "--range", range, json ? "--json" : NULL,
		      (char *)NULL);
		_exit(127);
	}
	if (wait4(c, &status, 0, &ru) < 0)
		die("wait4: %s", strerror(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		die("%s walk failed (status 0x%x)", cli, status);
	if (maxrss_kb)
		*maxrss_kb = ru.ru_maxrss;
}

/* (c) ptscope walk --json > /dev/null; entries unknown (returns 0). */
static uint64_t m_cli(const struct target *t)
{
	run_cli_walk(t, "/dev/null", true, &last_cli_maxrss_kb);
	return 0;
}

static int open_pagemap(pid_t pid)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		die("%s: %s", path, strerror(errno));
	return fd;
}

/* (d) /proc/PID/pagemap read over the range: present entries. */
static uint64_t m_pagemap(const struct target *t)
{
	int fd = open_pagemap(t->pid);
	uint64_t va, entries = 0, *e = (uint64_t *)rbuf;
	size_t per = READ_BUF / 8, i;

	for (va = t->start; va < t->end; va += per * PAGE) {
		size_t want = (t->end - va) / PAGE;
		ssize_t n;

		if (want > per)
			want = per;
		n = pread(fd, e, want * 8, (off_t)(va / PAGE * 8));
		if (n < 0)
			die("pagemap pread: %s", strerror(errno));
		for (i = 0; i < (size_t)n / 8; i++)
			entries += e[i] >> 63;
	}
	close(fd);
	return entries;
}

/* (e) PAGEMAP_SCAN over the range: pages in present/swapped regions. */
static uint64_t m_scan(const struct target *t)
{
	int fd = open_pagemap(t->pid);
	struct page_region *vec = (struct page_region *)rbuf;
	size_t vlen = READ_BUF / sizeof(*vec);
	uint64_t entries = 0, start = t->start;

	while (start < t->end) {
		struct pm_scan_arg a = {
			.size = sizeof(a),
			.start = start,
			.end = t->end,
			.vec = (uint64_t)(uintptr_t)vec,
			.vec_len = vlen,
			.category_anyof_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
			.return_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED | PAGE_IS_FILE |
				       PAGE_IS_PFNZERO | PAGE_IS_HUGE | PAGE_IS_SOFT_DIRTY |
				       PAGE_IS_WRITTEN,
		};
		long n = ioctl(fd, PAGEMAP_SCAN, &a);
		long i;

		if (n < 0)
			die("PAGEMAP_SCAN: %s", strerror(errno));
		for (i = 0; i < n; i++)
			entries += (vec[i].end - vec[i].start) / PAGE;
		if (a.walk_end <= start)
			break;
		start = a.walk_end;
	}
	close(fd);
	return entries;
}

typedef uint64_t (*method_fn)(const struct target *);

struct method {
	const char *name;
	method_fn fn;
};

static const struct method methods[] = {
	{ "records", m_records },
	{ "walk-text", m_text },
	{ "cli-json", m_cli },
	{ "pagemap", m_pagemap },
	{ "pagemap-scan", m_scan },
	{ "records-coalesce", m_records_coalesce },
	{ "compact", m_compact },
	{ "compact-facts", m_compact_facts },
	{ "compact-coalesce", m_compact_coalesce },
};

#define NR_METHODS	(int)(sizeof(methods) / sizeof(methods[0]))
#define M_RECORDS	0
#define M_TEXT		1
#define M_CLI		2
#define M_PAGEMAP	3
#define M_SCAN		4
#define M_RECORDS_CO	5
#define M_COMPACT	6
#define M_COMPACT_FACTS	7
#define M_COMPACT_CO	8

/* Time METHOD on T, REPS times, interleaved with the others by the caller. */
static double time_once(int m, const struct target *t, uint64_t *entries)
{
	uint64_t t0 = now_ns(), n;

	n = methods[m].fn(t);
	if (entries)
		*entries = n;
	return (double)(now_ns() - t0);
}

/* ---- sections --------------------------------------------------------- */

struct size_result {
	unsigned long mib;
	struct stat3 st[NR_METHODS];
	uint64_t entries[NR_METHODS];
	long cli_rss_kb;
};

static void measure_size(unsigned long mib, int with_cli, struct size_result *r)
{
	struct target t = spawn_target(DENSE, mib * MIB);
	double v[NR_METHODS][MAX_REPS];
	long maxrss = 0;
	int m, i;

	r->mib = mib;
	memset(r->entries, 0, sizeof(r->entries));
	for (i = 0; i < reps; i++) {
		for (m = 0; m < NR_METHODS; m++) {
			if (m == M_CLI && !with_cli)
				continue;
			v[m][i] = time_once(m, &t, &r->entries[m]);
			if (m == M_CLI && last_cli_maxrss_kb > maxrss)
				maxrss = last_cli_maxrss_kb;
		}
	}
	for (m = 0; m < NR_METHODS; m++) {
		char extra[64];

		if (m == M_CLI && !with_cli) {
			r->st[m].n = 0;
			continue;
		}
		r->st[m] = stats(v[m], reps);
		snprintf(extra, sizeof(extra), "entries=%" PRIu64 " expected=%" PRIu64,
			 r->entries[m], t.pages);
		csv_row("scaling", methods[m].name, mib, r->st[m], "ns", extra);
		if (m != M_CLI && r->entries[m] != t.pages)
			fprintf(stderr, "bench: warning: %s found %" PRIu64 " of %" PRIu64
				" entries at %lu MiB\n", methods[m].name, r->entries[m],
				t.pages, mib);
	}
	r->cli_rss_kb = maxrss;
	stop_target(&t);
}

static const char *met(int ok)
{
	return ok ? "MET" : "MISSED";
}

/* ---- memory ------------------------------------------------------------ */

struct memsnap {
	long slab_kb, vmalloc_kb;
	long pts_vmalloc;	/* bytes in /proc/vmallocinfo lines naming ptscope */
};

static struct memsnap memsnap(void)
{
	struct memsnap s = { 0, 0, 0 };
	char line[512];
	FILE *f = fopen("/proc/meminfo", "r");

	if (f) {
		while (fgets(line, sizeof(line), f)) {
			sscanf(line, "Slab: %ld", &s.slab_kb);
			sscanf(line, "VmallocUsed: %ld", &s.vmalloc_kb);
		}
		fclose(f);
	}
	f = fopen("/proc/vmallocinfo", "r");
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			long sz;

			if (strstr(line, "ptscope") && sscanf(line, "%*s %ld", &sz) == 1)
				s.pts_vmalloc += sz;
		}
		fclose(f);
	}
	return s;
}

static void memory_section(unsigned long mib)
{
	struct target t = spawn_target(DENSE, mib * MIB);
	struct memsnap before, during, after;
	long cli_rss_kb;
	int fd[2];
	char extra[128];
	struct stat3 st;

	fprintf(stderr, "bench: memory: CLI walk of %lu MiB\n", mib);
	m_cli(&t);
	cli_rss_kb = last_cli_maxrss_kb;
	before = memsnap();
	fd[0] = open_session("records", &t, "");
	fd[1] = open_session("walk", &t, "");
	if (read(fd[0], rbuf, 4096) < 0 || read(fd[1], rbuf, 4096) < 0)
		die("memory: read: %s", strerror(errno));
	during = memsnap();
	close(fd[0]);
	close(fd[1]);
	after = memsnap();
	stop_target(&t);

	printf("\n== Memory (walk of %lu MiB) ==\n", mib);
	printf("CLI peak RSS (walk --json)  %ld KiB   target < 16384 KiB: %s\n",
	       cli_rss_kb, met(cli_rss_kb > 0 && cli_rss_kb < 16384));
	printf("%-28s %10s %10s %10s\n", "module memory", "before", "during", "after");
	printf("%-28s %10ld %10ld %10ld\n", "meminfo Slab (KiB)", before.slab_kb,
	       during.slab_kb, after.slab_kb);
	printf("%-28s %10ld %10ld %10ld\n", "meminfo VmallocUsed (KiB)",
	       before.vmalloc_kb, during.vmalloc_kb, after.vmalloc_kb);
	printf("%-28s %10ld %10ld %10ld\n", "vmallocinfo ptscope (bytes)",
	       before.pts_vmalloc, during.pts_vmalloc, after.pts_vmalloc);
	printf("(during = one records and one walk session open mid-walk)\n");

	st.n = 1;
	st.med = st.min = st.max = cli_rss_kb;
	csv_row("memory", "cli-peak-rss", mib, st, "KiB", "");
#define MEMROW(name, field) do { \
		snprintf(extra, sizeof(extra), "before=%ld during=%ld after=%ld", \
			 before.field, during.field, after.field); \
		st.med = st.min = st.max = during.field - before.field; \
		csv_row("memory", name, mib, st, "delta", extra); \
	} while (0)
	MEMROW("slab-kb", slab_kb);
	MEMROW("vmalloc-kb", vmalloc_kb);
	MEMROW("vmallocinfo-ptscope-bytes", pts_vmalloc);
#undef MEMROW
}

/* ---- fault workload ------------------------------------------------- */

static int workload(int argc, char **argv)
{
	unsigned long anon_mib, file_mib, rounds, r, i;
	const char *file, *result;
	struct pts_faults f = { 0 };
	struct rusage ru0, ru1;
	uint64_t t0, t1;
	volatile char sink = 0;
	int track, fd;
	FILE *o;

	if (argc != 8)
		die("workload ANON_MIB FILE FILE_MIB ROUNDS TRACK RESULT");
	anon_mib = strtoul(argv[2], NULL, 0);
	file = argv[3];
	file_mib = strtoul(argv[4], NULL, 0);
	rounds = strtoul(argv[5], NULL, 0);
	track = atoi(argv[6]);
	result = argv[7];

	fd = open(file, O_RDONLY);
	if (fd < 0)
		die("%s: %s", file, strerror(errno));
	if (track && pts_faults_ctl("track", getpid()))
		die("track failed");
	getrusage(RUSAGE_SELF, &ru0);
	t0 = now_ns();
	for (r = 0; r < rounds; r++) {
		char *a = mmap(NULL, anon_mib * MIB, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		char *fm = mmap(NULL, file_mib * MIB, PROT_READ, MAP_PRIVATE, fd, 0);

		if (a == MAP_FAILED || fm == MAP_FAILED)
			die("workload mmap: %s", strerror(errno));
		madvise(a, anon_mib * MIB, MADV_NOHUGEPAGE);
		for (i = 0; i < anon_mib * MIB; i += PAGE)
			a[i] = 1;
		for (i = 0; i < file_mib * MIB; i += PAGE)
			sink += fm[i];
		munmap(a, anon_mib * MIB);
		munmap(fm, file_mib * MIB);
	}
	t1 = now_ns();
	getrusage(RUSAGE_SELF, &ru1);
	if (track) {
		if (pts_faults_read(getpid(), &f))
			die("faults read failed");
		pts_faults_ctl("untrack", getpid());
	}
	o = fopen(result, "w");
	if (!o)
		die("%s: %s", result, strerror(errno));
	fprintf(o, "%" PRIu64 " %ld %llu %llu\n", t1 - t0, ru1.ru_minflt - ru0.ru_minflt,
		f.count[PTSCOPE_FC_FAULTS], f.missed);
	fclose(o);
	(void)sink;
	return 0;
}

enum fmode { F_BARE, F_COUNTERS, F_TRACE, F_BPFTRACE, F_FLOOR, NR_FMODES };
static const char *const fmode_name[] = { "bare", "counters", "ptscope-trace", "bpftrace",
					  "empty-fentry" };

/*
 * The floor of an fentry/fexit tracer: empty programs on the functions
 * faulttrace hooks (tools/bpf/benchfloor.bpf.c), attached around the
 * bare workload.  NULL if they cannot be loaded (no BTF, no root).
 */
static struct benchfloor_bpf *floor_attach(void)
{
	struct benchfloor_bpf *s = benchfloor_bpf__open();

	if (!s)
		return NULL;
	bpf_program__set_autoload(s->progs.floor_pf_user, false);
	if (benchfloor_bpf__load(s) || benchfloor_bpf__attach(s)) {
		benchfloor_bpf__destroy(s);
		return NULL;
	}
	return s;
}

/* Run the workload under MODE; returns its own elapsed ns; *lost set. */
static double run_fault(enum fmode mode, const char *file, unsigned long anon_mib,
			unsigned long file_mib, unsigned long rounds, long *minflt,
			long long *lost)
{
	char res[256], log[256], a1[32], a2[32], a3[32], cmdline[1024], line[512];
	unsigned long long faults = 0, missed = 0;
	struct benchfloor_bpf *fl = NULL;
	uint64_t ns = 0;
	int status;
	pid_t c;
	FILE *f;

	snprintf(res, sizeof(res), "/tmp/bench-fault.%d", getpid());
	snprintf(log, sizeof(log), "/tmp/bench-fault-log.%d", getpid());
	snprintf(a1, sizeof(a1), "%lu", anon_mib);
	snprintf(a2, sizeof(a2), "%lu", file_mib);
	snprintf(a3, sizeof(a3), "%lu", rounds);
	unlink(res);
	*lost = -1;
	if (mode == F_FLOOR) {
		fl = floor_attach();
		if (!fl) {
			fprintf(stderr, "bench: empty fentry/fexit: cannot load or attach\n");
			return -1;
		}
	}
	c = fork();
	if (c < 0)
		die("fork: %s", strerror(errno));
	if (c == 0) {
		int lfd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int nfd = open("/dev/null", O_WRONLY);

		dup2(mode == F_TRACE ? lfd : nfd, 1);
		dup2(lfd, 2);
		switch (mode) {
		case F_BARE:
		case F_COUNTERS:
		case F_FLOOR:
			execl(self_path, self_path, "workload", a1, file, a2, a3,
			      mode == F_COUNTERS ? "1" : "0", res, (char *)NULL);
			break;
		case F_TRACE:
			execl(cli, cli, "trace", "--summary", "--", self_path, "workload",
			      a1, file, a2, a3, "0", res, (char *)NULL);
			break;
		case F_BPFTRACE:
			snprintf(cmdline, sizeof(cmdline), "%s workload %s %s %s %s 0 %s",
				 self_path, a1, file, a2, a3, res);
			execlp("bpftrace", "bpftrace", "-e",
			       "tracepoint:exceptions:page_fault_user "
			       "{ printf(\"%lx %lx\\n\", args->address, args->error_code); }",
			       "-c", cmdline, (char *)NULL);
			break;
		default:
			break;
		}
		_exit(127);
	}
	waitpid(c, &status, 0);
	benchfloor_bpf__destroy(fl);
	f = fopen(res, "r");
	if (!f || fscanf(f, "%" SCNu64 " %ld %llu %llu", &ns, minflt, &faults, &missed) < 2) {
		fprintf(stderr, "bench: %s run gave no result (status 0x%x); log:\n",
			fmode_name[mode], status);
		if (f)
			fclose(f);
		snprintf(cmdline, sizeof(cmdline), "tail -5 %s >&2", log);
		if (system(cmdline) != 0)
			fprintf(stderr, "bench: (no log)\n");
		return -1;
	}
	fclose(f);
	if (mode == F_COUNTERS)
		*lost = missed;
	f = fopen(log, "r");
	while (f && fgets(line, sizeof(line), f)) {
		char *p;

		if (mode == F_TRACE && (p = strstr(line, "lost ")))
			*lost = strtoll(p + 5, NULL, 10);
		if (mode == F_BPFTRACE && (p = strstr(line, "Lost "))) {
			if (*lost < 0)
				*lost = 0;
			*lost += strtoll(p + 5, NULL, 10);
		}
	}
	if (f)
		fclose(f);
	if (mode == F_BPFTRACE && *lost < 0)
		*lost = 0;
	unlink(res);
	unlink(log);
	return (double)ns;
}

static void fault_section(unsigned long anon_mib, unsigned long file_mib,
			  unsigned long rounds)
{
	double v[NR_FMODES][MAX_REPS], pair[MAX_REPS];
	long long lost[NR_FMODES] = { -1, -1, -1, -1, -1 };
	struct stat3 st[NR_FMODES], ps;
	int npair = 0;
	char file[] = "/tmp/bench-file.XXXXXX", extra[128];
	long minflt = 0;
	int fd, i, m, nv[NR_FMODES] = { 0 };

	fd = mkstemp(file);
	if (fd < 0 || ftruncate(fd, file_mib * MIB))
		die("fault file: %s", strerror(errno));
	memset(rbuf, 0x5a, READ_BUF);
	for (i = 0; i < (int)(file_mib * MIB / READ_BUF); i++)
		if (write(fd, rbuf, READ_BUF) != READ_BUF)
			die("fault file write: %s", strerror(errno));
	close(fd);

	for (i = 0; i < reps; i++) {
		double this[NR_FMODES] = { -1, -1, -1, -1, -1 };

		for (m = 0; m < NR_FMODES; m++) {
			long long l;
			double ns = run_fault(m, file, anon_mib, file_mib, rounds, &minflt, &l);

			if (ns < 0)
				continue;
			this[m] = ns;
			v[m][nv[m]++] = ns;
			if (l > lost[m])
				lost[m] = l;
		}
		/* counters against the bare run just before it */
		if (this[F_BARE] > 0 && this[F_COUNTERS] > 0)
			pair[npair++] = this[F_COUNTERS] / this[F_BARE];
	}
	unlink(file);

	printf("\n== Fault-path overhead (%lu rounds of %lu MiB anon + %lu MiB file (tmpfs) "
	       "pages, %ld minor faults/run) ==\n", rounds, anon_mib, file_mib, minflt);
	printf("%-15s %12s %12s %12s %8s %10s\n", "mode", "median ms", "min ms", "max ms",
	       "x bare", "lost(max)");
	for (m = 0; m < NR_FMODES; m++) {
		st[m] = stats(v[m], nv[m]);
		if (!nv[m]) {
			printf("%-15s   (failed)\n", fmode_name[m]);
			continue;
		}
		printf("%-15s %12.1f %12.1f %12.1f %8.3f %10lld\n", fmode_name[m],
		       st[m].med / 1e6, st[m].min / 1e6, st[m].max / 1e6,
		       st[0].med ? st[m].med / st[0].med : 0, lost[m]);
		snprintf(extra, sizeof(extra), "ratio=%.4f lost=%lld minflt=%ld",
			 st[0].med ? st[m].med / st[0].med : 0, lost[m], minflt);
		csv_row("faults", fmode_name[m], anon_mib, st[m], "ns", extra);
	}
	/*
	 * The counters' cost is a few percent: against noise of the same
	 * size, judge it by the median of the ratios of interleaved pairs
	 * (bare, counters, ..., bare, counters), and show the spread: the
	 * pairs' ratios and the bare runs' own max/min.
	 */
	if (npair) {
		ps = stats(pair, npair);
		printf("counters/bare in %d interleaved pairs: median %.3fx, min %.3fx, "
		       "max %.3fx; bare runs' own spread (max/min) %.3fx\n", npair,
		       ps.med, ps.min, ps.max, st[F_BARE].min ? st[F_BARE].max / st[F_BARE].min : 0);
		printf("target: module counters <= 1.05x bare (median of pairs): %s (%.3fx)\n",
		       met(ps.med <= 1.05), ps.med);
		snprintf(extra, sizeof(extra), "pairs=%d bare_spread=%.4f", npair,
			 st[F_BARE].min ? st[F_BARE].max / st[F_BARE].min : 0);
		csv_row("faults", "counters-pair-ratio", anon_mib, ps, "ratio", extra);
	}
	if (nv[F_BARE] && nv[F_FLOOR])
		printf("floor: empty fentry/fexit on handle_mm_fault %.3fx bare\n",
		       st[F_FLOOR].med / st[F_BARE].med);
	if (nv[F_BARE] && nv[F_TRACE]) {
		printf("target: ptscope trace <= 1.25x bare: %s (%.3fx",
		       met(st[F_TRACE].med <= 1.25 * st[F_BARE].med),
		       st[F_TRACE].med / st[F_BARE].med);
		if (nv[F_FLOOR])
			printf("; floor %.3fx", st[F_FLOOR].med / st[F_BARE].med);
		printf(")\n");
	}
	if (nv[F_TRACE] && nv[F_BPFTRACE])
		printf("target: ptscope trace below bpftrace one-liner: %s (%.3fx vs %.3fx)\n",
		       met(st[F_TRACE].med < st[F_BPFTRACE].med),
		       st[F_TRACE].med / st[F_BARE].med, st[F_BPFTRACE].med / st[F_BARE].med);
}

/*
 * A walk's fixed cost: open, request (access check, mm pinned), session
 * buffer, header and END, close: a one-page walk, against a walk of
 * 64 MiB of 4K pages, interleaved.
 */
static void fixed_cost_section(void)
{
	double v[3][MAX_REPS];
	struct target t = spawn_target(DENSE, 64 * MIB), one;
	struct stat3 st[3];
	char extra[96];
	int i;

	one = t;
	one.end = one.start + PAGE;
	for (i = 0; i < reps; i++) {
		v[0][i] = time_once(M_RECORDS, &one, NULL);
		v[1][i] = time_once(M_RECORDS, &t, NULL);
		v[2][i] = time_once(M_PAGEMAP, &one, NULL);
	}
	stop_target(&t);
	st[0] = stats(v[0], reps);
	st[1] = stats(v[1], reps);
	st[2] = stats(v[2], reps);
	printf("\n== A walk's fixed cost (records) ==\n");
	printf("%-14s %11s %11s %11s\n", "walk", "median ms", "min ms", "max ms");
	printf("%-14s %11.3f %11.3f %11.3f\n", "one page", st[0].med / 1e6,
	       st[0].min / 1e6, st[0].max / 1e6);
	printf("%-14s %11.3f %11.3f %11.3f\n", "64 MiB", st[1].med / 1e6,
	       st[1].min / 1e6, st[1].max / 1e6);
	printf("%-14s %11.3f %11.3f %11.3f\n", "pagemap page", st[2].med / 1e6,
	       st[2].min / 1e6, st[2].max / 1e6);
	/*
	 * The floor: the access check alone is an open of /proc/PID/pagemap
	 * (the module makes it itself), which a pagemap reader pays too.
	 */
	printf("target: fixed cost (a one-page walk) <= 5%% of a 64 MiB walk: %s (%.1f%%; "
	       "floor: one-page pagemap open+read+close %.1f%%)\n",
	       met(st[0].med <= 0.05 * st[1].med), 100 * st[0].med / st[1].med,
	       100 * st[2].med / st[1].med);
	snprintf(extra, sizeof(extra), "percent_of_64MiB=%.2f", 100 * st[0].med / st[1].med);
	csv_row("fixed", "one-page", 1, st[0], "ns", extra);
	csv_row("fixed", "64MiB", 64, st[1], "ns", "");
	csv_row("fixed", "pagemap-one-page", 1, st[2], "ns", "");
}

/* 2: sparse vs packed, each walk in a child killed after SPARSE_TIMEOUT s. */
#define SPARSE_TIMEOUT	120

static int timed_walk(const struct target *t, double *ns, uint64_t *entries)
{
	struct pollfd pfd;
	double msg[2];
	int p[2], r;
	pid_t c;

	if (pipe(p))
		die("pipe: %s", strerror(errno));
	c = fork();
	if (c < 0)
		die("fork: %s", strerror(errno));
	if (c == 0) {
		uint64_t e = 0;

		close(p[0]);
		msg[0] = time_once(M_RECORDS, t, &e);
		msg[1] = (double)e;
		if (write(p[1], msg, sizeof(msg)) != sizeof(msg))
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	pfd.fd = p[0];
	pfd.events = POLLIN;
	r = poll(&pfd, 1, SPARSE_TIMEOUT * 1000);
	if (r <= 0 || read(p[0], msg, sizeof(msg)) != sizeof(msg)) {
		kill(c, SIGKILL);
		/* A walk that ignores SIGKILL: give up on it after 10 s. */
		for (r = 0; r < 100 && waitpid(c, NULL, WNOHANG) == 0; r++)
			usleep(100000);
		if (r == 100)
			fprintf(stderr, "bench: sparse walk (pid %d) ignores SIGKILL\n", c);
		close(p[0]);
		return -1;
	}
	waitpid(c, NULL, 0);
	close(p[0]);
	*ns = msg[0];
	*entries = (uint64_t)msg[1];
	return 0;
}

/*
 * Page-table pages of T's process (every level, as ptcost counts the
 * tables reached from its VMAs): what a whole-process walk must read.
 */
static uint64_t pt_tables(const struct target *t)
{
	uint64_t tables = 0;
	size_t have = 0, off = 0;
	int fd, n, l;

	if (!t->whole)
		die("ptcost: a whole-process target only (ptcost takes no range)");
	fd = open_session("records", t, " op=ptcost");
	while ((n = read(fd, rbuf + have, READ_BUF - have)) > 0)
		have += n;
	if (n < 0)
		die("ptcost read: %s", strerror(errno));
	close(fd);
	while (have - off >= sizeof(struct ptscope_rec_hdr)) {
		const struct ptscope_rec_hdr *h = (const void *)(rbuf + off);

		if (h->size < sizeof(*h) || have - off < h->size)
			break;
		if (h->type == PTSCOPE_REC_COST && h->size >= sizeof(struct ptscope_cost)) {
			const struct ptscope_cost *c = (const void *)h;

			for (l = 0; l < PTSCOPE_NR_LEVELS; l++)
				tables += c->tables[l];
		}
		off += h->size;
	}
	if (!tables)
		die("ptcost: no COST record");
	return tables;
}

/*
 * 2: what a walk costs per page-table page that exists.  SPARSE_PAGES
 * pages spread over 64 GiB (one PTE table each), 1 TiB (a PMD table
 * each too) and 64 TiB (and a PUD table per 8): a walk of the whole
 * process reads every entry of every table once, so its time divided by
 * the tables there should not depend on the span (the empty space between
 * is never visited).  Spans interleaved, each walk in a child killed
 * after SPARSE_TIMEOUT s.
 */
#define NR_SPANS	3

static void sparse_section(void)
{
	static const uint64_t span[NR_SPANS] = { 64ULL << 30, 1ULL << 40, SPARSE_SPAN };
	static const char *const name[NR_SPANS] = { "64 GiB", "1 TiB", "64 TiB" };
	double v[NR_SPANS][MAX_REPS], per[NR_SPANS], lo = 0, hi = 0;
	uint64_t tables[NR_SPANS], entries[NR_SPANS] = { 0 };
	struct target t[NR_SPANS];
	struct stat3 st[NR_SPANS];
	int i, k, n[NR_SPANS] = { 0 }, timedout = 0;
	char extra[160];

	fprintf(stderr, "bench: sparse: spawning targets\n");
	for (k = 0; k < NR_SPANS; k++) {
		t[k] = spawn_target(SPARSE, span[k]);
		t[k].whole = true;
		tables[k] = pt_tables(&t[k]);
	}
	fprintf(stderr, "bench: sparse: walking\n");
	for (i = 0; i < reps && !timedout; i++)
		for (k = 0; k < NR_SPANS && !timedout; k++) {
			if (!timed_walk(&t[k], &v[k][n[k]], &entries[k]))
				n[k]++;
			else
				timedout = 1;
		}
	for (k = 0; k < NR_SPANS; k++)
		stop_target(&t[k]);
	printf("\n== Sparse walks: %d pages spread over a span, whole process (records) ==\n",
	       SPARSE_PAGES);
	printf("%-8s %8s %11s %11s %11s %9s %14s\n", "span", "tables", "median ms",
	       "min ms", "max ms", "entries", "us per table");
	for (k = 0; k < NR_SPANS; k++) {
		st[k] = stats(v[k], n[k]);
		if (!n[k]) {
			printf("%-8s %8" PRIu64 "   timed out: a walk took more than %d s\n",
			       name[k], tables[k], SPARSE_TIMEOUT);
			continue;
		}
		per[k] = st[k].med / tables[k];
		if (!lo || per[k] < lo)
			lo = per[k];
		if (per[k] > hi)
			hi = per[k];
		printf("%-8s %8" PRIu64 " %11.3f %11.3f %11.3f %9" PRIu64 " %14.2f\n",
		       name[k], tables[k], st[k].med / 1e6, st[k].min / 1e6,
		       st[k].max / 1e6, entries[k], per[k] / 1e3);
		snprintf(extra, sizeof(extra), "tables=%" PRIu64 " entries=%" PRIu64
			 " ns_per_table=%.1f", tables[k], entries[k], per[k]);
		csv_row("sparse", name[k], (double)span[k], st[k], "ns", extra);
	}
	printf("target: time per page-table page flat across spans (max/min <= 1.5x): %s "
	       "(%s%.2fx)\n", met(!timedout && hi <= 1.5 * lo), timedout ? "> " : "",
	       lo ? hi / lo : 0);
}

/* ---- plot --------------------------------------------------------------- */

static void plot(const struct size_result *r, int n)
{
	static const char *const colour[] = { "#1f77b4", "#d62728", "#9467bd",
					      "#2ca02c", "#ff7f0e", "#8c564b",
					      "#17becf", "#e377c2", "#7f7f7f" };

	_Static_assert(sizeof(colour) / sizeof(colour[0]) >= NR_METHODS,
		       "a colour for every method");
	const int W = 720, H = 440, L = 70, R = 160, T = 40, B = 50;
	double ymax = 0, x0, x1;
	char path[512];
	int i, m;
	FILE *f;

	if (n < 1)
		return;
	for (i = 0; i < n; i++)
		for (m = 0; m < NR_METHODS; m++)
			if (r[i].st[m].n && r[i].st[m].max / (r[i].mib * MIB / PAGE) > ymax)
				ymax = r[i].st[m].max / (r[i].mib * MIB / PAGE);
	if (ymax <= 0)
		return;
	ymax *= 1.1;
	x0 = __builtin_log2(r[0].mib);
	x1 = __builtin_log2(r[n - 1].mib);
	if (x1 <= x0)
		x1 = x0 + 1;
	snprintf(path, sizeof(path), "%s/scaling.svg", out_dir);
	f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "bench: %s: %s\n", path, strerror(errno));
		return;
	}
#define X(mib) (L + (__builtin_log2(mib) - x0) / (x1 - x0) * (W - L - R))
#define Y(v) (H - B - (v) / ymax * (H - T - B))
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		"font-family=\"sans-serif\" font-size=\"12\">\n", W, H);
	fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
	fprintf(f, "<text x=\"%d\" y=\"20\" font-size=\"14\">ptscope: time per entry vs "
		"resident size (median, min-max bars; TCG guest)</text>\n", L);
	fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>\n",
		L, H - B, W - R, H - B);
	fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>\n",
		L, T, L, H - B);
	for (i = 0; i <= 5; i++) {
		double v = ymax * i / 5;

		fprintf(f, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.0f</text>\n",
			L - 5, Y(v) + 4, v);
		fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>\n",
			L, Y(v), W - R, Y(v));
	}
	for (i = 0; i < n; i++)
		fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%lu MiB</text>\n",
			X(r[i].mib), H - B + 18, r[i].mib);
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">resident 4 KiB pages "
		"(log scale)</text>\n", (L + W - R) / 2, H - 10);
	fprintf(f, "<text x=\"15\" y=\"%d\" transform=\"rotate(-90 15 %d)\" "
		"text-anchor=\"middle\">ns per entry</text>\n", (T + H - B) / 2, (T + H - B) / 2);
	for (m = 0; m < NR_METHODS; m++) {
		int first = 1, any = 0;

		for (i = 0; i < n; i++)
			any |= r[i].st[m].n > 0;
		if (!any)
			continue;
		fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"",
			colour[m]);
		for (i = 0; i < n; i++) {
			double pages = r[i].mib * MIB / PAGE;

			if (!r[i].st[m].n)
				continue;
			fprintf(f, "%s%.1f,%.1f", first ? "" : " ", X(r[i].mib),
				Y(r[i].st[m].med / pages));
			first = 0;
		}
		fprintf(f, "\"/>\n");
		for (i = 0; i < n; i++) {
			double pages = r[i].mib * MIB / PAGE;

			if (!r[i].st[m].n)
				continue;
			fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n",
				X(r[i].mib), Y(r[i].st[m].med / pages), colour[m]);
			fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
				"stroke=\"%s\"/>\n", X(r[i].mib), Y(r[i].st[m].min / pages),
				X(r[i].mib), Y(r[i].st[m].max / pages), colour[m]);
		}
		fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"4\" fill=\"%s\"/>"
			"<text x=\"%d\" y=\"%d\">%s</text>\n", W - R + 15, T + 10 + 20 * m,
			colour[m], W - R + 35, T + 15 + 20 * m, methods[m].name);
	}
	fprintf(f, "</svg>\n");
#undef X
#undef Y
	fclose(f);
	printf("plot: %s\n", path);
}

/* ---- wss: what working-set sampling costs the target ------------------ */

/*
 * A target with MiB resident (4 KiB pages, MADV_NOHUGEPAGE) writes one
 * byte of every page, pass after pass, and records each pass's start,
 * wall time and CPU time in memory shared with us.  We then sample its
 * working set in rounds of one S-second interval of each sampler, the
 * target running throughout:
 *   none     nothing (the baseline of the round)
 *   ptscope  each interval: "1" into /proc/PID/clear_refs, sleep S, one
 *            walk of the whole process through the module's records
 *            file, counting the present leaves with the accessed bit
 *            (what `ptscope wss` does each interval)
 *   ptscope-co  the same with the walk coalesced
 *   smaps    each interval: "1" into clear_refs, sleep S, read
 *            /proc/PID/smaps and sum its Referenced: lines (what Brendan
 *            Gregg's wss.pl does)
 * and compare the target's work in each interval.  The target runs on
 * CPU 0, we on CPU 1 when there is one.
 */
#define WSS_MAX_PASSES	65536

struct wss_shared {
	volatile int ready, stop;
	volatile uint64_t npass;
	uint64_t start, end;		/* the target's mapping */
	uint64_t t0[WSS_MAX_PASSES];	/* CLOCK_MONOTONIC at a pass's start */
	uint64_t wall[WSS_MAX_PASSES];	/* ns */
	uint64_t cpu[WSS_MAX_PASSES];	/* thread CPU ns */
};

static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void wss_target(struct wss_shared *sh, size_t bytes)
{
	volatile char *p;
	size_t i;

	pin_cpu(0);
	p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		_exit(3);
	if (madvise((void *)p, bytes, MADV_NOHUGEPAGE))
		_exit(4);
	for (i = 0; i < bytes; i += PAGE)
		p[i] = 1;
	sh->start = (uintptr_t)p;
	sh->end = (uintptr_t)p + bytes;
	sh->ready = 1;
	while (!sh->stop && sh->npass < WSS_MAX_PASSES) {
		uint64_t n = sh->npass, t0 = now_ns(), c0 = cpu_ns();

		for (i = 0; i < bytes; i += PAGE)
			p[i]++;
		sh->t0[n] = t0;
		sh->wall[n] = now_ns() - t0;
		sh->cpu[n] = cpu_ns() - c0;
		__atomic_store_n(&sh->npass, n + 1, __ATOMIC_RELEASE);
	}
	_exit(0);
}

static void write_clear_refs(pid_t pid)
{
	int ret = pts_clear_refs(pid, "1");

	if (ret)
		die("/proc/%d/clear_refs: %s", pid, strerror(-ret));
}

/*
 * The whole process through the module: 4K pages present and accessed.
 * COALESCE: runs of equal entries on consecutive frames come as one
 * record (equal entries: the accessed bit too, so the count is the same).
 */
static uint64_t wss_walk(pid_t pid, bool coalesce)
{
	const struct ptscope_rec_hdr *h;
	struct pts_session s;
	uint64_t acc = 0;
	int r;

	r = pts_open(&s, "records");
	if (!r)
		r = pts_request(&s, "pid=%d%s", pid, coalesce ? " coalesce" : "");
	if (r)
		die("records: %s", strerror(-r));
	while ((r = pts_next(&s, &h)) > 0) {
		const struct ptscope_leaf *l = (const void *)h;

		if (h->type == PTSCOPE_REC_LEAF && (l->flags & PTSCOPE_F_PRESENT) &&
		    (l->flags & PTSCOPE_F_ACCESSED))
			acc += l->count * (pts_level_size(l->level) / PAGE);
	}
	if (r < 0)
		die("records: %s", strerror(-r));
	pts_close(&s);
	return acc;
}

/* /proc/PID/smaps's Referenced: lines summed, in 4K pages. */
static uint64_t wss_smaps(pid_t pid)
{
	char path[64], line[512];
	uint64_t kb = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/smaps", pid);
	f = fopen(path, "r");
	if (!f)
		die("%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "Referenced:", 11))
			kb += strtoull(line + 11, NULL, 10);
	fclose(f);
	return kb / 4;
}

enum { WSS_NONE, WSS_PTSCOPE, WSS_COALESCE, WSS_SMAPS, NR_WSS };
static const char *const wss_name[NR_WSS] = { "none", "ptscope", "ptscope-co", "smaps" };

struct wss_window {
	uint64_t from, to;		/* CLOCK_MONOTONIC */
	double clear_ns, read_ns;	/* the sampler's clear_refs write and walk/read */
	uint64_t pages;			/* the working set it measured */
};

/* One interval of sampler HOW (or of none): clear, sleep, read. */
static void wss_sample(int how, pid_t pid, double interval, struct wss_window *w)
{
	struct timespec ts = { (time_t)interval,
			       (long)((interval - (time_t)interval) * 1e9) };
	uint64_t t0, t1, t2;

	w->from = t0 = now_ns();
	if (how != WSS_NONE)
		write_clear_refs(pid);
	t1 = now_ns();
	nanosleep(&ts, NULL);
	t2 = now_ns();
	if (how == WSS_PTSCOPE || how == WSS_COALESCE)
		w->pages = wss_walk(pid, how == WSS_COALESCE);
	else if (how == WSS_SMAPS)
		w->pages = wss_smaps(pid);
	w->to = now_ns();
	w->clear_ns = t1 - t0;
	w->read_ns = w->to - t2;
}

/* The target's work in W: passes done, the ones cut by its ends in part. */
static double wss_work(const struct wss_shared *sh, uint64_t npass, const struct wss_window *w)
{
	double work = 0;
	uint64_t i;

	for (i = 0; i < npass; i++) {
		uint64_t s = sh->t0[i], e = s + sh->wall[i];
		uint64_t a = s > w->from ? s : w->from, b = e < w->to ? e : w->to;

		if (b > a && sh->wall[i])
			work += (double)(b - a) / sh->wall[i];
	}
	return work;
}

static double median(double *v, int n)
{
	if (n <= 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_dbl);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#define WSS_MAX_ROUNDS	64

/*
 * ROUNDS rounds of one interval of each sampler in turn (none, ptscope,
 * ptscope-co, smaps): a disturbance of the host (other guests, other
 * builds) falls on one round, not on one sampler.  Per sampler, over the
 * rounds: the median of the target's work in its interval over its work
 * in the same round's interval without sampling (its speed), the cost to
 * the target per interval ((1 - speed) x interval), the median pass time
 * (passes wholly inside its intervals) against none's, and the sampler's
 * own median times.
 */
static void wss_section(unsigned long mib, double interval, int rounds)
{
	static struct wss_window w[WSS_MAX_ROUNDS][NR_WSS];
	static double pass[NR_WSS][WSS_MAX_PASSES];
	double v[WSS_MAX_ROUNDS], speed[NR_WSS], med[NR_WSS], len[NR_WSS], clr, rd;
	int np[NR_WSS] = { 0 }, k, r;
	struct wss_shared *sh;
	char extra[256];
	uint64_t npass, i, pages_min[NR_WSS], pages_max[NR_WSS];
	pid_t pid;

	if (rounds > WSS_MAX_ROUNDS)
		rounds = WSS_MAX_ROUNDS;
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		die("wss: mmap: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (!pid)
		wss_target(sh, mib * MIB);
	while (!sh->ready) {
		if (waitpid(pid, &k, WNOHANG) == pid)
			die("wss: the target failed (status 0x%x)", k);
		usleep(10000);
	}
	if (sysconf(_SC_NPROCESSORS_ONLN) > 1)
		pin_cpu(1);
	while (__atomic_load_n(&sh->npass, __ATOMIC_ACQUIRE) < 1)
		usleep(10000);
	for (r = 0; r < rounds; r++)
		for (k = 0; k < NR_WSS; k++)
			wss_sample(k, pid, interval, &w[r][k]);
	sh->stop = 1;
	waitpid(pid, NULL, 0);
	npass = sh->npass;
	if (sysconf(_SC_NPROCESSORS_ONLN) > 1) {
		cpu_set_t all;
		long c;

		CPU_ZERO(&all);
		for (c = 0; c < sysconf(_SC_NPROCESSORS_ONLN) && c < CPU_SETSIZE; c++)
			CPU_SET(c, &all);
		sched_setaffinity(0, sizeof(all), &all);
	}

	for (k = 0; k < NR_WSS; k++) {
		pages_min[k] = UINT64_MAX;
		pages_max[k] = 0;
		for (r = 0; r < rounds; r++) {
			const struct wss_window *x = &w[r][k];

			pages_min[k] = x->pages < pages_min[k] ? x->pages : pages_min[k];
			pages_max[k] = x->pages > pages_max[k] ? x->pages : pages_max[k];
			/* passes per second, against the same round's unsampled interval */
			v[r] = wss_work(sh, npass, x) / (x->to - x->from) /
			       (wss_work(sh, npass, &w[r][WSS_NONE]) /
				(w[r][WSS_NONE].to - w[r][WSS_NONE].from));
		}
		speed[k] = median(v, rounds);
		for (r = 0; r < rounds; r++)
			v[r] = w[r][k].to - w[r][k].from;
		len[k] = median(v, rounds);
		for (i = 0; i < npass; i++)
			for (r = 0; r < rounds; r++)
				if (sh->t0[i] >= w[r][k].from &&
				    sh->t0[i] + sh->wall[i] <= w[r][k].to &&
				    np[k] < WSS_MAX_PASSES)
					pass[k][np[k]++] = sh->wall[i];
		med[k] = median(pass[k], np[k]);
	}
	printf("\n== wss sampling: what one interval costs the target (%lu MiB resident, 4 KiB "
	       "pages, THP off; %d rounds of one %.2f s interval per sampler; %llu passes) ==\n",
	       mib, rounds, interval, (unsigned long long)npass);
	printf("%-11s %7s %10s %8s %9s %13s %13s %13s %10s\n", "sampler", "passes", "median ms",
	       "x none", "speed", "cost ms/int", "clear ms/int", "read ms/int", "wss pages");
	for (k = 0; k < NR_WSS; k++) {
		for (r = 0; r < rounds; r++)
			v[r] = w[r][k].clear_ns;
		clr = median(v, rounds);
		for (r = 0; r < rounds; r++)
			v[r] = w[r][k].read_ns;
		rd = median(v, rounds);
		if (k == WSS_NONE)
			printf("%-11s %7d %10.2f %8.3f %9.3f %13s %13s %13s %10s\n", wss_name[k],
			       np[k], med[k] / 1e6, 1.0, 1.0, "-", "-", "-", "-");
		else
			printf("%-11s %7d %10.2f %8.3f %9.3f %13.1f %13.2f %13.2f %10llu%s\n",
			       wss_name[k], np[k], med[k] / 1e6, med[WSS_NONE] ? med[k] / med[WSS_NONE] : 0,
			       speed[k], (1 - speed[k]) * len[k] / 1e6, clr / 1e6, rd / 1e6,
			       (unsigned long long)pages_min[k],
			       pages_min[k] != pages_max[k] ? "+" : "");
		snprintf(extra, sizeof(extra), "pass_ratio=%.4f speed=%.4f cost_ms_per_interval=%.2f "
			 "clear_ms=%.3f read_ms=%.3f pages=%llu",
			 med[WSS_NONE] ? med[k] / med[WSS_NONE] : 0, speed[k],
			 (1 - speed[k]) * len[k] / 1e6, clr / 1e6, rd / 1e6,
			 (unsigned long long)(k == WSS_NONE ? 0 : pages_min[k]));
		csv_row("wss", wss_name[k], mib,
			(struct stat3){ med[k], np[k] ? pass[k][0] : 0,
					np[k] ? pass[k][np[k] - 1] : 0, np[k] }, "ns", extra);
	}
	printf("(speed: the target's passes per second in a sampled interval (clear_refs, "
	       "sleep, read) over the same in the unsampled interval of the same round, median "
	       "over rounds; cost: (1 - speed) x the sampled interval's length, the target's "
	       "time lost per interval; only ratios mean anything in a TCG guest)\n");
	munmap(sh, sizeof(*sh));
}

/* ---- 7: the CLI's writers (issue 20) ------------------------------------ */

/*
 * What `ptscope walk` and `ptscope walk --json` spend on formatting, apart
 * from the walk: one walk's records (a dense target of MiB, its mapping
 * only, as the dense section's CLI run) are read into memory once; then,
 * interleaved, each rep times the CLI's writers (tools/ptscope/walkfmt.c,
 * built in here) turning them into a file on tmpfs (/dev/shm), against one
 * fwrite() of exactly the bytes they produce to the same kind of file,
 * and the printf-based writers they replaced (tests/unit/walkfmt_ref.h).
 * One fwrite() is timed as one call and as calls of the writer's 128 KiB
 * (in the TCG guest one large write() to tmpfs costs about twice the same
 * bytes in 128 KiB writes): the target is judged against the cheaper.
 * Each timing includes the fflush(); the file is truncated before, untimed.
 * The same writers into a memory FILE (fmemopen) show what is left when
 * the kernel's copy is gone.  Then the whole CLI (fork to exit, stdout to
 * the tmpfs file) against the pagemap read of the same range.
 */
#define FMT_FILE	"/dev/shm/ptscope-bench-fmt"

struct fmt_recs {
	struct ptscope_vma *vmas;	/* in walk order */
	struct ptscope_leaf *leaves;
	uint32_t *leaf_vma;		/* the VMA each leaf is in */
	size_t nvmas, nleaves;
};

static void fmt_read(const struct target *t, struct fmt_recs *r)
{
	const struct ptscope_rec_hdr *h;
	struct pts_session s;
	size_t cap = 1024, vcap = 16;
	int ret;

	memset(r, 0, sizeof(*r));
	r->leaves = malloc(cap * sizeof(*r->leaves));
	r->leaf_vma = malloc(cap * sizeof(*r->leaf_vma));
	r->vmas = malloc(vcap * sizeof(*r->vmas));
	ret = pts_open(&s, "records");
	if (!ret)
		ret = pts_request(&s, "pid=%d range=0x%" PRIx64 "-0x%" PRIx64, t->pid,
				  t->start, t->end);
	if (ret)
		die("records: %s", strerror(-ret));
	while ((ret = pts_next(&s, &h)) > 0) {
		if (h->type == PTSCOPE_REC_VMA) {
			if (r->nvmas == vcap) {
				vcap *= 2;
				r->vmas = realloc(r->vmas, vcap * sizeof(*r->vmas));
			}
			if (!r->vmas)
				die("out of memory");
			memset(&r->vmas[r->nvmas], 0, sizeof(*r->vmas));
			memcpy(&r->vmas[r->nvmas], h, h->size < sizeof(*r->vmas) ?
			       h->size : sizeof(*r->vmas));
			r->vmas[r->nvmas].name[PTSCOPE_NAME_MAX - 1] = '\0';
			r->nvmas++;
		} else if (h->type == PTSCOPE_REC_LEAF) {
			if (!r->nvmas)
				die("records: a leaf before any VMA");
			if (r->nleaves == cap) {
				cap *= 2;
				r->leaves = realloc(r->leaves, cap * sizeof(*r->leaves));
				r->leaf_vma = realloc(r->leaf_vma, cap * sizeof(*r->leaf_vma));
			}
			if (!r->leaves || !r->leaf_vma)
				die("out of memory");
			memset(&r->leaves[r->nleaves], 0, sizeof(*r->leaves));
			memcpy(&r->leaves[r->nleaves], h, h->size < sizeof(*r->leaves) ?
			       h->size : sizeof(*r->leaves));
			r->leaf_vma[r->nleaves++] = r->nvmas - 1;
		}
	}
	if (ret < 0)
		die("records: %s", strerror(-ret));
	pts_close(&s);
}

/* The CLI's loop over the records (walk.c, cmd_walk), through walkfmt.c. */
static void fmt_new(const struct fmt_recs *r, FILE *f, bool json)
{
	char *vma = NULL;
	size_t i, cur = (size_t)-1;
	struct wf w;

	if (wf_init(&w, f, false, NULL))
		die("out of memory");
	for (i = 0; i < r->nleaves; i++) {
		if (r->leaf_vma[i] != cur) {
			cur = r->leaf_vma[i];
			if (json) {
				free(vma);
				vma = wf_vma_json(&r->vmas[cur]);
				wf_json_vma(&w, vma, NULL);
			} else {
				wf_text_vma(&w, &r->vmas[cur]);
			}
		}
		if (json)
			wf_json_leaf(&w, &r->leaves[i], NULL);
		else
			wf_text_leaf(&w, &r->leaves[i]);
	}
	wf_free(&w);
	free(vma);
}

/* The same with the printf-based writers walk.c had before. */
static void fmt_old(const struct fmt_recs *r, FILE *f, bool json)
{
	struct ref_out o = { .f = f, .yellow = "", .magenta = "", .dim = "", .reset = "",
			     .bold = "", .cyan = "" };
	char *vma = NULL;
	size_t i, cur = (size_t)-1;

	for (i = 0; i < r->nleaves; i++) {
		if (r->leaf_vma[i] != cur) {
			cur = r->leaf_vma[i];
			if (json) {
				free(vma);
				vma = wf_vma_json(&r->vmas[cur]);
				o.vma_json = vma;
			} else {
				ref_text_vma(&o, &r->vmas[cur]);
			}
		}
		if (json)
			ref_json_leaf(&o, &r->leaves[i], NULL);
		else
			ref_text_leaf(&o, &r->leaves[i]);
	}
	free(vma);
}

/* Output of WRITER (fmt_new or fmt_old) in memory. */
static char *fmt_capture(void (*writer)(const struct fmt_recs *, FILE *, bool),
			 const struct fmt_recs *r, bool json, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		die("open_memstream: %s", strerror(errno));
	writer(r, f, json);
	if (fclose(f))
		die("open_memstream: write failed");
	return buf;
}

enum { FM_FWRITE, FM_CHUNKS, FM_NEW, FM_OLD, FM_MEM_FWRITE, FM_MEM_NEW, NR_FM };
static const char *const fm_name[NR_FM] = {
	"fwrite", "fwrite 128K", "writer", "printf writer", "fwrite (memory)",
	"writer (memory)"
};

/* One timing of method M for text or JSON; BYTES is the expected output. */
static double fmt_once(int m, const struct fmt_recs *r, bool json, const char *bytes,
		       size_t len, char *mem)
{
	uint64_t t0;
	FILE *f;

	if (m >= FM_MEM_FWRITE)
		f = fmemopen(mem, len + 1, "w");
	else
		f = fopen(FMT_FILE, "w");
	if (!f)
		die("%s: %s", m >= FM_MEM_FWRITE ? "fmemopen" : FMT_FILE, strerror(errno));
	t0 = now_ns();
	if (m == FM_FWRITE || m == FM_MEM_FWRITE) {
		if (fwrite(bytes, 1, len, f) != len)
			die("fwrite: %s", strerror(errno));
	} else if (m == FM_CHUNKS) {
		size_t o, n;

		for (o = 0; o < len; o += n) {
			n = len - o < WF_BUF_SIZE ? len - o : WF_BUF_SIZE;
			if (fwrite(bytes + o, 1, n, f) != n)
				die("fwrite: %s", strerror(errno));
		}
	} else if (m == FM_NEW || m == FM_MEM_NEW) {
		fmt_new(r, f, json);
	} else {
		fmt_old(r, f, json);
	}
	if (fflush(f) || ferror(f))
		die("%s: write failed", fm_name[m]);
	t0 = now_ns() - t0;
	if (m != FM_MEM_FWRITE && m != FM_MEM_NEW && ftell(f) != (long)len)
		die("%s wrote %ld bytes, not %zu", fm_name[m], ftell(f), len);
	fclose(f);
	return (double)t0;
}

/* `ptscope walk PID --range R [--json] > FMT_FILE`, fork to exit. */
static double fmt_cli(const struct target *t, bool json)
{
	uint64_t t0 = now_ns();

	run_cli_walk(t, FMT_FILE, json, NULL);
	return (double)(now_ns() - t0);
}

static void format_section(unsigned long mib)
{
	double v[2][NR_FM][MAX_REPS], e2e[3][MAX_REPS];
	struct stat3 st[2][NR_FM], se[3];
	struct target t = spawn_target(DENSE, mib * MIB);
	char *bytes[2], *old, *mem, name[64];
	size_t len[2], olen;
	struct fmt_recs r;
	int i, j, m;

	fmt_read(&t, &r);
	for (j = 0; j < 2; j++) {
		bytes[j] = fmt_capture(fmt_new, &r, j, &len[j]);
		old = fmt_capture(fmt_old, &r, j, &olen);
		if (olen != len[j] || memcmp(old, bytes[j], olen))
			die("format: the %s writer's output differs from the printf writer's",
			    j ? "JSON" : "text");
		free(old);
	}
	mem = malloc((len[0] > len[1] ? len[0] : len[1]) + 1);
	if (!mem)
		die("out of memory");
	memset(mem, 0, (len[0] > len[1] ? len[0] : len[1]) + 1);
	for (i = 0; i < reps; i++) {
		for (j = 0; j < 2; j++)
			for (m = 0; m < NR_FM; m++)
				v[j][m][i] = fmt_once(m, &r, j, bytes[j], len[j], mem);
		e2e[0][i] = fmt_cli(&t, false);
		e2e[1][i] = fmt_cli(&t, true);
		e2e[2][i] = time_once(M_PAGEMAP, &t, NULL);
	}
	stop_target(&t);
	unlink(FMT_FILE);

	printf("\n== The CLI's writers: %zu leaves of %lu MiB into a file on tmpfs "
	       "(%s) ==\n", r.nleaves, mib, FMT_FILE);
	printf("%-6s %-16s %11s %11s %11s %10s %12s\n", "output", "method", "median ms",
	       "min ms", "max ms", "x fwrite", "MB");
	for (j = 0; j < 2; j++) {
		for (m = 0; m < NR_FM; m++) {
			int base = m >= FM_MEM_FWRITE ? FM_MEM_FWRITE : FM_FWRITE;
			char extra[64];

			st[j][m] = stats(v[j][m], reps);
			st[j][base] = stats(v[j][base], reps);
			printf("%-6s %-16s %11.2f %11.2f %11.2f %10.2f %12.2f\n",
			       j ? "json" : "text", fm_name[m], st[j][m].med / 1e6,
			       st[j][m].min / 1e6, st[j][m].max / 1e6,
			       st[j][m].med / st[j][base].med, len[j] / 1e6);
			snprintf(name, sizeof(name), "%s %s", j ? "json" : "text", fm_name[m]);
			snprintf(extra, sizeof(extra), "bytes=%zu ratio_to_fwrite=%.4f", len[j],
				 st[j][m].med / st[j][base].med);
			csv_row("format", name, mib, st[j][m], "ns", extra);
		}
	}
	for (j = 0; j < 3; j++)
		se[j] = stats(e2e[j], reps);
	printf("%-23s %11.2f %11.2f %11.2f %9.1fx pagemap\n", "ptscope walk (CLI)",
	       se[0].med / 1e6, se[0].min / 1e6, se[0].max / 1e6, se[0].med / se[2].med);
	printf("%-23s %11.2f %11.2f %11.2f %9.1fx pagemap\n", "ptscope walk --json",
	       se[1].med / 1e6, se[1].min / 1e6, se[1].max / 1e6, se[1].med / se[2].med);
	printf("%-23s %11.2f %11.2f %11.2f\n", "pagemap read", se[2].med / 1e6,
	       se[2].min / 1e6, se[2].max / 1e6);
	csv_row("format", "cli text", mib, se[0], "ns", "");
	csv_row("format", "cli json", mib, se[1], "ns", "");
	csv_row("format", "pagemap", mib, se[2], "ns", "");
	/*
	 * Against the cheaper of one fwrite and the same bytes in the
	 * writer's 128 KiB pieces (in this guest one large write() costs
	 * about twice as much as the same bytes in 128 KiB writes), as the
	 * median of the ratios of the interleaved pairs.
	 */
	for (j = 0; j < 2; j++) {
		int base = st[j][FM_FWRITE].med < st[j][FM_CHUNKS].med ? FM_FWRITE : FM_CHUNKS;
		double pair[MAX_REPS], x;
		struct stat3 sp;

		/* the median of the interleaved pairs' ratios: host load cancels */
		for (i = 0; i < reps; i++)
			pair[i] = v[j][FM_NEW][i] / v[j][base][i];
		sp = stats(pair, reps);
		x = sp.med;
		printf("target: CLI %s writer >= 0.5x fwrite speed: %s (%.2fx the time of "
		       "fwrite of its %.1f MB to tmpfs in %s, median of pairs %.2fx-%.2fx; "
		       "printf writer %.2fx; into memory %.2fx)\n", j ? "JSON" : "text",
		       met(x <= 2.0), x, len[j] / 1e6,
		       base == FM_FWRITE ? "one call" : "128 KiB calls", sp.min, sp.max,
		       st[j][FM_OLD].med / st[j][base].med,
		       st[j][FM_MEM_NEW].med / st[j][FM_MEM_FWRITE].med);
		snprintf(name, sizeof(name), "%s writer / fwrite", j ? "json" : "text");
		csv_row("format", name, mib, sp, "ratio", base == FM_FWRITE ? "base=one-call" :
			"base=128KiB-calls");
	}
	free(bytes[0]);
	free(bytes[1]);
	free(mem);
	free(r.vmas);
	free(r.leaves);
	free(r.leaf_vma);
}

/* ---- main --------------------------------------------------------------- */

enum { SEC_WALK = 1, SEC_FAULTS = 2, SEC_MEMORY = 4, SEC_SPARSE = 8, SEC_WSS = 16,
       SEC_FORMAT = 32, SEC_ALL = 63 };

/* --sections walk,faults,memory,sparse,wss,format ("walk" is dense + scaling). */
static int parse_sections(const char *list)
{
	static const char *const names[] = { "walk", "faults", "memory", "sparse", "wss",
					     "format" };
	char *copy = strdup(list), *tok, *save;
	int sec = 0, i;

	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < 6 && strcmp(tok, names[i]); i++)
			;
		if (i == 6)
			die("--sections: unknown section '%s' (walk, faults, memory, sparse, wss, "
			    "format)", tok);
		sec |= 1 << i;
	}
	free(copy);
	return sec;
}

int main(int argc, char **argv)
{
	unsigned long sizes[MAX_SIZES] = { 64, 256, 1024, 2048, 4096 };
	unsigned long dense = 1024, fault_anon = 32, fault_file = 16, fault_rounds = 8;
	unsigned long biggest = 0, wss_mib = 1024, fmt_mib = 256;
	double wss_interval = 1.0;
	int wss_rounds = 8;
	int nsizes = 5, i, m, dense_idx = -1, sections = SEC_ALL;
	struct size_result res[MAX_SIZES];
	char path[512], *tok, *save;

	self_path = argv[0];
	if (argc > 1 && !strcmp(argv[1], "workload"))
		return workload(argc, argv);
	self_path = realpath("/proc/self/exe", NULL);
	if (!self_path)
		die("realpath: %s", strerror(errno));
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--no-faults")) {
			sections &= ~SEC_FAULTS;
			continue;
		}
		if (!val)
			die("%s needs a value", a);
		i++;
		if (!strcmp(a, "--dense")) {
			dense = strtoul(val, NULL, 0);
		} else if (!strcmp(a, "--reps")) {
			reps = atoi(val);
			if (reps < 1 || reps > MAX_REPS)
				die("--reps: 1..%d", MAX_REPS);
		} else if (!strcmp(a, "--out")) {
			out_dir = val;
		} else if (!strcmp(a, "--cli")) {
			cli = val;
		} else if (!strcmp(a, "--fault-mib")) {
			fault_anon = strtoul(val, NULL, 0);
		} else if (!strcmp(a, "--fault-file-mib")) {
			fault_file = strtoul(val, NULL, 0);
		} else if (!strcmp(a, "--fault-rounds")) {
			fault_rounds = strtoul(val, NULL, 0);
		} else if (!strcmp(a, "--wss-mib")) {
			wss_mib = strtoul(val, NULL, 0);
		} else if (!strcmp(a, "--wss-interval")) {
			wss_interval = strtod(val, NULL);
			if (!(wss_interval > 0) || wss_interval > 60)
				die("--wss-interval: seconds, 0 to 60");
		} else if (!strcmp(a, "--wss-rounds")) {
			wss_rounds = atoi(val);
			if (wss_rounds < 1 || wss_rounds > WSS_MAX_ROUNDS)
				die("--wss-rounds: 1..%d", WSS_MAX_ROUNDS);
		} else if (!strcmp(a, "--fmt-mib")) {
			fmt_mib = strtoul(val, NULL, 0);
		} else if (!strcmp(a, "--sections")) {
			sections = parse_sections(val);
		} else if (!strcmp(a, "--sizes")) {
			char *copy = strdup(val);

			nsizes = 0;
			for (tok = strtok_r(copy, ",", &save); tok && nsizes < MAX_SIZES;
			     tok = strtok_r(NULL, ",", &save))
				sizes[nsizes++] = strtoul(tok, NULL, 0);
		} else {
			die("unknown option %s", a);
		}
	}
	rbuf = malloc(READ_BUF);
	if (!rbuf)
		die("out of memory");
	snprintf(path, sizeof(path), "%s/results.csv", out_dir);
	csv = fopen(path, "w");
	if (!csv)
		die("%s: %s", path, strerror(errno));
	fprintf(csv, "section,name,param,median,min,max,n,unit,extra\n");
	setvbuf(stdout, NULL, _IOLBF, 0);

	printf("ptscope bench: %d runs per figure, medians with [min-max]; TCG guest: "
	       "only ratios mean anything\n", reps);

	for (i = 0; i < nsizes; i++)
		biggest = sizes[i] > biggest ? sizes[i] : biggest;
	if (sections & SEC_WALK) {
		/* 1 + 3: dense walk at every size (the CLI only at the dense size). */
		for (i = 0; i < nsizes; i++) {
			if (sizes[i] == dense)
				dense_idx = i;
			measure_size(sizes[i], sizes[i] == dense, &res[i]);
			fprintf(stderr, "bench: %lu MiB done\n", sizes[i]);
		}
		if (dense_idx < 0) {
			dense_idx = nsizes;
			measure_size(dense, 1, &res[nsizes]);
		}

		printf("\n== Dense walk: %lu MiB resident 4 KiB anonymous pages (%lu entries) ==\n",
		       dense, dense * MIB / PAGE);
		printf("%-14s %11s %11s %11s %9s %12s\n", "method", "median ms", "min ms", "max ms",
		       "x pagemap", "entries");
		for (m = 0; m < NR_METHODS; m++) {
			const struct stat3 *s = &res[dense_idx].st[m];
			const struct stat3 *pm = &res[dense_idx].st[M_PAGEMAP];

			printf("%-14s %11.2f %11.2f %11.2f %9.3f %12" PRIu64 "%s\n", methods[m].name,
			       s->med / 1e6, s->min / 1e6, s->max / 1e6, s->med / pm->med,
			       res[dense_idx].entries[m], m == M_CLI ? " (to /dev/null)" : "");
			snprintf(path, sizeof(path), "ratio_to_pagemap=%.4f", s->med / pm->med);
			csv_row("dense", methods[m].name, dense, *s, "ns", path);
		}
		{
			const struct size_result *d = &res[dense_idx];
			double rp = d->st[M_COMPACT].med / d->st[M_PAGEMAP].med;
			double rs = d->st[M_COMPACT_CO].med / d->st[M_SCAN].med;

			printf("target: compact walk <= 0.5x pagemap read: %s (%.3fx; with facts "
			       "%.3fx, full records %.3fx)\n", met(rp <= 0.5), rp,
			       d->st[M_COMPACT_FACTS].med / d->st[M_PAGEMAP].med,
			       d->st[M_RECORDS].med / d->st[M_PAGEMAP].med);
			/*
			 * The full coalesce merges on the frames' facts too: it
			 * reads every frame, as compact facts does (its floor).
			 */
			printf("target: coalesced walk (compact coalesce) <= 1.0x PAGEMAP_SCAN: %s "
			       "(%.3fx; full records coalesce %.3fx, its floor compact facts "
			       "%.3fx)\n", met(rs <= 1.0), rs,
			       d->st[M_RECORDS_CO].med / d->st[M_SCAN].med,
			       d->st[M_COMPACT_FACTS].med / d->st[M_SCAN].med);
		}

		/* 3: scaling table. */
		printf("\n== Scaling: ns per entry (median [min-max]) ==\n");
		printf("%-8s", "MiB");
		for (m = 0; m < NR_METHODS; m++)
			if (m != M_CLI)
				printf(" %22s", methods[m].name);
		printf("\n");
		for (i = 0; i < nsizes; i++) {
			double pages = res[i].mib * MIB / PAGE;

			printf("%-8lu", res[i].mib);
			for (m = 0; m < NR_METHODS; m++) {
				char cell[64];

				if (m == M_CLI)
					continue;
				snprintf(cell, sizeof(cell), "%.1f [%.1f-%.1f]", res[i].st[m].med / pages,
					 res[i].st[m].min / pages, res[i].st[m].max / pages);
				printf(" %22s", cell);
			}
			printf("\n");
		}
		if (nsizes >= 2) {
			double lo = 1e300, hi = 0;

			for (i = 0; i < nsizes; i++) {
				double pe = res[i].st[M_RECORDS].med / (res[i].mib * MIB / PAGE);

				lo = pe < lo ? pe : lo;
				hi = pe > hi ? pe : hi;
			}
			printf("target: flat per-entry cost (records, max/min over sizes <= 1.25): %s "
			       "(%.3f)\n", met(hi / lo <= 1.25), hi / lo);
		}
		plot(res, nsizes);
		fixed_cost_section();

	}

	/* 4: fault path. */
	if (sections & SEC_FAULTS)
		fault_section(fault_anon, fault_file, fault_rounds);

	/* 5: memory, during a walk of the biggest size. */
	if (sections & SEC_MEMORY)
		memory_section(biggest ? biggest : dense);

	/* 2: sparse vs packed. */
	if (sections & SEC_SPARSE)
		sparse_section();

	/* 6: what working-set sampling costs the target. */
	if (sections & SEC_WSS)
		wss_section(wss_mib, wss_interval, wss_rounds);

	/* 7: the CLI's writers against fwrite. */
	if (sections & SEC_FORMAT)
		format_section(fmt_mib);

	fclose(csv);
	printf("\nresults: %s/results.csv\n", out_dir);
	return 0;
}
