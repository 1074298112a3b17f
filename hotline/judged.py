"""Ingest's seal on an event it judged, so that the aggregate does not judge it a second time.

Every event reaches the aggregate through Kafka, and the aggregate must judge what a producer
published straight to the topics (hotline.judge). An event that came through ingest was judged
there already: validated, its caller hashed, its location coarsened, and published exactly as
judged. Judging it again finds nothing new and was about a fifth of a worker's CPU per event
(docs/performance.md). Ingest therefore puts a seal on each message it publishes: a keyed hash of
the message's value in the `hotline-judged` header. The aggregate takes a message whose seal
matches its value for judged; any other message (no seal, a wrong one, a value changed after
sealing) is judged as before. Only a holder of the key can seal, and the key is the caller-hash
key that ingest and the aggregate already share and nobody else has (decision 7 in
docs/architecture.md): a producer writing straight to Kafka cannot forge a seal, so it cannot
skip the contract or the hashing of a caller number.

The seal is keyed BLAKE2b (16 bytes, written as 32 hex digits: Kafka header values are read as
UTF-8 text, and a worker that does not know the seal must still read the message), under a key
derived from the caller-hash key and the contract version, so that it is never a caller hash and
a seal made under another contract's rules does not pass for this one's. Pure; the derived key
is computed once per key.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from hotline.contract import CONTRACT_VERSION

HEADER = "hotline-judged"
SEAL_BYTES = 16  # 32 hex digits in the header


@lru_cache(maxsize=4)
def _seal_key(hash_key: bytes) -> bytes:
    if not hash_key:
        raise ValueError("the caller hash key must not be empty")
    return hmac.digest(hash_key, f"hotline judged by ingest, contract {CONTRACT_VERSION}".encode(), "sha256")


@lru_cache(maxsize=4)
def _keyed(hash_key: bytes) -> Any:
    # The keyed hash with the key block already absorbed: a copy of it per message costs half
    # of building a keyed BLAKE2b each time (which compresses the key block again).
    return hashlib.blake2b(key=_seal_key(hash_key), digest_size=SEAL_BYTES)


def seal(value: bytes, hash_key: bytes) -> bytes:
    """The seal of a judged event's message value (the header's value)."""
    h = _keyed(hash_key).copy()
    h.update(value)
    return h.hexdigest().encode("ascii")


def sealed(value: bytes | None, headers: Iterable[tuple[str, bytes | None]], hash_key: bytes) -> bool:
    """Whether the message carries a seal that matches its value under this key."""
    if not value:
        return False
    for name, mark in headers:
        if name == HEADER:
            return mark is not None and hmac.compare_digest(mark, seal(value, hash_key))
    return False
