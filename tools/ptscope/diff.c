// SPDX-License-Identifier: GPL-2.0
/*
 * ptscope diff A B [--range START-END] [--summary] [--json]
 *
 * What changed between two walks, each a snapshot file or a live process
 * ("pid:N"): per VMA and per run of pages, one word for the kind of
 * change (tools/lib/diff.c decides), the entries before and after, and a
 * summary.  Exit status as diff(1): 0 the same, 1 different, 2 trouble.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

const struct cli_cmd cli_cmd_diff = {
	.name = "diff",
	.run = cmd_diff,
	.args = "A B [--range START-END] [--summary] [--json]",
	.summary = "what changed between two snapshots, or a snapshot and now",
	.help =
	"Compares two walks, A (before) and B (after), page by page.  Each is a\n"
	"snapshot file of 'ptscope snapshot', or pid:N for process N walked now\n"
	"(a file whose name starts with \"pid:\" is written ./pid:...).  Every\n"
	"4K page whose entry changed is reported, consecutive pages with the\n"
	"same change as one run, under the VMA they lie in, with one word:\n"
	"  new       now mapped (nothing before)\n"
	"  gone      nothing now (was mapped, swapped or marked)\n"
	"  frame     same page, another frame: copy-on-write break, migration,\n"
	"            KSM merge, reclaimed and faulted in again\n"
	"  split     a huge leaf became smaller ones\n"
	"  collapse  smaller leaves became a huge one (khugepaged, MADV_COLLAPSE)\n"
	"  flags     same frame, other bits: permission, accessed, dirty,\n"
	"            soft-dirty, uffd-wp... (the bits that changed are shown)\n"
	"  swap-out  was mapped, now a swap entry (or another swap slot)\n"
	"  swap-in   was a swap entry, now mapped\n"
	"VMAs that appeared, went or changed (resized, other rights) are shown\n"
	"too.  Then a summary: runs, pages and bytes of each change.\n"
	"\n"
	"Options:\n"
	"  -r, --range START-END  compare only this range (END exclusive)\n"
	"  -s, --summary          only the summary\n"
	"      --via module|bpf   the walker for pid:N (as for walk)\n"
	"  -j, --json             JSON Lines: one object per run (va, count in\n"
	"                         pages, change, old and new: the leaf over the\n"
	"                         first page {va, level, size, entry, pfn (of that\n"
	"                         page), present, flags, mapcount, folio, swap} or\n"
	"                         null,\n"
	"                         vma), one per VMA change (vma_change, old, new),\n"
	"                         and a last {\"summary\": ...}\n"
	"\n"
	"Exit status: 0 no change, 1 changes, 2 trouble (bad arguments, a file\n"
	"that is not a snapshot or is cut short); 3, 4, 5 as for walk when a\n"
	"live walk fails.\n"
	"\n"
	"Examples:\n"
	"  ptscope snapshot 1234 -o a.pts; sleep 10; ptscope diff a.pts pid:1234\n"
	"  ptscope diff a.pts b.pts --json | jq -c 'select(.change == \"frame\")'\n",
};

/* Where one side came from, for the header line. */
struct side {
	const char *arg;
	bool live;
	struct pts_snap_hdr sh;		/* a file's header, or made for a live walk */
	struct pts_image img;
};

struct diff_ctx {
	const struct side *a, *b;
	bool summary_only;
	const struct ptscope_vma *shown_vma;	/* last VMA line printed */
	uint64_t runs[PTS_CH_NR], pages[PTS_CH_NR];
	uint64_t vmas[3];
	uint64_t start, end;		/* what was compared */
};

/* diff(1)'s "trouble" for what the other commands call a runtime error. */
static int trouble(int rc)
{
	return rc == CLI_ERR ? CLI_USAGE : rc;
}

static int load_file(struct side *s)
{
	struct pts_session ss;
	int ret;

	ret = pts_snap_open(&ss, s->arg, &s->sh);
	if (ret) {
		if (ret == -EPROTO)
			cli_err("%s: not a ptscope snapshot", s->arg);
		else if (ret == -EPROTONOSUPPORT)
			cli_err("%s: snapshot version %u is newer than this ptscope's (%u)",
				s->arg, s->sh.version, PTS_SNAP_VERSION);
		else
			cli_err("%s: %s", s->arg, strerror(-ret));
		return CLI_USAGE;
	}
	ret = pts_image_load(&s->img, &ss, NULL);
	pts_close(&ss);
	if (ret == -EPROTO && s->img.hdr.magic == PTSCOPE_MAGIC &&
	    s->img.hdr.abi_version != PTSCOPE_ABI_VERSION) {
		cli_err("%s: a walk of record ABI %u; this ptscope reads ABI %u",
			s->arg, s->img.hdr.abi_version, PTSCOPE_ABI_VERSION);
		return CLI_USAGE;
	}
	if (ret) {
		cli_err("%s: %s", s->arg, ret == -EPROTO ?
			"malformed or cut short (no END record): not a whole walk" :
			strerror(-ret));
		return CLI_USAGE;
	}
	return 0;
}

