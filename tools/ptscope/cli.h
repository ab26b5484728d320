/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ptscope CLI: what the subcommands share (main.c: options, errors,
 * sessions; output.c: colour, sizes, JSON).
 */
#ifndef PTSCOPE_CLI_H
#define PTSCOPE_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <json-c/json.h>

#include "libptscope.h"

#define PTSCOPE_CLI_VERSION	"0.1.0"

/* Exit statuses, documented in --help and ptscope(8). */
enum {
	CLI_OK = 0,		/* success */
	CLI_ERR = 1,		/* runtime error (I/O, protocol, walk cut short) */
	CLI_USAGE = 2,		/* bad command line: option, PID, address, range */
	CLI_NOMODULE = 3,	/* module not loaded, debugfs missing, ABI mismatch */
	CLI_PERM = 4,		/* permission denied (root, ptrace read access) */
	CLI_NOPROC = 5,		/* no such process, exited, or a kernel thread */
};

/* Which walker answers walk, translate, maps, ptcost and map (--via). */
enum cli_via {
	CLI_VIA_AUTO,		/* the module if it can be used, else BPF */
	CLI_VIA_MODULE,
	CLI_VIA_BPF,
};

struct cli_state {
	const char *cmd;	/* subcommand, for messages */
	enum cli_via via;	/* --via */
	bool json;		/* --json */
	bool pretty;		/* --pretty: indented JSON (single documents) */
	bool color;		/* colour on stdout */
	bool color_err;		/* colour on stderr */
	int color_when;		/* 0 auto, 1 always, -1 never */
};
extern struct cli_state cli;

/* One subcommand. */
struct cli_cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *args;	/* synopsis after the name */
	const char *summary;	/* one line */
	const char *help;	/* options and examples */
};

int cmd_walk(int argc, char **argv);
int cmd_translate(int argc, char **argv);
int cmd_maps(int argc, char **argv);
int cmd_ptcost(int argc, char **argv);
int cmd_map(int argc, char **argv);
int cmd_track(int argc, char **argv);		/* faults.c */
int cmd_untrack(int argc, char **argv);
int cmd_faults(int argc, char **argv);
int cmd_trace(int argc, char **argv);		/* trace.c */
int cmd_lab(int argc, char **argv);		/* labs/runner.c */
int cmd_snapshot(int argc, char **argv);	/* snapshot.c */
int cmd_diff(int argc, char **argv);		/* diff.c */
int cmd_wss(int argc, char **argv);		/* wss.c */
int cmd_heatmap(int argc, char **argv);
int cmd_audit(int argc, char **argv);		/* audit.c */

extern const struct cli_cmd cli_cmd_walk, cli_cmd_translate, cli_cmd_maps,
	cli_cmd_ptcost, cli_cmd_map, cli_cmd_track, cli_cmd_untrack,
	cli_cmd_faults, cli_cmd_trace, cli_cmd_lab, cli_cmd_snapshot,
	cli_cmd_diff, cli_cmd_wss, cli_cmd_heatmap;
extern const struct cli_cmd cli_cmd_audit;

/* Options every subcommand takes; add to a subcommand's table. */
enum { OPT_COLOR = 0x100, OPT_NO_COLOR, OPT_PRETTY, OPT_VERSION, OPT_VIA,
       OPT_FIRST_LOCAL = 0x200 };
#define CLI_COMMON_SHORTOPTS	"jh"
#define CLI_COMMON_LONGOPTS						\
	{ "json", no_argument, NULL, 'j' },				\
	{ "pretty", no_argument, NULL, OPT_PRETTY },				\
	{ "help", no_argument, NULL, 'h' },				\
	{ "color", optional_argument, NULL, OPT_COLOR },		\
	{ "colour", optional_argument, NULL, OPT_COLOR },		\
	{ "no-color", no_argument, NULL, OPT_NO_COLOR },		\
	{ "version", no_argument, NULL, OPT_VERSION }

/*
 * Handle a common option returned by getopt_long().  Returns -1 when it
 * was handled and parsing goes on, else the exit status to return now
 * (0 after --help or --version, CLI_USAGE on an unknown option).
 */
