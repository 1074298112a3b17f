"""The fold loop: batches handed over by the consumer -> prepare -> ClickHouse -> ack.

Order per batch (docs/architecture.md, decision 3): prepare (pure) -> dead letters acknowledged by the
broker -> rows inserted -> facts of the touched entities refreshed -> the batch's offsets acked,
which is what lets Faust commit them. Nothing is acked before its facts are refreshed, also not
when the worker is stopped or killed mid-way: those events are read again (the fold is
duplicate-insensitive).

Three stages overlap, each in order: preparing batch N+1, inserting batch N (a thread: the
driver blocks), and refreshing facts (another thread and connection). A refresh takes every
batch inserted since the last one at once (up to `refresh_max_events`): under a backlog one
refresh serves several batches and an entity touched by several of them is merged once; live it
runs after each. A ClickHouse outage
makes the stage retry with backoff, forever: the stages behind it fill, the consumer stops
fetching, lag grows (visible in metrics), nothing is dropped.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import logging
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import faust

from services.aggregate import metrics
from services.aggregate.consumer import Acked
from services.aggregate.prepare import Incoming, Prepared, prepare
from services.aggregate.settings import AggregateSettings
from services.aggregate.writer import ClickHouseWriter, StorageUnavailable

log = logging.getLogger(__name__)


# The batches in flight keep about a million objects alive (decoded events, records, rows), and
# with Python's default thresholds (700, 10, 10) the collector walks them again and again: in a
# microbenchmark of prepare() with three batches alive, 29.4 us/event against 20.7 with these and
# 19.6 with no collector at all. Garbage cycles still go, a little later.
GC_THRESHOLDS = (50_000, 20, 100)


def dedup_token(batch: list[Incoming]) -> str:
    """Deterministic for the same messages: topic, partition and offset range of each partition."""
    spans: dict[tuple[str, int], list[int]] = {}
    for m in batch:
        spans.setdefault((m.topic, m.partition), []).append(m.offset)
    return ";".join(f"{t}/{p}/{min(o)}-{max(o)}" for (t, p), o in sorted(spans.items()))


class Handoff:
    """Bounded queue between the consumer's drain loop and the fold loop (backpressure: the
    drain loop waits while `max_events` are queued).

    A batch closes at `size` events, `within_s` after its first event, or — once it holds
    `caught_up_events` — as soon as the consumer says it has read everything the broker had:
    the tail of a backlog (after a restart, an outage, a burst) is then not held for the rest
    of the latency window. Live traffic never fills that floor, so it keeps one insert per
    window instead of one per fetch.
    """

    def __init__(self, max_events: int, caught_up_events: int | None = None):
        self.max_events = max_events
        self.caught_up_events = max_events if caught_up_events is None else caught_up_events
        self.queued = 0
        self._items: asyncio.Queue[tuple[list[Incoming], list[Acked], bool]] = asyncio.Queue()
        self._room = asyncio.Event()
        self._room.set()

    async def put(self, rows: list[Incoming], acks: list[Acked], caught_up: bool = False) -> None:
        while self.queued >= self.max_events:
            self._room.clear()
            await self._room.wait()
        self.queued += len(rows)
        self._items.put_nowait((rows, acks, caught_up))

    async def take(self, size: int, within_s: float) -> tuple[list[Incoming], list[Acked]]:
        """At least one hand-off, then more until `size` events, `within_s` after the first, or
        caught up with at least `caught_up_events`."""
        rows, acks, caught_up = await self._items.get()
        rows, acks = list(rows), list(acks)
        deadline = time.monotonic() + within_s
        while len(rows) < size:
            if caught_up and len(rows) >= self.caught_up_events and self._items.empty():
                break
            timeout = deadline - time.monotonic()
            if timeout <= 0:
                break
            try:
                more_rows, more_acks, caught_up = await asyncio.wait_for(self._items.get(), timeout)
            except asyncio.TimeoutError:
                break
            rows += more_rows
            acks += more_acks
        self.queued -= len(rows)
        self._room.set()
        return rows, acks


class Writers:
    """The two stages' ClickHouse connections, opened on first use (not at import)."""

    def __init__(self, settings: AggregateSettings):
        self.settings = settings
        self._insert: ClickHouseWriter | None = None
        self._refresh: ClickHouseWriter | None = None

    def inserter(self) -> ClickHouseWriter:
        if self._insert is None:
            self._insert = ClickHouseWriter(self.settings.clickhouse, self.settings.city.timezone)
        return self._insert

    def refresher(self) -> ClickHouseWriter:
        if self._refresh is None:
            self._refresh = ClickHouseWriter(self.settings.clickhouse, self.settings.city.timezone)
        return self._refresh


