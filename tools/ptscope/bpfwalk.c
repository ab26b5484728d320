// SPDX-License-Identifier: GPL-2.0
/*
 * bpfwalk.c: walk, translate and ptcost without the module, through a
 * BPF task_vma iterator (tools/bpf/ptwalk.bpf.c).  The session yields the
 * module's record stream (include/uapi/linux/ptscope.h): the BPF side
 * reports raw entries, tables and a few struct page facts; the entries
 * are decoded here the way module/walk.c decodes them.  See
 * Documentation/bpfwalk.rst for what this path guarantees and what not.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "cli.h"
#include "faultclass.h"
#include "ptwalk.h"
#include "ptwalk.skel.h"

/* x86 entry bits (arch/x86/include/asm/pgtable_types.h). */
#define E_PRESENT	(1ULL << 0)
#define E_RW		(1ULL << 1)
#define E_USER		(1ULL << 2)
#define E_PWT		(1ULL << 3)
#define E_PCD		(1ULL << 4)
#define E_ACCESSED	(1ULL << 5)
#define E_DIRTY		(1ULL << 6)
#define E_PSE		(1ULL << 7)	/* PAT on a PTE */
#define E_GLOBAL	(1ULL << 8)	/* PROT_NONE when not present */
#define E_SPECIAL	(1ULL << 9)
#define E_UFFD		(1ULL << 10)
#define E_SOFT_DIRTY	(1ULL << 11)
#define E_PAT_LARGE	(1ULL << 12)
#define E_NX		(1ULL << 63)
#define E_PFN_MASK	0x000ffffffffff000ULL
/* Swap entries keep these beside type and offset. */
#define E_SWP_SOFT_DIRTY E_RW
#define E_SWP_UFFD	E_USER
#define E_SWP_EXCLUSIVE	E_PWT

#define VMF_READ	0x1UL
#define VMF_WRITE	0x2UL
#define VMF_EXEC	0x4UL
#define VMF_MAYSHARE	0x80UL
#define VMF_PFNMAP	0x400UL
#define VMF_LOCKED	0x2000UL
#define VMF_IO		0x4000UL
#define VMF_HUGETLB	0x400000UL
#define VMF_SOFTDIRTY	0x8000000UL
#define VMF_HUGEPAGE	0x20000000UL
#define VMF_NOHUGEPAGE	0x40000000UL

/* How this kernel lays out its non-swap "swap" types (include/linux/swap.h). */
struct swp_layout {
	unsigned int max;	/* MAX_SWAPFILES: first non-swap type */
	unsigned int device;	/* SWP_DEVICE_NUM */
	unsigned int marker;	/* type of a PTE marker, 0: none */
	uint64_t marker_mask;
};

struct bw_vma {
	struct ptscope_vma rec;
	uint64_t vm_flags;
	bool anon;		/* vma_is_anonymous(): no vm_ops */
	bool uffd;
};

struct bpfwalk {
	struct ptwalk_bpf *skel;
	struct bpf_link *link;
	int pid, pidfd, pagemap_fd;
	uint32_t op, reqflags;
	uint64_t start, end, va;
	char comm[16];
	/* the machine */
	int levels;
	uint64_t pgd_pa, task_size, zero_pfn;
	bool pti, shstk;
	/*
	 * Software bits that moved: devmap is bit 58 before 6.6, then 57
	 * (gone in 6.17); SavedDirty (6.6) is bit 58.  0: none.
	 */
	uint64_t devmap, saved_dirty;
	bool no_mapcount;	/* large folios' map counts unreadable here */
	struct swp_layout swp;
	/* the program's globals kept across runs (see run()) */
	uint64_t last_vm_start, last_vm_end, last_table[PTSCOPE_NR_LEVELS];
	uint32_t params_sent;
	/* progress */
	bool header_done, walk_done, trailer_done;
	uint64_t resume;
	int stuck;
	struct bw_vma vma;
	bool have_vma;
	struct ptscope_leaf run;
	bool have_run;
	struct ptscope_cost cost;
	struct ptscope_end totals;
	/* output not yet read */
	char *out;
	size_t len, off, cap;
	/* one iterator run */
	char *in;
	size_t in_len, in_cap;
	/* /proc/PID/maps names */
	char *maps;
};

/* What this machine is, found once per process. */
static struct {
	bool pti, shstk, no_mapcount;
	uint64_t devmap, saved_dirty, zero_pfn;
	struct swp_layout swp;
} machine;
static pthread_once_t machine_once = PTHREAD_ONCE_INIT;
/*
 * One loaded program serves every walk of the process (loading, through
 * the verifier, costs far more than a walk); its globals hold one run's
 * state, so runs take turns, each with its session's state.
 */
static struct ptwalk_bpf *shared_skel;
static pthread_mutex_t skel_lock = PTHREAD_MUTEX_INITIALIZER;

/* ---- the machine -------------------------------------------------------- */

static int kernel_version(void)
{
	struct utsname u;
	int a = 0, b = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &a, &b) != 2)
		return 0;
	return a * 100 + b;
}

static bool file_has(const char *path, const char *word)
{
	char buf[4096];
	bool found = false;
	FILE *f = fopen(path, "r");

	if (!f)
		return false;
	while (!found && fgets(buf, sizeof(buf), f))
		found = strstr(buf, word) != NULL;
	fclose(f);
	return found;
}

/*
 * Is FLAG among the CPU flags of /proc/cpuinfo?  "pti" is
 * X86_FEATURE_PTI, which the module reads: on with pti=on even where the
 * CPU is not affected by Meltdown (whose status file then says so).
 */
static bool cpu_flag(const char *flag)
{
	char buf[8192], word[64];
	bool found = false;
	FILE *f = fopen("/proc/cpuinfo", "r");

	if (!f)
		return false;
	snprintf(word, sizeof(word), " %s ", flag);
	while (fgets(buf, sizeof(buf), f)) {
		size_t n = strlen(buf);

		if (strncmp(buf, "flags", 5))
			continue;
		if (n && buf[n - 1] == '\n')
			buf[n - 1] = ' ';
		found = strstr(buf, word) != NULL;
		break;
	}
	fclose(f);
	return found;
}

