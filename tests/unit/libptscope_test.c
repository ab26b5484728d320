// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side unit tests of libptscope's pure parts: number parsing, flag
 * names, the record reader fed through a pipe in awkward pieces, and the
 * compact stream's decoder on a hand-made layout (the real layouts are
 * checked against the module's own decoding in tests/compact_test.c).
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <stdlib.h>

#include "kselftest_harness.h"
#include "libptscope.h"

TEST(parse_numbers)
{
	uint64_t v;

	ASSERT_EQ(0, pts_parse_u64("123", &v, 0));
	EXPECT_EQ(123, v);
	ASSERT_EQ(0, pts_parse_u64("0x7fff0000", &v, 0));
	EXPECT_EQ(0x7fff0000ULL, v);
	ASSERT_EQ(0, pts_parse_u64("64M", &v, 1));
	EXPECT_EQ(64ULL << 20, v);
	EXPECT_EQ(-EINVAL, pts_parse_u64("64M", &v, 0));
	EXPECT_EQ(-EINVAL, pts_parse_u64("-1", &v, 0));
	EXPECT_EQ(-EINVAL, pts_parse_u64("", &v, 0));
	EXPECT_EQ(-EINVAL, pts_parse_u64("0x", &v, 0));
	EXPECT_EQ(-EINVAL, pts_parse_u64("12abc", &v, 0));
	EXPECT_EQ(-ERANGE, pts_parse_u64("99999999999999999999999", &v, 0));
	EXPECT_EQ(-ERANGE, pts_parse_u64("17179869184G", &v, 1));
}

TEST(flag_names_round_trip)
{
	char buf[1024];
	int i, named = 0;

	for (i = 0; i < 64; i++) {
		const char *n = pts_flag_name(1ULL << i);

		if (!n)
			continue;
		named++;
		EXPECT_EQ(1ULL << i, pts_flag_by_name(n));
	}
	EXPECT_GE(named, 25);
	EXPECT_STREQ("-", pts_flags_str(0, buf, sizeof(buf)));
	EXPECT_STREQ("present,rw,nx",
		     pts_flags_str(PTSCOPE_F_PRESENT | PTSCOPE_F_RW | PTSCOPE_F_NX,
				   buf, sizeof(buf)));
	/* Truncation keeps whole names. */
	EXPECT_STREQ("present",
		     pts_flags_str(PTSCOPE_F_PRESENT | PTSCOPE_F_RW, buf, 10));
	EXPECT_STREQ("pte", pts_level_name(PTSCOPE_LVL_PTE));
	EXPECT_STREQ("pud", pts_level_name(PTSCOPE_LVL_PUD));
	EXPECT_STREQ("?", pts_level_name(99));
	EXPECT_STREQ("shmem", pts_backing_name(PTSCOPE_BACK_SHMEM));
	EXPECT_STREQ("no-vma", pts_stop_name(PTSCOPE_STOP_NO_VMA));
}

/* Feed a stream of records through a pipe in 7-byte pieces. */
TEST(record_reader_handles_any_chunking)
{
	struct ptscope_leaf leaf = { .hdr = { PTSCOPE_REC_LEAF, sizeof(leaf) } };
	struct ptscope_end end = { .hdr = { PTSCOPE_REC_END, sizeof(end) } };
	const struct ptscope_rec_hdr *rec;
	struct pts_session s;
	char stream[sizeof(leaf) * 3 + sizeof(end)];
	size_t off = 0, i;
	int fds[2], n = 0, ret;
	pid_t child;

	for (i = 0; i < 3; i++) {
		leaf.va = 0x1000 * (i + 1);
		memcpy(stream + off, &leaf, sizeof(leaf));
		off += sizeof(leaf);
	}
	memcpy(stream + off, &end, sizeof(end));
	off += sizeof(end);

	ASSERT_EQ(0, pipe(fds));
	child = fork();
	ASSERT_GE(child, 0);
	if (!child) {
		for (i = 0; i < off; i += 7)
			if (write(fds[1], stream + i, off - i < 7 ? off - i : 7) < 0)
				_exit(1);
		_exit(0);
	}
	close(fds[1]);
	memset(&s, 0, sizeof(s));
	s.fd = fds[0];
	s.cap = sizeof(leaf);	/* just the largest record */
	s.buf = malloc(s.cap);
	ASSERT_NE(NULL, s.buf);
	while ((ret = pts_next(&s, &rec)) == 1) {
		if (rec->type == PTSCOPE_REC_LEAF) {
			const struct ptscope_leaf *l = (const void *)rec;

			EXPECT_EQ(0x1000ULL * (n + 1), l->va);
			n++;
		}
	}
	EXPECT_EQ(0, ret);
	EXPECT_EQ(3, n);
	pts_close(&s);
}

