// SPDX-License-Identifier: GPL-2.0
/*
 * PTSCOPE_HAVE_TASK_EXEC_STATE: a process's dumpability lives in
 * task->exec_state (as in 7.x), no longer in mm->flags (get_dumpable()).
 */
#include <linux/sched.h>
#include <linux/sched/exec_state.h>

int ptscope_probe(struct task_struct *task);
int ptscope_probe(struct task_struct *task)
{
	return rcu_dereference(task->exec_state)->dumpable;
}
