"""The broker stops mid-test: 503 with Retry-After, and nothing answered accepted that is not in
Kafka. Each test runs its own Apache Kafka broker on free ports (its log in the test's folder)."""

from __future__ import annotations

import time
import uuid

import pytest

from hotline import broker
from hotline.settings import KafkaSettings, StackSettings
from tooling.stack.broker_server import LocalBroker, LocalKafkaSettings
from ingest_support import BATCH, STRUCTURED, InProcessIngest, free_port, read_topic, settings, values
from tests.support.waiting import eventually

pytestmark = pytest.mark.stack

TOKEN = "down-token"
TOKENS = {TOKEN: {"producer": "pbx", "sources": ["/pbx/"]}}


def call(run: str, n: int, **attrs) -> dict:
    return {"specversion": "1.0", "id": f"{run}-{n}", "source": "/pbx/main", "type": "hotline.call.offered",
            "time": "2024-03-01T08:00:00+08:00", "subject": f"call-{run}-{n % 7}",
            "data": {"direction": "inbound"}, **attrs}


@pytest.fixture
def own_broker(tmp_path):
    kafka = KafkaSettings(bootstrap_servers=f"127.0.0.1:{free_port()}")
    br = LocalBroker(StackSettings(state_dir=tmp_path), kafka, LocalKafkaSettings(controller_port=free_port()))
    try:
        yield br, kafka
    finally:
        br.stop()


def status_of(app: InProcessIngest, request, want: int, what: str, timeout_s: float = 30.0):
    """The response once `request()` answers `want`; the app's event loop runs between tries (its
    producer reconnects in the background)."""
    return eventually(request, until=lambda r: r.status_code == want, timeout_s=timeout_s, interval_s=0.5,
                      sleep=app.sleep, what=what)


def test_broker_stopped_mid_test(own_broker):
    br, kafka = own_broker
    br.start()
    broker.ensure_topics(kafka)
    run = uuid.uuid4().hex[:10]
    with InProcessIngest(settings(kafka, TOKENS, publish_timeout_s=2.0, retry_after_s=3)) as app:
        batch = [call(run, i) for i in range(20)] + [call(run, 20, time="late"), {"id": f"{run}-x"}]
        r = app.post(batch, BATCH, TOKEN)
        assert r.status_code == 207
        accepted = {x["id"] for x in r.json()["results"] if x["status"] == "accepted"}
        assert accepted == {f"{run}-{i}" for i in range(20)}
        # everything answered accepted is in Kafka, once
        assert sorted(e["id"] for e in values(read_topic(kafka, "hotline.calls.v1", run.encode()))) == sorted(accepted)
        assert len(read_topic(kafka, "hotline.deadletter.v1", run.encode())) == 2
        assert app.get("/readyz").status_code == 200

        br.stop()
        for body, content_type in (([call(run, i) for i in range(100, 150)], BATCH), (call(run, 200), STRUCTURED)):
            start = time.monotonic()
            r = app.post(body, content_type, TOKEN)
            assert r.status_code == 503
            assert time.monotonic() - start < 2.0 + 1.5  # the publish timeout, not aiokafka's 40 s
            assert r.headers["retry-after"] == "3"
            assert r.headers["content-type"] == "application/problem+json"
            problem = r.json()
            assert problem["type"] == "urn:hotline:problem:broker-unavailable" and problem["retry"] == "whole-request"
            assert "No event of this request is reported accepted" in problem["detail"]
            assert "accepted" not in problem and "results" not in problem
        # /readyz caches its answer for a second: it turns to 503 once the cache is past.
        ready = status_of(app, lambda: app.get("/readyz"), 503, "/readyz saying the broker is down", 5)
        assert ready.headers["retry-after"] == "3"
        assert 'hotline_ingest_requests_total{outcome="broker_unavailable"} 2.0' in app.get("/metrics").text

        # the broker comes back with its log; the same producer publishes again without a
        # restart of the service
        br.start()
        broker.ensure_topics(kafka)
        again = call(run, 300)
        status_of(app, lambda: app.post(again, STRUCTURED, TOKEN), 200, "a post accepted once the broker is back")
        status_of(app, lambda: app.get("/readyz"), 200, "/readyz ready once the broker is back", 5)
        ids = {e["id"] for e in values(read_topic(kafka, "hotline.calls.v1", run.encode()))}
        assert f"{run}-300" in ids
        assert {f"{run}-{i}" for i in range(20)} <= ids  # what was accepted before the stop is kept


def test_service_starts_without_a_broker_and_connects_later(own_broker):
    br, kafka = own_broker
    run = uuid.uuid4().hex[:10]
    with InProcessIngest(settings(kafka, TOKENS, publish_timeout_s=1.0)) as app:
        assert app.get("/healthz").status_code == 200
        assert app.get("/readyz").status_code == 503
        r = app.post(call(run, 1), STRUCTURED, TOKEN)
        assert r.status_code == 503 and "not connected to the broker yet" in r.json()["detail"]
        br.start()
        broker.ensure_topics(kafka)
        status_of(app, lambda: app.post(call(run, 2), STRUCTURED, TOKEN), 200, "a post accepted once the broker is up")
        assert [e["id"] for e in values(read_topic(kafka, "hotline.calls.v1", run.encode()))] == [f"{run}-2"]
