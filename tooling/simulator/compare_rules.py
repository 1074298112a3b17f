"""The rules behind tooling.simulator.compare (its docstring states them): where a figure sits in a
report tree, what kind of figure a path is, the denominator a rate or average is taken over, the
figure a year-over-year key compares, and the published figures the platform corrects.

Paths are tuples of keys; a row of a list (TOP-N tables, tags, months) is selected by its name as
`key[name]`, e.g. ("top_categories", "non_consult[住房保障]", "share_pct"). Pure functions over
plain JSON trees.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Literal

from hotline.report_keys import CALL_YOY

Path = tuple[str, ...]
Measure = Literal["count", "rate", "average", "yoy"]

# The report tables computed from events (services/api/report/assemble.py), not the head,
# the parameters or the supplied figures.
EVENT_TABLES = ("demands", "calls", "efficiency", "linkage_110", "talent_line", "maishangyi_demands",
                "tags", "top_departments", "top_categories", "monthly")
NOT_FIGURES = frozenset({"label", "columns", "service_level", "scope", "about"})
NAME_KEYS = ("department", "category", "tag", "month")
INCONSISTENT = "is inconsistent"
_SELECTOR = re.compile(r"^(?P<key>[^\[]+)\[(?P<name>.*)\]$")


def selector(part: str) -> tuple[str, str | None]:
    """"non_consult[住房保障]" -> ("non_consult", "住房保障"); "inbound" -> ("inbound", None)."""
    m = _SELECTOR.match(part)
    return (m["key"], m["name"]) if m else (part, None)


def row_name(row: dict) -> str | None:
    return next((str(row[k]) for k in NAME_KEYS if k in row), None)


def _find_row(rows: Any, name: str) -> dict | None:
    if not isinstance(rows, list):
        return None
    return next((r for r in rows if isinstance(r, dict) and row_name(r) == name), None)


def lookup(tree: Any, path: Path) -> Any:
    """The value at `path`, None when any step is missing."""
    node = tree
    for part in path:
        key, name = selector(part)
        node = node.get(key) if isinstance(node, dict) else None
        if name is not None:
            node = _find_row(node, name)
        if node is None:
            return None
    return node


def number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def row_missing(tree: Any, path: Path) -> bool:
    """True when the list a row is selected from exists but holds no row of that name."""
    for i, part in enumerate(path):
        key, name = selector(part)
        if name is not None:
            rows = lookup(tree, path[:i] + (key,))
            return isinstance(rows, list) and _find_row(rows, name) is None
    return False


def measure(path: Path) -> Measure:
    if "yoy_pct" in path:
        return "yoy"
    if path[-1].endswith("_pct"):
        return "rate"
    if path[-1].endswith(("_s", "_workdays")):
        return "average"
    return "count"


def count_tolerance(path: Path, scale: float) -> float:
    """Exact at scale 1; otherwise under 1 per separately apportioned part."""
    if scale == 1.0:
        return 0.0
    first = selector(path[1])[0] if len(path) > 1 else ""
    two_parts = (path[:3] == ("demands", "rows", "all")
                 or path in {("calls", "all", "count"), ("linkage_110", "transfers_total"),
                             ("top_departments", "dispatched_total")}
                 or (path[0] == "top_categories" and first == "all" and path[-1] == "count"))
    return 2.0 if two_parts else 1.0


# What a rate or an average is taken over; "[]" stands for any row, "{name}" for the same row.
_DENOMINATORS = {
    "calls.inbound.service_level_Ns_pct": "calls.inbound.offered",
    "calls.inbound.answer_rate_pct": "calls.inbound.offered",
    "calls.inbound.over_10min_pct": "calls.inbound.answered",
    "calls.outbound.over_10min_pct": "calls.outbound.count",
    "calls.all.over_10min_pct": "calls.all.count",
    "calls.inbound.avg_wait_s": "calls.inbound.answered",
    "calls.inbound.avg_talk_s": "calls.inbound.answered",
    "calls.inbound.longest_talk_s": "calls.inbound.answered",
    "calls.outbound.avg_talk_s": "calls.outbound.count",
    "calls.outbound.longest_talk_s": "calls.outbound.count",
    "calls.all.avg_talk_s": "calls.all.count",
    "calls.all.longest_talk_s": "calls.all.count",
    "demands.completion_rate_pct": "demands.rows.all.department",
    "demands.overall_satisfaction_pct": "efficiency.evaluation_responses",
    "efficiency.consult.avg_handling_workdays": "efficiency.consult.completed",
    "efficiency.non_consult.avg_handling_workdays": "efficiency.non_consult.completed",
    "efficiency.evaluation_response_rate_pct": "efficiency.evaluation_requests",
    "efficiency.agent_service_satisfaction_pct": "efficiency.evaluation_responses",
    "efficiency.resolution_satisfaction_pct": "efficiency.evaluation_responses",
    "linkage_110.from_110_on_time_completion_pct": "linkage_110.from_110",
    "top_categories.consult[].share_pct": "efficiency.consult.count",
    "top_categories.non_consult[].share_pct": "efficiency.non_consult.count",
    "top_categories.all[].share_pct": "demands.rows.all.total",
    "top_departments.rows[].share_pct": "top_departments.dispatched_total",
    "tags.rows[].share_pct": "demands.rows.all.total",
    "monthly.rows[].service_level_pct": "monthly.rows[{name}].calls_answered",
}
# Of the evaluated tickets (not known per channel): from_110 x responses / all tickets.
_FROM_110_RATED = ("linkage_110.from_110", "efficiency.evaluation_responses", "demands.rows.all.total")


def _pattern(path: Path) -> tuple[str, str | None]:
    parts, name = [], None
    for part in path:
        key, row = selector(part)
        parts.append(key if row is None else key + "[]")
        name = row if row is not None else name
    return re.sub(r"service_level_\d+s_pct$", "service_level_Ns_pct", ".".join(parts)), name


def _dotted(text: str) -> Path:
    return tuple(re.findall(r"[^.\[]+(?:\[[^\]]*\])?", text))


def at_scale(path: Path, report: dict, profile: dict, scale: float) -> float | None:
    """A count from the computed report, else the profile's count at this scale."""
    got = number(lookup(report, path))
    if got is None and (printed := number(lookup(profile, path))) is not None:
        got = printed * scale
    return got


