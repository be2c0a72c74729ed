#!/usr/bin/env python3
"""An SVG chart of attention time against sequence length from numpy_peer.py's JSON.

    python3 benchmarks/numpy_peer.py --full --json docs/performance.json
    python3 benchmarks/chart.py docs/performance.json          # -> docs/images/performance.svg

Log-log, one line per series: Heed full (Vector API), Heed chunked (Vector API), Heed chunked
(scalar) and NumPy's best attention, for one mask, depth and thread count of the run (by default
no mask, d = 64 and the most threads), plus a dotted line proportional to L^2 for reference. The
title names the machine and the command from the JSON. Plain Python: the SVG is written by hand.
"""

import argparse
import json
import math
import os
import sys
from xml.sax.saxutils import escape

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(os.path.dirname(HERE), "docs", "images", "performance.svg")

# (label, where the time is, colour, dash pattern)
SERIES = [
    ("Heed chunked, Vector API", ("heed", "chunkedVector"), "#1f77b4", ""),
    ("Heed full, Vector API", ("heed", "fullVector"), "#ff7f0e", ""),
    ("Heed chunked, scalar", ("heed", "chunkedScalar"), "#1f77b4", "6 4"),
    ("NumPy best (OpenBLAS)", ("numpy", None), "#444444", ""),
]
MASK_NAMES = {"none": "no mask", "causal": "causal mask", "padding": "key-padding mask"}

W, H = 720, 470
LEFT, RIGHT, TOP, BOTTOM = 72, 24, 78, 92


def machine_line(machine):
    """The machine that made the numbers: from the JSON, else from this machine's /proc/cpuinfo."""
    cpu, cores, simd = machine.get("cpu"), machine.get("cores"), machine.get("simd", "")
    if not cpu:
        try:
            with open("/proc/cpuinfo") as f:
                cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
        except (OSError, StopIteration):
            cpu = "unknown CPU"
        cores = os.cpu_count()
    java = machine.get("java", "")
    numpy = "NumPy %s (%s)" % (machine["numpy"], machine.get("blas", "?")) if machine.get("numpy") else ""
    return " · ".join(x for x in ("%s, %s cores %s" % (cpu, cores, simd), java, numpy) if x.strip())


