// SPDX-License-Identifier: GPL-2.0
/*
 * ptscope trace [-p PID | -- CMD [ARG...]] [--model] [--duration S] [--json] [-o FILE]
 *               [--svg FILE]
 *
 * Every page fault of a process, live, through the faulttrace BPF program
 * (tools/bpf/faulttrace.bpf.c): what faulted, why, how it ended, how long
 * it took, and the page-table entry for the address as it was before and
 * after the kernel handled it.  Each fault is classified from what
 * changed (demand-zero fill, zero page, COW break, ...); at the end a
 * summary gives the count and latency percentiles of each class.
 *
 * The BPF side needs no module: it walks the page tables itself.  Attach
 * points are probed at run time, never by kernel version: fentry/fexit on
 * handle_mm_fault() with kprobe/kretprobe as fallback, and BTF tracepoints
 * for the fault's error code with classic tracepoints as fallback.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "cli.h"
#include "faulttrace.h"
#include "faultclass.h"
#include "model.h"
#include "trace_svg.h"
#include "tracer.h"

const struct cli_cmd cli_cmd_trace = {
	.name = "trace",
	.run = cmd_trace,
	.args = "[-p PID | -- CMD [ARG...]] [--model] [--duration S] [--json] [-o FILE] "
		"[--svg FILE]",
	.summary = "every page fault of a process, live, with the entry before and after",
	.help =
	"Follows every page fault of a process (handle_mm_fault(), through BPF:\n"
	"needs root and a kernel with BTF, not the module) and prints one line\n"
	"per fault: time, pid/tid, command, address, ip, access (read, write,\n"
	"exec), cause (not-present or protection, from the hardware error\n"
	"code; none for get_user_pages), outcome (minor, major, retry, error,\n"
	"as the kernel counts minflt/majflt), latency, the leaf entry for the\n"
	"address before -> after, and a class:\n"
	"  demand-zero   empty -> a fresh anonymous page\n"
	"  zero-page     empty -> the shared zero page (a read)\n"
	"  cow           read-only -> writable copy in a new frame\n"
	"  wp-reuse      read-only -> writable, same frame\n"
	"  file          empty -> a page-cache page (minor)\n"
	"  file-major    the same, after reading the file\n"
	"  fault-around  a file fault that also mapped N cached neighbours in\n"
	"                its 64K window\n"
	"  swap-in       a swap entry -> present\n"
	"  thp           a huge page (PMD leaf) mapped\n"
	"  numa-hint     a NUMA-hinting (PROT_NONE) entry made accessible\n"
	"  uffd          handled by a userfaultfd\n"
	"  retry         the fault must be retried (lock dropped, I/O)\n"
	"  spurious      nothing changed\n"
	"  error         SIGSEGV, SIGBUS, OOM\n"
	"  other         anything else\n"
	"At the end (the command exits, the process exits, Ctrl-C, or\n"
	"--duration), a summary: count and latency p50/p90/p99 per class, the\n"
	"totals, and the events lost (ring buffer full, missed probes).\n"
	"\n"
	"With --model each fault is also tied to the claims of the textbook\n"
	"model it bears on (Documentation/labs.rst), with a verdict in the labs'\n"
	"words (holds, diff: holds with a difference, not: does not hold on\n"
	"Linux), in a MODEL column such as \"M4:holds M13:diff\":\n"
	"  M4 demand paging    demand-zero, zero-page, a write after a zero-page\n"
	"                      read, a huge page first touched\n"
	"  M13 zeroed pages    the same faults: zero-filled frames, the zero page\n"
	"  M11 copy-on-write   cow (copied), wp-reuse (reused in place)\n"
	"  M5 clustering       file read faults: neighbours mapped, or why not\n"
	"  M17 mapped files    file faults: only the pages touched are mapped\n"
	"  M8 paging file      swap-in: major (holds) or from the swap cache\n"
	"  M15 large pages     a PMD (or PUD) leaf mapped by one fault\n"
	"and the summary ends with a model report: per claim what the model\n"
	"predicts for the faults seen, what was observed, the verdict and why.\n"
	"\n"
	"Options:\n"
	"  -p, --pid PID        trace this running process (not a kernel thread)\n"
	"  -- CMD [ARG...]      run CMD and trace it from its exec on (nothing\n"
	"                       of ptscope's forked child before it); the exit\n"
	"                       status is then CMD's; if CMD cannot be run,\n"
	"                       only \"cannot run CMD: reason\" and status 127\n"
	"                       (with neither, every process but ptscope)\n"
	"  -o, --output FILE    write the trace to FILE (created or truncated),\n"
	"                       not to stdout, which stays CMD's; on either,\n"
	"                       every line goes out whole in one write(2)\n"
	"  -d, --duration S     stop after S seconds (a CMD still running is\n"
	"                       then killed with SIGTERM)\n"
	"  -s, --summary        print only the summary; alone (without --model\n"
	"                       or --svg) the BPF side classifies and counts\n"
	"                       each fault itself and sends no event: the\n"
	"                       counts are exact, the latency percentiles come\n"
	"                       from a histogram (within 0.4%)\n"
	"      --model          tie each fault to the model's claims, and end\n"
	"                       with the model report (see above)\n"
	"      --attach HOW     how to hook handle_mm_fault(): auto (default:\n"
	"                       fentry/fexit where they work, else kprobes),\n"
	"                       fentry, or kprobe (the fallbacks: kprobe/kretprobe\n"
	"                       and classic tracepoints)\n"
	"      --svg FILE       when the trace ends, also draw it into FILE: an\n"
	"                       SVG picture (1920x1080) of the faults over time\n"
	"                       (across, in seconds) and address (up), one mark\n"
	"                       per fault coloured by its class, the legend\n"
	"                       naming each class with its count (the summary's);\n"
	"                       only the address ranges with faults are drawn,\n"
	"                       the gaps between them folded and labelled with\n"
	"                       their size.  At most 100000 faults are kept for\n"
	"                       it (then a uniform sample; the picture says how\n"
	"                       many were not drawn).  With the normal output,\n"
	"                       --summary or --json\n"
	"  -v, --verbose        libbpf's messages and the BPF run-time cost\n"
	"  -j, --json           JSON Lines: one object per fault, keys time (s\n"
	"                       since start), ts_ns (CLOCK_MONOTONIC), pid, tid,\n"
	"                       comm, address, ip, access, cause, mode, error_code,\n"
	"                       flags, outcome, ret, latency_ns, vma, before and\n"
	"                       after ({level, status, entry, present, writable,\n"
	"                       pfn, window, swap}), class, neighbours, and with\n"
	"                       --model model ([{claim, verdict, note}]); then\n"
	"                       one {\"summary\": {...}} object (with --model its\n"
	"                       \"model\": [{claim, name, model, predicted,\n"
	"                       observed, verdict, events, evidence}])\n"
	"\n"
	"Examples:\n"
	"  ptscope trace -- python3 -c 'bytearray(1 << 20)'\n"
	"  ptscope trace -p $(pidof postgres) --duration 10 --summary\n"
	"  ptscope trace --model --summary -- python3 -c 'bytearray(1 << 20)'\n"
	"  ptscope trace --json -- ./a.out | jq -c 'select(.class == \"cow\")'\n"
	"  ptscope trace --json -o faults.json -- ./a.out\n"
	"  ptscope trace --summary --svg faults.svg -- ./a.out\n"
	"  rsvg-convert -o faults.png faults.svg\n",
};

/*
 * The trace's output, written by whole lines: a line is formatted here
 * and written only once complete, several lines in one write(2) up to
 * PIPE_BUF bytes (what a pipe writes without interleaving), a longer
 * line alone.  CMD may write to the same file or pipe: its output then
 * falls between two lines, never inside one.
 */
