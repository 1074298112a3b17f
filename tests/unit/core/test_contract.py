"""The event contract v1 (docs/events.md) as enforced by hotline.contract and schemas/v1."""

from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft7Validator

from hotline import contract
from hotline.cloudevents import without_null_attributes
from hotline.contract import (
    CALL_TYPES, CONTRACT_TYPES, EVENT_TYPES, SOURCE_OF_CHANNEL, TICKET_TYPES, InvalidEvent, Violation,
    entity_of, validate_event,
)

SCHEMAS = Path(__file__).resolve().parents[3] / "schemas"
PHONE = "13800138000"
HASH = "0123456789abcdef" * 4


def event(event_type: str = "hotline.call.ended", data: Any = None, **attrs: Any) -> dict[str, Any]:
    e = {"specversion": "1.0", "id": "evt-1", "source": "/pbx/main", "type": event_type,
         "time": "2024-03-01T08:00:00+08:00", "subject": "call-1"}
    if data is not None:
        e["data"] = data
    e.update(attrs)
    return e


def without(e: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: v for k, v in e.items() if k not in names}


def rejected(obj: object) -> tuple[Violation, ...]:
    with pytest.raises(InvalidEvent) as info:
        validate_event(obj)
    assert info.value.violations
    return info.value.violations


def assert_rejected(obj: object, path: str, piece: str) -> None:
    violations = rejected(obj)
    assert any(v.path == path and piece in v.rule for v in violations), violations


@pytest.fixture
def fresh_contract():
    contract._contract.cache_clear()
    yield
    contract._contract.cache_clear()


VALID_DATA: dict[str, list[dict[str, Any]]] = {
    "hotline.call.offered": [
        {"direction": "inbound"},
        {"direction": "outbound", "line": "talent", "caller": PHONE},
        {"direction": "inbound", "line": "enterprise", "caller_hash": HASH},
    ],
    "hotline.call.answered": [{"agent_id": "A017"}],
    "hotline.call.abandoned": [{}],
    "hotline.call.ended": [{}],
    "hotline.ticket.created": [
        {"requester": "citizen", "channel": "phone", "kind": "consult", "category": "民生保障"},
        {"requester": "enterprise", "channel": "business_hotline", "kind": "non_consult",
         "category": "市场监管", "subcategory": "价格", "district": "鼓楼区", "line": "12345",
         "call_id": "call-9", "tags": ["epidemic", "heat"]},
    ],
    "hotline.ticket.answered": [{"by": "agent"}, {"by": "specialist"}],
    "hotline.ticket.dispatched": [
        {"department": "市住建局"},
        {"department": "市住建局", "deadline": "2024-03-08T18:00:00.5+08:00"},
    ],
    "hotline.ticket.completed": [{}, {"department": "市住建局"}],
    "hotline.ticket.transferred": [{"to": "110"}],
    "hotline.ticket.supervised": [{}, {"level": "yellow"}, {"level": 2}],
    "hotline.ticket.evaluation_requested": [{}],
    "hotline.ticket.evaluated": [
        {}, {"service_satisfied": True, "resolution_satisfied": False},
    ],
    "hotline.ticket.returned": [{"department": "市城管局"}, {"department": "市城管局", "reason": "不属本单位职责"}],
}

