"""The platform's one judgement of a received event: the contract, then the caller's privacy.

Whoever sees an event first judges it here: ingest for events sent over HTTP, the aggregate for
events published straight to Kafka. An event that keeps the contract (hotline.contract) is
`Accepted` scrubbed: `data.caller` replaced by its keyed hash (hotline.privacy) and a ticket's
H3 cell coarsened to resolution 9 (hotline.location), the only form in which it may be published
or stored; one that does not is `Rejected` with every rule it breaks (never a value from it).
An alert type (`hotline.alert.*`) is rejected for that alone: alerts are produced by the
platform (hotline.alert_events), never accepted from a producer. What each service does with a
verdict is its own business: ingest publishes and answers, the aggregate writes rows; both
dead-letter a rejection with hotline.deadletter.

Pure CPU, no IO after the first call (which loads the schemas); never raises for bad input and
never mutates it. Deterministic: the same event and key give the same verdict.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from hotline.contract import ALERT_PREFIX, InvalidEvent, Violation, validate_event
from hotline.location import scrub_location
from hotline.privacy import scrub_caller
from hotline.settings import KafkaSettings
from hotline.topics import topic_of


class Accepted(NamedTuple):
    """`event`: as validated (an absent `data` is `{}`), the caller hashed. `key`: its subject,
    the Kafka key. A named tuple: one is built per event on both hot paths."""

    event: dict[str, Any]
    key: bytes

    def topic(self, kafka: KafkaSettings) -> str:
        """The event topic it belongs on (hotline.topics)."""
        return topic_of(self.event["type"], kafka)


class Rejected(NamedTuple):
    """`violations`: every rule broken, in the contract's order (at least one)."""

    violations: tuple[Violation, ...]


Verdict = Accepted | Rejected

ALERT_REFUSED = Violation(
    "type", "hotline.alert.* events are produced by the platform, not accepted from producers")


def judge(raw: object, hash_key: bytes) -> Verdict:
    """The verdict on one decoded event (a dict when well-formed; anything else is rejected)."""
    if isinstance(raw, dict) and isinstance(raw.get("type"), str) and raw["type"].startswith(ALERT_PREFIX):
        return Rejected((ALERT_REFUSED,))
    try:
        event = scrub_location(scrub_caller(validate_event(raw), hash_key))
    except InvalidEvent as exc:
        return Rejected(exc.violations)
    # The contract makes `subject` a non-empty string, so every accepted event has a key.
    return Accepted(event, event["subject"].encode("utf-8"))
