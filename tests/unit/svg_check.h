/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the host unit tests of the pictures share: where their checker
 * script is (tests/NAME beside build/unit/), and whether python3 is there
 * to run it.
 */
#ifndef SVG_CHECK_H
#define SVG_CHECK_H

#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* build/unit/X_test -> tests/NAME (a static buffer, kept). */
static inline const char *checker_path(const char *name)
{
	static char path[PATH_MAX];
	char buf[PATH_MAX];
	ssize_t n;

	if (path[0])
		return path;
	n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	snprintf(path, sizeof(path), "%s/../../tests/%s", dirname(buf), name);
	return path;
}

static inline bool have_python(void)
{
	return !system("command -v python3 >/dev/null 2>&1");
}

#endif
