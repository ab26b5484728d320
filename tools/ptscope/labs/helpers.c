// SPDX-License-Identifier: GPL-2.0
/*
 * ptscope lab: shared helpers: fault counters, ptscope's walk,
 * translate and ptcost, and small readers of the system's files.
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

/* ---- fault counters ----------------------------------------------------- */

static int read_stat_faults(pid_t pid, long long *minflt, long long *majflt)
{
	char path[64], buf[1024], *p;
	int ret = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')) &&
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %lld %*u %lld",
		   minflt, majflt) == 2)
		ret = 0;
	fclose(f);
	return ret;
}

/* Leaves of one walk shown as evidence; the rest are counted. */
#define EV_LEAVES	32

/* --verbose: the counters of PID, and what changed since the last reading. */
static void ev_faults(struct lab_ctx *c, pid_t pid, const struct lab_faults *f,
		      bool module)
{
	struct lab_seen_faults *s = NULL;
	char buf[160];
	unsigned int i;

	if (!c->verbose)
		return;
	for (i = 0; i < c->nseen; i++)
		if (c->seen[i].pid == pid)
			s = &c->seen[i];
	if (s) {
		struct lab_faults before, d;

		memcpy(before.v, s->v, sizeof(before.v));
		lab_faults_sub(f, &before, &d);
		lab_vnote(c, "faults of pid %d since its last reading: %s; %lld not-present, "
			  "%lld protection (%s: minor %lld, major %lld)", pid,
			  lab_faults_str(&d, buf, sizeof(buf)),
			  d.v[PTSCOPE_FC_NOT_PRESENT], d.v[PTSCOPE_FC_PROTECTION],
			  module ? "module's counters" : "/proc/PID/stat",
			  f->v[PTSCOPE_FC_MINOR], f->v[PTSCOPE_FC_MAJOR]);
	} else {
		lab_vnote(c, "fault counters of pid %d (%s): minor %lld, major %lld", pid,
			  module ? "module's counters" : "/proc/PID/stat",
			  f->v[PTSCOPE_FC_MINOR], f->v[PTSCOPE_FC_MAJOR]);
		if (c->nseen >= sizeof(c->seen) / sizeof(c->seen[0]))
			return;
		s = &c->seen[c->nseen++];
		s->pid = pid;
	}
	memcpy(s->v, f->v, sizeof(s->v));
}

int lab_faults(struct lab_ctx *c, struct lab_child *ch, struct lab_faults *f)
{
	pid_t pid = ch->pid < 0 ? -ch->pid : ch->pid;
	struct pts_faults pf;
	int i, ret;

	memset(f, 0, sizeof(*f));
	if (ch->tracked) {
		ret = pts_faults_read(pid, &pf);
		if (!ret) {
			for (i = 0; i < PTSCOPE_NR_FAULT_COUNTERS; i++)
				f->v[i] = (long long)pf.count[i];
			if (pf.exited)
				ch->tracked = false;	/* dropped by the module now */
			ev_faults(c, pid, f, true);
			return 0;
		}
		ch->tracked = false;
	}
	if (read_stat_faults(pid, &f->v[PTSCOPE_FC_MINOR], &f->v[PTSCOPE_FC_MAJOR]))
		return lab_fail(c, "fault counts of pid %d: not tracked and no /proc stat", pid);
	f->v[PTSCOPE_FC_FAULTS] = f->v[PTSCOPE_FC_MINOR] + f->v[PTSCOPE_FC_MAJOR];
	ev_faults(c, pid, f, false);
	return 0;
}

void lab_faults_sub(const struct lab_faults *after, const struct lab_faults *before,
		    struct lab_faults *d)
{
	int i;

	for (i = 0; i < PTSCOPE_NR_FAULT_COUNTERS; i++)
		d->v[i] = after->v[i] - before->v[i];
}

