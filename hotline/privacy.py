"""Personal data: a caller's phone number is replaced by a keyed hash before it is written anywhere.

docs/architecture.md, decision 7: the first service that sees an event replaces `data.caller` by
`data.caller_hash` = HMAC-SHA256(key, number) in lower-case hex. Ingest does it for events sent
over HTTP; the aggregate worker does it for events published straight to Kafka. Both must use the
same key so that one number gets one hash whichever way it came (counting repeat callers needs
that), and a keyed hash, not a plain one: phone numbers are few enough to be brute-forced.

Only `data.caller` is touched: it is the contract's one place for a number. (A top-level
extension attribute named `caller`, e.g. from a `ce-caller` header, passes as it is; forbidding
it belongs in the contract's envelope schema.)

Pure functions, no IO; the input event is never mutated.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

# Producers write the same number as "138 0013 8000" or "138-0013-8000": one number, one hash.
_SEPARATORS = str.maketrans("", "", " -")


def caller_hash(key: bytes, number: str) -> str:
    """HMAC-SHA256 of the number (spaces and dashes stripped), 64 lower-case hex characters."""
    if not key:
        # An empty key turns the keyed hash into a plain one that a phone book reverses.
        raise ValueError("the caller hash key must not be empty")
    return hmac.new(key, number.translate(_SEPARATORS).encode("utf-8"), hashlib.sha256).hexdigest()


def scrub_caller(event: dict[str, Any], key: bytes) -> dict[str, Any]:
    """The event with `data.caller` replaced by `data.caller_hash` (same place in `data`).

    Returns `event` itself when there is nothing to scrub (no `data` object or no `caller` in
    it), else a copy: the caller's object is left as it was. A `caller` that is not a string (a
    number, a list...) is hashed from its JSON text, never kept. A `caller_hash` sent beside a
    `caller` is overwritten: the platform's hash of the clear number wins.
    """
    data = event.get("data")
    if not isinstance(data, dict) or "caller" not in data:
        return event
    caller = data["caller"]
    digest = caller_hash(key, caller if isinstance(caller, str) else _json_text(caller))
    scrubbed: dict[str, Any] = {}
    for name, value in data.items():
        if name == "caller":
            scrubbed["caller_hash"] = digest
        elif name != "caller_hash":
            scrubbed[name] = value
    return {**event, "data": scrubbed}


def _json_text(value: Any) -> str:
    try:
        return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError):
        # Not JSON (only reachable from Python callers): still hashed, still never kept.
        return repr(value)
