"""services.ingest.triage (+ hotline.deadletter, publisher.partition_of): what is published
where, dead-lettered and answered."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import orjson
from aiokafka.partitioner import DefaultPartitioner, murmur2
from hypothesis import given
from hypothesis import strategies as st

from hotline.contract import Violation
from hotline.settings import KafkaSettings
from hotline import deadletter
from services.ingest.publisher import partition_of
from services.ingest.triage import triage

KEY = b"k" * 32
PHONE = "13800138000"
PHONE_HASH = hmac.new(KEY, PHONE.encode(), hashlib.sha256).hexdigest()
KAFKA = KafkaSettings(bootstrap_servers="127.0.0.1:9")
NOW = "2024-03-01T00:00:00.000Z"


def ev(i: int = 1, event_type: str = "hotline.call.offered", data: Any = None, **attrs: Any) -> dict[str, Any]:
    e = {"specversion": "1.0", "id": f"e{i}", "source": "/pbx/main", "type": event_type,
         "time": "2024-03-01T08:00:00+08:00", "subject": f"call-{i}",
         "data": {"direction": "inbound"} if data is None else data}
    e.update(attrs)
    return e


def run(events: list[object], max_event_bytes: int = 512 * 1024):
    return triage(events, ["/pbx/"] * len(events), producer="pbx", hash_key=KEY, kafka=KAFKA,
                  max_event_bytes=max_event_bytes, received_at=NOW)


def test_all_accepted_go_to_their_topics_keyed_by_subject() -> None:
    t = run([ev(1, data={"direction": "inbound", "caller": PHONE}),
             ev(2, "hotline.ticket.answered", {"by": "agent"}),
             ev(3, "hotline.call.ended", data={})])
    assert (t.accepted, t.rejected, t.status_code) == (3, 0, 200)
    assert [(m.topic, m.key) for m in t.messages] == [
        ("hotline.calls.v1", b"call-1"), ("hotline.tickets.v1", b"call-2"), ("hotline.calls.v1", b"call-3")]
    assert orjson.loads(t.messages[0].value) == ev(1, data={"direction": "inbound", "caller_hash": PHONE_HASH})
    assert all(PHONE.encode() not in m.value for m in t.messages)
    assert t.results == [{"index": i, "id": f"e{i + 1}", "source": "/pbx/main", "status": "accepted"}
                         for i in range(3)]
    assert dict(t.tally) == {("/pbx/", "accepted"): 3}


def test_topics_are_the_configured_names() -> None:
    renamed = KafkaSettings(bootstrap_servers="127.0.0.1:9", topic_calls="c", topic_tickets="t",
                            topic_deadletter="d")
    t = triage([ev(1), ev(2, "hotline.ticket.answered", {"by": "agent"}), {}], [None] * 3, producer="pbx",
               hash_key=KEY, kafka=renamed, max_event_bytes=512 * 1024, received_at=NOW)
    assert [(m.topic, m.key) for m in t.messages] == [("c", b"call-1"), ("t", b"call-2"), ("d", None)]


def test_absent_data_is_published_as_an_empty_object() -> None:
    e = ev(1, "hotline.call.ended")
    del e["data"]
    assert orjson.loads(run([e]).messages[0].value)["data"] == {}


def test_mixed_batch_is_207_with_reasons_and_dead_letters() -> None:
    bad = ev(2, "hotline.call.answered", {}, time="2024-03-01T08:00+08:00")
    t = run([ev(1), bad, 42])
    assert (t.accepted, t.rejected, t.status_code) == (1, 2, 207)
    assert t.results[1] == {"index": 1, "id": "e2", "source": "/pbx/main", "status": "rejected", "errors": [
        {"path": "data.agent_id", "rule": "is required"},
        {"path": "time", "rule": "must be an RFC 3339 date-time with seconds and an offset (Z or ±hh:mm, hours 00–23)"},
    ]}
    assert t.results[2] == {"index": 2, "id": None, "source": None, "status": "rejected",
                            "errors": [{"path": "", "rule": "an event must be a JSON object"}]}
    assert [m.topic for m in t.messages] == ["hotline.calls.v1", "hotline.deadletter.v1", "hotline.deadletter.v1"]
    record = orjson.loads(t.messages[1].value)
    assert record == {"reasons": t.results[1]["errors"], "producer": "pbx", "received_at": NOW, "index": 1,
                      "stage": "ingest", "event": bad, "omitted": []}
    assert t.messages[1].key == b"call-2" and t.messages[2].key is None
    assert dict(t.tally) == {("/pbx/", "accepted"): 1, ("/pbx/", "rejected"): 2}


def test_all_rejected_is_422_and_no_event_is_200() -> None:
    assert run([{}, []]).status_code == 422
    t = run([])
    assert (t.status_code, t.messages, orjson.loads(t.body())) == (200, [], {"accepted": 0, "rejected": 0, "results": []})


def test_an_event_too_large_for_the_broker_is_rejected_without_its_copy() -> None:
    big = ev(1, data={"direction": "inbound", "note": "x" * 5000})
    t = run([big, ev(2)], max_event_bytes=4096)
    assert t.results[0]["errors"] == [{"path": "", "rule": "must not exceed 4096 bytes as JSON (with its subject)"}]
    record = orjson.loads(t.messages[0].value)
    assert record["event"] is None and record["omitted"] == ["event (larger than 4096 bytes as a record)"]
    assert len(t.messages[0].value) <= 4096
    assert t.results[1]["status"] == "accepted"


def test_the_same_request_judged_twice_gives_the_same_answer_and_messages() -> None:
    events = [ev(1, data={"direction": "inbound", "caller": PHONE}), {"id": 3}, ev(2)]
    a, b = run(events), run(events)
    assert a.body() == b.body()
    assert [(m.topic, m.key, m.value) for m in a.messages] == [(m.topic, m.key, m.value) for m in b.messages]


def test_dead_letters_never_hold_the_caller_number_in_any_shape() -> None:
    events = [
        ev(1, data={"direction": "sideways", "caller": PHONE}),
        ev(2, data={"direction": "inbound", "caller": int(PHONE)}),
        ev(3, data=PHONE),
        ev(4, data=[PHONE]),
        ev(5, data_base64="MTM4MDAxMzgwMDA="),
        ev(6, time="late", caller=PHONE),  # a top-level extension `caller`, on a rejected event
        PHONE, int(PHONE), [PHONE],
    ]
    t = run(events)
    assert t.rejected == len(events)
    for m in t.messages:
        assert PHONE.encode() not in m.value and b"MTM4MDAxMzgwMDA=" not in m.value
    omitted = [orjson.loads(m.value)["omitted"] for m in t.messages]
    assert omitted == [[], [], ["data (not a JSON object)"], ["data (not a JSON object)"], ["data_base64"],
                       ["caller"]] + [["event (not a JSON object)"]] * 3
    assert orjson.loads(t.messages[0].value)["event"]["data"] == {"direction": "sideways", "caller_hash": PHONE_HASH}
    # results echo id and source only when they are strings
    assert run([ev(1, id=int(PHONE))]).results[0]["id"] is None


def test_many_violations_are_bounded() -> None:
    t = run([ev(1, "hotline.ticket.created", {"requester": "citizen", "channel": "web", "kind": "consult",
                                              "category": "x", "tags": [""] * 150})])
    assert len(t.results[0]["errors"]) == 100 and t.results[0]["errors_not_listed"] == 50
    record = orjson.loads(t.messages[0].value)
    assert len(record["reasons"]) == 100 and record["reasons_not_listed"] == 50


def test_dead_letter_key_is_the_subject_when_usable() -> None:
    v = (Violation("id", "is required"),)

    def key(raw: object) -> bytes | None:
        return deadletter.record(raw, v, producer="p", stage="ingest", received_at=NOW, hash_key=KEY,
                                 max_bytes=10_000)[0]
    assert key({"subject": "t1"}) == b"t1"
    assert key({"subject": ""}) is None and key({"subject": 5}) is None and key({"subject": "x" * 2000}) is None


def nested(depth: int) -> object:
    value: object = "leaf"
    for _ in range(depth):
        value = [value]
    return value


def test_nesting_orjson_cannot_write_is_a_rejection_not_a_crash() -> None:
    t = run([ev(1, data={"direction": "inbound", "deep": nested(300)}), ev(2, deep=nested(300)),
             ev(3, data={"direction": "inbound", "deep": nested(200)})])
    assert [r["status"] for r in t.results] == ["rejected", "rejected", "accepted"]
    assert t.results[0]["errors"] == [{"path": "", "rule": "must be encodable as JSON: at most 254 levels of nesting"}]
    record = orjson.loads(t.messages[0].value)
    assert record["event"] is None and record["omitted"] == ["event (cannot be encoded as JSON)"]
    assert orjson.loads(t.messages[2].value)["data"]["deep"] == nested(200)


@given(st.binary(min_size=1, max_size=40), st.sampled_from([1, 3, 8, 24]))
def test_partition_of_is_kafkas_default_partitioning(key: bytes, n: int) -> None:
    partitions = list(range(n))
    expected = DefaultPartitioner()(key, partitions, partitions)
    assert partition_of(key, partitions) == expected
    assert partition_of(key, partitions) == expected  # from the cache


def test_partition_of_known_values() -> None:
    # Kafka's Java client: Utils.murmur2("21") == -973932308, ("foobar") == -790332482 (as
    # signed ints); the partition is (hash & 0x7fffffff) % partitions
    assert murmur2(b"21") == -973932308 & 0xFFFFFFFF
    assert murmur2(b"foobar") == -790332482 & 0xFFFFFFFF
    assert partition_of(b"21", list(range(8))) == (-973932308 & 0x7FFFFFFF) % 8 == 4


def test_accepted_messages_are_sealed_as_judged_and_dead_letters_are_not() -> None:
    from hotline.judged import HEADER, sealed
    t = run([ev(1, data={"direction": "inbound", "caller": PHONE}), {"id": 7}])
    accepted, dead = t.messages
    assert dict(accepted.headers) == {"content-type": b"application/cloudevents+json; charset=utf-8",
                                      HEADER: accepted.headers[1][1]}
    assert sealed(accepted.value, accepted.headers, KEY)
    assert not sealed(accepted.value, accepted.headers, b"another key")
    assert HEADER not in dict(dead.headers)