json_object *lab_faults_json(const struct lab_faults *d)
{
	static const int keys[] = {
		PTSCOPE_FC_FAULTS, PTSCOPE_FC_MINOR, PTSCOPE_FC_MAJOR,
		PTSCOPE_FC_READ, PTSCOPE_FC_WRITE, PTSCOPE_FC_NOT_PRESENT,
		PTSCOPE_FC_PROTECTION, PTSCOPE_FC_VMA_ANON, PTSCOPE_FC_VMA_FILE,
		PTSCOPE_FC_VMA_SHMEM,
	};
	json_object *o = json_object_new_object();
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		jset(o, pts_fault_counter_name(keys[i]),
		     json_object_new_int64(d->v[keys[i]]));
	return o;
}

const char *lab_faults_str(const struct lab_faults *d, char *buf, size_t len)
{
	snprintf(buf, len, "%lld fault%s (%lld minor, %lld major; %lld read, %lld write)",
		 d->v[PTSCOPE_FC_FAULTS], d->v[PTSCOPE_FC_FAULTS] == 1 ? "" : "s",
		 d->v[PTSCOPE_FC_MINOR], d->v[PTSCOPE_FC_MAJOR],
		 d->v[PTSCOPE_FC_READ], d->v[PTSCOPE_FC_WRITE]);
	return buf;
}

/* ---- ptscope sessions --------------------------------------------------- */

