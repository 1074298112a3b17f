"""Helpers for the ingest service's integration tests (imported by tests/integration/ingest/test_ingest_*.py).

- `InProcessIngest`: the FastAPI app in this process, its lifespan run (so the real Kafka producer
  starts against the broker given in the settings), reached through httpx's ASGI transport. Sync
  methods, so tests (and hypothesis) need no async plugin: one event loop lives as long as the app.
- `ingest`: a module-scoped fixture, that app against the session's broker with the tokens in
  TOKENS; `call(...)` builds a valid event whose id and subject carry this run's RUN marker.
- `read_topic`: what this test session wrote on a topic, read back with kafka-python by assigning
  every partition (no consumer group: nothing to join, nothing committed) up to its end offsets.
"""

from __future__ import annotations

import asyncio
import socket
import time
import uuid
from collections.abc import Iterable
from typing import Any

import httpx
import orjson
import pytest
from kafka import KafkaConsumer, TopicPartition

from hotline.settings import KafkaSettings, PrivacySettings
from services.ingest.app import create_app
from services.ingest.settings import IngestSettings
from tests.support.caller_rule import caller_hash
from tests.support.waiting import eventually

STRUCTURED = "application/cloudevents+json"
BATCH = "application/cloudevents-batch+json"
HASH_KEY = "integration-test-caller-hash-key-0123456789"
PHONE = "13800138000"
# Computed on the test side (the rule written out again), not with hotline.privacy.
PHONE_HASH = caller_hash(HASH_KEY.encode(), PHONE)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def settings(kafka: KafkaSettings, tokens: dict[str, dict[str, Any]], **overrides: Any) -> IngestSettings:
    return IngestSettings(env="development", tokens=tokens, kafka=kafka,
                          privacy=PrivacySettings(env="development", caller_hash_key=HASH_KEY),
                          **{"publish_timeout_s": 5.0, **overrides})


class InProcessIngest:
    def __init__(self, ingest_settings: IngestSettings) -> None:
        self.app = create_app(ingest_settings)
        self._runner = asyncio.Runner()
        self._lifespan: Any = None
        self._client: httpx.AsyncClient | None = None

    def __enter__(self) -> "InProcessIngest":
        self._runner.run(self._start())
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self._runner.run(self._stop())
        finally:
            self._runner.close()

    async def _start(self) -> None:
        self._lifespan = self.app.router.lifespan_context(self.app)
        await self._lifespan.__aenter__()
        self._client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app, raise_app_exceptions=False),
            base_url="http://ingest.test", timeout=60)

    async def _stop(self) -> None:
        if self._client is not None:
            await self._client.aclose()
        if self._lifespan is not None:
            await self._lifespan.__aexit__(None, None, None)

    def post(self, body: bytes | Any, content_type: str | None = STRUCTURED, token: str | None = None,
             headers: dict[str, str] | None = None) -> httpx.Response:
        """POST /v1/events; a non-bytes body is sent as JSON text; `token=None`: no Authorization."""
        h = dict(headers or {})
        if content_type is not None:
            h["content-type"] = content_type
        if token is not None:
            h["authorization"] = f"Bearer {token}"
        content = body if isinstance(body, (bytes, bytearray)) or not _is_json(body) else orjson.dumps(body)
        return self.run(self._client.post("/v1/events", content=content, headers=h))  # type: ignore[union-attr]

    def get(self, path: str) -> httpx.Response:
        return self.request("GET", path)

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.run(self._client.request(method, path, **kwargs))  # type: ignore[union-attr]

    def run(self, coro: Any) -> Any:
        return self._runner.run(coro)

    def sleep(self, seconds: float) -> None:
        """Wait with the app's event loop running (its background tasks go on meanwhile): the
        `sleep` to give `eventually` when waiting for something this app does."""
        self.run(asyncio.sleep(seconds))


def _is_json(body: Any) -> bool:
    return isinstance(body, (dict, list, str, int, float, bool)) or body is None