struct out {
	int fd;
	char *buf;
	size_t len;		/* bytes in buf */
	size_t done;		/* ... of which complete lines */
	size_t cap;
	int err;		/* the first write error (errno) */
};

/* Latencies of one class, for the percentiles. */
struct class_stats {
	uint64_t *lat;
	size_t n, cap;
};

struct trace {
	/* options */
	int pid;			/* -p, or the spawned CMD; 0: every process */
	char **cmd;
	double duration;
	bool summary_only;
	bool verbose;
	bool model;			/* --model */
	bool aggregate;			/* --summary alone: the BPF side counts */
	int want_hook;			/* -1 auto, else enum tracer_hook */
	const char *output;		/* -o FILE */
	const char *svg;		/* --svg FILE */
	FILE *svg_f;
	struct tsvg pic;		/* --svg: the events kept */
	/* state */
	struct out out;
	struct tracer *tr;
	pid_t child;
	int go_fd;			/* releases the spawned child */
	int exec_fd;			/* the child's exec errno, or EOF on exec */
	int pidfd;
	int child_status;
	bool child_done, target_gone;
	char comm[FT_COMM_LEN + 1];
	struct model_env env;		/* the zero page, fault_around_bytes */
	uint64_t start_ns;		/* CLOCK_MONOTONIC at attach */
	uint64_t stop_ns;
	/* results */
	struct class_stats cls[CL_NR];
	uint64_t events;
	struct model model_counts;	/* --model: the report's counts */
	int err;			/* ENOMEM in the callback */
};

static volatile sig_atomic_t exiting;
static volatile sig_atomic_t forward_sig;

static void on_signal(int sig)
{
	exiting = 1;
	if (sig != SIGINT)
		forward_sig = sig;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* ---- output ---------------------------------------------------------- */

static void out_write(struct out *o, const char *p, size_t n)
{
	ssize_t w;

	while (n && !o->err) {
		w = write(o->fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			o->err = w < 0 ? errno : EIO;
			break;
		}
		p += w;
		n -= w;
	}
}

/* Write the complete lines, keep a partial one. */
static void out_flush(struct out *o)
{
	if (!o->done)
		return;
	out_write(o, o->buf, o->done);
	memmove(o->buf, o->buf + o->done, o->len - o->done);
	o->len -= o->done;
	o->done = 0;
}

/* Append to the current line. */
static void __attribute__((format(printf, 2, 3))) out_printf(struct out *o,
							      const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if ((size_t)n < o->cap - o->len)
			break;
		{
			size_t cap = o->cap * 2 > o->len + n + 1 ? o->cap * 2 :
				     o->len + n + 1 + 4096;
			char *b = realloc(o->buf, cap);

			if (!b) {
				o->err = ENOMEM;
				return;
			}
			o->buf = b;
			o->cap = cap;
		}
	}
	o->len += n;
}

/*
 * The current line is complete (it ends with '\n').  Lines go out in
 * batches of at most PIPE_BUF bytes; a line that would push the batch
 * over sends the batch first.
 */
static void out_eol(struct out *o)
{
	if (o->len > PIPE_BUF && o->done) {
		size_t line = o->len - o->done;

		out_write(o, o->buf, o->done);
		memmove(o->buf, o->buf + o->done, line);
		o->len = line;
	}
	o->done = o->len;
	if (o->done >= PIPE_BUF)
		out_flush(o);
}

/* A whole line (S has no '\n'). */
static void out_line(struct out *o, const char *s)
{
	out_printf(o, "%s\n", s);
	out_eol(o);
}

/* ---- events ---------------------------------------------------------- */