# (type, data, violation path, piece of the rule text)
INVALID_DATA: list[tuple[str, Any, str, str]] = [
    ("hotline.call.offered", {}, "data.direction", "is required"),
    ("hotline.call.offered", {"direction": "in"}, "data.direction", '"inbound", "outbound"'),
    ("hotline.call.offered", {"direction": 1}, "data.direction", '"inbound", "outbound"'),
    ("hotline.call.offered", {"direction": "inbound", "line": "110"}, "data.line",
     '"12345", "talent", "enterprise"'),
    ("hotline.call.offered", {"direction": "inbound", "caller": ""}, "data.caller", "non-empty"),
    ("hotline.call.offered", {"direction": "inbound", "caller_hash": HASH.upper()},
     "data.caller_hash", "64 lower-case hexadecimal"),
    ("hotline.call.offered", {"direction": "inbound", "caller_hash": HASH[:63]},
     "data.caller_hash", "64 lower-case hexadecimal"),
    ("hotline.call.offered", {"direction": "inbound", "caller_hash": HASH + "\n"},
     "data.caller_hash", "64 lower-case hexadecimal"),
    ("hotline.call.answered", {}, "data.agent_id", "is required"),
    ("hotline.call.answered", {"agent_id": ""}, "data.agent_id", "non-empty"),
    ("hotline.call.answered", {"agent_id": 17}, "data.agent_id", "must be a string"),
    ("hotline.call.abandoned", [], "data", "must be a JSON object"),
    ("hotline.call.ended", "bye", "data", "must be a JSON object"),
    ("hotline.ticket.created", {"channel": "web", "kind": "consult", "category": "交通"},
     "data.requester", "is required"),
    ("hotline.ticket.created", {"requester": "citizen", "kind": "consult", "category": "交通"},
     "data.channel", "is required"),
    ("hotline.ticket.created", {"requester": "citizen", "channel": "web", "category": "交通"},
     "data.kind", "is required"),
    ("hotline.ticket.created", {"requester": "citizen", "channel": "web", "kind": "consult"},
     "data.category", "is required"),
    ("hotline.ticket.created", {"requester": "company", "channel": "web", "kind": "consult",
     "category": "交通"}, "data.requester", '"citizen", "enterprise"'),
    ("hotline.ticket.created", {"requester": "citizen", "channel": "Phone", "kind": "consult",
     "category": "交通"}, "data.channel", '"phone", "web", "app", "wechat", "email", "sms", '
     '"video", "110", "maishangyi", "business_hotline", "other_platform"'),
    ("hotline.ticket.created", {"requester": "citizen", "channel": "web", "kind": "consultation",
     "category": "交通"}, "data.kind", '"consult", "non_consult"'),
    ("hotline.ticket.created", {"requester": "citizen", "channel": "web", "kind": "consult",
     "category": ""}, "data.category", "non-empty"),
    ("hotline.ticket.created", {"requester": "citizen", "channel": "web", "kind": "consult",
     "category": 5}, "data.category", "must be a string"),
    ("hotline.ticket.created", {"requester": "citizen", "channel": "web", "kind": "consult",
     "category": "交通", "district": None}, "data.district", "must be a string"),
    ("hotline.ticket.created", {"requester": "citizen", "channel": "web", "kind": "consult",
     "category": "交通", "line": "hotline"}, "data.line", '"12345", "talent", "enterprise"'),
    ("hotline.ticket.created", {"requester": "citizen", "channel": "web", "kind": "consult",
     "category": "交通", "tags": "epidemic"}, "data.tags", "must be an array"),
    ("hotline.ticket.created", {"requester": "citizen", "channel": "web", "kind": "consult",
     "category": "交通", "tags": ["a", "b", ""]}, "data.tags[2]", "non-empty"),
    ("hotline.ticket.returned", {}, "data.department", "is required"),
    ("hotline.ticket.returned", {"department": ""}, "data.department", "non-empty"),
    ("hotline.ticket.answered", {}, "data.by", "is required"),
    ("hotline.ticket.answered", {"by": "robot"}, "data.by", '"agent", "specialist"'),
    ("hotline.ticket.dispatched", {"deadline": "2024-03-08T18:00:00Z"}, "data.department",
     "is required"),
    ("hotline.ticket.dispatched", {"department": ""}, "data.department", "non-empty"),
    ("hotline.ticket.dispatched", {"department": "市住建局", "deadline": "2024-03-08"},
     "data.deadline", "RFC 3339"),
    ("hotline.ticket.dispatched", {"department": "市住建局", "deadline": "2023-02-29T18:00:00Z"},
     "data.deadline", "calendar"),
    ("hotline.ticket.completed", {"department": ""}, "data.department", "non-empty"),
    ("hotline.ticket.completed", {"department": 3}, "data.department", "must be a string"),
    ("hotline.ticket.transferred", {}, "data.to", "is required"),
    ("hotline.ticket.transferred", {"to": 110}, "data.to", 'must be one of "110"'),
    ("hotline.ticket.transferred", {"to": "120"}, "data.to", 'must be one of "110"'),
    ("hotline.ticket.supervised", {"level": True}, "data.level", "a string or an integer"),
    ("hotline.ticket.supervised", {"level": 1.5}, "data.level", "a string or an integer"),
    ("hotline.ticket.evaluation_requested", None, "data", "must be a JSON object"),
    ("hotline.ticket.evaluated", {"service_satisfied": "yes"}, "data.service_satisfied",
     "true or false"),
    ("hotline.ticket.evaluated", {"resolution_satisfied": 1}, "data.resolution_satisfied",
     "true or false"),
]


