// SPDX-License-Identifier: GPL-2.0
/*
 * ptscope lab: the faults of a lab's steps, traced with the faulttrace
 * BPF program (tracer.h), as evidence: each fault with its entry before
 * and after, its class and the claims it bears on (model.h), and per
 * step the trace's counts next to the module's counters and the
 * kernel's minflt/majflt of the same step.
 *
 * One tracer serves the whole "ptscope lab" run: the first lab that
 * follows a child loads it (a few seconds under TCG), the runner unloads
 * it at the end.  It follows one process at a time (follow_tgid in the
 * BPF program): the lab's child, while that child waits for a command,
 * so that it sees every fault of the steps that follow and nothing of
 * any other process.  Verdicts never depend on it: the labs decide from
 * their walks and counters, the trace shows the faults behind them.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "lab.h"
#include "../faultclass.h"
#include "../model.h"
#include "../tracer.h"

/* Events of one step shown as -v evidence lines, and kept in the JSON. */
#define TRACE_EV_LINES		16
#define TRACE_JSON_EVENTS	64
#define TRACE_NOBODY		0	/* tracer_follow(): no process */

/* The run's tracer. */
static struct {
	struct tracer *t;
	bool tried;			/* loading was tried (or was impossible) */
	char why[256];			/* why there is no tracer */
	uint64_t zero_pfn, huge_zero_pfn;
	struct lab_trace *cur;		/* where events go now */
} run;

/* One step's counts. */
struct trace_counts {
	uint64_t events, faults, minor, major, retry, error;
	uint64_t cls[CL_NR], claims[MC_NR];
};

/* A lab's trace (struct lab_ctx.trace). */
struct lab_trace {
	struct lab_ctx *c;
	bool off;			/* not traced: the note is made */
	pid_t pid;			/* followed; 0: none */
	bool tracked;			/* the module counts it */
	/* at the start of the step */
	struct pts_faults mod0;
	long long minflt0, majflt0;
	uint64_t lost0;
	struct trace_counts n;		/* the step so far */
	bool noted[CL_NR];		/* -v: the model's note shown for this class */
	json_object *events;		/* the step's events (up to TRACE_JSON_EVENTS) */
	json_object *lines;		/* the step's -v lines (up to TRACE_EV_LINES) */
	struct model model;
	json_object *steps;
	/* the lab's totals */
	struct trace_counts total;
	uint64_t lost, outside, nsteps;
	char disagree[320];		/* the first step that disagrees */
};

static void count_event(struct trace_counts *n, const struct ft_event *e, int cls,
			const struct model_tag *tags, int ntags)
{
	int i;

	n->events++;
	n->cls[cls]++;
	for (i = 0; i < ntags; i++)
		n->claims[tags[i].claim]++;
	switch (e->outcome) {
	case FT_RETRY:
		n->retry++;	/* counted when the retried fault completes */
		return;
	case FT_MINOR:
		n->minor++;
		break;
	case FT_MAJOR:
		n->major++;
		break;
	default:
		n->error++;
		break;
	}
	n->faults++;
}

static int on_event(void *ctx, const struct ft_event *e)
{
	struct lab_trace *lt = run.cur;
	struct model_tag tags[MODEL_MAX_TAGS];
	char cl[32], bb[40], ab[40], mt[64];
	int cls, nb, ntags;

	(void)ctx;
	if (!lt || !lt->pid || e->pid != (uint32_t)lt->pid) {
		if (lt)
			lt->outside++;
		return 0;
	}
	cls = ft_classify(e, run.zero_pfn, &nb);
	ntags = model_event(&lt->model, e, cls, nb, tags);
	count_event(&lt->n, e, cls, tags, ntags);
	ft_class_str(cls, nb, cl, sizeof(cl));
	ft_entry_str(&e->before, bb, sizeof(bb));
	ft_entry_str(&e->after, ab, sizeof(ab));
	if (json_object_array_length(lt->events) < TRACE_JSON_EVENTS) {
		json_object *o = json_object_new_object();

		jset(o, "address", cli_json_hex(e->address));
		jset(o, "access", json_object_new_string(FT_NAME(ft_access_names, e->access)));
		jset(o, "cause", json_object_new_string(FT_NAME(ft_cause_names, e->cause)));
		jset(o, "outcome", json_object_new_string(FT_NAME(ft_outcome_names,
								  e->outcome)));
		jset(o, "class", json_object_new_string(ft_class_names[cls]));
		if (cls == CL_FAULT_AROUND)
			jset(o, "neighbours", json_object_new_int(nb));
		jset(o, "before", json_object_new_string(bb));
		jset(o, "after", json_object_new_string(ab));
		jset(o, "model", model_tags_json(tags, ntags));
		json_object_array_add(lt->events, o);
	}
	if (lt->c->verbose && json_object_array_length(lt->lines) < TRACE_EV_LINES) {
		char *s = NULL;

		/* the model's note once per class and step: the rest say the same */
		bool note = ntags && !lt->noted[cls];

		lt->noted[cls] |= note;
		if (asprintf(&s, "  %#llx %s %s %s: %s -> %s: %s%s%s",
			     (unsigned long long)e->address,
			     FT_NAME(ft_access_names, e->access),
			     FT_NAME(ft_outcome_names, e->outcome), cl, bb, ab,
			     model_tags_str(tags, ntags, mt, sizeof(mt)), note ? ": " : "",
			     note ? tags[0].note : "") >= 0) {
			json_object_array_add(lt->lines, json_object_new_string(s));
			free(s);
		}
	}
	return 0;
}