def main(argv):
    p = argparse.ArgumentParser(prog="python3 benchmarks/chart.py", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("input", help="JSON written by numpy_peer.py --json")
    p.add_argument("-o", "--output", default=DEFAULT_OUT, help="the SVG (default docs/images/performance.svg)")
    p.add_argument("--mask", default="none", choices=sorted(MASK_NAMES), help="which mask's cells (default none)")
    p.add_argument("--depth", type=int, default=64, help="which depth (default 64)")
    p.add_argument("--threads", type=int, help="which thread count (default: the most in the run)")
    p.add_argument("--note", help="a line under the command, e.g. 'development run on a loaded machine'")
    args = p.parse_args(argv)

    with open(args.input) as f:
        run = json.load(f)
    cells = [c for c in run["attention"] if c["mask"] == args.mask and c["depth"] == args.depth]
    if not cells:
        sys.exit("chart.py: no %s cells with depth %d in %s" % (args.mask, args.depth, args.input))
    threads = args.threads or max(c["threads"] for c in cells)
    cells = sorted((c for c in cells if c["threads"] == threads), key=lambda c: c["tokens"])
    if len(cells) < 2:
        sys.exit("chart.py: fewer than two sequence lengths for mask=%s depth=%d threads=%d in %s"
                 % (args.mask, args.depth, threads, args.input))

    lines = []
    for label, (side, name), colour, dash in SERIES:
        points = []
        for c in cells:
            t = c["numpy_best_ms"] if side == "numpy" else c["ms"]["heed"].get(name)
            if t:
                points.append((c["tokens"], t))
        if points:
            lines.append((label, colour, dash, points))
    xs = [c["tokens"] for c in cells]
    ys = [t for _, _, _, pts in lines for _, t in pts]
    x0, x1 = math.log2(min(xs)), math.log2(max(xs))
    y0, y1 = math.floor(math.log10(min(ys))), math.ceil(math.log10(max(ys)))
    if y1 == y0:
        y1 += 1
    pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM

    def px(x):
        return LEFT + (math.log2(x) - x0) / (x1 - x0) * pw

    def py(y):
        return TOP + ph - (math.log10(y) - y0) / (y1 - y0) * ph

    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" '
           'font-family="Helvetica, Arial, sans-serif" font-size="12">' % (W, H, W, H),
           '<rect width="100%" height="100%" fill="white"/>']

    def text(x, y, s, anchor="start", size=12, weight="normal", fill="#222", extra=""):
        out.append('<text x="%.1f" y="%.1f" text-anchor="%s" font-size="%d" font-weight="%s" fill="%s"%s>%s</text>'
                   % (x, y, anchor, size, weight, fill, extra, escape(s)))

    b = cells[0]["batch_heads"]
    text(W / 2, 22, "Attention, [%d, L, %d] float64, %s, %d thread%s: time per call (lower is better)"
         % (b, args.depth, MASK_NAMES[args.mask], threads, "" if threads == 1 else "s"), "middle", 14, "bold")
    text(W / 2, 40, machine_line(run.get("machine", {})), "middle", 11, fill="#444")
    load = run.get("machine", {}).get("load_average_start")
    text(W / 2, 56, "%s of %s iterations per point%s" % (
        run.get("stat", "median"), run.get("settings", {}).get("iterations", "?"),
        "; load average %.1f at start" % load[0] if load else ""), "middle", 11, fill="#444")

    # Grid and axes: decades on y (with 2 and 5 between), each measured length on x.
    for e in range(y0, y1 + 1):
        for m in (1, 2, 5):
            v = m * 10 ** e
            if v > 10 ** y1:
                break
            y = py(v)
            out.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="%s" stroke-width="1"/>'
                       % (LEFT, LEFT + pw, y, y, "#ccc" if m == 1 else "#eee"))
            if m == 1 or y1 - y0 <= 2:
                text(LEFT - 6, y + 4, "%g" % v, "end", 11)
    for x in xs:
        out.append('<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="#eee" stroke-width="1"/>'
                   % (px(x), px(x), TOP, TOP + ph))
        text(px(x), TOP + ph + 16, str(x), "middle", 11)
    out.append('<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#888"/>' % (LEFT, TOP, pw, ph))
    text(LEFT + pw / 2, TOP + ph + 36, "tokens L = S (log scale)", "middle")
    text(18, TOP + ph / 2, "milliseconds per call (log scale)", "middle",
         extra=' transform="rotate(-90 18 %.1f)"' % (TOP + ph / 2))

    # A guide proportional to L², through the last point of the first series.
    ref_x, ref_y = lines[0][3][-1]
    gx0 = min(xs)
    gy0 = ref_y * (gx0 / ref_x) ** 2
    if gy0 > 0:
        gx0 = max(gx0, ref_x * math.sqrt(10 ** y0 / ref_y))
        out.append('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#999" stroke-dasharray="1 3"/>'
                   % (px(gx0), py(ref_y * (gx0 / ref_x) ** 2), px(ref_x), py(ref_y)))

    for label, colour, dash, points in lines:
        path = " ".join("%s%.1f,%.1f" % ("M" if i == 0 else "L", px(x), py(y)) for i, (x, y) in enumerate(points))
        out.append('<path d="%s" fill="none" stroke="%s" stroke-width="2"%s/>'
                   % (path, colour, ' stroke-dasharray="%s"' % dash if dash else ""))
        for x, y in points:
            out.append('<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>' % (px(x), py(y), colour))

    # Legend, top left inside the plot (time grows with L, so that corner is empty).
    lx, ly = LEFT + 12, TOP + 14
    entries = [(label, colour, dash) for label, colour, dash, _ in lines] + [("∝ L² (guide)", "#999", "1 3")]
    out.append('<rect x="%d" y="%d" width="190" height="%d" fill="white" fill-opacity="0.9" stroke="#ccc"/>'
               % (lx - 6, ly - 12, 18 * len(entries) + 6))
    for i, (label, colour, dash) in enumerate(entries):
        y = ly + 18 * i
        out.append('<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="%s" stroke-width="2"%s/>'
                   % (lx, lx + 24, y - 4, y - 4, colour, ' stroke-dasharray="%s"' % dash if dash else ""))
        text(lx + 30, y, label, size=11)

    # The command, wrapped at spaces to fit (monospace, about 6 px a character), and any note.
    words, rows = run.get("command", "").split(" "), [""]
    for word in words:
        if rows[-1] and len(rows[-1]) + 1 + len(word) > (W - 20) // 6:
            rows.append(word)
        else:
            rows[-1] = (rows[-1] + " " + word).strip()
    if args.note:
        rows.append(args.note)
    for i, row in enumerate(rows[-3:]):
        text(W / 2, H - 12 - 13 * (len(rows[-3:]) - 1 - i), row, "middle", 10, fill="#666",
             extra=' font-family="monospace"' if row != args.note else ' font-style="italic"')
    out.append("</svg>")
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    with open(args.output, "w") as f:
        f.write("\n".join(out) + "\n")
    print("wrote %s (%d series, %d lengths, mask=%s, d=%d, %d threads)"
          % (args.output, len(lines), len(cells), args.mask, args.depth, threads))


if __name__ == "__main__":
    main(sys.argv[1:])
