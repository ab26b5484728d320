// SPDX-License-Identifier: GPL-2.0
/*
 * bpfwalk.c: walk, translate and ptcost without the module, through a
 * BPF task_vma iterator (tools/bpf/ptwalk.bpf.c).  Not written yet.
 */
#include <errno.h>

#include "cli.h"

int cli_bpfwalk_possible(const char **why)
{
	*why = "this ptscope was built without the BPF walker";
	return -ENOSYS;
}

int cli_bpfwalk_open(struct pts_session *s, int pid, const char *req)
{
	(void)s;
	(void)pid;
	(void)req;
	return -ENOSYS;
}
