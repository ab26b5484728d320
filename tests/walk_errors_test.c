// SPDX-License-Identifier: GPL-2.0
/*
 * Every documented error of a ptscope request (Documentation/interface.rst,
 * module/target.c, module/session.c), and "a rejected request changes
 * nothing": after each bad request the same open file still delivers the
 * rest of the previous answer unchanged, then accepts a good request and
 * answers it correctly (checked against pagemap / VmPTE).
 *
 *   EINVAL  malformed: unknown or repeated key, missing pid, bad number
 *           (sign, octal is decimal, overflow, junk), key the op does not
 *           take, op or format that does not match the debugfs file, a
 *           device-only op on debugfs, embedded NUL, too long
 * The device, /dev/ptscope, is one more file here: the same rules, and
 * its own (format=, op=version|faults|track|untrack).
 *   ERANGE  address at/above the end of user space, empty/reversed range
 *   ESRCH   no such process, zombie
 *   ENXIO   kernel thread (PID 2, kthreadd)
 *   EACCES  CAP_SYS_ADMIN but no CAP_SYS_PTRACE, target of another uid
 *   EPERM   no CAP_SYS_ADMIN: at open, and at a request on a file opened
 *           before the capability was dropped
 *   ENODATA records read before any request
 *   ESPIPE  lseek/pread
 * An unprivileged uid cannot even open the files: EACCES from the 0700
 * debugfs directory (the VFS answers before the module is asked).
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
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>

#include "guest_harness.h"
#include "libptscope.h"
#include "pagemap_lib.h"

#define PAGE		PML_PAGE
#define NOBODY		65534

/* A page of our own whose translation the good requests check. */
static char probe_page[2 * PAGE] __attribute__((aligned(4096)));
#define PROBE_OFF	0x10

static unsigned long probe_va(void)
{
	probe_page[0] = 1;
	return (unsigned long)probe_page + PROBE_OFF;
}

static unsigned long task_size(void)
{
	return ptw_probe_paging_levels() == 5 ? (1UL << 56) - PAGE : (1UL << 47) - PAGE;
}

/* A debugfs file by name; "device": /dev/ptscope. */
static int open_file(const char *name)
{
	char path[256];

	if (!strcmp(name, "device"))
		return open(PTSCOPE_DEVICE, O_RDWR | O_CLOEXEC);
	snprintf(path, sizeof(path), "%s/%s", PTSCOPE_DEBUGFS_DIR, name);
	return open(path, O_RDWR | O_CLOEXEC);
}

