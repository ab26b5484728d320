#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check a picture of `ptscope map` from the SVG itself.

map_svg_check.py FILE.svg WxH [VMAS]

VMAS: "-" (no VMA nor gap check), or a file of "START END" lines (hex), the VMAs the picture must hold,
in address order (what /proc/PID/maps says, cut to --range and chosen by
--vma).  Checks: the picture is exactly WxH (width, height, viewBox) and
nothing is drawn outside; no text under 18 px once the picture is shown
at 1920x1080; no two texts overlap (width estimated 0.6 x font size a
character); the legend's colours are all different, and no colour is
both a page state (cell) and a backing (bar, ribbon); one <g
class="vma"> per VMA; every gap between two VMAs is labelled with its
size.  Prints every failure; exit status 1 if any.
"""
import re
import sys
import xml.etree.ElementTree as ET

NS = '{http://www.w3.org/2000/svg}'
failures = []


def fail(msg):
    failures.append(msg)
    print('FAIL:', msg)


def num(e, k, d=0.0):
    v = e.get(k)
    return float(v) if v is not None else d


def text_of(e):
    return ''.join(e.itertext())


def parse_size(s):
    m = re.fullmatch(r'([0-9.]+)([KMGTPE]?)B?', s.strip())
    if not m:
        return None
    return float(m.group(1)) * (1 << (10 * ' KMGTPE'.index(m.group(2) or ' ')))


CSS = {}


def css_sizes(root):
    """font-size of 'text' and '.class' rules in <style> (older pictures)."""
    for st in root.iter(NS + 'style'):
        for sel, body in re.findall(r'([^{}]+)\{([^}]*)\}', st.text or ''):
            m = re.search(r'font-size:\s*([0-9.]+)px', body)
            if m:
                CSS[sel.strip()] = float(m.group(1))


def font_size(e):
    if e.get('font-size') is not None:
        return float(e.get('font-size'))
    for c in (e.get('class') or '').split():
        if '.' + c in CSS:
            return CSS['.' + c]
    return CSS.get('text', 16.0)


def text_box(e):
    fs = font_size(e)
    s = ''.join(e.itertext())
    w = 0.6 * fs * len(s)
    x, y = num(e, 'x'), num(e, 'y')
    anchor = e.get('text-anchor', 'start')
    x0 = x - w if anchor == 'end' else x - w / 2 if anchor == 'middle' else x
    return (x0, y - 0.8 * fs, x0 + w, y + 0.2 * fs, s)


def check_texts_and_rects(root, W, H, scale, eps=0.01):
    """Every text at least 18 px once shown at 1920x1080 (SCALE), inside the
    W x H picture, no two overlapping; every rect inside.  The text boxes."""
    texts = []
    for e in root.iter(NS + 'text'):
        fs = font_size(e)
        if fs * scale < 18 - eps:
            fail('text %r is %.1f px at 1920x1080' % (text_of(e), fs * scale))
        b = text_box(e)
        if b[0] < -eps or b[1] < -eps or b[2] > W + eps or b[3] > H + eps:
            fail('text %r outside the picture: %r' % (b[4], b[:4]))
        texts.append(b)
    texts.sort()
    for i, a in enumerate(texts):
        for b in texts[i + 1:]:
            if b[0] >= a[2]:
                break
            if a[1] < b[3] and b[1] < a[3]:
                fail('texts overlap: %r and %r' % (a[4], b[4]))
    for e in root.iter(NS + 'rect'):
        x, y, w, h = num(e, 'x'), num(e, 'y'), num(e, 'width'), num(e, 'height')
        if x < -eps or y < -eps or x + w > W + eps or y + h > H + eps:
            fail('rect outside the picture: %r' % ((x, y, w, h),))
    return texts


def main():
    path, size = sys.argv[1], sys.argv[2]
    W, H = (int(v) for v in size.split('x'))
    root = ET.parse(path).getroot()
    if root.get('width') != str(W) or root.get('height') != str(H):
        fail('size %sx%s, not %s' % (root.get('width'), root.get('height'), size))
    if root.get('viewBox') != '0 0 %d %d' % (W, H):
        fail('viewBox %s' % root.get('viewBox'))
    scale = min(1920.0 / W, 1080.0 / H)
    eps = 0.01
    css_sizes(root)

    texts = check_texts_and_rects(root, W, H, scale, eps)
    for e in root.iter(NS + 'line'):
        for k, lim in (('x1', W), ('x2', W), ('y1', H), ('y2', H)):
            if not -eps <= num(e, k) <= lim + eps:
                fail('line outside the picture: %s=%s' % (k, e.get(k)))

    chips = [e.get('fill') for e in root.iter(NS + 'rect') if e.get('class') == 'chip']
    if len(chips) != len(set(chips)):
        fail('legend colours repeat: %r' % chips)
    if len(chips) < 10:
        fail('legend has %d colours' % len(chips))
    cells = set()
    bars = set()
    for g in root.iter(NS + 'g'):
        if g.get('class') == 'vma':
            cells.update(r.get('fill') for r in g.iter(NS + 'rect'))
    for e in root.iter(NS + 'rect'):
        if e.get('class') == 'ribbon-vma':
            bars.add(e.get('fill'))
    both = cells & bars
    if both:
        fail('colours both page state and backing: %r' % both)
    if not cells <= set(chips) or not bars <= set(chips):
        fail('colours not in the legend: %r' % ((cells | bars) - set(chips)))

    vmas = [(int(g.get('data-start'), 16), int(g.get('data-end'), 16))
            for g in root.iter(NS + 'g') if g.get('class') == 'vma']
    gaps = {}
    for e in root.iter(NS + 'text'):
        if e.get('class') == 'gap' and e.get('data-start'):
            gaps[(int(e.get('data-start'), 16), int(e.get('data-end'), 16))] = \
                ''.join(e.itertext())
    if len(sys.argv) > 3 and sys.argv[3] == "-":
        want = None
    elif len(sys.argv) > 3:
        want = []
        with open(sys.argv[3]) as f:
            for line in f:
                s, e = line.split()[:2]
                want.append((int(s, 16), int(e, 16)))
        if vmas != want:
            fail('VMAs %s, expected %s' % (
                ' '.join('%x-%x' % v for v in vmas), ' '.join('%x-%x' % v for v in want)))
    else:
        want = vmas
    n = 0
    for a, b in zip(want or [], (want or [])[1:]):
        if b[0] <= a[1]:
            continue
        n += 1
        lab = gaps.get((a[1], b[0]))
        if lab is None:
            fail('gap %x-%x has no label' % (a[1], b[0]))
            continue
        v = parse_size(lab)
        if v is None or abs(v - (b[0] - a[1])) > 0.06 * (b[0] - a[1]):
            fail('gap %x-%x labelled %r' % (a[1], b[0], lab))
    if want is not None and len(gaps) != n:
        fail('%d gap labels for %d gaps' % (len(gaps), n))
    print('%s: %d VMAs, %d gaps, %d texts, %s' % (
        path, len(vmas), n, len(texts), 'ok' if not failures else 'FAILED'))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
