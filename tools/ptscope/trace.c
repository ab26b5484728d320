// SPDX-License-Identifier: GPL-2.0
/*
 * ptscope trace [-p PID | -- CMD [ARG...]] [--duration S] [--json] [-o FILE]
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
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "cli.h"
#include "faulttrace.h"
#include "faulttrace.skel.h"

const struct cli_cmd cli_cmd_trace = {
	.name = "trace",
	.run = cmd_trace,
	.args = "[-p PID | -- CMD [ARG...]] [--duration S] [--json] [-o FILE]",
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
	"  -s, --summary        print only the summary\n"
	"      --attach HOW     how to hook handle_mm_fault(): auto (default:\n"
	"                       fentry/fexit where they work, else kprobes),\n"
	"                       fentry, or kprobe (the fallbacks: kprobe/kretprobe\n"
	"                       and classic tracepoints)\n"
	"  -v, --verbose        libbpf's messages and the BPF run-time cost\n"
	"  -j, --json           JSON Lines: one object per fault, keys time (s\n"
	"                       since start), ts_ns (CLOCK_MONOTONIC), pid, tid,\n"
	"                       comm, address, ip, access, cause, mode, error_code,\n"
	"                       flags, outcome, ret, latency_ns, vma, before and\n"
	"                       after ({level, status, entry, present, writable,\n"
	"                       pfn, window, swap}), class, neighbours; then one\n"
	"                       {\"summary\": {...}} object\n"
	"\n"
	"Examples:\n"
	"  ptscope trace -- python3 -c 'bytearray(1 << 20)'\n"
	"  ptscope trace -p $(pidof postgres) --duration 10 --summary\n"
	"  ptscope trace --json -- ./a.out | jq -c 'select(.class == \"cow\")'\n"
	"  ptscope trace --json -o faults.json -- ./a.out\n",
};

enum ft_class {
	CL_DEMAND_ZERO, CL_ZERO_PAGE, CL_COW, CL_WP_REUSE, CL_FILE, CL_FILE_MAJOR,
	CL_FAULT_AROUND, CL_SWAP_IN, CL_THP, CL_NUMA_HINT, CL_UFFD, CL_RETRY,
	CL_SPURIOUS, CL_ERROR, CL_OTHER, CL_NR
};

static const char *const class_names[CL_NR] = {
	[CL_DEMAND_ZERO] = "demand-zero",
	[CL_ZERO_PAGE] = "zero-page",
	[CL_COW] = "cow",
	[CL_WP_REUSE] = "wp-reuse",
	[CL_FILE] = "file",
	[CL_FILE_MAJOR] = "file-major",
	[CL_FAULT_AROUND] = "fault-around",
	[CL_SWAP_IN] = "swap-in",
	[CL_THP] = "thp",
	[CL_NUMA_HINT] = "numa-hint",
	[CL_UFFD] = "uffd",
	[CL_RETRY] = "retry",
	[CL_SPURIOUS] = "spurious",
	[CL_ERROR] = "error",
	[CL_OTHER] = "other",
};

static const char *const outcome_names[] = { "minor", "major", "retry", "error" };
static const char *const access_names[] = { "read", "write", "exec" };
static const char *const cause_names[] = { "none", "not-present", "protection" };
static const char *const mode_names[] = { "user", "kernel", "gup" };
static const char *const backing_names[] = {
	[FT_BACK_ANON] = "anon", [FT_BACK_FILE] = "file", [FT_BACK_SHMEM] = "shmem",
	[FT_BACK_STACK] = "stack", [FT_BACK_HUGETLB] = "hugetlb",
	[FT_BACK_OTHER] = "other",
};
static const char *const walk_names[] = {
	[FT_WALK_LEAF] = "present", [FT_WALK_NONE] = "none",
	[FT_WALK_NONPRESENT] = "not-present", [FT_WALK_FAIL] = "unreadable",
};

#define NAME(tab, i) ((size_t)(i) < sizeof(tab) / sizeof(tab[0]) && (tab)[i] ? (tab)[i] : "?")

/*
 * Swap types at or above this are not swap devices but migration,
 * device, hwpoison and marker entries (MAX_SWAPFILES is 22 or 23 on the
 * kernels we know; no system has that many swap devices).
 */
