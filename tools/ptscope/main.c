// SPDX-License-Identifier: GPL-2.0
/*
 * ptscope: command-line front end of the ptscope module.
 *
 *   ptscope [OPTIONS] COMMAND [ARGS]...
 *
 * This file: command dispatch, help and version, the options every
 * command shares, argument parsing, exit statuses, and the record
 * stream every command reads from the module.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cli.h"
#include "walkfmt.h"

struct cli_state cli;

static const struct cli_cmd *const commands[] = {
	&cli_cmd_walk,
	&cli_cmd_translate,
	&cli_cmd_maps,
	&cli_cmd_ptcost,
	&cli_cmd_map,
	&cli_cmd_snapshot,
	&cli_cmd_diff,
	&cli_cmd_wss,
	&cli_cmd_heatmap,
	&cli_cmd_audit,
	&cli_cmd_track,
	&cli_cmd_untrack,
	&cli_cmd_faults,
	&cli_cmd_trace,
	&cli_cmd_lab,
};
#define NR_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static const char exit_codes[] =
	"Exit status:\n"
	"  0  success\n"
	"  1  runtime error (I/O error, the walk was cut short, ...)\n"
	"  2  usage error: unknown option, missing or bad PID, address or range\n"
	"  3  ptscope module not loaded, debugfs not mounted, or ABI mismatch\n"
	"  4  permission denied (needs root; the target must be ptrace-readable)\n"
	"  5  no such process (or it exited, or it is a kernel thread)\n";

static const char common_opts[] =
	"Common options (before or after the command):\n"
	"  -j, --json          machine-readable output (JSON Lines for walk,\n"
	"                      one JSON document for the other commands)\n"
	"      --pretty        indent JSON documents\n"
	"      --color[=WHEN]  colour: auto (default: only on a terminal whose TERM\n"
	"                      is set and not dumb, without NO_COLOR), always, never\n"
	"      --no-color      same as --color=never\n"
	"  -h, --help          help (of a command, after the command)\n"
	"      --version       version of the tool and of the loaded module\n";

/* ---- help topics ----------------------------------------------------- */

/* TEXT after PREFIX (padded to INDENT), wrapped at 79 columns. */
static void wrap(FILE *f, const char *prefix, int indent, const char *text)
{
	int col = fprintf(f, "%-*s", indent, prefix);

	while (*text) {
		size_t n = strcspn(text, " ");

		if (col > indent && col + 1 + (int)n > 79) {
			col = fprintf(f, "\n%*s", indent, "") - 1;
		} else if (col > indent) {
			fputc(' ', f);
			col++;
		}
		col += fprintf(f, "%.*s", (int)n, text);
		text += n;
		text += strspn(text, " ");
	}
	fputc('\n', f);
}

static void help_flags(FILE *f)
{
	int g;
	size_t i;

	fprintf(f,
		"Flags: what walk and translate print after each entry (and the debugfs\n"
		"text views).  Bits are x86-64's; the hardware bits mean something only\n"
		"when present is set, and the MMU never reads the others.\n");
	for (g = 0; g < PTS_FG_NR; g++) {
		fprintf(f, "\n%s%s:%s\n", col(C_BOLD), pts_flag_group_title(g),
			col(C_RESET));
		for (i = 0; i < pts_nr_flag_docs; i++) {
			const struct pts_flag_doc *d = &pts_flag_docs[i];
			char head[80], text[512];

			if ((int)d->group != g)
				continue;
			snprintf(head, sizeof(head), "  %s", d->name);
			if (d->bits)
				snprintf(text, sizeof(text), "[%s] %s", d->bits, d->text);
			else
				snprintf(text, sizeof(text), "%s", d->text);
			if (strlen(head) >= 19) {
				fprintf(f, "%s\n", head);
				head[0] = '\0';
			}
			wrap(f, head, 19, text);
		}
	}
	fprintf(f, "\nThe same in ptscope(8), FLAGS; the decoding in Documentation/interface.rst.\n");
}

static const struct {
	const char *name;
	const char *summary;
	void (*print)(FILE *f);
} topics[] = {
	{ "flags", "what each flag of walk and translate means", help_flags },
};
#define NR_TOPICS (sizeof(topics) / sizeof(topics[0]))

