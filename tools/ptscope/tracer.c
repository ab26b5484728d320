// SPDX-License-Identifier: GPL-2.0
/*
 * Loading, attaching and reading the faulttrace BPF program (tracer.h).
 *
 * Attach points are probed at run time, never by kernel version:
 * fentry/fexit on handle_mm_fault() with kprobe/kretprobe as fallback,
 * and BTF tracepoints for the fault's error code with classic
 * tracepoints as fallback.  Each candidate is loaded and attached for
 * real; a failure falls through to the next.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "cli.h"
#include "tracer.h"
#include "faulttrace.skel.h"

/* Events waiting in the ring buffer before the BPF side wakes us. */
#define TRACER_WAKEUP_BYTES	(256 * 1024)

struct tracer {
	struct faulttrace_bpf *skel;
	struct ring_buffer *rb;
	enum tracer_hook hook;
	enum tracer_exc exc;
	struct tracer_opts o;
};

static const char *const hook_names[] = { "fentry/fexit", "kprobe/kretprobe" };
static const char *const exc_names[] = { "tp_btf", "tracepoint", "none" };

static bool verbose_libbpf;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (!verbose_libbpf)
		return 0;
	(void)level;
	return vfprintf(stderr, fmt, ap);
}

const char *tracer_hook_name(enum tracer_hook h)
{
	return h <= TRACER_KPROBE ? hook_names[h] : "?";
}

const char *tracer_exc_name(enum tracer_exc x)
{
	return x <= TRACER_NO_EXC ? exc_names[x] : "?";
}

static bool btf_has(const struct btf *btf, const char *name, int kind)
{
	return btf && btf__find_by_name_kind(btf, name, kind) > 0;
}