static uint64_t lost_now(void)
{
	struct tracer_stats st;

	tracer_stats(run.t, &st);
	return tracer_lost(&st, false);
}

/* The counters of the followed process now, to start a step. */
static void step_start(struct lab_trace *lt)
{
	memset(&lt->mod0, 0, sizeof(lt->mod0));
	lt->tracked = !pts_faults_read(lt->pid, &lt->mod0) && !lt->mod0.exited;
	if (pts_proc_faults(lt->pid, &lt->minflt0, &lt->majflt0))
		lt->minflt0 = lt->majflt0 = -1;
	lt->lost0 = lost_now();
	memset(&lt->n, 0, sizeof(lt->n));
	memset(lt->noted, 0, sizeof(lt->noted));
	json_object_put(lt->events);
	json_object_put(lt->lines);
	lt->events = json_object_new_array();
	lt->lines = json_object_new_array();
}

/*
 * Follow TGID (TRACE_NOBODY: no process) from now on.  The tracer is
 * disarmed for the switch (tracer_follow() wants that), and every event
 * of the process followed so far is handed out first.  The labs' children
 * are blocked between steps, so no fault is in flight meanwhile.
 */
static void switch_to(int tgid)
{
	tracer_arm(run.t, false);
	tracer_consume(run.t);
	if (tgid != TRACE_NOBODY && !tracer_follow(run.t, tgid))
		tracer_arm(run.t, true);
	else
		tracer_follow(run.t, 0);
}

/* Load the run's tracer, once; false (reason in run.why) if there is none. */
static bool have_tracer(void)
{
	struct tracer_opts o = { .follow = true, .want_hook = -1, .quiet = true,
				 .fn = on_event };
	int err;

	if (run.tried)
		return run.t != NULL;
	run.tried = true;
	if (!tracer_possible(run.why, sizeof(run.why)))
		return false;
	err = tracer_open(&run.t, &o);
	if (err) {
		snprintf(run.why, sizeof(run.why), "the BPF fault tracer could not be loaded: "
			 "%s", strerror(-err));
		run.t = NULL;
		return false;
	}
	run.zero_pfn = tracer_zero_pfn();
	run.huge_zero_pfn = tracer_huge_zero_pfn();
	return true;
}

static struct lab_trace *trace_of(struct lab_ctx *c)
{
	struct model_env env;
	struct lab_trace *lt = c->trace;

	if (lt)
		return lt;
	lt = calloc(1, sizeof(*lt));
	if (!lt)
		return NULL;
	lt->c = c;
	c->trace = lt;
	if (!have_tracer()) {
		lt->off = true;		/* lab_trace_done() says why */
		return lt;
	}
	memset(&env, 0, sizeof(env));
	env.zero_pfn = run.zero_pfn;
	env.huge_zero_pfn = run.huge_zero_pfn;
	env.fault_around_bytes = tracer_fault_around_bytes();
	model_init(&lt->model, &env);
	lt->steps = json_object_new_array();
	return lt;
}

void lab_trace_follow(struct lab_ctx *c, struct lab_child *ch)
{
	struct lab_trace *lt;

	if (c->no_trace)
		return;
	lt = trace_of(c);
	if (!lt || lt->off)
		return;
	/* what the previous process did since its last step is no step's */
	run.cur = lt;
	switch_to(ch ? ch->pid : TRACE_NOBODY);
	lt->outside += lt->n.events;
	memset(&lt->n, 0, sizeof(lt->n));
	lt->pid = ch ? ch->pid : 0;
	if (ch)
		step_start(lt);
}

