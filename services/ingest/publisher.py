"""The Kafka adapter: publish messages and return only when the broker acknowledged every one.

aiokafka's AIOKafkaProducer (less a per-message check, producer.py) with acks=all and
idempotence: the broker drops a batch the producer retries after a lost acknowledgement, so the
producer's own retries write no duplicates. A request that fails or times out as a whole may
still have written some of its messages; the caller answers 503 and the client retries the
whole request, which at worst writes duplicates, and those are harmless: every fold downstream
is duplicate-insensitive (source + id).

One producer per process, shared by all requests: concurrent requests' messages travel in the
same produce requests (aiokafka batches per partition while a request is in flight).
The producer connects in the background when the broker is not there at start-up, so the
service starts, answers /healthz, and reports not ready (and 503 on publish) until it connects.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from aiokafka.errors import KafkaError
from aiokafka.partitioner import murmur2

from hotline.settings import KafkaSettings
from services.ingest.errors import BrokerUnavailable
from services.ingest.producer import Producer

log = logging.getLogger("hotline.ingest")

# Kafka protocol binding, structured mode: the value is a whole event as JSON.
STRUCTURED_HEADERS: tuple[tuple[str, bytes], ...] = (
    ("content-type", b"application/cloudevents+json; charset=utf-8"),
)
JSON_HEADERS: tuple[tuple[str, bytes], ...] = (("content-type", b"application/json"),)
_RETRY_CONNECT_S = 2.0
_READY_CACHE_S = 1.0


def partition_of(key: bytes, partitions: Sequence[int]) -> int:
    """Kafka's default partition for a key, as the Java client and aiokafka's DefaultPartitioner
    compute it (murmur2), remembered per key: aiokafka's murmur2 is pure Python (~5 µs, an
    eighth of what an event may cost here), and the events of a call or ticket share their key.
    Passing the partition to `send` also skips aiokafka's per-message partitioner set-up."""
    return partitions[_index(key, len(partitions))]


@lru_cache(maxsize=1 << 16)
def _index(key: bytes, count: int) -> int:
    return (murmur2(key) & 0x7FFFFFFF) % count


@dataclass(frozen=True, slots=True)
class Message:
    topic: str
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...] = STRUCTURED_HEADERS


