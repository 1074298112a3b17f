"""A city profile: the figures a simulated city-year must reproduce.

A profile is a JSON document in the shape of a published annual report (the shape of
report-huaian-2023.json, which is also the API's report shape); every field is optional. This
module reads one into `Targets` (one year, full scale, consistent whole numbers), fills what is
missing with documented defaults, and derives the previous year from the `yoy_pct` figures.
Pure: no IO except `load`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from hotline.errors import HotlineError
from tooling.simulator.apportion import apportion

SOURCES = ("phone", "internet", "transfer_in")
HANDLINGS = ("online_agent", "online_specialist", "department")
KINDS = ("consult", "non_consult")
BUILT_IN = ("huaian-2023", "riverside-2023")

# Defaults for what a profile leaves out (shares of the demands unless said otherwise). A
# missing column means "this city has none" for the transfer-in channel and the specialists,
# the two things cities most often lack (e.g. no policy specialists); others get a share.
DEFAULT_TOTAL = 100_000
DEFAULT_ENTERPRISE_SHARE = 0.008
DEFAULT_SOURCE_SHARE = {"phone": 0.97, "internet": 0.03, "transfer_in": 0.0}
DEFAULT_HANDLING_SHARE = {"online_agent": 0.55, "online_specialist": 0.0, "department": 0.45}
DEFAULT_CONSULT_SHARE = 0.48
DEFAULT_HANDLING_WORKDAYS = {"consult": 0.3, "non_consult": 2.0}


class ProfileError(HotlineError):
    """A profile that cannot be simulated; the message names the figure."""


@dataclass(frozen=True)
class Row:
    """A demands row: total split by source and, independently, by handling."""

    total: int
    phone: int
    internet: int
    transfer_in: int
    online_agent: int
    online_specialist: int
    department: int

    def sources(self) -> dict[str, int]:
        return {s: getattr(self, s) for s in SOURCES}

    def handlings(self) -> dict[str, int]:
        return {h: getattr(self, h) for h in HANDLINGS}

    def minus(self, other: "Row", name: str) -> "Row":
        vals = {k: getattr(self, k) - getattr(other, k) for k in ("total", *SOURCES, *HANDLINGS)}
        bad = [k for k, v in vals.items() if v < 0]
        if bad:
            raise ProfileError(f"{name}: the talent line's {bad[0]} is larger than the citizens' {bad[0]}")
        return Row(**vals)


@dataclass(frozen=True)
class Calls:
    offered: int
    answered: int
    service_level_pct: float
    threshold_s: int
    avg_wait_s: float
    avg_talk_s: float
    over_10min_pct: float
    longest_talk_s: int
    out_count: int
    out_dialled: int
    out_avg_talk_s: float
    out_over_10min_pct: float
    out_longest_talk_s: int


@dataclass(frozen=True)
class Targets:
    """One city-year, full scale. Counts are whole and consistent (parts sum to totals)."""

    city: str
    year: int
    timezone: str
    citizen: Row
    enterprise: Row
    talent: Row  # part of `citizen`
    overall_satisfaction_pct: float
    completion_rate_pct: float
    calls: Calls
    scope: str  # efficiency over "all" tickets or "dispatched" ones only
    kinds: dict[str, int]  # tickets per kind over the whole year (all handlings)
    dept_consult: int  # consult tickets among the dispatched ones
    handling_workdays: dict[str, float]  # average over the completed tickets in scope
    evaluation_requests: int
    evaluation_responses: int
    service_satisfaction_pct: float
    resolution_satisfaction_pct: float
    to_110: int
    from_110: int
    from_110_on_time_pct: float
    from_110_satisfaction_pct: float
    maishangyi: int
    tags: dict[str, int]
    departments: dict[str, int]  # dispatched tickets per department, all of them
    categories: dict[str, dict[str, int]]  # kind → category → tickets, all of them
    districts: tuple[str, ...] = field(default=())
    # The published TOP rows: every other department or category stays below the smallest.
    top_departments: tuple[str, ...] = field(default=())
    top_categories: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return self.citizen.total + self.enterprise.total

    @property
    def department(self) -> int:
        return self.citizen.department + self.enterprise.department


def load(name_or_path: str) -> dict[str, Any]:
    """A built-in profile by name (`huaian-2023`) or a JSON file."""
    if name_or_path in BUILT_IN:
        text = resources.files("tooling.simulator").joinpath(f"profiles/{name_or_path}.json").read_text("utf-8")
    else:
        path = Path(name_or_path)
        if not path.is_file():
            raise ProfileError(f"no profile file {path} (built-in profiles: {', '.join(BUILT_IN)})")
        text = path.read_text("utf-8")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise ProfileError(f"{name_or_path}: not JSON (line {e.lineno}, column {e.colno}: {e.msg})") from None
    if not isinstance(doc, dict):
        raise ProfileError(f"{name_or_path}: a profile is a JSON object")
    return doc


def get(doc: dict[str, Any], path: str, default: Any = None) -> Any:
    """doc["a"]["b"] for "a.b"; `default` when any step is missing or null."""
    node: Any = doc
    for part in path.split("."):
        if not isinstance(node, dict) or node.get(part) is None:
            return default
        node = node[part]
    return node


def _number(doc: dict[str, Any], path: str, default: float | None, lo: float = 0, hi: float = float("inf")) -> Any:
    v = get(doc, path)
    if v is None:
        return default
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ProfileError(f"{path}: expected a number, got {json.dumps(v, ensure_ascii=False)[:40]}")
    if not lo <= v <= hi:
        raise ProfileError(f"{path}: {v} is outside [{lo:g}, {hi:g}]")
    return v


def _count(doc: dict[str, Any], path: str, default: int | None = None) -> Any:
    v = _number(doc, path, default)
    return None if v is None else int(round(v))


def _pct(doc: dict[str, Any], path: str, default: float | None) -> Any:
    return _number(doc, path, default, 0, 100)


def _fill(total: int, given: dict[str, int | None], shares: dict[str, float], what: str) -> dict[str, int]:
    """Parts of `total`: the given ones kept (rescaled when they disagree with the total by a
    rounding of printed percentages, refused when they disagree by more than 1 %), the missing
    ones sharing the rest by their default shares."""
    known = {k: v for k, v in given.items() if v is not None}
    missing = [k for k in given if given[k] is None]
    rest = total - sum(known.values())
    if not missing or rest < 0:
        if total and abs(rest) > 0.01 * total + 2:
            raise ProfileError(f"{what}: the parts add up to {sum(known.values()):,}, not the total {total:,}")
        # Rounded printed percentages: the largest part takes the difference, where it is the
        # smallest change relative to the part (and to its year-over-year figure).
        parts = {k: known.get(k, 0) for k in given}
        largest = max(parts, key=lambda k: parts[k])
        parts[largest] += rest
        return parts
    weights = [shares.get(k, 0.0) for k in missing]
    if not any(weights):
        weights = [1.0] * len(missing)  # the profile left only parts without a default share
    return {**known, **dict(zip(missing, apportion(rest, weights)))}


def _row(doc: dict[str, Any], path: str, total: int | None) -> Row | None:
    t = _count(doc, f"{path}.total", total)
    if t is None:
        return None
    src = _fill(t, {s: _count(doc, f"{path}.{s}") for s in SOURCES}, DEFAULT_SOURCE_SHARE, f"{path} sources")
    hnd = _fill(t, {h: _count(doc, f"{path}.{h}") for h in HANDLINGS}, DEFAULT_HANDLING_SHARE, f"{path} handlings")
    return Row(total=t, **src, **hnd)


DISTRICTS = {"淮安市": ("清江浦区", "淮安区", "淮阴区", "洪泽区", "涟水县", "盱眙县", "金湖县", "淮安经济技术开发区")}
DEFAULT_DISTRICTS = ("城东区", "城西区", "城南区", "城北区", "开发区")


def targets(doc: dict[str, Any]) -> Targets:
    """The profile's figures as one consistent, full-scale city-year."""
    from tooling.simulator import catalogue  # it reads profiles with this module's helpers

    total = _count(doc, "demands.rows.all.total")
    enterprise = _row(doc, "demands.rows.enterprise", None)
    citizen = _row(doc, "demands.rows.citizen", None)
    if citizen is None and enterprise is None:
        t = total if total is not None else DEFAULT_TOTAL
        enterprise = _row(doc, "demands.rows.enterprise", round(t * DEFAULT_ENTERPRISE_SHARE))
        citizen = _row(doc, "demands.rows.citizen", t - enterprise.total)  # type: ignore[union-attr]
    elif citizen is None:
        citizen = _row(doc, "demands.rows.citizen", max((total or 0) - enterprise.total, 0))  # type: ignore[union-attr]
    elif enterprise is None:
        enterprise = _row(doc, "demands.rows.enterprise", max((total or 0) - citizen.total, 0))
    assert citizen is not None and enterprise is not None
    talent = _row(doc, "talent_line", 0) or Row(0, 0, 0, 0, 0, 0, 0)
    citizen.minus(talent, "talent_line")
    all_total = citizen.total + enterprise.total
    dept = citizen.department + enterprise.department
    online = all_total - dept

    calls = _calls(doc, citizen.phone + enterprise.phone)
    scope = get(doc, "efficiency.scope", "all")
    if scope not in ("all", "dispatched"):
        raise ProfileError(f"efficiency.scope: {scope!r} is neither 'all' nor 'dispatched'")
    given = {k: _count(doc, f"efficiency.{k}.count") for k in KINDS}
    if scope == "all":
        kinds = _fill(all_total, given, {"consult": DEFAULT_CONSULT_SHARE, "non_consult": 1 - DEFAULT_CONSULT_SHARE},
                      "efficiency counts (consult + non-consult = all demands)")
        lo = max(0, kinds["consult"] - online, dept - kinds["non_consult"])
        hi = min(kinds["consult"], dept)
        # Most consultations are answered on the line; about one in seven goes to a department.
        dept_consult = min(max(round(0.15 * kinds["consult"]), lo), hi)
    else:
        in_dept = _fill(dept, given, {"consult": 0.2, "non_consult": 0.8},
                        "efficiency counts over dispatched tickets (= the department column)")
        dept_consult = in_dept["consult"]
        online_consult = round(0.7 * online)
        kinds = {"consult": dept_consult + online_consult, "non_consult": all_total - dept_consult - online_consult}

    requests = _count(doc, "efficiency.evaluation_requests", None)
    scoped = all_total if scope == "all" else dept
    if requests is None:
        requests = round(1.3 * scoped)
    responses = _count(doc, "efficiency.evaluation_responses", None)
    if responses is None:
        rate = _pct(doc, "efficiency.evaluation_response_rate_pct", 30.0)
        responses = round(requests * rate / 100)
    transfer_in = citizen.transfer_in + enterprise.transfer_in
    from_110 = _count(doc, "linkage_110.from_110", round(0.8 * transfer_in))
    maishangyi = _count(doc, "maishangyi_demands.count", 0)
    if from_110 + maishangyi > transfer_in:
        raise ProfileError(f"linkage_110.from_110 ({from_110:,}) + maishangyi_demands.count ({maishangyi:,}) "
                           f"exceed the transfer-in demands ({transfer_in:,})")
    departments = catalogue.departments(doc, dept)
    overall = _pct(doc, "demands.overall_satisfaction_pct", None)
    return Targets(
        city=get(doc, "city", "示例市"), year=int(_number(doc, "year", 2023, 2004, 2100)),
        timezone=get(doc, "timezone", "Asia/Shanghai"),
        citizen=citizen, enterprise=enterprise, talent=talent,
        overall_satisfaction_pct=overall if overall is not None else -1.0,
        completion_rate_pct=_pct(doc, "demands.completion_rate_pct", 99.0),
        calls=calls, scope=scope, kinds=kinds, dept_consult=dept_consult,
        handling_workdays={k: _number(doc, f"efficiency.{k}.avg_handling_workdays", DEFAULT_HANDLING_WORKDAYS[k], 0, 60)
                           for k in KINDS},
        evaluation_requests=requests, evaluation_responses=responses,
        service_satisfaction_pct=_pct(doc, "efficiency.agent_service_satisfaction_pct", 98.0),
        resolution_satisfaction_pct=_pct(doc, "efficiency.resolution_satisfaction_pct", 88.0),
        to_110=_count(doc, "linkage_110.to_110", round(0.002 * all_total)),
        from_110=from_110,
        from_110_on_time_pct=_pct(doc, "linkage_110.from_110_on_time_completion_pct", 99.5),
        from_110_satisfaction_pct=_pct(doc, "linkage_110.from_110_satisfaction_pct",
                                       overall if overall is not None else 98.0),
        maishangyi=maishangyi,
        tags={r["tag"]: int(r["count"]) for r in get(doc, "tags.rows", []) if r.get("count")},
        departments=departments,
        categories=catalogue.categories(doc, kinds),
        districts=tuple(get(doc, "districts", DISTRICTS.get(get(doc, "city", ""), DEFAULT_DISTRICTS))),
        top_departments=tuple(r["department"] for r in get(doc, "top_departments.rows", [])),
        top_categories={k: tuple(r["category"] for r in get(doc, f"top_categories.{k}", [])) for k in KINDS},
    )


