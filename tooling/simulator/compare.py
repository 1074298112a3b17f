"""Compare a city profile's published figures with the annual report the platform computed from
the simulated events: one Row per event-derived figure of the profile. Pure: the caller loads
the profile and fetches the report; the demo prints format_table, the fidelity test asserts.

Which figures: every number of the profile's event tables (demands, calls, efficiency,
linkage_110, talent_line, maishangyi_demands, tags, top_departments, top_categories, monthly);
labels, columns, texts and the head (about, city, year, timezone) are not figures, nor is a null.
Rows of TOP-N tables, tags and months are matched by name (department, category, tag, month),
never by position. A figure the report lacks fails ("absent from the report", or "not in the
computed top list" for a TOP-N row: the report's top_n must cover the profile's rows).

Rules, by measure (tolerances are absolute, in the figure's unit):
- count (totals, calls, tickets, evaluations, transfers, TOP-N and tag counts): expected =
  published x scale. Exact at scale 1. At any other scale the simulator apportions each published
  count to whole numbers separately (largest remainder), so: tolerance 1, and 2 for figures that
  add two apportioned parts (demands.rows.all.*, calls.all.count, linkage_110.transfers_total,
  top_departments.dispatched_total, top_categories.all[*].count).
- rate (a `_pct` key, share_pct included): expected = published; tolerance max(0.05, 100/den)
  percentage points, den being the count the rate is taken over, read from the computed report
  (else the profile's at this scale): service level and answer rate over calls.inbound.offered
  (answered when the report's service-level denominator is not offered), over_10min_pct over that
  row's answered calls, completion rate over demands.rows.all.department, response rate over
  evaluation_requests, the satisfactions over evaluation_responses, 110 on-time completion over
  from_110, 110 satisfaction over the estimate max(1, from_110 x evaluation_responses /
  demands.rows.all.total), shares over their kind's total (efficiency.consult.count,
  efficiency.non_consult.count, demands.rows.all.total), top_departments.dispatched_total or
  demands.rows.all.total (tags). An unknown denominator leaves 0.05 pp.
- average (avg_wait_s, avg_talk_s, avg_handling_workdays, longest_talk_s): expected = published,
  within 1 % of it.
- yoy (every value under a yoy_pct key, and a TOP-N row's yoy_pct): expected = published;
  tolerance max(0.5, g) pp. For a count, g = (100 + y) x (1/cur + 1/prev), cur being the
  compared count in the report at this scale, prev = cur / (1 + y/100): one unit either year.
  For a rate or average g = 0, and cur is its denominator. cur or prev under 100: not checked.
  The compared figure follows assemble.py's _yoy_tables (calls.yoy_pct.service_level_30s is
  calls.inbound.service_level_30s_pct, demands.yoy_pct.citizen.phone is demands.rows.citizen.phone).

Published inconsistencies: where other published figures decide a value, expected is that value
(the platform computes it from events, it does not copy a misprint) and the note says "published
X is inconsistent: ...":
a) calls.all.avg_talk_s is the call-weighted mean of the inbound and outbound averages over
   calls.inbound.answered and calls.outbound.count; a row whenever those four are published,
   flagged when the printed value is more than 1 % off. A value printed only in the report's
   text is taken from the profile's published_inconsistencies ("calls.all avg talk time is
   printed as 292 s").
b) a share_pct of a TOP-N or tag row is its count / its kind's total (2 decimals), flagged when
   the printed share is neither the rounding nor the truncation to 2 decimals of its own printed
   count / total.
c) top_categories.all[c].count is consult + non-consult when c is in both published lists,
   flagged when printed otherwise; its share then follows from the corrected count.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from tooling.simulator import compare_rules as rules
from tooling.simulator.compare_rules import INCONSISTENT, Measure, Path, lookup, number

YOY_LABEL = "同比(%)"
TOO_FEW = "fewer than 100 at this scale"
_COLUMN_FALLBACK = {"count": "数量(件)", "share_pct": "占比(%)"}
_KIND_FALLBACK = {"consult": "咨询类", "non_consult": "非咨询类", "all": "总计"}


@dataclass(frozen=True)
class Row:
    path: str
    label: str
    measure: Measure
    published: float | None  # as printed in the profile
    expected: float  # what the platform must compute at this scale
    computed: float | None  # from the report
    tolerance: float  # absolute, in the figure's unit
    ok: bool | None  # None: not checked, the note says why
    note: str


def compare(profile: dict, report: dict, scale: float = 1.0) -> list[Row]:
    """One row per event-derived figure of `profile`, checked against `report` at `scale`."""
    if not scale > 0:
        raise ValueError(f"scale must be positive, not {scale!r}")
    figures = dict(_figures(profile))
    for path in rules.PLATFORM_DERIVED:
        if path not in figures and rules.derive(path, None, profile) is not None:
            figures = _insert_after_table_row(figures, path, rules.printed_in_text(profile, path))
    return [_row(path, published, profile, report, scale) for path, published in figures.items()]


def inconsistencies(rows: Iterable[Row]) -> list[Row]:
    """Rows whose expected differs from the published value because the profile contradicts itself."""
    return [r for r in rows if INCONSISTENT in r.note]


def summary(rows: Iterable[Row]) -> dict[str, int]:
    oks = [r.ok for r in rows]
    passed, failed = oks.count(True), oks.count(False)
    return {"checked": passed + failed, "passed": passed, "failed": failed, "skipped": oks.count(None)}


def _figures(profile: dict) -> Iterator[tuple[Path, float]]:
    for table in rules.EVENT_TABLES:
        if isinstance(profile.get(table), dict):
            yield from _walk(profile[table], (table,))


def _walk(node: object, path: Path) -> Iterator[tuple[Path, float]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key not in rules.NOT_FIGURES:
                yield from _walk(value, path + (key,))
    elif isinstance(node, list):
        for row in node:
            name = rules.row_name(row) if isinstance(row, dict) else None
            if name is not None:
                at = path[:-1] + (f"{path[-1]}[{name}]",)
                for key, value in row.items():
                    if key not in rules.NAME_KEYS and key not in rules.NOT_FIGURES:
                        yield from _walk(value, at + (key,))
    elif (value := number(node)) is not None:
        yield path, value


def _insert_after_table_row(figures: dict, path: Path, published: float | None) -> dict:
    """Place a figure the profile does not print next to its row (or table) in the table order."""
    keys = list(figures)
    for prefix in (path[:-1], path[:1]):
        at = [i for i, k in enumerate(keys) if k[:len(prefix)] == prefix]
        if at:
            keys.insert(at[-1] + 1, path)
            break
    else:
        keys.append(path)
    return {k: published if k == path else figures[k] for k in keys}


def _row(path: Path, published: float | None, profile: dict, report: dict, scale: float) -> Row:
    kind = rules.measure(path)
    computed = number(lookup(report, path))
    notes: list[str] = []
    ok: bool | None = None
    if kind == "yoy":
        expected = published
        tolerance, skip = _yoy_tolerance(path, published, profile, report, scale)
        notes.append(skip)
    else:
        derived = rules.derive(path, published, profile)
        base = derived.value if derived else published
        notes.append(derived.note if derived else "")
        expected = round(base * scale, 6) if kind == "count" else base
        tolerance, why = _tolerance(kind, path, expected, profile, report, scale)
        notes.append(why)
        skip = ""
    if not skip:
        if computed is None:
            missing = rules.row_missing(report, path)
            notes.append("not in the computed top list" if missing else "absent from the report")
            ok = False
        else:
            ok = abs(computed - expected) <= tolerance + 1e-9
    return Row(".".join(path), _label(path, profile, report), kind, published, expected, computed,
               tolerance, ok, "; ".join(n for n in notes if n))


def _tolerance(kind: Measure, path: Path, expected: float, profile: dict, report: dict,
               scale: float) -> tuple[float, str]:
    if kind == "count":
        return rules.count_tolerance(path, scale), ""
    if kind == "average":
        return 0.01 * abs(expected), ""
    den = rules.denominator(path, report, profile, scale)
    if not den:
        return 0.05, "denominator unknown"
    return max(0.05, 100.0 / den), ""


def _yoy_tolerance(path: Path, y: float, profile: dict, report: dict, scale: float) -> tuple[float, str]:
    """(tolerance, reason not checked or "")."""
    target = rules.yoy_target(path, profile, report)
    if target is None:
        return 0.5, ""
    if rules.measure(target) == "average":
        den = rules.denominator(target, report, profile, scale)
        return 0.5, TOO_FEW if den is not None and den < 100 else ""
    if rules.measure(target) == "rate":
        # A rate's numerator is a whole number each year: at a small scale (say 21 calls over
        # 10 minutes) one call moves the yoy by several points, so the tolerance follows.
        den = rules.denominator(target, report, profile, scale)
        rate = rules.number(rules.lookup(report, target))
        if den is None or rate is None:
            return 0.5, ""
        if den < 100:
            return 0.5, TOO_FEW
        num = rate / 100 * den
        num_prev = num / (1 + y / 100) if y > -100 else float("inf")
        if not num or not num_prev:
            return 0.5, ""
        return max(0.5, (100 + y) * (1 / num + 1 / num_prev)), ""
    cur = rules.at_scale(target, report, profile, scale)
    if cur is None:
        return 0.5, ""
    prev = cur / (1 + y / 100) if y > -100 else float("inf")
    if cur < 100 or prev < 100:
        return 0.5, TOO_FEW
    return max(0.5, (100 + y) * (1 / cur + 1 / prev)), ""


def _label(path: Path, profile: dict, report: dict) -> str:
    if rules.measure(path) == "yoy":
        target = rules.yoy_target(path, profile, report)
        if target is not None:
            return f"{_label(target, profile, report)} · {YOY_LABEL}"
        i = path.index("yoy_pct")
        return " · ".join([_text(path[:1], profile, report) or path[0], *path[i + 1:], YOY_LABEL])

    def first(*paths: Path) -> str | None:
        return next((t for p in paths if (t := _text(p, profile, report))), None)

    parts = [first(path[:1] + ("label",)) or path[0]]
    for i in range(1, len(path) - 1):
        key, name = rules.selector(path[i])
        if name is None:
            parts.append(first(path[:i + 1] + ("label",)) or (key if key != "rows" else None))
            continue
        if key != "rows":
            parts.append(first(("efficiency", key, "label")) or _KIND_FALLBACK.get(key, key))
        parts.append(first(path[:i + 1] + ("label",)) or name)
    parts.append(first(path[:1] + ("columns", path[-1])) or _COLUMN_FALLBACK.get(path[-1], path[-1]))
    return " · ".join(p for p in parts if p)


def _text(path: Path, profile: dict, report: dict) -> str | None:
    for tree in (profile, report):
        value = lookup(tree, path)
        if isinstance(value, str) and value:
            return value
    return None


# --- the side-by-side table -------------------------------------------------------------------

_HEADER = ("指标", "公布", "预期", "计算", "状态")
_RIGHT = (False, True, True, True, False)


def format_table(rows: Iterable[Row], *, only_failed: bool = False) -> str:
    """Monospace table; CJK characters count as two columns (ambiguous-width ones as one).
    Notes are numbered in the status column and listed under the table, so that one long note
    does not widen every line."""
    shown = [r for r in rows if r.ok is False] if only_failed else list(rows)
    notes: dict[str, int] = {}
    lines = [_HEADER]
    for r in shown:
        status = _status(r)
        if r.note:
            status += f" [{notes.setdefault(r.note, len(notes) + 1)}]"
        lines.append((r.label, _value(r.published, r.measure), _value(r.expected, r.measure),
                      _value(r.computed, r.measure), status))
    widths = [max(display_width(line[i]) for line in lines) for i in range(len(_HEADER))]
    out = [_line(cells, widths) for cells in lines]
    out.insert(1, "  ".join("-" * w for w in widths))
    if notes:
        out.append("")
        out += [f"[{n}] {note}" for note, n in notes.items()]
    return "\n".join(out)


def display_width(text: str) -> int:
    return sum(0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1
               for ch in text)


def _line(cells: tuple[str, ...], widths: list[int]) -> str:
    padded = []
    for cell, width, right in zip(cells, widths, _RIGHT):
        pad = " " * (width - display_width(cell))
        padded.append(pad + cell if right else cell + pad)
    return "  ".join(padded)


def _value(value: float | None, kind: Measure) -> str:
    if value is None:
        return ""
    if kind == "count" and float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}"


def _status(row: Row) -> str:
    return {True: "✓", False: "✗", None: "–"}[row.ok]
