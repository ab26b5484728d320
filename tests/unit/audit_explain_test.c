// SPDX-License-Identifier: GPL-2.0
/*
 * The rules of `ptscope audit` (tools/ptscope/audit_rules.c) and the
 * explanations of non-present entries (tools/ptscope/explain.c) on
 * hand-made records: each finding kind, the PAT decoding of all eight
 * indexes in both layouts, the merging of runs, the PTI comparison; each
 * non-present kind, the file offset and end of file, and the rule that
 * names a swap device from /proc/swaps.  The guests' audit_test and
 * explain_test check the same against the kernel's answers where a guest
 * can make the case; this covers the cases it cannot (write-combining,
 * wider than the VMA, a PTI mismatch, migration, hwpoison, several swap
 * areas).
 */
#include <string.h>

#include "kselftest_harness.h"
#include "../../tools/ptscope/audit_rules.c"
#include "../../tools/ptscope/explain.c"

#define P	PTSCOPE_F_PRESENT
#define U	PTSCOPE_F_USER
#define RW	PTSCOPE_F_RW
#define NX	PTSCOPE_F_NX

static struct ptscope_leaf leaf(unsigned long long va, unsigned long long flags)
{
	struct ptscope_leaf l = { .va = va, .flags = flags, .count = 1,
				  .level = PTSCOPE_LVL_PTE };

	return l;
}

static int hits_of(const struct aud_vma *v, unsigned long long flags,
		   struct aud_hit *h)
{
	struct ptscope_leaf l = leaf(0x1000, flags);

	return aud_check_leaf(v, &l, AUD_PAT_LINUX, h);
}

static bool has(const struct aud_hit *h, int n, enum aud_kind k)
{
	int i;

	for (i = 0; i < n; i++)
		if (h[i].kind == k)
			return true;
	return false;
}

static const struct aud_vma rw_anon = {
	PTSCOPE_VMA_READ | PTSCOPE_VMA_WRITE, PTSCOPE_BACK_ANON, ""
};
static const struct aud_vma rwx_anon = {
	PTSCOPE_VMA_READ | PTSCOPE_VMA_WRITE | PTSCOPE_VMA_EXEC, PTSCOPE_BACK_ANON, ""
};
static const struct aud_vma rx_file = {
	PTSCOPE_VMA_READ | PTSCOPE_VMA_EXEC, PTSCOPE_BACK_FILE, "/usr/bin/x"
};
static const struct aud_vma r_file = {
	PTSCOPE_VMA_READ, PTSCOPE_BACK_FILE, "/usr/lib/x.so"
};

TEST(ordinary_leaves_have_no_finding)
{
	struct aud_hit h[AUD_NR];

	EXPECT_EQ(0, hits_of(&rw_anon, P | U | RW | NX, h));
	EXPECT_EQ(0, hits_of(&rx_file, P | U | PTSCOPE_F_FILE_PAGE, h));
	EXPECT_EQ(0, hits_of(&r_file, P | U | NX, h));
	/* a non-present entry, even with the bits of a PROT_NONE page */
	EXPECT_EQ(0, hits_of(&rw_anon, U | RW | PTSCOPE_F_PROTNONE, h));
}

TEST(writable_executable)
{
	struct aud_hit h[AUD_NR];
	int n = hits_of(&rwx_anon, P | U | RW, h);

	EXPECT_TRUE(has(h, n, AUD_WX));
	EXPECT_TRUE(has(h, n, AUD_EXEC_ANON));
	EXPECT_FALSE(has(h, n, AUD_WIDER));
	EXPECT_EQ(2, n);
}

