// SPDX-License-Identifier: GPL-2.0
/*
 * What a non-present or empty entry means: what the kernel would do at an
 * access (mm/memory.c's fault paths), from the flags the module decoded
 * with the kernel's own helpers.  The marker bits are never decoded here
 * (they differ between kernels): the module gives each kind its flag.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "explain.h"

#define APPEND(e, ...)							\
	snprintf((e)->text + strlen((e)->text),				\
		 sizeof((e)->text) - strlen((e)->text), __VA_ARGS__)

int xpl_swap_device(const char *swaps, unsigned int type, char *dev, size_t len,
		    char *why, size_t wlen)
{
	const char *p, *first = NULL;
	int areas = 0;

	*dev = '\0';
	if (!swaps) {
		snprintf(why, wlen, "/proc/swaps cannot be read");
		return 0;
	}
	p = strchr(swaps, '\n');	/* the header line */
	while (p && *++p) {
		if (*p != '\n') {
			if (!areas)
				first = p;
			areas++;
		}
		p = strchr(p, '\n');
	}
	if (!areas) {
		snprintf(why, wlen, "no swap area is active now");
		return 0;
	}
	if (areas > 1 && type != 0) {
		snprintf(why, wlen, "%d swap areas are active, and /proc/swaps lists "
			 "them by type but skips unused types: which one is type %u "
			 "cannot be told", areas, type);
		return 0;
	}
	/* one area: the only type in use; type 0: always listed first */
	snprintf(dev, len, "%.*s", (int)strcspn(first, " \t\n"), first);
	return 1;
}

static void frame(struct xpl *e, const struct ptscope_leaf *l)
{
	if (l->flags & PTSCOPE_F_PFN_VALID) {
		e->has_pfn = true;
		e->pfn = l->pfn;
	}
}

/* An empty entry (no table, or a zero entry) at [va, va + n pages). */
static void empty(unsigned long long va, unsigned long long n, const struct xpl_vma *v, struct xpl *e)
{
	bool shared, rw;
	unsigned long long idx;

	if (!v) {
		e->kind = "empty";
		APPEND(e, "empty entry: nothing is mapped here yet");
		return;
	}
	if (!(v->flags & (PTSCOPE_VMA_READ | PTSCOPE_VMA_WRITE | PTSCOPE_VMA_EXEC))) {
		e->kind = "no-access";
		APPEND(e, "empty entry in a VMA that allows no access (PROT_NONE): "
		       "an access raises SIGSEGV");
		return;
	}
	shared = v->flags & PTSCOPE_VMA_SHARED;
	rw = v->flags & PTSCOPE_VMA_WRITE;
	switch (v->backing) {
	case PTSCOPE_BACK_ANON:
	case PTSCOPE_BACK_STACK:
	case PTSCOPE_BACK_HEAP:
		e->kind = "anon";
		APPEND(e, "not yet touched: a read would map the shared zero page, %s",
		       rw ? "a write allocates a zeroed page" :
		       "a write raises SIGSEGV (the VMA is not writable)");
		if (v->flags & PTSCOPE_VMA_UFFD)
			APPEND(e, " (the VMA is registered with userfaultfd: a "
			       "missing-page fault may go to its handler first)");
		return;
	case PTSCOPE_BACK_FILE:
	case PTSCOPE_BACK_SHMEM:
	case PTSCOPE_BACK_HUGETLB:
		break;
	default:
		e->kind = "special";
		APPEND(e, "empty entry in a special or device mapping (%s): its own "
		       "fault handler decides what an access maps",
		       v->name && *v->name ? v->name : "unnamed");
		return;
	}
	idx = v->pgoff + (va - v->start) / XPL_PAGE;
	e->file = true;
	snprintf(e->file_name, sizeof(e->file_name), "%s", v->name ? v->name : "");
	e->file_offset = idx * XPL_PAGE;
	e->kind = "file";
	if (v->file_size < 0)
		e->eof = XPL_EOF_UNKNOWN;
	else if (e->file_offset >= (unsigned long long)v->file_size)
		e->eof = XPL_EOF_BEYOND;
	else
		e->eof = XPL_EOF_INSIDE;
	if (e->eof == XPL_EOF_BEYOND) {
		e->kind = "file-beyond-eof";
		APPEND(e, "empty entry beyond the end of %s (byte offset 0x%llx"
		       ", the file has %lld bytes): an access raises SIGBUS",
		       v->name, e->file_offset, v->file_size);
		return;
	}
	if (n > 1)
		APPEND(e, "not yet mapped: a fault would read %s at byte offsets "
		       "0x%llx-0x%llx", v->name, e->file_offset,
		       e->file_offset + n * XPL_PAGE - 1);
	else
		APPEND(e, "not yet mapped: a fault would read %s at byte offset "
		       "0x%llx (page %llu of the file)", v->name,
		       e->file_offset, idx);
	if (n > 1 && e->eof == XPL_EOF_INSIDE &&
	    e->file_offset + n * XPL_PAGE > (unsigned long long)v->file_size)
		APPEND(e, "; the pages from byte offset 0x%llx on lie beyond its end "
		       "(%lld bytes): an access there raises SIGBUS",
		       ((unsigned long long)v->file_size + XPL_PAGE - 1) & ~(XPL_PAGE - 1),
		       v->file_size);
	if (v->backing == PTSCOPE_BACK_SHMEM)
		APPEND(e, " (shared memory: the page is found there or allocated "
		       "zeroed)");
	else if (v->backing == PTSCOPE_BACK_HUGETLB)
		APPEND(e, " (hugetlb: a huge page from the pool; SIGBUS if the pool "
		       "is empty)");
	if (!shared && rw)
		APPEND(e, "; a write then copies it into a private anonymous page");
}

