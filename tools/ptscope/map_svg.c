// SPDX-License-Identifier: GPL-2.0
/*
 * ptscope map PID --svg FILE [--size WxH] [--range A-B] [--vma NAME]
 *
 * Collects the VMAs and the state of their pages (one cell = 64 KiB)
 * from the walk; map_layout.c lays the picture out and writes it.
 *
 * Memory: per VMA, one byte per cell (at most 16384 cells, 1 GiB), plus
 * the page counters of the VMA being walked.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "map_layout.h"

const struct cli_cmd cli_cmd_map = {
	.name = "map",
	.run = cmd_map,
	.args = "PID --svg FILE [--size WxH] [--range START-END] [--vma NAME]",
	.summary = "draw the address space as an SVG picture (slides)",
	.help =
	"Draws the address space of process PID into FILE (\"-\": standard\n"
	"output) as an SVG picture of exactly WxH pixels (default 1920x1080,\n"
	"landscape), made to be read on a projector: no text under 18 px once\n"
	"shown at 1920x1080, no label over another.\n"
	"\n"
	"On top, a ribbon of the whole address space: VMAs to scale, the gaps\n"
	"between them compressed and every gap's size written under it (the\n"
	"biggest placed first).  Below, one row per group of VMAs: the VMAs of\n"
	"one file that follow each other (with the anonymous .bss after them)\n"
	"are one row, \"libc.so.6 x5\"; reserved areas (---p, nothing can be\n"
	"mapped there) fold into the row next to them and are not drawn as\n"
	"cells; when the rows do not fit, runs of libraries fold into one row,\n"
	"then a last row counts the VMAs left out.  Each row shows its start,\n"
	"name, size, resident size and its pages as cells: one cell = 64K in\n"
	"every picture (so two pictures compare), 128 cells = 8M a line, 3\n"
	"lines a row or more when the picture has room; a row whose cells do\n"
	"not fit says how much was drawn, \"(24M drawn)\".\n"
	"\n"
	"Two colour sets, no colour in both: the page state of a cell (private:\n"
	"map count 1, shareable: more than 1, huge page, swapped out, zero\n"
	"page, special frame, not present; filled in part when only some of its\n"
	"pages are present) and the backing of a row's bar and ribbon segment (file,\n"
	"anon, heap, stack, shmem, hugetlb, vdso/vvar/device, reserved).\n"
	"\n"
	"Every VMA is one <g class=\"vma\"> element with data-start, data-end,\n"
	"data-perm, data-backing, data-name, data-drawn (0: in the left-out\n"
	"rows) and data-resident/-private/-shareable/-huge/-swap (bytes); every\n"
	"gap label a <text class=\"gap\"> with data-start and data-end.\n"
	"View it in a browser, or: rsvg-convert -o map.png map.svg\n"
	"\n"
	"Options:\n"
	"  --via module|bpf  read the page tables through the module, or\n"
	"                    through the BPF walker (no module; what it cannot\n"
	"                    tell: Documentation/bpfwalk.rst).  Default: the\n"
	"                    module, the BPF walker when the module is not there\n"
	"      --svg FILE          where to write the picture (required)\n"
	"      --size WxH          picture size in pixels, landscape (W >= H),\n"
	"                          640x360 to 7680x4320 (default 1920x1080)\n"
	"  -r, --range START-END   only this range (as walk --range); the VMAs\n"
	"                          are cut at its ends\n"
	"      --vma NAME          only the VMAs whose name contains NAME\n"
	"                          (\"[heap]\", \"libc\", a path)\n"
	"  -j, --json              report what was written as JSON\n"
	"\n"
	"Examples:\n"
	"  ptscope map 1234 --svg /tmp/map.svg\n"
	"  ptscope map 1234 --svg heap.svg --vma '[heap]' --size 1280x720\n"
	"  ptscope map $$ --svg - | rsvg-convert -o map.png\n",
};

#define PAGE		4096ULL

struct svg_ctx {
	struct map_vma *v;		/* the VMAs drawn */
	size_t n, cap;
	bool in_vma;			/* leaves go to v[n - 1] */
	uint32_t (*cnt)[MS_NR];		/* pages of each state per cell, current VMA */
	const char *match;		/* --vma */
	uint64_t lo, hi;		/* --range */
	int err;
};

