// SPDX-License-Identifier: GPL-2.0
/*
 * The fault classes (tools/ptscope/faultclass.c) and the model
 * (tools/ptscope/model.c) on made-up events: each class of fault bears on
 * the claims the model's table says, with the verdict its entries
 * decide, and the report's numbers add up from the events.  The guest's
 * trace_test checks the same against real faults and the kernel's
 * counters; this one covers the cases a guest cannot make on demand (a
 * huge zero page, a 1 GiB leaf, a shared-mapping write).
 */
#include <string.h>

#include "kselftest_harness.h"
#include "../../tools/ptscope/faultclass.c"
#include "../../tools/ptscope/model.c"

#define ZERO_PFN	0x1234ULL
#define VA		0x7f0000021000ULL	/* page 1 of the window at ...20000 */

static const struct model_env env_on = { .zero_pfn = ZERO_PFN, .fault_around_bytes = 65536 };
static const struct model_env env_off = { .zero_pfn = ZERO_PFN, .fault_around_bytes = 4096 };

static uint64_t pte(uint64_t pfn, bool rw)
{
	return FT_E_PRESENT | FT_E_USER | FT_E_ACCESSED | (rw ? FT_E_RW | FT_E_DIRTY : 0) |
	       pfn << 12;
}

static struct ft_event ev(int backing, int access, int outcome)
{
	struct ft_event e;

	memset(&e, 0, sizeof(e));
	e.address = VA;
	e.vm_start = VA - 0x21000;
	e.vm_end = VA + 0x100000;
	e.backing = backing;
	e.access = access;
	e.outcome = outcome;
	e.cause = FT_CAUSE_NOT_PRESENT;
	e.vm_flags = FT_VMA_READ | FT_VMA_WRITE;
	e.before.status = FT_WALK_NONE;
	e.before.level = FT_LVL_PTE;
	e.after.status = FT_WALK_LEAF;
	e.after.level = FT_LVL_PTE;
	return e;
}

/* Classify and tag E: the number of tags. */
static int run(struct model *m, const struct ft_event *e, enum ft_class want,
	       struct model_tag *tags)
{
	int nb;
	enum ft_class cls = ft_classify(e, m->env.zero_pfn, &nb);

	if (cls != want)
		return -100 - (int)cls;
	return model_event(m, e, cls, nb, tags);
}

static bool has(const struct model_tag *t, int n, enum model_claim c, enum model_verdict v)
{
	int i;

	for (i = 0; i < n; i++)
		if (t[i].claim == c)
			return t[i].verdict == v && t[i].note[0];
	return false;
}

static const struct model_result *find(const struct model_result *r, int n,
				       enum model_claim c)
{
	int i;

	for (i = 0; i < n; i++)
		if (r[i].claim == c)
			return &r[i];
	return NULL;
}

static uint64_t kv(const struct model_kv *kv, int n, const char *key)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(kv[i].key, key))
			return kv[i].v;
	return UINT64_MAX;
}

