// SPDX-License-Identifier: GPL-2.0
/*
 * The access check of a request is bound to what is walked
 * (Documentation/security.rst, "Who may use it"):
 *
 *   tmpfs_over_proc       a tmpfs over /proc with a fake <pid>/pagemap
 *                         does not pass the check: EACCES
 *   bind_over_pid_dir     /proc/<other> bind-mounted over /proc/<target>:
 *   bind_over_pagemap     or its pagemap over the target's: EACCES, for
 *                         root too; the unmounted PIDs still work
 *   opener_ns_*           PIDs are read in the PID namespace of the
 *                         session's opener, whoever writes the request
 *   proc_of_child_ns      /proc of another PID namespace: the PID is
 *                         found in that procfs by its number there, and a
 *                         process not in it is refused (EACCES)
 *   fd_to_privileged      a file opened without CAP_SYS_PTRACE, written by
 *                         root: the opener's check still applies (EACCES
 *                         where the kernel refuses weak), for walks and
 *                         for "track"
 *   fd_to_privileged_self the same with root's request naming root
 *                         itself, whose own mm the kernel exempts from
 *                         the check: the opener's check still applies
 *   fd_to_unprivileged    a file opened by root, written by a process
 *                         without CAP_SYS_PTRACE: EACCES where the kernel
 *                         refuses it
 *   race.exec              a target that keeps running execve() into an
 *                         image the requester may not read: no walk ever
 *                         shows that image's address space (SKIP where
 *                         the kernel lets the requester read it anyway)
 *
 * With PTSCOPE_INTERFACE=device every session is a /dev/ptscope session
 * (tests/run-guest runs both): the device applies the same checks.
 *
 * "weak" below is uid WEAK_UID with CAP_SYS_ADMIN and CAP_DAC_OVERRIDE,
 * without CAP_SYS_PTRACE: it may read its own uid's dumpable processes,
 * and root's only where the kernel lets it open root's /proc/<pid>/pagemap.
 * ptscope grants exactly what the kernel's pagemap grants: on 6.1 and
 * 6.12 ptrace read access, which weak lacks on root's processes; 7.x
 * also lets CAP_SYS_ADMIN or CAP_PERFMON read any mm (mm_access()).  So
 * every verdict on weak and a root process is compared with the kernel's
 * own answer, kernel_allows(), asked with the same credentials.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>

#include "guest_harness.h"
#include "libptscope.h"

#define WEAK_UID	1000
#define PAGE		4096UL
/* Each process of a test maps one page at MARK(i), i > 0. */
#define MARK(i)		(0x7e0000000000UL + (unsigned long)(i) * 0x10000000UL)
#define REC_BUF		(8UL << 20)

/* ---- helpers ------------------------------------------------------------ */

/*
 * PTSCOPE_INTERFACE=device: every file is /dev/ptscope, and req() turns
 * the debugfs requests into the device's (the same checks must hold).
 */
static bool use_device(void)
{
	const char *i = getenv("PTSCOPE_INTERFACE");

	return i && !strcmp(i, "device");
}

static int open_file(const char *name)
{
	char path[256];

	if (use_device())
		return open(PTSCOPE_DEVICE, O_RDWR | O_CLOEXEC);
	snprintf(path, sizeof(path), "%s/%s", PTSCOPE_DEBUGFS_DIR, name);
	return open(path, O_RDWR | O_CLOEXEC);
}

static int req(int fd, const char *s)
{
	char line[PTSCOPE_REQ_MAX];
	struct stat st;
	ssize_t n;

	/* fds are passed between processes: ask the fd what it is */
	if (!fstat(fd, &st) && S_ISCHR(st.st_mode)) {
		if (!strncmp(s, "track ", 6) || !strncmp(s, "untrack ", 8))
			snprintf(line, sizeof(line), "op=%s", s);
		else
			snprintf(line, sizeof(line), "format=records %s", s);
		s = line;
	}
	n = write(fd, s, strlen(s));
	if (n < 0)
		return -errno;
	return (size_t)n == strlen(s) ? 0 : -EIO;
}