static void usage(FILE *f)
{
	size_t i;

	fprintf(f,
		"Usage: ptscope [OPTIONS] COMMAND [ARGS]...\n"
		"Show a process's live page tables, read through the ptscope kernel module.\n"
		"\nCommands:\n");
	for (i = 0; i < NR_COMMANDS; i++) {
		char syn[128];

		snprintf(syn, sizeof(syn), "%s %s", commands[i]->name,
			 commands[i]->args);
		if (strlen(syn) > 28)
			fprintf(f, "  %s\n  %-28s %s\n", syn, "", commands[i]->summary);
		else
			fprintf(f, "  %-28s %s\n", syn, commands[i]->summary);
	}
	fprintf(f, "  %-28s %s\n", "help [COMMAND|TOPIC]",
		"this text, a command's help, or a topic");
	fprintf(f, "\nHelp topics (ptscope help TOPIC):\n");
	for (i = 0; i < NR_TOPICS; i++)
		fprintf(f, "  %-28s %s\n", topics[i].name, topics[i].summary);
	fprintf(f, "\n%s", common_opts);
	fprintf(f,
		"\nNumbers are decimal or 0x-prefixed hex; sizes and range ends take K, M, G, T.\n"
		"\nExamples:\n"
		"  ptscope walk $(pidof sshd) --coalesce | less\n"
		"  ptscope translate $$ 0x7ffd12345678\n"
		"  ptscope maps $$\n"
		"  ptscope map $$ --svg /tmp/map.svg\n"
		"\n%s"
		"\nNeeds root and the ptscope module (modprobe ptscope); ptscope(8) says how\n"
		"to install it.\n", exit_codes);
}

void cli_print_help(const struct cli_cmd *cmd, FILE *f)
{
	fprintf(f, "Usage: ptscope %s %s\n%s.\n\n%s\n%s\n%s", cmd->name, cmd->args,
		cmd->summary, cmd->help, common_opts, exit_codes);
}

static void vmsg(FILE *f, const char *kind, enum cli_color c, const char *fmt,
		 va_list ap)
{
	wf_flush_stdout();
	fflush(stdout);
	fprintf(f, "%sptscope%s%s: %s%s", col_err(C_BOLD), cli.cmd ? " " : "",
		cli.cmd ? cli.cmd : "", col_err(C_RESET), col_err(c));
	if (kind)
		fprintf(f, "%s: ", kind);
	vfprintf(f, fmt, ap);
	fprintf(f, "%s\n", col_err(C_RESET));
}

void cli_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(stderr, "error", C_RED, fmt, ap);
	va_end(ap);
}

void cli_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(stderr, "warning", C_YELLOW, fmt, ap);
	va_end(ap);
}

int cli_usage_err(const struct cli_cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(stderr, NULL, C_RED, fmt, ap);
	va_end(ap);
	if (cmd)
		fprintf(stderr, "Usage: ptscope %s %s\nTry 'ptscope %s --help'.\n",
			cmd->name, cmd->args, cmd->name);
	else
		fprintf(stderr, "Try 'ptscope --help'.\n");
	return CLI_USAGE;
}

static int print_version(void);

static int set_color(const char *arg)
{
	if (!arg || !strcmp(arg, "always") || !strcmp(arg, "yes"))
		cli.color_when = 1;
	else if (!strcmp(arg, "never") || !strcmp(arg, "no"))
		cli.color_when = -1;
	else if (!strcmp(arg, "auto"))
		cli.color_when = 0;
	else
		return -1;
	return 0;
}

int cli_common_opt(int c, const char *arg, const struct cli_cmd *cmd)
{
	switch (c) {
	case 'j':
		cli.json = true;
		return -1;
	case OPT_PRETTY:
		cli.json = true;
		cli.pretty = true;
		return -1;
	case OPT_NO_COLOR:
		cli.color_when = -1;
		cli_color_setup();
		return -1;
	case OPT_COLOR:
		if (set_color(arg))
			return cli_usage_err(cmd, "--color takes auto, always or never, not '%s'",
					     arg);
		cli_color_setup();
		return -1;
	case 'h':
		if (cmd)
			cli_print_help(cmd, stdout);
		else
			usage(stdout);
		return CLI_OK;
	case OPT_VERSION:
		return print_version();
	case OPT_VIA:
		if (!strcmp(arg, "module"))
			cli.via = CLI_VIA_MODULE;
		else if (!strcmp(arg, "bpf"))
			cli.via = CLI_VIA_BPF;
		else
			return cli_usage_err(cmd, "--via takes module or bpf, not '%s'", arg);
		return -1;
	default:
		/* getopt_long() has said what was wrong. */
		if (cmd)
			fprintf(stderr, "Usage: ptscope %s %s\nTry 'ptscope %s --help'.\n",
				cmd->name, cmd->args, cmd->name);
		else
			fprintf(stderr, "Try 'ptscope --help'.\n");
		return CLI_USAGE;
	}
}

int cli_want_args(const struct cli_cmd *cmd, int argc, char **argv,
		  const char *const names[])
{
	int n = 0;

	while (names[n])
		n++;
	if (argc - optind < n)
		return cli_usage_err(cmd, "missing %s", names[argc - optind]);
	if (argc - optind > n)
		return cli_usage_err(cmd, "unexpected argument '%s'", argv[optind + n]);
	return 0;
}

int cli_parse_pid(const struct cli_cmd *cmd, const char *str, int *pid)
{
	const char *p;
	long v;

	for (p = str; *p; p++)
		if (!isdigit((unsigned char)*p))
			break;
	errno = 0;
	v = strtol(str, NULL, 10);
	if (!*str || *p || errno || v < 1 || v > 4194304)
		return cli_usage_err(cmd, "invalid PID '%s': expected a process ID "
				     "(a positive decimal number)", str);
	*pid = (int)v;
	return 0;
}