TEST(anonymous_first_touches)
{
	struct model_tag t[MODEL_MAX_TAGS];
	struct model_result r[MC_NR];
	const struct model_result *m4, *m13;
	struct ft_event w = ev(FT_BACK_ANON, FT_ACC_WRITE, FT_MINOR);
	struct ft_event rd = ev(FT_BACK_ANON, FT_ACC_READ, FT_MINOR);
	struct ft_event cz = ev(FT_BACK_ANON, FT_ACC_WRITE, FT_MINOR);
	struct model m;
	int i, n;

	model_init(&m, &env_on);
	w.after.entry = pte(0x5000, true);
	rd.after.entry = pte(ZERO_PFN, false);
	cz.cause = FT_CAUSE_PROTECTION;
	cz.before.status = FT_WALK_LEAF;
	cz.before.entry = pte(ZERO_PFN, false);
	cz.after.entry = pte(0x6000, true);

	/* 5 writes, 3 reads of untouched memory. */
	for (i = 0; i < 5; i++) {
		n = run(&m, &w, CL_DEMAND_ZERO, t);
		ASSERT_EQ(2, n);
		EXPECT_TRUE(has(t, n, MC_M4, MV_HOLDS));
		EXPECT_TRUE(has(t, n, MC_M13, MV_DIFF));
	}
	for (i = 0; i < 3; i++) {
		n = run(&m, &rd, CL_ZERO_PAGE, t);
		ASSERT_EQ(2, n);
		EXPECT_TRUE(has(t, n, MC_M4, MV_DIFF));
		EXPECT_TRUE(has(t, n, MC_M13, MV_DIFF));
	}
	n = model_report(&m, r);
	ASSERT_EQ(2, n);
	m4 = find(r, n, MC_M4);
	ASSERT_NE(NULL, m4);
	EXPECT_EQ(8, m4->events);
	EXPECT_EQ(8, kv(m4->predicted, m4->npredicted, "pages"));
	EXPECT_EQ(8, kv(m4->predicted, m4->npredicted, "faults"));
	EXPECT_EQ(8, kv(m4->observed, m4->nobserved, "faults"));
	EXPECT_EQ(3, kv(m4->observed, m4->nobserved, "zero_page"));
	EXPECT_EQ(MV_DIFF, m4->verdict);
	EXPECT_NE(NULL, strstr(m4->evidence, "3 first reads"));
	EXPECT_EQ(NULL, strstr(m4->evidence, "huge"));

	/* A write after the read: the frame at the second fault; not M11. */
	n = run(&m, &cz, CL_COW, t);
	ASSERT_EQ(2, n);
	EXPECT_TRUE(has(t, n, MC_M4, MV_DIFF));
	EXPECT_TRUE(has(t, n, MC_M13, MV_DIFF));
	n = model_report(&m, r);
	EXPECT_EQ(NULL, find(r, n, MC_M11));
	m4 = find(r, n, MC_M4);
	m13 = find(r, n, MC_M13);
	ASSERT_NE(NULL, m4);
	ASSERT_NE(NULL, m13);
	EXPECT_EQ(9, kv(m4->observed, m4->nobserved, "faults"));
	EXPECT_EQ(8, kv(m4->predicted, m4->npredicted, "faults"));
	EXPECT_EQ(1, kv(m4->observed, m4->nobserved, "write_after_zero_page"));
	EXPECT_EQ(8, kv(m13->predicted, m13->npredicted, "zeroed_frames"));
	EXPECT_EQ(6, kv(m13->observed, m13->nobserved, "new_frames"));
	EXPECT_EQ(3, kv(m13->observed, m13->nobserved, "zero_page"));
	EXPECT_EQ(1, kv(m13->observed, m13->nobserved, "zero_page_copies"));

	/* One of a kind: singular nouns. */
	EXPECT_NE(NULL, strstr(m4->observed_text, "9 faults: 8 first touches"));
	EXPECT_NE(NULL, strstr(m4->observed_text, "1 write after"));
	EXPECT_NE(NULL, strstr(m4->evidence, "1 write after such a read"));
	EXPECT_NE(NULL, strstr(m13->observed_text, "(1 replacing"));

	/* Writes only: M4 holds. */
	model_init(&m, &env_on);
	run(&m, &w, CL_DEMAND_ZERO, t);
	n = model_report(&m, r);
	m4 = find(r, n, MC_M4);
	ASSERT_NE(NULL, m4);
	EXPECT_EQ(MV_HOLDS, m4->verdict);
}

