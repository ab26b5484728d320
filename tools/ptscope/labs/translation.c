// SPDX-License-Identifier: GPL-2.0
/*
 * ptscope lab: address translation (M1 address split, M2 per-process top
 * level, M3 entry bits, M14 table cost, M16 user/kernel split).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lab.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE	0x100000
#endif

#define ANON_RW		(MAP_PRIVATE | MAP_ANONYMOUS)
#define PFN_BITS	0x000ffffffffff000ULL	/* x86-64 entry bits 12..51 */

static int ilog2u(uint64_t v)
{
	int n = -1;

	while (v) {
		v >>= 1;
		n++;
	}
	return n;
}

/* One page at VA, fixed, written: 0, -EEXIST/-ENOMEM..., or -1 (failure). */
static int64_t map_page_at(struct lab_ctx *c, struct lab_child *ch, uint64_t va)
{
	int64_t r = lab_c_mmap_try(c, ch, va, LAB_PAGE, PROT_READ | PROT_WRITE,
				   ANON_RW | MAP_FIXED_NOREPLACE, -1, 0);

	if (r < 0)
		return c->status == LAB_ERROR ? -1 : r;
	if ((uint64_t)r != va)
		return -EEXIST;		/* an old kernel took it as a hint */
	if (lab_c_touch(c, ch, va, 1, LAB_PAGE, LAB_WRITE, 0x11) < 0)
		return -1;
	return 0;
}

/* Names of the raw x86 entry bits set in X, e.g. "bit 6 (dirty)". */
static const char *xor_bits(uint64_t x, char *buf, size_t len)
{
	static const char *const names[] = {
		[0] = "present", [1] = "rw", [2] = "user", [3] = "pwt", [4] = "pcd",
		[5] = "accessed", [6] = "dirty", [7] = "pat", [8] = "global",
		[11] = "soft-dirty", [63] = "nx",
	};
	size_t used = 0;
	int b;

	buf[0] = '\0';
	if (!x)
		return "no bit at all";
	for (b = 0; b < 64 && used < len; b++) {
		if (!(x & (1ULL << b)))
			continue;
		used += snprintf(buf + used, len - used, "%sbit %d%s%s%s", used ? ", " : "",
				 b, b < 64 && (size_t)b < sizeof(names) / sizeof(names[0]) &&
				 names[b] ? " (" : "",
				 (size_t)b < sizeof(names) / sizeof(names[0]) && names[b] ?
				 names[b] : "",
				 (size_t)b < sizeof(names) / sizeof(names[0]) && names[b] ?
				 ")" : "");
	}
	return buf;
}

/* ---- M1: the address split --------------------------------------------- */

struct bitmap_row {
	int vabit;
	int level;		/* -1: offset; -2: nothing changed; -3: not mapped */
	int idxbit;
};

static int run_m1(struct lab_ctx *c)
{
	static const uint64_t bases[] = {
		0x110000000000ULL, 0x130000000000ULL, 0x0a0000000000ULL,
	};
	struct bitmap_row rows[64];
	int nrows = 0, maxbit, levels, i, b, lvl, ret = -1;
	int lo[PTSCOPE_NR_LEVELS], hi[PTSCOPE_NR_LEVELS], nbits[PTSCOPE_NR_LEVELS];
	bool ordered[PTSCOPE_NR_LEVELS], contiguous = true, offset_ok = true;
	int offset_bits = 0, entry_size = 0, per_table, width, va_bits;
	uint64_t base = 0;
	struct lab_xlate x0, x;
	struct lab_child ch;
	json_object *map, *fields;
	char split[96] = "", buf[256];
	size_t k, n;

	if (lab_child_start(c, &ch))
		return -1;
	lab_step(c, "Started a child and mapped one page at a base address, written so it "
		 "has a frame; translated it with ptscope (every level: index, table, entry).");
	for (k = 0; k < sizeof(bases) / sizeof(bases[0]) && !base; k++) {
		int64_t r = map_page_at(c, &ch, bases[k]);

		if (r == -1)
			goto out;
		if (r == 0)
			base = bases[k];
	}
	if (!base) {
		lab_fail(c, "could not map a page at any of the base addresses");
		goto out;
	}
	if (lab_translate(c, ch.pid, base, &x0))
		goto out;
	if (x0.x.stop != PTSCOPE_STOP_OK) {
		lab_fail(c, "the base page did not translate (%s)", pts_stop_name(x0.x.stop));
		goto out;
	}
	levels = x0.hdr.paging_levels;
	maxbit = ilog2u(x0.hdr.task_size - 1);	/* highest user address bit */
	lab_ev_int(c, "paging_levels", levels);
	lab_ev_hex(c, "task_size", x0.hdr.task_size);
	lab_ev_hex(c, "base", base);
	for (i = 0; i < x0.nlv; i++)
		lab_vnote(c, "base 0x%llx: %s", (unsigned long long)base,
			  lab_level_str(&x0.lv[i], buf, sizeof(buf)));

	lab_step(c, "For each bit b of the offset (0..11) translated base + 2^b; for each bit "
		 "b from 12 to the top user bit (%d) mapped and wrote a page at base XOR 2^b "
		 "and translated it; then compared which index changed, at which level.", maxbit);
	for (b = 0; b <= maxbit && nrows < 64; b++) {
		struct bitmap_row *r = &rows[nrows++];
		uint64_t va = b < 12 ? base + (1ULL << b) : base ^ (1ULL << b);
		int changed = 0;

		r->vabit = b;
		r->level = -2;
		r->idxbit = -1;
		if (b >= 12) {
			int64_t m = map_page_at(c, &ch, va);

			if (m == -1)
				goto out;
			if (m < 0) {
				r->level = -3;
				continue;
			}
		}
		if (lab_translate(c, ch.pid, va, &x))
			goto out;
		if (x.x.stop != PTSCOPE_STOP_OK || x.nlv != x0.nlv) {
			r->level = -3;
			continue;
		}
		for (i = 0; i < x.nlv; i++) {
			uint32_t d = x.lv[i].index ^ x0.lv[i].index;

			if (x.lv[i].folded || !d)
				continue;
			changed++;
			r->level = x.lv[i].level;
			r->idxbit = (d & (d - 1)) ? -1 : ilog2u(d);
			/* the entry's place in its table: index * entry size */
			if (!entry_size && x.lv[i].index)
				entry_size = (int)((x.lv[i].entry_pa - x.lv[i].table_pa) /
						   x.lv[i].index);
		}
		if (changed > 1)
			r->level = -4;		/* more than one index moved */
		if (!changed && (x.x.pa ^ x0.x.pa) == (1ULL << b))
			r->level = -1;		/* an offset bit */
	}

	/* Fields per level from the bits that moved its index. */
	for (lvl = 0; lvl < PTSCOPE_NR_LEVELS; lvl++) {
		lo[lvl] = 64;
		hi[lvl] = -1;
		nbits[lvl] = 0;
		ordered[lvl] = true;
	}
	for (i = 0; i < nrows; i++) {
		struct bitmap_row *r = &rows[i];

		if (r->level == -1) {
			offset_bits++;
			if (r->vabit != offset_bits - 1)
				offset_ok = false;
		} else if (r->vabit < 12) {
			offset_ok = false;
		} else if (r->level >= 0) {
			lvl = r->level;
			if (r->vabit < lo[lvl])
				lo[lvl] = r->vabit;
			if (r->vabit > hi[lvl])
				hi[lvl] = r->vabit;
			nbits[lvl]++;
			if (r->idxbit != r->vabit - lo[lvl])
				ordered[lvl] = false;
		} else if (r->level == -4) {
			contiguous = false;
		}
	}
	map = json_object_new_array();
	for (i = 0; i < nrows; i++) {
		json_object *o = json_object_new_object();
		const struct bitmap_row *r = &rows[i];

		jset(o, "va_bit", json_object_new_int(r->vabit));
		jset(o, "moves", json_object_new_string(
			r->level >= 0 ? pts_level_name(r->level) : r->level == -1 ? "offset" :
			r->level == -3 ? "not-mapped" : r->level == -4 ? "several" : "nothing"));
		if (r->level >= 0)
			jset(o, "index_bit", json_object_new_int(r->idxbit));
		json_object_array_add(map, o);
	}
	lab_ev(c, "bits", map);

	per_table = entry_size > 0 ? (int)(4096 / entry_size) : 0;
	width = per_table > 0 ? ilog2u(per_table) : 0;
	fields = json_object_new_array();
	va_bits = offset_bits;
	for (lvl = PTSCOPE_NR_LEVELS - 1; lvl >= 0; lvl--) {
		json_object *o;

		if (!nbits[lvl])
			continue;
		if (hi[lvl] - lo[lvl] + 1 != nbits[lvl] || !ordered[lvl])
			contiguous = false;
		o = json_object_new_object();
		jset(o, "level", json_object_new_string(pts_level_name(lvl)));
		jset(o, "va_bits_low", json_object_new_int(lo[lvl]));
		jset(o, "va_bits_high_observed", json_object_new_int(hi[lvl]));
		jset(o, "bits_observed", json_object_new_int(nbits[lvl]));
		jset(o, "index_width", json_object_new_int(width));
		json_object_array_add(fields, o);
		lab_note(c, "VA bits %d-%d select the %s index (bit %d of the address is bit 0 of "
			 "the index)%s", lo[lvl], hi[lvl], pts_level_name(lvl), lo[lvl],
			 nbits[lvl] < width ? "; the rest of this field is the kernel half, "
			 "which user space cannot map" : "");
		n = strlen(split);
		snprintf(split + n, sizeof(split) - n, "%d+", width ? width : nbits[lvl]);
		va_bits += width ? width : nbits[lvl];
	}
	n = strlen(split);
	snprintf(split + n, sizeof(split) - n, "%d", offset_bits);
	lab_ev(c, "fields", fields);
	lab_ev_int(c, "offset_bits", offset_bits);
	lab_ev_int(c, "entry_bytes", entry_size);
	lab_ev_int(c, "entries_per_table", per_table);
	lab_ev_str(c, "split", split);
	lab_ev_int(c, "va_bits", va_bits);
	lab_note(c, "VA bits 0-%d pass unchanged into the physical address: a %d-bit byte "
		 "offset (%s pages)", offset_bits - 1, offset_bits, sz(1ULL << offset_bits));
	lab_note(c, "entry_pa - table_pa = index x %d: entries are %d bytes, so a 4 KiB "
		 "table holds %d of them and each index is %d bits wide", entry_size,
		 entry_size, per_table, width);
	lab_note(c, "the split is %s = %d bits of virtual address, %d translation levels",
		 split, va_bits, levels);

	lab_summary(c, "%s (%d-bit VA), %d-byte entries", split, va_bits, entry_size);
	if (!offset_ok || !contiguous || !entry_size) {
		lab_verdict(c, LAB_V_NOT, "The bits did not fall into one index field per level "
			    "plus an offset: see the bit map in the evidence.");
	} else if (width == 10 && entry_size == 4 && va_bits == 32) {
		lab_verdict(c, LAB_V_HOLDS, "The address splits 10+10+12 with 4-byte entries, "
			    "as the model says.");
	} else {
		lab_verdict(c, LAB_V_DIFF, "The principle holds -- index fields, one per level, "
			    "then a byte offset -- but x86-64 entries are 8 bytes (like PAE), so a "
			    "4 KiB table holds 512 entries and each index is 9 bits: %s with %d "
			    "levels (%d-bit addresses; 4 levels give 48 bits, 5-level paging (LA57) "
			    "57 bits). The top-level table's upper half maps the kernel.",
			    split, levels, va_bits);
	}
	ret = 0;
out:
	lab_child_stop(&ch);
	return ret;
}

