// SPDX-License-Identifier: GPL-2.0
/*
 * ptscope maps PID [--json]
 *
 * Per VMA: what the page tables map.  Resident pages are split by the
 * frame's map count into private (mapped once) and shareable (mapped
 * more than once); huge-page and swapped pages are counted too.  The
 * totals, the classic working set, are set beside the kernel's own
 * figures (/proc/PID/status and /proc/PID/smaps_rollup) with a note on
 * every difference.  Only per-VMA counters are kept: the leaves stream.
 * With --folios, also the folio sizes behind each VMA (tools/lib/folios.c).
 */
#include <string.h>

#include "cli.h"

const struct cli_cmd cli_cmd_maps = {
	.name = "maps",
	.run = cmd_maps,
	.args = "PID [--folios] [--json]",
	.summary = "per-VMA residency and the working set, beside the kernel's figures",
	.help =
	"For each VMA of process PID: range, permissions, backing, and what its\n"
	"page-table entries map: resident memory split by the frame's map count\n"
	"into private (mapcount 1) and shareable (mapcount > 1), the share held\n"
	"in huge pages, and swapped-out memory.  The totals (the working set:\n"
	"private + shareable) are printed beside the kernel's own figures from\n"
	"/proc/PID/status (VmRSS, RssAnon, RssFile, RssShmem, VmSwap) and\n"
	"/proc/PID/smaps_rollup (Rss, Private_*, Shared_*, Swap), with a note\n"
	"explaining any difference (the shared zero page, special mappings and\n"
	"hugetlb pages are not RSS; a live process changes between readings).\n"
	"\n"
	"Options:\n"
	"  -f, --folios  also which folio sizes back each VMA, one line per\n"
	"               category: kind (anon, file, zero), folio size, the\n"
	"               entries that map it (pte, pmd, pud) and its shape:\n"
	"               aligned (every page, at an address aligned to the\n"
	"               folio's size), unaligned (every page, elsewhere),\n"
	"               partial (only some of its pages: split across VMAs,\n"
	"               partly unmapped); then the same for the whole process\n"
	"  --via module|bpf  read the page tables through the module, or\n"
	"                    through the BPF walker (no module; what it cannot\n"
	"                    tell: Documentation/bpfwalk.rst).  Default: the\n"
	"                    module, the BPF walker when the module is not there\n"
	"  -j, --json   one JSON document: pid, comm, vmas (per VMA: start, end,\n"
	"               perm, backing, name, and sizes in kB), totals (kB),\n"
	"               kernel (status and smaps_rollup fields, kB), compare,\n"
	"               notes; with --folios, \"folios\" per VMA and in totals:\n"
	"               [{kind, size, mapped_by, shape, folios, kb}]\n"
	"\n"
	"Examples:\n"
	"  ptscope maps 1234\n"
	"  ptscope maps $$ --json | jq .totals\n"
	"  ptscope maps 1234 --folios          mTHP and THP behind each VMA\n",
};

/* Bytes, per VMA and in total. */
struct vstat {
	uint64_t resident, priv, shared, huge, swap, zero, special, hugetlb,
		 anon, file, shmem, nonpresent;
	uint64_t priv_raw, shared_raw;	/* with ptscope's own mappings counted */
};

struct maps_ctx {
	struct ptscope_vma vma;
	bool have_vma;
	struct vstat cur, tot;
	uint64_t nr_vmas, zero_entries, mapped, discounted;
	json_object *vmas;
	bool folios;
	struct pts_folio_acc fa;
};

