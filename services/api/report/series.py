"""Daily, weekly or monthly series of the headline figures (weekly briefings), from the same
cubes and figure functions as the reports, bucket by bucket."""

from __future__ import annotations

import datetime as dt
from typing import Any

from services.api.report import figures
from services.api.report.assemble import CALL_DIMS, TICKET_DIMS, rounded
from services.api.report.cube import Cube
from services.api.report.figures import ServiceLevel

INTERVALS = ("day", "week", "month")


def series(tickets: Cube, calls: Cube, interval: str, sl: ServiceLevel,
           with_calls: bool = True) -> list[dict[str, Any]]:
    """One point per bucket that has data, oldest first. `bucket` is the first day of the
    day / ISO week (Monday) / month. Without `with_calls` (a department's series) the points
    carry no call figures."""
    t_by = tickets.where(cur=1).by("bucket")
    c_by = calls.where(cur=1).by("bucket")
    points = []
    for bucket in sorted(set(t_by) | set(c_by)):
        t = t_by.get(bucket, Cube([], TICKET_DIMS)).collapse(TICKET_DIMS[2:])
        c = c_by.get(bucket, Cube([], CALL_DIMS)).collapse(CALL_DIMS[2:])
        d = figures.demands(t)
        call = figures.calls(c, sl)
        eff = figures.efficiency(t, "all")
        point = {
            "bucket": bucket.isoformat() if isinstance(bucket, dt.date) else str(bucket),
            "demands": {k: v for k, v in d["rows"]["all"].items() if k != "label"},
            "consult": eff["consult"]["count"],
            "non_consult": eff["non_consult"]["count"],
        }
        if with_calls:
            point["calls_inbound"] = {k: v for k, v in call["inbound"].items() if k != "label"}
            point["calls_outbound"] = call["outbound"]["count"]
        points.append(point)
    return rounded(points)
