// SPDX-License-Identifier: GPL-2.0
/*
 * ptscope: find a target process and check that the caller may read it.
 *
 * ptrace_may_access() is not exported to modules.  The kernel performs
 * the very check we need (PTRACE_MODE_READ_FSCREDS, through mm_access())
 * whenever /proc/PID/pagemap is opened, so the module opens that file and
 * closes it again: if the open succeeds, the caller could have read the
 * same page tables through pagemap.
 *
 * The check is bound to what is walked:
 *
 * - the PID is looked up in the PID namespace of the session's opener,
 *   recorded at open(), not in the writer's;
 * - /proc must be the root of a procfs (PROC_SUPER_MAGIC), which the
 *   module reads the PID in, by that procfs's own PID namespace; no
 *   mount may cover /proc/<nr> or its pagemap;
 * - pagemap_open() keeps the mm it approved in the file's private_data:
 *   that mm must be the one the module pins and walks.  If the target
 *   ran execve() meanwhile, the check is made again on the new mm;
 * - the check is made twice, with the writer's credentials and with the
 *   opener's (the file's f_cred), and both need CAP_SYS_ADMIN, so neither
 *   a descriptor passed to a more privileged writer nor one opened by a
 *   more privileged opener grants anything.  The opener's is made from a
 *   kernel worker, so that the writer's own mm gets no exemption from it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/file.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/proc_fs.h>
#include <linux/magic.h>
#include <linux/cred.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/capability.h>
#include <linux/err.h>
#include <linux/user_namespace.h>
#include <linux/workqueue.h>

#include "target.h"

/* Times the check is made again when the target keeps running execve(). */
#define EXEC_RETRIES	4

/* Mismatch between the mm pagemap approved and the target's mm. */
#define CHECK_MM_CHANGED	1

/**
 * ptscope_opener_ns() - the PID namespace a new session reads PIDs in
 *
 * Context: the open() of a session file.
 * Return: the caller's active PID namespace, with a reference that the
 * caller drops with put_pid_ns().
 */
struct pid_namespace *ptscope_opener_ns(void)
{
	return get_pid_ns(task_active_pid_ns(current));
}

/**
 * ptscope_find_get_pid() - look a PID number up in a PID namespace
 * @ns: the namespace, normally from ptscope_opener_ns()
 * @nr: the number
 *
 * Return: a reference to the struct pid (drop it with put_pid()), or NULL.
 */
struct pid *ptscope_find_get_pid(struct pid_namespace *ns, pid_t nr)
{
	struct pid *pid;

	rcu_read_lock();
	pid = get_pid(find_pid_ns(nr, ns));
	rcu_read_unlock();
	return pid;
}

/* The procfs root mounted at /proc in the writer's mount namespace. */
static struct file *open_procfs(void)
{
	struct file *dir = filp_open("/proc", O_PATH | O_DIRECTORY, 0);

	if (IS_ERR(dir)) {
		pr_notice_ratelimited("%s: cannot open /proc (%ld): no ptrace check\n",
				      current->comm, PTR_ERR(dir));
		return ERR_PTR(-EACCES);
	}
	if (file_inode(dir)->i_sb->s_magic != PROC_SUPER_MAGIC ||
	    dir->f_path.dentry != dir->f_path.mnt->mnt_root ||
	    dir->f_path.dentry != file_inode(dir)->i_sb->s_root) {
		pr_notice_ratelimited("%s: /proc is not the root of a procfs: no ptrace check\n",
				      current->comm);
		fput(dir);
		return ERR_PTR(-EACCES);
	}
	return dir;
}

/*
 * Open @name ("<nr>/pagemap") below @proc with @cred (NULL: the writer's
 * own) and compare the mm pagemap_open() approved with @mm.  0 if they
 * are the same, CHECK_MM_CHANGED if not, or a negative errno.
 */
static int check_mm(struct file *proc, const char *name, struct pid *pid,
		    const struct cred *cred, struct mm_struct *mm)
{
	const struct cred *old = NULL;
	struct file *f;
	int ret;

	if (cred)
		old = override_creds(cred);
	f = file_open_root(&proc->f_path, name, O_RDONLY, 0);
	if (cred)
		revert_creds(old);
	if (IS_ERR(f)) {
		ret = PTR_ERR(f);
		if (ret == -EPERM)
			return -EACCES;
		/* Gone, or hidden (hidepid=invisible) from this caller. */
		if (ret == -ENOENT)
			return pid_has_task(pid, PIDTYPE_PID) ? -EACCES : -ESRCH;
		return ret;
	}
	if (f->f_path.mnt != proc->f_path.mnt) {
		pr_notice_ratelimited("%s: a mount covers /proc/%s: no ptrace check\n",
				      current->comm, name);
		ret = -EACCES;
	} else {
		ret = f->private_data == mm ? 0 : CHECK_MM_CHANGED;
	}
	fput(f);
	return ret;
}

