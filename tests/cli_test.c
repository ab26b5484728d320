// SPDX-License-Identifier: GPL-2.0
/*
 * The ptscope CLI against the kernel's own numbers.  A target process
 * (this program re-executed, so that it shares no copy-on-write pages
 * with the test) sets up known mappings and sleeps; then:
 *  - walk --json: every line parses; each leaf agrees with
 *    /proc/PID/pagemap (present, frame, swap), and every present page of
 *    pagemap is covered by a leaf; --coalesce and --range agree with the
 *    plain walk; the text form has one "vma" line per /proc/PID/maps line;
 *  - translate --json: the level indexes are the address's bits, the
 *    physical address is pagemap's frame plus the offset, or null with a
 *    stop reason where pagemap has nothing;
 *  - maps --json: totals against smaps_rollup and status;
 *  - ptcost --json: against VmPTE and arithmetic on /proc/PID/maps;
 *  - map --svg: checked from the SVG by tests/map_svg_check.py (size, text
 *    sizes, overlaps, colours, one element per VMA, every gap labelled),
 *    --range and --vma against /proc/PID/maps; bad sizes and ranges fail;
 *  - bad arguments fail with a message and the documented status;
 *  - help flags explains every flag name the walk can print;
 *  - colour only on a terminal whose TERM is set and not dumb, without
 *    NO_COLOR (the CLI run under a pseudo-terminal);
 *  - valgrind finds no error or leak in a walk;
 *  - the CLI reaches the module through /dev/ptscope, or through debugfs
 *    with PTSCOPE_INTERFACE=debugfs (tests/run-guest runs both), --version
 *    says which, and a walk through the other one is the same.
 * The "swap" variant pages part of the target out to zram first.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <pty.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#include <json-c/json.h>

#include "guest_harness.h"
#include "libptscope.h"
#include "pagemap_lib.h"
#include "cli_lib.h"

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT	21
#endif

#define PAGE		4096UL
#define ANON_PAGES	64	/* first half written */
#define ZERO_PAGES	16	/* first half read: zero page */
#define SHM_PAGES	8
#define SWAP_FIRST	16	/* swap variant: anon pages 16..23 paged out */
#define SWAP_PAGES	8
#define TARGET_ENV	"PTSCOPE_CLI_TEST_TARGET"
#define TARGET_FD	100

/* ---- the target: this program, re-executed ----------------------------- */

struct layout {
	unsigned long anon, zero, shm, file, none, thp, heap, stack;
};

