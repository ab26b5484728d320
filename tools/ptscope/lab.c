// SPDX-License-Identifier: GPL-2.0
/*
 * ptscope lab [NAME...] [--json] [--verbose] [--no-setup] [--list]
 *
 * Runs experiments that put the textbook model of virtual memory to the
 * test on the running kernel (one lab per claim, M1..M17), observing
 * child processes with ptscope's own walk, translate, ptcost and fault
 * counters, and reports for each: the claim, what it did, what it saw
 * (with the entries, frames and counts that decided it), a verdict and
 * the Linux mechanism behind it.  See Documentation/labs.rst.
 *
 * This file: the command, the runner and its output, the child process
 * the labs drive, and the helpers that talk to the module.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lab.h"

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ	22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE	23
#endif

const struct cli_cmd cli_cmd_lab = {
	.name = "lab",
	.run = cmd_lab,
	.args = "[NAME...] [--json] [--verbose] [--no-setup] [--list]",
	.summary = "test the textbook model of virtual memory on this kernel",
	.help =
	"Runs one experiment per claim of the textbook model (M1..M17: address\n"
	"split, per-process tables, entry bits, demand paging, clustering,\n"
	"placement, replacement, paging file, working set, shared code,\n"
	"copy-on-write, standby list, zeroed pages, table cost, large pages,\n"
	"address-space split, mapped files).  Each lab forks a child process,\n"
	"drives it step by step and watches it with ptscope's walk, translate,\n"
	"ptcost and fault counters.  It reports the claim, what it did, what it\n"
	"observed (the entries, frames and fault counts that decided), a\n"
	"verdict -- holds, holds with a difference, does not hold on Linux --\n"
	"and the Linux mechanism.  Verdicts come from the measurements: change\n"
	"a setting (THP, fault_around_bytes, swap) and they change with it.\n"
	"A lab whose prerequisite is missing reports \"cannot run\" and why.\n"
	"\n"
	"NAME is m1..m17 or a lab's name (see --list); none: all labs.\n"
	"\n"
	"The replacement and paging-file labs need swap and memory pressure:\n"
	"without an active swap device they make a zram swap device (modprobe\n"
	"zram, mkswap, swapon) and a memory cgroup v2 group (mounting cgroup2\n"
	"on /sys/fs/cgroup if needed), and undo every change at the end, also\n"
	"after an error or a signal.  The labs need root and the module.\n"
	"\n"
	"Options:\n"
	"  -v, --verbose   more evidence (entries, levels, per-step counters)\n"
	"      --no-setup  create no swap device and no cgroup: labs that need\n"
	"                  them report \"cannot run\" when the system lacks them\n"
	"  -l, --list      list the labs and their claims, run nothing\n"
	"  -j, --json      one JSON document per lab (JSON Lines): id, name,\n"
	"                  claim, status (ran | cannot-run), reason, did,\n"
	"                  observed, verdict, explanation, summary\n"
	"\n"
	"Examples:\n"
	"  ptscope lab                       # all labs, then the verdict table\n"
	"  ptscope lab clustering cow -v\n"
	"  ptscope lab m8 --json | jq .observed\n"
	"  tools/vm/run -- tools/ptscope/ptscope lab   # in a throw-away guest\n",
};

static const struct lab *const all_labs[] = {
	&lab_m1, &lab_m2, &lab_m3, &lab_m4, &lab_m5, &lab_m6, &lab_m7, &lab_m8,
	&lab_m9, &lab_m10, &lab_m11, &lab_m12, &lab_m13, &lab_m14, &lab_m15,
	&lab_m16, &lab_m17,
};
#define NR_LABS (sizeof(all_labs) / sizeof(all_labs[0]))

/* ---- recording a result ----------------------------------------------- */

static char *vfmt(const char *fmt, va_list ap)
{
	char *s = NULL;

	if (vasprintf(&s, fmt, ap) < 0)
		return NULL;
	return s;
}

static void add_line(json_object *arr, const char *fmt, va_list ap)
{
	char *s = vfmt(fmt, ap);

	if (s) {
		json_object_array_add(arr, json_object_new_string(s));
		free(s);
	}
}

void lab_step(struct lab_ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_line(c->steps, fmt, ap);
	va_end(ap);
}

void lab_note(struct lab_ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_line(c->notes, fmt, ap);
	va_end(ap);
}

void lab_vnote(struct lab_ctx *c, const char *fmt, ...)
{
	va_list ap;

	if (!c->verbose)
		return;
	va_start(ap, fmt);
	add_line(c->notes, fmt, ap);
	va_end(ap);
}

void lab_ev(struct lab_ctx *c, const char *key, json_object *val)
{
	json_object_object_add(c->observed, key, val);
}

void lab_ev_int(struct lab_ctx *c, const char *key, int64_t v)
{
	lab_ev(c, key, json_object_new_int64(v));
}

void lab_ev_hex(struct lab_ctx *c, const char *key, uint64_t v)
{
	lab_ev(c, key, cli_json_hex(v));
}

void lab_ev_str(struct lab_ctx *c, const char *key, const char *s)
{
	lab_ev(c, key, s ? json_object_new_string(s) : NULL);
}

void lab_ev_bool(struct lab_ctx *c, const char *key, bool v)
{
	lab_ev(c, key, json_object_new_boolean(v));
}

void lab_ev_double(struct lab_ctx *c, const char *key, double v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%.3f", v);
	lab_ev(c, key, json_object_new_double_s(v, buf));
}

int lab_verdict(struct lab_ctx *c, enum lab_verdict v, const char *fmt, ...)
{
	va_list ap;

	c->verdict = v;
	free(c->explanation);
	va_start(ap, fmt);
	c->explanation = vfmt(fmt, ap);
	va_end(ap);
	return 0;
}

void lab_summary(struct lab_ctx *c, const char *fmt, ...)
{
	va_list ap;

	free(c->summary);
	va_start(ap, fmt);
	c->summary = vfmt(fmt, ap);
	va_end(ap);
}

int lab_cannot(struct lab_ctx *c, const char *fmt, ...)
{
	va_list ap;

	c->status = LAB_CANNOT;
	c->verdict = LAB_V_NONE;
	va_start(ap, fmt);
	vsnprintf(c->reason, sizeof(c->reason), fmt, ap);
	va_end(ap);
	return 0;
}

int lab_fail(struct lab_ctx *c, const char *fmt, ...)
{
	va_list ap;

	if (c->status == LAB_ERROR)	/* keep the first failure */
		return -1;
	c->status = LAB_ERROR;
	c->verdict = LAB_V_NONE;
	va_start(ap, fmt);
	vsnprintf(c->reason, sizeof(c->reason), fmt, ap);
	va_end(ap);
	return -1;
}

const char *lab_verdict_name(enum lab_verdict v)
{
	switch (v) {
	case LAB_V_HOLDS: return "holds";
	case LAB_V_DIFF:  return "holds with a difference";
	case LAB_V_NOT:   return "does not hold on Linux";
	default:          return "no verdict";
	}
}

/* ---- emergency clean-up ----------------------------------------------- */

#define MAX_PIDS	32
#define MAX_TMP		8

static volatile pid_t live_pids[MAX_PIDS];
static char tmp_paths[MAX_TMP][PATH_MAX];
static volatile int tmp_used[MAX_TMP];