#define FT_MAX_SWAPFILES	22

/* Events waiting in the ring buffer before the BPF side wakes us. */
#define TRACE_WAKEUP_BYTES	(256 * 1024)

enum attach_hmf { HMF_FENTRY, HMF_KPROBE };
enum attach_exc { EXC_TP_BTF, EXC_TRACEPOINT, EXC_NONE };
static const char *const hmf_names[] = { "fentry/fexit", "kprobe/kretprobe" };
static const char *const exc_names[] = { "tp_btf", "tracepoint", "none" };

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
	int want_hmf;			/* -1 auto, else enum attach_hmf */
	const char *output;		/* -o FILE */
	/* state */
	struct out out;
	struct faulttrace_bpf *skel;
	struct ring_buffer *rb;
	enum attach_hmf hmf;
	enum attach_exc exc;
	pid_t child;
	int go_fd;			/* releases the spawned child */
	int exec_fd;			/* the child's exec errno, or EOF on exec */
	int pidfd;
	int child_status;
	bool child_done, target_gone;
	char comm[FT_COMM_LEN + 1];
	uint64_t zero_pfn;		/* 0: unknown */
	uint64_t start_ns;		/* CLOCK_MONOTONIC at attach */
	uint64_t stop_ns;
	/* results */
	struct class_stats cls[CL_NR];
	uint64_t events;
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

static bool verbose_libbpf;

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

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (!verbose_libbpf)
		return 0;
	(void)level;
	return vfprintf(stderr, fmt, ap);
}

/* ---- entries --------------------------------------------------------- */

static bool pte_present(const struct ft_pte *p)
{
	return p->status == FT_WALK_LEAF;
}

static bool pte_protnone(const struct ft_pte *p)
{
	return p->status == FT_WALK_NONPRESENT && (p->entry & FT_E_PROTNONE);
}

static bool pte_swap(const struct ft_pte *p)
{
	return p->status == FT_WALK_NONPRESENT && !pte_protnone(p) &&
	       p->level == FT_LVL_PTE;
}

static bool pte_writable(const struct ft_pte *p)
{
	return pte_present(p) && (p->entry & FT_E_RW);
}

/* x86 swap entry: type in bits 59..63, offset inverted in bits 9..58. */
static unsigned int swap_type(uint64_t e)
{
	return e >> 59;
}

static uint64_t swap_offset(uint64_t e)
{
	return (~e << 5) >> 14;
}

/* Frame of a present or PROT_NONE leaf (its first frame if huge); 0 if none. */
static uint64_t pte_pfn(const struct ft_pte *p)
{
	uint64_t e = p->entry, mask = FT_E_PFN_MASK;

	if (pte_protnone(p))
		e = ~e;		/* L1TF: PROT_NONE entries hold the inverted frame */
	else if (!pte_present(p))
		return 0;
	if (p->level == FT_LVL_PMD)
		mask &= ~((1ULL << 21) - 1);
	else if (p->level == FT_LVL_PUD)
		mask &= ~((1ULL << 30) - 1);
	return (e & mask) >> 12;
}

static bool pfn_valid(const struct ft_pte *p)
{
	return pte_present(p) || pte_protnone(p);
}

/* Same mapping, ignoring the accessed and dirty bits. */
static bool pte_same(const struct ft_pte *a, const struct ft_pte *b)
{
	return a->status == b->status && a->level == b->level &&
	       !((a->entry ^ b->entry) & ~(FT_E_ACCESSED | FT_E_DIRTY));
}

/* ---- classification -------------------------------------------------- */

