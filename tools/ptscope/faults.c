// SPDX-License-Identifier: GPL-2.0
/*
 * ptscope track PID / untrack PID / faults PID [--json]
 *
 * The module's per-process page-fault counters: start and stop counting a
 * process's faults, and show the counts next to the kernel's own minflt
 * and majflt.
 */
#include <errno.h>
#include <string.h>

#include "cli.h"

const struct cli_cmd cli_cmd_track = {
	.name = "track",
	.run = cmd_track,
	.args = "PID",
	.summary = "start counting a process's page faults in the module",
	.help =
	"Asks the module to count every page fault of process PID (all its\n"
	"threads) from now on: outcome, access, cause, mode and VMA kind.  Up to\n"
	"64 processes can be tracked at once; a process that exits, or execs a\n"
	"program that raises its privileges (setuid, setgid, file capabilities:\n"
	"counting stops at that exec), is dropped after its last report.  Read the counts with `ptscope faults PID`.\n"
	"\n"
	"Examples:\n"
	"  ptscope track 1234; sleep 5; ptscope faults 1234\n",
};

const struct cli_cmd cli_cmd_untrack = {
	.name = "untrack",
	.run = cmd_untrack,
	.args = "PID",
	.summary = "stop counting a process's page faults",
	.help =
	"Stops counting the page faults of process PID and forgets its counts.\n"
	"\n"
	"Examples:\n"
	"  ptscope untrack 1234\n",
};

const struct cli_cmd cli_cmd_faults = {
	.name = "faults",
	.run = cmd_faults,
	.args = "PID [--json]",
	.summary = "page-fault counts of a tracked process",
	.help =
	"Shows the page faults of process PID counted since `ptscope track PID`:\n"
	"  outcome  minor, major, error (and retries, counted again when the\n"
	"           retried fault completes, as the kernel counts them)\n"
	"  access   read, write, instruction fetch\n"
	"  cause    not present, protection (from the hardware error code);\n"
	"           none for faults the kernel takes on the process's behalf (GUP)\n"
	"  mode     user code, or the kernel touching user memory\n"
	"  vma      anon, file, shmem, stack, hugetlb, other\n"
	"and, beside them, the kernel's own minflt and majflt for the process\n"
	"(since it started, so larger than the tracked counts).\n"
	"\n"
	"Options:\n"
	"  -j, --json   one JSON document: pid, comm, state (alive, exited,\n"
	"               exec-privileged), counters{...}, missed (the return\n"
	"               probe's misses, all processes), kernel{minflt, majflt}\n"
	"\n"
	"Examples:\n"
	"  ptscope track $$; ls >/dev/null; ptscope faults $$\n"
	"  ptscope faults 1234 --json | jq .counters.major\n",
};

/*
 * Parse PID as the only argument of a command without options of its own.
 * Returns -1 with *pid set, or the exit status to return now.
 */
static int pid_arg(const struct cli_cmd *cmd, int argc, char **argv, int *pid)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	static const char *const args[] = { "PID", NULL };
	int c, ret;

	while ((c = getopt_long(argc, argv, CLI_COMMON_SHORTOPTS, longopts,
				NULL)) != -1) {
		ret = cli_common_opt(c, optarg, cmd);
		if (ret >= 0)
			return ret;
	}
	ret = cli_want_args(cmd, argc, argv, args);
	if (ret)
		return ret;
	ret = cli_parse_pid(cmd, argv[optind], pid);
	return ret ? ret : -1;
}

static int ctl(const struct cli_cmd *cmd, const char *what, int argc,
	       char **argv)
{
	int pid, ret;

	ret = pid_arg(cmd, argc, argv, &pid);
	if (ret >= 0)
		return ret;
	ret = pts_faults_ctl(what, pid);
	if (ret == -EEXIST) {
		cli_err("process %d is already tracked", pid);
		return CLI_ERR;
	}
	if (ret == -ENOENT && !strcmp(what, "untrack")) {
		cli_err("process %d is not tracked", pid);
		return CLI_ERR;
	}
	if (ret == -ENOSPC) {
		cli_err("too many processes tracked (%d): untrack one first",
			PTSCOPE_TRACK_MAX);
		return CLI_ERR;
	}
	if (ret == -EOPNOTSUPP) {
		cli_err("this kernel has no x86 page-fault tracepoints");
		return CLI_ERR;
	}
	if (ret)
		return cli_fail(ret, pid, ret == -ESRCH ? NULL : what);
	return CLI_OK;
}

int cmd_track(int argc, char **argv)
{
	return ctl(&cli_cmd_track, "track", argc, argv);
}

int cmd_untrack(int argc, char **argv)
{
	return ctl(&cli_cmd_untrack, "untrack", argc, argv);
}

