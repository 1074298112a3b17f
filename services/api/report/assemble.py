"""The whole report of a period from its cubes: figures of the period, of the same period a
year earlier, year-over-year, the monthly series, supplied figures; rounded once at the end."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hotline.report_keys import CALL_YOY, service_level_yoy
from services.api.report import figures, labels
from services.api.report.cube import Cube
from services.api.report.figures import HANDLINGS, SOURCES, ServiceLevel
from services.api.report.period import Period

TICKET_DIMS = ("cur", "bucket", "requester", "source", "channel", "handling", "kind", "line")
CALL_DIMS = ("cur", "bucket", "direction")
CATEGORY_DIMS = ("cur", "kind", "category", "handling")
DEPARTMENT_DIMS = ("cur", "department")
TAG_DIMS = ("cur", "tag")


# Which cube a row of ticket_cubes.sql belongs to (its column g), with that cube's dimensions.
TICKET_CUBES = {1: ("tickets", TICKET_DIMS), 2: ("categories", CATEGORY_DIMS),
                3: ("departments", DEPARTMENT_DIMS), 4: ("tags", TAG_DIMS)}
# Every other column of those rows is a measure (the list is ticket_measures.sql's).
_NOT_MEASURES = frozenset({"g", *TICKET_DIMS, *CATEGORY_DIMS, *DEPARTMENT_DIMS, *TAG_DIMS})


def ticket_cubes(rows: list[dict[str, Any]]) -> dict[str, Cube]:
    """The four ticket cubes from the rows of ticket_cubes.sql (of one or more ranges of ids):
    each row to the cube its `g` names, with that cube's dimensions; the ticket cube keeps every
    measure, the others their ticket count. Rows of two ranges with the same dimensions are added."""
    sums: dict[int, dict[tuple, dict[str, Any]]] = {g: {} for g in TICKET_CUBES}
    every_measure = tuple(k for k in rows[0] if k not in _NOT_MEASURES) if rows else ()
    for row in rows:
        g = row["g"]
        dims = TICKET_CUBES[g][1]
        measures = every_measure if g == 1 else ("tickets",)
        key = tuple(row[d] for d in dims)
        acc = sums[g].get(key)
        if acc is None:
            sums[g][key] = {**{d: row[d] for d in dims}, **{m: row[m] for m in measures}}
        else:
            for m in measures:
                acc[m] += row[m]
    return {TICKET_CUBES[g][0]: Cube(groups.values(), TICKET_CUBES[g][1]) for g, groups in sums.items()}


@dataclass(frozen=True)
class ReportParams:
    service_level: ServiceLevel = ServiceLevel()
    efficiency_scope: str = "all"
    top_n: int = 5

    def as_dict(self) -> dict[str, Any]:
        sl = self.service_level
        return {"service_level": {"threshold_s": sl.threshold_s, "denominator": sl.denominator,
                                  "short_abandon_s": sl.short_abandon_s},
                "efficiency_scope": self.efficiency_scope, "top_n": self.top_n}


@dataclass(frozen=True)
class Cubes:
    tickets: Cube
    calls: Cube
    categories: Cube
    departments: Cube
    tags: Cube

    def period(self, cur: int) -> "Cubes":
        """One of the two periods (1: asked for, 0: a year earlier), buckets summed away."""
        return Cubes(
            self.tickets.where(cur=cur).collapse(TICKET_DIMS[2:]),
            self.calls.where(cur=cur).collapse(CALL_DIMS[2:]),
            self.categories.where(cur=cur), self.departments.where(cur=cur), self.tags.where(cur=cur),
        )

    def empty(self) -> bool:
        return not len(self.tickets) and not len(self.calls)


def tables(c: Cubes, p: ReportParams, with_calls: bool = True) -> dict[str, Any]:
    """Every table of the report; without `calls` for a department (its tickets only)."""
    t = c.tickets
    calls = {"calls": figures.calls(c.calls, p.service_level)} if with_calls else {}
    return {
        "demands": figures.demands(t),
        **calls,
        "efficiency": figures.efficiency(t, p.efficiency_scope),  # type: ignore[arg-type]
        "linkage_110": figures.linkage_110(t),
        "talent_line": figures.talent_line(t),
        "maishangyi_demands": figures.maishangyi(t),
        "tags": figures.tags(c.tags, t.sum("tickets")),
        "top_departments": figures.top_departments(c.departments, p.top_n),
        "top_categories": figures.top_categories(c.categories, p.top_n),
    }


def yoy(cur: float | None, prev: float | None) -> float | None:
    """(this - last) / last * 100; None when either is missing or last is 0 (undefined)."""
    if cur is None or prev is None or prev == 0:
        return None
    return (cur - prev) / prev * 100.0


def _yoy_tables(now: dict[str, Any], then: dict[str, Any], sl: ServiceLevel) -> None:
    """Add `yoy_pct` to every table of `now`, in the key style of report-huaian-2023.json."""
    d, pd = now["demands"], then["demands"]
    cols = ("total", *SOURCES, *HANDLINGS)
    d["yoy_pct"] = {r: {k: yoy(d["rows"][r][k], pd["rows"][r][k]) for k in cols} for r in d["rows"]}
    d["yoy_pct"]["overall_satisfaction"] = yoy(d["overall_satisfaction_pct"], pd["overall_satisfaction_pct"])
    d["yoy_pct"]["completion_rate"] = yoy(d["completion_rate_pct"], pd["completion_rate_pct"])

    if "calls" in now:
        c, pc = now["calls"], then["calls"]
        sl_key, sl_figure = service_level_yoy(sl.threshold_s)
        pairs = {**CALL_YOY, sl_key: sl_figure}
        c["yoy_pct"] = {k: yoy(c[a][b], pc[a][b]) for k, (a, b) in pairs.items()}

    e, pe = now["efficiency"], then["efficiency"]
    e["yoy_pct"] = {}
    for kind in labels.KINDS:
        e["yoy_pct"][f"{kind}_count"] = yoy(e[kind]["count"], pe[kind]["count"])
        e["yoy_pct"][f"{kind}_avg_handling"] = yoy(e[kind]["avg_handling_workdays"], pe[kind]["avg_handling_workdays"])
    for k in ("evaluation_requests", "evaluation_responses", "evaluation_response_rate_pct",
              "agent_service_satisfaction_pct", "resolution_satisfaction_pct"):
        e["yoy_pct"][k.removesuffix("_pct")] = yoy(e[k], pe[k])

    for name, keys in (("linkage_110", ("transfers_total", "to_110", "from_110", "from_110_on_time_completion_pct",
                                        "from_110_satisfaction_pct")),
                       ("talent_line", ("total", *SOURCES, *HANDLINGS)),
                       ("maishangyi_demands", ("count",))):
        now[name]["yoy_pct"] = {k.removesuffix("_pct"): yoy(now[name][k], then[name][k]) for k in keys}

    prev_tags = {r["tag"]: r["count"] for r in then["tags"]["rows"]}
    now["tags"]["yoy_pct"] = {r["tag"]: yoy(r["count"], prev_tags.get(r["tag"], 0)) for r in now["tags"]["rows"]}
    _yoy_rows(now["top_departments"]["rows"], then["top_departments"], "department")
    for kind in (*labels.KINDS, "all"):
        _yoy_rows(now["top_categories"][kind], then["top_categories"], "category", kind)


def _yoy_rows(rows: list[dict], then: dict, name: str, kind: str | None = None) -> None:
    # The previous ranking may not hold this row (TOP-N): compare with its full count instead.
    full = then.get("_counts", {}).get(kind or "rows", {})
    for row in rows:
        row["yoy_pct"] = yoy(row["count"], full.get(row[name], 0))


def _counts(c: Cubes) -> dict[str, Any]:
    """Every department's and category's count (not only the TOP-N), for the rows' yoy."""
    out = {"rows": {d: x.sum("tickets") for d, x in c.departments.by("department").items()}}
    for kind in (*labels.KINDS, "all"):
        k = c.categories if kind == "all" else c.categories.where(kind=kind)
        out[kind] = {cat: x.sum("tickets") for cat, x in k.by("category").items()}
    return out


