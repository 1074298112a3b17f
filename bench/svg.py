"""A small line chart as SVG text (no plotting library): the AMOC-style curves of docs/alerts.md and the
cost-against-history chart of docs/benchmarks/city-year.md."""

from __future__ import annotations

import math
from html import escape

COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf", "#7f7f7f")


def chart(title: str, x_label: str, y_label: str, lines: dict[str, list[tuple[float, float]]], *,
          x_log: bool = True, width: int = 720, height: int = 440) -> str:
    """`lines`: label → points (x, y); a label ending in " (C2)" is drawn dashed, in the colour of
    the same label without it."""
    left, right, top, bottom = 70, 210, 40, 55
    pts = [p for ps in lines.values() for p in ps if p[1] == p[1]]
    xs = [p[0] for p in pts if (p[0] > 0 or not x_log)]
    ys = [p[1] for p in pts]
    fx = (lambda v: math.log10(v)) if x_log else (lambda v: v)
    x0, x1 = fx(min(xs)), fx(max(xs))
    if x1 == x0:
        x1 = x0 + 1
    y0, y1 = 0.0, max(ys) * 1.05 if ys else 1.0
    w, h = width - left - right, height - top - bottom

    def px(x: float) -> float:
        return left + (fx(max(x, min(xs))) - x0) / (x1 - x0) * w

    def py(y: float) -> float:
        return top + h - (y - y0) / (y1 - y0) * h

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
           '<rect width="100%" height="100%" fill="white"/>',
           f'<text x="{left}" y="22" font-size="14">{escape(title)}</text>',
           f'<line x1="{left}" y1="{top + h}" x2="{left + w}" y2="{top + h}" stroke="black"/>',
           f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + h}" stroke="black"/>',
           f'<text x="{left + w / 2}" y="{height - 12}" text-anchor="middle">{escape(x_label)}</text>',
           f'<text x="16" y="{top + h / 2}" transform="rotate(-90 16 {top + h / 2})" text-anchor="middle">{escape(y_label)}</text>']
    ticks = [10 ** k for k in range(math.floor(x0), math.ceil(x1) + 1)] if x_log else _nice(min(xs), max(xs))
    for t in ticks:
        if x0 - 1e-9 <= fx(t) <= x1 + 1e-9:
            out.append(f'<line x1="{px(t):.1f}" y1="{top + h}" x2="{px(t):.1f}" y2="{top + h + 5}" stroke="black"/>')
            out.append(f'<text x="{px(t):.1f}" y="{top + h + 18}" text-anchor="middle">{t:g}</text>')
    for t in _nice(y0, y1):
        out.append(f'<line x1="{left - 5}" y1="{py(t):.1f}" x2="{left + w}" y2="{py(t):.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{left - 8}" y="{py(t) + 4:.1f}" text-anchor="end">{t:g}</text>')
    bases = list(dict.fromkeys(label.removesuffix(" (C2)") for label in lines))
    for i, (label, ps) in enumerate(lines.items()):
        colour = COLOURS[bases.index(label.removesuffix(" (C2)")) % len(COLOURS)]  # a class keeps its colour
        dash = ' stroke-dasharray="6 4"' if label.endswith("(C2)") else ""
        good = sorted(p for p in ps if p[1] == p[1] and (p[0] > 0 or not x_log))
        if good:
            path = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in good)
            out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>')
            out += [f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3" fill="{colour}"/>' for x, y in good]
        ly = top + 14 + i * 18
        out.append(f'<line x1="{left + w + 12}" y1="{ly - 4}" x2="{left + w + 36}" y2="{ly - 4}" stroke="{colour}" stroke-width="2"{dash}/>')
        out.append(f'<text x="{left + w + 42}" y="{ly}">{escape(label)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _nice(lo: float, hi: float, n: int = 5) -> list[float]:
    span = hi - lo
    if span <= 0:
        return [lo]
    step = 10 ** math.floor(math.log10(span / n))
    for m in (1, 2, 5, 10):
        if span / (step * m) <= n:
            step *= m
            break
    first = math.ceil(lo / step) * step
    return [round(first + k * step, 10) for k in range(int((hi - first) / step) + 1)]
