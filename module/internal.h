/* SPDX-License-Identifier: GPL-2.0 */
/* ptscope: what the module's parts share. */
#ifndef PTSCOPE_INTERNAL_H
#define PTSCOPE_INTERNAL_H

#include <linux/fs.h>
#include <linux/sched.h>
#include <uapi/linux/ptscope.h>

#define PTSCOPE_MODULE_VERSION	"0.1.0"

/**
 * struct ptscope_file - one session file in debugfs, or the device
 * @name:   file name under /sys/kernel/debug/ptscope/
 * @op:     the operation it serves (PTSCOPE_OP_*), 0 if the request says
 * @binary: records (true) or text (false), unless the request says
 * @device: /dev/ptscope: every operation, the request chooses the view
 */
struct ptscope_file {
	const char *name;
	u32 op;
	bool binary;
	bool device;
};

extern const struct file_operations ptscope_session_fops;
extern const struct file_operations ptscope_device_fops;

/* One line of the faults text, and the whole text at its longest. */
#define PTSCOPE_FAULTS_LINE_MAX	(64 + TASK_COMM_LEN + \
				 PTSCOPE_NR_FAULT_COUNTERS * (24 + 20))
#define PTSCOPE_FAULTS_TEXT_MAX	(32 + PTSCOPE_TRACK_MAX * PTSCOPE_FAULTS_LINE_MAX)

struct pid_namespace;

void ptscope_faults_init(void);
void ptscope_faults_debugfs(struct dentry *dir);
void ptscope_faults_exit(void);
size_t ptscope_faults_text(char *buf, size_t size);
int ptscope_faults_ctl(struct file *file, struct pid_namespace *ns,
		       bool track, unsigned long nr);
size_t ptscope_version_text(char *buf, size_t size);
bool ptscope_tables_withheld(void);

#endif /* PTSCOPE_INTERNAL_H */
