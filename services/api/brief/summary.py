"""The brief's first section (本期概况): the period's headline figures with the period before it
(环比) and the same period a year earlier (同比), from the annual report's own cubes and figures
(services/api/report/figures.py), so a figure means the same in both."""

from __future__ import annotations

import datetime as dt
from typing import Any

from services.api.report.assemble import CALL_DIMS, TICKET_DIMS, yoy
from services.api.report.cube import Cube
from services.api.report.figures import ServiceLevel, calls, demands

TICKET_ROWS = (("demands", "诉求总量", "total"), ("source_phone", "电话", "phone"),
               ("source_internet", "互联网", "internet"), ("source_transfer_in", "承办转办", "transfer_in"),
               ("handling_online_agent", "民声接听员在线解答", "online_agent"),
               ("handling_online_specialist", "政策专员在线解答", "online_specialist"),
               ("handling_department", "部门办理", "department"))


def _slice(c: Cube, which: str, current: dt.date, previous: dt.date | None) -> Cube:
    """"now" and "before" are buckets of the current-period rows (cur = 1); "last_year" the
    comparison rows (cur = 0)."""
    if which == "last_year":
        return c.where(cur=0)
    bucket = current if which == "now" else previous
    return c.where(cur=1, bucket=bucket)


def _values(tickets: Cube, call_cube: Cube | None, sl: ServiceLevel) -> dict[str, float | None]:
    d = demands(tickets)["rows"]["all"]
    out: dict[str, float | None] = {key: d[col] for key, _, col in TICKET_ROWS}
    if call_cube is not None:
        inbound = calls(call_cube, sl)["inbound"]
        out |= {"calls_offered": inbound["offered"], "calls_answered": inbound["answered"],
                "answer_rate_pct": inbound["answer_rate_pct"], "service_level_pct": inbound[f"{sl.key}_pct"]}
    return out


def summary(ticket_rows: list[dict[str, Any]], call_rows: list[dict[str, Any]] | None, sl: ServiceLevel,
            current: dt.date, previous: dt.date | None, held_before: bool, held_last_year: bool) -> list[dict[str, Any]]:
    """The rows. `call_rows` is None for a department's token (calls are the city's, not a
    department's tickets). `held_*`: whether the platform holds events of that comparison period
    (city-wide); one that holds none has no figures and no changes, never "↓ 100 %"."""
    t = Cube(ticket_rows, TICKET_DIMS)
    c = Cube(call_rows, CALL_DIMS) if call_rows is not None else None
    got: dict[str, dict[str, float | None] | None] = {}
    for which, held in (("now", True), ("before", held_before and previous is not None), ("last_year", held_last_year)):
        got[which] = _values(_slice(t, which, current, previous),
                             _slice(c, which, current, previous) if c is not None else None, sl) if held else None
    labels = [(k, label) for k, label, _ in TICKET_ROWS]
    if c is not None:
        labels += [("calls_offered", "呼入话务量"), ("calls_answered", "人工接听话务量"),
                   ("answer_rate_pct", "接通率(%)"), ("service_level_pct", f"{sl.threshold_s}秒人工接通率(%)")]
    now, before, then = got["now"] or {}, got["before"], got["last_year"]
    rows = []
    for key, label in labels:
        value = now.get(key)
        b = before[key] if before else None
        y = then[key] if then else None
        rows.append({"key": key, "label": label, "value": value, "previous": b, "change_pct": yoy(value, b),
                     "last_year": y, "yoy_pct": yoy(value, y)})
    return rows
