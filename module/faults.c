// SPDX-License-Identifier: GPL-2.0
/*
 * ptscope fault counters: per-process page-fault counts.
 *
 * Three hooks, registered when the first process is tracked and kept until
 * the module is unloaded (registering and unregistering a return probe
 * over and over while faults are in flight crashed 6.1 in our race test):
 *
 *  - the x86 exceptions:page_fault_user and :page_fault_kernel
 *    tracepoints, found with for_each_kernel_tracepoint(), see each
 *    hardware fault on a user address with its error code;
 *  - a kretprobe on handle_mm_fault() sees each fault the MM handles and
 *    its outcome;
 *  - the sched_process_exec tracepoint stops counting a process at an
 *    exec that raises its privileges or makes it non-dumpable (no access
 *    check can run in fault context, so its counts end at that exec; the
 *    tracepoint fires once the new image is loaded, so the faults the
 *    kernel makes loading it are still counted).
 *
 * The outcome is classified with the kernel's own rules for
 * minflt/majflt (mm_account_fault()): a VM_FAULT_RETRY is counted when
 * the retried fault completes, an error is not a minor fault, and a fault
 * that completes after a retry (FAULT_FLAG_TRIED) is major.
 *
 * Once registered, every handle_mm_fault() in the system, tracked or not,
 * goes through the kretprobe's entry (an ftrace call, a return-probe
 * instance taken and given back, and a walk of the tracked list), and
 * every hardware fault on a user address through the tracepoint callback
 * (another walk of the list).
 *
 * The kernel charges a fault to the task that handles it (current), so a
 * fault is charged to the tracked process whose thread group current
 * belongs to.  The tracepoint leaves the error code in a small per-process
 * table of slots keyed by task, where the return probe's entry handler
 * finds it to tell a not-present fault from a protection fault.
 *
 * Processes are identified by their thread group's struct pid, so a PID
 * reused after an exit is never counted as the old process.  A process
 * that exited, or stopped being counted at a privileged exec, is reported
 * once more (state=exited or state=exec-privileged) and then dropped: the
 * whole file is built at the first read of each open file, and what it
 * reports as ended is dropped in the same hold of the lock, so no reader
 * loses a final report however long the file is.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include "ptscope_features.h"

#include <linux/debugfs.h>
#include <linux/kprobes.h>
#include <linux/tracepoint.h>
#include <linux/mm.h>
#include <linux/hugetlb.h>
#include <linux/shmem_fs.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/sched/signal.h>
#include <linux/sched/coredump.h>
#ifdef PTSCOPE_HAVE_TASK_EXEC_STATE
#include <linux/sched/exec_state.h>
#endif
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>
#include <linux/capability.h>
#include <linux/refcount.h>
#include <linux/hash.h>
#include <linux/binfmts.h>
#include <linux/cred.h>
#include <asm/trap_pf.h>

#include "internal.h"
#include "target.h"

#define PF_SLOTS_BITS	4

/* struct tracked.state */
enum {
	TRACK_ALIVE,
	TRACK_EXEC_PRIVILEGED,	/* an exec raised its privileges: not counted */
};

/* The error code of a hardware fault, waiting for handle_mm_fault(). */
struct pf_slot {
	struct task_struct *task;
	unsigned long address;
	unsigned long error_code;
};

struct tracked {
	struct list_head node;		/* on tracked_list, RCU */
	struct list_head retired;	/* on retired_list once untracked */
	struct rcu_head rcu;
	refcount_t ref;
	struct pid *tgid;
	pid_t nr;
	int state;			/* TRACK_*, READ_ONCE/WRITE_ONCE */
	kernel_cap_t cap_permitted;	/* the process's, when tracking began */
	int dumpable;			/* dumpable_of(), when tracking began */
	char comm[TASK_COMM_LEN];
	atomic64_t count[PTSCOPE_NR_FAULT_COUNTERS];
	struct pf_slot slots[1 << PF_SLOTS_BITS];
};

/* What the return probe's entry handler saves for the return handler. */
struct fault_ctx {
	struct tracked *t;
	unsigned int flags;
	u8 cause;
	u8 kind;
};

