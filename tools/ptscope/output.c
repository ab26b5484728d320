// SPDX-License-Identifier: GPL-2.0
/*
 * ptscope CLI output helpers: colour (only on a terminal whose TERM is
 * set and not dumb, NO_COLOR respected), human-readable sizes, and JSON
 * through json-c (the JSON of a VMA is in walkfmt.c).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char *const esc[C_NR] = {
	[C_RESET]   = "\033[0m",
	[C_BOLD]    = "\033[1m",
	[C_DIM]     = "\033[2m",
	[C_RED]     = "\033[31m",
	[C_GREEN]   = "\033[32m",
	[C_YELLOW]  = "\033[33m",
	[C_BLUE]    = "\033[34m",
	[C_MAGENTA] = "\033[35m",
	[C_CYAN]    = "\033[36m",
};

/*
 * --color=always or never wins; else colour only on a terminal whose TERM
 * is set and not "dumb", and without NO_COLOR (https://no-color.org): a
 * serial console is a terminal too, and a guest's console captured to a
 * file must not fill it with escapes (tools/vm/run sets TERM=dumb there).
 */
static bool want_color(int fd)
{
	const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");

	if (cli.color_when)
		return cli.color_when > 0;
	if (nc && *nc)
		return false;
	if (!term || !*term || !strcmp(term, "dumb"))
		return false;
	return isatty(fd);
}

void cli_color_setup(void)
{
	cli.color = want_color(STDOUT_FILENO);
	cli.color_err = want_color(STDERR_FILENO);
}

const char *col(enum cli_color c)
{
	return cli.color && c < C_NR ? esc[c] : "";
}

const char *col_err(enum cli_color c)
{
	return cli.color_err && c < C_NR ? esc[c] : "";
}

const char *sz(uint64_t bytes)
{
	static char bufs[8][16];
	static unsigned int next;
	char *b = bufs[next++ % 8];

	return pts_fmt_size(bytes, b, sizeof(bufs[0]));
}

const char *sz0(uint64_t bytes)
{
	return bytes ? sz(bytes) : "0";
}

json_object *cli_json_flags(uint64_t flags)
{
	json_object *a = json_object_new_array();
	int i;

	for (i = 0; i < 64; i++) {
		const char *name;

		if (!(flags & (1ULL << i)))
			continue;
		name = pts_flag_name(1ULL << i);
		if (name)
			json_object_array_add(a, json_object_new_string(name));
	}
	return a;
}

json_object *cli_json_leaf(const struct ptscope_leaf *l)
{
	json_object *o = json_object_new_object();

	jset(o, "va", cli_json_hex(l->va));
	jset(o, "level", json_object_new_string(lvl(l->level)));
	jset(o, "size", json_object_new_int64(pts_level_size(l->level)));
	jset(o, "entry", cli_json_hex(l->entry));
	jset(o, "pfn", l->flags & PTSCOPE_F_PFN_VALID ? json_object_new_int64(l->pfn) : NULL);
	jset(o, "present", json_object_new_boolean(l->flags & PTSCOPE_F_PRESENT));
	jset(o, "flags", cli_json_flags(l->flags & ~PTSCOPE_F_PFN_VALID));
	jset(o, "mapcount", json_object_new_int64(l->mapcount));
	if (l->flags & PTSCOPE_F_FOLIO) {
		json_object *f = json_object_new_object();

		jset(f, "pfn", json_object_new_int64(l->folio_pfn));
		jset(f, "size", json_object_new_int64(pts_folio_size(l)));
		jset(o, "folio", f);
	} else {
		jset(o, "folio", NULL);
	}
	if (l->flags & PTSCOPE_F_SWAP) {
		json_object *s = json_object_new_object();

		jset(s, "type", json_object_new_int(l->swap_type));
		jset(s, "offset", json_object_new_int64(l->swap_offset));
		jset(o, "swap", s);
	} else {
		jset(o, "swap", NULL);
	}
	return o;
}

int cli_json_print(json_object *o, bool allow_pretty)
{
	int fl = JSON_C_TO_STRING_NOSLASHESCAPE;
	const char *s;

	fl |= allow_pretty && cli.pretty ?
	      JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED : JSON_C_TO_STRING_PLAIN;
	s = json_object_to_json_string_ext(o, fl);
	if (s) {
		fputs(s, stdout);
		putchar('\n');
	}
	json_object_put(o);
	return s ? 0 : -1;
}