static void account(struct maps_ctx *m, const struct ptscope_leaf *l)
{
	uint64_t bytes = pts_level_size(l->level) * l->count;
	struct vstat *v = &m->cur;
	uint32_t mc;

	if (!(l->flags & PTSCOPE_F_PRESENT)) {
		if (l->flags & PTSCOPE_F_SWAP)
			v->swap += bytes;
		else
			v->nonpresent += bytes;
		return;
	}
	if (l->flags & PTSCOPE_F_ZERO_PAGE) {
		v->zero += bytes;
		m->zero_entries += l->count;
		return;
	}
	if (m->have_vma && m->vma.backing == PTSCOPE_BACK_HUGETLB) {
		v->hugetlb += bytes;
		return;
	}
	mc = cli_mapcount(l, &m->discounted);
	if (!mc) {
		/* special/PFN-mapped frames, device memory: not RSS */
		v->special += bytes;
		return;
	}
	v->resident += bytes;
	if (mc == 1)
		v->priv += bytes;
	else
		v->shared += bytes;
	if (l->mapcount == 1)
		v->priv_raw += bytes;
	else
		v->shared_raw += bytes;
	if (l->level != PTSCOPE_LVL_PTE)
		v->huge += bytes;
	if (l->flags & PTSCOPE_F_ANON_PAGE)
		v->anon += bytes;
	else if (m->have_vma && m->vma.backing == PTSCOPE_BACK_SHMEM)
		v->shmem += bytes;
	else
		v->file += bytes;
}

static void add(struct vstat *t, const struct vstat *v)
{
	const uint64_t *s = (const void *)v;
	uint64_t *d = (void *)t;
	size_t i;

	for (i = 0; i < sizeof(*v) / sizeof(uint64_t); i++)
		d[i] += s[i];
}

static json_object *kb(uint64_t bytes)
{
	return json_object_new_int64(bytes >> 10);
}

static void put_stats(json_object *o, const struct vstat *v)
{
	jset(o, "resident_kb", kb(v->resident));
	jset(o, "private_kb", kb(v->priv));
	jset(o, "shareable_kb", kb(v->shared));
	jset(o, "huge_kb", kb(v->huge));
	jset(o, "swap_kb", kb(v->swap));
	jset(o, "anon_kb", kb(v->anon));
	jset(o, "file_kb", kb(v->file));
	jset(o, "shmem_kb", kb(v->shmem));
	jset(o, "zero_page_kb", kb(v->zero));
	jset(o, "special_kb", kb(v->special));
	jset(o, "hugetlb_kb", kb(v->hugetlb));
	jset(o, "other_nonpresent_kb", kb(v->nonpresent));
	jset(o, "private_raw_kb", kb(v->priv_raw));
	jset(o, "shareable_raw_kb", kb(v->shared_raw));
}

/* Folio categories as JSON: [{kind, size, mapped_by, shape, folios, kb}]. */
static json_object *folios_json(const struct pts_folio_stats *fs)
{
	json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < fs->n; i++) {
		const struct pts_folio_cat *c = &fs->cat[i];
		json_object *o = json_object_new_object();

		jset(o, "kind", json_object_new_string(pts_folio_kind_name(c->kind)));
		jset(o, "size", json_object_new_int64(4096LL << c->order));
		jset(o, "mapped_by", json_object_new_string(lvl(c->level)));
		jset(o, "shape", json_object_new_string(pts_folio_shape_name(c->shape)));
		jset(o, "folios", json_object_new_int64(c->pieces));
		jset(o, "kb", kb(c->bytes));
		json_object_array_add(a, o);
	}
	return a;
}

static void folios_text(const struct pts_folio_stats *fs, const char *indent)
{
	size_t i;

	for (i = 0; i < fs->n; i++) {
		const struct pts_folio_cat *c = &fs->cat[i];

		printf("%s%s%-5s %5s folios by %-3s %-9s %6s in %llu %s%s%s\n",
		       col(C_DIM), indent, pts_folio_kind_name(c->kind),
		       sz(4096ULL << c->order), lvl(c->level),
		       c->order ? pts_folio_shape_name(c->shape) : "", sz(c->bytes),
		       (unsigned long long)c->pieces,
		       c->shape == PTS_FS_PARTIAL ? "piece" : "folio",
		       c->pieces == 1 ? "" : "s", col(C_RESET));
	}
}

static void print_header(void)
{
	printf("%s%-12s %-12s %-4s %6s %6s %6s %6s %5s %6s %-7s %s%s\n", col(C_BOLD),
	       "START", "END", "PERM", "SIZE", "RSS", "PRIV", "SHARE", "HUGE",
	       "SWAP", "BACKING", "NAME", col(C_RESET));
}

