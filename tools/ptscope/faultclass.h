/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What one traced fault did: the entries before and after it decoded,
 * and its class (demand-zero, cow, fault-around, ...), from a struct
 * ft_event of the faulttrace BPF program.  Pure functions: no BPF, no
 * I/O; "ptscope trace", the model (model.c) and the labs use them, and
 * the host unit tests run them on made-up events.
 */
#ifndef PTSCOPE_FAULTCLASS_H
#define PTSCOPE_FAULTCLASS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "faulttrace.h"
/* enum ft_class, FT_MAX_SWAPFILES and the rules, shared with the BPF side */
#include "faultclass_rules.h"

extern const char *const ft_class_names[CL_NR];
extern const char *const ft_outcome_names[4];
extern const char *const ft_access_names[3];
extern const char *const ft_cause_names[3];
extern const char *const ft_mode_names[3];
extern const char *const ft_backing_names[FT_BACK_OTHER + 1];
extern const char *const ft_walk_names[FT_WALK_FAIL + 1];

/* TAB[I], or "?" when I is out of range or unnamed. */
#define FT_NAME(tab, i) \
	((size_t)(i) < sizeof(tab) / sizeof(tab[0]) && (tab)[i] ? (tab)[i] : "?")

bool ft_present(const struct ft_pte *p);
bool ft_protnone(const struct ft_pte *p);
bool ft_swap(const struct ft_pte *p);
bool ft_writable(const struct ft_pte *p);
/* x86 swap entry: type in bits 59..63, offset inverted in bits 9..58. */
unsigned int ft_swap_type(uint64_t e);
uint64_t ft_swap_offset(uint64_t e);
/* Frame of a present or PROT_NONE leaf (its first frame if huge); 0 if none. */
uint64_t ft_pfn(const struct ft_pte *p);
/* Does the entry carry a frame (present, or PROT_NONE)? */
bool ft_has_pfn(const struct ft_pte *p);
/* Same mapping, ignoring the accessed and dirty bits. */
bool ft_same(const struct ft_pte *a, const struct ft_pte *b);
/* 4 KiB pages a present leaf maps: 1, 512 or 262144; 0 if not present. */
uint64_t ft_leaf_pages(const struct ft_pte *p);
/* "pte none", "pte 0x8000000102a3b867", "pmd ?" (unreadable) into BUF. */
const char *ft_entry_str(const struct ft_pte *p, char *buf, size_t len);
/* "cow", "fault-around +15" (with its NEIGHBOURS) into BUF. */
const char *ft_class_str(enum ft_class cls, int neighbours, char *buf, size_t len);
/* Anonymous memory (private anonymous, or a stack). */
bool ft_anon(const struct ft_event *e);

/*
 * The class of fault E; ZERO_PFN is the shared zero page's frame (0:
 * unknown).  *NEIGHBOURS: for fault-around, the pages mapped besides the
 * one faulted on (from the 16-entry window counts), else 0.
 */
enum ft_class ft_classify(const struct ft_event *e, uint64_t zero_pfn, int *neighbours);

#endif /* PTSCOPE_FAULTCLASS_H */
