// SPDX-License-Identifier: GPL-2.0
/*
 * ptscope compact stream: the layout record that lets a reader decode raw
 * PTEs exactly as walk.c decodes them (include/uapi/linux/ptscope.h,
 * struct ptscope_layout).
 *
 * The layout is not written down by hand for each kernel.  It is derived
 * at load time from the module's own decoders (ptscope_pte_bits(),
 * ptscope_swp_decode(), ...), which use the running kernel's helpers, and
 * then checked against them over every combination of the low twelve
 * bits with each high bit: if the rules and the decoders ever disagree,
 * compact requests are refused (-EOPNOTSUPP) rather than decoded wrong.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/swap.h>
#include <linux/swapops.h>
#include <linux/bitops.h>
#include <asm/pgtable.h>

#include "walk.h"

static struct ptscope_layout layout;
static bool layout_ok;
static bool too_many_rules;

/* Rule: (e & @mask) == @value sets @flags; counted in *@count. */
static void add_rule(struct ptscope_layout *l, u32 *count, u64 mask,
		     u64 value, u64 flags)
{
	struct ptscope_layout_rule *r;

	if (!flags)
		return;
	if (l->nr_present + l->nr_swp >= PTSCOPE_LAYOUT_RULES_MAX) {
		too_many_rules = true;
		return;
	}
	r = &l->rules[l->nr_present + l->nr_swp];
	r->mask = mask;
	r->value = value;
	r->flags = flags;
	(*count)++;
}

/* Flags of @e by the rules [first, first + n). */
static u64 by_rules(const struct ptscope_layout *l, u32 first, u32 n, u64 e)
{
	u64 f = 0;
	u32 i;

	for (i = first; i < first + n; i++)
		if ((e & l->rules[i].mask) == l->rules[i].value)
			f |= l->rules[i].flags;
	return f;
}

/*
 * Present entries: for each way of being present (PRESENT, PROTNONE, or
 * both bits), the flags of that state alone, then what each other bit
 * adds to it.  A flag that needs two bits beyond the state would be
 * missed here, and the check below would refuse the layout.
 */
static void present_rules(struct ptscope_layout *l)
{
	u64 states[] = { _PAGE_PRESENT, _PAGE_PROTNONE,
			 _PAGE_PRESENT | _PAGE_PROTNONE };
	u64 pm = _PAGE_PRESENT | _PAGE_PROTNONE;
	int i, b;

	for (i = 0; i < ARRAY_SIZE(states); i++) {
		u64 base = ptscope_pte_bits(states[i]);

		add_rule(l, &l->nr_present, pm, states[i], base);
		for (b = 0; b < 64; b++) {
			u64 bit = 1ULL << b;

			if (!(bit & pm))
				add_rule(l, &l->nr_present, pm | bit,
					 states[i] | bit,
					 ptscope_pte_bits(states[i] | bit) & ~base);
		}
	}
}

/* Non-present entries: the bits each one sets beside its type. */
static void swp_rules(struct ptscope_layout *l)
{
	int b;

	for (b = 0; b < 64; b++)
		add_rule(l, &l->nr_swp, 1ULL << b, 1ULL << b,
			 ptscope_swp_bits(1ULL << b));
}

static u64 field(u64 e, u32 shift, u32 bits)
{
	return (e >> shift) & (bits >= 64 ? ~0ULL : (1ULL << bits) - 1);
}

/* Decode a non-present entry by the layout alone, as a reader would. */
static u64 swp_by_layout(const struct ptscope_layout *l, u64 e,
			 struct ptscope_leaf *leaf)
{
	u64 type = field(e, l->swp_type_shift, l->swp_type_bits);
	u64 off = field(e ^ l->swp_offset_xor, l->swp_offset_shift,
			l->swp_offset_bits);
	u64 f = by_rules(l, l->nr_present, l->nr_swp, e);
	int b;

	if (type || off || !(l->flags & PTSCOPE_LAYOUT_SWP0_NONE))
		f |= l->type_flags[type];
	if (f & PTSCOPE_F_SWAP) {
		leaf->swap_type = type;
		leaf->swap_offset = off;
	}
	if (f & PTSCOPE_F_PFN_VALID)
		leaf->pfn = off & l->swp_pfn_mask;
	if (f & PTSCOPE_F_MARKER) {
		leaf->swap_offset = off & l->marker_mask;
		for (b = 0; b < PTSCOPE_LAYOUT_MARKER_BITS; b++)
			if (leaf->swap_offset & BIT_ULL(b))
				f |= l->marker_flags[b];
	}
	return f;
}

