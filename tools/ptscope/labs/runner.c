// SPDX-License-Identifier: GPL-2.0
/*
 * ptscope lab [NAME...] [--json] [--verbose] [--no-setup] [--no-trace] [--list]
 *
 * Runs experiments that put the textbook model of virtual memory to the
 * test on the running kernel (one lab per claim, M1..M18), observing
 * child processes with ptscope's own walk, translate, ptcost and fault
 * counters, and reports for each: the claim, what it did, what it saw
 * (with the entries, frames and counts that decided it), a verdict and
 * the Linux mechanism behind it.  See Documentation/labs.rst.
 *
 * This file: the command, the table of labs, the runner and its output.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lab.h"

const struct cli_cmd cli_cmd_lab = {
	.name = "lab",
	.run = cmd_lab,
	.args = "[NAME...] [--json] [--verbose] [--no-setup] [--no-trace] [--list | --predict]",
	.summary = "test the textbook model of virtual memory on this kernel",
	.help =
	"Runs one experiment per claim of the textbook model (M1..M18: address\n"
	"split, per-process tables, entry bits, demand paging, clustering,\n"
	"placement, replacement, paging file, working set, shared code,\n"
	"copy-on-write, standby list, zeroed pages, table cost, large pages,\n"
	"address-space split, mapped files, the working set over time).  Each\n"
	"lab forks a child process, drives it step by step and watches it with\n"
	"ptscope's walk, translate, ptcost and fault counters.  It reports the\n"
	"claim, what it did, what it observed (the entries, frames and fault\n"
	"counts that decided), a\n"
	"verdict -- holds, holds with a difference, does not hold on Linux --\n"
	"and the Linux mechanism.  Verdicts come from the measurements: change\n"
	"a setting (THP, fault_around_bytes, swap) and they change with it.\n"
	"A lab whose prerequisite is missing reports \"cannot run\" and why.\n"
	"\n"
	"NAME is m1..m18 or a lab's name (see --list); none: all labs.\n"
	"\n"
	"Predict first: --predict prints each lab's claim and the questions to\n"
	"answer before running it, and runs nothing (no module, no root\n"
	"needed).  Then run the lab with -v: its evidence lines answer them.\n"
	"\n"
	"The labs on faults (M4 M5 M8 M11 M13 M15 M17) run their steps under\n"
	"the BPF fault tracer where the kernel has BTF: each fault of a step,\n"
	"with its entry before and after, its class and the claims it bears on,\n"
	"is evidence (-v, and observed.trace in JSON), counted against the\n"
	"module's counters and the kernel's minflt/majflt of the same step.\n"
	"The verdicts do not depend on it.  Without BTF the labs say so and\n"
	"run as before.\n"
	"\n"
	"The replacement and paging-file labs need swap and memory pressure:\n"
	"without an active swap device they make a zram swap device (modprobe\n"
	"zram, mkswap, swapon) and a memory cgroup v2 group (mounting cgroup2\n"
	"on /sys/fs/cgroup if needed), and undo every change at the end, also\n"
	"after an error or a signal.  The labs need root and the module.\n"
	"\n"
	"Options:\n"
	"  -v, --verbose   the evidence behind each verdict: the raw entries, the\n"
	"                  frames compared and the fault counters of each step,\n"
	"                  so that the verdict can be checked by hand\n"
	"  -p, --predict   the claim and the questions of each lab, no verdict;\n"
	"                  runs nothing\n"
	"      --no-setup  create no swap device and no cgroup: labs that need\n"
	"                  them report \"cannot run\" when the system lacks them\n"
	"      --no-trace  no BPF fault tracer: the fault counts come from the\n"
	"                  module alone (and loading the tracer is saved)\n"
	"  -l, --list      list the labs and their claims, run nothing\n"
	"  -j, --json      one JSON document per lab (JSON Lines): id, name,\n"
	"                  claim, status (ran | cannot-run), reason, did,\n"
	"                  observed, verdict, explanation, summary\n"
	"\n"
	"Examples:\n"
	"  ptscope lab                       # all labs, then the verdict table\n"
	"  ptscope lab clustering cow -v\n"
	"  ptscope lab --predict m4          # questions first, then: lab m4 -v\n"
	"  ptscope lab m8 --json | jq .observed\n"
	"  tools/vm/run -- tools/ptscope/ptscope lab   # in a throw-away guest\n",
};

/* Signal context: only async-signal-safe calls. */
static void on_fatal_signal(int sig)
{
	lab_env_emergency();
	signal(sig, SIG_DFL);
	raise(sig);
}