static int classify(const struct trace *t, const struct ft_event *e, int *neighbours)
{
	const struct ft_pte *b = &e->before, *a = &e->after;
	bool anon = e->backing == FT_BACK_ANON || e->backing == FT_BACK_STACK;
	int gain = (int)a->window - (int)b->window;

	*neighbours = 0;
	if (e->outcome == FT_ERROR)
		return CL_ERROR;
	if ((e->vm_flags & FT_VMA_UFFD) &&
	    (e->outcome == FT_RETRY || pte_same(b, a)))
		return CL_UFFD;
	if (e->outcome == FT_RETRY)
		return CL_RETRY;
	if (pte_protnone(b) && (e->vm_flags & (FT_VMA_READ | FT_VMA_WRITE | FT_VMA_EXEC)))
		return CL_NUMA_HINT;
	if (pte_swap(b))
		return swap_type(b->entry) < FT_MAX_SWAPFILES ? CL_SWAP_IN : CL_OTHER;
	if (pte_present(a) && a->level != FT_LVL_PTE &&
	    !(pte_present(b) && b->level == a->level))
		return CL_THP;
	if (pte_present(a) && a->level == FT_LVL_PTE && t->zero_pfn &&
	    pte_pfn(a) == t->zero_pfn && !pte_present(b))
		return CL_ZERO_PAGE;
	if (!pte_present(b) && pte_present(a)) {
		if (anon)
			return CL_DEMAND_ZERO;
		/* A private file mapping written: a copy of the page-cache page. */
		if (e->access == FT_ACC_WRITE && !(e->vm_flags & FT_VMA_SHARED) &&
		    pte_writable(a))
			return CL_COW;
		if (gain > 1) {
			*neighbours = gain - 1;
			return CL_FAULT_AROUND;
		}
		return e->outcome == FT_MAJOR ? CL_FILE_MAJOR : CL_FILE;
	}
	if (pte_present(b) && pte_present(a)) {
		if (pte_pfn(a) != pte_pfn(b))
			return pte_writable(a) ? CL_COW : CL_OTHER;
		if (!pte_writable(b) && pte_writable(a))
			return CL_WP_REUSE;
		if (pte_same(b, a))
			return CL_SPURIOUS;
		return CL_OTHER;
	}
	if (pte_same(b, a))
		return CL_SPURIOUS;
	return CL_OTHER;
}