# Records of earlier test sessions stay on the shared stack's topics (its state is kept between
# runs): reading them all made every read slower with each run, and its duration depend on which
# tests had run before. A read starts at this session's first records instead (a minute's margin
# for clocks: the broker stamps records with the producer's time, on this machine).
SESSION_STARTED_MS = int(time.time() * 1000) - 60_000


def read_topic(kafka: KafkaSettings, topic: str, contains: bytes | None = None,
               timeout_s: float = 60.0, since_ms: int = SESSION_STARTED_MS) -> list[Any]:
    """Every record on `topic` written since `since_ms` (epoch ms: by default since this test
    session began; 0 for all of them) up to its end offsets now, those whose value contains
    `contains` if given. Reads with no consumer group: nothing to join, nothing committed."""
    consumer = KafkaConsumer(bootstrap_servers=kafka.bootstrap_servers, enable_auto_commit=False,
                             fetch_max_wait_ms=100)
    try:
        parts = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        consumer.assign(parts)
        ends = consumer.end_offsets(parts)
        starts = consumer.offsets_for_times({tp: since_ms for tp in parts})
        for tp in parts:  # no record since then: nothing to read there
            consumer.seek(tp, starts[tp].offset if starts[tp] is not None else ends[tp])
        out: list[Any] = []

        def read_on() -> dict:
            """Reads what the next poll brings (the poll itself waits up to 0.2 s); the
            partitions not read to their end offsets yet."""
            for records in consumer.poll(timeout_ms=200, max_records=50_000).values():
                out.extend(r for r in records if contains is None or contains in r.value)
            return {tp.partition: ends[tp] - consumer.position(tp) for tp in parts if consumer.position(tp) < ends[tp]}

        eventually(read_on, until=lambda behind: not behind, timeout_s=timeout_s, interval_s=0,
                   what=f"{topic} read to its end offsets (records behind, by partition)")
        return out
    finally:
        consumer.close()


def values(records: Iterable[Any]) -> list[dict[str, Any]]:
    return [orjson.loads(r.value) for r in records]


# --- the shared app of tests/integration/ingest/test_ingest_{modes,validation,refusals}.py ----------

RUN = uuid.uuid4().hex[:12]
PRODUCER = f"t{RUN}"  # dead letters name their producer: this run's are found by it
PBX, PORTAL, ANY = f"pbx-{RUN}", f"portal-{RUN}", f"any-{RUN}"
TOKENS = {
    PBX: {"producer": PRODUCER, "sources": ["/pbx/"]},
    PORTAL: {"producer": f"p{RUN}", "sources": ["/portal/"]},
    ANY: {"producer": PRODUCER, "sources": ["/"]},
}
EVENT_RULE_TIME = "must be an RFC 3339 date-time with seconds and an offset (Z or ±hh:mm, hours 00–23)"
EXT_RULE = "extension attribute names must be lower-case letters and digits only"


@pytest.fixture(scope="module")
def ingest(local_stack):
    """The app in-process against the session's broker (imported by the test modules)."""
    with InProcessIngest(settings(local_stack.kafka, TOKENS, max_body_bytes=3 * 1024 * 1024,
                                  max_batch_events=6000)) as app:
        yield app


def call(n: int | str, event_type: str = "hotline.call.offered", data: Any = None, **attrs: Any) -> dict[str, Any]:
    e = {"specversion": "1.0", "id": f"{RUN}-{n}", "source": "/pbx/main", "type": event_type,
         "time": "2024-03-01T08:00:00+08:00", "subject": f"call-{RUN}-{n}",
         "data": {"direction": "inbound"} if data is None else data}
    e.update(attrs)
    return e


def without(e: dict[str, Any], name: str) -> dict[str, Any]:
    return {k: v for k, v in e.items() if k != name}


def accepted_on(kafka, topic: str, marker: str) -> list[dict[str, Any]]:
    return values(read_topic(kafka, topic, marker.encode()))


def dead_letters(kafka, marker: str) -> list[dict[str, Any]]:
    return [r for r in values(read_topic(kafka, "hotline.deadletter.v1", marker.encode()))
            if r["producer"] == PRODUCER]


