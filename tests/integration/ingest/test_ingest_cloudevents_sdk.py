"""POST /v1/events with what the official CloudEvents Python SDK sends by default: the corpus of
tests/unit/ingest/test_cloudevents_sdk.py (every type in structured, batch and binary mode, binary
without Content-Type, null attributes, relative sources), answered accepted with the development
token, against the session's real broker (the app in-process, as in ingest_support)."""

from __future__ import annotations

import uuid

import orjson
import pytest
from cloudevents.core.bindings import http as sdk_http
from cloudevents.core.v1.event import CloudEvent

from hotline.tokens import DEV_TOKEN
from ingest_support import STRUCTURED, InProcessIngest, accepted_on, read_topic, settings
from tests.unit.ingest.test_cloudevents_sdk import BATCH_TYPE, CORPUS, WHEN, Sent

pytestmark = pytest.mark.kafka

RUN = uuid.uuid4().hex[:12]
PBX = f"pbx-{RUN}"
# The development token with the grant the development settings give it; a scoped token beside it.
TOKENS = {
    DEV_TOKEN: {"producer": "dev", "sources": ["/"], "every_source": True},
    PBX: {"producer": f"t{RUN}", "sources": ["/pbx/"]},
}


@pytest.fixture(scope="module")
def app(local_stack):
    with InProcessIngest(settings(local_stack.kafka, TOKENS)) as running:
        yield running


@pytest.mark.parametrize("sent", CORPUS, ids=[s.label for s in CORPUS])
def test_what_the_sdk_sends_is_accepted(app, sent: Sent):
    r = app.post(sent.body, None, DEV_TOKEN, sent.headers)
    assert r.status_code == 200, r.text  # 200: every event accepted (and acknowledged by the broker)
    answer = r.json()
    assert (answer["accepted"], answer["rejected"]) == (len(sent.sdk_reads), 0)
    assert [(x["id"], x["source"], x["status"]) for x in answer["results"]] == [
        (a["id"], a["source"], "accepted") for a, _ in sent.sdk_reads]


def test_binary_mode_without_content_type_is_published_as_read(app, kafka_settings):
    event = CloudEvent({"type": "hotline.call.answered", "source": "#pbx", "subject": f"call-{RUN}-bin",
                        "time": WHEN, "traceparent": None}, {"agent_id": "A7"})
    message = sdk_http.to_binary_event(event)
    assert "content-type" not in message.headers
    r = app.post(message.body, None, DEV_TOKEN, message.headers)
    assert r.status_code == 200, r.text
    assert accepted_on(kafka_settings, "hotline.calls.v1", f"call-{RUN}-bin") == [{
        "specversion": "1.0", "id": event.get_id(), "source": "#pbx", "type": "hotline.call.answered",
        "time": "2024-03-01T08:00:00+08:00", "subject": f"call-{RUN}-bin", "data": {"agent_id": "A7"}}]


def test_null_attributes_are_left_out_of_what_is_published(app, kafka_settings):
    event = {"specversion": "1.0", "id": f"{RUN}-null", "source": "/pbx/main", "type": "hotline.call.ended",
             "time": "2024-03-01T08:00:00+08:00", "subject": f"call-{RUN}-null", "dataschema": None,
             "datacontenttype": None, "traceparent": None}
    r = app.post(orjson.dumps(event), STRUCTURED, PBX)
    assert r.status_code == 200, r.text
    [published] = accepted_on(kafka_settings, "hotline.calls.v1", f"{RUN}-null")
    assert published == {**{k: v for k, v in event.items() if v is not None}, "data": {}}


def test_a_required_attribute_given_as_null_is_rejected_by_name(app):
    valid = {"specversion": "1.0", "id": f"{RUN}-req", "source": "/pbx/main", "type": "hotline.call.ended",
             "time": "2024-03-01T08:00:00+08:00", "subject": f"call-{RUN}-req"}
    r = app.post(orjson.dumps([valid, {**valid, "subject": None}, {**valid, "time": None}]), BATCH_TYPE, PBX)
    assert r.status_code == 207, r.text
    assert [x.get("errors") for x in r.json()["results"]] == [
        None, [{"path": "subject", "rule": "is required"}], [{"path": "time", "rule": "is required"}]]


def test_a_scoped_token_still_cannot_send_a_relative_source(app, kafka_settings):
    event = CloudEvent({"type": "hotline.call.ended", "source": "#pbx", "subject": f"call-{RUN}-scope"})
    message = sdk_http.to_structured_event(event)
    r = app.post(message.body, None, PBX, message.headers)
    assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"
    assert read_topic(kafka_settings, "hotline.calls.v1", f"call-{RUN}-scope".encode()) == []
