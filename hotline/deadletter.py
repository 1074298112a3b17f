"""The dead-letter record of a rejected event: why, from whom, when, and a scrubbed copy.

Value (JSON) on `hotline.deadletter.v1`, key = the event's `subject` when it has a usable one
(hotline.topics.key_of, and at most 1 KiB):

    {"reasons": [{"path": "data.direction", "rule": "is required"}], "producer": "pbx",
     "received_at": "2024-03-01T00:00:00.000Z", "index": 3, "stage": "ingest",
     "event": {...}, "omitted": []}

`stage` says who rejected it (ingest over HTTP, aggregate for events published straight to
Kafka). The copy keeps what helps a person see what went wrong and nothing that could hold a
caller's number in another shape: `data.caller` is hashed (hotline.privacy), a `data` that is
not an object, `data_base64`, a top-level `caller` attribute and a non-object event are left
out and named in `omitted`. A record that would still exceed the broker's message size loses the
event copy, never the reasons.

Pure: builds bytes, writes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from hotline.contract import Violation
from hotline.privacy import scrub_caller
from hotline.topics import key_of

MAX_REASONS = 100  # per event, in the answer and the record; the rest are counted
_MAX_KEY_BYTES = 1024


def reasons(violations: Sequence[Violation]) -> tuple[list[dict[str, str]], int]:
    """(the first MAX_REASONS violations as JSON objects, how many more were left out)."""
    listed = [{"path": v.path, "rule": v.rule} for v in violations[:MAX_REASONS]]
    return listed, max(0, len(violations) - MAX_REASONS)


def record(
    raw: object, violations: Sequence[Violation], *, producer: str, stage: str, received_at: str,
    hash_key: bytes, max_bytes: int, index: int | None = None, extra: dict[str, Any] | None = None,
) -> tuple[bytes | None, bytes]:
    """(key, value) of the dead-letter message for `raw` rejected for `violations`."""
    listed, more = reasons(violations)
    event, omitted = _scrubbed_copy(raw, hash_key)
    doc: dict[str, Any] = {
        "reasons": listed, "producer": producer, "received_at": received_at, "index": index,
        "stage": stage, "event": event, "omitted": omitted, **(extra or {}),
    }
    if more:
        doc["reasons_not_listed"] = more
    try:
        value = orjson.dumps(doc)
    except orjson.JSONEncodeError:
        # e.g. nested deeper than orjson writes (254 levels) though it reads 1024
        doc["event"] = None
        doc["omitted"] = [*omitted, "event (cannot be encoded as JSON)"]
        value = orjson.dumps(doc)
    if len(value) > max_bytes:
        doc["event"] = None
        doc["omitted"] = [*omitted, f"event (larger than {max_bytes} bytes as a record)"]
        value = orjson.dumps(doc)
    key = key_of(raw.get("subject")) if isinstance(raw, dict) else None
    if key is not None and len(key) > _MAX_KEY_BYTES:
        key = None
    return key, value


def _scrubbed_copy(raw: object, hash_key: bytes) -> tuple[dict[str, Any] | None, list[str]]:
    if not isinstance(raw, dict):
        return None, ["event (not a JSON object)"]
    omitted = []
    event = scrub_caller(raw, hash_key)
    if "data" in event and not isinstance(event["data"], dict):
        event = {k: v for k, v in event.items() if k != "data"}
        omitted.append("data (not a JSON object)")
    for name in ("data_base64", "caller"):
        # data_base64 may encode a caller number; a top-level `caller` is one in the wrong place.
        if name in event:
            event = {k: v for k, v in event.items() if k != name}
            omitted.append(name)
    return event, omitted