/* A number that would have been hex with a 0x prefix. */
static const char *hex_hint(const char *str)
{
	if (!strncmp(str, "0x", 2) || !strncmp(str, "0X", 2))
		return "";
	if (strspn(str, "0123456789abcdefABCDEF-+") == strlen(str) &&
	    strpbrk(str, "abcdefABCDEF"))
		return " (hex addresses need a 0x prefix)";
	return "";
}

int cli_parse_addr(const struct cli_cmd *cmd, const char *str, uint64_t *va)
{
	if (pts_parse_u64(str, va, 0))
		return cli_usage_err(cmd, "invalid address '%s': expected a number, "
				     "e.g. 0x7ffd12345678%s", str, hex_hint(str));
	return 0;
}

int cli_parse_range(const struct cli_cmd *cmd, const char *str,
		    uint64_t *start, uint64_t *end)
{
	int ret = pts_parse_range(str, start, end);

	if (ret == -ERANGE)
		return cli_usage_err(cmd, "invalid range '%s': empty or reversed "
				     "(END must be above START)", str);
	if (ret)
		return cli_usage_err(cmd, "invalid range '%s': expected START-END or "
				     "START+LENGTH, e.g. 0x7f0000000000-0x7f0000200000%s",
				     str, hex_hint(str));
	return 0;
}

/*
 * A range past user space is clamped to it, as the whole space is the
 * default; one that starts there is a usage error.  Left alone when the
 * module cannot say its paging mode (the request then reports it).
 */
int cli_clamp_range(const struct cli_cmd *cmd, uint64_t *start, uint64_t *end)
{
	struct pts_version v;
	int ret;

	ret = cli_check_half(cmd, *start, false, "range start");
	if (ret)
		return ret;
	if (!pts_read_version(&v) &&
	    pts_clamp_range(v.paging_levels, start, end) == -ERANGE)
		return cli_usage_err(cmd, "invalid range: 0x%llx is above the "
				     "user address space (%d-level paging)",
				     (unsigned long long)*start, v.paging_levels);
	return 0;
}

enum cli_va_kind cli_va_kind(uint64_t va, int paging_levels)
{
	int sign = 12 + 9 * paging_levels - 1;	/* 47, or 56 with LA57 */
	uint64_t hi;

	if (paging_levels != 4 && paging_levels != 5)
		return CLI_VA_UNKNOWN;
	hi = va >> sign;
	if (!hi)
		return CLI_VA_USER;
	if (hi == (1ULL << (64 - sign)) - 1)
		return CLI_VA_KERNEL;
	return CLI_VA_NONCANONICAL;
}

int cli_check_half(const struct cli_cmd *cmd, uint64_t va, bool kernel,
		   const char *what)
{
	struct pts_version v;
	int levels, sign;

	if (pts_read_version(&v))
		return 0;	/* the request will tell */
	levels = v.paging_levels;
	sign = 12 + 9 * levels - 1;
	switch (cli_va_kind(va, levels)) {
	case CLI_VA_NONCANONICAL:
		return cli_usage_err(cmd, "%s 0x%llx is not a canonical address: "
				     "with %d-level paging bits 63..%d must all "
				     "equal bit %d; any access to it raises a "
				     "general-protection fault, no table maps it",
				     what, (unsigned long long)va, levels, sign + 1,
				     sign);
	case CLI_VA_KERNEL:
		if (kernel)
			return 0;
		return cli_usage_err(cmd, "%s 0x%llx is a kernel address (the "
				     "kernel half, which every process shares): "
				     "use --kernel", what, (unsigned long long)va);
	case CLI_VA_USER:
		if (!kernel)
			return 0;
		return cli_usage_err(cmd, "%s 0x%llx is a user address, not in the "
				     "kernel half: drop --kernel and name a PID",
				     what, (unsigned long long)va);
	default:
		return 0;
	}
}

/* ---- errors ---------------------------------------------------------- */

#define DEBUGFS_MAGIC_NR	0x64626720	/* "dbg ", linux/magic.h */

/* Is debugfs mounted where the module's files are looked for? */
static bool debugfs_mounted(void)
{
	struct statfs sf;

	return !statfs("/sys/kernel/debug", &sf) && sf.f_type == DEBUGFS_MAGIC_NR;
}

/* Is a ptscope module for RELEASE where modprobe finds it (modules.dep)? */
static bool module_installed(const char *release)
{
	char path[320], line[1024];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/lib/modules/%s/modules.dep", release);
	f = fopen(path, "re");
	while (f && !found && fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':'), *base;

		if (!colon)
			continue;
		*colon = '\0';
		base = strrchr(line, '/');
		base = base ? base + 1 : line;
		found = !strncmp(base, "ptscope.ko", 10);
	}
	if (f)
		fclose(f);
	return found;
}