static int session(struct lab_ctx *c, struct pts_session *s, const char *what,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int session(struct lab_ctx *c, struct pts_session *s, const char *what,
		   const char *fmt, ...)
{
	char req[PTSCOPE_REQ_MAX];
	va_list ap;
	int ret;

	va_start(ap, fmt);
	vsnprintf(req, sizeof(req), fmt, ap);
	va_end(ap);
	ret = pts_open(s, "records");
	if (ret)
		return lab_fail(c, "%s: %s", what, pts_strerror(ret));
	ret = pts_request(s, "%s", req);
	if (ret) {
		pts_close(s);
		if (ret == -ERANGE)
			return -ERANGE;
		/* lockdown confidentiality refuses the kernel half */
		if (ret == -EPERM && !strncmp(req, "kernel", 6))
			return -EPERM;
		return lab_fail(c, "%s (%s): %s", what, req, pts_strerror(ret));
	}
	return 0;
}

static int take_header(struct lab_ctx *c, struct pts_session *s,
		       struct ptscope_header *h, const char *what)
{
	const struct ptscope_rec_hdr *r;
	int ret = pts_next(s, &r);

	if (ret <= 0 || r->type != PTSCOPE_REC_HEADER || r->size < sizeof(*h))
		return lab_fail(c, "%s: no header from the module (%s)", what,
				ret < 0 ? pts_strerror(ret) : "malformed stream");
	memcpy(h, r, sizeof(*h));
	if (h->magic != PTSCOPE_MAGIC || h->abi_version != PTSCOPE_ABI_VERSION)
		return lab_fail(c, "%s: module ABI mismatch", what);
	return 0;
}

int lab_walk(struct lab_ctx *c, pid_t pid, uint64_t start, uint64_t end,
	     struct lab_walk *w)
{
	const struct ptscope_rec_hdr *r;
	struct pts_session s;
	size_t cap_v = 0, cap_l = 0;
	bool have_end = false;
	int ret;

	memset(w, 0, sizeof(*w));
	if (pid == LAB_PID_KERNEL)
		ret = session(c, &s, "walk", "kernel coalesce");
	else if (start < end)
		ret = session(c, &s, "walk", "pid=%d range=0x%llx-0x%llx", pid,
			      (unsigned long long)start, (unsigned long long)end);
	else
		ret = session(c, &s, "walk", "pid=%d", pid);
	if (ret == -EPERM && pid == LAB_PID_KERNEL)
		return -EPERM;
	if (ret)
		return ret == -ERANGE ? lab_fail(c, "walk: range outside user space") : -1;
	if (take_header(c, &s, &w->hdr, "walk")) {
		pts_close(&s);
		return -1;
	}
	while ((ret = pts_next(&s, &r)) > 0) {
		if (r->type == PTSCOPE_REC_VMA && r->size >= sizeof(struct ptscope_vma)) {
			if (w->nvmas == cap_v) {
				cap_v = cap_v ? 2 * cap_v : 16;
				w->vmas = realloc(w->vmas, cap_v * sizeof(*w->vmas));
			}
			if (!w->vmas)
				break;
			memcpy(&w->vmas[w->nvmas++], r, sizeof(*w->vmas));
		} else if (r->type == PTSCOPE_REC_LEAF &&
			   r->size >= sizeof(struct ptscope_leaf)) {
			if (w->nleaves == cap_l) {
				cap_l = cap_l ? 2 * cap_l : 256;
				w->leaves = realloc(w->leaves, cap_l * sizeof(*w->leaves));
			}
			if (!w->leaves)
				break;
			memcpy(&w->leaves[w->nleaves++], r, sizeof(*w->leaves));
		} else if (r->type == PTSCOPE_REC_END) {
			have_end = true;
		}
	}
	pts_close(&s);
	if ((cap_v && !w->vmas) || (cap_l && !w->leaves)) {
		lab_walk_free(w);
		return lab_fail(c, "walk: out of memory");
	}
	if (ret < 0 || !have_end) {
		lab_walk_free(w);
		return lab_fail(c, "walk of pid %d: %s", pid,
				ret < 0 ? pts_strerror(ret) : "the walk was cut short");
	}
	if (c->verbose) {
		char buf[320];
		size_t i;

		if (pid == LAB_PID_KERNEL)
			lab_vnote(c, "walk of the kernel half, coalesced: %zu line%s",
				  w->nleaves, w->nleaves == 1 ? "" : "s");
		else if (start < end)
			lab_vnote(c, "walk of pid %d, 0x%llx-0x%llx: %zu leaf entr%s", pid,
				  (unsigned long long)start, (unsigned long long)end,
				  w->nleaves, w->nleaves == 1 ? "y" : "ies");
		else
			lab_vnote(c, "walk of pid %d, whole address space: %zu leaf entr%s",
				  pid, w->nleaves, w->nleaves == 1 ? "y" : "ies");
		for (i = 0; i < w->nleaves && i < EV_LEAVES; i++)
			lab_vnote(c, "%s", lab_leaf_str(&w->leaves[i], buf, sizeof(buf)));
		if (w->nleaves > EV_LEAVES)
			lab_vnote(c, "... %zu more leaf entries, the last: %s",
				  w->nleaves - EV_LEAVES,
				  lab_leaf_str(&w->leaves[w->nleaves - 1], buf, sizeof(buf)));
	}
	return 0;
}

void lab_walk_free(struct lab_walk *w)
{
	free(w->vmas);
	free(w->leaves);
	w->vmas = NULL;
	w->leaves = NULL;
	w->nvmas = w->nleaves = 0;
}

const struct ptscope_vma *lab_walk_vma(const struct lab_walk *w, uint64_t va)
{
	const struct ptscope_vma *v = NULL;
	size_t i;

	for (i = 0; i < w->nvmas; i++)
		if (w->vmas[i].start <= va && va < w->vmas[i].end)
			v = &w->vmas[i];
	return v;
}

void lab_expand(const struct lab_walk *w, uint64_t start, size_t npages,
		struct lab_page *out)
{
	uint64_t end = start + npages * LAB_PAGE;
	size_t i;

	memset(out, 0, npages * sizeof(*out));
	for (i = 0; i < w->nleaves; i++) {
		const struct ptscope_leaf *l = &w->leaves[i];
		uint64_t size = pts_level_size(l->level);
		uint64_t lend = l->va + size * (l->count ? l->count : 1);
		uint64_t va, s = l->va > start ? l->va : start;

		if (lend <= start || l->va >= end)
			continue;
		for (va = s & ~(LAB_PAGE - 1); va < lend && va < end; va += LAB_PAGE) {
			struct lab_page *p = &out[(va - start) / LAB_PAGE];
			uint64_t idx = (va - l->va) / size;	/* entry in the run */

			p->leaf = l;
			p->mapped = true;
			p->flags = l->flags;
			p->level = l->level;
			p->mapcount = l->mapcount;
			p->present = l->flags & PTSCOPE_F_PRESENT ||
				     l->flags & PTSCOPE_F_PROTNONE;
			p->swap = l->flags & PTSCOPE_F_SWAP;
			if (l->flags & PTSCOPE_F_PFN_VALID)
				p->pfn = l->pfn + (va - l->va) / LAB_PAGE;
			if (p->swap) {
				p->swap_type = l->swap_type;
				p->swap_offset = l->swap_offset + idx;
			}
		}
	}
}

int lab_pages(struct lab_ctx *c, pid_t pid, uint64_t start, size_t npages,
	      struct lab_page *out, struct ptscope_header *hdr)
{
	struct lab_walk w;

	if (lab_walk(c, pid, start, start + npages * LAB_PAGE, &w))
		return -1;
	lab_expand(&w, start, npages, out);
	if (hdr)
		*hdr = w.hdr;
	/* the leaf pointers die with the walk */
	{
		size_t i;

		for (i = 0; i < npages; i++)
			out[i].leaf = NULL;
	}
	lab_walk_free(&w);
	return 0;
}

size_t lab_count_present(const struct lab_page *p, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		k += p[i].present;
	return k;
}

size_t lab_count_swap(const struct lab_page *p, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		k += p[i].swap;
	return k;
}

size_t lab_count_any(const struct lab_page *p, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		k += p[i].mapped;
	return k;
}

int lab_translate(struct lab_ctx *c, pid_t pid, uint64_t va, struct lab_xlate *x)
{
	const struct ptscope_rec_hdr *r;
	struct pts_session s;
	bool have_x = false;
	int ret;

	memset(x, 0, sizeof(*x));
	ret = session(c, &s, "translate", "pid=%d va=0x%llx", pid,
		      (unsigned long long)va);
	if (ret)
		return ret;
	if (take_header(c, &s, &x->hdr, "translate")) {
		pts_close(&s);
		return -1;
	}
	while ((ret = pts_next(&s, &r)) > 0) {
		if (r->type == PTSCOPE_REC_LEVEL &&
		    r->size >= sizeof(struct ptscope_xlate_level) &&
		    x->nlv < PTSCOPE_NR_LEVELS)
			memcpy(&x->lv[x->nlv++], r, sizeof(x->lv[0]));
		else if (r->type == PTSCOPE_REC_XLATE &&
			 r->size >= sizeof(struct ptscope_xlate)) {
			memcpy(&x->x, r, sizeof(x->x));
			have_x = true;
		}
	}
	pts_close(&s);
	if (ret < 0 || !have_x)
		return lab_fail(c, "translate 0x%llx of pid %d: %s",
				(unsigned long long)va, pid,
				ret < 0 ? pts_strerror(ret) : "no result record");
	if (c->verbose) {
		char path[256] = "", buf[320];
		size_t n = 0;
		int i;

		for (i = 0; i < x->nlv && n < sizeof(path); i++)
			if (!x->lv[i].folded)
				n += snprintf(path + n, sizeof(path) - n, "%s[%u] ",
					      pts_level_name(x->lv[i].level), x->lv[i].index);
		if (x->x.stop == PTSCOPE_STOP_OK)
			lab_vnote(c, "translate pid %d 0x%llx: %s-> pa 0x%llx; leaf %s", pid,
				  (unsigned long long)va, path, (unsigned long long)x->x.pa,
				  lab_leaf_str(&x->x.leaf, buf, sizeof(buf)));
		else
			lab_vnote(c, "translate pid %d 0x%llx: %s-> stops at the %s level, "
				  "entry 0x%016llx", pid, (unsigned long long)va, path,
				  pts_level_name(x->x.stop_level),
				  (unsigned long long)x->x.leaf.entry);
	}
	return 0;
}

int lab_ptcost(struct lab_ctx *c, pid_t pid, struct ptscope_cost *cost,
	       struct ptscope_header *hdr)
{
	const struct ptscope_rec_hdr *r;
	struct ptscope_header h;
	struct pts_session s;
	bool have = false;
	int ret;

	if (session(c, &s, "ptcost", "pid=%d op=ptcost", pid))
		return -1;
	if (take_header(c, &s, &h, "ptcost")) {
		pts_close(&s);
		return -1;
	}
	while ((ret = pts_next(&s, &r)) > 0)
		if (r->type == PTSCOPE_REC_COST && r->size >= sizeof(*cost)) {
			memcpy(cost, r, sizeof(*cost));
			have = true;
		}
	pts_close(&s);
	if (ret < 0 || !have)
		return lab_fail(c, "ptcost of pid %d: %s", pid,
				ret < 0 ? pts_strerror(ret) : "no cost record");
	if (hdr)
		*hdr = h;
	if (c->verbose) {
		char t[160] = "";
		size_t n = 0;
		int i;

		for (i = PTSCOPE_NR_LEVELS - 1; i >= 0 && n < sizeof(t); i--)
			n += snprintf(t + n, sizeof(t) - n, "%s%s %llu", n ? ", " : "",
				      pts_level_name(i), (unsigned long long)cost->tables[i]);
		lab_vnote(c, "ptcost of pid %d: table pages %s; top level %llu page%s, "
			  "%llu deposited; VmPTE %llu bytes", pid, t,
			  (unsigned long long)cost->pgd_pages, cost->pgd_pages == 1 ? "" : "s",
			  (unsigned long long)cost->deposited,
			  (unsigned long long)cost->pgtables_bytes);
	}
	return 0;
}

json_object *lab_leaf_json(const struct ptscope_leaf *l)
{
	json_object *o = json_object_new_object();

	jset(o, "va", cli_json_hex(l->va));
	jset(o, "level", json_object_new_string(pts_level_name(l->level)));
	jset(o, "entry", cli_json_hex(l->entry));
	if (l->flags & PTSCOPE_F_PFN_VALID)
		jset(o, "pfn", cli_json_hex(l->pfn));
	jset(o, "flags", cli_json_flags(l->flags & ~PTSCOPE_F_PFN_VALID));
	if (l->flags & PTSCOPE_F_SWAP) {
		jset(o, "swap_type", json_object_new_int(l->swap_type));
		jset(o, "swap_offset", cli_json_hex(l->swap_offset));
	}
	if (l->flags & PTSCOPE_F_PFN_VALID)
		jset(o, "mapcount", json_object_new_int64(l->mapcount));
	return o;
}

const char *lab_leaf_str(const struct ptscope_leaf *l, char *buf, size_t len)
{
	char fl[512], extra[64] = "";

	pts_flags_str(l->flags & ~PTSCOPE_F_PFN_VALID, fl, sizeof(fl));
	if (l->flags & PTSCOPE_F_SWAP)
		snprintf(extra, sizeof(extra), " swap=%u:0x%llx", l->swap_type,
			 (unsigned long long)l->swap_offset);
	else if (l->flags & PTSCOPE_F_PFN_VALID)
		snprintf(extra, sizeof(extra), " pfn=0x%llx mapcount=%u",
			 (unsigned long long)l->pfn, l->mapcount);
	snprintf(buf, len, "0x%llx %s entry=0x%016llx%s [%s]",
		 (unsigned long long)l->va, pts_level_name(l->level),
		 (unsigned long long)l->entry, extra, fl);
	return buf;
}

const char *lab_level_str(const struct ptscope_xlate_level *lv, char *buf, size_t len)
{
	char fl[256];

	pts_flags_str(lv->flags & ~PTSCOPE_F_PFN_VALID, fl, sizeof(fl));
	snprintf(buf, len, "%s index %3u table_pa 0x%llx entry_pa 0x%llx entry 0x%016llx%s [%s]",
		 pts_level_name(lv->level), lv->index,
		 (unsigned long long)lv->table_pa, (unsigned long long)lv->entry_pa,
		 (unsigned long long)lv->entry, lv->folded ? " (folded)" : "", fl);
	return buf;
}

/* ---- the system ------------------------------------------------------- */

int lab_read_str(const char *path, char *buf, size_t len)
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
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

int lab_write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n, len = strlen(s);

	if (fd < 0)
		return -errno;
	n = write(fd, s, len);
	if (n != len) {
		int err = n < 0 ? errno : EIO;

		close(fd);
		return -err;
	}
	return close(fd) ? -errno : 0;
}

