// SPDX-License-Identifier: GPL-2.0
/*
 * ptscope translate PID VA [--json]
 * ptscope translate --kernel VA [--json]
 *
 * One address, walked the textbook way: the address split into the
 * index fields of the paging mode in use (with the classic 32-bit and
 * PAE splits beside it, for comparison), then each level's index, entry,
 * table address and flags, then the physical address or where and why
 * the walk stopped.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "explain.h"

const struct cli_cmd cli_cmd_translate = {
	.name = "translate",
	.run = cmd_translate,
	.args = "PID VA | --kernel VA [--json]",
	.summary = "walk one virtual address level by level, the textbook way",
	.help =
	"Translates the virtual address VA of process PID as the MMU does: the\n"
	"address is split into one 9-bit index per level (4-level paging:\n"
	"9+9+9+9+12, 5-level: 9+9+9+9+9+12) and a 12-bit offset; each index\n"
	"selects an entry in a table whose physical address the level above\n"
	"holds (CR3 for the top).  Shown per level: index, physical address of\n"
	"the table and of the entry, raw entry, decoded flags.  Then the\n"
	"physical address, or where and why the walk stopped (nothing mapped,\n"
	"swapped out, ...).  For comparison, the low 32 bits are also split as\n"
	"a 32-bit CPU would (10+10+12, and PAE 2+9+9+12): hypothetical, this\n"
	"process does not use those modes.\n"
	"The flags are explained by 'ptscope help flags'.\n"
	"An entry that is not present (or empty, or PROT_NONE) is explained:\n"
	"what an access would do, the swap area, slot and device of a swap\n"
	"entry, the file and byte offset a fault would read, the kind of a PTE\n"
	"marker, the frame of a migration entry (Documentation/explain.rst).\n"
	"A kernel address (the kernel half) needs --kernel; a non-canonical\n"
	"address (bits 63..47, 63..56 with 5-level paging, not all equal to\n"
	"bit 47 or 56) is mapped by no table and is refused as such.\n"
	"\n"
	"With --kernel, VA is a kernel address, translated through the kernel\n"
	"half of the top-level table (the kernel copy with page-table\n"
	"isolation: the one the CPU walks in kernel mode), and its region is\n"
	"named (direct map, vmalloc, kernel image...).  It shows where the\n"
	"kernel lies (KASLR): root only, refused under lockdown=confidentiality.\n"
	"\n"
	"Options:\n"
	"  -k, --kernel  VA is a kernel address, translated in the kernel half\n"
	"                (no PID)\n"
	"  --via module|bpf  read the page tables through the module, or\n"
	"                    through the BPF walker (no module; what it cannot\n"
	"                    tell: Documentation/bpfwalk.rst).  Default: the\n"
	"                    module, the BPF walker when the module is not there\n"
	"  -j, --json   one JSON object: va, split, hypothetical, levels\n"
	"               ([{name,index,entry,table_pa,entry_pa,flags}], top first,\n"
	"               folded levels left out), pa (or null), pfn, stop,\n"
	"               stop_level, reason, page_size, vma, leaf, explain\n"
	"               (null for a present page, else {kind, text, and swap_type,\n"
	"               slot, device; file_offset, beyond_eof; pfn as they apply});\n"
	"               with --kernel also region ({name,start,end})\n"
	"\n"
	"Examples:\n"
	"  ptscope translate 1234 0x7ffd12345678\n"
	"  ptscope translate $$ $(printf '0x%x' 140737488289792)\n"
	"  ptscope translate 1234 0x55d1c8a00000 --json | jq .pa\n"
	"  ptscope translate --kernel $(awk '$3==\"_text\"{print \"0x\"$1}' /proc/kallsyms)\n",
};

struct field {
	const char *name;	/* pgd, ..., offset */
	const char *hw;		/* Intel's name, or NULL */
	int hi, lo;		/* bit positions, inclusive */
	uint64_t val;
};