/* Is the DKMS source (the ptscope-dkms package) on this machine? */
static bool dkms_source(void)
{
	return access("/var/lib/dkms/ptscope", F_OK) == 0;
}

const char *cli_lockdown(void)
{
	static char level[32];
	char buf[128], *open, *close;
	FILE *f = fopen("/sys/kernel/security/lockdown", "re");

	if (!f)
		return NULL;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	open = strchr(buf, '[');
	close = open ? strchr(open, ']') : NULL;
	if (!close)
		return NULL;
	*close = '\0';
	snprintf(level, sizeof(level), "%s", open + 1);
	return level;
}

/* Does the running command need the module (no BPF path)? */
static bool needs_module(void)
{
	static const char *const cmds[] = { "track", "untrack", "faults", "lab" };
	size_t i;

	for (i = 0; cli.cmd && i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(cli.cmd, cmds[i]))
			return true;
	return false;
}

/* After "no module": what works without it, for a command that needs it. */
static void without_module(void)
{
	const char *why = NULL;

	if (!needs_module())
		return;
	fprintf(stderr, "  `ptscope %s` needs the module.  Without it, walk, translate, maps,\n"
		"  ptcost and map use the BPF walker, and trace works", cli.cmd);
	if (cli_bpfwalk_possible(&why))
		fprintf(stderr, " (not here: %s)", why);
	fprintf(stderr, ".\n");
}

static int module_missing_why(void);

/*
 * The module's files are not there: say why (debugfs not mounted, module
 * not loaded) and what to run on this machine for this kernel; for a
 * command that needs the module, what works without it.
 */
static int module_missing(void)
{
	int ret = module_missing_why();

	without_module();
	return ret;
}

static int module_missing_why(void)
{
	const char *env = getenv("PTSCOPE_DEBUGFS");
	struct utsname u;

	if (env && *env) {
		cli_err("no ptscope files in %s (set by PTSCOPE_DEBUGFS)", env);
		return CLI_NOMODULE;
	}
	if (pts_use_device() && access(PTSCOPE_DEVICE, F_OK) &&
	    !access("/sys/module/ptscope", F_OK)) {
		cli_err("PTSCOPE_INTERFACE=device, but the loaded module has no %s",
			PTSCOPE_DEVICE);
		return CLI_NOMODULE;
	}
	if (!debugfs_mounted()) {
		cli_err("debugfs is not mounted on /sys/kernel/debug, where the ptscope "
			"module's files are%s; mount it (as root):\n"
			"    mount -t debugfs none /sys/kernel/debug",
			access("/sys/module/ptscope", F_OK) ? "" :
			" (the module is loaded)");
		return CLI_NOMODULE;
	}
	if (access("/sys/module/ptscope", F_OK) == 0) {
		cli_err("the ptscope module is loaded but %s is missing",
			PTSCOPE_DEBUGFS_DIR);
		return CLI_NOMODULE;
	}
	if (uname(&u))
		snprintf(u.release, sizeof(u.release), "$(uname -r)");
	if (module_installed(u.release))
		cli_err("the ptscope kernel module is not loaded; load it (as root):\n"
			"    modprobe ptscope");
	else if (dkms_source())
		cli_err("the ptscope kernel module is not built for this kernel (%s):\n"
			"  DKMS has its sources (ptscope-dkms); with the kernel's headers\n"
			"  (Debian: linux-headers-%s), build, install and load it (as root):\n"
			"    dkms autoinstall -k %s && modprobe ptscope",
			u.release, u.release, u.release);
	else
		cli_err("the ptscope kernel module is not installed for this kernel (%s).\n"
			"  Install the ptscope-dkms package (it needs the kernel's headers,\n"
			"  Debian: linux-headers-%s), or from ptscope's source tree:\n"
			"    make && sudo make install\n"
			"  then load it (as root):\n"
			"    modprobe ptscope", u.release, u.release);
	return CLI_NOMODULE;
}

int cli_fail(int err, int pid, const char *what)
{
	if (err < 0)
		err = -err;
	switch (err) {
	case ENOENT:
		return module_missing();
	case ESRCH:
		if (what)
			cli_err("pid %d: the process exited %s", pid, what);
		else
			cli_err("pid %d: no such process", pid);
		return CLI_NOPROC;
	case ENXIO:
		cli_err("pid %d is a kernel thread: it has no user address space", pid);
		return CLI_NOPROC;
	case EACCES:
		if (geteuid())
			cli_err("permission denied: ptscope needs root (CAP_SYS_ADMIN)");
		else
			cli_err("pid %d: permission denied: the caller may not read its "
				"memory map (ptrace read check, Yama, lockdown?)", pid);
		return CLI_PERM;
	case EPERM:
		if (pid == CLI_PID_KERNEL && !geteuid() && cli_lockdown() &&
		    !strcmp(cli_lockdown(), "confidentiality")) {
			cli_err("permission denied: lockdown (confidentiality) refuses "
				"the kernel half: it shows where the kernel lies in "
				"memory (the KASLR offsets), which that level keeps "
				"from root, as it does /proc/kcore");
			return CLI_PERM;
		}
		if (!geteuid() && cli_lockdown() && strcmp(cli_lockdown(), "none") &&
		    !pts_use_device()) {
			cli_err("permission denied: lockdown (%s) closes the module's "
				"debugfs files; %s", cli_lockdown(),
				access(PTSCOPE_DEVICE, F_OK) ?
				"this module has no " PTSCOPE_DEVICE ": update it" :
				"unset PTSCOPE_INTERFACE to use " PTSCOPE_DEVICE);
			return CLI_PERM;
		}
		cli_err("permission denied: ptscope needs root (CAP_SYS_ADMIN)");
		return CLI_PERM;
	case ERANGE:
		cli_err("address or range outside the user address space (or empty)");
		return CLI_USAGE;
	default:
		cli_err("%s%s%s", what ? what : "", what ? ": " : "", pts_strerror(err));
		return CLI_ERR;
	}
}

