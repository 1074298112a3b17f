"""hotline.privacy: the caller number is replaced by a keyed hash and never kept."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotline.privacy import caller_hash, scrub_caller

KEY = b"k" * 32
PHONE = "13800138000"
# HMAC-SHA256(b"k"*32, b"13800138000"), computed independently of the code under test.
PHONE_HASH = hmac.new(KEY, PHONE.encode(), hashlib.sha256).hexdigest()


def offered(**data: Any) -> dict[str, Any]:
    return {"specversion": "1.0", "id": "e1", "source": "/pbx/main", "type": "hotline.call.offered",
            "time": "2024-03-01T08:00:00+08:00", "subject": "call-1",
            "data": {"direction": "inbound", **data}}


def test_caller_hash_is_hmac_sha256_hex() -> None:
    assert caller_hash(KEY, PHONE) == PHONE_HASH
    assert len(PHONE_HASH) == 64 and PHONE_HASH == PHONE_HASH.lower()


@pytest.mark.parametrize("written", ["138 0013 8000", "138-0013-8000", " 13800138000 ", "138 - 0013-8000"])
def test_spaces_and_dashes_do_not_change_the_hash(written: str) -> None:
    assert caller_hash(KEY, written) == PHONE_HASH


def test_the_key_matters_and_must_not_be_empty() -> None:
    assert caller_hash(b"other-key" * 4, PHONE) != PHONE_HASH
    with pytest.raises(ValueError, match="must not be empty"):
        caller_hash(b"", PHONE)


def test_scrub_replaces_caller_in_place_and_keeps_the_rest() -> None:
    event = offered(caller=PHONE, line="talent", note="x")
    before = copy.deepcopy(event)
    scrubbed = scrub_caller(event, KEY)
    assert event == before  # not mutated
    assert scrubbed == {**before, "data": {"direction": "inbound", "caller_hash": PHONE_HASH,
                                           "line": "talent", "note": "x"}}
    assert list(scrubbed["data"]) == ["direction", "caller_hash", "line", "note"]


def test_a_sent_caller_hash_is_overwritten_by_the_platforms() -> None:
    scrubbed = scrub_caller(offered(caller_hash="0" * 64, caller=PHONE), KEY)
    assert scrubbed["data"] == {"direction": "inbound", "caller_hash": PHONE_HASH}


def test_a_caller_hash_alone_is_kept() -> None:
    event = offered(caller_hash="0" * 64)
    assert scrub_caller(event, KEY) is event


@pytest.mark.parametrize("caller,text", [
    (13800138000, "13800138000"), ([PHONE], '["13800138000"]'), ({"n": PHONE}, '{"n":"13800138000"}'),
    (None, "null"), (True, "true"), (1.5, "1.5"),
])
def test_a_non_string_caller_is_hashed_from_its_json_text(caller: Any, text: str) -> None:
    scrubbed = scrub_caller(offered(caller=caller), KEY)
    assert scrubbed["data"] == {"direction": "inbound", "caller_hash": caller_hash(KEY, text)}
    assert PHONE not in json.dumps(scrubbed)


@pytest.mark.parametrize("event", [
    {"id": "x"}, {"data": None}, {"data": "13800138000"}, {"data": [PHONE]}, offered(),
    {"caller": PHONE},  # a top-level extension is not data.caller (see the module docstring)
])
def test_nothing_to_scrub_returns_the_event_itself(event: dict[str, Any]) -> None:
    assert scrub_caller(event, KEY) is event


def test_any_event_type_is_scrubbed() -> None:
    ticket = {"type": "hotline.ticket.created", "data": {"caller": PHONE, "channel": "phone"}}
    assert scrub_caller(ticket, KEY)["data"] == {"caller_hash": PHONE_HASH, "channel": "phone"}


@given(st.text(alphabet="0123456789 -+", min_size=1, max_size=20))
def test_the_clear_number_never_survives(number: str) -> None:
    scrubbed = scrub_caller(offered(caller=number), KEY)
    assert "caller" not in scrubbed["data"]
    assert scrubbed["data"]["caller_hash"] == caller_hash(KEY, number)