static uint64_t bits(uint64_t v, int hi, int lo)
{
	uint64_t mask = hi - lo == 63 ? ~0ULL : (1ULL << (hi - lo + 1)) - 1;

	return (v >> lo) & mask;
}

static int split_va(uint64_t va, int levels, struct field *f)
{
	static const char *const lx[] = { "pgd", "p4d", "pud", "pmd", "pte" };
	static const char *const hw5[] = { "PML5", "PML4", "PDPT", "PD", "PT" };
	static const char *const hw4[] = { "PML4", "PDPT", "PD", "PT" };
	int top = 12 + 9 * levels - 1, n = 0, i;

	f[n++] = (struct field){ "sign", NULL, 63, top + 1, bits(va, 63, top + 1) };
	for (i = 0; i < levels; i++) {
		int hi = top - 9 * i;
		const char *name = levels == 5 ? lx[i] : lx[i ? i + 1 : 0];

		f[n++] = (struct field){ name, levels == 5 ? hw5[i] : hw4[i],
					 hi, hi - 8, bits(va, hi, hi - 8) };
	}
	f[n++] = (struct field){ "offset", NULL, 11, 0, bits(va, 11, 0) };
	return n;
}

static int split_32(uint64_t va, bool pae, struct field *f)
{
	uint32_t lo = (uint32_t)va;
	int n = 0;

	if (pae) {
		f[n++] = (struct field){ "pdpt", "PDPT", 31, 30, bits(lo, 31, 30) };
		f[n++] = (struct field){ "dir", "PD", 29, 21, bits(lo, 29, 21) };
	} else {
		f[n++] = (struct field){ "dir", "PD", 31, 22, bits(lo, 31, 22) };
	}
	f[n++] = (struct field){ "table", "PT", 21 - pae, 12, bits(lo, 21 - pae, 12) };
	f[n++] = (struct field){ "offset", NULL, 11, 0, bits(lo, 11, 0) };
	return n;
}

static const enum cli_color field_col[] = {
	C_CYAN, C_GREEN, C_YELLOW, C_MAGENTA, C_BLUE, C_RED
};

/* Four aligned rows: bit range, field name, binary digits, value. */
static void print_split(const char *indent, const struct field *f, int n)
{
	char cell[4][8][72];
	int w[8], i, r, b;

	for (i = 0; i < n; i++) {
		char *bin = cell[2][i];
		int nb = f[i].hi - f[i].lo + 1;

		snprintf(cell[0][i], sizeof(cell[0][i]), "%d..%d", f[i].hi, f[i].lo);
		if (f[i].hw)
			snprintf(cell[1][i], sizeof(cell[1][i]), "%s/%s", f[i].name, f[i].hw);
		else
			snprintf(cell[1][i], sizeof(cell[1][i]), "%s", f[i].name);
		for (b = 0; b < nb; b++)
			bin[b] = (f[i].val >> (nb - 1 - b)) & 1 ? '1' : '0';
		bin[nb] = '\0';
		if (!strcmp(f[i].name, "sign"))
			snprintf(cell[3][i], sizeof(cell[3][i]), "=bit %d", f[i].lo - 1);
		else if (!strcmp(f[i].name, "offset"))
			snprintf(cell[3][i], sizeof(cell[3][i]), "0x%llx",
				 (unsigned long long)f[i].val);
		else
			snprintf(cell[3][i], sizeof(cell[3][i]), "%llu",
				 (unsigned long long)f[i].val);
		w[i] = 0;
		for (r = 0; r < 4; r++)
			if ((int)strlen(cell[r][i]) > w[i])
				w[i] = strlen(cell[r][i]);
	}
	for (r = 0; r < 4; r++) {
		static const char *const label[] = { "bits", "field", "binary", "index" };

		printf("%s%-7s", indent, label[r]);
		for (i = 0; i < n; i++) {
			enum cli_color c = !strcmp(f[i].name, "sign") ? C_DIM :
					   field_col[i % 6];

			printf(" %s%-*s%s", col(c), w[i], cell[r][i], col(C_RESET));
		}
		printf("\n");
	}
}