void xpl_empty_range(unsigned long long va, unsigned long long npages, const struct xpl_vma *v,
		     struct xpl *e)
{
	memset(e, 0, sizeof(*e));
	empty(va, npages, v, e);
}

static void marker(const struct ptscope_leaf *l, struct xpl *e)
{
	if (l->flags & PTSCOPE_F_MARKER_GUARD) {
		e->kind = "marker-guard";
		APPEND(e, "guard region marker (MADV_GUARD_INSTALL): an access raises "
		       "SIGSEGV; MADV_GUARD_REMOVE takes it away");
	} else if (l->flags & PTSCOPE_F_MARKER_POISON) {
		e->kind = "marker-poison";
		APPEND(e, "poisoned %s (UFFDIO_POISON, or the page failed to swap "
		       "in): an access raises SIGBUS",
		       l->flags & PTSCOPE_F_MARKER ? "marker" : "entry");
	} else if (l->flags & PTSCOPE_F_UFFD_WP) {
		e->kind = "marker-uffd-wp";
		APPEND(e, "userfaultfd write-protect marker on a page not populated: "
		       "a read fills it as an empty entry would (still "
		       "write-protected), a write is reported to the userfaultfd "
		       "handler first");
	} else {
		e->kind = "marker";
		APPEND(e, "a PTE marker of a kind this module does not name: an "
		       "access faults");
	}
}

