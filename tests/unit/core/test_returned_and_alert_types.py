"""The contract's additions: hotline.ticket.returned (a ticket type like the others) and the
platform's alert types (valid under the contract, refused from producers, on their own topic)."""

from __future__ import annotations

from typing import Any

import pytest

from hotline.contract import (
    ALERT_TYPES, CONTRACT_TYPES, EVENT_TYPES, TICKET_TYPES, InvalidEvent, Violation, entity_of,
    validate_event,
)
from hotline.judge import Accepted, Rejected, judge
from hotline.settings import KafkaSettings
from hotline.topics import route, topic_of

KEY = b"k" * 32
KAFKA = KafkaSettings(bootstrap_servers="127.0.0.1:9")
REFUSED = Violation("type", "hotline.alert.* events are produced by the platform, not accepted from producers")


def returned(data: Any) -> dict[str, Any]:
    return {"specversion": "1.0", "id": "e3", "source": "/crm/main", "type": "hotline.ticket.returned",
            "time": "2024-03-01T10:00:00+08:00", "subject": "tk-1", "data": data}


def alert(type_: str = "hotline.alert.raised", **data: Any) -> dict[str, Any]:
    d = {"kind": "surge", "series": {"category": "住房保障", "district": "清江浦区"},
         "started": "2024-03-01T08:00:00.000+08:00", "detected_at": "2024-03-01T09:00:00.000+08:00",
         "observed": 40.0, "expected": 10.0, "score": 9.5, "status": "open", **data}
    return {"specversion": "1.0", "id": "al-1-raised-1", "source": "/platform/alerts", "type": type_,
            "time": "2024-03-01T09:00:00.000+08:00", "subject": "al-1", "data": d}


def test_the_types() -> None:
    assert "hotline.ticket.returned" in TICKET_TYPES and len(TICKET_TYPES) == 9
    assert ALERT_TYPES == {"hotline.alert.raised", "hotline.alert.updated", "hotline.alert.closed"}
    assert len(EVENT_TYPES) == 13 and not EVENT_TYPES & ALERT_TYPES
    assert CONTRACT_TYPES == EVENT_TYPES | ALERT_TYPES
    assert entity_of("hotline.ticket.returned") == "ticket"
    with pytest.raises(ValueError):
        entity_of("hotline.alert.raised")


@pytest.mark.parametrize("data", [{"department": "市城管局"}, {"department": "市城管局", "reason": "不属本单位职责"},
                                  {"department": "x", "extra": [1]}])
def test_a_return_is_accepted_and_goes_to_the_tickets_topic(data: dict) -> None:
    raw = returned(data)
    verdict = judge(raw, KEY)
    assert verdict == Accepted(raw, b"tk-1")
    assert verdict.topic(KAFKA) == "hotline.tickets.v1"


@pytest.mark.parametrize(("data", "violation"), [
    ({}, Violation("data.department", "is required")),
    ({"reason": "x"}, Violation("data.department", "is required")),
    ({"department": ""}, Violation("data.department", "must be a non-empty string")),
    ({"department": 12}, Violation("data.department", "must be a string")),
    ({"department": "x", "reason": 3}, Violation("data.reason", "must be a string")),
])
def test_a_return_names_its_department(data: dict, violation: Violation) -> None:
    with pytest.raises(InvalidEvent) as info:
        validate_event(returned(data))
    assert info.value.violations == (violation,)


def test_an_alert_keeps_the_contract_but_no_producer_may_send_one() -> None:
    raw = alert()
    assert validate_event(raw) is raw
    assert judge(raw, KEY) == Rejected((REFUSED,))
    # However malformed, and whatever alert type: the one reason.
    assert judge({"type": "hotline.alert.silenced"}, KEY) == Rejected((REFUSED,))
    assert judge(alert("hotline.alert.closed"), KEY) == Rejected((REFUSED,))


def test_alert_data_rules() -> None:
    assert validate_event(alert("hotline.alert.updated", callers=3, tickets=["t1", "t2"], method="m", detail="d"))
    closed = alert("hotline.alert.closed", status="closed", closed_at="2024-03-02T09:00:00.000+08:00")
    assert validate_event(closed) is closed
    cases = [
        (alert("hotline.alert.closed", status="closed"), Violation("data.closed_at", "is required")),
        (alert("hotline.alert.closed", closed_at="2024-03-02T09:00:00Z"), Violation("data.status", 'must be "closed"')),
        (alert(closed_at="2024-03-02T09:00:00+08:00"), Violation("data.closed_at", "only a closed alert has closed_at")),
        (alert(kind="flood"), Violation("data.kind", 'must be one of "surge", "cluster", "pingpong"')),
        (alert(series={"district": 3}), Violation("data.series.district", "must be a string")),
        (alert(observed="40"), Violation("data.observed", "must be a number")),
        (alert(callers=2.5), Violation("data.callers", "must be an integer")),
        (alert(detected_at="2024-03-01 09:00"), Violation(
            "data.detected_at", "must be an RFC 3339 date-time with seconds and an offset (Z or ±hh:mm, hours 00–23)")),
    ]
    for event, violation in cases:
        with pytest.raises(InvalidEvent) as info:
            validate_event(event)
        assert info.value.violations == (violation,), event


def test_alerts_have_a_topic_of_their_own(monkeypatch: pytest.MonkeyPatch) -> None:
    assert KAFKA.topic_alerts == "hotline.alerts.v1"
    assert KAFKA.topics == ("hotline.calls.v1", "hotline.tickets.v1", "hotline.deadletter.v1")
    assert KAFKA.all_topics == (*KAFKA.topics, "hotline.alerts.v1")
    for t in ALERT_TYPES:
        assert topic_of(t, KAFKA) == "hotline.alerts.v1"
    assert route(alert(), KAFKA) == ("hotline.alerts.v1", b"al-1")
    monkeypatch.setenv("HOTLINE_KAFKA_TOPIC_ALERTS", "city.alerts")
    assert KafkaSettings().topic_alerts == "city.alerts"
    assert topic_of("hotline.alert.closed", KafkaSettings()) == "city.alerts"
