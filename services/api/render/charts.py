"""Charts of the printable page as inline SVG, drawn on the server: no JavaScript, no fonts or
images to fetch, so the page prints the same everywhere. Every string from the report is escaped;
a missing figure leaves its bar or point out instead of drawing it as 0. The annual report has
the monthly and the category chart; the brief the daily trend against its expected band and the
departments' ranking.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from html import escape
from typing import Any, TypeVar

from services.api.render.model import block, department, records
from services.api.report import labels as L

T = TypeVar("T")

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


def _y_axis(ticks: Sequence[float], y: Callable[[float], float], left: int, right: int) -> list[str]:
    """The count axis: a grid line and its label per tick."""
    return [f'<line x1="{left}" x2="{right}" y1="{y(t):.1f}" y2="{y(t):.1f}" stroke="{_GRID}"/>'
            f'<text x="{left - 6}" y="{y(t) + 4:.1f}" text-anchor="end" fill="{_MUTED}">{_count(t)}</text>'
            for t in ticks]


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
    out = _y_axis(ticks, y, left, w - right)
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


# ---- the brief's charts --------------------------------------------------------------------------

BAND_COLOUR = "#fbd38d"  # the expected band of the trend chart, opaque under the bars
EXPECTED_COLOUR = "#c05621"  # the expected line inside the band
RANK_COLOUR = "#2c7a7b"  # the departments' scores
RANKED_AT_MOST = 20  # bars of the ranking chart; the table lists every department


def _runs(values: Sequence[T | None]) -> list[list[tuple[int, T]]]:
    """Runs of consecutive days with a value, as (index, value): a band or a line is drawn only
    where it exists, never bridged across a day without one."""
    runs: list[list[tuple[int, T]]] = []
    for i, v in enumerate(values):
        if v is None:
            continue
        if runs and runs[-1][-1][0] == i - 1:
            runs[-1].append((i, v))
        else:
            runs.append([(i, v)])
    return runs


def _points(xy: Iterable[tuple[float, float]]) -> str:
    """SVG points of a step line: one day ends where the next begins, so a point repeated is dropped."""
    out: list[str] = []
    for px, py in xy:
        p = f"{px:.1f},{py:.1f}"
        if not out or out[-1] != p:
            out.append(p)
    return " ".join(out)


def _day_label(day: str, many: bool) -> str:
    # A week's axis has room for "06-17"; a month's for the day of the month.
    if len(day) != 10:
        return day
    return str(int(day[8:])) if many else day[5:]


def trend_chart(doc: Mapping[str, Any]) -> str:
    """Bars of each day's demands over the expected band (shaded from low to high, one step a day:
    a working day and a rest day have bands of their own, so the band is not drawn as a slope
    between them) and the expected line; days without a band get their bar only."""
    t = block(doc.get("trend"))
    days = records(t.get("days"))
    title = str(t.get("label") or "每日诉求量与预期区间")
    if not days:
        return _empty(title)
    w, h, left, right, top, bottom = 760, 320, 64, 16, 36, 40
    pw, ph = w - left - right, h - top - bottom
    demands = [_num(d.get("demands")) for d in days]
    lows, highs, expected = ([_num(d.get(k)) for d in days] for k in ("low", "high", "expected"))
    bands = [(lo, hi) if lo is not None and hi is not None else None for lo, hi in zip(lows, highs, strict=True)]
    values = [v for v in (*demands, *highs, *expected) if v is not None]
    ymax, ticks = _ticks(max(values, default=0))
    y = lambda v: top + ph - ph * v / ymax  # noqa: E731 - a scale, read as one
    slot = pw / len(days)
    x = lambda i: left + slot * i  # noqa: E731
    out = _y_axis(ticks, y, left, w - right)
    for run in _runs(bands):
        upper = _points((x(i + k), y(hi)) for i, (_, hi) in run for k in (0, 1))
        lower = _points((x(i + k), y(lo)) for i, (lo, _) in reversed(run) for k in (1, 0))
        out.append(f'<polygon fill="{BAND_COLOUR}" stroke="none" points="{upper} {lower}"/>')
    many = len(days) > 10
    for i, (d, n) in enumerate(zip(days, demands, strict=True)):
        cx = x(i + 0.5)
        if n is not None:
            band = bands[i]
            tip = f"{d.get('day')} {n:g}" + (f"（预期 {expected[i]:g}，区间 {band[0]:g}–{band[1]:g}）"
                                             if band is not None and expected[i] is not None else "")
            out.append(f'<rect x="{cx - slot * 0.3:.1f}" y="{y(n):.1f}" width="{slot * 0.6:.1f}" '
                       f'height="{top + ph - y(n):.1f}" fill="{BAR_COLOUR}"><title>{escape(tip)}</title></rect>')
        # Rest days' dates in grey: the band changes with the day type.
        colour = _MUTED if d.get("workday") is False else _INK
        out.append(f'<text x="{cx:.1f}" y="{h - bottom + 16}" text-anchor="middle" fill="{colour}">'
                   f'{escape(_day_label(str(d.get("day") or ""), many))}</text>')
    for line in _runs(expected):
        points = _points((x(i + k), y(e)) for i, e in line for k in (0, 1))
        out.append(f'<polyline fill="none" stroke="{EXPECTED_COLOUR}" stroke-width="2" stroke-dasharray="6 3" '
                   f'points="{points}"/>')
    out.append(f'<line x1="{left}" x2="{w - right}" y1="{top + ph}" y2="{top + ph}" stroke="{_INK}"/>')
    legend = [(BAR_COLOUR, "诉求量")]
    if any(b is not None for b in bands):
        legend.append((BAND_COLOUR, "预期区间"))
    if any(e is not None for e in expected):
        legend.append((EXPECTED_COLOUR, "预期"))
    out.append(_legend(left, 18, legend))
    return _svg(w, h, title, out)


def ranking_chart(doc: Mapping[str, Any]) -> str:
    """Horizontal bars of the departments' scores, best first, at most RANKED_AT_MOST; a
    department without a score has no bar (the table lists it, last)."""
    scored = [(r, s) for r in records(block(doc.get("departments")).get("rows"))
              if (s := _num(r.get("score"))) is not None]
    scored.sort(key=lambda rs: -rs[1])  # stable: the document's order (its ties) stays
    title = "部门综合得分排名" + (f"（前{RANKED_AT_MOST}名）" if len(scored) > RANKED_AT_MOST else "")
    if not scored:
        return _empty(title)
    scored = scored[:RANKED_AT_MOST]
    w, left, label_w, bar_h, gap, head = 760, 16, 190, 18, 6, 24
    pw = w - left - label_w - 60
    smax = max(100.0, max(s for _, s in scored))  # a score is a weighted mean of percentages
    x0 = left + label_w
    height = head + len(scored) * (bar_h + gap) + 8
    out = []
    for tick in range(0, 101, 20):
        tx = x0 + pw * tick / smax
        out.append(f'<line x1="{tx:.1f}" x2="{tx:.1f}" y1="{head - 4}" y2="{height - 8}" stroke="{_GRID}"/>'
                   f'<text x="{tx:.1f}" y="{head - 8}" text-anchor="middle" fill="{_MUTED}">{tick}</text>')
    y = head
    for r, s in scored:
        rank = r.get("rank")
        name = _short(department(r.get("department")))
        label = f"{rank}. {name}" if isinstance(rank, int) and not isinstance(rank, bool) else name
        bw = max(pw * s / smax, 1)
        out.append(f'<text x="{x0 - 8}" y="{y + 14}" text-anchor="end" fill="{_INK}">{escape(label)}</text>'
                   f'<rect x="{x0}" y="{y}" width="{bw:.1f}" height="{bar_h}" fill="{RANK_COLOUR}"/>'
                   f'<text x="{x0 + bw + 6:.1f}" y="{y + 14}" fill="{_INK}">{s:.2f}</text>')
        y += bar_h + gap
    return _svg(w, height, title, out)