bool xpl_entry(const struct ptscope_leaf *l, unsigned long long va, const struct xpl_vma *v,
	       const char *swaps, struct xpl *e)
{
	unsigned long long f;

	memset(e, 0, sizeof(*e));
	if (!l) {
		empty(va, 1, v, e);
		return true;
	}
	f = l->flags;
	if (f & PTSCOPE_F_PRESENT)
		return false;
	if (f & PTSCOPE_F_PROTNONE) {
		frame(e, l);
		if (f & PTSCOPE_F_NUMA_HINT) {
			e->kind = "numa-hint";
			APPEND(e, "NUMA hinting fault armed: the MMU sees no page, the "
			       "kernel keeps frame 0x%llx; the next access faults, "
			       "the kernel notes the node that touched it (and may "
			       "migrate the page there) and restores the entry", l->pfn);
		} else if (v && (v->flags & (PTSCOPE_VMA_READ | PTSCOPE_VMA_WRITE |
					     PTSCOPE_VMA_EXEC))) {
			e->kind = "uffd-rwp";
			APPEND(e, "userfaultfd read-write protection: the MMU sees no "
			       "page, the kernel keeps frame 0x%llx; an access is "
			       "reported to the userfaultfd handler", l->pfn);
		} else {
			e->kind = "protnone";
			APPEND(e, "PROT_NONE: the MMU sees no page, the kernel keeps "
			       "frame 0x%llx (it comes back with mprotect()); an "
			       "access raises SIGSEGV", l->pfn);
		}
		return true;
	}
	if (f & PTSCOPE_F_SWAP) {
		e->kind = "swap";
		e->swap = true;
		e->swap_type = l->swap_type;
		e->slot = l->swap_offset;
		xpl_swap_device(swaps, l->swap_type, e->device, sizeof(e->device),
				e->device_why, sizeof(e->device_why));
		APPEND(e, "swapped out: swap area %u", l->swap_type);
		if (*e->device)
			APPEND(e, " (%s)", e->device);
		APPEND(e, ", slot %llu (byte offset 0x%llx in the area): "
		       "an access faults and reads it back", e->slot,
		       e->slot * XPL_PAGE);
		if (!*e->device)
			APPEND(e, "; the device: %s", e->device_why);
		return true;
	}
	if (f & (PTSCOPE_F_MARKER | PTSCOPE_F_MARKER_POISON | PTSCOPE_F_MARKER_GUARD)) {
		marker(l, e);
		return true;
	}
	frame(e, l);
	if (f & PTSCOPE_F_MIGRATION) {
		e->kind = "migration";
		APPEND(e, "being migrated: the page at frame 0x%llx is moving to "
		       "another frame; an access waits until the move is done",
		       l->pfn);
	} else if (f & PTSCOPE_F_DEVICE_PRIVATE) {
		e->kind = "device-private";
		APPEND(e, "in device-private memory (frame 0x%llx, which the CPU "
		       "cannot address): an access migrates it back to system "
		       "memory", l->pfn);
	} else if (f & PTSCOPE_F_DEVICE_EXCL) {
		e->kind = "device-exclusive";
		APPEND(e, "a device holds frame 0x%llx for exclusive (atomic) "
		       "access: a CPU access takes it back first", l->pfn);
	} else if (f & PTSCOPE_F_HWPOISON) {
		e->kind = "hwpoison";
		APPEND(e, "frame 0x%llx had an uncorrectable memory error: an "
		       "access raises SIGBUS", l->pfn);
	} else {
		e->kind = "not-present";
		APPEND(e, "not present, of a kind ptscope does not know: an access "
		       "faults");
	}
	return true;
}

static json_object *hex(unsigned long long v)
{
	char b[24];

	snprintf(b, sizeof(b), "0x%llx", v);
	return json_object_new_string(b);
}

json_object *xpl_json(const struct xpl *e)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "kind", json_object_new_string(e->kind));
	json_object_object_add(o, "text", json_object_new_string(e->text));
	if (e->swap) {
		json_object_object_add(o, "swap_type", json_object_new_int(e->swap_type));
		json_object_object_add(o, "slot", json_object_new_int64(e->slot));
		json_object_object_add(o, "device", *e->device ?
				       json_object_new_string(e->device) : NULL);
		if (!*e->device)
			json_object_object_add(o, "device_unknown",
					       json_object_new_string(e->device_why));
	}
	if (e->file) {
		json_object_object_add(o, "file", json_object_new_string(e->file_name));
		json_object_object_add(o, "file_offset", json_object_new_int64(e->file_offset));
		json_object_object_add(o, "beyond_eof", e->eof == XPL_EOF_UNKNOWN ? NULL :
				       json_object_new_boolean(e->eof == XPL_EOF_BEYOND));
	}
	if (e->has_pfn)
		json_object_object_add(o, "pfn", hex(e->pfn));
	return o;
}

char *xpl_read_swaps(void)
{
	FILE *f = fopen("/proc/swaps", "r");
	size_t n = 0, cap = 4096;
	char *buf;

	if (!f)
		return NULL;
	buf = malloc(cap);
	while (buf) {
		size_t k = fread(buf + n, 1, cap - n - 1, f);
		char *more;

		n += k;
		if (n < cap - 1)
			break;
		cap *= 2;
		more = realloc(buf, cap);
		if (!more)
			free(buf);
		buf = more;
	}
	fclose(f);
	if (buf)
		buf[n] = '\0';
	return buf;
}

long long xpl_file_size(int pid, const struct xpl_vma *v)
{
	char path[96];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/map_files/%llx-%llx", pid,
		 v->start, v->end);
	if (stat(path, &st) || (v->ino && st.st_ino != v->ino))
		return -1;
	return st.st_size;
}