TEST(record_reader_rejects_garbage)
{
	struct ptscope_rec_hdr bad = { PTSCOPE_REC_LEAF, 2, 0 };
	const struct ptscope_rec_hdr *rec;
	struct pts_session s;
	int fds[2];

	ASSERT_EQ(0, pipe(fds));
	ASSERT_EQ(sizeof(bad), write(fds[1], &bad, sizeof(bad)));
	close(fds[1]);
	memset(&s, 0, sizeof(s));
	s.fd = fds[0];
	s.cap = 4096;
	s.buf = malloc(s.cap);
	EXPECT_EQ(-EPROTO, pts_next(&s, &rec));
	pts_close(&s);
}

/* Leaves whose level or folio order would make a size shift overflow. */
TEST(record_reader_rejects_impossible_leaves)
{
	struct ptscope_leaf l = { .hdr = { PTSCOPE_REC_LEAF, sizeof(l) } };
	const struct ptscope_rec_hdr *rec;
	struct pts_session s;
	int fds[2], i;

	for (i = 0; i < 2; i++) {
		l.level = i ? 0 : PTSCOPE_NR_LEVELS;
		l.folio_order = i ? 60 : 0;
		ASSERT_EQ(0, pipe(fds));
		ASSERT_EQ(sizeof(l), write(fds[1], &l, sizeof(l)));
		close(fds[1]);
		memset(&s, 0, sizeof(s));
		s.fd = fds[0];
		s.cap = 4096;
		s.buf = malloc(s.cap);
		EXPECT_EQ(-EPROTO, pts_next(&s, &rec));
		pts_close(&s);
	}
}

/* A layout shaped like x86-64's, small enough to reason about by hand. */
static void toy_layout(struct ptscope_layout *l)
{
	static const struct ptscope_layout_rule rules[] = {
		{ 0x101, 0x001, PTSCOPE_F_PRESENT },
		{ 0x103, 0x003, PTSCOPE_F_RW | PTSCOPE_F_WRITE },
		{ 0x101, 0x100, PTSCOPE_F_PROTNONE },
		{ 0x002, 0x002, PTSCOPE_F_SOFT_DIRTY },		/* non-present */
	};
	int t;

	memset(l, 0, sizeof(*l));
	l->hdr.type = PTSCOPE_REC_LAYOUT;
	l->hdr.size = sizeof(*l);
	l->nr_present = 3;
	l->nr_swp = 1;
	memcpy(l->rules, rules, sizeof(rules));
	l->none_mask = ~0x60ULL;
	l->present_mask = 0x101;
	l->pfn_mask = 0x000ffffffffff000ULL;
	l->pfn_invert_unless = 0x1;
	l->pkey_mask = 0x7800000000000000ULL;
	l->pkey_shift = 59;
	l->rwp_mask = 0x400;
	l->zero_pfn = 0x1234;
	l->swp_type_shift = 59;
	l->swp_type_bits = 5;
	l->swp_offset_shift = 9;
	l->swp_offset_bits = 50;
	l->swp_offset_xor = ~0ULL;
	l->swp_pfn_mask = (1ULL << 40) - 1;
	l->marker_mask = 7;
	l->flags = PTSCOPE_LAYOUT_SWP0_NONE;
	for (t = 0; t < 24; t++)
		l->type_flags[t] = PTSCOPE_F_SWAP;
	l->type_flags[24] = PTSCOPE_F_HWPOISON | PTSCOPE_F_PFN_VALID;
	l->type_flags[25] = PTSCOPE_F_MIGRATION | PTSCOPE_F_PFN_VALID;
	l->type_flags[31] = PTSCOPE_F_MARKER;
	l->marker_flags[0] = PTSCOPE_F_UFFD_WP;
	l->marker_flags[2] = PTSCOPE_F_MARKER_GUARD;
}