/* Does the kernel's BTF have function NAME (a config it was built with)? */
static bool btf_has_func(struct btf *btf, const char *name)
{
	return btf && btf__find_by_name_kind(btf, name, BTF_KIND_FUNC) >= 0;
}

/*
 * From the top: a PTE marker (and, before 6.2, a swapin-error entry above
 * it), SWP_DEVICE_NUM device entries (only with CONFIG_DEVICE_PRIVATE:
 * 4 before 6.14, then 3), 3 migration entries, hwpoison: the first of
 * them is MAX_SWAPFILES.
 */
/* Has struct NAME a member MEMBER in the kernel's BTF? */
static bool btf_has_member(struct btf *btf, const char *name, const char *member)
{
	const struct btf_member *m;
	const struct btf_type *t;
	int id, i;

	if (!btf)
		return false;
	id = btf__find_by_name_kind(btf, name, BTF_KIND_STRUCT);
	if (id < 0)
		return false;
	t = btf__type_by_id(btf, id);
	m = btf_members(t);
	for (i = 0; i < btf_vlen(t); i++, m++) {
		const char *n = btf__name_by_offset(btf, m->name_off);

		if (n && !strcmp(n, member))
			return true;
		/* members of anonymous unions and structs */
		if (n && !*n) {
			const struct btf_type *u = btf__type_by_id(btf, m->type);
			const struct btf_member *um = btf_members(u);
			int j;

			if (!btf_is_composite(u))
				continue;
			for (j = 0; j < btf_vlen(u); j++, um++) {
				const char *un = btf__name_by_offset(btf, um->name_off);

				if (un && !strcmp(un, member))
					return true;
			}
		}
	}
	return false;
}

static void swp_layout(struct bpfwalk *w, struct swp_layout *l, int ver)
{
	struct btf *btf = btf__load_vmlinux_btf();
	bool devpriv = btf_has_func(btf, "make_device_exclusive_range") ||
		       btf_has_func(btf, "make_device_exclusive");
	unsigned int top = 32;

	if (ver < 602)
		top--;		/* SWP_SWAPIN_ERROR */
	l->marker = --top;
	l->marker_mask = ver < 602 ? 0x1 : 0x7;
	l->device = devpriv ? (ver < 614 ? 4 : 3) : 0;
	l->max = top - l->device - 3 - 1;
	/* what page_facts() in ptwalk.bpf.c reads a large folio's count from */
	w->no_mapcount = !btf_has_member(btf, "folio", "_entire_mapcount") &&
			 !btf_has_member(btf, "page", "compound_mapcount");
	btf__free(btf);
}

/* The shared zero page's frame: map it here and ask pagemap. */
static uint64_t find_zero_pfn(void)
{
	volatile char *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t e = 0;
	int fd;

	if (p == MAP_FAILED)
		return 0;
	(void)p[0];
	fd = open("/proc/self/pagemap", O_RDONLY);
	if (fd >= 0) {
		if (pread(fd, &e, sizeof(e), (uintptr_t)p / 4096 * 8) != sizeof(e))
			e = 0;
		close(fd);
	}
	munmap((void *)p, 4096);
	return (e >> 63) ? e & ((1ULL << 55) - 1) : 0;
}

int cli_bpfwalk_possible(const char **why)
{
	if (geteuid()) {
		*why = "the BPF walker needs root (CAP_BPF, CAP_PERFMON and "
		       "CAP_SYS_ADMIN for the task iterator)";
		return -EPERM;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		*why = "this kernel has no BTF (/sys/kernel/btf/vmlinux), which "
		       "the BPF walker needs (CONFIG_DEBUG_INFO_BTF)";
		return -ENOSYS;
	}
	if (file_has("/sys/kernel/security/lockdown", "[confidentiality]")) {
		*why = "the kernel is locked down (confidentiality): it refuses "
		       "BPF reads of kernel memory";
		return -EPERM;
	}
	return 0;
}

/* ---- output ------------------------------------------------------------- */

static int out_rec(struct bpfwalk *w, const void *rec, size_t size)
{
	if (w->len + size > w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 65536;
		char *p;

		while (cap < w->len + size)
			cap *= 2;
		p = realloc(w->out, cap);
		if (!p)
			return -ENOMEM;
		w->out = p;
		w->cap = cap;
	}
	memcpy(w->out + w->len, rec, size);
	w->len += size;
	return 0;
}

/* ---- decoding, as module/walk.c decodes ------------------------------------ */

static uint64_t decode_hw(uint64_t v, int level)
{
	uint64_t f = 0;

	if (v & E_PRESENT)
		f |= PTSCOPE_F_PRESENT;
	if (v & E_RW)
		f |= PTSCOPE_F_RW;
	if (v & E_USER)
		f |= PTSCOPE_F_USER;
	if (v & E_PWT)
		f |= PTSCOPE_F_PWT;
	if (v & E_PCD)
		f |= PTSCOPE_F_PCD;
	if (v & E_ACCESSED)
		f |= PTSCOPE_F_ACCESSED;
	if (v & E_DIRTY)
		f |= PTSCOPE_F_DIRTY;
	if (level == PTSCOPE_LVL_PTE) {
		if (v & E_PSE)
			f |= PTSCOPE_F_PAT;
	} else {
		if (v & E_PSE)
			f |= PTSCOPE_F_PSE;
		if ((v & E_PSE) && (v & E_PAT_LARGE))
			f |= PTSCOPE_F_PAT;
	}
	if ((v & E_GLOBAL) && (v & E_PRESENT))
		f |= PTSCOPE_F_GLOBAL;
	if (v & E_NX)
		f |= PTSCOPE_F_NX;
	return f;
}

static bool leaf_present(uint64_t raw, int level)
{
	uint64_t bits = E_PRESENT | E_GLOBAL;

	if (level != PTSCOPE_LVL_PTE)
		bits |= E_PSE;
	return raw & bits;
}

