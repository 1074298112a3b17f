"""The API as `hotline up` runs it, behind the whole pipeline: events posted to the ingest
service reach /v1/live through Kafka, the aggregate worker and ClickHouse."""

from __future__ import annotations

import datetime as dt
import time
import uuid

import httpx
import pytest

from tests.support.waiting import eventually

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse]

AUTH = {"Authorization": "Bearer dev-token"}
SH = dt.timezone(dt.timedelta(hours=8))


def _urls(stack):
    from services.api.settings import ApiSettings
    from services.ingest.settings import IngestSettings

    api, ingest = ApiSettings(), IngestSettings()
    return f"http://{api.host}:{api.port}", f"http://{ingest.host}:{ingest.port}"


def _waiting(client: httpx.Client, api: str) -> int:
    r = client.get(f"{api}/v1/live", headers=AUTH)
    assert r.status_code == 200, r.text
    return r.json()["calls"]["waiting"]


def test_calls_posted_to_ingest_show_up_as_waiting_in_live(local_stack):
    api, ingest = _urls(local_stack)
    run = uuid.uuid4().hex[:8]
    now = dt.datetime.now(SH).replace(microsecond=0)
    events = [{"specversion": "1.0", "id": f"{run}-{i}", "source": "/pbx/main", "type": "hotline.call.offered",
               "time": (now - dt.timedelta(seconds=10 * i)).isoformat(), "subject": f"live-{run}-{i}",
               "data": {"direction": "inbound"}} for i in range(3)]
    with httpx.Client(timeout=10) as client:
        eventually(lambda: client.get(f"{api}/v1/live", headers=AUTH), until=lambda r: r.status_code == 200,
                   timeout_s=30, interval_s=0.2, what="the API's first live snapshot")
        before = _waiting(client, api)
        r = client.post(f"{ingest}/v1/events", json=events,
                        headers={**AUTH, "Content-Type": "application/cloudevents-batch+json"})
        assert r.status_code == 200, r.text
        accepted = time.monotonic()  # for the report below only: the test waits for the count
        eventually(lambda: _waiting(client, api), until=lambda seen: seen == before + 3, timeout_s=60,
                   interval_s=0.1, what=f"{before} + 3 calls waiting in /v1/live")
        took = time.monotonic() - accepted
    print(f"posted -> visible in /v1/live after {took:.2f} s")