long long lab_read_ll(const char *path)
{
	char buf[64];

	if (lab_read_str(path, buf, sizeof(buf)))
		return -1;
	return strtoll(buf, NULL, 0);
}

int lab_sysfs_choice(const char *path, char *buf, size_t len)
{
	char raw[256], *a, *b;
	int ret = lab_read_str(path, raw, sizeof(raw));

	if (ret)
		return ret;
	a = strchr(raw, '[');
	b = a ? strchr(a, ']') : NULL;
	if (!a || !b)
		return -EINVAL;
	*b = '\0';
	snprintf(buf, len, "%s", a + 1);
	return 0;
}

long long lab_proc_kb(pid_t pid, const char *file, const char *key)
{
	return cli_proc_kb(pid, file, key);
}

int lab_ncpus(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set))
		return 1;
	return CPU_COUNT(&set);
}

long lab_cached_pages(int fd, uint64_t len)
{
	size_t n = (len + LAB_PAGE - 1) / LAB_PAGE, i;
	unsigned char *vec;
	long k = 0;
	void *p;

	p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -1;
	vec = malloc(n);
	if (!vec || mincore(p, len, vec)) {
		free(vec);
		munmap(p, len);
		return -1;
	}
	for (i = 0; i < n; i++)
		k += vec[i] & 1;
	free(vec);
	munmap(p, len);
	return k;
}


