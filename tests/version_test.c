// SPDX-License-Identifier: GPL-2.0
/*
 * The module's version file agrees with what the guest itself says:
 * uname, the paging mode (probed with a high mmap hint), the page size,
 * and whether page-table isolation is on.  /dev/ptscope answers the same,
 * and its faults operations act as the faults file's.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest_harness.h"
#include "libptscope.h"
#include "pagemap_lib.h"

/* 5-level paging is the only way a hint above 47 bits can be honoured. */
static int probe_paging_levels(void)
{
	void *hint = (void *)(1UL << 50);
	void *p = mmap(hint, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int levels;

	if (p == MAP_FAILED)
		return -1;
	levels = (unsigned long)p >= (1UL << 47) ? 5 : 4;
	munmap(p, 4096);
	return levels;
}

TEST(version_file)
{
	struct pts_version v;
	struct utsname u;
	int pti;

	ASSERT_EQ(0, pts_read_version(&v));
	ASSERT_EQ(0, uname(&u));
	EXPECT_STREQ(u.release, v.kernel_release);
	EXPECT_EQ(PTSCOPE_ABI_VERSION, v.abi_version);
	EXPECT_EQ(probe_paging_levels(), v.paging_levels);
	EXPECT_EQ(sysconf(_SC_PAGESIZE), v.page_size);
	EXPECT_NE(0, strlen(v.module_version));
	/* the CPU flag, not the Meltdown status: pti=on forces it anyway */
	pti = pml_pti_enabled();
	if (pti >= 0)
		EXPECT_EQ(pti, v.pti);
}

TEST(version_file_is_root_only)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/version", pts_dir());
	ASSERT_EQ(0, stat(path, &st));
	EXPECT_EQ(0400, st.st_mode & 0777);
	EXPECT_EQ(0, st.st_uid);
}

/* Send LINE on a new /dev/ptscope session, read the answer into BUF. */
static int device_answer(const char *line, char *buf, size_t cap)
{
	int fd = open(PTSCOPE_DEVICE, O_RDWR | O_CLOEXEC);
	size_t len = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	if (write(fd, line, strlen(line)) != (ssize_t)strlen(line)) {
		n = -errno;
		close(fd);
		return n;
	}
	while (len < cap - 1 && (n = read(fd, buf + len, cap - 1 - len)) > 0)
		len += n;
	buf[len] = '\0';
	close(fd);
	return n < 0 ? -errno : (int)len;
}

static int file_text(const char *name, char *buf, size_t cap)
{
	char path[512];
	size_t len;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", PTSCOPE_DEBUGFS_DIR, name);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	len = fread(buf, 1, cap - 1, f);
	buf[len] = '\0';
	fclose(f);
	return len;
}

/*
 * /dev/ptscope: a root-only (0600) character device whose op=version and
 * op=faults answer what the debugfs files of those names say, and whose
 * op=track/untrack act as the faults file's commands.
 */