/* Seconds with nanoseconds, printed as such (not 0.37342502999999999). */
static json_object *jsecs(uint64_t ns)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%llu.%09llu", (unsigned long long)(ns / 1000000000),
		 (unsigned long long)(ns % 1000000000));
	return json_object_new_double_s(ns / 1e9, buf);
}

static json_object *jhex(uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)v);
	return json_object_new_string(buf);
}

static json_object *pte_json(const struct ft_pte *p)
{
	json_object *o = json_object_new_object();

	jset(o, "level", json_object_new_string(pts_level_name(p->level)));
	jset(o, "status", json_object_new_string(FT_NAME(ft_walk_names, p->status)));
	jset(o, "entry", jhex(p->entry));
	jset(o, "present", json_object_new_boolean(ft_present(p)));
	jset(o, "writable", json_object_new_boolean(ft_writable(p)));
	jset(o, "pfn", ft_has_pfn(p) ? json_object_new_int64(ft_pfn(p)) : NULL);
	if (ft_protnone(p))
		jset(o, "protnone", json_object_new_boolean(true));
	if (ft_swap(p)) {
		json_object *s = json_object_new_object();

		jset(s, "type", json_object_new_int(ft_swap_type(p->entry)));
		jset(s, "offset", json_object_new_int64(ft_swap_offset(p->entry)));
		jset(o, "swap", s);
	} else {
		jset(o, "swap", NULL);
	}
	jset(o, "window", json_object_new_int(p->window));
	return o;
}

static void vma_perm(const struct ft_event *e, char buf[5])
{
	buf[0] = e->vm_flags & FT_VMA_READ ? 'r' : '-';
	buf[1] = e->vm_flags & FT_VMA_WRITE ? 'w' : '-';
	buf[2] = e->vm_flags & FT_VMA_EXEC ? 'x' : '-';
	buf[3] = e->vm_flags & FT_VMA_SHARED ? 's' : 'p';
	buf[4] = '\0';
}

