// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side unit tests of snapshots and diffs (tools/lib/snapshot.c,
 * tools/lib/diff.c): walks built by hand, each kind of change and how
 * pages merge into runs, huge leaves against small ones, VMA changes, a
 * range; snapshot files written and read back, and every way one can be
 * malformed refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "libptscope.h"

#define PAGE	4096ULL
#define BASE	0x7f0000000000ULL
#define X86_P	0x1ULL
#define X86_RW	0x2ULL
#define X86_A	0x20ULL
#define X86_D	0x40ULL
#define X86_PS	0x80ULL

/* ---- building walks -------------------------------------------------- */

struct builder {
	struct pts_image img;
	size_t vcap, lcap;
};

static void add_vma(struct builder *b, uint64_t start, uint64_t end, uint32_t flags)
{
	struct ptscope_vma *v;

	b->img.vma = realloc(b->img.vma, (b->img.nvma + 1) * sizeof(*v));
	v = &b->img.vma[b->img.nvma++];
	memset(v, 0, sizeof(*v));
	v->hdr.type = PTSCOPE_REC_VMA;
	v->hdr.size = sizeof(*v);
	v->start = start;
	v->end = end;
	v->flags = flags;
	v->backing = PTSCOPE_BACK_ANON;
}

static void add_leaf(struct builder *b, uint64_t va, int level, uint64_t pfn,
		     uint64_t bits)
{
	struct ptscope_leaf *l;
	size_t n = b->img.nleaf;

	b->img.leaf = realloc(b->img.leaf, (n + 1) * sizeof(*l));
	b->img.leaf_vma = realloc(b->img.leaf_vma, (n + 1) * sizeof(uint32_t));
	l = &b->img.leaf[n];
	memset(l, 0, sizeof(*l));
	l->hdr.type = PTSCOPE_REC_LEAF;
	l->hdr.size = sizeof(*l);
	l->va = va;
	l->level = level;
	l->count = 1;
	l->pfn = pfn;
	l->entry = pfn << 12 | bits | (level ? X86_PS : 0);
	l->flags = PTSCOPE_F_PFN_VALID | (bits & X86_P ? PTSCOPE_F_PRESENT : 0) |
		   (bits & X86_RW ? PTSCOPE_F_RW : 0) |
		   (bits & X86_D ? PTSCOPE_F_DIRTY : 0);
	b->img.leaf_vma[n] = b->img.nvma - 1;
	b->img.nleaf++;
}

static void add_swap(struct builder *b, uint64_t va, unsigned int type, uint64_t off)
{
	struct ptscope_leaf *l;

	add_leaf(b, va, 0, 0, 0);
	l = &b->img.leaf[b->img.nleaf - 1];
	l->flags = PTSCOPE_F_SWAP;
	l->swap_type = type;
	l->swap_offset = off;
	l->entry = (~off << 14 | type << 9) & 0x7ffffffffffffe00ULL;
}

/* ---- collecting what pts_diff reports ---------------------------------- */

struct seen {
	struct pts_diff_run run[64];
	int nrun;
	enum pts_vma_change vc[16];
	uint64_t vstart[16];
	int nvma;
};

static int on_run(const struct pts_diff_run *r, void *arg)
{
	struct seen *s = arg;

	if (s->nrun < 64)
		s->run[s->nrun++] = *r;
	return 0;
}

static int on_vma(enum pts_vma_change c, const struct ptscope_vma *old,
		  const struct ptscope_vma *new, void *arg)
{
	struct seen *s = arg;

	if (s->nvma < 16) {
		s->vc[s->nvma] = c;
		s->vstart[s->nvma++] = new ? new->start : old->start;
	}
	return 0;
}

static const struct pts_diff_ops ops = { .run = on_run, .vma = on_vma };

static void diff(struct builder *a, struct builder *b, struct seen *s)
{
	memset(s, 0, sizeof(*s));
	pts_diff(&a->img, &b->img, 0, ~0ULL, &ops, s);
}

#define EXPECT_RUN(s, i, va_, pages_, change_) do {				\
	ASSERT_LT(i, (s)->nrun);						\
	EXPECT_EQ(va_, (s)->run[i].va);						\
	EXPECT_EQ(pages_, (s)->run[i].pages);					\
	EXPECT_STREQ(change_, pts_change_name((s)->run[i].change));		\
} while (0)

