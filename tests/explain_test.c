// SPDX-License-Identifier: GPL-2.0
/*
 * Non-present entries explained (translate, walk -v), against the
 * kernel's own answers.  The test process is the target: it sets up a
 * region, then runs the CLI on itself (it is blocked in waitpid() while
 * the CLI walks it, so nothing changes under the walk).
 *  - an untouched page of a file mapping names the file and the byte
 *    offset /proc/self/maps gives; a page beyond the end of the file says
 *    so, and reading it really raises SIGBUS;
 *  - an untouched anonymous page is explained as such;
 *  - a page swapped out to zram: the swap type and slot equal pagemap's,
 *    the device is /proc/swaps' only area;
 *  - a userfaultfd write-protect marker on shmem (pagemap's uffd-wp bit,
 *    not present) and, on kernels that have MADV_GUARD_INSTALL, a guard
 *    region marker (pagemap bit 58) are named by kind;
 *  - a PROT_NONE page is not present to the MMU, and the frame the
 *    kernel keeps is pagemap's;
 *  - walk -v --json tiles a range: leaves where pagemap has a page,
 *    explained empty ranges where it has nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <json-c/json.h>

#include "guest_harness.h"
#include "pagemap_lib.h"
#include "cli_lib.h"

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT		21
#endif
#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL	102
#endif
#define PM_GUARD_REGION		(1ULL << 58)	/* pagemap, 6.15+ */
#define PAGE			4096UL

static char pidstr[16];

/*
 * Keep automatic NUMA balancing (on in make check's two-node guests) off
 * a region: a VMA with a memory policy of its own is not scanned
 * (task_numa_work() skips !vma_policy_mof()), so no NUMA hint makes a
 * present page non-present under the test.  Fails harmlessly without
 * CONFIG_NUMA.
 */
static void no_numa_hints(void *p, size_t len)
{
	syscall(__NR_mbind, p, len, 4 /* MPOL_LOCAL */, NULL, 0UL, 0U);
}

/* translate --json of this process at VA: the document (or NULL). */
static json_object *translate(void *va, struct run *r)
{
	char addr[32];

	snprintf(pidstr, sizeof(pidstr), "%d", getpid());
	snprintf(addr, sizeof(addr), "%p", va);
	run_cli(r, "translate", pidstr, addr, "--json");
	if (r->status)
		return NULL;
	return json_tokener_parse(r->out);
}

static uint64_t pagemap_of(void *va)
{
	uint64_t e = 0;

	if (pml_pagemap(0, (unsigned long)va, 1, &e))
		return 0;
	return e;
}

/* The /proc/self/maps line holding VA. */
static int map_of(void *va, struct pml_map *out)
{
	struct pml_map *m = NULL;
	int n = pml_maps(0, &m), i, ret = -1;

	for (i = 0; i < n; i++)
		if ((unsigned long)va >= m[i].start && (unsigned long)va < m[i].end) {
			*out = m[i];
			ret = 0;
		}
	free(m);
	return ret;
}