@pytest.mark.parametrize("event_type,data", [(t, d) for t, ds in VALID_DATA.items() for d in ds])
def test_valid_data_is_accepted_unchanged(event_type: str, data: dict[str, Any]) -> None:
    e = event(event_type, dict(data))
    assert validate_event(e) == event(event_type, dict(data))


@pytest.mark.parametrize("event_type,data,path,piece", INVALID_DATA)
def test_invalid_data_is_rejected(event_type: str, data: Any, path: str, piece: str) -> None:
    e = event(event_type)
    e["data"] = data  # also when data is None: a present null is not an object
    assert_rejected(e, path, piece)


def test_unknown_data_fields_and_extensions_are_kept() -> None:
    e = event("hotline.ticket.answered", {"by": "agent", "x_note": {"nested": [1, 2]}, "Odd.Key": 1},
              traceparent="00-abc-def-01", partitionkey="t1", ext2="v")
    assert validate_event(e) == {
        "specversion": "1.0", "id": "evt-1", "source": "/pbx/main",
        "type": "hotline.ticket.answered", "time": "2024-03-01T08:00:00+08:00", "subject": "call-1",
        "data": {"by": "agent", "x_note": {"nested": [1, 2]}, "Odd.Key": 1},
        "traceparent": "00-abc-def-01", "partitionkey": "t1", "ext2": "v",
    }


@pytest.mark.parametrize("event_type", ["hotline.call.abandoned", "hotline.call.ended",
                                        "hotline.ticket.completed", "hotline.ticket.supervised",
                                        "hotline.ticket.evaluation_requested",
                                        "hotline.ticket.evaluated"])
def test_absent_data_is_an_empty_object_for_types_without_required_fields(event_type: str) -> None:
    e = event(event_type)
    assert validate_event(e)["data"] == {}
    assert "data" not in e  # the input is not mutated


@pytest.mark.parametrize("event_type,path", [
    ("hotline.call.offered", "data.direction"), ("hotline.call.answered", "data.agent_id"),
    ("hotline.ticket.answered", "data.by"), ("hotline.ticket.dispatched", "data.department"),
    ("hotline.ticket.transferred", "data.to"),
])
def test_absent_data_is_rejected_for_types_with_required_fields(event_type: str, path: str) -> None:
    assert rejected(event(event_type)) == (Violation(path, "is required"),)


@pytest.mark.parametrize("name", ["id", "source", "type", "specversion", "time", "subject"])
def test_missing_attribute(name: str) -> None:
    assert rejected(without(event(), name)) == (Violation(name, "is required"),)


@pytest.mark.parametrize("name,value,piece", [
    ("id", "", "must be a non-empty string"),
    ("source", "", "must be a non-empty string"),
    ("subject", "", "must be a non-empty string"),
    ("id", 7, "must be a string"),
    ("source", 7, "must be a string"),
    ("type", "", 'must be one of "hotline.call.offered", "hotline.call.answered"'),
    ("type", "hotline.call.parked", 'must be one of "hotline.call.offered"'),
    ("specversion", "", 'must be "1.0"'),
    ("specversion", "0.3", 'must be "1.0"'),
    ("specversion", 1.0, 'must be "1.0"'),
    ("time", 1709251200, "must be a string"),
    ("datacontenttype", 5, "must be a string"),
    ("dataschema", [], "must be a string"),
])
def test_bad_attribute_value(name: str, value: Any, piece: str) -> None:
    assert_rejected(event(**{name: value}), name, piece)


@pytest.mark.parametrize("name", ["datacontenttype", "dataschema", "traceparent", "Odd.Name", "caller"])
def test_an_optional_attribute_given_as_null_is_absent(name: str) -> None:
    # CloudEvents JSON format: a null attribute is unset; the input stays as it was.
    e = event("hotline.call.ended", {}, **{name: None})
    assert validate_event(e) == without(e, name)
    assert e[name] is None