def denominator(path: Path, report: dict, profile: dict, scale: float) -> float | None:
    """The count a rate or average of `path` is taken over, at this scale; None if unknown."""
    pattern, name = _pattern(path)
    if pattern == "linkage_110.from_110_satisfaction_pct":
        parts = [at_scale(_dotted(p), report, profile, scale) for p in _FROM_110_RATED]
        if None in parts or not parts[2]:
            return None
        return max(1.0, parts[0] * parts[1] / parts[2])
    template = _DENOMINATORS.get(pattern)
    if template is None:
        return None
    if pattern == "calls.inbound.service_level_Ns_pct" and (
            lookup(report, ("calls", "service_level", "denominator")) in ("answered", "abandon_ignored")):
        template = "calls.inbound.answered"  # abandon_ignored lies between: answered is the cautious one
    return at_scale(_dotted(template.format(name=name)), report, profile, scale)


def yoy_target(path: Path, profile: dict, report: dict) -> Path | None:
    """The figure a yoy value compares (assemble.py's _yoy_tables), None if unknown."""
    if path[-1] == "yoy_pct":  # a row of a TOP-N table
        return path[:-1] + ("count",)
    i = path.index("yoy_pct")
    table, rest = path[:i], path[i + 1:]
    if len(rest) == 2:  # demands.yoy_pct.citizen.phone
        return table + ("rows", *rest)
    if len(rest) != 1:
        return None
    key = rest[0]
    if table == ("calls",):
        if re.fullmatch(r"service_level_\d+s", key):
            return ("calls", "inbound", key + "_pct")
        return ("calls", *CALL_YOY[key]) if key in CALL_YOY else None
    if table == ("efficiency",) and (m := re.fullmatch(r"(consult|non_consult)_(count|avg_handling)", key)):
        return ("efficiency", m[1], "count" if m[2] == "count" else "avg_handling_workdays")
    if table == ("tags",):
        return ("tags", f"rows[{key}]", "count")
    for tree in (report, profile):
        node = lookup(tree, table)
        for candidate in (key, key + "_pct"):
            if isinstance(node, dict) and candidate in node:
                return table + (candidate,)
    return None


@dataclass(frozen=True)
class Derived:
    """What the platform must compute (at scale 1) where the profile's own figures decide it."""

    value: float
    note: str
    inconsistent: bool


def _fmt(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.2f}"


def _prints_as(exact: float, printed: float) -> bool:
    """Shares are printed with 2 decimals, rounded or (as Huai'an often did) truncated."""
    return any(abs(printed - v) < 1e-6 for v in (round(exact, 2), math.floor(exact * 100 + 1e-9) / 100))


_TALK = {"inbound": ("answered", "avg_talk_s"), "outbound": ("count", "avg_talk_s")}
_WEIGHTED_TALK: Path = ("calls", "all", "avg_talk_s")
PLATFORM_DERIVED = (_WEIGHTED_TALK,)  # rows even when the profile does not print the figure