/*
 * The opener's check runs in a kernel worker, not in the writer: the
 * kernel skips the ptrace check when the mm is the caller's own
 * (mm_access()), so in the writer's context a request naming the writer
 * itself would pass for any opener.  A worker has no mm.
 */
struct opener_check {
	struct work_struct work;
	struct file *proc;
	const char *name;
	struct pid *pid;
	const struct cred *cred;
	struct mm_struct *mm;
	int ret;
};

static void opener_check_fn(struct work_struct *work)
{
	struct opener_check *c = container_of(work, struct opener_check, work);

	c->ret = check_mm(c->proc, c->name, c->pid, c->cred, c->mm);
}

static int check_mm_opener(struct file *proc, const char *name,
			   struct pid *pid, const struct cred *cred,
			   struct mm_struct *mm)
{
	struct opener_check c = {
		.proc = proc, .name = name, .pid = pid, .cred = cred, .mm = mm,
	};

	INIT_WORK_ONSTACK(&c.work, opener_check_fn);
	queue_work(system_unbound_wq, &c.work);
	flush_work(&c.work);
	destroy_work_on_stack(&c.work);
	return c.ret;
}

/*
 * The writer's own check already was the opener's: the same credentials
 * (the very cred the file was opened with: nothing changed since), and
 * a real check, not mm_access()'s pass for a caller whose own mm is the
 * target's (@mm: the one pagemap approved).  The worker round trip is
 * then skipped (it was most of a one-page walk's cost).
 */
static bool writer_was_opener(struct file *file, struct mm_struct *mm)
{
	return file->f_cred == current_cred() && mm != current->mm;
}

/* Pin @task's mm with mmgrab(); NULL if it has none (exited). */
static struct mm_struct *task_mm_grab(struct task_struct *task)
{
	struct mm_struct *mm;

	task_lock(task);
	mm = task->mm;
	if (mm)
		mmgrab(mm);
	task_unlock(task);
	return mm;
}

/*
 * Make the ptrace read check on @task for the writer and for the opener
 * of @file, through the procfs @proc; returns the approved mm, grabbed.
 */
static struct mm_struct *check_access(struct file *file, struct file *proc,
				      struct pid *pid, struct task_struct *task)
{
	struct pid_namespace *proc_ns = proc_pid_ns(file_inode(proc)->i_sb);
	struct mm_struct *mm, *now;
	char name[32];
	pid_t nr;
	int ret, tries;

	nr = pid_nr_ns(pid, proc_ns);
	if (!nr) {
		pr_notice_ratelimited("%s: the target is not in the PID namespace of /proc: no ptrace check\n",
				      current->comm);
		return ERR_PTR(-EACCES);
	}
	snprintf(name, sizeof(name), "%d/pagemap", nr);
	for (tries = 0; ; tries++) {
		mm = task_mm_grab(task);
		if (!mm)
			return ERR_PTR(-ESRCH);
		ret = check_mm(proc, name, pid, NULL, mm);
		if (!ret && !writer_was_opener(file, mm))
			ret = check_mm_opener(proc, name, pid, file->f_cred,
					      mm);
		if (!ret)
			return mm;
		if (ret < 0)
			break;
		/* pagemap approved another mm: did the target execve()? */
		task_lock(task);
		now = task->mm;
		task_unlock(task);
		if (now == mm) {
			ret = -EACCES;
			break;
		}
		if (tries == EXEC_RETRIES) {
			ret = -EAGAIN;
			break;
		}
		mmdrop(mm);
	}
	mmdrop(mm);
	return ERR_PTR(ret);
}

/*
 * Look @nr up in @ns and run the checks every request needs; returns the
 * task and the approved mm (grabbed) in @mmp.
 */
static struct task_struct *target_task(struct file *file,
				       struct pid_namespace *ns, pid_t nr,
				       struct pid **pidp,
				       struct mm_struct **mmp)
{
	struct task_struct *task;
	struct mm_struct *mm;
	struct file *proc;
	struct pid *pid;
	int ret;