/* Read a whole answer: bytes read, or -errno if nothing could be read. */
static ssize_t drain(int fd, char *buf, size_t cap)
{
	size_t len = 0;

	while (len < cap) {
		ssize_t n = read(fd, buf + len, cap - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return len ? (ssize_t)len : -errno;
		if (n == 0)
			break;
		len += n;
	}
	return len;
}

/*
 * Translate MARK(@mark) of @pid through the binary file @fd: 1 if the
 * walked address space has the page (it is @mark's process), 0 if not,
 * -errno if the request or the read failed.  @comm receives the header's.
 */
static int has_mark(int fd, pid_t pid, int mark, char *comm)
{
	char line[96], buf[4096];
	const struct ptscope_header *h = (const void *)buf;
	size_t off;
	ssize_t len;
	int ret;

	snprintf(line, sizeof(line), "pid=%d va=0x%lx", pid, MARK(mark));
	ret = req(fd, line);
	if (ret)
		return ret;
	len = drain(fd, buf, sizeof(buf));
	if (len < 0)
		return len;
	if ((size_t)len < sizeof(*h) || h->hdr.type != PTSCOPE_REC_HEADER)
		return -EPROTO;
	if (comm)
		memcpy(comm, h->comm, 16);
	for (off = 0; off + sizeof(struct ptscope_rec_hdr) <= (size_t)len;) {
		const struct ptscope_rec_hdr *r = (const void *)(buf + off);

		if (!r->size)
			return -EPROTO;
		if (r->type == PTSCOPE_REC_XLATE)
			return ((const struct ptscope_xlate *)r)->stop == PTSCOPE_STOP_OK;
		off += r->size;
	}
	return -EPROTO;
}

/*
 * The kernel's own answer for the caller's credentials: 1 if it may open
 * /proc/@pid/pagemap (the real procfs), -EACCES if not.
 */
static int kernel_allows(pid_t pid)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		close(fd);
		return 1;
	}
	return errno == EACCES || errno == EPERM ? -EACCES : -errno;
}

static const char *verdict_str(int v)
{
	return v == 1 ? "walked" : v == 0 ? "another process" : strerror(-v);
}

/* Keep only CAP_SYS_ADMIN (and @extra, or -1), after switching to @uid. */
static int become(uid_t uid, int extra)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = {};

	if (prctl(PR_SET_KEEPCAPS, 1) || setresgid(uid, uid, uid) ||
	    setresuid(uid, uid, uid))
		return -errno;
	d[0].permitted = d[0].effective = 1U << CAP_SYS_ADMIN;
	if (extra >= 0) {
		d[extra / 32].permitted |= 1U << (extra % 32);
		d[extra / 32].effective |= 1U << (extra % 32);
	}
	if (syscall(SYS_capset, &h, d))
		return -errno;
	prctl(PR_SET_DUMPABLE, 1);
	return 0;
}

/*
 * CAP_DAC_OVERRIDE opens the debugfs files (root's, 0600, in a 0700
 * directory); it plays no part in the ptrace check.
 */
static int become_weak(void)
{
	return become(WEAK_UID, CAP_DAC_OVERRIDE);
}

/*
 * A process of @uid (0: root) with MARK(@mark), named @name, sleeping,
 * dumpable or not.
 */
