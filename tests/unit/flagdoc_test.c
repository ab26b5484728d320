// SPDX-License-Identifier: GPL-2.0
/*
 * The flag legend (tools/lib/flagdoc.c, `ptscope help flags`) and the
 * FLAGS section of ptscope(8) against the flag-name table the walk prints
 * from (PTSCOPE_FLAG_NAMES): every name printed has one entry, every
 * entry is a name printed, and the man page carries every entry with the
 * same sentence.
 */
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "libptscope.h"

/* Besides the flag names, walk prints "pkey=N", the map count and the folio. */
static const char *const values[] = { "pkey", "mapcount", "folio" };

static bool printed_name(const char *doc_name)
{
	char base[64];
	size_t i;

	snprintf(base, sizeof(base), "%.*s", (int)strcspn(doc_name, "="), doc_name);
	if (strchr(doc_name, '=')) {
		for (i = 0; i < sizeof(values) / sizeof(values[0]); i++)
			if (!strcmp(values[i], base))
				return true;
		return false;
	}
	return pts_flag_by_name(base) != 0;
}

TEST(every_flag_has_one_legend_entry)
{
	int i, named = 0;
	size_t k;

	for (i = 0; i < 64; i++) {
		const char *n = pts_flag_name(1ULL << i);
		const struct pts_flag_doc *d;
		int seen = 0;

		if (!n)
			continue;
		named++;
		d = pts_flag_doc(n);
		ASSERT_NE(NULL, d) TH_LOG("no legend entry for '%s'", n);
		EXPECT_STREQ(n, d->name);
		for (k = 0; k < pts_nr_flag_docs; k++)
			seen += !strcmp(pts_flag_docs[k].name, n);
		EXPECT_EQ(1, seen) TH_LOG("'%s' listed %d times", n, seen);
	}
	EXPECT_GE(named, 25);
	for (k = 0; k < sizeof(values) / sizeof(values[0]); k++)
		EXPECT_NE(NULL, pts_flag_doc(values[k])) TH_LOG("value %zu", k);
	for (k = 0; k < pts_nr_flag_docs; k++) {
		const struct pts_flag_doc *d = &pts_flag_docs[k];
		size_t len = strlen(d->text);

		EXPECT_TRUE(printed_name(d->name))
			TH_LOG("legend entry '%s' is no name the walk prints", d->name);
		EXPECT_LT(d->group, PTS_FG_NR);
		EXPECT_NE(NULL, pts_flag_group_title(d->group));
		/* one sentence */
		EXPECT_GT(len, 20) TH_LOG("%s", d->name);
		EXPECT_EQ('.', d->text[len - 1]) TH_LOG("%s", d->name);
		EXPECT_EQ(NULL, strstr(d->text, ". ")) TH_LOG("%s: more than one sentence",
							    d->name);
	}
	/* the hardware bits of the uapi header are grouped as hardware */
	EXPECT_EQ(PTS_FG_HW, pts_flag_doc("nx")->group);
	EXPECT_EQ(PTS_FG_HW, pts_flag_doc("rw")->group);
	EXPECT_EQ(PTS_FG_KERNEL, pts_flag_doc("write")->group);
	EXPECT_EQ(PTS_FG_FRAME, pts_flag_doc("anon")->group);
	EXPECT_EQ(PTS_FG_NONPRESENT, pts_flag_doc("swap")->group);
	EXPECT_EQ(NULL, pts_flag_doc("nosuchflag"));
	EXPECT_EQ(NULL, pts_flag_doc("pk"));
}

/* ptscope(8): build/unit/flagdoc_test -> Documentation/ptscope.8 */
static char *read_man(void)
{
	char exe[PATH_MAX], path[PATH_MAX + 64];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	snprintf(path, sizeof(path), "%s/../../Documentation/ptscope.8", dirname(exe));
	f = fopen(path, "re");
	if (!f)
		return NULL;
	if (getdelim(&buf, &len, '\0', f) < 0) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* "soft-dirty" as roff writes it: "soft\-dirty". */
static void roff_escape(const char *s, char *out, size_t len)
{
	size_t o = 0;

	for (; *s && o + 3 < len; s++) {
		if (*s == '-')
			out[o++] = '\\';
		out[o++] = *s;
	}
	out[o] = '\0';
}

TEST(man_page_carries_the_legend)
{
	char *man = read_man(), *sec, *end, *prose, *line, *save = NULL;
	size_t k, plen = 0;

	ASSERT_NE(NULL, man) TH_LOG("cannot read Documentation/ptscope.8");
	sec = strstr(man, "\n.SH FLAGS\n");
	ASSERT_NE(NULL, sec) TH_LOG("no FLAGS section");
	sec++;
	end = strstr(sec + 1, "\n.SH ");
	if (end)
		end[1] = '\0';

	/* the tags: ".B soft\-dirty", ".BI pkey= N" */
	for (k = 0; k < pts_nr_flag_docs; k++) {
		const char *name = pts_flag_docs[k].name, *eq = strchr(name, '=');
		char esc[96], tag[128];

		if (eq) {
			char base[64];

			snprintf(base, sizeof(base), "%.*s", (int)(eq - name), name);
			roff_escape(base, esc, sizeof(esc));
			snprintf(tag, sizeof(tag), "\n.BI %s= %s\n", esc, eq + 1);
		} else {
			roff_escape(name, esc, sizeof(esc));
			snprintf(tag, sizeof(tag), "\n.TP\n.B %s\n", esc);
		}
		EXPECT_NE(NULL, strstr(sec, tag)) TH_LOG("FLAGS lacks %s", name);
	}

	/* the sentences: the text lines joined, "\-" read as "-" */
	prose = calloc(1, strlen(sec) + 1);
	ASSERT_NE(NULL, prose);
	for (line = strtok_r(sec, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *p;

		if (line[0] == '.')
			continue;
		if (plen)
			prose[plen++] = ' ';
		for (p = line; *p; p++) {
			if (p[0] == '\\' && p[1] == '-')
				p++;
			else if (p[0] == '\\' && p[1] == '\\')
				p++;
			prose[plen++] = *p;
		}
	}
	for (k = 0; k < pts_nr_flag_docs; k++) {
		const struct pts_flag_doc *d = &pts_flag_docs[k];
		char want[600];

		if (d->bits)
			snprintf(want, sizeof(want), "[%s] %s", d->bits, d->text);
		else
			snprintf(want, sizeof(want), "%s", d->text);
		EXPECT_NE(NULL, strstr(prose, want))
			TH_LOG("FLAGS: the sentence of %s differs from the legend:\n%s",
			       d->name, want);
	}
	free(prose);
	free(man);
}

TEST_HARNESS_MAIN
