"""services.ingest.parse: content modes and whole-request errors, without a server."""

from __future__ import annotations

import pytest
from starlette.datastructures import Headers

from services.ingest.errors import MalformedJson, MalformedRequest, PayloadTooLarge, UnsupportedMediaType
from services.ingest.parse import Mode, check_encoding, content_mode, events_of

CE = {"ce-specversion": "1.0", "ce-id": "e1"}


@pytest.mark.parametrize("content_type,headers,mode", [
    ("application/cloudevents+json", {}, Mode.STRUCTURED),
    ("application/cloudevents+json; charset=utf-8", CE, Mode.STRUCTURED),  # the media type wins
    ("APPLICATION/CLOUDEVENTS-BATCH+JSON", {}, Mode.BATCH),
    ("application/json", CE, Mode.BINARY),
    ("text/plain", {"ce-id": "x"}, Mode.BINARY),  # the body's type is judged later
    (None, {"Ce-Specversion": "1.0"}, Mode.BINARY),
])
def test_content_mode(content_type, headers, mode) -> None:
    assert content_mode(content_type, Headers(headers)) is mode


@pytest.mark.parametrize("content_type,headers", [
    ("application/json", {}), (None, {}), ("text/plain", {"x-ce-id": "1"}),
    ("application/cloudevents+json; charset=iso-8859-1", {}),
    ("application/cloudevents+xml", {}),
])
def test_unsupported_content_types_are_415(content_type, headers) -> None:
    with pytest.raises(UnsupportedMediaType):
        content_mode(content_type, Headers(headers))


@pytest.mark.parametrize("encoding", ["gzip", "br", "deflate, identity"])
def test_content_encoding_is_415(encoding: str) -> None:
    with pytest.raises(UnsupportedMediaType, match="Content-Encoding"):
        check_encoding(encoding)
    check_encoding(None)
    check_encoding("identity")


def test_structured_body_is_one_event_of_any_json() -> None:
    assert events_of(Mode.STRUCTURED, b'{"id": "a"}', Headers(), None, 10) == [{"id": "a"}]
    assert events_of(Mode.STRUCTURED, b"[1, 2]", Headers(), None, 10) == [[1, 2]]  # judged later


def test_batch_body_is_an_array() -> None:
    assert events_of(Mode.BATCH, b'[{"id": "a"}, 5]', Headers(), None, 10) == [{"id": "a"}, 5]
    assert events_of(Mode.BATCH, b"[]", Headers(), None, 10) == []
    with pytest.raises(MalformedRequest, match="must be a JSON array"):
        events_of(Mode.BATCH, b'{"id": "a"}', Headers(), None, 10)


def test_a_batch_beyond_the_limit_is_413() -> None:
    with pytest.raises(PayloadTooLarge) as info:
        events_of(Mode.BATCH, b"[1,2,3,4]", Headers(), None, 3)
    assert info.value.status == 413 and info.value.extra == {"limit": 3}
    assert events_of(Mode.BATCH, b"[1,2,3]", Headers(), None, 3) == [1, 2, 3]


@pytest.mark.parametrize("body", [b"", b"  ", b"{", b'{"a": 1,}', b"\xff\xfe", b'"\\ud800"', b"NaN", b"[1e400]"])
@pytest.mark.parametrize("mode", [Mode.STRUCTURED, Mode.BATCH])
def test_malformed_json_is_400(body: bytes, mode: Mode) -> None:
    with pytest.raises(MalformedJson) as info:
        events_of(mode, body, Headers(), None, 10)
    assert info.value.status == 400


def test_binary_mode_errors_map_to_statuses() -> None:
    headers = Headers({"ce-id": "a%0Ab"})
    with pytest.raises(MalformedRequest, match="control characters") as info:
        events_of(Mode.BINARY, b"{}", headers, "application/json", 10)
    assert info.value.extra == {"header": "ce-id"}
    with pytest.raises(UnsupportedMediaType, match="must be JSON"):
        events_of(Mode.BINARY, b"hello", Headers({"ce-id": "a"}), "text/plain", 10)
    with pytest.raises(MalformedJson):
        events_of(Mode.BINARY, b"{", Headers({"ce-id": "a"}), "application/json", 10)


def test_binary_mode_is_one_event() -> None:
    headers = Headers({"ce-id": "a", "content-type": "application/json"})
    assert events_of(Mode.BINARY, b'{"x": 1}', headers, "application/json", 10) == [
        {"id": "a", "datacontenttype": "application/json", "data": {"x": 1}}]


def test_binary_mode_without_content_type_is_json_data() -> None:
    # what the CloudEvents SDKs' to_binary sends for JSON data: no Content-Type header at all
    headers = Headers({"ce-id": "a", "ce-source": "#pbx"})
    assert content_mode(None, headers) is Mode.BINARY
    assert events_of(Mode.BINARY, b'{"x": 1}', headers, None, 10) == [{"id": "a", "source": "#pbx", "data": {"x": 1}}]
    with pytest.raises(MalformedJson):
        events_of(Mode.BINARY, b"hello", headers, None, 10)


def test_null_attributes_are_absent_in_structured_and_batch_mode() -> None:
    body = b'{"id": "a", "dataschema": null, "traceparent": null, "source": null, "data": {"x": null}}'
    assert events_of(Mode.STRUCTURED, body, Headers(), None, 10) == [{"id": "a", "data": {"x": None}}]
    batch = b'[{"id": "a", "subject": null}, {"id": "b"}, null, {"data": null}]'
    assert events_of(Mode.BATCH, batch, Headers(), None, 10) == [{"id": "a"}, {"id": "b"}, None, {"data": None}]
