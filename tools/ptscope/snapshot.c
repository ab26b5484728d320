// SPDX-License-Identifier: GPL-2.0
/*
 * ptscope snapshot PID -o FILE [--range START-END]
 *
 * The whole walk of a process kept in a file for `ptscope diff`: a small
 * header (struct pts_snap_hdr: process, kernel, time) and then the
 * module's record stream exactly as it came, so a snapshot is read with
 * the same decoder as a live walk.  The file appears only when the walk
 * is complete: it is written beside FILE and renamed.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

const struct cli_cmd cli_cmd_snapshot = {
	.name = "snapshot",
	.run = cmd_snapshot,
	.args = "PID -o FILE [--range START-END] [--json]",
	.summary = "keep a process's whole walk in a file, for diff",
	.help =
	"Walks the page tables of process PID, every leaf entry with its raw\n"
	"value, frame and flags (what 'ptscope walk PID' prints), and keeps the\n"
	"walk in FILE: a small header (process, kernel, host, time) followed by\n"
	"the module's record stream (Documentation/history.rst).  Compare two\n"
	"snapshots, or a snapshot and the live process, with 'ptscope diff'.\n"
	"FILE is replaced only when the walk is complete.\n"
	"\n"
	"Options:\n"
	"  -o, --output FILE      where to write it (\"-\": standard output, when\n"
	"                         it is not a terminal)\n"
	"  -r, --range START-END  only this range (END exclusive; also START+LENGTH)\n"
	"      --via module|bpf   the walker (as for walk)\n"
	"  -j, --json             print what was written as one JSON document\n"
	"                         (file, pid, comm, time, vmas, leaves, entries,\n"
	"                         bytes)\n"
	"\n"
	"Examples:\n"
	"  ptscope snapshot 1234 -o before.pts\n"
	"  ... later ...\n"
	"  ptscope diff before.pts pid:1234\n",
};

struct snap_out {
	int fd;
	const char *path;	/* FILE, or NULL for standard output */
	char tmp[PATH_MAX];	/* the file written, renamed to FILE at the end */
	uint64_t bytes;
	int err;		/* first write error (errno) */
};

static void put(struct snap_out *o, const void *p, size_t len)
{
	while (len && !o->err) {
		ssize_t n = write(o->fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			o->err = errno;
			return;
		}
		p = (const char *)p + n;
		len -= n;
		o->bytes += n;
	}
}

static int out_open(struct snap_out *o, const char *file)
{
	memset(o, 0, sizeof(*o));
	if (!strcmp(file, "-")) {
		if (isatty(STDOUT_FILENO)) {
			cli_err("will not write a snapshot to a terminal: use -o FILE "
				"or a pipe");
			return CLI_USAGE;
		}
		o->fd = STDOUT_FILENO;
		return 0;
	}
	o->path = file;
	if (snprintf(o->tmp, sizeof(o->tmp), "%s.XXXXXX", file) >= (int)sizeof(o->tmp)) {
		cli_err("%s: file name too long", file);
		return CLI_USAGE;
	}
	/* a temporary name beside FILE (mkstemp's template, not a stub) */
	o->fd = mkstemp(o->tmp);
	if (o->fd < 0) {
		cli_err("%s: %s", file, strerror(errno));
		return CLI_ERR;
	}
	/* as an ordinary new file would be (mkstemp makes it 0600) */
	fchmod(o->fd, 0644 & ~umask(umask(0)));
	return 0;
}

/* Finish: rename into place, or remove after a failure. */
static int out_close(struct snap_out *o, bool ok)
{
	if (!o->path) {
		if (o->err)
			cli_err("standard output: %s", strerror(o->err));
		return ok && !o->err ? 0 : -1;
	}
	if (close(o->fd) && !o->err)
		o->err = errno;
	if (ok && !o->err && rename(o->tmp, o->path))
		o->err = errno;
	if (!ok || o->err) {
		unlink(o->tmp);
		if (o->err)
			cli_err("%s: %s", o->path, strerror(o->err));
		return -1;
	}
	return 0;
}

