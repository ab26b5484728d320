// SPDX-License-Identifier: GPL-2.0
/*
 * ptscope audit against what the test made and what the kernel says:
 *  - a private anonymous RWX mapping, written: one writable-executable
 *    and one executable-anonymous run covering it exactly, exit status 1;
 *  - a PCI BAR mapped through sysfs (resourceN: uncached-minus,
 *    resourceN_wc: write-combining): a memory-type finding whose type is
 *    the one the kernel's PAT memtype list (debugfs x86/pat_memtype_list)
 *    records for that physical range;
 *  - a plain sleep: no finding, exit status 0.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>

#include "guest_harness.h"
#include "pagemap_lib.h"
#include "cli_lib.h"

#define PAGE	4096UL

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

/* audit --json of PID: its exit status, its findings in *V. */
static int audit(pid_t pid, json_object ***v, int *n, struct run *r)
{
	char p[16];

	snprintf(p, sizeof(p), "%d", pid);
	run_cli(r, "audit", p, "--json");
	*n = json_lines(r->out, v);
	return r->status;
}

/* The finding NAME that covers exactly [start, end), or NULL. */
static json_object *find(json_object **v, int n, const char *name,
			 unsigned long start, unsigned long end)
{
	int i;

	for (i = 0; i < n; i++) {
		if (!v[i] || strcmp(jstr(v[i], "finding") ?: "", name))
			continue;
		if (jhex(v[i], "va") <= start && jhex(v[i], "end") >= end)
			return v[i];
	}
	return NULL;
}

/*
 * The target is a child that maps and writes the region, then waits: the
 * test's own pages would be write-protected by the fork that runs the CLI
 * (copy-on-write), and audit rightly reports what the MMU sees.
 */
TEST(rwx_anonymous_mapping)
{
	json_object **v, *f;
	int n, i, st, fds[2], go[2];
	struct run r;
	char *p;
	pid_t pid;

	ASSERT_EQ(0, pipe(fds));
	ASSERT_EQ(0, pipe(go));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		char c;

		p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE | PROT_EXEC,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			_exit(1);
		no_numa_hints(p, 4 * PAGE);
		memset(p, 0xc3, 4 * PAGE);
		if (write(fds[1], &p, sizeof(p)) != sizeof(p))
			_exit(1);
		close(go[1]);
		while (read(go[0], &c, 1) < 0)
			;
		_exit(0);
	}
	close(go[0]);
	ASSERT_EQ(sizeof(p), read(fds[0], &p, sizeof(p)));
	st = audit(pid, &v, &n, &r);
	close(fds[0]);
	close(fds[1]);
	close(go[1]);	/* the child sees EOF and exits */
	waitpid(pid, NULL, 0);
	ASSERT_EQ(1, st) TH_LOG("stderr: %s", r.err);
	for (i = 0; i < n; i++) {
		ASSERT_NE(NULL, v[i]) TH_LOG("line %d does not parse", i + 1);
		ASSERT_NE(~0ULL, jhex(v[i], "va"));
		ASSERT_GT(jint(v[i], "count"), 0);
		ASSERT_NE(NULL, jstr(v[i], "finding"));
		ASSERT_NE(NULL, jstr(v[i], "detail"));
		EXPECT_EQ(jhex(v[i], "va") + jint(v[i], "count") * jint(v[i], "size"),
			  jhex(v[i], "end"));
	}
	f = find(v, n, "writable-executable", (unsigned long)p, (unsigned long)p + 4 * PAGE);
	ASSERT_NE(NULL, f) TH_LOG("%s", r.out);
	/* the run is exactly the mapping: the kernel merged no neighbour in */
	EXPECT_EQ((unsigned long)p, jhex(f, "va"));
	EXPECT_EQ(4, jint(f, "count"));
	f = find(v, n, "executable-anonymous", (unsigned long)p, (unsigned long)p + 4 * PAGE);
	ASSERT_NE(NULL, f) TH_LOG("%s", r.out);
	EXPECT_EQ(4, jint(f, "count"));
	/* nothing else of ours is writable and executable */
	for (i = 0; i < n; i++)
		if (!strcmp(jstr(v[i], "finding"), "writable-executable")) {
			EXPECT_EQ((unsigned long)p, jhex(v[i], "va"));
		}
	json_lines_free(v, n);
	run_free(&r);
}

/*
 * The PAT memtype list's type for physical address PA ("uncached-minus",
 * "write-combining"...), from debugfs.
 */
static int pat_memtype(unsigned long long pa, char *type, size_t len)
{
	FILE *f = fopen("/sys/kernel/debug/x86/pat_memtype_list", "r");
	unsigned long long s, e;
	char line[256], t[64];
	int ret = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "PAT: [mem 0x%llx-0x%llx] %63s", &s, &e, t) == 3 &&
		    pa >= s && pa < e) {
			snprintf(type, len, "%s", t);
			ret = 0;
		}
	fclose(f);
	return ret;
}

/*
 * A PCI memory BAR of at least a page, prefetchable if WC (only those
 * have a resourceN_wc file): its sysfs resource file and start.
 */