TEST(untouched_file_page_names_file_and_offset)
{
	struct pml_map m;
	json_object *o, *e;
	struct stat st;
	struct run r;
	size_t pages;
	char *p;
	int fd, status;
	pid_t child;

	fd = open("/proc/self/exe", O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fstat(fd, &st));
	ASSERT_GT(st.st_size, 3 * (off_t)PAGE);
	pages = (st.st_size + PAGE - 1) / PAGE;
	/* from file page 1 to two pages past the end */
	p = mmap(NULL, (pages + 1) * PAGE, PROT_READ, MAP_PRIVATE, fd, PAGE);
	ASSERT_NE(MAP_FAILED, p);
	close(fd);
	ASSERT_EQ(0, map_of(p + PAGE, &m));
	ASSERT_EQ(PAGE, m.offset);
	ASSERT_EQ(0, pagemap_of(p + PAGE) & (PML_PRESENT | PML_SWAP));

	o = translate(p + PAGE, &r);
	ASSERT_NE(NULL, o) TH_LOG("status %d: %s", r.status, r.err);
	e = jget(o, "explain");
	ASSERT_NE(NULL, e) TH_LOG("%s", r.out);
	ASSERT_NE(NULL, jstr(e, "file")) TH_LOG("%s", r.out);
	EXPECT_STREQ("file", jstr(e, "kind"));
	EXPECT_STREQ(m.name, jstr(e, "file"));
	EXPECT_EQ((long long)(m.offset + PAGE), jint(e, "file_offset"));
	EXPECT_FALSE(json_object_get_boolean(jget(e, "beyond_eof")));
	json_object_put(o);
	run_free(&r);

	/* file page "pages" is past the end: the kernel raises SIGBUS */
	o = translate(p + (pages - 1) * PAGE, &r);
	ASSERT_NE(NULL, o);
	e = jget(o, "explain");
	ASSERT_NE(NULL, e) TH_LOG("%s", r.out);
	ASSERT_NE(NULL, jstr(e, "kind")) TH_LOG("%s", r.out);
	EXPECT_STREQ("file-beyond-eof", jstr(e, "kind"));
	EXPECT_EQ((long long)pages * (long long)PAGE, jint(e, "file_offset"));
	EXPECT_TRUE(json_object_get_boolean(jget(e, "beyond_eof")));
	json_object_put(o);
	run_free(&r);
	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		volatile char c = p[(pages - 1) * PAGE];

		(void)c;
		_exit(0);
	}
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS)
		TH_LOG("the page said beyond the end did not raise SIGBUS: status 0x%x",
		       status);
	munmap(p, (pages + 1) * PAGE);
}

TEST(untouched_file_page_text)
{
	char addr[32], *p;
	struct pml_map m;
	struct run r;
	int fd;

	fd = open("/proc/self/exe", O_RDONLY);
	ASSERT_LE(0, fd);
	p = mmap(NULL, 2 * PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	close(fd);
	ASSERT_EQ(0, map_of(p, &m));
	snprintf(pidstr, sizeof(pidstr), "%d", getpid());
	snprintf(addr, sizeof(addr), "%p", p + PAGE);
	run_cli(&r, "translate", pidstr, addr, "--no-color");
	ASSERT_EQ(0, r.status) TH_LOG("%s", r.err);
	EXPECT_NE(NULL, strstr(r.out, "explained (file)")) TH_LOG("%s", r.out);
	EXPECT_NE(NULL, strstr(r.out, m.name));
	EXPECT_NE(NULL, strstr(r.out, "byte offset 0x1000 ")) TH_LOG("%s", r.out);
	run_free(&r);
	munmap(p, 2 * PAGE);
}

TEST(untouched_anon_page)
{
	json_object *o, *e;
	struct run r;
	char *p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, p);
	no_numa_hints(p, 2 * PAGE);
	p[0] = 1;
	ASSERT_EQ(0, pagemap_of(p + PAGE) & (PML_PRESENT | PML_SWAP));
	o = translate(p + PAGE, &r);
	ASSERT_NE(NULL, o) TH_LOG("%s", r.err);
	e = jget(o, "explain");
	ASSERT_NE(NULL, e);
	EXPECT_STREQ("anon", jstr(e, "kind"));
	EXPECT_NE(NULL, strstr(jstr(e, "text"), "zero page"));
	json_object_put(o);
	run_free(&r);
	/* a present page needs no explanation */
	o = translate(p, &r);
	ASSERT_NE(NULL, o);
	EXPECT_EQ(NULL, jget(o, "explain"));
	json_object_put(o);
	run_free(&r);
	munmap(p, 2 * PAGE);
}

/* Areas listed in /proc/swaps, and the first one's name. */
static int swap_areas(char *first, size_t len)
{
	FILE *f = fopen("/proc/swaps", "r");
	char line[512];
	int n = 0;

	*first = '\0';
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "Filename", 8))
			continue;
		if (!n++)
			snprintf(first, len, "%.*s", (int)strcspn(line, " \t\n"), line);
	}
	fclose(f);
	return n;
}