/* Is SYM in /proc/kallsyms?  Unknown (unreadable) counts as yes: try it. */
static bool ksym_exists(const char *sym)
{
	char line[512], name[256];
	bool found = false;
	FILE *f = fopen("/proc/kallsyms", "re");

	if (!f)
		return true;
	while (!found && fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s %*s %255s", name) == 1 && !strcmp(name, sym))
			found = true;
	fclose(f);
	return found;
}

/*
 * Does the classic tracepoint CAT:NAME exist with the record layout the
 * BPF programs read (struct pf_tp_record: address at 8, error_code at 24,
 * 8 bytes each)?  Its format file says.
 */
static bool tracepoint_usable(const char *cat, const char *name)
{
	static const char *const roots[] = { "/sys/kernel/tracing",
					     "/sys/kernel/debug/tracing" };
	static const char *const fields[] = {
		"field:unsigned long address;\toffset:8;\tsize:8;",
		"field:unsigned long error_code;\toffset:24;\tsize:8;",
	};
	char path[256], buf[4096];
	size_t i, k, n;
	FILE *f;

	for (i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		snprintf(path, sizeof(path), "%s/events/%s/%s/format", roots[i], cat, name);
		f = fopen(path, "re");
		if (!f)
			continue;
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		for (k = 0; k < sizeof(fields) / sizeof(fields[0]); k++)
			if (!strstr(buf, fields[k]))
				return false;
		return true;
	}
	return false;
}

static int attach_prog(struct bpf_program *prog, struct bpf_link **link)
{
	*link = bpf_program__attach(prog);
	return *link ? 0 : -errno;
}

/* Open, load and attach one combination of hooks.  0 or -errno. */
static int try_attach(struct tracer *t, enum tracer_hook hook, enum tracer_exc exc)
{
	struct faulttrace_bpf *s;
	int err;

	s = faulttrace_bpf__open();
	if (!s)
		return -errno;
	s->rodata->targ_tgid = t->o.pid;
	s->rodata->self_tgid = getpid();
	/* -- CMD: nothing before CMD's exec (ptscope's forked child). */
	s->rodata->after_exec = t->o.after_exec;
	s->rodata->follow = !t->o.pid && t->o.follow;
	/* Batched wake-ups: the reader polls every 100 ms anyway. */
	s->rodata->wakeup_bytes = TRACER_WAKEUP_BYTES;
	s->rodata->aggregate = t->o.aggregate;
	s->rodata->zero_pfn = t->o.zero_pfn;

	bpf_program__set_autoload(s->progs.hmf_fentry, hook == TRACER_FENTRY);
	bpf_program__set_autoload(s->progs.hmf_fexit, hook == TRACER_FENTRY);
	bpf_program__set_autoload(s->progs.hmf_kprobe, hook == TRACER_KPROBE);
	bpf_program__set_autoload(s->progs.hmf_kretprobe, hook == TRACER_KPROBE);
	bpf_program__set_autoload(s->progs.pf_user_btf, exc == TRACER_TP_BTF);
	bpf_program__set_autoload(s->progs.pf_kernel_btf, exc == TRACER_TP_BTF);
	bpf_program__set_autoload(s->progs.pf_user_tp, exc == TRACER_TRACEPOINT);
	bpf_program__set_autoload(s->progs.pf_kernel_tp, exc == TRACER_TRACEPOINT);

	err = faulttrace_bpf__load(s);
	if (err)
		goto fail;
	/*
	 * Error codes first, so that the first fault finds its code; then
	 * the entry hook and the return hook.  Nothing is reported before
	 * the user side arms the program (tracer_arm()), once all are in.
	 */
	if (exc == TRACER_TP_BTF)
		err = attach_prog(s->progs.pf_user_btf, &s->links.pf_user_btf) ?:
		      attach_prog(s->progs.pf_kernel_btf, &s->links.pf_kernel_btf);
	else if (exc == TRACER_TRACEPOINT)
		err = attach_prog(s->progs.pf_user_tp, &s->links.pf_user_tp) ?:
		      attach_prog(s->progs.pf_kernel_tp, &s->links.pf_kernel_tp);
	if (err)
		goto fail;
	if (hook == TRACER_FENTRY)
		err = attach_prog(s->progs.hmf_fentry, &s->links.hmf_fentry) ?:
		      attach_prog(s->progs.hmf_fexit, &s->links.hmf_fexit);
	else
		err = attach_prog(s->progs.hmf_kprobe, &s->links.hmf_kprobe) ?:
		      attach_prog(s->progs.hmf_kretprobe, &s->links.hmf_kretprobe);
	if (err)
		goto fail;
	t->skel = s;
	t->hook = hook;
	t->exc = exc;
	return 0;
fail:
	if (t->o.verbose)
		fprintf(stderr, "ptscope %s: %s + %s: %s\n", cli.cmd, hook_names[hook],
			exc_names[exc], strerror(-err));
	faulttrace_bpf__destroy(s);
	return err;
}

/*
 * Probe what the running kernel offers and attach the best combination
 * that works: fentry/fexit before kprobe/kretprobe, BTF tracepoints
 * before classic ones.
 */
static int attach(struct tracer *t)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	bool tracing = libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_TRACING, NULL) == 1;
	int order[3] = { TRACER_TP_BTF, TRACER_TRACEPOINT, TRACER_NO_EXC };
	bool ok_hook[2], ok_exc[3];
	int h, x, i, err = -EOPNOTSUPP;

	if (!vmlinux && t->o.verbose)
		fprintf(stderr, "ptscope %s: no kernel BTF: %s\n", cli.cmd, strerror(errno));
	ok_hook[TRACER_FENTRY] = tracing && btf_has(vmlinux, "handle_mm_fault", BTF_KIND_FUNC);
	ok_hook[TRACER_KPROBE] = ksym_exists("handle_mm_fault");
	ok_exc[TRACER_TP_BTF] = tracing && btf_has(vmlinux, "btf_trace_page_fault_user",
						   BTF_KIND_TYPEDEF);
	ok_exc[TRACER_TRACEPOINT] = tracepoint_usable("exceptions", "page_fault_user") &&
				    tracepoint_usable("exceptions", "page_fault_kernel");
	ok_exc[TRACER_NO_EXC] = true;
	btf__free(vmlinux);
	if (t->o.want_hook >= 0) {
		ok_hook[!t->o.want_hook] = false;
		ok_hook[t->o.want_hook] = true;	/* asked for: try it anyway */
	}
	/* --attach kprobe: the fallbacks only, classic tracepoints too. */
	if (t->o.want_hook == TRACER_KPROBE) {
		order[0] = TRACER_TRACEPOINT;
		order[1] = TRACER_TP_BTF;
	}
	if (t->o.verbose)
		fprintf(stderr, "ptscope %s: probed: fentry %s, kprobe %s, tp_btf %s, "
			"tracepoint %s\n", cli.cmd, ok_hook[0] ? "yes" : "no",
			ok_hook[1] ? "yes" : "no", ok_exc[0] ? "yes" : "no",
			ok_exc[1] ? "yes" : "no");

	for (i = 0; i < 3; i++) {
		x = order[i];
		if (!ok_exc[x])
			continue;
		for (h = TRACER_FENTRY; h <= TRACER_KPROBE; h++) {
			if (!ok_hook[h])
				continue;
			err = try_attach(t, h, x);
			if (!err) {
				if (x == TRACER_NO_EXC && !t->o.quiet)
					cli_warn("the x86 page-fault tracepoints could not be "
						 "attached: no error codes (cause \"none\")");
				return 0;
			}
			if (err == -EPERM)
				return err;
		}
	}
	return err;
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct tracer *t = ctx;
	struct ft_event e;

	if (size < sizeof(e))
		return 0;
	memcpy(&e, data, sizeof(e));
	return t->o.fn ? t->o.fn(t->o.ctx, &e) : 0;
}