static enum map_state leaf_state(const struct map_vma *v, const struct ptscope_leaf *l)
{
	uint32_t mc;

	if (!(l->flags & PTSCOPE_F_PRESENT))
		return l->flags & PTSCOPE_F_SWAP ? MS_SWAP : MS_NR;
	if (l->flags & PTSCOPE_F_ZERO_PAGE)
		return MS_ZERO;
	if (l->level != PTSCOPE_LVL_PTE || v->backing == PTSCOPE_BACK_HUGETLB)
		return MS_HUGE;
	mc = cli_mapcount(l, NULL);
	if (!mc)
		return MS_SPECIAL;
	return mc == 1 ? MS_PRIV : MS_SHARED;
}

static void account(struct svg_ctx *m, const struct ptscope_leaf *l)
{
	uint64_t size = pts_level_size(l->level), s, e, c, c_end;
	struct map_vma *v;
	enum map_state k;

	if (!m->in_vma)
		return;
	v = &m->v[m->n - 1];
	k = leaf_state(v, l);
	if (k == MS_NR)
		return;
	s = l->va > v->start ? l->va : v->start;
	e = l->va + size * l->count;
	if (e > v->end || e < l->va)
		e = v->end;
	if (e <= s)
		return;
	v->bytes[k] += e - s;
	c_end = (e - 1 - v->start) / MAP_CELL_BYTES;
	for (c = (s - v->start) / MAP_CELL_BYTES; c <= c_end && c < v->ncells; c++) {
		uint64_t cs = v->start + c * MAP_CELL_BYTES;
		uint64_t ce = cs + MAP_CELL_BYTES;
		uint64_t a = s > cs ? s : cs, b = e < ce ? e : ce;

		m->cnt[c][k] += (b - a) / PAGE;
	}
}

/* The current VMA's cells: the state of most of its pages, how full. */
static void finish_vma(struct svg_ctx *m)
{
	struct map_vma *v;
	size_t c;

	if (!m->in_vma)
		return;
	m->in_vma = false;
	v = &m->v[m->n - 1];
	for (c = 0; c < v->ncells; c++) {
		uint64_t cs = v->start + c * MAP_CELL_BYTES, ce = cs + MAP_CELL_BYTES, sum = 0;
		unsigned int best = MS_NR, q;
		double frac;
		int k;

		if (ce > v->end)
			ce = v->end;
		for (k = 0; k < MS_NR; k++) {
			sum += m->cnt[c][k];
			if (m->cnt[c][k] && (best == MS_NR || m->cnt[c][k] > m->cnt[c][best]))
				best = k;
		}
		frac = (double)sum / ((ce - cs) / PAGE);
		q = !sum ? 0 : frac > 0.75 ? 4 : frac > 0.5 ? 3 : frac > 0.25 ? 2 : 1;
		v->cell[c] = MAP_LOOK(best, q);
	}
}