/* ---- M2: a top-level table per process --------------------------------- */

static int run_m2(struct lab_ctx *c)
{
	struct lab_child a, b;
	struct lab_xlate xa, xb, xs, xt;
	static volatile int self_page = 1;
	uint64_t va_a, va_b;
	bool distinct, chain_ok, thread_same = false;
	int tid, ret = -1;
	char buf[256];

	memset(&b, 0, sizeof(b));
	b.to = b.from = -1;
	if (lab_child_start(c, &a) || lab_child_start(c, &b))
		goto out;
	lab_step(c, "Started two child processes, A and B; each mapped and wrote one page.");
	va_a = lab_c_anon(c, &a, LAB_PAGE, LAB_PAGE, -1);
	va_b = lab_c_anon(c, &b, LAB_PAGE, LAB_PAGE, -1);
	if (!va_a || !va_b ||
	    lab_c_touch(c, &a, va_a, 1, LAB_PAGE, LAB_WRITE, 1) < 0 ||
	    lab_c_touch(c, &b, va_b, 1, LAB_PAGE, LAB_WRITE, 1) < 0)
		goto out;
	lab_step(c, "Translated each page with ptscope, and one page of ptscope itself; "
		 "noted the physical address of each process's top-level table (mm->pgd, what "
		 "CR3 is loaded with when the process runs) and the first table each walk "
		 "reads.");
	self_page++;
	if (lab_translate(c, a.pid, va_a, &xa) || lab_translate(c, b.pid, va_b, &xb) ||
	    lab_translate(c, getpid(), (uint64_t)(uintptr_t)&self_page, &xs))
		goto out;
	lab_step(c, "Started a second thread in A and translated through the thread's ID.");
	tid = lab_c_thread(c, &a);
	if (tid > 0) {
		if (lab_translate(c, tid, va_a, &xt))
			goto out;
		thread_same = xt.hdr.pgd_pa == xa.hdr.pgd_pa;
		lab_ev_hex(c, "thread_pgd_pa", xt.hdr.pgd_pa);
		lab_ev_int(c, "thread_tid", tid);
	}

	distinct = xa.hdr.pgd_pa != xb.hdr.pgd_pa && xa.hdr.pgd_pa != xs.hdr.pgd_pa &&
		   xb.hdr.pgd_pa != xs.hdr.pgd_pa;
	chain_ok = xa.nlv && xb.nlv && xa.lv[0].table_pa == xa.hdr.pgd_pa &&
		   xb.lv[0].table_pa == xb.hdr.pgd_pa;
	lab_ev_hex(c, "pgd_pa_a", xa.hdr.pgd_pa);
	lab_ev_hex(c, "pgd_pa_b", xb.hdr.pgd_pa);
	lab_ev_hex(c, "pgd_pa_ptscope", xs.hdr.pgd_pa);
	lab_ev_hex(c, "user_pgd_pa_a", xa.hdr.user_pgd_pa);
	lab_ev_bool(c, "distinct", distinct);
	lab_ev_bool(c, "walk_starts_at_pgd", chain_ok);
	lab_ev_bool(c, "pti", xa.hdr.user_pgd_pa != 0);
	lab_note(c, "top-level table of A at pa 0x%llx, of B at 0x%llx, of ptscope at 0x%llx: "
		 "%s", (unsigned long long)xa.hdr.pgd_pa, (unsigned long long)xb.hdr.pgd_pa,
		 (unsigned long long)xs.hdr.pgd_pa,
		 distinct ? "three different frames" : "NOT all different");
	lab_note(c, "each translation starts at that table: A's first level reads table_pa "
		 "0x%llx (%s), B's 0x%llx (%s)", (unsigned long long)xa.lv[0].table_pa,
		 xa.lv[0].table_pa == xa.hdr.pgd_pa ? "= A's pgd" : "not A's pgd",
		 (unsigned long long)xb.lv[0].table_pa,
		 xb.lv[0].table_pa == xb.hdr.pgd_pa ? "= B's pgd" : "not B's pgd");
	lab_vnote(c, "A: %s", lab_level_str(&xa.lv[0], buf, sizeof(buf)));
	lab_vnote(c, "B: %s", lab_level_str(&xb.lv[0], buf, sizeof(buf)));
	if (tid > 0)
		lab_note(c, "A's second thread (tid %d) uses A's table (pa 0x%llx): %s", tid,
			 (unsigned long long)xt.hdr.pgd_pa,
			 thread_same ? "threads share one address space" : "a DIFFERENT table");
	if (xa.hdr.user_pgd_pa)
		lab_note(c, "page-table isolation is on: each process has a second, user-only "
			 "top level (A's at pa 0x%llx), loaded into CR3 while in user mode",
			 (unsigned long long)xa.hdr.user_pgd_pa);
	else
		lab_note(c, "no page-table isolation here: one top-level table per process "
			 "(module reports pti=%d)", c->ver.pti);

	lab_summary(c, "pgd A 0x%llx, B 0x%llx%s%s", (unsigned long long)xa.hdr.pgd_pa,
		    (unsigned long long)xb.hdr.pgd_pa, distinct ? " (distinct)" : " (SAME)",
		    xa.hdr.user_pgd_pa ? ", + PTI user copy" : "");
	if (!distinct || !chain_ok || (tid > 0 && !thread_same))
		lab_verdict(c, LAB_V_NOT, "The processes did not each have their own top-level "
			    "table that their walks start from; see the evidence.");
	else if (xa.hdr.user_pgd_pa)
		lab_verdict(c, LAB_V_DIFF, "Each process has its own top-level table (mm->pgd; "
			    "threads share it), and CR3 is loaded with its physical address plus "
			    "a PCID on a switch. With page-table isolation (Meltdown) there are "
			    "two: a full kernel+user table and a user copy that maps only a "
			    "sliver of the kernel; CR3 switches between them on every kernel "
			    "entry and exit.");
	else
		lab_verdict(c, LAB_V_HOLDS, "Each process has its own top-level table "
			    "(mm->pgd, shared by its threads); on a context switch CR3 is loaded "
			    "with its physical address (plus a PCID tag, so TLB entries of "
			    "different processes can coexist). No page-table isolation here, so "
			    "there is only one top level per process.");
	ret = 0;
out:
	lab_child_stop(&a);
	lab_child_stop(&b);
	return ret;
}

