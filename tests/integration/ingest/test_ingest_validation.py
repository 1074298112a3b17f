"""Every envelope rule of docs/events.md and every data rule of schemas/v1, answered per event with
its path and rule; rejected events dead-lettered with the reasons; the caller number absent from
everything in Kafka."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from ingest_support import (  # noqa: F401 - `ingest` is a fixture
    ANY, BATCH, EVENT_RULE_TIME, EXT_RULE, PBX, PHONE, PHONE_HASH, RUN, STRUCTURED, accepted_on, call,
    dead_letters, ingest, read_topic, values, without,
)

pytestmark = pytest.mark.kafka


# --- validation: every envelope rule of docs/events.md --------------------------------------------------

ENVELOPE_CASES = [
    ("missing id", lambda e: without(e, "id"), [("id", "is required")]),
    ("missing source", lambda e: without(e, "source"), [("source", "is required")]),
    ("missing type", lambda e: without(e, "type"), [("type", "is required")]),
    ("missing specversion", lambda e: without(e, "specversion"), [("specversion", "is required")]),
    ("missing time", lambda e: without(e, "time"), [("time", "is required")]),
    ("missing subject", lambda e: without(e, "subject"), [("subject", "is required")]),
    ("empty id", lambda e: {**e, "id": ""}, [("id", "must be a non-empty string")]),
    ("empty source", lambda e: {**e, "source": ""}, [("source", "must be a non-empty string")]),
    ("empty subject", lambda e: {**e, "subject": ""}, [("subject", "must be a non-empty string")]),
    ("empty type", lambda e: {**e, "type": ""}, [("type", "must be one of \"hotline.call.offered\"")]),
    ("unknown type", lambda e: {**e, "type": "hotline.call.parked"}, [("type", "must be one of")]),
    ("empty specversion", lambda e: {**e, "specversion": ""}, [("specversion", 'must be "1.0"')]),
    ("bad specversion", lambda e: {**e, "specversion": "0.3"}, [("specversion", 'must be "1.0"')]),
    ("numeric specversion", lambda e: {**e, "specversion": 1.0}, [("specversion", 'must be "1.0"')]),
    ("id not a string", lambda e: {**e, "id": 7}, [("id", "must be a string")]),
    ("time without seconds", lambda e: {**e, "time": "2024-03-01T08:00+08:00"}, [("time", EVENT_RULE_TIME)]),
    ("time without offset", lambda e: {**e, "time": "2024-03-01T08:00:00"}, [("time", EVENT_RULE_TIME)]),
    ("time offset hours 24", lambda e: {**e, "time": "2024-03-01T08:00:00+24:00"}, [("time", EVENT_RULE_TIME)]),
    ("time offset without colon", lambda e: {**e, "time": "2024-03-01T08:00:00+0800"}, [("time", EVENT_RULE_TIME)]),
    ("time not in the calendar", lambda e: {**e, "time": "2023-02-29T08:00:00Z"},
     [("time", "must be a date and time that exist in the calendar")]),
    ("upper-case extension", lambda e: {**e, "traceId": "x"}, [("traceId", EXT_RULE)]),
    ("dotted extension", lambda e: {**e, "trace.id": "x"}, [("trace.id", EXT_RULE)]),
    ("underscore extension", lambda e: {**e, "trace_id": "x"}, [("trace_id", EXT_RULE)]),
    ("data and data_base64", lambda e: {**e, "data_base64": "e30="},
     [("data_base64", "data and data_base64 must not both be present")]),
    ("data_base64 alone", lambda e: {**without(e, "data"), "data_base64": "e30="},
     [("data_base64", "data_base64 is not accepted")]),
    ("data null", lambda e: {**e, "data": None}, [("data", "must be a JSON object")]),
]


@pytest.mark.parametrize("name,mutate,expected", ENVELOPE_CASES, ids=[c[0] for c in ENVELOPE_CASES])
def test_envelope_rule_single_event_is_422(ingest, name, mutate, expected):
    r = ingest.post(mutate(call(f"env-{name}")), STRUCTURED, ANY)
    assert r.status_code == 422 and r.headers["content-type"] == "application/json"
    body = r.json()
    assert (body["accepted"], body["rejected"]) == (0, 1)
    errors = body["results"][0]["errors"]
    for path, piece in expected:
        assert any(e["path"] == path and piece in e["rule"] for e in errors), errors


def test_non_object_inside_a_batch(ingest):
    r = ingest.post([call("no1"), "event", 42, None, [call("no2")], call("no3")], BATCH, PBX)
    assert r.status_code == 207
    results = r.json()["results"]
    assert [x["status"] for x in results] == ["accepted", "rejected", "rejected", "rejected", "rejected", "accepted"]
    for x in results[1:5]:
        assert x["errors"] == [{"path": "", "rule": "an event must be a JSON object"}]


def test_mixed_batch_publishes_the_valid_and_dead_letters_the_rest(ingest, kafka_settings):
    marker = f"{RUN}-mix"
    invalid = [mutate(call(f"mix-{i}")) for i, (_, mutate, _) in enumerate(ENVELOPE_CASES)]
    # a marker every dead-letter copy keeps (data is left out of some copies)
    invalid = [{**e, "subject": f"{marker}-{i}"} if e.get("subject") else {**e, "hint": marker}
               for i, e in enumerate(invalid)]
    batch = [call("mix-ok1"), *invalid, call("mix-ok2"), f"{marker}-not-an-object"]
    r = ingest.post(batch, BATCH, ANY)
    assert r.status_code == 207
    body = r.json()
    assert (body["accepted"], body["rejected"]) == (2, len(invalid) + 1)
    accepted = {x["id"] for x in body["results"] if x["status"] == "accepted"}
    assert accepted == {f"{RUN}-mix-ok1", f"{RUN}-mix-ok2"}
    published = accepted_on(kafka_settings, "hotline.calls.v1", f"{RUN}-mix-ok")
    assert sorted(e["id"] for e in published) == sorted(accepted)
    letters = dead_letters(kafka_settings, marker)
    # the non-object's copy is left out, so it carries no marker: count it by its reason
    assert len(letters) == len(invalid)
    by_index = {d["index"]: d for d in letters}
    for x in body["results"]:
        if x["status"] == "rejected" and x["index"] in by_index:
            assert by_index[x["index"]]["reasons"] == x["errors"]
            assert by_index[x["index"]]["event"] is not None or by_index[x["index"]]["omitted"]


# --- validation: every data rule ---------------------------------------------------------------------

TICKET = {"requester": "citizen", "channel": "web", "kind": "consult", "category": "交通"}
DATA_CASES: list[tuple[str, Any, str, str]] = [
    ("hotline.call.offered", {}, "data.direction", "is required"),
    ("hotline.call.offered", {"direction": "in"}, "data.direction", 'must be one of "inbound", "outbound"'),
    ("hotline.call.offered", {"direction": "inbound", "line": "110"}, "data.line", 'must be one of "12345"'),
    ("hotline.call.offered", {"direction": "inbound", "caller": ""}, "data.caller", "non-empty"),
    ("hotline.call.offered", {"direction": "inbound", "caller": 13800138000}, "data.caller", "must be a string"),
    ("hotline.call.offered", {"direction": "inbound", "caller_hash": "ABC"}, "data.caller_hash", "64 lower-case"),
    ("hotline.call.answered", {}, "data.agent_id", "is required"),
    ("hotline.call.answered", {"agent_id": ""}, "data.agent_id", "non-empty"),
    ("hotline.call.answered", {"agent_id": 7}, "data.agent_id", "must be a string"),
    ("hotline.call.abandoned", [], "data", "must be a JSON object"),
    ("hotline.call.ended", "bye", "data", "must be a JSON object"),
    ("hotline.ticket.created", {**TICKET, "requester": None}, "data.requester", 'must be one of "citizen"'),
    ("hotline.ticket.created", {k: v for k, v in TICKET.items() if k != "requester"}, "data.requester", "is required"),
    ("hotline.ticket.created", {k: v for k, v in TICKET.items() if k != "channel"}, "data.channel", "is required"),
    ("hotline.ticket.created", {**TICKET, "channel": "fax"}, "data.channel", 'must be one of "phone", "web"'),
    ("hotline.ticket.created", {k: v for k, v in TICKET.items() if k != "kind"}, "data.kind", "is required"),
    ("hotline.ticket.created", {**TICKET, "kind": "x"}, "data.kind", 'must be one of "consult", "non_consult"'),
    ("hotline.ticket.created", {k: v for k, v in TICKET.items() if k != "category"}, "data.category", "is required"),
    ("hotline.ticket.created", {**TICKET, "category": ""}, "data.category", "non-empty"),
    ("hotline.ticket.created", {**TICKET, "category": 5}, "data.category", "must be a string"),
    ("hotline.ticket.created", {**TICKET, "subcategory": 5}, "data.subcategory", "must be a string"),
    ("hotline.ticket.created", {**TICKET, "district": None}, "data.district", "must be a string"),
    ("hotline.ticket.created", {**TICKET, "line": "x"}, "data.line", 'must be one of "12345"'),
    ("hotline.ticket.created", {**TICKET, "call_id": 9}, "data.call_id", "must be a string"),
    ("hotline.ticket.created", {**TICKET, "tags": "heat"}, "data.tags", "must be an array"),
    ("hotline.ticket.created", {**TICKET, "tags": ["a", ""]}, "data.tags[1]", "non-empty"),
    ("hotline.ticket.created", {**TICKET, "tags": [1]}, "data.tags[0]", "must be a string"),
    ("hotline.ticket.answered", {}, "data.by", "is required"),
    ("hotline.ticket.answered", {"by": "robot"}, "data.by", 'must be one of "agent", "specialist"'),
    ("hotline.ticket.dispatched", {}, "data.department", "is required"),
    ("hotline.ticket.dispatched", {"department": ""}, "data.department", "non-empty"),
    ("hotline.ticket.dispatched", {"department": "d", "deadline": "2024-03-08"}, "data.deadline", "RFC 3339"),
    ("hotline.ticket.dispatched", {"department": "d", "deadline": "2023-02-30T08:00:00Z"}, "data.deadline", "calendar"),
    ("hotline.ticket.completed", {"department": ""}, "data.department", "non-empty"),
    ("hotline.ticket.completed", {"department": 3}, "data.department", "must be a string"),
    ("hotline.ticket.transferred", {}, "data.to", "is required"),
    ("hotline.ticket.transferred", {"to": "120"}, "data.to", 'must be one of "110"'),
    ("hotline.ticket.supervised", {"level": True}, "data.level", "a string or an integer"),
    ("hotline.ticket.supervised", {"level": 1.5}, "data.level", "a string or an integer"),
    ("hotline.ticket.evaluation_requested", None, "data", "must be a JSON object"),
    ("hotline.ticket.evaluated", {"service_satisfied": "yes"}, "data.service_satisfied", "true or false"),
    ("hotline.ticket.evaluated", {"resolution_satisfied": 1}, "data.resolution_satisfied", "true or false"),
]


def test_every_data_rule_is_reported(ingest, kafka_settings):
    marker = f"{RUN}-data"
    batch = [{**call(f"data-{i}", t), "data": d, "subject": f"{marker}-{i}"} for i, (t, d, _, _) in enumerate(DATA_CASES)]
    r = ingest.post(batch, BATCH, PBX)
    assert r.status_code == 422
    results = r.json()["results"]
    for (event_type, _, path, piece), result in zip(DATA_CASES, results, strict=True):
        assert result["status"] == "rejected"
        assert any(e["path"] == path and piece in e["rule"] for e in result["errors"]), (event_type, result)
    letters = dead_letters(kafka_settings, marker)
    assert sorted(d["index"] for d in letters) == list(range(len(DATA_CASES)))
    assert all(PHONE not in str(d) for d in letters)


# --- privacy -------------------------------------------------------------------------------------


def test_the_caller_number_is_absent_from_everything_in_kafka(ingest, kafka_settings):
    marker = f"{RUN}-pii"
    dashed = "138-0013-8000"
    sent = [
        ingest.post(call("pii-1", data={"direction": "inbound", "caller": PHONE}, subject=marker), STRUCTURED, PBX),
        ingest.post([call("pii-2", data={"direction": "inbound", "caller": dashed}, subject=marker),
                     call("pii-3", data={"direction": "x", "caller": PHONE}, subject=marker),
                     call("pii-4", data={"direction": "inbound", "caller": int(PHONE)}, subject=marker),
                     call("pii-5", data=PHONE, subject=marker)], BATCH, PBX),
        ingest.post(f'{{"direction": "inbound", "caller": "{PHONE}"}}'.encode(), "application/json", PBX, {
            "ce-specversion": "1.0", "ce-id": f"{RUN}-pii-6", "ce-source": "/pbx/main",
            "ce-type": "hotline.call.offered", "ce-time": "2024-03-01T08:00:00Z", "ce-subject": marker}),
    ]
    assert [r.status_code for r in sent] == [200, 207, 200]
    assert all(PHONE not in r.text for r in sent)
    everything = [rec for t in kafka_settings.topics for rec in read_topic(kafka_settings, t)]
    mine = [rec for rec in everything if marker.encode() in rec.value]
    assert len(mine) == 6  # 3 accepted + 3 dead letters
    for rec in everything:
        blob = (rec.key or b"") + rec.value + b"".join(k.encode() + (v or b"") for k, v in rec.headers)
        assert PHONE.encode() not in blob and dashed.encode() not in blob
    hashes = [e["data"]["caller_hash"] for e in values(mine) if "caller_hash" in e.get("data", {})]
    assert hashes.count(PHONE_HASH) == 3


def test_json_nested_deeper_than_can_be_republished_is_rejected_not_a_500(ingest):
    # orjson reads up to 1024 levels but writes 254, so the client writes this body by hand
    first = orjson.dumps(call("deep-1", data={"direction": "inbound", "x": "HOLE"}))
    first = first.replace(b'"HOLE"', b"[" * 600 + b'"leaf"' + b"]" * 600)
    r = ingest.post(b"[" + first + b"," + orjson.dumps(call("deep-2")) + b"]", BATCH, PBX)
    assert r.status_code == 207
    assert r.json()["results"][0]["errors"] == [
        {"path": "", "rule": "must be encodable as JSON: at most 254 levels of nesting"}]
    assert ingest.post(b"[" * 1100 + b"]" * 1100, BATCH, PBX).status_code == 400
