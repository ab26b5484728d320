// SPDX-License-Identifier: GPL-2.0
/*
 * ptscope audit PID [--json]
 *
 * Findings in a process's page tables, each with its range and why:
 * writable and executable leaves, leaves wider than their VMA, memory
 * types other than write-back, executable anonymous memory, and under
 * page-table isolation the two copies of each top-level entry that holds
 * user VMAs.  The rules are in audit_rules.c.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "audit_rules.h"

const struct cli_cmd cli_cmd_audit = {
	.name = "audit",
	.run = cmd_audit,
	.args = "PID [--json]",
	.summary = "findings: writable+executable, wider than the VMA, uncached, ...",
	.help =
	"Walks the page tables of process PID and reports what a security or\n"
	"kernel engineer would want to know, each finding with its range and\n"
	"why; runs of leaves with the same finding are merged:\n"
	"  writable-executable   a leaf both writable (rw) and executable (nx\n"
	"                        clear)\n"
	"  wider-than-vma        a leaf that allows more than its VMA: writable\n"
	"                        in a VMA without write permission, executable\n"
	"                        in one without exec, present in a PROT_NONE one\n"
	"  memory-type           a user page not write-back: uncached (UC, UC-),\n"
	"                        write-combining (WC), write-through, write-\n"
	"                        protected, decoded from the PAT, PCD and PWT\n"
	"                        bits with the PAT layout Linux programs\n"
	"  executable-anonymous  executable anonymous memory (code made at run\n"
	"                        time), or a copied-on-write page of a file's\n"
	"                        code\n"
	"  pti-mismatch          with page-table isolation, a top-level entry\n"
	"                        holding user VMAs whose kernel and user copies\n"
	"                        differ beyond the kernel copy's NX\n"
	"Documentation/audit.rst says more of each.\n"
	"\n"
	"Exit status: 0 no finding, 1 findings, 2 a usage or runtime error;\n"
	"3, 4, 5 as for the other commands (no module, permission, no process).\n"
	"\n"
	"Options:\n"
	"  --via module|bpf  read the page tables through the module, or\n"
	"                    through the BPF walker (no module)\n"
	"  -j, --json   JSON Lines, one object per finding: va, end, count\n"
	"               (entries), size (bytes per entry), finding, detail\n"
	"\n"
	"Examples:\n"
	"  ptscope audit 1234\n"
	"  ptscope audit $(pidof firefox) --json | jq -r .finding | sort | uniq -c\n",
};

/* Is WORD among the space-separated words of the line of FILE starting with KEY? */
static bool file_has_word(const char *file, const char *key, const char *word)
{
	char buf[8192], w[64];
	bool found = false;
	FILE *f = fopen(file, "r");

	if (!f)
		return false;
	snprintf(w, sizeof(w), " %s ", word);
	buf[0] = ' ';
	while (fgets(buf + 1, sizeof(buf) - 2, f)) {
		size_t n = strlen(buf);

		if (strncmp(buf + 1, key, strlen(key)))
			continue;
		if (buf[n - 1] == '\n')
			buf[n - 1] = ' ';
		else
			strcat(buf, " ");
		found = strstr(buf, w) != NULL;
		break;
	}
	fclose(f);
	return found;
}

/* The PAT layout of this boot: Linux's when the CPU has PAT and not nopat. */
static enum aud_pat pat_layout(void)
{
	if (file_has_word("/proc/cpuinfo", "flags", "pat") &&
	    !file_has_word("/proc/cmdline", "", "nopat"))
		return AUD_PAT_LINUX;
	return AUD_PAT_NONE;
}

/*
 * PTI: the two copies of the top-level entry of each slot that holds
 * user VMAs (SLOTS: the first address of a VMA in each), from translate's
 * LEVEL record; *PTI whether it is on.  0, or an exit status.
 */
static int check_pti(int pid, const uint64_t *slots, int n, int shift,
		     struct aud_list *a, bool *pti)
{
	int i;

	*pti = false;
	for (i = 0; i < n; i++) {
		const struct ptscope_rec_hdr *rec;
		struct cli_stream st;
		int ret;

		ret = cli_stream_open(&st, pid, "va=0x%llx", (unsigned long long)slots[i]);
		if (ret)
			return ret;
		while ((ret = cli_stream_next(&st, &rec)) > 0) {
			const struct ptscope_xlate_level *lv = (const void *)rec;
			char detail[512];

			if (rec->type != PTSCOPE_REC_LEVEL || lv->level != PTSCOPE_LVL_PGD ||
			    !(lv->xflags & PTSCOPE_XLATE_PTI_USER))
				continue;
			*pti = true;
			if (aud_check_pti(lv->entry, lv->kernel_entry, detail, sizeof(detail)) &&
			    aud_add(a, slots[i] & ~((1ULL << shift) - 1), 1, 1ULL << shift,
				    AUD_PTI, detail)) {
				cli_stream_close(&st);
				cli_err("out of memory");
				return CLI_ERR;
			}
		}
		cli_stream_close(&st);
		if (ret < 0)
			return st.rc;
	}
	return 0;
}

