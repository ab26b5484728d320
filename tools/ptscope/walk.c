// SPDX-License-Identifier: GPL-2.0
/*
 * ptscope walk PID [--range START-END] [--coalesce] [--json]
 * ptscope walk --kernel [--range START-END] [--coalesce] [--json]
 *
 * Every leaf entry of the target's page tables, VMA by VMA, streamed:
 * each record is printed as it arrives, so a walk of any size runs in
 * the same memory.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "explain.h"
#include "walkfmt.h"

const struct cli_cmd cli_cmd_walk = {
	.name = "walk",
	.run = cmd_walk,
	.args = "PID|--kernel [--range START-END] [--coalesce] [-v] [--json]",
	.summary = "every leaf entry of a process's page tables",
	.help =
	"Walks the page tables of process PID and prints every leaf entry (a\n"
	"4K PTE, or a 2M/1G huge-page entry) that is not empty, under the VMA\n"
	"that contains it: address, size, level, raw entry, frame number, how\n"
	"many page tables map the frame, the folio it belongs to (FOLIO: its\n"
	"size, and +N: the frame is the folio's page N), and the decoded flags.\n"
	"Non-present entries (swap, migration, markers) are shown too.\n"
	"'ptscope help flags' explains each flag, the hardware bits apart from\n"
	"the kernel's views.\n"
	"\n"
	"With --kernel, walks the kernel half instead (no PID: every process\n"
	"shares it): the direct map, vmalloc, vmemmap, the kernel image,\n"
	"modules, fixmap, the CPU entry area..., each under a 'region' line\n"
	"(backing 'kernel'), and with page-table isolation the kernel entries\n"
	"of the PTI user copy ('pti user copy: ...').  It shows where the\n"
	"kernel and its data lie (the KASLR offsets): root only, refused under\n"
	"lockdown=confidentiality.  Needs the module.\n"
	"\n"
	"Options:\n"
	"  -k, --kernel      the kernel half, not a process (no PID)\n"
	"  --via module|bpf  read the page tables through the module, or\n"
	"                    through the BPF walker (no module; what it cannot\n"
	"                    tell: Documentation/bpfwalk.rst).  Default: the\n"
	"                    module, the BPF walker when the module is not there\n"
	"  -r, --range START-END  walk only this range (END exclusive); also\n"
	"                         START+LENGTH.  Rounded out to whole pages.\n"
	"  -c, --coalesce         merge runs of entries that map consecutive\n"
	"                         frames with equal flags into one line\n"
	"                         (\"N x SIZE\"), as /sys/kernel/debug/page_tables does\n"
	"                         (with --kernel, as ptdump: equal flags over\n"
	"                         contiguous addresses; no frame if not consecutive)\n"
	"  -v, --verbose          explain each entry that is not present, and each\n"
	"                         empty range of a VMA: what an access would do, the\n"
	"                         swap area, slot and device, the file and byte\n"
	"                         offset a fault would read, the kind of a marker\n"
	"                         (Documentation/explain.rst)\n"
	"  -j, --json             JSON Lines: one object per leaf or run, keys\n"
	"                         va, size (bytes per entry), count, level, entry,\n"
	"                         pfn (null if none), present, flags, swap\n"
	"                         ({type,offset} or null), folio ({pfn of its\n"
	"                         first page, size in bytes} or null), mapcount,\n"
	"                         pkey, and vma ({start,end,perm,backing,name,\n"
	"                         pagesize}); with -v also explain ({kind,text,...}\n"
	"                         or null), and one object per empty range\n"
	"                         (empty: true, va, size, count, explain, vma);\n"
	"                         with --kernel also region (the region's name)\n"
	"\n"
	"Examples:\n"
	"  ptscope walk 1234                      every leaf of pid 1234\n"
	"  ptscope walk 1234 --coalesce | head    the shape of the mappings\n"
	"  ptscope walk $$ --range 0x7f0000000000+2M\n"
	"  ptscope walk 1234 --json | jq -c 'select(.level != \"pte\")'\n"
	"  ptscope walk --kernel --coalesce       the kernel half, as ptdump shows it\n",
};

struct walk_ctx {
	bool coalesce;
	bool verbose;			/* -v: explain non-present and empty */
	int pid;
	uint64_t lo, hi;		/* the range walked */
	bool in_vma;
	struct ptscope_vma vma;		/* current VMA (-v) */
	struct xpl_vma xv;
	uint64_t cursor;		/* next address not yet covered (-v) */
	char *swaps;			/* /proc/swaps, read at the first swap entry */
	bool swaps_read;
	char *vma_json;			/* current VMA, serialised once */
	char *region_json;		/* --kernel: its name, serialised once */
	uint64_t present_bytes, swap_bytes, huge_bytes;
	struct wf out;			/* every line after the header */
};