TEST(swapped_page_names_device_and_slot)
{
	int i, swapped = -1, areas;
	char dev[256];
	json_object *o, *e;
	uint64_t pm = 0;
	struct run r;
	char *p;

	if (zram_on())
		SKIP(return, "no zram swap device");
	p = mmap(NULL, 8 * PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	for (i = 0; i < 8; i++)
		memset(p + i * PAGE, i + 1, PAGE);
	madvise(p, 8 * PAGE, MADV_PAGEOUT);
	for (i = 0; i < 8 && swapped < 0; i++) {
		pm = pagemap_of(p + i * PAGE);
		if (pm & PML_SWAP)
			swapped = i;
	}
	if (swapped < 0) {
		zram_off();
		SKIP(return, "MADV_PAGEOUT swapped nothing out");
	}
	areas = swap_areas(dev, sizeof(dev));
	o = translate(p + swapped * PAGE, &r);
	ASSERT_NE(NULL, o) TH_LOG("%s", r.err);
	e = jget(o, "explain");
	ASSERT_NE(NULL, e);
	EXPECT_STREQ("swap", jstr(e, "kind"));
	EXPECT_EQ(pml_swap_type(pm), jint(e, "swap_type"));
	EXPECT_EQ((long long)pml_swap_offset(pm), jint(e, "slot"));
	/* one area: it is the one; several: only type 0 is told */
	if (areas == 1 || pml_swap_type(pm) == 0) {
		EXPECT_STREQ(dev, jstr(e, "device"));
	} else {
		EXPECT_EQ(NULL, jget(e, "device"));
	}
	if (areas == 1) {
		EXPECT_STREQ("/dev/zram0", jstr(e, "device"));
	}
	json_object_put(o);
	run_free(&r);
	munmap(p, 8 * PAGE);
	zram_off();
}

TEST(uffd_wp_marker_by_kind)
{
	struct uffdio_api api = { .api = UFFD_API,
				  .features = UFFD_FEATURE_WP_HUGETLBFS_SHMEM };
	struct uffdio_register reg = { 0 };
	struct uffdio_writeprotect wp = { 0 };
	json_object *o, *e;
	uint64_t pm;
	struct run r;
	int uffd, fd;
	char *p;

	fd = memfd_create("explain_test", 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, 4 * PAGE));
	p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	p[0] = 1;	/* the PTE table exists */
	uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0)
		SKIP(return, "userfaultfd: %s", strerror(errno));
	if (ioctl(uffd, UFFDIO_API, &api))
		SKIP(return, "no uffd-wp on shmem: %s", strerror(errno));
	reg.range.start = (unsigned long)p;
	reg.range.len = 4 * PAGE;
	reg.mode = UFFDIO_REGISTER_MODE_WP;
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_REGISTER, &reg)) TH_LOG("%s", strerror(errno));
	wp.range = reg.range;
	wp.mode = UFFDIO_WRITEPROTECT_MODE_WP;
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_WRITEPROTECT, &wp)) TH_LOG("%s", strerror(errno));
	pm = pagemap_of(p + 2 * PAGE);
	ASSERT_TRUE(pm & PML_UFFD_WP) TH_LOG("pagemap 0x%llx: no marker",
					     (unsigned long long)pm);
	/* pagemap calls a marker a swap entry (of the marker's type) */
	ASSERT_EQ(0, pm & PML_PRESENT);
	o = translate(p + 2 * PAGE, &r);
	ASSERT_NE(NULL, o) TH_LOG("%s", r.err);
	EXPECT_STREQ("marker", jstr(o, "stop"));
	e = jget(o, "explain");
	ASSERT_NE(NULL, e);
	EXPECT_STREQ("marker-uffd-wp", jstr(e, "kind"));
	EXPECT_TRUE(jhas_flag(jget(o, "leaf"), "uffd-wp"));
	EXPECT_FALSE(jhas_flag(jget(o, "leaf"), "marker-guard"));
	EXPECT_FALSE(jhas_flag(jget(o, "leaf"), "marker-poison"));
	json_object_put(o);
	run_free(&r);
	close(uffd);
	munmap(p, 4 * PAGE);
	close(fd);
}

