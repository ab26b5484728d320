// SPDX-License-Identifier: GPL-2.0
/*
 * ptscope wss and ptscope heatmap (the CLI, $PTSCOPE_CLI or
 * tools/ptscope/ptscope) against what a target process is known to touch
 * and against the kernel's own reading of the same bits.
 *
 * The target (this program re-executed, THP off: PR_SET_THP_DISABLE and
 * MADV_NOHUGEPAGE) writes every page of a 256-page region once, then
 * loops: flush its TLB, read every 3rd page of the region (86 pages),
 * sleep 2 ms.  The flush matters: Linux clears accessed bits without
 * flushing TLBs, and the MMU sets the bit only when it loads a
 * translation, so a page read through a translation cached from before
 * the clear would not be seen (ptscope wss --help says so).  The target
 * flushes by taking write permission away from 64 present pages of a
 * scratch mapping (mprotect: more than the kernel's 33-page ceiling, so a
 * full flush of its TLB), then giving it back; it never touches those.
 *
 *  - exact_set_each_interval: wss --interval 0.5 --count 3 --json --pages
 *    reports for the region's VMA exactly the pages read, run by run,
 *    every interval, and all 256 present; how many pages the other VMAs
 *    (code, libc, stack) contributed is printed;
 *  - smaps_reads_the_same_bits: the target stopped (SIGSTOP) after one
 *    full round in an interval, the walk's accessed pages of the region
 *    x 4K equal /proc/PID/smaps "Referenced:" of that VMA, read after the
 *    walk with the target still stopped (nothing can set or clear a bit
 *    in between but reclaim, which the interval would report);
 *  - heatmap_follows_the_phases: a target reading region A (every 2nd of
 *    128 pages), then on a signal region B (every 4th of 128), drawn by
 *    heatmap --json: the signal is sent once interval 1 is reported;
 *    tests/heatmap_svg_check.py checks the picture, with row 1 holding
 *    A's 64 pages and none of B, rows 3-5 B's 32 and none of A;
 *  - flush_tlb_counts_a_sleeping_reader: a target that reads and sleeps
 *    without flushing: plain wss sees at most its pages (its TLB may keep
 *    them across the clear), wss --flush-tlb exactly them;
 *  - bad_arguments: bad interval, count, PID, options: status 2; no such
 *    process: 5; the module unreachable (--via module): 3; not root: 4.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <grp.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>

#include "guest_harness.h"
#include "libptscope.h"
#include "cli_lib.h"
#include "pagemap_lib.h"

#define PAGE		4096UL
#define REGION_PAGES	256
#define STRIDE		3
#define SCRATCH_PAGES	64
#define PHASE_PAGES	128
#define TARGET_ENV	"PTSCOPE_WSS_TEST_TARGET"
#define TARGET_FD	100

/* ---- the target ----------------------------------------------------------- */

static volatile sig_atomic_t usr1;

static void on_usr1(int sig)
{
	(void)sig;
	usr1 = 1;
}

static void *map_region(size_t pages, bool nohuge)
{
	char *p = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	size_t i;

	if (p == MAP_FAILED)
		_exit(1);
	if (nohuge && madvise(p, pages * PAGE, MADV_NOHUGEPAGE))
		_exit(1);
	for (i = 0; i < pages; i++)
		p[i * PAGE] = 1;
	return p;
}

/* A full flush of this process's TLB: see the comment at the top. */
static void flush_tlb(char *scratch)
{
	if (mprotect(scratch, SCRATCH_PAGES * PAGE, PROT_READ) ||
	    mprotect(scratch, SCRATCH_PAGES * PAGE, PROT_READ | PROT_WRITE))
		_exit(3);
}