/* One write() of LEN bytes; 0 or -errno. */
static int req_len(int fd, const char *s, size_t len)
{
	ssize_t n = write(fd, s, len);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

static int req(int fd, const char *s)
{
	return req_len(fd, s, strlen(s));
}

/* Read to EOF or error; bytes read, *err = 0 or errno. */
static size_t drain(int fd, char *buf, size_t cap, int *err)
{
	size_t len = 0;

	*err = 0;
	while (len < cap) {
		ssize_t n = read(fd, buf + len, cap - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*err = errno;
			break;
		}
		if (n == 0)
			break;
		len += n;
	}
	return len;
}

/*
 * A complete binary translate answer of PROBE_VA: HEADER for our pid,
 * LEVELs, XLATE with pa = pagemap's frame + offset.  0 or -1 with WHY.
 */
static int check_xlate_stream(const char *buf, size_t len, char *why, size_t wlen)
{
	const struct ptscope_header *h = (const void *)buf;
	const struct ptscope_xlate *x = NULL;
	uint64_t pm;
	size_t off;
	int levels = 0;

	if (len < sizeof(*h) || h->hdr.type != PTSCOPE_REC_HEADER ||
	    h->magic != PTSCOPE_MAGIC || h->op != PTSCOPE_OP_TRANSLATE ||
	    (pid_t)h->pid != getpid()) {
		snprintf(why, wlen, "no translate header for pid %d", getpid());
		return -1;
	}
	for (off = 0; off + sizeof(struct ptscope_rec_hdr) <= len;) {
		const struct ptscope_rec_hdr *r = (const void *)(buf + off);

		if (r->size < sizeof(*r) || off + r->size > len) {
			snprintf(why, wlen, "truncated record at %zu", off);
			return -1;
		}
		if (r->type == PTSCOPE_REC_LEVEL)
			levels++;
		if (r->type == PTSCOPE_REC_XLATE)
			x = (const void *)r;
		off += r->size;
	}
	if (off != len || !x || levels < 2) {
		snprintf(why, wlen, "stream of %zu bytes: %d levels, %s XLATE", len,
			 levels, x ? "an" : "no");
		return -1;
	}
	if (pml_pagemap(0, probe_va() & ~(PAGE - 1), 1, &pm) || !(pm & PML_PRESENT)) {
		snprintf(why, wlen, "probe page not present in pagemap");
		return -1;
	}
	if (x->va != probe_va() || x->stop != PTSCOPE_STOP_OK ||
	    x->pa != (pml_pfn(pm) << 12 | PROBE_OFF)) {
		snprintf(why, wlen, "translate va 0x%llx stop %u pa 0x%llx, pagemap pfn 0x%llx",
			 (unsigned long long)x->va, x->stop, (unsigned long long)x->pa,
			 (unsigned long long)pml_pfn(pm));
		return -1;
	}
	return 0;
}

/* The text files: the line that carries the answer, checked against the kernel. */
static int check_text(const char *file, const char *text, pid_t sleeper,
		      char *why, size_t wlen)
{
	unsigned long long v = 0;
	uint64_t pm;
	const char *p;

	if (pml_pagemap(0, probe_va() & ~(PAGE - 1), 1, &pm)) {
		snprintf(why, wlen, "pagemap");
		return -1;
	}
	if (!strcmp(file, "translate")) {
		p = strstr(text, "\npa 0x");
		if (!p || sscanf(p, "\npa 0x%llx", &v) != 1 ||
		    v != (pml_pfn(pm) << 12 | PROBE_OFF)) {
			snprintf(why, wlen, "translate text: pa 0x%llx, pagemap pfn 0x%llx",
				 v, (unsigned long long)pml_pfn(pm));
			return -1;
		}
	} else if (!strcmp(file, "walk")) {
		char want[64];

		snprintf(want, sizeof(want), " pfn=0x%llx ", (unsigned long long)pml_pfn(pm));
		if (!strstr(text, want) || !strstr(text, "\n# 1 vmas, 1 lines, 1 entries\n")) {
			snprintf(why, wlen, "walk text lacks '%s' or the totals line", want);
			return -1;
		}
	} else {
		long kb = pml_status_kb(sleeper, "VmPTE");

		p = strstr(text, "\npgtables_bytes ");
		if (!p || sscanf(p, "\npgtables_bytes %llu", &v) != 1 ||
		    kb <= 0 || v != (unsigned long long)kb * 1024) {
			snprintf(why, wlen, "ptcost text: pgtables_bytes %llu, VmPTE %ld kB",
				 v, kb);
			return -1;
		}
	}
	return 0;
}

/* The good request for FILE. */
static void good_request(const char *file, pid_t sleeper, char *buf, size_t len)
{
	unsigned long va = probe_va();

	if (!strcmp(file, "records") || !strcmp(file, "translate"))
		snprintf(buf, len, "pid=%d va=0x%lx", getpid(), va);
	else if (!strcmp(file, "device"))
		snprintf(buf, len, "format=records pid=%d va=0x%lx", getpid(), va);
	else if (!strcmp(file, "walk"))
		snprintf(buf, len, "pid=%d range=0x%lx-0x%lx", getpid(),
			 va & ~(PAGE - 1), (va & ~(PAGE - 1)) + PAGE);
	else
		snprintf(buf, len, "pid=%d", sleeper);
}

/* Check the answer in BUF[LEN] to good_request(FILE). */
static int check_answer(const char *file, pid_t sleeper, char *buf, size_t len,
			char *why, size_t wlen)
{
	if (!strcmp(file, "records") || !strcmp(file, "device"))
		return check_xlate_stream(buf, len, why, wlen);
	buf[len] = '\0';
	return check_text(file, buf, sleeper, why, wlen);
}

/* ---- bad requests ------------------------------------------------------ */

struct bad {
	const char *file;
	const char *fmt;	/* %1$d: our pid, %2$lx: end of user space, %3$lx: + 4K */
	int err;
	bool nul;		/* append "\0 va=0x1000" (an embedded NUL) */
	size_t pad;		/* pad with spaces to this many bytes */
};

#define B(f, s, e) { .file = (f), .fmt = (s), .err = (e) }

/* Request lines that must be refused, each on the file named. */
static const struct bad bad_requests[] = {
	B("records", " \n", EINVAL),
	B("records", "pid", EINVAL),
	B("records", "pid=", EINVAL),
	B("records", "pid=%1$d foo=1", EINVAL),
	B("records", "pid=%1$d coalesce=1", EINVAL),
	B("records", "PID=%1$d", EINVAL),
	B("records", "range=0x1000-0x2000", EINVAL),
	{ .file = "records", .fmt = "pid=%1$d", .err = EINVAL, .nul = true },
	{ .file = "records", .fmt = "pid=%1$d", .err = EINVAL, .pad = PTSCOPE_REQ_MAX },
	{ .file = "records", .fmt = "pid=%1$d", .err = EINVAL, .pad = 4096 },
	{ .file = "walk", .fmt = "pid=%1$d", .err = EINVAL, .pad = PTSCOPE_REQ_MAX + 1 },
	B("records", "pid=-1", EINVAL),
	B("records", "pid=-%1$d", EINVAL),
	B("records", "pid=+%1$d", EINVAL),
	B("records", "pid=0x+%1$x", EINVAL),
	B("records", "pid=0", EINVAL),
	B("records", "pid=0x", EINVAL),
	B("records", "pid=0xg", EINVAL),
	B("records", "pid=%1$dabc", EINVAL),
	B("records", "pid=%1$d.0", EINVAL),
	B("records", "pid=4194305", EINVAL),
	B("records", "pid=18446744073709551616", EINVAL),
	B("records", "pid=99999999999999999999999999", EINVAL),
	B("records", "pid=%1$d va=0x10000000000000000", EINVAL),
	B("records", "pid=%1$d va=0x+1000", EINVAL),
	B("records", "pid=%1$d va=+4096", EINVAL),
	B("records", "pid=%1$d va=-4096", EINVAL),
	B("records", "pid=%1$d range=0x1000", EINVAL),
	B("records", "pid=%1$d range=-0x1000", EINVAL),
	B("records", "pid=%1$d range=0x1000-", EINVAL),
	B("records", "pid=%1$d range=0x1000-0x2000-0x3000", EINVAL),
	B("records", "pid=%1$d range=+0x1000-0x2000", EINVAL),
	B("records", "pid=%1$d va=0x1000 range=0-0x2000", EINVAL),
	B("records", "pid=%1$d va=0x1000 coalesce", EINVAL),
	B("records", "pid=%1$d va=0x1000 op=walk", EINVAL),
	B("records", "pid=%1$d op=translate", EINVAL),
	B("records", "pid=%1$d op=ptcost range=0-0x1000", EINVAL),
	B("records", "pid=%1$d op=ptcost coalesce", EINVAL),
	B("records", "pid=%1$d op=ptcost va=0x1000", EINVAL),
	B("records", "pid=%1$d op=", EINVAL),
	B("records", "pid=%1$d op=bogus", EINVAL),
	B("records", "pid=%1$d op=WALK", EINVAL),
	B("records", "pid=%1$d range=0x2000-0x1000", ERANGE),
	B("records", "pid=%1$d range=0x1000-0x1000", ERANGE),
	B("records", "pid=%1$d range=0x1800-0x1000", ERANGE),
	B("records", "pid=%1$d range=0-0x%3$lx", ERANGE),		/* end beyond */
	B("records", "pid=%1$d range=0x%2$lx-0x%3$lx", ERANGE),	/* start at end */
	B("records", "pid=%1$d range=0x%3$lx-0xffffffffffffffff", ERANGE),
	B("records", "pid=%1$d va=0x%2$lx", ERANGE),			/* va == end */
	B("records", "pid=%1$d va=0x%3$lx", ERANGE),
	B("records", "pid=%1$d va=0xffffffffffffffff", ERANGE),
	B("records", "pid=4194304", ESRCH),				/* > pid_max */
	B("records", "pid=2", ENXIO),
	B("walk", "pid=%1$d op=translate va=0x1000", EINVAL),
	B("walk", "pid=%1$d va=0x1000", EINVAL),
	B("walk", "pid=%1$d op=ptcost", EINVAL),
	B("translate", "pid=%1$d", EINVAL),
	B("translate", "pid=%1$d op=walk", EINVAL),
	B("translate", "pid=%1$d va=0x1000 range=0-0x2000", EINVAL),
	B("translate", "pid=%1$d va=0x%2$lx", ERANGE),
	B("ptcost", "pid=%1$d va=0x1000", EINVAL),
	B("ptcost", "pid=%1$d range=0-0x1000", EINVAL),
	B("ptcost", "pid=%1$d coalesce", EINVAL),
	B("ptcost", "pid=%1$d op=translate", EINVAL),
	B("ptcost", "pid=2", ENXIO),
	/* the view is the file's on debugfs; the device takes op= and format= */
	B("records", "pid=%1$d format=text", EINVAL),
	B("walk", "pid=%1$d format=records", EINVAL),
	B("records", "op=version", EINVAL),
	B("records", "op=faults", EINVAL),
	B("records", "op=track pid=%1$d", EINVAL),
	B("device", "format=binary pid=%1$d", EINVAL),
	B("device", "format= pid=%1$d", EINVAL),
	B("device", "format=text format=records pid=%1$d", EINVAL),
	B("device", "op=walk op=walk pid=%1$d", EINVAL),
	B("device", "op=version pid=%1$d", EINVAL),
	B("device", "op=version format=text", EINVAL),
	B("device", "op=faults range=0-0x1000", EINVAL),
	B("device", "op=track", EINVAL),
	B("device", "op=track pid=%1$d format=records", EINVAL),
	B("device", "op=untrack pid=%1$d va=0x1000", EINVAL),
	B("device", "op=track pid=0", EINVAL),
	B("device", "op=untrack pid=%1$d", ENOENT),	/* not tracked */
	B("device", "op=track pid=2", ENXIO),
	B("device", "op=track pid=4194304", ESRCH),
	B("device", "pid=%1$d op=translate", EINVAL),
	B("device", "format=records pid=%1$d range=0x2000-0x1000", ERANGE),
	B("device", "op=ptcost pid=2", ENXIO),
};

/* The bytes of request B, in BUF; their count. */
static size_t bad_line(const struct bad *b, char *buf, size_t len)
{
	size_t n = snprintf(buf, len, b->fmt, getpid(), task_size(), task_size() + PAGE);

	if (b->pad) {
		memset(buf + n, ' ', b->pad - n);
		n = b->pad;
		buf[n] = '\0';
	}
	if (b->nul) {
		memcpy(buf + n, "\0 va=0x1000", 11);
		n += 11;
	}
	return n;
}

/*
 * For each bad request: make a good request on the same file, read a few
 * bytes of its answer, send the bad one (it must fail with the documented
 * errno), then read the rest: the whole answer must still be the good
 * one.  Then a new good request on the same file must work.
 */
TEST(bad_input_changes_nothing)
{
	static const char *const files[] = { "records", "walk", "translate", "ptcost",
					     "device" };
	int fds[5], f, i, err, nbad = 0;
	size_t cap = 1 << 20, len;
	char *buf = malloc(cap + 1);
	struct pml_child sleeper;
	char line[8192], good[256], why[512];

	if (access(PTSCOPE_DEBUGFS_DIR "/records", F_OK))
		SKIP(return, "ptscope module not loaded");
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, pml_spawn_sleeper(&sleeper));
	for (f = 0; f < 5; f++) {
		fds[f] = open_file(files[f]);
		ASSERT_LE(0, fds[f]) TH_LOG("open %s: %s", files[f], strerror(errno));
	}
	for (i = 0; i < (int)ARRAY_SIZE(bad_requests); i++) {
		const struct bad *b = &bad_requests[i];
		size_t blen;
		int fd;

		for (f = 0; strcmp(files[f], b->file); f++)
			;
		fd = fds[f];
		blen = bad_line(b, line, sizeof(line));

		/* A good request, partly read. */
		good_request(b->file, sleeper.pid, good, sizeof(good));
		ASSERT_EQ(0, req(fd, good)) TH_LOG("%s: '%s'", b->file, good);
		len = read(fd, buf, 7);
		ASSERT_EQ(7, len);

		/* The bad one. */
		err = req_len(fd, line, blen);
		if (err != -b->err) {
			nbad++;
			TH_LOG("%s: '%.80s'%s (%zu bytes): %s, want %s", b->file, line,
			       b->nul ? " + NUL" : "", blen, err ? strerror(-err) : "accepted",
			       strerror(b->err));
		}

		/* The rest of the good answer, unchanged. */
		len = 7 + drain(fd, buf + 7, cap - 7, &err);
		EXPECT_EQ(0, err) TH_LOG("%s: reading on after '%s': %s", b->file, line,
					 strerror(err));
		EXPECT_EQ(0, check_answer(b->file, sleeper.pid, buf, len, why, sizeof(why)))
			TH_LOG("%s: after '%s': %s", b->file, line, why);

		/* And the file still takes a good request. */
		ASSERT_EQ(0, req(fd, good));
		len = drain(fd, buf, cap, &err);
		EXPECT_EQ(0, err);
		EXPECT_EQ(0, check_answer(b->file, sleeper.pid, buf, len, why, sizeof(why)))
			TH_LOG("%s: new request after '%s': %s", b->file, line, why);
	}
	EXPECT_EQ(0, nbad);
	for (f = 0; f < 5; f++)
		close(fds[f]);
	pml_child_stop(&sleeper);
	free(buf);
}