static int load_live(const struct cli_cmd *cmd, struct side *s)
{
	struct cli_stream st;
	int pid, ret;
	size_t i;

	ret = cli_parse_pid(cmd, s->arg + 4, &pid);
	if (ret)
		return ret;
	s->live = true;
	cli_self_frames_init();
	pts_snap_init(&s->sh, pid, NULL);
	ret = cli_stream_open(&st, pid, "%s", "");
	if (ret) {
		cli_self_frames_free();
		return trouble(ret);
	}
	snprintf(s->sh.comm, sizeof(s->sh.comm), "%s", st.hdr.comm);
	ret = pts_image_load(&s->img, &st.s, &st.hdr);
	cli_stream_close(&st);
	for (i = 0; !ret && i < s->img.nleaf; i++)
		cli_discount_self(&s->img.leaf[i]);
	cli_self_frames_free();
	if (ret == -EPROTO) {
		cli_err("pid %d: malformed record stream", pid);
		return CLI_USAGE;
	}
	if (ret)
		return trouble(cli_fail(ret, pid, "during the walk"));
	return 0;
}

static int load(const struct cli_cmd *cmd, struct side *s)
{
	if (!strncmp(s->arg, "pid:", 4))
		return load_live(cmd, s);
	return load_file(s);
}

static void print_side(const char *label, const struct side *s)
{
	struct tm tm;
	time_t t = s->sh.time_sec;
	char when[64];

	if (!gmtime_r(&t, &tm) ||
	    !strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(when, sizeof(when), "(time %lld)", (long long)s->sh.time_sec);
	printf("%s# %-6s %s: pid %u (%s) at %s.%03u UTC, %s%s%s%s\n", col(C_DIM),
	       label, s->arg, s->img.hdr.pid, s->img.hdr.comm, when,
	       s->sh.time_nsec % 1000000000 / 1000000, s->live ? "live" : "kernel ",
	       s->live ? "" : s->sh.kernel, s->live ? "" : " on ",
	       s->live ? "" : s->sh.host);
	printf("%s", col(C_RESET));
}

/* ---- text -------------------------------------------------------------- */

static void text_vma_line(const char *what, const struct ptscope_vma *v,
			  const struct ptscope_vma *was)
{
	char perm[5], wperm[5];

	printf("%s%svma %-7s 0x%016llx-0x%016llx %s %6s %-7s %s", col(C_BOLD),
	       col(C_CYAN), what, (unsigned long long)v->start,
	       (unsigned long long)v->end, pts_vma_perm(v, perm),
	       sz(v->end - v->start), pts_backing_name(v->backing), v->name);
	if (was)
		printf(" (was 0x%llx-0x%llx %s)", (unsigned long long)was->start,
		       (unsigned long long)was->end, pts_vma_perm(was, wperm));
	printf("%s\n", col(C_RESET));
}

static const char *entry_col(const struct pts_page_state *p, char *buf, size_t len)
{
	const struct ptscope_leaf *l = p->leaf;

	if (!l)
		snprintf(buf, len, "%-4s %-18s %-12s", "-", "-", "-");
	else if (l->flags & PTSCOPE_F_SWAP)
		snprintf(buf, len, "%-4s 0x%016llx swap %u:0x%llx", lvl(l->level),
			 (unsigned long long)l->entry, l->swap_type,
			 (unsigned long long)p->swap_offset);
	else if (l->flags & PTSCOPE_F_PFN_VALID)
		snprintf(buf, len, "%-4s 0x%016llx 0x%-10llx", lvl(l->level),
			 (unsigned long long)l->entry, (unsigned long long)p->pfn);
	else
		snprintf(buf, len, "%-4s 0x%016llx %-12s", lvl(l->level),
			 (unsigned long long)l->entry, "-");
	return buf;
}

/* The entry bits of a leaf (not the frame's: anon, exclusive...). */
#define ENTRY_FLAGS	(~(PTSCOPE_F_ZERO_PAGE | PTSCOPE_F_ANON_PAGE |		\
			   PTSCOPE_F_FILE_PAGE | PTSCOPE_F_EXCLUSIVE |		\
			   PTSCOPE_F_PFN_VALID | PTSCOPE_F_FOLIO))