static const struct lab *const all_labs[] = {
	&lab_m1, &lab_m2, &lab_m3, &lab_m4, &lab_m5, &lab_m6, &lab_m7, &lab_m8,
	&lab_m9, &lab_m10, &lab_m11, &lab_m12, &lab_m13, &lab_m14, &lab_m15,
	&lab_m16, &lab_m17, &lab_m18,
};
#define NR_LABS (sizeof(all_labs) / sizeof(all_labs[0]))

/* ---- output ------------------------------------------------------------- */

static enum cli_color verdict_color(const struct lab_ctx *c)
{
	if (c->status != LAB_RAN)
		return c->status == LAB_ERROR ? C_RED : C_DIM;
	switch (c->verdict) {
	case LAB_V_HOLDS: return C_GREEN;
	case LAB_V_DIFF:  return C_YELLOW;
	case LAB_V_NOT:   return C_MAGENTA;
	default:          return C_RESET;
	}
}

static const char *status_text(const struct lab_ctx *c)
{
	if (c->status == LAB_CANNOT)
		return "cannot run";
	if (c->status == LAB_ERROR)
		return "error";
	return lab_verdict_name(c->verdict);
}

/* TEXT, word-wrapped at WIDTH columns, each line after the first indented. */
static void wrap(const char *text, int indent, int first_col, int width)
{
	const char *p = text;
	int col = first_col;

	while (*p) {
		const char *w = p;
		int n;

		while (*w == ' ')
			w++;
		n = strcspn(w, " ");
		if (col > indent && col + 1 + n > width) {
			printf("\n%*s", indent, "");
			col = indent;
		} else if (col > indent) {
			putchar(' ');
			col++;
		}
		printf("%.*s", n, w);
		col += n;
		p = w + n;
	}
	putchar('\n');
}

static void print_label(const char *label)
{
	printf("  %s%-10s%s", col(C_BOLD), label, col(C_RESET));
}

static void print_report(const struct lab_ctx *c, double secs)
{
	const struct lab *l = c->lab;
	size_t i, n;
	char id[8];

	snprintf(id, sizeof(id), "%s", l->id);
	id[0] = 'M';
	printf("\n%s== %s %s ==%s %s(%.1f s)%s\n", col(C_BOLD), id, l->name,
	       col(C_RESET), col(C_DIM), secs, col(C_RESET));
	print_label("claim");
	wrap(l->claim, 12, 12, 78);
	n = json_object_array_length(c->steps);
	for (i = 0; i < n; i++) {
		char num[24];

		print_label(i ? "" : "did");
		snprintf(num, sizeof(num), "%zu.", i + 1);
		printf("%-3s ", num);
		wrap(json_object_get_string(json_object_array_get_idx(c->steps, i)),
		     16, 16, 78);
	}
	n = json_object_array_length(c->notes);
	for (i = 0; i < n; i++) {
		print_label(i ? "" : "observed");
		printf("- ");
		wrap(json_object_get_string(json_object_array_get_idx(c->notes, i)),
		     14, 14, 78);
	}
	n = json_object_array_length(c->evidence);
	for (i = 0; i < n; i++) {
		print_label(i ? "" : "evidence");
		printf("- ");
		wrap(json_object_get_string(json_object_array_get_idx(c->evidence, i)),
		     14, 14, 78);
	}
	if (c->status != LAB_RAN) {
		/* "cannot run" fills the label's 10 columns: one space after */
		print_label(c->status == LAB_CANNOT ? "cannot run" : "error");
		printf(" %s", col(verdict_color(c)));
		wrap(c->reason, 12, 13, 78);
		printf("%s", col(C_RESET));
		return;
	}
	print_label("verdict");
	printf("%s%s%s\n", col(verdict_color(c)), status_text(c), col(C_RESET));
	if (c->explanation) {
		print_label("linux");
		wrap(c->explanation, 12, 12, 78);
	}
}

