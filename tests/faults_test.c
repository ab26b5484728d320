// SPDX-License-Identifier: GPL-2.0
/*
 * Fault counters against the kernel's own minflt/majflt.
 *
 * A child runs one workload per command and blocks on a pipe between
 * commands, so it makes no fault while the parent reads its counters and
 * /proc/PID/stat.  Over each workload the module's minor and major counts
 * must equal the growth of the child's minflt and majflt.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest_harness.h"
#include "libptscope.h"
#include "pagemap_lib.h"

#define NPAGES	256
#define PAGE	4096UL

struct counters {
	long long v[PTSCOPE_NR_FAULT_COUNTERS];
	long long missed;		/* the file's global "missed=N" line */
	int found;			/* lines for the pid */
	char state[24];
};

static const char *const counter_names[] = {
#define NAME(id, str) [PTSCOPE_FC_##id] = str,
	PTSCOPE_FAULT_COUNTERS(NAME)
#undef NAME
};

static int faults_ctl(const char *fmt, pid_t pid)
{
	char path[512], line[64];
	int fd, n, ret = 0;

	snprintf(path, sizeof(path), "%s/faults", pts_dir());
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	n = snprintf(line, sizeof(line), fmt, pid);
	if (write(fd, line, n) != n)
		ret = -errno;
	close(fd);
	return ret;
}

/* Parse the faults file's line for PID. */
static void read_counters(pid_t pid, struct counters *c)
{
	char path[512], line[4096];
	FILE *f;

	memset(c, 0, sizeof(*c));
	snprintf(path, sizeof(path), "%s/faults", pts_dir());
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *tok, *save = NULL;
		int p = -1;

		if (!strncmp(line, "missed=", 7)) {
			c->missed = atoll(line + 7);
			continue;
		}

		for (tok = strtok_r(line, " \n", &save); tok;
		     tok = strtok_r(NULL, " \n", &save)) {
			char *eq = strchr(tok, '=');
			int i;

			if (!eq)
				continue;
			*eq++ = '\0';
			if (!strcmp(tok, "pid"))
				p = atoi(eq);
			if (p != pid)
				continue;
			if (!strcmp(tok, "pid"))
				c->found++;
			if (!strcmp(tok, "state"))
				snprintf(c->state, sizeof(c->state), "%s", eq);
			for (i = 0; i < PTSCOPE_NR_FAULT_COUNTERS; i++)
				if (!strcmp(tok, counter_names[i]))
					c->v[i] = atoll(eq);
		}
	}
	fclose(f);
}

