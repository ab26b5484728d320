/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The picture of `ptscope trace --svg FILE`: faults over time x address,
 * one mark per fault, coloured by class.  Events are kept here (at most a
 * fixed number: a uniform sample of them once there are more), the
 * layout and the SVG are made from them at the end; no BPF, no I/O but
 * the FILE written to, so the host unit test feeds it synthetic events.
 */
#ifndef PTSCOPE_TRACE_SVG_H
#define PTSCOPE_TRACE_SVG_H

#include <stdint.h>
#include <stdio.h>

#include "faultclass.h"

#define TSVG_MAX_EVENTS		100000	/* events kept (24 bytes each) */
#define TSVG_W			1920
#define TSVG_H			1080

struct tsvg_ev {
	uint64_t t_ns;			/* since the trace began */
	uint64_t addr;			/* the faulting address */
	uint8_t cls;			/* enum ft_class */
	uint8_t backing;		/* enum ft_backing, 0: unknown */
};

struct tsvg {
	struct tsvg_ev *ev;		/* the events kept */
	size_t n, alloc;
	size_t cap;			/* at most this many kept */
	uint64_t seen;			/* every event given */
	uint64_t count[CL_NR];		/* ... per class */
	uint64_t rnd;			/* the sample's random state */
};

/* What the picture shows besides the events. */
struct tsvg_pic {
	const char *what;		/* "pid 1234 (cat)", "all processes" */
	uint64_t duration_ns;		/* start to stop */
	uint64_t lost;			/* events the tracer lost */
	const char *version;
};

struct tsvg_result {
	size_t ranges;			/* address ranges drawn */
	size_t marks;			/* SVG marks drawn */
	uint64_t drawn;			/* events drawn (kept) */
	uint64_t dropped;		/* events not kept */
};

/* CAP events at most (0: TSVG_MAX_EVENTS). */
void tsvg_init(struct tsvg *s, size_t cap);
void tsvg_free(struct tsvg *s);
/* One fault.  0, or -ENOMEM (the fault is still counted). */
int tsvg_add(struct tsvg *s, uint64_t t_ns, uint64_t addr, int cls, int backing);
/* The picture (TSVG_W x TSVG_H) into F.  0 or -errno. */
int tsvg_write(FILE *f, const struct tsvg *s, const struct tsvg_pic *p,
	       struct tsvg_result *res);

#endif
