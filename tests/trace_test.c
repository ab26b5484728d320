// SPDX-License-Identifier: GPL-2.0
/*
 * "ptscope trace" (the faulttrace BPF program) against the kernel's own
 * answers.
 *
 * Each test starts "ptscope trace --json -- <this program>" with
 * PTSCOPE_TRACE_WORKLOAD set: the traced child then runs workload() (from
 * a constructor, before the harness) and does one step per command byte
 * it reads from a pipe, blocking between steps.  Around each step the
 * test reads the child's minflt/majflt, the module's counters for it
 * (the "faults" file tracks the same child) and its pagemap for the
 * step's region, and notes the CLOCK_MONOTONIC window of the step.  When
 * the child has exited, trace prints its summary and exits; the test then
 * reads the JSON events and checks, step by step:
 *
 *  - the events' outcomes against minflt/majflt and the module's counts;
 *  - the class of each fault in the region (demand-zero, zero-page, cow,
 *    wp-reuse, fault-around, swap-in, thp, ...);
 *  - the entry before the first fault and after the last fault of each
 *    page against pagemap read before and after the step.
 *
 * Every test runs twice: with the attach points trace picks (fentry/fexit
 * where they work) and with --attach kprobe.  Trace runs with --model:
 * the tests check the claims each class of fault bears on.
 *
 * model.known_faults checks the whole model report of "trace --model -p"
 * against a workload whose every fault is known in advance (issue 16).
 *
 * The command line: CMD's output on the same file never lands inside a
 * line; -o FILE; -- CMD traced from its exec on (no event of ptscope's
 * forked child); a CMD that cannot run prints only the reason; -p of a
 * kernel thread is refused; exit statuses and usage errors.
 *
 * --svg: the picture, written when the command exits and on Ctrl-C,
 * checked against the trace's own JSON by tests/trace_svg_check.py.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>
#include <linux/userfaultfd.h>

#include "guest_harness.h"
#include "libptscope.h"
#include "pagemap_lib.h"

#define PAGE		4096UL
#define NPAGES		64
#define FILE_PAGES	64
#define FILE_PAGE_READ	21	/* in the window of pages 16..31 */
#define HPAGE		(2UL << 20)
#define TIMEOUT_MS	180000	/* a step under TCG, with compaction or swap */
#define ENV_WORKLOAD	"PTSCOPE_TRACE_WORKLOAD"

#define PM_PFN(e)	((e) & ((1ULL << 55) - 1))
#define PM_SWAP		(1ULL << 62)
#define PM_PRESENT	(1ULL << 63)

/* ---- the workload (the traced child) ------------------------------------ */

/* The regions of the model test's workload (model_prepare()). */
enum { MR_N, MR_M, MR_K, MR_FILE1, MR_FILE2, MR_S, MR_NR };

#define MODEL_N		40	/* pages written first */
#define MODEL_M		24	/* pages read first */
#define MODEL_K		16	/* shared pages written while the child lives */
#define MODEL_S		32	/* pages paged out, then read */

struct reply {
	uint64_t addr;
	uint64_t len;
	uint64_t addr2;		/* step F: the second region */
	int64_t err;		/* 0 or errno */
	uint64_t model[MR_NR];	/* step P: the model test's regions */
	uint64_t mask;		/* step 7: mincore() of region S, a bit a page */
};

static char *map_anon(size_t len, int advice)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (advice >= 0)
		madvise(p, len, advice);
	return p;
}

/*
 * Move N pages at P to a node other than the one of the CPU we run on:
 * 0 or an errno (ENODEV: one node).
 */
static int move_far(char *p, size_t n)
{
	unsigned int cpu, node;
	void *pages[NPAGES];
	int nodes[NPAGES], status[NPAGES];
	size_t i;

	if (access("/sys/devices/system/node/node1", F_OK))
		return ENODEV;
	if (syscall(SYS_getcpu, &cpu, &node, NULL))
		return errno;
	for (i = 0; i < n && i < NPAGES; i++) {
		pages[i] = p + i * PAGE;
		nodes[i] = node ? 0 : 1;
	}
	if (syscall(SYS_move_pages, 0, i, pages, nodes, status, 1 << 1 /* MPOL_MF_MOVE */))
		return errno;
	for (i = 0; i < n && i < NPAGES; i++)
		if (status[i] != nodes[i])
			return EAGAIN;
	return 0;
}

/* Run (in user mode) until FD has something to read. */
static void spin_until_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	while (poll(&p, 1, 0) == 0)
		;
}

static sigjmp_buf sigbus_jmp;

static void on_sigbus(int sig)
{
	siglongjmp(sigbus_jmp, sig);
}

/* Read *P: 0 if that raised SIGBUS, as it should. */
static int __attribute__((noinline)) read_sigbus(volatile char *p)
{
	if (sigsetjmp(sigbus_jmp, 1))
		return 0;
	(void)*p;
	return EFAULT;
}

static sem_t uffd_ready;

/* Fault in the stack that read() and ioctl() below will use. */
static void __attribute__((noinline)) touch_stack(void)
{
	volatile char pad[16 * 1024];
	size_t i;

	for (i = 0; i < sizeof(pad); i += 512)
		pad[i] = 0;
}

/*
 * Resolve every missing-page fault of a userfaultfd with a copy.  The
 * handler makes its own first faults (its stack, the source page) before
 * it says it is ready: it is a thread of the traced process, so a fault
 * of its start-up that ran late, across the boundary of the next step,
 * would be counted by the kernel and the module at its end but placed by
 * trace (which stamps a fault at its start) outside that step.
 */
static void *uffd_handler(void *arg)
{
	static char page[PAGE] __attribute__((aligned(PAGE)));
	int fd = (intptr_t)arg;
	struct uffd_msg msg;
	struct uffdio_copy c;

	memset(page, 9, sizeof(page));
	touch_stack();
	memset(&msg, 0, sizeof(msg));
	memset(&c, 0, sizeof(c));
	sem_post(&uffd_ready);
	while (read(fd, &msg, sizeof(msg)) == sizeof(msg)) {
		c.dst = msg.arg.pagefault.address & ~(PAGE - 1);
		c.src = (uintptr_t)page;
		c.len = PAGE;
		c.mode = 0;
		if (msg.event == UFFD_EVENT_PAGEFAULT)
			ioctl(fd, UFFDIO_COPY, &c);
	}
	return NULL;
}

/* An anonymous region registered with a userfaultfd, and its handler. */
static char *map_uffd(size_t len, int64_t *err)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	pthread_t th;
	char *p;
	int fd;

	fd = syscall(SYS_userfaultfd, O_CLOEXEC);
	if (fd < 0 || ioctl(fd, UFFDIO_API, &api)) {
		*err = errno;
		return NULL;
	}
	p = map_anon(len, MADV_NOHUGEPAGE);
	if (!p)
		return NULL;
	reg.range.start = (uintptr_t)p;
	reg.range.len = len;
	if (ioctl(fd, UFFDIO_REGISTER, &reg) || sem_init(&uffd_ready, 0, 0) ||
	    pthread_create(&th, NULL, uffd_handler, (void *)(intptr_t)fd)) {
		*err = errno ? errno : EINVAL;
		return NULL;
	}
	/* The step ends only once the handler has made its own faults. */
	while (sem_wait(&uffd_ready) && errno == EINTR)
		;
	return p;
}

/* ---- the model test's workload ------------------------------------------ */

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ	22
#define MADV_POPULATE_WRITE	23
#endif

static const size_t model_pages[MR_NR] = {
	[MR_N] = MODEL_N, [MR_M] = MODEL_M, [MR_K] = MODEL_K,
	[MR_FILE1] = FILE_PAGES, [MR_FILE2] = FILE_PAGES, [MR_S] = MODEL_S,
};

static struct {
	char *reg[MR_NR];
	int cp[2];		/* the child's pipe */
	pid_t child;
} mw = { .cp = { -1, -1 }, .child = -1 };

static bool model_region(uint64_t lo, uint64_t hi)
{
	int i;

	for (i = 0; i < MR_NR; i++)
		if (mw.reg[i] && lo < (uintptr_t)mw.reg[i] + model_pages[i] * PAGE &&
		    hi > (uintptr_t)mw.reg[i])
			return true;
	return false;
}

/*
 * Copy now every page of ours that fork() left shared with the child
 * (stack, data, heap): each writable private mapping that is not a region
 * of the test gets a write fault per page, untraced.  0 or an errno.
 */
static int populate_own(void)
{
	static char maps[1 << 16];
	size_t got = 0;
	ssize_t n;
	char *line, *save = NULL;
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return errno;
	while (got < sizeof(maps) - 1 && (n = read(fd, maps + got, sizeof(maps) - 1 - got)) > 0)
		got += n;
	close(fd);
	if (got >= sizeof(maps) - 1)
		return E2BIG;
	maps[got] = '\0';
	for (line = strtok_r(maps, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long lo, hi;
		char perm[5];

		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perm) != 3)
			return EINVAL;
		if (perm[1] != 'w' || perm[3] != 'p' || model_region(lo, hi))
			continue;
		if (madvise((void *)lo, hi - lo, MADV_POPULATE_WRITE))
			return errno;
	}
	return 0;
}

/*
 * Step P: every region of the model test, set up untraced, so that the
 * traced steps fault in their regions and nowhere else:
 *
 *  - mlockall(MCL_CURRENT) maps every page of the program now (its text,
 *    data and stack): a step's code, stack and data never fault;
 *  - N and M: fresh anonymous regions, no THP;
 *  - K: written, then shared with a child that waits on a pipe; the
 *    program's own pages that the fork shared are copied right away
 *    (populate_own());
 *  - FILE1, FILE2: two mappings of FILE (a file of the guest's 9p layer:
 *    a file system's, not tmpfs), its pages read into the page cache
 *    through a third mapping;
 *  - S: written (after the fork: not shared), then paged out.
 */