	if (!capable(CAP_SYS_ADMIN) ||
	    !file_ns_capable(file, &init_user_ns, CAP_SYS_ADMIN))
		return ERR_PTR(-EPERM);
	pid = ptscope_find_get_pid(ns, nr);
	if (!pid)
		return ERR_PTR(-ESRCH);
	task = get_pid_task(pid, PIDTYPE_PID);
	if (!task) {
		ret = -ESRCH;
		goto out_pid;
	}
	if (task->flags & PF_KTHREAD) {
		ret = -ENXIO;
		goto out_task;
	}
	proc = open_procfs();
	if (IS_ERR(proc)) {
		ret = PTR_ERR(proc);
		goto out_task;
	}
	mm = check_access(file, proc, pid, task);
	fput(proc);
	if (IS_ERR(mm)) {
		ret = PTR_ERR(mm);
		goto out_task;
	}
	/* The PID number cannot have been reused while @pid had a task. */
	if (!pid_has_task(pid, PIDTYPE_PID)) {
		mmdrop(mm);
		ret = -ESRCH;
		goto out_task;
	}
	*pidp = pid;
	*mmp = mm;
	return task;
out_task:
	put_task_struct(task);
out_pid:
	put_pid(pid);
	return ERR_PTR(ret);
}

/**
 * ptscope_target_get() - look up a process and pin its address space
 * @file: the session file the request was written to
 * @ns:   the PID namespace of its opener (ptscope_opener_ns())
 * @nr:   PID in @ns
 * @t:    filled in on success; release with ptscope_target_put()
 *
 * The address space pinned is the one the ptrace read check approved,
 * for the writer and for the opener of @file.
 *
 * Errors, as documented in Documentation/interface.rst:
 * -ESRCH: no such process, or it has exited (zombie);
 * -ENXIO: a kernel thread, which has no user address space;
 * -EACCES: the writer or the opener fails the ptrace read check on the
 * target, or /proc cannot be used for the check;
 * -EAGAIN: the target kept running execve() during the check;
 * -EPERM: the writer or the opener lacks CAP_SYS_ADMIN.
 *
 * Context: process context; may sleep.
 * Return: 0 or a negative errno.
 */
int ptscope_target_get(struct file *file, struct pid_namespace *ns, pid_t nr,
		       struct ptscope_target *t)
{
	struct task_struct *task;
	struct mm_struct *mm;
	struct pid *pid;

	task = target_task(file, ns, nr, &pid, &mm);
	if (IS_ERR(task))
		return PTR_ERR(task);
	t->mm = mm;
	t->pid = nr;
	get_task_comm(t->comm, task);
	put_task_struct(task);
	put_pid(pid);
	return 0;
}

/**
 * ptscope_tgid_get() - look up a process for fault tracking
 * @file: the file the request was written to
 * @ns:   the PID namespace of its opener (ptscope_opener_ns())
 * @nr:   PID (or thread ID) in @ns
 * @comm: receives the command name
 * @mmp:  receives the address space the check approved, grabbed (drop it
 *        with mmdrop()): the caller can tell whether an execve() replaced
 *        it since
 *
 * Same checks and errors as ptscope_target_get(), and -ESRCH for a
 * process that is exiting.
 *
 * Context: process context; may sleep.
 * Return: a reference to the thread group's struct pid, or an ERR_PTR.
 */
struct pid *ptscope_tgid_get(struct file *file, struct pid_namespace *ns,
			     pid_t nr, char *comm, struct mm_struct **mmp)
{
	struct task_struct *task;
	struct pid *pid, *tgid = ERR_PTR(-ESRCH);
	struct mm_struct *mm;

	task = target_task(file, ns, nr, &pid, &mm);
	if (IS_ERR(task))
		return ERR_CAST(task);
	if (!(task->flags & PF_EXITING) && task->mm) {
		tgid = get_pid(task_tgid(task));
		strscpy(comm, task->comm, TASK_COMM_LEN);
		*mmp = mm;
	} else {
		mmdrop(mm);
	}
	put_task_struct(task);
	put_pid(pid);
	return tgid;
}

/**
 * ptscope_target_put() - drop what ptscope_target_get() pinned
 * @t: the target; safe to call on a zeroed or already released target
 */
void ptscope_target_put(struct ptscope_target *t)
{
	if (t->mm)
		mmdrop(t->mm);
	t->mm = NULL;
}