static LIST_HEAD(tracked_list);
static DEFINE_MUTEX(tracked_lock);	/* list changes, hook (un)registration */
/*
 * Untracked processes still referenced by a fault in flight.  A fault in
 * flight when the return probe is unregistered never returns through it,
 * so hooks_off() frees whatever is left here.
 */
static LIST_HEAD(retired_list);
static DEFINE_SPINLOCK(retired_lock);
static unsigned int nr_tracked;
static bool hooks_on;
static struct tracepoint *tp_user, *tp_kernel, *tp_exec;

static const struct {
	int id;
	const char *name;
} counters[] = {
#define COUNTER(c, str) { .id = PTSCOPE_FC_##c, .name = (str) },
	PTSCOPE_FAULT_COUNTERS(COUNTER)
#undef COUNTER
};

static void count(struct tracked *t, int c)
{
	atomic64_inc(&t->count[c]);
}

static void tracked_free_rcu(struct rcu_head *rcu)
{
	struct tracked *t = container_of(rcu, struct tracked, rcu);

	put_pid(t->tgid);
	kfree(t);
}

/* Drop a reference; the last one is always held by a retired entry. */
static void tracked_put(struct tracked *t)
{
	if (!refcount_dec_and_test(&t->ref))
		return;
	spin_lock(&retired_lock);
	list_del(&t->retired);
	spin_unlock(&retired_lock);
	call_rcu(&t->rcu, tracked_free_rcu);
}

/*
 * The tracked process current belongs to, if it is still counted.
 * Caller holds RCU.
 */
static struct tracked *tracked_current(void)
{
	struct pid *tgid = task_tgid(current);
	struct tracked *t;

	list_for_each_entry_rcu(t, &tracked_list, node)
		if (t->tgid == tgid)
			return READ_ONCE(t->state) == TRACK_ALIVE ? t : NULL;
	return NULL;
}

static struct pf_slot *slot_of(struct tracked *t, struct task_struct *task)
{
	return &t->slots[hash_ptr(task, PF_SLOTS_BITS)];
}

static void probe_fault(unsigned long address, unsigned long error_code,
			int which)
{
	struct tracked *t;
	struct pf_slot *slot;

	if (address >= TASK_SIZE_MAX)
		return;
	rcu_read_lock();
	t = tracked_current();
	if (t) {
		count(t, PTSCOPE_FC_EXCEPTIONS);
		count(t, which);
		slot = slot_of(t, current);
		WRITE_ONCE(slot->address, address);
		WRITE_ONCE(slot->error_code, error_code);
		WRITE_ONCE(slot->task, current);
	}
	rcu_read_unlock();
}

static void probe_fault_user(void *data, unsigned long address,
			     struct pt_regs *regs, unsigned long error_code)
{
	probe_fault(address, error_code, PTSCOPE_FC_EXC_USER);
}

static void probe_fault_kernel(void *data, unsigned long address,
			       struct pt_regs *regs, unsigned long error_code)
{
	probe_fault(address, error_code, PTSCOPE_FC_EXC_KERNEL);
}

/*
 * sched_process_exec: current has just switched to the new program, with
 * its new credentials committed.  An exec the kernel marks secure
 * (setuid, setgid, file capabilities, an LSM transition: AT_SECURE), one
 * that leaves the process with permitted capabilities it did not have
 * when tracking began, or one that leaves a process that was dumpable
 * when tracking began not dumpable (an executable its user may not read)
 * ends the counting: the tracker was checked against the process as it
 * was, and no check can run in fault context.
 */
/*
 * Whether @task (whose mm is @mm) may be dumped and ptraced by its owner:
 * DUMP_OWNER, or not.  7.x keeps this in task->exec_state (the values
 * are the prctl(PR_SET_DUMPABLE) ABI, as SUID_DUMP_* were), before it
 * was in mm->flags.  Called under rcu_read_lock() or with @task pinned.
 */
