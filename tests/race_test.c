// SPDX-License-Identifier: GPL-2.0
/*
 * Race the module against a target that changes its address space as
 * fast as it can, from two threads: fork/exit (COW), mmap/munmap, mremap
 * (growing, and moving to an address that is not 2 MiB aligned, which
 * splits huge PMDs), mprotect, MADV_DONTNEED, MADV_COLD, MADV_FREE,
 * MADV_PAGEOUT (to zram swap,
 * set up here when no swap is active and removed afterwards), THP
 * collapse (khugepaged scanning without sleeping, and MADV_COLLAPSE) and
 * split (partial MADV_DONTNEED, and debugfs split_huge_pages).  Walkers,
 * coalescing walkers, translators and ptcost, a fault tracker, and a
 * worker that walks, translates and tracks short-lived processes while
 * they fork and exit, run against it at the same time; so does the BPF
 * fault tracer ("ptscope trace") on runs of 30 s or more, when the CLI
 * is built and can attach (optional: its failure to start is only logged).
 *
 * Every complete walk must be consistent (leaves inside the VMA record
 * before them, in order, frames inside the guest's memory) and every
 * call must succeed, except ESRCH (and ENOENT for untrack) on processes
 * that are exiting; the guest runner fails the run on any kernel splat.
 *
 * PTSCOPE_RACE_SECONDS sets the duration (default 10).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/swap.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guest_harness.h"
#include "libptscope.h"
#include "pagemap_lib.h"

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif
#ifndef MADV_COLD
#define MADV_COLD 20
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

#define SLOTS	16		/* per churn thread: 2 x 16 x <= 24 MiB */
#define MB	(1UL << 20)
#define NWORKERS 5

static volatile int stop;
static pid_t target;
static uint64_t max_pfn;

/* ---- the target --------------------------------------------------------- */

/* Ask the kernel to split the THPs of [P, P + LEN) of this process. */
static void split_thps(char *p, size_t len)
{
	char cmd[96];
	int fd = open("/sys/kernel/debug/split_huge_pages", O_WRONLY | O_CLOEXEC);
	int n;

	if (fd < 0)
		return;
	n = snprintf(cmd, sizeof(cmd), "%d,0x%lx,0x%lx", getpid(),
		     (unsigned long)p, (unsigned long)(p + len));
	if (write(fd, cmd, n) < 0) {
		/* EINVAL/EBUSY when nothing can be split: fine */
	}
	close(fd);
}

/* A 2 MiB-aligned anonymous region of L bytes (THPs are possible). */
static char *map_aligned(size_t l)
{
	char *p = mmap(NULL, l + 2 * MB, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), *a;

	if (p == MAP_FAILED)
		return NULL;
	a = (char *)(((unsigned long)p + 2 * MB - 1) & ~(2 * MB - 1));
	if (a > p)
		munmap(p, a - p);
	munmap(a + l, p + 2 * MB - a);
	return a;
}

