"""The platform's rule for a caller's number, written out again on the test side (not imported
from hotline.privacy), so that a test expecting a hash does not compute it with the code it tests.

The rule (docs/architecture.md, decision 7): the first service that sees an event replaces
`data.caller` by `data.caller_hash` = HMAC-SHA256(key, the number with spaces and dashes
stripped), 64 lower-case hex characters, at the same place in `data`; a `caller_hash` sent beside
a `caller` is dropped (the platform's hash wins); a `caller` that is not a string is hashed from
its compact JSON text (keys sorted). Only `data.caller` is touched.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any


def caller_hash(key: bytes, number: str) -> str:
    stripped = number.replace(" ", "").replace("-", "")
    return hmac.new(key, stripped.encode("utf-8"), hashlib.sha256).hexdigest()


def scrubbed(event: dict[str, Any], key: bytes) -> dict[str, Any]:
    """`event` as the platform publishes and stores it: its caller number replaced by the hash."""
    data = event.get("data")
    if not isinstance(data, dict) or "caller" not in data:
        return event
    caller = data["caller"]
    text = caller if isinstance(caller, str) else json.dumps(caller, sort_keys=True, ensure_ascii=False,
                                                             separators=(",", ":"))
    out: dict[str, Any] = {}
    for name, value in data.items():
        if name == "caller":
            out["caller_hash"] = caller_hash(key, text)
        elif name != "caller_hash":
            out[name] = value
    return {**event, "data": out}
