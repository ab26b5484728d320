#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check a picture of `ptscope trace --svg` against the trace's own JSON.

trace_svg_check.py FILE.svg TRACE.json

TRACE.json: what `ptscope trace --json` printed (JSON Lines: one object
per fault, then {"summary": {...}}).  Checks, from the SVG itself:
 - exactly 1920x1080 (width, height, viewBox), nothing outside, no text
   under 18 px, no two texts overlap (tests/map_svg_check.py's rules);
 - the legend: one entry per class of the summary, its visible text
   "CLASS COUNT" with the summary's count, colours all different;
 - faults, drawn and not drawn: the picture's counts against the summary's
   events and the JSON's event lines; a picture that drops faults says
   how many;
 - the time axis: titled in seconds, ticks from 0 up to at most the
   trace's duration, evenly spaced;
 - the address ranges: sorted, disjoint, each labelled with its first and
   last address; every gap between two ranges labelled with its size;
 - the marks: each inside a range's band, in its class's legend colour;
   with nothing dropped, every fault of the JSON inside a range (whose
   fault count is the JSON's) and a mark of its class where its time and
   address put it.
Prints every failure; exit status 1 if any.
"""
import json
import os
import re
import sys
import xml.etree.ElementTree as ET

sys.dont_write_bytecode = True     # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import map_svg_check as msc  # noqa: E402

# the checkers' common parts: failures, numbers, texts (one failures list)
from map_svg_check import NS, failures, fail, num, text_of  # noqa: E402


def parse_size(s):
    m = re.search(r'([0-9.]+)([KMGTPE]?)B?\b', s)
    if not m:
        return None
    return float(m.group(1)) * (1 << (10 * ' KMGTPE'.index(m.group(2) or ' ')))


def main():
    svg_path, json_path = sys.argv[1], sys.argv[2]
    W, H = 1920, 1080
    root = ET.parse(svg_path).getroot()
    if root.get('width') != str(W) or root.get('height') != str(H):
        fail('size %sx%s' % (root.get('width'), root.get('height')))
    if root.get('viewBox') != '0 0 %d %d' % (W, H):
        fail('viewBox %s' % root.get('viewBox'))

    events, summary = [], None
    with open(json_path) as f:
        for line in f:
            line = line.strip()
            if not line.startswith('{'):
                continue
            o = json.loads(line)
            if 'summary' in o:
                summary = o['summary']
            elif 'address' in o:
                events.append((float(o['time']), int(o['address'], 16), o['class']))
    if summary is None:
        fail('no summary in %s' % json_path)
        return 1
    want = {k: v['count'] for k, v in summary['classes'].items()}

    # texts: sizes, inside, no overlaps (the rules of map_svg_check.py)
    eps = 0.01
    texts = msc.check_texts_and_rects(root, W, H, 1.0, eps)

    # the legend
    legend, colour = {}, {}
    for g in root.iter(NS + 'g'):
        if g.get('class') != 'legend-class':
            continue
        cls, cnt = g.get('data-class'), int(g.get('data-count'))
        shown = ' '.join(text_of(t) for t in g.iter(NS + 'text'))
        if shown != '%s %d' % (cls, cnt):
            fail('legend entry %r for %s %d' % (shown, cls, cnt))
        chips = [r for r in g.iter(NS + 'rect') if r.get('class') == 'chip']
        if len(chips) != 1:
            fail('legend entry %s has %d chips' % (cls, len(chips)))
        else:
            colour[cls] = chips[0].get('fill')
        legend[cls] = cnt
    if legend != want:
        fail('legend %r, the summary says %r' % (legend, want))
    if len(set(colour.values())) != len(colour):
        fail('legend colours repeat: %r' % colour)

    # counts
    seen, drawn = int(root.get('data-faults')), int(root.get('data-drawn'))
    dropped = int(root.get('data-dropped'))
    if seen != summary['events'] or seen != sum(want.values()):
        fail('%d faults in the picture, %d events in the summary (%d by class)' %
             (seen, summary['events'], sum(want.values())))
    if events and len(events) != seen:
        fail('%d faults in the picture, %d in the JSON' % (seen, len(events)))
    if dropped != seen - drawn or drawn < 0:
        fail('drawn %d, dropped %d of %d' % (drawn, dropped, seen))
    notes = ' '.join(text_of(t) for t in root.iter(NS + 'text') if t.get('class') == 'note')
    if dropped and str(dropped) not in re.findall(r'\d+', notes):
        fail('%d faults not drawn, not said: %r' % (dropped, notes))
    title = ' '.join(text_of(t) for t in root.iter(NS + 'text') if t.get('class') == 'title')
    if not re.search(r'\b%d faults?\b' % seen, title):
        fail('the title does not count %d faults: %r' % (seen, title))

    # the time axis
    duration = float(root.get('data-duration'))
    axes = [g for g in root.iter(NS + 'g') if g.get('class') == 'axis'
            and g.get('data-axis') == 'time']
    if len(axes) != 1:
        fail('%d time axes' % len(axes))
        return 1
    ax = axes[0]
    at = [text_of(t) for t in ax.iter(NS + 'text') if t.get('class') == 'axis-title']
    if len(at) != 1 or '(s)' not in at[0]:
        fail('time axis title %r' % at)
    ticks = [(num(t, 'x'), float(t.get('data-value')), text_of(t))
             for t in ax.iter(NS + 'text') if t.get('class') == 'tick']
    if len(ticks) < 2:
        fail('%d ticks' % len(ticks))
    else:
        if ticks[0][1] != 0:
            fail('the first tick is %r' % (ticks[0],))
        for x, v, s in ticks:
            if abs(float(s) - v) > 1e-9 + 1e-6 * v:
                fail('tick %r labelled %r' % (v, s))
        if ticks[-1][1] > max(duration, 1e-3) * (1 + 1e-6):
            fail('last tick %g after the end %g' % (ticks[-1][1], duration))
        dx = (ticks[1][0] - ticks[0][0]) / (ticks[1][1] - ticks[0][1])
        for x, v, s in ticks:
            if abs(ticks[0][0] + v * dx - x) > 0.6:
                fail('tick %s not to scale (x %.1f)' % (s, x))

    # the ranges
    ranges = []
    for g in root.iter(NS + 'g'):
        if g.get('class') != 'range':
            continue
        s, e = int(g.get('data-start'), 16), int(g.get('data-end'), 16)
        band = [r for r in g.iter(NS + 'rect') if r.get('class') == 'band']
        addrs = {text_of(t) for t in g.iter(NS + 'text') if t.get('class') == 'addr'}
        if addrs != {'0x%x' % s, '0x%x' % e}:
            fail('range %x-%x labelled %r' % (s, e, addrs))
        if len(band) != 1:
            fail('range %x-%x: %d bands' % (s, e, len(band)))
            continue
        b = band[0]
        ranges.append((s, e, num(b, 'x'), num(b, 'y'), num(b, 'width'), num(b, 'height'),
                       int(g.get('data-faults'))))
    ranges.sort()
    for a, b in zip(ranges, ranges[1:]):
        if b[0] < a[1]:
            fail('ranges overlap: %x-%x %x-%x' % (a[0], a[1], b[0], b[1]))
        if not b[3] + b[5] <= a[3]:
            fail('range %x-%x not above %x-%x' % (b[0], b[1], a[0], a[1]))
    gaps = {}
    for t in root.iter(NS + 'text'):
        if t.get('class') == 'gap':
            gaps[(int(t.get('data-start'), 16), int(t.get('data-end'), 16))] = text_of(t)
    for a, b in zip(ranges, ranges[1:]):
        lab = gaps.pop((a[1], b[0]), None)
        if lab is None:
            fail('gap %x-%x not labelled' % (a[1], b[0]))
            continue
        v = parse_size(lab)
        if v is None or abs(v - (b[0] - a[1])) > 0.06 * (b[0] - a[1]):
            fail('gap %x-%x labelled %r' % (a[1], b[0], lab))
    if gaps:
        fail('gap labels for no gap: %r' % gaps)
    if seen and not ranges:
        fail('faults but no range')

    def where(addr):
        for r in ranges:
            if r[0] <= addr < r[1]:
                return r
        return None

    # the marks
    marks = {}
    total_drawn = 0
    for g in root.iter(NS + 'g'):
        if g.get('class') != 'faults':
            continue
        cls = g.get('data-class')
        total_drawn += int(g.get('data-drawn'))
        if g.get('fill') != colour.get(cls):
            fail('marks of %s in %s, its legend colour is %s' %
                 (cls, g.get('fill'), colour.get(cls)))
        pts = marks.setdefault(cls, [])
        for r in g.iter(NS + 'rect'):
            cx = num(r, 'x') + num(r, 'width') / 2
            cy = num(r, 'y') + num(r, 'height') / 2
            pts.append((cx, cy))
            if not any(b[2] - 0.5 <= cx <= b[2] + b[4] + 0.5 and
                       b[3] - 1.5 <= cy <= b[3] + b[5] + 1.5 for b in ranges):
                fail('a %s mark at %.1f,%.1f in no range' % (cls, cx, cy))
        if not pts:
            fail('no mark of %s' % cls)
    if total_drawn != drawn:
        fail('%d faults drawn by class, %d in all' % (total_drawn, drawn))
    nmarks = sum(len(v) for v in marks.values())

    if events and not dropped:
        per = {}
        grid = {}
        for cls, pts in marks.items():
            for cx, cy in pts:
                grid.setdefault((cls, int(cx // 4), int(cy // 4)), []).append((cx, cy))
        missing = 0
        for t, addr, cls in events:
            r = where(addr)
            if r is None:
                fail('fault at 0x%x in no range' % addr)
                continue
            per[r[0]] = per.get(r[0], 0) + 1
            pg = addr & ~0xfff
            frac = (pg - r[0] + 2048) / (r[1] - r[0])
            ey = r[3] + r[5] - frac * r[5]
            ey = min(max(ey, r[3] + 3), r[3] + r[5] - 3)
            ex = r[2] + min(t / max(duration, 1e-3), 1.0) * r[4]
            ok = False
            for gx in range(int(ex // 4) - 1, int(ex // 4) + 2):
                for gy in range(int(ey // 4) - 1, int(ey // 4) + 2):
                    for cx, cy in grid.get((cls, gx, gy), ()):
                        if abs(cx - ex) <= 3.1 and abs(cy - ey) <= 3.1:
                            ok = True
            if not ok:
                missing += 1
                if missing <= 5:
                    fail('no %s mark near %.1f,%.1f (0x%x at %.6f s)' % (cls, ex, ey, addr, t))
        if missing > 5:
            fail('%d faults without their mark' % missing)
        for r in ranges:
            if per.get(r[0], 0) != r[6]:
                fail('range %x-%x says %d faults, the JSON %d' %
                     (r[0], r[1], r[6], per.get(r[0], 0)))
    print('%s: %d faults (%d drawn), %d classes, %d ranges, %d marks, %d ticks, %s' % (
        svg_path, seen, drawn, len(legend), len(ranges), nmarks, len(ticks),
        'ok' if not failures else 'FAILED'))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