static void print_json(struct trace *t, const struct ft_event *e, int cls,
		       int neighbours, const struct model_tag *tags, int ntags)
{
	json_object *o = json_object_new_object(), *v = json_object_new_object();
	char perm[5];

	jset(o, "time", jsecs(e->ts > t->start_ns ? e->ts - t->start_ns : 0));
	jset(o, "ts_ns", json_object_new_int64(e->ts));
	jset(o, "pid", json_object_new_int(e->pid));
	jset(o, "tid", json_object_new_int(e->tid));
	jset(o, "comm", json_object_new_string_len(e->comm, strnlen(e->comm, FT_COMM_LEN)));
	jset(o, "address", jhex(e->address));
	jset(o, "ip", e->mode == FT_MODE_GUP ? NULL : jhex(e->ip));
	jset(o, "access", json_object_new_string(FT_NAME(ft_access_names, e->access)));
	jset(o, "cause", json_object_new_string(FT_NAME(ft_cause_names, e->cause)));
	jset(o, "mode", json_object_new_string(FT_NAME(ft_mode_names, e->mode)));
	jset(o, "error_code", e->cause == FT_CAUSE_NONE ? NULL :
	     json_object_new_int(e->error_code));
	jset(o, "flags", jhex(e->flags));
	jset(o, "outcome", json_object_new_string(FT_NAME(ft_outcome_names, e->outcome)));
	jset(o, "ret", jhex(e->ret));
	jset(o, "latency_ns", json_object_new_int64(e->latency));
	jset(v, "start", jhex(e->vm_start));
	jset(v, "end", jhex(e->vm_end));
	vma_perm(e, perm);
	jset(v, "perm", json_object_new_string(perm));
	jset(v, "backing", json_object_new_string(FT_NAME(ft_backing_names, e->backing)));
	jset(v, "uffd", json_object_new_boolean(e->vm_flags & FT_VMA_UFFD));
	jset(o, "vma", v);
	jset(o, "before", pte_json(&e->before));
	jset(o, "after", pte_json(&e->after));
	jset(o, "class", json_object_new_string(ft_class_names[cls]));
	jset(o, "neighbours", json_object_new_int(neighbours));
	if (t->model)
		jset(o, "model", model_tags_json(tags, ntags));
	out_line(&t->out, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							 JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

static void print_header(struct trace *t)
{
	/* The class is padded only when the model's column follows it. */
	out_printf(&t->out, "%s%-10s %-15s %-15s %-18s %-14s %-5s %-11s %-7s %8s  %-23s   %-23s %-*s%s",
	       col(C_BOLD), "TIME(s)", "PID/TID", "COMM", "ADDRESS", "IP", "ACC",
	       "CAUSE", "OUTCOME", "LAT(us)", "BEFORE", "AFTER", t->model ? 16 : 0, "CLASS",
	       t->model ? " MODEL" : "");
	out_printf(&t->out, "%s\n", col(C_RESET));
	out_eol(&t->out);
}

static void print_text(struct trace *t, const struct ft_event *e, int cls,
		       int neighbours, const struct model_tag *tags, int ntags)
{
	char pt[32], ip[24], bb[40], ab[40], cl[32], mt[64];
	enum cli_color c = C_RESET;

	snprintf(pt, sizeof(pt), "%u/%u", e->pid, e->tid);
	if (e->mode == FT_MODE_GUP)
		snprintf(ip, sizeof(ip), "(gup)");
	else
		snprintf(ip, sizeof(ip), "%llx", (unsigned long long)e->ip);
	ft_class_str(cls, neighbours, cl, sizeof(cl));
	if (e->outcome == FT_MAJOR)
		c = C_YELLOW;
	else if (e->outcome == FT_ERROR)
		c = C_RED;
	else if (e->outcome == FT_RETRY)
		c = C_DIM;
	out_printf(&t->out, "%10.6f %-15s %-15.*s %#-18llx %-14s %-5s %-11s %s%-7s%s %8.1f  %-23s %s %-23s %s%-*s%s",
	       e->ts > t->start_ns ? (e->ts - t->start_ns) / 1e9 : 0.0, pt,
	       FT_COMM_LEN, e->comm, (unsigned long long)e->address, ip,
	       FT_NAME(ft_access_names, e->access), FT_NAME(ft_cause_names, e->cause),
	       col(c), FT_NAME(ft_outcome_names, e->outcome), col(C_RESET),
	       e->latency / 1e3, ft_entry_str(&e->before, bb, sizeof(bb)), "->",
	       ft_entry_str(&e->after, ab, sizeof(ab)), col(C_CYAN), t->model ? 16 : 0, cl,
	       col(C_RESET));
	if (t->model)
		out_printf(&t->out, " %s", model_tags_str(tags, ntags, mt, sizeof(mt)));
	out_printf(&t->out, "\n");
	out_eol(&t->out);
}

static int handle_event(void *ctx, const struct ft_event *e)
{
	struct trace *t = ctx;
	struct model_tag tags[MODEL_MAX_TAGS];
	struct class_stats *s;
	int cls, neighbours, ntags = 0;

	cls = ft_classify(e, t->env.zero_pfn, &neighbours);
	if (t->model) {
		/*
		 * Why a file fault mapped no neighbour: fault-around may have
		 * been switched off since the trace began.  Read as the event
		 * is handled, which is later than the fault (by the reader's
		 * lag: polls of 100 ms, more when the reader falls behind);
		 * only for file faults that mapped nothing around them.
		 */
		if (cls == CL_FILE || cls == CL_FILE_MAJOR)
			t->model_counts.env.fault_around_bytes = tracer_fault_around_bytes();
		ntags = model_event(&t->model_counts, e, cls, neighbours, tags);
	}
	t->events++;
	if (t->svg_f && tsvg_add(&t->pic, e->ts > t->start_ns ? e->ts - t->start_ns : 0,
				 e->address, cls, e->backing)) {
		t->err = -ENOMEM;
		return -ENOMEM;
	}
	s = &t->cls[cls];
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 256;
		uint64_t *lat = realloc(s->lat, cap * sizeof(*lat));

		if (!lat) {
			t->err = -ENOMEM;
			return -ENOMEM;
		}
		s->lat = lat;
		s->cap = cap;
	}
	s->lat[s->n++] = e->latency;
	if (t->summary_only)
		return 0;
	if (cli.json)
		print_json(t, e, cls, neighbours, tags, ntags);
	else
		print_text(t, e, cls, neighbours, tags, ntags);
	return 0;
}

/* ---- summary --------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted V[N]. */
static uint64_t pct(const uint64_t *v, size_t n, double p)
{
	size_t r;

	if (!n)
		return 0;
	r = (size_t)ceil(p / 100.0 * n);
	return v[r ? r - 1 : 0];
}

/* Nearest-rank percentile P of the N faults in HIST (a class's buckets). */
static uint64_t hist_pct(const volatile __u64 *hist, uint64_t n, double p)
{
	uint64_t r = (uint64_t)ceil(p / 100.0 * n), seen = 0, lo;
	__u64 width;
	uint32_t b;

	if (!r)
		r = 1;
	for (b = 0; b < FT_LAT_BUCKETS; b++) {
		seen += hist[b];
		if (seen >= r)
			break;
	}
	if (b == FT_LAT_BUCKETS)
		return 0;
	/* the middle of the bucket: within 0.4% of every latency in it */
	lo = ft_lat_lo(b, &width);
	return lo + (width - 1) / 2;
}

/*
 * Faults of class I and their latency percentiles: from the latencies
 * the reader kept (exact), or with aggregate from the BPF side's
 * histogram (to within 0.4%).
 */
static uint64_t class_summary(struct trace *t, int i, uint64_t *p50, uint64_t *p90,
			      uint64_t *p99)
{
	const volatile tracer_hist_t *h = tracer_class_hist(t->tr);
	struct class_stats *s = &t->cls[i];
	uint64_t n = 0;
	uint32_t b;

	if (h) {
		for (b = 0; b < FT_LAT_BUCKETS; b++)
			n += h[i][b];
		if (n) {
			*p50 = hist_pct(h[i], n, 50);
			*p90 = hist_pct(h[i], n, 90);
			*p99 = hist_pct(h[i], n, 99);
		}
		return n;
	}
	if (!s->n)
		return 0;
	qsort(s->lat, s->n, sizeof(*s->lat), cmp_u64);
	*p50 = pct(s->lat, s->n, 50);
	*p90 = pct(s->lat, s->n, 90);
	*p99 = pct(s->lat, s->n, 99);
	return s->n;
}

/*
 * --model, text: per claim the model's sentence, what it predicts for
 * the faults seen, what was observed, the verdict and why.
 */
static void print_model(struct trace *t)
{
	struct model_result r[MC_NR];
	int i, n = model_report(&t->model_counts, r);

	out_printf(&t->out, "%s--- the model (Documentation/labs.rst) against these faults%s\n",
		   col(C_BOLD), col(C_RESET));
	out_eol(&t->out);
	if (!n) {
		out_line(&t->out, "no fault bore on a claim of the model");
		return;
	}
	for (i = 0; i < n; i++) {
		out_printf(&t->out, "%s%-4s %s%s: %s%s%s (%llu event%s)\n", col(C_BOLD),
			   model_claim_id(r[i].claim), model_claim_name(r[i].claim),
			   col(C_RESET), col(C_CYAN), model_verdict_name(r[i].verdict),
			   col(C_RESET), (unsigned long long)r[i].events,
			   r[i].events == 1 ? "" : "s");
		out_eol(&t->out);
		out_printf(&t->out, "     model      %s\n", model_claim_text(r[i].claim));
		out_eol(&t->out);
		out_printf(&t->out, "     predicted  %s\n", r[i].predicted_text);
		out_eol(&t->out);
		out_printf(&t->out, "     observed   %s\n", r[i].observed_text);
		out_eol(&t->out);
		out_printf(&t->out, "     evidence   %s\n", r[i].evidence);
		out_eol(&t->out);
	}
}

static void print_summary(struct trace *t)
{
	struct tracer_stats st;
	uint64_t *cnt = st.cnt, unfinished, lost_exit, lost, misses, run_ns, run_cnt;
	double secs = (t->stop_ns - t->start_ns) / 1e9;
	json_object *o = NULL, *classes = NULL, *lo;
	int i;

	tracer_stats(t->tr, &st);
	unfinished = st.inflight;
	lost_exit = cnt[FT_CNT_LOST_NO_EXIT];
	/* The target is gone: what is still in flight never returned. */
	if (t->target_gone) {
		lost_exit += unfinished;
		unfinished = 0;
	}
	lost = tracer_lost(&st, t->target_gone);
	misses = st.misses;
	run_ns = st.run_ns;
	run_cnt = st.run_cnt;

	if (cli.json) {
		o = json_object_new_object();
		classes = json_object_new_object();
		jset(o, "pid", t->pid ? json_object_new_int(t->pid) : NULL);
		jset(o, "comm", t->pid ? json_object_new_string(t->comm) : NULL);
		jset(o, "duration_s", jsecs(t->stop_ns - t->start_ns));
		jset(o, "attach", json_object_new_string(tracer_hook_name(tracer_hook(t->tr))));
		jset(o, "exceptions_attach",
		     json_object_new_string(tracer_exc_name(tracer_exc(t->tr))));
		/* Found by the BPF program on the first fault. */
		jset(o, "paging_levels", tracer_paging_levels(t->tr) ?
		     json_object_new_int(tracer_paging_levels(t->tr)) : NULL);
		jset(o, "page_offset_base", tracer_page_offset(t->tr) ?
		     jhex(tracer_page_offset(t->tr)) : NULL);
		jset(o, "zero_pfn", t->env.zero_pfn ? json_object_new_int64(t->env.zero_pfn) :
		     NULL);
	} else {
		out_printf(&t->out, "%s--- ptscope trace: ", col(C_BOLD));
		if (t->pid)
			out_printf(&t->out, "pid %d (%s)", t->pid, t->comm);
		else
			out_printf(&t->out, "all processes");
		out_printf(&t->out, ", %.2f s, %s + %s", secs, tracer_hook_name(tracer_hook(t->tr)),
			   tracer_exc_name(tracer_exc(t->tr)));
		if (tracer_paging_levels(t->tr))
			out_printf(&t->out, ", %u-level paging", tracer_paging_levels(t->tr));
		out_printf(&t->out, "%s\n", col(C_RESET));
		out_eol(&t->out);
		out_printf(&t->out, "%-14s %9s %10s %10s %10s\n", "CLASS", "COUNT",
			   "P50(us)", "P90(us)", "P99(us)");
		out_eol(&t->out);
	}
	for (i = 0; i < CL_NR; i++) {
		uint64_t n, p50 = 0, p90 = 0, p99 = 0;

		n = class_summary(t, i, &p50, &p90, &p99);
		if (t->aggregate)
			t->events += n;		/* no event came through */
		if (!n)
			continue;
		if (cli.json) {
			json_object *c = json_object_new_object();

			jset(c, "count", json_object_new_int64(n));
			jset(c, "p50_ns", json_object_new_int64(p50));
			jset(c, "p90_ns", json_object_new_int64(p90));
			jset(c, "p99_ns", json_object_new_int64(p99));
			jset(classes, ft_class_names[i], c);
		} else {
			out_printf(&t->out, "%-14s %9llu %10.1f %10.1f %10.1f\n", ft_class_names[i],
				   (unsigned long long)n, p50 / 1e3, p90 / 1e3, p99 / 1e3);
			out_eol(&t->out);
		}
	}
	if (cli.json) {
		jset(o, "classes", classes);
		jset(o, "events", json_object_new_int64(t->events));
		jset(o, "calls", json_object_new_int64(cnt[FT_CNT_CALLS] +
						       cnt[FT_CNT_LOST_NO_ENTRY]));
		jset(o, "faults", json_object_new_int64(cnt[FT_CNT_FAULTS]));
		jset(o, "minor", json_object_new_int64(cnt[FT_CNT_MINOR]));
		jset(o, "major", json_object_new_int64(cnt[FT_CNT_MAJOR]));
		jset(o, "retry", json_object_new_int64(cnt[FT_CNT_RETRY]));
		jset(o, "error", json_object_new_int64(cnt[FT_CNT_ERROR]));
		jset(o, "exceptions", json_object_new_int64(cnt[FT_CNT_EXCEPTIONS]));
		lo = json_object_new_object();
		jset(lo, "total", json_object_new_int64(lost));
		jset(lo, "ringbuf", json_object_new_int64(cnt[FT_CNT_LOST_RINGBUF]));
		jset(lo, "no_entry", json_object_new_int64(cnt[FT_CNT_LOST_NO_ENTRY]));
		jset(lo, "no_exit", json_object_new_int64(lost_exit));
		jset(lo, "map_full", json_object_new_int64(cnt[FT_CNT_LOST_MAP_FULL]));
		jset(o, "lost", lo);
		jset(o, "unfinished", json_object_new_int64(unfinished));
		jset(o, "recursion_misses", json_object_new_int64(misses));
		if (t->verbose && run_cnt) {
			jset(o, "bpf_run_ns", json_object_new_int64(run_ns));
			jset(o, "bpf_run_cnt", json_object_new_int64(run_cnt));
		}
		if (t->child && t->child_done)
			jset(o, "exit_status", json_object_new_int(t->child_status));
		if (t->model) {
			struct model_result r[MC_NR];

			jset(o, "model", model_report_json(r, model_report(&t->model_counts, r)));
		}
		lo = json_object_new_object();
		jset(lo, "summary", o);
		out_line(&t->out, json_object_to_json_string_ext(lo, JSON_C_TO_STRING_PLAIN |
								  JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(lo);
		return;
	}
	out_printf(&t->out, "faults %llu: minor %llu, major %llu, error %llu; retries %llu; "
	       "exceptions %llu\n",
	       (unsigned long long)cnt[FT_CNT_FAULTS], (unsigned long long)cnt[FT_CNT_MINOR],
	       (unsigned long long)cnt[FT_CNT_MAJOR], (unsigned long long)cnt[FT_CNT_ERROR],
	       (unsigned long long)cnt[FT_CNT_RETRY],
	       (unsigned long long)cnt[FT_CNT_EXCEPTIONS]);
	out_eol(&t->out);
	out_printf(&t->out, "%slost %llu%s (ring buffer full %llu, missed entry %llu (in-flight map full "
	       "%llu), missed return %llu)", lost ? col(C_RED) : "", (unsigned long long)lost,
	       lost ? col(C_RESET) : "", (unsigned long long)cnt[FT_CNT_LOST_RINGBUF],
	       (unsigned long long)cnt[FT_CNT_LOST_NO_ENTRY],
	       (unsigned long long)cnt[FT_CNT_LOST_MAP_FULL], (unsigned long long)lost_exit);
	if (unfinished)
		out_printf(&t->out, "; %llu in flight at the end",
			   (unsigned long long)unfinished);
	if (misses)
		out_printf(&t->out, "; BPF runs skipped by the kernel (recursion) %llu",
			   (unsigned long long)misses);
	out_printf(&t->out, "\n");
	out_eol(&t->out);
	if (t->verbose && run_cnt) {
		out_printf(&t->out, "BPF programs: %llu runs, %.0f ns per run on average\n",
			   (unsigned long long)run_cnt, (double)run_ns / run_cnt);
		out_eol(&t->out);
	}
	if (t->model)
		print_model(t);
}

/* --svg: the picture, when the trace has ended.  0 or -errno. */
static int write_svg(struct trace *t)
{
	struct tsvg_pic p = { .duration_ns = t->stop_ns - t->start_ns,
			      .version = PTSCOPE_CLI_VERSION };
	struct tracer_stats st;
	struct tsvg_result res;
	char what[64];
	int err;

	tracer_stats(t->tr, &st);
	p.lost = tracer_lost(&st, t->target_gone);
	if (t->pid)
		snprintf(what, sizeof(what), "pid %d (%s)", t->pid, t->comm);
	else
		snprintf(what, sizeof(what), "all processes");
	p.what = what;
	err = tsvg_write(t->svg_f, &t->pic, &p, &res);
	if (fflush(t->svg_f) && !err)
		err = -errno;
	if (!err && fclose(t->svg_f))
		err = -errno;
	else if (err)
		fclose(t->svg_f);
	t->svg_f = NULL;
	if (!err && t->verbose)
		fprintf(stderr, "ptscope trace: %s: %zu address ranges, %llu faults drawn "
			"(%zu marks), %llu not drawn\n", t->svg, res.ranges,
			(unsigned long long)res.drawn, res.marks,
			(unsigned long long)res.dropped);
	return err;
}

/* ---- setup ----------------------------------------------------------- */

/* The thread group of PID (a TID is accepted) and its command name. */
static int target_info(int pid, int *tgid, char *comm, size_t len)
{
	char path[64], line[256];
	FILE *f;

	*tgid = 0;
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "Name:", 5)) {
			char *s = line + 5;

			s += strspn(s, " \t");
			s[strcspn(s, "\n")] = '\0';
			snprintf(comm, len, "%s", s);
		} else if (!strncmp(line, "Tgid:", 5)) {
			*tgid = atoi(line + 5);
		}
	}
	fclose(f);
	return *tgid > 0 ? 0 : -ESRCH;
}