TEST(copy_on_write)
{
	struct model_tag t[MODEL_MAX_TAGS];
	struct model_result r[MC_NR];
	const struct model_result *m11;
	struct ft_event c = ev(FT_BACK_ANON, FT_ACC_WRITE, FT_MINOR), u;
	struct model m;
	int n;

	model_init(&m, &env_on);
	c.cause = FT_CAUSE_PROTECTION;
	c.before.status = FT_WALK_LEAF;
	c.before.entry = pte(0x7000, false);
	c.after.entry = pte(0x8000, true);
	u = c;
	u.after.entry = pte(0x7000, true);

	n = run(&m, &c, CL_COW, t);
	ASSERT_EQ(1, n);
	EXPECT_TRUE(has(t, n, MC_M11, MV_HOLDS));
	EXPECT_NE(NULL, strstr(t[0].note, "0x7000 -> 0x8000"));
	n = model_report(&m, r);
	m11 = find(r, n, MC_M11);
	ASSERT_NE(NULL, m11);
	EXPECT_EQ(MV_HOLDS, m11->verdict);

	n = run(&m, &u, CL_WP_REUSE, t);
	ASSERT_EQ(1, n);
	EXPECT_TRUE(has(t, n, MC_M11, MV_DIFF));
	n = model_report(&m, r);
	m11 = find(r, n, MC_M11);
	ASSERT_NE(NULL, m11);
	EXPECT_EQ(2, kv(m11->predicted, m11->npredicted, "copies"));
	EXPECT_EQ(1, kv(m11->observed, m11->nobserved, "copies"));
	EXPECT_EQ(1, kv(m11->observed, m11->nobserved, "reused"));
	EXPECT_EQ(MV_DIFF, m11->verdict);

	/* A shared mapping made writable (dirty tracking) is not COW. */
	u.vm_flags |= FT_VMA_SHARED;
	u.backing = FT_BACK_FILE;
	EXPECT_EQ(0, run(&m, &u, CL_WP_REUSE, t));
}

TEST(file_faults_and_fault_around)
{
	struct model_tag t[MODEL_MAX_TAGS];
	struct model_result r[MC_NR];
	const struct model_result *m5, *m17;
	struct ft_event fa = ev(FT_BACK_FILE, FT_ACC_READ, FT_MINOR), one, wr;
	struct model m;
	int n;

	model_init(&m, &env_on);
	fa.after.entry = pte(0x9000, false);
	fa.after.window = 16;
	one = fa;
	one.after.window = 1;

	n = run(&m, &fa, CL_FAULT_AROUND, t);
	ASSERT_EQ(2, n);
	EXPECT_TRUE(has(t, n, MC_M5, MV_HOLDS));
	EXPECT_TRUE(has(t, n, MC_M17, MV_DIFF));
	/* No neighbour although 15 were empty, fault-around on: a difference. */
	n = run(&m, &one, CL_FILE, t);
	ASSERT_EQ(2, n);
	EXPECT_TRUE(has(t, n, MC_M5, MV_DIFF));
	EXPECT_TRUE(has(t, n, MC_M17, MV_HOLDS));
	n = model_report(&m, r);
	m5 = find(r, n, MC_M5);
	m17 = find(r, n, MC_M17);
	ASSERT_NE(NULL, m5);
	ASSERT_NE(NULL, m17);
	EXPECT_EQ(2, kv(m5->predicted, m5->npredicted, "faults_with_neighbours"));
	EXPECT_EQ(1, kv(m5->observed, m5->nobserved, "faults_with_neighbours"));
	EXPECT_EQ(15, kv(m5->observed, m5->nobserved, "neighbours"));
	EXPECT_EQ(MV_DIFF, m5->verdict);
	EXPECT_EQ(2, kv(m17->predicted, m17->npredicted, "pages_mapped"));
	EXPECT_EQ(17, kv(m17->observed, m17->nobserved, "pages_mapped"));
	EXPECT_EQ(MV_DIFF, m17->verdict);

	/* Fault-around off: M5 does not hold. */
	model_init(&m, &env_off);
	n = run(&m, &one, CL_FILE, t);
	EXPECT_TRUE(has(t, n, MC_M5, MV_NOT));
	n = model_report(&m, r);
	m5 = find(r, n, MC_M5);
	ASSERT_NE(NULL, m5);
	EXPECT_EQ(MV_NOT, m5->verdict);

	/* A full window (nothing empty around it) bears on M17 only. */
	model_init(&m, &env_on);
	one.before.window = 15;
	one.after.window = 16;
	n = run(&m, &one, CL_FILE, t);
	ASSERT_EQ(1, n);
	EXPECT_TRUE(has(t, n, MC_M17, MV_HOLDS));
	/* A write to a shared file mapping: no fault-around (M5), M17. */
	wr = fa;
	wr.access = FT_ACC_WRITE;
	wr.vm_flags |= FT_VMA_SHARED;
	wr.after.entry = pte(0x9000, true);
	wr.after.window = 1;
	n = run(&m, &wr, CL_FILE, t);
	ASSERT_EQ(1, n);
	EXPECT_TRUE(has(t, n, MC_M17, MV_HOLDS));
	/* Private: a copy of the page-cache page (M11) of a touched page (M17). */
	wr.vm_flags &= ~FT_VMA_SHARED;
	n = run(&m, &wr, CL_COW, t);
	ASSERT_EQ(2, n);
	EXPECT_TRUE(has(t, n, MC_M11, MV_HOLDS));
	EXPECT_TRUE(has(t, n, MC_M17, MV_HOLDS));
}