static json_object *result_json(const struct lab_ctx *c, double secs)
{
	json_object *o = json_object_new_object(), *al = json_object_new_array();
	const struct lab *l = c->lab;
	char *did = NULL;
	size_t i, n, len = 0;
	FILE *m;

	jset(o, "id", json_object_new_string(l->id));
	jset(o, "name", json_object_new_string(l->name));
	for (i = 0; l->aliases && l->aliases[i]; i++)
		json_object_array_add(al, json_object_new_string(l->aliases[i]));
	jset(o, "aliases", al);
	jset(o, "claim", json_object_new_string(l->claim));
	jset(o, "status", json_object_new_string(c->status == LAB_RAN ? "ran" : "cannot-run"));
	if (c->status != LAB_RAN) {
		jset(o, "reason", json_object_new_string(c->reason));
		jset(o, "error", json_object_new_boolean(c->status == LAB_ERROR));
	}
	m = open_memstream(&did, &len);
	n = json_object_array_length(c->steps);
	for (i = 0; m && i < n; i++)
		fprintf(m, "%s%zu. %s", i ? " " : "", i + 1,
			json_object_get_string(json_object_array_get_idx(c->steps, i)));
	if (m)
		fclose(m);
	jset(o, "did", json_object_new_string(did ? did : ""));
	free(did);
	jset(o, "steps", json_object_get(c->steps));
	json_object_object_add(c->observed, "notes", json_object_get(c->notes));
	jset(o, "observed", json_object_get(c->observed));
	if (c->verbose)
		jset(o, "evidence", json_object_get(c->evidence));
	jset(o, "verdict", c->status == LAB_RAN ?
	     json_object_new_string(lab_verdict_name(c->verdict)) : NULL);
	jset(o, "explanation", c->explanation ?
	     json_object_new_string(c->explanation) : NULL);
	jset(o, "summary", c->summary ? json_object_new_string(c->summary) : NULL);
	jset(o, "kernel", json_object_new_string(c->ver.kernel_release));
	jset(o, "paging_levels", json_object_new_int(c->ver.paging_levels));
	jset(o, "seconds", json_object_new_double(((int)(secs * 100)) / 100.0));
	return o;
}

struct row {
	const struct lab *lab;
	enum lab_status status;
	enum lab_verdict verdict;
	char text[160];
};

static void print_table(const struct row *rows, size_t n, const struct pts_version *v)
{
	size_t i;

	printf("\n%s== Verdicts: %s, %d-level paging ==%s\n", col(C_BOLD),
	       v->kernel_release, v->paging_levels, col(C_RESET));
	printf("%s%-4s %-20s %-24s %s%s\n", col(C_BOLD), "ID", "LAB", "VERDICT",
	       "KEY EVIDENCE", col(C_RESET));
	for (i = 0; i < n; i++) {
		struct lab_ctx fake = { .status = rows[i].status, .verdict = rows[i].verdict };

		printf("%-4s %-20s %s%-24s%s %s\n", rows[i].lab->id, rows[i].lab->name,
		       col(verdict_color(&fake)), status_text(&fake), col(C_RESET),
		       rows[i].text);
	}
}

/* ---- the command -------------------------------------------------------- */

static const struct lab *find_lab(const char *name)
{
	size_t i, j;

	for (i = 0; i < NR_LABS; i++) {
		const struct lab *l = all_labs[i];

		if (!strcasecmp(name, l->id) || !strcasecmp(name, l->name))
			return l;
		for (j = 0; l->aliases && l->aliases[j]; j++)
			if (!strcasecmp(name, l->aliases[j]))
				return l;
	}
	return NULL;
}

