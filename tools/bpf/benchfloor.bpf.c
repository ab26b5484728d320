// SPDX-License-Identifier: GPL-2.0
/*
 * benchfloor: empty fentry and fexit programs on handle_mm_fault(), the
 * hooks faulttrace attaches to.  "make bench" runs the fault workload
 * under them to measure the floor of any fentry/fexit tracer here: the
 * trampoline, the program's entry and exit (RCU, migration, the run-time
 * statistics) and nothing else.  Not part of ptscope itself.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

SEC("fentry/handle_mm_fault")
int BPF_PROG(floor_fentry)
{
	return 0;
}

SEC("fexit/handle_mm_fault")
int BPF_PROG(floor_fexit)
{
	return 0;
}

/* The exception tracepoint faulttrace also attaches (not loaded by bench). */
SEC("tp_btf/page_fault_user")
int BPF_PROG(floor_pf_user)
{
	return 0;
}