/* The accepted side of the same rules: what must work. */
TEST(good_input_variants)
{
	static const char *const ok[] = {
		"pid=%1$d va=0x%3$lx\n",			/* trailing newline */
		"\tpid=%1$d\tva=0x%3$lx\t",			/* tabs */
		"va=0x%3$lx pid=%1$d",				/* any order */
		"pid=0x%1$x va=0x%3$lx",			/* hex pid */
		"pid=0X%1$X va=0X%3$lX",			/* upper-case hex */
		"pid=%1$d va=%4$lu",				/* decimal va */
		"pid=%1$d va=0x%3$lx op=translate",		/* explicit op */
		"pid=%1$d op=translate va=0x%3$lx",
	};
	char line[512], *buf = malloc(1 << 16), why[512];
	size_t len;
	int fd, i, err;

	if (access(PTSCOPE_DEBUGFS_DIR "/records", F_OK))
		SKIP(return, "ptscope module not loaded");
	ASSERT_NE(NULL, buf);
	fd = open_file("records");
	ASSERT_LE(0, fd);
	for (i = 0; i < (int)ARRAY_SIZE(ok); i++) {
		snprintf(line, sizeof(line), ok[i], getpid(), task_size(), probe_va(),
			 probe_va());
		EXPECT_EQ(0, req(fd, line)) TH_LOG("'%s' refused", line);
		len = drain(fd, buf, 1 << 16, &err);
		EXPECT_EQ(0, err);
		EXPECT_EQ(0, check_xlate_stream(buf, len, why, sizeof(why)))
			TH_LOG("'%s': %s", line, why);
	}

	/* The longest request (255 bytes) is taken, 256 and more are not. */
	len = snprintf(line, sizeof(line), "pid=%d va=0x%lx", getpid(), probe_va());
	memset(line + len, ' ', sizeof(line) - len);
	EXPECT_EQ(0, req_len(fd, line, PTSCOPE_REQ_MAX - 1));
	len = drain(fd, buf, 1 << 16, &err);
	EXPECT_EQ(0, check_xlate_stream(buf, len, why, sizeof(why))) TH_LOG("%s", why);
	EXPECT_EQ(-EINVAL, req_len(fd, line, PTSCOPE_REQ_MAX));
	EXPECT_EQ(-EINVAL, req_len(fd, line, sizeof(line)));

	/* A range ending exactly at the end of user space is fine. */
	snprintf(line, sizeof(line), "pid=%d range=0x%lx-0x%lx", getpid(),
		 task_size() - PAGE, task_size());
	EXPECT_EQ(0, req(fd, line));
	/* and so is the last user address (no VMA there) */
	snprintf(line, sizeof(line), "pid=%d va=0x%lx", getpid(), task_size() - 1);
	EXPECT_EQ(0, req(fd, line));
	len = drain(fd, buf, 1 << 16, &err);
	EXPECT_EQ(0, err);

	/*
	 * A leading zero is decimal, never octal (the ABI has no octal):
	 * either refused, or taken as our own decimal pid.
	 */
	snprintf(line, sizeof(line), "pid=0%d va=0x%lx", getpid(), probe_va());
	err = req(fd, line);
	if (err) {
		EXPECT_EQ(-EINVAL, err);
	} else {
		len = drain(fd, buf, 1 << 16, &err);
		EXPECT_EQ(0, check_xlate_stream(buf, len, why, sizeof(why)))
			TH_LOG("'%s' was not read as decimal: %s", line, why);
	}
	close(fd);
	free(buf);
}

