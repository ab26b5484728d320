// SPDX-License-Identifier: GPL-2.0
/*
 * Walks of a target that changes or dies while it is being read.
 *
 * kill_during_walk: a target with a large touched anonymous region is
 *   walked with small reads and SIGKILLed partway (or right after the
 *   request).  The stream must end either complete (END, counts right)
 *   or with ESRCH after whole records, never anything else; a later
 *   request on the same file for a live process works.
 * vma_grows_between_reads: the VMA being walked grows in place (mremap)
 *   between two reads: every leaf must still lie inside the VMA record
 *   before it (the record has to be repeated when the VMA changed).
 * churn: a target that forks, maps, unmaps, remaps and mprotects in a
 *   loop is walked over and over for a couple of seconds; every leaf lies
 *   inside the VMA record before it, in order, every frame is below the
 *   highest RAM frame (/proc/iomem), END counts match.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guest_harness.h"
#include "libptscope.h"
#include "pagemap_lib.h"

#define PAGE		PML_PAGE
#define MB		(1UL << 20)

/* A whole byte stream of records, as read. */
struct stream {
	char *buf;
	size_t len, cap;
	int err;		/* errno that ended it, 0 at EOF */
};

static int stream_read(struct stream *st, int fd, size_t chunk)
{
	ssize_t n;

	if (st->len + chunk > st->cap) {
		char *b;

		st->cap = st->cap ? 2 * st->cap : 8 * MB;
		b = realloc(st->buf, st->cap);
		if (!b)
			return -ENOMEM;
		st->buf = b;
	}
	do {
		n = read(fd, st->buf + st->len, chunk);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		st->err = errno;
		return -errno;
	}
	st->len += n;
	return n;
}

/* What a stream holds, and the first thing wrong with it. */
struct summary {
	size_t vmas, leaves, entries, bad_pfn, out_of_vma, unordered;
	bool header, end;
	struct ptscope_end endrec;
	size_t tail;		/* bytes of an incomplete last record */
	char why[256];
};

static void summarize(const struct stream *st, pid_t pid, uint64_t max_pfn,
		      struct summary *s)
{
	const struct ptscope_vma *vma = NULL;
	uint64_t prev_end = 0;
	size_t off = 0;

	memset(s, 0, sizeof(*s));
	while (off + sizeof(struct ptscope_rec_hdr) <= st->len) {
		const struct ptscope_rec_hdr *h = (const void *)(st->buf + off);

		if (h->size < sizeof(*h) || off + h->size > st->len)
			break;
		if (s->end && !s->why[0])
			snprintf(s->why, sizeof(s->why), "record after END");
		switch (h->type) {
		case PTSCOPE_REC_HEADER: {
			const struct ptscope_header *hd = (const void *)h;

			if (off || hd->magic != PTSCOPE_MAGIC || (pid_t)hd->pid != pid)
				snprintf(s->why, sizeof(s->why), "bad header at %zu", off);
			s->header = true;
			break;
		}
		case PTSCOPE_REC_VMA:
			vma = (const void *)h;
			s->vmas++;
			break;
		case PTSCOPE_REC_LEAF: {
			const struct ptscope_leaf *l = (const void *)h;
			uint64_t end = l->va + l->count * pts_level_size(l->level);

			s->leaves++;
			s->entries += l->count;
			if (!vma || l->va < vma->start || end > vma->end) {
				if (!s->out_of_vma++)
					snprintf(s->why, sizeof(s->why),
						 "leaf 0x%llx-0x%llx outside the VMA record before it (0x%llx-0x%llx)",
						 (unsigned long long)l->va,
						 (unsigned long long)end,
						 vma ? (unsigned long long)vma->start : 0ULL,
						 vma ? (unsigned long long)vma->end : 0ULL);
			}
			if (l->va < prev_end && !s->unordered++)
				snprintf(s->why, sizeof(s->why),
					 "leaf 0x%llx before the end of the previous one 0x%llx",
					 (unsigned long long)l->va,
					 (unsigned long long)prev_end);
			prev_end = end;
			if ((l->flags & PTSCOPE_F_PFN_VALID) && max_pfn &&
			    l->pfn + l->count * (pts_level_size(l->level) / PAGE) > max_pfn &&
			    !s->bad_pfn++)
				snprintf(s->why, sizeof(s->why),
					 "leaf 0x%llx: pfn 0x%llx beyond the last RAM frame 0x%llx",
					 (unsigned long long)l->va, (unsigned long long)l->pfn,
					 (unsigned long long)max_pfn);
			break;
		}
		case PTSCOPE_REC_END:
			memcpy(&s->endrec, h, sizeof(s->endrec));
			s->end = true;
			break;
		default:
			if (!s->why[0])
				snprintf(s->why, sizeof(s->why), "record type %u in a walk",
					 h->type);
			break;
		}
		off += h->size;
	}
	s->tail = st->len - off;
	if (!s->header && !s->why[0])
		snprintf(s->why, sizeof(s->why), "no header");
}