class Publisher:
    """Owns the producer. `start`/`stop` belong to the app's lifespan; `publish` may block up to
    `timeout_s` and raises BrokerUnavailable (503 with Retry-After) for any broker failure."""

    def __init__(
        self, kafka: KafkaSettings, *, timeout_s: float, linger_ms: int, max_message_bytes: int,
        retry_after_s: int,
    ) -> None:
        self._kafka = kafka
        self._timeout_s = timeout_s
        self._linger_ms = linger_ms
        self._max_message_bytes = max_message_bytes
        self._retry_after = {"Retry-After": str(retry_after_s)}
        self._producer: Producer | None = None
        self._connecting: asyncio.Task[None] | None = None
        self._ready_at = 0.0
        self._ready_reason: str | None = "not checked yet"

    @property
    def topics(self) -> tuple[str, ...]:
        return self._kafka.topics

    async def start(self) -> None:
        """Connect now if the broker answers within the timeout, else keep trying in the background."""
        if not await self._connect():
            self._connecting = asyncio.create_task(self._keep_connecting(), name="kafka-connect")

    async def stop(self) -> None:
        """Flush what is pending (bounded by the timeout) and close."""
        if self._connecting is not None:
            self._connecting.cancel()
        producer, self._producer = self._producer, None
        if producer is not None:
            try:
                await asyncio.wait_for(producer.stop(), self._timeout_s)
            except (KafkaError, OSError, TimeoutError) as exc:
                log.warning("kafka producer did not stop cleanly: %s", type(exc).__name__)

    async def publish(self, messages: Sequence[Message]) -> None:
        """Return when the broker acknowledged (acks=all) every message; else BrokerUnavailable.

        Not atomic: after a failure some messages may be in Kafka. Never retried here: the answer
        must not wait longer than `timeout_s`, and the client's retry is safe.

        Per-message `send` on purpose, so that concurrent requests share record batches. Filling
        one batch per request and partition (create_batch/send_batch) was tried: ingest's CPU
        per event fell from about 35 to 28 µs, but the broker's rose from about 5 to 23 µs (many
        small batches), and the city-year through HTTP got slower (./run bench stage 1,
        11,018 -> 10,424 events/s).
        """
        producer = self._producer
        if producer is None:
            raise self._unavailable("the service is not connected to the broker yet")
        if not messages:
            return
        try:
            async with asyncio.timeout(self._timeout_s):
                send = producer.send
                partitions = {t: sorted(await producer.partitions_for(t)) for t in {m.topic for m in messages}}
                futures = [
                    await send(
                        m.topic, m.value, key=m.key,
                        partition=None if m.key is None else partition_of(m.key, partitions[m.topic]),
                        headers=list(m.headers),  # aiokafka's record builder takes a list only
                    )
                    for m in messages
                ]
                # return_exceptions: every outcome is retrieved, none is left to warn later.
                outcomes = await asyncio.gather(*futures, return_exceptions=True)
        except TimeoutError:
            raise self._unavailable(
                f"the broker did not acknowledge the events within {self._timeout_s:g} s"
            ) from None
        except KafkaError as exc:
            raise self._unavailable(f"the broker refused the events ({type(exc).__name__})") from None
        failed = [o for o in outcomes if isinstance(o, BaseException)]
        if failed:
            raise self._unavailable(
                f"the broker did not acknowledge {len(failed)} of {len(messages)} messages "
                f"({type(failed[0]).__name__})"
            )

    async def not_ready(self) -> str | None:
        """None when the broker answers metadata requests and every topic exists, else why not.

        Cached for a second: probes from load balancers must not each cost a broker round trip.
        """
        now = time.monotonic()
        if now - self._ready_at < _READY_CACHE_S:
            return self._ready_reason
        self._ready_reason = await self._check()
        self._ready_at = time.monotonic()
        return self._ready_reason

    async def _check(self) -> str | None:
        producer = self._producer
        if producer is None:
            return "not connected to the broker yet"
        try:
            metadata = await asyncio.wait_for(
                producer.client.fetch_all_metadata(), min(self._timeout_s, 2.0)
            )
        except (KafkaError, OSError, TimeoutError):
            return f"the broker at {self._kafka.bootstrap_servers} does not answer"
        missing = [t for t in self.topics if not metadata.partitions_for_topic(t)]
        if missing:
            return f"topics missing on the broker: {', '.join(missing)}"
        return None

    def _unavailable(self, detail: str) -> BrokerUnavailable:
        return BrokerUnavailable(
            detail + ". No event of this request is reported accepted; some may have been "
            "written. Retry the whole request: duplicates (same source and id) are dropped "
            "downstream.",
            headers=self._retry_after, retry="whole-request",
        )

    async def _connect(self) -> bool:
        producer = Producer(
            bootstrap_servers=self._kafka.bootstrap_servers,
            client_id="hotline-ingest",
            acks="all",
            enable_idempotence=True,
            linger_ms=self._linger_ms,
            max_batch_size=256 * 1024,
            max_request_size=self._max_message_bytes,
            request_timeout_ms=int(self._timeout_s * 1000),
        )
        try:
            await asyncio.wait_for(producer.start(), self._timeout_s)
        except (KafkaError, OSError, TimeoutError) as exc:
            log.warning("kafka broker at %s not reachable (%s); retrying in the background",
                        self._kafka.bootstrap_servers, type(exc).__name__)
            try:
                await producer.stop()
            except (KafkaError, OSError):
                pass
            return False
        self._producer = producer
        self._ready_at = 0.0
        log.info("connected to the kafka broker at %s", self._kafka.bootstrap_servers)
        return True

    async def _keep_connecting(self) -> None:
        while not await self._connect():
            await asyncio.sleep(_RETRY_CONNECT_S)
