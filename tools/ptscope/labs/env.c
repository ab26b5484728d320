// SPDX-License-Identifier: GPL-2.0
/*
 * ptscope lab: the environment the labs change, and its clean-up.
 *
 * Swap (a zram device made here if there is none) and memory pressure (a
 * memory cgroup v2 group with a small memory.max) for the replacement
 * and paging-file labs; scratch files; the processes the labs start.
 * Everything changed is put back by lab_env_restore() at the end of the
 * run and after an error, and by lab_env_emergency() from the runner's
 * signal handler (async-signal-safe).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lab.h"

/* ---- environment ---------------------------------------------------------- */

static struct {
	/* swap */
	bool swap_ours;			/* swapon done here */
	char swap_dev[64];
	bool zram_ours;			/* a zram device set up here */
	char zram_reset[96];		/* /sys/block/zramN/reset */
	char zram_remove_id[16];	/* for hot_remove, if hot-added */
	bool zram_module_ours;		/* modprobe'd here */
	/* cgroup */
	bool cg_mounted;		/* cgroup2 mounted here */
	char cg_root[256];
	char cg_subtree[300];		/* root's cgroup.subtree_control */
	bool cg_memory_ours;		/* +memory written here */
	char cg_dir[300];
	bool cg_dir_ours;
} env;

static bool swap_active(void)
{
	char line[256];
	bool any = false;
	FILE *f = fopen("/proc/swaps", "re");

	if (!f)
		return false;
	if (fgets(line, sizeof(line), f))	/* header */
		while (fgets(line, sizeof(line), f))
			if (line[0] == '/')
				any = true;
	fclose(f);
	return any;
}

/* open/write/close only: usable from a signal handler */
static void put(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd >= 0) {
		if (write(fd, s, strlen(s)) < 0) {
			/* nothing more to do */
		}
		close(fd);
	}
}

static void swap_restore(void)
{
	if (env.swap_ours) {
		swapoff(env.swap_dev);
		env.swap_ours = false;
	}
	if (env.zram_ours) {
		put(env.zram_reset, "1");
		if (env.zram_remove_id[0])
			put("/sys/class/zram-control/hot_remove", env.zram_remove_id);
		env.zram_ours = false;
	}
	if (env.zram_module_ours) {
		syscall(SYS_delete_module, "zram", O_NONBLOCK);
		env.zram_module_ours = false;
	}
}

int lab_env_swap(struct lab_ctx *c, char *why, size_t len)
{
	char path[128], val[32];
	const char *mkswap[] = { "mkswap", env.swap_dev, NULL };
	const char *modprobe[] = { "modprobe", "zram", "num_devices=1", NULL };
	int id = 0, i, st;

	if (env.swap_ours || swap_active())
		return 0;
	if (c->no_setup) {
		snprintf(why, len, "no swap device is active (and --no-setup: the lab makes "
			 "none)");
		return 1;
	}
	lab_step(c, "No swap device was active: made one, a 128 MiB zram device "
		 "(compressed RAM), with mkswap and swapon; it is removed at the end.");
	if (access("/sys/class/zram-control", F_OK)) {
		st = lab_run(modprobe);
		if (st || access("/sys/class/zram-control", F_OK)) {
			snprintf(why, len, "no swap device is active, and no zram to make one "
				 "(modprobe zram: status %d)", st);
			return 1;
		}
		env.zram_module_ours = true;
		id = 0;
	} else {
		if (lab_read_str("/sys/class/zram-control/hot_add", val, sizeof(val))) {
			snprintf(why, len, "no swap device is active, and no free zram device");
			return 1;
		}
		id = atoi(val);
		snprintf(env.zram_remove_id, sizeof(env.zram_remove_id), "%d", id);
	}
	env.zram_ours = true;
	snprintf(env.zram_reset, sizeof(env.zram_reset), "/sys/block/zram%d/reset", id);
	snprintf(env.swap_dev, sizeof(env.swap_dev), "/dev/zram%d", id);
	snprintf(path, sizeof(path), "/sys/block/zram%d/disksize", id);
	if (lab_write_str(path, "128M")) {
		snprintf(why, len, "cannot size %s: %s", env.swap_dev, strerror(errno));
		swap_restore();
		return 1;
	}
	for (i = 0; i < 100 && access(env.swap_dev, F_OK); i++)
		usleep(10000);
	st = lab_run(mkswap);
	if (st) {
		snprintf(why, len, "mkswap %s failed (status %d)", env.swap_dev, st);
		swap_restore();
		return 1;
	}
	if (swapon(env.swap_dev, 0)) {
		snprintf(why, len, "swapon %s: %s", env.swap_dev, strerror(errno));
		swap_restore();
		return 1;
	}
	env.swap_ours = true;
	return 0;
}

