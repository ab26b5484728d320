// SPDX-License-Identifier: GPL-2.0
/* ptscope: command-line front end (placeholder until the CLI lands). */
#include <stdio.h>
#include <string.h>

#include "libptscope.h"

int main(int argc, char **argv)
{
	struct pts_version v;
	int ret;

	if (argc > 1 && !strcmp(argv[1], "--version")) {
		printf("ptscope 0.1.0 (abi %d)\n", PTSCOPE_ABI_VERSION);
		return 0;
	}
	ret = pts_read_version(&v);
	if (ret) {
		fprintf(stderr, "ptscope: %s\n", pts_strerror(ret));
		return 1;
	}
	printf("module %s, abi %u, kernel %s, %d-level paging\n",
	       v.module_version, v.abi_version, v.kernel_release, v.paging_levels);
	return 0;
}