void lab_track_pid(pid_t pid)
{
	int i;

	for (i = 0; i < MAX_PIDS; i++)
		if (!live_pids[i]) {
			live_pids[i] = pid;
			return;
		}
}

void lab_untrack_pid(pid_t pid)
{
	int i;

	for (i = 0; i < MAX_PIDS; i++)
		if (live_pids[i] == pid)
			live_pids[i] = 0;
}

static void remove_tmpfiles(void)
{
	int i;

	for (i = 0; i < MAX_TMP; i++)
		if (tmp_used[i]) {
			unlink(tmp_paths[i]);
			tmp_used[i] = 0;
		}
}

/* Signal context: only async-signal-safe calls. */
static void on_fatal_signal(int sig)
{
	int i;

	for (i = 0; i < MAX_PIDS; i++)
		if (live_pids[i] > 0)
			kill(live_pids[i], SIGKILL);
	for (i = 0; i < MAX_PIDS; i++)
		if (live_pids[i] > 0)
			waitpid(live_pids[i], NULL, 0);
	remove_tmpfiles();
	lab_env_restore_signal();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* ---- the child ---------------------------------------------------------- */

enum {
	OP_NOP = 1, OP_MMAP, OP_MUNMAP, OP_MADVISE, OP_TOUCH, OP_FREE_TOUCH,
	OP_CPU, OP_OPEN, OP_PROBE, OP_THREAD, OP_FORK, OP_EXIT, OP_PRESSURE,
};

struct lab_msg {
	uint32_t op;
	int32_t cpu;
	uint64_t a[7];
	char path[160];
};

struct lab_ack {
	int64_t ret;
};

#define ACK_TIMEOUT_MS	120000

/* The child's own mappings at start: what it warms up (never lab memory). */
#define MAX_OWN 96
static struct { uint64_t start, end; int advice; } own[MAX_OWN];
static int nr_own;

static void child_find_own(void)
{
	char exe[PATH_MAX], line[PATH_MAX + 128];
	ssize_t n;
	FILE *f;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	f = fopen("/proc/self/maps", "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f) && nr_own < MAX_OWN) {
		unsigned long long s, e;
		char perm[5], *path;
		int off = 0, adv = 0;

		if (sscanf(line, "%llx-%llx %4s %*s %*s %*s %n", &s, &e, perm, &off) < 3)
			continue;
		path = off ? line + off : line + strlen(line);
		path[strcspn(path, "\n")] = '\0';
		if (perm[0] != 'r')
			continue;
		if (perm[1] == 'w' && perm[3] == 'p' && e - s <= (16ULL << 20) &&
		    strcmp(path, "[vvar]") && strcmp(path, "[vdso]"))
			adv = MADV_POPULATE_WRITE;
		else if (path[0] == '/' && ((*exe && !strcmp(path, exe)) ||
					    strstr(path, "/libc.so") ||
					    strstr(path, "/ld-linux")))
			adv = MADV_POPULATE_READ;
		if (!adv)
			continue;
		own[nr_own].start = s;
		own[nr_own].end = e;
		own[nr_own].advice = adv;
		nr_own++;
	}
	fclose(f);
}

/* Map in the child's code and write its data, stack and heap pages. */
static void child_warm_up(void)
{
	int i;

	for (i = 0; i < nr_own; i++)
		madvise((void *)own[i].start, own[i].end - own[i].start, own[i].advice);
}

static int64_t do_touch(uint64_t addr, uint64_t n, uint64_t stride, int how,
			unsigned int value)
{
	int64_t sum = 0;
	uint64_t i, j;

	for (i = 0; i < n; i++) {
		volatile uint8_t *p = (volatile uint8_t *)(uintptr_t)(addr + i * stride);

		switch (how) {
		case LAB_READ:
			sum += p[0];
			break;
		case LAB_WRITE:
			p[0] = value;
			break;
		case LAB_FILL:
			memset((void *)(uintptr_t)(addr + i * stride), value, LAB_PAGE);
			break;
		case LAB_CHECK_ZERO:
			for (j = 0; j < LAB_PAGE; j++)
				sum += p[j] != 0;
			break;
		case LAB_WRITE_CHECK:
			p[0] = value;
			for (j = 1; j < LAB_PAGE; j++)
				sum += p[j] != 0;
			break;
		case LAB_CHECK_VALUE:
			for (j = 0; j < LAB_PAGE; j++)
				sum += p[j] != (uint8_t)value;
			break;
		default:
			return -EINVAL;
		}
	}
	return sum;
}

static int set_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

static void *sleeper_thread(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

static void child_serve(int in, int out, int gc_in, int gc_out)
	__attribute__((noreturn));

static int64_t child_fork(int in, int out, int gc_in, int gc_out)
{
	pid_t pid;

	if (gc_in < 0 || gc_out < 0)
		return -EINVAL;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		close(in);
		close(out);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		child_warm_up();
		child_serve(gc_in, gc_out, -1, -1);
	}
	close(gc_in);
	close(gc_out);
	child_warm_up();	/* our data pages are write-protected again */
	return pid;
}

static void child_serve(int in, int out, int gc_in, int gc_out)
{
	struct lab_msg m;
	struct lab_ack a = { 0 };
	pthread_t th;
	int st;

	if (write(out, &a, sizeof(a)) != sizeof(a))
		_exit(1);
	for (;;) {
		ssize_t n = read(in, &m, sizeof(m));
		void *p;

		if (n != sizeof(m))
			_exit(0);
		a.ret = 0;
		switch (m.op) {
		case OP_NOP:
			break;
		case OP_MMAP:
			p = mmap((void *)(uintptr_t)m.a[0], m.a[1], (int)m.a[2],
				 (int)m.a[3], (int)(int64_t)m.a[4], m.a[5]);
			a.ret = p == MAP_FAILED ? -errno : (int64_t)(uintptr_t)p;
			break;
		case OP_MUNMAP:
			a.ret = munmap((void *)(uintptr_t)m.a[0], m.a[1]) ? -errno : 0;
			break;
		case OP_MADVISE:
			a.ret = madvise((void *)(uintptr_t)m.a[0], m.a[1], (int)m.a[2]) ?
				-errno : 0;
			break;
		case OP_TOUCH:
			a.ret = do_touch(m.a[0], m.a[1], m.a[2], (int)m.a[3],
					 (unsigned int)m.a[4]);
			break;
		case OP_FREE_TOUCH: {
			uint64_t i;

			for (i = 0; i < m.a[1]; i++)
				madvise((void *)(uintptr_t)(m.a[0] + i * m.a[2]),
					LAB_PAGE, MADV_DONTNEED);
			if (m.cpu >= 0 && (a.ret = set_cpu(m.cpu)) < 0)
				break;
			a.ret = do_touch(m.a[3], m.a[4], LAB_PAGE, (int)m.a[5],
					 (unsigned int)m.a[6]);
			break;
		}
		case OP_CPU:
			a.ret = set_cpu(m.cpu);
			break;
		case OP_OPEN:
			m.path[sizeof(m.path) - 1] = '\0';
			a.ret = open(m.path, (int)m.a[0]);
			if (a.ret < 0)
				a.ret = -errno;
			break;
		case OP_PROBE: {
			pid_t pid = fork();

			if (pid == 0) {
				struct rlimit rl = { 0, 0 };

				setrlimit(RLIMIT_CORE, &rl);
				signal(SIGSEGV, SIG_DFL);
				(void)*(volatile char *)(uintptr_t)m.a[0];
				_exit(0);
			}
			if (pid < 0) {
				a.ret = -errno;
				break;
			}
			if (waitpid(pid, &st, 0) < 0)
				a.ret = -errno;
			else
				a.ret = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
			break;
		}
		case OP_THREAD:
			if (pthread_create(&th, NULL, sleeper_thread, NULL)) {
				a.ret = -EAGAIN;
				break;
			}
			/* its TID: the newest entry of /proc/self/task */
			{
				DIR *d = opendir("/proc/self/task");
				struct dirent *de;
				long tid, best = -ESRCH;

				while (d && (de = readdir(d)))
					if ((tid = atol(de->d_name)) > 0 && tid != getpid())
						best = tid;
				if (d)
					closedir(d);
				a.ret = best;
			}
			break;
		case OP_FORK:
			a.ret = child_fork(in, out, gc_in, gc_out);
			gc_in = gc_out = -1;
			break;
		case OP_EXIT:
			_exit(0);
		case OP_PRESSURE: {
			uint64_t done, k;

			for (done = 0; done < m.a[1]; done += m.a[2]) {
				k = m.a[1] - done < m.a[2] ? m.a[1] - done : m.a[2];
				do_touch(m.a[0] + done * LAB_PAGE, k, LAB_PAGE, LAB_WRITE, 1);
				do_touch(m.a[3], m.a[4], LAB_PAGE, LAB_READ, 0);
				do_touch(m.a[3], m.a[4], LAB_PAGE, LAB_WRITE, 2);
			}
			break;
		}
		default:
			a.ret = -EINVAL;
		}
		if (write(out, &a, sizeof(a)) != sizeof(a))
			_exit(1);
	}
}

static int read_ack(int fd, struct lab_ack *a)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int r;

	do
		r = poll(&p, 1, ACK_TIMEOUT_MS);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return -ETIMEDOUT;
	if (r < 0)
		return -errno;
	r = read(fd, a, sizeof(*a));
	if (r == (int)sizeof(*a))
		return 0;
	return r < 0 ? -errno : -EPIPE;
}

