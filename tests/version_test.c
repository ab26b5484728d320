// SPDX-License-Identifier: GPL-2.0
/*
 * The module's version file agrees with what the guest itself says:
 * uname, the paging mode (probed with a high mmap hint), the page size,
 * and whether page-table isolation is on.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "guest_harness.h"
#include "libptscope.h"
#include "pagemap_lib.h"

/* 5-level paging is the only way a hint above 47 bits can be honoured. */
static int probe_paging_levels(void)
{
	void *hint = (void *)(1UL << 50);
	void *p = mmap(hint, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int levels;

	if (p == MAP_FAILED)
		return -1;
	levels = (unsigned long)p >= (1UL << 47) ? 5 : 4;
	munmap(p, 4096);
	return levels;
}

TEST(version_file)
{
	struct pts_version v;
	struct utsname u;
	int pti;

	ASSERT_EQ(0, pts_read_version(&v));
	ASSERT_EQ(0, uname(&u));
	EXPECT_STREQ(u.release, v.kernel_release);
	EXPECT_EQ(PTSCOPE_ABI_VERSION, v.abi_version);
	EXPECT_EQ(probe_paging_levels(), v.paging_levels);
	EXPECT_EQ(sysconf(_SC_PAGESIZE), v.page_size);
	EXPECT_NE(0, strlen(v.module_version));
	/* the CPU flag, not the Meltdown status: pti=on forces it anyway */
	pti = pml_pti_enabled();
	if (pti >= 0)
		EXPECT_EQ(pti, v.pti);
}

TEST(version_file_is_root_only)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/version", pts_dir());
	ASSERT_EQ(0, stat(path, &st));
	EXPECT_EQ(0400, st.st_mode & 0777);
	EXPECT_EQ(0, st.st_uid);
}

TEST_HARNESS_MAIN
