"""POST /v1/events against the session's real broker: the three content modes, a batch of 5,000,
retries, health, readiness and metrics. The app runs in-process with its real Kafka producer."""

from __future__ import annotations

import pytest
from aiokafka.partitioner import DefaultPartitioner

from ingest_support import (  # noqa: F401 - `ingest` is a fixture
    BATCH, EVENT_RULE_TIME, EXT_RULE, PBX, PHONE, PHONE_HASH, PRODUCER, RUN, STRUCTURED, accepted_on, call, ingest,
    read_topic, values, without,
)

pytestmark = pytest.mark.kafka


# --- content modes -------------------------------------------------------------------------------


def test_structured_single_event(ingest, kafka_settings):
    event = call("s1", data={"direction": "inbound", "line": "talent", "caller": "138-0013-8000"})
    r = ingest.post(event, STRUCTURED, PBX)
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    assert r.json() == {"accepted": 1, "rejected": 0, "results": [
        {"index": 0, "id": f"{RUN}-s1", "source": "/pbx/main", "status": "accepted"}]}
    [record] = read_topic(kafka_settings, "hotline.calls.v1", f"{RUN}-s1".encode())
    assert record.key == f"call-{RUN}-s1".encode()
    assert dict(record.headers)["content-type"] == b"application/cloudevents+json; charset=utf-8"
    assert values([record]) == [{
        "specversion": "1.0", "id": f"{RUN}-s1", "source": "/pbx/main", "type": "hotline.call.offered",
        "time": "2024-03-01T08:00:00+08:00", "subject": f"call-{RUN}-s1",
        "data": {"direction": "inbound", "line": "talent", "caller_hash": PHONE_HASH},
    }]


def test_batch_goes_to_the_topic_of_each_type(ingest, kafka_settings):
    marker = f"{RUN}-batch"
    events = [
        call("batch-1"),
        call("batch-2", "hotline.call.answered", {"agent_id": "A7"}),
        {**call("batch-3", "hotline.ticket.created", {"requester": "citizen", "channel": "web", "kind": "consult",
                                                 "category": "民生保障", "tags": ["heat"]}),
         "source": "/pbx/web-bridge", "subject": f"T-{marker}3"},
        without(call("batch-4", "hotline.call.ended"), "data"),
    ]
    r = ingest.post(events, BATCH, PBX)
    assert r.status_code == 200 and r.json()["accepted"] == 4
    calls = accepted_on(kafka_settings, "hotline.calls.v1", marker)
    tickets = accepted_on(kafka_settings, "hotline.tickets.v1", marker)
    assert sorted(e["id"] for e in calls) == [f"{RUN}-batch-1", f"{RUN}-batch-2", f"{RUN}-batch-4"]
    assert [e["data"] for e in tickets] == [events[2]["data"]]
    assert next(e for e in calls if e["id"] == f"{RUN}-batch-4")["data"] == {}  # absent data is {}


def test_binary_mode(ingest, kafka_settings):
    headers = {"ce-specversion": "1.0", "ce-id": f"{RUN}-bin1", "ce-source": "/pbx/main",
               "ce-type": "hotline.call.offered", "ce-time": "2024-03-01T08:00:00.250+08:00",
               "ce-subject": f"call-{RUN}-%E4%B8%AD", "ce-traceparent": "00-abc-def-01"}
    r = ingest.post(b'{"direction": "outbound", "caller": "13800138000"}', "application/json", PBX, headers)
    assert r.status_code == 200, r.text
    assert accepted_on(kafka_settings, "hotline.calls.v1", f"{RUN}-bin1") == [{
        "specversion": "1.0", "id": f"{RUN}-bin1", "source": "/pbx/main", "type": "hotline.call.offered",
        "time": "2024-03-01T08:00:00.250+08:00", "subject": f"call-{RUN}-中", "traceparent": "00-abc-def-01",
        "datacontenttype": "application/json", "data": {"direction": "outbound", "caller_hash": PHONE_HASH},
    }]


