"""Parity with the official CloudEvents Python SDK (PyPI `cloudevents`, a test-only dependency):
what the SDK sends with its defaults, ingest's parser (services.ingest.parse, no HTTP) reads into
the same attributes and data as the SDK's own receiver, `from_http`.

Two APIs of the SDK are used: its own (`cloudevents.core`, SDK 2) and the 1.x API it still ships
(`cloudevents.v1`), each read back by its own `from_http`. Neither has a batch mode, so a batch is
a JSON array of SDK-made structured events, sent as application/cloudevents-batch+json, and each
element is compared with what `from_http` reads from that event alone.

Compared as the JSON event format means them: an attribute the SDK reads as None is absent (ingest's
parser must drop it itself), and `time` is compared as an instant with its offset (the SDK parses
it, ingest keeps the string as sent). tests/integration/ingest/test_ingest_cloudevents_sdk.py posts
the same corpus to the app.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
import pytest
from cloudevents.core.bindings import http as sdk_http
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from cloudevents.v1 import conversion as v1_conversion
from cloudevents.v1.http import CloudEvent as V1CloudEvent
from cloudevents.v1.http import from_http as v1_from_http
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.datastructures import Headers

from hotline.contract import EVENT_TYPES, InvalidEvent, Violation, validate_event
from services.ingest.parse import Mode, content_mode, events_of
from tests.support.eventgen import call_events, ticket_events

CST = dt.timezone(dt.timedelta(hours=8))
WHEN = dt.datetime(2024, 3, 1, 8, 0, 0, tzinfo=CST)
STRUCTURED_TYPE = "application/cloudevents+json"
BATCH_TYPE = "application/cloudevents-batch+json"

# One valid event of every type of the contract (data None: the SDK sends no data at all).
DATA: dict[str, dict[str, Any] | None] = {
    "hotline.call.offered": {"direction": "inbound", "line": "talent"},
    "hotline.call.answered": {"agent_id": "A7"},
    "hotline.call.abandoned": None,
    "hotline.call.ended": {},
    "hotline.ticket.created": {"requester": "citizen", "channel": "wechat", "kind": "non_consult",
                               "category": "民生保障", "subcategory": "供水", "district": "清江浦区",
                               "call_id": "C-1", "tags": ["epidemic"],
                               "location": {"street": "清河街道", "h3": "8931aa4a1a3ffff"}},
    "hotline.ticket.answered": {"by": "specialist"},
    "hotline.ticket.dispatched": {"department": "市住建局", "deadline": "2024-03-08T18:00:00+08:00"},
    "hotline.ticket.completed": {"department": "市住建局"},
    "hotline.ticket.transferred": {"to": "110"},
    "hotline.ticket.supervised": {"level": 2},
    "hotline.ticket.evaluation_requested": None,
    "hotline.ticket.evaluated": {"service_satisfied": True, "resolution_satisfied": False},
    "hotline.ticket.returned": {"department": "市城管局", "reason": "不属本单位职责"},
}
assert set(DATA) == EVENT_TYPES

def read_core(headers: dict[str, str], body: bytes) -> tuple[dict[str, Any], Any]:
    event = sdk_http.from_http(sdk_http.HTTPMessage(headers, body), JSONFormat())
    return event.get_attributes(), event.get_data()


def read_v1(headers: dict[str, str], body: bytes) -> tuple[dict[str, Any], Any]:
    event = v1_from_http(headers, body)
    return {name: event[name] for name in event}, event.get_data()


@dataclass(frozen=True)
class Sent:
    """One HTTP request as the SDK makes it, and what the SDK's receiver reads from each event."""

    label: str
    headers: dict[str, str]
    body: bytes
    sdk_reads: tuple[tuple[dict[str, Any], Any], ...]

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")


def core_event(event_type: str, *, source: str | None = None, **attrs: Any) -> CloudEvent:
    """An SDK 2 event with the SDK's defaults: id (a UUID) and specversion are the SDK's."""
    entity = "call" if event_type.startswith("hotline.call.") else "ticket"
    attributes = {"type": event_type, "source": source or ("/pbx/main" if entity == "call" else "/portal/web"),
                  "subject": f"{entity}-工单-42", "time": WHEN, **attrs}
    return CloudEvent(attributes, DATA[event_type])