/* The VMA in m->vma is complete: print or record it. */
static void flush_vma(struct maps_ctx *m)
{
	const struct ptscope_vma *v = &m->vma;
	const struct vstat *s = &m->cur;
	char perm[5], huge[8];

	if (!m->have_vma)
		return;
	m->nr_vmas++;
	add(&m->tot, s);
	if (m->folios)
		pts_folio_acc_end_vma(&m->fa);
	if (cli.json) {
		json_object *o = cli_json_vma(v);

		jset(o, "size_kb", kb(v->end - v->start));
		put_stats(o, s);
		if (m->folios)
			jset(o, "folios", folios_json(&m->fa.vma));
		json_object_array_add(m->vmas, o);
	} else {
		if (s->resident)
			snprintf(huge, sizeof(huge), "%llu%%",
				 (unsigned long long)(s->huge * 100 / s->resident));
		else
			snprintf(huge, sizeof(huge), "-");
		printf("%s%012llx %012llx %s %6s %6s %6s %6s %5s %6s %-7s %s%s\n",
		       s->swap ? col(C_YELLOW) : "",
		       (unsigned long long)v->start, (unsigned long long)v->end,
		       pts_vma_perm(v, perm), sz(v->end - v->start),
		       sz0(s->resident), sz0(s->priv), sz0(s->shared), huge,
		       sz0(s->swap), pts_backing_name(v->backing), v->name,
		       s->swap ? col(C_RESET) : "");
		if (m->folios)
			folios_text(&m->fa.vma, "    ");
	}
	if (m->folios)
		pts_folio_acc_next_vma(&m->fa);
	memset(&m->cur, 0, sizeof(m->cur));
	m->have_vma = false;
}

/* The kernel's figures, in kB; -1 when the file or field is missing. */
struct kfig {
	long long vmrss, rssanon, rssfile, rssshmem, vmswap, hugetlb;
	long long rss, pclean, pdirty, sclean, sdirty, swap, anonhuge,
		  shmempmd, filepmd, phuge, shuge;
};

static void read_kernel(int pid, struct kfig *k)
{
	static const char *const status[] = {
		"VmRSS", "RssAnon", "RssFile", "RssShmem", "VmSwap", "HugetlbPages",
	};
	static const char *const smaps[] = {
		"Rss", "Private_Clean", "Private_Dirty", "Shared_Clean", "Shared_Dirty",
		"Swap", "AnonHugePages", "ShmemPmdMapped", "FilePmdMapped",
		"Private_Hugetlb", "Shared_Hugetlb",
	};
	long long v[11];

	cli_proc_kbs(pid, "status", status, 6, v);
	k->vmrss = v[0];
	k->rssanon = v[1];
	k->rssfile = v[2];
	k->rssshmem = v[3];
	k->vmswap = v[4];
	k->hugetlb = v[5];
	/* smaps_rollup walks the page tables: read it once */
	cli_proc_kbs(pid, "smaps_rollup", smaps, 11, v);
	k->rss = v[0];
	k->pclean = v[1];
	k->pdirty = v[2];
	k->sclean = v[3];
	k->sdirty = v[4];
	k->swap = v[5];
	k->anonhuge = v[6];
	k->shmempmd = v[7];
	k->filepmd = v[8];
	k->phuge = v[9];
	k->shuge = v[10];
}

static long long sum2(long long a, long long b)
{
	return a < 0 || b < 0 ? -1 : a + b;
}

static long long sum3(long long a, long long b, long long c)
{
	return sum2(sum2(a, b), c);
}

/* One line of the comparison: ptscope's figure and up to two kernel ones. */
struct cmp {
	const char *what;
	uint64_t ours;			/* bytes */
	const char *k1;
	long long v1;			/* kB, -1: unknown */
	const char *k2;
	long long v2;
	bool agree;		/* filled in by build_cmp() */
};

#define CMP(w, o, n1, x1, n2, x2) \
	((struct cmp){ .what = (w), .ours = (o), .k1 = (n1), .v1 = (x1), .k2 = (n2), .v2 = (x2) })