def monthly(c: Cubes, sl: ServiceLevel, with_calls: bool = True) -> dict[str, Any]:
    tickets = c.tickets.where(cur=1).by("bucket")
    calls = c.calls.where(cur=1).by("bucket")
    rows = []
    for month in sorted(set(tickets) | set(calls)):
        row = {"month": month.strftime("%Y-%m"), "demands": tickets[month].sum("tickets") if month in tickets else 0}
        if with_calls:
            call = figures.calls(calls[month], sl) if month in calls else None
            row["calls_answered"] = call["inbound"]["answered"] if call else 0
            row["service_level_pct"] = call["inbound"][f"{sl.key}_pct"] if call else None
        rows.append(row)
    return {"label": labels.MONTHLY, "rows": rows, "columns": labels.monthly_columns(sl.threshold_s)}


_DIGITS = {"_pct": 2, "_s": 2, "_workdays": 3}


def rounded(tree: Any, digits: int | None = None) -> Any:
    """Round every float once: rates and seconds to 2 decimals, working days to 3, and every
    value under a `yoy_pct` key to 2 (the published reports' precision)."""
    if isinstance(tree, dict):
        out = {}
        for k, v in tree.items():
            d = 2 if k == "yoy_pct" else digits
            if d is None:
                d = next((n for suffix, n in _DIGITS.items() if k.endswith(suffix)), None)
            out[k] = rounded(v, d)
        return out
    if isinstance(tree, list):
        return [rounded(v, digits) for v in tree]
    if isinstance(tree, float):
        return round(tree, 2 if digits is None else digits)
    return tree


def report(
    *, kind: str, city: str, timezone: str, period: Period, previous: Period | None, cubes: Cubes,
    params: ReportParams, supplied: dict[str, Any] | None, generated_at: str, coverage: dict[str, Any],
    department: str | None = None,
) -> dict[str, Any]:
    """The report document. With `department` it is that department's share: its tickets only,
    no calls table and no call columns in the monthly series, never supplied figures (both are
    the city's, not the department's tickets), and a `department` key saying whose it is.
    `coverage` (report/coverage.py assess) says which days the platform holds and whether the
    period's figures are complete; a comparison period without events has `has_data: false`
    and no `yoy_pct` anywhere, never a fall of 100 %."""
    now, then = cubes.period(1), cubes.period(0)
    has_previous = previous is not None and not then.empty()
    with_calls = department is None
    body = tables(now, params, with_calls)
    if has_previous:
        before = tables(then, params, with_calls)
        before["top_departments"]["_counts"] = before["top_categories"]["_counts"] = _counts(then)
        _yoy_tables(body, before, params.service_level)
    head: dict[str, Any] = {"report": kind, "city": city}
    if department is not None:
        head["department"] = department
        supplied = None
    if kind == "annual":
        head["year"] = period.lo.year
    head.update({
        "timezone": timezone,
        "period": {**period.as_dict(),
                   "previous": {**previous.as_dict(), "has_data": has_previous} if previous else None},
        "parameters": params.as_dict(),
        "generated_at": generated_at,
        "coverage": coverage,
    })
    out = {**head, **body, "monthly": monthly(cubes, params.service_level, with_calls)}
    if supplied is not None:
        out["supplied"] = {"label": labels.SUPPLIED, "source": "report_builder", **supplied}
    return rounded(out)
