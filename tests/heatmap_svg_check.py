#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check a picture of `ptscope heatmap` from the SVG itself.

heatmap_svg_check.py FILE.svg ROWS [EXPECT]

Checks: the picture's size and viewBox agree and nothing is drawn outside;
no text under 18 px once shown at 1920x1080; no two texts overlap; both
axes are there and titled (time: "interval" and "time"; the plot: "pages"),
with the plot's two lines holding one point per row, row by row downwards;
exactly ROWS rows (<g class="row">), numbered 1..ROWS from the top down;
the populated ranges (<g class="range">) in address order, apart from each
other, each labelled with its start address, each gap between two of them
labelled with its size; every row has the same VMAs (<g class="vma-count">)
each inside a range, and its count of accessed pages is the sum of theirs;
a cell (rect) wholly inside a VMA none of whose pages were accessed in that
row is not drawn in an "accessed" colour, and one inside a VMA whose
present pages were all accessed is.

EXPECT: a file of lines "ROW START END ACCESSED [PRESENT]" (ROW a number,
"A-B", or "A-" up to the last row; START and END the VMA, hex): the row's
<g class="vma-count"> for that VMA must say exactly so many pages.
Prints every failure; exit status 1 if any.
"""
import os
import re
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import map_svg_check as msc  # noqa: E402 (the text boxes and sizes)

# the checkers' common parts: failures, numbers, texts (one failures list)
from map_svg_check import NS, failures, fail, num, text_of  # noqa: E402


def rows_of(spec, nrows):
    if '-' in spec:
        a, b = spec.split('-', 1)
        return range(int(a), (int(b) if b else nrows) + 1)
    return [int(spec)]


def main():
    path, nrows = sys.argv[1], int(sys.argv[2])
    root = ET.parse(path).getroot()
    W, H = int(root.get('width')), int(root.get('height'))
    if root.get('viewBox') != '0 0 %d %d' % (W, H):
        fail('viewBox %s for %dx%d' % (root.get('viewBox'), W, H))
    scale = min(1920.0 / W, 1080.0 / H)
    eps = 0.01
    msc.css_sizes(root)

    # texts: size, inside, no overlap
    texts = msc.check_texts_and_rects(root, W, H, scale, eps)

    # axes
    axes = {g.get('data-axis'): g for g in root.iter(NS + 'g') if g.get('class') == 'axis'}
    for name, words in (('time', ('interval', 'time')), ('pages', ('pages',))):
        g = axes.get(name)
        if g is None:
            fail('no %s axis' % name)
            continue
        titles = ' '.join(text_of(t) for t in g.iter(NS + 'text')
                          if t.get('class') == 'axis-title')
        for w in words:
            if w not in titles:
                fail('%s axis title %r does not say %r' % (name, titles, w))
        if not any(True for _ in g.iter(NS + 'line')):
            fail('%s axis has no line' % name)

    # rows
    rows = [g for g in root.iter(NS + 'g') if g.get('class') == 'row']
    if len(rows) != nrows:
        fail('%d rows, not %d' % (len(rows), nrows))
    if root.get('data-rows') != str(nrows):
        fail('data-rows %s' % root.get('data-rows'))
    acc_colors = set(r.get('fill') for r in root.iter(NS + 'rect')
                     if r.get('class') == 'chip' and r.get('data-look') == 'accessed')
    if len(acc_colors) != 4:
        fail('%d accessed colours in the legend' % len(acc_colors))
    last_y = -1
    vma_sets = None
    per_row = []
    for i, g in enumerate(rows):
        if g.get('data-interval') != str(i + 1):
            fail('row %d says interval %s' % (i + 1, g.get('data-interval')))
        cells = [r for r in g.iter(NS + 'rect') if r.get('class') is None]
        if not cells:
            fail('row %d has no cells' % (i + 1))
            continue
        y = num(cells[0], 'y')
        if any(abs(num(c, 'y') - y) > eps for c in cells):
            fail('row %d: cells at different heights' % (i + 1))
        if y <= last_y:
            fail('row %d is not below row %d' % (i + 1, i))
        last_y = y
        vc = [v for v in g.iter(NS + 'g') if v.get('class') == 'vma-count']
        key = [(v.get('data-start'), v.get('data-end')) for v in vc]
        if vma_sets is None:
            vma_sets = key
        elif key != vma_sets:
            fail('row %d has other VMAs than row 1' % (i + 1))
        total = sum(int(v.get('data-accessed')) for v in vc)
        if total != int(g.get('data-accessed')):
            fail('row %d: data-accessed %s, its VMAs %d' % (i + 1, g.get('data-accessed'), total))
        if int(g.get('data-cumulative')) < int(g.get('data-accessed')):
            fail('row %d: cumulative below accessed' % (i + 1))
        counts = {}
        for v in vc:
            a, p = int(v.get('data-accessed')), int(v.get('data-present'))
            counts[(int(v.get('data-start'), 16), int(v.get('data-end'), 16))] = (a, p)
            if a > p:
                fail('row %d: VMA %s accessed %d > present %d' % (i + 1, v.get('data-start'), a, p))
            x0, x1 = num(v, 'data-x0'), num(v, 'data-x1')
            for c in cells:
                cx0, cx1 = num(c, 'x'), num(c, 'x') + num(c, 'width')
                if cx0 < x0 - eps or cx1 > x1 + eps:
                    continue
                if a == 0 and c.get('fill') in acc_colors:
                    fail('row %d: a cell in VMA %s drawn accessed, none was' %
                         (i + 1, v.get('data-start')))
                full = (int(v.get('data-end'), 16) - int(v.get('data-start'), 16)) // 4096
                if a and a == full and c.get('fill') not in acc_colors:
                    fail('row %d: a cell in VMA %s not drawn accessed, all its pages were' %
                         (i + 1, v.get('data-start')))
        per_row.append(counts)

    # the plot: one point per row, downwards
    for cls in ('wss-line', 'wss-cumulative'):
        pl = [p for p in root.iter(NS + 'polyline') if p.get('class') == cls]
        if len(pl) != 1:
            fail('%d polylines %s' % (len(pl), cls))
            continue
        pts = [tuple(float(v) for v in p.split(',')) for p in pl[0].get('points').split()]
        if len(pts) != nrows:
            fail('%s has %d points for %d rows' % (cls, len(pts), nrows))
        if any(b[1] <= a[1] for a, b in zip(pts, pts[1:])):
            fail('%s does not go down row by row' % cls)
        key = 'data-accessed' if cls == 'wss-line' else 'data-cumulative'
        vals = [int(g.get(key)) for g in rows]
        for (a, va), (b, vb) in zip(zip(pts, vals), list(zip(pts, vals))[1:]):
            if (va < vb and not a[0] < b[0]) or (va > vb and not a[0] > b[0]) or \
                    (va == vb and abs(a[0] - b[0]) > eps):
                fail('%s: x does not follow %s' % (cls, key))

    # ranges and gaps
    ranges = []
    for g in root.iter(NS + 'g'):
        if g.get('class') != 'range':
            continue
        s, e = int(g.get('data-start'), 16), int(g.get('data-end'), 16)
        ranges.append((s, e))
        lab = [t for t in g.iter(NS + 'text') if t.get('class') == 'range-label']
        if len(lab) != 1 or text_of(lab[0]) != '0x%x' % s:
            fail('range %x-%x labelled %r' % (s, e, [text_of(t) for t in lab]))
    if not ranges:
        fail('no range')
    for a, b in zip(ranges, ranges[1:]):
        if b[0] <= a[1]:
            fail('ranges %x-%x and %x-%x not apart and in order' % (a + b))
    gaps = {}
    for e in root.iter(NS + 'text'):
        if e.get('class') == 'gap':
            gaps[(int(e.get('data-start'), 16), int(e.get('data-end'), 16))] = text_of(e)
    for a, b in zip(ranges, ranges[1:]):
        lab = gaps.get((a[1], b[0]))
        v = msc.parse_size(lab) if lab else None
        if v is None or abs(v - (b[0] - a[1])) > 0.06 * (b[0] - a[1]):
            fail('gap %x-%x labelled %r' % (a[1], b[0], lab))
    if len(gaps) != max(len(ranges) - 1, 0):
        fail('%d gap labels for %d gaps' % (len(gaps), max(len(ranges) - 1, 0)))
    for s, e in (vma_sets or []):
        s, e = int(s, 16), int(e, 16)
        if not any(r[0] <= s and e <= r[1] for r in ranges):
            fail('VMA %x-%x in no range' % (s, e))

    # what the test expects
    if len(sys.argv) > 3:
        with open(sys.argv[3]) as f:
            for line in f:
                w = line.split()
                if not w or w[0].startswith('#'):
                    continue
                for r in rows_of(w[0], nrows):
                    if r < 1 or r > len(per_row):
                        fail('expected row %d is not drawn' % r)
                        continue
                    key = (int(w[1], 16), int(w[2], 16))
                    got = per_row[r - 1].get(key)
                    if got is None:
                        fail('row %d: no VMA %x-%x' % ((r,) + key))
                    elif got[0] != int(w[3]) or (len(w) > 4 and got[1] != int(w[4])):
                        fail('row %d: VMA %x-%x has %d accessed of %d present, expected %s' %
                             ((r,) + key + got + (' of '.join(w[3:]),)))
    print('%s: %d rows, %d ranges, %d gaps, %d texts, %s' % (
        path, len(rows), len(ranges), len(gaps), len(texts), 'ok' if not failures else 'FAILED'))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