def core_structured(label: str, event: CloudEvent) -> Sent:
    m = sdk_http.to_structured_event(event)
    return Sent(label, m.headers, m.body, (read_core(m.headers, m.body),))


def core_binary(label: str, event: CloudEvent) -> Sent:
    m = sdk_http.to_binary_event(event)
    return Sent(label, m.headers, m.body, (read_core(m.headers, m.body),))


def batch_of(label: str, events: list[Sent]) -> Sent:
    """A JSON array of SDK-made structured events (the SDK has no batch of its own)."""
    body = b"[" + b", ".join(e.body for e in events) + b"]"
    return Sent(label, {"content-type": BATCH_TYPE}, body, tuple(r for e in events for r in e.sdk_reads))


def v1_sent(label: str, made: tuple[dict[str, str], bytes | None]) -> Sent:
    headers, body = made
    return Sent(label, headers, body or b"", (read_v1(headers, body or b""),))


def corpus() -> list[Sent]:
    """Every event type in structured, batch and binary mode (with and without Content-Type),
    by both SDK APIs; then null attributes and relative sources."""
    out: list[Sent] = []
    structured = [core_structured(f"structured {t}", core_event(t)) for t in sorted(EVENT_TYPES)]
    out += structured
    out.append(batch_of("batch of every type", structured))
    out += [core_binary(f"binary {t}", core_event(t)) for t in sorted(EVENT_TYPES)]
    out.append(core_binary("binary with Content-Type", core_event("hotline.call.offered",
                                                                   datacontenttype="application/json")))
    out.append(core_structured("structured, the SDK's default time", CloudEvent(
        {"type": "hotline.call.ended", "source": "/pbx/main", "subject": "call-now"})))
    for t in ("hotline.call.offered", "hotline.ticket.created", "hotline.ticket.evaluation_requested"):
        v1 = V1CloudEvent({"type": t, "source": "/portal/web", "subject": "T-1", "time": WHEN.isoformat()}, DATA[t])
        out.append(v1_sent(f"v1 structured {t}", v1_conversion.to_structured(v1)))
        out.append(v1_sent(f"v1 binary {t}", v1_conversion.to_binary(v1)))
    # null attributes: the SDK 2 writes an extension set to None as null (its binary mode leaves
    # it out); the 1.x API leaves out known attributes set to None, but not extensions
    nulls = core_structured("structured, extension null", core_event("hotline.call.answered", traceparent=None))
    out += [nulls, core_binary("binary, extension None", core_event("hotline.call.answered", traceparent=None))]
    out.append(batch_of("batch, extension null", [nulls, structured[0]]))
    v1 = V1CloudEvent({"type": "hotline.call.ended", "source": "/pbx/main", "subject": "c-1",
                       "time": WHEN.isoformat(), "dataschema": None, "traceparent": None}, {})
    out.append(v1_sent("v1 structured, dataschema and extension None", v1_conversion.to_structured(v1)))
    # as producers of other languages write it: every optional attribute null (the SDK 2's
    # reader refuses a null dataschema; its 1.x reader takes it for absent)
    body = (b'{"specversion": "1.0", "id": "n-1", "source": "#pbx", "type": "hotline.call.ended", '
            b'"time": "2024-03-01T08:00:00+08:00", "subject": "c-1", "datacontenttype": null, '
            b'"dataschema": null, "traceparent": null, "data": {}}')
    out.append(Sent("structured, optional attributes null", {"content-type": STRUCTURED_TYPE},
                    body, (read_v1({"content-type": STRUCTURED_TYPE}, body),)))
    # relative source URI-references
    for source in ("#pbx", "pbx/main", "?line=12345"):
        out.append(core_structured(f"structured, source {source}", core_event("hotline.call.ended", source=source)))
        out.append(core_binary(f"binary, source {source}", core_event("hotline.call.ended", source=source)))
    out.append(batch_of("batch, relative sources", [e for e in out if e.label.startswith("structured, source")]))
    return out