TEST(guard_region_marker_by_kind)
{
	json_object *o, *e;
	uint64_t pm;
	struct run r;
	char *p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, p);
	memset(p, 1, 4 * PAGE);
	if (madvise(p + PAGE, PAGE, MADV_GUARD_INSTALL))
		SKIP(return, "no guard regions in this kernel (%s)", strerror(errno));
	pm = pagemap_of(p + PAGE);
	ASSERT_EQ(0, pm & PML_PRESENT);
	ASSERT_TRUE(pm & PM_GUARD_REGION) TH_LOG("pagemap 0x%llx", (unsigned long long)pm);
	o = translate(p + PAGE, &r);
	ASSERT_NE(NULL, o) TH_LOG("%s", r.err);
	e = jget(o, "explain");
	ASSERT_NE(NULL, e);
	EXPECT_STREQ("marker-guard", jstr(e, "kind"));
	EXPECT_TRUE(jhas_flag(jget(o, "leaf"), "marker-guard"));
	EXPECT_FALSE(jhas_flag(jget(o, "leaf"), "uffd-wp"));
	json_object_put(o);
	run_free(&r);
	munmap(p, 4 * PAGE);
}

TEST(prot_none_page)
{
	json_object *o, *e;
	uint64_t pm;
	struct run r;
	char *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, p);
	p[0] = 1;
	ASSERT_EQ(0, mprotect(p, PAGE, PROT_NONE));
	pm = pagemap_of(p);
	ASSERT_TRUE(pm & PML_PRESENT);	/* the kernel's view */
	o = translate(p, &r);
	ASSERT_NE(NULL, o) TH_LOG("%s", r.err);
	e = jget(o, "explain");
	ASSERT_NE(NULL, e);
	EXPECT_STREQ("protnone", jstr(e, "kind"));
	EXPECT_EQ(pml_pfn(pm), jhex(e, "pfn"));
	EXPECT_NE(NULL, strstr(jstr(o, "reason"), "not present to the MMU"));
	EXPECT_FALSE(jhas_flag(jget(o, "leaf"), "present"));
	json_object_put(o);
	run_free(&r);
	munmap(p, PAGE);
}

TEST(walk_verbose_tiles_a_range)
{
	char range[64], *p;
	json_object **v;
	bool seen[8] = { 0 };
	uint64_t pm[8];
	struct run r;
	int n, i, k;

	p = mmap(NULL, 8 * PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	madvise(p, 8 * PAGE, MADV_NOHUGEPAGE);
	no_numa_hints(p, 8 * PAGE);
	p[0] = 1;
	p[2 * PAGE] = 1;
	p[5 * PAGE] = 1;
	snprintf(pidstr, sizeof(pidstr), "%d", getpid());
	snprintf(range, sizeof(range), "%p+0x8000", p);
	run_cli(&r, "walk", pidstr, "-v", "--json", "--range", range);
	ASSERT_EQ(0, pml_pagemap(0, (unsigned long)p, 8, pm));
	ASSERT_EQ(0, r.status) TH_LOG("%s", r.err);
	n = json_lines(r.out, &v);
	ASSERT_GT(n, 0);
	for (i = 0; i < n; i++) {
		unsigned long long va = jhex(v[i], "va");
		long long count = jint(v[i], "count");
		bool empty = jget(v[i], "empty") != NULL;
		json_object *e = jget(v[i], "explain");
		long first = ((long)va - (long)p) / (long)PAGE;

		ASSERT_EQ(4096, jint(v[i], "size"));
		ASSERT_TRUE(first >= 0 && first + count <= 8)
			TH_LOG("line %d: 0x%llx x %lld", i, va, count);
		for (k = first; k < first + count; k++) {
			EXPECT_FALSE(seen[k]) TH_LOG("page %d twice", k);
			seen[k] = true;
			EXPECT_EQ(!empty, !!(pm[k] & PML_PRESENT)) TH_LOG("page %d", k);
		}
		if (empty) {
			ASSERT_NE(NULL, e);
			EXPECT_STREQ("anon", jstr(e, "kind"));
		} else {
			EXPECT_EQ(NULL, e);
		}
	}
	for (k = 0; k < 8; k++)
		EXPECT_TRUE(seen[k]) TH_LOG("page %d not covered", k);
	json_lines_free(v, n);
	run_free(&r);
	munmap(p, 8 * PAGE);
}

TEST_HARNESS_MAIN