static void print_finding(const struct aud_finding *f)
{
	unsigned long long end = f->va + f->count * f->size;

	if (cli.json) {
		json_object *o = json_object_new_object();

		jset(o, "va", cli_json_hex(f->va));
		jset(o, "end", cli_json_hex(end));
		jset(o, "count", json_object_new_int64(f->count));
		jset(o, "size", json_object_new_int64(f->size));
		jset(o, "finding", json_object_new_string(aud_kind_name(f->kind)));
		jset(o, "detail", json_object_new_string(f->detail));
		cli_json_print(o, false);
		return;
	}
	printf("%s0x%016llx-0x%016llx%s %6s %-20s %s\n", col(C_YELLOW), f->va, end,
	       col(C_RESET), sz(end - f->va), aud_kind_name(f->kind), f->detail);
}

int cmd_audit(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		CLI_VIA_LONGOPT,
		{ NULL, 0, NULL, 0 }
	};
	static const char *const args[] = { "PID", NULL };
	const struct cli_cmd *cmd = &cli_cmd_audit;
	enum aud_pat pat = pat_layout();
	const struct ptscope_rec_hdr *rec;
	struct ptscope_vma vma = { 0 };
	uint64_t slots[512], leaves = 0;
	int c, ret, pid, nslots = 0, shift;
	bool pti;
	struct cli_stream st;
	struct aud_list a;
	size_t i;

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

	ret = cli_stream_open(&st, pid, "coalesce");
	if (ret)
		return ret == CLI_ERR ? CLI_USAGE : ret;
	shift = st.hdr.paging_levels == 5 ? 48 : 39;
	aud_list_init(&a);
	while ((ret = cli_stream_next(&st, &rec)) > 0) {
		if (rec->type == PTSCOPE_REC_VMA) {
			const struct ptscope_vma *v = (const void *)rec;
			uint64_t first = v->start >> shift, last = (v->end - 1) >> shift, s;

			memcpy(&vma, v, rec->size < sizeof(vma) ? rec->size : sizeof(vma));
			vma.name[sizeof(vma.name) - 1] = '\0';
			for (s = first; s <= last; s++) {
				uint64_t va = s == first ? v->start : s << shift;

				if (nslots && slots[nslots - 1] >> shift == s)
					continue;
				if (nslots < (int)(sizeof(slots) / sizeof(slots[0])))
					slots[nslots++] = va;
			}
		} else if (rec->type == PTSCOPE_REC_LEAF) {
			const struct ptscope_leaf *l = (const void *)rec;
			struct aud_vma av = { vma.flags, vma.backing, vma.name };
			struct aud_hit hits[AUD_NR];
			int k, n = aud_check_leaf(&av, l, pat, hits);

			leaves++;
			for (k = 0; k < n; k++)
				if (aud_add(&a, l->va, l->count, pts_level_size(l->level),
					    hits[k].kind, hits[k].detail)) {
					cli_err("out of memory");
					ret = -1;
					st.rc = CLI_USAGE;
					break;
				}
		}
	}
	if (ret < 0) {
		cli_stream_close(&st);
		aud_list_free(&a);
		return st.rc == CLI_ERR ? CLI_USAGE : st.rc;
	}
	if (!cli.json)
		printf("%s# ptscope audit: pid %u (%s), %llu VMAs, %llu leaf records; "
		       "memory types decoded with %s%s\n", col(C_DIM), st.hdr.pid,
		       st.hdr.comm, (unsigned long long)st.end.vmas,
		       (unsigned long long)leaves,
		       pat == AUD_PAT_LINUX ? "Linux's PAT layout" :
		       "the no-PAT layout (no pat CPU flag, or nopat)", col(C_RESET));
	if (!cli.json)
		cli_via_note(st.hdr.flags);
	cli_stream_close(&st);

	ret = check_pti(pid, slots, nslots, shift, &a, &pti);
	if (ret) {
		aud_list_free(&a);
		return ret == CLI_ERR ? CLI_USAGE : ret;
	}
	if (!cli.json)
		printf("%s# page-table isolation: %s%s\n", col(C_DIM),
		       pti ? "on, the user and kernel copies of the top level compared" :
		       "off (one copy of the top level)", col(C_RESET));
	aud_sort(&a);
	for (i = 0; i < a.n; i++)
		print_finding(&a.v[i]);
	if (!cli.json)
		printf("%s# %zu finding%s%s\n", col(C_DIM), a.n, a.n == 1 ? "" : "s",
		       col(C_RESET));
	ret = a.n ? 1 : CLI_OK;
	aud_list_free(&a);
	return ret;
}