/* The mount point of the cgroup2 hierarchy, or "" */
static void find_cgroup2(char *out, size_t len)
{
	char line[512], dev[64], mnt[256], type[64];
	FILE *f = fopen("/proc/mounts", "re");

	out[0] = '\0';
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %255s %63s", dev, mnt, type) == 3 &&
		    !strcmp(type, "cgroup2")) {
			snprintf(out, len, "%s", mnt);
			break;
		}
	if (f)
		fclose(f);
}

int lab_env_cgroup(struct lab_ctx *c, pid_t pid, uint64_t max_bytes, char *why,
		   size_t len)
{
	char path[400], buf[256], num[32];

	if (!env.cg_root[0]) {
		find_cgroup2(env.cg_root, sizeof(env.cg_root));
		if (!env.cg_root[0]) {
			if (c->no_setup) {
				snprintf(why, len, "no cgroup2 hierarchy is mounted (and "
					 "--no-setup: the lab mounts none)");
				return 1;
			}
			if (mount("cgroup2", "/sys/fs/cgroup", "cgroup2", 0, NULL)) {
				snprintf(why, len, "cannot mount cgroup2 on /sys/fs/cgroup: %s",
					 strerror(errno));
				return 1;
			}
			env.cg_mounted = true;
			snprintf(env.cg_root, sizeof(env.cg_root), "/sys/fs/cgroup");
			lab_step(c, "Mounted the cgroup v2 hierarchy on /sys/fs/cgroup "
				 "(unmounted at the end).");
		}
		snprintf(env.cg_subtree, sizeof(env.cg_subtree), "%s/cgroup.subtree_control",
			 env.cg_root);
	}
	snprintf(path, sizeof(path), "%s/cgroup.controllers", env.cg_root);
	if (lab_read_str(path, buf, sizeof(buf)) || !strstr(buf, "memory")) {
		snprintf(why, len, "the memory controller is not available in %s", env.cg_root);
		return 1;
	}
	if (lab_read_str(env.cg_subtree, buf, sizeof(buf)) || !strstr(buf, "memory")) {
		if (c->no_setup) {
			snprintf(why, len, "the memory controller is not enabled for child "
				 "groups (and --no-setup)");
			return 1;
		}
		if (lab_write_str(env.cg_subtree, "+memory")) {
			snprintf(why, len, "cannot enable the memory controller in %s",
				 env.cg_subtree);
			return 1;
		}
		env.cg_memory_ours = true;
	}
	snprintf(env.cg_dir, sizeof(env.cg_dir), "%s/ptscope-lab.%d", env.cg_root, (int)getpid());
	if (mkdir(env.cg_dir, 0755) && errno != EEXIST) {
		snprintf(why, len, "cannot create %s: %s", env.cg_dir, strerror(errno));
		env.cg_dir[0] = '\0';
		return 1;
	}
	env.cg_dir_ours = true;
	snprintf(path, sizeof(path), "%s/memory.max", env.cg_dir);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)max_bytes);
	if (lab_write_str(path, num)) {
		snprintf(why, len, "cannot set %s", path);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/cgroup.procs", env.cg_dir);
	snprintf(num, sizeof(num), "%d", (int)pid);
	if (lab_write_str(path, num)) {
		snprintf(why, len, "cannot move pid %d into %s", (int)pid, env.cg_dir);
		return 1;
	}
	return 0;
}

static void cgroup_remove_dir(void)
{
	int i;

	if (!env.cg_dir_ours)
		return;
	/* tasks just killed may take a moment to leave */
	for (i = 0; i < 200 && rmdir(env.cg_dir) && errno == EBUSY; i++)
		usleep(10000);
	env.cg_dir_ours = false;
}

void lab_env_cgroup_remove(void)
{
	cgroup_remove_dir();
}

static void cgroup_restore(void)
{
	cgroup_remove_dir();
	if (env.cg_memory_ours) {
		put(env.cg_subtree, "-memory");
		env.cg_memory_ours = false;
	}
	if (env.cg_mounted) {
		umount2(env.cg_root, MNT_DETACH);
		env.cg_mounted = false;
		env.cg_root[0] = '\0';
	}
}

void lab_env_restore(void)
{
	cgroup_restore();
	swap_restore();
}

void lab_env_restore_signal(void)
{
	lab_env_restore();
}