static int build_cmp(const struct maps_ctx *m, const struct kfig *k, struct cmp *c)
{
	const struct vstat *t = &m->tot;
	int n = 0, i;

	c[n++] = CMP("working set (private + shareable)", t->resident,
			       "VmRSS", k->vmrss, "smaps Rss", k->rss);
	c[n++] = CMP("  private (mapcount 1)", t->priv_raw,
			       "smaps Private_Clean+Private_Dirty",
			       sum2(k->pclean, k->pdirty), NULL, -1);
	c[n++] = CMP("  shareable (mapcount > 1)", t->shared_raw,
			       "smaps Shared_Clean+Shared_Dirty",
			       sum2(k->sclean, k->sdirty), NULL, -1);
	c[n++] = CMP("  anonymous", t->anon, "RssAnon", k->rssanon, NULL, -1);
	c[n++] = CMP("  file-backed", t->file, "RssFile", k->rssfile, NULL, -1);
	c[n++] = CMP("  shmem", t->shmem, "RssShmem", k->rssshmem, NULL, -1);
	c[n++] = CMP("  in huge pages (PMD/PUD)", t->huge,
			       "smaps AnonHugePages+ShmemPmdMapped+FilePmdMapped",
			       sum3(k->anonhuge, k->shmempmd, k->filepmd), NULL, -1);
	c[n++] = CMP("swapped out", t->swap, "VmSwap", k->vmswap,
			       "smaps Swap", k->swap);
	c[n++] = CMP("hugetlb (not RSS)", t->hugetlb,
			       "smaps Private_Hugetlb+Shared_Hugetlb",
			       sum2(k->phuge, k->shuge), NULL, -1);
	for (i = 0; i < n; i++) {
		long long ours = c[i].ours >> 10;

		c[i].agree = (c[i].v1 < 0 || c[i].v1 == ours) &&
			     (!c[i].k2 || c[i].v2 < 0 || c[i].v2 == ours);
	}
	return n;
}

static int build_notes(const struct maps_ctx *m, const struct kfig *k,
		       const struct cmp *c, int nc, char notes[][320])
{
	const struct vstat *t = &m->tot;
	long long ws = t->resident >> 10;
	bool differ = false;
	int n = 0, i;

	for (i = 0; i < nc; i++)
		differ |= !c[i].agree;
	if (t->zero)
		snprintf(notes[n++], 320, "%s (%llu entries) map the shared zero page "
			 "(untouched anonymous memory that was only read): present in "
			 "the page tables, but not RSS, so left out of the working set",
			 sz(t->zero), (unsigned long long)m->zero_entries);
	if (t->special)
		snprintf(notes[n++], 320, "%s map special frames ([vvar], PFN/IO "
			 "mappings, device memory) that have no page map count: not RSS",
			 sz(t->special));
	if (t->hugetlb)
		snprintf(notes[n++], 320, "%s in hugetlb pages: accounted in "
			 "HugetlbPages and *_Hugetlb, never in RSS", sz(t->hugetlb));
	if (k->rss < 0 || k->vmrss < 0)
		snprintf(notes[n++], 320, "the kernel's figures could not be read "
			 "(the process exited?)");
	else if (k->rss != ws && k->vmrss == k->rss)
		snprintf(notes[n++], 320, "the kernel agrees with itself but not with "
			 "the walk: the process changed its memory between ptscope's "
			 "walk and the kernel's (figures of a live process are snapshots)");
	if (k->vmrss >= 0 && k->rss >= 0 && k->vmrss != k->rss)
		snprintf(notes[n++], 320, "VmRSS (%lld kB) and smaps Rss (%lld kB) differ: "
			 "status reads the per-mm RSS counters, which lag (cached per thread "
			 "for up to 64 faults before Linux 6.2, batched per CPU since); "
			 "smaps_rollup walks the page tables as ptscope does",
			 k->vmrss, k->rss);
	if (m->discounted)
		snprintf(notes[n++], 320, "ptscope itself maps %llu of these pages (shared "
			 "libraries); the kernel's figures, read while it runs, count that: "
			 "compared here as they are; without it (as if ptscope were not "
			 "running, and per VMA above): %s private, %s shareable",
			 (unsigned long long)m->discounted, sz0(t->priv), sz0(t->shared));
	if (!c[1].agree || !c[2].agree)
		snprintf(notes[n++], 320, "private/shareable: smaps counts a page whose "
			 "reference count is 1 as private without reading its map count, "
			 "and a large folio page by page; ptscope uses the map count of "
			 "each entry's first frame");
	if (k->swap >= 0 && k->vmswap >= 0 && k->swap != k->vmswap)
		snprintf(notes[n++], 320, "smaps Swap also counts shmem pages swapped "
			 "out of the file behind a shared mapping, which leave no swap "
			 "entry in the page tables; VmSwap counts swap entries only");
	if (!differ)
		snprintf(notes[n++], 320, "the walk and the kernel's figures agree");
	return n;
}