TEST(swap_in)
{
	struct model_tag t[MODEL_MAX_TAGS];
	struct model_result r[MC_NR];
	const struct model_result *m8;
	struct ft_event s = ev(FT_BACK_ANON, FT_ACC_READ, FT_MAJOR), c;
	struct model m;
	int n;

	model_init(&m, &env_on);
	s.before.status = FT_WALK_NONPRESENT;
	/* type 1, offset 0x42: stored inverted (L1TF) */
	s.before.entry = (1ULL << 59) | ((~0x42ULL << 9) & ((1ULL << 59) - 1) & ~0x1ffULL);
	s.after.entry = pte(0xa000, false);
	c = s;
	c.outcome = FT_MINOR;

	n = run(&m, &s, CL_SWAP_IN, t);
	ASSERT_EQ(1, n);
	EXPECT_TRUE(has(t, n, MC_M8, MV_HOLDS));
	EXPECT_NE(NULL, strstr(t[0].note, "type 1, offset 0x42"));
	n = model_report(&m, r);
	m8 = find(r, n, MC_M8);
	ASSERT_NE(NULL, m8);
	EXPECT_EQ(MV_HOLDS, m8->verdict);
	n = run(&m, &c, CL_SWAP_IN, t);
	EXPECT_TRUE(has(t, n, MC_M8, MV_DIFF));
	n = model_report(&m, r);
	m8 = find(r, n, MC_M8);
	ASSERT_NE(NULL, m8);
	EXPECT_EQ(2, kv(m8->predicted, m8->npredicted, "major"));
	EXPECT_EQ(1, kv(m8->observed, m8->nobserved, "major"));
	EXPECT_EQ(1, kv(m8->observed, m8->nobserved, "swap_cache"));
	EXPECT_EQ(MV_DIFF, m8->verdict);
}