/*
 * Is PID a kernel thread?  PF_KTHREAD in the flags, field 9 of
 * /proc/PID/stat (after the command name, which may hold spaces and
 * parentheses: the last ')' ends it).
 */
#define PF_KTHREAD_FLAG	0x00200000UL

static bool is_kthread(int pid)
{
	char path[64], buf[1024], *p;
	unsigned long flags;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	/* state ppid pgrp session tty_nr tpgid flags */
	if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %lu", &flags) != 1)
		return false;
	return flags & PF_KTHREAD_FLAG;
}

/*
 * Fork CMD, stopped before exec: it waits for a byte on a pipe, which
 * trace_go() sends once the probes are attached.  If the exec fails, the
 * child sends its errno on a second, close-on-exec pipe (which the exec
 * closes when it succeeds) and exits with 127, printing nothing.
 */
static int spawn(struct trace *t)
{
	int p[2], e[2];
	char c;

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	if (pipe2(e, O_CLOEXEC)) {
		int err = -errno;

		close(p[0]);
		close(p[1]);
		return err;
	}
	fflush(stdout);
	fflush(stderr);
	t->child = fork();
	if (t->child < 0) {
		int err = -errno;

		close(p[0]);
		close(p[1]);
		close(e[0]);
		close(e[1]);
		t->child = 0;
		return err;
	}
	if (!t->child) {
		int err;

		close(p[1]);
		close(e[0]);
		if (read(p[0], &c, 1) != 1)
			_exit(127);	/* the tracer gave up */
		close(p[0]);
		signal(SIGPIPE, SIG_DFL);
		execvp(t->cmd[0], t->cmd);
		err = errno;
		if (write(e[1], &err, sizeof(err)) != sizeof(err))
			_exit(126);
		_exit(127);
	}
	close(p[0]);
	close(e[1]);
	t->go_fd = p[1];
	t->exec_fd = e[0];
	t->pid = t->child;
	snprintf(t->comm, sizeof(t->comm), "%s", strrchr(t->cmd[0], '/') ?
		 strrchr(t->cmd[0], '/') + 1 : t->cmd[0]);
	return 0;
}