/* "+dirty,-accessed": the flags a `flags` change set and cleared. */
static char *flag_delta(const struct pts_diff_run *r, char *buf, size_t len)
{
	uint64_t a = r->old.leaf->flags & ENTRY_FLAGS;
	uint64_t b = r->new.leaf->flags & ENTRY_FLAGS;
	size_t n = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < 64 && n < len; i++) {
		uint64_t bit = 1ULL << i;
		const char *name = pts_flag_name(bit);

		if (!((a ^ b) & bit) || !name)
			continue;
		n += snprintf(buf + n, len - n, "%s%c%s", n ? "," : "",
			      b & bit ? '+' : '-', name);
	}
	if (!buf[0])
		snprintf(buf, len, "(pkey, or bits ptscope does not name)");
	return buf;
}

static void text_run(struct diff_ctx *d, const struct pts_diff_run *r)
{
	const struct ptscope_vma *v = r->new.vma ? r->new.vma : r->old.vma;
	static const enum cli_color colour[PTS_CH_NR] = {
		[PTS_CH_NEW] = C_GREEN, [PTS_CH_GONE] = C_RED,
		[PTS_CH_FRAME] = C_MAGENTA, [PTS_CH_SPLIT] = C_BLUE,
		[PTS_CH_COLLAPSE] = C_BLUE, [PTS_CH_FLAGS] = C_RESET,
		[PTS_CH_SWAP_OUT] = C_YELLOW, [PTS_CH_SWAP_IN] = C_YELLOW,
	};
	char a[80], b[80], delta[256];

	if (v && v != d->shown_vma) {
		text_vma_line("", v, NULL);
		d->shown_vma = v;
	}
	printf("%s    0x%016llx %7llu %-8s %s -> %s", col(colour[r->change]),
	       (unsigned long long)r->va, (unsigned long long)r->pages,
	       pts_change_name(r->change), entry_col(&r->old, a, sizeof(a)),
	       entry_col(&r->new, b, sizeof(b)));
	if (r->change == PTS_CH_FLAGS)
		printf(" %s", flag_delta(r, delta, sizeof(delta)));
	printf("%s\n", col(C_RESET));
}

/* ---- JSON -------------------------------------------------------------- */

/* The leaf over a page, with the frame and swap slot of that page. */
static json_object *json_entry(const struct pts_page_state *p)
{
	const struct ptscope_leaf *l = p->leaf;
	json_object *o, *sw;

	if (!l)
		return NULL;
	o = cli_json_leaf(l);
	if (l->flags & PTSCOPE_F_PFN_VALID)
		jset(o, "pfn", json_object_new_uint64(p->pfn));
	if (json_object_object_get_ex(o, "swap", &sw) && sw)
		jset(sw, "offset", json_object_new_uint64(p->swap_offset));
	return o;
}

static void json_run(const struct pts_diff_run *r)
{
	const struct ptscope_vma *v = r->new.vma ? r->new.vma : r->old.vma;
	json_object *o = json_object_new_object();

	jset(o, "va", cli_json_hex(r->va));
	jset(o, "count", json_object_new_uint64(r->pages));
	jset(o, "change", json_object_new_string(pts_change_name(r->change)));
	jset(o, "old", json_entry(&r->old));
	jset(o, "new", json_entry(&r->new));
	jset(o, "vma", v ? cli_json_vma(v) : NULL);
	cli_json_print(o, false);
}

/* ---- the callbacks ----------------------------------------------------- */

static int on_run(const struct pts_diff_run *r, void *arg)
{
	struct diff_ctx *d = arg;

	d->runs[r->change]++;
	d->pages[r->change] += r->pages;
	if (d->summary_only)
		return 0;
	if (cli.json)
		json_run(r);
	else
		text_run(d, r);
	return 0;
}

static int on_vma(enum pts_vma_change c, const struct ptscope_vma *old,
		  const struct ptscope_vma *new, void *arg)
{
	struct diff_ctx *d = arg;
	json_object *o;

	d->vmas[c]++;
	if (d->summary_only)
		return 0;
	if (cli.json) {
		o = json_object_new_object();
		jset(o, "vma_change", json_object_new_string(pts_vma_change_name(c)));
		jset(o, "old", old ? cli_json_vma(old) : NULL);
		jset(o, "new", new ? cli_json_vma(new) : NULL);
		cli_json_print(o, false);
		return 0;
	}
	text_vma_line(pts_vma_change_name(c), new ? new : old,
		      c == PTS_VMA_CHANGED ? old : NULL);
	d->shown_vma = new ? new : old;
	return 0;
}

