"""The previous year of a profile, from its year-over-year figures.

Published yoy (同比) is (this − last) / last × 100, so last = this / (1 + yoy/100), for counts,
rates and averages alike (the API computes yoy the same way, services/api/report/assemble.py).
A figure without a printed yoy moves with its table's total (counts) or stays (rates,
averages). Printed percentages are rounded, so derived parts may not add up to derived totals
exactly; profile.targets() reconciles them.
"""

from __future__ import annotations

import copy
from typing import Any

from hotline.report_keys import CALL_YOY, service_level_yoy
from tooling.simulator.profile import HANDLINGS, KINDS, SOURCES, get

_COLS = ("total", *SOURCES, *HANDLINGS)
# (figure, its yoy key) of the calls table, as the API computes them (hotline/report_keys.py).
_CALLS = tuple((f"{row}.{key}", y) for y, (row, key) in (*CALL_YOY.items(), service_level_yoy(30)))


def _back(value: Any, yoy: Any, ratio: float | None) -> Any:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return value
    if isinstance(yoy, (int, float)) and yoy > -100:
        return value / (1 + yoy / 100)
    return value * ratio if ratio is not None else value


def _ratio(doc: dict[str, Any], value_path: str, yoy_path: str) -> float | None:
    v, y = get(doc, value_path), get(doc, yoy_path)
    if isinstance(v, (int, float)) and v and isinstance(y, (int, float)) and y > -100:
        return 1 / (1 + y / 100)
    return None


def previous(doc: dict[str, Any]) -> dict[str, Any]:
    """The profile of the year before `doc`'s year (no yoy of its own: one year back only)."""
    out = copy.deepcopy(doc)
    if isinstance(doc.get("year"), int):
        out["year"] = doc["year"] - 1
    every = (_ratio(doc, "demands.rows.all.total", "demands.yoy_pct.all.total")
             or _ratio(doc, "demands.rows.citizen.total", "demands.yoy_pct.citizen.total") or 1.0)

    for r, row in (get(doc, "demands.rows", {}) or {}).items():
        ratio = _ratio(doc, f"demands.rows.{r}.total", f"demands.yoy_pct.{r}.total") or every
        for c in _COLS:
            if c in row:
                out["demands"]["rows"][r][c] = _back(row[c], get(doc, f"demands.yoy_pct.{r}.{c}"), ratio)
    for k, y in (("overall_satisfaction_pct", "overall_satisfaction"), ("completion_rate_pct", "completion_rate")):
        if get(doc, f"demands.{k}") is not None:
            out["demands"][k] = _back(doc["demands"][k], get(doc, f"demands.yoy_pct.{y}"), None)

    if isinstance(doc.get("calls"), dict):
        ratios = {"inbound": _ratio(doc, "calls.inbound.answered", "calls.yoy_pct.inbound_answered") or every,
                  "outbound": _ratio(doc, "calls.outbound.count", "calls.yoy_pct.outbound_count") or every,
                  "all": _ratio(doc, "calls.all.count", "calls.yoy_pct.all_count") or every}
        for path, y in _CALLS:
            row, key = path.split(".")
            if get(doc, f"calls.{path}") is not None:
                count = key in ("answered", "count", "offered", "abandoned")
                out["calls"][row][key] = _back(doc["calls"][row][key], get(doc, f"calls.yoy_pct.{y}"),
                                               ratios[row] if count else None)
        if get(doc, "calls.outbound.dialled") is not None:
            out["calls"]["outbound"]["dialled"] = doc["calls"]["outbound"]["dialled"] * ratios["outbound"]

    kind_ratio = {}
    if isinstance(doc.get("efficiency"), dict):
        e = doc["efficiency"]
        for k in KINDS:
            kind_ratio[k] = _ratio(doc, f"efficiency.{k}.count", f"efficiency.yoy_pct.{k}_count") or every
            if isinstance(e.get(k), dict):
                for f, y, ratio in (("count", f"{k}_count", kind_ratio[k]),
                                    ("avg_handling_workdays", f"{k}_avg_handling", None)):
                    if f in e[k]:
                        out["efficiency"][k][f] = _back(e[k][f], get(doc, f"efficiency.yoy_pct.{y}"), ratio)
        for f in ("evaluation_requests", "evaluation_responses", "evaluation_response_rate_pct",
                  "agent_service_satisfaction_pct", "resolution_satisfaction_pct"):
            if f in e:
                count = not f.endswith("_pct")
                out["efficiency"][f] = _back(e[f], get(doc, f"efficiency.yoy_pct.{f.removesuffix('_pct')}"),
                                             every if count else None)

    transfer_in = _ratio(doc, "demands.rows.all.transfer_in", "demands.yoy_pct.all.transfer_in") or every
    for table, keys in (("linkage_110", ("to_110", "from_110", "from_110_on_time_completion_pct",
                                         "from_110_satisfaction_pct")),
                        ("talent_line", _COLS), ("maishangyi_demands", ("count",))):
        t = doc.get(table)
        if isinstance(t, dict):
            ratio = _ratio(doc, f"{table}.total", f"{table}.yoy_pct.total") or every
            for k in keys:
                if k in t:
                    # 110 and 码上议 demands are transfer-in demands: they move with that column.
                    r = transfer_in if k == "from_110" or table == "maishangyi_demands" else ratio
                    out[table][k] = _back(t[k], get(doc, f"{table}.yoy_pct.{k.removesuffix('_pct')}"),
                                          None if k.endswith("_pct") else r)

    for row in get(out, "tags.rows", []) or []:
        row["count"] = _back(row["count"], get(doc, f"tags.yoy_pct.{row['tag']}", row.get("yoy_pct")), every)
    dept_ratio = _ratio(doc, "demands.rows.all.department", "demands.yoy_pct.all.department") or every
    for row in get(out, "top_departments.rows", []) or []:
        row["count"] = _back(row["count"], row.get("yoy_pct"), dept_ratio)
    for k in (*KINDS, "all"):
        for row in get(out, f"top_categories.{k}", []) or []:
            row["count"] = _back(row["count"], row.get("yoy_pct"), kind_ratio.get(k, every))
    _drop_yoy(out)
    return out


def _drop_yoy(node: Any) -> None:
    if isinstance(node, dict):
        node.pop("yoy_pct", None)
        for v in node.values():
            _drop_yoy(v)
    elif isinstance(node, list):
        for v in node:
            _drop_yoy(v)