TEST(huge_pages)
{
	struct model_tag t[MODEL_MAX_TAGS];
	struct model_result r[MC_NR];
	const struct model_result *m4, *m15, *m13;
	struct ft_event h = ev(FT_BACK_ANON, FT_ACC_WRITE, FT_MINOR), z;
	struct model m;
	int n;

	model_init(&m, &(struct model_env){ .zero_pfn = ZERO_PFN,
				.huge_zero_pfn = 0x40000, .fault_around_bytes = 65536 });
	h.before.level = FT_LVL_PMD;
	h.after.level = FT_LVL_PMD;
	h.after.entry = pte(0x200000 >> 12 << 9, true) | FT_E_PSE;
	n = run(&m, &h, CL_THP, t);
	ASSERT_EQ(3, n);
	EXPECT_TRUE(has(t, n, MC_M15, MV_HOLDS));
	EXPECT_TRUE(has(t, n, MC_M4, MV_DIFF));
	EXPECT_TRUE(has(t, n, MC_M13, MV_DIFF));
	/* A read: the huge zero page, read-only. */
	z = h;
	z.access = FT_ACC_READ;
	z.after.entry = pte(0x400000 >> 12 << 9, false) | FT_E_PSE;
	n = run(&m, &z, CL_THP, t);
	ASSERT_EQ(3, n);
	n = model_report(&m, r);
	m4 = find(r, n, MC_M4);
	m13 = find(r, n, MC_M13);
	m15 = find(r, n, MC_M15);
	ASSERT_NE(NULL, m4);
	ASSERT_NE(NULL, m13);
	ASSERT_NE(NULL, m15);
	EXPECT_EQ(1024, kv(m4->predicted, m4->npredicted, "pages"));
	EXPECT_EQ(2, kv(m4->observed, m4->nobserved, "faults"));
	EXPECT_EQ(2, kv(m4->observed, m4->nobserved, "huge"));
	EXPECT_EQ(MV_DIFF, m4->verdict);
	EXPECT_EQ(1, kv(m13->observed, m13->nobserved, "zero_page"));
	EXPECT_EQ(1, kv(m13->observed, m13->nobserved, "new_frames"));
	EXPECT_EQ(2, kv(m15->observed, m15->nobserved, "huge_leaves"));
	EXPECT_EQ(1024, kv(m15->observed, m15->nobserved, "pages"));
	EXPECT_EQ(1022, kv(m15->predicted, m15->npredicted, "faults_saved"));
	/* A 1 GiB leaf. */
	h.after.level = FT_LVL_PUD;
	EXPECT_EQ(262144, ft_leaf_pages(&h.after));
}

/* A window other than the tracer's 64 KiB: no M5 verdict, M17 still. */
TEST(fault_around_window_other_than_64k)
{
	static const struct model_env env16k = { .zero_pfn = ZERO_PFN,
						  .fault_around_bytes = 16384 };
	struct model_tag t[MODEL_MAX_TAGS];
	struct ft_event one = ev(FT_BACK_FILE, FT_ACC_READ, FT_MINOR);
	struct model m;
	int n;

	model_init(&m, &env16k);
	one.after.entry = pte(0x9000, false);
	one.after.window = 1;
	n = run(&m, &one, CL_FILE, t);
	ASSERT_EQ(1, n);
	EXPECT_TRUE(has(t, n, MC_M17, MV_HOLDS));
	EXPECT_EQ(0, m.events[MC_M5]);
}

/* A THP mapped over a PMD migration entry is no first touch. */
TEST(thp_after_migration_is_no_first_touch)
{
	struct model_tag t[MODEL_MAX_TAGS];
	struct ft_event h = ev(FT_BACK_ANON, FT_ACC_WRITE, FT_MINOR);
	struct model m;
	int n;

	model_init(&m, &env_on);
	h.before.level = FT_LVL_PMD;
	h.before.status = FT_WALK_NONPRESENT;
	h.before.entry = 0x7c00000000000000ULL;	/* a non-present, non-empty PMD */
	h.after.level = FT_LVL_PMD;
	h.after.entry = pte(0x200000 >> 12 << 9, true) | FT_E_PSE;
	n = run(&m, &h, CL_THP, t);
	ASSERT_EQ(1, n);
	EXPECT_TRUE(has(t, n, MC_M15, MV_HOLDS));
	EXPECT_EQ(0, m.events[MC_M4]);
	EXPECT_EQ(0, m.events[MC_M13]);
}