TEST(wider_than_vma)
{
	static const struct aud_vma none = { 0, PTSCOPE_BACK_ANON, "" };
	struct aud_hit h[AUD_NR];
	int n;

	n = hits_of(&r_file, P | U | RW | NX, h);	/* rw in r-- */
	ASSERT_EQ(1, n);
	EXPECT_EQ(AUD_WIDER, h[0].kind);
	EXPECT_NE(NULL, strstr(h[0].detail, "without write permission"));
	n = hits_of(&r_file, P | U, h);		/* exec in r-- */
	ASSERT_EQ(1, n);
	EXPECT_NE(NULL, strstr(h[0].detail, "without exec permission"));
	EXPECT_EQ(NULL, strstr(h[0].detail, "write permission"));
	n = hits_of(&none, P | U | NX, h);	/* present in PROT_NONE */
	ASSERT_EQ(1, n);
	EXPECT_NE(NULL, strstr(h[0].detail, "no access"));
}

TEST(pat_layouts)
{
	static const char *const linux_types[8] = {
		"WB", "WC", "UC-", "UC", "WB", "WP", "UC-", "WT"
	};
	static const char *const legacy[8] = {
		"WB", "WT", "UC-", "UC", "WB", "WT", "UC-", "UC"
	};
	int i, idx;

	for (i = 0; i < 8; i++) {
		unsigned long long f = (i & 4 ? PTSCOPE_F_PAT : 0) |
				       (i & 2 ? PTSCOPE_F_PCD : 0) |
				       (i & 1 ? PTSCOPE_F_PWT : 0);

		EXPECT_STREQ(linux_types[i], aud_memtype(f, AUD_PAT_LINUX, &idx));
		EXPECT_EQ(i, idx);
		EXPECT_STREQ(legacy[i], aud_memtype(f, AUD_PAT_NONE, &idx));
	}
}

TEST(memory_type_findings)
{
	struct aud_hit h[AUD_NR];
	int n;

	n = hits_of(&rw_anon, P | U | RW | NX | PTSCOPE_F_PWT, h);
	ASSERT_EQ(1, n);
	EXPECT_EQ(AUD_CACHE, h[0].kind);
	EXPECT_EQ(0, strncmp(h[0].detail, "WC: write-combining", 19)) TH_LOG("%s", h[0].detail);
	n = hits_of(&rw_anon, P | U | RW | NX | PTSCOPE_F_PCD | PTSCOPE_F_PWT, h);
	ASSERT_EQ(1, n);
	EXPECT_EQ(0, strncmp(h[0].detail, "UC: uncached", 12)) TH_LOG("%s", h[0].detail);
	n = hits_of(&rw_anon, P | U | RW | NX | PTSCOPE_F_PCD, h);
	ASSERT_EQ(1, n);
	EXPECT_EQ(0, strncmp(h[0].detail, "UC-:", 4));
	/* index 4 is write-back too, but Linux never uses it */
	n = hits_of(&rw_anon, P | U | RW | NX | PTSCOPE_F_PAT, h);
	ASSERT_EQ(1, n);
	EXPECT_EQ(0, strncmp(h[0].detail, "WB:", 3));
}

TEST(executable_anonymous)
{
	static const struct aud_vma memfd = {
		PTSCOPE_VMA_READ | PTSCOPE_VMA_EXEC | PTSCOPE_VMA_SHARED,
		PTSCOPE_BACK_SHMEM, "/memfd:jit (deleted)"
	};
	static const struct aud_vma tmpfs_file = {
		PTSCOPE_VMA_READ | PTSCOPE_VMA_EXEC, PTSCOPE_BACK_SHMEM, "/tmp/a.out"
	};
	struct aud_hit h[AUD_NR];
	int n;

	n = hits_of(&memfd, P | U, h);
	ASSERT_EQ(1, n);
	EXPECT_EQ(AUD_EXEC_ANON, h[0].kind);
	EXPECT_EQ(0, hits_of(&tmpfs_file, P | U, h));
	/* a copied-on-write page of a file's code (a breakpoint) */
	n = hits_of(&rx_file, P | U | PTSCOPE_F_ANON_PAGE, h);
	ASSERT_EQ(1, n);
	EXPECT_EQ(AUD_EXEC_ANON, h[0].kind);
	EXPECT_NE(NULL, strstr(h[0].detail, "copied-on-write"));
}

