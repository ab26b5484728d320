/* SPDX-License-Identifier: GPL-2.0 */
/*
 * explain.c: what a non-present or empty entry means, in the words of
 * what the kernel would do at an access (translate, walk -v).  Nothing
 * here reads the page tables: the caller gives the leaf record (or none,
 * for an empty entry), the VMA around it, /proc/swaps and the file's
 * size.  Documentation/explain.rst is the user's side of each kind.
 */
#ifndef PTSCOPE_EXPLAIN_H
#define PTSCOPE_EXPLAIN_H

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>
#include <linux/ptscope.h>

#define XPL_PAGE	4096ULL

/* The VMA around an entry, as the walk's VMA record gives it. */
struct xpl_vma {
	unsigned long long start, end;
	unsigned long long pgoff;			/* file offset in pages */
	unsigned long long ino;
	uint32_t flags;			/* PTSCOPE_VMA_* */
	uint32_t backing;		/* enum ptscope_backing */
	const char *name;
	long long file_size;		/* bytes; -1 unknown */
};

enum xpl_eof { XPL_EOF_UNKNOWN = -1, XPL_EOF_INSIDE = 0, XPL_EOF_BEYOND = 1 };

struct xpl {
	const char *kind;		/* "swap", "file", "anon", "marker-guard"... */
	char text[768];			/* one sentence or two */
	/* swap */
	bool swap;
	unsigned int swap_type;
	unsigned long long slot;
	char device[256];		/* "" when it cannot be told */
	char device_why[200];		/* why not, when device is "" */
	/* an empty entry of a file VMA */
	bool file;
	char file_name[256];		/* the VMA's name: the file's path */
	unsigned long long file_offset;		/* bytes, of the first page */
	enum xpl_eof eof;
	/* a frame the entry names (migration, device, hwpoison, PROT_NONE) */
	bool has_pfn;
	unsigned long long pfn;
};

/*
 * The device of swap area TYPE, from the text of /proc/swaps (SWAPS),
 * when it can be told without doubt: 1 with DEV, else 0 with WHY.
 * /proc/swaps lists the areas in increasing type order but skips the
 * unused types, so line N is type N only when no lower type is unused:
 * it is certain for one listed area, and for type 0 (always listed first
 * when in use).
 */
int xpl_swap_device(const char *swaps, unsigned int type, char *dev, size_t len,
		    char *why, size_t wlen);

/*
 * Explain the entry at VA: L is its leaf record (NULL for an empty entry
 * or a missing table), V the VMA around it (NULL if unknown), SWAPS the
 * text of /proc/swaps (NULL if unreadable).  Returns false for a present,
 * accessible leaf, which needs no explanation.
 */
bool xpl_entry(const struct ptscope_leaf *l, unsigned long long va, const struct xpl_vma *v,
	       const char *swaps, struct xpl *e);

/*
 * An empty range [VA, VA + N pages) of V at once (walk -v): like
 * xpl_entry(NULL, ...) but the file offsets span the range.
 */
void xpl_empty_range(unsigned long long va, unsigned long long npages, const struct xpl_vma *v,
		     struct xpl *e);

/* The explanation as a JSON object: kind, text, and the kind's keys. */
json_object *xpl_json(const struct xpl *e);

/* /proc/swaps as text (malloc'ed), NULL if unreadable. */
char *xpl_read_swaps(void);
/*
 * Size of the file V maps in process PID, from its map_files link (the
 * file itself, wherever the path now points); -1 if it cannot be read or
 * is another inode.
 */
long long xpl_file_size(int pid, const struct xpl_vma *v);

#endif /* PTSCOPE_EXPLAIN_H */