/* ---- M3: what an entry holds -------------------------------------------- */

static bool leaf_at(const struct lab_walk *w, uint64_t va, struct ptscope_leaf *out)
{
	size_t i;

	for (i = 0; i < w->nleaves; i++)
		if (w->leaves[i].va <= va &&
		    va < w->leaves[i].va + pts_level_size(w->leaves[i].level)) {
			*out = w->leaves[i];
			return true;
		}
	return false;
}

static int leaf_of(struct lab_ctx *c, pid_t pid, uint64_t va, struct ptscope_leaf *l,
		   bool *found)
{
	struct lab_walk w;

	if (lab_walk(c, pid, va, va + LAB_PAGE, &w))
		return -1;
	*found = leaf_at(&w, va, l);
	lab_walk_free(&w);
	return 0;
}

/* An entry that a check of M3 looked at, and what it was. */
struct m3_ent {
	const char *role;
	const struct ptscope_leaf *l;	/* NULL: no entry */
};

/*
 * One check of M3 and the entries that decided it: "check NAME: ok|NOT
 * as described: ROLE va V entry E (p rw u a d nx), ..." in the notes,
 * and observed.checks[] = {check, ok, entries: [{role, va, entry,
 * present, rw, user, accessed, dirty, nx}]}.
 */
static void m3_check(struct lab_ctx *c, json_object *checks, const char *name, bool ok,
		     const struct m3_ent *e, size_t n, uint64_t gone_va)
{
	json_object *o = json_object_new_object(), *arr = json_object_new_array();
	char buf[1536];
	size_t i, used = 0;

	for (i = 0; i < n; i++) {
		json_object *j = json_object_new_object();
		const struct ptscope_leaf *l = e[i].l;
		uint64_t f = l ? l->flags : 0;
		int w;

		jset(j, "role", json_object_new_string(e[i].role));
		jset(j, "va", cli_json_hex(l ? l->va : gone_va));
		jset(j, "entry", l ? cli_json_hex(l->entry) : NULL);
		jset(j, "present", json_object_new_boolean(f & PTSCOPE_F_PRESENT));
		jset(j, "rw", json_object_new_boolean(f & PTSCOPE_F_RW));
		jset(j, "user", json_object_new_boolean(f & PTSCOPE_F_USER));
		jset(j, "accessed", json_object_new_boolean(f & PTSCOPE_F_ACCESSED));
		jset(j, "dirty", json_object_new_boolean(f & PTSCOPE_F_DIRTY));
		jset(j, "nx", json_object_new_boolean(f & PTSCOPE_F_NX));
		json_object_array_add(arr, j);
		if (l)
			w = snprintf(buf + used, sizeof(buf) - used,
				     "%s%s 0x%llx entry 0x%016llx (p=%d rw=%d u=%d a=%d d=%d nx=%d)",
				     i ? "; " : "", e[i].role, (unsigned long long)l->va,
				     (unsigned long long)l->entry, !!(f & PTSCOPE_F_PRESENT),
				     !!(f & PTSCOPE_F_RW), !!(f & PTSCOPE_F_USER),
				     !!(f & PTSCOPE_F_ACCESSED), !!(f & PTSCOPE_F_DIRTY),
				     !!(f & PTSCOPE_F_NX));
		else
			w = snprintf(buf + used, sizeof(buf) - used, "%s%s 0x%llx no entry",
				     i ? "; " : "", e[i].role, (unsigned long long)gone_va);
		if (w > 0 && (size_t)w < sizeof(buf) - used)
			used += w;
	}
	jset(o, "check", json_object_new_string(name));
	jset(o, "ok", json_object_new_boolean(ok));
	jset(o, "entries", arr);
	json_object_array_add(checks, o);
	lab_note(c, "check %s: %s: %s", name, ok ? "ok" : "NOT as described", buf);
}