static json_object *json_split(const struct field *f, int n)
{
	json_object *a = json_object_new_array();
	int i;

	for (i = 0; i < n; i++) {
		json_object *o = json_object_new_object();
		char b[16];

		snprintf(b, sizeof(b), "%d..%d", f[i].hi, f[i].lo);
		jset(o, "name", json_object_new_string(f[i].name));
		jset(o, "hw_name", f[i].hw ? json_object_new_string(f[i].hw) : NULL);
		jset(o, "bits", json_object_new_string(b));
		jset(o, "value", json_object_new_int64(f[i].val));
		json_object_array_add(a, o);
	}
	return a;
}

/* Why the walk stopped, in words. */
static void reason(const struct ptscope_header *h, const struct ptscope_xlate *x,
		   char *buf, size_t len)
{
	if ((h->flags & PTSCOPE_HDR_KERNEL) && x->stop == PTSCOPE_STOP_NOT_PRESENT) {
		snprintf(buf, len, "the %s entry is not present (a guard page, "
			 "set_memory_np(), debug_pagealloc): a kernel access "
			 "would oops", lvl(x->stop_level));
		return;
	}
	if ((h->flags & PTSCOPE_HDR_KERNEL) && x->stop == PTSCOPE_STOP_EMPTY) {
		snprintf(buf, len, "the %s entry is empty: nothing is mapped here "
			 "in the kernel half; a kernel access would oops",
			 lvl(x->stop_level));
		return;
	}
	if ((h->flags & PTSCOPE_HDR_KERNEL) && x->stop == PTSCOPE_STOP_BAD) {
		snprintf(buf, len, "the %s entry is not present", lvl(x->stop_level));
		return;
	}

	const struct ptscope_leaf *l = &x->leaf;

	switch (x->stop) {
	case PTSCOPE_STOP_OK:
		if (l->flags & PTSCOPE_F_PROTNONE) {
			snprintf(buf, len, "not present to the MMU (%s): the kernel keeps "
				 "the frame at pa 0x%llx, an access faults",
				 l->flags & PTSCOPE_F_NUMA_HINT ? "a NUMA hint" : "PROT_NONE",
				 (unsigned long long)(x->pa & ~(pts_level_size(x->stop_level) - 1)));
			break;
		}
		snprintf(buf, len, "translated: %s page at pa 0x%llx",
			 sz(pts_level_size(x->stop_level)),
			 (unsigned long long)(x->pa & ~(pts_level_size(x->stop_level) - 1)));
		break;
	case PTSCOPE_STOP_NO_VMA:
		snprintf(buf, len, "no VMA covers this address: nothing is mapped "
			 "here, an access would raise SIGSEGV; no table was read "
			 "(outside VMAs the kernel may free tables under the "
			 "mmap read lock)");
		break;
	case PTSCOPE_STOP_EMPTY:
		snprintf(buf, len, "the %s entry is empty: nothing below it is mapped "
			 "yet; a first access would page-fault and the kernel would "
			 "fill it in (demand paging)", lvl(x->stop_level));
		break;
	case PTSCOPE_STOP_NOT_PRESENT:
		if (l->flags & PTSCOPE_F_MARKER_POISON) {
			/* 6.1's swap-in error entry */
			snprintf(buf, len, "a poisoned entry (the page failed to swap "
				 "in): an access raises SIGBUS");
			break;
		}
		snprintf(buf, len, "the %s entry is not present (PROT_NONE, or a NUMA "
			 "hinting fault armed): an access faults", lvl(x->stop_level));
		break;
	case PTSCOPE_STOP_SWAP:
		snprintf(buf, len, "the page is swapped out (swap area %u, offset 0x%llx): "
			 "an access faults and reads it back", l->swap_type,
			 (unsigned long long)l->swap_offset);
		break;
	case PTSCOPE_STOP_MIGRATION:
		snprintf(buf, len, "the page is being migrated (to or from pfn 0x%llx): "
			 "an access waits until it is done", (unsigned long long)l->pfn);
		break;
	case PTSCOPE_STOP_MARKER:
		snprintf(buf, len, "a PTE marker (%s): an access faults",
			 l->flags & PTSCOPE_F_MARKER_GUARD ? "a guard region" :
			 l->flags & PTSCOPE_F_MARKER_POISON ? "poisoned" :
			 l->flags & PTSCOPE_F_UFFD_WP ? "userfaultfd write-protect" :
			 "of a kind the module does not name");
		break;
	case PTSCOPE_STOP_BAD:
		snprintf(buf, len, "the %s entry is corrupt (pgd/pmd_bad)",
			 lvl(x->stop_level));
		break;
	case PTSCOPE_STOP_DEVICE:
		snprintf(buf, len, "device memory entry: an access migrates the page "
			 "back to system memory");
		break;
	case PTSCOPE_STOP_HWPOISON:
		snprintf(buf, len, "hardware-poisoned page: an access raises SIGBUS");
		break;
	default:
		snprintf(buf, len, "stopped (%s)", pts_stop_name(x->stop));
	}
}

