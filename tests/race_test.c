// SPDX-License-Identifier: GPL-2.0
/*
 * Race the module against a target that changes its address space as
 * fast as it can: fork/exit, mmap/munmap, mremap, mprotect, MADV_DONTNEED,
 * MADV_PAGEOUT, THP collapse (khugepaged scanning without sleeping, and
 * MADV_COLLAPSE) and split.  Walkers, coalescing walkers, translators and
 * a fault tracker run against it at the same time.  Every walk must be
 * consistent (leaves inside the VMA record before them, in order, frames
 * inside the guest's memory) and every call must succeed; the guest
 * runner fails the run on any kernel splat.
 *
 * PTSCOPE_RACE_SECONDS sets the duration (default 10).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "libptscope.h"
#include "pagemap_lib.h"

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

#define SLOTS	16
#define MB	(1UL << 20)

static volatile int stop;
static pid_t target;
static uint64_t max_pfn;

/* The target: random address-space changes until killed. */
static void churn(void)
{
	char *slot[SLOTS] = { 0 };
	size_t len[SLOTS] = { 0 };
	unsigned int seed = getpid();

	for (;;) {
		int i = rand_r(&seed) % SLOTS, op = rand_r(&seed) % 9;
		size_t l = (1 + rand_r(&seed) % 4) * 2 * MB;
		char *p;

		if (!slot[i]) {
			/* 2 MiB-aligned so that THPs are possible. */
			p = mmap(NULL, l + 2 * MB, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (p == MAP_FAILED)
				continue;
			slot[i] = (char *)(((unsigned long)p + 2 * MB - 1) & ~(2 * MB - 1));
			munmap(p, slot[i] - p);
			munmap(slot[i] + l, p + 2 * MB - slot[i]);
			len[i] = l;
			madvise(slot[i], l, MADV_HUGEPAGE);
			memset(slot[i], i, l / 2);
			continue;
		}
		switch (op) {
		case 0:
			munmap(slot[i], len[i]);
			slot[i] = NULL;
			break;
		case 1:
			if (len[i] >= 24 * MB)	/* bounded: 16 slots stay < 512 MiB */
				break;
			p = mremap(slot[i], len[i], len[i] + 2 * MB, MREMAP_MAYMOVE);
			if (p != MAP_FAILED) {
				slot[i] = p;
				len[i] += 2 * MB;
			}
			break;
		case 2:
			mprotect(slot[i], len[i] / 2, PROT_READ);
			mprotect(slot[i], len[i] / 2, PROT_READ | PROT_WRITE);
			break;
		case 3:
			madvise(slot[i] + 4096, len[i] / 3, MADV_DONTNEED);	/* splits THPs */
			break;
		case 4:
			madvise(slot[i], len[i], MADV_PAGEOUT);
			break;
		case 5:
			madvise(slot[i], len[i], MADV_COLLAPSE);
			break;
		case 6:
			if (fork() == 0) {
				memset(slot[i], 1, len[i] / 4);	/* COW in the child */
				_exit(0);
			}
			while (waitpid(-1, NULL, WNOHANG) > 0)
				;
			break;
		case 7:
			mprotect(slot[i], len[i], PROT_NONE);
			mprotect(slot[i], len[i], PROT_READ | PROT_WRITE);
			break;
		default:
			memset(slot[i], op, len[i]);
			break;
		}
	}
}

struct worker {
	int kind;
	long ops;
	long failures;
	char why[256];
};

static void *work(void *arg)
{
	struct worker *w = arg;
	unsigned int seed = w->kind * 7919;

	while (!stop) {
		struct ptw_walk walk;
		size_t i;
		int ret;

		switch (w->kind) {
		case 0:	/* plain and coalesced walks of the whole target */
		case 1:
			ret = ptw_walk(target, 0, (1UL << 47) - 4096, w->kind ? PTW_COALESCE : 0, &walk);
			if (ret || ptw_check(&walk, target, w->why, sizeof(w->why))) {
				if (ret)
					snprintf(w->why, sizeof(w->why), "walk: %s", strerror(-ret));
				w->failures++;
			}
			for (i = 0; i < walk.nleaves; i++) {
				const struct ptscope_leaf *l = &walk.leaves[i];

				if ((l->flags & PTSCOPE_F_PRESENT) && l->pfn > max_pfn) {
					snprintf(w->why, sizeof(w->why),
						 "pfn 0x%llx beyond the last RAM frame 0x%llx",
						 (unsigned long long)l->pfn,
						 (unsigned long long)max_pfn);
					w->failures++;
				}
			}
			ptw_free(&walk);
			break;
		case 2: {	/* translations of random addresses near the heap */
			struct ptw_xlate x;
			unsigned long va = 0x7f0000000000UL +
				(((unsigned long)rand_r(&seed) << 12) % 0xfffffff000UL);

			ret = ptw_translate(target, va, &x);
			if (ret) {
				snprintf(w->why, sizeof(w->why), "translate: %s", strerror(-ret));
				w->failures++;
			}
			break;
		}
		default: {	/* track, read, untrack */
			struct pts_faults f;

			ret = pts_faults_ctl("track", target);
			if (!ret)
				ret = pts_faults_read(target, &f);
			if (!ret)
				ret = pts_faults_ctl("untrack", target);
			if (ret) {
				snprintf(w->why, sizeof(w->why), "tracking: %s", strerror(-ret));
				w->failures++;
			}
			break;
		}
		}
		w->ops++;
	}
	return NULL;
}

static void set_khugepaged(const char *val, char *old, size_t len)
{
	const char *p = "/sys/kernel/mm/transparent_hugepage/khugepaged/scan_sleep_millisecs";

	if (old)
		pml_read_str(p, old, len);
	pml_write_str(p, val);
}

TEST(walkers_against_a_churning_target)
{
	const char *env = getenv("PTSCOPE_RACE_SECONDS");
	int seconds = env ? atoi(env) : 10, i;
	struct worker w[4] = { { .kind = 0 }, { .kind = 1 }, { .kind = 2 }, { .kind = 3 } };
	pthread_t th[4];
	char old_sleep[32] = "";
	long total = 0;

	max_pfn = pml_max_pfn();
	ASSERT_GT(max_pfn, 0);
	set_khugepaged("0", old_sleep, sizeof(old_sleep));
	target = fork();
	ASSERT_GE(target, 0);
	if (!target)
		churn();
	usleep(200000);
	stop = 0;
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, pthread_create(&th[i], NULL, work, &w[i]));
	sleep(seconds);
	stop = 1;
	for (i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	kill(target, SIGKILL);
	waitpid(target, NULL, 0);
	if (old_sleep[0])
		set_khugepaged(old_sleep, NULL, 0);
	for (i = 0; i < 4; i++) {
		if (w[i].failures)
			TH_LOG("worker %d: %ld failures, last: %s", i, w[i].failures, w[i].why);
		EXPECT_EQ(0, w[i].failures);
		EXPECT_GT(w[i].ops, 0);
		total += w[i].ops;
	}
	TH_LOG("%d s: %ld walks, %ld coalesced walks, %ld translations, %ld track cycles (%ld operations)",
	       seconds, w[0].ops, w[1].ops, w[2].ops, w[3].ops, total);
}

TEST_HARNESS_MAIN