/*
 * Release the spawned child and wait for its exec: 0 once CMD runs,
 * -errno if the child could not be released, or the exec's positive
 * errno.
 */
static int trace_go(struct trace *t)
{
	ssize_t n;
	int err = 0;

	if (t->go_fd < 0)
		return 0;
	n = write(t->go_fd, "g", 1);
	if (n != 1)
		err = -errno;
	close(t->go_fd);
	t->go_fd = -1;
	if (err)
		return err;
	do {
		n = read(t->exec_fd, &err, sizeof(err));
	} while (n < 0 && errno == EINTR);
	close(t->exec_fd);
	t->exec_fd = -1;
	if (n == 0)
		return 0;		/* closed by the exec */
	return n == sizeof(err) && err > 0 ? err : EIO;
}

static bool target_exited(struct trace *t)
{
	struct pollfd pfd = { .fd = t->pidfd, .events = POLLIN };
	int st;

	if (t->child) {
		if (waitpid(t->child, &st, WNOHANG) == t->child) {
			t->child_done = true;
			t->child_status = WIFEXITED(st) ? WEXITSTATUS(st) :
					  128 + WTERMSIG(st);
			return true;
		}
		return false;
	}
	if (t->pidfd >= 0)
		return poll(&pfd, 1, 0) == 1;
	if (t->pid)
		return kill(t->pid, 0) && errno == ESRCH;
	return false;
}

