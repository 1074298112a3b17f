"""hotline.judge and hotline.topics: the one verdict ingest and the aggregate give an event, and
the one routing rule (ingest, the simulator's Kafka sink, dead-letter keys)."""

from __future__ import annotations

import copy
from typing import Any

from hotline.contract import Violation
from hotline.judge import Accepted, Rejected, judge
from hotline.settings import KafkaSettings
from hotline.topics import key_of, route, topic_of

KEY = b"k" * 32
# HMAC-SHA256(KEY, "13800138000"), written down once (also the hash of "138 0013 8000").
PHONE_HASH = "e9a23f4103a74225d2a879af8d8aaefb2eda591f51f292008f38af5771b6917f"
KAFKA = KafkaSettings(bootstrap_servers="127.0.0.1:9")
RENAMED = KafkaSettings(bootstrap_servers="127.0.0.1:9", topic_calls="city.calls", topic_tickets="city.tickets")


def offered(**attrs: Any) -> dict[str, Any]:
    e = {"specversion": "1.0", "id": "e1", "source": "/pbx/main", "type": "hotline.call.offered",
         "time": "2024-03-01T08:00:00+08:00", "subject": "call-1",
         "data": {"direction": "inbound", "caller": "138 0013 8000", "vip": True}}
    e.update(attrs)
    return e


def test_a_valid_call_event_is_accepted_scrubbed_keyed_and_routed_to_the_calls_topic() -> None:
    raw = offered()
    before = copy.deepcopy(raw)
    verdict = judge(raw, KEY)
    assert verdict == Accepted(
        {"specversion": "1.0", "id": "e1", "source": "/pbx/main", "type": "hotline.call.offered",
         "time": "2024-03-01T08:00:00+08:00", "subject": "call-1",
         "data": {"direction": "inbound", "caller_hash": PHONE_HASH, "vip": True}},
        b"call-1",
    )
    assert verdict.topic(KAFKA) == "hotline.calls.v1"
    assert verdict.topic(RENAMED) == "city.calls"
    assert raw == before  # the caller's object is left as it was


def test_a_valid_ticket_event_goes_to_the_tickets_topic() -> None:
    raw = {"specversion": "1.0", "id": "t-1", "source": "/crm", "type": "hotline.ticket.answered",
           "time": "2024-03-01T09:30:00Z", "subject": "工单-7", "data": {"by": "agent"}}
    verdict = judge(raw, KEY)
    assert verdict == Accepted(raw, "工单-7".encode())  # nothing to scrub: the event as sent
    assert verdict.topic(KAFKA) == "hotline.tickets.v1"
    assert verdict.topic(RENAMED) == "city.tickets"


def test_absent_data_is_accepted_as_an_empty_object_when_no_field_is_required() -> None:
    raw = offered(type="hotline.call.ended")
    del raw["data"]
    assert judge(raw, KEY) == Accepted({**raw, "data": {}}, b"call-1")
    assert "data" not in raw


def test_an_invalid_event_is_rejected_with_every_violation_named() -> None:
    raw = {"specversion": "1.0", "id": "e2", "source": "/pbx/main", "type": "hotline.call.answered",
           "time": "2024-03-01T08:00:00+08:00", "data": {"agent_id": 7, "caller": "13800138000"}}
    assert judge(raw, KEY) == Rejected((
        Violation("data.agent_id", "must be a string"),
        Violation("subject", "is required"),
    ))


def test_what_is_not_an_event_object_is_rejected_not_raised() -> None:
    for raw in (None, 42, "13800138000", [offered()]):
        assert judge(raw, KEY) == Rejected((Violation("", "an event must be a JSON object"),))


def test_the_verdict_is_the_same_for_the_same_event_and_key() -> None:
    assert judge(offered(), KEY) == judge(offered(), KEY)
    assert judge(offered(), b"another key").event["data"]["caller_hash"] != PHONE_HASH


def test_routing_of_any_decoded_event_valid_or_not() -> None:
    assert route(offered(), KAFKA) == ("hotline.calls.v1", b"call-1")
    assert route(offered(type="hotline.ticket.created", subject="T-工单"), KAFKA) == (
        "hotline.tickets.v1", "T-工单".encode())
    # Whatever is not a call type of the contract goes to the tickets topic, where the
    # aggregate dead-letters it.
    assert route(offered(type="hotline.call.teleported"), KAFKA) == ("hotline.tickets.v1", b"call-1")
    assert route(offered(type=7), KAFKA) == ("hotline.tickets.v1", b"call-1")
    assert route({}, RENAMED) == ("city.tickets", None)
    assert topic_of("hotline.call.ended", RENAMED) == "city.calls"


def test_a_key_is_a_non_empty_string_subject_only() -> None:
    assert key_of("c1") == b"c1"
    assert key_of("") is None and key_of(None) is None and key_of(5) is None and key_of(["c1"]) is None