TEST(no_claim_for_the_rest)
{
	struct model_tag t[MODEL_MAX_TAGS];
	struct model_result r[MC_NR];
	struct ft_event e = ev(FT_BACK_ANON, FT_ACC_WRITE, FT_RETRY);
	struct model m;

	model_init(&m, &env_on);
	EXPECT_EQ(0, run(&m, &e, CL_RETRY, t));
	e.outcome = FT_ERROR;
	EXPECT_EQ(0, run(&m, &e, CL_ERROR, t));
	e.outcome = FT_MINOR;
	e.before = e.after;
	e.before.entry = e.after.entry = pte(0x5000, true);
	EXPECT_EQ(0, run(&m, &e, CL_SPURIOUS, t));
	EXPECT_EQ(0, model_report(&m, r));
}

TEST(json_shapes)
{
	struct model_tag t[MODEL_MAX_TAGS];
	struct model_result r[MC_NR];
	struct ft_event w = ev(FT_BACK_ANON, FT_ACC_WRITE, FT_MINOR);
	json_object *a, *o, *v;
	struct model m;
	int n;

	model_init(&m, &env_on);
	w.after.entry = pte(0x5000, true);
	n = run(&m, &w, CL_DEMAND_ZERO, t);
	a = model_tags_json(t, n);
	ASSERT_EQ(2, json_object_array_length(a));
	o = json_object_array_get_idx(a, 0);
	ASSERT_TRUE(json_object_object_get_ex(o, "claim", &v));
	EXPECT_STREQ("M4", json_object_get_string(v));
	ASSERT_TRUE(json_object_object_get_ex(o, "verdict", &v));
	EXPECT_STREQ("holds", json_object_get_string(v));
	EXPECT_TRUE(json_object_object_get_ex(o, "note", NULL));
	json_object_put(a);

	n = model_report(&m, r);
	a = model_report_json(r, n);
	ASSERT_EQ(2, json_object_array_length(a));
	o = json_object_array_get_idx(a, 0);
	ASSERT_TRUE(json_object_object_get_ex(o, "predicted", &v));
	ASSERT_TRUE(json_object_object_get_ex(v, "faults", &v));
	EXPECT_EQ(1, json_object_get_int64(v));
	EXPECT_TRUE(json_object_object_get_ex(o, "observed", NULL));
	EXPECT_TRUE(json_object_object_get_ex(o, "events", NULL));
	EXPECT_TRUE(json_object_object_get_ex(o, "evidence", NULL));
	ASSERT_TRUE(json_object_object_get_ex(o, "verdict", &v));
	EXPECT_STREQ("holds", json_object_get_string(v));
	json_object_put(a);
}

/*
 * Review of issue 16: what the kernels do that the first model got wrong
 * (each case seen in a 6.1 or 6.12 guest; tests/review has the runs).
 */
#define HZ_PFN		0x4400ULL	/* the huge zero page */

static const struct model_env env_hz = {
	.zero_pfn = ZERO_PFN, .huge_zero_pfn = HZ_PFN, .fault_around_bytes = 65536,
};