/* pte_pfn(), pmd_pfn(), pud_pfn(): a non-present frame is inverted (L1TF). */
static uint64_t entry_pfn(uint64_t raw, int level)
{
	uint64_t mask = E_PFN_MASK, v = raw;

	/* The mask follows the entry's own PSE bit, before the inversion. */
	if (level == PTSCOPE_LVL_PMD && (raw & E_PSE))
		mask &= ~((1ULL << 21) - 1);
	else if (level == PTSCOPE_LVL_PUD && (raw & E_PSE))
		mask &= ~((1ULL << 30) - 1);
	if (raw && !(raw & E_PRESENT))
		v = ~raw;
	return (v & mask) >> 12;
}

static uint64_t decode_frame(struct bpfwalk *w, const struct bw_vma *v, uint64_t pfn,
			     int level, uint64_t flags, unsigned int facts,
			     uint64_t mapcount, struct ptscope_leaf *l)
{
	uint64_t f;

	bool anon_vma = v && v->anon;

	if (w->zero_pfn && pfn == w->zero_pfn)
		return PTSCOPE_F_ZERO_PAGE;
	if ((flags & PTSCOPE_F_SPECIAL) && !(level == PTSCOPE_LVL_PMD && anon_vma))
		return 0;
	if (flags & PTSCOPE_F_DEVMAP)
		return 0;
	if (!(facts & PW_P_READ))
		return 0;
	if (level == PTSCOPE_LVL_PMD && anon_vma && !(flags & PTSCOPE_F_WRITE) &&
	    (facts & PW_P_LARGE) && !(facts & PW_P_ANON) && (facts & PW_P_NOMAPPING))
		return PTSCOPE_F_ZERO_PAGE;
	if (flags & PTSCOPE_F_SPECIAL)
		return 0;
	f = facts & PW_P_ANON ? PTSCOPE_F_ANON_PAGE : PTSCOPE_F_FILE_PAGE;
	if (facts & PW_P_NO_MAPCOUNT)
		return f;
	l->mapcount = mapcount > UINT32_MAX ? UINT32_MAX : mapcount;
	if (l->mapcount == 1)
		f |= PTSCOPE_F_EXCLUSIVE;
	return f;
}

static uint64_t decode_present(struct bpfwalk *w, const struct bw_vma *v, uint64_t raw,
			       int level, unsigned int facts, uint64_t mapcount,
			       struct ptscope_leaf *l)
{
	uint64_t f = decode_hw(raw, level) | PTSCOPE_F_PFN_VALID;

	l->pfn = entry_pfn(raw, level);
	if ((raw & E_RW) || (w->shstk && (raw & E_DIRTY)))
		f |= PTSCOPE_F_WRITE;
	if (raw & (E_DIRTY | w->saved_dirty))
		f |= PTSCOPE_F_MODIFIED;
	if (raw & E_SOFT_DIRTY)
		f |= PTSCOPE_F_SOFT_DIRTY;
	if (raw & E_UFFD)
		f |= PTSCOPE_F_UFFD_WP;
	if (raw & E_SPECIAL)
		f |= PTSCOPE_F_SPECIAL;
	if (raw & w->devmap)
		f |= PTSCOPE_F_DEVMAP;
	if ((raw & (E_GLOBAL | E_PRESENT)) == E_GLOBAL) {
		f |= PTSCOPE_F_PROTNONE;
		if (v && (v->vm_flags & (VMF_READ | VMF_WRITE | VMF_EXEC)) &&
		    !(v->uffd && (raw & E_UFFD) && kernel_version() >= 700))
			f |= PTSCOPE_F_NUMA_HINT;
	}
	l->pkey = (raw >> 59) & 15;
	return f | decode_frame(w, v, l->pfn, level, f, facts, mapcount, l);
}

static uint64_t decode_nonpresent(struct bpfwalk *w, uint64_t raw, struct ptscope_leaf *l)
{
	unsigned int type = ft_swap_type(raw);
	uint64_t off = ft_swap_offset(raw);
	uint64_t f = 0;
	const struct swp_layout *s = &w->swp;

	if (raw & E_SWP_SOFT_DIRTY)
		f |= PTSCOPE_F_SOFT_DIRTY;
	if (raw & E_SWP_UFFD)
		f |= PTSCOPE_F_UFFD_WP;
	if (raw & E_SWP_EXCLUSIVE)
		f |= PTSCOPE_F_SWP_EXCLUSIVE;
	if (type < s->max) {
		l->swap_type = type;
		l->swap_offset = off;
		return f | PTSCOPE_F_SWAP;
	}
	if (s->marker && type == s->marker) {
		l->swap_offset = off & s->marker_mask;
		if (l->swap_offset & 1)
			f |= PTSCOPE_F_UFFD_WP;
		return f | PTSCOPE_F_MARKER;
	}
	if (type == s->max)
		f |= PTSCOPE_F_HWPOISON;
	else if (type <= s->max + 3)
		f |= PTSCOPE_F_MIGRATION;
	else if (type < s->max + 4 + s->device)
		f |= type - s->max - 4 >= 2 ? PTSCOPE_F_DEVICE_EXCL :
		     PTSCOPE_F_DEVICE_PRIVATE;
	else
		return f;
	l->pfn = off & ((1ULL << (w->levels == 5 ? 40 : 34)) - 1);
	return f | PTSCOPE_F_PFN_VALID;
}

static void decode_leaf(struct bpfwalk *w, const struct bw_vma *v, uint64_t raw,
			int level, uint64_t va, unsigned int facts, uint64_t mapcount,
			struct ptscope_leaf *l)
{
	memset(l, 0, sizeof(*l));
	l->hdr.type = PTSCOPE_REC_LEAF;
	l->hdr.size = sizeof(*l);
	l->va = va;
	l->entry = raw;
	l->count = 1;
	l->level = level;
	if (leaf_present(raw, level))
		l->flags = decode_present(w, v, raw, level, facts, mapcount, l);
	else
		l->flags = decode_nonpresent(w, raw, l);
}

/* ---- VMAs ----------------------------------------------------------------- */

static void read_maps(struct bpfwalk *w)
{
	char path[64];
	size_t cap = 0;
	FILE *f;

	free(w->maps);
	w->maps = NULL;
	snprintf(path, sizeof(path), "/proc/%d/maps", w->pid);
	f = fopen(path, "r");
	if (!f)
		return;
	if (getdelim(&w->maps, &cap, '\0', f) < 0) {
		free(w->maps);
		w->maps = NULL;
	}
	fclose(f);
}