/* Swap device names from /proc/swaps, for the evidence. */
json_object *lab_env_swaps_json(void)
{
	json_object *a = json_object_new_array();
	char line[256], dev[200];
	FILE *f = fopen("/proc/swaps", "re");

	if (f && fgets(line, sizeof(line), f))
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "%199s", dev) == 1)
				json_object_array_add(a, json_object_new_string(dev));
	if (f)
		fclose(f);
	return a;
}

const char *lab_env_cgroup_path(void)
{
	size_t n = strlen(env.cg_root);

	if (!env.cg_dir_ours || !n || strncmp(env.cg_dir, env.cg_root, n) ||
	    env.cg_dir[n] != '/')
		return NULL;
	return env.cg_dir + n;
}

long long lab_env_cgroup_stat(const char *file, const char *key)
{
	char path[400], line[256];
	long long v = -1;
	size_t kl = strlen(key);
	FILE *f;

	if (!env.cg_dir_ours)
		return -1;
	snprintf(path, sizeof(path), "%s/%s", env.cg_dir, file);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, kl) && line[kl] == ' ') {
			v = atoll(line + kl + 1);
			break;
		}
	if (f)
		fclose(f);
	return v;
}

/* ---- processes and scratch files, for the clean-up --------------------- */

#define MAX_PIDS	32
#define MAX_TMP		8

static volatile pid_t live_pids[MAX_PIDS];
static char tmp_paths[MAX_TMP][PATH_MAX];
static volatile int tmp_used[MAX_TMP];

void lab_track_pid(pid_t pid)
{
	int i;

	for (i = 0; i < MAX_PIDS; i++)
		if (!live_pids[i]) {
			live_pids[i] = pid;
			return;
		}
}

void lab_untrack_pid(pid_t pid)
{
	int i;

	for (i = 0; i < MAX_PIDS; i++)
		if (live_pids[i] == pid)
			live_pids[i] = 0;
}

static void remove_tmpfiles(void)
{
	int i;

	for (i = 0; i < MAX_TMP; i++)
		if (tmp_used[i]) {
			unlink(tmp_paths[i]);
			tmp_used[i] = 0;
		}
}

/*
 * After a fatal signal: kill and reap the lab's processes, remove the
 * scratch files and undo the set-up.  Only async-signal-safe calls.
 */
void lab_env_emergency(void)
{
	int i;

	for (i = 0; i < MAX_PIDS; i++)
		if (live_pids[i] > 0)
			kill(live_pids[i], SIGKILL);
	for (i = 0; i < MAX_PIDS; i++)
		if (live_pids[i] > 0)
			waitpid(live_pids[i], NULL, 0);
	remove_tmpfiles();
	lab_env_restore_signal();
}

/* What one lab leaves behind: its scratch files and its cgroup. */
void lab_env_lab_done(void)
{
	remove_tmpfiles();
	lab_env_cgroup_remove();
}


int lab_tmpfile(struct lab_ctx *c, uint64_t len, bool fill, char *path, size_t pathlen)
{
	const char *dir = getenv("TMPDIR");
	static char buf[65536];
	uint64_t done;
	int fd, i, slot = -1;

	for (i = 0; i < MAX_TMP; i++)
		if (!tmp_used[i]) {
			slot = i;
			break;
		}
	if (slot < 0)
		return lab_fail(c, "too many scratch files");
	if (!dir || !*dir)
		dir = "/tmp";
	snprintf(tmp_paths[slot], sizeof(tmp_paths[slot]), "%s/ptscope-lab.XXXXXX", dir);
	fd = mkostemp(tmp_paths[slot], O_CLOEXEC);
	if (fd < 0)
		return lab_fail(c, "scratch file in %s: %s", dir, strerror(errno));
	tmp_used[slot] = 1;
	if (path)
		snprintf(path, pathlen, "%s", tmp_paths[slot]);
	if (ftruncate(fd, len)) {
		close(fd);
		return lab_fail(c, "scratch file of %s: %s", sz(len), strerror(errno));
	}
	for (done = 0; fill && done < len; done += sizeof(buf)) {
		size_t n = len - done < sizeof(buf) ? len - done : sizeof(buf);
		size_t j;

		for (j = 0; j < n; j += LAB_PAGE)	/* each page: its number */
			memset(buf + j, (int)(1 + (done + j) / LAB_PAGE % 255),
			       n - j < LAB_PAGE ? n - j : LAB_PAGE);
		if (pwrite(fd, buf, n, done) != (ssize_t)n) {
			close(fd);
			return lab_fail(c, "writing the scratch file: %s", strerror(errno));
		}
	}
	return fd;
}
