/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Faults against the textbook model (Documentation/labs.rst): which claim
 * each traced fault bears on, with a verdict in the labs' words, and a
 * report per claim of what the model predicts for the faults seen, what
 * was observed, and the verdict.  Everything comes from the traced
 * events (the entries before and after each fault), never from knowing
 * the workload.  Pure: no BPF, no I/O ("ptscope trace --model", the
 * labs, and the host unit test use it).
 */
#ifndef PTSCOPE_MODEL_H
#define PTSCOPE_MODEL_H

#include <stdint.h>
#include <json-c/json.h>

#include "faultclass.h"

enum model_claim { MC_M4, MC_M5, MC_M8, MC_M11, MC_M13, MC_M15, MC_M17, MC_NR };

/* The labs' verdict words (lab_verdict_name()). */
enum model_verdict { MV_NONE = 0, MV_HOLDS, MV_DIFF, MV_NOT };

#define MODEL_MAX_TAGS	3

/* One claim an event bears on. */
struct model_tag {
	enum model_claim claim;
	enum model_verdict verdict;
	char note[160];
};

/* What the model needs to know of the system. */
struct model_env {
	uint64_t zero_pfn;		/* the shared zero page; 0: unknown */
	uint64_t huge_zero_pfn;		/* the huge zero page (2 MiB); 0: unknown */
	long long fault_around_bytes;	/* -1: unknown */
};

/* The counts the report is made of (model_event() adds to them). */
struct model {
	struct model_env env;
	uint64_t events[MC_NR];		/* events tagged with each claim */
	uint64_t m4_first, m4_pages, m4_zero, m4_huge, m4_second, m4_large;
	uint64_t m13_first, m13_new, m13_zero, m13_zero_cow;
	uint64_t m11_written, m11_copied, m11_reused;
	uint64_t m5_faults, m5_eligible, m5_with, m5_neighbours;
	uint64_t m17_faults, m17_pages, m17_major, m17_neighbours;
	uint64_t m8_swapins, m8_major;
	uint64_t m15_huge, m15_pages;
	/*
	 * Pages a read swap-in mapped read-only (6.1 does, even when the
	 * page is exclusive): their first write is no copy-on-write.
	 */
	struct { uint32_t pid; uint64_t page; } ro_swapin[256];
	unsigned int ro_swapin_next;
};

struct model_kv {
	const char *key;
	uint64_t v;
};

/* One claim in the report. */
struct model_result {
	enum model_claim claim;
	uint64_t events;
	struct model_kv predicted[3];
	int npredicted;
	struct model_kv observed[6];
	int nobserved;
	enum model_verdict verdict;
	char predicted_text[160];
	char observed_text[200];
	char evidence[480];
};

void model_init(struct model *m, const struct model_env *env);
/*
 * The claims event E (of class CLS, NEIGHBOURS as ft_classify() gave)
 * bears on, into TAGS (MODEL_MAX_TAGS), and its part in the report: the
 * number of tags.
 */
int model_event(struct model *m, const struct ft_event *e, enum ft_class cls,
		int neighbours, struct model_tag *tags);
/* The report: one result per claim that some event bore on, in claim order. */
int model_report(const struct model *m, struct model_result out[MC_NR]);

const char *model_claim_id(enum model_claim c);		/* "M4" */
const char *model_claim_name(enum model_claim c);	/* "demand paging" */
const char *model_claim_text(enum model_claim c);	/* the model, one sentence */
const char *model_verdict_name(enum model_verdict v);
/* "M4:holds M13:diff" (the text view's column) into BUF. */
const char *model_tags_str(const struct model_tag *tags, int n, char *buf, size_t len);

/* [{claim, verdict, note}] */
json_object *model_tags_json(const struct model_tag *tags, int n);
/* [{claim, name, predicted, observed, verdict, events, evidence}] */
json_object *model_report_json(const struct model_result *r, int n);

#endif /* PTSCOPE_MODEL_H */