static int model_prepare(const char *file)
{
	int fd, i, err;
	char *tmp;
	size_t p;

	if (mlockall(MCL_CURRENT))
		return errno;
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	for (i = 0; i < MR_NR; i++) {
		size_t len = model_pages[i] * PAGE;

		if (i == MR_FILE1 || i == MR_FILE2) {
			mw.reg[i] = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
			if (mw.reg[i] == MAP_FAILED)
				mw.reg[i] = NULL;
		} else {
			mw.reg[i] = map_anon(len, MADV_NOHUGEPAGE);
		}
		if (!mw.reg[i]) {
			close(fd);
			return ENOMEM;
		}
	}
	/* The file's pages in the page cache (a mapping of its own). */
	tmp = mmap(NULL, FILE_PAGES * PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (tmp == MAP_FAILED)
		return errno;
	err = madvise(tmp, FILE_PAGES * PAGE, MADV_POPULATE_READ) ? errno : 0;
	munmap(tmp, FILE_PAGES * PAGE);
	if (err)
		return err;
	memset(mw.reg[MR_K], 3, MODEL_K * PAGE);
	if (pipe(mw.cp))
		return errno;
	mw.child = fork();
	if (mw.child < 0)
		return errno;
	if (!mw.child) {
		char c;

		close(mw.cp[1]);
		if (read(mw.cp[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(mw.cp[0]);
	err = populate_own();
	if (err)
		return err;
	for (p = 0; p < MODEL_S; p++)
		memset(mw.reg[MR_S] + p * PAGE, (int)p + 1, PAGE);
	if (madvise(mw.reg[MR_S], MODEL_S * PAGE, MADV_PAGEOUT))
		return errno;
	return 0;
}

/* One model step (a digit); 0 or an errno. */
static int model_step(char cmd, struct reply *r)
{
	unsigned char vec[MODEL_S];
	volatile char sink = 0;
	size_t i;

	switch (cmd) {
	case '1':
		for (i = 0; i < MODEL_N; i++)
			mw.reg[MR_N][i * PAGE] = 1;
		break;
	case '2':
		for (i = 0; i < MODEL_M; i++)
			sink += mw.reg[MR_M][i * PAGE];
		break;
	case '3':
		for (i = 0; i < MODEL_K; i++)
			mw.reg[MR_K][i * PAGE] = 5;
		break;
	case '4':
		sink += mw.reg[MR_FILE1][FILE_PAGE_READ * PAGE];
		break;
	case '5':
		sink += mw.reg[MR_FILE2][FILE_PAGE_READ * PAGE];
		break;
	case '6':
		for (i = 0; i < MODEL_S; i++)
			sink += mw.reg[MR_S][i * PAGE];
		break;
	case '7':
		if (mincore(mw.reg[MR_S], MODEL_S * PAGE, vec))
			return errno;
		for (i = 0; i < MODEL_S; i++)
			if (vec[i] & 1)
				r->mask |= 1ULL << i;
		break;
	case '8':
		if (write(mw.cp[1], "x", 1) != 1 || waitpid(mw.child, NULL, 0) != mw.child)
			return errno ? errno : EIO;
		break;
	}
	(void)sink;
	return 0;
}

/*
 * Commands: upper case sets a step's region up, lower case faults on it.
 *   n        nothing (warms the loop up)
 *   A a      fresh anonymous pages; write each
 *   R r      untouched memory: read each page, then write each
 *   F f x g  two written regions shared with a forked child; write the
 *            first (COW), let the child exit, write the second (reuse)
 *   M m      map a file that is in the page cache; read one byte
 *   B b      map a file on the 9p lower layer (caches dropped); read a byte
 *   S s      written pages paged out with MADV_PAGEOUT; read each
 *   H h      a 2M-aligned MADV_HUGEPAGE region; write one byte
 *   U u      a region whose missing pages a userfaultfd fills; write each
 *   E e      map the file of step M one page past its end; touch that page
 *            (SIGBUS, caught)
 *   K k j    two fresh regions: read() /dev/zero into the first (the
 *            kernel faults), write the second through /proc/self/mem (GUP)
 *   N o      a fresh region, written, moved to a NUMA node other than the
 *            workload CPU's (move_pages), then spin until the next command
 *            (NUMA balancing scans only a task that runs); read the region
 *   P        the model test's regions (model_prepare())
 *   1 .. 8   the model test's steps (model_step())
 *   q        exit
 */
static void __attribute__((noreturn)) workload(int in, int out, const char *file,
					      const char *major_file)
{
	char *reg = NULL, *reg2 = NULL;
	struct reply r = { .addr = getpid() };
	volatile char sink = 0;
	int fd, cp[2] = { -1, -1 };
	pid_t child = -1;
	cpu_set_t set;
	size_t i, len = 0;
	char cmd;

	/* One CPU: every per-CPU LRU batch of ours is drained by our faults. */
	CPU_ZERO(&set);
	CPU_SET(sched_getcpu(), &set);
	sched_setaffinity(0, sizeof(set), &set);

	if (write(out, &r, sizeof(r)) != sizeof(r))
		_exit(1);
	while (read(in, &cmd, 1) == 1) {
		memset(&r, 0, sizeof(r));
		switch (cmd) {
		case 'n':
			break;
		case 'A':
		case 'R':
			len = NPAGES * PAGE;
			reg = map_anon(len, MADV_NOHUGEPAGE);
			break;
		case 'a':
			for (i = 0; i < len; i += PAGE)
				reg[i] = 1;
			break;
		case 'r':
			for (i = 0; i < len; i += PAGE)
				sink += reg[i];
			for (i = 0; i < len; i += PAGE)
				reg[i] = 2;
			break;
		case 'F':
			len = NPAGES * PAGE;
			reg = map_anon(len, MADV_NOHUGEPAGE);
			reg2 = map_anon(len, MADV_NOHUGEPAGE);
			if (!reg || !reg2 || pipe(cp))
				break;
			memset(reg, 3, len);
			memset(reg2, 4, len);
			child = fork();
			if (!child) {
				if (read(cp[0], &cmd, 1) < 0)
					_exit(1);
				_exit(0);
			}
			r.addr2 = (uintptr_t)reg2;
			break;
		case 'f':
			for (i = 0; i < len; i += PAGE)
				reg[i] = 5;
			break;
		case 'x':
			if (write(cp[1], "x", 1) != 1 || waitpid(child, NULL, 0) != child)
				r.err = errno ? errno : EIO;
			break;
		case 'g':
			for (i = 0; i < len; i += PAGE)
				reg2[i] = 6;
			break;
		case 'M':
		case 'B':
			fd = open(cmd == 'M' ? file : major_file, O_RDONLY);
			len = FILE_PAGES * PAGE;
			reg = fd < 0 ? MAP_FAILED :
			      mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
			if (reg == MAP_FAILED)
				reg = NULL;
			if (fd >= 0)
				close(fd);
			break;
		case 'm':
		case 'b':
			sink += reg[FILE_PAGE_READ * PAGE];
			break;
		case 'S':
			len = NPAGES * PAGE;
			reg = map_anon(len, MADV_NOHUGEPAGE);
			if (!reg)
				break;
			for (i = 0; i < len; i += PAGE)
				memset(reg + i, (int)(i / PAGE) + 1, PAGE);
			if (madvise(reg, len, MADV_PAGEOUT))
				r.err = errno;
			break;
		case 's':
			for (i = 0; i < len; i += PAGE)
				sink += reg[i];
			break;
		case 'H':
			reg = map_anon(2 * HPAGE, -1);
			if (!reg)
				break;
			reg = (char *)(((uintptr_t)reg + HPAGE - 1) & ~(HPAGE - 1));
			len = HPAGE;
			if (madvise(reg, len, MADV_HUGEPAGE))
				r.err = errno;
			break;
		case 'h':
			reg[0] = 7;
			break;
		case 'E':
			fd = open(file, O_RDONLY);
			len = (FILE_PAGES + 1) * PAGE;
			reg = fd < 0 ? MAP_FAILED :
			      mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
			if (reg == MAP_FAILED)
				reg = NULL;
			if (fd >= 0)
				close(fd);
			signal(SIGBUS, on_sigbus);
			break;
		case 'e':
			r.err = read_sigbus(reg + FILE_PAGES * PAGE);
			break;
		case 'K':
			len = NPAGES * PAGE;
			reg = map_anon(len, MADV_NOHUGEPAGE);
			reg2 = map_anon(len, MADV_NOHUGEPAGE);
			r.addr2 = (uintptr_t)reg2;
			break;
		case 'k':
			fd = open("/dev/zero", O_RDONLY);
			if (fd < 0 || read(fd, reg, len) != (ssize_t)len)
				r.err = errno ? errno : EIO;
			if (fd >= 0)
				close(fd);
			break;
		case 'j':
			fd = open("/proc/self/mem", O_RDWR);
			if (fd < 0 || pwrite(fd, reg, len, (uintptr_t)reg2) != (ssize_t)len)
				r.err = errno ? errno : EIO;
			if (fd >= 0)
				close(fd);
			break;
		case 'N':
			len = NPAGES * PAGE;
			reg = map_anon(len, MADV_NOHUGEPAGE);
			if (!reg)
				break;
			memset(reg, 9, len);
			r.err = move_far(reg, NPAGES);
			break;
		case 'o':
			for (i = 0; i < len; i += PAGE)
				sink += reg[i];
			break;
		case 'U':
			len = NPAGES * PAGE;
			reg = map_uffd(len, &r.err);
			break;
		case 'P':
			r.err = model_prepare(major_file);
			for (i = 0; i < MR_NR; i++)
				r.model[i] = (uintptr_t)mw.reg[i];
			r.addr = getpid();
			break;
		case '1' ... '8':
			r.err = model_step(cmd, &r);
			r.addr = getpid();
			break;
		case 'u':
			for (i = 0; i < len; i += PAGE)
				reg[i] = 8;
			break;
		default:
			_exit(0);
		}
		if (!r.addr) {
			r.addr = (uintptr_t)reg;
			r.len = len;
		}
		if (!r.err && !r.addr && cmd != 'n' && cmd != 'x')
			r.err = ENOMEM;
		if (write(out, &r, sizeof(r)) != sizeof(r))
			_exit(1);
		if (cmd == 'N')
			spin_until_readable(in);
	}
	(void)sink;
	_exit(0);
}

/* In the traced child, before the harness starts: run the workload. */
static void __attribute__((constructor)) workload_main(void)
{
	const char *env = getenv(ENV_WORKLOAD);
	char file[PATH_MAX] = "", major_file[PATH_MAX] = "";
	int in, out;

	if (!env)
		return;
	if (sscanf(env, "%d,%d,%4095[^,],%4095s", &in, &out, file, major_file) != 4)
		_exit(2);
	unsetenv(ENV_WORKLOAD);
	workload(in, out, file, major_file);
}

/*
 * The splice test's command: write a line to stdout, then fault in a
 * fresh page, N times, each line in its own write(2): its output and its
 * faults' events go to the same file at the same time.
 */
#define ENV_SPLICE	"PTSCOPE_TRACE_SPLICE"

static void __attribute__((constructor)) splice_main(void)
{
	const char *env = getenv(ENV_SPLICE);
	char line[64];
	char *p;
	int n, i, len;

	if (!env)
		return;
	n = atoi(env);
	p = mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		_exit(2);
	madvise(p, n * PAGE, MADV_NOHUGEPAGE);
	for (i = 0; i < n; i++) {
		len = snprintf(line, sizeof(line), "CMDLINE %d\n", i);
		if (write(STDOUT_FILENO, line, len) != len)
			_exit(3);
		p[i * PAGE] = 1;
	}
	_exit(0);
}

/* ---- oracles ------------------------------------------------------------- */

struct counters {
	long long minor, major, retry, error, faults, missed;
	int found;
};

/* The module's counters for PID (found = 0 if it is not tracked). */
static void module_counters(pid_t pid, struct counters *c)
{
	struct pts_faults f;

	memset(c, 0, sizeof(*c));
	if (pts_faults_read(pid, &f))
		return;
	c->found = 1;
	c->minor = f.count[PTSCOPE_FC_MINOR];
	c->major = f.count[PTSCOPE_FC_MAJOR];
	c->retry = f.count[PTSCOPE_FC_RETRY];
	c->error = f.count[PTSCOPE_FC_ERROR];
	c->faults = f.count[PTSCOPE_FC_FAULTS];
	c->missed = f.missed;
}

/* N pagemap entries of PID from ADDR; 0 or -errno. */
static int pagemap(pid_t pid, uint64_t addr, size_t n, uint64_t *out)
{
	char path[64];
	ssize_t len = n * sizeof(*out);
	int fd, ret = 0;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (pread(fd, out, len, addr / PAGE * sizeof(*out)) != len)
		ret = -EIO;
	close(fd);
	return ret;
}

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;
	ssize_t n = strlen(s);

	if (fd < 0)
		return -errno;
	if (write(fd, s, n) != n)
		ret = -errno;
	close(fd);
	return ret;
}

/* The first line of a small file, without its newline. */
static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	int ret = 0;

	if (!f)
		return -errno;
	if (!fgets(buf, len, f))
		ret = -EIO;
	else
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
	return ret;
}

/* The selected word of a sysfs choice file: "always [madvise] never". */
static int read_choice(const char *path, char *buf, size_t len)
{
	char line[256], *a, *b;
	FILE *f = fopen(path, "re");

	if (!f)
		return -errno;
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	a = strchr(line, '[');
	b = a ? strchr(a, ']') : NULL;
	if (!b)
		return -EINVAL;
	*b = '\0';
	snprintf(buf, len, "%s", a + 1);
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/*
 * Swap on a zram device for the swap-in test: 0, or -1 with the reason
 * in WHY.
 */
#define ZRAM "/sys/block/zram0/"
#define THP "/sys/kernel/mm/transparent_hugepage/"

/* NUMA balancing on, scanning every 100 ms (the last two: debugfs). */
static const char *const numa_knobs[3] = {
	"/proc/sys/kernel/numa_balancing",
	"/sys/kernel/debug/sched/numa_balancing/scan_delay_ms",
	"/sys/kernel/debug/sched/numa_balancing/scan_period_min_ms",
};
static const char *const numa_values[3] = { "1", "100", "100" };

static int swap_on(char *why, size_t len)
{
	char buf[64];

	if (access(ZRAM "disksize", F_OK) &&
	    system("modprobe zram num_devices=1 >/dev/null 2>&1")) {
		snprintf(why, len, "cannot load the zram module");
		return -1;
	}
	if (access(ZRAM "disksize", F_OK)) {
		snprintf(why, len, "no /dev/zram0 after modprobe zram");
		return -1;
	}
	if (read_line(ZRAM "disksize", buf, sizeof(buf)) || strcmp(buf, "0")) {
		snprintf(why, len, "zram0 is already in use");
		return -1;
	}
	if (write_str(ZRAM "disksize", "64M")) {
		snprintf(why, len, "cannot size zram0");
		return -1;
	}
	if (system("mkswap /dev/zram0 >/dev/null 2>&1") ||
	    system("swapon /dev/zram0 >/dev/null 2>&1")) {
		snprintf(why, len, "mkswap/swapon /dev/zram0 failed");
		write_str(ZRAM "reset", "1");
		return -1;
	}
	return 0;
}

static void swap_off(void)
{
	if (system("swapoff /dev/zram0 >/dev/null 2>&1"))
		fprintf(stderr, "# swapoff /dev/zram0 failed\n");
	write_str(ZRAM "reset", "1");
	if (system("modprobe -r zram >/dev/null 2>&1"))
		fprintf(stderr, "# cannot unload zram\n");
}

/* ---- trace's events ------------------------------------------------------ */

struct side {
	int present, writable, swap;
	long long pfn;		/* -1: null */
	unsigned int swap_type;
	unsigned long long swap_offset;
	int window;
	char level[8];
};

#define EV_TAGS		4

/* One claim of --model's "model": [{claim, verdict, note}]. */
struct tag {
	char claim[8], verdict[32];
};

struct event {
	uint64_t ts, addr;
	char outcome[8], cls[16], access[8], cause[16], mode[8];
	int neighbours, has_ip;
	struct side b, a;
	int has_model, ntags;
	struct tag tags[EV_TAGS];
};

static const char *jstr(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return "";
	return json_object_get_string(v);
}

static json_object *jobj(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static long long jint(json_object *o, const char *key, long long dflt)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
		return dflt;
	return json_object_get_int64(v);
}

static int jbool(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_get_boolean(v);
}

/* --model's tags of an event, if it has them. */
static void parse_tags(json_object *o, struct event *e)
{
	json_object *a;
	size_t i, n;

	if (!json_object_object_get_ex(o, "model", &a) ||
	    !json_object_is_type(a, json_type_array))
		return;
	e->has_model = 1;
	n = json_object_array_length(a);
	for (i = 0; i < n && i < EV_TAGS; i++) {
		json_object *t = json_object_array_get_idx(a, i);

		snprintf(e->tags[i].claim, sizeof(e->tags[i].claim), "%s", jstr(t, "claim"));
		snprintf(e->tags[i].verdict, sizeof(e->tags[i].verdict), "%s",
			 jstr(t, "verdict"));
	}
	e->ntags = n;
}

static void parse_side(json_object *o, const char *key, struct side *s)
{
	json_object *p, *sw;

	memset(s, 0, sizeof(*s));
	s->pfn = -1;
	if (!json_object_object_get_ex(o, key, &p))
		return;
	s->present = jbool(p, "present");
	s->writable = jbool(p, "writable");
	s->pfn = jint(p, "pfn", -1);
	s->window = jint(p, "window", 0);
	snprintf(s->level, sizeof(s->level), "%s", jstr(p, "level"));
	if (json_object_object_get_ex(p, "swap", &sw) &&
	    json_object_is_type(sw, json_type_object)) {
		s->swap = 1;
		s->swap_type = jint(sw, "type", 0);
		s->swap_offset = jint(sw, "offset", 0);
	}
}

/* ---- the test's side ----------------------------------------------------- */

#define MAX_STEPS	32

struct step {
	char cmd;
	uint64_t t0, t1;
	struct reply r;
	long long dmin, dmaj;
	struct counters mod;		/* module deltas */
	uint64_t *pm_before, *pm_after;	/* pagemap of the region (r.len pages) */
};

FIXTURE(trace) {
	pid_t trace, pid;		/* ptscope trace; the workload */
	int to, from;			/* command and reply pipes */
	char out[64];			/* trace's stdout */
	char file[64];			/* the file step M maps */
	int tracked;
	struct step steps[MAX_STEPS];
	int nsteps;
	struct event *ev;
	int nev;
	json_object *summary;
	int status;			/* trace's exit status */
	const char *attach;		/* --attach */
	int swap;			/* zram swap set up by the test */
	char thp_enabled[16];		/* THP settings to restore */
	char thp_defrag[32];
	char numa[3][16];		/* NUMA balancing settings to restore */
};

FIXTURE_VARIANT(trace) {
	const char *attach;
};

FIXTURE_VARIANT_ADD(trace, auto) {
	.attach = "auto",
};

FIXTURE_VARIANT_ADD(trace, kprobe) {
	.attach = "kprobe",
};

/*
 * A file on the guest's 9p lower layer that nothing maps, for a major
 * fault once the caches are dropped.
 */
static const char *major_file(void)
{
	static char path[PATH_MAX];
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	exe[n > 0 ? n : 0] = '\0';
	/* <repo>/build/tests/trace_test -> <repo>/build/bpf/vmlinux.h */
	snprintf(path, sizeof(path), "%s/bpf/vmlinux.h", dirname(dirname(exe)));
	if (access(path, R_OK))
		snprintf(path, sizeof(path), "/usr/bin/bash");
	return path;
}

/* The CLI of this tree (<repo>/build/tests/trace_test), or $PTSCOPE. */
static const char *ptscope_bin(void)
{
	static char bin[PATH_MAX];
	char exe[PATH_MAX], repo[PATH_MAX / 2];
	const char *env = getenv("PTSCOPE");
	ssize_t n;

	if (env && *env)
		return env;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	snprintf(repo, sizeof(repo), "%s", dirname(dirname(dirname(exe))));
	snprintf(bin, sizeof(bin), "%s/tools/ptscope/ptscope", repo);
	return bin;
}

static int read_full(int fd, void *buf, size_t len, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		if (poll(&pfd, 1, timeout_ms) != 1)
			return -ETIMEDOUT;
		n = read(fd, (char *)buf + got, len - got);
		if (n <= 0)
			return n ? -errno : -EPIPE;
		got += n;
	}
	return 0;
}

FIXTURE_SETUP(trace)
{
	const char *bin = ptscope_bin();
	char env[2 * PATH_MAX + 32], page[PAGE];
	int to[2], from[2], fd, i;
	struct reply r;

	memset(self->steps, 0, sizeof(self->steps));
	self->ev = NULL;
	self->nev = self->nsteps = 0;
	self->summary = NULL;
	self->trace = self->pid = 0;
	self->swap = 0;
	self->attach = variant->attach;
	self->thp_enabled[0] = self->thp_defrag[0] = '\0';
	memset(self->numa, 0, sizeof(self->numa));

	/* The file step M maps, in the page cache: written, never read. */
	snprintf(self->file, sizeof(self->file), "/tmp/ptscope-trace-file-XXXXXX");
	fd = mkstemp(self->file);
	ASSERT_GE(fd, 0);
	for (i = 0; i < FILE_PAGES; i++) {
		memset(page, 'a' + i % 26, sizeof(page));
		ASSERT_EQ(sizeof(page), write(fd, page, sizeof(page)));
	}
	close(fd);
	snprintf(self->out, sizeof(self->out), "/tmp/ptscope-trace-out-XXXXXX");
	fd = mkstemp(self->out);
	ASSERT_GE(fd, 0);

	ASSERT_EQ(0, pipe2(to, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(from, O_CLOEXEC));
	TH_LOG("%s trace --json --model --attach %s -- <workload>", bin, variant->attach);
	self->trace = fork();
	ASSERT_GE(self->trace, 0);
	if (!self->trace) {
		static char me[PATH_MAX];
		ssize_t l = readlink("/proc/self/exe", me, sizeof(me) - 1);
		char *argv[] = { (char *)bin, "trace", "--json", "--model", "--attach",
				 (char *)variant->attach, "--", me, NULL };

		me[l > 0 ? l : 0] = '\0';
		/* The workload's ends survive exec: trace passes them on. */
		dup2(fd, STDOUT_FILENO);
		dup2(to[0], 100);
		dup2(from[1], 101);
		snprintf(env, sizeof(env), "100,101,%s,%s", self->file, major_file());
		setenv(ENV_WORKLOAD, env, 1);
		execv(bin, argv);
		_exit(127);
	}
	close(fd);
	close(to[0]);
	close(from[1]);
	self->to = to[1];
	self->from = from[0];
	ASSERT_EQ(0, read_full(self->from, &r, sizeof(r), TIMEOUT_MS)) {
		TH_LOG("trace did not start the workload (see its messages above)");
	}
	self->pid = r.addr;
	ASSERT_EQ(0, pts_faults_ctl("track", self->pid));
	self->tracked = 1;
}

FIXTURE_TEARDOWN(trace)
{
	int i;

	if (self->tracked)
		pts_faults_ctl("untrack", self->pid);
	if (self->pid > 0)
		kill(self->pid, SIGKILL);
	if (self->trace > 0) {
		kill(self->trace, SIGTERM);
		waitpid(self->trace, NULL, 0);
	}
	close(self->to);
	close(self->from);
	unlink(self->file);
	unlink(self->out);
	for (i = 0; i < self->nsteps; i++) {
		free(self->steps[i].pm_before);
		free(self->steps[i].pm_after);
	}
	free(self->ev);
	if (self->summary)
		json_object_put(self->summary);
	if (self->swap)
		swap_off();
	if (self->thp_enabled[0])
		write_str(THP "enabled", self->thp_enabled);
	if (self->thp_defrag[0])
		write_str(THP "defrag", self->thp_defrag);
	for (i = 0; i < 3; i++)
		if (self->numa[i][0])
			write_str(numa_knobs[i], self->numa[i]);
}

#define WORKLOAD_IN	100	/* the workload's command pipe (see above) */

/*
 * Wait until the workload is blocked reading its next command: from then
 * on it takes no fault until it gets one.  Between sending its reply and
 * that read() it still runs, and may fault (after fork() in step F, its
 * first writes to a stack page are copy-on-write faults): a snapshot of
 * the counters taken meanwhile would count such a fault in one counter
 * (module, minflt) and not in the other, or outside the trace's window
 * (seen once on 7.3: "step F: module 130 minor, trace 129").
 */
static int wait_blocked(pid_t pid)
{
	return pml_wait_blocked_read(pid, WORKLOAD_IN, TIMEOUT_MS);
}

/*
 * Run one step: counters around it and, when LEN is not 0, pagemap of
 * the region [ADDR, ADDR + LEN) (set up by an earlier step).  Each
 * snapshot is taken while the workload is blocked reading its next
 * command, except after step N, when it spins on purpose.
 */
static struct step *step(struct __test_metadata *_metadata,
			 FIXTURE_DATA(trace) *self, char cmd, uint64_t addr,
			 uint64_t len)
{
	long long min0, maj0, min1, maj1;
	size_t n = len / PAGE;
	struct counters c0, c1;
	struct step *s;

	if (self->nsteps >= MAX_STEPS)
		return NULL;
	s = &self->steps[self->nsteps++];
	s->cmd = cmd;
	if (n) {
		s->pm_before = calloc(n, sizeof(uint64_t));
		s->pm_after = calloc(n, sizeof(uint64_t));
		if (!s->pm_before || !s->pm_after ||
		    pagemap(self->pid, addr, n, s->pm_before))
			return NULL;
	}
	if ((self->nsteps < 2 || s[-1].cmd != 'N') && wait_blocked(self->pid))
		return NULL;
	pts_proc_faults(self->pid, &min0, &maj0);
	module_counters(self->pid, &c0);
	s->t0 = now_ns();
	if (write(self->to, &cmd, 1) != 1 ||
	    read_full(self->from, &s->r, sizeof(s->r), TIMEOUT_MS))
		return NULL;
	if (cmd != 'N' && wait_blocked(self->pid))
		return NULL;
	s->t1 = now_ns();
	pts_proc_faults(self->pid, &min1, &maj1);
	module_counters(self->pid, &c1);
	if (n && pagemap(self->pid, addr, n, s->pm_after))
		return NULL;
	if (n) {
		s->r.addr = addr;
		s->r.len = len;
	}
	s->dmin = min1 - min0;
	s->dmaj = maj1 - maj0;
	s->mod.minor = c1.minor - c0.minor;
	s->mod.major = c1.major - c0.major;
	s->mod.retry = c1.retry - c0.retry;
	s->mod.error = c1.error - c0.error;
	s->mod.faults = c1.faults - c0.faults;
	s->mod.missed = c1.missed - c0.missed;
	s->mod.found = c0.found && c1.found;
	if (s->r.err)
		TH_LOG("step %c: %s", cmd, strerror(s->r.err));
	return s;
}

/* Let the workload exit, wait for trace, read its JSON output. */
static void finish(struct __test_metadata *_metadata, FIXTURE_DATA(trace) *self)
{
	static const char *const keys[] = {
		"time", "pid", "tid", "comm", "address", "ip", "access", "cause",
		"outcome", "latency_ns", "before", "after", "class", "neighbours",
	};
	char line[8192];
	int st = -1, i;
	size_t k;
	FILE *f;

	ASSERT_EQ(1, write(self->to, "q", 1));
	for (i = 0; i < TIMEOUT_MS / 100; i++) {
		if (waitpid(self->trace, &st, WNOHANG) == self->trace)
			break;
		usleep(100000);
	}
	ASSERT_TRUE(WIFEXITED(st)) {
		TH_LOG("trace did not exit");
	}
	self->trace = 0;
	self->pid = 0;
	self->status = WEXITSTATUS(st);
	EXPECT_EQ(0, self->status);

	f = fopen(self->out, "re");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		json_object *o = json_tokener_parse(line), *sum;
		struct event *e;

		ASSERT_NE(NULL, o) {
			TH_LOG("not JSON: %s", line);
		}
		if (json_object_object_get_ex(o, "summary", &sum)) {
			self->summary = json_object_get(sum);
			json_object_put(o);
			continue;
		}
		e = realloc(self->ev, (self->nev + 1) * sizeof(*e));
		ASSERT_NE(NULL, e);
		self->ev = e;
		e += self->nev++;
		memset(e, 0, sizeof(*e));
		e->ts = jint(o, "ts_ns", 0);
		e->addr = strtoull(jstr(o, "address"), NULL, 16);
		snprintf(e->outcome, sizeof(e->outcome), "%s", jstr(o, "outcome"));
		snprintf(e->cls, sizeof(e->cls), "%s", jstr(o, "class"));
		snprintf(e->access, sizeof(e->access), "%s", jstr(o, "access"));
		snprintf(e->cause, sizeof(e->cause), "%s", jstr(o, "cause"));
		snprintf(e->mode, sizeof(e->mode), "%s", jstr(o, "mode"));
		e->has_ip = *jstr(o, "ip") != '\0';
		for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			EXPECT_TRUE(json_object_object_get_ex(o, keys[k], NULL)) {
				TH_LOG("event without \"%s\": %s", keys[k], line);
			}
		e->neighbours = jint(o, "neighbours", 0);
		parse_side(o, "before", &e->b);
		parse_side(o, "after", &e->a);
		parse_tags(o, e);
		json_object_put(o);
	}
	fclose(f);
	ASSERT_NE(NULL, self->summary) {
		TH_LOG("no summary from trace");
	}
	TH_LOG("trace: %d events, attach %s + %s", self->nev,
	       jstr(self->summary, "attach"), jstr(self->summary, "exceptions_attach"));
	/* --attach kprobe takes every fallback. */
	if (!strcmp(self->attach, "kprobe")) {
		EXPECT_STREQ("kprobe/kretprobe", jstr(self->summary, "attach"));
		EXPECT_STREQ("tracepoint", jstr(self->summary, "exceptions_attach"));
	}
}

static bool in_step(const struct step *s, const struct event *e)
{
	return e->ts >= s->t0 && e->ts <= s->t1;
}

static bool in_region(const struct step *s, const struct event *e)
{
	return in_step(s, e) && e->addr >= s->r.addr && e->addr < s->r.addr + s->r.len;
}

/* Trace, the module and the kernel count the same faults in each step. */
static void check_counts(struct __test_metadata *_metadata,
			 FIXTURE_DATA(trace) *self)
{
	json_object *lost;
	int i, j;

	for (i = 0; i < self->nsteps; i++) {
		const struct step *s = &self->steps[i];
		long long minor = 0, major = 0, retry = 0, error = 0;

		for (j = 0; j < self->nev; j++) {
			const struct event *e = &self->ev[j];

			if (!in_step(s, e))
				continue;
			minor += !strcmp(e->outcome, "minor");
			major += !strcmp(e->outcome, "major");
			retry += !strcmp(e->outcome, "retry");
			error += !strcmp(e->outcome, "error");
		}
		EXPECT_TRUE(s->mod.found);
		EXPECT_EQ(s->dmin, minor) {
			TH_LOG("step %c: minflt +%lld, trace %lld minor", s->cmd, s->dmin, minor);
		}
		EXPECT_EQ(s->dmaj, major) {
			TH_LOG("step %c: majflt +%lld, trace %lld major", s->cmd, s->dmaj, major);
		}
		EXPECT_EQ(s->mod.minor, minor) {
			TH_LOG("step %c: module %lld minor, trace %lld", s->cmd, s->mod.minor, minor);
		}
		EXPECT_EQ(s->mod.major, major) {
			TH_LOG("step %c: module %lld major, trace %lld", s->cmd, s->mod.major, major);
		}
		EXPECT_EQ(s->mod.retry, retry);
		EXPECT_EQ(s->mod.error, error);
		EXPECT_EQ(s->mod.faults, minor + major + error);
		EXPECT_EQ(0, s->mod.missed);
	}
	/* Nothing lost, and the summary adds up. */
	ASSERT_TRUE(json_object_object_get_ex(self->summary, "lost", &lost));
	EXPECT_EQ(0, jint(lost, "total", -1));
	EXPECT_EQ(self->nev, jint(self->summary, "events", -1));
}

/* How many faults of STEP in its region have class CLS. */
static int count_class(FIXTURE_DATA(trace) *self, const struct step *s, const char *cls)
{
	int j, n = 0;

	for (j = 0; j < self->nev; j++)
		if (in_region(s, &self->ev[j]) && !strcmp(self->ev[j].cls, cls))
			n++;
	return n;
}

/* How many faults of STEP in its region have this access and cause. */
static int count_where(FIXTURE_DATA(trace) *self, const struct step *s,
		       const char *access, const char *cause)
{
	int j, n = 0;

	for (j = 0; j < self->nev; j++)
		if (in_region(s, &self->ev[j]) && !strcmp(self->ev[j].access, access) &&
		    !strcmp(self->ev[j].cause, cause))
			n++;
	return n;
}

/* How many faults of the process STEP saw, anywhere. */
static int count_step(FIXTURE_DATA(trace) *self, const struct step *s)
{
	int j, n = 0;

	for (j = 0; j < self->nev; j++)
		n += in_step(s, &self->ev[j]);
	return n;
}

static int count_region(FIXTURE_DATA(trace) *self, const struct step *s)
{
	int j, n = 0;

	for (j = 0; j < self->nev; j++)
		n += in_region(s, &self->ev[j]);
	return n;
}

/*
 * For each page of the region that faulted in STEP: the entry before its
 * first fault agrees with pagemap before the step, the entry after its
 * last fault with pagemap after.  Returns the pages that faulted.
 */
static int check_pagemap(struct __test_metadata *_metadata,
			 FIXTURE_DATA(trace) *self, const struct step *s)
{
	size_t n = s->r.len / PAGE, p;
	int j, pages = 0;

	for (p = 0; p < n; p++) {
		uint64_t va = s->r.addr + p * PAGE, pb = s->pm_before[p], pa = s->pm_after[p];
		const struct event *first = NULL, *last = NULL;

		for (j = 0; j < self->nev; j++) {
			const struct event *e = &self->ev[j];

			if (!in_step(s, e) || (e->addr & ~(PAGE - 1)) != va)
				continue;
			if (!first)
				first = e;
			last = e;
		}
		if (!first)
			continue;
		pages++;
		/* Before. */
		EXPECT_EQ(!!(pb & PM_PRESENT), first->b.present) {
			TH_LOG("%#lx: pagemap before %#llx, trace before present=%d",
			       (unsigned long)va, (unsigned long long)pb, first->b.present);
		}
		if (pb & PM_PRESENT) {
			EXPECT_EQ((long long)PM_PFN(pb), first->b.pfn);
		}
		EXPECT_EQ(!!(pb & PM_SWAP), first->b.swap);
		if ((pb & PM_SWAP) && first->b.swap) {
			EXPECT_EQ(pb & 0x1f, first->b.swap_type);
			EXPECT_EQ((PM_PFN(pb) >> 5), first->b.swap_offset);
		}
		/* After: a huge leaf maps the page at its offset in the leaf. */
		EXPECT_EQ(!!(pa & PM_PRESENT), last->a.present) {
			TH_LOG("%#lx: pagemap after %#llx, trace after present=%d",
			       (unsigned long)va, (unsigned long long)pa, last->a.present);
		}
		if ((pa & PM_PRESENT) && last->a.present) {
			long long pfn = last->a.pfn;

			if (!strcmp(last->a.level, "pmd"))
				pfn += (va >> 12) & 511;
			EXPECT_EQ((long long)PM_PFN(pa), pfn) {
				TH_LOG("%#lx: pagemap pfn %#llx, trace %#llx", (unsigned long)va,
				       (unsigned long long)PM_PFN(pa), pfn);
			}
		}
	}
	return pages;
}

/* --model's verdicts (the labs' words). */
#define HOLDS	"holds"
#define DIFF	"holds with a difference"
#define NOT	"does not hold on Linux"

/*
 * Event E has --model's tags TAGS, in order: "M4=holds,M13=holds with a
 * difference", "" for none.  NULL: a swap-in's own, "M8=holds" if it was
 * major, "M8=holds with a difference" if minor (from the swap cache).
 */
static void expect_tags(struct __test_metadata *_metadata, const struct step *s,
			const struct event *e, const char *tags)
{
	char got[256] = "";
	size_t used = 0;
	int k;

	if (!tags)
		tags = !strcmp(e->outcome, "major") ? "M8=" HOLDS : "M8=" DIFF;
	for (k = 0; k < e->ntags && k < EV_TAGS; k++)
		used += snprintf(got + used, sizeof(got) - used, "%s%s=%s", k ? "," : "",
				 e->tags[k].claim, e->tags[k].verdict);
	EXPECT_TRUE(e->has_model);
	EXPECT_STREQ(tags, got) {
		TH_LOG("step %c: %#llx (%s)", s->cmd, (unsigned long long)e->addr, e->cls);
	}
}

/*
 * The faults of step S in its region of class CLS have the tags TAGS
 * (expect_tags()): how many there are.
 */
static int check_tags(struct __test_metadata *_metadata, FIXTURE_DATA(trace) *self,
		      const struct step *s, const char *cls, const char *tags)
{
	int j, n = 0;

	for (j = 0; j < self->nev; j++) {
		const struct event *e = &self->ev[j];

		if (!in_region(s, e) || strcmp(e->cls, cls))
			continue;
		n++;
		expect_tags(_metadata, s, e, tags);
	}
	return n;
}

static void warm_up(struct __test_metadata *_metadata, FIXTURE_DATA(trace) *self)
{
	ASSERT_NE(NULL, step(_metadata, self, 'n', 0, 0));
	ASSERT_NE(NULL, step(_metadata, self, 'n', 0, 0));
}

/* Set a region up with UP, then fault on it with RUN. */
static struct step *region_step(struct __test_metadata *_metadata,
				FIXTURE_DATA(trace) *self, char up, char run)
{
	struct step *u = step(_metadata, self, up, 0, 0);

	if (!u || u->r.err)
		return NULL;
	return step(_metadata, self, run, u->r.addr, u->r.len);
}

TEST_F(trace, fresh_anonymous)
{
	struct step *s;

	warm_up(_metadata, self);
	s = region_step(_metadata, self, 'A', 'a');
	ASSERT_NE(NULL, s);
	finish(_metadata, self);
	check_counts(_metadata, self);
	EXPECT_EQ(NPAGES, count_region(self, s));
	EXPECT_EQ(NPAGES, count_class(self, s, "demand-zero"));
	EXPECT_EQ(NPAGES, count_where(self, s, "write", "not-present"));
	EXPECT_EQ(NPAGES, check_pagemap(_metadata, self, s));
	/* --model: a frame at the first touch (M4), cleared for it (M13). */
	EXPECT_EQ(NPAGES, check_tags(_metadata, self, s, "demand-zero",
				     "M4=" HOLDS ",M13=" DIFF));
}

TEST_F(trace, read_then_write)
{
	struct step *s;
	long long zero;
	int j;

	warm_up(_metadata, self);
	s = region_step(_metadata, self, 'R', 'r');
	ASSERT_NE(NULL, s);
	finish(_metadata, self);
	check_counts(_metadata, self);
	EXPECT_EQ(2 * NPAGES, count_region(self, s));
	EXPECT_EQ(NPAGES, count_class(self, s, "zero-page"));
	EXPECT_EQ(NPAGES, count_class(self, s, "cow"));
	EXPECT_EQ(NPAGES, count_where(self, s, "read", "not-present"));
	EXPECT_EQ(NPAGES, count_where(self, s, "write", "protection"));
	/* --model: no frame at the first touch, but at the write (M4, M13). */
	EXPECT_EQ(NPAGES, check_tags(_metadata, self, s, "zero-page", "M4=" DIFF ",M13=" DIFF));
	EXPECT_EQ(NPAGES, check_tags(_metadata, self, s, "cow", "M4=" DIFF ",M13=" DIFF));
	/* The reads map the zero page; the writes copy away from it. */
	zero = jint(self->summary, "zero_pfn", -1);
	for (j = 0; j < self->nev; j++) {
		const struct event *e = &self->ev[j];

		if (!in_region(s, e))
			continue;
		if (!strcmp(e->cls, "zero-page")) {
			EXPECT_EQ(zero, e->a.pfn);
			EXPECT_FALSE(e->a.writable);
		} else {
			EXPECT_EQ(zero, e->b.pfn);
			EXPECT_NE(zero, e->a.pfn);
			EXPECT_TRUE(e->a.writable);
		}
	}
	EXPECT_EQ(NPAGES, check_pagemap(_metadata, self, s));
}

TEST_F(trace, fork_then_write)
{
	struct step *up, *cow, *reuse;
	uint64_t second;

	warm_up(_metadata, self);
	up = step(_metadata, self, 'F', 0, 0);
	ASSERT_NE(NULL, up);
	ASSERT_EQ(0, up->r.err);
	second = up->r.addr2;
	/* The first region is written while the child shares it ... */
	cow = step(_metadata, self, 'f', up->r.addr, up->r.len);
	ASSERT_NE(NULL, cow);
	/* ... the second once the child has gone: the frames are ours again. */
	ASSERT_NE(NULL, step(_metadata, self, 'x', 0, 0));
	reuse = step(_metadata, self, 'g', second, NPAGES * PAGE);
	ASSERT_NE(NULL, reuse);
	finish(_metadata, self);
	check_counts(_metadata, self);
	EXPECT_EQ(NPAGES, count_region(self, cow));
	EXPECT_EQ(NPAGES, count_class(self, cow, "cow"));
	EXPECT_EQ(NPAGES, check_pagemap(_metadata, self, cow));
	EXPECT_EQ(NPAGES, count_region(self, reuse));
	EXPECT_EQ(NPAGES, count_class(self, reuse, "wp-reuse"));
	EXPECT_EQ(NPAGES, check_pagemap(_metadata, self, reuse));
	/* --model: copy-on-write (M11), without a copy once no longer shared. */
	EXPECT_EQ(NPAGES, check_tags(_metadata, self, cow, "cow", "M11=" HOLDS));
	EXPECT_EQ(NPAGES, check_tags(_metadata, self, reuse, "wp-reuse", "M11=" DIFF));
}

TEST_F(trace, file_fault_around)
{
	const struct event *e = NULL;
	struct step *s;
	size_t p;
	int j, mapped = 0;

	warm_up(_metadata, self);
	s = region_step(_metadata, self, 'M', 'm');
	ASSERT_NE(NULL, s);
	finish(_metadata, self);
	check_counts(_metadata, self);
	/* One fault, and its 64K window mapped from the page cache. */
	ASSERT_EQ(1, count_region(self, s));
	EXPECT_EQ(1, count_class(self, s, "fault-around"));
	EXPECT_EQ(1, check_pagemap(_metadata, self, s));
	for (j = 0; j < self->nev; j++)
		if (in_region(s, &self->ev[j]))
			e = &self->ev[j];
	for (p = 0; p < FILE_PAGES; p++)
		mapped += !!(s->pm_after[p] & PM_PRESENT);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(FILE_PAGE_READ, (e->addr - s->r.addr) / PAGE);
	EXPECT_STREQ("read", e->access);
	EXPECT_EQ(16, mapped);
	EXPECT_EQ(mapped, e->a.window);
	EXPECT_EQ(mapped - 1 - e->b.window, e->neighbours);
	/* --model: neighbours mapped (M5), more than the page touched (M17). */
	EXPECT_EQ(1, check_tags(_metadata, self, s, "fault-around",
				"M5=" HOLDS ",M17=" DIFF));
}

TEST_F(trace, file_major)
{
	struct step *up, *s;
	int j, major = 0;

	warm_up(_metadata, self);
	up = step(_metadata, self, 'B', 0, 0);
	ASSERT_NE(NULL, up);
	ASSERT_EQ(0, up->r.err);
	/* The file must really be read: drop the clean page cache. */
	if (system("sync; echo 3 > /proc/sys/vm/drop_caches"))
		TH_LOG("cannot drop caches");
	s = step(_metadata, self, 'b', up->r.addr, up->r.len);
	ASSERT_NE(NULL, s);
	finish(_metadata, self);
	check_counts(_metadata, self);
	for (j = 0; j < self->nev; j++) {
		const struct event *e = &self->ev[j];

		if (!in_region(s, e))
			continue;
		if (!strcmp(e->outcome, "retry")) {
			EXPECT_STREQ("retry", e->cls);
		} else {
			EXPECT_STREQ("major", e->outcome);
			major++;
			EXPECT_TRUE(!strcmp(e->cls, "file-major") ||
				    !strcmp(e->cls, "fault-around")) {
				TH_LOG("major file fault classed %s", e->cls);
			}
		}
	}
	EXPECT_EQ(1, major);
	EXPECT_EQ(1, check_pagemap(_metadata, self, s));
}

TEST_F(trace, swap_in)
{
	struct step *up, *s;
	char why[128];
	size_t p;
	int swapped = 0;

	if (swap_on(why, sizeof(why)))
		SKIP(return, "%s", why);
	self->swap = 1;
	warm_up(_metadata, self);
	up = step(_metadata, self, 'S', 0, 0);
	ASSERT_NE(NULL, up);
	if (up->r.err == EINVAL)
		SKIP(return, "no MADV_PAGEOUT");
	ASSERT_EQ(0, up->r.err);
	s = step(_metadata, self, 's', up->r.addr, up->r.len);
	ASSERT_NE(NULL, s);
	for (p = 0; p < NPAGES; p++)
		swapped += !!(s->pm_before[p] & PM_SWAP);
	TH_LOG("%d of %d pages swapped out", swapped, NPAGES);
	if (!swapped)
		SKIP(return, "MADV_PAGEOUT swapped nothing out");
	finish(_metadata, self);
	check_counts(_metadata, self);
	/* Only the swapped pages fault, each a swap-in. */
	EXPECT_EQ(swapped, count_region(self, s));
	EXPECT_EQ(swapped, count_class(self, s, "swap-in"));
	EXPECT_EQ(swapped, check_pagemap(_metadata, self, s));
	/* --model: a hard fault (M8), or a soft one from the swap cache. */
	EXPECT_EQ(swapped, check_tags(_metadata, self, s, "swap-in", NULL));
}

TEST_F(trace, thp)
{
	char buf[32];
	struct step *s;
	size_t p;
	int huge = 1;

	if (read_choice(THP "enabled", self->thp_enabled, sizeof(self->thp_enabled)))
		SKIP(return, "no transparent huge pages");
	if (!strcmp(self->thp_enabled, "never")) {
		ASSERT_EQ(0, write_str(THP "enabled", "madvise"));
	} else {
		self->thp_enabled[0] = '\0';	/* always or madvise: fine as is */
	}
	if (!read_choice(THP "defrag", buf, sizeof(buf)) && !strcmp(buf, "never")) {
		snprintf(self->thp_defrag, sizeof(self->thp_defrag), "%s", buf);
		ASSERT_EQ(0, write_str(THP "defrag", "madvise"));
	}
	warm_up(_metadata, self);
	s = region_step(_metadata, self, 'H', 'h');
	ASSERT_NE(NULL, s);
	/* A huge page: 512 present, contiguous frames from an aligned one. */
	for (p = 0; p < HPAGE / PAGE; p++)
		if (!(s->pm_after[p] & PM_PRESENT) ||
		    PM_PFN(s->pm_after[p]) != PM_PFN(s->pm_after[0]) + p)
			huge = 0;
	if (PM_PFN(s->pm_after[0]) & 511)
		huge = 0;
	if (!huge)
		SKIP(return, "no huge page: the fault fell back to 4K pages");
	finish(_metadata, self);
	check_counts(_metadata, self);
	EXPECT_EQ(1, count_region(self, s));
	EXPECT_EQ(1, count_class(self, s, "thp"));
	EXPECT_EQ(1, check_pagemap(_metadata, self, s));
	/* --model: a large page (M15), a first touch of 512 pages (M4, M13). */
	EXPECT_EQ(1, check_tags(_metadata, self, s, "thp",
				"M15=" HOLDS ",M4=" DIFF ",M13=" DIFF));
}

/* Pages of the region that ptscope shows as NUMA-hinting entries. */
static int numa_hint_pages(pid_t pid, const struct step *s)
{
	struct ptw_walk w;
	size_t i;
	int n = 0;

	if (ptw_walk(pid, s->r.addr, s->r.addr + s->r.len, 0, &w) || w.status) {
		ptw_free(&w);
		return -1;
	}
	for (i = 0; i < w.nleaves; i++)
		if (w.leaves[i].flags & PTSCOPE_F_NUMA_HINT)
			n += w.leaves[i].count;
	ptw_free(&w);
	return n;
}

/*
 * With NUMA balancing on, the region's pages on the far node and the
 * workload running, the scanner makes their entries PROT_NONE; reading
 * them then takes NUMA-hinting faults, which trace classifies as
 * numa-hint.  The scanner runs when it likes: the test waits (up to 60 s)
 * until ptscope shows the hinting entries, and skips if none came.
 */
TEST_F(trace, numa_hint)
{
	struct step *up, *s;
	char buf[16];
	int i, hinted = 0, n;

	if (access("/sys/devices/system/node/node1", F_OK))
		SKIP(return, "one NUMA node (tools/vm/run --numa 2 gives two)");
	if (access(numa_knobs[0], W_OK))
		SKIP(return, "no NUMA balancing (kernel.numa_balancing)");
	for (i = 0; i < 3; i++) {
		if (read_line(numa_knobs[i], buf, sizeof(buf)))
			continue;
		ASSERT_EQ(0, write_str(numa_knobs[i], numa_values[i]));
		snprintf(self->numa[i], sizeof(self->numa[i]), "%s", buf);
	}
	warm_up(_metadata, self);
	up = step(_metadata, self, 'N', 0, 0);
	ASSERT_NE(NULL, up);
	ASSERT_EQ(0, up->r.err);
	for (i = 0; i < 600 && hinted < NPAGES; i++) {
		n = numa_hint_pages(self->pid, up);
		ASSERT_GE(n, 0);
		hinted = n;
		if (hinted < NPAGES)
			usleep(100000);
	}
	TH_LOG("%d of %d pages have NUMA-hinting entries", hinted, NPAGES);
	s = step(_metadata, self, 'o', up->r.addr, up->r.len);
	ASSERT_NE(NULL, s);
	finish(_metadata, self);
	check_counts(_metadata, self);
	if (!hinted)
		SKIP(return, "NUMA balancing marked none of the pages in 60 s");
	/* Each hinted page faults once, a NUMA-hinting fault. */
	EXPECT_LE(hinted, count_class(self, s, "numa-hint"));
	EXPECT_EQ(count_region(self, s), count_class(self, s, "numa-hint"));
}

TEST_F(trace, error)
{
	struct step *s;
	int j, n = 0;

	warm_up(_metadata, self);
	s = region_step(_metadata, self, 'E', 'e');
	ASSERT_NE(NULL, s);
	ASSERT_EQ(0, s->r.err);
	finish(_metadata, self);
	/* An error is neither minor nor major: check_counts() checks that too. */
	check_counts(_metadata, self);
	for (j = 0; j < self->nev; j++) {
		const struct event *e = &self->ev[j];

		if (!in_region(s, e))
			continue;
		n++;
		EXPECT_EQ(s->r.addr + FILE_PAGES * PAGE, e->addr & ~(PAGE - 1));
		EXPECT_STREQ("error", e->outcome);
		EXPECT_STREQ("error", e->cls);
		EXPECT_FALSE(e->a.present);
	}
	EXPECT_EQ(1, n);
	/* --model: an error bears on no claim. */
	EXPECT_EQ(1, check_tags(_metadata, self, s, "error", ""));
}

/* Faults taken by the kernel for the process: copy_to_user(), GUP. */
TEST_F(trace, kernel_and_gup)
{
	struct step *up, *k, *g;
	int j, kernel = 0, gup = 0;

	warm_up(_metadata, self);
	up = step(_metadata, self, 'K', 0, 0);
	ASSERT_NE(NULL, up);
	ASSERT_EQ(0, up->r.err);
	k = step(_metadata, self, 'k', up->r.addr, up->r.len);
	ASSERT_NE(NULL, k);
	ASSERT_EQ(0, k->r.err);
	g = step(_metadata, self, 'j', up->r.addr2, up->r.len);
	ASSERT_NE(NULL, g);
	ASSERT_EQ(0, g->r.err);
	finish(_metadata, self);
	check_counts(_metadata, self);
	for (j = 0; j < self->nev; j++) {
		const struct event *e = &self->ev[j];

		if (in_region(k, e)) {
			kernel++;
			EXPECT_STREQ("kernel", e->mode);
			EXPECT_STREQ("not-present", e->cause);
			EXPECT_TRUE(e->has_ip);
		} else if (in_region(g, e)) {
			gup++;
			EXPECT_STREQ("gup", e->mode);
			EXPECT_STREQ("none", e->cause);
			EXPECT_FALSE(e->has_ip);
		}
	}
	EXPECT_EQ(NPAGES, kernel);
	EXPECT_EQ(NPAGES, count_class(self, k, "demand-zero"));
	EXPECT_EQ(NPAGES, count_where(self, k, "write", "not-present"));
	EXPECT_EQ(NPAGES, check_pagemap(_metadata, self, k));
	EXPECT_EQ(NPAGES, gup);
	EXPECT_EQ(NPAGES, count_class(self, g, "demand-zero"));
	EXPECT_EQ(NPAGES, check_pagemap(_metadata, self, g));
}

TEST_F(trace, userfaultfd)
{
	struct step *up, *s;
	int j;

	warm_up(_metadata, self);
	up = step(_metadata, self, 'U', 0, 0);
	ASSERT_NE(NULL, up);
	if (up->r.err)
		SKIP(return, "no userfaultfd: %s", strerror(up->r.err));
	s = step(_metadata, self, 'u', up->r.addr, up->r.len);
	ASSERT_NE(NULL, s);
	finish(_metadata, self);
	check_counts(_metadata, self);
	/*
	 * The handler thread made its own first faults in step U: none of
	 * them may land in step u, where a late one can straddle the reading
	 * of the counters (trace stamps a fault at its start, the kernel and
	 * the module count it at its end).
	 */
	EXPECT_EQ(count_region(self, s), count_step(self, s)) {
		TH_LOG("step u: %d faults outside the region (the handler's start-up?)",
		       count_step(self, s) - count_region(self, s));
	}
	/* Each page: a retry while the handler copies, then the retried fault. */
	EXPECT_EQ(count_region(self, s), count_class(self, s, "uffd"));
	EXPECT_EQ(NPAGES, check_pagemap(_metadata, self, s));
	for (j = 0; j < self->nev; j++)
		if (in_region(s, &self->ev[j]) && !strcmp(self->ev[j].outcome, "retry"))
			break;
	EXPECT_LT(j, self->nev) {
		TH_LOG("no VM_FAULT_RETRY from the userfaultfd");
	}
}

/* ---- the command line ------------------------------------------------ */

/* Run trace with ARGS, stdout to OUT (if not NULL); its exit status. */
static int run_trace(const char *out, const char *const *args)
{
	const char *bin = ptscope_bin();
	char *argv[16];
	int n = 0, st, fd;
	pid_t pid;

	argv[n++] = (char *)bin;
	argv[n++] = "trace";
	while (*args && n < 15)
		argv[n++] = (char *)*args++;
	argv[n] = NULL;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		fd = open(out ? out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, STDOUT_FILENO);
		if (!out)
			dup2(fd, STDERR_FILENO);
		execv(bin, argv);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/* The same, stdout to OUT and stderr to ERR (files, created). */
static int run_trace_io(const char *out, const char *err, const char *const *args)
{
	const char *bin = ptscope_bin();
	char *argv[24];
	int n = 0, st, fd;
	pid_t pid;

	argv[n++] = (char *)bin;
	argv[n++] = "trace";
	while (*args && n < 23)
		argv[n++] = (char *)*args++;
	argv[n] = NULL;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, STDOUT_FILENO);
		fd = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, STDERR_FILENO);
		execv(bin, argv);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/* The whole of a small file, NUL-terminated (caller frees), or NULL. */
static char *slurp(const char *path)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	do {
		if (cap - len < 4096) {
			char *b = realloc(buf, cap + 65536);

			if (!b) {
				free(buf);
				close(fd);
				return NULL;
			}
			buf = b;
			cap += 65536;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n > 0)
			len += n;
	} while (n > 0);
	close(fd);
	buf[len] = '\0';
	return buf;
}

static int file_has(const char *path, const char *what)
{
	char line[4096];
	FILE *f = fopen(path, "re");
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, what) != NULL;
	fclose(f);
	return found;
}

TEST(text_output_and_exit_status)
{
	static const char *const args[] = { "--", "/bin/sh", "-c", "exit 3", NULL };
	char out[] = "/tmp/ptscope-trace-text-XXXXXX";
	int fd = mkstemp(out);

	ASSERT_GE(fd, 0);
	close(fd);
	/* The command's exit status is trace's. */
	EXPECT_EQ(3, run_trace(out, args));
	EXPECT_TRUE(file_has(out, "CLASS"));
	EXPECT_TRUE(file_has(out, "--- ptscope trace: pid"));
	EXPECT_TRUE(file_has(out, "demand-zero"));
	EXPECT_TRUE(file_has(out, "lost 0 "));
	unlink(out);
}

TEST(running_process_for_a_while)
{
	char out[] = "/tmp/ptscope-trace-pid-XXXXXX", pidbuf[16], line[8192];
	const char *args[] = { "--json", "-p", pidbuf, "--duration", "1", NULL };
	json_object *o = NULL, *sum;
	pid_t sleeper;
	FILE *f;
	int fd;

	fd = mkstemp(out);
	ASSERT_GE(fd, 0);
	close(fd);
	sleeper = fork();
	ASSERT_GE(sleeper, 0);
	if (!sleeper) {
		execlp("sleep", "sleep", "60", NULL);
		_exit(127);
	}
	snprintf(pidbuf, sizeof(pidbuf), "%d", sleeper);
	EXPECT_EQ(0, run_trace(out, args));
	kill(sleeper, SIGKILL);
	waitpid(sleeper, NULL, 0);
	f = fopen(out, "re");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		if (o)
			json_object_put(o);
		o = json_tokener_parse(line);
	}
	fclose(f);
	unlink(out);
	ASSERT_NE(NULL, o);
	ASSERT_TRUE(json_object_object_get_ex(o, "summary", &sum));
	EXPECT_EQ(sleeper, jint(sum, "pid", -1));
	/* Known once a fault has been seen; a sleeper may make none. */
	EXPECT_TRUE(json_object_object_get_ex(sum, "paging_levels", NULL));
	EXPECT_EQ(0, jint(jobj(sum, "lost"), "total", -1));
	json_object_put(o);
}