def derive(path: Path, published: float | None, profile: dict) -> Derived | None:
    """Rules a-c: a figure that follows from other published figures of the profile."""
    if path == _WEIGHTED_TALK:
        return _weighted_talk(published, profile)
    if path[0] == "top_categories" and path[-1] == "count":
        return _category_sum(path, published, profile)
    if path[-1] == "share_pct":
        return _share(path, published, profile)
    return None


def _weighted_talk(published: float | None, profile: dict) -> Derived | None:
    parts = {d: [number(lookup(profile, ("calls", d, k))) for k in keys] for d, keys in _TALK.items()}
    (n_in, t_in), (n_out, t_out) = parts["inbound"], parts["outbound"]
    if None in (n_in, t_in, n_out, t_out) or not n_in + n_out:
        return None
    mean = round((t_in * n_in + t_out * n_out) / (n_in + n_out), 2)
    why = (f"call-weighted mean of inbound {_fmt(t_in)} s over {_fmt(n_in)} and outbound {_fmt(t_out)} s "
           f"over {_fmt(n_out)} is {_fmt(mean)} s")
    if published is None:
        return Derived(mean, f"not published; {why}", False)
    if abs(published - mean) <= 0.01 * mean:
        return Derived(mean, "", False)
    if abs(published - (t_in + t_out)) < 0.5:
        why += f" ({_fmt(published)} is their sum)"
    return Derived(mean, f"published {_fmt(published)} {INCONSISTENT}: {why}", True)


def _category_counts(profile: dict, kind: str) -> dict[str, float]:
    rows = lookup(profile, ("top_categories", kind))
    return {row_name(r): number(r.get("count")) for r in rows or [] if isinstance(r, dict)
            and row_name(r) is not None and number(r.get("count")) is not None}


def _category_sum(path: Path, published: float | None, profile: dict) -> Derived | None:
    kind, name = selector(path[1])
    consult, non_consult = _category_counts(profile, "consult"), _category_counts(profile, "non_consult")
    if kind != "all" or name not in consult or name not in non_consult:
        return None
    total = consult[name] + non_consult[name]
    if published == total:
        return Derived(total, "", False)
    why = f"consult {_fmt(consult[name])} + non-consult {_fmt(non_consult[name])} = {_fmt(total)}"
    return Derived(total, f"published {_fmt(published)} {INCONSISTENT}: {why}", True)


_SHARE_TOTALS = {"top_categories.consult": "efficiency.consult.count",
                 "top_categories.non_consult": "efficiency.non_consult.count",
                 "top_categories.all": "demands.rows.all.total",
                 "top_departments.rows": "top_departments.dispatched_total",
                 "tags.rows": "demands.rows.all.total"}


def _share(path: Path, published: float | None, profile: dict) -> Derived | None:
    key, _ = selector(path[1]) if len(path) == 3 else ("", None)
    total_path = _SHARE_TOTALS.get(f"{path[0]}.{key}")
    total = number(lookup(profile, _dotted(total_path))) if total_path else None
    printed_count = number(lookup(profile, path[:-1] + ("count",)))
    if not total or printed_count is None or published is None:
        return None
    corrected = _category_sum(path[:-1] + ("count",), printed_count, profile) if path[0] == "top_categories" else None
    count = corrected.value if corrected else printed_count
    share = round(100 * count / total, 2)
    if not _prints_as(100 * printed_count / total, published):
        why = f"{_fmt(printed_count)} / {_fmt(total)} = {_fmt(share)} %"
        return Derived(share, f"published {_fmt(published)} {INCONSISTENT}: {why}", True)
    if corrected and corrected.inconsistent:
        return Derived(share, f"follows from the corrected count: {_fmt(count)} / {_fmt(total)}", False)
    return Derived(share, "" if abs(published - share) < 1e-6 else "published truncated", False)


_PRINTED_AS = re.compile(r"^(?P<where>[\w.]+) (?P<what>.+?) (?:is )?printed as (?P<value>-?\d+(?:\.\d+)?)")


def printed_in_text(profile: dict, path: Path) -> float | None:
    """A figure the tables leave out but the profile's published_inconsistencies quotes, in the
    form "<table>.<row> <figure words> is printed as <N>" (Huai'an: calls.all avg talk time 292)."""
    words = re.sub(r"_(s|pct|workdays)$", "", path[-1]).replace("_", " ")
    for text in profile.get("published_inconsistencies") or []:
        m = _PRINTED_AS.match(str(text))
        if m and m["where"] == ".".join(path[:-1]) and words in m["what"]:
            return float(m["value"])
    return None