/* ---- reading ----------------------------------------------------------- */

TEST(read_before_request)
{
	char buf[4096];
	ssize_t n;
	int fd;

	if (access(PTSCOPE_DEBUGFS_DIR "/records", F_OK))
		SKIP(return, "ptscope module not loaded");
	fd = open_file("records");
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, read(fd, buf, sizeof(buf)));
	EXPECT_EQ(ENODATA, errno);
	/* a refused request leaves it so */
	EXPECT_EQ(-EINVAL, req(fd, "pid=1 bogus"));
	EXPECT_EQ(-1, read(fd, buf, sizeof(buf)));
	EXPECT_EQ(ENODATA, errno);
	/* not seekable */
	EXPECT_EQ(-1, lseek(fd, 0, SEEK_SET));
	EXPECT_EQ(ESPIPE, errno);
	EXPECT_EQ(-1, pread(fd, buf, 16, 0));
	EXPECT_EQ(ESPIPE, errno);
	close(fd);

	/* The text files answer with a usage reminder. */
	fd = open_file("walk");
	ASSERT_LE(0, fd);
	n = read(fd, buf, sizeof(buf) - 1);
	ASSERT_LT(0, n);
	buf[n] = '\0';
	EXPECT_NE(NULL, strstr(buf, "pid=")) TH_LOG("usage text: %s", buf);
	close(fd);
}