CORPUS = corpus()


def parse(sent: Sent) -> list[object]:
    """ingest's parser on a request, as the route calls it (the headers as Starlette hands them)."""
    headers = Headers(sent.headers)
    mode = content_mode(sent.content_type, headers)
    assert mode is {STRUCTURED_TYPE: Mode.STRUCTURED, BATCH_TYPE: Mode.BATCH}.get(
        sent.content_type or "", Mode.BINARY)
    return events_of(mode, sent.body, headers, sent.content_type, 10_000)


def instant(value: Any) -> tuple[dt.datetime, dt.timedelta | None]:
    t = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)
    return t, t.utcoffset()


def as_read(attributes: Mapping[str, Any], data: Any, *, drop_nulls: bool) -> tuple[dict[str, Any], Any]:
    attrs = {k: instant(v) if k == "time" else v for k, v in attributes.items()
             if not (drop_nulls and v is None)}
    return attrs, data


def ours(event: object) -> tuple[dict[str, Any], Any]:
    assert isinstance(event, dict)
    return as_read({k: v for k, v in event.items() if k != "data"}, event.get("data"), drop_nulls=False)


@pytest.mark.parametrize("sent", CORPUS, ids=[s.label for s in CORPUS])
def test_the_parser_reads_what_the_sdk_reads(sent: Sent) -> None:
    events = parse(sent)
    assert [ours(e) for e in events] == [as_read(a, d, drop_nulls=True) for a, d in sent.sdk_reads]
    for event in events:
        assert validate_event(event)  # and each is a valid event of the contract


def test_the_corpus_holds_the_cases_it_is_for() -> None:
    binary = [s for s in CORPUS if "ce-specversion" in s.headers]
    with_data = [t for t, d in DATA.items() if d is not None]
    assert sum("content-type" not in s.headers and bool(s.body) for s in binary) > len(with_data)  # the SDK's default
    assert any(s.headers.get("content-type") == "application/json" for s in binary)
    assert any(b": null" in s.body for s in CORPUS if s.content_type == BATCH_TYPE)
    assert sum(b'"dataschema": null' in s.body for s in CORPUS) == 1
    assert any("%" in s.headers.get("ce-subject", "") for s in binary)  # non-ASCII, percent-encoded
    sources = {a["source"] for s in CORPUS for a, _ in s.sdk_reads}
    assert {"#pbx", "pbx/main", "?line=12345"} <= sources


@pytest.mark.parametrize("name", ["id", "source", "type", "time", "subject", "specversion"])
def test_a_required_attribute_given_as_null_is_still_a_violation(name: str) -> None:
    event = {"specversion": "1.0", "id": "n-1", "source": "#pbx", "type": "hotline.call.ended",
             "time": "2024-03-01T08:00:00+08:00", "subject": "c-1", name: None}
    for sent in (Sent("structured", {"content-type": STRUCTURED_TYPE}, orjson.dumps(event), ()),
                 Sent("batch", {"content-type": BATCH_TYPE}, orjson.dumps([event]), ())):
        [parsed] = parse(sent)
        with pytest.raises(InvalidEvent) as info:
            validate_event(parsed)
        assert info.value.violations == (Violation(name, "is required"),), sent.label


# --- generated events: any subject text, any offset, every type with eventgen's data -------------

printable = st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=20)
offsets = st.integers(-14 * 60, 14 * 60).map(lambda m: dt.timezone(dt.timedelta(minutes=m)))


@settings(max_examples=200, deadline=None)
@given(st.one_of(call_events, ticket_events), printable, printable,
       st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1)), offsets)
def test_generated_events_in_every_mode(typed_data, subject, extension, when, offset) -> None:
    event_type, data = typed_data
    event = CloudEvent({"type": event_type, "source": "/pbx/main", "subject": subject,
                        "time": when.replace(tzinfo=offset), "comment": extension}, dict(data))
    one = core_structured("", event)
    for sent in (one, core_binary("", event), batch_of("", [one, one])):
        assert [ours(e) for e in parse(sent)] == [as_read(a, d, drop_nulls=True) for a, d in sent.sdk_reads]