static bool has_leaf(const struct ptscope_xlate *x)
{
	return x->stop != PTSCOPE_STOP_NO_VMA && x->stop != PTSCOPE_STOP_EMPTY &&
	       x->stop != PTSCOPE_STOP_BAD;
}

/*
 * The VMA around VA as the walk reports it (backing, file offset, inode,
 * name): a one-page walk, checked against the translation's VMA.
 */
static bool vma_of(int pid, uint64_t va, const struct ptscope_xlate *x,
		   struct ptscope_vma *out)
{
	const struct ptscope_rec_hdr *rec;
	struct cli_stream st;
	bool found = false;
	uint64_t pg = va & ~4095ULL;

	if (cli_stream_open(&st, pid, "range=0x%llx-0x%llx", (unsigned long long)pg,
			    (unsigned long long)pg + 4096))
		return false;
	while (cli_stream_next(&st, &rec) > 0) {
		if (rec->type != PTSCOPE_REC_VMA || found)
			continue;
		memset(out, 0, sizeof(*out));
		memcpy(out, rec, rec->size < sizeof(*out) ? rec->size : sizeof(*out));
		out->name[sizeof(out->name) - 1] = '\0';
		found = out->start == x->vma_start && out->end == x->vma_end;
	}
	cli_stream_close(&st);
	return found;
}

/* What the entry at VA means, when it is not a present, accessible page. */
static bool explain(int pid, uint64_t va, const struct ptscope_xlate *x,
		    struct xpl *e)
{
	const struct ptscope_leaf *l = has_leaf(x) ? &x->leaf : NULL;
	struct ptscope_vma rv;
	struct xpl_vma v, *vp = NULL;
	char *swaps = NULL;
	bool ret;

	if (x->stop == PTSCOPE_STOP_NO_VMA || x->stop == PTSCOPE_STOP_BAD)
		return false;
	if (l && (l->flags & PTSCOPE_F_PRESENT))
		return false;
	if (vma_of(pid, va, x, &rv)) {
		v = (struct xpl_vma){ .start = rv.start, .end = rv.end,
				      .pgoff = rv.pgoff, .ino = rv.ino,
				      .flags = rv.flags, .backing = rv.backing,
				      .name = rv.name, .file_size = -1 };
		if (rv.ino)
			v.file_size = xpl_file_size(pid, &v);
		vp = &v;
	}
	if (l && (l->flags & PTSCOPE_F_SWAP))
		swaps = xpl_read_swaps();
	ret = xpl_entry(l, va, vp, swaps, e);
	free(swaps);
	return ret;
}

