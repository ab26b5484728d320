// SPDX-License-Identifier: GPL-2.0
/*
 * ptscope ptcost PID [--json]
 *
 * What the target's page tables cost: table pages and bytes per level,
 * next to the kernel's VmPTE; and, for the same address space, what the
 * textbook alternatives would cost: a flat single-level table and a
 * 32-bit two-level 10+10 table.
 */
#include <inttypes.h>
#include <string.h>

#include "cli.h"

const struct cli_cmd cli_cmd_ptcost = {
	.name = "ptcost",
	.run = cmd_ptcost,
	.args = "PID [--json]",
	.summary = "page-table memory per level, and what other designs would cost",
	.help =
	"Counts the page-table pages of process PID reachable from its VMAs,\n"
	"level by level (tables, bytes, entries in use, leaf entries), and sets\n"
	"the pte+pmd+pud total beside the kernel's own count, VmPTE.  Then, for\n"
	"the same address space (the VMAs of /proc/PID/maps), what textbook\n"
	"designs would cost: the same radix tree fully populated, a flat\n"
	"single-level table (32-bit: 2^20 x 4 B = 4 MiB; this paging mode's\n"
	"whole space: 2^36 x 8 B, or 2^45 x 8 B with 5 levels), and a 32-bit\n"
	"two-level 10+10 table (one 4 KiB directory plus one 4 KiB table per\n"
	"4 MiB region a VMA touches).  Assumptions are printed with the figures.\n"
	"\n"
	"Options:\n"
	"  --via module|bpf  read the page tables through the module, or\n"
	"                    through the BPF walker (no module; what it cannot\n"
	"                    tell: Documentation/bpfwalk.rst).  Default: the\n"
	"                    module, the BPF walker when the module is not there\n"
	"  -j, --json   one JSON document: levels, table_bytes, pgtables_bytes,\n"
	"               vmpte_kb, agree, span, alternatives, assumptions\n"
	"\n"
	"Examples:\n"
	"  ptscope ptcost 1234\n"
	"  ptscope ptcost $$ --json | jq .alternatives\n",
};

#define PAGE		4096ULL

/* The address space, from /proc/PID/maps (user VMAs only). */
struct space {
	uint64_t vmas, bytes, lo, hi;
	uint64_t regions_4m;		/* 4 MiB regions a VMA touches */
	uint64_t regions[PTSCOPE_NR_LEVELS];	/* per level: tables if fully populated */
};

static void count_region(uint64_t *n, uint64_t *last, uint64_t s, uint64_t e,
			 int shift)
{
	uint64_t first = s >> shift, end = (e - 1) >> shift;

	*n += end - first + 1;
	if (*last != UINT64_MAX && *last == first)
		(*n)--;
	*last = end;
}

static int read_space(int pid, uint64_t task_size, int levels, struct space *sp)
{
	uint64_t last4m = UINT64_MAX, last[PTSCOPE_NR_LEVELS];
	char path[64], line[512];
	unsigned long long s, e;
	FILE *f;
	int i;

	memset(sp, 0, sizeof(*sp));
	for (i = 0; i < PTSCOPE_NR_LEVELS; i++)
		last[i] = UINT64_MAX;
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		size_t len = strlen(line);

		/* swallow the rest of an overlong line */
		while (len && line[len - 1] != '\n' && fgets(line, sizeof(line), f))
			len = strlen(line);
		if (sscanf(line, "%llx-%llx", &s, &e) != 2 || e <= s || e > task_size)
			continue;
		if (!sp->vmas)
			sp->lo = s;
		sp->hi = e;
		sp->vmas++;
		sp->bytes += e - s;
		count_region(&sp->regions_4m, &last4m, s, e, 22);
		/* a table at level L covers 2^(12 + 9 (L + 1)) bytes */
		for (i = PTSCOPE_LVL_PTE; i < levels - 1; i++)
			count_region(&sp->regions[i], &last[i], s, e,
				     PTSCOPE_LEVEL_SHIFT(i + 1));
	}
	fclose(f);
	sp->regions[levels - 1] = sp->vmas ? 1 : 0;	/* the top level */
	return 0;
}