static int run_m3(struct lab_ctx *c)
{
	struct ptscope_leaf rw, ro, ex, sa, sb, rw_clear, fr, fr_clear, fr_read;
	bool f1, f2, f3, f4, f5, f6, f7, f8, f9, gone_found;
	uint64_t p_rw, p_ro, p_ex, p_sa, p_sb, p_fr, extra, xor, model, seen = 0;
	struct lab_child a, b;
	struct lab_faults fbefore, fafter, fcount;
	char exe[256], buf[640], tmp[256];
	int fd_tmp, fd_exe, ret = -1;
	bool pfn_in_entry, valid_ok, dirty_ok, rw_ok, acc_ok, user_ok, nx_seen;
	json_object *ent, *checks;
	char failed[128] = "";
	ssize_t n;

	memset(&b, 0, sizeof(b));
	b.to = b.from = -1;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	fd_tmp = lab_tmpfile(c, LAB_PAGE, true, tmp, sizeof(tmp));
	if (fd_tmp < 0)
		return -1;
	if (lab_child_start(c, &a) || lab_child_start(c, &b))
		goto out;
	lab_step(c, "In child A: wrote an anonymous read-write page; read an anonymous "
		 "read-only page; read a page of a file mapped read+execute (%s).", exe);
	p_rw = lab_c_anon(c, &a, LAB_PAGE, LAB_PAGE, -1);
	p_ro = lab_c_mmap(c, &a, 0, LAB_PAGE, PROT_READ, ANON_RW, -1, 0);
	fd_exe = lab_c_open(c, &a, exe, O_RDONLY);
	if (!p_rw || !p_ro || fd_exe < 0)
		goto out;
	p_ex = lab_c_mmap(c, &a, 0, LAB_PAGE, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd_exe, 0);
	if (!p_ex || lab_c_touch(c, &a, p_rw, 1, LAB_PAGE, LAB_WRITE, 7) < 0 ||
	    lab_c_touch(c, &a, p_ro, 1, LAB_PAGE, LAB_READ, 0) < 0 ||
	    lab_c_touch(c, &a, p_ex, 1, LAB_PAGE, LAB_READ, 0) < 0)
		goto out;
	lab_step(c, "Mapped one page of a scratch file shared (MAP_SHARED) in A and in a second "
		 "child B; A wrote it, B read it.");
	p_sa = lab_c_mmap(c, &a, 0, LAB_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd_tmp, 0);
	p_sb = lab_c_mmap(c, &b, 0, LAB_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd_tmp, 0);
	if (!p_sa || !p_sb || lab_c_touch(c, &a, p_sa, 1, LAB_PAGE, LAB_WRITE, 9) < 0 ||
	    lab_c_touch(c, &b, p_sb, 1, LAB_PAGE, LAB_READ, 0) < 0)
		goto out;
	if (leaf_of(c, a.pid, p_rw, &rw, &f1) || leaf_of(c, a.pid, p_ro, &ro, &f2) ||
	    leaf_of(c, a.pid, p_ex, &ex, &f3) || leaf_of(c, a.pid, p_sa, &sa, &f4) ||
	    leaf_of(c, b.pid, p_sb, &sb, &f5))
		goto out;
	if (!f1 || !f2 || !f3 || !f4 || !f5) {
		lab_fail(c, "a touched page had no entry");
		goto out;
	}
	/*
	 * The accessed bit is set by the MMU when it walks the tables to
	 * fill a TLB entry, not on an access that hits the TLB; and Linux
	 * clears it on x86 without flushing the TLB (clear_refs, reclaim:
	 * ptep_clear_flush_young()).  A page A has accessed may still be in
	 * the TLB of the CPU A runs on, so reading it again sets the bit or
	 * not by luck.  The page read after clear_refs is therefore one that
	 * A's code has never accessed: the kernel fills it (the entry is
	 * born with the accessed bit), so no TLB can hold its translation,
	 * and A's first read of it must walk the tables.
	 */
	lab_step(c, "Had the kernel fill another anonymous page of A (MADV_POPULATE_WRITE): "
		 "A's own code never accessed it, so no TLB holds its translation.");
	p_fr = lab_c_anon(c, &a, LAB_PAGE, LAB_PAGE, -1);
	if (!p_fr || lab_c_madvise(c, &a, p_fr, LAB_PAGE, MADV_POPULATE_WRITE) ||
	    leaf_of(c, a.pid, p_fr, &fr, &f8))
		goto out;
	lab_step(c, "Cleared the accessed bits of A (echo 1 > /proc/A/clear_refs), looked, "
		 "had A read the kernel-filled page (its first access to it), looked again.");
	snprintf(buf, sizeof(buf), "/proc/%d/clear_refs", a.pid);
	if (lab_write_str(buf, "1")) {
		lab_fail(c, "cannot write %s", buf);
		goto out;
	}
	/* -v: the fault counters around the read, in the evidence */
	if (leaf_of(c, a.pid, p_rw, &rw_clear, &f6) ||
	    leaf_of(c, a.pid, p_fr, &fr_clear, &f7) ||
	    (c->verbose && lab_faults(c, &a, &fbefore)) ||
	    lab_c_touch(c, &a, p_fr, 1, LAB_PAGE, LAB_READ, 0) < 0 ||
	    (c->verbose && lab_faults(c, &a, &fafter)) ||
	    leaf_of(c, a.pid, p_fr, &fr_read, &f9))
		goto out;
	if (c->verbose) {
		lab_faults_sub(&fafter, &fbefore, &fcount);
		lab_vnote(c, "A's first read of the kernel-filled page took %lld fault%s "
			  "(the two counter lines above): %s", fcount.v[PTSCOPE_FC_FAULTS],
			  fcount.v[PTSCOPE_FC_FAULTS] == 1 ? "" : "s",
			  fcount.v[PTSCOPE_FC_FAULTS] ? "the fault handler may have set "
			  "the accessed bit" : "the accessed bit, if set, was set by "
			  "the MMU's table walk, not by the kernel");
	}
	if (!f6 || !f7 || !f8 || !f9) {
		lab_fail(c, "a page lost its entry while A was not running");
		goto out;
	}
	lab_step(c, "Dropped the read-write page (MADV_DONTNEED) and looked for its entry.");
	if (lab_c_madvise(c, &a, p_rw, LAB_PAGE, MADV_DONTNEED))
		goto out;
	{
		struct ptscope_leaf gone;

		if (leaf_of(c, a.pid, p_rw, &gone, &gone_found))
			goto out;
	}

	ent = json_object_new_object();
	jset(ent, "anon_rw_written", lab_leaf_json(&rw));
	jset(ent, "anon_readonly_read", lab_leaf_json(&ro));
	jset(ent, "file_exec_read", lab_leaf_json(&ex));
	jset(ent, "shared_in_a", lab_leaf_json(&sa));
	jset(ent, "shared_in_b", lab_leaf_json(&sb));
	jset(ent, "anon_rw_after_clear_refs", lab_leaf_json(&rw_clear));
	jset(ent, "kernel_filled", lab_leaf_json(&fr));
	jset(ent, "kernel_filled_after_clear_refs", lab_leaf_json(&fr_clear));
	jset(ent, "kernel_filled_first_read", lab_leaf_json(&fr_read));
	lab_ev(c, "entries", ent);

	/* The frame number sits in the entry's bits 12..51. */
	pfn_in_entry = ((rw.entry & PFN_BITS) >> 12) == rw.pfn &&
		       ((ex.entry & PFN_BITS) >> 12) == ex.pfn &&
		       ((sa.entry & PFN_BITS) >> 12) == sa.pfn;
	valid_ok = (rw.flags & ro.flags & ex.flags & PTSCOPE_F_PRESENT) && !gone_found;
	dirty_ok = (rw.flags & PTSCOPE_F_DIRTY) && !(ex.flags & PTSCOPE_F_DIRTY);
	rw_ok = (rw.flags & PTSCOPE_F_RW) && !(ro.flags & PTSCOPE_F_RW) &&
		!(ex.flags & PTSCOPE_F_RW);
	acc_ok = (rw.flags & PTSCOPE_F_ACCESSED) && !(rw_clear.flags & PTSCOPE_F_ACCESSED) &&
		 !(fr_clear.flags & PTSCOPE_F_ACCESSED) && (fr_read.flags & PTSCOPE_F_ACCESSED);
	user_ok = rw.flags & ro.flags & ex.flags & PTSCOPE_F_USER;
	nx_seen = (rw.flags & PTSCOPE_F_NX) && !(ex.flags & PTSCOPE_F_NX);
	model = PTSCOPE_F_PRESENT | PTSCOPE_F_RW | PTSCOPE_F_USER | PTSCOPE_F_ACCESSED |
		PTSCOPE_F_DIRTY;
	seen = rw.flags | ro.flags | ex.flags | sa.flags | sb.flags;
	extra = seen & ~model & ~(PTSCOPE_F_PFN_VALID | PTSCOPE_F_ANON_PAGE |
				  PTSCOPE_F_FILE_PAGE | PTSCOPE_F_EXCLUSIVE |
				  PTSCOPE_F_ZERO_PAGE | PTSCOPE_F_WRITE);
	xor = sa.entry ^ sb.entry;

	lab_note(c, "written anonymous page: %s", lab_leaf_str(&rw, buf, sizeof(buf)));
	lab_note(c, "read-only page: %s", lab_leaf_str(&ro, buf, sizeof(buf)));
	lab_note(c, "executable file page: %s", lab_leaf_str(&ex, buf, sizeof(buf)));
	lab_note(c, "frame number in the entry: bits 12-51 of each raw entry %s its pfn",
		 pfn_in_entry ? "equal" : "do NOT equal");
	lab_note(c, "model bits: valid %s, read/write %s, modified (dirty) %s, accessed %s, "
		 "user %s", valid_ok ? "ok" : "NOT as described",
		 rw_ok ? "ok" : "NOT as described", dirty_ok ? "ok" : "NOT as described",
		 acc_ok ? "ok (cleared by clear_refs, set by the MMU on the first read)" :
		 "NOT as described", user_ok ? "ok" : "NOT set");
	/* The entries each check was decided by. */
	checks = json_object_new_array();
	{
		const struct m3_ent pfn[] = { { "written", &rw }, { "exec-file", &ex },
					      { "shared-in-A", &sa } };
		const struct m3_ent valid[] = { { "written", &rw }, { "read-only", &ro },
						{ "exec-file", &ex } };
		const struct m3_ent rwb[] = { { "written", &rw }, { "read-only", &ro },
					      { "exec-file", &ex } };
		const struct m3_ent dirty[] = { { "written", &rw }, { "exec-file", &ex } };
		const struct m3_ent acc[] = { { "written", &rw },
					      { "written-after-clear_refs", &rw_clear },
					      { "kernel-filled-after-clear_refs", &fr_clear },
					      { "kernel-filled-after-first-read", &fr_read } };
		const struct m3_ent user[] = { { "written", &rw }, { "read-only", &ro },
					       { "exec-file", &ex } };
		const struct m3_ent same[] = { { "shared-in-A", &sa }, { "shared-in-B", &sb } };
		struct m3_ent gone = { "after-MADV_DONTNEED", NULL };

		if (gone_found)
			gone.role = "after-MADV_DONTNEED-still-mapped";
		m3_check(c, checks, "frame-number", pfn_in_entry, pfn, 3, 0);
		m3_check(c, checks, "valid", rw.flags & ro.flags & ex.flags & PTSCOPE_F_PRESENT,
			 valid, 3, 0);
		m3_check(c, checks, "valid-cleared", !gone_found, &gone, 1, p_rw);
		m3_check(c, checks, "read-write", rw_ok, rwb, 3, 0);
		m3_check(c, checks, "dirty", dirty_ok, dirty, 2, 0);
		m3_check(c, checks, "accessed", acc_ok, acc, 4, 0);
		m3_check(c, checks, "user", user_ok, user, 3, 0);
		m3_check(c, checks, "same-frame", sa.pfn == sb.pfn, same, 2, 0);
	}
	lab_ev(c, "checks", checks);
	pts_flags_str(extra, buf, sizeof(buf));
	lab_note(c, "bits the model does not have: %s%s", buf,
		 nx_seen ? " (nx set on data, clear on code)" : "");
	lab_note(c, "same frame 0x%llx in A and in B: A's entry 0x%016llx, B's 0x%016llx, "
		 "they differ in %s: no process ID in an entry",
		 (unsigned long long)sa.pfn, (unsigned long long)sa.entry,
		 (unsigned long long)sb.entry, xor_bits(xor, tmp, sizeof(tmp)));
	lab_note(c, "after MADV_DONTNEED the page has %s", gone_found ? "still an entry" :
		 "no entry at all (entry 0: the 'invalid' entry)");
	lab_ev_bool(c, "pfn_in_bits_12_51", pfn_in_entry);
	lab_ev_bool(c, "valid_bit_ok", valid_ok);
	lab_ev_bool(c, "rw_bit_ok", rw_ok);
	lab_ev_bool(c, "dirty_bit_ok", dirty_ok);
	lab_ev_bool(c, "accessed_bit_ok", acc_ok);
	lab_ev_bool(c, "user_bit_ok", user_ok);
	lab_ev(c, "extra_bits", cli_json_flags(extra));
	lab_ev_bool(c, "same_frame_two_processes", sa.pfn == sb.pfn);
	lab_ev_hex(c, "shared_entry_xor", xor);

	lab_summary(c, "frame + P/RW/U/A/D%s%s", extra ? " + " : "",
		    extra ? pts_flags_str(extra, buf, sizeof(buf)) : "");
	snprintf(failed, sizeof(failed), "%s%s%s%s%s%s%s", pfn_in_entry ? "" : " frame-number",
		 valid_ok ? "" : " valid", rw_ok ? "" : " read-write", dirty_ok ? "" : " dirty",
		 acc_ok ? "" : " accessed", user_ok ? "" : " user",
		 sa.pfn == sb.pfn ? "" : " same-frame");
	if (failed[0])
		lab_verdict(c, LAB_V_NOT, "The entries did not behave as the model describes: "
			    "check%s failed; the entries that decided it are listed above.",
			    failed);
	else if (extra)
		lab_verdict(c, LAB_V_DIFF, "An x86-64 entry is the frame number (bits 12-51) "
			    "plus the model's bits: present (valid), RW, U/S, accessed and dirty "
			    "(set by the MMU; Linux clears accessed bits to age pages). It also has "
			    "bits the model lacks: NX (bit 63, no-execute) on every data page, PAT/"
			    "PCD/PWT cache control, global (kernel only), a protection key (bits "
			    "59-62), and software bits the kernel uses itself (soft-dirty, uffd-wp, "
			    "special). There is no process ID: the same frame appears in two "
			    "processes' tables with the same frame bits.");
	else
		lab_verdict(c, LAB_V_HOLDS, "The entry is a frame number plus the model's "
			    "control bits, nothing more was set here.");
	ret = 0;
out:
	lab_child_stop(&a);
	lab_child_stop(&b);
	close(fd_tmp);
	return ret;
}