/* ---- output ---------------------------------------------------------- */

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
	jset(o, "status", json_object_new_string(NAME(walk_names, p->status)));
	jset(o, "entry", jhex(p->entry));
	jset(o, "present", json_object_new_boolean(pte_present(p)));
	jset(o, "writable", json_object_new_boolean(pte_writable(p)));
	jset(o, "pfn", pfn_valid(p) ? json_object_new_int64(pte_pfn(p)) : NULL);
	if (pte_protnone(p))
		jset(o, "protnone", json_object_new_boolean(true));
	if (pte_swap(p)) {
		json_object *s = json_object_new_object();

		jset(s, "type", json_object_new_int(swap_type(p->entry)));
		jset(s, "offset", json_object_new_int64(swap_offset(p->entry)));
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
		       int neighbours)
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
	jset(o, "access", json_object_new_string(NAME(access_names, e->access)));
	jset(o, "cause", json_object_new_string(NAME(cause_names, e->cause)));
	jset(o, "mode", json_object_new_string(NAME(mode_names, e->mode)));
	jset(o, "error_code", e->cause == FT_CAUSE_NONE ? NULL :
	     json_object_new_int(e->error_code));
	jset(o, "flags", jhex(e->flags));
	jset(o, "outcome", json_object_new_string(NAME(outcome_names, e->outcome)));
	jset(o, "ret", jhex(e->ret));
	jset(o, "latency_ns", json_object_new_int64(e->latency));
	jset(v, "start", jhex(e->vm_start));
	jset(v, "end", jhex(e->vm_end));
	vma_perm(e, perm);
	jset(v, "perm", json_object_new_string(perm));
	jset(v, "backing", json_object_new_string(NAME(backing_names, e->backing)));
	jset(v, "uffd", json_object_new_boolean(e->vm_flags & FT_VMA_UFFD));
	jset(o, "vma", v);
	jset(o, "before", pte_json(&e->before));
	jset(o, "after", pte_json(&e->after));
	jset(o, "class", json_object_new_string(class_names[cls]));
	jset(o, "neighbours", json_object_new_int(neighbours));
	out_line(&t->out, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							 JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

/* "pte none", "pte 0x8000000102a3b867", "pmd swap", ... */
static const char *pte_str(const struct ft_pte *p, char *buf, size_t len)
{
	if (p->status == FT_WALK_NONE)
		snprintf(buf, len, "%s none", pts_level_name(p->level));
	else if (p->status == FT_WALK_FAIL)
		snprintf(buf, len, "%s ?", pts_level_name(p->level));
	else
		snprintf(buf, len, "%s %#llx", pts_level_name(p->level),
			 (unsigned long long)p->entry);
	return buf;
}

static void print_header(struct trace *t)
{
	out_printf(&t->out, "%s%-10s %-15s %-15s %-18s %-14s %-5s %-11s %-7s %8s  %-23s   %-23s %s%s\n",
	       col(C_BOLD), "TIME(s)", "PID/TID", "COMM", "ADDRESS", "IP", "ACC",
	       "CAUSE", "OUTCOME", "LAT(us)", "BEFORE", "AFTER", "CLASS", col(C_RESET));
	out_eol(&t->out);
}

static void print_text(struct trace *t, const struct ft_event *e, int cls,
		       int neighbours)
{
	char pt[32], ip[24], bb[40], ab[40], cl[32];
	enum cli_color c = C_RESET;

	snprintf(pt, sizeof(pt), "%u/%u", e->pid, e->tid);
	if (e->mode == FT_MODE_GUP)
		snprintf(ip, sizeof(ip), "(gup)");
	else
		snprintf(ip, sizeof(ip), "%llx", (unsigned long long)e->ip);
	if (cls == CL_FAULT_AROUND)
		snprintf(cl, sizeof(cl), "%s +%d", class_names[cls], neighbours);
	else
		snprintf(cl, sizeof(cl), "%s", class_names[cls]);
	if (e->outcome == FT_MAJOR)
		c = C_YELLOW;
	else if (e->outcome == FT_ERROR)
		c = C_RED;
	else if (e->outcome == FT_RETRY)
		c = C_DIM;
	out_printf(&t->out, "%10.6f %-15s %-15.*s %#-18llx %-14s %-5s %-11s %s%-7s%s %8.1f  %-23s %s %-23s %s%s%s\n",
	       e->ts > t->start_ns ? (e->ts - t->start_ns) / 1e9 : 0.0, pt,
	       FT_COMM_LEN, e->comm, (unsigned long long)e->address, ip,
	       NAME(access_names, e->access), NAME(cause_names, e->cause),
	       col(c), NAME(outcome_names, e->outcome), col(C_RESET),
	       e->latency / 1e3, pte_str(&e->before, bb, sizeof(bb)), "->",
	       pte_str(&e->after, ab, sizeof(ab)), col(C_CYAN), cl, col(C_RESET));
	out_eol(&t->out);
}

static int handle_event(void *ctx, void *data, size_t size)
{
	struct trace *t = ctx;
	struct ft_event e;
	struct class_stats *s;
	int cls, neighbours;

	if (size < sizeof(e))
		return 0;
	memcpy(&e, data, sizeof(e));
	cls = classify(t, &e, &neighbours);
	t->events++;
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
	s->lat[s->n++] = e.latency;
	if (t->summary_only)
		return 0;
	if (cli.json)
		print_json(t, &e, cls, neighbours);
	else
		print_text(t, &e, cls, neighbours);
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

/* Sum of the per-CPU counters. */
static void read_counters(struct trace *t, uint64_t *out)
{
	int ncpu = libbpf_num_possible_cpus(), fd, i, c;
	uint64_t *vals;

	memset(out, 0, FT_NR_COUNTERS * sizeof(*out));
	if (ncpu <= 0)
		return;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return;
	fd = bpf_map__fd(t->skel->maps.counters);
	for (i = 0; i < FT_NR_COUNTERS; i++) {
		__u32 key = i;

		if (bpf_map_lookup_elem(fd, &key, vals))
			continue;
		for (c = 0; c < ncpu; c++)
			out[i] += vals[c];
	}
	free(vals);
}

/* Faults still between entry and return when tracing stopped. */
static uint64_t count_inflight(struct trace *t)
{
	int fd = bpf_map__fd(t->skel->maps.inflight);
	/*
	 * Start from a key that cannot be there (no TID is that large):
	 * the kernel then returns the first key.  (A NULL key does the
	 * same, but valgrind takes it for an unaddressable read.)
	 */
	__u32 key = UINT32_MAX, next;
	uint64_t n = 0;

	while (!bpf_map_get_next_key(fd, &key, &next)) {
		n++;
		key = next;
	}
	return n;
}

/* recursion_misses of the attached programs: runs skipped by the kernel. */
static uint64_t prog_stats(struct trace *t, uint64_t *run_ns, uint64_t *run_cnt)
{
	struct bpf_program *prog;
	uint64_t misses = 0;

	*run_ns = *run_cnt = 0;
	bpf_object__for_each_program(prog, t->skel->obj) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(prog);

		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(fd, &info, &len))
			continue;
		misses += info.recursion_misses;
		*run_ns += info.run_time_ns;
		*run_cnt += info.run_cnt;
	}
	return misses;
}