static void target_main(const char *mode)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	volatile char sink = 0;
	char *a, *b, *scratch;
	bool phase_b = false;
	size_t i;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0))
		_exit(1);
	sigaction(SIGUSR1, &sa, NULL);
	if (!strcmp(mode, "sleeper")) {
		/* the same reads, no flush: its TLB may keep the translations */
		a = map_region(REGION_PAGES, true);
		dprintf(TARGET_FD, "region=%lx scratch=0\n", (unsigned long)a);
		for (;;) {
			for (i = 0; i < REGION_PAGES; i += STRIDE)
				sink += ((volatile char *)a)[i * PAGE];
			usleep(2000);
		}
	}
	if (!strcmp(mode, "wss")) {
		a = map_region(REGION_PAGES, true);
		scratch = map_region(SCRATCH_PAGES, false);
		dprintf(TARGET_FD, "region=%lx scratch=%lx\n", (unsigned long)a,
			(unsigned long)scratch);
		for (;;) {
			flush_tlb(scratch);
			for (i = 0; i < REGION_PAGES; i += STRIDE)
				sink += ((volatile char *)a)[i * PAGE];
			if (usr1) {
				/* one full round done since the signal: report, stop */
				usr1 = 0;
				if (write(TARGET_FD, "x", 1) != 1)
					_exit(4);
				raise(SIGSTOP);
			}
			usleep(2000);
		}
	}
	/* A and B apart: a PROT_NONE page between them, or they merge */
	a = map_region(2 * PHASE_PAGES + 1, true);
	b = a + (PHASE_PAGES + 1) * PAGE;
	if (madvise(a + PHASE_PAGES * PAGE, PAGE, MADV_DONTNEED) ||
	    mprotect(a + PHASE_PAGES * PAGE, PAGE, PROT_NONE))
		_exit(1);
	scratch = map_region(SCRATCH_PAGES, false);
	dprintf(TARGET_FD, "a=%lx b=%lx\n", (unsigned long)a, (unsigned long)b);
	close(TARGET_FD);
	for (;;) {
		if (usr1)
			phase_b = true;
		flush_tlb(scratch);
		if (!phase_b)
			for (i = 0; i < PHASE_PAGES; i += 2)
				sink += ((volatile char *)a)[i * PAGE];
		else
			for (i = 0; i < PHASE_PAGES; i += 4)
				sink += ((volatile char *)b)[i * PAGE];
		usleep(2000);
	}
}

__attribute__((constructor)) static void maybe_target(void)
{
	const char *mode = getenv(TARGET_ENV);

	if (mode)
		target_main(mode);
}

struct target {
	pid_t pid;
	char pidstr[16];
	int fd;				/* its reports (wss mode) */
	unsigned long a, b;		/* region (wss) or A and B (phase) */
};

static int target_start(struct target *t, const char *mode)
{
	char exe[PATH_MAX], line[256];
	size_t len = 0;
	int fds[2];
	ssize_t n;

	memset(t, 0, sizeof(*t));
	t->fd = -1;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0 || pipe2(fds, O_CLOEXEC))
		return -1;
	exe[n] = '\0';
	fflush(stdout);
	fflush(stderr);
	t->pid = fork();
	if (t->pid < 0)
		return -1;
	if (!t->pid) {
		dup2(fds[1], TARGET_FD);
		setenv(TARGET_ENV, mode, 1);
		execl(exe, "wss_target", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	while (len < sizeof(line) - 1) {
		n = read(fds[0], line + len, 1);
		if (n <= 0 || line[len] == '\n')
			break;
		len++;
	}
	line[len] = '\0';
	t->fd = fds[0];
	snprintf(t->pidstr, sizeof(t->pidstr), "%d", t->pid);
	if (sscanf(line, strcmp(mode, "phase") ? "region=%lx scratch=%*x" : "a=%lx b=%lx",
		   &t->a, &t->b) < 1)
		return -1;
	return 0;
}

static void target_stop(struct target *t)
{
	if (t->pid > 0) {
		kill(t->pid, SIGKILL);
		waitpid(t->pid, NULL, 0);
	}
	if (t->fd >= 0)
		close(t->fd);
	t->pid = -1;
	t->fd = -1;
}

/* ---- the CLI ---------------------------------------------------------------- */

static const char *script(const char *name)
{
	static char path[PATH_MAX];
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);

	buf[n > 0 ? n : 0] = '\0';
	snprintf(path, sizeof(path), "%s/../../tests/%s", dirname(buf), name);
	return path;
}

/* The CLI started with ARGV (after the program), its stdout a pipe. */
struct cli_run {
	pid_t pid;
	FILE *out;
	int uid;			/* run as this user, if >= 0 */
	int err;			/* its stderr (a memfd), or -1 */
};