static void track(struct lab_child *ch)
{
	ch->tracked = pts_faults_ctl("track", ch->pid) == 0;
}

static int start_child(struct lab_ctx *c, struct lab_child *ch, int gc_in, int gc_out,
		       int close1, int close2)
{
	int to[2], from[2], err;
	struct lab_ack a;
	pid_t pid;

	ch->pid = 0;
	ch->to = ch->from = -1;
	ch->tracked = false;
	if (pipe2(to, O_CLOEXEC) || pipe2(from, O_CLOEXEC))
		return lab_fail(c, "pipe: %s", strerror(errno));
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		err = errno;
		close(to[0]); close(to[1]); close(from[0]); close(from[1]);
		return lab_fail(c, "fork: %s", strerror(err));
	}
	if (pid == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(to[1]);
		close(from[0]);
		if (close1 >= 0)
			close(close1);
		if (close2 >= 0)
			close(close2);
		nr_own = 0;
		child_find_own();
		child_warm_up();
		child_serve(to[0], from[1], gc_in, gc_out);
	}
	close(to[0]);
	close(from[1]);
	ch->pid = pid;
	ch->to = to[1];
	ch->from = from[0];
	lab_track_pid(pid);
	err = read_ack(ch->from, &a);
	if (err) {
		lab_child_stop(ch);
		return lab_fail(c, "the child did not start: %s", strerror(-err));
	}
	track(ch);
	return 0;
}

int lab_child_start(struct lab_ctx *c, struct lab_child *ch)
{
	ch->gc_cmd_rd = ch->gc_ack_wr = -1;
	return start_child(c, ch, -1, -1, -1, -1);
}

int lab_child_start2(struct lab_ctx *c, struct lab_child *ch, struct lab_child *gc)
{
	int cmd[2], ack[2], ret;

	memset(gc, 0, sizeof(*gc));
	gc->to = gc->from = -1;
	if (pipe(cmd) || pipe(ack))
		return lab_fail(c, "pipe: %s", strerror(errno));
	/* the child keeps cmd[0] and ack[1] for the grandchild */
	ret = start_child(c, ch, cmd[0], ack[1], cmd[1], ack[0]);
	close(cmd[0]);
	close(ack[1]);
	if (ret) {
		close(cmd[1]);
		close(ack[0]);
		return ret;
	}
	fcntl(cmd[1], F_SETFD, FD_CLOEXEC);
	fcntl(ack[0], F_SETFD, FD_CLOEXEC);
	gc->to = cmd[1];
	gc->from = ack[0];
	return 0;
}

void lab_child_stop(struct lab_child *ch)
{
	if (ch->pid > 0) {
		if (ch->tracked)
			pts_faults_ctl("untrack", ch->pid);
		kill(ch->pid, SIGKILL);
		waitpid(ch->pid, NULL, 0);
		lab_untrack_pid(ch->pid);
	} else if (ch->pid < 0 && ch->tracked) {
		pts_faults_ctl("untrack", -ch->pid);	/* exited: drop it */
	}
	if (ch->to >= 0)
		close(ch->to);
	if (ch->from >= 0)
		close(ch->from);
	ch->pid = 0;
	ch->to = ch->from = -1;
	ch->tracked = false;
}

static int64_t call(struct lab_ctx *c, struct lab_child *ch, struct lab_msg *m,
		    const char *what, bool quiet)
{
	struct lab_ack a;
	int err;

	if (ch->pid <= 0)
		return lab_fail(c, "%s: no child", what);
	if (write(ch->to, m, sizeof(*m)) != sizeof(*m))
		return lab_fail(c, "%s: the child is gone: %s", what, strerror(errno));
	err = read_ack(ch->from, &a);
	if (err)
		return lab_fail(c, "%s: the child did not answer: %s", what,
				strerror(-err));
	if (a.ret < 0 && !quiet)
		return lab_fail(c, "%s in the child: %s", what, strerror((int)-a.ret));
	return a.ret;
}

int lab_c_nop(struct lab_ctx *c, struct lab_child *ch)
{
	struct lab_msg m = { .op = OP_NOP };

	return call(c, ch, &m, "nop", false) < 0 ? -1 : 0;
}

int64_t lab_c_mmap_try(struct lab_ctx *c, struct lab_child *ch, uint64_t hint,
		       uint64_t len, int prot, int flags, int fd, uint64_t off)
{
	struct lab_msg m = { .op = OP_MMAP,
		.a = { hint, len, (uint64_t)prot, (uint64_t)flags,
		       (uint64_t)(int64_t)fd, off } };

	return call(c, ch, &m, "mmap", true);
}

uint64_t lab_c_mmap(struct lab_ctx *c, struct lab_child *ch, uint64_t hint,
		    uint64_t len, int prot, int flags, int fd, uint64_t off)
{
	int64_t r = lab_c_mmap_try(c, ch, hint, len, prot, flags, fd, off);

	if (r < 0) {
		if (c->status != LAB_ERROR)
			lab_fail(c, "mmap of %s in the child: %s", sz(len),
				 strerror((int)-r));
		return 0;
	}
	return (uint64_t)r;
}

