// SPDX-License-Identifier: GPL-2.0
/*
 * ptscope: inspect any process's live page tables through debugfs and
 * /dev/ptscope.
 *
 * This file sets up /sys/kernel/debug/ptscope/, its version file, and the
 * device node (which lockdown leaves open: Documentation/security.rst).
 * The walker is in walk.c, the per-open-file sessions in session.c.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <linux/capability.h>
#include <linux/utsname.h>
#include <linux/miscdevice.h>

#include "internal.h"
#include "walk.h"

static struct dentry *ptscope_dir;
static int device_registered;

static const struct ptscope_file session_files[] = {
	{ .name = "walk",      .op = PTSCOPE_OP_WALK,      .binary = false },
	{ .name = "translate", .op = PTSCOPE_OP_TRANSLATE, .binary = false },
	{ .name = "ptcost",    .op = PTSCOPE_OP_PTCOST,    .binary = false },
	{ .name = "records",   .op = 0,                    .binary = true },
};

static struct miscdevice ptscope_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "ptscope",
	.fops	= &ptscope_device_fops,
	.mode	= 0600,
};

/**
 * ptscope_version_text() - the version file's text
 * @buf:  where to write it
 * @size: room in @buf
 *
 * One "key value" pair per line:
 *
 *   module_version 0.1.0
 *   abi_version 2
 *   kernel_release 6.12.117+deb12-amd64
 *   paging_levels 4|5
 *   page_size 4096
 *   pti 0|1
 *   device 0|1
 *
 * "device 1": /dev/ptscope is registered.
 *
 * Return: the length of the text.
 */
size_t ptscope_version_text(char *buf, size_t size)
{
	return scnprintf(buf, size,
			 "module_version %s\nabi_version %u\nkernel_release %s\n"
			 "paging_levels %d\npage_size %lu\npti %d\ndevice %d\n",
			 PTSCOPE_MODULE_VERSION, PTSCOPE_ABI_VERSION,
			 init_utsname()->release, ptscope_paging_levels(),
			 PAGE_SIZE, boot_cpu_has(X86_FEATURE_PTI) ? 1 : 0,
			 device_registered);
}

static int version_show(struct seq_file *m, void *v)
{
	char buf[256];

	seq_write(m, buf, ptscope_version_text(buf, sizeof(buf)));
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

/*
 * The device is registered first: it is the only step that can fail, and
 * nothing is visible before it, so a failed load leaves no file open on
 * a module that is going away.  debugfs is optional: booted with
 * debugfs=off the module serves the device alone.
 */
static int __init ptscope_init(void)
{
	int i, ret;

	ptscope_faults_init();
	ptscope_layout_init();
	ret = misc_register(&ptscope_misc);
	if (ret) {
		pr_err("cannot register /dev/ptscope: %d\n", ret);
		return ret;
	}
	device_registered = 1;
	ptscope_dir = debugfs_create_dir("ptscope", NULL);
	if (IS_ERR(ptscope_dir)) {
		pr_info("no debugfs (%ld): /dev/ptscope only\n",
			PTR_ERR(ptscope_dir));
	} else {
		debugfs_create_file("version", 0400, ptscope_dir, NULL,
				    &version_fops);
		for (i = 0; i < ARRAY_SIZE(session_files); i++)
			debugfs_create_file(session_files[i].name, 0600,
					    ptscope_dir,
					    (void *)&session_files[i],
					    &ptscope_session_fops);
		ptscope_faults_debugfs(ptscope_dir);
	}
	pr_info("loaded: abi %u, %d-level paging, /dev/ptscope\n",
		PTSCOPE_ABI_VERSION, ptscope_paging_levels());
	return 0;
}

static void __exit ptscope_exit(void)
{
	misc_deregister(&ptscope_misc);
	debugfs_remove(ptscope_dir);
	ptscope_faults_exit();
}

module_init(ptscope_init);
module_exit(ptscope_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("ptscope developers");
MODULE_DESCRIPTION("Inspect a process's live page tables and page faults");
MODULE_VERSION(PTSCOPE_MODULE_VERSION);