static void print_group(const char *title, const struct pts_faults *f,
			const int *ids, int n)
{
	int i;

	printf("  %s%-10s%s", col(C_BOLD), title, col(C_RESET));
	for (i = 0; i < n; i++)
		printf(" %s %llu%s", pts_fault_counter_name(ids[i]),
		       f->count[ids[i]], i + 1 < n ? "," : "");
	printf("\n");
}

static void print_text(const struct pts_faults *f, long long minflt,
		       long long majflt)
{
	static const int outcome[] = { PTSCOPE_FC_MINOR, PTSCOPE_FC_MAJOR,
				       PTSCOPE_FC_ERROR, PTSCOPE_FC_RETRY };
	static const int access[] = { PTSCOPE_FC_READ, PTSCOPE_FC_WRITE,
				      PTSCOPE_FC_EXEC };
	static const int cause[] = { PTSCOPE_FC_NOT_PRESENT,
				     PTSCOPE_FC_PROTECTION, PTSCOPE_FC_NO_CAUSE };
	static const int mode[] = { PTSCOPE_FC_USER, PTSCOPE_FC_KERNEL,
				    PTSCOPE_FC_GUP };
	static const int vma[] = { PTSCOPE_FC_VMA_ANON, PTSCOPE_FC_VMA_FILE,
				   PTSCOPE_FC_VMA_SHMEM, PTSCOPE_FC_VMA_STACK,
				   PTSCOPE_FC_VMA_HUGETLB, PTSCOPE_FC_VMA_OTHER };
	static const int exc[] = { PTSCOPE_FC_EXC_USER, PTSCOPE_FC_EXC_KERNEL };

	printf("pid %d (%s), %s: %llu faults since tracking started\n",
	       f->pid, f->comm,
	       !f->exited ? "alive" :
	       !strcmp(f->state, "exec-privileged") ?
	       "exec-privileged (counting stopped at an exec that raised its privileges; last report)" :
	       "exited (last report)",
	       f->count[PTSCOPE_FC_FAULTS]);
	print_group("outcome", f, outcome, 4);
	print_group("access", f, access, 3);
	print_group("cause", f, cause, 3);
	print_group("mode", f, mode, 3);
	print_group("vma", f, vma, 6);
	printf("  %s%-10s%s %llu hardware faults on user addresses (",
	       col(C_BOLD), "exceptions", col(C_RESET),
	       f->count[PTSCOPE_FC_EXCEPTIONS]);
	printf("user %llu, kernel %llu)\n", f->count[exc[0]], f->count[exc[1]]);
	if (f->missed)
		printf("  %swarning%s: the return probe missed %llu faults (of all processes): counts may be low\n",
		       col(C_RED), col(C_RESET), f->missed);
	if (minflt >= 0)
		printf("  %skernel%s     minflt %lld, majflt %lld (/proc/%d/stat, since the process started)\n",
		       col(C_DIM), col(C_RESET), minflt, majflt, f->pid);
}

int cmd_faults(int argc, char **argv)
{
	const struct cli_cmd *cmd = &cli_cmd_faults;
	long long minflt, majflt;
	struct pts_faults f;
	json_object *o, *c, *k;
	unsigned int i;
	int pid, ret;

	ret = pid_arg(cmd, argc, argv, &pid);
	if (ret >= 0)
		return ret;
	ret = pts_faults_read(pid, &f);
	if (ret == -ENOENT) {
		cli_err("process %d is not tracked: start with `ptscope track %d`",
			pid, pid);
		return CLI_ERR;
	}
	if (ret == -ENODEV)
		return cli_fail(-ENOENT, pid, "faults");
	if (ret)
		return cli_fail(ret, pid, ret == -ESRCH ? NULL : "faults");
	pts_proc_faults(pid, &minflt, &majflt);
	if (!cli.json) {
		print_text(&f, minflt, majflt);
		return CLI_OK;
	}
	o = json_object_new_object();
	jset(o, "pid", json_object_new_int(f.pid));
	jset(o, "comm", json_object_new_string(f.comm));
	jset(o, "state", json_object_new_string(f.state[0] ? f.state : "alive"));
	c = json_object_new_object();
	for (i = 0; i < PTSCOPE_NR_FAULT_COUNTERS; i++)
		jset(c, pts_fault_counter_name(i),
		     json_object_new_int64((int64_t)f.count[i]));
	jset(o, "counters", c);
	jset(o, "missed", json_object_new_int64((int64_t)f.missed));
	k = json_object_new_object();
	jset(k, "minflt", minflt >= 0 ? json_object_new_int64(minflt) : NULL);
	jset(k, "majflt", majflt >= 0 ? json_object_new_int64(majflt) : NULL);
	jset(o, "kernel", k);
	return cli_json_print(o, true) ? CLI_ERR : CLI_OK;
}