/* " = NAME 9.5M" (or "!=" when it differs from OURS, "?" when unknown) */
static void print_fig(const char *name, long long kbv, uint64_t ours)
{
	bool eq = kbv >= 0 && (uint64_t)kbv == ours >> 10;

	printf("  %s%s%s %s %s", col(eq ? C_GREEN : C_YELLOW), eq ? "=" : "!=",
	       col(C_RESET), name, kbv < 0 ? "?" : sz0((uint64_t)kbv << 10));
}

static int finish(struct maps_ctx *m, const struct cli_stream *st)
{
	struct cmp c[12];
	char notes[8][320];
	struct kfig k;
	int nc, nn, i;

	read_kernel(st->pid, &k);
	nc = build_cmp(m, &k, c);
	nn = build_notes(m, &k, c, nc, notes);
	if (cli.json) {
		json_object *o = json_object_new_object(), *t, *ks, *a;

		jset(o, "pid", json_object_new_int(st->hdr.pid));
		jset(o, "comm", json_object_new_string(st->hdr.comm));
		jset(o, "vmas", m->vmas);
		m->vmas = NULL;
		t = json_object_new_object();
		jset(t, "vmas", json_object_new_int64(m->nr_vmas));
		jset(t, "working_set_kb", kb(m->tot.resident));
		jset(t, "mapped_kb", kb(m->mapped));
		jset(t, "self_mapped_pages", json_object_new_int64(m->discounted));
		put_stats(t, &m->tot);
		if (m->folios)
			jset(t, "folios", folios_json(&m->fa.total));
		jset(o, "totals", t);
		t = json_object_new_object();
		ks = json_object_new_object();
#define K(obj, name, v) jset(obj, name, (v) < 0 ? NULL : json_object_new_int64(v))
		K(ks, "VmRSS", k.vmrss);
		K(ks, "RssAnon", k.rssanon);
		K(ks, "RssFile", k.rssfile);
		K(ks, "RssShmem", k.rssshmem);
		K(ks, "VmSwap", k.vmswap);
		K(ks, "HugetlbPages", k.hugetlb);
		jset(t, "status", ks);
		ks = json_object_new_object();
		K(ks, "Rss", k.rss);
		K(ks, "Private_Clean", k.pclean);
		K(ks, "Private_Dirty", k.pdirty);
		K(ks, "Shared_Clean", k.sclean);
		K(ks, "Shared_Dirty", k.sdirty);
		K(ks, "Swap", k.swap);
		K(ks, "AnonHugePages", k.anonhuge);
		K(ks, "ShmemPmdMapped", k.shmempmd);
		K(ks, "FilePmdMapped", k.filepmd);
		K(ks, "Private_Hugetlb", k.phuge);
		K(ks, "Shared_Hugetlb", k.shuge);
		jset(t, "smaps_rollup", ks);
		jset(o, "kernel", t);
		a = json_object_new_array();
		for (i = 0; i < nc; i++) {
			json_object *e = json_object_new_object();
			const char *w = c[i].what;

			while (*w == ' ')
				w++;
			jset(e, "what", json_object_new_string(w));
			jset(e, "ptscope_kb", kb(c[i].ours));
			jset(e, "kernel", json_object_new_string(c[i].k1));
			K(e, "kernel_kb", c[i].v1);
			if (c[i].k2) {
				jset(e, "kernel2", json_object_new_string(c[i].k2));
				K(e, "kernel2_kb", c[i].v2);
			}
			jset(e, "agree", json_object_new_boolean(c[i].agree));
			json_object_array_add(a, e);
		}
#undef K
		jset(o, "compare", a);
		a = json_object_new_array();
		for (i = 0; i < nn; i++)
			json_object_array_add(a, json_object_new_string(notes[i]));
		jset(o, "notes", a);
		cli_via_json(st->hdr.flags, o);
		cli_json_print(o, true);
		return CLI_OK;
	}

	printf("\n%s%llu VMAs, %s mapped.  Working set from the page tables, beside "
	       "the kernel's own figures:%s\n", col(C_BOLD),
	       (unsigned long long)m->nr_vmas, sz(m->mapped), col(C_RESET));
	printf("  %-34s %8s  %s\n", "", "ptscope", "the kernel's figures");
	for (i = 0; i < nc; i++) {
		printf("  %-34s %8s", c[i].what, sz0(c[i].ours));
		print_fig(c[i].k1, c[i].v1, c[i].ours);
		if (c[i].k2)
			print_fig(c[i].k2, c[i].v2, c[i].ours);
		printf("\n");
	}
	printf("  %-34s %8s\n", "zero-page mappings (not RSS)", sz0(m->tot.zero));
	printf("  %-34s %8s\n", "special frames (not RSS)", sz0(m->tot.special));
	for (i = 0; i < nn; i++)
		printf("%snote:%s %s\n", col(C_DIM), col(C_RESET), notes[i]);
	if (m->folios) {
		printf("\n%sFolios behind the mappings (all VMAs):%s\n", col(C_BOLD),
		       col(C_RESET));
		folios_text(&m->fa.total, "  ");
		if (st->hdr.flags & PTSCOPE_HDR_NO_FOLIO)
			printf("  (unknown: the walk read no folios; see bpfwalk.rst)\n");
	}
	return CLI_OK;
}