/*
 * The verdict on a stream that may have been cut short by the target's
 * death: complete, or whole records then ESRCH.  0 or -1 with WHY.
 */
static int check_stream(const struct stream *st, pid_t pid, uint64_t max_pfn,
			struct summary *s, bool may_die)
{
	summarize(st, pid, max_pfn, s);
	if (s->why[0])
		return -1;
	if (s->tail) {
		snprintf(s->why, sizeof(s->why), "%zu bytes of a partial record", s->tail);
		return -1;
	}
	if (st->err) {
		if (!may_die || st->err != ESRCH) {
			snprintf(s->why, sizeof(s->why), "read failed: %s", strerror(st->err));
			return -1;
		}
		if (s->end) {
			snprintf(s->why, sizeof(s->why), "END record and then ESRCH");
			return -1;
		}
		return 0;
	}
	if (!s->end) {
		snprintf(s->why, sizeof(s->why), "EOF without END");
		return -1;
	}
	if (s->endrec.status || s->endrec.vmas != s->vmas ||
	    s->endrec.leaves != s->leaves || s->endrec.entries != s->entries) {
		snprintf(s->why, sizeof(s->why),
			 "END status %d counts %llu/%llu/%llu, received %zu/%zu/%zu",
			 s->endrec.status, (unsigned long long)s->endrec.vmas,
			 (unsigned long long)s->endrec.leaves,
			 (unsigned long long)s->endrec.entries, s->vmas, s->leaves,
			 s->entries);
		return -1;
	}
	return 0;
}

static int open_records(void)
{
	return open(PTSCOPE_DEBUGFS_DIR "/records", O_RDWR | O_CLOEXEC);
}

static int request(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int request(int fd, const char *fmt, ...)
{
	char line[PTSCOPE_REQ_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	return write(fd, line, n) == n ? 0 : -errno;
}

/* After whatever happened before, a walk of one of our own pages works. */
static void expect_live_walk(struct __test_metadata *_metadata, int fd)
{
	static char page[PAGE] __attribute__((aligned(4096)));
	unsigned long va = (unsigned long)page;
	struct stream st = { 0 };
	struct summary s;
	uint64_t pm;
	size_t off;
	bool found = false;

	page[0] = 1;
	ASSERT_EQ(0, request(fd, "pid=%d range=0x%lx-0x%lx", getpid(), va, va + PAGE));
	while (stream_read(&st, fd, 4096) > 0)
		;
	EXPECT_EQ(0, check_stream(&st, getpid(), 0, &s, false)) TH_LOG("%s", s.why);
	EXPECT_EQ(1, s.leaves);
	ASSERT_EQ(0, pml_pagemap(0, va, 1, &pm));
	for (off = 0; off < st.len; off += ((struct ptscope_rec_hdr *)(st.buf + off))->size) {
		const struct ptscope_leaf *l = (const void *)(st.buf + off);

		if (l->hdr.type == PTSCOPE_REC_LEAF && l->va == va) {
			EXPECT_EQ(pml_pfn(pm), l->pfn);
			found = true;
		}
	}
	EXPECT_TRUE(found);
	free(st.buf);
}

/* ---- kill during a walk ------------------------------------------------- */

struct big_arg {
	unsigned long size;
};

static int big_fn(void *arg, int cmd)
{
	struct big_arg *a = arg;
	unsigned long i;
	char *p;

	if (cmd)
		return 0;
	if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0))
		return errno;
	p = mmap(NULL, a->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return errno;
	for (i = 0; i < a->size; i += PAGE)
		p[i] = 1;
	return 0;
}

FIXTURE(kill) {
	struct pml_child child;
};

FIXTURE_VARIANT(kill) {
	unsigned long size;	/* touched anonymous memory */
	long kill_after;	/* bytes read before SIGKILL; -1: before reading */
	size_t chunk;		/* read size */
};

FIXTURE_VARIANT_ADD(kill, partway_256m) {
	.size = 256 * MB, .kill_after = 1 * MB, .chunk = 4096,
};
FIXTURE_VARIANT_ADD(kill, odd_reads_64m) {
	.size = 64 * MB, .kill_after = 300000, .chunk = 1000,
};
FIXTURE_VARIANT_ADD(kill, before_reading_64m) {
	.size = 64 * MB, .kill_after = -1, .chunk = 4096,
};

FIXTURE_SETUP(kill)
{
	static struct big_arg arg;

	self->child.pid = -1;
	self->child.cmd_fd = self->child.ack_fd = -1;
	if (access(PTSCOPE_DEBUGFS_DIR "/records", F_OK))
		SKIP(return, "ptscope module not loaded");
	arg.size = variant->size;
	ASSERT_EQ(0, pml_child_start(&self->child, big_fn, &arg));
}

FIXTURE_TEARDOWN(kill)
{
	pml_child_stop(&self->child);
}

TEST_F_TIMEOUT(kill, stream_ends_cleanly, 90)
{
	uint64_t max_pfn = pml_max_pfn();
	struct stream st = { 0 };
	struct summary s;
	pid_t pid = self->child.pid;
	bool killed = false;
	int fd;

	fd = open_records();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, request(fd, "pid=%d", pid));
	for (;;) {
		if (!killed && (long)st.len > variant->kill_after) {
			ASSERT_EQ(0, kill(pid, SIGKILL));
			killed = true;
		}
		if (stream_read(&st, fd, variant->chunk) <= 0)
			break;
	}
	if (!killed)
		kill(pid, SIGKILL);
	EXPECT_EQ(0, check_stream(&st, pid, max_pfn, &s, true)) TH_LOG("%s", s.why);
	TH_LOG("killed after %ld bytes: %zu bytes, %zu leaves, ended %s", variant->kill_after,
	       st.len, s.leaves, st.err ? strerror(st.err) : "with END");
	/* Partway, the walk had not finished: what came before was whole. */
	if (variant->kill_after > 0)
		EXPECT_LT((size_t)variant->kill_after, st.len);
	/* Once it has failed, it keeps saying so (or EOF after END). */
	if (st.err) {
		char c;

		EXPECT_EQ(-1, read(fd, &c, 1));
		EXPECT_EQ(ESRCH, errno);
	}
	waitpid(pid, NULL, 0);
	self->child.pid = -1;
	/* A new request on the same file, for the dead pid and a live one. */
	EXPECT_EQ(-ESRCH, request(fd, "pid=%d", pid));
	expect_live_walk(_metadata, fd);
	close(fd);
	free(st.buf);
}

