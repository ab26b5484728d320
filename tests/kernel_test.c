// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel half (walk --kernel, translate --kernel, request "kernel")
 * against the kernel's own answers:
 *  - the kernel's _text (/proc/kallsyms) is covered by a present,
 *    executable, non-user leaf in the region "kernel image", global
 *    unless page-table isolation makes the image non-global (as
 *    pti_kernel_image_global_ok() decides: pti=on or PCID); every leaf
 *    lies in the region announced before it, regions come in address
 *    order within each pass, named as the layout says;
 *  - translate --kernel _text gives the physical address /proc/iomem
 *    gives "Kernel code", with the walk's leaf; the direct map's region
 *    starts at page_offset_base: its start plus that address translates
 *    to the same physical address, through a non-executable leaf; the
 *    first leaf of each region that stays still (kernel image, cpu entry
 *    area, espfix, vmemmap, fixmap) translates to the same entry;
 *  - a kernel address without --kernel, a non-canonical address, and a
 *    user address with --kernel are refused with their own messages;
 *  - the module refuses "kernel" with a pid, with op=ptcost, and a user
 *    va or range with it.
 * tests/lockdown-guest checks the refusal under lockdown=confidentiality.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>

#include "guest_harness.h"
#include "libptscope.h"
#include "cli_lib.h"

/* A symbol's address from /proc/kallsyms (root sees the real ones), or 0. */
static uint64_t kallsym(const char *name)
{
	char line[512], sym[256], type;
	unsigned long long a;
	uint64_t found = 0;
	FILE *f = fopen("/proc/kallsyms", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx %c %255s", &a, &type, sym) == 3 &&
		    !strcmp(sym, name)) {
			found = a;
			break;
		}
	fclose(f);
	return found;
}

/* Start of /proc/iomem's "Kernel code" resource: __pa_symbol(_text). */
static uint64_t iomem_kernel_code(void)
{
	char line[256];
	unsigned long long a, b;
	uint64_t found = ~0ULL;
	FILE *f = fopen("/proc/iomem", "r");

	if (!f)
		return ~0ULL;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, ": Kernel code") &&
		    sscanf(line, " %llx-%llx", &a, &b) == 2) {
			found = a;
			break;
		}
	fclose(f);
	return found;
}

static bool file_has(const char *path, const char *word)
{
	char buf[8192];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	return strstr(buf, word) != NULL;
}

/* Page-table isolation in use (the module's version file says). */
static bool pti_on(void)
{
	struct pts_version v;

	return !pts_read_version(&v) && v.pti > 0;
}