static bool swp_same(const struct ptscope_layout *l, u64 e)
{
	struct ptscope_leaf a = {}, b = {};
	u64 fa = ptscope_swp_decode(e, &a), fb = swp_by_layout(l, e, &b);

	if (fa == fb && a.pfn == b.pfn && a.swap_type == b.swap_type &&
	    a.swap_offset == b.swap_offset)
		return true;
	pr_warn("layout: entry 0x%llx: flags 0x%llx pfn 0x%llx swap %u:0x%llx, by the layout 0x%llx 0x%llx %u:0x%llx\n",
		e, fa, a.pfn, a.swap_type, a.swap_offset, fb, b.pfn,
		b.swap_type, b.swap_offset);
	return false;
}

/* Every swap type and a spread of offsets, each with every low-bit mix. */
static bool check_swp(const struct ptscope_layout *l)
{
	static const u64 offs[] = { 0, 1, 2, 3, 0x1234, 0xfffff, 0x123456789ULL };
	u64 t, i, lo;

	for (t = 0; t < (1ULL << l->swp_type_bits); t++) {
		for (i = 0; i < ARRAY_SIZE(offs); i++) {
			pte_t pte = swp_entry_to_pte(swp_entry(t, offs[i]));

			for (lo = 0; lo < 16; lo++) {
				/* the swap software bits sit in bits 1-3 */
				u64 e = pte_val(pte) | (lo << 1);

				if (e & l->present_mask)
					continue;
				if (!swp_same(l, e))
					return false;
			}
		}
	}
	return true;
}

/* The frame of a present entry by the layout alone. */
static u64 layout_pfn(const struct ptscope_layout *l, u64 e)
{
	if (l->pfn_invert_unless && !(e & l->pfn_invert_unless))
		e = ~e;
	return (e & l->pfn_mask) >> PAGE_SHIFT;
}

/* Is @e decoded the same by the rules and by the module? */
static bool present_same(const struct ptscope_layout *l, u64 e)
{
	if (ptscope_pte_bits(e) == by_rules(l, 0, l->nr_present, e) &&
	    pte_pfn(__pte(e)) == layout_pfn(l, e))
		return true;
	pr_warn("layout: entry 0x%llx: flags 0x%llx pfn 0x%lx, by the layout 0x%llx 0x%llx\n",
		e, ptscope_pte_bits(e), pte_pfn(__pte(e)),
		by_rules(l, 0, l->nr_present, e), layout_pfn(l, e));
	return false;
}

/*
 * Present entries, decoded both ways: each of the 4096 mixes of the low
 * twelve bits with each single high bit (52-63), and each of the 4096
 * mixes of the high bits with every way of being present, written and
 * dirty (the rules assume no two bits mean something together that
 * neither means alone: this is where a kernel that did so would show).
 */
static bool check_present(const struct ptscope_layout *l)
{
	static const u64 lows[] = { 0, _PAGE_RW, _PAGE_DIRTY, _PAGE_RW | _PAGE_DIRTY };
	static const u64 states[] = { _PAGE_PRESENT, _PAGE_PROTNONE,
				      _PAGE_PRESENT | _PAGE_PROTNONE };
	u64 frame = 0x1234ULL << PAGE_SHIFT, lo, hi;
	int i, j;

	for (hi = 0; hi <= 12; hi++) {
		u64 h = hi ? 1ULL << (51 + hi) : 0;

		for (lo = 0; lo < 4096; lo++)
			if (((lo | h) & l->present_mask) &&
			    !present_same(l, lo | h | frame))
				return false;
	}
	for (hi = 0; hi < 4096; hi++) {
		for (i = 0; i < ARRAY_SIZE(states); i++)
			for (j = 0; j < ARRAY_SIZE(lows); j++)
				if (!present_same(l, (hi << 52) | states[i] |
						  lows[j] | frame))
					return false;
		cond_resched();
	}
	return true;
}

/**
 * ptscope_layout_init() - derive the compact stream's layout and check it
 *
 * Context: module init.
 * Return: 0 (a layout that fails its check only disables compact walks).
 */