uint64_t lab_c_anon(struct lab_ctx *c, struct lab_child *ch, uint64_t len,
		    uint64_t align, int madv)
{
	uint64_t a, start;

	if (align < LAB_PAGE)
		align = LAB_PAGE;
	a = lab_c_mmap(c, ch, 0, len + align - LAB_PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (!a)
		return 0;
	start = (a + align - 1) & ~(align - 1);
	if (start > a && lab_c_munmap(c, ch, a, start - a))
		return 0;
	if (start + len < a + len + align - LAB_PAGE &&
	    lab_c_munmap(c, ch, start + len, a + len + align - LAB_PAGE - start - len))
		return 0;
	if (madv >= 0 && lab_c_madvise(c, ch, start, len, madv))
		return 0;
	return start;
}

int lab_c_munmap(struct lab_ctx *c, struct lab_child *ch, uint64_t addr,
		 uint64_t len)
{
	struct lab_msg m = { .op = OP_MUNMAP, .a = { addr, len } };

	return call(c, ch, &m, "munmap", false) < 0 ? -1 : 0;
}

int lab_c_madvise(struct lab_ctx *c, struct lab_child *ch, uint64_t addr,
		  uint64_t len, int advice)
{
	struct lab_msg m = { .op = OP_MADVISE, .a = { addr, len, (uint64_t)advice } };

	return call(c, ch, &m, "madvise", false) < 0 ? -1 : 0;
}

int64_t lab_c_touch(struct lab_ctx *c, struct lab_child *ch, uint64_t addr,
		    uint64_t npages, uint64_t stride, enum lab_touch how,
		    unsigned int value)
{
	struct lab_msg m = { .op = OP_TOUCH,
		.a = { addr, npages, stride, (uint64_t)how, value } };

	return call(c, ch, &m, "touching memory", false);
}

int64_t lab_c_free_touch(struct lab_ctx *c, struct lab_child *ch,
			 uint64_t free_addr, uint64_t nfree, uint64_t free_stride,
			 int cpu, uint64_t touch_addr, uint64_t ntouch,
			 enum lab_touch how, unsigned int value)
{
	struct lab_msg m = { .op = OP_FREE_TOUCH, .cpu = cpu,
		.a = { free_addr, nfree, free_stride, touch_addr, ntouch,
		       (uint64_t)how, value } };

	return call(c, ch, &m, "freeing and touching memory", false);
}

int lab_c_cpu(struct lab_ctx *c, struct lab_child *ch, int cpu)
{
	struct lab_msg m = { .op = OP_CPU, .cpu = cpu };

	return call(c, ch, &m, "sched_setaffinity", false) < 0 ? -1 : 0;
}

int lab_c_open(struct lab_ctx *c, struct lab_child *ch, const char *path, int flags)
{
	struct lab_msg m = { .op = OP_OPEN, .a = { (uint64_t)flags } };
	int64_t r;

	if (strlen(path) >= sizeof(m.path))
		return lab_fail(c, "path too long: %s", path);
	strcpy(m.path, path);
	r = call(c, ch, &m, "open", true);
	if (r < 0)
		return c->status == LAB_ERROR ? -1 :
			lab_fail(c, "open %s in the child: %s", path, strerror((int)-r));
	return (int)r;
}

int lab_c_probe(struct lab_ctx *c, struct lab_child *ch, uint64_t addr)
{
	struct lab_msg m = { .op = OP_PROBE, .a = { addr } };
	int64_t r = call(c, ch, &m, "probe", false);

	return r < 0 ? -1 : (int)r;
}

int lab_c_thread(struct lab_ctx *c, struct lab_child *ch)
{
	struct lab_msg m = { .op = OP_THREAD };
	int64_t r = call(c, ch, &m, "pthread_create", true);

	return r < 0 ? -1 : (int)r;
}

int lab_c_fork(struct lab_ctx *c, struct lab_child *ch, struct lab_child *gc)
{
	struct lab_msg m = { .op = OP_FORK };
	struct lab_ack a;
	int64_t r;
	int err;

	r = call(c, ch, &m, "fork", false);
	if (r < 0)
		return -1;
	gc->pid = (pid_t)r;
	lab_track_pid(gc->pid);
	err = read_ack(gc->from, &a);
	if (err)
		return lab_fail(c, "the grandchild did not start: %s", strerror(-err));
	track(gc);
	return 0;
}

int lab_c_exit(struct lab_ctx *c, struct lab_child *ch)
{
	struct lab_msg m = { .op = OP_EXIT };
	int st;

	if (write(ch->to, &m, sizeof(m)) != sizeof(m))
		return lab_fail(c, "exit: the child is gone");
	if (waitpid(ch->pid, &st, 0) < 0)
		return lab_fail(c, "waitpid: %s", strerror(errno));
	lab_untrack_pid(ch->pid);
	close(ch->to);
	close(ch->from);
	ch->to = ch->from = -1;
	/* the module reports an exited process once more: leave it tracked
	 * for lab_faults(), which reads that last report */
	ch->pid = -ch->pid;
	return 0;
}

int lab_c_pressure(struct lab_ctx *c, struct lab_child *ch, uint64_t l,
		   uint64_t nl, uint64_t chunk, uint64_t f, uint64_t nf)
{
	struct lab_msg m = { .op = OP_PRESSURE, .a = { l, nl, chunk, f, nf } };

	return call(c, ch, &m, "memory pressure", false) < 0 ? -1 : 0;
}

/* ---- fault counters ----------------------------------------------------- */

static int read_stat_faults(pid_t pid, long long *minflt, long long *majflt)
{
	char path[64], buf[1024], *p;
	int ret = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')) &&
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %lld %*u %lld",
		   minflt, majflt) == 2)
		ret = 0;
	fclose(f);
	return ret;
}

int lab_faults(struct lab_ctx *c, struct lab_child *ch, struct lab_faults *f)
{
	pid_t pid = ch->pid < 0 ? -ch->pid : ch->pid;
	struct pts_faults pf;
	int i, ret;

	memset(f, 0, sizeof(*f));
	if (ch->tracked) {
		ret = pts_faults_read(pid, &pf);
		if (!ret) {
			for (i = 0; i < PTSCOPE_NR_FAULT_COUNTERS; i++)
				f->v[i] = (long long)pf.count[i];
			if (pf.exited)
				ch->tracked = false;	/* dropped by the module now */
			return 0;
		}
		ch->tracked = false;
	}
	if (read_stat_faults(pid, &f->v[PTSCOPE_FC_MINOR], &f->v[PTSCOPE_FC_MAJOR]))
		return lab_fail(c, "fault counts of pid %d: not tracked and no /proc stat", pid);
	f->v[PTSCOPE_FC_FAULTS] = f->v[PTSCOPE_FC_MINOR] + f->v[PTSCOPE_FC_MAJOR];
	return 0;
}

void lab_faults_sub(const struct lab_faults *after, const struct lab_faults *before,
		    struct lab_faults *d)
{
	int i;

	for (i = 0; i < PTSCOPE_NR_FAULT_COUNTERS; i++)
		d->v[i] = after->v[i] - before->v[i];
}

json_object *lab_faults_json(const struct lab_faults *d)
{
	static const int keys[] = {
		PTSCOPE_FC_FAULTS, PTSCOPE_FC_MINOR, PTSCOPE_FC_MAJOR,
		PTSCOPE_FC_READ, PTSCOPE_FC_WRITE, PTSCOPE_FC_NOT_PRESENT,
		PTSCOPE_FC_PROTECTION, PTSCOPE_FC_VMA_ANON, PTSCOPE_FC_VMA_FILE,
		PTSCOPE_FC_VMA_SHMEM,
	};
	json_object *o = json_object_new_object();
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		jset(o, pts_fault_counter_name(keys[i]),
		     json_object_new_int64(d->v[keys[i]]));
	return o;
}

