/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ptscope lab: experiments that test the textbook model of virtual memory
 * (Documentation/labs.rst, claims M1..M18) on the running kernel.
 *
 * The files of tools/ptscope/labs/, each using only those below it:
 *
 *   runner.c       the command: options, the table of labs, running them,
 *                  the report, the verdict table, --list and --predict
 *   translation.c  the labs M1 M2 M3 M14 M16 (address translation)
 *   paging.c       M4 M5 M6 M13 M15 M17 (demand paging, frames)
 *   sharing.c      M9 M10 M11 M12 (sharing between processes)
 *   replacement.c  M7 M8 (replacement and the paging file)
 *   workingset.c   M18 (the working set over time, W(t, tau))
 *   child.c        the child process a lab drives, step by step
 *   env.c          what a lab changes and its clean-up: swap, the memory
 *                  cgroup, scratch files, the processes started
 *   helpers.c      fault counters; ptscope's walk, translate and ptcost
 *                  through libptscope; small readers of system files
 *   tracing.c      the BPF fault tracer under a lab's steps: each fault
 *                  with its entries before and after, as evidence
 *   result.c       recording a result: steps, notes, evidence, verdict
 *
 * A new lab: a "const struct lab" in the claims file of its group (or a
 * new one), declared below and added to all_labs[] in runner.c.
 *
 * A lab never writes its answer into the code: every number and the
 * verdict come from what it measures at run time.
 */
#ifndef PTSCOPE_LAB_H
#define PTSCOPE_LAB_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <json-c/json.h>

#include "../cli.h"

/* The subcommand (wired into main.c's command table). */
int cmd_lab(int argc, char **argv);
extern const struct cli_cmd cli_cmd_lab;

#define LAB_PAGE	4096UL
/* not in every C library's headers yet (Linux 5.14) */
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ	22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE	23
#endif
#define LAB_PMD_SIZE	(2UL << 20)

enum lab_verdict {
	LAB_V_NONE = 0,
	LAB_V_HOLDS,		/* "holds" */
	LAB_V_DIFF,		/* "holds with a difference" */
	LAB_V_NOT,		/* "does not hold on Linux" */
};

enum lab_status {
	LAB_RAN = 0,		/* ran, has a verdict */
	LAB_CANNOT,		/* a prerequisite is missing: no verdict */
	LAB_ERROR,		/* something failed while it ran: no verdict */
};

struct lab_ctx;
struct lab_trace;

/* One lab. */
struct lab {
	const char *id;			/* "m5" */
	const char *name;		/* "clustering": the main alias */
	const char *const *aliases;	/* more names, NULL-terminated, or NULL */
	const char *claim;		/* the model's claim, one sentence */
	/* 1-3 questions for students to answer before the run (--predict),
	 * NULL-terminated; Documentation/labs.rst pairs each with the line
	 * of "ptscope lab NAME -v" that answers it */
	const char *const *questions;
	int (*run)(struct lab_ctx *c);	/* 0, or -1 after lab_fail() */
};

extern const struct lab lab_m1, lab_m2, lab_m3, lab_m4, lab_m5, lab_m6,
	lab_m7, lab_m8, lab_m9, lab_m10, lab_m11, lab_m12, lab_m13, lab_m14,
	lab_m15, lab_m16, lab_m17, lab_m18;

/* What one lab found, and what it may use while it runs. */
struct lab_ctx {
	const struct lab *lab;
	bool verbose;			/* --verbose: more evidence */
	bool no_setup;			/* --no-setup: create no swap, no cgroup */
	bool no_trace;			/* --no-trace: no BPF fault tracer */
	struct pts_version ver;		/* the module's version file */
	/* result */
	enum lab_status status;
	enum lab_verdict verdict;
	char reason[512];		/* cannot-run or error */
	char *explanation;
	char *summary;			/* one line for the verdict table */
	json_object *steps;		/* "did": array of strings */
	json_object *notes;		/* human-readable observations */
	json_object *observed;		/* evidence (object; notes inside) */
	/* --verbose: the walks, translations, page-table costs and fault
	 * counters the lab read, one line each, in the order it read them
	 * (lab_vnote, and the helpers of helpers.c by themselves) */
	json_object *evidence;
	/* the last fault counters read of each child, for the deltas */
	struct lab_seen_faults {
		pid_t pid;
		long long v[PTSCOPE_NR_FAULT_COUNTERS];
	} seen[8];
	unsigned int nseen;
	struct lab_trace *trace;	/* tracing.c: the faults of its steps */
};

/* ---- recording a result ---------------------------------------------- */

