/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libptscope: talk to the ptscope module and decode its records.
 * Used by the CLI, the BPF tool's user side, the labs and the tests.
 */
#ifndef LIBPTSCOPE_H
#define LIBPTSCOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <linux/ptscope.h>

struct pts_session;

/*
 * Where a session's bytes come from when it is not a file of the module:
 * the BPF walker (tools/ptscope/bpfwalk.c) produces the same record
 * stream.  read() returns bytes, 0 at the end or -errno; close() frees
 * PRIV.
 */
struct pts_source {
	ssize_t (*read)(struct pts_session *s, void *buf, size_t len);
	void (*close)(struct pts_session *s);
};

/* A session on one of the module's files (see Documentation/interface.rst). */
struct pts_session {
	int fd;
	char *buf;
	size_t len;		/* bytes in buf */
	size_t off;		/* first unread byte */
	size_t cap;
	int eof;
	const char *keys;		/* the device: keys naming the view */
	const struct pts_source *src;	/* NULL: read(fd) */
	void *priv;			/* the source's */
	/* a compact stream (request "compact"), decoded by pts_next() */
	struct ptscope_layout *layout;	/* its LAYOUT record */
	struct ptscope_ptes *ptes;	/* the PTES record being decoded */
	unsigned int ptes_next;		/* its next entry (or run) */
	uint64_t ptes_va;		/* address of that run (PTSCOPE_PTES_RUNS) */
	struct ptscope_leaf leaf;	/* the leaf pts_next() gave out */
};

/* Module information from the version file. */
struct pts_version {
	char module_version[32];
	unsigned int abi_version;
	char kernel_release[128];
	int paging_levels;
	long page_size;
	int pti;
};

/* Directory of the module's files; $PTSCOPE_DEBUGFS overrides it. */
const char *pts_dir(void);

/*
 * Sessions go to the module's device node, /dev/ptscope, when it is
 * there, else to its debugfs files (pts_dir()).  $PTSCOPE_INTERFACE
 * ("device" or "debugfs") forces one; $PTSCOPE_DEBUGFS implies debugfs.
 * Under lockdown only the device answers (Documentation/security.rst).
 */
int pts_use_device(void);
/* The device node's path, or pts_dir(), for messages. */
const char *pts_interface(void);
/*
 * A text answer of the module: debugfs FILE ("version", "faults") read,
 * or on the device the answer to REQ ("op=version", "op=faults").  A
 * stdio stream, or NULL with errno set.
 */
FILE *pts_text(const char *file, const char *req);
/* A command LINE written to debugfs FILE, or to the device: 0 or -errno. */
int pts_command(const char *file, const char *line);

/* 0 if the module is loaded, else -errno (ENOENT: not loaded). */
int pts_read_version(struct pts_version *v);

/*
 * Open FILE ("records", "walk", "translate", "ptcost"), on the device the
 * same view (format= and op= keys), and send a request line built from
 * FMT.  Returns 0 or -errno (the module's).
 */