static void list_labs(void)
{
	size_t i, j;

	for (i = 0; i < NR_LABS; i++) {
		const struct lab *l = all_labs[i];

		if (cli.json) {
			json_object *o = json_object_new_object(), *a = json_object_new_array();

			jset(o, "id", json_object_new_string(l->id));
			jset(o, "name", json_object_new_string(l->name));
			for (j = 0; l->aliases && l->aliases[j]; j++)
				json_object_array_add(a, json_object_new_string(l->aliases[j]));
			jset(o, "aliases", a);
			jset(o, "claim", json_object_new_string(l->claim));
			cli_json_print(o, false);
			continue;
		}
		printf("%s%-4s %s%s", col(C_BOLD), l->id, l->name, col(C_RESET));
		for (j = 0; l->aliases && l->aliases[j]; j++)
			printf("%s%s", j ? ", " : " (also: ", l->aliases[j]);
		printf("%s\n     ", l->aliases && l->aliases[0] ? ")" : "");
		wrap(l->claim, 5, 5, 78);
	}
}

/* --predict: the claim and the questions, nothing run, no verdict. */
static void predict_labs(const struct lab *const *sel, size_t nsel)
{
	size_t i, j;

	for (i = 0; i < nsel; i++) {
		const struct lab *l = sel[i];
		char id[8], run[64];

		snprintf(id, sizeof(id), "%s", l->id);
		id[0] = 'M';
		snprintf(run, sizeof(run), "ptscope lab %s -v", l->id);
		if (cli.json) {
			json_object *o = json_object_new_object(), *q = json_object_new_array();

			jset(o, "id", json_object_new_string(l->id));
			jset(o, "name", json_object_new_string(l->name));
			jset(o, "claim", json_object_new_string(l->claim));
			for (j = 0; l->questions && l->questions[j]; j++)
				json_object_array_add(q, json_object_new_string(l->questions[j]));
			jset(o, "questions", q);
			jset(o, "run", json_object_new_string(run));
			cli_json_print(o, false);
			continue;
		}
		printf("%s== %s %s ==%s\n", col(C_BOLD), id, l->name, col(C_RESET));
		print_label("claim");
		wrap(l->claim, 12, 12, 78);
		for (j = 0; l->questions && l->questions[j]; j++) {
			char num[24];

			print_label(j ? "" : "predict");
			snprintf(num, sizeof(num), "%zu.", j + 1);
			printf("%-3s ", num);
			wrap(l->questions[j], 16, 16, 78);
		}
		print_label("then run");
		printf("%s\n%s", run, i + 1 < nsel ? "\n" : "");
	}
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void ctx_free(struct lab_ctx *c)
{
	json_object_put(c->steps);
	json_object_put(c->notes);
	json_object_put(c->observed);
	json_object_put(c->evidence);
	free(c->explanation);
	free(c->summary);
}

int cmd_lab(int argc, char **argv)
{
	enum { OPT_NO_SETUP = OPT_FIRST_LOCAL, OPT_NO_TRACE };
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		{ "verbose", no_argument, NULL, 'v' },
		{ "no-setup", no_argument, NULL, OPT_NO_SETUP },
		{ "no-trace", no_argument, NULL, OPT_NO_TRACE },
		{ "list", no_argument, NULL, 'l' },
		{ "predict", no_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 }
	};
	const struct cli_cmd *cmd = &cli_cmd_lab;
	const struct lab *sel[NR_LABS];
	struct sigaction sa = { .sa_handler = on_fatal_signal }, old[4];
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	bool verbose = false, no_setup = false, no_trace = false, list = false;
	bool predict = false;
	struct row rows[NR_LABS];
	struct pts_version ver;
	size_t nsel = 0, i, j;
	void (*old_pipe)(int);
	int c, ret, rc = CLI_OK;

	while ((c = getopt_long(argc, argv, CLI_COMMON_SHORTOPTS "vlp", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'v':
			verbose = true;
			break;
		case 'l':
			list = true;
			break;
		case 'p':
			predict = true;
			break;
		case OPT_NO_SETUP:
			no_setup = true;
			break;
		case OPT_NO_TRACE:
			no_trace = true;
			break;
		default:
			ret = cli_common_opt(c, optarg, cmd);
			if (ret >= 0)
				return ret;
		}
	}
	for (i = optind; i < (size_t)argc; i++) {
		const struct lab *l = NULL;
		size_t k, from = 0, to = 0;

		if (!strcasecmp(argv[i], "all")) {
			to = NR_LABS;
		} else {
			l = find_lab(argv[i]);
			if (!l)
				return cli_usage_err(cmd, "unknown lab '%s' (m1..m18 or a "
						     "name from 'ptscope lab --list')",
						     argv[i]);
		}
		for (k = from; k < (l ? 1 : to); k++) {
			const struct lab *x = l ? l : all_labs[k];

			for (j = 0; j < nsel && sel[j] != x; j++)
				;
			if (j == nsel)
				sel[nsel++] = x;
		}
	}
	if (list) {
		list_labs();
		return CLI_OK;
	}
	if (!nsel)
		for (j = 0; j < NR_LABS; j++)
			sel[nsel++] = all_labs[j];
	if (predict) {
		predict_labs(sel, nsel);
		return CLI_OK;
	}

	ret = pts_read_version(&ver);
	if (ret == -EPROTO || (!ret && ver.abi_version != PTSCOPE_ABI_VERSION)) {
		cli_err("the loaded module does not speak ABI %d: rebuild and reload",
			PTSCOPE_ABI_VERSION);
		return CLI_NOMODULE;
	}
	if (ret)
		return cli_fail(ret, 0, NULL);
	if (geteuid()) {
		cli_err("permission denied: the labs need root (ptscope sessions, "
			"clear_refs, swap and cgroup set-up)");
		return CLI_PERM;
	}

	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, &old[i]);
	old_pipe = signal(SIGPIPE, SIG_IGN);
	if (!cli.json)
		printf("%s# ptscope lab: %zu lab%s on %s, %d-level paging%s%s\n",
		       col(C_DIM), nsel, nsel == 1 ? "" : "s", ver.kernel_release,
		       ver.paging_levels, ver.pti ? ", PTI" : "", col(C_RESET));

	for (i = 0; i < nsel; i++) {
		struct lab_ctx ctx = {
			.lab = sel[i], .verbose = verbose, .no_setup = no_setup,
			.no_trace = no_trace, .ver = ver,
		};
		double t0 = now(), secs;

		ctx.steps = json_object_new_array();
		ctx.notes = json_object_new_array();
		ctx.evidence = json_object_new_array();
		ctx.observed = json_object_new_object();
		if (!cli.json) {
			printf("%s# running %s (%s)...%s\n", col(C_DIM), sel[i]->id,
			       sel[i]->name, col(C_RESET));
			fflush(stdout);
		}
		ret = sel[i]->run(&ctx);
		if (ret && ctx.status != LAB_ERROR)
			lab_fail(&ctx, "the lab failed");
		if (ctx.status == LAB_RAN && ctx.verdict == LAB_V_NONE)
			lab_fail(&ctx, "the lab reached no verdict");
		lab_trace_done(&ctx);
		lab_env_lab_done();
		secs = now() - t0;
		if (ctx.status == LAB_ERROR)
			rc = CLI_ERR;
		rows[i].lab = sel[i];
		rows[i].status = ctx.status;
		rows[i].verdict = ctx.verdict;
		snprintf(rows[i].text, sizeof(rows[i].text), "%.159s",
			 ctx.status != LAB_RAN ? ctx.reason :
			 ctx.summary ? ctx.summary : "");
		if (cli.json) {
			cli_json_print(result_json(&ctx, secs), false);
			fflush(stdout);
		} else {
			print_report(&ctx, secs);
		}
		ctx_free(&ctx);
	}
	lab_trace_close();
	lab_env_restore();
	if (!cli.json)
		print_table(rows, nsel, &ver);
	signal(SIGPIPE, old_pipe);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &old[i], NULL);
	return rc;
}