/* ---- the record stream ------------------------------------------------ */

static size_t rec_min_size(unsigned int type)
{
	switch (type) {
	case PTSCOPE_REC_HEADER: return sizeof(struct ptscope_header);
	case PTSCOPE_REC_VMA:	 return sizeof(struct ptscope_vma);
	case PTSCOPE_REC_LEAF:	 return sizeof(struct ptscope_leaf);
	case PTSCOPE_REC_LEVEL:	 return sizeof(struct ptscope_xlate_level);
	case PTSCOPE_REC_XLATE:	 return sizeof(struct ptscope_xlate);
	case PTSCOPE_REC_COST:	 return sizeof(struct ptscope_cost);
	case PTSCOPE_REC_END:	 return sizeof(struct ptscope_end);
	default:		 return sizeof(struct ptscope_rec_hdr);
	}
}

static int proto_err(struct cli_stream *st, const char *why)
{
	cli_err("malformed record stream from the module: %s "
		"(module and tool versions differ?)", why);
	st->rc = CLI_ERR;
	return -1;
}

/*
 * The module's records session for PID: 0; CLI_NOMODULE with *WHY set
 * (nothing printed) when the module cannot be used here; another exit
 * status (message printed) for an error of the request.
 */
static int module_stream(struct cli_stream *st, int pid, const char *req,
			 int *why)
{
	struct pts_version v;
	bool compact;
	int ret;

	ret = pts_read_version(&v);
	if (ret) {
		*why = ret;
		return CLI_NOMODULE;
	}
	if (v.abi_version != PTSCOPE_ABI_VERSION) {
		*why = -EPROTO;
		return CLI_NOMODULE;
	}
	ret = pts_open(&st->s, "records");
	if (ret == -ENOENT) {
		*why = ret;
		return CLI_NOMODULE;
	}
	if (ret)
		return cli_fail(ret, pid, NULL);
	/*
	 * A plain walk of a process reads the compact stream (raw entries and
	 * the frames' facts, 16 bytes an entry against a leaf's 72), which
	 * pts_next() turns back into leaves; a module that does not offer it
	 * (EINVAL: built before it, EOPNOTSUPP: its layout check failed on
	 * this kernel) is asked for the full one.
	 */
	compact = pid != CLI_PID_KERNEL && !strstr(req, "coalesce") &&
		  !strstr(req, "op=") && !strstr(req, "va=");
	if (pid == CLI_PID_KERNEL)
		ret = pts_request(&st->s, "kernel%s%s", *req ? " " : "", req);
	else
		ret = pts_request(&st->s, "pid=%d%s%s%s", pid, *req ? " " : "", req,
				  compact ? " compact facts" : "");
	if (compact && (ret == -EINVAL || ret == -EOPNOTSUPP))
		ret = pts_request(&st->s, "pid=%d%s%s", pid, *req ? " " : "", req);
	if (ret) {
		cli_stream_close(st);
		return cli_fail(ret, pid, NULL);
	}
	return 0;
}

/* Say why the module cannot be used (WHY from module_stream()). */
static int module_unusable(int why)
{
	struct pts_version v;

	if (why == -EPROTO && !pts_read_version(&v)) {
		cli_err("the loaded module speaks ABI %u, this tool ABI %u: "
			"rebuild and reload both", v.abi_version, PTSCOPE_ABI_VERSION);
		return CLI_NOMODULE;
	}
	if (why == -EPROTO) {
		cli_err("%s is not what this tool understands", pts_interface());
		return CLI_NOMODULE;
	}
	return cli_fail(why, 0, NULL);
}

void cli_via_note(uint32_t flags)
{
	if (!(flags & PTSCOPE_HDR_BPF))
		return;
	printf("%s# via bpf (no module): entries read without the page-table locks, "
	       "each table re-checked against its parent entry%s%s; see bpfwalk.rst%s\n",
	       col(C_DIM), flags & PTSCOPE_HDR_NO_MAPCOUNT ?
	       "; map counts of large folios unknown" : "",
	       flags & PTSCOPE_HDR_NO_FOLIO ? "; folios unknown" : "", col(C_RESET));
}