const char *lab_faults_str(const struct lab_faults *d, char *buf, size_t len)
{
	snprintf(buf, len, "%lld fault%s (%lld minor, %lld major; %lld read, %lld write)",
		 d->v[PTSCOPE_FC_FAULTS], d->v[PTSCOPE_FC_FAULTS] == 1 ? "" : "s",
		 d->v[PTSCOPE_FC_MINOR], d->v[PTSCOPE_FC_MAJOR],
		 d->v[PTSCOPE_FC_READ], d->v[PTSCOPE_FC_WRITE]);
	return buf;
}

/* ---- ptscope sessions --------------------------------------------------- */

static int session(struct lab_ctx *c, struct pts_session *s, const char *what,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int session(struct lab_ctx *c, struct pts_session *s, const char *what,
		   const char *fmt, ...)
{
	char req[PTSCOPE_REQ_MAX];
	va_list ap;
	int ret;

	va_start(ap, fmt);
	vsnprintf(req, sizeof(req), fmt, ap);
	va_end(ap);
	ret = pts_open(s, "records");
	if (ret)
		return lab_fail(c, "%s: %s", what, pts_strerror(ret));
	ret = pts_request(s, "%s", req);
	if (ret) {
		pts_close(s);
		if (ret == -ERANGE)
			return -ERANGE;
		return lab_fail(c, "%s (%s): %s", what, req, pts_strerror(ret));
	}
	return 0;
}

static int take_header(struct lab_ctx *c, struct pts_session *s,
		       struct ptscope_header *h, const char *what)
{
	const struct ptscope_rec_hdr *r;
	int ret = pts_next(s, &r);

	if (ret <= 0 || r->type != PTSCOPE_REC_HEADER || r->size < sizeof(*h))
		return lab_fail(c, "%s: no header from the module (%s)", what,
				ret < 0 ? pts_strerror(ret) : "malformed stream");
	memcpy(h, r, sizeof(*h));
	if (h->magic != PTSCOPE_MAGIC || h->abi_version != PTSCOPE_ABI_VERSION)
		return lab_fail(c, "%s: module ABI mismatch", what);
	return 0;
}

int lab_walk(struct lab_ctx *c, pid_t pid, uint64_t start, uint64_t end,
	     struct lab_walk *w)
{
	const struct ptscope_rec_hdr *r;
	struct pts_session s;
	size_t cap_v = 0, cap_l = 0;
	bool have_end = false;
	int ret;

	memset(w, 0, sizeof(*w));
	if (start < end)
		ret = session(c, &s, "walk", "pid=%d range=0x%llx-0x%llx", pid,
			      (unsigned long long)start, (unsigned long long)end);
	else
		ret = session(c, &s, "walk", "pid=%d", pid);
	if (ret)
		return ret == -ERANGE ? lab_fail(c, "walk: range outside user space") : -1;
	if (take_header(c, &s, &w->hdr, "walk")) {
		pts_close(&s);
		return -1;
	}
	while ((ret = pts_next(&s, &r)) > 0) {
		if (r->type == PTSCOPE_REC_VMA && r->size >= sizeof(struct ptscope_vma)) {
			if (w->nvmas == cap_v) {
				cap_v = cap_v ? 2 * cap_v : 16;
				w->vmas = realloc(w->vmas, cap_v * sizeof(*w->vmas));
			}
			if (!w->vmas)
				break;
			memcpy(&w->vmas[w->nvmas++], r, sizeof(*w->vmas));
		} else if (r->type == PTSCOPE_REC_LEAF &&
			   r->size >= sizeof(struct ptscope_leaf)) {
			if (w->nleaves == cap_l) {
				cap_l = cap_l ? 2 * cap_l : 256;
				w->leaves = realloc(w->leaves, cap_l * sizeof(*w->leaves));
			}
			if (!w->leaves)
				break;
			memcpy(&w->leaves[w->nleaves++], r, sizeof(*w->leaves));
		} else if (r->type == PTSCOPE_REC_END) {
			have_end = true;
		}
	}
	pts_close(&s);
	if ((cap_v && !w->vmas) || (cap_l && !w->leaves)) {
		lab_walk_free(w);
		return lab_fail(c, "walk: out of memory");
	}
	if (ret < 0 || !have_end) {
		lab_walk_free(w);
		return lab_fail(c, "walk of pid %d: %s", pid,
				ret < 0 ? pts_strerror(ret) : "the walk was cut short");
	}
	return 0;
}

void lab_walk_free(struct lab_walk *w)
{
	free(w->vmas);
	free(w->leaves);
	w->vmas = NULL;
	w->leaves = NULL;
	w->nvmas = w->nleaves = 0;
}

const struct ptscope_vma *lab_walk_vma(const struct lab_walk *w, uint64_t va)
{
	const struct ptscope_vma *v = NULL;
	size_t i;

	for (i = 0; i < w->nvmas; i++)
		if (w->vmas[i].start <= va && va < w->vmas[i].end)
			v = &w->vmas[i];
	return v;
}

void lab_expand(const struct lab_walk *w, uint64_t start, size_t npages,
		struct lab_page *out)
{
	uint64_t end = start + npages * LAB_PAGE;
	size_t i;

	memset(out, 0, npages * sizeof(*out));
	for (i = 0; i < w->nleaves; i++) {
		const struct ptscope_leaf *l = &w->leaves[i];
		uint64_t size = pts_level_size(l->level);
		uint64_t lend = l->va + size * (l->count ? l->count : 1);
		uint64_t va, s = l->va > start ? l->va : start;

		if (lend <= start || l->va >= end)
			continue;
		for (va = s & ~(LAB_PAGE - 1); va < lend && va < end; va += LAB_PAGE) {
			struct lab_page *p = &out[(va - start) / LAB_PAGE];
			uint64_t idx = (va - l->va) / size;	/* entry in the run */

			p->leaf = l;
			p->mapped = true;
			p->flags = l->flags;
			p->level = l->level;
			p->mapcount = l->mapcount;
			p->present = l->flags & PTSCOPE_F_PRESENT ||
				     l->flags & PTSCOPE_F_PROTNONE;
			p->swap = l->flags & PTSCOPE_F_SWAP;
			if (l->flags & PTSCOPE_F_PFN_VALID)
				p->pfn = l->pfn + (va - l->va) / LAB_PAGE;
			if (p->swap) {
				p->swap_type = l->swap_type;
				p->swap_offset = l->swap_offset + idx;
			}
		}
	}
}

int lab_pages(struct lab_ctx *c, pid_t pid, uint64_t start, size_t npages,
	      struct lab_page *out, struct ptscope_header *hdr)
{
	struct lab_walk w;

	if (lab_walk(c, pid, start, start + npages * LAB_PAGE, &w))
		return -1;
	lab_expand(&w, start, npages, out);
	if (hdr)
		*hdr = w.hdr;
	/* the leaf pointers die with the walk */
	{
		size_t i;

		for (i = 0; i < npages; i++)
			out[i].leaf = NULL;
	}
	lab_walk_free(&w);
	return 0;
}

size_t lab_count_present(const struct lab_page *p, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		k += p[i].present;
	return k;
}

size_t lab_count_swap(const struct lab_page *p, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		k += p[i].swap;
	return k;
}

size_t lab_count_any(const struct lab_page *p, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		k += p[i].mapped;
	return k;
}

int lab_translate(struct lab_ctx *c, pid_t pid, uint64_t va, struct lab_xlate *x)
{
	const struct ptscope_rec_hdr *r;
	struct pts_session s;
	bool have_x = false;
	int ret;

	memset(x, 0, sizeof(*x));
	ret = session(c, &s, "translate", "pid=%d va=0x%llx", pid,
		      (unsigned long long)va);
	if (ret)
		return ret;
	if (take_header(c, &s, &x->hdr, "translate")) {
		pts_close(&s);
		return -1;
	}
	while ((ret = pts_next(&s, &r)) > 0) {
		if (r->type == PTSCOPE_REC_LEVEL &&
		    r->size >= sizeof(struct ptscope_xlate_level) &&
		    x->nlv < PTSCOPE_NR_LEVELS)
			memcpy(&x->lv[x->nlv++], r, sizeof(x->lv[0]));
		else if (r->type == PTSCOPE_REC_XLATE &&
			 r->size >= sizeof(struct ptscope_xlate)) {
			memcpy(&x->x, r, sizeof(x->x));
			have_x = true;
		}
	}
	pts_close(&s);
	if (ret < 0 || !have_x)
		return lab_fail(c, "translate 0x%llx of pid %d: %s",
				(unsigned long long)va, pid,
				ret < 0 ? pts_strerror(ret) : "no result record");
	return 0;
}

int lab_ptcost(struct lab_ctx *c, pid_t pid, struct ptscope_cost *cost,
	       struct ptscope_header *hdr)
{
	const struct ptscope_rec_hdr *r;
	struct ptscope_header h;
	struct pts_session s;
	bool have = false;
	int ret;

	if (session(c, &s, "ptcost", "pid=%d op=ptcost", pid))
		return -1;
	if (take_header(c, &s, &h, "ptcost")) {
		pts_close(&s);
		return -1;
	}
	while ((ret = pts_next(&s, &r)) > 0)
		if (r->type == PTSCOPE_REC_COST && r->size >= sizeof(*cost)) {
			memcpy(cost, r, sizeof(*cost));
			have = true;
		}
	pts_close(&s);
	if (ret < 0 || !have)
		return lab_fail(c, "ptcost of pid %d: %s", pid,
				ret < 0 ? pts_strerror(ret) : "no cost record");
	if (hdr)
		*hdr = h;
	return 0;
}

json_object *lab_leaf_json(const struct ptscope_leaf *l)
{
	json_object *o = json_object_new_object();

	jset(o, "va", cli_json_hex(l->va));
	jset(o, "level", json_object_new_string(pts_level_name(l->level)));
	jset(o, "entry", cli_json_hex(l->entry));
	if (l->flags & PTSCOPE_F_PFN_VALID)
		jset(o, "pfn", cli_json_hex(l->pfn));
	jset(o, "flags", cli_json_flags(l->flags & ~PTSCOPE_F_PFN_VALID));
	if (l->flags & PTSCOPE_F_SWAP) {
		jset(o, "swap_type", json_object_new_int(l->swap_type));
		jset(o, "swap_offset", cli_json_hex(l->swap_offset));
	}
	if (l->flags & PTSCOPE_F_PFN_VALID)
		jset(o, "mapcount", json_object_new_int64(l->mapcount));
	return o;
}

const char *lab_leaf_str(const struct ptscope_leaf *l, char *buf, size_t len)
{
	char fl[512], extra[64] = "";

	pts_flags_str(l->flags & ~PTSCOPE_F_PFN_VALID, fl, sizeof(fl));
	if (l->flags & PTSCOPE_F_SWAP)
		snprintf(extra, sizeof(extra), " swap=%u:0x%llx", l->swap_type,
			 (unsigned long long)l->swap_offset);
	else if (l->flags & PTSCOPE_F_PFN_VALID)
		snprintf(extra, sizeof(extra), " pfn=0x%llx mapcount=%u",
			 (unsigned long long)l->pfn, l->mapcount);
	snprintf(buf, len, "0x%llx %s entry=0x%016llx%s [%s]",
		 (unsigned long long)l->va, pts_level_name(l->level),
		 (unsigned long long)l->entry, extra, fl);
	return buf;
}

const char *lab_level_str(const struct ptscope_xlate_level *lv, char *buf, size_t len)
{
	char fl[256];

	pts_flags_str(lv->flags & ~PTSCOPE_F_PFN_VALID, fl, sizeof(fl));
	snprintf(buf, len, "%s index %3u table_pa 0x%llx entry_pa 0x%llx entry 0x%016llx%s [%s]",
		 pts_level_name(lv->level), lv->index,
		 (unsigned long long)lv->table_pa, (unsigned long long)lv->entry_pa,
		 (unsigned long long)lv->entry, lv->folded ? " (folded)" : "", fl);
	return buf;
}

/* ---- the system ------------------------------------------------------- */

int lab_read_str(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

int lab_write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n, len = strlen(s);

	if (fd < 0)
		return -errno;
	n = write(fd, s, len);
	if (n != len) {
		int err = n < 0 ? errno : EIO;

		close(fd);
		return -err;
	}
	return close(fd) ? -errno : 0;
}

long long lab_read_ll(const char *path)
{
	char buf[64];

	if (lab_read_str(path, buf, sizeof(buf)))
		return -1;
	return strtoll(buf, NULL, 0);
}

int lab_sysfs_choice(const char *path, char *buf, size_t len)
{
	char raw[256], *a, *b;
	int ret = lab_read_str(path, raw, sizeof(raw));

	if (ret)
		return ret;
	a = strchr(raw, '[');
	b = a ? strchr(a, ']') : NULL;
	if (!a || !b)
		return -EINVAL;
	*b = '\0';
	snprintf(buf, len, "%s", a + 1);
	return 0;
}

long long lab_proc_kb(pid_t pid, const char *file, const char *key)
{
	return cli_proc_kb(pid, file, key);
}

int lab_ncpus(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set))
		return 1;
	return CPU_COUNT(&set);
}