/* The name /proc/PID/maps gives the VMA START-END, or false. */
static bool maps_name(struct bpfwalk *w, uint64_t start, uint64_t end, char *name, size_t len)
{
	int tries;

	for (tries = 0; tries < 2; tries++) {
		const char *p = w->maps;

		while (p && *p) {
			const char *nl = strchr(p, '\n');
			unsigned long long s, e;
			int n = 0;

			if (sscanf(p, "%llx-%llx %*s %*s %*s %*s %n", &s, &e, &n) >= 2 &&
			    s == start && e == end) {
				const char *q = p + n;
				size_t l = nl ? (size_t)(nl - q) : strlen(q);

				if (n == 0)
					l = 0;
				if (l >= len)
					l = len - 1;
				memcpy(name, q, l);
				name[l] = '\0';
				return true;
			}
			p = nl ? nl + 1 : NULL;
		}
		read_maps(w);
	}
	return false;
}

/* KernelPageSize (kB) of the VMA START-END in /proc/PID/smaps, or -1. */
static long long smaps_kernel_pagesize(int pid, uint64_t start, uint64_t end)
{
	char path[64], line[512];
	bool in = false;
	long long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/smaps", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long s, e;

		if (sscanf(line, "%llx-%llx ", &s, &e) == 2 && strchr(line, '-') < strchr(line, ' '))
			in = s == start && e == end;
		else if (in && sscanf(line, "KernelPageSize: %lld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

/* A VMA record from PW_VMA and PW_VMA2, as ptscope_vma_describe() fills it. */
static void describe_vma(struct bpfwalk *w, const struct pw_rec *a, const struct pw_rec *b)
{
	struct bw_vma *v = &w->vma;
	struct ptscope_vma *r = &v->rec;
	uint64_t fl = b->aux2, brk = b->entry, start_brk = b->va, stack = b->aux;
	char name[PTSCOPE_NAME_MAX];
	bool named;

	memset(v, 0, sizeof(*v));
	r->hdr.type = PTSCOPE_REC_VMA;
	r->hdr.size = sizeof(*r);
	r->start = a->va;
	r->end = a->entry;
	r->pgoff = a->aux;
	r->ino = a->aux2;
	v->vm_flags = fl;
	v->anon = !(a->facts & PW_V_OPS);
	v->uffd = a->facts & PW_V_UFFD;
	if (fl & VMF_READ)
		r->flags |= PTSCOPE_VMA_READ;
	if (fl & VMF_WRITE)
		r->flags |= PTSCOPE_VMA_WRITE;
	if (fl & VMF_EXEC)
		r->flags |= PTSCOPE_VMA_EXEC;
	if (fl & VMF_MAYSHARE)
		r->flags |= PTSCOPE_VMA_SHARED;
	if (fl & VMF_SOFTDIRTY)
		r->flags |= PTSCOPE_VMA_SOFTDIRTY;
	if (fl & VMF_HUGEPAGE)
		r->flags |= PTSCOPE_VMA_HUGEPAGE;
	if (fl & VMF_NOHUGEPAGE)
		r->flags |= PTSCOPE_VMA_NOHUGEPAGE;
	if (fl & VMF_LOCKED)
		r->flags |= PTSCOPE_VMA_LOCKED;
	if (v->uffd)
		r->flags |= PTSCOPE_VMA_UFFD;
	r->pagesize = 4096;

	named = maps_name(w, r->start, r->end, name, sizeof(name));
	if (!named)
		name[0] = '\0';
	if (fl & VMF_HUGETLB) {
		long long kb;

		r->backing = PTSCOPE_BACK_HUGETLB;
		if (a->facts & PW_V_FILE)
			snprintf(r->name, sizeof(r->name), "%s", name);
		kb = smaps_kernel_pagesize(w->pid, r->start, r->end);
		r->pagesize = kb > 0 ? kb * 1024 : 2 << 20;
	} else if (!(a->facts & PW_V_FILE) && (a->facts & PW_V_OPS_NAME)) {
		r->backing = PTSCOPE_BACK_SPECIAL;
		snprintf(r->name, sizeof(r->name), "%s", name);
		if (!strcmp(name, "[vdso]"))
			r->backing = PTSCOPE_BACK_VDSO;
		else if (!strncmp(name, "[vvar", 5))
			r->backing = PTSCOPE_BACK_VVAR;
	} else if (fl & (VMF_PFNMAP | VMF_IO)) {
		r->backing = PTSCOPE_BACK_PFNMAP;
		if (a->facts & PW_V_FILE)
			snprintf(r->name, sizeof(r->name), "%s", name);
	} else if (a->facts & PW_V_FILE) {
		r->backing = a->facts & PW_V_SHMEM ? PTSCOPE_BACK_SHMEM : PTSCOPE_BACK_FILE;
		snprintf(r->name, sizeof(r->name), "%s", name);
	} else if (r->start <= brk && r->end >= start_brk) {
		r->backing = PTSCOPE_BACK_HEAP;
		strcpy(r->name, "[heap]");
	} else if (r->start <= stack && r->end >= stack) {
		r->backing = PTSCOPE_BACK_STACK;
		strcpy(r->name, "[stack]");
	} else {
		r->backing = PTSCOPE_BACK_ANON;
	}
	w->have_vma = true;
}

/* ---- runs of the iterator ------------------------------------------------- */

static bool target_gone(struct bpfwalk *w)
{
	struct pollfd p = { .fd = w->pidfd, .events = POLLIN };

	return w->pidfd >= 0 && poll(&p, 1, 0) > 0;
}

static int read_iter(struct bpfwalk *w, int fd);

/* One run from RESUME: the records into w->in.  0 or -errno. */
static int run(struct bpfwalk *w, uint64_t resume)
{
	struct ptwalk_bpf *k = w->skel;
	int fd, n;

	w->in_len = 0;
	pthread_mutex_lock(&skel_lock);
	k->bss->op = w->op;
	k->bss->pti = w->pti;
	k->bss->resume_va = resume;
	k->bss->end_va = w->end;
	k->bss->xlate_va = w->va;
	k->bss->run_done = 0;
	k->bss->last_vm_start = w->last_vm_start;
	k->bss->last_vm_end = w->last_vm_end;
	memcpy(k->bss->last_table, w->last_table, sizeof(w->last_table));
	k->bss->params_sent = w->params_sent;
	fd = bpf_iter_create(bpf_link__fd(w->link));
	n = fd < 0 ? -errno : read_iter(w, fd);
	w->last_vm_start = k->bss->last_vm_start;
	w->last_vm_end = k->bss->last_vm_end;
	memcpy(w->last_table, k->bss->last_table, sizeof(w->last_table));
	w->params_sent = k->bss->params_sent;
	pthread_mutex_unlock(&skel_lock);
	if (fd >= 0)
		close(fd);
	if (n < 0)
		return n;
	if (target_gone(w))
		return -ESRCH;
	return 0;
}

/* Read an iterator to its end into w->in.  0 or -errno. */
static int read_iter(struct bpfwalk *w, int fd)
{
	ssize_t n;

	for (;;) {
		if (w->in_cap - w->in_len < 65536) {
			char *p = realloc(w->in, w->in_cap + 65536);

			if (!p)
				return -ENOMEM;
			w->in = p;
			w->in_cap += 65536;
		}
		n = read(fd, w->in + w->in_len, w->in_cap - w->in_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			return 0;
		w->in_len += n;
	}
}

static void params(struct bpfwalk *w, const struct pw_rec *r)
{
	w->levels = r->aux == 5 ? 5 : 4;
	w->pgd_pa = r->entry;
	w->task_size = w->levels == 5 ? (1ULL << 56) - 4096 : (1ULL << 47) - 4096;
}

static int emit_header(struct bpfwalk *w)
{
	struct ptscope_header h = {
		.hdr = { .type = PTSCOPE_REC_HEADER, .size = sizeof(h) },
		.magic = PTSCOPE_MAGIC,
		.abi_version = PTSCOPE_ABI_VERSION,
		.op = w->op,
		.pid = w->pid,
		.paging_levels = w->levels,
		.page_shift = 12,
		.start = w->start,
		.end = w->end,
		.pgd_pa = w->pgd_pa,
		.user_pgd_pa = w->pti ? w->pgd_pa + 4096 : 0,
		.task_size = w->task_size,
		.flags = w->reqflags | PTSCOPE_HDR_BPF | PTSCOPE_HDR_NO_FOLIO |
			 (w->no_mapcount ? PTSCOPE_HDR_NO_MAPCOUNT : 0),
	};

	memcpy(h.comm, w->comm, sizeof(h.comm));
	w->header_done = true;
	return out_rec(w, &h, sizeof(h));
}

/* Does L continue the pending run (module/session.c extends_run())? */
static bool extends_run(const struct ptscope_leaf *r, const struct ptscope_leaf *l)
{
	uint64_t size = 1ULL << PTSCOPE_LEVEL_SHIFT(r->level);

	if (l->level != r->level || l->flags != r->flags ||
	    l->va != r->va + r->count * size || l->pkey != r->pkey)
		return false;
	if (r->flags & PTSCOPE_F_PFN_VALID)
		return l->pfn == r->pfn + r->count * (size >> 12);
	if (r->flags & PTSCOPE_F_SWAP)
		return l->swap_type == r->swap_type &&
		       l->swap_offset == r->swap_offset + r->count;
	return l->swap_offset == r->swap_offset;
}

static int put_leaf(struct bpfwalk *w, const struct ptscope_leaf *l)
{
	w->totals.leaves++;
	w->totals.entries += l->count;
	return out_rec(w, l, sizeof(*l));
}

static int flush_run(struct bpfwalk *w)
{
	int ret = 0;

	if (w->have_run)
		ret = put_leaf(w, &w->run);
	w->have_run = false;
	return ret;
}

static int on_leaf(struct bpfwalk *w, const struct pw_rec *r)
{
	struct ptscope_leaf l;

	decode_leaf(w, w->have_vma ? &w->vma : NULL, r->entry, r->level, r->va,
		    r->facts, r->aux, &l);
	if (w->op == PTSCOPE_OP_PTCOST) {
		w->cost.leaves[l.level]++;
		if (l.level == PTSCOPE_LVL_PMD && w->have_vma && w->vma.anon &&
		    (l.flags & PTSCOPE_F_PFN_VALID))
			w->cost.deposited++;
		return 0;
	}
	if (!(w->reqflags & PTSCOPE_REQ_COALESCE))
		return put_leaf(w, &l);
	if (w->have_run && extends_run(&w->run, &l)) {
		w->run.count++;
		return 0;
	}
	flush_run(w);
	w->run = l;
	w->have_run = true;
	return 0;
}

static int on_vma(struct bpfwalk *w, const struct pw_rec *a, const struct pw_rec *b)
{
	int ret;

	describe_vma(w, a, b);
	if (w->op == PTSCOPE_OP_PTCOST) {
		w->cost.vm_bytes += a->entry - a->va;
		return 0;
	}
	ret = flush_run(w);
	if (ret)
		return ret;
	w->totals.vmas++;
	return out_rec(w, &w->vma.rec, sizeof(w->vma.rec));
}

/* The records of one walk run; *NEXT: where the next starts, 0: done. */
static int convert_walk(struct bpfwalk *w, uint64_t *next, bool *unstable)
{
	const struct pw_rec *r = (const struct pw_rec *)w->in;
	size_t i, n = w->in_len / sizeof(*r);
	int ret = 0;

	*next = 0;
	*unstable = false;
	for (i = 0; i < n && !ret; i++) {
		switch (r[i].type) {
		case PW_PARAMS:
			break;
		case PW_VMA:
			if (i + 1 >= n || r[i + 1].type != PW_VMA2)
				return -EPROTO;
			ret = on_vma(w, &r[i], &r[i + 1]);
			i++;
			break;
		case PW_TABLE:
			if (r[i].level < PTSCOPE_NR_LEVELS)
				w->cost.tables[r[i].level]++;
			break;
		case PW_LEAF:
			ret = on_leaf(w, &r[i]);
			break;
		case PW_CHUNK:
			if (r[i].facts & PW_C_FAILED)
				return -EFAULT;
			*unstable = r[i].facts & PW_C_UNSTABLE;
			*next = r[i].va;
			break;
		default:
			return -EPROTO;
		}
	}
	return ret;
}

/* "KEY  N kB" of /proc/PID/status, or -1. */
static long long status_kb(int pid, const char *key)
{
	char path[64], line[256];
	long long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)) &&
		    sscanf(line + strlen(key), "%lld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static int emit_trailer(struct bpfwalk *w)
{
	struct ptscope_cost *c = &w->cost;
	int i, ret;

	if (w->op == PTSCOPE_OP_PTCOST) {
		long long kb = status_kb(w->pid, "VmPTE:");

		c->hdr.type = PTSCOPE_REC_COST;
		c->hdr.size = sizeof(*c);
		c->tables[PTSCOPE_LVL_PGD] = 1;
		c->pgd_pages = w->pti ? 2 : 1;
		c->pgtables_bytes = kb > 0 ? (uint64_t)kb * 1024 : 0;
		for (i = 0; i < PTSCOPE_NR_LEVELS; i++)
			c->entries[i] = c->leaves[i] + (i ? c->tables[i - 1] : 0);
		if (w->levels == 4) {
			c->entries[PTSCOPE_LVL_PGD] = c->leaves[PTSCOPE_LVL_PGD] +
						      c->tables[PTSCOPE_LVL_PUD];
			c->entries[PTSCOPE_LVL_P4D] = 0;
			c->tables[PTSCOPE_LVL_P4D] = 0;
		}
		ret = out_rec(w, c, sizeof(*c));
		if (ret)
			return ret;
	}
	w->totals.hdr.type = PTSCOPE_REC_END;
	w->totals.hdr.size = sizeof(w->totals);
	w->trailer_done = true;
	return out_rec(w, &w->totals, sizeof(w->totals));
}

/* ---- translate ------------------------------------------------------------ */

static void xlate_step(struct ptscope_xlate_level *lv, int level, uint64_t table_pa,
		       unsigned int index, uint64_t entry, bool folded)
{
	bool leaf = level != PTSCOPE_LVL_PGD && level != PTSCOPE_LVL_P4D &&
		    (level == PTSCOPE_LVL_PTE || (entry & E_PSE));

	memset(lv, 0, sizeof(*lv));
	lv->hdr.type = PTSCOPE_REC_LEVEL;
	lv->hdr.size = sizeof(*lv);
	lv->level = level;
	lv->index = index;
	lv->table_pa = table_pa;
	lv->entry_pa = table_pa + index * 8ULL;
	lv->entry = entry;
	if (leaf ? leaf_present(entry, level) : (entry & E_PRESENT))
		lv->flags = decode_hw(entry, level);
	lv->folded = folded;
}

static void xlate_leaf(struct bpfwalk *w, struct ptscope_xlate *x, uint64_t raw,
		       int level, unsigned int facts, uint64_t mapcount)
{
	uint64_t size = 1ULL << PTSCOPE_LEVEL_SHIFT(level);
	uint64_t f;

	decode_leaf(w, &w->vma, raw, level, x->va & ~(size - 1), facts, mapcount,
		    &x->leaf);
	f = x->leaf.flags;
	x->stop_level = level;
	if (leaf_present(raw, level)) {
		x->stop = PTSCOPE_STOP_OK;
		x->pa = (x->leaf.pfn << 12) | (x->va & (size - 1));
	} else if (f & PTSCOPE_F_SWAP) {
		x->stop = PTSCOPE_STOP_SWAP;
	} else if (f & PTSCOPE_F_MIGRATION) {
		x->stop = PTSCOPE_STOP_MIGRATION;
	} else if (f & PTSCOPE_F_MARKER) {
		x->stop = PTSCOPE_STOP_MARKER;
	} else if (f & (PTSCOPE_F_DEVICE_PRIVATE | PTSCOPE_F_DEVICE_EXCL)) {
		x->stop = PTSCOPE_STOP_DEVICE;
	} else if (f & PTSCOPE_F_HWPOISON) {
		x->stop = PTSCOPE_STOP_HWPOISON;
	} else {
		x->stop = PTSCOPE_STOP_NOT_PRESENT;
	}
}

static bool entry_none(uint64_t e)
{
	return !(e & ~(E_ACCESSED | E_DIRTY));
}

static int do_translate(struct bpfwalk *w)
{
	const struct pw_rec *r = (const struct pw_rec *)w->in;
	size_t i, n = w->in_len / sizeof(*r), first = 0;
	struct ptscope_xlate_level lv[PTSCOPE_NR_LEVELS];
	struct ptscope_xlate x;
	int nl = 0, ret;
	bool found = false;

	memset(&x, 0, sizeof(x));
	x.hdr.type = PTSCOPE_REC_XLATE;
	x.hdr.size = sizeof(x);
	x.va = w->va;
	for (i = 0; i < n; i++) {
		if (r[i].type == PW_VMA && i + 1 < n) {
			describe_vma(w, &r[i], &r[i + 1]);
			found = true;
		}
		/* a retry: only the steps after the last one count */
		if (r[i].type == PW_STEP && r[i].level == 7)
			first = i + 1;
	}
	if (!found) {
		x.stop = PTSCOPE_STOP_NO_VMA;
		x.stop_level = PTSCOPE_LVL_PGD;
		return out_rec(w, &x, sizeof(x));
	}
	x.vma_start = w->vma.rec.start;
	x.vma_end = w->vma.rec.end;
	x.stop = PTSCOPE_STOP_BAD;
	for (i = first; i < n; i++) {
		const struct pw_rec *s = &r[i];
		int lvl = s->level;
		uint64_t e = s->entry;

		if (s->type != PW_STEP || lvl > PTSCOPE_LVL_PGD)
			continue;
		if (nl >= PTSCOPE_NR_LEVELS)
			break;
		xlate_step(&lv[nl], lvl, s->aux, s->reserved2, e, false);
		if (lvl == PTSCOPE_LVL_PGD && w->pti) {
			lv[nl].kernel_entry = s->aux2;
			lv[nl].xflags |= PTSCOPE_XLATE_PTI_USER;
		}
		nl++;
		if (lvl == PTSCOPE_LVL_PGD && w->levels == 5) {
			if (entry_none(e)) {
				x.stop = PTSCOPE_STOP_EMPTY;
				x.stop_level = lvl;
				break;
			}
			if (!(e & E_PRESENT)) {
				x.stop_level = lvl;
				break;
			}
			continue;
		}
		if (lvl == PTSCOPE_LVL_PGD || lvl == PTSCOPE_LVL_P4D) {
			if (lvl == PTSCOPE_LVL_PGD) {
				/* Folded: the PGD entry is the P4D entry. */
				xlate_step(&lv[nl], PTSCOPE_LVL_P4D, lv[nl - 1].table_pa,
					   s->reserved2, e, true);
				lv[nl].flags = lv[nl - 1].flags;
				nl++;
			}
			if (entry_none(e)) {
				x.stop = PTSCOPE_STOP_EMPTY;
				x.stop_level = w->levels == 5 ? PTSCOPE_LVL_P4D :
						PTSCOPE_LVL_PGD;
				break;
			}
			if (!(e & E_PRESENT)) {
				x.stop_level = PTSCOPE_LVL_P4D;
				break;
			}
			continue;
		}
		if (entry_none(e)) {
			x.stop = PTSCOPE_STOP_EMPTY;
			x.stop_level = lvl;
			break;
		}
		if (lvl == PTSCOPE_LVL_PTE || !(e & E_PRESENT) || (e & E_PSE)) {
			xlate_leaf(w, &x, e, lvl, s->facts, s->aux2);
			break;
		}
	}
	for (i = 0; i < (size_t)nl; i++) {
		ret = out_rec(w, &lv[i], sizeof(lv[i]));
		if (ret)
			return ret;
	}
	return out_rec(w, &x, sizeof(x));
}

/* ---- the session source ---------------------------------------------------- */

/* Produce more output into the empty buffer.  0 or -errno. */
static int produce(struct bpfwalk *w)
{
	uint64_t next;
	bool unstable;
	int ret;

	if (w->op == PTSCOPE_OP_TRANSLATE) {
		ret = do_translate(w);
		w->walk_done = w->trailer_done = true;
		return ret;
	}
	while (!w->walk_done && w->len < 256 * 1024) {
		ret = run(w, w->resume);
		if (ret)
			return ret;
		ret = convert_walk(w, &next, &unstable);
		if (ret)
			return ret;
		if (!next) {
			w->walk_done = true;
			break;
		}
		if (next <= w->resume) {
			/* a table kept changing: let it settle, then read it again */
			if (!unstable || ++w->stuck > 1000)
				return -EAGAIN;
			usleep(1000);
			continue;
		}
		w->stuck = 0;
		w->resume = next;
	}
	if (w->walk_done) {
		ret = flush_run(w);
		if (ret)
			return ret;
		return emit_trailer(w);
	}
	return 0;
}

static ssize_t bw_read(struct pts_session *s, void *buf, size_t len)
{
	struct bpfwalk *w = s->priv;
	size_t n;
	int ret;

	while (w->off == w->len) {
		w->off = w->len = 0;
		if (w->trailer_done)
			return 0;
		ret = produce(w);
		if (ret)
			return ret;
	}
	n = w->len - w->off < len ? w->len - w->off : len;
	memcpy(buf, w->out + w->off, n);
	w->off += n;
	return n;
}

static void bw_free(struct bpfwalk *w)
{
	if (!w)
		return;
	bpf_link__destroy(w->link);
	if (w->pidfd >= 0)
		close(w->pidfd);
	if (w->pagemap_fd >= 0)
		close(w->pagemap_fd);
	free(w->out);
	free(w->in);
	free(w->maps);
	free(w);
}

static void bw_close(struct pts_session *s)
{
	bw_free(s->priv);
}

static const struct pts_source bw_source = {
	.read = bw_read,
	.close = bw_close,
};

/* ---- opening ----------------------------------------------------------------- */

static int parse_num(const char *s, uint64_t *v)
{
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	*v = strtoull(s, &end, s[0] == '0' && (s[1] == 'x' || s[1] == 'X') ? 16 : 10);
	return errno || *end ? -EINVAL : 0;
}

/* The module's request grammar after "pid=N" (module/session.c). */
static int parse_req(struct bpfwalk *w, const char *req, bool *have_range, bool *have_va)
{
	char buf[PTSCOPE_REQ_MAX], *tok, *save = NULL;

	if (strlen(req) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, req);
	w->op = 0;
	for (tok = strtok_r(buf, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save)) {
		char *val = strchr(tok, '=');

		if (!strcmp(tok, "coalesce")) {
			w->reqflags |= PTSCOPE_REQ_COALESCE;
			continue;
		}
		if (!val || !val[1])
			return -EINVAL;
		*val++ = '\0';
		if (!strcmp(tok, "va")) {
			if (parse_num(val, &w->va))
				return -EINVAL;
			*have_va = true;
		} else if (!strcmp(tok, "range")) {
			char *dash = strchr(val, '-');

			if (!dash)
				return -EINVAL;
			*dash++ = '\0';
			if (parse_num(val, &w->start) || parse_num(dash, &w->end))
				return -EINVAL;
			*have_range = true;
		} else if (!strcmp(tok, "op")) {
			if (!strcmp(val, "walk"))
				w->op = PTSCOPE_OP_WALK;
			else if (!strcmp(val, "translate"))
				w->op = PTSCOPE_OP_TRANSLATE;
			else if (!strcmp(val, "ptcost"))
				w->op = PTSCOPE_OP_PTCOST;
			else
				return -EINVAL;
		} else {
			return -EINVAL;
		}
	}
	if (!w->op)
		w->op = *have_va ? PTSCOPE_OP_TRANSLATE : PTSCOPE_OP_WALK;
	if ((w->op == PTSCOPE_OP_TRANSLATE) != *have_va)
		return -EINVAL;
	if (w->op != PTSCOPE_OP_WALK && (*have_range || w->reqflags))
		return -EINVAL;
	return 0;
}

/* A kernel thread (PF_KTHREAD in /proc/PID/stat), or -ESRCH. */
static int target_check(struct bpfwalk *w)
{
	char path[64], buf[1024], *p;
	unsigned long flags = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", w->pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -ESRCH;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -ESRCH;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %lu", &flags) != 1)
		return -ESRCH;
	if (flags & 0x00200000)		/* PF_KTHREAD */
		return -ENXIO;
	snprintf(path, sizeof(path), "/proc/%d/comm", w->pid);
	fd = open(path, O_RDONLY);
	if (fd >= 0) {
		n = read(fd, w->comm, sizeof(w->comm) - 1);
		if (n > 0 && w->comm[n - 1] == '\n')
			w->comm[n - 1] = '\0';
		close(fd);
	}
	return 0;
}

static void machine_init(void)
{
	struct bpfwalk tmp = { 0 };
	int ver = kernel_version();

	machine.pti = cpu_flag("pti");
	machine.shstk = ver >= 606 && cpu_flag("user_shstk");
	machine.devmap = ver >= 617 ? 0 : ver >= 606 ? 1ULL << 57 : 1ULL << 58;
	machine.saved_dirty = ver >= 606 ? 1ULL << 58 : 0;
	machine.zero_pfn = find_zero_pfn();
	swp_layout(&tmp, &machine.swp, ver);
	machine.no_mapcount = tmp.no_mapcount;
}

static int quiet_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_WARN && getenv("PTSCOPE_BPF_DEBUG"))
		return vfprintf(stderr, fmt, ap);
	return 0;
}