void cli_via_json(uint32_t flags, json_object *o)
{
	json_object *u;

	if (!(flags & PTSCOPE_HDR_BPF))
		return;
	json_object_object_add(o, "via", json_object_new_string("bpf"));
	json_object_object_add(o, "guarantees", json_object_new_string(
		"entries as the MMU could see them, read under the mmap lock "
		"without the page-table locks; a table is reported only while its "
		"parent entry still points to it"));
	u = json_object_new_array();
	if (flags & PTSCOPE_HDR_NO_MAPCOUNT) {
		json_object_array_add(u, json_object_new_string("mapcount"));
		json_object_array_add(u, json_object_new_string("exclusive"));
	}
	if (flags & PTSCOPE_HDR_NO_FOLIO)
		json_object_array_add(u, json_object_new_string("folio"));
	json_object_object_add(o, "unknown", u);
}

int cli_stream_open(struct cli_stream *st, int pid, const char *fmt, ...)
{
	const struct ptscope_rec_hdr *rec;
	char extra[PTSCOPE_REQ_MAX];
	const char *bpf_why = NULL;
	int why = 0, ret;
	va_list ap;

	memset(st, 0, sizeof(*st));
	st->s.fd = -1;
	st->pid = pid;
	va_start(ap, fmt);
	vsnprintf(extra, sizeof(extra), fmt, ap);
	va_end(ap);
	if (pid == CLI_PID_KERNEL && cli.via == CLI_VIA_BPF) {
		cli_err("--kernel needs the module: the BPF walker reads user "
			"page tables only");
		return CLI_USAGE;
	}
	if (cli.via != CLI_VIA_BPF) {
		ret = module_stream(st, pid, extra, &why);
		if (ret != CLI_NOMODULE || !why)
			goto opened;
		if (pid == CLI_PID_KERNEL) {
			ret = module_unusable(why);
			cli_err("--kernel needs the module: the BPF walker reads "
				"user page tables only");
			return ret;
		}
		if (cli.via == CLI_VIA_MODULE || cli_bpfwalk_possible(&bpf_why)) {
			ret = module_unusable(why);
			if (bpf_why)
				cli_err("and the BPF walker cannot run here either: %s",
					bpf_why);
			return ret;
		}
	} else if (cli_bpfwalk_possible(&bpf_why)) {
		cli_err("--via bpf: %s", bpf_why);
		return CLI_NOMODULE;
	}
	ret = cli_bpfwalk_open(&st->s, pid, extra);
	if (ret)
		return cli_fail(ret, pid, NULL);
opened:
	if (ret)
		return ret;
	ret = pts_next(&st->s, &rec);
	if (ret < 0) {
		cli_stream_close(st);
		return cli_fail(ret, pid, NULL);
	}
	if (ret == 0 || rec->type != PTSCOPE_REC_HEADER ||
	    rec->size < sizeof(st->hdr)) {
		proto_err(st, "no header");
		cli_stream_close(st);
		return CLI_ERR;
	}
	memcpy(&st->hdr, rec, sizeof(st->hdr));
	/* how the walk was sent is not what it says: see module_stream() */
	st->hdr.flags &= ~(PTSCOPE_REQ_COMPACT | PTSCOPE_REQ_FACTS);
	if (st->hdr.magic != PTSCOPE_MAGIC || st->hdr.abi_version != PTSCOPE_ABI_VERSION) {
		proto_err(st, "bad magic or ABI version in the header");
		cli_stream_close(st);
		return CLI_ERR;
	}
	st->hdr.comm[sizeof(st->hdr.comm) - 1] = '\0';
	return 0;
}

int cli_stream_next(struct cli_stream *st, const struct ptscope_rec_hdr **rec)
{
	int ret;

	if (st->have_end)
		return 0;
	do	/* the compact stream's LAYOUT is pts_next()'s business */
		ret = pts_next(&st->s, rec);
	while (ret > 0 && (*rec)->type == PTSCOPE_REC_LAYOUT);
	if (ret < 0) {
		if (ret == -EPROTO)
			return proto_err(st, "truncated or oversized record");
		st->rc = cli_fail(ret, st->pid, "during the walk");
		return -1;
	}
	if (ret == 0) {
		/* translate has no END record; a walk must have one. */
		if (st->hdr.op != PTSCOPE_OP_TRANSLATE)
			return proto_err(st, "the stream ended without an END record");
		return 0;
	}
	if ((*rec)->size < rec_min_size((*rec)->type))
		return proto_err(st, "record shorter than its type");
	if ((*rec)->type == PTSCOPE_REC_END) {
		memcpy(&st->end, *rec, sizeof(st->end));
		st->have_end = true;
		if (st->end.status < 0) {
			st->rc = cli_fail(st->end.status, st->pid, "during the walk");
			return -1;
		}
		return 0;
	}
	return 1;
}