static void free_b(struct builder *b)
{
	pts_image_free(&b->img);
}

TEST(same_walk_no_change)
{
	struct builder a = { 0 };
	struct seen s;
	int i;

	add_vma(&a, BASE, BASE + 64 * PAGE, 3);
	for (i = 0; i < 10; i++)
		add_leaf(&a, BASE + i * PAGE, 0, 0x1000 + i, X86_P | X86_RW);
	diff(&a, &a, &s);
	EXPECT_EQ(0, s.nrun);
	EXPECT_EQ(0, s.nvma);
	free_b(&a);
}

TEST(kinds_and_runs)
{
	struct builder a = { 0 }, b = { 0 };
	struct seen s;
	int i;

	add_vma(&a, BASE, BASE + 64 * PAGE, 3);
	add_vma(&b, BASE, BASE + 64 * PAGE, 3);
	/* 0..3 gone; 4..7 frame; 8..9 flags (dirty); 10 same; 11..12 swap-out */
	for (i = 0; i < 13; i++)
		add_leaf(&a, BASE + i * PAGE, 0, 0x1000 + i, X86_P | X86_RW);
	for (i = 4; i < 13; i++) {
		if (i < 8)
			add_leaf(&b, BASE + i * PAGE, 0, 0x2000 + i, X86_P | X86_RW);
		else if (i < 10)
			add_leaf(&b, BASE + i * PAGE, 0, 0x1000 + i, X86_P | X86_RW | X86_D);
		else if (i == 10)
			add_leaf(&b, BASE + i * PAGE, 0, 0x1000 + i, X86_P | X86_RW);
		else
			add_swap(&b, BASE + i * PAGE, 0, 100 + i);
	}
	/* 20..21 new; 30 swap-in (was swapped), 31 swapped again elsewhere */
	add_leaf(&b, BASE + 20 * PAGE, 0, 0x3000, X86_P);
	add_leaf(&b, BASE + 21 * PAGE, 0, 0x3001, X86_P);
	add_swap(&a, BASE + 30 * PAGE, 0, 7);
	add_swap(&a, BASE + 31 * PAGE, 0, 8);
	add_leaf(&b, BASE + 30 * PAGE, 0, 0x4000, X86_P);
	add_swap(&b, BASE + 31 * PAGE, 0, 9);
	diff(&a, &b, &s);
	EXPECT_EQ(7, s.nrun);
	EXPECT_RUN(&s, 0, BASE, 4, "gone");
	EXPECT_RUN(&s, 1, BASE + 4 * PAGE, 4, "frame");
	EXPECT_EQ(0x1004, s.run[1].old.pfn);
	EXPECT_EQ(0x2004, s.run[1].new.pfn);
	EXPECT_RUN(&s, 2, BASE + 8 * PAGE, 2, "flags");
	EXPECT_RUN(&s, 3, BASE + 11 * PAGE, 2, "swap-out");
	EXPECT_RUN(&s, 4, BASE + 20 * PAGE, 2, "new");
	EXPECT_EQ(NULL, s.run[4].old.leaf);
	EXPECT_RUN(&s, 5, BASE + 30 * PAGE, 1, "swap-in");
	EXPECT_RUN(&s, 6, BASE + 31 * PAGE, 1, "swap-out");
	EXPECT_EQ(9, s.run[6].new.swap_offset);
	EXPECT_EQ(0, s.nvma);
	free_b(&a);
	free_b(&b);
}

TEST(huge_leaves)
{
	struct builder a = { 0 }, b = { 0 }, c = { 0 };
	uint64_t huge = BASE + (2ULL << 20);
	struct seen s;
	int i;

	/* a THP, then the same frames as 512 PTEs (split), then new frames
	 * in one PMD again (collapse) */
	add_vma(&a, BASE, BASE + (8ULL << 20), 3);
	add_vma(&b, BASE, BASE + (8ULL << 20), 3);
	add_vma(&c, BASE, BASE + (8ULL << 20), 3);
	add_leaf(&a, huge, 1, 0x40000, X86_P | X86_RW | X86_D);
	for (i = 0; i < 512; i++)
		add_leaf(&b, huge + i * PAGE, 0, 0x40000 + i, X86_P | X86_RW | X86_D);
	add_leaf(&c, huge, 1, 0x80000, X86_P | X86_RW | X86_D);
	diff(&a, &b, &s);
	EXPECT_EQ(1, s.nrun);
	EXPECT_RUN(&s, 0, huge, 512, "split");
	EXPECT_EQ(PTSCOPE_LVL_PMD, s.run[0].old.leaf->level);
	diff(&b, &c, &s);
	EXPECT_EQ(1, s.nrun);
	EXPECT_RUN(&s, 0, huge, 512, "collapse");
	/* the same huge leaf: nothing; one with another frame: 512 frame */
	diff(&a, &a, &s);
	EXPECT_EQ(0, s.nrun);
	diff(&a, &c, &s);
	EXPECT_EQ(1, s.nrun);
	EXPECT_RUN(&s, 0, huge, 512, "frame");
	EXPECT_EQ(0x40000, s.run[0].old.pfn);
	EXPECT_EQ(0x80000, s.run[0].new.pfn);
	free_b(&a);
	free_b(&b);
	free_b(&c);
}