def _calls(doc: dict[str, Any], phone_tickets: int) -> Calls:
    answered = _count(doc, "calls.inbound.answered", phone_tickets + round(0.01 * phone_tickets))
    sl = _pct(doc, "calls.inbound.service_level_30s_pct", 90.0)
    offered = _count(doc, "calls.inbound.offered")
    if offered is None:
        # Callers who hang up before an answer: half of the calls outside the service level.
        rate = _pct(doc, "calls.inbound.answer_rate_pct", (100 + sl) / 2)
        offered = round(answered * 100 / rate) if rate else answered
    if offered < answered:
        raise ProfileError(f"calls.inbound.offered ({offered:,}) is less than calls.inbound.answered ({answered:,})")
    if sl / 100 * offered > answered + 0.5:
        raise ProfileError(f"calls.inbound.service_level_30s_pct {sl} needs more answered calls than "
                           f"{answered:,} of {offered:,} offered")
    longest = _count(doc, "calls.inbound.longest_talk_s", _count(doc, "calls.all.longest_talk_s", 4_800))
    out_count = _count(doc, "calls.outbound.count", round(0.1 * answered))
    return Calls(
        offered=offered, answered=answered, service_level_pct=sl, threshold_s=30,
        avg_wait_s=_number(doc, "calls.inbound.avg_wait_s", 15.0, 0, 3600),
        avg_talk_s=_number(doc, "calls.inbound.avg_talk_s", 180.0, 1, 7200),
        over_10min_pct=_pct(doc, "calls.inbound.over_10min_pct", 2.0),
        longest_talk_s=longest,
        out_count=out_count, out_dialled=_count(doc, "calls.outbound.dialled", round(out_count * 1.1)),
        out_avg_talk_s=_number(doc, "calls.outbound.avg_talk_s", 90.0, 1, 7200),
        out_over_10min_pct=_pct(doc, "calls.outbound.over_10min_pct", 3.0),
        out_longest_talk_s=_count(doc, "calls.outbound.longest_talk_s", min(longest, 3_600)),
    )
