"""A ticket's location, a return and an alert sent to the ingest service as `hotline up` runs it,
followed into ClickHouse by the session stack's aggregate worker: the H3 cell is stored at
resolution 9 (the events row and ticket_places), the return is stored and folded without
changing the ticket's figures, and an alert from a producer is refused."""

from __future__ import annotations

import uuid

import httpx
import orjson
import pytest

from services.ingest.settings import IngestSettings
from tests.support.waiting import eventually

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse]

BATCH = "application/cloudevents-batch+json"
STRUCTURED = "application/cloudevents+json"
AUTH = {"authorization": "Bearer dev-token"}
H3_12 = "8c308620241d3ff"  # resolution 12, a single building
H3_9 = "89308620243ffff"  # its resolution-9 parent


@pytest.fixture(scope="module")
def base_url(local_stack) -> str:
    s = IngestSettings()
    return f"http://{s.host}:{s.port}"


def _ticket(run: str) -> list[dict]:
    t = f"tk-{run}"

    def ev(n: int, type_: str, time: str, data: dict) -> dict:
        return {"specversion": "1.0", "id": f"{run}-{n}", "source": "/crm/main", "type": f"hotline.ticket.{type_}",
                "time": time, "subject": t, "data": data}

    return [
        ev(0, "created", "2024-03-04T09:00:00+08:00",
           {"requester": "citizen", "channel": "phone", "kind": "non_consult", "category": "住房保障",
            "subcategory": "物业管理", "district": "清江浦区", "call_id": f"call-{run}",
            "location": {"street": "清河街道", "community": "清河社区", "h3": H3_12}}),
        ev(1, "dispatched", "2024-03-04T09:10:00+08:00", {"department": "市城管局"}),
        ev(2, "returned", "2024-03-04T10:00:00+08:00", {"department": "市城管局", "reason": "不属本单位职责"}),
        ev(3, "dispatched", "2024-03-04T10:20:00+08:00",
           {"department": "市住建局", "deadline": "2024-03-11T10:20:00+08:00"}),
        ev(4, "completed", "2024-03-05T15:00:00+08:00", {}),
    ]


def test_location_coarsened_and_return_stored(base_url, clickhouse, local_stack):
    run = uuid.uuid4().hex[:12]
    db = local_stack.clickhouse.database
    r = httpx.post(base_url + "/v1/events", content=orjson.dumps(_ticket(run)),
                   headers={**AUTH, "content-type": BATCH}, timeout=30)
    assert r.status_code == 200, r.text
    assert [x["status"] for x in r.json()["results"]] == ["accepted"] * 5

    rows = eventually(
        lambda: clickhouse.execute(
            f"SELECT id, type, data FROM {db}.events FINAL WHERE subject = %(t)s ORDER BY id", {"t": f"tk-{run}"}),
        until=lambda rows: len(rows) == 5, timeout_s=60, what="the ticket's 5 events in hotline.events")
    created = orjson.loads(rows[0][2])
    assert rows[0][1] == "hotline.ticket.created"
    assert created["location"] == {"street": "清河街道", "community": "清河社区", "h3": H3_9}
    assert (rows[2][1], orjson.loads(rows[2][2])) == (
        "hotline.ticket.returned", {"department": "市城管局", "reason": "不属本单位职责"})

    # Waited for too: ClickHouse commits an insert's part of `events` before it runs the
    # materialized views, so the event row can be readable a moment before its place row is.
    places = eventually(
        lambda: clickhouse.execute(
            f"SELECT ticket_id, created_ms, day, category, subcategory, district, street, community, h3, call_id "
            f"FROM {db}.ticket_places FINAL WHERE ticket_id = %(t)s", {"t": f"tk-{run}"}),
        until=lambda rows: len(rows) > 0, timeout_s=30, what="the ticket's row in ticket_places")
    assert [tuple(map(str, p)) for p in places] == [
        (f"tk-{run}", "1709514000000", "2024-03-04", "住房保障", "物业管理", "清江浦区", "清河街道", "清河社区",
         H3_9, f"call-{run}")]

    # Folded: 5 events; the department is the latest dispatch's, complete on time.
    facts = eventually(
        lambda: clickhouse.execute(
            f"SELECT events, department, dispatched, completed, on_time FROM {db}.ticket_facts FINAL "
            f"WHERE ticket_id = %(t)s", {"t": f"tk-{run}"}),
        until=lambda f: f and f[0][0] == 5 and f[0][3] == 1, timeout_s=60, what="the ticket's facts")
    assert facts == [(5, "市住建局", 1, 1, 1)]


def test_an_alert_from_a_producer_is_refused(base_url):
    run = uuid.uuid4().hex[:12]
    alert = {"specversion": "1.0", "id": f"{run}-a", "source": "/crm/main", "type": "hotline.alert.raised",
             "time": "2024-03-04T09:00:00+08:00", "subject": f"al-{run}",
             "data": {"kind": "surge", "series": {"category": "住房保障"}, "started": "2024-03-04T08:00:00+08:00",
                      "detected_at": "2024-03-04T09:00:00+08:00", "observed": 40, "expected": 10, "score": 9.5,
                      "status": "open"}}
    r = httpx.post(base_url + "/v1/events", content=orjson.dumps(alert),
                   headers={**AUTH, "content-type": STRUCTURED}, timeout=30)
    assert r.status_code == 422, r.text
    [result] = r.json()["results"]
    assert result["status"] == "rejected"
    assert result["errors"] == [
        {"path": "type", "rule": "hotline.alert.* events are produced by the platform, not accepted from producers"}]