static int start_vma(struct svg_ctx *m, const struct ptscope_vma *r)
{
	uint64_t start = r->start, end = r->end, n;
	struct map_vma *v;
	char perm[5];

	finish_vma(m);
	if (m->hi) {
		start = start > m->lo ? start : m->lo;
		end = end < m->hi ? end : m->hi;
		if (end <= start)
			return 0;
	}
	if (m->match && !strstr(r->name, m->match))
		return 0;
	if (m->n == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 64;
		struct map_vma *nv = realloc(m->v, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		m->v = nv;
		m->cap = cap;
	}
	v = &m->v[m->n];
	memset(v, 0, sizeof(*v));
	v->start = start;
	v->end = end;
	v->backing = r->backing;
	memcpy(v->perm, pts_vma_perm(r, perm), sizeof(v->perm));
	v->name = strndup(r->name, sizeof(r->name) - 1);
	n = (end - start + MAP_CELL_BYTES - 1) / MAP_CELL_BYTES;
	v->ncells = n > MAP_MAX_CELLS ? MAP_MAX_CELLS : n;
	v->cell = calloc(v->ncells ? v->ncells : 1, 1);
	m->n++;
	if (!v->name || !v->cell)
		return -ENOMEM;
	memset(m->cnt, 0, v->ncells * sizeof(*m->cnt));
	m->in_vma = true;
	return 0;
}

static void free_ctx(struct svg_ctx *m)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		free(m->v[i].name);
		free(m->v[i].cell);
	}
	free(m->v);
	free(m->cnt);
}