int tracer_open(struct tracer **tp, const struct tracer_opts *o)
{
	struct tracer *t = calloc(1, sizeof(*t));
	int err;

	*tp = NULL;
	if (!t)
		return -ENOMEM;
	t->o = *o;
	verbose_libbpf = o->verbose;
	libbpf_set_print(libbpf_print);
	err = attach(t);
	if (err)
		goto fail;
	t->rb = ring_buffer__new(bpf_map__fd(t->skel->maps.events), on_event, t, NULL);
	if (!t->rb) {
		err = -errno;
		goto fail;
	}
	*tp = t;
	return 0;
fail:
	tracer_close(t);
	return err;
}

void tracer_close(struct tracer *t)
{
	if (!t)
		return;
	ring_buffer__free(t->rb);
	faulttrace_bpf__destroy(t->skel);
	free(t);
}

int tracer_follow(struct tracer *t, int tgid)
{
	int ncpu = libbpf_num_possible_cpus(), err;
	__u32 key = FT_CNT_INFLIGHT;
	uint64_t *zero;

	if (t->o.pid || !t->o.follow)
		return -EINVAL;
	if (t->skel->bss->armed)
		return -EBUSY;
	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	zero = calloc(ncpu, sizeof(*zero));
	if (!zero)
		return -ENOMEM;
	t->skel->bss->follow_tgid = tgid;
	/*
	 * What the last process left in flight is nobody's now: a new
	 * generation, in which nothing is in flight yet.
	 */
	t->skel->bss->follow_gen++;
	err = bpf_map_update_elem(bpf_map__fd(t->skel->maps.counters), &key, zero, BPF_ANY);
	free(zero);
	return err ? -errno : 0;
}

void tracer_arm(struct tracer *t, bool on)
{
	t->skel->bss->armed = on;
}

int tracer_poll(struct tracer *t, int timeout_ms)
{
	int n = ring_buffer__poll(t->rb, timeout_ms);

	/*
	 * The BPF side wakes us only when TRACER_WAKEUP_BYTES are waiting:
	 * after a quiet wait, take what is there, so that a slow target's
	 * faults show within TIMEOUT_MS, not at the end.
	 */
	if (n == 0)
		n = ring_buffer__consume(t->rb);
	return n;
}

int tracer_consume(struct tracer *t)
{
	return ring_buffer__consume(t->rb);
}

/* Sum of the per-CPU counters. */
static void read_counters(struct tracer *t, uint64_t *out)
{
	int ncpu = libbpf_num_possible_cpus(), fd, i, c;
	uint64_t *vals;

	memset(out, 0, FT_NR_COUNTERS * sizeof(*out));
	if (ncpu <= 0)
		return;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return;
	fd = bpf_map__fd(t->skel->maps.counters);
	for (i = 0; i < FT_NR_COUNTERS; i++) {
		__u32 key = i;

		if (bpf_map_lookup_elem(fd, &key, vals))
			continue;
		for (c = 0; c < ncpu; c++)
			out[i] += vals[c];
	}
	free(vals);
}