TEST(vma_changes_and_range)
{
	struct builder a = { 0 }, b = { 0 };
	struct seen s;

	add_vma(&a, BASE, BASE + 16 * PAGE, 3);			/* resized */
	add_vma(&a, BASE + 32 * PAGE, BASE + 40 * PAGE, 3);	/* gone */
	add_leaf(&a, BASE + 33 * PAGE, 0, 0x10, X86_P);
	add_vma(&b, BASE, BASE + 8 * PAGE, 3);
	add_vma(&b, BASE + 64 * PAGE, BASE + 80 * PAGE, 1);	/* new */
	add_leaf(&b, BASE + 64 * PAGE, 0, 0x20, X86_P);
	diff(&a, &b, &s);
	ASSERT_EQ(3, s.nvma);
	EXPECT_EQ(PTS_VMA_CHANGED, s.vc[0]);
	EXPECT_EQ(PTS_VMA_GONE, s.vc[1]);
	EXPECT_EQ(BASE + 32 * PAGE, s.vstart[1]);
	EXPECT_EQ(PTS_VMA_NEW, s.vc[2]);
	EXPECT_EQ(2, s.nrun);
	EXPECT_RUN(&s, 0, BASE + 33 * PAGE, 1, "gone");
	EXPECT_RUN(&s, 1, BASE + 64 * PAGE, 1, "new");
	/* only [64, 80) pages: the new VMA and its page */
	memset(&s, 0, sizeof(s));
	pts_diff(&a.img, &b.img, BASE + 64 * PAGE, BASE + 80 * PAGE, &ops, &s);
	EXPECT_EQ(1, s.nvma);
	EXPECT_EQ(1, s.nrun);
	EXPECT_RUN(&s, 0, BASE + 64 * PAGE, 1, "new");
	free_b(&a);
	free_b(&b);
}

TEST(ranged_walk_compared_on_its_range)
{
	struct builder a = { 0 }, b = { 0 };
	uint64_t start = 0, end = ~0ULL;
	struct seen s;
	int i;

	/* A walked [BASE + PAGE, +PAGE) only: its VMA is whole, its leaves not */
	add_vma(&a, BASE, BASE + 16 * PAGE, 3);
	add_leaf(&a, BASE + PAGE, 0, 0x101, X86_P);
	a.img.hdr.start = BASE + PAGE;
	a.img.hdr.end = BASE + 2 * PAGE;
	add_vma(&b, BASE, BASE + 16 * PAGE, 3);
	for (i = 0; i < 16; i++)
		add_leaf(&b, BASE + i * PAGE, 0, 0x100 + i, X86_P);
	b.img.hdr.end = 1ULL << 47;
	EXPECT_TRUE(pts_diff_range(&a.img, &b.img, &start, &end));
	EXPECT_EQ(BASE + PAGE, start);
	EXPECT_EQ(BASE + 2 * PAGE, end);
	diff(&a, &b, &s);
	EXPECT_EQ(0, s.nrun);
	EXPECT_EQ(0, s.nvma);
	/* the page A walked, changed, is seen */
	b.img.leaf[1].pfn = 0x999;
	diff(&a, &b, &s);
	EXPECT_EQ(1, s.nrun);
	EXPECT_RUN(&s, 0, BASE + PAGE, 1, "frame");
	/* ranges with nothing in common: nothing compared */
	b.img.hdr.start = BASE + 8 * PAGE;
	start = 0;
	end = ~0ULL;
	EXPECT_FALSE(pts_diff_range(&a.img, &b.img, &start, &end));
	diff(&a, &b, &s);
	EXPECT_EQ(0, s.nrun);
	free_b(&a);
	free_b(&b);
}