/* ---- M14: what the tables cost ------------------------------------------ */

static uint64_t cost_tables(const struct ptscope_cost *c)
{
	uint64_t t = 0;
	int i;

	for (i = 0; i < PTSCOPE_NR_LEVELS; i++)
		t += c->tables[i];
	return t;
}

static int run_m14(struct lab_ctx *c)
{
	const uint64_t gib = 1ULL << 30, regions = gib / LAB_PMD_SIZE;
	struct ptscope_cost c0, c1, c2, c3;
	struct ptscope_header h;
	struct lab_xlate x;
	struct lab_child ch;
	long long vmpte0, vmpte3;
	uint64_t base, d_reserve, d_pte, d_fill, d_ent_fill, flat, actual;
	int entry = 0, levels, va_bits, i, ret = -1;
	bool sparse_ok;
	json_object *lv;

	if (lab_child_start(c, &ch))
		return -1;
	lab_step(c, "Measured the child's page tables with ptscope ptcost (tables per level) "
		 "and VmPTE.");
	if (lab_ptcost(c, ch.pid, &c0, &h))
		goto out;
	vmpte0 = lab_proc_kb(ch.pid, "status", "VmPTE");
	lab_step(c, "Reserved 1 GiB of address space (mmap, 1 GiB aligned, no huge pages) and "
		 "measured again.");
	base = lab_c_anon(c, &ch, gib, gib, MADV_NOHUGEPAGE);
	if (!base || lab_ptcost(c, ch.pid, &c1, NULL))
		goto out;
	lab_step(c, "Wrote one byte in each 2 MiB of it (%llu pages) and measured again.",
		 (unsigned long long)regions);
	if (lab_c_touch(c, &ch, base, regions, LAB_PMD_SIZE, LAB_WRITE, 1) < 0 ||
	    lab_ptcost(c, ch.pid, &c2, NULL))
		goto out;
	lab_step(c, "Wrote every other page of the first 2 MiB (511 pages) and measured again.");
	if (lab_c_touch(c, &ch, base + LAB_PAGE, 511, LAB_PAGE, LAB_WRITE, 1) < 0 ||
	    lab_ptcost(c, ch.pid, &c3, NULL))
		goto out;
	vmpte3 = lab_proc_kb(ch.pid, "status", "VmPTE");
	if (lab_translate(c, ch.pid, base + LAB_PAGE, &x))
		goto out;
	for (i = 0; i < x.nlv; i++)
		if (x.lv[i].index && !x.lv[i].folded) {
			entry = (int)((x.lv[i].entry_pa - x.lv[i].table_pa) / x.lv[i].index);
			break;
		}
	levels = h.paging_levels;
	va_bits = 12 + 9 * levels;
	d_reserve = cost_tables(&c1) - cost_tables(&c0);
	d_pte = c2.tables[PTSCOPE_LVL_PTE] - c1.tables[PTSCOPE_LVL_PTE];
	d_fill = cost_tables(&c3) - cost_tables(&c2);
	d_ent_fill = c3.entries[PTSCOPE_LVL_PTE] - c2.entries[PTSCOPE_LVL_PTE];
	actual = cost_tables(&c3) * LAB_PAGE;
	flat = entry > 0 ? (1ULL << (va_bits - 12)) * (uint64_t)entry : 0;
	sparse_ok = d_reserve == 0 && d_pte == regions && d_fill == 0 && d_ent_fill == 511;

	lv = json_object_new_array();
	for (i = levels - 1; i >= 0; i--) {
		json_object *o;

		if (levels == 4 && i == PTSCOPE_LVL_P4D)
			continue;
		o = json_object_new_object();
		jset(o, "level", json_object_new_string(pts_level_name(i)));
		jset(o, "tables_start", json_object_new_int64(c0.tables[i]));
		jset(o, "tables_reserved", json_object_new_int64(c1.tables[i]));
		jset(o, "tables_one_per_2m", json_object_new_int64(c2.tables[i]));
		jset(o, "tables_filled", json_object_new_int64(c3.tables[i]));
		json_object_array_add(lv, o);
	}
	lab_ev(c, "levels", lv);
	lab_ev_int(c, "tables_added_by_reserving_1g", d_reserve);
	lab_ev_int(c, "pte_tables_added_by_512_touches", d_pte);
	lab_ev_int(c, "tables_added_by_filling_2m", d_fill);
	lab_ev_int(c, "entry_bytes", entry);
	lab_ev_int(c, "table_bytes", actual);
	lab_ev_int(c, "vmpte_kb_start", vmpte0);
	lab_ev_int(c, "vmpte_kb_end", vmpte3);
	lab_ev_int(c, "pgtables_bytes", c3.pgtables_bytes);
	lab_ev_int(c, "flat_32bit_bytes", 4ULL << 20);
	lab_ev_int(c, "flat_this_mode_bytes", flat);
	lab_ev_int(c, "vm_bytes", c3.vm_bytes);

	lab_note(c, "at start: %llu table pages (%s), VmPTE %lld kB",
		 (unsigned long long)cost_tables(&c0), sz(cost_tables(&c0) * LAB_PAGE), vmpte0);
	lab_note(c, "reserving 1 GiB added %llu table pages: address space alone costs no "
		 "tables", (unsigned long long)d_reserve);
	lab_note(c, "one write per 2 MiB added %llu pte tables (+%llu pmd, +%llu pud): one "
		 "4 KiB table per 2 MiB region touched, %s of tables for %s of data",
		 (unsigned long long)d_pte,
		 (unsigned long long)(c2.tables[PTSCOPE_LVL_PMD] - c1.tables[PTSCOPE_LVL_PMD]),
		 (unsigned long long)(c2.tables[PTSCOPE_LVL_PUD] - c1.tables[PTSCOPE_LVL_PUD]),
		 sz(d_pte * LAB_PAGE), sz(regions * LAB_PAGE));
	lab_note(c, "filling the first 2 MiB added %llu tables but %llu entries: the table "
		 "was already there", (unsigned long long)d_fill,
		 (unsigned long long)d_ent_fill);
	lab_note(c, "now: %s of tables (VmPTE %lld kB, kernel count %s); a flat table for "
		 "this %d-bit space would be 2^%d x %d B = %s, the model's 32-bit flat table "
		 "4 MiB", sz(actual), vmpte3, sz(c3.pgtables_bytes), va_bits, va_bits - 12,
		 entry, sz(flat));

	lab_summary(c, "+0 tables for 1G reserved, +%llu for %llu touched 2M; flat: %s",
		    (unsigned long long)d_pte, (unsigned long long)regions, sz(flat));
	if (!sparse_ok)
		lab_verdict(c, LAB_V_NOT, "The table count did not follow the touched regions: "
			    "see the per-level counts.");
	else if (entry == 4 && va_bits == 32)
		lab_verdict(c, LAB_V_HOLDS, "Tables are allocated only where memory is used, and "
			    "the flat table would be 4 MiB, as the model says.");
	else
		lab_verdict(c, LAB_V_DIFF, "Multi-level tables cost only what is used: nothing "
			    "for reserved address space, one 4 KiB PTE table per 2 MiB region "
			    "touched (plus upper tables per 1 GiB / 512 GiB), whatever the number "
			    "of pages in it. The numbers differ from the model: entries are 8 "
			    "bytes and the space is %d bits, so a flat table would need %s per "
			    "process (the model's 4 MiB is the 32-bit case), and sparse use costs "
			    "more than in a 10+10 design (a table covers 2 MiB, not 4 MiB). The "
			    "kernel counts PTE/PMD/PUD tables in VmPTE.", va_bits, sz(flat));
	ret = 0;
out:
	lab_child_stop(&ch);
	return ret;
}

