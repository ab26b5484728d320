#!/usr/bin/env python3
# tests/withheld_check.py withheld|shown: every walk, translate and ptcost
# answer of /dev/ptscope about this process, in both views, against the
# lockdown policy (Documentation/security.rst, "One policy for
# confidentiality"), for the shell-level guest checks (tests/lockdown-guest).
#
#   withheld   (lockdown confidentiality) no answer gives a page table's
#              physical address: every header has PTSCOPE_HDR_NO_TABLE_PA,
#              pgd_pa and user_pgd_pa 0, its text says "withheld" and
#              shows no "pgd at pa"; translate's levels have table_pa and
#              entry_pa 0 and no frame in the entries that point at tables
#   shown      (no lockdown, integrity) the opposite: every header has the
#              pgd's address, and no PTSCOPE_HDR_NO_TABLE_PA
#
# Prints what differs and exits 1, or exits 0 silently.
import mmap
import os
import struct
import sys

DEVICE = "/dev/ptscope"
REC_HEADER, REC_LEVEL = 1, 4
HDR_NO_TABLE_PA = 1 << 17
PFN_MASK = ((1 << 52) - 1) & ~0xfff


def answer(line):
    fd = os.open(DEVICE, os.O_RDWR | os.O_CLOEXEC)
    try:
        os.write(fd, line.encode())
        out = b""
        while True:
            b = os.read(fd, 1 << 16)
            if not b:
                return out
            out += b
    finally:
        os.close(fd)


def records(data):
    off = 0
    while off + 8 <= len(data):
        rtype, size = struct.unpack_from("<HH", data, off)
        if size < 8:
            raise ValueError("record of size %d at %d" % (size, off))
        yield rtype, data[off:off + size]
        off += size


def main():
    want = sys.argv[1]
    withheld = want == "withheld"
    m = mmap.mmap(-1, 4 * 4096, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    m[0] = 1
    import ctypes
    va = ctypes.addressof(ctypes.c_char.from_buffer(m))
    pid = os.getpid()
    reqs = {
        "walk": "op=walk pid=%d range=0x%x-0x%x" % (pid, va, va + 4 * 4096),
        "translate": "op=translate pid=%d va=0x%x" % (pid, va),
        "ptcost": "op=ptcost pid=%d" % pid,
    }
    bad = []
    for op, req in reqs.items():
        text = answer(req + " format=text").decode()
        head = text.splitlines()[0] if text else ""
        if withheld and ("withheld" not in head or "pa 0x" in head):
            bad.append("%s text header: %r" % (op, head))
        if not withheld and "pgd at pa 0x" not in head:
            bad.append("%s text header: %r" % (op, head))
        if withheld and op == "translate":
            for line in text.splitlines()[1:]:
                if "table_pa 0x" in line or "entry_pa 0x" in line:
                    bad.append("%s text: %r" % (op, line))
        levels = []
        for rtype, rec in records(answer(req + " format=records")):
            if rtype == REC_HEADER:
                pgd_pa, upgd_pa = struct.unpack_from("<QQ", rec, 48)
                flags = struct.unpack_from("<I", rec, 72)[0]
                hidden = bool(flags & HDR_NO_TABLE_PA)
                if withheld and (not hidden or pgd_pa or upgd_pa):
                    bad.append("%s records header: flags 0x%x pgd_pa 0x%x user_pgd_pa 0x%x"
                               % (op, flags, pgd_pa, upgd_pa))
                if not withheld and (hidden or not pgd_pa):
                    bad.append("%s records header: flags 0x%x pgd_pa 0x%x" % (op, flags, pgd_pa))
            elif rtype == REC_LEVEL:
                levels.append(struct.unpack_from("<QQQ", rec, 16) +
                              struct.unpack_from("<Q", rec, 56))
        if withheld:
            for i, (table_pa, entry_pa, entry, kentry) in enumerate(levels):
                above = i < len(levels) - 1
                if table_pa or entry_pa or (above and (entry | kentry) & PFN_MASK):
                    bad.append("%s level %d: table_pa 0x%x entry_pa 0x%x entry 0x%x kernel 0x%x"
                               % (op, i, table_pa, entry_pa, entry, kentry))
    if bad:
        print("; ".join(bad[:8]))
        sys.exit(1)


main()
