"""The API as `hotline up` runs it, behind the whole pipeline: events posted to the ingest
service reach /v1/live through Kafka, the aggregate worker and ClickHouse."""

from __future__ import annotations

import datetime as dt
import time
import uuid

import httpx
import pytest

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
        deadline = time.monotonic() + 30
        while True:  # the API's first snapshot may still be under way
            r = client.get(f"{api}/v1/live", headers=AUTH)
            if r.status_code == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        before = _waiting(client, api)
        r = client.post(f"{ingest}/v1/events", json=events,
                        headers={**AUTH, "Content-Type": "application/cloudevents-batch+json"})
        assert r.status_code == 200, r.text
        accepted = time.monotonic()
        seen = before
        while seen != before + 3 and time.monotonic() - accepted < 60:
            time.sleep(0.1)
            seen = _waiting(client, api)
        took = time.monotonic() - accepted
    assert seen == before + 3
    print(f"posted -> visible in /v1/live after {took:.2f} s")
