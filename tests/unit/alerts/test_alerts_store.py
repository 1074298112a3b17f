"""store.row: an episode's state as a row of `alerts` (0011_alerts.sql)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from services.alerts.diff import Change
from services.alerts.episode import Episode, series_of
from services.alerts.store import COLUMNS, row

TZ = ZoneInfo("Asia/Shanghai")
STARTED = int(dt.datetime(2024, 3, 9, 23, 30, tzinfo=TZ).timestamp() * 1000)


def test_a_row_in_the_table_order():
    e = Episode("cluster", series_of({"subcategory": "噪音扰民", "h3": "8940e8ec2d7ffff"}), STARTED, STARTED + 3600_000,
                STARTED + 7200_000, observed=5, expected=0.02, score=10.5, method="poisson", detail="5 callers",
                callers=5, tickets=("t1", "t2"))
    at = dt.datetime(2024, 3, 10, 1, 0)
    got = dict(zip([c.strip() for c in COLUMNS.split(",")], row(Change("raised", e, 42), TZ, at)))
    assert got == {
        "id": e.id, "kind": "cluster", "series": '{"h3":"8940e8ec2d7ffff","subcategory":"噪音扰民"}',
        "series_text": "h3=8940e8ec2d7ffff|subcategory=噪音扰民", "started_ms": STARTED,
        "detected_ms": STARTED + 3600_000, "updated_ms": STARTED + 7200_000, "closed_ms": 0, "status": "open",
        "observed": 5.0, "expected": 0.02, "score": 10.5, "method": "poisson", "detail": "5 callers", "callers": 5,
        "tickets": ["t1", "t2"], "version": 42, "day": dt.date(2024, 3, 9), "written_at": at,
    }