/* What the lab did, one step at a time. */
void lab_step(struct lab_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* An observation, in words (always shown). */
void lab_note(struct lab_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Evidence shown only with --verbose ("evidence" in the report and in
 * JSON): an entry, a frame, a counter that decided the verdict. */
void lab_vnote(struct lab_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Structured evidence: observed.KEY = VAL (takes the reference). */
void lab_ev(struct lab_ctx *c, const char *key, json_object *val);
void lab_ev_int(struct lab_ctx *c, const char *key, int64_t v);
void lab_ev_hex(struct lab_ctx *c, const char *key, uint64_t v);
void lab_ev_str(struct lab_ctx *c, const char *key, const char *s);
void lab_ev_bool(struct lab_ctx *c, const char *key, bool v);
void lab_ev_double(struct lab_ctx *c, const char *key, double v);
/* The verdict and the Linux mechanism behind it.  Returns 0. */
int lab_verdict(struct lab_ctx *c, enum lab_verdict v, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A short line of key evidence for the verdict table. */
void lab_summary(struct lab_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A missing prerequisite: the lab reports "cannot-run".  Returns 0. */
int lab_cannot(struct lab_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A failure while running.  Returns -1. */
int lab_fail(struct lab_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

const char *lab_verdict_name(enum lab_verdict v);

/* ---- the child a lab drives ----------------------------------------- */

/*
 * A forked process that does one step per command read from a pipe and
 * blocks in read() between steps, so it neither faults nor changes its
 * tables while the lab looks at it.  At start it maps in its own code
 * and writes its data pages, so that the fault counters of a step count
 * the step's own faults only.  Its faults are tracked by the module.
 */
struct lab_child {
	pid_t pid;
	int to, from;			/* command pipe, answer pipe */
	bool tracked;			/* fault counters from the module */
	/* the pipes of a grandchild it may fork (lab_child_start2) */
	int gc_cmd_rd, gc_ack_wr;
};

enum lab_touch {
	LAB_READ = 1,		/* read byte 0 of each page */
	LAB_WRITE,		/* write VALUE at byte 0 of each page */
	LAB_FILL,		/* write VALUE over the whole page */
	LAB_CHECK_ZERO,		/* read the whole page: count non-zero bytes */
	LAB_WRITE_CHECK,	/* write byte 0, count non-zero bytes 1..4095 */
	LAB_CHECK_VALUE,	/* count bytes of the page that differ from VALUE */
};

int lab_child_start(struct lab_ctx *c, struct lab_child *ch);
/* Start CH ready to fork GC with lab_c_fork() later. */
int lab_child_start2(struct lab_ctx *c, struct lab_child *ch, struct lab_child *gc);
/* Kill (SIGKILL), reap, untrack.  Safe on a child never started. */
void lab_child_stop(struct lab_child *ch);
/* Ask the child to exit, and reap it (its counters are then final). */
int lab_c_exit(struct lab_ctx *c, struct lab_child *ch);

/* Steps.  They return -1 after lab_fail() unless said otherwise. */
int lab_c_nop(struct lab_ctx *c, struct lab_child *ch);
/* mmap in the child; returns the address or 0 (failure: lab_fail). */
uint64_t lab_c_mmap(struct lab_ctx *c, struct lab_child *ch, uint64_t hint,
		    uint64_t len, int prot, int flags, int fd, uint64_t off);
/* Like lab_c_mmap, but a failure is returned as -errno, not recorded. */
int64_t lab_c_mmap_try(struct lab_ctx *c, struct lab_child *ch, uint64_t hint,
		       uint64_t len, int prot, int flags, int fd, uint64_t off);
/* Anonymous private read-write memory aligned to ALIGN (>= 4K). */
uint64_t lab_c_anon(struct lab_ctx *c, struct lab_child *ch, uint64_t len,
		    uint64_t align, int madv);
int lab_c_munmap(struct lab_ctx *c, struct lab_child *ch, uint64_t addr,
		 uint64_t len);
int lab_c_madvise(struct lab_ctx *c, struct lab_child *ch, uint64_t addr,
		  uint64_t len, int advice);
/* Touch NPAGES pages from ADDR, STRIDE bytes apart; returns >= 0 (a
 * checksum or a count of bytes, see enum lab_touch) or -1. */
int64_t lab_c_touch(struct lab_ctx *c, struct lab_child *ch, uint64_t addr,
		    uint64_t npages, uint64_t stride, enum lab_touch how,
		    unsigned int value);
/*
 * MADV_DONTNEED NFREE pages from FREE_ADDR (FREE_STRIDE apart), move to
 * CPU (-1: stay), then touch NTOUCH pages from TOUCH_ADDR with HOW: with
 * no pipe traffic in between, so nothing else allocates on that CPU.
 */
int64_t lab_c_free_touch(struct lab_ctx *c, struct lab_child *ch,
			 uint64_t free_addr, uint64_t nfree, uint64_t free_stride,
			 int cpu, uint64_t touch_addr, uint64_t ntouch,
			 enum lab_touch how, unsigned int value);
/* Pin the child to CPU. */
int lab_c_cpu(struct lab_ctx *c, struct lab_child *ch, int cpu);
/* open(PATH, FLAGS) in the child: the fd, or -1. */
int lab_c_open(struct lab_ctx *c, struct lab_child *ch, const char *path,
	       int flags);
/* Read ADDR in a forked grandchild: the signal that killed it, or 0. */
int lab_c_probe(struct lab_ctx *c, struct lab_child *ch, uint64_t addr);
/* Start a thread that sleeps: its TID, or -1. */
int lab_c_thread(struct lab_ctx *c, struct lab_child *ch);
/* Fork GC (prepared by lab_child_start2): it serves commands too. */
int lab_c_fork(struct lab_ctx *c, struct lab_child *ch, struct lab_child *gc);
/*
 * Memory pressure the replacement lab needs: write NL pages from L in
 * chunks of CHUNK pages; after each chunk read and write every page of
 * [F, F + NF pages) again.
 */
int lab_c_pressure(struct lab_ctx *c, struct lab_child *ch, uint64_t l,
		   uint64_t nl, uint64_t chunk, uint64_t f, uint64_t nf);

/* ---- fault counters --------------------------------------------------- */

struct lab_faults {
	long long v[PTSCOPE_NR_FAULT_COUNTERS];
};

/*
 * Counters of CH now: the module's, or (not tracked) minflt and majflt
 * from /proc/PID/stat in MINOR/MAJOR and their sum in FAULTS.
 */
int lab_faults(struct lab_ctx *c, struct lab_child *ch, struct lab_faults *f);
/* AFTER - BEFORE, counter by counter, into D. */
void lab_faults_sub(const struct lab_faults *after,
		    const struct lab_faults *before, struct lab_faults *d);
/* The interesting counters as a JSON object. */
json_object *lab_faults_json(const struct lab_faults *d);
/* "12 faults (12 minor, 0 major; 12 read, 0 write)" into BUF. */
const char *lab_faults_str(const struct lab_faults *d, char *buf, size_t len);

/* ---- the fault tracer (tracing.c) ------------------------------------ */

/*
 * Trace CH's faults from now on with the BPF fault tracer (loaded by the
 * first lab that asks, kept for the run).  Call while CH waits for a
 * command, before the steps it should see; it follows one process at a
 * time, so call it again to switch to another child (CH NULL: none, so
 * that what follows is no step of the trace).  Nothing with
 * --no-trace; without BTF, or if the tracer cannot be loaded, the lab
 * gets a note saying so and runs as before.  Never changes a verdict.
 */
void lab_trace_follow(struct lab_ctx *c, struct lab_child *ch);
/*
 * The end of a step, named by FMT: the faults the followed child took
 * since the last step (or lab_trace_follow()), each with its entries
 * before and after, its class and the claims it bears on, become
 * evidence (observed.trace.steps[], and -v lines), with the module's
 * counters and minflt/majflt of the same interval to compare.
 * COUNTED_AS: the key of observed where the lab keeps its own fault
 * counts of this step, or NULL.
 */
void lab_trace_step(struct lab_ctx *c, const char *counted_as, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* After a lab (the runner): stop following, observed.trace and the note. */
void lab_trace_done(struct lab_ctx *c);
/* At the end of the run (the runner): unload the tracer. */
void lab_trace_close(void);

/* ---- ptscope: walk, translate, ptcost -------------------------------- */

struct lab_walk {
	struct ptscope_header hdr;
	struct ptscope_vma *vmas;
	size_t nvmas;
	struct ptscope_leaf *leaves;
	size_t nleaves;
};

/*
 * Walk [START, END) of PID (0/0: the whole space). 0 or -1 (lab_fail).
 * PID LAB_PID_KERNEL: the kernel half, coalesced (walk --kernel
 * --coalesce), START/END ignored; -EPERM (nothing printed) when lockdown
 * confidentiality refuses it.
 */
#define LAB_PID_KERNEL	(-1)
int lab_walk(struct lab_ctx *c, pid_t pid, uint64_t start, uint64_t end,
	     struct lab_walk *w);
void lab_walk_free(struct lab_walk *w);
/* The last VMA record that covers VA, or NULL. */
const struct ptscope_vma *lab_walk_vma(const struct lab_walk *w, uint64_t va);

/* What one 4K page is mapped by. */
struct lab_page {
	const struct ptscope_leaf *leaf;	/* lab_expand() only: the leaf */
	bool mapped;			/* some entry (present or not) */
	bool present;
	bool swap;
	uint64_t pfn;			/* this 4K page's frame (present) */
	uint64_t flags;
	unsigned int level;
	uint32_t mapcount;
	unsigned int swap_type;
	uint64_t swap_offset;
};

/* Per-page view of [START, START + NPAGES * 4K) from W. */
void lab_expand(const struct lab_walk *w, uint64_t start, size_t npages,
		struct lab_page *out);
/* Walk PID over the pages and expand them.  0 or -1. */
int lab_pages(struct lab_ctx *c, pid_t pid, uint64_t start, size_t npages,
	      struct lab_page *out, struct ptscope_header *hdr);
/* Count pages with a present entry / a swap entry / any entry. */
size_t lab_count_present(const struct lab_page *p, size_t n);
size_t lab_count_swap(const struct lab_page *p, size_t n);
size_t lab_count_any(const struct lab_page *p, size_t n);

struct lab_xlate {
	struct ptscope_header hdr;
	struct ptscope_xlate_level lv[PTSCOPE_NR_LEVELS];
	int nlv;
	struct ptscope_xlate x;
};

/* Translate VA of PID: 0, -ERANGE (outside user space), or -1. */
int lab_translate(struct lab_ctx *c, pid_t pid, uint64_t va, struct lab_xlate *x);

int lab_ptcost(struct lab_ctx *c, pid_t pid, struct ptscope_cost *cost,
	       struct ptscope_header *hdr);

/* A leaf as JSON, and as one line of text into BUF. */
json_object *lab_leaf_json(const struct ptscope_leaf *l);
const char *lab_leaf_str(const struct ptscope_leaf *l, char *buf, size_t len);
/* One translation level as text. */
const char *lab_level_str(const struct ptscope_xlate_level *lv, char *buf,
			  size_t len);

/* ---- the system ------------------------------------------------------ */

/* Small file helpers.  lab_read_str strips the trailing newline. */
int lab_read_str(const char *path, char *buf, size_t len);
int lab_write_str(const char *path, const char *s);
long long lab_read_ll(const char *path);
/* The bracketed choice of a sysfs selector ("always [madvise] never"). */
int lab_sysfs_choice(const char *path, char *buf, size_t len);
/* "Key: N kB" of /proc/PID/FILE in kB, or -1. */
long long lab_proc_kb(pid_t pid, const char *file, const char *key);
/* Number of CPUs this process may run on. */
int lab_ncpus(void);
/* Pages of FD's file [0, LEN) in the page cache (mincore), or -1. */
long lab_cached_pages(int fd, uint64_t len);

/*
 * A scratch file of LEN bytes in $TMPDIR (or /tmp); FILL: write every
 * byte (so it is in the page cache), else sparse.  Removed when the lab
 * ends (and on a signal).  Returns an fd (O_RDWR), or -1 (lab_fail).
 */
int lab_tmpfile(struct lab_ctx *c, uint64_t len, bool fill, char *path,
		size_t pathlen);
/*
 * A readable file of at least MINLEN bytes whose pages are not in the
 * page cache (dropped with POSIX_FADV_DONTNEED); -1 if none is found.
 */
int lab_cold_file(struct lab_ctx *c, uint64_t minlen, char *path, size_t pathlen);

/* Run a program (argv[0] found in PATH), output discarded: its status. */
int lab_run(const char *const argv[]);

/*
 * Swap and a memory cgroup, for the labs that need memory pressure
 * (replacement.c), set up in env.c.  Set-up is lazy and undone by lab_env_restore(),
 * which the runner calls at the end, on error paths and on signals.
 */
/* 0: swap is active (perhaps a zram device made here); 1: cannot (reason
 * in WHY); -1: error. */
int lab_env_swap(struct lab_ctx *c, char *why, size_t len);
/* A fresh memory cgroup with memory.max = MAX_BYTES holding PID. */
int lab_env_cgroup(struct lab_ctx *c, pid_t pid, uint64_t max_bytes,
		   char *why, size_t len);
/* Remove the lab's cgroup (its processes must be gone). */
void lab_env_cgroup_remove(void);
void lab_env_restore(void);
/* Async-signal-safe part of the above (no stdio, no malloc). */
void lab_env_restore_signal(void);
/* After one lab: remove its scratch files and its cgroup. */
void lab_env_lab_done(void);
/* From a signal handler: kill the lab's processes, remove the scratch
 * files, lab_env_restore_signal().  Async-signal-safe. */
void lab_env_emergency(void);
/* The swap devices of /proc/swaps, as a JSON array of names. */
json_object *lab_env_swaps_json(void);
/* The lab's cgroup below the hierarchy's root ("/ptscope-lab.N"), or NULL. */
const char *lab_env_cgroup_path(void);
/* "KEY N" of FILE in the lab's cgroup (memory.stat ...), or -1. */
long long lab_env_cgroup_stat(const char *file, const char *key);

/* Remember PID / PATH for the emergency clean-up (signals, exit). */
void lab_track_pid(pid_t pid);
void lab_untrack_pid(pid_t pid);

#endif /* PTSCOPE_LAB_H */