/* A non-present entry of TYPE and OFFSET, encoded as the toy layout says. */
static uint64_t toy_swp(uint64_t type, uint64_t offset)
{
	return (type << 59) | ((~offset << 9) & ((1ULL << 59) - 1) & ~0x1ffULL);
}

TEST(compact_entries_decode)
{
	struct {
		struct ptscope_ptes p;
		uint64_t e[2 * 12];
	} r = { .p = { .hdr = { PTSCOPE_REC_PTES, sizeof(r) }, .va = 0x400000,
		       .count = 12, .flags = PTSCOPE_PTES_FACTS | PTSCOPE_PTES_ACCESSIBLE } };
	const uint64_t F = PTSCOPE_F_PFN_VALID;
	struct ptscope_layout lay;
	struct ptscope_leaf l;

	toy_layout(&lay);
	r.p.e[0] = 0x60;					/* A and D alone: empty */
	r.p.e[2] = (0x5555ULL << 12) | 0x3 | (3ULL << 59);	/* rw, pkey 3 */
	r.p.e[3] = PTSCOPE_FACT_ANON | PTSCOPE_FACT_EXCLUSIVE | PTSCOPE_FACT_FOLIO |
		   (3ULL << PTSCOPE_FACT_INDEX_SHIFT) | (4ULL << PTSCOPE_FACT_ORDER_SHIFT) | 1;
	r.p.e[4] = (~(0x777ULL << 12) & lay.pfn_mask) | 0x100;	/* PROT_NONE, L1TF */
	r.p.e[6] = (0x1234ULL << 12) | 0x1;			/* the zero page */
	r.p.e[8] = toy_swp(3, 0x42) | 0x2;			/* swap, soft-dirty */
	r.p.e[10] = toy_swp(0, 0);				/* no entry (7.x) */
	r.p.e[12] = toy_swp(25, 0xabc);				/* migration */
	r.p.e[14] = toy_swp(31, 5);				/* uffd-wp + guard marker */
	r.p.e[16] = toy_swp(24, 0x99);				/* hwpoison */

	EXPECT_EQ(0, pts_ptes_leaf(&lay, &r.p, 0, &l));
	ASSERT_EQ(1, pts_ptes_leaf(&lay, &r.p, 1, &l));
	EXPECT_EQ(0x401000ULL, l.va);
	EXPECT_EQ(PTSCOPE_F_PRESENT | PTSCOPE_F_RW | PTSCOPE_F_WRITE | F | PTSCOPE_F_ANON_PAGE |
		  PTSCOPE_F_EXCLUSIVE | PTSCOPE_F_FOLIO, l.flags);
	EXPECT_EQ(0x5555ULL, l.pfn);
	EXPECT_EQ(3, l.pkey);
	EXPECT_EQ(1U, l.mapcount);
	EXPECT_EQ(0x5552ULL, l.folio_pfn);
	EXPECT_EQ(4, l.folio_order);
	EXPECT_EQ(1ULL, l.count);
	EXPECT_EQ(PTSCOPE_LVL_PTE, l.level);
	ASSERT_EQ(1, pts_ptes_leaf(&lay, &r.p, 2, &l));
	EXPECT_EQ(PTSCOPE_F_PROTNONE | PTSCOPE_F_NUMA_HINT | F, l.flags);
	EXPECT_EQ(0x777ULL, l.pfn);
	r.p.flags |= PTSCOPE_PTES_UFFD_RWP;
	r.p.e[4] |= 0x400;				/* the uffd bit: an RWP trap */
	ASSERT_EQ(1, pts_ptes_leaf(&lay, &r.p, 2, &l));
	EXPECT_EQ(PTSCOPE_F_PROTNONE | F, l.flags);
	ASSERT_EQ(1, pts_ptes_leaf(&lay, &r.p, 3, &l));
	EXPECT_EQ(PTSCOPE_F_PRESENT | F | PTSCOPE_F_ZERO_PAGE | PTSCOPE_F_FOLIO, l.flags);
	EXPECT_EQ(0x1234ULL, l.folio_pfn);
	ASSERT_EQ(1, pts_ptes_leaf(&lay, &r.p, 4, &l));
	EXPECT_EQ(PTSCOPE_F_SWAP | PTSCOPE_F_SOFT_DIRTY, l.flags);
	EXPECT_EQ(3, l.swap_type);
	EXPECT_EQ(0x42ULL, l.swap_offset);
	ASSERT_EQ(1, pts_ptes_leaf(&lay, &r.p, 5, &l));
	EXPECT_EQ(0ULL, l.flags);
	lay.flags = 0;					/* 6.x: swap slot 0:0 */
	ASSERT_EQ(1, pts_ptes_leaf(&lay, &r.p, 5, &l));
	EXPECT_EQ(PTSCOPE_F_SWAP, l.flags);
	ASSERT_EQ(1, pts_ptes_leaf(&lay, &r.p, 6, &l));
	EXPECT_EQ(PTSCOPE_F_MIGRATION | F, l.flags);
	EXPECT_EQ(0xabcULL, l.pfn);
	ASSERT_EQ(1, pts_ptes_leaf(&lay, &r.p, 7, &l));
	EXPECT_EQ(PTSCOPE_F_MARKER | PTSCOPE_F_UFFD_WP | PTSCOPE_F_MARKER_GUARD, l.flags);
	EXPECT_EQ(5ULL, l.swap_offset);
	ASSERT_EQ(1, pts_ptes_leaf(&lay, &r.p, 8, &l));
	EXPECT_EQ(PTSCOPE_F_HWPOISON | F, l.flags);
	EXPECT_EQ(0x99ULL, l.pfn);
	EXPECT_EQ(0, pts_ptes_leaf(&lay, &r.p, 9, &l));	/* zero: empty */
}