@pytest.mark.parametrize("name", ["id", "source", "type", "specversion", "time", "subject"])
def test_a_required_attribute_given_as_null_is_missing(name: str) -> None:
    assert rejected(event(**{name: None})) == (Violation(name, "is required"),)


def test_null_data_and_data_base64_are_not_attributes() -> None:
    assert rejected({**event(), "data": None}) == (Violation("data", "must be a JSON object"),)
    assert rejected(event(data_base64=None)) == (Violation("data_base64", "must be a string"),)


def test_relative_source_references_are_valid() -> None:
    for source in ("#pbx", "pbx/main", "../pbx", "?line=12345", "urn:hotline:pbx", "https://pbx.example/x"):
        assert validate_event(event(source=source))["source"] == source


@pytest.mark.parametrize("time", [
    "2024-03-01T08:00+08:00",           # no seconds
    "2024-03-01T08:00:00",              # no offset
    "2024-03-01T08:00:00+24:00",        # offset hours 24
    "2024-03-01T08:00:00+08:60",
    "2024-03-01T08:00:00+0800",
    "2024-03-01 08:00:00Z",
    "2024-13-01T08:00:00Z",
    "2024-03-32T08:00:00Z",
    "2024-03-01T24:00:00Z",
    "2024-03-01T08:60:00Z",
    "2024-03-01T08:00:61Z",
    "2024-03-01T08:00:00.Z",
    "2024-03-01T08:00:00Z\n",
    "２０２４-03-01T08:00:00Z",          # full-width digits
])
def test_time_format(time: str) -> None:
    assert rejected(event(time=time)) == (Violation(
        "time", "must be an RFC 3339 date-time with seconds and an offset (Z or ±hh:mm, hours 00–23)"),)


@pytest.mark.parametrize("time", ["2023-02-30T00:00:00Z", "2023-02-29T12:00:00Z",
                                  "2024-04-31T12:00:00+08:00", "0000-01-01T00:00:00Z"])
def test_time_must_exist_in_the_calendar(time: str) -> None:
    assert rejected(event(time=time)) == (
        Violation("time", "must be a date and time that exist in the calendar"),)


@pytest.mark.parametrize("time", ["2024-02-29T23:59:60Z", "2024-03-01t08:00:00z",
                                  "2024-03-01T08:00:00.123456789-05:30",
                                  "2024-12-31T23:59:59+23:59", "2024-03-01T00:00:00-00:00"])
def test_valid_times(time: str) -> None:
    assert validate_event(event(time=time))["time"] == time


@pytest.mark.parametrize("name", ["Foo", "traceId", "trace.id", "trace_id", "trace-id", "é", ""])
def test_extension_names_are_lower_case_letters_and_digits(name: str) -> None:
    assert rejected(event(**{name: "x"})) == (
        Violation(name, "extension attribute names must be lower-case letters and digits only"),)


def test_data_and_data_base64_never_both() -> None:
    assert rejected(event("hotline.call.ended", {}, data_base64="e30=")) == (
        Violation("data_base64", "data and data_base64 must not both be present"),)


def test_data_base64_alone_is_rejected() -> None:
    assert rejected(event("hotline.call.offered", data_base64="e30=")) == (Violation(
        "data_base64", "data_base64 is not accepted: these event types carry data as a JSON object"),)


@pytest.mark.parametrize("obj", [[], [event()], "event", 1, 1.5, None, True])
def test_non_object_events(obj: object) -> None:
    assert rejected(obj) == (Violation("", "an event must be a JSON object"),)


def test_all_violations_are_listed_at_once() -> None:
    e = event("hotline.ticket.created", {"requester": "citizen", "channel": "fax", "tags": [""]},
              specversion="1.1", time="2024-03-01T08:00:00", Bad=1)
    del e["id"]
    assert rejected(e) == (
        Violation("Bad", "extension attribute names must be lower-case letters and digits only"),
        Violation("data.category", "is required"),
        Violation("data.channel", 'must be one of "phone", "web", "app", "wechat", "email", "sms", '
                                  '"video", "110", "maishangyi", "business_hotline", "other_platform"'),
        Violation("data.kind", "is required"),
        Violation("data.tags[0]", "must be a non-empty string"),
        Violation("id", "is required"),
        Violation("specversion", 'must be "1.0"'),
        Violation("time", "must be an RFC 3339 date-time with seconds and an offset (Z or ±hh:mm, hours 00–23)"),
    )


