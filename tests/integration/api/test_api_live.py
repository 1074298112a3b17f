"""Live figures (docs/domain.md "Live figures") from events written through the aggregate worker's own
prepare + writer into a database of their own: exact figures at a fixed instant, and through the
running app, the same figures from a second app instance (right across a restart).

The two tests write to two databases: calls waiting "now" would be in the future of the fixed
instant and change its figures (its newest event, for one), whichever test ran first."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from fastapi.testclient import TestClient

from services.api.app import create_app
from services.api.facts_reader import FactsReader
from services.api.live import LiveFigures
from services.api.report.figures import ServiceLevel
from services.api.settings import ApiSettings
from tests.integration.api.test_api_report import AUTH
from tests.support.report_db import fresh_database, write
from tests.support.waiting import eventually

pytestmark = pytest.mark.clickhouse

DB = "hotline_live_test"
RESTART_DB = "hotline_live_restart_test"
SH = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2023, 6, 7, 10, 0, 0, tzinfo=SH)  # a Wednesday
_n = itertools.count(1)  # event ids only need to be distinct: nothing depends on their order


def at(t: dt.datetime) -> str:
    return t.isoformat(timespec="seconds")


def ev(type_: str, subject: str, t: dt.datetime, data: dict | None = None) -> dict:
    source = "/pbx/main" if ".call." in type_ else "/crm/main"
    return {"specversion": "1.0", "id": f"live-{next(_n)}", "source": source, "type": type_,
            "time": at(t), "subject": subject, "data": data or {}}


def inbound(cid: str, offered: dt.datetime) -> dict:
    return ev("hotline.call.offered", cid, offered, {"direction": "inbound"})


def created(tid: str, t: dt.datetime, channel: str) -> dict:
    return ev("hotline.ticket.created", tid, t, {"requester": "citizen", "channel": channel,
                                                 "kind": "non_consult", "category": "民生保障"})


def hm(h: int, m: int, s: int = 0, day: int = 7, month: int = 6) -> dt.datetime:
    return dt.datetime(2023, month, day, h, m, s, tzinfo=SH)


FIXED = [
    inbound("lc-L1", hm(9, 55)),                                  # waiting 300 s
    inbound("lc-L2", hm(9, 59)),                                  # waiting 60 s, past the threshold
    inbound("lc-L3", hm(9, 50)), ev("hotline.call.answered", "lc-L3", hm(9, 50, 10), {"agent_id": "a"}),
    ev("hotline.call.ended", "lc-L3", hm(9, 53, 20)),
    inbound("lc-L4", hm(9, 51, 40)), ev("hotline.call.abandoned", "lc-L4", hm(9, 52, 40)),
    inbound("lc-L5", hm(8, 0)),                                   # no outcome for 2 h: a lost event
    inbound("lc-L6", hm(9, 59, 45)),                              # waiting 15 s: undecided
    inbound("lc-L7", hm(18, 0, day=6)), ev("hotline.call.answered", "lc-L7", hm(18, 0, 10, day=6), {"agent_id": "a"}),
    ev("hotline.call.offered", "lc-O1", hm(9, 30), {"direction": "outbound"}),
    created("lt-K1", hm(9, 0), "phone"), ev("hotline.ticket.answered", "lt-K1", hm(9, 5), {"by": "agent"}),
    created("lt-K2", hm(9, 10), "web"),
    ev("hotline.ticket.dispatched", "lt-K2", hm(9, 20), {"department": "市住建局", "deadline": at(hm(18, 0, day=9))}),
    created("lt-K3", hm(10, 0, day=1), "110"),
    ev("hotline.ticket.dispatched", "lt-K3", hm(10, 10, day=1), {"department": "市公安局", "deadline": at(hm(18, 0, day=5))}),
    created("lt-K4", hm(16, 0, day=6), "phone"),
    ev("hotline.ticket.dispatched", "lt-K4", hm(8, 30), {"department": "市交通局"}),
    created("lt-K5", hm(10, 0, day=20, month=5), "phone"),
    ev("hotline.ticket.dispatched", "lt-K5", hm(10, 5, day=20, month=5), {"department": "市交通局", "deadline": at(hm(18, 0, day=25, month=5))}),
    ev("hotline.ticket.completed", "lt-K5", hm(10, 0, day=24, month=5)),
]


@pytest.fixture(scope="module")
def ch_settings(local_stack):
    settings = fresh_database(DB)
    write(settings, FIXED)
    return settings


def test_live_figures_at_a_fixed_instant(ch_settings):
    reader = FactsReader(ch_settings, pool_size=1)
    try:
        live = LiveFigures(reader, "Asia/Shanghai", ServiceLevel(), refresh_s=1, max_wait_s=3600)
        figures = live.compute(now_ms=int(NOW.timestamp() * 1000)).figures
    finally:
        reader.close()
    assert figures["date"] == "2023-06-07"
    assert figures["calls"] == {
        "waiting": 3, "oldest_waiting_age_s": 300.0,                 # L1, L2, L6
        "offered_today": 6, "answered_today": 1, "abandoned_today": 1,  # L1-L6 (L7 was yesterday)
        "service_level_30s_last_15min_pct": 25.0, "window_calls": 4,  # L3 of L1-L4; L6 undecided
    }
    assert figures["tickets"] == {
        "created_today": 2, "created_today_by_source": {"phone": 1, "internet": 1, "transfer_in": 0},
        "answered_online_today": 1, "dispatched_today": 2,            # K1; K2 and K4
        "open_dispatched": 3, "overdue": 1,                           # K2, K3, K4; K3 past 5 Jun
    }
    assert figures["pipeline"] == {"newest_event_age_s": 15.0}       # L6 at 09:59:45


def test_live_endpoint_counts_waiting_calls_across_a_restart(local_stack):
    ch_settings = fresh_database(RESTART_DB)
    now = dt.datetime.now(SH).replace(microsecond=0)
    write(ch_settings, [inbound("lc-R1", now - dt.timedelta(seconds=120)),
                        inbound("lc-R2", now - dt.timedelta(seconds=30))])
    seen = []
    for _ in range(2):  # the second app is the API restarted: nothing was counted in memory
        with TestClient(create_app(ApiSettings(clickhouse=ch_settings, live_refresh_s=0.2))) as api:
            r = eventually(lambda: api.get("/v1/live", headers=AUTH), until=lambda r: r.status_code != 503,
                           timeout_s=10, interval_s=0.1, what="the API's first live snapshot (503 until then)")
            assert r.status_code == 200, r.text
            body = r.json()
            seen.append(body["calls"]["waiting"])
            assert 120 <= body["calls"]["oldest_waiting_age_s"] <= 140
            assert body["snapshot_age_s"] < 5
            assert api.get("/v1/live").status_code == 401
    assert seen == [2, 2]
