// SPDX-License-Identifier: GPL-2.0
/*
 * ptscope lab: recording what a lab did, saw and concluded (the
 * struct lab_ctx fields the runner prints).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "lab.h"

static char *vfmt(const char *fmt, va_list ap)
{
	char *s = NULL;

	if (vasprintf(&s, fmt, ap) < 0)
		return NULL;
	return s;
}

static void add_line(json_object *arr, const char *fmt, va_list ap)
{
	char *s = vfmt(fmt, ap);

	if (s) {
		json_object_array_add(arr, json_object_new_string(s));
		free(s);
	}
}

void lab_step(struct lab_ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_line(c->steps, fmt, ap);
	va_end(ap);
}

void lab_note(struct lab_ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_line(c->notes, fmt, ap);
	va_end(ap);
}

void lab_vnote(struct lab_ctx *c, const char *fmt, ...)
{
	va_list ap;

	if (!c->verbose)
		return;
	va_start(ap, fmt);
	add_line(c->evidence, fmt, ap);
	va_end(ap);
}

void lab_ev(struct lab_ctx *c, const char *key, json_object *val)
{
	json_object_object_add(c->observed, key, val);
}

void lab_ev_int(struct lab_ctx *c, const char *key, int64_t v)
{
	lab_ev(c, key, json_object_new_int64(v));
}

void lab_ev_hex(struct lab_ctx *c, const char *key, uint64_t v)
{
	lab_ev(c, key, cli_json_hex(v));
}

void lab_ev_str(struct lab_ctx *c, const char *key, const char *s)
{
	lab_ev(c, key, s ? json_object_new_string(s) : NULL);
}

void lab_ev_bool(struct lab_ctx *c, const char *key, bool v)
{
	lab_ev(c, key, json_object_new_boolean(v));
}

void lab_ev_double(struct lab_ctx *c, const char *key, double v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%.3f", v);
	lab_ev(c, key, json_object_new_double_s(v, buf));
}

int lab_verdict(struct lab_ctx *c, enum lab_verdict v, const char *fmt, ...)
{
	va_list ap;

	c->verdict = v;
	free(c->explanation);
	va_start(ap, fmt);
	c->explanation = vfmt(fmt, ap);
	va_end(ap);
	return 0;
}

void lab_summary(struct lab_ctx *c, const char *fmt, ...)
{
	va_list ap;

	free(c->summary);
	va_start(ap, fmt);
	c->summary = vfmt(fmt, ap);
	va_end(ap);
}

int lab_cannot(struct lab_ctx *c, const char *fmt, ...)
{
	va_list ap;

	c->status = LAB_CANNOT;
	c->verdict = LAB_V_NONE;
	va_start(ap, fmt);
	vsnprintf(c->reason, sizeof(c->reason), fmt, ap);
	va_end(ap);
	return 0;
}

int lab_fail(struct lab_ctx *c, const char *fmt, ...)
{
	va_list ap;

	if (c->status == LAB_ERROR)	/* keep the first failure */
		return -1;
	c->status = LAB_ERROR;
	c->verdict = LAB_V_NONE;
	va_start(ap, fmt);
	vsnprintf(c->reason, sizeof(c->reason), fmt, ap);
	va_end(ap);
	return -1;
}

const char *lab_verdict_name(enum lab_verdict v)
{
	switch (v) {
	case LAB_V_HOLDS: return "holds";
	case LAB_V_DIFF:  return "holds with a difference";
	case LAB_V_NOT:   return "does not hold on Linux";
	default:          return "no verdict";
	}
}