def test_invalid_event_reads_well_and_pickles() -> None:
    exc = InvalidEvent([Violation("", "an event must be a JSON object"), Violation("data.by", "is required")])
    assert isinstance(exc, ValueError)
    assert str(exc) == "invalid event: (event): an event must be a JSON object; data.by: is required"
    assert pickle.loads(pickle.dumps(exc)).violations == exc.violations


@pytest.mark.parametrize("caller", [13800138000, [PHONE], {"n": PHONE}, True, PHONE + "\n", ""])
def test_a_phone_number_never_leaks_into_errors(caller: Any) -> None:
    e = event("hotline.call.offered", {"direction": "sideways", "caller": caller,
                                       "caller_hash": PHONE}, time=PHONE, id=int(PHONE))
    with pytest.raises(InvalidEvent) as info:
        validate_event(e)
    exc = info.value
    assert exc.__suppress_context__  # the fastjsonschema error carries the value
    for text in (str(exc), repr(exc), *(v.path + v.rule for v in exc.violations)):
        assert PHONE not in text and "38001380" not in text


def test_schema_files_are_exactly_the_contract() -> None:
    # The event contract is v1/; report/ holds the schemas of the report and brief documents (services/api);
    # asyncapi.yaml describes the Kafka topics with $refs into v1/ (tests/unit/core/test_asyncapi.py).
    files = sorted(str(p.relative_to(SCHEMAS)) for p in (SCHEMAS / "v1").rglob("*") if p.is_file())
    # (the platform's alert types are exercised in test_returned_and_alert_types.py)
    assert files == ["v1/data/" + t + ".json" for t in sorted(CONTRACT_TYPES)] + ["v1/envelope.json"]
    assert sorted(str(p.relative_to(SCHEMAS)) for p in SCHEMAS.rglob("*") if p.is_file()) == sorted(
        [*files, "report/v1/brief.json", "report/v1/report.json", "asyncapi.yaml"])
    for name in files:
        Draft7Validator.check_schema(json.loads((SCHEMAS / name).read_text(encoding="utf-8")))
    # every data schema is exercised by a valid and an invalid case above
    assert set(VALID_DATA) == EVENT_TYPES
    assert {t for t, *_ in INVALID_DATA} == EVENT_TYPES


def test_schemas_agree_with_the_constants() -> None:
    envelope = json.loads((SCHEMAS / "v1/envelope.json").read_text(encoding="utf-8"))
    created = json.loads((SCHEMAS / "v1/data/hotline.ticket.created.json").read_text(encoding="utf-8"))
    assert set(envelope["properties"]["type"]["enum"]) == CONTRACT_TYPES
    assert created["properties"]["channel"]["enum"] == list(SOURCE_OF_CHANNEL)


def test_schemas_are_read_from_the_env_folder_when_first_needed(tmp_path, monkeypatch, fresh_contract) -> None:
    shutil.copytree(SCHEMAS, tmp_path / "schemas")
    path = tmp_path / "schemas/v1/data/hotline.ticket.transferred.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    schema["properties"]["to"]["enum"] = ["120"]
    path.write_text(json.dumps(schema), encoding="utf-8")
    monkeypatch.setenv("HOTLINE_SCHEMAS_DIR", str(tmp_path / "schemas"))
    assert validate_event(event("hotline.ticket.transferred", {"to": "120"}))["data"] == {"to": "120"}
    assert_rejected(event("hotline.ticket.transferred", {"to": "110"}), "data.to", 'must be one of "120"')


def test_a_missing_schema_folder_fails_at_warm_up(tmp_path, monkeypatch, fresh_contract) -> None:
    monkeypatch.setenv("HOTLINE_SCHEMAS_DIR", str(tmp_path))
    with pytest.raises(FileNotFoundError):
        contract.warm_up()