TEST(runs_merge)
{
	struct aud_list a;

	aud_list_init(&a);
	ASSERT_EQ(0, aud_add(&a, 0x1000, 1, 4096, AUD_WX, "d"));
	ASSERT_EQ(0, aud_add(&a, 0x1000, 1, 4096, AUD_EXEC_ANON, "e"));
	ASSERT_EQ(0, aud_add(&a, 0x2000, 2, 4096, AUD_WX, "d"));	/* continues */
	ASSERT_EQ(0, aud_add(&a, 0x2000, 2, 4096, AUD_EXEC_ANON, "e"));
	ASSERT_EQ(0, aud_add(&a, 0x5000, 1, 4096, AUD_WX, "d"));	/* a gap */
	ASSERT_EQ(0, aud_add(&a, 0x6000, 1, 4096, AUD_WX, "other"));	/* other why */
	ASSERT_EQ(0, aud_add(&a, 0x200000, 1, 2 << 20, AUD_WX, "other"));
	aud_sort(&a);
	ASSERT_EQ(5, a.n);
	EXPECT_EQ(0x1000, a.v[0].va);
	EXPECT_EQ(3, a.v[0].count);
	EXPECT_EQ(AUD_WX, a.v[0].kind);
	EXPECT_EQ(3, a.v[1].count);
	EXPECT_EQ(AUD_EXEC_ANON, a.v[1].kind);
	EXPECT_EQ(0x5000, a.v[2].va);
	EXPECT_EQ(0x6000, a.v[3].va);
	EXPECT_EQ(0x200000, a.v[4].va);
	EXPECT_EQ(2 << 20, a.v[4].size);
	aud_list_free(&a);
}

TEST(pti_copies)
{
	unsigned long long u = 0x12345067ULL;	/* present, rw, user, accessed, dirty */
	char d[256];

	EXPECT_FALSE(aud_check_pti(u, u | X86_NX, d, sizeof(d)));
	/* the CPU sets Accessed in each copy on its own */
	EXPECT_FALSE(aud_check_pti(u & ~X86_ACCESSED, u | X86_NX, d, sizeof(d)));
	/* the kernel copy lacks NX */
	EXPECT_TRUE(aud_check_pti(u, u, d, sizeof(d)));
	/* another table */
	EXPECT_TRUE(aud_check_pti(u, (u + 0x1000) | X86_NX, d, sizeof(d)));
	EXPECT_NE(NULL, strstr(d, "kernel copy 0x8000000012346067"));
	/* the user copy empty, the kernel copy not */
	EXPECT_TRUE(aud_check_pti(0, u | X86_NX, d, sizeof(d)));
	/* both empty; or a kernel (non-user) entry: no NX difference expected */
	EXPECT_FALSE(aud_check_pti(0, 0, d, sizeof(d)));
	EXPECT_TRUE(aud_check_pti(0x1063, 0x1063 | X86_NX, d, sizeof(d)));
}

/* ---- explain ---------------------------------------------------------- */

static const char swaps1[] =
	"Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
	"/dev/zram0                              partition\t16380\t\t0\t\t100\n";
static const char swaps2[] =
	"Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
	"/swapfile                               file\t\t16380\t\t0\t\t-2\n"
	"/dev/zram0                              partition\t16380\t\t0\t\t100\n";

