"""GET /v1/alerts and /v1/alerts/{id} on the test stack's ClickHouse (18.16) through the real API
app: alert rows of several versions written as the alerts service writes them (one row per state
of an episode, the highest version wins), in a database of this module's own.

The episodes, city time (+08:00), asked for 2023-06-05 .. 2023-06-07:

    E  pingpong  started 06-03 09:00, detected 06-03 15:00, closed 06-05 00:00:00.000  in: closed on `from`'s first instant
    B  cluster   started 06-04 20:00, detected 06-04 21:00, open                       in: open, started before the range
    G  surge     started 06-06 08:00, detected 06-06 10:00, open                       in
    A  surge     started 06-06 09:00, detected 06-06 10:00, open, then closed 18:00     in, closed (the closed version twice)
    F  cluster   started 06-07 23:59:59, detected 06-08 00:10, open                    in: started on `to`
    C  pingpong  started 06-01, open, then closed 06-04 23:59:59.999                    out: its open version would overlap
    D  surge     started 06-08 00:00:00.000, open                                      out: after `to`

Ordered by detected_at, then id: E, B, then G and A (same detected_at; G's id al-surge-697c…
sorts before A's al-surge-8cb6…), then F.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from fastapi.testclient import TestClient

from hotline.storage.client import connect
from services.alerts.episode import Episode, series_of, series_text
from services.api.app import create_app
from services.api.settings import ApiSettings
from tests.integration.api.test_api_report import AUTH
from tests.support.report_db import fresh_database

pytestmark = pytest.mark.clickhouse

DB = "hotline_alerts_api_test"
SH = dt.timezone(dt.timedelta(hours=8))
COLUMNS = ("id, kind, series, series_text, started_ms, detected_ms, updated_ms, closed_ms, status, observed, "
           "expected, score, method, detail, callers, tickets, version, day, written_at")


def ms(month: int, day: int, h: int = 0, m: int = 0, s: int = 0, milli: int = 0) -> int:
    return int(dt.datetime(2023, month, day, h, m, s, milli * 1000, tzinfo=SH).timestamp() * 1000)


HOUSING = series_of({"category": "住房保障", "district": "清江浦区"})
TRAFFIC = series_of({"category": "交通出行", "district": "淮安区"})
CELL = series_of({"cell": "8a30c2b0d8dffff"})
COMMUNITY = series_of({"community": "清江浦区·柳树湾社区"})
TICKET_T7 = series_of({"ticket": "T-7"})
TICKET_T9 = series_of({"ticket": "T-9"})

A_OPEN = Episode("surge", HOUSING, ms(6, 6, 9), ms(6, 6, 10), ms(6, 6, 10, 30), 0, 30.0, 8.0, 5.5, "poisson-cusum",
                 "30 demands in 3 h against 8 expected")
A_CLOSED = Episode("surge", HOUSING, ms(6, 6, 9), ms(6, 6, 10), ms(6, 6, 18), ms(6, 6, 18), 41.0, 9.5, 7.25,
                   "poisson-cusum", "41 demands in 9 h against 9.5 expected")
B = Episode("cluster", CELL, ms(6, 4, 20), ms(6, 4, 21), ms(6, 4, 22), 0, 4.0, 1.0, 4.0, "distinct-callers",
            "4 callers in one cell", callers=4, tickets=("T-1", "T-2", "T-3", "T-4"))
C_OPEN = Episode("pingpong", TICKET_T7, ms(6, 1, 9), ms(6, 2, 9), ms(6, 2, 9), 0, 3.0, 1.0, 3.0, "dispatch-cycle",
                 "市住建局 → 清江浦区 → 市住建局")
C_CLOSED = Episode("pingpong", TICKET_T7, ms(6, 1, 9), ms(6, 2, 9), ms(6, 2, 9), ms(6, 4, 23, 59, 59, 999), 3.0,
                   1.0, 3.0, "dispatch-cycle", "市住建局 → 清江浦区 → 市住建局")
D = Episode("surge", TRAFFIC, ms(6, 8), ms(6, 8, 2), ms(6, 8, 2), 0, 12.0, 2.0, 4.5, "poisson-cusum", "late")
E = Episode("pingpong", TICKET_T9, ms(6, 3, 9), ms(6, 3, 15), ms(6, 4, 9), ms(6, 5), 4.0, 1.0, 4.0,
            "dispatch-cycle", "市交通局 → 淮阴区 → 市交通局 → 淮阴区")
F = Episode("cluster", COMMUNITY, ms(6, 7, 23, 59, 59), ms(6, 8, 0, 10), ms(6, 8, 0, 10), 0, 3.0, 0.5, 6.0,
            "distinct-callers", "3 callers in one community", callers=3, tickets=("T-20", "T-21", "T-22"))
G = Episode("surge", TRAFFIC, ms(6, 6, 8), ms(6, 6, 10), ms(6, 6, 11), 0, 20.0, 6.0, 5.0, "poisson-cusum",
            "20 demands in 3 h against 6 expected")
WRITTEN = [A_OPEN, A_CLOSED, A_CLOSED, B, C_OPEN, C_CLOSED, D, E, F, G]


def row(e: Episode) -> tuple:
    """The row the alerts service stores for one state of an episode (migration 0011_alerts.sql)."""
    day = dt.datetime.fromtimestamp(e.started_ms / 1000, SH).date()
    series = json.dumps(dict(e.series), ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return (e.id, e.kind, series, series_text(e.series), e.started_ms, e.detected_ms, e.updated_ms, e.closed_ms,
            e.status, e.observed, e.expected, e.score, e.method, e.detail, e.callers, list(e.tickets), e.version,
            day, dt.datetime(2026, 12, 1, 8, 0, 0))


@pytest.fixture(scope="module")
def api(local_stack):
    settings = fresh_database(DB)
    client = connect(settings)
    try:
        # One INSERT per state, as the detector writes them over its cycles (separate parts, so
        # the superseded versions are still there when the API reads).
        for e in WRITTEN:
            client.execute(f"INSERT INTO {DB}.alerts ({COLUMNS}) VALUES", [row(e)])
    finally:
        client.disconnect()
    with TestClient(create_app(ApiSettings(clickhouse=settings))) as c:
        yield c


def listed(api, **params) -> list[str]:
    r = api.get("/v1/alerts", params={"from": "2023-06-05", "to": "2023-06-07", **params}, headers=AUTH)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["from"], body["to"]) == ("2023-06-05", "2023-06-07")
    return [a["id"] for a in body["alerts"]]


def test_the_episodes_overlapping_the_period_in_their_newest_state(api):
    assert listed(api) == [E.id, B.id, G.id, A_CLOSED.id, F.id]
    alerts = api.get("/v1/alerts?from=2023-06-05&to=2023-06-07", headers=AUTH).json()["alerts"]
    a = alerts[3]
    assert a == {
        "id": "al-surge-8cb6aa430ddd182aa0ae", "kind": "surge",
        "series": {"category": "住房保障", "district": "清江浦区"},
        "started": "2023-06-06T09:00:00+08:00", "detected_at": "2023-06-06T10:00:00+08:00",
        "updated_at": "2023-06-06T18:00:00+08:00", "closed_at": "2023-06-06T18:00:00+08:00", "status": "closed",
        "observed": 41.0, "expected": 9.5, "score": 7.25, "method": "poisson-cusum",
        "detail": "41 demands in 9 h against 9.5 expected",
    }
    b = alerts[1]
    assert (b["kind"], b["status"], b["closed_at"], b["callers"], b["tickets"]) == (
        "cluster", "open", None, 4, ["T-1", "T-2", "T-3", "T-4"])
    assert b["series"] == {"cell": "8a30c2b0d8dffff"}
    assert alerts[0]["closed_at"] == "2023-06-05T00:00:00+08:00"
    assert alerts[4]["started"] == "2023-06-07T23:59:59+08:00" and alerts[4]["detected_at"] == "2023-06-08T00:10:00+08:00"


def test_filters_by_kind_and_status(api):
    assert listed(api, kind="surge") == [G.id, A_CLOSED.id]
    assert listed(api, kind="cluster") == [B.id, F.id]
    assert listed(api, kind="pingpong") == [E.id]
    assert listed(api, status="open") == [B.id, G.id, F.id]
    assert listed(api, status="closed") == [E.id, A_CLOSED.id]
    assert listed(api, kind="surge", status="open") == [G.id]


def test_the_edges_of_the_period(api):
    # C closed a millisecond before 06-05 began; D started on 06-08's first instant.
    r = api.get("/v1/alerts", params={"from": "2023-06-04", "to": "2023-06-04"}, headers=AUTH)
    assert [a["id"] for a in r.json()["alerts"]] == [C_CLOSED.id, E.id, B.id]  # detected 06-02, 06-03, 06-04
    r = api.get("/v1/alerts", params={"from": "2023-06-08", "to": "2023-06-30"}, headers=AUTH)
    assert [a["id"] for a in r.json()["alerts"]] == [B.id, G.id, F.id, D.id]  # the open ones, and D
    r = api.get("/v1/alerts", params={"from": "2023-05-01", "to": "2023-05-31"}, headers=AUTH)
    assert r.json() == {"from": "2023-05-01", "to": "2023-05-31", "alerts": []}


def test_one_alert_by_id_in_its_newest_state(api):
    r = api.get(f"/v1/alerts/{C_CLOSED.id}", headers=AUTH)
    assert r.status_code == 200, r.text
    assert r.json() == {
        "id": C_CLOSED.id, "kind": "pingpong", "series": {"ticket": "T-7"},
        "started": "2023-06-01T09:00:00+08:00", "detected_at": "2023-06-02T09:00:00+08:00",
        "updated_at": "2023-06-02T09:00:00+08:00", "closed_at": "2023-06-04T23:59:59.999+08:00",
        "status": "closed", "observed": 3.0, "expected": 1.0, "score": 3.0, "method": "dispatch-cycle",
        "detail": "市住建局 → 清江浦区 → 市住建局",
    }
    missing = "al-cluster-00000000000000000000"
    r = api.get(f"/v1/alerts/{missing}", headers=AUTH)
    assert (r.status_code, r.json()["detail"]) == (404, f"no alert {missing}")


def test_a_bad_period_is_refused_before_clickhouse(api):
    r = api.get("/v1/alerts", params={"from": "2023-06-07", "to": "2023-06-05"}, headers=AUTH)
    assert (r.status_code, r.json()["parameter"]) == (400, "to")


def test_the_same_sql_on_a_current_engine(chdb_engine):
    """alerts.sql and alert.sql on a current ClickHouse (chdb), as docker-compose runs: same rows,
    same answer."""
    from hotline.storage.migrate import migrate
    from services.api.facts_reader import _sql

    db = "hotline_alerts_chdb"
    chdb_engine.execute(f"DROP DATABASE IF EXISTS {db}")
    try:
        migrate(chdb_engine, db)
        for e in WRITTEN:
            chdb_engine.insert(f"INSERT INTO {db}.alerts ({COLUMNS}) VALUES", [row(e)])
        period = {"lo_ms": ms(6, 5), "hi_ms": ms(6, 8), "kind": "", "status": ""}
        assert [r[0] for r in chdb_engine.execute(_sql("alerts", db), period)] == [E.id, B.id, G.id, A_CLOSED.id, F.id]
        closed = {**period, "status": "closed"}
        assert [r[0] for r in chdb_engine.execute(_sql("alerts", db), closed)] == [E.id, A_CLOSED.id]
        [one] = chdb_engine.execute(_sql("alert", db), {"id": C_CLOSED.id})
        assert one[:2] == (C_CLOSED.id, "pingpong") and one[6:8] == (str(ms(6, 4, 23, 59, 59, 999)), "closed")
    finally:
        chdb_engine.execute(f"DROP DATABASE IF EXISTS {db}")
