"""The fold agent: consume both event topics in batches, write each batch, then ack it.

Order per batch (ARCHITECTURE.md decision 3): prepare (pure) -> dead letters acknowledged by the
broker -> rows inserted and facts refreshed in ClickHouse -> the batch's events acked, which is
what lets Faust commit their offsets. `noack_take` is used because `take_events` acks a batch
when its generator is closed, also when the agent is cancelled mid-write (e.g. a shutdown during
a ClickHouse outage): offsets of events that never reached ClickHouse would be committed.
A ClickHouse outage makes the write retry with backoff, forever: consumption pauses, lag grows
(visible in metrics), nothing is dropped.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from concurrent.futures import ThreadPoolExecutor

import faust

from hotline.calendar import for_timezone
from services.aggregate import metrics
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


def register(app: faust.App, settings: AggregateSettings) -> None:
    k = settings.kafka
    events_topic = app.topic(k.topic_calls, k.topic_tickets, key_serializer="raw", value_serializer="raw")
    deadletter_topic = app.topic(k.topic_deadletter, key_serializer="raw", value_serializer="raw")
    calendar = for_timezone(settings.city.timezone)
    hash_key = settings.privacy.hash_key
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

    @app.agent(events_topic, name="fold")
    async def fold(stream):
        async for events in stream.noack_take(settings.batch_size, within=settings.batch_max_latency_s):
            batch = [
                Incoming(e.message.topic, e.message.partition, e.message.offset, e.message.value,
                         list(e.message.headers or ()))
                for e in events
            ]
            prepared = prepare(batch, calendar, hash_key, now=dt.datetime.now(dt.timezone.utc))
            pending = [await deadletter_topic.send(key=key, value=value) for key, value in prepared.dead_letters]
            if pending:
                await asyncio.gather(*pending)
            await write(prepared, dedup_token(batch))
            for e in events:
                await stream.ack(e)
            for m in batch:
                last_offset[(m.topic, m.partition)] = max(m.offset, last_offset.get((m.topic, m.partition), -1))
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

    @app.timer(5.0)
    async def lag_timer() -> None:
        report_lag()