/* ---- snapshot files ---------------------------------------------------- */

static char tmpl[] = "/tmp/ptscope-unit-XXXXXX";	/* mkstemp's template */

/* Write HDR (if any), then LEN bytes of RECS; the file's name. */
static const char *write_snap(const struct pts_snap_hdr *h, const void *recs, size_t len)
{
	static char name[sizeof(tmpl)];
	int fd;

	memcpy(name, tmpl, sizeof(tmpl));
	fd = mkstemp(name);
	if (fd < 0)
		return NULL;
	if ((h && write(fd, h, sizeof(*h)) != sizeof(*h)) ||
	    (len && write(fd, recs, len) != (ssize_t)len))
		name[0] = '\0';
	close(fd);
	return name;
}

struct stream {
	struct ptscope_header hdr;
	struct ptscope_vma vma;
	struct ptscope_leaf leaf;
	struct ptscope_end end;
};

static void make_stream(struct stream *st)
{
	memset(st, 0, sizeof(*st));
	st->hdr.hdr.type = PTSCOPE_REC_HEADER;
	st->hdr.hdr.size = sizeof(st->hdr);
	st->hdr.magic = PTSCOPE_MAGIC;
	st->hdr.abi_version = PTSCOPE_ABI_VERSION;
	st->hdr.op = PTSCOPE_OP_WALK;
	st->hdr.pid = 42;
	st->vma.hdr.type = PTSCOPE_REC_VMA;
	st->vma.hdr.size = sizeof(st->vma);
	st->vma.start = BASE;
	st->vma.end = BASE + 4 * PAGE;
	st->leaf.hdr.type = PTSCOPE_REC_LEAF;
	st->leaf.hdr.size = sizeof(st->leaf);
	st->leaf.va = BASE + PAGE;
	st->leaf.count = 1;
	st->leaf.pfn = 0x1234;
	st->leaf.flags = PTSCOPE_F_PRESENT | PTSCOPE_F_PFN_VALID;
	st->end.hdr.type = PTSCOPE_REC_END;
	st->end.hdr.size = sizeof(st->end);
	st->end.vmas = 1;
	st->end.leaves = 1;
}

static int open_load(const char *file, struct pts_snap_hdr *h, struct pts_image *img)
{
	struct pts_session s;
	int ret;

	memset(img, 0, sizeof(*img));
	ret = pts_snap_open(&s, file, h);
	if (!ret) {
		ret = pts_image_load(img, &s, NULL);
		pts_close(&s);
	}
	unlink(file);
	return ret;
}

TEST(snapshot_files)
{
	struct pts_snap_hdr h, got;
	struct pts_image img;
	struct stream st;

	pts_snap_init(&h, 42, "target");
	EXPECT_EQ(0, memcmp(h.magic, PTS_SNAP_MAGIC, 8));
	EXPECT_EQ(sizeof(h), h.size);
	make_stream(&st);
	ASSERT_EQ(0, open_load(write_snap(&h, &st, sizeof(st)), &got, &img));
	EXPECT_STREQ("target", got.comm);
	EXPECT_EQ(42, got.pid);
	EXPECT_EQ(1, img.nvma);
	ASSERT_EQ(1, img.nleaf);
	EXPECT_EQ(0x1234, img.leaf[0].pfn);
	pts_image_free(&img);

	/* cut short: no END */
	EXPECT_EQ(-EPROTO, open_load(write_snap(&h, &st, sizeof(st) - sizeof(st.end)),
				     &got, &img));
	pts_image_free(&img);
	/* cut inside a record */
	EXPECT_EQ(-EPROTO, open_load(write_snap(&h, &st, sizeof(st) - 3), &got, &img));
	pts_image_free(&img);
	/* not a snapshot; a header cut short */
	EXPECT_EQ(-EPROTO, open_load(write_snap(NULL, "hello", 5), &got, &img));
	EXPECT_EQ(-EPROTO, open_load(write_snap(NULL, &h, 20), &got, &img));
	/* a newer version is refused, a bigger header of this one is read */
	h.version = PTS_SNAP_VERSION + 1;
	EXPECT_EQ(-EPROTONOSUPPORT, open_load(write_snap(&h, &st, sizeof(st)), &got, &img));
	h.version = PTS_SNAP_VERSION;
	/* a leaf outside its VMA, a coalesced walk, leaves out of order */
	st.leaf.va = BASE + 8 * PAGE;
	EXPECT_EQ(-EPROTO, open_load(write_snap(&h, &st, sizeof(st)), &got, &img));
	pts_image_free(&img);
	make_stream(&st);
	st.hdr.flags = PTSCOPE_REQ_COALESCE;
	EXPECT_EQ(-EPROTO, open_load(write_snap(&h, &st, sizeof(st)), &got, &img));
	pts_image_free(&img);
	make_stream(&st);
	st.hdr.abi_version = PTSCOPE_ABI_VERSION + 1;
	EXPECT_EQ(-EPROTO, open_load(write_snap(&h, &st, sizeof(st)), &got, &img));
	pts_image_free(&img);
	EXPECT_EQ(-ENOENT, open_load("/nonexistent/x", &got, &img));
}

