// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side unit tests of libptscope's pure parts: number parsing, flag
 * names, and the record reader fed through a pipe in awkward pieces.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <stdlib.h>

#include "kselftest_harness.h"
#include "libptscope.h"

TEST(parse_numbers)
{
	uint64_t v;

	ASSERT_EQ(0, pts_parse_u64("123", &v, 0));
	EXPECT_EQ(123, v);
	ASSERT_EQ(0, pts_parse_u64("0x7fff0000", &v, 0));
	EXPECT_EQ(0x7fff0000ULL, v);
	ASSERT_EQ(0, pts_parse_u64("64M", &v, 1));
	EXPECT_EQ(64ULL << 20, v);
	EXPECT_EQ(-EINVAL, pts_parse_u64("64M", &v, 0));
	EXPECT_EQ(-EINVAL, pts_parse_u64("-1", &v, 0));
	EXPECT_EQ(-EINVAL, pts_parse_u64("", &v, 0));
	EXPECT_EQ(-EINVAL, pts_parse_u64("0x", &v, 0));
	EXPECT_EQ(-EINVAL, pts_parse_u64("12abc", &v, 0));
	EXPECT_EQ(-ERANGE, pts_parse_u64("99999999999999999999999", &v, 0));
	EXPECT_EQ(-ERANGE, pts_parse_u64("17179869184G", &v, 1));
}

TEST(flag_names_round_trip)
{
	char buf[1024];
	int i, named = 0;

	for (i = 0; i < 64; i++) {
		const char *n = pts_flag_name(1ULL << i);

		if (!n)
			continue;
		named++;
		EXPECT_EQ(1ULL << i, pts_flag_by_name(n));
	}
	EXPECT_GE(named, 25);
	EXPECT_STREQ("-", pts_flags_str(0, buf, sizeof(buf)));
	EXPECT_STREQ("present,rw,nx",
		     pts_flags_str(PTSCOPE_F_PRESENT | PTSCOPE_F_RW | PTSCOPE_F_NX,
				   buf, sizeof(buf)));
	/* Truncation keeps whole names. */
	EXPECT_STREQ("present",
		     pts_flags_str(PTSCOPE_F_PRESENT | PTSCOPE_F_RW, buf, 10));
	EXPECT_STREQ("pte", pts_level_name(PTSCOPE_LVL_PTE));
	EXPECT_STREQ("pud", pts_level_name(PTSCOPE_LVL_PUD));
	EXPECT_STREQ("?", pts_level_name(99));
	EXPECT_STREQ("shmem", pts_backing_name(PTSCOPE_BACK_SHMEM));
	EXPECT_STREQ("no-vma", pts_stop_name(PTSCOPE_STOP_NO_VMA));
}

/* Feed a stream of records through a pipe in 7-byte pieces. */
TEST(record_reader_handles_any_chunking)
{
	struct ptscope_leaf leaf = { .hdr = { PTSCOPE_REC_LEAF, sizeof(leaf) } };
	struct ptscope_end end = { .hdr = { PTSCOPE_REC_END, sizeof(end) } };
	const struct ptscope_rec_hdr *rec;
	struct pts_session s;
	char stream[sizeof(leaf) * 3 + sizeof(end)];
	size_t off = 0, i;
	int fds[2], n = 0, ret;
	pid_t child;

	for (i = 0; i < 3; i++) {
		leaf.va = 0x1000 * (i + 1);
		memcpy(stream + off, &leaf, sizeof(leaf));
		off += sizeof(leaf);
	}
	memcpy(stream + off, &end, sizeof(end));
	off += sizeof(end);

	ASSERT_EQ(0, pipe(fds));
	child = fork();
	ASSERT_GE(child, 0);
	if (!child) {
		for (i = 0; i < off; i += 7)
			if (write(fds[1], stream + i, off - i < 7 ? off - i : 7) < 0)
				_exit(1);
		_exit(0);
	}
	close(fds[1]);
	memset(&s, 0, sizeof(s));
	s.fd = fds[0];
	s.cap = sizeof(leaf);	/* just the largest record */
	s.buf = malloc(s.cap);
	ASSERT_NE(NULL, s.buf);
	while ((ret = pts_next(&s, &rec)) == 1) {
		if (rec->type == PTSCOPE_REC_LEAF) {
			const struct ptscope_leaf *l = (const void *)rec;

			EXPECT_EQ(0x1000ULL * (n + 1), l->va);
			n++;
		}
	}
	EXPECT_EQ(0, ret);
	EXPECT_EQ(3, n);
	pts_close(&s);
}