#ifdef PTSCOPE_HAVE_TASK_EXEC_STATE
#define DUMP_OWNER	TASK_DUMPABLE_OWNER
static int dumpable_of(struct task_struct *task, struct mm_struct *mm)
{
	const struct task_exec_state *es;
	int d;

	rcu_read_lock();
	es = rcu_dereference(task->exec_state);
	d = es ? READ_ONCE(es->dumpable) : TASK_DUMPABLE_OFF;
	rcu_read_unlock();
	return d;
}
#else
#define DUMP_OWNER	SUID_DUMP_USER
static int dumpable_of(struct task_struct *task, struct mm_struct *mm)
{
	return get_dumpable(mm);
}
#endif

static void probe_exec(void *data, struct task_struct *p, pid_t old_pid,
		       struct linux_binprm *bprm)
{
	const struct cred *cred;
	struct tracked *t;

	rcu_read_lock();
	t = tracked_current();
	if (t) {
		cred = rcu_dereference(current->cred);
		if (bprm->secureexec ||
		    !cap_issubset(cred->cap_permitted, t->cap_permitted) ||
		    (t->dumpable == DUMP_OWNER &&
		     dumpable_of(current, current->mm) != DUMP_OWNER))
			WRITE_ONCE(t->state, TRACK_EXEC_PRIVILEGED);
	}
	rcu_read_unlock();
}

static int vma_kind(struct vm_area_struct *vma)
{
	struct mm_struct *mm = vma->vm_mm;

	if (is_vm_hugetlb_page(vma))
		return PTSCOPE_FC_VMA_HUGETLB;
	if (vma->vm_file)
		return shmem_mapping(vma->vm_file->f_mapping) ?
		       PTSCOPE_FC_VMA_SHMEM : PTSCOPE_FC_VMA_FILE;
	if (vma_is_anonymous(vma)) {
		if ((vma->vm_flags & VM_GROWSDOWN) ||
		    (vma->vm_start <= mm->start_stack &&
		     vma->vm_end >= mm->start_stack))
			return PTSCOPE_FC_VMA_STACK;
		return PTSCOPE_FC_VMA_ANON;
	}
	return PTSCOPE_FC_VMA_OTHER;
}

/* handle_mm_fault(vma, address, flags, regs) entry. */
static int hmf_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct vm_area_struct *vma = (void *)regs_get_kernel_argument(regs, 0);
	unsigned long address = regs_get_kernel_argument(regs, 1);
	struct fault_ctx *ctx = (void *)ri->data;
	struct tracked *t;
	struct pf_slot *slot;

	rcu_read_lock();
	t = tracked_current();
	if (!t || !refcount_inc_not_zero(&t->ref)) {
		rcu_read_unlock();
		return 1;	/* not ours: no return handler */
	}
	rcu_read_unlock();

	ctx->t = t;
	ctx->flags = regs_get_kernel_argument(regs, 2);
	ctx->kind = vma_kind(vma);
	ctx->cause = PTSCOPE_FC_NO_CAUSE;
	slot = slot_of(t, current);
	if (READ_ONCE(slot->task) == current &&
	    READ_ONCE(slot->address) == address)
		ctx->cause = READ_ONCE(slot->error_code) & X86_PF_PROT ?
			     PTSCOPE_FC_PROTECTION : PTSCOPE_FC_NOT_PRESENT;
	if (!regs_get_kernel_argument(regs, 3))
		ctx->cause = PTSCOPE_FC_NO_CAUSE;
	return 0;
}

static int hmf_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct fault_ctx *ctx = (void *)ri->data;
	vm_fault_t ret = regs_return_value(regs);
	struct tracked *t = ctx->t;
	unsigned int flags = ctx->flags;

	if (ret & VM_FAULT_RETRY) {
		count(t, PTSCOPE_FC_RETRY);
		goto out;
	}
	count(t, PTSCOPE_FC_FAULTS);
	if (ret & VM_FAULT_ERROR)
		count(t, PTSCOPE_FC_ERROR);
	else if ((ret & VM_FAULT_MAJOR) || (flags & FAULT_FLAG_TRIED))
		count(t, PTSCOPE_FC_MAJOR);
	else
		count(t, PTSCOPE_FC_MINOR);

	if (flags & FAULT_FLAG_INSTRUCTION)
		count(t, PTSCOPE_FC_EXEC);
	else if (flags & FAULT_FLAG_WRITE)
		count(t, PTSCOPE_FC_WRITE);
	else
		count(t, PTSCOPE_FC_READ);

	count(t, ctx->cause);
	if (ctx->cause == PTSCOPE_FC_NO_CAUSE)
		count(t, PTSCOPE_FC_GUP);
	else if (flags & FAULT_FLAG_USER)
		count(t, PTSCOPE_FC_USER);
	else
		count(t, PTSCOPE_FC_KERNEL);
	count(t, ctx->kind);
