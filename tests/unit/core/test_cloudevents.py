"""hotline.cloudevents: binary mode (HTTP `ce-`, Kafka `ce_`) to a structured event."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.datastructures import Headers

from hotline.cloudevents import (
    HTTP_PREFIX, KAFKA_PREFIX, InvalidHeader, MalformedData, UnsupportedDataContentType,
    from_binary, kafka_headers, media_type, printable, without_null_attributes,
)
from hotline.contract import validate_event

PHONE = "13800138000"
ATTRS = {"ce-specversion": "1.0", "ce-id": "e1", "ce-source": "/pbx/main",
         "ce-type": "hotline.call.offered", "ce-time": "2024-03-01T08:00:00+08:00", "ce-subject": "call-1"}
EVENT = {"specversion": "1.0", "id": "e1", "source": "/pbx/main", "type": "hotline.call.offered",
         "time": "2024-03-01T08:00:00+08:00", "subject": "call-1"}


def http(extra: dict[str, str] | None = None, body: bytes = b'{"direction": "inbound"}',
         content_type: str | None = "application/json") -> dict:
    return from_binary({**ATTRS, **(extra or {})}, HTTP_PREFIX, body, content_type)


def test_http_binary_event_is_the_structured_event() -> None:
    event = http()
    assert event == {**EVENT, "datacontenttype": "application/json", "data": {"direction": "inbound"}}
    assert validate_event(event) == event


def test_header_names_are_case_insensitive_and_other_headers_ignored() -> None:
    headers = {k.upper(): v for k, v in ATTRS.items()} | {"Content-Length": "3", "x-ce-id": "no"}
    assert from_binary(headers, HTTP_PREFIX, b"{}", "application/json")["id"] == "e1"


def test_values_stay_strings_as_sent() -> None:
    event = http({"ce-time": "2024-03-01T08:00+08:00", "ce-traceparent": "00-ab-cd-01"})
    assert event["time"] == "2024-03-01T08:00+08:00"  # the contract, not the binding, rejects it
    assert event["traceparent"] == "00-ab-cd-01"


def test_extension_names_reach_the_contract_lower_cased() -> None:
    event = http({"ce-Trace.Id": "x"})
    assert event["trace.id"] == "x"
    assert [v.path for v in pytest.raises(Exception, validate_event, event).value.violations] == ["trace.id"]


def test_percent_encoded_values_are_decoded_over_http_only() -> None:
    assert http({"ce-subject": "%E5%B7%A5%E5%8D%95%2042"})["subject"] == "工单 42"
    kafka = {k.replace("ce-", "ce_"): v for k, v in ATTRS.items()} | {"ce_subject": "a%20b"}
    assert from_binary(kafka, KAFKA_PREFIX, b"", None)["subject"] == "a%20b"


@pytest.mark.parametrize("value,rule", [
    ("a%0D%0ASet-Cookie: x", "control characters"),
    ("a%0Ab", "control characters"),
    ("a%00b", "control characters"),
    ("a\tb", "control characters"),
    ("a%FFb", "percent-encoded bytes must be UTF-8"),
    ("工单", "non-ASCII characters must be percent-encoded"),
])
def test_untrusted_header_values_are_refused(value: str, rule: str) -> None:
    with pytest.raises(InvalidHeader) as info:
        http({"ce-id": value})
    assert info.value.header == "ce-id" and rule in str(info.value)
    assert value not in str(info.value)


def test_control_characters_in_kafka_headers_are_refused_too() -> None:
    with pytest.raises(InvalidHeader, match="control characters"):
        from_binary({"ce_id": "a\r\nb"}, KAFKA_PREFIX, b"", None)


def test_a_repeated_attribute_is_refused() -> None:
    headers = Headers(raw=[(b"ce-id", b"a"), (b"ce-id", b"b"), (b"ce-source", b"/x")])
    with pytest.raises(InvalidHeader, match="more than once"):
        from_binary(headers, HTTP_PREFIX, b"", None)


@pytest.mark.parametrize("name", ["ce-data", "ce-data_base64", "ce-datacontenttype"])
def test_data_attributes_do_not_travel_as_headers(name: str) -> None:
    with pytest.raises(InvalidHeader, match="travels as the Content-Type|travels in the body"):
        http({name: "x"})


def test_empty_body_means_no_data() -> None:
    assert "data" not in from_binary(ATTRS, HTTP_PREFIX, b"", None)
    assert "datacontenttype" not in from_binary(ATTRS, HTTP_PREFIX, b"", None)


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "application/octet-stream",
                                          "application/json; charset=latin-1", "; charset=utf-8"])
def test_a_declared_content_type_must_be_json(content_type: str) -> None:
    with pytest.raises(UnsupportedDataContentType, match="must be JSON"):
        http(content_type=content_type)


@pytest.mark.parametrize("content_type", [None, "", "  "])
def test_a_body_without_content_type_is_json(content_type: str | None) -> None:
    # The binding leaves Content-Type optional; the SDKs' to_binary sends JSON data without one.
    event = http(content_type=content_type)
    assert event == {**EVENT, "data": {"direction": "inbound"}}
    assert validate_event(event) == event
    with pytest.raises(MalformedData):
        http(body=b"hello", content_type=content_type)


@pytest.mark.parametrize("content_type", ["application/json", "Application/JSON; charset=UTF-8",
                                          "text/json", "application/vnd.hotline+json"])
def test_json_content_types(content_type: str) -> None:
    assert http(content_type=content_type)["data"] == {"direction": "inbound"}


def test_malformed_json_tells_where_not_what() -> None:
    with pytest.raises(MalformedData) as info:
        http(body=b'{"caller": "13800138000",}')
    assert (info.value.line, info.value.column) == (1, 25)  # the comma before }
    assert PHONE not in str(info.value)


def test_json_data_of_any_shape_is_left_to_the_contract() -> None:
    assert http(body=b"[1, 2]")["data"] == [1, 2]
    assert http(body=b"null")["data"] is None


def test_null_attributes_are_absent() -> None:
    event = {**EVENT, "dataschema": None, "traceparent": None, "data": {"x": None}}
    assert without_null_attributes(event) == {**EVENT, "data": {"x": None}}
    assert event["dataschema"] is None  # not mutated
    assert without_null_attributes(EVENT) is EVENT  # nothing null: the same object
    # data and data_base64 are members of the format, not attributes: left for the contract
    assert without_null_attributes({"id": None, "data": None, "data_base64": None}) == {
        "data": None, "data_base64": None}
    for other in (None, [None], "x", 1):
        assert without_null_attributes(other) == other


def test_kafka_headers() -> None:
    assert kafka_headers([("ce_id", b"e1"), ("content-type", b"application/json"), ("x", None)]) == {
        "ce_id": "e1", "content-type": "application/json"}
    with pytest.raises(InvalidHeader, match="UTF-8"):
        kafka_headers([("ce_id", b"\xff")])
    with pytest.raises(InvalidHeader, match="more than once"):
        kafka_headers([("ce_id", b"a"), ("ce_id", b"b")])


def test_media_type() -> None:
    mt = media_type("Application/CloudEvents+JSON ; Charset=\"utf-8\"")
    assert mt is not None and mt.essence == "application/cloudevents+json" and mt.is_json and mt.charset_ok
    assert media_type(None) is None and media_type(" ; x=y") is None
    assert not media_type("application/json; charset=utf-16").charset_ok


def test_printable_escapes_and_bounds() -> None:
    assert printable("ce-id\r\nx") == "ce-id\\r\\nx"
    assert len(printable("x" * 500)) == 67


@given(st.dictionaries(st.text(max_size=12).map(lambda s: "ce-" + s), st.text(max_size=20), max_size=6))
def test_any_headers_give_an_event_or_a_typed_error(headers: dict[str, str]) -> None:
    try:
        event = from_binary(headers, HTTP_PREFIX, b"", None)
    except InvalidHeader as exc:
        assert "\n" not in str(exc) and "\r" not in str(exc)
        return
    for value in event.values():
        assert isinstance(value, str) and "\n" not in value and "\r" not in value
