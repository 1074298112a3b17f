"""Judge the events of one request: what to publish, what to dead-letter, what to answer.

Per event, in order: the platform's judgement (hotline.judge: the contract, then the caller
number hashed), then what publishing adds: the event must be encodable as JSON and fit the
broker's message size. An accepted event becomes a message on its topic (hotline.topics; key =
`subject`, value = the validated, scrubbed event as JSON: exactly what the answer reports
accepted), sealed as judged (hotline.judged: the aggregate does not judge it again); a rejected
one becomes a dead-letter record (hotline.deadletter, the same record the aggregate worker
writes). Deterministic: the same request judged twice gives the same results
and the same accepted messages, so a retried request gets the answer the first delivery got.

Pure CPU, no IO: the caller publishes `Triage.messages` and answers only after the broker acked.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from hotline import deadletter
from hotline.contract import Violation
from hotline.judge import Rejected, judge
from hotline.judged import HEADER as JUDGED, seal
from hotline.settings import KafkaSettings
from services.ingest.publisher import JSON_HEADERS, STRUCTURED_HEADERS, Message

ACCEPTED, REJECTED = "accepted", "rejected"
TOO_DEEP = Violation("", "must be encodable as JSON: at most 254 levels of nesting")


@dataclass(slots=True)
class Triage:
    results: list[dict[str, Any]] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)  # accepted events, then dead letters
    accepted: int = 0
    rejected: int = 0
    tally: Counter[tuple[str | None, str]] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)  # rejected events by reason_of()

    @property
    def status_code(self) -> int:
        """200 all accepted (or no event), 207 some of each, 422 all rejected."""
        if self.rejected == 0:
            return 200
        return 207 if self.accepted else 422

    def body(self) -> bytes:
        return orjson.dumps({"accepted": self.accepted, "rejected": self.rejected, "results": self.results})


def triage(
    events: Sequence[object], prefixes: Sequence[str | None], *, producer: str, hash_key: bytes,
    kafka: KafkaSettings, max_event_bytes: int, received_at: str,
) -> Triage:
    """`prefixes[i]`: the configured source prefix event i falls under (auth.source_prefixes)."""
    out = Triage()
    for i, raw in enumerate(events):
        verdict = judge(raw, hash_key)
        if isinstance(verdict, Rejected):
            _reject(out, i, raw, verdict.violations, prefixes[i], producer, hash_key, kafka,
                    max_event_bytes, received_at)
            continue
        event, key = verdict
        try:
            value = orjson.dumps(event)
        except orjson.JSONEncodeError:
            # orjson reads up to 1024 levels of nesting but writes at most 254 (an unknown data
            # field or an extension may nest freely): such an event cannot be published as read.
            _reject(out, i, raw, (TOO_DEEP,), prefixes[i], producer, hash_key, kafka,
                    max_event_bytes, received_at)
            continue
        if len(value) + len(key) > max_event_bytes:
            too_big = Violation("", f"must not exceed {max_event_bytes} bytes as JSON (with its subject)")
            _reject(out, i, raw, (too_big,), prefixes[i], producer, hash_key, kafka,
                    max_event_bytes, received_at)
            continue
        out.messages.append(Message(verdict.topic(kafka), key, value,
                                    (*STRUCTURED_HEADERS, (JUDGED, seal(value, hash_key)))))
        out.results.append({"index": i, "id": event["id"], "source": event["source"], "status": ACCEPTED})
        out.accepted += 1
        out.tally[prefixes[i], ACCEPTED] += 1
    return out


def _reject(
    out: Triage, index: int, raw: object, violations: Sequence[Violation], prefix: str | None,
    producer: str, hash_key: bytes, kafka: KafkaSettings, max_event_bytes: int, received_at: str,
) -> None:
    listed, more = deadletter.reasons(violations)
    result: dict[str, Any] = {
        "index": index, "id": _text(raw, "id"), "source": _text(raw, "source"), "status": REJECTED,
        "errors": listed,
    }
    if more:
        result["errors_not_listed"] = more
    out.results.append(result)
    key, value = deadletter.record(
        raw, violations, producer=producer, stage="ingest", received_at=received_at,
        hash_key=hash_key, max_bytes=max_event_bytes, index=index,
    )
    out.messages.append(Message(kafka.topic_deadletter, key, value, JSON_HEADERS))
    out.rejected += 1
    out.tally[prefix, REJECTED] += 1
    out.reasons[reason_of(violations)] += 1


# CloudEvents attributes a rejection can name; anything else is an extension attribute.
_ATTRIBUTES = frozenset({"specversion", "id", "source", "type", "time", "subject", "datacontenttype",
                         "dataschema", "data", "data_base64"})


def reason_of(violations: Sequence[Violation]) -> str:
    """A bounded label for a rejected event (a metric label, never a value from the event): the
    attribute its first violation is about, `event` when it is not an object, `size`,
    `nesting`, or `extension`."""
    first = violations[0] if violations else None
    if first is None:
        return "other"
    if first is TOO_DEEP:
        return "nesting"
    if not first.path:
        return "size" if first.rule.startswith("must not exceed") else "event"
    head = first.path.split(".", 1)[0].split("[", 1)[0]
    return head if head in _ATTRIBUTES else "extension"


def _text(raw: object, name: str) -> str | None:
    """`id` or `source` for the answer: echoed only when a string, as the contract wants it; a
    rejected event's number or object is not repeated back (it might hold a phone number)."""
    value = raw.get(name) if isinstance(raw, dict) else None
    return value if isinstance(value, str) else None