/* ---- targets that cannot be read --------------------------------------- */

/* The errno of a request for PID on FILE (0 if taken). */
static int request_errno(const char *file, const char *fmt, pid_t pid)
{
	char line[128];
	int fd, ret;

	fd = open_file(file);
	if (fd < 0)
		return -errno;
	snprintf(line, sizeof(line), fmt, pid);
	ret = req(fd, line);
	close(fd);
	return ret;
}

static void expect_all_ops(struct __test_metadata *_metadata, pid_t pid, int err)
{
	EXPECT_EQ(err, request_errno("records", "pid=%d", pid));
	EXPECT_EQ(err, request_errno("records", "pid=%d va=0x400000", pid));
	EXPECT_EQ(err, request_errno("records", "pid=%d op=ptcost", pid));
	EXPECT_EQ(err, request_errno("walk", "pid=%d", pid));
	EXPECT_EQ(err, request_errno("translate", "pid=%d va=0x400000", pid));
	EXPECT_EQ(err, request_errno("ptcost", "pid=%d", pid));
}

TEST(esrch_no_such_process)
{
	pid_t pid;

	if (access(PTSCOPE_DEBUGFS_DIR "/records", F_OK))
		SKIP(return, "ptscope module not loaded");
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(0);
	ASSERT_EQ(pid, waitpid(pid, NULL, 0));
	/* (reaped: the pid is free, and not reused this soon) */
	expect_all_ops(_metadata, pid, -ESRCH);
	EXPECT_EQ(-ESRCH, request_errno("records", "pid=%d", 4194304));
}

