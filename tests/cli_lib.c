// SPDX-License-Identifier: GPL-2.0
/*
 * cli_lib: running the ptscope CLI from a test and reading its JSON
 * (cli_lib.h).
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli_lib.h"
#include "pagemap_lib.h"

static char cli_path[PATH_MAX];

const char *cli(void)
{
	const char *env = getenv("PTSCOPE_CLI");
	char buf[PATH_MAX];
	ssize_t n;

	if (env && *env)
		return env;
	if (cli_path[0])
		return cli_path;
	/* build/tests/cli_test -> tools/ptscope/ptscope */
	n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	if (n <= 0)
		return "tools/ptscope/ptscope";
	buf[n] = '\0';
	snprintf(cli_path, sizeof(cli_path), "%s/../../tools/ptscope/ptscope",
		 dirname(buf));
	return cli_path;
}


char *slurp(int fd)
{
	size_t len = 0, cap = 65536;
	char *buf = malloc(cap);
	ssize_t n;

	lseek(fd, 0, SEEK_SET);
	while (buf) {
		if (len + 1 >= cap) {
			char *b = realloc(buf, cap * 2);

			if (!b)
				break;
			buf = b;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - 1 - len);
		if (n <= 0)
			break;
		len += n;
	}
	if (buf)
		buf[len] = '\0';
	close(fd);
	return buf;
}

/* Run ARGV (argv[0] found in PATH) with ENV ("K=V" or NULL) added. */
void run_prog(struct run *r, const char *env, char *const argv[])
{
	int ofd = memfd_create("out", MFD_CLOEXEC), efd = memfd_create("err", MFD_CLOEXEC);
	pid_t pid;
	int st;

	memset(r, 0, sizeof(*r));
	r->status = -1;
	if (ofd < 0 || efd < 0)
		return;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		dup2(ofd, 1);
		dup2(efd, 2);
		if (env)
			putenv(strdup(env));
		execvp(argv[0], argv);
		_exit(127);
	}
	if (pid > 0 && waitpid(pid, &st, 0) == pid)
		r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	r->out = slurp(ofd);
	r->err = slurp(efd);
}

/* Run the CLI with the arguments after R (NULL-terminated). */
void run_cli_env(struct run *r, const char *env, ...)
{
	char *argv[32];
	va_list ap;
	int n = 0;

	argv[n++] = (char *)cli();
	va_start(ap, env);
	while (n < 31 && (argv[n] = va_arg(ap, char *)) != NULL)
		n++;
	va_end(ap);
	argv[n] = NULL;
	run_prog(r, env, argv);
}


void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

/* ---- JSON --------------------------------------------------------------- */

json_object *jget(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (o)
		json_object_object_get_ex(o, key, &v);
	return v;
}

const char *jstr(json_object *o, const char *key)
{
	json_object *v = jget(o, key);

	return v && json_object_is_type(v, json_type_string) ?
	       json_object_get_string(v) : NULL;
}

long long jint(json_object *o, const char *key)
{
	json_object *v = jget(o, key);

	return v && json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : -1;
}

/* A "0x..." field; ~0 when missing. */
unsigned long long jhex(json_object *o, const char *key)
{
	const char *s = jstr(o, key);

	return s && !strncmp(s, "0x", 2) ? strtoull(s, NULL, 16) : ~0ULL;
}

bool jhas_flag(json_object *o, const char *name)
{
	json_object *a = jget(o, "flags");
	size_t i;

	for (i = 0; a && i < json_object_array_length(a); i++)
		if (!strcmp(json_object_get_string(json_object_array_get_idx(a, i)), name))
			return true;
	return false;
}

/* Lines of a JSON Lines text, each parsed; NULL entries did not parse. */
int json_lines(char *text, json_object ***objs)
{
	int n = 0, cap = 256;
	json_object **v = malloc(cap * sizeof(*v));
	char *save = NULL, *line;

	for (line = strtok_r(text, "\n", &save); line && v;
	     line = strtok_r(NULL, "\n", &save)) {
		if (n == cap) {
			json_object **w = realloc(v, 2 * cap * sizeof(*v));

			if (!w)
				break;
			v = w;
			cap *= 2;
		}
		v[n++] = json_tokener_parse(line);
	}
	*objs = v;
	return n;
}

void json_lines_free(json_object **v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		json_object_put(v[i]);
	free(v);
}

/* ---- swap ---------------------------------------------------------------- */

bool zram_is_swap(void)
{
	return pml_sh("grep -q '^/dev/zram0 ' /proc/swaps") == 0;
}

int zram_on(void)
{
	int i;

	if (access("/sys/block/zram0", F_OK) &&
	    pml_sh("modprobe zram num_devices=1 >/dev/null 2>&1"))
		return -1;
	if (zram_is_swap() || access("/sys/block/zram0/disksize", W_OK))
		return -1;
	/* the reset fails (EBUSY) while the last user lets go of the device */
	for (i = 0; i < 50 && pml_write_str("/sys/block/zram0/reset", "1"); i++)
		usleep(100000);
	if (pml_write_str("/sys/block/zram0/disksize", "16M") ||
	    pml_sh("mkswap /dev/zram0 >/dev/null 2>&1") ||
	    pml_sh("swapon /dev/zram0 >/dev/null 2>&1") || !zram_is_swap()) {
		pml_write_str("/sys/block/zram0/reset", "1");
		return -1;
	}
	return 0;
}

void zram_off(void)
{
	int i;

	pml_sh("swapoff /dev/zram0 >/dev/null 2>&1");
	for (i = 0; i < 50 && pml_write_str("/sys/block/zram0/reset", "1"); i++)
		usleep(100000);
}

/* ---- the test's own frames ------------------------------------------------ */

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ	22
#endif

/*
 * Map every page of this process's file mappings now: shared library
 * pages it would fault in later (parsing JSON) would raise their map
 * count between ptscope's walk and the kernel's figures read after it.
 */
void populate_self(void)
{
	struct pml_map *m = NULL;
	int n = pml_maps(0, &m), i;

	for (i = 0; i < n; i++)
		if (m[i].perms[0] == 'r' && m[i].name[0] == '/')
			madvise((void *)m[i].start, m[i].end - m[i].start,
				MADV_POPULATE_READ);
	free(m);
}