/* Said when lockdown confidentiality withholds the tables' addresses. */
#define WITHHELD "the page tables' addresses (and the frame bits of the entries that " \
	"point at tables) are withheld under lockdown confidentiality"

static void print_json(const struct ptscope_header *h, uint64_t va,
		       const struct ptscope_xlate_level *lv, int n,
		       const struct ptscope_xlate *x, const struct field *f, int nf,
		       const struct xpl *e, const struct ptscope_vma *region)
{
	json_object *o = json_object_new_object(), *a, *hyp;
	struct field f32[4];
	char why[256];
	bool hide;
	int i, k;

	jset(o, "pid", json_object_new_int(h->pid));
	jset(o, "comm", json_object_new_string(h->comm));
	jset(o, "va", cli_json_hex(va));
	jset(o, "paging_levels", json_object_new_int(h->paging_levels));
	jset(o, "split", json_split(f, nf));
	hyp = json_object_new_object();
	jset(hyp, "note", json_object_new_string(
		"hypothetical: the low 32 bits split as a 32-bit CPU would; "
		"this process does not use these modes"));
	jset(hyp, "low32", cli_json_hex((uint32_t)va));
	k = split_32(va, false, f32);
	jset(hyp, "two_level_10_10_12", json_split(f32, k));
	k = split_32(va, true, f32);
	jset(hyp, "pae_2_9_9_12", json_split(f32, k));
	jset(o, "hypothetical", hyp);
	hide = h->flags & PTSCOPE_HDR_NO_TABLE_PA;
	jset(o, "cr3", hide ? NULL : cli_json_hex(h->pgd_pa));
	if (hide)
		jset(o, "withheld", json_object_new_string(WITHHELD));
	a = json_object_new_array();
	for (i = 0; i < n; i++) {
		json_object *l;

		if (lv[i].folded)
			continue;
		l = json_object_new_object();
		jset(l, "name", json_object_new_string(lvl(lv[i].level)));
		jset(l, "index", json_object_new_int(lv[i].index));
		jset(l, "entry", cli_json_hex(lv[i].entry));
		jset(l, "table_pa", hide ? NULL : cli_json_hex(lv[i].table_pa));
		jset(l, "entry_pa", hide ? NULL : cli_json_hex(lv[i].entry_pa));
		jset(l, "flags", cli_json_flags(lv[i].flags));
		if (lv[i].xflags & PTSCOPE_XLATE_PTI_USER) {
			jset(l, "copy", json_object_new_string("pti-user"));
			jset(l, "kernel_entry", cli_json_hex(lv[i].kernel_entry));
		}
		json_object_array_add(a, l);
	}
	jset(o, "levels", a);
	jset(o, "pa", x->stop == PTSCOPE_STOP_OK ? cli_json_hex(x->pa) : NULL);
	jset(o, "pfn", x->stop == PTSCOPE_STOP_OK ?
	     json_object_new_int64(x->pa >> h->page_shift) : NULL);
	jset(o, "page_size", x->stop == PTSCOPE_STOP_OK ?
	     json_object_new_int64(pts_level_size(x->stop_level)) : NULL);
	jset(o, "stop", json_object_new_string(pts_stop_name(x->stop)));
	jset(o, "stop_level", x->stop == PTSCOPE_STOP_NO_VMA ? NULL :
	     json_object_new_string(lvl(x->stop_level)));
	reason(h, x, why, sizeof(why));
	jset(o, "reason", json_object_new_string(why));
	if (x->vma_end) {
		json_object *v = json_object_new_object();

		jset(v, "start", cli_json_hex(x->vma_start));
		jset(v, "end", cli_json_hex(x->vma_end));
		jset(o, "vma", v);
	} else {
		jset(o, "vma", NULL);
	}
	jset(o, "leaf", has_leaf(x) ? cli_json_leaf(&x->leaf) : NULL);
	if (h->flags & PTSCOPE_HDR_KERNEL) {
		json_object *r = json_object_new_object();

		jset(o, "kernel", json_object_new_boolean(1));
		jset(r, "name", region ? json_object_new_string(region->name) : NULL);
		jset(r, "start", cli_json_hex(x->vma_start));
		jset(r, "end", cli_json_hex(x->vma_end));
		jset(o, "region", r);
	}
	jset(o, "explain", e ? xpl_json(e) : NULL);
	cli_via_json(h->flags, o);
	cli_json_print(o, true);
}

