// SPDX-License-Identifier: GPL-2.0
/*
 * Unloading the module under load: refused cleanly while a file is open,
 * clean while processes are tracked, and many load/unload cycles while
 * readers hammer the files.  The module is loaded again at the end (the
 * guest runner unloads it itself and checks that this works).
 *
 * PTSCOPE_UNLOAD_CYCLES sets the number of cycles (default 20).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "guest_harness.h"
#include "libptscope.h"

static char ko_path[512];

static int load(void)
{
	int fd = open(ko_path, O_RDONLY | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, "", 0);
	ret = ret ? -errno : 0;
	close(fd);
	return ret;
}

static int unload(void)
{
	return syscall(SYS_delete_module, "ptscope", O_NONBLOCK) ? -errno : 0;
}

static int loaded(void)
{
	struct pts_version v;

	return pts_read_version(&v) == 0;
}

static void find_ko(void)
{
	struct utsname u;

	uname(&u);
	snprintf(ko_path, sizeof(ko_path), "build/%s/ptscope.ko", u.release);
}

FIXTURE(unload) {
	int dummy;
};

FIXTURE_SETUP(unload)
{
	find_ko();
	if (access(ko_path, R_OK))
		SKIP(return, "%s not found (run from the source tree)", ko_path);
	ASSERT_TRUE(loaded());
}

FIXTURE_TEARDOWN(unload)
{
	if (!loaded())
		load();
}

TEST_F(unload, refused_while_a_file_is_open)
{
	char path[512], req[64];
	int fd, n;

	snprintf(path, sizeof(path), "%s/records", pts_dir());
	fd = open(path, O_RDWR);
	ASSERT_GE(fd, 0);
	n = snprintf(req, sizeof(req), "pid=%d", getpid());
	ASSERT_EQ(n, write(fd, req, n));
	/* delete_module(O_NONBLOCK) on a module in use: EWOULDBLOCK. */
	EXPECT_EQ(-EWOULDBLOCK, unload());
	EXPECT_TRUE(loaded());
	close(fd);
	ASSERT_EQ(0, unload());
	EXPECT_FALSE(loaded());
	ASSERT_EQ(0, load());
	EXPECT_TRUE(loaded());
}

TEST_F(unload, clean_while_tracking)
{
	struct pts_faults f;
	char *m;

	ASSERT_EQ(0, pts_faults_ctl("track", getpid()));
	m = malloc(1 << 20);
	ASSERT_NE(NULL, m);
	memset(m, 1, 1 << 20);
	ASSERT_EQ(0, pts_faults_read(getpid(), &f));
	EXPECT_GT(f.count[PTSCOPE_FC_FAULTS], 0);
	/* No file open: unloading unregisters the hooks and frees all. */
	ASSERT_EQ(0, unload());
	memset(m, 2, 1 << 20);
	free(m);
	ASSERT_EQ(0, load());
	/* A fresh module knows nothing of the old tracking. */
	EXPECT_EQ(-ENOENT, pts_faults_read(getpid(), &f));
}

static volatile int stop_readers;

static void *reader(void *arg)
{
	long done = 0;
	char path[512], buf[4096], req[64];
	int n = snprintf(req, sizeof(req), "pid=%d", getpid());

	(void)arg;
	snprintf(path, sizeof(path), "%s/walk", pts_dir());
	while (!stop_readers) {
		int fd = open(path, O_RDWR);

		if (fd < 0) {
			usleep(100);
			continue;
		}
		if (write(fd, req, n) == n)
			while (read(fd, buf, sizeof(buf)) > 0)
				;
		close(fd);
		done++;
	}
	return (void *)done;
}

TEST_F_TIMEOUT(unload, cycles_with_readers, 300)
{
	const char *env = getenv("PTSCOPE_UNLOAD_CYCLES");
	int cycles = env ? atoi(env) : 20, i, busy = 0;
	pthread_t th[2];
	long reads = 0;
	void *r;

	stop_readers = 0;
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&th[i], NULL, reader, NULL));
	for (i = 0; i < cycles; i++) {
		int ret, tries = 0;

		/* Open files pin the module: retry until none is open. */
		while ((ret = unload()) == -EWOULDBLOCK && tries++ < 100000) {
			busy++;
			usleep(50);
		}
		ASSERT_EQ(0, ret);
		ASSERT_EQ(0, load());
	}
	stop_readers = 1;
	for (i = 0; i < 2; i++) {
		pthread_join(th[i], &r);
		reads += (long)r;
	}
	EXPECT_TRUE(loaded());
	TH_LOG("%d load/unload cycles, %d refused while busy, %ld walks by readers",
	       cycles, busy, reads);
}

/*
 * The harness stops a test after 30 s; a cycle takes 1-3 s under TCG on a
 * busy machine: allow for PTSCOPE_UNLOAD_CYCLES.
 */
static void __attribute__((constructor(KSELFTEST_PRIO_TEST + 1))) unload_timeout(void)
{
	const char *env = getenv("PTSCOPE_UNLOAD_CYCLES");

	_unload_cycles_with_readers_object->timeout = 100 + 10 * (env ? atoi(env) : 20);
}

TEST_HARNESS_MAIN