int cmd_map(int argc, char **argv)
{
	enum { OPT_SVG = OPT_FIRST_LOCAL, OPT_SIZE, OPT_VMA };
	static const struct option longopts[] = {
		{ "svg", required_argument, NULL, OPT_SVG },
		{ "size", required_argument, NULL, OPT_SIZE },
		{ "range", required_argument, NULL, 'r' },
		{ "vma", required_argument, NULL, OPT_VMA },
		CLI_COMMON_LONGOPTS,
		CLI_VIA_LONGOPT,
		{ NULL, 0, NULL, 0 }
	};
	static const char *const args[] = { "PID", NULL };
	const struct cli_cmd *cmd = &cli_cmd_map;
	const struct ptscope_rec_hdr *rec;
	struct svg_ctx m = { 0 };
	struct map_pic pic = { .width = MAP_DEFAULT_W, .height = MAP_DEFAULT_H };
	struct map_result res;
	const char *file = NULL;
	char range[64] = "", select[160] = "";
	uint64_t start = 0, end = 0;
	struct cli_stream st;
	int c, ret, pid, rc = CLI_OK;
	bool to_stdout;
	FILE *out;

	while ((c = getopt_long(argc, argv, CLI_COMMON_SHORTOPTS "r:", longopts,
				NULL)) != -1) {
		switch (c) {
		case OPT_SVG:
			file = optarg;
			continue;
		case OPT_SIZE:
			ret = map_parse_size(optarg, &pic.width, &pic.height);
			if (ret == -ERANGE)
				return cli_usage_err(cmd, "invalid size '%s': landscape (WIDTH >= "
						     "HEIGHT), from 640x360 to 7680x4320", optarg);
			if (ret)
				return cli_usage_err(cmd, "invalid size '%s': expected WIDTHxHEIGHT "
						     "in pixels, e.g. 1920x1080", optarg);
			continue;
		case 'r':
			ret = cli_parse_range(cmd, optarg, &start, &end);
			if (ret)
				return ret;
			continue;
		case OPT_VMA:
			if (!*optarg)
				return cli_usage_err(cmd, "--vma needs a NAME, e.g. '[heap]' or libc");
			m.match = optarg;
			continue;
		}
		ret = cli_common_opt(c, optarg, cmd);
		if (ret >= 0)
			return ret;
	}
	ret = cli_want_args(cmd, argc, argv, args);
	if (ret)
		return ret;
	ret = cli_parse_pid(cmd, argv[optind], &pid);
	if (ret)
		return ret;
	if (!file || !*file)
		return cli_usage_err(cmd, "missing --svg FILE (\"-\" for standard output)");
	if (end) {
		ret = cli_clamp_range(cmd, &start, &end);
		if (ret)
			return ret;
		snprintf(range, sizeof(range), "range=0x%llx-0x%llx",
			 (unsigned long long)start, (unsigned long long)end);
	}
	to_stdout = !strcmp(file, "-");

	m.cnt = calloc(MAP_MAX_CELLS, sizeof(*m.cnt));
	if (!m.cnt) {
		cli_err("out of memory");
		return CLI_ERR;
	}
	cli_self_frames_init();
	ret = cli_stream_open(&st, pid, "%s", range);
	if (ret) {
		cli_self_frames_free();
		free_ctx(&m);
		return ret;
	}
	if (end) {
		m.lo = st.hdr.start;
		m.hi = st.hdr.end;
	}
	while ((ret = cli_stream_next(&st, &rec)) > 0 && !m.err) {
		if (rec->type == PTSCOPE_REC_VMA)
			m.err = start_vma(&m, (const void *)rec);
		else if (rec->type == PTSCOPE_REC_LEAF && m.in_vma)
			account(&m, (const void *)rec);
	}
	cli_stream_close(&st);
	cli_self_frames_free();
	if (ret < 0) {
		rc = st.rc;
		goto out;
	}
	if (m.n)
		finish_vma(&m);
	if (m.err) {
		cli_err("building the picture: %s", strerror(-m.err));
		rc = CLI_ERR;
		goto out;
	}
	if (!m.n && m.match) {
		cli_err("no VMA of pid %d%s has a name containing '%s'", pid,
			end ? " in that range" : "", m.match);
		rc = CLI_ERR;
		goto out;
	}
	if (!m.n && end) {
		cli_err("no VMA of pid %d in 0x%llx-0x%llx", pid,
			(unsigned long long)m.lo, (unsigned long long)m.hi);
		rc = CLI_ERR;
		goto out;
	}
	if (end || m.match) {
		int n = 0;

		if (end)
			n = snprintf(select, sizeof(select), "range 0x%llx-0x%llx",
				     (unsigned long long)m.lo, (unsigned long long)m.hi);
		if (m.match)
			snprintf(select + n, sizeof(select) - n, "%sVMAs named *%s*",
				 n ? ", " : "", m.match);
		pic.select = select;
	}
	pic.pid = st.hdr.pid;
	pic.comm = st.hdr.comm;
	pic.paging_levels = st.hdr.paging_levels;
	pic.version = PTSCOPE_CLI_VERSION;
	pic.v = m.v;
	pic.n = m.n;

	out = to_stdout ? stdout : fopen(file, "we");
	if (!out) {
		cli_err("cannot write %s: %s", file, strerror(errno));
		rc = CLI_ERR;
		goto out;
	}
	ret = map_svg(out, &pic, &res);
	if (!to_stdout && fclose(out) && !ret)
		ret = -errno;
	if (ret) {
		cli_err("writing %s: %s", file, strerror(-ret));
		if (!to_stdout)
			unlink(file);
		rc = CLI_ERR;
		goto out;
	}
	if (to_stdout)
		goto out;
	if (cli.json) {
		json_object *o = json_object_new_object();

		jset(o, "file", json_object_new_string(file));
		jset(o, "pid", json_object_new_int(st.hdr.pid));
		jset(o, "vmas", json_object_new_int64(m.n));
		jset(o, "rows", json_object_new_int64(res.rows));
		jset(o, "vmas_left_out", json_object_new_int64(res.hidden_vmas));
		jset(o, "rows_cut", json_object_new_int64(res.truncated));
		jset(o, "gaps", json_object_new_int64(res.gaps));
		jset(o, "cell_bytes", json_object_new_int64(MAP_CELL_BYTES));
		jset(o, "width", json_object_new_int64(pic.width));
		jset(o, "height", json_object_new_int64(pic.height));
		cli_json_print(o, true);
	} else {
		printf("wrote %s: pid %u (%s), %dx%d, %zu VMAs in %zu rows, one cell = 64K",
		       file, st.hdr.pid, st.hdr.comm, pic.width, pic.height, m.n, res.rows);
		if (res.hidden_vmas)
			printf("; %zu VMAs left out (use --range or --vma)", res.hidden_vmas);
		putchar('\n');
	}
out:
	free_ctx(&m);
	return rc;
}
