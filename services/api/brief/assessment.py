"""The department assessment (部门考核): one row per department over the tickets created in a
period whose latest dispatch went to it, a composite score, the ranking and the city's total.

Inputs are additive per department (services/api/sql/assessment*.sql), so the city's total is
their sum and every rate is computed once from sums, never averaged from rates.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from services.api.report.figures import WORKDAY_S, mean, pct

CITY = "全市"
# The measures the SQL gives per department; absent ones are 0.
COUNTS = ("dispatched", "completed", "on_time", "work_s", "handling_known", "evaluation_requests",
          "evaluations", "rated", "satisfied", "unsatisfied", "supervised", "transferred_out", "overdue")


@dataclass(frozen=True)
class Weights:
    satisfaction: float = 0.4
    on_time: float = 0.3
    completion: float = 0.3

    def as_dict(self) -> dict[str, float]:
        return {"satisfaction": self.satisfaction, "on_time": self.on_time, "completion": self.completion}


def merge(*sources: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, int]]:
    """Per department, the sum of every measure the sources give (rows keyed by `department`;
    a measure may carry the suffix _n the SQL gives it where it is also a column's name)."""
    out: dict[str, dict[str, int]] = {}
    for rows in sources:
        for r in rows:
            acc = out.setdefault(r["department"], dict.fromkeys(COUNTS, 0))
            for k, v in r.items():
                k = k.removesuffix("_n")
                if k in acc:
                    acc[k] += int(v)
    return out


def score(row: Mapping[str, Any], w: Weights) -> float | None:
    """The weighted mean of the rates that exist; None when none does."""
    parts = [(row["satisfaction_pct"], w.satisfaction), (row["on_time_pct"], w.on_time),
             (row["completion_rate_pct"], w.completion)]
    parts = [(v, wt) for v, wt in parts if v is not None and wt > 0]
    weight = sum(wt for _, wt in parts)
    return sum(v * wt for v, wt in parts) / weight if weight else None


def figures(department: str, m: Mapping[str, int], w: Weights) -> dict[str, Any]:
    row: dict[str, Any] = {
        "department": department,
        "dispatched": m["dispatched"], "completed": m["completed"],
        "completion_rate_pct": pct(m["completed"], m["dispatched"]),
        "on_time": m["on_time"], "on_time_pct": pct(m["on_time"], m["dispatched"]),
        "avg_handling_workdays": mean(m["work_s"], m["handling_known"], WORKDAY_S),
        "evaluation_requests": m["evaluation_requests"], "evaluations": m["evaluations"],
        "evaluation_response_rate_pct": pct(m["evaluations"], m["evaluation_requests"]),
        "rated": m["rated"], "satisfied": m["satisfied"], "satisfaction_pct": pct(m["satisfied"], m["rated"]),
        "unsatisfied": m["unsatisfied"], "supervised": m["supervised"],
        "transferred_out": m["transferred_out"], "overdue": m["overdue"],
    }
    row["score"] = score(row, w)
    return row


def table(measures: Mapping[str, Mapping[str, int]], w: Weights, city_wide: bool = True,
          city_returned: int | None = None) -> dict[str, Any]:
    """Rows ranked by score (descending), then dispatched (descending), then name; a department
    without a score comes last, unranked. `city_wide`: with ranks and the city's total (a
    department's token gets its own row only, neither). Every measure of the total is the sum of
    the rows (a ticket has one department) except the returned tickets: a ticket two departments
    returned is one ticket of the city (`city_returned`)."""
    rows = [figures(d, m, w) for d, m in measures.items()]
    rows.sort(key=lambda r: (r["score"] is None, -(r["score"] or 0.0), -r["dispatched"], r["department"]))
    for i, r in enumerate(rows, 1):
        r["rank"] = i if city_wide and r["score"] is not None else None
    rows = [{"rank": r.pop("rank"), **r} for r in rows]
    total = None
    if city_wide:
        summed = {k: sum(m[k] for m in measures.values()) for k in COUNTS}
        if city_returned is not None:
            summed["transferred_out"] = city_returned
        total = figures(CITY, summed, w)
    return {"rows": rows, "total": total}
