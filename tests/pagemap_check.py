#!/usr/bin/env python3
# tests/pagemap_check.py WHAT [CLI ARGUMENTS...]: the CLI's answer for this
# process against /proc/self/pagemap, for the shell-level guest checks
# (tests/lockdown-guest).  This process maps 64 anonymous pages and writes
# every other one, then runs tools/ptscope/ptscope on itself:
#
#   walk        walk --json of the region: each written page has a leaf
#               with pagemap's frame, no other page has one
#   translate   translate --json of one written page: pa is pagemap's
#               frame plus the offset
#   withheld    translate as above, and the tables' addresses are withheld
#               (lockdown confidentiality): cr3 and every table_pa null
#   trace       trace --json --summary of a child that writes 64 new pages:
#               it exits 0, nothing is lost, at least 64 faults are seen
#
# Extra arguments go to the CLI (e.g. --via bpf).  Prints what differs and
# exits 1, or exits 0 silently.
import ctypes
import json
import mmap
import os
import struct
import subprocess
import sys

PAGE = 4096
N = 64
CLI = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools", "ptscope", "ptscope")


def cli(*args):
    r = subprocess.run([CLI, *args], capture_output=True, text=True)
    if r.returncode:
        sys.exit("ptscope %s: exit %d: %s" % (" ".join(args), r.returncode, r.stderr.strip()))
    return r.stdout


def trace(extra):
    code = ("import mmap\nm = mmap.mmap(-1, %d)\nfor i in range(0, %d, %d): m[i] = 1\n"
            % (N * PAGE, N * PAGE, PAGE))
    out = cli("trace", "--json", "--summary", *extra, "--", sys.executable, "-c", code)
    sums = [json.loads(line)["summary"] for line in out.splitlines() if '"summary"' in line]
    if not sums:
        sys.exit("trace: no summary in: %s" % out[-300:])
    s = sums[-1]
    bad = []
    if s.get("exit_status") != 0:
        bad.append("the child's exit status %s" % s.get("exit_status"))
    if s["lost"]["total"]:
        bad.append("%d events lost" % s["lost"]["total"])
    if s["faults"] < N:
        bad.append("%d faults seen, the child wrote %d new pages" % (s["faults"], N))
    return bad


def main():
    what, extra = sys.argv[1], sys.argv[2:]
    if what == "trace":
        bad = trace(extra)
        if bad:
            print("; ".join(bad))
            sys.exit(1)
        return
    m = mmap.mmap(-1, N * PAGE, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    for i in range(0, N, 2):
        m[i * PAGE] = 1
    base = ctypes.addressof(ctypes.c_char.from_buffer(m))
    with open("/proc/self/pagemap", "rb") as f:
        f.seek(base // PAGE * 8)
        pm = struct.unpack("%dQ" % N, f.read(N * 8))
    frames = {base + i * PAGE: pm[i] & ((1 << 55) - 1) for i in range(N) if pm[i] >> 63}
    if len(frames) != N // 2:
        sys.exit("pagemap shows %d present pages, %d were written" % (len(frames), N // 2))
    bad = []
    pid = str(os.getpid())
    if what == "walk":
        out = cli("walk", pid, "--range", "0x%x+0x%x" % (base, N * PAGE), "--json", *extra)
        leaves = {}
        for line in out.splitlines():
            o = json.loads(line)
            if "level" in o:
                leaves[int(o["va"], 16)] = o
        for va in range(base, base + N * PAGE, PAGE):
            leaf = leaves.get(va)
            if va in frames and (not leaf or leaf["pfn"] != frames[va]):
                bad.append("0x%x: pagemap frame 0x%x, walk %s" % (va, frames[va], leaf))
            elif va not in frames and leaf:
                bad.append("0x%x: no page in pagemap, walk %s" % (va, leaf))
    else:
        va = base + 2 * PAGE + 0x123
        o = json.loads(cli("translate", pid, "0x%x" % va, "--json", *extra))
        want = frames[va - 0x123] * PAGE + 0x123
        if o.get("pa") is None or int(o["pa"], 16) != want:
            bad.append("translate 0x%x: pa %s, pagemap says 0x%x" % (va, o.get("pa"), want))
        if what == "withheld":
            shown = [lv["name"] for lv in o["levels"] if lv["table_pa"] is not None]
            if o.get("cr3") is not None or shown:
                bad.append("table addresses shown: cr3 %s, table_pa of %s" % (o.get("cr3"), shown))
            if not o.get("withheld"):
                bad.append("no 'withheld' note")
    if bad:
        print("; ".join(bad[:8]))
        sys.exit(1)


main()