static int bpf_fail(int err, const char *what)
{
	if (err < 0)
		err = -err;
	if (err == EPERM || err == EACCES) {
		cli_err("%s: permission denied: tracing needs root "
			"(CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN)", what);
		return CLI_PERM;
	}
	cli_err("%s: %s%s", what, strerror(err),
		err == ENOENT || err == EINVAL || err == EOPNOTSUPP ?
		" (a kernel with BPF and BTF is needed; -v shows libbpf's log)" : "");
	return CLI_ERR;
}

int cmd_trace(int argc, char **argv)
{
	enum { OPT_ATTACH = OPT_FIRST_LOCAL, OPT_MODEL, OPT_SVG };
	static const struct option longopts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "output", required_argument, NULL, 'o' },
		{ "duration", required_argument, NULL, 'd' },
		{ "summary", no_argument, NULL, 's' },
		{ "attach", required_argument, NULL, OPT_ATTACH },
		{ "verbose", no_argument, NULL, 'v' },
		{ "model", no_argument, NULL, OPT_MODEL },
		{ "svg", required_argument, NULL, OPT_SVG },
		CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	const struct cli_cmd *cmd = &cli_cmd_trace;
	struct trace t = { .want_hook = -1, .go_fd = -1, .exec_fd = -1, .pidfd = -1,
			   .out.fd = STDOUT_FILENO };
	struct sigaction sa = { .sa_handler = on_signal };
	uint64_t deadline = 0;
	int c, ret, err, i, stats_fd = -1;
	char *end;

	while ((c = getopt_long(argc, argv, "+p:o:d:sv" CLI_COMMON_SHORTOPTS, longopts,
				NULL)) != -1) {
		switch (c) {
		case 'p':
			ret = cli_parse_pid(cmd, optarg, &t.pid);
			if (ret)
				return ret;
			break;
		case 'd':
			errno = 0;
			t.duration = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(t.duration > 0) ||
			    t.duration > 1e9)
				return cli_usage_err(cmd, "invalid duration '%s': expected "
						     "seconds, e.g. 10 or 0.5", optarg);
			break;
		case 'o':
			t.output = optarg;
			break;
		case 's':
			t.summary_only = true;
			break;
		case 'v':
			t.verbose = true;
			break;
		case OPT_MODEL:
			t.model = true;
			break;
		case OPT_SVG:
			if (!*optarg)
				return cli_usage_err(cmd, "--svg needs a file name");
			t.svg = optarg;
			break;
		case OPT_ATTACH:
			if (!strcmp(optarg, "fentry"))
				t.want_hook = TRACER_FENTRY;
			else if (!strcmp(optarg, "kprobe"))
				t.want_hook = TRACER_KPROBE;
			else if (strcmp(optarg, "auto"))
				return cli_usage_err(cmd, "--attach takes auto, fentry or "
						     "kprobe, not '%s'", optarg);
			break;
		default:
			ret = cli_common_opt(c, optarg, cmd);
			if (ret >= 0)
				return ret;
		}
	}
	if (optind < argc)
		t.cmd = argv + optind;
	if (t.cmd && t.pid)
		return cli_usage_err(cmd, "give -p PID or a command, not both");

	if (t.pid) {
		int tgid;

		if (target_info(t.pid, &tgid, t.comm, sizeof(t.comm)))
			return cli_fail(ESRCH, t.pid, NULL);
		/* What walk says of it: no user address space to fault in. */
		if (is_kthread(tgid))
			return cli_fail(ENXIO, tgid, NULL);
		t.pid = tgid;
		t.pidfd = syscall(SYS_pidfd_open, t.pid, 0);
	}
	t.env.zero_pfn = tracer_zero_pfn();
	if (!t.env.zero_pfn && t.verbose)
		fprintf(stderr, "ptscope trace: the zero page's frame is unknown "
			"(not root?): no zero-page class\n");
	t.env.huge_zero_pfn = tracer_huge_zero_pfn();
	t.env.fault_around_bytes = tracer_fault_around_bytes();
	model_init(&t.model_counts, &t.env);
	/*
	 * Only the summary: the BPF side classifies and counts each fault
	 * itself, and sends no event (the model and the picture need them).
	 */
	t.aggregate = t.summary_only && !t.model && !t.svg;

	if (t.output) {
		t.out.fd = open(t.output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (t.out.fd < 0) {
			cli_err("cannot open %s: %s", t.output, strerror(errno));
			ret = CLI_ERR;
			goto cleanup;
		}
		/* Colour only where asked for: FILE is no terminal. */
		cli.color = cli.color_when > 0;
	}
	if (t.svg) {
		/* Opened now: a file that cannot be written stops us before tracing. */
		t.svg_f = fopen(t.svg, "we");
		if (!t.svg_f) {
			cli_err("cannot open %s: %s", t.svg, strerror(errno));
			ret = CLI_ERR;
			goto cleanup;
		}
		tsvg_init(&t.pic, 0);
	}

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	/* Refused by lockdown confidentiality: say so before starting CMD. */
	if (cli_lockdown() && !strcmp(cli_lockdown(), "confidentiality")) {
		char why[256];

		tracer_possible(why, sizeof(why));
		cli_err("%s", why);
		ret = CLI_PERM;
		goto cleanup;
	}
	if (t.cmd) {
		err = spawn(&t);
		if (err) {
			cli_err("cannot fork: %s", strerror(-err));
			ret = CLI_ERR;
			goto cleanup;
		}
	}

	{
		struct tracer_opts to = {
			.pid = t.pid, .after_exec = t.child != 0, .want_hook = t.want_hook,
			.verbose = t.verbose, .fn = handle_event, .ctx = &t,
			.aggregate = t.aggregate, .zero_pfn = t.env.zero_pfn,
		};

		err = tracer_open(&t.tr, &to);
	}
	if (err) {
		ret = bpf_fail(err, "cannot load and attach the BPF program");
		goto cleanup;
	}
	if (t.verbose)
		stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (t.verbose)
		fprintf(stderr, "ptscope trace: attached %s + %s; zero page pfn %#llx\n",
			tracer_hook_name(tracer_hook(t.tr)), tracer_exc_name(tracer_exc(t.tr)),
			(unsigned long long)t.env.zero_pfn);
	/* Report from now on (see "armed" in faulttrace.bpf.c). */
	tracer_arm(t.tr, true);
	t.start_ns = now_ns();
	if (t.duration > 0)
		deadline = t.start_ns + (uint64_t)(t.duration * 1e9);
	/* CMD runs, or nothing but the reason is printed. */
	err = trace_go(&t);
	if (err < 0) {
		cli_err("cannot start %s: %s", t.cmd[0], strerror(-err));
		ret = CLI_ERR;
		goto cleanup;
	}
	if (err > 0) {
		cli_err("cannot run %s: %s", t.cmd[0], strerror(err));
		ret = 127;
		goto cleanup;
	}
	if (!cli.json && !t.summary_only)
		print_header(&t);
	out_flush(&t.out);

	ret = CLI_OK;
	while (!exiting) {
		err = tracer_poll(t.tr, 100);
		if (err < 0 && err != -EINTR) {
			cli_err("reading events: %s", strerror(-err));
			ret = CLI_ERR;
			break;
		}
		if (t.err) {
			cli_err("out of memory");
			ret = CLI_ERR;
			break;
		}
		if (err > 0)
			out_flush(&t.out);
		if (t.out.err)
			break;
		if (target_exited(&t)) {
			t.target_gone = true;
			break;
		}
		if (deadline && now_ns() >= deadline)
			break;
	}
	/* Everything the target did before it stopped is in the buffer now. */
	tracer_arm(t.tr, false);
	tracer_consume(t.tr);
	t.stop_ns = now_ns();
	if (t.child && !t.child_done) {
		kill(t.child, forward_sig ? forward_sig : SIGTERM);
		if (waitpid(t.child, &c, 0) == t.child) {
			t.child_done = true;
			t.child_status = WIFEXITED(c) ? WEXITSTATUS(c) : 128 + WTERMSIG(c);
		}
	}
	print_summary(&t);
	out_flush(&t.out);
	if (t.svg_f) {
		err = write_svg(&t);
		if (err) {
			cli_err("writing %s: %s", t.svg, strerror(-err));
			ret = CLI_ERR;
		}
	}
	if (t.out.err && t.out.err != EPIPE) {
		cli_err("writing %s: %s", t.output ? t.output : "output",
			strerror(t.out.err));
		ret = CLI_ERR;
	} else if (ret == CLI_OK && t.child) {
		ret = t.child_status;
	}

cleanup:
	if (stats_fd >= 0)
		close(stats_fd);
	if (t.go_fd >= 0)
		close(t.go_fd);		/* the child gives up without exec */
	if (t.exec_fd >= 0)
		close(t.exec_fd);
	if (t.child && !t.child_done) {
		kill(t.child, SIGKILL);
		waitpid(t.child, NULL, 0);
	}
	if (t.pidfd >= 0)
		close(t.pidfd);
	if (t.output && t.out.fd >= 0)
		close(t.out.fd);
	if (t.svg_f) {
		/* no trace, no picture: not an empty file either */
		fclose(t.svg_f);
		unlink(t.svg);
	}
	tsvg_free(&t.pic);
	free(t.out.buf);
	tracer_close(t.tr);
	for (i = 0; i < CL_NR; i++)
		free(t.cls[i].lat);
	return ret;
}