/* ---- a VMA that grows between two reads --------------------------------- */

struct grow_arg {
	char *base;
};

#define GROW_FROM	(256 * MB)
#define GROW_TO		(384 * MB)

/*
 * cmd 0: [base, +256M), the first 8 MiB touched (more leaf records than
 *        one module buffer holds) and one page per 2 MiB after that;
 * cmd 1: mremap it in place to 384M (same start, larger end) and touch
 *        one page per 2 MiB of the new part.
 */
static int grow_fn(void *arg, int cmd)
{
	struct grow_arg *a = arg;
	unsigned long i;
	char *p;

	if (cmd == 0) {
		if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0))
			return errno;
		/* Reserve room to grow into, then give the top back. */
		p = mmap(NULL, GROW_TO + MB, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p == MAP_FAILED)
			return errno;
		if (munmap(p + GROW_FROM, GROW_TO + MB - GROW_FROM))
			return errno;
		/* Dense enough that the first chunk cannot hold it all. */
		for (i = 0; i < 32 * MB; i += PAGE)
			p[i] = 1;
		for (; i < GROW_FROM; i += 2 * MB)
			p[i] = 1;
		a->base = p;
		return 0;
	}
	p = mremap(a->base, GROW_FROM, GROW_TO, 0);
	if (p != a->base)
		return 1;
	for (i = GROW_FROM; i < GROW_TO; i += 2 * MB)
		p[i] = 1;
	return 0;
}

TEST(vma_grows_between_reads)
{
	struct grow_arg *a = mmap(NULL, sizeof(*a), PROT_READ | PROT_WRITE,
				  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct stream st = { 0 };
	struct pml_child c;
	struct summary s;
	unsigned long base;
	size_t off;
	int fd, leaves_beyond = 0;

	if (access(PTSCOPE_DEBUGFS_DIR "/records", F_OK))
		SKIP(return, "ptscope module not loaded");
	ASSERT_NE(MAP_FAILED, a);
	ASSERT_EQ(0, pml_child_start(&c, grow_fn, a));
	base = (unsigned long)a->base;
	fd = open_records();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, request(fd, "pid=%d range=0x%lx-0x%lx", c.pid, base, base + GROW_TO + MB));
	/* The header, the VMA record and the first leaves. */
	ASSERT_LT(0, stream_read(&st, fd, 4096));
	ASSERT_EQ(0, pml_child_cmd(&c, 1));
	while (stream_read(&st, fd, 4096) > 0)
		;
	EXPECT_EQ(0, check_stream(&st, c.pid, pml_max_pfn(), &s, false)) TH_LOG("%s", s.why);
	/* The walk did go on into the grown part. */
	for (off = 0; off + sizeof(struct ptscope_rec_hdr) <= st.len;
	     off += ((struct ptscope_rec_hdr *)(st.buf + off))->size) {
		const struct ptscope_leaf *l = (const void *)(st.buf + off);

		if (l->hdr.type == PTSCOPE_REC_LEAF && l->va >= base + GROW_FROM)
			leaves_beyond++;
	}
	EXPECT_EQ((GROW_TO - GROW_FROM) / (2 * MB), leaves_beyond);
	close(fd);
	pml_child_stop(&c);
	free(st.buf);
	munmap(a, sizeof(*a));
}