void cli_stream_close(struct cli_stream *st)
{
	if (st->s.fd >= 0 || st->s.buf)
		pts_close(&st->s);
}

/* ---- ptscope's own frames ------------------------------------------- */

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ	22
#endif

static uint64_t *self_pfns;
static size_t nr_self_pfns;

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int self_add(uint64_t pfn, size_t *cap)
{
	if (nr_self_pfns == *cap) {
		size_t n = *cap ? 2 * *cap : 1024;
		uint64_t *p = realloc(self_pfns, n * sizeof(*p));

		if (!p)
			return -1;
		self_pfns = p;
		*cap = n;
	}
	self_pfns[nr_self_pfns++] = pfn;
	return 0;
}

void cli_self_frames_init(void)
{
	char *line = NULL;
	size_t len = 0, cap = 0;
	uint64_t pm[512];
	FILE *f;
	int fd;

	f = fopen("/proc/self/maps", "re");
	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	while (f && fd >= 0 && getline(&line, &len, f) > 0) {
		unsigned long s, e, a;
		char perm[5];
		int off = 0;

		if (sscanf(line, "%lx-%lx %4s %*s %*s %*s %n", &s, &e, perm, &off) < 3 ||
		    !off || perm[0] != 'r' || line[off] != '/')
			continue;
		/* map every page now, so the set cannot grow during the walk */
		madvise((void *)s, e - s, MADV_POPULATE_READ);
		for (a = s; a < e; a += sizeof(pm) / 8 * 4096) {
			size_t n = (e - a) / 4096, i;

			if (n > sizeof(pm) / 8)
				n = sizeof(pm) / 8;
			if (pread(fd, pm, n * 8, a / 4096 * 8) != (ssize_t)(n * 8))
				break;
			for (i = 0; i < n; i++)
				if ((pm[i] >> 63) && (pm[i] & ((1ULL << 55) - 1)) &&
				    self_add(pm[i] & ((1ULL << 55) - 1), &cap))
					break;
		}
	}
	free(line);
	if (f)
		fclose(f);
	if (fd >= 0)
		close(fd);
	if (nr_self_pfns)
		qsort(self_pfns, nr_self_pfns, sizeof(*self_pfns), cmp_u64);
}

void cli_self_frames_free(void)
{
	free(self_pfns);
	self_pfns = NULL;
	nr_self_pfns = 0;
}

uint32_t cli_mapcount(const struct ptscope_leaf *l, uint64_t *discounted)
{
	const uint64_t *hit, *a, *b, *end = self_pfns + nr_self_pfns;
	uint32_t ours;

	if (l->mapcount < 2 || l->level != PTSCOPE_LVL_PTE || !nr_self_pfns ||
	    !(l->flags & PTSCOPE_F_FILE_PAGE))
		return l->mapcount;
	hit = bsearch(&l->pfn, self_pfns, nr_self_pfns, sizeof(*self_pfns), cmp_u64);
	if (!hit)
		return l->mapcount;
	/* the same frame mapped twice by ptscope counts twice */
	for (a = hit; a > self_pfns && a[-1] == l->pfn; a--)
		;
	for (b = hit; b < end && *b == l->pfn; b++)
		;
	ours = b - a;
	if (ours >= l->mapcount)
		return l->mapcount;	/* the map count moved: trust it */
	if (discounted)
		(*discounted)++;
	return l->mapcount - ours;
}

void cli_discount_self(struct ptscope_leaf *l)
{
	uint32_t mc = cli_mapcount(l, NULL);

	if (mc == l->mapcount)
		return;
	l->mapcount = mc;
	if (mc == 1)
		l->flags |= PTSCOPE_F_EXCLUSIVE;
}

void cli_proc_kbs(int pid, const char *file, const char *const *keys, int n,
		  long long *vals)
{
	char path[64], line[256];
	FILE *f;
	int i;

	for (i = 0; i < n; i++)
		vals[i] = -1;
	snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		for (i = 0; i < n; i++) {
			size_t klen = strlen(keys[i]);

			if (!strncmp(line, keys[i], klen) && line[klen] == ':') {
				vals[i] = strtoll(line + klen + 1, NULL, 10);
				break;
			}
		}
	}
	fclose(f);
}

long long cli_proc_kb(int pid, const char *file, const char *key)
{
	long long v;

	cli_proc_kbs(pid, file, &key, 1, &v);
	return v;
}

/* ---- main ------------------------------------------------------------- */

/* State of the module's debugfs session files, for --version. */
static const char *debugfs_state(void)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/records", pts_dir());
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		close(fd);
		return "open";
	}
	if (errno == EPERM && !geteuid())
		return "closed by lockdown (its version file still reads)";
	if (errno == EPERM || errno == EACCES)
		return "permission denied (root only)";
	return debugfs_mounted() ? "missing" : "debugfs not mounted";
}

/*
 * Which walker answers walk, translate, maps, ptcost and map on this
 * machine, and why not the others: the choice cli_stream_open() makes.
 */
