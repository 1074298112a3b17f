"""The ingest service as `hotline up` runs it: uvicorn in its own process, started by the session's
local stack (tests/conftest.py) on HOTLINE_INGEST_PORT, in development mode (token `dev-token`),
reached over real HTTP."""

from __future__ import annotations

import socket
import uuid

import httpx
import orjson
import pytest

from tooling.stack import stack
from ingest_support import STRUCTURED, read_topic, values
from services.ingest.settings import IngestSettings

pytestmark = pytest.mark.kafka


@pytest.fixture(scope="module")
def base_url(local_stack) -> str:
    s = IngestSettings()
    return f"http://{s.host}:{s.port}"


def test_hotline_up_started_the_service(local_stack, base_url):
    [row] = [r for r in stack.status(local_stack) if r.name == "ingest"]
    assert (row.state, row.healthy, row.address) == ("running", True, base_url)
    assert httpx.get(base_url + "/healthz").json() == {"status": "ok"}
    assert httpx.get(base_url + "/readyz").json() == {"status": "ready"}
    spec = httpx.get(base_url + "/openapi.json").json()
    assert set(spec["paths"]) == {"/v1/events", "/healthz", "/readyz", "/metrics"}


def test_post_over_http_reaches_kafka(base_url, kafka_settings):
    run = uuid.uuid4().hex
    event = {"specversion": "1.0", "id": f"{run}-1", "source": "/pbx/main", "type": "hotline.call.answered",
             "time": "2024-03-01T08:00:05+08:00", "subject": f"call-{run}", "data": {"agent_id": "A017"}}
    r = httpx.post(base_url + "/v1/events", content=orjson.dumps(event),
                   headers={"content-type": STRUCTURED, "authorization": "Bearer dev-token"})
    assert r.status_code == 200, r.text
    assert r.json()["results"] == [{"index": 0, "id": f"{run}-1", "source": "/pbx/main", "status": "accepted"}]
    assert values(read_topic(kafka_settings, "hotline.calls.v1", run.encode())) == [event]
    metrics = httpx.get(base_url + "/metrics").text
    assert 'hotline_ingest_events_total{producer="dev",source_prefix="/",status="accepted"}' in metrics


def raw_http(host: str, port: int, request: bytes) -> bytes:
    with socket.create_connection((host, port), timeout=5) as s:
        s.sendall(request)
        chunks = []
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def test_raw_non_ascii_header_over_a_real_socket_is_400(local_stack):
    """A header value sent as raw UTF-8 bytes (not percent-encoded) reaches the app as latin-1
    text; it is refused, not guessed at."""
    s = IngestSettings()
    body = b'{"direction": "inbound"}'
    request = (
        b"POST /v1/events HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer dev-token\r\n"
        b"Content-Type: application/json\r\nce-specversion: 1.0\r\nce-id: \xe5\xb7\xa5\xe5\x8d\x95\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )
    answer = raw_http(s.host, s.port, request)
    head, _, payload = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400")
    assert b"application/problem+json" in head
    assert b"non-ASCII characters must be percent-encoded" in payload