/* Feed BYTES through a pipe into a session; the caller reads it. */
static void pipe_session(struct pts_session *s, const void *bytes, size_t n)
{
	int fds[2];

	memset(s, 0, sizeof(*s));
	if (pipe(fds) || write(fds[1], bytes, n) != (ssize_t)n)
		abort();
	close(fds[1]);
	s->fd = fds[0];
	s->cap = 64 * 1024;
	s->buf = malloc(s->cap);
}

TEST(compact_stream_comes_out_as_leaves)
{
	struct {
		struct ptscope_layout lay;
		struct ptscope_ptes p;
		uint64_t e[4];
		struct ptscope_end end;
	} st;	/* no padding: every record is a multiple of 8 bytes */
	const struct ptscope_rec_hdr *rec;
	struct pts_session s;
	int leaves = 0, layouts = 0, ret;

	_Static_assert(sizeof(st) == sizeof(st.lay) + sizeof(st.p) + sizeof(st.e) +
		       sizeof(st.end), "records back to back");
	toy_layout(&st.lay);
	memset(&st.p, 0, sizeof(st.p) + sizeof(st.e));
	st.p.hdr.type = PTSCOPE_REC_PTES;
	st.p.hdr.size = sizeof(st.p) + sizeof(st.e);
	st.p.va = 0x10000;
	st.p.count = 4;
	st.e[0] = (1ULL << 12) | 1;
	st.e[2] = (3ULL << 12) | 1;
	st.e[3] = (4ULL << 12) | 1;
	memset(&st.end, 0, sizeof(st.end));
	st.end.hdr.type = PTSCOPE_REC_END;
	st.end.hdr.size = sizeof(st.end);
	pipe_session(&s, &st, sizeof(st));
	while ((ret = pts_next(&s, &rec)) == 1) {
		if (rec->type == PTSCOPE_REC_LAYOUT)
			layouts++;
		if (rec->type == PTSCOPE_REC_LEAF) {
			const struct ptscope_leaf *l = (const void *)rec;

			/* e[1] is empty: frames 1, 3, 4 at 0x10000, 0x12000, 0x13000 */
			EXPECT_EQ(leaves ? leaves + 2ULL : 1ULL, l->pfn);
			EXPECT_EQ(0x10000ULL + (leaves ? leaves + 1 : 0) * 0x1000, l->va);
			leaves++;
		}
	}
	EXPECT_EQ(0, ret);
	EXPECT_EQ(1, layouts);
	EXPECT_EQ(3, leaves);
	pts_close(&s);

	/* PTES without a LAYOUT before it, or shorter than its count */
	pipe_session(&s, &st.p, sizeof(st.p) + sizeof(st.e));
	EXPECT_EQ(-EPROTO, pts_next(&s, &rec));
	pts_close(&s);
	st.p.count = 5;
	pipe_session(&s, &st, sizeof(st));
	EXPECT_EQ(1, pts_next(&s, &rec));
	EXPECT_EQ(-EPROTO, pts_next(&s, &rec));
	pts_close(&s);
}