out:
	tracked_put(t);
	return 0;
}

static struct kretprobe hmf_probe;

static void find_tracepoint(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "page_fault_user"))
		tp_user = tp;
	else if (!strcmp(tp->name, "page_fault_kernel"))
		tp_kernel = tp;
	else if (!strcmp(tp->name, "sched_process_exec"))
		tp_exec = tp;
}

static void hooks_off(void)
{
	struct tracked *t, *tmp;

	if (!hooks_on)
		return;
	tracepoint_probe_unregister(tp_user, probe_fault_user, NULL);
	tracepoint_probe_unregister(tp_kernel, probe_fault_kernel, NULL);
	tracepoint_probe_unregister(tp_exec, probe_exec, NULL);
	unregister_kretprobe(&hmf_probe);
	tracepoint_synchronize_unregister();
	hooks_on = false;

	/* No handler runs now: references still held were lost in flight. */
	spin_lock(&retired_lock);
	list_for_each_entry_safe(t, tmp, &retired_list, retired) {
		list_del(&t->retired);
		call_rcu(&t->rcu, tracked_free_rcu);
	}
	spin_unlock(&retired_lock);
}

static int hooks_start(void)
{
	int ret;

	if (hooks_on)
		return 0;
	if (!tp_user || !tp_kernel || !tp_exec)
		return -EOPNOTSUPP;
	/*
	 * Fill the probe afresh: a failed or undone registration leaves
	 * kp.addr (resolved from the symbol), kp.flags and nmissed set, and
	 * register_kretprobe() refuses a probe with both a symbol and an
	 * address (EINVAL), which would fail every later track.
	 */
	memset(&hmf_probe, 0, sizeof(hmf_probe));
	hmf_probe.kp.symbol_name = "handle_mm_fault";
	hmf_probe.entry_handler = hmf_entry;
	hmf_probe.handler = hmf_return;
	hmf_probe.data_size = sizeof(struct fault_ctx);
	/* A handle_mm_fault() may sleep for long: allow many in flight. */
	hmf_probe.maxactive = max_t(int, 256, 64 * num_possible_cpus());
	ret = register_kretprobe(&hmf_probe);
	if (ret) {
		pr_warn("cannot probe handle_mm_fault: %d\n", ret);
		return ret;
	}
	ret = tracepoint_probe_register(tp_user, probe_fault_user, NULL);
	if (ret)
		goto err_kretprobe;
	ret = tracepoint_probe_register(tp_kernel, probe_fault_kernel, NULL);
	if (ret)
		goto err_user;
	ret = tracepoint_probe_register(tp_exec, probe_exec, NULL);
	if (ret)
		goto err_kernel;
	hooks_on = true;
	return 0;

err_kernel:
	tracepoint_probe_unregister(tp_kernel, probe_fault_kernel, NULL);
err_user:
	tracepoint_probe_unregister(tp_user, probe_fault_user, NULL);
err_kretprobe:
	unregister_kretprobe(&hmf_probe);
	tracepoint_synchronize_unregister();
	return ret;
}

static struct tracked *tracked_find_pid(struct pid *tgid)
{
	struct tracked *t;

	list_for_each_entry(t, &tracked_list, node)
		if (t->tgid == tgid)
			return t;
	return NULL;
}

/*
 * Caller holds tracked_lock.  The hooks stay registered; with nothing
 * tracked they find an empty list and return at once.
 */
static void tracked_remove(struct tracked *t)
{
	list_del_rcu(&t->node);
	spin_lock(&retired_lock);
	list_add(&t->retired, &retired_list);
	spin_unlock(&retired_lock);
	nr_tracked--;
	tracked_put(t);
}

