"""A batch of Kafka messages -> what the writer needs: event rows, dead letters, touched ids.

Pure and deterministic: decode, judge (hotline.judge, as ingest does: the shared contract, then the
caller number hashed, for events published straight to Kafka reach no other service first),
enrich (hotline.events) and map to rows. A message that carries ingest's seal (hotline.judged)
was judged by ingest and is taken as it is, not judged a second time. Nothing here raises for
bad input: an event that fails any step becomes a dead letter with the reason, so one bad event
never stops the partition behind it. The reasons are about the event itself (undecodable,
invalid); nothing here depends on the working-day calendar.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import orjson

from hotline import deadletter
from hotline.events import to_record
from hotline.judge import Rejected, judge
from hotline.judged import sealed
from hotline.storage.event_rows import to_row
from services.aggregate.decode import Undecodable, decode


class Incoming(NamedTuple):
    """One consumed message, with where it came from (offsets travel with the data). A named
    tuple: one is built per consumed message, and a frozen dataclass costs ~4x as much to build."""

    topic: str
    partition: int
    offset: int
    value: bytes | None
    headers: Sequence[tuple[str, bytes | None]] = ()


@dataclass
class Prepared:
    rows: list[tuple] = field(default_factory=list)
    dead_letters: list[tuple[bytes | None, bytes]] = field(default_factory=list)
    calls: set[str] = field(default_factory=set)
    tickets: set[str] = field(default_factory=set)
    accepted: Counter = field(default_factory=Counter)  # by event type
    rejected: Counter = field(default_factory=Counter)  # by reason kind
    newest_ms: int = 0


def prepare(
    batch: Sequence[Incoming], tz: ZoneInfo, hash_key: bytes, *, now: dt.datetime,
    max_dead_letter_bytes: int = 512 * 1024,
) -> Prepared:
    out = Prepared()
    received = now.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    ingested_s = int(now.timestamp())
    for msg in batch:
        event = _judged(msg, hash_key)
        if event is None:
            try:
                raw = decode(msg.value, msg.headers)
            except Undecodable as exc:
                _reject(out, None, [exc.violation], "undecodable", msg, received, hash_key, max_dead_letter_bytes)
                continue
            verdict = judge(raw, hash_key)
            if isinstance(verdict, Rejected):
                _reject(out, raw, verdict.violations, "invalid", msg, received, hash_key, max_dead_letter_bytes)
                continue
            event = verdict.event
        record = to_record(event, tz)
        out.rows.append(to_row(record, msg.topic, msg.partition, msg.offset, ingested_s))
        (out.calls if record.entity == "call" else out.tickets).add(record.subject)
        out.accepted[record.type] += 1
        out.newest_ms = max(out.newest_ms, record.time_ms)
    return out


def _judged(msg: Incoming, hash_key: bytes) -> dict[str, Any] | None:
    """The event of a message ingest sealed (structured mode, as ingest publishes), else None."""
    if not msg.headers or not sealed(msg.value, msg.headers, hash_key):
        return None
    try:
        event = orjson.loads(msg.value)  # type: ignore[arg-type] - sealed() saw a value
    except orjson.JSONDecodeError:
        return None  # cannot happen for what ingest seals; judged, it becomes a dead letter
    return event if isinstance(event, dict) else None


def _reject(out: Prepared, raw: object, violations, kind: str, msg: Incoming, received: str,
            hash_key: bytes, max_bytes: int) -> None:
    out.rejected[kind] += 1
    out.dead_letters.append(deadletter.record(
        raw, list(violations), producer="kafka", stage="aggregate", received_at=received,
        hash_key=hash_key, max_bytes=max_bytes,
        extra={"topic": msg.topic, "partition": msg.partition, "offset": msg.offset},
    ))