TEST(record_reader_rejects_garbage)
{
	struct ptscope_rec_hdr bad = { PTSCOPE_REC_LEAF, 2, 0 };
	const struct ptscope_rec_hdr *rec;
	struct pts_session s;
	int fds[2];

	ASSERT_EQ(0, pipe(fds));
	ASSERT_EQ(sizeof(bad), write(fds[1], &bad, sizeof(bad)));
	close(fds[1]);
	memset(&s, 0, sizeof(s));
	s.fd = fds[0];
	s.cap = 4096;
	s.buf = malloc(s.cap);
	EXPECT_EQ(-EPROTO, pts_next(&s, &rec));
	pts_close(&s);
}

TEST(parse_ranges)
{
	uint64_t a, b;

	ASSERT_EQ(0, pts_parse_range("0x1000-0x3000", &a, &b));
	EXPECT_EQ(0x1000ULL, a);
	EXPECT_EQ(0x3000ULL, b);
	ASSERT_EQ(0, pts_parse_range("0x7f0000000000+64K", &a, &b));
	EXPECT_EQ(0x7f0000000000ULL, a);
	EXPECT_EQ(0x7f0000010000ULL, b);
	ASSERT_EQ(0, pts_parse_range("0-1G", &a, &b));
	EXPECT_EQ(0ULL, a);
	EXPECT_EQ(1ULL << 30, b);
	EXPECT_EQ(-ERANGE, pts_parse_range("0x3000-0x1000", &a, &b));
	EXPECT_EQ(-ERANGE, pts_parse_range("0x1000-0x1000", &a, &b));
	EXPECT_EQ(-ERANGE, pts_parse_range("0xffffffffffffffff+1", &a, &b));
	EXPECT_EQ(-EINVAL, pts_parse_range("0x1000", &a, &b));
	EXPECT_EQ(-EINVAL, pts_parse_range("-0x1000", &a, &b));
	EXPECT_EQ(-EINVAL, pts_parse_range("0x1000-", &a, &b));
	EXPECT_EQ(-EINVAL, pts_parse_range("0x1000-0x2000-0x3000", &a, &b));
	EXPECT_EQ(-EINVAL, pts_parse_range("7fed98d73000-7fed98d76000", &a, &b));
	EXPECT_EQ(-EINVAL, pts_parse_range(NULL, &a, &b));
}

/* TASK_SIZE_MAX as Documentation/interface.rst gives it (ERANGE). */
TEST(clamp_range_to_user_space)
{
	uint64_t a = 0, b = ~0ULL;

	ASSERT_EQ(0, pts_clamp_range(4, &a, &b));
	EXPECT_EQ(0ULL, a);
	EXPECT_EQ((1ULL << 47) - 4096, b);
	a = 0x1000;
	b = ~0ULL;
	ASSERT_EQ(0, pts_clamp_range(5, &a, &b));
	EXPECT_EQ(0x1000ULL, a);
	EXPECT_EQ((1ULL << 56) - 4096, b);
	/* inside user space: unchanged */
	a = 0x7f0000000000;
	b = 0x7f0000200000;
	ASSERT_EQ(0, pts_clamp_range(4, &a, &b));
	EXPECT_EQ(0x7f0000200000ULL, b);
	/* starting at or above the end: still an error */
	a = (1ULL << 47) - 4096;
	b = ~0ULL;
	EXPECT_EQ(-ERANGE, pts_clamp_range(4, &a, &b));
	EXPECT_EQ(~0ULL, b);
	a = 1ULL << 47;
	EXPECT_EQ(0, pts_clamp_range(5, &a, &b));
	EXPECT_EQ(-EINVAL, pts_clamp_range(3, &a, &b));
}

TEST(format_sizes)
{
	char buf[16];

	EXPECT_STREQ("0B", pts_fmt_size(0, buf, sizeof(buf)));
	EXPECT_STREQ("100B", pts_fmt_size(100, buf, sizeof(buf)));
	EXPECT_STREQ("4K", pts_fmt_size(4096, buf, sizeof(buf)));
	EXPECT_STREQ("692K", pts_fmt_size(692 * 1024, buf, sizeof(buf)));
	EXPECT_STREQ("2M", pts_fmt_size(2 << 20, buf, sizeof(buf)));
	EXPECT_STREQ("2.4M", pts_fmt_size(2551808, buf, sizeof(buf)));
	EXPECT_STREQ("1G", pts_fmt_size(1ULL << 30, buf, sizeof(buf)));
	EXPECT_STREQ("42T", pts_fmt_size(42ULL << 40, buf, sizeof(buf)));
	EXPECT_STREQ("16E", pts_fmt_size(~0ULL, buf, sizeof(buf)));
	EXPECT_STREQ("128P", pts_fmt_size(1ULL << 57, buf, sizeof(buf)));
}

TEST_HARNESS_MAIN
