"""The OpenAPI document of the ingest service documents every answer, and its examples are true."""

from __future__ import annotations

import orjson
import pytest

from hotline.contract import validate_event
from hotline.settings import KafkaSettings
from services.ingest import openapi
from services.ingest.app import create_app
from services.ingest.models import IngestAnswer, Problem
from services.ingest.triage import triage


@pytest.fixture(scope="module")
def spec() -> dict:
    return create_app().openapi()  # builds the document only: no settings, no broker


def test_every_status_a_producer_can_act_on_is_documented(spec):
    post = spec["paths"]["/v1/events"]["post"]
    assert set(post["responses"]) == {"200", "207", "400", "401", "403", "413", "415", "422", "503"}
    for status in ("400", "401", "403", "413", "415", "503"):
        content = post["responses"][status]["content"]
        assert list(content) == ["application/problem+json"], status
        Problem.model_validate(content["application/problem+json"]["example"])
    for status in ("200", "207", "422"):
        IngestAnswer.model_validate(post["responses"][status]["content"]["application/json"]["example"])
    assert "Retry-After" in post["responses"]["503"]["headers"]
    assert "WWW-Authenticate" in post["responses"]["401"]["headers"]


def test_the_three_content_modes_are_documented_with_examples(spec):
    body = spec["paths"]["/v1/events"]["post"]["requestBody"]["content"]
    assert set(body) == {"application/cloudevents+json", "application/cloudevents-batch+json", "application/json"}
    assert body["application/cloudevents+json"]["examples"]
    assert body["application/cloudevents-batch+json"]["schema"]["type"] == "array"
    headers = {p["name"] for p in spec["paths"]["/v1/events"]["post"]["parameters"] if p["in"] == "header"}
    assert {"ce-specversion", "ce-id", "ce-source", "ce-type", "ce-time", "ce-subject"} <= headers


def test_bearer_auth_and_operations_routes(spec):
    assert spec["components"]["securitySchemes"]["HTTPBearer"] == {
        "type": "http", "scheme": "bearer", "description": "the producer's token, from HOTLINE_INGEST_TOKENS"}
    assert {"/healthz", "/readyz", "/metrics"} <= set(spec["paths"])


def test_the_examples_are_what_the_service_answers():
    for event in (openapi.EVENT_EXAMPLE, openapi.TICKET_EXAMPLE):
        assert validate_event(event) == event
    batch = [openapi.EVENT_EXAMPLE, openapi.BAD_EXAMPLE]
    judged = triage(batch, ["/pbx/"] * 2, producer="pbx", hash_key=b"k" * 32,
                    kafka=KafkaSettings(bootstrap_servers="127.0.0.1:9"), max_event_bytes=100_000,
                    received_at="2024-03-01T00:00:00.000Z")
    assert orjson.loads(judged.body()) == openapi.PARTIAL_ANSWER
    assert judged.status_code == 207