/* ---- M16: the user/kernel split ------------------------------------------ */

/* The fixmap slot of the legacy vsyscall page: user-accessible on purpose. */
#define VSYSCALL_ADDR	0xffffffffff600000ULL

/*
 * The kernel half of this process's top-level table, walked by the module
 * (walk --kernel --coalesce): its regions, what is present in each, and
 * the leaves with the user bit.  The kernel copy's records come first; a
 * second pass (the PTI user copy) starts again from the bottom, its
 * regions named "pti user copy: ...".  1 if refused (lockdown), 0, -1.
 */
static int m16_kernel_half(struct lab_ctx *c, bool *user_ok)
{
	struct lab_walk w;
	uint64_t present = 0, prev = 0;
	size_t i, r = 0, user = 0, pti_regions = 0;
	char list[1024] = "", pti[512] = "";
	int ret = lab_walk(c, LAB_PID_KERNEL, 0, 0, &w);

	*user_ok = true;
	if (ret == -EPERM) {
		lab_note(c, "the kernel half: the walk is refused under lockdown "
			 "(confidentiality), which keeps the kernel's layout from root");
		lab_ev_str(c, "kernel_walk", "refused (lockdown)");
		return 1;
	}
	if (ret)
		return -1;
	lab_ev_str(c, "kernel_walk", "done");
	for (i = 0; i < w.nvmas; i++) {
		const struct ptscope_vma *v = &w.vmas[i];
		size_t len;

		if (!strncmp(v->name, "pti user copy: ", 15)) {
			len = strlen(pti);
			snprintf(pti + len, sizeof(pti) - len, "%s%s", len ? ", " : "",
				 v->name + 15);
			pti_regions++;
			continue;
		}
		len = strlen(list);
		r++;
		snprintf(list + len, sizeof(list) - len, "%s%s at 0x%llx", len ? ", " : "",
			 v->name, (unsigned long long)v->start);
	}
	/* The kernel copy's leaves: up to where the addresses start again. */
	for (i = 0; i < w.nleaves; i++) {
		const struct ptscope_leaf *l = &w.leaves[i];

		if (l->va < prev)
			break;
		prev = l->va;
		if (!(l->flags & PTSCOPE_F_PRESENT))
			continue;
		present += pts_level_size(l->level) * l->count;
		if ((l->flags & PTSCOPE_F_USER) && l->va != VSYSCALL_ADDR)
			user++;
	}
	*user_ok = user == 0;
	lab_ev_int(c, "kernel_regions", r);
	lab_ev_int(c, "kernel_present_bytes", present);
	lab_ev_int(c, "kernel_user_leaves", user);
	lab_ev_int(c, "pti_user_copy_regions", pti_regions);
	lab_note(c, "the kernel half of this process's top-level table (the same in "
		 "every process) holds %zu regions: %s", r, list);
	lab_note(c, "%s present in the kernel half; %zu of its leaves have the user "
		 "bit%s", sz(present), user,
		 user ? " (user mode could read them!)" :
		 ": user mode can reach none of it");
	if (pti_regions)
		lab_note(c, "with page-table isolation, the user copy of the top level "
			 "(the one loaded in user mode) maps only some of it: %s", pti);
	lab_walk_free(&w);
	return 0;
}

