"""The sections made of alert episodes (services/api/brief/episodes.py)."""

from __future__ import annotations

import orjson

from services.api.brief import episodes

TZ = "Asia/Shanghai"
T0 = 1_718_582_400_000  # 2024-06-17T08:00:00+08:00


def row(kind: str, series: dict, **kw) -> dict:
    base = {"id": f"al-{kind}-{len(orjson.dumps(series)):020x}", "kind": kind, "series": orjson.dumps(series).decode(),
            "started_ms": T0, "detected_ms": T0 + 3_600_000, "updated_ms": T0, "closed_ms": 0, "status": "open",
            "observed": 3.0, "expected": 0.0, "score": 2.0, "method": "m", "detail": "", "callers": 0, "tickets": []}
    return base | kw


ROWS = [
    row("pingpong", {"ticket_id": "t1", "departments": "A局→B局→A局"}),
    row("pingpong", {"ticket_id": "t2", "departments": "B局→C局→B局→A局"}, status="closed", closed_ms=T0 + 7_200_000),
    row("pingpong", {"from": "A局", "to": "B局"}, observed=6.0, expected=1.5),
    row("cluster", {"subcategory": "噪音扰民", "h3": "8931aa42a3bffff", "district": "清江浦区"}, callers=5,
        tickets=["a", "b", "c", "d", "e"]),
    row("surge", {"category": "住房保障"}),
]


def test_pairs_count_each_ticket_once_per_unordered_pair():
    doc = episodes.pingpong(ROWS, TZ)
    assert [(t["ticket_id"], t["dispatches"], t["returns"], t["status"]) for t in doc["tickets"]] == [
        ("t1", 3, 2, "open"), ("t2", 3, 2, "closed")]
    # t1: {A,B}; t2: {B,C}, {A,B} (B→C, C→B are one pair, counted once)
    assert doc["pairs"] == [{"departments": ["A局", "B局"], "tickets": 2}, {"departments": ["B局", "C局"], "tickets": 1}]
    assert [(a["from"], a["to"], a["observed"]) for a in doc["pair_alerts"]] == [("A局", "B局", 6.0)]
    assert doc["tickets"][1]["closed_at"] == "2024-06-17T10:00:00+08:00"


def test_a_department_sees_the_tickets_that_went_through_it_and_no_pair_alerts():
    doc = episodes.pingpong(ROWS, TZ, department="C局")
    assert [t["ticket_id"] for t in doc["tickets"]] == ["t2"]
    assert doc["pair_alerts"] is None


def test_clusters_and_surges():
    [c] = episodes.clusters(ROWS, TZ)
    assert (c["place"], c["place_kind"], c["district"], c["subcategory"], c["tickets"], c["callers"], c["started"]) == \
        ("8931aa42a3bffff", "h3", "清江浦区", "噪音扰民", 5, 5, "2024-06-17T08:00:00+08:00")
    assert [s["series"] for s in episodes.surges(ROWS, TZ)] == [{"category": "住房保障"}]