/*
 * "alive", or why the process is no longer counted: a privileged exec
 * ended the counting even if the process has exited since.
 */
static const char *tracked_state(struct tracked *t)
{
	struct task_struct *task;
	bool exited;

	if (READ_ONCE(t->state) == TRACK_EXEC_PRIVILEGED)
		return "exec-privileged";
	task = get_pid_task(t->tgid, PIDTYPE_TGID);
	if (!task)
		return "exited";
	exited = !atomic_read(&task->signal->live);
	put_task_struct(task);
	return exited ? "exited" : "alive";
}

/*
 * The mm of the thread group @tgid now, from its first thread that has
 * one (the leader may have exited before the other threads): NULL if
 * none has.
 */
static struct mm_struct *tgid_mm(struct pid *tgid)
{
	struct task_struct *leader, *task;
	struct mm_struct *mm = NULL;

	rcu_read_lock();
	leader = pid_task(tgid, PIDTYPE_TGID);
	if (leader) {
		for_each_thread(leader, task) {
			task_lock(task);
			mm = task->mm;
			task_unlock(task);
			if (mm)
				break;
		}
	}
	rcu_read_unlock();
	return mm;
}

static int do_track(struct file *file, struct pid_namespace *ns, pid_t nr)
{
	struct mm_struct *mm, *now;
	struct task_struct *task;
	const struct cred *cred;
	struct tracked *t;
	struct pid *tgid;
	int ret;

	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	tgid = ptscope_tgid_get(file, ns, nr, t->comm, &mm);
	if (IS_ERR(tgid)) {
		kfree(t);
		return PTR_ERR(tgid);
	}
	t->tgid = tgid;
	t->nr = pid_nr_ns(tgid, ns);
	refcount_set(&t->ref, 1);
	task = get_pid_task(tgid, PIDTYPE_TGID);
	if (!task) {
		ret = -ESRCH;
		goto err_pid;
	}
	/* An exec since the check is caught below (the mm is not @mm). */
	t->dumpable = dumpable_of(task, mm);
	cred = get_task_cred(task);
	t->cap_permitted = cred->cap_permitted;
	put_cred(cred);
	put_task_struct(task);

	mutex_lock(&tracked_lock);
	if (tracked_find_pid(tgid)) {
		ret = -EEXIST;
		goto err;
	}
	if (nr_tracked >= PTSCOPE_TRACK_MAX) {
		ret = -ENOSPC;
		goto err;
	}
	ret = hooks_start();
	if (ret)
		goto err;
	list_add_tail_rcu(&t->node, &tracked_list);
	nr_tracked++;
	/*
	 * probe_exec() sees every execve() that replaces the mm from here
	 * on; one made since the access check, which it did not see, has
	 * replaced the mm that check approved.
	 */
	now = tgid_mm(tgid);
	if (now != mm) {
		tracked_remove(t);
		ret = now ? -EAGAIN : -ESRCH;
	}
	mutex_unlock(&tracked_lock);
	mmdrop(mm);
	return ret;
err:
	mutex_unlock(&tracked_lock);
err_pid:
	mmdrop(mm);
	put_pid(tgid);
	kfree(t);
	return ret;
}

/*
 * The tracked process NR names in the PID namespace NS: its number there
 * (even if it has been reaped since: the struct pid keeps its numbers),
 * or the thread group of the thread NR.  Caller holds tracked_lock.
 */
static struct tracked *tracked_find_nr(struct pid_namespace *ns, pid_t nr)
{
	struct task_struct *task;
	struct tracked *t;
	struct pid *pid;

	list_for_each_entry(t, &tracked_list, node)
		if (pid_nr_ns(t->tgid, ns) == nr)
			return t;
	pid = ptscope_find_get_pid(ns, nr);
	task = pid ? get_pid_task(pid, PIDTYPE_PID) : NULL;
	put_pid(pid);
	if (!task)
		return NULL;
	t = tracked_find_pid(task_tgid(task));
	put_task_struct(task);
	return t;
}

