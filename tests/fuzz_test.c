// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz the module's files with random and hostile input.  Every input must
 * be accepted or rejected with a documented errno, the same open file must
 * answer a good request correctly afterwards, and the kernel log must stay
 * clean (the guest runner checks that).
 *
 * random_requests covers every file the module creates (the five writable
 * ones, and writes to the read-only "version"), with: key=value soup and
 * raw random bytes; unknown, repeated and misspelt keys; huge, negative,
 * overflowing, non-canonical and boundary numbers; reversed and empty
 * ranges; write sizes from 0 bytes to 1 MiB; one request split over
 * several write() calls and over a writev(); bad buffer pointers (NULL,
 * unmapped, kernel, non-canonical: EFAULT); lseek/pread/pwrite at odd and
 * negative offsets (ESPIPE); reads of 0 bytes, 1 byte and 1 MiB.
 * concurrent_writes_on_one_file has threads writing, reading and tracking
 * through the same open files at once.
 *
 * PTSCOPE_FUZZ_INPUTS sets the number of inputs (default 5000; the
 * concurrent test runs a tenth of that per thread); PTSCOPE_FUZZ_SEED the
 * random seed (default: the PID, printed).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "guest_harness.h"
#include "libptscope.h"

static const char *const keys[] = {
	"pid=", "va=", "range=", "op=", "coalesce", "pid", "=", "track", "untrack",
	"PID=", "pid==", "Pid=", "range==", "va=va=", "op=op=", "coalesce=",
	"coalesce=1", "track=", "bogus=", "x=", "pid =", " =", "range=-",
	"kernel ", "kernel=", "kernel",
};
static const char *const values[] = {
	"0", "1", "-1", "0x", "0x0", "0xffffffffffffffff", "18446744073709551616",
	"0x7ffffffff000", "0x800000000000", "0x00fffffffffff000", "4194304",
	"4194305", "010", "1e3", "walk", "translate", "ptcost", "bogus",
	"0x1000-0x0", "0x0-0x1000", "0x1000-0x1000", "0-0xffffffffffffffff",
	"0x10000-0x20000", "--", " ", "\t", "\n",
	/* numbers: negative, signed, overflowing, non-canonical, boundaries */
	"-0", "+1", "-0x1000", "0x-1", "0X10", "0x1g", "1 2", "2147483648",
	"4294967296", "99999999999999999999999999", "0x10000000000000000",
	"0xffff800000000000", "0xffffffff81000000", "0x8000000000000000",
	"0x7fffffffffff", "0x7ffffffff000", "0x00fffffffffff000",
	"0x0100000000000000", "0x00ffffffffffffff", "0x7fffffffffff-0x800000000000",
	"0x800000000000-0x7fffffffffff", "0xfffffffffffff000-0x1000",
	"0x1000-", "-0x1000", "0x1000--0x2000", "0x1000-0x2000-0x3000",
	"WALK", "walk ", "translate\n", "op=walk", "=", "==", "",
};

static int fuzz_inputs(void)
{
	const char *env = getenv("PTSCOPE_FUZZ_INPUTS");

	return env ? atoi(env) : 5000;
}

/* rand() with the full 64 bits. */
static unsigned long rand64(void)
{
	return (unsigned long)rand() << 62 ^ (unsigned long)rand() << 31 ^ rand();
}

/* A number, mostly hostile. */
static int make_number(char *buf, size_t cap)
{
	switch (rand() % 8) {
	case 0: return snprintf(buf, cap, "0x%lx", rand64());
	case 1: return snprintf(buf, cap, "-%lu", rand64());
	case 2: return snprintf(buf, cap, "%lu%lu", rand64(), rand64());	/* overflow */
	case 3: return snprintf(buf, cap, "0x%lx", 0x0000800000000000UL | rand64());	/* non-canonical */
	case 4: return snprintf(buf, cap, "0x%lx", (1UL << (47 + rand() % 11)) - 4096 * (rand() % 3));
	case 5: return snprintf(buf, cap, "%u", rand());
	case 6: return snprintf(buf, cap, "0x%x", rand());
	default: return snprintf(buf, cap, "%lu", rand64());
	}
}

