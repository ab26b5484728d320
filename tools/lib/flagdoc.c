// SPDX-License-Identifier: GPL-2.0
/*
 * The legend of the flags walk and translate print: one sentence per
 * name, grouped by who reads the bit (the MMU, or only the kernel).
 * `ptscope help flags` prints it; ptscope(8) carries the same text in
 * its FLAGS section (tests/unit/flagdoc_test.c checks both against
 * PTSCOPE_FLAG_NAMES).  Bit numbers are x86-64's
 * (arch/x86/include/asm/pgtable_types.h).
 */
#include <string.h>

#include "libptscope.h"

static const char *const group_titles[PTS_FG_NR] = {
	[PTS_FG_HW] =
	"Hardware bits: what the MMU reads in a present entry",
	[PTS_FG_KERNEL] =
	"The kernel's views and software bits: the MMU ignores these",
	[PTS_FG_FRAME] =
	"The frame a present entry maps, from the kernel's page descriptors",
	[PTS_FG_NONPRESENT] =
	"Non-present entries: the kernel's own encoding, present clear",
};

const struct pts_flag_doc pts_flag_docs[] = {
	/* ---- what the MMU reads ---- */
	{ "present", PTS_FG_HW, "bit 0",
	  "The entry maps a page and the MMU uses it; when clear, an access "
	  "faults and the other bits belong to the kernel." },
	{ "rw", PTS_FG_HW, "bit 1",
	  "Writes are allowed; when clear, a write faults, which is how the "
	  "kernel arms copy-on-write and dirty tracking." },
	{ "user", PTS_FG_HW, "bit 2",
	  "User mode may access the page; set in every present entry of a user "
	  "mapping." },
	{ "pwt", PTS_FG_HW, "bit 3",
	  "Write-through: with pcd and pat, selects the page's memory type "
	  "(caching) from the PAT register." },
	{ "pcd", PTS_FG_HW, "bit 4",
	  "Cache disable: the second memory-type bit, seen on device and "
	  "uncached mappings." },
	{ "accessed", PTS_FG_HW, "bit 5",
	  "The CPU sets it at an access through this entry (the kernel often "
	  "sets it already when it makes the entry); reclaim clears it to find "
	  "pages no longer used." },
	{ "dirty", PTS_FG_HW, "bit 6",
	  "The CPU sets it at a write through this entry (the kernel sets it "
	  "already when a write fault maps the page); see modified for the "
	  "kernel's view." },
	{ "pse", PTS_FG_HW, "bit 7, PMD and PUD",
	  "Page size: this PMD or PUD entry maps a 2M or 1G page itself "
	  "instead of pointing to a table." },
	{ "global", PTS_FG_HW, "bit 8",
	  "The TLB keeps the translation when the CPU switches address "
	  "spaces; user entries do not have it." },
	{ "pat", PTS_FG_HW, "bit 7 on a PTE, 12 on a 2M or 1G leaf",
	  "The third memory-type bit, with pwt and pcd." },
	{ "nx", PTS_FG_HW, "bit 63",
	  "No execute: fetching an instruction from the page faults." },
	{ "pkey=N", PTS_FG_HW, "bits 59-62",
	  "The memory protection key, shown when not 0: the thread's PKRU "
	  "register can deny reads or writes to all pages of a key." },

	/* ---- the kernel's views ---- */
	{ "write", PTS_FG_KERNEL, "pte_write()",
	  "The kernel's view of writable: rw, or a shadow-stack page (rw "
	  "clear, dirty set); a page shared copy-on-write is not write." },
	{ "modified", PTS_FG_KERNEL, "pte_dirty(): bit 6 or 58",
	  "The kernel's view of dirty: the dirty bit or, since Linux 6.6, the "
	  "SavedDirty bit 58 that write-protecting moves it to, so a page "
	  "written before fork() shows modified without dirty." },
	{ "soft-dirty", PTS_FG_KERNEL, "bit 11; bit 1 in a swap entry",
	  "Set by the kernel when the page is written or mapped, cleared by "
	  "writing 4 to /proc/PID/clear_refs (soft-dirty tracking, used by "
	  "CRIU); pagemap bit 55." },
	{ "uffd-wp", PTS_FG_KERNEL, "bit 10; bit 2 in a swap entry",
	  "userfaultfd write protection (on 7.x also read-write protection) "
	  "is armed on the page, or on the empty entry as a marker; pagemap "
	  "bit 57." },
	{ "special", PTS_FG_KERNEL, "bit 9",
	  "The entry maps no normal, counted page (PFN and I/O mappings, "
	  "[vvar], the zero page): no anon or file kind, no map count." },
	{ "devmap", PTS_FG_KERNEL, "bit 57",
	  "Device memory (DAX, ZONE_DEVICE), on kernels before 7.x, which "
	  "still have this bit." },
	{ "protnone", PTS_FG_KERNEL, "bit 8 with bit 0 clear",
	  "The present bit is clear, so every access faults, but the kernel "
	  "treats the page as mapped: PROT_NONE or a NUMA hint." },
	{ "numa-hint", PTS_FG_KERNEL, NULL,
	  "protnone in a VMA that allows access: the kernel armed a NUMA "
	  "hinting fault to learn which node uses the page." },

	/* ---- the frame ---- */
	{ "zero-page", PTS_FG_FRAME, NULL,
	  "The shared zero page, or the huge zero page: anonymous memory that "
	  "was read but never written." },
	{ "anon", PTS_FG_FRAME, NULL,
	  "An anonymous page: heap, stack, MAP_ANONYMOUS, or a private copy "
	  "made by copy-on-write." },
	{ "file", PTS_FG_FRAME, NULL,
	  "A page of the page cache: a file's page, or shmem and tmpfs." },
	{ "exclusive", PTS_FG_FRAME, NULL,
	  "The frame is mapped exactly once (map count 1), as pagemap bit 56." },
	{ "mapcount=N", PTS_FG_FRAME, NULL,
	  "How many page-table entries map the frame, as /proc/kpagecount "
	  "says; the MAPS column of walk." },
	{ "folio=SIZE+N", PTS_FG_FRAME, NULL,
	  "The folio the frame belongs to: its size (4K, 64K with multi-size "
	  "THP, 2M, 1G) and, for a large one, which of its pages the frame is; "
	  "the FOLIO column of walk." },

	/* ---- non-present entries ---- */
	{ "swap", PTS_FG_NONPRESENT, NULL,
	  "Swapped out: the entry holds the swap area (type) and slot "
	  "(offset), shown in place of a frame number." },
	{ "migration", PTS_FG_NONPRESENT, NULL,
	  "The page is being moved to another frame; an access waits until "
	  "the move is done." },
	{ "device-private", PTS_FG_NONPRESENT, NULL,
	  "The page lives in device memory the CPU cannot address (a GPU's); "
	  "an access migrates it back." },
	{ "device-exclusive", PTS_FG_NONPRESENT, NULL,
	  "A device holds the page for atomic access; a CPU access takes it "
	  "back first." },
	{ "hwpoison", PTS_FG_NONPRESENT, NULL,
	  "The frame had an uncorrectable memory error; an access raises "
	  "SIGBUS." },
	{ "marker", PTS_FG_NONPRESENT, NULL,
	  "A PTE marker: an empty entry that keeps a note (uffd-wp, a swap-in "
	  "error or poisoned page, a guard region); its bits are shown in "
	  "place of a frame." },
	{ "swp-exclusive", PTS_FG_NONPRESENT, "bit 3",
	  "The swapped-out or migrating anonymous page was mapped only here, "
	  "so it can come back writable without a copy." },
	{ "marker-poison", PTS_FG_NONPRESENT, NULL,
	  "A poisoned entry: a PTE marker left by UFFDIO_POISON or a failed "
	  "swap-in (on 6.1 a swap-in error entry); an access raises SIGBUS." },
	{ "marker-guard", PTS_FG_NONPRESENT, NULL,
	  "A guard-region marker (MADV_GUARD_INSTALL, kernels 6.13 and later): "
	  "an access raises SIGSEGV, as if the page were PROT_NONE." },
};

const size_t pts_nr_flag_docs = sizeof(pts_flag_docs) / sizeof(pts_flag_docs[0]);

const char *pts_flag_group_title(enum pts_flag_group g)
{
	return g < PTS_FG_NR ? group_titles[g] : NULL;
}

const struct pts_flag_doc *pts_flag_doc(const char *name)
{
	size_t i, n = strlen(name);

	for (i = 0; i < pts_nr_flag_docs; i++) {
		const char *d = pts_flag_docs[i].name;

		/* "pkey" finds "pkey=N" */
		if (!strncmp(d, name, n) && (!d[n] || d[n] == '='))
			return &pts_flag_docs[i];
	}
	return NULL;
}