int pts_open(struct pts_session *s, const char *file);
int pts_request(struct pts_session *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void pts_close(struct pts_session *s);
/*
 * A session whose bytes come from SRC (fd -1): 0 or -ENOMEM.  PRIV is
 * the source's and is closed by pts_close() through SRC->close.
 */
int pts_open_source(struct pts_session *s, const struct pts_source *src,
		    void *priv);

/*
 * Next record of a binary session: 1 and *rec set (valid until the next
 * call), 0 at the end of the stream, -errno on error (-EPROTO: malformed).
 * A compact stream comes out as a full one: each non-empty entry of a
 * PTSCOPE_REC_PTES record as a PTSCOPE_REC_LEAF, decoded by its LAYOUT
 * (which is passed on too, for readers that want it).
 */
int pts_next(struct pts_session *s, const struct ptscope_rec_hdr **rec);
/*
 * Entry I of a compact stream's PTES record P (not PTSCOPE_PTES_RUNS:
 * pts_next() decodes those), decoded by LAYOUT into
 * *LEAF exactly as the module decodes a full walk's leaf (without facts:
 * no frame facts but the zero page; see PTSCOPE_REC_LAYOUT in
 * linux/ptscope.h).  1 if the entry is not empty, 0 if it is (*LEAF
 * untouched).
 */
int pts_ptes_leaf(const struct ptscope_layout *layout,
		  const struct ptscope_ptes *p, unsigned int i,
		  struct ptscope_leaf *leaf);

/* Read a text session to the end, writing it to FD.  0 or -errno. */
int pts_copy_text(struct pts_session *s, int fd);

/* Names, as in every text form of ptscope. */
const char *pts_level_name(unsigned int level);
const char *pts_backing_name(unsigned int backing);
const char *pts_stop_name(unsigned int stop);
/* Comma-separated flag names into BUF; returns BUF ("-" if none). */
char *pts_flags_str(uint64_t flags, char *buf, size_t len);
/* Iterate flag names: returns the name of bit I (0..63) or NULL. */
const char *pts_flag_name(uint64_t bit);
/* Look a flag up by name; 0 if unknown. */
uint64_t pts_flag_by_name(const char *name);

/*
 * The legend of every flag walk and translate print (flagdoc.c): each
 * name of PTSCOPE_FLAG_NAMES, plus "pkey=N" and "mapcount=N".
 */
enum pts_flag_group {
	PTS_FG_HW,		/* bits the MMU reads */
	PTS_FG_KERNEL,		/* the kernel's views and software bits */
	PTS_FG_FRAME,		/* the frame behind a present entry */
	PTS_FG_NONPRESENT,	/* non-present entries */
	PTS_FG_NR
};
struct pts_flag_doc {
	const char *name;	/* as printed; "pkey=N" for a value */
	enum pts_flag_group group;
	const char *bits;	/* where it comes from (x86 bit), or NULL */
	const char *text;	/* one sentence */
};
extern const struct pts_flag_doc pts_flag_docs[];
extern const size_t pts_nr_flag_docs;
const char *pts_flag_group_title(enum pts_flag_group g);
/* The entry of NAME ("pkey" finds "pkey=N"), or NULL. */
const struct pts_flag_doc *pts_flag_doc(const char *name);

/* "rwxp" permissions of a VMA record into BUF[5]. */
char *pts_vma_perm(const struct ptscope_vma *v, char buf[5]);

/* Bytes covered by one entry at LEVEL. */
static inline uint64_t pts_level_size(unsigned int level)
{
	return 1ULL << PTSCOPE_LEVEL_SHIFT(level);
}

/* Parse "123", "0x7f00", with optional K/M/G suffix when SUFFIX is set. */
int pts_parse_u64(const char *str, uint64_t *val, int suffix);

/*
 * Parse a range "START-END" or "START+LENGTH" (numbers as pts_parse_u64()
 * with suffixes).  -EINVAL: malformed; -ERANGE: empty, reversed or
 * overflowing.  END is exclusive.
 */
int pts_parse_range(const char *str, uint64_t *start, uint64_t *end);

/*
 * Clamp [*START, *END) to the user address space of a machine with
 * PAGING_LEVELS (4 or 5) levels of page tables (TASK_SIZE_MAX: 2^47 or
 * 2^56, less a guard page), as the module checks it.  0, with *END
 * lowered if it was above; -ERANGE if START is not a user address;
 * -EINVAL for another number of levels.
 */
int pts_clamp_range(int paging_levels, uint64_t *start, uint64_t *end);

/* Bytes as "4K", "2M", "2.4M", "692K", "100B" (binary units) into BUF. */
char *pts_fmt_size(uint64_t bytes, char *buf, size_t len);

/* Bytes in the folio of leaf L (PTSCOPE_F_FOLIO), 0 without a folio. */
static inline uint64_t pts_folio_size(const struct ptscope_leaf *l)
{
	return l->flags & PTSCOPE_F_FOLIO ? 4096ULL << l->folio_order : 0;
}

/*
 * The folio mark of leaf L into BUF: "64K+3" (a 64K folio whose page 3 is
 * the entry's first frame), "4K" (a single-page folio), "-" (no folio).
 */
char *pts_folio_str(const struct ptscope_leaf *l, char *buf, size_t len);

/*
 * Folio categories of a VMA (folios.c, `ptscope maps --folios`): feed the
 * leaves of a plain walk in address order, end each VMA, read ->vma (then
 * pts_folio_acc_next_vma()) and at the end ->total.
 */
enum pts_folio_kind { PTS_FK_ANON, PTS_FK_FILE, PTS_FK_ZERO, PTS_FK_OTHER, PTS_FK_NR };
enum pts_folio_shape {
	PTS_FS_ALIGNED,		/* every page, at an address aligned to its size */
	PTS_FS_UNALIGNED,	/* every page, at an unaligned address */
	PTS_FS_PARTIAL,		/* some of its pages (or out of order) */
	PTS_FS_NR
};
struct pts_folio_cat {
	uint8_t kind;		/* enum pts_folio_kind */
	uint8_t order;		/* folio size = 4K << order */
	uint8_t level;		/* entries that map it: enum ptscope_level */
	uint8_t shape;		/* enum pts_folio_shape */
	uint64_t pieces;	/* folios (partial: pieces of folios) */
	uint64_t bytes;		/* bytes mapped */
};
#define PTS_FOLIO_CATS_MAX	64
struct pts_folio_stats {
	struct pts_folio_cat cat[PTS_FOLIO_CATS_MAX];	/* sorted */
	size_t n;
};
struct pts_folio_acc {
	struct pts_folio_stats vma, total;
	uint64_t dropped;	/* categories beyond PTS_FOLIO_CATS_MAX */
	/* the piece being built */
	uint64_t folio_pfn, first_index, va, pages, next_va, next_pfn;
	uint8_t kind, order, level;
};
void pts_folio_acc_leaf(struct pts_folio_acc *a, const struct ptscope_leaf *l);
void pts_folio_acc_end_vma(struct pts_folio_acc *a);
void pts_folio_acc_next_vma(struct pts_folio_acc *a);
const char *pts_folio_kind_name(unsigned int kind);
const char *pts_folio_shape_name(unsigned int shape);

/* A human-readable message for a module error, for a given operation. */
const char *pts_strerror(int err);

/* Fault counters of one tracked process (the module's "faults" file). */
struct pts_faults {
	int pid;
	char comm[32];
	int exited;			/* not alive: this is the last report */
	char state[24];			/* alive, exited, exec-privileged */
	unsigned long long count[PTSCOPE_NR_FAULT_COUNTERS];
	/* The file's "missed=N" line: the return probe's misses, all processes. */
	unsigned long long missed;
};

/* "track" or "untrack" PID: 0 or the module's -errno. */
int pts_faults_ctl(const char *cmd, pid_t pid);
/*
 * Counters of PID: 0, -ENOENT if it is not tracked, -ENODEV if the module
 * is not loaded.  Reading drops processes that are no longer counted
 * (exited, exec-privileged): their last report is this one.
 */
int pts_faults_read(pid_t pid, struct pts_faults *f);
/*
 * Write WHAT ("1": clear the accessed bits of every page; "2" anonymous
 * pages only, "3" file pages only, "4" soft-dirty, "5" the RSS high-water
 * mark) to /proc/PID/clear_refs.  0, or -errno: -ESRCH if there is no
 * such process, -EACCES/-EPERM without the right to write it (root, or
 * the owner of the process), -EINVAL if the kernel refuses WHAT.  The
 * accessed bits are cleared without a TLB flush (Linux on x86), and the
 * pages' referenced state with them: see Documentation/history.rst.
 */
int pts_clear_refs(int pid, const char *what);
/* The kernel's own minflt and majflt of PID (/proc/PID/stat): 0 or -errno. */
int pts_proc_faults(pid_t pid, long long *minflt, long long *majflt);
/* Name of counter I (PTSCOPE_FC_*), as in the faults file. */
const char *pts_fault_counter_name(unsigned int i);

/* ---- snapshot.c: a walk kept in a file, and a walk loaded in memory ---- */

/*
 * A snapshot file (`ptscope snapshot`): this header, then the record
 * stream of one whole walk exactly as the module (or the BPF walker)
 * produced it: HEADER, VMA, LEAF..., END, uncoalesced.  Integers are in
 * the byte order of the machine that wrote it (x86-64: little-endian).
 * A reader accepts any header SIZE >= the fields it knows (later versions
 * only append fields); a VERSION above its own is refused.
 */
#define PTS_SNAP_MAGIC		"PTSCSNAP"	/* 8 bytes, no NUL */
#define PTS_SNAP_VERSION	1

struct pts_snap_hdr {
	char magic[8];
	uint32_t version;
	uint32_t size;		/* bytes of this header: the records follow */
	int64_t time_sec;	/* CLOCK_REALTIME when the walk began */
	uint32_t time_nsec;
	uint32_t pid;		/* as the walker saw it */
	char comm[16];
	char kernel[65];	/* uname -r of the machine walked */
	char host[65];		/* its node name */
	char reserved[6];
};

/* Fill the header for a walk of PID beginning now (CLOCK_REALTIME). */
void pts_snap_init(struct pts_snap_hdr *h, int pid, const char *comm);
/*
 * Open snapshot PATH as a session (its records, from the walk's HEADER
 * on, come out of pts_next()) and read its header into *H.  0 or -errno:
 * -EPROTO not a snapshot or a malformed header, -EPROTONOSUPPORT a newer
 * version.
 */
int pts_snap_open(struct pts_session *s, const char *path,
		  struct pts_snap_hdr *h);

/* One whole walk in memory: its VMAs and leaves in address order. */
struct pts_image {
	struct ptscope_header hdr;
	struct ptscope_end end;
	struct ptscope_vma *vma;
	size_t nvma;
	struct ptscope_leaf *leaf;
	uint32_t *leaf_vma;	/* index into vma[] of each leaf */
	size_t nleaf;
};

/*
 * Read session S to its END into *IMG, from its first record (HEADER) or,
 * when HDR is set, from the record after that header, already read.
 * 0 or -errno: a stream without END (cut short), a coalesced walk, leaves
 * out of order or outside their VMA are -EPROTO; the session's own errors
 * as they come.  pts_image_free() in every case.  A walk of record ABI 2
 * (a snapshot written before folios) is read too, its leaves converted,
 * with PTSCOPE_HDR_NO_FOLIO set in IMG's header.
 */
int pts_image_load(struct pts_image *img, struct pts_session *s,
		   const struct ptscope_header *hdr);
void pts_image_free(struct pts_image *img);

/* ---- diff.c: what changed between two walks ---- */

enum pts_change {
	PTS_CH_NEW,		/* now mapped */
	PTS_CH_GONE,		/* no longer mapped */
	PTS_CH_FRAME,		/* same page, another frame */
	PTS_CH_SPLIT,		/* a huge leaf became smaller ones */
	PTS_CH_COLLAPSE,	/* smaller leaves became a huge one */
	PTS_CH_FLAGS,		/* same frame, other bits */
	PTS_CH_SWAP_OUT,	/* mapped, now a swap entry */
	PTS_CH_SWAP_IN,		/* a swap entry, now mapped */
	PTS_CH_NR
};
const char *pts_change_name(unsigned int change);

/* What one 4K page holds in one walk. */
struct pts_page_state {
	const struct ptscope_leaf *leaf;	/* NULL: nothing (empty) */
	const struct ptscope_vma *vma;		/* its VMA, NULL if none */
	uint64_t pfn;			/* of this 4K page (PFN_VALID) */
	uint64_t swap_offset;		/* of this 4K page (SWAP) */
};

/* A run of pages with the same change, reported by pts_diff(). */
struct pts_diff_run {
	uint64_t va;			/* first page */
	uint64_t pages;			/* 4K pages in the run */
	enum pts_change change;
	struct pts_page_state old, new;	/* the first page, before and after */
};

/* A VMA that is only in one walk, or changed (resized, other rights). */
enum pts_vma_change { PTS_VMA_NEW, PTS_VMA_GONE, PTS_VMA_CHANGED };
const char *pts_vma_change_name(unsigned int change);

struct pts_diff_ops {
	/* A run of changed pages, in address order.  Non-zero stops. */
	int (*run)(const struct pts_diff_run *r, void *arg);
	/* A VMA change, before the runs inside it. */
	int (*vma)(enum pts_vma_change c, const struct ptscope_vma *old,
		   const struct ptscope_vma *new, void *arg);
};

/*
 * Narrow [*START, *END) to what both walks cover (a walk of a range has
 * the range in its header: outside it, it knows nothing).  Returns false
 * when nothing is left.
 */
bool pts_diff_range(const struct pts_image *a, const struct pts_image *b,
		    uint64_t *start, uint64_t *end);
/*
 * Compare walks A (before) and B (after) page by page within
 * [START, END), narrowed by pts_diff_range(), and report every change, merged into runs of consecutive
 * pages with the same change, the same VMAs and the same leaf levels.
 * Returns the callbacks' non-zero value, else 0.
 */
int pts_diff(const struct pts_image *a, const struct pts_image *b,
	     uint64_t start, uint64_t end, const struct pts_diff_ops *ops,
	     void *arg);

#endif /* LIBPTSCOPE_H */