int cmd_snapshot(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "range", required_argument, NULL, 'r' },
		CLI_COMMON_LONGOPTS,
		CLI_VIA_LONGOPT,
		{ NULL, 0, NULL, 0 }
	};
	static const char *const args[] = { "PID", NULL };
	const struct cli_cmd *cmd = &cli_cmd_snapshot;
	const struct ptscope_rec_hdr *rec;
	const char *file = NULL;
	uint64_t start = 0, end = 0;
	bool have_range = false;
	struct pts_snap_hdr sh;
	struct ptscope_header h;
	struct ptscope_leaf leaf;
	struct cli_stream st;
	struct snap_out out;
	char range[64] = "";
	int c, ret, pid;

	while ((c = getopt_long(argc, argv, "o:r:" CLI_COMMON_SHORTOPTS,
				longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			file = optarg;
			break;
		case 'r':
			ret = cli_parse_range(cmd, optarg, &start, &end);
			if (ret)
				return ret;
			have_range = true;
			break;
		default:
			ret = cli_common_opt(c, optarg, cmd);
			if (ret >= 0)
				return ret;
		}
	}
	ret = cli_want_args(cmd, argc, argv, args);
	if (ret)
		return ret;
	ret = cli_parse_pid(cmd, argv[optind], &pid);
	if (ret)
		return ret;
	if (!file || !*file)
		return cli_usage_err(cmd, "where to? -o FILE is needed");
	if (cli.json && !strcmp(file, "-"))
		return cli_usage_err(cmd, "--json and -o - would both write to "
				     "standard output");
	if (have_range) {
		ret = cli_clamp_range(cmd, &start, &end);
		if (ret)
			return ret;
		snprintf(range, sizeof(range), "range=0x%llx-0x%llx",
			 (unsigned long long)start, (unsigned long long)end);
	}

	/* the frames of ptscope's own file mappings, not the target's */
	cli_self_frames_init();
	/* the time and header first: the walk begins now */
	pts_snap_init(&sh, pid, NULL);
	ret = cli_stream_open(&st, pid, "%s", range);
	if (ret) {
		cli_self_frames_free();
		return ret;
	}
	ret = out_open(&out, file);
	if (ret) {
		cli_stream_close(&st);
		cli_self_frames_free();
		return ret;
	}
	snprintf(sh.comm, sizeof(sh.comm), "%s", st.hdr.comm);
	sh.pid = st.hdr.pid;
	put(&out, &sh, sizeof(sh));
	h = st.hdr;
	h.hdr.size = sizeof(h);
	put(&out, &h, sizeof(h));
	while ((ret = cli_stream_next(&st, &rec)) > 0) {
		if (rec->type == PTSCOPE_REC_LEAF && rec->size <= sizeof(leaf)) {
			memcpy(&leaf, rec, rec->size);
			cli_discount_self(&leaf);
			rec = &leaf.hdr;
		}
		put(&out, rec, rec->size);
	}
	if (ret == 0) {
		st.end.hdr.size = sizeof(st.end);	/* as much as was kept */
		put(&out, &st.end, sizeof(st.end));
	}
	if (out_close(&out, ret == 0)) {
		cli_stream_close(&st);
		cli_self_frames_free();
		return ret < 0 ? st.rc : CLI_ERR;
	}
	if (cli.json) {
		json_object *o = json_object_new_object();

		jset(o, "file", json_object_new_string(file));
		jset(o, "pid", json_object_new_int(st.hdr.pid));
		jset(o, "comm", json_object_new_string(st.hdr.comm));
		jset(o, "time", json_object_new_double(sh.time_sec + sh.time_nsec / 1e9));
		jset(o, "vmas", json_object_new_uint64(st.end.vmas));
		jset(o, "leaves", json_object_new_uint64(st.end.leaves));
		jset(o, "entries", json_object_new_uint64(st.end.entries));
		jset(o, "bytes", json_object_new_uint64(out.bytes));
		cli_via_json(st.hdr.flags, o);
		ret = cli_json_print(o, true);
	} else if (out.path) {
		printf("ptscope snapshot: pid %u (%s): %llu VMAs, %llu entries -> %s (%s)\n",
		       st.hdr.pid, st.hdr.comm, (unsigned long long)st.end.vmas,
		       (unsigned long long)st.end.entries, file, sz(out.bytes));
		ret = CLI_OK;
	} else {
		ret = CLI_OK;
	}
	cli_stream_close(&st);
	cli_self_frames_free();
	return ret;
}