TEST(huge_zero_page_by_frame)
{
	struct model_tag t[MODEL_MAX_TAGS];
	struct model_result r[MC_NR];
	const struct model_result *m13;
	struct ft_event rd = ev(FT_BACK_ANON, FT_ACC_READ, FT_MINOR), w;
	struct model m;
	int n;

	model_init(&m, &env_hz);
	rd.address = 0x7f0000200000ULL;
	rd.vm_start = rd.address;
	rd.vm_end = rd.address + 0x200000;
	rd.before.level = FT_LVL_PMD;
	rd.after.level = FT_LVL_PMD;
	/* use_zero_page=0, PROT_READ: a THP of its own, mapped read-only */
	rd.after.entry = pte(0x5200, false) | FT_E_PSE;
	n = run(&m, &rd, CL_THP, t);
	ASSERT_EQ(3, n);
	EXPECT_EQ(NULL, strstr(t[2].note, "zero page"));
	/* the huge zero page, then a write to page 3 of it */
	rd.after.entry = pte(HZ_PFN, false) | FT_E_PSE;
	n = run(&m, &rd, CL_THP, t);
	ASSERT_EQ(3, n);
	EXPECT_NE(NULL, strstr(t[2].note, "huge zero page"));
	w = rd;
	w.access = FT_ACC_WRITE;
	w.cause = FT_CAUSE_PROTECTION;
	w.address += 3 * 4096;
	w.before = rd.after;
	w.after.level = FT_LVL_PTE;
	w.after.entry = pte(0x3763, true);
	n = run(&m, &w, CL_COW, t);
	ASSERT_EQ(2, n);
	EXPECT_TRUE(has(t, n, MC_M4, MV_DIFF));
	EXPECT_TRUE(has(t, n, MC_M13, MV_DIFF));
	EXPECT_FALSE(has(t, n, MC_M11, MV_HOLDS));
	n = model_report(&m, r);
	EXPECT_EQ(NULL, find(r, n, MC_M11));
	m13 = find(r, n, MC_M13);
	ASSERT_NE(NULL, m13);
	EXPECT_EQ(1, kv(m13->observed, m13->nobserved, "zero_page"));
	EXPECT_EQ(1, kv(m13->observed, m13->nobserved, "zero_page_copies"));
}

TEST(cow_of_a_huge_page_names_the_subpage)
{
	struct model_tag t[MODEL_MAX_TAGS];
	struct ft_event w = ev(FT_BACK_ANON, FT_ACC_WRITE, FT_MINOR);
	struct model m;
	int n;

	model_init(&m, &env_hz);
	w.address = 0x7f0000203000ULL;
	w.before.status = FT_WALK_LEAF;
	w.before.level = FT_LVL_PMD;
	w.before.entry = pte(0x8000, false) | FT_E_PSE;
	w.after.entry = pte(0x9999, true);
	n = run(&m, &w, CL_COW, t);
	ASSERT_EQ(1, n);
	EXPECT_TRUE(has(t, n, MC_M11, MV_HOLDS));
	EXPECT_NE(NULL, strstr(t[0].note, "pfn 0x8003 -> 0x9999"));
}

TEST(write_protection_without_sharing_is_not_cow)
{
	struct model_tag t[MODEL_MAX_TAGS];
	struct ft_event w = ev(FT_BACK_ANON, FT_ACC_WRITE, FT_MINOR), s, o;
	struct model m;
	int n;

	model_init(&m, &env_on);
	/* clear_refs 4: write bit and soft-dirty bit cleared together */
	w.cause = FT_CAUSE_PROTECTION;
	w.before.status = FT_WALK_LEAF;
	w.before.entry = pte(0x2f43, false);
	w.after.entry = pte(0x2f43, true) | FT_E_SOFT_DIRTY;
	EXPECT_EQ(0, run(&m, &w, CL_WP_REUSE, t));
	/* 6.1: a read swap-in maps the page read-only; then a write */
	s = ev(FT_BACK_ANON, FT_ACC_READ, FT_MAJOR);
	s.before.status = FT_WALK_NONPRESENT;
	s.before.entry = (~(0x200ULL << 9)) & ((1ULL << 59) - 1) & ~0x1ffULL;
	s.after.entry = pte(0x569b, false) | FT_E_SOFT_DIRTY;
	n = run(&m, &s, CL_SWAP_IN, t);
	EXPECT_TRUE(has(t, n, MC_M8, MV_HOLDS));
	w.before = s.after;
	w.after.entry = pte(0x569b, true) | FT_E_SOFT_DIRTY;
	EXPECT_EQ(0, run(&m, &w, CL_WP_REUSE, t));
	/* after a fork whose other side is gone: M11 with a difference */
	o = w;
	o.address += 4096;
	n = run(&m, &o, CL_WP_REUSE, t);
	EXPECT_TRUE(has(t, n, MC_M11, MV_DIFF));
}