static void print_text(const struct ptscope_header *h, uint64_t va,
		       const struct ptscope_xlate_level *lv, int n,
		       const struct ptscope_xlate *x, const struct field *f, int nf,
		       const struct xpl *e, const struct ptscope_vma *region)
{
	bool hide = h->flags & PTSCOPE_HDR_NO_TABLE_PA, folded = false;
	bool kernel = h->flags & PTSCOPE_HDR_KERNEL;
	uint64_t cr3 = h->user_pgd_pa && !kernel ? h->user_pgd_pa : h->pgd_pa;
	struct field f32[4];
	char flags[512], why[256];
	int i, k;

	for (i = 0; i < n; i++)
		folded |= lv[i].folded;
	if (kernel)
		printf("%sva 0x%016llx%s in the kernel half, region %s "
		       "0x%llx-0x%llx (addresses show the KASLR offsets)\n",
		       col(C_BOLD), (unsigned long long)va, col(C_RESET),
		       region ? region->name : "?",
		       (unsigned long long)x->vma_start,
		       (unsigned long long)x->vma_end);
	else
		printf("%sva 0x%016llx%s in pid %u (%s)\n", col(C_BOLD),
		       (unsigned long long)va, col(C_RESET), h->pid, h->comm);
	if (hide)
		printf("%u-level paging (%s), 4K pages; CR3 holds the %s%s\n%s\n",
		       h->paging_levels, h->paging_levels == 5 ? "LA57" : "LA57 off",
		       h->paging_levels == 5 ? "pgd (PML5)" : "pgd (PML4)",
		       folded ? "; the p4d level is folded into the pgd" : "",
		       WITHHELD);
	else
		printf("%u-level paging (%s), 4K pages; CR3 holds the %s at pa 0x%llx%s\n",
		       h->paging_levels, h->paging_levels == 5 ? "LA57" : "LA57 off",
		       h->paging_levels == 5 ? "pgd (PML5)" : "pgd (PML4)",
		       (unsigned long long)cr3,
		       folded ? "; the p4d level is folded into the pgd" : "");
	cli_via_note(h->flags);
	if (h->user_pgd_pa && kernel)
		printf("(page-table isolation: that is the kernel copy, loaded in "
		       "kernel mode; the user copy at pa 0x%llx maps only the "
		       "entry code and the CPU entry area of the kernel half)\n",
		       (unsigned long long)h->user_pgd_pa);
	else if (h->user_pgd_pa)
		printf("(page-table isolation: that is the user copy, loaded in user "
		       "mode; in the kernel CR3 holds the kernel copy at pa 0x%llx)\n",
		       (unsigned long long)h->pgd_pa);

	printf("\nThe address, split for %u-level paging (%s12; bits 63..%d must "
	       "copy bit %d):\n", h->paging_levels,
	       h->paging_levels == 5 ? "9+9+9+9+9+" : "9+9+9+9+", f[0].lo, f[0].lo - 1);
	print_split("  ", f, nf);

	if (!kernel) {
		printf("\n%sFor comparison only (hypothetical): the low 32 bits 0x%08x "
		       "split as a 32-bit CPU would;\nthis process does not use these "
		       "modes.%s\n", col(C_DIM), (uint32_t)va, col(C_RESET));
		printf("  classic 2-level, 10+10+12:\n");
		k = split_32(va, false, f32);
		print_split("    ", f32, k);
		printf("  PAE 3-level, 2+9+9+12 (8-byte entries):\n");
		k = split_32(va, true, f32);
		print_split("    ", f32, k);
	}

	printf("\nThe walk, from CR3 down:\n");
	if (!n)
		printf("  (no table read: the module walks only inside VMAs)\n");
	else
		printf("  %-5s %5s  %-18s  %-18s  %-18s  %s\n", "LEVEL", "INDEX",
		       "TABLE PA", "ENTRY PA", "ENTRY", "FLAGS");
	for (i = 0; i < n; i++) {
		if (lv[i].folded)
			continue;
		if (hide)
			printf("  %-5s %5u  %-18s  %-18s  0x%016llx  %s\n",
			       lvl(lv[i].level), lv[i].index, "(withheld)", "(withheld)",
			       (unsigned long long)lv[i].entry,
			       pts_flags_str(lv[i].flags, flags, sizeof(flags)));
		else
			printf("  %-5s %5u  0x%016llx  0x%016llx  0x%016llx  %s\n",
			       lvl(lv[i].level), lv[i].index,
			       (unsigned long long)lv[i].table_pa,
			       (unsigned long long)lv[i].entry_pa,
			       (unsigned long long)lv[i].entry,
			       pts_flags_str(lv[i].flags, flags, sizeof(flags)));
		if (lv[i].xflags & PTSCOPE_XLATE_PTI_USER)
			printf("  %-5s %5s  (page-table isolation: the CPU walks this user "
			       "copy in user mode;\n  %-5s %5s   the kernel copy at pa 0x%llx "
			       "holds 0x%016llx)\n", "", "", "", "",
			       (unsigned long long)(lv[i].table_pa - 4096),
			       (unsigned long long)lv[i].kernel_entry);
	}
	reason(h, x, why, sizeof(why));
	if (x->stop == PTSCOPE_STOP_OK && e) {
		/* PROT_NONE or a NUMA hint: the kernel's frame, not the MMU's */
		printf("\n%s=> not present to the MMU (%s): an access faults%s\n",
		       col(C_YELLOW), e->kind, col(C_RESET));
	} else if (x->stop == PTSCOPE_STOP_OK) {
		uint64_t size = pts_level_size(x->stop_level);

		printf("\n%s=> pa 0x%016llx%s = frame 0x%llx + offset 0x%llx (%s page",
		       col(C_GREEN), (unsigned long long)x->pa, col(C_RESET),
		       (unsigned long long)(x->pa & ~(size - 1)),
		       (unsigned long long)(va & (size - 1)), sz(size));
		if (x->leaf.flags & PTSCOPE_F_ZERO_PAGE)
			printf(", the shared zero page");
		else if (x->leaf.flags & PTSCOPE_F_ANON_PAGE)
			printf(", anonymous");
		else if (x->leaf.flags & PTSCOPE_F_FILE_PAGE)
			printf(", page cache");
		if (x->leaf.mapcount)
			printf(", mapped %u time%s", x->leaf.mapcount,
			       x->leaf.mapcount == 1 ? "" : "s");
		printf(")\n");
		if (x->leaf.flags & PTSCOPE_F_FOLIO)
			printf("   folio: %s at frame 0x%llx; this address is in page %llu of it\n",
			       sz(pts_folio_size(&x->leaf)),
			       (unsigned long long)x->leaf.folio_pfn,
			       (unsigned long long)((x->pa >> 12) - x->leaf.folio_pfn));
	} else if (x->stop == PTSCOPE_STOP_NO_VMA) {
		printf("\n%s=> %s%s\n", col(C_YELLOW), why, col(C_RESET));
	} else {
		printf("\n%s=> stopped at %s: %s%s\n", col(C_YELLOW),
		       lvl(x->stop_level), why, col(C_RESET));
	}
	if (has_leaf(x))
		printf("   leaf flags: %s\n",
		       pts_flags_str(x->leaf.flags & ~PTSCOPE_F_PFN_VALID, flags,
				     sizeof(flags)));
	if (kernel)
		printf("   in region %s 0x%llx-0x%llx\n", region ? region->name : "?",
		       (unsigned long long)x->vma_start,
		       (unsigned long long)x->vma_end);
	else if (x->vma_end)
		printf("   in VMA 0x%llx-0x%llx\n", (unsigned long long)x->vma_start,
		       (unsigned long long)x->vma_end);
	if (e)
		printf("   explained (%s): %s\n", e->kind, e->text);
}