int cli_common_opt(int c, const char *arg, const struct cli_cmd *cmd);
/* Usage error: message, hint at --help, returns CLI_USAGE. */
int cli_usage_err(const struct cli_cmd *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Exactly the positional arguments NAMES (NULL-terminated) are left? */
int cli_want_args(const struct cli_cmd *cmd, int argc, char **argv,
		  const char *const names[]);
void cli_print_help(const struct cli_cmd *cmd, FILE *f);

/* Runtime error message "ptscope CMD: ...". */
void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Argument parsing; 0 or CLI_USAGE (message printed). */
int cli_parse_pid(const struct cli_cmd *cmd, const char *str, int *pid);
int cli_parse_addr(const struct cli_cmd *cmd, const char *str, uint64_t *va);
int cli_parse_range(const struct cli_cmd *cmd, const char *str,
		    uint64_t *start, uint64_t *end);
int cli_clamp_range(const struct cli_cmd *cmd, uint64_t *start, uint64_t *end);

/* Where an address lies: user half, kernel half, or neither. */
enum cli_va_kind {
	CLI_VA_UNKNOWN,		/* paging mode unknown (no module) */
	CLI_VA_USER,
	CLI_VA_KERNEL,
	CLI_VA_NONCANONICAL,	/* bits 63..47 (56) not all equal to bit 47 (56) */
};
enum cli_va_kind cli_va_kind(uint64_t va, int paging_levels);
/*
 * VA for a command that reads the user half (KERNEL false) or the kernel
 * half (--kernel): 0, or CLI_USAGE with a message saying which half VA is
 * in (with the hint to use or drop --kernel), or that it is not canonical.
 * WHAT names it ("address", "range start").
 */
int cli_check_half(const struct cli_cmd *cmd, uint64_t va, bool kernel,
		   const char *what);

/* The "pid" of cli_stream_open() for the kernel half (request "kernel"). */
#define CLI_PID_KERNEL	(-1)

/*
 * --via module|bpf for the commands that walk (walk, translate, maps,
 * ptcost, map): add CLI_VIA_LONGOPT to their option table and pass
 * OPT_VIA to cli_common_opt().
 */
#define CLI_VIA_LONGOPT		{ "via", required_argument, NULL, OPT_VIA }

/* ---- bpfwalk.c: walk, translate and ptcost without the module ---- */
/*
 * 0 if the BPF walker can run on this machine, else -errno and *WHY, a
 * sentence saying why not (no kernel BTF, not root, lockdown
 * confidentiality refuses BPF reads of kernel memory...).
 */
int cli_bpfwalk_possible(const char **why);
/*
 * Start a BPF walk of PID for REQ, the request keys the module would get
 * after "pid=N" ("range=S-E coalesce", "va=X", "op=ptcost", or empty).
 * S then yields the module's record stream (HEADER with PTSCOPE_HDR_BPF,
 * ..., END; translate: HEADER, LEVELs, XLATE).  0 or -errno as the
 * module's (ESRCH, ENXIO, EACCES, EINVAL, ERANGE...).
 */
int cli_bpfwalk_open(struct pts_session *s, int pid, const char *req);

/*
 * For a stream the BPF walker produced (PTSCOPE_HDR_BPF in FLAGS): the
 * text line "# via bpf (no module): ..." saying what it cannot guarantee
 * (printed to stdout), and the JSON keys "via", "guarantees" and
 * "unknown" (added to O).  Nothing for the module's streams.
 */
void cli_via_note(uint32_t flags);
void cli_via_json(uint32_t flags, json_object *o);

/* A binary record stream from the module (or the BPF walker). */
struct cli_stream {
	struct pts_session s;
	struct ptscope_header hdr;	/* first record */
	struct ptscope_end end;		/* last record, if seen */
	bool have_end;
	int pid;
	int rc;				/* exit status after a failure */
};

/*
 * Check the module, open the records file, send "pid=PID <FMT...>" and
 * read the header.  0, or an exit status (message printed).
 */
int cli_stream_open(struct cli_stream *st, int pid, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/*
 * Next record after the header: 1 and *rec; 0 at the end of a complete
 * stream; -1 on error (message printed, st->rc set).  The END record is
 * consumed here (st->end): a walk cut short is an error.
 */
int cli_stream_next(struct cli_stream *st, const struct ptscope_rec_hdr **rec);
void cli_stream_close(struct cli_stream *st);
/* The kernel's lockdown level ("none", "integrity"...), NULL if unknown. */
const char *cli_lockdown(void);
/* Exit status and message for a module or system error on PID. */
int cli_fail(int err, int pid, const char *what);

/*
 * ptscope's own mappings of shared files (libc, json-c) raise the map
 * count of frames it shares with the target while it walks.  Populate and
 * record them (cli_self_frames_init), then cli_mapcount() gives a leaf's
 * map count without ptscope's own mapping.  *DISCOUNTED counts the leaves
 * corrected; without the record (not root) the raw count is returned.
 */
void cli_self_frames_init(void);
void cli_self_frames_free(void);
uint32_t cli_mapcount(const struct ptscope_leaf *l, uint64_t *discounted);
/*
 * A leaf as the target alone maps it: cli_mapcount() as its map count,
 * and "exclusive" when that is 1 (snapshot and diff keep these).
 */
void cli_discount_self(struct ptscope_leaf *l);

/* /proc/PID/<file> "Key: value kB" lines: value in kB, or -1. */
long long cli_proc_kb(int pid, const char *file, const char *key);
/* The same for N keys at once (one read of the file): VALS[i] or -1. */
void cli_proc_kbs(int pid, const char *file, const char *const *keys, int n,
		  long long *vals);

/* ---- output.c ---- */
enum cli_color {
	C_RESET, C_BOLD, C_DIM, C_RED, C_GREEN, C_YELLOW, C_BLUE,
	C_MAGENTA, C_CYAN, C_NR
};
void cli_color_setup(void);
/* Escape sequence for stdout (empty without colour). */
const char *col(enum cli_color c);
const char *col_err(enum cli_color c);

/* "4K", "2.4M": a rotating set of static buffers, for printf arguments. */
const char *sz(uint64_t bytes);
/* The same, but "0" for nothing. */
const char *sz0(uint64_t bytes);

/* JSON helpers (json-c; cli_json_hex, cli_json_vma and jset in walkfmt.c). */
json_object *cli_json_hex(uint64_t v);
json_object *cli_json_flags(uint64_t flags);
json_object *cli_json_vma(const struct ptscope_vma *v);
/* One leaf record: va, level, size, entry, pfn, present, flags, mapcount, swap. */
json_object *cli_json_leaf(const struct ptscope_leaf *l);
/* Print one document: a line, or indented with --pretty.  Drops the ref. */
int cli_json_print(json_object *o, bool allow_pretty);
/* Set KEY in O to VAL (a new object), O owning it. */
void jset(json_object *o, const char *key, json_object *val);

/* Level of a record as a user-facing name ("pgd".."pte"). */
static inline const char *lvl(unsigned int level)
{
	return pts_level_name(level);
}

#endif /* PTSCOPE_CLI_H */
