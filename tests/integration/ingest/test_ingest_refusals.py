"""Requests refused as a whole, each with its own status and an RFC 9457 problem: content type,
malformed JSON, size limits, tokens, sources outside a token's prefixes, and our own bugs."""

from __future__ import annotations

import pytest

from ingest_support import (  # noqa: F401 - `ingest` is a fixture
    BATCH, PBX, PHONE, PORTAL, RUN, STRUCTURED, accepted_on, call, dead_letters, ingest,
)
from services.ingest.deps import components

pytestmark = pytest.mark.kafka


# --- whole-request errors ------------------------------------------------------------------------


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", None, "application/cloudevents+xml",
                                          "application/cloudevents+json; charset=iso-8859-1", "multipart/form-data"])
def test_wrong_content_type_is_415(ingest, content_type):
    r = ingest.post(call("ct"), content_type, PBX)
    assert r.status_code == 415
    problem = r.json()
    assert r.headers["content-type"] == "application/problem+json"
    assert problem["type"] == "urn:hotline:problem:unsupported-media-type" and problem["status"] == 415


def test_compressed_body_is_415(ingest):
    r = ingest.post(call("gz"), STRUCTURED, PBX, {"content-encoding": "gzip"})
    assert r.status_code == 415 and "Content-Encoding" in r.json()["detail"]


@pytest.mark.parametrize("body", [b"{", b"", b"[1,]", b'{"id": "13800138000",'])
def test_malformed_json_is_400_without_echo(ingest, body):
    r = ingest.post(body, STRUCTURED, PBX)
    assert r.status_code == 400 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["type"] == "urn:hotline:problem:malformed-json"
    assert PHONE not in r.text


def test_a_batch_that_is_not_an_array_is_400(ingest):
    r = ingest.post(call("na"), BATCH, PBX)
    assert r.status_code == 400 and "must be a JSON array" in r.json()["detail"]


def test_oversized_body_is_413(ingest, kafka_settings):
    marker = f"{RUN}-big"
    events = [call(f"big-{i}", data={"direction": "inbound", "pad": "x" * 1000}) for i in range(3200)]
    r = ingest.post(events, BATCH, PBX)  # ~3.5 MB with Content-Length
    assert r.status_code == 413 and r.json()["limit"] == 3 * 1024 * 1024
    assert accepted_on(kafka_settings, "hotline.calls.v1", marker) == []


def test_oversized_streamed_body_is_413(ingest):
    async def chunks():  # no Content-Length: refused while streaming
        yield b"["
        for _ in range(40):
            yield b" " * 100_000
        yield b"]"
    r = ingest.request("POST", "/v1/events", content=chunks(), headers={
        "content-type": BATCH, "authorization": f"Bearer {PBX}"})
    assert r.status_code == 413


def test_too_many_events_is_413(ingest):
    r = ingest.post([{}] * 6001, BATCH, PBX)
    assert r.status_code == 413 and r.json()["limit"] == 6000


def test_wrong_or_missing_token_is_401(ingest):
    for token in (None, "not-a-token", PBX.upper()):
        r = ingest.post(call("tok"), STRUCTURED, token)
        assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")
        assert r.json()["type"] == "urn:hotline:problem:unauthorized"
    r = ingest.post(call("tok"), STRUCTURED, headers={"authorization": f"Basic {PBX}"})
    assert r.status_code == 401


def test_a_source_outside_the_tokens_prefixes_is_403_and_nothing_is_written(ingest, kafka_settings):
    marker = f"{RUN}-denied"
    batch = [call("forb-1", subject=f"{marker}-1"), call("forb-2", subject=f"{marker}-2", source="/portal/web"),
             {"source": "/portal/web", "subject": f"{marker}-3"}]
    r = ingest.post(batch, BATCH, PBX)
    assert r.status_code == 403
    assert r.json()["indexes"] == [1, 2] and 'insufficient_scope' in r.headers["www-authenticate"]
    # the portal token may send exactly what the PBX token may not
    assert ingest.post(call("forb-4", source="/portal/web"), STRUCTURED, PORTAL).status_code == 200
    assert ingest.post(call("forb-5"), STRUCTURED, PORTAL).status_code == 403
    assert accepted_on(kafka_settings, "hotline.calls.v1", marker) == []
    assert dead_letters(kafka_settings, marker) == []


def test_unknown_paths_and_methods_are_problems(ingest):
    assert ingest.get("/v2/events").status_code == 404
    r = ingest.get("/v1/events")
    assert r.status_code == 405 and r.headers["content-type"] == "application/problem+json"


def test_a_bug_is_a_500_problem_that_leaks_nothing(ingest, monkeypatch, caplog):
    """A bug (here: a KeyError carrying a caller's number) raised while a request is handled,
    injected through FastAPI's public dependency overrides rather than by patching an internal."""
    def broken():
        raise KeyError(PHONE)
    monkeypatch.setitem(ingest.app.dependency_overrides, components, broken)
    r = ingest.post(call("bug"), STRUCTURED, PBX)
    assert r.status_code == 500 and r.headers["content-type"] == "application/problem+json"
    assert PHONE not in r.text and PHONE not in caplog.text and "KeyError" in caplog.text