long lab_cached_pages(int fd, uint64_t len)
{
	size_t n = (len + LAB_PAGE - 1) / LAB_PAGE, i;
	unsigned char *vec;
	long k = 0;
	void *p;

	p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -1;
	vec = malloc(n);
	if (!vec || mincore(p, len, vec)) {
		free(vec);
		munmap(p, len);
		return -1;
	}
	for (i = 0; i < n; i++)
		k += vec[i] & 1;
	free(vec);
	munmap(p, len);
	return k;
}

int lab_tmpfile(struct lab_ctx *c, uint64_t len, bool fill, char *path, size_t pathlen)
{
	const char *dir = getenv("TMPDIR");
	static char buf[65536];
	uint64_t done;
	int fd, i, slot = -1;

	for (i = 0; i < MAX_TMP; i++)
		if (!tmp_used[i]) {
			slot = i;
			break;
		}
	if (slot < 0)
		return lab_fail(c, "too many scratch files");
	if (!dir || !*dir)
		dir = "/tmp";
	snprintf(tmp_paths[slot], sizeof(tmp_paths[slot]), "%s/ptscope-lab.XXXXXX", dir);
	fd = mkostemp(tmp_paths[slot], O_CLOEXEC);
	if (fd < 0)
		return lab_fail(c, "scratch file in %s: %s", dir, strerror(errno));
	tmp_used[slot] = 1;
	if (path)
		snprintf(path, pathlen, "%s", tmp_paths[slot]);
	if (ftruncate(fd, len)) {
		close(fd);
		return lab_fail(c, "scratch file of %s: %s", sz(len), strerror(errno));
	}
	for (done = 0; fill && done < len; done += sizeof(buf)) {
		size_t n = len - done < sizeof(buf) ? len - done : sizeof(buf);
		size_t j;

		for (j = 0; j < n; j += LAB_PAGE)	/* each page: its number */
			memset(buf + j, (int)(1 + (done + j) / LAB_PAGE % 255),
			       n - j < LAB_PAGE ? n - j : LAB_PAGE);
		if (pwrite(fd, buf, n, done) != (ssize_t)n) {
			close(fd);
			return lab_fail(c, "writing the scratch file: %s", strerror(errno));
		}
	}
	return fd;
}