/* The step's counts against the module's and minflt/majflt; false on a difference. */
static bool step_agrees(const struct lab_trace *lt, json_object *o, const char *what,
			uint64_t lost, char *why, size_t len)
{
	const struct trace_counts *n = &lt->n;
	struct pts_faults mod;
	long long minflt = -1, majflt = -1, dmin = 0, dmaj = 0;
	bool ok = lost == 0, stat;

	if (lost)
		snprintf(why, len, "step '%s': the tracer lost %llu events", what,
			 (unsigned long long)lost);
	if (lt->tracked && !pts_faults_read(lt->pid, &mod)) {
		long long f = mod.count[PTSCOPE_FC_FAULTS] - lt->mod0.count[PTSCOPE_FC_FAULTS];
		long long mi = mod.count[PTSCOPE_FC_MINOR] - lt->mod0.count[PTSCOPE_FC_MINOR];
		long long ma = mod.count[PTSCOPE_FC_MAJOR] - lt->mod0.count[PTSCOPE_FC_MAJOR];
		json_object *m = json_object_new_object();

		jset(m, "faults", json_object_new_int64(f));
		jset(m, "minor", json_object_new_int64(mi));
		jset(m, "major", json_object_new_int64(ma));
		jset(o, "module", m);
		if (ok && ((uint64_t)f != n->faults || (uint64_t)mi != n->minor ||
			   (uint64_t)ma != n->major)) {
			snprintf(why, len, "step '%s': the trace has %llu faults (%llu minor, "
				 "%llu major), the module counted %lld (%lld minor, %lld major)",
				 what, (unsigned long long)n->faults,
				 (unsigned long long)n->minor, (unsigned long long)n->major,
				 f, mi, ma);
			ok = false;
		}
	} else {
		jset(o, "module", NULL);
	}
	stat = lt->minflt0 >= 0 && !pts_proc_faults(lt->pid, &minflt, &majflt);
	if (stat) {
		dmin = minflt - lt->minflt0;
		dmaj = majflt - lt->majflt0;
	}
	jset(o, "minflt", stat ? json_object_new_int64(dmin) : NULL);
	jset(o, "majflt", stat ? json_object_new_int64(dmaj) : NULL);
	if (ok && stat && ((uint64_t)dmin != n->minor || (uint64_t)dmaj != n->major)) {
		snprintf(why, len, "step '%s': the trace has %llu minor and %llu major "
			 "faults, /proc/PID/stat says minflt %lld, majflt %lld", what,
			 (unsigned long long)n->minor, (unsigned long long)n->major, dmin, dmaj);
		ok = false;
	}
	return ok;
}

static json_object *counts_json(const uint64_t *v, int nv, bool claims)
{
	json_object *o = json_object_new_object();
	int i;

	for (i = 0; i < nv; i++)
		if (v[i])
			jset(o, claims ? model_claim_id(i) : ft_class_names[i],
			     json_object_new_int64(v[i]));
	return o;
}

static void add_counts(struct trace_counts *to, const struct trace_counts *n)
{
	int i;

	to->events += n->events;
	to->faults += n->faults;
	to->minor += n->minor;
	to->major += n->major;
	to->retry += n->retry;
	to->error += n->error;
	for (i = 0; i < CL_NR; i++)
		to->cls[i] += n->cls[i];
	for (i = 0; i < MC_NR; i++)
		to->claims[i] += n->claims[i];
}

/* "16 zero-page, 2 fault-around" into BUF. */
static const char *classes_str(const struct trace_counts *n, char *buf, size_t len)
{
	size_t used = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < CL_NR && used < len; i++)
		if (n->cls[i])
			used += snprintf(buf + used, len - used, "%s%llu %s", used ? ", " : "",
					 (unsigned long long)n->cls[i], ft_class_names[i]);
	if (!used)
		snprintf(buf, len, "no fault");
	return buf;
}