static int pci_bar(bool wc, int nth, char *path, size_t len,
		   unsigned long long *start)
{
	DIR *d = opendir("/sys/bus/pci/devices");
	struct dirent *de;
	int ret = -1;

	if (!d)
		return -1;
	while (ret && (de = readdir(d))) {
		char res[300], line[128];
		unsigned long long s, e, fl;
		FILE *f;
		int bar;

		if (de->d_name[0] == '.')
			continue;
		snprintf(res, sizeof(res), "/sys/bus/pci/devices/%s/resource", de->d_name);
		f = fopen(res, "r");
		if (!f)
			continue;
		for (bar = 0; ret && fgets(line, sizeof(line), f) && bar < 6; bar++) {
			if (sscanf(line, "%llx %llx %llx", &s, &e, &fl) != 3)
				continue;
			/* IORESOURCE_MEM, not prefetchable-only games: any memory BAR */
			if (!(fl & 0x200) || !s || e - s + 1 < PAGE ||
			    (wc && !(fl & 0x2000)) || nth-- > 0)
				continue;
			snprintf(path, len, "/sys/bus/pci/devices/%s/resource%d",
				 de->d_name, bar);
			*start = s;
			ret = 0;
		}
		fclose(f);
	}
	closedir(d);
	return ret;
}

/*
 * Map a page of a PCI BAR (resourceN: uncached-minus; resourceN_wc of a
 * prefetchable BAR: write-combining) and audit: the finding's type is the
 * kernel's.  1 when no such BAR can be mapped here (WHY says why).
 */
static int bar_check(struct __test_metadata *_metadata, bool wc, char *why,
		     size_t wlen)
{
	const char *want_pat = wc ? "write-combining" : "uncached-minus";
	const char *want = wc ? "WC" : "UC-";
	char path[320], file[340], type[64];
	json_object **v, *f;
	unsigned long long pa;
	char *p = MAP_FAILED;
	struct run r;
	int fd, n, st, k;

	snprintf(why, wlen, "no PCI memory BAR%s in this guest",
		 wc ? " that is prefetchable" : "");
	for (k = 0; p == MAP_FAILED; k++) {
		if (pci_bar(wc, k, path, sizeof(path), &pa))
			return 1;
		snprintf(file, sizeof(file), "%s%s", path, wc ? "_wc" : "");
		fd = open(file, O_RDWR | O_SYNC);
		if (fd < 0) {
			snprintf(why, wlen, "%s: %s", file, strerror(errno));
			continue;
		}
		p = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED) {
			/* a BAR its driver holds (CONFIG_IO_STRICT_DEVMEM) */
			snprintf(why, wlen, "mmap %s: %s", file, strerror(errno));
			close(fd);
		}
	}
	(void)*(volatile char *)p;	/* the PTE is made */
	EXPECT_EQ(0, pat_memtype(pa, type, sizeof(type)))
		TH_LOG("the PAT memtype list has no 0x%llx", pa);
	EXPECT_STREQ(want_pat, type);
	st = audit(getpid(), &v, &n, &r);
	EXPECT_EQ(1, st);
	f = find(v, n, "memory-type", (unsigned long)p, (unsigned long)p + PAGE);
	EXPECT_NE(NULL, f) TH_LOG("%s: %s", file, r.out);
	if (f) {
		EXPECT_EQ(0, strncmp(jstr(f, "detail"), want, strlen(want)))
			TH_LOG("%s: %s, the kernel says %s", file, jstr(f, "detail"), type);
	}
	json_lines_free(v, n);
	run_free(&r);
	munmap(p, PAGE);
	close(fd);
	return 0;
}

TEST(uncached_bar)
{
	char why[400];

	if (bar_check(_metadata, false, why, sizeof(why)))
		SKIP(return, "%s", why);
}

TEST(write_combining_bar)
{
	char why[400];

	if (bar_check(_metadata, true, why, sizeof(why)))
		SKIP(return, "%s", why);
}

TEST(sleep_has_none)
{
	char comm[32] = "", path[64];
	json_object **v;
	struct run r;
	int n, st, i;
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (!pid) {
		execlp("sleep", "sleep", "60", (char *)NULL);
		_exit(127);
	}
	/* until it sleeps: exec'ed, libraries mapped, in nanosleep */
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	for (i = 0; i < 200; i++) {
		FILE *f = fopen(path, "r");
		char state = 0;

		if (f) {
			if (fscanf(f, "%*d (%31[^)]) %c", comm, &state) != 2)
				state = 0;
			fclose(f);
		}
		if (!strcmp(comm, "sleep") && state == 'S')
			break;
		usleep(20000);
	}
	ASSERT_STREQ("sleep", comm);
	st = audit(pid, &v, &n, &r);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	EXPECT_EQ(0, st) TH_LOG("stdout: %s stderr: %s", r.out, r.err);
	EXPECT_EQ(0, n) TH_LOG("%s", r.out);
	json_lines_free(v, n);
	run_free(&r);
}

/* Errors never exit 1, which means findings: 2 usage, 5 no process. */
TEST(errors_are_not_findings)
{
	struct run r;

	run_cli(&r, "audit");
	EXPECT_EQ(2, r.status);
	EXPECT_NE(NULL, strstr(r.err, "PID")) TH_LOG("%s", r.err);
	run_free(&r);
	run_cli(&r, "audit", "12x");
	EXPECT_EQ(2, r.status);
	run_free(&r);
	run_cli(&r, "audit", "1", "--bogus");
	EXPECT_EQ(2, r.status);
	run_free(&r);
	run_cli(&r, "audit", "999999");
	EXPECT_EQ(5, r.status);
	EXPECT_NE(NULL, strstr(r.err, "no such process")) TH_LOG("%s", r.err);
	run_free(&r);
}

TEST_HARNESS_MAIN