def test_types_and_entities() -> None:
    assert CALL_TYPES == {"hotline.call.offered", "hotline.call.answered",
                          "hotline.call.abandoned", "hotline.call.ended"}
    assert TICKET_TYPES == {"hotline.ticket.created", "hotline.ticket.answered",
                            "hotline.ticket.dispatched", "hotline.ticket.completed",
                            "hotline.ticket.transferred", "hotline.ticket.supervised",
                            "hotline.ticket.evaluation_requested", "hotline.ticket.evaluated",
                            "hotline.ticket.returned"}
    assert EVENT_TYPES == CALL_TYPES | TICKET_TYPES and len(EVENT_TYPES) == 13
    assert entity_of("hotline.call.ended") == "call"
    assert entity_of("hotline.ticket.evaluated") == "ticket"
    with pytest.raises(ValueError):
        entity_of("hotline.sms.sent")


def test_source_of_channel() -> None:
    assert dict(SOURCE_OF_CHANNEL) == {
        "phone": "phone", "web": "internet", "app": "internet", "wechat": "internet",
        "email": "internet", "sms": "internet", "video": "internet", "110": "transfer_in",
        "maishangyi": "transfer_in", "business_hotline": "transfer_in",
        "other_platform": "transfer_in",
    }


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
near_values = st.sampled_from([
    "", "1.0", "x", "inbound", "outbound", "12345", "citizen", "web", "110", "agent", "consult",
    "2024-03-01T08:00:00Z", "2023-02-30T00:00:00Z", "2024-03-01T08:00:00Z\n", HASH, HASH.upper(),
    110, 1, 0, 1.0, 2.5, True, False, None, [], ["a"], [""], {}, {"by": "agent"}, PHONE,
])
names = st.sampled_from([
    "specversion", "id", "source", "type", "time", "subject", "data", "data_base64",
    "datacontenttype", "dataschema", "ext1", "Ext", "a_b",
])
data_names = st.sampled_from([
    "direction", "line", "caller", "caller_hash", "agent_id", "requester", "channel", "kind",
    "category", "subcategory", "district", "call_id", "tags", "by", "department", "deadline",
    "to", "level", "service_satisfied", "resolution_satisfied", "unknown",
])
valid_events = st.sampled_from([(t, d) for t, ds in VALID_DATA.items() for d in ds]).map(
    lambda td: event(td[0], dict(td[1])))


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_random_json_raises_only_invalid_event(obj: Any) -> None:
    try:
        assert isinstance(validate_event(obj), dict)
    except InvalidEvent as exc:
        assert exc.violations and all(isinstance(v, Violation) for v in exc.violations)


def assert_validators_agree(e: dict[str, Any]) -> None:
    """The fast path decides; the explaining path must find a reason for every rejection (both
    judge the event as read: null attributes absent)."""
    explained = contract._violations(without_null_attributes(e), *contract._contract())
    try:
        validate_event(e)
    except InvalidEvent as exc:
        assert explained and exc.violations == explained
        assert all(PHONE not in str(v) for v in exc.violations)
    else:
        assert explained == ()


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_events, st.dictionaries(names, near_values | json_values, max_size=3),
       st.lists(names, max_size=2))
def test_validators_agree_on_envelopes(e, attrs, dropped) -> None:
    assert_validators_agree(without({**e, **attrs}, *dropped))


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_events, st.dictionaries(data_names, near_values | json_values, min_size=1, max_size=3),
       st.lists(data_names, max_size=2))
def test_validators_agree_on_data(e, data, dropped) -> None:
    assert_validators_agree({**e, "data": without({**e["data"], **data}, *dropped)})


def test_caller_as_an_event_attribute_is_refused_without_echoing_it():
    event = {"specversion": "1.0", "id": "1", "source": "/pbx/main", "type": "hotline.call.ended",
             "time": "2023-03-06T09:00:00+08:00", "subject": "c1", "caller": "13800138000"}
    with pytest.raises(InvalidEvent) as err:
        validate_event(event)
    assert [(v.path, v.rule) for v in err.value.violations] == [
        ("caller", "caller is personal data: send it as data.caller, where it is hashed; never as an event attribute")
    ]
    assert "13800138000" not in str(err.value)