int ptscope_layout_init(void)
{
	struct ptscope_layout *l = &layout;
	struct ptscope_leaf leaf;
	unsigned int t;
	int b;

	BUILD_BUG_ON((1 << SWP_TYPE_BITS) > PTSCOPE_LAYOUT_TYPES);
	memset(l, 0, sizeof(*l));
	l->hdr.type = PTSCOPE_REC_LAYOUT;
	l->hdr.size = sizeof(*l);
	l->present_mask = _PAGE_PRESENT | _PAGE_PROTNONE;
	/* bits pte_none() does not look at (the KNL erratum's A and D) */
	l->none_mask = ~0ULL;
	for (b = 0; b < 64; b++)
		if (pte_none(__pte(1ULL << b)))
			l->none_mask &= ~(1ULL << b);
	l->pfn_mask = PTE_PFN_MASK;
	/* L1TF: is the frame of a PROTNONE entry stored inverted? */
	if (pte_pfn(__pte(_PAGE_PROTNONE)))
		l->pfn_invert_unless = _PAGE_PRESENT;
#ifdef CONFIG_X86_INTEL_MEMORY_PROTECTION_KEYS
	l->pkey_mask = _PAGE_PKEY_MASK;
	l->pkey_shift = _PAGE_BIT_PKEY_BIT0;
#endif
	/* the uffd bit that makes PROTNONE a read-write-protect trap (7.x) */
	for (b = 0; b < 64; b++)
		if (ptscope_pte_bits(_PAGE_PRESENT | (1ULL << b)) &
		    PTSCOPE_F_UFFD_WP)
			l->rwp_mask |= 1ULL << b;
	l->zero_pfn = page_to_pfn(ZERO_PAGE(0));
	/* x86-64's arch swap entry: type on top, offset inverted (L1TF) */
	l->swp_type_bits = SWP_TYPE_BITS;
	l->swp_type_shift = 64 - SWP_TYPE_BITS;
	l->swp_offset_shift = SWP_OFFSET_FIRST_BIT;
	l->swp_offset_bits = 64 - SWP_OFFSET_SHIFT;
	l->swp_offset_xor = ~0ULL;
	l->swp_pfn_mask = SWP_PFN_MASK;
	l->marker_mask = PTE_MARKER_MASK;
	for (b = 0; b < PTSCOPE_LAYOUT_MARKER_BITS; b++)
		if (PTE_MARKER_MASK & BIT_ULL(b))
			l->marker_flags[b] = ptscope_marker_flags(BIT_ULL(b));
	/*
	 * What each type decodes to: the module's own decoder says, for an
	 * offset with no marker bit (markers' flags are marker_flags) that
	 * is not 0 (type 0, offset 0 is no entry at all to softleaf_type()).
	 */
	for (t = 0; t < (1U << SWP_TYPE_BITS); t++) {
		pte_t pte = swp_entry_to_pte(swp_entry(t, (u64)PTE_MARKER_MASK + 1));

		memset(&leaf, 0, sizeof(leaf));
		l->type_flags[t] = ptscope_swp_decode(pte_val(pte), &leaf) &
				   ~ptscope_swp_bits(pte_val(pte));
	}
	{
		pte_t pte = swp_entry_to_pte(swp_entry(0, 0));

		memset(&leaf, 0, sizeof(leaf));
		if (!(ptscope_swp_decode(pte_val(pte), &leaf) &
		      ~ptscope_swp_bits(pte_val(pte))))
			l->flags |= PTSCOPE_LAYOUT_SWP0_NONE;
	}
	present_rules(l);
	swp_rules(l);
	layout_ok = !too_many_rules && is_zero_pfn(l->zero_pfn) &&
		    check_present(l) && check_swp(l);
	if (!layout_ok)
		pr_warn("compact walks disabled: this kernel's entries do not fit the layout record (%u+%u rules%s)\n",
			l->nr_present, l->nr_swp,
			too_many_rules ? ", too many" : "");
	return 0;
}

/**
 * ptscope_layout() - the compact stream's layout record
 *
 * Return: the record, or NULL if compact walks cannot be offered here.
 */
const struct ptscope_layout *ptscope_layout(void)
{
	return layout_ok ? &layout : NULL;
}