TEST(esrch_zombie)
{
	siginfo_t si;
	char path[64], state[256];
	pid_t pid;

	if (access(PTSCOPE_DEBUGFS_DIR "/records", F_OK))
		SKIP(return, "ptscope module not loaded");
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(0);
	/* Wait for it to exit without reaping it. */
	memset(&si, 0, sizeof(si));
	ASSERT_EQ(0, waitid(P_PID, pid, &si, WEXITED | WNOWAIT));
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	ASSERT_EQ(0, pml_read_str(path, state, sizeof(state)));
	ASSERT_NE(NULL, strstr(state, ") Z ")) TH_LOG("not a zombie: %s", state);
	expect_all_ops(_metadata, pid, -ESRCH);
	waitpid(pid, NULL, 0);
}

TEST(enxio_kernel_thread)
{
	char stat[512], *p;
	unsigned long flags = 0;

	if (access(PTSCOPE_DEBUGFS_DIR "/records", F_OK))
		SKIP(return, "ptscope module not loaded");
	/* PID 2 is kthreadd: PF_KTHREAD (0x00200000) in field 9 of stat. */
	ASSERT_EQ(0, pml_read_str("/proc/2/stat", stat, sizeof(stat)));
	p = strrchr(stat, ')');
	ASSERT_NE(NULL, p);
	ASSERT_EQ(1, sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %lu", &flags));
	ASSERT_TRUE(flags & 0x00200000) TH_LOG("PID 2 is not a kernel thread: %s", stat);
	expect_all_ops(_metadata, 2, -ENXIO);
}

/* ---- capabilities and uids --------------------------------------------- */

static int drop_caps(const int *caps, int n)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];
	int i;

	if (syscall(SYS_capget, &h, d))
		return -errno;
	for (i = 0; i < n; i++) {
		d[caps[i] / 32].effective &= ~(1U << (caps[i] % 32));
		d[caps[i] / 32].permitted &= ~(1U << (caps[i] % 32));
		d[caps[i] / 32].inheritable &= ~(1U << (caps[i] % 32));
	}
	return syscall(SYS_capset, &h, d) ? -errno : 0;
}