static pid_t spawn_as(uid_t uid, int mark, const char *name, int dumpable)
{
	int p[2];
	char c;
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		char *m = mmap((void *)MARK(mark), PAGE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

		close(p[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (m != (void *)MARK(mark))
			_exit(1);
		*m = 1;
		prctl(PR_SET_NAME, name);
		if (uid && (setresgid(uid, uid, uid) || setresuid(uid, uid, uid)))
			_exit(1);
		prctl(PR_SET_DUMPABLE, dumpable);
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	if (pid < 0 || read(p[0], &c, 1) != 1) {
		close(p[0]);
		return -1;
	}
	close(p[0]);
	return pid;
}

static pid_t spawn(uid_t uid, int mark, const char *name)
{
	return spawn_as(uid, mark, name, 1);
}

static void reap(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
}

/* Results a child hands back: one value per step, -1000 unset. */
struct verdict {
	int v[16];
	char comm[4][16];
};

static struct verdict *verdict_new(void)
{
	struct verdict *v = mmap(NULL, sizeof(*v), PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int i;

	if (v == MAP_FAILED)
		return NULL;
	memset(v, 0, sizeof(*v));
	for (i = 0; i < 16; i++)
		v->v[i] = -1000;
	return v;
}

/* Run @fn in a child; its exit status (0 = it ran to the end). */
static int run_child(int (*fn)(struct verdict *v, pid_t *a), struct verdict *v,
		     pid_t *a)
{
	int st;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(fn(v, a));
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int send_fd(int sock, int fd)
{
	char c = 'f', cbuf[CMSG_SPACE(sizeof(int))] = {};
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

static int recv_fd(int sock)
{
	char c, cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, &msg, 0) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

static int private_mounts(void)
{
	if (unshare(CLONE_NEWNS))
		return -errno;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return -errno;
	return 0;
}

#define NEED_MODULE() do {						\
	if (access(use_device() ? PTSCOPE_DEVICE :			\
		   PTSCOPE_DEBUGFS_DIR "/records", F_OK))		\
		SKIP(return, "ptscope module not loaded");		\
} while (0)

/* ---- tmpfs over /proc --------------------------------------------------- */

/*
 * a[0]: root's process.  v[0] before, v[1] after the tmpfs is mounted
 * (1: walked; -errno); v[2]: the kernel's answer, before.
 */
static int fake_proc(struct verdict *v, pid_t *a)
{
	char path[64];
	int fd;

	fd = open_file("records");
	if (fd < 0 || private_mounts() || become_weak())
		return 1;
	v->v[0] = has_mark(fd, a[0], 1, NULL);
	v->v[2] = kernel_allows(a[0]);
	if (mount("none", "/proc", "tmpfs", 0, "mode=0755"))
		return 2;
	snprintf(path, sizeof(path), "/proc/%d", a[0]);
	if (mkdir(path, 0755))
		return 3;
	snprintf(path, sizeof(path), "/proc/%d/pagemap", a[0]);
	if (close(open(path, O_CREAT | O_WRONLY, 0644)))
		return 4;
	v->v[1] = has_mark(fd, a[0], 1, NULL);
	return 0;
}

TEST(tmpfs_over_proc)
{
	struct verdict *v = verdict_new();
	pid_t a[1];

	NEED_MODULE();
	ASSERT_NE(NULL, v);
	a[0] = spawn(0, 1, "ptsc-root");
	ASSERT_LT(0, a[0]);
	ASSERT_EQ(0, run_child(fake_proc, v, a));
	EXPECT_EQ(v->v[2], v->v[0])
		TH_LOG("root's process, real /proc: %s, the kernel's pagemap: %s",
		       verdict_str(v->v[0]), verdict_str(v->v[2]));
	EXPECT_EQ(-EACCES, v->v[1])
		TH_LOG("root's process, tmpfs over /proc with a fake pagemap: %s",
		       v->v[1] == 1 ? "walked" : strerror(-v->v[1]));
	reap(a[0]);
}

/* ---- bind mounts over /proc/<pid> -------------------------------------- */

/*
 * a[0]: root's process (MARK(1)), a[1]: weak's (MARK(2)).  Mount
 * /proc/a[1]@what over /proc/a[0]@what, then ask as weak and as root.
 */
static int bind_over(struct verdict *v, pid_t *a, const char *what)
{
	char src[64], dst[64];
	int fd;

	fd = open_file("records");
	if (fd < 0 || private_mounts())
		return 1;
	snprintf(src, sizeof(src), "/proc/%d%s", a[1], what);
	snprintf(dst, sizeof(dst), "/proc/%d%s", a[0], what);
	if (mount(src, dst, NULL, MS_BIND, NULL))
		return 2;
	v->v[0] = has_mark(fd, a[0], 1, NULL);		/* root */
	v->v[1] = has_mark(fd, a[1], 2, NULL);
	if (become_weak())
		return 3;
	v->v[2] = has_mark(fd, a[0], 1, NULL);		/* weak */
	v->v[3] = has_mark(fd, a[1], 2, NULL);
	close(fd);
	fd = open_file("records");			/* weak opener too */
	v->v[4] = has_mark(fd, a[0], 1, NULL);
	return 0;
}

static int bind_dir(struct verdict *v, pid_t *a)
{
	return bind_over(v, a, "");
}

static int bind_pagemap(struct verdict *v, pid_t *a)
{
	return bind_over(v, a, "/pagemap");
}

static void check_bind(struct __test_metadata *_metadata,
		       int (*fn)(struct verdict *v, pid_t *a))
{
	struct verdict *v = verdict_new();
	pid_t a[2];

	ASSERT_NE(NULL, v);
	a[0] = spawn(0, 1, "ptsc-root");
	a[1] = spawn(WEAK_UID, 2, "ptsc-weak");
	ASSERT_LT(0, a[0]);
	ASSERT_LT(0, a[1]);
	ASSERT_EQ(0, run_child(fn, v, a));
	EXPECT_EQ(-EACCES, v->v[0]) TH_LOG("root, covered target: %d", v->v[0]);
	EXPECT_EQ(1, v->v[1]) TH_LOG("root, the bind-mounted one: %d", v->v[1]);
	EXPECT_EQ(-EACCES, v->v[2])
		TH_LOG("weak, root's process under a bind mount of weak's: %s",
		       v->v[2] == 1 ? "walked root's process" : strerror(-v->v[2]));
	EXPECT_EQ(1, v->v[3]) TH_LOG("weak, its own process: %d", v->v[3]);
	EXPECT_EQ(-EACCES, v->v[4]) TH_LOG("weak opener and writer: %d", v->v[4]);
	reap(a[0]);
	reap(a[1]);
}

TEST(bind_over_pid_dir)
{
	NEED_MODULE();
	check_bind(_metadata, bind_dir);
}

TEST(bind_over_pagemap)
{
	NEED_MODULE();
	check_bind(_metadata, bind_pagemap);
}

/* ---- PID namespaces ----------------------------------------------------- */

/*
 * A new PID namespace whose init (MARK(3), "ptsc-nsinit", uid @uid)
 * optionally mounts its own procfs in a private mount namespace, then
 * sends a records file it opened over @sock and sleeps.  Returns the
 * helper that made the namespace; the init's global PID in *initp.
 */
static pid_t spawn_ns(int sock, uid_t uid, bool own_proc, pid_t *initp)
{
	int p[2];
	pid_t helper, init;

	if (pipe(p))
		return -1;
	helper = fork();
	if (helper == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (unshare(CLONE_NEWPID))
			_exit(1);
		init = fork();
		if (init == 0) {
			char *m = mmap((void *)MARK(3), PAGE, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
				       -1, 0);
			int fd = open_file("records");

			if (m != (void *)MARK(3) || fd < 0)
				_exit(1);
			*m = 1;
			prctl(PR_SET_NAME, "ptsc-nsinit");
			if (own_proc && (private_mounts() ||
					 mount("proc", "/proc", "proc", 0, NULL)))
				_exit(2);
			if (uid && (setresgid(uid, uid, uid) || setresuid(uid, uid, uid)))
				_exit(4);
			/*
			 * After the UID change, which clears the parent-death
			 * signal, and before the file is sent: the test kills
			 * the helper once it has the file, and this init must
			 * die with it.
			 */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			prctl(PR_SET_DUMPABLE, 1);
			if (send_fd(sock, fd))
				_exit(3);
			close(fd);
			for (;;)
				pause();
		}
		if (write(p[1], &init, sizeof(init)) != sizeof(init))
			_exit(1);
		waitpid(init, NULL, 0);
		_exit(0);
	}
	close(p[1]);
	/* The helper sees the init's global PID: fork() returns it there. */
	if (helper < 0 || read(p[0], initp, sizeof(*initp)) != sizeof(*initp)) {
		close(p[0]);
		return -1;
	}
	close(p[0]);
	return helper;
}

/*
 * Opener: the init of a child PID namespace; writer: us, in the initial
 * one.  "pid=1" is the namespace's init, not ours.
 */
TEST(opener_ns_child)
{
	char comm[16] = "";
	pid_t helper, init;
	int sv[2], fd, ret;

	NEED_MODULE();
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	helper = spawn_ns(sv[1], 0, false, &init);
	ASSERT_LT(0, helper);
	fd = recv_fd(sv[0]);
	ASSERT_LE(0, fd);
	ret = has_mark(fd, 1, 3, comm);
	EXPECT_EQ(1, ret) TH_LOG("pid=1 on a file opened in a child PID namespace: %s (%.16s)",
				 ret == 1 ? "its init" : ret == 0 ? "another process" :
				 strerror(-ret), comm);
	EXPECT_STREQ("ptsc-nsinit", comm);
	/* Its global PID means nothing there: the namespace has only PID 1. */
	ret = has_mark(fd, init, 3, NULL);
	EXPECT_EQ(-ESRCH, ret) TH_LOG("global PID %d read in the child namespace: %d",
				      init, ret);
	close(fd);
	reap(helper);
	close(sv[0]);
	close(sv[1]);
}

/* Opener: us, in the initial PID namespace; writer: in a child one. */
static int write_from_child_ns(struct verdict *v, pid_t *a)
{
	pid_t pid;
	int st;

	if (unshare(CLONE_NEWPID))
		return 1;
	pid = fork();
	if (pid == 0)
		_exit(has_mark(a[0], a[1], 1, v->comm[0]) == 1 ? 0 : 1);
	if (waitpid(pid, &st, 0) != pid)
		return 2;
	v->v[0] = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	return 0;
}

TEST(opener_ns_parent)
{
	struct verdict *v = verdict_new();
	pid_t a[2];

	NEED_MODULE();
	ASSERT_NE(NULL, v);
	a[0] = open_file("records");
	ASSERT_LE(0, a[0]);
	a[1] = spawn(0, 1, "ptsc-target");
	ASSERT_LT(0, a[1]);
	ASSERT_EQ(0, run_child(write_from_child_ns, v, a));
	EXPECT_EQ(0, v->v[0])
		TH_LOG("our PID %d, written from a child namespace: not ours (%.16s)",
		       a[1], v->comm[0]);
	EXPECT_STREQ("ptsc-target", v->comm[0]);
	reap(a[1]);
	close(a[0]);
}

/*
 * Our /proc is the procfs of a child PID namespace (setns() into its
 * mount namespace).  a[0]: the namespace's init, uid WEAK_UID; a[1]: root's
 * process in the initial namespace (MARK(1)).
 */
static int proc_of_child(struct verdict *v, pid_t *a)
{
	char path[64];
	int fd, ns;

	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", a[0]);
	ns = open(path, O_RDONLY);
	fd = open_file("records");
	if (ns < 0 || fd < 0)
		return 1;
	/* setns() leaves us at that namespace's root, not in its chroot. */
	snprintf(path, sizeof(path), "/proc/%d/root", a[0]);
	if (setns(ns, CLONE_NEWNS) || chroot(path) || chdir("/"))
		return 2;
	/* Our numbers: a[0] is 1 in that procfs; our 1 is not in it. */
	v->v[0] = has_mark(fd, a[0], 3, v->comm[0]);
	v->v[1] = has_mark(fd, a[1], 1, NULL);
	if (become_weak())
		return 3;
	v->v[2] = has_mark(fd, a[0], 3, NULL);
	v->v[3] = has_mark(fd, 1, 3, v->comm[1]);
	return 0;
}

TEST(proc_of_child_ns)
{
	struct verdict *v = verdict_new();
	pid_t helper, a[2];
	int sv[2], fd;

	NEED_MODULE();
	ASSERT_NE(NULL, v);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	helper = spawn_ns(sv[1], WEAK_UID, true, &a[0]);
	ASSERT_LT(0, helper);
	fd = recv_fd(sv[0]);
	ASSERT_LE(0, fd);
	close(fd);
	a[1] = spawn(0, 1, "ptsc-root");
	ASSERT_LT(0, a[1]);
	ASSERT_EQ(0, run_child(proc_of_child, v, a));
	EXPECT_EQ(1, v->v[0]) TH_LOG("root, the namespace's init by our PID %d: %s (%.16s)",
				     a[0], v->v[0] == 0 ? "another process" :
				     strerror(-v->v[0]), v->comm[0]);
	EXPECT_EQ(-EACCES, v->v[1])
		TH_LOG("root, a process not in that procfs: %d", v->v[1]);
	EXPECT_EQ(1, v->v[2]) TH_LOG("weak, the init (its uid) by our PID: %d", v->v[2]);
	EXPECT_EQ(-EACCES, v->v[3])
		TH_LOG("weak, pid=1 (our init, root's): %s (%.16s)",
		       v->v[3] >= 0 ? "walked" : strerror(-v->v[3]), v->comm[1]);
	reap(a[1]);
	reap(helper);
	close(sv[0]);
	close(sv[1]);
}

/* ---- descriptors passed between privilege levels ------------------------- */

/*
 * Weak opens records and faults, hands them over (socket a[0]), waits to
 * be killed; v[0]: the kernel's answer to weak for a[1].
 */
static int weak_opener(struct verdict *v, pid_t *a)
{
	int fd, fd2;

	if (become_weak())
		return 1;
	v->v[0] = kernel_allows(a[1]);
	fd = open_file("records");
	fd2 = open_file("faults");
	if (fd < 0 || fd2 < 0 || send_fd(a[0], fd) || send_fd(a[0], fd2))
		return 2;
	pause();
	return 0;
}

TEST(fd_to_privileged)
{
	struct verdict *v = verdict_new();
	pid_t child, root, weak, a[2];
	int sv[2], fd, ffd, ret;
	char line[64];

	NEED_MODULE();
	ASSERT_NE(NULL, v);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	root = spawn(0, 1, "ptsc-root");
	weak = spawn(WEAK_UID, 2, "ptsc-weak");
	ASSERT_LT(0, root);
	ASSERT_LT(0, weak);
	a[0] = sv[1];
	a[1] = root;
	child = fork();
	ASSERT_LE(0, child);
	if (child == 0)
		_exit(weak_opener(v, a));
	fd = recv_fd(sv[0]);
	ffd = recv_fd(sv[0]);
	ASSERT_LE(0, fd);
	ASSERT_LE(0, ffd);
	/* We (root) write on the weak opener's file. */
	ret = has_mark(fd, root, 1, NULL);
	EXPECT_EQ(v->v[0], ret)
		TH_LOG("root's process on weak's file: %s, the kernel's pagemap to weak: %s",
		       verdict_str(ret), verdict_str(v->v[0]));
	ret = has_mark(fd, weak, 2, NULL);
	EXPECT_EQ(1, ret) TH_LOG("weak's process on weak's file: %d", ret);
	snprintf(line, sizeof(line), "track pid=%d", root);
	ret = req(ffd, line);
	if (ret != -EOPNOTSUPP) {
		EXPECT_EQ(v->v[0] == 1 ? 0 : v->v[0], ret)
			TH_LOG("track of root's process on weak's file: %s",
			       ret ? strerror(-ret) : "tracked");
		if (!ret) {
			snprintf(line, sizeof(line), "untrack pid=%d", root);
			req(ffd, line);
		}
	}
	close(fd);
	close(ffd);
	reap(child);
	reap(root);
	reap(weak);
	close(sv[0]);
	close(sv[1]);
}

/*
 * The same, with root's request naming root itself: the kernel exempts a
 * caller's own mm from the ptrace check (mm_access()), which must not
 * exempt the weak opener.
 */
TEST(fd_to_privileged_self)
{
	struct verdict *v = verdict_new();
	pid_t child, a[2];
	int sv[2], fd, ffd, ret;
	char line[64], *m;

	NEED_MODULE();
	ASSERT_NE(NULL, v);
	m = mmap((void *)MARK(3), PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	ASSERT_EQ((void *)MARK(3), m);
	*m = 1;
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	a[0] = sv[1];
	a[1] = getpid();
	child = fork();
	ASSERT_LE(0, child);
	if (child == 0)
		_exit(weak_opener(v, a));
	fd = recv_fd(sv[0]);
	ffd = recv_fd(sv[0]);
	ASSERT_LE(0, fd);
	ASSERT_LE(0, ffd);
	ret = has_mark(fd, getpid(), 3, NULL);
	EXPECT_EQ(v->v[0], ret)
		TH_LOG("root itself on weak's file: %s, the kernel's pagemap to weak: %s",
		       verdict_str(ret), verdict_str(v->v[0]));
	snprintf(line, sizeof(line), "track pid=%d", getpid());
	ret = req(ffd, line);
	if (ret != -EOPNOTSUPP) {
		EXPECT_EQ(v->v[0] == 1 ? 0 : v->v[0], ret)
			TH_LOG("track of root itself on weak's file: %s",
			       ret ? strerror(-ret) : "tracked");
		if (!ret) {
			snprintf(line, sizeof(line), "untrack pid=%d", getpid());
			req(ffd, line);
		}
	}
	/* Root's own file still walks root itself. */
	close(fd);
	fd = open_file("records");
	ASSERT_LE(0, fd);
	EXPECT_EQ(1, has_mark(fd, getpid(), 3, NULL));
	close(fd);
	close(ffd);
	reap(child);
	close(sv[0]);
	close(sv[1]);
	munmap(m, PAGE);
}

/* a[0]: a records file root opened; a[1]: root's process, a[2]: weak's. */
static int weak_writer(struct verdict *v, pid_t *a)
{
	if (become_weak())
		return 1;
	v->v[0] = has_mark(a[0], a[1], 1, NULL);
	v->v[1] = has_mark(a[0], a[2], 2, NULL);
	v->v[2] = kernel_allows(a[1]);
	return 0;
}

TEST(fd_to_unprivileged)
{
	struct verdict *v = verdict_new();
	pid_t a[3];

	NEED_MODULE();
	ASSERT_NE(NULL, v);
	a[0] = open_file("records");
	ASSERT_LE(0, a[0]);
	a[1] = spawn(0, 1, "ptsc-root");
	a[2] = spawn(WEAK_UID, 2, "ptsc-weak");
	ASSERT_LT(0, a[1]);
	ASSERT_LT(0, a[2]);
	ASSERT_EQ(0, run_child(weak_writer, v, a));
	EXPECT_EQ(v->v[2], v->v[0])
		TH_LOG("weak writer on root's file: %s, the kernel's pagemap to weak: %s",
		       verdict_str(v->v[0]), verdict_str(v->v[2]));
	EXPECT_EQ(1, v->v[1]) TH_LOG("weak writer, its own uid's process: %d", v->v[1]);
	reap(a[1]);
	reap(a[2]);
	close(a[0]);
}

/* ---- the exec race ----------------------------------------------------- */

/*
 * The target alternates between two images of this program: "open"
 * (readable by WEAK_UID) and "closed" (a copy of mode 0711 owned by root:
 * executing it makes the address space non-dumpable, so weak may not read
 * it).  "closed" always starts with BIG_ARGS bytes of environment on its
 * stack, present from the moment its mm exists; "open" with almost none.
 * A walk showing a private anonymous or stack VMA with half that many
 * present pages has walked a "closed" address space.
 */
#define BIG_STRS	3
#define BIG_STR		(120 * 1024)
#define BIG_PAGES	(BIG_STRS * BIG_STR / PAGE)
#define EXEC_CYCLES	80	/* default of PTSCOPE_ACCESS_EXEC_CYCLES */

static int exec_cycles(void)
{
	const char *env = getenv("PTSCOPE_ACCESS_EXEC_CYCLES");

	return env && atoi(env) > 0 ? atoi(env) : EXEC_CYCLES;
}

static int exec_loop(char **argv)
{
	static char *big[BIG_STRS + 1];
	char *open_img = argv[2], *closed_img = argv[3];
	long left = atol(argv[4]);
	char count[24];
	char *nargv[] = { argv[0], argv[1], open_img, closed_img, count, NULL };
	char *small[] = { NULL };
	bool closed = !strcmp(argv[5] ? argv[5] : "", "closed");
	int i;

	if (left <= 0)
		return 0;
	snprintf(count, sizeof(count), "%ld", closed ? left - 1 : left);
	if (closed) {
		nargv[0] = open_img;
		execve(open_img, nargv, small);
		return 1;
	}
	for (i = 0; i < BIG_STRS; i++) {
		/* Shared: not counted as this image's anonymous memory. */
		big[i] = mmap(NULL, BIG_STR, PROT_READ | PROT_WRITE,
			      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (big[i] == MAP_FAILED)
			return 1;
		memset(big[i], 'a' + i, BIG_STR - 1);
		big[i][0] = 'X';
		big[i][1] = '=';
		big[i][BIG_STR - 1] = '\0';
	}
	{
		char *cargv[] = { closed_img, argv[1], open_img, closed_img,
				  count, "closed", NULL };

		execve(closed_img, cargv, big);
	}
	return 1;
}

struct race {
	volatile int done;
	long walks, refused, leaks, errors;
	int first, last_err;
	long max_pages;
};

/*
 * Largest count of present pages in one private anonymous VMA or stack of
 * a walk (a new mm's stack is an anonymous VMA until the ELF loader has
 * set start_stack).
 */
static long max_anon_pages(const char *buf, size_t len)
{
	long cur = 0, max = 0;
	bool file = true;
	size_t off;

	for (off = 0; off + sizeof(struct ptscope_rec_hdr) <= len;) {
		const struct ptscope_rec_hdr *r = (const void *)(buf + off);

		if (!r->size)
			break;
		if (r->type == PTSCOPE_REC_VMA) {
			const struct ptscope_vma *vma = (const void *)r;

			cur = 0;
			file = vma->backing != PTSCOPE_BACK_ANON &&
			       vma->backing != PTSCOPE_BACK_STACK;
		} else if (r->type == PTSCOPE_REC_LEAF && !file) {
			const struct ptscope_leaf *l = (const void *)r;

			if (l->flags & PTSCOPE_F_PRESENT)
				cur += l->count << (9 * l->level);
			if (cur > max)
				max = cur;
		}
		off += r->size;
	}
	return max;
}

static void pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void requester(struct race *r, pid_t target, int go)
{
	char line[32], *buf = malloc(REC_BUF);
	int fd = open_file("records");

	pin_cpu(0);
	if (!buf || fd < 0 || become_weak())
		_exit(1);
	snprintf(line, sizeof(line), "pid=%d", target);
	/* Before the target starts exec'ing: it is readable. */
	r->first = req(fd, line);
	if (write(go, "g", 1) != 1)
		_exit(1);
	while (!r->done) {
		ssize_t len;
		long pages;
		int ret = req(fd, line);

		if (ret) {
			if (ret == -EACCES || ret == -ESRCH || ret == -EAGAIN)
				r->refused++;
			else
				r->errors++, r->last_err = ret;
			continue;
		}
		len = drain(fd, buf, REC_BUF);
		if (len < 0) {
			if (len != -ESRCH)
				r->errors++, r->last_err = len;
			continue;
		}
		r->walks++;
		pages = max_anon_pages(buf, len);
		if (pages > r->max_pages)
			r->max_pages = pages;
		if (pages >= (long)(BIG_PAGES / 2))
			r->leaks++;
	}
	_exit(0);
}

/*
 * Does the kernel let weak open the pagemap of a non-dumpable process of
 * weak's uid (as an image weak may not read makes it)?  a[0]: that
 * process; v[0]: the answer.
 */
static int weak_reads_nondumpable(struct verdict *v, pid_t *a)
{
	if (become_weak())
		return 1;
	v->v[0] = kernel_allows(a[0]);
	return 0;
}

static pid_t spawn_nondumpable(void)
{
	return spawn_as(WEAK_UID, 4, "ptsc-nodump", 0);
}

FIXTURE(race) {};
FIXTURE_SETUP(race) {}
FIXTURE_TEARDOWN(race) {}

TEST_F_TIMEOUT(race, exec, 420)
{
	char dir[] = "/tmp/ptsc-access-XXXXXX", closed[64], exe[4096];
	struct race *r = mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE,
			      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int go[2], ready[2], in, out, st;
	pid_t target, req_pid;
	ssize_t n;

	NEED_MODULE();
	ASSERT_NE(MAP_FAILED, r);
	{
		struct verdict *v = verdict_new();
		pid_t a[1] = { spawn_nondumpable() };

		ASSERT_NE(NULL, v);
		ASSERT_LT(0, a[0]);
		ASSERT_EQ(0, run_child(weak_reads_nondumpable, v, a));
		reap(a[0]);
		if (v->v[0] == 1)
			SKIP(return, "the kernel's pagemap lets CAP_SYS_ADMIN read a non-dumpable process (mm_access(): perfmon_capable()): no image is closed to a ptscope user here");
		ASSERT_EQ(-EACCES, v->v[0]);
	}
	memset(r, 0, sizeof(*r));
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	ASSERT_LT(0, n);
	exe[n] = '\0';
	ASSERT_NE(NULL, mkdtemp(dir));
	ASSERT_EQ(0, chmod(dir, 0711));
	snprintf(closed, sizeof(closed), "%s/closed", dir);
	in = open(exe, O_RDONLY);
	out = open(closed, O_CREAT | O_WRONLY, 0711);
	ASSERT_LE(0, in);
	ASSERT_LE(0, out);
	{
		static char cbuf[65536];

		while ((n = read(in, cbuf, sizeof(cbuf))) > 0)
			ASSERT_EQ(n, write(out, cbuf, n));
	}
	close(in);
	ASSERT_EQ(0, close(out));
	ASSERT_EQ(0, chmod(closed, 0711));
	ASSERT_EQ(0, access(exe, R_OK));

	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(ready));
	target = fork();
	ASSERT_LE(0, target);
	if (target == 0) {
		char count[24], c;
		char *argv[] = { exe, "--exec-loop", exe, closed, count, NULL };
		char *env[] = { NULL };

		snprintf(count, sizeof(count), "%d", exec_cycles());
		close(go[1]);
		close(ready[0]);
		pin_cpu(1);
		if (setresgid(WEAK_UID, WEAK_UID, WEAK_UID) ||
		    setresuid(WEAK_UID, WEAK_UID, WEAK_UID))
			_exit(1);
		prctl(PR_SET_DUMPABLE, 1);
		if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(1);
		execve(exe, argv, env);
		_exit(1);
	}
	close(go[0]);
	close(ready[1]);
	{
		char c;

		ASSERT_EQ(1, read(ready[0], &c, 1));
	}
	close(ready[0]);
	req_pid = fork();
	ASSERT_LE(0, req_pid);
	if (req_pid == 0)
		requester(r, target, go[1]);
	close(go[1]);
	ASSERT_EQ(target, waitpid(target, &st, 0));
	r->done = 1;
	ASSERT_EQ(req_pid, waitpid(req_pid, NULL, 0));
	unlink(closed);
	rmdir(dir);
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0)
		TH_LOG("exec loop status 0x%x", st);
	EXPECT_EQ(0, r->first) TH_LOG("first request, target readable: %d", r->first);
	TH_LOG("%d execve() cycles: %ld walks, %ld refused, %ld of a closed image, largest anonymous VMA %ld pages (closed: >= %lu)",
	       exec_cycles(), r->walks, r->refused, r->leaks, r->max_pages, BIG_PAGES);
	EXPECT_EQ(0, r->errors) TH_LOG("unexpected errors, last %s", strerror(-r->last_err));
	EXPECT_EQ(0, r->leaks);
}

/*
 * The harness stops a test after 30 s; a cycle (two execve()) takes up to
 * 0.7 s under TCG on a busy machine: allow for PTSCOPE_ACCESS_EXEC_CYCLES.
 */
static void __attribute__((constructor(KSELFTEST_PRIO_TEST + 1))) race_timeout(void)
{
	_race_exec_object->timeout = 120 + exec_cycles();
}

int main(int argc, char **argv)
{
	if (argc >= 5 && !strcmp(argv[1], "--exec-loop"))
		return exec_loop(argv);
	return test_harness_run(argc, argv);
}
