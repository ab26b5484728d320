// SPDX-License-Identifier: GPL-2.0
/*
 * "ptscope lab --predict" on the host ($PTSCOPE_BIN, default
 * tools/ptscope/ptscope), where the module cannot be loaded: it must
 * print every lab's claim and at least one question, no verdict, and run
 * nothing.  Run as root, the CLI is started under an unused user ID
 * (not root, no module access) with RLIMIT_NPROC 1, so that a lab which
 * forked its child would fail.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <grp.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"

#define NR_LABS		18
#define LONELY_UID	54321	/* an ID no process of the host runs as */

static const char *bin(void)
{
	const char *b = getenv("PTSCOPE_BIN");

	return b && *b ? b : "tools/ptscope/ptscope";
}

/* Run BIN lab ARGS... as LONELY_UID (when root); output into BUF. */
static int run(char *buf, size_t len, const char *a1, const char *a2)
{
	int p[2], st;
	size_t got = 0;
	ssize_t n;
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		struct rlimit one = { 1, 1 };

		dup2(p[1], 1);
		close(p[0]);
		setenv("NO_COLOR", "1", 1);
		if (geteuid() == 0) {
			if (setgroups(0, NULL) || setgid(LONELY_UID) ||
			    setrlimit(RLIMIT_NPROC, &one) || setuid(LONELY_UID))
				_exit(126);
		}
		execl(bin(), bin(), "lab", a1, a2, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	while (got + 1 < len && (n = read(p[0], buf + got, len - 1 - got)) > 0)
		got += n;
	buf[got] = '\0';
	close(p[0]);
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int count(const char *s, const char *needle)
{
	int n = 0;

	while ((s = strstr(s, needle))) {
		n++;
		s += strlen(needle);
	}
	return n;
}

TEST(predict_prints_claims_and_questions_only)
{
	static char out[1 << 17];
	const char *blk, *next;
	int labs = 0;

	ASSERT_EQ(0, access(bin(), X_OK)) TH_LOG("%s: build the CLI first", bin());
	ASSERT_EQ(0, run(out, sizeof(out), "--predict", NULL)) TH_LOG("%s", out);
	for (blk = strstr(out, "== M"); blk; blk = next) {
		char one[8192];
		size_t n;

		next = strstr(blk + 1, "== M");
		n = next ? (size_t)(next - blk) : strlen(blk);
		snprintf(one, sizeof(one), "%.*s", (int)n, blk);
		EXPECT_NE(NULL, strstr(one, "\n  claim     ")) TH_LOG("no claim: %s", one);
		EXPECT_NE(NULL, strstr(one, "\n  predict   1.  ")) TH_LOG("no question: %s", one);
		EXPECT_NE(NULL, strstr(one, "\n  then run  ptscope lab m")) TH_LOG("%s", one);
		labs++;
	}
	EXPECT_EQ(NR_LABS, labs);
	/* no verdict, no run: none of the runner's words */
	EXPECT_EQ(NULL, strcasestr(out, "holds"));
	EXPECT_EQ(NULL, strcasestr(out, "does not hold"));
	EXPECT_EQ(NULL, strcasestr(out, "fails"));
	EXPECT_EQ(NULL, strcasestr(out, "cannot run"));
	EXPECT_EQ(NULL, strstr(out, "verdict"));
	EXPECT_EQ(NULL, strstr(out, "observed"));
	EXPECT_EQ(NULL, strstr(out, "# running"));
}

TEST(predict_json_and_names)
{
	static char out[1 << 17];

	ASSERT_EQ(0, run(out, sizeof(out), "--predict", "--json"));
	EXPECT_EQ(NR_LABS, count(out, "{\"id\":\"m"));
	EXPECT_EQ(NR_LABS, count(out, "\"questions\":[\""));
	EXPECT_EQ(0, count(out, "\"verdict\""));

	ASSERT_EQ(0, run(out, sizeof(out), "--predict", "cow"));
	EXPECT_EQ(1, count(out, "== M"));
	EXPECT_NE(NULL, strstr(out, "== M11 cow =="));
	EXPECT_NE(NULL, strstr(out, "then run  ptscope lab m11 -v"));

	EXPECT_EQ(2, run(out, sizeof(out), "--predict", "no-such-lab"));
}

TEST_HARNESS_MAIN