void lab_trace_step(struct lab_ctx *c, const char *counted_as, const char *fmt, ...)
{
	struct lab_trace *lt = c->trace;
	json_object *o, *ev;
	uint64_t lost;
	size_t i, nlines;
	char what[160], why[320] = "", cls[256];
	va_list ap;
	bool ok;

	if (!lt || lt->off || !lt->pid)
		return;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	run.cur = lt;
	tracer_consume(run.t);
	lost = lost_now() - lt->lost0;
	o = json_object_new_object();
	jset(o, "step", json_object_new_string(what));
	jset(o, "pid", json_object_new_int(lt->pid));
	jset(o, "counted_as", counted_as ? json_object_new_string(counted_as) : NULL);
	jset(o, "faults", json_object_new_int64(lt->n.faults));
	jset(o, "minor", json_object_new_int64(lt->n.minor));
	jset(o, "major", json_object_new_int64(lt->n.major));
	jset(o, "retry", json_object_new_int64(lt->n.retry));
	jset(o, "error", json_object_new_int64(lt->n.error));
	jset(o, "classes", counts_json(lt->n.cls, CL_NR, false));
	jset(o, "claims", counts_json(lt->n.claims, MC_NR, true));
	jset(o, "lost", json_object_new_int64(lost));
	ok = step_agrees(lt, o, what, lost, why, sizeof(why));
	jset(o, "agrees", json_object_new_boolean(ok));
	ev = lt->events;
	jset(o, "events_left_out", json_object_new_int64(lt->n.events -
							 json_object_array_length(ev)));
	jset(o, "events", json_object_get(ev));
	json_object_array_add(lt->steps, o);
	if (!ok && !lt->disagree[0])
		snprintf(lt->disagree, sizeof(lt->disagree), "%s", why);

	lab_vnote(c, "trace of step '%s' (pid %d): %llu fault%s (%llu minor, %llu major): "
		  "%s%s%s", what, lt->pid, (unsigned long long)lt->n.faults,
		  lt->n.faults == 1 ? "" : "s", (unsigned long long)lt->n.minor,
		  (unsigned long long)lt->n.major, classes_str(&lt->n, cls, sizeof(cls)),
		  ok ? "; as the module and minflt/majflt count" : "; ", ok ? "" : why);
	nlines = json_object_array_length(lt->lines);
	for (i = 0; i < nlines; i++)
		lab_vnote(c, "%s", json_object_get_string(json_object_array_get_idx(lt->lines,
										   i)));
	if (c->verbose && lt->n.events > nlines)
		lab_vnote(c, "  ... and %llu more events of this step (in JSON: the first %d)",
			  (unsigned long long)(lt->n.events - nlines), TRACE_JSON_EVENTS);
	add_counts(&lt->total, &lt->n);
	lt->lost += lost;
	lt->nsteps++;
	step_start(lt);
}

void lab_trace_done(struct lab_ctx *c)
{
	struct lab_trace *lt = c->trace;
	struct model_result r[MC_NR];
	json_object *o;

	if (!lt)
		return;
	if (lt->off) {
		lab_note(c, "trace: not used: %s; the fault counts come from the module's "
			 "counters alone", run.why);
		lab_ev_str(c, "trace_unavailable", run.why);
	} else {
		run.cur = lt;
		switch_to(TRACE_NOBODY);
		lt->outside += lt->n.events;
		run.cur = NULL;
		o = json_object_new_object();
		jset(o, "attach", json_object_new_string(tracer_hook_name(tracer_hook(run.t))));
		jset(o, "error_codes", json_object_new_string(tracer_exc_name(tracer_exc(run.t))));
		jset(o, "zero_pfn", run.zero_pfn ? cli_json_hex(run.zero_pfn) : NULL);
		jset(o, "steps", json_object_get(lt->steps));
		jset(o, "faults", json_object_new_int64(lt->total.faults));
		jset(o, "minor", json_object_new_int64(lt->total.minor));
		jset(o, "major", json_object_new_int64(lt->total.major));
		jset(o, "classes", counts_json(lt->total.cls, CL_NR, false));
		jset(o, "claims", counts_json(lt->total.claims, MC_NR, true));
		jset(o, "lost", json_object_new_int64(lt->lost));
		jset(o, "outside_steps", json_object_new_int64(lt->outside));
		jset(o, "agrees", json_object_new_boolean(!lt->disagree[0]));
		jset(o, "model", model_report_json(r, model_report(&lt->model, r)));
		lab_ev(c, "trace", o);
		if (lt->nsteps && c->status == LAB_RAN) {
			char cls[256];

			if (!lt->disagree[0])
				lab_note(c, "trace: %llu fault%s in %llu step%s (%llu minor, %llu "
					 "major: %s), each step as the module counted and as "
					 "minflt/majflt say; none lost",
					 (unsigned long long)lt->total.faults,
					 lt->total.faults == 1 ? "" : "s",
					 (unsigned long long)lt->nsteps, lt->nsteps == 1 ? "" : "s",
					 (unsigned long long)lt->total.minor,
					 (unsigned long long)lt->total.major,
					 classes_str(&lt->total, cls, sizeof(cls)));
			else
				lab_note(c, "trace: %llu fault%s in %llu step%s (%llu minor, %llu "
					 "major), but %s", (unsigned long long)lt->total.faults,
					 lt->total.faults == 1 ? "" : "s",
					 (unsigned long long)lt->nsteps, lt->nsteps == 1 ? "" : "s",
					 (unsigned long long)lt->total.minor,
					 (unsigned long long)lt->total.major, lt->disagree);
		}
	}
	json_object_put(lt->steps);
	json_object_put(lt->events);
	json_object_put(lt->lines);
	free(lt);
	c->trace = NULL;
}

void lab_trace_close(void)
{
	tracer_close(run.t);
	memset(&run, 0, sizeof(run));
}