static void print_summary(struct trace *t)
{
	uint64_t cnt[FT_NR_COUNTERS], unfinished, lost_exit, lost, misses, run_ns, run_cnt;
	double secs = (t->stop_ns - t->start_ns) / 1e9;
	json_object *o = NULL, *classes = NULL, *lo;
	int i;

	read_counters(t, cnt);
	unfinished = count_inflight(t);
	lost_exit = cnt[FT_CNT_LOST_NO_EXIT];
	/* The target is gone: what is still in flight never returned. */
	if (t->target_gone) {
		lost_exit += unfinished;
		unfinished = 0;
	}
	/* A fault the in-flight map had no room for also returns without entry. */
	lost = cnt[FT_CNT_LOST_RINGBUF] + cnt[FT_CNT_LOST_NO_ENTRY] + lost_exit;
	misses = prog_stats(t, &run_ns, &run_cnt);

	if (cli.json) {
		o = json_object_new_object();
		classes = json_object_new_object();
		jset(o, "pid", t->pid ? json_object_new_int(t->pid) : NULL);
		jset(o, "comm", t->pid ? json_object_new_string(t->comm) : NULL);
		jset(o, "duration_s", jsecs(t->stop_ns - t->start_ns));
		jset(o, "attach", json_object_new_string(hmf_names[t->hmf]));
		jset(o, "exceptions_attach", json_object_new_string(exc_names[t->exc]));
		/* Found by the BPF program on the first fault. */
		jset(o, "paging_levels", t->skel->bss->paging_levels ?
		     json_object_new_int(t->skel->bss->paging_levels) : NULL);
		jset(o, "page_offset_base", t->skel->bss->paging_page_offset ?
		     jhex(t->skel->bss->paging_page_offset) : NULL);
		jset(o, "zero_pfn", t->zero_pfn ? json_object_new_int64(t->zero_pfn) : NULL);
	} else {
		out_printf(&t->out, "%s--- ptscope trace: ", col(C_BOLD));
		if (t->pid)
			out_printf(&t->out, "pid %d (%s)", t->pid, t->comm);
		else
			out_printf(&t->out, "all processes");
		out_printf(&t->out, ", %.2f s, %s + %s", secs, hmf_names[t->hmf],
			   exc_names[t->exc]);
		if (t->skel->bss->paging_levels)
			out_printf(&t->out, ", %u-level paging", t->skel->bss->paging_levels);
		out_printf(&t->out, "%s\n", col(C_RESET));
		out_eol(&t->out);
		out_printf(&t->out, "%-14s %9s %10s %10s %10s\n", "CLASS", "COUNT",
			   "P50(us)", "P90(us)", "P99(us)");
		out_eol(&t->out);
	}
	for (i = 0; i < CL_NR; i++) {
		struct class_stats *s = &t->cls[i];
		uint64_t p50, p90, p99;

		if (!s->n)
			continue;
		qsort(s->lat, s->n, sizeof(*s->lat), cmp_u64);
		p50 = pct(s->lat, s->n, 50);
		p90 = pct(s->lat, s->n, 90);
		p99 = pct(s->lat, s->n, 99);
		if (cli.json) {
			json_object *c = json_object_new_object();

			jset(c, "count", json_object_new_int64(s->n));
			jset(c, "p50_ns", json_object_new_int64(p50));
			jset(c, "p90_ns", json_object_new_int64(p90));
			jset(c, "p99_ns", json_object_new_int64(p99));
			jset(classes, class_names[i], c);
		} else {
			out_printf(&t->out, "%-14s %9zu %10.1f %10.1f %10.1f\n", class_names[i],
				   s->n, p50 / 1e3, p90 / 1e3, p99 / 1e3);
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
}

/* ---- setup ----------------------------------------------------------- */

/*
 * The frame of the shared zero page: read a fresh anonymous page (that
 * maps the zero page) and look it up in /proc/self/pagemap (frames are
 * shown to CAP_SYS_ADMIN only).  0 if unknown.
 */
static uint64_t find_zero_pfn(void)
{
	long psz = sysconf(_SC_PAGESIZE);
	volatile char *p;
	uint64_t ent = 0;
	int fd;

	p = mmap(NULL, psz, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 0;
	(void)p[0];
	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (pread(fd, &ent, sizeof(ent), (uintptr_t)p / psz * sizeof(ent)) != sizeof(ent))
			ent = 0;
		close(fd);
	}
	munmap((void *)p, psz);
	if (!(ent >> 63))
		return 0;
	return ent & ((1ULL << 55) - 1);
}

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

static bool btf_has(const struct btf *btf, const char *name, int kind)
{
	return btf && btf__find_by_name_kind(btf, name, kind) > 0;
}

/* Is SYM in /proc/kallsyms?  Unknown (unreadable) counts as yes: try it. */
static bool ksym_exists(const char *sym)
{
	char line[512], name[256];
	bool found = false;
	FILE *f = fopen("/proc/kallsyms", "re");

	if (!f)
		return true;
	while (!found && fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s %*s %255s", name) == 1 && !strcmp(name, sym))
			found = true;
	fclose(f);
	return found;
}

/*
 * Does the classic tracepoint CAT:NAME exist with the record layout the
 * BPF programs read (struct pf_tp_record: address at 8, error_code at 24,
 * 8 bytes each)?  Its format file says.
 */
static bool tracepoint_usable(const char *cat, const char *name)
{
	static const char *const roots[] = { "/sys/kernel/tracing",
					     "/sys/kernel/debug/tracing" };
	static const char *const fields[] = {
		"field:unsigned long address;\toffset:8;\tsize:8;",
		"field:unsigned long error_code;\toffset:24;\tsize:8;",
	};
	char path[256], buf[4096];
	size_t i, k, n;
	FILE *f;

	for (i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		snprintf(path, sizeof(path), "%s/events/%s/%s/format", roots[i], cat, name);
		f = fopen(path, "re");
		if (!f)
			continue;
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		for (k = 0; k < sizeof(fields) / sizeof(fields[0]); k++)
			if (!strstr(buf, fields[k]))
				return false;
		return true;
	}
	return false;
}

static int attach_prog(struct bpf_program *prog, struct bpf_link **link)
{
	*link = bpf_program__attach(prog);
	return *link ? 0 : -errno;
}

/* Open, load and attach one combination of hooks.  0 or -errno. */
static int try_attach(struct trace *t, enum attach_hmf hmf, enum attach_exc exc)
{
	struct faulttrace_bpf *s;
	int err;

	s = faulttrace_bpf__open();
	if (!s)
		return -errno;
	s->rodata->targ_tgid = t->pid;
	s->rodata->self_tgid = getpid();
	/* -- CMD: nothing before CMD's exec (ptscope's forked child). */
	s->rodata->after_exec = t->child != 0;
	/* Batched wake-ups: the reader polls every 100 ms anyway. */
	s->rodata->wakeup_bytes = TRACE_WAKEUP_BYTES;

	bpf_program__set_autoload(s->progs.hmf_fentry, hmf == HMF_FENTRY);
	bpf_program__set_autoload(s->progs.hmf_fexit, hmf == HMF_FENTRY);
	bpf_program__set_autoload(s->progs.hmf_kprobe, hmf == HMF_KPROBE);
	bpf_program__set_autoload(s->progs.hmf_kretprobe, hmf == HMF_KPROBE);
	bpf_program__set_autoload(s->progs.pf_user_btf, exc == EXC_TP_BTF);
	bpf_program__set_autoload(s->progs.pf_kernel_btf, exc == EXC_TP_BTF);
	bpf_program__set_autoload(s->progs.pf_user_tp, exc == EXC_TRACEPOINT);
	bpf_program__set_autoload(s->progs.pf_kernel_tp, exc == EXC_TRACEPOINT);

	err = faulttrace_bpf__load(s);
	if (err)
		goto fail;
	/*
	 * Error codes first, so that the first fault finds its code; then
	 * the entry hook and the return hook.  Nothing is reported before
	 * the user side arms the program (trace_arm()), once all are in.
	 */
	if (exc == EXC_TP_BTF)
		err = attach_prog(s->progs.pf_user_btf, &s->links.pf_user_btf) ?:
		      attach_prog(s->progs.pf_kernel_btf, &s->links.pf_kernel_btf);
	else if (exc == EXC_TRACEPOINT)
		err = attach_prog(s->progs.pf_user_tp, &s->links.pf_user_tp) ?:
		      attach_prog(s->progs.pf_kernel_tp, &s->links.pf_kernel_tp);
	if (err)
		goto fail;
	if (hmf == HMF_FENTRY)
		err = attach_prog(s->progs.hmf_fentry, &s->links.hmf_fentry) ?:
		      attach_prog(s->progs.hmf_fexit, &s->links.hmf_fexit);
	else
		err = attach_prog(s->progs.hmf_kprobe, &s->links.hmf_kprobe) ?:
		      attach_prog(s->progs.hmf_kretprobe, &s->links.hmf_kretprobe);
	if (err)
		goto fail;
	t->skel = s;
	t->hmf = hmf;
	t->exc = exc;
	return 0;
fail:
	if (t->verbose)
		fprintf(stderr, "ptscope trace: %s + %s: %s\n", hmf_names[hmf],
			exc_names[exc], strerror(-err));
	faulttrace_bpf__destroy(s);
	return err;
}

/*
 * Probe what the running kernel offers and attach the best combination
 * that works: fentry/fexit before kprobe/kretprobe, BTF tracepoints
 * before classic ones.  Each candidate is tried for real (load and
 * attach); a failure falls through to the next one.
 */
static int attach(struct trace *t)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	bool tracing = libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_TRACING, NULL) == 1;
	int order[3] = { EXC_TP_BTF, EXC_TRACEPOINT, EXC_NONE };
	bool ok_hmf[2], ok_exc[3];
	int h, x, i, err = -EOPNOTSUPP;

	if (!vmlinux && t->verbose)
		fprintf(stderr, "ptscope trace: no kernel BTF: %s\n", strerror(errno));
	ok_hmf[HMF_FENTRY] = tracing && btf_has(vmlinux, "handle_mm_fault", BTF_KIND_FUNC);
	ok_hmf[HMF_KPROBE] = ksym_exists("handle_mm_fault");
	ok_exc[EXC_TP_BTF] = tracing && btf_has(vmlinux, "btf_trace_page_fault_user",
						BTF_KIND_TYPEDEF);
	ok_exc[EXC_TRACEPOINT] = tracepoint_usable("exceptions", "page_fault_user") &&
				 tracepoint_usable("exceptions", "page_fault_kernel");
	ok_exc[EXC_NONE] = true;
	btf__free(vmlinux);
	if (t->want_hmf >= 0) {
		ok_hmf[!t->want_hmf] = false;
		ok_hmf[t->want_hmf] = true;	/* asked for: try it anyway */
	}
	/* --attach kprobe: the fallbacks only, classic tracepoints too. */
	if (t->want_hmf == HMF_KPROBE) {
		order[0] = EXC_TRACEPOINT;
		order[1] = EXC_TP_BTF;
	}
	if (t->verbose)
		fprintf(stderr, "ptscope trace: probed: fentry %s, kprobe %s, tp_btf %s, "
			"tracepoint %s\n", ok_hmf[0] ? "yes" : "no", ok_hmf[1] ? "yes" : "no",
			ok_exc[0] ? "yes" : "no", ok_exc[1] ? "yes" : "no");

	for (i = 0; i < 3; i++) {
		x = order[i];
		if (!ok_exc[x])
			continue;
		for (h = HMF_FENTRY; h <= HMF_KPROBE; h++) {
			if (!ok_hmf[h])
				continue;
			err = try_attach(t, h, x);
			if (!err) {
				if (x == EXC_NONE)
					cli_warn("the x86 page-fault tracepoints could not be "
						 "attached: no error codes (cause \"none\")");
				return 0;
			}
			if (err == -EPERM)
				return err;
		}
	}
	return err;
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
	enum { OPT_ATTACH = OPT_FIRST_LOCAL };
	static const struct option longopts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "output", required_argument, NULL, 'o' },
		{ "duration", required_argument, NULL, 'd' },
		{ "summary", no_argument, NULL, 's' },
		{ "attach", required_argument, NULL, OPT_ATTACH },
		{ "verbose", no_argument, NULL, 'v' },
		CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	const struct cli_cmd *cmd = &cli_cmd_trace;
	struct trace t = { .want_hmf = -1, .go_fd = -1, .exec_fd = -1, .pidfd = -1,
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
		case OPT_ATTACH:
			if (!strcmp(optarg, "fentry"))
				t.want_hmf = HMF_FENTRY;
			else if (!strcmp(optarg, "kprobe"))
				t.want_hmf = HMF_KPROBE;
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

	verbose_libbpf = t.verbose;
	libbpf_set_print(libbpf_print);

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
	t.zero_pfn = find_zero_pfn();
	if (!t.zero_pfn && t.verbose)
		fprintf(stderr, "ptscope trace: the zero page's frame is unknown "
			"(not root?): no zero-page class\n");

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

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	if (t.cmd) {
		err = spawn(&t);
		if (err) {
			cli_err("cannot fork: %s", strerror(-err));
			ret = CLI_ERR;
			goto cleanup;
		}
	}

	err = attach(&t);
	if (err) {
		ret = bpf_fail(err, "cannot load and attach the BPF program");
		goto cleanup;
	}
	t.rb = ring_buffer__new(bpf_map__fd(t.skel->maps.events), handle_event, &t, NULL);
	if (!t.rb) {
		ret = bpf_fail(-errno, "cannot open the ring buffer");
		goto cleanup;
	}
	if (t.verbose)
		stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (t.verbose)
		fprintf(stderr, "ptscope trace: attached %s + %s; zero page pfn %#llx\n",
			hmf_names[t.hmf], exc_names[t.exc], (unsigned long long)t.zero_pfn);
	/* Report from now on (see "armed" in faulttrace.bpf.c). */
	t.skel->bss->armed = 1;
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
		err = ring_buffer__poll(t.rb, 100);
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
	t.skel->bss->armed = 0;
	ring_buffer__consume(t.rb);
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
	free(t.out.buf);
	ring_buffer__free(t.rb);
	faulttrace_bpf__destroy(t.skel);
	for (i = 0; i < CL_NR; i++)
		free(t.cls[i].lat);
	return ret;
}