int cmd_maps(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "folios", no_argument, NULL, 'f' },
		CLI_COMMON_LONGOPTS,
		CLI_VIA_LONGOPT,
		{ NULL, 0, NULL, 0 }
	};
	static const char *const args[] = { "PID", NULL };
	const struct cli_cmd *cmd = &cli_cmd_maps;
	const struct ptscope_rec_hdr *rec;
	struct maps_ctx m = { 0 };
	struct cli_stream st;
	int c, ret, pid;

	while ((c = getopt_long(argc, argv, "f" CLI_COMMON_SHORTOPTS, longopts,
				NULL)) != -1) {
		if (c == 'f') {
			m.folios = true;
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

	cli_self_frames_init();
	ret = cli_stream_open(&st, pid, "%s", "");
	if (ret) {
		cli_self_frames_free();
		return ret;
	}
	if (cli.json)
		m.vmas = json_object_new_array();
	else {
		printf("%s# ptscope maps: pid %u (%s)%s\n", col(C_DIM), st.hdr.pid,
		       st.hdr.comm, col(C_RESET));
		cli_via_note(st.hdr.flags);
	}
	if (!cli.json)
		print_header();
	while ((ret = cli_stream_next(&st, &rec)) > 0) {
		if (rec->type == PTSCOPE_REC_VMA) {
			flush_vma(&m);
			memcpy(&m.vma, rec, sizeof(m.vma));
			m.vma.name[sizeof(m.vma.name) - 1] = '\0';
			m.have_vma = true;
			m.mapped += m.vma.end - m.vma.start;
		} else if (rec->type == PTSCOPE_REC_LEAF) {
			account(&m, (const void *)rec);
			if (m.folios)
				pts_folio_acc_leaf(&m.fa, (const void *)rec);
		}
	}
	cli_stream_close(&st);
	cli_self_frames_free();
	if (ret < 0) {
		if (m.vmas)
			json_object_put(m.vmas);
		return st.rc;
	}
	flush_vma(&m);
	ret = finish(&m, &st);
	if (m.vmas)
		json_object_put(m.vmas);
	return ret;
}