/* Results a child hands back: errno per step (0 = it worked), -1000 unset. */
struct verdict {
	int v[8];
};

static struct verdict *verdict_new(void)
{
	struct verdict *v = mmap(NULL, sizeof(*v), PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int i;

	if (v == MAP_FAILED)
		return NULL;
	for (i = 0; i < 8; i++)
		v->v[i] = -1000;
	return v;
}

static int run_child(void (*fn)(struct verdict *v, pid_t arg), struct verdict *v,
		     pid_t arg)
{
	int st;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		fn(v, arg);
		_exit(0);
	}
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/*
 * Without CAP_SYS_ADMIN: opening fails with EPERM; a file opened before
 * dropping it refuses requests with EPERM.
 */
static void no_sys_admin(struct verdict *v, pid_t self)
{
	static const int caps[] = { CAP_SYS_ADMIN };
	int fd = open_file("records"), fd2;
	char line[64];

	v->v[0] = fd < 0 ? errno : 0;
	v->v[1] = -drop_caps(caps, 1);
	fd2 = open_file("records");
	v->v[2] = fd2 < 0 ? errno : 0;
	fd2 = open_file("walk");
	v->v[3] = fd2 < 0 ? errno : 0;
	snprintf(line, sizeof(line), "pid=%d va=0x%lx", self, probe_va());
	v->v[4] = -req(fd, line);
	fd2 = open(PTSCOPE_DEBUGFS_DIR "/version", O_RDONLY);
	v->v[5] = fd2 < 0 ? errno : 0;
}

TEST(eperm_without_cap_sys_admin)
{
	struct verdict *v = verdict_new();

	if (access(PTSCOPE_DEBUGFS_DIR "/records", F_OK))
		SKIP(return, "ptscope module not loaded");
	ASSERT_NE(NULL, v);
	ASSERT_EQ(0, run_child(no_sys_admin, v, getpid()));
	EXPECT_EQ(0, v->v[0]) TH_LOG("open as root: %s", strerror(v->v[0]));
	ASSERT_EQ(0, v->v[1]) TH_LOG("capset: %s", strerror(v->v[1]));
	EXPECT_EQ(EPERM, v->v[2]) TH_LOG("open records without CAP_SYS_ADMIN: %s",
					 strerror(v->v[2]));
	EXPECT_EQ(EPERM, v->v[3]) TH_LOG("open walk: %s", strerror(v->v[3]));
	EXPECT_EQ(EPERM, v->v[4]) TH_LOG("request on a file opened before: %s",
					 strerror(v->v[4]));
	EXPECT_EQ(EPERM, v->v[5]) TH_LOG("open version: %s", strerror(v->v[5]));
	munmap(v, sizeof(*v));
}

/* A process of uid/gid NOBODY, dumpable, sleeping. */
static pid_t spawn_nobody(void)
{
	int p[2];
	char c;
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (setgid(NOBODY) || setuid(NOBODY))
			_exit(1);
		/* Dumpable, so only the uid check can deny access. */
		prctl(PR_SET_DUMPABLE, 1);
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

/*
 * CAP_SYS_ADMIN without CAP_SYS_PTRACE: a process of another uid is
 * refused with EACCES where the kernel's pagemap refuses it (ptrace read
 * check), while our own still works.
 */
static void no_sys_ptrace(struct verdict *v, pid_t target)
{
	static const int caps[] = { CAP_SYS_PTRACE };
	char line[64];
	int fd;

	v->v[0] = -drop_caps(caps, 1);
	fd = open_file("records");
	v->v[1] = fd < 0 ? errno : 0;
	snprintf(line, sizeof(line), "pid=%d", target);
	v->v[2] = -req(fd, line);
	snprintf(line, sizeof(line), "pid=%d va=0x400000", target);
	v->v[3] = -req(fd, line);
	snprintf(line, sizeof(line), "pid=%d", getpid());
	v->v[4] = -req(fd, line);
	v->v[5] = -request_errno("ptcost", "pid=%d", target);
	/* The kernel's own answer to the same credentials. */
	snprintf(line, sizeof(line), "/proc/%d/pagemap", target);
	fd = open(line, O_RDONLY);
	v->v[6] = fd < 0 ? (errno == EPERM ? EACCES : errno) : 0;
	if (fd >= 0)
		close(fd);
}

TEST(eacces_ptrace_read)
{
	struct verdict *v = verdict_new();
	pid_t target;

	if (access(PTSCOPE_DEBUGFS_DIR "/records", F_OK))
		SKIP(return, "ptscope module not loaded");
	ASSERT_NE(NULL, v);
	target = spawn_nobody();
	ASSERT_LT(0, target);
	/* With every capability, the same target is readable. */
	EXPECT_EQ(0, request_errno("records", "pid=%d", target));
	ASSERT_EQ(0, run_child(no_sys_ptrace, v, target));
	ASSERT_EQ(0, v->v[0]) TH_LOG("capset: %s", strerror(v->v[0]));
	EXPECT_EQ(0, v->v[1]);
	/*
	 * What the kernel's pagemap answers: EACCES on 6.x; 7.x lets
	 * CAP_SYS_ADMIN read any mm (security.rst).
	 */
	EXPECT_EQ(v->v[6], v->v[2]) TH_LOG("walk of uid %d: %s, the kernel's pagemap: %s",
					   NOBODY, strerror(v->v[2]), strerror(v->v[6]));
	EXPECT_EQ(v->v[6], v->v[3]) TH_LOG("translate: %s", strerror(v->v[3]));
	EXPECT_EQ(0, v->v[4]) TH_LOG("walk of itself: %s", strerror(v->v[4]));
	EXPECT_EQ(v->v[6], v->v[5]) TH_LOG("ptcost: %s", strerror(v->v[5]));
	kill(target, SIGKILL);
	waitpid(target, NULL, 0);
	munmap(v, sizeof(*v));
}

/*
 * An unprivileged uid: the files cannot be opened.  debugfs is mounted
 * 0700, so the VFS refuses with EACCES before the module is asked (EPERM
 * would come from the module's CAP_SYS_ADMIN check).  A file root opened
 * before dropping to that uid refuses requests with EPERM.
 */
static void unprivileged(struct verdict *v, pid_t self)
{
	char line[64];
	int fd = open_file("records"), fd2;

	v->v[0] = fd < 0 ? errno : 0;
	if (setgid(NOBODY) || setuid(NOBODY)) {
		v->v[1] = errno;
		return;
	}
	v->v[1] = 0;
	fd2 = open_file("records");
	v->v[2] = fd2 < 0 ? errno : 0;
	fd2 = open_file("walk");
	v->v[3] = fd2 < 0 ? errno : 0;
	fd2 = open(PTSCOPE_DEBUGFS_DIR "/version", O_RDONLY);
	v->v[4] = fd2 < 0 ? errno : 0;
	snprintf(line, sizeof(line), "pid=%d", self);
	v->v[5] = -req(fd, line);
}

TEST(unprivileged_user)
{
	struct verdict *v = verdict_new();
	int i;

	if (access(PTSCOPE_DEBUGFS_DIR "/records", F_OK))
		SKIP(return, "ptscope module not loaded");
	ASSERT_NE(NULL, v);
	ASSERT_EQ(0, run_child(unprivileged, v, getpid()));
	EXPECT_EQ(0, v->v[0]);
	ASSERT_EQ(0, v->v[1]) TH_LOG("setuid: %s", strerror(v->v[1]));
	for (i = 2; i <= 4; i++) {
		static const char *const names[] = { "", "", "records", "walk", "version" };

		EXPECT_TRUE(v->v[i] == EACCES || v->v[i] == EPERM)
			TH_LOG("open %s as uid %d: %s", names[i], NOBODY,
			       v->v[i] ? strerror(v->v[i]) : "it worked");
		if (v->v[i] == EACCES || v->v[i] == EPERM)
			TH_LOG("open %s as uid %d: %s", names[i], NOBODY,
			       v->v[i] == EACCES ? "EACCES (debugfs directory 0700)" :
			       "EPERM (module: no CAP_SYS_ADMIN)");
	}
	EXPECT_EQ(EPERM, v->v[5]) TH_LOG("request on root's file as uid %d: %s",
					 NOBODY, strerror(v->v[5]));
	munmap(v, sizeof(*v));
}

TEST_HARNESS_MAIN
