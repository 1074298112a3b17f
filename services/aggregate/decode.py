"""A Kafka message of the event topics -> the structured-mode event it carries.

Structured mode: the value is one JSON event. Binary mode (Kafka binding): attributes in `ce_`
headers, `data` in the value, its media type in the `content-type` header. A message is binary
when it has a `ce_specversion` header.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

from hotline.cloudevents import KAFKA_PREFIX, BinaryModeError, from_binary, kafka_headers
from hotline.contract import Violation


class Undecodable(ValueError):
    """The message is not an event at all; `violation` says why (never a value)."""

    def __init__(self, violation: Violation):
        super().__init__(str(violation))
        self.violation = violation


def decode(value: bytes | None, headers: Iterable[tuple[str, bytes | None]]) -> Any:
    """The event (a dict when well-formed; the contract judges the rest). Raises Undecodable."""
    try:
        hs = kafka_headers(headers)
        if f"{KAFKA_PREFIX}specversion" in hs:
            return from_binary(hs, KAFKA_PREFIX, value or b"", hs.get("content-type"))
    except BinaryModeError as exc:
        raise Undecodable(Violation(getattr(exc, "header", None) or "", str(exc))) from None
    if not value:
        raise Undecodable(Violation("", "an empty message is not an event"))
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        raise Undecodable(Violation("", f"malformed JSON at line {exc.lineno} column {exc.colno}")) from None