static bool pid_exists(struct pid_namespace *ns, pid_t nr)
{
	struct pid *pid = ptscope_find_get_pid(ns, nr);
	bool exists = pid;

	put_pid(pid);
	return exists;
}

static int do_untrack(struct pid_namespace *ns, pid_t nr)
{
	struct tracked *t;
	int ret = 0;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	mutex_lock(&tracked_lock);
	t = tracked_find_nr(ns, nr);
	if (t)
		tracked_remove(t);
	else
		ret = pid_exists(ns, nr) ? -ENOENT : -ESRCH;
	mutex_unlock(&tracked_lock);
	return ret;
}

/* What one open file reads: the whole file, built at its first read. */
struct faults_snap {
	size_t len;
	char buf[];
};

struct faults_file {
	struct mutex lock;		/* serialises reads of this file */
	struct faults_snap *snap;
	struct pid_namespace *ns;	/* the opener's: PIDs written are read there */
};

/* pid, comm, state, and every counter as " name=<u64>". */
#define FAULTS_LINE_MAX	PTSCOPE_FAULTS_LINE_MAX

/*
 * Read: a first line with the return probe's global miss count, then one
 * line per tracked process,
 *
 *   missed=<n>
 *   pid=<tgid> comm=<name> state=alive|exited|exec-privileged faults=<n> ...
 *
 * with every counter of PTSCOPE_FAULT_COUNTERS in order.  The text is
 * built once per open file, at its first read, and a process it reports
 * as exited or exec-privileged is dropped under the same lock: the reader
 * that got that line is the one that reports it, however many read()
 * calls it takes to read the file.
 */
static size_t faults_fill(char *buf, size_t size)
{
	struct tracked *t, *tmp;
	size_t len;
	int i;

	lockdep_assert_held(&tracked_lock);
	/* No instance free, or hit while another kprobe ran on the CPU. */
	len = scnprintf(buf, size, "missed=%lu\n",
			hooks_on ? hmf_probe.nmissed + hmf_probe.kp.nmissed : 0UL);
	list_for_each_entry_safe(t, tmp, &tracked_list, node) {
		const char *state = tracked_state(t);

		len += scnprintf(buf + len, size - len, "pid=%d comm=%s state=%s",
				 t->nr, t->comm, state);
		for (i = 0; i < ARRAY_SIZE(counters); i++)
			len += scnprintf(buf + len, size - len, " %s=%lld",
					 counters[i].name,
					 (long long)atomic64_read(&t->count[counters[i].id]));
		len += scnprintf(buf + len, size - len, "\n");
		if (strcmp(state, "alive"))
			tracked_remove(t);
	}
	return len;
}

static struct faults_snap *faults_snapshot(void)
{
	struct faults_snap *snap;
	size_t size;

	mutex_lock(&tracked_lock);
	size = 32 + (size_t)nr_tracked * FAULTS_LINE_MAX;
	snap = kvmalloc(sizeof(*snap) + size, GFP_KERNEL);
	if (snap)
		snap->len = faults_fill(snap->buf, size);
	mutex_unlock(&tracked_lock);
	return snap;
}

/**
 * ptscope_faults_text() - the "faults" file's text, for the device
 * @buf:  where to write it
 * @size: room in @buf; PTSCOPE_FAULTS_TEXT_MAX always holds it
 *
 * The same text, with the same effect (processes reported as exited are
 * dropped), as a read of the debugfs file.
 *
 * Return: the length of the text.
 */
size_t ptscope_faults_text(char *buf, size_t size)
{
	size_t len;

	mutex_lock(&tracked_lock);
	len = faults_fill(buf, size);
	mutex_unlock(&tracked_lock);
	return len;
}

static int faults_open(struct inode *inode, struct file *file)
{
	struct faults_file *ff;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	ff = kzalloc(sizeof(*ff), GFP_KERNEL);
	if (!ff)
		return -ENOMEM;
	mutex_init(&ff->lock);
	/* PIDs written to this file are read in the opener's namespace. */
	ff->ns = ptscope_opener_ns();
	file->private_data = ff;
	return nonseekable_open(inode, file);
}

