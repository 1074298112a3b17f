"""hotline.judged: ingest's seal on a judged event, checked by the aggregate."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from hotline.judged import HEADER, SEAL_BYTES, seal, sealed

KEY = b"k" * 32
VALUE = b'{"specversion":"1.0","id":"e1"}'


def test_the_seal_is_keyed_blake2b_under_a_key_derived_for_contract_v1() -> None:
    # Written out here from the documented construction, not taken from the module.
    derived = hmac.new(KEY, b"hotline judged by ingest, contract v1", hashlib.sha256).digest()
    assert seal(VALUE, KEY) == hashlib.blake2b(VALUE, key=derived, digest_size=16).hexdigest().encode()
    assert len(seal(VALUE, KEY)) == 2 * SEAL_BYTES == 32
    seal(VALUE, KEY).decode("utf-8")  # Kafka header values are read as text (services/aggregate/decode.py)


def test_a_matching_seal_passes() -> None:
    assert sealed(VALUE, [("content-type", b"x"), (HEADER, seal(VALUE, KEY))], KEY)


@pytest.mark.parametrize("headers, value, key", [
    ([], VALUE, KEY),                                                  # no seal
    ([(HEADER, None)], VALUE, KEY),                                    # an empty header
    ([(HEADER, seal(VALUE, KEY)[:-1])], VALUE, KEY),                   # cut short
    ([(HEADER, seal(VALUE, b"other-key" * 4))], VALUE, KEY),           # sealed under another key
    ([(HEADER, seal(VALUE, KEY))], VALUE.replace(b"e1", b"e2"), KEY),  # the value changed after sealing
    ([(HEADER, seal(VALUE, KEY))], VALUE, b"other-key" * 4),           # checked under another key
    ([(HEADER, seal(b"", KEY))], b"", KEY),                            # an empty value is never judged
    ([(HEADER.upper(), seal(VALUE, KEY))], VALUE, KEY),                # header names are exact
])
def test_anything_else_does_not(headers, value, key) -> None:
    assert not sealed(value, headers, key)


def test_the_seal_is_no_caller_hash_of_the_same_text() -> None:
    assert seal(VALUE, KEY) != hmac.new(KEY, VALUE, hashlib.sha256).hexdigest()[:32].encode()


def test_an_empty_key_is_refused() -> None:
    with pytest.raises(ValueError, match="must not be empty"):
        seal(VALUE, b"")