int lab_cold_file(struct lab_ctx *c, uint64_t minlen, char *path, size_t pathlen)
{
	const char *fmts[] = {
		"/boot/vmlinuz-%s", "/boot/initrd.img-%s", "/lib/modules/%s/modules.alias",
		"/lib/modules/%s/modules.symbols", "/boot/System.map-%s",
	};
	size_t i;

	for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		struct stat st;
		int fd;

		snprintf(path, pathlen, fmts[i], c->ver.kernel_release);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (fstat(fd, &st) || !S_ISREG(st.st_mode) || (uint64_t)st.st_size < minlen) {
			close(fd);
			continue;
		}
		posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
		if (lab_cached_pages(fd, minlen) == 0)
			return fd;
		close(fd);
	}
	path[0] = '\0';
	return -1;
}

int lab_run(const char *const argv[])
{
	pid_t pid;
	int st;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd = open("/dev/null", O_RDWR);

		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
		}
		signal(SIGPIPE, SIG_DFL);
		execvp(argv[0], (char *const *)argv);
		if (!strchr(argv[0], '/')) {	/* not in PATH: the usual sbin */
			char p[128];

			snprintf(p, sizeof(p), "/usr/sbin/%s", argv[0]);
			execv(p, (char *const *)argv);
			snprintf(p, sizeof(p), "/sbin/%s", argv[0]);
			execv(p, (char *const *)argv);
		}
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* ---- output ------------------------------------------------------------- */

static enum cli_color verdict_color(const struct lab_ctx *c)
{
	if (c->status != LAB_RAN)
		return c->status == LAB_ERROR ? C_RED : C_DIM;
	switch (c->verdict) {
	case LAB_V_HOLDS: return C_GREEN;
	case LAB_V_DIFF:  return C_YELLOW;
	case LAB_V_NOT:   return C_MAGENTA;
	default:          return C_RESET;
	}
}

static const char *status_text(const struct lab_ctx *c)
{
	if (c->status == LAB_CANNOT)
		return "cannot run";
	if (c->status == LAB_ERROR)
		return "error";
	return lab_verdict_name(c->verdict);
}

/* TEXT, word-wrapped at WIDTH columns, each line after the first indented. */
static void wrap(const char *text, int indent, int first_col, int width)
{
	const char *p = text;
	int col = first_col;

	while (*p) {
		const char *w = p;
		int n;

		while (*w == ' ')
			w++;
		n = strcspn(w, " ");
		if (col > indent && col + 1 + n > width) {
			printf("\n%*s", indent, "");
			col = indent;
		} else if (col > indent) {
			putchar(' ');
			col++;
		}
		printf("%.*s", n, w);
		col += n;
		p = w + n;
	}
	putchar('\n');
}

static void print_label(const char *label)
{
	printf("  %s%-10s%s", col(C_BOLD), label, col(C_RESET));
}

static void print_report(const struct lab_ctx *c, double secs)
{
	const struct lab *l = c->lab;
	size_t i, n;
	char id[8];

	snprintf(id, sizeof(id), "%s", l->id);
	id[0] = 'M';
	printf("\n%s== %s %s ==%s %s(%.1f s)%s\n", col(C_BOLD), id, l->name,
	       col(C_RESET), col(C_DIM), secs, col(C_RESET));
	print_label("claim");
	wrap(l->claim, 12, 12, 78);
	n = json_object_array_length(c->steps);
	for (i = 0; i < n; i++) {
		char num[24];

		print_label(i ? "" : "did");
		snprintf(num, sizeof(num), "%zu.", i + 1);
		printf("%-3s ", num);
		wrap(json_object_get_string(json_object_array_get_idx(c->steps, i)),
		     16, 16, 78);
	}
	n = json_object_array_length(c->notes);
	for (i = 0; i < n; i++) {
		print_label(i ? "" : "observed");
		printf("- ");
		wrap(json_object_get_string(json_object_array_get_idx(c->notes, i)),
		     14, 14, 78);
	}
	if (c->status != LAB_RAN) {
		print_label(c->status == LAB_CANNOT ? "cannot run" : "error");
		printf("%s", col(verdict_color(c)));
		wrap(c->reason, 12, 12, 78);
		printf("%s", col(C_RESET));
		return;
	}
	print_label("verdict");
	printf("%s%s%s\n", col(verdict_color(c)), status_text(c), col(C_RESET));
	if (c->explanation) {
		print_label("linux");
		wrap(c->explanation, 12, 12, 78);
	}
}

static json_object *result_json(const struct lab_ctx *c, double secs)
{
	json_object *o = json_object_new_object(), *al = json_object_new_array();
	const struct lab *l = c->lab;
	char *did = NULL;
	size_t i, n, len = 0;
	FILE *m;

	jset(o, "id", json_object_new_string(l->id));
	jset(o, "name", json_object_new_string(l->name));
	for (i = 0; l->aliases && l->aliases[i]; i++)
		json_object_array_add(al, json_object_new_string(l->aliases[i]));
	jset(o, "aliases", al);
	jset(o, "claim", json_object_new_string(l->claim));
	jset(o, "status", json_object_new_string(c->status == LAB_RAN ? "ran" : "cannot-run"));
	if (c->status != LAB_RAN) {
		jset(o, "reason", json_object_new_string(c->reason));
		jset(o, "error", json_object_new_boolean(c->status == LAB_ERROR));
	}
	m = open_memstream(&did, &len);
	n = json_object_array_length(c->steps);
	for (i = 0; m && i < n; i++)
		fprintf(m, "%s%zu. %s", i ? " " : "", i + 1,
			json_object_get_string(json_object_array_get_idx(c->steps, i)));
	if (m)
		fclose(m);
	jset(o, "did", json_object_new_string(did ? did : ""));
	free(did);
	jset(o, "steps", json_object_get(c->steps));
	json_object_object_add(c->observed, "notes", json_object_get(c->notes));
	jset(o, "observed", json_object_get(c->observed));
	jset(o, "verdict", c->status == LAB_RAN ?
	     json_object_new_string(lab_verdict_name(c->verdict)) : NULL);
	jset(o, "explanation", c->explanation ?
	     json_object_new_string(c->explanation) : NULL);
	jset(o, "summary", c->summary ? json_object_new_string(c->summary) : NULL);
	jset(o, "kernel", json_object_new_string(c->ver.kernel_release));
	jset(o, "paging_levels", json_object_new_int(c->ver.paging_levels));
	jset(o, "seconds", json_object_new_double(((int)(secs * 100)) / 100.0));
	return o;
}