static int run_m16(struct lab_ctx *c)
{
	struct lab_xlate x0, xl;
	struct lab_child ch;
	uint64_t task_size, low, top, kaddr, last, user_bytes, half;
	int64_t high, at_top;
	int levels, va_bits, sig, i, xr, ret = -1;
	bool user_bits_ok = true, split_ok, mapped_last, kernel_ok = true;
	char buf[256];

	if (lab_child_start(c, &ch))
		return -1;
	lab_step(c, "In a child: mmap one page with no hint; translated it to read the end "
		 "of user space (TASK_SIZE) from ptscope's header.");
	low = lab_c_anon(c, &ch, LAB_PAGE, LAB_PAGE, -1);
	if (!low || lab_c_touch(c, &ch, low, 1, LAB_PAGE, LAB_WRITE, 1) < 0 ||
	    lab_translate(c, ch.pid, low, &x0))
		goto out;
	task_size = x0.hdr.task_size;
	levels = x0.hdr.paging_levels;
	va_bits = 12 + 9 * levels;
	half = 1ULL << (va_bits - 1);
	lab_step(c, "mmap with a hint of 2^52 (above 47 bits); mmap fixed at the last user "
		 "page (TASK_SIZE - 4 KiB) and at TASK_SIZE.");
	high = lab_c_mmap_try(c, &ch, 1ULL << 52, LAB_PAGE, PROT_READ | PROT_WRITE,
			      ANON_RW, -1, 0);
	last = task_size - LAB_PAGE;
	at_top = lab_c_mmap_try(c, &ch, last, LAB_PAGE, PROT_READ | PROT_WRITE,
				ANON_RW | MAP_FIXED_NOREPLACE, -1, 0);
	{
		int64_t beyond = lab_c_mmap_try(c, &ch, task_size, LAB_PAGE,
						PROT_READ | PROT_WRITE,
						ANON_RW | MAP_FIXED_NOREPLACE, -1, 0);

		if (c->status == LAB_ERROR)
			goto out;
		lab_ev_str(c, "mmap_at_task_size", beyond < 0 ? strerror((int)-beyond) : "mapped");
		lab_note(c, "mmap at TASK_SIZE 0x%llx: %s", (unsigned long long)task_size,
			 beyond < 0 ? strerror((int)-beyond) : "MAPPED (unexpected)");
	}
	if (c->status == LAB_ERROR)
		goto out;
	/* EEXIST: something (the stack?) is there already: a user page too */
	mapped_last = at_top == (int64_t)last || at_top == -EEXIST;
	lab_ev_str(c, "mmap_last_user_page", at_top == (int64_t)last ? "mapped" :
		   strerror((int)-at_top));
	if (at_top == (int64_t)last &&
	    lab_c_touch(c, &ch, last, 1, LAB_PAGE, LAB_WRITE, 1) < 0)
		goto out;
	lab_step(c, "Translated the last user page and the address TASK_SIZE with ptscope.");
	if (at_top == (int64_t)last) {
		if (lab_translate(c, ch.pid, last, &xl))
			goto out;
		for (i = 0; i < xl.nlv; i++) {
			if (!xl.lv[i].folded && !(xl.lv[i].flags & PTSCOPE_F_USER))
				user_bits_ok = false;
			lab_vnote(c, "last page: %s", lab_level_str(&xl.lv[i], buf, sizeof(buf)));
		}
		lab_note(c, "the last user page 0x%llx maps (top-level index %u of 512): every "
			 "entry on its path has the user bit %s", (unsigned long long)last,
			 xl.nlv ? xl.lv[0].index : 0, user_bits_ok ? "set" : "NOT set");
		lab_ev_int(c, "top_index_of_last_user_page", xl.nlv ? (int64_t)xl.lv[0].index : -1);
	}
	xr = lab_translate(c, ch.pid, task_size, &xl);
	if (xr == -1)
		goto out;
	lab_note(c, "ptscope translate of 0x%llx: %s", (unsigned long long)task_size,
		 xr == -ERANGE ? "refused (ERANGE): not a user address" : "accepted");
	lab_ev_bool(c, "translate_task_size_refused", xr == -ERANGE);
	kaddr = ~(half - 1);	/* the first address of the kernel half */
	lab_step(c, "Had a grandchild read 0x%llx, the first address of the upper (kernel) "
		 "half of the %d-bit space, from user mode.", (unsigned long long)kaddr,
		 va_bits);
	sig = lab_c_probe(c, &ch, kaddr);
	if (sig < 0)
		goto out;
	lab_step(c, "Walked the kernel half of the top-level table with the module "
		 "(ptscope walk --kernel --coalesce): its regions, and the user bit of "
		 "every leaf.");
	if (m16_kernel_half(c, &kernel_ok) < 0)
		goto out;

	top = high > 0 ? (uint64_t)high : 0;
	user_bytes = task_size + LAB_PAGE;	/* + the guard page below it */
	lab_ev_hex(c, "task_size", task_size);
	lab_ev_int(c, "paging_levels", levels);
	lab_ev_int(c, "va_bits", va_bits);
	lab_ev_int(c, "user_bytes", user_bytes);
	lab_ev_int(c, "kernel_half_bytes", half);
	lab_ev_hex(c, "mmap_no_hint", low);
	lab_ev_hex(c, "mmap_hint_2p52", top);
	lab_ev_int(c, "kernel_read_signal", sig);
	lab_note(c, "user space is [0, 0x%llx): %s (2^%d) of the %d-bit space; the other "
		 "half, from 0x%llx, is the kernel's", (unsigned long long)user_bytes,
		 sz(user_bytes), ilog2u(user_bytes), va_bits, (unsigned long long)kaddr);
	lab_note(c, "mmap without a hint gave 0x%llx; with a hint of 2^52 it gave 0x%llx%s",
		 (unsigned long long)low, (unsigned long long)top,
		 top >= (1ULL << 47) ? " (above 47 bits: 5-level paging, asked for)" :
		 " (below 47 bits: user mappings stay under 128 TiB unless asked)");
	lab_note(c, "reading the kernel half from user mode: %s",
		 sig ? strsignal(sig) : "it worked (!)");

	split_ok = sig != 0 && xr == -ERANGE && mapped_last && user_bits_ok && kernel_ok;
	lab_summary(c, "user %s [0-0x%llx), kernel the upper half", sz(user_bytes),
		    (unsigned long long)user_bytes);
	if (!split_ok)
		lab_verdict(c, LAB_V_NOT, "The address space was not split as described: see "
			    "which check failed.");
	else if (user_bytes == 2ULL << 30)
		lab_verdict(c, LAB_V_HOLDS, "User space is the lower 2 GiB, the kernel the "
			    "upper 2 GiB.");
	else
		lab_verdict(c, LAB_V_DIFF, "The split is still there, but 64-bit: user space is "
			    "the lower canonical half, up to 0x%llx (%s; 47 bits with 4-level "
			    "paging, 56 bits with 5-level, where mmap only goes above 47 bits "
			    "when asked with a high hint), the kernel owns the upper half (top "
			    "bits all ones: the direct map of all memory, vmalloc, the kernel "
			    "image, modules...), in every process's top-level table, with the "
			    "user bit clear so user mode faults on it. The addresses between the "
			    "halves are non-canonical and fault in either mode.",
			    (unsigned long long)task_size, sz(user_bytes));
	ret = 0;
out:
	lab_child_stop(&ch);
	return ret;
}