/*
 * A quiet target's fault shows while the target lives, not at the end:
 * the BPF side wakes the reader only once 256 KiB of events wait, so
 * the reader must also take what is there after each quiet wait.
 * (Found by the model test: a fault of trace -p did not show for 20 s.)
 */
static int wait_armed(pid_t pid);

TEST(quiet_target_shows_live)
{
	char out[] = "/tmp/ptscope-trace-live-XXXXXX", pidbuf[16];
	int go[2], end[2], fd, i, seen = 0;
	pid_t target, tr;
	char c;

	fd = mkstemp(out);
	ASSERT_GE(fd, 0);
	close(fd);
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(end));
	target = fork();
	ASSERT_GE(target, 0);
	if (!target) {
		char *p;

		if (read(go[0], &c, 1) != 1)
			_exit(1);
		p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);
		if (p == MAP_FAILED)
			_exit(1);
		p[0] = 1;
		if (read(end[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	snprintf(pidbuf, sizeof(pidbuf), "%d", target);
	tr = fork();
	ASSERT_GE(tr, 0);
	if (!tr) {
		execl(ptscope_bin(), ptscope_bin(), "trace", "--json", "-p", pidbuf, "-o", out,
		      NULL);
		_exit(127);
	}
	ASSERT_EQ(0, wait_armed(tr));
	ASSERT_EQ(1, write(go[1], "g", 1));
	/* The fault is in the file while the target still waits. */
	for (i = 0; i < TIMEOUT_MS / 100 && !seen; i++) {
		seen = file_has(out, "\"class\":\"demand-zero\"");
		if (!seen)
			usleep(100000);
	}
	EXPECT_TRUE(seen) {
		TH_LOG("no demand-zero event in trace's output while the target lived");
	}
	ASSERT_EQ(1, write(end[1], "e", 1));
	waitpid(target, NULL, 0);
	EXPECT_EQ(tr, waitpid(tr, &fd, 0));
	EXPECT_TRUE(WIFEXITED(fd) && WEXITSTATUS(fd) == 0);
	EXPECT_TRUE(file_has(out, "\"class\":\"demand-zero\""));
	unlink(out);
}

/*
 * --summary alone counts in the kernel (the BPF side classifies each
 * fault and keeps a latency histogram per class; no event is sent):
 * two tracers follow the same target at once, --summary --json with the
 * attach points trace picks (fentry/fexit: BTF reads), and --json with
 * every event through the fallbacks (--attach kprobe: the helper's
 * reads; the summary of its events as before).  The target faults
 * between two snapshots of its minflt/majflt, blocked before and after:
 * each summary's minor and major equal the kernel's growth, the
 * summaries' class counts equal the classes of the events one by one,
 * and nothing is lost.  The latencies differ from tracer to tracer (each
 * one's include the others' programs): of the percentiles, which come
 * from the histogram, only their order is checked.
 */
#define SUM_TRACERS	2
#define SUM_ANON	200
#define SUM_FILE	64

static json_object *last_summary(const char *path, int *events, json_object *classes)
{
	json_object *o, *sum = NULL;
	char line[8192];
	FILE *f = fopen(path, "re");

	*events = 0;
	if (!f)
		return NULL;
	while (fgets(line, sizeof(line), f)) {
		json_object *s;

		o = json_tokener_parse(line);
		if (!o)
			continue;
		if (json_object_object_get_ex(o, "summary", &s)) {
			if (sum)
				json_object_put(sum);
			sum = json_object_get(s);
		} else if (classes) {
			const char *c = jstr(o, "class");

			(*events)++;
			json_object_object_add(classes, c,
					       json_object_new_int64(jint(classes, c, 0) + 1));
		}
		json_object_put(o);
	}
	fclose(f);
	return sum;
}

TEST(summary_counted_in_the_kernel)
{
	static const char *const how[SUM_TRACERS][3] = {
		{ "--summary", "--attach", "auto" },
		{ "--attach", "kprobe", NULL },
	};
	char out[SUM_TRACERS][40], pidbuf[16], file[] = "/tmp/ptscope-trace-sumf-XXXXXX";
	json_object *sum[SUM_TRACERS] = { NULL }, *ev_classes = json_object_new_object();
	long long min0, maj0, min1, maj1;
	int go[2], end[2], fd, i, t, nev = 0, dummy;
	pid_t target, tr[SUM_TRACERS];
	uint64_t t0 = now_ns();
	char c, page[PAGE];

	fd = mkstemp(file);
	ASSERT_GE(fd, 0);
	memset(page, 'f', sizeof(page));
	for (i = 0; i < SUM_FILE; i++)
		ASSERT_EQ(sizeof(page), write(fd, page, sizeof(page)));
	close(fd);
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(end));
	target = fork();
	ASSERT_GE(target, 0);
	if (!target) {
		volatile char sink = 0;
		char *a, *m;

		if (read(go[0], &c, 1) != 1)
			_exit(1);
		/* demand-zero; zero page, then copy-on-write; file faults */
		a = mmap(NULL, 2 * SUM_ANON * PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		fd = open(file, O_RDONLY);
		m = fd < 0 ? MAP_FAILED : mmap(NULL, SUM_FILE * PAGE, PROT_READ, MAP_PRIVATE,
					       fd, 0);
		if (a == MAP_FAILED || m == MAP_FAILED)
			_exit(1);
		madvise(a, 2 * SUM_ANON * PAGE, MADV_NOHUGEPAGE);
		for (i = 0; i < SUM_ANON; i++)
			a[i * PAGE] = 1;
		for (i = SUM_ANON; i < 2 * SUM_ANON; i++)
			sink += a[i * PAGE];
		for (i = SUM_ANON; i < 2 * SUM_ANON; i++)
			a[i * PAGE] = 2;
		for (i = 0; i < SUM_FILE; i++)
			sink += m[i * PAGE];
		if (read(end[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	snprintf(pidbuf, sizeof(pidbuf), "%d", target);
	for (t = 0; t < SUM_TRACERS; t++) {
		snprintf(out[t], sizeof(out[t]), "/tmp/ptscope-trace-sum%d-XXXXXX", t);
		fd = mkstemp(out[t]);
		ASSERT_GE(fd, 0);
		close(fd);
		tr[t] = fork();
		ASSERT_GE(tr[t], 0);
		if (!tr[t]) {
			if (how[t][2])
				execl(ptscope_bin(), ptscope_bin(), "trace", "--json", "-p", pidbuf,
				      "-o", out[t], how[t][0], how[t][1], how[t][2], NULL);
			else
				execl(ptscope_bin(), ptscope_bin(), "trace", "--json", "-p", pidbuf,
				      "-o", out[t], how[t][0], how[t][1], NULL);
			_exit(127);
		}
	}
	/* Loading in parallel: about 5 s each under TCG. */
	for (t = 0; t < SUM_TRACERS; t++)
		ASSERT_EQ(0, wait_armed(tr[t]));
	ASSERT_EQ(0, pml_wait_blocked_read(target, go[0], TIMEOUT_MS));
	ASSERT_EQ(0, pts_proc_faults(target, &min0, &maj0));
	ASSERT_EQ(1, write(go[1], "g", 1));
	ASSERT_EQ(0, pml_wait_blocked_read(target, end[0], TIMEOUT_MS));
	ASSERT_EQ(0, pts_proc_faults(target, &min1, &maj1));
	/* Stopped while the target waits: nothing after the second snapshot. */
	for (t = 0; t < SUM_TRACERS; t++) {
		kill(tr[t], SIGINT);
		EXPECT_EQ(tr[t], waitpid(tr[t], &dummy, 0));
		EXPECT_TRUE(WIFEXITED(dummy) && WEXITSTATUS(dummy) == 0);
		sum[t] = last_summary(out[t], &i, t == 1 ? ev_classes : NULL);
		if (t == 1)
			nev = i;
		unlink(out[t]);
	}
	ASSERT_EQ(1, write(end[1], "e", 1));
	waitpid(target, NULL, 0);
	unlink(file);
	TH_LOG("minflt +%lld, majflt +%lld; %d events", min1 - min0, maj1 - maj0, nev);
	EXPECT_GE(min1 - min0, 2 * SUM_ANON);
	for (t = 0; t < SUM_TRACERS; t++) {
		json_object *cl;

		ASSERT_NE(NULL, sum[t]) {
			TH_LOG("no summary from trace %s %s", how[t][0], how[t][1]);
		}
		EXPECT_EQ(min1 - min0, jint(sum[t], "minor", -1)) {
			TH_LOG("%s %s %s", how[t][0], how[t][1], how[t][2] ? how[t][2] : "");
		}
		EXPECT_EQ(maj1 - maj0, jint(sum[t], "major", -1));
		EXPECT_EQ(0, jint(jobj(sum[t], "lost"), "total", -1));
		EXPECT_EQ(nev, jint(sum[t], "events", -1));
		cl = jobj(sum[t], "classes");
		ASSERT_NE(NULL, cl);
		/* the events' classes, one by one, and no other class */
		json_object_object_foreach(ev_classes, name, n) {
			json_object *c1 = jobj(cl, name);

			EXPECT_EQ(json_object_get_int64(n), jint(c1, "count", -1)) {
				TH_LOG("%s: %s: %lld faults, the events %lld", how[t][0], name,
				       jint(c1, "count", -1), (long long)json_object_get_int64(n));
			}
		}
		json_object_object_foreach(cl, name2, c2) {
			EXPECT_TRUE(json_object_object_get_ex(ev_classes, name2, NULL)) {
				TH_LOG("%s: class %s not among the events", how[t][0], name2);
			}
			EXPECT_LT(0, jint(c2, "p50_ns", -1));
			EXPECT_LE(jint(c2, "p50_ns", -1), jint(c2, "p90_ns", -1));
			EXPECT_LE(jint(c2, "p90_ns", -1), jint(c2, "p99_ns", -1));
		}
		json_object_put(sum[t]);
	}
	EXPECT_LT(0, jint(ev_classes, "demand-zero", 0));
	json_object_put(ev_classes);
	TH_LOG("%.1f s", (now_ns() - t0) / 1e9);
}

/*
 * CMD writes to the same file as trace's JSON: every line of the file is
 * either one of CMD's lines, whole, or a JSON object, and each of CMD's
 * lines is there once.  (Issue 12: CMD's output spliced into a JSON line.)
 * CMD is this program (splice_main()): a line, then a page fault, and
 * again, so that its lines and its events are written at the same time.
 */
#define SPLICE_LINES	3000

TEST(cmd_output_never_inside_a_line)
{
	static char me[PATH_MAX];
	const char *args[] = { "--json", "--", me, NULL };
	char out[] = "/tmp/ptscope-trace-splice-XXXXXX", err[] = "/tmp/ptscope-trace-err-XXXXXX";
	static int seen[SPLICE_LINES];
	int fd, i, bad = 0, events = 0, summary = 0;
	char *text, *line, *save = NULL, n_lines[16];

	memset(seen, 0, sizeof(seen));
	ssize_t l = readlink("/proc/self/exe", me, sizeof(me) - 1);

	me[l > 0 ? l : 0] = '\0';
	snprintf(n_lines, sizeof(n_lines), "%d", SPLICE_LINES);
	setenv(ENV_SPLICE, n_lines, 1);
	fd = mkstemp(out);
	ASSERT_GE(fd, 0);
	close(fd);
	fd = mkstemp(err);
	ASSERT_GE(fd, 0);
	close(fd);
	EXPECT_EQ(0, run_trace_io(out, err, args));
	unsetenv(ENV_SPLICE);
	text = slurp(out);
	ASSERT_NE(NULL, text);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		json_object *o;
		int n, end = 0;

		if (sscanf(line, "CMDLINE %d%n", &n, &end) == 1 && !line[end] &&
		    n >= 0 && n < SPLICE_LINES) {
			seen[n]++;
			continue;
		}
		o = line[0] == '{' ? json_tokener_parse(line) : NULL;
		if (!o) {
			if (bad++ < 3)
				TH_LOG("neither CMD's line nor JSON: %.300s", line);
			continue;
		}
		if (json_object_object_get_ex(o, "summary", NULL))
			summary++;
		else
			events++;
		json_object_put(o);
	}
	EXPECT_EQ(0, bad);
	EXPECT_EQ(1, summary);
	EXPECT_LT(0, events);
	for (i = 0; i < SPLICE_LINES && seen[i] == 1; i++)
		;
	EXPECT_EQ(SPLICE_LINES, i) {
		TH_LOG("CMD's line %d seen %d times", i, seen[i]);
	}
	free(text);
	unlink(out);
	unlink(err);
}

/* -o FILE: the trace goes to FILE, stdout is CMD's alone. */
TEST(output_file)
{
	char out[] = "/tmp/ptscope-trace-o-XXXXXX", err[] = "/tmp/ptscope-trace-oe-XXXXXX";
	char file[] = "/tmp/ptscope-trace-of-XXXXXX";
	const char *args[] = { "--json", "-o", file, "--", "/bin/sh", "-c",
			       "echo hello; echo world", NULL };
	const char *targs[] = { "--output", file, "--", "/bin/true", NULL };
	char *text, *line, *save = NULL;
	int fd, events = 0, summary = 0, bad = 0;

	fd = mkstemp(out);
	ASSERT_GE(fd, 0);
	close(fd);
	fd = mkstemp(err);
	ASSERT_GE(fd, 0);
	close(fd);
	fd = mkstemp(file);
	ASSERT_GE(fd, 0);
	close(fd);
	ASSERT_EQ(0, run_trace_io(out, err, args));
	text = slurp(out);
	ASSERT_NE(NULL, text);
	EXPECT_STREQ("hello\nworld\n", text);
	free(text);
	text = slurp(file);
	ASSERT_NE(NULL, text);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		json_object *o = json_tokener_parse(line);

		if (!o) {
			bad++;
			continue;
		}
		if (json_object_object_get_ex(o, "summary", NULL))
			summary++;
		else
			events++;
		json_object_put(o);
	}
	free(text);
	EXPECT_EQ(0, bad);
	EXPECT_EQ(1, summary);
	EXPECT_LT(0, events);

	/* Text, long option: the table in FILE, nothing on stdout. */
	ASSERT_EQ(0, run_trace_io(out, err, targs));
	text = slurp(out);
	ASSERT_NE(NULL, text);
	EXPECT_STREQ("", text);
	free(text);
	EXPECT_TRUE(file_has(file, "CLASS"));
	EXPECT_TRUE(file_has(file, "--- ptscope trace: pid"));
	unlink(out);
	unlink(err);
	unlink(file);
}

/*
 * -- CMD is traced from its exec on: no event of ptscope's forked child
 * (comm "ptscope", which makes copy-on-write faults before it execs).
 */
TEST(cmd_traced_from_its_exec)
{
	static const char *const args[] = { "--json", "--", "/bin/true", NULL };
	char out[] = "/tmp/ptscope-trace-exec-XXXXXX", err[] = "/tmp/ptscope-trace-ee-XXXXXX";
	char *text, *line, *save = NULL;
	int fd, events = 0, other = 0;
	json_object *sum = NULL;

	fd = mkstemp(out);
	ASSERT_GE(fd, 0);
	close(fd);
	fd = mkstemp(err);
	ASSERT_GE(fd, 0);
	close(fd);
	EXPECT_EQ(0, run_trace_io(out, err, args));
	text = slurp(out);
	ASSERT_NE(NULL, text);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		json_object *o = json_tokener_parse(line), *s;

		ASSERT_NE(NULL, o) {
			TH_LOG("not JSON: %s", line);
		}
		if (json_object_object_get_ex(o, "summary", &s)) {
			sum = json_object_get(s);
		} else {
			events++;
			if (strcmp(jstr(o, "comm"), "true") && other++ < 3)
				TH_LOG("event of %s before the exec: %.200s", jstr(o, "comm"),
				       line);
		}
		json_object_put(o);
	}
	free(text);
	EXPECT_LT(0, events);
	EXPECT_EQ(0, other);
	ASSERT_NE(NULL, sum);
	/* Every fault counted is one of those events. */
	EXPECT_EQ(events, jint(sum, "events", -1));
	EXPECT_EQ(0, jint(jobj(sum, "lost"), "total", -1));
	json_object_put(sum);
	unlink(out);
	unlink(err);
}

/* A command that cannot run: its reason on stderr, nothing on stdout. */
TEST(exec_failure_prints_only_the_reason)
{
	static const char *const text_args[] = { "--", "/nonexistent/command", NULL };
	static const char *const json_args[] = { "--json", "--", "/nonexistent/command",
						 NULL };
	const char *const *args[] = { text_args, json_args };
	char out[] = "/tmp/ptscope-trace-nx-XXXXXX", err[] = "/tmp/ptscope-trace-nxe-XXXXXX";
	char *o, *e;
	int fd, i;

	fd = mkstemp(out);
	ASSERT_GE(fd, 0);
	close(fd);
	fd = mkstemp(err);
	ASSERT_GE(fd, 0);
	close(fd);
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(127, run_trace_io(out, err, args[i]));
		o = slurp(out);
		e = slurp(err);
		ASSERT_NE(NULL, o);
		ASSERT_NE(NULL, e);
		EXPECT_STREQ("", o);
		EXPECT_STREQ("ptscope trace: error: cannot run /nonexistent/command: "
			     "No such file or directory\n", e);
		free(o);
		free(e);
	}
	unlink(out);
	unlink(err);
}

/* -p of a kernel thread: refused as walk refuses it (status 5). */
/* ---- --svg ------------------------------------------------------------- */

/* tests/trace_svg_check.py of this tree */
static const char *svg_checker(void)
{
	static char path[PATH_MAX];
	char exe[PATH_MAX], repo[PATH_MAX / 2];
	ssize_t n;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	snprintf(repo, sizeof(repo), "%s", dirname(dirname(dirname(exe))));
	snprintf(path, sizeof(path), "%s/tests/trace_svg_check.py", repo);
	return path;
}

/* The checker on SVG against trace's JSON output OUT: its exit status. */
static int check_svg(const char *svg, const char *out)
{
	char cmd[3 * PATH_MAX];
	int st;

	snprintf(cmd, sizeof(cmd), "python3 %s %s %s", svg_checker(), svg, out);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* Does the SVG draw a range (data-start, data-end) holding [LO, HI)? */
static bool svg_has_range(const char *svg, uint64_t lo, uint64_t hi)
{
	char *buf = slurp(svg), *p;
	bool found = false;

	for (p = buf; p && !found && (p = strstr(p, "<g class=\"range\" data-start=\"")); p++) {
		unsigned long long s, e;

		if (sscanf(p, "<g class=\"range\" data-start=\"%llx\" data-end=\"%llx\"", &s,
			   &e) == 2)
			found = s <= lo && hi <= e;
	}
	free(buf);
	return found;
}

/*
 * --svg with the command's exit ending the trace: the picture's legend
 * has every class of the JSON summary with its count, its ranges hold
 * every fault, each fault has its mark (tests/trace_svg_check.py).
 */
TEST(svg_when_the_command_exits)
{
	char out[] = "/tmp/ptscope-trace-svg-XXXXXX", svg[] = "/tmp/ptscope-trace-XXXXXX.svg";
	const char *args[] = { "--json", "--svg", svg, "--", "/bin/sh", "-c",
			       "dd if=/dev/zero of=/dev/null bs=4M count=2 2>/dev/null; exit 4",
			       NULL };
	int fd;

	if (system("command -v python3 >/dev/null 2>&1"))
		SKIP(return, "no python3 to check the SVG");
	fd = mkstemp(out);
	ASSERT_GE(fd, 0);
	close(fd);
	fd = mkstemps(svg, 4);
	ASSERT_GE(fd, 0);
	close(fd);
	EXPECT_EQ(4, run_trace(out, args));
	EXPECT_EQ(0, check_svg(svg, out));
	/* dd's 4M buffer was filled: demand-zero faults, one range at least 4M */
	EXPECT_TRUE(file_has(out, "\"class\":\"demand-zero\""));
	unlink(out);
	unlink(svg);
}

/*
 * --svg with Ctrl-C ending a trace of a running process: the picture is
 * written, checked against the JSON, and draws the 64 pages the target
 * wrote in one range.
 */
TEST(svg_on_ctrl_c)
{
	char out[] = "/tmp/ptscope-trace-svgc-XXXXXX", svg[] = "/tmp/ptscope-trace-XXXXXX.svg";
	char pidbuf[16], c;
	int go[2], end[2], rep[2], fd, st, i, seen = 0;
	uint64_t addr = 0;
	pid_t target, tr;

	if (system("command -v python3 >/dev/null 2>&1"))
		SKIP(return, "no python3 to check the SVG");
	fd = mkstemp(out);
	ASSERT_GE(fd, 0);
	close(fd);
	fd = mkstemps(svg, 4);
	ASSERT_GE(fd, 0);
	close(fd);
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(end));
	ASSERT_EQ(0, pipe(rep));
	target = fork();
	ASSERT_GE(target, 0);
	if (!target) {
		char *p;

		if (read(go[0], &c, 1) != 1)
			_exit(1);
		p = mmap(NULL, 64 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);
		if (p == MAP_FAILED)
			_exit(1);
		madvise(p, 64 * PAGE, MADV_NOHUGEPAGE);
		for (i = 0; i < 64; i++)
			p[i * PAGE] = 1;
		addr = (uintptr_t)p;
		if (write(rep[1], &addr, sizeof(addr)) != sizeof(addr) ||
		    read(end[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	snprintf(pidbuf, sizeof(pidbuf), "%d", target);
	tr = fork();
	ASSERT_GE(tr, 0);
	if (!tr) {
		execl(ptscope_bin(), ptscope_bin(), "trace", "--json", "-p", pidbuf, "-o", out,
		      "--svg", svg, NULL);
		_exit(127);
	}
	ASSERT_EQ(0, wait_armed(tr));
	ASSERT_EQ(1, write(go[1], "g", 1));
	ASSERT_EQ((ssize_t)sizeof(addr), read(rep[0], &addr, sizeof(addr)));
	/* the 64 faults are out (the reader is live), then Ctrl-C */
	for (i = 0; i < TIMEOUT_MS / 100 && seen < 64; i++) {
		char *buf = slurp(out), *p;

		seen = 0;
		for (p = buf; p && (p = strstr(p, "\"class\":\"demand-zero\"")); p++)
			seen++;
		free(buf);
		if (seen < 64)
			usleep(100000);
	}
	EXPECT_LE(64, seen);
	kill(tr, SIGINT);
	EXPECT_EQ(tr, waitpid(tr, &st, 0));
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ASSERT_EQ(1, write(end[1], "e", 1));
	waitpid(target, NULL, 0);
	EXPECT_EQ(0, check_svg(svg, out));
	EXPECT_TRUE(svg_has_range(svg, addr, addr + 64 * PAGE));
	unlink(out);
	unlink(svg);
}

TEST(kernel_thread_refused)
{
	static const char *const args[] = { "-p", "2", "--duration", "1", NULL };
	char out[] = "/tmp/ptscope-trace-kt-XXXXXX", err[] = "/tmp/ptscope-trace-kte-XXXXXX";
	char stat[512], *o, *e, *p;
	unsigned long flags = 0;
	FILE *f;
	int fd;

	/* PID 2 is kthreadd: PF_KTHREAD (0x00200000) in field 9 of stat. */
	f = fopen("/proc/2/stat", "re");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(stat, sizeof(stat), f));
	fclose(f);
	p = strrchr(stat, ')');
	ASSERT_NE(NULL, p);
	ASSERT_EQ(1, sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %lu", &flags));
	if (!(flags & 0x00200000))
		SKIP(return, "PID 2 is not a kernel thread here");
	fd = mkstemp(out);
	ASSERT_GE(fd, 0);
	close(fd);
	fd = mkstemp(err);
	ASSERT_GE(fd, 0);
	close(fd);
	EXPECT_EQ(5, run_trace_io(out, err, args));
	o = slurp(out);
	e = slurp(err);
	ASSERT_NE(NULL, o);
	ASSERT_NE(NULL, e);
	EXPECT_STREQ("", o);
	EXPECT_STREQ("ptscope trace: error: pid 2 is a kernel thread: it has no user address "
		     "space\n", e);
	free(o);
	free(e);
	unlink(out);
	unlink(err);
}

TEST(usage_errors)
{
	static const char *const both[] = { "-p", "1", "--", "true", NULL };
	static const char *const nopid[] = { "-p", "4000000", NULL };
	static const char *const baddur[] = { "--duration", "soon", "--", "true", NULL };
	static const char *const badattach[] = { "--attach", "uprobe", "--", "true", NULL };
	static const char *const badcmd[] = { "--", "/nonexistent/command", NULL };
	static const char *const nosvg[] = { "--svg", "", "--", "true", NULL };
	static const char *const badsvg[] = { "--svg", "/nonexistent/dir/x.svg", "--", "true",
					      NULL };

	static const char *const badcmd_svg[] = { "--svg", "/tmp/ptscope-trace-nocmd.svg", "--",
						  "/nonexistent/command", NULL };

	EXPECT_EQ(2, run_trace(NULL, nosvg));
	EXPECT_EQ(1, run_trace(NULL, badsvg));
	/* nothing traced, no picture left behind */
	EXPECT_EQ(127, run_trace(NULL, badcmd_svg));
	EXPECT_NE(0, access("/tmp/ptscope-trace-nocmd.svg", F_OK));
	EXPECT_EQ(2, run_trace(NULL, both));
	EXPECT_EQ(5, run_trace(NULL, nopid));
	EXPECT_EQ(2, run_trace(NULL, baddur));
	EXPECT_EQ(2, run_trace(NULL, badattach));
	EXPECT_EQ(127, run_trace(NULL, badcmd));
}

/* ---- the model report (--model) against faults known in advance ---------- */

#define FAULT_AROUND	"/sys/kernel/debug/fault_around_bytes"
#define PAGE_CLUSTER	"/proc/sys/vm/page-cluster"

/*
 * The workload of the trace fixture, forked by the test (no exec) and set
 * up untraced (step P, model_prepare()); "ptscope trace --model --json -p
 * PID" then attaches and sees only the steps, so that the whole model
 * report is known in advance.
 */
FIXTURE(model) {
	FIXTURE_DATA(trace) t;
	pid_t workload, tracked;	/* the workload; the pid the module tracks */
	char err[64];			/* trace's stderr */
	char fault_around[32];		/* settings to restore */
	char page_cluster[32];
};

FIXTURE_SETUP(model)
{
	FIXTURE_DATA(trace) *t = &self->t;
	int to[2], from[2], fd;
	struct reply r;

	memset(t, 0, sizeof(*t));
	t->to = t->from = -1;
	t->attach = "auto";
	self->workload = self->tracked = 0;
	self->fault_around[0] = self->page_cluster[0] = '\0';

	snprintf(t->out, sizeof(t->out), "/tmp/ptscope-model-out-XXXXXX");
	fd = mkstemp(t->out);
	ASSERT_GE(fd, 0);
	close(fd);
	snprintf(self->err, sizeof(self->err), "/tmp/ptscope-model-err-XXXXXX");
	fd = mkstemp(self->err);
	ASSERT_GE(fd, 0);
	close(fd);

	ASSERT_EQ(0, pipe2(to, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(from, O_CLOEXEC));
	self->workload = fork();
	ASSERT_GE(self->workload, 0);
	if (!self->workload) {
		close(to[1]);
		close(from[0]);
		if (dup2(to[0], WORKLOAD_IN) < 0 || dup2(from[1], WORKLOAD_IN + 1) < 0)
			_exit(1);
		workload(WORKLOAD_IN, WORKLOAD_IN + 1, "", major_file());
	}
	close(to[0]);
	close(from[1]);
	t->to = to[1];
	t->from = from[0];
	ASSERT_EQ(0, read_full(t->from, &r, sizeof(r), TIMEOUT_MS));
	t->pid = r.addr;
	ASSERT_EQ(self->workload, t->pid);
}

FIXTURE_TEARDOWN(model)
{
	FIXTURE_DATA(trace) *t = &self->t;
	int i;

	if (self->tracked)
		pts_faults_ctl("untrack", self->tracked);
	if (self->workload > 0) {
		kill(self->workload, SIGKILL);
		waitpid(self->workload, NULL, 0);
	}
	if (t->trace > 0) {
		kill(t->trace, SIGTERM);
		waitpid(t->trace, NULL, 0);
	}
	if (t->to >= 0)
		close(t->to);
	if (t->from >= 0)
		close(t->from);
	unlink(t->out);
	unlink(self->err);
	for (i = 0; i < t->nsteps; i++) {
		free(t->steps[i].pm_before);
		free(t->steps[i].pm_after);
	}
	free(t->ev);
	if (t->summary)
		json_object_put(t->summary);
	if (t->swap)
		swap_off();
	if (self->fault_around[0])
		write_str(FAULT_AROUND, self->fault_around);
	if (self->page_cluster[0])
		write_str(PAGE_CLUSTER, self->page_cluster);
}

/*
 * Wait until trace (PID) waits for events in epoll_wait(): it gets there
 * only once its probes are attached and armed (cmd_trace()), and events
 * reach its output only in batches (the BPF side wakes it every 256 KiB),
 * so its output cannot tell.  0, or -ETIMEDOUT, or -ESRCH if it exited.
 */
static int wait_armed(pid_t pid)
{
	char path[64], line[256];
	int i, f;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/syscall", pid);
	for (i = 0; i < TIMEOUT_MS / 10; i++) {
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return -ESRCH;
		f = open(path, O_RDONLY | O_CLOEXEC);
		if (f < 0)
			return -errno;
		n = read(f, line, sizeof(line) - 1);
		close(f);
		if (n > 0) {
			line[n] = '\0';
			/* epoll_wait is 232 on x86-64, epoll_pwait 281. */
			if (!strncmp(line, "232 ", 4) || !strncmp(line, "281 ", 4))
				return 0;
		}
		usleep(10000);
	}
	return -ETIMEDOUT;
}

/* The report's entry for claim ID ("M4"), or NULL. */
static json_object *report_claim(json_object *summary, const char *id)
{
	json_object *a = jobj(summary, "model");
	size_t i, n = a && json_object_is_type(a, json_type_array) ?
		      json_object_array_length(a) : 0;

	for (i = 0; i < n; i++)
		if (!strcmp(jstr(json_object_array_get_idx(a, i), "claim"), id))
			return json_object_array_get_idx(a, i);
	return NULL;
}

/* predicted.KEY or observed.KEY of a claim; -1 if absent. */
static long long rep(json_object *c, const char *side, const char *key)
{
	return c ? jint(jobj(c, side), key, -1) : -1;
}

/* How many events carry claim ID. */
static int count_claim(FIXTURE_DATA(trace) *t, const char *id)
{
	int j, k, n = 0;

	for (j = 0; j < t->nev; j++)
		for (k = 0; k < t->ev[j].ntags && k < EV_TAGS; k++)
			n += !strcmp(t->ev[j].tags[k].claim, id);
	return n;
}

/*
 * Every event of step S: in its region, of class CLS, with the tags TAGS
 * (see check_tags()).  Returns how many.
 */
static int check_events(struct __test_metadata *_metadata, FIXTURE_DATA(trace) *t,
			const struct step *s, const char *cls, const char *tags)
{
	int j, n = 0;

	for (j = 0; j < t->nev; j++) {
		const struct event *e = &t->ev[j];

		if (!in_step(s, e))
			continue;
		n++;
		EXPECT_TRUE(!s->r.len || in_region(s, e)) {
			TH_LOG("step %c: fault at %#llx outside its region", s->cmd,
			       (unsigned long long)e->addr);
		}
		EXPECT_STREQ(cls, e->cls) {
			TH_LOG("step %c: %#llx", s->cmd, (unsigned long long)e->addr);
		}
		expect_tags(_metadata, s, e, tags);
	}
	return n;
}

static int present_pages(const struct step *s)
{
	size_t p;
	int n = 0;

	for (p = 0; p < s->r.len / PAGE; p++)
		n += !!(s->pm_after[p] & PM_PRESENT);
	return n;
}

/*
 * The "done when" (issue 16): a workload with faults known in
 * advance gets exactly the expected counts per claim in the model
 * report, equal to the module's counters and minflt/majflt of its steps:
 *
 *   step 1  MODEL_N first writes of fresh anonymous pages (no THP)
 *   step 2  MODEL_M first reads of untouched anonymous pages
 *   step 3  MODEL_K writes to pages shared with a child that lives
 *   step 4  a read of one page of a cached file, fault_around_bytes 65536
 *   step 5  the same in a second mapping, fault_around_bytes 4096
 *   step 7  (mincore() of region S: which swapped pages the swap cache holds)
 *   step 6  a read of each page of region S, paged out to zram
 *   step 8  the child exits
 *
 * Everything is set up untraced (step P); trace starts after it with -p,
 * and the steps begin once it is armed.  The swap part is exact: zram is
 * synchronous, so MADV_PAGEOUT frees each page from the swap cache once
 * written (the workload runs on one CPU: MADV_PAGEOUT drains that CPU's
 * LRU batches, which hold its new pages), and mincore() (step 7) shows
 * the swapped-out pages that the swap cache still holds: none.
 *
 * fault_around_bytes stays 4096 from step 5 until trace has exited:
 * trace reads it when it handles a file fault that mapped no neighbour,
 * which may be as late as the end of the trace (events come in batches).
 */
TEST_F(model, known_faults)
{
	FIXTURE_DATA(trace) *t = &self->t;
	const char *bin = ptscope_bin();
	uint64_t reg[MR_NR], swapped_bits = 0;
	int i, j, n;
	int swapped = 0, cached = 0, nb, mapped1, mapped2;
	json_object *c, *rep_a;
	struct step *s, *s1, *s2, *s3, *s4, *s5, *s6, *s7, *s8;
	char why[128], pidbuf[16];
	size_t p;
	static const char *const order[] = { "M4", "M5", "M8", "M11", "M13", "M17" };

	if (read_line(FAULT_AROUND, self->fault_around, sizeof(self->fault_around)))
		SKIP(return, "no %s (debugfs)", FAULT_AROUND);
	if (read_line(PAGE_CLUSTER, self->page_cluster, sizeof(self->page_cluster)))
		SKIP(return, "no %s", PAGE_CLUSTER);
	if (swap_on(why, sizeof(why)))
		SKIP(return, "%s", why);
	t->swap = 1;
	/*
	 * No swap readahead: a swap-in reads the page touched, nothing else.
	 * Region S's swap entries are not shared (it is written after the
	 * fork), so zram's synchronous swap-in skips the swap cache and its
	 * readahead anyway; with shared entries (the child forked after the
	 * page-out) the default page-cluster 3 read 27 of the 32 pages ahead
	 * into the swap cache (5 major faults, 27 minor), 0 made all 32 major
	 * (6.12).
	 */
	ASSERT_EQ(0, write_str(PAGE_CLUSTER, "0"));

	/* Set up, untraced: not a step of the trace. */
	s = step(_metadata, t, 'P', 0, 0);
	ASSERT_NE(NULL, s);
	ASSERT_EQ(0, s->r.err) {
		TH_LOG("set-up: %s", strerror(s->r.err));
	}
	memcpy(reg, s->r.model, sizeof(reg));
	t->nsteps = 0;
	ASSERT_EQ(0, pts_faults_ctl("track", t->pid));
	self->tracked = t->pid;

	ASSERT_EQ(0, write_str(FAULT_AROUND, "65536"));
	snprintf(pidbuf, sizeof(pidbuf), "%d", t->pid);
	TH_LOG("%s trace --model --json -p %s -o %s", bin, pidbuf, t->out);
	t->trace = fork();
	ASSERT_GE(t->trace, 0);
	if (!t->trace) {
		char *argv[] = { (char *)bin, "trace", "--model", "--json", "-p", pidbuf,
				 "-o", t->out, NULL };
		int fd = open(self->err, O_WRONLY | O_TRUNC);

		if (fd < 0 || dup2(fd, STDERR_FILENO) < 0)
			_exit(126);
		fd = open("/dev/null", O_WRONLY);
		if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0)
			_exit(126);
		execv(bin, argv);
		_exit(127);
	}
	/* Armed once it waits for events (see wait_armed()). */
	i = wait_armed(t->trace);
	if (i == -ESRCH)
		t->trace = 0;
	ASSERT_EQ(0, i) {
		char *e = slurp(self->err);

		TH_LOG("trace did not start: %s", e ? e : "?");
		free(e);
	}

	s1 = step(_metadata, t, '1', reg[MR_N], MODEL_N * PAGE);
	ASSERT_NE(NULL, s1);
	s2 = step(_metadata, t, '2', reg[MR_M], MODEL_M * PAGE);
	ASSERT_NE(NULL, s2);
	s3 = step(_metadata, t, '3', reg[MR_K], MODEL_K * PAGE);
	ASSERT_NE(NULL, s3);
	s4 = step(_metadata, t, '4', reg[MR_FILE1], FILE_PAGES * PAGE);
	ASSERT_NE(NULL, s4);
	ASSERT_EQ(0, write_str(FAULT_AROUND, "4096"));
	s5 = step(_metadata, t, '5', reg[MR_FILE2], FILE_PAGES * PAGE);
	ASSERT_NE(NULL, s5);
	s7 = step(_metadata, t, '7', 0, 0);
	ASSERT_NE(NULL, s7);
	s6 = step(_metadata, t, '6', reg[MR_S], MODEL_S * PAGE);
	ASSERT_NE(NULL, s6);
	s8 = step(_metadata, t, '8', 0, 0);
	ASSERT_NE(NULL, s8);
	for (i = 0; i < t->nsteps; i++)
		ASSERT_EQ(0, t->steps[i].r.err) {
			TH_LOG("step %c: %s", t->steps[i].cmd, strerror(t->steps[i].r.err));
		}
	finish(_metadata, t);
	ASSERT_EQ(self->workload, waitpid(self->workload, NULL, 0));
	self->workload = 0;

	TH_LOG("%d events", t->nev);

	/* Trace, the module and minflt/majflt agree step by step; nothing lost. */
	check_counts(_metadata, t);
	/* Every event is one of a step's. */
	for (j = n = 0; j < t->nev; j++)
		for (i = 0; i < t->nsteps; i++)
			if (in_step(&t->steps[i], &t->ev[j])) {
				n++;
				break;
			}
	EXPECT_EQ(t->nev, n);

	/* The swap part: what pagemap and mincore() showed before step 6. */
	for (p = 0; p < MODEL_S; p++)
		if (s6->pm_before[p] & PM_SWAP) {
			swapped++;
			swapped_bits |= 1ULL << p;
		}
	for (p = 0; p < MODEL_S; p++)
		cached += (swapped_bits & s7->r.mask) >> p & 1;
	TH_LOG("%d of %d pages swapped out, %d of them in the swap cache", swapped, MODEL_S,
	       cached);
	EXPECT_EQ(MODEL_S, swapped);
	EXPECT_EQ(0, cached);

	/* Each step's events: the region, the class, the claims. */
	EXPECT_EQ(MODEL_N, check_events(_metadata, t, s1, "demand-zero",
					"M4=" HOLDS ",M13=" DIFF));
	EXPECT_EQ(MODEL_M, check_events(_metadata, t, s2, "zero-page",
					"M4=" DIFF ",M13=" DIFF));
	EXPECT_EQ(MODEL_K, check_events(_metadata, t, s3, "cow", "M11=" HOLDS));
	EXPECT_EQ(1, check_events(_metadata, t, s4, "fault-around",
				      "M5=" HOLDS ",M17=" DIFF));
	EXPECT_EQ(1, check_events(_metadata, t, s5, "file", "M5=" NOT ",M17=" HOLDS));
	EXPECT_EQ(swapped, check_events(_metadata, t, s6, "swap-in", NULL));
	EXPECT_EQ(0, count_step(t, s7));
	EXPECT_EQ(0, count_step(t, s8));
	EXPECT_EQ(MODEL_N + MODEL_M + MODEL_K + 2 + swapped, t->nev);
	EXPECT_EQ(MODEL_N, check_pagemap(_metadata, t, s1));
	EXPECT_EQ(MODEL_M, check_pagemap(_metadata, t, s2));
	EXPECT_EQ(MODEL_K, check_pagemap(_metadata, t, s3));
	EXPECT_EQ(1, check_pagemap(_metadata, t, s4));
	EXPECT_EQ(1, check_pagemap(_metadata, t, s5));
	EXPECT_EQ(swapped, check_pagemap(_metadata, t, s6));

	/* The report: these claims, in this order, each with its events. */
	rep_a = jobj(t->summary, "model");
	ASSERT_NE(NULL, rep_a);
	ASSERT_TRUE(json_object_is_type(rep_a, json_type_array));
	EXPECT_EQ(ARRAY_SIZE(order), json_object_array_length(rep_a));
	for (i = 0; i < (int)ARRAY_SIZE(order) && i < (int)json_object_array_length(rep_a); i++) {
		c = json_object_array_get_idx(rep_a, i);
		EXPECT_STREQ(order[i], jstr(c, "claim"));
		EXPECT_EQ(count_claim(t, jstr(c, "claim")), jint(c, "events", -1)) {
			TH_LOG("%s: report %lld events, %d events carry it", jstr(c, "claim"),
			       jint(c, "events", -1), count_claim(t, jstr(c, "claim")));
		}
	}

	/* M4: N + M first touches, the M reads on the zero page. */
	c = report_claim(t->summary, "M4");
	ASSERT_NE(NULL, c);
	EXPECT_EQ(MODEL_N + MODEL_M, rep(c, "predicted", "pages"));
	EXPECT_EQ(MODEL_N + MODEL_M, rep(c, "predicted", "faults"));
	EXPECT_EQ(MODEL_N + MODEL_M, rep(c, "observed", "faults"));
	EXPECT_EQ(s1->dmin + s2->dmin, rep(c, "observed", "faults"));
	EXPECT_EQ(s1->mod.minor + s2->mod.minor, rep(c, "observed", "faults"));
	EXPECT_EQ(MODEL_N + MODEL_M, rep(c, "observed", "first_touch"));
	EXPECT_EQ(MODEL_M, rep(c, "observed", "zero_page"));
	EXPECT_EQ(0, rep(c, "observed", "write_after_zero_page"));
	EXPECT_EQ(0, rep(c, "observed", "huge"));
	EXPECT_EQ(0, rep(c, "observed", "large_folio"));
	EXPECT_STREQ(DIFF, jstr(c, "verdict"));
	EXPECT_EQ(MODEL_N + MODEL_M, jint(c, "events", -1));

	/* M13: N new frames, M zero-page reads. */
	c = report_claim(t->summary, "M13");
	ASSERT_NE(NULL, c);
	EXPECT_EQ(MODEL_N + MODEL_M, rep(c, "predicted", "zeroed_frames"));
	EXPECT_EQ(MODEL_N, rep(c, "observed", "new_frames"));
	EXPECT_EQ(MODEL_M, rep(c, "observed", "zero_page"));
	EXPECT_EQ(0, rep(c, "observed", "zero_page_copies"));
	EXPECT_STREQ(DIFF, jstr(c, "verdict"));
	EXPECT_EQ(MODEL_N + MODEL_M, jint(c, "events", -1));

	/* M11: K copies, none reused. */
	c = report_claim(t->summary, "M11");
	ASSERT_NE(NULL, c);
	EXPECT_EQ(MODEL_K, rep(c, "predicted", "copies"));
	EXPECT_EQ(MODEL_K, rep(c, "observed", "copies"));
	EXPECT_EQ(s3->dmin, rep(c, "observed", "copies"));
	EXPECT_EQ(s3->mod.minor, rep(c, "observed", "copies"));
	EXPECT_EQ(0, rep(c, "observed", "reused"));
	EXPECT_STREQ(HOLDS, jstr(c, "verdict"));
	EXPECT_EQ(MODEL_K, jint(c, "events", -1));

	/* M5 and M17: 2 file faults, the first with its window's neighbours. */
	mapped1 = present_pages(s4);
	mapped2 = present_pages(s5);
	nb = mapped1 - 1;
	TH_LOG("fault-around mapped %d pages, without it %d", mapped1, mapped2);
	EXPECT_LT(0, nb);
	EXPECT_EQ(1, mapped2);
	c = report_claim(t->summary, "M5");
	ASSERT_NE(NULL, c);
	EXPECT_EQ(2, rep(c, "predicted", "faults_with_neighbours"));
	EXPECT_EQ(2, rep(c, "observed", "faults"));
	EXPECT_EQ(s4->dmin + s5->dmin, rep(c, "observed", "faults"));
	EXPECT_EQ(s4->mod.minor + s5->mod.minor, rep(c, "observed", "faults"));
	EXPECT_EQ(1, rep(c, "observed", "faults_with_neighbours"));
	EXPECT_EQ(nb, rep(c, "observed", "neighbours"));
	EXPECT_STREQ(DIFF, jstr(c, "verdict"));
	EXPECT_EQ(2, jint(c, "events", -1));
	c = report_claim(t->summary, "M17");
	ASSERT_NE(NULL, c);
	EXPECT_EQ(2, rep(c, "predicted", "pages_mapped"));
	EXPECT_EQ(mapped1 + mapped2, rep(c, "observed", "pages_mapped"));
	EXPECT_EQ(2, rep(c, "observed", "faults"));
	EXPECT_EQ(s4->dmaj + s5->dmaj, rep(c, "observed", "major"));
	EXPECT_EQ(0, rep(c, "observed", "major"));
	EXPECT_EQ(nb, rep(c, "observed", "neighbours"));
	EXPECT_STREQ(DIFF, jstr(c, "verdict"));
	EXPECT_EQ(2, jint(c, "events", -1));

	/* M8: each swapped-out page a hard fault, none from the swap cache. */
	c = report_claim(t->summary, "M8");
	ASSERT_NE(NULL, c);
	EXPECT_EQ(swapped, rep(c, "predicted", "major"));
	EXPECT_EQ(swapped - cached, rep(c, "observed", "major"));
	EXPECT_EQ(s6->dmaj, rep(c, "observed", "major"));
	EXPECT_EQ(s6->mod.major, rep(c, "observed", "major"));
	EXPECT_EQ(cached, rep(c, "observed", "swap_cache"));
	EXPECT_EQ(s6->dmin, rep(c, "observed", "swap_cache"));
	EXPECT_EQ(s6->mod.minor, rep(c, "observed", "swap_cache"));
	EXPECT_STREQ(cached ? DIFF : HOLDS, jstr(c, "verdict"));
	EXPECT_EQ(swapped, jint(c, "events", -1));
}

/* --model, text: the MODEL column and the model report. */
TEST(text_output_model)
{
	static const char *const args[] = { "--model", "--", "/bin/true", NULL };
	char out[] = "/tmp/ptscope-trace-model-XXXXXX";
	int fd = mkstemp(out);

	ASSERT_GE(fd, 0);
	close(fd);
	EXPECT_EQ(0, run_trace(out, args));
	EXPECT_TRUE(file_has(out, "CLASS"));
	EXPECT_TRUE(file_has(out, " MODEL"));
	/* /bin/true's first writes: demand-zero, on M4 and M13. */
	EXPECT_TRUE(file_has(out, "demand-zero"));
	EXPECT_TRUE(file_has(out, " M4:holds M13:diff"));
	EXPECT_TRUE(file_has(out, "--- the model (Documentation/labs.rst) against these faults"));
	EXPECT_TRUE(file_has(out, "M4   demand paging: "));
	EXPECT_TRUE(file_has(out, "     predicted  "));
	EXPECT_TRUE(file_has(out, "     observed   "));
	EXPECT_TRUE(file_has(out, "     evidence   "));
	unlink(out);
}

TEST_HARNESS_MAIN