TEST(device_node)
{
	static char a[65536], b[65536];
	char line[64], mine[32];
	struct stat st;

	if (access(PTSCOPE_DEBUGFS_DIR "/version", F_OK))
		SKIP(return, "ptscope module not loaded");
	ASSERT_EQ(0, stat(PTSCOPE_DEVICE, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0600, st.st_mode & 0777);
	EXPECT_EQ(0, st.st_uid);

	ASSERT_LT(0, device_answer("op=version", a, sizeof(a)));
	ASSERT_LT(0, file_text("version", b, sizeof(b)));
	EXPECT_STREQ(b, a);
	EXPECT_NE(NULL, strstr(a, "\ndevice 1\n")) TH_LOG("%s", a);

	snprintf(line, sizeof(line), "op=track pid=%d", getpid());
	snprintf(mine, sizeof(mine), "\npid=%d comm=", getpid());
	ASSERT_EQ(0, device_answer(line, a, sizeof(a)));
	ASSERT_LT(0, device_answer("op=faults", a, sizeof(a)));
	EXPECT_EQ(0, strncmp(a, "missed=", 7)) TH_LOG("%s", a);
	EXPECT_NE(NULL, strstr(a, mine)) TH_LOG("%s", a);
	ASSERT_LT(0, file_text("faults", b, sizeof(b)));
	EXPECT_NE(NULL, strstr(b, mine)) TH_LOG("%s", b);
	snprintf(line, sizeof(line), "op=untrack pid=%d", getpid());
	ASSERT_EQ(0, device_answer(line, a, sizeof(a)));
	ASSERT_LT(0, device_answer("op=faults", a, sizeof(a)));
	EXPECT_EQ(NULL, strstr(a, mine)) TH_LOG("%s", a);
	EXPECT_EQ(-ENOENT, device_answer(line, a, sizeof(a)));
}

/*
 * CAP_SYS_ADMIN is checked at open and at each request
 * (Documentation/interface.rst, "The device"): a session opened by root
 * and passed to a process without it answers nothing, version and faults
 * included (the faults answer also drops the exited processes it reports).
 */
TEST(device_ops_need_cap_sys_admin_per_request)
{
	static const char *const ops[] = {
		"op=version", "op=faults", "op=untrack pid=1",
	};
	unsigned int i;
	int fd, status;
	pid_t child;

	if (access(PTSCOPE_DEVICE, F_OK))
		SKIP(return, "no /dev/ptscope");
	fd = open(PTSCOPE_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		struct __user_cap_header_struct h = {
			.version = _LINUX_CAPABILITY_VERSION_3,
		};
		struct __user_cap_data_struct d[2] = {};
		int bad = 0;

		if (syscall(SYS_capset, &h, d))
			_exit(100);
		for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
			errno = 0;
			if (write(fd, ops[i], strlen(ops[i])) >= 0 ||
			    errno != EPERM)
				bad |= 1 << i;
		}
		_exit(bad);
	}
	ASSERT_EQ(child, waitpid(child, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_NE(100, WEXITSTATUS(status));
	EXPECT_EQ(0, WEXITSTATUS(status) & 1)
		TH_LOG("op=version without CAP_SYS_ADMIN did not fail with EPERM");
	EXPECT_EQ(0, WEXITSTATUS(status) & 2)
		TH_LOG("op=faults without CAP_SYS_ADMIN did not fail with EPERM");
	EXPECT_EQ(0, WEXITSTATUS(status) & 4)
		TH_LOG("op=untrack without CAP_SYS_ADMIN did not fail with EPERM");
	close(fd);
}

struct blocked_io {
	int fd;
	void *buf;
	const char *line;
	ssize_t ret;
	int err;
	pid_t tid;
};

static void *reader(void *arg)
{
	struct blocked_io *io = arg;

	io->ret = read(io->fd, io->buf, 4096);
	io->err = errno;
	return NULL;
}

static void *writer(void *arg)
{
	struct blocked_io *io = arg;

	io->tid = gettid();
	io->ret = write(io->fd, io->line, strlen(io->line));
	io->err = errno;
	return NULL;
}

static void on_usr1(int sig)
{
	(void)sig;
}

/* Is thread TID asleep in write(2)? */
static int asleep_in_write(pid_t tid)
{
	char path[64], buf[256], *p;
	int fd, n;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	p = strrchr(buf, ')');
	if (!p || p[2] != 'S')
		return 0;
	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", tid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return atoi(buf) == SYS_write;
}

/*
 * A request that fails changes nothing, whichever way it fails: an
 * "op=track" write interrupted (EINTR) while another thread's read holds
 * the session leaves the process untracked.  The read is held inside the
 * module deterministically: it copies its answer into a page registered
 * with userfaultfd and waits there, with the session's lock, until the
 * page is filled.
 */
TEST(device_track_interrupted_changes_nothing)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = {};
	struct uffdio_zeropage zero = {};
	struct blocked_io rd = {}, wr = {};
	struct sigaction sa = { .sa_handler = on_usr1 };
	struct uffd_msg msg;
	static char text[65536];
	char line[64], mine[32];
	pthread_t rt, wt;
	pid_t child;
	int uffd, fd;
	void *page;

	if (access(PTSCOPE_DEVICE, F_OK))
		SKIP(return, "no /dev/ptscope");
	uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
	if (uffd < 0)
		SKIP(return, "userfaultfd: %s", strerror(errno));
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_API, &api));
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, page);
	reg.range.start = (unsigned long)page;
	reg.range.len = 4096;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_REGISTER, &reg));
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));	/* no SA_RESTART */

	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		pause();
		_exit(0);
	}
	snprintf(line, sizeof(line), "op=track pid=%d", child);
	snprintf(mine, sizeof(mine), "\npid=%d comm=", child);

	fd = open(PTSCOPE_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(10, write(fd, "op=version", 10));
	rd.fd = fd;
	rd.buf = page;
	ASSERT_EQ(0, pthread_create(&rt, NULL, reader, &rd));
	/* The reader faults on the page inside the module's read(). */
	ASSERT_EQ((ssize_t)sizeof(msg), read(uffd, &msg, sizeof(msg)));
	ASSERT_EQ(UFFD_EVENT_PAGEFAULT, msg.event);

	wr.fd = fd;
	wr.line = line;
	ASSERT_EQ(0, pthread_create(&wt, NULL, writer, &wr));
	while (!wr.tid || !asleep_in_write(wr.tid))
		usleep(1000);
	pthread_kill(wt, SIGUSR1);
	pthread_join(wt, NULL);
	EXPECT_EQ(-1, wr.ret);
	EXPECT_EQ(EINTR, wr.err);

	ASSERT_LT(0, device_answer("op=faults", text, sizeof(text)));
	EXPECT_EQ(NULL, strstr(text, mine))
		TH_LOG("failed with %s, yet tracked: %s", strerror(wr.err), text);

	/* Let the reader go: it reads the version, the session works on. */
	zero.range.start = (unsigned long)page;
	zero.range.len = 4096;
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_ZEROPAGE, &zero));
	pthread_join(rt, NULL);
	EXPECT_LT(0, rd.ret);
	EXPECT_EQ(0, strncmp(page, "module_version", 14));
	snprintf(text, sizeof(text), "op=untrack pid=%d", child);
	device_answer(text, text, sizeof(text));
	EXPECT_EQ((ssize_t)strlen(line), write(fd, line, strlen(line)));
	snprintf(line, sizeof(line), "op=untrack pid=%d", child);
	EXPECT_EQ((ssize_t)strlen(line), write(fd, line, strlen(line)));
	close(fd);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	close(uffd);
	munmap(page, 4096);
}

TEST_HARNESS_MAIN
