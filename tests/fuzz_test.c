// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz the module's writable files with random and hostile requests.
 * Every input must be accepted or rejected with a documented errno, the
 * same open file must answer a good request correctly afterwards, and the
 * kernel log must stay clean (the guest runner checks that).
 *
 * PTSCOPE_FUZZ_INPUTS sets the number of inputs (default 5000).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "libptscope.h"

static const char *const keys[] = {
	"pid=", "va=", "range=", "op=", "coalesce", "pid", "=", "track", "untrack",
};
static const char *const values[] = {
	"0", "1", "-1", "0x", "0x0", "0xffffffffffffffff", "18446744073709551616",
	"0x7ffffffff000", "0x800000000000", "0x00fffffffffff000", "4194304",
	"4194305", "010", "1e3", "walk", "translate", "ptcost", "bogus",
	"0x1000-0x0", "0x0-0x1000", "0x1000-0x1000", "0-0xffffffffffffffff",
	"0x10000-0x20000", "--", " ", "\t", "\n",
};

static int fuzz_inputs(void)
{
	const char *env = getenv("PTSCOPE_FUZZ_INPUTS");

	return env ? atoi(env) : 5000;
}

/* A request line: mostly key=value soup, sometimes raw bytes. */
static size_t make_input(char *buf, size_t cap, pid_t self)
{
	size_t n = 0;
	int parts, i;

	if (rand() % 3 == 0) {	/* a valid request, random bounds */
		unsigned long a = (unsigned long)rand() << 12, b = a + ((unsigned long)rand() << 8);

		switch (rand() % 4) {
		case 0: return snprintf(buf, cap, "pid=%d", self);
		case 1: return snprintf(buf, cap, "pid=%d range=0x%lx-0x%lx coalesce", self, a, b);
		case 2: return snprintf(buf, cap, "pid=%d va=0x%lx", self, a);
		default: return snprintf(buf, cap, "pid=%d op=ptcost", self);
		}
	}
	if (rand() % 8 == 0) {
		n = rand() % cap;
		for (i = 0; i < (int)n; i++)
			buf[i] = rand() % 256;
		return n;
	}
	parts = 1 + rand() % 5;
	for (i = 0; i < parts && n < cap - 64; i++) {
		const char *k = keys[rand() % (sizeof(keys) / sizeof(keys[0]))];
		const char *v = values[rand() % (sizeof(values) / sizeof(values[0]))];

		if (rand() % 3 == 0)
			n += snprintf(buf + n, cap - n, "pid=%d ", rand() % 2 ? self : rand());
		else
			n += snprintf(buf + n, cap - n, "%s%s ", k, v);
	}
	if (rand() % 10 == 0)	/* sometimes far too long */
		while (n < cap - 1)
			buf[n++] = 'a';
	return n;
}

static int documented(int err)
{
	switch (err) {
	case EINVAL: case ERANGE: case ESRCH: case ENXIO: case EACCES:
	case EPERM: case EEXIST: case ENOENT: case ENOSPC:
		return 1;
	}
	return 0;
}

/* A good request on FD answers with a well-formed header for SELF. */
static int check_alive(int fd, pid_t self)
{
	struct ptscope_header h;
	char req[64];
	int n = snprintf(req, sizeof(req), "pid=%d range=0x0-0x1000", self);

	if (write(fd, req, n) != n)
		return -errno;
	if (read(fd, &h, sizeof(h)) != sizeof(h))
		return -EIO;
	return h.magic == PTSCOPE_MAGIC && h.pid == (__u32)self &&
	       h.op == PTSCOPE_OP_WALK ? 0 : -EPROTO;
}