TEST(parse_ranges)
{
	uint64_t a, b;

	ASSERT_EQ(0, pts_parse_range("0x1000-0x3000", &a, &b));
	EXPECT_EQ(0x1000ULL, a);
	EXPECT_EQ(0x3000ULL, b);
	ASSERT_EQ(0, pts_parse_range("0x7f0000000000+64K", &a, &b));
	EXPECT_EQ(0x7f0000000000ULL, a);
	EXPECT_EQ(0x7f0000010000ULL, b);
	ASSERT_EQ(0, pts_parse_range("0-1G", &a, &b));
	EXPECT_EQ(0ULL, a);
	EXPECT_EQ(1ULL << 30, b);
	EXPECT_EQ(-ERANGE, pts_parse_range("0x3000-0x1000", &a, &b));
	EXPECT_EQ(-ERANGE, pts_parse_range("0x1000-0x1000", &a, &b));
	EXPECT_EQ(-ERANGE, pts_parse_range("0xffffffffffffffff+1", &a, &b));
	EXPECT_EQ(-EINVAL, pts_parse_range("0x1000", &a, &b));
	EXPECT_EQ(-EINVAL, pts_parse_range("-0x1000", &a, &b));
	EXPECT_EQ(-EINVAL, pts_parse_range("0x1000-", &a, &b));
	EXPECT_EQ(-EINVAL, pts_parse_range("0x1000-0x2000-0x3000", &a, &b));
	EXPECT_EQ(-EINVAL, pts_parse_range("7fed98d73000-7fed98d76000", &a, &b));
	EXPECT_EQ(-EINVAL, pts_parse_range(NULL, &a, &b));
}

/* TASK_SIZE_MAX as Documentation/interface.rst gives it (ERANGE). */
TEST(clamp_range_to_user_space)
{
	uint64_t a = 0, b = ~0ULL;

	ASSERT_EQ(0, pts_clamp_range(4, &a, &b));
	EXPECT_EQ(0ULL, a);
	EXPECT_EQ((1ULL << 47) - 4096, b);
	a = 0x1000;
	b = ~0ULL;
	ASSERT_EQ(0, pts_clamp_range(5, &a, &b));
	EXPECT_EQ(0x1000ULL, a);
	EXPECT_EQ((1ULL << 56) - 4096, b);
	/* inside user space: unchanged */
	a = 0x7f0000000000;
	b = 0x7f0000200000;
	ASSERT_EQ(0, pts_clamp_range(4, &a, &b));
	EXPECT_EQ(0x7f0000200000ULL, b);
	/* starting at or above the end: still an error */
	a = (1ULL << 47) - 4096;
	b = ~0ULL;
	EXPECT_EQ(-ERANGE, pts_clamp_range(4, &a, &b));
	EXPECT_EQ(~0ULL, b);
	a = 1ULL << 47;
	EXPECT_EQ(0, pts_clamp_range(5, &a, &b));
	EXPECT_EQ(-EINVAL, pts_clamp_range(3, &a, &b));
}

TEST(format_sizes)
{
	char buf[16];

	EXPECT_STREQ("0B", pts_fmt_size(0, buf, sizeof(buf)));
	EXPECT_STREQ("100B", pts_fmt_size(100, buf, sizeof(buf)));
	EXPECT_STREQ("4K", pts_fmt_size(4096, buf, sizeof(buf)));
	EXPECT_STREQ("692K", pts_fmt_size(692 * 1024, buf, sizeof(buf)));
	EXPECT_STREQ("2M", pts_fmt_size(2 << 20, buf, sizeof(buf)));
	EXPECT_STREQ("2.4M", pts_fmt_size(2551808, buf, sizeof(buf)));
	EXPECT_STREQ("1G", pts_fmt_size(1ULL << 30, buf, sizeof(buf)));
	EXPECT_STREQ("42T", pts_fmt_size(42ULL << 40, buf, sizeof(buf)));
	EXPECT_STREQ("16E", pts_fmt_size(~0ULL, buf, sizeof(buf)));
	EXPECT_STREQ("128P", pts_fmt_size(1ULL << 57, buf, sizeof(buf)));
}

TEST_HARNESS_MAIN
