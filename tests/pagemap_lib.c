// SPDX-License-Identifier: GPL-2.0
/* pagemap_lib: see pagemap_lib.h. */
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
#include <unistd.h>
#include <linux/kernel-page-flags.h>

#include "libptscope.h"
#include "pagemap_lib.h"

/* ---- kernel oracles --------------------------------------------------- */

static int pread_full(int fd, void *buf, size_t len, off_t off)
{
	char *p = buf;

	while (len) {
		ssize_t n = pread(fd, p, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		p += n;
		len -= n;
		off += n;
	}
	return 0;
}

int pml_pagemap(pid_t pid, unsigned long start, size_t npages, uint64_t *out)
{
	char path[64];
	int fd, ret;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/pagemap");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = pread_full(fd, out, npages * sizeof(*out),
			 (off_t)(start / PML_PAGE) * sizeof(*out));
	close(fd);
	return ret;
}

static int read_u64_at(const char *path, uint64_t index, uint64_t *val)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -errno;
	ret = pread_full(fd, val, sizeof(*val), (off_t)(index * sizeof(*val)));
	close(fd);
	return ret;
}

int pml_kpagecount(uint64_t pfn, uint64_t *count)
{
	return read_u64_at("/proc/kpagecount", pfn, count);
}

int pml_kpageflags(uint64_t pfn, uint64_t *flags)
{
	return read_u64_at("/proc/kpageflags", pfn, flags);
}

static long file_kb(const char *path, const char *key)
{
	size_t klen = strlen(key);
	char line[512];
	long val = -ENOENT;
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			val = strtol(line + klen + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return val;
}

long pml_status_kb(pid_t pid, const char *key)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/status", pid ? pid : getpid());
	return file_kb(path, key);
}

long pml_smaps_rollup_kb(pid_t pid, const char *key)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", pid ? pid : getpid());
	return file_kb(path, key);
}

long pml_smaps_vma_kb(pid_t pid, unsigned long start, const char *key)
{
	size_t klen = strlen(key);
	char path[64], line[512];
	bool in = false;
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/smaps", pid);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long s, e;

		/* a VMA's first line: "start-end perms ..." (a '-' before a ' ') */
		if (sscanf(line, "%lx-%lx ", &s, &e) == 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			in = s == start;
			continue;
		}
		if (in && !strncmp(line, key, klen) && line[klen] == ':') {
			kb = strtol(line + klen + 1, NULL, 10);
			break;
		}
	}
	if (f)
		fclose(f);
	return kb;
}

uint64_t pml_max_pfn(void)
{
	unsigned long long s, e, max = 0;
	char line[256];
	FILE *f;

	f = fopen("/proc/iomem", "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (!strstr(line, "System RAM"))
			continue;
		if (sscanf(line, " %llx-%llx", &s, &e) == 2 && e + 1 > max)
			max = e + 1;
	}
	fclose(f);
	return max / PML_PAGE;
}

int pml_maps(pid_t pid, struct pml_map **maps)
{
	struct pml_map *v = NULL, *m;
	int n = 0, cap = 0;
	char path[64], *line = NULL;
	size_t llen = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid ? pid : getpid());
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (getline(&line, &llen, f) > 0) {
		unsigned int maj, min;
		int off = 0;
		char *name;

		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			m = realloc(v, cap * sizeof(*v));
			if (!m) {
				n = -ENOMEM;
				break;
			}
			v = m;
		}
		m = &v[n];
		memset(m, 0, sizeof(*m));
		if (sscanf(line, "%lx-%lx %4s %lx %x:%x %lu %n", &m->start, &m->end,
			   m->perms, &m->offset, &maj, &min, &m->ino, &off) < 7) {
			n = -EPROTO;
			break;
		}
		name = line + off;
		name[strcspn(name, "\n")] = '\0';
		snprintf(m->name, sizeof(m->name), "%s", name);
		n++;
	}
	free(line);
	fclose(f);
	if (n < 0) {
		free(v);
		return n;
	}
	*maps = v;
	return n;
}

const struct pml_map *pml_maps_find(const struct pml_map *m, int n,
				    unsigned long addr)
{
	int i;

	for (i = 0; i < n; i++)
		if (addr >= m[i].start && addr < m[i].end)
			return &m[i];
	return NULL;
}

int pml_read_str(const char *path, char *buf, size_t len)
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
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

int pml_write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int ret = 0;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	if (n < 0)
		ret = -errno;
	else if ((size_t)n != strlen(s))
		ret = -EIO;
	close(fd);
	return ret;
}

long pml_read_long(const char *path)
{
	char buf[64];
	int ret = pml_read_str(path, buf, sizeof(buf));

	return ret ? ret : strtol(buf, NULL, 10);
}

int pml_sysfs_choice(const char *path, char *buf, size_t len)
{
	char line[256], *a, *b;
	int ret = pml_read_str(path, line, sizeof(line));

	if (ret)
		return ret;
	a = strchr(line, '[');
	b = a ? strchr(a, ']') : NULL;
	if (!b)
		return -EPROTO;
	*b = '\0';
	snprintf(buf, len, "%s", a + 1);
	return 0;
}