/* A request line: mostly key=value soup, sometimes raw bytes. */
static size_t make_input(char *buf, size_t cap, pid_t self)
{
	size_t n = 0;
	int parts, i;

	if (rand() % 3 == 0) {	/* a valid request, random bounds */
		unsigned long a = (unsigned long)rand() << 12, b = a + ((unsigned long)rand() << 8);

		switch (rand() % 6) {
		case 0: return snprintf(buf, cap, "pid=%d", self);
		case 1: return snprintf(buf, cap, "pid=%d range=0x%lx-0x%lx coalesce", self, a, b);
		case 2: return snprintf(buf, cap, "pid=%d va=0x%lx", self, a);
		case 3: return snprintf(buf, cap, "pid=%d op=ptcost", self);
		case 4: return snprintf(buf, cap, "op=walk\tpid=%d range=%lu-%lu\n", self, a, b);
		default: return snprintf(buf, cap, "%s pid=%d", rand() % 2 ? "track" : "untrack", self);
		}
	}
	if (rand() % 8 == 0) {
		n = rand() % cap;
		for (i = 0; i < (int)n; i++)
			buf[i] = rand() % 256;
		return n;
	}
	parts = 1 + rand() % 5;
	for (i = 0; i < parts && n < cap - 96; i++) {
		const char *k = keys[rand() % (sizeof(keys) / sizeof(keys[0]))];
		const char *v = values[rand() % (sizeof(values) / sizeof(values[0]))];
		char num[64], num2[64];

		switch (rand() % 8) {
		case 0:
			n += snprintf(buf + n, cap - n, "pid=%d ", rand() % 2 ? self : rand());
			break;
		case 1:	/* a hostile number for a real key */
			make_number(num, sizeof(num));
			n += snprintf(buf + n, cap - n, "%s%s ",
				      rand() % 2 ? "va=" : "pid=", num);
			break;
		case 2:	/* a range, often reversed or empty */
			make_number(num, sizeof(num));
			make_number(num2, sizeof(num2));
			if (rand() % 2) {
				unsigned long a = rand64() >> (rand() % 20), b = a - rand() % 0x100000;

				snprintf(num, sizeof(num), "0x%lx", a);
				snprintf(num2, sizeof(num2), "0x%lx", b);
			}
			n += snprintf(buf + n, cap - n, "range=%s-%s ", num, num2);
			break;
		case 3: {	/* an unknown key */
			int kl = 1 + rand() % 12, j;

			for (j = 0; j < kl && n < cap - 64; j++)
				buf[n++] = 'a' + rand() % 26;
			n += snprintf(buf + n, cap - n, "=%s ", v);
			break;
		}
		default:
			n += snprintf(buf + n, cap - n, "%s%s ", k, v);
			break;
		}
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

static const char *const files[] = { "records", "walk", "translate", "ptcost",
				     "faults", "version" };
#define NFILES		6
#define F_FAULTS	4
#define F_VERSION	5

enum { A_REQUEST, A_SIZE, A_BADPTR, A_SEEK, A_SPLIT, A_READ, A_NR };
static const char *const action_names[A_NR] = {
	"requests", "odd sizes", "bad pointers", "seeks/offsets", "split writes",
	"odd reads",
};

/* What a write to FILE may fail with. */
static int allowed(int f, int action, int err)
{
	if (action == A_SEEK && (err == ESPIPE || err == EINVAL))
		return 1;
	if (action == A_BADPTR && err == EFAULT)
		return 1;
	if (f == F_VERSION)	/* no write method at all */
		return err == EINVAL || err == EBADF || err == EPERM;
	if (f == F_FAULTS && err == EOPNOTSUPP)
		return 1;
	return documented(err);
}

struct fuzz_state {
	int fds[NFILES];
	pid_t self;
	char *big;		/* 1 MiB + 1 page: huge writes and reads */
	char *unmapped;		/* an address with nothing mapped */
	long tried[A_NR], accepted[A_NR], rejected[A_NR];
};

/* Read some of FD's answer with an odd size. */
static void drain(int fd, char *out, size_t cap)
{
	while (read(fd, out, 1 + rand() % cap) > 0)
		if (rand() % 4 == 0)
			break;
}

/* One input of kind ACTION to file F; returns 0 or the unexpected errno. */
static int one_input(struct fuzz_state *st, int action, int f)
{
	int fd = st->fds[f];
	char buf[1024], out[4096];
	ssize_t r = 0;
	size_t len;

	errno = 0;
	switch (action) {
	case A_REQUEST:
		len = make_input(buf, rand() % 2 ? 300 : sizeof(buf), st->self);
		r = write(fd, buf, len);
		break;
	case A_SIZE: {
		static const size_t sizes[] = { 0, 1, 2, 254, 255, 256, 257, 4095,
						4096, 65536, 1 << 20 };

		len = sizes[rand() % (sizeof(sizes) / sizeof(sizes[0]))];
		if (rand() % 2)
			memset(st->big, 'a' + rand() % 26, len);
		else	/* a valid request followed by spaces and junk */
			memset(st->big + snprintf(st->big, 64, "pid=%d ", st->self),
			       rand() % 2 ? ' ' : 'z', len);
		r = write(fd, st->big, len);
		break;
	}
	case A_BADPTR: {
		char *const ptrs[] = { NULL, (char *)1, st->unmapped,
				       (char *)0xffffffff81000000UL,
				       (char *)0x8000000000000000UL,
				       st->unmapped - 8 };

		r = rand() % 2 ? write(fd, ptrs[rand() % 6], 1 + rand() % 64)
			       : read(fd, ptrs[rand() % 6], 1 + rand() % 4096);
		if (r < 0 && errno == ENODATA)	/* records before a request */
			r = 0;
		break;
	}
	case A_SEEK: {
		static const int whence[] = { SEEK_SET, SEEK_CUR, SEEK_END, SEEK_DATA,
					      SEEK_HOLE, 7 };
		long off = rand() % 3 ? (long)rand64() : rand() % 8192 - 4096;

		switch (rand() % 3) {
		case 0:
			r = lseek(fd, off, whence[rand() % 6]);
			break;
		case 1:
			r = pread(fd, out, 1 + rand() % sizeof(out), off);
			break;
		default:
			len = make_input(buf, 300, st->self);
			r = pwrite(fd, buf, len, off);
			break;
		}
		break;
	}
	case A_SPLIT: {	/* one request line over several write()s or a writev() */
		struct iovec iov[4];
		size_t cut[5];
		int k, nv = 2 + rand() % 3;

		len = make_input(buf, 300, st->self);
		cut[0] = 0;
		cut[nv] = len;
		for (k = 1; k < nv; k++)
			cut[k] = len ? rand() % (len + 1) : 0;
		for (k = 1; k < nv; k++)	/* sort the cuts */
			for (int j = k; j > 1 && cut[j] < cut[j - 1]; j--) {
				size_t t = cut[j];

				cut[j] = cut[j - 1];
				cut[j - 1] = t;
			}
		for (k = 0; k < nv; k++) {
			iov[k].iov_base = buf + cut[k];
			iov[k].iov_len = cut[k + 1] - cut[k];
		}
		if (rand() % 2) {
			r = writev(fd, iov, nv);
		} else {
			for (k = 0; k < nv; k++) {
				r = write(fd, iov[k].iov_base, iov[k].iov_len);
				if (r < 0 && !allowed(f, action, errno))
					break;
			}
		}
		break;
	}
	default: {	/* reads of 0, 1 and 1 MiB + 1 bytes, after a request or not */
		static const size_t sizes[] = { 0, 1, 4096, (1 << 20) + 1 };

		if (rand() % 2) {
			len = make_input(buf, 300, st->self);
			if (write(fd, buf, len) < 0 && !allowed(f, action, errno))
				return errno;
		}
		r = read(fd, st->big, sizes[rand() % 4]);
		if (r < 0 && errno == ENODATA)
			r = 0;
		if (r < 0 && (errno == EINVAL || errno == EBADF) && f == F_VERSION)
			r = 0;
		break;
	}
	}
	if (r >= 0) {
		st->accepted[action]++;
		if (f < F_FAULTS && action == A_REQUEST)
			drain(fd, out, sizeof(out));
		if (f == F_FAULTS && rand() % 4 == 0)
			drain(fd, out, sizeof(out));
		return 0;
	}
	st->rejected[action]++;
	return allowed(f, action, errno) ? 0 : errno;
}

static void fuzz_open(struct __test_metadata *_metadata, struct fuzz_state *st)
{
	char path[512];
	int i;

	for (i = 0; i < NFILES; i++) {
		snprintf(path, sizeof(path), "%s/%s", pts_dir(), files[i]);
		st->fds[i] = open(path, i == F_VERSION ? O_RDONLY : O_RDWR);
		ASSERT_GE(st->fds[i], 0);
	}
	st->big = malloc((1 << 20) + 4096);
	ASSERT_NE(NULL, st->big);
	st->unmapped = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, st->unmapped);
	munmap(st->unmapped, 4096);
}

static void fuzz_close(struct fuzz_state *st)
{
	int i;

	for (i = 0; i < NFILES; i++)
		close(st->fds[i]);
	free(st->big);
}

TEST(random_requests)
{
	int total = fuzz_inputs(), i, a, seed;
	struct fuzz_state st = { .self = getpid() };
	long acc = 0, rej = 0;

	seed = getenv("PTSCOPE_FUZZ_SEED") ? atoi(getenv("PTSCOPE_FUZZ_SEED")) : st.self;
	srand(seed);
	fuzz_open(_metadata, &st);
	for (i = 0; i < total; i++) {
		int f = rand() % NFILES, action, err;

		a = rand() % 100;
		action = a < 60 ? A_REQUEST : a < 68 ? A_SIZE : a < 74 ? A_BADPTR :
			 a < 82 ? A_SEEK : a < 92 ? A_SPLIT : A_READ;
		st.tried[action]++;
		err = one_input(&st, action, f);
		if (err)
			TH_LOG("input %d (%s) to %s: undocumented errno %d (%s), seed %d",
			       i, action_names[action], files[f], err, strerror(err), seed);
		ASSERT_EQ(0, err);
		if (f == F_FAULTS)
			pts_faults_ctl("untrack", st.self);
		/* Bad input changes nothing: the session still works. */
		if (rand() % 64 == 0)
			ASSERT_EQ(0, check_alive(st.fds[0], st.self));
	}
	ASSERT_EQ(0, check_alive(st.fds[0], st.self));
	pts_faults_ctl("untrack", st.self);
	fuzz_close(&st);
	for (a = 0; a < A_NR; a++) {
		acc += st.accepted[a];
		rej += st.rejected[a];
		TH_LOG("  %-14s %7ld tried, %7ld accepted, %7ld rejected", action_names[a],
		       st.tried[a], st.accepted[a], st.rejected[a]);
	}
	TH_LOG("%d inputs: %ld accepted, %ld rejected (seed %d)", total, acc, rej, seed);
}

/* Threads sharing the same open files: writes, reads and tracking at once. */
struct conc {
	struct fuzz_state *st;
	int iterations;
	unsigned int seed;
	long ops;
	int bad_errno;
	char bad_file[16];
};

static void *conc_thread(void *arg)
{
	struct conc *c = arg;
	char buf[512], out[4096];
	int i;

	for (i = 0; i < c->iterations && !c->bad_errno; i++) {
		int f = rand_r(&c->seed) % 5, fd = c->st->fds[f];
		size_t len;
		ssize_t r;

		switch (rand_r(&c->seed) % 4) {
		case 0:	/* a good request */
			if (f == 4)
				len = snprintf(buf, sizeof(buf), "%s pid=%d",
					       rand_r(&c->seed) % 2 ? "track" : "untrack",
					       c->st->self);
			else if (f == 2)
				len = snprintf(buf, sizeof(buf), "pid=%d va=0x1000", c->st->self);
			else
				len = snprintf(buf, sizeof(buf), "pid=%d", c->st->self);
			r = write(fd, buf, len);
			break;
		case 1:	/* a random one */
			len = make_input(buf, sizeof(buf), c->st->self);
			r = write(fd, buf, len);
			break;
		default:	/* reads of odd sizes, racing the writes */
			r = read(fd, out, 1 + rand_r(&c->seed) % sizeof(out));
			if (r < 0 && errno == ENODATA)
				r = 0;
			break;
		}
		if (r < 0 && !allowed(f, A_REQUEST, errno)) {
			c->bad_errno = errno;
			snprintf(c->bad_file, sizeof(c->bad_file), "%s", files[f]);
		}
		c->ops++;
	}
	return NULL;
}

TEST(concurrent_writes_on_one_file)
{
	struct fuzz_state st = { .self = getpid() };
	struct conc c[4];
	pthread_t th[4];
	long ops = 0;
	int i;

	fuzz_open(_metadata, &st);
	for (i = 0; i < 4; i++) {
		c[i] = (struct conc){ .st = &st, .iterations = fuzz_inputs() / 10,
				      .seed = st.self + i };
		ASSERT_EQ(0, pthread_create(&th[i], NULL, conc_thread, &c[i]));
	}
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		if (c[i].bad_errno)
			TH_LOG("thread %d: undocumented errno %d (%s) from %s", i,
			       c[i].bad_errno, strerror(c[i].bad_errno), c[i].bad_file);
		EXPECT_EQ(0, c[i].bad_errno);
		ops += c[i].ops;
	}
	/* Every shared session still answers correctly. */
	ASSERT_EQ(0, check_alive(st.fds[0], st.self));
	pts_faults_ctl("untrack", st.self);
	fuzz_close(&st);
	TH_LOG("4 threads on one set of open files: %ld operations", ops);
}

/*
 * Reads of any size return the same byte stream: walk a child that holds
 * still (blocked on a pipe) over its own anonymous region, through the
 * text and binary views, with read sizes from 1 byte to 1 MiB.
 */
TEST(read_sizes_give_one_stream)
{
	/*
	 * The first read size gives the reference stream; 7 is the
	 * smallest: it splits records and lines at every offset, and
	 * 1-byte reads (about 700,000 system calls) took from 13 s to past
	 * 150 s in the pti=on guest under TCG, where each call switches CR3.
	 */
	static const size_t sizes[] = { 1 << 20, 7, 63, 64, 65, 4096, 65536 };
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

/*
 * The harness stops a test after 30 s; PTSCOPE_FUZZ_INPUTS (the stress
 * runs, slow debug kernels) gets time in proportion.
 */
static void __attribute__((constructor(KSELFTEST_PRIO_TEST + 1))) fuzz_timeouts(void)
{
	_random_requests_object.timeout = 60 + fuzz_inputs() / 10;
	_concurrent_writes_on_one_file_object.timeout = 60 + fuzz_inputs() / 10;
}

TEST_HARNESS_MAIN