/* A snapshot of record ABI 2 (64-byte leaves, no folio) is read, converted. */
TEST(snapshot_abi2_leaves)
{
	struct {
		struct ptscope_header hdr;
		struct ptscope_vma vma;
		struct {
			struct ptscope_rec_hdr hdr;
			uint64_t va, entry, pfn, flags, swap_offset, count;
			uint32_t mapcount;
			uint8_t level, pkey, swap_type, reserved;
		} leaf;
		struct ptscope_end end;
	} f;
	struct pts_snap_hdr h, got;
	struct pts_image img;
	struct stream st;

	_Static_assert(sizeof(f.leaf) == 64, "ABI 2 leaf");
	make_stream(&st);
	memset(&f, 0, sizeof(f));
	f.hdr = st.hdr;
	f.hdr.abi_version = 2;
	f.vma = st.vma;
	f.leaf.hdr.type = PTSCOPE_REC_LEAF;
	f.leaf.hdr.size = sizeof(f.leaf);
	f.leaf.va = BASE + PAGE;
	f.leaf.pfn = 0x1234;
	f.leaf.flags = PTSCOPE_F_PRESENT | PTSCOPE_F_PFN_VALID | PTSCOPE_F_ANON_PAGE;
	f.leaf.count = 1;
	f.leaf.mapcount = 3;
	f.leaf.level = PTSCOPE_LVL_PTE;
	f.leaf.pkey = 5;
	f.leaf.swap_type = 0;
	f.end = st.end;
	pts_snap_init(&h, 42, "old");
	ASSERT_EQ(0, open_load(write_snap(&h, &f, sizeof(f)), &got, &img));
	ASSERT_EQ(1, img.nleaf);
	EXPECT_EQ(BASE + PAGE, img.leaf[0].va);
	EXPECT_EQ(0x1234, img.leaf[0].pfn);
	EXPECT_EQ(3, img.leaf[0].mapcount);
	EXPECT_EQ(5, img.leaf[0].pkey);
	EXPECT_EQ(PTSCOPE_F_PRESENT | PTSCOPE_F_PFN_VALID | PTSCOPE_F_ANON_PAGE,
		  img.leaf[0].flags);
	EXPECT_EQ(sizeof(struct ptscope_leaf), img.leaf[0].hdr.size);
	EXPECT_TRUE(img.hdr.flags & PTSCOPE_HDR_NO_FOLIO);
	pts_image_free(&img);
	/* ABI 1 never wrote snapshots: refused */
	f.hdr.abi_version = 1;
	EXPECT_EQ(-EPROTO, open_load(write_snap(&h, &f, sizeof(f)), &got, &img));
	pts_image_free(&img);
}

TEST(snapshot_bigger_header)
{
	struct {
		struct pts_snap_hdr h;
		char more[24];
		struct stream st;
	} f;
	struct pts_snap_hdr got;
	struct pts_image img;
	const char *name;

	memset(&f, 0, sizeof(f));
	pts_snap_init(&f.h, 7, "x");
	f.h.size = sizeof(f.h) + sizeof(f.more);
	make_stream(&f.st);
	name = write_snap(NULL, &f, sizeof(f));
	ASSERT_EQ(0, open_load(name, &got, &img));
	EXPECT_EQ(1, img.nleaf);
	pts_image_free(&img);
}

TEST_HARNESS_MAIN