def test_binary_mode_invalid_event_is_422(ingest):
    headers = {"ce-specversion": "1.0", "ce-id": f"{RUN}-bin2", "ce-source": "/pbx/main",
               "ce-type": "hotline.call.answered", "ce-time": "2024-03-01T08:00+08:00", "ce-Bad.Name": "x"}
    r = ingest.post(b"{}", "application/json", PBX, headers)
    assert r.status_code == 422
    assert r.json()["results"][0]["errors"] == [
        {"path": "bad.name", "rule": EXT_RULE}, {"path": "data.agent_id", "rule": "is required"},
        {"path": "subject", "rule": "is required"}, {"path": "time", "rule": EVENT_RULE_TIME}]


@pytest.mark.parametrize("headers,content_type,status", [
    ({"ce-id": "a%0D%0Ab"}, "application/json", 400),
    ({"ce-id": "x"}, "text/plain", 415),
    # No Content-Type at all is JSON data in binary mode (hotline/cloudevents.py), not a 415.
])
def test_binary_mode_request_errors(ingest, headers, content_type, status):
    r = ingest.post(b"{}" if content_type != "text/plain" else b"hello", content_type, PBX, headers)
    assert r.status_code == status and r.headers["content-type"] == "application/problem+json"


def test_batch_of_5000(ingest, kafka_settings):
    marker = f"{RUN}-k"
    events = [call(f"k{i}", data={"direction": "inbound", "caller": f"139{i:08d}"}) for i in range(5000)]
    r = ingest.post(events, BATCH, PBX)
    assert r.status_code == 200
    body = r.json()
    assert (body["accepted"], body["rejected"], len(body["results"])) == (5000, 0, 5000)
    assert [x["index"] for x in body["results"]] == list(range(5000))
    records = read_topic(kafka_settings, "hotline.calls.v1", marker.encode())
    got = values(records)
    assert sorted(e["id"] for e in got) == sorted(f"{RUN}-k{i}" for i in range(5000))  # each exactly once
    assert all("caller" not in e["data"] and len(e["data"]["caller_hash"]) == 64 for e in got)
    # keyed as any Kafka client would: the Java client's default partitioner (murmur2 of the key)
    partitions = list(range(kafka_settings.partitions))
    assert all(r.partition == DefaultPartitioner()(r.key, partitions, partitions) for r in records)


# --- retries, privacy ------------------------------------------------------------------------------


def test_a_retried_request_gets_the_same_answer_and_identical_copies(ingest, kafka_settings):
    marker = f"{RUN}-retry"
    batch = [call("retry-1", data={"direction": "inbound", "caller": PHONE}, subject=marker),
             {**call("retry-2"), "subject": marker, "time": "soon"}]
    first, second = ingest.post(batch, BATCH, PBX), ingest.post(batch, BATCH, PBX)
    assert first.status_code == second.status_code == 207
    assert first.json() == second.json()
    copies = read_topic(kafka_settings, "hotline.calls.v1", marker.encode())
    assert len(copies) == 2 and copies[0].value == copies[1].value and copies[0].key == copies[1].key


# --- operations ------------------------------------------------------------------------------------


def test_health_readiness_and_metrics(ingest):
    assert ingest.get("/healthz").json() == {"status": "ok"}
    assert ingest.get("/readyz").json() == {"status": "ready"}
    # One request of each outcome counted below, sent here: the app is the module's, and which of
    # its tests ran before this one is not known.
    assert ingest.post(call("m0"), STRUCTURED, PBX).status_code == 200
    ingest.post([call("m1"), {}], BATCH, PBX)
    ingest.post(call("m2"), "text/plain", PBX)
    text = ingest.get("/metrics").text
    assert 'hotline_ingest_requests_total{outcome="partial"}' in text
    assert 'hotline_ingest_requests_total{outcome="unsupported_media_type"}' in text
    assert f'hotline_ingest_events_total{{producer="{PRODUCER}",source_prefix="/pbx/",status="accepted"}}' in text
    assert f'hotline_ingest_events_total{{producer="{PRODUCER}",source_prefix="none",status="rejected"}}' in text
    assert 'hotline_ingest_batch_events_bucket{le="2.0",mode="batch"}' in text
    assert 'hotline_ingest_request_duration_seconds_bucket{le="0.005",outcome="accepted"}' in text
    assert "hotline_ingest_publish_duration_seconds_count" in text
    assert f'hotline_ingest_deadletter_events_total{{producer="{PRODUCER}"}}' in text