static bool print_summary(const struct diff_ctx *d)
{
	uint64_t runs = 0, pages = 0, vmas = d->vmas[0] + d->vmas[1] + d->vmas[2];
	json_object *o, *ch, *vo;
	unsigned int i;

	for (i = 0; i < PTS_CH_NR; i++) {
		runs += d->runs[i];
		pages += d->pages[i];
	}
	if (cli.json) {
		o = json_object_new_object();
		ch = json_object_new_object();
		for (i = 0; i < PTS_CH_NR; i++) {
			json_object *c = json_object_new_object();

			jset(c, "runs", json_object_new_uint64(d->runs[i]));
			jset(c, "pages", json_object_new_uint64(d->pages[i]));
			jset(ch, pts_change_name(i), c);
		}
		vo = json_object_new_object();
		for (i = 0; i < 3; i++)
			jset(vo, pts_vma_change_name(i), json_object_new_uint64(d->vmas[i]));
		jset(ch, "pages", json_object_new_uint64(pages));
		jset(ch, "runs", json_object_new_uint64(runs));
		jset(ch, "vmas", vo);
		jset(ch, "start", cli_json_hex(d->start));
		jset(ch, "end", cli_json_hex(d->start < d->end ? d->end : d->start));
		jset(o, "summary", ch);
		cli_json_print(o, !d->summary_only ? false : true);
		return runs || vmas;
	}
	printf("%s# %-9s %8s %10s %10s\n", col(C_DIM), "CHANGE", "RUNS", "PAGES", "BYTES");
	for (i = 0; i < PTS_CH_NR; i++)
		if (d->runs[i])
			printf("# %-9s %8llu %10llu %10s\n", pts_change_name(i),
			       (unsigned long long)d->runs[i],
			       (unsigned long long)d->pages[i], sz(d->pages[i] * 4096));
	printf("# %-9s %8llu %10llu %10s\n", "total", (unsigned long long)runs,
	       (unsigned long long)pages, sz0(pages * 4096));
	printf("# vmas: %llu new, %llu gone, %llu changed%s\n",
	       (unsigned long long)d->vmas[PTS_VMA_NEW],
	       (unsigned long long)d->vmas[PTS_VMA_GONE],
	       (unsigned long long)d->vmas[PTS_VMA_CHANGED], col(C_RESET));
	return runs || vmas;
}

int cmd_diff(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "range", required_argument, NULL, 'r' },
		{ "summary", no_argument, NULL, 's' },
		CLI_COMMON_LONGOPTS,
		CLI_VIA_LONGOPT,
		{ NULL, 0, NULL, 0 }
	};
	static const char *const args[] = { "A", "B", NULL };
	static const struct pts_diff_ops ops = { .run = on_run, .vma = on_vma };
	const struct cli_cmd *cmd = &cli_cmd_diff;
	struct side a = { 0 }, b = { 0 };
	struct diff_ctx d = { .a = &a, .b = &b };
	uint64_t start = 0, end = ~0ULL, req_start, req_end;
	int c, ret;
	bool changed;

	while ((c = getopt_long(argc, argv, "r:s" CLI_COMMON_SHORTOPTS,
				longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			ret = cli_parse_range(cmd, optarg, &start, &end);
			if (ret)
				return ret;
			break;
		case 's':
			d.summary_only = true;
			break;
		default:
			ret = cli_common_opt(c, optarg, cmd);
			if (ret >= 0)
				return ret;
		}
	}
	ret = cli_want_args(cmd, argc, argv, args);
	if (ret)
		return ret;
	a.arg = argv[optind];
	b.arg = argv[optind + 1];
	ret = load(cmd, &a);
	if (!ret)
		ret = load(cmd, &b);
	if (ret)
		goto out;
	if (!cli.json) {
		print_side("before", &a);
		print_side("after", &b);
		if (a.img.hdr.pid != b.img.hdr.pid || strcmp(a.sh.host, b.sh.host))
			printf("%s# note: not the same process: every page of one that "
			       "the other does not have is a change%s\n", col(C_DIM),
			       col(C_RESET));
		if (!d.summary_only)
			printf("%s#   %-18s %7s %-8s %-36s    %s%s\n", col(C_DIM), "VA",
			       "PAGES", "CHANGE", "BEFORE: LVL ENTRY PFN",
			       "AFTER: LVL ENTRY PFN", col(C_RESET));
	}
	req_start = start;
	req_end = end;
	pts_diff_range(&a.img, &b.img, &start, &end);
	/* narrower than asked, and not just the end of the user address space */
	if (!cli.json && (start != req_start ||
			  (end != req_end && end != a.img.hdr.task_size &&
			   end != b.img.hdr.task_size)))
		printf("%s# compared 0x%llx-0x%llx only: %s%s\n", col(C_DIM),
		       (unsigned long long)start, (unsigned long long)end,
		       start < end ? "the range both walks cover" :
		       "the walks cover no common range", col(C_RESET));
	d.start = start;
	d.end = end;
	ret = pts_diff(&a.img, &b.img, start, end, &ops, &d);
	if (ret) {
		cli_err("%s", strerror(-ret));
		ret = CLI_USAGE;
		goto out;
	}
	changed = print_summary(&d);
	ret = changed ? 1 : 0;
out:
	pts_image_free(&a.img);
	pts_image_free(&b.img);
	return ret;
}