TEST(swap_device_rule)
{
	char dev[64], why[200];

	EXPECT_EQ(1, xpl_swap_device(swaps1, 3, dev, sizeof(dev), why, sizeof(why)));
	EXPECT_STREQ("/dev/zram0", dev);
	EXPECT_EQ(1, xpl_swap_device(swaps2, 0, dev, sizeof(dev), why, sizeof(why)));
	EXPECT_STREQ("/swapfile", dev);
	EXPECT_EQ(0, xpl_swap_device(swaps2, 1, dev, sizeof(dev), why, sizeof(why)));
	EXPECT_STREQ("", dev);
	EXPECT_NE(NULL, strstr(why, "2 swap areas"));
	EXPECT_EQ(0, xpl_swap_device("Filename Type Size Used Priority\n", 0, dev,
				     sizeof(dev), why, sizeof(why)));
	EXPECT_EQ(0, xpl_swap_device(NULL, 0, dev, sizeof(dev), why, sizeof(why)));
}

static const struct xpl_vma file_vma = {
	.start = 0x400000, .end = 0x410000, .pgoff = 2, .ino = 7,
	.flags = PTSCOPE_VMA_READ | PTSCOPE_VMA_WRITE, .backing = PTSCOPE_BACK_FILE,
	.name = "/data/f", .file_size = 5 * 4096 + 100,
};

TEST(empty_file_entry)
{
	struct xpl e;

	ASSERT_TRUE(xpl_entry(NULL, 0x401234, &file_vma, NULL, &e));
	EXPECT_STREQ("file", e.kind);
	EXPECT_EQ(3 * 4096, e.file_offset);	/* pgoff 2 + page 1 */
	EXPECT_EQ(XPL_EOF_INSIDE, e.eof);
	EXPECT_NE(NULL, strstr(e.text, "/data/f at byte offset 0x3000"));
	EXPECT_NE(NULL, strstr(e.text, "private anonymous page"));
	/* file page 5 holds the last 100 bytes: inside; page 6 is beyond */
	ASSERT_TRUE(xpl_entry(NULL, 0x403000, &file_vma, NULL, &e));
	EXPECT_EQ(XPL_EOF_INSIDE, e.eof);
	ASSERT_TRUE(xpl_entry(NULL, 0x404000, &file_vma, NULL, &e));
	EXPECT_EQ(XPL_EOF_BEYOND, e.eof);
	EXPECT_STREQ("file-beyond-eof", e.kind);
	EXPECT_NE(NULL, strstr(e.text, "SIGBUS"));
	/* a range that crosses the end */
	xpl_empty_range(0x402000, 4, &file_vma, &e);
	EXPECT_STREQ("file", e.kind);
	EXPECT_NE(NULL, strstr(e.text, "0x4000-0x7fff"));
	EXPECT_NE(NULL, strstr(e.text, "from byte offset 0x6000"));
}

TEST(empty_anon_entry)
{
	struct xpl_vma v = { .start = 0x1000, .end = 0x9000,
			     .flags = PTSCOPE_VMA_READ | PTSCOPE_VMA_WRITE,
			     .backing = PTSCOPE_BACK_ANON, .name = "", .file_size = -1 };
	struct xpl e;

	ASSERT_TRUE(xpl_entry(NULL, 0x2000, &v, NULL, &e));
	EXPECT_STREQ("anon", e.kind);
	EXPECT_NE(NULL, strstr(e.text, "zero page"));
	EXPECT_NE(NULL, strstr(e.text, "write allocates"));
	v.flags = PTSCOPE_VMA_READ;
	ASSERT_TRUE(xpl_entry(NULL, 0x2000, &v, NULL, &e));
	EXPECT_NE(NULL, strstr(e.text, "SIGSEGV"));
	v.flags = 0;
	ASSERT_TRUE(xpl_entry(NULL, 0x2000, &v, NULL, &e));
	EXPECT_STREQ("no-access", e.kind);
}