/* ---- the labs ------------------------------------------------------------- */

const struct lab lab_m1 = {
	.id = "m1", .name = "address-split",
	.aliases = (const char *const[]){ "address-translation", "va-split", NULL },
	.claim = "A virtual address splits into index fields and a byte offset: 32-bit x86 "
		 "uses 10 bits of page-directory index, 10 bits of page-table index and 12 "
		 "bits of offset (4 KiB pages); PAE adds a 2-bit level above and makes entries "
		 "64-bit.",
	.questions = (const char *const[]){
		"With 4 KiB pages and 8-byte entries, how many bits of the address "
		  "select the entry at each level, and how many levels will this "
		  "machine walk?",
		"How many low bits of the address are the byte offset inside the "
		  "page, left untranslated?",
		NULL,
	},
	.run = run_m1,
};

const struct lab lab_m2 = {
	.id = "m2", .name = "top-level-table",
	.aliases = (const char *const[]){ "cr3", "per-process-tables", "pgd", NULL },
	.claim = "Each process has its own top-level table; a CPU register (CR3) points at it.",
	.questions = (const char *const[]){
		"Two processes each translate an address: will both walks start at "
		  "the same top-level table, or at one each?",
		"A second thread of process A: does it get a top-level table of its "
		  "own, or use A's?",
		NULL,
	},
	.run = run_m2,
};

const struct lab lab_m3 = {
	.id = "m3", .name = "entry-bits",
	.aliases = (const char *const[]){ "pte-bits", "entry-format", NULL },
	.claim = "An entry contains a frame number plus control bits: valid, modified, "
		 "read/write, accessed, user/supervisor.",
	.questions = (const char *const[]){
		"A page was written: which bits of its 64-bit entry will hold the "
		  "frame number, and which flags will be set?",
		"After the accessed bits are cleared, the process reads a page it "
		  "never touched before: will that page's accessed bit be set again?",
		"After MADV_DONTNEED of the written page, what will be left of its "
		  "entry?",
		NULL,
	},
	.run = run_m3,
};

const struct lab lab_m14 = {
	.id = "m14", .name = "table-cost",
	.aliases = (const char *const[]){ "multi-level", "ptcost", NULL },
	.claim = "A flat page table for a 32-bit space is 2^20 entries x 4 bytes = 4 MiB per "
		 "process; multi-level tables only allocate what is used.",
	.questions = (const char *const[]){
		"Reserving 1 GiB of address space (mmap, no access): how many "
		  "page-table pages will it add?",
		"Then one write in each 2 MiB of it (512 writes): how many "
		  "page-table pages now?",
		"How large would a flat (one-level) table be for this machine's "
		  "paging mode?",
		NULL,
	},
	.run = run_m14,
};

const struct lab lab_m16 = {
	.id = "m16", .name = "address-space-split",
	.aliases = (const char *const[]){ "user-kernel-split", "split", NULL },
	.claim = "The address space is split: 2 GiB user, 2 GiB kernel on 32-bit.",
	.questions = (const char *const[]){
		"How large is the user part of the address space on this machine?",
		"A mapping asked for with a hint of 2^52: where will it land?",
		"What happens when user code reads the first address of the kernel "
		  "half?",
		NULL,
	},
	.run = run_m16,
};