static void target_main(const char *mode)
{
	volatile char sink = 0, *p;
	int swap = !strcmp(mode, "swap"), fd, i;
	char stack_var[64] = "stack";
	struct layout l = { 0 };
	unsigned long t;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	p = mmap(NULL, ANON_PAGES * PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		_exit(1);
	for (i = 0; i < ANON_PAGES / 2; i++)
		memset((char *)p + i * PAGE, 'a' + i % 26, 64);
	l.anon = (unsigned long)p;

	p = mmap(NULL, ZERO_PAGES * PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		_exit(1);
	for (i = 0; i < ZERO_PAGES / 2; i++)
		sink += p[i * PAGE];
	l.zero = (unsigned long)p;

	p = mmap(NULL, SHM_PAGES * PAGE, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		_exit(1);
	for (i = 0; i < SHM_PAGES; i++)
		p[i * PAGE] = 1;
	l.shm = (unsigned long)p;

	fd = open("/proc/self/exe", O_RDONLY);
	p = fd < 0 ? MAP_FAILED : mmap(NULL, 4 * PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		_exit(1);
	sink += p[0] + p[PAGE];
	close(fd);
	l.file = (unsigned long)p;

	p = mmap(NULL, 4 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		_exit(1);
	l.none = (unsigned long)p;

	/* exactly one 2M-aligned 2M VMA, touched once: a THP if allowed */
	p = mmap(NULL, 4UL << 20, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		_exit(1);
	t = ((unsigned long)p + (2UL << 20) - 1) & ~((2UL << 20) - 1);
	if (t > (unsigned long)p)
		munmap((void *)p, t - (unsigned long)p);
	munmap((void *)(t + (2UL << 20)), (unsigned long)p + (4UL << 20) - t - (2UL << 20));
	madvise((void *)t, 2UL << 20, MADV_HUGEPAGE);
	((volatile char *)t)[0] = 1;
	l.thp = t;

	p = malloc(4 * PAGE);
	if (!p)
		_exit(1);
	memset((void *)p, 1, 4 * PAGE);
	l.heap = (unsigned long)p;
	l.stack = (unsigned long)stack_var;

	if (swap && madvise((void *)(l.anon + SWAP_FIRST * PAGE), SWAP_PAGES * PAGE,
			    MADV_PAGEOUT)) {
		dprintf(TARGET_FD, "error: MADV_PAGEOUT: %s\n", strerror(errno));
		_exit(2);
	}
	dprintf(TARGET_FD, "anon=%lx zero=%lx shm=%lx file=%lx none=%lx thp=%lx "
		"heap=%lx stack=%lx\n", l.anon, l.zero, l.shm, l.file, l.none,
		l.thp, l.heap, l.stack);
	close(TARGET_FD);
	for (;;)
		pause();
}

/* Before the harness: a target never runs any test. */
__attribute__((constructor)) static void maybe_target(void)
{
	const char *mode = getenv(TARGET_ENV);

	if (mode)
		target_main(mode);
}

static char self_exe[PATH_MAX];

/* Does the CLI reach the module through /dev/ptscope (the default)? */
static bool through_device(void)
{
	const char *i = getenv("PTSCOPE_INTERFACE");

	if (i && *i)
		return !strcmp(i, "device");
	return access(PTSCOPE_DEVICE, F_OK) == 0;
}

struct target {
	pid_t pid;
	char pidstr[16];
	struct layout l;
};

static char target_line[512];

static int target_start(struct target *t, bool swap)
{
	char line[512];
	int fds[2];
	ssize_t n;
	size_t len = 0;

	memset(t, 0, sizeof(*t));
	t->pid = -1;
	n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
	if (n <= 0)
		return -errno;
	self_exe[n] = '\0';
	if (pipe2(fds, O_CLOEXEC))
		return -errno;
	fflush(stdout);
	fflush(stderr);
	t->pid = fork();
	if (t->pid < 0)
		return -errno;
	if (!t->pid) {
		dup2(fds[1], TARGET_FD);
		setenv(TARGET_ENV, swap ? "swap" : "plain", 1);
		execl(self_exe, "cli_test", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	while (len < sizeof(line) - 1) {
		n = read(fds[0], line + len, sizeof(line) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += n;
		if (memchr(line, '\n', len))
			break;
	}
	close(fds[0]);
	line[len] = '\0';
	snprintf(target_line, sizeof(target_line), "%s", line);
	snprintf(t->pidstr, sizeof(t->pidstr), "%d", t->pid);
	if (sscanf(line, "anon=%lx zero=%lx shm=%lx file=%lx none=%lx thp=%lx "
		   "heap=%lx stack=%lx", &t->l.anon, &t->l.zero, &t->l.shm,
		   &t->l.file, &t->l.none, &t->l.thp, &t->l.heap, &t->l.stack) != 8)
		return -EPROTO;
	return 0;
}

static void target_stop(struct target *t)
{
	if (t->pid > 0) {
		kill(t->pid, SIGKILL);
		waitpid(t->pid, NULL, 0);
	}
	t->pid = -1;
}

/* ---- running a program -------------------------------------------------- */

/*
 * Run the CLI on a pseudo-terminal (stdout and stderr), as on a console,
 * with ENV applied first ("K=V" sets, "K" unsets; NULL-terminated).
 * Returns what it wrote, or NULL; *STATUS its exit status.
 */
static char *run_cli_pty(const char *const env[], int *status, ...)
{
	char *argv[32], *buf;
	size_t len = 0, cap = 65536;
	struct winsize ws = { .ws_row = 50, .ws_col = 200 };
	va_list ap;
	int n = 0, fd, st;
	pid_t pid;

	*status = -1;
	argv[n++] = (char *)cli();
	va_start(ap, status);
	while (n < 31 && (argv[n] = va_arg(ap, char *)) != NULL)
		n++;
	va_end(ap);
	argv[n] = NULL;
	fflush(stdout);
	fflush(stderr);
	pid = forkpty(&fd, NULL, NULL, &ws);
	if (pid < 0)
		return NULL;
	if (pid == 0) {
		for (; *env; env++) {
			if (strchr(*env, '='))
				putenv(strdup(*env));
			else
				unsetenv(*env);
		}
		unsetenv(TARGET_ENV);
		execv(argv[0], argv);
		_exit(127);
	}
	buf = malloc(cap);
	while (buf) {
		ssize_t r;

		if (len + 1 >= cap) {
			char *b = realloc(buf, cap * 2);

			if (!b)
				break;
			buf = b;
			cap *= 2;
		}
		r = read(fd, buf + len, cap - 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)	/* EIO: the child closed the terminal */
			break;
		len += r;
	}
	close(fd);
	if (waitpid(pid, &st, 0) == pid)
		*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	if (buf)
		buf[len] = '\0';
	return buf;
}

/*
 * Colour on a terminal as experienced tools decide it: only with TERM set
 * and not "dumb" and NO_COLOR unset (https://no-color.org); --color=always
 * and --color=never win.  ARGS: a command that colours on a terminal.
 */
static void check_colour(struct __test_metadata *_metadata, const char *a1,
			 const char *a2, const char *a3)
{
	static const struct {
		const char *env[4];
		const char *opt;
		bool colour;
	} cases[] = {
		{ { "TERM=xterm", "NO_COLOR", NULL }, NULL, true },
		{ { "TERM=dumb", "NO_COLOR", NULL }, NULL, false },
		{ { "TERM=xterm", "NO_COLOR=1", NULL }, NULL, false },
		{ { "TERM", "NO_COLOR", NULL }, NULL, false },
		{ { "TERM=", "NO_COLOR", NULL }, NULL, false },
		{ { "TERM=xterm", "NO_COLOR=", NULL }, NULL, true },
		{ { "TERM=dumb", "NO_COLOR=1", NULL }, "--color=always", true },
		{ { "TERM=xterm", "NO_COLOR", NULL }, "--color=never", false },
		{ { "TERM=xterm", "NO_COLOR", NULL }, "--no-color", false },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int status;
		char *out = cases[i].opt ?
			run_cli_pty(cases[i].env, &status, cases[i].opt, a1, a2, a3, NULL) :
			run_cli_pty(cases[i].env, &status, a1, a2, a3, NULL);

		ASSERT_NE(NULL, out);
		EXPECT_EQ(0, status) TH_LOG("case %zu: %s", i, out);
		EXPECT_GT(strlen(out), 100) TH_LOG("case %zu: %s", i, out);
		EXPECT_EQ(cases[i].colour, strchr(out, '\033') != NULL)
			TH_LOG("case %zu (%s %s %s): %s", i, cases[i].env[0],
			       cases[i].env[1], cases[i].opt ? cases[i].opt : "",
			       cases[i].colour ? "no colour on a terminal" :
			       "colour escapes");
		free(out);
	}
}

/* ---- the kernel's view ------------------------------------------------- */

/* User VMAs of /proc/PID/maps (not [vsyscall]). */
static int user_maps(pid_t pid, struct pml_map **m)
{
	int n = pml_maps(pid, m), i, k = 0;

	for (i = 0; i < n; i++)
		if (strcmp((*m)[i].name, "[vsyscall]"))
			(*m)[k++] = (*m)[i];
	return n < 0 ? n : k;
}

/* pagemap does not look into VM_PFNMAP VMAs ([vvar]). */
static bool is_pfnmap_name(const char *name)
{
	return !strncmp(name, "[vvar", 5);
}

static bool kernel_before(int major, int minor)
{
	struct utsname u;
	int a = 0, b = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &a, &b) != 2)
		return false;
	return a < major || (a == major && b < minor);
}

/* ---- the fixture -------------------------------------------------------- */

FIXTURE(cli)
{
	struct target t;
	bool zram;
};

FIXTURE_VARIANT(cli)
{
	bool swap;
};

FIXTURE_VARIANT_ADD(cli, plain) { .swap = false };
FIXTURE_VARIANT_ADD(cli, swap) { .swap = true };

FIXTURE_SETUP(cli)
{
	int ret;

	memset(self, 0, sizeof(*self));
	self->t.pid = -1;
	if (access(PTSCOPE_DEBUGFS_DIR "/records", F_OK))
		SKIP(return, "ptscope module not loaded");
	if (access(cli(), X_OK))
		SKIP(return, "%s not built", cli());
	if (variant->swap) {
		if (zram_on())
			SKIP(return, "no zram swap device");
		self->zram = true;
	}
	populate_self();
	ret = target_start(&self->t, variant->swap);
	ASSERT_EQ(0, ret) TH_LOG("target did not start: %s (it said: %s)",
				 strerror(-ret), target_line);
}

FIXTURE_TEARDOWN(cli)
{
	target_stop(&self->t);
	if (self->zram)
		zram_off();
}

/* ---- walk --------------------------------------------------------------- */

TEST_F_TIMEOUT(cli, walk_json_matches_pagemap, 180)
{
	unsigned long present_walk = 0, present_pm = 0, swap_walk = 0, swap_pm = 0;
	unsigned long anon_present = 0, anon_swap = 0, zero_flagged = 0;
	uint64_t *pm = malloc(512 * 8);
	struct pml_map *maps = NULL;
	json_object **lines;
	struct run r;
	int n, i, nm;

	ASSERT_NE(NULL, pm);
	run_cli(&r, "walk", self->t.pidstr, "--json");
	ASSERT_EQ(0, r.status) TH_LOG("stderr: %s", r.err);
	n = json_lines(r.out, &lines);
	ASSERT_GT(n, 10);
	for (i = 0; i < n; i++) {
		json_object *o = lines[i], *vma = jget(o, "vma"), *swap;
		unsigned long long va = jhex(o, "va"), pfn;
		long long size = jint(o, "size"), count = jint(o, "count");
		bool present;
		unsigned long p, np;

		ASSERT_NE(NULL, o) TH_LOG("line %d does not parse", i + 1);
		ASSERT_NE(~0ULL, va);
		ASSERT_NE(~0ULL, jhex(o, "entry"));
		ASSERT_TRUE(size == 4096 || size == 2 << 20 || size == 1 << 30);
		ASSERT_EQ(1, count);
		ASSERT_NE(NULL, jstr(o, "level"));
		ASSERT_NE(NULL, jget(o, "present"));
		ASSERT_NE(NULL, jget(o, "flags"));
		ASSERT_NE(NULL, vma);
		ASSERT_NE(NULL, jstr(vma, "perm"));
		ASSERT_NE(NULL, jstr(vma, "backing"));
		ASSERT_TRUE(va >= jhex(vma, "start") && va < jhex(vma, "end"));
		if (!strcmp(jstr(vma, "backing"), "pfnmap"))
			continue;	/* pagemap skips VM_PFNMAP */
		present = json_object_get_boolean(jget(o, "present"));
		swap = jget(o, "swap");
		np = size / PAGE;
		if (np > 512)
			np = 512;	/* a 1G leaf: its first 2M */
		ASSERT_EQ(0, pml_pagemap(self->t.pid, va, np, pm));
		for (p = 0; p < np; p++) {
			if (present) {
				ASSERT_TRUE(pm[p] & PML_PRESENT)
					TH_LOG("0x%llx: present in the walk, not in pagemap",
					       va + p * PAGE);
				pfn = json_object_get_int64(jget(o, "pfn"));
				ASSERT_EQ(pfn + p, pml_pfn(pm[p]))
					TH_LOG("0x%llx: pfn differs", va + p * PAGE);
			} else if (swap && json_object_is_type(swap, json_type_object)) {
				ASSERT_TRUE(pm[p] & PML_SWAP);
				ASSERT_EQ(jint(swap, "type"), pml_swap_type(pm[p]));
				ASSERT_EQ(jint(swap, "offset"), pml_swap_offset(pm[p]));
				ASSERT_TRUE(json_object_is_type(jget(o, "pfn"), json_type_null));
			}
		}
		if (present)
			present_walk += size / PAGE;
		else if (swap && json_object_is_type(swap, json_type_object))
			swap_walk += size / PAGE;
		if (va >= self->t.l.anon && va < self->t.l.anon + ANON_PAGES * PAGE) {
			anon_present += present;
			anon_swap += !present;
		}
		if (va >= self->t.l.zero && va < self->t.l.zero + ZERO_PAGES * PAGE)
			zero_flagged += jhas_flag(o, "zero-page");
		if (va == (self->t.l.heap & ~(PAGE - 1)))
			EXPECT_STREQ("heap", jstr(vma, "backing"));
		if (va == self->t.l.shm)
			EXPECT_STREQ("shmem", jstr(vma, "backing"));
		if (va == self->t.l.file)
			EXPECT_STREQ("file", jstr(vma, "backing"));
	}
	/* every present (or swapped) page of pagemap is in the walk */
	nm = user_maps(self->t.pid, &maps);
	ASSERT_GT(nm, 5);
	for (i = 0; i < nm; i++) {
		unsigned long a;

		if (is_pfnmap_name(maps[i].name))
			continue;
		for (a = maps[i].start; a < maps[i].end; a += 512 * PAGE) {
			unsigned long np = (maps[i].end - a) / PAGE, p;

			if (np > 512)
				np = 512;
			ASSERT_EQ(0, pml_pagemap(self->t.pid, a, np, pm));
			for (p = 0; p < np; p++) {
				present_pm += !!(pm[p] & PML_PRESENT);
				swap_pm += !!(pm[p] & PML_SWAP);
			}
		}
	}
	EXPECT_EQ(present_pm, present_walk);
	EXPECT_EQ(swap_pm, swap_walk);
	EXPECT_EQ(ANON_PAGES / 2 - (variant->swap ? SWAP_PAGES : 0), anon_present);
	EXPECT_EQ(variant->swap ? SWAP_PAGES : 0, anon_swap);
	EXPECT_EQ(ZERO_PAGES / 2, zero_flagged);
	json_lines_free(lines, n);
	free(maps);
	free(pm);
	run_free(&r);
}

TEST_F_TIMEOUT(cli, walk_coalesce_and_range, 120)
{
	long long entries = 0, in_range = 0;
	json_object **lines;
	char range[64];
	struct run r;
	int n, plain, i;

	run_cli(&r, "walk", self->t.pidstr);
	ASSERT_EQ(0, r.status) TH_LOG("stderr: %s", r.err);
	/* text: one line per leaf, and the "# N VMAs, N lines, N entries" summary */
	plain = 0;
	for (char *p = r.out; (p = strstr(p, "\n    0x")); p++)
		plain++;
	ASSERT_GT(plain, 10);
	run_free(&r);

	run_cli(&r, "walk", self->t.pidstr, "--coalesce", "--json");
	ASSERT_EQ(0, r.status) TH_LOG("stderr: %s", r.err);
	n = json_lines(r.out, &lines);
	ASSERT_GT(n, 0);
	ASSERT_LE(n, plain);
	for (i = 0; i < n; i++) {
		ASSERT_NE(NULL, lines[i]) TH_LOG("line %d does not parse", i + 1);
		ASSERT_GE(jint(lines[i], "count"), 1);
		entries += jint(lines[i], "count");
	}
	EXPECT_EQ(plain, entries);
	json_lines_free(lines, n);
	run_free(&r);

	snprintf(range, sizeof(range), "0x%lx+%luK", self->t.l.anon,
		 ANON_PAGES * PAGE / 1024);
	run_cli(&r, "walk", self->t.pidstr, "--json", "--range", range);
	ASSERT_EQ(0, r.status) TH_LOG("stderr: %s", r.err);
	n = json_lines(r.out, &lines);
	for (i = 0; i < n; i++) {
		unsigned long long va = jhex(lines[i], "va");

		ASSERT_NE(NULL, lines[i]);
		ASSERT_TRUE(va >= self->t.l.anon && va < self->t.l.anon + ANON_PAGES * PAGE);
		in_range += json_object_get_boolean(jget(lines[i], "present"));
	}
	EXPECT_EQ(ANON_PAGES / 2 - (variant->swap ? SWAP_PAGES : 0), in_range);
	json_lines_free(lines, n);
	run_free(&r);
}

TEST_F(cli, walk_text_has_every_vma)
{
	struct pml_map *maps = NULL;
	int nm, nv = 0;
	struct run r;
	char *p;

	run_cli(&r, "walk", self->t.pidstr, "--coalesce");
	ASSERT_EQ(0, r.status) TH_LOG("stderr: %s", r.err);
	EXPECT_EQ(0, strncmp(r.out, "# ptscope walk: pid ", 20));
	EXPECT_EQ(NULL, strchr(r.out, '\033')) TH_LOG("colour on a pipe");
	for (p = r.out; p; p = strstr(p + 1, "\nvma 0x"))
		nv += p != r.out;
	nm = user_maps(self->t.pid, &maps);
	EXPECT_EQ(nm, nv);
	EXPECT_NE(NULL, strstr(r.out, " VMAs, "));
	free(maps);
	run_free(&r);

	run_cli(&r, "walk", self->t.pidstr, "--color=always");
	ASSERT_EQ(0, r.status);
	EXPECT_NE(NULL, strchr(r.out, '\033'));
	run_free(&r);
}

/* On a terminal (a console, the guest's serial line): see check_colour(). */
TEST_F(cli, walk_colour_only_on_a_capable_terminal)
{
	if (variant->swap)
		SKIP(return, "once is enough");
	check_colour(_metadata, "walk", self->t.pidstr, "--coalesce");
}

/* ---- translate ---------------------------------------------------------- */

TEST_F_TIMEOUT(cli, translate_json_matches_pagemap, 120)
{
	const struct layout *l = &self->t.l;
	const unsigned long vas[] = {
		l->anon + 0x123, l->anon + (ANON_PAGES - 1) * PAGE,
		l->anon + SWAP_FIRST * PAGE + 8, l->zero + 5, l->shm + PAGE + 7,
		l->file + 0x10, l->none, l->thp + 0x12345, l->heap, l->stack,
		0x1000,
	};
	size_t i;

	for (i = 0; i < sizeof(vas) / sizeof(vas[0]); i++) {
		unsigned long va = vas[i];
		json_object *o, *levels;
		uint64_t pm = 0;
		char vastr[32];
		int nl, k, levels_mode;
		struct run r;

		snprintf(vastr, sizeof(vastr), "0x%lx", va);
		run_cli(&r, "translate", self->t.pidstr, vastr, "--json");
		ASSERT_EQ(0, r.status) TH_LOG("%s: %s", vastr, r.err);
		o = json_tokener_parse(r.out);
		ASSERT_NE(NULL, o) TH_LOG("%s: output does not parse", vastr);
		EXPECT_EQ(va, jhex(o, "va"));
		levels_mode = jint(o, "paging_levels");
		ASSERT_TRUE(levels_mode == 4 || levels_mode == 5);
		ASSERT_NE(NULL, jstr(o, "stop"));
		levels = jget(o, "levels");
		ASSERT_NE(NULL, levels);
		nl = json_object_array_length(levels);
		ASSERT_LE(nl, levels_mode);
		for (k = 0; k < nl; k++) {
			json_object *lv = json_object_array_get_idx(levels, k);
			int shift = 12 + 9 * (levels_mode - 1 - k);

			ASSERT_NE(NULL, jstr(lv, "name"));
			ASSERT_NE(~0ULL, jhex(lv, "entry"));
			ASSERT_NE(~0ULL, jhex(lv, "table_pa"));
			ASSERT_NE(NULL, jget(lv, "flags"));
			EXPECT_EQ((long long)((va >> shift) & 511), jint(lv, "index"))
				TH_LOG("%s: index of level %d", vastr, k);
		}
		ASSERT_EQ(0, pml_pagemap(self->t.pid, va & ~(PAGE - 1), 1, &pm));
		if (pm & PML_PRESENT) {
			EXPECT_STREQ("ok", jstr(o, "stop"));
			EXPECT_EQ(pml_pfn(pm), jhex(o, "pa") >> 12) TH_LOG("%s", vastr);
			EXPECT_EQ(va & (PAGE - 1), jhex(o, "pa") & (PAGE - 1));
			EXPECT_TRUE(nl == levels_mode ||
				    (nl == levels_mode - 1 && jint(o, "page_size") == 2 << 20) ||
				    (nl == levels_mode - 2 && jint(o, "page_size") == 1 << 30));
		} else {
			EXPECT_TRUE(json_object_is_type(jget(o, "pa"), json_type_null))
				TH_LOG("%s: not present in pagemap but pa is set", vastr);
			EXPECT_STRNE("ok", jstr(o, "stop"));
			EXPECT_NE(NULL, jstr(o, "reason"));
			if (pm & PML_SWAP)
				EXPECT_STREQ("swap", jstr(o, "stop"));
		}
		if (va == 0x1000) {
			EXPECT_STREQ("no-vma", jstr(o, "stop"));
			EXPECT_EQ(0, nl);
			/* no table was read: there is no level to stop at */
			EXPECT_TRUE(json_object_is_type(jget(o, "stop_level"), json_type_null));
		}
		json_object_put(o);
		run_free(&r);
	}
}

TEST_F(cli, translate_text_is_textbook)
{
	char vastr[32];
	struct run r;

	snprintf(vastr, sizeof(vastr), "0x%lx", self->t.l.heap);
	run_cli(&r, "translate", self->t.pidstr, vastr);
	ASSERT_EQ(0, r.status) TH_LOG("stderr: %s", r.err);
	EXPECT_NE(NULL, strstr(r.out, "9+9+9+9+"));
	EXPECT_NE(NULL, strstr(r.out, "hypothetical"));
	EXPECT_NE(NULL, strstr(r.out, "10+10+12"));
	EXPECT_NE(NULL, strstr(r.out, "2+9+9+12"));
	EXPECT_NE(NULL, strstr(r.out, "=> pa 0x"));
	run_free(&r);

	snprintf(vastr, sizeof(vastr), "0x%lx", self->t.l.anon + (ANON_PAGES - 1) * PAGE);
	run_cli(&r, "translate", self->t.pidstr, vastr);
	ASSERT_EQ(0, r.status);
	EXPECT_NE(NULL, strstr(r.out, "=> stopped at pte: "));
	run_free(&r);

	/*
	 * Outside every VMA no table is read: say so, and do not claim the
	 * walk stopped at a level (the pgd entry there may well be present).
	 */
	run_cli(&r, "translate", self->t.pidstr, "0x1000");
	ASSERT_EQ(0, r.status);
	EXPECT_EQ(NULL, strstr(r.out, "stopped at")) TH_LOG("%s", r.out);
	EXPECT_NE(NULL, strstr(r.out, "no table was read")) TH_LOG("%s", r.out);
	run_free(&r);
}

/* ---- maps --------------------------------------------------------------- */

TEST_F_TIMEOUT(cli, maps_totals_match_kernel, 120)
{
	json_object *o, *t, *vmas, *k, *smaps;
	struct pml_map *maps = NULL;
	long rss, priv, shared, swap, vmrss;
	struct run r;
	int nm;

	run_cli(&r, "maps", self->t.pidstr, "--json");
	ASSERT_EQ(0, r.status) TH_LOG("stderr: %s", r.err);
	o = json_tokener_parse(r.out);
	ASSERT_NE(NULL, o);
	t = jget(o, "totals");
	vmas = jget(o, "vmas");
	k = jget(o, "kernel");
	ASSERT_NE(NULL, t);
	ASSERT_NE(NULL, vmas);
	ASSERT_NE(NULL, k);
	smaps = jget(k, "smaps_rollup");

	rss = pml_smaps_rollup_kb(self->t.pid, "Rss");
	priv = pml_smaps_rollup_kb(self->t.pid, "Private_Clean") +
	       pml_smaps_rollup_kb(self->t.pid, "Private_Dirty");
	shared = pml_smaps_rollup_kb(self->t.pid, "Shared_Clean") +
		 pml_smaps_rollup_kb(self->t.pid, "Shared_Dirty");
	swap = pml_smaps_rollup_kb(self->t.pid, "Swap");
	vmrss = pml_status_kb(self->t.pid, "VmRSS");
	ASSERT_GT(rss, 0);
	EXPECT_EQ(rss, jint(t, "working_set_kb"));
	EXPECT_EQ(rss, jint(t, "resident_kb"));
	EXPECT_EQ(priv, jint(t, "private_kb"));
	EXPECT_EQ(shared, jint(t, "shareable_kb"));
	EXPECT_EQ(swap, jint(t, "swap_kb"));
	EXPECT_EQ(rss, jint(smaps, "Rss"));
	/*
	 * status reads counters that lag: before 6.2 a per-thread cache
	 * synced every 64 faults (fault-around maps up to 16 pages a fault),
	 * since then per-CPU batches of up to 32 pages per counter.
	 */
	EXPECT_LE(labs(vmrss - jint(t, "working_set_kb")),
		  kernel_before(6, 2) ? 64 * 16 * 4 : 3 * 32 * 4 * sysconf(_SC_NPROCESSORS_ONLN))
		TH_LOG("VmRSS %ld, working set %lld", vmrss, jint(t, "working_set_kb"));
	EXPECT_EQ(variant->swap ? SWAP_PAGES * 4 : 0, jint(t, "swap_kb"));
	EXPECT_GE(jint(t, "zero_page_kb"), ZERO_PAGES / 2 * 4);
	EXPECT_GE(jint(t, "shmem_kb"), SHM_PAGES * 4);
	EXPECT_EQ(jint(t, "private_kb") + jint(t, "shareable_kb"),
		  jint(t, "working_set_kb"));
	nm = user_maps(self->t.pid, &maps);
	EXPECT_EQ(nm, (int)json_object_array_length(vmas));
	EXPECT_EQ(nm, jint(t, "vmas"));
	EXPECT_GT((int)json_object_array_length(jget(o, "notes")), 0);
	free(maps);
	json_object_put(o);
	run_free(&r);

	run_cli(&r, "maps", self->t.pidstr);
	ASSERT_EQ(0, r.status);
	EXPECT_NE(NULL, strstr(r.out, "working set"));
	EXPECT_NE(NULL, strstr(r.out, "VmRSS"));
	EXPECT_NE(NULL, strstr(r.out, "smaps Rss"));
	EXPECT_NE(NULL, strstr(r.out, "zero page"));
	run_free(&r);
}

/* ---- ptcost ------------------------------------------------------------- */

TEST_F(cli, ptcost_matches_vmpte)
{
	unsigned long regions = 0, last = ~0UL;
	struct pml_map *maps = NULL;
	json_object *o, *alt, *lv;
	long long levels;
	long vmpte;
	struct run r;
	int nm, i;

	run_cli(&r, "ptcost", self->t.pidstr, "--json");
	ASSERT_EQ(0, r.status) TH_LOG("stderr: %s", r.err);
	o = json_tokener_parse(r.out);
	ASSERT_NE(NULL, o);
	vmpte = pml_status_kb(self->t.pid, "VmPTE");
	ASSERT_GT(vmpte, 0);
	EXPECT_EQ(vmpte, jint(o, "vmpte_kb"));
	EXPECT_EQ(vmpte * 1024, jint(o, "pgtables_bytes"));
	/* every table VmPTE counts hangs below a VMA in a quiescent process */
	EXPECT_EQ(vmpte * 1024, jint(o, "vmpte_counted_bytes"));
	EXPECT_EQ(jint(o, "pte_pmd_pud_bytes") + 4096 * jint(o, "deposited_tables"),
		  jint(o, "vmpte_counted_bytes"));
	EXPECT_TRUE(json_object_get_boolean(jget(o, "agree")));
	levels = jint(o, "paging_levels");
	lv = jget(o, "levels");
	ASSERT_NE(NULL, lv);
	ASSERT_EQ(levels, (long long)json_object_array_length(lv));
	EXPECT_STREQ("pgd", jstr(json_object_array_get_idx(lv, 0), "name"));
	EXPECT_EQ(1, jint(json_object_array_get_idx(lv, 0), "tables"));
	EXPECT_STREQ("pte", jstr(json_object_array_get_idx(lv, levels - 1), "name"));

	/* the textbook alternatives, recomputed from /proc/PID/maps */
	alt = jget(o, "alternatives");
	ASSERT_NE(NULL, alt);
	EXPECT_EQ(4LL << 20, jint(alt, "flat_32bit_bytes"));
	EXPECT_EQ((1LL << (levels == 5 ? 45 : 36)) * 8, jint(alt, "flat_bytes"));
	nm = user_maps(self->t.pid, &maps);
	for (i = 0; i < nm; i++) {
		unsigned long first = maps[i].start >> 22, end = (maps[i].end - 1) >> 22;

		regions += end - first + 1 - (first == last);
		last = end;
	}
	EXPECT_EQ((long long)(1 + regions) * 4096, jint(alt, "two_level_10_10_bytes"));
	free(maps);
	json_object_put(o);
	run_free(&r);

	run_cli(&r, "ptcost", self->t.pidstr);
	ASSERT_EQ(0, r.status);
	EXPECT_NE(NULL, strstr(r.out, "VmPTE"));
	EXPECT_NE(NULL, strstr(r.out, "10+10"));
	EXPECT_NE(NULL, strstr(r.out, "2^20 x 4 B"));
	run_free(&r);
}

/* ---- map --svg ---------------------------------------------------------- */

/* tests/map_svg_check.py, next to build/tests/cli_test's sources */
static const char *svg_checker(void)
{
	static char path[PATH_MAX];
	char buf[PATH_MAX];
	ssize_t n;

	n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	snprintf(path, sizeof(path), "%s/../../tests/map_svg_check.py", dirname(buf));
	return path;
}

/*
 * Draw the target with ARGS (NULL-terminated, after "map PID --svg FILE")
 * and check the SVG against the VMAs of /proc/PID/maps in [LO, HI) (cut
 * at its ends) whose name contains MATCH (NULL: all): its size (SIZE),
 * text sizes and overlaps, legend colours, one element per VMA, every
 * gap labelled (tests/map_svg_check.py).
 */
static void map_check(struct __test_metadata *_metadata, struct target *t, const char *size,
		      unsigned long lo, unsigned long hi, const char *match, char **args)
{
	char svg[] = "/tmp/ptscope-cli-test-XXXXXX.svg", want[] = "/tmp/ptscope-cli-test-XXXXXX";
	char *argv[8] = { "python3", (char *)svg_checker(), svg, (char *)size, want, NULL };
	char *cargv[32] = { (char *)cli(), "map", t->pidstr, "--svg", svg };
	struct pml_map *maps = NULL;
	int fd, nm, i, k = 5, n = 0;
	struct run r;
	FILE *f;

	fd = mkstemps(svg, 4);
	ASSERT_GE(fd, 0);
	close(fd);
	while (args && *args && k < 31)
		cargv[k++] = *args++;
	cargv[k] = NULL;
	run_prog(&r, NULL, cargv);
	ASSERT_EQ(0, r.status) TH_LOG("stderr: %s", r.err);
	run_free(&r);

	fd = mkstemp(want);
	ASSERT_GE(fd, 0);
	f = fdopen(fd, "w");
	ASSERT_NE(NULL, f);
	nm = user_maps(t->pid, &maps);
	ASSERT_LT(0, nm);
	for (i = 0; i < nm; i++) {
		unsigned long s = maps[i].start > lo ? maps[i].start : lo;
		unsigned long e = maps[i].end < hi ? maps[i].end : hi;

		if (e <= s || (match && !strstr(maps[i].name, match)))
			continue;
		fprintf(f, "%lx %lx\n", s, e);
		n++;
	}
	fclose(f);
	free(maps);
	ASSERT_LT(0, n);
	run_prog(&r, NULL, argv);
	EXPECT_EQ(0, r.status) TH_LOG("%s\n%s", r.out, r.err);
	run_free(&r);
	unlink(svg);
	unlink(want);
}

TEST_F_TIMEOUT(cli, map_svg_checked_from_the_svg, 180)
{
	char *sz720[] = { "--size", "1280x720", NULL };
	char *sz43[] = { "--size", "1024x768", NULL };
	char range[64], *rng[] = { "--range", range, NULL };
	char *heap[] = { "--vma", "[heap]", NULL };
	char *libc[] = { "--vma", "libc", "--size", "3840x2160", NULL };
	unsigned long lo, hi;
	int i;

	if (pml_sh("command -v python3 >/dev/null"))
		SKIP(return, "no python3 to parse the SVG");
	map_check(_metadata, &self->t, "1920x1080", 0, ~0UL, NULL, NULL);
	map_check(_metadata, &self->t, "1280x720", 0, ~0UL, NULL, sz720);
	map_check(_metadata, &self->t, "1024x768", 0, ~0UL, NULL, sz43);
	map_check(_metadata, &self->t, "1920x1080", 0, ~0UL, "[heap]", heap);
	map_check(_metadata, &self->t, "3840x2160", 0, ~0UL, "libc", libc);

	/*
	 * A range cut inside its first and last VMAs, around the anonymous,
	 * shm, file and PROT_NONE mappings of the target (4 pages or more each).
	 */
	lo = hi = self->t.l.anon;
	for (i = 0; i < 3; i++) {
		unsigned long a = i == 0 ? self->t.l.shm : i == 1 ? self->t.l.file : self->t.l.none;

		lo = a < lo ? a : lo;
		hi = a > hi ? a : hi;
	}
	lo += PAGE;
	hi += PAGE;
	snprintf(range, sizeof(range), "0x%lx-0x%lx", lo, hi);
	map_check(_metadata, &self->t, "1920x1080", lo, hi, NULL, rng);
}

TEST_F(cli, map_svg_to_stdout)
{
	struct run r;

	run_cli(&r, "map", self->t.pidstr, "--svg", "-");
	ASSERT_EQ(0, r.status);
	EXPECT_NE(NULL, strstr(r.out, "<svg "));
	EXPECT_NE(NULL, strstr(r.out, "width=\"1920\" height=\"1080\""));
	EXPECT_NE(NULL, strstr(r.out, "</svg>"));
	run_free(&r);
}

TEST_F(cli, map_bad_options)
{
	static const char *const bad_sizes[] = {
		"1080x1920", "100x100", "1920", "1920x", "x1080", "axb", "1920x1080x3",
		"99999x1080", "-1920x1080", "",
	};
	struct run r;
	size_t i;

	for (i = 0; i < sizeof(bad_sizes) / sizeof(bad_sizes[0]); i++) {
		run_cli(&r, "map", self->t.pidstr, "--svg", "-", "--size", bad_sizes[i]);
		EXPECT_EQ(2, r.status) TH_LOG("--size '%s'", bad_sizes[i]);
		EXPECT_NE(NULL, strstr(r.err, "invalid size")) TH_LOG("%s", r.err);
		EXPECT_EQ(NULL, strstr(r.out, "<svg"));
		run_free(&r);
	}
	run_cli(&r, "map", self->t.pidstr, "--svg", "-", "--range", "0x5000-0x1000");
	EXPECT_EQ(2, r.status);
	EXPECT_NE(NULL, strstr(r.err, "invalid range"));
	run_free(&r);
	run_cli(&r, "map", self->t.pidstr, "--svg", "-", "--range", "zz");
	EXPECT_EQ(2, r.status);
	EXPECT_NE(NULL, strstr(r.err, "invalid range"));
	run_free(&r);
	run_cli(&r, "map", self->t.pidstr, "--svg", "-", "--vma", "no-such-vma-name");
	EXPECT_EQ(1, r.status);
	EXPECT_NE(NULL, strstr(r.err, "no VMA"));
	EXPECT_EQ(NULL, strstr(r.out, "<svg"));
	run_free(&r);
	/* nothing mapped in the range: an error, not an empty picture */
	run_cli(&r, "map", self->t.pidstr, "--svg", "-", "--range", "0x1000-0x2000");
	EXPECT_EQ(1, r.status);
	EXPECT_NE(NULL, strstr(r.err, "no VMA"));
	run_free(&r);
}

/* ---- errors, help ------------------------------------------------------- */

static pid_t unused_pid(void)
{
	pid_t p;

	for (p = 4000000; p > 1000; p -= 997)
		if (kill(p, 0) && errno == ESRCH)
			return p;
	return 4194304;
}

TEST_F(cli, bad_arguments_fail_clearly)
{
	char nopid[16], hole[32];
	const char *pid = self->t.pidstr;
	struct {
		const char *args[6];
		int status;
	} cases[] = {
		{ { "walk" }, 2 },
		{ { "walk", "abc" }, 2 },
		{ { "walk", "0" }, 2 },
		{ { "walk", "-5" }, 2 },
		{ { "walk", "12x" }, 2 },
		{ { "walk", pid, "extra" }, 2 },
		{ { "walk", pid, "--bogus" }, 2 },
		{ { "walk", pid, "--range" }, 2 },
		{ { "walk", pid, "--range", "0x3000-0x1000" }, 2 },
		{ { "walk", pid, "--range", "0x1000" }, 2 },
		{ { "walk", pid, "--range", "0xffff800000000000-0xffffffffffffffff" }, 2 },
		{ { "translate", pid }, 2 },
		{ { "translate", pid, "xyz" }, 2 },
		{ { "translate", pid, "7fff0000" }, 2 },
		{ { "translate", pid, "0xffffffffffff0000" }, 2 },
		{ { "maps" }, 2 },
		{ { "ptcost", "pid" }, 2 },
		{ { "map", pid }, 2 },
		{ { "frobnicate", pid }, 2 },
		{ { "walk", pid, "--color=sometimes" }, 2 },
		{ { "walk", nopid }, 5 },
		{ { "translate", nopid, hole }, 5 },
		{ { "maps", nopid }, 5 },
		{ { "ptcost", "2" }, 5 },	/* kthreadd: no address space */
	};
	size_t i;

	snprintf(nopid, sizeof(nopid), "%d", unused_pid());
	snprintf(hole, sizeof(hole), "0x%lx", self->t.l.anon);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *argv[8] = { (char *)cli() };
		struct run r;
		int k;

		for (k = 0; k < 6 && cases[i].args[k]; k++)
			argv[k + 1] = (char *)cases[i].args[k];
		run_prog(&r, NULL, argv);
		EXPECT_EQ(cases[i].status, r.status)
			TH_LOG("case %zu (%s %s): status %d, stderr: %s", i,
			       cases[i].args[0], cases[i].args[1] ? cases[i].args[1] : "",
			       r.status, r.err);
		EXPECT_GT(strlen(r.err), 10) TH_LOG("case %zu: no message", i);
		EXPECT_EQ(0, strlen(r.out)) TH_LOG("case %zu: output on failure", i);
		EXPECT_EQ(0, strncmp(r.err, "ptscope", 7)) TH_LOG("case %zu: %s", i, r.err);
		run_free(&r);
	}
}

/*
 * A range past user space is clamped to it: the walk succeeds and shows
 * the lowest and the highest mapping of the target (anon, stack).
 */
TEST_F(cli, walk_range_clamped_to_user_space)
{
	char anon[64], stack[64];
	struct run r;

	snprintf(anon, sizeof(anon), "{\"va\":\"0x%lx\"", self->t.l.anon);
	snprintf(stack, sizeof(stack), "{\"va\":\"0x%lx\"", self->t.l.stack & ~(PAGE - 1));
	run_cli(&r, "walk", self->t.pidstr, "--range", "0x0-0xffffffffffffffff",
		"--json");
	EXPECT_EQ(0, r.status) TH_LOG("stderr: %s", r.err);
	EXPECT_NE(NULL, strstr(r.out, anon)) TH_LOG("no leaf at %s", anon);
	EXPECT_NE(NULL, strstr(r.out, stack)) TH_LOG("no leaf at %s", stack);
	run_free(&r);
}

/*
 * The first things a new user runs say what is wrong: --version as an
 * unprivileged user, any command with debugfs unmounted, a PID that does
 * not exist.
 */
TEST_F(cli, first_contact_messages)
{
	char nopid[16], *argv[12] = { NULL };
	struct run r;

	snprintf(nopid, sizeof(nopid), "%d", unused_pid());
	run_cli(&r, "track", nopid);
	EXPECT_EQ(5, r.status);
	EXPECT_NE(NULL, strstr(r.err, "no such process")) TH_LOG("%s", r.err);
	EXPECT_EQ(NULL, strstr(r.err, "exited")) TH_LOG("%s", r.err);
	run_free(&r);

	/* nobody: the module's files are root's */
	argv[0] = "setpriv";
	argv[1] = "--reuid=65534";
	argv[2] = "--regid=65534";
	argv[3] = "--clear-groups";
	argv[4] = (char *)cli();
	argv[5] = "--version";
	run_prog(&r, NULL, argv);
	EXPECT_EQ(0, r.status) TH_LOG("%s", r.err);
	EXPECT_NE(NULL, strstr(r.out, "permission denied")) TH_LOG("%s", r.out);
	EXPECT_EQ(NULL, strstr(r.out, "ptrace")) TH_LOG("%s", r.out);
	run_free(&r);

	/*
	 * debugfs unmounted, in a mount namespace of its own: through
	 * debugfs the module cannot be reached (--via module: no fallback
	 * to the BPF walker); the device does not need debugfs.
	 */
	argv[0] = "unshare";
	argv[1] = "-m";
	argv[2] = "sh";
	argv[3] = "-c";
	argv[4] = "umount -l /sys/kernel/debug && \"$0\" --version && "
		  "exec \"$0\" walk --via module $1";
	argv[5] = (char *)cli();
	argv[6] = self->t.pidstr;
	run_prog(&r, NULL, argv);
	if (through_device()) {
		EXPECT_EQ(0, r.status) TH_LOG("%s", r.err);
		EXPECT_NE(NULL, strstr(r.out, "walker: module, through /dev/ptscope"))
			TH_LOG("%s", r.out);
		EXPECT_NE(NULL, strstr(r.out, "# ptscope walk: pid")) TH_LOG("%s", r.out);
	} else {
		EXPECT_EQ(3, r.status) TH_LOG("%s", r.err);
		EXPECT_NE(NULL, strstr(r.out, "debugfs is not mounted")) TH_LOG("%s", r.out);
		EXPECT_EQ(NULL, strstr(r.out, "module not loaded")) TH_LOG("%s", r.out);
		EXPECT_NE(NULL, strstr(r.err, "debugfs is not mounted")) TH_LOG("%s", r.err);
		EXPECT_NE(NULL, strstr(r.err, "mount -t debugfs")) TH_LOG("%s", r.err);
	}
	run_free(&r);
}

/*
 * Blank the MAPS column of a walk's leaf lines in place: a frame of a
 * shared library is mapped by however many processes run at that moment.
 */
static void blank_maps(char *out)
{
	char *line, *p;
	int field;

	for (line = out; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		if (strncmp(line, "    0x", 6))
			continue;
		/* fields: va, size, level, entry, pfn, maps */
		for (p = line, field = 0; *p && *p != '\n' && field < 5; field++) {
			while (*p == ' ')
				p++;
			while (*p && *p != ' ' && *p != '\n')
				p++;
		}
		while (*p == ' ')
			p++;
		while (*p && *p != ' ' && *p != '\n')
			*p++ = '.';
	}
}

/*
 * The CLI uses the interface tests/run-guest asked for: the device by
 * default, debugfs with PTSCOPE_INTERFACE=debugfs; --version says which,
 * and a walk through either gives the same leaves (map counts aside: they
 * move with every process that maps a shared library).
 */
TEST_F(cli, interface_in_use)
{
	struct run r, d;
	const char *want = through_device() ? "walker: module, through /dev/ptscope\n" :
			   "walker: module, through " PTSCOPE_DEBUGFS_DIR "\n";

	run_cli(&r, "--version");
	EXPECT_EQ(0, r.status) TH_LOG("%s", r.err);
	EXPECT_NE(NULL, strstr(r.out, want)) TH_LOG("want '%s' in:\n%s", want, r.out);
	run_free(&r);
	/* the other interface answers the same (the target is quiet) */
	run_cli(&r, "walk", self->t.pidstr, (char *)NULL);
	run_cli_env(&d, through_device() ? "PTSCOPE_INTERFACE=debugfs" :
		    "PTSCOPE_INTERFACE=device", "walk", self->t.pidstr, (char *)NULL);
	EXPECT_EQ(0, r.status) TH_LOG("%s", r.err);
	EXPECT_EQ(0, d.status) TH_LOG("%s", d.err);
	if (r.out && d.out) {
		blank_maps(r.out);
		blank_maps(d.out);
	}
	if (r.out && d.out && strcmp(r.out, d.out)) {
		size_t i = 0, bol = 0;

		while (r.out[i] && r.out[i] == d.out[i]) {
			if (r.out[i] == '\n')
				bol = i + 1;
			i++;
		}
		EXPECT_EQ(strlen(r.out), bol)
			TH_LOG("the walks differ from line:\n%.200s\nvs\n%.200s",
			       r.out + bol, d.out + bol);
	}
	run_free(&r);
	run_free(&d);
}

TEST_F(cli, module_missing_is_status_3)
{
	struct run r;

	/* --via module: no fallback to the BPF walker */
	run_cli_env(&r, "PTSCOPE_DEBUGFS=/nonexistent", "walk", "--via", "module",
		    self->t.pidstr, (char *)NULL);
	EXPECT_EQ(3, r.status);
	EXPECT_NE(NULL, strstr(r.err, "/nonexistent")) TH_LOG("%s", r.err);
	run_free(&r);
	/* without --via, the walk falls back to the BPF walker and says so */
	run_cli_env(&r, "PTSCOPE_DEBUGFS=/nonexistent", "walk", self->t.pidstr,
		    (char *)NULL);
	EXPECT_EQ(0, r.status) TH_LOG("%s", r.err);
	EXPECT_NE(NULL, strstr(r.out, "via bpf")) TH_LOG("%s", r.out);
	run_free(&r);
}

TEST(help_and_version)
{
	static const char *const cmds[] = { "walk", "translate", "maps", "ptcost", "map" };
	struct run r;
	size_t i;

	if (access(cli(), X_OK))
		SKIP(return, "%s not built", cli());
	run_cli(&r, "--help");
	EXPECT_EQ(0, r.status);
	EXPECT_NE(NULL, strstr(r.out, "Exit status"));
	EXPECT_NE(NULL, strstr(r.out, "Usage: ptscope"));
	run_free(&r);
	run_cli(&r, "--version");
	EXPECT_EQ(0, r.status);
	EXPECT_EQ(0, strncmp(r.out, "ptscope ", 8));
	run_free(&r);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		run_cli(&r, cmds[i], "--help");
		EXPECT_EQ(0, r.status) TH_LOG("%s --help", cmds[i]);
		EXPECT_NE(NULL, strstr(r.out, "Examples:")) TH_LOG("%s --help", cmds[i]);
		EXPECT_NE(NULL, strstr(r.out, "Exit status")) TH_LOG("%s --help", cmds[i]);
		run_free(&r);
	}
	run_cli(&r);
	EXPECT_EQ(2, r.status);
	run_free(&r);
}

/*
 * help flags explains every flag name the walk can print (the names come
 * from the table the CLI prints them from), and the pkey; help takes
 * commands and topics; an unknown topic is a usage error.
 */
TEST(help_flags_explains_every_flag)
{
	struct run r;
	int i, named = 0;

	if (access(cli(), X_OK))
		SKIP(return, "%s not built", cli());
	run_cli(&r, "help", "flags");
	ASSERT_EQ(0, r.status) TH_LOG("%s", r.err);
	EXPECT_STREQ("", r.err);
	for (i = 0; i < 64; i++) {
		const char *n = pts_flag_name(1ULL << i);
		char want[64];

		if (!n)
			continue;
		named++;
		/* "\n  NAME " or "\n  NAME\n" (a long name on its own line) */
		snprintf(want, sizeof(want), "\n  %s ", n);
		if (!strstr(r.out, want))
			snprintf(want, sizeof(want), "\n  %s\n", n);
		EXPECT_NE(NULL, strstr(r.out, want)) TH_LOG("help flags lacks '%s'", n);
	}
	EXPECT_GE(named, 25);
	EXPECT_NE(NULL, strstr(r.out, "\n  pkey=N ")) TH_LOG("no pkey");
	EXPECT_NE(NULL, strstr(r.out, "Hardware bits"));
	EXPECT_NE(NULL, strstr(r.out, "kernel's views"));
	EXPECT_EQ(NULL, strchr(r.out, '\033')) TH_LOG("colour on a pipe");
	run_free(&r);

	run_cli(&r, "help");
	EXPECT_EQ(0, r.status);
	EXPECT_NE(NULL, strstr(r.out, "\n  flags ")) TH_LOG("help lists no topics");
	run_free(&r);
	run_cli(&r, "help", "walk");
	EXPECT_EQ(0, r.status);
	EXPECT_EQ(0, strncmp(r.out, "Usage: ptscope walk ", 20));
	EXPECT_NE(NULL, strstr(r.out, "help flags"));
	run_free(&r);

	run_cli(&r, "help", "nosuchtopic");
	EXPECT_EQ(2, r.status);
	EXPECT_STREQ("", r.out);
	EXPECT_NE(NULL, strstr(r.err, "nosuchtopic")) TH_LOG("%s", r.err);
	EXPECT_NE(NULL, strstr(r.err, "flags")) TH_LOG("%s", r.err);
	run_free(&r);
	run_cli(&r, "help", "flags", "walk");
	EXPECT_EQ(2, r.status);
	EXPECT_STREQ("", r.out);
	EXPECT_NE(NULL, strstr(r.err, "one command or topic")) TH_LOG("%s", r.err);
	run_free(&r);
}

/* The same colour rules for a command that needs no module. */
TEST(help_colour_only_on_a_capable_terminal)
{
	if (access(cli(), X_OK))
		SKIP(return, "%s not built", cli());
	check_colour(_metadata, "help", "flags", NULL);
}

/* ---- valgrind ----------------------------------------------------------- */

TEST_F_TIMEOUT(cli, valgrind_clean_walk, 900)
{
	char *argv[] = { "valgrind", "--error-exitcode=99", "--leak-check=full",
			 "--errors-for-leak-kinds=definite,indirect,possible", "-q",
			 (char *)cli(), "walk", self->t.pidstr, "--coalesce", NULL, NULL };
	struct run r;

	if (variant->swap)
		SKIP(return, "once is enough");
	if (pml_sh("command -v valgrind >/dev/null"))
		SKIP(return, "no valgrind");
	run_prog(&r, NULL, argv);
	EXPECT_EQ(0, r.status) TH_LOG("valgrind: %s", r.err);
	run_free(&r);
	argv[8] = "--json";
	run_prog(&r, NULL, argv);
	EXPECT_EQ(0, r.status) TH_LOG("valgrind: %s", r.err);
	run_free(&r);
}

/*
 * trace's own paths (the BPF program loaded and attached, the output
 * buffer, -o, the exec pipe, a failed exec, a kernel thread refused):
 * no error, no leak.  Where the BPF program is loaded, valgrind does not
 * know what bpf(2) reads and writes (libbpf's attributes and logs show
 * as uninitialised): those runs check leaks and invalid accesses, not
 * uninitialised values.
 */
TEST_F_TIMEOUT(cli, valgrind_clean_trace, 900)
{
	char out[] = "/tmp/ptscope-cli-trace-XXXXXX", svg[] = "/tmp/ptscope-cli-trace-XXXXXX.svg";
	char *ok[] = { "valgrind", "--error-exitcode=99", "--leak-check=full",
		       "--errors-for-leak-kinds=definite,indirect,possible", "-q",
		       "--undef-value-errors=no",
		       (char *)cli(), "trace", "--json", "--model", "-o", out, "--svg", svg,
		       "--", "/bin/true", NULL };
	char *nx[] = { "valgrind", "--error-exitcode=99", "--leak-check=full",
		       "--errors-for-leak-kinds=definite,indirect,possible", "-q",
		       "--undef-value-errors=no",
		       (char *)cli(), "trace", "--", "/nonexistent/command", NULL };
	char *kt[] = { "valgrind", "--error-exitcode=99", "--leak-check=full",
		       "--errors-for-leak-kinds=definite,indirect,possible", "-q",
		       (char *)cli(), "trace", "-p", "2", NULL };
	struct utsname u;
	struct run r;
	int fd;

	if (variant->swap)
		SKIP(return, "once is enough");
	if (pml_sh("command -v valgrind >/dev/null"))
		SKIP(return, "no valgrind");
	/*
	 * The same user-space code on every kernel, and two BPF loads under
	 * valgrind cost over two minutes of an emulated guest: make check
	 * runs it on its 6.12 guest only ($PTSCOPE_VALGRIND_TRACE=1 forces it).
	 */
	if (uname(&u) == 0 && strncmp(u.release, "6.12.", 5) &&
	    !getenv("PTSCOPE_VALGRIND_TRACE"))
		SKIP(return, "valgrind of trace runs on the 6.12 guest only (%s)", u.release);
	fd = mkstemp(out);
	ASSERT_GE(fd, 0);
	close(fd);
	fd = mkstemps(svg, 4);
	ASSERT_GE(fd, 0);
	close(fd);
	run_prog(&r, NULL, ok);
	EXPECT_EQ(0, r.status) TH_LOG("valgrind: %s", r.err);
	run_free(&r);
	/* --svg's picture was written (trace_test checks its content) */
	EXPECT_EQ(0, pml_sh("grep -q '</svg>' %s", svg));
	unlink(out);
	unlink(svg);
	run_prog(&r, NULL, nx);
	EXPECT_EQ(127, r.status) TH_LOG("valgrind: %s", r.err);
	EXPECT_STREQ("", r.out);
	run_free(&r);
	run_prog(&r, NULL, kt);
	EXPECT_EQ(5, r.status) TH_LOG("valgrind: %s", r.err);
	EXPECT_STREQ("", r.out);
	run_free(&r);
}

TEST_HARNESS_MAIN