struct row {
	const struct lab *lab;
	enum lab_status status;
	enum lab_verdict verdict;
	char text[160];
};

static void print_table(const struct row *rows, size_t n, const struct pts_version *v)
{
	size_t i;

	printf("\n%s== Verdicts: %s, %d-level paging ==%s\n", col(C_BOLD),
	       v->kernel_release, v->paging_levels, col(C_RESET));
	printf("%s%-4s %-20s %-24s %s%s\n", col(C_BOLD), "ID", "LAB", "VERDICT",
	       "KEY EVIDENCE", col(C_RESET));
	for (i = 0; i < n; i++) {
		struct lab_ctx fake = { .status = rows[i].status, .verdict = rows[i].verdict };

		printf("%-4s %-20s %s%-24s%s %s\n", rows[i].lab->id, rows[i].lab->name,
		       col(verdict_color(&fake)), status_text(&fake), col(C_RESET),
		       rows[i].text);
	}
}

/* ---- the command -------------------------------------------------------- */

static const struct lab *find_lab(const char *name)
{
	size_t i, j;

	for (i = 0; i < NR_LABS; i++) {
		const struct lab *l = all_labs[i];

		if (!strcasecmp(name, l->id) || !strcasecmp(name, l->name))
			return l;
		for (j = 0; l->aliases && l->aliases[j]; j++)
			if (!strcasecmp(name, l->aliases[j]))
				return l;
	}
	return NULL;
}

static void list_labs(void)
{
	size_t i, j;

	for (i = 0; i < NR_LABS; i++) {
		const struct lab *l = all_labs[i];

		if (cli.json) {
			json_object *o = json_object_new_object(), *a = json_object_new_array();

			jset(o, "id", json_object_new_string(l->id));
			jset(o, "name", json_object_new_string(l->name));
			for (j = 0; l->aliases && l->aliases[j]; j++)
				json_object_array_add(a, json_object_new_string(l->aliases[j]));
			jset(o, "aliases", a);
			jset(o, "claim", json_object_new_string(l->claim));
			cli_json_print(o, false);
			continue;
		}
		printf("%s%-4s %s%s", col(C_BOLD), l->id, l->name, col(C_RESET));
		for (j = 0; l->aliases && l->aliases[j]; j++)
			printf("%s%s", j ? ", " : " (also: ", l->aliases[j]);
		printf("%s\n     ", l->aliases && l->aliases[0] ? ")" : "");
		wrap(l->claim, 5, 5, 78);
	}
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void ctx_free(struct lab_ctx *c)
{
	json_object_put(c->steps);
	json_object_put(c->notes);
	json_object_put(c->observed);
	free(c->explanation);
	free(c->summary);
}

int cmd_lab(int argc, char **argv)
{
	enum { OPT_NO_SETUP = OPT_FIRST_LOCAL };
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		{ "verbose", no_argument, NULL, 'v' },
		{ "no-setup", no_argument, NULL, OPT_NO_SETUP },
		{ "list", no_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 }
	};
	const struct cli_cmd *cmd = &cli_cmd_lab;
	const struct lab *sel[NR_LABS];
	struct sigaction sa = { .sa_handler = on_fatal_signal }, old[4];
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	bool verbose = false, no_setup = false, list = false;
	struct row rows[NR_LABS];
	struct pts_version ver;
	size_t nsel = 0, i, j;
	void (*old_pipe)(int);
	int c, ret, rc = CLI_OK;

	while ((c = getopt_long(argc, argv, CLI_COMMON_SHORTOPTS "vl", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'v':
			verbose = true;
			break;
		case 'l':
			list = true;
			break;
		case OPT_NO_SETUP:
			no_setup = true;
			break;
		default:
			ret = cli_common_opt(c, optarg, cmd);
			if (ret >= 0)
				return ret;
		}
	}
	for (i = optind; i < (size_t)argc; i++) {
		const struct lab *l = NULL;
		size_t k, from = 0, to = 0;

		if (!strcasecmp(argv[i], "all")) {
			to = NR_LABS;
		} else {
			l = find_lab(argv[i]);
			if (!l)
				return cli_usage_err(cmd, "unknown lab '%s' (m1..m17 or a "
						     "name from 'ptscope lab --list')",
						     argv[i]);
		}
		for (k = from; k < (l ? 1 : to); k++) {
			const struct lab *x = l ? l : all_labs[k];

			for (j = 0; j < nsel && sel[j] != x; j++)
				;
			if (j == nsel)
				sel[nsel++] = x;
		}
	}
	if (list) {
		list_labs();
		return CLI_OK;
	}
	if (!nsel)
		for (j = 0; j < NR_LABS; j++)
			sel[nsel++] = all_labs[j];

	ret = pts_read_version(&ver);
	if (ret == -EPROTO || (!ret && ver.abi_version != PTSCOPE_ABI_VERSION)) {
		cli_err("the loaded module does not speak ABI %d: rebuild and reload",
			PTSCOPE_ABI_VERSION);
		return CLI_NOMODULE;
	}
	if (ret)
		return cli_fail(ret, 0, NULL);
	if (geteuid()) {
		cli_err("permission denied: the labs need root (ptscope sessions, "
			"clear_refs, swap and cgroup set-up)");
		return CLI_PERM;
	}

	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, &old[i]);
	old_pipe = signal(SIGPIPE, SIG_IGN);
	if (!cli.json)
		printf("%s# ptscope lab: %zu lab%s on %s, %d-level paging%s%s\n",
		       col(C_DIM), nsel, nsel == 1 ? "" : "s", ver.kernel_release,
		       ver.paging_levels, ver.pti ? ", PTI" : "", col(C_RESET));

	for (i = 0; i < nsel; i++) {
		struct lab_ctx ctx = {
			.lab = sel[i], .verbose = verbose, .no_setup = no_setup,
			.ver = ver,
		};
		double t0 = now(), secs;

		ctx.steps = json_object_new_array();
		ctx.notes = json_object_new_array();
		ctx.observed = json_object_new_object();
		if (!cli.json) {
			printf("%s# running %s (%s)...%s\n", col(C_DIM), sel[i]->id,
			       sel[i]->name, col(C_RESET));
			fflush(stdout);
		}
		ret = sel[i]->run(&ctx);
		if (ret && ctx.status != LAB_ERROR)
			lab_fail(&ctx, "the lab failed");
		if (ctx.status == LAB_RAN && ctx.verdict == LAB_V_NONE)
			lab_fail(&ctx, "the lab reached no verdict");
		remove_tmpfiles();
		lab_env_cgroup_remove();
		secs = now() - t0;
		if (ctx.status == LAB_ERROR)
			rc = CLI_ERR;
		rows[i].lab = sel[i];
		rows[i].status = ctx.status;
		rows[i].verdict = ctx.verdict;
		snprintf(rows[i].text, sizeof(rows[i].text), "%.159s",
			 ctx.status != LAB_RAN ? ctx.reason :
			 ctx.summary ? ctx.summary : "");
		if (cli.json) {
			cli_json_print(result_json(&ctx, secs), false);
			fflush(stdout);
		} else {
			print_report(&ctx, secs);
		}
		ctx_free(&ctx);
	}
	lab_env_restore();
	if (!cli.json)
		print_table(rows, nsel, &ver);
	signal(SIGPIPE, old_pipe);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &old[i], NULL);
	return rc;
}
