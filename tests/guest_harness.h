/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kselftest_harness.h with a per-test timeout fit for the guests.
 *
 * The guests run under QEMU's TCG, where one system call costs tens of
 * microseconds (more with page-table isolation, whose CR3 writes flush
 * TCG's software TLB), and half that speed again when the host's two
 * cores are shared with another guest or a build.  The harness's default
 * of 30 s per test was measured too tight: fuzz_test's
 * read_sizes_give_one_stream, then about 700,000 reads, took 13 to 17 s
 * in an idle 6.12 guest with pti=on and was killed at 30 s under load.  No test
 * here is timed: a test only needs to end, and tools/vm/run's own timeout
 * still catches a guest that hangs.  Tests whose work grows with a
 * setting (fidelity_test, access_test's race.exec) set their own.
 */
#ifndef PTSCOPE_GUEST_HARNESS_H
#define PTSCOPE_GUEST_HARNESS_H

#include "kselftest_harness.h"

#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 150

#endif
