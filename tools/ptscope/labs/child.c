// SPDX-License-Identifier: GPL-2.0
/*
 * ptscope lab: the child process a lab drives, one step per command
 * read from a pipe (see lab.h).
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

