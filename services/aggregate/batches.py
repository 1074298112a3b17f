"""The fold loop: batches handed over by the consumer -> prepare -> ClickHouse -> ack.

Order per batch (ARCHITECTURE.md decision 3): prepare (pure) -> dead letters acknowledged by the
broker -> rows inserted and facts refreshed in ClickHouse -> the batch's offsets acked, which is
what lets Faust commit them. Nothing is acked before ClickHouse has it, also not when the worker
is stopped or killed mid-write: those events are read again (the fold is duplicate-insensitive).

Two stages overlap: while batch N is written (in a thread: the driver blocks), batch N+1 is
prepared; writes and acks stay in order. A ClickHouse outage makes the write retry with
backoff, forever: the hand-off queue fills, the consumer stops fetching, lag grows (visible in
metrics), nothing is dropped.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from concurrent.futures import ThreadPoolExecutor

import faust

from hotline.calendar import for_timezone
from services.aggregate import metrics
from services.aggregate.consumer import Acked
from services.aggregate.prepare import Incoming, Prepared, prepare
from services.aggregate.settings import AggregateSettings
from services.aggregate.writer import ClickHouseWriter, StorageUnavailable

log = logging.getLogger(__name__)


def dedup_token(batch: list[Incoming]) -> str:
    """Deterministic for the same messages: topic, partition and offset range of each partition."""
    spans: dict[tuple[str, int], list[int]] = {}
    for m in batch:
        spans.setdefault((m.topic, m.partition), []).append(m.offset)
    return ";".join(f"{t}/{p}/{min(o)}-{max(o)}" for (t, p), o in sorted(spans.items()))


class Handoff:
    """Bounded queue between the consumer's drain loop and the fold loop (backpressure: the
    drain loop waits while `max_events` are queued)."""

    def __init__(self, max_events: int):
        self.max_events = max_events
        self.queued = 0
        self._items: asyncio.Queue[tuple[list[Incoming], list[Acked]]] = asyncio.Queue()
        self._room = asyncio.Event()
        self._room.set()

    async def put(self, rows: list[Incoming], acks: list[Acked]) -> None:
        while self.queued >= self.max_events:
            self._room.clear()
            await self._room.wait()
        self.queued += len(rows)
        self._items.put_nowait((rows, acks))

    async def take(self, size: int, within_s: float) -> tuple[list[Incoming], list[Acked]]:
        """At least one hand-off, then more until `size` events or `within_s` after the first."""
        rows, acks = await self._items.get()
        rows, acks = list(rows), list(acks)
        deadline = time.monotonic() + within_s
        while len(rows) < size:
            timeout = deadline - time.monotonic()
            if timeout <= 0:
                break
            try:
                more_rows, more_acks = await asyncio.wait_for(self._items.get(), timeout)
            except asyncio.TimeoutError:
                break
            rows += more_rows
            acks += more_acks
        self.queued -= len(rows)
        self._room.set()
        return rows, acks


def register(app: faust.App, settings: AggregateSettings) -> None:
    k = settings.kafka
    events_topic = app.topic(k.topic_calls, k.topic_tickets, key_serializer="raw", value_serializer="raw")
    app.topics.add(events_topic)  # subscribes the consumer group; BatchingConsumer delivers
    deadletter_topic = app.topic(k.topic_deadletter, key_serializer="raw", value_serializer="raw")
    calendar = for_timezone(settings.city.timezone)
    hash_key = settings.privacy.hash_key
    handoff = Handoff(max_events=2 * settings.batch_size)
    app.batch_sink = handoff.put  # type: ignore[attr-defined] - read by BatchingConsumer
    # One thread owns the (not thread-safe) ClickHouse connection; writes never block the loop.
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="clickhouse")
    writer: list[ClickHouseWriter] = []
    last_offset: dict[tuple[str, int], int] = {}

    async def write(prepared: Prepared, token: str) -> None:
        loop = asyncio.get_running_loop()
        if not writer:
            writer.append(ClickHouseWriter(settings.clickhouse, settings.city.timezone))
        backoff = 0.2
        while True:
            try:
                with metrics.BATCH_INSERT_SECONDS.time():
                    await loop.run_in_executor(executor, writer[0].write, prepared, token)
                return
            except StorageUnavailable as exc:
                metrics.WRITE_RETRIES.inc()
                log.warning("batch not written, retrying in %.1f s: %s", backoff, exc)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, settings.retry_backoff_max_s)

    def report_lag() -> None:
        # Only partitions assigned now: after a rebalance the others belong to another worker,
        # which reports them (and aiokafka refuses a high-water mark for them).
        assigned = app.consumer.assignment()
        for tp in list(last_offset):
            if faust.types.TP(*tp) not in assigned:
                del last_offset[tp]
                metrics.CONSUMER_LAG.remove(tp[0], str(tp[1]))
        for (topic, partition), offset in last_offset.items():
            hw = app.consumer.highwater(faust.types.TP(topic, partition))
            if hw is not None and hw >= 0:
                metrics.CONSUMER_LAG.labels(topic, str(partition)).set(max(hw - offset - 1, 0))

    async def write_and_ack(batch: list[Incoming], acks: list[Acked], prepared: Prepared) -> None:
        await write(prepared, dedup_token(batch))
        ack = app.consumer.ack
        for a in acks:
            ack(a)  # type: ignore[arg-type] - Consumer.ack reads tp, topic, offset, acked
        for m in batch:
            key = (m.topic, m.partition)
            if m.offset > last_offset.get(key, -1):
                last_offset[key] = m.offset
        metrics.BATCH_EVENTS.observe(len(batch))
        for type_, n in prepared.accepted.items():
            metrics.EVENTS_PROCESSED.labels(type_).inc(n)
        for reason, n in prepared.rejected.items():
            metrics.EVENTS_REJECTED.labels(reason).inc(n)
        if prepared.uncovered:
            log.error("%d events are outside the working-day calendar and were dead-lettered; "
                      "upgrade the chinesecalendar package", prepared.uncovered)
        if prepared.newest_ms:
            metrics.NEWEST_EVENT.set(max(metrics.NEWEST_EVENT._value.get(), prepared.newest_ms / 1000))
        report_lag()

    @app.task
    async def fold() -> None:
        in_flight: asyncio.Task | None = None
        try:
            while True:
                batch, acks = await handoff.take(settings.batch_size, settings.batch_max_latency_s)
                prepared = prepare(batch, calendar, hash_key, now=dt.datetime.now(dt.timezone.utc))
                pending = [await deadletter_topic.send(key=key, value=value) for key, value in prepared.dead_letters]
                if pending:
                    await asyncio.gather(*pending)
                if in_flight is not None:
                    await in_flight  # writes and acks in order
                in_flight = asyncio.ensure_future(write_and_ack(batch, acks, prepared))
        finally:
            if in_flight is not None and not in_flight.done():
                in_flight.cancel()

    @app.timer(5.0)
    async def lag_timer() -> None:
        report_lag()