int cmd_translate(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "kernel", no_argument, NULL, 'k' },
		CLI_COMMON_LONGOPTS,
		CLI_VIA_LONGOPT,
		{ NULL, 0, NULL, 0 }
	};
	static const char *const args[] = { "PID", "VA", NULL };
	static const char *const kargs[] = { "VA", NULL };
	struct ptscope_vma region;
	bool kernel = false, have_region = false;
	const struct cli_cmd *cmd = &cli_cmd_translate;
	struct ptscope_xlate_level lv[PTSCOPE_NR_LEVELS];
	const struct ptscope_rec_hdr *rec;
	struct ptscope_xlate x;
	struct xpl e, *xp;
	bool have_x = false;
	struct field f[8];
	struct cli_stream st;
	int c, ret, pid, n = 0, nf;
	uint64_t va;

	while ((c = getopt_long(argc, argv, "k" CLI_COMMON_SHORTOPTS, longopts,
				NULL)) != -1) {
		if (c == 'k') {
			kernel = true;
			continue;
		}
		ret = cli_common_opt(c, optarg, cmd);
		if (ret >= 0)
			return ret;
	}
	ret = cli_want_args(cmd, argc, argv, kernel ? kargs : args);
	if (ret)
		return ret;
	if (kernel) {
		pid = CLI_PID_KERNEL;
	} else {
		ret = cli_parse_pid(cmd, argv[optind], &pid);
		if (ret)
			return ret;
	}
	ret = cli_parse_addr(cmd, argv[optind + !kernel], &va);
	if (ret)
		return ret;
	ret = cli_check_half(cmd, va, kernel, "address");
	if (ret)
		return ret;

	ret = cli_stream_open(&st, pid, "va=0x%llx", (unsigned long long)va);
	if (ret)
		return ret;
	while ((ret = cli_stream_next(&st, &rec)) > 0) {
		if (rec->type == PTSCOPE_REC_VMA) {
			memcpy(&region, rec, sizeof(region));
			region.name[sizeof(region.name) - 1] = '\0';
			have_region = true;
		} else if (rec->type == PTSCOPE_REC_LEVEL && n < PTSCOPE_NR_LEVELS) {
			memcpy(&lv[n++], rec, sizeof(lv[0]));
		} else if (rec->type == PTSCOPE_REC_XLATE) {
			memcpy(&x, rec, sizeof(x));
			have_x = true;
		}
	}
	cli_stream_close(&st);
	if (ret < 0)
		return st.rc;
	if (!have_x) {
		cli_err("the module sent no translation record");
		return CLI_ERR;
	}
	nf = split_va(va, st.hdr.paging_levels == 5 ? 5 : 4, f);
	/* The explanations are of a process's entries (swap, files, markers). */
	xp = !kernel && explain(pid, va, &x, &e) ? &e : NULL;
	if (cli.json)
		print_json(&st.hdr, va, lv, n, &x, f, nf, xp,
			   have_region ? &region : NULL);
	else
		print_text(&st.hdr, va, lv, n, &x, f, nf, xp,
			   have_region ? &region : NULL);
	return CLI_OK;
}