@dataclass
class Inserted:
    """What is left of a batch once its rows are in ClickHouse: what the refresh and the acks
    need. The messages and rows are let go here, so the batches waiting for a refresh hold a
    few bytes per event, not the events."""

    events: int
    acks: list[Acked]
    last_offsets: dict[tuple[str, int], int]
    calls: set[str]
    tickets: set[str]
    accepted: Counter
    rejected: Counter
    newest_ms: int

    @classmethod
    def of(cls, batch: list[Incoming], acks: list[Acked], prepared: Prepared) -> "Inserted":
        last: dict[tuple[str, int], int] = {}
        for m in batch:
            key = (m.topic, m.partition)
            if m.offset > last.get(key, -1):
                last[key] = m.offset
        return cls(len(batch), acks, last, prepared.calls, prepared.tickets, prepared.accepted,
                   prepared.rejected, prepared.newest_ms)


class Refresher:
    """Collects what the insert stage wrote and refreshes its facts in one go, then acks."""

    def __init__(self, max_events: int):
        self.max_events = max_events
        self.calls: set[str] = set()
        self.tickets: set[str] = set()
        self.done: list[Inserted] = []
        self.events = 0
        self._changed = asyncio.Event()

    async def add(self, inserted: Inserted) -> None:
        """Wait while `max_events` already wait for a refresh (backpressure), then queue."""
        while self.events >= self.max_events:
            self._changed.clear()
            await self._changed.wait()
        self.calls |= inserted.calls
        self.tickets |= inserted.tickets
        self.done.append(inserted)
        self.events += inserted.events
        self._changed.set()

    async def take(self) -> tuple[set[str], set[str], list[Inserted]]:
        while not self.done:
            self._changed.clear()
            await self._changed.wait()
        out = (self.calls, self.tickets, self.done)
        self.calls, self.tickets, self.done, self.events = set(), set(), [], 0
        self._changed.set()
        return out


