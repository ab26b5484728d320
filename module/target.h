/* SPDX-License-Identifier: GPL-2.0 */
#ifndef PTSCOPE_TARGET_H
#define PTSCOPE_TARGET_H

#include <linux/sched.h>

/**
 * struct ptscope_target - a process whose page tables a session reads
 * @mm:   its address space, pinned with mmgrab() (not mmget())
 * @pid:  PID as the caller named it, in the opener's PID namespace
 * @comm: command name at the time of the request
 */
struct ptscope_target {
	struct mm_struct *mm;
	pid_t pid;
	char comm[TASK_COMM_LEN];
};

struct file;
struct pid_namespace;

struct pid_namespace *ptscope_opener_ns(void);
struct pid *ptscope_find_get_pid(struct pid_namespace *ns, pid_t nr);
int ptscope_target_get(struct file *file, struct pid_namespace *ns, pid_t nr,
		       struct ptscope_target *t);
void ptscope_target_put(struct ptscope_target *t);
struct pid *ptscope_tgid_get(struct file *file, struct pid_namespace *ns,
			     pid_t nr, char *comm, struct mm_struct **mmp);

#endif /* PTSCOPE_TARGET_H */