/* The child: one workload per command byte, then an acknowledgement. */
static void child_loop(int in, int out, const char *file)
{
	char *anon = NULL, *ro = NULL, *cow = NULL;
	volatile char sink;
	struct stat st;
	char cmd;
	size_t i;
	int fd;

	if (write(out, "r", 1) != 1)
		_exit(1);
	while (read(in, &cmd, 1) == 1) {
		switch (cmd) {
		case 'a':	/* write fresh anonymous pages */
			anon = mmap(NULL, NPAGES * PAGE, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			madvise(anon, NPAGES * PAGE, MADV_NOHUGEPAGE);
			for (i = 0; i < NPAGES; i++)
				anon[i * PAGE] = 1;
			break;
		case 'r':	/* read, then write, untouched memory */
			ro = mmap(NULL, NPAGES * PAGE, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			madvise(ro, NPAGES * PAGE, MADV_NOHUGEPAGE);
			for (i = 0; i < NPAGES; i++)
				sink = ro[i * PAGE];
			for (i = 0; i < NPAGES; i++)
				ro[i * PAGE] = 2;
			break;
		case 'f':	/* read a file that is not in the page cache */
			fd = open(file, O_RDONLY);
			if (fd < 0 || fstat(fd, &st))
				_exit(2);
			posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
			cow = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
			for (i = 0; i < (size_t)st.st_size; i += PAGE)
				sink = cow[i];
			close(fd);
			break;
		case 'k':	/* kernel touching user memory: read() into it */
			fd = open("/proc/self/maps", O_RDONLY);
			anon = mmap(NULL, 16 * PAGE, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (fd < 0 || read(fd, anon, 16 * PAGE) < 0)
				_exit(3);
			close(fd);
			break;
		default:
			_exit(0);
		}
		(void)sink;
		if (write(out, "d", 1) != 1)
			_exit(1);
	}
	_exit(0);
}

FIXTURE(faults) {
	pid_t child;
	int to, from, child_in;
	char file[256];
};

FIXTURE_SETUP(faults)
{
	int a[2], b[2];
	char c;

	/* A file on the guest's disk-backed lower layer (9p), not tmpfs. */
	snprintf(self->file, sizeof(self->file), "/usr/bin/bash");
	ASSERT_EQ(0, pipe(a));
	ASSERT_EQ(0, pipe(b));
	self->child = fork();
	ASSERT_GE(self->child, 0);
	if (!self->child) {
		close(a[1]);
		close(b[0]);
		child_loop(a[0], b[1], self->file);
	}
	self->child_in = a[0];
	close(a[0]);
	close(b[1]);
	self->to = a[1];
	self->from = b[0];
	ASSERT_EQ(1, read(self->from, &c, 1));
	ASSERT_EQ(0, faults_ctl("track pid=%d\n", self->child));
}

FIXTURE_TEARDOWN(faults)
{
	faults_ctl("untrack pid=%d\n", self->child);
	kill(self->child, SIGKILL);
	waitpid(self->child, NULL, 0);
	close(self->to);
	close(self->from);
}

/* Run workload CMD in the child; check the counters' invariants. */
static void run_workload(struct __test_metadata *_metadata,
			 FIXTURE_DATA(faults) *self, char cmd,
			 struct counters *d)
{
	long long min0, maj0, min1, maj1;
	struct counters c0, c1;
	int i;
	char c;

	/*
	 * Counters are read while the child waits in read() for a command:
	 * between its reply and that read() it may still fault, and a fault
	 * between two reads below would be in one counter, not the other.
	 */
	ASSERT_EQ(0, pml_wait_blocked_read(self->child, self->child_in, 60000));
	pts_proc_faults(self->child, &min0, &maj0);
	read_counters(self->child, &c0);
	ASSERT_TRUE(c0.found);
	ASSERT_EQ(1, write(self->to, &cmd, 1));
	ASSERT_EQ(1, read(self->from, &c, 1));
	ASSERT_EQ(0, pml_wait_blocked_read(self->child, self->child_in, 60000));
	pts_proc_faults(self->child, &min1, &maj1);
	read_counters(self->child, &c1);
	ASSERT_TRUE(c1.found);
	EXPECT_STREQ("alive", c1.state);
	for (i = 0; i < PTSCOPE_NR_FAULT_COUNTERS; i++)
		d->v[i] = c1.v[i] - c0.v[i];

	/* The kernel's own accounting. */
	EXPECT_EQ(min1 - min0, d->v[PTSCOPE_FC_MINOR]);
	EXPECT_EQ(maj1 - maj0, d->v[PTSCOPE_FC_MAJOR]);
	EXPECT_EQ(c0.missed, c1.missed);
	/* Each split of "faults" adds up. */
	EXPECT_EQ(d->v[PTSCOPE_FC_FAULTS], d->v[PTSCOPE_FC_MINOR] +
		  d->v[PTSCOPE_FC_MAJOR] + d->v[PTSCOPE_FC_ERROR]);
	EXPECT_EQ(d->v[PTSCOPE_FC_FAULTS], d->v[PTSCOPE_FC_READ] +
		  d->v[PTSCOPE_FC_WRITE] + d->v[PTSCOPE_FC_EXEC]);
	EXPECT_EQ(d->v[PTSCOPE_FC_FAULTS], d->v[PTSCOPE_FC_NOT_PRESENT] +
		  d->v[PTSCOPE_FC_PROTECTION] + d->v[PTSCOPE_FC_NO_CAUSE]);
	EXPECT_EQ(d->v[PTSCOPE_FC_FAULTS], d->v[PTSCOPE_FC_USER] +
		  d->v[PTSCOPE_FC_KERNEL] + d->v[PTSCOPE_FC_GUP]);
	EXPECT_EQ(d->v[PTSCOPE_FC_FAULTS], d->v[PTSCOPE_FC_VMA_ANON] +
		  d->v[PTSCOPE_FC_VMA_FILE] + d->v[PTSCOPE_FC_VMA_SHMEM] +
		  d->v[PTSCOPE_FC_VMA_STACK] + d->v[PTSCOPE_FC_VMA_HUGETLB] +
		  d->v[PTSCOPE_FC_VMA_OTHER]);
	EXPECT_EQ(d->v[PTSCOPE_FC_EXCEPTIONS], d->v[PTSCOPE_FC_EXC_USER] +
		  d->v[PTSCOPE_FC_EXC_KERNEL]);
	/* Every handled fault here came from an exception. */
	EXPECT_GE(d->v[PTSCOPE_FC_EXCEPTIONS], d->v[PTSCOPE_FC_FAULTS]);
}

TEST_F(faults, fresh_anonymous_writes)
{
	struct counters d;

	run_workload(_metadata, self, 'a', &d);
	/* One write fault per fresh page, at least. */
	EXPECT_GE(d.v[PTSCOPE_FC_WRITE], NPAGES);
	EXPECT_GE(d.v[PTSCOPE_FC_VMA_ANON], NPAGES);
	EXPECT_GE(d.v[PTSCOPE_FC_NOT_PRESENT], NPAGES);
}

TEST_F(faults, read_then_write)
{
	struct counters d;

	run_workload(_metadata, self, 'r', &d);
	/* Reads map the zero page (not present), writes then break it (protection). */
	EXPECT_GE(d.v[PTSCOPE_FC_READ], NPAGES);
	EXPECT_GE(d.v[PTSCOPE_FC_WRITE], NPAGES);
	EXPECT_GE(d.v[PTSCOPE_FC_PROTECTION], NPAGES);
	EXPECT_GE(d.v[PTSCOPE_FC_NOT_PRESENT], NPAGES);
}

TEST_F(faults, file_read_major_and_retried)
{
	struct counters d;

	/* Drop clean page cache so the file really has to be read. */
	system("sync; echo 1 > /proc/sys/vm/drop_caches");
	run_workload(_metadata, self, 'f', &d);
	EXPECT_GT(d.v[PTSCOPE_FC_VMA_FILE], 0);
	if (d.v[PTSCOPE_FC_MAJOR] == 0)
		TH_LOG("no major fault: the file stayed cached");
	EXPECT_GT(d.v[PTSCOPE_FC_MAJOR], 0);
	/* A retried fault is counted once, when it completes. */
	EXPECT_LE(d.v[PTSCOPE_FC_MAJOR], d.v[PTSCOPE_FC_FAULTS]);
}

TEST_F(faults, kernel_touching_user_memory)
{
	struct counters d;

	run_workload(_metadata, self, 'k', &d);
	EXPECT_GT(d.v[PTSCOPE_FC_KERNEL], 0);
	EXPECT_GT(d.v[PTSCOPE_FC_EXC_KERNEL], 0);
}

TEST(track_errors)
{
	pid_t zombie;

	EXPECT_EQ(-ESRCH, faults_ctl("track pid=%d\n", 4000000));
	EXPECT_EQ(-ENXIO, faults_ctl("track pid=%d\n", 2));
	EXPECT_EQ(-EINVAL, faults_ctl("track pid=%d extra\n", 1));
	EXPECT_EQ(-EINVAL, faults_ctl("follow pid=%d\n", 1));
	EXPECT_EQ(-EINVAL, faults_ctl("track pid=-%d\n", 1));
	EXPECT_EQ(-ENOENT, faults_ctl("untrack pid=%d\n", getpid()));
	ASSERT_EQ(0, faults_ctl("track pid=%d\n", getpid()));
	EXPECT_EQ(-EEXIST, faults_ctl("track pid=%d\n", getpid()));
	EXPECT_EQ(0, faults_ctl("untrack pid=%d\n", getpid()));

	zombie = fork();
	ASSERT_GE(zombie, 0);
	if (!zombie)
		_exit(0);
	usleep(200000);
	EXPECT_EQ(-ESRCH, faults_ctl("track pid=%d\n", zombie));
	waitpid(zombie, NULL, 0);
}

/* A tracked process that exits is reported once as exited, then dropped. */
TEST(exit_drops_process)
{
	struct counters c;
	int p[2];
	pid_t child;
	char x;

	ASSERT_EQ(0, pipe(p));
	child = fork();
	ASSERT_GE(child, 0);
	if (!child) {
		char *m;

		close(p[1]);
		if (read(p[0], &x, 1) < 0)
			_exit(1);
		m = mmap(NULL, 64 * PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		memset(m, 1, 64 * PAGE);
		_exit(0);
	}
	close(p[0]);
	ASSERT_EQ(0, faults_ctl("track pid=%d\n", child));
	ASSERT_EQ(1, write(p[1], "g", 1));
	waitpid(child, NULL, 0);
	read_counters(child, &c);
	ASSERT_TRUE(c.found);
	EXPECT_STREQ("exited", c.state);
	EXPECT_GE(c.v[PTSCOPE_FC_WRITE], 64);
	read_counters(child, &c);
	EXPECT_FALSE(c.found);
	close(p[1]);
}

/* Fork a child that sleeps until killed; its pid. */
static pid_t sleeper(void)
{
	pid_t p = fork();

	if (!p) {
		for (;;)
			pause();
	}
	return p;
}

/*
 * A process that exits is reported once with its final counts even when
 * the file is longer than one read buffer (the old code reaped it while
 * building a first, too small, copy of the file, then rebuilt it).
 */
TEST(exit_reported_in_long_file)
{
	enum { N = 30 };
	pid_t kids[N];
	struct counters c;
	int i;

	for (i = 0; i < N; i++) {
		kids[i] = sleeper();
		ASSERT_GT(kids[i], 0);
		ASSERT_EQ(0, faults_ctl("track pid=%d\n", kids[i]));
	}
	kill(kids[N / 2], SIGKILL);
	waitpid(kids[N / 2], NULL, 0);
	read_counters(kids[N / 2], &c);
	EXPECT_EQ(1, c.found);
	EXPECT_STREQ("exited", c.state);
	read_counters(kids[N / 2], &c);
	EXPECT_EQ(0, c.found);
	/* Everyone else is still there, once. */
	read_counters(kids[N - 1], &c);
	EXPECT_EQ(1, c.found);
	for (i = 0; i < N; i++) {
		if (i == N / 2)
			continue;
		EXPECT_EQ(0, faults_ctl("untrack pid=%d\n", kids[i]));
		kill(kids[i], SIGKILL);
		waitpid(kids[i], NULL, 0);
	}
}

/* "missed" is global: one line of its own, on no process's line. */
TEST(missed_is_global)
{
	char path[512], line[4096];
	pid_t a = sleeper(), b = sleeper();
	int first = 1, lines = 0;
	FILE *f;

	ASSERT_EQ(0, faults_ctl("track pid=%d\n", a));
	ASSERT_EQ(0, faults_ctl("track pid=%d\n", b));
	snprintf(path, sizeof(path), "%s/faults", pts_dir());
	f = fopen(path, "re");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		if (first) {
			EXPECT_EQ(0, strncmp(line, "missed=", 7)) {
				TH_LOG("first line: %s", line);
			}
		} else {
			EXPECT_EQ(NULL, strstr(line, " missed=")) {
				TH_LOG("per-process missed: %s", line);
			}
		}
		first = 0;
		lines++;
	}
	fclose(f);
	EXPECT_GE(lines, 3);
	faults_ctl("untrack pid=%d\n", a);
	faults_ctl("untrack pid=%d\n", b);
	kill(a, SIGKILL);
	kill(b, SIGKILL);
	waitpid(a, NULL, 0);
	waitpid(b, NULL, 0);
}

static void *thread_report(void *arg)
{
	int fd = *(int *)arg;
	pid_t tid = syscall(SYS_gettid);

	if (write(fd, &tid, sizeof(tid)) != sizeof(tid))
		_exit(1);
	for (;;)
		pause();
	return NULL;
}

/* A thread ID untracks its process, as it tracks it. */
TEST(untrack_by_thread_id)
{
	struct counters c;
	int p[2];
	pid_t child, tid = 0;

	ASSERT_EQ(0, pipe(p));
	child = fork();
	ASSERT_GE(child, 0);
	if (!child) {
		pthread_t th;

		if (pthread_create(&th, NULL, thread_report, &p[1]))
			_exit(1);
		for (;;)
			pause();
	}
	ASSERT_EQ(sizeof(tid), read(p[0], &tid, sizeof(tid)));
	ASSERT_NE(child, tid);
	ASSERT_EQ(0, faults_ctl("track pid=%d\n", child));
	EXPECT_EQ(0, faults_ctl("untrack pid=%d\n", tid));
	read_counters(child, &c);
	EXPECT_EQ(0, c.found);
	/* And the other way round. */
	ASSERT_EQ(0, faults_ctl("track pid=%d\n", tid));
	read_counters(child, &c);
	EXPECT_EQ(1, c.found);
	EXPECT_EQ(0, faults_ctl("untrack pid=%d\n", child));
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	close(p[0]);
	close(p[1]);
}

/* A process that has exited and been reaped can still be untracked. */
TEST(untrack_reaped)
{
	struct counters c;
	pid_t child = sleeper();

	ASSERT_GT(child, 0);
	ASSERT_EQ(0, faults_ctl("track pid=%d\n", child));
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	EXPECT_EQ(0, faults_ctl("untrack pid=%d\n", child));
	read_counters(child, &c);
	EXPECT_EQ(0, c.found);
	EXPECT_EQ(-ENOENT, faults_ctl("untrack pid=%d\n", getpid()));
	EXPECT_EQ(-ESRCH, faults_ctl("untrack pid=%d\n", 4000000));
}

/*
 * The setuid program of suid_exec: in the new image, before the harness,
 * touch 64 fresh pages, report the effective UID on fd 100, wait on fd 101.
 */
#define ENV_SUID	"PTSCOPE_FAULTS_SUID"

static void __attribute__((constructor)) suid_main(void)
{
	uid_t euid = geteuid();
	char *m, x;

	if (!getenv(ENV_SUID))
		return;
	m = mmap(NULL, 64 * PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		_exit(1);
	madvise(m, 64 * PAGE, MADV_NOHUGEPAGE);
	memset(m, 1, 64 * PAGE);
	if (write(100, &euid, sizeof(euid)) != sizeof(euid))
		_exit(1);
	if (read(101, &x, 1) < 0)
		_exit(1);
	_exit(0);
}

/*
 * An exec that raises privileges ends the counting: the process is shown
 * once more, state=exec-privileged, with its counts up to the exec, then
 * dropped; its faults after the exec are not counted.
 */
TEST(suid_exec_stops_counting)
{
	char prog[] = "/tmp/ptscope-suid-XXXXXX", self[4096], cmd[8300];
	long long min0, maj0, min1, maj1;
	struct counters c0, c1;
	int up[2], down[2], fd;
	uid_t euid = -1;
	pid_t child;
	ssize_t n;
	char x;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	ASSERT_GT(n, 0);
	self[n] = '\0';
	fd = mkstemp(prog);
	ASSERT_GE(fd, 0);
	close(fd);
	snprintf(cmd, sizeof(cmd), "cp '%s' %s && chown 0:0 %s && chmod 4755 %s",
		 self, prog, prog, prog);
	ASSERT_EQ(0, system(cmd));
	ASSERT_EQ(0, pipe(up));
	ASSERT_EQ(0, pipe(down));
	child = fork();
	ASSERT_GE(child, 0);
	if (!child) {
		char *argv[] = { prog, NULL };

		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(1);
		dup2(up[1], 100);
		dup2(down[0], 101);
		/* Ready; wait for "go"; then exec the setuid copy. */
		if (write(100, "r", 1) != 1 || read(101, &x, 1) != 1)
			_exit(1);
		setenv(ENV_SUID, "1", 1);
		execv(prog, argv);
		_exit(127);
	}
	close(up[1]);
	close(down[0]);
	ASSERT_EQ(1, read(up[0], &x, 1));
	ASSERT_EQ(0, faults_ctl("track pid=%d\n", child));
	pts_proc_faults(child, &min0, &maj0);
	read_counters(child, &c0);
	ASSERT_EQ(1, c0.found);
	EXPECT_STREQ("alive", c0.state);
	ASSERT_EQ(1, write(down[1], "g", 1));
	/* The new image has touched its pages and is blocked. */
	ASSERT_EQ(sizeof(euid), read(up[0], &euid, sizeof(euid)));
	pts_proc_faults(child, &min1, &maj1);
	read_counters(child, &c1);
	ASSERT_EQ(1, write(down[1], "q", 1));
	waitpid(child, NULL, 0);
	unlink(prog);
	if (euid != 0)
		SKIP(return, "the setuid bit was not honoured (euid %d): nosuid /tmp?",
		     (int)euid);
	EXPECT_EQ(1, c1.found);
	EXPECT_STREQ("exec-privileged", c1.state);
	/*
	 * The kernel counted the exec and the 64 pages the new image wrote
	 * (and more: its loading); the module only what came before.
	 */
	EXPECT_LE(c1.v[PTSCOPE_FC_MINOR] - c0.v[PTSCOPE_FC_MINOR] +
		  c1.v[PTSCOPE_FC_MAJOR] - c0.v[PTSCOPE_FC_MAJOR] + 64,
		  min1 - min0 + maj1 - maj0);
	read_counters(child, &c1);
	EXPECT_EQ(0, c1.found);
}

/*
 * An exec of a program its user may execute but not read makes the
 * process non-dumpable: a tracker without CAP_SYS_PTRACE could no longer
 * read it (pagemap: EACCES), so the counting ends there as for a setuid
 * exec, although no privilege is gained (no AT_SECURE).
 */
TEST(unreadable_exec_stops_counting)
{
	char prog[] = "/tmp/ptscope-xonly-XXXXXX", self[4096], cmd[8300];
	struct counters c0, c1;
	int up[2], down[2], fd;
	uid_t euid = -1;
	pid_t child;
	ssize_t n;
	char x;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	ASSERT_GT(n, 0);
	self[n] = '\0';
	fd = mkstemp(prog);
	ASSERT_GE(fd, 0);
	close(fd);
	snprintf(cmd, sizeof(cmd), "cp '%s' %s && chown 0:0 %s && chmod 0711 %s",
		 self, prog, prog, prog);
	ASSERT_EQ(0, system(cmd));
	ASSERT_EQ(0, pipe(up));
	ASSERT_EQ(0, pipe(down));
	child = fork();
	ASSERT_GE(child, 0);
	if (!child) {
		char *argv[] = { prog, NULL };

		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(1);
		prctl(PR_SET_DUMPABLE, 1);
		dup2(up[1], 100);
		dup2(down[0], 101);
		if (write(100, "r", 1) != 1 || read(101, &x, 1) != 1)
			_exit(1);
		setenv(ENV_SUID, "1", 1);
		execv(prog, argv);
		_exit(127);
	}
	close(up[1]);
	close(down[0]);
	ASSERT_EQ(1, read(up[0], &x, 1));
	ASSERT_EQ(0, faults_ctl("track pid=%d\n", child));
	read_counters(child, &c0);
	ASSERT_EQ(1, c0.found);
	EXPECT_STREQ("alive", c0.state);
	ASSERT_EQ(1, write(down[1], "g", 1));
	ASSERT_EQ(sizeof(euid), read(up[0], &euid, sizeof(euid)));
	read_counters(child, &c1);
	ASSERT_EQ(1, write(down[1], "q", 1));
	waitpid(child, NULL, 0);
	unlink(prog);
	EXPECT_EQ(65534, euid);
	EXPECT_EQ(1, c1.found);
	EXPECT_STREQ("exec-privileged", c1.state) {
		faults_ctl("untrack pid=%d\n", child);
	}
	/* No more than the counts up to the exec: not its 64 pages. */
	EXPECT_GT(c0.v[PTSCOPE_FC_FAULTS] + 64, c1.v[PTSCOPE_FC_FAULTS]);
}

TEST_HARNESS_MAIN
