/* SPDX-License-Identifier: GPL-2.0 */
/* ptscope: what the module's parts share. */
#ifndef PTSCOPE_INTERNAL_H
#define PTSCOPE_INTERNAL_H

#include <linux/fs.h>
#include <uapi/linux/ptscope.h>

#define PTSCOPE_MODULE_VERSION	"0.1.0"

/**
 * struct ptscope_file - one session file in debugfs
 * @name:   file name under /sys/kernel/debug/ptscope/
 * @op:     the operation it serves (PTSCOPE_OP_*), 0 if the request says
 * @binary: records (true) or text (false)
 */
struct ptscope_file {
	const char *name;
	u32 op;
	bool binary;
};

extern const struct file_operations ptscope_session_fops;

void ptscope_faults_init(struct dentry *dir);
void ptscope_faults_exit(void);

#endif /* PTSCOPE_INTERNAL_H */
