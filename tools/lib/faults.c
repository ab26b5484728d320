// SPDX-License-Identifier: GPL-2.0
/* libptscope: the module's fault counters (the "faults" file). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libptscope.h"

static const char *const counter_names[] = {
#define NAME(id, str) [PTSCOPE_FC_##id] = str,
	PTSCOPE_FAULT_COUNTERS(NAME)
#undef NAME
};

const char *pts_fault_counter_name(unsigned int i)
{
	return i < PTSCOPE_NR_FAULT_COUNTERS ? counter_names[i] : NULL;
}

int pts_faults_ctl(const char *cmd, pid_t pid)
{
	char line[64];

	if (pts_use_device())
		snprintf(line, sizeof(line), "op=%s pid=%d\n", cmd, (int)pid);
	else
		snprintf(line, sizeof(line), "%s pid=%d\n", cmd, (int)pid);
	return pts_command("faults", line);
}

/* Parse one "pid=N comm=X state=S key=value..." line. */
static int parse_line(char *line, struct pts_faults *f)
{
	char *tok, *save = NULL;
	unsigned int i;

	memset(f, 0, sizeof(*f));
	f->pid = -1;
	for (tok = strtok_r(line, " \n", &save); tok;
	     tok = strtok_r(NULL, " \n", &save)) {
		char *val = strchr(tok, '=');

		if (!val)
			continue;
		*val++ = '\0';
		if (!strcmp(tok, "pid")) {
			f->pid = atoi(val);
		} else if (!strcmp(tok, "comm")) {
			snprintf(f->comm, sizeof(f->comm), "%s", val);
		} else if (!strcmp(tok, "state")) {
			snprintf(f->state, sizeof(f->state), "%s", val);
			f->exited = strcmp(val, "alive") != 0;
		} else {
			for (i = 0; i < PTSCOPE_NR_FAULT_COUNTERS; i++)
				if (!strcmp(tok, counter_names[i]))
					f->count[i] = strtoull(val, NULL, 10);
		}
	}
	return f->pid > 0 ? 0 : -EPROTO;
}

int pts_faults_read(pid_t pid, struct pts_faults *out)
{
	char line[2048];
	struct pts_faults f;
	unsigned long long missed = 0;
	int ret = -ENOENT;
	FILE *fp;

	fp = pts_text("faults", "op=faults");
	if (!fp)
		return errno == ENOENT ? -ENODEV : -errno;
	while (fgets(line, sizeof(line), fp)) {
		/* The first line: "missed=N", for all processes. */
		if (!strncmp(line, "missed=", 7)) {
			missed = strtoull(line + 7, NULL, 10);
			continue;
		}
		if (parse_line(line, &f))
			continue;
		if (f.pid == pid) {
			*out = f;
			ret = 0;
		}
	}
	fclose(fp);
	if (!ret)
		out->missed = missed;
	return ret;
}

int pts_proc_faults(pid_t pid, long long *minflt, long long *majflt)
{
	char path[64], buf[1024], *p;
	int ret = -EPROTO;
	FILE *f;

	*minflt = *majflt = -1;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	/* comm may hold spaces and parentheses: fields start after the last ')' */
	if (fgets(buf, sizeof(buf), f)) {
		p = strrchr(buf, ')');
		if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %lld %*u %lld",
				minflt, majflt) == 2)
			ret = 0;
	}
	fclose(f);
	if (ret)
		*minflt = *majflt = -1;
	return ret;
}
