// SPDX-License-Identifier: GPL-2.0
/*
 * ptscope: inspect any process's live page tables through debugfs.
 *
 * This file sets up /sys/kernel/debug/ptscope/ and its version file.
 * The walker is in walk.c, the per-open-file sessions in session.c.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <linux/capability.h>
#include <linux/utsname.h>

#include "internal.h"
#include "walk.h"

static struct dentry *ptscope_dir;

static const struct ptscope_file session_files[] = {
	{ .name = "walk",      .op = PTSCOPE_OP_WALK,      .binary = false },
	{ .name = "translate", .op = PTSCOPE_OP_TRANSLATE, .binary = false },
	{ .name = "ptcost",    .op = PTSCOPE_OP_PTCOST,    .binary = false },
	{ .name = "records",   .op = 0,                    .binary = true },
};

/*
 * version: one "key value" pair per line.
 *
 *   module_version 0.1.0
 *   abi_version 1
 *   kernel_release 6.12.117+deb12-amd64
 *   paging_levels 4|5
 *   page_size 4096
 *   pti 0|1
 */
static int version_show(struct seq_file *m, void *v)
{
	seq_printf(m, "module_version %s\n", PTSCOPE_MODULE_VERSION);
	seq_printf(m, "abi_version %u\n", PTSCOPE_ABI_VERSION);
	seq_printf(m, "kernel_release %s\n", init_utsname()->release);
	seq_printf(m, "paging_levels %d\n", ptscope_paging_levels());
	seq_printf(m, "page_size %lu\n", PAGE_SIZE);
	seq_printf(m, "pti %d\n", boot_cpu_has(X86_FEATURE_PTI) ? 1 : 0);
	return 0;
}

static int version_open(struct inode *inode, struct file *file)
{
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	return single_open(file, version_show, NULL);
}

static const struct file_operations version_fops = {
	.owner		= THIS_MODULE,
	.open		= version_open,
	.read		= seq_read,
	.llseek		= seq_lseek,
	.release	= single_release,
};

static int __init ptscope_init(void)
{
	int i;

	ptscope_dir = debugfs_create_dir("ptscope", NULL);
	if (IS_ERR(ptscope_dir)) {
		pr_err("cannot create debugfs directory: %ld\n",
		       PTR_ERR(ptscope_dir));
		return PTR_ERR(ptscope_dir);
	}
	debugfs_create_file("version", 0400, ptscope_dir, NULL, &version_fops);
	for (i = 0; i < ARRAY_SIZE(session_files); i++)
		debugfs_create_file(session_files[i].name, 0600, ptscope_dir,
				    (void *)&session_files[i],
				    &ptscope_session_fops);
	ptscope_faults_init(ptscope_dir);
	pr_info("loaded: abi %u, %d-level paging\n", PTSCOPE_ABI_VERSION,
		ptscope_paging_levels());
	return 0;
}

static void __exit ptscope_exit(void)
{
	debugfs_remove(ptscope_dir);
	ptscope_faults_exit();
}

module_init(ptscope_init);
module_exit(ptscope_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("ptscope developers");
MODULE_DESCRIPTION("Inspect a process's live page tables and page faults");
MODULE_VERSION(PTSCOPE_MODULE_VERSION);