/* ---- churn ------------------------------------------------------------- */

static unsigned int rnd(unsigned int *seed)
{
	*seed = *seed * 1103515245 + 12345;
	return *seed >> 8;
}

/*
 * The churn target, forever: grow/shrink/replace a 128-384 MiB mapping
 * (dense first 8 MiB, sparse after) at a fixed address (so that VMAs keep their start and change
 * their end), fork children that exit at once (COW-protects every private
 * page), map and unmap small regions, split and merge by mprotect, punch
 * holes and fill them.
 */
/* Touch [FROM, TO) of BASE: every page of the first 8 MiB, then one per 2 MiB. */
static void populate(char *base, unsigned long from, unsigned long to, char v)
{
	unsigned long i;

	for (i = from; i < to; i += i < 8 * MB ? PAGE : 2 * MB)
		base[i] = v;
}

static void churn_loop(void)
{
	unsigned long size = 256 * MB;
	unsigned int seed = 1;
	char *base, *small[16] = { 0 };
	int k;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
	base = mmap(NULL, 512 * MB, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		_exit(1);
	munmap(base + size, 512 * MB - size);
	/*
	 * Dense at the start (more leaf records than one module buffer, so
	 * the reader stops mid-VMA), sparse after.
	 */
	populate(base, 0, size, 1);
	for (;;) {
		unsigned long to = (128 + 128 * (rnd(&seed) % 3)) * MB;
		pid_t pid;

		switch (rnd(&seed) % 6) {
		case 0:		/* same start, new end */
			if (mremap(base, size, to, 0) == base) {
				populate(base, size, to, 1);
				size = to;
			}
			break;
		case 1:		/* replace with a fresh mapping */
			if (mmap(base, size, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE,
				 -1, 0) == base)
				populate(base, 0, size, 2);
			break;
		case 2:		/* fork: every private page becomes COW */
			pid = fork();
			if (pid == 0)
				_exit(0);
			if (pid > 0)
				waitpid(pid, NULL, 0);
			break;
		case 3:		/* small mappings come and go */
			k = rnd(&seed) % 16;
			if (small[k]) {
				munmap(small[k], 16 * PAGE);
				small[k] = NULL;
			} else {
				small[k] = mmap(NULL, 16 * PAGE, PROT_READ | PROT_WRITE,
						MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
				if (small[k] == MAP_FAILED)
					small[k] = NULL;
				else
					memset(small[k], k, 16 * PAGE);
			}
			break;
		case 4:		/* split and merge by mprotect */
			mprotect(base + 64 * MB, 64 * MB, PROT_READ);
			mprotect(base + 64 * MB, 64 * MB, PROT_READ | PROT_WRITE);
			break;
		case 5:		/* punch a hole and fill it again */
			munmap(base + 32 * MB, 16 * MB);
			if (mmap(base + 32 * MB, 16 * MB, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != MAP_FAILED)
				base[32 * MB] = 3;
			break;
		}
	}
}

TEST(churn)
{
	uint64_t max_pfn = pml_max_pfn();
	struct timespec t0, t;
	int fd, walks = 0, died = 0;
	size_t leaves = 0;
	pid_t pid;

	if (access(PTSCOPE_DEBUGFS_DIR "/records", F_OK))
		SKIP(return, "ptscope module not loaded");
	ASSERT_NE(0, max_pfn);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		churn_loop();
	usleep(100000);
	fd = open_records();
	ASSERT_LE(0, fd);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		struct stream st = { 0 };
		struct summary s;

		ASSERT_EQ(0, request(fd, "pid=%d", pid));
		while (stream_read(&st, fd, 8192) > 0)
			usleep(walks % 2 ? 0 : 200);	/* let the target run */
		EXPECT_EQ(0, check_stream(&st, pid, max_pfn, &s, false))
			TH_LOG("walk %d: %s", walks, s.why);
		died += st.err == ESRCH;
		leaves += s.leaves;
		free(st.buf);
		walks++;
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 < 2500 &&
		 !_metadata->exit_code);
	TH_LOG("%d walks, %zu leaves", walks, leaves);
	EXPECT_EQ(0, died);
	EXPECT_LT(3, walks);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	expect_live_walk(_metadata, fd);
	close(fd);
}

TEST_HARNESS_MAIN