/* A leaf line (walkfmt.c), and with -v the explanation below it. */
static void text_leaf(struct walk_ctx *w, const struct ptscope_leaf *l,
		      const struct xpl *e)
{
	wf_text_leaf(&w->out, l);
	if (e)
		wf_printf(&w->out, "%s      explained (%s): %s%s\n", col(C_DIM), e->kind,
			  e->text, col(C_RESET));
}

/*
 * One JSON Lines object per leaf, written by walkfmt.c (a json-c object
 * per leaf, with the VMA object serialised again on every line, cost 100
 * times the walk itself, and printf() per field still 75 times a fwrite
 * of the same bytes; Documentation/performance.rst).  The VMA, whose
 * name needs escaping, is serialised once per VMA by json-c, and so is
 * an explanation (-v).
 */
static void json_leaf(struct walk_ctx *w, const struct ptscope_leaf *l,
		      const struct xpl *e)
{
	json_object *o;

	if (!w->verbose) {
		wf_json_leaf(&w->out, l, NULL);
		return;
	}
	o = e ? xpl_json(e) : NULL;
	wf_json_leaf(&w->out, l, o ? json_object_to_json_string_ext(o,
		     JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE) : "null");
	json_object_put(o);
}

/* -v: an empty range [from, to) of the current VMA, explained. */
static void empty_range(struct walk_ctx *w, uint64_t from, uint64_t to)
{
	struct xpl e;

	if (to <= from)
		return;
	xpl_empty_range(from, (to - from) / 4096, &w->xv, &e);
	if (cli.json) {
		json_object *o = xpl_json(&e);

		wf_printf(&w->out, "{\"va\":\"0x%llx\",\"size\":4096,\"count\":%llu,"
			  "\"empty\":true,\"explain\":%s,\"vma\":%s}\n",
			  (unsigned long long)from, (unsigned long long)(to - from) / 4096,
			  json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							 JSON_C_TO_STRING_NOSLASHESCAPE),
			  w->vma_json ? w->vma_json : "null");
		json_object_put(o);
	} else {
		wf_printf(&w->out, "%s    0x%016llx-0x%016llx %s empty (%s): %s%s\n",
			  col(C_DIM), (unsigned long long)from, (unsigned long long)to,
			  sz(to - from), e.kind, e.text, col(C_RESET));
	}
}

/* -v: the current VMA ends (or the walk): its empty tail. */
static void vma_done(struct walk_ctx *w)
{
	if (w->verbose && w->in_vma)
		empty_range(w, w->cursor, w->vma.end < w->hi ? w->vma.end : w->hi);
	w->in_vma = false;
}

static void vma_begin(struct walk_ctx *w, const struct ptscope_vma *v)
{
	vma_done(w);
	if (!w->verbose)
		return;
	memset(&w->vma, 0, sizeof(w->vma));
	memcpy(&w->vma, v, v->hdr.size < sizeof(w->vma) ? v->hdr.size : sizeof(w->vma));
	w->vma.name[sizeof(w->vma.name) - 1] = '\0';
	w->xv = (struct xpl_vma){ .start = v->start, .end = v->end, .pgoff = v->pgoff,
				  .ino = v->ino, .flags = v->flags,
				  .backing = v->backing, .name = w->vma.name,
				  .file_size = -1 };
	if (v->ino)
		w->xv.file_size = xpl_file_size(w->pid, &w->xv);
	w->cursor = v->start > w->lo ? v->start : w->lo;
	w->in_vma = true;
}