int pml_sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	fflush(stdout);
	fflush(stderr);
	st = system(cmd);
	if (st < 0 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/* ---- child targets ---------------------------------------------------- */

static int child_cmd_fd = -1, child_ack_fd = -1;
static pml_child_fn child_fn;
static void *child_arg;

void pml_child_serve(int status)
{
	unsigned char b = status;

	if (write(child_ack_fd, &b, 1) != 1)
		_exit(1);
	for (;;) {
		ssize_t n = read(child_cmd_fd, &b, 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(0);
		b = child_fn(child_arg, b);
		if (write(child_ack_fd, &b, 1) != 1)
			_exit(1);
	}
}

int pml_child_start(struct pml_child *c, pml_child_fn fn, void *arg)
{
	int cmd[2], ack[2];
	unsigned char b;
	ssize_t n;

	c->pid = -1;
	c->cmd_fd = c->ack_fd = -1;
	if (pipe2(cmd, O_CLOEXEC))
		return -errno;
	if (pipe2(ack, O_CLOEXEC)) {
		close(cmd[0]);
		close(cmd[1]);
		return -errno;
	}
	fflush(stdout);
	fflush(stderr);
	c->pid = fork();
	if (c->pid < 0) {
		int err = -errno;

		close(cmd[0]);
		close(cmd[1]);
		close(ack[0]);
		close(ack[1]);
		return err;
	}
	if (c->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(cmd[1]);
		close(ack[0]);
		child_cmd_fd = cmd[0];
		child_ack_fd = ack[1];
		child_fn = fn;
		child_arg = arg;
		pml_child_serve(fn(arg, 0));
	}
	close(cmd[0]);
	close(ack[1]);
	c->cmd_fd = cmd[1];
	c->ack_fd = ack[0];
	do {
		n = read(c->ack_fd, &b, 1);
	} while (n < 0 && errno == EINTR);
	return n == 1 ? b : -ECHILD;
}

int pml_spawn_sleeper(struct pml_child *c)
{
	char path[64], buf[64];
	int i;

	c->cmd_fd = c->ack_fd = -1;
	fflush(stdout);
	fflush(stderr);
	c->pid = fork();
	if (c->pid < 0)
		return -errno;
	if (c->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execl("/bin/sleep", "sleep", "1000", (char *)NULL);
		_exit(127);
	}
	/* /proc/PID/syscall: "230 ..." while blocked in clock_nanosleep. */
	snprintf(path, sizeof(path), "/proc/%d/syscall", c->pid);
	for (i = 0; i < 2000; i++) {
		if (!pml_read_str(path, buf, sizeof(buf)) &&
		    (!strncmp(buf, "230 ", 4) || !strncmp(buf, "35 ", 3)))
			return 0;
		usleep(5000);
	}
	pml_child_stop(c);
	return -ETIMEDOUT;
}

int pml_child_cmd(struct pml_child *c, int cmd)
{
	unsigned char b = cmd;
	ssize_t n;

	if (write(c->cmd_fd, &b, 1) != 1)
		return -EPIPE;
	do {
		n = read(c->ack_fd, &b, 1);
	} while (n < 0 && errno == EINTR);
	return n == 1 ? b : -ECHILD;
}

void pml_child_stop(struct pml_child *c)
{
	if (c->pid > 0) {
		kill(c->pid, SIGKILL);
		waitpid(c->pid, NULL, 0);
	}
	if (c->cmd_fd >= 0)
		close(c->cmd_fd);
	if (c->ack_fd >= 0)
		close(c->ack_fd);
	c->pid = -1;
	c->cmd_fd = c->ack_fd = -1;
}

/* ---- ptscope ---------------------------------------------------------- */

int ptw_verbose = 1;
int ptw_xlate_check_tables = 1;

static uint64_t leaf_bytes(const struct ptscope_leaf *l)
{
	return l->count * pts_level_size(l->level);
}

static int grow(void **p, size_t *cap, size_t n, size_t size)
{
	void *q;

	if (n < *cap)
		return 0;
	*cap = *cap ? 2 * *cap : 256;
	q = realloc(*p, *cap * size);
	if (!q)
		return -ENOMEM;
	*p = q;
	return 0;
}

/* Copy a record of a known type, tolerating a longer (newer) one. */
static void copy_rec(void *dst, size_t size, const struct ptscope_rec_hdr *h)
{
	memset(dst, 0, size);
	memcpy(dst, h, h->size < size ? h->size : size);
}

int (*ptw_open_hook)(struct pts_session *s, int pid, const char *req);

/*
 * A records session for PID and the request keys after "pid=N": through
 * ptw_open_hook when a test set one (the BPF walker), else the module.
 * On failure S can still be given to pts_close().
 */
static int __attribute__((format(printf, 3, 4)))
ptw_session(struct pts_session *s, pid_t pid, const char *fmt, ...)
{
	char req[PTSCOPE_REQ_MAX];
	va_list ap;
	int ret;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	va_start(ap, fmt);
	vsnprintf(req, sizeof(req), fmt, ap);
	va_end(ap);
	if (ptw_open_hook) {
		ret = ptw_open_hook(s, pid, req);
		if (ret) {
			memset(s, 0, sizeof(*s));
			s->fd = -1;
		}
		return ret;
	}
	ret = pts_open(s, "records");
	if (ret) {
		s->fd = -1;
		return ret;
	}
	return pts_request(s, "pid=%d %s", pid, req);
}

int ptw_walk(pid_t pid, unsigned long start, unsigned long end,
	     unsigned int flags, struct ptw_walk *w)
{
	const struct ptscope_rec_hdr *h;
	size_t capv = 0, capl = 0, capi = 0;
	struct pts_session s;
	int ret;

	memset(w, 0, sizeof(*w));
	ret = ptw_session(&s, pid, "range=0x%lx-0x%lx%s%s%s", start, end,
			  flags & PTW_COALESCE ? " coalesce" : "",
			  flags & PTW_COMPACT ? " compact" : "",
			  flags & PTW_FACTS ? " facts" : "");
	if (ret)
		goto out;
	while ((ret = pts_next(&s, &h)) > 0) {
		switch (h->type) {
		case PTSCOPE_REC_HEADER:
			copy_rec(&w->hdr, sizeof(w->hdr), h);
			w->have_hdr = true;
			break;
		case PTSCOPE_REC_VMA:
			if (grow((void **)&w->vmas, &capv, w->nvmas, sizeof(*w->vmas)))
				goto nomem;
			copy_rec(&w->vmas[w->nvmas++], sizeof(*w->vmas), h);
			break;
		case PTSCOPE_REC_LEAF:
			if (grow((void **)&w->leaves, &capl, w->nleaves, sizeof(*w->leaves)) ||
			    grow((void **)&w->leaf_vma, &capi, w->nleaves, sizeof(*w->leaf_vma)))
				goto nomem;
			w->leaf_vma[w->nleaves] = w->nvmas ? w->nvmas - 1 : (size_t)-1;
			copy_rec(&w->leaves[w->nleaves++], sizeof(*w->leaves), h);
			break;
		case PTSCOPE_REC_END:
			copy_rec(&w->end, sizeof(w->end), h);
			w->have_end = true;
			break;
		case PTSCOPE_REC_LAYOUT:
			w->nlayout++;
			break;
		default:
			w->nother++;
			break;
		}
	}
	w->status = ret;
	ret = 0;
	goto out;
nomem:
	ret = -ENOMEM;
out:
	pts_close(&s);
	return ret;
}

void ptw_free(struct ptw_walk *w)
{
	free(w->vmas);
	free(w->leaves);
	free(w->leaf_vma);
	memset(w, 0, sizeof(*w));
}

int ptw_probe_paging_levels(void)
{
	void *hint = (void *)(1UL << 50);
	void *p = mmap(hint, PML_PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int levels;

	if (p == MAP_FAILED)
		return -1;
	levels = (unsigned long)p >= (1UL << 47) ? 5 : 4;
	munmap(p, PML_PAGE);
	return levels;
}

#define FAIL(...) do { snprintf(why, len, __VA_ARGS__); return -1; } while (0)

static int check_header(const struct ptscope_header *h, pid_t pid, uint32_t op,
			char *why, size_t len)
{
	int levels = ptw_probe_paging_levels();
	unsigned long task_size = levels == 5 ? (1UL << 56) - PML_PAGE :
				  (1UL << 47) - PML_PAGE;

	if (h->hdr.size < sizeof(*h))
		FAIL("header record of %u bytes", h->hdr.size);
	if (h->magic != PTSCOPE_MAGIC || h->abi_version != PTSCOPE_ABI_VERSION)
		FAIL("header magic 0x%x abi %u", h->magic, h->abi_version);
	if (h->op != op)
		FAIL("header op %u, want %u", h->op, op);
	if ((pid_t)h->pid != pid)
		FAIL("header pid %u, want %d", h->pid, pid);
	if ((int)h->paging_levels != levels)
		FAIL("header says %u-level paging, the mmap probe %d", h->paging_levels,
		     levels);
	if (h->page_shift != 12)
		FAIL("header page_shift %u", h->page_shift);
	if (h->task_size != task_size)
		FAIL("header task_size 0x%llx, want 0x%lx",
		     (unsigned long long)h->task_size, task_size);
	if (!h->pgd_pa || (h->pgd_pa & (PML_PAGE - 1)))
		FAIL("header pgd_pa 0x%llx", (unsigned long long)h->pgd_pa);
	return 0;
}

int ptw_check(const struct ptw_walk *w, pid_t pid, char *why, size_t len)
{
	uint64_t entries = 0, prev_end = 0;
	size_t i;

	if (!w->have_hdr)
		FAIL("no header record");
	if (check_header(&w->hdr, pid, PTSCOPE_OP_WALK, why, len))
		return -1;
	if (w->status)
		FAIL("stream ended with %s", strerror(-w->status));
	if (!w->have_end)
		FAIL("no END record");
	if (w->end.status)
		FAIL("END status %d", w->end.status);
	for (i = 0; i < w->nvmas; i++) {
		const struct ptscope_vma *v = &w->vmas[i];

		if (v->hdr.size != sizeof(*v))
			FAIL("VMA record of %u bytes", v->hdr.size);
		if (v->start >= v->end || (v->start | v->end) & (PML_PAGE - 1))
			FAIL("VMA record 0x%llx-0x%llx", (unsigned long long)v->start,
			     (unsigned long long)v->end);
		if (v->end <= w->hdr.start || v->start >= w->hdr.end)
			FAIL("VMA 0x%llx-0x%llx outside the range",
			     (unsigned long long)v->start, (unsigned long long)v->end);
		if (!memchr(v->name, '\0', sizeof(v->name)))
			FAIL("VMA name not NUL-terminated");
	}
	for (i = 0; i < w->nleaves; i++) {
		const struct ptscope_leaf *l = &w->leaves[i];
		const struct ptscope_vma *v;
		uint64_t lend = l->va + leaf_bytes(l);

		if (l->hdr.size != sizeof(*l))
			FAIL("leaf record of %u bytes", l->hdr.size);
		if (l->level > PTSCOPE_LVL_PUD || !l->count)
			FAIL("leaf 0x%llx level %u count %llu", (unsigned long long)l->va,
			     l->level, (unsigned long long)l->count);
		if (l->va & (pts_level_size(l->level) - 1))
			FAIL("leaf 0x%llx not aligned to its level", (unsigned long long)l->va);
		if (w->leaf_vma[i] == (size_t)-1)
			FAIL("leaf 0x%llx before any VMA record", (unsigned long long)l->va);
		v = &w->vmas[w->leaf_vma[i]];
		if (l->va < v->start || lend > v->end)
			FAIL("leaf 0x%llx-0x%llx outside its VMA 0x%llx-0x%llx",
			     (unsigned long long)l->va, (unsigned long long)lend,
			     (unsigned long long)v->start, (unsigned long long)v->end);
		if (lend <= w->hdr.start || l->va >= w->hdr.end)
			FAIL("leaf 0x%llx outside the range", (unsigned long long)l->va);
		if (i && l->va < prev_end)
			FAIL("leaf 0x%llx not after the previous one (ends 0x%llx)",
			     (unsigned long long)l->va, (unsigned long long)prev_end);
		prev_end = lend;
		entries += l->count;
	}
	if (w->end.vmas != w->nvmas || w->end.leaves != w->nleaves ||
	    w->end.entries != entries)
		FAIL("END counts %llu vmas %llu leaves %llu entries, received %zu %zu %llu",
		     (unsigned long long)w->end.vmas, (unsigned long long)w->end.leaves,
		     (unsigned long long)w->end.entries, w->nvmas, w->nleaves,
		     (unsigned long long)entries);
	if (w->nother)
		FAIL("%zu records of other types in a walk", w->nother);
	if (w->nlayout != !!(w->hdr.flags & PTSCOPE_REQ_COMPACT))
		FAIL("%zu LAYOUT records in a %scompact walk", w->nlayout,
		     w->hdr.flags & PTSCOPE_REQ_COMPACT ? "" : "non-");
	return 0;
}

void ptw_expand(const struct ptw_walk *w, unsigned long start, size_t npages,
		struct ptw_page *out)
{
	unsigned long end = start + npages * PML_PAGE;
	size_t i;

	for (i = 0; i < npages; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		out[i].leaf = -1;
	}
	for (i = 0; i < w->nleaves; i++) {
		const struct ptscope_leaf *l = &w->leaves[i];
		uint64_t size = pts_level_size(l->level);
		uint64_t lend = l->va + leaf_bytes(l);
		uint64_t va = l->va > start ? l->va : start;

		for (; va < lend && va < end; va += PML_PAGE) {
			struct ptw_page *p = &out[(va - start) / PML_PAGE];
			uint64_t k = (va - l->va) / size;	/* entry in the run */
			uint64_t j = (va - l->va) % size / PML_PAGE;	/* page in the entry */

			p->leaf = i;
			p->level = l->level;
			p->flags = l->flags;
			p->entry = l->entry;
			p->pfn = l->pfn + k * (size / PML_PAGE) + j;
			p->swap_type = l->swap_type;
			p->swap_offset = l->swap_offset + k;
			p->mapcount = l->mapcount;
			p->first = va == l->va;
		}
	}
}

const struct ptscope_vma *ptw_vma_at(const struct ptw_walk *w, unsigned long va)
{
	size_t i;

	for (i = w->nvmas; i > 0; i--)
		if (va >= w->vmas[i - 1].start && va < w->vmas[i - 1].end)
			return &w->vmas[i - 1];
	return NULL;
}

uint64_t ptw_expected_pagemap(const struct ptw_page *p,
			      const struct ptscope_vma *v, uint64_t *mask)
{
	uint64_t exp = 0;
	bool hugetlb = v && v->backing == PTSCOPE_BACK_HUGETLB;

	*mask = PML_PRESENT | PML_SWAP | PML_SOFT_DIRTY | PML_EXCLUSIVE |
		PML_FILE | PML_UFFD_WP | PML_PFN_MASK;
	/* pagemap ORs in the VMA's VM_SOFTDIRTY for every page, even holes. */
	if (v && (v->flags & PTSCOPE_VMA_SOFTDIRTY))
		exp |= PML_SOFT_DIRTY;
	/*
	 * walk_page_range() skips VM_PFNMAP VMAs ([vvar], device memory):
	 * pagemap reports holes there whatever the page tables hold.
	 */
	if (v && (v->backing == PTSCOPE_BACK_PFNMAP || v->backing == PTSCOPE_BACK_VVAR))
		return exp;
	if (p->leaf < 0)
		return exp;
	if (p->flags & PTSCOPE_F_UFFD_WP)
		exp |= PML_UFFD_WP;
	if (!(p->flags & PTW_NONPRESENT)) {
		exp |= PML_PRESENT | p->pfn;
		if (p->flags & PTSCOPE_F_FILE_PAGE)
			exp |= PML_FILE;
		/*
		 * pagemap_pmd_range() sets PM_FILE for any page that is not
		 * anonymous, the huge zero page included (for the small zero
		 * page vm_normal_page() gives no page and no PM_FILE).
		 */
		if ((p->flags & PTSCOPE_F_ZERO_PAGE) && p->level == PTSCOPE_LVL_PMD &&
		    !(p->flags & PTSCOPE_F_SPECIAL))
			exp |= PML_FILE;
		if (p->flags & PTSCOPE_F_EXCLUSIVE)
			exp |= PML_EXCLUSIVE;
		/* pagemap_hugetlb_range() looks at the VMA's soft-dirty only. */
		if ((p->flags & PTSCOPE_F_SOFT_DIRTY) && !hugetlb)
			exp |= PML_SOFT_DIRTY;
		/*
		 * For hugetlb, pagemap's exclusive bit also needs
		 * !hugetlb_pmd_shared(ptep), which looks at the refcount of
		 * the table holding the entry; on 6.12 a PUD table holding a
		 * 1 GiB leaf can have a refcount above 1, and pagemap then
		 * clears the bit for a page mapped once.  The map count itself
		 * is checked against /proc/kpagecount instead.
		 */
		if (hugetlb && p->level == PTSCOPE_LVL_PUD)
			*mask &= ~PML_EXCLUSIVE;
		return exp;
	}
	exp |= PML_SWAP;
	if (p->flags & PTSCOPE_F_SOFT_DIRTY)
		exp |= PML_SOFT_DIRTY;
	if (p->flags & PTSCOPE_F_SWAP) {
		exp |= p->swap_type | (p->swap_offset << 5);
	} else if (p->flags & PTSCOPE_F_PFN_VALID) {
		/* migration/device entries: offset is the pfn, type not shown */
		exp |= p->pfn << 5;
		*mask &= ~(0x1fULL | PML_FILE | PML_EXCLUSIVE);
	} else {
		*mask &= ~PML_PFN_MASK;		/* markers */
	}
	return exp;
}

static void describe_pm(uint64_t e, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s%s%s pfn/swp=0x%llx",
		 e & PML_PRESENT ? "present" : "-",
		 e & PML_SWAP ? ",swap" : "",
		 e & PML_SOFT_DIRTY ? ",sd" : "",
		 e & PML_EXCLUSIVE ? ",excl" : "",
		 e & PML_FILE ? ",file" : "",
		 e & PML_UFFD_WP ? ",uffd-wp" : "",
		 (unsigned long long)pml_pfn(e));
}

long ptw_compare_pagemap(const struct ptw_walk *w, pid_t pid,
			 unsigned long start, size_t npages)
{
	struct ptw_page *pages = calloc(npages, sizeof(*pages));
	uint64_t *pm = calloc(npages, sizeof(*pm));
	long bad = 0;
	size_t i;
	int ret;

	if (!pages || !pm) {
		bad = -ENOMEM;
		goto out;
	}
	ret = pml_pagemap(pid, start, npages, pm);
	if (ret) {
		fprintf(stderr, "# cannot read pagemap of %d: %s\n", pid, strerror(-ret));
		bad = ret;
		goto out;
	}
	ptw_expand(w, start, npages, pages);
	for (i = 0; i < npages; i++) {
		unsigned long va = start + i * PML_PAGE;
		const struct ptscope_vma *v = ptw_vma_at(w, va);
		uint64_t mask, exp = ptw_expected_pagemap(&pages[i], v, &mask);
		char a[128], b[128], f[512];

		if ((pm[i] & mask) == (exp & mask))
			continue;
		if (bad++ >= 5 || !ptw_verbose)
			continue;
		describe_pm(pm[i] & mask, a, sizeof(a));
		describe_pm(exp & mask, b, sizeof(b));
		pts_flags_str(pages[i].flags, f, sizeof(f));
		fprintf(stderr, "# pid %d va 0x%lx: pagemap %s, ptscope implies %s "
			"(leaf %s level %u pfn 0x%llx flags %s)\n", pid, va, a, b,
			pages[i].leaf >= 0 ? "yes" : "none", pages[i].level,
			(unsigned long long)pages[i].pfn, f);
	}
out:
	free(pages);
	free(pm);
	return bad;
}

long ptw_compare_kpagecount(const struct ptw_walk *w, unsigned long start,
			    unsigned long end)
{
	long bad = 0;
	size_t i;
	int fd;

	fd = open("/proc/kpagecount", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (i = 0; i < w->nleaves; i++) {
		const struct ptscope_leaf *l = &w->leaves[i];
		uint64_t count;

		if (l->va >= end || l->va + leaf_bytes(l) <= start)
			continue;
		if (!(l->flags & PTSCOPE_F_PFN_VALID) || (l->flags & PTW_NONPRESENT))
			continue;
		if (pread_full(fd, &count, sizeof(count), l->pfn * sizeof(count))) {
			bad = -EIO;
			break;
		}
		if (count == l->mapcount)
			continue;
		if (bad++ < 5 && ptw_verbose)
			fprintf(stderr, "# va 0x%llx pfn 0x%llx: mapcount %u, kpagecount %llu\n",
				(unsigned long long)l->va, (unsigned long long)l->pfn,
				l->mapcount, (unsigned long long)count);
	}
	close(fd);
	return bad;
}

/* /proc/kpageflags through a window of 512 entries (a 1G folio is 262144). */
struct kpf_window {
	int fd;
	uint64_t base, n;
	uint64_t f[512];
};

static int kpf_get(struct kpf_window *k, uint64_t pfn, uint64_t *flags)
{
	ssize_t got;

	if (pfn < k->base || pfn >= k->base + k->n) {
		k->base = pfn & ~511ULL;
		got = pread(k->fd, k->f, sizeof(k->f), (off_t)(k->base * 8));
		if (got < 8)
			return -EIO;
		k->n = (uint64_t)got / 8;
		if (pfn >= k->base + k->n)
			return -EIO;
	}
	*flags = k->f[pfn - k->base];
	return 0;
}

#define KPF_BIT(n)	(1ULL << (n))
#define KPF_HEAD_BIT	KPF_BIT(15)	/* KPF_COMPOUND_HEAD */
#define KPF_TAIL_BIT	KPF_BIT(16)	/* KPF_COMPOUND_TAIL */

/*
 * The folio of PFN as /proc/kpageflags tells it: the head is the last
 * frame at or below PFN that is not a compound tail, and the folio runs
 * while the frames after it are tails.
 */
static int kpf_folio(struct kpf_window *k, uint64_t pfn, uint64_t *head,
		     uint64_t *pages)
{
	uint64_t f, h = pfn, n = 1;

	for (;;) {
		if (kpf_get(k, h, &f))
			return -EIO;
		if (!(f & KPF_TAIL_BIT))
			break;
		if (!h || pfn - h > (1ULL << 20))
			return -ERANGE;
		h--;
	}
	if (f & KPF_HEAD_BIT) {
		while (!kpf_get(k, h + n, &f) && (f & KPF_TAIL_BIT) &&
		       !(f & KPF_HEAD_BIT) && n <= (1ULL << 20))
			n++;
	}
	*head = h;
	*pages = n;
	return 0;
}

int pml_kpf_folios(const uint64_t *pfns, size_t n, uint64_t *head, uint64_t *pages)
{
	struct kpf_window k = { .n = 0 };
	int ret = 0;
	size_t i;

	k.fd = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
	if (k.fd < 0)
		return -errno;
	for (i = 0; i < n && !ret; i++)
		ret = kpf_folio(&k, pfns[i], &head[i], &pages[i]);
	close(k.fd);
	return ret;
}

long ptw_compare_folios(const struct ptw_walk *w, unsigned long start,
			unsigned long end, long *nr_folio)
{
	struct kpf_window k = { .n = 0 };
	long bad = 0, seen = 0;
	size_t i;

	k.fd = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
	if (k.fd < 0)
		return -errno;
	for (i = 0; i < w->nleaves; i++) {
		const struct ptscope_leaf *l = &w->leaves[i];
		uint64_t head = 0, pages = 0, lpages = (uint64_t)1 << l->folio_order;
		const char *why = NULL;

		if (l->va >= end || l->va + leaf_bytes(l) <= start)
			continue;
		if (!(l->flags & PTSCOPE_F_PRESENT) && !(l->flags & PTSCOPE_F_PROTNONE))
			continue;
		if (!(l->flags & PTSCOPE_F_FOLIO)) {
			if (l->flags & (PTSCOPE_F_ANON_PAGE | PTSCOPE_F_FILE_PAGE |
					PTSCOPE_F_ZERO_PAGE))
				why = "a page the kernel manages without a folio";
			else
				continue;
		} else if (kpf_folio(&k, l->pfn, &head, &pages)) {
			bad = -EIO;
			break;
		} else if (head != l->folio_pfn || pages != lpages) {
			why = "folio differs from kpageflags'";
		} else if (l->pfn - head >= pages) {
			why = "frame outside its folio";
		}
		seen++;
		if (!why)
			continue;
		if (bad++ < 5 && ptw_verbose)
			fprintf(stderr, "# va 0x%llx pfn 0x%llx: %s: folio 0x%llx x %llu pages, "
				"kpageflags 0x%llx x %llu\n", (unsigned long long)l->va,
				(unsigned long long)l->pfn, why,
				(unsigned long long)l->folio_pfn, (unsigned long long)lpages,
				(unsigned long long)head, (unsigned long long)pages);
	}
	close(k.fd);
	if (nr_folio)
		*nr_folio = seen;
	return bad;
}

unsigned int ptw_backing_from_maps(const struct pml_map *m)
{
	if (!strcmp(m->name, "[heap]"))
		return PTSCOPE_BACK_HEAP;
	if (!strcmp(m->name, "[stack]"))
		return PTSCOPE_BACK_STACK;
	if (!strcmp(m->name, "[vdso]"))
		return PTSCOPE_BACK_VDSO;
	if (!strncmp(m->name, "[vvar", 5))
		return PTSCOPE_BACK_VVAR;
	if (!m->name[0] && !m->ino)
		return PTSCOPE_BACK_ANON;
	return 0;
}

int ptw_compare_vma(const struct ptscope_vma *v, const struct pml_map *m,
		    char *why, size_t len)
{
	unsigned int backing = ptw_backing_from_maps(m);
	char perms[5];

	if (v->start != m->start || v->end != m->end)
		FAIL("VMA 0x%llx-0x%llx, maps 0x%lx-0x%lx", (unsigned long long)v->start,
		     (unsigned long long)v->end, m->start, m->end);
	pts_vma_perm(v, perms);
	if (strcmp(perms, m->perms))
		FAIL("VMA 0x%lx perms %s, maps %s", m->start, perms, m->perms);
	if (v->ino != m->ino)
		FAIL("VMA 0x%lx inode %llu, maps %lu", m->start,
		     (unsigned long long)v->ino, m->ino);
	if (m->ino && v->pgoff * PML_PAGE != m->offset)
		FAIL("VMA 0x%lx pgoff 0x%llx, maps offset 0x%lx", m->start,
		     (unsigned long long)v->pgoff, m->offset);
	if (strncmp(m->name, "[anon:", 6) && strncmp(m->name, "[anon_shmem:", 12) &&
	    strcmp(v->name, m->name))
		FAIL("VMA 0x%lx name '%s', maps '%s'", m->start, v->name, m->name);
	if (backing && v->backing != backing)
		FAIL("VMA 0x%lx (%s) backing %s, maps implies %s", m->start, m->name,
		     pts_backing_name(v->backing), pts_backing_name(backing));
	if (!backing && v->backing != PTSCOPE_BACK_FILE &&
	    v->backing != PTSCOPE_BACK_SHMEM && v->backing != PTSCOPE_BACK_HUGETLB &&
	    v->backing != PTSCOPE_BACK_PFNMAP && v->backing != PTSCOPE_BACK_SPECIAL)
		FAIL("VMA 0x%lx (%s) backing %s", m->start, m->name,
		     pts_backing_name(v->backing));
	return 0;
}

int ptw_translate(pid_t pid, unsigned long va, struct ptw_xlate *x)
{
	const struct ptscope_rec_hdr *h;
	struct pts_session s;
	int ret;

	memset(x, 0, sizeof(*x));
	ret = ptw_session(&s, pid, "va=0x%lx", va);
	if (ret)
		goto out;
	while ((ret = pts_next(&s, &h)) > 0) {
		switch (h->type) {
		case PTSCOPE_REC_HEADER:
			copy_rec(&x->hdr, sizeof(x->hdr), h);
			x->have_hdr = true;
			break;
		case PTSCOPE_REC_LEVEL:
			if (x->nlv >= PTSCOPE_NR_LEVELS) {
				ret = -EPROTO;
				goto out;
			}
			copy_rec(&x->lv[x->nlv++], sizeof(x->lv[0]), h);
			break;
		case PTSCOPE_REC_XLATE:
			copy_rec(&x->x, sizeof(x->x), h);
			x->have_x = true;
			break;
		default:
			x->nother++;
			break;
		}
	}
out:
	pts_close(&s);
	return ret;
}

#define ENTRY_FRAME_MASK	0x000ffffffffff000ULL

int ptw_check_xlate(const struct ptw_xlate *x, pid_t pid, unsigned long va,
		    char *why, size_t len)
{
	int levels, i;

	if (!x->have_hdr)
		FAIL("translate: no header");
	if (check_header(&x->hdr, pid, PTSCOPE_OP_TRANSLATE, why, len))
		return -1;
	levels = x->hdr.paging_levels;
	if (!x->have_x)
		FAIL("translate 0x%lx: no XLATE record", va);
	if (x->x.va != va)
		FAIL("translate 0x%lx: XLATE va 0x%llx", va, (unsigned long long)x->x.va);
	if (x->x.stop == PTSCOPE_STOP_NO_VMA) {
		if (x->nlv)
			FAIL("translate 0x%lx: no-vma after %d levels", va, x->nlv);
		return 0;
	}
	if (x->nlv < 1)
		FAIL("translate 0x%lx: no LEVEL records", va);
	for (i = 0; i < x->nlv; i++) {
		const struct ptscope_xlate_level *l = &x->lv[i];
		unsigned int want = PTSCOPE_LVL_PGD - i;
		unsigned int shift = PTSCOPE_LEVEL_SHIFT(l->level);
		uint64_t index, table;

		if (l->level != want)
			FAIL("translate 0x%lx: step %d is level %u, want %u", va, i,
			     l->level, want);
		if (levels == 4 && l->level >= PTSCOPE_LVL_P4D)
			shift = PTSCOPE_LEVEL_SHIFT(PTSCOPE_LVL_P4D);
		index = (va >> shift) & 511;
		if (l->index != index)
			FAIL("translate 0x%lx: %s index %u, want %llu", va,
			     pts_level_name(l->level), l->index, (unsigned long long)index);
		if (!!l->folded != (levels == 4 && l->level == PTSCOPE_LVL_P4D))
			FAIL("translate 0x%lx: %s folded=%u with %d-level paging", va,
			     pts_level_name(l->level), l->folded, levels);
		/*
		 * With page-table isolation the CPU walks the user copy of the
		 * top level (the page after the kernel copy) in user mode: the
		 * step reports that one, and the kernel copy beside it, which
		 * differs at most in NX.  No other step has two copies.
		 */
		if (i == 0 && x->hdr.user_pgd_pa) {
			if (!(l->xflags & PTSCOPE_XLATE_PTI_USER))
				FAIL("translate 0x%lx: PTI is on but the pgd step is not the user copy",
				     va);
			if ((l->entry | (1ULL << 63)) != (l->kernel_entry | (1ULL << 63)))
				FAIL("translate 0x%lx: PTI user pgd entry 0x%llx, kernel copy 0x%llx",
				     va, (unsigned long long)l->entry,
				     (unsigned long long)l->kernel_entry);
		} else if (l->xflags & PTSCOPE_XLATE_PTI_USER) {
			FAIL("translate 0x%lx: %s step claims a PTI user copy", va,
			     pts_level_name(l->level));
		}
		/* Hardware bit names only for what the MMU reads as present. */
		if (!(l->entry & 1) && !(l->entry & (1ULL << 8)) &&
		    !(l->level != PTSCOPE_LVL_PTE && (l->entry & (1ULL << 7))) && l->flags)
			FAIL("translate 0x%lx: non-present %s entry 0x%llx decoded as %s", va,
			     pts_level_name(l->level), (unsigned long long)l->entry,
			     pts_flags_str(l->flags, (char[256]){ 0 }, 256));
		if (i == 0)
			table = x->hdr.user_pgd_pa ? x->hdr.user_pgd_pa : x->hdr.pgd_pa;
		else if (l->folded)
			table = x->lv[i - 1].table_pa;
		else
			table = x->lv[i - 1].entry & ENTRY_FRAME_MASK;
		if (l->table_pa != table)
			FAIL("translate 0x%lx: %s table_pa 0x%llx, want 0x%llx", va,
			     pts_level_name(l->level), (unsigned long long)l->table_pa,
			     (unsigned long long)table);
		if (l->folded && l->entry != x->lv[i - 1].entry)
			FAIL("translate 0x%lx: folded p4d entry differs from the pgd's", va);
		if (l->entry_pa != l->table_pa + 8 * index)
			FAIL("translate 0x%lx: %s entry_pa 0x%llx", va,
			     pts_level_name(l->level), (unsigned long long)l->entry_pa);
		if (l->level <= PTSCOPE_LVL_PMD && ptw_xlate_check_tables) {
			uint64_t kf = 0;

			if (pml_kpageflags(l->table_pa / PML_PAGE, &kf))
				FAIL("cannot read /proc/kpageflags");
			if (!(kf & (1ULL << KPF_PGTABLE)))
				FAIL("translate 0x%lx: %s table at 0x%llx is not a page-table page (kpageflags 0x%llx)",
				     va, pts_level_name(l->level),
				     (unsigned long long)l->table_pa,
				     (unsigned long long)kf);
		}
	}
	if (x->x.stop_level != x->lv[x->nlv - 1].level)
		FAIL("translate 0x%lx: stop_level %u, last step %u", va, x->x.stop_level,
		     x->lv[x->nlv - 1].level);
	if (x->x.stop == PTSCOPE_STOP_EMPTY) {
		if (x->lv[x->nlv - 1].entry)
			FAIL("translate 0x%lx: empty stop on entry 0x%llx", va,
			     (unsigned long long)x->lv[x->nlv - 1].entry);
		return 0;
	}
	if (x->x.leaf.entry != x->lv[x->nlv - 1].entry)
		FAIL("translate 0x%lx: leaf entry 0x%llx, last step 0x%llx", va,
		     (unsigned long long)x->x.leaf.entry,
		     (unsigned long long)x->lv[x->nlv - 1].entry);
	if (x->x.leaf.level != x->x.stop_level)
		FAIL("translate 0x%lx: leaf level %u", va, x->x.leaf.level);
	if (x->x.stop == PTSCOPE_STOP_OK) {
		uint64_t size = pts_level_size(x->x.leaf.level);
		uint64_t pa = (x->x.leaf.pfn << 12) | (va & (size - 1));

		if (x->x.pa != pa)
			FAIL("translate 0x%lx: pa 0x%llx, leaf implies 0x%llx", va,
			     (unsigned long long)x->x.pa, (unsigned long long)pa);
	}
	if (x->nother)
		FAIL("translate: %zu unexpected records", x->nother);
	return 0;
}

int ptw_ptcost(pid_t pid, struct ptscope_cost *c, struct ptscope_end *end)
{
	const struct ptscope_rec_hdr *h;
	struct pts_session s;
	int ret, have = 0;

	memset(c, 0, sizeof(*c));
	if (end)
		memset(end, 0, sizeof(*end));
	ret = ptw_session(&s, pid, "op=ptcost");
	if (ret)
		goto out;
	while ((ret = pts_next(&s, &h)) > 0) {
		if (h->type == PTSCOPE_REC_COST) {
			copy_rec(c, sizeof(*c), h);
			have |= 1;
		} else if (h->type == PTSCOPE_REC_END) {
			if (end)
				copy_rec(end, sizeof(*end), h);
			have |= 2;
		}
	}
	if (!ret && have != 3)
		ret = -EPROTO;
out:
	pts_close(&s);
	return ret;
}

int pml_pti_enabled(void)
{
	char line[4096];
	int on = -1;
	FILE *f = fopen("/proc/cpuinfo", "re");

	if (!f)
		return -1;
	while (on < 0 && fgets(line, sizeof(line), f))
		if (!strncmp(line, "flags", 5))
			on = strstr(line, " pti ") || strstr(line, " pti\n");
	fclose(f);
	return on;
}

int pml_wait_blocked_read(pid_t pid, int fd, int timeout_ms)
{
	char path[64], line[256], want[32];
	int i, f;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/syscall", pid);
	/* "<nr> <arg0> ...": read is system call 0 on x86-64. */
	snprintf(want, sizeof(want), "0 0x%x ", fd);
	for (i = 0; i < timeout_ms; i++) {
		f = open(path, O_RDONLY | O_CLOEXEC);
		if (f < 0)
			return -errno;
		n = read(f, line, sizeof(line) - 1);
		close(f);
		if (n > 0) {
			line[n] = '\0';
			if (!strncmp(line, want, strlen(want)))
				return 0;
		}
		usleep(1000);
	}
	return -ETIMEDOUT;
}