static ssize_t faults_read(struct file *file, char __user *ubuf, size_t len,
			   loff_t *ppos)
{
	struct faults_file *ff = file->private_data;
	ssize_t ret;

	mutex_lock(&ff->lock);
	if (!ff->snap)
		ff->snap = faults_snapshot();
	if (ff->snap)
		ret = simple_read_from_buffer(ubuf, len, ppos, ff->snap->buf,
					      ff->snap->len);
	else
		ret = -ENOMEM;
	mutex_unlock(&ff->lock);
	return ret;
}

static int faults_release(struct inode *inode, struct file *file)
{
	struct faults_file *ff = file->private_data;

	kvfree(ff->snap);
	put_pid_ns(ff->ns);
	mutex_destroy(&ff->lock);
	kfree(ff);
	return 0;
}

/**
 * ptscope_faults_ctl() - start or stop counting a process's faults
 * @file:  the opener's file: whose credentials decide the access
 * @ns:    the opener's PID namespace, in which @nr is read
 * @track: start (true) or stop (false)
 * @nr:    the process
 *
 * Return: 0, or -EINVAL (no such PID number), -ESRCH, -ENXIO, -EACCES,
 * -EPERM (as for walks), -EEXIST (already tracked), -ENOENT (untrack of
 * a process not tracked), -ENOSPC (PTSCOPE_TRACK_MAX processes tracked),
 * -EOPNOTSUPP (the fault tracepoints are missing).
 */
int ptscope_faults_ctl(struct file *file, struct pid_namespace *ns,
		       bool track, unsigned long nr)
{
	if (!nr || nr > PID_MAX_LIMIT)
		return -EINVAL;
	return track ? do_track(file, ns, nr) : do_untrack(ns, nr);
}

/*
 * Write "track pid=N" or "untrack pid=N".  Errors: EINVAL (malformed),
 * and those of ptscope_faults_ctl().
 */
static ssize_t faults_write(struct file *file, const char __user *ubuf,
			    size_t len, loff_t *ppos)
{
	struct faults_file *ff = file->private_data;
	char buf[64], cmd[16];
	unsigned int nr;
	char extra;
	int ret;

	if (!len || len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	if (strlen(buf) != len)
		return -EINVAL;
	if (sscanf(buf, "%15s pid=%u %c", cmd, &nr, &extra) != 2)
		return -EINVAL;
	if (!strcmp(cmd, "track"))
		ret = ptscope_faults_ctl(file, ff->ns, true, nr);
	else if (!strcmp(cmd, "untrack"))
		ret = ptscope_faults_ctl(file, ff->ns, false, nr);
	else
		ret = -EINVAL;
	return ret ? ret : len;
}

static const struct file_operations faults_fops = {
	.owner		= THIS_MODULE,
	.open		= faults_open,
	.read		= faults_read,
	.write		= faults_write,
	.release	= faults_release,
};

/**
 * ptscope_faults_init() - find the fault tracepoints
 *
 * Called before the device or any file can take a track request.  Hooks
 * are registered only when the first process is tracked.
 */
void ptscope_faults_init(void)
{
	for_each_kernel_tracepoint(find_tracepoint, NULL);
	if (!tp_user || !tp_kernel || !tp_exec)
		pr_info("page_fault_user/kernel or sched_process_exec tracepoint not found: no fault counters\n");
}

/**
 * ptscope_faults_debugfs() - create the "faults" file
 * @dir: the module's debugfs directory
 */
void ptscope_faults_debugfs(struct dentry *dir)
{
	debugfs_create_file("faults", 0600, dir, NULL, &faults_fops);
}

/**
 * ptscope_faults_exit() - stop tracking everything
 *
 * Called after the device and the debugfs files are gone (the device
 * cannot be open: it holds a module reference), so no new track request
 * can arrive.
 */
void ptscope_faults_exit(void)
{
	struct tracked *t, *tmp;

	mutex_lock(&tracked_lock);
	list_for_each_entry_safe(t, tmp, &tracked_list, node)
		tracked_remove(t);
	hooks_off();
	mutex_unlock(&tracked_lock);
	rcu_barrier();
}