/* -v: the explanation of leaf L, and the empty range before it. */
static bool leaf_explain(struct walk_ctx *w, const struct ptscope_leaf *l,
			 struct xpl *e)
{
	uint64_t end = l->va + pts_level_size(l->level) * l->count;

	if (!w->verbose)
		return false;
	if (w->in_vma) {
		empty_range(w, w->cursor, l->va);
		if (end > w->cursor)
			w->cursor = end;
	}
	if ((l->flags & PTSCOPE_F_SWAP) && !w->swaps_read) {
		w->swaps = xpl_read_swaps();
		w->swaps_read = true;
	}
	return xpl_entry(l, l->va, w->in_vma ? &w->xv : NULL, w->swaps, e);
}

static void count_leaf(struct walk_ctx *w, const struct ptscope_leaf *l)
{
	uint64_t bytes = pts_level_size(l->level) * l->count;

	if (l->flags & PTSCOPE_F_PRESENT) {
		w->present_bytes += bytes;
		if (l->level != PTSCOPE_LVL_PTE)
			w->huge_bytes += bytes;
	} else if (l->flags & PTSCOPE_F_SWAP) {
		w->swap_bytes += bytes;
	}
}

int cmd_walk(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "range", required_argument, NULL, 'r' },
		{ "coalesce", no_argument, NULL, 'c' },
		{ "kernel", no_argument, NULL, 'k' },
		{ "verbose", no_argument, NULL, 'v' },
		CLI_COMMON_LONGOPTS,
		CLI_VIA_LONGOPT,
		{ NULL, 0, NULL, 0 }
	};
	static const char *const args[] = { "PID", NULL };
	static const char *const kargs[] = { NULL };
	const struct cli_cmd *cmd = &cli_cmd_walk;
	const struct ptscope_rec_hdr *rec;
	struct walk_ctx w = { 0 };
	struct wf_colors colors;
	uint64_t start = 0, end = 0;
	bool have_range = false, kernel = false;
	struct cli_stream st;
	char range[64] = "";
	int c, ret, pid;

	while ((c = getopt_long(argc, argv, "r:ckv" CLI_COMMON_SHORTOPTS,
				longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			ret = cli_parse_range(cmd, optarg, &start, &end);
			if (ret)
				return ret;
			have_range = true;
			break;
		case 'c':
			w.coalesce = true;
			break;
		case 'k':
			kernel = true;
			break;
		case 'v':
			w.verbose = true;
			break;
		default:
			ret = cli_common_opt(c, optarg, cmd);
			if (ret >= 0)
				return ret;
		}
	}
	ret = cli_want_args(cmd, argc, argv, kernel ? kargs : args);
	if (ret)
		return ret;
	if (kernel && w.verbose)
		return cli_usage_err(cmd, "-v explains a process's entries (swap, "
				     "files, markers): not with --kernel");
	if (kernel) {
		pid = CLI_PID_KERNEL;
		if (have_range) {
			ret = cli_check_half(cmd, start, true, "range start");
			if (ret)
				return ret;
		}
	} else {
		ret = cli_parse_pid(cmd, argv[optind], &pid);
		if (ret)
			return ret;
	}
	if (have_range && !kernel) {
		ret = cli_clamp_range(cmd, &start, &end);
		if (ret)
			return ret;
	}
	if (have_range)
		snprintf(range, sizeof(range), "range=0x%llx-0x%llx",
			 (unsigned long long)start, (unsigned long long)end);

	ret = cli_stream_open(&st, pid, "%s%s%s", range,
			      *range && w.coalesce ? " " : "",
			      w.coalesce ? "coalesce" : "");
	if (ret)
		return ret;
	w.pid = pid;
	w.lo = st.hdr.start;
	w.hi = st.hdr.end;
	if (!cli.json) {
		if (st.hdr.flags & PTSCOPE_HDR_KERNEL)
			printf("%s# ptscope walk: the kernel half (its addresses show "
			       "the KASLR offsets), %u-level paging, ", col(C_DIM),
			       st.hdr.paging_levels);
		else
			printf("%s# ptscope walk: pid %u (%s), %u-level paging, ",
			       col(C_DIM), st.hdr.pid, st.hdr.comm,
			       st.hdr.paging_levels);
		if (st.hdr.flags & PTSCOPE_HDR_NO_TABLE_PA)
			printf("table addresses withheld (lockdown confidentiality)");
		else
			printf("pgd at pa 0x%llx", (unsigned long long)st.hdr.pgd_pa);
		if (st.hdr.user_pgd_pa)
			printf(" (PTI user pgd 0x%llx)", (unsigned long long)st.hdr.user_pgd_pa);
		if (have_range)
			printf(", range 0x%llx-0x%llx", (unsigned long long)st.hdr.start,
			       (unsigned long long)st.hdr.end);
		if (st.hdr.flags & PTSCOPE_HDR_BPF) {
			printf("%s\n", col(C_RESET));
			cli_via_note(st.hdr.flags);
			printf("%s", col(C_DIM));
		} else {
			printf("\n");
		}
		printf("#   %-18s %s %-4s %-18s %-12s %4s %-8s %s%s\n", "VA",
		       w.coalesce ? "ENTRIES x SIZE" : "SIZE", "LVL", "ENTRY",
		       "PFN", "MAPS", "FOLIO", "FLAGS", col(C_RESET));
	}
	colors = (struct wf_colors){ col(C_YELLOW), col(C_MAGENTA), col(C_DIM),
				     col(C_RESET), col(C_BOLD), col(C_CYAN) };
	if (wf_init(&w.out, stdout, w.coalesce, &colors)) {
		cli_err("out of memory");
		cli_stream_close(&st);
		return CLI_ERR;
	}
	while ((ret = cli_stream_next(&st, &rec)) > 0) {
		if (rec->type == PTSCOPE_REC_VMA) {
			const struct ptscope_vma *v = (const void *)rec;

			vma_done(&w);
			if (cli.json) {
				free(w.vma_json);
				free(w.region_json);
				w.vma_json = wf_vma_json(v);
				w.region_json = v->backing == PTSCOPE_BACK_KERNEL ?
						wf_region_json(v) : NULL;
				wf_json_vma(&w.out, w.vma_json, w.region_json);
				if (!w.vma_json || (v->backing == PTSCOPE_BACK_KERNEL &&
						    !w.region_json)) {
					ret = -1;
					st.rc = CLI_ERR;
					cli_err("out of memory");
					break;
				}
			} else {
				wf_text_vma(&w.out, v);
			}
			vma_begin(&w, v);
		} else if (rec->type == PTSCOPE_REC_LEAF) {
			const struct ptscope_leaf *l = (const void *)rec;
			struct xpl e;
			bool ex = leaf_explain(&w, l, &e);

			count_leaf(&w, l);
			if (cli.json)
				json_leaf(&w, l, ex ? &e : NULL);
			else
				text_leaf(&w, l, ex ? &e : NULL);
		}
	}
	if (ret == 0)
		vma_done(&w);
	wf_free(&w.out);
	free(w.vma_json);
	free(w.region_json);
	free(w.swaps);
	if (ret < 0) {
		cli_stream_close(&st);
		return st.rc;
	}
	if (!cli.json)
		printf("%s# %llu %s, %llu lines, %llu entries: %s present (%s in huge "
		       "pages), %s swapped%s\n", col(C_DIM),
		       (unsigned long long)st.end.vmas,
		       st.hdr.flags & PTSCOPE_HDR_KERNEL ? "regions" : "VMAs",
		       (unsigned long long)st.end.leaves,
		       (unsigned long long)st.end.entries, sz0(w.present_bytes),
		       sz0(w.huge_bytes), sz0(w.swap_bytes), col(C_RESET));
	cli_stream_close(&st);
	return CLI_OK;
}