int lab_cold_file(struct lab_ctx *c, uint64_t minlen, char *path, size_t pathlen)
{
	const char *fmts[] = {
		"/boot/vmlinuz-%s", "/boot/initrd.img-%s", "/lib/modules/%s/modules.alias",
		"/lib/modules/%s/modules.symbols", "/boot/System.map-%s",
	};
	size_t i;

	for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		struct stat st;
		int fd;

		snprintf(path, pathlen, fmts[i], c->ver.kernel_release);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (fstat(fd, &st) || !S_ISREG(st.st_mode) || (uint64_t)st.st_size < minlen) {
			close(fd);
			continue;
		}
		posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
		if (lab_cached_pages(fd, minlen) == 0)
			return fd;
		close(fd);
	}
	path[0] = '\0';
	return -1;
}

int lab_run(const char *const argv[])
{
	pid_t pid;
	int st;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd = open("/dev/null", O_RDWR);

		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
		}
		signal(SIGPIPE, SIG_DFL);
		execvp(argv[0], (char *const *)argv);
		if (!strchr(argv[0], '/')) {	/* not in PATH: the usual sbin */
			char p[128];

			snprintf(p, sizeof(p), "/usr/sbin/%s", argv[0]);
			execv(p, (char *const *)argv);
			snprintf(p, sizeof(p), "/sbin/%s", argv[0]);
			execv(p, (char *const *)argv);
		}
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

