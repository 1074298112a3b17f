"""Which Kafka topic an event goes to, and under which key: the platform's one routing rule.

Call types go to the calls topic, the platform's alert types (hotline.alert_events) to the alerts
topic; every other event goes to the tickets topic: the ticket types, and also what a producer
publishing straight to Kafka may send with an unknown or malformed type (the aggregate
dead-letters it from there). The key is the `subject`, so that every event
of one call or ticket lands on one partition, in order; an event without a usable subject gets
no key. The names come from KafkaSettings (HOTLINE_KAFKA_TOPIC_*).

Used by ingest (accepted events, via hotline.judge), the dead-letter record's key
(hotline.deadletter) and the simulator's Kafka sink. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hotline.contract import ALERT_TYPES, CALL_TYPES
from hotline.settings import KafkaSettings


def topic_of(event_type: object, kafka: KafkaSettings) -> str:
    """The calls topic for a call type of the contract, the alerts topic for an alert type, else
    the tickets topic."""
    if isinstance(event_type, str):
        if event_type in CALL_TYPES:
            return kafka.topic_calls
        if event_type in ALERT_TYPES:
            return kafka.topic_alerts
    return kafka.topic_tickets


def key_of(subject: object) -> bytes | None:
    """The subject as UTF-8, or None when it is missing, not a string or empty."""
    return subject.encode("utf-8") if isinstance(subject, str) and subject else None


def route(event: Mapping[str, Any], kafka: KafkaSettings) -> tuple[str, bytes | None]:
    """(topic, key) for any decoded event, valid or not."""
    return topic_of(event.get("type"), kafka), key_of(event.get("subject"))
