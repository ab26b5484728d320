// SPDX-License-Identifier: GPL-2.0
/*
 * ptscope: find a target process and check that the caller may read it.
 *
 * ptrace_may_access() is not exported to modules.  The kernel performs
 * the very check we need (PTRACE_MODE_READ_FSCREDS, through mm_access())
 * whenever /proc/PID/pagemap is opened, so the module opens that file
 * with the caller's credentials and closes it again: if the open
 * succeeds, the caller could have read the same page tables through
 * pagemap.  The struct pid is pinned before the open and checked after
 * it, so a PID reused in between is detected.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/capability.h>
#include <linux/err.h>

#include "target.h"

static int check_ptrace_read(pid_t nr)
{
	char path[32];
	struct file *f;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", nr);
	f = filp_open(path, O_RDONLY, 0);
	if (IS_ERR(f))
		return PTR_ERR(f) == -EPERM ? -EACCES : PTR_ERR(f);
	filp_close(f, NULL);
	return 0;
}

/* Look @nr up and run the checks every request needs; returns the task. */
static struct task_struct *target_task(pid_t nr, struct pid **pidp)
{
	struct task_struct *task;
	struct pid *pid;
	int ret;

	if (!capable(CAP_SYS_ADMIN))
		return ERR_PTR(-EPERM);
	pid = find_get_pid(nr);
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
	ret = check_ptrace_read(nr);
	if (ret)
		goto out_task;
	/* The PID number cannot have been reused while @pid had a task. */
	if (!pid_has_task(pid, PIDTYPE_PID)) {
		ret = -ESRCH;
		goto out_task;
	}
	*pidp = pid;
	return task;
out_task:
	put_task_struct(task);
out_pid:
	put_pid(pid);
	return ERR_PTR(ret);
}

/**
 * ptscope_target_get() - look up a process and pin its address space
 * @nr: PID in the caller's PID namespace
 * @t:  filled in on success; release with ptscope_target_put()
 *
 * Errors, as documented in Documentation/interface.rst:
 * -ESRCH: no such process, or it has exited (zombie);
 * -ENXIO: a kernel thread, which has no user address space;
 * -EACCES: the caller fails the ptrace read check on the target;
 * -EPERM: the caller lacks CAP_SYS_ADMIN.
 *
 * Context: process context; may sleep.
 * Return: 0 or a negative errno.
 */
int ptscope_target_get(pid_t nr, struct ptscope_target *t)
{
	struct task_struct *task;
	struct mm_struct *mm;
	struct pid *pid;
	int ret = 0;

	task = target_task(nr, &pid);
	if (IS_ERR(task))
		return PTR_ERR(task);
	mm = get_task_mm(task);
	if (!mm) {
		ret = -ESRCH;
		goto out;
	}
	mmgrab(mm);
	mmput(mm);
	t->mm = mm;
	t->pid = nr;
	get_task_comm(t->comm, task);
out:
	put_task_struct(task);
	put_pid(pid);
	return ret;
}

/**
 * ptscope_tgid_get() - look up a process for fault tracking
 * @nr:   PID (or thread ID) in the caller's PID namespace
 * @comm: receives the command name
 *
 * Same checks and errors as ptscope_target_get(), and -ESRCH for a
 * process that is exiting.
 *
 * Context: process context; may sleep.
 * Return: a reference to the thread group's struct pid, or an ERR_PTR.
 */
struct pid *ptscope_tgid_get(pid_t nr, char *comm)
{
	struct task_struct *task;
	struct pid *pid, *tgid = ERR_PTR(-ESRCH);

	task = target_task(nr, &pid);
	if (IS_ERR(task))
		return ERR_CAST(task);
	if (!(task->flags & PF_EXITING) && task->mm) {
		tgid = get_pid(task_tgid(task));
		strscpy(comm, task->comm, TASK_COMM_LEN);
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
