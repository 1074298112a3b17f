"""Charts of the printable page as inline SVG, drawn on the server: no JavaScript, no fonts or
images to fetch, so the page prints the same everywhere. Every string from the report is escaped;
a missing figure leaves its bar or point out instead of drawing it as 0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from services.api.report import labels as L

BAR_COLOUR = "#2b6cb0"  # demands, consult shares; tests look for it in the screenshot
LINE_COLOUR = "#dd6b20"  # answered calls
BAR2_COLOUR = "#2f855a"  # non-consult shares
_GRID, _INK, _MUTED = "#d9d9d9", "#222222", "#666666"


def _num(v: Any) -> float | None:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def _svg(width: int, height: int, title: str, body: Sequence[str]) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-size="12"><title>{escape(title)}</title>{"".join(body)}</svg>')


def _empty(title: str, width: int = 760) -> str:
    return _svg(width, 60, title, [f'<text x="{width // 2}" y="35" text-anchor="middle" fill="{_MUTED}">'
                                   f'{escape(title)}：无数据</text>'])


def _ticks(top: float) -> tuple[float, list[float]]:
    """A round axis maximum at or above `top` and its ticks: at most 6 steps of 1, 2, 2.5 or 5 × 10^k."""
    if top <= 0:
        return 1.0, [0, 0.25, 0.5, 0.75, 1.0]
    mag = 10 ** math.floor(math.log10(top / 6))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if top / (m * mag) <= 6)
    n = math.ceil(top / step - 1e-9)
    return step * n, [step * i for i in range(n + 1)]


def _count(v: float) -> str:
    # Chinese reports write large counts in 万 (10 000).
    return f"{v / 10000:g}万" if v >= 10000 else f"{v:g}"


def _short(name: str, limit: int = 14) -> str:
    # The label column is ~14 characters wide; the table beside the chart has the full name.
    return name if len(name) <= limit else name[:limit - 1] + "…"


def _month(m: str) -> str:
    tail = m.rsplit("-", 1)[-1]
    return f"{int(tail)}月" if tail.isdigit() and len(m) == 7 else m


def monthly_chart(report: Mapping[str, Any]) -> str:
    """Bars of monthly demands and a line of monthly answered calls, on one count axis."""
    m = report.get("monthly") if isinstance(report.get("monthly"), dict) else {}
    rows = [r for r in (m.get("rows") or []) if isinstance(r, dict)]
    names = {**L.monthly_columns(30), **(m.get("columns") or {})}
    title = str(m.get("label") or L.MONTHLY)
    if not rows:
        return _empty(title)
    w, h, left, right, top, bottom = 760, 320, 64, 16, 36, 40
    pw, ph = w - left - right, h - top - bottom
    values = [v for r in rows for v in (_num(r.get("demands")), _num(r.get("calls_answered"))) if v is not None]
    ymax, ticks = _ticks(max(values, default=0))
    y = lambda v: top + ph - ph * v / ymax  # noqa: E731 - a scale, read as one
    slot = pw / len(rows)
    out = []
    for t in ticks:
        out.append(f'<line x1="{left}" x2="{w - right}" y1="{y(t):.1f}" y2="{y(t):.1f}" stroke="{_GRID}"/>'
                   f'<text x="{left - 6}" y="{y(t) + 4:.1f}" text-anchor="end" fill="{_MUTED}">{_count(t)}</text>')
    points = []
    for i, r in enumerate(rows):
        cx = left + slot * (i + 0.5)
        d, c = _num(r.get("demands")), _num(r.get("calls_answered"))
        if d is not None:
            out.append(f'<rect x="{cx - slot * 0.35:.1f}" y="{y(d):.1f}" width="{slot * 0.7:.1f}" '
                       f'height="{top + ph - y(d):.1f}" fill="{BAR_COLOUR}"><title>{escape(str(r.get("month")))} '
                       f'{d:g}</title></rect>')
        if c is not None:
            points.append((cx, y(c)))
        out.append(f'<text x="{cx:.1f}" y="{h - bottom + 16}" text-anchor="middle" fill="{_INK}">'
                   f'{escape(_month(str(r.get("month") or "")))}</text>')
    if points:
        out.append(f'<polyline fill="none" stroke="{LINE_COLOUR}" stroke-width="2.5" points="'
                   + " ".join(f"{x:.1f},{py:.1f}" for x, py in points) + '"/>')
        out.extend(f'<circle cx="{x:.1f}" cy="{py:.1f}" r="3.5" fill="{LINE_COLOUR}"/>' for x, py in points)
    out.append(f'<line x1="{left}" x2="{w - right}" y1="{top + ph}" y2="{top + ph}" stroke="{_INK}"/>')
    out.append(_legend(left, 18, [(BAR_COLOUR, names["demands"]), (LINE_COLOUR, names["calls_answered"])]))
    return _svg(w, h, title, out)


def _legend(x: int, y: int, items: Sequence[tuple[str, str]]) -> str:
    parts = []
    for colour, text in items:
        parts.append(f'<rect x="{x}" y="{y - 10}" width="14" height="12" fill="{colour}"/>'
                     f'<text x="{x + 20}" y="{y}" fill="{_INK}">{escape(text)}</text>')
        x += 40 + 13 * len(text)
    return "".join(parts)


def category_chart(report: Mapping[str, Any]) -> str:
    """Horizontal bars of the TOP categories' shares of consult and of non-consult demands."""
    t = report.get("top_categories") if isinstance(report.get("top_categories"), dict) else {}
    title = f"{t.get('label') or L.top_categories(5)}占比(%)"
    groups = [(L.KINDS[k], colour, [r for r in (t.get(k) or []) if isinstance(r, dict)])
              for k, colour in (("consult", BAR_COLOUR), ("non_consult", BAR2_COLOUR))]
    if not any(rows for _, _, rows in groups):
        return _empty(title)
    w, left, label_w, bar_h, gap = 760, 16, 190, 20, 6
    shares = [s for _, _, rows in groups for r in rows if (s := _num(r.get("share_pct"))) is not None]
    smax = max(max(shares, default=0), 1.0)
    pw = w - left - label_w - 80
    out, y = [], 8
    for name, colour, rows in groups:
        out.append(f'<text x="{left}" y="{y + 14}" font-weight="bold" fill="{_INK}">{escape(name)}</text>')
        y += 22
        for r in rows:
            s = _num(r.get("share_pct"))
            out.append(f'<text x="{left + label_w - 8}" y="{y + 15}" text-anchor="end" fill="{_INK}">'
                       f'{escape(_short(str(r.get("category") or "")))}</text>')
            if s is not None:
                bw = max(pw * s / smax, 1)
                out.append(f'<rect x="{left + label_w}" y="{y}" width="{bw:.1f}" height="{bar_h}" fill="{colour}"/>'
                           f'<text x="{left + label_w + bw + 6:.1f}" y="{y + 15}" fill="{_INK}">{s:.2f}%</text>')
            else:
                out.append(f'<text x="{left + label_w + 6}" y="{y + 15}" fill="{_MUTED}">-</text>')
            y += bar_h + gap
        y += 10
    return _svg(w, y, title, out)
