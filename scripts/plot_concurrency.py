#!/usr/bin/env python3
"""Turn latency against concurrency, from `switchboard loadgen --json` reports.

    scripts/plot_concurrency.py OUT.svg REPORT.json [REPORT.json ...]

Each report is one run at one concurrency (its `config.calls`); the plot
shows the caller's turn latency p50, p95 and p99 per run on a log-scaled
concurrency axis, with the 350 ms (p50) and 700 ms (p95) targets drawn in.
Standard library only: the SVG is written by hand.
"""
import json
import math
import sys


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    out, paths = sys.argv[1], sys.argv[2:]
    runs = []
    for p in paths:
        r = json.load(open(p))
        t = r["caller"]["turn_latency_ms"]
        runs.append((r["config"]["calls"], t["p50"], t["p95"], t["p99"], t["count"]))
    runs.sort()
    w, h, left, right, top, bottom = 640, 400, 70, 20, 30, 50
    xs = [c for c, *_ in runs]
    xmin, xmax = math.log2(min(xs)), math.log2(max(xs))
    ymax = max(max(p99 for _, _, _, p99, _ in runs), 700) * 1.1

    def x(c):
        span = (xmax - xmin) or 1
        return left + (math.log2(c) - xmin) / span * (w - left - right)

    def y(ms):
        return top + (1 - ms / ymax) * (h - top - bottom)

    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">',
           f'<rect width="{w}" height="{h}" fill="white"/>',
           f'<text x="{w / 2}" y="18" text-anchor="middle" font-size="14">Turn latency against concurrent calls (agent mode)</text>']
    step = 500 if ymax > 2000 else 250
    for ms in range(0, int(ymax) + 1, step):
        svg.append(f'<line x1="{left}" x2="{w - right}" y1="{y(ms):.1f}" y2="{y(ms):.1f}" stroke="#eee"/>')
        svg.append(f'<text x="{left - 6}" y="{y(ms) + 4:.1f}" text-anchor="end">{ms}</text>')
    for c in xs:
        svg.append(f'<text x="{x(c):.1f}" y="{h - bottom + 18}" text-anchor="middle">{c}</text>')
    svg.append(f'<text x="{w / 2}" y="{h - 10}" text-anchor="middle">concurrent calls</text>')
    svg.append(f'<text x="16" y="{h / 2}" transform="rotate(-90 16 {h / 2})" text-anchor="middle">ms, end of speech to bot audio</text>')
    for ms, label in ((350, "p50 target"), (700, "p95 target")):
        svg.append(f'<line x1="{left}" x2="{w - right}" y1="{y(ms):.1f}" y2="{y(ms):.1f}" stroke="#999" stroke-dasharray="4 4"/>')
        svg.append(f'<text x="{w - right - 4}" y="{y(ms) - 4:.1f}" text-anchor="end" fill="#777">{label} {ms} ms</text>')
    for i, (name, colour) in enumerate((("p50", "#1f77b4"), ("p95", "#ff7f0e"), ("p99", "#d62728"))):
        pts = " ".join(f"{x(c):.1f},{y(r[i + 1]):.1f}" for c, *r0 in runs for r in [(c, *r0)])
        svg.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for c, *rest in runs:
            svg.append(f'<circle cx="{x(c):.1f}" cy="{y(rest[i]):.1f}" r="3" fill="{colour}"/>')
        svg.append(f'<text x="{left + 10 + i * 60}" y="{top + 14}" fill="{colour}">{name}</text>')
    svg.append("</svg>")
    open(out, "w").write("\n".join(svg))
    for c, p50, p95, p99, n in runs:
        print(f"{c:>4} calls: {n:>3} turns, p50 {p50:.0f} ms, p95 {p95:.0f} ms, p99 {p99:.0f} ms")


if __name__ == "__main__":
    main()
