// SPDX-License-Identifier: GPL-2.0
/*
 * The module's version file agrees with what the guest itself says:
 * uname, the paging mode (probed with a high mmap hint), the page size,
 * and whether page-table isolation is on.  /dev/ptscope answers the same,
 * and its faults operations act as the faults file's.
 */
#include <errno.h>
#include <fcntl.h>
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

/* Send LINE on a new /dev/ptscope session, read the answer into BUF. */
static int device_answer(const char *line, char *buf, size_t cap)
{
	int fd = open(PTSCOPE_DEVICE, O_RDWR | O_CLOEXEC);
	size_t len = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	if (write(fd, line, strlen(line)) != (ssize_t)strlen(line)) {
		n = -errno;
		close(fd);
		return n;
	}
	while (len < cap - 1 && (n = read(fd, buf + len, cap - 1 - len)) > 0)
		len += n;
	buf[len] = '\0';
	close(fd);
	return n < 0 ? -errno : (int)len;
}

static int file_text(const char *name, char *buf, size_t cap)
{
	char path[512];
	size_t len;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", PTSCOPE_DEBUGFS_DIR, name);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	len = fread(buf, 1, cap - 1, f);
	buf[len] = '\0';
	fclose(f);
	return len;
}

/*
 * /dev/ptscope: a root-only (0600) character device whose op=version and
 * op=faults answer what the debugfs files of those names say, and whose
 * op=track/untrack act as the faults file's commands.
 */
TEST(device_node)
{
	static char a[65536], b[65536];
	char line[64], mine[32];
	struct stat st;

	if (access(PTSCOPE_DEBUGFS_DIR "/version", F_OK))
		SKIP(return, "ptscope module not loaded");
	ASSERT_EQ(0, stat(PTSCOPE_DEVICE, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0600, st.st_mode & 0777);
	EXPECT_EQ(0, st.st_uid);

	ASSERT_LT(0, device_answer("op=version", a, sizeof(a)));
	ASSERT_LT(0, file_text("version", b, sizeof(b)));
	EXPECT_STREQ(b, a);
	EXPECT_NE(NULL, strstr(a, "\ndevice 1\n")) TH_LOG("%s", a);

	snprintf(line, sizeof(line), "op=track pid=%d", getpid());
	snprintf(mine, sizeof(mine), "\npid=%d comm=", getpid());
	ASSERT_EQ(0, device_answer(line, a, sizeof(a)));
	ASSERT_LT(0, device_answer("op=faults", a, sizeof(a)));
	EXPECT_EQ(0, strncmp(a, "missed=", 7)) TH_LOG("%s", a);
	EXPECT_NE(NULL, strstr(a, mine)) TH_LOG("%s", a);
	ASSERT_LT(0, file_text("faults", b, sizeof(b)));
	EXPECT_NE(NULL, strstr(b, mine)) TH_LOG("%s", b);
	snprintf(line, sizeof(line), "op=untrack pid=%d", getpid());
	ASSERT_EQ(0, device_answer(line, a, sizeof(a)));
	ASSERT_LT(0, device_answer("op=faults", a, sizeof(a)));
	EXPECT_EQ(NULL, strstr(a, mine)) TH_LOG("%s", a);
	EXPECT_EQ(-ENOENT, device_answer(line, a, sizeof(a)));
}

TEST_HARNESS_MAIN