/* Move [P, +L) to a fresh place one page past a 2 MiB boundary. */
static char *move_unaligned(char *p, size_t l)
{
	char *hole = mmap(NULL, l + 4 * MB, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0), *dst, *q;

	if (hole == MAP_FAILED)
		return p;
	dst = (char *)(((unsigned long)hole + 2 * MB - 1) & ~(2 * MB - 1)) + 4096;
	q = mremap(p, l, l, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	if (q == MAP_FAILED) {
		munmap(hole, l + 4 * MB);
		return p;
	}
	munmap(hole, dst - hole);
	munmap(dst + l, hole + l + 4 * MB - (dst + l));
	return q;
}

/* One churn thread: random address-space changes until killed. */
static void *churn(void *arg)
{
	char *slot[SLOTS] = { 0 };
	size_t len[SLOTS] = { 0 };
	unsigned int seed = getpid() + (unsigned long)arg;

	for (;;) {
		int i = rand_r(&seed) % SLOTS, op = rand_r(&seed) % 14;
		size_t l = (1 + rand_r(&seed) % 4) * 2 * MB;
		char *p;

		if (!slot[i]) {
			slot[i] = map_aligned(l);
			if (!slot[i])
				continue;
			len[i] = l;
			madvise(slot[i], l, MADV_HUGEPAGE);
			memset(slot[i], i, l / 2);
			continue;
		}
		switch (op) {
		case 0:
			munmap(slot[i], len[i]);
			slot[i] = NULL;
			break;
		case 1:
			if (len[i] >= 24 * MB)	/* bounded memory */
				break;
			p = mremap(slot[i], len[i], len[i] + 2 * MB, MREMAP_MAYMOVE);
			if (p != MAP_FAILED) {
				slot[i] = p;
				len[i] += 2 * MB;
			}
			break;
		case 2:
			mprotect(slot[i], len[i] / 2, PROT_READ);
			mprotect(slot[i], len[i] / 2, PROT_READ | PROT_WRITE);
			break;
		case 3:
			madvise(slot[i] + 4096, len[i] / 3, MADV_DONTNEED);	/* splits THPs */
			break;
		case 4:
			madvise(slot[i], len[i], MADV_PAGEOUT);
			break;
		case 5:
			madvise(slot[i], len[i], MADV_COLLAPSE);
			break;
		case 6:
			if (fork() == 0) {
				memset(slot[i], 1, len[i] / 4);	/* COW in the child */
				_exit(0);
			}
			while (waitpid(-1, NULL, WNOHANG) > 0)
				;
			break;
		case 7:
			mprotect(slot[i], len[i], PROT_NONE);
			mprotect(slot[i], len[i], PROT_READ | PROT_WRITE);
			break;
		case 8:
			split_thps(slot[i], len[i]);
			break;
		case 9:
			slot[i] = move_unaligned(slot[i], len[i]);
			break;
		case 10:	/* pmdp_invalidate() on each THP, mmap read lock only */
			madvise(slot[i], len[i], MADV_COLD);
			break;
		case 11:	/* the same, and the pages may go */
			madvise(slot[i], len[i], MADV_FREE);
			break;
		default:
			memset(slot[i], op, len[i]);
			break;
		}
	}
	return NULL;
}

static void __attribute__((noreturn)) run_target(void)
{
	pthread_t th;

	/* Never outlive the test (the harness kills it on a timeout). */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	pthread_create(&th, NULL, churn, (void *)1UL);
	churn(NULL);
	_exit(0);
}

/* ---- zram swap, so that MADV_PAGEOUT makes swap entries ------------------ */

static int swap_was_set_up, zram_was_loaded;

static long swap_total_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "SwapTotal: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* A version-1 swap header, as mkswap writes it (4K pages). */
static int write_swap_header(const char *dev, unsigned long bytes)
{
	unsigned char page[4096] = { 0 };
	uint32_t info[3] = { 1, bytes / 4096 - 1, 0 };	/* version, last_page, bad */
	int fd = open(dev, O_WRONLY | O_CLOEXEC);
	int ret = 0;

	if (fd < 0)
		return -errno;
	memcpy(page + 1024, info, sizeof(info));
	memcpy(page + sizeof(page) - 10, "SWAPSPACE2", 10);
	if (pwrite(fd, page, sizeof(page), 0) != sizeof(page) || fsync(fd))
		ret = -EIO;
	close(fd);
	return ret;
}

/* Swap on a 256 MiB zram device, if there is no swap yet; 1 if set up. */
static int zram_swap_on(void)
{
	if (swap_total_kb() != 0)
		return 0;	/* swap already active (or unknown): leave it */
	if (access("/sys/block/zram0", F_OK)) {
		if (pml_sh("modprobe zram num_devices=1 >/dev/null 2>&1") != 0)
			return 0;
		zram_was_loaded = 1;
	}
	if (pml_read_long("/sys/block/zram0/disksize") != 0)
		return 0;	/* in use */
	if (pml_write_str("/sys/block/zram0/disksize", "256M"))
		goto reset;
	if (write_swap_header("/dev/zram0", 256 * MB) || swapon("/dev/zram0", 0))
		goto reset;
	return 1;
reset:
	pml_write_str("/sys/block/zram0/reset", "1");
	return 0;
}

static void zram_swap_off(void)
{
	if (swap_was_set_up) {
		swapoff("/dev/zram0");
		pml_write_str("/sys/block/zram0/reset", "1");
	}
	if (zram_was_loaded)
		pml_sh("rmmod zram >/dev/null 2>&1");
	swap_was_set_up = zram_was_loaded = 0;
}

/* ---- the workers ------------------------------------------------------- */

struct worker {
	int kind;
	long ops;
	long failures;
	long swap_leaves, huge_leaves, exited;
	char why[256];
};

static const char *const kind_names[NWORKERS] = {
	"walks", "coalesced walks", "translations and ptcosts",
	"track cycles", "walks of exiting processes",
};

/*
 * Structure, no swap entry above the PTE level, and no frame beyond the
 * last RAM frame.
 */
static void check_walk(struct worker *w, pid_t pid, int ret, struct ptw_walk *walk,
		       int exiting)
{
	size_t i;

	if (ret || (walk->status && !(exiting && walk->status == -ESRCH))) {
		if (exiting && ret == -ESRCH)
			goto gone;
		snprintf(w->why, sizeof(w->why), "walk: %s",
			 strerror(-(ret ? ret : walk->status)));
		w->failures++;
		return;
	}
	if (walk->status == -ESRCH)
		goto gone;
	if (ptw_check(walk, pid, w->why, sizeof(w->why)))
		w->failures++;
	for (i = 0; i < walk->nleaves; i++) {
		const struct ptscope_leaf *l = &walk->leaves[i];

		if (l->flags & PTSCOPE_F_SWAP)
			w->swap_leaves++;
		/*
		 * Linux has no swap entry above the PTE level (a PMD can be a
		 * migration entry, never a swap entry): one there is a huge
		 * PMD misread, e.g. while pmdp_invalidate() changes it.
		 */
		if ((l->flags & PTSCOPE_F_SWAP) && l->level > 0) {
			snprintf(w->why, sizeof(w->why),
				 "swap entry at level %u: 0x%016llx at 0x%llx",
				 l->level, (unsigned long long)l->entry,
				 (unsigned long long)l->va);
			w->failures++;
		}
		if (l->level > 0 && (l->flags & PTSCOPE_F_PRESENT))
			w->huge_leaves++;
		/*
		 * A huge leaf is decoded while its entry maps the frame, so
		 * an anon or file frame behind it is mapped at least once;
		 * map count 0 means the frame was looked at after the entry
		 * could change (zapped, the folio freed).
		 */
		if (l->level > 0 && (l->flags & PTSCOPE_F_PRESENT) &&
		    (l->flags & (PTSCOPE_F_ANON_PAGE | PTSCOPE_F_FILE_PAGE)) &&
		    !l->mapcount) {
			snprintf(w->why, sizeof(w->why),
				 "level %u leaf at 0x%llx: %s frame 0x%llx, map count 0",
				 l->level, (unsigned long long)l->va,
				 l->flags & PTSCOPE_F_ANON_PAGE ? "anon" : "file",
				 (unsigned long long)l->pfn);
			w->failures++;
		}
		if ((l->flags & PTSCOPE_F_PFN_VALID) && l->pfn > max_pfn) {
			snprintf(w->why, sizeof(w->why),
				 "pfn 0x%llx beyond the last RAM frame 0x%llx",
				 (unsigned long long)l->pfn,
				 (unsigned long long)max_pfn);
			w->failures++;
		}
	}
	return;
gone:
	w->exited++;
}

/* Walk, translate and track a process that forks and exits meanwhile. */
static void exiting_target(struct worker *w, unsigned int *seed)
{
	/* A third exit at once, the rest within 20 ms: mid-walk, often. */
	unsigned int linger = rand_r(seed) % 3 ? rand_r(seed) % 20000 : 0;
	unsigned int grandchild = rand_r(seed) % 2;
	struct ptw_walk walk;
	struct ptw_xlate x;
	struct pts_faults f;
	int ret, tracked;
	pid_t c;

	c = fork();	/* the child uses async-signal-safe calls only */
	if (c < 0)
		return;
	if (!c) {
		size_t l = 4 * MB;
		char *p = mmap(NULL, l, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (!linger)
			_exit(0);
		if (p != MAP_FAILED)
			memset(p, 1, l);
		if (grandchild && fork() == 0) {
			if (p != MAP_FAILED)
				memset(p, 2, l / 2);
			_exit(0);
		}
		usleep(linger);
		_exit(0);
	}
	tracked = pts_faults_ctl("track", c);
	if (tracked && tracked != -ESRCH) {
		snprintf(w->why, sizeof(w->why), "track of an exiting process: %s",
			 strerror(-tracked));
		w->failures++;
	}
	ret = ptw_walk(c, 0, (1UL << 47) - 4096, rand_r(seed) % 2 ? PTW_COALESCE : 0, &walk);
	check_walk(w, c, ret, &walk, 1);
	ptw_free(&walk);
	ret = ptw_translate(c, 0x400000UL + ((unsigned long)rand_r(seed) << 12) % (1UL << 40), &x);
	if (ret && ret != -ESRCH) {
		snprintf(w->why, sizeof(w->why), "translate of an exiting process: %s",
			 strerror(-ret));
		w->failures++;
	}
	if (!tracked) {
		ret = pts_faults_ctl("untrack", c);
		if (ret && ret != -ESRCH && ret != -ENOENT) {
			snprintf(w->why, sizeof(w->why), "untrack of an exiting process: %s",
				 strerror(-ret));
			w->failures++;
		}
	}
	waitpid(c, NULL, 0);
	/* Reading the counters drops processes that exited while tracked. */
	if (!tracked)
		pts_faults_read(c, &f);
}

static void *work(void *arg)
{
	struct worker *w = arg;
	unsigned int seed = w->kind * 7919;

	while (!stop) {
		struct ptw_walk walk;
		int ret;

		switch (w->kind) {
		case 0:	/* plain and coalesced walks of the whole target */
		case 1:
			ret = ptw_walk(target, 0, (1UL << 47) - 4096, w->kind ? PTW_COALESCE : 0, &walk);
			check_walk(w, target, ret, &walk, 0);
			ptw_free(&walk);
			break;
		case 2: {	/* translations of random addresses near the mmaps; ptcost */
			struct ptw_xlate x;
			struct ptscope_cost c;
			unsigned long va = 0x7f0000000000UL +
				(((unsigned long)rand_r(&seed) << 12) % 0xfffffff000UL);

			ret = ptw_translate(target, va, &x);
			if (!ret && w->ops % 8 == 0)
				ret = ptw_ptcost(target, &c, NULL);
			if (ret) {
				snprintf(w->why, sizeof(w->why), "translate/ptcost: %s",
					 strerror(-ret));
				w->failures++;
			}
			break;
		}
		case 3: {	/* track, read, untrack */
			struct pts_faults f;

			ret = pts_faults_ctl("track", target);
			if (!ret)
				ret = pts_faults_read(target, &f);
			if (!ret)
				ret = pts_faults_ctl("untrack", target);
			if (ret) {
				snprintf(w->why, sizeof(w->why), "tracking: %s", strerror(-ret));
				w->failures++;
			}
			break;
		}
		default:
			exiting_target(w, &seed);
			break;
		}
		w->ops++;
	}
	return NULL;
}

/* ---- the BPF tracer (optional) ------------------------------------------ */

static const char tracer[] = "tools/ptscope/ptscope";

/* Wait up to S seconds for T; true if it has ended. */
static int reaped(pid_t t, int *st, int s)
{
	int i;

	for (i = 0; i < 10 * s; i++) {
		if (waitpid(t, st, WNOHANG) == t)
			return 1;
		usleep(100000);
	}
	return 0;
}

/* Does FILE hold STR? */
static int file_has(const char *file, const char *str)
{
	char buf[65536];
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strstr(buf, str) != NULL;
}

/*
 * "ptscope trace -p TARGET" until stop_tracer(), if the CLI is built and
 * the run is long enough (loading the BPF program takes seconds under
 * TCG).  Waits up to 120 s for it to attach; returns its PID, or 0 with
 * the reason in WHY.
 */
static pid_t start_tracer(int seconds, char *why, size_t len)
{
	char pid[16], dur[16], log[] = "/tmp/race_tracer.XXXXXX";
	int fd, st, i;
	pid_t t;

	if (seconds < 30 || access(tracer, X_OK)) {
		snprintf(why, len, "skipped (runs of 30 s or more, with %s built)", tracer);
		return 0;
	}
	fd = mkstemp(log);
	if (fd < 0)
		return 0;
	snprintf(pid, sizeof(pid), "%d", target);
	snprintf(dur, sizeof(dur), "%d", 2 * seconds + 60);
	t = fork();
	if (t == 0) {
		int null = open("/dev/null", O_RDWR);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(null, 1);
		dup2(fd, 2);
		execl(tracer, tracer, "trace", "-v", "-s", "-p", pid, "-d", dur, (char *)NULL);
		_exit(127);
	}
	close(fd);
	for (i = 0; t > 0 && i < 1200; i++) {
		if (file_has(log, "ptscope trace: attached"))
			break;
		if (waitpid(t, &st, WNOHANG) == t) {
			snprintf(why, len, "could not attach (exit status %d), skipped",
				 WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
			t = 0;
			break;
		}
		usleep(100000);
	}
	if (t > 0 && i == 1200) {
		kill(t, SIGKILL);
		reaped(t, &st, 30);
		snprintf(why, len, "not attached after 120 s, skipped");
		t = 0;
	}
	unlink(log);
	return t < 0 ? 0 : t;
}

/*
 * Stop the tracer and log how it went; it is optional, so never a failure.
 * SIGINT ends it (with its summary); SIGKILL after 60 s.  Never blocks for
 * more than 90 s.
 */
static void stop_tracer(struct __test_metadata *_metadata, pid_t t, const char *why)
{
	int st = 0;

	if (!t) {
		TH_LOG("BPF tracer: %s", why);
		return;
	}
	kill(t, SIGINT);
	if (reaped(t, &st, 60)) {
		if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
			TH_LOG("BPF tracer: attached to the target for the whole run, ended cleanly");
		else
			TH_LOG("BPF tracer: attached for the whole run, ended with status 0x%x", st);
		return;
	}
	kill(t, SIGKILL);
	if (reaped(t, &st, 30))
		TH_LOG("BPF tracer: attached for the whole run; SIGINT did not end it in 60 s, killed");
	else
		TH_LOG("BPF tracer: does not die even with SIGKILL, left behind");
}

static void set_khugepaged(const char *val, char *old, size_t len)
{
	const char *p = "/sys/kernel/mm/transparent_hugepage/khugepaged/scan_sleep_millisecs";

	if (old)
		pml_read_str(p, old, len);
	pml_write_str(p, val);
}

TEST(walkers_against_a_churning_target)
{
	const char *env = getenv("PTSCOPE_RACE_SECONDS");
	int seconds = env ? atoi(env) : 10, i;
	struct worker w[NWORKERS];
	pthread_t th[NWORKERS];
	char old_sleep[32] = "";
	long total = 0, swap = 0, huge = 0;
	char trace_why[128] = "";
	int swapped;
	pid_t trace;

	max_pfn = pml_max_pfn();
	ASSERT_GT(max_pfn, 0);
	swap_was_set_up = zram_swap_on();
	set_khugepaged("0", old_sleep, sizeof(old_sleep));
	target = fork();
	ASSERT_GE(target, 0);
	if (!target)
		run_target();
	trace = start_tracer(seconds, trace_why, sizeof(trace_why));
	usleep(200000);
	stop = 0;
	memset(w, 0, sizeof(w));
	for (i = 0; i < NWORKERS; i++) {
		w[i].kind = i;
		ASSERT_EQ(0, pthread_create(&th[i], NULL, work, &w[i]));
	}
	sleep(seconds);
	stop = 1;
	for (i = 0; i < NWORKERS; i++)
		pthread_join(th[i], NULL);
	stop_tracer(_metadata, trace, trace_why);
	kill(target, SIGKILL);
	waitpid(target, NULL, 0);
	if (old_sleep[0])
		set_khugepaged(old_sleep, NULL, 0);
	swapped = swap_was_set_up;
	zram_swap_off();
	for (i = 0; i < NWORKERS; i++) {
		if (w[i].failures)
			TH_LOG("%s: %ld failures, last: %s", kind_names[i],
			       w[i].failures, w[i].why);
		EXPECT_EQ(0, w[i].failures);
		EXPECT_GT(w[i].ops, 0);
		total += w[i].ops;
		swap += w[i].swap_leaves;
		huge += w[i].huge_leaves;
	}
	TH_LOG("%d s: %ld walks, %ld coalesced walks, %ld translations, %ld track cycles, %ld walks of exiting processes (%ld gone mid-way)",
	       seconds, w[0].ops, w[1].ops, w[2].ops, w[3].ops, w[4].ops, w[4].exited);
	TH_LOG("seen: %ld swap entries (swap: %s), %ld huge leaves", swap,
	       swapped ? "zram, set up for the test" :
	       swap_total_kb() > 0 ? "already active" : "none", huge);
	TH_LOG("%ld operations", total);
}

/*
 * The harness stops a test after 30 s: allow for PTSCOPE_RACE_SECONDS, the
 * tracer (up to 120 s to attach, 90 s to stop) and the joins.
 */
static void __attribute__((constructor(KSELFTEST_PRIO_TEST + 1))) race_timeout(void)
{
	const char *env = getenv("PTSCOPE_RACE_SECONDS");

	_walkers_against_a_churning_target_object.timeout = 300 + 2 * (env ? atoi(env) : 10);
}

TEST_HARNESS_MAIN