def register(app: faust.App, settings: AggregateSettings) -> None:
    k = settings.kafka
    events_topic = app.topic(k.topic_calls, k.topic_tickets, key_serializer="raw", value_serializer="raw")
    app.topics.add(events_topic)  # subscribes the consumer group; BatchingConsumer delivers
    deadletter_topic = app.topic(k.topic_deadletter, key_serializer="raw", value_serializer="raw")
    tz = ZoneInfo(settings.city.timezone)
    hash_key = settings.privacy.hash_key
    handoff = Handoff(max_events=2 * settings.batch_size, caught_up_events=max(1, settings.batch_size // 10))
    app.batch_sink = handoff.put  # type: ignore[attr-defined] - read by BatchingConsumer
    refresher = Refresher(max_events=settings.refresh_max_events)
    # One thread per stage, each owning its (not thread-safe) ClickHouse connection; the event
    # loop never blocks on ClickHouse.
    insert_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="clickhouse-insert")
    refresh_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="clickhouse-refresh")
    writers = Writers(settings)
    last_offset: dict[tuple[str, int], int] = {}

    async def retrying(what: str, executor: ThreadPoolExecutor, fn, *args) -> None:  # noqa: ANN001
        loop = asyncio.get_running_loop()
        backoff = 0.2
        while True:
            try:
                await loop.run_in_executor(executor, fn, *args)
                return
            except StorageUnavailable as exc:
                metrics.WRITE_RETRIES.inc()
                log.warning("%s failed, retrying in %.1f s: %s", what, backoff, exc)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, settings.retry_backoff_max_s)

    end_offsets: dict[tuple[str, int], int] = {}

    def report_lag() -> None:
        # Only partitions assigned now: after a rebalance the others belong to another worker,
        # which reports them.
        assigned = app.consumer.assignment()
        for tp in list(last_offset):
            if faust.types.TP(*tp) not in assigned:
                del last_offset[tp]
                end_offsets.pop(tp, None)
                metrics.CONSUMER_LAG.remove(tp[0], str(tp[1]))
        for key, offset in last_offset.items():
            if key in end_offsets:
                metrics.CONSUMER_LAG.labels(key[0], str(key[1])).set(max(end_offsets[key] - offset - 1, 0))

    async def refresh_end_offsets() -> None:
        """The assigned partitions' end offsets (ListOffsets), so the lag keeps growing while
        nothing is fetched (ClickHouse down stalls the batches, and with them the fetches)."""
        assigned = [tp for tp in app.consumer.assignment() if (tp.topic, tp.partition) in last_offset]
        if assigned:
            ends = await app.consumer.highwaters(*assigned)  # Faust's name for end_offsets
            end_offsets.update({(tp.topic, tp.partition): end for tp, end in ends.items()})

    def acked(done: Inserted) -> None:
        ack = app.consumer.ack
        for a in done.acks:
            ack(a)  # type: ignore[arg-type] - Consumer.ack reads tp, topic, offset, acked
        for key, offset in done.last_offsets.items():
            if offset > last_offset.get(key, -1):
                last_offset[key] = offset
        metrics.BATCH_EVENTS.observe(done.events)
        for type_, n in done.accepted.items():
            metrics.EVENTS_PROCESSED.labels(type_).inc(n)
        for reason, n in done.rejected.items():
            metrics.EVENTS_REJECTED.labels(reason).inc(n)
        if done.newest_ms:
            metrics.NEWEST_EVENT.set(max(metrics.NEWEST_EVENT._value.get(), done.newest_ms / 1000))

    async def insert(batch: list[Incoming], acks: list[Acked], prepared: Prepared) -> None:
        with metrics.BATCH_INSERT_SECONDS.time():
            await retrying("insert", insert_thread, writers.inserter().insert, prepared, dedup_token(batch))
        await refresher.add(Inserted.of(batch, acks, prepared))

    @app.task
    async def fold() -> None:
        gc.set_threshold(*GC_THRESHOLDS)
        in_flight: asyncio.Task | None = None
        try:
            while True:
                batch, acks = await handoff.take(settings.batch_size, settings.batch_max_latency_s)
                prepared = prepare(batch, tz, hash_key, now=dt.datetime.now(dt.timezone.utc))
                pending = [await deadletter_topic.send(key=key, value=value) for key, value in prepared.dead_letters]
                if pending:
                    await asyncio.gather(*pending)
                if in_flight is not None:
                    await in_flight  # inserts in order
                in_flight = asyncio.ensure_future(insert(batch, acks, prepared))
        finally:
            if in_flight is not None and not in_flight.done():
                in_flight.cancel()

    @app.task
    async def refresh() -> None:
        while True:
            calls, tickets, done = await refresher.take()
            with metrics.FACTS_REFRESH_SECONDS.time():
                await retrying("facts refresh", refresh_thread, writers.refresher().refresh, calls, tickets)
            for inserted in done:
                acked(inserted)
            report_lag()

    @app.timer(5.0)
    async def lag_timer() -> None:
        try:
            await refresh_end_offsets()
        except Exception as exc:  # noqa: BLE001 - a broker blip: the gauge keeps its last value
            log.warning("end offsets not read for the lag gauge: %s", type(exc).__name__)
        report_lag()