/* pti_kernel_image_global_ok() false: the kernel image is not global. */
static bool image_nonglobal(void)
{
	return pti_on() && (file_has("/proc/cmdline", "pti=on") ||
			    file_has("/proc/cpuinfo", " pcid"));
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A region's end: 0 is the top of the address space. */
static bool in_region(uint64_t va, uint64_t start, uint64_t end)
{
	return va >= start && (!end || va < end);
}

static const char *const known[] = {
	"guard hole", "ldt remap", "direct map", "vmalloc", "vmemmap",
	"kasan shadow", "cpu entry area", "espfix", "efi", "kernel image",
	"modules", "fixmap", "unnamed", NULL
};

static bool known_region(const char *name)
{
	int i;

	if (!strncmp(name, "pti user copy: ", 15))
		name += 15;
	for (i = 0; known[i]; i++)
		if (!strcmp(name, known[i]))
			return true;
	return false;
}

/* Bytes of a size column: "4K", "2M", "1G". */
static uint64_t size_of(const char *s)
{
	char *end;
	uint64_t v = strtoull(s, &end, 10);

	switch (*end) {
	case 'K': return v << 10;
	case 'M': return v << 20;
	case 'G': return v << 30;
	default: return 0;
	}
}

static bool has_word(const char *flags, const char *w)
{
	size_t n = strlen(w);
	const char *p;

	for (p = flags; (p = strstr(p, w)) != NULL; p += n)
		if ((p == flags || p[-1] == ',') && (p[n] == ',' || !p[n]))
			return true;
	return false;
}

/*
 * The whole kernel half, coalesced, in text (the JSON of its 70,000
 * espfix aliases alone takes json-c 10 s to parse under TCG): every leaf
 * lies in the region announced before it, regions go up within a pass
 * (a second pass, the PTI user copy, starts again) and have known names,
 * leaves go up within a region; the leaf that covers _text is present,
 * executable, not user, in "kernel image", global as PTI decides.
 */
TEST(walk_covers_text)
{
	uint64_t text = kallsym("_text"), rs = 0, re = 0, last_rs = 0, last_end = 0;
	int passes = 1, bad = 0, regions = 0, leaves = 0, found = 0;
	uint64_t code = iomem_kernel_code(), dm_start = 0;
	char name[64] = "", *line, *save, dm[32];
	struct { uint64_t va, entry; char name[32]; } first[16];
	int nfirst = 0, k;
	bool first_taken = false;
	json_object *o, *lf;
	struct run r;
	double t0;

	ASSERT_NE(0, text) TH_LOG("no _text in /proc/kallsyms (kptr_restrict?)");
	ASSERT_NE(~0ULL, code) TH_LOG("no 'Kernel code' in /proc/iomem");
	t0 = now();
	run_cli(&r, "walk", "--kernel", "--coalesce");
	ASSERT_EQ(0, r.status) TH_LOG("walk --kernel: %s", r.err);
	for (line = strtok_r(r.out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		unsigned long long a, b, count, entry;
		char sz[8], lvl[8], pfn[32], maps[16], folio[32], flags[512];
		int off = 0;

		if (sscanf(line, "region 0x%llx-0x%llx %7s %n", &a, &b, sz, &off) == 3 &&
		    off) {
			snprintf(name, sizeof(name), "%s", line + off);
			EXPECT_TRUE(known_region(name)) TH_LOG("region '%s'", name);
			if (a < last_rs) {
				passes++;
				EXPECT_EQ(0, strncmp(name, "pti user copy: ", 15))
					TH_LOG("region %s goes back", name);
			}
			rs = last_rs = a;
			re = b;
			first_taken = false;
			if (!strcmp(name, "direct map"))
				dm_start = a;
			last_end = 0;
			regions++;
			continue;
		}
		/* VA COUNT x SIZE LVL ENTRY PFN MAPS FOLIO FLAGS */
		if (sscanf(line, " 0x%llx %llu x %7s %7s 0x%llx %31s %15s %31s %511s",
			   &a, &count, sz, lvl, &entry, pfn, maps, folio, flags) != 9)
			continue;
		leaves++;
		/*
		 * The first leaf of each region that does not change while
		 * the guest idles (not vmalloc, modules, the direct map).
		 */
		if (!first_taken && passes == 1 && nfirst < 16 &&
		    (!strcmp(name, "kernel image") || !strcmp(name, "cpu entry area") ||
		     !strcmp(name, "espfix") || !strcmp(name, "vmemmap") ||
		     !strcmp(name, "fixmap"))) {
			first[nfirst].va = a;
			first[nfirst].entry = entry;
			snprintf(first[nfirst].name, sizeof(first[nfirst].name), "%s", name);
			nfirst++;
		}
		first_taken = true;
		b = a + count * size_of(sz);
		if (!regions || !in_region(a, rs, re) || (re && b > re) || a < last_end) {
			if (bad++ < 5)
				TH_LOG("leaf 0x%llx-0x%llx in %s 0x%" PRIx64 "-0x%" PRIx64,
				       a, b, name, rs, re);
		}
		last_end = b;
		if (strncmp(name, "pti user copy: ", 15) && text >= a && text < b) {
			found++;
			EXPECT_STREQ("kernel image", name);
			EXPECT_TRUE(has_word(flags, "present"));
			EXPECT_FALSE(has_word(flags, "user"));
			EXPECT_FALSE(has_word(flags, "nx")) TH_LOG("kernel text not executable?");
			/* PTI with pti=on or PCID: the image is not global */
			EXPECT_EQ(!image_nonglobal(), has_word(flags, "global")) TH_LOG("%s", line);
		}
	}
	EXPECT_EQ(0, bad);
	EXPECT_EQ(1, found) TH_LOG("leaves covering _text 0x%" PRIx64 ": %d", text, found);
	EXPECT_EQ(pti_on() ? 2 : 1, passes);
	EXPECT_GE(regions, 8);
	printf("# walk --kernel --coalesce: %d regions, %d lines, %d pass%s in %.2f s "
	       "(pti %s, image %s)\n", regions, leaves, passes, passes > 1 ? "es" : "",
	       now() - t0, pti_on() ? "on" : "off",
	       image_nonglobal() ? "not global" : "global");
	run_free(&r);

	/* translate --kernel reads the same entry as the walk. */
	EXPECT_GE(nfirst, 4);
	for (k = 0; k < nfirst; k++) {
		char va[32];

		snprintf(va, sizeof(va), "0x%" PRIx64, first[k].va);
		run_cli(&r, "translate", "--kernel", va, "--json");
		ASSERT_EQ(0, r.status) TH_LOG("%s", r.err);
		o = json_tokener_parse(r.out);
		ASSERT_NE(NULL, o);
		lf = jget(o, "leaf");
		EXPECT_STREQ(first[k].name, jstr(jget(o, "region"), "name"));
		EXPECT_TRUE(lf && jhex(lf, "entry") == first[k].entry)
			TH_LOG("%s 0x%" PRIx64 ": walk 0x%" PRIx64 ", translate %s",
			       first[k].name, first[k].va, first[k].entry, r.out);
		json_object_put(o);
		run_free(&r);
	}

	/*
	 * The direct map's region starts at page_offset_base, where pa 0 is
	 * mapped: there plus the kernel code's address is that address.
	 */
	ASSERT_NE(0, dm_start);
	snprintf(dm, sizeof(dm), "0x%" PRIx64, dm_start + code);
	run_cli(&r, "translate", "--kernel", dm, "--json");
	ASSERT_EQ(0, r.status) TH_LOG("%s", r.err);
	o = json_tokener_parse(r.out);
	ASSERT_NE(NULL, o);
	EXPECT_STREQ("direct map", jstr(jget(o, "region"), "name"));
	EXPECT_EQ(code, jhex(o, "pa"));
	lf = jget(o, "leaf");
	EXPECT_TRUE(lf && jhas_flag(lf, "nx")) TH_LOG("the direct map is not executable");
	json_object_put(o);
	run_free(&r);
}

/*
 * The JSON walk of the kernel image region: each leaf has its region;
 * translate --kernel of _text gives the physical address /proc/iomem
 * gives "Kernel code", and the walk's leaf.
 */
TEST(translate_agrees)
{
	uint64_t text = kallsym("_text"), code = iomem_kernel_code(), pa;
	json_object *o, *lf, **lines;
	char range[64], va[32];
	int i, n, same = 0;
	struct run r;

	ASSERT_NE(0, text);
	ASSERT_NE(~0ULL, code) TH_LOG("no 'Kernel code' in /proc/iomem");
	snprintf(va, sizeof(va), "0x%" PRIx64, text);
	run_cli(&r, "translate", "--kernel", va, "--json");
	ASSERT_EQ(0, r.status) TH_LOG("%s", r.err);
	o = json_tokener_parse(r.out);
	run_free(&r);
	ASSERT_NE(NULL, o);
	EXPECT_STREQ("ok", jstr(o, "stop"));
	pa = jhex(o, "pa");
	EXPECT_EQ(code, pa) TH_LOG("pa 0x%" PRIx64 ", Kernel code at 0x%" PRIx64, pa, code);
	EXPECT_STREQ("kernel image", jstr(jget(o, "region"), "name"));
	lf = jget(o, "leaf");
	ASSERT_NE(NULL, lf);
	EXPECT_FALSE(jhas_flag(lf, "user"));

	snprintf(range, sizeof(range), "0x%llx-0x%llx",
		 jhex(jget(o, "region"), "start"), jhex(jget(o, "region"), "end"));
	run_cli(&r, "walk", "--kernel", "--json", "--range", range);
	ASSERT_EQ(0, r.status) TH_LOG("%s", r.err);
	n = json_lines(r.out, &lines);
	ASSERT_GT(n, 0);
	for (i = 0; i < n; i++) {
		json_object *l = lines[i];

		ASSERT_NE(NULL, l);
		if (!strncmp(jstr(l, "region"), "pti user copy: ", 15))
			continue;
		EXPECT_STREQ("kernel image", jstr(l, "region"));
		if (jhex(l, "va") == jhex(lf, "va")) {
			same++;
			EXPECT_EQ(jhex(l, "entry"), jhex(lf, "entry"));
			EXPECT_EQ(jint(l, "pfn"), jint(lf, "pfn"));
		}
	}
	EXPECT_EQ(1, same);
	json_lines_free(lines, n);
	run_free(&r);
	json_object_put(o);

}

/* The paging levels the module reports. */
static int paging_levels(void)
{
	struct pts_version v;

	return pts_read_version(&v) ? -1 : v.paging_levels;
}

TEST(half_messages)
{
	int levels = paging_levels();
	char pid[16], noncanon[32], kaddr[32], range[64];
	struct run r;

	ASSERT_GT(levels, 3);
	snprintf(pid, sizeof(pid), "%d", getpid());
	/* bit 47 (56) set, the bits above it clear */
	snprintf(noncanon, sizeof(noncanon), "0x%llx", 1ULL << (12 + 9 * levels - 1));
	snprintf(kaddr, sizeof(kaddr), "0x%llx", ~0ULL << (12 + 9 * levels - 1));
	snprintf(range, sizeof(range), "%s+4K", kaddr);

	run_cli(&r, "translate", pid, kaddr);
	EXPECT_EQ(2, r.status);
	EXPECT_NE(NULL, strstr(r.err, "is a kernel address")) TH_LOG("%s", r.err);
	EXPECT_NE(NULL, strstr(r.err, "use --kernel")) TH_LOG("%s", r.err);
	run_free(&r);
	run_cli(&r, "walk", pid, "--range", range);
	EXPECT_EQ(2, r.status);
	EXPECT_NE(NULL, strstr(r.err, "is a kernel address")) TH_LOG("%s", r.err);
	run_free(&r);
	run_cli(&r, "translate", pid, noncanon);
	EXPECT_EQ(2, r.status);
	EXPECT_NE(NULL, strstr(r.err, "not a canonical address")) TH_LOG("%s", r.err);
	run_free(&r);
	run_cli(&r, "translate", "--kernel", noncanon);
	EXPECT_EQ(2, r.status);
	EXPECT_NE(NULL, strstr(r.err, "not a canonical address")) TH_LOG("%s", r.err);
	run_free(&r);
	run_cli(&r, "translate", "--kernel", "0x1000");
	EXPECT_EQ(2, r.status);
	EXPECT_NE(NULL, strstr(r.err, "is a user address")) TH_LOG("%s", r.err);
	run_free(&r);
	run_cli(&r, "walk", "--kernel", pid);
	EXPECT_EQ(2, r.status);
	run_free(&r);
	/* A user address still works as before. */
	run_cli(&r, "translate", pid, "0x1000");
	EXPECT_EQ(0, r.status) TH_LOG("%s", r.err);
	run_free(&r);
}

/* The module's answer to a raw request on the walk file: 0 or -errno. */
static int request(const char *file, const char *req)
{
	struct pts_session s;
	int ret = pts_open(&s, file);

	if (ret)
		return ret;
	ret = pts_request(&s, "%s", req);
	pts_close(&s);
	return ret;
}

TEST(requests)
{
	char req[128];

	EXPECT_EQ(0, request("records", "kernel"));
	EXPECT_EQ(0, request("records", "kernel coalesce"));
	snprintf(req, sizeof(req), "kernel va=0x%" PRIx64, kallsym("_text"));
	EXPECT_EQ(0, request("records", req));
	snprintf(req, sizeof(req), "kernel pid=%d", getpid());
	EXPECT_EQ(-EINVAL, request("records", req));
	EXPECT_EQ(-EINVAL, request("records", "kernel kernel"));
	EXPECT_EQ(-EINVAL, request("records", "kernel op=ptcost"));
	EXPECT_EQ(-EINVAL, request("records", "kernel=1"));
	EXPECT_EQ(-ERANGE, request("records", "kernel va=0x1000"));
	EXPECT_EQ(-ERANGE, request("records", "kernel range=0x1000-0x2000"));
	EXPECT_EQ(-ERANGE, request("records", "kernel range=0xffffffff81000000-0xffffffff80000000"));
}

TEST_HARNESS_MAIN