TEST(random_requests)
{
	static const char *const files[] = { "records", "walk", "translate",
					     "ptcost", "faults" };
	int total = fuzz_inputs(), accepted = 0, rejected = 0, i;
	char path[512], buf[1024], out[4096];
	pid_t self = getpid();
	int fds[5], good;

	srand(getenv("PTSCOPE_FUZZ_SEED") ? atoi(getenv("PTSCOPE_FUZZ_SEED")) : self);
	for (i = 0; i < 5; i++) {
		snprintf(path, sizeof(path), "%s/%s", pts_dir(), files[i]);
		fds[i] = open(path, O_RDWR);
		ASSERT_GE(fds[i], 0);
	}
	for (i = 0; i < total; i++) {
		int f = rand() % 5;
		size_t len = make_input(buf, rand() % 2 ? 300 : sizeof(buf), self);
		ssize_t r = write(fds[f], buf, len);

		if (r >= 0) {
			accepted++;
			/* Drain some of the answer with an odd read size. */
			if (f < 4)
				while (read(fds[f], out, 1 + rand() % sizeof(out)) > 0)
					if (rand() % 4 == 0)
						break;
			if (f == 4)
				pts_faults_ctl("untrack", self);
			continue;
		}
		rejected++;
		if (!documented(errno))
			TH_LOG("input %d to %s: undocumented errno %d", i, files[f], errno);
		ASSERT_TRUE(documented(errno));
		/* Bad input changes nothing: the session still works. */
		if (f == 0 && rand() % 16 == 0) {
			good = check_alive(fds[0], self);
			ASSERT_EQ(0, good);
		}
	}
	ASSERT_EQ(0, check_alive(fds[0], self));
	pts_faults_ctl("untrack", self);
	for (i = 0; i < 5; i++)
		close(fds[i]);
	TH_LOG("%d inputs: %d accepted, %d rejected", total, accepted, rejected);
}

/*
 * Reads of any size return the same byte stream: walk a child that holds
 * still (blocked on a pipe) over its own anonymous region, through the
 * text and binary views, with read sizes from 1 byte to 1 MiB.
 */
TEST(read_sizes_give_one_stream)
{
	static const size_t sizes[] = { 1, 7, 63, 64, 65, 4096, 65536, 1 << 20 };
	static const char *const files[] = { "walk", "records" };
	size_t region = 16 << 20, reflen = 0, s;
	char *ref, *got, req[128], path[512];
	int p[2], f, fd;
	char *mem;
	pid_t child;

	mem = mmap(NULL, region, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	madvise(mem, region, MADV_NOHUGEPAGE);
	for (s = 0; s < region; s += 4096)
		mem[s] = 1;
	ASSERT_EQ(0, pipe(p));
	child = fork();
	ASSERT_GE(child, 0);
	if (!child) {
		char c;

		close(p[1]);
		_exit(read(p[0], &c, 1) < 0);
	}
	close(p[0]);
	ref = malloc(8 << 20);
	got = malloc(8 << 20);
	ASSERT_NE(NULL, ref);
	ASSERT_NE(NULL, got);
	snprintf(req, sizeof(req), "pid=%d range=%p-%p", child, mem, mem + region);
	for (f = 0; f < 2; f++) {
		for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			size_t len = 0;
			ssize_t r;

			snprintf(path, sizeof(path), "%s/%s", pts_dir(), files[f]);
			fd = open(path, O_RDWR);
			ASSERT_GE(fd, 0);
			ASSERT_EQ((ssize_t)strlen(req), write(fd, req, strlen(req)));
			while ((r = read(fd, got + len, sizes[s])) > 0)
				len += r;
			ASSERT_EQ(0, r);
			close(fd);
			if (s == 0) {
				memcpy(ref, got, len);
				reflen = len;
				/* 4096 leaves: several 64 KiB chunks */
				EXPECT_GT(len, 4 * 65536);
			} else {
				ASSERT_EQ(reflen, len);
				EXPECT_EQ(0, memcmp(ref, got, len));
			}
		}
	}
	close(p[1]);
	waitpid(child, NULL, 0);
	free(ref);
	free(got);
	munmap(mem, region);
}

TEST(not_seekable)
{
	char path[512], buf[64];
	int fd;

	snprintf(path, sizeof(path), "%s/records", pts_dir());
	fd = open(path, O_RDWR);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(-1, lseek(fd, 0, SEEK_SET));
	EXPECT_EQ(ESPIPE, errno);
	EXPECT_EQ(-1, pread(fd, buf, sizeof(buf), 0));
	EXPECT_EQ(ESPIPE, errno);
	/* Reading records before any request. */
	EXPECT_EQ(-1, read(fd, buf, sizeof(buf)));
	EXPECT_EQ(ENODATA, errno);
	close(fd);
}

TEST_HARNESS_MAIN
