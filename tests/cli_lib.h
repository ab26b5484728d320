/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cli_lib: what the tests that run the ptscope CLI share: running it (or
 * another program) with its output captured, and reading its JSON.
 * Linked into every test program; include it where the CLI is run.
 */
#ifndef CLI_LIB_H
#define CLI_LIB_H

#include <stdbool.h>
#include <json-c/json.h>

/* The CLI: $PTSCOPE_CLI, else tools/ptscope/ptscope beside build/tests/. */
const char *cli(void);

struct run {
	int status;		/* exit status, or 128 + signal */
	char *out, *err;	/* what it wrote (malloc'ed) */
};

/* All of FD from its start, NUL-terminated (malloc'ed), and FD closed. */
char *slurp(int fd);
/* Run ARGV (argv[0] found in PATH) with ENV ("K=V" or NULL) added. */
void run_prog(struct run *r, const char *env, char *const argv[]);
/* Run the CLI with the arguments after ENV (NULL-terminated). */
void run_cli_env(struct run *r, const char *env, ...);
#define run_cli(r, ...) run_cli_env(r, NULL, ##__VA_ARGS__, (char *)NULL)
void run_free(struct run *r);

/* JSON: a member, a string, an integer (-1), a "0x..." number (~0). */
json_object *jget(json_object *o, const char *key);
const char *jstr(json_object *o, const char *key);
long long jint(json_object *o, const char *key);
unsigned long long jhex(json_object *o, const char *key);
/* Does O's "flags" array hold NAME? */
bool jhas_flag(json_object *o, const char *name);
/* Lines of a JSON Lines TEXT (changed in place), each parsed (NULL if not). */
int json_lines(char *text, json_object ***objs);
void json_lines_free(json_object **v, int n);

/*
 * A 16 MiB zram swap device for the tests that page out: 0 or -1 (no
 * zram module, or a device in use); zram_off() takes it away again.
 */
bool zram_is_swap(void);
int zram_on(void);
void zram_off(void);

/*
 * Map every page of the test's own file mappings now, so that the pages
 * it would fault in later do not raise their map counts between a walk
 * and the kernel's figures read after it.
 */
void populate_self(void);

#endif
