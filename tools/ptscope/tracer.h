/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The faulttrace BPF program, loaded and attached: what "ptscope trace"
 * and the labs share.  tracer_open() probes the running kernel's attach
 * points, loads and attaches the best combination that works, and opens
 * the ring buffer; events reach the caller's function from
 * tracer_poll() and tracer_consume().  Nothing is reported until
 * tracer_arm(t, true).
 */
#ifndef PTSCOPE_TRACER_H
#define PTSCOPE_TRACER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "faulttrace.h"

enum tracer_hook { TRACER_FENTRY, TRACER_KPROBE };
enum tracer_exc { TRACER_TP_BTF, TRACER_TRACEPOINT, TRACER_NO_EXC };

/* Called for each event, in order; non-zero stops the poll with it. */
typedef int (*tracer_event_fn)(void *ctx, const struct ft_event *e);

struct tracer_opts {
	int pid;		/* the tgid to follow, fixed at load; 0: every
				 * process but ours, unless FOLLOW */
	bool follow;		/* PID 0: only the process set with
				 * tracer_follow(), none before */
	bool after_exec;	/* PID is our forked child: from its exec on */
	int want_hook;		/* -1: auto, else enum tracer_hook */
	bool verbose;		/* libbpf's messages and the probing on stderr */
	bool quiet;		/* no warning on stderr (the labs say it themselves) */
	bool aggregate;		/* no events: the BPF side classifies each
				 * fault and counts it by class and latency
				 * (tracer_class_hist()); FN is not called */
	uint64_t zero_pfn;	/* for that classification (0: unknown) */
	tracer_event_fn fn;
	void *ctx;
};

struct tracer;

struct tracer_stats {
	uint64_t cnt[FT_NR_COUNTERS];	/* the BPF counters, summed over CPUs */
	uint64_t inflight;		/* faults between entry and return now */
	uint64_t misses;		/* BPF runs the kernel skipped (recursion) */
	uint64_t run_ns, run_cnt;	/* BPF run time, if stats are enabled */
};

/* Load and attach.  0 or -errno (-EPERM: not allowed). */
int tracer_open(struct tracer **tp, const struct tracer_opts *o);
void tracer_close(struct tracer *t);
/*
 * Follow TGID from now on (opened with follow): only while not armed
 * (-EBUSY), and TGID must not be inside a fault then (blocked, or not
 * yet running), or its return would count as a lost entry.  Faults of
 * the process followed before that were still in flight are forgotten.
 * 0 or -errno.
 */
int tracer_follow(struct tracer *t, int tgid);
/* Report events from now on (true), or no more (false). */
void tracer_arm(struct tracer *t, bool on);
/* Wait up to TIMEOUT_MS for events and hand them out: >= 0 or -errno. */
int tracer_poll(struct tracer *t, int timeout_ms);
/* Hand out every event waiting, without waiting: >= 0 or -errno. */
int tracer_consume(struct tracer *t);
void tracer_stats(struct tracer *t, struct tracer_stats *s);
/* Losses in S: ring buffer full, missed entries and returns. */
uint64_t tracer_lost(const struct tracer_stats *s, bool target_gone);
/*
 * Opened with aggregate: faults counted so far per class and latency
 * bucket ([enum ft_class][FT_LAT_BUCKETS], see ft_lat_bucket()), the
 * BPF program's own counts, read in place.  NULL otherwise.
 */
typedef __u64 tracer_hist_t[FT_LAT_BUCKETS];
const volatile tracer_hist_t *tracer_class_hist(const struct tracer *t);
enum tracer_hook tracer_hook(const struct tracer *t);
enum tracer_exc tracer_exc(const struct tracer *t);
const char *tracer_hook_name(enum tracer_hook h);
const char *tracer_exc_name(enum tracer_exc x);
/* Found by the BPF program at the first fault; 0 before. */
unsigned int tracer_paging_levels(const struct tracer *t);
uint64_t tracer_page_offset(const struct tracer *t);

/*
 * The frame of the shared zero page, from /proc/self/pagemap (frames are
 * shown to CAP_SYS_ADMIN only).  0 if unknown.
 */
uint64_t tracer_zero_pfn(void);
/*
 * The frame of the huge zero page (a read of untouched MADV_HUGEPAGE
 * memory maps it), confirmed by /proc/kpageflags (KPF_ZERO_PAGE and
 * KPF_THP).  0 if unknown: no THP, use_zero_page off, not root.  Our
 * mm keeps its reference, so the frame stays until we exit.
 */
uint64_t tracer_huge_zero_pfn(void);
/* /sys/kernel/debug/fault_around_bytes, or -1 if it cannot be read. */
long long tracer_fault_around_bytes(void);
/* Can this kernel be traced at all (BTF)?  false with the reason in WHY. */
bool tracer_possible(char *why, size_t len);

#endif /* PTSCOPE_TRACER_H */