static int cli_start(struct cli_run *r, const char *env, char *const args[])
{
	char *argv[32];
	int p[2], n;

	argv[0] = (char *)cli();
	for (n = 0; args[n] && n < 30; n++)
		argv[n + 1] = args[n];
	argv[n + 1] = NULL;
	if (pipe2(p, O_CLOEXEC))
		return -1;
	r->err = memfd_create("err", MFD_CLOEXEC);
	fflush(stdout);
	fflush(stderr);
	r->pid = fork();
	if (r->pid < 0)
		return -1;
	if (!r->pid) {
		dup2(p[1], 1);
		if (r->err >= 0)
			dup2(r->err, 2);
		unsetenv(TARGET_ENV);
		setenv("NO_COLOR", "1", 1);
		if (env)
			putenv((char *)env);
		if (r->uid >= 0 && (setgroups(0, NULL) || setgid(r->uid) || setuid(r->uid)))
			_exit(126);
		execv(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	r->out = fdopen(p[0], "r");
	return r->out ? 0 : -1;
}

static char last_err[4096];	/* what the last CLI run wrote to stderr */

/* Wait for it: its exit status; its stderr into last_err. */
static int cli_wait(struct cli_run *r)
{
	ssize_t n = 0;
	int st;

	if (r->out)
		fclose(r->out);
	r->out = NULL;
	if (waitpid(r->pid, &st, 0) != r->pid)
		return -1;
	if (r->err >= 0) {
		n = pread(r->err, last_err, sizeof(last_err) - 1, 0);
		close(r->err);
		r->err = -1;
	}
	last_err[n > 0 ? n : 0] = '\0';
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Run the CLI to the end: its exit status; its JSON lines into OBJS. */
static int cli_lines(const char *env, int uid, json_object **objs, int max, int *n,
		     char *const args[])
{
	struct cli_run r = { .uid = uid, .err = -1 };
	char line[1 << 16];

	*n = 0;
	if (cli_start(&r, env, args))
		return -1;
	while (fgets(line, sizeof(line), r.out)) {
		if (line[0] != '{')
			continue;
		if (*n < max)
			objs[(*n)++] = json_tokener_parse(line);
	}
	return cli_wait(&r);
}

/* The last run said why it failed, as "ptscope CMD: ..." on stderr. */
static bool said_why(const char *cmd)
{
	char want[32];

	snprintf(want, sizeof(want), "ptscope %s: ", cmd);
	return !strncmp(last_err, want, strlen(want)) && strlen(last_err) > strlen(want) + 8;
}

static unsigned long jhex_str(json_object *o)
{
	const char *s = o ? json_object_get_string(o) : NULL;

	return s ? strtoul(s, NULL, 16) : 0;
}

/* The VMA of interval object O that starts at START. */
static json_object *vma_at(json_object *o, unsigned long start)
{
	json_object *a = jget(o, "vmas");
	size_t i;

	for (i = 0; a && i < json_object_array_length(a); i++) {
		json_object *v = json_object_array_get_idx(a, i);

		if (jhex_str(jget(v, "start")) == start)
			return v;
	}
	return NULL;
}

/*
 * The accessed runs of V are exactly every STRIDE-th page of the region
 * (runs of one page, in order): 0, or the first page that differs.
 */
static long check_runs(json_object *v, unsigned long region)
{
	json_object *runs = jget(v, "accessed_runs");
	size_t i, n = runs ? json_object_array_length(runs) : 0;
	unsigned long want = region;

	for (i = 0; i < n; i++, want += STRIDE * PAGE) {
		json_object *r = json_object_array_get_idx(runs, i);
		unsigned long s = jhex_str(json_object_array_get_idx(r, 0));
		unsigned long e = jhex_str(json_object_array_get_idx(r, 1));

		if (s != want || e != s + PAGE)
			return (long)s | 1;
	}
	return want == region + ((REGION_PAGES + STRIDE - 1) / STRIDE) * STRIDE * PAGE ? 0 :
	       (long)want | 1;
}

/* /proc/PID/smaps "Referenced:" of the VMA starting at START, in kB; -1. */
static long smaps_referenced(pid_t pid, unsigned long start)
{
	return pml_smaps_vma_kb(pid, start, "Referenced");
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* /proc/PID/stat's state is 'T' (stopped) within 5 s? */
static bool wait_stopped(pid_t pid)
{
	char path[64], buf[512], *p;
	int i, fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	for (i = 0; i < 500; i++) {
		ssize_t n;

		fd = open(path, O_RDONLY);
		if (fd < 0)
			return false;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		buf[n > 0 ? n : 0] = '\0';
		p = strrchr(buf, ')');
		if (p && p[1] == ' ' && p[2] == 'T')
			return true;
		usleep(10000);
	}
	return false;
}

/* ---- the tests ------------------------------------------------------------ */

FIXTURE(wss)
{
	struct target t;
	double t0;
};

FIXTURE_SETUP(wss)
{
	self->t.pid = -1;
	self->t.fd = -1;
	self->t0 = now();
	if (access(PTSCOPE_DEBUGFS_DIR "/records", F_OK) && access(PTSCOPE_DEVICE, F_OK))
		SKIP(return, "ptscope module not loaded");
	if (access(cli(), X_OK))
		SKIP(return, "%s not built", cli());
	ASSERT_EQ(0, target_start(&self->t, "wss"));
}

FIXTURE_TEARDOWN(wss)
{
	target_stop(&self->t);
	TH_LOG("%.1f s", now() - self->t0);
}

TEST_F(wss, exact_set_each_interval)
{
	char *args[] = { "wss", self->t.pidstr, "--interval", "0.5", "--count", "3", "--json",
			 "--pages", NULL };
	const long want = (REGION_PAGES + STRIDE - 1) / STRIDE;
	json_object *o[8];
	int n, i, st;

	st = cli_lines(NULL, -1, o, 8, &n, args);
	ASSERT_EQ(0, st);
	ASSERT_EQ(3, n);
	for (i = 0; i < n; i++) {
		json_object *v = vma_at(o[i], self->t.a), *vs = jget(o[i], "vmas");
		long others = 0, bad;
		char kinds[512] = "";
		size_t j;

		ASSERT_NE(NULL, o[i]);
		EXPECT_EQ(i + 1, jint(o[i], "interval"));
		ASSERT_NE(NULL, v) TH_LOG("interval %d: no VMA at 0x%lx", i + 1, self->t.a);
		EXPECT_EQ(self->t.a + REGION_PAGES * PAGE, jhex_str(jget(v, "end")));
		EXPECT_EQ(REGION_PAGES, jint(v, "present_pages"));
		EXPECT_EQ(want, jint(v, "accessed_pages"))
			TH_LOG("interval %d: reclaim_activity %s", i + 1,
			       json_object_to_json_string(jget(o[i], "reclaim_counters")));
		bad = check_runs(v, self->t.a);
		EXPECT_EQ(0, bad) TH_LOG("interval %d: the accessed runs differ at 0x%lx: %s",
					 i + 1, bad & ~1L,
					 json_object_to_json_string(jget(v, "accessed_runs")));
		EXPECT_FALSE(json_object_get_boolean(jget(o[i], "reclaim_activity")));
		/* the totals are the VMAs' sums; the cumulative set only grows */
		for (j = 0; j < json_object_array_length(vs); j++) {
			json_object *x = json_object_array_get_idx(vs, j);

			if (x != v && jint(x, "accessed_pages") > 0) {
				others += jint(x, "accessed_pages");
				snprintf(kinds + strlen(kinds), sizeof(kinds) - strlen(kinds),
					 " %s:%lld", json_object_get_string(jget(x, "backing")),
					 jint(x, "accessed_pages"));
			}
		}
		EXPECT_EQ(jint(o[i], "accessed_pages"), want + others);
		EXPECT_EQ(jint(o[i], "accessed_bytes"), (want + others) * (long)PAGE);
		EXPECT_GE(jint(o[i], "cumulative_pages"), jint(o[i], "accessed_pages"));
		if (i)
			EXPECT_GE(jint(o[i], "cumulative_pages"), jint(o[i - 1], "cumulative_pages"));
		EXPECT_EQ(0, jint(o[i], "accessed_huge_pages"));
		TH_LOG("interval %d: region %lld of %lld pages; the runtime's other VMAs %ld "
		       "pages (%s )", i + 1, jint(v, "accessed_pages"), jint(v, "present_pages"),
		       others, kinds);
	}
	for (i = 0; i < n; i++)
		json_object_put(o[i]);
}

TEST_F_TIMEOUT(wss, smaps_reads_the_same_bits, 60)
{
	char *args[] = { "wss", self->t.pidstr, "--interval", "2", "--count", "1", "--json",
			 "--pages", NULL };
	const long want = (REGION_PAGES + STRIDE - 1) / STRIDE;
	struct cli_run r = { .uid = -1, .err = -1 };
	char line[1 << 16], x;
	json_object *o, *v;
	struct pollfd pfd;
	long ref = -1;
	int i;

	/* stopped, with the set read since the last clear */
	ASSERT_EQ(0, kill(self->t.pid, SIGSTOP));
	ASSERT_TRUE(wait_stopped(self->t.pid));
	ASSERT_LT(0, smaps_referenced(self->t.pid, self->t.a));
	ASSERT_EQ(0, cli_start(&r, NULL, args));
	/* wss cleared the bits when smaps's Referenced drops to 0 */
	for (i = 0; i < 1000; i++) {
		ref = smaps_referenced(self->t.pid, self->t.a);
		if (!ref)
			break;
		usleep(5000);
	}
	ASSERT_EQ(0, ref) TH_LOG("wss did not clear the bits within 5 s");
	/* one full round, then it stops itself */
	ASSERT_EQ(0, kill(self->t.pid, SIGUSR1));
	ASSERT_EQ(0, kill(self->t.pid, SIGCONT));
	pfd = (struct pollfd){ .fd = self->t.fd, .events = POLLIN };
	ASSERT_EQ(1, poll(&pfd, 1, 5000));
	ASSERT_EQ(1, read(self->t.fd, &x, 1));
	ASSERT_TRUE(wait_stopped(self->t.pid));
	/* all that before the walk, 2 s after the clear */
	pfd = (struct pollfd){ .fd = fileno(r.out), .events = POLLIN };
	ASSERT_EQ(0, poll(&pfd, 1, 0)) TH_LOG("the guest was too slow: wss walked before "
					       "the target had stopped");
	ASSERT_NE(NULL, fgets(line, sizeof(line), r.out));
	EXPECT_EQ(0, cli_wait(&r));
	o = json_tokener_parse(line);
	ASSERT_NE(NULL, o);
	v = vma_at(o, self->t.a);
	ASSERT_NE(NULL, v);
	ref = smaps_referenced(self->t.pid, self->t.a);
	EXPECT_EQ(want, jint(v, "accessed_pages"));
	EXPECT_EQ(0, check_runs(v, self->t.a));
	EXPECT_EQ(ref, jint(v, "accessed_pages") * (long)(PAGE / 1024))
		TH_LOG("smaps Referenced %ld kB, wss %lld pages; reclaim: %s", ref,
		       jint(v, "accessed_pages"),
		       json_object_to_json_string(jget(o, "reclaim_counters")));
	TH_LOG("stopped target: wss %lld pages x 4K = %lld kB, smaps Referenced %ld kB",
	       jint(v, "accessed_pages"), jint(v, "accessed_pages") * 4, ref);
	json_object_put(o);
	kill(self->t.pid, SIGCONT);
}

TEST_F_TIMEOUT(wss, bad_arguments, 60)
{
	static const char *const bad[][4] = {
		{ "--interval", "0" }, { "--interval", "-1" }, { "--interval", "abc" },
		{ "--interval", "nan" }, { "--interval", "1e9" }, { "--interval", "" },
		{ "--count", "-1" }, { "--count", "x" }, { "--count", "2000000" },
		{ "--svg", "/tmp/x.svg" }, { "--no-such-option" },
	};
	json_object *o[4];
	char dead[16];
	int n, st;
	size_t i;
	pid_t p;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *args[] = { "wss", self->t.pidstr, (char *)bad[i][0], (char *)bad[i][1],
				 NULL };

		st = cli_lines(NULL, -1, o, 4, &n, args);
		EXPECT_EQ(2, st) TH_LOG("wss %s %s", bad[i][0], bad[i][1] ? bad[i][1] : "");
		EXPECT_EQ(0, n);
		EXPECT_TRUE(said_why("wss")) TH_LOG("%s", last_err);
	}
	{
		char *a1[] = { "wss", NULL }, *a2[] = { "wss", "12x", NULL };
		char *a3[] = { "heatmap", self->t.pidstr, NULL };
		char *a4[] = { "heatmap", self->t.pidstr, "--svg", "-", "--interval", "0", NULL };
		char *a5[] = { "wss", self->t.pidstr, self->t.pidstr, NULL };

		EXPECT_EQ(2, cli_lines(NULL, -1, o, 4, &n, a1));
		EXPECT_TRUE(said_why("wss")) TH_LOG("%s", last_err);
		EXPECT_EQ(2, cli_lines(NULL, -1, o, 4, &n, a2));
		EXPECT_TRUE(said_why("wss")) TH_LOG("%s", last_err);
		EXPECT_EQ(2, cli_lines(NULL, -1, o, 4, &n, a3));	/* no --svg */
		EXPECT_TRUE(said_why("heatmap")) TH_LOG("%s", last_err);
		EXPECT_EQ(2, cli_lines(NULL, -1, o, 4, &n, a4));
		EXPECT_TRUE(said_why("heatmap")) TH_LOG("%s", last_err);
		EXPECT_EQ(2, cli_lines(NULL, -1, o, 4, &n, a5));
		EXPECT_TRUE(said_why("wss")) TH_LOG("%s", last_err);
	}
	/* a PID that was just freed */
	p = fork();
	if (!p)
		_exit(0);
	waitpid(p, NULL, 0);
	snprintf(dead, sizeof(dead), "%d", p);
	{
		char *args[] = { "wss", dead, "--interval", "0.1", "--count", "1", NULL };
		char *hm[] = { "heatmap", dead, "--svg", "/tmp/wss-test-none.svg", "-n", "1",
			       NULL };

		EXPECT_EQ(5, cli_lines(NULL, -1, o, 4, &n, args));
		EXPECT_NE(NULL, strstr(last_err, "no such process")) TH_LOG("%s", last_err);
		EXPECT_EQ(5, cli_lines(NULL, -1, o, 4, &n, hm));
		EXPECT_NE(NULL, strstr(last_err, "no such process")) TH_LOG("%s", last_err);
		EXPECT_NE(0, access("/tmp/wss-test-none.svg", F_OK));
	}
	/* the module unreachable, no fallback: 3; not root: 4 */
	{
		char *args[] = { "wss", self->t.pidstr, "--via", "module", "-i", "0.1", "-n", "1",
				 NULL };
		char *plain[] = { "wss", self->t.pidstr, "-i", "0.1", "-n", "1", NULL };

		EXPECT_EQ(3, cli_lines("PTSCOPE_DEBUGFS=/nonexistent", -1, o, 4, &n, args));
		EXPECT_EQ(0, n);
		EXPECT_NE(NULL, strstr(last_err, "/nonexistent")) TH_LOG("%s", last_err);
		EXPECT_EQ(4, cli_lines(NULL, 65534, o, 4, &n, plain));
		EXPECT_EQ(0, n);
		EXPECT_NE(NULL, strstr(last_err, "permission denied")) TH_LOG("%s", last_err);
	}
}

/*
 * A target that only reads and sleeps (no flush of its own): without a
 * flush, wss sees at most its 86 pages (the translations it keeps in its
 * TLB across the clear are missed); with --flush-tlb exactly those pages.
 */
TEST(flush_tlb_counts_a_sleeping_reader)
{
	char *plain[] = { "wss", NULL, "--interval", "0.5", "--count", "2", "--json", NULL };
	char *flush[] = { "wss", NULL, "--interval", "0.5", "--count", "2", "--json", "--pages",
			  "--flush-tlb", NULL };
	const long want = (REGION_PAGES + STRIDE - 1) / STRIDE;
	json_object *o[4];
	struct target t;
	double t0 = now();
	int n, i;

	if (access(PTSCOPE_DEBUGFS_DIR "/records", F_OK) && access(PTSCOPE_DEVICE, F_OK))
		SKIP(return, "ptscope module not loaded");
	ASSERT_EQ(0, target_start(&t, "sleeper"));
	plain[1] = flush[1] = t.pidstr;
	EXPECT_EQ(0, cli_lines(NULL, -1, o, 4, &n, plain));
	ASSERT_EQ(2, n);
	for (i = 0; i < n; i++) {
		json_object *v = vma_at(o[i], t.a);

		ASSERT_NE(NULL, v);
		EXPECT_GE(want, jint(v, "accessed_pages"));
		EXPECT_FALSE(json_object_get_boolean(jget(o[i], "tlb_flushed")));
		TH_LOG("no flush, interval %d: %lld of the %ld pages read", i + 1,
		       jint(v, "accessed_pages"), want);
		json_object_put(o[i]);
	}
	EXPECT_EQ(0, cli_lines(NULL, -1, o, 4, &n, flush));
	ASSERT_EQ(2, n);
	for (i = 0; i < n; i++) {
		json_object *v = vma_at(o[i], t.a);

		ASSERT_NE(NULL, v);
		EXPECT_EQ(want, jint(v, "accessed_pages"));
		EXPECT_EQ(0, check_runs(v, t.a));
		EXPECT_TRUE(json_object_get_boolean(jget(o[i], "tlb_flushed")));
		EXPECT_FALSE(json_object_get_boolean(jget(o[i], "reclaim_activity")));
		TH_LOG("--flush-tlb, interval %d: %lld of the %ld pages read", i + 1,
		       jint(v, "accessed_pages"), want);
		json_object_put(o[i]);
	}
	target_stop(&t);
	TH_LOG("%.1f s", now() - t0);
}

TEST(heatmap_follows_the_phases)
{
	char svg[] = "/tmp/wss-test-XXXXXX.svg", exp[] = "/tmp/wss-test-XXXXXX";
	char *args[] = { "heatmap", NULL, "--svg", svg, "--interval", "0.4", "--count", "5",
			 "--json", NULL };
	struct cli_run r = { .uid = -1, .err = -1 };
	struct target t;
	char line[1 << 16], cmd[3 * PATH_MAX];
	int n = 0, files = 0, fd, st;
	double t0 = now();
	FILE *f;

	if (access(PTSCOPE_DEBUGFS_DIR "/records", F_OK) && access(PTSCOPE_DEVICE, F_OK))
		SKIP(return, "ptscope module not loaded");
	if (system("command -v python3 >/dev/null 2>&1"))
		SKIP(return, "no python3");
	ASSERT_EQ(0, target_start(&t, "phase"));
	fd = mkstemps(svg, 4);
	ASSERT_LE(0, fd);
	close(fd);
	args[1] = t.pidstr;
	ASSERT_EQ(0, cli_start(&r, NULL, args));
	while (fgets(line, sizeof(line), r.out)) {
		json_object *o = json_tokener_parse(line);

		ASSERT_NE(NULL, o) TH_LOG("%s", line);
		if (jget(o, "interval") && ++n == 1)
			kill(t.pid, SIGUSR1);		/* phase B from interval 2 on */
		if (jget(o, "file")) {
			EXPECT_EQ(5, jint(o, "rows"));
			files++;
		}
		json_object_put(o);
	}
	st = cli_wait(&r);
	target_stop(&t);
	ASSERT_EQ(0, st);
	EXPECT_EQ(5, n);	/* 5 intervals, then what was written */
	EXPECT_EQ(1, files);
	fd = mkstemp(exp);
	ASSERT_LE(0, fd);
	f = fdopen(fd, "w");
	fprintf(f, "1 %lx %lx %d %d\n", t.a, t.a + PHASE_PAGES * PAGE, PHASE_PAGES / 2,
		PHASE_PAGES);
	fprintf(f, "1 %lx %lx 0 %d\n", t.b, t.b + PHASE_PAGES * PAGE, PHASE_PAGES);
	fprintf(f, "3-5 %lx %lx 0 %d\n", t.a, t.a + PHASE_PAGES * PAGE, PHASE_PAGES);
	fprintf(f, "3-5 %lx %lx %d %d\n", t.b, t.b + PHASE_PAGES * PAGE, PHASE_PAGES / 4,
		PHASE_PAGES);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "python3 %s %s 5 %s", script("heatmap_svg_check.py"), svg,
		 exp);
	EXPECT_EQ(0, system(cmd));
	if (getenv("WSS_TEST_KEEP"))
		TH_LOG("kept %s", svg);
	else
		unlink(svg);
	unlink(exp);
	TH_LOG("%.1f s", now() - t0);
}

TEST_HARNESS_MAIN