static void print_paths(int vret, const struct pts_version *v)
{
	const char *ld = cli_lockdown(), *bpf_why = NULL;
	bool bpf = !cli_bpfwalk_possible(&bpf_why);
	bool module = !vret && v->abi_version == PTSCOPE_ABI_VERSION;
	bool dev = !access(PTSCOPE_DEVICE, F_OK);

	printf("lockdown: %s\n", ld ? ld : "unknown (securityfs not mounted)");
	if (module)
		printf("walker: module, through %s\n", pts_interface());
	else if (bpf)
		printf("walker: bpf, as the module cannot be used; track, faults "
		       "and lab need the module\n");
	else
		printf("walker: none: the module cannot be used and the BPF walker "
		       "cannot run\n");
	if (!module)
		printf("  module: %s\n", vret == -ENOENT ? "not loaded" :
		       vret == -EACCES || vret == -EPERM ? "permission denied (root only)" :
		       vret ? pts_strerror(vret) : "speaks another ABI");
	else if (pts_use_device())
		printf("  debugfs: %s\n", debugfs_state());
	else
		printf("  device: %s\n", dev ? "present, not used (PTSCOPE_INTERFACE "
		       "or PTSCOPE_DEBUGFS)" : "missing (a module without it)");
	if (bpf)
		printf("  bpf: can run%s\n", module ? " (--via bpf)" : "");
	else
		printf("  bpf: cannot run: %s\n", bpf_why);
}

static int print_version(void)
{
	struct pts_version v;
	int ret;

	printf("ptscope %s (abi %d)\n", PTSCOPE_CLI_VERSION, PTSCOPE_ABI_VERSION);
	ret = pts_read_version(&v);
	if (!ret)
		printf("module %s (abi %u) on %s, %d-level paging, %ld-byte pages%s\n",
		       v.module_version, v.abi_version, v.kernel_release,
		       v.paging_levels, v.page_size, v.pti ? ", PTI" : "");
	else if (ret == -ENOENT && !pts_use_device() && !getenv("PTSCOPE_DEBUGFS") &&
		 !debugfs_mounted())
		printf("module: unknown: debugfs is not mounted on /sys/kernel/debug\n");
	else if (ret == -ENOENT)
		printf("module not loaded\n");
	else if (ret == -EACCES || ret == -EPERM)
		printf("module: unknown: permission denied (%s is for root only)\n",
		       pts_interface());
	else
		printf("module: %s\n", pts_strerror(ret));
	print_paths(ret, &v);
	return CLI_OK;
}

static const struct cli_cmd *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < NR_COMMANDS; i++)
		if (!strcmp(commands[i]->name, name))
			return commands[i];
	return NULL;
}

/* ptscope help NAME: a command's help, or a topic. */
static int help(const char *name)
{
	const struct cli_cmd *cmd = find_command(name);
	char list[256] = "";
	size_t i;

	if (cmd) {
		cli_print_help(cmd, stdout);
		return CLI_OK;
	}
	for (i = 0; i < NR_TOPICS; i++) {
		if (!strcmp(topics[i].name, name)) {
			topics[i].print(stdout);
			return CLI_OK;
		}
	}
	for (i = 0; i < NR_TOPICS; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
			 i ? ", " : "", topics[i].name);
	return cli_usage_err(NULL, "no command or help topic '%s' (topics: %s)",
			     name, list);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	const struct cli_cmd *cmd;
	static char prog[64];
	int c, ret;

	cli_color_setup();
	while ((c = getopt_long(argc, argv, "+" CLI_COMMON_SHORTOPTS "V", longopts,
				NULL)) != -1) {
		if (c == 'V')
			return print_version();
		ret = cli_common_opt(c, optarg, NULL);
		if (ret >= 0)
			return ret;
	}
	if (optind >= argc)
		return cli_usage_err(NULL, "missing command");
	if (!strcmp(argv[optind], "help")) {
		if (optind + 1 >= argc) {
			usage(stdout);
			return CLI_OK;
		}
		if (optind + 2 < argc)
			return cli_usage_err(NULL, "help takes one command or topic, not '%s %s'",
					     argv[optind + 1], argv[optind + 2]);
		return help(argv[optind + 1]);
	}
	if (!strcmp(argv[optind], "version"))
		return print_version();
	cmd = find_command(argv[optind]);
	if (!cmd)
		return cli_usage_err(NULL, "unknown command '%s'", argv[optind]);
	cli.cmd = cmd->name;
	argc -= optind;
	argv += optind;
	/* getopt_long()'s own messages then start "ptscope CMD: " */
	snprintf(prog, sizeof(prog), "ptscope %s", cmd->name);
	argv[0] = prog;
	optind = 0;	/* glibc: reinitialise getopt for the command */
	ret = cmd->run(argc, argv);
	if (fflush(stdout) || ferror(stdout)) {
		if (errno != EPIPE)
			cli_err("writing output: %s", strerror(errno));
		return ret ? ret : CLI_ERR;
	}
	return ret;
}