int cli_bpfwalk_open(struct pts_session *s, int pid, const char *req)
{
	DECLARE_LIBBPF_OPTS(bpf_iter_attach_opts, opts);
	union bpf_iter_link_info linfo;
	struct bpfwalk *w = calloc(1, sizeof(*w));
	bool have_range = false, have_va = false;
	char path[64];
	int ret;

	if (!w)
		return -ENOMEM;
	w->pid = pid;
	w->pidfd = w->pagemap_fd = -1;
	ret = parse_req(w, req, &have_range, &have_va);
	if (ret)
		goto fail;
	ret = target_check(w);
	if (ret)
		goto fail;
	/*
	 * The access check, advisory (root with CAP_BPF reads kernel memory
	 * anyway): opening pagemap passes only PTRACE_MODE_READ_FSCREDS.  The
	 * pidfd tells a PID reused during the walk from the target.
	 */
	w->pidfd = syscall(SYS_pidfd_open, pid, 0);
	if (w->pidfd < 0) {
		ret = errno == EINVAL || errno == ESRCH ? -ESRCH : -errno;
		goto fail;
	}
	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	w->pagemap_fd = open(path, O_RDONLY);
	if (w->pagemap_fd < 0) {
		ret = errno == ENOENT ? -ESRCH : -EACCES;
		goto fail;
	}
	if (target_gone(w)) {
		ret = -ESRCH;
		goto fail;
	}

	pthread_once(&machine_once, machine_init);
	w->pti = machine.pti;
	w->shstk = machine.shstk;
	w->devmap = machine.devmap;
	w->saved_dirty = machine.saved_dirty;
	w->zero_pfn = machine.zero_pfn;
	w->swp = machine.swp;
	w->no_mapcount = machine.no_mapcount;
	read_maps(w);

	ret = 0;
	pthread_mutex_lock(&skel_lock);
	if (!shared_skel) {
		libbpf_set_print(quiet_libbpf);
		shared_skel = ptwalk_bpf__open();
		if (!shared_skel)
			ret = -errno;
		else
			ret = ptwalk_bpf__load(shared_skel);
		if (ret) {
			ptwalk_bpf__destroy(shared_skel);
			shared_skel = NULL;
		}
	}
	w->skel = shared_skel;
	pthread_mutex_unlock(&skel_lock);
	if (ret) {
		fprintf(stderr, "ptscope: error: the BPF walker did not load (%s)%s\n",
			strerror(-ret),
			getenv("PTSCOPE_BPF_DEBUG") ? "" :
			": PTSCOPE_BPF_DEBUG=1 shows libbpf's log");
		ret = -ENOEXEC;
		goto fail;
	}
	memset(&linfo, 0, sizeof(linfo));
	linfo.task.tid = pid;
	opts.link_info = &linfo;
	opts.link_info_len = sizeof(linfo);
	w->link = bpf_program__attach_iter(w->skel->progs.walk_vma, &opts);
	if (!w->link) {
		ret = -errno;
		fprintf(stderr, "ptscope: error: the BPF walker's task_vma iterator "
			"did not attach (%s)\n", strerror(-ret));
		if (ret == -EACCES || ret == -EPERM)
			ret = -ENOEXEC;
		goto fail;
	}

	/* A first run, that walks nothing, finds the paging mode. */
	ret = run(w, ~0ULL);
	if (ret)
		goto fail;
	if (w->in_len < sizeof(struct pw_rec) ||
	    ((struct pw_rec *)w->in)->type != PW_PARAMS) {
		/* no VMA: the target exited (or is exiting) */
		ret = -ESRCH;
		goto fail;
	}
	params(w, (struct pw_rec *)w->in);
	if (have_va && w->va >= w->task_size) {
		ret = -ERANGE;
		goto fail;
	}
	if (!have_range) {
		w->start = 0;
		w->end = w->task_size;
	}
	w->start &= ~4095ULL;
	if (w->end <= w->task_size)
		w->end = (w->end + 4095) & ~4095ULL;
	if (w->start >= w->end || w->end > w->task_size) {
		ret = -ERANGE;
		goto fail;
	}
	w->resume = w->start;
	ret = emit_header(w);
	if (ret)
		goto fail;
	if (w->op == PTSCOPE_OP_TRANSLATE) {
		ret = run(w, 0);
		if (ret)
			goto fail;
	}
	ret = pts_open_source(s, &bw_source, w);
	if (ret)
		goto fail;
	return 0;
fail:
	bw_free(w);
	return ret;
}