static const char *const level_role[PTSCOPE_NR_LEVELS] = {
	[PTSCOPE_LVL_PTE] = "4K pages",
	[PTSCOPE_LVL_PMD] = "2M each: a pte table or a huge page",
	[PTSCOPE_LVL_PUD] = "1G each",
	[PTSCOPE_LVL_P4D] = "512G each",
	[PTSCOPE_LVL_PGD] = "top level (CR3), allocated with the mm",
};

int cmd_ptcost(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		CLI_VIA_LONGOPT,
		{ NULL, 0, NULL, 0 }
	};
	static const char *const args[] = { "PID", NULL };
	const struct cli_cmd *cmd = &cli_cmd_ptcost;
	const struct ptscope_rec_hdr *rec;
	struct ptscope_cost cost;
	bool have_cost = false, agree;
	int c, ret, pid, levels, i;
	uint64_t total = 0, ppp, counted, full = 0, flat_bits, flat, two;
	struct cli_stream st;
	struct space sp;
	long long vmpte;

	while ((c = getopt_long(argc, argv, CLI_COMMON_SHORTOPTS, longopts,
				NULL)) != -1) {
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

	ret = cli_stream_open(&st, pid, "op=ptcost");
	if (ret)
		return ret;
	while ((ret = cli_stream_next(&st, &rec)) > 0) {
		if (rec->type == PTSCOPE_REC_COST) {
			memcpy(&cost, rec, sizeof(cost));
			have_cost = true;
		}
	}
	cli_stream_close(&st);
	if (ret < 0)
		return st.rc;
	if (!have_cost) {
		cli_err("the module sent no cost record");
		return CLI_ERR;
	}
	levels = st.hdr.paging_levels == 5 ? 5 : 4;
	vmpte = cli_proc_kb(pid, "status", "VmPTE");
	if (read_space(pid, st.hdr.task_size, levels, &sp))
		memset(&sp, 0, sizeof(sp));

	for (i = 0; i < PTSCOPE_NR_LEVELS; i++)
		total += cost.tables[i] * PAGE;
	/* The kernel's VmPTE (mm_pgtables_bytes) counts pte, pmd, pud tables. */
	ppp = (cost.tables[PTSCOPE_LVL_PTE] + cost.tables[PTSCOPE_LVL_PMD] +
	       cost.tables[PTSCOPE_LVL_PUD]) * PAGE;
	/* ... and the PTE tables deposited with anonymous THPs (for a split) */
	counted = ppp + cost.deposited * PAGE;
	total += cost.deposited * PAGE;
	agree = vmpte >= 0 && (uint64_t)vmpte * 1024 == counted;
	for (i = 0; i < levels; i++)
		full += sp.regions[i] * PAGE;
	flat_bits = 12 + 9 * levels - 12;	/* 36 or 45 index bits */
	flat = (1ULL << flat_bits) * 8;
	two = sp.vmas ? (1 + sp.regions_4m) * PAGE : 0;

	if (cli.json) {
		json_object *o = json_object_new_object(), *a, *alt, *sp_o;

		jset(o, "pid", json_object_new_int(st.hdr.pid));
		jset(o, "comm", json_object_new_string(st.hdr.comm));
		jset(o, "paging_levels", json_object_new_int(levels));
		a = json_object_new_array();
		for (i = PTSCOPE_NR_LEVELS - 1; i >= 0; i--) {
			json_object *l;

			if (levels == 4 && i == PTSCOPE_LVL_P4D)
				continue;
			l = json_object_new_object();
			jset(l, "name", json_object_new_string(lvl(i)));
			jset(l, "tables", json_object_new_int64(cost.tables[i]));
			jset(l, "bytes", json_object_new_int64(cost.tables[i] * PAGE));
			jset(l, "entries", json_object_new_int64(cost.entries[i]));
			jset(l, "leaves", json_object_new_int64(cost.leaves[i]));
			json_object_array_add(a, l);
		}
		jset(o, "levels", a);
		jset(o, "table_bytes", json_object_new_int64(total));
		jset(o, "pte_pmd_pud_bytes", json_object_new_int64(ppp));
		jset(o, "deposited_tables", json_object_new_int64(cost.deposited));
		jset(o, "vmpte_counted_bytes", json_object_new_int64(counted));
		jset(o, "pgtables_bytes", json_object_new_int64(cost.pgtables_bytes));
		jset(o, "vmpte_kb", vmpte < 0 ? NULL : json_object_new_int64(vmpte));
		jset(o, "agree", json_object_new_boolean(agree));
		jset(o, "pgd_pages", json_object_new_int64(cost.pgd_pages));
		jset(o, "vm_bytes", json_object_new_int64(cost.vm_bytes));
		sp_o = json_object_new_object();
		jset(sp_o, "vmas", json_object_new_int64(sp.vmas));
		jset(sp_o, "bytes", json_object_new_int64(sp.bytes));
		jset(sp_o, "start", cli_json_hex(sp.lo));
		jset(sp_o, "end", cli_json_hex(sp.hi));
		jset(sp_o, "regions_4m", json_object_new_int64(sp.regions_4m));
		jset(o, "space", sp_o);
		alt = json_object_new_object();
		jset(alt, "radix_actual_bytes", json_object_new_int64(total));
		jset(alt, "radix_full_bytes", json_object_new_int64(full));
		jset(alt, "flat_32bit_bytes", json_object_new_int64(4ULL << 20));
		jset(alt, "flat_bytes", json_object_new_int64(flat));
		jset(alt, "flat_index_bits", json_object_new_int64(flat_bits));
		jset(alt, "two_level_10_10_bytes", json_object_new_int64(two));
		jset(o, "alternatives", alt);
		a = json_object_new_array();
		json_object_array_add(a, json_object_new_string(
			"4 KiB pages and 4 KiB tables throughout"));
		json_object_array_add(a, json_object_new_string(
			"flat tables hold one entry per virtual page of the whole space, "
			"used or not (32-bit: 4-byte entries; 64-bit: 8-byte entries)"));
		json_object_array_add(a, json_object_new_string(
			"10+10: one 4 KiB directory of 1024 4-byte entries plus one 4 KiB "
			"table per 4 MiB region overlapped by a VMA, counted on the real "
			"addresses as if such a table could reach them"));
		json_object_array_add(a, json_object_new_string(
			"radix_full: one table per region a VMA overlaps at each level, "
			"as if every page of every VMA had been touched"));
		jset(o, "assumptions", a);
		cli_via_json(st.hdr.flags, o);
		cli_json_print(o, true);
		return CLI_OK;
	}

	printf("%s# ptscope ptcost: pid %u (%s), %d-level paging%s\n", col(C_DIM),
	       st.hdr.pid, st.hdr.comm, levels, col(C_RESET));
	cli_via_note(st.hdr.flags);
	printf("%sPage tables reachable from the VMAs%s (each table: one 4K page of "
	       "512 8-byte entries)\n", col(C_BOLD), col(C_RESET));
	printf("  %-5s %7s %8s %16s %6s %8s  %s\n", "LEVEL", "TABLES", "BYTES",
	       "ENTRIES USED", "FILL", "LEAVES", "ONE ENTRY MAPS");
	for (i = PTSCOPE_NR_LEVELS - 1; i >= 0; i--) {
		char used[40];
		uint64_t slots = cost.tables[i] * 512;

		if (levels == 4 && i == PTSCOPE_LVL_P4D)
			continue;
		snprintf(used, sizeof(used), "%llu/%llu",
			 (unsigned long long)cost.entries[i], (unsigned long long)slots);
		printf("  %-5s %7llu %8s %16s %5.1f%% %8llu  %s\n", lvl(i),
		       (unsigned long long)cost.tables[i], sz(cost.tables[i] * PAGE),
		       used, slots ? 100.0 * cost.entries[i] / slots : 0.0,
		       (unsigned long long)cost.leaves[i],
		       i == levels - 1 ? level_role[PTSCOPE_LVL_PGD] : level_role[i]);
	}
	if (cost.deposited)
		printf("  %-5s %7llu %8s %16s %6s %8s  %s\n", "+dep", (unsigned long long)cost.deposited,
		       sz(cost.deposited * PAGE), "-", "", "-",
		       "pte tables deposited with THPs, for a later split");
	printf("  %-5s %7llu %8s\n", "total", (unsigned long long)(total / PAGE), sz(total));
	printf("\n  pte+pmd+pud tables%s: %s; the kernel's VmPTE ",
	       cost.deposited ? " + deposited" : "", sz(counted));
	if (vmpte < 0)
		printf("could not be read");
	else
		printf("%lld kB  %s%s%s", vmpte, col(agree ? C_GREEN : C_YELLOW),
		       agree ? "agree" : "DIFFER", col(C_RESET));
	printf("\n  (VmPTE counts pte, pmd and pud tables; the pgd%s not counted)\n",
	       levels == 5 ? " and p4d tables are" : ", allocated with the mm, is");
	if (!agree && vmpte >= 0)
		printf("  note: tables outside every VMA (freed lazily after munmap) or "
		       "changes between the walk and reading VmPTE explain a difference\n");
	if (cost.pgd_pages > 1)
		printf("  note: with page-table isolation the pgd is %llu pages (kernel "
		       "and user copies)\n", (unsigned long long)cost.pgd_pages);

	if (!sp.vmas) {
		printf("\n(/proc/%d/maps could not be read: no comparison)\n", pid);
		return CLI_OK;
	}
	printf("\n%sThe same address space with other designs%s: %llu VMAs, %s "
	       "mapped, spanning 0x%llx-0x%llx (%s)\n", col(C_BOLD), col(C_RESET),
	       (unsigned long long)sp.vmas, sz(sp.bytes), (unsigned long long)sp.lo,
	       (unsigned long long)sp.hi, sz(sp.hi - sp.lo));
	printf("  %-52s %10s\n", "DESIGN", "COST");
	printf("  %-52s %10s\n", "this process's radix tree, as it is now", sz(total));
	printf("  %-52s %10s  (every page of every VMA touched)\n",
	       "the same tree, fully populated", sz(full));
	printf("  %-52s %10s  %s\n", "flat 1-level table, 32-bit: 2^20 x 4 B", "4M",
	       sp.hi > (1ULL << 32) ? "(covers 4 GiB only: this layout would not fit)" :
	       "(covers the whole 4 GiB space)");
	{
		char d[64];

		snprintf(d, sizeof(d), "flat 1-level table, %d-bit: 2^%llu x 8 B",
			 levels == 5 ? 57 : 48, (unsigned long long)flat_bits);
		printf("  %-52s %10s  (user half alone: %s)\n", d, sz(flat), sz(flat / 2));
		snprintf(d, sizeof(d), "2-level 10+10: 4K directory + 4K per 4M region");
		printf("  %-52s %10s  (%llu regions of 4 MiB touched)\n", d, sz(two),
		       (unsigned long long)sp.regions_4m);
	}
	printf("%sassumptions:%s 4 KiB pages and tables; flat tables hold an entry for "
	       "every virtual page, used or not;\n  10+10 uses 4-byte entries and is "
	       "counted on the real addresses as if it could reach them.\n",
	       col(C_DIM), col(C_RESET));
	return CLI_OK;
}