TEST(non_present_kinds)
{
	static const struct { unsigned long long flags; const char *kind; } k[] = {
		{ PTSCOPE_F_MIGRATION | PTSCOPE_F_PFN_VALID, "migration" },
		{ PTSCOPE_F_DEVICE_PRIVATE | PTSCOPE_F_PFN_VALID, "device-private" },
		{ PTSCOPE_F_DEVICE_EXCL | PTSCOPE_F_PFN_VALID, "device-exclusive" },
		{ PTSCOPE_F_HWPOISON | PTSCOPE_F_PFN_VALID, "hwpoison" },
		{ PTSCOPE_F_MARKER | PTSCOPE_F_UFFD_WP, "marker-uffd-wp" },
		{ PTSCOPE_F_MARKER | PTSCOPE_F_MARKER_GUARD, "marker-guard" },
		{ PTSCOPE_F_MARKER | PTSCOPE_F_MARKER_POISON, "marker-poison" },
		{ PTSCOPE_F_MARKER_POISON, "marker-poison" },	/* 6.1 swap-in error */
		{ PTSCOPE_F_MARKER, "marker" },
		{ PTSCOPE_F_PROTNONE | PTSCOPE_F_NUMA_HINT | PTSCOPE_F_PFN_VALID, "numa-hint" },
		{ 0, "not-present" },
	};
	struct xpl_vma v = { .start = 0x1000, .end = 0x9000,
			     .flags = PTSCOPE_VMA_READ | PTSCOPE_VMA_WRITE,
			     .backing = PTSCOPE_BACK_ANON, .name = "", .file_size = -1 };
	struct ptscope_leaf l;
	struct xpl e;
	size_t i;

	for (i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		l = leaf(0x2000, k[i].flags);
		l.pfn = 0xabc;
		ASSERT_TRUE(xpl_entry(&l, 0x2000, &v, NULL, &e));
		EXPECT_STREQ(k[i].kind, e.kind) TH_LOG("flags 0x%llx", k[i].flags);
		EXPECT_EQ(!!(k[i].flags & PTSCOPE_F_PFN_VALID), e.has_pfn);
		if (k[i].flags & PTSCOPE_F_PFN_VALID)
			EXPECT_NE(NULL, strstr(e.text, "0xabc"));
	}
	/* PROT_NONE: in a VMA without access; in an accessible one it is RWP */
	l = leaf(0x2000, PTSCOPE_F_PROTNONE | PTSCOPE_F_PFN_VALID);
	v.flags = 0;
	ASSERT_TRUE(xpl_entry(&l, 0x2000, &v, NULL, &e));
	EXPECT_STREQ("protnone", e.kind);
	v.flags = PTSCOPE_VMA_READ;
	ASSERT_TRUE(xpl_entry(&l, 0x2000, &v, NULL, &e));
	EXPECT_STREQ("uffd-rwp", e.kind);
	/* a present page needs none */
	l = leaf(0x2000, P | U);
	EXPECT_FALSE(xpl_entry(&l, 0x2000, &v, NULL, &e));
}

TEST(swap_entry)
{
	struct ptscope_leaf l = leaf(0x2000, PTSCOPE_F_SWAP);
	struct xpl e;
	json_object *o;

	l.swap_type = 1;
	l.swap_offset = 42;
	ASSERT_TRUE(xpl_entry(&l, 0x2000, NULL, swaps2, &e));
	EXPECT_STREQ("swap", e.kind);
	EXPECT_EQ(42, e.slot);
	EXPECT_STREQ("", e.device);
	EXPECT_NE(NULL, strstr(e.text, "cannot be told"));
	o = xpl_json(&e);
	EXPECT_EQ(NULL, json_object_object_get(o, "device"));
	EXPECT_EQ(42, json_object_get_int64(json_object_object_get(o, "slot")));
	json_object_put(o);
	ASSERT_TRUE(xpl_entry(&l, 0x2000, NULL, swaps1, &e));
	EXPECT_STREQ("/dev/zram0", e.device);
	EXPECT_NE(NULL, strstr(e.text, "(/dev/zram0), slot 42 (byte offset 0x2a000"));
}

TEST_HARNESS_MAIN