void tracer_stats(struct tracer *t, struct tracer_stats *s)
{
	struct bpf_program *prog;

	memset(s, 0, sizeof(*s));
	read_counters(t, s->cnt);
	/* Faults still between entry and return (entries less returns). */
	s->inflight = (int64_t)s->cnt[FT_CNT_INFLIGHT] > 0 ? s->cnt[FT_CNT_INFLIGHT] : 0;
	bpf_object__for_each_program(prog, t->skel->obj) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(prog);

		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(fd, &info, &len))
			continue;
		s->misses += info.recursion_misses;
		s->run_ns += info.run_time_ns;
		s->run_cnt += info.run_cnt;
	}
}

uint64_t tracer_lost(const struct tracer_stats *s, bool target_gone)
{
	/* A fault the in-flight map had no room for also returns without entry. */
	return s->cnt[FT_CNT_LOST_RINGBUF] + s->cnt[FT_CNT_LOST_NO_ENTRY] +
	       s->cnt[FT_CNT_LOST_NO_EXIT] + (target_gone ? s->inflight : 0);
}

const volatile tracer_hist_t *tracer_class_hist(const struct tracer *t)
{
	return t->o.aggregate ? t->skel->bss->class_hist : NULL;
}

enum tracer_hook tracer_hook(const struct tracer *t)
{
	return t->hook;
}

enum tracer_exc tracer_exc(const struct tracer *t)
{
	return t->exc;
}

unsigned int tracer_paging_levels(const struct tracer *t)
{
	return t->skel->bss->paging_levels;
}

uint64_t tracer_page_offset(const struct tracer *t)
{
	return t->skel->bss->paging_page_offset;
}

uint64_t tracer_zero_pfn(void)
{
	long psz = sysconf(_SC_PAGESIZE);
	volatile char *p;
	uint64_t ent = 0;
	int fd;

	/* A fresh anonymous page, read: it maps the zero page. */
	p = mmap(NULL, psz, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 0;
	(void)p[0];
	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (pread(fd, &ent, sizeof(ent), (uintptr_t)p / psz * sizeof(ent)) != sizeof(ent))
			ent = 0;
		close(fd);
	}
	munmap((void *)p, psz);
	if (!(ent >> 63))
		return 0;
	return ent & ((1ULL << 55) - 1);
}

uint64_t tracer_huge_zero_pfn(void)
{
	const size_t huge = 2UL << 20, len = 2 * huge;
	uint64_t ent = 0, flags = 0, pfn = 0;
	char *m, *p;
	int fd;

	m = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return 0;
	p = (char *)(((uintptr_t)m + huge - 1) & ~(uintptr_t)(huge - 1));
	madvise(p, huge, MADV_HUGEPAGE);
	(void)*(volatile char *)p;
	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (pread(fd, &ent, sizeof(ent), (uintptr_t)p / 4096 * sizeof(ent)) != sizeof(ent))
			ent = 0;
		close(fd);
	}
	munmap(m, len);
	if (ent >> 63)
		pfn = ent & ((1ULL << 55) - 1);
	if (!pfn || (pfn & 511))
		return 0;
	fd = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (pread(fd, &flags, sizeof(flags), pfn * sizeof(flags)) != sizeof(flags))
		flags = 0;
	close(fd);
	/* KPF_THP (22) and KPF_ZERO_PAGE (24) */
	return (flags & (1ULL << 22)) && (flags & (1ULL << 24)) ? pfn : 0;
}

bool tracer_possible(char *why, size_t len)
{
	const char *ld = cli_lockdown();

	if (ld && !strcmp(ld, "confidentiality")) {
		snprintf(why, len, "lockdown (confidentiality) refuses BPF reads of "
			 "kernel memory: the BPF tracer cannot run");
		return false;
	}
	if (!access("/sys/kernel/btf/vmlinux", R_OK))
		return true;
	snprintf(why, len, "this kernel has no BTF (/sys/kernel/btf/vmlinux: %s): "
		 "the BPF tracer cannot run", strerror(errno));
	return false;
}

long long tracer_fault_around_bytes(void)
{
	long long v = -1;
	FILE *f = fopen("/sys/kernel/debug/fault_around_bytes", "re");

	if (!f)
		return -1;
	if (fscanf(f, "%lld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}