TEST(swap_in_that_maps_nothing)
{
	struct model_tag t[MODEL_MAX_TAGS];
	struct ft_event s = ev(FT_BACK_ANON, FT_ACC_READ, FT_MINOR);
	struct model m;

	model_init(&m, &env_on);
	s.before.status = FT_WALK_NONPRESENT;
	s.before.entry = (~(0x42ULL << 9)) & ((1ULL << 59) - 1) & ~0x1ffULL;
	s.after = s.before;
	EXPECT_EQ(0, run(&m, &s, CL_SPURIOUS, t));
}

TEST(large_folio_first_touch)
{
	struct model_tag t[MODEL_MAX_TAGS];
	struct model_result r[MC_NR];
	const struct model_result *m4;
	struct ft_event w = ev(FT_BACK_ANON, FT_ACC_WRITE, FT_MINOR);
	struct model m;
	int n;

	model_init(&m, &env_on);
	w.after.entry = pte(0x7000, true);
	w.after.window = 16;	/* 6.12 with 64 KiB mTHP: 16 entries at once */
	n = run(&m, &w, CL_DEMAND_ZERO, t);
	EXPECT_TRUE(has(t, n, MC_M4, MV_DIFF));
	n = model_report(&m, r);
	m4 = find(r, n, MC_M4);
	ASSERT_NE(NULL, m4);
	EXPECT_EQ(16, kv(m4->predicted, m4->npredicted, "pages"));
	EXPECT_EQ(1, kv(m4->observed, m4->nobserved, "large_folio"));
	EXPECT_EQ(MV_DIFF, m4->verdict);
}

TEST(major_file_fault_neighbours_may_be_read_ahead)
{
	struct model_tag t[MODEL_MAX_TAGS];
	struct ft_event f = ev(FT_BACK_FILE, FT_ACC_READ, FT_MAJOR);
	struct model m;
	int n, i;

	model_init(&m, &env_on);
	f.after.entry = pte(0x3818, false);
	f.after.window = 15;
	n = run(&m, &f, CL_FAULT_AROUND, t);
	for (i = 0; i < n; i++)
		if (t[i].claim == MC_M17)
			EXPECT_EQ(NULL, strstr(t[i].note, "already cached"));
}

/*
 * The latency histogram of "trace --summary" (faulttrace.h): every
 * latency falls in the bucket whose range holds it, buckets follow each
 * other without gap or overlap, and none is wider than 1/FT_LAT_SUB of
 * its values, up to the last one.
 */
TEST(latency_buckets)
{
	uint64_t v, lo, prev_end = 0;
	__u64 w;
	uint32_t b;
	int bit;

	for (b = 0; b < FT_LAT_BUCKETS; b++) {
		lo = ft_lat_lo(b, &w);
		ASSERT_EQ(prev_end, lo);
		ASSERT_LE(w * FT_LAT_SUB, lo > FT_LAT_SUB ? lo : FT_LAT_SUB);
		ASSERT_EQ(b, ft_lat_bucket(lo));
		ASSERT_EQ(b, ft_lat_bucket(lo + w - 1));
		prev_end = lo + w;
	}
	ASSERT_EQ(1ULL << FT_LAT_MAX_BIT, prev_end);
	for (bit = 0; bit < 64; bit++) {
		for (v = 1ULL << bit; v && v < (2ULL << bit) - 1 && v < (1ULL << bit) + 1000;
		     v += 1 + v / 300) {
			b = ft_lat_bucket(v);
			lo = ft_lat_lo(b, &w);
			if (v < 1ULL << FT_LAT_MAX_BIT) {
				ASSERT_TRUE(lo <= v && v < lo + w);
			} else {
				ASSERT_EQ(FT_LAT_BUCKETS - 1, b);
			}
		}
	}
	ASSERT_EQ(0, ft_lat_bucket(0));
}

TEST_HARNESS_MAIN
